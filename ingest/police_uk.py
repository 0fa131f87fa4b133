"""police.uk stop and search: availability, monthly API responses and archive CSVs.

The API (`POLICE_UK_API_URL`) says which months it holds in
`/crimes-street-dates` (a month counts when its `stop-and-search` list names
the force) and serves a month at `/stops-force?force=<force>&date=YYYY-MM`.
History the API no longer serves comes from the bulk archive CSVs
(`YYYY-MM-<force>-stop-and-search.csv`, `POLICE_UK_ARCHIVE_URL`: files, URLs,
directories or the archive's zip files). Both formats are flattened here into
the one row shape of `raw.police_uk_stop_searches`, labels untouched: mapping
vocabularies is dbt staging's job, and noticing a new label is the gate's.
The source is partitioned by month: each run plans one month, then loads it.

`POLICE_UK_SCOPE` says whose records a month holds. `force` (the default):
`POLICE_UK_FORCE`'s, from the API, the archive when the API no longer has the
month. `national`: every force's, from the bulk archive alone, one batch per
month (the month's CSV of every force in one landed file) instead of one API
request per force-month (decision 0026).
"""

from __future__ import annotations

import csv
import io
import math
import logging
import re
import statistics
import time
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from ingest.core import http, limits, numbers, periods, reference
from ingest.core.config import DBT_PROJECT_DIR, Settings
from ingest.core.contract import Column, Table
from ingest.core.errors import SourceFormatError
from ingest.core.formats import decode_text, refuse_html
from ingest.core.source import Batch, GateContext, Plan, Pool, Reader, Source, implausible_period

log = logging.getLogger(__name__)

NAME = "police_uk_stop_search"
AVAILABILITY = "police_uk_availability"  # raw-zone name of the /crimes-street-dates answers
API_DEFAULT = "https://data.police.uk/api"

TABLE = Table(
    "police_uk_stop_searches",
    "One row per published stop and search record (police.uk API JSON or archive CSV); labels, "
    "coordinates and datetimes kept as published text.",
    (
        Column("source_format", "VARCHAR", "`api` (stops-force JSON) or `archive_csv` (bulk archive CSV)."),
        Column("force", "VARCHAR", "police.uk force id the record is published under: the API request's `force`, "
               "or the archive file name's (`YYYY-MM-<force>-stop-and-search.csv`)."),
        Column("record_index", "INTEGER", "0-based position of the record in its batch."),
        Column("type", "VARCHAR", "Search type as published."),
        Column("datetime", "VARCHAR", "ISO 8601 datetime with offset, as published (UTC)."),
        Column("involved_person", "BOOLEAN", "API only."),
        Column("operation", "BOOLEAN", "Part of a policing operation."),
        Column("operation_name", "VARCHAR", "Policing operation."),
        Column("latitude", "VARCHAR", "Anonymised location, as published text; null when none."),
        Column("longitude", "VARCHAR", "Anonymised location, as published text; null when none."),
        Column("street_id", "BIGINT", "police.uk street point id (API only)."),
        Column("street_name", "VARCHAR", "police.uk street point name (API only)."),
        Column("gender", "VARCHAR", "As published."),
        Column("age_range", "VARCHAR", "As published."),
        Column("self_defined_ethnicity", "VARCHAR", "As published (either police.uk vocabulary)."),
        Column("officer_defined_ethnicity", "VARCHAR", "As published."),
        Column("legislation", "VARCHAR", "As published."),
        Column("object_of_search", "VARCHAR", "As published."),
        Column("outcome", "VARCHAR", "Outcome label as published (the API's outcome_object.name)."),
        Column("outcome_id", "VARCHAR", "API outcome_object.id, e.g. `bu-arrest` (null in archive CSVs)."),
        Column("outcome_linked_to_object_of_search", "BOOLEAN", "As published; blank is null."),
        Column("removal_of_more_than_outer_clothing", "BOOLEAN", "As published; blank is null."),
    ),
    dbt=("police_uk", "stop_searches"),
)

ARCHIVE_HEADER = [
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
]
ARCHIVE_NAME = re.compile(r"(?P<period>[0-9]{4}-[0-9]{2})-(?P<force>[a-z0-9-]+?)-stop-and-search\.csv")  # the whole file name
SCOPES = ("force", "national")
LONDON_FORCES = ("metropolitan", "city-of-london")
# Where a force's anonymised points may fall, for the gate: London's forces
# within Greater London's box, every other force within England and Wales's.
LONDON_BOX = (51.28, 51.70, -0.52, 0.34)  # lat_min, lat_max, lon_min, lon_max
ENGLAND_AND_WALES_BOX = (49.85, 55.85, -6.45, 1.80)

# Record-count gate on a month against the median of the trailing loaded months.
TRAILING_MONTHS = 6
DROP_WARN_RATIO = 0.6  # fewer than 60% of the trailing median: warning
COLLAPSE_FAIL_RATIO = 0.25  # fewer than 25%: the batch fails


# --------------------------------------------------------------------------- where
def api_url(settings: Settings) -> str:
    return settings.get("POLICE_UK_API_URL", API_DEFAULT).rstrip("/")


def force(settings: Settings) -> str:
    return settings.get("POLICE_UK_FORCE", "metropolitan")


def scope(settings: Settings) -> str:
    value = settings.get("POLICE_UK_SCOPE", "force").strip().lower() or "force"
    if value not in SCOPES:
        raise ValueError(f"POLICE_UK_SCOPE: expected one of {', '.join(SCOPES)}, got {value!r}")
    return value


def availability_url(settings: Settings) -> str:
    return f"{api_url(settings)}/crimes-street-dates"


def month_url(settings: Settings, month: str) -> str:
    return f"{api_url(settings)}/stops-force?{urlencode({'force': force(settings), 'date': month})}"


def archive_candidates(settings: Settings, month: str) -> list[str]:
    """Where the archive CSV for `month` may be, in configuration order.

    Each configured location is a CSV file or URL (used when its name is the
    month's), a local directory (searched for the file name, also inside a
    `YYYY-MM/` folder as the archive unpacks), a URL ending in `/` (same
    layout), or a zip of the archive (`<zip>!<member>`).
    """
    name = f"{month}-{force(settings)}-stop-and-search.csv"
    found: list[str] = []
    for loc in settings.locations("POLICE_UK_ARCHIVE_URL"):
        if loc.endswith(".zip"):
            found.append(f"{loc}!{month}/{name}")
        elif loc.endswith(".csv"):
            if loc.rsplit("/", 1)[-1] == name:
                found.append(loc)
        elif http.is_remote(loc):
            base = loc if loc.endswith("/") else loc + "/"
            found.append(f"{base}{month}/{name}")
        else:
            root = http.local_path(loc)
            for candidate in (root / name, root / month / name):
                if candidate.is_file():
                    found.append(str(candidate))
    return found


def month_archive_candidates(settings: Settings, month: str) -> list[str]:
    """Where every force's archive CSV of `month` may be, as `<container>!<YYYY-MM>/` locations.

    The container is a zip of the archive (a path or URL ending `.zip`; the
    real one: https://data.police.uk/data/archive/<YYYY-MM>.zip, which holds
    the 36 months to that one), a URL ending `/` (`<YYYY-MM>.zip` under it), or
    a local directory holding `<YYYY-MM>.zip` or the unpacked `<YYYY-MM>/`.
    """
    found: list[str] = []
    for loc in settings.locations("POLICE_UK_ARCHIVE_URL"):
        if loc.endswith(".zip"):
            found.append(f"{loc}!{month}/")
        elif http.is_remote(loc):
            base = loc if loc.endswith("/") else loc + "/"
            found.append(f"{base}{month}.zip!{month}/")
        else:
            root = http.local_path(loc)
            if (root / f"{month}.zip").is_file():
                found.append(f"{root / f'{month}.zip'}!{month}/")
            elif (root / month).is_dir():
                found.append(f"{root / month}!{month}/")
    return found


def period_from_archive_name(name: str) -> str | None:
    match = ARCHIVE_NAME.fullmatch(Path(name).name)
    return match.group("period") if match else None


def force_from_archive_name(name: str) -> str | None:
    match = ARCHIVE_NAME.fullmatch(Path(name).name)
    return match.group("force") if match else None


def force_from_api_url(location: str) -> str | None:
    values = parse_qs(urlsplit(location).query).get("force")
    return values[0] if values else None


def is_month_archive(location: str) -> bool:
    """A `<container>!<YYYY-MM>/` location: every force's CSV of one month."""
    return "!" in location and location.endswith("/")


# --------------------------------------------------------------------------- plan and fetch
def months_available(content: bytes, force_id: str, today: date | None = None) -> list[str]:
    """Months (YYYY-MM, ascending) whose stop-and-search list names the force.

    A month the list names that cannot be real, one in the future (ending
    after `today` + the gate's margin, `ingest.core.source.latest_plausible_end`)
    or before police.uk's first (`first_period`), is left out with a warning:
    it would otherwise be planned, and become "the latest month" of a run.
    """
    data = limits.decode_json(content, what="police.uk crimes-street-dates")
    if not isinstance(data, list):
        raise SourceFormatError("police.uk crimes-street-dates: expected a JSON array")
    months = set()
    for entry in data:
        if not isinstance(entry, dict) or not periods.MONTH.match(str(entry.get("date", ""))):
            raise SourceFormatError(f"police.uk crimes-street-dates: unexpected entry {entry!r:.120}")
        if force_id in (entry.get("stop-and-search") or []):
            months.add(entry["date"])
    today = today or datetime.now(timezone.utc).date()
    implausible = {m: why for m in months if (why := implausible_period(SOURCE, m, today))}
    for month, why in sorted(implausible.items()):
        log.warning("police.uk crimes-street-dates lists %s for %s; ignored: %s", month, force_id, why)
    return sorted(months - set(implausible))


def plan(settings: Settings, month: str, read: Reader, lookback: int = 1) -> list[Plan]:
    """What to read for a run whose interval is `month`: that month, and the published months before it.

    `lookback` months end at `month` (1: that month only). Each one the API
    lists is read from the API (the pipeline skips it when its bytes equal the
    loaded batch's, and loads it when they are new or revised). `month` itself,
    when the API does not list it, comes from the archive CSVs if any are
    configured. A run whose months are all unpublished plans nothing: they are
    simply not there yet. The availability answer is read, and landed,
    through the pipeline's reader.
    """
    if scope(settings) == "national":
        return _plan_national(settings, month, lookback)
    today = datetime.now(timezone.utc).date().isoformat()
    months = read(AVAILABILITY, availability_url(settings), today, lambda content, _: months_available(content, force(settings)))
    window = set(periods.month_range(periods.add_months(month, 1 - max(1, lookback)), month))
    plans = [Plan(m, (month_url(settings, m),), via="api") for m in months if m in window]
    latest = months[-1] if months else "none"
    if month not in months:
        candidates = archive_candidates(settings, month)
        if candidates:
            plans.append(Plan(month, tuple(candidates), via="archive", note=f"API latest {latest}"))
        elif months and months[0] <= month <= months[-1]:
            # inside the span the list covers, yet not named: withdrawn (or never published), not aged out
            plans.append(Plan(month, (), via="unlisted", note=f"not named by the availability list for force {force(settings)}, "
                                                              f"which names {months[0]}..{latest}"))
        elif months and month > latest and month <= today[:7]:
            plans.append(Plan(month, (), via="unlisted", note=f"not published for force {force(settings)} (API latest {latest}; "
                                                              f"no archive file configured)"))
        else:
            plans.append(Plan(month, (), note=f"not published for force {force(settings)} (API latest {latest}; no archive file configured)"))
    return sorted(plans, key=lambda p: p.period)


def _plan_national(settings: Settings, month: str, lookback: int) -> list[Plan]:
    """Every force's records of each month in the window, from the bulk archive (the API has them one force at a time)."""
    plans = []
    for m in periods.month_range(periods.add_months(month, 1 - max(1, lookback)), month):
        candidates = month_archive_candidates(settings, m)
        if candidates:
            plans.append(Plan(m, tuple(candidates), via="archive"))
        else:
            plans.append(Plan(m, (), note="not in the bulk archive (POLICE_UK_SCOPE=national reads every force from "
                                          "POLICE_UK_ARCHIVE_URL; none of its locations holds the month)"))
    return plans


def pack_members(members: dict[str, bytes]) -> bytes:
    """One month's archive CSVs as a zip of their own, byte-identical for identical members.

    This is what lands in the raw zone for a national month: the month's stop
    and search files, not the whole archive (the real one holds 36 months of
    every data set), with fixed timestamps, so the same files always give the
    same checksum and a re-read of an unchanged month changes nothing.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, members[name], compresslevel=1)
    return out.getvalue()


def looks_like_stop_and_search(name: str) -> bool:
    """A file name that may hold stop-and-search records, whatever its case (`...-Stop-And-Search.CSV`)."""
    base = Path(name).name.lower()
    return "stop-and-search" in base and base.endswith(".csv")


def _month_member_names(names: list[str], month: str, what: str) -> dict[str, str]:
    """{packed name `<month>/<file name>`: name in the container} of every member to read for `month`.

    Read: each member that looks like stop-and-search data (`looks_like_stop_and_search`) and belongs to
    the month (its file name starts with the month, in any case, or it sits in the month's folder). One
    whose name is not exactly `<month>-<force>-stop-and-search.csv` is packed all the same, for the parser
    to read or refuse by name: nothing that looks like the month's data is skipped without a word. Two
    members that would pack under one name (the same file name in two folders, or names that differ only
    in case) are refused: which one is the force's file cannot be told.
    """
    chosen: dict[str, str] = {}
    folded: dict[str, str] = {}
    for name in names:
        path = Path(name)
        if not looks_like_stop_and_search(name) or name.endswith("/"):
            continue
        if not (path.name.lower().startswith(f"{month}-") or path.parent.name == month):
            continue
        key = f"{month}/{path.name}"
        if key.lower() in folded:
            raise SourceFormatError(f"{what}: members {folded[key.lower()]!r} and {name!r} name the same file "
                                    "(up to case); refused (which one is the force's cannot be told)")
        folded[key.lower()] = name
        chosen[key] = name
    return chosen


def _fetch_month_archive(settings: Settings, location: str) -> http.Fetched:
    """`<container>!<YYYY-MM>/`: every `<YYYY-MM>-<force>-stop-and-search.csv` in a zip or a directory, packed as one zip.

    Bounded as it is read (`ingest.core.limits`): the zip's member count, each member's declared size and
    compression ratio before it is read, and the bytes read (MAPWH_MAX_UNZIPPED_MB for the month, whether
    from a zip or a directory); a directory's entry that is a symlink, FIFO or device is refused.
    """
    container, member = location.split("!", 1)
    month = member.rstrip("/")
    fetched_at = time.time()
    budget = limits.ZipBudget.from_settings(settings)
    what = f"police.uk archive {month} ({container})"
    if container.endswith(".zip"):
        archive = http.fetch(settings, container, not_found_ok=True)
        if archive.status == 404:
            return http.Fetched(location, b"", 404, "", archive.fetched_at)
        fetched_at = archive.fetched_at
        with limits.open_zip(archive.content, what=what, budget=budget) as zf:
            names = _month_member_names(zf.namelist(), month, what)
            members = {key: limits.read_member(zf, name, what=what, budget=budget) for key, name in names.items()}
    else:
        directory = http.local_path(container)
        entries = sorted(directory.iterdir()) if directory.is_dir() else []
        names = _month_member_names([f"{directory.name}/{p.name}" for p in entries], month, what)
        if len(names) > budget.max_members:
            raise SourceFormatError(f"{what}: {len(names):,} stop-and-search files, more than {budget.max_members:,} "
                                    "(MAPWH_MAX_ZIP_MEMBERS); refused")
        members = {}
        for key, name in names.items():
            # a symlink, FIFO or device is refused; the month's files together stay within MAPWH_MAX_UNZIPPED_MB
            content = http.read_local(directory / Path(name).name, budget.max_bytes - budget.read,
                                      setting="MAPWH_MAX_UNZIPPED_MB (all the month's files together)")
            budget.read += len(content)
            members[key] = content
    if not members:
        return http.Fetched(location, b"", 404, "", fetched_at)
    return http.Fetched(location, pack_members(members), 200, "application/zip", fetched_at)


def _fetch_zip_member(settings: Settings, location: str) -> http.Fetched:
    """`<zip>!<YYYY-MM>/<YYYY-MM>-<force>-stop-and-search.csv`: that member, named exactly.

    A member that only resembles it (the same file name in another folder, or in another case, or a name
    that merely ends the same way) is never taken in its place: when the exact member is missing and such
    a one is there, the zip is refused, naming both; when neither is, the answer is a 404 (try the next
    candidate).
    """
    zip_loc, member = location.split("!", 1)
    archive = http.fetch(settings, zip_loc)
    budget = limits.ZipBudget.from_settings(settings)
    what = f"police.uk archive {zip_loc}"
    with limits.open_zip(archive.content, what=what, budget=budget) as zf:
        names = zf.namelist()
        if member in names:
            return http.Fetched(f"{zip_loc}!{member}", limits.read_member(zf, member, what=what, budget=budget), 200,
                                "text/csv", archive.fetched_at)
        base = Path(member).name.lower()
        near = [n for n in names if n.lower() == member.lower() or Path(n).name.lower() == base
                or (n.lower().endswith(base) and not n.endswith("/"))]
        if near:
            raise SourceFormatError(f"{what}: no member {member!r}, but {near[:3]!r}; refused rather than guessed "
                                    "(the archive names each file <YYYY-MM>/<YYYY-MM>-<force>-stop-and-search.csv)")
    return http.Fetched(location, b"", 404, "", archive.fetched_at)


def fetch(settings: Settings, location: str) -> http.Fetched:
    """An API month, an archive CSV (a 404 is an answer: try the next candidate), `<zip>!<member>`,
    or every force's CSV of a month (`<container>!<YYYY-MM>/`)."""
    if is_month_archive(location):
        return _fetch_month_archive(settings, location)
    if "!" in location and location.split("!", 1)[0].endswith(".zip"):
        return _fetch_zip_member(settings, location)
    return http.fetch(settings, location, not_found_ok=location.endswith(".csv"))


# --------------------------------------------------------------------------- parse
def _text(value: object, what: str = "police.uk") -> str | None:
    """Published text as is; blanks and JSON false/null become null. A JSON object or array where text is
    published is refused: its Python repr is nobody's published text."""
    if value is None or value is False:
        return None
    if isinstance(value, (dict, list)):
        raise SourceFormatError(f"{what}: a JSON {'object' if isinstance(value, dict) else 'array'} where text is "
                                f"published ({str(value)[:80]!r}); refused")
    text = str(value)
    return text if text.strip() else None


def _coordinate(value: object, what: str) -> str | None:
    """A coordinate as published text; anything but a finite number (or nothing) is a format error."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # a JSON number: finite, as positional text
        if not math.isfinite(value):
            raise SourceFormatError(f"{what}: coordinate {value!r} is not a finite number")
        return numbers.plain(float(value)) if isinstance(value, float) else str(value)
    text = _text(value, what)
    if text is None:
        return None
    if not numbers.is_number(text, sign=True, fraction=True):
        numbers.parse_number(text, what=f"{what}: coordinate", sign=True, fraction=True)  # raises, naming the rules
    return text


_BIGINT = 2**63 - 1


def _street_id(value: object, what: str) -> int | None:
    """A street point id: a whole JSON number (or its ASCII digits); a fraction (`1673045.7`), a boolean or
    anything else is refused, never rounded."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise SourceFormatError(f"{what}: street id {value!r} is not a whole number")
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            raise SourceFormatError(f"{what}: street id {value!r} is not a whole number (ids are never rounded)")
        value = int(value)
    elif isinstance(value, str):
        value = numbers.parse_integer(value.strip(), what=f"{what}: street id", sign=True)
    elif not isinstance(value, int):
        raise SourceFormatError(f"{what}: street id {str(value)[:80]!r} is not a whole number")
    if abs(value) > _BIGINT:
        raise SourceFormatError(f"{what}: street id {value} is beyond a 64-bit integer")
    return value


_BOOLEAN_TEXT = {"true": True, "false": False, "": None}  # published booleans, trimmed and lowered
_NOT_BOOLEAN = "not a boolean"


def _bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in _BOOLEAN_TEXT:
        return _BOOLEAN_TEXT[text]
    raise ValueError(f"not a boolean: {value!r}")


def _frame(rows: list[dict]):
    import pandas as pd

    return pd.DataFrame(rows, columns=TABLE.parsed_column_names, dtype=object)


API_FIELDS = frozenset({
    "type", "involved_person", "datetime", "operation", "operation_name", "location", "gender", "age_range",
    "self_defined_ethnicity", "officer_defined_ethnicity", "legislation", "object_of_search", "outcome",
    "outcome_object", "outcome_linked_to_object_of_search", "removal_of_more_than_outer_clothing",
})
API_OBJECTS = {"location": ("latitude", "longitude", "street"), "outcome_object": ("id", "name")}


def _check_api_record(rec: object, what: str) -> None:
    """A record is an object holding at least one of the API's fields (an empty `{}` is no record: a
    response of millions of them would be a frame of millions of null rows), with an object or null
    where the API nests one (`location`, its `street`, `outcome_object`) and no object or array
    where it publishes a value."""
    if not isinstance(rec, dict):
        raise SourceFormatError(f"{what} is not an object")
    if not API_FIELDS.intersection(rec):
        raise SourceFormatError(f"{what} holds none of the API's fields ({sorted(rec)[:5]!r}); refused")
    for key, value in rec.items():
        if key in API_OBJECTS:
            if value is not None and value is not False and not isinstance(value, dict):
                raise SourceFormatError(f"{what}: {key} is a {type(value).__name__}, expected an object or null")
            for inner, inner_value in (value or {}).items():
                if inner == "street":
                    if inner_value is not None and not isinstance(inner_value, dict):
                        raise SourceFormatError(f"{what}: location.street is a {type(inner_value).__name__}, "
                                                "expected an object or null")
                    for name, street_value in (inner_value or {}).items():
                        if isinstance(street_value, (dict, list)):
                            raise SourceFormatError(f"{what}: location.street.{name} is a JSON "
                                                    f"{type(street_value).__name__} where a value is published")
                elif isinstance(inner_value, (dict, list)):
                    raise SourceFormatError(f"{what}: {key}.{inner} is a JSON {type(inner_value).__name__} "
                                            "where a value is published")
        elif key in API_FIELDS and isinstance(value, (dict, list)):
            raise SourceFormatError(f"{what}: {key} is a JSON {type(value).__name__} where a value is published "
                                    f"({str(value)[:80]!r}); refused")


def parse_api_records(content: bytes, *, period: str, force: str | None = None):
    """Flatten one `/stops-force` response (for `force`) into raw.police_uk_stop_searches rows."""
    data = limits.decode_json(content, what=f"police.uk stops-force {period}")
    if not isinstance(data, list):
        raise SourceFormatError(f"police.uk stops-force {period}: expected a JSON array, got {type(data).__name__}")
    limits.check_records(len(data), what=f"police.uk stops-force {period}")
    rows = []
    for i, rec in enumerate(data):
        _check_api_record(rec, f"police.uk stops-force {period}: record {i}")
        location = rec.get("location") or {}
        street = location.get("street") or {}
        outcome_object = rec.get("outcome_object") or {}
        rows.append(
            {
                "source_format": "api",
                "force": force,
                "record_index": i,
                "type": _text(rec.get("type")),
                "datetime": _text(rec.get("datetime")),
                "involved_person": _bool(rec.get("involved_person")),
                "operation": _bool(rec.get("operation")),
                "operation_name": _text(rec.get("operation_name")),
                "latitude": _coordinate(location.get("latitude"), f"police.uk stops-force {period} record {i}"),
                "longitude": _coordinate(location.get("longitude"), f"police.uk stops-force {period} record {i}"),
                "street_id": _street_id(street.get("id"), f"police.uk stops-force {period} record {i}"),
                "street_name": _text(street.get("name")),
                "gender": _text(rec.get("gender")),
                "age_range": _text(rec.get("age_range")),
                "self_defined_ethnicity": _text(rec.get("self_defined_ethnicity")),
                "officer_defined_ethnicity": _text(rec.get("officer_defined_ethnicity")),
                "legislation": _text(rec.get("legislation")),
                "object_of_search": _text(rec.get("object_of_search")),
                # `outcome` is a label, or false when there is none; the object carries id + name.
                "outcome": _text(outcome_object.get("name")) or _text(rec.get("outcome")),
                "outcome_id": _text(outcome_object.get("id")),
                "outcome_linked_to_object_of_search": _bool(rec.get("outcome_linked_to_object_of_search")),
                "removal_of_more_than_outer_clothing": _bool(rec.get("removal_of_more_than_outer_clothing")),
            }
        )
    return _frame(rows)


def parse_archive_csv(content: bytes, *, period: str, force: str | None = None, first_index: int = 0):
    """Flatten one archive CSV (`YYYY-MM-<force>-stop-and-search.csv`) into the same rows,
    numbered from `first_index` (its place in the batch).

    The csv module splits the records (the exact dialect the archive is
    written in); the values are then converted a column at a time, which a
    national month (about 80,000 records in 43 files) needs: blank text is
    null, booleans are true/false/blank, coordinates finite numbers kept as
    published text. The first value that is none of these rejects the file.
    """
    import pandas as pd

    refuse_html(content, what=f"police.uk archive {period}", expected="CSV")
    text = decode_text(content, what=f"police.uk archive {period}")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header != ARCHIVE_HEADER:
        raise SourceFormatError(f"police.uk archive {period}: unexpected header {header!r}; expected {ARCHIVE_HEADER!r}")
    width, limit = len(ARCHIVE_HEADER), limits.max_records()
    records = []
    for values in reader:  # checked as read: a file of blank lines or a million records stops at the first wrong one
        if len(values) != width:
            raise SourceFormatError(
                f"police.uk archive {period}: line {len(records) + 2} has {len(values)} fields, expected {width}")
        if len(records) >= limit:
            limits.check_records(len(records) + 1, what=f"police.uk archive {period}")
        records.append(values)
    count = len(records)
    by_column = list(zip(*records)) if records else [()] * width
    raw = {name: pd.Series(values, dtype=object) for name, values in zip(ARCHIVE_HEADER, by_column)}
    # each column's distinct values are few (labels, booleans, snapped points): decide on those, then spread
    factorized = {name: pd.factorize(raw[name]) for name in ARCHIVE_HEADER}

    def per_value(name: str, decide):
        """decide(value) for every row of the column (an object array), computed once per distinct value."""
        codes, distinct = factorized[name]
        return pd.Series([decide(v) for v in distinct], dtype=object).iloc[codes].to_numpy()

    def text_of(name: str):
        values = raw[name].to_numpy(dtype=object, copy=True)
        values[per_value(name, lambda v: not v.strip()).astype(bool)] = None
        return values

    def refused(value: str) -> bool:
        try:
            _coordinate(value, "")
        except SourceFormatError:
            return True
        return False

    def coordinate(name: str):
        values = text_of(name)
        for i in per_value(name, refused).astype(bool).nonzero()[0][:1]:  # the first refused value, by its line
            _coordinate(values[i], f"police.uk archive {period} line {i + 2}")
        return values

    def boolean(name: str):
        values = per_value(name, lambda v: _BOOLEAN_TEXT.get(v.strip().lower(), _NOT_BOOLEAN))
        unknown = (values == _NOT_BOOLEAN).nonzero()[0]
        if len(unknown):
            i = int(unknown[0])
            raise SourceFormatError(f"police.uk archive {period}: line {i + 2}: not a boolean: {raw[name].iat[i]!r}")
        return values

    nothing = [None] * count
    columns = {
        "source_format": ["archive_csv"] * count,
        "force": [force] * count,
        "record_index": list(range(first_index, first_index + count)),
        "type": text_of("Type"),
        "datetime": text_of("Date"),
        "involved_person": nothing,
        "operation": boolean("Part of a policing operation"),
        "operation_name": text_of("Policing operation"),
        "latitude": coordinate("Latitude"),
        "longitude": coordinate("Longitude"),
        "street_id": nothing,
        "street_name": nothing,
        "gender": text_of("Gender"),
        "age_range": text_of("Age range"),
        "self_defined_ethnicity": text_of("Self-defined ethnicity"),
        "officer_defined_ethnicity": text_of("Officer-defined ethnicity"),
        "legislation": text_of("Legislation"),
        "object_of_search": text_of("Object of search"),
        "outcome": text_of("Outcome"),
        "outcome_id": nothing,
        "outcome_linked_to_object_of_search": boolean("Outcome linked to object of search"),
        "removal_of_more_than_outer_clothing": boolean("Removal of more than just outer clothing"),
    }
    return pd.DataFrame({name: columns[name] for name in TABLE.parsed_column_names}, dtype=object)


def read_month_archive(content: bytes, *, period: str):
    """(frame, warnings) of a month of archive CSVs (`pack_members`' zip), in member order.

    Each member is read within the bounds of `ingest.core.limits` (member count, declared size and
    compression ratio, bytes read, records). A member named `<period>-<force>-stop-and-search.csv` in
    another case is read, as the force's lower-case id, with a warning naming it; two names that differ
    only in case, or any other member, are refused: nothing that looks like the month's data is skipped.
    """
    import pandas as pd

    what = f"police.uk archive {period}"
    budget = limits.ZipBudget.from_settings()
    frames, warnings, first, seen = [], [], 0, {}
    with limits.open_zip(content, what=f"{what}: not a zip of the month's CSVs", budget=budget) as zf:
        for name in sorted(zf.namelist()):
            folded = name.lower()
            if folded in seen:
                raise SourceFormatError(f"{what}: members {seen[folded]!r} and {name!r} differ only in case; refused "
                                        "(which one is the force's file cannot be told)")
            seen[folded] = name
            if period_from_archive_name(name) == period:
                force_id = force_from_archive_name(name)
            elif period_from_archive_name(folded) == period:
                force_id = force_from_archive_name(folded)
                warnings.append(f"member {name!r} is not named in the archive's lower case; read as force {force_id!r}")
            else:
                raise SourceFormatError(f"{what}: unexpected member {name!r} (expected {period}-<force>-stop-and-search.csv)")
            member = limits.read_member(zf, name, what=what, budget=budget)
            frame = parse_archive_csv(member, period=f"{period} {force_id}", force=force_id, first_index=first)
            frames.append(frame)
            first += len(frame)
            limits.check_records(first, what=what)
    if not frames:
        return _frame([]), warnings
    return pd.concat(frames, ignore_index=True), warnings


def parse_month_archive(content: bytes, *, period: str):
    """Every force's archive CSV of one month (`pack_members`' zip) as one frame, in member order
    (`read_month_archive` without its warnings)."""
    return read_month_archive(content, period=period)[0]


def parse(content: bytes, *, location: str, period: str | None) -> list[Batch]:
    """One month from the API (JSON), the archive (a `.csv` location) or every force's archive CSVs (a month's zip)."""
    if period is None:
        raise ValueError("police.uk stop and search is loaded one month at a time")
    if is_month_archive(location):
        frame, warnings = read_month_archive(content, period=period)
        return [Batch(period, frame, warnings=tuple(warnings))]
    if http.file_name(location).endswith(".csv"):
        return [Batch(period, parse_archive_csv(content, period=period, force=force_from_archive_name(location)))]
    return [Batch(period, parse_api_records(content, period=period, force=force_from_api_url(location)))]


def landed_extension(content: bytes) -> str:
    """How a landed file is named: a month of archive CSVs `.zip`, an archive CSV `.csv` (by its header),
    anything else `.json`, what the API answers (an error page the API sent included)."""
    if content.startswith(b"PK\x03\x04"):
        return "zip"
    header = content.removeprefix(b"\xef\xbb\xbf")[:len(ARCHIVE_HEADER[0]) + 1]
    return "csv" if header == f"{ARCHIVE_HEADER[0]},".encode() else "json"


# --------------------------------------------------------------------------- gate
def gate_view(frame):
    """The batch as the gate sees it: published text plus parsed numbers and times."""
    import pandas as pd

    view = frame.copy()
    view["latitude_value"] = pd.to_numeric(view["latitude"], errors="coerce")
    view["longitude_value"] = pd.to_numeric(view["longitude"], errors="coerce")
    view["datetime_utc"] = parse_published_datetimes(view["datetime"])
    view["outside_force_area"] = _outside_force_area(view)
    return view


PUBLISHED_TIMESTAMP_MACRO = DBT_PROJECT_DIR / "macros" / "published_timestamp.sql"


def published_timestamp_sql(column: str) -> str:
    """The SQL staging reads a published datetime with: dbt's macro `published_timestamp`, rendered with Jinja."""
    import jinja2

    module = jinja2.Environment(autoescape=False).from_string(PUBLISHED_TIMESTAMP_MACRO.read_text()).module  # noqa: S701 - SQL, not HTML
    return str(module.published_timestamp(column)).strip()


def parse_published_datetimes(values):
    """Each published datetime as the build reads it (naive UTC; NaT where the build gets null).

    Not pandas' parser: DuckDB runs staging's own expression (`published_timestamp_sql`) with the build's
    session TimeZone (UTC), so the gate accepts exactly what staging reads (pandas took a leap second
    `23:59:60` and a lower-case `t`/`z`, which the build reads as null). Instants outside 1900-2200,
    never a police.uk search, are null too, as pandas' timestamps cannot hold every DuckDB one.
    """
    import duckdb
    import pandas as pd

    texts = pd.DataFrame({"value": [None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(v)
                                    for v in values]}, dtype=object)
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.register("texts", texts)
        parsed = con.execute(
            f"select case when t >= timestamp '1900-01-01' and t < timestamp '2200-01-01' then t end as t "  # noqa: S608 - the macro's SQL
            f"from (select timezone('UTC', {published_timestamp_sql('cast(value as varchar)')}) as t from texts)"
        ).df()["t"]
    finally:
        con.close()
    return pd.Series(pd.to_datetime(parsed).to_numpy(), index=values.index, name="datetime_utc")


def _outside_force_area(view):
    """True where a record's point lies outside its force's box (London's, or England and Wales's); null without a point."""
    import pandas as pd

    london = view["force"].isin(LONDON_FORCES)
    outside = pd.Series(pd.NA, index=view.index, dtype="boolean")
    located = view["latitude_value"].notna() & view["longitude_value"].notna()
    for rows, (lat0, lat1, lon0, lon1) in ((london, LONDON_BOX), (~london, ENGLAND_AND_WALES_BOX)):
        chosen = rows & located
        lat, lon = view.loc[chosen, "latitude_value"], view.loc[chosen, "longitude_value"]
        outside.loc[chosen] = ~(lat.between(lat0, lat1) & lon.between(lon0, lon1))
    return outside


def gate_parameters(context: GateContext) -> dict:
    start, end = periods.month_bounds(context.period)
    trailing = [
        b["rows"] for b in context.history
        if b["period"] < context.period and b.get("status") == "loaded" and b.get("rows")
    ][-TRAILING_MONTHS:]
    median = statistics.median(trailing) if trailing else 0
    return {
        "month_start_minus_1d": datetime.combine(start - timedelta(days=1), datetime.min.time()),
        "month_end_plus_1d": datetime.combine(end + timedelta(days=1), datetime.min.time()),
        "row_count_collapse_floor": int(median * COLLAPSE_FAIL_RATIO),
        "row_count_drop_floor": int(median * DROP_WARN_RATIO),
        "known_ethnicity_labels": reference.seed_values("ethnicity_labels", "label"),
        "known_outcome_labels": reference.seed_values("outcome_labels", "label"),
    }


def latest_available(settings: Settings) -> str | None:
    """The newest month the API lists for the force (one availability request)."""
    months = months_available(http.fetch(settings, availability_url(settings)).content, force(settings))
    return months[-1] if months else None


SOURCE = Source(
    name=NAME,
    table=TABLE,
    suite="police_uk_stop_searches",
    dag="stop_search",
    variable="POLICE_UK_API_URL",
    default=API_DEFAULT,
    parse=parse,
    extension=landed_extension,
    description=__doc__.split("\n\n")[0],
    gate_view=gate_view,
    gate_parameters=gate_parameters,
    fetch=fetch,
    plan=plan,
    schedule="0 0 1 * *",
    # police.uk's archive starts December 2010 (street-level data); no month before it can come from police.uk
    period_kind="month",
    first_period="2010-12",
    # the API's published limit is 15 requests a second, bursts of 30
    pool=Pool("police_uk_api", 4, "police.uk API: at most 4 tasks sending requests at once (limit 15/s, bursts of 30)"),
    incremental_models=("int_stop_searches__located", "int_stop_searches__period_counts", "fct_stop_search",
                        "stop_search_by_force"),
    latest_available=latest_available,
    extra_variables=(
        ("POLICE_UK_ARCHIVE_URL", "", "bulk archive CSVs `YYYY-MM-<force>-stop-and-search.csv` for history the API no "
         "longer serves: files, URLs, directories (also `YYYY-MM/` inside), URLs ending `/`, or archive zips "
         "(the real archive: https://data.police.uk/data/archive/); with POLICE_UK_SCOPE=national, every force's CSVs of a "
         "month together: archive zips, URLs ending `/` (`<YYYY-MM>.zip` under them), or directories holding "
         "`<YYYY-MM>.zip` or `<YYYY-MM>/`"),
        ("POLICE_UK_FORCE", "metropolitan", "police.uk force id (scope `force`)"),
        ("POLICE_UK_SCOPE", "force", "`force`: POLICE_UK_FORCE's months from the API (the archive for older ones); "
         "`national`: every force's, one batch per month from the archive at POLICE_UK_ARCHIVE_URL (decision 0026)"),
    ),
)
