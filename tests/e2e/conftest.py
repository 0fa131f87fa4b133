"""End-to-end fixtures: the `mapwh` CLI in a subprocess, against a mirror on 127.0.0.1.

Each `mapwh run` is a real process running the real DAGs (dag.test), as a
user would run it. The Airflow metadata database is migrated once per test
session (AIRFLOW_HOME shared); every scenario gets its own MAPWH_HOME.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from devdata.mirror import serve

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MAPWH = str(Path(sys.executable).parent / "mapwh")


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("airflow")


class Runner:
    def __init__(self, home: Path, airflow_home: Path, env: dict[str, str]):
        self.home = home
        self.env = {
            **os.environ,
            "MAPWH_HOME": str(home),
            "AIRFLOW_HOME": str(airflow_home),
            "MAPWH_TASK_RETRIES": "0",
            "MAPWH_RETRY_DELAY_S": "1",
            **env,
        }

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([MAPWH, *args], env=self.env, capture_output=True, text=True, timeout=900)
        if check and proc.returncode != 0:
            raise AssertionError(f"mapwh {' '.join(args)} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
        return proc

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    def query(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def make_runner(tmp_path_factory, airflow_home):
    def make(env: dict[str, str], name: str = "home") -> Runner:
        return Runner(tmp_path_factory.mktemp(name), airflow_home, env)

    return make


@pytest.fixture(scope="session")
def real_mirror():
    """The real police.uk files, census and boundaries, served on 127.0.0.1."""
    from tests.conftest import require_shared_data

    with serve(require_shared_data()) as server:
        yield server


def real_env(server, shared_data: Path) -> dict[str, str]:
    return {
        "POLICE_UK_API_URL": server.api_url,
        "POLICE_UK_ARCHIVE_URL": server.url_for("police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv"),
        "CENSUS_POPULATION_URL": server.url_for("census/census_2021_ethnic_group_8_categories_utla.csv"),
        "LONDON_BOUNDARIES_URL": server.url_for("geo/london_boroughs.geojson"),
        # every source runs by default: the real PAS sheets too; no microdata is published
        "PAS_DASHBOARD_URL": ",".join(
            server.url_for(f"pas/{n}") for n in ("pas_dashboard_mps_sheet.csv", "pas_dashboard_borough_sheet.csv")
        ),
        "PAS_NEIGHBOURHOOD_URL": server.url_for("pas/neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv"),
        "PAS_MICRODATA_URL": "",
        # the real 2003-2006 workforce table; no joiners or promotions tables are in ../shared
        "WORKFORCE_URL": server.url_for("workforce/officer-rank-from-2003.csv"),
        "WORKFORCE_JOINERS_URL": "",
        "WORKFORCE_PROMOTIONS_URL": "",
        "WORKFORCE_LEAVERS_URL": "",
        "USE_OF_FORCE_URL": "",  # no use-of-force records are in ../shared
        "USE_OF_FORCE_BY_FORCE_URL": "",  # nor the Home Office tables by force
    }
