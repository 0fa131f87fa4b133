"""Deterministic SYNTHETIC Home Office police workforce open-data tables, as CSV and as the GOV.UK release's ODS.

The Home Office publishes "Police workforce, England and Wales" open data
tables; `../shared/data` holds only an officers-by-rank extract for 2003-2006,
and nothing recent is available offline. This module invents the tables for six
forces: officers by rank, sex and ethnicity as at 31 March in the old style (to
2020: `Gender`, numbers padded with a space each side, ` -` for zero) and the
new style (from 2021: `Sex` with five values, `Police officer`, `Other ethnic
group`, plain numbers, `0`, two empty trailing columns), and joiners (all at
Constable), promotions and leavers (by rank and leaver type) by financial year.
The same figures are also written as the ODS workbooks GOV.UK publishes under
a new asset name each release (`open-data-table-police-workforce[-joiners|
-leavers|-promotions]-230725.ods`: `Cover sheet`, `Notes`, and `Data` with the
header in its first row and the counts as number cells; `devdata.ods`), with a
GOV.UK Content API page listing them (`devdata.catalogue`). The Metropolitan
Police officers, joiners and promotions are calibrated to figures from MPS
papers by integer allocation (expected counts, rounded), never by random draws;
the Met's leavers are allocated the same way from the officers table's
headcounts, but their rates are this module's assumptions (LEAVER_RATES,
ETHNIC_LEAVING), not published figures. The other forces follow the Met's
curves, scaled to their size and their own lower ethnic-minority shares. The
sex splits, FTE, the rare sex categories and the other forces' totals and
leaving rates carry noise from seeded generators, one stream per file section:
the same seed gives byte-identical files. CSVs end lines with CRLF and have no
line break after the last row, like the real download; the leavers CSV is in
the joiners' style but with the leavers header (`Geocode`, `Force name`).
`devdata.sample.generate()` calls `generate()`.
"""
from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from devdata.boroughs import write_file
from devdata.catalogue import write_govuk_page
from devdata.ods import ods_bytes

WORKFORCE_DIR = Path("workforce")
FIRST_YEAR, LAST_YEAR = 2007, 2025
NEW_STYLE_FROM = 2021  # 31 March 2021, and financial year 2021/22, are in the new style


def table_path(table: str, first: int, last: int) -> Path:
    """`workforce/<table>-<first>-<last>.csv`; table is `officer-rank`, `joiners` or `promotions`."""
    return WORKFORCE_DIR / f"{table}-{first}-{last}.csv"


# Relative paths of what generate() writes with its default years.
OFFICERS_OLD_PATH = table_path("officer-rank", FIRST_YEAR, NEW_STYLE_FROM - 1)
OFFICERS_NEW_PATH = table_path("officer-rank", NEW_STYLE_FROM, LAST_YEAR)
JOINERS_PATH = table_path("joiners", FIRST_YEAR, LAST_YEAR)
PROMOTIONS_PATH = table_path("promotions", FIRST_YEAR, LAST_YEAR)
LEAVERS_PATH = table_path("leavers", FIRST_YEAR, LAST_YEAR)
LABEL_PATH = WORKFORCE_DIR / "SYNTHETIC.txt"


# The ODS workbooks, named as GOV.UK names each release's assets (DDMMYY: the publication date).
RELEASE = "230725"  # 23 July 2025
ODS_TABLES = ("officers", "joiners", "leavers", "promotions")


def ods_path(table: str, release: str = RELEASE) -> Path:
    """`workforce/open-data-table-police-workforce[-<table>]-<DDMMYY>.ods`; the officers table has no suffix."""
    suffix = "" if table == "officers" else f"-{table}"
    return WORKFORCE_DIR / f"open-data-table-police-workforce{suffix}-{release}.ods"


OFFICERS_ODS_PATH = ods_path("officers")
JOINERS_ODS_PATH = ods_path("joiners")
LEAVERS_ODS_PATH = ods_path("leavers")
PROMOTIONS_ODS_PATH = ods_path("promotions")
# The GOV.UK page listing them (a Content API item under catalogue/govuk/, see devdata.catalogue).
GOVUK_BASE_PATH = "/government/statistical-data-sets/police-workforce-open-data-tables"
GOVUK_TITLE = "Police workforce open data tables"
GOVUK_UPDATED_AT = "2025-07-23T09:30:00.000+01:00"
ODS_TITLE = "Police workforce open data table: {table}"

OLD_HEADER = ["As at 31 March...", "Geo code", "Force Name", "Region", "Gender", "Rank description", "Worker type",
              "Ethnicity", "Ethnic group", "Total (headcount)", "Total (FTE)"]
NEW_HEADER = ["As at 31 March...", "Geo code", "Force Name", "Region", "Sex", "Rank description", "Worker Type",
              "Ethnicity", "Ethnic group", "Total (headcount)", "Total (FTE)", "", ""]
JOINERS_HEADER = ["Financial year", "Geo code", "Force Name", "Region", "Sex", "Rank description", "Worker type",
                  "Joiner type", "Ethnicity", "Ethnic group", "Total (headcount)", "Total (FTE)"]
PROMOTIONS_HEADER = ["Financial year", "Geo code", "Force Name", "Region", "Sex", "Rank promoted to", "Worker type",
                     "Ethnicity", "Ethnic group", "Total (headcount)"]
# The leavers table (CSV and ODS) and the ODS workbooks' Data sheets: `Geocode`, `Force name`.
LEAVERS_HEADER = ["Financial year", "Geocode", "Force name", "Region", "Sex", "Rank description", "Worker type",
                  "Leaver type", "Ethnicity", "Ethnic group", "Total (headcount)", "Total (FTE)"]
OFFICERS_ODS_HEADER = ["As at 31 March", "Geocode", "Force name", "Region", "Sex", "Rank description", "Worker type",
                       "Ethnicity", "Ethnic group", "Total (headcount)", "Total (FTE)"]
JOINERS_ODS_HEADER = ["Financial year", "Geocode", "Force name", *JOINERS_HEADER[3:]]
PROMOTIONS_ODS_HEADER = ["Financial year", "Geocode", "Force name", *PROMOTIONS_HEADER[3:]]
LEAVERS_ODS_HEADER = LEAVERS_HEADER

# Every vocabulary in the files' (alphabetical) order.
RANKS = ("Chief Officer", "Chief Inspector", "Chief Superintendent", "Constable", "Inspector", "Sergeant",
         "Superintendent")
PROMOTED_TO = ("Chief Inspector", "Chief Superintendent", "Inspector", "Sergeant", "Superintendent")
OLD_SEXES = ("Female", "Male")
NEW_SEXES = ("Female", "Male", "Not stated", "Prefer not to say", "Prefer to self-describe")
FLOW_SEXES_NEW = ("Female", "Male", "Not stated")  # joiners, leavers and promotions from 2021/22
_BAME, _EM = "Black, Asian and Minority Ethnic", "Ethnic minority (excluding White minorities)"
# (internal key, Ethnicity, Ethnic group)
OLD_ETHNICITIES = (("asian", "Asian or Asian British", _BAME), ("black", "Black or Black British", _BAME),
                   ("other", "Chinese or Other Ethnic Group (pre 2021 category)", _BAME), ("mixed", "Mixed", _BAME),
                   ("not_stated", "Not stated", "Not stated"), ("white", "White", "White"))
NEW_ETHNICITIES = (("asian", "Asian or Asian British", _EM), ("black", "Black or Black British", _EM),
                   ("mixed", "Mixed", _EM), ("not_stated", "Not stated", "Not stated"),
                   ("other", "Other ethnic group", _EM), ("white", "White", "White"))

# --- calibration (the Met; % of those with a stated ethnicity) ---------------------------------
# Anchors by year, linearly interpolated between. Officers as at 31 March.
MET_OFFICERS = {2007: 31000, 2010: 32500, 2014: 30000, 2018: 30400, 2019: 30800, 2020: 32500, 2021: 32700,
                2022: 33100, 2023: 34100, 2024: 33700, 2025: 34000}
MET_MINORITY = {2007: 8.5, 2020: 14.9, 2021: 15.6, 2022: 16.2, 2023: 16.9, 2024: 17.4, 2025: 17.9}
MET_BLACK = {2007: 2.4, 2020: 3.1, 2022: 3.3, 2025: 3.6}
RANK_SHARES = {"Sergeant": 0.14, "Inspector": 0.05, "Chief Inspector": 0.015, "Superintendent": 0.007,
               "Chief Superintendent": 0.003}  # of all officers; Chief Officers are a count, Constables the rest
RANK_MINORITY = {  # rank: (ethnic minority %, Black %) anchors in the Met
    "Sergeant": ({2007: 4.5, 2022: 10.0, 2025: 12.0}, {2007: 1.5, 2022: 2.6, 2025: 3.1}),
    "Inspector": ({2007: 4.5, 2022: 11.4, 2025: 13.0}, {2007: 0.9, 2022: 2.6, 2025: 3.0}),
}
SENIOR = {"Chief Inspector": 0.85, "Superintendent": 0.75, "Chief Superintendent": 0.65, "Chief Officer": 0.5}  # x Inspector
NOT_STATED = {2007: 1.0, 2025: 1.8}  # % of officers with no stated ethnicity
FEMALE = {2007: 24.0, 2025: 33.0}  # % of Constables; 0.75 of that at higher ranks
RARE_SEXES = (0.00015, 0.0001, 0.00003)  # Not stated, Prefer not to say, Prefer to self-describe (per officer)
MINORITY_SPLIT = (0.50, 0.28, 0.22)  # Asian, Mixed, Other: the ethnic minority that is not Black
# Joiners and promotions, by financial year (2021 = 2021/22).
MET_RECRUITS = {2007: 2300, 2009: 1900, 2011: 1600, 2013: 1800, 2015: 2300, 2018: 2400, 2019: 4000, 2020: 4200,
                2021: 4100, 2022: 3900, 2023: 2600, 2024: 2500}
RECRUIT_MINORITY = {2007: 15.0, 2018: 20.0, 2019: 21.0, 2020: 22.0, 2021: 23.0, 2022: 25.0, 2023: 27.0, 2024: 28.0}
RECRUIT_BLACK = {2007: 3.5, 2018: 4.0, 2021: 4.4, 2022: 5.0, 2023: 5.5, 2024: 6.0}
JOINER_TYPES = {"New recruit": (1.0, 1.0), "Re-joiner": (0.03, 0.6), "Transferee": (0.08, 0.7)}  # x recruits: count, shares
FLOW_NOT_STATED = 2.0  # % of joiners and promotions with no stated ethnicity
FLOW_FEMALE = {2007: 28.0, 2024: 38.0}
MET_PROMOTIONS = {  # rank promoted to: (about how many a year, ethnic minority %, Black %)
    "Sergeant": (600, {2007: 9.0, 2024: 16.0}, {2007: 2.5, 2024: 4.0}),
    "Inspector": (200, {2007: 8.0, 2024: 15.0}, {2007: 2.0, 2024: 3.5}),
    "Chief Inspector": (55, {2007: 7.0, 2024: 13.0}, {2007: 1.5, 2024: 3.0}),
    "Superintendent": (25, {2007: 6.0, 2024: 12.0}, {2007: 1.0, 2024: 2.5}),
    "Chief Superintendent": (10, {2007: 5.0, 2024: 10.0}, {2007: 1.0, 2024: 2.0}),
}
# Leavers (SYNTHETIC ASSUMPTIONS, not from any paper): the leaving rate of financial year fy/fy+1 is the
# leavers in it / the headcount at 31 March fy. White officers (and those of unstated ethnicity) leave at
# the sum of these per-type rates (% of headcount a year; about 6.0-7.6%); the rates rise with the
# resignations of the 2020s. In the file's order, which is this order, not alphabetical.
LEAVER_RATES = {
    "Normal retirement": {2007: 3.4, 2011: 3.8, 2015: 3.0, 2020: 2.6, 2024: 2.5},
    "Medical retirement": {2007: 0.5, 2015: 0.3, 2024: 0.25},
    "Voluntary resignation": {2007: 1.4, 2014: 1.6, 2018: 2.0, 2020: 2.3, 2021: 3.0, 2022: 3.7, 2023: 3.4, 2024: 3.1},
    "Dismissal": {2007: 0.12, 2022: 0.15, 2023: 0.22, 2024: 0.25},
    "Transfer to another force": {2007: 0.7, 2024: 0.8},
    "Death": {2007: 0.05},
    "Other": {2007: 0.15},
}
LEAVER_TYPES = tuple(LEAVER_RATES)
# All-type leaving rate as a multiple of the White rate, by ethnicity (exact up to rounding in each year).
ETHNIC_LEAVING = {"white": 1.0, "not_stated": 1.0, "black": 1.30, "asian": 1.15, "mixed": 1.15, "other": 1.15}
# Within that, how each ethnicity's leavers lean to a type (x the White mix, then renormalised; the rank
# mix adds to it, Black officers being more often Constables): the difference is mostly resignations. As
# generated, Black officers resign 1.6-2.1x as often as White officers and other ethnic-minority officers
# 1.4-1.6x, and both retire 0.85-1.0x as often; the Met's overall leaving rate is 6.2-7.9% a year.
_LEAN_BLACK = {"Voluntary resignation": 1.5, "Dismissal": 2.0, "Normal retirement": 0.85}
_LEAN_OTHER = {"Voluntary resignation": 1.25, "Dismissal": 1.5, "Normal retirement": 0.9}
LEAVER_TYPE_BY_ETHNICITY = {"black": _LEAN_BLACK, "asian": _LEAN_OTHER, "mixed": _LEAN_OTHER, "other": _LEAN_OTHER}
# Leaver type x rank propensity (x the headcount in the rank; 1.0 if not listed): senior officers retire,
# constables resign.
_SENIOR_RANKS = ("Chief Inspector", "Superintendent", "Chief Superintendent", "Chief Officer")
RANK_LEAVING = {
    "Normal retirement": {"Constable": 0.8, "Sergeant": 1.3, "Inspector": 1.6, "Chief Inspector": 2.2,
                          "Superintendent": 2.8, "Chief Superintendent": 3.2, "Chief Officer": 3.5},
    "Medical retirement": {"Sergeant": 0.8, "Inspector": 0.8} | dict.fromkeys(_SENIOR_RANKS, 0.8),
    "Voluntary resignation": {"Constable": 1.15, "Sergeant": 0.6, "Inspector": 0.4} | dict.fromkeys(_SENIOR_RANKS, 0.25),
    "Dismissal": {"Constable": 1.1, "Sergeant": 0.6, "Inspector": 0.3} | dict.fromkeys(_SENIOR_RANKS, 0.3),
    "Transfer to another force": {"Constable": 0.9, "Sergeant": 1.2, "Inspector": 1.4} | dict.fromkeys(_SENIOR_RANKS, 1.6),
}


@dataclass(frozen=True)
class Force:
    name: str  # as the Home Office writes it ("London, City of")
    code: str
    region: str
    officers_2022: int  # other years follow MET_OFFICERS' shape
    minority: dict[int, float]  # all ranks, % of stated
    black: dict[int, float]
    chiefs: int
    noise: float  # relative noise on totals and flows; 0 for the calibrated Met


def _other(name: str, code: str, region: str, size: int, m0: float, m1: float, black: float, chiefs: int) -> Force:
    return Force(name, code, region, size, {2007: m0, 2025: m1}, {2007: m0 * black, 2025: m1 * black}, chiefs, 0.03)


MET = Force("Metropolitan Police", "E23000001", "London", MET_OFFICERS[2022], MET_MINORITY, MET_BLACK, 30, 0.0)
FORCES = tuple(sorted((
    MET,
    _other("London, City of", "E23000034", "London", 800, 5.5, 8.0, 0.3, 3),
    _other("West Midlands", "E23000014", "West Midlands", 7000, 10.0, 14.0, 0.25, 7),
    _other("Greater Manchester", "E23000005", "North West", 7000, 4.5, 8.0, 0.2, 7),
    _other("West Yorkshire", "E23000010", "Yorkshire and the Humber", 5500, 4.5, 7.5, 0.15, 6),
    _other("Thames Valley", "E23000029", "South East", 4500, 3.5, 7.0, 0.2, 6),
), key=lambda f: f.name))


# --- allocation ----------------------------------------------------------------------------------

def _rng(seed: int, *parts: object) -> random.Random:
    # One stream per file section: a year's rows do not depend on the range asked for.
    return random.Random(":".join(["workforce", str(seed), *map(str, parts)]))  # noqa: S311 - synthetic data


def _at(anchors: dict[int, float], year: int) -> float:
    """Linear interpolation between anchor years, flat beyond the first and last."""
    years = sorted(anchors)
    year = min(max(year, years[0]), years[-1])
    if year in anchors:
        return anchors[year]
    y0 = max(y for y in years if y < year)
    y1 = min(y for y in years if y > year)
    return anchors[y0] + (year - y0) / (y1 - y0) * (anchors[y1] - anchors[y0])


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Integers summing to total in proportion to weights (largest remainder)."""
    raw = [total * w / sum(weights) for w in weights]
    out = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: out[i] - raw[i])[: total - sum(out)]:
        out[i] += 1
    return out


def _ethnicities(n: int, stated: int, minority: int, black: int) -> dict[str, int]:
    asian, mixed, other = _apportion(minority - black, MINORITY_SPLIT)
    return {"asian": asian, "black": black, "mixed": mixed, "other": other, "not_stated": n - stated,
            "white": stated - minority}


def _group(n: int, minority_pct: float, black_pct: float, not_stated_pct: float) -> dict[str, int]:
    """n people by ethnicity with the given shares of those with a stated ethnicity, rounded."""
    stated = n - round(n * not_stated_pct / 100)
    return _ethnicities(n, stated, round(stated * minority_pct / 100), round(stated * black_pct / 100))


def _ratios(force: Force, year: int) -> tuple[float, float]:
    """How the force's ethnic-minority and Black shares compare with the Met's (1.0 for the Met)."""
    return _at(force.minority, year) / _at(MET_MINORITY, year), _at(force.black, year) / _at(MET_BLACK, year)


def officer_counts(force: Force, year: int, rng: random.Random) -> dict[str, dict[str, int]]:
    """Headcount by rank and ethnicity as at 31 March; the all-rank shares are on target to one person."""
    total = round(force.officers_2022 * _at(MET_OFFICERS, year) / MET_OFFICERS[2022]
                  * (1 + force.noise * (2 * rng.random() - 1)))
    ranks = {rank: round(total * share) for rank, share in RANK_SHARES.items()} | {"Chief Officer": force.chiefs}
    k_minority, k_black = _ratios(force, year)
    shares = {rank: (_at(m, year) * k_minority, _at(b, year) * k_black) for rank, (m, b) in RANK_MINORITY.items()}
    shares |= {rank: (shares["Inspector"][0] * f, shares["Inspector"][1] * f) for rank, f in SENIOR.items()}
    not_stated = _at(NOT_STATED, year)
    out = {rank: _group(ranks[rank], *shares[rank], not_stated) for rank in shares}
    # Constables take whatever makes the all-rank shares come out on target.
    n = total - sum(ranks.values())
    stated = n - round(n * not_stated / 100)
    all_stated = stated + sum(ranks[r] - c["not_stated"] for r, c in out.items())
    minority = round(all_stated * _at(force.minority, year) / 100) - sum(
        ranks[r] - c["not_stated"] - c["white"] for r, c in out.items())
    black = round(all_stated * _at(force.black, year) / 100) - sum(c["black"] for c in out.values())
    out["Constable"] = _ethnicities(n, stated, minority, black)
    return out


def _sexes(n: int, female_pct: float, rare: Sequence[float], rng: random.Random) -> list[int]:
    """[Female, Male, *rare]: the rare categories stochastically rounded (mostly 0), Female likewise."""
    small: list[int] = []
    for p in rare:
        small.append(min(n - sum(small), int(n * p + rng.random())))
    rest = n - sum(small)
    female = int(rest * female_pct / 100 + rng.random())
    return [female, rest - female, *small]


def _fte(headcount: int, rng: random.Random) -> float:
    return round(headcount * (0.92 + 0.07 * rng.random()), 2) if headcount else 0


def _number(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _padded(x: float) -> str:
    return f" {_number(x)} " if x else " -"


def _plain(x: float) -> str:
    return _number(x) if x else "0"


# --- rows --------------------------------------------------------------------------------------
# A record is (the label cells after the year, headcount, FTE or None): the CSVs format the numbers as
# text in their style, the ODS workbooks write them as number cells.
Record = tuple[list[str], int, float | None]


def _officer_records(year: int, seed: int) -> list[Record]:
    new = year >= NEW_STYLE_FROM
    sexes, ethnicities = (NEW_SEXES, NEW_ETHNICITIES) if new else (OLD_SEXES, OLD_ETHNICITIES)
    records = []
    for force in FORCES:
        rng = _rng(seed, "officers", force.code, year)
        counts = officer_counts(force, year, rng)
        cells = {}
        for rank in RANKS:
            female = _at(FEMALE, year) * (1 if rank == "Constable" else 0.75)
            for key, _, _ in ethnicities:
                split = _sexes(counts[rank][key], female, RARE_SEXES if new else (), rng)
                cells |= {(sex, rank, key): h for sex, h in zip(sexes, split)}
        for sex in sexes:
            for rank in RANKS:
                for key, label, group in ethnicities:
                    h = cells[sex, rank, key]
                    records.append(([force.code, force.name, force.region, sex, rank,
                                     "Police officer" if new else "Police Officer", label, group], h, _fte(h, rng)))
    return records


def officer_rows(year: int, seed: int = 2020) -> list[list[str]]:
    """The rows of one year as at 31 March, every combination, in the real file's order."""
    new = year >= NEW_STYLE_FROM
    fmt = _plain if new else _padded
    return [[str(year), *labels, fmt(h), fmt(fte)] + (["", ""] if new else [])
            for labels, h, fte in _officer_records(year, seed)]


def fy_label(fy: int) -> str:
    """`2021/22` for fy 2021."""
    return f"{fy}/{(fy + 1) % 100:02d}"


def leaver_counts(force: Force, fy: int, rng: random.Random, seed: int = 2020) -> dict[tuple[str, str], dict[str, int]]:
    """Leavers in financial year fy/fy+1 by (rank, leaver type) and ethnicity: integer allocation, no draws.

    Each ethnicity's leavers are its headcount at 31 March fy (the start of the
    year, exactly as the officers table has it) times the White rate (the sum
    of LEAVER_RATES) times ETHNIC_LEAVING, rounded, and for the other forces
    times one noise factor; they are then apportioned over ranks and leaver
    types by that ethnicity's headcount in each rank, LEAVER_RATES, RANK_LEAVING
    and LEAVER_TYPE_BY_ETHNICITY.
    """
    counts = officer_counts(force, fy, _rng(seed, "officers", force.code, fy))
    k = 1 + force.noise * (2 * rng.random() - 1)
    mix = {t: _at(LEAVER_RATES[t], fy) for t in LEAVER_TYPES}
    white_rate = sum(mix.values()) / 100
    cells = [(rank, t) for rank in RANKS for t in LEAVER_TYPES]
    out: dict[tuple[str, str], dict[str, int]] = {c: {} for c in cells}
    for key, _, _ in NEW_ETHNICITIES:
        headcount = sum(counts[rank][key] for rank in RANKS)
        total = round(headcount * white_rate * ETHNIC_LEAVING[key] * k)
        factors = LEAVER_TYPE_BY_ETHNICITY.get(key, {})
        weights = [counts[rank][key] * mix[t] * factors.get(t, 1.0) * RANK_LEAVING.get(t, {}).get(rank, 1.0)
                   for rank, t in cells]
        split = _apportion(total, weights) if total else [0] * len(cells)
        for cell, n in zip(cells, split):
            out[cell][key] = n
    return out


def _flow_records(kind: str, fy: int, seed: int) -> list[Record]:
    new = fy >= NEW_STYLE_FROM
    sexes, ethnicities = (FLOW_SEXES_NEW, NEW_ETHNICITIES) if new else (OLD_SEXES, OLD_ETHNICITIES)
    records = []
    for force in FORCES:
        rng = _rng(seed, kind, force.code, fy)
        scale = force.officers_2022 / MET_OFFICERS[2022]
        k_minority, k_black = _ratios(force, fy)
        if kind == "joiners":
            recruits = scale * _at(MET_RECRUITS, fy) * (1 + force.noise * (2 * rng.random() - 1))
            groups = {t: _group(round(recruits * k), _at(RECRUIT_MINORITY, fy) * k_minority * s,
                                _at(RECRUIT_BLACK, fy) * k_black * s, FLOW_NOT_STATED)
                      for t, (k, s) in JOINER_TYPES.items()}
        elif kind == "promotions":
            groups = {rank: _group(round(scale * count * (0.85 + 0.3 * rng.random())), _at(m, fy) * k_minority,
                                   _at(b, fy) * k_black, FLOW_NOT_STATED)
                      for rank, (count, m, b) in sorted(MET_PROMOTIONS.items())}
        elif kind == "leavers":
            groups = leaver_counts(force, fy, rng, seed)
        else:
            raise ValueError(f"unknown flow table {kind!r}")
        cells = {}
        for g, counts in groups.items():
            if kind == "leavers":
                female = _at(FEMALE, fy) * (1 if g[0] == "Constable" else 0.75)
            else:
                female = _at(FLOW_FEMALE, fy) * (1 if kind == "joiners" else 0.85)
            for key, _, _ in ethnicities:
                split = _sexes(counts[key], female, (0.001,) if new else (), rng)
                cells |= {(sex, g, key): h for sex, h in zip(sexes, split)}
        for sex in sexes:
            for g in groups:
                for key, eth, group in ethnicities:
                    h = cells[sex, g, key]
                    head = [force.code, force.name, force.region, sex]
                    if kind == "joiners":
                        records.append((head + ["Constable", "Police Officer", g, eth, group], h, _fte(h, rng)))
                    elif kind == "leavers":
                        records.append((head + [g[0], "Police Officer", g[1], eth, group], h, _fte(h, rng)))
                    else:
                        records.append((head + [g, "Police Officer", eth, group], h, None))
    return records


def flow_rows(kind: str, fy: int, seed: int = 2020) -> list[list[str]]:
    """The `joiners`, `leavers` or `promotions` rows of financial year fy/fy+1, every combination, in order."""
    return [[fy_label(fy), *labels, _padded(h)] + ([] if fte is None else [_padded(fte)])
            for labels, h, fte in _flow_records(kind, fy, seed)]


def _ods_rows(records: list[Record], period: str | int) -> list[list[object]]:
    return [[period, *labels, h] + ([] if fte is None else [fte]) for labels, h, fte in records]


def officer_ods_rows(year: int, seed: int = 2020) -> list[list[object]]:
    """The officers workbook's Data rows of one year: the year and the counts as numbers (0 for the CSVs' ` -`/`0`)."""
    return _ods_rows(_officer_records(year, seed), year)


def flow_ods_rows(kind: str, fy: int, seed: int = 2020) -> list[list[object]]:
    """A flow workbook's Data rows of financial year fy/fy+1: `2021/22` as text, the counts as numbers."""
    return _ods_rows(_flow_records(kind, fy, seed), fy_label(fy))


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([header, *rows])
    return buf.getvalue().removesuffix("\r\n").encode("utf-8")  # no line break after the last row, as the real file


ODS_SYNTHETIC = "SYNTHETIC DATA generated by devdata.workforce: every figure is invented"

LABEL_TEXT = (
    "SYNTHETIC DATA generated by devdata.workforce: every count here is invented.\n\n"
    "These files imitate the Home Office \"Police workforce, England and Wales\" open data tables (police officers\n"
    "by rank, sex and ethnicity as at 31 March; joiners; leavers; promotions) for six forces, in the published CSV\n"
    "styles (the old style up to 31 March 2020, the new style (Sex, Other ethnic group) from 2021 and 2021/22) and\n"
    "as the GOV.UK release's ODS workbooks (open-data-table-police-workforce[-joiners|-leavers|-promotions]-230725.ods:\n"
    "Cover sheet, Notes, Data), listed by a GOV.UK Content API page under catalogue/govuk/.\n"
    "The Metropolitan Police figures are calibrated to figures from MPS papers (shares of officers with a stated\n"
    "ethnicity): ethnic minority 8.5% of officers in 2007, 16.2% at 31 March 2022 (about 33,100 officers) and\n"
    "17.9% in 2025; Sergeants 10.0% (2.6% Black) and Inspectors 11.4% (2.6% Black) in 2022; new recruits 23%\n"
    "ethnic minority and 4.4% Black in 2021/22, about 4,000 a year in the uplift (2019/20 to 2022/23);\n"
    "promotions to Sergeant 9% ethnic minority in 2007/08 rising to 16% in 2024/25.\n"
    "The leavers are NOT calibrated to any published figure; they are assumptions: White officers leave at about\n"
    "6.0-7.6% a year (leavers in the financial year / headcount at 31 March at its start; resignations rising from\n"
    "1.4% in 2007/08 to 3.7% in 2022/23), Black officers at 1.3 times and other ethnic-minority officers at 1.15\n"
    "times the White rate, the difference mostly resignations (1.6-2.1x and 1.4-1.6x the White resignation rate).\n"
    "The other forces follow the Met's curves scaled to their size, with lower ethnic-minority shares; sex splits,\n"
    "FTE and the other forces' totals and leaving rates are seeded noise. Every cell is invented. See README.md at\n"
    "the top of this sample.\n"
)


_ODS_DESCRIPTIONS = {
    "officers": "Police officers by force, sex, rank and ethnicity, headcount and full-time equivalent (FTE), as at 31 March",
    "joiners": "Police officers joining (new recruits, re-joiners and transferees) by force, sex and ethnicity, by financial year",
    "leavers": "Police officers leaving by force, sex, rank, leaver type and ethnicity, by financial year",
    "promotions": "Police officers promoted by force, sex, rank promoted to and ethnicity, by financial year",
}


def _workbook(table: str, header: list[str], rows: list[list[object]]) -> bytes:
    """One release workbook: `Cover sheet`, `Notes`, then `Data` with the header in its first row."""
    period = ("As at 31 March of each year" if table == "officers"
              else "Financial years (1 April to 31 March), written 2021/22")
    cover = [[ODS_TITLE.format(table=table)], [ODS_SYNTHETIC], [_ODS_DESCRIPTIONS[table] + "."],
             ["Six forces of England and Wales; published 23 July 2025 (an imitation of the Home Office release)."]]
    notes = [["Note number", "Note text"],
             ["Note 1", f"{period}. Counts are whole numbers; zero is written as 0."],
             ["Note 2", ("Sex and ethnicity are as collected: to 31 March 2020 (and 2020/21) Female and Male and the "
                         "pre-2021 ethnicity categories (Black, Asian and Minority Ethnic); from 31 March 2021 (and "
                         "2021/22) further sex categories and Other ethnic group (Ethnic minority (excluding White "
                         "minorities)).")],
             ["Note 3", ODS_SYNTHETIC + "; see SYNTHETIC.txt beside this file."]]
    return ods_bytes([("Cover sheet", cover), ("Notes", notes), ("Data", [header, *rows])])


def generate(root: Path, first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR, *, seed: int = 2020) -> list[Path]:
    """Write the workforce tables for first_year..last_year under root/workforce and return their paths.

    CSVs: officers as at 31 March first_year..last_year, split at 2021 into an
    old- and a new-style file; joiners, promotions and leavers for the
    financial years first_year/.. to (last_year-1)/last_year. ODS workbooks
    (`ods_path()`): the officers of every year in one Data sheet, and joiners,
    leavers and promotions. Then the GOV.UK Content API page listing the
    workbooks (`catalogue/govuk/...`, `devdata.catalogue.write_govuk_page`).
    Returned in that order: the CSVs, the workbooks, the page. A table whose
    range is empty is not written. `workforce/SYNTHETIC.txt` is written too
    (not returned).
    """
    if first_year > last_year:
        raise ValueError(f"first_year {first_year} is after last_year {last_year}")
    root = Path(root)
    years = range(first_year, last_year + 1)
    old = range(first_year, min(last_year, NEW_STYLE_FROM - 1) + 1)
    new = range(max(first_year, NEW_STYLE_FROM), last_year + 1)
    fys = range(first_year, last_year)
    officers = {y: _officer_records(y, seed) for y in years}
    flows = {kind: {fy: _flow_records(kind, fy, seed) for fy in fys} for kind in ("joiners", "promotions", "leavers")}

    csvs = []
    for span, header in ((old, OLD_HEADER), (new, NEW_HEADER)):
        if span:
            fmt, tail = (_plain, ["", ""]) if span[0] >= NEW_STYLE_FROM else (_padded, [])
            rows = [[str(y), *labels, fmt(h), fmt(fte), *tail] for y in span for labels, h, fte in officers[y]]
            csvs.append((table_path("officer-rank", span[0], span[-1]), header, rows))
    for kind, header in (("joiners", JOINERS_HEADER), ("promotions", PROMOTIONS_HEADER), ("leavers", LEAVERS_HEADER)):
        if fys:
            rows = [[fy_label(fy), *labels, _padded(h)] + ([] if fte is None else [_padded(fte)])
                    for fy in fys for labels, h, fte in flows[kind][fy]]
            csvs.append((table_path(kind, first_year, last_year), header, rows))
    for relpath, header, rows in csvs:
        write_file(root / relpath, _csv(header, rows))

    workbooks = [("officers", OFFICERS_ODS_HEADER, [r for y in years for r in _ods_rows(officers[y], y)])]
    if fys:
        workbooks += [(kind, header, [r for fy in fys for r in _ods_rows(flows[kind][fy], fy_label(fy))])
                      for kind, header in (("joiners", JOINERS_ODS_HEADER), ("leavers", LEAVERS_ODS_HEADER),
                                           ("promotions", PROMOTIONS_ODS_HEADER))]
    for table, header, rows in workbooks:
        write_file(root / ods_path(table), _workbook(table, header, rows))
    write_file(root / LABEL_PATH, LABEL_TEXT.encode("utf-8"))
    page = write_govuk_page(root, GOVUK_BASE_PATH, GOVUK_TITLE, GOVUK_UPDATED_AT,
                            [{"relpath": ods_path(table), "title": ODS_TITLE.format(table=table)}
                             for table, _, _ in workbooks])
    return [root / relpath for relpath, _, _ in csvs] + [root / ods_path(t) for t, _, _ in workbooks] + [page]
