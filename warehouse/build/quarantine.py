"""Where refused builds and batches go: a build file into `quarantine/builds/`, a batch out of serving."""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path

from ingest.core.config import Settings
from ingest.core.files import append_jsonl, read_jsonl
from warehouse import validated
from warehouse.build.errors import BuildFailed
from warehouse.writer import writer_lock

log = logging.getLogger(__name__)


def quarantine_build(settings: Settings, db_path: Path, reason: str, *, folder: str | None = None) -> Path:
    target = settings.quarantine_dir / "builds" / (folder or db_path.stem)
    target.mkdir(parents=True, exist_ok=True)
    if db_path.exists():
        os.replace(db_path, target / db_path.name)
    (target / "reason.txt").write_text(reason + "\n")
    log.error("build %s quarantined in %s", db_path.name, target)
    return target


def withdraw_batches(settings: Settings, build_name: str, responsible: dict[str, list[str]],
                     failure: BuildFailed) -> list[str]:
    """Take each batch a build refused out of serving (`validated.withdraw`), recording why in its quarantine entry
    and in `audit/withdrawals.jsonl`; returns the batch ids withdrawn."""
    manifest = read_jsonl(settings.manifest_path)
    withdrawn = []
    with writer_lock(settings, f"withdraw batches refused by {build_name}"):
        serving = {c["batch_id"]: c for c in validated.all_current(settings.validated_dir) if c.get("batch_id")}
        for batch_id, tests in responsible.items():
            batch = serving.get(batch_id)
            if batch is None:
                continue  # no longer serving (replaced, or withdrawn by a concurrent build)
            reason = (f"withdrawn from serving by build {build_name}: it passed its gate, but the build's dbt test(s) "
                      f"{', '.join(tests)} failed on its rows.\n{failure}")
            now = validated.withdraw(settings.validated_dir, settings.quarantine_dir, batch["table_name"], batch["period"],
                                     batch_id, reason, manifest=manifest)
            append_jsonl(settings.audit_dir / "withdrawals.jsonl", {
                "withdrawn_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "build": build_name,
                "batch_id": batch_id, "table_name": batch["table_name"], "period": batch["period"], "tests": tests,
                "serving_now": now["batch_id"] if now else None})
            log.error("withdrew %s (%s %s) from serving: dbt test(s) %s failed on its rows; %s", batch_id,
                      batch["table_name"], batch["period"], ", ".join(tests),
                      f"{now['batch_id']} serves again" if now else "the period is empty")
            withdrawn.append(batch_id)
    return withdrawn
