"""What a benchmark reports, and a timing helper."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

__all__ = ["Measurement", "best_time", "machine_threads"]


@dataclass
class Measurement:
    """One measured quantity.

    Attributes
    ----------
    name : str
    value : float
    unit : str
    reference : str, optional
        What the value is compared with (e.g. ``mesa_reference``).
    ratio : float, optional
        value / reference value (or the inverse, as `ratio_meaning` says).
    ratio_meaning : str
        How to read the ratio, e.g. ``kernel speed / Mesa speed``.
    target : str
        The target the issue sets, in words (e.g. ``>= 300``), or empty.
    """

    name: str
    value: float
    unit: str
    reference: str | None = None
    ratio: float | None = None
    ratio_meaning: str = ""
    target: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def best_time(fn: Callable[[], object], repeat: int = 3, min_seconds: float = 0.0) -> float:
    """Smallest wall time of `repeat` calls of `fn` (seconds), after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        if min_seconds and best > min_seconds:
            break
    return best


def machine_threads() -> int:
    """Threads a threaded measurement uses: every core Numba may use, whatever the load (the
    benchmark measures what threads can do; a run chooses by load, see :mod:`sim.core.threads`)."""
    import os

    import numba

    numba_threads: int = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    return max(1, min(numba_threads, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else os.cpu_count() or 1))
