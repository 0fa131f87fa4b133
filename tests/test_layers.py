"""The house's rooms: imports run one way, no cycles, development data stays out of the runtime.

Layers, lowest first (a module may import its own layer and those below):
  0 ingest.core.*        primitives: configuration, HTTP, raw zone, raw contract, periods, reference lists
  1 ingest.<source>      one module per source (imports primitives only, never another source)
  2 ingest.registry      every source
  3 warehouse pipeline   validated zone, gates, pipeline, build, build selection
  4 warehouse on top     orchestration, Airflow set-up, console, CLI, generated docs
  5 dags.*               DAG files
devdata.* (generators, mirror, benchmark) may import anything; nothing of the runtime imports it.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = {"warehouse.validated", "warehouse.gates", "warehouse.pipeline", "warehouse.build", "warehouse.writer",
            "warehouse.selection"}


def modules() -> dict[str, Path]:
    found = {}
    for package in ("ingest", "warehouse", "devdata", "dags"):
        for path in (ROOT / package).rglob("*.py"):
            found[".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")] = path
    return found


MODULES = modules()


def layer(module: str) -> int | None:
    if module == "ingest" or module.startswith("ingest.core"):
        return 0
    if module == "ingest.registry":
        return 2
    if module.startswith("ingest."):
        return 1
    if module == "warehouse":
        return 3
    if module in PIPELINE:
        return 3
    if module.startswith("warehouse."):
        return 4
    if module.startswith("dags"):
        return 5
    return None  # devdata


def imports(module: str) -> set[str]:
    """Project modules `module` imports anywhere in its body (functions included)."""
    tree = ast.parse(MODULES[module].read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found |= {n for n in names if n in MODULES and n != module}
    return found


GRAPH = {m: imports(m) for m in MODULES}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m) is not None))
def test_imports_run_downward(module):
    for target in GRAPH[module]:
        assert layer(target) is not None, f"{module} imports {target}: the runtime never imports development data"
        assert layer(target) <= layer(module), f"{module} (layer {layer(module)}) imports {target} (layer {layer(target)})"
        if layer(module) == 1 and module != "ingest":
            assert layer(target) == 0, f"source {module} imports {target}: a source uses primitives only"


def test_no_import_cycles():
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(GRAPH[node]):
            if state.get(target) == 1:
                pytest.fail("import cycle: " + " -> ".join(stack[stack.index(target):] + [target]))
            if target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_runtime_code_does_not_need_numpy_or_devdata_installed():
    for module, path in MODULES.items():
        if layer(module) is None:
            continue
        tree = ast.parse(path.read_text())
        top = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        top |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and not n.level}
        assert not top & {"numpy", "devdata"}, (module, top & {"numpy", "devdata"})


def test_development_data_is_not_in_the_installed_package():
    from setuptools import find_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    installed = find_packages(str(ROOT), include=config["include"], exclude=config.get("exclude", ()))
    assert {"ingest", "ingest.core", "warehouse"} <= set(installed)
    assert not [p for p in installed if p.startswith(("devdata", "tests", "dags"))], installed
