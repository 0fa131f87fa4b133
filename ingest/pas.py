"""MOPAC Public Attitude Survey (PAS): dashboard, neighbourhood indicators, microdata.

Three sources, each parsed here into the rows of its `raw.pas_*` table
(warehouse/schemas.py):

* the trust and confidence dashboard (`PAS_DASHBOARD_URL`): the published
  workbook (sheets `MPS` and `Borough`) or CSV exports of its sheets as they
  circulate (`;`-separated with decimal commas). The format is detected from
  the bytes (xlsx zip signature, then the CSV's delimiter and decimal mark)
  and stated in the batch; anything ambiguous is refused, never guessed;
* the neighbourhood indicators by ethnic group (`PAS_NEIGHBOURHOOD_URL`): a
  CSV with a BOM and three header rows, turned into long form with
  suppressed (blank) cells kept as nulls;
* respondent-level microdata (`PAS_MICRODATA_URL`, one CSV per financial
  year), whose column names change between years: all known names are kept
  side by side and staging maps them to one schema.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from ingest.http import Fetched, SourceFormatError, fetch_configured, is_remote, local_path
from warehouse.schemas import column_names

DASHBOARD_SOURCE = "pas_dashboard"
NEIGHBOURHOOD_SOURCE = "pas_neighbourhood"
MICRODATA_SOURCE = "pas_microdata"

DASHBOARD_HEADER = ["Date", "Survey", "Borough", "Measure", "Proportion"]
SHEETS = ("MPS", "Borough")

# Microdata columns as released (any year), mapped to raw.pas_microdata names.
MICRODATA_COLUMNS = {
    "SERIAL": "serial",
    "MONTH": "month",
    "C2": "c2",
    "BOROUGHNEIGHBOURHOODCODED": "boroughneighbourhoodcoded",
    "Borough": "borough",
    "NQ147r": "nq147r",
    "ReNQ147": "renq147",
    "ReNNQ147": "rennq147",
    "NQ135BD": "nq135bd",
    "Q60": "q60",
    "Q61": "q61",
    "Q62A": "q62a",
    "Q62C": "q62c",
    "Q62TG": "q62tg",
    "WT_Discrete": "wt_discrete",
}
MICRODATA_REQUIRED = {"SERIAL", "MONTH", "NQ135BD", "Q60", "Q61", "Q62A", "Q62C", "Q62TG"}
MONTH_TEXT = re.compile(r"\((?P<mon>[A-Za-z]{3}) (?P<year>\d{4})\)")
XLSX_SIGNATURE = b"PK\x03\x04"


# --------------------------------------------------------------------------- dashboard
def detect_dashboard_format(content: bytes) -> str:
    """'xlsx' or 'csv'; raises SourceFormatError for anything else."""
    if content.startswith(XLSX_SIGNATURE):
        return "xlsx"
    head = content[:4096].lstrip()
    if head.startswith(b"<"):
        raise SourceFormatError("PAS dashboard: got an HTML page, not a workbook or CSV")
    first_line = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    if first_line.replace('"', "").startswith("Date") and ("Proportion" in first_line):
        return "csv"
    raise SourceFormatError(f"PAS dashboard: neither an xlsx workbook nor a CSV export with a Date..Proportion header: {first_line[:120]!r}")


def _parse_date(value: object, where: str) -> tuple[str, date]:
    if isinstance(value, datetime):
        return value.date().isoformat(), value.date()
    if isinstance(value, date):
        return value.isoformat(), value
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S"):
        try:
            return text, datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise SourceFormatError(f"{where}: unreadable date {text!r} (expected dd/mm/YYYY)")


def _parse_number(value: object, decimal: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    if decimal == ",":
        if "." in text:
            raise SourceFormatError(f"{where}: {text!r} mixes decimal marks in a decimal-comma file")
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError as exc:
        raise SourceFormatError(f"{where}: not a number {value!r}") from exc


def _sheet_of(header: list[str], boroughs: set[str]) -> str:
    """Which sheet a table is: the Borough sheet has the extra `MPS` column."""
    if header[: len(DASHBOARD_HEADER)] != DASHBOARD_HEADER:
        raise SourceFormatError(f"PAS dashboard: header {header!r} is not {DASHBOARD_HEADER!r}[+ MPS]")
    if header == DASHBOARD_HEADER and boroughs <= {"MPS"}:
        return "MPS"
    if header == DASHBOARD_HEADER + ["MPS"] and "MPS" not in boroughs:
        return "Borough"
    raise SourceFormatError(f"PAS dashboard: cannot tell the sheet (header {header!r}, boroughs {sorted(boroughs)[:3]}...)")


def _dashboard_rows(sheet: str, records: list[list], *, decimal: str, fmt: str, batch_id: str, loaded_at: str, where: str) -> list[dict]:
    rows = []
    for i, rec in enumerate(records):
        line = f"{where} row {i + 2}"
        date_text, quarter_end = _parse_date(rec[0], line)
        rows.append(
            {
                "period": sheet,
                "batch_id": batch_id,
                "source_format": fmt,
                "row_index": i,
                "date_text": date_text,
                "quarter_end": quarter_end,
                "survey": None if rec[1] is None else str(rec[1]),
                "borough": None if rec[2] is None else str(rec[2]),
                "measure": None if rec[3] is None else str(rec[3]),
                "proportion": _parse_number(rec[4], decimal, line),
                "mps_proportion": _parse_number(rec[5], decimal, line) if len(rec) > 5 else None,
                "loaded_at": loaded_at,
            }
        )
    return rows


def _csv_decimal_mark(rows: list[list[str]]) -> str:
    """',' when numbers use decimal commas, '.' when points; refuse a mix."""
    marks = set()
    for rec in rows[:500]:
        value = rec[4].strip() if len(rec) > 4 else ""
        if re.fullmatch(r"-?\d+,\d+", value):
            marks.add(",")
        elif re.fullmatch(r"-?\d+\.\d+", value):
            marks.add(".")
    if len(marks) > 1:
        raise SourceFormatError("PAS dashboard CSV: both decimal commas and points in Proportion; refusing to guess")
    return marks.pop() if marks else "."


def parse_dashboard(content: bytes, *, batch_id: str, loaded_at: str, name: str = "") -> dict[str, pd.DataFrame]:
    """Parse a workbook (both sheets) or one CSV export; returns {sheet: rows}."""
    fmt = detect_dashboard_format(content)
    cols = column_names("pas_dashboard")
    out: dict[str, pd.DataFrame] = {}
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        missing = [s for s in SHEETS if s not in book.sheetnames]
        if missing:
            raise SourceFormatError(f"PAS dashboard workbook {name}: no sheet(s) {missing} (has {book.sheetnames})")
        for sheet in SHEETS:
            values = [list(r) for r in book[sheet].iter_rows(values_only=True) if any(v is not None for v in r)]
            header = [str(v) for v in values[0] if v is not None]
            records = values[1:]
            found = _sheet_of(header, {str(r[2]) for r in records})
            if found != sheet:
                raise SourceFormatError(f"PAS dashboard workbook {name}: sheet {sheet} looks like {found}")
            rows = _dashboard_rows(sheet, records, decimal=".", fmt="xlsx", batch_id=batch_id, loaded_at=loaded_at, where=f"{name}[{sheet}]")
            out[sheet] = pd.DataFrame(rows, columns=cols, dtype=object)
        book.close()
        return out

    text = content.decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= 4 else ","
    if first.count(delimiter) < 4:
        raise SourceFormatError(f"PAS dashboard CSV {name}: cannot find the delimiter in {first!r}")
    table = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r]
    header, records = table[0], table[1:]
    decimal = _csv_decimal_mark(records)
    if delimiter == "," and decimal == ",":
        raise SourceFormatError(f"PAS dashboard CSV {name}: comma-delimited with decimal commas is ambiguous")
    sheet = _sheet_of(header, {r[2] for r in records})
    rows = _dashboard_rows(sheet, records, decimal=decimal, fmt="csv", batch_id=batch_id, loaded_at=loaded_at, where=name or "CSV")
    out[sheet] = pd.DataFrame(rows, columns=cols, dtype=object)
    return out


# --------------------------------------------------------------------------- neighbourhood
def parse_neighbourhood(content: bytes, *, period: str, batch_id: str, loaded_at: str) -> pd.DataFrame:
    """Three header rows (question / group / definition) → one row per cell; blanks stay null."""
    if content[:512].lstrip().startswith(b"<"):
        raise SourceFormatError("PAS neighbourhood indicators: got an HTML page instead of CSV")
    text = content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text, newline="")))
    if len(table) < 4:
        raise SourceFormatError("PAS neighbourhood indicators: fewer than three header rows and one data row")
    questions, groups, definitions = table[0], table[1], table[2]
    if questions[0].strip().lower() != "neighbourhood" or not (len(questions) == len(groups) == len(definitions)):
        raise SourceFormatError(
            f"PAS neighbourhood indicators: expected header rows question/group/definition starting 'neighbourhood', got {questions[:2]!r}"
        )
    rows = []
    for i, rec in enumerate(r for r in table[3:] if any(c.strip() for c in r)):
        if len(rec) != len(questions):
            raise SourceFormatError(f"PAS neighbourhood indicators: data row {i + 4} has {len(rec)} cells, header {len(questions)}")
        for j in range(1, len(questions)):
            cell = rec[j].strip()
            try:
                value = int(cell) if cell else None
            except ValueError as exc:
                raise SourceFormatError(f"PAS neighbourhood indicators: row {i + 4} column {j + 1}: {cell!r} is not an integer percentage") from exc
            rows.append(
                {
                    "period": period,
                    "batch_id": batch_id,
                    "row_index": i,
                    "neighbourhood": rec[0].strip(),
                    "question": questions[j].strip(),
                    "ethnic_group": groups[j].strip(),
                    "measure_definition": definitions[j].strip(),
                    "percentage": value,
                    "loaded_at": loaded_at,
                }
            )
    return pd.DataFrame(rows, columns=column_names("pas_neighbourhood"), dtype=object)


def neighbourhood_period(name: str) -> str:
    match = re.search(r"(\d{4}-\d{2}_to_\d{4}-\d{2})", name)
    return match.group(1) if match else "current"


# --------------------------------------------------------------------------- microdata
def financial_year(month_text: str) -> str:
    """'FY 15/16 - Month 01 (Apr 2015)' → '2015-16' (April to March)."""
    match = MONTH_TEXT.search(month_text or "")
    if not match:
        raise SourceFormatError(f"PAS microdata: MONTH {month_text!r} has no '(Mon YYYY)'")
    month = datetime.strptime(f"{match['mon']} {match['year']}", "%b %Y")
    start = month.year if month.month >= 4 else month.year - 1
    return f"{start}-{str(start + 1)[2:]}"


def parse_microdata(content: bytes, *, batch_id: str, loaded_at: str, name: str = "") -> tuple[str, pd.DataFrame]:
    """One release file (one financial year) → (period, rows with every known column)."""
    if content[:512].lstrip().startswith(b"<"):
        raise SourceFormatError(f"PAS microdata {name}: got an HTML page instead of CSV")
    text = content.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    unknown = [h for h in header if h not in MICRODATA_COLUMNS]
    missing = MICRODATA_REQUIRED - set(header)
    if unknown or missing:
        raise SourceFormatError(f"PAS microdata {name}: unknown columns {unknown}, missing {sorted(missing)}")
    if not ({"C2", "BOROUGHNEIGHBOURHOODCODED", "Borough"} & set(header)):
        raise SourceFormatError(f"PAS microdata {name}: no borough column (C2, BOROUGHNEIGHBOURHOODCODED or Borough)")
    if not ({"NQ147r", "ReNQ147", "ReNNQ147"} & set(header)):
        raise SourceFormatError(f"PAS microdata {name}: no ethnicity column (NQ147r, ReNQ147 or ReNNQ147)")
    integer_cols = {"nq147r", "renq147", "rennq147", "nq135bd", "q60", "q61", "q62a", "q62c", "q62tg"}
    rows, years = [], set()
    for i, rec in enumerate(reader):
        row = {c: None for c in column_names("pas_microdata")}
        row.update(batch_id=batch_id, row_index=i, loaded_at=loaded_at)
        for original, value in rec.items():
            target = MICRODATA_COLUMNS[original]
            value = (value or "").strip()
            if not value:
                continue
            try:
                if target in integer_cols:
                    row[target] = int(float(value))
                elif target == "wt_discrete":
                    row[target] = float(value)
                else:
                    row[target] = value
            except ValueError as exc:
                raise SourceFormatError(f"PAS microdata {name}: line {i + 2} {original}={value!r} is not a number") from exc
        years.add(financial_year(row["month"]))
        rows.append(row)
    if len(years) > 1:
        raise SourceFormatError(f"PAS microdata {name}: interviews from several financial years {sorted(years)}; expected one per file")
    period = years.pop() if years else (re.search(r"(\d{4}-\d{2})", name).group(1) if re.search(r"(\d{4}-\d{2})", name) else "unknown")
    frame = pd.DataFrame(rows, columns=column_names("pas_microdata"), dtype=object)
    frame["period"] = period
    return period, frame


def file_name(location: str) -> str:
    return Path(location.split("?", 1)[0]).name


def fetch_location(settings, location: str) -> Fetched:
    return fetch_configured(settings, location)


def expand_locations(locations: tuple[str, ...], *, suffix: str) -> list[str]:
    """Files and URLs as given; a local directory stands for its `*<suffix>` files, sorted."""
    found: list[str] = []
    for loc in locations:
        if not is_remote(loc) and local_path(loc).is_dir():
            found.extend(str(p) for p in sorted(local_path(loc).glob(f"*{suffix}")))
        else:
            found.append(loc)
    return found
