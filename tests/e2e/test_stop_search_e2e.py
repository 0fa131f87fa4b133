"""The real DAGs on the real police.uk extracts, served on 127.0.0.1.

`mapwh run --sources stop_search,reference --from 2024-09 --to 2025-06`
against a mirror of ../shared/data: six published months, three months the
API does not list (skipped), and the empty 2025-06; then the 2016 archive CSV.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import file_sha256, real_env

REAL_COUNTS = {"2024-09": 3253, "2024-10": 3400, "2024-11": 3389, "2024-12": 2836, "2025-01": 3646, "2025-02": 3506}
MARTS = ("fct_stop_search", "stop_search_monthly", "stop_search_disproportionality")

pytestmark = [pytest.mark.e2e, pytest.mark.shared]


@pytest.fixture(scope="module")
def built(make_runner, real_mirror):
    from tests.conftest import require_shared_data

    run = make_runner(real_env(real_mirror, require_shared_data()), "e2e")
    first = run("run", "--from", "2024-09", "--to", "2025-06")
    archive = run("run", "--sources", "stop_search", "--from", "2016-06", "--to", "2016-06")
    return run, first, archive


def test_exact_record_counts_per_month(built):
    run, first, _ = built
    rows = dict(run.query("select period, count(*) from marts.fct_stop_search where source_format = 'api' group by 1"))
    assert rows == REAL_COUNTS
    # London local time puts the 23:xx UTC records of the previous day in the file's month.
    by_month = dict(run.query("select strftime(month, '%Y-%m'), count(*) from marts.fct_stop_search where source_format = 'api' group by 1"))
    assert by_month == REAL_COUNTS
    assert "2024-09 loaded, 3,253 rows" in first.stdout


def test_empty_month_is_recorded_not_a_crash(built):
    run, first, _ = built
    assert run.query(
        "select status, rows from raw.loaded_batches where table_name = 'police_uk_stop_searches' and period = '2025-06'"
    ) == [("empty", 0)]
    assert run.query("select status, records from audit.raw_responses where source = 'police_uk_stop_search' and period = '2025-06'") == [("empty", 0)]
    assert "2025-06 empty, 0 rows" in first.stdout
    # Months the API does not list are skipped, not failed, and load nothing.
    assert run.query("select count(*) from raw.loaded_batches where period between '2025-03' and '2025-05'") == [(0,)]


def test_archive_2016_older_vocabulary_fully_mapped(built):
    run, first, archive = built
    assert "2016-06 loaded, 10,490 rows" in archive.stdout
    # the second build copies the first and recomputes only the new month (decision 0025)
    assert "built (incremental, 1 period recomputed), gated and published" in archive.stdout
    assert "built (full: nothing published yet), gated and published" in first.stdout
    assert run.query("select count(*) from marts.fct_stop_search where period = '2016-06'") == [(10490,)]
    unmapped = run.query(
        """select count(*) from marts.fct_stop_search where period = '2016-06' and (
               self_defined_ethnic_group is null or officer_defined_ethnic_group is null or outcome_category is null
               or (outcome is not null and outcome_category = 'Other / unknown'))"""
    )
    assert unmapped == [(0,)]
    groups = dict(
        run.query(
            "select self_defined_ethnicity, any_value(self_defined_ethnic_group) from marts.fct_stop_search "
            "where period = '2016-06' group by 1"
        )
    )
    assert groups["Chinese or other ethnic group - Chinese (O1)"] == "Asian"
    assert groups["Not Stated (NS)"] == "Not stated"
    assert groups["White - White British (W1)"] == "White"
    assert groups[None] == "Not stated"
    # Both sources sit side by side: the API months are untouched.
    assert run.query("select count(*) from marts.fct_stop_search where source_format = 'api'") == [(sum(REAL_COUNTS.values()),)]


def test_marts_are_built_and_consistent(built):
    run, _, _ = built
    assert run.query(
        "select sum(population) from marts.stop_search_disproportionality "
        "where area = 'London' and ethnicity_basis = 'self_defined' and period_end = date '2025-02-01'"
    ) == [(8_799_731,)]
    # The monthly mart adds up to the fact table, per basis.
    for basis in ("self_defined", "officer_defined"):
        assert run.query(
            f"select sum(searches) from marts.stop_search_monthly where ethnicity_basis = '{basis}' and month >= date '2024-09-01'"
        ) == [(sum(REAL_COUNTS.values()),)]
    window = run.query(
        "select months_in_window, is_complete from marts.stop_search_disproportionality "
        "where area = 'London' and ethnicity_basis = 'officer_defined' and ethnic_group = 'Black' and period_end = date '2025-02-01'"
    )
    assert window == [(6, False)]
    ratio = run.query(
        "select ratio_vs_white, ratio_ci_low, ratio_ci_high, suppressed from marts.stop_search_disproportionality "
        "where area = 'London' and ethnicity_basis = 'self_defined' and ethnic_group = 'Black' and period_end = date '2025-02-01'"
    )[0]
    assert ratio[3] is False and ratio[1] < ratio[0] < ratio[2] and ratio[0] > 1
    unknown = run.query("select count(*) from marts.fct_stop_search where borough = 'Unknown'")[0][0]
    total = run.query("select count(*) from marts.fct_stop_search")[0][0]
    assert 0 < unknown < 0.15 * total


def test_status_reports_loads_gates_and_freshness(built):
    run, _, _ = built
    out = run("status").stdout
    summary = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    # the archive month, six API months and the empty one; the three unpublished months are not there
    assert "8: 2016-06 .. 2025-06 (1 empty)" in summary["police_uk_stop_searches"]
    assert f"{sum(REAL_COUNTS.values()) + 10490:,}" in summary["police_uk_stop_searches"]
    rows = {tuple(line.split()[:4]) for line in run("status", "--periods").stdout.splitlines()}
    assert ("police_uk_stop_searches", "2024-09", "loaded", "3,253") in rows
    assert ("pas_dashboard", "MPS", "loaded", "291") in rows
    assert ("pas_neighbourhood", "2015-16_to_2020-21", "loaded", "1,344") in rows
    assert "freshness: police_uk_stop_search latest month 2025-02, loaded" in out
    assert "freshness: pas_dashboard figures up to the quarter ending 2023-12-31" in out
    data = json.loads(run("status", "--json").stdout)
    assert {c["period"] for c in data["loaded"] if c["table_name"] == "police_uk_stop_searches"} >= set(REAL_COUNTS)


def test_same_month_twice_gives_identical_marts(built):
    run, _, _ = built
    snapshot = {m: run.query(f"select md5(string_agg(t::varchar, '|' order by t::varchar)) from marts.{m} t") for m in MARTS}
    run("run", "--sources", "stop_search", "--from", "2024-11", "--to", "2024-11")
    again = {m: run.query(f"select md5(string_agg(t::varchar, '|' order by t::varchar)) from marts.{m} t") for m in MARTS}
    assert again == snapshot
    assert run.query("select count(*) from raw.police_uk_stop_searches where period = '2024-11'") == [(3389,)]


def test_corrupted_batch_is_quarantined_and_warehouse_untouched(built, tmp_path, smtp_sink):
    """A month whose records moved out of London fails its gate: quarantined, nothing published, nothing lost;
    with a failure notifier configured, one email says so."""
    from devdata.mirror import serve
    from tests.conftest import require_shared_data

    run, _, _ = built
    shared = require_shared_data()
    corrupt_root = tmp_path / "mirror"
    month_dir = corrupt_root / "police_uk" / "stops-force" / "metropolitan"
    month_dir.mkdir(parents=True)
    records = json.loads((shared / "police_uk/stops-force/metropolitan/2024-10.json").read_bytes())
    for rec in records:
        if rec["location"]:
            rec["location"]["latitude"] = "53.480759"  # Manchester
        rec["self_defined_ethnicity"] = rec["self_defined_ethnicity"] and rec["self_defined_ethnicity"].upper()
    corrupt = json.dumps(records).encode()
    (month_dir / "2024-10.json").write_bytes(corrupt)

    published_before = file_sha256(run.warehouse)
    serving_before = json.loads((run.home / "validated/police_uk_stop_searches/2024-10/current.json").read_text())
    notifier = {"MAPWH_NOTIFY_EMAIL": "board@example.org", "AIRFLOW_CONN_SMTP_DEFAULT": smtp_sink.connection_uri}
    with serve(corrupt_root) as server:
        run.env.update(POLICE_UK_API_URL=server.api_url, **notifier)
        try:
            failed = run("run", "--sources", "stop_search", "--from", "2024-10", "--to", "2024-10", check=False)
        finally:
            run.env["POLICE_UK_API_URL"] = "http://127.0.0.1:9/unset"
            for name in notifier:
                del run.env[name]
    assert failed.returncode != 0
    assert "2024-10 FAILED: gate police_uk_stop_searches" in failed.stdout
    assert "mapwh run FAILED" in failed.stdout and "stop_search" in failed.stdout.splitlines()[-1]

    import hashlib

    sha = hashlib.sha256(corrupt).hexdigest()
    quarantined = run.home / "quarantine" / "police_uk_stop_search" / "2024-10" / sha[:16]
    assert (quarantined / "payload.json").read_bytes() == corrupt
    report = json.loads((quarantined / "validation.json").read_text())
    assert report["success"] is False
    reason = (quarantined / "reason.txt").read_text()
    assert "outside_force_area" in reason and "self_defined_ethnicity" in reason
    # Nothing lost: the raw zone has the corrupted bytes and the original ones.
    assert (run.home / "raw" / "police_uk_stop_search" / "2024-10" / f"{sha}.json").read_bytes() == corrupt
    assert (run.home / "raw" / "police_uk_stop_search" / "2024-10" / f"{serving_before['sha256']}.json").exists()
    # The last good batch still serves the month, and the published warehouse is the same file.
    assert json.loads((run.home / "validated/police_uk_stop_searches/2024-10/current.json").read_text()) == serving_before
    assert file_sha256(run.warehouse) == published_before
    assert run.query("select count(*) from marts.fct_stop_search where period = '2024-10'") == [(3400,)]
    # One email, for the one task that failed (the gate), naming it and why.
    (message,) = smtp_sink.messages
    assert message["To"] == "board@example.org"
    assert message["Subject"].startswith("[mapwh] stop_search.load failed") and "police_uk_stop_searches" in message["Subject"]


def test_an_accepted_suspect_revision_is_built_and_published_by_accept_itself(built, tmp_path):
    """A republished month that lost more than MAPWH_REVISION_SHRINK_MAX of its records is held; `mapwh accept`
    lets it in and, with no scheduler running, builds and publishes it there and then (saying so)."""
    from devdata.mirror import serve
    from tests.conftest import require_shared_data

    run, _, _ = built
    records = json.loads((require_shared_data() / "police_uk/stops-force/metropolitan/2024-11.json").read_bytes())
    shrunk_root = tmp_path / "mirror"
    month_dir = shrunk_root / "police_uk" / "stops-force" / "metropolitan"
    month_dir.mkdir(parents=True)
    (month_dir / "2024-11.json").write_text(json.dumps(records[:1500]))
    with serve(shrunk_root) as server:
        run.env["POLICE_UK_API_URL"] = server.api_url
        try:
            held = run("run", "--sources", "stop_search", "--from", "2024-11", "--to", "2024-11", check=False)
        finally:
            run.env["POLICE_UK_API_URL"] = "http://127.0.0.1:9/unset"
    assert held.returncode != 0 and "suspect revision" in held.stdout
    assert run.query("select count(*) from marts.fct_stop_search where period = '2024-11'") == [(REAL_COUNTS["2024-11"],)]
    (reason,) = (run.home / "quarantine" / "police_uk_stop_search" / "2024-11").glob("*/reason.txt")
    batch_id = reason.read_text().split("mapwh accept ")[1].split()[0]

    accepted = run("accept", batch_id)
    assert f"accepted {batch_id}: 2024-11" in accepted.stdout
    assert "no Airflow scheduler is running against this metadata database: building here" in accepted.stdout
    assert "gated and published" in accepted.stdout
    assert run.query("select count(*) from marts.fct_stop_search where period = '2024-11'") == [(1500,)]
