"""Great Expectations gates: nothing reaches the warehouse, or readers, unchecked.

Suites are JSON files in `expectations/` (one per gate), the only place they
are kept. Each validation builds its GX objects (suite, pandas data source,
dataframe asset, whole-dataframe batch definition, validation definition,
checkpoint) in an ephemeral context of its own: nothing is saved, so gates
running in parallel (several months loading at once, a build beside a load)
share no mutable Great Expectations state. Values that depend on the batch
(the month's date bounds, the trailing record counts, the known vocabularies
from the dbt seeds) are suite parameters (`{"$PARAMETER": ...}`) supplied at
run time.

Each expectation has a severity: a failed `critical` expectation fails the
gate, a failed `warning` is reported but lets the batch through. Every result
is kept: the full report under `MAPWH_HOME/audit/reports/<gate>/`, as JSON
and as GX's own HTML rendering of it (the Data Docs page of that validation),
and one row in `audit/gate_results.jsonl`. GX's SQL data source cannot compute
metrics on DuckDB here, so tables are read into DataFrames.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ingest.core.config import EXPECTATIONS_DIR, Settings
from ingest.core.raw_zone import append_jsonl

log = logging.getLogger(__name__)
# GX logs every closure it declines to register, and each datasource it loads,
# at INFO on every import and context: hundreds of identical lines per task log.
# Its warnings and errors still come through; the outcome is logged here.
logging.getLogger("great_expectations").setLevel(logging.WARNING)


class GateFailed(Exception):
    """A batch or build failed its gate; the message lists every failed expectation."""

    def __init__(self, result: "GateResult"):
        self.result = result
        super().__init__(result.summary())


@dataclass
class GateResult:
    gate: str
    target: str  # what was validated, e.g. "police_uk_stop_search 2024-09" or "build 2026-..."
    batch_id: str
    success: bool
    evaluated: int
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    report_path: str = ""
    evaluated_at: str = ""

    def summary(self) -> str:
        head = f"gate {self.gate} on {self.target}: {'passed' if self.success else 'FAILED'}"
        head += f" ({self.evaluated} expectations, {len(self.failures)} failed, {len(self.warnings)} warnings)"
        lines = [head] + [f"  FAILED {f}" for f in self.failures] + [f"  WARNING {w}" for w in self.warnings]
        if self.report_path:
            lines.append(f"  report: {self.report_path}")
        return "\n".join(lines)

    def raise_for_failure(self) -> None:
        if not self.success:
            raise GateFailed(self)


def suite_path(gate: str) -> Path:
    return EXPECTATIONS_DIR / f"{gate}.json"


def load_suite_definition(gate: str) -> dict:
    with suite_path(gate).open() as fh:
        return json.load(fh)


def suite_parameter_names(definition: dict) -> set[str]:
    """Every `$PARAMETER` name a suite refers to."""
    names: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "$PARAMETER" in node:
                names.add(node["$PARAMETER"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(definition.get("expectations", []))
    return names


def _context():
    """A fresh in-memory context: suites come from `expectations/`, nothing is written back."""
    import great_expectations as gx

    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # Progress bars flood Airflow task logs and the CLI; results say what matters.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _html(validation_result) -> str:
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    return DefaultJinjaPageView().render(ValidationResultsPageRenderer().render(validation_result))


def _describe(result) -> str:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id",)}
    for key in ("value_set",):
        if isinstance(kwargs.get(key), list) and len(kwargs[key]) > 6:
            kwargs[key] = f"<{len(kwargs[key])} values>"
    observed = result.result or {}
    detail = ""
    if "observed_value" in observed:
        detail = f" observed={observed['observed_value']!r}"
    elif "unexpected_count" in observed:
        sample = observed.get("partial_unexpected_list") or []
        detail = f" unexpected={observed.get('unexpected_count')} ({observed.get('unexpected_percent', 0):.2f}%) e.g. {sample[:5]!r}"
    return f"{config.type}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())}){detail}"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def validate(
    settings: Settings,
    gate: str,
    frame: pd.DataFrame,
    *,
    target: str,
    batch_id: str,
    parameters: dict | None = None,
) -> GateResult:
    """Run the gate's suite on `frame`, record the outcome, and return it (no raise)."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    definition = load_suite_definition(gate)
    parameters = dict(parameters or {})
    missing = suite_parameter_names(definition) - set(parameters)
    if missing:
        raise ValueError(f"gate {gate}: no value for suite parameters {sorted(missing)}")

    context = _context()
    expectations = [
        ExpectationConfiguration(
            type=e["type"],
            kwargs=e.get("kwargs", {}),
            meta=e.get("meta", {}),
            severity=e.get("severity", "critical"),
        ).to_domain_obj()
        for e in definition["expectations"]
    ]
    suite = context.suites.add(ExpectationSuite(name=gate, expectations=expectations, meta=definition.get("meta", {})))
    asset = context.data_sources.add_pandas(name="mapwh_frames").add_dataframe_asset(name=gate)
    batch_definition = asset.add_batch_definition_whole_dataframe("whole_frame")
    validation = context.validation_definitions.add(gx.ValidationDefinition(name=gate, data=batch_definition, suite=suite))
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(name=gate, validation_definitions=[validation], result_format={"result_format": "SUMMARY"})
    )
    run = checkpoint.run(batch_parameters={"dataframe": frame}, expectation_parameters=parameters)
    (validation_result,) = run.run_results.values()

    failures, warnings = [], []
    for result in validation_result.results:
        if result.success:
            continue
        severity = str(getattr(result.expectation_config.severity, "value", result.expectation_config.severity))
        if result.exception_info and result.exception_info.get("raised_exception"):
            failures.append(f"{result.expectation_config.type}: error {result.exception_info.get('exception_message')}")
        elif severity == "critical":
            failures.append(_describe(result))
        else:
            warnings.append(_describe(result))

    now = datetime.now(timezone.utc)
    report_dir = settings.audit_dir / "reports" / gate
    report_dir.mkdir(parents=True, exist_ok=True)
    report_path = report_dir / f"{now.strftime('%Y%m%dT%H%M%S%fZ')}_{_safe(batch_id)}.json"
    _write_atomic(report_path, json.dumps(validation_result.to_json_dict(), indent=1, default=str))
    _write_atomic(report_path.with_suffix(".html"), _html(validation_result))

    outcome = GateResult(
        gate=gate,
        target=target,
        batch_id=batch_id,
        success=not failures,
        evaluated=len(validation_result.results),
        failures=failures,
        warnings=warnings,
        report_path=str(report_path),
        evaluated_at=now.isoformat(timespec="seconds"),
    )
    append_jsonl(settings.audit_dir / "gate_results.jsonl", asdict(outcome))
    (log.info if outcome.success and not warnings else log.warning)(outcome.summary())
    return outcome
