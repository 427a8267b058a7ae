"""``sim explore``: one draw of a scenario stepped year by year in Mesa's Solara page, with sliders.

:class:`ExploreModel` is the ordinary :class:`~sim.engine.model.PolicyModel` of one draw, built
from the scenario with the sliders' values written over it as overrides (the same mechanism as an
alternative scenario file), plus a Mesa ``DataCollector`` of headline series for the page's plots.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from sim.engine.model import PolicyModel
from sim.scenario.loader import load_scenario

__all__ = ["ExploreModel", "LEVERS", "make_page", "SCENARIO_ENV"]

#: Environment variable through which ``sim explore`` tells the page which scenario to load.
SCENARIO_ENV = "SIM_EXPLORE_SCENARIO"


def _station_programs(policy, unclaimed=()) -> tuple[list, list]:
    """The capped per-kg subsidies and the grants to stations in force and claimed (the levers act on these)."""
    subsidies = [p for p in policy.of_kind("unit_subsidy", "station")
                 if p.instrument.price_cap_cny_per_kg is not None and p.id not in unclaimed]
    return subsidies, [p for p in policy.of_kind("tiered_grant", "station") if p.id not in unclaimed]

#: Sliders: name -> (label, min, max, step). Defaults come from the scenario's own values.
LEVERS = {
    "operating_subsidy_cny_per_kg": ("Operating subsidy (CNY/kg)", 0.0, 30.0, 1.0),
    "price_cap_cny_per_kg": ("Retail price cap (CNY/kg)", 15.0, 60.0, 1.0),
    "hydrogen_sunset_year": ("Hydrogen measures end (year)", 2022, 2035, 1),
    "share_of_cap_paid": ("Share of caps paid, all instruments", 0.0, 1.0, 0.05),
    "draw": ("Draw", 0, 99, 1),
}


def _lever_overrides(loaded, operating_subsidy_cny_per_kg, price_cap_cny_per_kg, hydrogen_sunset_year,
                     share_of_cap_paid) -> dict:
    """Instrument overrides for the levers that were set (None leaves the scenario's value)."""
    import datetime as dt

    over: dict = {}

    def put(pid: str, key: str, value) -> None:
        over.setdefault(pid, {})[key] = value

    subsidies, grants = _station_programs(loaded.policy, loaded.unclaimed)
    for program in subsidies:
        if operating_subsidy_cny_per_kg is not None:
            put(program.id, "rate_cny_per_kg", float(operating_subsidy_cny_per_kg))
        if price_cap_cny_per_kg is not None:
            put(program.id, "price_cap_cny_per_kg", float(price_cap_cny_per_kg))
    if hydrogen_sunset_year is not None:
        end = dt.date(int(hydrogen_sunset_year), 12, 31)
        for program in subsidies + grants:
            if end >= program.instrument.valid_from:
                put(program.id, "valid_until", end)
    if share_of_cap_paid is not None:
        for program in loaded.policy.programs:
            if program.id not in loaded.unclaimed:  # those pay nothing whatever their share
                put(program.id, "share_of_cap_paid", float(share_of_cap_paid))
    return {"instruments": over} if over else {}


class ExploreModel(PolicyModel):
    """One draw of a scenario with the explore page's levers applied.

    Parameters
    ----------
    scenario_path : str
        The scenario file.
    operating_subsidy_cny_per_kg, price_cap_cny_per_kg : float, optional
        Rate and cap of every capped per-kg subsidy to stations in force (D7 item 13's).
    hydrogen_sunset_year : int, optional
        Last year (to 31 December) of those subsidies and of the grants to stations.
    share_of_cap_paid : float, optional
        Share of the cap paid, applied to every instrument in force.
    A lever left at None keeps the scenario's own value.
    draw : int
        Which draw of the ensemble to step.
    """

    def __init__(self, scenario_path: str | None = None, operating_subsidy_cny_per_kg: float | None = None,
                 price_cap_cny_per_kg: float | None = None, hydrogen_sunset_year: int | None = None,
                 share_of_cap_paid: float | None = None, draw: int = 0):
        path = Path(scenario_path or os.environ.get(SCENARIO_ENV, "scenarios/minimal.toml"))
        base = load_scenario(path)
        loaded = load_scenario(path, _lever_overrides(base, operating_subsidy_cny_per_kg, price_cap_cny_per_kg,
                                                      hydrogen_sunset_year, share_of_cap_paid), "explore sliders")
        super().__init__(loaded.scenario, loaded.policy, int(draw))
        self.scenario_path = str(path)
        self.datacollector = mesa.DataCollector(model_reporters={
            "outlay_million_cny": lambda m: m._latest("outlay", lambda a: a.sum() / 1e6),
            "station_programs_outlay_million_cny": lambda m: m._station_outlay(),
            "stations_operating": lambda m: m._latest("stations_operating", float),
            "fcv_fleet": lambda m: m._latest("fcv_fleet", float),
            "h2_price_mean": lambda m: m._latest("h2_price_mean", float),
            "firms_above_size": lambda m: m._latest("firms_above_size", lambda a: float(a.sum())),
        })

    def _latest(self, name: str, reduce) -> float:
        if self.steps == 0 or name not in self.recorder.arrays:
            return np.nan
        arr = self.ledger.outlay if name == "outlay" else self.recorder[name]
        return reduce(arr[self.steps - 1])

    def _station_outlay(self) -> float:
        if self.steps == 0:
            return np.nan
        subsidies, grants = _station_programs(self.policy)
        idx = [p.index for p in subsidies + grants]
        return float(self.ledger.outlay[self.steps - 1, idx].sum() / 1e6) if idx else 0.0

    def step(self) -> None:
        """Simulate the next year (nothing once the horizon is done) and collect the series."""
        if self.steps > len(self.years):
            self.running = False
            return
        super().step()
        self.datacollector.collect(self)
        if self.steps >= len(self.years):
            self.running = False


def make_page(scenario_path: str):
    """The Solara page: sliders for the levers and plots of the collected series."""
    from mesa.visualization import Slider, SolaraViz, make_plot_component

    base = load_scenario(scenario_path)
    subsidies, _ = _station_programs(base.policy, base.unclaimed)
    # Sliders start at the scenario's own values; the middle of the range where it has none.
    defaults: dict[str, Any] = {name: (lo + hi) / 2 for name, (_, lo, hi, _) in LEVERS.items()}
    defaults["draw"] = 0
    defaults["share_of_cap_paid"] = 1.0
    if subsidies:
        ins = subsidies[0].instrument
        defaults["operating_subsidy_cny_per_kg"] = ins.rate_cny_per_kg
        if ins.price_cap_cny_per_kg is not None:
            defaults["price_cap_cny_per_kg"] = ins.price_cap_cny_per_kg
        defaults["hydrogen_sunset_year"] = ins.valid_until.year
    params = {"scenario_path": scenario_path}
    for name, (label, lo, hi, step) in LEVERS.items():
        params[name] = Slider(label, defaults[name], lo, hi, step)
    model = ExploreModel(scenario_path, **{k: defaults[k] for k in LEVERS})
    components = [make_plot_component(["outlay_million_cny", "station_programs_outlay_million_cny"])]
    # Plots only for the series this scenario's components record.
    for series in ("stations_operating", "fcv_fleet", "h2_price_mean", "firms_above_size"):
        if series in model.recorder.arrays:
            components.append(make_plot_component([series]))
    return SolaraViz(model, components=components, model_params=params, name=f"sim explore: {base.scenario.name}")
