"""DAG integrity: every DAG imports, is documented, tagged, retried, and wired as designed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Airflow reads its configuration at import, so the DagBag is inspected in a
# child process with AIRFLOW_HOME in a temporary directory.
PROBE = r"""
import json, sys
from ingest.core.config import get_settings
from warehouse import airflow_env
airflow_env.configure(get_settings())
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=str(airflow_env.DAGS_FOLDER))
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    timetable = dag.timetable
    intervals = []
    if dag_id == "stop_search":
        # the scheduler's own timetable for the DAG's declared one (what the scheduler will compute)
        import pendulum
        from airflow.timetables.base import TimeRestriction
        from airflow.timetables.interval import CronDataIntervalTimetable
        core = CronDataIntervalTimetable(timetable.expression, timezone=timetable.timezone)
        info = core.next_dagrun_info(last_automated_data_interval=None, restriction=TimeRestriction(earliest=pendulum.datetime(2024, 9, 1, tz="Europe/London"), latest=None, catchup=True))
        intervals = [str(pendulum.instance(d).in_timezone("Europe/London")) for d in (info.data_interval.start, info.data_interval.end)]
    out["dags"][dag_id] = {
        "tags": sorted(dag.tags),
        "doc_md": bool(dag.doc_md),
        "max_active_runs": dag.max_active_runs,
        "paused_upon_creation": dag.is_paused_upon_creation,
        "timetable": type(timetable).__name__,
        "interval": intervals,
        "params": {k: dag.params.get_param(k).schema for k in dag.params},
        "assets": sorted(a.uri for a in timetable.asset_condition.objects) if getattr(timetable, "asset_condition", None) else [],
        "tasks": {t.task_id: {"retries": t.retries, "pool": t.pool, "execution_timeout_s": t.execution_timeout.total_seconds() if t.execution_timeout else None, "failure_callbacks": [c.__name__ for c in (t.on_failure_callback if isinstance(t.on_failure_callback, list) else [t.on_failure_callback] if t.on_failure_callback else [])], "outlets": [getattr(o, "uri", str(o)) for o in t.outlets]} for t in dag.tasks},
    }
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    home = tmp_path_factory.mktemp("dagbag")
    env = {**os.environ, "MAPWH_HOME": str(home), "AIRFLOW_HOME": str(home / "airflow")}
    proc = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT)
    assert proc.returncode == 0, proc.stderr[-4000:]
    import json

    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_no_import_errors(dagbag):
    assert dagbag["errors"] == {}
    assert set(dagbag["dags"]) == {"stop_search", "reference_data", "pas", "use_of_force", "workforce", "warehouse_build"}


def test_every_dag_is_documented_tagged_and_retried(dagbag):
    for dag_id, dag in dagbag["dags"].items():
        assert dag["doc_md"], dag_id
        assert dag["tags"], dag_id
        loaders = [t for name, t in dag["tasks"].items() if name not in ("dbt_build", "gate_marts")]
        assert all(t["retries"] >= 1 for t in loaders), dag_id


def test_every_task_has_the_configured_execution_timeout_and_records_its_failures(tmp_path_factory):
    """No task runs for ever: each has `execution_timeout` from MAPWH_TASK_TIMEOUT_S (here 900 s), and a
    failure callback that records what failed."""
    home = tmp_path_factory.mktemp("timeout")
    env = {**os.environ, "MAPWH_HOME": str(home), "AIRFLOW_HOME": str(home / "airflow"), "MAPWH_TASK_TIMEOUT_S": "900"}
    proc = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT)
    assert proc.returncode == 0, proc.stderr[-4000:]
    dags = json.loads(proc.stdout.strip().splitlines()[-1])["dags"]
    timeouts = {(dag_id, task): t["execution_timeout_s"] for dag_id, dag in dags.items() for task, t in dag["tasks"].items()}
    assert len(timeouts) > 10 and set(timeouts.values()) == {900.0}
    # and every task records its failures where `mapwh status` reads them (warehouse.orchestration.record_task_failure)
    assert {tuple(t["failure_callbacks"]) for dag in dags.values() for t in dag["tasks"].values()} == {("record_task_failure", "notify_failure")}


def test_stop_search_has_monthly_data_intervals_and_the_api_pool(dagbag):
    dag = dagbag["dags"]["stop_search"]
    assert dag["timetable"] == "CronDataIntervalTimetable"
    start, end = dag["interval"]
    assert start.startswith("2024-09-01") and end.startswith("2024-10-01")  # a real, month-wide interval
    assert dag["tasks"]["load"]["outlets"] == ["mapwh://validated/police_uk_stop_searches"]
    assert {t["pool"] for t in dag["tasks"].values()} == {"police_uk_api"}


def test_every_source_has_a_load_task_whose_asset_triggers_the_build(dagbag):
    from ingest import registry

    outlets = {uri for d in dagbag["dags"].values() for t in d["tasks"].values() for uri in t["outlets"]}
    expected = {f"mapwh://validated/{s.table.name}" for s in registry.sources().values()}
    assert expected <= outlets
    assert set(dagbag["dags"]["warehouse_build"]["assets"]) == expected
    for dag_id, members in registry.dags().items():
        if not members[0].partitioned:
            assert set(dagbag["dags"][dag_id]["tasks"]) == {s.name for s in members}


def test_whole_source_dags_validate_their_sources_param(dagbag):
    schema = dagbag["dags"]["pas"]["params"]["sources"]
    assert schema["type"] == "array" and schema["items"]["enum"] == ["pas_dashboard", "pas_microdata", "pas_neighbourhood"]
    assert dagbag["dags"]["reference_data"]["params"]["sources"]["items"]["enum"] == ["census_population", "london_boundaries"]


def test_a_deployment_runs_without_hand_work(dagbag):
    """DAGs start unpaused (Asset events reach the build, backfills run); reference data is scheduled."""
    assert {d: dag["paused_upon_creation"] for d, dag in dagbag["dags"].items()} == dict.fromkeys(dagbag["dags"], False)
    assert dagbag["dags"]["reference_data"]["timetable"] == "CronDataIntervalTimetable"
    assert dagbag["dags"]["stop_search"]["params"]["lookback_months"]["minimum"] == 1


def test_warehouse_build_is_a_single_writer(dagbag):
    dag = dagbag["dags"]["warehouse_build"]
    assert dag["max_active_runs"] == 1
    assert dag["timetable"] == "AssetTriggeredTimetable"
    assert {t["pool"] for t in dag["tasks"].values()} == {"duckdb_writer"}
    assert dag["tasks"]["publish"]["outlets"] == ["mapwh://warehouse/marts"]


def test_dag_files_are_thin():
    """No heavy imports or I/O at parse time: pandas, duckdb, dbt, GX only inside tasks."""
    for path in (PROJECT_ROOT / "dags").glob("*.py"):
        top_level = [line for line in path.read_text().splitlines() if line.startswith(("import ", "from "))]
        for line in top_level:
            assert not any(heavy in line for heavy in ("pandas", "duckdb", "dbt", "great_expectations", "warehouse.pipeline", "warehouse.build")), (path.name, line)
        assert "airflow.timetables" not in path.read_text() and "airflow.models" not in path.read_text()  # airflow.sdk only
