"""What the ledger and the budget lines read of a policy: its programmes' terms and its budget lines.

The core does not import the policy layer (:mod:`sim.policy`); these protocols name the few
attributes it reads, and :class:`sim.policy.policyset.PolicySet` (with its ``Program``,
``BudgetLineSpec`` and instrument models) has them. mypy checks the match where the model hands a
policy set to the ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

import numpy as np

__all__ = ["InstrumentTerms", "ProgramTerms", "LineTerms", "PolicyTerms"]


class InstrumentTerms(Protocol):
    """An instrument's terms that bound what is paid and when."""

    @property
    def shared_cap_group(self) -> str | None:
        """Programmes of one group share the per-recipient caps (None: its own)."""

    @property
    def share_of_cap_paid(self) -> float:
        """Share of each computed amount paid."""

    @property
    def payment_lag_years(self) -> int:
        """Years from approval to payment."""

    @property
    def valid_from(self) -> dt.date:
        """First day in force."""

    @property
    def valid_until(self) -> dt.date:
        """Last day in force."""


class ProgramTerms(Protocol):
    """A programme in force: its position, budget line, caps and validity by year."""

    @property
    def id(self) -> str:
        """Programme id."""

    @property
    def index(self) -> int:
        """Position on the ``program`` dimension."""

    @property
    def line(self) -> int:
        """Position of its budget line."""

    @property
    def instrument(self) -> InstrumentTerms:
        """The instrument's terms."""

    @property
    def validity_share(self) -> np.ndarray:
        """Share of each year of the horizon in force."""

    @property
    def cap_per_recipient_year_cny(self) -> float:
        """Most paid to one recipient in a year, CNY (``inf``: none)."""

    @property
    def cap_per_recipient_total_cny(self) -> float:
        """Most paid to one recipient in all, CNY (``inf``: none)."""


class LineTerms(Protocol):
    """A budget line's yearly ceiling (CNY, ``inf`` for none) and rationing rule."""

    @property
    def ceiling_cny_per_year(self) -> float:
        """Most paid from the line in a year, CNY (``inf``: none)."""

    @property
    def rationing(self) -> str:
        """``none``, ``pro_rata`` or ``queue``."""


class PolicyTerms(Protocol):
    """The horizon, the programmes in force (by position) and the budget lines."""

    @property
    def years(self) -> Sequence[int]:
        """The simulated years."""

    @property
    def programs(self) -> Sequence[ProgramTerms]:
        """The programmes in force, by index."""

    @property
    def lines(self) -> Sequence[LineTerms]:
        """The budget lines, by index."""

    def get(self, program_id: str) -> ProgramTerms | None:
        """The programme of that id, or None."""
