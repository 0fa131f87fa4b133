"""docs/reliability.md names a test for every fault it lists: each of them must exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_test_the_catalogue_names_exists():
    catalogue = (ROOT / "docs" / "reliability.md").read_text()
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", catalogue)
    assert len(named) >= 60
    missing = []
    for path, function in named:
        tree = ast.parse((ROOT / path).read_text())
        if function not in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}:
            missing.append(f"{path}::{function}")
    assert not missing, missing
    numbers = [int(n) for n in re.findall(r"^\| (\d+) \|", catalogue, flags=re.MULTILINE)]
    assert numbers == list(range(1, len(numbers) + 1))
