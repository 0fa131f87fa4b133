"""What a source module declares, so that one pipeline can load any source.

A source is one module of `ingest/` ending in `SOURCE = Source(...)`: where it
lives (the configuration variable and the real site as its default), how to
fetch it, how to parse its bytes into batches of its raw table, that table
(`ingest.core.contract.Table`), its gate suite (`expectations/<suite>.json`)
with the view and parameters the suite needs, and the DAG that loads it.
`warehouse.pipeline` does the rest the same way for every source: land the
bytes, parse them once, gate each batch, commit it or quarantine it.

Heavy libraries (pandas, openpyxl) are imported inside the functions a source
declares, so that DAG files can read the declarations at parse time cheaply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Callable

from ingest.core import http
from ingest.core.config import Settings
from ingest.core.contract import Table
from ingest.core.discovery import Catalogue

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Batch:
    """One period's rows from one landed file: the table's own columns (lineage is the pipeline's).

    A parser may add `warnings` (what it read past, e.g. a note typed beside a
    row, naming the rows) and `lineage` (facts about the file that the raw
    contract does not keep, e.g. the columns present and ignored): both are
    recorded with the batch when it commits (`current.json`, `raw.loaded_batches`).
    """

    period: str
    frame: "pd.DataFrame"
    warnings: tuple[str, ...] = ()
    lineage: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class GateContext:
    """What a gate's parameters may depend on besides the batch itself."""

    period: str
    history: tuple[dict, ...] = ()  # batches serving the table's other periods (validated zone), by period; `path`: its Parquet file
    serving: dict | None = None  # the batch serving this period now, if any
    serving_file: str | None = None  # its Parquet file (the contract's columns), to compare against


@dataclass(frozen=True)
class Plan:
    """Where one period of a partitioned source is to be read from, if anywhere."""

    period: str
    locations: tuple[str, ...]  # alternatives, tried in order until one is found (not a 404)
    via: str = ""  # how it was found, e.g. 'api' or 'archive'
    note: str = ""  # why not, when there are no locations


# A reader the pipeline hands to a source's planner: fetches a location, lands
# its bytes under the given raw-zone name and period, parses them with the
# given function (a rejection is quarantined), and returns what it parsed.
Reader = Callable[[str, str, str, Callable[[bytes, str], object]], object]


# --------------------------------------------------------------------------- plausible periods
# How far past today a period may end: a month (or an as-at date) no later than
# today + 45 days (a month is published after it ends; the slack covers clocks
# and time zones), a financial year no later than the next 31 March.
FUTURE_MARGIN_DAYS = 45
PERIOD_KINDS = ("month", "date", "year", "financial_year")
_PERIOD_PATTERNS = {
    "month": re.compile(r"(\d{4})-(0[1-9]|1[0-2])"),
    "date": re.compile(r"(\d{4})-(\d{2})-(\d{2})"),
    "year": re.compile(r"(\d{4})"),
    "financial_year": re.compile(r"(\d{4})-(\d{2})"),
}


def period_span(kind: str | None, period: str) -> tuple[date, date] | None:
    """First and last day of a period written in a source's notation (`kind`), or None when it is
    not dated (a sheet's name, `current`) or not in that notation. `A_to_B` spans A's start to B's end."""
    if kind is None:
        return None
    if "_to_" in period:
        first, _, last = period.partition("_to_")
        a, b = period_span(kind, first), period_span(kind, last)
        return (a[0], b[1]) if a and b and a[0] <= b[1] else None
    match = _PERIOD_PATTERNS[kind].fullmatch(period)
    if not match:
        return None
    try:
        year = int(match.group(1))
        if kind == "month":
            month = int(match.group(2))
            start = date(year, month, 1)
            return start, (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))
        if kind == "date":
            day = date(year, int(match.group(2)), int(match.group(3)))
            return day, day
        if kind == "year":
            return date(year, 1, 1), date(year, 12, 31)
        if (int(match.group(2)) - year) % 100 != 1:  # financial_year `2007-08`
            return None
        return date(year, 4, 1), date(year + 1, 3, 31)
    except ValueError:  # not a calendar date
        return None


def latest_plausible_end(kind: str, today: date) -> date:
    """The last day a period of this kind may end on, seen from `today`."""
    if kind == "financial_year":
        return date(today.year if today <= date(today.year, 3, 31) else today.year + 1, 3, 31)
    return today + timedelta(days=FUTURE_MARGIN_DAYS)


def implausible_period(source: "Source", period: str, today: date) -> str | None:
    """Why a batch's period cannot be real for the source (before its first period, or in the future), or None."""
    kind = source.period_kind
    span = period_span(kind, period)
    if span is None:
        return None
    first = period_span(kind, source.first_period) if source.first_period else None
    if first and span[0] < first[0]:
        return (f"period {period} is before {source.first_period}, the first period {source.name} can have "
                f"(Source.first_period)")
    latest = latest_plausible_end(kind, today)
    if span[1] > latest:
        return (f"period {period} ends {span[1].isoformat()}, after {latest.isoformat()} (the latest a {kind} can end "
                f"seen from {today.isoformat()}): a period in the future is not data")
    return None


def _identity(frame):
    return frame


def _no_parameters(context: GateContext) -> dict:
    return {}


@dataclass(frozen=True)
class Pool:
    """An Airflow pool the source's load tasks share (e.g. an API's rate limit): created by `mapwh setup`."""

    name: str
    slots: int
    description: str


@dataclass(frozen=True)
class Source:
    name: str  # raw-zone folder, manifest `source`, quarantine folder, CLI name
    table: Table
    suite: str  # expectations/<suite>.json
    dag: str  # the DAG that loads it
    variable: str  # configuration variable locating it (comma-separated URLs or paths)
    default: str  # the real site; '' when there is none (e.g. released to researchers only)
    parse: Callable[..., list[Batch]]  # (content, *, location, period) -> batches
    extension: str | Callable[[bytes], str]  # of landed files (or a function of their bytes)
    description: str
    gate_view: Callable[["pd.DataFrame"], "pd.DataFrame"] = _identity
    gate_parameters: Callable[[GateContext], dict] = _no_parameters
    fetch: Callable[[Settings, str], http.Fetched] = http.fetch
    # Partitioned sources plan each run: (settings, the run's period, reader,
    # look-back in periods) -> the periods to read, each with its locations.
    # Whole sources are published whole and load every configured location.
    plan: Callable[[Settings, str, Reader, int], list[Plan]] | None = None
    # The DAG's schedule: a cron of its data intervals (Europe/London), or an
    # Airflow preset such as "@once"; and the first date it may run for.
    schedule: str = "@once"
    start: str = "2016-01-01"
    directory_suffix: str | None = None  # a local directory location stands for its files with this suffix
    # Longest text value a batch may hold; well above the real data (a longer one is refused as
    # malformed: one huge value would take a build's memory). MAPWH_MAX_FIELD_CHARS overrides it.
    max_field_chars: int = 10_000
    extra_variables: tuple[tuple[str, str, str], ...] = field(default=())  # (variable, default, meaning)
    # Where the publisher lists the files when they move between releases: with `variable` unset,
    # the source reads what the catalogue lists now (`ingest.core.discovery`); set, it is a pin.
    catalogue: Catalogue | None = None
    # How the source writes its periods (one of PERIOD_KINDS; None: not dated, e.g. a sheet's name) and the
    # first one it can have: the gate refuses a period before it or in the future (`implausible_period`).
    period_kind: str | None = None
    first_period: str | None = None
    # The generic layers read these instead of naming a source:
    # - the Airflow pool its load tasks share (None: Airflow's default pool);
    pool: Pool | None = None
    # - the dbt models incremental by its periods (decision 0025): a build recomputes only the refreshed periods
    #   of its table, and gates the marts among them on those periods;
    incremental_models: tuple[str, ...] = ()
    # - True when incremental models of other sources read its table too: a change to its batches forces a full
    #   build (it is part of the incremental basis);
    basis_of_incremental: bool = False
    # - a query on the published warehouse giving `mapwh status` its freshness: rows of (what, value), e.g.
    #   ("figures up to the quarter ending", date); None: the latest period loaded, from its batches;
    freshness_sql: str | None = None
    # - the newest period the publisher lists (one request), for `mapwh run`'s default window of a partitioned
    #   source; None when the source cannot say.
    latest_available: Callable[[Settings], str | None] | None = None

    def extension_for(self, content: bytes) -> str:
        return self.extension(content) if callable(self.extension) else self.extension

    @property
    def partitioned(self) -> bool:
        return self.plan is not None

    def discovers(self, settings: Settings) -> bool:
        """True when this configuration finds the files in the catalogue (declared, and not pinned)."""
        return self.catalogue is not None and not settings.is_set(self.variable)

    @property
    def default_text(self) -> str:
        """Where a fresh deployment reads the source: the real site, or how its files are discovered."""
        if self.catalogue is not None:
            return self.catalogue.describe()
        return self.default

    def locations(self, settings: Settings) -> tuple[str, ...]:
        """The configured (pinned) locations, else the default; a local directory stands for its files (sorted).

        A source that discovers its files has none here until the catalogue is asked (`warehouse.pipeline.locate`)."""
        found: list[str] = []
        for loc in settings.locations(self.variable, self.default):
            if self.directory_suffix and not http.is_remote(loc) and http.local_path(loc).is_dir():
                found.extend(str(p) for p in sorted(http.local_path(loc).glob(f"*{self.directory_suffix}")))
            else:
                found.append(loc)
        return tuple(found)
