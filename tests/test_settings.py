"""Every setting declared once (ingest.core.config.Variables), read through it, and refused at start-up when bad."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import registry
from ingest.core.config import INTERNAL_VARIABLES, ConfigError, Variables, get_settings
from tests.conftest import PROJECT_ROOT

RUNTIME = [PROJECT_ROOT / d for d in ("ingest", "warehouse", "dags")]
DECLARED = {f.alias for f in Variables.model_fields.values()}


def _runtime_files() -> list[Path]:
    return [p for d in RUNTIME for p in d.rglob("*.py")]


def _source_variables() -> set[str]:
    found = set()
    for source in registry.sources().values():
        found.add(source.variable)
        found.update(v for v, _, _ in source.extra_variables)
        if source.catalogue is not None:
            found.add(source.catalogue.base_variable)
    return found


def test_every_mapwh_variable_named_anywhere_is_declared_once():
    named = set()
    for path in _runtime_files() + [PROJECT_ROOT / "dbt_project" / "profiles.yml", PROJECT_ROOT / "docker-compose.yml",
                                     *(PROJECT_ROOT / "bin").iterdir(), *(PROJECT_ROOT / "docker").rglob("*")]:
        if path.is_file():
            named.update(re.findall(r"\bMAPWH_[A-Z0-9_]+\b", path.read_text(encoding="utf-8", errors="replace")))
    undeclared = named - DECLARED - set(INTERNAL_VARIABLES) - _source_variables()
    assert not undeclared, f"declare these in ingest/core/config.py Variables (or INTERNAL_VARIABLES): {sorted(undeclared)}"
    assert not DECLARED & set(INTERNAL_VARIABLES)
    assert not DECLARED & _source_variables(), "a source variable is its source module's declaration, not Variables'"


def test_declared_variables_are_read_only_through_the_model():
    """No module parses a declared variable on its own (`settings.get("MAPWH_…")`, `os.environ.get(…)`)."""
    offenders = []
    for path in _runtime_files():
        if path.name == "config.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in {"get", "getenv"}:
                for arg in node.args[:1]:
                    if isinstance(arg, ast.Constant) and arg.value in DECLARED:
                        offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} reads {arg.value}")
    assert not offenders, offenders


def test_every_declared_variable_has_a_meaning_shown_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("<!-- settings:begin"):readme.index("<!-- settings:end -->")]
    groups = {}
    for field in Variables.model_fields.values():
        groups.setdefault(field.json_schema_extra["group"], []).append(field)
        assert f"`{field.alias}`" in section, field.alias
    for fields in groups.values():
        assert fields[0].description, f"{fields[0].alias}: the first of its group says what the group means"


@pytest.mark.parametrize("name, value, words", [
    ("MAPWH_LOCK_TIMEOUT", "abc", "valid number"),
    ("MAPWH_MART_SHRINK_FLOOR", "1.5", "less than or equal to 1"),
    ("MAPWH_GATE_PART_ROWS", "0", "greater than 0"),
    ("MAPWH_PG_LOCK_TIMEOUT", "5 seconds", "PostgreSQL interval"),
    ("MAPWH_PG_SCHEMA", "marts; drop table x", "pattern"),
    ("MAPWH_DUCKDB_MEMORY_LIMIT", "lots", "pattern"),
    ("MAPWH_TASK_RETRIES", "-1", "greater than or equal to 0"),
])
def test_a_bad_value_is_refused_in_one_line_naming_the_variable(name, value, words):
    with pytest.raises(ConfigError) as caught:
        get_settings({name: value})
    message = str(caught.value)
    assert message.startswith(f"{name}={value!r}: ") and words in message and "\n" not in message


def test_blank_takes_the_default_and_values_are_typed():
    default = get_settings({"MAPWH_LOCK_TIMEOUT": "  ", "MAPWH_HOME": "/tmp/x"}).vars
    assert default.lock_timeout_s == Variables.model_fields["lock_timeout_s"].default == 900
    given = get_settings({"MAPWH_LOCK_TIMEOUT": " 12.5 ", "MAPWH_PG_DSN": "postgresql://u:p@h/db", "MAPWH_HOME": "/tmp/x"}).vars
    assert given.lock_timeout_s == 12.5 and given.pg_dsn == "postgresql://u:p@h/db"
    assert "postgresql://u:p@h/db" not in repr(given)  # secrets stay out of reprs


def test_the_cli_refuses_a_bad_value_before_doing_anything(tmp_path):
    env = {**os.environ, "MAPWH_HOME": str(tmp_path / "home"), "MAPWH_MAX_RECORDS": "many"}
    proc = subprocess.run([sys.executable, "-m", "warehouse.cli", "status"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["mapwh status: MAPWH_MAX_RECORDS='many': Input should be a valid integer, "
                                                "unable to parse string as an integer"]
    assert not (tmp_path / "home").exists(), "nothing ran"


def test_the_variables_marked_read_while_parsing_dags_are_the_ones_the_dag_modules_read_at_import():
    """Module-level reads of `_settings.vars.<field>` in the DAG-building module, against the flag (AIRFLOW_HOME is
    Airflow's own, read by every Airflow process)."""
    tree = ast.parse((PROJECT_ROOT / "warehouse" / "orchestration.py").read_text(encoding="utf-8"))
    read = set()
    for statement in tree.body:  # module level only: what importing the DAG files evaluates
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "vars":
                read.add(node.attr)
    flagged = {name for name, f in Variables.model_fields.items() if f.json_schema_extra["parse_time"]} - {"airflow_home"}
    assert read == flagged
    for dag_file in (PROJECT_ROOT / "dags").glob("*.py"):
        assert ".vars." not in dag_file.read_text(encoding="utf-8"), f"{dag_file.name}: read settings in warehouse/orchestration.py"
