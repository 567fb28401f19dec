"""The public Python API: ``from analysis import ...`` gives what a notebook needs."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import analysis
from analysis.registry import DETECTORS
from analysis.stream import DetectorBase


def _public_modules() -> list[str]:
    return [
        m.name
        for m in pkgutil.walk_packages(analysis.__path__, "analysis.")
        if not any(part.startswith("_") for part in m.name.split("."))
    ]


def test_every_listed_name_is_importable() -> None:
    assert analysis.__all__ == sorted(set(analysis.__all__))
    for name in analysis.__all__:
        namespace: dict[str, object] = {}
        exec(f"from analysis import {name}", namespace)
        assert namespace[name] is getattr(analysis, name)
    assert set(analysis.__all__) <= set(dir(analysis))


def test_the_type_checkers_names_are_the_listed_ones() -> None:
    # The TYPE_CHECKING imports are what mypy sees; ``__all__`` is what runs.
    tree = ast.parse(Path(analysis.__file__).read_text())
    guarded = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    seen = {}
    for node in guarded.body:
        assert isinstance(node, ast.ImportFrom)
        for alias in node.names:
            assert alias.asname == alias.name, "re-exported as itself"
            seen[alias.name] = node.module
    assert sorted(seen) == analysis.__all__
    for name, module in seen.items():
        assert getattr(importlib.import_module(str(module)), name) is getattr(analysis, name)


def test_every_public_detector_and_params_is_listed() -> None:
    found = set()
    for module_name in _public_modules():
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if name.startswith("_") or not inspect.isclass(obj):
                continue
            if obj.__module__ != module_name:
                continue  # imported, listed where it is defined
            detector = issubclass(obj, DetectorBase) and obj is not DetectorBase
            params = dataclasses.is_dataclass(obj) and name.endswith("Params")
            if detector or params:
                found.add(name)
    assert {"TrunkStepDetector", "LegStepDetector", "JumpParams", "AnalysisParams"} <= found
    assert found <= set(analysis.__all__), found - set(analysis.__all__)
    for entry in DETECTORS:
        assert getattr(entry.build, "__name__", "") in analysis.__all__


def test_a_light_module_does_not_load_scipy() -> None:
    code = (
        "import sys, analysis.types, analysis.events, analysis.units, analysis.params; "
        "print('scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
