"""A deployment outside containers (README "Deploy"): `deploy/airflow.env.example` is docker-compose.yml's
Airflow environment with the hosts made local, the api-server on 127.0.0.1, the UI's login from the environment;
and `mapwh setup` refuses it while any secret in it is still a placeholder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.test_deployment import services

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "deploy" / "airflow.env.example"


def example() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in EXAMPLE.read_text().splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_it_sets_everything_compose_gives_the_airflow_containers():
    # what compose sets (a name without a value is passed through only when .env sets it: optional)
    given = {key for name, service in services().items() if name.startswith("airflow-")
             for key, value in (service.get("environment") or {}).items() if value is not None}
    missing = sorted(given - set(example()))
    assert not missing, f"compose gives the Airflow containers {missing}, which a deployment outside containers lacks"
    assert "MAPWH_PG_DSN" in example()


def test_the_api_server_listens_on_this_host_only_and_the_workers_call_it_there():
    env = example()
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == f"http://127.0.0.1:{env['AIRFLOW__API__PORT']}/execution/"
    for key, value in env.items():
        assert "0.0.0.0" not in value, key  # noqa: S104 - a check, not a bind


def test_the_ui_login_comes_from_the_environment():
    env = example()
    user = env["MAPWH_UI_USER"]
    assert f"{user}:admin" in env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].split(",")
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"].startswith(env["AIRFLOW_HOME"] + "/")
    assert env["MAPWH_UI_PASSWORD"] == "change-me"


def test_setup_refuses_the_example_unedited_naming_every_placeholder(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "MAPWH_"))}, **example(),
           "MAPWH_HOME": str(tmp_path / "var"), "AIRFLOW_HOME": str(tmp_path / "var" / "airflow")}
    proc = subprocess.run([sys.executable, "-m", "warehouse.cli", "setup"], env=env, capture_output=True, text=True,  # noqa: S603 - this CLI
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    named = {part.split(" ")[0] for part in proc.stderr.strip().removeprefix("mapwh setup: refusing to start: ").split("; ")}
    assert named == {"AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY", "AIRFLOW__CORE__FERNET_KEY",
                     "MAPWH_UI_PASSWORD", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC",
                     "AIRFLOW__CELERY__RESULT_BACKEND", "MAPWH_PG_DSN"}
    assert not (tmp_path / "var" / "airflow").exists()
