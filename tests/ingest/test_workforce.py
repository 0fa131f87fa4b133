"""ingest/workforce*.py and ingest/core/home_office.py on the real 2003-2006 Home Office table.

The later releases of the same table are made here from the real one by the
changes those releases made (decision 0020), and must read to the same numbers.
Expected figures are recomputed with the csv module, independently of the parser.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict

import pytest

from ingest import workforce, workforce_joiners, workforce_leavers, workforce_promotions
from ingest.core import home_office, spreadsheets
from ingest.core.errors import SourceFormatError

REAL = "workforce/officer-rank-from-2003.csv"
GROUP = {"Asian or Asian British": "Asian", "Black or Black British": "Black", "Mixed": "Mixed",
         "Chinese or Other Ethnic Group (pre 2021 category)": "Other", "Other ethnic group": "Other",
         "White": "White", "Not stated": "Not stated"}
MINORITY = {"Asian", "Black", "Mixed", "Other"}


@pytest.fixture(scope="module")
def real():
    from tests.conftest import require_shared_data

    return (require_shared_data() / REAL).read_bytes()


def real_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def met_minority_share(content: bytes, year: str) -> float:
    """The Met's ethnic-minority share of officers with a stated ethnicity, by the csv module alone."""
    minority = stated = 0
    for row in real_rows(content):
        if row["As at 31 March..."] != year or row["Force Name"] != "Metropolitan Police":
            continue
        value = row["Total (headcount)"].strip()
        n = 0 if value == "-" else int(value.replace(",", ""))
        group = GROUP[row["Ethnicity"]]
        if group != "Not stated":
            stated += n
            minority += n if group in MINORITY else 0
    return minority / stated


def totals(batches) -> Counter:
    """Headcount per (as at, force, rank, group), whatever the release's labels."""
    out: Counter = Counter()
    for batch in batches:
        for row in batch.frame.itertuples():
            out[(str(row.as_at), row.force, row.rank, GROUP[row.ethnicity])] += row.headcount
    return out


def test_the_met_ethnic_minority_share_of_officers_2003_and_2006(real):
    assert round(met_minority_share(real, "2003") * 100, 2) == 5.55
    assert round(met_minority_share(real, "2006") * 100, 2) == 7.39
    batches = {b.period: b.frame for b in workforce.parse(real, location=REAL, period=None)}
    for year, expected in (("2003", 0.0555), ("2006", 0.0739)):
        frame = batches[f"{year}-03-31"]
        met = frame[frame.force == "Metropolitan Police"]
        groups = met.ethnicity.map(GROUP)
        stated = met.headcount[groups != "Not stated"].sum()
        assert round(met.headcount[groups.isin(MINORITY)].sum() / stated, 4) == expected


def test_every_force_rank_and_year_loads_and_dashes_are_zero(real):
    rows = real_rows(real)
    batches = workforce.parse(real, location=REAL, period=None)
    assert [b.period for b in batches] == ["2003-03-31", "2004-03-31", "2005-03-31", "2006-03-31"]
    frame = __import__("pandas").concat([b.frame for b in batches])
    assert len(frame) == len(rows) == 14_448
    assert frame.force.nunique() == len({r["Force Name"] for r in rows}) == 43
    assert set(frame["rank"]) == {r["Rank description"] for r in rows} and frame["rank"].nunique() == 7
    dashes = sum(r["Total (headcount)"].strip() == "-" for r in rows)
    assert dashes > 9000 and (frame.headcount == 0).sum() == dashes
    # quoted thousands: the csv module sees ' 1,976 ', the parser 1976
    big = [r for r in rows if "," in r["Total (headcount)"]]
    parsed_big = sorted(v for v in frame.headcount if v > 999)
    assert big and parsed_big == sorted(int(r["Total (headcount)"].replace(",", "")) for r in big)


def later_release(content: bytes, *, sex=False, trailing=False, other=False, zeros=False, worker_case=False,
                  extra_sexes=False) -> bytes:
    """The real table with the changes later releases made, one switch each."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    header, body = rows[0], rows[1:]
    if sex:
        header = ["Sex" if h == "Gender" else h for h in header]
    if worker_case:
        header = ["Worker Type" if h == "Worker type" else h for h in header]
    out = []
    for r in body:
        r = list(r)
        if other and r[7].startswith("Chinese or Other"):
            r[7] = "Other ethnic group"
        if worker_case:
            r[6] = "Police officer"
        if zeros:
            r[9:11] = ["0" if v.strip() == "-" else v.strip() for v in r[9:11]]
        out.append(r)
        if extra_sexes and r[4] == "Male":
            for category in ("Not stated", "Prefer not to say", "Prefer to self-describe"):
                out.append(r[:4] + [category] + r[5:9] + (["0", "0"] if zeros else [" -", " -"]))
    if trailing:
        header = header + ["", ""]
        out = [r + ["", ""] for r in out]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *out])
    return buffer.getvalue().encode("utf-8")


VARIANTS = {
    "Gender renamed Sex": dict(sex=True),
    "trailing empty columns": dict(trailing=True),
    "Other ethnic group label": dict(other=True),
    "zeros as 0, unpadded": dict(zeros=True),
    "Worker type in other case": dict(worker_case=True),
    "extra sex categories": dict(extra_sexes=True),
    "all of them (a 2021+ release)": dict(sex=True, trailing=True, other=True, zeros=True, worker_case=True, extra_sexes=True),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_later_release_reads_to_the_same_numbers(real, variant):
    changed = later_release(real, **VARIANTS[variant])
    assert changed != real
    assert totals(workforce.parse(changed, location=REAL, period=None)) == totals(workforce.parse(real, location=REAL, period=None))


def test_a_header_without_a_needed_column_is_refused_by_name(real):
    text = real.decode("utf-8").replace("Rank description", "Grade", 1).encode()
    with pytest.raises(SourceFormatError, match="rank"):
        workforce.parse(text, location=REAL, period=None)


@pytest.mark.parametrize("cell", ["n/a", "1.5", "-3", "nan", "inf"])
def test_a_count_that_is_not_a_whole_non_negative_number_is_refused(cell):
    with pytest.raises(SourceFormatError, match="line 7"):
        home_office.count(cell, what="t", line="7")


@pytest.mark.parametrize("cell, expected", [(" - ", 0), ("-", 0), (" 1,976 ", 1976), ("12", 12), ("0", 0)])
def test_counts_in_every_release_style(cell, expected):
    assert home_office.count(cell, what="t", line="2") == expected


@pytest.mark.parametrize("cell", ["2021/22", "2021-22", "2021/2022", "2021 to 2022"])
def test_financial_years_in_every_spelling(cell):
    assert home_office.financial_year(cell, what="t", line="2") == "2021-22"


@pytest.mark.parametrize("cell", ["2021/23", "2021", "21/22"])
def test_a_financial_year_that_is_not_one_is_refused(cell):
    with pytest.raises(SourceFormatError):
        home_office.financial_year(cell, what="t", line="2")


def test_joiners_and_promotions_read_by_their_columns():
    joiners = ("Financial year,Geo code,Force Name,Region,Sex,Rank description,Worker type,Joiner type,Ethnicity,"
               "Ethnic group,Total (headcount),Total (FTE)\r\n"
               '2021/22,E23000001,Metropolitan Police,London,Male,Constable,Police Officer,New recruit,White,White," 1,234 "," 1,230.5 "\r\n'
               "2021/22,E23000001,Metropolitan Police,London,Female,Constable,Police Officer,Transferee,Mixed,x, - , - \r\n").encode()
    (batch,) = workforce_joiners.parse(joiners, location="j.csv", period=None)
    assert batch.period == "2021-22"
    assert list(batch.frame.headcount) == [1234, 0] and list(batch.frame.fte) == [1230.5, 0.0]
    promotions = ("Financial Year,Force Name,Gender,Rank promoted to,Ethnicity,Total (headcount)\n"
                  "2007-08,Kent,Female,Sergeant,Black or Black British,3\n").encode()
    (batch,) = workforce_promotions.parse(promotions, location="p.csv", period=None)
    row = batch.frame.iloc[0]
    assert (batch.period, row.force, row.sex, row.rank_promoted_to, row.headcount, row.geo_code) == (
        "2007-08", "Kent", "Female", "Sergeant", 3, None)


def test_rows_per_key_are_what_the_gate_checks_for_uniqueness(real):
    frame = workforce.parse(real, location=REAL, period=None)[0].frame
    keys = Counter(zip(frame.force, frame.sex, frame["rank"], frame.worker_type, frame.ethnicity))
    assert max(keys.values()) == 1
    per_force = defaultdict(set)
    for force, rank in zip(frame.force, frame["rank"]):
        per_force[force].add(rank)
    assert all(len(ranks) == 7 for ranks in per_force.values())


def test_a_value_under_an_empty_header_cell_is_refused(real):
    header, body = later_release(table_of(real, 3), trailing=True).split(b"\r\n", 1)
    shifted = header + b"\r\n" + body.replace(b",,\r\n", b",,7\r\n", 1)
    with pytest.raises(SourceFormatError, match="empty header"):
        workforce.parse(shifted, location=REAL, period=None)


def table_of(content: bytes, lines: int) -> bytes:
    return b"\n".join(content.split(b"\n")[: lines + 1]) + b"\n"


# --------------------------------------------------------------------------- the GOV.UK releases: ODS workbooks
def ods_of(content: bytes, *, notes_under: list[str] = (), data_sheet: str = "Data") -> bytes:
    """The real CSV table as an ODS release lays it out: cover and notes sheets first, the table on
    `Data` with the 2025 header spellings, numbers as number cells (` - ` a 0 cell)."""
    from devdata.ods import ods_bytes

    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    header = [{"As at 31 March...": "As at 31 March", "Geo code": "Geocode", "Force Name": "Force name"}.get(h, h)
              for h in rows[0]]
    numeric = {i for i, h in enumerate(header) if h in ("As at 31 March", "Total (headcount)", "Total (FTE)")}

    def cell(i, value):
        if i not in numeric:
            return value
        text = value.strip()
        return 0 if text == "-" else float(text.replace(",", ""))

    table = [header] + [[cell(i, v) for i, v in enumerate(r)] for r in rows[1:]] + [[n] for n in notes_under]
    return ods_bytes([("Cover sheet", [["Police workforce open data table"]]), ("Notes", [["Note 1", "..."]]),
                      (data_sheet, table)])


def test_an_ods_release_reads_to_the_numbers_of_the_csv(real):
    ods = ods_of(real, notes_under=["Source: Home Office", "Figures are headcount"])
    assert spreadsheets.extension(ods) == "ods" and spreadsheets.extension(real) == "csv"
    from_ods = workforce.parse(ods, location="open-data-table-police-workforce-230725.ods", period=None)
    from_csv = workforce.parse(real, location=REAL, period=None)
    assert [b.period for b in from_ods] == [b.period for b in from_csv] == ["2003-03-31", "2004-03-31", "2005-03-31", "2006-03-31"]
    assert totals(from_ods) == totals(from_csv)
    fte = lambda batches: sum(v for b in batches for v in b.frame["fte"])  # noqa: E731
    assert fte(from_ods) == pytest.approx(fte(from_csv))
    # the footnotes under the table are read past, and said
    last = len(real.decode("utf-8").splitlines())  # the table's last line: the notes are the two after it
    assert from_ods[0].warnings == (f"2 note row(s) under the table skipped: line {last + 1}: 'Source: Home Office'; "
                                    f"line {last + 2}: 'Figures are headcount'",)
    assert not from_csv[0].warnings


def test_the_data_sheet_is_found_by_its_header_when_it_is_not_named_data(real):
    ods = ods_of(real, data_sheet="Table 1")
    assert totals(workforce.parse(ods, location="x.ods", period=None)) == totals(workforce.parse(real, location=REAL, period=None))


def test_a_spreadsheet_that_cannot_be_read_is_refused_by_name():
    with pytest.raises(SourceFormatError, match="not a readable spreadsheet"):
        workforce.parse(b"PK\x03\x04" + b"\x00" * 200, location="broken.ods", period=None)
    from devdata.ods import ods_bytes

    with pytest.raises(SourceFormatError, match="no sheet named Data"):
        workforce.parse(ods_bytes([("Cover sheet", [["nothing here"]])]), location="cover.ods", period=None)


def test_fte_not_available_is_null_and_a_headcount_not_available_is_refused():
    header = "Financial year,Force name,Sex,Rank description,Leaver type,Ethnicity,Total (headcount),Total (FTE)\n"
    ok = header + "2022/23,Metropolitan Police,Male,Constable,Voluntary resignation,White,12,[x]\n"
    (batch,) = workforce_leavers.parse(ok.encode(), location="leavers.csv", period=None)
    assert batch.period == "2022-23" and batch.frame.loc[0, "fte"] is None and batch.frame.loc[0, "headcount"] == 12
    assert batch.frame.loc[0, "leaver_type"] == "Voluntary resignation"
    with pytest.raises(SourceFormatError, match="headcount"):
        workforce_leavers.parse((header + "2022/23,Metropolitan Police,Male,Constable,Dismissal,White,N/A,1\n").encode(),
                                location="leavers.csv", period=None)


# --------------------------------------------------------------------------- strict numbers, bounded workbooks
@pytest.mark.parametrize("cell", ["1e3", "1E3", "１２３", "١٢٣", "۱۲۳", "1_000", "+5", "1,97,6", "1,9760", ",976", "12.",
                                  ".5", "0x10", "Infinity", "12 3", "1.976,5"])
def test_a_count_not_written_in_ascii_digits_is_refused(cell):
    """`1e3`, full-width or Arabic-Indic digits once read as numbers; a count is ASCII digits (and the releases' commas)."""
    with pytest.raises(SourceFormatError, match="line 7"):
        home_office.count(cell, what="t", line="7")
    with pytest.raises(SourceFormatError, match="line 7"):
        home_office.number(cell, what="t", line="7", column="fte")


def test_a_workforce_table_with_an_exponent_count_is_refused_not_loaded(real):
    lines = real.decode("utf-8").split("\n")
    cells = next(csv.reader([lines[5]]))
    cells[-2] = "1e3"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    broken = "\n".join(lines[:5] + [out.getvalue().rstrip("\n")] + lines[6:]).encode()
    with pytest.raises(SourceFormatError, match="line 6, headcount: '1e3' is not a whole number"):
        workforce.parse(broken, location=REAL, period=None)


@pytest.mark.parametrize("cell, expected", [("1,976.5", 1976.5), ("0.25", 0.25), (" 12 ", 12.0), ("1976", 1976.0)])
def test_fte_numbers_in_the_releases_styles(cell, expected):
    assert home_office.number(cell, what="t", line="2", column="fte") == expected


def test_a_tiny_spreadsheet_fraction_is_written_without_an_exponent():
    assert spreadsheets.cell_text(0.00005) == "0.00005" and spreadsheets.cell_text(2025.0) == "2025"
    assert home_office.number(spreadsheets.cell_text(0.00005), what="t", line="2", column="fte") == 0.00005


def test_a_spreadsheet_that_is_a_zip_bomb_is_refused_before_calamine_inflates_it(real, monkeypatch):
    import zipfile

    from devdata.ods import ods_bytes

    ods = ods_bytes([("Data", [["As at 31 March"]])])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(ods)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "content.xml":
                data = data + b" " * (60 * 1024 * 1024)  # 60 MB of padding: inflates about a thousandfold
            dst.writestr(info, data, compress_type=info.compress_type, compresslevel=9)
    bomb = out.getvalue()
    assert len(bomb) < 1_000_000
    with pytest.raises(SourceFormatError, match="content.xml.*MAPWH_MAX_UNZIP_RATIO"):
        workforce.parse(bomb, location="bomb.ods", period=None)
    monkeypatch.setenv("MAPWH_MAX_ZIP_MEMBERS", "2")
    with pytest.raises(SourceFormatError, match="MAPWH_MAX_ZIP_MEMBERS"):
        workforce.parse(ods_of(real), location="x.ods", period=None)
