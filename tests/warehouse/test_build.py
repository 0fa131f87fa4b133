"""warehouse/build.py: never-loaded sources build empty marts; a failed mart gate
quarantines the build and leaves the published warehouse serving; publishing is
an atomic swap that never blocks or breaks a reader."""

from __future__ import annotations

import duckdb
import pytest

from ingest.core.config import get_settings
from warehouse import build
from warehouse.gates import GateFailed

MARTS = ("fct_stop_search", "stop_search_monthly", "stop_search_disproportionality",
         "trust_confidence", "trust_gap", "neighbourhood_gaps")


@pytest.fixture(scope="module")
def empty_build(tmp_path_factory):
    """One real dbt build with nothing loaded (shared: a dbt build takes ~15 s)."""
    settings = get_settings({"MAPWH_HOME": str(tmp_path_factory.mktemp("build"))})
    path = build.prepare(settings)
    log_file = build.run_dbt(settings, path)
    assert "Completed successfully" in log_file.read_text()  # dbt's node log is kept, not printed
    return settings, path


def test_marts_of_never_loaded_sources_are_empty_not_failed(empty_build):
    settings, path = empty_build
    con = duckdb.connect(str(path), read_only=True)
    try:
        for mart in MARTS:
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
    good = tmp_path / "good.duckdb"
    bad = settings.build_dir / "warehouse-bad.duckdb"
    good.write_bytes(path.read_bytes())
    bad.write_bytes(path.read_bytes())
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
    assert (settings.quarantine_dir / "builds" / "warehouse-bad" / "warehouse-bad.duckdb").exists()
    assert "arrests" in (settings.quarantine_dir / "builds" / "warehouse-bad" / "reason.txt").read_text()
    assert settings.warehouse_path.read_bytes() == published


@pytest.mark.parametrize(
    ("insert", "column"),
    [
        ("insert into marts.trust_confidence values (date '2023-12-31', 'London', 'Trust MPS', 8.0, 'dashboard', "
         "'rolling 12 months', null, null, true)", "proportion"),
        ("insert into marts.trust_gap values (date '2022-12-31', date '2022-01-01', 4, true, 'London', 'Trust MPS', "
         "'White', 'Black', 80.0, 52.0, 28.0, 29.0, 31.0, 6765, 3413, 6000.0, 3000.0, false)", "ci_low"),
    ],
)
def test_trust_mart_gates_catch_impossible_figures(empty_build, tmp_path, insert, column):
    settings, path = empty_build
    bad = tmp_path / "warehouse-bad-trust.duckdb"
    bad.write_bytes(path.read_bytes())
    con = duckdb.connect(str(bad))
    con.execute(insert)
    con.close()
    with pytest.raises(GateFailed, match=column):
        build.gate_marts(settings, bad)


def test_publish_is_an_atomic_swap_readers_keep_their_snapshot(empty_build, tmp_path):
    settings, path = empty_build
    first, second = tmp_path / "first.duckdb", tmp_path / "second.duckdb"
    first.write_bytes(path.read_bytes())
    second.write_bytes(path.read_bytes())
    con = duckdb.connect(str(second))
    con.execute("create table audit.marker as select 'second' as build")
    con.close()

    build.publish(settings, first)
    reader = duckdb.connect(str(settings.warehouse_path), read_only=True)  # an analyst's open session
    build.publish(settings, second)  # not blocked by the reader
    try:
        assert reader.execute("select count(*) from information_schema.tables where table_name = 'marker'").fetchone() == (0,)
    finally:
        reader.close()
    fresh = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        assert fresh.execute("select build from audit.marker").fetchone() == ("second",)
    finally:
        fresh.close()
