"""`mapwh run --sources pas`: the real dashboard sheets and neighbourhood file, plus
the SYNTHETIC microdata (no real respondent-level file is available), end to end."""

from __future__ import annotations

import pytest

from devdata import pas as pas_sample
from devdata.mirror import serve

pytestmark = [pytest.mark.e2e, pytest.mark.shared]

MEASURES = {
    '"Good Job" local', "Contact ward officer", "Informed local", "Listen to concerns",
    "Relied on to be there", "Treat everyone fairly", "Trust MPS", "Understand issues",
}


@pytest.fixture(scope="module")
def pas_run(make_runner, real_mirror, tmp_path_factory):
    synthetic = tmp_path_factory.mktemp("pas_sample")
    pas_sample.generate_pas(synthetic)
    with serve(synthetic) as microdata_server:
        micro = sorted((synthetic / pas_sample.MICRODATA_DIR).glob("*.csv"))
        env = {
            "PAS_DASHBOARD_URL": ",".join(
                real_mirror.url_for(f"pas/{n}") for n in ("pas_dashboard_mps_sheet.csv", "pas_dashboard_borough_sheet.csv")
            ),
            "PAS_NEIGHBOURHOOD_URL": real_mirror.url_for("pas/neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv"),
            "PAS_MICRODATA_URL": ",".join(microdata_server.url_for(p.relative_to(synthetic).as_posix()) for p in micro),
        }
        run = make_runner(env, "pas")
        result = run("run", "--sources", "pas")
    return run, result, len(micro)


def test_dashboard_trust_series_as_published(pas_run):
    run, _, _ = pas_run
    trust = dict(run.query(
        "select period_end, proportion from marts.trust_confidence "
        "where source = 'dashboard' and area = 'London' and measure = 'Trust MPS'"
    ))
    import datetime as dt

    assert trust[dt.date(2016, 3, 31)] == pytest.approx(0.86)
    assert trust[dt.date(2023, 12, 31)] == pytest.approx(0.69)
    # every measure at every quarter (Trust MPS from 2016-03-31)
    rows = run.query(
        "select measure, count(distinct period_end) from marts.trust_confidence "
        "where source = 'dashboard' and area = 'London' group by 1"
    )
    assert {m for m, _ in rows} == MEASURES
    assert all(n == (32 if m == "Trust MPS" else 37) for m, n in rows)


def test_borough_sheet_gives_32_boroughs_every_quarter(pas_run):
    run, _, _ = pas_run
    counts = run.query(
        "select period_end, count(distinct area) from marts.trust_confidence "
        "where source = 'dashboard' and area <> 'London' group by 1"
    )
    assert len(counts) == 37 and {n for _, n in counts} == {32}
    assert run.query(
        "select count(*) from marts.trust_confidence where source = 'dashboard' and area = 'Westminster'"
    )[0][0] > 0


def test_neighbourhood_gaps_keep_suppressed_cells_null(pas_run):
    run, _, _ = pas_run
    total, null_black, zero_black = run.query(
        "select count(*), count(*) filter (where black_pct is null), count(*) filter (where black_pct = 0) "
        "from marts.neighbourhood_gaps"
    )[0]
    assert total == 112 * 4 and null_black > 0 and zero_black == 0
    assert run.query(
        "select count(*) from marts.neighbourhood_gaps where black_pct is null and gap_white_british_black_pp is not null"
    ) == [(0,)]


def test_trust_gap_from_microdata_has_intervals_and_bases(pas_run):
    run, _, files = pas_run
    assert files == 9
    row = run.query(
        "select gap_pp, ci_low, ci_high, n_a, n_b, suppressed from marts.trust_gap "
        "where area = 'London' and measure = 'Trust MPS' and group_a = 'White' and group_b = 'Black' "
        "and period_end = date '2022-12-31'"
    )
    assert len(row) == 1
    gap, low, high, n_a, n_b, suppressed = row[0]
    assert not suppressed and n_a >= 100 and n_b >= 100
    assert low < gap < high and 20 < gap < 36  # the synthetic sample is calibrated to ~28 points
    assert run.query("select count(*) from marts.trust_gap where suppressed and gap_pp is not null") == [(0,)]
