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
