"""One raw contract: each source module's Table is what the parser returns, what the dbt
source YAML documents, and what its gate suite's column set names."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from ingest import registry
from ingest.core.config import DBT_PROJECT_DIR, EXPECTATIONS_DIR
from warehouse import docs

SOURCES = sorted(registry.sources())


def test_generated_files_are_up_to_date():
    assert docs.SOURCES_BEGIN in docs.README.read_text() and docs.BEGIN in docs.README.read_text()
    stale = [str(path) for path, text in docs.generated_files().items() if not path.exists() or path.read_text() != text]
    assert not stale, f"out of date (run `make docs`): {stale}"


@pytest.mark.parametrize("name", SOURCES)
def test_dbt_source_yaml_documents_the_contract(name):
    table = registry.get(name).table
    dbt_source, dbt_table = table.dbt
    document = yaml.safe_load((DBT_PROJECT_DIR / "models" / "staging" / dbt_source / f"_{dbt_source}__sources.yml").read_text())
    (entry,) = [t for s in document["sources"] for t in s["tables"] if t["name"] == dbt_table]
    assert entry.get("identifier", entry["name"]) == table.name
    assert [(c["name"], c["data_type"]) for c in entry["columns"]] == [(c.name, c.type.lower()) for c in table.columns]


@pytest.mark.parametrize("name", SOURCES)
def test_gate_column_set_is_the_contract_plus_the_gate_view(name):
    source = registry.get(name)
    empty = pd.DataFrame(columns=source.table.column_names)
    view_columns = set(source.gate_view(empty).columns)
    assert set(source.table.column_names) <= view_columns
    suite = json.loads((EXPECTATIONS_DIR / f"{source.suite}.json").read_text())
    column_sets = [e["kwargs"]["column_set"] for e in suite["expectations"] if e["type"] == "expect_table_columns_to_match_set"]
    assert column_sets == [sorted(view_columns)] or [set(c) for c in column_sets] == [view_columns], (
        f"expectations/{source.suite}.json must check the columns {sorted(view_columns)}"
    )


@pytest.mark.parametrize("name", SOURCES)
def test_every_column_the_suite_names_exists(name):
    source = registry.get(name)
    columns = set(source.gate_view(pd.DataFrame(columns=source.table.column_names)).columns)
    suite = json.loads((EXPECTATIONS_DIR / f"{source.suite}.json").read_text())
    named = {e["kwargs"][k] for e in suite["expectations"] for k in ("column",) if k in e["kwargs"]}
    named |= {c for e in suite["expectations"] for c in e["kwargs"].get("column_list", [])}
    assert named <= columns, sorted(named - columns)
