"""The synthetic Home Office workforce tables: exact headers, each style's number conventions, every
combination in the real order, the same bytes for the same seed, and the Met figures they are calibrated
to, recomputed from the CSVs with the csv module; the leavers' leaving rates recomputed from the leavers
and officers tables; the ODS workbooks (read with python-calamine) holding the CSVs' figures; and the
GOV.UK Content API page listing them. Format checks against the real 2003-2006 extract in ../shared/data
carry the `shared` marker (see tests/conftest.py)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from devdata import mirror, sample, workforce

OLD, NEW = "workforce/officer-rank-2007-2020.csv", "workforce/officer-rank-2021-2025.csv"
JOINERS, PROMOTIONS = "workforce/joiners-2007-2025.csv", "workforce/promotions-2007-2025.csv"
LEAVERS = "workforce/leavers-2007-2025.csv"
CSVS = (OLD, NEW, JOINERS, PROMOTIONS, LEAVERS)
ODS = {  # table -> the release's asset name
    "officers": "workforce/open-data-table-police-workforce-230725.ods",
    "joiners": "workforce/open-data-table-police-workforce-joiners-230725.ods",
    "leavers": "workforce/open-data-table-police-workforce-leavers-230725.ods",
    "promotions": "workforce/open-data-table-police-workforce-promotions-230725.ods",
}
PAGE = "catalogue/govuk/government/statistical-data-sets/police-workforce-open-data-tables.json"
HEADERS = {
    OLD: b"As at 31 March...,Geo code,Force Name,Region,Gender,Rank description,Worker type,Ethnicity,Ethnic group,"
         b"Total (headcount),Total (FTE)",
    NEW: b"As at 31 March...,Geo code,Force Name,Region,Sex,Rank description,Worker Type,Ethnicity,Ethnic group,"
         b"Total (headcount),Total (FTE),,",
    JOINERS: b"Financial year,Geo code,Force Name,Region,Sex,Rank description,Worker type,Joiner type,Ethnicity,"
             b"Ethnic group,Total (headcount),Total (FTE)",
    PROMOTIONS: b"Financial year,Geo code,Force Name,Region,Sex,Rank promoted to,Worker type,Ethnicity,Ethnic group,"
                b"Total (headcount)",
    LEAVERS: b"Financial year,Geocode,Force name,Region,Sex,Rank description,Worker type,Leaver type,Ethnicity,"
             b"Ethnic group,Total (headcount),Total (FTE)",
}
ODS_HEADERS = {
    "officers": ["As at 31 March", "Geocode", "Force name", "Region", "Sex", "Rank description", "Worker type",
                 "Ethnicity", "Ethnic group", "Total (headcount)", "Total (FTE)"],
    "joiners": ["Financial year", "Geocode", "Force name", "Region", "Sex", "Rank description", "Worker type",
                "Joiner type", "Ethnicity", "Ethnic group", "Total (headcount)", "Total (FTE)"],
    "leavers": ["Financial year", "Geocode", "Force name", "Region", "Sex", "Rank description", "Worker type",
                "Leaver type", "Ethnicity", "Ethnic group", "Total (headcount)", "Total (FTE)"],
    "promotions": ["Financial year", "Geocode", "Force name", "Region", "Sex", "Rank promoted to", "Worker type",
                   "Ethnicity", "Ethnic group", "Total (headcount)"],
}
LEAVER_TYPES = ["Normal retirement", "Medical retirement", "Voluntary resignation", "Dismissal",
                "Transfer to another force", "Death", "Other"]
FORCES = {  # name -> (geo code, region), as in the real file
    "Greater Manchester": ("E23000005", "North West"), "London, City of": ("E23000034", "London"),
    "Metropolitan Police": ("E23000001", "London"), "Thames Valley": ("E23000029", "South East"),
    "West Midlands": ("E23000014", "West Midlands"), "West Yorkshire": ("E23000010", "Yorkshire and the Humber"),
}
MET = "Metropolitan Police"
# The real file's order: alphabetical except that Chief Officer comes first.
RANKS = ["Chief Officer", "Chief Inspector", "Chief Superintendent", "Constable", "Inspector", "Sergeant",
         "Superintendent"]
PROMOTED_TO = sorted(["Sergeant", "Inspector", "Chief Inspector", "Superintendent", "Chief Superintendent"])
BAME, EM = "Black, Asian and Minority Ethnic", "Ethnic minority (excluding White minorities)"
OLD_GROUPS = {"Asian or Asian British": BAME, "Black or Black British": BAME, "Mixed": BAME, "White": "White",
              "Chinese or Other Ethnic Group (pre 2021 category)": BAME, "Not stated": "Not stated"}
NEW_GROUPS = {"Asian or Asian British": EM, "Black or Black British": EM, "Mixed": EM, "Other ethnic group": EM,
              "White": "White", "Not stated": "Not stated"}
MINORITY = {k for k, v in {**OLD_GROUPS, **NEW_GROUPS}.items() if v in (BAME, EM)}
# A number: zero excluded (its own spelling per style), thousands grouped, at most 2 decimals without trailing 0.
NUMBER = r"(?:0|[1-9]\d{0,2}(?:,\d{3})*)(?:\.\d?[1-9])?"
OLD_CELL = re.compile(rf" -| {NUMBER} ")
NEW_CELL = re.compile(rf"0|{NUMBER}")


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _records(path: Path) -> list[dict[str, str]]:
    header, *body = _rows(path)
    return [dict(zip(header, r)) for r in body]


def _n(cell: str) -> float:
    s = cell.strip()
    return 0.0 if s == "-" else float(s.replace(",", ""))


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("workforce")
    workforce.generate(out)
    return out


@pytest.fixture(scope="module")
def officers(root) -> list[dict[str, str]]:
    return _records(root / OLD) + _records(root / NEW)


@pytest.fixture(scope="module")
def joiners(root) -> list[dict[str, str]]:
    return _records(root / JOINERS)


@pytest.fixture(scope="module")
def promotions(root) -> list[dict[str, str]]:
    return _records(root / PROMOTIONS)


@pytest.fixture(scope="module")
def leavers(root) -> list[dict[str, str]]:
    return _records(root / LEAVERS)


def _sheet(path: Path, name: str = "Data") -> list[list[object]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes())).get_sheet_by_name(name).to_python()


def _shares(records: list[dict[str, str]]) -> tuple[float, float, float, float]:
    """(headcount, ethnic minority %, Black %, Not stated %): shares of those with a stated ethnicity."""
    total = sum(_n(r["Total (headcount)"]) for r in records)
    not_stated = sum(_n(r["Total (headcount)"]) for r in records if r["Ethnicity"] == "Not stated")
    minority = sum(_n(r["Total (headcount)"]) for r in records if r["Ethnicity"] in MINORITY)
    black = sum(_n(r["Total (headcount)"]) for r in records if r["Ethnicity"] == "Black or Black British")
    stated = total - not_stated
    return total, 100 * minority / stated, 100 * black / stated, 100 * not_stated / total


def _met(records: list[dict[str, str]], year: str, **where: str) -> tuple[float, float, float, float]:
    period = "As at 31 March..." if "As at 31 March..." in records[0] else "Financial year"
    force = "Force Name" if "Force Name" in records[0] else "Force name"
    return _shares([r for r in records if r[force] == MET and r[period] == year
                    and all(r[k] == v for k, v in where.items())])


# --- files, labels, determinism ------------------------------------------------------------------

def test_writes_the_tables_the_workbooks_the_page_and_a_label(tmp_path):
    paths = workforce.generate(tmp_path)
    assert paths == [tmp_path / p for p in (*CSVS, *ODS.values(), PAGE)]
    assert [workforce.OFFICERS_OLD_PATH, workforce.OFFICERS_NEW_PATH, workforce.JOINERS_PATH,
            workforce.PROMOTIONS_PATH, workforce.LEAVERS_PATH] == [Path(p) for p in CSVS]
    assert [workforce.OFFICERS_ODS_PATH, workforce.JOINERS_ODS_PATH, workforce.LEAVERS_ODS_PATH,
            workforce.PROMOTIONS_ODS_PATH] == [workforce.ods_path(t) for t in ODS] == [Path(p) for p in ODS.values()]
    label = (tmp_path / "workforce" / "SYNTHETIC.txt").read_text()
    assert "SYNTHETIC" in label and 'Home Office "Police workforce, England and Wales"' in label
    assert "16.2%" in label and "23%" in label  # says what it is calibrated to
    assert "leavers are NOT calibrated" in label and "1.3" in label and "1.15" in label  # and what it assumes
    assert not any(b"SYNTHETIC" in (tmp_path / p).read_bytes() for p in CSVS)  # the CSVs stay exactly in format
    for table, rel in ODS.items():
        cover = _sheet(tmp_path / rel, "Cover sheet")
        assert cover[0][0] == f"Police workforce open data table: {table}"
        assert cover[1][0] == "SYNTHETIC DATA generated by devdata.workforce: every figure is invented"
        assert CalamineWorkbook.from_filelike(io.BytesIO((tmp_path / rel).read_bytes())).sheet_names == [
            "Cover sheet", "Notes", "Data"]
        notes = _sheet(tmp_path / rel, "Notes")
        assert notes[0] == ["Note number", "Note text"] and len(notes) >= 3


def test_same_seed_same_bytes_and_the_met_calibration_does_not_depend_on_it(root, tmp_path):
    workforce.generate(tmp_path / "again")
    workforce.generate(tmp_path / "seven", seed=7)
    for rel in (*CSVS, *ODS.values()):
        assert (tmp_path / "again" / rel).read_bytes() == (root / rel).read_bytes(), rel
        assert (tmp_path / "seven" / rel).read_bytes() != (root / rel).read_bytes(), rel
    assert (tmp_path / "again" / PAGE).read_bytes() == (root / PAGE).read_bytes()

    def met_cells(base: Path) -> dict[tuple[str, ...], float]:
        cells: dict[tuple[str, ...], float] = defaultdict(float)
        for rel in (OLD, NEW):
            for r in _records(base / rel):
                if r["Force Name"] == MET:
                    cells[r["As at 31 March..."], r["Rank description"], r["Ethnicity"]] += _n(r["Total (headcount)"])
        return cells

    # Sex splits and FTE are noise; the Met's counts by rank and ethnicity are allocated, not drawn.
    assert met_cells(tmp_path / "seven") == met_cells(root)

    def met_leavers(base: Path) -> dict[tuple[str, ...], float]:
        cells: dict[tuple[str, ...], float] = defaultdict(float)
        for r in _records(base / LEAVERS):
            if r["Force name"] == MET:
                cells[r["Financial year"], r["Rank description"], r["Leaver type"], r["Ethnicity"]] += _n(
                    r["Total (headcount)"])
        return cells

    assert met_leavers(tmp_path / "seven") == met_leavers(root)


def test_years_split_at_2021_and_rows_do_not_depend_on_the_range(root, tmp_path):
    paths = workforce.generate(tmp_path, 2019, 2022)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "workforce/officer-rank-2019-2020.csv", "workforce/officer-rank-2021-2022.csv",
        "workforce/joiners-2019-2022.csv", "workforce/promotions-2019-2022.csv", "workforce/leavers-2019-2022.csv",
        *ODS.values(), PAGE]
    short = [r for p in paths[:2] for r in _rows(p)[1:]]
    full = [r for rel in (OLD, NEW) for r in _rows(root / rel)[1:] if "2019" <= r[0] <= "2022"]
    assert short == full
    fys = {r[0] for r in _rows(paths[2])[1:]}
    assert fys == {"2019/20", "2020/21", "2021/22"}
    assert _rows(paths[3])[1:] == [r for r in _rows(root / PROMOTIONS)[1:] if r[0] in fys]
    assert _rows(paths[4])[1:] == [r for r in _rows(root / LEAVERS)[1:] if r[0] in fys]
    assert _sheet(paths[5])[1:] == [r for r in _sheet(root / ODS["officers"])[1:] if 2019 <= r[0] <= 2022]
    assert _sheet(paths[7])[1:] == [r for r in _sheet(root / ODS["leavers"])[1:] if r[0] in fys]
    # One year: one officers file and workbook, no financial year, so no joiners, promotions or leavers.
    one = workforce.generate(tmp_path / "one", 2023, 2023)
    assert [p.name for p in one] == ["officer-rank-2023-2023.csv", "open-data-table-police-workforce-230725.ods",
                                     "police-workforce-open-data-tables.json"]
    assert sorted(p.name for p in (tmp_path / "one" / "workforce").iterdir()) == [
        "SYNTHETIC.txt", "officer-rank-2023-2023.csv", "open-data-table-police-workforce-230725.ods"]
    page = json.loads(one[-1].read_text())
    assert [a["filename"] for a in page["details"]["attachments"]] == ["open-data-table-police-workforce-230725.ods"]
    with pytest.raises(ValueError):
        workforce.generate(tmp_path / "bad", 2025, 2024)


# --- formats -------------------------------------------------------------------------------------

@pytest.mark.parametrize("rel", CSVS)
def test_exact_header_crlf_and_no_final_line_break(root, rel):
    raw = (root / rel).read_bytes()
    assert raw.split(b"\r\n")[0] == HEADERS[rel]
    assert raw.count(b"\n") == raw.count(b"\r\n") == len(_rows(root / rel)) - 1  # CRLF, none after the last row
    assert not raw.endswith(b"\n") and raw.isascii()


def test_old_style_numbers(root):
    raw = (root / OLD).read_bytes()
    cells = [c for r in _rows(root / OLD)[1:] for c in r[9:11]]
    assert len(_rows(root / OLD)[1]) == 11
    assert all(OLD_CELL.fullmatch(c) for c in cells), [c for c in cells if not OLD_CELL.fullmatch(c)][:5]
    assert " -" in cells and " 0 " not in cells  # zero is a space and a dash
    assert any("," in c for c in cells) and b'," 1' in raw  # thousands grouped, so the field is quoted
    assert any("." in c for c in cells)  # fractional FTE
    assert not any("." in r[9] for r in _rows(root / OLD)[1:])  # headcounts are whole


def test_new_style_numbers_and_empty_trailing_cells(root):
    rows = _rows(root / NEW)[1:]
    assert all(len(r) == 13 and r[11:] == ["", ""] for r in rows)
    cells = [c for r in rows for c in r[9:11]]
    assert all(NEW_CELL.fullmatch(c) for c in cells), [c for c in cells if not NEW_CELL.fullmatch(c)][:5]
    assert "0" in cells and " -" not in cells and not any(c != c.strip() for c in cells)  # unpadded
    assert any("," in c for c in cells) and b',"1' in (root / NEW).read_bytes()
    assert any("." in c for c in cells) and not any("." in r[9] for r in rows)


@pytest.mark.parametrize("rel,columns", [(JOINERS, slice(10, 12)), (PROMOTIONS, slice(9, 10)),
                                         (LEAVERS, slice(10, 12))])
def test_joiners_promotions_and_leavers_numbers_in_the_old_style(root, rel, columns):
    cells = [c for r in _rows(root / rel)[1:] for c in r[columns]]
    assert all(OLD_CELL.fullmatch(c) for c in cells)
    assert " -" in cells and " 0 " not in cells and any(c.strip().isdigit() for c in cells)
    assert any("." in c for c in cells) == (rel != PROMOTIONS)  # FTE for joiners and leavers


def _expect_officers(years, sexes, groups, worker):
    return [(str(y), FORCES[f][0], f, FORCES[f][1], s, rank, worker, eth, groups[eth])
            for y in years for f in sorted(FORCES) for s in sexes for rank in RANKS for eth in sorted(groups)]


def test_officers_every_combination_in_the_real_order(root):
    old = [tuple(r[:9]) for r in _rows(root / OLD)[1:]]
    assert old == _expect_officers(range(2007, 2021), ["Female", "Male"], OLD_GROUPS, "Police Officer")
    new = [tuple(r[:9]) for r in _rows(root / NEW)[1:]]
    sexes = ["Female", "Male", "Not stated", "Prefer not to say", "Prefer to self-describe"]
    assert new == _expect_officers(range(2021, 2026), sexes, NEW_GROUPS, "Police officer")


@pytest.mark.parametrize("rel", [JOINERS, PROMOTIONS, LEAVERS])
def test_flows_every_combination_in_order(root, rel):
    expected = []
    for fy in range(2007, 2025):
        new = fy >= 2021
        groups = NEW_GROUPS if new else OLD_GROUPS
        for f in sorted(FORCES):
            for sex in ["Female", "Male"] + (["Not stated"] if new else []):
                head = (f"{fy}/{(fy + 1) % 100:02d}", FORCES[f][0], f, FORCES[f][1], sex)
                if rel == JOINERS:
                    expected += [(*head, "Constable", "Police Officer", t, e, groups[e])
                                 for t in ["New recruit", "Re-joiner", "Transferee"] for e in sorted(groups)]
                elif rel == LEAVERS:
                    expected += [(*head, rank, "Police Officer", t, e, groups[e])
                                 for rank in RANKS for t in LEAVER_TYPES for e in sorted(groups)]
                else:
                    expected += [(*head, rank, "Police Officer", e, groups[e]) for rank in PROMOTED_TO
                                 for e in sorted(groups)]
    width = 9 if rel == PROMOTIONS else 10
    assert [tuple(r[:width]) for r in _rows(root / rel)[1:]] == expected


@pytest.mark.parametrize("rel,fte", [(OLD, True), (NEW, True), (JOINERS, True), (PROMOTIONS, False), (LEAVERS, True)])
def test_counts_whole_and_fte_just_below_headcount(root, rel, fte):
    for r in _records(root / rel):
        h = _n(r["Total (headcount)"])
        assert h >= 0 and h == int(h)
        if fte:
            f = _n(r["Total (FTE)"])
            assert (f == 0) == (h == 0) and 0.92 * h - 0.01 <= f <= 0.99 * h + 0.01, r


def test_rare_sex_categories_a_handful_per_large_force(officers, joiners):
    rare = ("Not stated", "Prefer not to say", "Prefer to self-describe")
    for year in map(str, range(2021, 2026)):
        for category in rare:
            cells = [_n(r["Total (headcount)"]) for r in officers
                     if r["As at 31 March..."] == year and r["Force Name"] == MET and r["Sex"] == category]
            assert sum(cells) <= 15 and sum(c == 0 for c in cells) > 0.9 * len(cells)
        met = sum(_n(r["Total (headcount)"]) for r in officers
                  if r["As at 31 March..."] == year and r["Force Name"] == MET and r["Sex"] in rare)
        assert 1 <= met <= 30
    assert {r["Financial year"] for r in joiners if r["Sex"] == "Not stated"} == {
        f"{fy}/{fy + 1 - 2000}" for fy in range(2021, 2025)}


# --- the Met's calibration -----------------------------------------------------------------------

@pytest.mark.parametrize("year,minority,tolerance", [
    (2007, 8.5, 0.3), (2020, 14.9, 0.2), (2021, 15.6, 0.2), (2022, 16.2, 0.2), (2023, 16.9, 0.2),
    (2024, 17.4, 0.2), (2025, 17.9, 0.2)])
def test_met_officers_ethnic_minority_share(officers, year, minority, tolerance):
    assert _met(officers, str(year))[1] == pytest.approx(minority, abs=tolerance)


def test_met_officers_totals_trend_and_not_stated(officers):
    by_year = {y: _met(officers, str(y)) for y in range(2007, 2026)}
    totals = {y: s[0] for y, s in by_year.items()}
    assert 32_900 <= totals[2022] <= 33_300
    assert totals[2007] == pytest.approx(31_000, rel=0.02) and totals[2020] == pytest.approx(32_500, rel=0.02)
    assert totals[2025] == pytest.approx(34_000, rel=0.02)
    assert min(totals, key=lambda y: totals[y] if y <= 2019 else 1e9) in (2013, 2014, 2015)  # the dip
    assert totals[2014] == pytest.approx(30_000, rel=0.02)
    shares = [s[1] for s in by_year.values()]
    assert all(0 < b - a < 1.0 for a, b in pairwise(shares))  # a smooth rise
    assert all(1.0 <= s[3] <= 2.0 for s in by_year.values())  # Not stated
    assert 3.0 <= by_year[2022][2] <= 3.5  # Black


def test_met_rank_mix_and_lower_shares_higher_up(officers):
    for year in map(str, range(2007, 2026)):
        total = _met(officers, year)[0]
        mix = {rank: _met(officers, year, **{"Rank description": rank})[0] for rank in RANKS}
        assert 25 <= mix.pop("Chief Officer") <= 35
        expected = {"Constable": 78, "Sergeant": 14, "Inspector": 5, "Chief Inspector": 1.5, "Superintendent": 0.7,
                    "Chief Superintendent": 0.3}
        for rank, share in expected.items():
            assert 100 * mix[rank] / total == pytest.approx(share, rel=0.1), (year, rank)
        minority = {rank: _met(officers, year, **{"Rank description": rank})[1] for rank in RANKS}
        assert all(minority["Constable"] > minority[r] for r in RANKS if r != "Constable"), year
        assert all(minority["Inspector"] > minority[r] for r in
                   ("Chief Inspector", "Superintendent", "Chief Superintendent", "Chief Officer")), year


@pytest.mark.parametrize("year,rank,minority,m_tol,black,b_tol", [
    (2022, "Sergeant", 10.0, 0.3, 2.6, 0.2), (2022, "Inspector", 11.4, 0.3, 2.6, 0.3),
    (2025, "Sergeant", 12.0, 0.5, 3.1, 0.3), (2025, "Inspector", 13.0, 0.5, 3.0, 0.3)])
def test_met_sergeants_and_inspectors(officers, year, rank, minority, m_tol, black, b_tol):
    _, m, b, _ = _met(officers, str(year), **{"Rank description": rank})
    assert m == pytest.approx(minority, abs=m_tol) and b == pytest.approx(black, abs=b_tol)


def test_met_new_recruits(joiners):
    def recruits(fy: int) -> tuple[float, float, float, float]:
        return _met(joiners, f"{fy}/{(fy + 1) % 100:02d}", **{"Joiner type": "New recruit"})

    for fy in range(2007, 2025):
        n, m, b, _ = recruits(fy)
        low, high = (1500, 2500) if fy < 2019 else (3500, 4500) if fy <= 2022 else (2000, 3000)
        assert low <= n <= high, fy
        assert m < 40 and b < 8, fy
        if fy < 2019:
            assert 14.5 <= m <= 20.5, fy
    _, m, b, _ = recruits(2021)
    assert m == pytest.approx(23.0, abs=0.5) and b == pytest.approx(4.4, abs=0.3)
    for fy, minority, black in ((2022, 25, 5.0), (2023, 27, 5.5), (2024, 28, 6.0)):
        _, m, b, _ = recruits(fy)
        assert m == pytest.approx(minority, abs=1.0) and b == pytest.approx(black, abs=0.5), fy


@pytest.mark.parametrize("rank,low,high,first,last", [
    ("Sergeant", 500, 700, (9.0, 2.5), (16.0, 4.0)), ("Inspector", 150, 250, (8.0, 2.0), (15.0, 3.5))])
def test_met_promotions(promotions, rank, low, high, first, last):
    by_fy = {fy: _met(promotions, f"{fy}/{(fy + 1) % 100:02d}", **{"Rank promoted to": rank})
             for fy in range(2007, 2025)}
    assert all(low <= s[0] <= high for s in by_fy.values())
    for fy, (minority, black) in ((2007, first), (2024, last)):
        assert by_fy[fy][1] == pytest.approx(minority, abs=1.5) and by_fy[fy][2] == pytest.approx(black, abs=0.6)
    assert by_fy[2024][1] > by_fy[2015][1] > by_fy[2007][1]


def test_met_promotions_to_higher_ranks_a_few_dozen(promotions):
    for rank in ("Chief Inspector", "Superintendent", "Chief Superintendent"):
        for fy in range(2007, 2025):
            assert 3 <= _met(promotions, f"{fy}/{(fy + 1) % 100:02d}", **{"Rank promoted to": rank})[0] <= 80


def test_other_forces_sizes_and_lower_shares(officers):
    sizes = {"West Midlands": 7000, "Greater Manchester": 7000, "West Yorkshire": 5500, "Thames Valley": 4500,
             "London, City of": 800}
    for force, size in sizes.items():
        for year in map(str, range(2007, 2026)):
            total, m, _, _ = _shares([r for r in officers if r["Force Name"] == force and r["As at 31 March..."] == year])
            assert total == pytest.approx(size, rel=0.15), (force, year)
            if force == "West Midlands":
                assert 9.5 <= m <= 14.5
            else:
                assert 3.0 <= m <= 8.5 and m < _met(officers, year)[1], (force, year)


# --- leavers: the Met's leaving rates (synthetic assumptions, see workforce.LEAVER_RATES) -------------

GROUPS = {"White": "white", "Black or Black British": "black", "Not stated": "not_stated"}  # the rest: "other"


def _by_group(records: list[dict[str, str]], period: str, **where: str) -> dict[tuple[str, str], float]:
    """Met headcount by (period, ethnic group: white, black, other (the other ethnic minorities), not_stated)."""
    out: dict[tuple[str, str], float] = defaultdict(float)
    force = "Force Name" if "Force Name" in records[0] else "Force name"
    for r in records:
        if r[force] == MET and all(r[k] == v for k, v in where.items()):
            out[r[period], GROUPS.get(r["Ethnicity"], "other")] += _n(r["Total (headcount)"])
    return out


def _leaving_rates(officers, leavers, **where: str) -> dict[int, dict[str, float]]:
    """fy -> group -> % leaving: leavers in fy/fy+1 over the headcount at 31 March fy, from the two tables."""
    heads, left = _by_group(officers, "As at 31 March..."), _by_group(leavers, "Financial year", **where)
    rates = {}
    for fy in range(2007, 2025):
        label = f"{fy}/{(fy + 1) % 100:02d}"
        rates[fy] = {g: 100 * left[label, g] / heads[str(fy), g] for g in ("white", "black", "other", "not_stated")}
        rates[fy]["all"] = 100 * sum(left[label, g] for g in rates[fy]) / sum(heads[str(fy), g] for g in rates[fy])
    return rates


@pytest.fixture(scope="module")
def leaving(officers, leavers) -> dict[int, dict[str, float]]:
    return _leaving_rates(officers, leavers)


def test_met_about_six_to_eight_percent_leave_each_year(leaving, leavers):
    for fy, rates in leaving.items():
        assert 6.0 <= rates["all"] <= 8.0, fy
        assert rates["not_stated"] == pytest.approx(rates["white"], abs=0.3), fy
    # The White rate is the sum of the per-type rates assumed for the year.
    for fy, white in ((2007, 6.32), (2011, 6.77), (2015, 6.08), (2020, 6.29), (2022, 7.65), (2024, 7.10)):
        assert leaving[fy]["white"] == pytest.approx(white, abs=0.05), fy
    assert leaving[2022]["all"] > leaving[2019]["all"] + 1.0  # the resignations of the 2020s
    total = _met(leavers, "2022/23")[0]
    assert 2_400 <= total <= 2_800


def test_met_black_and_other_minority_officers_leave_faster(leaving):
    for fy, rates in leaving.items():
        assert rates["black"] / rates["white"] == pytest.approx(1.30, abs=0.03), fy
        assert rates["other"] / rates["white"] == pytest.approx(1.15, abs=0.02), fy


def test_met_the_difference_is_mostly_resignations(officers, leavers, leaving):
    by_type = {t: _leaving_rates(officers, leavers, **{"Leaver type": t}) for t in LEAVER_TYPES}
    for fy in range(2007, 2025):
        resign, retire = by_type["Voluntary resignation"][fy], by_type["Normal retirement"][fy]
        assert resign["black"] / resign["white"] >= 1.5 and resign["other"] / resign["white"] >= 1.3, fy
        assert retire["black"] / retire["white"] <= 1.05 and retire["other"] / retire["white"] <= 1.05, fy
        excess = leaving[fy]["black"] - leaving[fy]["white"]
        assert resign["black"] - resign["white"] > 0.5 * excess, fy  # most of the gap
        assert sum(r[fy]["white"] for r in by_type.values()) == pytest.approx(leaving[fy]["white"])


def test_met_leavers_by_rank(leavers):
    cells: dict[tuple[str, ...], float] = defaultdict(float)
    for r in leavers:
        if r["Force name"] == MET:
            cells[r["Financial year"], r["Rank description"], r["Leaver type"]] += _n(r["Total (headcount)"])

    def count(fy: int, **where: str) -> float:
        return cells[f"{fy}/{(fy + 1) % 100:02d}", where["Rank description"], where["Leaver type"]]

    for fy in range(2007, 2025):
        senior = {t: sum(count(fy, **{"Rank description": r, "Leaver type": t})
                         for r in ("Chief Superintendent", "Superintendent", "Chief Officer")) for t in LEAVER_TYPES}
        assert max(senior, key=senior.get) == "Normal retirement", fy
    constables = {t: count(2022, **{"Rank description": "Constable", "Leaver type": t}) for t in LEAVER_TYPES}
    assert max(constables, key=constables.get) == "Voluntary resignation"


def test_other_forces_leave_at_similar_rates(officers, leavers):
    for force in FORCES:
        for fy in range(2007, 2025):
            heads = sum(_n(r["Total (headcount)"]) for r in officers
                        if r["Force Name"] == force and r["As at 31 March..."] == str(fy))
            left = sum(_n(r["Total (headcount)"]) for r in leavers
                       if r["Force name"] == force and r["Financial year"] == f"{fy}/{(fy + 1) % 100:02d}")
            assert 5.5 <= 100 * left / heads <= 8.5, (force, fy)


# --- the ODS workbooks and the GOV.UK page ---------------------------------------------------------

@pytest.fixture(scope="module")
def sheets(root) -> dict[str, list[list[object]]]:
    return {table: _sheet(root / rel) for table, rel in ODS.items()}


@pytest.mark.parametrize("table", list(ODS))
def test_ods_exact_header(sheets, table):
    assert sheets[table][0] == ODS_HEADERS[table]


def _as_ods(row: list[str], period: object, numbers: int) -> list[object]:
    """A CSV row as the workbook has it: the period, the labels, the counts as floats (` -`/`0` as 0.0)."""
    return [period, *row[1:len(row) - numbers], *(_n(c) for c in row[len(row) - numbers:])]


def test_ods_officers_are_the_csv_rows_with_numbers(root, sheets):
    csv_rows = [r[:11] for rel in (OLD, NEW) for r in _rows(root / rel)[1:]]  # without the new style's 2 empty cells
    assert sheets["officers"][1:] == [_as_ods(r, float(r[0]), 2) for r in csv_rows]
    assert {r[0] for r in sheets["officers"][1:]} == {float(y) for y in range(2007, 2026)}  # one Data sheet
    assert {r[4] for r in sheets["officers"][1:] if r[0] == 2020.0} == {"Female", "Male"}  # labels per year
    assert {r[6] for r in sheets["officers"][1:] if r[0] == 2021.0} == {"Police officer"}


@pytest.mark.parametrize("table,rel,numbers", [("joiners", JOINERS, 2), ("promotions", PROMOTIONS, 1),
                                               ("leavers", LEAVERS, 2)])
def test_ods_flows_are_the_csv_rows_with_numbers(root, sheets, table, rel, numbers):
    assert sheets[table][1:] == [_as_ods(r, r[0], numbers) for r in _rows(root / rel)[1:]]
    assert all(isinstance(r[0], str) and re.fullmatch(r"20\d\d/\d\d", r[0]) for r in sheets[table][1:])


def test_ods_met_counts_per_year_equal_the_csvs(officers, joiners, leavers, promotions, sheets):
    def totals(rows, period, force, count) -> dict[object, float]:
        out: dict[object, float] = defaultdict(float)
        for r in rows:
            if r[force] == MET:
                out[r[period]] += r[count] if isinstance(r[count], float) else _n(r[count])
        return dict(out)

    def ods_records(table):
        header, *body = sheets[table]
        return [dict(zip(header, r)) for r in body]

    for count in ("Total (headcount)", "Total (FTE)"):
        ods = totals(ods_records("officers"), "As at 31 March", "Force name", count)
        csv_ = totals(officers, "As at 31 March...", "Force Name", count)
        assert {str(int(y)): pytest.approx(v) for y, v in ods.items()} == csv_
    for table, records in (("joiners", joiners), ("leavers", leavers), ("promotions", promotions)):
        force = "Force name" if table == "leavers" else "Force Name"
        assert totals(ods_records(table), "Financial year", "Force name", "Total (headcount)") == totals(
            records, "Financial year", force, "Total (headcount)"), table


def test_govuk_page_lists_the_four_workbooks(root):
    page = json.loads((root / PAGE).read_text())
    assert page["base_path"] == "/government/statistical-data-sets/police-workforce-open-data-tables"
    assert page["title"] == "Police workforce open data tables"
    assert page["public_updated_at"] == "2025-07-23T09:30:00.000+01:00"
    attachments = page["details"]["attachments"]
    assert [a["title"] for a in attachments] == [f"Police workforce open data table: {t}" for t in ODS]
    for a, rel in zip(attachments, ODS.values()):
        assert a["url"] == "{mirror}/files/" + rel and (root / rel).is_file()
        assert a["filename"] == Path(rel).name and a["file_size"] == (root / rel).stat().st_size > 0
        assert a["content_type"] == "application/vnd.oasis.opendocument.spreadsheet"


# --- the sample and the mirror -------------------------------------------------------------------

def test_the_sample_has_them_labelled_and_described(default_sample, root):
    sample_root, summary = default_sample
    for rel in (OLD, NEW, JOINERS, PROMOTIONS):
        assert rel in (sample_root / "README.md").read_text()
    for rel in (*CSVS, *ODS.values(), PAGE):
        assert (sample_root / rel).read_bytes() == (root / rel).read_bytes()  # seed 2020 both ways
        assert str(sample_root / rel) in summary["paths"]["workforce"]
    assert (sample_root / "workforce" / "SYNTHETIC.txt").read_text() == workforce.LABEL_TEXT
    assert 'Home Office "Police workforce, England and Wales"' in (sample_root / "README.md").read_text()
    assert sample.has_sample(sample_root)


def test_mirror_points_the_workforce_variables_at_every_table(root, tmp_path):
    for rel in (OLD, NEW, JOINERS, PROMOTIONS):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes((root / rel).read_bytes())
    (tmp_path / "workforce" / "officer-rank-from-2003.csv").write_bytes(b"real")  # as in ../shared/data
    (tmp_path / "workforce" / "other.csv").write_bytes(b"not a table")
    with mirror.serve(tmp_path) as srv:
        env = mirror.source_environment(srv)
        assert env["WORKFORCE_URL"] == ",".join(srv.url_for(p) for p in (
            OLD, NEW, "workforce/officer-rank-from-2003.csv"))
        assert env["WORKFORCE_JOINERS_URL"] == srv.url_for(JOINERS)
        assert env["WORKFORCE_PROMOTIONS_URL"] == srv.url_for(PROMOTIONS)
    for rel in (JOINERS, PROMOTIONS):
        (tmp_path / rel).unlink()
    with mirror.serve(tmp_path) as srv:
        env = mirror.source_environment(srv)
        # not pointed at the missing tables (unset, or set empty: not taken)
        assert not env.get("WORKFORCE_JOINERS_URL") and not env.get("WORKFORCE_PROMOTIONS_URL")
        assert env["WORKFORCE_URL"]


# --- against the real extract --------------------------------------------------------------------

@pytest.mark.shared
def test_old_style_matches_the_real_extract(root, shared_data):
    real_path = shared_data / "workforce" / "officer-rank-from-2003.csv"
    real_raw, mine_raw = real_path.read_bytes(), (root / OLD).read_bytes()
    assert real_raw.split(b"\r\n")[0] == mine_raw.split(b"\r\n")[0] == HEADERS[OLD]
    assert not real_raw.endswith(b"\n") and real_raw.count(b"\n") == real_raw.count(b"\r\n")
    real, mine = _rows(real_path)[1:], _rows(root / OLD)[1:]
    for i in range(1, 9):  # codes, names, regions and every label occur in the real file
        assert {r[i] for r in mine} <= {r[i] for r in real}, i
    assert {tuple(r[1:4]) for r in mine} <= {tuple(r[1:4]) for r in real}
    assert {tuple(r[7:9]) for r in mine} == {tuple(r[7:9]) for r in real}
    assert all(OLD_CELL.fullmatch(c) for r in real for c in r[9:11])  # the pattern the sample is held to
    met = [tuple(r[4:8]) for r in real if r[0] == "2003" and r[2] == MET]
    assert [tuple(r[4:8]) for r in mine if r[0] == "2007" and r[2] == MET] == met  # same order within a force
