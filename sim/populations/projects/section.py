"""Scenario section ``[projects]``: arrivals of eligible projects for the money instruments
that no agent models (grants, cost shares, interest and leasing subsidies of D5 and D7).

Example::

    [projects.streams."software.6.data_centre_green_retrofit"]
    arrivals_per_year = { dist = "uniform", low = 2, high = 6 }
    size_median_cny = 40_000_000      # fixed-asset investment of a retrofit
    size_sigma = 0.8                  # sd of log size across projects
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.scenario.base import LogSigma, NonNegative, StrictModel
from sim.scenario.parameters import CountRateParam, NonNegativeParam, PercentRateParam

__all__ = ["ProjectStream", "ProjectsSection"]


class ProjectStream(StrictModel):
    """Eligible projects of one instrument arriving each year.

    Attributes
    ----------
    arrivals_per_year : Param
        Mean number of approved projects a year (Poisson), before pro-rating by validity; with
        ``random_arrivals = false``, the number itself (rounded) every year.
    size_median_cny : Param
        Median of the project's base amount, CNY: the investment, contract or lease for cost
        shares, the loan for interest subsidies, the amount asked for capped grants.
    size_sigma : float
        Standard deviation of log size across projects; 0 makes every project the median.
    category_weights : dict
        Relative frequency of each category, for category grants (e.g. standard levels).
    loan_rate_percent : Param
        Interest rate the borrower pays, percent a year (interest subsidies only).
    loan_term_years : int
        Years over which a loan is repaid in equal instalments (interest subsidies only).
    firms_in_pool : int, optional
        Number of distinct firms the projects come from, each project from one drawn uniformly,
        so per-firm caps bind across a firm's projects. Unset: every project is its own recipient.
    """

    arrivals_per_year: CountRateParam
    random_arrivals: bool = True
    size_median_cny: NonNegativeParam = 0.0
    size_sigma: LogSigma = 0.0
    category_weights: dict[str, NonNegative] = Field(default_factory=dict)
    loan_rate_percent: PercentRateParam = 4.3
    loan_term_years: Annotated[int, Field(ge=1, le=30)] = 3
    firms_in_pool: Annotated[int, Field(ge=1, le=10_000_000)] | None = None


class ProjectsSection(StrictModel):
    """Project arrival streams, by instrument id."""

    enabled: bool = True
    streams: dict[str, ProjectStream] = Field(default_factory=dict)
