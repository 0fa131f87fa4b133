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

import logging
from dataclasses import asdict
from datetime import timedelta

from airflow.sdk import Asset

from ingest import registry
from ingest.core.config import get_settings
from ingest.core.periods import TIMEZONE as TIMEZONE  # re-exported: DAG files read the time zone here
from ingest.core.periods import month_of_instant
from ingest.core.source import Plan, Source
from warehouse.notify import notify_failure

log = logging.getLogger(__name__)

WRITER_POOL = "duckdb_writer"
# the writer's pool and every pool a source declares (`Source.pool`)
POOLS = {
    WRITER_POOL: (1, "one DuckDB writer at a time (warehouse builds)"),
    **{s.pool.name: (s.pool.slots, s.pool.description) for s in registry.sources().values() if s.pool is not None},
}

WAREHOUSE_ASSET = Asset("mapwh://warehouse/marts")
POSTGRES_ASSET = Asset("mapwh://postgres/marts")  # the marts as PostgreSQL serves them to BI tools

_settings = get_settings()
# Scheduled runs of a partitioned source re-read this many months up to their
# own (new or revised ones load, unchanged ones cost one fetch each).
LOOKBACK_MONTHS = _settings.vars.lookback_months


def record_task_failure(context) -> None:
    """Every task's `on_failure_callback`: a failure its body did not record (an error before or outside
    `_fail_or_skip`, a timeout, a process the scheduler found dead) still reaches `audit/task_failures.jsonl`,
    where `mapwh status` and `mapwh run` read it; one the body recorded is not written twice."""
    exc = context.get("exception")
    seen = exc
    while seen is not None:
        if getattr(seen, "_mapwh_recorded", False):
            return
        seen = seen.__cause__
    ti = context.get("ti") or context.get("task_instance")
    dag_id, task_id = getattr(ti, "dag_id", "?"), getattr(ti, "task_id", "?")
    members = registry.dags().get(dag_id, [])
    source = (task_id if task_id in registry.sources() else
              members[0].name if len(members) == 1 else dag_id)
    failure = exc if exc is not None else RuntimeError(f"{dag_id}.{task_id} failed (no exception was given)")
    record_failure(source, failure, task=f"{dag_id}.{task_id}")


DEFAULT_ARGS = {
    "owner": "mapwh",
    "retries": _settings.vars.task_retries,
    "retry_delay": timedelta(seconds=_settings.vars.retry_delay_s),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(seconds=_settings.vars.task_timeout_s),  # every task, from one setting
    # any failure reaches task_failures.jsonl, once, and (MAPWH_NOTIFY_EMAIL set) one email
    "on_failure_callback": [record_task_failure, notify_failure],
}


def asset(source: Source) -> Asset:
    """The validated zone of a source's table: updated whenever one of its batches is committed."""
    return Asset(f"mapwh://validated/{source.table.name}")


def source_assets() -> list[Asset]:
    return [asset(s) for s in registry.sources().values()]


def pool(source: Source) -> str:
    return source.pool.name if source.pool is not None else "default_pool"


# --------------------------------------------------------------------------- task bodies
def record_failure(source_name: str, exc: BaseException, *, task: str | None = None) -> None:
    """One line in `audit/task_failures.jsonl` per failed try: what `mapwh run` and `mapwh status` show.
    The exception is marked, so the task's failure callback (`record_task_failure`) does not write it again."""
    from datetime import datetime, timezone

    from ingest.core.files import append_jsonl

    row = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "source": source_name,
           "error": type(exc).__name__, "message": str(exc).splitlines()[0][:500] if str(exc) else type(exc).__name__}
    append_jsonl(get_settings().audit_dir / "task_failures.jsonl", {**row, **({"task": task} if task else {})})
    try:
        exc._mapwh_recorded = True
    except AttributeError:  # an exception type without a __dict__: the callback may record it once more
        pass


def record_left_to_another_run(source_name: str, exc: BaseException) -> None:
    """One line in `audit/left_to_another_run.jsonl` per load skipped because another run holds its period:
    `mapwh run` tells that skip from a period with nothing new."""
    from datetime import datetime, timezone

    from ingest.core.files import append_jsonl

    append_jsonl(get_settings().audit_dir / "left_to_another_run.jsonl",
                 {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "source": source_name,
                  "message": str(exc).splitlines()[0][:500] if str(exc) else type(exc).__name__})


def _fail_or_skip(source_name: str, call):
    """Run a pipeline step: a rejected or failed batch fails the task without retries;
    a period not published, a source not configured here, or a period another run is loading now skips it
    (no Asset event);
    anything else (an unreachable source) fails this try, and the scheduler may retry it."""
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from warehouse.gates import GateFailed
    from warehouse.pipeline import BatchRejected, LoadInProgress, NotConfigured, NotPublished

    try:
        return call()
    except (GateFailed, BatchRejected) as exc:
        record_failure(source_name, exc)
        raise AirflowFailException(str(exc)) from exc
    except LoadInProgress as exc:  # the other run loads it and emits the Asset; `mapwh run` says so, not "unchanged"
        record_left_to_another_run(source_name, exc)
        raise AirflowSkipException(str(exc)) from exc
    except (NotPublished, NotConfigured) as exc:
        raise AirflowSkipException(str(exc)) from exc
    except Exception as exc:
        record_failure(source_name, exc)
        raise


def _run_month(source: Source, data_interval_start) -> str:
    """The month a run is for: its data interval's; for a run triggered without a logical date (the UI's and
    `airflow dags trigger`'s default, which has no data interval), the latest month the source has published,
    or this London month when the source cannot say (the plan leaves out what is not published)."""
    from airflow.sdk.exceptions import AirflowSkipException

    if data_interval_start is not None:
        return month_of_instant(data_interval_start)
    if source.latest_available is not None:
        latest = _fail_or_skip(source.name, lambda: source.latest_available(get_settings()))
        if latest is None:
            raise AirflowSkipException(f"{source.name}: no month published yet")
        log.info("%s: a run without a logical date reads the latest month published, %s", source.name, latest)
        return latest
    import pendulum

    return month_of_instant(pendulum.now(TIMEZONE))


def plan_period(source_name: str, data_interval_start, lookback: int) -> list[dict]:
    """The months a run reads: its interval's month and, with a look-back, the published ones before it
    (a run without a logical date: the latest published month and the look-back before it, `_run_month`).

    A month not yet published is not there yet: it is left out (and logged),
    and a run with nothing to read maps no load task.
    """
    from warehouse import pipeline

    source = registry.get(source_name)
    month = _run_month(source, data_interval_start)
    planned = _fail_or_skip(source_name, lambda: pipeline.plan(get_settings(), source, month, lookback))
    for p in planned:
        if not p.locations:
            log.info("%s %s: %s", source_name, p.period, p.note)
    return [asdict(p) for p in planned if p.locations]


def _skip_if_unchanged(source_name: str, committed: list[dict]) -> list[dict]:
    """Nothing new: the task is skipped, so its Asset does not trigger a build for nothing."""
    from airflow.sdk.exceptions import AirflowSkipException

    if committed and all(c.get("unchanged") for c in committed):
        raise AirflowSkipException(f"{source_name}: unchanged ({', '.join(c['period'] for c in committed)} as loaded)")
    return committed


def load_planned(source_name: str, planned: dict) -> list[dict]:
    from warehouse import pipeline

    plan = Plan(**{**planned, "locations": tuple(planned["locations"])})
    committed = _fail_or_skip(source_name, lambda: pipeline.load_planned(get_settings(), registry.get(source_name), plan))
    return _skip_if_unchanged(source_name, committed)


def load_whole(source_name: str, selected: list[str]) -> list[dict]:
    """Load every configured file of a whole source, unless the run's `sources` param leaves it out."""
    from airflow.sdk.exceptions import AirflowSkipException

    from warehouse import pipeline

    if source_name not in selected:
        raise AirflowSkipException(f"{source_name} is not among this run's sources {selected}")
    committed = _fail_or_skip(source_name, lambda: pipeline.load(get_settings(), registry.get(source_name)))
    return _skip_if_unchanged(source_name, committed)


def build_step(step: str, path: str | None = None, *, full_refresh: bool = False) -> str:
    """One step of a warehouse build; a failed dbt build or mart gate quarantines the new file,
    and a build that a newer published one has superseded is skipped (never published)."""
    from pathlib import Path

    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from warehouse import build
    from warehouse.gates import GateFailed

    settings = get_settings()
    if step == "prepare":
        from warehouse.selection import NothingNew

        try:
            return str(build.prepare(settings, full_refresh=full_refresh))
        except NothingNew as exc:  # every later step skips: nothing is built, gated or published
            raise AirflowSkipException(str(exc)) from exc
    if step == "report":
        from warehouse import report

        return str(report.write_report(settings, db_path=Path(path)))
    if step == "publish_postgres":
        from warehouse import serve_pg

        published = serve_pg.publish(settings, Path(path))
        if published is None:
            raise AirflowSkipException("MAPWH_PG_DSN is empty: the marts are not published to PostgreSQL")
        return f"{published['schema']} build {published['build']}"
    try:
        if step == "publish":
            return str(build.publish(settings, Path(path)))
        {"dbt_build": build.run_dbt, "gate_marts": build.gate_marts}[step](settings, Path(path))
    except build.Superseded as exc:
        raise AirflowSkipException(str(exc)) from exc
    except (build.BuildFailed, GateFailed) as exc:
        build.quarantine_build(settings, Path(path), str(exc))
        record_failure("warehouse_build", exc)
        raise AirflowFailException(str(exc)) from exc
    return path
