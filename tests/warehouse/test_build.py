"""warehouse/build/: never-loaded sources build empty marts; a failed mart gate
quarantines the build and leaves the published warehouse serving; publishing is
an atomic swap that never blocks or breaks a reader."""

from __future__ import annotations

import json
import subprocess

import duckdb
import pytest

from ingest.core.config import DBT_PROJECT_DIR, get_settings
from tests.conftest import query
from tests.warehouse.test_dbt_project import declared_unit_tests
from warehouse import build
from warehouse.build import prepare_raw
from warehouse.gates import GateFailed
from warehouse.writer import next_build_sequence, writer_lock

MARTS = ("fct_stop_search", "stop_search_monthly", "stop_search_disproportionality", "stop_search_by_force",
         "trust_confidence", "trust_gap", "neighbourhood_gaps",
         "workforce_representation", "recruitment_shares", "promotion_shares", "workforce_leavers", "workforce_targets",
         "use_of_force_monthly", "handcuffing_policy_effect", "use_of_force_by_force", "misconduct_disproportionality",
         "action_plan_progress", "action_plan_reconciliation", "action_plan_scorecard")


def a_build(settings, source, marker: str | None = None):
    """A copy of a built file under a new build number, as prepare() would name it."""
    with writer_lock(settings, "test"):
        path = build.new_build_path(settings, next_build_sequence(settings))
    path.write_bytes(source.read_bytes())
    if marker:
        con = duckdb.connect(str(path))
        con.execute("update audit.build set build = ?", [marker])
        con.close()
    return path


def served_marker(settings):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute("select build from audit.build").fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def empty_build(tmp_path_factory):
    """One real dbt build with nothing loaded (shared: a dbt build takes ~15 s)."""
    settings = get_settings({"MAPWH_HOME": str(tmp_path_factory.mktemp("build"))})
    path = build.prepare(settings)
    log_file = build.run_dbt(settings, path)
    assert "Completed successfully" in log_file.read_text()  # dbt's node log is kept, not printed
    template = tmp_path_factory.mktemp("template") / "built.duckdb"  # outside build/: publishing never removes it
    path.rename(template)
    return settings, template


def test_marts_of_never_loaded_sources_are_empty_not_failed(empty_build):
    settings, path = empty_build
    con = duckdb.connect(str(path), read_only=True)
    try:
        for mart in MARTS:
            if mart in ("workforce_targets", "action_plan_scorecard"):  # every commitment has a row, `no_data` until its data loads
                statuses = con.execute(f"select distinct status from marts.{mart}").fetchall()
                assert statuses == [("no_data",)]
                continue
            if mart.startswith("action_plan_"):  # the register is seeded from the papers, not loaded
                continue
            assert con.execute(f"select count(*) from marts.{mart}").fetchone() == (0,)
        # the contracted columns are there for BI tools even when empty
        cols = [r[0] for r in con.execute("describe marts.stop_search_monthly").fetchall()]
    finally:
        con.close()
    assert cols == ["month", "borough", "ethnicity_basis", "ethnic_group", "searches", "arrests",
                    "no_further_action", "linked_outcomes", "more_than_outer_clothing", "drug_searches"]
    assert all(r.success for r in build.gate_marts(settings, path))
    assert {f"mart_{m}" for m in MARTS} == set(build.mart_gates())


def test_failed_mart_gate_quarantines_and_published_stays(empty_build, tmp_path):
    settings, path = empty_build
    # Publish a copy of the good build, then break a mart in another copy.
    good = a_build(settings, path)
    bad = a_build(settings, path)
    build.publish(settings, good)
    published = settings.warehouse_path.read_bytes()

    con = duckdb.connect(str(bad))
    con.execute(
        "insert into marts.stop_search_monthly values (date '2024-09-01', 'Camden', 'self_defined', 'Black', 5, -1, 0, 0, 0, 0)"
    )
    con.close()
    with pytest.raises(GateFailed, match="arrests") as failure:
        build.gate_marts(settings, bad)
    build.quarantine_build(settings, bad, str(failure.value))

    assert not bad.exists()
    assert (settings.quarantine_dir / "builds" / bad.stem / bad.name).exists()
    assert "arrests" in (settings.quarantine_dir / "builds" / bad.stem / "reason.txt").read_text()
    assert settings.warehouse_path.read_bytes() == published


@pytest.mark.parametrize(
    ("insert", "column"),
    [
        ("insert into marts.trust_confidence values (date '2023-12-31', 'London', 'Trust MPS', 8.0, 'dashboard', "
         "'rolling 12 months', null, null, true, null)", "proportion"),
        ("insert into marts.trust_gap values (date '2022-12-31', date '2022-01-01', 4, true, 'London', 'Trust MPS', "
         "'White', 'Black', 80.0, 52.0, 28.0, 29.0, 31.0, 6765, 3413, 6000.0, 3000.0, false, 'WT_Discrete')", "ci_low"),
    ],
)
def test_trust_mart_gates_catch_impossible_figures(empty_build, tmp_path, insert, column):
    settings, path = empty_build
    bad = a_build(settings, path)
    con = duckdb.connect(str(bad))
    con.execute(insert)
    con.close()
    with pytest.raises(GateFailed, match=column):
        build.gate_marts(settings, bad)


def test_publish_is_an_atomic_swap_readers_keep_their_snapshot(empty_build, tmp_path):
    settings, path = empty_build
    first, second = a_build(settings, path, "first"), a_build(settings, path, "second")

    build.publish(settings, first)
    reader = duckdb.connect(str(settings.warehouse_path), read_only=True)  # an analyst's open session
    build.publish(settings, second)  # not blocked by the reader
    try:
        assert reader.execute("select build from audit.build").fetchone() == ("first",)
    finally:
        reader.close()
    assert served_marker(settings) == "second"


def test_an_older_build_never_replaces_a_newer_one(empty_build):
    settings, path = empty_build
    older, newer = a_build(settings, path, "older"), a_build(settings, path, "newer")
    build.publish(settings, newer)
    with pytest.raises(build.Superseded, match="already published"):
        build.publish(settings, older)
    assert served_marker(settings) == "newer" and not older.exists()
    with pytest.raises(build.Superseded):  # its later steps stop too, without a quarantine entry
        build.gate_marts(settings, older)


def test_publish_clears_orphans_and_a_stale_wal(empty_build):
    settings, path = empty_build
    orphan = a_build(settings, path)  # a build killed before it could publish
    current = a_build(settings, path, "current")
    stale_wal = settings.warehouse_path.with_name(settings.warehouse_path.name + ".wal")
    stale_wal.write_bytes(b"not a log for this file")
    build.publish(settings, current)
    assert not orphan.exists() and not stale_wal.exists()
    assert served_marker(settings) == "current"
    assert any((settings.quarantine_dir / "builds").glob("stale-wal-*/warehouse.duckdb.wal"))


def test_a_failed_prepare_leaves_no_file(empty_build, monkeypatch):
    settings, _ = empty_build
    before = set(settings.build_dir.glob("warehouse-*"))

    def broken(settings, path, *args):
        path.write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(prepare_raw, "_fill_raw", broken)  # where `prepare` looks them up
    monkeypatch.setattr(prepare_raw, "_sync_raw", broken)  # a build copied from the published one fails the same way
    monkeypatch.setattr(prepare_raw, "ensure_something_new", lambda settings: None)  # the copies published hold nothing new
    for full_refresh in (False, True):
        with pytest.raises(OSError, match="disk full"):
            build.prepare(settings, full_refresh=full_refresh)
        assert set(settings.build_dir.glob("warehouse-*")) == before


def test_every_dbt_unit_test_passes_outside_the_production_build(empty_build, tmp_path):
    """A production build runs no unit test (decision 0042): they test the SQL, not the data, so they run here,
    every one of them, on a copy of a built file."""
    settings, template = empty_build
    assert query(template, "select count(*) from audit.dbt_nodes where resource_type = 'unit_test'") == [(0,)]
    assert query(template, "select count(*) from audit.dbt_nodes where resource_type = 'model'")[0][0] > 30
    copy = tmp_path / "unit.duckdb"
    copy.write_bytes(template.read_bytes())
    command, env = build.dbt_command(settings, copy, ("test",), tmp_path, args=("--select", "test_type:unit"))
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, cwd=DBT_PROJECT_DIR)  # noqa: S603 - the venv's dbt
    assert done.returncode == 0, done.stdout[-4000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    ran = {r["unique_id"].rsplit(".", 1)[-1]: r["status"] for r in results}
    assert set(ran) == set(declared_unit_tests()) and set(ran.values()) == {"pass"}


def test_a_write_ahead_log_left_at_dbt_s_path_is_quarantined_not_replayed(empty_build):
    """A dbt run killed mid-build leaves its WAL beside the stable path; the next build's file is linked there
    only after that WAL is moved to quarantine (DuckDB would replay it onto the wrong file)."""
    from warehouse.build import dbt as dbt_room

    settings, template = empty_build
    path = a_build(settings, template)
    stable = build.stable_dbt_path(settings)
    stable.parent.mkdir(parents=True, exist_ok=True)
    stale = stable.with_name(stable.name + ".wal")
    stale.write_bytes(b"another build's changes")
    linked = dbt_room._point_stable_path(settings, path)
    try:
        assert linked == stable and linked.samefile(path) and not stale.exists()
        (moved,) = (settings.quarantine_dir / "builds").glob("stale-dbt-wal-*/build.duckdb.wal")
        assert moved.read_bytes() == b"another build's changes"
        assert "did not finish" in (moved.parent / "reason.txt").read_text()
    finally:
        linked.unlink(missing_ok=True)
        path.unlink(missing_ok=True)


def test_a_mart_that_shrinks_against_the_published_one_is_refused(empty_build):
    settings, path = empty_build
    fuller = a_build(settings, path, "fuller")
    con = duckdb.connect(str(fuller))
    con.execute("insert into marts.stop_search_monthly select date '2024-09-01', b, 'self_defined', 'Black', 5, 1, 0, 0, 0, 0 "
                "from unnest(['Camden', 'Hackney', 'Lambeth', 'Newham']) t(b)")
    con.close()
    build.gate_marts(settings, fuller)
    build.publish(settings, fuller)
    emptied = a_build(settings, path)  # the same marts with stop_search_monthly empty again
    with pytest.raises(GateFailed, match="stop_search_monthly.*expect_table_row_count_to_be_between|expect_table_row_count_to_be_between"):
        build.gate_marts(settings, emptied)


def test_stops_without_boundaries_or_populations_are_refused(empty_build):
    settings, path = empty_build
    degraded = a_build(settings, path)
    con = duckdb.connect(str(degraded))
    # what a build without reference data gives: every stop Unknown, no population anywhere
    con.execute("insert into marts.fct_stop_search (stop_id, period, source_format, batch_id, month, borough, borough_code, "
                "self_defined_ethnic_group, officer_defined_ethnic_group, outcome_category) "
                "select 's' || i, '2024-09', 'api', 'b', date '2024-09-01', 'Unknown', null, 'White', 'White', 'Arrest' from range(20) t(i)")
    con.execute("insert into marts.stop_search_disproportionality (period_end, window_start, months_in_window, is_complete, area, "
                "ethnicity_basis, ethnic_group, searches, population, arrests, suppressed) "
                "values (date '2024-09-01', date '2023-10-01', 1, false, 'London', 'self_defined', 'White', 20, null, 0, true)")
    con.close()
    with pytest.raises(build.BuildFailed) as failure:
        build.gate_marts(settings, degraded)
    assert "borough" in str(failure.value) and "population" in str(failure.value)


def test_the_build_runs_within_its_memory_limit(tmp_path):
    """MAPWH_DUCKDB_MEMORY_LIMIT reaches dbt's DuckDB: a limit too small for a build makes it fail, not grow."""
    path = build.prepare(get_settings({"MAPWH_HOME": str(tmp_path / "var")}))
    settings = get_settings({"MAPWH_HOME": str(tmp_path / "var"), "MAPWH_DUCKDB_MEMORY_LIMIT": "1MB"})
    with pytest.raises(build.BuildFailed, match="(?i)memory"):
        build.run_dbt(settings, path)


def test_a_batch_validated_before_a_contract_column_existed_loads_with_it_null(tmp_path):
    """Batches in the validated zone outlive contract changes: a column added since (police.uk's `force`,
    decision 0026) is null in their rows, and staging reads a null force as the London force's."""
    from ingest import police_uk
    from ingest.core.config import get_settings
    from warehouse import validated

    settings = get_settings({"MAPWH_HOME": str(tmp_path)})
    table = police_uk.TABLE
    folder = validated.period_dir(settings.validated_dir, table.name, "2016-06")
    folder.mkdir(parents=True)
    older = [c for c in table.column_names if c != "force"]
    con = duckdb.connect()
    try:
        given = {"period": "'2016-06'", "batch_id": "'old'", "record_index": "0"}
        columns = ", ".join(f"cast({given.get(c, 'null')} as {table.types[c]}) as {c}" for c in older)
        con.execute(f"copy (select {columns}) to '{folder / 'old.parquet'}'")  # noqa: S608 - contract names
        con.execute("create schema raw")
        con.execute(table.create_sql("raw"))
        prepare_raw._insert_batches(con, settings, table, [{"period": "2016-06", "file": "old.parquet"}])
        assert con.execute(f"select period, batch_id, force from raw.{table.name}").fetchall() == [("2016-06", "old", None)]
    finally:
        con.close()
