"""The compose deployment's Airflow topology, run outside containers on the project's dags/.

docker-compose.yml is read with PyYAML (as tests/test_deployment.py does) and its services are run
as plain processes, each with the environment its container gets (no env_file: the service's own
`environment:`, with its `${VAR}`s resolved from a `.env` written from .env.example with every
change-me replaced by a generated secret, which secrets-check passes), then only what differs
outside containers: the service
hostnames become 127.0.0.1 and free ports, the named volume and the image's project directory
become local paths. PostgreSQL (two throwaway clusters, devdata/pgserver.py: `postgres-airflow`
for Airflow's metadata and the Celery results, `postgres-marts` for the published marts) and
Redis (devdata/redisserver.py, the Celery broker) stand in for the database services.

airflow-init's command (`mapwh setup`) runs first; then the api-server (on a free port),
scheduler, dag-processor, triggerer and, once the api-server is healthy, the Celery worker, each
with its `command:` from the compose file. The scheduled `reference_data` run loads the census
and boundaries, then two months of the SYNTHETIC sample served on 127.0.0.1 are backfilled (both
runs in parallel). It checks that the Assets trigger `warehouse_build`, that the published
warehouse (DuckDB, and the marts in PostgreSQL) holds both months with boroughs and populations,
that no task needed a retry, and that every task ran on the Celery worker (its Celery task, whose
id the scheduler records as the task instance's external_executor_id, succeeded in the result
backend). Needs no ../shared; skips without PostgreSQL server binaries or redis-server (fails
instead under CI=true).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from secrets import token_hex, token_urlsafe

import duckdb
import psycopg
import pytest

from devdata import sample
from devdata.mirror import serve, source_environment
from devdata.pgserver import Cluster, free_port, server_bindir
from devdata.redisserver import Server, server_binary
from tests.conftest import required
from tests.test_deployment import AIRFLOW_SERVICES, VARIABLE, command, compose, env_example, healthcheck_command, services

pytestmark = pytest.mark.e2e
PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
INIT, API, WORKER = "airflow-init", "airflow-apiserver", "airflow-worker"


def dot_env() -> dict[str, str]:
    """.env as a deployer writes it: .env.example with every change-me replaced."""
    from cryptography.fernet import Fernet

    values = dict(env_example())
    for name, value in values.items():
        if value == "change-me":
            values[name] = Fernet.generate_key().decode() if name == "AIRFLOW__CORE__FERNET_KEY" else \
                token_urlsafe(48) if "SECRET" in name else token_hex(12)
    return values


def interpolate(value, variables: dict[str, str]) -> str:
    """compose's `${VAR}` (any modifier) from `variables`, `$$` a literal `$`."""
    def resolve(match) -> str:
        name = match.group(1) or match.group(2)
        assert name in variables, f"docker-compose.yml references ${{{name}}}, which .env does not set"
        return variables[name]

    return VARIABLE.sub(resolve, str(value)).replace("$$", "$")


def container_environment(environment: dict, variables: dict[str, str]) -> dict[str, str]:
    """What compose gives a container for `environment:`: `NAME: value` interpolated; `NAME:` with no value (the
    source variables) passed through from .env when it sets NAME (even empty), left out when it does not."""
    return {key: interpolate(value, variables) if value is not None else variables[key]
            for key, value in environment.items() if value is not None or key in variables}


def rows(dsn: str, sql: str) -> list[tuple]:
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as con:
            return con.execute(sql).fetchall()
    except psycopg.errors.UndefinedTable:  # not migrated yet
        return []


def tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else ""


def wait_for(what: str, check, timeout: float, processes: dict, logs: Path) -> None:
    deadline = time.time() + timeout
    while not check():
        for name, proc in processes.items():
            assert proc.poll() is None, f"{name} exited while waiting for {what}:\n{tail(logs / f'{name}.log')}"
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(2)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - the api-server on 127.0.0.1
            return response.status == 200
    except OSError:
        return False


def stop(processes: dict[str, subprocess.Popen]) -> None:
    """SIGTERM to each service's main process (what `docker compose stop` sends), a grace period, then SIGKILL
    to whatever is left of its process group (the worker's pool, the api-server's workers, a task still running)."""
    for proc in processes.values():
        if proc.poll() is None:
            proc.terminate()
    deadline = time.time() + 30
    for proc in processes.values():
        try:
            proc.wait(timeout=max(deadline - time.time(), 1))
        except subprocess.TimeoutExpired:
            pass
    for proc in processes.values():
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)


def test_compose_topology_backfills_two_months_in_parallel_on_celery_and_the_assets_build_the_warehouse(tmp_path, smtp_sink):
    bindir = required(server_bindir(), "no PostgreSQL server binaries (bin/ensure-postgres installs Debian's postgresql)")
    redis_binary = required(server_binary(), "no redis-server (bin/ensure-redis installs Debian's redis-server)")
    root = tmp_path / "sample"
    sample.generate(root, first_month="2025-01", last_month="2025-02", archive_months=(), empty_months=(), with_use_of_force=False)
    logs = tmp_path / "logs"
    logs.mkdir()

    with ExitStack() as stack:
        # ------------------------------------------------------------ the services that are not Airflow
        postgres: dict[str, Cluster] = {}
        for name in ("postgres-airflow", "postgres-marts"):
            postgres[name] = Cluster(bindir)
            stack.callback(postgres[name].stop)
            postgres[name].start()
        redis = Server(redis_binary)
        stack.callback(redis.stop)
        redis.start()

        variables = dot_env()
        databases: dict[str, dict[str, str]] = {}
        for name, cluster in postgres.items():  # what the postgres image does with POSTGRES_USER/_PASSWORD/_DB
            db = {key: interpolate(value, variables) for key, value in services()[name]["environment"].items()}
            with psycopg.connect(cluster.dsn(), autocommit=True) as con:
                con.execute(f"create role \"{db['POSTGRES_USER']}\" login superuser password '{db['POSTGRES_PASSWORD']}'")
                con.execute(f"create database \"{db['POSTGRES_DB']}\" owner \"{db['POSTGRES_USER']}\"")
            databases[name] = db
        # postgres-marts's first start: docker/postgres-marts-init.sh makes the publisher and the reader
        init = subprocess.run(["bash", str(PROJECT_ROOT / "docker" / "postgres-marts-init.sh")], capture_output=True, text=True,  # noqa: S603, S607
                              env={**os.environ, **databases["postgres-marts"], "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
                                   "PGHOST": "127.0.0.1", "PGPORT": str(postgres["postgres-marts"].port)}, timeout=120)
        assert init.returncode == 0, init.stderr[-3000:]
        # and before anything, secrets-check on the secrets it is given (a deployer's .env passes)
        check = {key: interpolate(value, variables) for key, value in services()["secrets-check"]["environment"].items()}
        checked = subprocess.run([sys.executable, "-m", "warehouse.secrets_check"], env={**os.environ, **check},  # noqa: S603
                                 capture_output=True, text=True, timeout=120)
        assert checked.returncode == 0, checked.stderr
        server = stack.enter_context(serve(root))

        # ------------------------------------------------------------ the Airflow containers' environment
        api_port = free_port()
        hosts = {"postgres-airflow:5432": f"127.0.0.1:{postgres['postgres-airflow'].port}",
                 "postgres-marts:5432": f"127.0.0.1:{postgres['postgres-marts'].port}",
                 "redis:6379": f"127.0.0.1:{redis.port}",
                 "airflow-apiserver:8080": f"127.0.0.1:{api_port}",
                 "localhost:8080": f"127.0.0.1:{api_port}"}
        common = compose()["x-airflow-common"]
        environment = container_environment(common["environment"], variables)
        # the named volumes become directories; the image's project directory (where it puts dags/) is this checkout
        mounts = {Path(volume.split(":")[1]): tmp_path / volume.split(":")[0] for volume in common["volumes"]}
        mounts[Path(environment["AIRFLOW__CORE__DAGS_FOLDER"]).parent] = PROJECT_ROOT

        def outside(value: str) -> str:
            for host, local in hosts.items():
                value = value.replace(host, local)
            for inside, local in mounts.items():
                if value == str(inside) or value.startswith(f"{inside}/"):
                    value = str(local / Path(value).relative_to(inside))
            return value

        environment = {key: outside(value) for key, value in environment.items()}
        for key, value in environment.items():
            for name in services():
                assert f"@{name}:" not in value and f"//{name}:" not in value, f"{key} still names the compose host {name}"
        assert environment["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg://")
        assert environment["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql")
        assert environment["AIRFLOW__CELERY__BROKER_URL"] == redis.url()
        home = Path(environment["MAPWH_HOME"])

        def container_env(service: str) -> dict[str, str]:
            """What the service's container is given (no env_file: its own `environment:`), made local, and
            what differs outside containers."""
            own = {key: outside(value) for key, value in container_environment(services()[service]["environment"], variables).items()}
            return {**base, **own, **local}

        base = {
            # the caller's own Airflow and warehouse settings stay out
            **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "MAPWH_"))},
        }
        local = {
            # on PATH in the image
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            # the sample on 127.0.0.1 (a deployment's .env would name the real sources)
            **source_environment(server),
            "PAS_DASHBOARD_URL": "", "PAS_NEIGHBOURHOOD_URL": "", "PAS_MICRODATA_URL": "",  # not under test here
            # one network namespace instead of one per container: the log servers on free ports
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            # quicker than a deployment: new DAG files seen within 5 s, retries 5 s apart
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "MAPWH_TASK_RETRIES": "2",
            "MAPWH_RETRY_DELAY_S": "5",
            # failures reach people: the workers email a test SMTP server on 127.0.0.1
            "MAPWH_NOTIFY_EMAIL": "board@example.org",
            "AIRFLOW_CONN_SMTP_DEFAULT": smtp_sink.connection_uri,
        }
        env = container_env("airflow-scheduler")
        assert "MAPWH_PG_DSN" not in env and "MAPWH_PG_DSN" in container_env(WORKER)  # the worker alone publishes
        metadata = postgres["postgres-airflow"].dsn(dbname=databases["postgres-airflow"]["POSTGRES_DB"])

        def argv(service: str) -> list[str]:
            args = command(service)
            if "--port" in args:  # the api-server: a free port, not the container's 8080
                args[args.index("--port") + 1] = str(api_port)
            return [str(BIN / args[0]), *args[1:]]

        # ------------------------------------------------------------ airflow-init, then the rest
        # (first, in a few seconds and in so many words, what would otherwise stop the scheduler and the worker)
        executor = subprocess.run([sys.executable, "-c", "from airflow.providers.celery.executors import celery_executor_utils"],  # noqa: S603 - the venv's python
                                  env=env, capture_output=True, text=True, timeout=120)
        assert executor.returncode == 0, \
            f"the CeleryExecutor does not import with the installed (locked) packages:\n{executor.stderr[-1500:]}"
        setup = subprocess.run(argv(INIT), env=container_env(INIT), capture_output=True, text=True, timeout=300)  # noqa: S603 - the venv's mapwh
        assert setup.returncode == 0, setup.stderr[-3000:]

        processes: dict[str, subprocess.Popen] = {}
        stack.callback(stop, processes)

        def start(service: str) -> None:
            with (logs / f"{service}.log").open("w") as log:
                processes[service] = subprocess.Popen(argv(service), env=container_env(service), stdout=log, stderr=subprocess.STDOUT,  # noqa: S603 - the venv's airflow
                                                      start_new_session=True)

        # compose's order: after airflow-init, every service; those that depend on a healthy api-server (the
        # worker) once its health check passes
        after_api = [s for s in AIRFLOW_SERVICES if API in (services()[s].get("depends_on") or {})]
        for service in AIRFLOW_SERVICES:
            if service != INIT and service not in after_api:
                start(service)
        health = outside(healthcheck_command(API).split()[-1])
        wait_for("a healthy api-server", lambda: healthy(health), 300, processes, logs)
        for service in after_api:
            start(service)

        # the UI's login: admin with MAPWH_UI_PASSWORD, which airflow-init's `mapwh setup` wrote (decision 0047)
        logins = {}
        for label, password in (("right", container_env(INIT)["MAPWH_UI_PASSWORD"]), ("wrong", "not-the-password")):
            request = urllib.request.Request(f"http://127.0.0.1:{api_port}/auth/token", json.dumps(
                {"username": "admin", "password": password}).encode(), {"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - the local api-server
                    logins[label] = (answer.status, "access_token" in json.load(answer))
            except urllib.error.HTTPError as refused:
                logins[label] = (refused.code, False)
        assert logins == {"right": (201, True), "wrong": (401, False)}, logins
        generated = list(Path(environment["AIRFLOW_HOME"]).glob("*.generated"))
        assert not generated, f"Airflow generated a password file: {generated}"

        wait_for("the DAGs to be parsed", lambda: len(rows(metadata, "select dag_id from dag where not is_paused")) >= 4,
                 420, processes, logs)
        # reference data is scheduled: its first run loads the census and boundaries by itself
        wait_for("the scheduled reference_data run", lambda: rows(
            metadata, "select state from dag_run where dag_id = 'reference_data'") == [("success",)], 420, processes, logs)

        backfill = subprocess.run([str(BIN / "airflow"), "backfill", "create", "--dag-id", "stop_search",  # noqa: S603 - the venv's airflow
                                   "--from-date", "2025-01-01T00:00:00+00:00", "--to-date", "2025-02-01T00:00:00+00:00"],
                                  env=env, capture_output=True, text=True, timeout=120)
        assert backfill.returncode == 0, backfill.stderr[-3000:]

        def built_with_both_months() -> bool:
            if rows(metadata, "select count(*) from dag_run where run_type = 'backfill' and state in ('queued', 'running')") != [(0,)]:
                return False
            warehouse = home / "warehouse.duckdb"
            if not warehouse.exists() or rows(
                    metadata, "select count(*) from dag_run where dag_id = 'warehouse_build' and state in ('queued', 'running')") != [(0,)]:
                return False
            con = duckdb.connect(str(warehouse), read_only=True)
            try:
                return con.execute("select count(distinct period) from marts.fct_stop_search").fetchone()[0] == 2
            finally:
                con.close()

        wait_for("the backfill and a build with both months", built_with_both_months, 600, processes, logs)
        retried = rows(metadata, "select dag_id, task_id, try_number from task_instance where try_number > 1")
        assert smtp_sink.messages == []  # nothing failed, nobody emailed

        # police.uk republishes January with 55% of its records withdrawn. A run triggered with no logical date
        # (the UI's default) plans the latest published month (February) and the look-back: February is
        # unchanged (skipped, no build), January is a suspect revision, held, its task failed for good, and one
        # email says so.
        stops = root / sample.STOPS_DIR / "2025-01.json"
        january = json.loads(stops.read_bytes())
        stops.write_text(json.dumps(january[: len(january) * 45 // 100]))
        triggered = subprocess.run([str(BIN / "airflow"), "dags", "trigger", "stop_search"],  # noqa: S603 - the venv's airflow
                                   env=env, capture_output=True, text=True, timeout=120)
        assert triggered.returncode == 0, triggered.stderr[-3000:]
        wait_for("the triggered stop_search run to end", lambda: rows(
            metadata, "select state from dag_run where dag_id = 'stop_search' and run_type = 'manual'") in ([("failed",)], [("success",)]),
            420, processes, logs)
        held = list((home / "quarantine" / "police_uk_stop_search" / "2025-01").glob("*/reason.txt"))
        assert len(held) == 1, f"no suspect revision held: {held}\n{tail(logs / f'{WORKER}.log')}"
        batch_id = held[0].read_text().split("mapwh accept ")[1].split()[0]
        wait_for("the failure email", lambda: len(smtp_sink.messages) >= 1, 60, processes, logs)

        # after review, `mapwh accept` in the worker's container (`docker compose exec airflow-worker mapwh accept`):
        # the scheduler is running, so it triggers warehouse_build there, which publishes the shorter January
        builds_before = rows(metadata, "select count(*) from dag_run where dag_id = 'warehouse_build' and state = 'success'")[0][0]
        accepted = subprocess.run([str(BIN / "mapwh"), "accept", batch_id], env=container_env(WORKER),  # noqa: S603 - the venv's mapwh
                                  capture_output=True, text=True, timeout=300)
        assert accepted.returncode == 0, accepted.stdout + accepted.stderr[-3000:]
        assert "triggered warehouse_build (manual__" in accepted.stdout and "on the running scheduler" in accepted.stdout
        wait_for("the build accept triggered", lambda: rows(
            metadata, "select count(*) from dag_run where dag_id = 'warehouse_build' and run_type = 'manual' and state = 'success'"
        ) == [(1,)], 420, processes, logs)
        stop(processes)
        worker_log = tail(logs / f"{WORKER}.log", 10**7)
        gx_lines = {path.relative_to(tmp_path): [line for line in path.read_text(errors="replace").splitlines()
                                             if "Great Expectations" in line and "import" in line]
                    for path in (Path(environment["AIRFLOW_HOME"]) / "logs").rglob("*.log")
                    if "task_id=gate_marts" in str(path) or ("dag_id=stop_search" in str(path) and "task_id=load" in str(path))}

        runs = rows(metadata, "select dag_id, run_type, state from dag_run")
        planned = rows(metadata, "select task_id, map_index, state from task_instance where run_id in "
                                 "(select run_id from dag_run where dag_id = 'stop_search' and run_type = 'manual')")
        # every task that succeeded went through Celery: the id the scheduler gave its Celery task is in the
        # result backend (celery_taskmeta, on postgres-airflow), succeeded; LocalExecutor leaves no such id
        ran = rows(metadata, """
            select ti.dag_id, ti.task_id, ti.external_executor_id, m.status
            from task_instance ti left join celery_taskmeta m on m.task_id = ti.external_executor_id
            where ti.state = 'success'""")
        marts = postgres["postgres-marts"].dsn(user="mapwh_reader", dbname=databases["postgres-marts"]["POSTGRES_DB"])
        with psycopg.connect(marts) as pg:
            served = dict(pg.execute("select period, count(*) from marts.fct_stop_search group by 1").fetchall())

    assert ("stop_search", "backfill", "success") in runs and [r for r in runs if r[1] == "backfill"] == [("stop_search", "backfill", "success")] * 2
    assert ("stop_search", "manual", "failed") in runs and builds_before >= 1
    # the plan: every published month of the look-back, the latest (February) included: it was unchanged
    assert sorted(state for task, _, state in planned if task == "load") == ["failed", "skipped"], planned
    (email,) = smtp_sink.messages  # one, for the one task that failed (no retry of a held revision)
    assert email["Subject"].startswith("[mapwh] stop_search.load failed") and "suspect revision" in email["Subject"], email["Subject"]
    assert ("reference_data", "scheduled", "success") in runs
    assert any(r[0] == "warehouse_build" and r[1] == "asset_triggered" and r[2] == "success" for r in runs)
    assert retried == []
    assert {dag for dag, *_ in ran} >= {"reference_data", "stop_search", "warehouse_build"}
    not_on_celery = [(dag, task, executor_id, status) for dag, task, executor_id, status in ran if status != "SUCCESS"]
    assert not not_on_celery, f"tasks that did not run on the Celery worker: {not_on_celery}"
    not_in_worker_log = [(dag, task) for dag, task, executor_id, _ in ran if executor_id not in worker_log]
    assert not not_in_worker_log, f"tasks the worker's log does not show it executing: {not_in_worker_log}"
    # the worker imported Great Expectations once, before it forked the tasks (decision 0044): no load and no mart
    # gate paid for it (a load whose month was unchanged never gates, and says nothing of it)
    warm = {next(part for part in path.parts if part.startswith("task_id=")) for path, lines in gx_lines.items() if lines}
    assert warm == {"task_id=load", "task_id=gate_marts"}, f"loads and mart gates that gated: {gx_lines}"
    cold = {path: lines for path, lines in gx_lines.items() if any("was imported before this task" not in line for line in lines)}
    assert not cold, f"tasks that imported Great Expectations themselves: {cold}"
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        months = dict(con.execute("select period, count(*) filter (where borough <> 'Unknown') from marts.fct_stop_search group by 1").fetchall())
        missing_population = con.execute(
            "select count(*) from marts.stop_search_disproportionality where population is null and ethnic_group <> 'Not stated'").fetchone()[0]
        rows_per_month = dict(con.execute("select period, count(*) from marts.fct_stop_search group by 1").fetchall())
    finally:
        con.close()
    # the backfilled months, January as accepted
    assert set(months) == {"2025-01", "2025-02"} and months["2025-02"] > 3000
    assert rows_per_month["2025-01"] == len(january) * 45 // 100
    assert missing_population == 0
    assert served == rows_per_month  # warehouse_build's publish_postgres: the marts for BI tools on postgres-marts
