"""Sources declare what the generic layers need; the generic layers name no source.

A source is its module in ingest/ (fetch, parse, raw schema, gate suite and the
declarations `ingest.core.source.Source` reads: pool, incremental models,
freshness, default window), its dbt models and suites, and its generator in
devdata/. Everything else reads those declarations through `ingest.registry`,
so adding a source touches only its own files (README "Adding a source").
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ingest import registry
from tests.conftest import PROJECT_ROOT

GENERIC_PYTHON = [
    *sorted((PROJECT_ROOT / "warehouse").rglob("*.py")),  # the packages (build/, cli/) included
    *sorted((PROJECT_ROOT / "dags").glob("*.py")),
    *sorted((PROJECT_ROOT / "ingest" / "core").glob("*.py")),
    PROJECT_ROOT / "ingest" / "registry.py",
    PROJECT_ROOT / "tests" / "conftest.py",
]
GENERIC_DBT = [PROJECT_ROOT / "dbt_project" / "dbt_project.yml", *sorted((PROJECT_ROOT / "dbt_project" / "macros").glob("*.sql"))]


def _names() -> set[str]:
    found = set()
    for source in registry.sources().values():
        found |= {source.name, source.table.name, source.variable, *(v for v, _, _ in source.extra_variables)}
    return found


def _mentions(text: str, names: set[str]) -> set[str]:
    """Names in `text`: a name with an underscore wherever it stands as a word, a one-word name (`workforce`,
    an ordinary word too) only as the whole text. A name qualified by `marts.` is a published mart's, which the
    report reads like any other mart (`marts.workforce_leavers` shares its name with its raw table)."""
    found = {n for n in names if "_" in n
             and re.search(rf"(?<![A-Za-z0-9_])(?<!marts\.){re.escape(n)}(?![A-Za-z0-9_])", text)}
    return found | ({text} & names)


def _literals(path: Path):
    """(line, text) of every string literal in the code that is not a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body \
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_no_generic_module_names_a_source():
    names = _names()
    found = []
    for path in GENERIC_PYTHON:
        for line, text in _literals(path):
            found += [f"{path.relative_to(PROJECT_ROOT)}:{line}: {n}" for n in sorted(_mentions(text, names))]
    for path in GENERIC_DBT:
        for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = re.sub(r"(#|--).*", "", text)
            found += [f"{path.relative_to(PROJECT_ROOT)}:{line}: {n}" for n in sorted(_mentions(code, names))]
    assert not found, "name the source in its own declaration (ingest/<source>.py), not here:\n" + "\n".join(found)


def test_the_check_finds_a_source_named_in_generic_code(tmp_path):
    """The scan above is not blind: a literal naming a source, a table, or a variable is found; words, and a mart
    named like its raw table, are not."""
    names = _names()
    probe = tmp_path / "probe.py"
    probe.write_text('"""police_uk_stop_search in a docstring is prose."""\n'
                     'A = {"police_uk_stop_search": 1}\nB = "select * from raw.police_uk_stop_searches"\n'
                     'C = "workforce"\nD = "No workforce tables are loaded."\nE = "POLICE_UK_API_URL"\n'
                     'F = "select * from marts.workforce_leavers join raw.workforce_leavers using (year)"\n'
                     'G = "select * from marts.workforce_leavers"\n', encoding="utf-8")
    hits = sorted(n for _, text in _literals(probe) for n in _mentions(text, names))
    assert hits == ["POLICE_UK_API_URL", "police_uk_stop_search", "police_uk_stop_searches", "workforce", "workforce_leavers"]


def test_the_declarations_the_generic_layers_read_are_there():
    sources = registry.sources().values()
    from warehouse import build, orchestration

    # a pool a source declares is created by setup; its load tasks run in it
    for source in sources:
        if source.pool is not None:
            assert orchestration.POOLS[source.pool.name] == (source.pool.slots, source.pool.description)
            assert orchestration.pool(source) == source.pool.name
        else:
            assert orchestration.pool(source) == "default_pool"
    # each incremental model's own config names its source's table in its pre-hook
    models = PROJECT_ROOT / "dbt_project" / "models"
    for model, table in build.incremental_models().items():
        (path,) = models.rglob(f"{model}.sql")
        head = path.read_text(encoding="utf-8").split("with", 1)[0]
        assert "materialized='incremental'" in head and f"delete_refreshed_periods('{table}')" in head, model
    # the default window of `mapwh run` comes from a source that can say what it has published
    assert any(s.latest_available is not None and s.partitioned for s in sources)
