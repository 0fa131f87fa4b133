"""The sources as `mapwh` names them: `--sources` parsed, `mapwh sources`, and what each catalogue listed."""

from __future__ import annotations

import argparse

from ingest import registry
from ingest.core.config import get_settings
from ingest.core.errors import SourceError
from ingest.core.files import read_jsonl


def parse_sources(value: str | None) -> list[str]:
    """Source names from a comma-separated list of source names and DAG ids (default: all)."""
    dags = registry.dags()
    if not value:
        return list(registry.sources())
    chosen: list[str] = []
    for name in (part.strip() for part in value.split(",") if part.strip()):
        if name in dags:
            expanded = [s.name for s in dags[name]]
        elif name in registry.sources():
            expanded = [name]
        else:
            raise argparse.ArgumentTypeError(
                f"unknown source {name!r}; choose from {', '.join([*registry.sources(), *dags])}"
            )
        chosen.extend(s for s in expanded if s not in chosen)
    return chosen


def discovered(settings) -> dict[str, dict]:
    """The last catalogue answer recorded per source (audit/discovery.jsonl)."""
    return {row["source"]: row for row in read_jsonl(settings.audit_dir / "discovery.jsonl")}


def serving_by_url(settings, source) -> dict[str, list[str]]:
    """{file URL: the periods its batches serve now} for the source's loaded batches."""
    from warehouse import validated

    serving: dict[str, list[str]] = {}
    for batch in validated.all_current(settings.validated_dir, source.table.name):
        if batch.get("status") == "loaded":
            serving.setdefault(batch.get("url", ""), []).append(batch["period"])
    return serving


def found_lines(files: list[dict], serving: dict[str, list[str]]) -> list[str]:
    """One line per file a catalogue gave the source: name, release date, the periods it serves now (`serving_by_url`)."""
    width = max([len(f["name"]) for f in files] + [10])
    lines = []
    for f in files:
        periods = sorted(serving.get(f["url"], []))
        loaded = ("loaded: " + (", ".join(periods) if len(periods) <= 3 else f"{len(periods)} periods {periods[0]} .. {periods[-1]}")
                  if periods else "not loaded")
        lines.append(f"{f['name']:<{width}}  released {(f.get('released') or '?')[:10]:<10}  {loaded}")
    return lines


def cmd_sources(args: argparse.Namespace) -> int:
    """Every source: its DAG, table, suite, where this configuration reads it from, and what its catalogue lists."""
    from warehouse import pipeline

    settings = get_settings()
    recorded = discovered(settings)
    for source in registry.sources().values():
        kind = "partitioned by month" if source.partitioned else "published whole"
        print(f"{source.name}  [DAG {source.dag}, {kind}, raw.{source.table.name}, suite {source.suite}]")
        if source.discovers(settings):
            catalogue = source.catalogue
            base = settings.get(catalogue.base_variable, catalogue.base_default)
            print(f"  {source.variable} unset: {catalogue.describe()} at {catalogue.base_variable}={base}")
            if args.discover:
                try:
                    found = pipeline.discover(settings, source, record=False)
                except SourceError as exc:
                    print(f"    the catalogue could not be read: {str(exc).splitlines()[0][:200]}")
                    continue
                files, said = [f.as_dict() for f in found.chosen], f"now, {found.catalogue_url} lists {len(found.listed)} file(s)"
            elif source.name in recorded:
                row = recorded[source.name]
                files, said = row["chosen"], f"at the last load ({row['at']}), {row['catalogue']} listed {row['listed']} file(s)"
            else:
                print("    not asked yet (`mapwh sources --discover` asks now; a load asks and records it)")
                continue
            print(f"    {said}; the source's:")
            for line in found_lines(files, serving_by_url(settings, source)) or ["none matching"]:
                print(f"      {line}")
        else:
            where = ", ".join(source.locations(settings)) or "(not taken: variable empty)"
            print(f"  {source.variable} = {where}" + ("  (a pin: the catalogue is not asked)" if source.catalogue and where[0] != "(" else ""))
        for variable, default, meaning in source.extra_variables:
            print(f"  {variable} = {settings.get(variable, default) or '(empty)'}  ({meaning})")
    return 0
