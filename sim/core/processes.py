"""Within-year processes on a calendar of days (simpy): when staged work finishes.

Money often flows on a date that a process decides: a station's construction grant is due on the
day it is completed, an innovation centre's stage payment on the day its milestone evaluation
passes. :func:`run_staged_tasks` runs any number of such tasks, each a start day and a sequence of
stage durations, on one simpy environment whose clock counts days from an epoch, and returns the
day each stage ended. An optional number of servers (review panels, construction crews) makes tasks
queue for a stage when all are busy, so timing can depend on how many tasks start together.

The durations are given, not drawn here: callers draw them from the counter-based generator
(:mod:`sim.core.rng`), so dates are a pure function of (seed, draw, entity, year).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import simpy

__all__ = ["StagedTask", "run_staged_tasks", "days_between", "add_days"]


@dataclass(frozen=True)
class StagedTask:
    """Work on one entity: a start day and the durations of its stages, in order.

    Attributes
    ----------
    entity : int
        Index of the entity (station, centre ...), returned with the result.
    start : datetime.date
        Day the first stage starts.
    stage_days : tuple of float
        Duration of each stage in days (>= 0); fractions are carried, dates are floored.
    """

    entity: int
    start: dt.date
    stage_days: tuple[float, ...]


def days_between(a: dt.date, b: dt.date) -> int:
    """Whole days from `a` to `b` (negative when `b` is earlier)."""
    return (b - a).days


def add_days(day: dt.date, days: float) -> dt.date:
    """The date `days` after `day`; a fraction of a day counts as not yet finished (floored)."""
    return day + dt.timedelta(days=math.floor(days))


def run_staged_tasks(
    tasks: list[StagedTask], until: dt.date | None = None, servers: int | None = None
) -> dict[int, list[dt.date | None]]:
    """Run staged tasks on one simpy calendar; return the day each stage of each task ended.

    Parameters
    ----------
    tasks : list of StagedTask
        The tasks; entity ids must be distinct.
    until : datetime.date, optional
        Stop the clock at this day (inclusive); stages still running then end as ``None``.
    servers : int, optional
        Tasks served at a time in each stage (e.g. construction crews); ``None`` for no limit.

    Returns
    -------
    dict of int to list of (datetime.date or None)
        By entity, the end day of each stage, in order.

    Raises
    ------
    ValueError
        If a duration is negative or not finite, entity ids repeat, or `servers` < 1.
    """
    if servers is not None and servers < 1:
        raise ValueError(f"servers (={servers}) must be >= 1")
    ids = [t.entity for t in tasks]
    if len(set(ids)) != len(ids):
        raise ValueError("entity ids of the tasks must be distinct")
    for t in tasks:
        for d in t.stage_days:
            if not math.isfinite(d) or d < 0.0:
                raise ValueError(f"stage duration (={d}) of entity {t.entity} must be finite and >= 0")
    ends: dict[int, list[dt.date | None]] = {t.entity: [None] * len(t.stage_days) for t in tasks}
    if not tasks:
        return ends
    epoch = min(t.start for t in tasks)
    if servers is None and until is None:
        return _uncontended_ends(tasks, epoch, ends)
    env = simpy.Environment()
    resources = None
    if servers is not None:
        n_stages = max(len(t.stage_days) for t in tasks)
        resources = [simpy.Resource(env, capacity=servers) for _ in range(n_stages)]

    def work(task: StagedTask):
        yield env.timeout(days_between(epoch, task.start))
        for k, days in enumerate(task.stage_days):
            if resources is None:
                yield env.timeout(days)
            else:
                with resources[k].request() as slot:
                    yield slot
                    yield env.timeout(days)
            ends[task.entity][k] = add_days(epoch, env.now)

    # Tasks are started in the order given so that queue order is deterministic on ties.
    for task in tasks:
        env.process(work(task))
    if until is None:
        env.run()
    else:
        env.run(until=days_between(epoch, until) + 1)
    return ends


def _uncontended_ends(tasks: list[StagedTask], epoch: dt.date,
                      ends: dict[int, list[dt.date | None]]) -> dict[int, list[dt.date | None]]:
    """The stage ends when no task waits for another and the clock runs to the end.

    Each stage then ends its duration after the last one, so the calendar adds nothing: the same
    sums, in the same order, as simpy's clock (``now + delay``), without building its events.
    """
    for task in tasks:
        now: float = days_between(epoch, task.start)
        for k, days in enumerate(task.stage_days):
            now = now + days
            ends[task.entity][k] = add_days(epoch, now)
    return ends

