"""Scenario section ``[incubators]``: hydrogen incubators and incubation service institutions (D7 item 8).

Example::

    [incubators]
    benchmark_openings = { "2023" = 1, "2024" = 1 }
    benchmark_category_shares = { leading = 1.0, developing = 0.6, emerging = 0.3 }
    benchmark_category_weights = { leading = 0.3, developing = 0.4, emerging = 0.3 }
    service_institutions = 4
    admissions_per_incubator = { dist = "uniform", low = 5, high = 15 }
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sim.scenario.base import LogSigma, NonNegative, Share, StrictModel, YearTable
from sim.scenario.parameters import CountRateParam, LogGrowthParam, NonNegativeParam, PositiveParam

__all__ = ["IncubatorsSection"]


class IncubatorsSection(StrictModel):
    """Incubators, the start-ups they admit, and their grants.

    Attributes
    ----------
    benchmark_openings : dict of year to int
        Benchmark hydrogen incubators recognised each year; each receives the grant of
        ``hydrogen.8.benchmark_incubator`` ("≤ 20,000,000 by category of development", L757) once.
    benchmark_category_shares : dict
        Share of the 20,000,000 cap paid to each development category (the gazette names
        categories but no amounts: assumption).
    benchmark_category_weights : dict
        How often each category occurs (assumption).
    service_institutions : int
        Incubation service institutions eligible for ``hydrogen.8.incubation_service``
        ("≤ 500,000 by firms incubated and results", L757).
    service_award_per_graduate_cny : Param
        Award per start-up graduating in the year, cut to the 500,000 cap (assumption).
    admissions_per_incubator : Param
        Start-ups admitted a year by each operating incubator (benchmark or service): the mean
        of a Poisson count, or the count itself (rounded) with ``random_admissions = false``.
    startup_sector : str
        Sector of the start-ups (a key of ``sim/populations/firms/sectors.toml``), default ``hydrogen``.
    startup_revenue_median_cny, startup_revenue_sigma : Param, float
        First-year revenue of a start-up (lognormal; assumption).
    incubation_years : int
        Years of support before graduation: 3, the nearest whole year to the 33-month average
        stay of US incubator clients (NBIA 2006; no Chinese figure found).
    incubated_exit_multiplier : Param
        Factor on the exit hazard of start-ups while incubated. Assumption: 0.5 (87% of US
        graduates survive, NBIA; CALIBRATION_FACTS.md section 5, low confidence).
    incubated_growth_boost : Param
        Added to log revenue growth while incubated (assumption).
    """

    enabled: bool = True
    benchmark_openings: YearTable[Annotated[int, Field(ge=0, le=1000)]] = Field(default_factory=dict)
    benchmark_category_shares: dict[str, Share] = Field(default_factory=lambda: {"leading": 1.0})
    benchmark_category_weights: dict[str, NonNegative] = Field(default_factory=lambda: {"leading": 1.0})
    service_institutions: Annotated[int, Field(ge=0, le=10_000)] = 0
    service_award_per_graduate_cny: NonNegativeParam = 50_000.0
    admissions_per_incubator: CountRateParam = 8.0
    random_admissions: bool = True
    startup_sector: str = "hydrogen"
    startup_revenue_median_cny: PositiveParam = 1_000_000.0
    startup_revenue_sigma: LogSigma = 0.8
    incubation_years: Annotated[int, Field(ge=1, le=10)] = 3
    incubated_exit_multiplier: NonNegativeParam = 0.5
    incubated_growth_boost: LogGrowthParam = 0.1

    @model_validator(mode="after")
    def _categories(self):
        unknown = set(self.benchmark_category_weights) - set(self.benchmark_category_shares)
        if unknown:
            raise ValueError(f"benchmark_category_weights names categories without a share: {sorted(unknown)}")
        if sum(self.benchmark_category_weights.values()) <= 0:
            raise ValueError("benchmark_category_weights must have a positive total")
        return self
