"""Provenance: what a run records about the code that made it.

Results files and the ``--resume`` manifest carry the package version and a digest of the
package's sources, so draws saved by one version of the code are never mixed with another's;
results also record the git revision of a source checkout and the versions of the libraries
that compute the numbers.
"""

from __future__ import annotations

import hashlib
import subprocess
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["package_version", "source_digest", "source_revision", "library_versions", "LIBRARIES"]

_PACKAGE = Path(__file__).resolve().parent.parent
#: The libraries whose versions results record: those that compute, draw or store the numbers.
LIBRARIES = ("numpy", "numba", "scipy", "xarray", "pandas", "mesa", "pydantic", "h5netcdf")
#: Files of the package that make its numbers: code and the data shipped with it.
_SOURCE_SUFFIXES = (".py", ".toml", ".csv")


@cache  # the metadata lookup scans the installed distributions: about 1 ms a call
def package_version() -> str:
    """Installed version of `sim` (``0+unknown`` when run from a source tree)."""
    try:
        return version("sim")
    except PackageNotFoundError:
        return "0+unknown"


@cache
def source_digest(package: Path = _PACKAGE) -> str:
    """SHA-256 over the package's code and data files (paths and bytes, in path order).

    Two trees with the same digest run the same code on the same shipped data, whatever their
    version string says.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in _SOURCE_SUFFIXES and p.is_file()
                       and "__pycache__" not in p.parts):
        data = path.read_bytes()
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


@cache
def source_revision(package: Path = _PACKAGE) -> str:
    """The git commit of the checkout the package runs from, ``+dirty`` with uncommitted changes.

    ``unknown`` when the package is not in a git checkout or git is not installed.
    """
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(package), *args], capture_output=True, text=True, timeout=10,
                                  check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return "unknown"
    changes = git("status", "--porcelain", "--untracked-files=no", "--", ".")
    return commit + ("+dirty" if changes else "")


@cache
def library_versions() -> dict[str, str]:
    """Installed versions of :data:`LIBRARIES` (``not installed`` for a missing one)."""
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
