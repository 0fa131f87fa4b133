"""Incremental builds (decision 0025): a build copied from the published one
recomputes only the police.uk periods whose batch changed, and its marts are
identical to a full rebuild from the same validated zone. On the real months."""

from __future__ import annotations

import json
import time

import duckdb
import pytest

from devdata.mirror import serve, source_environment
from ingest import registry
from ingest.core.config import get_settings
from ingest.core.http import Fetched
from tests.conftest import query, require_shared_data
from warehouse import build, pipeline
from warehouse.build import basis as basis_room

pytestmark = pytest.mark.shared

STOPS = "police_uk_stop_search"


def tables(path, schema: str) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [t for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = ? order by 1", [schema]).fetchall()]
    finally:
        con.close()


def differences(left, right, schema: str, table: str) -> tuple[int, int, int]:
    """(rows, rows only in left, rows only in right): every column compared, duplicates counted."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{left}' as l (read_only)")
        con.execute(f"attach '{right}' as r (read_only)")
        relation = f'{schema}."{table}"'
        rows = con.execute(f"select count(*) from l.{relation}").fetchone()[0]  # noqa: S608 - test names
        only_left = con.execute(f"select count(*) from (from l.{relation} except all from r.{relation})").fetchone()[0]  # noqa: S608
        only_right = con.execute(f"select count(*) from (from r.{relation} except all from l.{relation})").fetchone()[0]  # noqa: S608
        return rows, only_left, only_right
    finally:
        con.close()


def fetched(url: str, content: bytes) -> Fetched:
    return Fetched(url=url, content=content, status=200, content_type="application/json", fetched_at=time.time())


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """Three real months built in full; then three more months, one month revised, one withdrawn,
    and the 2016 archive month, built incrementally; then a full rebuild of the same zone."""
    data = require_shared_data()
    home = tmp_path_factory.mktemp("incremental")
    months = data / "police_uk" / "stops-force" / "metropolitan"
    with serve(data) as server:
        settings = get_settings({**source_environment(server), "MAPWH_HOME": str(home)})
        for name in ("census_population", "london_boundaries"):
            pipeline.load(settings, registry.get(name))
        stops = registry.get(STOPS)
        for month in ("2024-09", "2024-10", "2024-11"):
            pipeline.load_period(settings, stops, month)
        build.build_and_publish(settings)
        first = settings.warehouse_path.with_name("first.duckdb")
        first.write_bytes(settings.warehouse_path.read_bytes())

        for month in ("2024-12", "2025-01", "2025-02"):
            pipeline.load_period(settings, stops, month)
        # a revision of 2024-10: the same month republished without its last 50 records
        revised = json.loads((months / "2024-10.json").read_text())[:-50]
        pipeline.ingest_bytes(settings, stops, fetched(server.url_for("revised/2024-10.json") + "?force=metropolitan&date=2024-10", json.dumps(revised).encode()),
                              "2024-10")
        # 2024-11 withdrawn by hand (the pipeline itself never replaces a loaded month with nothing)
        (settings.validated_dir / "police_uk_stop_searches" / "2024-11" / "current.json").unlink()
        pipeline.load_period(settings, stops, "2016-06")  # from the bulk archive CSV, another format
        build.build_and_publish(settings)
        incremental = settings.warehouse_path.with_name("incremental.duckdb")
        incremental.write_bytes(settings.warehouse_path.read_bytes())

        path = build.prepare(settings, full_refresh=True)
        build.run_dbt(settings, path)
        build.gate_marts(settings, path)
        build.publish(settings, path)
    return settings, first, incremental, settings.warehouse_path


def test_the_second_build_is_incremental_and_names_what_changed(refreshed):
    _, first, incremental, full = refreshed
    assert query(first, "select mode, reason, based_on from audit.build") == [("full", "nothing published yet", None)]
    (mode, based_on), = query(incremental, "select mode, based_on from audit.build")
    assert mode == "incremental"
    assert based_on == query(first, "select build from audit.build")[0][0]
    changes = query(incremental, "select period, change from raw.refresh_periods "
                                 "where table_name = 'police_uk_stop_searches' order by period")
    assert changes == [("2016-06", "added"), ("2024-10", "replaced"), ("2024-11", "removed"),
                       ("2024-12", "added"), ("2025-01", "added"), ("2025-02", "added")]
    assert query(full, "select mode, reason from audit.build") == [("full", "full refresh asked for")]


def test_incremental_and_full_builds_give_identical_marts(refreshed):
    _, _, incremental, full = refreshed
    marts = tables(full, "marts")
    assert marts == tables(incremental, "marts") and "fct_stop_search" in marts
    for table in marts:
        rows, only_incremental, only_full = differences(incremental, full, "marts", table)
        assert (only_incremental, only_full) == (0, 0), f"marts.{table} differs ({rows} rows)"
    for table in ("int_stop_searches__located", "int_stop_searches__period_counts"):
        assert differences(incremental, full, "intermediate", table)[1:] == (0, 0), table
    assert differences(incremental, full, "raw", "police_uk_stop_searches")[1:] == (0, 0)


def test_the_refreshed_periods_are_the_new_batches_and_the_rest_is_kept(refreshed):
    _, first, incremental, _ = refreshed
    counts = dict(query(incremental, "select period, count(*) from marts.fct_stop_search group by 1"))
    assert "2024-11" not in counts  # withdrawn: its rows were deleted, none inserted
    assert counts["2024-10"] == 3400 - 50 and counts["2016-06"] == 10490
    assert counts["2024-09"] == 3253
    # the untouched month is the first build's rows, not recomputed ones: same ids, same batch
    kept = "select stop_id, batch_id from marts.fct_stop_search where period = '2024-09' order by 1"
    assert query(incremental, kept) == query(first, kept)
    batches = dict(query(incremental, "select period, batch_id from raw.loaded_batches "
                                      "where table_name = 'police_uk_stop_searches'"))
    assert {p for (p,) in query(incremental, "select distinct batch_id from raw.police_uk_stop_searches")} <= set(batches.values())


def test_the_mart_gate_of_an_incremental_build_reads_only_the_refreshed_periods(refreshed):
    settings, _, incremental, _ = refreshed
    result = build.gate_table(settings, incremental, "mart_fct_stop_search", "marts", "fct_stop_search", batch_id="t",
                              parameters={"published_rows_floor": 0}, periods=["2024-10"])
    document = json.loads(open(result.report_path).read())
    assert result.success
    total = query(incremental, "select count(*) from marts.fct_stop_search")[0][0]
    assert document["table_rows"] == total and document["rows_checked"] == 3350


def test_a_changed_basis_forces_a_full_build(refreshed, monkeypatch):
    settings, *_ = refreshed
    basis = build.incremental_basis(settings)
    assert build.full_build_reason(settings, basis) is None
    monkeypatch.setattr(basis_room, "BUILD_LAYOUT", basis_room.BUILD_LAYOUT + "-changed")  # read by incremental_basis
    changed = build.incremental_basis(settings)
    assert changed != basis
    assert "changed since the published build" in build.full_build_reason(settings, changed)


def test_the_basis_names_every_raw_table_the_incremental_models_read(refreshed):
    """A raw table upstream of an incremental model but not in the basis would let a stored period go stale."""
    settings, *_ = refreshed
    manifest = json.loads((settings.home / "dbt" / "target" / "manifest.json").read_text())
    nodes = {**manifest["nodes"], **manifest["sources"]}
    incremental = [n for n, node in manifest["nodes"].items()
                   if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"]
    assert {nodes[n]["name"] for n in incremental} == {
        "int_stop_searches__located", "fct_stop_search", "int_stop_searches__period_counts", "stop_search_by_force"}
    upstream, todo = set(), list(incremental)
    while todo:
        for parent in nodes[todo.pop()].get("depends_on", {}).get("nodes", []):
            if parent not in upstream:
                upstream.add(parent)
                todo.append(parent)
    raw_tables = {nodes[n]["identifier"] for n in upstream if n.startswith("source.") and nodes[n]["source_name"] != "audit"}
    assert raw_tables == set(build.incremental_tables()) | set(build.basis_tables())
    # the sources declare exactly the models dbt builds incrementally (the marts among them are gated on the
    # refreshed periods only)
    assert set(build.incremental_models()) == {nodes[n]["name"] for n in incremental}


def test_an_incremental_build_runs_only_what_its_changed_sources_feed(refreshed):
    """dbt builds the models downstream of the changed raw table (and of the audit tables) with their data tests;
    the rest are the published build's; a full build runs every model; neither runs a unit test."""
    _, _, incremental, full = refreshed
    (arguments,), = query(incremental, "select arguments from audit.dbt_selection")
    assert "source:police_uk.stop_searches+" in arguments and "source:audit+" in arguments
    assert not any(a.startswith("source:pas") or a.startswith("source:workforce") for a in arguments)
    ran = {n for (n,) in query(incremental, "select name from audit.dbt_nodes where resource_type = 'model'")}
    everything = {n for (n,) in query(full, "select name from audit.dbt_nodes where resource_type = 'model'")}
    assert {"fct_stop_search", "stop_search_monthly", "stop_search_disproportionality", "action_plan_scorecard"} <= ran
    assert not ran & {"trust_gap", "trust_confidence", "workforce_representation", "action_plan_progress"}
    assert ran < everything and {"trust_gap", "workforce_representation"} <= everything
    assert query(incremental, "select count(*) from audit.dbt_nodes where resource_type = 'test'")[0][0] > 0
    for build_file in (incremental, full):
        assert query(build_file, "select count(*) from audit.dbt_nodes where resource_type = 'unit_test'") == [(0,)]
        assert query(build_file, "select count(*) from audit.dbt_nodes where status not in ('success', 'pass')") == [(0,)]


def test_a_build_with_nothing_new_makes_no_file_and_publishes_nothing(refreshed, monkeypatch):
    """An Asset event for batches the published build already holds: prepare refuses before any file is made;
    a changed serving batch, or a new day (the scorecard reads the date), is something new."""
    from warehouse import selection

    settings, *_ = refreshed
    publications = (settings.audit_dir / "publications.jsonl").read_text()
    files = sorted(settings.build_dir.rglob("*"))
    with pytest.raises(selection.NothingNew, match="nothing new"):
        build.prepare(settings)
    assert sorted(settings.build_dir.rglob("*")) == files
    assert (settings.audit_dir / "publications.jsonl").read_text() == publications
    assert selection.serving_changes(settings) == {}

    serving = selection.validated.all_current(settings.validated_dir)
    monkeypatch.setattr(selection.validated, "all_current", lambda validated_dir: [
        b for b in serving if (b["table_name"], b["period"]) != ("police_uk_stop_searches", "2024-12")])
    assert selection.serving_changes(settings) == {"police_uk_stop_searches": ["2024-12"]}
    selection.ensure_something_new(settings)  # no NothingNew
    monkeypatch.setattr(selection.validated, "all_current", lambda validated_dir: serving)
    batches, _ = selection.published_build(settings)
    monkeypatch.setattr(selection, "published_build", lambda settings: (batches, "2020-01-01"))
    selection.ensure_something_new(settings)
