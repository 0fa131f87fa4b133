"""A warm Celery worker (decision 0044): it imports Great Expectations and the pipeline once, and forks
tasks that share nothing with it but code. That the tasks do skip the import under a real scheduler is
`tests/e2e/test_scheduler.py`'s compose topology test (their logs say so)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.test_deployment import services


def test_the_worker_runs_airflows_celery_configuration_with_the_preload():
    from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

    from warehouse.celery_config import CELERY_CONFIG, PRELOAD

    assert {k: v for k, v in CELERY_CONFIG.items() if k != "imports"} == DEFAULT_CELERY_CONFIG
    assert PRELOAD in CELERY_CONFIG["imports"]
    worker = services()["airflow-worker"]["environment"]
    assert worker["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] == "warehouse.celery_config.CELERY_CONFIG"


def test_preloading_imports_great_expectations_and_opens_no_thread_file_or_socket():
    """What a forked task inherits must be code only: a thread, an open file or a connection made at import
    would be shared by every task the worker forks."""
    script = """
import json, os, sys, threading
before = set(os.listdir('/proc/self/fd'))
import warehouse.worker_preload
after = set(os.listdir('/proc/self/fd'))
opened = {fd: os.readlink(f'/proc/self/fd/{fd}') for fd in after - before if os.path.exists(f'/proc/self/fd/{fd}')}
print(json.dumps({"threads": [t.name for t in threading.enumerate()], "opened": opened,
                  "modules": [m for m in ("great_expectations", "warehouse.pipeline", "warehouse.build", "altair")
                              if m in sys.modules]}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)  # noqa: S603
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["threads"] == ["MainThread"]
    assert found["opened"] == {}
    assert found["modules"] == ["great_expectations", "warehouse.pipeline", "warehouse.build", "altair"]
