"""Files written whole or appended line by line: the primitives every zone and audit log uses.

`atomic_write` replaces a file in one rename (a reader sees the old bytes or
the new, never half); `append_jsonl` adds one JSON line in a single write and
`read_jsonl` reads every whole line back, skipping a torn one; `sha256_hex`
is the checksum that names landed files and batches.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _file_mode() -> int:
    """What open() would give a new file: 0o666 less the process's umask (mkstemp alone gives 0o600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: Path, content: bytes, *, mode: int | None = None) -> None:
    """Write a whole file or nothing: a temporary file beside it, fsync, rename; `mode`, else umask permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, _file_mode() if mode is None else mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def append_jsonl(path: Path, row: dict) -> None:
    """Append one JSON line; a single write() of a line under O_APPEND is atomic.

    If the file ends in a torn line (a writer died mid-line), the new line
    starts on a line of its own, so the torn one never swallows it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(row, sort_keys=True, default=str) + "\n").encode()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)  # the umask decides the permissions
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_jsonl(path: Path) -> list[dict]:
    """Every whole JSON line; a torn or garbled line is skipped and reported, never fatal."""
    if not path.exists():
        return []
    rows = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                log.warning("%s line %d is not a whole JSON record (a torn write?); skipped: %.80r", path, number, line)
    return rows
