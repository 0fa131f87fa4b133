"""`mapwh`: refresh the warehouse with the real DAGs, and say what it holds.

    mapwh run [--sources LIST] [--from YYYY-MM] [--to YYYY-MM] [-v]
    mapwh status [--periods] [--json]
    mapwh sources [--discover]

`run` executes the project's Airflow DAGs in-process with `dag.test()` (not
a parallel code path): one run of a partitioned source's DAG per month, one
run of each whole-source DAG, then `warehouse_build`, which in a deployed
Airflow their Assets trigger. It shows a progress bar per stage and one
line per step; the full log is in `MAPWH_HOME/logs/`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from ingest import registry
from ingest.core import periods
from ingest.core.config import ConfigError, get_settings, redact
from ingest.core.errors import SourceError

# --------------------------------------------------------------------------- arguments


def _month_arg(value: str) -> str:
    try:
        periods.parse_month(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return value


def parse_sources(value: str | None) -> list[str]:
    """Source names from a comma-separated list of source names and DAG ids (default: all)."""
    dags = registry.dags()
    if not value:
        return list(registry.sources())
    chosen: list[str] = []
    for name in (part.strip() for part in value.split(",") if part.strip()):
        if name in dags:
            expanded = [s.name for s in dags[name]]
        elif name in registry.sources():
            expanded = [name]
        else:
            raise argparse.ArgumentTypeError(
                f"unknown source {name!r}; choose from {', '.join([*registry.sources(), *dags])}"
            )
        chosen.extend(s for s in expanded if s not in chosen)
    return chosen


# --------------------------------------------------------------------------- run
def _default_window(settings) -> tuple[str, str]:
    """The last 12 months the partitioned sources have all published (one request each, `Source.latest_available`)."""
    latest = {}
    for source in registry.sources().values():
        if source.latest_available is not None:
            latest[source.name] = source.latest_available(settings)
    missing = sorted(name for name, month in latest.items() if month is None)
    if not latest or missing:
        raise SystemExit(f"no month published yet by {', '.join(missing) or 'any partitioned source'}: "
                         "give --from and --to")
    last = min(latest.values())
    return periods.add_months(last, -11), last


def _run_dag(dag, **kwargs) -> tuple[str, dict[str, str]]:
    """Run a DAG with dag.test(); its state and the state of each task."""
    run = dag.test(**kwargs)
    tasks = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in run.get_task_instances()}
    return str(getattr(run.state, "value", run.state)), tasks


def _batch_line(batch: dict) -> str:
    warnings = f"  warnings: {'; '.join(batch['warnings'])}" if batch.get("warnings") else ""
    return f"{batch['period']} {batch['status']}, {batch['rows']:,} rows, sha256 {batch['sha256'][:12]}{warnings}"


def _failure_line(settings, source_name: str, since: float) -> str:
    """Why a source's load failed since `since`: the task's own error, and where its batch was quarantined."""
    from ingest.core.raw_zone import read_jsonl

    failures = [f for f in read_jsonl(settings.audit_dir / "task_failures.jsonl")
                if f["source"] == source_name and datetime.fromisoformat(f["at"]).timestamp() >= since - 1]
    folder = settings.quarantine_dir / source_name
    reasons = [p for p in folder.glob("*/*/reason.txt") if p.stat().st_mtime >= since] if folder.exists() else []
    where = f" (quarantined in {max(reasons, key=lambda p: p.stat().st_mtime).parent})" if reasons else ""
    if failures:
        return f"{failures[-1]['message'][:200]}{where}"
    return f"see the log{where}"


def _source_summary(settings, source, state: str, since: float) -> str:
    from warehouse import validated

    if state == "success":
        fresh = [b for b in validated.all_current(settings.validated_dir, source.table.name)
                 if datetime.fromisoformat(b["loaded_at"]).timestamp() >= since - 1]
        if len(fresh) > 2:
            warned = sum(1 for b in fresh if b.get("warnings"))
            return (f"{len(fresh)} batches {fresh[0]['period']} .. {fresh[-1]['period']} loaded, "
                    f"{sum(b['rows'] for b in fresh):,} rows" + (f", {warned} with warnings" if warned else ""))
        return "; ".join(_batch_line(b) for b in fresh) or "nothing new"
    if state == "skipped":
        if not source.discovers(settings) and not source.locations(settings):
            return f"skipped ({source.variable} is empty)"
        asked = _discovered(settings).get(source.name) if source.discovers(settings) else None
        if asked and not asked["chosen"] and datetime.fromisoformat(asked["at"]).timestamp() >= since - 1:
            return f"skipped: {asked['catalogue']} lists no file of this source"
        return "unchanged since its last load"
    return f"FAILED: {_failure_line(settings, source.name, since)}"


def cmd_run(args: argparse.Namespace) -> int:
    """Supervise the run in a child process group, so SIGINT and SIGTERM stop it whatever it is doing.

    Airflow's in-process task runner takes SIGTERM for itself while a task
    runs, and treats an interrupted try as a failed one; so the work runs in a
    child (`MAPWH_RUN_CHILD=1`) and a signal to `mapwh run` ends the child's
    whole process group (dbt included): SIGTERM, then SIGKILL after a grace
    period. Commits and publishes are atomic and the writer lock dies with its
    holder, so the last good state keeps serving and the next run resumes.
    """
    import os
    import signal
    import subprocess

    if os.environ.get("MAPWH_RUN_CHILD") == "1":
        _die_with_supervisor(int(os.environ.get("MAPWH_RUN_SUPERVISOR", "0")))
        return _run_here(args)
    child = subprocess.Popen([sys.executable, "-m", "warehouse.cli", *args.argv],  # noqa: S603 - this CLI again, argv already parsed
                             env={**os.environ, "MAPWH_RUN_CHILD": "1", "MAPWH_RUN_SUPERVISOR": str(os.getpid())},
                             start_new_session=True)
    stopped: dict[str, float] = {}  # the first signal and when it came

    def stop(signum, frame):
        stopped.setdefault("signal", signum)
        stopped.setdefault("at", time.monotonic())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGTERM)

    grace = get_settings().vars.stop_grace_s
    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)}
    try:
        while (code := child.poll()) is None:
            time.sleep(0.2)
            if stopped and time.monotonic() - stopped["at"] > grace:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if stopped:
        signum = int(stopped["signal"])
        print(f"mapwh run stopped by {signal.Signals(signum).name}: what was committed stays, nothing is "
              f"half-published; the next run resumes (log in {get_settings().logs_dir})", flush=True)
        return 128 + signum
    return code


def _die_with_supervisor(supervisor: int) -> None:
    """In the child of `mapwh run`: when the supervisor is gone (killed by a signal it cannot catch, SIGKILL),
    end this whole process group (dbt and every other child included) at once.

    The child runs in a session of its own (so that a signal meant for the
    supervisor's terminal does not reach Airflow's task runner first), so the
    kernel would not end it with the supervisor: a watchdog thread notices
    the re-parenting within half a second and kills the group with SIGKILL.
    What was committed stays; the build in progress never publishes.
    """
    import os
    import signal
    import threading

    if not supervisor:
        return

    def watch() -> None:
        while os.getppid() == supervisor:
            time.sleep(0.5)
        os.killpg(0, signal.SIGKILL)

    threading.Thread(target=watch, name="mapwh-die-with-supervisor", daemon=True).start()


def _run_here(args: argparse.Namespace) -> int:
    import os

    from warehouse import airflow_env, console

    # Task retries are for a scheduler, which waits between tries; an interactive run fails fast.
    os.environ["MAPWH_TASK_RETRIES"] = str(args.task_retries)
    settings = get_settings()
    airflow_env.configure(settings)
    path = console.log_path(settings.logs_dir, "run")
    with console.session(path, verbose=args.verbose) as out:
        out.print(f"mapwh run: MAPWH_HOME={settings.home}")
        out.print(f"  full log: {path}")
        return _run(out, settings, parse_sources(args.sources), args, path)


def _run(out, settings, chosen: list[str], args, path) -> int:
    from warehouse import airflow_env

    started = time.time()
    failures: list[str] = []
    loaded = False
    airflow_env.ensure_metadata_db(settings)
    dags = airflow_env.load_dags()
    for dag_id, members in registry.dags().items():
        selected = [s for s in members if s.name in chosen]
        if not selected:
            continue
        if selected[0].partitioned:
            ok, any_loaded = _run_partitioned(out, settings, dags[dag_id], selected[0], args)
        else:
            ok, any_loaded = _run_whole(out, settings, dags[dag_id], selected)
        loaded |= any_loaded
        if not ok:
            failures.append(dag_id)
    # In a deployed Airflow the build runs when a source Asset is updated,
    # which a failed or skipped load does not do; the CLI follows suit.
    if loaded or args.full_refresh or not settings.warehouse_path.exists():
        if not _run_build(out, settings, dags["warehouse_build"], full_refresh=args.full_refresh):
            failures.append("warehouse_build")
    else:
        out.print("warehouse_build: not run (nothing new was loaded; the published warehouse is unchanged)")
    elapsed = time.time() - started
    if failures:
        out.print(f"mapwh run FAILED in {elapsed:.0f}s: {', '.join(failures)}; quarantine {settings.quarantine_dir}, "
                  f"gate reports {settings.audit_dir / 'reports'}, log {path}")
        return 1
    out.print(f"mapwh run finished in {elapsed:.0f}s: {settings.warehouse_path}")
    return 0


def _run_partitioned(out, settings, dag, source, args) -> tuple[bool, bool]:
    from warehouse import console, pipeline, validated


    first, last = args.from_month, args.to_month
    if not (first and last):
        try:
            default_first, default_last = _default_window(settings)
        except SourceError as exc:  # one source failing never stops the others
            out.print(f"{dag.dag_id}: FAILED: cannot tell which months are published: {exc}")
            return False, False
        first, last = first or default_first, last or default_last
    months = periods.month_range(first, last)
    ok, loaded = True, False
    with console.progress(out) as bar:
        task = bar.add_task(f"{dag.dag_id} {months[0]}..{months[-1]}", total=len(months))
        for month in months:
            since = time.time()
            # A manual run covers the interval that ends at its logical date,
            # so the run for month M is dated the first day of M+1.
            state, tasks = _run_dag(dag, logical_date=periods.month_start_london(periods.add_months(month, 1)),
                                    run_conf={"lookback_months": 1})
            if state != "success":
                ok = False
                bar.console.print(f"  {month} FAILED: {_failure_line(settings, source.name, since)}")
            elif tasks.get("load") == "success":
                loaded = True
                bar.console.print(f"  {_batch_line(validated.current(settings.validated_dir, source.table.name, month))}")
            elif any(w["period"] == month for w in pipeline.withdrawn(settings) if w["table_name"] == source.table.name):
                bar.console.print(f"  {month} WITHDRAWN: the source no longer lists it; the loaded batch keeps serving, "
                                  f"flagged (`mapwh status`)")
            elif validated.current(settings.validated_dir, source.table.name, month):
                bar.console.print(f"  {month} unchanged since its last load")
            else:
                bar.console.print(f"  {month} not published (skipped)")
            bar.advance(task)
    return ok, loaded


def _run_whole(out, settings, dag, selected) -> tuple[bool, bool]:
    from warehouse import console

    since = time.time()
    with console.progress(out) as bar:
        task = bar.add_task(dag.dag_id, total=1)
        state, tasks = _run_dag(dag, run_conf={"sources": [s.name for s in selected]})
        for source in selected:
            bar.console.print(f"  {source.name}: {_source_summary(settings, source, tasks.get(source.name, '?'), since)}")
        bar.advance(task)
    return state == "success", any(tasks.get(s.name) == "success" for s in selected)


def _run_build(out, settings, dag, *, full_refresh: bool = False) -> bool:
    from warehouse import console

    since = time.time()
    with console.progress(out) as bar:
        task = bar.add_task("warehouse_build", total=1)
        state, tasks = _run_dag(dag, run_conf={"full_refresh": full_refresh})
        bar.advance(task)
        if state == "success" and tasks.get("prepare") == "skipped":
            bar.console.print("  nothing new: the published build already holds every serving batch; nothing built "
                              "or published (`--full-refresh` rebuilds regardless)")
        elif state == "success" and tasks.get("publish") == "skipped":
            bar.console.print("  not published: a newer build was published meanwhile (see the log)")
        elif state == "success":
            bar.console.print(f"  built ({_build_mode(settings)}), gated and published {settings.warehouse_path}"
                              f" in {time.time() - since:.0f}s")
            if tasks.get("report") == "success":
                from warehouse.report import report_path

                bar.console.print(f"  report: {report_path(settings)} (open it in a browser; it needs no network)")
        elif tasks.get("publish") == "success":
            bar.console.print(f"  built, gated and published {settings.warehouse_path}, but the report failed (see the log)")
        else:
            failed = [t for t, s in tasks.items() if s == "failed"]
            quarantined = sorted((settings.quarantine_dir / "builds").glob("*/reason.txt"), key=lambda p: p.stat().st_mtime)
            reason = ""
            if quarantined and quarantined[-1].stat().st_mtime >= since:
                lines = quarantined[-1].read_text().splitlines()
                detail = [line.strip() for line in lines if line.strip().startswith("FAILED")]
                reason = (lines[0].split(":")[0] + ": " + (detail[0] if detail else lines[0]))[:240]
            bar.console.print(f"  FAILED at {', '.join(failed) or '?'}: {reason} (the published warehouse is unchanged)")
    return state == "success"


def _build_mode(settings) -> str:
    """How the published build was made: `incremental, N periods recomputed` or `full: <reason>`."""
    rows = _published_query(settings, "select mode, reason, (select count(*) from raw.refresh_periods) from audit.build")
    if not rows:
        return "unknown"
    mode, reason, n = rows[0]
    if mode == "incremental":
        return f"incremental, {n} period{'s' if n != 1 else ''} recomputed"
    return f"full: {reason}"


# --------------------------------------------------------------------------- postgres
def _postgres_line(settings) -> str:
    """What PostgreSQL serves to BI tools (build and time), or why nothing."""
    from warehouse import serve_pg

    if not serve_pg.dsn(settings):
        return "postgres   not configured (MAPWH_PG_DSN is empty)"
    try:
        served = serve_pg.served(settings)
    except Exception as exc:  # noqa: BLE001 - status reports, it does not fail
        return redact(f"postgres   unreachable: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}", settings)
    if not served:
        return f"postgres   schema {serve_pg.schema_name(settings)} not published yet (`mapwh publish`)"
    return (f"postgres   schema {serve_pg.schema_name(settings)} serves build {served['build']} "
            f"(published {served['published_at']}, {len(served.get('tables', {}))} marts)")


def cmd_publish(args: argparse.Namespace) -> int:
    from warehouse import serve_pg

    settings = get_settings()
    if not serve_pg.dsn(settings):
        print("mapwh publish: MAPWH_PG_DSN is empty; set it to the PostgreSQL the BI tools read", file=sys.stderr)
        return 1
    if not settings.warehouse_path.exists():
        print(f"mapwh publish: nothing is published yet ({settings.warehouse_path}); run `mapwh run` first", file=sys.stderr)
        return 1
    published = serve_pg.publish(settings)
    rows = sum(published["tables"].values())
    print(f"published {len(published['tables'])} marts ({rows:,} rows) of build {published['build']} "
          f"to PostgreSQL schema {published['schema']}")
    return 0


# --------------------------------------------------------------------------- report
def cmd_report(args: argparse.Namespace) -> int:
    from warehouse.report import write_report

    settings = get_settings()
    if not settings.warehouse_path.exists():
        print(f"mapwh report: nothing is published yet ({settings.warehouse_path}); run `mapwh run` first", file=sys.stderr)
        return 1
    print(write_report(settings, out=Path(args.out).expanduser() if args.out else None))
    return 0


# --------------------------------------------------------------------------- accept
def cmd_accept(args: argparse.Namespace) -> int:
    """Let a quarantined suspect revision replace the batch it would shrink (after review)."""
    from warehouse import pipeline
    from warehouse.gates import GateFailed

    settings = get_settings()
    try:
        committed = pipeline.accept(settings, args.batch_id)
    except (SourceError, GateFailed) as exc:
        print(redact(f"mapwh accept: {str(exc).splitlines()[0]}", settings), file=sys.stderr)
        return 1
    for batch in committed:
        print(f"accepted {args.batch_id}: {_batch_line(batch)}; run `mapwh run` (or the build DAG) to publish it")
    return 0


# --------------------------------------------------------------------------- setup
def cmd_setup(args: argparse.Namespace) -> int:
    """What a deployment needs before its scheduler starts: `airflow db migrate` and the pools."""
    from warehouse import airflow_env

    settings = get_settings()
    airflow_env.configure(settings)
    airflow_env.ensure_metadata_db(settings)
    pools = airflow_env.ensure_pools(settings)
    print(f"AIRFLOW_HOME {settings.airflow_home}: metadata database migrated; pools imported from {pools}")
    print(f"DAGs folder {airflow_env.DAGS_FOLDER}: every DAG starts unpaused (is_paused_upon_creation=False)")
    return 0


# --------------------------------------------------------------------------- status
def _ago(delta) -> str:
    """`5 min ago`; a time ahead of this machine's clock (the loader's clock was fast) says so, never a negative age."""
    seconds = int(delta.total_seconds())
    if seconds < -60:
        return f"{_age(-delta)} in the future (a clock ahead of this one's)"
    return f"{_age(delta)} ago"


def _age(delta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400 * 2:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _published_query(settings, query: str) -> list[tuple]:
    """Rows of `query` on the published warehouse, opened read-only (none when not built or not answerable)."""
    if not settings.warehouse_path.exists():
        return []
    import duckdb

    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True, config={"autoload_known_extensions": False})
    except duckdb.Error:
        return []
    try:
        return con.execute(query).fetchall()
    except duckdb.Error:
        return []
    finally:
        con.close()


def _freshness(settings, current: list[dict], now: datetime) -> list[str]:
    """A line per source on how fresh its figures are: its own query on the published warehouse where it declares
    one (`Source.freshness_sql`), else the latest period loaded from its batches."""
    lines = []
    for source in registry.sources().values():
        if source.freshness_sql:
            for what, value in _published_query(settings, source.freshness_sql):
                if value is not None:
                    lines.append(f"freshness: {source.name} {what} {value}")
            continue
        loaded = [c for c in current if c["source"] == source.name and c["status"] == "loaded"]
        if loaded and source.period_kind:
            latest = max(loaded, key=lambda c: c["period"])
            lines.append(f"freshness: {source.name} latest {source.period_kind.replace('_', ' ')} {latest['period']}, "
                         f"loaded {_ago(now - datetime.fromisoformat(latest['loaded_at']))}")
    return lines


def cmd_status(args: argparse.Namespace) -> int:
    from ingest.core.raw_zone import read_jsonl
    from warehouse import pipeline, validated

    settings = get_settings()
    now = datetime.now(timezone.utc)
    gate_rows = read_jsonl(settings.audit_dir / "gate_results.jsonl")
    last_gate = {row["batch_id"]: row for row in gate_rows}
    current = validated.all_current(settings.validated_dir)
    published = (
        datetime.fromtimestamp(settings.warehouse_path.stat().st_mtime, timezone.utc) if settings.warehouse_path.exists() else None
    )
    from warehouse.reconcile import reconcile

    build_rows = _published_query(settings, "select build from audit.build")
    build = build_rows[0][0] if build_rows else None
    if args.json:
        print(json.dumps({"warehouse": str(settings.warehouse_path), "build": build,
                          "build_mode": _build_mode(settings) if build else None,
                          "published_at": published.isoformat(timespec="seconds") if published else None,
                          "loaded": current, "gates": gate_rows,
                          "revisions": read_jsonl(settings.audit_dir / "revisions.jsonl"),
                          "reconciliation": [{**vars(r), "holds": r.holds} for r in reconcile(settings)],
                          "load_failures": read_jsonl(settings.audit_dir / "task_failures.jsonl"),
                          "discovered": list(_discovered(settings).values()),
                          "withdrawn": pipeline.withdrawn(settings)}, indent=1, default=str))
        return 0

    print(f"MAPWH_HOME {settings.home}")
    if published:
        print(f"warehouse  {settings.warehouse_path} serves build {build or 'unknown'} "
              f"(published {published:%Y-%m-%d %H:%M} UTC, {_ago(now - published)}; {_build_mode(settings)})")
    else:
        print("warehouse  not built yet (run `mapwh run`)")
    print(_postgres_line(settings))

    def verdict(batch: dict) -> str:
        gate = last_gate.get(batch["batch_id"])
        if not gate:
            return "-"
        return ("passed" if gate["success"] else "FAILED") + (f" ({len(gate['warnings'])} warning(s))" if gate.get("warnings") else "")

    if args.periods:
        print("\nloaded (the batch serving each table and period):")
        pw = max([8, *(len(c["period"]) for c in current)])
        print(f"  {'table':<26} {'period':<{pw}} {'status':<7} {'rows':>8}  {'sha256':<12}  {'loaded at (UTC)':<20} gate")
        for c in current:
            print(f"  {c['table_name']:<26} {c['period']:<{pw}} {c['status']:<7} {c['rows']:>8,}  {c['sha256'][:12]:<12}  "
                  f"{c['loaded_at'][:19]:<20} {verdict(c)}")
    else:
        print("\nloaded (per table; `mapwh status --periods` lists every period):")
        print(f"  {'table':<26} {'periods':<30} {'rows':>10}  {'last loaded':<12} gates")
        for table in sorted({c["table_name"] for c in current}):
            batches = [c for c in current if c["table_name"] == table]
            names = [c["period"] for c in batches]
            span = names[0] if len(names) == 1 else f"{len(names)}: {names[0]} .. {names[-1]}"
            empty = sum(1 for c in batches if c["status"] == "empty")
            span += f" ({empty} empty)" if empty else ""
            newest = max(datetime.fromisoformat(c["loaded_at"]) for c in batches)
            verdicts = [verdict(c) for c in batches]
            gates = f"{sum(v.startswith('passed') for v in verdicts)} passed" + (
                f", {sum('warning' in v for v in verdicts)} with warnings" if any("warning" in v for v in verdicts) else "")
            print(f"  {table:<26} {span:<30} {sum(c['rows'] for c in batches):>10,}  {_ago(now - newest):<12} {gates}")

    freshness = _freshness(settings, current, now)
    if freshness:
        print()
    for line in freshness:
        print(line)
    for w in pipeline.withdrawn(settings):
        print(f"WITHDRAWN: {w['table_name']} {w['period']} is no longer listed by {w['source']} (seen {w['at'][:16]}); "
              f"its {w['rows']:,} rows loaded before keep serving, flagged")
    recorded = _discovered(settings)
    if recorded:
        print("discovered (each catalogue's answer at the last load; `mapwh sources --discover` asks again):")
        for name, row in sorted(recorded.items()):
            if name not in registry.sources():
                continue
            print(f"  {name} at {row['at'][:16]}: {len(row['chosen'])} of {row['listed']} file(s) listed by {row['catalogue']}")
            for line in _found_lines(settings, registry.get(name), row["chosen"]):
                print(f"    {line}")

    revisions = read_jsonl(settings.audit_dir / "revisions.jsonl")
    print(f"revisions: {len(revisions)} (a republished period whose bytes differ replaces the loaded one)")
    for r in revisions[-5:]:
        print(f"  {r['table_name']} {r['period']} at {r['revised_at']}: {r['old_rows']:,} rows (sha256 {r['old_sha256'][:12]}) "
              f"-> {r['new_rows']:,} rows (sha256 {r['new_sha256'][:12]})")
    task_failures = read_jsonl(settings.audit_dir / "task_failures.jsonl")
    if task_failures:
        print(f"load failures: {len(task_failures)}, latest:")
        for f in task_failures[-3:]:
            print(f"  {f['at']} {f['source']}: {f['message'][:160]}")

    results = reconcile(settings)
    totals = [sum(getattr(r, k) for r in results) for k in ("received", "validated", "quarantined", "files")]
    print(f"reconciliation: {totals[0]:,} records received in {totals[3]} files = {totals[1]:,} validated + "
          f"{totals[2]:,} quarantined" + ("; nothing lost" if all(r.holds for r in results) else "; SOME LOST:"))
    for r in results:
        if args.periods or not r.holds:
            verdict = "holds" if r.holds else (f"LOST {len(r.lost)} file(s): {', '.join(h[:12] for h in r.lost)} "
                                               f"(landed, no outcome yet: the next load of the source processes them)")
            print(f"  {r.source:<26} {r.files:>4} files {r.received:>10,} = {r.validated:>10,} + {r.quarantined:>8,}  {verdict}")

    failed = [g for g in gate_rows if not g["success"]]
    quarantined = sorted(p for p in settings.quarantine_dir.glob("*/*/*") if p.is_dir()) if settings.quarantine_dir.exists() else []
    print(f"\ngates: {len(gate_rows)} run, {len(failed)} failed")
    for g in failed[-5:]:
        print(f"  FAILED {g['gate']} on {g['target']} at {g['evaluated_at']}: {(g['failures'] or ['?'])[0][:140]}")
    print(f"quarantine: {len(quarantined)} batch(es) in {settings.quarantine_dir}")
    for q in quarantined[-5:]:
        print(f"  {q.relative_to(settings.quarantine_dir)}")
    return 0


# --------------------------------------------------------------------------- sources
def _found_lines(settings, source, files: list[dict]) -> list[str]:
    """One line per file a catalogue gave the source: name, release date, the periods it serves now."""
    from warehouse import validated

    serving: dict[str, list[str]] = {}
    for batch in validated.all_current(settings.validated_dir, source.table.name):
        if batch.get("status") == "loaded":
            serving.setdefault(batch.get("url", ""), []).append(batch["period"])
    width = max([len(f["name"]) for f in files] + [10])
    lines = []
    for f in files:
        periods = sorted(serving.get(f["url"], []))
        loaded = ("loaded: " + (", ".join(periods) if len(periods) <= 3 else f"{len(periods)} periods {periods[0]} .. {periods[-1]}")
                  if periods else "not loaded")
        lines.append(f"{f['name']:<{width}}  released {(f.get('released') or '?')[:10]:<10}  {loaded}")
    return lines


def _discovered(settings) -> dict[str, dict]:
    """The last catalogue answer recorded per source (audit/discovery.jsonl)."""
    from ingest.core.raw_zone import read_jsonl

    return {row["source"]: row for row in read_jsonl(settings.audit_dir / "discovery.jsonl")}


def cmd_sources(args: argparse.Namespace) -> int:
    """Every source: its DAG, table, suite, where this configuration reads it from, and what its catalogue lists."""
    from warehouse import pipeline

    settings = get_settings()
    recorded = _discovered(settings)
    for source in registry.sources().values():
        kind = "partitioned by month" if source.partitioned else "published whole"
        print(f"{source.name}  [DAG {source.dag}, {kind}, raw.{source.table.name}, suite {source.suite}]")
        if source.discovers(settings):
            catalogue = source.catalogue
            base = settings.get(catalogue.base_variable, catalogue.base_default)
            print(f"  {source.variable} unset: {catalogue.describe()} at {catalogue.base_variable}={base}")
            if args.discover:
                try:
                    found = pipeline.discover(settings, source, record=False)
                except SourceError as exc:
                    print(f"    the catalogue could not be read: {str(exc).splitlines()[0][:200]}")
                    continue
                files, said = [f.as_dict() for f in found.chosen], f"now, {found.catalogue_url} lists {len(found.listed)} file(s)"
            elif source.name in recorded:
                row = recorded[source.name]
                files, said = row["chosen"], f"at the last load ({row['at']}), {row['catalogue']} listed {row['listed']} file(s)"
            else:
                print("    not asked yet (`mapwh sources --discover` asks now; a load asks and records it)")
                continue
            print(f"    {said}; the source's:")
            for line in _found_lines(settings, source, files) or ["none matching"]:
                print(f"      {line}")
        else:
            where = ", ".join(source.locations(settings)) or "(not taken: variable empty)"
            print(f"  {source.variable} = {where}" + ("  (a pin: the catalogue is not asked)" if source.catalogue and where[0] != "(" else ""))
        for variable, default, meaning in source.extra_variables:
            print(f"  {variable} = {settings.get(variable, default) or '(empty)'}  ({meaning})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mapwh", description="London policing accountability data warehouse")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="refresh the warehouse by running the Airflow DAGs in-process")
    run.add_argument("--sources", help="comma-separated source names or DAG ids (`mapwh sources` lists them; default: all)")
    run.add_argument("--from", dest="from_month", type=_month_arg, help="first month YYYY-MM (default: 11 months before --to)")
    run.add_argument("--to", dest="to_month", type=_month_arg, help="last month YYYY-MM (default: the API's latest)")
    run.add_argument("--task-retries", type=int, default=0,
                     help="Airflow task retries (default 0: an interactive run fails fast; a scheduler uses MAPWH_TASK_RETRIES)")
    run.add_argument("-v", "--verbose", action="store_true", help="print the full log (Airflow, dbt, warnings) as well")
    run.add_argument("--full-refresh", action="store_true",
                     help="rebuild every period from the validated zone (default: copy the published build and "
                          "recompute only the periods whose batch changed); builds even when nothing new was loaded")
    run.set_defaults(func=cmd_run)

    accept = sub.add_parser("accept", help="let a quarantined suspect revision replace the loaded batch (after review)")
    accept.add_argument("batch_id", help="as printed in its quarantine reason, <source>:<period>:<sha256 prefix>")
    accept.set_defaults(func=cmd_accept)

    setup = sub.add_parser("setup", help="prepare an Airflow home for the DAGs: metadata database and pools (idempotent)")
    setup.set_defaults(func=cmd_setup)

    status = sub.add_parser("status", help="what is loaded, gate results, freshness, quarantine")
    status.add_argument("--periods", action="store_true", help="one line per table and period")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)

    publish = sub.add_parser("publish", help="copy the published marts into PostgreSQL for BI tools (MAPWH_PG_DSN), swapped in atomically")
    publish.set_defaults(func=cmd_publish)

    report = sub.add_parser("report", help="write the HTML report from the published warehouse (self-contained, opens from disk)")
    report.add_argument("--out", help="where to write it (default: MAPWH_HOME/report.html)")
    report.set_defaults(func=cmd_report)

    sources = sub.add_parser("sources", help="the sources, their DAGs, where they are read from and the files their catalogues list")
    sources.add_argument("--discover", action="store_true",
                         help="ask each catalogue now which files it lists (default: what the last load found)")
    sources.set_defaults(func=cmd_sources)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv
    try:  # every variable is checked before anything runs: a bad value is one line naming it
        get_settings()
    except ConfigError as exc:
        print(f"mapwh {args.command}: {exc}", file=sys.stderr)
        return 2
    if args.command == "run":
        try:
            parse_sources(args.sources)
            if args.from_month and args.to_month:
                periods.month_range(args.from_month, args.to_month)
        except (argparse.ArgumentTypeError, ValueError) as exc:
            parser.error(str(exc))
    try:
        return args.func(args)
    except (OSError, SourceError) as exc:  # an unwritable MAPWH_HOME, a full disk, a server down: one line, not a traceback
        print(redact(f"mapwh {args.command}: {exc}".splitlines()[0], get_settings()), file=sys.stderr)
        return 1
    except Exception:  # a fault of ours: the traceback, with every secret in it redacted
        print(redact(traceback.format_exc(), get_settings()), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
