"""The table the producers publish each year: their sales to the stations."""

from __future__ import annotations

from dataclasses import dataclass

from sim.policy.facts import UnitSales

__all__ = ["ProducerSales"]


@dataclass(frozen=True)
class ProducerSales(UnitSales):
    """What each plant sold to the stations this year, kg, at its ex-works price (never enrolled
    under a cap; no district). A per-kg subsidy (``unit_subsidy``) to ``producer`` pays on it.
    """
