"""Wall time of the default Sobol analysis of the baseline (issue 23: usable intervals within about 10 minutes).

The default design groups the baseline's parameters by scenario section and takes
``DEFAULT_SOBOL_BASE`` base samples (``base x (groups + 2)`` runs). Full mode runs it on two workers;
quick mode runs the smallest design of the same groups (``MIN_SOBOL_BASE`` base samples). Both
report the projected wall time of the default design from the measured rate (design, ensemble and
analysis with its convergence table included); printed, never asserted.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from benchmarks.measure import Measurement

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
TARGET_SECONDS = 600.0


def run(quick: bool) -> list[Measurement]:
    import sim
    from sim.analysis.designs import MIN_SOBOL_BASE, factor_names, run_design
    from sim.analysis.problem import parameter_groups, select_parameters, uncertain_parameters
    from sim.analysis.sensitivity import DEFAULT_SOBOL_BASE, scenario_evaluator

    loaded = sim.load_scenario(SCENARIOS / "baseline.toml")
    params = select_parameters(uncertain_parameters(loaded.scenario), None)
    groups, _ = parameter_groups(params, "section", None)
    per_block = len(factor_names(params, groups)) + 2
    default_runs = DEFAULT_SOBOL_BASE * per_block
    runs = MIN_SOBOL_BASE * per_block if quick else default_runs
    workers = min(2, os.cpu_count() or 1)
    evaluate = scenario_evaluator(loaded, params, None, workers)
    sim.run(loaded, draws=1)  # warm-up: the kernels' compiled cache and the imports
    started = time.perf_counter()
    result = run_design("sobol", params, evaluate, runs, seed=1, groups=groups)
    seconds = time.perf_counter() - started
    done = result.draws.size
    projected = seconds / done * default_runs
    return [
        Measurement(f"baseline Sobol by section, {per_block - 2} groups, {done:,} runs ({workers} workers)", seconds,
                    "s"),
        Measurement("baseline Sobol: runs per second", done / seconds, "runs/s"),
        Measurement(f"baseline Sobol: projected time of the default {default_runs:,} runs", projected, "s",
                    reference="600 s", ratio=projected / TARGET_SECONDS, ratio_meaning="projected / 10 minutes",
                    target="<= 1"),
    ]
