"""``sim explore``: a scenario stepped year by year in a Solara page, with sliders for the levers.

:class:`ExploreModel` is the ordinary :class:`~sim.engine.model.PolicyModel` of one draw, built
from the scenario with the sliders' values written over it as overrides (the same mechanism as an
alternative scenario file), plus a Mesa ``DataCollector`` of the page's series. :class:`ExploreSession`
is what one browser session owns: its model, rebuilt when a lever moves and stepped back to the
year the user had reached, and the band of the same levers over several draws. The page itself
lives in :mod:`sim.analysis.explore_app`; everything here runs without a browser.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import xarray as xr

from sim.engine.model import PolicyModel
from sim.scenario.loader import LoadedScenario, load_scenario

__all__ = ["ExploreModel", "ExploreSession", "LEVERS", "Lever", "SERIES", "Series", "lever_defaults", "main_supply_route",
           "SCENARIO_ENV", "page_text"]

#: Characters Markdown gives a meaning, escaped with a backslash in :func:`page_text`.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def page_text(text: object) -> str:
    """Text from an input (a scenario's name or description) made safe for the page's Markdown.

    HTML is escaped (``<img onerror=...>`` is shown, never run), Markdown syntax is escaped (no
    links, images or headings from a description), and line breaks become spaces.
    """
    one_line = " ".join(str(text).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(one_line, quote=False))


#: Environment variable through which ``sim explore`` tells the page which scenario to load.
SCENARIO_ENV = "SIM_EXPLORE_SCENARIO"


def _station_programs(policy, unclaimed=()) -> tuple[list, list]:
    """The capped per-kg subsidies and the grants to stations in force and claimed (the levers act on these)."""
    subsidies = [p for p in policy.of_kind("unit_subsidy", "station")
                 if p.instrument.price_cap_cny_per_kg is not None and p.id not in unclaimed]
    return subsidies, [p for p in policy.of_kind("tiered_grant", "station") if p.id not in unclaimed]


@dataclass(frozen=True)
class Lever:
    """A slider of the page: what it sets, in which unit, over which range."""

    label: str
    unit: str
    low: float
    high: float
    step: float
    integer: bool = False

    def shown(self, value: float) -> str:
        """The slider's caption with its value and unit, e.g. ``Operating subsidy: 10 CNY/kg``."""
        if self.integer:
            text = f"{int(value)}"
        elif self.unit == "share":
            text = f"{value:.0%}"
        else:
            text = f"{value:g}"
        unit = "" if self.unit in ("share", "") else f" {self.unit}"
        return f"{self.label}: {text}{unit}"


#: The levers, by the keyword of :class:`ExploreModel` they set. Defaults come from the scenario.
LEVERS: dict[str, Lever] = {
    "operating_subsidy_cny_per_kg": Lever("Operating subsidy", "CNY/kg", 0.0, 30.0, 1.0),
    "price_cap_cny_per_kg": Lever("Retail price cap", "CNY/kg", 15.0, 60.0, 1.0),
    "hydrogen_sunset_year": Lever("Hydrogen measures end", "", 2022, 2035, 1, integer=True),
    "share_of_cap_paid": Lever("Share of caps paid, all programmes", "share", 0.0, 1.0, 0.05),
    "main_route_ex_works_cny_per_kg": Lever("Ex-works hydrogen price, main supply route", "CNY/kg", 10.0, 50.0, 1.0),
    "draw": Lever("Draw shown", "", 0, 99, 1, integer=True),
}


@dataclass(frozen=True)
class Series:
    """A plotted series: its name and unit for people, and how to read it off a model and off results."""

    label: str
    unit: str
    of_model: Callable[[ExploreModel, int], float]
    of_results: Callable[[xr.Dataset, list[str]], np.ndarray | None]

    @property
    def title(self) -> str:
        """``label (unit)``, as on the axis."""
        return f"{self.label} ({self.unit})"


def _station_ids(policy) -> list[str]:
    subsidies, grants = _station_programs(policy)
    return [p.id for p in subsidies + grants]


def _model_outlay(m: ExploreModel, yi: int, ids: list[str] | None = None) -> float:
    if ids is None:
        return float(m.ledger.outlay[yi].sum() / 1e6)
    programs = [m.policy.get(pid) for pid in ids]
    idx = [p.index for p in programs if p is not None]
    return float(m.ledger.outlay[yi, idx].sum() / 1e6) if idx else 0.0


def _model_variable(name: str) -> Callable[[ExploreModel, int], float]:
    def f(m: ExploreModel, yi: int) -> float:
        if name not in m.recorder.arrays:
            return float("nan")
        return float(np.asarray(m.recorder[name][yi]).sum())

    return f


def _results_variable(name: str, scale: float = 1.0, stations_only: bool = False):
    def f(ds: xr.Dataset, station_ids: list[str]) -> np.ndarray | None:
        if name not in ds:
            return None
        da = ds[name]
        if stations_only:
            keep = [str(p) for p in ds["program"].values if str(p) in station_ids]
            if not keep:
                return np.zeros((ds.sizes["draw"], ds.sizes["year"]))
            da = da.sel(program=keep)
        extra = [d for d in da.dims if d not in ("draw", "year")]
        return (da.sum(extra) if extra else da).transpose("draw", "year").values * scale

    return f


#: The page's series, by key. Money in million CNY; counts in their own units.
SERIES: dict[str, Series] = {
    "outlay": Series("Outlay, all programmes", "million CNY", lambda m, yi: _model_outlay(m, yi),
                     _results_variable("outlay", 1e-6)),
    "station_outlay": Series("Outlay, hydrogen station programmes", "million CNY",
                             lambda m, yi: _model_outlay(m, yi, _station_ids(m.policy)),
                             _results_variable("outlay", 1e-6, stations_only=True)),
    "unpaid": Series("Claims waiting at year end", "million CNY",
                     lambda m, yi: float(m.ledger.unpaid[yi].sum() / 1e6), _results_variable("unpaid", 1e-6)),
    "stations_operating": Series("Hydrogen stations operating", "stations", _model_variable("stations_operating"),
                                 _results_variable("stations_operating")),
    "fcv_fleet": Series("Fuel-cell vehicle fleet", "vehicles", _model_variable("fcv_fleet"),
                        _results_variable("fcv_fleet")),
    "h2_price_mean": Series("Mean retail hydrogen price", "CNY/kg", _model_variable("h2_price_mean"),
                            _results_variable("h2_price_mean")),
    "firms_above_size": Series("Firms above designated size", "firms", _model_variable("firms_above_size"),
                               _results_variable("firms_above_size")),
}
_MODEL_VARIABLES = {"stations_operating", "fcv_fleet", "h2_price_mean", "firms_above_size"}


def main_supply_route(scenario) -> str | None:
    """The supply route of the largest weight (its median, for a drawn weight); None without hydrogen."""
    h = scenario.hydrogen
    if h is None or not h.enabled:
        return None
    from sim.scenario.parameters import param_median

    return max(h.supply.routes, key=lambda name: param_median(h.supply.routes[name].weight))


def _lever_overrides(loaded, operating_subsidy_cny_per_kg, price_cap_cny_per_kg, hydrogen_sunset_year,
                     share_of_cap_paid, main_route_ex_works_cny_per_kg=None) -> dict:
    """Scenario overrides for the levers that were set (None leaves the scenario's value)."""
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
    out: dict = {"instruments": over} if over else {}
    route = main_supply_route(loaded.scenario)
    if main_route_ex_works_cny_per_kg is not None and route is not None:
        price = float(main_route_ex_works_cny_per_kg)
        out["hydrogen"] = {"supply": {"routes": {route: {"ex_works_cny_per_kg": price}}}}
    return out


def _load_with_levers(path: Path, **levers) -> LoadedScenario:
    base = load_scenario(path)
    return load_scenario(path, _lever_overrides(base, **levers), "explore sliders")


def lever_defaults(scenario_path: str | Path) -> dict[str, Any]:
    """The sliders' starting values: the scenario's own, the middle of the range where it has none."""
    base = load_scenario(Path(scenario_path))
    subsidies, _ = _station_programs(base.policy, base.unclaimed)
    defaults: dict[str, Any] = {name: (lv.low + lv.high) / 2 for name, lv in LEVERS.items()}
    defaults["hydrogen_sunset_year"] = int(defaults["hydrogen_sunset_year"])
    defaults["draw"] = 0
    defaults["share_of_cap_paid"] = 1.0
    if subsidies:
        ins = subsidies[0].instrument
        defaults["operating_subsidy_cny_per_kg"] = ins.rate_cny_per_kg
        if ins.price_cap_cny_per_kg is not None:
            defaults["price_cap_cny_per_kg"] = ins.price_cap_cny_per_kg
        defaults["hydrogen_sunset_year"] = ins.valid_until.year
    route = main_supply_route(base.scenario)
    if route is not None and base.scenario.hydrogen is not None:
        from sim.scenario.parameters import param_median

        path = f"hydrogen.supply.routes.{route}.ex_works_cny_per_kg"
        median = param_median(base.scenario.hydrogen.supply.routes[route].ex_works_cny_per_kg)
        if base.scenario.calibration is not None:
            from sim.analysis.abc_smc import weighted_quantile
            from sim.engine.posterior import read_posterior
            from sim.input_files import held_inputs

            # A fitted price starts at its posterior median, which the scenario's draws follow.
            with held_inputs(base.inputs):
                sample = read_posterior(base.scenario.calibration.posterior_csv)
            if path in sample.names:
                median = weighted_quantile(sample.values[:, sample.names.index(path)], sample.weights, 0.5)
        defaults["main_route_ex_works_cny_per_kg"] = round(median)
    return defaults


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
    main_route_ex_works_cny_per_kg : float, optional
        Ex-works price of the supply route most stations use (:func:`main_supply_route`), fixed
        at this value in every draw.
    A lever left at None keeps the scenario's own value.
    draw : int
        Which draw of the ensemble to step.
    """

    def __init__(self, scenario_path: str | None = None, operating_subsidy_cny_per_kg: float | None = None,
                 price_cap_cny_per_kg: float | None = None, hydrogen_sunset_year: int | None = None,
                 share_of_cap_paid: float | None = None, main_route_ex_works_cny_per_kg: float | None = None,
                 draw: int = 0):
        path = Path(scenario_path or os.environ.get(SCENARIO_ENV, "scenarios/minimal.toml"))
        loaded = _load_with_levers(path, operating_subsidy_cny_per_kg=operating_subsidy_cny_per_kg,
                                   price_cap_cny_per_kg=price_cap_cny_per_kg,
                                   hydrogen_sunset_year=hydrogen_sunset_year, share_of_cap_paid=share_of_cap_paid,
                                   main_route_ex_works_cny_per_kg=main_route_ex_works_cny_per_kg)
        super().__init__(loaded.scenario, loaded.policy, int(draw))
        self.scenario_path = str(path)
        self.series = {key: s for key, s in SERIES.items()
                       if key not in _MODEL_VARIABLES or key in self.recorder.arrays}
        self.datacollector = mesa.DataCollector(model_reporters={
            s.title: (lambda m, s=s: s.of_model(m, m.steps - 1)) for s in self.series.values()
        })

    @property
    def at_horizon(self) -> bool:
        """Whether the last year of the horizon has been simulated."""
        return self.steps >= len(self.years)

    @property
    def year_done(self) -> int | None:
        """The last simulated year (None before the first step)."""
        return int(self.years[self.steps - 1]) if self.steps else None

    def step(self) -> None:
        """Simulate the next year (nothing once the horizon is done) and collect the series."""
        # Mesa counts the step before calling this method: past the horizon, take the count back.
        n_years = len(self.years)
        if int(self.steps) > n_years:
            self.steps: int = n_years
            self.running = False
            return
        super().step()
        self.datacollector.collect(self)
        if self.at_horizon:
            self.running = False


class ExploreSession:
    """What one browser session of the page owns: its model and its band, for its own levers.

    Parameters
    ----------
    scenario_path : str or Path
        The scenario file.

    Notes
    -----
    A lever change rebuilds the model and steps it back to the year the session had reached, so
    the plots show the new levers at once; the band is rerun for the new levers on request.
    """

    def __init__(self, scenario_path: str | Path):
        self.scenario_path = str(scenario_path)
        self.levers: dict[str, Any] = lever_defaults(scenario_path)
        base = load_scenario(Path(scenario_path))
        subsidies, grants = _station_programs(base.policy, base.unclaimed)
        #: Whether any station programme is claimed, i.e. whether the hydrogen levers change anything.
        self.station_levers_act = bool(subsidies or grants)
        self.model = self._build()
        #: The series shown, in order: those the scenario records (station outlay only with stations).
        self.series_keys = [k for k in self.model.series if k != "station_outlay" or self.station_levers_act]
        self._band_key: tuple | None = None
        self._band: xr.Dataset | None = None

    def _policy_levers(self) -> dict[str, Any]:
        return {k: v for k, v in self.levers.items() if k != "draw"}

    def _build(self) -> ExploreModel:
        return ExploreModel(self.scenario_path, **self.levers)

    @property
    def years(self) -> list[int]:
        """The horizon's years."""
        return [int(y) for y in self.model.years]

    def set_lever(self, name: str, value: Any) -> None:
        """Apply a lever now: rebuild the model and step it to the year already reached."""
        if name not in LEVERS:
            raise KeyError(name)
        lever = LEVERS[name]
        value = int(value) if lever.integer else float(value)
        if self.levers.get(name) == value:
            return
        self.levers[name] = value
        reached = self.model.steps
        self.model = self._build()
        for _ in range(reached):
            self.model.step()

    def step(self) -> None:
        """One more year (nothing at the horizon)."""
        self.model.step()

    def run_to_horizon(self) -> None:
        """Every remaining year."""
        while not self.model.at_horizon:
            self.model.step()

    def reset(self) -> None:
        """Back to before the first year, with the same levers."""
        self.model = self._build()

    def trajectory(self, key: str) -> tuple[list[int], list[float]]:
        """Years simulated so far and the series' value in each, for this session's draw."""
        s = self.model.series[key]
        values = [s.of_model(self.model, yi) for yi in range(self.model.steps)]
        return self.years[: self.model.steps], values

    def band(self, draws: int) -> xr.Dataset:
        """Results over draws 0..draws-1 with the session's levers (cached until a lever moves)."""
        from sim.engine.run import run_scenario

        key = (tuple(sorted(self._policy_levers().items())), int(draws))
        if self._band_key != key or self._band is None:
            loaded = _load_with_levers(Path(self.scenario_path), **self._policy_levers())
            self._band = run_scenario(loaded, draws=int(draws))
            self._band_key = key
        return self._band

    def band_of(self, key: str, draws: int) -> np.ndarray | None:
        """The series over (draw, year) from :meth:`band`; None where the scenario does not record it."""
        if key not in self.model.series:
            return None
        return SERIES[key].of_results(self.band(draws), _station_ids(self.model.policy))

    def horizon_message(self) -> str | None:
        """The words shown once the horizon is reached (None before)."""
        if not self.model.at_horizon:
            return None
        return (f"Reached the horizon: {self.years[-1]} is the last year of this scenario. "
                "Levers still apply to the years shown; Reset starts again from "
                f"{self.years[0]}.")


def _axes(fig, session: ExploreSession, series: Series):
    ax = fig.subplots()
    years = session.years
    ax.set_xlim(years[0] - 0.3, years[-1] + 0.3)
    ax.set_xticks(years)
    ax.set_xticklabels([str(y) for y in years], fontsize=8)
    ax.set_xlabel("year", fontsize=8)
    ax.set_ylabel(series.unit, fontsize=8)
    ax.set_title(series.label, fontsize=9)
    ax.tick_params(axis="y", labelsize=8)
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    return ax


def single_draw_figure(session: ExploreSession, key: str, ylim: tuple[float, float] | None = None):
    """The series of the session's draw over the years simulated so far (a matplotlib Figure).

    ``ylim`` (e.g. the band's) keeps the two views on one scale.
    """
    from matplotlib.figure import Figure

    series = session.model.series[key]
    fig = Figure(figsize=(5.2, 2.8), layout="constrained")
    ax = _axes(fig, session, series)
    years, values = session.trajectory(key)
    if years:
        ax.plot(years, values, "o-", color="tab:blue", label=f"draw {session.model.draw}")
        ax.legend(fontsize=7, loc="best", frameon=False)
    else:
        ax.text(0.5, 0.5, f"Step to simulate {session.years[0]}", transform=ax.transAxes, ha="center",
                va="center", fontsize=9, color="grey")
    if ylim is not None:
        low, high = ax.get_ylim() if years else ylim
        ax.set_ylim(min(low, ylim[0]), max(high, ylim[1]))
    return fig


def band_figure(session: ExploreSession, key: str, draws: int):
    """The series over ``draws`` draws (median, P25-P75, P5-P95) with the session's draw drawn on top."""
    from matplotlib.figure import Figure

    series = session.model.series[key]
    fig = Figure(figsize=(5.2, 2.8), layout="constrained")
    ax = _axes(fig, session, series)
    values = session.band_of(key, draws)
    if values is not None:
        years = session.years
        q = np.nanquantile(values, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        ax.fill_between(years, q[0], q[4], alpha=0.15, color="tab:orange", linewidth=0, label="P5–P95")
        ax.fill_between(years, q[1], q[3], alpha=0.35, color="tab:orange", linewidth=0, label="P25–P75")
        ax.plot(years, q[2], color="tab:orange", label=f"median of {draws} draws")
        done, mine = session.trajectory(key)
        if done:
            ax.plot(done, mine, "o-", color="tab:blue", markersize=3, linewidth=1, label=f"draw {session.model.draw}")
        low, high = ax.get_ylim()
        if low < 0 <= np.nanmin(values, initial=0.0):  # a flat zero: an axis from 0, not from -0.04
            ax.set_ylim(0, max(high, 1.0))
        ax.legend(fontsize=7, loc="best", frameon=False)
    return fig


def figure_pair(session: ExploreSession, key: str, draws: int):
    """The single-draw and the band figure of one series, on the same vertical scale."""
    band = band_figure(session, key, draws)
    ylim = band.axes[0].get_ylim()
    return single_draw_figure(session, key, ylim), band
