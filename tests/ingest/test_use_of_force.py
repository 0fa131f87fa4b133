"""ingest/use_of_force.py: the Met's use-of-force workbooks, read by column name, one batch per financial year, and
the gate that names a tactic, ethnicity or borough nobody has mapped.

The workbooks are devdata's SYNTHETIC ones in the published layout (no real
use-of-force file is in ../shared); the CSV cases are written here in the
style of the conversions that circulate (Windows-1252, text dates)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pandas as pd
import pytest

from devdata import use_of_force as generator
from ingest import use_of_force
from ingest.core.config import get_settings
from ingest.core.errors import SourceFormatError
from ingest.core.source import GateContext
from warehouse import gates


def workbook(tmp_path, rows: list[dict]) -> bytes:
    path = tmp_path / "MPS Use of Force - FY21-22.xlsx"
    generator.write_workbook(path, rows)
    return path.read_bytes()


def record(day: date, **cells) -> dict:
    base = {"IncidentDate": day, "IncidentTime": "10:15:00", "Borough": "Lambeth", "SubjectAge": "18-34",
            "SubjectGender": "Male", "SubjectEthnicity": "Black (or Black British)", "PhysicalDisability": "No",
            "MentalDisability": "No", "Tactic 1": "Tactical Communications", "Effective 1": "Yes",
            "Incident Location: Street/Highway": "Yes", "Incident Location: Dwelling": "No", "Outcome: Arrested": "Yes"}
    return {**base, **cells}


def test_a_workbook_in_the_published_layout_is_one_batch_per_financial_year(tmp_path):
    rows = [record(date(2022, 3, 31), **{"Tactic 2": "Compliant Handcuffing", "Tactic 20": "Spit Guard",
                                          "Tactic Effective 20": "No", "Incident Location: Dwelling": "Yes"}),
            record(date(2022, 4, 1), Borough="City of Westminster", SubjectEthnicity=None)]
    batches = use_of_force.parse_file(workbook(tmp_path, rows), "MPS Use of Force - FY21-22.xlsx")
    assert [b.period for b in batches] == ["2021-22", "2022-23"]
    first = batches[0].frame.iloc[0]
    assert list(batches[0].frame.columns) == use_of_force.TABLE.parsed_column_names
    assert first["incident_date"] == date(2022, 3, 31) and first["incident_time"] == "10:15:00"
    assert first["tactic_2"] == "Compliant Handcuffing" and first["tactic_20"] == "Spit Guard"
    assert first["effective_20"] == "No"  # read from `Tactic Effective 20`, the 20th pair's published name
    assert first["incident_locations"] == "Street/Highway; Dwelling"  # the flags answered Yes, in column order
    assert first["outcome_arrested"] == "Yes" and first["outcome_no_further_action"] is None  # FY23-24 adds the column
    second = batches[1].frame.iloc[0]
    assert second["borough"] == "City of Westminster" and second["subject_ethnicity"] is None
    lineage = batches[0].lineage
    assert lineage["columns"] == 271 and "CED2 ArCED2" in lineage["columns_ignored"]
    assert lineage["months_in_file"] == ["2022-03", "2022-04"]


def test_a_csv_conversion_in_windows_1252_with_text_dates_and_other_capitals_reads_the_same():
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["IncidentDate", "IncidentTime", "BOROUGH", "SubjectEthnicity", "tactic 1", "Effective 1", "Incident Location: Café"])
    writer.writerow(["2021-11-18 00:00:00", "09:00:00", "Hackney", "White", "Non-compliant handcuffing", "Yes", "Yes"])
    writer.writerow(["19/11/2021", "09:05:00", "Hackney", "Mixed", "Ground Restraint", "No", "No"])
    (batch,) = use_of_force.parse_file(out.getvalue().encode("cp1252"), "x.csv")
    assert batch.period == "2021-22"
    assert list(batch.frame["incident_date"]) == [date(2021, 11, 18), date(2021, 11, 19)]
    assert list(batch.frame["incident_locations"]) == ["Café", None]


@pytest.mark.parametrize("header, message", [
    (["IncidentDate", "Borough", "Tactic 1"], "header lacks ['subject_ethnicity']"),
    (["IncidentDate", "Borough", "SubjectEthnicity", "Tactic 1", "tactic  1"], "two header cells mean 'tactic_1'"),
])
def test_a_header_that_is_not_the_dataset_s_is_refused_by_name(header, message):
    with pytest.raises(SourceFormatError, match=message.replace("[", r"\[").replace("]", r"\]")):
        use_of_force.parse_file((",".join(header) + "\n").encode(), "x.csv")


def test_a_date_that_is_not_a_date_is_refused_with_its_line():
    content = b"IncidentDate,Borough,SubjectEthnicity,Tactic 1\n2021-11-18,Hackney,White,Shield\nsoon,Hackney,White,Shield\n"
    with pytest.raises(SourceFormatError, match="line 3: IncidentDate 'soon' is not a date"):
        use_of_force.parse_file(content, "x.csv")


def gate(tmp_path, frame: pd.DataFrame, previous_months=()):
    view = use_of_force.gate_view(frame.assign(period="2021-22", batch_id="b", loaded_at="2026-01-01T00:00:00+00:00"))
    return gates.validate(get_settings({"MAPWH_HOME": str(tmp_path)}), "use_of_force", view, target="t", batch_id="b",
                          parameters={"previous_months": list(previous_months)})


def test_the_gate_passes_the_sample_and_names_an_unmapped_tactic_ethnicity_and_borough(tmp_path):
    (batch,) = use_of_force.parse_file(workbook(tmp_path, generator.year_rows(2021)[:300]), "x.xlsx")[:1]
    assert gate(tmp_path, batch.frame).success
    bad = batch.frame.copy()
    bad.loc[3, "tactic_2"] = "Taser Fired Twice"
    bad.loc[4, "subject_ethnicity"] = "Martian"
    bad.loc[5, "borough"] = "Gotham"
    result = gate(tmp_path, bad)
    assert not result.success
    failed = " ".join(result.failures)
    for label in ("Taser Fired Twice", "Martian", "Gotham"):
        assert label in failed
    assert "unknown_tactic" in failed and "unknown_ethnicity" in failed and "unknown_borough" in failed


def test_a_republished_year_that_lost_a_month_warns_and_still_passes(tmp_path):
    (batch,) = use_of_force.parse_file(workbook(tmp_path, generator.year_rows(2021)[:300]), "x.xlsx")[:1]
    months = sorted({d.strftime("%Y-%m") for d in batch.frame["incident_date"]})
    result = gate(tmp_path, batch.frame, previous_months=[*months, "2022-03"])
    assert result.success and any("incident_month" in w for w in result.warnings)


def test_the_gate_parameters_are_the_months_the_serving_batch_has(tmp_path):
    import duckdb

    path = tmp_path / "serving.parquet"
    duckdb.execute(f"copy (select * from (values (date '2021-04-02'), (date '2021-06-30'), (date '2021-06-01')) t(incident_date)) "
                   f"to '{path}' (format parquet)")
    assert use_of_force.gate_parameters(GateContext("2021-22", serving_file=str(path))) == {"previous_months": ["2021-04", "2021-06"]}
    assert use_of_force.gate_parameters(GateContext("2021-22")) == {"previous_months": []}
