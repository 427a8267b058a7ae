"""Scenario section ``[hydrogen_producers]``: hydrogen production plants selling to the stations.

Example::

    [hydrogen_producers]
    share_of_station_purchases = { dist = "uniform", low = 0.2, high = 0.4 }
    min_availability = 0.8

    [hydrogen_producers.plants.yanshan]
    capacity_kg_per_year = 2_000_000
    first_year = 2023
    ex_works_price_cny_per_kg = 25.0

The plants supply a share of what the ``[hydrogen]`` stations sell (the rest comes by their other
supply routes); the section needs ``[hydrogen]``.
"""

from __future__ import annotations

from pydantic import Field

from sim.scenario.base import NonNegative, Share, StrictModel, Year
from sim.scenario.parameters import ShareParam

__all__ = ["HydrogenProducersSection", "Plant"]


class Plant(StrictModel):
    """One production plant.

    Attributes
    ----------
    capacity_kg_per_year : float
        What it can produce and sell in a full year, kg (> 0).
    first_year : int
        First year it sells.
    ex_works_price_cny_per_kg : float
        Its selling price at the plant gate, CNY/kg (the price a per-kg scheme's cap is checked
        against).
    """

    capacity_kg_per_year: NonNegative = Field(gt=0.0)
    first_year: Year
    ex_works_price_cny_per_kg: NonNegative


class HydrogenProducersSection(StrictModel):
    """Hydrogen producers selling to the stations, paid on each kg by per-kg schemes to ``producer``.

    Attributes
    ----------
    enabled : bool
    plants : dict of str to Plant
        The plants, by name (at least one).
    share_of_station_purchases : Param
        Share of the kg the stations sell in a year that these plants supply, before their
        capacity binds.
    min_availability : float
        Each plant's yearly availability is drawn uniformly between this and 1 (outages,
        maintenance); it scales the capacity.
    """

    enabled: bool = True
    plants: dict[str, Plant] = Field(min_length=1)
    share_of_station_purchases: ShareParam = 0.3
    min_availability: Share = 0.85
