"""Airflow under MAPWH_HOME: environment, metadata database, pool, DAG lookup.

`mapwh run` refreshes the warehouse by running the real DAGs in-process
(`dag.test()`), so it needs what a scheduler would: AIRFLOW_HOME under
MAPWH_HOME, the project's `dags/` folder, a migrated metadata database and
the one-slot `duckdb_writer` pool. `configure()` must run before anything
imports Airflow.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from warehouse.config import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

DAGS_FOLDER = PROJECT_ROOT / "dags"


def configure(settings: Settings) -> None:
    """Point Airflow at MAPWH_HOME/airflow and the project's DAGs (before importing Airflow)."""
    home = settings.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    defaults = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    # `airflow` subprocesses (db migrate) need the venv's bin first on PATH.
    bin_dir = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(bin_dir):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def ensure_metadata_db(settings: Settings) -> None:
    """`airflow db migrate` once per MAPWH_HOME (and after an Airflow upgrade), then the pool."""
    import airflow

    marker = settings.airflow_home / f".migrated-{airflow.__version__}"
    if not marker.exists():
        log.info("migrating the Airflow metadata database in %s (first run only)", settings.airflow_home)
        subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
            check=True,
            stdout=subprocess.DEVNULL,
            env=os.environ.copy(),
        )
        marker.touch()
    ensure_pool()


def ensure_pool() -> None:
    from airflow.models.pool import Pool

    from warehouse.orchestration import WRITER_POOL

    Pool.create_or_update_pool(
        name=WRITER_POOL, slots=1, description="one DuckDB writer at a time", include_deferred=False
    )


def load_dags(dag_ids: list[str] | None = None) -> dict:
    """Parse the project's DAG folder and return {dag_id: DAG}; import errors raise."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return {k: v for k, v in bag.dags.items() if dag_ids is None or k in dag_ids}
