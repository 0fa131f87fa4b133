"""The SYNTHETIC PAS files: in the published layouts, read by the runtime parsers, deterministic, labelled.

What users rely on: each microdata release has that year's original column
names and the codes of the dbt seeds, the dashboard workbook and its CSV
exports and the neighbourhood file have the real layouts and quirks and are
read by `ingest.pas_microdata`, `ingest.pas_dashboard` and
`ingest.pas_neighbourhood`, the public ward-level files hold the same
interviews as text labels in the published 473-column layout, the London
Datastore catalogue lists what that site publishes, the sources agree with
one another, the same seed gives the same bytes (the xlsx included) and the
files are labelled SYNTHETIC. Checks against the real extracts in ../shared/data carry the
`shared` marker and use the `shared_data` fixture (skips when absent, fails
when CI=true).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest

from devdata import catalogue, pas
from ingest import pas_dashboard, pas_microdata, pas_neighbourhood
from tests.conftest import require_shared_data

SEEDS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
ANSWERS = ["NQ135BD", "Q60", "Q61", "Q62A", "Q62C", "Q62TG"]
EXPECTED_HEADERS = {
    2015: ["SERIAL", "MONTH", "C2", "NQ147r", *ANSWERS],
    2016: ["SERIAL", "MONTH", "C2", "NQ147r", *ANSWERS],
    2017: ["SERIAL", "MONTH", "BOROUGHNEIGHBOURHOODCODED", "NQ147r", *ANSWERS],
    2018: ["SERIAL", "MONTH", "BOROUGHNEIGHBOURHOODCODED", "NQ147r", *ANSWERS, "WT_Discrete"],
    2019: ["SERIAL", "MONTH", "BOROUGHNEIGHBOURHOODCODED", "NQ147r", *ANSWERS, "WT_Discrete"],
    2020: ["SERIAL", "MONTH", "Borough", "ReNQ147", *ANSWERS, "WT_Discrete"],
    2021: ["SERIAL", "MONTH", "Borough", "ReNNQ147", *ANSWERS, "WT_Discrete"],
    2022: ["SERIAL", "MONTH", "Borough", "ReNNQ147", *ANSWERS, "WT_Discrete"],
    2023: ["SERIAL", "MONTH", "Borough", "ReNNQ147", *ANSWERS, "WT_Discrete"],
}
MEASURES = {'"Good Job" local', "Contact ward officer", "Informed local", "Listen to concerns",
            "Relied on to be there", "Treat everyone fairly", "Trust MPS", "Understand issues"}
MONTH_RE = re.compile(r"^FY (\d\d)/(\d\d) - Month (\d\d) \(([A-Z][a-z]{2}) (\d{4})\)$")
CATALOGUE_PATH = catalogue.LONDON_DATASTORE_DIR / "mopac-surveys.json"


@pytest.fixture(scope="module")
def root(default_sample) -> Path:
    """The sample generate() wrote; its PAS files are generate_pas()'s with the same seed."""
    return default_sample[0]


@pytest.fixture(scope="module")
def releases(root) -> dict[int, tuple[list[str], list[list[str]]]]:
    """fy -> (header, rows) of each microdata file, read with the csv module."""
    out = {}
    for fy in range(2015, 2024):
        with (root / pas.microdata_path(fy)).open(newline="", encoding="utf-8") as fh:
            table = list(csv.reader(fh))
        out[fy] = (table[0], table[1:])
    return out


def _codebook(name: str) -> dict[str, dict[int, dict]]:
    """variable -> code -> seed row (rows without a code, the ward-level files' text labels, left out)."""
    with (SEEDS_DIR / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
        book: dict[str, dict[int, dict]] = defaultdict(dict)
        for row in csv.DictReader(fh):
            if row["code"]:
                book[row["variable"]][int(row["code"])] = row
    return book


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _quarter_index(month_text: str) -> int:
    """Global quarter index (0 = Apr-Jun 2015) from MONTH, via its '(Mon YYYY)' part."""
    m = MONTH_RE.match(month_text)
    d = datetime.strptime(f"{m[4]} {m[5]}", "%b %Y")
    return ((d.year - 2015) * 12 + d.month - 4) // 3


@pytest.fixture(scope="module")
def interviews(releases) -> dict[str, np.ndarray]:
    """All releases as arrays: quarter, borough, trust code, weight (1 before 2018-19)."""
    cols = defaultdict(list)
    for fy, (header, rows) in releases.items():
        i = {name: k for k, name in enumerate(header)}
        for r in rows:
            cols["quarter"].append(_quarter_index(r[i["MONTH"]]))
            cols["borough"].append(r[2].split(" - ", 1)[0])
            cols["trust"].append(int(r[i["NQ135BD"]]))
            cols["weight"].append(float(r[i["WT_Discrete"]]) if "WT_Discrete" in i else 1.0)
    return {k: np.array(v) for k, v in cols.items()}


def _rolling_trust(iv: dict[str, np.ndarray], j: int) -> float:
    """Weighted share of codes 1-2 among 1-5 over the four quarters ending at quarter j."""
    sel = (iv["quarter"] > j - 4) & (iv["quarter"] <= j) & (iv["trust"] <= 5)
    w = iv["weight"][sel]
    return float((w * (iv["trust"][sel] <= 2)).sum() / w.sum())


# --- determinism and labels ------------------------------------------------------------

def test_same_seed_gives_byte_identical_files_including_the_workbook(root, tmp_path):
    pas.generate_pas(tmp_path / "same")
    pas.generate_pas(tmp_path / "other", seed=7)
    catalogue = str(CATALOGUE_PATH)
    first = {k: v for k, v in _hashes(root).items() if k.startswith(f"{pas.PAS_DIR}/") or k == catalogue}
    again, other = _hashes(tmp_path / "same"), _hashes(tmp_path / "other")
    # 9 releases, the workbook, 2 CSV exports, the neighbourhood file, the label, 5 ward-level files, the catalogue
    assert str(pas.WORKBOOK_PATH) in first and catalogue in first and len(first) == 20
    assert {k: again[k] for k in first} == first
    changed = {k for k in first if first[k] != other[k]}
    assert changed == set(first) - {str(pas.LABEL_PATH), catalogue}  # the catalogue lists names and dates only


def test_workbook_bytes_do_not_depend_on_the_clock(root):
    """openpyxl stamps entries and properties with the time of saving; the sample pins both."""
    with zipfile.ZipFile(root / pas.WORKBOOK_PATH) as z:
        assert {i.date_time for i in z.infolist()} == {pas.WORKBOOK_TIMESTAMP.timetuple()[:6]}
        core = z.read("docProps/core.xml").decode()
    assert "2024-02-29T09:00:00Z" in core and "SYNTHETIC" in core


def test_labels_and_readme_section(root, default_sample):
    _, summary = default_sample
    label = (root / pas.LABEL_PATH).read_text()
    assert "SYNTHETIC" in label and "ward_level/" in label and "left empty" in label
    readme = (root / "README.md").read_text()
    assert readme.startswith("# SYNTHETIC offline sample")  # sample.generate()'s part first, then PAS
    assert readme.count(pas.README_MARKER) == 1
    section = readme[readme.index(pas.README_MARKER):]
    assert str(pas.ward_level_path((2015, 2016))) in section and str(CATALOGUE_PATH) in section
    assert "EMPTY" in section and "WT_Q41" in section  # says which columns are left empty
    for fy in range(2015, 2024):
        assert b"SYNTHETIC" not in (root / pas.microdata_path(fy)).read_bytes()[:2000]
    written = [str(p.relative_to(root)) for p in (root / pas.PAS_DIR).rglob("*") if p.is_file()]
    assert sorted(summary["pas"]["files"]) == sorted(written + [str(CATALOGUE_PATH)])
    assert summary["pas"]["paths"]["ward_level"] == [str(root / pas.ward_level_path(f)) for f in pas.WARD_LEVEL_RELEASES]
    assert summary["pas"]["paths"]["catalogue"] == str(root / CATALOGUE_PATH)


# --- microdata ---------------------------------------------------------------------------

def test_headers_per_year_are_the_original_names(releases, root):
    assert sorted(p.name for p in (root / pas.MICRODATA_DIR).glob("*.csv")) == [
        f"PAS_microdata_FY{fy}-{(fy + 1) % 100:02d}.csv" for fy in range(2015, 2024)]
    for fy, (header, _) in releases.items():
        assert header == EXPECTED_HEADERS[fy], fy


def test_every_release_parses_with_the_runtime_parser(root):
    for fy in range(2015, 2024):
        path = root / pas.microdata_path(fy)
        (batch,) = pas_microdata.parse_file(path.read_bytes(), path.name)
        frame = batch.frame
        assert batch.period == f"{fy}-{(fy + 1) % 100:02d}"
        assert frame[list(pas_microdata.ETHNICITY)].notna().sum(axis=1).eq(1).all()
        assert frame["wt_discrete"].notna().all() == (fy >= 2018) and frame["wt_discrete"].notna().any() == (fy >= 2018)


def test_serials_unique_and_months_in_their_financial_year(releases):
    serials = [r[0] for _, rows in releases.values() for r in rows]
    assert len(serials) == len(set(serials))
    assert all(re.fullmatch(r"[1-9]\d{7}", s) for s in serials)
    for fy, (_, rows) in releases.items():
        months = Counter(r[1] for r in rows)
        assert len(months) == 12 and all(MONTH_RE.match(m) for m in months), fy
        assert {pas_microdata.financial_year(m) for m in months} == {f"{fy}-{(fy + 1) % 100:02d}"}
        assert "FY 15/16 - Month 01 (Apr 2015)" in months or fy != 2015


def test_codes_within_the_codebooks(releases):
    answers, ethnicity = _codebook("pas_answer_codes"), _codebook("pas_ethnicity_codes")
    for fy, (header, rows) in releases.items():
        i = {name: k for k, name in enumerate(header)}
        for var in ANSWERS:
            codes = {int(r[i[var]]) for r in rows}
            assert codes == set(answers[var.lower()]) == set(range(1, 8)), (fy, var)  # 6/7: don't know, refused
        eth = header[3]
        codes = Counter(int(r[3]) for r in rows)
        assert set(codes) <= set(ethnicity[eth.lower()]), (fy, eth)
        # Roma (ReNNQ147 code 4) exist only in the 2021 frame; in NQ147r code 4 is "Any other White".
        labels = {ethnicity[eth.lower()][c]["label"] for c in codes}
        assert ("White Roma" in labels) == (eth == "ReNNQ147")


def test_internal_frames_agree_with_the_codebook():
    """Each internal category lands on a code of the same broad group in every frame of the dbt seed."""
    book = _codebook("pas_ethnicity_codes")
    for var, codes in (("nq147r", pas.CODES_2011), ("renq147", pas.CODES_2011), ("rennq147", pas.CODES_2021)):
        for name, broad, code in zip(pas.ETHNICITIES, pas.BROAD, codes):
            assert book[var][int(code)]["ethnic_group"] == broad, (var, name, code)
    african = pas.ETHNICITIES.index("black_african")
    assert book["rennq147"][int(pas.CODES_2021[african])]["label"] == "Black African"  # code 15
    assert book["nq147r"][int(pas.CODES_2011[african])]["label"] == "Black African"  # code 14


def test_boroughs_spelt_as_mopac_writes_them(interviews):
    names = set(interviews["borough"].tolist())
    assert len(names) == 32 and "City of London" not in names  # the PAS does not cover the City
    assert {"City of Westminster", "Richmond Upon Thames"} <= names and "Westminster" not in names


def test_weights_only_from_2018_19_as_six_decimal_text(releases):
    for fy, (header, rows) in releases.items():
        assert ("WT_Discrete" in header) == (fy >= 2018)
        if fy >= 2018:
            assert all(re.fullmatch(r"\d+\.\d{6}", r[-1]) and float(r[-1]) > 0 for r in rows)


# --- dashboard workbook and CSV exports ---------------------------------------------------------

def test_workbook_sheets_headers_and_cells(root):
    import openpyxl

    book = openpyxl.load_workbook(root / pas.WORKBOOK_PATH, read_only=True)
    assert book.sheetnames == ["MPS", "Borough"]
    mps = list(book["MPS"].iter_rows(values_only=True))
    boroughs = list(book["Borough"].iter_rows(values_only=True))
    book.close()
    assert list(mps[0]) == ["Date", "Survey", "Borough", "Measure", "Proportion"]
    assert list(boroughs[0]) == ["Date", "Survey", "Borough", "Measure", "Proportion", "MPS"]
    for rows in (mps[1:], boroughs[1:]):
        assert all(isinstance(r[0], datetime) for r in rows)  # real Excel dates, not text
        assert {r[1] for r in rows} == {"PAS"} and {r[3] for r in rows} == MEASURES
        assert all(0 <= r[4] <= 1 and round(r[4], 2) == r[4] for r in rows)
    dates = [r[0].date() for r in mps[1:]]
    assert len(set(dates)) == 37 and min(dates) == date(2014, 12, 31) and max(dates) == date(2023, 12, 31)
    assert dates != sorted(dates)  # like the real sheet: the Trust MPS block breaks date order
    assert min(r[0].date() for r in mps[1:] if r[3] == "Trust MPS") == date(2016, 3, 31)
    assert {r[2] for r in mps[1:]} == {"MPS"}
    assert len(mps) - 1 == 7 * 37 + 32 and len(boroughs) - 1 == 32 * (7 * 37 + 32)
    london = {(r[0], r[3]): r[4] for r in mps[1:]}
    assert all(r[5] == london[(r[0], r[3])] for r in boroughs[1:])
    assert set(Counter((r[0], r[3]) for r in boroughs[1:]).values()) == {32}
    # MOPAC's spellings; the real sheet switches to "Richmond Upon Thames" in 2023
    richmond = {(r[0].date() >= date(2023, 6, 30), r[2]) for r in boroughs[1:] if r[2].lower() == "richmond upon thames"}
    assert richmond == {(False, "Richmond upon Thames"), (True, "Richmond Upon Thames")}
    assert "City of Westminster" in {r[2] for r in boroughs[1:]}


def test_workbook_parses_and_agrees_with_the_microdata(root, interviews):
    """The dashboard's Trust MPS is the microdata's weighted rolling-12-month share, rounded."""
    sheets = pas_dashboard.parse_sheets((root / pas.WORKBOOK_PATH).read_bytes(), pas.WORKBOOK_PATH.name)
    assert set(sheets) == {"MPS", "Borough"}
    assert set(sheets["MPS"]["source_format"]) == {"xlsx"}
    trust = sheets["MPS"][sheets["MPS"]["measure"] == "Trust MPS"].set_index("quarter_end")["proportion"]
    for j in range(3, 35):
        assert trust[pas.quarter_end(j)] == pytest.approx(_rolling_trust(interviews, j), abs=0.0051)


def test_csv_exports_semicolons_decimal_commas_and_real_quoting(root):
    book = pas_dashboard.parse_sheets((root / pas.WORKBOOK_PATH).read_bytes(), pas.WORKBOOK_PATH.name)
    for path, sheet, width in ((pas.MPS_CSV_PATH, "MPS", 5), (pas.BOROUGH_CSV_PATH, "Borough", 6)):
        content = (root / path).read_bytes()
        text = content.decode("utf-8")
        assert not content.startswith(b"\xef\xbb\xbf") and text.endswith("\r\n")
        lines = text.split("\r\n")[:-1]
        assert lines[0] == ";".join(["Date", "Survey", "Borough", "Measure", "Proportion", "MPS"][:width])
        assert any(';"""Good Job"" local";' in line for line in lines)
        for rec in csv.reader(io.StringIO(text, newline=""), delimiter=";"):
            if rec[0] == "Date":
                continue
            assert len(rec) == width and re.fullmatch(r"\d\d/\d\d/\d{4}", rec[0])
            assert all(re.fullmatch(r"[01]|0,\d{1,2}", v) for v in rec[4:]), rec
        frame = pas_dashboard.parse_sheets(content, path.name)[sheet]
        assert set(frame["source_format"]) == {"csv"}
        assert frame["proportion"].tolist() == book[sheet]["proportion"].tolist()
        assert frame["quarter_end"].tolist() == book[sheet]["quarter_end"].tolist()


# --- neighbourhood indicators ------------------------------------------------------------------

def test_neighbourhood_file_bom_three_header_rows_and_blanks(root):
    content = (root / pas.NEIGHBOURHOOD_PATH).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf") and b"\r\n" not in content
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    questions, groups, definitions, data = table[0], table[1], table[2], table[3:]
    assert questions[0] == "neighbourhood" and groups[0] == definitions[0] == ""
    assert groups[1:] == ["White British"] * 4 + ["Asian"] * 4 + ["Black"] * 4
    ons = {r["borough_name"] for r in csv.DictReader((SEEDS_DIR / "london_boroughs.csv").open(newline=""))}
    assert all(r[0].split(" - ", 1)[0] in ons and " - " in r[0] for r in data)  # ONS names here, unlike MOPAC's
    cells = [c for r in data for c in r[1:]]
    assert all(c == "" or 1 <= int(c) <= 99 for c in cells)
    assert "" in cells and any(all(c == "" for c in r[1:]) for r in data)  # suppressed cells, whole small areas
    frame = pas_neighbourhood.parse_indicators(content)
    assert len(frame) == len(cells)
    assert frame["percentage"].isna().sum() == cells.count("") and (frame["percentage"] == 0).sum() == 0
    assert pas_neighbourhood.period_of(pas.NEIGHBOURHOOD_PATH.name) == "2015-16_to_2020-21"


# --- public ward-level files and the London Datastore catalogue --------------------------------

AGREE = ["Strongly agree", "Tend to agree", "Neither agree nor disagree", "Tend to disagree", "Strongly disagree",
         "Don't know"]
RATING = ["Excellent", "Good", "Fair", "Poor", "Very poor", "Don't know"]
SCALE = {"NQ135BD": AGREE, "Q62A": AGREE, "Q62C": AGREE, "Q62TG": AGREE, "Q60": RATING, "Q61": RATING}
NOT_ASKED = {(2015, 2016): "Not Asked", (2017,): "Not asked", (2018,): "Not asked", (2019,): "-", (2020,): "-"}
ETHNIC_LABELS = {"White British", "White Other", "Mixed", "Asian", "Black", "Other", "Prefer not to say"}
WARD_FILES = {(2015, 2016): "PAS_ward_level_FY_15_17.csv", (2017,): "PAS_ward_level_FY_17_18.csv",
              (2018,): "PAS_ward_level_FY_18_19.csv", (2019,): "PAS_ward_level_FY_19_20.csv",
              (2020,): "PAS_ward_level_FY_20_21.csv"}
# The columns the files fill, per file: the index, then the named ones (all others empty).
WARD_FILLED = {
    (2015, 2016): ["interview_date", "MONTH", "FinancialYear", "BOROUGHNEIGHBOURHOOD", "quarter", "C2", "NQ147r"],
    **{(fy,): ["interview_date", "MONTH", "FinancialYear", "quarter", "BOROUGHNEIGHBOURHOODCODED", "NQ147r"]
       for fy in (2017, 2018, 2019)},
    (2020,): ["interview_date", "MONTH", "FinancialYear", "quarter", "Borough", "ReNQ147"],
}
# Borough spellings of the ward-level files (ONS names otherwise).
WARD_SPELLINGS = {"Kensington and Chelsea": "Kensington & Chelsea", "Barking and Dagenham": "Barking & Dagenham",
                  "Hammersmith and Fulham": "Hammersmith & Fulham", "Richmond upon Thames": "Richmond Upon Thames"}


@pytest.fixture(scope="module")
def ward_level(root) -> dict[tuple[int, ...], dict]:
    """fys -> header, row widths, non-empty cells per row (counted) and the filled columns by name, read
    with the csv module (only the filled columns are kept: 473 cells a row would take too much memory)."""
    out = {}
    for fys, name in WARD_FILES.items():
        wanted = ["", *WARD_FILLED[fys], *ANSWERS]
        with (root / pas.WARD_LEVEL_DIR / name).open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            keep = [header.index(c) for c in wanted]
            widths, non_empty, kept = Counter(), Counter(), []
            for r in reader:
                widths[len(r)] += 1
                non_empty[sum(map(bool, r))] += 1
                kept.append([r[i] for i in keep])
        out[fys] = {"header": header, "widths": widths, "non_empty": non_empty,
                    "columns": dict(zip(wanted, map(list, zip(*kept))))}
    return out


def test_ward_level_file_names_and_paths(root, default_sample):
    assert [pas.ward_level_path(fys) for fys in pas.WARD_LEVEL_RELEASES] == [
        Path("pas/ward_level") / name for name in WARD_FILES.values()]
    assert sorted(p.name for p in (root / pas.WARD_LEVEL_DIR).iterdir()) == sorted(WARD_FILES.values())
    rows = default_sample[1]["pas"]["ward_level_rows"]
    assert list(rows) == list(WARD_FILES.values())


def test_ward_level_headers_derived_from_the_15_17_header(ward_level):
    published = list(pas.WARD_LEVEL_HEADER_15_17)
    assert len(published) == 473 and len(set(published)) == 473 and published[0] == ""
    assert "SERIAL" not in published and "WT_Discrete" not in published  # no serial, no general weight
    for fys, got in ward_level.items():
        header = got["header"]
        assert header == pas.ward_level_header(fys) and len(header) == 473
        renamed = {(a, b) for a, b in zip(published, header) if a != b}
        expected = {(2015,): set(), (2020,): {("C2", "Borough"), ("NQ147r", "ReNQ147")}}.get(
            fys[:1], {("C2", "BOROUGHNEIGHBOURHOODCODED")})
        assert renamed == expected, fys


def test_ward_level_bytes_are_what_pandas_to_csv_writes(root):
    """UTF-8 without BOM, LF, an empty first header cell; a frame read back and written with
    `to_csv` (index included) gives the same bytes."""
    import pandas as pd

    for name in WARD_FILES.values():
        content = (root / pas.WARD_LEVEL_DIR / name).read_bytes()
        assert not content.startswith(b"\xef\xbb\xbf") and b"\r" not in content and content.endswith(b"\n")
        assert content.startswith(b",interview_date,MONTH,FinancialYear,")
        if name.endswith("_20_21.csv"):  # one file is enough for the round trip (each takes a second)
            frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False, index_col=0)
            frame.index = frame.index.astype(int)
            assert frame.index.name is None and frame.to_csv(lineterminator="\n").encode("utf-8") == content


def test_ward_level_files_parse_with_the_runtime_parser(root, releases):
    """One batch per financial year (two from the 15-17 file), every interview, no weight, 473 columns."""
    for fys, name in WARD_FILES.items():
        path = root / pas.WARD_LEVEL_DIR / name
        batches = pas_microdata.parse_file(path.read_bytes(), name)
        assert [b.period for b in batches] == [pas.fy_label(fy) for fy in fys]
        assert [len(b.frame) for b in batches] == [len(releases[fy][1]) for fy in fys]
        for b in batches:
            assert b.frame["wt_discrete"].isna().all() and b.frame["serial"].isna().all()
            assert b.lineage["columns"] == 473


def test_ward_level_rows_index_dates_and_only_the_read_columns_filled(ward_level):
    for fys, got in ward_level.items():
        cols, n = got["columns"], len(got["columns"][""])
        assert got["widths"] == {473: n}
        assert cols[""] == [str(i) for i in range(n)]  # the pandas index, 0..n-1 within the file
        assert got["non_empty"] == {1 + len(WARD_FILLED[fys]) + len(ANSWERS): n}  # every other cell empty
        assert all(cols[c].count("") == 0 for c in cols), fys
        for when, month, fy, quarter in zip(cols["interview_date"], cols["MONTH"], cols["FinancialYear"],
                                            cols["quarter"]):
            m = MONTH_RE.match(month)
            d = datetime.strptime(when, "%d/%m/%Y")
            assert re.fullmatch(r"\d\d/\d\d/\d{4}", when) and d.strftime("%b %Y") == f"{m[4]} {m[5]}"
            assert fy == f"{m[1]}-{m[2]}" and quarter == str((int(m[3]) - 1) // 3 + 1)
        # 15-17 holds two financial years, the others one each
        assert set(cols["FinancialYear"]) == {f"{fy % 100:02d}-{(fy + 1) % 100:02d}" for fy in fys}
        assert len(set(cols["MONTH"])) == 12 * len(fys) and Counter(cols["quarter"]).keys() == {"1", "2", "3", "4"}


def test_ward_level_rows_are_the_coded_files_interviews(ward_level, releases):
    """Same interviews, same order: row counts per year, and each row's answers are the coded row's labels."""
    for fys, got in ward_level.items():
        cols = got["columns"]
        per_year = Counter(cols["FinancialYear"])
        assert [per_year[f"{fy % 100:02d}-{(fy + 1) % 100:02d}"] for fy in fys] == [len(releases[fy][1]) for fy in fys]
        coded = [r for fy in fys for r in releases[fy][1]]
        header = releases[fys[0]][0]
        assert cols["MONTH"] == [r[1] for r in coded]
        for var in ANSWERS:
            labels = [*SCALE[var], NOT_ASKED[fys]]
            assert cols[var] == [labels[int(r[header.index(var)]) - 1] for r in coded], (fys, var)


def test_ward_level_labels_only_from_the_published_lists(ward_level):
    for fys, got in ward_level.items():
        cols = got["columns"]
        for var in ANSWERS:
            assert set(cols[var]) == {*SCALE[var], NOT_ASKED[fys]}, (fys, var)
        ethnicity = WARD_FILLED[fys][-1]
        assert set(cols[ethnicity]) == ETHNIC_LABELS, fys
    assert {"Not Asked", "Not asked", "-"} == set(NOT_ASKED.values())  # the real files vary like this


def test_ward_level_borough_spellings(ward_level):
    ons = [b.ons_name for b in pas.PAS_BOROUGHS]
    expected = {WARD_SPELLINGS.get(name, name) for name in ons}
    assert {"Westminster", "Kensington & Chelsea", "Richmond Upon Thames"} <= expected and len(expected) == 32
    for fys, got in ward_level.items():
        cols = got["columns"]
        borough = {(2015,): "C2", (2020,): "Borough"}.get(fys[:1], "BOROUGHNEIGHBOURHOODCODED")
        place = {(2015,): "BOROUGHNEIGHBOURHOOD", (2020,): None}.get(fys[:1], "BOROUGHNEIGHBOURHOODCODED")
        if borough != place:
            assert set(cols[borough]) == expected, fys
        if place is not None:
            split = [v.split(" - ", 1) for v in cols[place]]
            assert all(len(s) == 2 and s[1] for s in split)
            assert {s[0] for s in split} == expected, fys
            if borough != place:  # 15-17: the neighbourhood's borough is C2's
                assert [s[0] for s in split] == cols[borough]


def _trust_gap_counts(groups: list[str], answers: list[str]) -> tuple[int, int, int, int]:
    """(White positive, White valid, Black positive, Black valid), unweighted: positive among codes 1-5."""
    counts = Counter()
    for group, answer in zip(groups, answers):
        if group in ("White", "Black") and answer in ("positive", "valid"):
            counts[(group, "valid")] += 1
            counts[(group, "positive")] += answer == "positive"
    return counts[("White", "positive")], counts[("White", "valid")], counts[("Black", "positive")], counts[
        ("Black", "valid")]


def test_white_black_trust_gap_2016_17_same_from_the_ward_level_file_and_the_coded_file(root):
    """Recomputed from each file with the csv module: the text labels and the codes give the same gap."""
    with (root / pas.ward_level_path((2015, 2016))).open(newline="", encoding="utf-8") as fh:
        text = [r for r in csv.DictReader(fh) if r["FinancialYear"] == "16-17"]
    text_group = {"White British": "White", "White Other": "White", "Black": "Black"}
    text_answer = {"Strongly agree": "positive", "Tend to agree": "positive", "Neither agree nor disagree": "valid",
                   "Tend to disagree": "valid", "Strongly disagree": "valid"}
    from_text = _trust_gap_counts([text_group.get(r["NQ147r"], "") for r in text],
                                  [text_answer.get(r["NQ135BD"], "") for r in text])

    book = _codebook("pas_ethnicity_codes")["nq147r"]
    with (root / pas.microdata_path(2016)).open(newline="", encoding="utf-8") as fh:
        coded = list(csv.DictReader(fh))
    code_answer = {1: "positive", 2: "positive", 3: "valid", 4: "valid", 5: "valid"}
    from_codes = _trust_gap_counts([book[int(r["NQ147r"])]["ethnic_group"] for r in coded],
                                   [code_answer.get(int(r["NQ135BD"]), "") for r in coded])

    assert len(text) == len(coded) and from_text == from_codes
    white_pos, white_n, black_pos, black_n = from_text
    gap = 100 * (white_pos / white_n - black_pos / black_n)
    assert 5 < gap < 20  # 2016-17 sits between the 2016 and 2017 targets (12, 13 points, weighted), with noise


def test_london_datastore_catalogue_lists_what_the_datastore_publishes(root):
    answer = json.loads((root / CATALOGUE_PATH).read_text(encoding="utf-8"))
    assert answer["success"] is True and answer["result"]["name"] == "mopac-surveys"
    assert answer["result"]["title"] == "MOPAC Surveys"
    resources = answer["result"]["resources"]
    assert [r["name"] for r in resources] == [pas.WORKBOOK_PATH.name, pas.NEIGHBOURHOOD_PATH.name,
                                              *WARD_FILES.values()]
    for r in resources:
        assert r["url"].startswith(catalogue.MIRROR + "/files/")
        relpath = unquote(r["url"][len(catalogue.MIRROR + "/files/"):])
        assert (root / relpath).is_file() and Path(relpath).name == r["name"]
        assert datetime.fromisoformat(r["last_modified"]).year >= 2018
        assert r["format"] == Path(relpath).suffix.lstrip(".").upper()
    released = {r["name"]: r["last_modified"] for r in resources}
    assert released["PAS_ward_level_FY_15_17.csv"] == "2018-07-02T10:00:00"
    assert released[pas.WORKBOOK_PATH.name] == "2024-02-29T09:00:00"
    ward_dates = [released[name] for name in WARD_FILES.values()]
    assert ward_dates == sorted(ward_dates) and len({d[:4] for d in ward_dates}) == 5  # about a year apart
    # not on the Datastore: the sheets' CSV exports, the coded microdata
    listed = " ".join(r["url"] for r in resources)
    assert "microdata" not in listed and pas.MPS_CSV_PATH.name not in listed and "dashboard_borough" not in listed


# --- against the real extracts -----------------------------------------------------------------

def _real_sheet(shared_data: Path, name: str):
    return pas_dashboard.parse_sheets((shared_data / "pas" / name).read_bytes(), name)


@pytest.mark.shared
def test_trust_targets_are_the_published_series(shared_data):
    """The hand-transcribed calibration targets are the real MPS sheet's Trust MPS series."""
    real = _real_sheet(shared_data, "pas_dashboard_mps_sheet.csv")["MPS"]
    trust = real[real["measure"] == "Trust MPS"].set_index("quarter_end")["proportion"].to_dict()
    assert {d: pytest.approx(v) for d, v in pas.TRUST_TARGETS.items()} == trust


@pytest.mark.shared
def test_synthetic_sheets_have_the_real_layout(shared_data, root):
    for name, sheet in (("pas_dashboard_mps_sheet.csv", "MPS"), ("pas_dashboard_borough_sheet.csv", "Borough")):
        real_bytes = (shared_data / "pas" / name).read_bytes()
        ours_bytes = (root / pas.PAS_DIR / name).read_bytes()
        assert ours_bytes.split(b"\r\n", 1)[0] == real_bytes.split(b"\r\n", 1)[0]
        real = _real_sheet(shared_data, name)[sheet]
        ours = pas_dashboard.parse_sheets(ours_bytes, name)[sheet]
        # same rows in the same (not date-sorted) order, same borough spellings
        assert list(zip(real["quarter_end"], real["measure"], real["borough"])) == list(
            zip(ours["quarter_end"], ours["measure"], ours["borough"]))
        if sheet == "MPS":
            diff = (ours["proportion"].astype(float) - real["proportion"].astype(float)).abs()
            assert diff.max() <= 0.06  # synthetic, but London levels close to the published ones


@pytest.mark.shared
def test_microdata_boroughs_are_spelt_as_in_the_real_borough_sheet(shared_data, interviews):
    real = set(_real_sheet(shared_data, "pas_dashboard_borough_sheet.csv")["Borough"]["borough"])
    assert set(interviews["borough"].tolist()) <= real


@pytest.mark.shared
def test_neighbourhood_header_rows_as_in_the_real_file(shared_data, root):
    def header(path: Path) -> list[list[str]]:
        return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))[:3]

    assert header(root / pas.NEIGHBOURHOOD_PATH) == header(shared_data / pas.NEIGHBOURHOOD_PATH)


@pytest.mark.shared
def test_ward_level_15_17_header_is_the_published_one(root):
    """The embedded header equals the real file's, line by line (its `Unnamed: 0` is pandas' name for the
    empty first cell), and so does the synthetic file's first row."""
    shared = require_shared_data()
    lines = (shared / "pas" / "pas_ward_level_FY_15_17_header.txt").read_text(encoding="utf-8").splitlines()
    real = ["" if name == "Unnamed: 0" else name for name in lines]
    assert len(real) == 473 and lines[0] == "Unnamed: 0"
    assert list(pas.WARD_LEVEL_HEADER_15_17) == real
    with (root / pas.ward_level_path((2015, 2016))).open(newline="", encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == real
