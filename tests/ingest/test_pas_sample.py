"""The SYNTHETIC PAS files: deterministic, in the published layouts, with the codebooks'
codes, realistic volumes and weights, and London trust calibrated to the published series.

Checks against the real extracts in ../shared/data carry the `shared` marker and use
the `shared_data` fixture (skips when absent, fails when CI=true). Calibration is
recomputed here from the written files, not taken from generate_pas()'s summary.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

from ingest import pas, pas_sample, sample

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


@pytest.fixture(scope="module")
def pas_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("pas_sample")
    return out, pas_sample.generate_pas(out)


@pytest.fixture(scope="module")
def releases(pas_out) -> dict[int, tuple[list[str], list[list[str]]]]:
    """fy -> (header, rows) of each microdata file, read with the csv module."""
    root, _ = pas_out
    out = {}
    for fy in range(2015, 2024):
        with (root / pas_sample.microdata_path(fy)).open(newline="", encoding="utf-8") as fh:
            table = list(csv.reader(fh))
        out[fy] = (table[0], table[1:])
    return out


def _codebook(name: str) -> dict[str, dict[int, dict]]:
    with (SEEDS_DIR / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
        book: dict[str, dict[int, dict]] = defaultdict(dict)
        for row in csv.DictReader(fh):
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
    """All releases as arrays: quarter, borough, broad group, trust code, weight (1 before 2018-19)."""
    groups = {var: {code: row["ethnic_group"] for code, row in codes.items()}
              for var, codes in _codebook("pas_ethnicity_codes").items()}
    cols = defaultdict(list)
    for fy, (header, rows) in releases.items():
        i = {name: k for k, name in enumerate(header)}
        eth_col = header[3]
        for r in rows:
            cols["quarter"].append(_quarter_index(r[i["MONTH"]]))
            cols["borough"].append(r[2].split(" - ", 1)[0])
            cols["group"].append(groups[eth_col.lower()][int(r[3])])
            cols["trust"].append(int(r[i["NQ135BD"]]))
            cols["q62c"].append(int(r[i["Q62C"]]))
            cols["weight"].append(float(r[i["WT_Discrete"]]) if "WT_Discrete" in i else 1.0)
    return {k: np.array(v) for k, v in cols.items()}


def _rolling_trust(iv: dict[str, np.ndarray], j: int, mask: np.ndarray | None = None) -> float:
    """Weighted share of codes 1-2 among 1-5 over the four quarters ending at quarter j."""
    sel = (iv["quarter"] > j - 4) & (iv["quarter"] <= j) & (iv["trust"] <= 5)
    if mask is not None:
        sel &= mask
    w = iv["weight"][sel]
    return float((w * (iv["trust"][sel] <= 2)).sum() / w.sum())


def _gap(iv: dict[str, np.ndarray], j: int) -> float:
    return 100 * (_rolling_trust(iv, j, iv["group"] == "White") - _rolling_trust(iv, j, iv["group"] == "Black"))


# --- determinism ---------------------------------------------------------------------

def test_same_seed_gives_byte_identical_files_including_the_workbook(pas_out, tmp_path):
    root, _ = pas_out
    pas_sample.generate_pas(tmp_path / "same")
    pas_sample.generate_pas(tmp_path / "other", seed=7)
    first, again, other = _hashes(root), _hashes(tmp_path / "same"), _hashes(tmp_path / "other")
    # 9 releases, the workbook, 2 CSV exports, the neighbourhood file, the label, README.md
    assert str(pas_sample.WORKBOOK_PATH) in first and len(first) == 15
    assert first == again
    changed = {k for k in first if first[k] != other[k]}
    assert changed == set(first) - {str(pas_sample.LABEL_PATH)}


def test_workbook_bytes_do_not_depend_on_the_clock(pas_out):
    """openpyxl stamps entries and properties with the time of saving; the sample pins both."""
    import zipfile

    root, _ = pas_out
    with zipfile.ZipFile(root / pas_sample.WORKBOOK_PATH) as z:
        assert {i.date_time for i in z.infolist()} == {pas_sample.WORKBOOK_TIMESTAMP.timetuple()[:6]}
        core = z.read("docProps/core.xml").decode()
    assert "2024-02-29T09:00:00Z" in core and "SYNTHETIC" in core


# --- microdata layout ---------------------------------------------------------------------

def test_headers_per_year_are_the_original_names(releases, pas_out):
    root, _ = pas_out
    assert sorted(p.name for p in (root / pas_sample.MICRODATA_DIR).glob("*.csv")) == [
        f"PAS_microdata_FY{fy}-{(fy + 1) % 100:02d}.csv" for fy in range(2015, 2024)]
    for fy, (header, _) in releases.items():
        assert header == EXPECTED_HEADERS[fy], fy
        assert pas_sample.microdata_header(fy) == EXPECTED_HEADERS[fy]


def test_serials_unique_and_months_in_their_financial_year(releases):
    serials = [r[0] for _, rows in releases.values() for r in rows]
    assert len(serials) == len(set(serials))
    assert all(re.fullmatch(r"[1-9]\d{7}", s) for s in serials)
    for fy, (_, rows) in releases.items():
        months = Counter(r[1] for r in rows)
        assert len(months) == 12 and all(MONTH_RE.match(m) for m in months), fy
        assert {pas.financial_year(m) for m in months} == {f"{fy}-{(fy + 1) % 100:02d}"}
        assert "FY 15/16 - Month 01 (Apr 2015)" in months or fy != 2015


def test_every_release_parses_with_the_project_parser(pas_out):
    root, _ = pas_out
    for fy in (2015, 2017, 2020, 2023):
        path = root / pas_sample.microdata_path(fy)
        period, frame = pas.parse_microdata(path.read_bytes(), batch_id="b", loaded_at="x", name=path.name)
        assert period == f"{fy}-{(fy + 1) % 100:02d}"
        assert frame[["nq147r", "renq147", "rennq147"]].notna().sum(axis=1).eq(1).all()
        assert frame["wt_discrete"].notna().all() == (fy >= 2018)


def test_codes_within_the_codebooks(releases):
    answers, ethnicity = _codebook("pas_answer_codes"), _codebook("pas_ethnicity_codes")
    for fy, (header, rows) in releases.items():
        i = {name: k for k, name in enumerate(header)}
        for var in ANSWERS:
            counts = Counter(int(r[i[var]]) for r in rows)
            assert set(counts) == set(answers[var.lower()]) == set(range(1, 8)), (fy, var)
            # don't know and refused: a few per cent, never most
            assert 0.01 < (counts[6] + counts[7]) / len(rows) < 0.10, (fy, var)
        eth = header[3]
        codes = Counter(int(r[3]) for r in rows)
        assert set(codes) <= set(ethnicity[eth.lower()]), (fy, eth)
        # Roma (ReNNQ147 code 4) exist only in the 2021 frame; in NQ147r code 4 is "Any other White".
        labels = {ethnicity[eth.lower()][c]["label"] for c in codes}
        assert ("White Roma" in labels) == (eth == "ReNNQ147")


def test_internal_frames_agree_with_the_codebook():
    """Each internal category lands on a code of the same broad group in every frame."""
    book = _codebook("pas_ethnicity_codes")
    for var, codes in (("nq147r", pas_sample.CODES_2011), ("renq147", pas_sample.CODES_2011),
                       ("rennq147", pas_sample.CODES_2021)):
        for name, broad, code in zip(pas_sample.ETHNICITIES, pas_sample.BROAD, codes):
            assert book[var][int(code)]["ethnic_group"] == broad, (var, name, code)
    african = pas_sample.ETHNICITIES.index("black_african")
    assert book["rennq147"][int(pas_sample.CODES_2021[african])]["label"] == "Black African"  # code 15
    assert book["nq147r"][int(pas_sample.CODES_2011[african])]["label"] == "Black African"  # code 14


def test_volumes_about_3200_a_quarter_and_100_per_borough(interviews, pas_out):
    _, summary = pas_out
    per_quarter = Counter(interviews["quarter"].tolist())
    assert sorted(per_quarter) == list(range(36))
    for j, n in per_quarter.items():
        boosted = j >= 24  # 2021-22 on
        assert (3500 <= n <= 3900) if boosted else (3100 <= n <= 3300), (j, n)
    cells = Counter(zip(interviews["quarter"].tolist(), interviews["borough"].tolist()))
    assert all(90 <= n <= 110 for (j, _), n in cells.items() if j < 24)
    names = {b.split(" - ")[0] for b in interviews["borough"].tolist()}
    assert len(names) == 32 and "City of London" not in names and "City of Westminster" in names
    assert sum(summary["interviews"].values()) == len(interviews["quarter"])


def test_weights_from_2018_19_mean_one_per_quarter_and_booster_down_weighted(releases, interviews):
    for fy, (header, rows) in releases.items():
        if fy < 2018:
            continue
        text = [r[-1] for r in rows]
        assert all(re.fullmatch(r"\d+\.\d{6}", t) and float(t) > 0 for t in text)
    w, q, black = interviews["weight"], interviews["quarter"], interviews["group"] == "Black"
    for j in range(12, 36):
        assert abs(w[q == j].mean() - 1) < 0.001, j
    boosted = q >= 24
    assert w[boosted & black].mean() < 0.7 < 1.0 < w[boosted & ~black].mean()
    unweighted = black[boosted].mean()
    weighted = (w * black)[boosted].sum() / w[boosted].sum()
    assert unweighted > 0.2 and weighted < 0.16  # the boost is undone by the weights


# --- calibration -----------------------------------------------------------------------------

def test_london_trust_tracks_the_published_series(interviews, pas_out):
    _, summary = pas_out
    for d, target in pas_sample.TRUST_TARGETS.items():
        j = next(j for j in range(3, 36) if pas_sample.quarter_end(j) == d)
        achieved = _rolling_trust(interviews, j)
        assert abs(achieved - target) <= 0.03, (d, achieved, target)
        assert summary["calibration"]["trust_london"][d.isoformat()]["achieved"] == pytest.approx(achieved, abs=1e-4)


def test_white_black_gap_widens_to_about_28_points_in_2022(interviews, pas_out):
    _, summary = pas_out
    dec = {year: (year - 2015) * 4 + 2 for year in range(2016, 2024)}  # quarter ending 31 December
    gaps = {year: _gap(interviews, j) for year, j in dec.items()}
    assert 24 <= gaps[2022] <= 32
    assert 8 <= gaps[2016] <= 16 and gaps[2016] < gaps[2019] < gaps[2022]
    assert summary["calibration"]["white_black_gap_pp"]["2022"] == pytest.approx(gaps[2022], abs=0.01)


def test_other_measures_correlate_with_trust(interviews):
    valid = (interviews["trust"] <= 5) & (interviews["q62c"] <= 5)
    trust = interviews["trust"][valid] <= 2
    fair = interviews["q62c"][valid] <= 2
    assert np.corrcoef(trust, fair)[0, 1] > 0.3
    # and by group: Black respondents less positive on "treat everyone fairly" too
    late = valid & (interviews["quarter"] >= 24)
    share = {g: (interviews["q62c"][late & (interviews["group"] == g)] <= 2).mean() for g in ("White", "Black")}
    assert share["White"] - share["Black"] > 0.1


# --- dashboard workbook and CSV exports ---------------------------------------------------------

def test_workbook_sheets_headers_and_cells(pas_out):
    import openpyxl

    root, _ = pas_out
    book = openpyxl.load_workbook(root / pas_sample.WORKBOOK_PATH, read_only=True)
    assert book.sheetnames == ["MPS", "Borough"]
    mps = list(book["MPS"].iter_rows(values_only=True))
    boroughs = list(book["Borough"].iter_rows(values_only=True))
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
    per_cell = Counter((r[0], r[3]) for r in boroughs[1:])
    assert set(per_cell.values()) == {32}
    assert "City of Westminster" in {r[2] for r in boroughs[1:]}
    book.close()


def test_dashboard_trust_is_the_microdata_rolling_share(pas_out, interviews):
    root, _ = pas_out
    sheets = pas.parse_dashboard((root / pas_sample.WORKBOOK_PATH).read_bytes(), batch_id="b", loaded_at="x")
    trust = sheets["MPS"][sheets["MPS"]["measure"] == "Trust MPS"].set_index("quarter_end")["proportion"]
    for j in range(3, 35):
        assert trust[pas_sample.quarter_end(j)] == pytest.approx(_rolling_trust(interviews, j), abs=0.0051)


def test_csv_exports_semicolons_decimal_commas_and_real_quoting(pas_out):
    root, _ = pas_out
    book = pas.parse_dashboard((root / pas_sample.WORKBOOK_PATH).read_bytes(), batch_id="b", loaded_at="x")
    for path, sheet, width in ((pas_sample.MPS_CSV_PATH, "MPS", 5), (pas_sample.BOROUGH_CSV_PATH, "Borough", 6)):
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
        frame = pas.parse_dashboard(content, batch_id="b", loaded_at="x", name=path.name)[sheet]
        assert frame["proportion"].tolist() == book[sheet]["proportion"].tolist()
        assert frame["quarter_end"].tolist() == book[sheet]["quarter_end"].tolist()


# --- neighbourhood indicators ------------------------------------------------------------------

def test_neighbourhood_file_bom_three_header_rows_and_blanks(pas_out):
    root, _ = pas_out
    content = (root / pas_sample.NEIGHBOURHOOD_PATH).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf") and b"\r\n" not in content
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    questions, groups, definitions, data = table[0], table[1], table[2], table[3:]
    assert questions[0] == "neighbourhood" and groups[0] == definitions[0] == ""
    assert groups[1:] == ["White British"] * 4 + ["Asian"] * 4 + ["Black"] * 4
    assert 90 <= len(data) <= 115
    ons = {r["borough_name"] for r in csv.DictReader((SEEDS_DIR / "london_boroughs.csv").open(newline=""))}
    assert all(r[0].split(" - ", 1)[0] in ons and " - " in r[0] for r in data)
    cells = [c for r in data for c in r[1:]]
    assert all(c == "" or 1 <= int(c) <= 99 for c in cells)
    assert 0.05 <= cells.count("") / len(cells) <= 0.2
    blank_by_group = Counter(groups[k] for r in data for k in range(1, 13) if r[k] == "")
    assert blank_by_group["Black"] > blank_by_group["White British"]
    assert any(all(c == "" for c in r[1:]) for r in data)  # small areas: the whole row suppressed
    frame = pas.parse_neighbourhood(content, period="2015-16_to_2020-21", batch_id="b", loaded_at="x")
    assert frame["percentage"].isna().sum() == cells.count("") and (frame["percentage"] == 0).sum() == 0


# --- labels and the hook into ingest.sample ----------------------------------------------------

def test_labels_and_readme_section(pas_out):
    root, _ = pas_out
    assert "SYNTHETIC" in (root / pas_sample.LABEL_PATH).read_text()
    readme = (root / "README.md").read_text()
    assert "SYNTHETIC" in readme and readme.count(pas_sample.README_MARKER) == 1
    for fy in range(2015, 2024):
        assert b"SYNTHETIC" not in (root / pas_sample.microdata_path(fy)).read_bytes()[:2000]


def test_sample_generate_writes_pas_and_reports_it(tmp_path):
    summary = sample.generate(tmp_path, first_month="2024-01", last_month="2024-01", archive_months=(),
                              empty_months=())
    pas_summary = summary["pas"]
    assert pas_summary["synthetic"] and len(pas_summary["interviews"]) == 9
    for rel in pas_summary["files"]:
        assert (tmp_path / rel).is_file(), rel
    readme = (tmp_path / "README.md").read_text()
    assert readme.startswith("# SYNTHETIC offline sample") and readme.count(pas_sample.README_MARKER) == 1


# --- against the real extracts -----------------------------------------------------------------

def _real_sheet(shared_data: Path, name: str):
    return pas.parse_dashboard((shared_data / "pas" / name).read_bytes(), batch_id="b", loaded_at="x")


@pytest.mark.shared
def test_trust_targets_are_the_published_series(shared_data):
    real = _real_sheet(shared_data, "pas_dashboard_mps_sheet.csv")["MPS"]
    trust = real[real["measure"] == "Trust MPS"].set_index("quarter_end")["proportion"].to_dict()
    assert {d: pytest.approx(v) for d, v in pas_sample.TRUST_TARGETS.items()} == trust


@pytest.mark.shared
def test_synthetic_sheets_have_the_real_layout(shared_data, pas_out):
    root, _ = pas_out
    for name, sheet in (("pas_dashboard_mps_sheet.csv", "MPS"), ("pas_dashboard_borough_sheet.csv", "Borough")):
        real_bytes = (shared_data / "pas" / name).read_bytes()
        ours_bytes = (root / pas_sample.PAS_DIR / name).read_bytes()
        assert ours_bytes.split(b"\r\n", 1)[0] == real_bytes.split(b"\r\n", 1)[0]
        real = _real_sheet(shared_data, name)[sheet]
        ours = pas.parse_dashboard(ours_bytes, batch_id="b", loaded_at="x")[sheet]
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
def test_neighbourhood_header_rows_as_in_the_real_file(shared_data, pas_out):
    root, _ = pas_out

    def header(path: Path) -> list[list[str]]:
        return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))[:3]

    assert header(root / pas_sample.NEIGHBOURHOOD_PATH) == header(
        shared_data / "pas" / "neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv")
