"""Step 3, `gate_marts`: every mart validated with its Great Expectations suite, part by part when it is large.

A mart of more than `gate_part_rows` rows is read in parts split by a hash
of its suite's uniqueness key, so memory stays bounded by one part; in an
incremental build the row-level expectations read only the refreshed periods.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import duckdb
import pandas as pd

from ingest.core.config import EXPECTATIONS_DIR, Settings
from ingest.core.contract import quote_ident
from warehouse import gates
from warehouse.build.basis import incremental_models
from warehouse.build.errors import BuildFailed
from warehouse.build.numbering import ensure_not_superseded
from warehouse.selection import rebuilt_models, refreshed_periods

log = logging.getLogger(__name__)


MART_SCHEMA = "marts"


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
    rebuilt = None if refreshed is None else rebuilt_models(db_path)  # a full build rebuilt every mart
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
