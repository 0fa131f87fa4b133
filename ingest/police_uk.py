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
"""

from __future__ import annotations

import csv
import io
import math
import re
import statistics
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

from ingest.core import http, periods, reference
from ingest.core.config import Settings
from ingest.core.contract import Column, Table
from ingest.core.errors import SourceFormatError
from ingest.core.formats import decode_json, decode_text, refuse_html
from ingest.core.source import Batch, GateContext, Plan, Reader, Source

NAME = "police_uk_stop_search"
AVAILABILITY = "police_uk_availability"  # raw-zone name of the /crimes-street-dates answers
API_DEFAULT = "https://data.police.uk/api"

TABLE = Table(
    "police_uk_stop_searches",
    "One row per published stop and search record (police.uk API JSON or archive CSV); labels, "
    "coordinates and datetimes kept as published text.",
    (
        Column("source_format", "VARCHAR", "`api` (stops-force JSON) or `archive_csv` (bulk archive CSV)."),
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
ARCHIVE_NAME = re.compile(r"(?P<period>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-stop-and-search\.csv$")

# Record-count gate on a month against the median of the trailing loaded months.
TRAILING_MONTHS = 6
DROP_WARN_RATIO = 0.6  # fewer than 60% of the trailing median: warning
COLLAPSE_FAIL_RATIO = 0.25  # fewer than 25%: the batch fails


# --------------------------------------------------------------------------- where
def api_url(settings: Settings) -> str:
    return settings.get("POLICE_UK_API_URL", API_DEFAULT).rstrip("/")


def force(settings: Settings) -> str:
    return settings.get("POLICE_UK_FORCE", "metropolitan")


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


def period_from_archive_name(name: str) -> str | None:
    match = ARCHIVE_NAME.search(Path(name).name)
    return match.group("period") if match else None


# --------------------------------------------------------------------------- plan and fetch
def months_available(content: bytes, force_id: str) -> list[str]:
    """Months (YYYY-MM, ascending) whose stop-and-search list names the force."""
    data = decode_json(content, what="police.uk crimes-street-dates")
    if not isinstance(data, list):
        raise SourceFormatError("police.uk crimes-street-dates: expected a JSON array")
    months = set()
    for entry in data:
        if not isinstance(entry, dict) or not periods.MONTH.match(str(entry.get("date", ""))):
            raise SourceFormatError(f"police.uk crimes-street-dates: unexpected entry {entry!r:.120}")
        if force_id in (entry.get("stop-and-search") or []):
            months.add(entry["date"])
    return sorted(months)


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
    today = datetime.now(timezone.utc).date().isoformat()
    months = read(AVAILABILITY, availability_url(settings), today, lambda content, _: months_available(content, force(settings)))
    window = set(periods.month_range(periods.add_months(month, 1 - max(1, lookback)), month))
    plans = [Plan(m, (month_url(settings, m),), via="api") for m in months if m in window]
    latest = months[-1] if months else "none"
    if month not in months:
        candidates = archive_candidates(settings, month)
        if candidates:
            plans.append(Plan(month, tuple(candidates), via="archive", note=f"API latest {latest}"))
        else:
            plans.append(Plan(month, (), note=f"not published for force {force(settings)} (API latest {latest}; no archive file configured)"))
    return sorted(plans, key=lambda p: p.period)


def fetch(settings: Settings, location: str) -> http.Fetched:
    """An API month, an archive CSV (a 404 is an answer: try the next candidate), or `<zip>!<member>`."""
    if "!" in location and location.split("!", 1)[0].endswith(".zip"):
        zip_loc, member = location.split("!", 1)
        archive = http.fetch(settings, zip_loc)
        with zipfile.ZipFile(io.BytesIO(archive.content)) as zf:
            names = [n for n in zf.namelist() if n.endswith(member.rsplit("/", 1)[-1])]
            if not names:
                return http.Fetched(location, b"", 404, "", archive.fetched_at)
            return http.Fetched(f"{zip_loc}!{names[0]}", zf.read(names[0]), 200, "text/csv", archive.fetched_at)
    return http.fetch(settings, location, not_found_ok=location.endswith(".csv"))


# --------------------------------------------------------------------------- parse
def _text(value: object) -> str | None:
    """Published text as is; blanks and JSON false/null become null."""
    if value is None or value is False:
        return None
    text = str(value)
    return text if text.strip() else None


def _coordinate(value: object, what: str) -> str | None:
    """A coordinate as published text; anything but a finite number (or nothing) is a format error."""
    text = _text(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        raise SourceFormatError(f"{what}: coordinate {text!r} is not a number") from None
    if not math.isfinite(number):
        raise SourceFormatError(f"{what}: coordinate {text!r} is not a finite number")
    return text


def _bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    text = str(value).strip().lower()
    if text == "true":
        return True
    if text == "false":
        return False
    if text == "":
        return None
    raise ValueError(f"not a boolean: {value!r}")


def _frame(rows: list[dict]):
    import pandas as pd

    return pd.DataFrame(rows, columns=TABLE.parsed_column_names, dtype=object)


def parse_api_records(content: bytes, *, period: str):
    """Flatten one `/stops-force` response into raw.police_uk_stop_searches rows."""
    data = decode_json(content, what=f"police.uk stops-force {period}")
    if not isinstance(data, list):
        raise SourceFormatError(f"police.uk stops-force {period}: expected a JSON array, got {type(data).__name__}")
    rows = []
    for i, rec in enumerate(data):
        if not isinstance(rec, dict):
            raise SourceFormatError(f"police.uk stops-force {period}: record {i} is not an object")
        location = rec.get("location") or {}
        street = location.get("street") or {}
        outcome_object = rec.get("outcome_object") or {}
        rows.append(
            {
                "source_format": "api",
                "record_index": i,
                "type": _text(rec.get("type")),
                "datetime": _text(rec.get("datetime")),
                "involved_person": _bool(rec.get("involved_person")),
                "operation": _bool(rec.get("operation")),
                "operation_name": _text(rec.get("operation_name")),
                "latitude": _coordinate(location.get("latitude"), f"police.uk stops-force {period} record {i}"),
                "longitude": _coordinate(location.get("longitude"), f"police.uk stops-force {period} record {i}"),
                "street_id": street.get("id"),
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


def parse_archive_csv(content: bytes, *, period: str):
    """Flatten one archive CSV (`YYYY-MM-<force>-stop-and-search.csv`) into the same rows."""
    refuse_html(content, what=f"police.uk archive {period}", expected="CSV")
    text = decode_text(content, what=f"police.uk archive {period}")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header != ARCHIVE_HEADER:
        raise SourceFormatError(f"police.uk archive {period}: unexpected header {header!r}; expected {ARCHIVE_HEADER!r}")
    rows = []
    for i, values in enumerate(reader):
        if len(values) != len(ARCHIVE_HEADER):
            raise SourceFormatError(
                f"police.uk archive {period}: line {i + 2} has {len(values)} fields, expected {len(ARCHIVE_HEADER)}"
            )
        rec = dict(zip(ARCHIVE_HEADER, values))
        try:
            rows.append(
                {
                    "source_format": "archive_csv",
                    "record_index": i,
                    "type": _text(rec["Type"]),
                    "datetime": _text(rec["Date"]),
                    "involved_person": None,
                    "operation": _bool(rec["Part of a policing operation"]),
                    "operation_name": _text(rec["Policing operation"]),
                    "latitude": _coordinate(rec["Latitude"], f"police.uk archive {period} line {i + 2}"),
                    "longitude": _coordinate(rec["Longitude"], f"police.uk archive {period} line {i + 2}"),
                    "street_id": None,
                    "street_name": None,
                    "gender": _text(rec["Gender"]),
                    "age_range": _text(rec["Age range"]),
                    "self_defined_ethnicity": _text(rec["Self-defined ethnicity"]),
                    "officer_defined_ethnicity": _text(rec["Officer-defined ethnicity"]),
                    "legislation": _text(rec["Legislation"]),
                    "object_of_search": _text(rec["Object of search"]),
                    "outcome": _text(rec["Outcome"]),
                    "outcome_id": None,
                    "outcome_linked_to_object_of_search": _bool(rec["Outcome linked to object of search"]),
                    "removal_of_more_than_outer_clothing": _bool(rec["Removal of more than just outer clothing"]),
                }
            )
        except ValueError as exc:
            raise SourceFormatError(f"police.uk archive {period}: line {i + 2}: {exc}") from exc
    return _frame(rows)


def parse(content: bytes, *, location: str, period: str | None) -> list[Batch]:
    """One month from the API (JSON) or the archive (a `.csv` location)."""
    if period is None:
        raise ValueError("police.uk stop and search is loaded one month at a time")
    if http.file_name(location).endswith(".csv"):
        return [Batch(period, parse_archive_csv(content, period=period))]
    return [Batch(period, parse_api_records(content, period=period))]


# --------------------------------------------------------------------------- gate
def gate_view(frame):
    """The batch as the gate sees it: published text plus parsed numbers and times."""
    import pandas as pd

    view = frame.copy()
    view["latitude_value"] = pd.to_numeric(view["latitude"], errors="coerce")
    view["longitude_value"] = pd.to_numeric(view["longitude"], errors="coerce")
    view["datetime_utc"] = pd.to_datetime(view["datetime"], utc=True, errors="coerce").dt.tz_localize(None)
    return view


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


SOURCE = Source(
    name=NAME,
    table=TABLE,
    suite="police_uk_stop_searches",
    dag="stop_search",
    variable="POLICE_UK_API_URL",
    default=API_DEFAULT,
    parse=parse,
    extension="json",
    description=__doc__.split("\n\n")[0],
    gate_view=gate_view,
    gate_parameters=gate_parameters,
    fetch=fetch,
    plan=plan,
    schedule="0 0 1 * *",
    extra_variables=(
        ("POLICE_UK_ARCHIVE_URL", "", "bulk archive CSVs `YYYY-MM-<force>-stop-and-search.csv` for history the API no "
         "longer serves: files, URLs, directories (also `YYYY-MM/` inside), URLs ending `/`, or archive zips "
         "(the real archive: https://data.police.uk/data/archive/)"),
        ("POLICE_UK_FORCE", "metropolitan", "police.uk force id"),
    ),
)
