"""Fetching source bytes: the first step of the journey.

Every source reads its locations through `fetch()`: a URL, a `file:` URL or a
local path (configuration decides which), so the same code reads the real
site, a local mirror or a recorded fixture. HTTP goes through a
`requests.Session` whose adapter retries with `urllib3.Retry`: 429 and 5xx,
connection errors and read timeouts, with exponential backoff, honouring
`Retry-After` given as seconds or as an HTTP date up to
`MAPWH_HTTP_RETRY_AFTER_MAX` (a longer one fails the fetch at once). A body is read in chunks and refused beyond
`MAPWH_MAX_RESPONSE_MB` or after `MAPWH_DOWNLOAD_DEADLINE_S`, so neither a
huge answer nor a server trickling bytes can hold a worker. A local file is
read the same bounded way, and only when it is a regular file named directly:
a symlink (say, to /dev/zero in an unpacked archive), a FIFO or a device is
refused (`read_local`). What comes back
is bytes, exactly as served; whether they are valid JSON or CSV is the
source module's business.

Rate limits are not enforced here: one process cannot see the others. The
police.uk limit (15 requests/s) is kept by the Airflow pool `police_uk_api`,
which bounds how many tasks talk to the API at once (see
`warehouse.orchestration`).
"""

from __future__ import annotations

import email.utils
import errno
import functools
import logging
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ingest.core.config import Settings
from ingest.core.errors import SourceError, SourceFormatError, SourceHTTPError

log = logging.getLogger(__name__)

RETRYABLE_STATUS = (429, 500, 502, 503, 504)
USER_AGENT = "mapwh (+open data warehouse for London policing accountability data)"


@dataclass(frozen=True)
class Fetched:
    url: str
    content: bytes
    status: int
    content_type: str
    fetched_at: float  # epoch seconds


def is_remote(location: str) -> bool:
    return urlparse(location).scheme in ("http", "https")


def local_path(location: str) -> Path:
    parsed = urlparse(location)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    return Path(location).expanduser()


def file_name(location: str) -> str:
    """The file name a location ends in (query string and zip member markers aside)."""
    return Path(unquote(location.split("?", 1)[0].split("!", 1)[-1])).name


def _retry_after_seconds(header: str) -> float | None:
    """`Retry-After` in seconds, uncapped (urllib3's own parser caps it): digits or an HTTP date."""
    if header.strip().isdigit():
        return float(header.strip())
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


class BoundedRetry(Retry):
    """A `Retry` that will not wait longer than `retry_after_max` for a server.

    urllib3 alone would wait the capped time and ask again; a server that says
    "come back in a day" is not going to answer in five minutes, so a
    `Retry-After` beyond the cap ends the retries at once and the response
    comes back (raise_on_status=False) for `fetch` to name. The next
    scheduled run, or the task's own retry, asks again later.
    """

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if response is not None and self.respect_retry_after_header and self.retry_after_max is not None:
            header = response.headers.get("Retry-After")
            if header:
                wait = _retry_after_seconds(header)
                if wait is not None and wait > self.retry_after_max:
                    raise urllib3.exceptions.MaxRetryError(_pool, url, urllib3.exceptions.ResponseError(
                        f"Retry-After {wait:.0f} s is beyond MAPWH_HTTP_RETRY_AFTER_MAX ({self.retry_after_max} s)"))
        return super().increment(method, url, response, error, _pool, _stacktrace)


def retry_policy(retries: int, backoff_s: float, retry_after_max_s: int) -> Retry:
    return BoundedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        allowed_methods=frozenset({"GET", "HEAD"}),
        status_forcelist=RETRYABLE_STATUS,
        backoff_factor=backoff_s,
        backoff_max=60,
        respect_retry_after_header=True,
        retry_after_max=retry_after_max_s,
        raise_on_status=False,  # the last response comes back; fetch() names its status
    )


@functools.lru_cache(maxsize=8)
def _session(retries: int, backoff_s: float, retry_after_max_s: int) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry_policy(retries, backoff_s, retry_after_max_s))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def session_for(settings: Settings) -> requests.Session:
    """One session (connection pool) per retry policy per process."""
    retry_after_max = int(settings.vars.http_retry_after_max_s)
    return _session(settings.http_max_retries, settings.http_backoff_s, retry_after_max)


def max_response_bytes(settings: Settings) -> int:
    """MAPWH_MAX_RESPONSE_MB in bytes: the bound on one response, and on one local file."""
    return int(settings.vars.max_response_mb * 1024 * 1024)


def read_local(path: Path, max_bytes: int, *, setting: str = "MAPWH_MAX_RESPONSE_MB") -> bytes:
    """A local file's bytes: a regular file only, at most `max_bytes` (MAPWH_MAX_RESPONSE_MB).

    Opened without following a symlink (O_NOFOLLOW) and without blocking (a
    FIFO would wait for a writer), then checked on the open descriptor (no
    race between the check and the read): a symlink, FIFO, device, socket or
    directory is refused, and so is a file larger than the bound, whether it
    says so (its size) or grows while it is read (the read stops at the bound).
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise SourceError(f"local source file not found: {path}") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():
            raise SourceFormatError(f"{path}: a symlink; refused (only regular files are read, never what a link points to)") from None
        raise SourceError(f"{path}: cannot be opened ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = ("a directory" if stat.S_ISDIR(info.st_mode) else "a FIFO" if stat.S_ISFIFO(info.st_mode)
                    else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                    else "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
            raise SourceFormatError(f"{path}: {kind}; refused (only regular files are read)")
        if info.st_size > max_bytes:
            raise SourceFormatError(f"{path}: {info.st_size:,} bytes, larger than {round(max_bytes / (1024 * 1024), 2):g} MB "
                                    f"({setting}); refused")
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, max_bytes + 1 - size)):
            size += len(chunk)
            chunks.append(chunk)
            if size > max_bytes:
                raise SourceFormatError(f"{path}: grew larger than {round(max_bytes / (1024 * 1024), 2):g} MB while read "
                                        f"({setting}); refused")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _read_bounded(resp: requests.Response, location: str, max_bytes: int, deadline: float) -> bytes:
    """The body, refused when it grows beyond `max_bytes` or arrives after the deadline (a trickling server)."""
    chunks, size = [], 0
    try:
        # read1: whatever has arrived (up to 1 MB), so the deadline is checked while bytes trickle in
        while chunk := resp.raw.read1(1 << 20, decode_content=True):
            size += len(chunk)
            if size > max_bytes:
                raise SourceError(f"{location}: response larger than {max_bytes // (1024 * 1024)} MB (MAPWH_MAX_RESPONSE_MB); refused")
            if time.monotonic() > deadline:
                raise SourceError(f"{location}: download still running at the deadline (MAPWH_DOWNLOAD_DEADLINE_S); gave up")
            chunks.append(chunk)
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        raise SourceError(f"{location}: the connection broke while reading ({type(exc).__name__}: {exc})") from exc
    finally:
        resp.close()
    return b"".join(chunks)


def fetch(settings: Settings, location: str, *, not_found_ok: bool = False) -> Fetched:
    """Read a URL (with retries) or a local file, returning its bytes.

    Raises SourceHTTPError for a status other than 200 (after retries for the
    retryable ones), SourceError for a missing local file or a network
    failure after retries, SourceFormatError for a local path that is not a
    regular file (a symlink, FIFO, device) or is larger than
    MAPWH_MAX_RESPONSE_MB. With `not_found_ok`, a 404 is returned (status 404,
    empty content) instead.
    """
    max_bytes = max_response_bytes(settings)
    if not is_remote(location):
        path = local_path(location)
        return Fetched(str(path), read_local(path, max_bytes), 200, "", time.time())

    deadline = time.monotonic() + settings.vars.download_deadline_s
    try:
        resp = session_for(settings).get(location, timeout=settings.http_timeout_s, stream=True)
    except requests.RequestException as exc:
        raise SourceError(f"{location}: gave up after {settings.http_max_retries} retries ({type(exc).__name__}: {exc})") from exc
    if resp.status_code == 200:
        return Fetched(location, _read_bounded(resp, location, max_bytes, deadline), 200,
                       resp.headers.get("Content-Type", ""), time.time())
    with resp:
        if resp.status_code == 404 and not_found_ok:
            return Fetched(location, b"", 404, resp.headers.get("Content-Type", ""), time.time())
        retried = len(resp.raw.retries.history) if getattr(resp.raw, "retries", None) else 0
        start = next(resp.iter_content(chunk_size=200), b"").decode("utf-8", errors="replace").strip()
        retry_after = resp.headers.get("Retry-After")
        if retry_after and resp.status_code in RETRYABLE_STATUS:
            start = f"after {retried} retries; the server asks to wait (Retry-After: {retry_after}), beyond MAPWH_HTTP_RETRY_AFTER_MAX"
        elif resp.status_code in RETRYABLE_STATUS:
            start = f"after {retried} retries"
        raise SourceHTTPError(location, resp.status_code, start)
