"""One writer at a time: the lock every entry point takes before it changes what readers see.

The validated zone and the published warehouse are changed by loads (a
commit per period) and by builds (a snapshot of the validated zone, then a
publish). They may run in several processes at once: scheduler workers, a
`mapwh run` beside them, two `mapwh run` on one MAPWH_HOME. `dag.test()`
ignores Airflow pools, so the pools alone cannot serialise them. Every such
critical section holds this lock (`filelock`, an OS-level lock on
`MAPWH_HOME/locks/writer.lock`, released if its process dies):

- a commit to the validated zone (read what serves the period, compare, replace);
- a build's snapshot of the validated zone, which also takes the build's
  sequence number (`next_build_sequence`);
- a publish, which refuses a build older than the one already published.

dbt itself runs outside the lock, in the build's own file (under `dbt_lock`, which only
serialises dbt runs).
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout

from ingest.core.config import Settings

log = logging.getLogger(__name__)


class WriterBusy(RuntimeError):
    """Another process held the writer lock for longer than the timeout."""


class PeriodBusy(RuntimeError):
    """Another process is loading this period now."""


@contextlib.contextmanager
def _file_lock(settings: Settings, name: str, busy: Callable[[Path, float], Exception],
               timeout: float | None = None) -> Iterator[None]:
    """Hold `MAPWH_HOME/locks/<name>.lock`, waiting up to `timeout` seconds (MAPWH_LOCK_TIMEOUT by default),
    then raise `busy(path, timeout)`."""
    path = settings.home / "locks" / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    timeout = settings.vars.lock_timeout_s if timeout is None else timeout
    try:
        with FileLock(path, timeout=timeout):
            yield
    except Timeout as exc:
        raise busy(path, timeout) from exc


def writer_lock(settings: Settings, what: str) -> contextlib.AbstractContextManager[None]:
    """Hold the one-writer lock while `what` runs (re-entrant within a process)."""
    return _file_lock(settings, "writer", lambda path, waited: WriterBusy(
        f"{what}: another writer held {path} for more than {waited:.0f}s"))


def dbt_lock(settings: Settings, what: str) -> contextlib.AbstractContextManager[None]:
    """Hold the lock of dbt's working files while `what` runs: its target directory (manifest, partial-parse
    state, run results) and the stable path it opens builds through are one per MAPWH_HOME (decision 0042)."""
    return _file_lock(settings, "dbt", lambda path, waited: WriterBusy(
        f"{what}: another dbt run held {path} for more than {waited:.0f}s"))


def period_lock(settings: Settings, source_name: str, period: str) -> contextlib.AbstractContextManager[None]:
    """Hold `MAPWH_HOME/locks/load-<source>-<period>.lock` while one run loads the period (fetch, land, gate,
    commit), or raise PeriodBusy at once when another run holds it: two backfill runs whose look-backs overlap
    would otherwise fetch and gate the same month twice and land it twice in the manifest."""
    return _file_lock(settings, f"load-{source_name}-{period}", lambda path, _: PeriodBusy(
        f"{source_name} {period}: another run is loading it now ({path}); left to that run"), timeout=0)


def next_build_sequence(settings: Settings) -> int:
    """The next build number (call with the writer lock held): builds are ordered by it."""
    counter = settings.build_dir / ".sequence"
    counter.parent.mkdir(parents=True, exist_ok=True)
    current = int(counter.read_text().strip() or 0) if counter.exists() else 0
    tmp = counter.with_name(".sequence.tmp")
    tmp.write_text(f"{current + 1}\n")
    os.replace(tmp, counter)
    return current + 1
