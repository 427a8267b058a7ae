"""Memory a run will need, estimated from the scenario alone, and the refusal of one that cannot fit.

A run holds, in each process that runs draws, one draw's populations (the firm state arrays, the
year's incubator admissions and project approvals, the station slots and the draw's outputs) and,
in the process that gathers them, every draw's outputs (draws x years x outputs). The estimate
counts the populations the scenario sizes: the firms of ``[firms.population]`` (or the rows of
its CSV file), the entrants of ``entry_per_year`` and the incubators' admissions over the horizon
(each at the top of its distribution's range), the project approvals of ``[projects.streams]``
and the station slots, and multiplies them by the bytes an element costs at the peak (the state
arrays, their doubling as the population grows, the kernels' and the ledger's working arrays;
measured, see ``tests/reliability/test_memory_estimate.py``). It is meant to be within a factor
:data:`STATED_FACTOR` of the measured peak (tracemalloc: what NumPy allocates), and above it.

:func:`memory_problem` compares the estimate with the memory available to this machine
(``MemAvailable`` of ``/proc/meminfo``, else :func:`os.sysconf`), and returns one line naming the
keys that drive the estimate when it does not fit; ``sim validate`` reports it and ``sim run``
(and :func:`sim.run`) refuse the run before any work.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["MemoryEstimate", "estimate_memory", "available_memory", "memory_problem", "STATED_FACTOR",
           "BASE_BYTES", "BYTES_PER_START_FIRM", "BYTES_PER_FIRM", "BYTES_PER_ADMISSION", "BYTES_PER_PROJECT", "RESULT_COPIES"]

#: The interpreter, NumPy, Numba, xarray and the policy tables of a process that runs draws, bytes.
BASE_BYTES = 384 * 2**20
#: Bytes per firm of the starting population at the peak: the state arrays (35 bytes) and the
#: working arrays of drawing it (revenues, ages, thresholds, crossing years; measured with
#: tracemalloc: 137 bytes a firm on a run of 3,000,000 synthetic firms; rounded up to stay above).
BYTES_PER_START_FIRM = 160
#: Bytes per firm that enters during the run (entrants, incubator graduates): 35 of state arrays,
#: grown by doubling (old and new side by side), and the ledger's cap tallies of each firm
#: programme (measured: about 41 bytes a firm on a run of 3,000,000 graduates; rounded up).
BYTES_PER_FIRM = 64
#: Bytes per start-up or entrant admitted in a year, while the year's batch is drawn and queued
#: (sector, revenue, normal deviates, flags, and the concatenation into the state).
BYTES_PER_ADMISSION = 64
#: Bytes per project approval kept over the horizon (open loans, recipients' cap tallies).
BYTES_PER_PROJECT = 400
#: Bytes per station slot of a draw's state beyond its outputs (about 60 float64 arrays).
BYTES_PER_STATION = 512
#: Copies of the ensemble's outputs alive at once while they are gathered, stacked into the
#: dataset and written (chunk arrays, stacked arrays, the dataset's).
RESULT_COPIES = 3
#: The estimate is within this factor of the measured peak of a run's populations (tested).
STATED_FACTOR = 3.0
#: Share of the available memory a run may plan to use (the rest for the system and others).
USABLE_SHARE = 0.9


@dataclass(frozen=True)
class MemoryEstimate:
    """Peak memory of a run, bytes, with the keys that drive it.

    Attributes
    ----------
    per_draw : int
        One draw's populations and outputs in a process that runs it (without :data:`BASE_BYTES`).
    results : int
        The outputs of every draw gathered in the main process, times :data:`RESULT_COPIES`.
    processes : int
        Processes running draws side by side on this machine.
    drivers : list of (str, int)
        The scenario keys behind each part, and its bytes, largest first.
    """

    per_draw: int
    results: int
    processes: int
    drivers: list[tuple[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Peak of the whole run on this machine, bytes.

        One process runs the draws itself (``processes`` 1); more are worker processes beside it,
        each with its own interpreter; none (a Dask cluster) holds only the gathered outputs.
        """
        workers = self.processes * BASE_BYTES if self.processes > 1 else 0
        return BASE_BYTES + workers + self.processes * self.per_draw + self.results


def _top(value) -> float:
    """The largest value a parameter takes (the top of its draw range), or the number itself."""
    if isinstance(value, (int, float)):
        return float(value)
    return float(value.draw_range()[1])


def _csv_rows(path: str | None) -> int:
    """Rows of a CSV file (lines less the header), or 0 if it cannot be read."""
    if not path:
        return 0
    try:
        from sim.input_files import read_input_file

        data = read_input_file(Path(path), "CSV file", 1 << 40)
    except Exception:  # noqa: BLE001 - refused with its own message when the run reads it
        return 0
    return max(0, data.count(b"\n") - 1 + (0 if data.endswith(b"\n") else 1))


def _bytes(count: float, each: float) -> int:
    return int(min(count * each, 1e30))


def _count(x: float) -> str:
    return f"{x:,.0f}" if x < 1e15 else f"{x:.3g}"


def size(n: float) -> str:
    """Bytes in words (KiB, MiB, GiB, TiB)."""
    for unit, power in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 2**power:
            value = n / 2**power
            return f"{value:,.1f} {unit}" if value < 1e6 else f"{value:.3g} {unit}"
    return f"{n:,.0f} bytes"


def _population_parts(scenario, years: int) -> list[tuple[str, int]]:
    """(keys and counts in words, bytes) of each population of one draw."""
    parts: list[tuple[str, int]] = []
    firms = scenario.firms if scenario.firms is not None and scenario.firms.enabled else None
    if firms is not None:
        if firms.source == "csv":
            start = float(_csv_rows(firms.csv))
            start_key = f"firms.csv ({_count(start)} rows)"
        else:
            start = float(sum(p.count for p in firms.population.values()))
            start_key = f"firms.population.*.count ({_count(start)} firms)"
        if start:
            parts.append((start_key, _bytes(start, BYTES_PER_START_FIRM)))
        entry = 0.0
        if firms.synthetic_entrants:
            entry = sum(_top(b.entry_per_year) for b in firms.behaviour.values() if b is not None)
        if entry:
            entrants = entry * years
            parts.append((f"firms.behaviour.*.entry_per_year ({_count(entry)} a year x {years} years)",
                          _bytes(entrants, BYTES_PER_FIRM) + _bytes(entry, BYTES_PER_ADMISSION)))
    inc = scenario.incubators if getattr(scenario, "incubators", None) is not None else None
    if inc is not None and getattr(inc, "enabled", True) and firms is not None:
        n_inc = inc.service_institutions + sum(inc.benchmark_openings.values())
        per_year = n_inc * _top(inc.admissions_per_incubator)
        if per_year:
            admitted = per_year * years
            parts.append((f"incubators.service_institutions + benchmark_openings ({n_inc:,}) x "
                          f"incubators.admissions_per_incubator ({_count(_top(inc.admissions_per_incubator))}) "
                          f"x {years} years ({_count(admitted)} start-ups)",
                          _bytes(admitted, BYTES_PER_FIRM) + _bytes(per_year, BYTES_PER_ADMISSION)))
    projects = getattr(scenario, "projects", None)
    if projects is not None and projects.enabled and projects.streams:
        per_year = sum(_top(s.arrivals_per_year) for s in projects.streams.values())
        if per_year:
            parts.append((f"projects.streams.*.arrivals_per_year ({_count(per_year)} a year x {years} years)",
                          _bytes(per_year * years, BYTES_PER_PROJECT) + _bytes(per_year, BYTES_PER_ADMISSION)))
    return parts


def estimate_memory(scenario, policy, draws: int, processes: int = 1) -> MemoryEstimate:
    """Estimate a run's peak memory from the scenario alone (no population is built).

    Parameters
    ----------
    scenario : Scenario
    policy : PolicySet
    draws : int
        Draws of the run (the outputs of each are gathered).
    processes : int
        Processes running draws side by side on this machine (local workers; 0 for a Dask
        cluster, whose workers run elsewhere).
    """
    from sim.populations import active_components
    from sim.runner.assembly import coordinates, ledger_variables

    years = max(1, len(policy.years))
    parts = _population_parts(scenario, years)
    coords = coordinates(scenario, policy)
    specs = ledger_variables() + [v for cls in active_components(scenario) for v in cls.variables(scenario, policy)]
    cells = 0
    for spec in specs:
        cells += math.prod(len(coords.get(d, ())) for d in spec.dims) * np.dtype(spec.dtype).itemsize
    stations = len(coords.get("station", ()))
    if stations:
        parts.append((f"hydrogen station slots ({stations:,}: stations.existing, plan.max_stations, "
                      "investment.max_new_stations)", _bytes(stations, BYTES_PER_STATION)))
    per_draw = sum(b for _, b in parts) + 2 * cells
    results = RESULT_COPIES * cells * max(1, int(draws))
    drivers = sorted(parts, key=lambda p: -p[1])
    drivers.append((f"ensemble.draws ({int(draws):,}) x {years} years x outputs ({size(cells)} a draw)", results))
    drivers.sort(key=lambda p: -p[1])
    return MemoryEstimate(int(per_draw), int(results), max(0, int(processes)), drivers)


def available_memory() -> int | None:
    """Memory available to a new run on this machine, bytes (None if it cannot be told).

    ``MemAvailable`` of ``/proc/meminfo`` (Linux), cut to a cgroup's ``memory.max`` less its
    ``memory.current`` when there is one; elsewhere the available physical pages of
    :func:`os.sysconf`.
    """
    avail: int | None = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        avail = None
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = None
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        current = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if limit != "max":
            room = int(limit) - int(current)
            avail = room if avail is None else min(avail, room)
    except (OSError, ValueError):
        pass
    return avail


def memory_problem(scenario, policy, draws: int, processes: int, source: str,
                   available: int | None = None) -> str | None:
    """One line refusing a run whose estimated peak does not fit the available memory, or None.

    The line names the file, the keys that drive the estimate (largest first, with their share)
    and the estimate against the memory available (`available`, default :func:`available_memory`).
    """
    est = estimate_memory(scenario, policy, draws, processes)
    avail = available_memory() if available is None else available
    if avail is None or est.total <= USABLE_SHARE * avail:
        return None
    top = [f"{key} ~{size(b)}" for key, b in est.drivers[:3] if b > 0.05 * est.total]
    per = f"{est.processes} process(es) x " if est.processes > 1 else ""
    return (f"{source}: memory: the run needs about {size(est.total)} ({per}{size(est.per_draw)} a draw, "
            f"{size(est.results)} of outputs) but this machine has {size(avail)} available; driven by "
            f"{'; '.join(top) or 'the populations'}; lower those keys (or --draws, --workers)")
