"""`python -m devdata`: generate a sample, serve a directory, run a command against the mirror."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from devdata import __main__ as cli
from devdata import mirror, sample

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Fetches CENSUS_POPULATION_URL from its environment (no proxy), writes the URL and the body to
# argv[1], then exits 3.
FETCH_AND_EXIT_3 = """
import os, sys, urllib.request
url = os.environ["CENSUS_POPULATION_URL"]
body = urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=10).read()
with open(sys.argv[1], "wb") as out:
    out.write(url.encode() + b"\\n" + body)
sys.exit(3)
"""
# Says it is ready in argv[1], then waits for SIGTERM and exits 7 when it comes.
WAIT_FOR_SIGTERM = """
import os, signal, sys, time
def stop(signum, frame):
    open(sys.argv[1] + ".term", "w").write(os.environ["POLICE_UK_API_URL"])
    sys.exit(7)
signal.signal(signal.SIGTERM, stop)
open(sys.argv[1], "w").write("ready")
time.sleep(120)
sys.exit(1)
"""


def _refused(url: str) -> bool:
    try:
        requests.get(url, timeout=2, proxies={"http": "", "https": ""})
    except requests.ConnectionError:
        return True
    return False


def _devdata(*args: str, **kwargs) -> subprocess.Popen:
    """`python -m devdata ...` from the project root, as a user runs it."""
    return subprocess.Popen([sys.executable, "-m", "devdata", *args], cwd=PROJECT_ROOT, **kwargs)


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, f"exited {proc.returncode} before {path.name} appeared"
        assert time.monotonic() < deadline, f"{path.name} did not appear"
        time.sleep(0.05)


# --- generate ------------------------------------------------------------------

def test_generate_writes_a_sample(tmp_path, capsys):
    assert cli.main(["generate", str(tmp_path), "--first-month", "2024-01", "--last-month", "2024-02",
                     "--archive-months", "", "--empty-months", "2024-01", "--seed", "3"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["empty_months"] == ["2024-01"] and printed["records"]["2024-02"] > 0
    assert (tmp_path / sample.STOPS_DIR / "2024-01.json").read_bytes() == b"[]"
    assert not (tmp_path / "police_uk" / "archive").exists()
    assert sample.has_sample(tmp_path)  # PAS included


def test_generate_defaults_to_mapwh_home_sample(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(sample, "generate", lambda out, **kwargs: calls.append((Path(out), kwargs)) or {
        "out_dir": str(out), "seed": kwargs["seed"], "records": {}, "empty_months": [], "archive_records": {}})
    monkeypatch.setenv("MAPWH_HOME", str(tmp_path / "home"))
    assert cli.main(["generate"]) == 0
    assert calls == [(tmp_path / "home" / "sample", {"seed": 2020, "first_month": "2023-07", "last_month": "2025-06",
                                                     "archive_months": ("2016-06",), "empty_months": None})]


def test_a_command_only_after_serve(capsys):
    for argv in (["generate", "--", "true"], ["serve", "x", "--"]):
        with pytest.raises(SystemExit) as exc:
            cli.main(argv)
        assert exc.value.code == 2


# --- serve -- COMMAND ----------------------------------------------------------------

def test_serve_runs_the_command_against_the_mirror_and_exits_with_its_code(default_sample, tmp_path):
    root, _ = default_sample
    out = tmp_path / "fetched"
    code = cli.main(["serve", str(root), "--", sys.executable, "-c", FETCH_AND_EXIT_3, str(out)])
    assert code == 3
    url, body = out.read_bytes().split(b"\n", 1)
    assert url.decode().startswith("http://127.0.0.1:") and url.decode().endswith(sample.CENSUS_PATH.as_posix())
    assert body == (root / sample.CENSUS_PATH).read_bytes()
    assert _refused(url.decode())  # the server was stopped


def test_serve_reports_a_missing_command(default_sample, capsys):
    root, _ = default_sample
    assert cli.main(["serve", str(root), "--", str(root / "no-such-command")]) == 127
    assert "no-such-command" in capsys.readouterr().err


def test_serve_sample_generates_then_forwards_sigterm(tmp_path):
    """--sample fills an empty DIR first; SIGTERM to serve reaches the command, whose exit code it returns."""
    root, ready = tmp_path / "new", tmp_path / "ready"
    proc = _devdata("serve", str(root), "--sample", "--", sys.executable, "-c", WAIT_FOR_SIGTERM, str(ready),
                    stderr=subprocess.PIPE)
    try:
        _wait_for(ready, proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 7
    finally:
        proc.kill()
        proc.wait()
    api_url = Path(f"{ready}.term").read_text()
    assert _refused(f"{api_url}/crimes-street-dates")
    assert sample.has_sample(root)


# --- serve without a command -------------------------------------------------------------

def test_serve_prints_the_url_and_exports_then_stops_on_sigterm(default_sample):
    root, _ = default_sample
    proc = _devdata("serve", str(root), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base_url = proc.stdout.readline().strip()
        exports = dict(shlex.split(proc.stdout.readline())[1].split("=", 1) for _ in range(7))
        assert base_url.startswith("http://127.0.0.1:")
        # the PAS and workforce sources are left to find their files in the catalogues the mirror serves
        assert sorted(exports) == ["CENSUS_POPULATION_URL", "GOVUK_URL", "LONDON_BOUNDARIES_URL", "LONDON_DATASTORE_URL",
                                   "MAPWH_SYNTHETIC_SOURCES", "POLICE_UK_API_URL", "POLICE_UK_ARCHIVE_URL"]
        assert exports["POLICE_UK_API_URL"] == base_url + "/api" and exports["LONDON_DATASTORE_URL"] == base_url
        no_proxy = {"http": "", "https": ""}
        listed = requests.get(f"{base_url}/api/3/action/package_show?id=mopac-surveys", timeout=10, proxies=no_proxy).json()
        workbook = next(r["url"] for r in listed["result"]["resources"] if r["url"].endswith(".xlsx"))
        resp = requests.get(workbook, timeout=10, proxies=no_proxy)
        assert resp.status_code == 200 and resp.content.startswith(b"PK\x03\x04")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
        proc.wait()
    assert _refused(base_url + "/api/crimes-street-dates")


def test_exports_are_shell_quoted(tmp_path, capsys, monkeypatch):
    """Values go through shlex.quote, so `eval` of the lines cannot run anything."""
    monkeypatch.setattr(mirror, "source_environment", lambda server: {"PAS_MICRODATA_URL": "", "X_URL": "a b;$(x)"})
    monkeypatch.setattr(cli, "_wait_for_stop", lambda: None)
    assert cli.main(["serve", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == ["export PAS_MICRODATA_URL=''", "export X_URL='a b;$(x)'"]


def test_serve_prints_the_public_url_and_exports_with_it(default_sample, capsys, monkeypatch):
    """`--host 0.0.0.0 --public-url http://mirror:8000`: the mirror of the compose test (docker/test/compose.yml)."""
    root, _ = default_sample
    monkeypatch.setattr(cli, "_wait_for_stop", lambda: None)
    assert cli.main(["serve", str(root), "--host", "0.0.0.0", "--public-url", "http://mirror:8000"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "http://mirror:8000"
    exports = dict(shlex.split(line)[1].split("=", 1) for line in lines[1:])
    assert exports["POLICE_UK_API_URL"] == "http://mirror:8000/api" and exports["GOVUK_URL"] == "http://mirror:8000"
    assert exports["CENSUS_POPULATION_URL"].startswith("http://mirror:8000/files/")
    assert cli.main(["serve", str(root), "--public-url", "mirror:8000"]) == 2
    assert "public URL" in capsys.readouterr().err
