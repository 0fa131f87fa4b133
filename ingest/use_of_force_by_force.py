"""Home Office police use of force by force, tactic and officer-perceived ethnicity, one financial year per release.

The annual "Police use of force statistics, England and Wales" (from the year
ending March 2018) publish, in the bulletin's ODS tables, a sheet titled
`Number of times tactics were used, by police force and officer perceived
ethnicity ...` (Table 16 in the 2018/19 release): a title row and notes above
the header (`Police Force`, `Type of force`, `Tactic`, one column per
ethnicity, `Number of times tactic reported`), footnotes below. Found through the
series' GOV.UK collection (`/government/collections/police-use-of-force-statistics`):
every release page it links, and the `police-use-of-force-...-tables.ods` each
lists (one per financial year); or pinned with `USE_OF_FORCE_BY_FORCE_URL`
(files, URLs or a directory, or a CSV of the sheet). The sheet is the one whose title mentions `officer perceived
ethnicity`; the header is the row starting `Police Force`; every row below
it is a tactic of a force (a row with only its first cell filled is a
footnote, skipped and reported).

Each row is kept in long form, one row per ethnicity column: the force and
tactic without their footnote markers (`Avon & Somerset2`, `Spit and bite
guard4`), `is_total` for the `*Total ...` rows, and `parent_tactic` for the
children of an "of which" row (`Handcuffing, of which`; `CED of which`
without the comma in 2019/20): the rows after it, in the same type of force,
whose tactic shares its first word (`Compliant handcuffing`, `Not stated
handcuffing`), up to the first that does not. A `:` cell (or a blank one, or
another not-available marker) is `uses` null, not reported: a force that
could not split handcuffing publishes `:` in the children and the whole
amount under `... not stated`; it is never 0, which is published as `0`.
The ethnicity columns are as published (2018/19 adds `Chinese` and `Don't
know`); the seed use_of_force_labels maps them and the tactics. The period is
the financial year in the sheet's title (`year ending March 2020` →
`2019-20`) or else the file's name (`apr2019-mar2020` → `2019-20`); a file
is one batch.
"""

from __future__ import annotations

import csv
import io
import re

from ingest.core import home_office, numbers, reference, spreadsheets
from ingest.core.contract import Column, Table
from ingest.core.discovery import Catalogue
from ingest.core.errors import SourceFormatError
from ingest.core.formats import decode_text, refuse_html
from ingest.core.http import file_name
from ingest.core.source import Batch, GateContext, Source
from ingest.core.spreadsheets import ZIP_SIGNATURE, cell_text, open_workbook, reading

WHAT = "use of force by force table"
TITLE_MARK = "officer perceived ethnicity"
TITLE_ROWS = 5  # the title is in the sheet's first rows (above the header)
# the header cells that are not ethnicities, normalised → column
NAMED = {"police force": "force", "force": "force", "type of force": "type_of_force", "tactic": "tactic",
         "number of times tactic reported": "published_total"}
# not reported: the bulletins' `:`, and the GSS markers a later release may use instead
NOT_REPORTED = {"", ":"} | home_office.NOT_AVAILABLE
# footnote markers after a name: `Avon & Somerset2`, `Gwent (3)`, `Kent [note 4]`, `Surrey*`
FOOTNOTE = re.compile(r"(?:\s*(?:\[note\s*\d+\]|\(\d+\)|\d+|\*+))+$", re.IGNORECASE)
OF_WHICH = re.compile(r",?\s*of which$", re.IGNORECASE)
MONTHS_IN_NAME = re.compile(r"apr(?:il)?[-_ ]?(\d{4})[-_ ]?(?:to[-_ ]?)?mar(?:ch)?[-_ ]?(\d{4})", re.IGNORECASE)
YEAR_ENDING = re.compile(r"year ending march (\d{4})", re.IGNORECASE)
APRIL_TO_MARCH = re.compile(r"april (\d{4}) to (?:31 )?march (\d{4})", re.IGNORECASE)

TABLE = Table(
    "use_of_force_by_force",
    "Home Office police use of force statistics: the number of times each tactic was used, by police force and "
    "the officer-perceived ethnicity of the person, one row per published row and ethnicity column (long form), "
    "values as published; `period` is the financial year, e.g. `2019-20`.",
    (
        Column("row_index", "INTEGER", "0-based data row under the header (with the file's checksum in `batch_id` and `ethnicity`, the row's key)."),
        Column("force", "VARCHAR", "`Police Force` as published without its footnote marker, e.g. `Avon & Somerset`, `Total England and Wales`."),
        Column("type_of_force", "VARCHAR", "`Type of force` as published, e.g. `Restraint`, `Less lethal weapons`."),
        Column("tactic", "VARCHAR", "`Tactic` as published without its footnote marker, e.g. `*Total Restraint`, `Handcuffing, of which`, `Compliant handcuffing`."),
        Column("is_total", "BOOLEAN", "True for a `*Total ...` row."),
        Column("parent_tactic", "VARCHAR", "For a child of an \"of which\" row, that row's `tactic` (e.g. `Handcuffing, of which`); null otherwise."),
        Column("ethnicity", "VARCHAR", "The ethnicity column's header as published, e.g. `Black (or Black British)`, `Not reported`."),
        Column("uses", "BIGINT", "Times the tactic was used on people of that ethnicity; null when the cell is `:` or blank (not reported), never 0 for it."),
        Column("published_total", "BIGINT", "The row's `Number of times tactic reported`; null when not reported."),
    ),
    dbt=("use_of_force", "by_force"),
)


def normalise(cell: str) -> str:
    return re.sub(r"\s+", " ", cell.replace("\ufeff", "")).strip().lower()


def without_footnote(cell: str) -> str:
    """A name without the footnote marker the tables append (`Avon & Somerset2` → `Avon & Somerset`)."""
    return FOOTNOTE.sub("", re.sub(r"\s+", " ", cell).strip()).strip()


def count(cell: object, *, what: str, line: int, column: str) -> int | None:
    """A count cell: a whole number (a spreadsheet number or text with thousands commas), or None when not
    reported (`:`, blank, a GSS not-available marker); anything else is refused."""
    if isinstance(cell, float):
        if not cell.is_integer() or cell < 0:
            raise SourceFormatError(f"{what}: line {line}, {column}: {cell!r} is not a count")
        return int(cell)
    if isinstance(cell, int) and not isinstance(cell, bool):
        if cell < 0:
            raise SourceFormatError(f"{what}: line {line}, {column}: {cell!r} is not a count")
        return cell
    text = cell_text(cell).strip()
    if text.lower() in NOT_REPORTED:
        return None
    return numbers.parse_integer(text, what=f"{what}: line {line}, {column}", thousands=True)


def financial_year_of(title: str, name: str, *, what: str) -> str:
    """The financial year of the sheet's title (`year ending March 2020`, `April 2019 to March 2020`), else of the
    file's name (`apr2019-mar2020`); refused when neither says or they differ."""
    def year(start: str, end: str) -> str | None:
        return f"{start}-{end[-2:]}" if int(end) - int(start) == 1 else None  # a one-year span only

    ending, span, in_name = YEAR_ENDING.search(title), APRIL_TO_MARCH.search(title), MONTHS_IN_NAME.search(name)
    from_title = year(str(int(ending[1]) - 1), ending[1]) if ending else (year(*span.groups()) if span else None)
    from_name = year(*in_name.groups()) if in_name else None
    if from_title and from_name and from_title != from_name:
        raise SourceFormatError(f"{what}: the title says {from_title}, the file name {from_name}")
    if not (from_title or from_name):
        raise SourceFormatError(f"{what}: no financial year in the title {title[:120]!r} or the file name {name!r}")
    return from_title or from_name


def _sheets(content: bytes, what: str) -> list[tuple[str, list[list[object]]]]:
    """(where, rows) of each sheet of a workbook, or of the CSV (its one sheet)."""
    if content.startswith(ZIP_SIGNATURE):
        with reading(what):
            book = open_workbook(content, what=what)
            return [(f"{what}[{name}]", book.get_sheet_by_name(name).to_python(skip_empty_area=False))
                    for name in book.sheet_names]
    refuse_html(content, what=what, expected="CSV or a spreadsheet")
    return [(what, list(csv.reader(io.StringIO(decode_text(content, what=what), newline=""))))]


def _header_at(rows: list[list[object]]) -> int | None:
    return next((i for i, row in enumerate(rows)
                 if row and normalise(cell_text(row[0])) in ("police force", "force")
                 and "tactic" in {normalise(cell_text(c)) for c in row}), None)


def _table_sheet(content: bytes, what: str) -> tuple[str, str, list[list[object]], int]:
    """(where, title, rows, header index) of the ethnicity sheet: the first whose title mentions officer perceived
    ethnicity and that has a `Police Force` … `Tactic` header (a CSV, which may have no title: its header)."""
    workbook = content.startswith(ZIP_SIGNATURE)
    sheets = _sheets(content, what)
    for where, rows in sheets:
        header = _header_at(rows)
        title = " ".join(cell_text(c).strip() for row in rows[:min(TITLE_ROWS, header or 0)] for c in row if cell_text(c).strip())
        if header is not None and (not workbook or TITLE_MARK in normalise(title)):
            return where, title, rows, header
    raise SourceFormatError(f"{what}: no sheet titled with {TITLE_MARK!r} and headed `Police Force` … `Tactic` "
                            f"(sheets {[w for w, _ in sheets]})")


def _columns(header: list[str], where: str) -> tuple[dict[str, int], dict[int, str]]:
    """({named column: position}, {position: ethnicity as published}) of the header."""
    named: dict[str, int] = {}
    ethnicities: dict[int, str] = {}
    for i, cell in enumerate(header):
        label = without_footnote(cell)
        key = NAMED.get(normalise(label))
        if key in named:
            raise SourceFormatError(f"{where}: two header cells mean {key!r}")
        if key:
            named[key] = i
        elif label:
            ethnicities[i] = label
    missing = [c for c in ("force", "type_of_force", "tactic", "published_total") if c not in named]
    if missing or not ethnicities:
        raise SourceFormatError(f"{where}: header lacks {missing or ['ethnicity columns']} (found {[c for c in header if c.strip()]!r})")
    if min(ethnicities) < named["tactic"]:
        raise SourceFormatError(f"{where}: an ethnicity column {ethnicities[min(ethnicities)]!r} before `Tactic`")
    return named, ethnicities


def is_child(tactic: str, parent: str) -> bool:
    """A row under an "of which" row is its child when its tactic shares the parent's first word
    (`Compliant handcuffing`, `Not stated handcuffing` under `Handcuffing, of which`; `Dog bite` under
    `Dog use, of which`)."""
    head = normalise(OF_WHICH.sub("", parent)).split(" ")[0]
    return head in re.split(r"[^a-z]+", normalise(tactic))


def parse_file(content: bytes, name: str = "") -> list[Batch]:
    """One release's tables (ODS) or a CSV of the sheet → one batch, long form, values as published."""
    import pandas as pd

    what = f"{WHAT} {name}".rstrip()
    where, title, rows, at = _table_sheet(content, what)
    period = financial_year_of(title, name, what=where)
    header = [cell_text(c) for c in rows[at]]
    named, ethnicities = _columns(header, where)
    width = max(i for i, c in enumerate(header) if c.strip()) + 1
    records, notes = [], []
    force = type_of_force = parent = None
    row_index = 0
    for offset, values in enumerate(rows[at + 1:], start=at + 2):
        texts = [cell_text(v).strip() for v in values]
        filled = [i for i, t in enumerate(texts) if t]
        if not filled:
            continue
        if filled == [0]:
            notes.append(f"line {offset}: {texts[0][:80]!r}")  # a footnote under the table
            continue
        if any(filled_at >= width for filled_at in filled):
            raise SourceFormatError(f"{where}: line {offset} has a value beyond the header's {width} columns")
        cell = dict(zip(named, (texts[named[k]] if named[k] < len(texts) else "" for k in named)))
        # a block layout leaves the force and type of force blank under their first row
        if without_footnote(cell["force"]) not in ("", force):
            force, parent = without_footnote(cell["force"]), None  # a new force's rows
        type_of_force = cell["type_of_force"] or type_of_force
        tactic = without_footnote(cell["tactic"])
        if not (force and type_of_force and tactic):
            raise SourceFormatError(f"{where}: line {offset} lacks a force, type of force or tactic: {texts[:3]!r}")
        is_total = tactic.startswith("*")
        if parent and (is_total or parent[0] != type_of_force or not is_child(tactic, parent[1])):
            parent = None
        parent_tactic = parent[1] if parent else None
        if OF_WHICH.search(tactic):
            parent = (type_of_force, tactic)
        published_total = count(values[named["published_total"]] if named["published_total"] < len(values) else None,
                                what=where, line=offset, column="Number of times tactic reported")
        for i, ethnicity in ethnicities.items():
            uses = count(values[i] if i < len(values) else None, what=where, line=offset, column=ethnicity)
            records.append({"row_index": row_index, "force": force, "type_of_force": type_of_force, "tactic": tactic,
                            "is_total": is_total, "parent_tactic": parent_tactic, "ethnicity": ethnicity,
                            "uses": uses, "published_total": published_total})
        row_index += 1
    if not records:
        raise SourceFormatError(f"{where}: no rows under the header")
    warnings = (f"{len(notes)} note row(s) under the table skipped: {'; '.join(notes[:3])}",) if notes else ()
    lineage = {"file": name, "sheet": where, "title": title[:200], "ethnicity_columns": list(ethnicities.values())}
    frame = pd.DataFrame(records, columns=TABLE.parsed_column_names, dtype=object)
    return [Batch(period, frame, warnings=warnings, lineage=lineage)]


def parse(content: bytes, *, location: str, period: str | None) -> list[Batch]:
    return parse_file(content, file_name(location))


# --------------------------------------------------------------------------- the gate
def gate_view(frame):
    """Per row: its tactic or ethnicity if nobody has mapped it (as published, so a failed gate names it),
    `total_matches` (false on every cell of a published row whose reported cells, all reported, do not sum to
    its `Number of times tactic reported`) and `within_parent` (false where a child of an "of which" row has
    more uses than its parent for the same force and ethnicity)."""
    view = frame.copy()
    tactics = reference.folded_labels("use_of_force_labels", "ho_tactic")
    ethnicities = reference.folded_labels("use_of_force_labels", "ethnicity")
    view["unknown_tactic"] = [None if t is not None and reference.squash(str(t)) in tactics else (t or "(blank)")
                              for t in view["tactic"]]
    view["unknown_ethnicity"] = [None if e is not None and reference.squash(str(e)) in ethnicities else (e or "(blank)")
                                 for e in view["ethnicity"]]
    sums: dict[object, list] = {}
    for index, uses, total in zip(view["row_index"], view["uses"], view["published_total"]):
        sums.setdefault(index, [0, True, total])
        if uses is None:
            sums[index][1] = False
        else:
            sums[index][0] += int(uses)
    view["total_matches"] = [not (s[1] and s[2] is not None) or s[0] == int(s[2])
                             for s in (sums[i] for i in view["row_index"])]
    parents = {(f, k, t, e): u for f, k, t, e, u in
               zip(view["force"], view["type_of_force"], view["tactic"], view["ethnicity"], view["uses"])}
    view["within_parent"] = [p is None or u is None or parents.get((f, k, p, e)) is None or int(u) <= int(parents[(f, k, p, e)])
                             for f, k, p, e, u in
                             zip(view["force"], view["type_of_force"], view["parent_tactic"], view["ethnicity"], view["uses"])]
    return view


def gate_parameters(context: GateContext) -> dict:
    """The forces of the latest year loaded before this one (a force that disappears warns)."""
    return {"previous_forces": home_office.previous_forces(context)}


SOURCE = Source(
    name="use_of_force_by_force",
    table=TABLE,
    suite="use_of_force_by_force",
    dag="use_of_force",
    variable="USE_OF_FORCE_BY_FORCE_URL",
    default="",
    parse=parse,
    extension=spreadsheets.extension,
    description=__doc__.split("\n\n")[0],
    gate_view=gate_view,
    gate_parameters=gate_parameters,
    start="2018-12-13",  # the first release (the year ending March 2018)
    period_kind="financial_year",
    first_period="2017-18",
    schedule="0 6 20 * *",  # the use_of_force DAG's: the releases come yearly, late in the year
    directory_suffix=".ods",
    # every release's tables: the series' collection links one page per year (and a user guide, not a release)
    catalogue=Catalogue("govuk", ("/government/collections/police-use-of-force-statistics",),
                        r"^police-use-of-force-.*tables.*\.ods$",
                        releases=r"^/government/statistics/police-use-of-force-statistics"),
)
