"""
### Source loads: one DAG per group of sources, read from the source declarations

Every module of `ingest/` declares a source (where it lives, how to parse it,
its gate suite, the DAG that loads it and that DAG's schedule); this file
makes one DAG per declared group, so a new source module is scheduled
without a new DAG file. Every load goes fetch → raw zone → parse → Great
Expectations gate → validated zone; a batch that fails is quarantined and
fails its task without retries. Each load task updates its source's Asset,
which triggers `warehouse_build`.

- A **partitioned** source (police.uk stop and search) runs once per data
  interval (`CronDataIntervalTimetable`, Europe/London). `plan` asks which
  months are published: the interval's month and the `lookback_months - 1`
  before it (param, default `MAPWH_LOOKBACK_MONTHS`, 12), so a scheduled run
  picks up whatever police.uk has published since, about two months late, and
  any month it has republished; `load` (one mapped task per month) lands,
  gates and commits each, and changes nothing for a month whose bytes are those
  already loaded. Backfill a range (London dates) with
  `airflow backfill create --dag-id stop_search --from-date 2024-09-01T00:00:00+01:00 --to-date 2025-02-01T00:00:00+00:00`.
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
from warehouse.orchestration import (
    DEFAULT_ARGS,
    LOOKBACK_MONTHS,
    TIMEZONE,
    asset,
    load_planned,
    load_whole,
    plan_period,
    pool,
)


def _schedule(members):
    (schedule,) = {s.schedule for s in members} or {"@once"}
    return schedule if schedule.startswith("@") else CronDataIntervalTimetable(schedule, timezone=TIMEZONE)


def _doc(dag_id: str, members) -> str:
    lines = [f"### {dag_id}", ""]
    for s in members:
        where = f"`{s.variable}`" + (f" (default {s.default_text})" if s.default_text else " (no default: set it to take the source)")
        lines.append(f"- **{s.name}** from {where}: {' '.join(s.description.split())}")
    return "\n".join(lines + ["", __doc__])


def partitioned_dag(dag_id: str, source):
    @dag(
        dag_id=dag_id,
        schedule=_schedule([source]),
        start_date=pendulum.parse(source.start, tz=TIMEZONE),
        catchup=False,
        is_paused_upon_creation=False,
        max_active_runs=4,
        default_args=DEFAULT_ARGS,
        doc_md=_doc(dag_id, [source]),
        tags=["source", "partitioned", source.name],
        params={
            "lookback_months": Param(
                default=LOOKBACK_MONTHS,
                type="integer",
                minimum=1,
                title="Months to re-read",
                description="The run's month and the published months before it, this many in all; "
                            "new or revised ones load, unchanged ones cost one request each.",
            )
        },
    )
    def load_by_period():
        @task(pool=pool(source))
        def plan(data_interval_start=None, params=None) -> list[dict]:
            """Which months are published (the interval's and the look-back), and where?"""
            return plan_period(source.name, data_interval_start, params["lookback_months"])

        @task(pool=pool(source), outlets=[asset(source)])
        def load(planned: dict) -> list[dict]:
            """Fetch, land, parse, gate and commit one month."""
            return load_planned(source.name, planned)

        load.expand(planned=plan())

    return load_by_period()


def whole_sources_dag(dag_id: str, members):
    names = [s.name for s in members]

    @dag(
        dag_id=dag_id,
        schedule=_schedule(members),
        start_date=min(pendulum.parse(s.start, tz=TIMEZONE) for s in members),
        catchup=False,
        is_paused_upon_creation=False,
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
