"""What makes a build incremental or full: the incremental models, the basis fingerprint and why a build is full.

A build may be copied from the published one (and recompute only the
periods whose batch changed) when both were made from the same basis: the
dbt project, the DuckDB version, the build layout and the batches of the
basis tables (decision 0025).
"""

from __future__ import annotations

import hashlib

import duckdb

from ingest import registry
from ingest.core.config import DBT_PROJECT_DIR, Settings
from warehouse import validated


# Marts that incremental builds extend period by period (decision 0025), and the raw
# table whose periods they follow; a build copied from the published file
# recomputes only the periods of these tables whose batch changed.
def incremental_models() -> dict[str, str]:
    """{dbt model: the raw table whose periods it is incremental by}, as the sources declare them."""
    return {model: source.table.name for source in registry.sources().values() for model in source.incremental_models}


def incremental_tables() -> tuple[str, ...]:
    return tuple(sorted(set(incremental_models().values())))


def basis_tables() -> tuple[str, ...]:
    """Raw tables the incremental models also read (the sources say which): when one of their batches changes,
    every period must be recomputed, so they are part of the basis."""
    return tuple(sorted(s.table.name for s in registry.sources().values() if s.basis_of_incremental))


# What a stored per-period result depends on besides its own period's rows:
# the dbt project's files (models, seeds, macros) and the DuckDB version.
BASIS_FILES = ("dbt_project.yml", "models", "seeds", "macros")
# Bump when the way a build file is laid out changes, to force one full build.
BUILD_LAYOUT = "2"
# The reason a build made full by `--full-refresh` records (a second attempt of it is full again).
FULL_REFRESH_ASKED = "full refresh asked for"


def incremental_basis(settings: Settings) -> str:
    """A fingerprint of everything a stored per-period result depends on besides its period's own rows.

    The dbt project's models, seeds and macros, the DuckDB version, the build
    layout and the batches serving `basis_tables()`. A build may be copied from
    the published one only when their bases are equal.
    """
    digest = hashlib.sha256(f"layout {BUILD_LAYOUT}\nduckdb {duckdb.__version__}\n".encode())
    for name in BASIS_FILES:
        root = DBT_PROJECT_DIR / name
        for file in sorted([root] if root.is_file() else (p for p in root.rglob("*") if p.is_file())):
            digest.update(f"{file.relative_to(DBT_PROJECT_DIR)}\n".encode())
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    for table in basis_tables():
        for batch in validated.all_current(settings.validated_dir, table):
            digest.update(f"{table} {batch['period']} {batch['batch_id']}\n".encode())
    return digest.hexdigest()


def full_build_reason(settings: Settings, basis: str) -> str | None:
    """Why the next build cannot be copied from the published one, or None when it can."""
    if not settings.warehouse_path.exists():
        return "nothing published yet"
    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    except duckdb.Error as exc:
        return f"the published file cannot be opened: {exc}"
    try:
        columns = {c for (c,) in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'audit' and table_name = 'build'").fetchall()}
        if "basis" not in columns:
            return "the published build records no basis"
        (published_basis,) = con.execute("select basis from audit.build").fetchone()
    finally:
        con.close()
    if published_basis != basis:
        return "the dbt project, DuckDB or the boundaries changed since the published build"
    return None
