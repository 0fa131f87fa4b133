"""Home Office police workforce by force, rank, sex and ethnicity at 31 March (headcount and FTE).

The Home Office "Police workforce, England and Wales" open data table of
officers by rank, sex and ethnicity (one row per year, force, sex, rank,
worker type and ethnicity), found on the GOV.UK open data tables page through
the Content API (`GOVUK_URL`): the newest `open-data-table-police-workforce-
<DDMMYY>.ods` (or `.csv`). `WORKFORCE_URL` pins one or more files instead
(ODS or CSV, e.g. an older release or an extract). Releases differ
(`Gender`/`Sex`, trailing empty columns, ` - ` or `0` for zero, the `Other
ethnic group` label from 2021, extra sex categories) and are read by the
columns present (`ingest.core.home_office`). A file may cover every rank or
only some (a chief-officers-only extract): rows are kept as published, and
the marts total a force only where every rank is there. One batch per
`as at` date; its period is that date (`2003-03-31`).
"""

from __future__ import annotations

from ingest.core import home_office, spreadsheets
from ingest.core.contract import Column, Table
from ingest.core.source import Batch, Source

WHAT = "workforce table"
REQUIRED = ("as_at", "force", "sex", "rank", "ethnicity", "headcount")

TABLE = Table(
    "workforce_officers",
    "Home Office police workforce open data: one row per as-at date, force, sex, rank, worker type and "
    "ethnicity, as published (labels unmapped, zero for ` - `).",
    (
        Column("as_at", "DATE", "31 March of the year in `As at 31 March...`."),
        Column("geo_code", "VARCHAR", "ONS code of the force area (`Geo code`); null when the table has none."),
        Column("force", "VARCHAR", "`Force Name` as published, e.g. `Metropolitan Police`."),
        Column("region", "VARCHAR", "`Region` as published; null when the table has none."),
        Column("sex", "VARCHAR", "`Gender` (to 2020) or `Sex` (from 2021) as published."),
        Column("rank", "VARCHAR", "`Rank description` as published, e.g. `Sergeant`."),
        Column("worker_type", "VARCHAR", "`Worker type` as published (case varies by release); null when absent."),
        Column("ethnicity", "VARCHAR", "`Ethnicity` as published (five groups plus `Not stated`; `Total` where a table gives one)."),
        Column("ethnic_group_published", "VARCHAR", "`Ethnic group` as published (the release's own broad grouping); never used for mapping."),
        Column("headcount", "BIGINT", "`Total (headcount)`; ` - ` (zero or suppressed) is 0."),
        Column("fte", "DOUBLE", "`Total (FTE)`; ` - ` is 0; null when the table has no FTE column."),
    ),
    dbt=("workforce", "officers"),
)


def parse(content: bytes, *, location: str, period: str | None) -> list[Batch]:
    return home_office.parse_batches(content, TABLE, what=WHAT, required=REQUIRED, period_column="as_at",
                                     period_of=home_office.as_at_date)


DIMENSIONS = {"rank": "rank", "sex": "sex", "worker_type": "worker_type", "ethnicity": "ethnicity"}


def gate_view(frame):
    return home_office.gate_view(frame, DIMENSIONS, ["as_at", "force", "rank", "sex", "worker_type"])


gate_parameters = home_office.gate_parameters_for(DIMENSIONS)


SOURCE = Source(
    name="workforce",
    table=TABLE,
    suite="workforce_officers",
    dag="workforce",
    variable="WORKFORCE_URL",
    default="",
    parse=parse,
    extension=spreadsheets.extension,
    description=__doc__.split("\n\n")[0],
    gate_view=gate_view,
    gate_parameters=gate_parameters,
    start="2003-03-31",
    period_kind="date",
    first_period="2003-03-31",  # the Home Office open data series starts at 31 March 2003
    # the tables come out in July (31 March figures) and January (30 September): look twice a year
    schedule="0 7 15 2,8 *",
    catalogue=home_office.catalogue(r"^open-data-table-police-workforce(-ethnicity)?-\d{6}\.(ods|csv)$"),
)
