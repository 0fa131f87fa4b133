"""What the CLI shows, and where everything else goes.

By default a command prints progress bars and one summary line per step; the
rest (Airflow's task logs, dbt's node log, library warnings, full
tracebacks) goes to a log file under `MAPWH_HOME/logs/`. The redirection is
done on the process's file descriptors, so output from libraries that write
to stdout/stderr directly, and from child processes, lands in the file too.
With `-v` nothing is redirected and everything is printed as it happens
(and logged to the file as well).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import sys
import threading
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ingest.core.config import get_settings, secret_values
from ingest.core.config import redact as redact_with

_SECRETS: list[list[str]] = []  # the secret values a session redacts (read once, when it starts)


def redact(text: str) -> str:
    return redact_with(text, secrets=_SECRETS[-1] if _SECRETS else [])


def log_path(logs_dir: Path, command: str) -> Path:
    """A new log file's path; the folder is the owner's alone (0700): logs may quote errors, URLs and settings."""
    logs_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(logs_dir, 0o700)
    return logs_dir / f"mapwh-{command}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.log"


class Redacting(logging.Filter):
    """The one redaction filter: every record a handler writes has its secrets replaced (`config.redact`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = redact(message), None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def _pump(source_fd: int, target_fd: int, done: threading.Event) -> None:
    """Copy what child processes and libraries write to stdout/stderr into the log, a line at a time, redacted.

    It stops at the end of the pipe, or once `done` is set and nothing is left to read: a library may keep a
    copy of the pipe's write end open until the process exits (the end would never come), and waiting for
    it cost every `mapwh run` 10 s after its last line."""
    with os.fdopen(source_fd, "rb", buffering=0) as pipe:
        pending = b""
        while True:
            finishing = done.is_set()  # read before waiting: whatever was written before `done` is readable now
            readable, _, _ = select.select([pipe], [], [], 0.1)
            if not readable:
                if finishing:
                    break
                continue
            chunk = pipe.read(65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if lines:
                os.write(target_fd, redact(b"\n".join(lines).decode("utf-8", "replace")).encode() + b"\n")
        if pending:
            os.write(target_fd, redact(pending.decode("utf-8", "replace")).encode())


@contextlib.contextmanager
def session(path: Path, *, verbose: bool) -> Iterator[Console]:
    """A console for progress and summaries; everything else into `path` (and, verbose, the terminal)."""
    _SECRETS.append(secret_values(get_settings()))
    os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))  # the file is the owner's alone
    handler = logging.FileHandler(path)
    handler.addFilter(Redacting())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    warnings.simplefilter("default")  # each warning once per location, into the log
    logging.captureWarnings(True)
    if verbose:
        console_handler = logging.StreamHandler(sys.stderr)
        console_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        console_handler.addFilter(Redacting())
        root.addHandler(console_handler)
        try:
            yield RedactingConsole(highlight=False, soft_wrap=True, markup=False)
        finally:
            root.removeHandler(console_handler)
            root.removeHandler(handler)
            _SECRETS.pop()
        return

    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    console = RedactingConsole(file=os.fdopen(os.dup(1), "w", buffering=1), highlight=False, soft_wrap=True, markup=False)
    target = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    read_end, write_end = os.pipe()
    done = threading.Event()
    pump = threading.Thread(target=_pump, args=(read_end, target, done), name="mapwh-log-pump", daemon=True)
    pump.start()
    os.dup2(write_end, 1)
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield console
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        done.set()  # what was written is drained; a copy of the write end kept open elsewhere is not waited for
        pump.join(timeout=10)
        for fd in (*saved, target):
            os.close(fd)
        root.removeHandler(handler)
        handler.close()
        console.file.close()
        _SECRETS.pop()


class RedactingConsole(Console):
    """Rich's console with markup off (data text such as `[/x]` is printed as is) and every line redacted."""

    def print(self, *objects, **kwargs) -> None:  # noqa: A003 - rich's name
        super().print(*(redact(o) if isinstance(o, str) else o for o in objects), **kwargs)


def progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<34}", markup=False),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )

