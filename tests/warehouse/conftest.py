"""Fixtures the pipeline's fault tests share: five months of the synthetic police.uk sample served on
127.0.0.1, and a MAPWH_HOME of the test's own reading them."""

from __future__ import annotations

import shutil

import pytest

from devdata import sample
from devdata.mirror import serve
from ingest.core.config import get_settings


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory):
    """The sample, generated once per session (it is deterministic); each test gets a copy to change."""
    root = tmp_path_factory.mktemp("sample-template") / "mirror"
    sample.generate(root, first_month="2024-01", last_month="2024-05", archive_months=(), empty_months=(), with_use_of_force=False)
    return root


@pytest.fixture
def mirror_root(tmp_path, sample_template):
    root = tmp_path / "mirror"
    shutil.copytree(sample_template, root)
    return root


@pytest.fixture
def settings(tmp_path, mirror_root):
    with serve(mirror_root) as server:
        yield get_settings({"MAPWH_HOME": str(tmp_path / "var"), "POLICE_UK_API_URL": server.api_url})


def stops_file(root, month):
    """The sample's `/stops-force` answer for `month`."""
    return root / sample.STOPS_DIR / f"{month}.json"
