"""SYNTHETIC Home Office use-of-force tables by force, tactic and ethnicity, in the published ODS layout, and their pages.

Writes `use_of_force_by_force/police-use-of-force-apr2020-mar2021-hosb0000-tables.ods`
and `...apr2021-mar2022-hosb0000-tables.ods` (one release each) and the
GOV.UK Content API answers of the two release pages listing them and of the
collection linking both pages (with a page that is not a release, as the real
collection has a user guide), so the source finds every year the way it
finds the real tables.

Each workbook is laid out as the bulletins' tables are: a cover sheet, an age
table (`Table_14`, so the reader must choose its sheet by title) and
`Table_16`, `Number of times tactics were used, by police force and officer
perceived ethnicity ...`: the title row, a blank row, the header, one block
of rows per force (`Total England and Wales` first), then footnotes. The
2020-21 workbook uses the 2018/19 release's wording (`Chinese` and `Don't
know` columns, `Not stated handcuffing`, `CED` as one row, `AEP aimed` /
`AEP fired`, and a title without the year, so its year is the file name's);
the 2021-22 one the 2019/20 wording (`CED of which` without its comma, the
year in the title). Footnote markers follow some names (`Avon & Somerset2`,
`Spit and bite guard4`). Avon & Somerset reports no handcuffing breakdown: its
compliant and non-compliant handcuffing cells are `:` and the whole amount is
under handcuffing not stated, as the real 2019/20 table has it. Every number
is invented (SYNTHETIC): children add up to their "of which" row, the rows to
their `*Total` row, the forces to England and Wales (a `:` counted as none).
"""

from __future__ import annotations

import random
from pathlib import Path

from devdata.boroughs import SYNTHETIC_NOTICE, write_file
from devdata.catalogue import write_govuk_collection, write_govuk_page
from devdata.ods import ods_bytes

DIR = Path("use_of_force_by_force")
YEARS = (2020, 2021)  # the financial years 2020-21 and 2021-22, one release each
OLD_WORDING_BEFORE = 2021  # releases before this year's use the 2018/19 wording
NOT_REPORTED = ":"
NO_BREAKDOWN = "Avon & Somerset"  # reports handcuffing without its split
# (force as published, relative size); the England and Wales row is their sum
FORCES = (("Avon & Somerset2", 1.0), ("Bedfordshire", 0.5), ("Cheshire", 0.7), ("City of London", 0.15),
          ("Metropolitan Police3", 6.0), ("West Midlands", 2.2))
ETHNICITIES_OLD = ("White", "Black (or Black British)", "Asian (or Asian British)", "Chinese", "Mixed", "Other",
                   "Don't know", "Not reported")
ETHNICITIES_NEW = ("White", "Black (or Black British)", "Asian (or Asian British)", "Mixed", "Other", "Not reported")
SHARES = {"White": 0.70, "Black (or Black British)": 0.14, "Asian (or Asian British)": 0.07, "Chinese": 0.003,
          "Mixed": 0.025, "Other": 0.02, "Don't know": 0.01, "Not reported": 0.03}
# (type of force, tactic, base uses per unit of force size): `*Total` rows and "of which" rows are sums
ROWS_NEW = (
    ("Restraint", "Handcuffing, of which", None), ("Restraint", "Compliant handcuffing", 2600),
    ("Restraint", "Non-compliant handcuffing", 1500), ("Restraint", "Handcuffing not stated", 400),
    ("Restraint", "Limb / Body restraints", 500), ("Restraint", "Ground restraint", 700),
    ("Unarmed skills", "*Total Unarmed skills", 1800),
    ("Other equipment", "Baton, of which", None), ("Other equipment", "Baton drawn", 90),
    ("Other equipment", "Baton used", 25), ("Other equipment", "Baton not stated", 5),
    ("Other equipment", "Irritant spray, of which", None), ("Other equipment", "Irritant spray - drawn", 110),
    ("Other equipment", "Irritant spray - used", 60), ("Other equipment", "Irritant spray not stated", 6),
    ("Other equipment", "Spit and bite guard4", 120), ("Other equipment", "Shield", 30),
    ("Less lethal weapons", "CED of which", None), ("Less lethal weapons", "CED non-discharge", 300),
    ("Less lethal weapons", "CED discharge", 30), ("Less lethal weapons", "CED not stated", 8),
    ("Less lethal weapons", "AEP, of which", None), ("Less lethal weapons", "AEP drawn", 10),
    ("Less lethal weapons", "AEP used", 1), ("Less lethal weapons", "AEP not stated", 1),
    ("Firearms", "*Total Firearms", 60),
    ("Other", "Dog use, of which", None), ("Other", "Dog deployed", 40), ("Other", "Dog bite", 6),
    ("Other", "Dog not stated", 2), ("Other", "Other / improvised", 90),
    ("Not reported", "*Total Not reported", 150), ("Tactical communication", "Tactical communication", 5200),
)
OLD_WORDING = {"Handcuffing not stated": "Not stated handcuffing", "Baton not stated": "Not stated baton",
               "Irritant spray not stated": "Not stated irritant spray", "AEP drawn": "AEP aimed",
               "AEP used": "AEP fired", "AEP not stated": "Not stated AEP", "Dog not stated": "Not stated dog"}
CED_OLD = "CED"  # one row in the 2018/19 wording, not split by discharge
TYPES = ("Restraint", "Unarmed skills", "Other equipment", "Less lethal weapons", "Firearms", "Other", "Not reported",
         "Tactical communication")
IN_TOTAL = TYPES[:6]  # `*Total Tactics` excludes not reported and tactical communication
TITLE = "Table 16. Number of times tactics were used, by police force and officer perceived ethnicity"
GOVUK_PAGE = "/government/statistics/police-use-of-force-statistics-england-and-wales-april-{fy}-to-march-{next}"
GOVUK_TITLE = "Police use of force statistics, England and Wales: April {fy} to March {next} (SYNTHETIC)"
COLLECTION = "/government/collections/police-use-of-force-statistics"
USER_GUIDE = "/government/publications/user-guide-to-police-use-of-force-statistics"  # linked, not a release
LABEL_TEXT = (SYNTHETIC_NOTICE + " The Home Office use-of-force tables by force here are synthetic too"
              " (devdata.use_of_force_by_force).\n")
ODS_SYNTHETIC = "SYNTHETIC: every figure in this workbook is invented (devdata.use_of_force_by_force)"


def file_name(fy: int) -> str:
    return f"police-use-of-force-apr{fy}-mar{fy + 1}-hosb0000-tables.ods"


def _layout(fy: int) -> tuple[tuple[str, ...], list[tuple[str, str, int | None]]]:
    """(ethnicity columns, the rows below a force's totals) in the wording of the year's release."""
    if fy >= OLD_WORDING_BEFORE:
        return ETHNICITIES_NEW, list(ROWS_NEW)
    rows = []
    for kind, tactic, base in ROWS_NEW:
        if tactic.startswith("CED"):
            if tactic == "CED of which":
                rows.append((kind, CED_OLD, 340))
            continue
        rows.append((kind, OLD_WORDING.get(tactic, tactic), base))
    return ETHNICITIES_OLD, rows


def _children(rows: list[tuple[str, str, list[int | None]]], at: int) -> list[list[int | None]]:
    """The cells of the rows after the "of which" row at `at` that are its children."""
    kind, parent, _ = rows[at]
    out = []
    for child_kind, child, values in rows[at + 1:]:
        if child_kind != kind or child.endswith("of which") or not _belongs(child, parent):
            break
        out.append(values)
    return out


def force_rows(force: str, size: float, fy: int, rng: random.Random) -> list[tuple[str, str, list[int | None]]]:
    """One force's rows below its totals: (type of force, tactic, cells by ethnicity), "of which" rows summed."""
    ethnicities, layout = _layout(fy)
    rows: list[tuple[str, str, list[int | None]]] = [
        (kind, tactic, [0] * len(ethnicities) if base is None
         else [round(base * size * SHARES[e] * rng.uniform(0.8, 1.2)) for e in ethnicities])
        for kind, tactic, base in layout]
    if force.startswith(NO_BREAKDOWN):  # no split: `:` in the children, everything under not stated
        for i, (kind, tactic, values) in enumerate(rows):
            if tactic in ("Compliant handcuffing", "Non-compliant handcuffing"):
                rows[i] = (kind, tactic, [None] * len(values))
            elif tactic in ("Handcuffing not stated", "Not stated handcuffing"):
                rows[i] = (kind, tactic, [round(v * 10) for v in values])
    for i, (kind, tactic, values) in enumerate(rows):
        if tactic.endswith("of which"):
            children = _children(rows, i)
            rows[i] = (kind, tactic, [sum(c[j] or 0 for c in children) for j in range(len(values))])
    return rows


def _belongs(child: str, parent: str) -> bool:
    """A row is its "of which" row's child when it shares the parent's first word (as the source reads it)."""
    head = parent.split()[0].rstrip(",").lower()
    return head in child.lower().replace("-", " ").split()


def _with_totals(rows: list[tuple[str, str, list[int | None]]], width: int) -> list[tuple[str, str, list[int | None]]]:
    """The `*Total Tactics` and per-type `*Total` rows, in the published order, around the rows."""
    def summed(selected) -> list[int]:
        return [sum(v[j] or 0 for v in selected) for j in range(width)]

    def top_level(kind: str) -> list[list[int | None]]:
        """The type's rows that are not children of an "of which" row."""
        out, parent = [], None
        for k, tactic, values in rows:
            if k != kind:
                continue
            if parent and _belongs(tactic, parent) and not tactic.endswith("of which"):
                continue
            parent = tactic if tactic.endswith("of which") else None
            out.append(values)
        return out

    type_totals = {kind: summed(top_level(kind)) for kind in TYPES}
    result = [("Total (excluding not reported and tactical communication)", "*Total Tactics",
               summed([type_totals[k] for k in IN_TOTAL]))]
    for kind in TYPES:
        own = [r for r in rows if r[0] == kind]
        if not (len(own) == 1 and own[0][1].startswith("*Total")) and kind != "Tactical communication":
            result.append((kind, f"*Total {kind}", type_totals[kind]))
        result.extend(own)
    return result


def table_rows(fy: int, seed: int = 2020) -> list[list]:
    """The sheet's rows: title, blank, header, each force's rows (England and Wales first), footnotes."""
    rng = random.Random(f"use_of_force_by_force:{seed}:{fy}")  # noqa: S311 - synthetic data
    ethnicities, _ = _layout(fy)
    width = len(ethnicities)
    by_force = {force: _with_totals(force_rows(force, size, fy, rng), width) for force, size in FORCES}
    first = next(iter(by_force.values()))
    national = [(kind, tactic, [sum(by_force[f][i][2][j] or 0 for f in by_force) for j in range(width)])
                for i, (kind, tactic, _) in enumerate(first)]
    title = TITLE + (" of subject" if fy < OLD_WORDING_BEFORE else f" of person involved, year ending March {fy + 1}")
    rows: list[list] = [[title], [], ["Police Force", "Type of force", "Tactic", *ethnicities,
                                      "Number of times tactic reported"]]
    for force, block in (("Total England and Wales", national), *by_force.items()):
        for kind, tactic, values in block:
            cells = [NOT_REPORTED if v is None else v for v in values]
            total = NOT_REPORTED if None in values else sum(values)
            rows.append([force, kind, tactic, *cells, total])
    rows += [[], ["Notes:"],
             ["1. Tactics are counted each time an officer reports using them; one incident may count several."],
             [("2. Avon and Somerset could not supply the handcuffing breakdown: ':' is not available, and the whole "
               "amount is under handcuffing not stated.")],
             ["3. Figures as supplied by the force."],
             ["4. Spit and bite guards include spit hoods."],
             [ODS_SYNTHETIC]]
    return rows


def workbook(fy: int, seed: int = 2020) -> bytes:
    """The release's tables: a cover sheet, an age table and the ethnicity table."""
    cover = [[f"Police use of force statistics, England and Wales: April {fy} to March {fy + 1}"], [ODS_SYNTHETIC],
             ["Table_14", "Age"], ["Table_16", "Ethnicity"]]
    age = [["Table 14. Number of times tactics were used, by police force and officer perceived age of subject"], [],
           ["Police Force", "Type of force", "Tactic", "Under 11 years", "11 - 17 years", "18 - 34 years",
            "Number of times tactic reported"],
           ["Total England and Wales", "Restraint", "Compliant handcuffing", 10, 900, 4000, 4910]]
    return ods_bytes([("Contents", cover), ("Table_14", age), ("Table_16", table_rows(fy, seed))])


def generate(out_dir: Path, *, seed: int = 2020) -> dict:
    """Write the workbooks, their SYNTHETIC label and the release pages; return a summary (`paths`: workbooks, pages)."""
    out_dir = Path(out_dir).resolve()
    paths, pages, rows = [], [], {}
    for fy in YEARS:
        relpath = DIR / file_name(fy)
        table = table_rows(fy, seed)
        write_file(out_dir / relpath, workbook(fy, seed))
        rows[f"{fy}-{(fy + 1) % 100:02d}"] = len(table)
        paths.append(str(out_dir / relpath))
        pages.append(str(write_govuk_page(
            out_dir, GOVUK_PAGE.format(fy=fy, next=fy + 1), GOVUK_TITLE.format(fy=fy, next=fy + 1),
            f"{fy + 1}-12-16T09:30:00.000+00:00",
            [{"relpath": relpath, "title": f"Police use of force statistics: data tables, April {fy} to March {fy + 1}"}])))
    pages.append(str(write_govuk_collection(
        out_dir, COLLECTION, "Police use of force statistics (SYNTHETIC)",
        [(GOVUK_PAGE.format(fy=fy, next=fy + 1), GOVUK_TITLE.format(fy=fy, next=fy + 1)) for fy in reversed(YEARS)]
        + [(USER_GUIDE, "User guide to police use of force statistics")])))
    write_file(out_dir / DIR / "SYNTHETIC.txt", LABEL_TEXT.encode("utf-8"))
    return {"rows": rows, "paths": paths + pages}
