"""
### Reference data: Census 2021 population and London boundaries

Loads the ONS Census 2021 ethnic group (TS021, 8 categories) population by
local authority (`CENSUS_POPULATION_URL`) and the London local authority
boundaries (`LONDON_BOUNDARIES_URL`) through the raw zone and their gates.
Both change rarely: the DAG runs once when enabled and then on demand.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from warehouse.orchestration import BOUNDARIES_ASSET, CENSUS_ASSET, DEFAULT_ARGS, TIMEZONE


def _load(source: str) -> dict:
    from airflow.sdk.exceptions import AirflowFailException

    from warehouse import loads
    from warehouse.config import get_settings
    from warehouse.gates import GateFailed
    from warehouse.loads import BatchRejected
    from warehouse.orchestration import skip_unless_selected

    skip_unless_selected(source)
    try:
        return getattr(loads, f"load_{source}")(get_settings())
    except (GateFailed, BatchRejected) as exc:
        raise AirflowFailException(str(exc)) from exc


@dag(
    dag_id="reference_data",
    schedule="@once",
    start_date=pendulum.datetime(2021, 3, 21, tz=TIMEZONE),
    catchup=False,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["source", "census", "geography"],
)
def reference_data():
    @task(outlets=[CENSUS_ASSET])
    def census_population() -> dict:
        return _load("census_population")

    @task(outlets=[BOUNDARIES_ASSET])
    def london_boundaries() -> dict:
        return _load("london_boundaries")

    census_population()
    london_boundaries()


reference_data()
