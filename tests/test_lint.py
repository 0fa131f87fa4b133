"""Lint in `make test`: pyflakes everywhere, and ruff's security rules (bandit's) on the code that runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUFF = str(Path(sys.executable).parent / "ruff")


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([RUFF, "check", "--output-format", "concise", "--no-cache", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_runtime_and_development_code_pass_the_security_rules():
    result = ruff("--select", "F,E9,S", "ingest", "warehouse", "dags", "devdata")
    assert result.returncode == 0, result.stdout


def test_tests_pass_pyflakes():
    result = ruff("--select", "F,E9", "tests")
    assert result.returncode == 0, result.stdout
