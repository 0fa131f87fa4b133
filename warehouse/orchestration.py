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
WAREHOUSE_ASSET = Asset("mapwh://warehouse/marts")

DEFAULT_ARGS = {
    "owner": "mapwh",
    "retries": int(os.environ.get("MAPWH_TASK_RETRIES", "2")),
    "retry_delay": timedelta(seconds=float(os.environ.get("MAPWH_RETRY_DELAY_S", "300"))),
    "retry_exponential_backoff": True,
}
