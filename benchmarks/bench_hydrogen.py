"""Hydrogen step: time per draw-year of the stations and fleet component, at the baseline size
and at 10x stations and fleet (existing and planned stations, investor slots, vehicles)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.measure import Measurement

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

TEN_X = """
extends = "{baseline}"
name = "hydrogen_10x"
[hydrogen.stations]
existing = 100
[hydrogen.plan]
stations_by_year = {{ "2023" = 370, "2025" = 740 }}
[hydrogen.investment]
max_new_stations = 400
max_new_per_year = 80
[hydrogen.fleet]
demonstration_by_year = {{ "2022" = 8000, "2023" = 14000, "2024" = 35000, "2025" = 35000 }}
[hydrogen.fleet.segments.logistics_light]
initial_vehicles = 5000.0
replacement_market_per_year = {{ dist = "uniform", low = 100_000, high = 300_000 }}
[hydrogen.fleet.segments.heavy_truck]
initial_vehicles = 1000.0
replacement_market_per_year = {{ dist = "uniform", low = 30_000, high = 80_000 }}
[hydrogen.fleet.segments.bus]
initial_vehicles = 2500.0
replacement_market_per_year = {{ dist = "uniform", low = 5_000, high = 20_000 }}
[hydrogen.fleet.segments.other]
initial_vehicles = 1500.0
replacement_market_per_year = {{ dist = "uniform", low = 20_000, high = 50_000 }}
"""


def _seconds_per_draw_year(loaded, draws: int) -> tuple[float, int]:
    from sim.populations.hydrogen.component import HydrogenStations
    from sim.runner.model import PolicyModel

    total, n = 0.0, 0
    for d in range(draws):
        model = PolicyModel(loaded.scenario, loaded.policy, d)
        comp = next(c for c in model.components if isinstance(c, HydrogenStations))
        for year in model.years:
            t0 = time.perf_counter()
            comp.step(year)
            total += time.perf_counter() - t0
            n += 1
            for other in model.components:
                if other is not comp:
                    other.step(year)
            model.ledger.settle(year)
    return total / n, len(comp.arrays.status)


def run(quick: bool) -> list[Measurement]:
    import sim

    draws = 2 if quick else 10
    baseline = sim.load_scenario(SCENARIOS / "baseline.toml")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hydrogen_10x.toml"
        path.write_text(TEN_X.format(baseline=(SCENARIOS / "baseline.toml").as_posix()), encoding="utf-8")
        big = sim.load_scenario(path)
    _seconds_per_draw_year(baseline, 1)  # compile and warm caches
    out = []
    base_s, base_n = _seconds_per_draw_year(baseline, draws)
    out.append(Measurement(f"baseline ({base_n} station slots): hydrogen step", base_s * 1e3, "ms/draw-year"))
    big_s, big_n = _seconds_per_draw_year(big, draws)
    out.append(Measurement(f"10x ({big_n} station slots): hydrogen step", big_s * 1e3, "ms/draw-year",
                           reference="baseline", ratio=big_s / base_s, ratio_meaning="10x time / baseline time"))
    return out
