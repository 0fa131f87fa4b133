"""Polite, fault-tolerant fetching of source bytes: the first step of the journey.

Every source client calls `fetch()` with a URL or a local path (configuration
decides which), so the same code reads the real site, a local mirror or a
recorded fixture. HTTP requests share a token bucket (police.uk publishes a
limit of 15 requests/s with bursts of 30) and retry what is worth retrying:
429 (honouring Retry-After), 5xx, timeouts and dropped connections, with
exponential backoff. What comes back is bytes, exactly as served; deciding
whether those bytes are valid JSON or CSV is the caller's job.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests

log = logging.getLogger(__name__)

RETRYABLE_STATUS = {429, 500, 502, 503, 504}


class SourceError(Exception):
    """A source could not be read; the message names the source and location."""


class SourceHTTPError(SourceError):
    def __init__(self, url: str, status: int, detail: str = ""):
        self.url = url
        self.status = status
        super().__init__(f"HTTP {status} from {url}" + (f": {detail}" if detail else ""))


class SourceFormatError(SourceError):
    """The bytes arrived but are not what the source publishes (HTML, truncated JSON...)."""


@dataclass(frozen=True)
class Fetched:
    url: str
    content: bytes
    status: int
    content_type: str
    fetched_at: float  # epoch seconds


class TokenBucket:
    """Thread-safe token bucket: `rate` tokens per second, at most `burst` banked."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic, sleep=time.sleep):
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; returns seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1 - 1e-9:  # tolerance: float sums of waits land just under 1
                    self._tokens = max(0.0, self._tokens - 1)
                    return waited
                wait = (1 - self._tokens) / self.rate
            self._sleep(wait)
            waited += wait


_buckets: dict[tuple[str, float, int], TokenBucket] = {}
_buckets_lock = threading.Lock()


def bucket_for(host: str, rate: float, burst: int) -> TokenBucket:
    """One bucket per host per process, shared by every caller."""
    key = (host, rate, burst)
    with _buckets_lock:
        if key not in _buckets:
            _buckets[key] = TokenBucket(rate, burst)
        return _buckets[key]


def is_remote(location: str) -> bool:
    return urlparse(location).scheme in ("http", "https")


def local_path(location: str) -> Path:
    parsed = urlparse(location)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    return Path(location).expanduser()


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def fetch_configured(settings, location: str, **kw) -> Fetched:
    """`fetch()` with the timeout, retries and rate limit from the Settings."""
    return fetch(
        location,
        timeout=settings.http_timeout_s,
        max_retries=settings.http_max_retries,
        rate=settings.http_rate_per_s,
        burst=settings.http_burst,
        **kw,
    )


def fetch(
    location: str,
    *,
    timeout: float = 60.0,
    max_retries: int = 5,
    rate: float = 15.0,
    burst: int = 30,
    backoff_base: float = 1.0,
    backoff_cap: float = 60.0,
    session: requests.Session | None = None,
    sleep=time.sleep,
    not_found_ok: bool = False,
) -> Fetched:
    """Read a URL (with rate limit and retries) or a local file, returning its bytes.

    Raises SourceHTTPError for a non-retryable status (or retries exhausted),
    SourceError for a missing local file or a network failure after retries.
    With `not_found_ok`, a 404 is returned (status 404, empty content) instead.
    """
    if not is_remote(location):
        path = local_path(location)
        if not path.is_file():
            raise SourceError(f"local source file not found: {path}")
        return Fetched(str(path), path.read_bytes(), 200, "", time.time())

    http = session or requests
    bucket = bucket_for(urlparse(location).netloc, rate, burst)
    attempt = 0
    while True:
        attempt += 1
        bucket.acquire()
        delay: float | None = None
        try:
            resp = http.get(location, timeout=timeout, headers={"User-Agent": "mapwh (+open data warehouse)"})
        except (requests.Timeout, requests.ConnectionError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
            if attempt > max_retries:
                raise SourceError(f"{location}: gave up after {attempt} attempts ({problem})") from exc
        else:
            if resp.status_code == 200:
                return Fetched(location, resp.content, 200, resp.headers.get("Content-Type", ""), time.time())
            if resp.status_code == 404 and not_found_ok:
                return Fetched(location, b"", 404, resp.headers.get("Content-Type", ""), time.time())
            if resp.status_code not in RETRYABLE_STATUS:
                raise SourceHTTPError(location, resp.status_code, resp.text[:200].strip())
            problem = f"HTTP {resp.status_code}"
            if attempt > max_retries:
                raise SourceHTTPError(location, resp.status_code, f"gave up after {attempt} attempts")
            if resp.status_code == 429:
                delay = _retry_after_seconds(resp.headers.get("Retry-After"))
        if delay is None:
            delay = min(backoff_cap, backoff_base * 2 ** (attempt - 1))
        log.warning("%s: %s; retry %d/%d in %.1fs", location, problem, attempt, max_retries, delay)
        sleep(delay)
