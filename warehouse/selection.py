"""What a build must do: whether anything is new, and which dbt nodes follow from it (decision 0042).

A build is copied from the published one whenever it can be (decision 0025);
this module decides the rest of its cost:

- `ensure_something_new` refuses a build whose inputs the published build
  already holds (the same serving batch for every period of every raw table,
  the same basis, the same UTC day): it raises `NothingNew`, nothing is
  written and nothing is published. An Asset event for a batch already built
  costs one read of the published file's `raw.loaded_batches`.
- `dbt_selection` gives the dbt arguments of a build: an incremental build
  selects only the models downstream of the raw tables whose batches changed
  (and of the build's own audit tables, which change every build), with their
  data tests; a full build selects everything. dbt's unit tests never run in a
  production build: they test the SQL, not the data, and run in `make test`
  (`tests/warehouse/test_build.py`).
- `record_nodes` writes what dbt ran into the build file (`audit.dbt_nodes`,
  `audit.dbt_selection`), and `rebuilt_models` reads it back: the mart gates
  check the marts this build rebuilt, and the others are the published ones,
  checked when they were built.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from ingest import registry
from ingest.core.config import Settings
from warehouse import validated

# dbt never runs a unit test in a production build (decision 0042)
WITHOUT_UNIT_TESTS = ("--exclude-resource-type", "unit_test")


class NothingNew(Exception):
    """The published build already holds every serving batch: a build would publish the same warehouse."""


def published_build(settings: Settings) -> tuple[dict[tuple[str, str], str], str | None]:
    """What the published build holds, in one read: {(raw table, period): batch id} from `raw.loaded_batches`,
    and the UTC day it was prepared on (the scorecard reads the date: a new day is new)."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        batches = {(t, p): b for t, p, b in con.execute(
            "select table_name, period, batch_id from raw.loaded_batches").fetchall()}
        (prepared_at,) = con.execute("select prepared_at from audit.build").fetchone()
    finally:
        con.close()
    return batches, prepared_at.astimezone(timezone.utc).date().isoformat() if prepared_at else None


def serving_changes(settings: Settings, published: dict[tuple[str, str], str] | None = None) -> dict[str, list[str]]:
    """{raw table: periods} whose serving batch differs from the published build's (added, replaced or removed).

    Compares the published `raw.loaded_batches` (`published`, or read now)
    with the validated zone's `current.json` pointers; no batch is read.
    """
    if published is None:
        published, _ = published_build(settings)
    serving = {(b["table_name"], b["period"]): b["batch_id"] for b in validated.all_current(settings.validated_dir)}
    changed: dict[str, list[str]] = {}
    for key in sorted(set(published) | set(serving)):
        if published.get(key) != serving.get(key):
            changed.setdefault(key[0], []).append(key[1])
    return changed


def ensure_something_new(settings: Settings) -> None:
    """Raise NothingNew when a build now would hold exactly what the published one holds.

    Call it only when the build could be copied from the published one
    (`full_build_reason` is None: same dbt project, DuckDB and basis batches).
    """
    published, day = published_build(settings)
    if serving_changes(settings, published) or day != datetime.now(timezone.utc).date().isoformat():
        return
    raise NothingNew(f"nothing new since the published build ({settings.warehouse_path}): every period's serving "
                     f"batch is the one it holds, and it was built today; nothing built, nothing published "
                     f"(`mapwh run --full-refresh`, or the build DAG's param `full_refresh`, rebuilds regardless)")


def refreshed_periods(db_path: Path) -> dict[str, list[str]] | None:
    """{raw table: periods} an incremental build recomputes (`raw.refresh_periods`); None for a full build
    (everything is)."""
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


def dbt_selection(db_path: Path) -> tuple[str, ...]:
    """The `dbt build` arguments for this build file: no unit tests; in an incremental build only the nodes
    downstream of the raw tables it refreshes and of the audit tables (which change every build)."""
    refreshed = refreshed_periods(db_path)
    if refreshed is None:
        return WITHOUT_UNIT_TESTS
    dbt_names = {s.table.name: s.table.dbt for s in registry.sources().values()}
    changed = sorted(f"source:{dbt_names[t][0]}.{dbt_names[t][1]}+" for t in refreshed if dbt_names.get(t, ("",))[0])
    return ("--select", f"source:{validated.LOADED_BATCHES.dbt[0]}+", *changed, *WITHOUT_UNIT_TESTS)


NODES_COLUMNS = ["unique_id", "resource_type", "name", "status", "execution_time_s"]


def record_nodes(db_path: Path, run_results: Path, selection: tuple[str, ...]) -> int:
    """Write what dbt ran into the build file (`audit.dbt_nodes`, `audit.dbt_selection`); returns the node count."""
    results = json.loads(run_results.read_text()).get("results", []) if run_results.exists() else []
    # unique ids read <resource type>.<project>.<name>[.<more>]
    frame = pd.DataFrame([{
        "unique_id": r["unique_id"], "resource_type": r["unique_id"].split(".")[0], "name": r["unique_id"].split(".")[2],
        "status": r.get("status"), "execution_time_s": r.get("execution_time")} for r in results], columns=NODES_COLUMNS)
    con = duckdb.connect(str(db_path))
    try:
        con.execute("create or replace table audit.dbt_nodes (unique_id varchar, resource_type varchar, name varchar,"
                    " status varchar, execution_time_s double)")
        if not frame.empty:
            con.register("frame", frame)
            con.execute("insert into audit.dbt_nodes select * from frame")
            con.unregister("frame")
        con.execute("create or replace table audit.dbt_selection as select ?::varchar[] as arguments", [list(selection)])
        con.execute("checkpoint")
    finally:
        con.close()
    return len(frame)


def rebuilt_models(db_path: Path) -> set[str] | None:
    """Names of the models this build's dbt run built (`audit.dbt_nodes`); None when dbt has recorded nothing."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        if not con.execute("select 1 from duckdb_tables() where schema_name = 'audit' and table_name = 'dbt_nodes'"
                           ).fetchone():
            return None
        return {n for (n,) in con.execute("select name from audit.dbt_nodes where resource_type = 'model'").fetchall()}
    finally:
        con.close()
