"""No function in ``sim/`` takes more than ten parameters (``self`` and ``cls`` counted, as are
``*args`` and ``**kwargs``): longer lists travel as named tuples or dataclasses (see
:mod:`sim.populations.firms.kernels`)."""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parents[1] / "sim"
MAX_PARAMETERS = 10


def parameter_count(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> int:
    a = node.args
    return (len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + (a.vararg is not None)
            + (a.kwarg is not None))


def long_signatures(root: Path) -> list[str]:
    """``path:line name (count)`` of every function or lambda under `root` above the limit."""
    out = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                count = parameter_count(node)
                if count > MAX_PARAMETERS:
                    name = getattr(node, "name", "<lambda>")
                    out.append(f"{path.relative_to(root.parent)}:{node.lineno} {name} ({count})")
    return out


def test_no_function_in_sim_takes_more_than_ten_parameters():
    assert long_signatures(SIM) == []


def test_the_count_sees_every_kind_of_parameter(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text(
        "def ok(a, b, c, d, e, f, g, h, i, j): pass\n"
        "def long(a, b, c, d, e, f, g, h, i, j, k): pass\n"
        "class C:\n"
        "    def method(self, a, b, c, d, e, f, g, h, i, /, *, j=0): pass\n"
        "def stars(a, b, c, d, e, f, g, h, i, *args, **kwargs): pass\n"
        "f = lambda a, b, c, d, e, f, g, h, i, j, k: 0\n"
    )
    found = long_signatures(package)
    assert sorted(line.split()[1] for line in found) == ["<lambda>", "long", "method", "stars"]
