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

import functools
import gc
import json
import logging
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ingest.core.config import EXPECTATIONS_DIR, Settings
from ingest.core.files import append_jsonl

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


def _dicts(node: object):
    """Every dict inside a suite definition's nested dicts and lists, outermost first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _dicts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _dicts(value)


def suite_parameter_names(definition: dict) -> set[str]:
    """Every `$PARAMETER` name a suite refers to."""
    return {node["$PARAMETER"] for node in _dicts(definition.get("expectations", [])) if "$PARAMETER" in node}


@functools.cache
def _great_expectations():
    """Great Expectations, imported once per process, saying what the import cost: about 2.6 s in a task
    forked from a cold worker, nothing in one whose worker imported `warehouse.worker_preload` (decision 0044)."""
    preloaded = "great_expectations" in sys.modules
    started = time.perf_counter()
    import great_expectations as gx

    if preloaded:
        log.info("Great Expectations was imported before this task (preloaded by the worker, or an earlier task)")
    else:
        log.info("Great Expectations imported in %.1f s (a worker that preloads warehouse.worker_preload "
                 "saves this in every task)", time.perf_counter() - started)
    return gx


def _context():
    """A fresh in-memory context: suites come from `expectations/`, nothing is written back."""
    gx = _great_expectations()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # Progress bars flood Airflow task logs and the CLI; results say what matters.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@functools.cache
def _page_view():
    """GX's page view and renderer, made once per process: the view compiles its Jinja templates on first use
    (about 0.1 s a report), and keeps them."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    return DefaultJinjaPageView(), ValidationResultsPageRenderer()


def _html(validation_result) -> str:
    view, renderer = _page_view()
    return view.render(renderer.render(validation_result))


def _describe(result) -> str:
    config = result.expectation_config
    return _describe_config(config.type, config.kwargs, result.result or {})


def _describe_config(type_: str, kwargs: dict, observed: dict) -> str:
    kwargs = {k: v for k, v in kwargs.items() if k not in ("batch_id",)}
    for key in ("value_set",):
        if isinstance(kwargs.get(key), list) and len(kwargs[key]) > 6:
            kwargs[key] = f"<{len(kwargs[key])} values>"
    detail = ""
    if "observed_value" in observed:
        detail = f" observed={observed['observed_value']!r}"
    elif "unexpected_count" in observed:
        sample = observed.get("partial_unexpected_list") or []
        detail = f" unexpected={observed.get('unexpected_count')} ({observed.get('unexpected_percent', 0):.2f}%) e.g. {sample[:5]!r}"
    return f"{type_}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())}){detail}"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _run_suite(gate: str, definition: dict, frame: pd.DataFrame, parameters: dict):
    """Great Expectations' validation result of `definition` on `frame`, in an ephemeral context of its own."""
    gx = _great_expectations()
    from great_expectations.core import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

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
    return validation_result


def _checked_parameters(gate: str, definition: dict, parameters: dict | None) -> dict:
    parameters = dict(parameters or {})
    missing = suite_parameter_names(definition) - set(parameters)
    if missing:
        raise ValueError(f"gate {gate}: no value for suite parameters {sorted(missing)}")
    return parameters


def _severity(result) -> str:
    return str(getattr(result.expectation_config.severity, "value", result.expectation_config.severity))


def _error(result) -> str | None:
    """The exception message when GX could not evaluate the expectation at all."""
    info = result.exception_info or {}
    return info.get("exception_message") if info.get("raised_exception") else None


def _file(failures: list[str], warnings: list[str], type_: str, *, error: str | None, severity: str,
          description: str) -> None:
    """A failed expectation: an error or a critical one fails the gate, a `warning` one is reported."""
    if error:
        failures.append(f"{type_}: error {error}")
    else:
        (failures if severity == "critical" else warnings).append(description)


def _record(settings: Settings, gate: str, *, target: str, batch_id: str, evaluated: int, failures: list[str],
            warnings: list[str], write_report) -> GateResult:
    """Write the report (`write_report(json_path)` writes the JSON and the HTML beside it) and the result row."""
    now = datetime.now(timezone.utc)
    report_dir = settings.audit_dir / "reports" / gate
    report_dir.mkdir(parents=True, exist_ok=True)
    report_path = report_dir / f"{now.strftime('%Y%m%dT%H%M%S%fZ')}_{_safe(batch_id)}.json"
    write_report(report_path)
    outcome = GateResult(
        gate=gate,
        target=target,
        batch_id=batch_id,
        success=not failures,
        evaluated=evaluated,
        failures=failures,
        warnings=warnings,
        report_path=str(report_path),
        evaluated_at=now.isoformat(timespec="seconds"),
    )
    append_jsonl(settings.audit_dir / "gate_results.jsonl", asdict(outcome))
    (log.info if outcome.success and not warnings else log.warning)(outcome.summary())
    return outcome


# --------------------------------------------------------------------------- checks every batch gets
# Characters no published text holds: C0 controls but tab and newline (free text may hold those),
# DEL and the C1 controls. NUL in particular ends a C string, and DuckDB and PostgreSQL refuse or cut it.
CONTROL_CHARACTERS = r"[\x00-\x08\x0b-\x1f\x7f-\x9f]"


CONTROL_COLUMN = "_control_character_in"  # added to every gate view: the first text column holding one, per row


def with_control_check(view, columns):
    """`view` with `CONTROL_COLUMN`: for each row, `column: 'value'` of the first of the text `columns`
    holding a control character (`CONTROL_CHARACTERS`), else null. One vectorised pass per column,
    checked by one expectation (`text_expectations`), however many text columns a source has."""
    import pandas as pd

    found = pd.Series(None, index=view.index, dtype=object)
    for column in columns:
        values = view[column]
        hit = values.astype("string").str.contains(CONTROL_CHARACTERS, regex=True, na=False).astype(bool)
        hit &= found.isna()
        if hit.any():
            found[hit] = [f"{column}: {str(v)[:60]!r}" for v in values[hit]]
    return view.assign(**{CONTROL_COLUMN: found})


def text_expectations() -> list[dict]:
    """The expectation every batch gets: no text value holds a control character (on `CONTROL_COLUMN`)."""
    return [{"type": "expect_column_values_to_be_null", "kwargs": {"column": CONTROL_COLUMN},
             "meta": {"why": "every batch: no NUL or other control character (U+0000-U+001F but tab and newline, "
                             "U+007F-U+009F) in any text; the failing values name the column"}}]


def refuse(settings: Settings, gate: str, *, target: str, batch_id: str, failures: list[str]) -> GateResult:
    """Record a gate refused before its suite ran (e.g. an implausible period), with the reasons as failures."""

    def write_report(path: Path) -> None:
        _write_atomic(path, json.dumps({"gate": gate, "target": target, "success": False, "failures": failures}, indent=1))
        _write_atomic(path.with_suffix(".html"), "".join(f"<p>FAILED {f}</p>" for f in failures))

    return _record(settings, gate, target=target, batch_id=batch_id, evaluated=len(failures), failures=failures,
                   warnings=[], write_report=write_report)


def validate(
    settings: Settings,
    gate: str,
    frame: pd.DataFrame,
    *,
    target: str,
    batch_id: str,
    parameters: dict | None = None,
    extra_expectations: list[dict] = (),
) -> GateResult:
    """Run the gate's suite on `frame`, record the outcome, and return it (no raise).

    `extra_expectations` are run with the suite's (the checks every batch gets, `text_expectations`)."""
    definition = load_suite_definition(gate)
    parameters = _checked_parameters(gate, definition, parameters)
    if extra_expectations:
        definition = {**definition, "expectations": [*definition["expectations"], *extra_expectations]}
    if CONTROL_COLUMN in frame.columns:  # the column every batch's view gets (`with_control_check`) is expected too
        definition = {**definition, "expectations": [
            {**e, "kwargs": {**e["kwargs"], "column_set": [*e["kwargs"]["column_set"], CONTROL_COLUMN]}}
            if e["type"] == "expect_table_columns_to_match_set" else e for e in definition["expectations"]]}
    validation_result = _run_suite(gate, definition, frame, parameters)

    failures, warnings = [], []
    for result in validation_result.results:
        if not result.success:
            _file(failures, warnings, result.expectation_config.type, error=_error(result), severity=_severity(result),
                  description=_describe(result))

    def write_report(path: Path) -> None:
        _write_atomic(path, json.dumps(validation_result.to_json_dict(), indent=1, default=str))
        _write_atomic(path.with_suffix(".html"), _html(validation_result))

    return _record(settings, gate, target=target, batch_id=batch_id, evaluated=len(validation_result.results),
                   failures=failures, warnings=warnings, write_report=write_report)


# --------------------------------------------------------------------------- a large table, part by part
POSITION = "mapwh_position"  # meta key: an expectation's position in its suite
ROW_COUNT_EXPECTATIONS = {"expect_table_row_count_to_be_between", "expect_table_row_count_to_equal"}


def suite_columns(definition: dict) -> set[str]:
    """Every column a suite's expectations read (their columns, column pairs and lists, and row conditions)."""
    names: set[str] = set()
    for node in _dicts([e.get("kwargs", {}) for e in definition.get("expectations", [])]):
        names.update(node[key] for key in ("column", "column_A", "column_B") if isinstance(node.get(key), str))
        if isinstance(node.get("column"), dict) and isinstance(node["column"].get("name"), str):
            names.add(node["column"]["name"])  # a structured row_condition
        names.update(c for c in node.get("column_list") or [] if isinstance(c, str))
    return names


# Expectations decided row by row: a table's unexpected rows are the sum of its parts'.
ROW_EXPECTATIONS = {
    "expect_column_values_to_not_be_null", "expect_column_values_to_be_null",
    "expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_be_between", "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex", "expect_column_pair_values_a_to_be_greater_than_b",
    "expect_column_pair_values_to_be_equal",
}


def partition_key(definition: dict) -> tuple[str, ...] | None:
    """The columns to split a table on so that each uniqueness expectation sees every row of a key in one part.

    An empty tuple when any split will do; None when the suite cannot be
    split exactly: two different uniqueness keys, or an expectation that is
    neither decided row by row, nor a uniqueness, nor a row count (an
    aggregate over the whole column: a part's answer is not the table's).
    """
    keys = set()
    for e in definition.get("expectations", []):
        kwargs = e.get("kwargs", {})
        if e["type"] == "expect_column_values_to_be_unique":
            keys.add((kwargs["column"],))
        elif e["type"] == "expect_compound_columns_to_be_unique":
            keys.add(tuple(kwargs["column_list"]))
        elif e["type"] not in ROW_EXPECTATIONS | ROW_COUNT_EXPECTATIONS:
            return None
    if len(keys) > 1:
        return None
    return next(iter(keys), ())


def _add_part(merged: dict[int, dict], result) -> None:
    """Add one part's row-level results to the running sums, by each expectation's position in the suite."""
    for r in result.results:  # GX orders results its own way: each carries its position in the suite
        observed = r.result or {}
        m = merged.setdefault(r.expectation_config.meta[POSITION], {
            "success": True, "error": None, "element_count": 0, "missing_count": 0, "unexpected_count": 0,
            "partial_unexpected_list": [],
            # plain copies: a result object holds on to its part's DataFrame
            "kwargs": dict(r.expectation_config.kwargs), "severity": _severity(r)})
        m["error"] = m["error"] or _error(r)
        m["success"] &= bool(r.success)
        for key in ("element_count", "missing_count", "unexpected_count"):
            m[key] += int(observed.get(key) or 0)
        m["partial_unexpected_list"].extend((observed.get("partial_unexpected_list") or [])[: 20 - len(m["partial_unexpected_list"])])


def validate_parts(
    settings: Settings,
    gate: str,
    parts,
    *,
    table_rows: int,
    target: str,
    batch_id: str,
    parameters: dict | None = None,
    rows_checked: int | None = None,
) -> GateResult:
    """Run a suite on a table too large for one DataFrame, part by part, with the same expectations.

    `parts` yields DataFrames that together hold every row once, split on
    `partition_key(definition)` so that a uniqueness expectation sees every
    row of a key in one part. Row-level expectations are run on each part by
    Great Expectations and their counts added up (an expectation with `mostly`
    is decided on the sums, as on the whole table); the row-count
    expectations are run once, by Great Expectations, on a frame with the
    table's row count and no columns. Only one part is in memory at a time.
    `rows_checked` is how many rows the parts hold when they are a chosen
    subset of the table (an incremental build's refreshed periods); by
    default every row.
    """
    definition = load_suite_definition(gate)
    parameters = _checked_parameters(gate, definition, parameters)
    if partition_key(definition) is None:
        raise ValueError(f"gate {gate}: its suite cannot be run part by part (see partition_key)")
    expectations = definition["expectations"]
    table_level = [i for i, e in enumerate(expectations) if e["type"] in ROW_COUNT_EXPECTATIONS]
    row_level = [i for i in range(len(expectations)) if i not in table_level]

    merged: dict[int, dict] = {}
    part_docs, part_pages = [], []  # kept as JSON and HTML only: a validation result holds on to its DataFrame
    table_result = _run_suite(gate, {**definition, "expectations": [expectations[i] for i in table_level]},
                              pd.DataFrame(index=pd.RangeIndex(table_rows)), parameters) if table_level else None
    row_suite = [{**expectations[i], "meta": {**expectations[i].get("meta", {}), POSITION: i}} for i in row_level]
    rows_seen = 0
    for part in parts:
        rows_seen += len(part)
        result = _run_suite(gate, {**definition, "expectations": row_suite}, part, parameters)
        part_docs.append(result.to_json_dict())
        part_pages.append(_html(result))
        _add_part(merged, result)
        del part, result
        gc.collect()  # GX's objects hold the part in reference cycles: free it before reading the next
    expected_rows = table_rows if rows_checked is None else rows_checked
    if rows_seen != expected_rows:
        raise ValueError(f"gate {gate}: the parts held {rows_seen} rows, {expected_rows} were to be checked")

    failures, warnings, summary = [], [], []
    for i in row_level:
        e = expectations[i]
        m = merged.get(i) or {"success": True, "error": None, "element_count": 0, "missing_count": 0,
                              "unexpected_count": 0, "partial_unexpected_list": []}  # an empty table: no part ran
        considered = m["element_count"] - m["missing_count"]
        mostly = e.get("kwargs", {}).get("mostly")
        if mostly is not None and not m["error"]:
            m["success"] = considered == 0 or (considered - m["unexpected_count"]) / considered >= float(mostly)
        observed = {k: m[k] for k in ("element_count", "missing_count", "unexpected_count", "partial_unexpected_list")}
        observed["unexpected_percent"] = 100.0 * m["unexpected_count"] / max(considered, 1)
        summary.append({"type": e["type"], "kwargs": e.get("kwargs", {}), "success": m["success"], **observed})
        if not m["success"]:
            _file(failures, warnings, e["type"], error=m["error"], severity=m["severity"],
                  description=_describe_config(e["type"], m["kwargs"], observed))
    for r in table_result.results if table_result else []:
        summary.append({"type": r.expectation_config.type, "kwargs": dict(r.expectation_config.kwargs),
                        "success": bool(r.success), "observed_value": (r.result or {}).get("observed_value")})
        if not r.success:
            _file(failures, warnings, r.expectation_config.type, error=_error(r), severity=_severity(r),
                  description=_describe(r))

    def write_report(path: Path) -> None:
        document = {"gate": gate, "target": target, "table_rows": table_rows, "rows_checked": expected_rows,
                    "parts": len(part_docs),
                    "partition_key": list(partition_key(definition) or ()), "success": not failures, "results": summary,
                    "row_count_validation": table_result.to_json_dict() if table_result else None,
                    "part_validations": part_docs}
        _write_atomic(path, json.dumps(document, indent=1, default=str))
        pages = ([_html(table_result)] if table_result else []) + part_pages
        _write_atomic(path.with_suffix(".html"), "\n".join(pages) if pages else "<p>no parts</p>")

    return _record(settings, gate, target=f"{target} ({len(part_docs)} parts)", batch_id=batch_id,
                   evaluated=len(expectations), failures=failures, warnings=warnings, write_report=write_report)
