"""`make bench` cannot rot: its smoke sizes (the Met's API months; three forces' archive months, loaded the
national way) run every step (generation, ingest, bare scans, build, one-month
refresh, backfill, Airflow overhead, dashboard queries, the pandas script) and writes the report. The figures are not judged here (a
benchmark reports, a test does not time), but what the steps did is: the same files give the same records to
the pipeline, DuckDB and pandas, the refresh adds a month, and every section has its rows."""

from __future__ import annotations

import json
import re

import pytest

from devdata import bench

pytestmark = pytest.mark.bench  # `make test-bench`, not `make test` (about 2.5 minutes)


def test_the_smoke_benchmark_runs_every_step_and_writes_the_report(tmp_path):
    out = tmp_path / "benchmarks.md"
    assert bench.main(["--smoke", "--out", str(out)]) == 0
    text = out.read_text()
    for heading in ("## 1. Ingest", "## 2. Full refresh", "## 3. One-month refresh", "## 4. Live backfill",
                    "## 5. Airflow overhead", "## 6. Dashboard queries", "## 7. Profile", "## 8. The usual way",
                    "## Targets (issue 23)", "## Before and after"):
        assert heading in text
    figures = json.loads(text.split("```json\n", 1)[1].split("\n```", 1)[0])
    api, national = figures["sizes"]
    assert national["size"]["forces"] == 3 and "forces" not in api["size"]
    for size in (api, national):
        records = size["records"]
        assert records > 0
        assert size["bare_scan"][0]["records"] == size["pandas_read"][0]["records"] == records
        assert size["refresh_load"]["records"] > 0 and size["usual_way"][0]["rows"] > 0
        assert set(size["dashboard"]["duckdb"]) == set(bench.DASHBOARD_QUERIES)
        assert all(len(times) == 5 for times in size["dashboard"]["duckdb"].values())
        assert size["build"][0]["dbt_s"] > 0 and size["build"][0]["children_peak_mib"] > 0  # dbt ran in a child
        # the profile's parts: dbt's own run of the nodes is part of its time, GX's import part of the gates'
        assert 0 < size["build"][0]["dbt_nodes_s"] < size["build"][0]["dbt_s"]
        assert 0 < size["build"][0]["gx_import_s"] < size["build"][0]["gates_s"]
        assert size["build"][0]["report_s"] > 0 and size["refresh_load"]["gx_import_s"] > 0
        assert size["build"][0]["mode"] == "full"  # the first build: nothing was published
        assert size["build"][0]["dbt_nodes"]["model"] > 30 and "unit_test" not in size["build"][0]["dbt_nodes"]
        # the same build asked for again stops in prepare and publishes nothing
        assert size["nothing_new"]["outcome"] == "nothing new" and not size["nothing_new"]["published"]
        assert size["backfill"]["records"] == records  # the backfill loaded the same months as the ingest
        # the warm worker's fork loaded the same month with Great Expectations already imported (decision 0044)
        assert size["warm_load"]["records"] == size["refresh_load"]["records"] > 0
        assert size["warm_load"]["gx_import_s"] < 0.01 < size["refresh_load"]["gx_import_s"]
    # in as many requests as months and the availability list; from the archive, one zip a month
    assert api["backfill"]["requests"] == len(api["size"]["months"]) + 1
    assert national["backfill"]["requests"] == len(national["size"]["months"])
    # every force's records were loaded, the generator's volumes
    assert national["records"] == sum(v for force in national["generator"]["volumes"].values()
                                      for m, v in force.items() if m in national["size"]["months"])
    airflow = figures["airflow"]
    assert airflow["dag_s"] > 0 and airflow["work_s"] is None  # the smoke runs the DAGs, not the work again
    # a later run compares itself with the figures the file holds
    before = bench.previous_figures(out)
    assert before["sizes"] == figures["sizes"] and re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", before["written"])
    compared = "\n".join(bench._before_after(figures, before))
    refresh = api["refresh_load"]["seconds"] + api["refresh_build"]["seconds"]
    assert f"| {api['size']['label']} | one-month refresh s (fresh processes) | {refresh:.1f} | {refresh:.1f} |" in compared
