"""Unattended loading under a simulated clock: scheduled runs fire month by month while police.uk's
availability advances (two months behind); every month is loaded exactly once, a revised month once
more. The runs call what the `stop_search` DAG's tasks call (warehouse.orchestration)."""

from __future__ import annotations

import json
import shutil

from airflow.sdk.exceptions import AirflowSkipException

from devdata import sample
from devdata.mirror import serve
from ingest.core import periods
from ingest.core.files import read_jsonl
from warehouse import orchestration, validated

SOURCE = "police_uk_stop_search"
TABLE = "police_uk_stop_searches"


def test_scheduled_runs_load_each_new_month_once_and_a_revision_once_more(tmp_path, monkeypatch):
    full = tmp_path / "full"
    sample.generate(full, first_month="2024-10", last_month="2025-04", archive_months=(), empty_months=(), with_use_of_force=False)
    published = tmp_path / "published"  # what police.uk serves so far
    (published / sample.STOPS_DIR).mkdir(parents=True)
    monkeypatch.setenv("MAPWH_HOME", str(tmp_path / "var"))

    outcomes: dict[str, list[str]] = {}
    with serve(published) as server:  # no availability file: the mirror lists the month files present
        monkeypatch.setenv("POLICE_UK_API_URL", server.api_url)
        for run_month in periods.month_range("2024-12", "2025-06"):
            for month in periods.month_range("2024-10", periods.add_months(run_month, -2)):  # two months late
                target = published / sample.STOPS_DIR / f"{month}.json"
                if not target.exists():
                    shutil.copy(full / sample.STOPS_DIR / f"{month}.json", target)
            if run_month == "2025-04":  # police.uk republishes December with 40 records withdrawn
                december = published / sample.STOPS_DIR / "2024-12.json"
                december.write_text(json.dumps(json.loads(december.read_bytes())[:-40]))
            for planned in orchestration.plan_period(SOURCE, periods.month_start_london(run_month), lookback=12):
                try:
                    (committed,) = orchestration.load_planned(SOURCE, planned)
                    outcomes.setdefault(planned["period"], []).append("revised" if "revision_of" in committed else "loaded")
                except AirflowSkipException:
                    outcomes.setdefault(planned["period"], []).append("unchanged")

    settings = orchestration.get_settings()
    serving = {c["period"]: c for c in validated.all_current(settings.validated_dir, TABLE)}
    assert sorted(serving) == periods.month_range("2024-10", "2025-04")
    gated = [g["target"].split()[-1] for g in read_jsonl(settings.audit_dir / "gate_results.jsonl")]
    assert {m: gated.count(m) for m in serving} == {**dict.fromkeys(serving, 1), "2024-12": 2}
    assert [o for o in outcomes["2024-12"] if o != "unchanged"] == ["loaded", "revised"]
    assert all(o.count("loaded") == 1 for o in outcomes.values())
    full_december = len(json.loads((full / sample.STOPS_DIR / "2024-12.json").read_bytes()))
    assert serving["2024-12"]["rows"] == full_december - 40
    (revision,) = read_jsonl(settings.audit_dir / "revisions.jsonl")
    assert (revision["period"], revision["old_rows"], revision["new_rows"]) == ("2024-12", full_december, full_december - 40)


def test_a_run_without_a_logical_date_reads_the_latest_published_month(tmp_path, monkeypatch):
    """`airflow dags trigger stop_search` and the UI's trigger give the run no logical date, so no data interval:
    its plan reads the latest month police.uk lists (and the look-back before it) instead of failing on None."""
    root = tmp_path / "published"
    sample.generate(root, first_month="2024-11", last_month="2025-02", archive_months=(), empty_months=(), with_use_of_force=False)
    monkeypatch.setenv("MAPWH_HOME", str(tmp_path / "var"))
    with serve(root) as server:
        monkeypatch.setenv("POLICE_UK_API_URL", server.api_url)
        latest = [p["period"] for p in orchestration.plan_period(SOURCE, None, lookback=1)]
        with_lookback = [p["period"] for p in orchestration.plan_period(SOURCE, None, lookback=3)]
    assert latest == ["2025-02"]
    assert sorted(with_lookback) == ["2024-12", "2025-01", "2025-02"]


def test_a_run_without_a_logical_date_is_skipped_when_nothing_is_published(tmp_path, monkeypatch):
    empty = tmp_path / "published"
    (empty / sample.STOPS_DIR).mkdir(parents=True)
    monkeypatch.setenv("MAPWH_HOME", str(tmp_path / "var"))
    with serve(empty) as server:
        monkeypatch.setenv("POLICE_UK_API_URL", server.api_url)
        try:
            orchestration.plan_period(SOURCE, None, lookback=1)
        except AirflowSkipException as skipped:
            assert "no month published yet" in str(skipped)
        else:
            raise AssertionError("a run with nothing published planned something")
