"""police.uk stop and search: availability, monthly API responses and archive CSVs.

The API (`POLICE_UK_API_URL`) says which months it holds in
`/crimes-street-dates` (a month counts when its `stop-and-search` list names
the force) and serves a month at `/stops-force?force=<force>&date=YYYY-MM`.
History the API no longer serves comes from the bulk archive CSVs
(`YYYY-MM-<force>-stop-and-search.csv`, `POLICE_UK_ARCHIVE_URL`: files, URLs,
directories or the archive's zip files). Both formats are flattened here into
the one row shape of `raw.police_uk_stop_searches` (warehouse/schemas.py),
labels untouched: mapping vocabularies is dbt staging's job, and noticing a
new label is the gate's.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd

from ingest.http import Fetched, SourceFormatError, fetch_configured, is_remote, local_path
from warehouse.config import Settings
from warehouse.schemas import column_names

SOURCE = "police_uk_stop_search"
AVAILABILITY_SOURCE = "police_uk_availability"
TABLE = "police_uk_stop_searches"

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
MONTH = re.compile(r"^\d{4}-\d{2}$")


def availability_url(settings: Settings) -> str:
    return f"{settings.police_uk_api_url}/crimes-street-dates"


def month_url(settings: Settings, month: str) -> str:
    query = urlencode({"force": settings.police_uk_force, "date": month})
    return f"{settings.police_uk_api_url}/stops-force?{query}"


def decode_json(content: bytes, *, what: str, content_type: str = "") -> object:
    """Parse a JSON response, refusing HTML error pages and truncated bodies by name."""
    head = content[:512].lstrip().lower()
    if "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html", b"<")):
        raise SourceFormatError(f"{what}: got an HTML page instead of JSON ({len(content)} bytes)")
    try:
        return json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceFormatError(
            f"{what}: invalid or truncated JSON ({len(content)} bytes): {exc}"
        ) from exc


def fetch_availability(settings: Settings) -> Fetched:
    return fetch_configured(settings, availability_url(settings))


def months_available(content: bytes, force: str, *, content_type: str = "") -> list[str]:
    """Months (YYYY-MM, ascending) whose stop-and-search list names the force."""
    data = decode_json(content, what="police.uk crimes-street-dates", content_type=content_type)
    if not isinstance(data, list):
        raise SourceFormatError("police.uk crimes-street-dates: expected a JSON array")
    months = set()
    for entry in data:
        if not isinstance(entry, dict) or not MONTH.match(str(entry.get("date", ""))):
            raise SourceFormatError(f"police.uk crimes-street-dates: unexpected entry {entry!r:.120}")
        if force in (entry.get("stop-and-search") or []):
            months.add(entry["date"])
    return sorted(months)


def fetch_month(settings: Settings, month: str) -> Fetched:
    return fetch_configured(settings, month_url(settings, month))


def _text(value: object) -> str | None:
    """Published text as is; blanks and JSON false/null become null."""
    if value is None or value is False:
        return None
    text = str(value)
    return text if text.strip() else None


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


def _frame(rows: list[dict]) -> pd.DataFrame:
    cols = column_names(TABLE)
    frame = pd.DataFrame(rows, columns=cols, dtype=object)
    return frame


def parse_api_records(content: bytes, *, period: str, batch_id: str, loaded_at: str, content_type: str = "") -> pd.DataFrame:
    """Flatten one `/stops-force` response into raw.police_uk_stop_searches rows."""
    data = decode_json(content, what=f"police.uk stops-force {period}", content_type=content_type)
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
                "period": period,
                "source_format": "api",
                "batch_id": batch_id,
                "record_index": i,
                "type": _text(rec.get("type")),
                "datetime": _text(rec.get("datetime")),
                "involved_person": _bool(rec.get("involved_person")),
                "operation": _bool(rec.get("operation")),
                "operation_name": _text(rec.get("operation_name")),
                "latitude": _text(location.get("latitude")),
                "longitude": _text(location.get("longitude")),
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
                "loaded_at": loaded_at,
            }
        )
    return _frame(rows)


def parse_archive_csv(content: bytes, *, period: str, batch_id: str, loaded_at: str) -> pd.DataFrame:
    """Flatten one archive CSV (`YYYY-MM-<force>-stop-and-search.csv`) into the same rows."""
    head = content[:512].lstrip().lower()
    if head.startswith(b"<"):
        raise SourceFormatError(f"police.uk archive {period}: got an HTML page instead of CSV")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"police.uk archive {period}: not UTF-8 text: {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header != ARCHIVE_HEADER:
        raise SourceFormatError(
            f"police.uk archive {period}: unexpected header {header!r}; expected {ARCHIVE_HEADER!r}"
        )
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
                    "period": period,
                    "source_format": "archive_csv",
                    "batch_id": batch_id,
                    "record_index": i,
                    "type": _text(rec["Type"]),
                    "datetime": _text(rec["Date"]),
                    "involved_person": None,
                    "operation": _bool(rec["Part of a policing operation"]),
                    "operation_name": _text(rec["Policing operation"]),
                    "latitude": _text(rec["Latitude"]),
                    "longitude": _text(rec["Longitude"]),
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
                    "loaded_at": loaded_at,
                }
            )
        except ValueError as exc:
            raise SourceFormatError(f"police.uk archive {period}: line {i + 2}: {exc}") from exc
    return _frame(rows)


def archive_candidates(settings: Settings, month: str) -> list[str]:
    """Where the archive CSV for `month` may be, in configuration order.

    Each configured location is a CSV file or URL (used when its name is the
    month's), a local directory (searched for the file name, also inside a
    `YYYY-MM/` folder as the archive unpacks), a URL ending in `/` (same
    layout), or a zip of the archive (`<zip>!<member>`).
    """
    name = f"{month}-{settings.police_uk_force}-stop-and-search.csv"
    found: list[str] = []
    for loc in settings.police_uk_archive_urls:
        if loc.endswith(".zip"):
            found.append(f"{loc}!{month}/{name}")
        elif loc.endswith(".csv"):
            if loc.rsplit("/", 1)[-1] == name:
                found.append(loc)
        elif is_remote(loc):
            base = loc if loc.endswith("/") else loc + "/"
            found.append(f"{base}{month}/{name}")
        else:
            root = local_path(loc)
            for candidate in (root / name, root / month / name):
                if candidate.is_file():
                    found.append(str(candidate))
    return found


def fetch_archive(settings: Settings, location: str) -> Fetched:
    """Fetch an archive CSV; `<zip>!<member>` reads one member of an archive zip."""
    if "!" in location and location.split("!", 1)[0].endswith(".zip"):
        zip_loc, member = location.split("!", 1)
        archive = fetch_configured(settings, zip_loc)
        with zipfile.ZipFile(io.BytesIO(archive.content)) as zf:
            names = [n for n in zf.namelist() if n.endswith(member.rsplit("/", 1)[-1])]
            if not names:
                raise SourceFormatError(f"{zip_loc}: no member named {member}")
            return Fetched(f"{zip_loc}!{names[0]}", zf.read(names[0]), 200, "text/csv", archive.fetched_at)
    return fetch_configured(settings, location, not_found_ok=True)


def period_from_archive_name(name: str) -> str | None:
    match = ARCHIVE_NAME.search(Path(name).name)
    return match.group("period") if match else None
