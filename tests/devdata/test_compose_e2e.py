"""The parts of `make test-compose` (devdata/compose_e2e.py) that need no Docker engine: its .env, its mirrors."""

from __future__ import annotations

from pathlib import Path

from devdata import compose_e2e
from warehouse import secrets_check

ROOT = Path(__file__).resolve().parents[2]


def test_the_env_replaces_every_change_me_with_a_fresh_secret_that_secrets_check_passes(monkeypatch, tmp_path):
    example = (ROOT / ".env.example").read_text()
    # a placeholder .env.example gains later is replaced too: by its value, not by its name
    (tmp_path / ".env.example").write_text(example + "\n# a new one\nAIRFLOW_ADMIN_PASSWORD=change-me\n")
    monkeypatch.setattr(compose_e2e, "ROOT", tmp_path)
    first = compose_e2e.dot_env({"MAPWH_TEST_IMAGE": "mapwh-e2e:runtime"})
    (tmp_path / "a.env").write_text(first)
    values = compose_e2e.read_env(tmp_path / "a.env")
    assert "change-me" not in values.values() and values["AIRFLOW_ADMIN_PASSWORD"]
    assert values["MAPWH_TEST_IMAGE"] == "mapwh-e2e:runtime"
    assert values["AIRFLOW_UID"] == "50000" and values["MARTS_DB"] == "mapwh"  # the rest as the example has it
    placeholders = [line.partition("=")[0] for line in example.splitlines() if line.endswith("=change-me")]
    assert placeholders and secrets_check.problems({name: values[name] for name in placeholders}) == []
    (tmp_path / "b.env").write_text(compose_e2e.dot_env({}))
    again = compose_e2e.read_env(tmp_path / "b.env")
    assert all(again[name] != values[name] for name in placeholders)  # fresh every time


def test_apt_mirrors_are_read_from_one_line_and_deb822_sources(tmp_path):
    one_line = tmp_path / "sources.list"
    one_line.write_text("deb [arch=amd64] http://mirror.example/debian bookworm main\n"
                        "deb http://mirror.example/debian-security bookworm-security main\n")
    deb822 = tmp_path / "debian.sources"
    deb822.write_text("Types: deb\nURIs: http://other.example/debian/\nSuites: bookworm\n\n"
                      "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\n")
    assert compose_e2e.apt_mirrors([one_line]) == ("http://mirror.example/debian", "http://mirror.example/debian-security")
    assert compose_e2e.apt_mirrors([deb822]) == ("http://other.example/debian", "http://deb.debian.org/debian-security")
    assert compose_e2e.apt_mirrors([tmp_path / "none"]) == ("http://deb.debian.org/debian", "http://deb.debian.org/debian-security")
