"""Step 4, `publish`: the checked build renamed over the served warehouse, unless a newer one serves; and the whole
build in one call."""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ingest.core.config import Settings
from ingest.core.files import append_jsonl
from warehouse import gates
from warehouse.build.dbt import run_dbt
from warehouse.build.errors import BuildFailed, Superseded
from warehouse.build.gating import gate_marts
from warehouse.build.numbering import BUILD_NAME, build_sequence, published_sequence
from warehouse.build.prepare_raw import prepare
from warehouse.build.quarantine import quarantine_build
from warehouse.writer import writer_lock

log = logging.getLogger(__name__)


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
