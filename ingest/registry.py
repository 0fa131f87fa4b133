"""Every source the warehouse knows: the `SOURCE` declared by each module of `ingest/`.

Adding a source is adding a module (with its suite in `expectations/` and its
dbt staging models); nothing here lists them by hand. The pipeline, the DAGs,
the build and the CLI all ask this module.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

import ingest
from ingest.core.source import Source


@functools.cache
def sources() -> dict[str, Source]:
    """{name: Source} for every `ingest/<module>.py` that declares `SOURCE`, in name order."""
    found: dict[str, Source] = {}
    for info in sorted(pkgutil.iter_modules(ingest.__path__), key=lambda m: m.name):
        if info.ispkg or info.name == "registry":
            continue
        declared = getattr(importlib.import_module(f"ingest.{info.name}"), "SOURCE", None)
        if isinstance(declared, Source):
            if declared.name in found:
                raise ValueError(f"two sources are named {declared.name!r}")
            found[declared.name] = declared
    return found


def get(name: str) -> Source:
    try:
        return sources()[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(sources())}") from None


def dags() -> dict[str, tuple[Source, ...]]:
    """{DAG id: the sources it loads}, DAGs in name order."""
    grouped: dict[str, list[Source]] = {}
    for source in sources().values():
        grouped.setdefault(source.dag, []).append(source)
    return {dag: tuple(members) for dag, members in sorted(grouped.items())}


def by_table(table: str) -> Source:
    return next(s for s in sources().values() if s.table.name == table)
