"""`make bench`: how each step's cost grows with the data, beside a bare scan and the usual pandas way.

`python -m devdata.bench` generates SYNTHETIC police.uk stop and search with
`devdata.scale` (the Met's `stops-force` API months over one and ten years,
and every force's bulk-archive months over one year, about a million searches,
loaded the national way: one batch a month, decision 0026), serves it on
127.0.0.1 with `devdata.mirror`, and measures in a temporary MAPWH_HOME, with
the functions the DAG tasks call (no Airflow, except in 5):

1. ingest (plan, fetch, land, parse, gate, commit per month) against a bare
   DuckDB `read_json` (`read_csv` of the archive's CSVs, unpacked beforehand)
   and a `json.load` + pandas (`pandas.read_csv`) read of the same files;
2. the full refresh (ingest + prepare + dbt build + mart gates + publish +
   report) at each size, with the build's steps apart;
3. a one-month refresh on top of the history (load one more month, rebuild
   incrementally: decision 0025);
4. a live backfill against the mirror with a realistic latency, four loads at
   once (the `police_uk_api` pool), beside the floor police.uk's 15 requests/s
   sets, and the request path alone (the archive: one request a month);
5. Airflow's overhead: `mapwh run` (the real DAGs through `dag.test()`) for
   one month minus the same work called directly;
6. dashboard query latency (p50/p95) on the published DuckDB file, and on
   PostgreSQL when a server can be started (`devdata.pgserver`);
7. the profile of the one-month refresh: Great Expectations' import in the
   load and in the gates, dbt's start-up and its run of the nodes, the rest;
   and the peak memory of each step (each runs in a fresh process: its own
   peak and its children's, dbt's);
8. the usual way: `devdata.usual_way` (pandas alone, reading every file) at
   the same sizes.

It writes `docs/benchmarks.md` (`--out`) with the command, the machine and,
for each figure, the median of `--repeats` runs with min-max (one run for the
largest size, said so), issue 23's targets each met or not, and the figures
beside those the file held before (`--before`). `--smoke` runs the same code at a tiny size into a
temporary file: `make test` runs it so the benchmark cannot rot. Nothing is
asserted here; it reports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable, Sequence

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FORCE = "metropolitan"
RATE_LIMIT_PER_S = 15  # police.uk's published limit (bursts of 30)
LATENCY_S = 0.5  # a police.uk stops-force answer's usual wait, added by the mirror to every answer


# --------------------------------------------------------------------------- running a step in its own process
def _peaks() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_mib": own, "children_peak_mib": children}


def in_fresh_process(fn: Callable[..., dict], *args) -> dict:
    """Run fn(*args) in a new interpreter; its result plus the process's own and its children's peak RSS."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_measured, fn, *args).result()


def in_warm_fork(fn: Callable[..., dict], *args) -> dict:
    """Run fn(*args) in a process forked from a warm worker, one that imported `warehouse.worker_preload`
    first: what the deployed Celery worker does before it forks each task (decision 0044)."""
    context = get_context("forkserver")
    context.set_forkserver_preload(["warehouse.worker_preload"])
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_measured, fn, *args).result()


def _measured(fn: Callable[..., dict], *args) -> dict:
    import logging

    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    result = fn(*args)
    return {**result, "wall_s": time.perf_counter() - started, **_peaks()}


# --------------------------------------------------------------------------- data
def make_root(root: Path, months: Sequence[str], scale: float, forces: int = 1) -> dict:
    """One force: the Met's API months; several: every force's archive zips. The sample's census and boundaries beside them."""
    from devdata import sample
    from devdata import scale as national

    if forces == 1:
        summary = national.generate(root, forces=[FORCE], months=list(months), formats=("api",), scale=scale)
    else:
        summary = national.generate(root, forces=forces, months=list(months), formats=("archive",), scale=scale)
    sample.write_reference(root)
    return summary


def month_files(root: Path, months: Sequence[str], national: bool = False) -> list[Path]:
    """The files the months are read from: the Met's API answers, or the archive's monthly zips."""
    if national:
        return [root / "police_uk" / "archive" / f"{m}.zip" for m in months]
    return [root / "police_uk" / "stops-force" / FORCE / f"{m}.json" for m in months]


def _settings(home: Path, server, national: bool = False) -> Any:
    from devdata.mirror import source_environment
    from ingest.core.config import get_settings

    scope = {"POLICE_UK_SCOPE": "national", "POLICE_UK_ARCHIVE_URL": server.url_for("police_uk/archive") + "/"} if national else {}
    return get_settings({**os.environ, "MAPWH_HOME": str(home), **source_environment(server), **scope})


# --------------------------------------------------------------------------- steps (each in a fresh process)
def step_ingest(home: str, root: str, months: list[str], reference: bool, latency_s: float = 0.0,
                national: bool = False) -> dict:
    """Load the months in sequence (as one pool slot runs its tasks), and the reference sources first if asked."""
    from devdata.mirror import serve
    from ingest import registry
    from warehouse import pipeline

    with serve(Path(root), latency_s=latency_s) as server:
        settings = _settings(Path(home), server, national)
        if reference:
            for name in ("census_population", "london_boundaries"):
                pipeline.load(settings, registry.get(name))
        source = registry.get("police_uk_stop_search")
        records, started = 0, time.perf_counter()
        gx_import_s = _import_gx()  # inside the clock, as in every fresh task process; timed alone for the profile
        for month in months:
            records += sum(c.get("rows") or 0 for c in pipeline.load_period(settings, source, month))
        return {"records": records, "seconds": time.perf_counter() - started, "gx_import_s": gx_import_s}


def _import_gx() -> float:
    """Seconds to import Great Expectations (0 when this process has it already)."""
    started = time.perf_counter()
    import great_expectations  # noqa: F401

    return time.perf_counter() - started


def _warm() -> None:
    import great_expectations  # noqa: F401 - the slowest import of a load, done before timing

    from warehouse import pipeline  # noqa: F401


def _fetch_months(root: str, months: list[str], latency_s: float, workers: int, national: bool = False) -> float:
    """The request path alone: availability, then every month's API answer (or every month's archive zip), `workers` at a time."""
    from concurrent.futures import ThreadPoolExecutor

    from devdata.mirror import serve
    from ingest import police_uk
    from ingest.core import http

    with tempfile.TemporaryDirectory() as home, serve(Path(root), latency_s=latency_s) as server:
        settings = _settings(Path(home), server, national)
        started = time.perf_counter()
        if national:
            locations = [police_uk.month_archive_candidates(settings, m)[0].split("!", 1)[0] for m in months]
        else:
            http.fetch(settings, police_uk.availability_url(settings))
            locations = [police_uk.month_url(settings, m) for m in months]
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda loc: http.fetch(settings, loc), locations))
        return time.perf_counter() - started


def step_backfill(home: str, root: str, months: list[str], latency_s: float, national: bool = False) -> dict:
    """A live backfill against the mirror answering with `latency_s`, as many loads at once as the
    `police_uk_api` pool has slots, beside the floor the 15 requests/s limit sets for its requests."""
    from ingest import registry

    workers = registry.get("police_uk_stop_search").pool.slots
    # the availability list, then one answer per month; the archive: one zip per month
    requests = len(months) + (0 if national else 1)
    fetch_s = _fetch_months(root, months, latency_s, workers, national)
    shares = [months[i::workers] for i in range(workers)]
    # the workers are started and have imported the pipeline before the clock starts, as Airflow's are
    with get_context("spawn").Pool(workers, initializer=_warm) as pool:
        pool.map(time.sleep, [0.2] * workers * 2)
        started = time.perf_counter()
        results = pool.starmap(step_ingest, [(home, root, share, False, latency_s, national) for share in shares], chunksize=1)
        seconds = time.perf_counter() - started
    return {"requests": requests, "floor_s": requests / RATE_LIMIT_PER_S, "latency_s": latency_s, "workers": workers,
            "fetch_s": fetch_s, "seconds": seconds, "records": sum(r["records"] for r in results)}


def step_airflow_overhead(root: str, month: str, direct: bool = True) -> dict:
    """`mapwh run` (the real DAGs through `dag.test()`) for one month, minus the same work called directly
    (`direct=False`, in the smoke run: the DAGs only, since the direct work is the steps measured elsewhere)."""
    import subprocess

    from devdata.mirror import serve, source_environment
    from ingest.core.config import get_settings
    from warehouse import build, report

    with tempfile.TemporaryDirectory() as tmp, serve(Path(root)) as server:
        env = {**os.environ, **source_environment(server), "AIRFLOW_HOME": f"{tmp}/airflow",
               "MAPWH_HOME": f"{tmp}/cli", "MAPWH_TASK_RETRIES": "0"}
        mapwh = str(Path(sys.executable).parent / "mapwh")
        subprocess.run([mapwh, "setup"], env=env, check=True, capture_output=True)  # noqa: S603 - the venv's CLI
        started = time.perf_counter()
        run = subprocess.run([mapwh, "run", "--sources", "stop_search,reference_data", "--from", month, "--to", month],  # noqa: S603
                             env=env, capture_output=True, text=True)
        dag_s = time.perf_counter() - started
        if run.returncode != 0:
            raise RuntimeError(f"mapwh run failed:\n{run.stdout[-3000:]}")
        if not direct:
            return {"dag_s": dag_s, "work_s": None, "overhead_s": None}
        settings = get_settings({**env, "MAPWH_HOME": f"{tmp}/direct"})
        started = time.perf_counter()
        step_ingest(str(settings.home), root, [month], True)
        build.build_and_publish(settings)
        report.write_report(settings)  # the build DAG renders it too
        work_s = time.perf_counter() - started
    return {"dag_s": dag_s, "work_s": work_s, "overhead_s": dag_s - work_s}


def unpack_archives(zips: list[str], out: Path) -> list[str]:
    """Every member of the archive zips as a file under `out`, for the scans that cannot read a zip."""
    import zipfile

    files = []
    for path in zips:
        with zipfile.ZipFile(path) as zf:
            for name in sorted(zf.namelist()):
                target = out / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(name))
                files.append(str(target))
    return files


def step_bare_scan(files: list[str]) -> dict:
    """DuckDB reading every field of the files (JSON arrays, or CSVs), kept in a table."""
    import duckdb

    con = duckdb.connect()
    # every field read and kept (a count alone would let DuckDB skip parsing the fields)
    if files[0].endswith(".csv"):
        # every field as text, as the raw zone keeps it (a typed read is slower: about 6x on these files,
        # most of it parsing the dates with their offsets, so it would flatter the pipeline)
        sql = "create or replace temp table scanned as select * from read_csv(?, header = true, all_varchar = true)"
    else:
        sql = "create or replace temp table scanned as select * from read_json(?, format = 'array', records = true)"
    con.execute(sql, [files[:1]])  # warm: DuckDB loads its JSON reader on first use (about 1.5 s)
    started = time.perf_counter()
    con.execute(sql, [files])
    (records,) = con.execute("select count(*) from scanned").fetchone()
    return {"records": records, "seconds": time.perf_counter() - started}


def step_pandas_read(files: list[str]) -> dict:
    import pandas as pd

    started = time.perf_counter()
    if files[0].endswith(".csv"):
        frame = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True)
    else:
        frame = pd.concat([pd.json_normalize(json.loads(Path(f).read_bytes())) for f in files], ignore_index=True)
    return {"records": len(frame), "seconds": time.perf_counter() - started}


def step_build(home: str) -> dict:
    """The build DAG's steps one after the other (prepare, dbt, gates, publish, report), each timed; the
    profile beside them: dbt's own run of the nodes (its `elapsed_time`; the rest of dbt's time is its
    child's start-up and parse) and Great Expectations' import (inside the gates' time)."""
    from ingest.core.config import get_settings
    from warehouse import build, report

    settings = get_settings({**os.environ, "MAPWH_HOME": home})
    times = {}
    t = time.perf_counter()
    path = build.prepare(settings)
    times["prepare_s"] = time.perf_counter() - t
    t = time.perf_counter()
    build.run_dbt(settings, path)
    times["dbt_s"] = time.perf_counter() - t
    run_results = json.loads((settings.home / "dbt" / "target" / "run_results.json").read_text())
    t = time.perf_counter()
    gx_import_s = _import_gx()
    gated = len(build.gate_marts(settings, path))
    times["gates_s"] = time.perf_counter() - t
    t = time.perf_counter()
    published = build.publish(settings, path)
    times["publish_s"] = time.perf_counter() - t
    t = time.perf_counter()
    report.write_report(settings, db_path=published)
    times["report_s"] = time.perf_counter() - t
    import duckdb

    con = duckdb.connect(str(published), read_only=True)
    try:
        mode = con.execute("select mode from audit.build").fetchone()[0]
        nodes = dict(con.execute("select resource_type, count(*) from audit.dbt_nodes group by 1").fetchall())
    finally:
        con.close()
    return {**times, "seconds": sum(times.values()), "file_mb": published.stat().st_size / 1e6, "mode": mode,
            "dbt_nodes": nodes, "marts_gated": gated, "dbt_nodes_s": run_results["elapsed_time"],
            "gx_import_s": gx_import_s}


def step_nothing_new(home: str) -> dict:
    """A build asked for when the published one already holds every serving batch (an Asset event for a batch
    already built): it should stop in prepare, publishing nothing (decision 0042)."""
    from ingest.core.config import get_settings
    from warehouse import build
    from warehouse.selection import NothingNew

    settings = get_settings({**os.environ, "MAPWH_HOME": home})
    publications = (settings.audit_dir / "publications.jsonl").read_text()
    t = time.perf_counter()
    try:
        build.build_and_publish(settings)
        outcome = "built and published"
    except NothingNew:
        outcome = "nothing new"
    seconds = time.perf_counter() - t
    published = (settings.audit_dir / "publications.jsonl").read_text() != publications
    return {"seconds": seconds, "outcome": outcome, "published": published}


def step_usual_way(root: str, months: list[str], national: bool = False) -> dict:
    """The pandas script on the same files (from the archive zips it reads the Met's members: the London figures)."""
    from devdata import sample, usual_way

    started = time.perf_counter()
    frame = usual_way.compute([str(f) for f in month_files(Path(root), months, national)], str(Path(root) / sample.CENSUS_PATH),
                              str(PROJECT_ROOT / "dbt_project" / "seeds"))
    return {"rows": len(frame), "seconds": time.perf_counter() - started}


DASHBOARD_QUERIES = {
    "disproportionality, London, latest 12 windows": (
        "select * from marts.stop_search_disproportionality where area = 'London' and ethnicity_basis = 'self_defined' "
        "order by period_end desc limit 72"),
    "monthly searches by borough, one year": (
        "select month, borough, sum(searches) as searches from marts.stop_search_monthly "
        "where month >= (select max(month) from marts.stop_search_monthly) - interval '11 months' group by 1, 2 order by 1, 2"),  # both dialects
    "searches of one borough and group, every month": (
        "select month, searches, arrests from marts.stop_search_monthly where borough = 'Lambeth' "
        "and ethnicity_basis = 'self_defined' and ethnic_group = 'Black' order by month"),
    "the scorecard": "select * from marts.action_plan_scorecard order by commitment_id",
    "one stop's record": "select * from marts.fct_stop_search where stop_id = (select min(stop_id) from marts.fct_stop_search)",
}


def _latencies(run: Callable[[str], None], repeats: int) -> dict[str, list[float]]:
    out = {}
    for name, sql in DASHBOARD_QUERIES.items():
        run(sql)  # warm
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            run(sql)
            times.append((time.perf_counter() - t) * 1000)
        out[name] = times
    return out


def step_dashboard(home: str, repeats: int) -> dict:
    import duckdb

    from ingest.core.config import get_settings

    settings = get_settings({**os.environ, "MAPWH_HOME": home})
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    result: dict[str, Any] = {"duckdb": _latencies(lambda sql: con.execute(sql).fetchall(), repeats)}
    con.close()
    from devdata.pgserver import Cluster, server_bindir

    bindir = server_bindir()
    if bindir is None:
        result["postgres"] = None
        return result
    from warehouse import serve_pg

    import psycopg

    with Cluster(bindir) as cluster:
        serve_pg.publish(get_settings({**os.environ, "MAPWH_HOME": home, "MAPWH_PG_DSN": cluster.dsn()}))
        with psycopg.connect(cluster.dsn(), autocommit=True) as pg:
            result["postgres"] = _latencies(lambda sql: pg.execute(sql).fetchall(), repeats)
    return result


# --------------------------------------------------------------------------- the report
def _spread(values: Sequence[float], fmt: str = "{:.1f}") -> str:
    if len(values) == 1:
        return fmt.format(values[0]) + " (1 run)"
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def _seconds(runs: Sequence[dict], key: str = "seconds") -> list[float]:
    return [r[key] for r in runs]


def _full_refresh(size: dict) -> list[float]:
    """Ingest + build of each run at one size."""
    return [i["seconds"] + b["seconds"] for i, b in zip(size["ingest"], size["build"])]


def _percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def _machine() -> str:
    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    import duckdb
    import pandas

    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, {mem / 1024 / 1024:.0f} GiB memory; "
            f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, pandas {pandas.__version__}")


def run(sizes: list[dict], repeats: int, out: Path, command: str, dashboard_repeats: int,
        before: dict | None = None) -> dict:
    lines: list[str] = []
    figures: dict[str, Any] = {"sizes": []}
    with tempfile.TemporaryDirectory(prefix="mapwh-bench-") as tmp:
        for size in sizes:
            name, months, scale = size["name"], size["months"], size["scale"]
            national = size.get("forces", 1) > 1
            root = Path(tmp) / f"data-{name}"
            t = time.perf_counter()
            summary = make_root(root, months + [size["next_month"]], scale, size.get("forces", 1))
            generated_s = time.perf_counter() - t
            files = [str(f) for f in month_files(root, months, national)]
            if national:  # the scans read the CSVs the zips hold; the pipeline reads the zips
                files = unpack_archives(files, Path(tmp) / f"unpacked-{name}")
            mb = sum(Path(f).stat().st_size for f in files) / 1e6
            runs = repeats if size.get("repeat", True) else 1
            ingest, builds, scans, pandas_reads, usual = [], [], [], [], []
            for i in range(runs):
                home = Path(tmp) / f"home-{name}-{i}"
                ingest.append(in_fresh_process(step_ingest, str(home), str(root), months, True, 0.0, national))
                builds.append(in_fresh_process(step_build, str(home)))
                scans.append(in_fresh_process(step_bare_scan, files))
                pandas_reads.append(in_fresh_process(step_pandas_read, files))
                usual.append(in_fresh_process(step_usual_way, str(root), months, national))
            backfill = in_fresh_process(step_backfill, str(Path(tmp) / f"backfill-{name}"), str(root), months,
                                        0.0 if size.get("smoke") else LATENCY_S, national)
            if not figures.get("airflow") and not national:
                figures["airflow"] = {"size": size["label"], "month": months[-1],
                                      **in_fresh_process(step_airflow_overhead, str(root), months[-1],
                                                         not size.get("smoke"))}
            home = Path(tmp) / f"home-{name}-0"
            nothing_new = in_fresh_process(step_nothing_new, str(home))  # the first build asked for again
            # the same one-month refresh, its steps forked from a warm worker, in the same home (at another
            # path dbt's partial parse would not hold: its profile names the path), which is then put back as
            # it was for the refresh in fresh processes
            kept = Path(tmp) / f"home-{name}-kept"
            shutil.copytree(home, kept, symlinks=True)
            warm_load = in_warm_fork(step_ingest, str(home), str(root), [size["next_month"]], False, 0.0, national)
            # the smoke size forks the load alone (make test has a budget); its figures are not the point
            warm_build = None if size.get("smoke") else in_warm_fork(step_build, str(home))
            shutil.rmtree(home)
            kept.rename(home)
            refresh_load = in_fresh_process(step_ingest, str(home), str(root), [size["next_month"]], False, 0.0, national)
            # the smoke size skips the second build: the same step_build ran above, and make test has a budget
            refresh_build = builds[0] if size.get("smoke") else in_fresh_process(step_build, str(home))
            dashboard = in_fresh_process(step_dashboard, str(home), dashboard_repeats)
            records = ingest[0]["records"]
            figures["sizes"].append({"size": size, "records": records, "mb": mb, "generated_s": generated_s,
                                     "ingest": ingest, "build": builds, "bare_scan": scans, "pandas_read": pandas_reads,
                                     "usual_way": usual, "refresh_load": refresh_load, "refresh_build": refresh_build,
                                     "nothing_new": nothing_new, "warm_load": warm_load, "warm_build": warm_build,
                                     "dashboard": dashboard, "backfill": backfill, "generator": summary})
    lines += _render(figures, command, before)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    return figures


# --------------------------------------------------------------------------- targets, and the run before
def previous_figures(path: Path) -> dict | None:
    """The raw figures an earlier run wrote into `path` (its JSON block), with the date it was written."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    written = re.search(r"on (\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC)", text)
    block = text.partition("Raw figures (JSON):")[2]
    start = block.find("```json")
    end = block.find("```", start + len("```json"))
    if start < 0 or end < 0:
        return None
    try:
        figures = json.loads(block[start + len("```json"):end])
    except ValueError:
        return None
    return {**figures, "written": written.group(1) if written else "an earlier run"}


def _summary(figures: dict) -> dict[str, dict[str, float]]:
    """The figures the targets speak of, per size label (medians where there are several runs)."""
    out: dict[str, dict[str, float]] = {}
    for f in figures.get("sizes", []):
        ingest, bare, usual = (statistics.median(_seconds(f[k])) for k in ("ingest", "bare_scan", "usual_way"))
        full = statistics.median(_full_refresh(f))
        refresh = f["refresh_load"]["seconds"] + f["refresh_build"]["seconds"]
        peaks = [*_seconds(f["ingest"], "peak_mib"), *_seconds(f["build"], "peak_mib"),
                 *_seconds(f["build"], "children_peak_mib")]
        new = f.get("nothing_new")
        warm_load, warm_build = f.get("warm_load"), f.get("warm_build")
        warm = warm_load["seconds"] + warm_build["seconds"] if warm_load and warm_build else float("nan")
        out[f["size"]["label"]] = {
            "warm_refresh_s": warm, "warm_vs_usual": usual / warm,
            "ingest_s": ingest, "ingest_ratio": bare / ingest, "full_s": full, "full_x_bare": full / bare,
            "refresh_s": refresh, "refresh_vs_usual": usual / refresh, "usual_s": usual, "peak_mib": max(peaks),
            "nothing_new_s": new["seconds"] if new else float("nan"),
            "nothing_new_published": bool(new and new["published"]),
        }
    return out


def _targets(figures: dict) -> list[str]:
    """Issue 23's targets, each met or not on this run's figures (`not measured` when the size was not run)."""
    s, a = _summary(figures), figures.get("airflow") or {}

    def row(target: str, size: str, key: str, ok, shown, cold_key: str | None = None) -> str:
        """Judged on `key`; with `cold_key`, on the warm worker the deployment runs (decision 0044), the
        fresh-process figure beside it."""
        if size not in s or s[size][key] != s[size][key]:
            return f"| {target} | {size} | not measured | – |"
        value = s[size][key]
        text = shown(value) + (f" with a warm worker; {shown(s[size][cold_key])} in fresh processes" if cold_key else "")
        return f"| {target} | {size} | {text} | {'met' if ok(value) else '**not met**'} |"

    met1, nat1, met10 = "the Met, 1 year", "43 forces, 1 year (bulk archive)", "the Met, 10 years"
    lines = ["| target | size | this run | |", "|---|---|---|---|"]
    for size in (met1, met10, nat1):
        lines.append(row("one-month refresh (load, build, gates, publish, report) within 5 s", size, "warm_refresh_s",
                         lambda v: v <= 5, lambda v: f"{v:.1f} s", "refresh_s"))
    lines.append(row("one-month refresh at ten years at least 3.5× faster than the pandas script", met10,
                     "warm_vs_usual", lambda v: v >= 3.5, lambda v: f"{v:.2f}× as fast", "refresh_vs_usual"))
    for size in (met1, nat1):
        lines.append(row("one-month refresh at one year within 3× of the pandas script", size, "warm_vs_usual",
                         lambda v: v >= 1 / 3, lambda v: f"{1 / v:.1f}× its time", "refresh_vs_usual"))
    if a.get("work_s"):
        ratio = a["dag_s"] / a["work_s"]
        lines.append(f"| `mapwh run` for one month within 2× the work inside it | {a['size']} | {a['dag_s']:.1f} s "
                     f"against {a['work_s']:.1f} s: {ratio:.2f}× | {'met' if ratio <= 2 else '**not met**'} |")
    else:
        lines.append("| `mapwh run` for one month within 2× the work inside it | – | not measured | – |")
    lines.append(row("ingest at least 0.25× the bare-scan speed", nat1, "ingest_ratio", lambda v: v >= 0.25,
                     lambda v: f"{v:.3f}×"))
    lines.append(row("full refresh within 10× one bare scan", met10, "full_x_bare", lambda v: v <= 10,
                     lambda v: f"{v:.0f}×"))
    lines.append(row("peak memory within 4 GB", met10, "peak_mib", lambda v: v <= 4096, lambda v: f"{v:,.0f} MiB"))
    for size in (met1, nat1, met10):
        if size in s:
            new, published = s[size]["nothing_new_s"], s[size]["nothing_new_published"]
            lines.append(f"| a build with nothing new under 2 s, publishing nothing | {size} | {new:.2f} s"
                         f"{', published' if published else ', nothing published'} | "
                         f"{'met' if new < 2 and not published else '**not met**'} |")
    return lines


def _before_after(figures: dict, before: dict | None) -> list[str]:
    if not before:
        return ["No earlier figures to compare with."]
    now, then = _summary(figures), _summary(before)
    lines = [f"Before: the figures `docs/benchmarks.md` held when this run started (written {before['written']});",
             "after: this run. Ratios compare within each run (this machine's speed varies up to 2× between days).",
             "", "| size | figure | before | after |", "|---|---|---|---|"]
    shown = [("ingest s", "ingest_s", "{:.1f}"), ("ingest speed / bare scan", "ingest_ratio", "{:.3f}×"),
             ("full refresh s", "full_s", "{:.1f}"), ("full refresh × bare scan", "full_x_bare", "{:.0f}×"),
             ("one-month refresh s (fresh processes)", "refresh_s", "{:.1f}"),
             ("one-month refresh s (a warm worker)", "warm_refresh_s", "{:.1f}"),
             ("one-month refresh against the pandas script", "refresh_vs_usual", "{:.2f}× as fast"),
             ("a build with nothing new s", "nothing_new_s", "{:.2f}")]
    for size, after in now.items():
        earlier = then.get(size, {})
        for label, key, fmt in shown:
            old = earlier.get(key)
            old_text = fmt.format(old) if old is not None and old == old else "–"
            new_text = fmt.format(after[key]) if after[key] == after[key] else "–"
            lines.append(f"| {size} | {label} | {old_text} | {new_text} |")
    a, b = figures.get("airflow") or {}, before.get("airflow") or {}
    if a.get("work_s"):
        old = f"{b['dag_s']:.1f} s / {b['work_s']:.1f} s" if b.get("work_s") else "–"
        lines.append(f"| {a['size']} | `mapwh run` one month / the work inside | {old} | {a['dag_s']:.1f} s / {a['work_s']:.1f} s |")
    lines += ["", "Before, the build's figures had no report step (the report ran after the build and was not timed)."]
    return lines


def _render(figures: dict, command: str, before: dict | None = None) -> list[str]:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{command}` on {now}. Machine: {_machine()}.",
        "Data: SYNTHETIC police.uk stop and search from `devdata.scale`: the Met's `stops-force` API months, and every",
        "force's bulk-archive months loaded with `POLICE_UK_SCOPE=national` (one batch a month holding all 43 forces;",
        "the London marts count the Met's records, `stop_search_by_force` every force's: decision 0026). Sizes are in",
        "records. Each figure is the median of the runs with min–max in brackets; every step runs in a fresh process,",
        "and its peak memory is that process's maximum resident set (dbt's child apart). For the archive, the bare",
        "scans and pandas read the CSVs the zips hold (unpacked before the clock starts), every field as text, as the",
        "raw zone keeps it (`read_csv(all_varchar = true)`, `pandas.read_csv(dtype=str)`); the pipeline reads the zips.",
        "",
        "## Targets (issue 23)",
        "",
        *_targets(figures),
        "",
        "## Before and after",
        "",
        *_before_after(figures, before),
        "",
        "## 1. Ingest: the pipeline against a bare scan of the same files",
        "",
        "| size | records | MB read | pipeline s | records/s | MB/s | DuckDB read_json s | ratio (pipeline/bare speed) | json.load+pandas s | peak MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in figures["sizes"]:
        ingest, bare = _seconds(f["ingest"]), _seconds(f["bare_scan"])
        ratio = statistics.median(bare) / statistics.median(ingest)
        lines.append(f"| {f['size']['label']} | {f['records']:,} | {f['mb']:.0f} | {_spread(ingest)} | "
                     f"{f['records'] / statistics.median(ingest):,.0f} | {f['mb'] / statistics.median(ingest):.1f} | "
                     f"{_spread(bare, '{:.2f}')} | {ratio:.3f}× | {_spread(_seconds(f['pandas_read']))} | "
                     f"{max(_seconds(f['ingest'], 'peak_mib')):,.0f} |")
    lines += [
        "",
        "## 2. Full refresh: ingest, then prepare + dbt build + mart gates + publish + report",
        "",
        "| size | records | ingest s | prepare s | dbt s | gates s | publish s | report s | full refresh s | × bare scan | file MB | peak MiB (build / dbt child) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in figures["sizes"]:
        b, full = f["build"], _full_refresh(f)
        steps = " | ".join(_spread(_seconds(b, key)) for key in ("prepare_s", "dbt_s", "gates_s", "publish_s", "report_s"))
        lines.append(
            f"| {f['size']['label']} | {f['records']:,} | {_spread(_seconds(f['ingest']))} | {steps} | {_spread(full)} | "
            f"{statistics.median(full) / statistics.median(_seconds(f['bare_scan'])):,.0f}× | "
            f"{b[0]['file_mb']:.0f} | {max(_seconds(b, 'peak_mib')):,.0f} / {max(_seconds(b, 'children_peak_mib')):,.0f} |")
    lines += [
        "",
        "## 3. One-month refresh on top of the history (load one more month, rebuild)",
        "",
        "The build runs the dbt models downstream of what changed and gates the marts it rebuilt (decision 0042);",
        "*nothing new* is the full build asked for again (an Asset event for batches the published build holds).",
        "",
        "| history | build mode | load s | prepare s | dbt s | dbt nodes (models / tests) | gates s | marts gated | report s | build s | total s | vs the usual way at this size | nothing new s | peak MiB (build / dbt child) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in figures["sizes"]:
        r = f["refresh_build"]
        total = f["refresh_load"]["seconds"] + r["seconds"]
        usual = statistics.median(_seconds(f["usual_way"]))
        nodes = r["dbt_nodes"]
        new = f["nothing_new"]
        new_text = f"{new['seconds']:.2f} ({new['outcome']}{', published' if new['published'] else ''})"
        lines.append(f"| {f['size']['label']} | {r.get('mode', '?')} | {f['refresh_load']['seconds']:.1f} | {r['prepare_s']:.1f} | "
                     f"{r['dbt_s']:.1f} | {nodes.get('model', 0)} / {nodes.get('test', 0)} | {r['gates_s']:.1f} | "
                     f"{r['marts_gated']} | {r['report_s']:.1f} | {r['seconds']:.1f} | {total:.1f} | {usual / total:.2f}× as fast | "
                     f"{new_text} | {r['peak_mib']:,.0f} / {r['children_peak_mib']:,.0f} |")
    lines += [
        "",
        "The same refresh with each step forked from a warm worker, one that imported `warehouse.worker_preload`",
        "(Great Expectations, the pipeline, the report's charting) before forking: what the deployed Celery worker",
        "does (decision 0044). It ran in the same home, then put back as it was for the table above.",
        "",
        "| history | load s | prepare s | dbt s | gates s | publish + report s | build s | total s | vs the usual way | saved against the fresh processes |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in figures["sizes"]:
        load, w = f.get("warm_load"), f.get("warm_build")
        if not load or not w:
            lines.append(f"| {f['size']['label']} | {load['seconds']:.1f} | – | – | – | – | – | – | – | – |" if load else
                         f"| {f['size']['label']} | not measured | – | – | – | – | – | – | – | – |")
            continue
        total = load["seconds"] + w["seconds"]
        cold = f["refresh_load"]["seconds"] + f["refresh_build"]["seconds"]
        usual = statistics.median(_seconds(f["usual_way"]))
        lines.append(f"| {f['size']['label']} | {load['seconds']:.1f} | {w['prepare_s']:.1f} | {w['dbt_s']:.1f} | "
                     f"{w['gates_s']:.1f} | {w['publish_s'] + w['report_s']:.1f} | {w['seconds']:.1f} | {total:.1f} | "
                     f"{usual / total:.2f}× as fast | {cold - total:.1f} s |")
    lines += [
        "",
        f"## 4. Live backfill against the mirror ({LATENCY_S:g} s added to every answer), 4 loads at once (the `police_uk_api` pool)",
        "",
        f"The floor is what police.uk's limit of {RATE_LIMIT_PER_S} requests/s allows for the backfill's requests (the",
        "availability list and one answer per month; from the archive, one zip per month, every force in it: the API",
        "would take 43 answers a month). *Requests only* fetches the same answers with the same concurrency and does",
        "nothing with them; *backfill* loads each month (fetch, land, parse, gate, commit).",
        "",
        "| size | months | requests | floor s | requests only s | × floor | backfill s | × floor | records/s | peak MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in figures["sizes"]:
        b = f["backfill"]
        lines.append(f"| {f['size']['label']} | {len(f['size']['months'])} | {b['requests']} | {b['floor_s']:.1f} | "
                     f"{b['fetch_s']:.1f} | {b['fetch_s'] / b['floor_s']:.2f}× | {b['seconds']:.1f} | "
                     f"{b['seconds'] / b['floor_s']:.1f}× | {b['records'] / b['seconds']:,.0f} | {b['peak_mib']:,.0f} |")
    a = figures.get("airflow")
    if a:
        lines += [
            "",
            "## 5. Airflow overhead: `mapwh run` (the real DAGs through `dag.test()`) minus the same work called directly",
            "",
            f"One month ({a['month']}) of {a['size']} and the reference sources: their DAGs, then the build DAG, as `mapwh run",
            "--sources stop_search,reference_data` runs them (a fresh process: Python and Airflow start-up, DAG parsing, task instances in the",
            "metadata database), against `pipeline.load_period` + `build.build_and_publish` in a process already running.",
            "",
            "| DAG runs s | the work inside s | overhead s |",
            "|---|---|---|",
            f"| {a['dag_s']:.1f} | {a['work_s'] or 0:.1f} | {a['overhead_s'] or 0:.1f} |",
        ]
    lines += [
        "",
        "## 6. Dashboard queries (ms; p50 / p95 of the repeats, after one warm-up)",
        "",
        "| size | query | DuckDB p50 | DuckDB p95 | PostgreSQL p50 | PostgreSQL p95 |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures["sizes"]:
        d = f["dashboard"]
        for q, times in d["duckdb"].items():
            pg = (d.get("postgres") or {}).get(q)
            pg_cells = f"{_percentile(pg, .5):.2f} | {_percentile(pg, .95):.2f}" if pg else "– | –"
            lines.append(f"| {f['size']['label']} | {q} | {_percentile(times, .5):.2f} | {_percentile(times, .95):.2f} | {pg_cells} |")
    lines += [
        "",
        "## 7. Profile of the one-month refresh: the fixed costs of fresh processes, and the work",
        "",
        "The refresh of section 3 in fresh processes (a cold worker: each task imports what it needs; the warm",
        "worker of decision 0044 imports Great Expectations once, section 3's second table). *GX import* is Great",
        "Expectations' own import (about 2.6 s of it scipy, altair and SQLAlchemy, which it imports whatever it",
        "validates), paid by the load and again by the gates; *dbt start-up* is the dbt child's time outside its run of the nodes (Python and dbt's imports, the",
        "adapter, partial parse, the manifest); *dbt nodes* is dbt's own `elapsed_time` for the selected models and",
        "data tests. *Work* is what is left.",
        "",
        "| history | load: GX import s | load: work s | prepare s | dbt start-up s | dbt nodes s | gates: GX import s | gates: work s | publish + report s | fixed costs / total |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in figures["sizes"]:
        load, r = f["refresh_load"], f["refresh_build"]
        total = load["seconds"] + r["seconds"]
        fixed = load["gx_import_s"] + (r["dbt_s"] - r["dbt_nodes_s"]) + r["gx_import_s"]
        lines.append(f"| {f['size']['label']} | {load['gx_import_s']:.1f} | {load['seconds'] - load['gx_import_s']:.1f} | "
                     f"{r['prepare_s']:.1f} | {r['dbt_s'] - r['dbt_nodes_s']:.1f} | {r['dbt_nodes_s']:.1f} | "
                     f"{r['gx_import_s']:.1f} | {r['gates_s'] - r['gx_import_s']:.1f} | "
                     f"{r['publish_s'] + r['report_s']:.1f} | {fixed:.1f} / {total:.1f} s |")
    lines += [
        "",
        "## 8. The usual way: one pandas script reading every file (London rows of stop_search_disproportionality)",
        "",
        "| size | pandas script s | peak MiB | warehouse full refresh s | warehouse / pandas time |",
        "|---|---|---|---|---|",
    ]
    for f in figures["sizes"]:
        usual, full = _seconds(f["usual_way"]), _full_refresh(f)
        lines.append(f"| {f['size']['label']} | {_spread(usual)} | {max(_seconds(f['usual_way'], 'peak_mib')):,.0f} | "
                     f"{_spread(full)} | {statistics.median(full) / statistics.median(usual):.2f} |")
    lines += ["", "Raw figures (JSON):", "", "```json", json.dumps(figures, indent=1, default=str), "```"]
    return lines


def sizes_for(smoke: bool, largest: bool) -> list[dict]:
    from ingest.core import periods

    def months(last: str, n: int) -> list[str]:
        return periods.month_range(periods.add_months(last, 1 - n), last)

    if smoke:
        return [{"name": "smoke", "label": "smoke: 2 months, 2% of the Met", "months": months("2024-11", 2),
                 "next_month": "2024-12", "scale": 0.02, "smoke": True},
                {"name": "smoke-national", "label": "smoke: 2 months of the archive, 3 forces, 1%", "months": months("2024-11", 2),
                 "next_month": "2024-12", "scale": 0.01, "forces": 3, "smoke": True}]
    sizes = [
        {"name": "met-1y", "label": "the Met, 1 year", "months": months("2023-12", 12), "next_month": "2024-01", "scale": 1.0},
        {"name": "national-1y", "label": "43 forces, 1 year (bulk archive)", "months": months("2023-12", 12),
         "next_month": "2024-01", "scale": 1.0, "forces": 43, "repeat": False},
        {"name": "met-10y", "label": "the Met, 10 years", "months": months("2023-12", 120), "next_month": "2024-01",
         "scale": 1.0, "repeat": False},
    ]
    return sizes if largest else sizes[:1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devdata.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure at the smaller sizes (default 3)")
    parser.add_argument("--smoke", action="store_true", help="a tiny size, one run: checks that the benchmark runs")
    parser.add_argument("--quick", action="store_true", help="the Met over one year only")
    parser.add_argument("--before", type=Path, help="the figures to compare with (default: what --out holds now)")
    args = parser.parse_args(argv)
    command = "python -m devdata.bench " + " ".join(argv if argv is not None else sys.argv[1:])
    sizes = sizes_for(args.smoke, not args.quick)
    before = previous_figures(args.before or args.out)
    figures = run(sizes, 1 if args.smoke else args.repeats, args.out, command.strip(), 5 if args.smoke else 50, before)
    for f in figures["sizes"]:
        print(f"{f['size']['label']}: {f['records']:,} records; ingest {f['ingest'][0]['seconds']:.1f}s, "
              f"build {f['build'][0]['seconds']:.1f}s, usual way {f['usual_way'][0]['seconds']:.1f}s")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
