"""`mapwh run`'s work, in the supervised child: the project's DAGs run in-process with `dag.test()`, a line per step.

One run of a partitioned source's DAG per month, one run of each
whole-source DAG, then `warehouse_build`, as their Assets would trigger it
in a deployed Airflow.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from ingest import registry
from ingest.core import periods
from ingest.core.config import get_settings
from ingest.core.errors import SourceError
from warehouse.cli.sources import discovered, parse_sources
from warehouse.cli.status import batch_line, build_mode


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


def _failure_line(settings, source_name: str, since: float) -> str:
    """Why a source's load failed since `since`: the task's own error, and where its batch was quarantined."""
    from ingest.core.files import read_jsonl

    failures = [f for f in read_jsonl(settings.audit_dir / "task_failures.jsonl")
                if f["source"] == source_name and datetime.fromisoformat(f["at"]).timestamp() >= since - 1]
    folder = settings.quarantine_dir / source_name
    reasons = [p for p in folder.glob("*/*/reason.txt") if p.stat().st_mtime >= since] if folder.exists() else []
    where = f" (quarantined in {max(reasons, key=lambda p: p.stat().st_mtime).parent})" if reasons else ""
    if failures:
        return f"{failures[-1]['message'][:200]}{where}"
    return f"see the log{where}"


def _left_to_another_run(settings, source_name: str, since: float) -> str | None:
    """Why a load skipped since `since` was left to another run (it holds the period's lock), or None."""
    from ingest.core.files import read_jsonl

    left = [r for r in read_jsonl(settings.audit_dir / "left_to_another_run.jsonl")
            if r["source"] == source_name and datetime.fromisoformat(r["at"]).timestamp() >= since - 1]
    return f"skipped: another run is loading it now ({left[-1]['message'][:160]})" if left else None


def _source_summary(settings, source, state: str, since: float) -> str:
    from warehouse import validated

    if state == "success":
        fresh = [b for b in validated.all_current(settings.validated_dir, source.table.name)
                 if datetime.fromisoformat(b["loaded_at"]).timestamp() >= since - 1]
        if len(fresh) > 2:
            warned = sum(1 for b in fresh if b.get("warnings"))
            return (f"{len(fresh)} batches {fresh[0]['period']} .. {fresh[-1]['period']} loaded, "
                    f"{sum(b['rows'] for b in fresh):,} rows" + (f", {warned} with warnings" if warned else ""))
        return "; ".join(batch_line(b) for b in fresh) or "nothing new"
    if state == "skipped":
        if not source.discovers(settings) and not source.locations(settings):
            return f"skipped ({source.variable} is empty)"
        asked = discovered(settings).get(source.name) if source.discovers(settings) else None
        if asked and not asked["chosen"] and datetime.fromisoformat(asked["at"]).timestamp() >= since - 1:
            return f"skipped: {asked['catalogue']} lists no file of this source"
        return _left_to_another_run(settings, source.name, since) or "unchanged since its last load"
    return f"FAILED: {_failure_line(settings, source.name, since)}"


def run_here(args: argparse.Namespace) -> int:
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
        return _run(out, settings, [] if args.build_only else parse_sources(args.sources), args, path)


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
    if loaded or args.full_refresh or args.build_only or not settings.warehouse_path.exists():
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
                bar.console.print(f"  {batch_line(validated.current(settings.validated_dir, source.table.name, month))}")
            elif any(w["period"] == month for w in pipeline.withdrawn(settings) if w["table_name"] == source.table.name):
                bar.console.print(f"  {month} WITHDRAWN: the source no longer lists it; the loaded batch keeps serving, "
                                  f"flagged (`mapwh status`)")
            elif left := _left_to_another_run(settings, source.name, since):
                bar.console.print(f"  {month} {left}")
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
            bar.console.print(f"  built ({build_mode(settings)}), gated and published {settings.warehouse_path}"
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
