"""
### Warehouse build: dbt, mart gates, atomic publish

Triggered whenever a source Asset is updated. When the published build
already holds every serving batch, `prepare` is skipped and so is every
later step: nothing is built or published. Otherwise it builds a new DuckDB
file (a copy of the published one in which only the periods whose batch
changed are recomputed; trigger with `{"full_refresh": true}` to rebuild
everything from the validated zone), runs one `dbt build` on it (the models
downstream of what changed and their data tests; dbt's unit tests run in
`make test`), validates every mart it rebuilt with Great Expectations and
only then swaps it in as `warehouse.duckdb`, then renders the HTML report beside it
(`report.html`) and, when `MAPWH_PG_DSN` is set, publishes the marts to
PostgreSQL for BI tools (a new schema swapped in in one transaction; its own
Asset `mapwh://postgres/marts`). A failure quarantines the new file; the
published warehouse stays as it was and readers never block. One run at a
time, and every step holds the one-slot `duckdb_writer` pool.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import AssetAny, Param, dag, task

from warehouse.orchestration import (
    DEFAULT_ARGS,
    POSTGRES_ASSET,
    TIMEZONE,
    WAREHOUSE_ASSET,
    WRITER_POOL,
    build_step,
    source_assets,
)


@dag(
    dag_id="warehouse_build",
    schedule=AssetAny(*source_assets()),
    start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
    catchup=False,
    is_paused_upon_creation=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "pool": WRITER_POOL},
    doc_md=__doc__,
    tags=["build", "dbt", "quality"],
    params={"full_refresh": Param(False, type="boolean",
                                  description="Rebuild every period from the validated zone instead of copying the "
                                              "published build and recomputing only the changed periods.")},
)
def warehouse_build():
    @task
    def prepare(params: dict | None = None) -> str:
        """New DuckDB file: a copy of the published one brought up to date (incremental), or a full rebuild;
        skipped when nothing is new."""
        return build_step("prepare", full_refresh=bool((params or {}).get("full_refresh")))

    @task(retries=0)
    def dbt_build(path: str) -> str:
        """One `dbt build` (a child process) on the new file: what changed and everything downstream."""
        return build_step("dbt_build", path)

    @task(retries=0)
    def gate_marts(path: str) -> str:
        """Great Expectations suites on every mart the build rebuilt."""
        return build_step("gate_marts", path)

    @task(outlets=[WAREHOUSE_ASSET])
    def publish(path: str) -> str:
        """Atomic rename over warehouse.duckdb."""
        return build_step("publish", path)

    @task(retries=1)
    def report(path: str) -> str:
        """The HTML report (MAPWH_HOME/report.html) from the warehouse just published."""
        return build_step("report", path)

    @task(outlets=[POSTGRES_ASSET])
    def publish_postgres(path: str) -> str:
        """The marts into PostgreSQL for BI tools: a new schema swapped in in one transaction (skipped without MAPWH_PG_DSN)."""
        return build_step("publish_postgres", path)

    published = publish(gate_marts(dbt_build(prepare())))
    report(published)
    publish_postgres(published)


warehouse_build()
