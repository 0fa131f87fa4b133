"""Bounds on what one input may cost, and strict readers for the containers sources arrive in.

A few hundred kilobytes can ask for gigabytes: a zip member that inflates a
thousandfold, a zip whose directory lists millions of entries, a JSON array
of millions of empty objects (each becoming a row of the raw contract). Every
such input is refused before it is expanded, with a SourceFormatError naming
the bound and the setting that raises it:

- `MAPWH_MAX_RECORDS` (2,000,000): records one parsed file may hold.
- `MAPWH_MAX_UNZIPPED_MB` (512): bytes read out of one zip, all members
  together (each member's declared size is checked before it is read, and
  the read itself stops at the bound: a declared size is not trusted).
- `MAPWH_MAX_UNZIP_RATIO` (200): a member over 1 MiB that declares more
  than this many times its compressed size is refused unread (a zip bomb).
- `MAPWH_MAX_ZIP_MEMBERS` (20,000): entries one zip may list, counted from
  its end record before its directory is read.

A zip holding two members of the same name is refused (which one is "the"
file would be a guess). JSON is read with every object's keys checked: a key
given twice is refused (`json` would silently keep the last value).

Parsers are called with bytes only, so the bounds are read from the process
environment when they are used (the settings a deployment exports); their
defaults and types are declared once, in `ingest.core.config.Variables`.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field

from ingest.core.config import Settings, get_settings
from ingest.core.errors import SourceFormatError
from ingest.core.formats import refuse_html

MB = 1024 * 1024
RATIO_FLOOR_BYTES = MB  # members smaller than this are not ratio-checked (they cannot cost much)


def max_records(settings: Settings | None = None) -> int:
    return (settings or get_settings()).vars.max_records


def check_records(count: int, *, what: str, settings: Settings | None = None) -> None:
    """Refuse `count` records beyond MAPWH_MAX_RECORDS (before any frame is built of them)."""
    limit = max_records(settings)
    if count > limit:
        raise SourceFormatError(f"{what}: more than {limit:,} records (MAPWH_MAX_RECORDS); refused")


# --------------------------------------------------------------------------- JSON
def _unique_keys(what: str):
    def hook(pairs: list[tuple[str, object]]) -> dict:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
            raise SourceFormatError(f"{what}: key {twice!r} appears twice in one JSON object; refused "
                                    "(which value is meant cannot be told)")
        return obj
    return hook


def decode_json(content: bytes, *, what: str) -> object:
    """JSON as `ingest.core.formats.decode_json` reads it (HTML and truncation refused by name),
    and with a key repeated in any object refused."""
    refuse_html(content, what=what, expected="JSON")
    try:
        return json.loads(content, object_pairs_hook=_unique_keys(what))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise SourceFormatError(f"{what}: invalid or truncated JSON ({len(content)} bytes): {exc}") from exc


# --------------------------------------------------------------------------- zip
@dataclass
class ZipBudget:
    """What one zip may still give: bytes left to read (MAPWH_MAX_UNZIPPED_MB) and the bounds."""

    max_bytes: int
    max_ratio: float
    max_members: int
    read: int = field(default=0)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> "ZipBudget":
        declared = (settings or get_settings()).vars
        return cls(max_bytes=int(declared.max_unzipped_mb * MB), max_ratio=declared.max_unzip_ratio,
                   max_members=declared.max_zip_members)

    @property
    def mb(self) -> str:
        return f"{round(self.max_bytes / MB, 2):g} MB"


def _declared_entries(content: bytes) -> int | None:
    """How many entries the zip's end record declares (zip64 included), without reading its directory."""
    try:
        endrec = zipfile._EndRecData(io.BytesIO(content))  # noqa: SLF001 - the stdlib's own end-record reader
    except (OSError, zipfile.BadZipFile, ValueError, IndexError):
        return None
    return None if not endrec else int(endrec[zipfile._ECD_ENTRIES_TOTAL])  # noqa: SLF001


def open_zip(content: bytes, *, what: str, budget: ZipBudget) -> zipfile.ZipFile:
    """A zip of `content`, refused when it lists more than MAPWH_MAX_ZIP_MEMBERS entries (counted from its
    end record first) or two members of one name; unreadable bytes are a SourceFormatError."""
    declared = _declared_entries(content)
    if declared is not None and declared > budget.max_members:
        raise SourceFormatError(f"{what}: the zip lists {declared:,} members, more than {budget.max_members:,} "
                                "(MAPWH_MAX_ZIP_MEMBERS); refused")
    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise SourceFormatError(f"{what}: not a readable zip ({type(exc).__name__}: {exc})") from None
    infos = zf.infolist()
    if len(infos) > budget.max_members:
        zf.close()
        raise SourceFormatError(f"{what}: the zip lists {len(infos):,} members, more than {budget.max_members:,} "
                                "(MAPWH_MAX_ZIP_MEMBERS); refused")
    seen: set[str] = set()
    for info in infos:
        if info.filename in seen:
            zf.close()
            raise SourceFormatError(f"{what}: the zip holds two members named {info.filename!r}; refused "
                                    "(which one is the file cannot be told)")
        seen.add(info.filename)
    return zf


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo | str, *, what: str, budget: ZipBudget) -> bytes:
    """One member's bytes, within the budget: its declared size and compression ratio checked before it is
    read, and the read capped at what the budget has left whatever the zip declares."""
    info = zf.getinfo(info) if isinstance(info, str) else info
    left = budget.max_bytes - budget.read
    where = f"{what}: member {info.filename!r}"
    if info.file_size > left:
        raise SourceFormatError(f"{where} declares {info.file_size:,} bytes uncompressed, beyond what "
                                f"MAPWH_MAX_UNZIPPED_MB ({budget.mb} per zip) leaves; refused")
    if info.file_size > RATIO_FLOOR_BYTES and info.file_size > budget.max_ratio * max(info.compress_size, 1):
        raise SourceFormatError(f"{where} would inflate {info.file_size / max(info.compress_size, 1):,.0f} times "
                                f"({info.compress_size:,} → {info.file_size:,} bytes), more than "
                                f"MAPWH_MAX_UNZIP_RATIO ({budget.max_ratio:g}); refused as a zip bomb")
    try:
        with zf.open(info) as member:
            data = member.read(left + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, RuntimeError, ValueError,
            EOFError, OSError) as exc:
        raise SourceFormatError(f"{where}: unreadable ({type(exc).__name__}: {exc})") from None
    if len(data) > left:
        raise SourceFormatError(f"{where} inflates beyond MAPWH_MAX_UNZIPPED_MB ({budget.mb} per zip); refused")
    budget.read += len(data)
    return data
