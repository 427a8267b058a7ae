"""Hydrogen supply of the refuelling stations: each station buys by a route at its own price.

A route (``[hydrogen.supply.routes.<name>]``) is a way hydrogen reaches a station: refinery or
by-product hydrogen, coal or SMR hydrogen of merchant plants, electrolytic hydrogen trucked in,
or hydrogen made on site. Each draw draws every route's weight, ex-works price and yearly change
once; each station then gets a route (by the weights, or named in the stations CSV), its own
price on that route (the route's price times a lognormal deviation of mean one: stations sign
different contracts) and a haul drawn in the route's distance range (none on site). The price a
station pays at its gate in year ``t`` of the horizon is::

    ex_works_station x (1 + change_route) ** t  +  trailer_fixed + trailer_per_km x distance

where the trailer terms apply to tube-trailer routes only.
"""

from __future__ import annotations

import numpy as np

from sim.core.rng import normal_at, uniforms_at
from sim.populations.hydrogen.streams import STATION, STATION_DRAWS

__all__ = ["SupplyRoutes"]

_DRAW_ROUTE, _DRAW_PRICE = STATION_DRAWS["route"], STATION_DRAWS["price"]


class SupplyRoutes:
    """The supply routes of one draw, and what each station pays for its hydrogen.

    Parameters
    ----------
    model : sim.runner.model.SimModel
        The draw's model (seed, draw, parameter draws).
    supply : sim.populations.hydrogen.section.SupplyConfig
        The ``[hydrogen.supply]`` section.
    trailer_fixed_cny_per_kg, trailer_cny_per_kg_km : float
        The tube-trailer haul's fixed cost and cost per km.

    Attributes
    ----------
    names : list of str
        Route names, in the scenario's order (a station's route is an index into it).
    share : ndarray
        Each route's share of stations in this draw (weights normalised).
    ex_works_cny_per_kg, change_per_year : ndarray
        Each route's ex-works price at the horizon's first year, and its yearly relative change.
    on_site : ndarray of bool
        Routes made at the station (no haul).
    """

    def __init__(self, model, supply, trailer_fixed_cny_per_kg: float, trailer_cny_per_kg_km: float):
        self.model = model
        self.names = list(supply.routes)
        routes = list(supply.routes.values())
        p = lambda name, key, v: model.param(f"hydrogen.supply.routes.{name}.{key}", v)  # noqa: E731
        weight = np.array([p(n, "weight", r.weight) for n, r in zip(self.names, routes, strict=True)])
        self.share = weight / weight.sum() if weight.sum() > 0 else np.full(len(routes), 1.0 / len(routes))
        self.ex_works_cny_per_kg = np.array([p(n, "ex_works_cny_per_kg", r.ex_works_cny_per_kg)
                                             for n, r in zip(self.names, routes, strict=True)])
        self.change_per_year = np.array([p(n, "change_per_year", r.change_per_year)
                                         for n, r in zip(self.names, routes, strict=True)])
        self.on_site = np.array([r.delivery == "on_site" for r in routes])
        self.distance_low_km = np.array([r.distance_km_low for r in routes])
        self.distance_high_km = np.array([r.distance_km_high for r in routes])
        self.price_sigma = float(supply.station_price_sigma)
        self.trailer_fixed_cny_per_kg = trailer_fixed_cny_per_kg
        self.trailer_cny_per_kg_km = trailer_cny_per_kg_km

    def draw_routes(self, slots: np.ndarray) -> np.ndarray:
        """Each slot's route, drawn by the routes' shares (a pure function of seed, draw and slot)."""
        seed, draw = self.model.noise
        u = uniforms_at(seed, draw, slots, _DRAW_ROUTE, STATION)
        return np.minimum(np.searchsorted(np.cumsum(self.share), u, side="right"), len(self.names) - 1)

    def station_price_factor(self, slot: int) -> float:
        """A slot's contract price relative to its route's: lognormal with mean one."""
        seed, draw = self.model.noise
        z = float(normal_at(seed, draw, slot, _DRAW_PRICE, STATION))
        s = self.price_sigma
        return float(np.exp(s * z - 0.5 * s * s))

    def haul_km(self, route: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Tube-trailer distance of stations of `route` at uniform draws `u` (0 for on-site routes)."""
        low, high = self.distance_low_km[route], self.distance_high_km[route]
        return np.where(self.on_site[route], 0.0, low + u * (high - low))

    def delivered_cny_per_kg(self, route: np.ndarray, station_ex_works_cny_per_kg: np.ndarray,
                             distance_km: np.ndarray, year_index: int) -> np.ndarray:
        """What each station pays for a kg at its gate in year `year_index` of the horizon, CNY/kg."""
        growth = (1.0 + self.change_per_year[route]) ** year_index
        haul = np.where(self.on_site[route], 0.0,
                        self.trailer_fixed_cny_per_kg + self.trailer_cny_per_kg_km * distance_km)
        return station_ex_works_cny_per_kg * growth + haul

    def expected_delivered_cny_per_kg(self, year_index: int) -> float:
        """The delivered price a new station expects before its route is known, CNY/kg.

        The routes' mean by share, each at its mid haul.
        """
        mid_km = 0.5 * (self.distance_low_km + self.distance_high_km)
        routes = np.arange(len(self.names))
        return float(np.dot(self.share, self.delivered_cny_per_kg(routes, self.ex_works_cny_per_kg, mid_km,
                                                                   year_index)))
