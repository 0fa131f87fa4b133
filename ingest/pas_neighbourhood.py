"""MOPAC PAS neighbourhood indicators by ethnic group: three header rows to long form.

The CSV MOPAC publishes in the London Datastore's `mopac-surveys` dataset,
found through the Datastore's catalogue (`LONDON_DATASTORE_URL`; the newest
`neighbourhood_indicators_by_ethnicity_*.csv`) or pinned with
`PAS_NEIGHBOURHOOD_URL`: a BOM, then three header rows (question, ethnic group, measure definition)
and one row per neighbourhood (`<Borough> - <Neighbourhood>`) of integer
percentages, blank where MOPAC suppressed a cell. Every cell becomes a row;
blanks stay null, never zero. The period is the coverage in the file name
(`2015-16_to_2020-21`).
"""

from __future__ import annotations

import csv
import io
import re

from ingest.core import numbers, reference
from ingest.core.contract import Column, Table
from ingest.core.discovery import MOPAC_SURVEYS, Catalogue
from ingest.core.errors import SourceFormatError
from ingest.core.formats import decode_text, refuse_html
from ingest.core.http import file_name
from ingest.core.source import Batch, Source

TABLE = Table(
    "pas_neighbourhood",
    "The neighbourhood indicators by ethnic group in long form, one row per published cell; `period` is "
    "the coverage in the file name, e.g. `2015-16_to_2020-21`.",
    (
        Column("row_index", "INTEGER", "Data row (0-based, after the three header rows)."),
        Column("neighbourhood", "VARCHAR", "As published: `<Borough> - <Neighbourhood>`."),
        Column("question", "VARCHAR", "Header row 1: the question."),
        Column("ethnic_group", "VARCHAR", "Header row 2: `White British`, `Asian` or `Black`."),
        Column("measure_definition", "VARCHAR", "Header row 3, e.g. `% Strongly agree/Tend to agree`."),
        Column("percentage", "INTEGER", "Whole percentage; null where suppressed (a blank cell)."),
    ),
    dbt=("pas", "neighbourhood"),
)


def period_of(name: str) -> str:
    match = re.search(r"(\d{4}-\d{2}_to_\d{4}-\d{2})", name)
    return match.group(1) if match else "current"


def parse_indicators(content: bytes):
    """Three header rows (question / group / definition) → one row per cell; blanks stay null."""
    import pandas as pd

    what = "PAS neighbourhood indicators"
    refuse_html(content, what=what, expected="CSV")
    table = list(csv.reader(io.StringIO(decode_text(content, what=what), newline="")))
    if len(table) < 4:
        raise SourceFormatError(f"{what}: fewer than three header rows and one data row")
    questions, groups, definitions = table[0], table[1], table[2]
    if questions[0].strip().lower() != "neighbourhood" or not (len(questions) == len(groups) == len(definitions)):
        raise SourceFormatError(
            f"{what}: expected header rows question/group/definition starting 'neighbourhood', got {questions[:2]!r}"
        )
    rows = []
    for i, rec in enumerate(r for r in table[3:] if any(c.strip() for c in r)):
        if len(rec) != len(questions):
            raise SourceFormatError(f"{what}: data row {i + 4} has {len(rec)} cells, header {len(questions)}")
        for j in range(1, len(questions)):
            cell = rec[j].strip()
            value = numbers.parse_integer(cell, what=f"{what}: row {i + 4} column {j + 1}: an integer percentage") if cell else None
            rows.append(
                {
                    "row_index": i,
                    "neighbourhood": rec[0].strip(),
                    "question": questions[j].strip(),
                    "ethnic_group": groups[j].strip(),
                    "measure_definition": definitions[j].strip(),
                    "percentage": value,
                }
            )
    return pd.DataFrame(rows, columns=TABLE.parsed_column_names, dtype=object)


def parse(content: bytes, *, location: str, period: str | None) -> list[Batch]:
    return [Batch(period_of(file_name(location)), parse_indicators(content))]


def gate_view(frame):
    """`borough_known`: the part before ' - ' is a London borough (ONS name or known alias)."""
    lookup = reference.borough_lookup()
    view = frame.copy()
    view["borough_known"] = [str(n).split(" - ", 1)[0].strip().lower() in lookup for n in view["neighbourhood"]]
    return view


SOURCE = Source(
    name="pas_neighbourhood",
    table=TABLE,
    suite="pas_neighbourhood",
    dag="pas",
    variable="PAS_NEIGHBOURHOOD_URL",
    default="",
    parse=parse,
    extension="csv",
    description=__doc__.split("\n\n")[0],
    start="2014-10-01",
    period_kind="financial_year",  # `2015-16_to_2020-21`; `current` (no years in the name) is not dated
    first_period="2015-16",  # the first year MOPAC publishes the indicators for
    gate_view=gate_view,
    schedule="0 6 1 1,4,7,10 *",
    catalogue=Catalogue("london_datastore", MOPAC_SURVEYS, r"^neighbourhood_indicators_by_ethnicity_.*\.csv$", latest_only=True),
)
