"""
### Source loads: one DAG per group of sources, read from the source declarations

Every module of `ingest/` declares a source (where it lives, how to parse it,
its gate suite, the DAG that loads it and that DAG's schedule); this file
makes one DAG per declared group, so a new source module is scheduled
without a new DAG file. Every load goes fetch → raw zone → parse → Great
Expectations gate → validated zone; a batch that fails is quarantined and
fails its task without retries. Each load task updates its source's Asset,
which triggers `warehouse_build`.

- A **partitioned** source (police.uk stop and search) loads the month of
  each run's data interval (`CronDataIntervalTimetable`, Europe/London): `plan`
  asks where the month is published (skipped when it is not yet), `load`
  lands, gates and commits it. Backfill a range with
  `airflow backfill create --dag-id stop_search --from-date 2024-09-01 --to-date 2025-02-01`.
- A **whole** source is published whole (every period to date), so each run
  reloads its current files and a period that arrives again replaces itself.
  One task per source; the run's `sources` param (default: all of them)
  chooses which run, and a source whose location variable is set empty is
  skipped.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

from ingest import registry
from warehouse.orchestration import DEFAULT_ARGS, TIMEZONE, asset, load_planned, load_whole, plan_period, pool


def _schedule(members):
    (schedule,) = {s.schedule for s in members} or {"@once"}
    return schedule if schedule.startswith("@") else CronDataIntervalTimetable(schedule, timezone=TIMEZONE)


def _doc(dag_id: str, members) -> str:
    lines = [f"### {dag_id}", ""]
    for s in members:
        where = f"`{s.variable}`" + (f" (default {s.default})" if s.default else " (no default: set it to take the source)")
        lines.append(f"- **{s.name}** from {where}: {' '.join(s.description.split())}")
    return "\n".join(lines + ["", __doc__])


def partitioned_dag(dag_id: str, source):
    @dag(
        dag_id=dag_id,
        schedule=_schedule([source]),
        start_date=pendulum.parse(source.start, tz=TIMEZONE),
        catchup=False,
        max_active_runs=4,
        default_args=DEFAULT_ARGS,
        doc_md=_doc(dag_id, [source]),
        tags=["source", "partitioned", source.name],
    )
    def load_by_period():
        @task(pool=pool(source))
        def plan(data_interval_start=None) -> dict:
            """Is the interval's month published, and where?"""
            return plan_period(source.name, data_interval_start)

        @task(pool=pool(source), outlets=[asset(source)])
        def load(planned: dict) -> list[dict]:
            """Fetch, land, parse, gate and commit the month."""
            return load_planned(source.name, planned)

        load(plan())

    return load_by_period()


def whole_sources_dag(dag_id: str, members):
    names = [s.name for s in members]

    @dag(
        dag_id=dag_id,
        schedule=_schedule(members),
        start_date=min(pendulum.parse(s.start, tz=TIMEZONE) for s in members),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        doc_md=_doc(dag_id, members),
        tags=["source", "whole", *names],
        params={
            "sources": Param(
                default=names,
                type="array",
                items={"type": "string", "enum": names},
                uniqueItems=True,
                title="Sources to load",
                description="Which of this DAG's sources the run loads (default: all).",
            )
        },
    )
    def load_whole_sources():
        for source in members:
            _whole_load_task(source)()

    return load_whole_sources()


def _whole_load_task(source):
    @task(task_id=source.name, pool=pool(source), outlets=[asset(source)])
    def load(params=None) -> list[dict]:
        """Fetch, land, parse, gate and commit every configured file of the source."""
        return load_whole(source.name, params["sources"])

    return load


for _dag_id, _members in registry.dags().items():
    if any(s.partitioned for s in _members):
        (_source,) = _members  # a partitioned source has its DAG to itself
        globals()[_dag_id] = partitioned_dag(_dag_id, _source)
    else:
        globals()[_dag_id] = whole_sources_dag(_dag_id, _members)
