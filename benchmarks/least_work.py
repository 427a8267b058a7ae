"""The least work of a firm-year, as a bare Numba loop: the practical limit of any firm model here.

Per firm-year: hash the (firm, year) prefix of its keys once, draw three counter-based uniforms
(exit, growth shock, certification) from it, turn one into a Laplace shock (one log) and take
one exp (the growth factor). Self-contained (its own splitmix64, the construction of
:mod:`sim.core.rng`), so the reference does not move when `sim`'s random-number code does:
the same loop measures `sim` before and after a change.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numba import njit

__all__ = ["least_work", "least_work_seconds"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_INV53 = 1.0 / 9007199254740992.0
_LAPLACE_SCALE = 1.0 / math.sqrt(2.0)


@njit(cache=True, inline="always")
def _mix(x):
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def _uniform(key):
    return ((_mix(key) >> np.uint64(11)) + 0.5) * _INV53


@njit(cache=True)
def least_work(seed, draw, year, n):
    """Three keyed uniforms, a Laplace shock and an exp for each of `n` firms in one year."""
    prefix = _mix(_mix(np.uint64(seed)) ^ np.uint64(draw))
    acc = 0.0
    for i in range(n):
        firm = _mix(_mix(prefix ^ np.uint64(i)) ^ np.uint64(year))
        u_exit = _uniform(_mix(firm ^ np.uint64(3)))
        u = _uniform(_mix(firm ^ np.uint64(1))) - 0.5
        u_srdi = _uniform(_mix(firm ^ np.uint64(6)))
        z = math.copysign(-_LAPLACE_SCALE * math.log(1.0 - 2.0 * abs(u)), u)
        acc += u_exit + u_srdi + math.exp(0.05 + 0.25 * z)
    return acc


def least_work_seconds(firms_by_year: list[int], repeat: int = 5) -> float:
    """Best wall time (s) of the least-work loop over the given number of firms in each year."""
    least_work(1, 0, 2022, 10)
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        for y, n in enumerate(firms_by_year):
            least_work(1, 0, 2022 + y, int(n))
        best = min(best, time.perf_counter() - t0)
    return best
