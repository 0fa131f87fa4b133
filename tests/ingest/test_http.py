"""ingest/http.py: rate limit, retries (429 + Retry-After, 5xx, timeouts), local paths."""

from __future__ import annotations

import pytest
import requests

from ingest.http import SourceError, SourceHTTPError, TokenBucket, fetch


class FakeResponse:
    def __init__(self, status: int, body: bytes = b"[]", headers: dict | None = None):
        self.status_code = status
        self.content = body
        self.text = body.decode(errors="replace")
        self.headers = headers or {"Content-Type": "application/json"}


class FakeSession:
    """Plays a scripted sequence of responses or exceptions."""

    def __init__(self, script):
        self.script = list(script)
        self.calls = 0

    def get(self, url, timeout, headers):
        self.calls += 1
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def test_retry_after_is_honoured_on_429():
    sleeps = []
    session = FakeSession([FakeResponse(429, b"slow down", {"Retry-After": "7"}), FakeResponse(200, b"[1]")])
    got = fetch("http://127.0.0.1/x", session=session, sleep=sleeps.append, rate=1000, burst=1000)
    assert got.content == b"[1]"
    assert sleeps == [7.0]


def test_5xx_and_timeouts_retry_with_exponential_backoff():
    sleeps = []
    session = FakeSession(
        [FakeResponse(503), requests.Timeout("slow"), requests.ConnectionError("reset"), FakeResponse(200, b"ok")]
    )
    got = fetch("http://127.0.0.1/y", session=session, sleep=sleeps.append, backoff_base=0.5, rate=1000, burst=1000)
    assert got.content == b"ok"
    assert sleeps == [0.5, 1.0, 2.0]


def test_gives_up_after_max_retries():
    session = FakeSession([FakeResponse(500)] * 3)
    with pytest.raises(SourceHTTPError, match="HTTP 500"):
        fetch("http://127.0.0.1/z", session=session, sleep=lambda s: None, max_retries=2, rate=1000, burst=1000)
    assert session.calls == 3


def test_client_errors_are_not_retried():
    session = FakeSession([FakeResponse(400, b"bad request")])
    with pytest.raises(SourceHTTPError, match="HTTP 400"):
        fetch("http://127.0.0.1/q", session=session, sleep=lambda s: None, rate=1000, burst=1000)
    assert session.calls == 1


def test_not_found_can_be_an_answer():
    session = FakeSession([FakeResponse(404, b"<html>")])
    got = fetch("http://127.0.0.1/n", session=session, not_found_ok=True, rate=1000, burst=1000)
    assert got.status == 404 and got.content == b""


def test_local_paths_and_file_urls(tmp_path):
    f = tmp_path / "a.json"
    f.write_bytes(b"[]")
    assert fetch(str(f)).content == b"[]"
    assert fetch(f.as_uri()).content == b"[]"
    with pytest.raises(SourceError, match="not found"):
        fetch(str(tmp_path / "missing.json"))


def test_token_bucket_allows_burst_then_paces_at_rate():
    clock = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        clock[0] += s

    bucket = TokenBucket(rate=15, burst=30, clock=lambda: clock[0], sleep=sleep)
    for _ in range(30):
        assert bucket.acquire() == 0.0  # the burst is free
    for _ in range(15):
        bucket.acquire()
    # 15 more requests after the burst need one second at 15/s.
    assert sum(slept) == pytest.approx(1.0, rel=1e-6)
