"""Home Office open-data tables (police workforce): read by the columns present, never by one year's header.

The Home Office publishes its police workforce tables as CSVs whose header
drifts between releases: `As at 31 March...` or `Financial year` first,
`Gender` renamed `Sex` (2021), `Worker type` in another case, trailing empty
columns, thousands quoted (`" 1,976 "`), numbers padded with spaces, and zero
(or a suppressed cell) written ` - ` in older releases and `0` in newer ones.
`read_table` maps each header cell, by its normalised name, to a canonical
column, drops empty trailing columns, and returns the rows as dicts of
stripped text; `count` and `number` turn the cells into numbers. The
workforce source modules say which canonical columns they need, and share
the gate helpers below (lower-cased label keys checked against the seed
workforce_labels, published totals, forces of the previous period).
"""

from __future__ import annotations

import csv
import io
import math
import re

from ingest.core import reference
from ingest.core.errors import SourceFormatError
from ingest.core.formats import decode_text, refuse_html
from ingest.core.contract import Table
from ingest.core.source import Batch, GateContext

# normalised header text → canonical column
ALIASES = {
    "as at 31 march": "as_at",
    "as at": "as_at",
    "financial year": "financial_year",
    "geo code": "geo_code",
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
    "ethnicity": "ethnicity",
    "ethnic group": "ethnic_group",
    "total (headcount)": "headcount",
    "headcount": "headcount",
    "total (fte)": "fte",
    "fte": "fte",
}
ZERO = {"-", "–"}  # zero or suppressed (older releases)


def normalise_header(cell: str) -> str:
    return re.sub(r"\s+", " ", cell.replace("\ufeff", "").strip().rstrip(".").strip()).lower()


def read_table(content: bytes, *, what: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    """The table's rows as {canonical column: stripped text}, refusing a header without `required`."""
    refuse_html(content, what=what, expected="CSV")
    reader = csv.reader(io.StringIO(decode_text(content, what=what), newline=""))
    header = next(reader, None) or []
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
    rows = []
    for line_no, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) < width or any(v.strip() for v in values[len(header):]):
            raise SourceFormatError(f"{what}: line {line_no} has {len(values)} fields, the header {width}")
        if any(values[i].strip() for i in unnamed if i < len(values)):
            raise SourceFormatError(f"{what}: line {line_no} has a value under an empty header cell (a shifted row?)")
        rows.append({name: values[i].strip() for i, name in columns.items()} | {"_line": str(line_no)})
    return rows


def number(cell: str, *, what: str, line: str, column: str) -> float:
    """A count or FTE cell: ` - ` is zero, `1,976` is 1976; anything else not a finite number is refused."""
    text = cell.strip()
    if text in ZERO:
        return 0.0
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        raise SourceFormatError(f"{what}: line {line}, {column}: {cell!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise SourceFormatError(f"{what}: line {line}, {column}: {cell!r} is not a finite count")
    return value


def count(cell: str, *, what: str, line: str, column: str = "headcount") -> int:
    value = number(cell, what=what, line=line, column=column)
    if value != int(value):
        raise SourceFormatError(f"{what}: line {line}, {column}: {cell!r} is not a whole count")
    return int(value)


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
    for row in read_table(content, what=what, required=required):
        line = row["_line"]
        period = period_of(row[period_column], what=what, line=line)
        record = {}
        for column in columns:
            if column == period_column:
                record[column] = period
            elif column == "headcount":
                record[column] = count(row["headcount"], what=what, line=line)
            elif column == "fte":
                record[column] = None if row.get("fte") is None else number(row["fte"], what=what, line=line, column="fte")
            elif column == "ethnic_group_published":
                record[column] = row.get("ethnic_group") or None
            else:
                record[column] = row[column] if column in required else (row.get(column) or None)
        by_period.setdefault(period, []).append(record)
    return [Batch(period, pd.DataFrame(rows, columns=columns, dtype=object)) for period, rows in sorted(by_period.items())]


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
