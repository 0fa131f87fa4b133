"""What readers get besides the DuckDB file: `mapwh publish` (the marts into PostgreSQL) and `mapwh report`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.core.config import get_settings


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


def cmd_report(args: argparse.Namespace) -> int:
    from warehouse.report import write_report

    settings = get_settings()
    if not settings.warehouse_path.exists():
        print(f"mapwh report: nothing is published yet ({settings.warehouse_path}); run `mapwh run` first", file=sys.stderr)
        return 1
    print(write_report(settings, out=Path(args.out).expanduser() if args.out else None))
    return 0
