"""The failure notifier (`warehouse.notify`): off by default; set, one email per failed task, through Airflow's
SMTP notifier, to a real SMTP server on 127.0.0.1. `tests/e2e/test_stop_search_e2e.py` checks that a gate failing
in a real run sends exactly one."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from warehouse import notify
from warehouse.pipeline import BatchRejected


def context(exc: BaseException) -> dict:
    return {"ti": SimpleNamespace(dag_id="stop_search", task_id="load", run_id="scheduled__2025-01-01"),
            "exception": exc}


@pytest.fixture
def configured(smtp_sink, monkeypatch, tmp_path):
    monkeypatch.setenv("MAPWH_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_sink.connection_uri)
    return smtp_sink


def test_nothing_is_sent_by_default(configured):
    notify.notify_failure(context(BatchRejected("police_uk_stop_search 2025-01: not JSON")))
    assert configured.messages == []


def test_a_failure_is_one_email_naming_the_task_and_why(configured, monkeypatch):
    monkeypatch.setenv("MAPWH_NOTIFY_EMAIL", "board@example.org, analyst@example.org")
    notify.notify_failure(context(BatchRejected("police_uk_stop_search 2025-01: gate police_uk_stop_searches failed")))
    (message,) = configured.messages
    assert message["Subject"].startswith("[mapwh] stop_search.load failed: BatchRejected: police_uk_stop_search 2025-01")
    assert message["From"] == "mapwh@example.org"  # the connection's from_email
    assert {a.strip() for a in message["To"].split(",")} == {"board@example.org", "analyst@example.org"}
    body = next(p for p in message.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert "gate police_uk_stop_searches failed" in body and "mapwh status" in body
    assert "scheduled__2025-01-01" in body


def test_each_failure_gets_its_own_subject(configured, monkeypatch):
    # a notifier renders its fields into itself: a shared one would repeat the first failure's subject
    monkeypatch.setenv("MAPWH_NOTIFY_EMAIL", "board@example.org")
    notify.notify_failure(context(RuntimeError("first")))
    notify.notify_failure(context(RuntimeError("second")))
    assert [m["Subject"].rsplit(": ", 1)[1] for m in configured.messages] == ["first", "second"]


def test_a_mail_server_that_is_down_does_not_raise(monkeypatch, tmp_path, caplog):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MAPWH_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("MAPWH_NOTIFY_EMAIL", "board@example.org")
    monkeypatch.setenv("MAPWH_NOTIFY_FROM", "mapwh@example.org")
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", f"smtp://127.0.0.1:{port}?disable_ssl=true&disable_tls=true&retry_limit=0&timeout=5")
    notify.notify_failure(context(RuntimeError("boom")))
    assert "could not send the failure notification to board@example.org" in caplog.text
