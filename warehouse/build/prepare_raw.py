"""Step 1, `prepare`: a new build file holding the validated zone in schema `raw`, and the audit tables.

Full (every serving batch copied in) or incremental (a copy of the published
file whose raw tables are brought up to date period by period); either way
`raw.loaded_batches` says what it holds and `raw.refresh_periods` what dbt
must recompute.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd

from ingest import registry
from ingest.core.config import Settings
from ingest.core.contract import quote_ident
from ingest.core.files import read_jsonl
from warehouse import validated
from warehouse.build.basis import FULL_REFRESH_ASKED, full_build_reason, incremental_basis
from warehouse.build.extensions import duckdb_limits
from warehouse.build.numbering import build_sequence, new_build_path
from warehouse.selection import ensure_something_new
from warehouse.writer import next_build_sequence, writer_lock

log = logging.getLogger(__name__)


def prepare(settings: Settings, *, full_refresh: bool = False) -> Path:
    """Create a new warehouse file holding the validated zone in schema `raw` (a partial file never stays).

    Incremental by default: when the published build was made from the same
    basis (`incremental_basis`), the new file is a copy of it whose raw tables
    are brought up to date period by period (only changed batches are read),
    and `raw.refresh_periods` tells the incremental dbt models which periods to
    recompute. Otherwise, or with `full_refresh`, the file is built from
    scratch and every model recomputes everything. Both give identical marts.
    A build that could be copied but would hold nothing new raises NothingNew
    (`selection.ensure_something_new`) before any file is made.
    """
    with writer_lock(settings, "prepare a build"):
        basis, reason = _basis_and_reason(settings, full_refresh=full_refresh)
        if reason is None:
            ensure_something_new(settings)  # NothingNew: the published build already holds every serving batch
        path = new_build_path(settings, next_build_sequence(settings))
        _prepare(settings, path, basis, reason)
    return path


def prepare_into(settings: Settings, path: Path, *, full_refresh: bool) -> None:
    """Fill `path` from the validated zone as `prepare` does (the caller holds the writer lock)."""
    _prepare(settings, path, *_basis_and_reason(settings, full_refresh=full_refresh))


def _basis_and_reason(settings: Settings, *, full_refresh: bool) -> tuple[str, str | None]:
    """The basis fingerprint, and why the build must be full (None: it can be copied from the published one)."""
    basis = incremental_basis(settings)
    return basis, FULL_REFRESH_ASKED if full_refresh else full_build_reason(settings, basis)


def _prepare(settings: Settings, path: Path, basis: str, reason: str | None) -> None:
    try:
        if reason is None:
            counts = _sync_raw(settings, path, basis)
            mode = "incremental"
        else:
            counts = _fill_raw(settings, path, basis, reason)
            mode = f"full ({reason})"
    except BaseException:
        for leftover in (path, path.with_name(path.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    log.info("prepared %s build %s with %s", mode, path.name, ", ".join(f"{t}={n}" for t, n in counts.items()))


def _fill_raw(settings: Settings, path: Path, basis: str, reason: str) -> dict[str, int]:
    """A new file from scratch: every serving batch into `raw`, every period to recompute."""
    con = duckdb.connect(str(path), config=duckdb_limits(settings))
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema raw")
        con.execute("create schema audit")
        tables = [source.table for source in registry.sources().values()]
        serving = {}
        for table in tables:
            con.execute(table.create_sql("raw"))
            serving[table.name] = validated.all_current(settings.validated_dir, table.name)  # one snapshot per table
            _insert_batches(con, settings, table, serving[table.name])
        refresh = [{"table_name": t, "period": b["period"], "batch_id": b["batch_id"], "change": "full",
                    "loaded_at": b.get("loaded_at")} for t, batches in serving.items() for b in batches]
        return _write_audit(con, settings, path, tables, serving, refresh, mode="full", basis=basis, based_on=None,
                            reason=reason)
    finally:
        con.close()


def _sync_raw(settings: Settings, path: Path, basis: str) -> dict[str, int]:
    """A copy of the published file whose raw tables are brought up to date period by period.

    For each raw table, a period whose serving batch differs from the one the
    published file holds (by `raw.loaded_batches`) has its rows deleted and
    the new batch's rows inserted; unchanged periods are not read at all.
    """
    published = settings.warehouse_path
    tmp = path.with_name(f".{path.name}.copy")
    shutil.copyfile(published, tmp)  # under the writer lock: nothing can replace the published file meanwhile
    os.replace(tmp, path)
    con = duckdb.connect(str(path), config=duckdb_limits(settings))
    try:
        con.execute("set TimeZone = 'UTC'")
        (based_on,) = con.execute("select build from audit.build").fetchone()
        tables = [source.table for source in registry.sources().values()]
        serving, refresh = {}, []
        for table in tables:
            if not con.execute("select 1 from duckdb_tables() where schema_name = 'raw' and table_name = ?",
                               [table.name]).fetchone():
                con.execute(table.create_sql("raw"))  # a source added since the published build
            serving[table.name] = validated.all_current(settings.validated_dir, table.name)
            before = {period: (batch_id, loaded_at) for period, batch_id, loaded_at in con.execute(
                "select period, batch_id, loaded_at from raw.loaded_batches where table_name = ?", [table.name]).fetchall()}
            now = {b["period"]: b for b in serving[table.name]}
            changed = [b for period, b in now.items() if before.get(period, (None,))[0] != b["batch_id"]]
            removed = [p for p in before if p not in now]
            for b in changed:
                refresh.append({"table_name": table.name, "period": b["period"], "batch_id": b["batch_id"],
                                "change": "replaced" if b["period"] in before else "added", "loaded_at": b.get("loaded_at")})
            refresh += [{"table_name": table.name, "period": p, "batch_id": before[p][0], "change": "removed",
                         "loaded_at": before[p][1]} for p in removed]
            stale = [b["period"] for b in changed] + removed
            if stale:
                con.execute(f"delete from raw.{quote_ident(table.name)} where list_contains(?, period)", [stale])  # noqa: S608 - quoted identifier
            _insert_batches(con, settings, table, changed)
        for name in ("build", "raw_responses", "gate_results", "revisions"):
            con.execute(f"drop table audit.{name}")  # noqa: S608 - fixed names
        for schema, name in (("raw", "loaded_batches"), ("raw", "refresh_periods"), ("audit", "dbt_nodes"),
                             ("audit", "dbt_selection")):
            con.execute(f"drop table if exists {schema}.{name}")  # noqa: S608 - fixed names
        return _write_audit(con, settings, path, tables, serving, refresh, mode="incremental", basis=basis,
                            based_on=based_on, reason=None)
    finally:
        con.close()


def _insert_batches(con: duckdb.DuckDBPyConnection, settings: Settings, table, batches: list[dict]) -> None:
    files = [str(validated.period_dir(settings.validated_dir, table.name, b["period"]) / b["file"])
             for b in batches if b.get("file")]
    if files:
        # a column added to the contract after a batch was validated is null in that batch's rows
        present = {row[0] for row in con.execute("describe select * from read_parquet(?, union_by_name = true)", [files]).fetchall()}
        cols = ", ".join(quote_ident(c) if c in present else f"cast(null as {table.types[c]}) as {quote_ident(c)}"
                         for c in table.column_names)
        con.execute(f"insert into raw.{quote_ident(table.name)} select {cols} from read_parquet(?, union_by_name = true)",  # noqa: S608 - quoted identifiers
                    [files])


def _write_audit(con: duckdb.DuckDBPyConnection, settings: Settings, path: Path, tables, serving: dict[str, list[dict]],
                 refresh: list[dict], *, mode: str, basis: str, based_on: str | None, reason: str | None) -> dict[str, int]:
    """The build's own record, what it holds and recomputes, and the raw-zone manifest and gate history."""
    # which build this file is: `mapwh status`, the report and the PostgreSQL publication name it
    # and how it was made: `full` (with the reason) or `incremental` (copied from build `based_on`)
    con.execute("create table audit.build as select ? as build, ? as sequence, now() as prepared_at, ? as mode,"
                " ? as reason, ? as basis, ? as based_on", [path.stem, build_sequence(path), mode, reason, basis, based_on])
    for contract, rows in ((validated.LOADED_BATCHES, [b for batches in serving.values() for b in batches]),
                           (validated.REFRESH_PERIODS, refresh)):
        con.execute(contract.create_sql("raw"))
        frame = pd.DataFrame([{c: json.dumps(v) if isinstance(v := r.get(c), dict) else v for c in contract.column_names}
                              for r in rows], columns=contract.column_names)
        _insert_frame(con, "raw", contract.name, frame)
    # the committed revisions, the same record `mapwh status` counts (the report reads them here)
    con.execute(validated.create_revisions_sql("audit"))
    _insert_frame(con, "audit", "revisions", pd.DataFrame(validated.revisions(settings.audit_dir),
                                                          columns=[c.name for c in validated.REVISIONS]))
    con.execute(
        "create table audit.raw_responses (source varchar, period varchar, url varchar, sha256 varchar,"
        " bytes bigint, records bigint, fetched_at timestamptz, status varchar, path varchar,"
        " batch_id varchar, detail varchar)"
    )
    manifest = pd.DataFrame(read_jsonl(settings.manifest_path))
    if not manifest.empty:
        _insert_frame(con, "audit", "raw_responses", manifest.reindex(columns=[
            "source", "period", "url", "sha256", "bytes", "records", "fetched_at", "status", "path", "batch_id", "detail",
        ]))
    con.execute(
        "create table audit.gate_results (gate varchar, target varchar, batch_id varchar, success boolean,"
        " evaluated integer, failures varchar[], warnings varchar[], report_path varchar, evaluated_at timestamptz)"
    )
    results = pd.DataFrame(read_jsonl(settings.audit_dir / "gate_results.jsonl"))
    if not results.empty:
        _insert_frame(con, "audit", "gate_results", results)
    counts = {t.name: con.table(f"raw.{quote_ident(t.name)}").count("*").fetchone()[0] for t in tables}
    con.execute("checkpoint")
    return counts


def _insert_frame(con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    con.register("frame", frame)
    cols = ", ".join(quote_ident(c) for c in frame.columns)
    con.execute(f"insert into {quote_ident(schema)}.{quote_ident(table)} ({cols}) select {cols} from frame")  # noqa: S608 - quoted identifiers
    con.unregister("frame")
