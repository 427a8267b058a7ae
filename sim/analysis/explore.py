"""``sim explore``: a scenario stepped year by year in a Solara page, with sliders for the levers.

:class:`ExploreModel` is the ordinary :class:`~sim.runner.model.PolicyModel` of one draw, built
from the scenario with the sliders' values written over it as overrides (the same mechanism as an
alternative scenario file), plus a Mesa ``DataCollector`` of the page's series. :class:`ExploreSession`
is what one browser session owns: its model, rebuilt when a lever moves and stepped back to the
year the user had reached, and the band of the same levers over several draws. The charts are
ECharts options (:func:`chart_options`), drawn by the browser with its own fonts, so Chinese
captions need no font on the server. The settings travel in the page's link
(:meth:`ExploreSession.link_query`, :func:`read_link`). The page itself lives in
:mod:`sim.analysis.explore_app`; everything here runs without a browser.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import xarray as xr

from sim.analysis.explore_text import LANGUAGES, route_name, text, unit
from sim.runner.model import PolicyModel
from sim.scenario.loader import LoadedScenario, load_scenario

__all__ = ["BAND_DRAWS", "ExploreModel", "ExploreSession", "LANG_ENV", "LEVERS", "Lever", "LinkSettings",
           "LinkProblem", "SCENARIO_ENV", "SERIES", "Series", "chart_options", "lever_defaults", "read_link",
           "supply_levers"]

#: Environment variable through which ``sim explore`` tells the page which scenario to load.
SCENARIO_ENV = "SIM_EXPLORE_SCENARIO"
#: Environment variable through which ``sim explore --lang`` gives the page's first language.
LANG_ENV = "SIM_EXPLORE_LANG"
#: Draws in the band view: the slider's range and its start (the scenario's own count when smaller).
BAND_DRAWS = (5, 100, 20)
#: Prefix of the supply-price levers' names: ``ex_works_cny_per_kg.<route>``.
SUPPLY_PREFIX = "ex_works_cny_per_kg."
#: Range and step of the supply-price sliders, CNY/kg; a route whose median is higher gets a wider range.
SUPPLY_PRICE_RANGE = (5.0, 60.0, 1.0)


def _station_programs(policy, unclaimed=()) -> tuple[list, list]:
    """The capped per-kg subsidies and the grants to stations in force and claimed (the levers act on these)."""
    subsidies = [p for p in policy.of_kind("unit_subsidy", "station")
                 if p.instrument.price_cap_cny_per_kg is not None and p.id not in unclaimed]
    return subsidies, [p for p in policy.of_kind("tiered_grant", "station") if p.id not in unclaimed]


@dataclass(frozen=True)
class Lever:
    """A slider of the page: what it sets, in which unit, over which range.

    ``name`` is the caption's key in :mod:`sim.analysis.explore_text`; a supply-price lever
    carries its ``route`` instead, named in the caption.
    """

    name: str
    unit: str
    low: float
    high: float
    step: float
    integer: bool = False
    route: str | None = None
    #: A supply route's median price in the scenario: where its slider sits while the price is left as drawn.
    median: float | None = None

    def label(self, lang: str = "en") -> str:
        """The lever's name in ``lang``."""
        if self.route is not None:
            return text("ex_works", lang, route=route_name(self.route, lang))
        return text(self.name, lang)

    def shown(self, value: float | None, lang: str = "en") -> str:
        """The slider's caption with its value and unit, e.g. ``Operating subsidy: 10 CNY/kg``.

        None (a supply price not set) reads ``as drawn, median ...``.
        """
        colon = "：" if lang == "zh" else ": "
        if value is None:
            return f"{self.label(lang)}{colon}{text('as_drawn', lang, median=f'{self.median:.3g}', unit=unit(self.unit, lang))}"
        if self.integer:
            number = f"{int(value)}"
        elif self.unit == "share":
            number = f"{value:.0%}"
        else:
            number = f"{value:g}"
        shown_unit = "" if self.unit in ("share", "") else f" {unit(self.unit, lang)}"
        return f"{self.label(lang)}{colon}{number}{shown_unit}"

    def on_step(self, value: float) -> float:
        """The slider's step nearest to ``value`` within its range."""
        steps = math.floor((min(max(value, self.low), self.high) - self.low) / self.step + 0.5)
        return self.low + steps * self.step

    def parse(self, raw: str) -> float | int:
        """A value of this lever from a link's text.

        Raises
        ------
        ValueError
            ``not_a_number`` or ``out_of_range`` (keys of the page's messages): not a finite
            number, or outside ``low``-``high``, or off the slider's steps.
        """
        try:
            value = float(raw)
        except ValueError:
            raise ValueError("not_a_number") from None
        if not math.isfinite(value):
            raise ValueError("not_a_number")
        steps = (value - self.low) / self.step
        if not self.low - 1e-9 <= value <= self.high + 1e-9 or abs(steps - round(steps)) > 1e-6:
            raise ValueError("out_of_range")
        return int(round(value)) if self.integer else value


#: The policy levers and the draw, by the keyword of :class:`ExploreModel` they set. Defaults come
#: from the scenario; the supply-price levers depend on the scenario's routes (:func:`supply_levers`).
LEVERS: dict[str, Lever] = {
    "operating_subsidy_cny_per_kg": Lever("operating_subsidy_cny_per_kg", "CNY/kg", 0.0, 30.0, 1.0),
    "price_cap_cny_per_kg": Lever("price_cap_cny_per_kg", "CNY/kg", 15.0, 60.0, 1.0),
    "hydrogen_sunset_year": Lever("hydrogen_sunset_year", "", 2022, 2035, 1, integer=True),
    "share_of_cap_paid": Lever("share_of_cap_paid", "share", 0.0, 1.0, 0.05),
    "draw": Lever("draw", "", 0, 99, 1, integer=True),
}


def _route_medians(scenario) -> dict[str, float]:
    """Each supply route's median ex-works price, CNY/kg, in the scenario's order (empty without hydrogen)."""
    h = scenario.hydrogen
    if h is None or not h.enabled:
        return {}
    from sim.scenario.parameters import param_median

    return {name: param_median(route.ex_works_cny_per_kg) for name, route in h.supply.routes.items()}


def supply_levers(scenario) -> dict[str, Lever]:
    """A slider for the ex-works price of each supply route of ``scenario`` (none without hydrogen).

    Named ``ex_works_cny_per_kg.<route>``; the range is :data:`SUPPLY_PRICE_RANGE`, widened to
    twice the median of a route that costs more.
    """
    low, high, step = SUPPLY_PRICE_RANGE
    return {f"{SUPPLY_PREFIX}{route}": Lever("ex_works", "CNY/kg", low, max(high, 10.0 * math.ceil(median / 5.0)),
                                             step, route=route, median=median)
            for route, median in _route_medians(scenario).items()}


@dataclass(frozen=True)
class Series:
    """A plotted series: its caption key and unit, and how to read it off a model and off results."""

    key: str
    unit: str
    of_model: Callable[[ExploreModel, int], float]
    of_results: Callable[[xr.Dataset, list[str]], np.ndarray | None]

    def label(self, lang: str = "en") -> str:
        """The series' name in ``lang``."""
        return text(self.key, lang)

    @property
    def title(self) -> str:
        """``label (unit)`` in English, the column of the model's ``DataCollector``."""
        return f"{self.label()} ({self.unit})"


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
    "outlay": Series("outlay", "million CNY", lambda m, yi: _model_outlay(m, yi), _results_variable("outlay", 1e-6)),
    "station_outlay": Series("station_outlay", "million CNY",
                             lambda m, yi: _model_outlay(m, yi, _station_ids(m.policy)),
                             _results_variable("outlay", 1e-6, stations_only=True)),
    "unpaid": Series("unpaid", "million CNY", lambda m, yi: float(m.ledger.unpaid[yi].sum() / 1e6),
                     _results_variable("unpaid", 1e-6)),
    "stations_operating": Series("stations_operating", "stations", _model_variable("stations_operating"),
                                 _results_variable("stations_operating")),
    "fcv_fleet": Series("fcv_fleet", "vehicles", _model_variable("fcv_fleet"), _results_variable("fcv_fleet")),
    "h2_price_mean": Series("h2_price_mean", "CNY/kg", _model_variable("h2_price_mean"),
                            _results_variable("h2_price_mean")),
    "firms_above_size": Series("firms_above_size", "firms", _model_variable("firms_above_size"),
                               _results_variable("firms_above_size")),
}
_MODEL_VARIABLES = {"stations_operating", "fcv_fleet", "h2_price_mean", "firms_above_size"}


def _lever_overrides(loaded, operating_subsidy_cny_per_kg=None, price_cap_cny_per_kg=None,
                     hydrogen_sunset_year=None, share_of_cap_paid=None,
                     ex_works_cny_per_kg: Mapping[str, float] | None = None) -> dict:
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
    if ex_works_cny_per_kg:
        known = _route_medians(loaded.scenario)
        unknown = sorted(set(ex_works_cny_per_kg) - set(known))
        if unknown:
            raise ValueError(f"no supply route {', '.join(unknown)} in this scenario (routes: "
                             f"{', '.join(known) or 'none'})")
        out["hydrogen"] = {"supply": {"routes": {route: {"ex_works_cny_per_kg": float(price)}
                                                 for route, price in ex_works_cny_per_kg.items()}}}
    return out


def _load_with_levers(path: Path, **levers) -> LoadedScenario:
    base = load_scenario(path)
    return load_scenario(path, _lever_overrides(base, **levers), "explore sliders")


def lever_defaults(scenario_path: str | Path) -> dict[str, Any]:
    """The sliders' starting values: the scenario's own, the middle of the range where it has none.

    The supply prices start at None: each draw keeps the price the scenario draws for it (a
    slider fixes it in every draw only once moved).
    """
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
    for name in supply_levers(base.scenario):
        defaults[name] = None
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
    ex_works_cny_per_kg : mapping of str to float, optional
        Ex-works price, CNY/kg, of supply routes by name (``[hydrogen.supply.routes.<name>]``),
        fixed at this value in every draw; routes not named keep the scenario's price.
    A lever left at None keeps the scenario's own value.
    draw : int
        Which draw of the ensemble to step.
    """

    def __init__(self, scenario_path: str | None = None, operating_subsidy_cny_per_kg: float | None = None,
                 price_cap_cny_per_kg: float | None = None, hydrogen_sunset_year: int | None = None,
                 share_of_cap_paid: float | None = None, ex_works_cny_per_kg: Mapping[str, float] | None = None,
                 draw: int = 0):
        path = Path(scenario_path or os.environ.get(SCENARIO_ENV, "scenarios/minimal.toml"))
        loaded = _load_with_levers(path, operating_subsidy_cny_per_kg=operating_subsidy_cny_per_kg,
                                   price_cap_cny_per_kg=price_cap_cny_per_kg,
                                   hydrogen_sunset_year=hydrogen_sunset_year, share_of_cap_paid=share_of_cap_paid,
                                   ex_works_cny_per_kg=ex_works_cny_per_kg)
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


@dataclass(frozen=True)
class LinkProblem:
    """A setting of a link that the page ignored: its key and text, and why (a message key and its fields)."""

    key: str
    value: str
    why: str
    fields: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        """The one line the page shows, e.g. ``Ignored from the link: draw=x (not a number)``."""
        return text("ignored", lang, key=self.key, value=self.value, why=text(self.why, lang, **self.fields))


@dataclass
class LinkSettings:
    """What a link's query string sets: levers, the band's draws and the language (None where it says nothing)."""

    levers: dict[str, float | int] = field(default_factory=dict)
    band_draws: int | None = None
    lang: str | None = None
    problems: list[LinkProblem] = field(default_factory=list)


def _band_lever() -> Lever:
    low, high, _ = BAND_DRAWS
    return Lever("band_draws", "", low, high, 1, integer=True)


def read_link(search: str | None, levers: Mapping[str, Lever]) -> LinkSettings:
    """The settings in a link's query string (``a=1&b=2``, as :meth:`ExploreSession.link_query` writes it).

    Every key is a lever of ``levers``, ``band`` (draws in the band) or ``lang``; a key that is none
    of these, or a value that is not allowed, is left out and listed in ``problems`` (the page says
    so) rather than stopping the page. The last value of a key given twice counts.
    """
    out = LinkSettings()
    band = _band_lever()
    for key, raw in urllib.parse.parse_qsl(search or "", keep_blank_values=True):
        if key == "lang":
            if raw in LANGUAGES:
                out.lang = raw
            else:
                out.problems.append(LinkProblem(key, raw, "not_a_language", {"allowed": ", ".join(LANGUAGES)}))
            continue
        lever = band if key == "band" else levers.get(key)
        if lever is None:
            out.problems.append(LinkProblem(key, raw, "not_a_lever"))
            continue
        try:
            value = lever.parse(raw)
        except ValueError as exc:
            fields = {"low": f"{lever.low:g}", "high": f"{lever.high:g}", "step": f"{lever.step:g}"}
            out.problems.append(LinkProblem(key, raw, str(exc), fields))
            continue
        if key == "band":
            out.band_draws = int(value)
        else:
            out.levers[key] = value
    return out


def _link_value(lever: Lever, value: float) -> str:
    return str(int(value)) if lever.integer else f"{value:g}"


class ExploreSession:
    """What one browser session of the page owns: its model and its band, for its own levers.

    Parameters
    ----------
    scenario_path : str or Path
        The scenario file.
    levers : mapping, optional
        Starting values of some levers (e.g. from a link, :func:`read_link`); the others start
        at :func:`lever_defaults`.

    Notes
    -----
    A lever change rebuilds the model and steps it back to the year the session had reached, so
    the plots show the new levers at once; the band is rerun for the new levers on request.
    """

    def __init__(self, scenario_path: str | Path, levers: Mapping[str, float | int] | None = None):
        self.scenario_path = str(scenario_path)
        base = load_scenario(Path(scenario_path))
        #: The sliders of this scenario, in the page's order: policy, supply prices, then the draw.
        self.lever_specs: dict[str, Lever] = {
            **{k: v for k, v in LEVERS.items() if k != "draw"}, **supply_levers(base.scenario), "draw": LEVERS["draw"]}
        self.levers: dict[str, Any] = lever_defaults(scenario_path)
        for name, value in (levers or {}).items():
            if name not in self.lever_specs:
                raise KeyError(name)
            self.levers[name] = value
        subsidies, grants = _station_programs(base.policy, base.unclaimed)
        #: Whether any station programme is claimed, i.e. whether the hydrogen levers change anything.
        self.station_levers_act = bool(subsidies or grants)
        self.model = self._build()
        #: The series shown, in order: those the scenario records (station outlay only with stations).
        self.series_keys = [k for k in self.model.series if k != "station_outlay" or self.station_levers_act]
        self._band_key: tuple | None = None
        self._band: xr.Dataset | None = None

    @property
    def policy_levers(self) -> list[str]:
        """The names of the policy sliders (not the supply prices, not the draw)."""
        return [k for k, v in self.lever_specs.items() if v.route is None and k != "draw"]

    @property
    def supply_levers(self) -> list[str]:
        """The names of the supply-price sliders, one per route."""
        return [k for k, v in self.lever_specs.items() if v.route is not None]

    def _model_levers(self, with_draw: bool = True) -> dict[str, Any]:
        kwargs: dict[str, Any] = {k: v for k, v in self.levers.items()
                                  if not k.startswith(SUPPLY_PREFIX) and (with_draw or k != "draw")}
        routes = {k[len(SUPPLY_PREFIX):]: v for k, v in self.levers.items()
                  if k.startswith(SUPPLY_PREFIX) and v is not None}
        if routes:
            kwargs["ex_works_cny_per_kg"] = routes
        return kwargs

    def _build(self) -> ExploreModel:
        return ExploreModel(self.scenario_path, **self._model_levers())

    @property
    def years(self) -> list[int]:
        """The horizon's years."""
        return [int(y) for y in self.model.years]

    def set_lever(self, name: str, value: Any) -> None:
        """Apply a lever now: rebuild the model and step it to the year already reached.

        None gives a supply price back to the scenario (drawn again in each draw).
        """
        if name not in self.lever_specs:
            raise KeyError(name)
        lever = self.lever_specs[name]
        if value is None and lever.route is None:
            raise ValueError(f"{name}: only a supply price can be left to the scenario")
        if value is not None:
            value = int(value) if lever.integer else float(value)
        if self.levers.get(name) == value:
            return
        self.levers[name] = value
        reached = self.model.steps
        self.model = self._build()
        for _ in range(reached):
            self.model.step()

    def link_query(self, band_draws: int, lang: str) -> str:
        """The query string of a link that opens the page with these levers, band and language.

        A supply price left to the scenario is left out (the link leaves it to the scenario too).
        """
        pairs = [(name, _link_value(lever, self.levers[name])) for name, lever in self.lever_specs.items()
                 if self.levers[name] is not None]
        pairs += [("band", str(int(band_draws))), ("lang", lang)]
        return urllib.parse.urlencode(pairs)

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
        from sim.runner.run import run_scenario

        policy = self._model_levers(with_draw=False)
        key = (repr(sorted(policy.items())), int(draws))
        if self._band_key != key or self._band is None:
            loaded = _load_with_levers(Path(self.scenario_path), **policy)
            self._band = run_scenario(loaded, draws=int(draws))
            self._band_key = key
        return self._band

    def band_of(self, key: str, draws: int) -> np.ndarray | None:
        """The series over (draw, year) from :meth:`band`; None where the scenario does not record it."""
        if key not in self.model.series:
            return None
        return SERIES[key].of_results(self.band(draws), _station_ids(self.model.policy))

    def horizon_message(self, lang: str = "en") -> str | None:
        """The words shown once the horizon is reached (None before)."""
        if not self.model.at_horizon:
            return None
        return text("horizon", lang, last=self.years[-1], first=self.years[0])


def _json_number(value: float) -> float | None:
    """A value for the browser: four significant figures, None (a gap) for NaN (JSON has no NaN)."""
    if not math.isfinite(value):
        return None
    return float(f"{value:.4g}")


def _value_axis(low: float, high: float) -> dict[str, float]:
    """Bounds and interval of a vertical axis over ``low``-``high`` on round numbers (matplotlib's locator)."""
    from matplotlib.ticker import MaxNLocator

    if not high > low:  # a flat series: one unit around it, from 0 when it is 0
        low, high = min(low, 0.0), max(high, low + 1.0)
    ticks = MaxNLocator(nbins=5).tick_values(low, high)
    return {"min": float(ticks[0]), "max": float(ticks[-1]), "interval": float(ticks[1] - ticks[0])}


def _base_option(session: ExploreSession, series: Series, lang: str, axis: dict[str, float]) -> dict[str, Any]:
    return {
        "animation": False,
        "title": {"text": series.label(lang), "left": "center", "textStyle": {"fontSize": 14}},
        "grid": {"left": 8, "right": 28, "top": 56, "bottom": 56, "containLabel": True},
        "legend": {"bottom": 0, "itemWidth": 16, "textStyle": {"fontSize": 11}},
        "tooltip": {"trigger": "item"},
        "xAxis": {"type": "category", "data": [str(y) for y in session.years], "name": text("year_axis", lang),
                  "nameLocation": "middle", "nameGap": 26, "boundaryGap": False},
        "yAxis": {"type": "value", "name": unit(series.unit, lang), "nameTextStyle": {"align": "left"}, **axis},
        "series": [],
    }


def chart_options(session: ExploreSession, key: str, draws: int, lang: str = "en") -> tuple[dict, dict]:
    """The two charts of one series as ECharts options: the session's draw so far, and the band.

    The band is the median, P25-P75 and P5-P95 over ``draws`` draws with the session's draw on
    top; both charts share one vertical scale. Captions are in ``lang``.
    """
    series = session.model.series[key]
    years = session.years
    done, mine = session.trajectory(key)
    values = session.band_of(key, draws)
    pool = [v for v in mine if math.isfinite(v)]
    if values is not None and np.isfinite(values).any():
        pool += [float(np.nanmin(values)), float(np.nanmax(values))]
    low, high = (min(pool), max(pool)) if pool else (0.0, 1.0)
    axis = _value_axis(min(low, 0.0) if low >= 0 and low < 0.2 * high else low, high)
    draw_name = text("draw_n", lang, draw=session.model.draw)
    mine_full = [_json_number(v) for v in mine] + [None] * (len(years) - len(mine))
    draw_line = {"name": draw_name, "type": "line", "data": mine_full, "color": "#1f77b4", "symbolSize": 6, "z": 5}

    single = _base_option(session, series, lang, axis)
    if done:
        single["series"] = [draw_line]
    else:
        single["legend"] = {"show": False}
        single["graphic"] = [{"type": "text", "left": "center", "top": "middle",
                              "style": {"text": text("step_to_simulate", lang, year=years[0]), "fill": "#888",
                                        "fontSize": 13}}]
        # An empty series keeps the axes drawn.
        single["series"] = [{"type": "line", "data": [None] * len(years), "silent": True}]

    band = _base_option(session, series, lang, axis)
    if values is not None:
        q = np.nanquantile(values, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        orange = "#ff7f0e"

        def base_line(stack: str, data) -> dict:
            # The lower edge of a band, drawn invisibly; the band itself is stacked on top of it.
            return {"type": "line", "stack": stack, "data": [_json_number(v) for v in data], "symbol": "none",
                    "lineStyle": {"opacity": 0}, "silent": True, "tooltip": {"show": False}}

        def width(name: str, stack: str, top, bottom, opacity: float) -> dict:
            return {"name": name, "type": "line", "stack": stack, "symbol": "none", "silent": True,
                    "data": [_json_number(t - b) for t, b in zip(top, bottom, strict=True)],
                    "lineStyle": {"opacity": 0}, "areaStyle": {"color": orange, "opacity": opacity},
                    "color": orange, "tooltip": {"show": False}}

        band["series"] = [
            base_line("p90", q[0]), width("P5–P95", "p90", q[4], q[0], 0.18),
            base_line("p50", q[1]), width("P25–P75", "p50", q[3], q[1], 0.4),
            {"name": text("median", lang, n=draws), "type": "line", "data": [_json_number(v) for v in q[2]],
             "color": orange, "symbolSize": 4},
        ]
        if done:
            band["series"].append({**draw_line, "symbolSize": 4})
    return single, band
