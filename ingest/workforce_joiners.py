"""Home Office police officer joiners by force, financial year, joiner type, sex and ethnicity.

The joiners open data table (`Financial year`, `Joiner type` such as `New
recruit`, ethnicity, headcount and FTE), found on the GOV.UK open data tables
page (the newest `open-data-table-police-workforce-joiners-<DDMMYY>.ods`) or
pinned with `WORKFORCE_JOINERS_URL`, read by the columns present like the
workforce table, ODS or CSV. Recruitment shares count joiner type `New recruit`. One
batch per financial year; its period is the year (`2021-22`).
"""

from __future__ import annotations

from ingest.core import home_office, spreadsheets
from ingest.core.contract import Column, Table
from ingest.core.source import Batch, Source

WHAT = "workforce joiners table"
REQUIRED = ("financial_year", "force", "sex", "joiner_type", "ethnicity", "headcount")

TABLE = Table(
    "workforce_joiners",
    "Police officer joiners, one row per financial year, force, sex, rank, worker type, joiner type and "
    "ethnicity, as published.",
    (
        Column("financial_year", "VARCHAR", "Financial year, normalised to `2021-22` (published `2021/22`)."),
        Column("geo_code", "VARCHAR", "ONS code of the force area; null when the table has none."),
        Column("force", "VARCHAR", "`Force Name` as published."),
        Column("region", "VARCHAR", "`Region` as published; null when absent."),
        Column("sex", "VARCHAR", "`Sex` (or `Gender`) as published."),
        Column("rank", "VARCHAR", "`Rank description` joined at, as published (`Constable` for new recruits); null when absent."),
        Column("worker_type", "VARCHAR", "`Worker type` as published; null when absent."),
        Column("joiner_type", "VARCHAR", "`Joiner type` as published: `New recruit`, `Transferee`, `Re-joiner`."),
        Column("ethnicity", "VARCHAR", "`Ethnicity` as published."),
        Column("ethnic_group_published", "VARCHAR", "`Ethnic group` as published; never used for mapping."),
        Column("headcount", "BIGINT", "`Total (headcount)`; ` - ` is 0."),
        Column("fte", "DOUBLE", "`Total (FTE)`; null when the table has none."),
    ),
    dbt=("workforce", "joiners"),
)


def parse(content: bytes, *, location: str, period: str | None) -> list[Batch]:
    return home_office.parse_batches(content, TABLE, what=WHAT, required=REQUIRED, period_column="financial_year",
                                     period_of=home_office.financial_year)


DIMENSIONS = {"sex": "sex", "rank": "rank", "worker_type": "worker_type", "joiner_type": "joiner_type", "ethnicity": "ethnicity"}


def gate_view(frame):
    return home_office.gate_view(frame, DIMENSIONS, ["financial_year", "force", "sex", "rank", "worker_type", "joiner_type"])


gate_parameters = home_office.gate_parameters_for(DIMENSIONS)


SOURCE = Source(
    name="workforce_joiners",
    table=TABLE,
    suite="workforce_joiners",
    dag="workforce",
    variable="WORKFORCE_JOINERS_URL",
    default="",
    parse=parse,
    extension=spreadsheets.extension,
    description=__doc__.split("\n\n")[0],
    gate_view=gate_view,
    gate_parameters=gate_parameters,
    start="2003-03-31",
    period_kind="financial_year",
    first_period="2002-03",  # the year ending 31 March 2003, where the Home Office series starts
    schedule="0 7 15 2,8 *",
    catalogue=home_office.catalogue(r"^open-data-table-police-workforce-joiners-\d{6}\.(ods|csv)$"),
)
