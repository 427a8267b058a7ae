"""Wall time of a Sobol analysis of the baseline (issue 12: 10,000 draws in under 10 minutes).

Quick mode times a small Saltelli design over four of the baseline's parameters (the others
drawn per run as usual: a run costs the same); full mode times the 10,000-run design over all of
them on two workers. Both report the projected wall time of 10,000 runs from the measured rate (design,
ensemble and analysis included); printed, never asserted.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from benchmarks.measure import Measurement

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
TARGET_RUNS = 10_000
TARGET_SECONDS = 600.0
QUICK_PARAMETERS = 4


def run(quick: bool) -> list[Measurement]:
    import sim
    from sim.analysis.designs import MIN_SOBOL_BASE, run_design
    from sim.analysis.problem import select_parameters, uncertain_parameters
    from sim.analysis.sensitivity import scenario_evaluator

    loaded = sim.load_scenario(SCENARIOS / "baseline.toml")
    params = select_parameters(uncertain_parameters(loaded.scenario), None)
    if quick:
        params = params[:QUICK_PARAMETERS]
    workers = min(2, os.cpu_count() or 1)
    runs = MIN_SOBOL_BASE * (len(params) + 2) if quick else TARGET_RUNS
    evaluate = scenario_evaluator(loaded, params, ["total_exposure_cny", "stations_operating@2025"], workers)
    sim.run(loaded, draws=1)  # warm-up: the kernels' compiled cache and the imports
    started = time.perf_counter()
    result = run_design("sobol", params, evaluate, runs, seed=1)
    seconds = time.perf_counter() - started
    done = result.draws.size
    projected = seconds / done * TARGET_RUNS
    return [
        Measurement(f"baseline Sobol, {len(params)} parameters, {done:,} runs ({workers} workers)", seconds, "s"),
        Measurement("baseline Sobol: runs per second", done / seconds, "runs/s"),
        Measurement(f"baseline Sobol: projected time of {TARGET_RUNS:,} runs", projected, "s",
                    reference="600 s", ratio=projected / TARGET_SECONDS, ratio_meaning="projected / 10 minutes",
                    target="<= 1"),
    ]
