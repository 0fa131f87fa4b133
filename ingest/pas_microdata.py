"""MOPAC PAS respondent-level files: the public ward-level files and the coded exports, one row per interview.

The London Datastore's `mopac-surveys` dataset publishes one respondent-level
file per period (`PAS_ward_level_FY_15_17.csv`, `PAS_ward_level_FY_17_18.csv`,
…): found through the Datastore's catalogue (`LONDON_DATASTORE_URL`), or
pinned with `PAS_MICRODATA_URL` (files, URLs or a directory of CSVs, e.g. a
research deployment's coded exports). Both shapes are read by one parser:

- **Public ward-level files**: 473 columns (the first unnamed: a row index),
  answers as text labels (`Strongly agree`, `Don't know`, `Not Asked`, `-`),
  ethnicity as text (`White British`, `Black`, …), no `SERIAL`, no general
  weight, and `PAS_ward_level_FY_15_17.csv` holds two financial years.
- **Coded exports** (SPSS-derived): numeric codes, `SERIAL`, `WT_Discrete`
  from 2018-19.

The columns the marts need are taken by their known names, whichever year's
(`C2` / `BOROUGHNEIGHBOURHOODCODED` / `Borough`; `NQ147r` / `ReNQ147` /
`ReNNQ147`; `WT_Discrete`); every other column is left out of the raw
contract and listed in the batch's lineage as present and ignored. Values
are kept as published (text); the gate checks each answer and ethnicity
against the seeds `pas_answer_codes` and `pas_ethnicity_codes` (a code, or a
label compared without case and spacing: an unknown one fails the gate by
name) and staging maps them. A file is split into one batch per financial
year of its interviews (`MONTH` … `(Apr 2015)`). An interview's key is the
file's checksum and its row position (`row_index`), stable across reloads.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from ingest.core import numbers, reference
from ingest.core.contract import Column, Table
from ingest.core.discovery import MOPAC_SURVEYS, Catalogue
from ingest.core.errors import SourceFormatError
from ingest.core.formats import decode_text, refuse_html
from ingest.core.http import file_name
from ingest.core.source import Batch, GateContext, Source

MONTH_TEXT = re.compile(r"\((?P<mon>[A-Za-z]{3}) (?P<year>\d{4})\)")
ANSWERS = ("nq135bd", "q60", "q61", "q62a", "q62c", "q62tg")
ETHNICITY = ("nq147r", "renq147", "rennq147")
BOROUGH_COLUMNS = ("C2", "BOROUGHNEIGHBOURHOODCODED", "Borough")
ETHNICITY_COLUMNS = ("NQ147r", "ReNQ147", "ReNNQ147")
# A general weight, where a release has one (question-specific weights such as WT_Q41 are not general).
WEIGHT_COLUMNS = ("WT_Discrete",)

TABLE = Table(
    "pas_microdata",
    "One row per PAS interview, from the public ward-level files or the coded exports: the columns the marts "
    "need, by their known names in any year's release (null where a release lacks the column), values as "
    "published (text labels or codes, mapped by the seeds pas_answer_codes and pas_ethnicity_codes in "
    "staging); `period` is the financial year, e.g. `2015-16`.",
    (
        Column("row_index", "INTEGER", "0-based data row of the file (with the file's checksum in `batch_id`, the interview's key)."),
        Column("serial", "VARCHAR", "SERIAL: interview id (coded exports only; null in the public files)."),
        Column("month", "VARCHAR", "MONTH as released, e.g. `FY 15/16 - Month 01 (Apr 2015)`."),
        Column("c2", "VARCHAR", "C2: borough (2015-16 to 2016-17)."),
        Column("boroughneighbourhoodcoded", "VARCHAR", "BOROUGHNEIGHBOURHOODCODED: `<Borough> - <Neighbourhood>` (2017-18 to 2019-20)."),
        Column("borough", "VARCHAR", "Borough (2020-21 on)."),
        Column("nq147r", "VARCHAR", "NQ147r: ethnicity (a code of the 2011 frame, or the public files' text), 2015-16 to 2019-20."),
        Column("renq147", "VARCHAR", "ReNQ147: ethnicity (code or text), 2020-21."),
        Column("rennq147", "VARCHAR", "ReNNQ147: ethnicity code (Census 2021 frame), 2021-22 on."),
        Column("nq135bd", "VARCHAR", "NQ135BD: 'The MPS is an organisation that I can trust' (code or label, as published)."),
        Column("q60", "VARCHAR", "Q60: good job, local."),
        Column("q61", "VARCHAR", "Q61: good job, London."),
        Column("q62a", "VARCHAR", "Q62A: relied on to be there."),
        Column("q62c", "VARCHAR", "Q62C: treat everyone fairly."),
        Column("q62tg", "VARCHAR", "Q62TG: listen to concerns."),
        Column("wt_discrete", "DOUBLE", "WT_Discrete: the survey weight, where the release has one (coded exports from 2018-19); "
                                        "null otherwise, and the marts count the interview unweighted."),
    ),
    dbt=("pas", "microdata"),
)

# Columns as released (any year) → raw.pas_microdata names; every other column is ignored (and listed in the lineage).
COLUMNS = {
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
REQUIRED = ("MONTH", "NQ135BD", "Q60", "Q61", "Q62A", "Q62C", "Q62TG")


def interview_month(month_text: str | None) -> datetime | None:
    """'FY 15/16 - Month 01 (Apr 2015)' → 2015-04-01; None without a '(Mon YYYY)' part."""
    match = MONTH_TEXT.search(month_text or "")
    if not match:
        return None
    try:
        return datetime.strptime(f"{match['mon']} {match['year']}", "%b %Y")
    except ValueError:
        return None


def financial_year(month_text: str) -> str:
    """'FY 15/16 - Month 01 (Apr 2015)' → '2015-16' (April to March)."""
    month = interview_month(month_text)
    if month is None:
        raise SourceFormatError(f"PAS microdata: MONTH {month_text!r} has no '(Mon YYYY)'")
    start = month.year if month.month >= 4 else month.year - 1
    return f"{start}-{str(start + 1)[2:]}"


def _columns(header: list[str], what: str) -> tuple[dict[int, str], list[str]]:
    """{index: raw column} for the known columns, and the names of the others (present and ignored)."""
    taken: dict[int, str] = {}
    ignored: list[str] = []
    for i, cell in enumerate(header):
        name = cell.strip().lstrip("\ufeff")
        if name in COLUMNS:
            if COLUMNS[name] in taken.values():
                raise SourceFormatError(f"{what}: column {name!r} appears twice")
            taken[i] = COLUMNS[name]
        else:
            ignored.append(name or f"(unnamed column {i + 1})")
    present = {COLUMNS[header[i].strip().lstrip("\ufeff")] for i in taken}
    missing = [c for c in REQUIRED if COLUMNS[c] not in present]
    if missing:
        raise SourceFormatError(f"{what}: no column {missing} (a PAS respondent file has MONTH and the six answers)")
    if not {COLUMNS[c] for c in BOROUGH_COLUMNS} & present:
        raise SourceFormatError(f"{what}: no borough column ({', '.join(BOROUGH_COLUMNS)})")
    if not {COLUMNS[c] for c in ETHNICITY_COLUMNS} & present:
        raise SourceFormatError(f"{what}: no ethnicity column ({', '.join(ETHNICITY_COLUMNS)})")
    return taken, ignored


def _weight(value: str, what: str, line: int) -> float:
    """A weight, strictly (`ingest.core.numbers`): ASCII digits, sign and decimal point; no exponent."""
    return numbers.parse_number(value.strip(), what=f"{what}: line {line} WT_Discrete", sign=True, fraction=True)


def parse_file(content: bytes, name: str = "") -> list[Batch]:
    """One respondent file → one batch per financial year of its interviews, values as published."""
    import pandas as pd

    what = f"PAS microdata {name}".rstrip()
    refuse_html(content, what=what, expected="CSV")
    reader = csv.reader(io.StringIO(decode_text(content, what=what), newline=""))
    header = next(reader, None) or []
    taken, ignored = _columns(header, what)
    by_year: dict[str, list[dict]] = {}
    for i, values in enumerate(reader):
        line = i + 2
        if len(values) != len(header):
            if not any(v.strip() for v in values):
                continue  # a blank line
            raise SourceFormatError(f"{what}: line {line} has {len(values)} fields, the header {len(header)}"
                                    + (" (more fields than the header)" if len(values) > len(header) else " (cut short?)"))
        row = dict.fromkeys(TABLE.parsed_column_names)
        row["row_index"] = i
        for index, target in taken.items():
            value = values[index].strip()
            if value:
                row[target] = _weight(value, what, line) if target == "wt_discrete" else value
        try:
            year = financial_year(row["month"])
        except SourceFormatError as exc:
            raise SourceFormatError(f"{what}: line {line}: {exc}") from None
        by_year.setdefault(year, []).append(row)
    weight = next((c for c in WEIGHT_COLUMNS if c in {header[i].strip() for i in taken}), None)
    lineage = {
        "file": name,
        "columns": len(header),
        "columns_read": sorted(header[i].strip().lstrip("\ufeff") for i in taken),
        "columns_ignored": ignored,
        "weight": weight or "none: the file has no general weight column, so its interviews count unweighted",
        "financial_years_in_file": sorted(by_year),
    }
    return [Batch(year, pd.DataFrame(rows, columns=TABLE.parsed_column_names, dtype=object), lineage=lineage)
            for year, rows in sorted(by_year.items())]


def parse(content: bytes, *, location: str, period: str | None) -> list[Batch]:
    return parse_file(content, file_name(location))


def borough_text(frame):
    """The borough as published, from whichever column the release has (`C2`, `Borough`, or the borough
    part of `BOROUGHNEIGHBOURHOODCODED`, before its first `-`); staging reads it the same way."""
    coded = frame["boroughneighbourhoodcoded"].str.split("-", n=1).str[0].str.strip()
    return frame["c2"].fillna(frame["borough"]).fillna(coded)


def _known_or_published(values, known: set[str]) -> list:
    """Each value's seed key when the seed knows it, else the value as published (so a failed gate names it)."""
    out = []
    for value in values:
        key = reference.answer_key(value)
        out.append(key if key is None or key in known else value)
    return out


def gate_view(frame):
    """A known borough, a readable month, exactly one ethnicity column filled, numeric weights, and every
    answer and ethnicity as its seed key (or, when the seeds do not know it, as published)."""
    import pandas as pd

    lookup = reference.borough_lookup()
    view = frame.copy()
    view["borough_known"] = [str(b).strip().lower() in lookup for b in borough_text(view)]
    view["interview_month"] = [interview_month(str(t)) for t in view["month"]]
    view["ethnicity_columns_filled"] = view[list(ETHNICITY)].notna().sum(axis=1).astype(int)
    view["wt_discrete"] = pd.to_numeric(view["wt_discrete"])
    for variable in (*ANSWERS, *ETHNICITY):
        view[f"{variable}_answer"] = _known_or_published(view[variable], set(known_keys(variable)))
    return view


def known_keys(variable: str) -> list[str]:
    """The keys the seeds give a variable's values: its codes and labels (`ingest.core.reference.answer_key`)."""
    seeds = ("pas_answer_codes", "pas_answer_labels") if variable in ANSWERS else ("pas_ethnicity_codes", "pas_ethnicity_labels")
    return reference.seed_keys(variable, *seeds)


def gate_parameters(context: GateContext) -> dict:
    return {f"keys_{v}": known_keys(v) for v in (*ANSWERS, *ETHNICITY)}


SOURCE = Source(
    freshness_sql="select 'figures up to the quarter ending', max(period_end) from marts.trust_confidence "
                  "where source = 'microdata'",
    name="pas_microdata",
    table=TABLE,
    suite="pas_microdata",
    dag="pas",
    variable="PAS_MICRODATA_URL",
    default="",
    parse=parse,
    extension="csv",
    description=__doc__.split("\n\n")[0],
    start="2014-10-01",
    period_kind="financial_year",
    first_period="2015-16",  # the first respondent-level file MOPAC publishes (FY_15_17)
    gate_view=gate_view,
    gate_parameters=gate_parameters,
    schedule="0 6 1 1,4,7,10 *",
    directory_suffix=".csv",
    # every respondent-level file the Datastore lists (a new period's file is added, old ones stay)
    catalogue=Catalogue("london_datastore", MOPAC_SURVEYS, r"^PAS_ward_level_FY_\d{2}_\d{2}\.csv$"),
)
