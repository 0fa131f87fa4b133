"""MOPAC Public Attitude Survey (PAS) trust and confidence dashboard: the workbook or its sheet CSVs.

The published workbook (sheets `MPS` and `Borough`) is found through the
London Datastore's catalogue (`LONDON_DATASTORE_URL`): MOPAC renames it each
quarter (`PAS_T&Cdashboard_to Q3 23-24.xlsx`), so the newest one the
`mopac-surveys` dataset lists is read. `PAS_DASHBOARD_URL` pins the workbook
or one or more CSV exports of its sheets, as they circulate. The format is
detected from the bytes, never guessed: an xlsx zip, or a CSV whose header is
`Date, Survey, Borough, Measure, Proportion[, MPS]`, separated by `;` or `,`.
Every export whose reading is unambiguous under CSV quoting rules is read:
`;` with decimal commas, `,` with decimal commas inside quotes (`"0,56"`) or
decimal points, day/month/year dates with or without zero padding, a BOM or
none, CRLF or LF, trailing empty columns, and a measure spelt with other case
or spacing (read as the dashboard's own spelling). A comma-separated file with
unquoted decimal commas cannot be read unambiguously and is refused. Each
sheet is a batch (its period is the sheet's name), in long form.

Columns whose header cell is empty (after the named ones: `...;MPS;;;;`) are
unnamed: a value typed there, such as a note beside one row (`check with
MOPAC`), is not data. It is dropped, and the batch carries a warning naming
the rows and values (the first few, and a count of the rest); the same holds
for a workbook's cells under an empty header cell. A value under a named
column is read and must parse, and a CSV row with a value beyond the header's
last cell is refused, with the header's width (its cells, and how many are
named). In a comma-separated file a number in the first unnamed column (right
after the proportions) is the unquoted-decimal-comma ambiguity (`0,56` split
in two), not a note, and is refused as such.
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import date, datetime

from ingest.core import numbers, reference
from ingest.core.contract import Column, Table
from ingest.core.discovery import MOPAC_SURVEYS, Catalogue
from ingest.core.errors import SourceFormatError
from ingest.core.formats import decode_text, refuse_html
from ingest.core.source import Batch, GateContext, Source

HEADER = ("Date", "Survey", "Borough", "Measure", "Proportion")
SHEETS = ("MPS", "Borough")
XLSX_SIGNATURE = b"PK\x03\x04"
# The dashboard's measures, spelt as MOPAC spells them (the gate's known set).
MEASURES = (
    '"Good Job" local',
    "Contact ward officer",
    "Informed local",
    "Listen to concerns",
    "Relied on to be there",
    "Treat everyone fairly",
    "Trust MPS",
    "Understand issues",
)
_MEASURE_SPELLINGS = {reference.squash(m): m for m in MEASURES}
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S")
_NUMERIC = re.compile(r"-?\d+(?:[.,]\d*)?")
_WARNED_ROWS = 5  # rows named in a warning; the rest are counted
_WARNED_CHARS = 60  # of one value quoted in a warning

TABLE = Table(
    "pas_dashboard",
    "The dashboard's MPS and Borough sheets in long form, one row per published (quarter end, area, "
    "measure): rolling-12-month proportions; `period` is the sheet.",
    (
        Column("source_format", "VARCHAR", "`xlsx` or `csv`: the format detected from the bytes."),
        Column("row_index", "INTEGER", "0-based data row of the sheet."),
        Column("date_text", "VARCHAR", "The date as published (`31/03/2016`, or the workbook cell's ISO date)."),
        Column("quarter_end", "DATE", "The date parsed, day first."),
        Column("survey", "VARCHAR", "As published (`PAS`)."),
        Column("borough", "VARCHAR", "`MPS` or the borough as MOPAC writes it (`City of Westminster`)."),
        Column("measure", "VARCHAR", "As published, read as the dashboard's spelling when it differs only in case or spacing."),
        Column("proportion", "DOUBLE", "The proportion, 0-1 (decimal commas read); the gate checks the range."),
        Column("mps_proportion", "DOUBLE", "Borough sheet only: the MPS figure printed beside it."),
    ),
    dbt=("pas", "dashboard"),
)


# --------------------------------------------------------------------------- detection
def detect_format(content: bytes) -> str:
    """'xlsx' or 'csv'; raises SourceFormatError for anything else."""
    if content.startswith(XLSX_SIGNATURE):
        return "xlsx"
    refuse_html(content, what="PAS dashboard", expected="a workbook or CSV")
    first_line = content[:4096].split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    if _header_cells(first_line) is None:
        raise SourceFormatError(
            f"PAS dashboard: neither an xlsx workbook nor a CSV export with a Date..Proportion header: {first_line[:120]!r}"
        )
    return "csv"


def _named(cells: list) -> list[str]:
    """The header cells up to the last non-empty one (stripped); the empty cells after it are unnamed columns."""
    named = ["" if c is None else str(c).strip() for c in cells]
    while named and not named[-1]:
        named.pop()
    return named


def _is_header(named: list[str]) -> bool:
    return tuple(c.casefold() for c in named[: len(HEADER)]) == tuple(h.casefold() for h in HEADER)


def _header_cells(first_line: str) -> tuple[str, int, list[str]] | None:
    """(delimiter, the header's width in cells, its named cells) when the line is the dashboard's header, split by `;` or `,`."""
    for delimiter in (";", ","):
        cells = next(csv.reader([first_line.strip("\r\n")], delimiter=delimiter), [])
        named = _named(cells)
        if _is_header(named):
            return delimiter, len(cells), named
    return None


def _unnamed_warning(dropped: list[tuple[int, list]]) -> tuple[str, ...]:
    """The warning for values dropped from unnamed columns: (row number, values) of each row, the first few named."""
    if not dropped:
        return ()

    def show(value) -> str:
        text = value if isinstance(value, str) else str(value)
        return repr(text if len(text) <= _WARNED_CHARS else text[:_WARNED_CHARS] + "...")

    listed = "; ".join(f"row {n:,} ({', '.join(show(v) for v in values)})" for n, values in dropped[:_WARNED_ROWS])
    rest = len(dropped) - _WARNED_ROWS
    more = f"; and {rest:,} more row{'s' if rest > 1 else ''}" if rest > 0 else ""
    return (f"values under unnamed columns dropped: {listed}{more}",)


# --------------------------------------------------------------------------- values
def _parse_date(value: object, where: str) -> tuple[str, date]:
    if isinstance(value, datetime):
        return value.date().isoformat(), value.date()
    if isinstance(value, date):
        return value.isoformat(), value
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return text, datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise SourceFormatError(f"{where}: unreadable date {text!r} (expected day/month/year)")


def _parse_number(value: object, decimal: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise SourceFormatError(f"{where}: {value!r} is not a finite number")
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    if decimal == ",":
        if "." in text:
            raise SourceFormatError(f"{where}: {text!r} mixes decimal marks in a decimal-comma file")
        text = text.replace(",", ".")
    # strictly (ingest.core.numbers): ASCII digits, sign, decimal point; no exponent, no other script's digits
    if not numbers.is_number(text, sign=True, fraction=True):
        raise SourceFormatError(f"{where}: not a number {value!r} (ASCII digits, a sign and a decimal point only; no exponent)")
    return numbers.parse_number(text, what=where, sign=True, fraction=True)


def _decimal_mark(records: list[list[str]], columns: range) -> str:
    """',' when numbers use decimal commas, '.' when points; refuse a mix."""
    marks = set()
    for rec in records:
        for j in columns:
            value = rec[j].strip() if j < len(rec) and rec[j] else ""
            if re.fullmatch(r"-?\d+,\d+", value):
                marks.add(",")
            elif re.fullmatch(r"-?\d+\.\d+", value):
                marks.add(".")
    if len(marks) > 1:
        raise SourceFormatError("PAS dashboard CSV: both decimal commas and points in the proportions; refusing to guess")
    return marks.pop() if marks else "."


def canonical_measure(text: str | None) -> str | None:
    """The dashboard's spelling of a measure written with other case or spacing; unknown ones as published."""
    if text is None:
        return None
    return _MEASURE_SPELLINGS.get(reference.squash(text), text)


def _sheet_of(named: list[str], boroughs: set[str], where: str) -> str:
    """Which sheet a table is: the Borough sheet has the extra `MPS` column."""
    extra = [c.casefold() for c in named[len(HEADER):]]
    if not extra and boroughs <= {"MPS"}:
        return "MPS"
    if extra == ["mps"] and "MPS" not in boroughs:
        return "Borough"
    raise SourceFormatError(f"{where}: cannot tell the sheet (header {named!r}, areas {sorted(boroughs)[:3]}...)")


def _rows(records: list[list], numbers: list[int], *, width: int, decimal: str, fmt: str, where: str) -> list[dict]:
    """The records (each cut to the named columns), `numbers` their rows in the file or sheet."""
    rows = []
    for i, rec in enumerate(records):
        line = f"{where} row {numbers[i]:,}"
        date_text, quarter_end = _parse_date(rec[0], line)
        rows.append(
            {
                "source_format": fmt,
                "row_index": i,
                "date_text": date_text,
                "quarter_end": quarter_end,
                "survey": None if rec[1] is None else str(rec[1]).strip(),
                "borough": None if rec[2] is None else str(rec[2]).strip(),
                "measure": canonical_measure(None if rec[3] is None else str(rec[3])),
                "proportion": _parse_number(rec[4], decimal, line),
                "mps_proportion": _parse_number(rec[5], decimal, line) if width > 5 else None,
            }
        )
    return rows


# --------------------------------------------------------------------------- parse
def _parse_workbook(content: bytes, name: str) -> dict[str, tuple[list[dict], tuple[str, ...]]]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        missing = [s for s in SHEETS if s not in book.sheetnames]
        if missing:
            raise SourceFormatError(f"PAS dashboard workbook {name}: no sheet(s) {missing} (has {book.sheetnames})")
        out = {}
        for sheet in SHEETS:
            where = f"{name}[{sheet}]"
            values = [
                (number, list(r))
                for number, r in enumerate(book[sheet].iter_rows(values_only=True), start=1)  # from A1
                if any(not _blank(v) for v in r)
            ]
            if not values:
                raise SourceFormatError(f"{where}: the sheet is empty")
            named = _named(values[0][1])
            if not _is_header(named):
                raise SourceFormatError(f"{where}: header {named!r} is not {list(HEADER)!r}[+ MPS]")
            records, numbers, dropped = [], [], []
            for number, rec in values[1:]:
                rec = rec + [None] * (len(named) - len(rec))  # cells a sheet leaves out are empty
                unnamed = [v for v in rec[len(named):] if not _blank(v)]
                if unnamed:
                    dropped.append((number, unnamed))
                records.append(rec[: len(named)])
                numbers.append(number)
            found = _sheet_of(named, {str(r[2]).strip() for r in records}, where)
            if found != sheet:
                raise SourceFormatError(f"PAS dashboard workbook {name}: sheet {sheet} looks like {found}")
            rows = _rows(records, numbers, width=len(named), decimal=".", fmt="xlsx", where=where)
            out[sheet] = (rows, _unnamed_warning(dropped))
        return out
    finally:
        book.close()


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_AMBIGUOUS = "; decimal commas in a comma-separated file must be quoted (\"0,56\"), otherwise the file is ambiguous"


def _parse_csv(content: bytes, name: str) -> dict[str, tuple[list[dict], tuple[str, ...]]]:
    where = f"PAS dashboard CSV {name}".rstrip()
    text = decode_text(content, what=where)
    found = _header_cells(text.split("\n", 1)[0])
    if found is None:
        raise SourceFormatError(f"{where}: no Date..Proportion header separated by ';' or ','")
    delimiter, width, named = found
    header = f"a header of {width} cells ({len(named)} named)"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    records, numbers, dropped = [], [], []
    for number, rec in table[1:]:
        beyond = [c for c in rec[width:] if c.strip()]  # empty fields past the header are nothing
        if beyond or len(rec) < len(named):
            hint = _AMBIGUOUS if delimiter == "," and beyond else ""
            raise SourceFormatError(f"{where}: row {number:,} has {len(rec)} fields for {header}{hint}")
        unnamed = rec[len(named):width]
        if delimiter == "," and unnamed and _NUMERIC.fullmatch(unnamed[0].strip()):
            raise SourceFormatError(
                f"{where}: row {number:,} has the number {unnamed[0].strip()!r} in an unnamed column right after "
                f"the proportions ({len(rec)} fields for {header}){_AMBIGUOUS}"
            )
        unnamed = [c.strip() for c in unnamed if c.strip()]
        if unnamed:
            dropped.append((number, unnamed))
        records.append(rec[: len(named)])
        numbers.append(number)
    decimal = _decimal_mark(records, range(4, len(named)))
    sheet = _sheet_of(named, {r[2].strip() for r in records}, where)
    rows = _rows(records, numbers, width=len(named), decimal=decimal, fmt="csv", where=where)
    return {sheet: (rows, _unnamed_warning(dropped))}


def read_sheets(content: bytes, name: str = "") -> dict:
    """A workbook (both sheets) or one CSV export → {sheet: (rows of raw.pas_dashboard, warnings)}."""
    import pandas as pd

    parsed = _parse_workbook(content, name) if detect_format(content) == "xlsx" else _parse_csv(content, name)
    return {
        sheet: (pd.DataFrame(rows, columns=TABLE.parsed_column_names, dtype=object), warnings)
        for sheet, (rows, warnings) in parsed.items()
    }


def parse_sheets(content: bytes, name: str = "") -> dict:
    """A workbook (both sheets) or one CSV export → {sheet: rows of raw.pas_dashboard} (warnings: `read_sheets`)."""
    return {sheet: frame for sheet, (frame, _) in read_sheets(content, name).items()}


def parse(content: bytes, *, location: str, period: str | None) -> list[Batch]:
    from ingest.core.http import file_name

    return [
        Batch(sheet, frame, warnings=warnings)
        for sheet, (frame, warnings) in read_sheets(content, file_name(location)).items()
    ]


# --------------------------------------------------------------------------- gate
def gate_view(frame):
    """Borough spellings mapped to ONS names (MPS = London), and quarter checks."""
    import pandas as pd

    lookup = reference.borough_lookup()
    view = frame.copy()
    view["area"] = [("London" if b == "MPS" else lookup.get(str(b).lower())) for b in view["borough"]]
    ends = pd.to_datetime(view["quarter_end"])
    view["is_quarter_end"] = ends.dt.is_quarter_end.tolist()
    view["areas_in_quarter"] = view.groupby("quarter_end")["area"].transform("nunique")
    view["quarter_end"] = ends
    return view


def gate_parameters(context: GateContext) -> dict:
    """The areas the loaded sheet has must all still be there (a borough never silently drops out)."""
    previous: list[str] = []
    if context.serving_file:
        import duckdb

        lookup = reference.borough_lookup()
        published = duckdb.execute("select distinct borough from read_parquet(?)", [context.serving_file]).fetchall()
        previous = sorted({"London" if b == "MPS" else lookup.get(str(b).lower(), str(b)) for (b,) in published})
    return {
        "expected_areas_per_quarter": 32 if context.period == "Borough" else 1,
        "known_measures": list(MEASURES),
        "previous_areas": previous,
    }


def extension(content: bytes) -> str:
    return "xlsx" if content.startswith(XLSX_SIGNATURE) else "csv"


SOURCE = Source(
    freshness_sql="select 'figures up to the quarter ending', max(period_end) from marts.trust_confidence "
                  "where source = 'dashboard'",
    name="pas_dashboard",
    table=TABLE,
    suite="pas_dashboard",
    dag="pas",
    variable="PAS_DASHBOARD_URL",
    default="",
    parse=parse,
    extension=extension,
    description=__doc__.split("\n\n")[0],
    start="2014-10-01",
    gate_view=gate_view,
    gate_parameters=gate_parameters,
    schedule="0 6 1 1,4,7,10 *",
    # the workbook is renamed each quarter (`PAS_T&Cdashboard_to Q3 23-24.xlsx`): the newest one listed
    catalogue=Catalogue("london_datastore", MOPAC_SURVEYS, r"^PAS_T&C ?dashboard.*\.xlsx$", latest_only=True),
)
