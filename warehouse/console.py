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
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


def log_path(logs_dir: Path, command: str) -> Path:
    logs_dir.mkdir(parents=True, exist_ok=True)
    return logs_dir / f"mapwh-{command}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.log"


@contextlib.contextmanager
def session(path: Path, *, verbose: bool) -> Iterator[Console]:
    """A console for progress and summaries; everything else into `path` (and, verbose, the terminal)."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    warnings.simplefilter("default")  # each warning once per location, into the log
    logging.captureWarnings(True)
    if verbose:
        console_handler = logging.StreamHandler(sys.stderr)
        console_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(console_handler)
        try:
            yield Console(highlight=False, soft_wrap=True)
        finally:
            root.removeHandler(console_handler)
            root.removeHandler(handler)
        return

    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    console = Console(file=os.fdopen(os.dup(1), "w", buffering=1), highlight=False, soft_wrap=True)
    target = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(target, 1)
    os.dup2(target, 2)
    try:
        yield console
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, target):
            os.close(fd)
        root.removeHandler(handler)
        handler.close()
        console.file.close()


def progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<34}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )

