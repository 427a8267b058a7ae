"""Where Numba keeps the compiled kernels: one folder per version of `sim`'s kernel sources.

Numba's own cache checks only the file of the function it compiles: a kernel that inlines
:func:`sim.core.elementary.exp` or :func:`sim.core.rng.uniform` keeps its old machine code
when only those files change, and gives the old version's bits. Keying the folder by a digest
of every source file of `sim` that uses Numba makes a changed helper recompile every kernel
(correct, at the cost of one compilation), so the same code gives the same numbers from a
fresh clone or from a machine that ran an older version.

The folder is ``sim-kernels-<digest>`` under ``NUMBA_CACHE_DIR`` if set, else under
``$XDG_CACHE_HOME/sim`` (``~/.cache/sim``), else under the temporary directory; it can be
deleted at any time.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["kernel_source_digest", "kernel_cache_dir", "use_kernel_cache"]

_PACKAGE = Path(__file__).resolve().parent.parent
_PREFIX = "sim-kernels-"


def kernel_source_digest(package: Path = _PACKAGE) -> str:
    """SHA-256 (16 hex digits) of the relative path and bytes of every ``.py`` file under
    `package` that mentions ``numba``, in sorted order.
    """
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        data = path.read_bytes()
        if b"numba" in data:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)
    return digest.hexdigest()[:16]


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def kernel_cache_dir(environ: dict[str, str] | None = None, package: Path = _PACKAGE) -> Path | None:
    """The cache folder for this version of the kernels (created), or None if no candidate
    place is writable (Numba then keeps its default, beside the sources).

    A ``NUMBA_CACHE_DIR`` that is already such a folder (set for this process's parent by an
    earlier `sim`) counts by its parent, so versions never nest.
    """
    env = os.environ if environ is None else environ
    name = _PREFIX + kernel_source_digest(package)
    bases = []
    user = env.get("NUMBA_CACHE_DIR")
    if user:
        bases.append(Path(user).parent if Path(user).name.startswith(_PREFIX) else Path(user))
    xdg = env.get("XDG_CACHE_HOME")
    bases.append(Path(xdg) / "sim" if xdg else Path.home() / ".cache" / "sim")
    bases.append(Path(tempfile.gettempdir()) / f"sim-{os.getuid()}")
    for base in bases:
        if _writable(base / name):
            return base / name
    return None


def use_kernel_cache(package: Path = _PACKAGE) -> None:
    """Point Numba's cache at :func:`kernel_cache_dir` for `package` (before any of its kernels
    is decorated; `sim` does this on import).

    Sets ``NUMBA_CACHE_DIR`` for this process and its children (workers), and Numba's
    configuration if Numba is already imported.
    """
    folder = kernel_cache_dir(package=package)
    if folder is None:
        return
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    config = sys.modules.get("numba.core.config")
    if config is not None:
        config.CACHE_DIR = str(folder)  # type: ignore[attr-defined]
