"""Serving: the published DuckDB file to analysts, and warehouse/serve_pg.py to BI tools over a real
PostgreSQL server (a throwaway cluster on 127.0.0.1).

A warehouse is built from a small synthetic sample (two months of stop and search, census,
boundaries, the workforce tables), then published; BI-style clients read it: psql, psycopg 3,
SQLAlchemy, and the catalog queries a BI tool runs on connect. Analysts' DuckDB readers hold the
file open across a real rebuild and publish; the dbt docs site is built from a copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading

import duckdb
import pytest

from devdata import sample
from devdata.mirror import serve, source_environment
from devdata.pgserver import Cluster, server_bindir
from ingest import registry
from ingest.core.config import get_settings
from tests.conftest import required
from warehouse import build, pipeline, serve_pg


@pytest.fixture(scope="module")
def cluster():
    bindir = required(server_bindir(), "no PostgreSQL server binaries (bin/ensure-postgres installs Debian's postgresql)")
    with Cluster(bindir) as server:
        yield server


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """A published DuckDB warehouse with data in most marts."""
    root = tmp_path_factory.mktemp("sample")
    sample.generate(root, first_month="2025-01", last_month="2025-02", archive_months=(), empty_months=())
    home = tmp_path_factory.mktemp("home")
    with serve(root) as server:
        settings = get_settings({**source_environment(server), "MAPWH_HOME": str(home)})
        for name in ("census_population", "london_boundaries", "workforce", "workforce_joiners", "workforce_promotions",
                     "use_of_force", "use_of_force_by_force"):
            pipeline.load(settings, registry.get(name))
        for month in ("2025-01", "2025-02"):
            pipeline.load_period(settings, registry.get("police_uk_stop_search"), month)
    build.build_and_publish(settings)
    return settings


def settings_for(warehouse, cluster, **extra):
    return get_settings({"MAPWH_HOME": str(warehouse.home), "MAPWH_PG_DSN": cluster.dsn(), **extra})


def duckdb_counts(path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [t for (t,) in con.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()]
        return {t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in tables}  # noqa: S608
    finally:
        con.close()


@pytest.fixture(scope="module")
def published(warehouse, cluster):
    settings = settings_for(warehouse, cluster)
    return serve_pg.publish(settings)


def test_every_mart_is_published_with_its_rows(published, warehouse, cluster):
    import psycopg

    expected = duckdb_counts(warehouse.warehouse_path)
    assert published["tables"] == expected and len(expected) == 19
    assert sum(expected.values()) > 1000
    assert expected["use_of_force_monthly"] > 0 and expected["handcuffing_policy_effect"] > 0
    assert expected["use_of_force_by_force"] > 0
    with psycopg.connect(cluster.dsn(user="mapwh_reader")) as pg:
        for table, rows in expected.items():
            assert pg.execute(f'select count(*) from marts."{table}"').fetchone()[0] == rows  # noqa: S608
        assert serve_pg.served(settings_for(warehouse, cluster))["build"] == published["build"]


def test_psql_and_sqlalchemy_read_it_as_the_reader(published, cluster):
    psql = shutil.which("psql")
    assert psql, "psql (postgresql-client) is installed with the server"
    out = subprocess.run([psql, cluster.dsn(user="mapwh_reader"), "-At", "-c",
                          "select count(*) from marts.workforce_targets where status is not null"],
                         capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    assert out == str(published["tables"]["workforce_targets"])
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(cluster.dsn(user="mapwh_reader").replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from marts.fct_stop_search")).scalar() == published["tables"]["fct_stop_search"]
    inspector = inspect(engine)
    assert set(inspector.get_table_names(schema="marts")) == set(published["tables"])
    assert inspector.get_table_comment("trust_gap", schema="marts")["text"]
    engine.dispose()


def test_types_keys_indexes_and_comments_are_what_a_bi_tool_reads(published, cluster):
    import psycopg

    with psycopg.connect(cluster.dsn(user="mapwh_reader")) as pg:
        types = dict(pg.execute(
            "select table_name || '.' || column_name, data_type from information_schema.columns where table_schema = 'marts'").fetchall())
        assert types["workforce_representation.as_at"] == "date"
        assert types["workforce_representation.headcount"] == "bigint"
        assert types["workforce_representation.share"] == "double precision"
        assert types["action_plan_scorecard.is_synthetic"] == "boolean"
        missing = pg.execute("""
            select c.relname, a.attname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            where n.nspname = 'marts' and c.relkind = 'r' and col_description(c.oid, a.attnum) is null""").fetchall()
        assert missing == []
        undocumented = pg.execute("""
            select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'marts' and c.relkind = 'r' and obj_description(c.oid, 'pg_class') is null""").fetchall()
        assert undocumented == []
        keys = dict(pg.execute("""
            select c.relname, string_agg(a.attname, ',' order by array_position(con.conkey, a.attnum))
            from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and a.attnum = any(con.conkey)
            where con.contype = 'p' and n.nspname = 'marts' group by 1""").fetchall())  # what a BI tool reads for keys
        assert keys["workforce_representation"] == "as_at,force,rank,worker_type,ethnic_group"
        # a key with a nullable column (the scorecard's period: null but for a recurring target) is a unique index
        assert "action_plan_scorecard" not in keys
        assert any("UNIQUE INDEX" in i and "(commitment_id, period)" in i for (i,) in pg.execute(
            "select indexdef from pg_indexes where schemaname = 'marts' and tablename = 'action_plan_scorecard'"))
        indexes = {r[0] for r in pg.execute("select indexdef from pg_indexes where schemaname = 'marts' and tablename = 'stop_search_monthly'")}
        # the key's index leads with month; the other usual filters get their own
        assert any("(month, borough" in i for i in indexes) and any("(borough)" in i for i in indexes)
        assert any("(ethnic_group)" in i for i in indexes)


def test_the_reader_can_only_read_the_published_schema(published, cluster):
    import psycopg
    from psycopg import errors

    with psycopg.connect(cluster.dsn(), autocommit=True) as admin:
        admin.execute("create schema if not exists private")
        admin.execute("create table if not exists private.secret (x int)")
    with psycopg.connect(cluster.dsn(user="mapwh_reader"), autocommit=True) as pg:
        with pytest.raises(errors.InsufficientPrivilege):
            pg.execute("select * from private.secret")
        with pytest.raises((errors.ReadOnlySqlTransaction, errors.InsufficientPrivilege)):
            pg.execute("delete from marts.trust_gap")
        with pytest.raises((errors.ReadOnlySqlTransaction, errors.InsufficientPrivilege)):
            pg.execute("create table public.mine (x int)")
        pg.execute("set default_transaction_read_only = off")  # even outside read-only mode, no privilege to write
        with pytest.raises(errors.InsufficientPrivilege):
            pg.execute("insert into marts.trust_gap (period_end) values (current_date)")
        with pytest.raises(errors.InsufficientPrivilege):
            pg.execute("create table public.mine (x int)")


def test_a_publish_that_fails_half_way_leaves_the_old_schema_serving(published, warehouse, cluster, monkeypatch):
    import psycopg

    settings = settings_for(warehouse, cluster)
    before = serve_pg.served(settings)
    original, calls = serve_pg._copy_mart, []

    def failing(pg, con, schema, mart, definition):
        calls.append(mart)
        if len(calls) == 4:
            raise RuntimeError("injected failure while copying " + mart)
        return original(pg, con, schema, mart, definition)

    monkeypatch.setattr(serve_pg, "_copy_mart", failing)
    with pytest.raises(RuntimeError, match="injected failure"):
        serve_pg.publish(settings)
    assert serve_pg.served(settings) == before
    with psycopg.connect(cluster.dsn(user="mapwh_reader")) as pg:
        assert pg.execute("select count(*) from marts.fct_stop_search").fetchone()[0] == published["tables"]["fct_stop_search"]
    with psycopg.connect(cluster.dsn()) as pg:
        assert pg.execute("select nspname from pg_namespace where nspname like 'marts%' order by 1").fetchall() == [("marts",)]


def test_readers_during_a_publish_never_error_and_never_see_two_builds(published, warehouse, cluster, tmp_path):
    import psycopg

    # a second build that differs in two marts: every reader must see both from one build
    other = tmp_path / "other.duckdb"
    shutil.copy(warehouse.warehouse_path, other)
    con = duckdb.connect(str(other))
    con.execute("delete from marts.fct_stop_search where period = '2025-02'")
    con.execute("delete from marts.workforce_representation where as_at < date '2015-03-31'")
    con.close()
    first = (published["tables"]["fct_stop_search"], published["tables"]["workforce_representation"])
    second = tuple(duckdb_counts(other)[t] for t in ("fct_stop_search", "workforce_representation"))
    assert first != second
    seen, errors, done = set(), [], threading.Event()

    def read():
        with psycopg.connect(cluster.dsn(user="mapwh_reader"), autocommit=True) as pg:
            while not done.is_set():
                try:
                    seen.add(pg.execute("select (select count(*) from marts.fct_stop_search), "
                                        "(select count(*) from marts.workforce_representation)").fetchone())
                except Exception as exc:  # noqa: BLE001 - any error is the finding
                    errors.append(repr(exc))

    readers = [threading.Thread(target=read) for _ in range(4)]
    for r in readers:
        r.start()
    try:
        settings = settings_for(warehouse, cluster)
        serve_pg.publish(settings, other)
        serve_pg.publish(settings)  # and back
    finally:
        done.set()
        for r in readers:
            r.join(timeout=60)
    assert errors == []
    assert seen <= {first, second} and first in seen


def test_each_marts_key_is_read_from_where_it_is_declared():
    """Decision 0038: the contract's primary key, else the uniqueness the mart's gate checks (a key with a column
    that may be null, or fct_stop_search's); a primary key in PostgreSQL when the contract makes it not-null."""
    definitions = serve_pg.mart_definitions()
    keys = {name: (d["key"], d["primary_key"]) for name, d in definitions.items()}
    assert keys["workforce_representation"] == (["as_at", "force", "rank", "worker_type", "ethnic_group"], True)
    assert keys["trust_gap"] == (["period_end", "area", "measure", "group_a", "group_b"], True)
    assert keys["fct_stop_search"] == (["stop_id"], True)  # the gate's uniqueness, the contract's not-null
    assert keys["action_plan_scorecard"] == (["commitment_id", "period"], False)  # period may be null
    assert keys["stop_search_by_force"] == (["period", "month", "force", "ethnicity_basis", "ethnic_group"], False)
    assert keys["action_plan_reconciliation"] == ([], False)
    assert all(key for name, (key, _) in keys.items() if name != "action_plan_reconciliation")


def test_no_dsn_means_no_publishing(warehouse):
    assert serve_pg.publish(get_settings({"MAPWH_HOME": str(warehouse.home), "MAPWH_PG_DSN": ""})) is None


def test_mapwh_publish_and_status_name_what_postgres_serves(published, warehouse, cluster):
    import sys
    from pathlib import Path

    mapwh = str(Path(sys.executable).parent / "mapwh")
    env = {**os.environ, "MAPWH_HOME": str(warehouse.home), "MAPWH_PG_DSN": cluster.dsn()}
    done = subprocess.run([mapwh, "publish"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "published 19 marts" in done.stdout and "to PostgreSQL schema marts" in done.stdout
    status = subprocess.run([mapwh, "status"], env=env, capture_output=True, text=True, timeout=300).stdout
    con = duckdb.connect(str(warehouse.warehouse_path), read_only=True)
    served = con.execute("select build from audit.build").fetchone()[0]
    con.close()
    assert served.startswith("warehouse-") and published["build"] == served  # the build file's own name, in both places
    assert f"serves build {served} (published" in status  # the DuckDB file's line
    assert f"postgres   schema marts serves build {served}" in status
    unset = subprocess.run([mapwh, "publish"], env={**env, "MAPWH_PG_DSN": ""}, capture_output=True, text=True, timeout=300)
    assert unset.returncode == 1 and "MAPWH_PG_DSN is empty" in unset.stderr


def test_the_duckdb_file_carries_the_descriptions_too(warehouse):
    """dbt's persist_docs: analysts reading the DuckDB file see every mart's and column's definition."""
    con = duckdb.connect(str(warehouse.warehouse_path), read_only=True)
    try:
        tables = con.execute("select table_name from duckdb_tables() where schema_name = 'marts' and comment is null").fetchall()
        columns = con.execute("select table_name, column_name from duckdb_columns() where schema_name = 'marts' and comment is null").fetchall()
        total = con.execute("select count(*) from duckdb_columns() where schema_name = 'marts'").fetchone()[0]
    finally:
        con.close()
    assert tables == [] and columns == [] and total > 150


READER = """
import sys, time, duckdb
from pathlib import Path
con = duckdb.connect(sys.argv[1], read_only=True, config={"autoload_known_extensions": False})
stop = Path(sys.argv[2])
tables = [t for (t,) in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()]
views = [(s, v) for s, v in con.execute("select schema_name, view_name from duckdb_views() where not internal").fetchall()]
first = con.execute("select build from audit.build").fetchone()[0]
print("ready", first, flush=True)
queries = 0
while True:
    last = stop.exists()  # one more whole round after the build has been published
    for t in tables:
        con.execute(f'select count(*) from marts."{t}"').fetchall()
    for s, v in views:  # every view a BI tool would sync, with no extension loaded
        con.execute(f'select * from "{s}"."{v}" limit 1').fetchall()
    assert con.execute("select build from audit.build").fetchone()[0] == first, "saw another build"
    queries += 1
    if last:
        break
    time.sleep(0.2)
print("done", queries, con.execute("select build from audit.build").fetchone()[0], flush=True)
"""


def test_a_reader_holding_the_file_through_a_build_and_publish_is_never_blocked(warehouse, tmp_path):
    """An analyst's process holds the published file open (read-only, no extension) while a real
    build runs and is published: every query it runs succeeds, it keeps seeing one whole build, and
    a new connection afterwards sees the new one."""
    import sys

    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(warehouse.warehouse_path), str(stop)],  # noqa: S603 - this interpreter
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = reader.stdout.readline().split()
        assert ready and ready[0] == "ready", reader.stderr.read()
        before = ready[1]
        try:
            build.build_and_publish(warehouse, full_refresh=True)  # prepare, dbt, gates, rename: never waits for the reader
        finally:
            stop.touch()
        out, err = reader.communicate(timeout=300)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert reader.returncode == 0, err
    _, queries, seen = out.split()
    assert seen == before and int(queries) > 1
    con = duckdb.connect(str(warehouse.warehouse_path), read_only=True)
    try:
        assert con.execute("select build from audit.build").fetchone()[0] != before  # a reconnect sees the new build
    finally:
        con.close()


def test_docs_site_is_built_from_a_copy_never_the_published_file(warehouse, tmp_path):
    """`make docs --site`: dbt docs generate opens its database read-write; on the published file it would
    fail against (and lock out) the reader held open here. It runs on a copy, and the published file is untouched."""
    from warehouse import docs

    published = warehouse.warehouse_path
    stat = published.stat()
    reader = duckdb.connect(str(published), read_only=True)
    try:
        site = docs.build_site(warehouse, tmp_path / "site" / "index.html")
        assert reader.execute("select count(*) from marts.action_plan_scorecard").fetchone()[0] > 0
    finally:
        reader.close()
    after = published.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    page = site.read_text()
    assert "stop_search_disproportionality" in page and "rate ratio against White" in page  # a mart and its definition
    assert '"catalog"' in page or "catalog" in page
    assert not list(published.parent.glob("*.wal"))
