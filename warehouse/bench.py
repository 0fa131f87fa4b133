"""Benchmark: how long the load steps and a warehouse build take, as printed figures.

`make bench` (or `python -m warehouse.bench [--months N]`) generates the
synthetic sample in a temporary MAPWH_HOME, serves it on 127.0.0.1, loads N
months through fetch → raw zone → gate → validated zone (the functions the
DAG tasks call, without Airflow's own overhead), loads the synthetic PAS
sources (workbook, neighbourhood file, nine microdata years), then runs one
full build (prepare, dbt build, mart gates, publish). Nothing is asserted: it
reports.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=24, help="months of synthetic data to load (max 24)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="mapwh-bench-") as tmp:
        os.environ["MAPWH_HOME"] = str(Path(tmp) / "var")
        from ingest import mirror, sample
        from warehouse import build, loads
        from warehouse.config import get_settings

        t0 = time.perf_counter()
        summary = sample.generate(Path(tmp) / "sample", empty_months=())
        print(f"sample generation: {time.perf_counter() - t0:.1f}s for {len(summary['months'])} months")
        months = summary["months"][-args.months :]
        with mirror.serve(Path(tmp) / "sample") as server:
            os.environ["POLICE_UK_API_URL"] = server.api_url
            os.environ["CENSUS_POPULATION_URL"] = server.url_for(sample.CENSUS_PATH.as_posix())
            os.environ["LONDON_BOUNDARIES_URL"] = server.url_for(sample.BOUNDARIES_PATH.as_posix())
            settings = get_settings()
            fetch_s, gate_s, rows = [], [], 0
            for month in months:
                t = time.perf_counter()
                landed = loads.land_stop_search_month(settings, loads.plan_stop_search_month(settings, month))
                fetch_s.append(time.perf_counter() - t)
                t = time.perf_counter()
                committed = loads.gate_and_load_stop_search(settings, landed)
                gate_s.append(time.perf_counter() - t)
                rows += committed["rows"]
            loads.load_census_population(settings)
            loads.load_london_boundaries(settings)

            from ingest import pas_sample

            os.environ["PAS_DASHBOARD_URL"] = server.url_for(pas_sample.WORKBOOK_PATH.as_posix())
            os.environ["PAS_NEIGHBOURHOOD_URL"] = server.url_for(pas_sample.NEIGHBOURHOOD_PATH.as_posix())
            micro = sorted((Path(tmp) / "sample" / pas_sample.MICRODATA_DIR).glob("*.csv"))
            os.environ["PAS_MICRODATA_URL"] = ",".join(server.url_for(f"{pas_sample.MICRODATA_DIR.as_posix()}/{m.name}") for m in micro)
            settings = get_settings()
            pas_s = {}
            for source in ("pas_dashboard", "pas_neighbourhood", "pas_microdata"):
                t = time.perf_counter()
                result = getattr(loads, f"load_{source}")(settings)
                batches = result if isinstance(result, list) else [result]
                pas_s[source] = (time.perf_counter() - t, sum(b["rows"] for b in batches), len(batches))

        print(f"stop-and-search months loaded: {len(months)} ({rows:,} records)")
        print(f"  plan+fetch+land per month: median {statistics.median(fetch_s):.2f}s, max {max(fetch_s):.2f}s")
        print(f"  parse+gate+commit per month: median {statistics.median(gate_s):.2f}s, max {max(gate_s):.2f}s"
              f" ({rows / sum(gate_s):,.0f} records/s)")
        for source, (seconds, n, batches) in pas_s.items():
            print(f"{source}: {batches} batch(es), {n:,} rows, fetch+land+parse+gate+commit {seconds:.1f}s"
                  f" ({n / seconds:,.0f} rows/s)")

        t = time.perf_counter()
        path = build.prepare(settings)
        prepare_s = time.perf_counter() - t
        t = time.perf_counter()
        build.run_dbt(settings, path)
        dbt_s = time.perf_counter() - t
        t = time.perf_counter()
        build.gate_marts(settings, path)
        gates_s = time.perf_counter() - t
        t = time.perf_counter()
        build.publish(settings, path)
        publish_s = time.perf_counter() - t
        size_mb = settings.warehouse_path.stat().st_size / 1e6
        print(f"warehouse build: prepare {prepare_s:.1f}s, dbt build {dbt_s:.1f}s, mart gates {gates_s:.1f}s,"
              f" publish {publish_s:.2f}s; file {size_mb:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
