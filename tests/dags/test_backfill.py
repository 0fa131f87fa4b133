"""The README's deployment steps, as written: `mapwh setup`, then its backfill command (with --dry-run)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pendulum

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def readme_backfill_command() -> list[str]:
    (line,) = re.findall(r"^airflow backfill create .*$", (PROJECT_ROOT / "README.md").read_text(), flags=re.MULTILINE)
    return line.split()


def test_setup_then_the_readme_backfill_covers_september_to_february_in_london(tmp_path):
    env = {**os.environ, "MAPWH_HOME": str(tmp_path / "var"), "AIRFLOW_HOME": str(tmp_path / "airflow"),
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    setup = subprocess.run([str(BIN / "mapwh"), "setup"], env=env, capture_output=True, text=True, timeout=300)
    assert setup.returncode == 0, setup.stderr[-3000:]
    env.update({"AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow' / 'airflow.db'}"})
    pools = subprocess.run([str(BIN / "airflow"), "pools", "list", "-o", "plain"], env=env, capture_output=True, text=True, timeout=120)
    assert {"duckdb_writer", "police_uk_api"} <= {line.split()[0] for line in pools.stdout.splitlines() if line.strip()}
    subprocess.run([str(BIN / "airflow"), "dags", "reserialize"], env=env, capture_output=True, check=True, timeout=300)

    command = readme_backfill_command()
    dry = subprocess.run([str(BIN / command[0]), *command[1:], "--dry-run"], env=env, capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0, dry.stderr[-3000:]
    logical = re.findall(r"^\| (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+\d{2}:\d{2}) ", dry.stdout, flags=re.MULTILINE)
    months = [pendulum.parse(t.replace(" ", "T")).in_timezone("Europe/London").format("YYYY-MM") for t in logical]
    assert months == ["2024-09", "2024-10", "2024-11", "2024-12", "2025-01", "2025-02"]
