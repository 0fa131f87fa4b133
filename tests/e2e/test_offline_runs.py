"""`mapwh run` on the SYNTHETIC sample, needing no ../shared: what `make run` does, and the
failure paths — a degraded build refused, two runs at once, `kill -9` mid-build, an unreachable
source, SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from devdata import sample
from devdata.mirror import serve, source_environment
from tests.conftest import required

pytestmark = pytest.mark.e2e
PROJECT_ROOT = Path(__file__).resolve().parents[2]
MAPWH = str(__import__("pathlib").Path(sys.executable).parent / "mapwh")


@pytest.fixture(scope="module")
def sample_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    sample.generate(root, first_month="2025-01", last_month="2025-06", archive_months=(), empty_months=("2025-06",))
    return root


@pytest.fixture(scope="module")
def mirror_env(sample_root):
    with serve(sample_root) as server:
        yield source_environment(server)


def query(home, sql):
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def sample_run(sample_root, tmp_path_factory, airflow_home):
    """`python -m devdata serve DIR --sample -- mapwh run ...`, as bin/run-sample runs it."""
    home = tmp_path_factory.mktemp("make-run") / "var"
    env = {**os.environ, "MAPWH_HOME": str(home), "AIRFLOW_HOME": str(airflow_home)}
    proc = subprocess.run(
        [sys.executable, "-m", "devdata", "serve", str(sample_root), "--sample", "--", MAPWH, "run", "--from", "2025-04", "--to", "2025-06"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    return home, proc


def test_make_run_path_serves_the_sample_and_builds_a_complete_warehouse(sample_run):
    home, proc = sample_run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert len(proc.stdout.splitlines()) < 40  # a progress bar per stage and a line per step
    assert "2025-04 loaded" in proc.stdout and "2025-06 empty" in proc.stdout
    months = dict(query(home, "select period, count(*) from marts.fct_stop_search group by 1"))
    assert set(months) == {"2025-04", "2025-05"}
    unknown, total = query(home, "select count(*) filter (where borough = 'Unknown'), count(*) from marts.fct_stop_search")[0]
    assert 0 < unknown < 0.15 * total
    assert query(home, "select count(*) from marts.stop_search_disproportionality where population is null and ethnic_group <> 'Not stated'") == [(0,)]
    assert query(home, "select count(*) from marts.trust_confidence")[0][0] > 0
    # with only the mirror's base URLs set, the PAS and workforce files are found through the catalogues
    # (the public ward-level files, FY 15-17 holding two years; the GOV.UK ODS tables) and published
    assert "pas_microdata: 6 batches 2015-16 .. 2020-21 loaded" in proc.stdout, proc.stdout
    urls = dict(query(home, "select table_name, any_value(url) from raw.loaded_batches group by 1"))
    assert urls["pas_microdata"].endswith(".csv") and "/PAS_ward_level_FY_" in urls["pas_microdata"]
    for table in ("workforce_officers", "workforce_joiners", "workforce_leavers", "workforce_promotions"):
        assert urls[table].endswith("-230725.ods"), urls
    gaps = query(home, "select area, count(*) filter (where not suppressed) from marts.trust_gap "
                       "where measure = 'Trust MPS' and group_a = 'White' and group_b = 'Black' group by 1")
    # London, and every borough with enough respondents (at most ~100 interviews a quarter per borough: the
    # boroughs with a larger Black population); all 32 boroughs have rows, suppressed below the base
    assert dict(gaps)["London"] > 0 and len(gaps) == 33 and sum(1 for area, n in gaps if area != "London" and n) >= 1
    assert query(home, "select count(*) from marts.trust_gap where (n_a >= 100 and n_b >= 100) = suppressed") == [(0,)]
    # the Home Office tables, every release found through the series' GOV.UK collection: a force that reports no
    # handcuffing breakdown has null cells, never zeros, and its handcuffing is all under `not stated`
    assert query(home, "select distinct financial_year from marts.use_of_force_by_force order by 1") == [("2020-21",), ("2021-22",)]
    split = dict(query(home, "select tactic, bool_and(uses is null and not reported) from marts.use_of_force_by_force "
                             "where force = 'Avon & Somerset' and parent_tactic = 'Handcuffing' group by 1"))
    assert split == {"Compliant handcuffing": True, "Non-compliant handcuffing": True, "Handcuffing not stated": False}, split
    assert query(home, "select count(*) from marts.use_of_force_by_force where force = 'Metropolitan Police' "
                       "and tactic = 'Compliant handcuffing' and uses > 0") != [(0,)]
    for mart in ("workforce_representation", "recruitment_shares", "promotion_shares", "workforce_leavers"):
        assert query(home, f"select count(*) from marts.{mart} where force = 'Metropolitan Police'")[0][0] > 0, mart
    workforce_rows = query(home, "select commitment_id, period, status from marts.action_plan_scorecard "
                                 "where benchmark_kind = 'plan_target'")
    assert len({c for c, _, _ in workforce_rows}) == 11 and all(s != "no_data" for _, _, s in workforce_rows), workforce_rows
    # the recurring recruitment target is judged year by year from 2022-23, each year on its own value
    assert [p for c, p, _ in workforce_rows if c == "recruits_ethnic_minority"] == ["2022-23", "2023-24", "2024-25"]
    # the sample is synthetic, and every scorecard row computed from it says so
    scored = query(home, "select commitment_id, is_synthetic from marts.action_plan_scorecard where status <> 'no_data'")
    assert len(scored) >= 12 and all(synthetic for _, synthetic in scored), scored
    assert f"report: {home / 'report.html'}" in proc.stdout
    # the register, seeded from the papers: the June 2021 paper's headline says no action is amber, its table marks three
    (amber,) = query(home, "select stated, counted, detail from marts.action_plan_reconciliation "
                           "where paper_id = 'ob_2021_06_15' and status = 'amber' and not agrees")
    assert amber[:2] == (0, 3) and "actions 4, 5, 6" in amber[2]
    # action 2 on track in late 2021 after complete; 3 in progress in October 2022 on its own text after complete
    assert query(home, "select action_id from marts.action_plan_reconciliation where finding_type = 'status_went_back' "
                       "order by action_id") == [("2",), ("3",)]


def _published_force_records(sample_root: Path):
    """The sample's use-of-force workbooks read with pandas (openpyxl): not the source module's reader."""
    import pandas as pd

    from devdata import use_of_force as generator

    frames = [pd.read_excel(p, sheet_name=0, dtype=str, engine="openpyxl")
              for p in sorted((sample_root / generator.DIR).glob("MPS Use of Force - FY*.xlsx"))]
    records = pd.concat(frames, ignore_index=True)
    records["month"] = pd.to_datetime(records["IncidentDate"]).dt.to_period("M").dt.to_timestamp()
    return records


def test_use_of_force_subjects_are_the_records_deduplicated_by_the_documented_rule(sample_run, sample_root):
    """The mart's London uses and subjects per month and group, recomputed from the published workbooks with
    pandas: subjects are the records' distinct incident-and-subject details (the rule its description states)."""
    import pandas as pd

    home, proc = sample_run
    assert proc.returncode == 0
    records = _published_force_records(sample_root)
    groups = {"White": "White", "Black (or Black British)": "Black", "Asian (or Asian British)": "Asian", "Chinese": "Asian",
              "Mixed": "Mixed", "Other": "Other"}
    records["group"] = records["SubjectEthnicity"].map(groups).fillna("Not stated")
    locations = [c for c in records.columns if c.startswith("Incident Location:")]
    details = ["IncidentDate", "IncidentTime", "Borough", *locations, "SubjectAge", "SubjectGender", "SubjectEthnicity",
               "PhysicalDisability", "MentalDisability"]
    records["subject"] = records[details].fillna("").astype(str).agg("|".join, axis=1)
    assert records["subject"].nunique() < len(records)  # the sample has subjects with several officers' records
    tactic_columns = [f"Tactic {n}" for n in range(1, 21)]
    handcuffed = records[tactic_columns].isin(["Compliant Handcuffing", "Non-Compliant Handcuffing"]).any(axis=1)
    expected = {}
    for tactic, rows in (("Any use of force", records), ("Compliant handcuffing", records[records[tactic_columns].eq("Compliant Handcuffing").any(axis=1)])):
        for (month, group), part in rows.groupby(["month", "group"]):
            expected[(month.date(), tactic, group)] = (len(part), part["subject"].nunique())
    mart = query(home, "select month, tactic, ethnic_group, uses, subjects from marts.use_of_force_monthly where area = 'London' "
                       "and tactic in ('Any use of force', 'Compliant handcuffing') and uses > 0")
    assert {(m, t, g): (u, s) for m, t, g, u, s in mart} == expected
    # and the handcuffing series the interrupted time series is fitted on: Black and White subjects, handcuffed ones
    subjects = records[records["group"].isin(["Black", "White"])].assign(handcuffed=handcuffed)
    by_subject = subjects.groupby(["month", "group", "subject"])["handcuffed"].any().reset_index()
    series = by_subject.groupby(["month", "group"]).agg(subjects=("subject", "size"), cuffed=("handcuffed", "sum"))
    mart = query(home, "select month, ethnic_group, numerator, denominator from marts.handcuffing_policy_effect "
                       "where measure = 'share_of_subjects_handcuffed'")
    assert {(m, g): (n, d) for m, g, n, d in mart} == {(m.date(), g): (int(r.cuffed), int(r.subjects)) for (m, g), r in series.iterrows()}
    assert len(pd.unique(records["month"])) == 48


def _published_met_table(sample_root: Path, name: str, period: str):
    """A GOV.UK workforce ODS of the sample read with pandas (its calamine engine: odfpy takes a minute), the Met's
    police officers only, headcount per period and broad group (the first word of the published ethnicity): not the
    source module's reader, its header aliases or the seed's labels."""
    import pandas as pd

    frame = pd.read_excel(sample_root / "workforce" / name, sheet_name="Data", engine="calamine", dtype=str)
    frame = frame[(frame["Force name"] == "Metropolitan Police") & (frame["Worker type"].str.lower() == "police officer")]
    first = frame["Ethnicity"].str.split().str[0]
    frame = frame.assign(group=first.map({"Asian": "Asian", "Black": "Black", "Mixed": "Mixed", "White": "White",
                                          "Chinese": "Other", "Other": "Other"}).fillna("Not stated"),
                         headcount=pd.to_numeric(frame["Total (headcount)"].str.strip().replace({"-": "0"})))
    return frame.rename(columns={period: "period"})


def test_misconduct_disproportionality_and_action_17_match_an_independent_computation(sample_run, sample_root):
    """The Met's dismissal rates, ratios to White and Katz intervals, recomputed from the published leavers and
    officers workbooks with pandas and math, and the scorecard's action 17 status by the rule its description
    states (judged on 2023-24, the last year ending by 31 December 2024, against 2019-20)."""
    import datetime
    import math

    home, proc = sample_run
    assert proc.returncode == 0
    leavers = _published_met_table(sample_root, "open-data-table-police-workforce-leavers-230725.ods", "Financial year")
    officers = _published_met_table(sample_root, "open-data-table-police-workforce-230725.ods", "As at 31 March")
    dismissed = leavers[leavers["Leaver type"] == "Dismissal"].groupby(["period", "group"])["headcount"].sum()
    in_post = officers.groupby(["period", "group"])["headcount"].sum()
    minority = ("Asian", "Black", "Mixed", "Other")
    expected = {}
    for year in sorted(leavers["period"].unique()):
        start = str(int(year[:4]))  # officers at 31 March before the year
        if start not in set(officers["period"]):
            continue

        def count(series, key, groups):
            return int(sum(series.get((key, g), 0) for g in groups))

        white_a, white_n = count(dismissed, year, ["White"]), count(in_post, start, ["White"])
        for group, members in (("White", ["White"]), ("Black", ["Black"]), ("Ethnic minority", minority)):
            a, n = count(dismissed, year, members), count(in_post, start, members)
            suppressed = a < 10 or white_a < 10
            ratio = low = high = None
            if not suppressed:
                ratio = (a / n) / (white_a / white_n)
                margin = 0 if group == "White" else 1.96 * math.sqrt(1 / a - 1 / n + 1 / white_a - 1 / white_n)
                low, high = (round(math.exp(math.log(ratio) + s * margin), 4) for s in (-1, 1))
                ratio = round(ratio, 4)
            expected[(f"{year[:4]}-{year[-2:]}", group)] = (a, n, round(1000 * a / n, 4), ratio, low, high, suppressed)
    mart = query(home, "select financial_year, ethnic_group, individuals, officers_at_start, rate_per_1000, ratio_to_white, "
                       "ratio_ci_low, ratio_ci_high, suppressed from marts.misconduct_disproportionality "
                       "where force = 'Metropolitan Police' and ethnic_group in ('White', 'Black', 'Ethnic minority') "
                       "and officers_at_start is not null")
    got = {(y, g): tuple(rest) for y, g, *rest in mart}
    assert len(expected) >= 30 and got == expected
    # the scorecard's row for action 17, by its documented rule
    ratio = {y: expected[(y, "Ethnic minority")] for y in ("2019-20", "2023-24")}
    assert not ratio["2019-20"][-1] and not ratio["2023-24"][-1], ratio  # the sample's Met has ten dismissed in both
    _, _, _, value, low, high, _ = ratio["2023-24"]
    status = ("consistent_with_parity" if low <= 1 <= high else "met" if high < ratio["2019-20"][3] else "missed")
    row = query(home, "select status, value_at_deadline, value_at_deadline_date, baseline_value, deadline, is_synthetic "
                      "from marts.action_plan_scorecard where commitment_id = 'misconduct_ratio_2024'")
    assert row == [(status, value, datetime.date(2024, 3, 31), ratio["2019-20"][3], datetime.date(2024, 12, 31), True)]


def test_the_handcuffing_interrupted_time_series_matches_an_independent_fit(sample_run):
    """Level and slope changes and their 95% intervals recomputed from the mart's monthly values with numpy's
    least squares and the textbook OLS standard errors (scipy's t quantile), not statsmodels."""
    import numpy as np
    from scipy import stats

    home, proc = sample_run
    assert proc.returncode == 0
    rows = query(home, "select measure, ethnic_group, month, phase, value, fitted, counterfactual, level_change, level_change_ci_low, "
                       "level_change_ci_high, slope_change, slope_change_ci_low, slope_change_ci_high "
                       "from marts.handcuffing_policy_effect order by measure, ethnic_group, month")
    fits = 0
    for key in sorted({(r[0], r[1]) for r in rows}):
        series = [r for r in rows if (r[0], r[1]) == key]
        first = series[0][2]
        index = {r[2]: (r[2].year - first.year) * 12 + r[2].month - first.month for r in series}
        used = [r for r in series if r[4] is not None and r[3] != "transition"]
        if series[0][7] is None:
            continue
        fits += 1
        t = np.array([index[r[2]] for r in used], dtype=float)
        after = np.array([r[3] == "after" for r in used], dtype=float)
        t0 = index[next(r[2] for r in series if r[3] == "after")]
        x = np.column_stack([np.ones_like(t), t, after, (t - t0) * after])
        y = np.array([r[4] for r in used])
        beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        residual = y - x @ beta
        dof = len(y) - 4
        se = np.sqrt(np.diag(residual @ residual / dof * np.linalg.inv(x.T @ x)))
        q = stats.t.ppf(0.975, dof)
        got = series[0][7:13]
        want = (beta[2], beta[2] - q * se[2], beta[2] + q * se[2], beta[3], beta[3] - q * se[3], beta[3] + q * se[3])
        assert got == pytest.approx(want, abs=2e-6), key
        for r in series:
            ti = index[r[2]]
            a = 1.0 if r[3] == "after" else 0.0
            assert r[5] == pytest.approx(beta[0] + beta[1] * ti + beta[2] * a + beta[3] * (ti - t0) * a, abs=2e-6)
            assert r[6] == pytest.approx(beta[0] + beta[1] * ti, abs=2e-6)
    # the share, per-arrest and per-resident series of both groups (no stop and search in the sample's years)
    assert fits == 6
    assert {r[3] for r in rows if r[2].isoformat() == "2021-11-01"} == {"transition"}


def test_the_report_renders_in_a_real_browser(sample_run, tmp_path):
    """Headless Chromium opens the report from disk: every chart renders as SVG, no console error, a screenshot kept."""
    home, proc = sample_run
    assert proc.returncode == 0
    report = home / "report.html"
    page = report.read_text()
    assert "https://" not in page.split("<script>", 2)[1][:200] and "cdn.jsdelivr" not in page  # nothing fetched at view time
    chromium = required(shutil.which("chromium") or shutil.which("chromium-browser"),
                        "chromium not found (bin/run-tests installs Debian's chromium when it is missing)")
    flags = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--virtual-time-budget=20000"]
    dom = subprocess.run(flags + ["--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120).stdout
    charts = page.count("class='chart'")
    assert charts >= 8  # trust gap, representation, dismissals, leaving, map, use of force, handcuffing, action status
    assert 'data-charts-done="true"' in dom
    assert dom.count('data-rendered="true"') == charts
    # the handcuffing chart: drawn, with its text alternative and table view beside it
    figure = dom.split("Handcuffing before and after the policy</h2>", 1)[1].split("</section>", 1)[0]
    assert 'data-rendered="true"' in figure and "<svg" in figure
    # (vega-embed relabels the drawn div; the caption, the page's text alternative for it, stays)
    assert "<figcaption>The share of subjects of force who were handcuffed" in figure and "<summary>Table view</summary>" in figure
    figure = dom.split("Misconduct: dismissals by ethnic group</h2>", 1)[1].split("</section>", 1)[0]
    assert 'data-rendered="true"' in figure and "<figcaption>Met police officers from ethnic-minority backgrounds" in figure
    figure = dom.split("Leaving: are Black officers leaving faster?</h2>", 1)[1].split("</section>", 1)[0]
    assert 'data-rendered="true"' in figure and "<figcaption>Met police officers leaving in the year" in figure
    assert "<summary>Table view</summary>" in figure and "black_at_start" in figure
    assert dom.count("<svg") >= charts
    errors = dom.split('<pre id="errors">', 1)[1].split("</pre>", 1)[0]
    assert errors == "", errors
    assert "SYNTHETIC data" in dom  # labelled on the charts themselves
    artefacts = Path(os.environ.get("MAPWH_TEST_ARTIFACTS", PROJECT_ROOT / "var" / "test-artifacts"))
    artefacts.mkdir(parents=True, exist_ok=True)
    shot = artefacts / "report.png"
    subprocess.run(flags + ["--window-size=1100,3000", f"--screenshot={shot}", report.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 50_000


def test_a_build_without_reference_data_is_refused_and_publishes_nothing(make_runner, mirror_env):
    run = make_runner(mirror_env, "noref")
    failed = run("run", "--sources", "stop_search", "--from", "2025-04", "--to", "2025-05", check=False)
    assert failed.returncode == 1
    assert "FAILED at gate_marts" in failed.stdout and "borough" in failed.stdout
    assert not run.warehouse.exists()
    (entry,) = (run.home / "quarantine" / "builds").iterdir()
    assert "Unknown" in (entry / "reason.txt").read_text()
    assert not list((run.home / "build").glob("warehouse-*"))  # only the quarantine entry is left
    # the loads themselves were good: they serve, waiting for a build with reference data
    ok = run("run", "--sources", "reference_data")
    assert "built (full: nothing published yet), gated and published" in ok.stdout
    assert query(run.home, "select count(distinct period) from marts.fct_stop_search") == [(2,)]


def test_two_runs_at_once_end_with_the_newest_data_published(make_runner, mirror_env):
    run = make_runner(mirror_env, "twice")
    run("run", "--sources", "reference_data")
    first = subprocess.Popen([MAPWH, "run", "--sources", "stop_search", "--from", "2025-01", "--to", "2025-03"],
                             env=run.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen([MAPWH, "run", "--sources", "stop_search", "--from", "2025-04", "--to", "2025-05"],
                              env=run.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outs = [p.communicate(timeout=900) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], [o[0][-2000:] + o[1][-2000:] for o in outs]
    # nothing lost: every month serves, and the published warehouse has all of them
    served = sorted(p.name for p in (run.home / "validated/police_uk_stop_searches").iterdir())
    assert served == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"]
    assert query(run.home, "select count(distinct period) from marts.fct_stop_search") == [(5,)]
    assert not list((run.home / "build").glob("warehouse-*"))


def test_kill_9_during_a_build_then_a_rerun_recovers(make_runner, mirror_env):
    run = make_runner(mirror_env, "killed")
    victim = subprocess.Popen([MAPWH, "run", "--sources", "stop_search,reference_data", "--from", "2025-05", "--to", "2025-05"],
                              env=run.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while not dbt_processes_of(run.home):  # dbt is at work on the new file (not a guess after a sleep)
        assert victim.poll() is None and time.time() < deadline
        time.sleep(0.2)
    assert processes_of(run.home) - {victim.pid}  # the worker (in a session of its own) and dbt are at work
    os.kill(victim.pid, signal.SIGKILL)  # the supervisor alone, as the OOM killer or `kill -9 <pid>` would
    victim.wait()
    deadline = time.time() + 15
    while survivors := processes_of(run.home):  # the worker and dbt die with it: nothing of the run goes on
        assert time.time() < deadline, f"processes of the killed run still running: {survivors}"
        time.sleep(0.2)
    assert not run.warehouse.exists() and list((run.home / "build").glob("warehouse-*.duckdb"))  # nothing published

    again = run("run", "--sources", "stop_search,reference_data", "--from", "2025-05", "--to", "2025-05")
    assert "built (full: nothing published yet), gated and published" in again.stdout  # the killed build never published
    assert query(run.home, "select count(*) > 3000 from marts.fct_stop_search") == [(True,)]
    assert not list((run.home / "build").glob("warehouse-*"))  # the killed build's file is gone


def dbt_processes_of(home: Path) -> set[int]:
    """The run's live processes whose command line is dbt's."""
    found = set()
    for pid in processes_of(home):
        try:
            if any(part.endswith((b"/dbt", b"dbt")) for part in (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")[:2]):
                found.add(pid)
        except OSError:
            continue
    return found


def processes_of(home: Path) -> set[int]:
    """Live processes whose environment has MAPWH_HOME=home or whose command line names it (a run's
    supervisor, worker, dbt)."""
    found, needle = set(), f"MAPWH_HOME={home}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ours = needle in (entry / "environ").read_bytes().split(b"\0") or str(home).encode() in (entry / "cmdline").read_bytes()
            if ours and (entry / "stat").read_text().split(") ", 1)[1][0] != "Z":
                found.add(int(entry.name))
        except OSError:
            continue  # gone, or not ours to read
    return found


def test_an_unreachable_source_fails_fast_with_one_clear_line(make_runner):
    run = make_runner({"POLICE_UK_API_URL": "http://127.0.0.1:9/api", "MAPWH_HTTP_RETRIES": "1", "MAPWH_HTTP_BACKOFF": "0.1"}, "offline")
    started = time.time()
    failed = run("run", "--sources", "stop_search", "--from", "2025-05", "--to", "2025-05", check=False)
    assert failed.returncode == 1 and time.time() - started < 120
    (line,) = [line for line in failed.stdout.splitlines() if "2025-05 FAILED" in line]
    assert "127.0.0.1:9" in line and "gave up" in line
    assert "No tasks to run" not in failed.stdout


def test_sigterm_stops_the_run_cleanly(make_runner, mirror_env):
    run = make_runner(mirror_env, "sigterm")
    proc = subprocess.Popen([MAPWH, "run", "--from", "2025-01", "--to", "2025-05"], env=run.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while not list((run.home / "validated").glob("*/*/current.json")):  # loading has begun
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    stopped = time.time()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, out[-2000:] + err[-2000:]
    assert time.time() - stopped < 30
    assert "stopped by SIGTERM" in out
    assert not run.warehouse.exists()


def test_one_source_failing_does_not_stop_the_others(make_runner, mirror_env):
    env = {**mirror_env, "POLICE_UK_API_URL": "http://127.0.0.1:9/api", "MAPWH_HTTP_RETRIES": "0"}
    run = make_runner(env, "onefails")
    failed = run("run", "--sources", "stop_search,reference_data", check=False)  # no --from/--to: asks the API
    assert failed.returncode == 1
    assert "stop_search: FAILED: cannot tell which months are published" in failed.stdout
    assert "census_population: 2021 loaded" in failed.stdout and "london_boundaries: current loaded" in failed.stdout
    assert "stop_search" in failed.stdout.splitlines()[-1]


def test_an_unusable_home_is_one_line(tmp_path):
    """MAPWH_HOME below a file (as unusable as a read-only disk, and testable as root): one line, exit 1."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    run = subprocess.run([MAPWH, "run", "--sources", "reference_data"], env={**os.environ, "MAPWH_HOME": str(blocker / "var")},
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Not a directory" in run.stderr


def test_mapwh_report_writes_where_asked_and_says_when_nothing_is_published(sample_run, tmp_path):
    home, _ = sample_run
    out = tmp_path / "elsewhere" / "plan.html"
    env = {**os.environ, "MAPWH_HOME": str(home)}
    done = subprocess.run([MAPWH, "report", "--out", str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(out) and "vegaEmbed" in out.read_text()
    empty = subprocess.run([MAPWH, "report"], env={**os.environ, "MAPWH_HOME": str(tmp_path / "empty")},
                           capture_output=True, text=True, timeout=300)
    assert empty.returncode == 1 and len(empty.stderr.strip().splitlines()) == 1 and "nothing is published" in empty.stderr
