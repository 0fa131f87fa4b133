"""Step 2, `run_dbt`: one `dbt build` in a child process, and what to do when its data tests fail.

The child's environment names the build file (decision 0013), which dbt
opens through one stable hard link (`stable_dbt_path`) so its partial parse
holds; a failed data test whose failing rows come from batches the build can
name has those batches withdrawn from serving and the build run once more
without them.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ingest.core.config import DBT_PROJECT_DIR, Settings, without_secrets
from ingest.core.contract import quote_ident
from warehouse.build.basis import FULL_REFRESH_ASKED
from warehouse.build.errors import BuildFailed
from warehouse.build.extensions import duckdb_limits, ensure_duckdb_extensions
from warehouse.build.numbering import ensure_not_superseded
from warehouse.build.prepare_raw import prepare_into
from warehouse.build.quarantine import quarantine_build, withdraw_batches
from warehouse.selection import dbt_selection, record_nodes
from warehouse.writer import dbt_lock, writer_lock

log = logging.getLogger(__name__)


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
            prepare_into(settings, db_path, full_refresh=full_refresh)
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
