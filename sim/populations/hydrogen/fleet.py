"""The fuel-cell vehicle fleet: stock by segment and district, adoption, hydrogen demand.

Each year, per segment, operators compare the total cost of ownership (TCO) of a fuel-cell
vehicle with that of the diesel vehicle it would replace: the vehicle's annualised price (the
fuel-cell premium falls along a path; vehicle rewards, where the scenario sets them, lower it) plus
fuel (expected hydrogen price x kg/100 km against diesel price x L/100 km). The share of the
segment's yearly replacement market that chooses fuel cells is logistic in the relative TCO gap,
and in each district it is scaled by station coverage there: no station, no trucks (the
chicken-and-egg loop); no fleet buys on the market while the expected hydrogen price is above
what it is willing to pay (diesel parity times a premium). Planned demonstration deployments come
on top, placed by district weight whether or not a station is near (their unserved demand is
reported). The stock is kept by vehicle age; vehicles retire at the end of their life. The year's
demand is the average stock of the year times each vehicle's kg a year.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.populations.hydrogen.station_kernels import capital_recovery_factor

__all__ = ["tco_cny_per_year", "adoption_share", "fleet_year", "coverage_by_district", "Fleet"]


@njit(cache=True)
def tco_cny_per_year(
    vehicle_cny: float, life_years: float, discount_rate: float, km_per_year: float, fuel_cny_per_km: float
) -> float:
    """Total cost of ownership a year: annualised vehicle price plus fuel, CNY."""
    return vehicle_cny * capital_recovery_factor(discount_rate, life_years) + km_per_year * fuel_cny_per_km


@njit(cache=True)
def adoption_share(tco_fcv_cny: float, tco_diesel_cny: float, max_share: float, scale: float) -> float:
    """Share of a segment's replacements that go fuel-cell: ``max / (1 + exp(gap / scale))``.

    ``gap`` is the fuel-cell TCO's excess over diesel relative to diesel: half the maximum share
    adopts at parity, almost none when the gap is several scales wide.
    """
    if tco_diesel_cny <= 0.0 or scale <= 0.0:
        return 0.0
    gap = (tco_fcv_cny - tco_diesel_cny) / tco_diesel_cny
    z = gap / scale
    if z > 50.0:
        return 0.0
    return max_share / (1.0 + math.exp(z))


@njit(cache=True)
def coverage_by_district(stations_by_district: np.ndarray, stations_for_full: float, cross_weight: float) -> np.ndarray:
    """Station coverage of each district in [0, 1]: own stations plus a weight on the city's others."""
    total = stations_by_district.sum()
    out = np.empty(stations_by_district.shape[0])
    for d in range(out.shape[0]):
        eff = stations_by_district[d] + cross_weight * (total - stations_by_district[d])
        out[d] = min(1.0, eff / stations_for_full)
    return out


@njit(cache=True)
def fleet_year(
    stock_by_age: np.ndarray,
    share_by_segment: np.ndarray,
    market_by_segment: np.ndarray,
    coverage: np.ndarray,
    district_weight: np.ndarray,
    demonstration_by_segment: np.ndarray,
    kg_per_vehicle_year: np.ndarray,
    retire: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Advance the stock one year by vehicle age; return (new stock, vehicles added by segment, kg by district).

    A vehicle of age ``a`` (full years in service) at the start of the year is ``a + 1`` at its
    end; vehicles reaching the last age class (the vehicle life) retire during the year when
    `retire` is set, and stay in that class otherwise. Vehicles added in the year are age 0.

    Parameters
    ----------
    stock_by_age : ndarray, shape (n_segments, n_districts, n_ages)
        Vehicles at the start of the year by age; ``n_ages`` is the vehicle life in years.
    share_by_segment, market_by_segment : ndarray, shape (n_segments,)
        Fuel-cell share of replacements and the replacement market (vehicles a year).
    coverage, district_weight : ndarray, shape (n_districts,)
        Station coverage in [0, 1] and each district's share of the segment's vehicles.
    demonstration_by_segment : ndarray, shape (n_segments,)
        Demonstration vehicles deployed this year.
    kg_per_vehicle_year : ndarray, shape (n_segments,)
        Hydrogen a vehicle uses in a year, kg.
    retire : bool
        Whether vehicles retire at the end of their life.

    Returns
    -------
    new_stock : ndarray, shape (n_segments, n_districts, n_ages)
    added : ndarray, shape (n_segments,)
    demand_kg : ndarray, shape (n_districts,)
        Hydrogen demanded: the year's mean stock (start and end) times kg a vehicle-year.
    """
    n_s, n_d, n_a = stock_by_age.shape
    new = np.zeros_like(stock_by_age)
    added = np.zeros(n_s)
    demand = np.zeros(n_d)
    for s in range(n_s):
        for d in range(n_d):
            add = (
                market_by_segment[s] * share_by_segment[s] * coverage[d] * district_weight[d]
                + demonstration_by_segment[s] * district_weight[d]
            )
            start_total = 0.0
            for a in range(n_a):
                start_total += stock_by_age[s, d, a]
            for a in range(n_a - 1, 0, -1):
                new[s, d, a] = stock_by_age[s, d, a - 1]
            if not retire:
                new[s, d, n_a - 1] += stock_by_age[s, d, n_a - 1]
            new[s, d, 0] += add
            end_total = 0.0
            for a in range(n_a):
                end_total += new[s, d, a]
            added[s] += add
            demand[d] += 0.5 * (start_total + end_total) * kg_per_vehicle_year[s]
    return new, added, demand


class Fleet:
    """The fuel-cell fleet of one draw (arrays by segment and district).

    Parameters
    ----------
    model : PolicyModel
        The draw's model (for its parameters).
    config : FleetConfig
        The scenario's ``[hydrogen.fleet]`` table.
    district_weight : ndarray
        Share of each district in the fleet's base (sums to 1).
    reward_cny_per_vehicle : float
        Vehicle reward that lowers the fuel-cell vehicle's price (from the instrument, or 0).
    """

    def __init__(self, model, config, district_weight: np.ndarray, reward_cny_per_vehicle: float):
        self.config = config
        self.segments = list(config.segments)
        self.district_weight = district_weight
        self.reward_cny_per_vehicle = reward_cny_per_vehicle
        base = "hydrogen.fleet"
        p = lambda name, v: model.param(f"{base}.{name}", v)  # noqa: E731
        self.diesel_price_cny_per_l = p("diesel_price_cny_per_l", config.diesel_price_cny_per_l)
        self.willingness_over_parity = p("willingness_over_parity", config.willingness_over_parity)
        self.demo_share_realised = p("demonstration_realisation_share", config.demonstration_realisation_share)
        self.cross_supply_share = p("cross_district_supply_share", config.cross_district_supply_share)
        seg = {}
        for name in ("kg_per_100km", "km_per_year", "diesel_l_per_100km", "replacement_market_per_year",
                     "max_adoption_share", "tco_scale", "fcv_premium_cny", "premium_change_per_year"):
            seg[name] = np.array(
                [model.param(f"{base}.segments.{s}.{name}", getattr(c, name)) for s, c in config.segments.items()]
            )
        self.seg = seg
        self.kg_per_vehicle_year = seg["kg_per_100km"] * seg["km_per_year"] / 100.0
        init = np.array([c.initial_vehicles for c in config.segments.values()])
        # The fleet at the start is spread evenly over its first ages (it is young: Beijing's
        # demonstration fleet was deployed from 2019), never beyond the vehicle life.
        life = config.vehicle_life_years
        ages = max(1, min(config.initial_vehicle_ages_years, life))
        self.stock_by_age = np.zeros((len(init), len(district_weight), life))
        self.stock_by_age[:, :, :ages] = np.outer(init, district_weight)[:, :, None] / ages
        self._summed: np.ndarray | None = None
        self._stock_sums: tuple[np.ndarray, float] = (np.zeros((0, 0)), 0.0)
        self.demo_share = np.array([c.demonstration_share for c in config.segments.values()])
        self.diesel_vehicle_cny = np.array([c.diesel_vehicle_cny for c in config.segments.values()])
        self.first_year = model.years[0]
        # What does not change over the draw's years, worked out once: diesel parity per kg and
        # the diesel vehicle's TCO by segment.
        self.parity_cny_per_kg = self.diesel_price_cny_per_l * seg["diesel_l_per_100km"] / seg["kg_per_100km"]
        self.tco_diesel_cny = [
            tco_cny_per_year(self.diesel_vehicle_cny[s], config.vehicle_life_years, config.discount_rate,
                             seg["km_per_year"][s], self.diesel_price_cny_per_l * seg["diesel_l_per_100km"][s] / 100.0)
            for s in range(len(self.segments))
        ]

    def _sums(self) -> tuple[np.ndarray, float]:
        # The stock is read several times a year (adoption, investors, results) and replaced once
        # a year by `step` (never changed in place): summed once per stock.
        if self._summed is not self.stock_by_age:
            self._stock_sums = (self.stock_by_age.sum(axis=2), float(self.stock_by_age.sum()))
            self._summed = self.stock_by_age
        return self._stock_sums

    @property
    def stock(self) -> np.ndarray:
        """Vehicles by segment and district now (all ages); not to be written to."""
        return self._sums()[0]

    @property
    def vehicles(self) -> float:
        """Vehicles in the fleet now."""
        return self._sums()[1]

    def willingness_cny_per_kg(self) -> float:
        """Price per kg fleets will pay: diesel fuel-cost parity, kg-weighted over segments, times the premium."""
        parity = self.parity_cny_per_kg
        use = self.stock.sum(axis=1) * self.kg_per_vehicle_year
        w = use / use.sum() if use.sum() > 0 else np.full(len(parity), 1.0 / len(parity))
        return float((parity * w).sum() * self.willingness_over_parity)

    def adoption_shares(self, year: int, h2_price_cny_per_kg: float) -> np.ndarray:
        """Fuel-cell share of each segment's replacements at the expected hydrogen price."""
        cfg, seg = self.config, self.seg
        out = np.zeros(len(self.segments))
        if not cfg.adoption:
            return out
        # Fleets do not buy vehicles whose fuel costs more than they are willing to pay: the
        # willingness limits demand, the stations' costs set the price.
        if h2_price_cny_per_kg > self.willingness_cny_per_kg():
            return out
        t = year - self.first_year
        for s in range(len(self.segments)):
            premium = seg["fcv_premium_cny"][s] * (1.0 + seg["premium_change_per_year"][s]) ** t
            fcv_price = max(0.0, self.diesel_vehicle_cny[s] + premium - self.reward_cny_per_vehicle)
            tco_fcv = tco_cny_per_year(fcv_price, cfg.vehicle_life_years, cfg.discount_rate, seg["km_per_year"][s],
                                       h2_price_cny_per_kg * seg["kg_per_100km"][s] / 100.0)
            out[s] = adoption_share(tco_fcv, self.tco_diesel_cny[s], seg["max_adoption_share"][s], seg["tco_scale"][s])
        return out

    def step(self, year: int, coverage: np.ndarray, h2_price_cny_per_kg: float) -> tuple[np.ndarray, np.ndarray]:
        """Advance the fleet one year; return (kg demanded by district, vehicles added by segment)."""
        cfg = self.config
        shares = self.adoption_shares(year, h2_price_cny_per_kg)
        demo_total = cfg.demonstration_by_year.get(str(year), 0.0) * self.demo_share_realised
        demo = demo_total * self.demo_share
        market = self.seg["replacement_market_per_year"] if cfg.adoption else np.zeros(len(self.segments))
        self.stock_by_age, added, demand = fleet_year(
            self.stock_by_age, shares, market, coverage, self.district_weight, demo, self.kg_per_vehicle_year,
            cfg.retirement,
        )
        return demand, added
