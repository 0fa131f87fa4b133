"""`mapwh status`: what the warehouse holds, gathered first (`gather`), then formatted (`text_lines`, `as_json`).

Gathering reads the zones, the audit logs, the published file (read-only)
and, for the text form only, PostgreSQL; formatting reads nothing.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ingest import registry
from ingest.core.config import get_settings, redact
from ingest.core.files import read_jsonl
from warehouse.cli.sources import discovered, found_lines, serving_by_url


@dataclass
class Status:
    """Everything `mapwh status` shows, as read at `now`; the text form's extras only when `gather(detail=True)`."""

    home: Path
    warehouse: Path
    quarantine_dir: Path
    now: datetime
    build: str | None  # the build the DuckDB file serves
    build_mode: str | None  # how it was made (`build_mode`), when a file is published
    published_at: datetime | None
    current: list[dict]  # the batch serving every table and period
    gate_rows: list[dict]
    revisions: list[dict]
    task_failures: list[dict]
    reconciliation: list  # warehouse.reconcile's, one per source
    discovered: dict[str, dict]  # the last catalogue answer per source
    withdrawn: list[dict]
    # the text form's extras
    postgres: dict = field(default_factory=dict)  # configured, schema, served (or error)
    freshness: list[dict] = field(default_factory=list)
    discovered_serving: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # per registered source
    quarantined: list[Path] = field(default_factory=list)


def batch_line(batch: dict) -> str:
    warnings = f"  warnings: {'; '.join(batch['warnings'])}" if batch.get("warnings") else ""
    return f"{batch['period']} {batch['status']}, {batch['rows']:,} rows, sha256 {batch['sha256'][:12]}{warnings}"


def gather(settings, now: datetime, *, detail: bool) -> Status:
    """Read what `mapwh status` shows; `detail` adds what only the text form prints (PostgreSQL is asked then only)."""
    from warehouse import pipeline, validated
    from warehouse.reconcile import reconcile

    current = validated.all_current(settings.validated_dir)
    published = (
        datetime.fromtimestamp(settings.warehouse_path.stat().st_mtime, timezone.utc) if settings.warehouse_path.exists() else None
    )
    build_rows = published_query(settings, "select build from audit.build")
    recorded = discovered(settings)
    status = Status(
        home=settings.home, warehouse=settings.warehouse_path, quarantine_dir=settings.quarantine_dir, now=now,
        build=build_rows[0][0] if build_rows else None,
        build_mode=build_mode(settings) if published else None,
        published_at=published, current=current,
        gate_rows=read_jsonl(settings.audit_dir / "gate_results.jsonl"),
        revisions=validated.revisions(settings.audit_dir),
        task_failures=read_jsonl(settings.audit_dir / "task_failures.jsonl"),
        reconciliation=reconcile(settings), discovered=recorded, withdrawn=pipeline.withdrawn(settings),
    )
    if detail:
        status.postgres = _postgres(settings)
        status.freshness = _freshness(settings, current)
        status.discovered_serving = {name: serving_by_url(settings, registry.get(name))
                                     for name in recorded if name in registry.sources()}
        status.quarantined = (sorted(p for p in settings.quarantine_dir.glob("*/*/*") if p.is_dir())
                              if settings.quarantine_dir.exists() else [])
    return status


def cmd_status(args: argparse.Namespace) -> int:
    settings = get_settings()
    status = gather(settings, datetime.now(timezone.utc), detail=not args.json)
    if args.json:
        print(json.dumps(as_json(status), indent=1, default=str))
        return 0
    for line in text_lines(status, periods=args.periods):
        print(line)
    return 0


# --------------------------------------------------------------------------- gathering
def published_query(settings, query: str) -> list[tuple]:
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


def build_mode(settings) -> str:
    """How the published build was made: `incremental, N periods recomputed` or `full: <reason>`."""
    rows = published_query(settings, "select mode, reason, (select count(*) from raw.refresh_periods) from audit.build")
    if not rows:
        return "unknown"
    mode, reason, n = rows[0]
    if mode == "incremental":
        return f"incremental, {n} period{'s' if n != 1 else ''} recomputed"
    return f"full: {reason}"


def _postgres(settings) -> dict:
    """What PostgreSQL serves to BI tools: {configured, schema, served} or, when it cannot be asked, {error}."""
    from warehouse import serve_pg

    if not serve_pg.dsn(settings):
        return {"configured": False}
    try:
        served = serve_pg.served(settings)
    except Exception as exc:  # noqa: BLE001 - status reports, it does not fail
        return {"configured": True, "error": redact(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}", settings)}
    return {"configured": True, "schema": serve_pg.schema_name(settings), "served": served}


def _freshness(settings, current: list[dict]) -> list[dict]:
    """How fresh each source's figures are: the rows of its own query on the published warehouse where it declares
    one (`Source.freshness_sql`), else the latest period loaded, from its batches."""
    found = []
    for source in registry.sources().values():
        if source.freshness_sql:
            for what, value in published_query(settings, source.freshness_sql):
                if value is not None:
                    found.append({"source": source.name, "what": what, "value": value})
            continue
        loaded = [c for c in current if c["source"] == source.name and c["status"] == "loaded"]
        if loaded and source.period_kind:
            latest = max(loaded, key=lambda c: c["period"])
            found.append({"source": source.name, "period_kind": source.period_kind, "period": latest["period"],
                          "loaded_at": datetime.fromisoformat(latest["loaded_at"])})
    return found


# --------------------------------------------------------------------------- formatting
def as_json(status: Status) -> dict:
    return {"warehouse": str(status.warehouse), "build": status.build,
            "build_mode": status.build_mode if status.build else None,
            "published_at": status.published_at.isoformat(timespec="seconds") if status.published_at else None,
            "loaded": status.current, "gates": status.gate_rows,
            "revisions": status.revisions,
            "reconciliation": [{**vars(r), "holds": r.holds} for r in status.reconciliation],
            "load_failures": status.task_failures,
            "discovered": list(status.discovered.values()),
            "withdrawn": status.withdrawn}


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


def _postgres_line(postgres: dict) -> str:
    """What PostgreSQL serves to BI tools (build and time), or why nothing."""
    if not postgres.get("configured"):
        return "postgres   not configured (MAPWH_PG_DSN is empty)"
    if "error" in postgres:
        return f"postgres   unreachable: {postgres['error']}"
    served = postgres["served"]
    if not served:
        return f"postgres   schema {postgres['schema']} not published yet (`mapwh publish`)"
    return (f"postgres   schema {postgres['schema']} serves build {served['build']} "
            f"(published {served['published_at']}, {len(served.get('tables', {}))} marts)")


def _freshness_line(entry: dict, now: datetime) -> str:
    if "what" in entry:
        return f"freshness: {entry['source']} {entry['what']} {entry['value']}"
    return (f"freshness: {entry['source']} latest {entry['period_kind'].replace('_', ' ')} {entry['period']}, "
            f"loaded {_ago(now - entry['loaded_at'])}")


def text_lines(status: Status, *, periods: bool) -> list[str]:
    """The text form, line by line (`gather(detail=True)`); `periods` lists every period."""
    now, current = status.now, status.current
    last_gate = {row["batch_id"]: row for row in status.gate_rows}
    lines = [f"MAPWH_HOME {status.home}"]
    published = status.published_at
    if published:
        lines.append(f"warehouse  {status.warehouse} serves build {status.build or 'unknown'} "
                     f"(published {published:%Y-%m-%d %H:%M} UTC, {_ago(now - published)}; {status.build_mode})")
    else:
        lines.append("warehouse  not built yet (run `mapwh run`)")
    lines.append(_postgres_line(status.postgres))

    def verdict(batch: dict) -> str:
        gate = last_gate.get(batch["batch_id"])
        if not gate:
            return "-"
        return ("passed" if gate["success"] else "FAILED") + (f" ({len(gate['warnings'])} warning(s))" if gate.get("warnings") else "")

    if periods:
        lines.append("\nloaded (the batch serving each table and period):")
        pw = max([8, *(len(c["period"]) for c in current)])
        lines.append(f"  {'table':<26} {'period':<{pw}} {'status':<7} {'rows':>8}  {'sha256':<12}  {'loaded at (UTC)':<20} gate")
        for c in current:
            lines.append(f"  {c['table_name']:<26} {c['period']:<{pw}} {c['status']:<7} {c['rows']:>8,}  {c['sha256'][:12]:<12}  "
                         f"{c['loaded_at'][:19]:<20} {verdict(c)}")
    else:
        lines.append("\nloaded (per table; `mapwh status --periods` lists every period):")
        lines.append(f"  {'table':<26} {'periods':<30} {'rows':>10}  {'last loaded':<12} gates")
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
            lines.append(f"  {table:<26} {span:<30} {sum(c['rows'] for c in batches):>10,}  {_ago(now - newest):<12} {gates}")

    if status.freshness:
        lines.append("")
    lines += [_freshness_line(entry, now) for entry in status.freshness]
    for w in status.withdrawn:
        lines.append(f"WITHDRAWN: {w['table_name']} {w['period']} is no longer listed by {w['source']} (seen {w['at'][:16]}); "
                     f"its {w['rows']:,} rows loaded before keep serving, flagged")
    if status.discovered:
        lines.append("discovered (each catalogue's answer at the last load; `mapwh sources --discover` asks again):")
        for name, row in sorted(status.discovered.items()):
            if name not in status.discovered_serving:
                continue  # a source no longer registered
            lines.append(f"  {name} at {row['at'][:16]}: {len(row['chosen'])} of {row['listed']} file(s) listed by {row['catalogue']}")
            for line in found_lines(row["chosen"], status.discovered_serving[name]):
                lines.append(f"    {line}")

    revisions = status.revisions
    lines.append(f"revisions: {len(revisions)} (a republished period whose bytes differ replaces the loaded one)")
    for r in revisions[-5:]:
        lines.append(f"  {r['table_name']} {r['period']} at {r['revised_at']}: {r['old_rows']:,} rows (sha256 {r['old_sha256'][:12]}) "
                     f"-> {r['new_rows']:,} rows (sha256 {r['new_sha256'][:12]})")
    task_failures = status.task_failures
    if task_failures:
        lines.append(f"load failures: {len(task_failures)}, latest:")
        for f in task_failures[-3:]:
            lines.append(f"  {f['at']} {f['source']}: {f['message'][:160]}")

    results = status.reconciliation
    totals = [sum(getattr(r, k) for r in results) for k in ("received", "validated", "quarantined", "files")]
    lines.append(f"reconciliation: {totals[0]:,} records received in {totals[3]} files = {totals[1]:,} validated + "
                 f"{totals[2]:,} quarantined" + ("; nothing lost" if all(r.holds for r in results) else "; SOME LOST:"))
    for r in results:
        if periods or not r.holds:
            holds = "holds" if r.holds else (f"LOST {len(r.lost)} file(s): {', '.join(h[:12] for h in r.lost)} "
                                             f"(landed, no outcome yet: the next load of the source processes them)")
            lines.append(f"  {r.source:<26} {r.files:>4} files {r.received:>10,} = {r.validated:>10,} + {r.quarantined:>8,}  {holds}")

    failed = [g for g in status.gate_rows if not g["success"]]
    lines.append(f"\ngates: {len(status.gate_rows)} run, {len(failed)} failed")
    for g in failed[-5:]:
        lines.append(f"  FAILED {g['gate']} on {g['target']} at {g['evaluated_at']}: {(g['failures'] or ['?'])[0][:140]}")
    lines.append(f"quarantine: {len(status.quarantined)} batch(es) in {status.quarantine_dir}")
    for q in status.quarantined[-5:]:
        decided = " (accepted)" if (q / "accepted.json").exists() else " (dismissed)" if (q / "dismissed.json").exists() else ""
        lines.append(f"  {q.relative_to(status.quarantine_dir)}{decided}")
    return lines
