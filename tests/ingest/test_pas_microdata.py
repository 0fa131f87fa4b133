"""ingest/pas_microdata.py: the public ward-level files and the coded exports map to one row shape.

The public file's header is the real FY 15-17 header from ../shared/data (its
column names only: no real respondent rows are available offline, so the
rows here are written by the test in the published text-label style)."""

from __future__ import annotations

import csv
import io

import pytest

from ingest import pas_microdata
from ingest.core import reference
from ingest.core.errors import SourceFormatError
from tests.conftest import require_shared_data

EARLY = "SERIAL,MONTH,C2,NQ147r,NQ135BD,Q60,Q61,Q62A,Q62C,Q62TG\n1,FY 15/16 - Month 01 (Apr 2015),Camden,1,2,1,2,1,6,7\n"
LATE = "SERIAL,MONTH,Borough,ReNNQ147,NQ135BD,Q60,Q61,Q62A,Q62C,Q62TG,WT_Discrete\n9,FY 22/23 - Month 12 (Mar 2023),Camden,4,5,3,2,1,2,2,0.731\n"


def real_header() -> list[str]:
    """The FY 15-17 public file's 473 column names; its first cell is empty (a row index)."""
    names = (require_shared_data() / "pas" / "pas_ward_level_FY_15_17_header.txt").read_text(encoding="utf-8").splitlines()
    return ["" if n == "Unnamed: 0" else n for n in names]


def public_file(header: list[str], rows: list[dict]) -> bytes:
    """A file in the public format: every column of `header`, the given cells filled, the others empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for i, row in enumerate(rows):
        writer.writerow([str(i) if not name else row.get(name, "") for name in header])
    return out.getvalue().encode("utf-8")


def test_coded_exports_of_any_year_map_to_one_row_shape():
    (b1,) = pas_microdata.parse_file(EARLY.encode())
    (b2,) = pas_microdata.parse_file(LATE.encode())
    assert (b1.period, b2.period) == ("2015-16", "2022-23")
    assert list(b1.frame.columns) == list(b2.frame.columns) == pas_microdata.TABLE.parsed_column_names
    assert b1.frame.loc[0, "c2"] == "Camden" and b1.frame.loc[0, "nq147r"] == "1" and b1.frame.loc[0, "wt_discrete"] is None
    assert b2.frame.loc[0, "borough"] == "Camden" and b2.frame.loc[0, "rennq147"] == "4"
    assert b2.frame.loc[0, "wt_discrete"] == pytest.approx(0.731)
    assert b1.lineage["weight"].startswith("none") and b2.lineage["weight"] == "WT_Discrete"


def test_the_public_file_is_read_with_its_real_header_and_split_by_financial_year():
    header = real_header()
    assert len(header) == 473 and "SERIAL" not in header and "WT_Discrete" not in header
    rows = [
        {"MONTH": "FY 15/16 - Month 01 (Apr 2015)", "C2": "Kensington & Chelsea", "NQ147r": "White British",
         "NQ135BD": "Strongly agree", "Q60": "Good", "Q61": "Not Asked", "Q62A": "-", "Q62C": "Tend to agree", "Q62TG": "Don't know"},
        {"MONTH": "FY 15/16 - Month 12 (Mar 2016)", "C2": "Lambeth", "NQ147r": "Black", "NQ135BD": "Tend to disagree",
         "Q60": "Fair", "Q61": "Poor", "Q62A": "Strongly agree", "Q62C": "Neither agree nor disagree", "Q62TG": "Tend to agree"},
        {"MONTH": "FY 16/17 - Month 01 (Apr 2016)", "C2": "Westminster", "NQ147r": "White Other", "NQ135BD": "(spontaneous) No opinion",
         "Q60": "Excellent", "Q61": "Good", "Q62A": "Tend to agree", "Q62C": "Strongly disagree", "Q62TG": "Not asked"},
    ]
    batches = pas_microdata.parse_file(public_file(header, rows), "PAS_ward_level_FY_15_17.csv")
    assert [b.period for b in batches] == ["2015-16", "2016-17"]
    first, second = batches
    # the row key is the row's position in the file, across the split
    assert first.frame["row_index"].tolist() == [0, 1] and second.frame["row_index"].tolist() == [2]
    assert first.frame["nq135bd"].tolist() == ["Strongly agree", "Tend to disagree"]
    assert first.frame["serial"].isna().all() and first.frame["wt_discrete"].isna().all()
    # the columns the marts need are read; the other 462 are listed as present and ignored
    assert first.lineage["columns_read"] == sorted(["MONTH", "C2", "NQ147r", "NQ135BD", "Q60", "Q61", "Q62A", "Q62C", "Q62TG"])
    assert len(first.lineage["columns_ignored"]) == 473 - 9
    assert {"BOROUGHNEIGHBOURHOOD", "interview_date", "WT_Q41", "(unnamed column 1)"} <= set(first.lineage["columns_ignored"])
    assert first.lineage["financial_years_in_file"] == ["2015-16", "2016-17"]
    assert first.lineage["weight"].startswith("none")


def test_every_label_of_the_public_files_passes_the_gate_and_an_unknown_one_is_named():
    header = real_header()
    labels = ["Strongly agree", "Tend to agree", "Neither agree nor disagree", "Tend to disagree", "Strongly disagree",
              "Don't know", "Not Asked", "not asked", "-", "(spontaneous) No opinion", "  Strongly   Agree "]
    rows = [{"MONTH": "FY 15/16 - Month 02 (May 2015)", "C2": "Camden", "NQ147r": eth, "NQ135BD": label,
             "Q60": "Very poor", "Q61": "Excellent", "Q62A": label, "Q62C": label, "Q62TG": label}
            for label, eth in zip(labels, ["White British", "White Other", "Black", "Asian", "Mixed", "Other"] * 2)]
    (batch,) = pas_microdata.parse_file(public_file(header, rows))
    view = pas_microdata.gate_view(batch.frame)
    for variable in ("nq135bd", "q60", "q61", "q62a", "q62c", "q62tg", "nq147r"):
        known = set(pas_microdata.known_keys(variable))
        assert set(view[f"{variable}_answer"].dropna()) <= known, variable
    (bad,) = pas_microdata.parse_file(public_file(header, [{**rows[0], "NQ135BD": "Agree-ish", "NQ147r": "Martian"}]))
    view = pas_microdata.gate_view(bad.frame)
    # an unknown label reaches the gate as published, so its failure names it
    assert view.loc[0, "nq135bd_answer"] == "Agree-ish" and view.loc[0, "nq147r_answer"] == "Martian"
    assert "Agree-ish" not in pas_microdata.known_keys("nq135bd")


def test_answer_keys_fold_case_spacing_and_codes():
    assert reference.answer_key("1") == reference.answer_key("1.0") == reference.answer_key(" 1 ") == "1"
    assert reference.answer_key("Don\u2019t  Know") == reference.answer_key("don't know") == "don't know"
    assert reference.answer_key("Not Asked") == reference.answer_key("not asked")
    assert reference.answer_key("  ") is None and reference.answer_key(None) is None
    assert reference.answer_key("-") == "-"


def test_seed_keys_are_unique_per_variable():
    """A key naming two seed rows of one variable would count an answer twice (the join would fan out)."""
    for variable in (*pas_microdata.ANSWERS, *pas_microdata.ETHNICITY):
        seeds = (("pas_answer_codes", "pas_answer_labels") if variable in pas_microdata.ANSWERS
                 else ("pas_ethnicity_codes", "pas_ethnicity_labels"))
        meaning: dict[str, tuple] = {}
        for seed in seeds:
            for row in reference.seed_rows(seed):
                if row["variable"] != variable:
                    continue
                value = (row.get("answer_class"),) if variable in pas_microdata.ANSWERS else (row["ethnic_group"], row["is_white_british"])
                for key in filter(None, (reference.answer_key(row.get("code")), reference.answer_key(row["label"]))):
                    assert meaning.setdefault(key, value) == value, (variable, key)


def test_files_it_cannot_read_are_refused_by_name():
    with pytest.raises(SourceFormatError, match="no column"):
        pas_microdata.parse_file(b"SERIAL,MONTH,C2,NQ147r,NQ135BD,Q60,Q61,Q62A,Q62C\n")
    with pytest.raises(SourceFormatError, match="no borough column"):
        pas_microdata.parse_file(b"MONTH,NQ147r,NQ135BD,Q60,Q61,Q62A,Q62C,Q62TG\n")
    with pytest.raises(SourceFormatError, match="more fields than the header"):
        pas_microdata.parse_file((EARLY + "3,FY 15/16 - Month 02 (May 2015),Camden,1,2,1,2,1,6,7,9\n").encode())
    with pytest.raises(SourceFormatError, match="cut short"):
        pas_microdata.parse_file((EARLY + "3,FY 15/16 - Month 02 (May 2015),Camden,1\n").encode())
    with pytest.raises(SourceFormatError, match="not a number"):
        pas_microdata.parse_file(LATE.replace(",0.731", ",heavy").encode())
    with pytest.raises(SourceFormatError, match=r"line 2: .*\(Mon YYYY\)"):
        pas_microdata.parse_file(EARLY.replace("(Apr 2015)", "April").encode())
    with pytest.raises(SourceFormatError, match="appears twice"):
        pas_microdata.parse_file(b"MONTH,C2,NQ147r,NQ135BD,Q60,Q61,Q62A,Q62C,Q62TG,Q60\n")
