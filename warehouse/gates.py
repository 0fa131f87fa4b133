"""Great Expectations gates: nothing reaches the warehouse, or readers, unchecked.

Suites are JSON files in `expectations/` (one per gate). A gate gets-or-adds
the GX objects it needs in a file context under `MAPWH_HOME/gx` (a pandas
data source, a dataframe asset, a whole-dataframe batch definition, a
validation definition and a checkpoint that updates Data Docs), so reruns are
idempotent. Values that depend on the batch (the month's date bounds, the
trailing record counts, the known vocabularies from the dbt seeds) are suite
parameters (`{"$PARAMETER": ...}`) supplied at run time.

Each expectation has a severity: a failed `critical` expectation fails the
gate, a failed `warning` is reported but lets the batch through. Every result
is kept: the full report as JSON under `MAPWH_HOME/audit/reports/`, one row
in `audit/gate_results.jsonl`, and the Data Docs site. GX's SQL data source
cannot compute metrics on DuckDB here, so tables are read into DataFrames.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ingest.core.config import EXPECTATIONS_DIR, Settings
from ingest.core.raw_zone import append_jsonl

log = logging.getLogger(__name__)


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


def _context(settings: Settings):
    import great_expectations as gx

    from great_expectations.data_context.types.base import ProgressBarsConfig

    settings.gx_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(settings.gx_dir))
    # Progress bars flood Airflow task logs and the CLI; results say what matters.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


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
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    definition = load_suite_definition(gate)
    parameters = dict(parameters or {})
    missing = suite_parameter_names(definition) - set(parameters)
    if missing:
        raise ValueError(f"gate {gate}: no value for suite parameters {sorted(missing)}")

    context = _context(settings)
    expectations = [
        ExpectationConfiguration(
            type=e["type"],
            kwargs=e.get("kwargs", {}),
            meta=e.get("meta", {}),
            severity=e.get("severity", "critical"),
        ).to_domain_obj()
        for e in definition["expectations"]
    ]
    suite = context.suites.add_or_update(
        ExpectationSuite(name=gate, expectations=expectations, meta=definition.get("meta", {}))
    )
    source = context.data_sources.add_or_update_pandas(name="mapwh_frames")
    try:
        asset = source.get_asset(gate)
    except LookupError:
        asset = source.add_dataframe_asset(name=gate)
    try:
        batch_definition = asset.get_batch_definition("whole_frame")
    except (KeyError, LookupError):
        batch_definition = asset.add_batch_definition_whole_dataframe("whole_frame")
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=gate, data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=gate,
            validation_definitions=[validation],
            actions=[UpdateDataDocsAction(name="update_data_docs")],
            result_format={"result_format": "SUMMARY"},
        )
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
    report_path.write_text(json.dumps(validation_result.to_json_dict(), indent=1, default=str))

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
