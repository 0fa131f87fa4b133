"""`mapwh`: refresh the warehouse with the real DAGs, and say what it holds.

    mapwh run [--sources LIST] [--from YYYY-MM] [--to YYYY-MM] [--sample]
    mapwh status
    mapwh sample generate [DIR] | serve [DIR]

`run` executes the project's Airflow DAGs in-process with `dag.test()` (not
a parallel code path): one `stop_search` run per month, `reference_data`,
then `warehouse_build`, which in a deployed Airflow its Assets trigger.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

from warehouse.config import SOURCE_GROUPS, SOURCES, get_settings

log = logging.getLogger("mapwh")


def _say(message: str) -> None:
    print(message, flush=True)


def month_range(first: str, last: str) -> list[str]:
    start = date.fromisoformat(f"{first}-01")
    end = date.fromisoformat(f"{last}-01")
    if end < start:
        raise argparse.ArgumentTypeError(f"--to {last} is before --from {first}")
    months = []
    while start <= end:
        months.append(start.strftime("%Y-%m"))
        start = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return months


def _month_arg(value: str) -> str:
    try:
        datetime.strptime(value, "%Y-%m")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {value!r}") from exc
    return value


def parse_sources(value: str | None) -> list[str]:
    if not value:
        return list(SOURCES)
    chosen: list[str] = []
    for name in (part.strip() for part in value.split(",") if part.strip()):
        expanded = SOURCE_GROUPS.get(name, (name,))
        for source in expanded:
            if source not in SOURCES:
                raise argparse.ArgumentTypeError(
                    f"unknown source {name!r}; choose from {', '.join(SOURCES + tuple(SOURCE_GROUPS))}"
                )
            if source not in chosen:
                chosen.append(source)
    return chosen


# --------------------------------------------------------------------------- run
def _default_window(settings) -> tuple[str, str]:
    """The last 12 months the API has published (one availability request)."""
    from ingest import police_uk

    fetched = police_uk.fetch_availability(settings)
    months = police_uk.months_available(fetched.content, settings.police_uk_force, content_type=fetched.content_type)
    if not months:
        raise SystemExit(f"police.uk lists no stop-and-search months for {settings.police_uk_force}")
    last = months[-1]
    first_date = date.fromisoformat(f"{last}-01")
    for _ in range(11):
        first_date = date(first_date.year - (first_date.month == 1), (first_date.month - 2) % 12 + 1, 1)
    return first_date.strftime("%Y-%m"), last


def _next_month_start(month: str):
    import pendulum

    start = pendulum.datetime(int(month[:4]), int(month[5:]), 1, tz="Europe/London")
    return start.add(months=1)


def _run_dag(dag, label: str, **kwargs) -> str:
    started = time.monotonic()
    _say(f"  {label}: running ...")
    run = dag.test(**kwargs)
    state = str(getattr(run.state, "value", run.state))
    _say(f"  {label}: {state} in {time.monotonic() - started:.1f}s")
    for ti in run.get_task_instances():
        ti_state = str(getattr(ti.state, "value", ti.state))
        if ti_state != "success":
            _say(f"    {ti.task_id}: {ti_state}")
    return state


def cmd_run(args: argparse.Namespace) -> int:
    settings = get_settings()
    sources = parse_sources(args.sources)
    server = None
    if args.sample:
        server = _start_sample_mirror(settings)
        settings = get_settings()

    from warehouse import airflow_env

    airflow_env.configure(settings)
    if not args.verbose:
        os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    _say(f"mapwh run: MAPWH_HOME={settings.home}; sources: {', '.join(sources)}")
    airflow_env.ensure_metadata_db(settings)
    dags = airflow_env.load_dags()
    failures: list[str] = []
    loaded_something = False
    started = time.monotonic()
    try:
        if "stop_search" in sources:
            first, last = args.from_month, args.to_month
            if not (first and last):
                default_first, default_last = _default_window(settings)
                first, last = first or default_first, last or default_last
            months = month_range(first, last)
            _say(f"stop_search: {len(months)} month(s) {months[0]} .. {months[-1]} from {settings.police_uk_api_url}")
            for i, month in enumerate(months, 1):
                # A manual run covers the interval that ends at its logical date,
                # so the run for month M is dated the first day of M+1.
                state = _run_dag(dags["stop_search"], f"[{i}/{len(months)}] stop_search {month}", logical_date=_next_month_start(month))
                if state != "success":
                    failures.append(f"stop_search {month}")
                else:
                    loaded_something = True
                _say(f"    {_describe_period(settings, 'police_uk_stop_searches', month)}")
        for dag_id, members in (("reference_data", SOURCE_GROUPS["reference"]), ("pas", SOURCE_GROUPS["pas"])):
            chosen = [s for s in members if s in sources]
            if not chosen:
                continue
            state = _run_dag(dags[dag_id], f"{dag_id} ({', '.join(chosen)})", run_conf={"sources": chosen})
            if state != "success":
                failures.append(dag_id)
            else:
                loaded_something = True
        # In a deployed Airflow the build runs when a source Asset is updated,
        # which a failed or skipped load does not do; the CLI follows suit.
        if loaded_something or not settings.warehouse_path.exists():
            state = _run_dag(dags["warehouse_build"], "warehouse_build")
            if state != "success":
                failures.append("warehouse_build")
        else:
            _say("  warehouse_build: not run (no source was loaded; the published warehouse is unchanged)")
    finally:
        if server is not None:
            server.shutdown()
    _say(f"mapwh run finished in {time.monotonic() - started:.0f}s")
    if failures:
        _say("FAILED: " + "; ".join(failures) + f" (quarantine: {settings.quarantine_dir}; gate reports: {settings.audit_dir / 'reports'})")
        return 1
    _say(f"warehouse: {settings.warehouse_path}")
    return 0


def _describe_period(settings, table: str, period: str) -> str:
    from warehouse import validated

    current = validated.current(settings.validated_dir, table, period)
    if not current:
        return f"{period}: not loaded"
    warn = f"; warnings: {'; '.join(current.get('warnings') or [])}" if current.get("warnings") else ""
    return f"{period}: {current['status']}, {current['rows']:,} rows, sha256 {current['sha256'][:12]}{warn}"


def _start_sample_mirror(settings):
    """Generate the synthetic sample under MAPWH_HOME/sample and serve it on 127.0.0.1."""
    from ingest import mirror, sample

    out = settings.home / "sample"
    if not (out / "README.md").exists():
        _say(f"generating the SYNTHETIC offline sample in {out} ...")
        sample.generate(out)
    server = mirror.serve(out)
    _say(f"serving the synthetic sample at {server.base_url}")
    os.environ["POLICE_UK_API_URL"] = server.api_url
    archive = sorted((out / "police_uk" / "archive").glob("*/*-stop-and-search.csv"))
    os.environ["POLICE_UK_ARCHIVE_URL"] = ",".join(server.url_for(p.relative_to(out).as_posix()) for p in archive)
    os.environ["CENSUS_POPULATION_URL"] = server.url_for("census/census_2021_ethnic_group_8_categories_utla.csv")
    os.environ["LONDON_BOUNDARIES_URL"] = server.url_for("geo/london_boroughs.geojson")
    pas_dir = out / "pas"
    if pas_dir.exists():
        os.environ["PAS_DASHBOARD_URL"] = server.url_for("pas/PAS_T&Cdashboard_to Q3 23-24.xlsx")
        os.environ["PAS_NEIGHBOURHOOD_URL"] = server.url_for("pas/neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv")
        os.environ["PAS_MICRODATA_URL"] = ",".join(
            server.url_for(p.relative_to(out).as_posix()) for p in sorted((pas_dir / "microdata").glob("*.csv"))
        )
    return server


# --------------------------------------------------------------------------- status
def cmd_status(args: argparse.Namespace) -> int:
    from ingest.raw_zone import read_jsonl
    from warehouse import validated

    settings = get_settings()
    now = datetime.now(timezone.utc)
    gate_rows = read_jsonl(settings.audit_dir / "gate_results.jsonl")
    last_gate: dict[str, dict] = {}
    for row in gate_rows:
        last_gate[row["batch_id"]] = row
    current = validated.all_current(settings.validated_dir)
    if args.json:
        published = (
            datetime.fromtimestamp(settings.warehouse_path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
            if settings.warehouse_path.exists()
            else None
        )
        print(json.dumps({"warehouse": str(settings.warehouse_path), "published_at": published,
                          "loaded": current, "gates": gate_rows}, indent=1, default=str))
        return 0

    _say(f"MAPWH_HOME {settings.home}")
    if settings.warehouse_path.exists():
        published = datetime.fromtimestamp(settings.warehouse_path.stat().st_mtime, timezone.utc)
        _say(f"warehouse  {settings.warehouse_path} (published {published:%Y-%m-%d %H:%M} UTC, {_age(now - published)} ago)")
    else:
        _say("warehouse  not built yet (run `mapwh run`)")

    _say("\nloaded (serving batch per source and period):")
    pw = max([8, *(len(c["period"]) for c in current)])
    _say(f"  {'table':<26} {'period':<{pw}} {'status':<7} {'rows':>8}  {'sha256':<12}  {'loaded at (UTC)':<20} gate")
    for c in current:
        gate = last_gate.get(c["batch_id"])
        verdict = "-" if not gate else ("passed" if gate["success"] else "FAILED")
        if gate and gate.get("warnings"):
            verdict += f" ({len(gate['warnings'])} warning(s))"
        _say(
            f"  {c['table_name']:<26} {c['period']:<{pw}} {c['status']:<7} {c['rows']:>8,}  {c['sha256'][:12]:<12}  "
            f"{c['loaded_at'][:19]:<20} {verdict}"
        )
    stops = [c for c in current if c["table_name"] == "police_uk_stop_searches" and c["status"] == "loaded"]
    if stops:
        latest = max(stops, key=lambda c: c["period"])
        loaded_at = datetime.fromisoformat(latest["loaded_at"])
        _say(f"\nfreshness: latest stop-and-search month {latest['period']}, loaded {_age(now - loaded_at)} ago")
    for table in sorted({c["table_name"] for c in current} - {"police_uk_stop_searches"}):
        newest = max(datetime.fromisoformat(c["loaded_at"]) for c in current if c["table_name"] == table)
        _say(f"freshness: {table} last loaded {_age(now - newest)} ago")
    for source, quarter in _latest_pas_quarters(settings):
        _say(f"freshness: PAS {source} figures up to the quarter ending {quarter}")

    failed = [g for g in gate_rows if not g["success"]]
    quarantined = sorted(p for p in settings.quarantine_dir.glob("*/*/*") if p.is_dir()) if settings.quarantine_dir.exists() else []
    _say(f"\ngates: {len(gate_rows)} run, {len(failed)} failed")
    for g in failed[-5:]:
        _say(f"  FAILED {g['gate']} on {g['target']} at {g['evaluated_at']}: {(g['failures'] or ['?'])[0][:140]}")
    _say(f"quarantine: {len(quarantined)} batch(es) in {settings.quarantine_dir}")
    for q in quarantined[-5:]:
        _say(f"  {q.relative_to(settings.quarantine_dir)}")
    return 0


def _latest_pas_quarters(settings) -> list[tuple]:
    """Latest quarter end per PAS source in the published warehouse (none when not built)."""
    if not settings.warehouse_path.exists():
        return []
    import duckdb

    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    except duckdb.Error:
        return []
    try:
        return con.execute("select source, max(period_end) from marts.trust_confidence group by 1 order by 1").fetchall()
    except duckdb.Error:
        return []
    finally:
        con.close()


def _age(delta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400 * 2:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


# --------------------------------------------------------------------------- sample
def cmd_sample(args: argparse.Namespace) -> int:
    from ingest import mirror, sample

    settings = get_settings()
    out = Path(args.dir) if args.dir else settings.home / "sample"
    if args.action == "generate":
        summary = sample.generate(out)
        _say(f"SYNTHETIC sample written to {out}: {json.dumps(summary.get('records_per_month', {}))}")
        return 0
    server = mirror.serve(out, port=args.port)
    _say(f"serving {out} at {server.base_url} (API {server.api_url}); Ctrl-C stops")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mapwh", description="London policing accountability data warehouse")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="refresh the warehouse by running the Airflow DAGs in-process")
    run.add_argument("--sources", help=f"comma-separated: {', '.join(SOURCES)}, or 'reference' (default: all)")
    run.add_argument("--from", dest="from_month", type=_month_arg, help="first month YYYY-MM (default: 11 months before --to)")
    run.add_argument("--to", dest="to_month", type=_month_arg, help="last month YYYY-MM (default: the API's latest)")
    run.add_argument("--sample", action="store_true", help="generate and serve the synthetic offline sample on 127.0.0.1 and use it")
    run.add_argument("-v", "--verbose", action="store_true", help="show Airflow's task logs")
    run.set_defaults(func=cmd_run)

    status = sub.add_parser("status", help="what is loaded, gate results, freshness, quarantine")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)

    sample = sub.add_parser("sample", help="the synthetic offline sample")
    sample.add_argument("action", choices=["generate", "serve"])
    sample.add_argument("dir", nargs="?", help="default: $MAPWH_HOME/sample")
    sample.add_argument("--port", type=int, default=8765)
    sample.set_defaults(func=cmd_sample)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING)
    try:
        return args.func(args)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
        return 2


if __name__ == "__main__":
    sys.exit(main())
