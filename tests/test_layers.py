"""Layering: the model (engine, agents, policy, scenario) never imports the outputs layer (analysis)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"
MODEL_PACKAGES = ("engine", "agents", "policy", "scenario")


def imported_modules(path: Path) -> set[str]:
    """Absolute module names a file imports, at top level or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from sim import analysis` imports the package too.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("package", MODEL_PACKAGES)
def test_model_packages_import_nothing_from_analysis(package):
    files = sorted((SIM / package).rglob("*.py"))
    assert files, package
    offenders = [
        f"{path.relative_to(SIM.parent)}: {name}"
        for path in files
        for name in sorted(imported_modules(path))
        if name == "sim.analysis" or name.startswith("sim.analysis.")
    ]
    assert offenders == []


def test_relative_imports_are_not_used_to_hide_a_layer_crossing():
    # The scan above reads absolute imports only; relative ones would slip past it.
    relative = [
        str(path.relative_to(SIM.parent))
        for package in MODEL_PACKAGES
        for path in (SIM / package).rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.level > 0
    ]
    assert relative == []
