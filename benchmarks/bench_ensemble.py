"""Whole-pipeline throughput: draws per second of the minimal and baseline scenarios."""

from __future__ import annotations

from pathlib import Path

from benchmarks.measure import Measurement, best_time

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def run(quick: bool) -> list[Measurement]:
    import sim

    out = []
    for name, draws in (("minimal", 4 if quick else 20), ("baseline", 2 if quick else 10)):
        loaded = sim.load_scenario(SCENARIOS / f"{name}.toml")
        seconds = best_time(lambda loaded=loaded, draws=draws: sim.run(loaded, draws=draws), repeat=1 if quick else 3)
        out.append(Measurement(f"{name}: draws per second (1 worker)", draws / seconds, "draws/s"))
    return out
