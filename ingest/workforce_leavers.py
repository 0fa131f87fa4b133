"""Home Office police officer leavers by force, financial year, rank, leaver type, sex and ethnicity.

The leavers open data table (`Financial year`, `Rank description`, `Leaver
type` such as `Voluntary resignation` or `Normal retirement`, ethnicity,
headcount and FTE), found on the GOV.UK open data tables page (the newest
`open-data-table-police-workforce-leavers-<DDMMYY>.ods`) or pinned with
`WORKFORCE_LEAVERS_URL`, read by the columns present like the workforce
table, ODS or CSV. One batch per financial year; its period is the year
(`2021-22`). With the officers table it gives the leaving rate: leavers in
the year over the officers at its start.
"""

from __future__ import annotations

from ingest.core import home_office, spreadsheets
from ingest.core.contract import Column, Table
from ingest.core.source import Batch, Source

WHAT = "workforce leavers table"
REQUIRED = ("financial_year", "force", "sex", "rank", "leaver_type", "ethnicity", "headcount")

TABLE = Table(
    "workforce_leavers",
    "Police officer leavers, one row per financial year, force, sex, rank, worker type, leaver type and "
    "ethnicity, as published.",
    (
        Column("financial_year", "VARCHAR", "Financial year, normalised to `2021-22` (published `2021/22`)."),
        Column("geo_code", "VARCHAR", "ONS code of the force area; null when the table has none."),
        Column("force", "VARCHAR", "`Force name` as published."),
        Column("region", "VARCHAR", "`Region` as published; null when absent."),
        Column("sex", "VARCHAR", "`Sex` (or `Gender`) as published."),
        Column("rank", "VARCHAR", "`Rank description` at leaving, as published."),
        Column("worker_type", "VARCHAR", "`Worker type` as published; null when absent."),
        Column("leaver_type", "VARCHAR", "`Leaver type` as published: `Normal retirement`, `Voluntary resignation`, `Dismissal`, ..."),
        Column("ethnicity", "VARCHAR", "`Ethnicity` as published."),
        Column("ethnic_group_published", "VARCHAR", "`Ethnic group` as published; never used for mapping."),
        Column("headcount", "BIGINT", "`Total (headcount)`: leavers in the year; ` - ` is 0."),
        Column("fte", "DOUBLE", "`Total (FTE)`; null when the table has none."),
    ),
    dbt=("workforce", "leavers"),
)


def parse(content: bytes, *, location: str, period: str | None) -> list[Batch]:
    return home_office.parse_batches(content, TABLE, what=WHAT, required=REQUIRED, period_column="financial_year",
                                     period_of=home_office.financial_year)


DIMENSIONS = {"sex": "sex", "rank": "rank", "worker_type": "worker_type", "leaver_type": "leaver_type", "ethnicity": "ethnicity"}


def gate_view(frame):
    return home_office.gate_view(frame, DIMENSIONS, ["financial_year", "force", "sex", "rank", "worker_type", "leaver_type"])


gate_parameters = home_office.gate_parameters_for(DIMENSIONS)


SOURCE = Source(
    name="workforce_leavers",
    table=TABLE,
    suite="workforce_leavers",
    dag="workforce",
    variable="WORKFORCE_LEAVERS_URL",
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
    catalogue=home_office.catalogue(r"^open-data-table-police-workforce-leavers-\d{6}\.(ods|csv)$"),
)
