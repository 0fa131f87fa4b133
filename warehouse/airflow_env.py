"""Airflow under MAPWH_HOME: environment, metadata database, pool, DAG lookup.

`mapwh run` refreshes the warehouse by running the real DAGs in-process
(`dag.test()`), so it needs what a scheduler would: AIRFLOW_HOME under
MAPWH_HOME, the project's `dags/` folder, a migrated metadata database and
the pools (`warehouse.orchestration.POOLS`), imported with Airflow's own
`airflow pools import`. `configure()` must run before anything imports
Airflow.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from ingest.core.config import PROJECT_ROOT, Settings
from ingest.core.files import atomic_write

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
        # SQLite waits up to a minute for a lock instead of 5 s: a CLI run beside
        # another one (or a local scheduler) must queue, not fail
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}?timeout=60",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    # `airflow` subprocesses (db migrate) need the venv's bin first on PATH.
    bin_dir = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(bin_dir):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def _airflow(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """The venv's `airflow` with these arguments, in this environment; its output captured."""
    return subprocess.run([str(Path(sys.executable).parent / "airflow"), *args], check=check,  # noqa: S603 - the venv's airflow, fixed arguments
                          capture_output=True, text=True, env=os.environ.copy(), timeout=600)


def scheduler_is_running() -> bool:
    """Whether an Airflow scheduler is heartbeating in this Airflow's metadata database, on any host
    (`airflow jobs check`, Airflow's own health check). False too when the database is not there yet."""
    return _airflow("jobs", "check", "--job-type", "SchedulerJob", check=False).returncode == 0


def trigger_dag(dag_id: str) -> str:
    """Queue a run of dag_id for the scheduler (`airflow dags trigger`); its run id."""
    proc = _airflow("dags", "trigger", dag_id, "--output", "json", check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"airflow dags trigger {dag_id} failed: {proc.stderr.strip().splitlines()[-1:]}")
    (answer,) = [line for line in proc.stdout.splitlines() if line.startswith("[{")]  # log lines may come first
    return json.loads(answer)[0]["dag_run_id"]


def metadata_db_is_migrated(conn: str) -> bool:
    """Whether the metadata database behind `conn` exists and holds Airflow's schema (its alembic
    version and the pool table); a new or emptied database does not."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(conn)
    try:
        with engine.connect() as con:
            tables = set(sqlalchemy.inspect(con).get_table_names())
            return {"alembic_version", "slot_pool"} <= tables and con.execute(
                sqlalchemy.text("select count(*) from alembic_version")).scalar() > 0
    except sqlalchemy.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def ensure_metadata_db(settings: Settings) -> None:
    """`airflow db migrate` and the pools, once per metadata database and Airflow version.

    The marker under AIRFLOW_HOME names the Airflow version and the database it
    was written for, and is trusted only while that database still holds
    Airflow's schema: in the compose deployment MAPWH_HOME (and the marker) is
    one volume and the metadata database another, and a new metadata database
    behind an old MAPWH_HOME must be migrated, not skipped.
    """
    import hashlib

    import airflow
    from airflow.configuration import conf

    conn = conf.get("database", "sql_alchemy_conn")
    digest = hashlib.sha256(conn.encode()).hexdigest()[:12]
    marker = settings.airflow_home / f".migrated-{airflow.__version__}-{digest}"
    if marker.exists() and metadata_db_is_migrated(conn):
        return
    log.info("migrating the Airflow metadata database for %s", settings.airflow_home)
    _airflow("db", "migrate")
    ensure_pools(settings)
    marker.touch()


def ensure_pools(settings: Settings) -> Path:
    """Write the project's pools to AIRFLOW_HOME/pools.json and import them (`airflow pools import`)."""
    from warehouse.orchestration import POOLS

    path = settings.airflow_home / "pools.json"
    pools = {name: {"slots": slots, "description": text, "include_deferred": False} for name, (slots, text) in POOLS.items()}
    path.write_text(json.dumps(pools, indent=1) + "\n")
    _airflow("pools", "import", str(path))
    return path


def ensure_ui_login(settings: Settings) -> str:
    """The Airflow UI's login, said in one line. With MAPWH_UI_PASSWORD set, MAPWH_UI_USER's password is written
    into the simple auth manager's passwords file (0600, replaced atomically, other users' entries kept), so no
    password is generated by surprise; without it, where Airflow generates (or has generated) one.
    ValueError when the user is not one the auth manager knows."""
    from airflow.configuration import conf

    manager = conf.get("core", "auth_manager")
    if not manager.endswith(".SimpleAuthManager"):
        return f"UI login: {manager} (its own users; MAPWH_UI_USER and MAPWH_UI_PASSWORD are not used)"
    import warnings

    with warnings.catch_warnings():  # starlette's test client warns about httpx on import: nothing of ours
        warnings.simplefilter("ignore", DeprecationWarning)
        from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

    users = [u.username for u in SimpleAuthManager.get_users()]
    path = Path(SimpleAuthManager.get_generated_password_file())
    user, password = settings.vars.ui_user, settings.vars.ui_password
    if not password:
        return (f"UI login: Airflow's simple auth manager keeps the passwords of {', '.join(users)} in {path}, "
                "generating any missing one when the api-server starts (set MAPWH_UI_PASSWORD to choose it)")
    if user not in users:
        raise ValueError(f"MAPWH_UI_USER={user!r} is not one of AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS "
                         f"({', '.join(users)}): add `{user}:admin` there")
    try:
        passwords = json.loads(path.read_text() or "{}")
    except FileNotFoundError:
        passwords = {}
    passwords[user] = password
    atomic_write(path, (json.dumps(passwords) + "\n").encode(), mode=0o600)
    return f"UI login: user {user}, password from MAPWH_UI_PASSWORD (in {path}, mode 0600)"


def load_dags(dag_ids: list[str] | None = None) -> dict:
    """Parse the project's DAG folder and return {dag_id: DAG}; import errors raise."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return {k: v for k, v in bag.dags.items() if dag_ids is None or k in dag_ids}
