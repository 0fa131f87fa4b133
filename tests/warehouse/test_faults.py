"""Faults an adversarial review found outside the catalogue (issue 20), on the pipeline, console and CLI.

police.uk months come from the synthetic sample served on 127.0.0.1, as in tests/warehouse/test_pipeline.py;
every test has its own MAPWH_HOME. Each test names the catalogue case it proves (docs/reliability.md).
"""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import pytest

from devdata import sample
from ingest import registry
from ingest.core.config import get_settings
from ingest.core.http import Fetched
from tests.warehouse.conftest import stops_file
from warehouse import cli, console, pipeline, validated
from warehouse.cli import status
from warehouse.reconcile import reconcile

STOPS = registry.get("police_uk_stop_search")
TABLE = STOPS.table.name
SECRET = "s3cret-Pw-9f"


def load(settings, month: str) -> dict:
    (planned,) = pipeline.plan(settings, STOPS, month)
    (committed,) = pipeline.load_planned(settings, STOPS, planned)
    return committed


def holds(settings) -> bool:
    return all(r.holds for r in reconcile(settings))


def lost(settings) -> int:
    return sum(r.received - r.validated - r.quarantined for r in reconcile(settings))


# --------------------------------------------------------------------------- a value with rich markup
def test_a_value_that_looks_like_rich_markup_is_printed_as_is(tmp_path, capfd):
    log = tmp_path / "logs" / "run.log"
    log.parent.mkdir()
    with console.session(log, verbose=False) as out:
        out.print("  2024-03 REJECTED: street name '[/x] [bold]Main St[/]' refused")
        with console.progress(out) as bar:
            bar.add_task("loading [/x]", total=1)
    printed = capfd.readouterr().out
    assert "'[/x] [bold]Main St[/]'" in printed and "loading [/x]" in printed


# --------------------------------------------------------------------------- secrets and log modes
def test_every_log_line_and_child_output_is_redacted_and_the_log_is_the_owners_alone(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("MAPWH_PG_DSN", f"postgresql://publisher:{SECRET}@127.0.0.1:1/marts")
    monkeypatch.setenv("MAPWH_PG_READER_PASSWORD", "reader-Pw-41")
    log = console.log_path(tmp_path / "logs", "run")
    import logging

    with console.session(log, verbose=False) as out:
        logging.getLogger("x").error("IO Error: connection to server failed: host=127.0.0.1 password=%s dbname=marts", SECRET)
        try:
            raise RuntimeError(f"Unable to connect to Postgres at postgresql://publisher:{SECRET}@127.0.0.1:1/marts")
        except RuntimeError:
            logging.getLogger("x").exception("publish failed")
        subprocess.run([sys.executable, "-c", f"import sys; print('dbt: reader-Pw-41 and {SECRET}', file=sys.stderr)"],
                       check=True)
        out.print(f"mapwh publish: password={SECRET}")
    text = log.read_text()
    printed = capfd.readouterr()
    assert SECRET not in text and "reader-Pw-41" not in text and SECRET not in printed.out + printed.err
    assert text.count("***") >= 4 and "publish failed" in text and "dbt: *** and ***" in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600 and stat.S_IMODE(log.parent.stat().st_mode) == 0o700


def test_the_session_ends_without_waiting_for_a_copy_of_its_pipe_left_open(tmp_path):
    """A library that keeps a copy of stdout's write end open past the session (every `mapwh run` had one) must
    not hold the session's end until the process exits: what was written is in the log, and the pump is gone."""
    import threading

    log = tmp_path / "logs" / "run.log"
    log.parent.mkdir()
    with console.session(log, verbose=False):
        kept = os.dup(1)  # the pipe's write end, open until the process exits
        os.write(kept, b"written through the copy\n")
        subprocess.run([sys.executable, "-c", "print('a child line')"], check=True)
    try:
        pumps = [t for t in threading.enumerate() if t.name == "mapwh-log-pump"]
        text = log.read_text()
    finally:
        os.close(kept)
    assert "written through the copy" in text and "a child line" in text
    assert pumps == []  # it stopped once the pipe was drained, instead of timing out on a write end never closed


def test_an_unexpected_error_is_printed_redacted(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("MAPWH_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("MAPWH_PG_DSN", f"host=127.0.0.1 password={SECRET}")

    def boom(args):
        raise KeyError(f"dsn host=127.0.0.1 password={SECRET} failed")

    monkeypatch.setattr(cli, "cmd_status", boom)  # build_parser reads the module attribute
    code = cli.main(["status"])
    err = capsys.readouterr().err
    assert code == 1 and SECRET not in err and "password=***" in err and "KeyError" in err


# --------------------------------------------------------------------------- kill -9 of the supervisor
def test_the_child_dies_with_its_supervisor_when_the_supervisor_is_killed(tmp_path):
    """The supervisor killed with SIGKILL (it cannot catch it): its child, in a session of its own, and the
    child's own child (as dbt is) are gone within seconds."""
    pids = tmp_path / "pids"
    child = textwrap.dedent(f"""
        import os, subprocess, sys, time
        from warehouse.cli.supervisor import _die_with_supervisor
        _die_with_supervisor(int(os.environ["MAPWH_RUN_SUPERVISOR"]))
        grandchild = subprocess.Popen(["sleep", "300"])
        open({str(pids)!r}, "w").write(f"{{os.getpid()}} {{grandchild.pid}}")
        time.sleep(300)
    """)
    supervisor = textwrap.dedent(f"""
        import os, subprocess, sys, time
        subprocess.Popen([sys.executable, "-c", {child!r}], start_new_session=True,
                         env={{**os.environ, "MAPWH_RUN_SUPERVISOR": str(os.getpid())}})
        time.sleep(300)
    """)
    boss = subprocess.Popen([sys.executable, "-c", supervisor])
    deadline = time.time() + 60
    while not (pids.exists() and len(pids.read_text().split()) == 2):
        assert time.time() < deadline
        time.sleep(0.1)
    worker, grandchild = map(int, pids.read_text().split())
    os.kill(boss.pid, signal.SIGKILL)
    boss.wait()
    deadline = time.time() + 10
    while any(_alive(p) for p in (worker, grandchild)):
        assert time.time() < deadline, "the child outlived its supervisor"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


# --------------------------------------------------------------------------- crash between landing and commit
def test_a_crash_between_landing_and_commit_is_recovered_by_the_next_load(settings, monkeypatch):
    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # as abrupt as kill -9 for this process: no except Exception sees it

    with monkeypatch.context() as patch:
        patch.setattr(validated, "stage", killed)
        with pytest.raises(KeyboardInterrupt):
            load(settings, "2024-03")
    assert validated.current(settings.validated_dir, TABLE, "2024-03") is None
    assert not holds(settings) and lost(settings) > 0  # landed, no outcome: reported lost ...
    (orphan,) = pipeline.orphans(settings, STOPS)
    assert orphan["period"] == "2024-03"

    (planned,) = pipeline.plan(settings, STOPS, "2024-04")
    committed = pipeline.load_planned(settings, STOPS, planned)  # ... until the next load of the source processes it
    assert [c["period"] for c in committed] == ["2024-03", "2024-04"]
    serving = validated.current(settings.validated_dir, TABLE, "2024-03")
    assert serving["status"] == "loaded" and serving["sha256"] == orphan["sha256"] and serving["fetched_at"] == orphan["fetched_at"]
    assert holds(settings) and pipeline.orphans(settings, STOPS) == []


def test_a_crash_between_the_periods_of_a_two_year_file_is_recovered(tmp_path, mirror_root, monkeypatch):
    """The public PAS file FY 15-17 holds two financial years: a crash after the first is committed leaves the
    file short of its records; the next load of the source commits the second year."""
    source = registry.get("pas_microdata")
    settings = get_settings({"MAPWH_HOME": str(tmp_path / "var"),
                             "PAS_MICRODATA_URL": str(mirror_root / "pas" / "ward_level" / "PAS_ward_level_FY_15_17.csv")})
    real, calls = validated.stage, []

    def second_one_killed(*args, **kwargs):
        calls.append(args[2])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(validated, "stage", second_one_killed)
        with pytest.raises(KeyboardInterrupt):
            pipeline.load(settings, source)
    first, second = calls
    assert validated.current(settings.validated_dir, source.table.name, first) and \
        validated.current(settings.validated_dir, source.table.name, second) is None
    assert lost(settings) > 0 and len(pipeline.orphans(settings, source)) == 1
    pipeline.load(settings, source)
    assert validated.current(settings.validated_dir, source.table.name, second)["status"] == "loaded"
    assert holds(settings) and pipeline.orphans(settings, source) == []


def test_an_orphan_older_than_the_batch_serving_is_quarantined_not_published(settings, mirror_root, monkeypatch):
    first = load(settings, "2024-03")
    records = json.loads(stops_file(mirror_root, "2024-03").read_bytes())
    older = json.dumps(records[:-1]).encode()  # a revision fetched before the one that serves next
    newer = json.dumps(records[:-2]).encode()
    fetched = float(time.time())
    (planned,) = pipeline.plan(settings, STOPS, "2024-03")
    url = planned.locations[0]
    with monkeypatch.context() as patch:
        patch.setattr(validated, "stage", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
        with pytest.raises(KeyboardInterrupt):
            pipeline.ingest_bytes(settings, STOPS, Fetched(url, older, 200, "", fetched - 60), "2024-03")
    (committed,) = pipeline.ingest_bytes(settings, STOPS, Fetched(url, newer, 200, "", fetched), "2024-03")
    assert committed["revision_of"]["batch_id"] == first["batch_id"]
    assert pipeline.recover(settings, STOPS) == []  # refused: stale
    assert validated.current(settings.validated_dir, TABLE, "2024-03")["batch_id"] == committed["batch_id"]
    (entry,) = [e for e in (settings.quarantine_dir / STOPS.name / "2024-03").iterdir()
                if json.loads((e / "batch.json").read_text())["bytes"] == len(older)]
    assert "older data never replaces newer" in (entry / "reason.txt").read_text()
    assert holds(settings)


# --------------------------------------------------------------------------- a full disk while quarantining
def test_a_full_disk_while_quarantining_leaves_no_entry_claiming_the_records(settings, mirror_root, monkeypatch):
    stops_file(mirror_root, "2024-02").write_bytes(b"<!DOCTYPE html><html>502</html>")
    real = pipeline.atomic_write

    def full(path, content):
        if path.name.startswith("payload"):
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.partial")
            partial.write_bytes(content[: len(content) // 3])  # what a full disk leaves of a write
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, content)

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "atomic_write", full)
        with pytest.raises(OSError, match="No space left"):
            load(settings, "2024-02")
    entries = list((settings.quarantine_dir / STOPS.name / "2024-02").glob("*"))
    assert all(not (e / "batch.json").exists() and not (e / "payload.json").exists() for e in entries)
    # no entry claims the file, so reconciliation reports it lost (an unreadable file: a file, no records) ...
    (result,) = [r for r in reconcile(settings) if r.source == STOPS.name]
    assert len(result.lost) == 1 and not result.holds
    # ... until the next load of the source quarantines it whole
    load(settings, "2024-01")
    (entry,) = list((settings.quarantine_dir / STOPS.name / "2024-02").glob("*/batch.json"))
    assert (entry.parent / "payload.json").read_bytes() == stops_file(mirror_root, "2024-02").read_bytes()
    assert holds(settings)


def test_a_full_disk_after_the_gate_is_recovered(settings, monkeypatch):
    real = validated.commit

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(validated, "commit", full)
        with pytest.raises(OSError):
            load(settings, "2024-03")
    assert lost(settings) > 0 and validated.current(settings.validated_dir, TABLE, "2024-03") is None
    assert validated.commit is real
    (planned,) = pipeline.plan(settings, STOPS, "2024-01")
    assert [c["period"] for c in pipeline.load_planned(settings, STOPS, planned)] == ["2024-03", "2024-01"]
    assert validated.current(settings.validated_dir, TABLE, "2024-03")["status"] == "loaded" and holds(settings)


# --------------------------------------------------------------------------- accept
def test_accept_refuses_a_held_revision_older_than_the_batch_serving(settings, mirror_root, monkeypatch, capsys):
    load(settings, "2024-03")
    records = json.loads(stops_file(mirror_root, "2024-03").read_bytes())
    stops_file(mirror_root, "2024-03").write_text(json.dumps(records[: int(len(records) * 0.55)]))
    with pytest.raises(pipeline.SuspectRevision):
        load(settings, "2024-03")
    (entry,) = list((settings.quarantine_dir / STOPS.name / "2024-03").iterdir())
    held = (entry / "reason.txt").read_text().split("mapwh accept ")[1].split()[0]
    time.sleep(1.1)  # fetched_at is to the second
    stops_file(mirror_root, "2024-03").write_text(json.dumps(records + records[:3]))  # a newer, larger revision
    newer = load(settings, "2024-03")
    monkeypatch.setenv("MAPWH_HOME", str(settings.home))
    assert cli.main(["accept", held]) == 1
    assert "older data over newer" in capsys.readouterr().err
    assert validated.current(settings.validated_dir, TABLE, "2024-03")["batch_id"] == newer["batch_id"]
    assert not (entry / "accepted.json").exists() and holds(settings)


@pytest.mark.parametrize("batch_id", [
    "police_uk_stop_search",  # no period, no checksum
    "police_uk_stop_search:2024-03",
    "police_uk_stop_search:../../../../tmp:0123456789abcdef",
    "police_uk_stop_search:2024-03:../../../etc",
    "../x:2024-03:0123456789abcdef",
    "no_such_source:2024-03:0123456789abcdef",
])
def test_accept_refuses_a_malformed_id_in_one_line(settings, monkeypatch, capsys, batch_id):
    monkeypatch.setenv("MAPWH_HOME", str(settings.home))
    assert cli.main(["accept", batch_id]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_accept_never_follows_a_path_out_of_the_quarantine(settings, tmp_path, monkeypatch, capsys):
    """A planted batch.json outside quarantine/, reached by `../`, and one inside naming a raw file outside the raw zone."""
    outside = tmp_path / "planted"
    (outside / "2024-03" / "0123456789abcdef").mkdir(parents=True)
    victim = tmp_path / "victim.json"
    victim.write_text("[]")
    planted = {"source": STOPS.name, "period": "2024-03", "sha256": "0123456789abcdef" + "0" * 48, "path": "../../victim.json",
               "url": "x", "fetched_at": "2024-04-01T00:00:00+00:00"}
    (outside / "2024-03" / "0123456789abcdef" / "batch.json").write_text(json.dumps(planted))
    inside = settings.quarantine_dir / STOPS.name / "2024-03" / "0123456789abcdef"
    inside.mkdir(parents=True)
    (inside / "batch.json").write_text(json.dumps(planted))
    before = sorted(p for p in tmp_path.rglob("*") if settings.home not in p.parents)
    monkeypatch.setenv("MAPWH_HOME", str(settings.home))
    assert cli.main(["accept", "police_uk_stop_search:2024-03:0123456789abcdef"]) == 1
    assert "not a file in the raw zone" in capsys.readouterr().err
    assert sorted(p for p in tmp_path.rglob("*") if settings.home not in p.parents) == before
    assert not (inside / "accepted.json").exists() and validated.current(settings.validated_dir, TABLE, "2024-03") is None


# --------------------------------------------------------------------------- misleading status
def test_a_month_the_source_withdraws_is_flagged_not_reported_unchanged(settings, mirror_root, monkeypatch, capsys):
    loaded = load(settings, "2024-03")
    availability = mirror_root / sample.AVAILABILITY_PATH
    entries = json.loads(availability.read_text())
    availability.write_text(json.dumps([e for e in entries if e["date"] != "2024-03"]))
    (planned,) = pipeline.plan(settings, STOPS, "2024-03")
    assert planned.via == "unlisted" and planned.locations == ()
    with pytest.raises(pipeline.Withdrawn, match="keeps serving"):
        pipeline.load_planned(settings, STOPS, planned)
    (flag,) = pipeline.withdrawn(settings)
    assert (flag["period"], flag["batch_id"], flag["rows"]) == ("2024-03", loaded["batch_id"], loaded["rows"])
    assert validated.current(settings.validated_dir, TABLE, "2024-03")["batch_id"] == loaded["batch_id"]
    monkeypatch.setenv("MAPWH_HOME", str(settings.home))
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert f"WITHDRAWN: {TABLE} 2024-03 is no longer listed" in out and f"{loaded['rows']:,} rows" in out
    # a month never loaded that the list does not name is simply not published
    availability.write_text(json.dumps([e for e in entries if e["date"] not in ("2024-02", "2024-03")]))
    (planned,) = pipeline.plan(settings, STOPS, "2024-02")
    with pytest.raises(pipeline.NotPublished) as raised:
        pipeline.load_planned(settings, STOPS, planned)
    assert not isinstance(raised.value, pipeline.Withdrawn)


@pytest.mark.parametrize("delta, said", [
    (timedelta(minutes=5), "5 min ago"),
    (timedelta(days=-400), "in the future (a clock ahead of this one's)"),
    (timedelta(seconds=-20), "0 min ago"),
])
def test_an_age_is_never_negative(delta, said):
    text = status._ago(delta)
    assert said in text and "-" not in text
