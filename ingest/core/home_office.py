"""Home Office open-data tables (police workforce): read by the columns present, never by one year's header.

The Home Office publishes its police workforce open data tables on GOV.UK as
ODS spreadsheets (the data on a sheet named `Data`, after cover and notes
sheets), and older releases and circulating extracts as CSV. Headers drift
between releases: `As at 31 March...` or `Financial year` first, `Gender`
renamed `Sex` (2021), `Geo code` / `Geocode`, `Force Name` / `Force name`,
`Worker type` in another case, trailing empty columns, thousands quoted
(`" 1,976 "`), numbers padded with spaces, and zero (or a suppressed cell)
written ` - ` in older releases and `0` in newer ones; an FTE cell marked
not available (`N/A`, `[x]`, ...) is null.
`read_table` reads either format (detected from the bytes), maps each header
cell, by its normalised name, to a canonical column, drops empty trailing
columns, and returns the rows as dicts of stripped text (spreadsheet numbers
as their text: 2025.0 is `2025`); a row holding nothing but a note in its
first cell (a footnote under the table) is skipped and reported. `count`
and `number` turn the cells into numbers. The workforce source modules say
which canonical columns they need, and share the gate helpers below
(lower-cased label keys checked against the seed workforce_labels, published
totals, forces of the previous period).
"""

from __future__ import annotations

import csv
import io
import re

from ingest.core import numbers, reference
from ingest.core.spreadsheets import ZIP_SIGNATURE, cell_text, open_workbook, reading
from ingest.core.errors import SourceFormatError
from ingest.core.formats import decode_text, refuse_html
from ingest.core.contract import Table
from ingest.core.discovery import Catalogue
from ingest.core.source import Batch, GateContext

# The GOV.UK page of the open data tables: each release replaces its attachments (a new asset URL
# each time). Listed as a statistical data set; the statistics path is tried when that is not found.
OPEN_DATA_PAGES = ("/government/statistical-data-sets/police-workforce-open-data-tables",
                   "/government/statistics/police-workforce-open-data-tables")


def catalogue(pattern: str) -> Catalogue:
    """Where a workforce table is found: the newest attachment of the open data tables page matching `pattern`
    (each release's table covers every year to date, so only the newest is read)."""
    return Catalogue("govuk", OPEN_DATA_PAGES, pattern, latest_only=True)

# normalised header text → canonical column
ALIASES = {
    "as at 31 march": "as_at",
    "as at": "as_at",
    "financial year": "financial_year",
    "geo code": "geo_code",
    "geocode": "geo_code",
    "force name": "force",
    "force": "force",
    "region": "region",
    "gender": "sex",
    "sex": "sex",
    "rank description": "rank",
    "rank": "rank",
    "rank promoted to": "rank_promoted_to",
    "worker type": "worker_type",
    "joiner type": "joiner_type",
    "leaver type": "leaver_type",
    "ethnicity": "ethnicity",
    "ethnic group": "ethnic_group",
    "total (headcount)": "headcount",
    "total headcount": "headcount",
    "headcount": "headcount",
    "total (fte)": "fte",
    "total fte": "fte",
    "fte": "fte",
}
ZERO = {"-", "–"}  # zero or suppressed (older releases)
# not available: `N/A`, `..` and the GSS markers `[c]` (confidential), `[x]` (not available), `[z]` (not
# applicable). An FTE cell so marked is null; a headcount so marked is refused (a count is never guessed).
NOT_AVAILABLE = {"n/a", "..", "[c]", "[x]", "[z]"}


def normalise_header(cell: str) -> str:
    return re.sub(r"\s+", " ", cell.replace("\ufeff", "").strip().rstrip(".").strip()).lower()


def _sheet_rows(content: bytes, *, what: str, required: tuple[str, ...]) -> tuple[str, list[list[str]]]:
    """(where, rows as text) of a workbook's data sheet: the one named `Data`, else the first whose
    first row names every required column."""
    def sheet(name: str) -> list[list[str]]:
        return [[cell_text(v) for v in row] for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False)]

    with reading(what):
        book = open_workbook(content, what=what)
        sheets = {name: sheet(name) for name in sorted(book.sheet_names, key=lambda n: n.strip().lower() != "data")}
    for name, rows in sheets.items():
        header = next((r for r in rows if any(c.strip() for c in r)), [])
        mapped = {ALIASES.get(normalise_header(c)) for c in header}
        if name.strip().lower() == "data" or set(required) <= mapped:
            return f"{what}[{name}]", rows[rows.index(header):] if header else []
    raise SourceFormatError(f"{what}: no sheet named Data or headed with {list(required)} (sheets {list(sheets)})")


def read_table(content: bytes, *, what: str, required: tuple[str, ...]) -> tuple[list[dict[str, str]], list[str]]:
    """The table's rows as {canonical column: stripped text}, refusing a header without `required`,
    and what was read past (note rows under the table)."""
    if content.startswith(ZIP_SIGNATURE):
        what, table = _sheet_rows(content, what=what, required=required)
    else:
        refuse_html(content, what=what, expected="CSV or a spreadsheet")
        table = list(csv.reader(io.StringIO(decode_text(content, what=what), newline="")))
    header = table[0] if table else []
    columns: dict[int, str] = {}
    for i, cell in enumerate(header):
        name = ALIASES.get(normalise_header(cell))
        if name is None:
            continue  # an empty trailing column, or one this warehouse does not take
        if name in columns.values():
            raise SourceFormatError(f"{what}: two header cells mean {name!r}: {header!r}")
        columns[i] = name
    missing = [c for c in required if c not in columns.values()]
    if missing:
        raise SourceFormatError(f"{what}: header lacks {missing} (found {[c for c in header if c.strip()]!r})")
    width = max(i for i, cell in enumerate(header) if cell.strip()) + 1
    unnamed = [i for i, cell in enumerate(header) if not cell.strip()]
    rows, notes = [], []
    for line_no, values in enumerate(table[1:], start=2):
        filled = [i for i, v in enumerate(values) if v.strip()]
        if not filled:
            continue
        if filled == [0] and width > 1:
            notes.append(f"line {line_no}: {values[0].strip()[:80]!r}")  # a footnote under the table
            continue
        if len(values) < width or any(v.strip() for v in values[len(header):]):
            raise SourceFormatError(f"{what}: line {line_no} has {len(values)} fields, the header {width}")
        if any(values[i].strip() for i in unnamed if i < len(values)):
            raise SourceFormatError(f"{what}: line {line_no} has a value under an empty header cell (a shifted row?)")
        rows.append({name: values[i].strip() for i, name in columns.items()} | {"_line": str(line_no)})
    warnings = [f"{len(notes)} note row(s) under the table skipped: {'; '.join(notes[:3])}"] if notes else []
    return rows, warnings


def number(cell: str, *, what: str, line: str, column: str) -> float:
    """A count or FTE cell, read strictly (`ingest.core.numbers`): ` - ` is zero, `1,976` is 1976 (thousands
    commas as the releases write them), a decimal point for FTE; a sign, an exponent (`1e3`), another
    script's digits (`１２３`, `١٢٣`) or anything else is refused."""
    text = cell.strip()
    if text in ZERO:
        return 0.0
    return numbers.parse_number(text, what=f"{what}: line {line}, {column}", thousands=True, fraction=True)


def count(cell: str, *, what: str, line: str, column: str = "headcount") -> int:
    """A whole count: as `number`, without a fraction (`12.0` from a spreadsheet is written `12`)."""
    text = cell.strip()
    if text in ZERO:
        return 0
    return numbers.parse_integer(text, what=f"{what}: line {line}, {column}", thousands=True)


def as_at_date(cell: str, *, what: str, line: str) -> str:
    """`2003` (the year of `As at 31 March...`) or a full date → ISO date of that 31 March."""
    match = re.fullmatch(r"(?:31[ /-](?:march|mar|03)[ /-])?(\d{4})(?:-03-31)?", cell.strip().lower())
    if not match:
        raise SourceFormatError(f"{what}: line {line}: {cell!r} is not a year (as at 31 March)")
    return f"{match.group(1)}-03-31"


def financial_year(cell: str, *, what: str, line: str) -> str:
    """`2007/08`, `2007-08`, `2007/2008`, `2007 to 2008` → `2007-08`."""
    match = re.fullmatch(r"(\d{4})\s*(?:/|-|to)\s*(\d{2}|\d{4})", cell.strip().lower())
    if not match or (int(match.group(2)[-2:]) - int(match.group(1))) % 100 != 1:
        raise SourceFormatError(f"{what}: line {line}: {cell!r} is not a financial year such as 2007/08")
    return f"{match.group(1)}-{match.group(2)[-2:]}"


def parse_batches(content: bytes, table: Table, *, what: str, required: tuple[str, ...], period_column: str,
                  period_of) -> list[Batch]:
    """One batch per period of a workforce table: each of `table`'s own columns from its canonical column.

    The period column is `period_of(cell)` (`as_at_date` or `financial_year`),
    `headcount` a whole count, `fte` a number (null when the table has none),
    `ethnic_group_published` the release's own `Ethnic group`; the other
    columns are the cells as published (a blank optional one is null).
    """
    import pandas as pd

    columns = table.parsed_column_names
    by_period: dict[str, list[dict]] = {}
    rows, warnings = read_table(content, what=what, required=required)
    for row in rows:
        line = row["_line"]
        period = period_of(row[period_column], what=what, line=line)
        record = {}
        for column in columns:
            if column == period_column:
                record[column] = period
            elif column == "headcount":
                record[column] = count(row["headcount"], what=what, line=line)
            elif column == "fte":
                fte = row.get("fte")
                record[column] = None if fte is None or fte.lower() in NOT_AVAILABLE else number(fte, what=what, line=line, column="fte")
            elif column == "ethnic_group_published":
                record[column] = row.get("ethnic_group") or None
            else:
                record[column] = row[column] if column in required else (row.get(column) or None)
        by_period.setdefault(period, []).append(record)
    return [Batch(period, pd.DataFrame(rows, columns=columns, dtype=object), warnings=tuple(warnings))
            for period, rows in sorted(by_period.items())]


# --------------------------------------------------------------------------- what the workforce gates need
def gate_view(frame, dimensions: dict[str, str], key_columns: list[str]):
    """`labelled_view`, plus `fte_excess` (FTE minus headcount) where the table has an FTE column."""
    view = labelled_view(frame, dimensions, key_columns)
    if "fte" in view.columns:
        view["fte_excess"] = [0.0 if f is None else float(f) - float(h) for f, h in zip(view["fte"], view["headcount"])]
    return view


def gate_parameters_for(dimensions: dict[str, str]):
    """The parameters every workforce suite takes: known labels, the previous period's forces, the latest period."""
    def gate_parameters(context: GateContext) -> dict:
        latest = max((c["period"] for c in context.history), default=context.period)
        return {**known_labels(dimensions), "previous_forces": previous_forces(context),
                "latest_loaded_period": period_number(latest)}
    return gate_parameters


def labelled_view(frame, dimensions: dict[str, str], key_columns: list[str]):
    """Lower-cased label columns for the known-label gates, and `total_matches`.

    `total_matches` is false on every row of a key (`key_columns`: the row set
    of one date, force, rank, sex...) whose `Total` ethnicity row, where the
    table gives one, differs from the sum of its other ethnicity rows.
    """
    view = frame.copy()
    for column in dimensions:
        view[f"{column}_key"] = [None if v is None else str(v).strip().lower() for v in view[column]]
    is_total = view["ethnicity_key"] == "total"
    keys = [view[c].astype(str) for c in key_columns]
    parts = view[~is_total].groupby(keys)["headcount"].sum()
    totals = view[is_total].groupby([k[is_total] for k in keys])["headcount"].sum()
    bad = {k for k, total in totals.items() if parts.get(k, 0) != total}
    view["total_matches"] = [tuple(k) not in bad for k in zip(*keys)] if bad else True
    view["period_number"] = [period_number(p) for p in view["period"]]
    return view


def period_number(period: str) -> int:
    """A period as a number that sorts like it (`2003-03-31` → 20030331, `2021-22` → 202122), for the gates."""
    return int(re.sub(r"\D", "", str(period)))


def known_labels(dimensions: dict[str, str]) -> dict[str, list[str]]:
    rows = reference.seed_rows("workforce_labels")
    return {
        f"known_{column}_labels": sorted({r["label"].lower() for r in rows if r["dimension"] == dimension})
        for column, dimension in dimensions.items()
    }


def previous_forces(context: GateContext) -> list[str]:
    """The forces of the latest loaded period before this one (a force that disappears warns)."""
    earlier = [c for c in context.history if c["period"] < context.period]
    if not earlier:
        return []
    latest = max(earlier, key=lambda c: c["period"])
    if not latest.get("path"):
        return []
    import duckdb

    return sorted(f for (f,) in duckdb.execute("select distinct force from read_parquet(?)", [latest["path"]]).fetchall())
