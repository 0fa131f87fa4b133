"""Deterministic SYNTHETIC offline sample of every source, in the exact published formats.

The offline demo and the tests need inputs that look byte for byte like what
the pipeline downloads, but the real extracts in `../shared/data` may not be
copied into the project. This module invents them instead: police.uk
`stops-force` API months and the availability list, bulk-archive CSVs in the
older vocabulary, an ONS Census 2021 TS021 (8 categories) export and London
borough polygons (a grid, not real boundaries); `generate()` adds the Home
Office police workforce tables of `devdata.workforce` and the PAS files of
`devdata.pas`. Formats, vocabularies, volumes and rough
distributions follow the real files; every value is made up from a seeded
random generator, so the same seed gives byte-identical files. Files whose
format has no room for a label (API JSON arrays, CSVs) carry none; the label
is in `README.md`, `SYNTHETIC.txt` files and the GeoJSON's top-level
`name`/`description` members. `python -m devdata generate` writes it and
`python -m devdata serve` serves it (`devdata.mirror`).
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from devdata import use_of_force, use_of_force_by_force, workforce
from devdata.boroughs import BOROUGHS, README_TITLE, SYNTHETIC_NOTICE, write_file
from devdata.pas import README_MARKER, generate_pas
from ingest.core import periods

log = logging.getLogger(__name__)

FORCE = "metropolitan"

# Relative paths of what generate() writes (also what devdata.mirror serves).
STOPS_DIR = Path("police_uk/stops-force") / FORCE
AVAILABILITY_PATH = Path("police_uk/crimes-street-dates.json")
ARCHIVE_DIR = Path("police_uk/archive")
CENSUS_PATH = Path("census/census_2021_ethnic_group_8_categories_utla.csv")
BOUNDARIES_PATH = Path("geo/london_boroughs.geojson")

ARCHIVE_HEADER = (
    "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,"
    "Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,"
    "Outcome,Outcome linked to object of search,Removal of more than just outer clothing"
).split(",")
CENSUS_HEADER = [
    "Upper tier local authorities Code",
    "Upper tier local authorities",
    "Ethnic group (8 categories) Code",
    "Ethnic group",
    "Observation",
]
# Labels as in the shared copy of TS021 (5 and 6 both say "White Other"): the
# pipeline must map by code, and the sample should not let it get away with labels.
CENSUS_GROUPS = [
    (-8, "Does not apply"),
    (1, "Asian"),
    (2, "Black"),
    (3, "Mixed"),
    (4, "White British"),
    (5, "White Other"),
    (6, "White Other"),
    (7, "Other"),
]

# Greater London bounding box the synthetic grid covers.
LAT_MIN, LAT_MAX = 51.29, 51.69
LON_MIN, LON_MAX = -0.51, 0.33
GRID_ROWS, GRID_COLS = 6, 6

# Grid cells left without a borough: the corners of the box are outside London
# in reality too, so stops placed there are "outside London" for the marts.
OUTSIDE_CELLS = ((0, 0), (0, 5), (5, 0))

# A few non-London UTLAs so the census loader has to filter to London (one
# name has a comma, as in the real export, to exercise CSV quoting).
OTHER_UTLAS: tuple[tuple[str, str, int, tuple[int, ...]], ...] = (
    ("E06000001", "Hartlepool", 92, (2, 1, 1, 92, 1, 2, 1)),
    ("E06000023", "Bristol", 472, (7, 6, 5, 72, 1, 7, 2)),
    ("E06000058", "Bournemouth, Christchurch & Poole", 400, (3, 1, 3, 84, 1, 7, 1)),
    ("E08000003", "Manchester", 552, (21, 12, 5, 49, 2, 6, 5)),
    ("E08000025", "Birmingham", 1145, (31, 11, 5, 43, 2, 4, 4)),
    ("E10000016", "Kent", 1577, (4, 2, 2, 85, 1, 5, 1)),
    ("W06000015", "Cardiff", 362, (9, 4, 4, 74, 1, 5, 3)),
)

# Police force ids that appear in the availability list beside the Met.
OTHER_FORCES = (
    "avon-and-somerset", "bedfordshire", "btp", "cambridgeshire", "cheshire", "city-of-london",
    "cleveland", "cumbria", "derbyshire", "devon-and-cornwall", "dorset", "durham", "dyfed-powys",
    "essex", "gloucestershire", "greater-manchester", "gwent", "hampshire", "hertfordshire",
    "humberside", "kent", "lancashire", "leicestershire", "lincolnshire", "merseyside", "norfolk",
    "north-wales", "north-yorkshire", "northamptonshire", "northumbria", "nottinghamshire",
    "south-wales", "south-yorkshire", "staffordshire", "suffolk", "surrey", "sussex",
    "thames-valley", "warwickshire", "west-mercia", "west-midlands", "west-yorkshire", "wiltshire",
)

class _Dist:
    """A categorical distribution drawn with one random() and a bisect (fast)."""

    def __init__(self, weights: Sequence[tuple[Any, float]]) -> None:
        self.values = [v for v, _ in weights]
        total = float(sum(w for _, w in weights))
        acc, self.cum = 0.0, []
        for _, w in weights:
            acc += w / total
            self.cum.append(acc)
        self.cum[-1] = 1.0  # guard against float round-off at the top end

    def draw(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cum, rng.random())]


# --- vocabularies and distributions ------------------------------------------
# Only values that occur in the real API months are used, so anything built and
# tested against the sample also holds for the real files.

_SELF_API = {
    1: _Dist([("Asian/Asian British - Bangladeshi", 41), ("Asian/Asian British - Indian", 31),
              ("Asian/Asian British - Pakistani", 24.5), ("Asian/Asian British - Chinese", 3.5)]),
    2: _Dist([("Black/African/Caribbean/Black British - African", 61),
              ("Black/African/Caribbean/Black British - Caribbean", 39)]),
    3: _Dist([("Mixed/Multiple ethnic groups - White and Black Caribbean", 59),
              ("Mixed/Multiple ethnic groups - White and Black African", 28),
              ("Mixed/Multiple ethnic groups - White and Asian", 13)]),
    4: _Dist([("White - English/Welsh/Scottish/Northern Irish/British", 1)]),
    5: _Dist([("White - Irish", 1)]),
    # The real months have no "Any other White" or "Other ethnic group" labels,
    # so those census groups borrow the nearest labels that do occur.
    6: _Dist([("White - English/Welsh/Scottish/Northern Irish/British", 96),
              ("White - Gypsy or Irish Traveller", 4)]),
    7: _Dist([("Asian/Asian British - Chinese", 25), ("Mixed/Multiple ethnic groups - White and Asian", 25),
              ("Black/African/Caribbean/Black British - African", 20),
              ("White - English/Welsh/Scottish/Northern Irish/British", 30)]),
}
_OFFICER_API = {
    1: _Dist([("Asian", 95.5), ("White", 3), ("Black", 1.5)]),
    2: _Dist([("Black", 98), ("White", 1), ("Asian", 1)]),
    3: _Dist([("Black", 76), ("White", 14), ("Asian", 10)]),
    4: _Dist([("White", 97.5), ("Black", 1.5), ("Asian", 1)]),
    5: _Dist([("White", 97.5), ("Black", 1.5), ("Asian", 1)]),
    6: _Dist([("White", 97.5), ("Black", 1.5), ("Asian", 1)]),
    7: _Dist([("Asian", 55), ("White", 30), ("Black", 15)]),
}
_AGE_API = _Dist([("over 34", 31.1), ("18-24", 26.1), ("25-34", 21.6), ("10-17", 16.3), (None, 4.7),
                  ("under 10", 0.14)])
_GENDER_API = _Dist([("Male", 89.2), ("Female", 10.8)])
_TYPE_API = _Dist([("Person search", 80.5), ("Person and Vehicle search", 19.5)])
_DRUGS = ("Misuse of Drugs Act 1971 (section 23)", "Controlled drugs")
_PACE = "Police and Criminal Evidence Act 1984 (section 1)"
_SEARCH_API = _Dist([
    (_DRUGS, 60.7), ((_PACE, "Stolen goods"), 21.1), ((_PACE, "Offensive weapons"), 12.6),
    ((_PACE, "Evidence of offences under the Act"), 3.9), ((_PACE, "Articles for use in criminal damage"), 0.5),
    ((_PACE, "Fireworks"), 0.46), (("Firearms Act 1968 (section 47)", "Firearms"), 0.43),
    (("Criminal Justice and Public Order Act 1994 (section 60)", "Anything to threaten or harm anyone"), 0.21),
    ((_PACE, None), 0.12), ((None, None), 0.03),
])
_OUTCOMES_API = {
    "bu-no-further-action": "A no further action disposal",
    "bu-arrest": "Arrest",
    "bu-community-resolution": "Community resolution",
    "bu-penalty-notice": "Penalty Notice for Disorder",
    "bu-summons": "Summons / charged by post",
    "bu-caution": "Caution (simple or conditional)",
}
# Outcomes depend on what was searched for (drugs searches end in community
# resolutions far more often), as in the real months.
_OUTCOME_API = {
    True: _Dist([("bu-no-further-action", 59.4), ("bu-arrest", 16.8), ("bu-community-resolution", 16.7),
                 ("bu-penalty-notice", 3.9), ("bu-summons", 1.95), ("bu-caution", 1.2)]),
    False: _Dist([("bu-no-further-action", 61.8), ("bu-arrest", 29.4), ("bu-community-resolution", 4.9),
                  ("bu-penalty-notice", 1.6), ("bu-summons", 1.0), ("bu-caution", 1.3)]),
}
# Search rate relative to White British per resident, by census code. Black
# residents are searched ~3x as often, as the real Met figures show.
_RATE_API = {1: 0.75, 2: 3.0, 3: 1.6, 4: 1.0, 5: 1.0, 6: 0.9, 7: 0.7}

# Archive (2016-era) vocabulary: two-letter codes, "Not Stated (NS)", older outcomes.
_SELF_OLD = {
    1: _Dist([("Asian or Asian British - Any other Asian ethnic background (A9)", 45),
              ("Asian or Asian British - Bangladeshi (A3)", 21), ("Asian or Asian British - Pakistani (A2)", 16),
              ("Asian or Asian British - Indian (A1)", 13), ("Chinese or other ethnic group - Chinese (O1)", 5)]),
    2: _Dist([("Black or Black British - Any other Black ethnic background (B9)", 38),
              ("Black or Black British - African (B2)", 34), ("Black or Black British - Caribbean (B1)", 28)]),
    3: _Dist([("Mixed - Any other Mixed ethnic background (M9)", 43), ("Mixed - White and Black Caribbean (M1)", 40),
              ("Mixed - White and Black African (M2)", 10), ("Mixed - White and Asian (M3)", 7)]),
    4: _Dist([("White - White British (W1)", 1)]),
    5: _Dist([("White - White Irish (W2)", 1)]),
    6: _Dist([("White - Any other White ethnic background (W9)", 1)]),
    7: _Dist([("Chinese or other ethnic group - Any other ethnic group (O9)", 1)]),
}
_OFFICER_OLD = {
    1: _Dist([("Asian", 88), ("Other", 7), ("White", 3), ("Black", 2)]),
    2: _Dist([("Black", 97), ("White", 1.5), ("Other", 1), ("Asian", 0.5)]),
    3: _Dist([("Black", 60), ("White", 25), ("Asian", 9), ("Other", 6)]),
    4: _Dist([("White", 96), ("Black", 1.5), ("Other", 1.5), ("Asian", 1)]),
    5: _Dist([("White", 96), ("Black", 1.5), ("Other", 1.5), ("Asian", 1)]),
    6: _Dist([("White", 96), ("Black", 1.5), ("Other", 1.5), ("Asian", 1)]),
    7: _Dist([("Other", 40), ("White", 30), ("Asian", 20), ("Black", 10)]),
}
_AGE_OLD = _Dist([("18-24", 37.4), ("25-34", 23.0), ("10-17", 18.9), ("over 34", 16.3), ("", 4.4),
                  ("under 10", 0.02)])
_GENDER_OLD = _Dist([("Male", 93.3), ("Female", 6.6), ("Other", 0.04)])
_TYPE_OLD = _Dist([("Person search", 76.2), ("Person and Vehicle search", 22.6), ("Vehicle search", 1.2)])
# The 2016 Met archive labels every PACE search "Articles for use in criminal
# damage"; kept, because a loader must not assume the object fits the power.
_SEARCH_OLD = _Dist([
    (_DRUGS, 62.7), ((_PACE, "Articles for use in criminal damage"), 33.4),
    (("Criminal Justice Act 1988 (section 139B)", "Articles for use in criminal damage"), 2.8),
    (("Firearms Act 1968 (section 47)", "Firearms"), 1.1),
])
_OUTCOME_OLD = {
    True: _Dist([("Nothing found - no further action", 64), ("Suspect arrested", 18),
                 ("Offender given drugs possession warning", 13.5), ("Offender given penalty notice", 2.5),
                 ("Local resolution", 1.2), ("Suspect summonsed to court", 0.6), ("Offender cautioned", 0.2)]),
    False: _Dist([("Nothing found - no further action", 74), ("Suspect arrested", 23.5),
                  ("Local resolution", 1.0), ("Suspect summonsed to court", 1.0),
                  ("Offender given penalty notice", 0.3), ("Offender cautioned", 0.2)]),
}
_RATE_OLD = {1: 0.9, 2: 3.5, 3: 1.8, 4: 1.0, 5: 1.0, 6: 1.0, 7: 0.8}

# Local hour of day (London time), weights from the shape of the real months.
_HOUR = _Dist(list(enumerate([3.7, 2.4, 2.0, 1.6, 0.8, 0.3, 0.4, 1.1, 2.0, 3.0, 4.9, 5.7,
                              4.4, 6.0, 8.8, 8.9, 9.6, 6.9, 4.5, 4.7, 4.3, 4.8, 4.9, 4.5])))
# Officers round times: :00 and :30 dominate, then other multiples of 5.
_ROUND_MINUTE = _Dist([(0, 30), (30, 26), (15, 12), (45, 12), (20, 10), (40, 10)])
# Seasonal shape of monthly volumes (December dips, January peaks).
_SEASON = {1: 1.09, 2: 1.05, 3: 1.07, 4: 1.00, 5: 1.02, 6: 0.99,
           7: 0.96, 8: 0.92, 9: 0.99, 10: 1.03, 11: 1.02, 12: 0.87}
API_VOLUME_RANGE = (2800, 3700)
_API_BASE_VOLUME = 3290
_ARCHIVE_BASE_VOLUME = 10400  # the Met searched about three times as often in 2016

_POI = ("Parking Area", "Supermarket", "Petrol Station", "Shopping Area", "Sports/Recreation Area",
        "Nightclub", "Bus/Coach Station", "Further/Higher Educational Building", "Hospital",
        "Park/Open Space", "Police Station", "Theatre/Concert Hall", "Conference/Exhibition Centre")
_STEMS = ("Albert", "Ash", "Beech", "Bridge", "Cedar", "Chapel", "Church", "Clarence", "Elm", "Forest",
          "Grange", "Hawthorn", "High", "Hill", "King", "Lime", "Manor", "Maple", "Mill", "Nelson", "New",
          "North", "Oak", "Orchard", "Park", "Queen", "Railway", "River", "School", "South", "Station",
          "Victoria", "Wellington", "West", "Willow", "Windsor", "York", "Canal", "Meadow", "Priory")
_SUFFIXES = ("Road", "Street", "Avenue", "Lane", "Close", "Gardens", "Way", "Place", "Crescent", "Grove",
             "Terrace", "Walk", "Drive", "Rise", "Mews", "Parade", "Square")


# --- helpers -------------------------------------------------------------------

# police.uk publishes UTC datetimes for stops made at London wall-clock times.
LONDON = ZoneInfo(periods.TIMEZONE)


def _local_datetime(rng: random.Random, month: str) -> datetime:
    """A London wall-clock time in month, rounded the way officers record times (naive)."""
    start = periods.parse_month(month)
    day = 1 + int(rng.random() * start.days_in_month)
    r = rng.random()
    if r < 0.35:
        minute = _ROUND_MINUTE.draw(rng)
    elif r < 0.70:
        minute = 5 * int(rng.random() * 12)
    else:
        minute = int(rng.random() * 60)
    return datetime(start.year, start.month, day, _HOUR.draw(rng), minute)


def _iso_utc(local: datetime) -> str:
    """London wall-clock time as police.uk writes it: UTC, `YYYY-MM-DDTHH:MM:SS+00:00`.

    fold=0 (the default): a time that occurs twice on the last Sunday of
    October is the first, BST one; a time the March change skips is read
    with the GMT offset in force before it.
    """
    return local.replace(tzinfo=LONDON).astimezone(timezone.utc).isoformat()


def _rng(seed: int, *parts: str) -> random.Random:
    # One independent stream per file: a month's content depends only on the
    # seed and the month, not on which range was asked for.
    return random.Random(":".join([str(seed), *parts]))  # noqa: S311 - synthetic data, not secrets


def _cell_bounds(row: int, col: int) -> tuple[float, float, float, float]:
    """(lon0, lat0, lon1, lat1) of a grid cell, row 0 at the north."""
    dlat = (LAT_MAX - LAT_MIN) / GRID_ROWS
    dlon = (LON_MAX - LON_MIN) / GRID_COLS
    lat1 = round(LAT_MAX - row * dlat, 6)
    lat0 = round(LAT_MAX - (row + 1) * dlat, 6)
    lon0 = round(LON_MIN + col * dlon, 6)
    lon1 = round(LON_MIN + (col + 1) * dlon, 6)
    return lon0, lat0, lon1, lat1


def _point_in(rng: random.Random, bounds: tuple[float, float, float, float]) -> tuple[str, str]:
    lon0, lat0, lon1, lat1 = bounds
    m = 0.002  # margin so 6-decimal rounding never lands a point on an edge
    lat = lat0 + m + rng.random() * (lat1 - lat0 - 2 * m)
    lon = lon0 + m + rng.random() * (lon1 - lon0 - 2 * m)
    return f"{lat:.6f}", f"{lon:.6f}"


@dataclass
class _Places:
    """Snap points (police.uk publishes anonymised 'On or near' points, reused
    by many records), per borough and a small set outside London."""

    by_borough: list[tuple[list[dict], _Dist]]
    outside: tuple[list[dict], _Dist]


def _street_name(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return "On or near " + rng.choice(_POI)
    return f"On or near {rng.choice(_STEMS)} {rng.choice(_SUFFIXES)}"


def _make_places(seed: int) -> _Places:
    rng = _rng(seed, "places")
    sizes = [int(120 + 60 * b.stop_weight) for b in BOROUGHS]
    n_outside = 150
    ids = rng.sample(range(1_490_000, 2_150_000), sum(sizes) + n_outside)
    pos = 0

    def pool(n: int, bounds_for: Any) -> tuple[list[dict], _Dist]:
        nonlocal pos
        points = []
        for _ in range(n):
            lat, lon = _point_in(rng, bounds_for())
            points.append({"latitude": lat, "street": {"id": ids[pos], "name": _street_name(rng)},
                           "longitude": lon})
            pos += 1
        # Heavy-tailed popularity: a few hotspots (stations, high streets) take many stops.
        return points, _Dist([(i, rng.paretovariate(1.3)) for i in range(n)])

    by_borough = [pool(n, lambda b=b: _cell_bounds(b.row, b.col)) for b, n in zip(BOROUGHS, sizes)]

    def outside_bounds() -> tuple[float, float, float, float]:
        # Either an empty corner cell of the grid or a thin band beyond the box:
        # real Met records include stops just over the boundary.
        if rng.random() < 0.6:
            return _cell_bounds(*rng.choice(OUTSIDE_CELLS))
        side = rng.randrange(4)
        if side == 0:
            return (LON_MIN, LAT_MAX, LON_MAX, LAT_MAX + 0.03)
        if side == 1:
            return (LON_MIN, LAT_MIN - 0.03, LON_MAX, LAT_MIN)
        if side == 2:
            return (LON_MIN - 0.04, LAT_MIN, LON_MIN, LAT_MAX)
        return (LON_MAX, LAT_MIN, LON_MAX + 0.04, LAT_MAX)

    return _Places(by_borough, pool(n_outside, outside_bounds))


def _group_dists(rates: dict[int, float]) -> list[_Dist]:
    """Per borough: census group of the person searched, residents x search rate."""
    return [_Dist([(code, b.shares[code - 1] * rates[code]) for code in range(1, 8)]) for b in BOROUGHS]


_BOROUGH = _Dist([(i, b.stop_weight) for i, b in enumerate(BOROUGHS)])


def _location(rng: random.Random, places: _Places, borough: int, p_null: float,
              p_outside: float) -> dict | None:
    r = rng.random()
    if r < p_null:
        return None
    points, popularity = places.outside if r < p_null + p_outside else places.by_borough[borough]
    p = points[popularity.draw(rng)]
    return {"latitude": p["latitude"], "street": dict(p["street"]), "longitude": p["longitude"]}


def _volume(rng: random.Random, month: str, base: int) -> int:
    return int(round(base * _SEASON[int(month[5:])] * (0.97 + 0.06 * rng.random())))


def _ensure_previous_day(rng: random.Random, month: str, locals_: list[datetime]) -> None:
    """In months that start in BST, stops at 00:xx London time on the 1st are
    23:xx UTC on the previous day; make sure a few exist, as in the real files."""
    if not periods.month_start_london(month).is_dst():
        return
    need = 3 - sum(1 for d in locals_ if d.day == 1 and d.hour == 0)
    first = datetime(int(month[:4]), int(month[5:]), 1)
    for i in range(max(0, need)):
        locals_[i * 7 % len(locals_)] = first.replace(minute=int(rng.random() * 60))


# --- writers -------------------------------------------------------------------

def api_month_records(seed: int, month: str, places: _Places | None = None) -> list[dict]:
    """The records of one synthetic `/stops-force` month (key order as the API)."""
    rng = _rng(seed, "api", month)
    places = places or _make_places(seed)
    groups = _group_dists(_RATE_API)
    n = min(max(_volume(rng, month, _API_BASE_VOLUME), API_VOLUME_RANGE[0]), API_VOLUME_RANGE[1])
    locals_ = [_local_datetime(rng, month) for _ in range(n)]
    _ensure_previous_day(rng, month, locals_)
    records = []
    for local in locals_:
        b = _BOROUGH.draw(rng)
        g = groups[b].draw(rng)
        legislation, obj = _SEARCH_API.draw(rng)
        outcome_id = _OUTCOME_API[obj == "Controlled drugs"].draw(rng)
        officer = None if rng.random() < 0.013 else _OFFICER_API[g].draw(rng)
        self_defined = None if rng.random() < 0.0002 else _SELF_API[g].draw(rng)
        records.append({
            "age_range": _AGE_API.draw(rng),
            "outcome": _OUTCOMES_API[outcome_id],
            "involved_person": True,
            "self_defined_ethnicity": self_defined,
            "gender": _GENDER_API.draw(rng),
            "legislation": legislation,
            "outcome_linked_to_object_of_search": False,
            "datetime": _iso_utc(local),
            "removal_of_more_than_outer_clothing": rng.random() < 0.018,
            "outcome_object": {"id": outcome_id, "name": _OUTCOMES_API[outcome_id]},
            "location": _location(rng, places, b, p_null=0.012, p_outside=0.015),
            "operation": False,
            "officer_defined_ethnicity": officer,
            "type": _TYPE_API.draw(rng),
            "operation_name": None,
            "object_of_search": obj,
        })
    return records


def archive_month_rows(seed: int, month: str, places: _Places | None = None) -> list[list[str]]:
    """Rows (without header) of one synthetic bulk-archive CSV, sorted by Date like the real one."""
    rng = _rng(seed, "archive", month)
    places = places or _make_places(seed)
    groups = _group_dists(_RATE_OLD)
    n = _volume(rng, month, _ARCHIVE_BASE_VOLUME)
    locals_ = [_local_datetime(rng, month) for _ in range(n)]
    _ensure_previous_day(rng, month, locals_)
    rows = []
    for local in locals_:
        b = _BOROUGH.draw(rng)
        g = groups[b].draw(rng)
        legislation, obj = _SEARCH_OLD.draw(rng)
        search_type = _TYPE_OLD.draw(rng)
        if search_type == "Vehicle search" and rng.random() < 0.85:
            # A vehicle on its own has no person: the real rows leave these blank.
            gender = age = self_defined = officer = ""
        else:
            gender = "" if rng.random() < 0.006 else _GENDER_OLD.draw(rng)
            age = _AGE_OLD.draw(rng)
            r = rng.random()
            self_defined = "Not Stated (NS)" if r < 0.098 else "" if r < 0.107 else _SELF_OLD[g].draw(rng)
            officer = "" if rng.random() < 0.011 else _OFFICER_OLD[g].draw(rng)
        loc = _location(rng, places, b, p_null=0.083, p_outside=0.015)
        rows.append([
            search_type, _iso_utc(local), "False", "",
            loc["latitude"] if loc else "", loc["longitude"] if loc else "",
            gender, age, self_defined, officer, legislation, obj,
            _OUTCOME_OLD[obj == "Controlled drugs"].draw(rng), "", "",
        ])
    rows.sort(key=lambda r: r[1])  # stable: equal times keep generation order
    return rows


def availability(seed: int, months: Sequence[str]) -> list[dict]:
    """`/crimes-street-dates` entries for months, newest first; the Met is in every month."""
    out = []
    for m in sorted(months, reverse=True):
        rng = _rng(seed, "availability", m)
        # A few forces miss a month now and then, as in the real list.
        missing = set(rng.sample(OTHER_FORCES, rng.randrange(4)))
        forces = sorted([f for f in OTHER_FORCES if f not in missing] + [FORCE])
        out.append({"date": m, "stop-and-search": forces})
    return out


def census_rows(seed: int) -> list[list[str]]:
    """Rows (without header) of the TS021 export: 8 per area, sorted by area code."""
    rng = _rng(seed, "census")
    areas = [(b.code, b.census_name, b.population_k, b.shares) for b in BOROUGHS] + list(OTHER_UTLAS)
    rows = []
    for code, name, pop_k, shares in sorted(areas):
        total = sum(shares)
        for group, label in CENSUS_GROUPS:
            n = 0 if group < 0 else round(pop_k * 1000 * shares[group - 1] / total * (0.96 + 0.08 * rng.random()))
            rows.append([code, name, str(group), label, str(n)])
    return rows


def boundaries() -> dict:
    """The synthetic grid of 33 boroughs as a GeoJSON FeatureCollection."""
    features = []
    for b in sorted(BOROUGHS, key=lambda b: b.name):
        lon0, lat0, lon1, lat1 = _cell_bounds(b.row, b.col)
        ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]  # counter-clockwise
        features.append({"type": "Feature", "properties": {"name": b.name, "color": "blue"},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {
        "type": "FeatureCollection",
        # Foreign members (RFC 7946 section 6.1): readers ignore them, people see them.
        "name": "SYNTHETIC london_boroughs (grid cells, not real boundaries)",
        "description": SYNTHETIC_NOTICE + " Each borough is one rectangle of a 6x6 grid over "
                       f"lat {LAT_MIN}..{LAT_MAX}, lon {LON_MIN}..{LON_MAX}.",
        "features": features,
    }


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")  # the real exports use LF
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _readme(seed: int, months: list[str], empty: list[str], archive_months: Sequence[str],
            counts: dict[str, int], archive_counts: dict[str, int]) -> str:
    lines = [
        README_TITLE,
        "",
        SYNTHETIC_NOTICE,
        "",
        f"Generated by `python -m devdata generate` with seed {seed}; the same seed gives byte-identical files.",
        "It stands in for the real sources in the offline demo and tests; serve it with `python -m devdata serve`.",
        "",
        "| path | format of | notes |",
        "|---|---|---|",
        f"| `{STOPS_DIR}/YYYY-MM.json` | `data.police.uk/api/stops-force?force={FORCE}&date=YYYY-MM` |"
        f" {months[0]} to {months[-1]}; empty month(s) (`[]`): {', '.join(empty) or 'none'} |",
        f"| `{AVAILABILITY_PATH}` | `data.police.uk/api/crimes-street-dates` |"
        f" newest first; {FORCE} listed every month |",
        f"| `{ARCHIVE_DIR}/YYYY-MM/YYYY-MM-{FORCE}-stop-and-search.csv` | police.uk bulk archive CSV |"
        f" older vocabulary; months: {', '.join(archive_months) or 'none'} |",
        f"| `{CENSUS_PATH}` | ONS Census 2021 TS021 (8 categories) by UTLA | 33 London authorities (real codes) + "
        f"{len(OTHER_UTLAS)} others; counts invented |",
        f"| `{BOUNDARIES_PATH}` | GeoJSON of the 33 London authorities | grid rectangles, NOT real boundaries |",
        f"| `{workforce.OFFICERS_OLD_PATH}`, `{workforce.OFFICERS_NEW_PATH}`, `{workforce.JOINERS_PATH}`,"
        f" `{workforce.PROMOTIONS_PATH}` | Home Office \"Police workforce, England and Wales\" open data tables |"
        " officers by rank, sex and ethnicity at 31 March (old style to 2020, new style from 2021), joiners and"
        " promotions by financial year; 6 forces; the Met calibrated to MPS figures (`workforce/SYNTHETIC.txt`) |",
        f"| `{workforce.LEAVERS_PATH}` | the leavers open data table | by financial year, rank, leaver type and"
        " ethnicity; leaving rates are synthetic assumptions |",
        f"| `{workforce.OFFICERS_ODS_PATH}`, `{workforce.JOINERS_ODS_PATH}`, `{workforce.LEAVERS_ODS_PATH}`,"
        f" `{workforce.PROMOTIONS_ODS_PATH}` | the GOV.UK ODS releases of the same tables | cover and notes sheets,"
        " the table on `Data`, numbers as number cells |",
        f"| `{use_of_force.DIR}/MPS Use of Force - FY19-20.xlsx` … `FY22-23.xlsx` | the Met's use-of-force records"
        " (London Datastore `use-of-force`) | the published 271-column sheet, one row per officer per subject; about"
        " 70 subjects a month; handcuffing of Black subjects falls after 18 November 2021 by assumption"
        " (`use_of_force/SYNTHETIC.txt`, `devdata/use_of_force.py`) |",
        f"| `{use_of_force_by_force.DIR}/police-use-of-force-apr2020-mar2021-hosb0000-tables.ods`, `...apr2021-mar2022...`"
        " | the Home Office use-of-force bulletin tables | the table by police force and officer perceived ethnicity"
        " (Table 16) in the 2018/19 and 2019/20 wordings; 6 forces and England and Wales; Avon & Somerset's"
        " handcuffing split is `:` (`use_of_force_by_force/SYNTHETIC.txt`, `devdata/use_of_force_by_force.py`) |",
        "| `catalogue/london_datastore/mopac-surveys.json`, `catalogue/london_datastore/use-of-force.json`,"
        " `catalogue/govuk/...open-data-tables.json`, `catalogue/govuk/...police-use-of-force-statistics-....json` |"
        " London Datastore CKAN `package_show` answers and GOV.UK Content API items | list the PAS, use-of-force and workforce"
        " files above with `{mirror}` for the site's address: `devdata serve` answers at the real paths, so the"
        " sources find their files as they would on the real sites |",
        "",
        "What is realistic: formats, vocabularies, monthly volumes and rough mixes (outcomes, ethnicity,",
        "age, legislation), times rounded the way officers record them, a few records at 23:xx UTC on the",
        "previous day in BST months, ~1% without location and ~1.5% just outside London. Black residents are",
        "searched about three times as often as White residents, so disproportionality measures are non-trivial.",
        "What is not: every individual value, the population counts and the polygons.",
        "The workforce tables are realistic in format, vocabularies and the Met's calibrated totals and shares;",
        "every other cell (sex splits, FTE, the other five forces) is invented noise around plausible levels.",
        "",
        "Census area names copy the altered spellings of the shared TS021 copy (`Barking & Dagenham`,",
        "`W&sworth`, `Richmond Upon Thames`) while the GeoJSON uses `Barking and Dagenham`, `Wandsworth`:",
        "join on ONS codes, not on names. Census labels 5 and 6 both read `White Other`: map by code.",
        "",
        "Records per API month:",
        "",
    ]
    lines += [f"- {m}: {counts[m]}" for m in months]
    lines += ["", "Rows per archive month:", ""]
    lines += [f"- {m}: {archive_counts[m]}" for m in archive_months] or ["- none"]
    return "\n".join(lines) + "\n"


def write_reference(out_dir: Path, seed: int = 0) -> tuple[Path, Path]:
    """The census CSV and the boundary GeoJSON under out_dir (what `reference_data` loads)."""
    census_path, boundaries_path = out_dir / CENSUS_PATH, out_dir / BOUNDARIES_PATH
    write_file(census_path, _csv_bytes(CENSUS_HEADER, census_rows(seed)))
    write_file(boundaries_path, json.dumps(boundaries(), separators=(",", ":")).encode("utf-8"))
    return census_path, boundaries_path


def generate(
    out_dir: Path,
    *,
    seed: int = 2020,
    first_month: str = "2023-07",
    last_month: str = "2025-06",
    archive_months: tuple[str, ...] = ("2016-06",),
    empty_months: tuple[str, ...] | None = None,
    with_use_of_force: bool = True,
) -> dict[str, Any]:
    """Write the whole synthetic sample under out_dir (police.uk, census, boundaries, workforce, use of force, then
    PAS) and summarise it.

    empty_months: months whose API file is `[]` (None means just last_month,
    as the real API's latest month; pass () for none). with_use_of_force=False
    leaves the use-of-force workbooks, the Home Office tables by force and their
    catalogue answers out (a test
    about other sources saves their writing and loading: without the answer
    the mirror's environment does not take the source). Existing files at the
    same paths are overwritten; other files in out_dir are left alone. The
    summary has `months`, `records` (per month), `empty_months`,
    `archive_records`, `pas` (`devdata.pas.generate_pas`'s summary) and
    `use_of_force` and `use_of_force_by_force` (`devdata.use_of_force.generate`'s and
    `devdata.use_of_force_by_force.generate`'s summaries) and `paths` (absolute, str; `workforce`: the
    tables of `devdata.workforce`).
    """
    started = time.perf_counter()
    out_dir = Path(out_dir).resolve()
    months = periods.month_range(first_month, last_month)
    empty = [last_month] if empty_months is None else [m for m in months if m in set(empty_months)]
    if empty_months is not None and len(empty) != len(set(empty_months)):
        log.warning("empty_months outside %s..%s ignored: %s", first_month, last_month,
                    sorted(set(empty_months) - set(empty)))
    for m in archive_months:
        periods.parse_month(m)  # validates
    places = _make_places(seed)

    counts: dict[str, int] = {}
    stop_paths = []
    for m in months:
        records = [] if m in empty else api_month_records(seed, m, places)
        counts[m] = len(records)
        path = out_dir / STOPS_DIR / f"{m}.json"
        # Same text layout as the stored real responses: 2-space indent, no final newline.
        write_file(path, json.dumps(records, indent=2).encode("utf-8"))
        stop_paths.append(str(path))

    avail_path = out_dir / AVAILABILITY_PATH
    write_file(avail_path, json.dumps(availability(seed, months), separators=(",", ":")).encode("utf-8"))

    archive_counts: dict[str, int] = {}
    archive_paths = []
    for m in archive_months:
        rows = archive_month_rows(seed, m, places)
        archive_counts[m] = len(rows)
        path = out_dir / ARCHIVE_DIR / m / f"{m}-{FORCE}-stop-and-search.csv"
        write_file(path, _csv_bytes(ARCHIVE_HEADER, rows))
        archive_paths.append(str(path))

    census_path, boundaries_path = write_reference(out_dir, seed)
    workforce_paths = workforce.generate(out_dir, seed=seed)  # writes workforce/SYNTHETIC.txt itself
    force_summary = use_of_force.generate(out_dir, seed=seed) if with_use_of_force else {"rows": {}, "paths": []}
    by_force_summary = (use_of_force_by_force.generate(out_dir, seed=seed) if with_use_of_force
                        else {"rows": {}, "paths": []})

    readme_path = out_dir / "README.md"
    write_file(readme_path, _readme(seed, months, empty, archive_months, counts, archive_counts).encode("utf-8"))
    labels = [out_dir / "SYNTHETIC.txt"] + [out_dir / d / "SYNTHETIC.txt" for d in ("police_uk", "census", "geo")]
    for p in labels:
        write_file(p, (SYNTHETIC_NOTICE + " See README.md at the top of this sample.\n").encode("utf-8"))
    pas_summary = generate_pas(out_dir, seed=seed)  # after README.md, which it appends a PAS section to

    elapsed = time.perf_counter() - started
    log.info("synthetic sample: %d months (%d records), %d archive months, in %s (%.1f s)",
             len(months), sum(counts.values()), len(archive_months), out_dir, elapsed)
    return {
        "synthetic": True,
        "seed": seed,
        "out_dir": str(out_dir),
        "months": months,
        "records": counts,
        "empty_months": empty,
        "archive_records": archive_counts,
        "pas": pas_summary,
        "use_of_force": force_summary,
        "use_of_force_by_force": by_force_summary,
        "paths": {
            "stops": stop_paths,
            "availability": str(avail_path),
            "archive": archive_paths,
            "census": str(census_path),
            "boundaries": str(boundaries_path),
            "workforce": [str(p) for p in workforce_paths],
            "use_of_force": force_summary["paths"],
            "use_of_force_by_force": by_force_summary["paths"],
            "readme": str(readme_path),
            "labels": [str(p) for p in labels],
        },
    }



def has_sample(root: Path) -> bool:
    """True when root holds a finished sample: generate() writes the README's PAS section last."""
    readme = Path(root) / "README.md"
    return readme.is_file() and README_MARKER in readme.read_text(encoding="utf-8")
