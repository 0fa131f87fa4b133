"""What can go wrong reading a source: every message names the source and location."""

from __future__ import annotations


class SourceError(Exception):
    """A source could not be read; the message names the source and location."""


class SourceHTTPError(SourceError):
    def __init__(self, url: str, status: int, detail: str = ""):
        self.url = url
        self.status = status
        super().__init__(f"HTTP {status} from {url}" + (f": {detail}" if detail else ""))


class SourceFormatError(SourceError):
    """The bytes arrived but are not what the source publishes (HTML, truncated JSON...)."""
