"""
### MOPAC Public Attitude Survey (quarterly)

Loads the three PAS sources through the raw zone and their gates:
the trust and confidence dashboard (`PAS_DASHBOARD_URL`: the workbook, or CSV
exports of its `MPS` and `Borough` sheets; the format is detected and logged),
the neighbourhood indicators by ethnic group (`PAS_NEIGHBOURHOOD_URL`) and the
respondent-level microdata (`PAS_MICRODATA_URL`, one file per financial year;
skipped with a warning when not configured). Each source is published whole
(every quarter to date), so a run reloads the current files; a period that
arrives again replaces itself. MOPAC updates the dashboard quarterly, hence
the schedule. Each task updates its Asset, which triggers `warehouse_build`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from warehouse.orchestration import (
    DEFAULT_ARGS,
    PAS_DASHBOARD_ASSET,
    PAS_MICRODATA_ASSET,
    PAS_NEIGHBOURHOOD_ASSET,
    TIMEZONE,
)


def _load(source: str):
    from airflow.sdk.exceptions import AirflowFailException

    from warehouse import loads
    from warehouse.config import get_settings
    from warehouse.gates import GateFailed
    from warehouse.orchestration import skip_unless_selected

    skip_unless_selected(source)
    try:
        return getattr(loads, f"load_{source}")(get_settings())
    except (GateFailed, loads.BatchRejected) as exc:
        raise AirflowFailException(str(exc)) from exc


@dag(
    dag_id="pas",
    schedule=CronDataIntervalTimetable("0 6 1 1,4,7,10 *", timezone=TIMEZONE),
    start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["source", "pas", "trust"],
)
def pas():
    @task(outlets=[PAS_DASHBOARD_ASSET])
    def pas_dashboard() -> list:
        """Workbook or sheet CSVs → one batch per sheet."""
        return _load("pas_dashboard")

    @task(outlets=[PAS_NEIGHBOURHOOD_ASSET])
    def pas_neighbourhood() -> dict:
        """Neighbourhood indicators by ethnic group → long form."""
        return _load("pas_neighbourhood")

    @task(outlets=[PAS_MICRODATA_ASSET])
    def pas_microdata() -> list:
        """Respondent-level files → one batch per financial year."""
        return _load("pas_microdata")

    pas_dashboard()
    pas_neighbourhood()
    pas_microdata()


pas()
