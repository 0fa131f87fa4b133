"""warehouse/loads.py in-process: format rejection, empty months, record-count gate.

Runs the load steps the stop_search DAG wires together (plan → land →
gate_and_load) against the synthetic sample served on 127.0.0.1, with real
Great Expectations validation and a real validated zone in tmp_path.
"""

from __future__ import annotations

import json

import pytest

from ingest import sample
from ingest.mirror import serve
from warehouse import validated
from warehouse.config import get_settings
from warehouse.gates import GateFailed
from warehouse.loads import (
    BatchRejected,
    gate_and_load_stop_search,
    land_stop_search_month,
    plan_stop_search_month,
)

TABLE = "police_uk_stop_searches"


@pytest.fixture
def mirror_root(tmp_path):
    root = tmp_path / "mirror"
    sample.generate(root, first_month="2024-01", last_month="2024-05", archive_months=(), empty_months=())
    return root


@pytest.fixture
def settings(mapwh_home, mirror_root, monkeypatch):
    with serve(mirror_root) as server:
        monkeypatch.setenv("POLICE_UK_API_URL", server.api_url)
        yield get_settings()


def load(settings, month: str) -> dict:
    return gate_and_load_stop_search(settings, land_stop_search_month(settings, plan_stop_search_month(settings, month)))


def stops_file(root, month):
    return root / sample.STOPS_DIR / f"{month}.json"


def test_a_month_loads_into_the_validated_zone(settings, mirror_root):
    committed = load(settings, "2024-01")
    expected = len(json.loads(stops_file(mirror_root, "2024-01").read_bytes()))
    assert committed["status"] == "loaded" and committed["rows"] == expected
    assert validated.current(settings.validated_dir, TABLE, "2024-01")["batch_id"] == committed["batch_id"]


def test_html_error_page_is_rejected_and_quarantined(settings, mirror_root):
    html = b"<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>"
    stops_file(mirror_root, "2024-02").write_bytes(html)
    plan = plan_stop_search_month(settings, "2024-02")
    with pytest.raises(BatchRejected, match="HTML page instead of JSON"):
        land_stop_search_month(settings, plan)
    (quarantined,) = (settings.quarantine_dir / "police_uk_stop_search" / "2024-02").iterdir()
    assert (quarantined / "payload.json").read_bytes() == html
    assert "HTML" in (quarantined / "reason.txt").read_text()
    manifest = [json.loads(line) for line in settings.manifest_path.read_text().splitlines()]
    assert [m["status"] for m in manifest if m["period"] == "2024-02"] == ["rejected"]
    assert validated.current(settings.validated_dir, TABLE, "2024-02") is None


def test_truncated_json_is_rejected(settings, mirror_root):
    content = stops_file(mirror_root, "2024-03").read_bytes()
    stops_file(mirror_root, "2024-03").write_bytes(content[: len(content) - 500])
    with pytest.raises(BatchRejected, match="truncated JSON"):
        land_stop_search_month(settings, plan_stop_search_month(settings, "2024-03"))


def test_empty_answer_never_replaces_a_loaded_month(settings, mirror_root):
    first = load(settings, "2024-01")
    stops_file(mirror_root, "2024-01").write_bytes(b"[]")
    landed = land_stop_search_month(settings, plan_stop_search_month(settings, "2024-01"))
    assert landed["status"] == "empty" and landed["records"] == 0
    assert gate_and_load_stop_search(settings, landed)["batch_id"] == first["batch_id"]


def test_record_count_collapse_fails_and_a_drop_warns(settings, mirror_root):
    for month in ("2024-01", "2024-02", "2024-03"):
        load(settings, month)
    april = json.loads(stops_file(mirror_root, "2024-04").read_bytes())
    stops_file(mirror_root, "2024-04").write_text(json.dumps(april[: len(april) // 2]))  # about half: a drop
    dropped = load(settings, "2024-04")
    assert dropped["status"] == "loaded"
    assert any("row_count" in w for w in dropped["warnings"])

    may = json.loads(stops_file(mirror_root, "2024-05").read_bytes())
    stops_file(mirror_root, "2024-05").write_text(json.dumps(may[:100]))  # a collapse
    with pytest.raises(GateFailed, match="expect_table_row_count_to_be_between"):
        load(settings, "2024-05")
    assert validated.current(settings.validated_dir, TABLE, "2024-05") is None
    assert any((settings.quarantine_dir / "police_uk_stop_search" / "2024-05").iterdir())


def test_unknown_label_fails_the_gate(settings, mirror_root):
    records = json.loads(stops_file(mirror_root, "2024-01").read_bytes())
    records[0]["officer_defined_ethnicity"] = "Martian"
    stops_file(mirror_root, "2024-01").write_text(json.dumps(records))
    with pytest.raises(GateFailed, match="officer_defined_ethnicity"):
        load(settings, "2024-01")


def test_unpublished_month_is_not_planned(settings):
    plan = plan_stop_search_month(settings, "2023-06")
    assert plan["published"] is False and plan["api_latest"] == "2024-05"


def test_archive_directory_url_is_tried_and_a_missing_month_is_not_published(mapwh_home, tmp_path, monkeypatch):
    from warehouse.loads import NotPublished

    root = tmp_path / "mirror"
    sample.generate(root, first_month="2024-01", last_month="2024-01", archive_months=("2016-06",), empty_months=())
    with serve(root) as server:
        monkeypatch.setenv("POLICE_UK_API_URL", server.api_url)
        monkeypatch.setenv("POLICE_UK_ARCHIVE_URL", server.url_for("police_uk/archive") + "/")
        settings = get_settings()
        committed = load(settings, "2016-06")
        assert committed["status"] == "loaded" and committed["rows"] > 5000
        assert committed["url"].endswith("/police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv")
        plan = plan_stop_search_month(settings, "2016-07")
        with pytest.raises(NotPublished):
            land_stop_search_month(settings, plan)
