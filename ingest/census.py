"""ONS Census 2021 population by ethnic group (TS021, 8 categories) per local authority.

The denominator of every stop-and-search rate. ONS exports name the geography
in the header (`Upper tier local authorities Code`, `Lower tier local
authorities Code`, ...) and carry an `Ethnic group (8 categories) Code`
column; categories are identified by that code, never by the label (copies
in circulation have altered labels).
"""

from __future__ import annotations

import csv
import io

from ingest.core import numbers
from ingest.core.contract import Column, Table
from ingest.core.errors import SourceFormatError
from ingest.core.formats import decode_text, refuse_html
from ingest.core.source import Batch, Source

PERIOD = "2021"
CATEGORY_CODE_COLUMN = "Ethnic group (8 categories) Code"

TABLE = Table(
    "census_population",
    "ONS Census 2021 TS021 ethnic group (8 categories) by local authority: one row per area and category.",
    (
        Column("geography", "VARCHAR", "Header prefix naming the geography, e.g. `Upper tier local authorities`."),
        Column("area_code", "VARCHAR", "ONS area code (London boroughs are E09000001-E09000033)."),
        Column("area_name", "VARCHAR", "Area name as published."),
        Column("ethnic_group_code", "INTEGER", "TS021 category code (-8, 1-7): the key used for mapping."),
        Column("ethnic_group_label", "VARCHAR", "Category label as published; never used for mapping."),
        Column("observation", "BIGINT", "Usual residents."),
    ),
    dbt=("census", "population"),
)


def parse_ts021_csv(content: bytes):
    """Parse a TS021 (8 categories) CSV export into raw.census_population rows."""
    import pandas as pd

    refuse_html(content, what="census population", expected="CSV")
    text = decode_text(content, what="census population")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None) or []
    if len(header) != 5 or not header[0].endswith(" Code") or header[2] != CATEGORY_CODE_COLUMN or header[4] != "Observation":
        raise SourceFormatError(
            "census population: expected the TS021 8-category export header "
            f"('<geography> Code, <geography>, {CATEGORY_CODE_COLUMN}, Ethnic group, Observation'), got {header!r}"
        )
    geography = header[0][: -len(" Code")]
    rows = []
    for line_no, values in enumerate(reader, start=2):
        if not values:
            continue
        if len(values) != 5:
            raise SourceFormatError(f"census population: line {line_no} has {len(values)} fields, expected 5")
        # strictly (ingest.core.numbers): ASCII digits, a sign on the category code (-8: does not apply),
        # thousands commas in a count; never an exponent or another script's digits
        code = numbers.parse_integer(values[2].strip(), what=f"census population: line {line_no}, category code", sign=True)
        observation = numbers.parse_integer(values[4].strip(), what=f"census population: line {line_no}, observation",
                                            thousands=True)
        rows.append(
            {
                "geography": geography,
                "area_code": values[0].strip(),
                "area_name": values[1].strip(),
                "ethnic_group_code": code,
                "ethnic_group_label": values[3],
                "observation": observation,
            }
        )
    return pd.DataFrame(rows, columns=TABLE.parsed_column_names, dtype=object)


def parse(content: bytes, *, location: str, period: str | None) -> list[Batch]:
    return [Batch(PERIOD, parse_ts021_csv(content))]


def gate_view(frame):
    """`categories_in_area`: how many of the eight categories each area has (a missing one changes every rate)."""
    view = frame.copy()
    view["categories_in_area"] = view.groupby("area_code")["ethnic_group_code"].transform("nunique")
    return view


SOURCE = Source(
    name="census_population",
    table=TABLE,
    suite="census_population",
    dag="reference_data",
    variable="CENSUS_POPULATION_URL",
    default="https://api.beta.ons.gov.uk/v1/datasets/TS021/editions/2021/versions/3/csv",
    parse=parse,
    extension="csv",
    description=__doc__.split("\n\n")[0],
    gate_view=gate_view,
    start="2021-03-21",
    period_kind="year",
    first_period="2021",  # Census 2021 (TS021): its table has no earlier census
    # re-read monthly: unchanged bytes change nothing, and a build never runs without it
    schedule="0 5 1 * *",
)
