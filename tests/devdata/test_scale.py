"""The national-scale synthetic stop and search generator: real formats, every force, deterministic, quick.

What is tested is what users of `devdata.scale` rely on: the runtime parsers
in `ingest/` read every file (the archive zips through the same path the
pipeline takes: `archive_candidates` and `fetch`), both formats of a
force-month hold the same records, the archive has one member per force under
the real names, the volumes follow the force shares, and the same arguments
give the same bytes. Sizes are kept small (a scale of 1-2%) so this runs in
seconds. A format check against the real API months carries the `shared`
marker, as in test_sample.py.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from devdata import sample, scale
from ingest import police_uk
from ingest.core import periods
from ingest.core.config import get_settings

API_KEYS = [
    "age_range", "outcome", "involved_person", "self_defined_ethnicity", "gender", "legislation",
    "outcome_linked_to_object_of_search", "datetime", "removal_of_more_than_outer_clothing",
    "outcome_object", "location", "operation", "officer_defined_ethnicity", "type", "operation_name",
    "object_of_search",
]
# March 2024 starts in GMT and changes to BST; April 2024 starts in BST (previous-day records).
MONTHS = ["2024-03", "2024-04"]
SCALE = 0.02  # about 1,700 records a month nationally


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """Every force, two months, both formats: (directory, summary). Tests must not modify it."""
    out = tmp_path_factory.mktemp("scale")
    return out, scale.generate(out, forces=43, months=MONTHS, seed=11, scale=SCALE)


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _api_path(root: Path, force: str, month: str) -> Path:
    return root / scale.STOPS_DIR / force / f"{month}.json"


def _zip_path(root: Path, month: str) -> Path:
    return root / scale.ARCHIVE_DIR / f"{month}.zip"


# --- the forces table ------------------------------------------------------------

def test_forty_three_territorial_forces_with_unique_police_uk_ids():
    ids = [f.id for f in scale.FORCES]
    assert len(ids) == 43 and len(set(ids)) == 43
    # The availability list of devdata.sample names the same forces, plus British Transport Police.
    assert set(ids) == (set(sample.OTHER_FORCES) - {"btp"}) | {sample.FORCE}
    for f in scale.FORCES:
        lat0, lat1, lon0, lon1 = f.box
        assert 49.8 < lat0 < lat1 < 56 and -6 < lon0 < lon1 < 2, f.id  # England and Wales, roughly
        assert f.weight > 0 and 0 < f.minority < 1


def test_the_met_is_about_a_sixth_of_the_national_volume():
    assert sum(scale.share(f) for f in scale.FORCE_IDS) == pytest.approx(1)
    assert scale.share("metropolitan") == pytest.approx(1 / 6, abs=0.01)
    assert max(scale.FORCE_IDS, key=scale.share) == "metropolitan"
    year = sum(scale.expected_volume(f, m) for f in scale.FORCE_IDS for m in scale.resolve_months(12))
    assert year == pytest.approx(scale.NATIONAL_PER_YEAR, rel=0.01)


def test_arguments_are_resolved_and_checked(tmp_path):
    assert scale.resolve_months(3) == ["2024-10", "2024-11", "2024-12"]
    assert scale.resolve_months("2015-01:2024-12") == periods.month_range("2015-01", "2024-12")
    assert len(scale.resolve_months("120")) == 120
    assert scale.resolve_months(["2020-02", "2019-05"]) == ["2019-05", "2020-02"]
    assert scale.resolve_forces(1) == ["metropolitan"]  # a count takes the largest forces
    assert len(scale.resolve_forces(43)) == 43
    for bad in ({"forces": 44}, {"forces": ["atlantis"]}, {"months": ["2024-13"]}, {"months": 0},
                {"formats": ("csv",)}, {"scale": 0}):
        kwargs = {"forces": 1, "months": 1, **bad}
        with pytest.raises(ValueError):
            scale.generate(tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())


# --- API files ---------------------------------------------------------------------

def test_every_force_month_is_an_api_file_the_parser_reads(national):
    root, summary = national
    assert summary["forces"] == sorted(scale.FORCE_IDS) and summary["months"] == MONTHS
    total = 0
    for force in scale.FORCE_IDS:
        for month in MONTHS:
            content = _api_path(root, force, month).read_bytes()
            url = f"http://127.0.0.1:1/api/stops-force?force={force}&date={month}"
            [batch] = police_uk.parse(content, location=url, period=month)
            expected = scale.volume(11, force, month, SCALE)
            assert len(batch.frame) == expected == summary["volumes"][force][month], (force, month)
            assert set(batch.frame["source_format"]) <= {"api"}
            total += expected
    assert summary["records"] == {"api": total, "archive": total}
    assert summary["bytes"]["api"] > 0 and summary["bytes"]["archive"] > 0


def test_api_json_in_the_real_layout(national):
    root, _ = national
    raw = _api_path(root, "metropolitan", "2024-04").read_bytes()
    records = json.loads(raw)
    assert raw == json.dumps(records, indent=2).encode()  # 2-space indent, no final newline
    assert b"SYNTHETIC" not in raw
    reference = sample.api_month_records(0, "2024-09")  # the sample's records, drawn from the real months
    assert [list(r) for r in records] == [API_KEYS] * len(records) == [list(reference[0])] * len(records)
    with_location = next(r for r in records if r["location"])
    assert list(with_location["location"]) == ["latitude", "street", "longitude"]
    assert list(with_location["location"]["street"]) == ["id", "name"]
    assert isinstance(with_location["location"]["street"]["id"], int)
    assert isinstance(with_location["location"]["latitude"], str)
    assert all(list(r["outcome_object"]) == ["id", "name"] for r in records)
    assert all(r["outcome"] == r["outcome_object"]["name"] for r in records)
    # Values only from the sample's vocabularies (themselves checked against the real months).
    allowed = {key: {r[key] for r in reference} for key in ("age_range", "gender", "type", "legislation",
                                                            "object_of_search", "outcome")}
    for key, values in allowed.items():
        assert {r[key] for r in records} <= values | {None}, key
    # Not sorted by time, like the real API.
    times = [r["datetime"] for r in records]
    assert times != sorted(times)


def test_datetimes_fall_in_the_london_month(national):
    root, _ = national
    for month in MONTHS:
        start = periods.month_start_london(month)
        lo = datetime.fromtimestamp(start.timestamp(), timezone.utc)
        hi = datetime.fromtimestamp(start.add(months=1).timestamp(), timezone.utc)
        for force in ("metropolitan", "merseyside", "west-midlands"):
            for r in json.loads(_api_path(root, force, month).read_bytes()):
                when = datetime.fromisoformat(r["datetime"])
                assert r["datetime"].endswith("+00:00") and lo <= when < hi, (month, r["datetime"])
    # April starts in BST: London midnight on the 1st is 23:00 UTC the day before, as police.uk writes it.
    april = scale._Month.of("2024-04").texts
    assert april[0] == "2024-03-31T23:00:00+00:00" and april[-1] == "2024-04-30T22:59:00+00:00"
    march = scale._Month.of("2024-03").texts
    assert march[0] == "2024-03-01T00:00:00+00:00" and march[-1] == "2024-03-31T22:59:00+00:00"


def test_availability_names_every_force_every_month(national):
    root, _ = national
    content = (root / scale.AVAILABILITY_PATH).read_bytes()
    data = json.loads(content)
    assert [e["date"] for e in data] == sorted(MONTHS, reverse=True)
    assert all(e["stop-and-search"] == sorted(scale.FORCE_IDS) for e in data)
    for force in ("metropolitan", "city-of-london", "dyfed-powys"):
        assert police_uk.months_available(content, force) == MONTHS


# --- archive zips --------------------------------------------------------------------

def test_one_archive_zip_a_month_with_a_member_per_force(national):
    root, _ = national
    for month in MONTHS:
        with zipfile.ZipFile(_zip_path(root, month)) as zf:
            names = zf.namelist()
            assert names == [f"{month}/{month}-{f}-stop-and-search.csv" for f in sorted(scale.FORCE_IDS)]
            for name in names:
                raw = zf.read(name)
                assert police_uk.period_from_archive_name(name) == month
                assert raw.split(b"\n", 1)[0].decode() == ",".join(sample.ARCHIVE_HEADER)
                assert b"\r\n" not in raw and raw.endswith(b"\n") and b"SYNTHETIC" not in raw
                rows = list(csv.reader(io.StringIO(raw.decode(), newline="")))
                assert [r[1] for r in rows[1:]] == sorted(r[1] for r in rows[1:])  # sorted by Date
                buf = io.StringIO()
                csv.writer(buf, lineterminator="\n").writerows(rows)
                assert buf.getvalue().encode() == raw  # what csv.writer would write


def test_archive_read_through_the_pipelines_zip_path(national):
    """archive_candidates -> fetch `<zip>!<member>` -> parse, as a run without the API month does."""
    root, summary = national
    for force in ("metropolitan", "city-of-london", "north-wales"):
        settings = get_settings({"POLICE_UK_ARCHIVE_URL": str(_zip_path(root, "2024-03")), "POLICE_UK_FORCE": force,
                                 "MAPWH_HOME": str(root / "home")})
        [location] = police_uk.archive_candidates(settings, "2024-03")
        fetched = police_uk.fetch(settings, location)
        assert fetched.status == 200 and fetched.url.endswith(f"!2024-03/2024-03-{force}-stop-and-search.csv")
        [batch] = police_uk.parse(fetched.content, location=fetched.url, period="2024-03")
        assert set(batch.frame["source_format"]) == {"archive_csv"}
        assert len(batch.frame) == summary["volumes"][force]["2024-03"]


def test_api_and_archive_hold_the_same_records(national):
    root, _ = national
    columns = ["type", "datetime", "latitude", "longitude", "gender", "age_range", "self_defined_ethnicity",
               "officer_defined_ethnicity", "legislation", "object_of_search", "outcome", "operation",
               "outcome_linked_to_object_of_search", "removal_of_more_than_outer_clothing"]
    for month in MONTHS:
        with zipfile.ZipFile(_zip_path(root, month)) as zf:
            for force in scale.FORCE_IDS:
                api = police_uk.parse_api_records(_api_path(root, force, month).read_bytes(), period=month)
                archive = police_uk.parse_archive_csv(zf.read(scale.archive_member(month, force)), period=month)
                assert len(api) == len(archive), (force, month)
                if force in ("metropolitan", "gwent"):
                    def key(row: tuple) -> tuple:
                        return tuple("" if v is None else str(v) for v in row)
                    mine = sorted(map(key, api[columns].itertuples(index=False)))
                    theirs = sorted(map(key, archive[columns].itertuples(index=False)))
                    assert mine == theirs, (force, month)


# --- volumes and mixes -----------------------------------------------------------

def test_volumes_follow_the_force_shares(national):
    _, summary = national
    volumes = summary["volumes"]
    for month in MONTHS:
        national_total = sum(v[month] for v in volumes.values())
        assert volumes["metropolitan"][month] / national_total == pytest.approx(1 / 6, abs=0.015)
        for force, by_month in volumes.items():
            expected = scale.expected_volume(force, month, SCALE)
            assert abs(by_month[month] - expected) <= 0.03 * expected + 0.5, (force, month)  # +-3% noise, rounding


def test_scale_multiplies_volumes_and_nothing_else():
    for force in ("metropolitan", "cumbria"):
        big, small = scale.volume(3, force, "2020-01", 1.0), scale.volume(3, force, "2020-01", 0.1)
        assert small == pytest.approx(big / 10, abs=1)


def test_met_mix_follows_the_sample(national):
    root, _ = national
    records = [r for m in MONTHS for r in json.loads(_api_path(root, "metropolitan", m).read_bytes())]
    n = len(records)
    assert n > 400
    drugs = sum(r["object_of_search"] == "Controlled drugs" for r in records) / n
    no_location = sum(r["location"] is None for r in records) / n
    black = sum(r["officer_defined_ethnicity"] == "Black" for r in records) / n
    white_force = [r for m in MONTHS for r in json.loads(_api_path(root, "cumbria", m).read_bytes())]
    black_cumbria = sum(r["officer_defined_ethnicity"] == "Black" for r in white_force) / len(white_force)
    assert 0.5 < drugs < 0.7 and no_location < 0.05 and black > 0.15 and black_cumbria < black


# --- determinism, labels, CLI --------------------------------------------------------------

def test_same_seed_same_bytes_other_seed_differs_formats_agree(tmp_path):
    kwargs = {"forces": ["metropolitan", "city-of-london"], "months": ["2019-10"], "scale": 0.01}
    runs = {}
    for name, seed in (("a", 4), ("b", 4), ("c", 5)):
        scale.generate(tmp_path / name, seed=seed, **kwargs)
        runs[name] = _hashes(tmp_path / name)
    first, second, other = runs["a"], runs["b"], runs["c"]
    assert first == second and len(first) == 6
    data = [p for p in first if p.endswith((".json", ".zip")) and "crimes-street-dates" not in p]
    assert len(data) == 3 and all(first[p] != other[p] for p in data)
    # A force-month does not depend on the formats or the other forces asked for.
    alone = tmp_path / "d"
    scale.generate(alone, seed=4, formats=("archive",), **kwargs)
    zip_name = "police_uk/archive/2019-10.zip"
    assert _hashes(alone)[zip_name] == first[zip_name]
    assert not (alone / scale.STOPS_DIR).exists()
    assert json.loads((alone / scale.AVAILABILITY_PATH).read_bytes()) == [{"date": "2019-10", "stop-and-search": []}]
    one = tmp_path / "e"
    scale.generate(one, seed=4, formats=("api",), **{**kwargs, "forces": ["city-of-london"]})
    path = "police_uk/stops-force/city-of-london/2019-10.json"
    assert _hashes(one)[path] == first[path]


def test_labelled_synthetic(national):
    root, _ = national
    for folder in (root, root / "police_uk"):
        assert "SYNTHETIC" in (folder / "SYNTHETIC.txt").read_text()


def test_cli_prints_the_summary(tmp_path, capsys):
    assert scale.main(["--forces", "city-of-london,cumbria", "--months", "2", "--out", str(tmp_path),
                       "--scale", "0.01", "--formats", "archive", "--seed", "2"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["forces"] == 2 and shown["months"] == "2024-11..2024-12 (2)"
    assert shown["records"]["archive"] == shown["records_total"] > 0 and "api" not in shown["records"]
    assert sorted(p.name for p in (tmp_path / scale.ARCHIVE_DIR).iterdir()) == ["2024-11.zip", "2024-12.zip"]
    with pytest.raises(SystemExit):
        scale.main(["--forces", "atlantis", "--months", "1", "--out", str(tmp_path)])


# --- against the real extracts -------------------------------------------------------

@pytest.mark.shared
def test_api_json_matches_the_real_format(national, shared_data):
    root, _ = national
    real_raw = (shared_data / "police_uk/stops-force/metropolitan/2024-09.json").read_bytes()
    real = json.loads(real_raw)
    mine_raw = _api_path(root, "metropolitan", "2024-03").read_bytes()
    mine = json.loads(mine_raw)
    assert {tuple(r) for r in mine} == {tuple(r) for r in real}

    def types(records: list[dict]) -> set[tuple[str, str]]:
        out = set()
        for r in records:
            for key, value in r.items():
                out.add((key, type(value).__name__))
                if isinstance(value, dict):
                    out |= {(f"{key}.{k}", type(v).__name__) for k, v in value.items()}
                    if key == "location":
                        out |= {(f"street.{k}", type(v).__name__) for k, v in value["street"].items()}
        return out

    assert types(mine) <= types(real)
    for raw in (real_raw, mine_raw):
        assert raw == json.dumps(json.loads(raw), indent=2).encode()
