"""Build numbering: each build's sequence number, in its file name, and the one the published build has.

A build takes its number when it snapshots the validated zone
(`build/warehouse-<sequence>-<time>.duckdb`); a build older than the one
published may never replace it.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from ingest.core.config import Settings
from ingest.core.files import read_jsonl
from warehouse.build.errors import BuildFailed, Superseded


BUILD_NAME = re.compile(r"^warehouse-(?P<sequence>\d+)-")


def new_build_path(settings: Settings, sequence: int) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    settings.build_dir.mkdir(parents=True, exist_ok=True)
    return settings.build_dir / f"warehouse-{sequence:06d}-{stamp}.duckdb"


def build_sequence(db_path: Path) -> int:
    match = BUILD_NAME.match(db_path.name)
    if not match:
        raise BuildFailed(f"{db_path.name} is not a build file (warehouse-<sequence>-<time>.duckdb)")
    return int(match.group("sequence"))


def ensure_not_superseded(settings: Settings, db_path: Path) -> None:
    """Raise Superseded when a newer build was published meanwhile (and removed this one's file)."""
    if not db_path.exists() and build_sequence(db_path) < published_sequence(settings):
        raise Superseded(f"{db_path.name} was removed: build {published_sequence(settings)} is already published")


def published_sequence(settings: Settings) -> int:
    """Sequence number of the build serving now (0 when none has been published)."""
    records = read_jsonl(settings.audit_dir / "publications.jsonl")
    return max((int(r.get("sequence", 0)) for r in records), default=0)
