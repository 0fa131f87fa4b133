"""ingest/use_of_force_by_force.py: the Home Office table by police force, tactic and officer-perceived ethnicity,
read from the release's ODS (or a CSV of the sheet) in long form, and the gate that names an unmapped label, finds
a child above its parent and warns of a force gone.

The workbooks are devdata's SYNTHETIC ones in the published layout (no real
use-of-force table is in ../shared); the CSV is written here in the layout of
the cleaned conversions that circulate (no title rows)."""

from __future__ import annotations

import pytest

from devdata import use_of_force_by_force as generator
from ingest import use_of_force_by_force as source
from ingest.core.config import get_settings
from ingest.core.errors import SourceFormatError
from ingest.core.source import GateContext
from warehouse import gates

NEW, OLD = 2021, 2020  # the sample's 2019/20-worded and 2018/19-worded releases


@pytest.fixture(scope="module")
def batches():
    """{financial year: the parsed batch} of the two synthetic workbooks."""
    out = {}
    for fy in (OLD, NEW):
        (batch,) = source.parse_file(generator.workbook(fy), generator.file_name(fy))
        out[batch.period] = batch
    return out


def cells(frame, force: str, tactic: str) -> dict:
    rows = frame[(frame["force"] == force) & (frame["tactic"] == tactic)]
    return dict(zip(rows["ethnicity"], rows["uses"]))


def test_the_ethnicity_sheet_is_read_in_long_form_one_batch_per_year(batches):
    assert sorted(batches) == ["2020-21", "2021-22"]  # 2021-22 from the title, 2020-21 from the file name
    new = batches["2021-22"]
    assert list(new.frame.columns) == source.TABLE.parsed_column_names
    assert new.lineage["sheet"].endswith("[Table_16]")  # not the age table before it
    assert new.lineage["ethnicity_columns"] == list(generator.ETHNICITIES_NEW)
    assert batches["2020-21"].lineage["ethnicity_columns"] == list(generator.ETHNICITIES_OLD)  # Chinese, Don't know
    forces = set(new.frame["force"])
    assert {"Total England and Wales", "Avon & Somerset", "Metropolitan Police"} <= forces  # footnote digits gone
    assert "Spit and bite guard" in set(new.frame["tactic"])
    met = new.frame[new.frame["force"] == "Metropolitan Police"]
    assert len(met) == len(met["row_index"].unique()) * len(generator.ETHNICITIES_NEW)
    total = met[met["tactic"] == "*Total Tactics"]
    assert total["is_total"].all() and total["uses"].sum() == total["published_total"].iloc[0]
    assert any("note row" in w for w in new.warnings)  # the footnotes under the table


def test_a_not_reported_cell_is_null_never_zero(batches):
    frame = batches["2021-22"].frame
    avon = cells(frame, "Avon & Somerset", "Compliant handcuffing")
    assert set(avon.values()) == {None}
    row = frame[(frame["force"] == "Avon & Somerset") & (frame["tactic"] == "Compliant handcuffing")]
    assert row["published_total"].isna().all()
    assert cells(frame, "Avon & Somerset", "Handcuffing not stated") == cells(frame, "Avon & Somerset", "Handcuffing, of which")
    assert all(v is not None for v in cells(frame, "Metropolitan Police", "Compliant handcuffing").values())


@pytest.mark.parametrize("published, name", [
    ("Avon & Somerset2", "Avon & Somerset"), ("Gwent (3)", "Gwent"), ("Kent [note 4]", "Kent"), ("Surrey*", "Surrey"),
    ("Spit and bite guard4", "Spit and bite guard"), ("  Dyfed-Powys 1 ", "Dyfed-Powys"), ("*Total Tactics", "*Total Tactics"),
])
def test_footnote_markers_are_stripped_from_names(published, name):
    assert source.without_footnote(published) == name


def test_a_zero_is_zero_and_a_colon_or_blank_is_null():
    csv_text = ("Police Force,Type of force,Tactic,White,Black (or Black British),Not reported,Number of times tactic reported\n"
                "Bedfordshire,Firearms,*Total Firearms,0,:,,:\n"
                "Bedfordshire,Other,Other / improvised,\"1,204\",3,0,\"1,207\"\n")
    (batch,) = source.parse_file(csv_text.encode(), "april2019-march2020.csv")
    assert batch.period == "2019-20"
    assert list(batch.frame["uses"]) == [0, None, None, 1204, 3, 0]
    assert list(batch.frame["published_total"]) == [None] * 3 + [1207] * 3


def test_of_which_children_carry_their_parent_until_a_row_that_is_not_one(batches):
    frame = batches["2021-22"].frame
    met = frame[(frame["force"] == "Metropolitan Police") & (frame["ethnicity"] == "White")]
    parents = dict(zip(met["tactic"], met["parent_tactic"]))
    assert parents["Compliant handcuffing"] == parents["Handcuffing not stated"] == "Handcuffing, of which"
    assert parents["CED non-discharge"] == "CED of which"  # no comma in the 2019/20 wording
    assert parents["Dog bite"] == "Dog use, of which"
    for top in ("Handcuffing, of which", "Limb / Body restraints", "Spit and bite guard", "Other / improvised",
                "*Total Other", "AEP, of which"):
        assert parents[top] is None, top
    old = batches["2020-21"].frame
    old_met = old[(old["force"] == "Metropolitan Police") & (old["ethnicity"] == "White")]
    old_parents = dict(zip(old_met["tactic"], old_met["parent_tactic"]))
    assert old_parents["Not stated handcuffing"] == "Handcuffing, of which" and old_parents["CED"] is None


def test_the_year_is_refused_when_neither_title_nor_name_says_it_or_they_differ():
    header = "Police Force,Type of force,Tactic,White,Number of times tactic reported\nKent,Firearms,*Total Firearms,1,1\n"
    with pytest.raises(SourceFormatError, match="no financial year"):
        source.parse_file(header.encode(), "table16.csv")
    titled = "Table 16. ... officer perceived ethnicity of person involved, year ending March 2020\n\n" + header
    with pytest.raises(SourceFormatError, match="the title says 2019-20, the file name 2020-21"):
        source.parse_file(titled.encode(), "police-use-of-force-apr2020-mar2021-tables.csv")


def test_a_workbook_without_the_ethnicity_sheet_is_refused():
    from devdata.ods import ods_bytes

    content = ods_bytes([("Table_14", [["Table 14. ... by police force and officer perceived age of subject"], [],
                                       ["Police Force", "Type of force", "Tactic", "Under 11 years",
                                        "Number of times tactic reported"]])])
    with pytest.raises(SourceFormatError, match="no sheet titled with 'officer perceived ethnicity'"):
        source.parse_file(content, "police-use-of-force-apr2019-mar2020-tables.ods")


def test_a_count_that_is_not_one_is_refused_with_its_line():
    content = b"Police Force,Type of force,Tactic,White,Number of times tactic reported\nKent,Firearms,*Total Firearms,many,1\n"
    with pytest.raises(SourceFormatError, match="line 2, White"):
        source.parse_file(content, "apr2019-mar2020.csv")


# --------------------------------------------------------------------------- the gate
def gate(tmp_path, frame, previous_forces=()):
    view = source.gate_view(frame.assign(period="2021-22", batch_id="b", loaded_at="2026-01-01T00:00:00+00:00"))
    return gates.validate(get_settings({"MAPWH_HOME": str(tmp_path)}), "use_of_force_by_force", view, target="t",
                          batch_id="b", parameters={"previous_forces": list(previous_forces)})


def test_the_gate_passes_both_synthetic_years(tmp_path, batches):
    for batch in batches.values():
        result = gate(tmp_path, batch.frame)
        assert result.success, result.failures


def test_an_unknown_tactic_or_ethnicity_fails_the_gate_by_name(tmp_path, batches):
    bad = batches["2021-22"].frame.copy()
    bad.loc[bad["tactic"] == "Shield", "tactic"] = "Sonic cannon"
    bad.loc[bad["ethnicity"] == "Mixed", "ethnicity"] = "Martian"
    result = gate(tmp_path, bad)
    assert not result.success
    failed = " ".join(result.failures)
    assert "unknown_tactic" in failed and "Sonic cannon" in failed
    assert "unknown_ethnicity" in failed and "Martian" in failed


def test_a_child_above_its_parent_fails_and_so_does_a_row_off_its_total(tmp_path, batches):
    frame = batches["2021-22"].frame
    above = frame.copy()
    at = above[(above["force"] == "Cheshire") & (above["tactic"] == "Baton drawn") & (above["ethnicity"] == "White")].index
    above.loc[at, "uses"] = 10**6
    above.loc[above["row_index"] == above.loc[at[0], "row_index"], "published_total"] = None  # its total no witness
    result = gate(tmp_path, above)
    assert not result.success and "within_parent" in " ".join(result.failures)
    assert "total_matches" not in " ".join(result.failures)
    off = frame.copy()
    off.loc[(off["force"] == "Cheshire") & (off["tactic"] == "Shield"), "published_total"] = 1
    result = gate(tmp_path, off)
    assert not result.success and "total_matches" in " ".join(result.failures)


def test_a_force_missing_since_the_previous_year_warns_and_still_passes(tmp_path, batches):
    frame = batches["2021-22"].frame
    result = gate(tmp_path, frame[frame["force"] != "Cheshire"], previous_forces=sorted(set(frame["force"])))
    assert result.success and any("force" in w for w in result.warnings)
    assert gate(tmp_path, frame, previous_forces=sorted(set(frame["force"]))).warnings == []


def test_the_gate_parameters_are_the_previous_year_s_forces(tmp_path):
    import duckdb

    path = tmp_path / "2020-21.parquet"
    duckdb.execute(f"copy (select * from (values ('Kent'), ('Avon & Somerset'), ('Kent')) t(force)) to '{path}' (format parquet)")
    context = GateContext("2021-22", history=({"period": "2020-21", "path": str(path)},))
    assert source.gate_parameters(context) == {"previous_forces": ["Avon & Somerset", "Kent"]}
    assert source.gate_parameters(GateContext("2021-22")) == {"previous_forces": []}
