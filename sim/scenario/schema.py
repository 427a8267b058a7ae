"""The scenario: what an economist writes in a TOML file, as a validated model.

Top-level tables:

``name``, ``description``, ``extends``
    Identity; ``extends`` includes another file (see :mod:`sim.scenario.loader`).
``[horizon]``
    ``first_year``, ``last_year`` (inclusive).
``[ensemble]``
    ``draws`` (>= 1) and ``seed``.
``[policy]``
    ``in_force``: glob patterns over instrument ids (default every instrument of the gazette);
    ``stack_software_and_scaleup_rewards``: pay D5 item 8 and D8 for the same event (default no).
``[instruments."<id>"]``
    Overrides of an instrument's fields (amounts, rates, caps, validity dates, payment lag,
    ``share_of_cap_paid``, ``enabled``).
``[budget]``
    ``discount_rate`` and ``base_year`` for present values; ``[budget.lines.<name>]`` with
    ``payer``, ``programs`` (glob patterns), ``ceiling_cny_per_year`` and ``rationing``.
``[macro]``
    Paths of macro variables by year, e.g. the loan prime rates.
``[projects]``, ``[firms]``, ``[hydrogen]``, ``[centres]``, ``[incubators]``
    The agents and their behaviour; each section is optional and switched off when absent.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.scenario.base import StrictModel, Year, YearTable
from sim.scenario.centres_section import CentresSection
from sim.scenario.firms_section import FirmsSection
from sim.scenario.hydrogen_section import HydrogenSection
from sim.scenario.incubators_section import IncubatorsSection
from sim.scenario.projects_section import ProjectsSection

__all__ = ["Scenario", "Horizon", "Ensemble", "PolicySelection", "Budget", "BudgetLine", "Macro"]


Percent = Annotated[float, Field(ge=0.0, le=100.0)]


class Horizon(StrictModel):
    """First and last simulated year, inclusive."""

    first_year: Year = 2022
    last_year: Year = 2030

    @model_validator(mode="after")
    def _ordered(self):
        if self.last_year < self.first_year:
            raise ValueError(f"last_year (={self.last_year}) must be >= first_year (={self.first_year})")
        return self

    @property
    def years(self) -> list[int]:
        """Simulated years in order."""
        return list(range(self.first_year, self.last_year + 1))


class Ensemble(StrictModel):
    """Number of draws and the seed of the ensemble."""

    draws: int = Field(default=20, ge=1, le=10_000_000)
    seed: int = Field(default=20221206, ge=0, lt=2**63)


class PolicySelection(StrictModel):
    """Which encoded instruments are in force."""

    in_force: list[str] = Field(default_factory=lambda: ["*"])
    stack_software_and_scaleup_rewards: bool = False


class BudgetLine(StrictModel):
    """A budget line: the programmes a payer funds from it, its yearly ceiling and rationing rule.

    ``rationing`` decides what happens when the claims due in a year exceed the ceiling:
    ``none`` pays them all (the ceiling is only watched: overruns are reported), ``pro_rata``
    pays every claim the same share and forfeits the rest, ``queue`` pays claims in order of
    approval and carries the unpaid ones to the next year, first in line.
    """

    payer: str
    programs: list[str] = Field(min_length=1)
    ceiling_cny_per_year: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] | None = None
    rationing: Literal["none", "pro_rata", "queue"] = "none"


class Budget(StrictModel):
    """Budget lines and the discounting of outlays to present values."""

    discount_rate: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.03
    base_year: Year | None = None
    lines: dict[str, BudgetLine] = Field(default_factory=dict)


class Macro(StrictModel):
    """Macro-economic paths by year; a year missing from a path takes the last earlier value."""

    lpr_1y_percent: YearTable[Percent] = Field(default_factory=dict)
    lpr_5y_percent: YearTable[Percent] = Field(default_factory=dict)

    def path(self, name: str, years: list[int]) -> list[float]:
        """Values of a path for the given years, carried forward from the last earlier year.

        Raises
        ------
        ValueError
            If the path has no value at or before the first year asked for.
        """
        series = {int(k): v for k, v in getattr(self, name).items()}
        out = []
        for y in years:
            earlier = [k for k in series if k <= y]
            if not earlier:
                raise ValueError(f"macro.{name} has no value for {y} or earlier")
            out.append(series[max(earlier)])
        return out


class Scenario(StrictModel):
    """A validated scenario. Build it with :func:`sim.scenario.loader.load_scenario`."""

    name: str = Field(min_length=1)
    description: str = ""
    horizon: Horizon = Field(default_factory=Horizon)
    ensemble: Ensemble = Field(default_factory=Ensemble)
    policy: PolicySelection = Field(default_factory=PolicySelection)
    instruments: dict[str, dict] = Field(default_factory=dict)
    budget: Budget = Field(default_factory=Budget)
    macro: Macro = Field(default_factory=Macro)
    projects: ProjectsSection | None = None
    firms: FirmsSection | None = None
    centres: CentresSection | None = None
    hydrogen: HydrogenSection | None = None
    incubators: IncubatorsSection | None = None
