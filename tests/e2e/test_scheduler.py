"""A real Airflow scheduler on the project's dags/, set up with the README's own step.

Starts `airflow api-server`, `dag-processor` and `scheduler` (LocalExecutor,
SQLite) with a temporary AIRFLOW_HOME, runs `mapwh setup`, lets the scheduled
`reference_data` run load the census and boundaries, then backfills two
months of the SYNTHETIC sample served on 127.0.0.1 (both runs in parallel).
It checks that the Assets trigger `warehouse_build`, that the published
warehouse holds both months with boroughs and populations, and that no task
needed a retry. Needs no ../shared.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from devdata import sample
from devdata.mirror import serve, source_environment

pytestmark = pytest.mark.e2e
PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rows(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute(sql).fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []
    finally:
        con.close()


def wait_for(what: str, check, timeout: float, processes) -> None:
    deadline = time.time() + timeout
    while not check():
        for name, proc in processes.items():
            assert proc.poll() is None, f"airflow {name} exited while waiting for {what}"
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(2)


def test_scheduler_backfills_two_months_in_parallel_and_the_assets_build_the_warehouse(tmp_path):
    root = tmp_path / "sample"
    sample.generate(root, first_month="2025-01", last_month="2025-03", archive_months=(), empty_months=())
    airflow_home = tmp_path / "airflow"
    db = airflow_home / "airflow.db"
    api_port = free_port()
    with serve(root) as server:
        env = {
            **os.environ,
            **source_environment(server),
            "PAS_DASHBOARD_URL": "", "PAS_NEIGHBOURHOOD_URL": "", "PAS_MICRODATA_URL": "",  # not under test here
            "MAPWH_HOME": str(tmp_path / "var"),
            "AIRFLOW_HOME": str(airflow_home),
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            # SQLite, as in `mapwh run`, with a one-minute busy timeout: the scheduler, dag-processor,
            # api-server and the backfill command all write to it
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{db}?timeout=60",
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "MAPWH_TASK_RETRIES": "2",
            "MAPWH_RETRY_DELAY_S": "5",
        }
        setup = subprocess.run([str(BIN / "mapwh"), "setup"], env=env, capture_output=True, text=True, timeout=300)
        assert setup.returncode == 0, setup.stderr[-3000:]

        processes: dict[str, subprocess.Popen] = {}
        try:
            for name, args in (("api-server", ["api-server", "--port", str(api_port)]), ("dag-processor", ["dag-processor"]),
                               ("scheduler", ["scheduler"])):
                log = (tmp_path / f"{name}.log").open("w")
                processes[name] = subprocess.Popen([str(BIN / "airflow"), *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                                                   start_new_session=True)
            wait_for("the DAGs to be parsed", lambda: len(rows(db, "select dag_id from dag where is_paused = 0")) >= 4, 180, processes)
            # reference data is scheduled: its first run loads the census and boundaries by itself
            wait_for("the scheduled reference_data run", lambda: rows(
                db, "select state from dag_run where dag_id = 'reference_data'") == [("success",)], 180, processes)

            for attempt in range(3):  # SQLite can refuse a writer outright while the scheduler writes; a client retries
                backfill = subprocess.run([str(BIN / "airflow"), "backfill", "create", "--dag-id", "stop_search",
                                           "--from-date", "2025-01-01T00:00:00+00:00", "--to-date", "2025-02-01T00:00:00+00:00"],
                                          env=env, capture_output=True, text=True, timeout=120)
                if backfill.returncode == 0 or "database is locked" not in backfill.stderr:
                    break
                time.sleep(2)
            assert backfill.returncode == 0, backfill.stderr[-3000:]

            def built_with_both_months() -> bool:
                if rows(db, "select count(*) from dag_run where run_type = 'backfill' and state in ('queued', 'running')") != [(0,)]:
                    return False
                warehouse = tmp_path / "var" / "warehouse.duckdb"
                if not warehouse.exists() or rows(db, "select count(*) from dag_run where dag_id = 'warehouse_build' and state in ('queued', 'running')") != [(0,)]:
                    return False
                con = duckdb.connect(str(warehouse), read_only=True)
                try:
                    return con.execute("select count(distinct period) from marts.fct_stop_search").fetchone()[0] == 2
                finally:
                    con.close()

            wait_for("the backfill and a build with both months", built_with_both_months, 240, processes)
        finally:
            for proc in processes.values():
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in processes.values():
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)

    runs = rows(db, "select dag_id, run_type, state from dag_run")
    assert ("stop_search", "backfill", "success") in runs and [r for r in runs if r[1] == "backfill"] == [("stop_search", "backfill", "success")] * 2
    assert ("reference_data", "scheduled", "success") in runs
    assert any(r[0] == "warehouse_build" and r[1] == "asset_triggered" and r[2] == "success" for r in runs)
    assert rows(db, "select dag_id, task_id, try_number from task_instance where try_number > 1") == []
    con = duckdb.connect(str(tmp_path / "var" / "warehouse.duckdb"), read_only=True)
    try:
        months = dict(con.execute("select period, count(*) filter (where borough <> 'Unknown') from marts.fct_stop_search group by 1").fetchall())
        missing_population = con.execute(
            "select count(*) from marts.stop_search_disproportionality where population is null and ethnic_group <> 'Not stated'").fetchone()[0]
    finally:
        con.close()
    assert set(months) == {"2025-01", "2025-02"} and all(n > 3000 for n in months.values())
    assert missing_population == 0
