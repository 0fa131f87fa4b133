"""
### Warehouse build: dbt, mart gates, atomic publish

Triggered whenever a source Asset is updated. Builds a new DuckDB file from
the validated zone, runs one `dbt build` on it (models, seeds, data tests,
unit tests), validates every mart with Great Expectations and only then
swaps it in as `warehouse.duckdb`. A failure quarantines the new file; the
published warehouse stays as it was and readers never block. One run at a
time, and every step holds the one-slot `duckdb_writer` pool.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from warehouse.orchestration import (
    BOUNDARIES_ASSET,
    CENSUS_ASSET,
    DEFAULT_ARGS,
    PAS_DASHBOARD_ASSET,
    PAS_MICRODATA_ASSET,
    PAS_NEIGHBOURHOOD_ASSET,
    STOP_SEARCH_ASSET,
    TIMEZONE,
    WAREHOUSE_ASSET,
    WRITER_POOL,
)


def _quarantine_on_failure(step, path: str) -> None:
    from pathlib import Path

    from airflow.sdk.exceptions import AirflowFailException

    from warehouse.build import BuildFailed, quarantine_build
    from warehouse.config import get_settings
    from warehouse.gates import GateFailed

    settings = get_settings()
    try:
        step(settings, Path(path))
    except (BuildFailed, GateFailed) as exc:
        quarantine_build(settings, Path(path), str(exc))
        raise AirflowFailException(str(exc)) from exc


@dag(
    dag_id="warehouse_build",
    schedule=(
        STOP_SEARCH_ASSET
        | CENSUS_ASSET
        | BOUNDARIES_ASSET
        | PAS_DASHBOARD_ASSET
        | PAS_NEIGHBOURHOOD_ASSET
        | PAS_MICRODATA_ASSET
    ),
    start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "pool": WRITER_POOL},
    doc_md=__doc__,
    tags=["build", "dbt", "quality"],
)
def warehouse_build():
    @task
    def prepare() -> str:
        """New DuckDB file with the validated zone in schema raw."""
        from warehouse.build import prepare as prepare_build
        from warehouse.config import get_settings

        return str(prepare_build(get_settings()))

    @task(retries=0)
    def dbt_build(path: str) -> str:
        """One `dbt build` (dbtRunner, in process) on the new file."""
        from warehouse.build import run_dbt

        _quarantine_on_failure(run_dbt, path)
        return path

    @task(retries=0)
    def gate_marts(path: str) -> str:
        """Great Expectations suites on every mart."""
        from warehouse.build import gate_marts as gate

        _quarantine_on_failure(gate, path)
        return path

    @task(outlets=[WAREHOUSE_ASSET])
    def publish(path: str) -> str:
        """Atomic rename over warehouse.duckdb."""
        from pathlib import Path

        from warehouse.build import publish as publish_build
        from warehouse.config import get_settings

        return str(publish_build(get_settings(), Path(path)))

    publish(gate_marts(dbt_build(prepare())))


warehouse_build()
