"""Serving the marts to BI tools: publish them to PostgreSQL atomically, for a read-only role.

After a build has passed its mart gates and been published as the DuckDB
file, `publish` copies every mart into PostgreSQL (`MAPWH_PG_DSN`; empty
skips it) in three steps:

1. a new schema `<schema>__incoming_<stamp>` gets every mart as a table, with
   PostgreSQL types mapped from the contract (dates as `date`, counts as
   `bigint`, shares as `double precision`), the rows copied by DuckDB's
   `postgres` extension (a binary COPY; over twice as fast as psycopg's
   row-by-row COPY from Python, decision 0022), a primary key on the mart's
   key (its contract's primary key, or the uniqueness its gate checks:
   decision 0038) where its columns are all not-null (a unique index
   otherwise), indexes on the usual filters, and
   `COMMENT`s from the dbt descriptions on every table and column;
2. one transaction renames the serving schema away, renames the new one to
   the published name (`MAPWH_PG_SCHEMA`, default `marts`), records the
   build in the schema's comment and grants the reader role `SELECT` on it:
   readers see the old build or the new one, never a mix;
3. the old schema is dropped if it can be at once: a reader still in it
   (a BI session idle in a transaction) keeps it, and a later publish
   retires it (and any other left over) when it can, never waiting on readers.

The publisher's session runs with `lock_timeout` (`MAPWH_PG_LOCK_TIMEOUT`,
default 5s) and `statement_timeout` (`MAPWH_PG_STATEMENT_TIMEOUT`, default
30min). Publishes of one schema are serialised by a session-level advisory
lock held for the whole publish (a second one waits up to
`MAPWH_PG_PUBLISH_WAIT`, default 10min, then fails saying who holds it);
the clean-up of a crashed publish's `__incoming_` schema skips any whose
publisher (its backend pid, in the schema's comment) is still connected.
A schema is only ever replaced if the warehouse created it (its comment
starts `mapwh build `): `MAPWH_PG_SCHEMA=public` is refused, nothing dropped.
A mart whose text holds a NUL character (which PostgreSQL text cannot hold)
is refused up front, naming the table and column.

A failure before the swap drops the new schema; the previous one keeps
serving. Every error leaving this module is one clear `PublishError` (an
OSError, so `mapwh` prints it as one line) or the original exception, and
none carries a password: DSN passwords are replaced by `***`
(`ingest.core.config.redact`).

The read-only role (`MAPWH_PG_READER_ROLE`, default `mapwh_reader`, password
`MAPWH_PG_READER_PASSWORD` if set) is kept, by every publish, with: LOGIN,
NOINHERIT, no membership of any role, role-level
`default_transaction_read_only = on`, `statement_timeout`
(`MAPWH_PG_READER_STATEMENT_TIMEOUT`, default 5min) and
`idle_in_transaction_session_timeout` (`MAPWH_PG_READER_IDLE_TIMEOUT`,
default 10min); `CONNECT` on the marts database and `USAGE`/`SELECT` on the
published schema only. The role can turn read-only mode off (PostgreSQL lets
any role SET it), so it is given no write privilege anywhere: PUBLIC's
CONNECT and TEMPORARY on the marts database are revoked (roles that could
connect keep CONNECT, granted to them by name), CREATE on schema public is
revoked from PUBLIC, and, when the publisher is a superuser, the functions
that create large objects are revoked from PUBLIC in the marts database. On
every other database of the server the publisher may administer, PUBLIC's
CONNECT is replaced by CONNECT granted by name to the login roles that had
it, the reader excepted; databases it may not administer are named in a
warning (reject the role there in pg_hba.conf). A publisher that may not
manage roles (the compose deployment's, which is neither superuser nor
CREATEROLE) needs the role created beforehand (docker/postgres-marts-init.sh)
and warns about any attribute or setting it would have changed.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ingest.core.config import EXPECTATIONS_DIR, Settings, redact
from ingest.core.contract import quote_ident
from ingest.core.errors import SourceError

log = logging.getLogger(__name__)

PG_TYPES = {
    "VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint", "HUGEINT": "numeric",
    "DOUBLE": "double precision", "FLOAT": "real", "DATE": "date", "BOOLEAN": "boolean",
    "TIMESTAMP WITH TIME ZONE": "timestamptz", "TIMESTAMP": "timestamp",
}
FILTER_COLUMNS = ("period", "period_end", "month", "as_at", "financial_year", "area", "borough", "ethnic_group",
                  "force", "paper_date", "status")
COMMENT_PREFIX = "mapwh build "
INCOMING_PREFIX = "mapwh incoming "
ADVISORY_CLASS = 0x6D617077  # 'mapw': the first half of every publish lock's key (the second: hashtext(schema))
# The functions that create a large object (lo_import from a server file needs superuser already).
LARGE_OBJECT_CREATORS = ("lo_creat(integer)", "lo_create(oid)", "lo_from_bytea(oid, bytea)")


class PublishError(SourceError, OSError):
    """Publishing to PostgreSQL failed; the message is one line, names what failed and carries no password.

    An OSError, so `mapwh` prints it as one line (`warehouse.cli.main`), and a SourceError like the other
    failures of an outside system."""


def dsn(settings: Settings) -> str:
    return settings.vars.pg_dsn or ""


def schema_name(settings: Settings) -> str:
    return settings.vars.pg_schema


def reader_role(settings: Settings) -> str:
    return settings.vars.pg_reader_role


def pg_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type.replace("DECIMAL", "numeric")
    try:
        return PG_TYPES[duckdb_type]
    except KeyError:
        raise ValueError(f"no PostgreSQL type for DuckDB type {duckdb_type!r}") from None


def mart_definitions() -> dict[str, dict]:
    """Each mart's description, column descriptions and unique key, from where the key is declared (decision 0038).

    The key is the primary key of the mart's dbt contract (model-level `constraints`, or a column's); a mart whose
    key has a column that may be null (or whose key is left to its gate, `fct_stop_search`) states it in its Great
    Expectations suite (`expect_compound_columns_to_be_unique`, `expect_column_values_to_be_unique`), and it is
    served as a primary key when the contract makes every column of it not-null, else as a unique index.
    """
    from warehouse.docs import load_marts

    found = {}
    for models in load_marts().values():
        for model in models:
            columns = model.get("columns") or []
            not_null = {c["name"] for c in columns if any(k.get("type") in ("not_null", "primary_key")
                                                          for k in c.get("constraints") or [])}
            key = contract_key(model) or gate_key(model["name"])
            found[model["name"]] = {
                "description": " ".join((model.get("description") or "").split()),
                "columns": {c["name"]: " ".join((c.get("description") or "").split()) for c in columns},
                "key": key,
                "primary_key": bool(key) and set(key) <= not_null | set(contract_key(model)),
            }
    return found


def contract_key(model: dict) -> list[str]:
    """The primary key a mart's dbt contract declares (model-level, or on one column); [] when none."""
    for constraint in model.get("constraints") or []:
        if constraint.get("type") == "primary_key":
            return list(constraint["columns"])
    for column in model.get("columns") or []:
        if any(k.get("type") == "primary_key" for k in column.get("constraints") or []):
            return [column["name"]]
    return []


def gate_key(model: str) -> list[str]:
    """The uniqueness key a mart's gate suite (expectations/mart_<model>.json) checks; [] when none."""
    path = EXPECTATIONS_DIR / f"mart_{model}.json"
    if not path.exists():
        return []
    for expectation in json.loads(path.read_text())["expectations"]:
        if expectation["type"] == "expect_compound_columns_to_be_unique":
            return list(expectation["kwargs"]["column_list"])
        if expectation["type"] == "expect_column_values_to_be_unique":
            return [expectation["kwargs"]["column"]]
    return []


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


# --------------------------------------------------------------------------- errors without passwords
def _where(target: str) -> str:
    """`user@host:port/dbname` of a DSN, never its password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(target)
    except Exception:  # noqa: BLE001 - an unparsable DSN: say so, show none of it
        return "(an unparsable MAPWH_PG_DSN)"
    host = parts.get("hostaddr") or parts.get("host") or "localhost"
    return f"{parts.get('user', '?')}@{host}:{parts.get('port') or 5432}/{parts.get('dbname') or parts.get('user', '?')}"


def _chain(exc: BaseException) -> str:
    """The messages of an exception and of every exception it was raised from or during."""
    texts, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        texts.append(str(exc))
        exc = exc.__cause__ or exc.__context__
    return "\n".join(texts)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _clean(exc: BaseException, settings: Settings) -> BaseException | None:
    """The exception to raise instead of `exc` when `exc` (or one it came from) carries a password; else None."""
    text = _chain(exc)
    if isinstance(exc, PublishError):
        return PublishError(redact(str(exc), settings)) if redact(text, settings) != text else None
    if redact(text, settings) == text:
        return None
    return PublishError(f"publishing to PostgreSQL failed: {type(exc).__name__}: {_first_line(redact(str(exc), settings))}")


def _connect(settings: Settings, target: str):
    import psycopg

    try:
        pg = psycopg.connect(target, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise PublishError(f"cannot connect to PostgreSQL at {_where(target)}: "
                           f"{_first_line(redact(str(exc), settings))}") from None
    return pg


# --------------------------------------------------------------------------- publishing
def publish(settings: Settings, db_path: Path | None = None) -> dict | None:
    """Copy every mart of the DuckDB file into PostgreSQL and swap it in; None when no DSN is configured."""
    target = dsn(settings)
    if not target:
        return None
    try:
        return _publish(settings, target, db_path or settings.warehouse_path)
    except Exception as exc:
        clean = _clean(exc, settings)
        if clean is None:
            raise
    raise clean  # outside the except block: neither the original nor its chain travels with it


def _publish(settings: Settings, target: str, db_path: Path) -> dict:
    from psycopg import sql

    schema, role = schema_name(settings), reader_role(settings)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")
    incoming, retired = f"{schema}__incoming_{stamp}", f"{schema}__retired_{stamp}"
    lock_timeout, statement_timeout = settings.vars.pg_lock_timeout, settings.vars.pg_statement_timeout
    definitions = mart_definitions()
    copied: dict[str, int] = {}

    with _connect(settings, target) as pg:
        pg.execute("select set_config('lock_timeout', %s, false), set_config('statement_timeout', %s, false)",
                   [lock_timeout, statement_timeout])
        _lock_publishing(pg, schema, settings.vars.pg_publish_wait_s)
        _refuse_foreign_schema(pg, schema)
        _drop_leftovers(pg, schema)
        ensure_reader_role(pg, role, settings.vars.pg_reader_password, settings)
        with closing(duckdb.connect()) as check:  # refuse what PostgreSQL cannot hold before creating anything
            check.execute(f"attach {_literal(str(db_path))} as wh (read_only)")
            marts = [t for (t,) in check.execute(
                "select table_name from information_schema.tables where table_catalog = 'wh' and table_schema = 'marts' "
                "and table_type = 'BASE TABLE' order by table_name").fetchall()]
            for mart in marts:
                _refuse_nul(check, mart)
        try:
            pg.execute(sql.SQL("create schema {}").format(sql.Identifier(incoming)))  # nobody but the owner sees it
            pid = pg.execute("select pg_backend_pid()").fetchone()[0]
            pg.execute(sql.SQL("comment on schema {} is {}").format(
                sql.Identifier(incoming), sql.Literal(INCOMING_PREFIX + json.dumps({"pid": pid}))))
            with closing(_duckdb_with_postgres(settings, db_path, target)) as con:
                build = _build_id(con)
                for mart in marts:
                    copied[mart] = _copy_mart(pg, con, incoming, mart, definitions.get(mart, {}))
        except BaseException:
            _drop_quietly(pg, incoming)
            raise

        published_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        note = COMMENT_PREFIX + json.dumps({"build": build, "published_at": published_at, "file": db_path.name,
                                            "tables": copied})
        try:
            with pg.transaction():
                exists = pg.execute("select 1 from pg_namespace where nspname = %s", [schema]).fetchone()
                if exists:
                    pg.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(schema), sql.Identifier(retired)))
                pg.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(incoming), sql.Identifier(schema)))
                pg.execute(sql.SQL("comment on schema {} is {}").format(sql.Identifier(schema), sql.Literal(note)))
                pg.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(schema), sql.Identifier(role)))
                pg.execute(sql.SQL("grant select on all tables in schema {} to {}").format(sql.Identifier(schema), sql.Identifier(role)))
        except BaseException:
            _drop_quietly(pg, incoming)
            raise
        _drop_retired(pg, schema)
        pg.execute("select pg_advisory_unlock(%s::int, hashtext(%s))", [ADVISORY_CLASS, schema])
    log.info("published %d marts (%d rows) of build %s to PostgreSQL schema %s", len(copied), sum(copied.values()), build, schema)
    return {"build": build, "published_at": published_at, "schema": schema, "tables": copied}


def _lock_publishing(pg, schema: str, wait_s: float) -> None:
    """Hold the schema's publish lock (a session advisory lock, released when the session ends) or fail clearly."""
    deadline = time.monotonic() + wait_s
    while not pg.execute("select pg_try_advisory_lock(%s::int, hashtext(%s))", [ADVISORY_CLASS, schema]).fetchone()[0]:
        if time.monotonic() >= deadline:
            holder = pg.execute(
                "select l.pid, a.usename from pg_locks l left join pg_stat_activity a using (pid) "
                "where l.locktype = 'advisory' and l.granted and l.classid = %s::bigint::oid "
                "and l.objid = (hashtext(%s)::bigint & 4294967295)::oid and l.database = "
                "(select oid from pg_database where datname = current_database())", [ADVISORY_CLASS, schema]).fetchone()
            who = f" (backend pid {holder[0]}, role {holder[1]})" if holder else ""
            raise PublishError(f"another publish of schema {schema} has held the publish lock{who} for over "
                               f"{wait_s:g} s (MAPWH_PG_PUBLISH_WAIT); nothing was changed")
        time.sleep(min(1.0, max(deadline - time.monotonic(), 0.05)))


def _refuse_foreign_schema(pg, schema: str) -> None:
    """Replace only a schema the warehouse created (its comment starts with `mapwh build `)."""
    row = pg.execute("select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s", [schema]).fetchone()
    if row and not (row[0] or "").startswith(COMMENT_PREFIX):
        raise PublishError(f"schema {schema} exists and was not created by the warehouse (its comment does not start "
                           f"with {COMMENT_PREFIX.strip()!r}): refusing to replace it; set MAPWH_PG_SCHEMA to another "
                           "name, or drop the schema yourself")


def _refuse_nul(con: duckdb.DuckDBPyConnection, mart: str) -> None:
    """A NUL character in a text value: PostgreSQL text cannot hold it, so the mart is refused, naming the column."""
    texts = [c for (c,) in con.execute(
        "select column_name from information_schema.columns where table_catalog = 'wh' and table_schema = 'marts' "
        "and table_name = ? and data_type = 'VARCHAR' order by ordinal_position", [mart]).fetchall()]
    if not texts:
        return
    counts_sql = ", ".join(f"count(*) filter (where contains({quote_ident(c)}, chr(0)))" for c in texts)
    counts = con.execute(f"select {counts_sql} from wh.marts.{quote_ident(mart)}").fetchone()  # noqa: S608 - quoted names
    bad = [(c, n) for c, n in zip(texts, counts) if n]
    if bad:
        column, n = bad[0]
        raise PublishError(f"marts.{mart}.{column}: {n} value(s) contain a NUL character (\\x00), which PostgreSQL text "
                           "cannot hold; nothing was published (the source batch needs fixing, the previous build keeps serving)")


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


# --------------------------------------------------------------------------- the reader role
def ensure_reader_role(pg, role: str, password: str, settings: Settings) -> None:
    """The BI role: may connect to the marts database and read the published schema, nothing else.

    Created once (password kept current) when the publisher may manage roles; its attributes and role-level
    settings re-applied on every publish; the database-level privileges (what any owner may change) always."""
    from psycopg import sql

    wanted = {
        "default_transaction_read_only": "on",
        "statement_timeout": settings.vars.pg_reader_statement_timeout,
        "idle_in_transaction_session_timeout": settings.vars.pg_reader_idle_timeout,
    }
    ident = sql.Identifier(role)
    with pg.transaction():
        superuser, createrole = pg.execute("select rolsuper, rolcreaterole from pg_roles where rolname = current_user").fetchone()
        exists = pg.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone()
        if superuser or createrole:
            if not exists:
                pg.execute(sql.SQL("create role {} login nosuperuser nocreatedb nocreaterole noinherit").format(ident))
            if password:
                pg.execute(sql.SQL("alter role {} password {}").format(ident, sql.Literal(password)))
            attributes = "login nosuperuser nocreatedb nocreaterole noinherit noreplication nobypassrls" if superuser \
                else "login nocreatedb nocreaterole noinherit"
            pg.execute(sql.SQL("alter role {} " + attributes).format(ident))
            for (group,) in pg.execute("select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid "
                                       "join pg_roles r on r.oid = m.member where r.rolname = %s", [role]).fetchall():
                pg.execute(sql.SQL("revoke {} from {}").format(sql.Identifier(group), ident))
            for name, value in wanted.items():
                pg.execute(sql.SQL("alter role {} set {} = {}").format(ident, sql.Identifier(name), sql.Literal(value)))
        elif not exists:
            raise PublishError(f"the reader role {role} does not exist and the publisher may not create roles: create it "
                               "as an administrator (docker/postgres-marts-init.sh does)")
        else:
            _warn_about_role(pg, role, wanted)
        database = pg.execute("select current_database()").fetchone()[0]
        _only_named_roles_connect(pg, database, role, keep_reader=True)
        pg.execute(sql.SQL("revoke temporary on database {} from public, {}").format(sql.Identifier(database), ident))
        pg.execute(sql.SQL("grant connect on database {} to {}").format(sql.Identifier(database), ident))
        pg.execute("revoke create on schema public from public")
        pg.execute(sql.SQL("revoke create on schema public from {}").format(ident))
        if superuser:
            for function in LARGE_OBJECT_CREATORS:
                pg.execute(sql.SQL(f"revoke execute on function {function} from public"))
    _keep_reader_out_of_other_databases(pg, role, bool(superuser))


def _warn_about_role(pg, role: str, wanted: dict[str, str]) -> None:
    """A publisher that may not manage roles: say what of the role differs from what it should be."""
    attributes = pg.execute("select rolsuper, rolcreatedb, rolcreaterole, rolinherit, rolreplication, rolbypassrls "
                            "from pg_roles where rolname = %s", [role]).fetchone()
    config = dict(s.split("=", 1) for (s,) in pg.execute(
        "select unnest(setconfig) from pg_db_role_setting s join pg_roles r on r.oid = s.setrole "
        "where r.rolname = %s and s.setdatabase = 0", [role]).fetchall())
    wrong = [name for name, flag in zip(("SUPERUSER", "CREATEDB", "CREATEROLE", "INHERIT", "REPLICATION", "BYPASSRLS"),
                                        attributes) if flag]
    wrong += [f"{name}={config.get(name, '(unset)')} (wanted {value})" for name, value in wanted.items()
              if config.get(name) != value]
    if wrong:
        log.warning("the reader role %s has %s, and the publisher may not change roles: fix it as an administrator",
                    role, ", ".join(wrong))


def _only_named_roles_connect(pg, database: str, reader: str, keep_reader: bool) -> None:
    """Replace PUBLIC's CONNECT on `database` by CONNECT granted by name to the login roles that had it (the
    reader only if `keep_reader`): nobody who could connect loses it, and a new role (the reader) never gets it."""
    from psycopg import sql

    db = sql.Identifier(database)
    public = pg.execute("select has_database_privilege('public', %s, 'CONNECT')", [database]).fetchone()[0]
    if public:
        others = [r for (r,) in pg.execute(
            "select rolname from pg_roles where rolcanlogin and not rolsuper and rolname <> %s and rolname !~ '^pg_' "
            "order by 1", [reader]).fetchall()]
        if others:
            pg.execute(sql.SQL("grant connect on database {} to {}").format(db, sql.SQL(", ").join(map(sql.Identifier, others))))
        pg.execute(sql.SQL("revoke connect on database {} from public").format(db))
    if not keep_reader:
        pg.execute(sql.SQL("revoke connect, temporary on database {} from {}").format(db, sql.Identifier(reader)))


def _keep_reader_out_of_other_databases(pg, reader: str, superuser: bool) -> None:
    """The reader may connect to the marts database only: on every other database the publisher may administer
    (owns, or any as a superuser), PUBLIC's CONNECT goes (granted by name to the other login roles instead); the
    ones it may not administer are named in a warning (reject the role there in pg_hba.conf)."""
    others = pg.execute(
        "select datname, %s or pg_has_role(current_user, datdba, 'MEMBER') from pg_database "
        "where datallowconn and datname <> current_database() and has_database_privilege(%s, oid, 'CONNECT') order by 1",
        [superuser, reader]).fetchall()
    out_of_reach = []
    for database, may in others:
        if not may:
            out_of_reach.append(database)
            continue
        with pg.transaction():
            _only_named_roles_connect(pg, database, reader, keep_reader=False)
    if out_of_reach:
        log.warning("the reader role %s can still connect to databases %s, which the publisher may not administer: "
                    "reject it there in pg_hba.conf", reader, ", ".join(out_of_reach))


# --------------------------------------------------------------------------- retiring old schemas
def _drop_quietly(pg, name: str) -> None:
    """Drop a schema this publish made, after a failure: never hiding the failure itself."""
    from psycopg import sql

    try:
        pg.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(name)))
    except Exception as exc:  # noqa: BLE001 - the original failure is what the caller raises
        log.warning("could not drop %s after a failed publish (a later publish drops it): %s", name, _first_line(str(exc)))


def _drop_leftovers(pg, schema: str) -> None:
    """`__incoming_` schemas of publishes that are no longer running (their backend pid is gone), never another's."""
    import psycopg
    from psycopg import sql

    for name, note in pg.execute("select nspname, obj_description(oid, 'pg_namespace') from pg_namespace where nspname like %s",
                                 [f"{schema}\\_\\_incoming\\_%"]).fetchall():
        pid = None
        if note and note.startswith(INCOMING_PREFIX):
            pid = json.loads(note[len(INCOMING_PREFIX):]).get("pid")
        running = pid is not None and pg.execute(
            "select 1 from pg_stat_activity where pid = %s and pid <> pg_backend_pid()", [pid]).fetchone()
        if running:
            log.info("left %s alone: its publish (backend pid %s) is still running", name, pid)
            continue
        try:
            pg.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(name)))
        except psycopg.errors.LockNotAvailable:
            log.warning("the stale schema %s is in use; a later publish drops it", name)
    _drop_retired(pg, schema)


def _drop_retired(pg, schema: str) -> None:
    """Every `__retired_` schema that can be dropped now; one a reader still holds (a BI session idle in a
    transaction) is left for a later publish once `lock_timeout` passes, never failing the publish."""
    import psycopg
    from psycopg import sql

    for (name,) in pg.execute("select nspname from pg_namespace where nspname like %s order by 1",
                              [f"{schema}\\_\\_retired\\_%"]).fetchall():
        try:
            pg.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(name)))
        except psycopg.errors.LockNotAvailable:
            log.warning("the retired schema %s is still in use by a reader; a later publish drops it", name)


def served(settings: Settings) -> dict | None:
    """What PostgreSQL serves: the build and time recorded in the published schema's comment (None if nothing)."""
    import psycopg

    target = dsn(settings)
    if not target:
        return None
    try:
        with psycopg.connect(target, connect_timeout=5, autocommit=True) as pg:
            row = pg.execute("select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s",
                             [schema_name(settings)]).fetchone()
    except psycopg.Error as exc:
        raise PublishError(f"cannot read PostgreSQL at {_where(target)}: {_first_line(redact(str(exc), settings))}") from None
    if not row or not row[0] or not row[0].startswith(COMMENT_PREFIX):
        return {}
    return json.loads(row[0][len(COMMENT_PREFIX):])
