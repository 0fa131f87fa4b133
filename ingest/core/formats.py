"""Format checks every parser shares: HTML where data was expected, JSON, text decoding.

Sources answer errors with HTML pages and status 200, cut responses short,
or change encoding; these helpers turn each into a SourceFormatError that
names what was being read, so the batch is rejected and quarantined.
"""

from __future__ import annotations

import json

from ingest.core.errors import SourceFormatError


def refuse_html(content: bytes, *, what: str, expected: str) -> None:
    if content[:512].lstrip().lower().startswith(b"<"):
        raise SourceFormatError(f"{what}: got an HTML page instead of {expected} ({len(content)} bytes)")


def decode_json(content: bytes, *, what: str) -> object:
    """Parse a JSON response, refusing HTML error pages and truncated bodies by name."""
    refuse_html(content, what=what, expected="JSON")
    try:
        return json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceFormatError(f"{what}: invalid or truncated JSON ({len(content)} bytes): {exc}") from exc


def decode_text(content: bytes, *, what: str) -> str:
    """UTF-8 text with or without a byte-order mark."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"{what}: not UTF-8 text: {exc}") from exc
