"""warehouse/secrets_check.py (placeholder secrets start nothing) and what a dbt child is given."""

from __future__ import annotations

import base64
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.core.config import get_settings, without_secrets
from warehouse import secrets_check
from warehouse.build import dbt_command


def good() -> dict[str, str]:
    return {"AIRFLOW_DB_PASSWORD": secrets.token_urlsafe(24), "MARTS_PUBLISHER_PASSWORD": secrets.token_urlsafe(24),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(48),
            "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(), "AIRFLOW_DB": "airflow"}


def test_generated_secrets_pass(capsys):
    assert secrets_check.main(good()) == 0
    assert "4 secrets set" in capsys.readouterr().out


@pytest.mark.parametrize("name, value, said", [
    ("AIRFLOW_DB_PASSWORD", "change-me", "placeholder"),
    ("AIRFLOW_DB_PASSWORD", "CHANGE_ME", "placeholder"),
    ("AIRFLOW_DB_PASSWORD", "", "is empty"),
    ("AIRFLOW_DB_PASSWORD", "postgres", "placeholder"),
    ("AIRFLOW_DB_PASSWORD", "short-Pw-1", "fewer than 16"),
    ("AIRFLOW_DB_PASSWORD", "a-long-password-with@sign", "unescaped"),
    ("AIRFLOW__CORE__FERNET_KEY", "not-a-fernet-key-but-long-enough", "not a Fernet key"),
])
def test_a_weak_secret_refuses_to_start_naming_the_variable_not_the_value(capsys, name, value, said):
    assert secrets_check.main({**good(), name: value}) == 1
    err = capsys.readouterr().err
    assert name in err and said in err and (not value or value not in err)


def test_a_reused_secret_is_refused():
    env = good()
    env["MARTS_PUBLISHER_PASSWORD"] = env["AIRFLOW_DB_PASSWORD"]
    (problem,) = secrets_check.problems(env)
    assert "is the same as" in problem


@given(st.dictionaries(st.sampled_from(["MAPWH_PG_DSN", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "X_PASSWORD", "API_TOKEN",
                                        "FERNET_KEY", "MAPWH_HOME", "PATH"]),
                       st.text(alphabet="abcXYZ019-_", min_size=4, max_size=12), min_size=1))
def test_a_dbt_child_holds_no_secret_whatever_the_environment(values):
    environ = {name: (f"postgresql://u:{value}@h/db" if name in ("MAPWH_PG_DSN", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN") else value)
               for name, value in values.items()}
    kept = without_secrets(environ)
    assert not {"MAPWH_PG_DSN", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "X_PASSWORD", "API_TOKEN", "FERNET_KEY"} & set(kept)
    assert {k: environ[k] for k in ("MAPWH_HOME", "PATH") if k in environ} == kept


def test_the_dbt_child_environment_has_no_password(tmp_path):
    settings = get_settings({"MAPWH_HOME": str(tmp_path), "MAPWH_PG_DSN": "postgresql://p:Pw-0123456789@h/db",
                             "MAPWH_PG_READER_PASSWORD": "reader-0123456789"})
    _, env = dbt_command(settings, tmp_path / "w.duckdb", ("build",), tmp_path)
    assert "Pw-0123456789" not in str(env) and "reader-0123456789" not in str(env)
    assert env["MAPWH_DBT_DB_PATH"] == str(tmp_path / "w.duckdb")
