"""ingest/pas_dashboard.py on the real MOPAC sheets: format detection, both sheets, and
every CSV dialect in circulation, each made from the real sheet in ../shared/data/pas/."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from ingest import pas_dashboard
from ingest.core.errors import SourceFormatError

SHEETS = {"MPS": "pas_dashboard_mps_sheet.csv", "Borough": "pas_dashboard_borough_sheet.csv"}


def _sheet(shared_data, sheet):
    return (shared_data / "pas" / SHEETS[sheet]).read_bytes()


def _values(frame):
    """What the marts take from a sheet, order-free: (quarter end, area, measure) -> proportions."""
    return {
        (r.quarter_end, r.borough, r.measure): (r.proportion, r.mps_proportion)
        for r in frame.itertuples()
    }


def test_mps_sheet_csv_export(shared_data):
    sheets = pas_dashboard.parse_sheets(_sheet(shared_data, "MPS"), "mps.csv")
    frame = sheets["MPS"]
    assert list(sheets) == ["MPS"] and set(frame["source_format"]) == {"csv"}
    trust = frame[frame["measure"] == "Trust MPS"].set_index("quarter_end")["proportion"]
    assert trust[date(2016, 3, 31)] == pytest.approx(0.86)
    assert trust[date(2023, 12, 31)] == pytest.approx(0.69)
    assert frame["quarter_end"].nunique() == 37  # 31/12/2014 .. 31/12/2023
    assert '"Good Job" local' in set(frame["measure"])


def test_borough_sheet_csv_export(shared_data):
    frame = pas_dashboard.parse_sheets(_sheet(shared_data, "Borough"))["Borough"]
    assert len(frame) == 9312
    assert "City of Westminster" in set(frame["borough"])
    assert frame["mps_proportion"].notna().all()


def test_workbook_is_detected_and_both_sheets_read(shared_data):
    """Write the real sheets into an xlsx (in memory) and read it back as a workbook."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet in ("MPS", "Borough"):
        rows = pas_dashboard.parse_sheets(_sheet(shared_data, sheet))[sheet]
        ws = book.create_sheet(sheet)
        ws.append(list(pas_dashboard.HEADER) + (["MPS"] if sheet == "Borough" else []))
        for r in rows.itertuples():
            ws.append([r.quarter_end, r.survey, r.borough, r.measure, r.proportion] + ([r.mps_proportion] if sheet == "Borough" else []))
    buffer = io.BytesIO()
    book.save(buffer)
    content = buffer.getvalue()
    assert pas_dashboard.detect_format(content) == "xlsx"
    sheets = pas_dashboard.parse_sheets(content, "PAS_T&Cdashboard.xlsx")
    assert sorted(sheets) == ["Borough", "MPS"]
    assert len(sheets["Borough"]) == 9312 and set(sheets["MPS"]["source_format"]) == {"xlsx"}
    assert _values(sheets["Borough"]) == _values(pas_dashboard.parse_sheets(_sheet(shared_data, "Borough"))["Borough"])


# --------------------------------------------------------------------------- dialects
def _rows(shared_data, sheet):
    text = _sheet(shared_data, sheet).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def _unpad(day_month_year: str) -> str:
    d, m, y = day_month_year.split("/")
    return f"{int(d)}/{int(m)}/{y}"


def _comma_quoted(rows):
    """`,`-separated; decimal commas kept, so the writer quotes them (`"0,56"`)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def _comma_points(rows):
    return _comma_quoted([r[:4] + [v.replace(",", ".") for v in r[4:]] if i else r for i, r in enumerate(rows)])


def _circulating(rows):
    """The export seen in the wild: `,`, quoted decimal commas, unpadded dates, two trailing empty columns, CRLF."""
    body = [r + ["", ""] for r in [rows[0]] + [[_unpad(r[0])] + r[1:] for r in rows[1:]]]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(body)
    return out.getvalue().encode()


def _semicolon_variant(rows):
    """`;` with decimal commas, no BOM, CRLF, unpadded dates, measures in other case and spacing."""
    body = [rows[0]] + [[_unpad(r[0]), r[1], r[2], "  " + r[3].upper().replace(" ", "  ") + " "] + r[4:] for r in rows[1:]]
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(body)
    return out.getvalue().encode()


def _with_bom(rows):
    return b"\xef\xbb\xbf" + _comma_quoted(rows)


DIALECTS = {
    "comma with quoted decimal commas": _comma_quoted,
    "comma with decimal points": _comma_points,
    "comma, quoted decimal commas, unpadded dates, trailing empty columns, CRLF": _circulating,
    "semicolon, CRLF, unpadded dates, measure case and spacing": _semicolon_variant,
    "comma with a BOM": _with_bom,
}


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("sheet", ["MPS", "Borough"])
def test_every_unambiguous_dialect_reads_the_same_values(shared_data, dialect, sheet):
    published = pas_dashboard.parse_sheets(_sheet(shared_data, sheet))[sheet]
    content = DIALECTS[dialect](_rows(shared_data, sheet))
    assert content != _sheet(shared_data, sheet)
    (parsed,) = pas_dashboard.parse_sheets(content, f"{dialect}.csv").values()
    assert len(parsed) == len(published)
    assert _values(parsed) == _values(published)
    if sheet == "Borough":  # MOPAC's spellings map to the 32 boroughs in every quarter
        view = pas_dashboard.gate_view(parsed)
        assert view["area"].notna().all() and set(view["areas_in_quarter"]) == {32}


def test_unquoted_decimal_commas_in_a_comma_separated_file_are_refused(shared_data):
    rows = _rows(shared_data, "MPS")
    ambiguous = "\n".join(",".join(r) for r in rows).encode()  # 0,67 unquoted: which comma separates?
    with pytest.raises(SourceFormatError, match="must be quoted"):
        pas_dashboard.parse_sheets(ambiguous, "ambiguous.csv")


def test_foreign_or_mixed_files_are_refused():
    with pytest.raises(SourceFormatError, match="HTML"):
        pas_dashboard.detect_format(b"<html><body>Not found</body></html>")
    with pytest.raises(SourceFormatError, match="neither an xlsx"):
        pas_dashboard.detect_format(b"a;b;c\n1;2;3\n")
    mixed = "Date;Survey;Borough;Measure;Proportion\n31/12/2014;PAS;MPS;Trust MPS;0,67\n31/03/2015;PAS;MPS;Trust MPS;0.68\n"
    with pytest.raises(SourceFormatError, match="decimal"):
        pas_dashboard.parse_sheets(mixed.encode())
    short = "Date;Survey;Borough;Measure;Proportion\n31/12/2014;PAS;MPS;Trust MPS\n"
    with pytest.raises(SourceFormatError, match="row 2 has 4 fields"):
        pas_dashboard.parse_sheets(short.encode())


def test_an_unknown_measure_is_kept_as_published():
    text = "Date;Survey;Borough;Measure;Proportion\n31/12/2014;PAS;MPS;Trust the Met;0,67\n"
    (frame,) = pas_dashboard.parse_sheets(text.encode()).values()
    assert frame["measure"].tolist() == ["Trust the Met"]  # for the gate to fail, not for the parser to guess
