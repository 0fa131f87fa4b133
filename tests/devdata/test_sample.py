"""The synthetic police.uk, census and boundary files: in the real formats, with their quirks, deterministic, labelled.

What is tested is what users of the sample rely on: the runtime parsers in
`ingest/` read every file, the quirks of the real files are there (previous
day records in BST months, an empty latest month, stops just outside London,
TS021's altered labels and names), the same seed gives the same bytes, and
the SYNTHETIC labels sit wherever the format has room for them. Format checks
against the real extracts in ../shared/data carry the `shared` marker and use
the `shared_data` fixture of tests/conftest.py, which skips when they are
absent and fails when CI=true.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from devdata import sample
from ingest import census, london_boundaries, police_uk

API_KEYS = [
    "age_range", "outcome", "involved_person", "self_defined_ethnicity", "gender", "legislation",
    "outcome_linked_to_object_of_search", "datetime", "removal_of_more_than_outer_clothing",
    "outcome_object", "location", "operation", "officer_defined_ethnicity", "type", "operation_name",
    "object_of_search",
]
REAL_API_MONTHS = ("2024-09", "2024-10", "2024-11", "2024-12", "2025-01", "2025-02")
ARCHIVE = "police_uk/archive/2016-06/2016-06-metropolitan-stop-and-search.csv"


@pytest.fixture(scope="module")
def api_records(default_sample: tuple[Path, dict]) -> dict[str, list[dict]]:
    """The default sample's API months, parsed once (they are ~65 MB of JSON)."""
    root, _ = default_sample
    return {p.stem: json.loads(p.read_bytes()) for p in sorted((root / sample.STOPS_DIR).glob("*.json"))}


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


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


def test_month_does_not_depend_on_range_and_seed_matters(default_sample):
    root, _ = default_sample
    month = "2024-09"
    written = (root / sample.STOPS_DIR / f"{month}.json").read_bytes()
    alone = json.dumps(sample.api_month_records(2020, month), indent=2).encode()
    other_seed = json.dumps(sample.api_month_records(7, month), indent=2).encode()
    assert alone == written and other_seed != written


def test_bad_months_are_refused_before_anything_is_written(tmp_path):
    for kwargs in ({"first_month": "2024-13"}, {"first_month": "2025-01", "last_month": "2024-01"},
                   {"archive_months": ("2016-6",)}):
        with pytest.raises(ValueError):
            sample.generate(tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())


# --- labels --------------------------------------------------------------------

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
    assert b"SYNTHETIC" not in (root / ARCHIVE).read_bytes()
    assert sample.has_sample(root)


# --- the API months ------------------------------------------------------------

def test_api_months_parse_with_the_runtime_parser(default_sample, api_records):
    root, summary = default_sample
    assert sorted(api_records) == summary["months"]
    for month in ("2024-03", "2024-04", "2024-10", "2024-11", "2025-06"):  # GMT and BST starts, the empty one
        frame = police_uk.parse_api_records((root / sample.STOPS_DIR / f"{month}.json").read_bytes(), period=month)
        assert len(frame) == len(api_records[month])
        if month != "2025-06":
            assert frame["datetime"].notna().all() and frame["outcome_id"].notna().all()
            assert frame["latitude"].isna().any() and frame["latitude"].notna().mean() > 0.9


def test_api_records_in_the_real_layout(default_sample, api_records):
    root, _ = default_sample
    raw = (root / sample.STOPS_DIR / "2024-09.json").read_bytes()
    assert raw == json.dumps(json.loads(raw), indent=2).encode()  # 2-space indent, no final newline
    records = [r for month in api_records.values() for r in month]
    assert all(list(r) == API_KEYS for r in records)
    located = [r["location"] for r in records if r["location"] is not None]
    assert 0 < len(located) < len(records)  # some records have no location at all
    for loc in located:
        assert list(loc) == ["latitude", "street", "longitude"] and list(loc["street"]) == ["id", "name"]
        for coord in (loc["latitude"], loc["longitude"]):
            assert isinstance(coord, str) and len(coord.split(".")[1]) == 6  # text, six decimals
        assert isinstance(loc["street"]["id"], int) and loc["street"]["name"].startswith("On or near ")
    assert all(r["outcome"] == r["outcome_object"]["name"] for r in records)
    assert not any(r["outcome_linked_to_object_of_search"] for r in records)  # the Met publishes false
    assert any(r["age_range"] is None for r in records)


def test_empty_latest_month_is_an_empty_array(default_sample):
    root, summary = default_sample
    assert summary["empty_months"] == ["2025-06"]
    assert (root / sample.STOPS_DIR / "2025-06.json").read_bytes() == b"[]"


def test_previous_day_records_only_in_months_starting_in_bst(api_records):
    """London midnight on the 1st of a BST month is 23:00 UTC the day before, as police.uk publishes it."""
    for month, records in api_records.items():
        early = [r["datetime"] for r in records if not r["datetime"].startswith(month)]
        assert all(d[11:13] == "23" and d.endswith("+00:00") for d in early), (month, early)
        starts_in_bst = 4 <= int(month[5:]) <= 10
        if records:
            assert bool(early) == starts_in_bst, (month, len(early))


def test_availability_newest_first_with_the_met_every_month(default_sample):
    root, summary = default_sample
    content = (root / sample.AVAILABILITY_PATH).read_bytes()
    data = json.loads(content)
    assert [e["date"] for e in data] == sorted(summary["months"], reverse=True)
    for entry in data:
        assert list(entry) == ["date", "stop-and-search"]
        assert len(entry["stop-and-search"]) > 30
    assert police_uk.months_available(content, "metropolitan") == summary["months"]


# --- archive, census, boundaries -----------------------------------------------------

def test_archive_csv_in_the_real_layout_and_parsed(default_sample):
    root, _ = default_sample
    raw = (root / ARCHIVE).read_bytes()
    assert b"\r\n" not in raw and raw.endswith(b"\n")
    rows = _read_csv(root / ARCHIVE)
    assert rows[0] == sample.ARCHIVE_HEADER == police_uk.ARCHIVE_HEADER
    body = rows[1:]
    assert all(len(r) == 15 for r in body)
    assert [r[1] for r in body] == sorted(r[1] for r in body)  # sorted by Date
    assert {r[2] for r in body} == {"False"} and {r[13] for r in body} == {""}
    assert any(r[1].startswith("2016-05-31T23:") for r in body)  # June 2016 starts in BST
    assert any(not r[4] for r in body) and "Not Stated (NS)" in {r[8] for r in body}
    assert any(r[0] == "Vehicle search" and not r[6] for r in body)  # no person: blank person fields
    frame = police_uk.parse_archive_csv(raw, period="2016-06")
    assert len(frame) == len(body) and set(frame["source_format"]) == {"archive_csv"}


def test_points_fall_inside_the_polygons_except_a_few(default_sample, api_records):
    """Real Met records include stops just over the boundary: a few points are in no borough."""
    root, _ = default_sample
    polygons = _polygons(root)
    assert len(polygons) == 33
    points = [(float(r["location"]["longitude"]), float(r["location"]["latitude"]))
              for month in api_records.values() for r in month if r["location"]]
    points += [(float(r[5]), float(r[4])) for r in _read_csv(root / ARCHIVE)[1:] if r[4]]
    outside = sum(1 for lon, lat in points if _borough_of(lon, lat, polygons) is None)
    assert 0 < outside < 0.05 * len(points)


def test_census_in_the_ts021_layout_with_its_quirks(default_sample):
    root, _ = default_sample
    content = (root / sample.CENSUS_PATH).read_bytes()
    rows = _read_csv(root / sample.CENSUS_PATH)
    assert rows[0] == sample.CENSUS_HEADER
    body = rows[1:]
    assert [r[0] for r in body] == sorted(r[0] for r in body)
    london = {r[0] for r in body if r[0].startswith("E09")}
    assert london == {f"E09{n:06d}" for n in range(1, 34)}
    assert len({r[0] for r in body}) > 33  # some non-London UTLAs to filter out
    assert [(int(r[2]), r[3]) for r in body[:8]] == [
        (-8, "Does not apply"), (1, "Asian"), (2, "Black"), (3, "Mixed"), (4, "White British"),
        (5, "White Other"), (6, "White Other"), (7, "Other")]  # 5 and 6 share a label: map by code
    assert any("," in r[1] for r in body)  # a quoted name, as in the real export
    names = {r[1] for r in body}
    assert {"Barking & Dagenham", "W&sworth", "Richmond Upon Thames"} <= names  # join on codes, not names
    frame = census.parse_ts021_csv(content)
    assert len(frame) == len(body) and set(frame["geography"]) == {"Upper tier local authorities"}
    assert frame.loc[frame["ethnic_group_code"] == -8, "observation"].eq(0).all()


def test_boundaries_parse_with_the_real_names(default_sample):
    root, _ = default_sample
    frame = london_boundaries.parse_geojson((root / sample.BOUNDARIES_PATH).read_bytes())
    assert len(frame) == 33 and frame["name"].is_unique
    assert {"Barking and Dagenham", "Wandsworth", "Richmond upon Thames", "City of London"} <= set(frame["name"])
    assert all(json.loads(g)["type"] == "Polygon" for g in frame["geometry_geojson"])


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
    real_rows = _read_csv(shared_data / ARCHIVE)
    mine_rows = _read_csv(root / ARCHIVE)
    assert mine_rows[0] == real_rows[0]
    assert (root / ARCHIVE).read_bytes().split(b"\n")[0] == (shared_data / ARCHIVE).read_bytes().split(b"\n")[0]
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
    real_rows = _read_csv(shared_data / sample.CENSUS_PATH)
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
    real_geo = json.loads((shared_data / sample.BOUNDARIES_PATH).read_bytes())
    mine = json.loads((root / sample.BOUNDARIES_PATH).read_bytes())
    assert [f["properties"]["name"] for f in mine["features"]] == [
        f["properties"]["name"] for f in real_geo["features"]
    ]
    assert {tuple(f["properties"]) for f in mine["features"]} == {tuple(f["properties"]) for f in real_geo["features"]}
    assert {f["geometry"]["type"] for f in mine["features"]} == {"Polygon"}
