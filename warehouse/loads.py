"""Source loads: fetch → raw zone → gate → validated zone (or quarantine).

These are the steps the source DAGs wire together; each takes the Settings
and returns a small JSON-able dict (Airflow passes it on as XCom). A batch
reaches the validated zone only after its Great Expectations gate passes; a
batch that fails, or whose bytes are not the published format, is copied to
`quarantine/<source>/<period>/<batch>/` with the reason and the validation
report, and the step raises so the Airflow task fails. The raw zone keeps the
bytes either way.
"""

from __future__ import annotations

import csv
import json
import logging
import shutil
import statistics
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

from ingest import boundaries, census, pas, police_uk
from ingest.http import SourceError, SourceFormatError
from ingest.raw_zone import STATUS_EMPTY, STATUS_FETCHED, STATUS_REJECTED, land, sha256_hex
from warehouse import gates, validated
from warehouse.config import DBT_PROJECT_DIR, Settings

log = logging.getLogger(__name__)

# Record-count gate on a month against the median of the trailing loaded months.
TRAILING_MONTHS = 6
DROP_WARN_RATIO = 0.6  # fewer than 60% of the trailing median: warning
COLLAPSE_FAIL_RATIO = 0.25  # fewer than 25%: the batch fails


class BatchRejected(SourceError):
    """The bytes arrived but are not the source's format; they are quarantined."""


class NotPublished(SourceError):
    """The period is not (yet) published anywhere configured: nothing to load."""


# --------------------------------------------------------------------------- helpers
def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def quarantine(settings: Settings, landed: dict, reason: str, report_path: str = "") -> Path:
    """Copy a batch's raw bytes, reason and validation report into quarantine."""
    target = settings.quarantine_dir / landed["source"] / landed["period"] / landed["sha256"][:16]
    target.mkdir(parents=True, exist_ok=True)
    raw = settings.raw_dir / landed["path"]
    shutil.copy2(raw, target / f"payload{raw.suffix}")
    if report_path:
        shutil.copy2(report_path, target / "validation.json")
    (target / "reason.txt").write_text(reason + "\n")
    (target / "batch.json").write_text(json.dumps(landed, indent=1, sort_keys=True))
    log.error("quarantined %s %s in %s: %s", landed["source"], landed["period"], target, reason.splitlines()[0])
    return target


def read_landed(settings: Settings, landed: dict) -> bytes:
    content = (settings.raw_dir / landed["path"]).read_bytes()
    if sha256_hex(content) != landed["sha256"]:
        raise SourceError(f"raw zone file {landed['path']} no longer matches its checksum")
    return content


def seed_values(seed: str, column: str) -> list[str]:
    """Known labels from a dbt seed (the one list both dbt and the gate use)."""
    with (DBT_PROJECT_DIR / "seeds" / f"{seed}.csv").open(newline="") as fh:
        return sorted({row[column] for row in csv.DictReader(fh) if row[column]})


def _gate_then_commit(
    settings: Settings,
    *,
    gate: str,
    table: str,
    landed: dict,
    frame: pd.DataFrame,
    gate_frame: pd.DataFrame,
    parameters: dict,
) -> dict:
    result = gates.validate(
        settings,
        gate,
        gate_frame,
        target=f"{landed['source']} {landed['period']}",
        batch_id=landed["batch_id"],
        parameters=parameters,
    )
    if not result.success:
        quarantine(settings, landed, result.summary(), result.report_path)
        raise gates.GateFailed(result)
    meta = {
        "source": landed["source"],
        "batch_id": landed["batch_id"],
        "sha256": landed["sha256"],
        "url": landed["url"],
        "status": "loaded",
        "fetched_at": landed["fetched_at"],
        "loaded_at": _now_iso(),
        "warnings": result.warnings,
    }
    committed = validated.commit(settings.validated_dir, table, landed["period"], frame, meta)
    log.info("loaded %s %s: %d rows (batch %s)", table, landed["period"], committed["rows"], landed["batch_id"])
    return committed


def _land_or_reject(settings: Settings, *, source: str, period: str, fetched, extension: str, count) -> dict:
    """Land the bytes; if they are not the format (HTML, truncated), quarantine and raise."""
    try:
        records = count(fetched.content)
    except SourceFormatError as exc:
        landed = land(
            settings.raw_dir, source=source, period=period, url=fetched.url, content=fetched.content,
            extension=extension, records=None, status=STATUS_REJECTED, detail=str(exc),
        ).as_dict()
        quarantine(settings, landed, str(exc))
        raise BatchRejected(str(exc)) from exc
    status = STATUS_EMPTY if records == 0 else STATUS_FETCHED
    return land(
        settings.raw_dir, source=source, period=period, url=fetched.url, content=fetched.content,
        extension=extension, records=records, status=status,
    ).as_dict()


# --------------------------------------------------------------------------- police.uk
def plan_stop_search_month(settings: Settings, month: str) -> dict:
    """Is `month` published, and where from? The API first, then the archive CSVs."""
    fetched = police_uk.fetch_availability(settings)
    today = datetime.now(timezone.utc).date().isoformat()
    try:
        months = police_uk.months_available(fetched.content, settings.police_uk_force, content_type=fetched.content_type)
    except SourceFormatError as exc:
        landed = land(
            settings.raw_dir, source=police_uk.AVAILABILITY_SOURCE, period=today, url=fetched.url,
            content=fetched.content, extension="json", records=None, status=STATUS_REJECTED, detail=str(exc),
        ).as_dict()
        quarantine(settings, landed, str(exc))
        raise BatchRejected(str(exc)) from exc
    land(
        settings.raw_dir, source=police_uk.AVAILABILITY_SOURCE, period=today, url=fetched.url,
        content=fetched.content, extension="json", records=len(months), status=STATUS_FETCHED,
    )
    if month in months:
        return {"month": month, "published": True, "via": "api", "location": police_uk.month_url(settings, month)}
    candidates = police_uk.archive_candidates(settings, month)
    if candidates:
        # Remote candidates are only known to exist once fetched: land() tries them in order.
        return {"month": month, "published": True, "via": "archive", "locations": candidates, "api_latest": months[-1] if months else "none"}
    latest = months[-1] if months else "none"
    log.warning(
        "police.uk: %s not published for force %s (API latest %s; no archive file configured)",
        month, settings.police_uk_force, latest,
    )
    return {"month": month, "published": False, "via": None, "location": None, "api_latest": latest}


def land_stop_search_month(settings: Settings, plan: dict) -> dict:
    """Fetch the month's bytes and land them in the raw zone."""
    month = plan["month"]
    if plan["via"] == "api":
        fetched = police_uk.fetch_month(settings, month)
        extension = "json"

        def count(content: bytes) -> int:
            data = police_uk.decode_json(content, what=f"police.uk stops-force {month}", content_type=fetched.content_type)
            if not isinstance(data, list):
                raise SourceFormatError(f"police.uk stops-force {month}: expected a JSON array")
            return len(data)
    else:
        for location in plan["locations"]:
            fetched = police_uk.fetch_archive(settings, location)
            if fetched.status != 404:
                break
        else:
            raise NotPublished(f"police.uk {month}: not in the API (latest {plan['api_latest']}) nor at {', '.join(plan['locations'])}")
        extension = "csv"

        def count(content: bytes) -> int:
            return len(police_uk.parse_archive_csv(content, period=month, batch_id="", loaded_at=""))

    landed = _land_or_reject(settings, source=police_uk.SOURCE, period=month, fetched=fetched, extension=extension, count=count)
    landed["format"] = "api" if plan["via"] == "api" else "archive_csv"
    return landed


def _month_bounds(month: str) -> tuple[date, date]:
    start = date.fromisoformat(f"{month}-01")
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start, end


def trailing_counts(settings: Settings, month: str, n: int = TRAILING_MONTHS) -> list[int]:
    """Row counts of the loaded months before `month` (most recent `n`)."""
    rows = [
        c["rows"]
        for c in validated.all_current(settings.validated_dir, police_uk.TABLE)
        if c["period"] < month and c.get("status") == "loaded" and c.get("rows")
    ]
    return rows[-n:]


def stop_search_gate_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The batch as the gate sees it: published text plus parsed numbers and times."""
    view = frame.copy()
    view["latitude_value"] = pd.to_numeric(view["latitude"], errors="coerce")
    view["longitude_value"] = pd.to_numeric(view["longitude"], errors="coerce")
    view["datetime_utc"] = pd.to_datetime(view["datetime"], utc=True, errors="coerce").dt.tz_localize(None)
    return view


def stop_search_parameters(settings: Settings, month: str) -> dict:
    start, end = _month_bounds(month)
    trailing = trailing_counts(settings, month)
    median = statistics.median(trailing) if trailing else 0
    ethnicities = seed_values("ethnicity_labels", "label")
    return {
        "month_start_minus_1d": datetime.combine(start - timedelta(days=1), datetime.min.time()),
        "month_end_plus_1d": datetime.combine(end + timedelta(days=1), datetime.min.time()),
        "row_count_collapse_floor": int(median * COLLAPSE_FAIL_RATIO),
        "row_count_drop_floor": int(median * DROP_WARN_RATIO),
        "known_ethnicity_labels": ethnicities,
        "known_outcome_labels": seed_values("outcome_labels", "label"),
    }


def gate_and_load_stop_search(settings: Settings, landed: dict) -> dict:
    """Gate a landed month; on success it becomes the month's serving batch."""
    month = landed["period"]
    if landed["status"] == STATUS_EMPTY:
        existing = validated.current(settings.validated_dir, police_uk.TABLE, month)
        log.warning("police.uk %s: the source answered with no records (status empty)", month)
        if existing and existing.get("status") == "loaded":
            log.warning("police.uk %s: keeping the loaded batch %s rather than replace it with nothing", month, existing["batch_id"])
            return existing
        meta = {k: landed[k] for k in ("source", "batch_id", "sha256", "url", "fetched_at")}
        meta.update(status="empty", loaded_at=_now_iso(), warnings=["source returned no records"])
        return validated.commit(settings.validated_dir, police_uk.TABLE, month, None, meta)

    content = read_landed(settings, landed)
    loaded_at = _now_iso()
    try:
        if landed["format"] == "api":
            frame = police_uk.parse_api_records(content, period=month, batch_id=landed["batch_id"], loaded_at=loaded_at)
        else:
            frame = police_uk.parse_archive_csv(content, period=month, batch_id=landed["batch_id"], loaded_at=loaded_at)
    except SourceFormatError as exc:
        quarantine(settings, landed, str(exc))
        raise BatchRejected(str(exc)) from exc
    return _gate_then_commit(
        settings,
        gate="police_uk_stop_searches",
        table=police_uk.TABLE,
        landed=landed,
        frame=frame,
        gate_frame=stop_search_gate_frame(frame),
        parameters=stop_search_parameters(settings, month),
    )


# --------------------------------------------------------------------------- reference data
def load_census_population(settings: Settings) -> dict:
    fetched = census.fetch_population(settings)
    landed = _land_or_reject(
        settings, source=census.SOURCE, period=census.PERIOD, fetched=fetched, extension="csv",
        count=lambda content: len(census.parse_ts021_csv(content, batch_id="", loaded_at="")),
    )
    frame = census.parse_ts021_csv(read_landed(settings, landed), batch_id=landed["batch_id"], loaded_at=_now_iso())
    return _gate_then_commit(
        settings, gate="census_population", table=census.TABLE, landed=landed,
        frame=frame, gate_frame=frame, parameters={},
    )


def load_london_boundaries(settings: Settings) -> dict:
    fetched = boundaries.fetch_boundaries(settings)
    landed = _land_or_reject(
        settings, source=boundaries.SOURCE, period=boundaries.PERIOD, fetched=fetched, extension="geojson",
        count=lambda content: len(boundaries.parse_geojson(content, batch_id="", loaded_at="")),
    )
    frame = boundaries.parse_geojson(read_landed(settings, landed), batch_id=landed["batch_id"], loaded_at=_now_iso())
    return _gate_then_commit(
        settings, gate="london_boundaries", table=boundaries.TABLE, landed=landed,
        frame=frame, gate_frame=frame, parameters={},
    )


# --------------------------------------------------------------------------- PAS
def borough_lookup() -> dict[str, str]:
    """Lower-cased ONS name or known alias → ONS borough name (the dbt seeds)."""
    with (DBT_PROJECT_DIR / "seeds" / "london_boroughs.csv").open(newline="") as fh:
        by_code = {r["borough_code"]: r["borough_name"] for r in csv.DictReader(fh)}
    lookup = {name.lower(): name for name in by_code.values()}
    with (DBT_PROJECT_DIR / "seeds" / "borough_aliases.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            lookup[row["alias"].lower()] = by_code[row["borough_code"]]
    return lookup


def seed_codes(seed: str, variable: str) -> list[int]:
    with (DBT_PROJECT_DIR / "seeds" / f"{seed}.csv").open(newline="") as fh:
        return sorted({int(r["code"]) for r in csv.DictReader(fh) if r["variable"] == variable})


def _land_parsed(settings: Settings, *, source: str, fetched, extension: str, parse) -> tuple[dict, object]:
    """Parse first (the period comes from the content), then land; bad bytes are quarantined."""
    try:
        period, parsed, records = parse(fetched.content)
    except SourceFormatError as exc:
        landed = land(
            settings.raw_dir, source=source, period="unparsed", url=fetched.url, content=fetched.content,
            extension=extension, records=None, status=STATUS_REJECTED, detail=str(exc),
        ).as_dict()
        quarantine(settings, landed, str(exc))
        raise BatchRejected(str(exc)) from exc
    landed = land(
        settings.raw_dir, source=source, period=period, url=fetched.url, content=fetched.content,
        extension=extension, records=records, status=STATUS_EMPTY if records == 0 else STATUS_FETCHED,
    ).as_dict()
    return landed, parsed


def _with_batch(frame: pd.DataFrame, landed: dict, period: str) -> tuple[pd.DataFrame, dict]:
    """Rows carry the batch id of the bytes they came from; one landed workbook feeds two sheets."""
    batch_id = landed["batch_id"] if landed["period"] == period else f"{landed['batch_id']}/{period}"
    return frame.assign(batch_id=batch_id), {**landed, "period": period, "batch_id": batch_id}


def load_pas_dashboard(settings: Settings) -> list[dict]:
    """The dashboard workbook (both sheets) or CSV exports of its sheets, one batch per sheet."""
    if not settings.pas_dashboard_urls:
        log.warning("PAS dashboard: PAS_DASHBOARD_URL is empty; nothing to load")
        return []
    committed = []
    lookup = borough_lookup()
    for location in settings.pas_dashboard_urls:
        fetched = pas.fetch_location(settings, location)
        name = pas.file_name(location)

        def parse(content: bytes):
            sheets = pas.parse_dashboard(content, batch_id="", loaded_at=_now_iso(), name=name)
            return "+".join(sorted(sheets)), sheets, sum(len(f) for f in sheets.values())

        extension = "xlsx" if fetched.content.startswith(pas.XLSX_SIGNATURE) else "csv"
        landed, sheets = _land_parsed(settings, source=pas.DASHBOARD_SOURCE, fetched=fetched, extension=extension, parse=parse)
        fmt = pas.detect_dashboard_format(fetched.content)
        log.info("PAS dashboard %s: detected %s with sheet(s) %s", name, fmt, ", ".join(sheets))
        for sheet, frame in sheets.items():
            frame, batch = _with_batch(frame, landed, sheet)
            view = frame.copy()
            view["area"] = [("London" if b == "MPS" else lookup.get(str(b).lower())) for b in view["borough"]]
            ends = pd.to_datetime(view["quarter_end"])
            view["is_quarter_end"] = (ends.dt.is_quarter_end).tolist()
            view["areas_in_quarter"] = view.groupby("quarter_end")["area"].transform("nunique")
            view["quarter_end"] = ends
            committed.append(_gate_then_commit(
                settings, gate="pas_dashboard", table="pas_dashboard", landed=batch, frame=frame, gate_frame=view,
                parameters={"expected_areas_per_quarter": 32 if sheet == "Borough" else 1},
            ))
    return committed


def load_pas_neighbourhood(settings: Settings) -> dict:
    location = settings.pas_neighbourhood_url
    if not location:
        log.warning("PAS neighbourhood indicators: PAS_NEIGHBOURHOOD_URL is empty; nothing to load")
        return {}
    fetched = pas.fetch_location(settings, location)
    period = pas.neighbourhood_period(pas.file_name(location))
    lookup = borough_lookup()

    def parse(content: bytes):
        frame = pas.parse_neighbourhood(content, period=period, batch_id="", loaded_at=_now_iso())
        return period, frame, int(frame["row_index"].nunique()) if len(frame) else 0

    landed, frame = _land_parsed(settings, source=pas.NEIGHBOURHOOD_SOURCE, fetched=fetched, extension="csv", parse=parse)
    frame["batch_id"] = landed["batch_id"]
    view = frame.copy()
    view["borough_known"] = [str(n).split(" - ", 1)[0].strip().lower() in lookup for n in view["neighbourhood"]]
    return _gate_then_commit(settings, gate="pas_neighbourhood", table="pas_neighbourhood", landed=landed,
                             frame=frame, gate_frame=view, parameters={})


def load_pas_microdata(settings: Settings) -> list[dict]:
    """Each configured release file (one financial year) is a batch of its own."""
    if not settings.pas_microdata_urls:
        log.warning("PAS microdata: PAS_MICRODATA_URL is not set (microdata is released to researchers); nothing to load")
        return []
    lookup = borough_lookup()
    parameters = {f"codes_{v}": seed_codes("pas_answer_codes", v) for v in ("nq135bd", "q60", "q61", "q62a", "q62c", "q62tg")}
    parameters.update({f"codes_{v}": seed_codes("pas_ethnicity_codes", v) for v in ("nq147r", "renq147", "rennq147")})
    committed = []
    for location in pas.expand_locations(settings.pas_microdata_urls, suffix=".csv"):
        fetched = pas.fetch_location(settings, location)
        name = pas.file_name(location)

        def parse(content: bytes):
            period, frame = pas.parse_microdata(content, batch_id="", loaded_at=_now_iso(), name=name)
            return period, frame, len(frame)

        landed, frame = _land_parsed(settings, source=pas.MICRODATA_SOURCE, fetched=fetched, extension="csv", parse=parse)
        frame["batch_id"] = landed["batch_id"]
        view = frame.copy()
        borough_text = view["c2"].fillna(view["boroughneighbourhoodcoded"].str.split(" - ", n=1).str[0]).fillna(view["borough"])
        view["borough_known"] = [str(b).strip().lower() in lookup for b in borough_text]
        view["interview_month"] = [
            pd.to_datetime(f"{m['mon']} {m['year']}", format="%b %Y") if (m := pas.MONTH_TEXT.search(str(t))) else None
            for t in view["month"]
        ]
        view["ethnicity_columns_filled"] = view[["nq147r", "renq147", "rennq147"]].notna().sum(axis=1).astype(int)
        for col in ("wt_discrete",):
            view[col] = pd.to_numeric(view[col])
        committed.append(_gate_then_commit(settings, gate="pas_microdata", table="pas_microdata", landed=landed,
                                           frame=frame, gate_frame=view, parameters=parameters))
    return committed
