"""A batch as `mapwh` prints it, `mapwh accept` (a quarantined suspect revision let in after review) and
`mapwh dismiss` (one refused after review)."""

from __future__ import annotations

import argparse
import sys

from ingest.core.config import get_settings, redact
from ingest.core.errors import SourceError


def batch_line(batch: dict) -> str:
    warnings = f"  warnings: {'; '.join(batch['warnings'])}" if batch.get("warnings") else ""
    return f"{batch['period']} {batch['status']}, {batch['rows']:,} rows, sha256 {batch['sha256'][:12]}{warnings}"


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
        print(f"accepted {args.batch_id}: {batch_line(batch)}; run `mapwh run` (or the build DAG) to publish it")
    return 0


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
