"""Threads for the kernels of one draw: on when a run steps its draws in this process alone and
the cores are free.

An ensemble on several worker processes already keeps the cores busy, and a kernel that starts
threads inside a forked worker risks the OpenMP runtime's state copied at the fork; so kernels
run on one thread unless a run says otherwise for its own draws (:func:`kernel_threads`). The
threaded kernels give the same bits as the serial ones (each firm's numbers are keyed by the
firm; tallies are integer sums or sums in a fixed block order), so the setting changes speed only.

Threads only pay on idle cores: each year's kernels end at a barrier, and a thread the system
does not schedule keeps the other waiting. Measured on this 2-core machine (a virtual one), a
baseline draw took 45 ms on one thread; on two, 37 ms with OpenMP's spinning wait
(``OMP_WAIT_POLICY=ACTIVE``) and 45 ms with its passive wait (waking a sleeping thread costs what
the second core saves). With other jobs running (load average 4) the same draw took 85-111 ms on
one thread and 330-560 ms on two spinning threads. So OpenMP spins unless told otherwise, for
about 20 ms at most (``GOMP_SPINCOUNT``; spinning without end kept a core busy after the run and
slowed a following two-worker ensemble by a quarter), and :func:`available_threads` gives
threads only to the cores the load average leaves free.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["kernel_threads", "threads_for_kernels", "available_threads", "one_thread", "MIN_FIRMS_PER_THREAD"]

#: Fewer firms than this per thread run on one thread (starting threads costs more than it saves).
MIN_FIRMS_PER_THREAD = 8192

_threads = 1

# Read by the OpenMP runtime when Numba first loads it (the first threaded kernel), after this:
# spin between the kernels of a year, but for about 20 ms only (GNU's count, ~10 ns a spin), so a
# thread never keeps a core busy after the run (ACTIVE alone spins for good).
os.environ.setdefault("OMP_WAIT_POLICY", "ACTIVE")
os.environ.setdefault("GOMP_SPINCOUNT", "2000000")


def available_threads() -> int:
    """Threads the kernels may use in this process now.

    The cores it may run on that the 1-minute load average leaves free (this process's own load
    included: a long threaded run leaves the next call one thread), at most Numba's thread count
    (``NUMBA_NUM_THREADS`` caps it), at least 1.
    """
    import numba

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average on this system
        load = 0.0
    free = int(cores - load + 0.5)
    numba_threads: int = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    return max(1, min(numba_threads, cores, free))


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
