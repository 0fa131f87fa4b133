"""warehouse/serve_pg.py under the faults an adversarial review found, on a throwaway PostgreSQL cluster.

Each test publishes a small DuckDB file of its own (a `marts` schema of two tables and an
`audit.build` row) to its own schema or database, so they need no sample build: a NUL character in
a mart, a BI session idle in a transaction, two publishes at once, a schema the warehouse did not
create, PostgreSQL down, PostgreSQL refusing DuckDB's connection (the password must not show), and
what the read-only role can and cannot do.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import duckdb
import pytest

from devdata.pgserver import Cluster, free_port, server_bindir
from ingest.core.config import ConfigError, get_settings
from tests.conftest import required
from warehouse import serve_pg
from warehouse.serve_pg import PublishError

ROOT = Path(__file__).resolve().parents[2]
READER = "mapwh_reader"
BI_READER = "bi_reader"
COMPOSE_READER = "compose_reader"  # the reader docker/postgres-marts-init.sh makes, by a name of its own here  # the reader of the database of its own (one reader role per marts database)


@pytest.fixture(scope="module")
def cluster():
    bindir = required(server_bindir(), "no PostgreSQL server binaries (bin/ensure-postgres installs Debian's postgresql)")
    with Cluster(bindir) as server:
        yield server


def make_warehouse(path: Path, build: str, label: str = "ok", rows: int = 3) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts; create schema audit")
        con.execute("create table audit.build as select ? as build", [build])
        con.execute("create table marts.t_one as select range::bigint as n, ? || range::varchar as label, "
                    "'2025-01' as period from range(?)", [label, rows])
        con.execute("create table marts.t_two as select 1::bigint as n, 'x' as label")
    finally:
        con.close()
    return path


def settings_for(tmp_path: Path, target: str, **extra: str):
    return get_settings({"MAPWH_HOME": str(tmp_path / "home"), "MAPWH_PG_DSN": target, **extra})


def admin(cluster, dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(cluster.dsn(dbname=dbname), autocommit=True)


def schemas(cluster, like: str, dbname: str = "postgres") -> list[str]:
    with admin(cluster, dbname) as pg:
        return [n for (n,) in pg.execute("select nspname from pg_namespace where nspname like %s order by 1", [like]).fetchall()]


# --------------------------------------------------------------------------- 1: a NUL character
def test_a_nul_in_a_mart_is_refused_naming_the_table_and_column(cluster, tmp_path):
    settings = settings_for(tmp_path, cluster.dsn(), MAPWH_PG_SCHEMA="marts_nul")
    serve_pg.publish(settings, make_warehouse(tmp_path / "good.duckdb", "build-good"))
    bad = make_warehouse(tmp_path / "bad.duckdb", "build-bad", label="a\x00b")
    with pytest.raises(PublishError) as raised:
        serve_pg.publish(settings, bad)
    message = str(raised.value)
    assert "marts.t_one.label" in message and "NUL" in message and "\n" not in message
    assert serve_pg.served(settings)["build"] == "build-good"  # the previous build keeps serving, nothing left behind
    assert schemas(cluster, "marts\\_nul%") == ["marts_nul"]


# --------------------------------------------------------------------------- 2: a BI session idle in a transaction
def test_a_reader_idle_in_a_transaction_never_blocks_or_fails_a_publish(cluster, tmp_path, monkeypatch):
    settings = settings_for(tmp_path, cluster.dsn(), MAPWH_PG_SCHEMA="marts_idle", MAPWH_PG_LOCK_TIMEOUT="1s")
    path = make_warehouse(tmp_path / "w.duckdb", "build-1")
    serve_pg.publish(settings, path)
    session: dict[str, str] = {}
    original = serve_pg._copy_mart

    def recording(pg, con, schema, mart, definition):
        session.update(lock_timeout=pg.execute("show lock_timeout").fetchone()[0],
                       statement_timeout=pg.execute("show statement_timeout").fetchone()[0])
        return original(pg, con, schema, mart, definition)

    monkeypatch.setattr(serve_pg, "_copy_mart", recording)
    with admin(cluster) as bi:
        bi.autocommit = False
        bi.execute("select count(*) from marts_idle.t_one").fetchone()  # and then idle in the transaction
        for _ in range(2):  # the publish that retires the schema the reader holds, and the one after
            started = time.monotonic()
            serve_pg.publish(settings, path)
            assert time.monotonic() - started < 20
        assert len(schemas(cluster, "marts\\_idle\\_\\_retired\\_%")) == 1  # only the one the reader holds is left
        bi.rollback()
    assert session == {"lock_timeout": "1s", "statement_timeout": "30min"}
    serve_pg.publish(settings, path)  # the reader is gone: every leftover is retired
    assert schemas(cluster, "marts\\_idle%") == ["marts_idle"]


# --------------------------------------------------------------------------- 3: two publishes at once
def test_overlapping_publishes_are_serialised_and_never_drop_each_others_schema(cluster, tmp_path, monkeypatch):
    settings = settings_for(tmp_path, cluster.dsn(), MAPWH_PG_SCHEMA="marts_race")
    first, second = make_warehouse(tmp_path / "a.duckdb", "build-a"), make_warehouse(tmp_path / "b.duckdb", "build-b", rows=5)
    copying, original = threading.Event(), serve_pg._copy_mart

    def slow(pg, con, schema, mart, definition):
        if "build-a" in str(con.execute("select build from wh.audit.build").fetchone()) and not copying.is_set():
            copying.set()  # the first publish has its incoming schema: let the second start, and take a while
            time.sleep(3)
        return original(pg, con, schema, mart, definition)

    monkeypatch.setattr(serve_pg, "_copy_mart", slow)
    results, errors = {}, []

    def run(name, path):
        try:
            results[name] = serve_pg.publish(settings, path)
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            errors.append(f"{name}: {exc!r}")

    a = threading.Thread(target=run, args=("a", first))
    a.start()
    assert copying.wait(60)
    b = threading.Thread(target=run, args=("b", second))
    b.start()
    a.join(120)
    b.join(120)
    assert errors == []
    assert results["a"]["build"] == "build-a" and results["b"]["build"] == "build-b"
    assert serve_pg.served(settings)["build"] == "build-b"  # the one that started second finished second
    assert schemas(cluster, "marts\\_race%") == ["marts_race"]


def test_a_stale_incoming_schema_is_dropped_but_a_running_publishes_is_kept(cluster, tmp_path):
    import psycopg

    settings = settings_for(tmp_path, cluster.dsn(), MAPWH_PG_SCHEMA="marts_stale")
    with admin(cluster) as pg, admin(cluster) as running:
        pid = running.execute("select pg_backend_pid()").fetchone()[0]
        pg.execute("create schema marts_stale__incoming_1")  # a crashed publish's (no owner recorded)
        pg.execute("create schema marts_stale__incoming_2")
        pg.execute("comment on schema marts_stale__incoming_2 is " + psycopg.sql.quote(f'mapwh incoming {{"pid": {pid}}}'))
        serve_pg.publish(settings, make_warehouse(tmp_path / "w.duckdb", "build-1"))
        assert schemas(cluster, "marts\\_stale%") == ["marts_stale", "marts_stale__incoming_2"]
    serve_pg.publish(settings, make_warehouse(tmp_path / "w2.duckdb", "build-2"))  # its owner has gone
    assert schemas(cluster, "marts\\_stale%") == ["marts_stale"]


def test_a_publish_waiting_too_long_for_another_fails_clearly(cluster, tmp_path):
    settings = settings_for(tmp_path, cluster.dsn(), MAPWH_PG_SCHEMA="marts_wait", MAPWH_PG_PUBLISH_WAIT="1")
    with admin(cluster) as holder:
        holder.execute("select pg_advisory_lock(%s::int, hashtext('marts_wait'))", [serve_pg.ADVISORY_CLASS])
        with pytest.raises(PublishError, match=r"another publish of schema marts_wait .*role postgres"):
            serve_pg.publish(settings, make_warehouse(tmp_path / "w.duckdb", "build-1"))
    assert schemas(cluster, "marts\\_wait%") == []


# --------------------------------------------------------------------------- 4: a schema the warehouse did not create
@pytest.mark.parametrize("schema", ["public", "analysts_own"])
def test_a_schema_the_warehouse_did_not_create_is_refused_and_nothing_dropped(cluster, tmp_path, schema):
    with admin(cluster) as pg:
        pg.execute(f"create schema if not exists {schema}")
        pg.execute(f"create table if not exists {schema}.keep_me (x int)")
    settings = settings_for(tmp_path, cluster.dsn(), MAPWH_PG_SCHEMA=schema)
    with pytest.raises(PublishError, match=f"schema {schema} exists and was not created by the warehouse"):
        serve_pg.publish(settings, make_warehouse(tmp_path / "w.duckdb", "build-1"))
    with admin(cluster) as pg:
        assert pg.execute(f"select count(*) from {schema}.keep_me").fetchone()[0] == 0  # noqa: S608 - still there
    assert schemas(cluster, f"{schema}\\_\\_%") == []


# --------------------------------------------------------------------------- 5: PostgreSQL down
def test_postgres_down_is_one_line_naming_host_and_port_never_the_password(tmp_path):
    port = free_port()
    target = f"postgresql://publisher:Pw-secret-42@127.0.0.1:{port}/marts"
    settings = settings_for(tmp_path, target)
    make_warehouse(tmp_path / "w.duckdb", "build-1")
    with pytest.raises(PublishError) as raised:
        serve_pg.publish(settings, tmp_path / "w.duckdb")
    assert f"127.0.0.1:{port}" in str(raised.value) and "Pw-secret-42" not in str(raised.value)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    make_warehouse(home / "warehouse.duckdb", "build-1")
    import os

    env = {**os.environ, "MAPWH_HOME": str(home), "MAPWH_PG_DSN": target, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "warehouse.cli", "publish"], env=env, cwd=ROOT,  # noqa: S603 - this interpreter
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"127.0.0.1:{port}" in lines[0] and "Pw-secret-42" not in done.stderr + done.stdout


# --------------------------------------------------------------------------- 6: PostgreSQL refusing DuckDB's connection
def test_a_refused_duckdb_connection_never_shows_the_password(cluster, tmp_path):
    """The publisher may open one connection (CONNECTION LIMIT 1): psycopg's gets in, DuckDB's ATTACH is
    refused, and DuckDB's message quotes the whole DSN, password included."""
    with admin(cluster) as pg:
        if not pg.execute("select 1 from pg_roles where rolname = %s", [READER]).fetchone():
            pg.execute(f"create role {READER} login noinherit")
        pg.execute("create role limited_publisher login connection limit 1")
        pg.execute("create database limited_marts owner limited_publisher")
    for target in (cluster.dsn(user="limited_publisher", dbname="limited_marts").replace("limited_publisher@", "limited_publisher:Pw-secret-42@"),
                   f"host=127.0.0.1 port={cluster.port} user=limited_publisher password=Pw-secret-42 dbname=limited_marts"):
        with pytest.raises(PublishError) as raised:
            serve_pg.publish(settings_for(tmp_path, target), make_warehouse(tmp_path / f"w{len(target)}.duckdb", "build-1"))
        shown = "".join(traceback.format_exception(raised.value))
        assert "Pw-secret-42" not in shown and "***" in str(raised.value), shown
        assert "too many connections" in str(raised.value)
    assert schemas(cluster, "marts%", dbname="limited_marts") == []


# --------------------------------------------------------------------------- 7-9: the read-only role
@pytest.fixture(scope="module")
def reader_database(cluster, tmp_path_factory):
    """A marts database of its own, published to, beside another database and another login role."""
    tmp_path = tmp_path_factory.mktemp("reader")
    with admin(cluster) as pg:
        pg.execute("create database bi_marts")
        pg.execute("create database other_app")
        pg.execute("create role other_app_user login")
    settings = settings_for(tmp_path, cluster.dsn(dbname="bi_marts"), MAPWH_PG_READER_ROLE=BI_READER,
                            MAPWH_PG_READER_STATEMENT_TIMEOUT="2min")
    serve_pg.publish(settings, make_warehouse(tmp_path / "w.duckdb", "build-1"))
    return cluster


def test_the_reader_cannot_write_even_after_turning_read_only_mode_off(reader_database):
    import psycopg
    from psycopg import errors

    with psycopg.connect(reader_database.dsn(user=BI_READER, dbname="bi_marts"), autocommit=True) as pg:
        assert pg.execute("select count(*) from marts.t_one").fetchone()[0] == 3
        pg.execute("set default_transaction_read_only = off")
        pg.execute("set transaction_read_only = off")
        assert pg.execute("show transaction_read_only").fetchone()[0] == "off"
        for statement in ("create table public.mine (x int)", "create table marts.mine (x int)",
                          "create temporary table mine (x int)", "insert into marts.t_one (n) values (99)",
                          "update marts.t_one set n = 0", "delete from marts.t_two", "create schema mine",
                          "select lo_create(0)", "select lo_creat(-1)", "select lo_from_bytea(0, 'x')"):
            with pytest.raises(errors.InsufficientPrivilege):
                pg.execute(statement)
        assert pg.execute("select count(*) from marts.t_one").fetchone()[0] == 3


def test_the_reader_connects_to_the_marts_database_only(reader_database):
    import psycopg

    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(reader_database.dsn(user=BI_READER, dbname="other_app")).close()
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(reader_database.dsn(user=BI_READER, dbname="postgres")).close()
    with psycopg.connect(reader_database.dsn(user="other_app_user", dbname="other_app")) as pg:  # nobody else is locked out
        assert pg.execute("select 1").fetchone()[0] == 1
    with psycopg.connect(reader_database.dsn(user=BI_READER, dbname="bi_marts")) as pg:
        assert pg.execute("select current_database()").fetchone()[0] == "bi_marts"


def test_the_reader_is_noinherit_with_role_level_timeouts(reader_database):
    import psycopg

    with admin(reader_database) as pg:
        assert pg.execute("select rolinherit, rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = %s",
                          [BI_READER]).fetchone() == (False, False, False, False)
    with psycopg.connect(reader_database.dsn(user=BI_READER, dbname="bi_marts")) as pg:
        assert pg.execute("show statement_timeout").fetchone()[0] == "2min"  # MAPWH_PG_READER_STATEMENT_TIMEOUT
        assert pg.execute("show idle_in_transaction_session_timeout").fetchone()[0] == "10min"  # the default
        assert pg.execute("show default_transaction_read_only").fetchone()[0] == "on"


def test_a_reader_timeout_that_is_not_an_interval_is_refused_before_anything_connects(cluster, tmp_path):
    """The interval is checked where the setting is read (decision 0039), so a value that would be SQL never reaches
    PostgreSQL: the settings are refused with one line naming the variable, and no schema is made."""
    with pytest.raises(ConfigError, match=r"^MAPWH_PG_READER_IDLE_TIMEOUT=.*expected a PostgreSQL interval"):
        settings_for(tmp_path, cluster.dsn(), MAPWH_PG_SCHEMA="marts_bad_timeout",
                     MAPWH_PG_READER_IDLE_TIMEOUT="10min'; drop table x; --")
    with admin(cluster) as pg:
        assert pg.execute("select count(*) from information_schema.schemata where schema_name = 'marts_bad_timeout'"
                          ).fetchone() == (0,)


# --------------------------------------------------------------------------- the compose deployment's roles
def test_the_compose_init_script_makes_a_publisher_that_is_no_superuser_and_a_locked_reader(cluster, tmp_path, caplog):
    """docker/postgres-marts-init.sh, run as the postgres image runs it on first start: the publisher owns the
    marts database and publishes without being a superuser; the reader it makes needs nothing changed."""
    import psycopg

    with admin(cluster) as pg:
        pg.execute("create database compose_marts")
    env = {**os.environ, "PATH": f"{cluster.bindir}:{os.environ['PATH']}", "PGHOST": "127.0.0.1", "PGPORT": str(cluster.port),
           "POSTGRES_USER": "postgres", "POSTGRES_DB": "compose_marts", "MARTS_PUBLISHER_USER": "compose_publisher",
           "MARTS_PUBLISHER_PASSWORD": "publisher-Pw-0123456789", "MARTS_READER_PASSWORD": "reader-Pw-0123456789",
           "MARTS_READER_ROLE": COMPOSE_READER}  # a reader of its own: the module's other tests granted theirs elsewhere
    for attempt in range(2):  # and again, as on a restart with the data volume kept: idempotent
        done = subprocess.run(["bash", str(ROOT / "docker" / "postgres-marts-init.sh")], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    with admin(cluster, "compose_marts") as pg:
        assert pg.execute("select rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = 'compose_publisher'").fetchone() \
            == (False, False, False)
        assert pg.execute("select has_database_privilege(%s, 'compose_marts', 'TEMP')", [COMPOSE_READER]).fetchone() == (False,)
    caplog.set_level("WARNING", logger="warehouse.serve_pg")
    settings = settings_for(tmp_path, cluster.dsn(user="compose_publisher", dbname="compose_marts"),
                            MAPWH_PG_READER_ROLE=COMPOSE_READER)
    published = serve_pg.publish(settings, make_warehouse(tmp_path / "w.duckdb", "build-compose"))
    assert published["build"] == "build-compose" and published["tables"] == {"t_one": 3, "t_two": 1}
    assert not [r for r in caplog.records if COMPOSE_READER in r.getMessage()], [r.getMessage() for r in caplog.records]
    with psycopg.connect(cluster.dsn(user=COMPOSE_READER, dbname="compose_marts"), autocommit=True) as reader:
        assert reader.execute("select count(*) from marts.t_one").fetchone() == (3,)
        assert reader.execute("show default_transaction_read_only").fetchone() == ("on",)
