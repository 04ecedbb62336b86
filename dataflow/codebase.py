"""The project's own source as data: its modules, what each imports, and a fingerprint of the code a module
depends on.

The Hamilton cache keys a node on this fingerprint (see :mod:`dataflow.driver`), so changing a helper a node
calls recomputes the node; the import-graph test reads the same graph to keep imports running one way.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the folder holding the dataflow/ and app/ packages
PACKAGES = ("dataflow", "app")


@functools.cache
def module_files() -> dict[str, Path]:
    """Every module of the project by dotted name (a package by its own name, for its ``__init__.py``)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


@functools.cache
def _tree(name: str) -> ast.Module:
    return ast.parse(module_files()[name].read_text(encoding="utf-8"))


@functools.cache
def imports_of(name: str) -> frozenset[str]:
    """The project modules ``name`` imports anywhere in its source, function-level imports included.

    ``from package import thing`` counts as an import of the submodule ``package.thing`` when that is a
    module, else of ``package`` itself.
    """
    modules = module_files()
    is_package = modules[name].name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" for alias in node.names]
            targets = [t if t in modules else base for t in targets]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `import dataflow.x.y` names a module; keep the longest
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return frozenset(found)


@functools.cache
def dependencies_of(name: str) -> frozenset[str]:
    """``name`` and every project module it imports, directly or through other project modules."""
    seen = {name}
    todo = [name]
    while todo:
        for dep in imports_of(todo.pop()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return frozenset(seen)


@functools.cache
def fingerprint(name: str) -> str:
    """A hash of the code ``name`` runs: its own source and that of every project module it depends on.

    Sources are compared as syntax trees, so formatting and comments do not count; docstrings do.
    """
    h = hashlib.sha256()
    for dep in sorted(dependencies_of(name)):
        h.update(dep.encode())
        h.update(_tree_digest(dep))
    return h.hexdigest()[:16]


@functools.cache
def _tree_digest(name: str) -> bytes:
    """One module's syntax tree, hashed once per process (every node module's fingerprint shares it)."""
    return hashlib.sha256(ast.dump(_tree(name)).encode()).digest()
