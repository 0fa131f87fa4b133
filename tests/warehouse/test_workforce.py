"""The workforce sources through the real pipeline (Great Expectations gates) and dbt build.

The real 2003-2006 Home Office table from ../shared/data; the later-release
variants and broken tables are made from it in the test.
"""

from __future__ import annotations

import csv
import io

import duckdb
import pytest

from ingest import registry
from ingest.core.config import get_settings
from tests.ingest.test_workforce import REAL, later_release, met_minority_share
from warehouse import build, pipeline, validated
from warehouse.gates import GateFailed

SOURCE = registry.get("workforce")


def table(content: bytes, keep=lambda row: True, change=lambda row: row) -> bytes:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([rows[0]] + [change(list(r)) for r in rows[1:] if keep(r)])
    return out.getvalue().encode()


def home(tmp_path, name="var", **files):
    """A MAPWH_HOME whose source variables name files holding the given contents (one, or a list of them)."""
    env = {"MAPWH_HOME": str(tmp_path / name)}
    for variable, contents in files.items():
        paths = []
        for i, content in enumerate(contents if isinstance(contents, list) else [contents]):
            paths.append(tmp_path / f"{name}-{variable}-{i}.csv")
            paths[-1].write_bytes(content)
        env[variable] = ",".join(str(p) for p in paths)
    return get_settings(env)


@pytest.fixture(scope="module")
def real(request):
    from tests.conftest import require_shared_data

    return (require_shared_data() / REAL).read_bytes()


def year(y):
    return lambda row: row[0] == y


# --------------------------------------------------------------------------- gates
def test_an_unmapped_rank_fails_the_gate_and_nothing_is_committed(real, tmp_path):
    broken = table(real, year("2003"), lambda r: r[:5] + ["Detective Constable" if r[5] == "Constable" else r[5]] + r[6:])
    settings = home(tmp_path, WORKFORCE_URL=broken)
    with pytest.raises(GateFailed, match="rank_key"):
        pipeline.load(settings, SOURCE)
    assert validated.current(settings.validated_dir, "workforce_officers", "2003-03-31") is None
    assert any(settings.quarantine_dir.glob("workforce/*/*"))


def test_fte_above_headcount_fails_the_gate(real, tmp_path):
    broken = table(real, year("2003"), lambda r: r[:10] + [" 5,000 "] if r[9].strip() not in ("-", "") and int(r[9].replace(",", "")) < 100 else r)
    with pytest.raises(GateFailed, match="fte_excess"):
        pipeline.load(home(tmp_path, WORKFORCE_URL=broken), SOURCE)


def with_totals(content: bytes, off_by: int = 0) -> bytes:
    """The 2003 table with a `Total` ethnicity row after each key's six rows (one of them wrong by `off_by`)."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    out, group, first = [rows[0]], [], True
    for r in [r for r in rows[1:] if r[0] == "2003"] + [None]:
        if group and (r is None or r[:7] != group[0][:7]):
            n = sum(0 if g[9].strip() == "-" else int(g[9].replace(",", "")) for g in group)
            out.extend(group)
            out.append(group[0][:7] + ["Total", "Total", str(n + (off_by if first else 0)), str(n)])
            first, group = False, []
        if r is not None:
            group.append(r)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(out)
    return buffer.getvalue().encode()


def test_published_totals_must_match_their_ethnicity_rows(real, tmp_path):
    (loaded,) = pipeline.load(home(tmp_path, "good", WORKFORCE_URL=with_totals(real)), SOURCE)
    assert loaded["status"] == "loaded"
    with pytest.raises(GateFailed, match="total_matches"):
        pipeline.load(home(tmp_path, "bad", WORKFORCE_URL=with_totals(real, off_by=1)), SOURCE)


def test_two_row_sets_for_one_key_fail_the_gate(real, tmp_path):
    rows = table(real, year("2003"))
    duplicated = rows + rows.split(b"\n", 2)[1] + b"\n"
    with pytest.raises(GateFailed, match="expect_compound_columns_to_be_unique"):
        pipeline.load(home(tmp_path, WORKFORCE_URL=duplicated), SOURCE)


def test_a_force_that_disappears_and_a_date_that_goes_back_warn(real, tmp_path):
    settings = home(tmp_path, WORKFORCE_URL=table(real, year("2005")))
    pipeline.load(settings, SOURCE)
    without_met = table(real, lambda r: r[0] == "2006" and r[2] != "Metropolitan Police")
    (later,) = pipeline.load(home(tmp_path, WORKFORCE_URL=without_met), SOURCE)
    assert later["status"] == "loaded" and any("distinct_values_to_contain_set(column='force'" in w for w in later["warnings"])
    (earlier,) = pipeline.load(home(tmp_path, WORKFORCE_URL=table(real, year("2004"))), SOURCE)
    assert earlier["status"] == "loaded" and any("period_number" in w for w in earlier["warnings"])


# --------------------------------------------------------------------------- marts
def marts(settings) -> dict[str, list[tuple]]:
    build.build_and_publish(settings)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return {
            "representation": con.execute(
                "select as_at::varchar, force, rank, worker_type, ethnic_group, headcount, fte, share, stated_headcount "
                "from marts.workforce_representation order by all").fetchall(),
            "targets": con.execute("select target_id, latest_value, latest_date::varchar, status from marts.workforce_targets order by 1").fetchall(),
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def real_marts(real, tmp_path_factory):
    settings = home(tmp_path_factory.mktemp("real"), WORKFORCE_URL=real)
    pipeline.load(settings, SOURCE)
    return marts(settings)


def test_the_marts_from_the_real_table(real, real_marts):
    rows = real_marts["representation"]
    met = {(r[0], r[2], r[4]): r for r in rows if r[1] == "Metropolitan Police"}
    for year in ("2003", "2006"):
        share = met[(f"{year}-03-31", "All ranks", "Ethnic minority")][7]
        assert share == pytest.approx(met_minority_share(real, year), abs=1e-12)
    assert round(met[("2003-03-31", "All ranks", "Ethnic minority")][7], 4) == 0.0555
    assert round(met[("2006-03-31", "All ranks", "Ethnic minority")][7], 4) == 0.0739
    # every force, date, rank (and All ranks) has all seven groups; Not stated has no share
    assert len(rows) == 43 * 4 * 8 * 7
    assert all(r[7] is None for r in rows if r[4] == "Not stated")
    # every target of the seed has a row; the recruitment ones have no data here
    targets = {t[0]: t for t in real_marts["targets"]}
    assert len(targets) == 11
    assert targets["recruits_ethnic_minority"][3] == targets["recruits_black"][3] == "no_data"
    assert targets["officers_ethnic_minority_2024"][1:3] == (met[("2006-03-31", "All ranks", "Ethnic minority")][7], "2006-03-31")


def test_a_later_release_and_a_partial_table_give_the_same_numbers_and_no_false_total(real, real_marts, tmp_path):
    release = later_release(table(real, lambda r: r[0] != "2006"), sex=True, trailing=True, other=True, zeros=True,
                            worker_case=True, extra_sexes=True)
    chief_officers_2006 = table(real, lambda r: r[0] == "2006" and r[5] == "Chief Officer")
    settings = home(tmp_path, WORKFORCE_URL=[release, chief_officers_2006])
    pipeline.load(settings, SOURCE)
    rows = marts(settings)["representation"]
    before_2006 = [r for r in real_marts["representation"] if r[0] != "2006-03-31"]
    assert [r for r in rows if r[0] != "2006-03-31"] == before_2006
    in_2006 = [r for r in rows if r[0] == "2006-03-31"]
    assert {r[2] for r in in_2006} == {"Chief Officer"}  # no `All ranks` from a partial table
    assert in_2006 == [r for r in real_marts["representation"] if r[0] == "2006-03-31" and r[2] == "Chief Officer"]
