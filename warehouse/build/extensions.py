"""DuckDB as every build opens it: the extensions shipped in PyPI wheels, laid out where DuckDB looks, and its limits."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingest.core.config import Settings
from ingest.core.files import atomic_write


# DuckDB extensions the project loads, from their PyPI wheels: (module, file in the wheel, DuckDB's canonical name)
EXTENSIONS = (
    ("duckdb_extension_spatial", "spatial.duckdb_extension", "spatial"),
    ("duckdb_extension_postgres", "postgres.duckdb_extension", "postgres_scanner"),  # publishing to PostgreSQL
)


def ensure_duckdb_extensions(settings: Settings) -> Path:
    """Lay out the extensions shipped in their PyPI wheels where DuckDB looks for them.

    DuckDB cannot download extensions here, but `INSTALL spatial` is a no-op
    and `LOAD spatial` works when the file sits at
    `<extension_directory>/v<version>/<platform>/<canonical name>.duckdb_extension`.
    """
    import importlib

    con = duckdb.connect()
    try:
        platform = con.execute("pragma platform").fetchone()[0]
    finally:
        con.close()
    for module, filename, name in EXTENSIONS:
        shipped = next(Path(importlib.import_module(module).__file__).parent.glob(f"extensions/*/{filename}"))
        target = settings.duckdb_extension_dir / f"v{duckdb.__version__}" / platform / f"{name}.duckdb_extension"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            atomic_write(target, shipped.read_bytes())  # a temporary file of its own: tasks may start at once
    return settings.duckdb_extension_dir


def duckdb_limits(settings: Settings) -> dict[str, str]:
    """Memory and threads for every DuckDB a build opens (MAPWH_DUCKDB_MEMORY_LIMIT, MAPWH_DUCKDB_THREADS)."""
    return {"memory_limit": settings.vars.duckdb_memory_limit, "threads": str(settings.vars.duckdb_threads)}
