"""ingest/census.py on the real TS021 export: codes, not labels."""

from __future__ import annotations

import pytest

from ingest.census import parse_ts021_csv
from ingest.core.errors import SourceFormatError


def test_real_ts021_export_parses_by_code(shared_data):
    content = (shared_data / "census/census_2021_ethnic_group_8_categories_utla.csv").read_bytes()
    frame = parse_ts021_csv(content)
    assert set(frame["ethnic_group_code"]) == {-8, 1, 2, 3, 4, 5, 6, 7}
    assert set(frame["geography"]) == {"Upper tier local authorities"}
    london = frame[frame["area_code"].between("E09000001", "E09000033")]
    assert london["area_code"].nunique() == 33
    assert london["observation"].sum() == 8_799_731


def test_other_header_is_refused():
    with pytest.raises(SourceFormatError, match="TS021"):
        parse_ts021_csv(b"code,name,value\nE09000001,City,1\n")
