"""Provenance: what a run records about the code that made it.

Results files and the ``--resume`` manifest both carry the package version, so draws saved by
one version are never mixed with another's.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

__all__ = ["package_version"]


@cache  # the metadata lookup scans the installed distributions: about 1 ms a call
def package_version() -> str:
    """Installed version of `sim` (``0+unknown`` when run from a source tree)."""
    try:
        return version("sim")
    except PackageNotFoundError:
        return "0+unknown"
