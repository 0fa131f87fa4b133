"""ingest/police_uk.py on the real police.uk extracts: parsing, formats, archive lookup."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ingest import police_uk
from ingest.core.config import get_settings
from ingest.core.errors import SourceFormatError

REAL_COUNTS = {"2024-09": 3253, "2024-10": 3400, "2024-11": 3389, "2024-12": 2836, "2025-01": 3646, "2025-02": 3506}


@pytest.mark.parametrize("month,expected", sorted(REAL_COUNTS.items()))
def test_api_month_parses_every_record(shared_data, month, expected):
    content = (shared_data / "police_uk/stops-force/metropolitan" / f"{month}.json").read_bytes()
    frame = police_uk.parse_api_records(content, period=month)
    assert len(frame) == expected
    assert list(frame.columns) == police_uk.TABLE.parsed_column_names
    assert frame["record_index"].tolist() == list(range(expected))
    # Coordinates stay the published strings; a null location gives null coordinates.
    raw = json.loads(content)
    no_location = sum(1 for r in raw if r["location"] is None)
    assert frame["latitude"].isna().sum() == no_location
    assert frame["outcome_id"].dropna().str.startswith("bu-").all()


def test_api_outcome_label_comes_from_outcome_object(shared_data):
    content = (shared_data / "police_uk/stops-force/metropolitan/2024-09.json").read_bytes()
    frame = police_uk.parse_api_records(content, period="2024-09")
    arrests = frame[frame["outcome_id"] == "bu-arrest"]
    assert len(arrests) > 0 and set(arrests["outcome"]) == {"Arrest"}


def test_empty_month_is_an_empty_frame(shared_data):
    content = (shared_data / "police_uk/stops-force/metropolitan/2025-06.json").read_bytes()
    frame = police_uk.parse_api_records(content, period="2025-06")
    assert len(frame) == 0 and list(frame.columns) == police_uk.TABLE.parsed_column_names


def test_archive_csv_2016_parses_with_older_vocabulary(shared_data):
    path = shared_data / "police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv"
    frame = police_uk.parse_archive_csv(path.read_bytes(), period="2016-06")
    assert len(frame) == 10490
    assert frame["latitude"].isna().sum() == 871
    assert "White - White British (W1)" in set(frame["self_defined_ethnicity"])
    assert "Suspect arrested" in set(frame["outcome"])
    # Blank booleans are null, not False.
    assert frame["outcome_linked_to_object_of_search"].isna().all()
    assert set(frame["operation"]) == {False}
    assert police_uk.period_from_archive_name(path.name) == "2016-06"


def test_html_error_page_is_rejected_by_name():
    with pytest.raises(SourceFormatError, match="HTML page instead of JSON"):
        police_uk.parse_api_records(b"<!DOCTYPE html><html><body>Service Unavailable</body></html>", period="2024-09")


def test_truncated_json_is_rejected_by_name(shared_data):
    content = (shared_data / "police_uk/stops-force/metropolitan/2024-09.json").read_bytes()
    with pytest.raises(SourceFormatError, match="truncated JSON"):
        police_uk.parse_api_records(content[: len(content) // 2], period="2024-09")


def test_archive_with_wrong_header_is_rejected():
    with pytest.raises(SourceFormatError, match="unexpected header"):
        police_uk.parse_archive_csv(b"a,b,c\n1,2,3\n", period="2016-06")


def test_availability_lists_months_naming_the_force():
    body = json.dumps(
        [
            {"date": "2025-02", "stop-and-search": ["avon-and-somerset", "metropolitan"]},
            {"date": "2025-01", "stop-and-search": ["avon-and-somerset"]},
            {"date": "2024-12", "stop-and-search": ["metropolitan"]},
        ]
    ).encode()
    assert police_uk.months_available(body, "metropolitan") == ["2024-12", "2025-02"]


def test_archive_candidates_from_directories_files_urls_and_zips(tmp_path):
    (tmp_path / "2016-06").mkdir()
    csv = tmp_path / "2016-06" / "2016-06-metropolitan-stop-and-search.csv"
    csv.write_text("x")
    settings = get_settings({
        "POLICE_UK_ARCHIVE_URL":
        f"{tmp_path}, https://example.invalid/a/2016-06-metropolitan-stop-and-search.csv, https://mirror.invalid/archive/, /data/2016-06.zip",
    })
    found = police_uk.archive_candidates(settings, "2016-06")
    assert found == [
        str(csv),
        "https://example.invalid/a/2016-06-metropolitan-stop-and-search.csv",
        "https://mirror.invalid/archive/2016-06/2016-06-metropolitan-stop-and-search.csv",
        "/data/2016-06.zip!2016-06/2016-06-metropolitan-stop-and-search.csv",
    ]
    assert police_uk.archive_candidates(settings, "2016-07")[0].startswith("https://mirror.invalid")


# --------------------------------------------------------------------------- national scope (decision 0026)
def test_scope_is_force_unless_national():
    assert police_uk.scope(get_settings({})) == "force"
    assert police_uk.scope(get_settings({"POLICE_UK_SCOPE": "National"})) == "national"
    with pytest.raises(ValueError, match="POLICE_UK_SCOPE"):
        police_uk.scope(get_settings({"POLICE_UK_SCOPE": "all"}))


def test_month_archive_candidates_from_zips_urls_and_directories(tmp_path):
    (tmp_path / "zips").mkdir()
    (tmp_path / "zips" / "2024-03.zip").write_bytes(b"PK")
    (tmp_path / "unpacked" / "2024-03").mkdir(parents=True)
    settings = get_settings({"POLICE_UK_ARCHIVE_URL": f"/data/2024-12.zip, https://mirror.invalid/archive/, "
                                                      f"{tmp_path / 'zips'}, {tmp_path / 'unpacked'}"})
    assert police_uk.month_archive_candidates(settings, "2024-03") == [
        "/data/2024-12.zip!2024-03/",
        "https://mirror.invalid/archive/2024-03.zip!2024-03/",
        f"{tmp_path / 'zips' / '2024-03.zip'}!2024-03/",
        f"{tmp_path / 'unpacked' / '2024-03'}!2024-03/",
    ]
    # a local directory without the month is no candidate
    assert police_uk.month_archive_candidates(settings, "2024-04") == [
        "/data/2024-12.zip!2024-04/", "https://mirror.invalid/archive/2024-04.zip!2024-04/"]


def test_national_plan_reads_each_month_of_the_window_from_the_archive(tmp_path):
    settings = get_settings({"POLICE_UK_SCOPE": "national", "POLICE_UK_ARCHIVE_URL": "https://mirror.invalid/archive/"})

    def no_reads(*_):
        raise AssertionError("the national plan asks the API nothing")

    plans = police_uk.plan(settings, "2024-03", no_reads, 2)
    assert [(p.period, p.locations, p.via) for p in plans] == [
        ("2024-02", ("https://mirror.invalid/archive/2024-02.zip!2024-02/",), "archive"),
        ("2024-03", ("https://mirror.invalid/archive/2024-03.zip!2024-03/",), "archive"),
    ]
    [unconfigured] = police_uk.plan(get_settings({"POLICE_UK_SCOPE": "national"}), "2024-03", no_reads, 1)
    assert unconfigured.locations == () and "POLICE_UK_ARCHIVE_URL" in unconfigured.note


def test_national_month_from_the_real_unpacked_archive(shared_data, tmp_path):
    """The real archive directory (`YYYY-MM/YYYY-MM-<force>-stop-and-search.csv`) read the national way."""
    settings = get_settings({"POLICE_UK_SCOPE": "national", "POLICE_UK_ARCHIVE_URL": str(shared_data / "police_uk/archive"),
                             "MAPWH_HOME": str(tmp_path)})
    [location] = police_uk.month_archive_candidates(settings, "2016-06")
    fetched = police_uk.fetch(settings, location)
    assert fetched.status == 200 and police_uk.landed_extension(fetched.content) == "zip"
    assert police_uk.fetch(settings, location).content == fetched.content  # packed the same way every time
    [batch] = police_uk.parse(fetched.content, location=fetched.url, period="2016-06")
    assert len(batch.frame) == 10490 and set(batch.frame["force"]) == {"metropolitan"}
    one_force = police_uk.parse_archive_csv(
        (shared_data / "police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv").read_bytes(),
        period="2016-06", force="metropolitan")
    assert batch.frame.equals(one_force)
    # a month the archive does not hold is a 404, for the pipeline to try the next location
    missing = police_uk.fetch(settings, f"{shared_data / 'police_uk/archive/2016-06'}!2016-07/")
    assert missing.status == 404


def _member(force: str, rows: list[list[str]]) -> bytes:
    header = ",".join(police_uk.ARCHIVE_HEADER)
    return ("\n".join([header, *(",".join(r) for r in rows)]) + "\n").encode()


ROW = ["Person search", "2024-03-05T10:00:00+00:00", "False", "", "{lat}", "{lon}", "Male", "18-24", "", "White",
       "Misuse of Drugs Act 1971 (section 23)", "Controlled drugs", "A no further action disposal", "", ""]


def _row(lat: str, lon: str) -> list[str]:
    return [v.format(lat=lat, lon=lon) for v in ROW]


def test_a_national_month_numbers_records_across_forces_and_names_each_force():
    content = police_uk.pack_members({
        "2024-03/2024-03-metropolitan-stop-and-search.csv": _member("metropolitan", [_row("51.5", "-0.1")] * 2),
        "2024-03/2024-03-kent-stop-and-search.csv": _member("kent", [_row("51.2", "0.5"), _row("", "")]),
    })
    assert content == police_uk.pack_members(dict(reversed(list({
        "2024-03/2024-03-metropolitan-stop-and-search.csv": _member("metropolitan", [_row("51.5", "-0.1")] * 2),
        "2024-03/2024-03-kent-stop-and-search.csv": _member("kent", [_row("51.2", "0.5"), _row("", "")]),
    }.items()))))  # member order does not change the bytes
    frame = police_uk.parse_month_archive(content, period="2024-03")
    assert list(frame["force"]) == ["kent", "kent", "metropolitan", "metropolitan"]
    assert list(frame["record_index"]) == [0, 1, 2, 3]
    # the gate's view: each force against its own area; no point, no verdict
    view = police_uk.gate_view(frame)
    assert list(view["outside_force_area"].astype(object)) == [False, pd.NA, False, False]
    met_in_kent = police_uk.gate_view(police_uk.parse_month_archive(police_uk.pack_members(
        {"2024-03/2024-03-metropolitan-stop-and-search.csv": _member("metropolitan", [_row("51.2", "0.5")])}),
        period="2024-03"))
    assert list(met_in_kent["outside_force_area"]) == [True]


def test_a_national_month_refuses_another_months_member_and_a_broken_zip():
    content = police_uk.pack_members({"2024-04/2024-04-kent-stop-and-search.csv": _member("kent", [_row("51.2", "0.5")])})
    with pytest.raises(SourceFormatError, match="unexpected member"):
        police_uk.parse_month_archive(content, period="2024-03")
    with pytest.raises(SourceFormatError, match="not a zip"):
        police_uk.parse_month_archive(b"Type,Date\n", period="2024-03")


def test_landed_files_are_named_by_what_they_hold(shared_data):
    csv = (shared_data / "police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv").read_bytes()
    api = (shared_data / "police_uk/stops-force/metropolitan/2024-09.json").read_bytes()
    assert police_uk.landed_extension(csv) == "csv"
    assert police_uk.landed_extension(api) == "json"
    assert police_uk.landed_extension(b"<html>Service unavailable</html>") == "json"  # what the API sent
    assert police_uk.landed_extension(police_uk.pack_members({"2016-06/2016-06-metropolitan-stop-and-search.csv": csv})) == "zip"
