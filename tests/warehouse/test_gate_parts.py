"""Mart gates on large tables run part by part (warehouse.gates.validate_parts, build.gate_table) and decide
exactly what Great Expectations decides on the whole table: the same suite, the same outcome."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from ingest.core.config import get_settings
from warehouse import build, gates

GATE = "mart_fct_stop_search"
GROUPS = ["Asian", "Black", "Mixed", "Other", "White", "Not stated"]


def stops(n: int, *, start: int = 0, unknown_every: int = 0) -> pd.DataFrame:
    ids = range(start, start + n)
    return pd.DataFrame({
        "stop_id": [f"s{i:07d}" for i in ids],
        "month": pd.Timestamp("2025-01-01").date(),
        "borough": ["Unknown" if unknown_every and i % unknown_every == 0 else "Westminster" for i in ids],
        "self_defined_ethnic_group": [GROUPS[i % 6] for i in ids],
        "officer_defined_ethnic_group": [GROUPS[(i + 1) % 6] for i in ids],
        "outcome_category": ["No further action" if i % 3 else "Arrest" for i in ids],
        "street_name": "not read by the suite",
    })


@pytest.fixture
def settings(tmp_path):
    return get_settings({"MAPWH_HOME": str(tmp_path / "home")})


def outcome(result: gates.GateResult) -> tuple[bool, list[str]]:
    return result.success, sorted(f.split("(")[0] for f in result.failures)


def whole_and_parts(settings, parts: list[pd.DataFrame], floor: int = 0):
    whole = gates.validate(settings, GATE, pd.concat(parts, ignore_index=True), target="whole", batch_id="w",
                           parameters={"published_rows_floor": floor})
    split = gates.validate_parts(settings, GATE, iter(parts), table_rows=sum(map(len, parts)), target="parts",
                                 batch_id="p", parameters={"published_rows_floor": floor})
    return whole, split


def test_a_valid_table_passes_whole_and_in_parts(settings):
    whole, split = whole_and_parts(settings, [stops(300, start=300 * k) for k in range(4)])
    assert outcome(whole) == outcome(split) == (True, [])
    assert split.target == "parts (4 parts)" and split.evaluated == whole.evaluated == len(gates.load_suite_definition(GATE)["expectations"])


def test_mostly_is_decided_on_the_whole_table_not_on_a_part(settings):
    # one part is all Unknown (fails `mostly` 0.85 alone); overall 100 of 1,000 = 10%: passes
    lopsided = [stops(100, unknown_every=1)] + [stops(100, start=100 * k) for k in range(1, 10)]
    whole, split = whole_and_parts(settings, lopsided)
    assert outcome(whole) == outcome(split) == (True, [])
    # 200 of 1,000 (20%) Unknown spread evenly: every part passes alone, the table does not
    even = [stops(100, start=100 * k, unknown_every=5) for k in range(10)]
    whole, split = whole_and_parts(settings, even)
    assert outcome(whole) == outcome(split) == (False, ["expect_column_values_to_not_be_in_set"])
    assert "unexpected=200 (20.00%)" in split.failures[0]


def test_row_level_failures_and_the_row_count_floor_match_the_whole_table(settings):
    parts = [stops(50, start=50 * k) for k in range(3)]
    parts[1].loc[3, "outcome_category"] = "Beheaded"
    parts[2].loc[7, "officer_defined_ethnic_group"] = "Martian"
    whole, split = whole_and_parts(settings, parts, floor=151)
    assert outcome(whole) == outcome(split)
    assert outcome(split)[1] == ["expect_column_values_to_be_in_set", "expect_column_values_to_be_in_set",
                                 "expect_table_row_count_to_be_between"]


def test_parts_that_lose_rows_are_refused(settings):
    with pytest.raises(ValueError, match="held 100 rows, 101 were to be checked"):
        gates.validate_parts(settings, GATE, iter([stops(100)]), table_rows=101, target="t", batch_id="b",
                             parameters={"published_rows_floor": 0})


def test_partition_keys():
    suite = gates.load_suite_definition(GATE)
    assert gates.partition_key(suite) == ("stop_id",)
    unique = {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["a", "b"]}}
    assert gates.partition_key({"expectations": [unique]}) == ("a", "b")
    assert gates.partition_key({"expectations": suite["expectations"] + [unique]}) is None  # two keys
    mean = {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "a", "min_value": 0}}
    assert gates.partition_key({"expectations": [mean]}) is None  # an aggregate needs the whole column
    assert gates.partition_key({"expectations": [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}}]}) == ()
    assert gates.suite_columns(suite) == {"stop_id", "borough", "self_defined_ethnic_group",
                                          "officer_defined_ethnic_group", "outcome_category"}


def a_mart_file(tmp_path, frame: pd.DataFrame):
    path = tmp_path / "warehouse-000001-x.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.register("frame", frame)
    con.execute("create table marts.fct_stop_search as select * from frame")
    con.close()
    return path


def test_gate_table_splits_on_the_key_so_duplicates_in_any_two_rows_are_found(tmp_path):
    frame = stops(2_000)
    frame.loc[1_999, "stop_id"] = frame.loc[0, "stop_id"]  # the first and the last row share an id
    path = a_mart_file(tmp_path, frame)
    settings = get_settings({"MAPWH_HOME": str(tmp_path / "home"), "MAPWH_GATE_PART_ROWS": "300"})
    result = build.gate_table(settings, path, GATE, "marts", "fct_stop_search", batch_id="b",
                              parameters={"published_rows_floor": 0})
    assert result.target.endswith("(7 parts)")
    assert outcome(result) == (False, ["expect_column_values_to_be_unique"])
    assert "unexpected=2 " in result.failures[0]
    whole = build.gate_table(get_settings({"MAPWH_HOME": str(tmp_path / "home")}), path, GATE, "marts",
                             "fct_stop_search", batch_id="b", parameters={"published_rows_floor": 0})
    assert "parts" not in whole.target and outcome(whole) == outcome(result)
