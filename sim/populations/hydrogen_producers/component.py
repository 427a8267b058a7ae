"""The hydrogen producers of a draw: each year, after the stations, the plants sell their share of
what the stations sold, up to their available capacity, and claim the per-kg schemes to producers.

What a plant sells in year t::

    demand_t    = share_of_station_purchases * (kg the [hydrogen] stations sold in t)
    available_p = capacity_p * a_pt      if t >= first_year_p, else 0
    sold_p      = available_p * min(1, demand_t / sum_p available_p)

with the availability ``a_pt`` uniform in ``[min_availability, 1]``, keyed by (plant, year) on the
population's own stream, so adding a plant leaves the others' numbers as they were.
"""

from __future__ import annotations

import numpy as np

from sim.core.component import Component
from sim.core.outputs import VariableSpec
from sim.core.rng import uniforms_at
from sim.policy.facts import ClaimBasis
from sim.populations.hydrogen.component import HydrogenStations
from sim.populations.hydrogen_producers.facts import ProducerSales
from sim.populations.hydrogen_producers.streams import PLANT_AVAILABILITY

__all__ = ["HydrogenProducers"]


class HydrogenProducers(Component):
    """Hydrogen production plants selling to the stations (scenario section ``[hydrogen_producers]``)."""

    section = "hydrogen_producers"

    @classmethod
    def check(cls, scenario, policy, source):
        """The plants sell to the stations: the section needs ``[hydrogen]``."""
        if scenario.hydrogen is None or not scenario.hydrogen.enabled:
            return [f"{source}: hydrogen_producers: the plants sell to the [hydrogen] stations; add a [hydrogen] "
                    "section or switch the producers off (enabled = false)"]
        return []

    @classmethod
    def claim_bases(cls, scenario) -> list[ClaimBasis]:
        """The plants' sales to the stations."""
        return [ClaimBasis(ProducerSales, "producer")]

    @classmethod
    def coords(cls, scenario, policy):
        """The plants, by name."""
        return {"producer": list(scenario.hydrogen_producers.plants)}

    @classmethod
    def variables(cls, scenario, policy):
        """Sales and subsidy of each plant by year."""
        yp = ("year", "producer")
        return [
            VariableSpec("producer_kg_sold", yp, "kg", "hydrogen the plant sold to the stations in the year"),
            VariableSpec("producer_subsidy_cny", yp, "CNY", "per-kg subsidy approved to the plant in the year"),
        ]

    def __init__(self, model):
        super().__init__(model)
        sec = model.scenario.hydrogen_producers
        self.names = list(sec.plants)
        plants = list(sec.plants.values())
        self.capacity_kg = np.array([p.capacity_kg_per_year for p in plants])
        self.first_year = np.array([p.first_year for p in plants])
        self.price_cny_per_kg = np.array([p.ex_works_price_cny_per_kg for p in plants])
        self.min_availability = float(sec.min_availability)
        self.share = model.param("hydrogen_producers.share_of_station_purchases", sec.share_of_station_purchases)
        # Found at the first step (the model builds its components one after the other).
        self.stations: HydrogenStations | None = None
        model.claims.name_recipients("producer", self.names)

    def step(self, year: int) -> None:
        """Sell the year's share of the stations' kg, file the sales, record sales and subsidy."""
        model = self.model
        yi = year - model.years[0]
        if self.stations is None:
            # Declared in POPULATION.depends_on; they step before (step_order 20 < 25).
            self.stations = self.peer(HydrogenStations)
        plants = np.arange(len(self.names), dtype=np.int64)
        u = uniforms_at(*model.noise_in(year), plants, year, PLANT_AVAILABILITY)
        availability = self.min_availability + (1.0 - self.min_availability) * u
        available = np.where(year >= self.first_year, self.capacity_kg * availability, 0.0)
        demand = self.share * float(self.stations.arrays.kg_sold.sum())
        total = float(available.sum())
        sold = available * min(1.0, demand / total) if total > 0.0 else np.zeros_like(available)
        subsidy = np.zeros(plants.size)
        sellers = np.flatnonzero(sold > 0.0)
        facts = ProducerSales("producer", sellers, sold[sellers], self.price_cny_per_kg[sellers],
                              np.zeros(sellers.size, dtype=bool), np.full(sellers.size, "", dtype=object))
        for payment in model.claims.file(facts, year):
            subsidy[payment.ids] += payment.approved_cny
        model.recorder["producer_kg_sold"][yi] = sold
        model.recorder["producer_subsidy_cny"][yi] = subsidy
