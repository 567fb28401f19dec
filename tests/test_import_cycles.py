"""No import cycle in sensor/ or analysis/: every import statement counts, including those
inside functions (a cycle deferred to run time is still two modules that need each other);
imports under ``if TYPE_CHECKING:`` do not, as they never run."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.paths import ROOT

PACKAGES = ("sensor", "analysis")


def modules() -> dict[str, Path]:
    """Every module of the packages by dotted name (a package by its ``__init__``)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    return skip


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The modules of ``known`` that ``name`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package[: len(package) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            # ``from package import submodule`` imports the submodule.
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_walker_sees_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    known = {"sensor.a": tmp_path / "a.py", "sensor.b": tmp_path / "b.py"}
    known["sensor.a"].write_text("from sensor.b import x\n")
    known["sensor.b"].write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sensor.a\n"
        "def f():\n    from sensor import a\n"
    )
    graph = {name: set(imported(name, path, known)) for name, path in known.items()}
    assert cycles(graph) == [["sensor.a", "sensor.b"]]
    known["sensor.b"].write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sensor.a\n"
    )
    graph = {name: set(imported(name, path, known)) for name, path in known.items()}
    assert cycles(graph) == []


def test_no_import_cycle_in_sensor_or_analysis() -> None:
    known = modules()
    assert "sensor.session" in known and "analysis.stream" in known
    graph = {name: set(imported(name, path, known)) for name, path in known.items()}
    assert cycles(graph) == []
    # analysis/ is pure: it never imports the shell.
    assert not {
        (a, b)
        for a, deps in graph.items()
        for b in deps
        if a.startswith("analysis") and b.startswith("sensor")
    }
