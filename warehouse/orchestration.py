"""What every DAG shares: default arguments, Assets, the writer pool, the timezone.

DAG files import this (it is light: no pandas, no DuckDB, no network at
import) instead of reading the environment themselves.
"""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import Asset

TIMEZONE = "Europe/London"

# One DuckDB writer at a time: every task that builds the warehouse takes this pool's only slot.
WRITER_POOL = "duckdb_writer"

# Assets: the validated zone per source, and the published warehouse.
STOP_SEARCH_ASSET = Asset("mapwh://validated/police_uk_stop_searches")
CENSUS_ASSET = Asset("mapwh://validated/census_population")
BOUNDARIES_ASSET = Asset("mapwh://validated/london_boundaries")
PAS_DASHBOARD_ASSET = Asset("mapwh://validated/pas_dashboard")
PAS_NEIGHBOURHOOD_ASSET = Asset("mapwh://validated/pas_neighbourhood")
PAS_MICRODATA_ASSET = Asset("mapwh://validated/pas_microdata")
WAREHOUSE_ASSET = Asset("mapwh://warehouse/marts")

DEFAULT_ARGS = {
    "owner": "mapwh",
    "retries": int(os.environ.get("MAPWH_TASK_RETRIES", "2")),
    "retry_delay": timedelta(seconds=float(os.environ.get("MAPWH_RETRY_DELAY_S", "300"))),
    "retry_exponential_backoff": True,
}


def skip_unless_selected(source: str) -> None:
    """Skip this task when the run's conf names `sources` and not this one.

    `mapwh run --sources ...` (and a manual trigger with conf
    `{"sources": [...]}`) loads only the chosen sources of a DAG; a scheduled
    run has no conf and loads them all.
    """
    from airflow.sdk import get_current_context
    from airflow.sdk.exceptions import AirflowSkipException

    conf = get_current_context()["dag_run"].conf or {}
    selected = conf.get("sources")
    if selected is not None and source not in selected:
        raise AirflowSkipException(f"{source} not among the selected sources {selected}")
