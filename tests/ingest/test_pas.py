"""ingest/pas.py on the real MOPAC extracts: format detection, both sheets, three header rows."""

from __future__ import annotations

import io
from datetime import date

import pytest

from ingest import pas
from ingest.http import SourceFormatError


def _sheet(shared_data, name):
    return (shared_data / "pas" / name).read_bytes()


def test_mps_sheet_csv_export(shared_data):
    sheets = pas.parse_dashboard(_sheet(shared_data, "pas_dashboard_mps_sheet.csv"), batch_id="b", loaded_at="x", name="mps.csv")
    frame = sheets["MPS"]
    assert list(sheets) == ["MPS"] and set(frame["source_format"]) == {"csv"}
    trust = frame[frame["measure"] == "Trust MPS"].set_index("quarter_end")["proportion"]
    assert trust[date(2016, 3, 31)] == pytest.approx(0.86)
    assert trust[date(2023, 12, 31)] == pytest.approx(0.69)
    assert frame["quarter_end"].nunique() == 37  # 31/12/2014 .. 31/12/2023
    assert '"Good Job" local' in set(frame["measure"])


def test_borough_sheet_csv_export(shared_data):
    frame = pas.parse_dashboard(_sheet(shared_data, "pas_dashboard_borough_sheet.csv"), batch_id="b", loaded_at="x")["Borough"]
    assert len(frame) == 9312
    assert "City of Westminster" in set(frame["borough"])
    assert frame["mps_proportion"].notna().all()


def test_workbook_is_detected_and_both_sheets_read(shared_data):
    """Write the real sheets into an xlsx (in memory) and read it back as a workbook."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet, name in (("MPS", "pas_dashboard_mps_sheet.csv"), ("Borough", "pas_dashboard_borough_sheet.csv")):
        csv_rows = pas.parse_dashboard(_sheet(shared_data, name), batch_id="b", loaded_at="x")[sheet]
        ws = book.create_sheet(sheet)
        ws.append(pas.DASHBOARD_HEADER + (["MPS"] if sheet == "Borough" else []))
        for r in csv_rows.itertuples():
            ws.append([r.quarter_end, r.survey, r.borough, r.measure, r.proportion] + ([r.mps_proportion] if sheet == "Borough" else []))
    buffer = io.BytesIO()
    book.save(buffer)
    content = buffer.getvalue()
    assert pas.detect_dashboard_format(content) == "xlsx"
    sheets = pas.parse_dashboard(content, batch_id="b", loaded_at="x", name="PAS_T&Cdashboard.xlsx")
    assert sorted(sheets) == ["Borough", "MPS"]
    assert len(sheets["Borough"]) == 9312 and set(sheets["MPS"]["source_format"]) == {"xlsx"}
    trust = sheets["MPS"][sheets["MPS"]["measure"] == "Trust MPS"].set_index("quarter_end")["proportion"]
    assert trust[date(2023, 12, 31)] == pytest.approx(0.69)


def test_ambiguous_or_foreign_files_are_refused():
    with pytest.raises(SourceFormatError, match="HTML"):
        pas.detect_dashboard_format(b"<html><body>Not found</body></html>")
    with pytest.raises(SourceFormatError, match="neither an xlsx"):
        pas.detect_dashboard_format(b"a;b;c\n1;2;3\n")
    mixed = "Date;Survey;Borough;Measure;Proportion\n31/12/2014;PAS;MPS;Trust MPS;0,67\n31/03/2015;PAS;MPS;Trust MPS;0.68\n"
    with pytest.raises(SourceFormatError, match="decimal"):
        pas.parse_dashboard(mixed.encode(), batch_id="b", loaded_at="x")


def test_neighbourhood_three_header_rows_to_long_form(shared_data):
    content = (shared_data / "pas/neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv").read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    frame = pas.parse_neighbourhood(content, period="2015-16_to_2020-21", batch_id="b", loaded_at="x")
    neighbourhoods = frame["neighbourhood"].nunique()
    assert neighbourhoods == 112 and len(frame) == neighbourhoods * 12  # 4 questions x 3 groups
    assert set(frame["ethnic_group"]) == {"White British", "Asian", "Black"}
    first = frame[(frame["neighbourhood"] == "Barking and Dagenham - Barking") & (frame["ethnic_group"] == "White British")]
    assert first["percentage"].tolist()[0] == 84
    # Suppressed cells are nulls, never zeros.
    assert frame["percentage"].isna().sum() > 0
    assert (frame["percentage"] == 0).sum() == 0
    assert pas.neighbourhood_period("neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv") == "2015-16_to_2020-21"


def test_microdata_columns_of_any_year_map_to_one_row_shape():
    early = "SERIAL,MONTH,C2,NQ147r,NQ135BD,Q60,Q61,Q62A,Q62C,Q62TG\n1,FY 15/16 - Month 01 (Apr 2015),Camden,1,2,1,2,1,6,7\n"
    late = "SERIAL,MONTH,Borough,ReNNQ147,NQ135BD,Q60,Q61,Q62A,Q62C,Q62TG,WT_Discrete\n9,FY 22/23 - Month 12 (Mar 2023),Camden,4,5,3,2,1,2,2,0.731\n"
    p1, f1 = pas.parse_microdata(early.encode(), batch_id="b", loaded_at="x")
    p2, f2 = pas.parse_microdata(late.encode(), batch_id="b", loaded_at="x")
    assert (p1, p2) == ("2015-16", "2022-23")
    assert list(f1.columns) == list(f2.columns)
    assert f1.loc[0, "c2"] == "Camden" and f1.loc[0, "nq147r"] == 1 and f1.loc[0, "wt_discrete"] is None
    assert f2.loc[0, "borough"] == "Camden" and f2.loc[0, "rennq147"] == 4 and f2.loc[0, "wt_discrete"] == pytest.approx(0.731)
    with pytest.raises(SourceFormatError, match="unknown columns"):
        pas.parse_microdata(b"SERIAL,MONTH,C2,NQ147r,NQ135BD,Q60,Q61,Q62A,Q62C,Q62TG,EXTRA\n", batch_id="b", loaded_at="x")
    two_years = early + "2,FY 16/17 - Month 01 (Apr 2016),Camden,1,2,1,2,1,6,7\n"
    with pytest.raises(SourceFormatError, match="several financial years"):
        pas.parse_microdata(two_years.encode(), batch_id="b", loaded_at="x")
