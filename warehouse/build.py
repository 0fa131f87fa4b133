"""Build a new warehouse file, check it, and publish it by atomic swap.

Readers (analysts, BI tools, `mapwh status`) only ever open
`MAPWH_HOME/warehouse.duckdb`; nothing writes to it in place. A build:

1. `prepare` creates `build/warehouse-<id>.duckdb`, copies the validated zone
   into its `raw` schema (an empty table for a source never loaded) and the
   raw-zone manifest and gate history into `audit`;
2. `run_dbt` runs one `dbt build` on it (models, seeds and data tests; in an
   incremental build only those downstream of what changed, and never the
   unit tests, which run in `make test`: `warehouse.selection`), in a child
   process whose environment names the file (nothing in this process changes,
   and dbt's DuckDB handle closes when the child exits); its node log goes to
   `MAPWH_HOME/logs/`;
3. `gate_marts` validates every mart the build rebuilt with its Great
   Expectations suite;
4. `publish` renames the file over `warehouse.duckdb` (POSIX rename is
   atomic: a reader sees the old file or the new one, never half of either).

A build whose inputs the published one already holds stops in `prepare`
(`selection.NothingNew`): nothing is made and nothing published.
If dbt or a gate fails, the new file moves to `quarantine/builds/` with the
report and the published warehouse stays as it was; if `prepare` fails, its
partial file is removed. Each build takes a sequence number when it snapshots
the validated zone (`build/warehouse-<sequence>-<time>.duckdb`), and
`publish` refuses a build older than the one already published, so two
builds racing (the CLI beside a scheduler, two CLIs) can never roll the
warehouse back; both critical sections hold the one-writer lock
(`warehouse.writer`). Under a scheduler the Airflow pool `duckdb_writer` (one
slot) also runs one build task at a time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from ingest import registry
from ingest.core.config import DBT_PROJECT_DIR, EXPECTATIONS_DIR, Settings, without_secrets
from ingest.core.contract import quote_ident
from ingest.core.raw_zone import append_jsonl, atomic_write, read_jsonl
from warehouse import gates, validated
from warehouse.selection import dbt_selection, ensure_something_new, rebuilt_models, record_nodes
from warehouse.writer import dbt_lock, next_build_sequence, writer_lock

log = logging.getLogger(__name__)

MART_SCHEMA = "marts"


class BuildFailed(Exception):
    pass


class Superseded(BuildFailed):
    """A newer build has been published: this one must not replace it."""


# DuckDB extensions the project loads, from their PyPI wheels: (module, file in the wheel, DuckDB's canonical name)
EXTENSIONS = (
    ("duckdb_extension_spatial", "spatial.duckdb_extension", "spatial"),
    ("duckdb_extension_postgres", "postgres.duckdb_extension", "postgres_scanner"),  # publishing to PostgreSQL
)


def ensure_duckdb_extensions(settings: Settings) -> Path:
    """Lay out the extensions shipped in their PyPI wheels where DuckDB looks for them.

    DuckDB cannot download extensions here, but `INSTALL spatial` is a no-op
    and `LOAD spatial` works when the file sits at
    `<extension_directory>/v<version>/<platform>/<canonical name>.duckdb_extension`.
    """
    import importlib

    con = duckdb.connect()
    try:
        platform = con.execute("pragma platform").fetchone()[0]
    finally:
        con.close()
    for module, filename, name in EXTENSIONS:
        shipped = next(Path(importlib.import_module(module).__file__).parent.glob(f"extensions/*/{filename}"))
        target = settings.duckdb_extension_dir / f"v{duckdb.__version__}" / platform / f"{name}.duckdb_extension"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            atomic_write(target, shipped.read_bytes())  # a temporary file of its own: tasks may start at once
    return settings.duckdb_extension_dir


BUILD_NAME = re.compile(r"^warehouse-(?P<sequence>\d+)-")


def new_build_path(settings: Settings, sequence: int) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    settings.build_dir.mkdir(parents=True, exist_ok=True)
    return settings.build_dir / f"warehouse-{sequence:06d}-{stamp}.duckdb"


def build_sequence(db_path: Path) -> int:
    match = BUILD_NAME.match(db_path.name)
    if not match:
        raise BuildFailed(f"{db_path.name} is not a build file (warehouse-<sequence>-<time>.duckdb)")
    return int(match.group("sequence"))


def ensure_not_superseded(settings: Settings, db_path: Path) -> None:
    """Raise Superseded when a newer build was published meanwhile (and removed this one's file)."""
    if not db_path.exists() and build_sequence(db_path) < published_sequence(settings):
        raise Superseded(f"{db_path.name} was removed: build {published_sequence(settings)} is already published")


def published_sequence(settings: Settings) -> int:
    """Sequence number of the build serving now (0 when none has been published)."""
    records = read_jsonl(settings.audit_dir / "publications.jsonl")
    return max((int(r.get("sequence", 0)) for r in records), default=0)


def _insert_frame(con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    con.register("frame", frame)
    cols = ", ".join(quote_ident(c) for c in frame.columns)
    con.execute(f"insert into {quote_ident(schema)}.{quote_ident(table)} ({cols}) select {cols} from frame")  # noqa: S608 - quoted identifiers
    con.unregister("frame")


# Marts that incremental builds extend period by period (decision 0025), and the raw
# table whose periods they follow; a build copied from the published file
# recomputes only the periods of these tables whose batch changed.
def incremental_models() -> dict[str, str]:
    """{dbt model: the raw table whose periods it is incremental by}, as the sources declare them."""
    return {model: source.table.name for source in registry.sources().values() for model in source.incremental_models}


def incremental_tables() -> tuple[str, ...]:
    return tuple(sorted(set(incremental_models().values())))


def basis_tables() -> tuple[str, ...]:
    """Raw tables the incremental models also read (the sources say which): when one of their batches changes,
    every period must be recomputed, so they are part of the basis."""
    return tuple(sorted(s.table.name for s in registry.sources().values() if s.basis_of_incremental))
# What a stored per-period result depends on besides its own period's rows:
# the dbt project's files (models, seeds, macros) and the DuckDB version.
BASIS_FILES = ("dbt_project.yml", "models", "seeds", "macros")
# Bump when the way a build file is laid out changes, to force one full build.
BUILD_LAYOUT = "2"


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
        if not full_refresh and full_build_reason(settings, incremental_basis(settings)) is None:
            ensure_something_new(settings)  # NothingNew: the published build already holds every serving batch
        path = new_build_path(settings, next_build_sequence(settings))
        _prepare_into(settings, path, full_refresh=full_refresh)
    return path


def _prepare_into(settings: Settings, path: Path, *, full_refresh: bool) -> None:
    """Fill `path` from the validated zone as `prepare` does (the caller holds the writer lock)."""
    try:
        basis = incremental_basis(settings)
        reason = FULL_REFRESH_ASKED if full_refresh else full_build_reason(settings, basis)
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


FULL_REFRESH_ASKED = "full refresh asked for"


def duckdb_limits(settings: Settings) -> dict[str, str]:
    """Memory and threads for every DuckDB a build opens (MAPWH_DUCKDB_MEMORY_LIMIT, MAPWH_DUCKDB_THREADS)."""
    return {"memory_limit": settings.vars.duckdb_memory_limit, "threads": str(settings.vars.duckdb_threads)}


def incremental_basis(settings: Settings) -> str:
    """A fingerprint of everything a stored per-period result depends on besides its period's own rows.

    The dbt project's models, seeds and macros, the DuckDB version, the build
    layout and the batches serving `basis_tables()`. A build may be copied from
    the published one only when their bases are equal.
    """
    digest = hashlib.sha256(f"layout {BUILD_LAYOUT}\nduckdb {duckdb.__version__}\n".encode())
    for name in BASIS_FILES:
        root = DBT_PROJECT_DIR / name
        for file in sorted([root] if root.is_file() else (p for p in root.rglob("*") if p.is_file())):
            digest.update(f"{file.relative_to(DBT_PROJECT_DIR)}\n".encode())
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    for table in basis_tables():
        for batch in validated.all_current(settings.validated_dir, table):
            digest.update(f"{table} {batch['period']} {batch['batch_id']}\n".encode())
    return digest.hexdigest()


def full_build_reason(settings: Settings, basis: str) -> str | None:
    """Why the next build cannot be copied from the published one, or None when it can."""
    if not settings.warehouse_path.exists():
        return "nothing published yet"
    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    except duckdb.Error as exc:
        return f"the published file cannot be opened: {exc}"
    try:
        columns = {c for (c,) in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'audit' and table_name = 'build'").fetchall()}
        if "basis" not in columns:
            return "the published build records no basis"
        (published_basis,) = con.execute("select basis from audit.build").fetchone()
    finally:
        con.close()
    if published_basis != basis:
        return "the dbt project, DuckDB or the boundaries changed since the published build"
    return None


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
        for name in ("build", "raw_responses", "gate_results"):
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


def dbt_command(settings: Settings, db_path: Path, subcommand: tuple[str, ...], target_dir: Path,
                *, args: tuple[str, ...] = ()) -> tuple[list[str], dict[str, str]]:
    """The venv's dbt with `subcommand` on `db_path`, and the child environment that names the file.

    The child gets the file and the extension directory through its own
    environment (profiles.yml reads them), so this process's environment and
    dbt-duckdb's in-process state are never touched.
    """
    env = {
        **without_secrets(settings.environ),  # dbt reads a file: no password of any server is its business
        "MAPWH_DBT_DB_PATH": str(db_path),
        "MAPWH_DUCKDB_EXT_DIR": str(ensure_duckdb_extensions(settings)),
        "MAPWH_DUCKDB_MEMORY_LIMIT": duckdb_limits(settings)["memory_limit"],
        "MAPWH_DUCKDB_THREADS": duckdb_limits(settings)["threads"],
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        str(Path(sys.executable).parent / "dbt"), *subcommand,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target_dir / "target"),
        "--log-path", str(target_dir / "logs"),
        "--no-use-colors",
        *args,
    ]
    return command, env


class DataTestsFailed(BuildFailed):
    """dbt failed; `failures` says which nodes, and for each failed data test the batches its failing rows came from."""

    def __init__(self, message: str, failures: list["FailedNode"]):
        super().__init__(message)
        self.failures = failures

    def responsible(self) -> dict[str, list[str]]:
        """{batch_id: failed tests naming it} when every failed node is a data test whose failing rows name
        their batches; {} when any failure cannot be put down to batches (the build fails as it is)."""
        if not self.failures or not all(f.batches for f in self.failures):
            return {}
        found: dict[str, list[str]] = {}
        for failure in self.failures:
            for batch_id in failure.batches:
                found.setdefault(batch_id, []).append(failure.node)
        return found


@dataclass
class FailedNode:
    node: str  # dbt unique_id, e.g. test.mapwh.not_null_int_stop_searches__located_searched_at.<hash>
    status: str  # `fail` (a data test found rows) or `error`
    message: str
    batches: tuple[str, ...] = ()  # batch ids of the failing rows, when the tested model carries batch_id
    note: str = ""  # why no batch could be named

    def describe(self) -> str:
        line = f"{self.node}: {self.status} {self.message}".strip()
        if self.batches:
            line += f" [failing rows from batch(es) {', '.join(self.batches)}]"
        elif self.note:
            line += f" [{self.note}]"
        return line


def run_dbt(settings: Settings, db_path: Path, *, args: tuple[str, ...] = ()) -> Path:
    """One `dbt build` on the new file, in a child process; returns its log file.

    When data tests fail and every failing test's rows come from batches the
    build can name (the tested model carries `batch_id`), those batches are
    withdrawn from serving (`withdraw_batches`: the period's previous batch
    serves again, or none; the quarantine records why, naming the test), the
    failed file goes to `quarantine/builds/<build>-refused-batches/`, and the
    build is prepared again at the same path from the validated zone and run
    once more: the previous good state, with every other new period,
    publishes. Otherwise BuildFailed names each failed node.
    """
    try:
        return _dbt_build(settings, db_path, args)
    except DataTestsFailed as first:
        responsible = first.responsible()
        if not responsible:
            raise
        log.error("%s; withdrawing batch(es) %s and building again without them", first, ", ".join(responsible))
        full_refresh = _was_full_refresh(db_path)
        quarantine_build(settings, db_path, f"{first}\n\nbatch(es) withdrawn and the build run again without them: "
                                            f"{', '.join(responsible)}", folder=f"{db_path.stem}-refused-batches")
        withdrawn = withdraw_batches(settings, db_path.stem, responsible, first)
        with writer_lock(settings, f"prepare {db_path.name} again"):
            ensure_not_superseded(settings, db_path)
            _prepare_into(settings, db_path, full_refresh=full_refresh)
        try:
            log_file = _dbt_build(settings, db_path, args)
        except BuildFailed as second:
            raise BuildFailed(f"{second}\n(run again after withdrawing {', '.join(withdrawn)}, which made the first "
                              f"attempt fail:\n{first})") from second
        log.warning("dbt build passed on %s once batch(es) %s were withdrawn", db_path.name, ", ".join(withdrawn))
        return log_file


def _was_full_refresh(db_path: Path) -> bool:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute("select reason from audit.build").fetchone()[0] == FULL_REFRESH_ASKED
    except duckdb.Error:
        return False
    finally:
        con.close()


def _dbt_build(settings: Settings, db_path: Path, args: tuple[str, ...]) -> Path:
    """`dbt build` with `args`, or by default only what this build must rebuild (`selection.dbt_selection`).

    dbt opens the file through one stable path (`build/dbt/build.duckdb`, a
    hard link made for the run): dbt re-parses the whole project whenever its
    profile changes, and the profile names the file, so a path of its own per
    build would cost a full parse every build.
    """
    ensure_not_superseded(settings, db_path)
    dbt_dir = settings.home / "dbt"
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    log_file = settings.logs_dir / f"dbt-{db_path.stem}.log"
    selection = args or dbt_selection(db_path)
    with dbt_lock(settings, f"dbt build on {db_path.name}"):
        stable = _point_stable_path(settings, db_path)
        try:
            command, env = dbt_command(settings, stable, ("build",), dbt_dir, args=selection)
            (dbt_dir / "target" / "run_results.json").unlink(missing_ok=True)  # never read a previous build's
            with log_file.open("w") as out:
                proc = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=DBT_PROJECT_DIR)  # noqa: S603 - the venv's dbt, no shell
        finally:
            stable.unlink(missing_ok=True)
        if proc.returncode != 0:
            ensure_not_superseded(settings, db_path)
            failures = _failed_tests(dbt_dir, db_path)
            lines = [f.describe() for f in failures] or _failed_nodes(dbt_dir, log_file)
            raise DataTestsFailed(f"dbt build failed on {db_path.name}:\n  " + "\n  ".join(lines), failures)
        nodes = record_nodes(db_path, dbt_dir / "target" / "run_results.json", selection)
    log.info("dbt build passed on %s: %d nodes (%s; log %s)", db_path.name, nodes, " ".join(selection), log_file)
    return log_file


def stable_dbt_path(settings: Settings) -> Path:
    return settings.build_dir / "dbt" / "build.duckdb"


def _point_stable_path(settings: Settings, db_path: Path) -> Path:
    """Hard-link the build file at `stable_dbt_path` (a symbolic link would not do: DuckDB follows it and names
    the database after the target). A write-ahead log left there by a dbt run that was killed belongs to another
    build's file: it is moved to quarantine, never replayed onto this one."""
    stable = stable_dbt_path(settings)
    stable.parent.mkdir(parents=True, exist_ok=True)
    stable.unlink(missing_ok=True)
    wal = stable.with_name(stable.name + ".wal")
    if wal.exists():
        target = settings.quarantine_dir / "builds" / f"stale-dbt-wal-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}"
        target.mkdir(parents=True, exist_ok=True)
        os.replace(wal, target / wal.name)
        (target / "reason.txt").write_text(f"{wal} was left by a dbt run that did not finish; moved before "
                                           f"building {db_path.name}\n")
        log.warning("moved a stale dbt write-ahead log %s to %s", wal, target)
    os.link(db_path, stable)
    return stable


def _failed_nodes(dbt_dir: Path, log_file: Path) -> list[str]:
    """Failed nodes from dbt's run_results.json, or the end of its log when it stopped before running any."""
    results = dbt_dir / "target" / "run_results.json"
    failed = []
    if results.exists():
        for node in json.loads(results.read_text()).get("results", []):
            if node.get("status") in ("error", "fail"):
                failed.append(f"{node['unique_id']}: {node['status']} {node.get('message') or ''}".strip())
    return failed or [*log_file.read_text().splitlines()[-15:], f"(full log: {log_file})"]


def _failed_tests(dbt_dir: Path, db_path: Path) -> list[FailedNode]:
    """Each failed node of the last dbt run, with the batches its failing rows came from where they can be named."""
    results_path, manifest_path = dbt_dir / "target" / "run_results.json", dbt_dir / "target" / "manifest.json"
    if not results_path.exists():
        return []
    failed = [r for r in json.loads(results_path.read_text()).get("results", []) if r.get("status") in ("error", "fail")]
    if not failed:
        return []
    nodes = json.loads(manifest_path.read_text()).get("nodes", {}) if manifest_path.exists() else {}
    found = []
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        for result in failed:
            failure = FailedNode(result["unique_id"], result["status"], (result.get("message") or "").strip())
            try:
                failure.batches, failure.note = _failing_batches(con, result, nodes)
            except duckdb.Error as exc:
                failure.note = f"its failing rows could not be traced to a batch: {exc}"
            found.append(failure)
    finally:
        con.close()
    return found


def _failing_batches(con: duckdb.DuckDBPyConnection, result: dict, nodes: dict) -> tuple[tuple[str, ...], str]:
    """The batch ids of a failed data test's failing rows, and why none when they cannot be named.

    A column test's failing rows hold the tested column's failing values
    first (not_null, accepted_values, relationships, unique all do): the
    batches are those of the tested model's rows holding one of those values
    (null included), when the model carries `batch_id`. In an incremental
    build, the batches this build added or replaced are preferred: the
    published build passed with the others.
    """
    node = nodes.get(result["unique_id"], {})
    if node.get("resource_type") != "test" or result.get("status") != "fail":
        return (), "not a failed data test"
    model = nodes.get(node.get("attached_node") or "", {})
    column = node.get("column_name")
    sql = result.get("compiled_code") or node.get("compiled_code")
    if not (model and column and sql) or (node.get("test_metadata") or {}).get("name") not in TRACEABLE_TESTS:
        return (), "not a column test whose failing rows can be traced"
    relation = f"{quote_ident(model['schema'])}.{quote_ident(model.get('alias') or model['name'])}"
    columns = {c for (c,) in con.execute("select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
                                         [model["schema"], model.get("alias") or model["name"]]).fetchall()}
    if "batch_id" not in columns:
        return (), f"{model['name']} carries no batch_id"
    sql = sql.strip().rstrip(";")
    first = con.execute(f"select * from ({sql}) limit 0").description[0][0]  # noqa: S608 - dbt's own compiled test
    column_sql = column if column.startswith('"') else quote_ident(column)
    batches = [b for (b,) in con.execute(
        f"select distinct m.batch_id from {relation} m where exists (select 1 from ({sql}) f "  # noqa: S608 - dbt's SQL, quoted identifiers
        f"where f.{quote_ident(first)} is not distinct from m.{column_sql}) order by 1").fetchall() if b]
    changed = {b for (b,) in con.execute("select batch_id from raw.refresh_periods where change <> 'removed'").fetchall()}
    batches = [b for b in batches if b in changed] or batches
    return tuple(batches), "" if batches else "no failing row names a batch"


# dbt's generic column tests, whose failing rows hold the failing values of the tested column first
TRACEABLE_TESTS = {"not_null", "accepted_values", "relationships", "unique"}


def withdraw_batches(settings: Settings, build_name: str, responsible: dict[str, list[str]],
                     failure: BuildFailed) -> list[str]:
    """Take each batch a build refused out of serving (`validated.withdraw`), recording why in its quarantine entry
    and in `audit/withdrawals.jsonl`; returns the batch ids withdrawn."""
    manifest = read_jsonl(settings.manifest_path)
    withdrawn = []
    with writer_lock(settings, f"withdraw batches refused by {build_name}"):
        serving = {c["batch_id"]: c for c in validated.all_current(settings.validated_dir) if c.get("batch_id")}
        for batch_id, tests in responsible.items():
            batch = serving.get(batch_id)
            if batch is None:
                continue  # no longer serving (replaced, or withdrawn by a concurrent build)
            reason = (f"withdrawn from serving by build {build_name}: it passed its gate, but the build's dbt test(s) "
                      f"{', '.join(tests)} failed on its rows.\n{failure}")
            now = validated.withdraw(settings.validated_dir, settings.quarantine_dir, batch["table_name"], batch["period"],
                                     batch_id, reason, manifest=manifest)
            append_jsonl(settings.audit_dir / "withdrawals.jsonl", {
                "withdrawn_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "build": build_name,
                "batch_id": batch_id, "table_name": batch["table_name"], "period": batch["period"], "tests": tests,
                "serving_now": now["batch_id"] if now else None})
            log.error("withdrew %s (%s %s) from serving: dbt test(s) %s failed on its rows; %s", batch_id,
                      batch["table_name"], batch["period"], ", ".join(tests),
                      f"{now['batch_id']} serves again" if now else "the period is empty")
            withdrawn.append(batch_id)
    return withdrawn


def mart_gates() -> list[str]:
    return sorted(p.stem for p in EXPECTATIONS_DIR.glob("mart_*.json"))


def _df(relation) -> pd.DataFrame:
    with warnings.catch_warnings():
        # DuckDB 1.5.5's DataFrame conversion calls drop(inplace=True), which pandas 3.1
        # deprecates; the warning names our line, but the call is DuckDB's.
        warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.drop", category=DeprecationWarning)
        return relation.df()


def gate_part_rows(settings: Settings) -> int:
    """Rows above which a mart's gate runs part by part (MAPWH_GATE_PART_ROWS, default 1,000,000)."""
    return settings.vars.gate_part_rows


def gate_table(settings: Settings, db_path: Path, gate: str, schema: str, table: str, *, batch_id: str,
               parameters: dict | None = None, periods: list[str] | None = None) -> gates.GateResult:
    """Validate one table with its suite, reading only the columns the suite uses.

    A table of more than `gate_part_rows` rows is read and validated in parts
    (`gates.validate_parts`), split on the suite's uniqueness key by a hash in
    DuckDB, so memory stays bounded by one part whatever the table's size.
    With `periods`, the row-level expectations see only the rows of those
    periods (the ones an incremental build recomputed; the rest passed this
    gate when they were built and have not changed), while the row-count
    expectations still see the whole table.
    """
    definition = gates.load_suite_definition(gate)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        present = [c for (c,) in con.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ? order by column_index",
            [schema, table]).fetchall()]
        wanted = gates.suite_columns(definition)
        columns = [c for c in present if c in wanted] or present[:1]
        relation = f"{quote_ident(schema)}.{quote_ident(table)}"
        select = ", ".join(quote_ident(c) for c in columns)
        rows = con.execute(f"select count(*) from {relation}").fetchone()[0]  # noqa: S608 - quoted identifiers
        key = gates.partition_key(definition)
        part_rows = gate_part_rows(settings)
        target = f"{schema}.{table} in {db_path.name}"
        if periods is None and (rows <= part_rows or key is None):
            if key is None and rows > part_rows:
                log.warning("gate %s: its suite cannot be split, so %s rows of %s are read whole", gate, f"{rows:,}", relation)
            frame = _df(con.sql(f"select {select} from {relation}"))  # noqa: S608 - quoted identifiers
            return gates.validate(settings, gate, frame, target=target, batch_id=batch_id, parameters=parameters)
        # in parts: the whole table, or only the rows of `periods`
        scope, values = ("list_contains(?, period)", [periods]) if periods is not None else ("true", [])
        checked = rows if periods is None else con.execute(
            f"select count(*) from {relation} where {scope}", values).fetchone()[0]  # noqa: S608 - quoted identifiers
        parts = max(1, -(-checked // part_rows))
        split = f"hash({', '.join(quote_ident(c) for c in key or ())})"

        def each_part():
            for i in range(parts):
                yield _df(con.execute(f"select {select} from {relation} where {scope} and {split} % {parts} = {i}",  # noqa: S608 - quoted identifiers, integers
                                      values))

        if periods is not None:
            target = f"{target}, {len(periods)} refreshed periods"
        return gates.validate_parts(settings, gate, each_part(), table_rows=rows, rows_checked=checked, target=target,
                                    batch_id=batch_id, parameters=parameters)
    finally:
        con.close()


def published_row_counts(settings: Settings) -> dict[str, int]:
    """Rows of every mart in the published warehouse (none when nothing is published yet)."""
    if not settings.warehouse_path.exists():
        return {}
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [MART_SCHEMA]).fetchall()]
        return {t: con.table(f"{MART_SCHEMA}.{quote_ident(t)}").count("*").fetchone()[0] for t in tables}
    finally:
        con.close()


def refreshed_periods(db_path: Path) -> dict[str, list[str]] | None:
    """{raw table: periods} an incremental build recomputed; None for a full build (everything was)."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        (mode,) = con.execute("select mode from audit.build").fetchone()
        if mode != "incremental":
            return None
        found: dict[str, list[str]] = {}
        for table, period in con.execute("select table_name, period from raw.refresh_periods order by 1, 2").fetchall():
            found.setdefault(table, []).append(period)
        return found
    finally:
        con.close()


def gate_marts(settings: Settings, db_path: Path) -> list[gates.GateResult]:
    """Validate every mart this build rebuilt (all of them in a full build); any failure raises GateFailed
    after all were checked. A mart an incremental build did not rebuild is the published one, unchanged.

    Besides each mart's own checks, a mart may not shrink below
    MAPWH_MART_SHRINK_FLOOR (default 0.5) of its rows in the published
    warehouse: a degraded build (a source lost, a table emptied) is refused.
    """
    ensure_not_superseded(settings, db_path)
    shrink_floor = settings.vars.mart_shrink_floor
    published = published_row_counts(settings)
    refreshed = refreshed_periods(db_path)
    incremental = incremental_models()
    rebuilt = rebuilt_models(db_path)
    results, kept = [], []
    for gate in mart_gates():
        name = gate.removeprefix("mart_")
        if rebuilt is not None and name not in rebuilt:
            kept.append(name)  # the published mart, copied unchanged: its gate passed when it was built
            continue
        floor = int(published.get(name, 0) * shrink_floor)
        periods = refreshed.get(incremental[name]) if name in incremental and refreshed is not None else None
        try:
            results.append(gate_table(settings, db_path, gate, MART_SCHEMA, name, batch_id=db_path.stem,
                                      parameters={"published_rows_floor": floor}, periods=periods))
        except duckdb.Error:
            ensure_not_superseded(settings, db_path)  # a newer build published meanwhile and removed this file
            raise
    if kept:
        log.info("mart gates: %d run on the marts this build rebuilt; %d marts kept from the published build "
                 "unchanged (%s)", len(results), len(kept), ", ".join(kept))
    failed = [r for r in results if not r.success]
    if failed:
        raise gates.GateFailed(failed[0]) if len(failed) == 1 else BuildFailed(
            "\n".join(r.summary() for r in failed)
        )
    return results


def quarantine_build(settings: Settings, db_path: Path, reason: str, *, folder: str | None = None) -> Path:
    target = settings.quarantine_dir / "builds" / (folder or db_path.stem)
    target.mkdir(parents=True, exist_ok=True)
    if db_path.exists():
        os.replace(db_path, target / db_path.name)
    (target / "reason.txt").write_text(reason + "\n")
    log.error("build %s quarantined in %s", db_path.name, target)
    return target


def publish(settings: Settings, db_path: Path) -> Path:
    """Atomically make the checked build the served warehouse, unless a newer one already serves.

    Under the writer lock: a build older than the published one is discarded
    (Superseded); a write-ahead log left beside the published file (a writer
    that crashed on it) is moved to quarantine so DuckDB can never replay it
    onto the new file; after the rename, build files older than this one
    (superseded, or orphans of killed builds) are removed.
    """
    sequence = build_sequence(db_path)
    con = duckdb.connect(str(db_path))
    try:
        con.execute("checkpoint")
    finally:
        con.close()
    wal = db_path.with_name(db_path.name + ".wal")
    if wal.exists():
        raise BuildFailed(f"{db_path.name} still has a write-ahead log after checkpoint; not publishing")
    with writer_lock(settings, f"publish {db_path.name}"):
        serving = published_sequence(settings)
        if sequence < serving:
            db_path.unlink(missing_ok=True)
            raise Superseded(f"{db_path.name} is build {sequence}; build {serving} is already published")
        stale_wal = settings.warehouse_path.with_name(settings.warehouse_path.name + ".wal")
        if stale_wal.exists():
            target = settings.quarantine_dir / "builds" / f"stale-wal-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}"
            target.mkdir(parents=True, exist_ok=True)
            os.replace(stale_wal, target / stale_wal.name)
            (target / "reason.txt").write_text(f"{stale_wal} was beside the published warehouse; moved before publishing {db_path.name}\n")
            log.warning("moved a stale write-ahead log beside %s to %s", settings.warehouse_path, target)
        os.replace(db_path, settings.warehouse_path)
        record = {"published_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "build": db_path.name,
                  "sequence": sequence}
        append_jsonl(settings.audit_dir / "publications.jsonl", record)
        for older in settings.build_dir.glob("warehouse-*.duckdb*"):
            match = BUILD_NAME.match(older.name)
            if match and int(match.group("sequence")) < sequence:
                older.unlink(missing_ok=True)
    log.info("published %s as %s", db_path.name, settings.warehouse_path)
    return settings.warehouse_path


def build_and_publish(settings: Settings, *, full_refresh: bool = False) -> Path:
    """The whole build in one call (used by tests and benchmarks; the DAG runs the steps as tasks).
    Raises `selection.NothingNew`, building nothing, when the published build already holds every serving batch."""
    path = prepare(settings, full_refresh=full_refresh)
    try:
        run_dbt(settings, path)
        gate_marts(settings, path)
    except (BuildFailed, gates.GateFailed) as exc:
        quarantine_build(settings, path, str(exc))
        raise
    return publish(settings, path)
