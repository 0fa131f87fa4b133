"""Shared fixtures: where the real extracts are, and a clean MAPWH_HOME per test.

Real public extracts live in ../shared/data (never copied into the repo).
Tests that need them use the `shared_data` fixture: it skips with a clear
message when ../shared is absent, and fails instead when CI=true, because CI
must never pass by skipping the real-data tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


def required(found, message: str):
    """`found`, or skip the test with `message` when it is None: fail instead under CI=true, which must
    never pass by skipping (the real extracts, a server or browser the project's set-up installs)."""
    if found is not None:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; CI=true requires it")
    pytest.skip(message)


def query(path, sql: str, params=None) -> list[tuple]:
    """Rows of `sql` on the DuckDB file at `path`, opened read-only as an analyst would."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def require_shared_data() -> Path:
    return required(SHARED_DATA if (SHARED_DATA / "MANIFEST.tsv").exists() else None,
                    f"real extracts not found at {SHARED_DATA} (../shared/data beside the project)")


@pytest.fixture
def shared_data() -> Path:
    return require_shared_data()


@pytest.fixture
def mapwh_home(tmp_path, monkeypatch) -> Path:
    """A fresh MAPWH_HOME where nothing reaches a real site by accident: every source with a fixed
    default points at a closed port, every source that discovers its files (or has no default) is
    not taken (its variable set empty), and the catalogues' base URLs point at the closed port."""
    from ingest import registry
    from ingest.core.discovery import BASES

    home = tmp_path / "var"
    monkeypatch.setenv("MAPWH_HOME", str(home))
    for source in registry.sources().values():
        monkeypatch.setenv(source.variable, "" if source.catalogue or not source.default else "http://127.0.0.1:9/unset")
        for variable, default, _ in source.extra_variables:
            if not default:  # an extra location with no default (an archive): not taken
                monkeypatch.setenv(variable, "")
    for variable, _, _ in BASES.values():
        monkeypatch.setenv(variable, "http://127.0.0.1:9/unset")
    return home


@pytest.fixture(autouse=True)
def nothing_received_is_lost(request):
    """After every test: each warehouse home it made under its tmp_path reconciles.

    The promise of docs/reliability.md: whatever a test did to a home (faults,
    bad inputs, kills, revisions), every record that was received is in the
    validated zone or in quarantine. A test that breaks a home on purpose to
    show that reconciliation notices opts out with
    `@pytest.mark.breaks_reconciliation`.
    """
    yield
    tmp_path = request.node.funcargs.get("tmp_path") if hasattr(request.node, "funcargs") else None
    if tmp_path is None or request.node.get_closest_marker("breaks_reconciliation"):
        return
    if hasattr(request.node, "rep_call") and not request.node.rep_call.passed:
        return  # the test's own failure says more
    from ingest.core.config import get_settings
    from warehouse.reconcile import reconcile

    for manifest in sorted(Path(tmp_path).glob("**/raw/manifest.jsonl")):
        home = manifest.parent.parent
        results = reconcile(get_settings({"MAPWH_HOME": str(home)}))
        broken = [(r.source, r.received, r.validated, r.quarantined, r.lost) for r in results if not r.holds]
        assert not broken, f"records received but neither validated nor quarantined in {home}: {broken}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


# The slowest files, slowest first. `make test` runs two workers, each taking
# whole files (`--dist loadfile --no-loadscope-reorder`: in this order, not by
# number of tests), so each worker starts on a slow file and the short ones
# fill in after, instead of one worker finishing alone on the slow ones.
SLOW_FIRST = (
    "tests/e2e/test_scheduler.py",
    "tests/e2e/test_offline_runs.py",
    "tests/warehouse/test_incremental.py",
    "tests/e2e/test_stop_search_e2e.py",
    "tests/warehouse/test_serving.py",
    "tests/warehouse/test_build.py",
    "tests/warehouse/test_gate_is_build.py",
    "tests/warehouse/test_faults.py",
)


def pytest_collection_modifyitems(session, config, items):
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))  # stable: each file keeps its order


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it is sent: `messages` (email.message objects)."""

    def __init__(self) -> None:
        import socket

        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Message

        sink = self

        class Keep(Message):
            def handle_message(self, message) -> None:
                sink.messages.append(message)

        self.messages: list = []
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._controller = Controller(Keep(), hostname="127.0.0.1", port=self.port)

    @property
    def connection_uri(self) -> str:
        """An Airflow SMTP connection to it (`AIRFLOW_CONN_<ID>`): plain SMTP, as a relay on the same host."""
        return f"smtp://127.0.0.1:{self.port}?disable_ssl=true&disable_tls=true&from_email=mapwh%40example.org"


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    sink._controller.start()
    try:
        yield sink
    finally:
        sink._controller.stop()
