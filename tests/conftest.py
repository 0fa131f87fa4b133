"""Shared fixtures: where the real extracts are, and a clean MAPWH_HOME per test.

Real public extracts live in ../shared/data (never copied into the repo).
Tests that need them use the `shared_data` fixture: it skips with a clear
message when ../shared is absent, and fails instead when CI=true, because CI
must never pass by skipping the real-data tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


def require_shared_data() -> Path:
    if (SHARED_DATA / "MANIFEST.tsv").exists():
        return SHARED_DATA
    message = f"real extracts not found at {SHARED_DATA} (../shared/data beside the project)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; CI=true requires them")
    pytest.skip(message)


@pytest.fixture
def shared_data() -> Path:
    return require_shared_data()


@pytest.fixture
def mapwh_home(tmp_path, monkeypatch) -> Path:
    """A fresh MAPWH_HOME; source URLs unset so nothing reaches a real site by accident."""
    home = tmp_path / "var"
    monkeypatch.setenv("MAPWH_HOME", str(home))
    for name in ("POLICE_UK_API_URL", "CENSUS_POPULATION_URL", "LONDON_BOUNDARIES_URL",
                 "PAS_DASHBOARD_URL", "PAS_NEIGHBOURHOOD_URL"):
        monkeypatch.setenv(name, "http://127.0.0.1:9/unset")
    for name in ("POLICE_UK_ARCHIVE_URL", "PAS_MICRODATA_URL"):
        monkeypatch.setenv(name, "")
    return home
