"""warehouse/gates.py: gates in parallel processes share no Great Expectations state."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from ingest import registry
from ingest.core.config import get_settings
from ingest.london_boundaries import borough_spellings
from warehouse import gates


def _validate(home: str, i: int) -> bool:
    source = registry.get("london_boundaries")
    names = borough_spellings()[:33]
    frame = pd.DataFrame({
        "period": "current", "batch_id": f"b{i}", "feature_index": range(33), "name": names,
        "geometry_geojson": "{}", "properties_json": "{}", "loaded_at": "2026-01-01T00:00:00+00:00",
    })
    return gates.validate(get_settings({"MAPWH_HOME": home}), source.suite, frame, target=f"run {i}", batch_id=f"b{i}",
                          parameters={"known_borough_spellings": borough_spellings()}).success


def test_parallel_gates_on_one_suite_all_pass_first_time(tmp_path):
    """Four processes validating against the same suite at once (as parallel Airflow workers do)."""
    with ProcessPoolExecutor(4) as pool:
        outcomes = list(pool.map(_validate, [str(tmp_path)] * 4, range(4)))
    assert outcomes == [True] * 4
    rows = [json.loads(line) for line in (tmp_path / "audit/gate_results.jsonl").read_text().splitlines()]
    assert sorted(r["batch_id"] for r in rows) == ["b0", "b1", "b2", "b3"]
    reports = sorted((tmp_path / "audit/reports/london_boundaries").iterdir())
    assert len([r for r in reports if r.suffix == ".json"]) == 4 and len([r for r in reports if r.suffix == ".html"]) == 4
    assert not (tmp_path / "gx").exists()  # nothing saved in a shared context
