"""Bit identity of every shipped scenario against a git revision: ``python -m benchmarks.bitcheck``.

A refactor must not move a number. This runs every ``scenarios/*.toml`` at its own seed with
``sim.run(path, draws=4)`` in the working tree and in a detached worktree of `--against` (default
``main``), with the same interpreter, and compares every variable and coordinate array by array
(``np.array_equal``, NaN equal to NaN for floats and NaT to NaT for dates). The revision's results are cached per commit
sha (``$TMPDIR/sim_bitcheck/<sha>/``), so a second check against the same commit runs only the
working tree. A scenario the revision does not ship is listed as new and not compared. Exit status 0 when every array is identical, 1 on any difference (one line each),
2 on a bad argument.

It sits with the benchmarks rather than in ``sim/`` because it is a tool for changing the code,
not part of the model, and ``ruff``/``mypy`` check this folder.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DRAWS = 4


def _git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def run_scenarios(tree: Path, out: Path, names: list[str]) -> None:
    """Run each named scenario of `tree` in a fresh interpreter importing `tree`'s `sim`; write ``out/<name>.nc``."""
    out.mkdir(parents=True, exist_ok=True)
    script = (
        "import sys, sim\n"
        "from pathlib import Path\n"
        "out = Path(sys.argv[1])\n"
        "for name in sys.argv[2:]:\n"
        f"    ds = sim.run(Path('scenarios') / (name + '.toml'), draws={DRAWS})\n"
        "    tmp = out / (name + '.nc.part')\n"
        "    ds.to_netcdf(tmp)\n"
        "    tmp.replace(out / (name + '.nc'))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(tree))
    subprocess.run([sys.executable, "-c", script, str(out), *names], cwd=tree, env=env, check=True)


def scenarios_at(revision: str) -> set[str]:
    """Names of the shipped scenarios at a revision."""
    listing = _git("ls-tree", "--name-only", f"{revision}:scenarios")
    return {Path(line).stem for line in listing.splitlines() if line.endswith(".toml")}


def reference_results(revision: str, names: list[str], cache_root: Path) -> Path:
    """Folder of the revision's results (run in a temporary detached worktree unless cached)."""
    sha = _git("rev-parse", "--verify", f"{revision}^{{commit}}")
    folder = cache_root / sha
    missing = [n for n in names if not (folder / f"{n}.nc").exists()]
    if missing:
        tree = Path(tempfile.mkdtemp(prefix=f"bitcheck-{sha[:10]}-"))
        tree.rmdir()
        _git("worktree", "add", "--detach", str(tree), sha)
        try:
            print(f"running {len(missing)} scenario(s) at {revision} ({sha[:10]})", flush=True)
            run_scenarios(tree, folder, missing)
        finally:
            _git("worktree", "remove", "--force", str(tree))
    return folder


def differences(a_path: Path, b_path: Path) -> list[str]:
    """Names of the variables and coordinates that differ between two results files."""
    import xarray as xr

    a = xr.load_dataset(a_path)
    b = xr.load_dataset(b_path)
    out = []
    names_a = set(a.data_vars) | set(a.coords)
    names_b = set(b.data_vars) | set(b.coords)
    out += [f"{v}: only in the working tree" for v in sorted(names_a - names_b)]
    out += [f"{v}: only in the reference" for v in sorted(names_b - names_a)]
    for v in sorted(names_a & names_b):
        x, y = a[v].values, b[v].values
        if x.shape != y.shape or a[v].dims != b[v].dims:
            out.append(f"{v}: shape {a[v].dims}{x.shape} against {b[v].dims}{y.shape}")
        elif x.dtype.kind in "fcmM":
            # NaN (and NaT, a date never reached) equal to itself.
            if not np.array_equal(x, y, equal_nan=True):
                out.append(f"{v}: {int(np.sum(~((x == y) | (np.isnan(x) & np.isnan(y)))))} values differ")
        elif not np.array_equal(x, y):
            out.append(f"{v}: {int(np.sum(x != y))} values differ")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bitcheck", description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="main", help="git revision to compare with (default: main)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="scenario names (default: every scenarios/*.toml)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "sim_bitcheck",
                        help="folder of the revisions' results, one subfolder per commit sha")
    args = parser.parse_args(argv)
    shipped = sorted(p.stem for p in (REPO / "scenarios").glob("*.toml"))
    names = args.only or shipped
    unknown = sorted(set(names) - set(shipped))
    if unknown:
        print(f"--only: no scenarios/{unknown[0]}.toml (shipped: {', '.join(shipped)})", file=sys.stderr)
        return 2
    try:
        new = sorted(set(names) - scenarios_at(args.against))
        names = [n for n in names if n not in new]
        reference = reference_results(args.against, names, args.cache)
    except subprocess.CalledProcessError as err:
        print(f"--against {args.against}: {err.stderr or err}".strip(), file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bitcheck-tree-") as tmp:
        current = Path(tmp)
        run_scenarios(REPO, current, names)
        bad = 0
        for name in names:
            found = differences(current / f"{name}.nc", reference / f"{name}.nc")
            bad += len(found)
            print(f"{name}: {'identical' if not found else 'DIFFERENT'}")
            for line in found:
                print(f"  {line}")
    for name in new:
        print(f"{name}: new, not at {args.against} (nothing to compare)")
    print(f"{len(names)} scenario(s) against {args.against} ({reference.name[:10]}): "
          f"{'bit-identical' if bad == 0 else f'{bad} difference(s)'}")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
