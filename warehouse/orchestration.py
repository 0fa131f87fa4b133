"""What every DAG shares: default arguments, Assets, pools, the time zone, and the task bodies.

DAG files import this (it is light: no pandas, no DuckDB, no network at
import) and call its task bodies, which import the pipeline when they run.
Source DAGs are read from the source declarations (`ingest.registry`), so a
new source module is scheduled without a new DAG file.

Pools (created by `warehouse.airflow_env.ensure_pools`, a deployment must
have them or tasks wait silently):
- `duckdb_writer`, one slot: every warehouse build task takes it, so one
  DuckDB writer runs at a time;
- `police_uk_api`, four slots: every task that calls the police.uk API takes
  one. Each task sends its requests one after another, so at most four are in
  flight across all workers: well inside police.uk's published limit of 15
  requests per second with bursts of 30.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from airflow.sdk import Asset

from ingest import registry
from ingest.core.config import get_settings
from ingest.core.periods import TIMEZONE as TIMEZONE  # re-exported: DAG files read the time zone here
from ingest.core.periods import month_of_instant
from ingest.core.source import Plan, Source

WRITER_POOL = "duckdb_writer"
POLICE_UK_POOL = "police_uk_api"
POOLS = {
    WRITER_POOL: (1, "one DuckDB writer at a time (warehouse builds)"),
    POLICE_UK_POOL: (4, "police.uk API: at most 4 tasks sending requests at once (limit 15/s, bursts of 30)"),
}
POOL_OF_SOURCE = {"police_uk_stop_search": POLICE_UK_POOL}

WAREHOUSE_ASSET = Asset("mapwh://warehouse/marts")

_settings = get_settings()
DEFAULT_ARGS = {
    "owner": "mapwh",
    "retries": int(_settings.get("MAPWH_TASK_RETRIES", "2")),
    "retry_delay": timedelta(seconds=float(_settings.get("MAPWH_RETRY_DELAY_S", "300"))),
    "retry_exponential_backoff": True,
}

def asset(source: Source) -> Asset:
    """The validated zone of a source's table: updated whenever one of its batches is committed."""
    return Asset(f"mapwh://validated/{source.table.name}")


def source_assets() -> list[Asset]:
    return [asset(s) for s in registry.sources().values()]


def pool(source: Source) -> str:
    return POOL_OF_SOURCE.get(source.name, "default_pool")


# --------------------------------------------------------------------------- task bodies
def _fail_or_skip(call):
    """Run a pipeline step: a rejected or failed batch fails the task without retries;
    a period not published, or a source not configured here, skips it (no Asset event)."""
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from warehouse.gates import GateFailed
    from warehouse.pipeline import BatchRejected, NotConfigured, NotPublished

    try:
        return call()
    except (GateFailed, BatchRejected) as exc:
        raise AirflowFailException(str(exc)) from exc
    except (NotPublished, NotConfigured) as exc:
        raise AirflowSkipException(str(exc)) from exc


def plan_period(source_name: str, data_interval_start) -> dict:
    """The month of the run's data interval: published? where?"""
    from warehouse import pipeline

    source = registry.get(source_name)
    month = month_of_instant(data_interval_start)
    planned = _fail_or_skip(lambda: pipeline.plan(get_settings(), source, month))
    if not planned.locations:
        from airflow.sdk.exceptions import AirflowSkipException

        raise AirflowSkipException(f"{source_name} {month}: {planned.note}")
    return asdict(planned)


def load_planned(source_name: str, planned: dict) -> list[dict]:
    from warehouse import pipeline

    plan = Plan(**{**planned, "locations": tuple(planned["locations"])})
    return _fail_or_skip(lambda: pipeline.load_planned(get_settings(), registry.get(source_name), plan))


def load_whole(source_name: str, selected: list[str]) -> list[dict]:
    """Load every configured file of a whole source, unless the run's `sources` param leaves it out."""
    from airflow.sdk.exceptions import AirflowSkipException

    from warehouse import pipeline

    if source_name not in selected:
        raise AirflowSkipException(f"{source_name} is not among this run's sources {selected}")
    return _fail_or_skip(lambda: pipeline.load(get_settings(), registry.get(source_name)))


def build_step(step: str, path: str | None = None) -> str:
    """One step of a warehouse build; a failed dbt build or mart gate quarantines the new file."""
    from pathlib import Path

    from airflow.sdk.exceptions import AirflowFailException

    from warehouse import build
    from warehouse.gates import GateFailed

    settings = get_settings()
    if step == "prepare":
        return str(build.prepare(settings))
    if step == "publish":
        return str(build.publish(settings, Path(path)))
    try:
        {"dbt_build": build.run_dbt, "gate_marts": build.gate_marts}[step](settings, Path(path))
    except (build.BuildFailed, GateFailed) as exc:
        build.quarantine_build(settings, Path(path), str(exc))
        raise AirflowFailException(str(exc)) from exc
    return path
