"""The Airflow metadata database is migrated whenever the database behind the connection lacks the schema,
even when MAPWH_HOME still holds the marker of an earlier migration (compose keeps them on different volumes)."""

from __future__ import annotations

import sqlite3

import pytest

from ingest.core.config import get_settings
from warehouse import airflow_env


def a_migrated_looking_db(path):
    con = sqlite3.connect(path)
    con.execute("create table alembic_version (version_num varchar)")
    con.execute("insert into alembic_version values ('x')")
    con.execute("create table slot_pool (id integer)")
    con.commit()
    con.close()


def test_is_migrated_reads_the_database_not_a_file(tmp_path):
    assert not airflow_env.metadata_db_is_migrated(f"sqlite:///{tmp_path / 'new.db'}")
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert not airflow_env.metadata_db_is_migrated(f"sqlite:///{empty}")
    a_migrated_looking_db(tmp_path / "old.db")
    assert airflow_env.metadata_db_is_migrated(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.fixture
def calls(monkeypatch):
    seen = []
    monkeypatch.setattr(airflow_env, "_airflow", lambda *args: seen.append(args))
    return seen


def test_a_new_metadata_db_behind_an_old_home_is_migrated(tmp_path, monkeypatch, calls):
    from airflow.configuration import conf

    settings = get_settings({"MAPWH_HOME": str(tmp_path / "home")})
    settings.airflow_home.mkdir(parents=True)
    db = tmp_path / "metadata.db"
    monkeypatch.setattr(conf, "get", lambda section, key, **kw: f"sqlite:///{db}")

    airflow_env.ensure_metadata_db(settings)  # first time: migrate and the pools
    assert calls[0] == ("db", "migrate") and calls[1][:2] == ("pools", "import")
    a_migrated_looking_db(db)  # what the migration would have left
    calls.clear()
    airflow_env.ensure_metadata_db(settings)
    assert calls == []  # marker and schema agree: nothing to do

    db.unlink()  # the metadata volume is new; MAPWH_HOME (and its marker) is not
    airflow_env.ensure_metadata_db(settings)
    assert calls[0] == ("db", "migrate")


# --------------------------------------------------------------------------- the UI's login
@pytest.fixture
def ui_home(tmp_path, monkeypatch):
    monkeypatch.setenv("MAPWH_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(tmp_path / "passwords.json"))
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin,viewer:viewer")
    return tmp_path / "passwords.json"


def test_the_ui_password_comes_from_the_environment_and_airflow_reads_it(ui_home, monkeypatch):
    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

    ui_home.write_text('{"viewer": "kept-as-it-was-123"}')
    monkeypatch.setenv("MAPWH_UI_PASSWORD", "a-chosen-password-0123")
    line = airflow_env.ensure_ui_login(get_settings())
    assert line == f"UI login: user admin, password from MAPWH_UI_PASSWORD (in {ui_home}, mode 0600)"
    assert ui_home.stat().st_mode & 0o777 == 0o600
    # what Airflow's own manager reads, and so what the api-server checks a login against
    assert SimpleAuthManager.get_passwords() == {"viewer": "kept-as-it-was-123", "admin": "a-chosen-password-0123"}
    assert "a-chosen-password-0123" not in line


def test_without_a_ui_password_setup_says_where_airflow_keeps_the_generated_one(ui_home):
    line = airflow_env.ensure_ui_login(get_settings())
    assert str(ui_home) in line and "admin, viewer" in line and "MAPWH_UI_PASSWORD" in line
    assert not ui_home.exists()  # nothing written: Airflow generates it when the api-server starts


def test_a_ui_user_the_auth_manager_does_not_know_is_refused(ui_home, monkeypatch):
    monkeypatch.setenv("MAPWH_UI_USER", "bob")
    monkeypatch.setenv("MAPWH_UI_PASSWORD", "a-chosen-password-0123")
    with pytest.raises(ValueError, match="MAPWH_UI_USER='bob' is not one of AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"):
        airflow_env.ensure_ui_login(get_settings())
    assert not ui_home.exists()


def test_setup_refuses_a_placeholder_secret_naming_it_and_starts_nothing(tmp_path, monkeypatch, capsys):
    from warehouse import cli

    monkeypatch.setenv("MAPWH_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "change-me")
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", "Zx2Yl6lYI3cXjVbsh8ZwFIOtQUQmNSoqBgKsXWRFxUQ=")
    assert cli.main(["setup"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "mapwh setup: refusing to start: AIRFLOW__API_AUTH__JWT_SECRET is still a placeholder: replace it"
    assert not (tmp_path / "var" / "airflow").exists()
