"""Layering of the package: every import (at module level, inside functions, under
``TYPE_CHECKING``, relative ones) points down the layer order, with at most two exceptions, each
explained where it is made; and the graph of the imports that run (module level and inside
functions; not those under ``TYPE_CHECKING``, which never execute) has no cycle.

The order, lowest first (a module may import its own layer and those below):

1. ``base``: errors, messages, argument checks, held input files;
2. ``core``: random streams, elementary functions, claim kernels, the ledger, budget-line rules,
   outputs, the component contract, kernel threads and cache;
3. ``blocks``: the scenario's building blocks, which the populations' sections and the
   instruments are made of (``sim.scenario.base``: bounds and the strict model;
   ``sim.scenario.parameters``: uncertain parameters; ``sim.scenario.csv_input``: typed CSV
   columns; ``sim.scenario.merge``: merged tables; ``sim.scenario.posterior``: parameters drawn
   from a posterior sample);
4. ``policy``: the gazette as data, instruments, kinds, facts, the claim desk;
5. ``populations``: one folder per population (``sim.populations``), discovered;
6. ``scenario``: the schema assembled from the populations' sections, loading and validation;
7. ``runner``: model assembly, ensembles, workers, checkpoints, staging, provenance, and the
   package's entry points :func:`sim.run` and :func:`sim.load_scenario` (``sim/__init__.py``);
8. ``analysis``: results, comparison, targets, sensitivity, calibration, reports;
9. ``cli``: the ``sim`` command.
"""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parents[1] / "sim"

#: Layer of each module, by the longest dotted prefix that names it.
LAYER_OF_PREFIX = {
    "sim.errors": "base",
    "sim.messages": "base",
    "sim.arguments": "base",
    "sim.input_files": "base",
    "sim.core": "core",
    "sim.scenario.base": "blocks",
    "sim.scenario.csv_input": "blocks",
    "sim.scenario.parameters": "blocks",
    "sim.scenario.merge": "blocks",
    "sim.scenario.posterior": "blocks",
    "sim.policy": "policy",
    "sim.populations": "populations",
    "sim.scenario": "scenario",
    "sim.runner": "runner",
    "sim.analysis": "analysis",
    "sim.cli": "cli",
    "sim": "runner",
}
ORDER = ["base", "core", "blocks", "policy", "populations", "scenario", "runner", "analysis", "cli"]
#: The imports allowed against the order, as (importing module, imported module); each carries a
#: comment at the import saying why.
ALLOWED_AGAINST_ORDER = {
    ("sim.scenario.loader", "sim.runner.memory"),
}
MAX_AGAINST_ORDER = 2


def module_name(path: Path, root: Path = SIM) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules(root: Path = SIM) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _type_only_nodes(tree: ast.AST) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and (
            (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
            or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
        ):
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def imports_of(path: Path, modules: dict[str, Path], root: Path = SIM,
               runtime_only: bool = False) -> list[tuple[str, int]]:
    """(imported module of the package, line) of every import in `path`, wherever it sits (with
    `runtime_only`, not those under ``TYPE_CHECKING``).

    ``from a import b`` imports module ``a.b`` when there is one, else ``a``; relative imports
    are resolved against the file's package.
    """
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip = _type_only_nodes(tree) if runtime_only else set()
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append((sub if sub in modules else target, node.lineno))
    top = root.name
    return [(m, line) for m, line in out if m == top or m.startswith(top + ".")]


def layer(module: str) -> str:
    parts = module.split(".")
    for k in range(len(parts), 0, -1):
        prefix = ".".join(parts[:k])
        if prefix in LAYER_OF_PREFIX:
            return LAYER_OF_PREFIX[prefix]
    raise KeyError(module)


def against_order(root: Path = SIM) -> list[tuple[str, str, int]]:
    modules = all_modules(root)
    out = []
    for name, path in modules.items():
        for target, line in imports_of(path, modules, root):
            if ORDER.index(layer(target)) > ORDER.index(layer(name)):
                out.append((name, target, line))
    return out


def import_cycles(root: Path = SIM) -> list[list[str]]:
    """The strongly connected components of more than one module (or a module importing itself)."""
    modules = all_modules(root)
    graph = {name: sorted({t for t, _ in imports_of(path, modules, root, runtime_only=True)
                           if t in modules and t != name})
             for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                out.append(sorted(scc))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_every_module_has_a_layer():
    assert [m for m in all_modules() if layer(m) not in ORDER] == []


def test_imports_follow_the_layer_order():
    found = against_order()
    assert {(a, b) for a, b, _ in found} == ALLOWED_AGAINST_ORDER, "\n".join(f"{a}:{n} imports {b}" for a, b, n in found)
    assert len(ALLOWED_AGAINST_ORDER) <= MAX_AGAINST_ORDER


def test_no_import_cycle():
    assert import_cycles() == []


def test_model_never_imports_analysis():
    below = ORDER[: ORDER.index("analysis")]
    found = [(a, b) for a, b, _ in against_order() if layer(a) in below and layer(b) in ("analysis", "cli")]
    assert found == []


def test_the_checks_see_imports_inside_functions_relative_and_type_only(tmp_path):
    root = tmp_path / "sim"
    for package in ("core", "policy"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "core" / "a.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from sim.policy import b\n"
        "def f():\n    from ..policy.c import x\n"
    )
    (root / "policy" / "b.py").write_text("import sim.core.a\n")
    (root / "policy" / "c.py").write_text("import sim.policy.d\n")
    (root / "policy" / "d.py").write_text("def f():\n    from . import c\n")
    assert sorted((a, b) for a, b, _ in against_order(root)) == [("sim.core.a", "sim.policy.b"),
                                                                   ("sim.core.a", "sim.policy.c")]
    # a -> b only under TYPE_CHECKING: no cycle at run time; c -> d -> c inside a function is one.
    assert import_cycles(root) == [["sim.policy.c", "sim.policy.d"]]
