"""ingest/police_uk.py on the real police.uk extracts: parsing, formats, archive lookup."""

from __future__ import annotations

import json

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
