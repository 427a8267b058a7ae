"""sim.core.kernel_cache: compiled kernels are kept by version of every kernel source, so a
change in an inlined helper's file recompiles the kernels that use it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numba

import sim  # noqa: F401  (sets the cache folder on import)
from sim.core import kernel_cache
from sim.populations.firms import kernels as firm_kernels


def _package(root: Path, helper_value: int) -> Path:
    pkg = root / "kpkg"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text(
        f"from pathlib import Path\nimport sys\nsys.path.insert(0, {str(Path(sim.__file__).parent.parent)!r})\n"
        "from sim.core.kernel_cache import use_kernel_cache\nuse_kernel_cache(Path(__file__).parent)\n")
    (pkg / "helper.py").write_text(textwrap.dedent(f"""
        from numba import njit

        @njit(cache=True, inline="always")
        def value():
            return {helper_value}
        """))
    if (pkg / "kernel.py").exists():
        return pkg  # left untouched, as Numba's own check would need
    (pkg / "kernel.py").write_text(textwrap.dedent("""
        from numba import njit
        from kpkg.helper import value

        @njit(cache=True)
        def twice():
            return 2 * value()
        """))
    (pkg / "notes.py").write_text("TEXT = 'no kernels here'\n")
    return pkg


def _twice(root: Path, env: dict[str, str]) -> int:
    out = subprocess.run([sys.executable, "-c", "from kpkg.kernel import twice; print(twice())"], cwd=root,
                         env=env, capture_output=True, text=True, check=True)
    return int(out.stdout)


def test_a_changed_helper_recompiles_the_kernels_that_inline_it(tmp_path):
    # Numba alone keeps the first machine code here (it checks only kernel.py) and prints 2 twice.
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"} | {"XDG_CACHE_HOME": str(tmp_path / "c")}
    pkg = _package(tmp_path, 1)
    assert _twice(tmp_path, env) == 2
    first = kernel_cache.kernel_source_digest(pkg)
    _package(tmp_path, 5)
    assert _twice(tmp_path, env) == 10
    for digest in (first, kernel_cache.kernel_source_digest(pkg)):
        assert list((tmp_path / "c" / "sim" / f"sim-kernels-{digest}").rglob("*.nbi"))


def test_the_digest_follows_kernel_sources_only(tmp_path):
    pkg = _package(tmp_path, 1)
    first = kernel_cache.kernel_source_digest(pkg)
    (pkg / "notes.py").write_text("TEXT = 'changed'\n")
    assert kernel_cache.kernel_source_digest(pkg) == first
    (pkg / "helper.py").write_text((pkg / "helper.py").read_text() + "\n# changed\n")
    assert kernel_cache.kernel_source_digest(pkg) != first


def test_the_folder_is_under_numba_cache_dir_and_never_nests(tmp_path):
    pkg = _package(tmp_path, 1)
    mine = kernel_cache.kernel_cache_dir({"NUMBA_CACHE_DIR": str(tmp_path / "n")}, pkg)
    assert mine is not None and mine.parent == tmp_path / "n" and mine.is_dir()
    # A child of a process that set it already: the same folder, not one inside it.
    assert kernel_cache.kernel_cache_dir({"NUMBA_CACHE_DIR": str(mine)}, pkg) == mine


def test_an_unwritable_place_falls_back_to_the_next(tmp_path):
    pkg = _package(tmp_path, 1)
    blocker = tmp_path / "file"
    blocker.write_text("")
    got = kernel_cache.kernel_cache_dir({"NUMBA_CACHE_DIR": str(blocker), "XDG_CACHE_HOME": str(tmp_path / "x")}, pkg)
    assert got is not None and got.parent == tmp_path / "x" / "sim"


def test_sim_points_numba_and_its_kernels_at_the_versioned_folder():
    folder = kernel_cache.kernel_cache_dir()
    assert folder is not None
    assert numba.config.CACHE_DIR == str(folder)
    assert Path(firm_kernels.step_firms._cache._cache_path).is_relative_to(folder)
