"""Each rule once, where it belongs (decision 0038), and no rule its engine ignores.

- The dbt project is parsed with dbt 1.11's own property jsonschemas switched on (dbt-core runs them only for
  four adapters, not DuckDB) and their deprecation events made errors: a key dbt ignores (a `unit_tests:` block
  under a model, a misspelt column key, a config property at the wrong level) fails the parse. A temporary bad
  key in a copy of the project shows the check fails.
- Every Great Expectations suite loads into a GX 1.x ExpectationSuite (every expectation type known to GX), and
  every column a mart's suite names is a column of the mart's contract.
- A mart states each rule in one home: its key is the contract's primary key or its gate's uniqueness, never
  both; not-null as a type is the contract's, and its gate holds no unconditional not-null of the same column;
  accepted sets and ranges are the gate's, so a mart has no dbt accepted_values; dbt data tests on marts are
  relations to other models only.
- The ethnic-group vocabulary is stated once, in dbt_project/macros/ethnic_groups.sql: the suites, which cannot
  run Jinja, carry it as literals, compared here with what the macros render.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.core.config import DBT_PROJECT_DIR, EXPECTATIONS_DIR, get_settings
from warehouse import gates
from warehouse.build import dbt_command
from warehouse.docs import load_marts

# dbt's events for keys and blocks it reads nothing from (dbt 1.11 deprecations)
IGNORED_KEY_EVENTS = [
    "CustomKeyInObjectDeprecation", "CustomTopLevelKeyDeprecation", "CustomKeyInConfigDeprecation",
    "PropertyMovedToConfigDeprecation", "MissingPlusPrefixDeprecation", "UnexpectedJinjaBlockDeprecation",
    "GenericJSONSchemaValidationDeprecation", "DuplicateYAMLKeysDeprecation",
]

# dbt with its property jsonschemas on for DuckDB too, run as `python -c RUN_DBT <dbt args>`
RUN_DBT = """
import sys
from dbt.jsonschemas import jsonschemas
jsonschemas._JSONSCHEMA_SUPPORTED_ADAPTERS.add("duckdb")
from dbt.cli.main import dbtRunner
sys.exit(0 if dbtRunner().invoke(sys.argv[1:]).success else 1)
"""

VOCABULARY = ("{{ tojson({'broad': broad_ethnic_groups(), 'minority': ethnic_minority_groups(),"
              " 'not_stated': ethnicity_not_stated()}) }}")


def run_dbt(tmp_path: Path, project: Path, subcommand: tuple[str, ...], *args: str) -> subprocess.CompletedProcess:
    """dbt `subcommand` on `project`, with the ignored-key events as errors."""
    settings = get_settings({"MAPWH_HOME": str(tmp_path / "home")})
    command, env = dbt_command(settings, tmp_path / "parse.duckdb", subcommand, tmp_path,
                               args=("--no-partial-parse", "--warn-error-options", json.dumps({"error": IGNORED_KEY_EVENTS}),
                                     *args))
    for option in ("--project-dir", "--profiles-dir"):
        command[command.index(option) + 1] = str(project)
    return subprocess.run([sys.executable, "-c", RUN_DBT, *command[1:]], env=env, capture_output=True, text=True,  # noqa: S603 - the venv's python and dbt
                          timeout=600, cwd=project)


@pytest.fixture(scope="module")
def vocabulary(tmp_path_factory) -> dict:
    """The project parsed with every ignored key an error, and the ethnic-group vocabulary its macros render."""
    tmp = tmp_path_factory.mktemp("rule_homes")
    done = run_dbt(tmp, DBT_PROJECT_DIR, ("compile",), "--inline", VOCABULARY, "--output", "json", "--quiet")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return json.loads(json.loads(done.stdout[done.stdout.index("{"):])["compiled"])


def test_the_project_has_no_key_dbt_ignores(vocabulary):
    assert vocabulary["broad"]  # the fixture parsed the project with the ignored-key events as errors


@pytest.mark.parametrize("fault", ["unit_tests under a model", "misspelt column key"])
def test_a_key_dbt_ignores_fails_the_parse(tmp_path, fault):
    project = tmp_path / "project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    path = project / "models" / "marts" / "workforce" / "recruitment_shares.yml"
    text = path.read_text()
    if fault == "unit_tests under a model":
        bad = text.replace("    columns:\n", "    unit_tests:\n      - name: dead\n        model: recruitment_shares\n"
                                             "        given: []\n        expect: {rows: []}\n    columns:\n", 1)
        key = "unit_tests"
    else:
        bad = text.replace("        data_type:", "        data_typ:", 1)
        key = "data_typ"
    assert bad != text
    path.write_text(bad)
    done = run_dbt(tmp_path, project, ("parse",))
    assert done.returncode != 0
    assert "CustomKeyInObjectDeprecation" in done.stdout and f"Custom key `{key}`" in done.stdout


# --------------------------------------------------------------------------- the suites
def suites() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(EXPECTATIONS_DIR.glob("*.json"))}


def marts() -> dict[str, dict]:
    return {m["name"]: m for models in load_marts().values() for m in models}


@pytest.mark.parametrize("gate", sorted(suites()))
def test_every_suite_loads_into_great_expectations(gate):
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    definition = suites()[gate]
    expectations = [ExpectationConfiguration(type=e["type"], kwargs=e.get("kwargs", {}), meta=e.get("meta", {}),
                                             severity=e.get("severity", "critical")).to_domain_obj()
                    for e in definition["expectations"]]  # an unknown type raises here
    suite = gx.ExpectationSuite(name=definition["name"], expectations=expectations, meta=definition.get("meta", {}))
    assert definition["name"] == gate and len(suite.expectations) == len(definition["expectations"]) > 0


def test_every_mart_has_a_suite_and_its_columns_are_the_marts():
    found = marts()
    mart_suites = {g.removeprefix("mart_"): d for g, d in suites().items() if g.startswith("mart_")}
    assert set(mart_suites) == set(found)
    unknown = {name: sorted(gates.suite_columns(d) - {c["name"] for c in found[name]["columns"]})
               for name, d in mart_suites.items()}
    assert {k: v for k, v in unknown.items() if v} == {}


# --------------------------------------------------------------------------- one home per rule
def contract(model: dict) -> tuple[list[str], set[str]]:
    """The contract's primary key and its not-null columns."""
    key = next((list(c["columns"]) for c in model.get("constraints") or [] if c.get("type") == "primary_key"), [])
    not_null = {c["name"] for c in model["columns"] if any(k.get("type") == "not_null" for k in c.get("constraints") or [])}
    return key, not_null


def gate_keys(definition: dict) -> list[list[str]]:
    return [list(e["kwargs"]["column_list"]) if e["type"] == "expect_compound_columns_to_be_unique" else [e["kwargs"]["column"]]
            for e in definition["expectations"]
            if e["type"] in ("expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique")]


def test_each_mart_states_each_rule_once_in_its_home():
    twice = []
    for name, model in marts().items():
        definition = suites()[f"mart_{name}"]
        key, not_null = contract(model)
        if key and gate_keys(definition):
            twice.append(f"{name}: key in the contract and in the gate")
        if not key and len(gate_keys(definition)) > 1:
            twice.append(f"{name}: two keys in the gate")
        for e in definition["expectations"]:
            if e["type"] == "expect_column_values_to_not_be_null" and set(e["kwargs"]) == {"column"} \
                    and e["kwargs"]["column"] in not_null:
                twice.append(f"{name}.{e['kwargs']['column']}: not-null in the contract and in the gate")
        if model.get("data_tests"):
            twice.append(f"{name}: model-level data tests {model['data_tests']} (a key is the contract's or the gate's)")
        for column in model["columns"]:
            for test in column.get("data_tests") or []:
                if not (isinstance(test, dict) and set(test) == {"relationships"}):
                    twice.append(f"{name}.{column['name']}: data test {test} (values are the gate's, keys and not-null "
                                 "the contract's; dbt tests relations to other models)")
    assert twice == []


def test_a_contract_key_has_only_not_null_columns_and_a_gate_key_one_that_may_be_null():
    for name, model in marts().items():
        key, not_null = contract(model)
        assert set(key) <= not_null, name
        for gate_key in gate_keys(suites()[f"mart_{name}"]):
            # the exception, fct_stop_search: an enforced key is an index over every stop (decision 0038)
            assert name == "fct_stop_search" or not set(gate_key) <= not_null, (name, gate_key)


# --------------------------------------------------------------------------- the vocabulary once
def test_the_suites_name_the_ethnic_groups_the_macros_state(vocabulary):
    broad, minority, not_stated = set(vocabulary["broad"]), set(vocabulary["minority"]), vocabulary["not_stated"]
    assert minority == broad - {"White"}
    others = {"Ethnic minority", "All", "White British"}  # labels beside the groups: aggregates, a finer group
    checked = 0
    for gate, definition in suites().items():
        for e in definition["expectations"]:
            values = e.get("kwargs", {}).get("value_set")
            if isinstance(values, list) and "Mixed" in values:  # a list of the groups (Mixed is no other word)
                named = set(values) - others
                assert named in (broad, broad | {not_stated}, minority), (gate, e["kwargs"]["column"], values)
                checked += 1
    assert checked >= 7
