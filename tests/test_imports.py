"""Imports run one way: contract/lake/config → raw → bronze → silver → gold → model → score → monitor →
driver → pipeline → cli/app, with no cycle anywhere (function-level imports included, read from the source)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from dataflow import codebase

# the layers of the project, lowest first: a module may import its own layer and the layers before it
LAYERS = [
    ("dataflow.contract", "dataflow.lake", "dataflow.config", "dataflow.errors"),
    ("dataflow.raw",),
    ("dataflow.bronze",),
    ("dataflow.silver",),
    ("dataflow.gold",),
    ("dataflow.model",),
    ("dataflow.score",),
    ("dataflow.monitor",),
    ("dataflow.execution", "dataflow.staging", "dataflow.driver", "dataflow.lineage"),
    ("dataflow.summary",),
    ("dataflow.pipeline", "dataflow.experiments_job"),
    ("dataflow.cli", "app"),
]


def _layer(module: str) -> int | None:
    for i, names in enumerate(LAYERS):
        if any(module == n or module.startswith(n + ".") for n in names):
            return i
    return None


def _cycle(graph: dict[str, frozenset[str]]) -> list[str]:
    """One import cycle of the graph as a path (first module repeated at the end), or [] when none."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def _graph() -> dict[str, frozenset[str]]:
    return {name: codebase.imports_of(name) for name in codebase.module_files()}


def test_the_walk_sees_function_level_imports():
    # pipeline imports Hamilton's driver module inside run_pipeline, to keep `spanishgas run`'s no-op fast
    source = Path(codebase.module_files()["dataflow.pipeline"]).read_text()
    assert re.search(r"^\s+from dataflow import driver as dag", source, re.M)
    assert "dataflow.driver" in codebase.imports_of("dataflow.pipeline")


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"})}) == [
        "a",
        "b",
        "c",
        "a",
    ]
    assert _cycle({"a": frozenset({"b"}), "b": frozenset()}) == []


def test_no_import_cycle_between_modules():
    assert _cycle(_graph()) == []


def test_no_import_cycle_through_package_inits():
    """Importing ``a.b.c`` first runs ``a/__init__.py`` and ``a/b/__init__.py``: count those imports too."""
    modules = codebase.module_files()
    graph = {}
    for name, deps in _graph().items():
        inits = set()
        for dep in deps:
            parts = dep.split(".")
            for k in range(1, len(parts)):
                package = ".".join(parts[:k])
                if package in modules and not (name == package or name.startswith(package + ".")):
                    inits.add(package)
        graph[name] = frozenset(deps | inits)
    assert _cycle(graph) == []


def test_imports_follow_the_layers():
    upward = [
        f"{name} → {dep}"
        for name, deps in _graph().items()
        for dep in deps
        if _layer(name) is not None and _layer(dep) is not None and _layer(dep) > _layer(name)
    ]
    assert upward == []


def test_project_modules_are_imported_unconditionally():
    """No ``try: import … except ImportError`` around the project's own modules (a broken import must fail)."""
    guarded = []
    for name, path in codebase.module_files().items():
        for node in ast.walk(ast.parse(Path(path).read_text())):
            if not isinstance(node, ast.Try):
                continue
            catches = {ast.unparse(h.type) for h in node.handlers if h.type is not None}
            if not catches & {"ImportError", "ModuleNotFoundError"}:
                continue
            for inner in ast.walk(ast.Module(body=node.body, type_ignores=[])):
                target = (
                    inner.module
                    if isinstance(inner, ast.ImportFrom)
                    else inner.names[0].name
                    if isinstance(inner, ast.Import)
                    else None
                )
                if target and target.split(".")[0] in codebase.PACKAGES:
                    guarded.append(f"{name}: {target}")
    assert guarded == []
