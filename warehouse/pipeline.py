"""The load pipeline, the same for every source: fetch → land → parse once → gate → commit.

A source module (`ingest/<source>.py`) declares what is particular to it;
this module does the rest. The bytes are landed in the raw zone whatever
happens next. Bytes the parser cannot read (HTML, truncated JSON, a short
row, a bad encoding, a malformed value) are rejected: recorded as such in the
manifest, copied to `quarantine/<source>/<period>/<sha256[:16]>/` with the
reason, and the load raises BatchRejected. Each parsed batch is validated by
its Great Expectations suite; a failing batch is quarantined with the
validation report and the load raises GateFailed; a passing one becomes the
batch serving its period in the validated zone. An empty answer is recorded
but never replaces a loaded period. Callers (the DAG tasks) get small
JSON-able dicts back.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from ingest.core import discovery, http
from ingest.core.config import Settings
from ingest.core.errors import SourceError, SourceFormatError
from ingest.core.files import append_jsonl, atomic_write, read_jsonl, sha256_hex
from ingest.core.http import Fetched
from ingest.core.raw_zone import STATUS_EMPTY, STATUS_FETCHED, STATUS_REJECTED, batch_id_for, land, verify
from ingest.core.source import Batch, GateContext, Plan, Source, implausible_period
from warehouse import gates, validated
from warehouse.writer import PeriodBusy, period_lock, writer_lock

log = logging.getLogger(__name__)


class BatchRejected(SourceError):
    """The bytes arrived but could not be read as the source's format; they are quarantined."""


class NotPublished(SourceError):
    """The period is not (yet) published anywhere configured: nothing to load."""


class LoadInProgress(SourceError):
    """Another run is loading the period now: this one leaves it to that run (nothing fetched, nothing gated)."""


class Withdrawn(NotPublished):
    """A loaded period its source no longer lists: the loaded batch keeps serving, flagged (`withdrawn`)."""


def withdrawn(settings: Settings) -> list[dict]:
    """Periods whose source withdrew them after the batch serving now was loaded (`audit/unlisted.jsonl`):
    the newest record per (table, period), while that batch still serves."""
    latest: dict[tuple[str, str], dict] = {}
    for row in read_jsonl(settings.audit_dir / "unlisted.jsonl"):
        latest[(row["table_name"], row["period"])] = row
    flagged = []
    for (table, period), row in sorted(latest.items()):
        serving = validated.current(settings.validated_dir, table, period)
        if serving and serving.get("batch_id") == row["batch_id"] and serving.get("loaded_at", "") <= row["at"]:
            flagged.append({**row, "rows": serving.get("rows")})
    return flagged


class NotConfigured(SourceError):
    """The source's location variable is set empty: this deployment does not take it."""


class SuspectRevision(BatchRejected):
    """A revision that shrinks a loaded period beyond MAPWH_REVISION_SHRINK_MAX: kept for review, not loaded."""


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class StaleBatch(BatchRejected):
    """Bytes fetched before the batch serving their period: they never replace newer data."""


# --------------------------------------------------------------------------- quarantine
def quarantine(settings: Settings, landed: dict, period: str, reason: str, report_path: str = "") -> Path:
    """Copy a batch's raw bytes, reason and validation report into quarantine, each file whole or not at all.

    Every file is written atomically (temporary file, fsync, rename) and the
    payload read back against its checksum; `batch.json` is written last, and
    an entry counts as quarantined (`warehouse.reconcile`) only once it is
    there. A full disk therefore raises here, leaves no entry that claims the
    records, and the bytes (still in the raw zone) are processed again by the
    next run's `recover`.
    """
    target = settings.quarantine_dir / landed["source"] / period / landed["sha256"][:16]
    raw = settings.raw_dir / landed["path"]
    payload = target / f"payload{raw.suffix}"
    atomic_write(payload, raw.read_bytes())
    if sha256_hex(payload.read_bytes()) != landed["sha256"]:
        raise SourceError(f"quarantine copy {payload} does not match the landed bytes' checksum {landed['sha256'][:16]}")
    if report_path:
        atomic_write(target / "validation.json", Path(report_path).read_bytes())
    atomic_write(target / "reason.txt", (reason + "\n").encode())
    atomic_write(target / "batch.json", json.dumps({**landed, "period": period}, indent=1, sort_keys=True).encode())
    log.error("quarantined %s %s in %s: %s", landed["source"], period, target, reason.splitlines()[0])
    return target


# --------------------------------------------------------------------------- land and parse
def read_and_land(settings: Settings, name: str, fetched: Fetched, *, period: str | None, extension: str,
                  parse: Callable[[bytes], list[Batch] | object], count: Callable[[object], int],
                  describe: Callable[[object], str] = lambda parsed: "") -> tuple[dict, object]:
    """Parse the bytes once and land them with the outcome; unreadable bytes are rejected and quarantined.

    `describe(parsed)` adds a note to the manifest row (e.g. which periods the
    bytes revise).

    Any exception the parser raises counts as unreadable bytes: the parser is
    where untrusted input meets code, and whatever it trips on, the bytes must
    end in the raw zone and quarantine, never nowhere.
    """
    try:
        parsed = parse(fetched.content)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        where = period or "unparsed"
        detail = f"{type(exc).__name__}: {exc}" if not isinstance(exc, SourceError) else str(exc)
        landed = land(settings.raw_dir, source=name, period=where, url=fetched.url, content=fetched.content,
                      extension=extension, records=None, status=STATUS_REJECTED, detail=detail,
                      fetched_at=_fetched_at(fetched)).as_dict()
        quarantine(settings, landed, where, detail)
        raise BatchRejected(f"{name} {where}: {detail}") from exc
    records = count(parsed)
    landed_period = period or "+".join(sorted(b.period for b in parsed)) or "unparsed"
    landed = land(settings.raw_dir, source=name, period=landed_period, url=fetched.url, content=fetched.content,
                  extension=extension, records=records, status=STATUS_EMPTY if records == 0 else STATUS_FETCHED,
                  detail=describe(parsed), fetched_at=_fetched_at(fetched)).as_dict()
    return landed, parsed


def _fetched_at(fetched: Fetched) -> datetime | None:
    """When the bytes were fetched (bytes read again from the raw zone keep their first fetch's time)."""
    return datetime.fromtimestamp(fetched.fetched_at, timezone.utc) if fetched.fetched_at else None


def reader(settings: Settings, source: Source):
    """What a planner reads with: fetch, land under `name`, parse (rejections quarantined)."""

    def read(name: str, location: str, period: str, parse: Callable[[bytes, str], object]) -> object:
        fetched = source.fetch(settings, location)
        _, parsed = read_and_land(settings, name, fetched, period=period, extension="json",
                                  parse=lambda content: parse(content, fetched.url), count=len)
        return parsed

    return read


# --------------------------------------------------------------------------- gate and commit
def _suspect_shrink(settings: Settings, serving: dict | None, rows: int) -> str | None:
    """Why a revision is suspect (it drops more than MAPWH_REVISION_SHRINK_MAX of the loaded rows), or None."""
    if not serving or serving.get("status") != "loaded" or not serving.get("rows"):
        return None
    limit = settings.vars.revision_shrink_max
    drop = 1 - rows / serving["rows"]
    if drop <= limit:
        return None
    return (f"suspect revision: {rows:,} rows would replace the {serving['rows']:,} of batch {serving['batch_id']} "
            f"(-{drop:.0%}, more than MAPWH_REVISION_SHRINK_MAX {limit:.0%}); the loaded batch keeps serving")


def gate_and_commit(settings: Settings, source: Source, landed: dict, batch: Batch, *, accept_shrink: bool = False) -> dict:
    """Validate one batch with the source's suite; pass → it serves its period, fail → quarantine.

    The same bytes as the batch already serving the period change nothing
    (`unchanged`), so a source can be re-read every run at the cost of one
    fetch. Different bytes for a loaded period are a revision: gated like any
    batch, then committed with `revision_of` and recorded in
    `audit/revisions.jsonl`.
    """
    table = source.table
    batch_id = batch_id_for(source.name, batch.period, landed["sha256"])
    # every source: a period before the source's first, or in the future, is refused whatever its rows
    implausible = implausible_period(source, batch.period, datetime.now(timezone.utc).date())
    if implausible:
        refused = gates.refuse(settings, source.suite, target=f"{source.name} {batch.period}", batch_id=batch_id,
                               failures=[implausible])
        quarantine(settings, landed, batch.period, refused.summary(), refused.report_path)
        raise gates.GateFailed(refused)
    serving = validated.current(settings.validated_dir, table.name, batch.period)
    if serving and serving.get("sha256") == landed["sha256"]:
        log.info("%s %s: unchanged (the serving batch %s has the same bytes)", source.name, batch.period, serving["batch_id"])
        return {**serving, "unchanged": True}
    refused = None if accept_shrink else dismissed(settings, source.name, batch.period, landed["sha256"])
    if refused and serving:  # an operator dismissed these bytes (`mapwh dismiss`): not a failure any more
        log.warning("%s %s: these bytes (sha256 %s) were dismissed at %s (`mapwh dismiss`); the batch %s keeps "
                    "serving", source.name, batch.period, landed["sha256"][:12], refused["dismissed_at"], serving["batch_id"])
        return {**serving, "unchanged": True, "dismissed": refused["dismissed_at"]}
    gone = validated.withdrawn(settings.validated_dir, table.name, batch.period, landed["sha256"])
    if gone:  # a build refused these very bytes: loading them again would break every build again
        raise BatchRejected(f"{source.name} {batch.period}: these bytes (batch {gone['batch']['batch_id']}) were withdrawn "
                            f"from serving at {gone['withdrawn_at']} because a build refused them: "
                            f"{gone['reason'].splitlines()[0]}")
    meta = {k: landed[k] for k in ("source", "sha256", "url", "fetched_at")}
    meta.update(batch_id=batch_id, loaded_at=_now_iso(), synthetic=source.name in settings.synthetic_sources)
    if batch.lineage:
        meta["lineage"] = batch.lineage
    for warning in batch.warnings:
        log.warning("%s %s: %s", source.name, batch.period, warning)

    if batch.frame.empty:
        log.warning("%s %s: the source answered with no records", source.name, batch.period)
        return _commit(settings, table, batch.period, None, 0,
                       {**meta, "status": "empty", "warnings": [*batch.warnings, "source returned no records"]})

    frame = batch.frame.assign(period=batch.period, batch_id=batch_id, loaded_at=meta["loaded_at"])
    history = tuple(
        {**c, "path": str(validated.period_dir(settings.validated_dir, table.name, c["period"]) / c["file"]) if c.get("file") else None}
        for c in validated.all_current(settings.validated_dir, table.name) if c["period"] != batch.period
    )
    serving_file = (validated.period_dir(settings.validated_dir, table.name, batch.period) / serving["file"]
                    if serving and serving.get("file") else None)
    context = GateContext(period=batch.period, history=history, serving=serving,
                          serving_file=str(serving_file) if serving_file else None)
    staged = None
    try:
        # cast to the contract's types first: a value that does not fit rejects the batch here
        staged = validated.stage(settings.validated_dir, table, batch.period, frame, landed["sha256"])
        view = source.gate_view(frame)
        text = [c for c in table.parsed_column_names if table.types[c] == "VARCHAR" and c in view.columns]
        result = gates.validate(
            settings, source.suite, gates.with_control_check(view, text),
            target=f"{source.name} {batch.period}", batch_id=batch_id, parameters=source.gate_parameters(context),
            extra_expectations=gates.text_expectations(),  # every batch: no control characters in its text
        )
    except Exception as exc:  # noqa: BLE001 - a batch that cannot be cast or checked is rejected, never lost
        validated.unstage(staged)
        detail = f"{type(exc).__name__}: {exc}"
        quarantine(settings, landed, batch.period, detail)
        raise BatchRejected(f"{source.name} {batch.period}: {detail}") from exc
    if not result.success:
        validated.unstage(staged)
        quarantine(settings, landed, batch.period, result.summary(), result.report_path)
        raise gates.GateFailed(result)
    suspect = None if accept_shrink else _suspect_shrink(settings, serving, len(frame))
    if suspect:
        validated.unstage(staged)
        quarantine(settings, landed, batch.period, f"{suspect}. To let it replace the loaded batch: mapwh accept {batch_id}",
                   result.report_path)
        raise SuspectRevision(f"{source.name} {batch.period}: {suspect}")
    try:
        committed = _commit(settings, table, batch.period, staged, len(frame),
                            {**meta, "status": "loaded", "warnings": [*batch.warnings, *result.warnings]})
    except StaleBatch as exc:
        validated.unstage(staged)
        quarantine(settings, landed, batch.period, str(exc), result.report_path)
        raise
    log.info("loaded %s %s: %d rows (batch %s)", table.name, batch.period, committed["rows"], batch_id)
    return committed


def _commit(settings: Settings, table, period: str, staged, rows: int, meta: dict) -> dict:
    """Under the writer lock: decide against what serves *now*, then make the batch serve its period."""
    with writer_lock(settings, f"commit {table.name} {period}"):
        serving = validated.current(settings.validated_dir, table.name, period)
        if serving and serving.get("sha256") == meta["sha256"]:
            return {**serving, "unchanged": True}  # another run committed the same bytes meanwhile
        if staged is not None and not staged.exists():
            # a run staging the same bytes at once refused them (unstage) before this one committed
            raise SourceError(f"{table.name} {period}: the staged file {staged.name} was removed by a concurrent run; load again")
        if serving and serving.get("status") == "loaded":
            if _fetched_before(meta, serving):
                raise StaleBatch(
                    f"{table.name} {period}: these bytes (sha256 {meta['sha256'][:12]}) were fetched at {meta['fetched_at']}, "
                    f"before the batch serving the period ({serving['batch_id']}, fetched at {serving['fetched_at']}); "
                    f"older data never replaces newer")
            if staged is None:
                log.warning("%s %s: keeping the loaded batch %s rather than replace it with nothing",
                            table.name, period, serving["batch_id"])
                return serving
            revision = {k: serving.get(k) for k in ("batch_id", "sha256", "rows", "loaded_at")}
            meta = {**meta, "revision_of": revision}
        committed = validated.commit(settings.validated_dir, table, period, staged, rows, meta)
        if "revision_of" in meta:
            append_jsonl(settings.audit_dir / "revisions.jsonl", {
                "table_name": table.name, "period": period, "revised_at": meta["loaded_at"],
                "old_sha256": meta["revision_of"]["sha256"], "old_rows": meta["revision_of"]["rows"],
                "new_sha256": committed["sha256"], "new_rows": committed["rows"], "batch_id": committed["batch_id"],
            })
            log.warning("%s %s revised: %s rows (sha256 %s) replace %s rows (sha256 %s)", table.name, period,
                        committed["rows"], committed["sha256"][:12], meta["revision_of"]["rows"], meta["revision_of"]["sha256"][:12])
    return committed


def _fetched_before(meta: dict, serving: dict) -> bool:
    """True when `meta`'s bytes were fetched strictly before the serving batch's (to the second)."""
    try:
        return datetime.fromisoformat(meta["fetched_at"]) < datetime.fromisoformat(serving["fetched_at"])
    except (KeyError, TypeError, ValueError):
        return False


def _bounded(settings: Settings, source: Source, batches: list[Batch]) -> list[Batch]:
    """Refuse a text value longer than the source's `max_field_chars` (or MAPWH_MAX_FIELD_CHARS):
    one huge value would take a build's memory, and no published field is anywhere near it."""
    limit = settings.vars.max_field_chars or source.max_field_chars
    for batch in batches:
        for column in batch.frame.columns:
            try:
                lengths = batch.frame[column].str.len()
            except AttributeError:  # not a text column
                continue
            if len(lengths) and lengths.max() > limit:
                row = int(lengths.idxmax())
                raise SourceFormatError(f"{source.name} {batch.period}: row {row} column {column} holds "
                                        f"{int(lengths.max()):,} characters (limit {limit:,}: the source's max_field_chars or MAPWH_MAX_FIELD_CHARS)")
    return batches


def _revision_note(settings: Settings, source: Source, sha256: str, batches: list[Batch]) -> str:
    """For the manifest: which periods these bytes would change, and from what."""
    notes = []
    for batch in batches:
        serving = validated.current(settings.validated_dir, source.table.name, batch.period)
        if serving and serving.get("status") == "loaded" and serving.get("sha256") != sha256:
            notes.append(f"{batch.period} differs from the serving batch (sha256 {serving['sha256'][:12]}, {serving['rows']} rows)")
    return "; ".join(notes)


def ingest_bytes(settings: Settings, source: Source, fetched: Fetched, period: str | None = None, *,
                 accept_shrink: bool = False, recovering: bool = False) -> list[dict]:
    """Land, parse once, gate and commit every batch in one fetched file.

    Bytes that already serve (the same checksum) are landed and recorded as
    such, and neither parsed nor gated again: re-reading a whole source, or a
    look-back of months, costs one fetch per file when nothing changed
    (unless `recovering` a file a crash interrupted, some of whose periods
    may serve and others not).
    """
    sha256 = sha256_hex(fetched.content)
    served = [c for c in validated.all_current(settings.validated_dir, source.table.name)
              if c.get("sha256") == sha256 and (period is None or c["period"] == period)]
    if served and not recovering:
        periods = "+".join(sorted(c["period"] for c in served))
        land(settings.raw_dir, source=source.name, period=period or periods, url=fetched.url, content=fetched.content,
             extension=source.extension_for(fetched.content), records=sum(c["rows"] for c in served),
             status=STATUS_FETCHED, detail=f"unchanged: the bytes serving {periods}")
        log.info("%s %s: unchanged (the same bytes serve it)", source.name, periods)
        return [{**c, "unchanged": True} for c in served]
    landed, batches = read_and_land(
        settings, source.name, fetched, period=period, extension=source.extension_for(fetched.content),
        parse=lambda content: _bounded(settings, source, source.parse(content, location=fetched.url, period=period)),
        count=lambda parsed: sum(len(b.frame) for b in parsed),
        describe=lambda parsed: _revision_note(settings, source, sha256, parsed),
    )
    return [gate_and_commit(settings, source, landed, batch, accept_shrink=accept_shrink) for batch in batches]


def accept(settings: Settings, batch_id: str) -> list[dict]:
    """Load a quarantined suspect revision after review: its bytes, from the raw zone, gated again.

    Only the shrink check is waived; every gate still applies. The quarantine
    entry stays (with `accepted.json`), so the review is on record.
    """
    entry, landed, source = _quarantined(settings, batch_id)
    _refuse_if_accepted(entry, batch_id)  # a dismissed one may still be accepted
    raw = (settings.raw_dir / landed["path"]).resolve()
    if not raw.is_relative_to(settings.raw_dir.resolve()) or not raw.is_file():
        raise SourceError(f"{batch_id}: its batch.json names {landed['path']!r}, which is not a file in the raw zone")
    content = raw.read_bytes()
    if sha256_hex(content) != landed["sha256"]:
        raise SourceError(f"raw zone file {landed['path']} no longer matches its checksum")
    serving = validated.current(settings.validated_dir, source.table.name, landed["period"])
    if serving and serving.get("status") == "loaded" and _fetched_before(landed, serving):
        raise StaleBatch(f"{batch_id} was fetched at {landed['fetched_at']}, before the batch serving "
                         f"{landed['period']} now ({serving['batch_id']}, fetched at {serving['fetched_at']}): "
                         f"accepting it would publish older data over newer; nothing changed")
    fetched = Fetched(landed["url"], content, 200, "", datetime.fromisoformat(landed["fetched_at"]).timestamp())
    committed = ingest_bytes(settings, source, fetched, landed["period"] if source.partitioned else None, accept_shrink=True)
    atomic_write(entry / "accepted.json", json.dumps({"accepted_at": _now_iso(), "committed": committed}, indent=1, default=str).encode())
    return committed


def _reason(entry: Path) -> str:
    """Why a quarantine entry is there (its reason.txt), or ''."""
    return (entry / "reason.txt").read_text() if (entry / "reason.txt").is_file() else ""


def _held_for_review(entry: Path, batch_id: str) -> None:
    """Refuse an entry that is not a suspect revision still held for review."""
    reason = _reason(entry)
    if not reason.startswith("suspect revision"):
        raise SourceError(f"{batch_id} is not a suspect revision held for review (quarantined for: "
                          f"{reason.splitlines()[0] if reason else 'no reason recorded'}); only a held revision is "
                          f"accepted or dismissed")
    _refuse_if_accepted(entry, batch_id)


def _refuse_if_accepted(entry: Path, batch_id: str) -> None:
    if (entry / "accepted.json").exists():
        raise SourceError(f"{batch_id} was accepted already (see {entry / 'accepted.json'})")


def dismiss(settings: Settings, batch_id: str) -> dict:
    """Refuse a quarantined suspect revision after review: later runs that fetch the same bytes skip them (the
    loaded batch keeps serving) instead of failing on them again. The quarantine entry stays, with
    `dismissed.json`; `mapwh accept` still lets the bytes in if the decision changes."""
    entry, landed, source = _quarantined(settings, batch_id)
    _held_for_review(entry, batch_id)
    serving = validated.current(settings.validated_dir, source.table.name, landed["period"])
    record = {"dismissed_at": _now_iso(), "batch_id": batch_id, "sha256": landed["sha256"], "period": landed["period"],
              "serving": (serving or {}).get("batch_id")}
    atomic_write(entry / "dismissed.json", json.dumps(record, indent=1).encode())
    log.warning("dismissed %s: later fetches of these bytes are skipped; %s keeps serving %s", batch_id,
                record["serving"], landed["period"])
    return record


def dismissed(settings: Settings, source_name: str, period: str, sha256: str) -> dict | None:
    """The dismissal of these bytes for this period (`dismiss`), or None."""
    path = settings.quarantine_dir / source_name / period / sha256[:16] / "dismissed.json"
    if not path.is_file():
        return None
    record = json.loads(path.read_text())
    return record if record.get("sha256") == sha256 else None


BATCH_ID = re.compile(r"(?P<source>[a-z][a-z0-9_]*):(?P<period>[0-9A-Za-z][0-9A-Za-z_+-]*):(?P<sha16>[0-9a-f]{16})")


def _quarantined(settings: Settings, batch_id: str) -> tuple[Path, dict, Source]:
    """A quarantine entry named by `batch_id`, found in the quarantine (never a path built from the argument),
    with its batch.json checked against the id."""
    from ingest import registry

    match = BATCH_ID.fullmatch(batch_id)
    if not match or match["source"] not in registry.sources():
        raise SourceError(f"{batch_id!r} is not a batch id (source:period:sha256[:16], as the quarantine reason prints it)")
    root = settings.quarantine_dir.resolve()
    entries = {(e.parent.name, e.name): e for e in (root / match["source"]).glob("*/*")
               if e.is_dir() and not e.is_symlink() and (e / "batch.json").is_file()} if (root / match["source"]).is_dir() else {}
    entry = entries.get((match["period"], match["sha16"]))
    if entry is None or not entry.resolve().is_relative_to(root):
        raise SourceError(f"no quarantined batch {batch_id} in {settings.quarantine_dir}")
    landed = json.loads((entry / "batch.json").read_text())
    if (landed.get("source"), landed.get("period"), str(landed.get("sha256", ""))[:16]) != (match["source"], match["period"], match["sha16"]):
        raise SourceError(f"{entry / 'batch.json'} does not describe {batch_id}; refused")
    return entry, landed, registry.get(match["source"])


# --------------------------------------------------------------------------- recovery
def _in_progress(row: dict, now: datetime) -> bool:
    """A landing whose process may still be working on it: alive on this host, or recent on another."""
    if row.get("host") == socket.gethostname() and row.get("pid"):
        if row["pid"] == os.getpid():
            return False
        try:
            os.kill(row["pid"], 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    if row.get("host"):
        landed_at = datetime.fromisoformat(row.get("landed_at") or row["fetched_at"])
        return (now - landed_at).total_seconds() < RECOVER_OTHER_HOSTS_AFTER_S
    return False


RECOVER_OTHER_HOSTS_AFTER_S = 3600


def orphans(settings: Settings, source: Source) -> list[dict]:
    """Landed files of `source` with no outcome: records but no Parquet staged from them and no quarantine
    entry (a crash, a kill -9 or a full disk between landing and commit), or refused unread with no
    quarantine entry (the disk filled while it was quarantined). The newest landing row of each."""
    table_dir = settings.validated_dir / source.table.name
    staged: dict[str, list[Path]] = {}
    for path in table_dir.glob("*/*.parquet") if table_dir.is_dir() else ():
        staged.setdefault(path.stem, []).append(path)
    entries = settings.quarantine_dir / source.name
    quarantined = {e.name for e in entries.glob("*/*") if (e / "batch.json").is_file()} if entries.is_dir() else set()
    now = datetime.now(timezone.utc)
    found: dict[str, dict] = {}
    for row in read_jsonl(settings.manifest_path):
        outcome_due = (row.get("status") == STATUS_FETCHED and row.get("records")) or row.get("status") == STATUS_REJECTED
        if row.get("source") == source.name and outcome_due and row["sha256"][:16] not in quarantined:
            found[row["sha256"]] = row
    # a file of one period is done once its Parquet is there; a file of several (a workbook, a respondent
    # file of two years) only once its periods' Parquet hold all its records (a crash may fall between them)
    return [row for sha, row in found.items() if not _in_progress(row, now)
            and (sha not in staged or (not source.partitioned and _rows(staged[sha]) < (row.get("records") or 0)))]


def _rows(parquet_files: list[Path]) -> int:
    import duckdb

    return duckdb.execute("select count(*) from read_parquet(?)", [[str(p) for p in parquet_files]]).fetchone()[0]


def recover(settings: Settings, source: Source) -> list[dict]:
    """Process landed-but-uncommitted files of `source` from the raw zone (`orphans`): gated and committed as
    if fetched again, with their first fetch's time, so bytes older than the batch serving their period are
    quarantined as stale rather than published. A file whose raw bytes no longer match stays reported lost."""
    committed: list[dict] = []
    for row in orphans(settings, source):
        if not verify(settings.raw_dir, row):
            log.error("%s %s: landed file %s is missing or no longer matches its checksum; it cannot be recovered",
                      source.name, row["period"], row["path"])
            continue
        log.warning("%s %s: recovering %s, landed at %s and interrupted before its outcome (%s records)",
                    source.name, row["period"], row["sha256"][:12], row["fetched_at"], row["records"])
        fetched = Fetched(row["url"], (settings.raw_dir / row["path"]).read_bytes(), 200, "",
                          datetime.fromisoformat(row["fetched_at"]).timestamp())
        try:
            committed.extend(c for c in ingest_bytes(settings, source, fetched, row["period"] if source.partitioned else None,
                                                     recovering=True) if not c.get("unchanged"))
        except (SourceError, gates.GateFailed) as exc:  # quarantined with its reason: an outcome, as any load's
            log.warning("%s %s: the recovered file was refused: %s", source.name, row["period"], str(exc).splitlines()[0])
    return committed


# --------------------------------------------------------------------------- entry points
def plan(settings: Settings, source: Source, period: str, lookback: int = 1) -> list[Plan]:
    """The periods of a partitioned source a run reads: `period` and the `lookback - 1` before it
    that are published (a period not published comes back with no locations and a note)."""
    if source.plan is None:
        raise ValueError(f"{source.name} is published whole, not planned per period")
    return source.plan(settings, period, reader(settings, source), lookback)


def load_planned(settings: Settings, source: Source, planned: Plan) -> list[dict]:
    """Load one planned period from the first of its locations that is found (unchanged bytes change nothing);
    a period another run is loading now is left to it (`LoadInProgress`), fetched and gated once."""
    try:
        with period_lock(settings, source.name, planned.period):
            return _load_planned(settings, source, planned)
    except PeriodBusy as exc:
        raise LoadInProgress(str(exc)) from exc


def _load_planned(settings: Settings, source: Source, planned: Plan) -> list[dict]:
    recovered = recover(settings, source)
    if not planned.locations:
        serving = validated.current(settings.validated_dir, source.table.name, planned.period)
        if planned.via == "unlisted" and serving and serving.get("status") == "loaded":
            append_jsonl(settings.audit_dir / "unlisted.jsonl", {
                "at": _now_iso(), "source": source.name, "table_name": source.table.name, "period": planned.period,
                "batch_id": serving["batch_id"], "note": planned.note})
            raise Withdrawn(f"{source.name} {planned.period}: withdrawn by the source ({planned.note}); the batch loaded "
                            f"{serving['loaded_at']} keeps serving, flagged in `mapwh status` and the report")
        raise NotPublished(f"{source.name} {planned.period}: {planned.note}")
    for location in planned.locations:
        fetched = source.fetch(settings, location)
        if fetched.status != 404:
            return [*recovered, *ingest_bytes(settings, source, fetched, planned.period)]
    raise NotPublished(f"{source.name} {planned.period}: not at {', '.join(planned.locations)} ({planned.note})")


def load_period(settings: Settings, source: Source, period: str) -> list[dict]:
    """Plan one period of a partitioned source and load what the plan names (as one scheduled run does, in sequence)."""
    return [committed for planned in plan(settings, source, period) for committed in load_planned(settings, source, planned)]


def discover(settings: Settings, source: Source, *, record: bool = True) -> discovery.Discovery:
    """Ask the source's catalogue which files it lists now (`ingest.core.discovery`).

    When loading (`record`), the catalogue's answer is landed in the raw zone
    like any response (under `catalogue_<kind>`, dated today; an unreadable
    one is quarantined), and what it listed and what the source takes is
    appended to `audit/discovery.jsonl`, which `mapwh status` and `mapwh
    sources` read. Without, it is only asked (`mapwh sources --discover`).
    """
    catalogue = source.catalogue
    if catalogue is None:
        raise ValueError(f"{source.name} declares no catalogue")
    today = datetime.now(timezone.utc).date().isoformat()

    def read(name: str, location: str, parse: Callable[[bytes, str], object]) -> object:
        fetched = http.fetch(settings, location)
        if not record:
            return parse(fetched.content, fetched.url)
        _, parsed = read_and_land(settings, name, fetched, period=today, extension="json",
                                  parse=lambda content: parse(content, fetched.url),
                                  count=lambda parsed: len(parsed[0] if isinstance(parsed, tuple) else parsed))
        return parsed

    found = discovery.discover(catalogue, settings.get(catalogue.base_variable, catalogue.base_default), read)
    if record:
        append_jsonl(settings.audit_dir / "discovery.jsonl", {
            "at": _now_iso(), "source": source.name, "catalogue": found.catalogue_url, "pattern": catalogue.pattern,
            "listed": len(found.listed), "chosen": [f.as_dict() for f in found.chosen],
        })
    log.info("%s: %s lists %d file(s), %d of them the source's", source.name, found.catalogue_url, len(found.listed), len(found.chosen))
    return found


def locate(settings: Settings, source: Source) -> tuple[str, ...]:
    """The files a whole source reads: its pinned locations (or fixed default), or what its catalogue lists now."""
    if source.discovers(settings):
        chosen = discover(settings, source).chosen
        if not chosen:
            raise NotPublished(f"{source.name}: the catalogue lists no file matching {source.catalogue.pattern!r}")
        return tuple(f.url for f in chosen)
    locations = source.locations(settings)
    if not locations:
        raise NotConfigured(f"{source.name}: {source.variable} is empty, so this deployment does not take it")
    return locations


def load(settings: Settings, source: Source) -> list[dict]:
    """Every file of a whole source (each file may hold several batches)."""
    committed = recover(settings, source)
    for location in locate(settings, source):
        committed.extend(ingest_bytes(settings, source, source.fetch(settings, location)))
    return committed

