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


def _workbook(shared_data, notes=None):
    """The real sheets written into an xlsx (in memory); `notes`: {(sheet, data row index): cells typed after the row}."""
    import openpyxl

    notes = notes or {}
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet in ("MPS", "Borough"):
        rows = pas_dashboard.parse_sheets(_sheet(shared_data, sheet))[sheet]
        ws = book.create_sheet(sheet)
        ws.append(list(pas_dashboard.HEADER) + (["MPS"] if sheet == "Borough" else []))
        for i, r in enumerate(rows.itertuples()):
            ws.append([r.quarter_end, r.survey, r.borough, r.measure, r.proportion] + ([r.mps_proportion] if sheet == "Borough" else [])
                      + list(notes.get((sheet, i), [])))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_workbook_is_detected_and_both_sheets_read(shared_data):
    """Write the real sheets into an xlsx (in memory) and read it back as a workbook."""
    content = _workbook(shared_data)
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


# --------------------------------------------------------------------------- notes in unnamed columns
NOTE_ROW = 4512  # the file's row (line) carrying the note: data row 4,510 under the header on row 1


def _lines(shared_data, sheet):
    return _sheet(shared_data, sheet).decode("utf-8-sig").split("\r\n")


def _with_note(lines, header, row, cells):
    """The export with its header rewritten and `cells` appended to the given file row."""
    out = [header] + lines[1:]
    out[row - 1] += ";" + ";".join(cells)
    return "\r\n".join(out).encode()


def test_a_note_in_unnamed_trailing_columns_is_dropped_with_a_warning(shared_data):
    """The Borough export in circulation: ten header cells, four of them empty, and a note typed on one row."""
    lines = _lines(shared_data, "Borough")
    content = _with_note(lines, "Date;Survey;Borough;Measure;Proportion;MPS;;;;", NOTE_ROW, ["", "check with MOPAC", "revised", ""])
    assert content.split(b"\r\n")[NOTE_ROW - 1].endswith(b";;check with MOPAC;revised;")
    published = pas_dashboard.parse_sheets(_sheet(shared_data, "Borough"))["Borough"]

    (batch,) = pas_dashboard.parse(content, location="/exports/pas_dashboard_borough_sheet.csv", period=None)
    assert batch.period == "Borough"
    assert len(batch.frame) == len(published) == 9312  # the 9,311 rows without a note, and the one with it
    assert _values(batch.frame) == _values(published)
    noted = batch.frame.iloc[NOTE_ROW - 2]
    assert (noted.row_index, noted.proportion, noted.mps_proportion) == (NOTE_ROW - 2, published.iloc[NOTE_ROW - 2].proportion,
                                                                         published.iloc[NOTE_ROW - 2].mps_proportion)
    assert batch.warnings == ("values under unnamed columns dropped: row 4,512 ('check with MOPAC', 'revised')",)
    (clean,) = pas_dashboard.parse(_sheet(shared_data, "Borough"), location="borough.csv", period=None)
    assert clean.warnings == ()


def test_a_warning_names_the_first_rows_and_counts_the_rest(shared_data):
    lines = _lines(shared_data, "MPS")
    out = ["Date;Survey;Borough;Measure;Proportion;;"] + lines[1:]
    for row in range(10, 17):  # seven noted rows
        out[row - 1] += f";;note {row}"
    (batch,) = pas_dashboard.parse("\r\n".join(out).encode(), location="mps.csv", period=None)
    assert _values(batch.frame) == _values(pas_dashboard.parse_sheets(_sheet(shared_data, "MPS"))["MPS"])
    assert batch.warnings == (
        ("values under unnamed columns dropped: row 10 ('note 10'); row 11 ('note 11'); row 12 ('note 12'); "
         "row 13 ('note 13'); row 14 ('note 14'); and 2 more rows"),
    )


def test_a_note_under_a_named_column_is_refused(shared_data):
    lines = _lines(shared_data, "Borough")
    out = ["Date;Survey;Borough;Measure;Proportion;MPS;;;;"] + lines[1:]
    cells = out[NOTE_ROW - 1].split(";")
    out[NOTE_ROW - 1] = ";".join(cells[:5] + ["check with MOPAC", "revised", "", "", ""])  # typed over the MPS figure
    with pytest.raises(SourceFormatError, match=r"row 4,512: not a number 'check with MOPAC'"):
        pas_dashboard.parse_sheets("\r\n".join(out).encode(), "borough.csv")


def test_a_row_longer_than_the_header_is_refused_with_the_header_width(shared_data):
    lines = _lines(shared_data, "Borough")
    wide = _with_note(lines, "Date;Survey;Borough;Measure;Proportion;MPS;;;;", NOTE_ROW, ["", "check with MOPAC", "revised", "", "x"])
    with pytest.raises(SourceFormatError, match=r"row 4,512 has 11 fields for a header of 10 cells \(6 named\)$"):
        pas_dashboard.parse_sheets(wide, "borough.csv")
    narrow = _with_note(lines, lines[0], NOTE_ROW, ["", "check with MOPAC"])  # the real header: six cells, all named
    with pytest.raises(SourceFormatError, match=r"row 4,512 has 8 fields for a header of 6 cells \(6 named\)$"):
        pas_dashboard.parse_sheets(narrow, "borough.csv")


def _comma_line(cells):
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def test_unquoted_decimal_commas_are_refused_even_under_unnamed_columns(shared_data):
    """`,` and unquoted `0,56;0,67`: the split halves of the MPS figure land in the unnamed columns."""
    rows = _rows(shared_data, "Borough")
    lines = [_comma_line(rows[0] + ["", ""])] + [_comma_line(r[:4]) + "," + ",".join(r[4:]) + ",," for r in rows[1:]]
    assert lines[1].endswith(",0,56,0,67,,")
    with pytest.raises(SourceFormatError, match=r"row 2 has the number '0' in an unnamed column.*must be quoted"):
        pas_dashboard.parse_sheets("\r\n".join(lines).encode(), "ambiguous.csv")


def test_a_text_note_in_a_comma_files_unnamed_column_is_dropped_with_a_warning(shared_data):
    rows = _rows(shared_data, "Borough")
    body = [rows[0] + ["", ""]] + [r + ["", ""] for r in rows[1:]]
    body[NOTE_ROW - 1][-2] = "check with MOPAC"
    body[NOTE_ROW][-1] = "42"  # a number, but not beside the proportions: a note, not a split decimal
    content = "\r\n".join(_comma_line(r) for r in body).encode()
    (batch,) = pas_dashboard.parse(content, location="borough.csv", period=None)
    assert _values(batch.frame) == _values(pas_dashboard.parse_sheets(_sheet(shared_data, "Borough"))["Borough"])
    assert batch.warnings == ("values under unnamed columns dropped: row 4,512 ('check with MOPAC'); row 4,513 ('42')",)


def test_workbook_cells_under_empty_header_cells_are_dropped_with_a_warning(shared_data):
    """A workbook row with values past the named columns: dropped like a CSV's, and named in each sheet's warning."""
    content = _workbook(shared_data, notes={("Borough", NOTE_ROW - 2): [None, "check with MOPAC", "revised"],
                                           ("MPS", 0): [0.5]})
    batches = {b.period: b for b in pas_dashboard.parse(content, location="PAS_T&Cdashboard.xlsx", period=None)}
    assert _values(batches["Borough"].frame) == _values(pas_dashboard.parse_sheets(_sheet(shared_data, "Borough"))["Borough"])
    assert batches["Borough"].warnings == ("values under unnamed columns dropped: row 4,512 ('check with MOPAC', 'revised')",)
    assert batches["MPS"].warnings == ("values under unnamed columns dropped: row 2 ('0.5')",)
    assert len(batches["MPS"].frame) == 291
