"""Failures of any kind reach `audit/task_failures.jsonl` (what `mapwh status` and `mapwh run` show), once:
the task body records the failures it expects; every task's `on_failure_callback` records the rest (an error
before the body's own handling, a timeout). The context here is a unit test's; every task has the callback
(tests/dags/test_dagbag.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowTaskTimeout

from ingest.core.files import read_jsonl
from warehouse import orchestration
from warehouse.pipeline import BatchRejected


@pytest.fixture
def failures(tmp_path, monkeypatch):
    monkeypatch.setenv("MAPWH_HOME", str(tmp_path / "var"))
    return lambda: read_jsonl(tmp_path / "var" / "audit" / "task_failures.jsonl")


def context(dag_id: str, task_id: str, exc: BaseException) -> dict:
    return {"ti": SimpleNamespace(dag_id=dag_id, task_id=task_id), "exception": exc}


def test_an_error_the_task_body_did_not_record_is_recorded_by_the_callback(failures):
    # what `plan` raised when a run had no logical date, before its body's own error handling
    orchestration.record_task_failure(context("stop_search", "plan", AttributeError("'NoneType' object has no attribute 'tzinfo'")))
    (row,) = failures()
    assert (row["source"], row["task"], row["error"]) == ("police_uk_stop_search", "stop_search.plan", "AttributeError")
    assert "tzinfo" in row["message"]


def test_a_timeout_is_recorded_with_the_task_and_its_source(failures):
    orchestration.record_task_failure(context("workforce", "workforce_leavers", AirflowTaskTimeout("Timeout, PID: 1")))
    orchestration.record_task_failure(context("warehouse_build", "dbt_build", AirflowTaskTimeout("Timeout, PID: 2")))
    assert [(r["source"], r["task"], r["error"]) for r in failures()] == [
        ("workforce_leavers", "workforce.workforce_leavers", "AirflowTaskTimeout"),
        ("warehouse_build", "warehouse_build.dbt_build", "AirflowTaskTimeout")]


def test_a_failure_the_body_recorded_is_not_recorded_twice(failures):
    def rejected():
        raise BatchRejected("police_uk_stop_search 2025-01: not JSON")

    with pytest.raises(AirflowFailException) as raised:
        orchestration._fail_or_skip("police_uk_stop_search", rejected)
    orchestration.record_task_failure(context("stop_search", "load", raised.value))  # Airflow calls it next
    (row,) = failures()
    assert row["error"] == "BatchRejected" and "task" not in row


def test_a_load_left_to_another_run_is_said_so_not_called_unchanged(failures, tmp_path):
    """A load skipped because another run holds its period's lock is recorded (not as a failure), and
    `mapwh run`'s line for the source says another run is loading it, not "unchanged since its last load"."""
    import time

    from airflow.sdk.exceptions import AirflowSkipException

    from ingest import registry
    from ingest.core.config import get_settings
    from warehouse.cli import runner
    from warehouse.pipeline import LoadInProgress

    def busy():
        raise LoadInProgress("workforce_leavers 2024-25: another run holds its lock")

    source = registry.get("workforce_leavers")
    settings = get_settings()
    since = time.time()
    assert runner._source_summary(settings, source, "skipped", since) == "unchanged since its last load"
    with pytest.raises(AirflowSkipException):
        orchestration._fail_or_skip("workforce_leavers", busy)
    assert failures() == []
    line = runner._source_summary(settings, source, "skipped", since)
    assert line.startswith("skipped: another run is loading it now") and "holds its lock" in line
    # another source's skip says nothing of it
    assert runner._left_to_another_run(settings, "workforce_joiners", since) is None
