"""Nothing received is lost: every landed file's records are in the validated zone or in quarantine.

From the raw zone's manifest (what arrived), the validated zone (the Parquet
files staged from each landed file, serving or superseded, named by the
file's sha256) and the quarantine (entries named by the first 16 hex digits
of the sha256), per source:

- a file is **validated** when Parquet files from it hold exactly the records
  the manifest counted when it was parsed (a file of several periods, such as
  the dashboard workbook, sums its periods);
- a file is **quarantined** when it has a whole quarantine entry (its
  `batch.json`, written last, is there: rejected bytes, a failed gate, a
  value that did not fit, stale bytes);
- a file that answered with no records is **empty**;
- anything else is **lost**, which must never happen.

`mapwh status` prints the totals; the fault tests assert `lost == 0`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ingest import registry
from ingest.core.config import Settings
from ingest.core.files import read_jsonl


@dataclass
class Reconciliation:
    source: str
    files: int = 0
    received: int = 0  # records the parser counted (unreadable files count as files, not records)
    validated: int = 0
    quarantined: int = 0  # records in quarantined files (0 for unreadable ones)
    quarantined_files: int = 0
    empty_files: int = 0
    lost: list[str] = field(default_factory=list)  # sha256 of files found nowhere

    @property
    def holds(self) -> bool:
        return not self.lost and self.received == self.validated + self.quarantined


def _parquet_rows(path) -> int:
    import duckdb

    return duckdb.execute("select count(*) from read_parquet(?)", [str(path)]).fetchone()[0]


def reconcile(settings: Settings) -> list[Reconciliation]:
    tables = {s.name: s.table.name for s in registry.sources().values()}
    files: dict[tuple[str, str], dict] = {}
    for row in read_jsonl(settings.manifest_path):
        if row["source"] not in tables:
            continue  # e.g. the police.uk availability list: an index, not records
        known = files.setdefault((row["source"], row["sha256"]), {"records": row.get("records"), "statuses": set()})
        known["statuses"].add(row["status"])
        if row.get("records") is not None:
            known["records"] = row["records"]

    staged: dict[tuple[str, str], int] = defaultdict(int)
    for source, table in tables.items():
        for parquet in (settings.validated_dir / table).glob("*/*.parquet"):
            staged[(source, parquet.stem)] += _parquet_rows(parquet)
    quarantined = {
        (entry.parent.parent.name, entry.name)
        for entry in settings.quarantine_dir.glob("*/*/*") if (entry / "batch.json").is_file()  # written last: a whole entry
    } if settings.quarantine_dir.exists() else set()

    results = {source: Reconciliation(source) for source in tables}
    for (source, sha256), known in sorted(files.items()):
        result = results[source]
        result.files += 1
        records = known["records"] or 0
        result.received += records
        if (source, sha256) in staged and staged[(source, sha256)] == records:
            result.validated += records  # (an accepted suspect revision keeps its quarantine entry as a record)
        elif (source, sha256[:16]) in quarantined:
            result.quarantined += records
            result.quarantined_files += 1
        elif records == 0 and known["statuses"] <= {"empty", "fetched"}:
            result.empty_files += 1
        else:
            result.lost.append(sha256)
    return [r for r in results.values() if r.files]
