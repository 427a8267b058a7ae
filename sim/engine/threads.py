"""Threads for the kernels of one draw: on when a run steps its draws in this process alone.

An ensemble on several worker processes already keeps the cores busy, and a kernel that starts
threads inside a forked worker risks the OpenMP runtime's state copied at the fork; so kernels
run on one thread unless a run says otherwise for its own draws (:func:`kernel_threads`). The
threaded kernels give the same bits as the serial ones (each firm's numbers are keyed by the
firm; tallies are integer sums or sums in a fixed block order), so the setting changes speed only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["kernel_threads", "threads_for_kernels", "available_threads", "one_thread", "MIN_FIRMS_PER_THREAD"]

#: Fewer firms than this per thread run on one thread (starting threads costs more than it saves).
MIN_FIRMS_PER_THREAD = 8192

_threads = 1


def available_threads() -> int:
    """Threads the kernels may use in this process: Numba's thread count (``NUMBA_NUM_THREADS``
    caps it), at most the cores this process may run on.
    """
    import numba

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    numba_threads: int = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    return max(1, min(numba_threads, cores))


def threads_for_kernels(firms: int) -> int:
    """Threads to step `firms` firms on now: 1 outside :func:`kernel_threads`, or for small populations."""
    return max(1, min(_threads, firms // MIN_FIRMS_PER_THREAD))


@contextmanager
def kernel_threads(threads: int) -> Iterator[None]:
    """Let the kernels called in the block use up to `threads` threads (1 keeps them serial)."""
    global _threads
    before = _threads
    _threads = max(1, int(threads))
    try:
        yield
    finally:
        _threads = before


def one_thread() -> None:
    """Keep this process's kernels on one thread (a worker process's start: a forked worker would
    otherwise inherit the setting of the block its parent was in).
    """
    global _threads
    _threads = 1
