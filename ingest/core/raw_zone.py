"""The raw zone: every response byte for byte, append-only, with a manifest.

A landed file is content-addressed (`<source>/<period>/<sha256>.<ext>`), so the
same bytes fetched twice are stored once and different bytes never overwrite
each other. Every landing appends one JSON line to `manifest.jsonl` (source,
period, URL, sha256, bytes, records, fetched_at, status), which is how
`mapwh status` and the audit tables know what arrived and when. Nothing here
deletes or rewrites: quarantine and publication copy from the raw zone.
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from ingest.core.files import append_jsonl, atomic_write, sha256_hex

# Manifest statuses written at landing time.
STATUS_FETCHED = "fetched"  # bytes parsed; records counted; gate still to come
STATUS_EMPTY = "empty"  # the source answered with no records (e.g. `[]`)
STATUS_REJECTED = "rejected"  # bytes are not the published format (HTML, truncated JSON)


@dataclass(frozen=True)
class LandedBatch:
    source: str
    period: str
    url: str
    sha256: str
    bytes: int
    records: int | None
    fetched_at: str  # ISO 8601 UTC
    status: str
    path: str
    batch_id: str
    detail: str = ""
    # who landed it, and when: a landing with records but no outcome is recovered by the next run,
    # unless the process that landed it is still at work (`warehouse.pipeline.recover`)
    landed_at: str = ""
    host: str = ""
    pid: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def batch_id_for(source: str, period: str, sha256: str) -> str:
    """Stable id of one batch: the same bytes for the same period give the same id."""
    return f"{source}:{period}:{sha256[:16]}"


def land(
    raw_dir: Path,
    *,
    source: str,
    period: str,
    url: str,
    content: bytes,
    extension: str,
    records: int | None,
    status: str,
    fetched_at: datetime | None = None,
    detail: str = "",
) -> LandedBatch:
    """Store `content` in the raw zone (once per checksum) and append a manifest row."""
    digest = sha256_hex(content)
    path = raw_dir / source / period / f"{digest}.{extension}"
    if not path.exists():
        atomic_write(path, content)
    when = (fetched_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    batch = LandedBatch(
        source=source,
        period=period,
        url=url,
        sha256=digest,
        bytes=len(content),
        records=records,
        fetched_at=when.isoformat(timespec="seconds"),
        status=status,
        path=str(path.relative_to(raw_dir)),
        batch_id=batch_id_for(source, period, digest),
        detail=detail,
        landed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        host=socket.gethostname(),
        pid=os.getpid(),
    )
    append_jsonl(raw_dir / "manifest.jsonl", batch.as_dict())
    return batch


def verify(raw_dir: Path, batch: dict) -> bool:
    """True when the landed file still has the checksum the manifest recorded."""
    path = raw_dir / batch["path"]
    return path.exists() and sha256_hex(path.read_bytes()) == batch["sha256"]
