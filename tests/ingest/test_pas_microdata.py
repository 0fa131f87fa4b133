"""ingest/pas_microdata.py: the columns of any release year map to one row shape."""

from __future__ import annotations

import pytest

from ingest import pas_microdata
from ingest.core.errors import SourceFormatError

EARLY = "SERIAL,MONTH,C2,NQ147r,NQ135BD,Q60,Q61,Q62A,Q62C,Q62TG\n1,FY 15/16 - Month 01 (Apr 2015),Camden,1,2,1,2,1,6,7\n"
LATE = "SERIAL,MONTH,Borough,ReNNQ147,NQ135BD,Q60,Q61,Q62A,Q62C,Q62TG,WT_Discrete\n9,FY 22/23 - Month 12 (Mar 2023),Camden,4,5,3,2,1,2,2,0.731\n"


def test_columns_of_any_year_map_to_one_row_shape():
    p1, f1 = pas_microdata.parse_file(EARLY.encode())
    p2, f2 = pas_microdata.parse_file(LATE.encode())
    assert (p1, p2) == ("2015-16", "2022-23")
    assert list(f1.columns) == list(f2.columns) == pas_microdata.TABLE.parsed_column_names
    assert f1.loc[0, "c2"] == "Camden" and f1.loc[0, "nq147r"] == 1 and f1.loc[0, "wt_discrete"] is None
    assert f2.loc[0, "borough"] == "Camden" and f2.loc[0, "rennq147"] == 4 and f2.loc[0, "wt_discrete"] == pytest.approx(0.731)


def test_files_it_cannot_read_are_refused_by_name():
    with pytest.raises(SourceFormatError, match="unknown columns"):
        pas_microdata.parse_file(b"SERIAL,MONTH,C2,NQ147r,NQ135BD,Q60,Q61,Q62A,Q62C,Q62TG,EXTRA\n")
    with pytest.raises(SourceFormatError, match="several financial years"):
        pas_microdata.parse_file((EARLY + "2,FY 16/17 - Month 01 (Apr 2016),Camden,1,2,1,2,1,6,7\n").encode())
    with pytest.raises(SourceFormatError, match="more fields than the header"):
        pas_microdata.parse_file((EARLY + "3,FY 15/16 - Month 02 (May 2015),Camden,1,2,1,2,1,6,7,9\n").encode())
    with pytest.raises(SourceFormatError, match="not a number"):
        pas_microdata.parse_file(EARLY.replace(",6,7", ",six,7").encode())
