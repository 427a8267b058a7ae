"""Checks of the arguments the ``sim`` command and the Python API share: the same values refused in the same words.

``sim.run(draws="5")`` and ``sim run --draws abc`` both end with ``draws must be a whole number in
1..10,000,000 (got ...)``; the API raises :class:`~sim.errors.ArgumentError` (a ``SimError`` and a
``ValueError``) before anything runs.
"""

from __future__ import annotations

import numbers
import os

from sim.errors import ArgumentError
from sim.messages import shown_value

__all__ = ["whole_number", "worker_limit", "MAX_SEED", "MAX_SCHEDULER_TIMEOUT_S", "WORKERS_PER_CORE"]

#: Largest seed: seeds are 63-bit (the kernels hash them as int64).
MAX_SEED = 2**63 - 1
#: Longest ``--scheduler-timeout``, in seconds (a day); larger values overflow the clocks that wait.
MAX_SCHEDULER_TIMEOUT_S = 86_400
#: Local worker processes allowed per core of the machine (``--workers`` above it is cut down).
WORKERS_PER_CORE = 4


def _allowed(low: int, high: int | None) -> str:
    if high is None:
        return f">= {low}"
    if high == MAX_SEED:
        return f"in {low}..2**63-1"
    return f"in {low}..{high:,}" if high >= 100_000 else f"in {low}..{high}"


def whole_number(name: str, value: object, low: int, high: int | None = None) -> int:
    """`value` as an int, if it is a whole number (not a bool, a float or a string) in low..high.

    Raises
    ------
    ArgumentError
        ``NAME must be a whole number in LOW..HIGH (got VALUE)``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not (
            low <= int(value) and (high is None or int(value) <= high)):
        raise ArgumentError(f"{name} must be a whole number {_allowed(low, high)}{shown_value(value)}")
    return int(value)


def worker_limit(workers: int, draws: int) -> tuple[int, str | None]:
    """The local processes a run of `draws` draws uses for `workers` asked, and the line saying so if fewer.

    At most :data:`WORKERS_PER_CORE` per core (more only queue for the same cores, each with its
    own memory) and never more than the draws.
    """
    cores = os.cpu_count() or 1
    limit = WORKERS_PER_CORE * cores
    if workers > min(limit, draws):
        if draws <= limit:
            return draws, f"--workers: {workers:,} asked, {draws:,} used (one per draw)"
        return limit, (f"--workers: {workers:,} asked, {limit:,} used ({WORKERS_PER_CORE} per core, "
                       f"{cores} cores on this machine)")
    return workers, None
