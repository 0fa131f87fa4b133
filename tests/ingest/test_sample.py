"""The synthetic offline sample: deterministic, in the real formats, with realistic shapes.

Format checks against the real extracts in ../shared/data carry the `shared`
marker and use the `shared_data` fixture of tests/conftest.py, which skips
when they are absent and fails when CI=true.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from ingest import sample

API_KEYS = [
    "age_range", "outcome", "involved_person", "self_defined_ethnicity", "gender", "legislation",
    "outcome_linked_to_object_of_search", "datetime", "removal_of_more_than_outer_clothing",
    "outcome_object", "location", "operation", "officer_defined_ethnicity", "type", "operation_name",
    "object_of_search",
]
REAL_API_MONTHS = ("2024-09", "2024-10", "2024-11", "2024-12", "2025-01", "2025-02")
WHITE, BLACK = {4, 5, 6}, {2}


@pytest.fixture(scope="session")
def default_sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sample")
    return out, sample.generate(out)


@pytest.fixture(scope="session")
def api_records(default_sample: tuple[Path, dict]) -> dict[str, list[dict]]:
    """The default sample's API months, parsed once (they are ~65 MB of JSON)."""
    return _api_records(default_sample[0])


@pytest.fixture(scope="session")
def located(api_records: dict[str, list[dict]], default_sample: tuple[Path, dict]) -> list[tuple[dict, str | None]]:
    """(record, borough or None) for every API record with a location."""
    polygons = _polygons(default_sample[0])
    return [(r, _borough_of(float(r["location"]["longitude"]), float(r["location"]["latitude"]), polygons))
            for month in api_records.values() for r in month if r["location"]]


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _api_records(root: Path) -> dict[str, list[dict]]:
    return {p.stem: json.loads(p.read_bytes()) for p in sorted((root / sample.STOPS_DIR).glob("*.json"))}


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


Ring = list[list[float]]


def _polygons(root: Path) -> dict[str, tuple[Ring, tuple[float, float, float, float]]]:
    """name -> (outer ring, bounding box); the box is only a shortcut for speed."""
    data = json.loads((root / sample.BOUNDARIES_PATH).read_bytes())
    out = {}
    for f in data["features"]:
        ring = f["geometry"]["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        out[f["properties"]["name"]] = (ring, (min(xs), min(ys), max(xs), max(ys)))
    return out


def _inside(lon: float, lat: float, ring: Ring) -> bool:
    """Ray casting, so the test does not assume the polygons are rectangles."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _borough_of(lon: float, lat: float, polygons: dict) -> str | None:
    for name, (ring, (x0, y0, x1, y1)) in polygons.items():
        if x0 <= lon <= x1 and y0 <= lat <= y1 and _inside(lon, lat, ring):
            return name
    return None


# --- determinism -------------------------------------------------------------

def test_same_seed_gives_byte_identical_files(default_sample, tmp_path):
    root, _ = default_sample
    sample.generate(tmp_path)
    first, second = _hashes(root), _hashes(tmp_path)
    assert len(first) > 30
    assert first == second


def test_month_does_not_depend_on_range_and_seed_matters(default_sample, tmp_path):
    root, _ = default_sample
    month = "2024-09"
    sample.generate(tmp_path / "same", first_month=month, last_month=month, archive_months=(), empty_months=())
    sample.generate(tmp_path / "other", seed=7, first_month=month, last_month=month, archive_months=(),
                    empty_months=())
    path = sample.STOPS_DIR / f"{month}.json"
    assert (tmp_path / "same" / path).read_bytes() == (root / path).read_bytes()
    assert (tmp_path / "other" / path).read_bytes() != (root / path).read_bytes()


# --- summary, layout, labels --------------------------------------------------

def test_summary_and_layout(default_sample, api_records):
    root, summary = default_sample
    months = sample.month_range("2023-07", "2025-06")
    assert summary["synthetic"] is True
    assert summary["months"] == months and len(months) == 24
    assert summary["empty_months"] == ["2025-06"]
    records = api_records
    assert sorted(records) == months
    assert summary["records"] == {m: len(r) for m, r in records.items()}
    assert summary["archive_records"]["2016-06"] == len(_read_csv(Path(summary["paths"]["archive"][0]))) - 1
    paths = summary["paths"]
    for p in [*paths["stops"], *paths["archive"], *paths["labels"], paths["availability"], paths["census"],
              paths["boundaries"], paths["readme"]]:
        assert Path(p).is_file(), p
    assert (root / "police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv").is_file()


def test_synthetic_labels_only_where_the_format_allows(default_sample):
    root, _ = default_sample
    assert "SYNTHETIC" in (root / "README.md").read_text()
    for folder in (".", "police_uk", "census", "geo"):
        assert "SYNTHETIC" in (root / folder / "SYNTHETIC.txt").read_text()
    geo = json.loads((root / sample.BOUNDARIES_PATH).read_bytes())
    assert "SYNTHETIC" in geo["name"] and "SYNTHETIC" in geo["description"]
    # The API arrays and CSVs stay exactly in format: no label inside them.
    assert b"SYNTHETIC" not in (root / sample.STOPS_DIR / "2024-09.json").read_bytes()
    assert b"SYNTHETIC" not in (root / sample.CENSUS_PATH).read_bytes()


def test_cli_writes_a_sample(tmp_path, capsys):
    assert sample.main([str(tmp_path), "--first-month", "2024-01", "--last-month", "2024-02",
                        "--archive-months", "", "--seed", "3"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["empty_months"] == ["2024-02"]
    assert (tmp_path / sample.STOPS_DIR / "2024-02.json").read_bytes() == b"[]"
    assert not (tmp_path / "police_uk" / "archive").exists()


def test_bad_months_are_refused(tmp_path):
    with pytest.raises(ValueError):
        sample.generate(tmp_path, first_month="2024-13")
    with pytest.raises(ValueError):
        sample.generate(tmp_path, first_month="2025-01", last_month="2024-01")


# --- the API months ------------------------------------------------------------

def test_volumes_in_range_with_a_seasonal_pattern(default_sample):
    _, summary = default_sample
    counts = {m: n for m, n in summary["records"].items() if m not in summary["empty_months"]}
    assert all(2800 <= n <= 3700 for n in counts.values()), counts
    for year in ("2023", "2024"):
        next_year = str(int(year) + 1)
        assert counts[f"{year}-12"] < counts[f"{next_year}-01"]  # the December dip


def test_empty_month_is_an_empty_array_and_configurable(default_sample, tmp_path):
    root, _ = default_sample
    assert (root / sample.STOPS_DIR / "2025-06.json").read_bytes() == b"[]"
    summary = sample.generate(tmp_path, first_month="2024-08", last_month="2024-10", archive_months=(),
                              empty_months=("2024-09",))
    assert summary["records"]["2024-09"] == 0 and summary["records"]["2024-10"] > 0
    assert (tmp_path / sample.STOPS_DIR / "2024-09.json").read_bytes() == b"[]"


def test_api_records_look_like_the_real_ones(api_records):
    records = [r for month in api_records.values() for r in month]
    n = len(records)
    assert all(list(r) == API_KEYS for r in records)
    located = [r["location"] for r in records if r["location"] is not None]
    for loc in located:
        assert list(loc) == ["latitude", "street", "longitude"] and list(loc["street"]) == ["id", "name"]
        for coord in (loc["latitude"], loc["longitude"]):
            assert isinstance(coord, str) and len(coord.split(".")[1]) == 6
        assert isinstance(loc["street"]["id"], int) and loc["street"]["name"].startswith("On or near ")
    assert 0.005 < 1 - len(located) / n < 0.03  # ~1% with location null
    share = lambda pred: sum(1 for r in records if pred(r)) / n  # noqa: E731
    assert 0.55 < share(lambda r: r["outcome_object"]["id"] == "bu-no-further-action") < 0.65
    assert 0.17 < share(lambda r: r["outcome_object"]["id"] == "bu-arrest") < 0.25
    assert all(r["outcome"] == r["outcome_object"]["name"] for r in records)
    assert 0.55 < share(lambda r: r["object_of_search"] == "Controlled drugs"
                        and r["legislation"] == "Misuse of Drugs Act 1971 (section 23)") < 0.65
    assert 0.01 < share(lambda r: r["removal_of_more_than_outer_clothing"]) < 0.03
    assert 0.02 < share(lambda r: r["age_range"] is None) < 0.08
    assert not any(r["outcome_linked_to_object_of_search"] for r in records)
    assert {r["officer_defined_ethnicity"] for r in records} == {"White", "Black", "Asian", None}


def test_previous_day_records_only_in_months_starting_in_bst(api_records):
    for month, records in api_records.items():
        early = [r["datetime"] for r in records if not r["datetime"].startswith(month)]
        assert all(d[11:13] == "23" and d.endswith("+00:00") for d in early), (month, early)
        starts_in_bst = 4 <= int(month[5:]) <= 10
        if records:
            assert bool(early) == starts_in_bst, (month, len(early))
            assert len(early) < 15


def test_availability_newest_first_with_the_met_every_month(default_sample):
    root, summary = default_sample
    data = json.loads((root / sample.AVAILABILITY_PATH).read_bytes())
    assert [e["date"] for e in data] == sorted(summary["months"], reverse=True)
    for entry in data:
        assert list(entry) == ["date", "stop-and-search"]
        assert "metropolitan" in entry["stop-and-search"] and len(entry["stop-and-search"]) > 30


# --- geography and population ------------------------------------------------------

def test_points_fall_inside_the_polygons_except_a_few(default_sample, located):
    root, _ = default_sample
    polygons = _polygons(root)
    assert len(polygons) == 33
    outside = sum(1 for _, borough in located if borough is None)
    assert 0.005 < outside / len(located) < 0.03
    rows = _read_csv(root / "police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv")[1:]
    archive_points = [(float(r[5]), float(r[4])) for r in rows if r[4]]
    archive_outside = sum(1 for lon, lat in archive_points if _borough_of(lon, lat, polygons) is None)
    assert 0.005 < archive_outside / len(archive_points) < 0.03


def test_ethnicity_follows_borough_and_black_people_are_searched_more(default_sample, api_records, located):
    root, _ = default_sample
    census = _read_csv(root / sample.CENSUS_PATH)[1:]
    london = [r for r in census if r[0].startswith("E09")]
    white_pop = sum(int(r[4]) for r in london if int(r[2]) in WHITE)
    black_pop = sum(int(r[4]) for r in london if int(r[2]) in BLACK)
    records = [r for month in api_records.values() for r in month]
    officer = Counter(r["officer_defined_ethnicity"] for r in records)
    ratio = (officer["Black"] / black_pop) / (officer["White"] / white_pop)
    assert 2.5 < ratio < 4.5, ratio

    by_borough: dict[str, Counter] = {}
    for r, name in located:
        by_borough.setdefault(name, Counter())[r["officer_defined_ethnicity"]] += 1
    asian_share = lambda name: by_borough[name]["Asian"] / sum(by_borough[name].values())  # noqa: E731
    assert asian_share("Tower Hamlets") > 2 * asian_share("Bromley")


def test_census_layout(default_sample):
    root, _ = default_sample
    rows = _read_csv(root / sample.CENSUS_PATH)
    assert rows[0] == sample.CENSUS_HEADER
    body = rows[1:]
    assert [r[0] for r in body] == sorted(r[0] for r in body)
    by_area = Counter(r[0] for r in body)
    assert set(by_area.values()) == {8}
    london = {r[0] for r in body if r[0].startswith("E09")}
    assert london == {f"E09{n:06d}" for n in range(1, 34)}
    assert len(by_area) > 33  # some non-London UTLAs to filter out
    assert [int(r[2]) for r in body[:8]] == [-8, 1, 2, 3, 4, 5, 6, 7]
    total = sum(int(r[4]) for r in body if r[0] in london)
    assert 8_000_000 < total < 9_600_000
    assert any("," in r[1] for r in body)  # a quoted name, as in the real export


def test_archive_layout(default_sample):
    root, _ = default_sample
    path = root / "police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv"
    raw = path.read_bytes()
    assert b"\r\n" not in raw and raw.endswith(b"\n")
    rows = _read_csv(path)
    assert rows[0] == sample.ARCHIVE_HEADER
    body = rows[1:]
    assert 9_000 < len(body) < 12_000
    assert all(len(r) == 15 for r in body)
    assert [r[1] for r in body] == sorted(r[1] for r in body)
    assert {r[2] for r in body} == {"False"} and {r[13] for r in body} == {""}
    assert any(r[1].startswith("2016-05-31T23:") for r in body)
    assert 0.05 < sum(1 for r in body if not r[4]) / len(body) < 0.12
    assert "Not Stated (NS)" in {r[8] for r in body}


# --- against the real extracts -------------------------------------------------------

def _value_sets(records: list[dict]) -> dict[str, set]:
    out: dict[str, set] = {}
    for r in records:
        for key, value in r.items():
            if key == "outcome_object":
                value = (value["id"], value["name"])
            elif key in ("location", "datetime"):
                continue
            out.setdefault(key, set()).add(value)
    return out


@pytest.mark.shared
def test_api_json_matches_the_real_format(default_sample, api_records, shared_data):
    root, _ = default_sample
    real_dir = shared_data / "police_uk/stops-force/metropolitan"
    real_raw = (real_dir / "2024-09.json").read_bytes()
    real_records = json.loads(real_raw)
    mine_raw = (root / sample.STOPS_DIR / "2024-09.json").read_bytes()
    mine = json.loads(mine_raw)
    # Same keys, same nested keys, same text layout.
    real_with_loc = next(r for r in real_records if r["location"])
    assert {tuple(r) for r in mine} == {tuple(r) for r in real_records} == {tuple(API_KEYS)}
    mine_with_loc = next(r for r in mine if r["location"])
    assert list(mine_with_loc["location"]) == list(real_with_loc["location"])
    assert list(mine_with_loc["location"]["street"]) == list(real_with_loc["location"]["street"])
    assert list(mine[0]["outcome_object"]) == list(real_records[0]["outcome_object"])
    for raw in (real_raw, mine_raw):
        assert raw == json.dumps(json.loads(raw), indent=2).encode()
    assert (root / sample.STOPS_DIR / "2025-06.json").read_bytes() == (real_dir / "2025-06.json").read_bytes()
    # Every value the sample uses occurs in the real months.
    real_all = [r for m in REAL_API_MONTHS for r in json.loads((real_dir / f"{m}.json").read_bytes())]
    real_values = _value_sets(real_all)
    mine_all = [r for month in api_records.values() for r in month]
    for key, values in _value_sets(mine_all).items():
        assert values <= real_values[key], (key, values - real_values[key])


@pytest.mark.shared
def test_archive_csv_matches_the_real_format(default_sample, shared_data):
    root, _ = default_sample
    name = "police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv"
    real_rows = _read_csv(shared_data / name)
    mine_rows = _read_csv(root / name)
    assert mine_rows[0] == real_rows[0]
    assert (root / name).read_bytes().split(b"\n")[0] == (shared_data / name).read_bytes().split(b"\n")[0]
    skip = {"Date", "Latitude", "Longitude"}
    for i, column in enumerate(real_rows[0]):
        if column in skip:
            continue
        real_values = {r[i] for r in real_rows[1:]}
        mine_values = {r[i] for r in mine_rows[1:]}
        assert mine_values <= real_values, (column, mine_values - real_values)


@pytest.mark.shared
def test_census_matches_the_real_format(default_sample, shared_data):
    root, _ = default_sample
    real_rows = _read_csv(shared_data / "census/census_2021_ethnic_group_8_categories_utla.csv")
    mine_rows = _read_csv(root / sample.CENSUS_PATH)
    assert mine_rows[0] == real_rows[0]
    real_names = {r[0]: r[1] for r in real_rows[1:]}
    real_labels = {r[2]: r[3] for r in real_rows[1:]}
    for code, name, group, label, _ in mine_rows[1:]:
        assert real_names[code] == name  # codes and names as in the real export
        assert real_labels[group] == label


@pytest.mark.shared
def test_boundaries_use_the_real_names(default_sample, shared_data):
    root, _ = default_sample
    real_geo = json.loads((shared_data / "geo/london_boroughs.geojson").read_bytes())
    mine = json.loads((root / sample.BOUNDARIES_PATH).read_bytes())
    assert [f["properties"]["name"] for f in mine["features"]] == [
        f["properties"]["name"] for f in real_geo["features"]
    ]
    assert {tuple(f["properties"]) for f in mine["features"]} == {tuple(f["properties"]) for f in real_geo["features"]}
    assert {f["geometry"]["type"] for f in mine["features"]} == {"Polygon"}

