"""warehouse/pipeline.py: any source from its declaration, through real Great Expectations gates.

police.uk months come from the synthetic sample served on 127.0.0.1 (the
pipeline plans, fetches and lands them as in production); the PAS, census
and boundary loads read the real files in ../shared/data by path. Every
test has its own MAPWH_HOME in tmp_path.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict

import pytest

from devdata import sample
from devdata.mirror import serve
from ingest import registry
from ingest.core.config import get_settings
from ingest.core.files import read_jsonl
from tests.warehouse.conftest import stops_file
from warehouse import pipeline, validated
from warehouse.gates import GateFailed

STOPS = registry.get("police_uk_stop_search")
TABLE = STOPS.table.name
DASHBOARD = registry.get("pas_dashboard")
NEIGHBOURHOOD = "pas/neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv"


def home_with(tmp_path, **env):
    return get_settings({"MAPWH_HOME": str(tmp_path / "var"), **env})


def load(settings, month: str) -> dict:
    (planned,) = pipeline.plan(settings, STOPS, month)
    (committed,) = pipeline.load_planned(settings, STOPS, planned)
    return committed


def manifest(settings, period):
    return [m for m in read_jsonl(settings.manifest_path) if m["period"] == period]


def assert_nothing_lost(settings):
    """Every record received is in the validated zone or in quarantine (warehouse.reconcile)."""
    from warehouse.reconcile import reconcile

    results = reconcile(settings)
    assert results and all(r.holds for r in results), [(r.source, r.received, r.validated, r.quarantined, r.lost) for r in results]
    return {r.source: r for r in results}


# --------------------------------------------------------------------------- police.uk (partitioned)
def test_a_month_loads_into_the_validated_zone(settings, mirror_root):
    committed = load(settings, "2024-01")
    expected = len(json.loads(stops_file(mirror_root, "2024-01").read_bytes()))
    assert committed["status"] == "loaded" and committed["rows"] == expected
    assert validated.current(settings.validated_dir, TABLE, "2024-01")["batch_id"] == committed["batch_id"]
    # landed once, parsed once: one manifest row with the record count
    (landed,) = manifest(settings, "2024-01")
    assert landed["status"] == "fetched" and landed["records"] == expected


def test_html_error_page_is_rejected_and_quarantined(settings, mirror_root):
    html = b"<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>"
    stops_file(mirror_root, "2024-02").write_bytes(html)
    with pytest.raises(pipeline.BatchRejected, match="HTML page instead of JSON"):
        load(settings, "2024-02")
    (quarantined,) = (settings.quarantine_dir / STOPS.name / "2024-02").iterdir()
    assert (quarantined / "payload.json").read_bytes() == html
    assert "HTML" in (quarantined / "reason.txt").read_text()
    assert [m["status"] for m in manifest(settings, "2024-02")] == ["rejected"]
    assert validated.current(settings.validated_dir, TABLE, "2024-02") is None
    assert_nothing_lost(settings)


def test_truncated_json_is_rejected(settings, mirror_root):
    content = stops_file(mirror_root, "2024-03").read_bytes()
    stops_file(mirror_root, "2024-03").write_bytes(content[: len(content) - 500])
    with pytest.raises(pipeline.BatchRejected, match="truncated JSON"):
        load(settings, "2024-03")
    assert_nothing_lost(settings)


def test_a_malformed_value_rejects_the_batch_and_keeps_its_bytes(settings, mirror_root):
    records = json.loads(stops_file(mirror_root, "2024-03").read_bytes())
    records[5]["location"] = "51.5,-0.1"  # a string where an object belongs
    broken = json.dumps(records).encode()
    stops_file(mirror_root, "2024-03").write_bytes(broken)
    with pytest.raises(pipeline.BatchRejected, match="record 5: location is a str, expected an object or null"):
        load(settings, "2024-03")
    (quarantined,) = (settings.quarantine_dir / STOPS.name / "2024-03").iterdir()
    assert (quarantined / "payload.json").read_bytes() == broken
    assert [m["status"] for m in manifest(settings, "2024-03")] == ["rejected"]
    assert_nothing_lost(settings)


def test_empty_answer_never_replaces_a_loaded_month(settings, mirror_root):
    first = load(settings, "2024-01")
    stops_file(mirror_root, "2024-01").write_bytes(b"[]")
    again = load(settings, "2024-01")
    assert again["batch_id"] == first["batch_id"]
    assert [m["status"] for m in manifest(settings, "2024-01")] == ["fetched", "empty"]
    assert_nothing_lost(settings)


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
    assert any((settings.quarantine_dir / STOPS.name / "2024-05").iterdir())
    assert_nothing_lost(settings)


def test_unknown_label_fails_the_gate(settings, mirror_root):
    records = json.loads(stops_file(mirror_root, "2024-01").read_bytes())
    records[0]["officer_defined_ethnicity"] = "Martian"
    stops_file(mirror_root, "2024-01").write_text(json.dumps(records))
    with pytest.raises(GateFailed, match="officer_defined_ethnicity"):
        load(settings, "2024-01")
    assert_nothing_lost(settings)


def test_unpublished_month_is_not_planned(settings):
    (planned,) = pipeline.plan(settings, STOPS, "2023-06")
    assert planned.locations == () and "API latest 2024-05" in planned.note
    with pytest.raises(pipeline.NotPublished):
        pipeline.load_planned(settings, STOPS, planned)


def test_archive_directory_url_is_tried_and_a_missing_month_is_not_published(tmp_path):
    root = tmp_path / "mirror"
    sample.generate(root, first_month="2024-01", last_month="2024-01", archive_months=("2016-06",), empty_months=(), with_use_of_force=False)
    with serve(root) as server:
        settings = home_with(tmp_path, POLICE_UK_API_URL=server.api_url,
                             POLICE_UK_ARCHIVE_URL=server.url_for("police_uk/archive") + "/")
        committed = load(settings, "2016-06")
        assert committed["status"] == "loaded" and committed["rows"] > 5000
        assert committed["url"].endswith("/police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv")
        (planned,) = pipeline.plan(settings, STOPS, "2016-07")
        assert planned.via == "archive"
        with pytest.raises(pipeline.NotPublished):
            pipeline.load_planned(settings, STOPS, planned)


# --------------------------------------------------------------------------- whole sources
def test_real_sheets_neighbourhood_census_and_boundaries_pass_their_gates(shared_data, tmp_path):
    pas = shared_data / "pas"
    settings = home_with(
        tmp_path,
        PAS_DASHBOARD_URL=f"{pas / 'pas_dashboard_mps_sheet.csv'},{pas / 'pas_dashboard_borough_sheet.csv'}",
        PAS_NEIGHBOURHOOD_URL=str(shared_data / NEIGHBOURHOOD),
        CENSUS_POPULATION_URL=str(shared_data / "census/census_2021_ethnic_group_8_categories_utla.csv"),
        LONDON_BOUNDARIES_URL=str(shared_data / "geo/london_boroughs.geojson"),
    )
    loaded = {c["period"]: c for c in pipeline.load(settings, DASHBOARD)}
    assert {p: c["rows"] for p, c in loaded.items()} == {"MPS": 291, "Borough": 9312}
    assert all(not c["warnings"] for c in loaded.values())  # 32 boroughs every quarter
    (neighbourhood,) = pipeline.load(settings, registry.get("pas_neighbourhood"))
    assert neighbourhood["rows"] == 112 * 12 and neighbourhood["period"] == "2015-16_to_2020-21"
    (census,) = pipeline.load(settings, registry.get("census_population"))
    (boundaries,) = pipeline.load(settings, registry.get("london_boundaries"))
    assert census["status"] == boundaries["status"] == "loaded" and boundaries["rows"] == 33


def _circulating_export(shared_data) -> bytes:
    """The real Borough sheet as it circulates: `,`, quoted decimal commas, unpadded dates, trailing empty columns."""
    rows = list(csv.reader(io.StringIO((shared_data / "pas/pas_dashboard_borough_sheet.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for i, r in enumerate(rows):
        if i:
            d, m, y = r[0].split("/")
            r = [f"{int(d)}/{int(m)}/{y}"] + r[1:]
        writer.writerow(r + ["", ""])
    return out.getvalue().encode()


def test_the_circulating_comma_export_loads_the_same_32_boroughs(shared_data, tmp_path):
    import duckdb

    path = tmp_path / "pas_dashboard_borough_sheet.csv"
    path.write_bytes(_circulating_export(shared_data))
    homes = {
        "exported": home_with(tmp_path / "a", PAS_DASHBOARD_URL=str(path)),
        "published": home_with(tmp_path / "b", PAS_DASHBOARD_URL=str(shared_data / "pas/pas_dashboard_borough_sheet.csv")),
    }
    values = {}
    for name, settings in homes.items():
        (committed,) = pipeline.load(settings, DASHBOARD)
        assert committed["rows"] == 9312 and not committed["warnings"]  # no borough missing in any quarter
        file = settings.validated_dir / "pas_dashboard" / "Borough" / committed["file"]
        values[name] = duckdb.sql(
            f"select quarter_end, borough, measure, proportion, mps_proportion from '{file}' order by all"
        ).fetchall()
    assert values["exported"] == values["published"]


def test_export_with_a_proportion_of_8_fails_and_is_quarantined(shared_data, tmp_path):
    text = (shared_data / "pas/pas_dashboard_mps_sheet.csv").read_text(encoding="utf-8-sig")
    broken = text.replace("31/03/2016;PAS;MPS;Trust MPS;0,86", "31/03/2016;PAS;MPS;Trust MPS;8,0", 1)
    assert broken != text
    path = tmp_path / "pas_dashboard_mps_sheet.csv"
    path.write_text(broken, encoding="utf-8")
    settings = home_with(tmp_path, PAS_DASHBOARD_URL=str(path))
    with pytest.raises(GateFailed, match="proportion"):
        pipeline.load(settings, DASHBOARD)
    assert validated.current(settings.validated_dir, "pas_dashboard", "MPS") is None
    (quarantined,) = (settings.quarantine_dir / "pas_dashboard" / "MPS").iterdir()
    assert (quarantined / "payload.csv").read_text(encoding="utf-8") == broken


def test_missing_borough_warns_and_unknown_measure_fails(shared_data, tmp_path):
    lines = (shared_data / "pas/pas_dashboard_borough_sheet.csv").read_text(encoding="utf-8-sig").splitlines()
    without_sutton = [line for line in lines if ";Sutton;" not in line or not line.startswith("31/12/2023")]
    path = tmp_path / "pas_dashboard_borough_sheet.csv"
    path.write_text("\n".join(without_sutton) + "\n", encoding="utf-8")
    settings = home_with(tmp_path, PAS_DASHBOARD_URL=str(path))
    (borough,) = pipeline.load(settings, DASHBOARD)
    assert borough["rows"] == 9312 - 8 and any("areas_in_quarter" in w for w in borough["warnings"])

    renamed = [line.replace(";Trust MPS;", ";Trust the Met;") for line in lines]
    path.write_text("\n".join(renamed) + "\n", encoding="utf-8")
    with pytest.raises(GateFailed, match="measure"):
        pipeline.load(settings, DASHBOARD)


def test_an_empty_source_variable_means_not_taken_and_lands_nothing(tmp_path):
    settings = home_with(tmp_path, PAS_DASHBOARD_URL="", PAS_NEIGHBOURHOOD_URL="", PAS_MICRODATA_URL="")
    for name in ("pas_dashboard", "pas_neighbourhood", "pas_microdata"):  # set empty: not taken, the catalogue not asked
        with pytest.raises(pipeline.NotConfigured, match=registry.get(name).variable):
            pipeline.load(settings, registry.get(name))
    assert not settings.manifest_path.exists()


# --------------------------------------------------------------------------- unattended loading
def test_a_look_back_rereads_published_months_loading_only_new_and_revised_ones(settings, mirror_root):
    # a scheduled run for June (not published yet) with a 4-month look-back reads March..May
    planned = pipeline.plan(settings, STOPS, "2024-06", lookback=4)
    assert [(p.period, bool(p.locations)) for p in planned] == [("2024-03", True), ("2024-04", True), ("2024-05", True), ("2024-06", False)]
    first = [c for p in planned if p.locations for c in pipeline.load_planned(settings, STOPS, p)]
    assert [c["status"] for c in first] == ["loaded"] * 3 and not any(c.get("unchanged") for c in first)

    # police.uk republishes April with one record fewer; the next run loads only that
    april = json.loads(stops_file(mirror_root, "2024-04").read_bytes())
    stops_file(mirror_root, "2024-04").write_text(json.dumps(april[:-1]))
    again = {c["period"]: c for p in pipeline.plan(settings, STOPS, "2024-06", lookback=4) if p.locations
             for c in pipeline.load_planned(settings, STOPS, p)}
    assert again["2024-03"].get("unchanged") and again["2024-05"].get("unchanged")
    assert again["2024-04"]["rows"] == len(april) - 1
    assert again["2024-04"]["revision_of"]["rows"] == len(april)
    (revision,) = read_jsonl(settings.audit_dir / "revisions.jsonl")
    assert (revision["period"], revision["old_rows"], revision["new_rows"]) == ("2024-04", len(april), len(april) - 1)
    revised_landing = [m for m in manifest(settings, "2024-04")][-1]
    assert "differs from the serving batch" in revised_landing["detail"]
    # unchanged months were fetched and landed (the raw zone records every answer) but not gated again
    gated = [g["target"] for g in read_jsonl(settings.audit_dir / "gate_results.jsonl")]
    assert gated.count(f"{STOPS.name} 2024-03") == 1 and gated.count(f"{STOPS.name} 2024-04") == 2
    assert_nothing_lost(settings)


@pytest.mark.parametrize("street_id", [2**70, "not a number"])
def test_a_value_that_does_not_fit_its_column_rejects_the_batch_before_any_verdict(settings, mirror_root, street_id):
    records = json.loads(stops_file(mirror_root, "2024-02").read_bytes())
    located = next(r for r in records if r["location"])
    located["location"]["street"]["id"] = street_id
    stops_file(mirror_root, "2024-02").write_text(json.dumps(records))
    with pytest.raises(pipeline.BatchRejected, match="street id.*(is beyond a 64-bit integer|is not a whole number)"):
        load(settings, "2024-02")
    assert validated.current(settings.validated_dir, TABLE, "2024-02") is None
    assert not list((settings.validated_dir / TABLE / "2024-02").glob("*.parquet"))  # nothing half-written
    (quarantined,) = (settings.quarantine_dir / STOPS.name / "2024-02").iterdir()
    assert json.loads((quarantined / "payload.json").read_bytes())[records.index(located)]["location"]["street"]["id"] == street_id
    assert not read_jsonl(settings.audit_dir / "gate_results.jsonl")  # no verdict was recorded for it
    assert_nothing_lost(settings)


# --------------------------------------------------------------------------- completeness
def test_a_census_file_missing_one_boroughs_category_is_refused(shared_data, tmp_path):
    lines = (shared_data / "census/census_2021_ethnic_group_8_categories_utla.csv").read_text(encoding="utf-8-sig").splitlines()
    camden_black = [line for line in lines if line.startswith("E09000007,") and ",2," in line]
    assert len(camden_black) == 1
    path = tmp_path / "ts021.csv"
    path.write_text("\n".join(line for line in lines if line not in camden_black) + "\n")
    settings = home_with(tmp_path, CENSUS_POPULATION_URL=str(path))
    with pytest.raises(GateFailed, match="categories_in_area"):
        pipeline.load(settings, registry.get("census_population"))
    assert validated.current(settings.validated_dir, "census_population", "2021") is None


def test_a_republished_sheet_that_lost_a_borough_does_not_replace_the_loaded_one(shared_data, tmp_path):
    real = shared_data / "pas/pas_dashboard_borough_sheet.csv"
    settings = home_with(tmp_path, PAS_DASHBOARD_URL=str(real))
    (loaded,) = pipeline.load(settings, DASHBOARD)
    without_sutton = tmp_path / "pas_dashboard_borough_sheet.csv"
    without_sutton.write_text("\n".join(line for line in real.read_text(encoding="utf-8-sig").splitlines() if ";Sutton;" not in line) + "\n")
    with pytest.raises(GateFailed, match="previous_areas|expect_column_distinct_values_to_contain_set"):
        pipeline.load(home_with(tmp_path, PAS_DASHBOARD_URL=str(without_sutton)), DASHBOARD)
    assert validated.current(settings.validated_dir, "pas_dashboard", "Borough")["batch_id"] == loaded["batch_id"]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf"])
def test_a_non_finite_coordinate_rejects_the_month(settings, mirror_root, value):
    records = json.loads(stops_file(mirror_root, "2024-02").read_bytes())
    next(r for r in records if r["location"])["location"]["latitude"] = value
    stops_file(mirror_root, "2024-02").write_text(json.dumps(records))
    with pytest.raises(pipeline.BatchRejected, match="coordinate: .* is not a number"):
        load(settings, "2024-02")
    assert_nothing_lost(settings)


def test_a_month_with_most_locations_missing_fails_its_gate(settings, mirror_root):
    records = json.loads(stops_file(mirror_root, "2024-02").read_bytes())
    for r in records[: len(records) // 2]:
        r["location"] = None
    stops_file(mirror_root, "2024-02").write_text(json.dumps(records))
    with pytest.raises(GateFailed, match="latitude_value"):
        load(settings, "2024-02")

    assert_nothing_lost(settings)

# --------------------------------------------------------------------------- guarded revisions
def test_a_revision_that_shrinks_a_month_is_held_for_review_until_accepted(settings, mirror_root, monkeypatch, capsys):
    full = load(settings, "2024-03")
    records = json.loads(stops_file(mirror_root, "2024-03").read_bytes())
    stops_file(mirror_root, "2024-03").write_text(json.dumps(records[: int(len(records) * 0.55)]))  # 45% withdrawn

    with pytest.raises(pipeline.SuspectRevision, match="suspect revision") as held:
        load(settings, "2024-03")
    assert validated.current(settings.validated_dir, TABLE, "2024-03")["batch_id"] == full["batch_id"]  # still serving
    (entry,) = [e for e in (settings.quarantine_dir / STOPS.name / "2024-03").iterdir()]
    reason = (entry / "reason.txt").read_text()
    batch_id = reason.split("mapwh accept ")[1].split()[0]
    assert batch_id.endswith(entry.name) and "-45%" in str(held.value)
    assert_nothing_lost(settings)

    from warehouse import cli

    monkeypatch.setenv("MAPWH_HOME", str(settings.home))
    assert cli.main(["accept", batch_id, "--no-build"]) == 0
    assert "not built (--no-build)" in capsys.readouterr().out
    serving = validated.current(settings.validated_dir, TABLE, "2024-03")
    assert serving["batch_id"] == batch_id and serving["rows"] == int(len(records) * 0.55)
    assert serving["revision_of"]["batch_id"] == full["batch_id"]
    assert (entry / "accepted.json").exists()
    assert cli.main(["accept", "police_uk_stop_search:2024-03:0000000000000000"]) == 1
    assert_nothing_lost(settings)


def test_a_dismissed_suspect_revision_stops_failing_later_runs_and_can_still_be_accepted(settings, mirror_root,
                                                                                         monkeypatch, capsys):
    from warehouse import cli

    monkeypatch.setenv("MAPWH_HOME", str(settings.home))
    full = load(settings, "2024-03")
    records = json.loads(stops_file(mirror_root, "2024-03").read_bytes())
    stops_file(mirror_root, "2024-03").write_text(json.dumps(records[: len(records) // 2]))
    for _ in range(2):  # held, and every later run that covers the month fails on it again
        with pytest.raises(pipeline.SuspectRevision):
            load(settings, "2024-03")
    (entry,) = (settings.quarantine_dir / STOPS.name / "2024-03").iterdir()
    batch_id = (entry / "reason.txt").read_text().split("mapwh accept ")[1].split()[0]

    assert cli.main(["dismiss", batch_id]) == 0
    assert f"dismissed {batch_id}" in capsys.readouterr().out
    later = load(settings, "2024-03")  # the same bytes again: skipped, the loaded month keeps serving
    assert later["unchanged"] and later["batch_id"] == full["batch_id"] and later["dismissed"]
    assert validated.current(settings.validated_dir, TABLE, "2024-03")["batch_id"] == full["batch_id"]
    assert_nothing_lost(settings)

    assert cli.main(["accept", batch_id, "--no-build"]) == 0  # the decision changed: the dismissal does not stand in the way
    assert validated.current(settings.validated_dir, TABLE, "2024-03")["rows"] == len(records) // 2
    assert cli.main(["dismiss", batch_id]) == 1 and "accepted already" in capsys.readouterr().err
    assert_nothing_lost(settings)


def test_only_a_suspect_revision_can_be_dismissed(settings, mirror_root, monkeypatch, capsys):
    from warehouse import cli

    monkeypatch.setenv("MAPWH_HOME", str(settings.home))
    records = json.loads(stops_file(mirror_root, "2024-02").read_bytes())
    for r in records[: len(records) // 2]:
        r["location"] = None
    stops_file(mirror_root, "2024-02").write_text(json.dumps(records))
    with pytest.raises(GateFailed):
        load(settings, "2024-02")
    (entry,) = (settings.quarantine_dir / STOPS.name / "2024-02").iterdir()
    assert cli.main(["dismiss", f"{STOPS.name}:2024-02:{entry.name}"]) == 1
    assert "not a suspect revision held for review" in capsys.readouterr().err
    assert not (entry / "dismissed.json").exists()


def test_a_month_another_run_is_loading_is_left_to_it_unfetched(settings, monkeypatch):
    """Two backfill runs whose look-backs overlap: while one loads a month (its lock held by another process),
    the other neither fetches nor gates it (its task is skipped), and the manifest gets one row, not two."""
    import subprocess
    import sys

    from airflow.sdk.exceptions import AirflowSkipException

    from warehouse import orchestration

    monkeypatch.setenv("MAPWH_HOME", str(settings.home))
    monkeypatch.setenv("POLICE_UK_API_URL", settings.environ["POLICE_UK_API_URL"])
    (february,) = [asdict(p) for p in pipeline.plan(settings, STOPS, "2024-02")]
    lock = settings.home / "locks" / f"load-{STOPS.name}-2024-02.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from filelock import FileLock; "  # noqa: S603
                               "held = FileLock(sys.argv[1]); held.acquire(); print('held', flush=True); time.sleep(120)", str(lock)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        fetched = manifest(settings, "2024-02") if settings.manifest_path.exists() else []
        with pytest.raises(AirflowSkipException, match="another run is loading it now"):
            orchestration.load_planned(STOPS.name, february)
        assert (manifest(settings, "2024-02") if settings.manifest_path.exists() else []) == fetched == []
        assert validated.current(settings.validated_dir, TABLE, "2024-02") is None
    finally:
        holder.kill()
        holder.wait()
    (committed,) = orchestration.load_planned(STOPS.name, february)  # the lock died with its holder
    assert committed["period"] == "2024-02" and committed["status"] == "loaded"
    assert len(manifest(settings, "2024-02")) == 1
    assert_nothing_lost(settings)


def test_a_revision_is_counted_once_the_same_way_by_status_and_the_build(settings, mirror_root, monkeypatch):
    """A suspect revision held for review (fetched twice) is not a revision; a committed one is, once: `mapwh
    status` and the build's `audit.revisions` (what the report shows) count the same rows."""
    import duckdb

    from warehouse import build
    from warehouse.cli.status import gather

    load(settings, "2024-02")
    load(settings, "2024-03")
    march = json.loads(stops_file(mirror_root, "2024-03").read_bytes())
    stops_file(mirror_root, "2024-03").write_text(json.dumps(march[: len(march) // 2]))  # suspect: half withdrawn
    for _ in range(2):  # every later run fetches it again
        with pytest.raises(pipeline.SuspectRevision):
            load(settings, "2024-03")
    february = json.loads(stops_file(mirror_root, "2024-02").read_bytes())
    stops_file(mirror_root, "2024-02").write_text(json.dumps(february[:-3]))  # a small revision: committed
    (revised,) = pipeline.load_period(settings, registry.get("police_uk_stop_search"), "2024-02")
    assert "revision_of" in revised

    differing = [m for m in read_jsonl(settings.manifest_path) if "differs from the serving batch" in (m.get("detail") or "")]
    assert len(differing) == 3  # what the report used to count: every fetch of different bytes
    path = build.prepare(settings)
    con = duckdb.connect(str(path), read_only=True)
    try:
        in_build = con.execute("select table_name, period, old_rows, new_rows from audit.revisions").fetchall()
    finally:
        con.close()
    from datetime import datetime, timezone

    monkeypatch.setenv("MAPWH_HOME", str(settings.home))
    counted = gather(settings, datetime.now(timezone.utc), detail=False).revisions
    assert in_build == [(TABLE, "2024-02", len(february), len(february) - 3)]
    assert [(r["table_name"], r["period"]) for r in counted] == [(TABLE, "2024-02")]


def test_a_huge_field_rejects_the_month_before_it_reaches_a_build(settings, mirror_root):
    records = json.loads(stops_file(mirror_root, "2024-02").read_bytes())
    records[7]["legislation"] = "x" * 3_000_000  # one 3 MB string once took a build past 13 GB
    stops_file(mirror_root, "2024-02").write_text(json.dumps(records))
    with pytest.raises(pipeline.BatchRejected, match="row 7 column legislation holds 3,000,000 characters"):
        load(settings, "2024-02")
    assert validated.current(settings.validated_dir, TABLE, "2024-02") is None
    assert_nothing_lost(settings)


_PEAK = """
import resource, sys
from ingest import registry
from ingest.core.config import get_settings
from warehouse import pipeline
settings = get_settings({"MAPWH_HOME": sys.argv[1], "POLICE_UK_API_URL": sys.argv[2]})
source = registry.get("police_uk_stop_search")
(planned,) = pipeline.plan(settings, source, sys.argv[3])
try:
    pipeline.load_planned(settings, source, planned)
except pipeline.BatchRejected:
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def test_peak_memory_stays_bounded_with_a_30_mb_field(tmp_path, mirror_root):
    """Loading a month with one 30 MB field (which once took a build past 17 GB) peaks near a normal month."""
    import subprocess
    import sys

    records = json.loads(stops_file(mirror_root, "2024-02").read_bytes())
    records[7]["legislation"] = "x" * 30_000_000
    stops_file(mirror_root, "2024-02").write_text(json.dumps(records))
    with serve(mirror_root) as server:
        def peak_mb(month, home):
            run = subprocess.run([sys.executable, "-c", _PEAK, str(tmp_path / home), server.api_url, month],
                                 capture_output=True, text=True, check=True)
            return int(run.stdout.split()[-1])
        normal, huge = peak_mb("2024-01", "normal"), peak_mb("2024-02", "huge")
    print(f"peak RSS: normal month {normal} MB, month with a 30 MB field {huge} MB")
    assert huge < normal + 600, (normal, huge)  # the field's bytes a few times over, never gigabytes
    for home in ("normal", "huge"):
        assert_nothing_lost(get_settings({"MAPWH_HOME": str(tmp_path / home)}))


def test_two_runs_loading_the_same_month_at_once_load_and_gate_it_once(settings, mirror_root):
    """A parallel backfill's look-back windows overlap, so several runs reach the same month together: one
    loads it; one that arrives while it loads is told so and leaves it (`LoadInProgress`: its task is
    skipped); one that arrives after finds the same bytes serving. The month is gated once."""
    from concurrent.futures import ThreadPoolExecutor

    load(settings, "2024-01")  # a trailing month for the record-count gate
    (planned,) = pipeline.plan(settings, STOPS, "2024-02")

    def attempt(_):
        try:
            return pipeline.load_planned(settings, STOPS, planned)
        except pipeline.LoadInProgress:
            return None

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(attempt, range(4)))
    loaded = [c for o in outcomes if o for c in o]
    assert len({c["batch_id"] for c in loaded}) == 1 and all(c["status"] == "loaded" for c in loaded)
    assert sum(1 for c in loaded if not c.get("unchanged")) == 1  # committed once
    gated = [g for g in read_jsonl(settings.audit_dir / "gate_results.jsonl") if g["target"].endswith(" 2024-02")]
    assert len(gated) == 1
    serving = validated.current(settings.validated_dir, TABLE, "2024-02")
    period_dir = validated.period_dir(settings.validated_dir, TABLE, "2024-02")
    assert (period_dir / serving["file"]).is_file()
    assert not list(period_dir.glob(".*.tmp"))  # no staging file left behind
    assert not (settings.quarantine_dir / STOPS.name / "2024-02").exists()
