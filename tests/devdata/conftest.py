"""One default synthetic sample per test session, shared by the devdata tests (it takes a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devdata import sample


@pytest.fixture(scope="session")
def default_sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """`sample.generate()` with its defaults: (directory, summary). Tests must not modify it."""
    out = tmp_path_factory.mktemp("sample")
    return out, sample.generate(out)
