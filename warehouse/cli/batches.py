"""`mapwh accept` (a quarantined suspect revision let in after review) and
`mapwh dismiss` (one refused after review)."""

from __future__ import annotations

import argparse
import sys

from ingest.core.config import get_settings, redact
from ingest.core.errors import SourceError
from warehouse.cli.status import batch_line
from warehouse.cli.supervisor import cmd_run


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
        print(f"accepted {args.batch_id}: {batch_line(batch)}")
    if args.no_build:
        print("not built (--no-build): the next warehouse build publishes it")
        return 0
    return _build(settings)


def _build(settings) -> int:
    """Have the accepted batch published: by the scheduler when one is running against this Airflow (a
    `warehouse_build` run, as a load's Asset event would trigger), else here, as `mapwh run --build-only`."""
    from warehouse import airflow_env

    airflow_env.configure(settings)
    if airflow_env.scheduler_is_running():
        run_id = airflow_env.trigger_dag("warehouse_build")
        print(f"triggered warehouse_build ({run_id}) on the running scheduler: it builds, gates and publishes the "
              "accepted batch (follow it in the Airflow UI, or `mapwh status`)")
        return 0
    print("no Airflow scheduler is running against this metadata database: building here (`mapwh run --build-only`)")
    sys.stdout.flush()
    return cmd_run(argparse.Namespace(argv=["run", "--build-only"], build_only=True, sources=None, from_month=None,
                                      to_month=None, task_retries=0, verbose=False, full_refresh=False))


def cmd_dismiss(args: argparse.Namespace) -> int:
    """Refuse a quarantined suspect revision after review: later runs skip these bytes instead of failing."""
    from warehouse import pipeline

    settings = get_settings()
    try:
        record = pipeline.dismiss(settings, args.batch_id)
    except SourceError as exc:
        print(redact(f"mapwh dismiss: {str(exc).splitlines()[0]}", settings), file=sys.stderr)
        return 1
    print(f"dismissed {args.batch_id}: later runs that fetch these bytes skip them, and {record['serving'] or 'nothing'} "
          f"keeps serving {record['period']} (`mapwh accept {args.batch_id}` still lets them in)")
    return 0
