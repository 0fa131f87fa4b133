"""devdata.ods: the workbook reads back exactly with python-calamine and with odfpy (pandas' odf engine, an
independent reader), is a valid ODF package (mimetype first and stored), and the same rows give the same bytes."""

from __future__ import annotations

import io
import math
import zipfile

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from devdata.ods import MIMETYPE, ods_bytes

ROWS = [
    ["Financial year", "Force name", "Total (headcount)", "Total (FTE)"],
    ["2021/22", "London, City of", 12, 11.5],
    ["2022/23", 'A & B <c> "quoted" \'single\' >', 0, 0.0],
    ["  leading", "trailing  ", "two   inside", "ünïcödé – £"],
    [None, "after an empty cell", None, 3],
    ["", 1e20, -1.25, 0.1],
    [],
    ["line one\nline two", 123456789012, None, None],
]


def _calamine(data: bytes, sheet: str = "Data") -> list[list[object]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(sheet).to_python()


def _expected(rows: list[list[object]], empty: object) -> list[list[object]]:
    """The rows as a reader gives them: a rectangle, empty cells as `empty`, numbers as floats."""
    width = max(len(r) for r in rows)
    return [[empty if c is None else float(c) if isinstance(c, (int, float)) else c for c in r]
            + [empty] * (width - len(r)) for r in rows]


@pytest.fixture(scope="module")
def workbook() -> bytes:
    return ods_bytes([("Cover sheet", [["A title"], ["SYNTHETIC"]]), ("Notes", [["Note 1", "x"]]), ("Data", ROWS)])


def test_calamine_reads_back_exactly_the_rows(workbook):
    book = CalamineWorkbook.from_filelike(io.BytesIO(workbook))
    assert book.sheet_names == ["Cover sheet", "Notes", "Data"]
    got = _calamine(workbook)
    assert got == _expected(ROWS, "")
    assert all(type(c) is float for r in got for c in r if not isinstance(c, str))  # numbers come back as floats
    assert _calamine(workbook, "Cover sheet") == [["A title"], ["SYNTHETIC"]]


def test_odfpy_through_pandas_reads_back_the_same(workbook):
    frames = pd.read_excel(io.BytesIO(workbook), engine="odf", sheet_name=None, header=None, keep_default_na=False)
    assert list(frames) == ["Cover sheet", "Notes", "Data"]
    assert frames["Data"].astype(object).values.tolist() == _expected(ROWS, "")  # ints compare equal to the floats


def test_valid_package_and_the_same_bytes(workbook):
    again = ods_bytes([("Cover sheet", [["A title"], ["SYNTHETIC"]]), ("Notes", [["Note 1", "x"]]), ("Data", ROWS)])
    assert again == workbook
    assert ods_bytes([("Data", [["other"]])]) != workbook
    with zipfile.ZipFile(io.BytesIO(workbook)) as z:
        infos = z.infolist()
        assert [i.filename for i in infos] == ["mimetype", "META-INF/manifest.xml", "content.xml", "styles.xml", "meta.xml"]
        assert infos[0].compress_type == zipfile.ZIP_STORED and z.read("mimetype") == MIMETYPE.encode()
        assert not infos[0].extra
        assert {i.date_time for i in infos} == {(2025, 7, 23, 9, 30, 0)}
        assert MIMETYPE.encode() in z.read("META-INF/manifest.xml")
        content = z.read("content.xml").decode()
    assert workbook[38:38 + len(MIMETYPE)] == MIMETYPE.encode()  # readable at offset 38 without unzipping
    assert "&amp;" in content and "&lt;c&gt;" in content  # escaped, not dropped


def test_empty_runs_and_a_large_sheet():
    rows = [[None, None, None, "x", None, None, 1]] + [[f"r{i}", i, i / 4] for i in range(30_000)]
    data = ods_bytes([("Data", rows)])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert '<table:table-cell table:number-columns-repeated="3"/>' in z.read("content.xml").decode()
    got = _calamine(data)
    assert got[0] == ["", "", "", "x", "", "", 1.0]
    assert got[-1] == ["r29999", 29999.0, 29999 / 4, "", "", "", ""] and len(got) == 30_001


@pytest.mark.parametrize("sheets,error", [
    ([], ValueError), ([("Data", [[object()]])], TypeError), ([("Data", [[True]])], TypeError),
    ([("Data", [["bell \x07"]])], ValueError), ([("Data", [[math.nan]])], ValueError),
    ([("A", []), ("A", [])], ValueError), ([("bad/name", [])], ValueError)])
def test_refuses_what_it_cannot_write(sheets, error):
    with pytest.raises(error):
        ods_bytes(sheets)
