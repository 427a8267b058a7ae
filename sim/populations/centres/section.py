"""Scenario section ``[centres]``: the universities' Advanced Innovation Centres (D1).

Example::

    [centres]
    count = 6
    first_start_year = 2023
    starts_per_year = 2
    city_funding_cny = { dist = "uniform", low = 50_000_000, high = 150_000_000 }
    matching_ratio = 0.25            # participants' matching : city money, >= 1:5 (Art.25, L238)
    cycle_years = 5
    milestone_interval_years = 1.0
    pass_probability = { dist = "uniform", low = 0.75, high = 0.95 }
    ip_income_cny_per_year = { dist = "lognormal", median = 5_000_000, sigma = 1.0 }
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.scenario.base import StrictModel, Year
from sim.scenario.parameters import NonNegativeParam, ShareParam

__all__ = ["CentresSection"]


class CentresSection(StrictModel):
    """Advanced Innovation Centres funded by milestone (``centers.art25.milestone_funding``).

    Attributes
    ----------
    count : int
        Centres started over the horizon.
    first_start_year, starts_per_year : int
        When they start: `starts_per_year` a year from `first_start_year`, on 1 January.
    city_funding_cny : Param
        City money approved per centre for its whole cycle, CNY. The gazette sets no amount
        ("具体额度根据…确定", L238): an assumption of the scenario.
    matching_ratio : Param
        Participants' matching funds per CNY of city money; must be >= the instrument's
        ``min_matching_ratio`` (1:5, L238) in every draw, or the scenario is refused.
    cycle_years : int
        Construction cycle, within the instrument's ``cycle_years_min``..``cycle_years_max``,
        or up to ``cycle_years_max_extended`` with ``extension_approved`` (Art.14, L192).
    milestone_interval_years : float
        Time between milestone evaluations, at most the instrument's
        ``milestone_interval_years_max`` (1 year, L192).
    pass_probability : Param
        Probability a centre passes a milestone evaluation (assumption: no pass rates published).
    rectification_pass_probability : Param
        Probability a paused centre passes its next evaluation after rectification (assumption).
    ip_income_cny_per_year : Param
        Net income from IP transfer or licensing per active centre and year, CNY (assumption),
        split by the instrument's ``ip_income_split`` (70/20/10, Art.28, L244).
    """

    enabled: bool = True
    count: Annotated[int, Field(ge=0, le=1000)] = 6
    first_start_year: Year = 2023
    starts_per_year: Annotated[int, Field(ge=1)] = 2
    city_funding_cny: NonNegativeParam = 100_000_000.0
    matching_ratio: NonNegativeParam = 0.2
    cycle_years: Annotated[int, Field(ge=1, le=20)] = 5
    extension_approved: bool = False
    milestone_interval_years: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0
    pass_probability: ShareParam = 0.85
    rectification_pass_probability: ShareParam = 0.6
    ip_income_cny_per_year: NonNegativeParam = 0.0
