"""The dbt project's YAML says only what dbt reads: no unit test or property dbt ignores without a word.

A `unit_tests:` block indented under a model entry parses as YAML and dbt drops it silently; 15 unit
tests (every test of the scorecard's status rule among them) never ran that way (issue 21). Here every
property file is read as dbt reads it (keys dbt knows at each level), and the unit tests written in the
YAML are compared with those `dbt ls --resource-type unit_test` registers.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from ingest.core.config import DBT_PROJECT_DIR, get_settings
from warehouse.build import dbt_command

TOP = {"version", "models", "sources", "seeds", "snapshots", "macros", "exposures", "metrics", "semantic_models",
       "saved_queries", "unit_tests", "analyses", "groups", "data_tests"}
RESOURCE = {"name", "description", "config", "columns", "data_tests", "tests", "docs", "access", "constraints",
            "latest_version", "versions", "deprecation_date", "meta", "tags", "group", "time_spine"}
COLUMN = {"name", "description", "data_type", "data_tests", "tests", "constraints", "meta", "tags", "quote", "config",
          "docs", "granularity"}
UNIT_TEST = {"name", "model", "description", "given", "expect", "overrides", "config", "versions"}
SOURCE = {"name", "description", "schema", "database", "tables", "meta", "loader", "config", "freshness",
          "loaded_at_field", "quoting", "tags", "overrides"}
SOURCE_TABLE = {"name", "description", "identifier", "columns", "data_tests", "tests", "meta", "tags", "config",
                "freshness", "loaded_at_field", "quoting", "external", "docs"}


def property_files() -> list[Path]:
    return sorted(p for folder in ("models", "seeds", "snapshots", "macros", "tests") for p in (DBT_PROJECT_DIR / folder).rglob("*.yml"))


def unknown_keys(paths: list[Path] | None = None, root: Path = DBT_PROJECT_DIR) -> list[str]:
    """`file: where: key` for every key dbt does not read at its level."""
    found = []

    def check(where: str, entry: dict, allowed: set[str]) -> None:
        found.extend(f"{where}: {key}" for key in entry if key not in allowed)

    for path in property_files() if paths is None else paths:
        document = yaml.safe_load(path.read_text()) or {}
        name = path.relative_to(root)
        check(f"{name}", document, TOP)
        for kind in ("models", "seeds", "snapshots"):
            for entry in document.get(kind) or []:
                check(f"{name} {kind[:-1]} {entry.get('name')}", entry, RESOURCE)
                for column in entry.get("columns") or []:
                    check(f"{name} {entry.get('name')}.{column.get('name')}", column, COLUMN)
        for test in document.get("unit_tests") or []:
            check(f"{name} unit test {test.get('name')}", test, UNIT_TEST)
        for source in document.get("sources") or []:
            check(f"{name} source {source.get('name')}", source, SOURCE)
            for table in source.get("tables") or []:
                check(f"{name} source table {table.get('name')}", table, SOURCE_TABLE)
                for column in table.get("columns") or []:
                    check(f"{name} {table.get('name')}.{column.get('name')}", column, COLUMN)
    return found


def declared_unit_tests() -> dict[str, str]:
    """{unit test name: file} of every unit test written in the project's YAML, at any depth."""
    found = {}

    def walk(node, path: Path) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "unit_tests" and isinstance(value, list):
                    found.update({test["name"]: str(path.relative_to(DBT_PROJECT_DIR)) for test in value})
                walk(value, path)
        elif isinstance(node, list):
            for item in node:
                walk(item, path)

    for path in property_files():
        walk(yaml.safe_load(path.read_text()), path)
    return found


def test_every_key_of_every_property_file_is_one_dbt_reads():
    assert unknown_keys() == []


def test_the_check_finds_a_unit_test_block_under_a_model(tmp_path):
    """The fault itself: a unit_tests block indented under its model (and a misspelt column key)."""
    path = tmp_path / "m.yml"
    path.write_text(yaml.safe_dump({"version": 2, "models": [{
        "name": "m", "columns": [{"name": "c", "data_test": ["not_null"]}],
        "unit_tests": [{"name": "t", "model": "m", "given": [], "expect": {"rows": []}}]}]}))
    assert unknown_keys([path], tmp_path) == ["m.yml model m: unit_tests", "m.yml m.c: data_test"]


def test_dbt_registers_every_unit_test_written_in_the_yaml(tmp_path):
    declared = declared_unit_tests()
    assert len(declared) >= 39
    settings = get_settings({"MAPWH_HOME": str(tmp_path)})
    command, env = dbt_command(settings, tmp_path / "ls.duckdb", ("ls",), tmp_path,
                               args=("--resource-type", "unit_test", "--output", "name", "--quiet"))
    listed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=DBT_PROJECT_DIR)  # noqa: S603 - the venv's dbt
    assert listed.returncode == 0, listed.stdout[-3000:] + listed.stderr[-3000:]
    registered = {line.strip().rsplit(".", 1)[-1] for line in listed.stdout.splitlines() if line.strip()}
    missing = sorted(f"{name} ({file})" for name, file in declared.items() if name not in registered)
    assert not missing, f"unit tests dbt does not register: {missing}"
    assert len(registered) == len(declared)
