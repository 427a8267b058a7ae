"""Firm step throughput: firm-years per second of the Numba kernel, against the bare least-work loop
(:mod:`benchmarks.least_work`: the random numbers, one log and one exp with the C library's
functions) and a Mesa reference in plain Python; the kernel on one thread and on every core,
and the scalar C-library kernel it replaced (``tests/reference/firm_step_reference.py``: "before" and
"after" in one run); and the memory of the firm state per firm."""

from __future__ import annotations

import time

import numpy as np

from benchmarks.least_work import least_work_seconds
from benchmarks.measure import Measurement, machine_threads
from benchmarks.mesa_firm_reference import FirmModel
from sim.populations.firms import kernels as fk
from sim.populations.firms.population import STATE_FIELDS, FirmArrays
from tests.reference.firm_step_reference import step_firms_libm  # run from the repository's root, as make does

PARAMS = dict(
    shock_kind=fk.SHOCK_LAPLACE, sigma_ref=0.25, sigma_ref_revenue_cny=2e7, beta=0.2, sigma_max=1.0, elasticity=0.5,
    exit_base=0.065, exit_peak_min=3, exit_peak_max=7, exit_peak_mult=1.5, exit_size_exp=0.2,
    exit_ref_revenue_cny=2e7, srdi_hazard=0.025, little_giant_share=0.11, this_year_max_age=0,
)
DRIFT = np.array([0.05, 0.10, 0.15, 0.20, 0.03])
THRESHOLD = np.full(5, 2e7)
STAY_UP = 1e8
#: Passed positionally, as the firm component does (keyword dispatch costs ~150 us a call).
RULES = fk.StepRules(DRIFT, THRESHOLD, STAY_UP, **PARAMS)
YEARS = 5


def _population(n: int) -> FirmArrays:
    """`n` living firms, every state array written (as synthesis leaves them).

    ``FirmArrays.empty`` zeroes by ``calloc``, whose pages the system maps on first write: left
    untouched, the kernel's first year would time those page faults, serialised between threads
    (at 10^6 firms they halved the threaded rate), not the firm step the engine repeats over years.
    """
    rng = np.random.default_rng(1)
    st = FirmArrays.empty(n)
    for name, _ in STATE_FIELDS:
        column = getattr(st, name)
        column.fill(column[0])  # each array holds one value after `empty`: written again, page by page
    st.sector[:] = rng.integers(0, 4, n)
    st.revenue_cny[:] = 4e6 * np.exp(1.2 * rng.standard_normal(n))
    st.age_years[:] = rng.integers(0, 30, n)
    st.flags[:] = fk.ALIVE
    st.fai_cny[:] = 0.08 * st.revenue_cny
    st.n = n
    return st


def kernel_rate(n: int, threads: int = 1, kernel=None) -> float:
    """Firm-years per second of :func:`step_firms` over `n` firms (fresh population per repeat), on
    `threads` threads, or of another kernel with its signature."""
    def run():
        st = _population(n)
        t0 = time.perf_counter()
        for y in range(YEARS):
            args = (1, 0, 2022 + y, n, st.kernel_state(), RULES)
            if kernel is not None:
                kernel(*args)
            elif threads > 1:
                fk.step_firms_threaded(threads, *args)
            else:
                fk.step_firms(*args)
        return time.perf_counter() - t0
    run()
    return n * YEARS / min(run() for _ in range(5))


def bare_rate(n: int) -> float:
    """Firm-years per second of the least-work loop (:mod:`benchmarks.least_work`)."""
    return n * YEARS / least_work_seconds([n] * YEARS)


def mesa_rate(n: int) -> float:
    st = _population(n)
    model = FirmModel.from_kernel_args(st.sector[:n], st.revenue_cny[:n], st.age_years[:n], DRIFT, THRESHOLD, STAY_UP,
                                       PARAMS, fai_cny=st.fai_cny[:n])
    years = 2
    t0 = time.perf_counter()
    for _ in range(years):
        model.step()
    return n * years / (time.perf_counter() - t0)


def run(quick: bool) -> list[Measurement]:
    sizes = (10_000, 100_000) if quick else (100_000, 1_000_000)
    out = []
    threads = machine_threads()
    for n in sizes:
        # Each reference at the same population size as the kernel (Mesa: about 7 s at 10^6).
        mesa, b = mesa_rate(n), bare_rate(n)
        before, k, kt = kernel_rate(n, kernel=step_firms_libm), kernel_rate(n), kernel_rate(n, threads)
        out.append(Measurement(f"Mesa reference, {n:,} firms", mesa, "firm-years/s"))
        out.append(Measurement(f"bare Numba draws, {n:,} firms", b, "firm-years/s", "Mesa reference", b / mesa,
                               "bare loop / Mesa"))
        out.append(Measurement(f"scalar libm kernel (before), {n:,} firms", before, "firm-years/s", "Mesa reference",
                               before / mesa, "kernel before / Mesa"))
        out.append(Measurement(f"kernel vs bare-loop limit, {n:,} firms", k, "firm-years/s", "bare loop", k / b,
                               "kernel / bare loop", ">= 0.333"))
        out.append(Measurement(f"kernel vs Mesa, 1 thread, {n:,} firms", k, "firm-years/s", "Mesa reference",
                               k / mesa, "kernel / Mesa", ">= 100 (aim 300)"))
        out.append(Measurement(f"kernel vs Mesa, {threads} threads, {n:,} firms", kt, "firm-years/s",
                               "Mesa reference", kt / mesa, "kernel / Mesa", ">= 100 (aim 300)"))
    per_firm = FirmArrays.bytes_per_firm()
    out.append(Measurement("firm state memory", per_firm, "bytes/firm", "target 64", per_firm / 64,
                           "bytes / 64", "<= 1"))
    return out
