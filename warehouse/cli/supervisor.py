"""`mapwh run`'s process supervisor: the work in a child process group that a signal, or the supervisor's death, ends."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time

from ingest.core.config import get_settings
from warehouse.cli.runner import run_here


def cmd_run(args: argparse.Namespace) -> int:
    """Supervise the run in a child process group, so SIGINT and SIGTERM stop it whatever it is doing.

    Airflow's in-process task runner takes SIGTERM for itself while a task
    runs, and treats an interrupted try as a failed one; so the work runs in a
    child (`MAPWH_RUN_CHILD=1`) and a signal to `mapwh run` ends the child's
    whole process group (dbt included): SIGTERM, then SIGKILL after a grace
    period. Commits and publishes are atomic and the writer lock dies with its
    holder, so the last good state keeps serving and the next run resumes.
    """
    import os
    import signal
    import subprocess

    if os.environ.get("MAPWH_RUN_CHILD") == "1":
        _die_with_supervisor(int(os.environ.get("MAPWH_RUN_SUPERVISOR", "0")))
        return run_here(args)
    child = subprocess.Popen([sys.executable, "-m", "warehouse.cli", *args.argv],  # noqa: S603 - this CLI again, argv already parsed
                             env={**os.environ, "MAPWH_RUN_CHILD": "1", "MAPWH_RUN_SUPERVISOR": str(os.getpid())},
                             start_new_session=True)
    stopped: dict[str, float] = {}  # the first signal and when it came

    def stop(signum, frame):
        stopped.setdefault("signal", signum)
        stopped.setdefault("at", time.monotonic())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGTERM)

    grace = get_settings().vars.stop_grace_s
    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)}
    try:
        while (code := child.poll()) is None:
            time.sleep(0.2)
            if stopped and time.monotonic() - stopped["at"] > grace:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if stopped:
        signum = int(stopped["signal"])
        print(f"mapwh run stopped by {signal.Signals(signum).name}: what was committed stays, nothing is "
              f"half-published; the next run resumes (log in {get_settings().logs_dir})", flush=True)
        return 128 + signum
    return code


def _die_with_supervisor(supervisor: int) -> None:
    """In the child of `mapwh run`: when the supervisor is gone (killed by a signal it cannot catch, SIGKILL),
    end this whole process group (dbt and every other child included) at once.

    The child runs in a session of its own (so that a signal meant for the
    supervisor's terminal does not reach Airflow's task runner first), so the
    kernel would not end it with the supervisor: a watchdog thread notices
    the re-parenting within half a second and kills the group with SIGKILL.
    What was committed stays; the build in progress never publishes.
    """
    import os
    import signal
    import threading

    if not supervisor:
        return

    def watch() -> None:
        while os.getppid() == supervisor:
            time.sleep(0.5)
        os.killpg(0, signal.SIGKILL)

    threading.Thread(target=watch, name="mapwh-die-with-supervisor", daemon=True).start()
