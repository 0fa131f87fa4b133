"""A small deterministic OpenDocument spreadsheet (.ods) writer: the same sheets give the same bytes.

`ods_bytes([(sheet name, rows), ...])` writes the XML directly (odfpy through
pandas takes about a minute for the workforce tables; this takes well under a
second). A cell is a `str` (a string cell), an `int` or `float` (a number cell,
`office:value-type="float"` with the number in `office:value` and no display
text, which readers compute) or `None` (an empty cell; runs of them are one
element with `table:number-columns-repeated`, trailing ones are left out).
Text is XML-escaped; leading, trailing and repeated spaces are written as
ODF's `text:s` and line breaks as separate paragraphs, so readers get them
back; tabs as `text:tab` (LibreOffice reads them; python-calamine and odfpy's
pandas reader drop them). Characters XML cannot carry raise ValueError.
The zip holds `mimetype` first and STORED (as ODF requires), then
`META-INF/manifest.xml`, `content.xml`, `styles.xml` and `meta.xml`, all with
one fixed timestamp and fixed attributes.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
TIMESTAMP = (2025, 7, 23, 9, 30, 0)  # zip entries' date and time, and meta.xml's dates

Cell = str | int | float | None

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
}
_XMLNS = " ".join(f'xmlns:{k}="{v}"' for k, v in _NS.items())
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry at all.
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPACES = re.compile(r"^ +| +$| {2,}|\t")  # what XML readers of ODF would collapse or drop
_EMPTY_ROW = "<table:table-row><table:table-cell/></table:table-row>"


def _space(match: re.Match[str]) -> str:
    run = match.group()
    if run == "\t":
        return "<text:tab/>"
    return f'<text:s text:c="{len(run)}"/>' if len(run) > 1 else "<text:s/>"


def _paragraph(line: str) -> str:
    """One line as a `text:p`: leading, trailing and repeated spaces as `text:s`, tabs as `text:tab`."""
    return f"<text:p>{_SPACES.sub(_space, escape(line))}</text:p>"


def _string_cell(value: str) -> str:
    if _INVALID.search(value):
        raise ValueError(f"a character XML cannot carry in cell {value!r}")
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return f'<table:table-cell office:value-type="string">{"".join(map(_paragraph, lines))}</table:table-cell>'


def _number_cell(value: float) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"an ODS number cell cannot hold {value!r}")
    text = str(value) if isinstance(value, int) else repr(value)
    return f'<table:table-cell office:value-type="float" office:value="{text}"/>'  # readers show the value


def _row(cells: Sequence[Cell], strings: dict[str, str]) -> str:
    out = []
    empty = 0
    for cell in cells:
        if cell is None:
            empty += 1
            continue
        if empty:
            out.append(f'<table:table-cell table:number-columns-repeated="{empty}"/>' if empty > 1 else "<table:table-cell/>")
            empty = 0
        if isinstance(cell, str):
            xml = strings.get(cell)
            if xml is None:
                xml = strings[cell] = _string_cell(cell)
            out.append(xml)
        elif isinstance(cell, (int, float)) and not isinstance(cell, bool):
            out.append(_number_cell(cell))
        else:
            raise TypeError(f"an ODS cell is str, int, float or None, not {type(cell).__name__}: {cell!r}")
    if not out:
        return _EMPTY_ROW
    return f"<table:table-row>{''.join(out)}</table:table-row>"


def _table(name: str, rows: Sequence[Sequence[Cell]]) -> str:
    if not name or _INVALID.search(name) or any(c in name for c in "[]*?:/\\'"):
        raise ValueError(f"not a spreadsheet sheet name: {name!r}")
    width = max((len(r) for r in rows), default=0) or 1
    strings: dict[str, str] = {}  # the workforce tables repeat a few hundred labels
    body = "".join(_row(r, strings) for r in rows) or _EMPTY_ROW
    return (f"<table:table table:name={quoteattr(name)}>"
            f'<table:table-column table:number-columns-repeated="{width}"/>{body}</table:table>')


def _content(sheets: Sequence[tuple[str, Sequence[Sequence[Cell]]]]) -> str:
    tables = "".join(_table(name, rows) for name, rows in sheets)
    return (f'{_HEAD}<office:document-content {_XMLNS} office:version="1.2"><office:automatic-styles/>'
            f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>")


def _manifest() -> str:
    entries = "".join(f' <manifest:file-entry manifest:full-path="{p}" manifest:media-type="text/xml"/>\n'
                      for p in ("content.xml", "styles.xml", "meta.xml"))
    return (f'{_HEAD}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
            f' manifest:version="1.2">\n'
            f' <manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="{MIMETYPE}"/>\n'
            f"{entries}</manifest:manifest>\n")


def _styles() -> str:
    return (f'{_HEAD}<office:document-styles {_XMLNS} office:version="1.2"><office:styles>'
            '<style:default-style style:family="table-cell"/></office:styles></office:document-styles>\n')


def _meta() -> str:
    when = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}".format(*TIMESTAMP)
    return (f'{_HEAD}<office:document-meta {_XMLNS} office:version="1.2"><office:meta>'
            "<meta:generator>devdata.ods</meta:generator>"
            f"<meta:creation-date>{when}</meta:creation-date><dc:date>{when}</dc:date>"
            "</office:meta></office:document-meta>\n")


def _entry(name: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=TIMESTAMP)
    info.compress_type = compress
    info.create_system = 3
    info.external_attr = 0o100644 << 16
    return info


def ods_bytes(sheets: list[tuple[str, list[list[Cell]]]]) -> bytes:
    """An .ods workbook of the given (sheet name, rows), in that order; the same input gives the same bytes."""
    if not sheets:
        raise ValueError("a spreadsheet needs at least one sheet")
    names = [name for name, _ in sheets]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate sheet names: {names}")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(_entry("mimetype", zipfile.ZIP_STORED), MIMETYPE.encode("ascii"))
        for name, text in (("META-INF/manifest.xml", _manifest()), ("content.xml", _content(sheets)),
                           ("styles.xml", _styles()), ("meta.xml", _meta())):
            z.writestr(_entry(name, zipfile.ZIP_DEFLATED), text.encode("utf-8"), compresslevel=6)
    return buf.getvalue()
