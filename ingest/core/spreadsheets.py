"""Spreadsheets as the sources publish them: a workbook's bytes read within bounds, its cells as text.

GOV.UK and the London Datastore publish ODS and XLSX workbooks (zips);
python-calamine reads both. `bounded_workbook` rebuilds the zip from members
read within `ingest.core.limits`' bounds before calamine sees it, and
`cell_text` writes a cell the way the CSV export of the sheet would.
"""

from __future__ import annotations

import io
import math

from ingest.core import limits, numbers

ZIP_SIGNATURE = b"PK\x03\x04"


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
