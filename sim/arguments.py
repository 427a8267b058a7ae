"""Checks of the arguments the ``sim`` command and the Python API share: the same values refused in the same words.

``sim.run(draws="5")`` and ``sim run --draws abc`` both end with ``draws must be a whole number in
1..10,000,000 (got ...)``; the API raises :class:`~sim.errors.ArgumentError` (a ``SimError`` and a
``ValueError``) before anything runs.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence

from sim.errors import ArgumentError
from sim.messages import shown_value

__all__ = ["whole_number", "worker_limit", "parse_years", "check_years", "MAX_SEED", "MAX_SCHEDULER_TIMEOUT_S",
           "WORKERS_PER_CORE"]

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


def _years_allowed(years: Sequence[int]) -> str:
    return f"FIRST-LAST with FIRST <= LAST in {int(years[0])}..{int(years[-1])}"


def _check_span(flag: str, first: int, last: int, years: Sequence[int], got: str) -> None:
    if first > last:
        raise ArgumentError(f"{flag}: FIRST {first} is after LAST {last}; allowed: {_years_allowed(years)}{got}")
    if first < years[0] or last > years[-1]:
        raise ArgumentError(f"{flag}: {first}-{last} is not within the horizon; allowed: {_years_allowed(years)}{got}")


def parse_years(text: str, years: Sequence[int], flag: str = "--years") -> tuple[int, int]:
    """``--years FIRST-LAST`` (or one year) checked against the results' (or the horizon's) `years`.

    The one implementation behind ``--years`` of ``sim run``, ``report``, ``compare``, ``export``
    and ``sweep``.

    Raises
    ------
    ArgumentError
        ``--years: expected FIRST-LAST ...`` or ``--years: A-B is not within the horizon; allowed: ...``,
        one line naming what was given and the allowed range.
    """
    from sim.messages import cut_text

    first_text, dash, last_text = str(text).strip().partition("-")
    try:
        if dash and not last_text:
            raise ValueError(text)
        first = int(first_text)
        last = int(last_text) if last_text else first
    except ValueError:
        raise ArgumentError(f"{flag}: expected FIRST-LAST, e.g. {int(years[0])}-{int(years[-1])}; allowed: "
                            f"{_years_allowed(years)} (got {cut_text(repr(text))})") from None
    _check_span(flag, first, last, years, f" (got {cut_text(repr(text))})")
    return first, last


def check_years(value: object, years: Sequence[int], name: str = "years") -> tuple[int, int]:
    """The Python API's ``years=``: a ``(first, last)`` pair of whole numbers (or one year, or a
    ``"FIRST-LAST"`` string) within `years`, in the words of ``--years``.

    Raises
    ------
    ArgumentError
        ``years must be FIRST-LAST with FIRST <= LAST in 2022..2030 (got ...)``.
    """
    if isinstance(value, str):
        return parse_years(value, years, flag=name)
    pair: tuple[object, ...]
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        pair = (value, value)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        pair = tuple(value)
    else:
        raise ArgumentError(f"{name} must be (FIRST, LAST): {_years_allowed(years)}{shown_value(value)}")
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in pair):
        raise ArgumentError(f"{name} must be (FIRST, LAST) of whole numbers: {_years_allowed(years)}"
                            f"{shown_value(value)}")
    first, last = int(pair[0]), int(pair[1])  # type: ignore[call-overload]
    _check_span(name, first, last, years, shown_value(value))
    return first, last
