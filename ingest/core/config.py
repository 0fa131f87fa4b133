"""One place where configuration is read.

Every source module, pipeline step, DAG and CLI command asks this module where
things are, so the same code runs against the real sites, a local mirror or a
recorded fixture served on 127.0.0.1 (Dagster's "resources per environment",
with environment variables as the switch). A source declares the variable
that locates it and the real site as its default (see `ingest.core.source`);
`Settings.locations()` reads it. Every other variable is declared once, typed,
with its default and meaning, in `Variables` (pydantic): `get_settings()`
validates the environment against it, so a bad value fails at start-up with
one line naming the variable, and the README's configuration table is
generated from it (`make docs`). Nothing here does I/O at import.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Mapping

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"


def split_locations(value: str) -> tuple[str, ...]:
    """A comma-separated list of URLs or paths, blanks dropped."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


class ConfigError(ValueError):
    """A variable's value is not one its declaration accepts; the message is one line naming it."""


PG_INTERVAL = re.compile(r"^\d+\s*(us|ms|s|min|h|d)?$")


def _interval(value: str) -> str:
    if not PG_INTERVAL.match(value):
        raise ValueError("expected a PostgreSQL interval such as 5s, 10min or 1h")
    return value


Interval = Annotated[str, AfterValidator(_interval)]


def _var(name: str, default: Any, meaning: str, *, shown: str | None = None, parse_time: bool = False,
         group: str = "", **constraints: Any) -> Any:
    """A declared variable: its name, default, meaning (the README's words), how the README shows the default,
    whether the DAG processor reads it while parsing DAG files (a scheduler must be given it too), and the group
    of README rows it is shown in."""
    return Field(default, alias=name, description=meaning,
                 json_schema_extra={"shown": shown, "parse_time": parse_time, "group": group or name}, **constraints)


class Variables(BaseModel):
    """Every `MAPWH_*` setting (and AIRFLOW_HOME), once: type, default, meaning, whether DAG parsing reads it.

    Source locations are declared by their source modules (`ingest.core.source`), not here. A variable set
    empty takes its default.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=False)

    home: Path = _var("MAPWH_HOME", PROJECT_ROOT / "var", (
        "state: `raw/` (landed bytes + `manifest.jsonl`), `validated/`, `quarantine/`, `audit/` (gate results; each "
        "validation report as JSON and as GX's HTML page; revisions; load failures; publications; "
        "`withdrawals.jsonl`: batches a build refused; `unlisted.jsonl`: loaded periods the source stopped listing; "
        "`left_to_another_run.jsonl`: loads skipped because another run held the period), "
        "`logs/` (0700; each log 0600, every line redacted), `locks/`, `warehouse.duckdb`, `report.html`, `build/`, "
        "`airflow/`"), shown="./var")
    http_retries: int = _var("MAPWH_HTTP_RETRIES", 5, (
        "`urllib3.Retry` on 429, 5xx, connection errors and read timeouts, exponential backoff from "
        "`MAPWH_HTTP_BACKOFF` seconds (capped at 60 s); timeout in seconds"), group="http", ge=0)
    http_timeout_s: float = _var("MAPWH_HTTP_TIMEOUT", 60.0, "", shown="60", group="http", gt=0)
    http_backoff_s: float = _var("MAPWH_HTTP_BACKOFF", 1.0, "", shown="1", group="http", ge=0)
    http_retry_after_max_s: float = _var("MAPWH_HTTP_RETRY_AFTER_MAX", 300.0, (
        "longest `Retry-After` (seconds or HTTP date) waited for; a longer one fails the fetch at once (the task "
        "or the next run asks again)"), shown="300", ge=0)
    max_response_mb: float = _var("MAPWH_MAX_RESPONSE_MB", 512.0, (
        "a response larger than this is refused; a download still running at the deadline (a server trickling "
        "bytes) is given up"), shown="512", group="download", gt=0)
    download_deadline_s: float = _var("MAPWH_DOWNLOAD_DEADLINE_S", 900.0, "", shown="900", group="download", gt=0)
    max_field_chars: int | None = _var("MAPWH_MAX_FIELD_CHARS", None, (
        "a batch with a longer text value is refused as malformed"), shown="per source (10,000; boundaries 2,000,000)",
        gt=0)
    max_records: int = _var("MAPWH_MAX_RECORDS", 2_000_000, (
        "records one parsed file may hold; counted before a frame is built (decision 0036)"), gt=0)
    max_unzipped_mb: float = _var("MAPWH_MAX_UNZIPPED_MB", 512.0, (
        "bytes read out of one zip (all members), the compression ratio a member over 1 MiB may declare, entries "
        "one zip may list: beyond them the file is refused before it is inflated"), shown="512", group="zip", gt=0)
    max_unzip_ratio: float = _var("MAPWH_MAX_UNZIP_RATIO", 200.0, "", shown="200", group="zip", gt=0)
    max_zip_members: int = _var("MAPWH_MAX_ZIP_MEMBERS", 20_000, "", group="zip", gt=0)
    pg_dsn: str | None = Field(None, alias="MAPWH_PG_DSN", repr=False, description=(
        "PostgreSQL the marts are published to (a role that may create schemas and roles)"),
        json_schema_extra={"shown": "*(empty: not published)*", "parse_time": False, "group": "MAPWH_PG_DSN"})
    pg_schema: str = _var("MAPWH_PG_SCHEMA", "marts", "the published schema's name", pattern=r"^[a-z_][a-z0-9_]*$")
    pg_reader_role: str = _var("MAPWH_PG_READER_ROLE", "mapwh_reader", "the BI tools' read-only role and its password",
                               group="pg_reader", pattern=r"^[a-z_][a-z0-9_]*$")
    pg_reader_password: str | None = Field(None, alias="MAPWH_PG_READER_PASSWORD", repr=False, description="",
                                           json_schema_extra={"shown": "*(none)*", "parse_time": False,
                                                              "group": "pg_reader"})
    pg_lock_timeout: Interval = _var("MAPWH_PG_LOCK_TIMEOUT", "5s", (
        "the PostgreSQL publisher's lock and statement timeouts; seconds a publish waits for another publish of the "
        "same schema (decision 0034)"), group="pg_publisher")
    pg_statement_timeout: Interval = _var("MAPWH_PG_STATEMENT_TIMEOUT", "30min", "", group="pg_publisher")
    pg_publish_wait_s: float = _var("MAPWH_PG_PUBLISH_WAIT", 600.0, "", shown="600", group="pg_publisher", gt=0)
    pg_reader_statement_timeout: Interval = _var("MAPWH_PG_READER_STATEMENT_TIMEOUT", "5min", (
        "the reader role's role-level `statement_timeout` and `idle_in_transaction_session_timeout`"),
        group="pg_reader_timeouts")
    pg_reader_idle_timeout: Interval = _var("MAPWH_PG_READER_IDLE_TIMEOUT", "10min", "", group="pg_reader_timeouts")
    duckdb_memory_limit: str = _var("MAPWH_DUCKDB_MEMORY_LIMIT", "4GB", (
        "DuckDB's memory limit and threads in a build (it spills to disk rather than take the machine)"),
        group="duckdb", pattern=r"^\d+(\.\d+)?\s*[KMGT]i?B$")
    duckdb_threads: int = _var("MAPWH_DUCKDB_THREADS", 2, "", group="duckdb", gt=0)
    task_retries: int = _var("MAPWH_TASK_RETRIES", 2, (
        "Airflow task retries under a scheduler (rejected and gate-failed batches never retry; `mapwh run` uses "
        "`--task-retries`, default 0)"), group="retries", parse_time=True, ge=0)
    retry_delay_s: float = _var("MAPWH_RETRY_DELAY_S", 300.0, "", shown="300", group="retries", parse_time=True, ge=0)
    task_timeout_s: float = _var("MAPWH_TASK_TIMEOUT_S", 7200.0, (
        "Airflow's `execution_timeout` for every task: a task still running after this many seconds fails (and "
        "may retry), instead of holding its pool slot, or the one writer slot, for ever"), shown="7200",
        parse_time=True, gt=0)
    notify_email: str = _var("MAPWH_NOTIFY_EMAIL", "", (
        "who is emailed when a task fails for good (comma-separated addresses; unset: nobody, the default): one "
        "message per failed task, not per retry, sent from the task's own process by Airflow's SMTP notifier "
        "through the Airflow connection `MAPWH_NOTIFY_SMTP_CONN_ID` (for example "
        "`AIRFLOW_CONN_SMTP_DEFAULT=smtp://user:password@smtp.example.org:587`), from `MAPWH_NOTIFY_FROM` (else the "
        "connection's `from_email`). A notification that cannot be sent is logged; the failure is recorded anyway"),
        shown="*(none: off)*", group="notify")
    notify_smtp_conn_id: str = _var("MAPWH_NOTIFY_SMTP_CONN_ID", "smtp_default", "", group="notify",
                                    pattern=r"^[A-Za-z0-9_.-]+$")
    notify_from: str = _var("MAPWH_NOTIFY_FROM", "", "", shown="*(the connection's)*", group="notify")
    ui_user: str = _var("MAPWH_UI_USER", "admin", (
        "the Airflow UI's login (Airflow's simple auth manager): `mapwh setup` writes this user's password from "
        "`MAPWH_UI_PASSWORD` into the manager's passwords file (mode 0600). The user must be one of "
        "`AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS` (Airflow's default: `admin:admin`). Unset password: Airflow "
        "generates one into that file when the api-server first starts (`mapwh setup` says where)"),
        group="ui", pattern=r"^[A-Za-z0-9_.@-]+$")
    ui_password: str | None = Field(None, alias="MAPWH_UI_PASSWORD", repr=False, description="",
                                    json_schema_extra={"shown": "*(none)*", "parse_time": False, "group": "ui"})
    lookback_months: int = _var("MAPWH_LOOKBACK_MONTHS", 12, (
        "months a scheduled run of a partitioned source re-reads, its own included"), parse_time=True, gt=0)
    revision_shrink_max: float = _var("MAPWH_REVISION_SHRINK_MAX", 0.1, (
        "a revision dropping more than this share of a loaded period's records is held for review (`mapwh accept`)"),
        ge=0, le=1)
    mart_shrink_floor: float = _var("MAPWH_MART_SHRINK_FLOOR", 0.5, (
        "a mart with fewer rows than this share of the published one is refused"), ge=0, le=1)
    gate_part_rows: int = _var("MAPWH_GATE_PART_ROWS", 1_000_000, (
        "a mart with more rows is gated part by part (the same expectations, one part in memory at a time)"), gt=0)
    lock_timeout_s: float = _var("MAPWH_LOCK_TIMEOUT", 900.0,
                                 "seconds a writer waits for the one-writer lock (and a build for the dbt lock)",
                                 shown="900", ge=0)
    stop_grace_s: float = _var("MAPWH_STOP_GRACE_S", 5.0, (
        "seconds `mapwh run` gives its run to stop after Ctrl-C or SIGTERM before it is killed"), shown="5", gt=0)
    synthetic_sources: str = _var("MAPWH_SYNTHETIC_SOURCES", "", (
        "sources whose files are SYNTHETIC (comma-separated names): recorded in each batch's lineage, so every "
        "scorecard row and report chart computed from them is marked synthetic. The development mirror sets it; "
        "a real deployment never does"), shown="*(none)*")
    airflow_home: Path | None = _var("AIRFLOW_HOME", None, (
        "set it to use a deployed Airflow's home (Airflow's own variable: every Airflow process reads it)"),
        shown="$MAPWH_HOME/airflow", parse_time=True)


# Set by the project's own processes for their children, or by its development scripts: not configuration.
INTERNAL_VARIABLES = {
    "MAPWH_RUN_CHILD": "marks the child process `mapwh run` supervises",
    "MAPWH_RUN_SUPERVISOR": "the supervising process's pid, which the child watches",
    "MAPWH_DBT_DB_PATH": "the new warehouse file a build points dbt at (dbt_project/profiles.yml)",
    "MAPWH_DUCKDB_EXT_DIR": "the local DuckDB extension directory a build points dbt at",
    "MAPWH_SAMPLE_FROM": "first month `make run` loads (bin/run-sample)",
    "MAPWH_SAMPLE_TO": "last month `make run` loads (bin/run-sample)",
    "MAPWH_TEST_HOME": "MAPWH_HOME for `make test` (bin/run-tests); a temporary directory by default",
    "MAPWH_TEST_IMAGE": "the project's runtime image `make test-compose` built (docker/test/compose.yml)",
    "MAPWH_TEST_DEV_IMAGE": "the dev image (runtime + devdata/) `make test-compose` runs the mirror service from",
    "MAPWH_TEST_POSTGRES_IMAGE": "`make test-compose`'s stand-in for postgres:15, built from Debian's packages",
    "MAPWH_TEST_REDIS_IMAGE": "`make test-compose`'s stand-in for redis:7, built from Debian's packages",
}


def read_variables(environ: Mapping[str, str]) -> Variables:
    """The declared variables from `environ` (blank values take their default); ConfigError, one line, when a
    value is not one its declaration accepts."""
    aliases = {f.alias for f in Variables.model_fields.values()}
    given = {name: value.strip() for name, value in environ.items() if name in aliases and value and value.strip()}
    try:
        return Variables.model_validate(given)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = error["loc"][0] if error["loc"] else "?"
        shown = given.get(str(name), error.get("input"))
        raise ConfigError(f"{name}={shown!r}: {error['msg'].rstrip('.')}") from None


@dataclass(frozen=True)
class Settings:
    """A snapshot of the configuration: MAPWH_HOME, HTTP behaviour and the environment it came from."""

    home: Path
    http_timeout_s: float
    http_max_retries: int
    http_backoff_s: float
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    vars: Variables = field(default_factory=Variables, repr=False, compare=False)

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
        return frozenset(split_locations(self.vars.synthetic_sources))

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
        return self.vars.airflow_home or self.home / "airflow"

    @property
    def duckdb_extension_dir(self) -> Path:
        return self.home / "duckdb_extensions"


def get_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `environ` (default: the process environment, read now); ConfigError on a bad value."""
    env = dict(os.environ if environ is None else environ)
    variables = read_variables(env)
    return Settings(
        home=variables.home.expanduser().resolve(),
        http_timeout_s=variables.http_timeout_s,
        http_max_retries=variables.http_retries,
        http_backoff_s=variables.http_backoff_s,
        environ=MappingProxyType(env),
        vars=variables,
    )


# Redaction ----------------------------------------------------------------------------------------
# A password in a connection string, URL form (`scheme://user:password@host`) or libpq's key=value form
# (`password=...`, quoted or not; PGPASSWORD=... too).
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+._-]*://[^\s:/@'\"]*:)(?P<secret>[^\s@/'\"]+)(?=@)")
_KEY_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z_]*password\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'|[^\s'\",;&]+)", re.IGNORECASE)
SECRET_SETTING = re.compile(r"(PASSWORD|SECRET|KEY|TOKEN)$", re.IGNORECASE)
REDACTED = "***"
MIN_SECRET_LENGTH = 4  # shorter values are not searched for as literals (they would garble every message)


def dsn_passwords(text: str) -> list[str]:
    """The passwords embedded in connection strings in `text` (`scheme://user:password@`, `password=...`)."""
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
        secrets.update(dsn_passwords(value))
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
            if not SECRET_SETTING.search(name) and not dsn_passwords(value or "")}

