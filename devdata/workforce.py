"""Deterministic SYNTHETIC Home Office police workforce open-data tables, in the published CSV styles.

The Home Office publishes "Police workforce, England and Wales" open data
tables; `../shared/data` holds only an officers-by-rank extract for 2003-2006,
and nothing recent is available offline. This module invents the tables for six
forces: officers by rank, sex and ethnicity as at 31 March in the old style (to
2020: `Gender`, numbers padded with a space each side, ` -` for zero) and the
new style (from 2021: `Sex` with five values, `Police officer`, `Other ethnic
group`, plain numbers, `0`, two empty trailing columns), and joiners (all at
Constable) and promotions by financial year. The Metropolitan Police counts
are calibrated to figures from MPS papers by integer allocation (expected
counts, rounded), never by random draws; the other forces follow the Met's
curves, scaled to their size and their own lower ethnic-minority shares. The
sex splits, FTE, the rare sex categories and the other forces' totals carry
noise from seeded generators, one stream per file section: the same seed gives
byte-identical files. Files end lines with CRLF and have no line break after
the last row, like the real download. `devdata.sample.generate()` calls `generate()`.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from devdata.boroughs import write_file

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
LABEL_PATH = WORKFORCE_DIR / "SYNTHETIC.txt"

OLD_HEADER = ["As at 31 March...", "Geo code", "Force Name", "Region", "Gender", "Rank description", "Worker type",
              "Ethnicity", "Ethnic group", "Total (headcount)", "Total (FTE)"]
NEW_HEADER = ["As at 31 March...", "Geo code", "Force Name", "Region", "Sex", "Rank description", "Worker Type",
              "Ethnicity", "Ethnic group", "Total (headcount)", "Total (FTE)", "", ""]
JOINERS_HEADER = ["Financial year", "Geo code", "Force Name", "Region", "Sex", "Rank description", "Worker type",
                  "Joiner type", "Ethnicity", "Ethnic group", "Total (headcount)", "Total (FTE)"]
PROMOTIONS_HEADER = ["Financial year", "Geo code", "Force Name", "Region", "Sex", "Rank promoted to", "Worker type",
                     "Ethnicity", "Ethnic group", "Total (headcount)"]

# Every vocabulary in the files' (alphabetical) order.
RANKS = ("Chief Officer", "Chief Inspector", "Chief Superintendent", "Constable", "Inspector", "Sergeant",
         "Superintendent")
PROMOTED_TO = ("Chief Inspector", "Chief Superintendent", "Inspector", "Sergeant", "Superintendent")
OLD_SEXES = ("Female", "Male")
NEW_SEXES = ("Female", "Male", "Not stated", "Prefer not to say", "Prefer to self-describe")
FLOW_SEXES_NEW = ("Female", "Male", "Not stated")  # joiners and promotions from 2021/22
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

def officer_rows(year: int, seed: int = 2020) -> list[list[str]]:
    """The rows of one year as at 31 March, every combination, in the real file's order."""
    new = year >= NEW_STYLE_FROM
    sexes, ethnicities, fmt = (NEW_SEXES, NEW_ETHNICITIES, _plain) if new else (OLD_SEXES, OLD_ETHNICITIES, _padded)
    rows = []
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
                    rows.append([str(year), force.code, force.name, force.region, sex, rank,
                                 "Police officer" if new else "Police Officer", label, group,
                                 fmt(h), fmt(_fte(h, rng))] + (["", ""] if new else []))
    return rows


def flow_rows(kind: str, fy: int, seed: int = 2020) -> list[list[str]]:
    """The `joiners` or `promotions` rows of financial year fy/fy+1, every combination, in order."""
    new = fy >= NEW_STYLE_FROM
    sexes, ethnicities = (FLOW_SEXES_NEW, NEW_ETHNICITIES) if new else (OLD_SEXES, OLD_ETHNICITIES)
    label = f"{fy}/{(fy + 1) % 100:02d}"
    rows = []
    for force in FORCES:
        rng = _rng(seed, kind, force.code, fy)
        scale = force.officers_2022 / MET_OFFICERS[2022]
        k_minority, k_black = _ratios(force, fy)
        if kind == "joiners":
            recruits = scale * _at(MET_RECRUITS, fy) * (1 + force.noise * (2 * rng.random() - 1))
            groups = {t: _group(round(recruits * k), _at(RECRUIT_MINORITY, fy) * k_minority * s,
                                _at(RECRUIT_BLACK, fy) * k_black * s, FLOW_NOT_STATED)
                      for t, (k, s) in JOINER_TYPES.items()}
        else:
            groups = {rank: _group(round(scale * count * (0.85 + 0.3 * rng.random())), _at(m, fy) * k_minority,
                                   _at(b, fy) * k_black, FLOW_NOT_STATED)
                      for rank, (count, m, b) in sorted(MET_PROMOTIONS.items())}
        female = _at(FLOW_FEMALE, fy) * (1 if kind == "joiners" else 0.85)
        cells = {}
        for g, counts in groups.items():
            for key, _, _ in ethnicities:
                split = _sexes(counts[key], female, (0.001,) if new else (), rng)
                cells |= {(sex, g, key): h for sex, h in zip(sexes, split)}
        for sex in sexes:
            for g in groups:
                for key, eth, group in ethnicities:
                    h = cells[sex, g, key]
                    head = [label, force.code, force.name, force.region, sex]
                    if kind == "joiners":
                        rows.append(head + ["Constable", "Police Officer", g, eth, group, _padded(h),
                                            _padded(_fte(h, rng))])
                    else:
                        rows.append(head + [g, "Police Officer", eth, group, _padded(h)])
    return rows


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([header, *rows])
    return buf.getvalue().removesuffix("\r\n").encode("utf-8")  # no line break after the last row, as the real file


LABEL_TEXT = (
    "SYNTHETIC DATA generated by devdata.workforce: every count here is invented.\n\n"
    "These files imitate the Home Office \"Police workforce, England and Wales\" open data tables (police officers\n"
    "by rank, sex and ethnicity as at 31 March; joiners; promotions) for six forces, in the published CSV styles:\n"
    "the old style up to 31 March 2020, the new style (Sex, Other ethnic group) from 2021 and 2021/22.\n"
    "The Metropolitan Police figures are calibrated to figures from MPS papers (shares of officers with a stated\n"
    "ethnicity): ethnic minority 8.5% of officers in 2007, 16.2% at 31 March 2022 (about 33,100 officers) and\n"
    "17.9% in 2025; Sergeants 10.0% (2.6% Black) and Inspectors 11.4% (2.6% Black) in 2022; new recruits 23%\n"
    "ethnic minority and 4.4% Black in 2021/22, about 4,000 a year in the uplift (2019/20 to 2022/23);\n"
    "promotions to Sergeant 9% ethnic minority in 2007/08 rising to 16% in 2024/25. The other forces follow the\n"
    "Met's curves scaled to their size, with lower ethnic-minority shares; sex splits, FTE and the other forces'\n"
    "totals are seeded noise. Every cell is invented. See README.md at the top of this sample.\n"
)


def generate(root: Path, first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR, *, seed: int = 2020) -> list[Path]:
    """Write the workforce tables for first_year..last_year under root/workforce and return their paths.

    Officers as at 31 March first_year..last_year, split at 2021 into an old-
    and a new-style file; joiners and promotions for the financial years
    first_year/.. to (last_year-1)/last_year. A file whose range is empty is
    not written. `workforce/SYNTHETIC.txt` is written too (not returned).
    """
    if first_year > last_year:
        raise ValueError(f"first_year {first_year} is after last_year {last_year}")
    root = Path(root)
    old = range(first_year, min(last_year, NEW_STYLE_FROM - 1) + 1)
    new = range(max(first_year, NEW_STYLE_FROM), last_year + 1)
    fys = range(first_year, last_year)
    files = [(table_path("officer-rank", years[0], years[-1]), header,
              [r for y in years for r in officer_rows(y, seed)])
             for years, header in ((old, OLD_HEADER), (new, NEW_HEADER)) if years]
    files += [(table_path(kind, first_year, last_year), header, [r for fy in fys for r in flow_rows(kind, fy, seed)])
              for kind, header in (("joiners", JOINERS_HEADER), ("promotions", PROMOTIONS_HEADER)) if fys]
    for relpath, header, rows in files:
        write_file(root / relpath, _csv(header, rows))
    write_file(root / LABEL_PATH, LABEL_TEXT.encode("utf-8"))
    return [root / relpath for relpath, _, _ in files]
