"""The contract between the yearly step and the agents that live in it.

A component models one population (project arrivals, firms, stations and vehicles, incubators,
innovation centres). It is built once per draw with the model, reads its scenario section, keeps
its state in arrays, publishes facts about its recipients to the model's claim desk (the
instrument kinds pay on them) and records its outputs each year.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np

from sim.core.ledger import Ledger
from sim.core.outputs import DrawRecorder, VariableSpec
from sim.core.rng import NoiseKey

__all__ = ["Component", "ModelContext", "ClaimFiling"]

#: A component class another component reaches.
C = TypeVar("C", bound="Component")


class ClaimFiling(Protocol):
    """Where a component files the facts of its recipients (:class:`sim.policy.claims.ClaimDesk`)."""

    def file(self, facts: Any, year: int) -> list[Any]:
        """File a table of facts (:mod:`sim.policy.facts`) for `year`; the payments approved on it."""
        ...

    def name_recipients(self, recipient: str, labels: list[str]) -> None:
        """Name the recipients of a kind, by id (for ``payments.csv``)."""
        ...


class ModelContext(Protocol):
    """What a component may use of the model that steps it (:class:`sim.runner.model.PolicyModel`).

    The scenario and the policy are typed ``Any`` here: the core does not import the layers that
    define them (``tests/test_layers.py``); a component reads its own section of the scenario.
    """

    @property
    def scenario(self) -> Any:
        """The validated scenario (:class:`sim.scenario.schema.Scenario`)."""

    @property
    def policy(self) -> Any:
        """Its resolved programmes and budget lines (:class:`sim.policy.policyset.PolicySet`)."""

    @property
    def seed(self) -> int:
        """The scenario's seed."""

    @property
    def draw(self) -> int:
        """The draw's index."""

    @property
    def noise(self) -> NoiseKey:
        """The (seed, draw) keying the draw's numbers that belong to no year (an initial population,
        a slot's attributes): the draw's own, or the calibration particle's it replays.
        """

    def noise_in(self, year: int) -> NoiseKey:
        """The (seed, draw) keying the draw's numbers of `year`: the particle's in the years up to a
        fit's last target where the draw replays one, else the draw's own.
        """
        ...

    @property
    def years(self) -> list[int]:
        """The simulated years."""

    @property
    def ledger(self) -> Ledger:
        """The draw's ledger."""

    @property
    def claims(self) -> ClaimFiling:
        """The draw's claim desk."""

    @property
    def recorder(self) -> DrawRecorder:
        """The draw's output arrays."""

    @property
    def rng(self) -> np.random.Generator:
        """The draw's generator for initial populations."""

    def param(self, path: str, value: Any) -> float:
        """The draw's value of a behavioural parameter (`value`: the scenario's, fixed or a distribution)."""
        ...

    def peer(self, cls: type[C]) -> C:
        """The draw's component of class `cls` (see :meth:`Component.peer`)."""
        ...


class Component(ABC):
    """Base of the components stepped by :class:`sim.runner.model.PolicyModel`.

    Subclasses set ``section`` (the scenario table that switches them on) and implement the
    class methods, which depend only on the scenario, so the shapes of the results are known
    before any draw runs, and :meth:`step`. The class methods take the scenario
    (:class:`sim.scenario.schema.Scenario`) and the policy (:class:`sim.policy.policyset.PolicySet`)
    untyped here, as :class:`ModelContext` says why; their claim bases are
    :class:`sim.policy.facts.ClaimBasis`.
    """

    section: ClassVar[str]

    def __init__(self, model: ModelContext):
        self.model = model

    @classmethod
    def check(cls, scenario: Any, policy: Any, source: str) -> list[str]:
        """Cross-checks of the section against the policy; one message per problem."""
        return []

    @classmethod
    def claim_bases(cls, scenario: Any) -> list[Any]:
        """The fact tables this component publishes for instruments to pay on (see :mod:`sim.policy.facts`)."""
        return []

    @classmethod
    def coords(cls, scenario: Any, policy: Any) -> dict[str, list]:
        """Coordinates of the dimensions this component introduces (e.g. ``sector``, ``station``)."""
        return {}

    @classmethod
    @abstractmethod
    def variables(cls, scenario: Any, policy: Any) -> list[VariableSpec]:
        """The output variables this component records."""

    def peer(self, cls: type[C]) -> C:
        """The draw's component of class `cls`, typed: how a component reaches a population it
        declares in its ``depends_on`` (:class:`sim.populations.Population`), rather than by a
        section name.

        Raises
        ------
        KeyError
            If no component of that class is active in the scenario.
        """
        return self.model.peer(cls)

    @abstractmethod
    def step(self, year: int) -> None:
        """Advance one year: update state, file claims, record outputs."""

    def finish_year(self, year: int) -> None:  # noqa: B027 - an optional hook, a no-op unless overridden
        """Called after every component stepped `year` and before the ledger settles it.

        For components that read what the others did in the year (e.g. incubators counting the
        start-ups that survived the firms' step).
        """
