"""`mapwh`: refresh the warehouse with the real DAGs, and say what it holds.

    mapwh run [--sources LIST] [--from YYYY-MM] [--to YYYY-MM] [-v]
    mapwh status [--periods] [--json]
    mapwh sources [--discover]

`run` executes the project's Airflow DAGs in-process with `dag.test()` (not
a parallel code path): one run of a partitioned source's DAG per month, one
run of each whole-source DAG, then `warehouse_build`, which in a deployed
Airflow their Assets trigger. It shows a progress bar per stage and one
line per step; the full log is in `MAPWH_HOME/logs/`.

This package holds the argument parser and `main`; each command lives in a
room of its own (decision 0041): `supervisor` (`run`'s process supervisor),
`runner` (the `dag.test()` runs in its child), `status` (gathered, then
formatted), `sources`, `batches` (a batch's line, `accept`, `dismiss`), `serving`
(`publish`, `report`), `deployment` (`setup`).
"""

from __future__ import annotations

import argparse
import sys
import traceback

from ingest.core import periods
from ingest.core.config import ConfigError, get_settings, redact
from ingest.core.errors import SourceError
from warehouse.cli.batches import cmd_accept, cmd_dismiss
from warehouse.cli.deployment import cmd_setup
from warehouse.cli.serving import cmd_publish, cmd_report
from warehouse.cli.sources import cmd_sources, parse_sources
from warehouse.cli.status import cmd_status
from warehouse.cli.supervisor import cmd_run

__all__ = ["build_parser", "cmd_accept", "cmd_dismiss", "cmd_publish", "cmd_report", "cmd_run", "cmd_setup", "cmd_sources", "cmd_status",
           "main", "parse_sources"]


def _month_arg(value: str) -> str:
    try:
        periods.parse_month(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return value


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
    run.add_argument("--build-only", action="store_true",
                     help="load nothing: build, gate and publish what is in the validated zone (a build with nothing "
                          "new publishes nothing)")
    run.set_defaults(func=cmd_run)

    accept = sub.add_parser("accept", help="let a quarantined suspect revision replace the loaded batch (after review)")
    accept.add_argument("batch_id", help="as printed in its quarantine reason, <source>:<period>:<sha256 prefix>")
    accept.add_argument("--no-build", action="store_true",
                        help="only let it in: do not trigger the build that publishes it (default: trigger "
                             "warehouse_build on the running scheduler, or build here when none is running)")
    accept.set_defaults(func=cmd_accept)
    dismiss = sub.add_parser("dismiss", help="refuse a quarantined suspect revision (after review): later runs skip it")
    dismiss.add_argument("batch_id", help="as printed in its quarantine reason, <source>:<period>:<sha256 prefix>")
    dismiss.set_defaults(func=cmd_dismiss)

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
