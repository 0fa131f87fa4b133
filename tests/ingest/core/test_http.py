"""ingest/core/http.py against a real HTTP server on 127.0.0.1: retries (429 with
Retry-After as seconds and as an HTTP date, 5xx, dropped connections), what is
not retried, 404 as an answer, local paths."""

from __future__ import annotations

import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ingest.core.config import get_settings
from ingest.core.errors import SourceError, SourceHTTPError
from ingest.core.http import fetch


class Scripted(BaseHTTPRequestHandler):
    """Answers each request with the next step of the server's script."""

    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        server.arrivals.append(time.monotonic())
        step = server.script.pop(0) if server.script else (200, {}, b"done")
        if step == "drop":
            self.connection.close()  # the connection dies without an answer
            return
        if step == "trickle":  # promises 100 bytes, sends one every 0.3 s
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.3)
            return
        status, headers, body = step
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    httpd.script, httpd.arrivals = [], []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}/x"
    httpd.shutdown()
    httpd.server_close()


def settings(**env):
    return get_settings({"MAPWH_HTTP_BACKOFF": "0.05", "MAPWH_HTTP_RETRIES": "3", "MAPWH_HTTP_TIMEOUT": "5", **env})


def test_retry_after_in_seconds_is_honoured_on_429(server):
    httpd, url = server
    httpd.script = [(429, {"Retry-After": "1"}, b"slow down"), (200, {}, b"[1]")]
    got = fetch(settings(), url)
    assert got.content == b"[1]" and got.status == 200
    assert httpd.arrivals[1] - httpd.arrivals[0] >= 0.95


def test_retry_after_as_an_http_date_is_honoured(server):
    httpd, url = server
    httpd.script = [(503, {"Retry-After": formatdate(time.time() + 2, usegmt=True)}, b""), (200, {}, b"ok")]
    assert fetch(settings(), url).content == b"ok"
    assert httpd.arrivals[1] - httpd.arrivals[0] >= 0.9  # the date has one-second resolution


def test_retry_after_beyond_the_cap_fails_at_once(server):
    httpd, url = server
    httpd.script = [(429, {"Retry-After": "86400"}, b""), (200, {}, b"ok")]
    started = time.monotonic()
    with pytest.raises(SourceHTTPError, match=r"HTTP 429.*Retry-After: 86400.*MAPWH_HTTP_RETRY_AFTER_MAX") as err:
        fetch(settings(MAPWH_HTTP_RETRY_AFTER_MAX="1"), url)
    assert err.value.status == 429
    assert len(httpd.arrivals) == 1  # not asked again: the server said when
    assert time.monotonic() - started < 5


def test_retry_after_within_the_cap_is_waited_for(server):
    httpd, url = server
    httpd.script = [(503, {"Retry-After": "2"}, b""), (200, {}, b"ok")]
    assert fetch(settings(MAPWH_HTTP_RETRY_AFTER_MAX="2"), url).content == b"ok"
    assert httpd.arrivals[1] - httpd.arrivals[0] >= 1.9


def test_5xx_and_dropped_connections_retry_then_succeed(server):
    httpd, url = server
    httpd.script = [(503, {}, b"busy"), "drop", (502, {}, b"bad gateway"), (200, {}, b"ok")]
    assert fetch(settings(), url).content == b"ok"
    assert len(httpd.arrivals) == 4
    gaps = [b - a for a, b in zip(httpd.arrivals, httpd.arrivals[1:])]
    assert gaps[-1] > gaps[0]  # exponential backoff


def test_gives_up_after_the_configured_retries(server):
    httpd, url = server
    httpd.script = [(500, {}, b"")] * 10
    with pytest.raises(SourceHTTPError, match="HTTP 500") as err:
        fetch(settings(MAPWH_HTTP_RETRIES="2"), url)
    assert err.value.status == 500 and len(httpd.arrivals) == 3


def test_client_errors_are_not_retried(server):
    httpd, url = server
    httpd.script = [(400, {}, b"bad request")]
    with pytest.raises(SourceHTTPError, match="HTTP 400.*bad request"):
        fetch(settings(), url)
    assert len(httpd.arrivals) == 1


def test_not_found_can_be_an_answer(server):
    httpd, url = server
    httpd.script = [(404, {"Content-Type": "text/html"}, b"<html>"), (404, {}, b"<html>")]
    got = fetch(settings(), url, not_found_ok=True)
    assert got.status == 404 and got.content == b""
    with pytest.raises(SourceHTTPError, match="HTTP 404"):
        fetch(settings(), url)


def test_unreachable_host_is_a_source_error():
    with pytest.raises(SourceError, match="gave up"):
        fetch(settings(MAPWH_HTTP_RETRIES="1"), "http://127.0.0.1:9/nothing")


def test_local_paths_and_file_urls(tmp_path):
    f = tmp_path / "a.json"
    f.write_bytes(b"[]")
    assert fetch(settings(), str(f)).content == b"[]"
    assert fetch(settings(), f.as_uri()).content == b"[]"
    with pytest.raises(SourceError, match="not found"):
        fetch(settings(), str(tmp_path / "missing.json"))


def test_a_response_beyond_the_size_limit_is_refused(server):
    httpd, url = server
    httpd.script = [(200, {}, b"[" + b"1," * 100_000 + b"1]")]
    with pytest.raises(SourceError, match="larger than"):
        fetch(settings(MAPWH_MAX_RESPONSE_MB="0.1"), url)


def test_a_trickling_server_is_given_up_at_the_deadline(server):
    httpd, url = server
    httpd.script = ["trickle"]
    started = time.monotonic()
    with pytest.raises(SourceError, match="deadline"):
        fetch(settings(MAPWH_DOWNLOAD_DEADLINE_S="1"), url)
    assert time.monotonic() - started < 5


# --------------------------------------------------------------------------- local files: regular files only, bounded
@pytest.mark.parametrize("special", ["symlink to /dev/zero", "symlink to a file", "fifo", "device", "directory"])
def test_a_local_path_that_is_not_a_regular_file_is_refused(tmp_path, special):
    """A symlink to /dev/zero was read without limit; FIFOs, devices and links are refused before a byte is read."""
    import os

    from ingest.core.errors import SourceFormatError

    target = tmp_path / "2024-03-metropolitan-stop-and-search.csv"
    if special == "symlink to /dev/zero":
        target.symlink_to("/dev/zero")
    elif special == "symlink to a file":
        (tmp_path / "real.csv").write_bytes(b"a,b\n")
        target.symlink_to(tmp_path / "real.csv")
    elif special == "fifo":
        os.mkfifo(target)  # nobody writes it: an open that waited would hang the test
    elif special == "device":
        target = type(tmp_path)("/dev/null")
    else:
        target.mkdir()
    kind = {"fifo": "a FIFO", "device": "a device", "directory": "a directory"}.get(special, "a symlink")
    with pytest.raises(SourceFormatError, match=f"{kind}; refused"):
        fetch(settings(), str(target))
    with pytest.raises(SourceFormatError, match=f"{kind}; refused"):
        fetch(settings(), target.as_uri())


def test_a_local_file_beyond_the_size_limit_is_refused(tmp_path):
    from ingest.core.errors import SourceFormatError

    big = tmp_path / "big.json"
    big.write_bytes(b"[" + b"1," * 100_000 + b"1]")
    with pytest.raises(SourceFormatError, match="larger than 0.1 MB.*MAPWH_MAX_RESPONSE_MB"):
        fetch(settings(MAPWH_MAX_RESPONSE_MB="0.1"), str(big))
    assert len(fetch(settings(MAPWH_MAX_RESPONSE_MB="1"), str(big)).content) == big.stat().st_size
