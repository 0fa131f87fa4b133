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


# --------------------------------------------------------------------------- the public ward-level file, found and read as published
LABELS = ["Strongly agree", "Tend to agree", "Neither agree nor disagree", "Tend to disagree", "Strongly disagree",
          "Don't know", "Not Asked", "-"]
ETHNICITY = {"White British": "White", "White Other": "White", "Black": "Black", "Asian": "Asian", "Mixed": "Mixed",
             "Other": "Other"}


@pytest.fixture(scope="module")
def public_run(make_runner, tmp_path_factory):
    """A respondent file with the real FY 15-17 header (473 columns, the first unnamed) and text labels, two
    financial years in one file, listed by a London Datastore catalogue on the mirror; `mapwh run --sources pas`
    with only the mirror's base URL set finds it and builds the trust gap."""
    import random

    from devdata.catalogue import write_ckan_package
    from tests.ingest.test_pas_microdata import public_file, real_header

    rng = random.Random(15)  # noqa: S311 - test data
    months = [("Apr", 2015), ("Jul", 2015), ("Oct", 2015), ("Jan", 2016), ("May", 2016)]
    rows = []
    for i in range(1500):
        mon, year = months[i % len(months)]
        fy = year - (1 if mon == "Jan" else 0)
        ethnicity = rng.choice(["White British", "White British", "White Other", "Black", "Black", "Asian", "Mixed", "Other"])
        trust = rng.choices(LABELS, weights=[30, 35, 10, 8, 5, 4, 4, 4] if ethnicity != "Black" else [18, 30, 14, 14, 12, 4, 4, 4])[0]
        rows.append({"MONTH": f"FY {fy % 100}/{(fy + 1) % 100} - Month 01 ({mon} {year})", "C2": rng.choice(["Lambeth", "Kensington & Chelsea"]),
                     "NQ147r": ethnicity, "NQ135BD": trust, "Q60": "Good", "Q61": "Fair", "Q62A": "Tend to agree",
                     "Q62C": "Tend to agree", "Q62TG": "Not asked"})
    root = tmp_path_factory.mktemp("datastore")
    relpath = "mopac-surveys/PAS_ward_level_FY_15_17.csv"
    (root / "mopac-surveys").mkdir()
    (root / relpath).write_bytes(public_file(real_header(), rows))
    write_ckan_package(root, "mopac-surveys", "MOPAC Surveys",
                       [{"relpath": relpath, "name": "PAS_ward_level_FY_15_17.csv", "last_modified": "2018-07-02T10:00:00"}])
    with serve(root) as server:
        run = make_runner({"LONDON_DATASTORE_URL": server.base_url, "PAS_DASHBOARD_URL": "", "PAS_NEIGHBOURHOOD_URL": ""},
                          "public")
        result = run("run", "--sources", "pas")
        status = run("status")
    return run, result, status, rows


def test_the_public_file_is_found_split_and_loaded_with_its_lineage(public_run):
    run, result, status, rows = public_run
    assert "pas_microdata: 2015-16 loaded" in result.stdout and "2016-17 loaded" in result.stdout
    batches = dict(run.query("select period, lineage from raw.loaded_batches where table_name = 'pas_microdata'"))
    assert set(batches) == {"2015-16", "2016-17"}
    import json

    lineage = json.loads(batches["2015-16"])
    assert len(lineage["columns_ignored"]) == 473 - 9 and lineage["weight"].startswith("none")
    assert run.query("select count(*) from raw.pas_microdata") == [(len(rows),)]
    # what was found, when it was released and what it serves, in `mapwh status`
    assert "PAS_ward_level_FY_15_17.csv  released 2018-07-02  loaded: 2015-16, 2016-17" in status.stdout


def test_the_trust_gap_from_the_public_file_matches_an_independent_computation(public_run):
    run, _, _, rows = public_run
    import math

    # the window ending 2016-03-31: the four quarters April 2015 .. March 2016, every borough (London)
    in_window = [r for r in rows if r["MONTH"].endswith(("2015)",)) or r["MONTH"].endswith("(Jan 2016)")]
    shares = {}
    for group in ("White", "Black"):
        valid = [r["NQ135BD"] for r in in_window if ETHNICITY[r["NQ147r"]] == group and r["NQ135BD"] in LABELS[:5]]
        shares[group] = (sum(a in LABELS[:2] for a in valid) / len(valid), len(valid))
    (p_a, n_a), (p_b, n_b) = shares["White"], shares["Black"]
    gap = 100 * (p_a - p_b)
    margin = 100 * 1.96 * math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)  # unweighted: n_eff = n
    (row,) = run.query(
        "select gap_pp, ci_low, ci_high, n_a, n_b, pct_a, pct_b, weighting, suppressed from marts.trust_gap "
        "where area = 'London' and measure = 'Trust MPS' and group_a = 'White' and group_b = 'Black' "
        "and period_end = date '2016-03-31'")
    assert row == (round(gap, 2), round(gap - margin, 2), round(gap + margin, 2), n_a, n_b,
                   round(100 * p_a, 2), round(100 * p_b, 2), "unweighted", False)
    assert n_a >= 100 and n_b >= 100 and gap > 5
