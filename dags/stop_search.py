"""
### police.uk stop and search (one month per run)

Each run loads the month of its data interval for the configured force
(`POLICE_UK_FORCE`, default `metropolitan`): it asks the API which months are
published (`/crimes-street-dates`), fetches the month from `/stops-force` (or,
for history the API no longer serves, the archive CSV named in
`POLICE_UK_ARCHIVE_URL`), lands the bytes in the raw zone, gates the batch
with Great Expectations and commits it to the validated zone, which updates
the `police_uk_stop_searches` Asset and so triggers `warehouse_build`.

A month not yet published is skipped (police.uk publishes about two months
late: clear the run or backfill later). A batch that fails its gate is
quarantined and the run fails. Backfill with
`airflow backfill create --dag-id stop_search --from-date 2024-09-01 --to-date 2025-02-01`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from warehouse.orchestration import DEFAULT_ARGS, STOP_SEARCH_ASSET, TIMEZONE


@dag(
    dag_id="stop_search",
    schedule=CronDataIntervalTimetable("0 0 1 * *", timezone=TIMEZONE),
    start_date=pendulum.datetime(2016, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=4,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["source", "police_uk", "stop_search"],
)
def stop_search():
    @task
    def plan(data_interval_start=None) -> dict:
        """Is the interval's month published, by the API or an archive file?"""
        from airflow.sdk.exceptions import AirflowSkipException

        from warehouse.config import get_settings
        from warehouse.loads import plan_stop_search_month

        month = pendulum.instance(data_interval_start).in_timezone(TIMEZONE).format("YYYY-MM")
        decision = plan_stop_search_month(get_settings(), month)
        if not decision["published"]:
            raise AirflowSkipException(f"police.uk has not published {month} (API latest {decision['api_latest']})")
        return decision

    @task
    def land(decision: dict) -> dict:
        """Fetch the month and land its bytes, unchanged, in the raw zone."""
        from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

        from warehouse.config import get_settings
        from warehouse.loads import BatchRejected, NotPublished, land_stop_search_month

        try:
            return land_stop_search_month(get_settings(), decision)
        except NotPublished as exc:
            raise AirflowSkipException(str(exc)) from exc
        except BatchRejected as exc:
            raise AirflowFailException(str(exc)) from exc

    @task(outlets=[STOP_SEARCH_ASSET])
    def gate_and_load(landed: dict) -> dict:
        """Great Expectations gate; pass → validated zone, fail → quarantine."""
        from airflow.sdk.exceptions import AirflowFailException

        from warehouse.config import get_settings
        from warehouse.gates import GateFailed
        from warehouse.loads import BatchRejected, gate_and_load_stop_search

        try:
            return gate_and_load_stop_search(get_settings(), landed)
        except (GateFailed, BatchRejected) as exc:
            raise AirflowFailException(str(exc)) from exc

    gate_and_load(land(plan()))


stop_search()
