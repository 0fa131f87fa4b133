"""The validated zone: batches that passed their gate, ready for the next build.

Layout: `validated/<table>/<period>/<sha256>.parquet` holds a batch's parsed
rows, and `validated/<table>/<period>/current.json` names the batch that
serves that period. Replacing `current.json` (an atomic rename) is the single
commit point of a load, so loading a period again replaces it and never
duplicates it, and a crash half way leaves the previous batch serving.
Superseded Parquet files are kept (nothing is lost); the raw zone keeps the
bytes they came from.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import duckdb
import pandas as pd

from ingest.core.contract import Column, Table, create_table_sql, select_casts
from ingest.core.files import atomic_write, read_jsonl

# What is loaded: one row per (table, period), the batch serving it (`raw.loaded_batches` in a build).
LOADED_BATCHES = Table(
    "loaded_batches",
    "One row per (table, period): the validated batch serving it.",
    (
        Column("source", "VARCHAR", "Source name (raw-zone folder)."),
        Column("table_name", "VARCHAR", "Raw table the batch loads."),
        Column("sha256", "VARCHAR", "Checksum of the landed bytes."),
        Column("url", "VARCHAR", "Where the bytes were fetched from."),
        Column("rows", "BIGINT", "Rows in the batch."),
        Column("status", "VARCHAR", "`loaded`, or `empty` when the source answered with no records."),
        Column("fetched_at", "TIMESTAMP WITH TIME ZONE", "When the bytes were fetched (UTC)."),
        Column("synthetic", "BOOLEAN", "True when the source was configured as SYNTHETIC (`MAPWH_SYNTHETIC_SOURCES`) when it loaded; null for batches loaded before this was recorded."),
        Column("warnings", "VARCHAR[]", "What the parser read past and the gate's warnings, when the batch committed."),
        Column("lineage", "JSON", "What the parser recorded about the file beyond the contract's columns (e.g. the columns "
                                  "present and ignored, the weight used), as JSON; null when nothing."),
    ),
    dbt=("audit", "loaded_batches"),
)

# What a build recomputes: one row per (table, period) whose serving batch differs from the
# build it was copied from (`raw.refresh_periods`; every loaded period in a full build).
REFRESH_PERIODS = Table(
    "refresh_periods",
    "One row per (table, period) this build recomputes: in an incremental build the periods whose serving batch "
    "was added, replaced or removed since the build it was copied from; in a full build every loaded period. "
    "`batch_id` and `loaded_at` name the batch serving now (for a removed period, the one that served before).",
    (
        Column("table_name", "VARCHAR", "Raw table the period belongs to."),
        Column("change", "VARCHAR", "`added`, `replaced` or `removed` (incremental build), `full` (full build)."),
    ),
    dbt=("audit", "refresh_periods"),
)


# One row per committed revision: a republished period whose different bytes replaced the loaded batch. A
# suspect revision held for review is not one until `mapwh accept` commits it, nor is a fetch of bytes already
# refused or held. `mapwh status` and the report (the build's `audit.revisions`) count these rows, and no other.
REVISIONS = (
    Column("table_name", "VARCHAR", "Raw table of the period."),
    Column("period", "VARCHAR", "The period revised."),
    Column("revised_at", "TIMESTAMP WITH TIME ZONE", "When the revision was committed (UTC)."),
    Column("old_sha256", "VARCHAR", "Checksum of the bytes replaced."),
    Column("old_rows", "BIGINT", "Rows of the batch replaced."),
    Column("new_sha256", "VARCHAR", "Checksum of the bytes now serving."),
    Column("new_rows", "BIGINT", "Rows of the batch now serving."),
    Column("batch_id", "VARCHAR", "The batch now serving."),
)


def create_revisions_sql(schema: str) -> str:
    return create_table_sql(schema, "revisions", REVISIONS)


def revisions(audit_dir: Path) -> list[dict]:
    """Every committed revision (`REVISIONS`' columns), oldest first: the one record `mapwh status` and the report
    read."""
    return read_jsonl(audit_dir / "revisions.jsonl")


def period_dir(validated_dir: Path, table: str, period: str) -> Path:
    return validated_dir / table / period


def _write_json_atomic(path: Path, payload: dict) -> None:
    atomic_write(path, json.dumps(payload, indent=1, sort_keys=True, default=str).encode())


def stage(validated_dir: Path, table: Table, period: str, frame: pd.DataFrame, sha256: str) -> Path:
    """Write a batch's rows as Parquet with exactly the contract's types, not yet serving.

    This is where every value is cast to its column's type: a value that does
    not fit (a street id beyond BIGINT, text in an INTEGER column) raises here,
    before the gate's verdict, so the batch is rejected rather than half-loaded.
    The staged file has a name of its own (`<sha256>.parquet.<uuid>.staged`):
    two runs may stage the same bytes at once (overlapping look-back windows
    of a parallel backfill both read a month). `commit` renames it to
    `<sha256>.parquet`, the name the reconciliation counts, so a batch
    staged but never committed (a crash during its gate) counts as not yet
    processed and is recovered; `unstage` removes it when the batch is refused.
    """
    path = period_dir(validated_dir, table.name, period) / f"{sha256}.parquet.{uuid.uuid4().hex}.staged"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.register("frame", frame)
        # identifiers and types from the contract, quoted; the path goes through the API, not SQL text
        con.sql(f"select {select_casts(table.columns)} from frame").write_parquet(str(tmp), compression="zstd")  # noqa: S608
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    os.replace(tmp, path)
    return path


def unstage(staged: Path | None) -> None:
    """Remove a staged file that will not serve (never one that already does)."""
    if staged is None:
        return
    serving = current(staged.parent.parent.parent, staged.parent.parent.name, staged.parent.name)
    if not serving or serving.get("file") != staged.name:
        staged.unlink(missing_ok=True)


def commit(validated_dir: Path, table: Table, period: str, staged: Path | None, rows: int, meta: dict) -> dict:
    """Make a staged file the batch serving (table, period); `staged=None` records an empty batch."""
    if staged is not None:
        final = staged.with_name(staged.name.split(".parquet.", 1)[0] + ".parquet")
        os.replace(staged, final)
        staged = final
    current_batch = dict(meta)
    current_batch["file"] = staged.name if staged is not None else None
    current_batch["rows"] = int(rows) if staged is not None else 0
    current_batch["table_name"] = table.name
    current_batch["period"] = period
    _write_json_atomic(period_dir(validated_dir, table.name, period) / "current.json", current_batch)
    return current_batch


def current(validated_dir: Path, table: str, period: str) -> dict | None:
    path = period_dir(validated_dir, table, period) / "current.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())


def all_current(validated_dir: Path, table: str | None = None) -> list[dict]:
    """Every serving batch, ordered by table then period."""
    tables = [table] if table else sorted(p.name for p in validated_dir.glob("*") if p.is_dir())
    found = []
    for name in tables:
        for path in sorted((validated_dir / name).glob("*/current.json")):
            found.append(json.loads(path.read_text()))
    return found


def parquet_files(validated_dir: Path, table: str) -> list[Path]:
    return [
        period_dir(validated_dir, table, c["period"]) / c["file"]
        for c in all_current(validated_dir, table)
        if c.get("file")
    ]


# --------------------------------------------------------------------------- withdrawal (a build refused the batch)
def _withdrawn_path(validated_dir: Path, table: str, period: str, sha256: str) -> Path:
    return period_dir(validated_dir, table, period) / f"{sha256}.withdrawn.json"


def withdrawn(validated_dir: Path, table: str, period: str, sha256: str) -> dict | None:
    """The record of a batch a build refused and withdrew from serving (`withdraw`), or None."""
    path = _withdrawn_path(validated_dir, table, period, sha256)
    return json.loads(path.read_text()) if path.exists() else None


def withdraw(validated_dir: Path, quarantine_dir: Path, table: str, period: str, batch_id: str, reason: str, *,
             manifest: list[dict] = ()) -> dict | None:
    """Take a serving batch out of serving because a build refused it; return what serves the period now.

    The batch it revised serves again when it is known (`revision_of`), its
    Parquet file is still there and it was not withdrawn itself; otherwise the
    period is empty (`current.json` removed). Nothing is deleted: the batch's
    Parquet file stays in the validated zone, `<sha256>.withdrawn.json`
    beside it records why (so the same bytes are refused if they come again),
    and `quarantine/<source>/<period>/<sha256[:16]>/` gets `reason.txt` and
    `batch.json` (with the raw-zone path of its bytes, from `manifest`) like
    any refused batch. A batch that no longer serves changes nothing (None).
    The caller holds the writer lock.
    """
    serving = current(validated_dir, table, period)
    if not serving or serving.get("batch_id") != batch_id:
        return None
    now = pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")
    record = {"withdrawn_at": now, "reason": reason, "batch": serving}
    _write_json_atomic(_withdrawn_path(validated_dir, table, period, serving["sha256"]), record)
    landed = next((m for m in reversed(list(manifest)) if m.get("sha256") == serving["sha256"] and m.get("path")), {})
    entry = quarantine_dir / serving.get("source", table) / period / serving["sha256"][:16]
    entry.mkdir(parents=True, exist_ok=True)
    atomic_write(entry / "reason.txt", (reason + "\n").encode())
    atomic_write(entry / "batch.json", json.dumps({**landed, **serving, "period": period, "withdrawn_at": now},
                                                  indent=1, sort_keys=True, default=str).encode())
    restored = _previous(validated_dir, table, period, serving, manifest)
    path = period_dir(validated_dir, table, period) / "current.json"
    if restored is None:
        path.unlink(missing_ok=True)
    else:
        _write_json_atomic(path, restored)
    return restored


def _previous(validated_dir: Path, table: str, period: str, batch: dict, manifest) -> dict | None:
    """The loaded batch `batch` revised, as it served, when its file is there and it was not withdrawn."""
    seen = set()
    revised = batch.get("revision_of")
    while revised and revised.get("sha256") and revised["sha256"] not in seen:
        seen.add(revised["sha256"])
        file = f"{revised['sha256']}.parquet"
        if not (period_dir(validated_dir, table, period) / file).exists():
            return None
        gone = withdrawn(validated_dir, table, period, revised["sha256"])
        if gone:
            revised = gone["batch"].get("revision_of")  # withdrawn too: the one before it
            continue
        landed = next((m for m in reversed(list(manifest)) if m.get("sha256") == revised["sha256"]), {})
        return {
            "source": batch.get("source"), "sha256": revised["sha256"], "url": landed.get("url"),
            "fetched_at": landed.get("fetched_at"), "batch_id": revised.get("batch_id"),
            "loaded_at": revised.get("loaded_at"), "synthetic": batch.get("synthetic"), "status": "loaded",
            "warnings": [f"serving again: {batch.get('batch_id')} was withdrawn"], "file": file,
            "rows": int(revised.get("rows") or 0), "table_name": table, "period": period,
            "restored_after": batch.get("batch_id"),
        }
    return None
