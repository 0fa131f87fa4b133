"""The build at a history of many millions of stops, without loading them: `docs/scaling.md`'s method, kept here.

`python -m devdata.bench_history --copies F` loads the SYNTHETIC sample
(24 months of the Met, census, boundaries) into a temporary MAPWH_HOME,
prepares a build, and multiplies `raw.police_uk_stop_searches` in the new
file F times: copy k is shifted 24·k months back (its batches too), so every
copy is a separate set of months, stop ids stay unique and every dbt test and
gate still passes. Then it runs `warehouse.build.run_dbt` (dbt in its child
process) and `warehouse.build.gate_marts` on that file and prints their times,
the dbt child's peak RSS and this process's (the gates'). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Sequence

import duckdb

from devdata import mirror, sample
from ingest import registry
from ingest.core.config import get_settings
from warehouse import build, pipeline

MULTIPLY = """
insert into raw.police_uk_stop_searches select * replace (
    strftime(cast(period || '-01' as date) - to_months(24 * {k}), '%Y-%m') as period,
    batch_id || ':x{k}' as batch_id,
    cast(cast("datetime" as timestamptz) - to_months(24 * {k}) as varchar) as "datetime")
from base;
insert into raw.loaded_batches select * replace (
    strftime(cast(period || '-01' as date) - to_months(24 * {k}), '%Y-%m') as period,
    batch_id || ':x{k}' as batch_id)
from base_batches;
"""


def multiply(path: Path, copies: int) -> int:
    con = duckdb.connect(str(path))
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create temp table base as select * from raw.police_uk_stop_searches")
        con.execute("create temp table base_batches as select * from raw.loaded_batches "
                    "where batch_id in (select distinct batch_id from base)")
        for k in range(1, copies):
            con.execute(MULTIPLY.format(k=k))
        con.execute("checkpoint")
        return con.execute("select count(*) from raw.police_uk_stop_searches").fetchone()[0]
    finally:
        con.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devdata.bench_history", description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=16, help="copies of the sample's 24 months (default 16)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mapwh-history-") as tmp:
        root = Path(tmp) / "sample"
        summary = sample.generate(root, empty_months=())
        with mirror.serve(root) as server:
            settings = get_settings({**os.environ, "MAPWH_HOME": str(Path(tmp) / "home"),
                                     **mirror.source_environment(server)})
            for name in ("census_population", "london_boundaries"):
                pipeline.load(settings, registry.get(name))
            for month in summary["months"]:
                pipeline.load_period(settings, registry.get("police_uk_stop_search"), month)
        path = build.prepare(settings)
        t = time.perf_counter()
        rows = multiply(path, args.copies)
        print(f"{args.copies} copies: {rows:,} stop rows in {args.copies * len(summary['months'])} months "
              f"(multiplied in {time.perf_counter() - t:.0f} s)", flush=True)
        t = time.perf_counter()
        build.run_dbt(settings, path)
        dbt_s = time.perf_counter() - t
        dbt_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"dbt build: {dbt_s:.1f} s, dbt peak RSS {dbt_peak:,.0f} MiB, file {path.stat().st_size / 1e6:,.0f} MB", flush=True)
        t = time.perf_counter()
        build.gate_marts(settings, path)
        print(f"mart gates: {time.perf_counter() - t:.1f} s, this process's peak RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
