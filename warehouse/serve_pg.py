"""Serving the marts to BI tools: publish them to PostgreSQL atomically, for a read-only role.

After a build has passed its mart gates and been published as the DuckDB
file, `publish` copies every mart into PostgreSQL (`MAPWH_PG_DSN`; empty
skips it) in three steps:

1. a new schema `<schema>__incoming_<stamp>` gets every mart as a table, with
   PostgreSQL types mapped from the contract (dates as `date`, counts as
   `bigint`, shares as `double precision`), the rows copied by DuckDB's
   `postgres` extension (a binary COPY; over twice as fast as psycopg's
   row-by-row COPY from Python, decision 0022), a primary key on the mart's unique key where its columns are all
   not-null (a unique index otherwise), indexes on the usual filters, and
   `COMMENT`s from the dbt descriptions on every table and column;
2. one transaction renames the serving schema away, renames the new one to
   the published name (`MAPWH_PG_SCHEMA`, default `marts`), records the
   build in the schema's comment and grants the reader role `SELECT` on it:
   readers see the old build or the new one, never a mix;
3. the old schema is dropped (waiting for readers still in it; left for the
   next publish if they outlast `lock_timeout`).

A failure before the swap drops the new schema; the previous one keeps
serving. The read-only role (`MAPWH_PG_READER_ROLE`, default
`mapwh_reader`, password `MAPWH_PG_READER_PASSWORD` if set) is created
idempotently with `CONNECT` on the database and `USAGE`/`SELECT` on the
published schema only.
"""

from __future__ import annotations

import json
import logging
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ingest.core.config import Settings
from ingest.core.contract import quote_ident

log = logging.getLogger(__name__)

PG_TYPES = {
    "VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint", "HUGEINT": "numeric",
    "DOUBLE": "double precision", "FLOAT": "real", "DATE": "date", "BOOLEAN": "boolean",
    "TIMESTAMP WITH TIME ZONE": "timestamptz", "TIMESTAMP": "timestamp",
}
FILTER_COLUMNS = ("period", "period_end", "month", "as_at", "financial_year", "area", "borough", "ethnic_group",
                  "force", "paper_date", "status")
COMMENT_PREFIX = "mapwh build "


def dsn(settings: Settings) -> str:
    return settings.get("MAPWH_PG_DSN")


def schema_name(settings: Settings) -> str:
    return settings.get("MAPWH_PG_SCHEMA", "marts") or "marts"


def reader_role(settings: Settings) -> str:
    return settings.get("MAPWH_PG_READER_ROLE", "mapwh_reader") or "mapwh_reader"


def pg_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type.replace("DECIMAL", "numeric")
    try:
        return PG_TYPES[duckdb_type]
    except KeyError:
        raise ValueError(f"no PostgreSQL type for DuckDB type {duckdb_type!r}") from None


def mart_definitions() -> dict[str, dict]:
    """Each mart's description, column descriptions and unique key, from the dbt YAML beside the models."""
    from warehouse.docs import load_marts

    found = {}
    for models in load_marts().values():
        for model in models:
            columns = model.get("columns") or []
            key: list[str] = []
            for test in model.get("data_tests") or []:
                if isinstance(test, dict) and "unique_combination" in test:
                    key = list(test["unique_combination"]["arguments"]["combination_of_columns"])
            for column in columns:
                if not key and any(t == "unique" for t in column.get("data_tests") or []):
                    key = [column["name"]]
            not_null = {c["name"] for c in columns if any(k.get("type") == "not_null" for k in c.get("constraints") or [])}
            found[model["name"]] = {
                "description": " ".join((model.get("description") or "").split()),
                "columns": {c["name"]: " ".join((c.get("description") or "").split()) for c in columns},
                "key": key,
                "primary_key": bool(key) and set(key) <= not_null,
            }
    return found


def _literal(text: str) -> str:
    """A SQL string literal (quotes doubled): for ATTACH, which takes no parameters."""
    return "'" + text.replace("'", "''") + "'"


def _duckdb_with_postgres(settings: Settings, db_path: Path, target: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the warehouse file attached read-only as `wh` and PostgreSQL as `pg`."""
    from warehouse.build import ensure_duckdb_extensions

    con = duckdb.connect(config={"extension_directory": str(ensure_duckdb_extensions(settings))})
    try:
        con.execute("load postgres")
        con.execute(f"attach {_literal(str(db_path))} as wh (read_only)")
        con.execute(f"attach {_literal(target)} as pg (type postgres)")
    except BaseException:
        con.close()
        raise
    return con


def publish(settings: Settings, db_path: Path | None = None) -> dict | None:
    """Copy every mart of the DuckDB file into PostgreSQL and swap it in; None when no DSN is configured."""
    import psycopg
    from psycopg import sql

    target = dsn(settings)
    if not target:
        return None
    db_path = db_path or settings.warehouse_path
    schema, role = schema_name(settings), reader_role(settings)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")
    incoming, retired = f"{schema}__incoming_{stamp}", f"{schema}__retired_{stamp}"
    definitions = mart_definitions()
    copied: dict[str, int] = {}

    with psycopg.connect(target, autocommit=True) as pg:
        _drop_leftovers(pg, schema)
        ensure_reader_role(pg, role, settings.get("MAPWH_PG_READER_PASSWORD"))
        try:
            pg.execute(sql.SQL("create schema {}").format(sql.Identifier(incoming)))  # nobody but the owner sees it
            with closing(_duckdb_with_postgres(settings, db_path, target)) as con:
                build = _build_id(con)
                marts = [t for (t,) in con.execute(
                    "select table_name from information_schema.tables where table_catalog = 'wh' and table_schema = 'marts' "
                    "and table_type = 'BASE TABLE' order by table_name").fetchall()]
                for mart in marts:
                    copied[mart] = _copy_mart(pg, con, incoming, mart, definitions.get(mart, {}))
        except BaseException:
            pg.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(incoming)))
            raise

        published_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        note = COMMENT_PREFIX + json.dumps({"build": build, "published_at": published_at, "file": db_path.name,
                                            "tables": copied})
        with pg.transaction():
            pg.execute("set local lock_timeout = '60s'")
            exists = pg.execute("select 1 from pg_namespace where nspname = %s", [schema]).fetchone()
            if exists:
                pg.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(schema), sql.Identifier(retired)))
            pg.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(incoming), sql.Identifier(schema)))
            pg.execute(sql.SQL("comment on schema {} is {}").format(sql.Identifier(schema), sql.Literal(note)))
            pg.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(schema), sql.Identifier(role)))
            pg.execute(sql.SQL("grant select on all tables in schema {} to {}").format(sql.Identifier(schema), sql.Identifier(role)))
        _drop_retired(pg, retired)
    log.info("published %d marts (%d rows) of build %s to PostgreSQL schema %s", len(copied), sum(copied.values()), build, schema)
    return {"build": build, "published_at": published_at, "schema": schema, "tables": copied}


def _build_id(con: duckdb.DuckDBPyConnection) -> str:
    try:
        return str(con.execute("select build from wh.audit.build").fetchone()[0])
    except duckdb.Error:
        return "unknown"


def _copy_mart(pg, con: duckdb.DuckDBPyConnection, schema: str, mart: str, definition: dict) -> int:
    """One mart into the new schema: the table with mapped types (psycopg), its rows through DuckDB's postgres
    extension (a binary COPY underneath), then its key, indexes, comments and statistics."""
    from psycopg import sql

    columns = con.execute(
        "select column_name, data_type from information_schema.columns where table_catalog = 'wh' and table_schema = 'marts' "
        "and table_name = ? order by ordinal_position", [mart]).fetchall()
    table = sql.Identifier(schema, mart)
    pg.execute(sql.SQL("create table {} ({})").format(table, sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(pg_type(kind))) for name, kind in columns)))
    con.execute(f"insert into pg.{quote_ident(schema)}.{quote_ident(mart)} select * from wh.marts.{quote_ident(mart)}")  # noqa: S608 - quoted catalog names
    rows = con.execute(f"select count(*) from wh.marts.{quote_ident(mart)}").fetchone()[0]  # noqa: S608
    key = [k for k in definition.get("key", []) if k in dict(columns)]
    if key:
        statement = "alter table {} add primary key ({})" if definition.get("primary_key") else "create unique index on {} ({})"
        pg.execute(sql.SQL(statement).format(table, sql.SQL(", ").join(sql.Identifier(k) for k in key)))
    for name, _ in columns:
        if name in FILTER_COLUMNS and key[:1] != [name]:
            pg.execute(sql.SQL("create index on {} ({})").format(table, sql.Identifier(name)))
    if definition.get("description"):
        pg.execute(sql.SQL("comment on table {} is {}").format(table, sql.Literal(definition["description"])))
    for name, _ in columns:
        text = definition.get("columns", {}).get(name)
        if text:
            pg.execute(sql.SQL("comment on column {} is {}").format(sql.Identifier(schema, mart, name), sql.Literal(text)))
    pg.execute(sql.SQL("analyze {}").format(table))
    return rows


def ensure_reader_role(pg, role: str, password: str = "") -> None:
    """The BI role: may connect and read the published schema, nothing else (created once, password kept current)."""
    from psycopg import sql

    with pg.transaction():
        if not pg.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone():
            pg.execute(sql.SQL("create role {} login nosuperuser nocreatedb nocreaterole noinherit").format(sql.Identifier(role)))
        if password:
            pg.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(role), sql.Literal(password)))
        database = pg.execute("select current_database()").fetchone()[0]
        pg.execute(sql.SQL("grant connect on database {} to {}").format(sql.Identifier(database), sql.Identifier(role)))
        pg.execute(sql.SQL("revoke create on schema public from public"))
        pg.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(sql.Identifier(role)))


def _drop_leftovers(pg, schema: str) -> None:
    """Schemas a crashed publish left behind (never the serving one)."""
    from psycopg import sql

    with pg.transaction():
        pg.execute("set local lock_timeout = '10s'")
        for (name,) in pg.execute("select nspname from pg_namespace where nspname like %s or nspname like %s",
                                  [f"{schema}\\_\\_incoming\\_%", f"{schema}\\_\\_retired\\_%"]).fetchall():
            pg.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(name)))


def _drop_retired(pg, retired: str) -> None:
    from psycopg import sql
    from psycopg.errors import LockNotAvailable

    try:
        with pg.transaction():
            pg.execute("set local lock_timeout = '60s'")
            pg.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(retired)))
    except LockNotAvailable:
        log.warning("the retired schema %s is still in use; the next publish drops it", retired)


def served(settings: Settings) -> dict | None:
    """What PostgreSQL serves: the build and time recorded in the published schema's comment (None if nothing)."""
    import psycopg

    target = dsn(settings)
    if not target:
        return None
    with psycopg.connect(target, connect_timeout=5, autocommit=True) as pg:
        row = pg.execute("select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s",
                         [schema_name(settings)]).fetchone()
    if not row or not row[0] or not row[0].startswith(COMMENT_PREFIX):
        return {}
    return json.loads(row[0][len(COMMENT_PREFIX):])
