"""Benchmark: how long the load pipeline and a warehouse build take on the synthetic sample, as printed figures.

`python -m devdata.bench [--months N]` generates the sample in a temporary
directory, serves it on 127.0.0.1 and, in a temporary MAPWH_HOME, runs the
functions the DAG tasks call, without Airflow's own overhead: N months of
police.uk stop and search (`pipeline.plan`, then `pipeline.load_planned`:
fetch, land, parse, gate, commit), the census and the boundaries, the three
PAS sources (`pipeline.load`: workbook, neighbourhood file, nine microdata
years), then one `build.build_and_publish` (prepare, dbt build, mart gates,
publish). Nothing is asserted: it reports.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Sequence

from devdata import mirror, sample
from ingest import registry
from ingest.core.config import get_settings
from warehouse import build, pipeline

STOP_SEARCH = "police_uk_stop_search"
REFERENCE = ("census_population", "london_boundaries")
PAS = ("pas_dashboard", "pas_neighbourhood", "pas_microdata")
SAMPLE_MONTHS = 24  # what sample.generate() writes by default


def _rows(committed: list[dict]) -> int:
    return sum(c.get("rows") or 0 for c in committed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devdata.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=SAMPLE_MONTHS,
                        help=f"months of stop and search to load (1-{SAMPLE_MONTHS}, the latest)")
    args = parser.parse_args(argv)
    if not 1 <= args.months <= SAMPLE_MONTHS:
        parser.error(f"--months must be between 1 and {SAMPLE_MONTHS}")

    with tempfile.TemporaryDirectory(prefix="mapwh-bench-") as tmp:
        t = time.perf_counter()
        summary = sample.generate(Path(tmp) / "sample", empty_months=())
        print(f"sample generation: {time.perf_counter() - t:.1f}s for {len(summary['months'])} months and PAS")
        months = summary["months"][-args.months:]

        with mirror.serve(Path(tmp) / "sample") as server:
            # The settings carry their own environment: os.environ is left alone.
            settings = get_settings({**os.environ, "MAPWH_HOME": str(Path(tmp) / "var"),
                                     **mirror.source_environment(server)})
            source = registry.get(STOP_SEARCH)
            plan_s, load_s, records = [], [], 0
            for month in months:
                t = time.perf_counter()
                (planned,) = pipeline.plan(settings, source, month)
                plan_s.append(time.perf_counter() - t)
                t = time.perf_counter()
                records += _rows(pipeline.load_planned(settings, source, planned))
                load_s.append(time.perf_counter() - t)
            whole = {}
            for name in REFERENCE + PAS:
                t = time.perf_counter()
                committed = pipeline.load(settings, registry.get(name))
                whole[name] = (time.perf_counter() - t, _rows(committed), len(committed))

        print(f"stop and search: {len(months)} months {months[0]}..{months[-1]}, {records:,} records")
        print(f"  plan (availability fetch+land) per month: median {statistics.median(plan_s):.2f}s,"
              f" max {max(plan_s):.2f}s")
        print(f"  fetch+land+parse+gate+commit per month: median {statistics.median(load_s):.2f}s,"
              f" max {max(load_s):.2f}s ({records / sum(load_s):,.0f} records/s)")
        for name, (seconds, rows, batches) in whole.items():
            print(f"{name}: {batches} batch(es), {rows:,} rows, fetch+land+parse+gate+commit {seconds:.1f}s"
                  f" ({rows / seconds:,.0f} rows/s)")

        t = time.perf_counter()
        published = build.build_and_publish(settings)
        print(f"warehouse build (prepare, dbt build, mart gates, publish): {time.perf_counter() - t:.1f}s;"
              f" file {published.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
