"""One place where configuration is read.

Every source module, pipeline step, DAG and CLI command asks this module where
things are, so the same code runs against the real sites, a local mirror or a
recorded fixture served on 127.0.0.1 (Dagster's "resources per environment",
with environment variables as the switch). A source declares the variable
that locates it and the real site as its default (see `ingest.core.source`);
`Settings.locations()` reads it. Nothing here does I/O at import.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"


def split_locations(value: str) -> tuple[str, ...]:
    """A comma-separated list of URLs or paths, blanks dropped."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """A snapshot of the configuration: MAPWH_HOME, HTTP behaviour and the environment it came from."""

    home: Path
    http_timeout_s: float
    http_max_retries: int
    http_backoff_s: float
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def get(self, name: str, default: str = "") -> str:
        """A variable's value (stripped), or `default` when it is not set at all."""
        value = self.environ.get(name)
        return default if value is None else value.strip()

    def is_set(self, name: str) -> bool:
        """True when the variable is in the environment at all (set empty counts: 'do not take')."""
        return self.environ.get(name) is not None

    def locations(self, variable: str, default: str = "") -> tuple[str, ...]:
        """The comma-separated locations in `variable`; empty when it is set empty (source not taken)."""
        return split_locations(self.get(variable, default))

    @property
    def synthetic_sources(self) -> frozenset[str]:
        """Sources whose configured files are SYNTHETIC (`MAPWH_SYNTHETIC_SOURCES`, set by a development mirror).

        Recorded in each batch's lineage, so that every figure computed from them is marked synthetic.
        """
        return frozenset(split_locations(self.get("MAPWH_SYNTHETIC_SOURCES")))

    # State under MAPWH_HOME -------------------------------------------------
    @property
    def raw_dir(self) -> Path:
        """Append-only landing zone: every response byte for byte, plus manifest."""
        return self.home / "raw"

    @property
    def manifest_path(self) -> Path:
        return self.raw_dir / "manifest.jsonl"

    @property
    def validated_dir(self) -> Path:
        """Batches that passed their gate, one Parquet file per (table, period)."""
        return self.home / "validated"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def audit_dir(self) -> Path:
        return self.home / "audit"

    @property
    def warehouse_path(self) -> Path:
        """The published warehouse that readers and BI tools open."""
        return self.home / "warehouse.duckdb"

    @property
    def build_dir(self) -> Path:
        return self.home / "build"

    @property
    def logs_dir(self) -> Path:
        """Full logs: dbt's node log, library warnings, tracebacks (the console shows a summary)."""
        return self.home / "logs"

    @property
    def airflow_home(self) -> Path:
        """AIRFLOW_HOME when set (a deployed Airflow), else MAPWH_HOME/airflow."""
        override = self.get("AIRFLOW_HOME")
        return Path(override) if override else self.home / "airflow"

    @property
    def duckdb_extension_dir(self) -> Path:
        return self.home / "duckdb_extensions"


def get_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `environ` (default: the process environment, read now)."""
    env = dict(os.environ if environ is None else environ)

    def var(name: str, default: str) -> str:
        value = env.get(name)
        return default if value is None or not value.strip() else value.strip()

    home = Path(var("MAPWH_HOME", str(PROJECT_ROOT / "var"))).expanduser().resolve()
    return Settings(
        home=home,
        http_timeout_s=float(var("MAPWH_HTTP_TIMEOUT", "60")),
        http_max_retries=int(var("MAPWH_HTTP_RETRIES", "5")),
        http_backoff_s=float(var("MAPWH_HTTP_BACKOFF", "1")),
        environ=MappingProxyType(env),
    )


# Redaction ----------------------------------------------------------------------------------------
# A password in a connection string, URL form (`scheme://user:password@host`) or libpq's key=value form
# (`password=...`, quoted or not; PGPASSWORD=... too).
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'\"]*:)(?P<secret>[^\s@/'\"]+)(?=@)")
_KEY_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z_]*password\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'|[^\s'\",;&]+)", re.IGNORECASE)
SECRET_SETTING = re.compile(r"(PASSWORD|SECRET|KEY|TOKEN)$", re.IGNORECASE)
REDACTED = "***"
MIN_SECRET_LENGTH = 4  # shorter values are not searched for as literals (they would garble every message)


def _dsn_passwords(text: str) -> list[str]:
    found = [m.group("secret") for m in _URL_PASSWORD.finditer(text)]
    found += [m.group("secret").strip("'") for m in _KEY_PASSWORD.finditer(text)]
    return found


def secret_values(settings: Settings | Mapping[str, str]) -> list[str]:
    """The literal secrets `redact` looks for in `settings` (longest first): the values of every variable named
    like a secret (`SECRET_SETTING`) and every password embedded in a variable's connection string."""
    environ = settings.environ if isinstance(settings, Settings) else settings
    secrets: set[str] = set()
    for name, value in environ.items():
        value = (value or "").strip()
        if not value:
            continue
        if SECRET_SETTING.search(name):
            secrets.add(value)
        secrets.update(_dsn_passwords(value))
    return sorted((s for s in secrets if len(s) >= MIN_SECRET_LENGTH), key=len, reverse=True)


def redact(text: str, settings: Settings | Mapping[str, str] | None = None, *, secrets: list[str] | None = None) -> str:
    """`text` with every password in a connection string replaced by `***`.

    Both forms: `postgresql://user:secret@host/db` (any scheme) and `... password=secret ...` (libpq's
    key=value, quoted or not). With `settings` (a Settings or a mapping of variables), also the literal
    values, wherever they appear, of every variable whose name ends in PASSWORD, SECRET, KEY or TOKEN and
    of every password embedded in any variable's connection string (e.g. MAPWH_PG_DSN's), so a driver
    message that echoes a password without its DSN is redacted too; `secrets` is that list computed once
    (`secret_values`), for a caller redacting many lines. Values shorter than 4 characters are not
    searched for as literals.
    """
    if not text:
        return text
    for secret in secrets if secrets is not None else (secret_values(settings) if settings is not None else ()):
        text = text.replace(secret, REDACTED)
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED, text)
    return _KEY_PASSWORD.sub(lambda m: m.group("head") + REDACTED, text)


def without_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` less every variable a child process that needs no credentials must not hold: those named
    like a secret (`SECRET_SETTING`) and those whose value carries a password (a DSN's, e.g. MAPWH_PG_DSN)."""
    return {name: value for name, value in environ.items()
            if not SECRET_SETTING.search(name) and not _dsn_passwords(value or "")}

