"""The Met's use-of-force records: one row per officer per subject, from the London Datastore, by financial year.

The London Datastore's `use-of-force` dataset publishes one workbook per
financial year (`MPS Use of Force - FY17-18.xlsx` … `FY24-25.xlsx`), the
current year's republished each month ("reconciled each month from the start
of each FY"): found through the Datastore's catalogue (`LONDON_DATASTORE_URL`),
or pinned with `USE_OF_FORCE_URL` (files, URLs or a directory, e.g. CSV
conversions). The sheet has about 270 columns, one row per officer per subject:
"where more than one officer has used force on the same subject, this will be
shown on separate rows of data", with the subject's and the incident's
details repeated. There is no incident, subject or officer identifier.

Only the columns the marts need are taken, by their names in any year
(`IncidentDate`, `Borough`, `SubjectEthnicity`, `Tactic 1` … `Tactic 20`,
`Effective 1` … `Tactic Effective 20` (sic), `Reason for Force: …`,
`Outcome: …`, `Incident Location: …`); the rest (the CED device blocks, impact
factors, injuries in detail) are listed in the batch's lineage as present and
ignored. Headers are matched without case and spacing, values kept as
published (text); the incident locations answered `Yes` are kept as one text
of their names, because the marts deduplicate subjects by them. The gate checks
every tactic and ethnicity against the seed `use_of_force_labels` (an unknown
one fails by name) and every borough against the borough seeds. A file is
one batch per financial year of `IncidentDate` (a file holds one year; the
current one is republished whole each month, so a republished year replaces
its batch); a month that a year's earlier load had and this one lacks warns.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

from ingest.core import reference
from ingest.core.contract import Column, Table
from ingest.core.discovery import Catalogue
from ingest.core.errors import SourceFormatError
from ingest.core.formats import refuse_html
from ingest.core import spreadsheets
from ingest.core.spreadsheets import ZIP_SIGNATURE, cell_text, open_workbook, reading
from ingest.core.http import file_name
from ingest.core.source import Batch, GateContext, Source

WHAT = "Met use-of-force records"
TACTICS = 20
# canonical column ← the published header, normalised (`normalise`)
SINGLE = {
    "incidentdate": "incident_date",
    "incidenttime": "incident_time",
    "borough": "borough",
    "primaryconduct": "primary_conduct",
    "subjectage": "subject_age",
    "subjectgender": "subject_gender",
    "subjectethnicity": "subject_ethnicity",
    "physicaldisability": "physical_disability",
    "mentaldisability": "mental_disability",
    "subjectinjured": "subject_injured",
    "staffinjured": "staff_injured",
    "reason for force: effect search": "reason_effect_search",
    "reason for force: effect arrest": "reason_effect_arrest",
    "outcome: arrested": "outcome_arrested",
    "outcome: made off/escaped": "outcome_made_off",
    "outcome: hospitalised": "outcome_hospitalised",
    "outcome: detained - mental health act": "outcome_detained_mha",
    "outcome: fatality": "outcome_fatality",
    "outcome: other": "outcome_other",
    "outcome: no further action": "outcome_no_further_action",
}
for _n in range(1, TACTICS + 1):
    SINGLE[f"tactic {_n}"] = f"tactic_{_n}"
    SINGLE[f"effective {_n}"] = f"effective_{_n}"
SINGLE[f"tactic effective {TACTICS}"] = f"effective_{TACTICS}"  # the 20th pair's published name
LOCATION_PREFIX = "incident location:"
LABELS = "use_of_force_labels"  # the seed mapping tactics, ethnicities and the areas that are not boroughs
REQUIRED = ("incident_date", "borough", "subject_ethnicity", "tactic_1")


def _columns() -> tuple[Column, ...]:
    described = {
        "incident_date": ("DATE", "`IncidentDate`: the day of the incident."),
        "incident_time": ("VARCHAR", "`IncidentTime` as published, e.g. `00:15:00`."),
        "borough": ("VARCHAR", "`Borough` as published: a London borough (`City of Westminster` in some years), `Heathrow` or `Out of force`."),
        "incident_locations": ("VARCHAR", "The `Incident Location: …` columns answered `Yes`, their names after the colon, joined by `; ` in column order; null when none."),
        "primary_conduct": ("VARCHAR", "`PrimaryConduct`: the subject's conduct as the officer saw it, e.g. `Compliant`, `Active resistance`."),
        "subject_age": ("VARCHAR", "`SubjectAge`: the officer-perceived age band, e.g. `18-34`."),
        "subject_gender": ("VARCHAR", "`SubjectGender` as published."),
        "subject_ethnicity": ("VARCHAR", "`SubjectEthnicity`: the officer-perceived ethnicity as published, e.g. `Black (or Black British)`; null when blank."),
        "physical_disability": ("VARCHAR", "`PhysicalDisability` (`Yes`/`No`)."),
        "mental_disability": ("VARCHAR", "`MentalDisability` (`Yes`/`No`)."),
        "subject_injured": ("VARCHAR", "`SubjectInjured` (`Yes`/`No`)."),
        "staff_injured": ("VARCHAR", "`StaffInjured` as published (`Yes`, `No`, or a longer `Yes, …`)."),
        "reason_effect_search": ("VARCHAR", "`Reason for Force: Effect Search` (`Yes`/`No`)."),
        "reason_effect_arrest": ("VARCHAR", "`Reason for Force: Effect Arrest` (`Yes`/`No`)."),
        "outcome_arrested": ("VARCHAR", "`Outcome: Arrested` (`Yes`/`No`)."),
        "outcome_made_off": ("VARCHAR", "`Outcome: Made off/escaped` (`Yes`/`No`)."),
        "outcome_hospitalised": ("VARCHAR", "`Outcome: Hospitalised` (`Yes`/`No`)."),
        "outcome_detained_mha": ("VARCHAR", "`Outcome: Detained - Mental Health Act` (`Yes`/`No`)."),
        "outcome_fatality": ("VARCHAR", "`Outcome: Fatality` (`Yes`/`No`)."),
        "outcome_other": ("VARCHAR", "`Outcome: Other` (`Yes`/`No`)."),
        "outcome_no_further_action": ("VARCHAR", "`Outcome: No Further Action` (`Yes`/`No`); null in the years without the column (before FY23-24)."),
    }
    tactics = [Column(f"tactic_{n}", "VARCHAR", f"`Tactic {n}` as published, e.g. `Compliant Handcuffing`; null when blank.")
               for n in range(1, TACTICS + 1)]
    effective = [Column(f"effective_{n}", "VARCHAR", f"`{'Tactic Effective 20' if n == TACTICS else f'Effective {n}'}` "
                        f"(`Yes`/`No`): whether tactic {n} was effective.") for n in range(1, TACTICS + 1)]
    columns = [Column("row_index", "INTEGER", "0-based data row of the file (with the file's checksum in `batch_id`, the row's key)."),
               *(Column(name, kind, text) for name, (kind, text) in described.items()), *tactics, *effective]
    return tuple(columns)


TABLE = Table(
    "use_of_force",
    "The Met's use-of-force records, one row per officer per subject as published (no incident or subject "
    "identifier): the columns the marts need, by their names in any year's release (null where a release lacks "
    "one), values as published; `period` is the financial year of `IncidentDate`, e.g. `2021-22`.",
    _columns(),
    dbt=("use_of_force", "records"),
)


def normalise(cell: str) -> str:
    return re.sub(r"\s+", " ", cell.replace("\ufeff", "")).strip().lower()


def _header_map(header: list[str]) -> tuple[dict[int, str], list[int], list[str]]:
    """(position → canonical column, positions of the incident-location flags, headers ignored)."""
    taken: dict[int, str] = {}
    locations: list[int] = []
    ignored: list[str] = []
    for i, cell in enumerate(header):
        key = normalise(cell)
        if key in SINGLE:
            if SINGLE[key] in taken.values():
                raise SourceFormatError(f"{WHAT}: two header cells mean {SINGLE[key]!r}")
            taken[i] = SINGLE[key]
        elif key.startswith(LOCATION_PREFIX):
            locations.append(i)
        elif key:
            ignored.append(cell.strip())
    missing = [c for c in REQUIRED if c not in taken.values()]
    if missing:
        raise SourceFormatError(f"{WHAT}: header lacks {missing} (a sheet of the use-of-force dataset?)")
    return taken, locations, ignored


def incident_day(value: object, *, line: int) -> date:
    """`IncidentDate`: a spreadsheet date, or text `YYYY-MM-DD` (optionally with a time) or `DD/MM/YYYY`."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for pattern in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise SourceFormatError(f"{WHAT}: line {line}: IncidentDate {text[:40]!r} is not a date")


def _rows(content: bytes, what: str):
    """The first sheet's rows (a workbook) or the CSV's, each a list of cells."""
    if content.startswith(ZIP_SIGNATURE):
        with reading(what):
            yield from open_workbook(content, what=what).get_sheet_by_index(0).iter_rows()
        return
    refuse_html(content, what=what, expected="CSV or a spreadsheet")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="strict")  # the conversions circulating are Windows-1252
    yield from csv.reader(io.StringIO(text, newline=""))


def financial_year(day: date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def parse_file(content: bytes, name: str = "") -> list[Batch]:
    """One workbook (or CSV) → one batch per financial year of `IncidentDate`, values as published."""
    import pandas as pd

    what = f"{WHAT} {name}".rstrip()
    rows = _rows(content, what)
    header = next(rows, None)
    if header is None:
        raise SourceFormatError(f"{what}: empty")
    header = [cell_text(c) for c in header]
    taken, locations, ignored = _header_map(header)
    location_names = {i: header[i].split(":", 1)[1].strip() for i in locations}
    by_year: dict[str, list[dict]] = {}
    months: set[str] = set()
    columns = TABLE.parsed_column_names
    for i, values in enumerate(rows):
        line = i + 2
        if not any(cell_text(v).strip() for v in values):
            continue
        if len(values) > len(header) and any(cell_text(v).strip() for v in values[len(header):]):
            raise SourceFormatError(f"{what}: line {line} has values beyond the header's {len(header)} columns")
        row = dict.fromkeys(columns)
        row["row_index"] = i
        for index, target in taken.items():
            value = values[index] if index < len(values) else None
            if target == "incident_date":
                row[target] = incident_day(value, line=line)
            else:
                text = cell_text(value).strip()
                row[target] = text or None
        flagged = [location_names[j] for j in locations if j < len(values) and cell_text(values[j]).strip().lower() == "yes"]
        row["incident_locations"] = "; ".join(flagged) or None
        by_year.setdefault(financial_year(row["incident_date"]), []).append(row)
        months.add(row["incident_date"].strftime("%Y-%m"))
    lineage = {
        "file": name,
        "columns": len([c for c in header if c.strip()]),
        "columns_read": sorted(header[i].strip() for i in taken) + sorted(header[i].strip() for i in locations),
        "columns_ignored": ignored,
        "months_in_file": sorted(months),
    }
    return [Batch(year, pd.DataFrame(year_rows, columns=columns, dtype=object), lineage=lineage)
            for year, year_rows in sorted(by_year.items())]


def parse(content: bytes, *, location: str, period: str | None) -> list[Batch]:
    return parse_file(content, file_name(location))


# --------------------------------------------------------------------------- the gate
def gate_view(frame):
    """Per row: the first tactic, ethnicity or borough nobody has mapped (as published, so a failed gate names
    it) and the month of `IncidentDate`."""
    view = frame.copy()
    tactics = reference.folded_labels(LABELS, "tactic")
    ethnicities = reference.folded_labels(LABELS, "ethnicity")
    boroughs = set(reference.borough_lookup()) | reference.folded_labels(LABELS, "borough")
    tactic_columns = [f"tactic_{n}" for n in range(1, TACTICS + 1)]

    def first_unknown(values) -> str | None:
        return next((v for v in values if v is not None and reference.squash(str(v)) not in tactics), None)

    view["unknown_tactic"] = [first_unknown(values) for values in view[tactic_columns].itertuples(index=False)]
    view["unknown_ethnicity"] = [None if e is None or reference.squash(str(e)) in ethnicities else e
                                 for e in view["subject_ethnicity"]]
    view["unknown_borough"] = [None if b is not None and reference.squash(str(b)) in boroughs else (b or "(blank)")
                               for b in view["borough"]]
    view["incident_month"] = [d.strftime("%Y-%m") for d in view["incident_date"]]
    return view


def gate_parameters(context: GateContext) -> dict:
    """The months of `IncidentDate` this year's batch serving now has (a republished year that lost one warns)."""
    previous: list[str] = []
    if context.serving_file:
        import duckdb

        previous = [m for (m,) in duckdb.execute(
            "select distinct strftime(incident_date, '%Y-%m') from read_parquet(?) order by 1", [context.serving_file]).fetchall()]
    return {"previous_months": previous}


SOURCE = Source(
    name="use_of_force",
    table=TABLE,
    suite="use_of_force",
    dag="use_of_force",
    variable="USE_OF_FORCE_URL",
    default="",
    parse=parse,
    extension=spreadsheets.extension,
    description=__doc__.split("\n\n")[0],
    gate_view=gate_view,
    gate_parameters=gate_parameters,
    start="2017-04-01",
    period_kind="financial_year",
    first_period="2017-18",  # FY17-18, the first file the dataset holds
    schedule="0 6 20 * *",  # monthly: the current year's file is republished each month
    directory_suffix=".xlsx",
    catalogue=Catalogue("london_datastore", ("use-of-force",), r"^MPS Use of Force - FY\d{2}-\d{2}\.(xlsx|csv)$"),
)
