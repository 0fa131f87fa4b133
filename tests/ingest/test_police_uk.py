"""ingest/police_uk.py on the real police.uk extracts: parsing, formats, archive lookup."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

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


# --------------------------------------------------------------------------- bounded memory, archive members, strict values
def _zip(members: list[tuple[str, bytes]], *, level: int = 6) -> bytes:
    """A zip holding `members` in order, duplicates and all (zipfile warns, and writes them)."""
    import io
    import warnings
    import zipfile

    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        warnings.simplefilter("ignore")
        for name, data in members:
            zf.writestr(name, data)
    return out.getvalue()


def _archive_settings(location, **extra):
    return get_settings({"POLICE_UK_SCOPE": "national", "POLICE_UK_ARCHIVE_URL": str(location), **extra})


def test_an_api_response_of_empty_records_is_refused_before_any_frame_is_built():
    """[{}, {}, ...]: 4.5 MB of it once became 1.5 million null rows (2 GB); a record holds an API field."""
    with pytest.raises(SourceFormatError, match="record 0 holds none of the API's fields"):
        police_uk.parse_api_records(b"[" + b"{}," * 1_500_000 + b"{}]", period="2024-09")
    with pytest.raises(SourceFormatError, match="record 1 holds none"):
        police_uk.parse_api_records(b'[{"type": "Person search"}, {"colour": "blue"}]', period="2024-09")


def test_records_beyond_max_records_are_refused_in_every_format(monkeypatch):
    monkeypatch.setenv("MAPWH_MAX_RECORDS", "2")
    api = json.dumps([{"type": "Person search"}] * 3).encode()
    with pytest.raises(SourceFormatError, match="more than 2 records.*MAPWH_MAX_RECORDS"):
        police_uk.parse_api_records(api, period="2024-09")
    assert len(police_uk.parse_api_records(json.dumps([{"type": "Person search"}] * 2).encode(), period="2024-09")) == 2
    with pytest.raises(SourceFormatError, match="MAPWH_MAX_RECORDS"):
        police_uk.parse_archive_csv(_member("kent", [_row("51.2", "0.5")] * 3), period="2024-03")
    month = police_uk.pack_members({f"2024-03/2024-03-{f}-stop-and-search.csv": _member(f, [_row("51.2", "0.5")])
                                    for f in ("kent", "essex", "surrey")})
    with pytest.raises(SourceFormatError, match="MAPWH_MAX_RECORDS"):
        police_uk.parse_month_archive(month, period="2024-03")


def test_a_csv_of_blank_lines_is_refused_at_the_first_one():
    with pytest.raises(SourceFormatError, match="line 3 has 0 fields"):
        police_uk.parse_archive_csv(_member("kent", [_row("51.2", "0.5")]) + b"\n" * 1_000_000, period="2024-03")


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path, monkeypatch):
    """A 0.4 MB zip once inflated to 400 MB (2.9 GB peak): the declared size and ratio are checked first."""
    bomb = _zip([("2024-03/2024-03-kent-stop-and-search.csv", _member("kent", []) + b"0" * (50 * 1024 * 1024))], level=9)
    assert len(bomb) < 200_000
    (tmp_path / "2024-03.zip").write_bytes(bomb)
    settings = _archive_settings(tmp_path)
    [location] = police_uk.month_archive_candidates(settings, "2024-03")
    with pytest.raises(SourceFormatError, match="inflate.*MAPWH_MAX_UNZIP_RATIO"):
        police_uk.fetch(settings, location)
    with pytest.raises(SourceFormatError, match="MAPWH_MAX_UNZIP_RATIO"):  # and as landed bytes, parsed
        police_uk.parse_month_archive(bomb, period="2024-03")
    # within the ratio, the declared size is held to MAPWH_MAX_UNZIPPED_MB
    with pytest.raises(SourceFormatError, match="declares .* bytes uncompressed.*MAPWH_MAX_UNZIPPED_MB"):
        police_uk.fetch(_archive_settings(tmp_path, MAPWH_MAX_UNZIP_RATIO="100000", MAPWH_MAX_UNZIPPED_MB="10"), location)
    # force scope reads its member the same bounded way
    force = get_settings({"POLICE_UK_ARCHIVE_URL": str(tmp_path / "2024-03.zip"), "POLICE_UK_FORCE": "kent"})
    [member] = police_uk.archive_candidates(force, "2024-03")
    with pytest.raises(SourceFormatError, match="MAPWH_MAX_UNZIP_RATIO"):
        police_uk.fetch(force, member)


def test_a_zip_whose_member_lies_about_its_size_is_read_with_a_cap(monkeypatch):
    """The declared size is not trusted: the read stops at MAPWH_MAX_UNZIPPED_MB whatever the zip says."""
    import struct

    data = _member("kent", [_row("51.2", "0.5")] * 20_000)  # about 2.6 MB
    content = bytearray(police_uk.pack_members({"2024-03/2024-03-kent-stop-and-search.csv": data}))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header and directory: file size 100
        at = content.index(signature)
        content[at + offset:at + offset + 4] = struct.pack("<I", 100)
    monkeypatch.setenv("MAPWH_MAX_UNZIPPED_MB", "1")
    with pytest.raises(SourceFormatError, match="police.uk archive 2024-03"):
        police_uk.parse_month_archive(bytes(content), period="2024-03")


def test_a_zip_listing_too_many_members_is_refused_unread(tmp_path, monkeypatch):
    many = _zip([(f"2024-03/other-{i}.csv", b"x") for i in range(30)])
    (tmp_path / "2024-03.zip").write_bytes(many)
    settings = _archive_settings(tmp_path, MAPWH_MAX_ZIP_MEMBERS="10")
    with pytest.raises(SourceFormatError, match="30 members.*MAPWH_MAX_ZIP_MEMBERS"):
        police_uk.fetch(settings, police_uk.month_archive_candidates(settings, "2024-03")[0])
    monkeypatch.setenv("MAPWH_MAX_ZIP_MEMBERS", "10")
    with pytest.raises(SourceFormatError, match="MAPWH_MAX_ZIP_MEMBERS"):
        police_uk.parse_month_archive(many, period="2024-03")


@pytest.mark.parametrize("special", ["symlink", "fifo", "dangling"])
def test_an_unpacked_archive_entry_that_is_not_a_regular_file_is_refused(tmp_path, special):
    """A symlink to /dev/zero in an unpacked archive was read without end; FIFOs and devices likewise."""
    import os

    month = tmp_path / "2024-03"
    month.mkdir()
    (month / "2024-03-kent-stop-and-search.csv").write_bytes(_member("kent", [_row("51.2", "0.5")]))
    odd = month / "2024-03-metropolitan-stop-and-search.csv"
    if special == "symlink":
        odd.symlink_to("/dev/zero")
    elif special == "dangling":
        odd.symlink_to(tmp_path / "nowhere.csv")
    else:
        os.mkfifo(odd)
    settings = _archive_settings(tmp_path)
    [location] = police_uk.month_archive_candidates(settings, "2024-03")
    with pytest.raises(SourceFormatError, match="metropolitan-stop-and-search.csv: (a symlink|a FIFO); refused"):
        police_uk.fetch(settings, location)


def test_the_files_of_an_unpacked_month_are_bounded_together(tmp_path):
    month = tmp_path / "2024-03"
    month.mkdir()
    for force_id in ("kent", "essex"):
        (month / f"2024-03-{force_id}-stop-and-search.csv").write_bytes(_member(force_id, [_row("51.2", "0.5")] * 5000))
    settings = _archive_settings(tmp_path, MAPWH_MAX_UNZIPPED_MB="1")
    with pytest.raises(SourceFormatError, match="MAPWH_MAX_UNZIPPED_MB"):
        police_uk.fetch(settings, police_uk.month_archive_candidates(settings, "2024-03")[0])


def test_two_members_of_one_name_are_refused_not_collapsed(tmp_path, shared_data):
    """Two members of the same name once collided and 10,490 records vanished."""
    real = (shared_data / "police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv").read_bytes()
    name = "2016-06/2016-06-metropolitan-stop-and-search.csv"
    for members in ([(name, real), (name, _member("metropolitan", []))],  # the same name twice
                    [(name, real), (f"copy/{name}", _member("metropolitan", []))]):  # one file name in two folders
        (tmp_path / "2016-06.zip").write_bytes(_zip(members))
        settings = _archive_settings(tmp_path)
        with pytest.raises(SourceFormatError, match="two members named|name the same file"):
            police_uk.fetch(settings, police_uk.month_archive_candidates(settings, "2016-06")[0])
    doubled = _zip([(name, real), (name, real)])
    with pytest.raises(SourceFormatError, match="two members named"):
        police_uk.parse_month_archive(doubled, period="2016-06")
    force = get_settings({"POLICE_UK_ARCHIVE_URL": str(tmp_path / "2016-06.zip")})
    (tmp_path / "2016-06.zip").write_bytes(doubled)
    with pytest.raises(SourceFormatError, match="two members named"):
        police_uk.fetch(force, police_uk.archive_candidates(force, "2016-06")[0])


def test_force_scope_reads_the_member_named_exactly_never_a_decoy(tmp_path, shared_data):
    real = (shared_data / "police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv").read_bytes()
    decoy = _member("metropolitan", [_row("51.5", "-0.1")])
    name = "2016-06/2016-06-metropolitan-stop-and-search.csv"
    settings = get_settings({"POLICE_UK_ARCHIVE_URL": str(tmp_path / "2016-06.zip")})
    (tmp_path / "2016-06.zip").write_bytes(_zip([("2016-06/x-2016-06-metropolitan-stop-and-search.csv", decoy),
                                                 ("2016-05/2016-06-metropolitan-stop-and-search.csv", decoy), (name, real)]))
    [location] = police_uk.archive_candidates(settings, "2016-06")
    fetched = police_uk.fetch(settings, location)
    assert fetched.content == real and fetched.url.endswith(f"!{name}")
    # without the exact member, a look-alike is refused by name, not taken in its place
    for look_alike in ("2016-06/x-2016-06-metropolitan-stop-and-search.csv", "2016-06-metropolitan-stop-and-search.csv",
                       "2016-06/2016-06-Metropolitan-stop-and-search.csv"):
        (tmp_path / "2016-06.zip").write_bytes(_zip([(look_alike, decoy)]))
        with pytest.raises(SourceFormatError, match="refused rather than guessed"):
            police_uk.fetch(settings, location)
    (tmp_path / "2016-06.zip").write_bytes(_zip([("2016-06/2016-06-kent-stop-and-search.csv", decoy)]))
    assert police_uk.fetch(settings, location).status == 404  # nothing like it: try the next candidate


def test_a_member_named_in_capitals_is_read_with_a_warning_not_skipped(tmp_path):
    """`2024-03-Kent-stop-and-search.csv` was skipped without a word; now read as `kent`, and the batch says so."""
    (tmp_path / "2024-03.zip").write_bytes(_zip([
        ("2024-03/2024-03-Kent-Stop-And-Search.CSV", _member("kent", [_row("51.2", "0.5")] * 2)),
        ("2024-03/2024-03-metropolitan-stop-and-search.csv", _member("metropolitan", [_row("51.5", "-0.1")])),
    ]))
    settings = _archive_settings(tmp_path)
    [location] = police_uk.month_archive_candidates(settings, "2024-03")
    fetched = police_uk.fetch(settings, location)
    [batch] = police_uk.parse(fetched.content, location=fetched.url, period="2024-03")
    assert list(batch.frame["force"]) == ["kent", "kent", "metropolitan"]
    assert batch.warnings == ("member '2024-03/2024-03-Kent-Stop-And-Search.CSV' is not named in the archive's lower case; "
                              "read as force 'kent'",)
    # two names that differ only in case: which is the force's file cannot be told
    (tmp_path / "2024-03.zip").write_bytes(_zip([
        ("2024-03/2024-03-Kent-stop-and-search.csv", _member("kent", [_row("51.2", "0.5")])),
        ("2024-03/2024-03-kent-stop-and-search.csv", _member("kent", [_row("51.2", "0.5")])),
    ]))
    with pytest.raises(SourceFormatError, match="up to case"):
        police_uk.fetch(settings, location)
    # an unpacked month: the same
    (tmp_path / "2024-03.zip").unlink()
    (tmp_path / "2024-03").mkdir()
    (tmp_path / "2024-03" / "2024-03-KENT-stop-and-search.csv").write_bytes(_member("kent", [_row("51.2", "0.5")]))
    fetched = police_uk.fetch(settings, police_uk.month_archive_candidates(settings, "2024-03")[0])
    [batch] = police_uk.parse(fetched.content, location=fetched.url, period="2024-03")
    assert list(batch.frame["force"]) == ["kent"] and "2024-03-KENT-stop-and-search.csv" in batch.warnings[0]
    # anything else that looks like the month's stop and search data is refused by name, never skipped
    (tmp_path / "2024-03" / "2024-03-kent-stop-and-search (1).csv").write_bytes(_member("kent", []))
    fetched = police_uk.fetch(settings, police_uk.month_archive_candidates(settings, "2024-03")[0])
    with pytest.raises(SourceFormatError, match=r"unexpected member .*\(1\)\.csv"):
        police_uk.parse(fetched.content, location=fetched.url, period="2024-03")


def test_duplicate_json_keys_are_refused_in_records_and_the_availability_list():
    """`{"type": "A", "type": "B"}` kept the last value; no JSON the source reads may repeat a key."""
    with pytest.raises(SourceFormatError, match="key 'type' appears twice"):
        police_uk.parse_api_records(b'[{"type": "Person search", "type": "Vehicle search"}]', period="2024-09")
    with pytest.raises(SourceFormatError, match="key 'id' appears twice"):
        police_uk.parse_api_records(b'[{"type": "x", "location": {"street": {"id": 1, "id": 2}}}]', period="2024-09")
    with pytest.raises(SourceFormatError, match="key 'date' appears twice"):
        police_uk.months_available(b'[{"date": "2024-09", "date": "2024-10", "stop-and-search": ["metropolitan"]}]',
                                   "metropolitan")


def _one(**fields) -> bytes:
    return json.dumps([{"type": "Person search", **fields}]).encode()


@pytest.mark.parametrize("street_id", [1673045.7, "1673045.7", True, "1e6", "１２３", [1], 2**63])
def test_a_street_id_that_is_not_a_whole_number_is_refused_never_rounded(street_id):
    with pytest.raises(SourceFormatError, match="street.id"):
        police_uk.parse_api_records(_one(location={"latitude": "51.5", "longitude": "-0.1",
                                                   "street": {"id": street_id, "name": "On or near X"}}), period="2024-09")


def test_whole_street_ids_are_kept_exactly():
    for published, kept in ((1673045, 1673045), (1673045.0, 1673045), ("1673045", 1673045), (None, None)):
        frame = police_uk.parse_api_records(_one(location={"latitude": "51.5", "longitude": "-0.1",
                                                           "street": {"id": published, "name": "x"}}), period="2024-09")
        assert frame.loc[0, "street_id"] == kept and type(frame.loc[0, "street_id"]) is type(kept)


@pytest.mark.parametrize("field", ["type", "gender", "age_range", "legislation", "object_of_search", "operation_name",
                                   "self_defined_ethnicity", "officer_defined_ethnicity", "outcome"])
@pytest.mark.parametrize("value", [{"name": "Arrest"}, ["Male"], {}])
def test_an_object_or_array_where_text_is_published_is_refused(field, value):
    """A JSON object in a text field was stored as its Python repr (`{'name': 'Arrest'}`)."""
    with pytest.raises(SourceFormatError, match=f"record 0: {field} is a JSON"):
        police_uk.parse_api_records(_one(**{field: value}), period="2024-09")


def test_an_object_nested_where_a_value_is_published_is_refused():
    with pytest.raises(SourceFormatError, match="outcome_object.name is a JSON dict"):
        police_uk.parse_api_records(_one(outcome_object={"id": "bu-arrest", "name": {"en": "Arrest"}}), period="2024-09")
    with pytest.raises(SourceFormatError, match="location.street.name is a JSON list"):
        police_uk.parse_api_records(_one(location={"latitude": "51.5", "longitude": "-0.1", "street": {"id": 1, "name": ["x"]}}),
                                    period="2024-09")
    with pytest.raises(SourceFormatError, match="location is a list"):
        police_uk.parse_api_records(_one(location=["51.5", "-0.1"]), period="2024-09")
    with pytest.raises(SourceFormatError, match="JSON object where text is published"):
        police_uk._text({"a": 1})


@pytest.mark.parametrize("coordinate", ["1e1", "５１.５", "٥١.٥", " 51.5", "51.5\n", "nan", "0x1p5", "5_1.5", "+-1"])
def test_a_coordinate_that_is_not_plainly_a_number_is_refused(coordinate):
    with pytest.raises(SourceFormatError, match="coordinate"):
        police_uk.parse_api_records(_one(location={"latitude": coordinate, "longitude": "-0.1", "street": None}),
                                    period="2024-09")
    with pytest.raises(SourceFormatError, match="coordinate"):
        police_uk.parse_archive_csv(("\n".join([",".join(police_uk.ARCHIVE_HEADER),
                                                ",".join(f'"{v}"' for v in _row(coordinate, "0.5"))]) + "\n").encode(),
                                    period="2024-03")


MEMBER_PARTS = st.tuples(
    st.sampled_from(["", "2024-09/", "2024-10/", "data/2024-09/", "x/"]),
    st.sampled_from(["2024-09", "2024-10", "2024-9"]),
    st.sampled_from(["metropolitan", "Metropolitan", "city-of-london", "kent", "x"]),
    st.sampled_from(["-stop-and-search.csv", "-Stop-And-Search.CSV", "-street.csv", "-stop-and-search.csv.bak"]),
)


@given(st.lists(MEMBER_PARTS.map("".join), max_size=8))
def test_archive_member_names_are_each_read_or_the_archive_refused(names):
    """Hypothesis over archive listings: every member that looks like the month's stop-and-search data is
    packed under a name of its own; two that would collide (up to case) refuse the archive; nothing that
    looks like the month's data is dropped without a word."""
    wanted = [n for n in dict.fromkeys(names) if police_uk.looks_like_stop_and_search(n)
              and (Path(n).name.lower().startswith("2024-09-") or Path(n).parent.name == "2024-09")]
    packed = [f"2024-09/{Path(n).name}".lower() for n in wanted]
    try:
        chosen = police_uk._month_member_names(list(dict.fromkeys(names)), "2024-09", "test")
    except SourceFormatError as exc:
        assert len(set(packed)) < len(packed) and "same file" in str(exc)
    else:
        assert sorted(chosen.values()) == sorted(wanted) and len(set(packed)) == len(packed)
