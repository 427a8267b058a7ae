"""``sim explore``: one draw of a scenario stepped year by year in Mesa's Solara page, with sliders.

:class:`ExploreModel` is the ordinary :class:`~sim.engine.model.PolicyModel` of one draw, built
from the scenario with the sliders' values written over it as overrides (the same mechanism as an
alternative scenario file), plus a Mesa ``DataCollector`` of headline series for the page's plots.
"""

from __future__ import annotations

import os
from pathlib import Path

import mesa
import numpy as np

from sim.engine.model import PolicyModel
from sim.scenario.loader import load_scenario

__all__ = ["ExploreModel", "LEVERS", "make_page", "SCENARIO_ENV"]

#: Environment variable through which ``sim explore`` tells the page which scenario to load.
SCENARIO_ENV = "SIM_EXPLORE_SCENARIO"
_SUBSIDY = "hydrogen.13.operating_subsidy"
_GRANT = "hydrogen.13.construction_grant"

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

    if loaded.policy.get(_SUBSIDY) is not None:
        if operating_subsidy_cny_per_kg is not None:
            put(_SUBSIDY, "rate_cny_per_kg", float(operating_subsidy_cny_per_kg))
        if price_cap_cny_per_kg is not None:
            put(_SUBSIDY, "price_cap_cny_per_kg", float(price_cap_cny_per_kg))
    if hydrogen_sunset_year is not None:
        end = dt.date(int(hydrogen_sunset_year), 12, 31)
        for pid in (_SUBSIDY, _GRANT):
            program = loaded.policy.get(pid)
            if program is not None and end >= program.instrument.valid_from:
                put(pid, "valid_until", end)
    if share_of_cap_paid is not None:
        for program in loaded.policy.programs:
            put(program.id, "share_of_cap_paid", float(share_of_cap_paid))
    return {"instruments": over} if over else {}


class ExploreModel(PolicyModel):
    """One draw of a scenario with the explore page's levers applied.

    Parameters
    ----------
    scenario_path : str
        The scenario file.
    operating_subsidy_cny_per_kg, price_cap_cny_per_kg : float, optional
        Rate and cap of ``hydrogen.13.operating_subsidy``.
    hydrogen_sunset_year : int, optional
        Last year (to 31 December) of the two ``hydrogen.13`` instruments.
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
            "hydrogen13_outlay_million_cny": lambda m: m._hydrogen13(),
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

    def _hydrogen13(self) -> float:
        if self.steps == 0:
            return np.nan
        idx = [p.index for p in self.policy.programs if p.id.startswith("hydrogen.13.")]
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
    subsidy = base.policy.get(_SUBSIDY)
    # Sliders start at the scenario's own values; the middle of the range where it has none.
    defaults = {name: (lo + hi) / 2 for name, (_, lo, hi, _) in LEVERS.items()}
    defaults["draw"] = 0
    defaults["share_of_cap_paid"] = 1.0
    if subsidy is not None:
        ins = subsidy.instrument
        defaults["operating_subsidy_cny_per_kg"] = ins.rate_cny_per_kg
        if ins.price_cap_cny_per_kg is not None:
            defaults["price_cap_cny_per_kg"] = ins.price_cap_cny_per_kg
        defaults["hydrogen_sunset_year"] = ins.valid_until.year
    params = {"scenario_path": scenario_path}
    for name, (label, lo, hi, step) in LEVERS.items():
        params[name] = Slider(label, defaults[name], lo, hi, step)
    model = ExploreModel(scenario_path, **{k: defaults[k] for k in LEVERS})
    components = [make_plot_component(["outlay_million_cny", "hydrogen13_outlay_million_cny"])]
    # Plots only for the series this scenario's components record.
    for series in ("stations_operating", "fcv_fleet", "h2_price_mean", "firms_above_size"):
        if series in model.recorder.arrays:
            components.append(make_plot_component([series]))
    return SolaraViz(model, components=components, model_params=params, name=f"sim explore: {base.scenario.name}")
