"""Spreadsheets as the sources publish them: a workbook's bytes read within bounds, its cells as text.

GOV.UK and the London Datastore publish ODS and XLSX workbooks (zips);
python-calamine reads both. `bounded_workbook` rebuilds the zip from members
read within `ingest.core.limits`' bounds before calamine sees it, and
`cell_text` writes a cell the way the CSV export of the sheet would;
`open_workbook` opens those bytes with calamine, and `reading` turns what
calamine raises while a sheet is read into one SourceFormatError naming
what was read.
"""

from __future__ import annotations

import io
import math
from contextlib import contextmanager

from ingest.core import limits, numbers
from ingest.core.errors import SourceFormatError

ZIP_SIGNATURE = b"PK\x03\x04"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def extension(content: bytes) -> str:
    """The landed file's extension: `ods` or `xlsx` for a spreadsheet (a zip), else `csv`."""
    if content.startswith(ZIP_SIGNATURE):
        return "ods" if ODS_MIMETYPE in content[:200] else "xlsx"
    return "csv"


def cell_text(value: object) -> str:
    """A spreadsheet cell as the CSV export would write it: a whole number without `.0`, a date as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return numbers.plain(value) if math.isfinite(value) else repr(value)  # never an exponent: 5e-05 is 0.00005
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def bounded_workbook(content: bytes, *, what: str) -> bytes:
    """The workbook (a zip) rebuilt from its members read within `ingest.core.limits`' bounds (member count,
    declared size and compression ratio, bytes read): calamine inflates what a zip declares, so a zip
    bomb is refused here, and what calamine reads is what was read here, sizes and all."""
    import zipfile

    budget = limits.ZipBudget.from_settings()
    out = io.BytesIO()
    with limits.open_zip(content, what=f"{what}: not a readable spreadsheet", budget=budget) as zf, \
            zipfile.ZipFile(out, "w") as rebuilt:
        for info in zf.infolist():
            data = b"" if info.is_dir() else limits.read_member(zf, info, what=what, budget=budget)
            # stored, not compressed again: calamine reads it once more straight away, within the bound just checked
            rebuilt.writestr(zipfile.ZipInfo(info.filename, date_time=info.date_time), data, compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


@contextmanager
def reading(what: str):
    """Calamine's errors (zip, XML, cells) inside the block are one thing here: unreadable bytes, refused by name."""
    try:
        yield
    except SourceFormatError:
        raise
    except Exception as exc:  # noqa: BLE001 - see the docstring
        raise SourceFormatError(f"{what}: not a readable spreadsheet ({type(exc).__name__}: {exc})") from exc


def open_workbook(content: bytes, *, what: str):
    """A calamine workbook of the bytes, read within bounds (`bounded_workbook`); call it inside `reading`."""
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_filelike(io.BytesIO(bounded_workbook(content, what=what)))
