"""The contract between the yearly step and the agents that live in it.

A component models one population (project arrivals, firms, stations and vehicles, incubators,
innovation centres). It is built once per draw with the model, reads its scenario section, keeps
its state in arrays, publishes facts about its recipients to the model's claim desk (the
instrument kinds pay on them) and records its outputs each year.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

from sim.engine.outputs import VariableSpec

if TYPE_CHECKING:
    from sim.engine.model import PolicyModel
    from sim.policy.facts import ClaimBasis
    from sim.policy.policyset import PolicySet
    from sim.scenario.schema import Scenario

__all__ = ["Component"]


class Component(ABC):
    """Base of the components stepped by :class:`sim.engine.model.PolicyModel`.

    Subclasses set ``section`` (the scenario table that switches them on) and implement the
    class methods, which depend only on the scenario, so the shapes of the results are known
    before any draw runs, and :meth:`step`.
    """

    section: ClassVar[str]

    def __init__(self, model: PolicyModel):
        self.model = model

    @classmethod
    def check(cls, scenario: Scenario, policy: PolicySet, source: str) -> list[str]:
        """Cross-checks of the section against the policy; one message per problem."""
        return []

    @classmethod
    def claim_bases(cls, scenario: Scenario) -> list[ClaimBasis]:
        """The fact tables this component publishes for instruments to pay on (see :mod:`sim.policy.facts`)."""
        return []

    @classmethod
    def coords(cls, scenario: Scenario, policy: PolicySet) -> dict[str, list]:
        """Coordinates of the dimensions this component introduces (e.g. ``sector``, ``station``)."""
        return {}

    @classmethod
    @abstractmethod
    def variables(cls, scenario: Scenario, policy: PolicySet) -> list[VariableSpec]:
        """The output variables this component records."""

    @abstractmethod
    def step(self, year: int) -> None:
        """Advance one year: update state, file claims, record outputs."""

    def finish_year(self, year: int) -> None:  # noqa: B027 - an optional hook, a no-op unless overridden
        """Called after every component stepped `year` and before the ledger settles it.

        For components that read what the others did in the year (e.g. incubators counting the
        start-ups that survived the firms' step).
        """
