"""What every instrument kind module provides, and what its claim handler is given.

Each module of :mod:`sim.policy.kinds` is one kind: its schema (a model of
:mod:`sim.policy.instrument` with a typed ``eligibility``), its pure payout rule, a one-line
description for ``sim policies``, and :attr:`KindSpec.file_claims`, which takes every
programme of the kind that applies to a table of facts at once, so rules across programmes
(best-of, once-per-firm extras, enrolment under a price cap) sit in one place.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from sim.core.claim_kernels import window_days_of
from sim.policy.facts import ClaimBasis
from sim.policy.instrument import eligible_districts

if TYPE_CHECKING:
    from sim.policy.instrument import InstrumentBase
    from sim.policy.policyset import PolicyReadings, Program

__all__ = ["KindSpec", "ClaimContext", "ClaimLedger", "Payment", "cny", "window_days", "one_off_claim_days", "file_one_off", "file_positive",
           "district_rows", "district_text"]


@dataclass(frozen=True)
class Payment:
    """What the ledger approved under one programme for some recipients in a year (CNY).

    Attributes
    ----------
    program : Program
    ids : ndarray of int64
        Recipient ids, as in the facts paid on.
    approved_cny : ndarray of float64
        Approved amount of each.
    marked : dict of str to ndarray of int64
        What the claim taught about some recipients, for the population to keep: by category
        name of the facts' ``category_bits`` (``srdi_extra_paid``), the recipient ids that now
        belong to it. The facts themselves are read-only.
    """

    program: Program
    ids: np.ndarray
    approved_cny: np.ndarray
    marked: dict[str, np.ndarray] = field(default_factory=dict)


class ClaimLedger(Protocol):
    """What a claim handler may ask of the ledger (:class:`sim.core.ledger.Ledger`): file claims,
    and read each recipient's room under the caps and what it has been paid.
    """

    def claim(
        self,
        program_id: str,
        year: int,
        recipients: np.ndarray,
        amounts_cny: np.ndarray,
        event_dates: list[dt.date] | None = None,
        in_force_share: np.ndarray | None = None,
        event_days: np.ndarray | int | None = None,
    ) -> np.ndarray:
        """Approved amount of each claim (see :meth:`sim.core.ledger.Ledger.claim`)."""
        ...

    def room_cny(self, program_id: str, year: int, recipients: np.ndarray) -> np.ndarray:
        """What each recipient may still be paid under the programme's caps this year, CNY."""
        ...

    def paid_in_total_by_recipient(self, program_id: str, recipients: np.ndarray) -> np.ndarray:
        """What each recipient has been paid in all under the programme, CNY."""
        ...


@dataclass
class ClaimContext:
    """What a claim handler may read besides the facts.

    Attributes
    ----------
    year : int
    year_index : int
        Position of `year` in the horizon.
    ledger : ClaimLedger
        Files claims (:meth:`~sim.core.ledger.Ledger.claim`) and knows each recipient's room
        under its caps.
    rates_percent : mapping of str to float
        Macro rates of the year by name (``lpr_1y``, ``lpr_5y``), as the scenario's ``[macro]``
        gives them.
    readings : PolicyReadings
        The scenario's readings of clauses the text leaves open.
    """

    year: int
    year_index: int
    ledger: ClaimLedger
    rates_percent: Mapping[str, float]
    readings: PolicyReadings


@dataclass(frozen=True)
class KindSpec:
    """One instrument kind.

    Attributes
    ----------
    name : str
        The ``kind`` value in the data.
    schema : type
        Its pydantic model.
    pays_on : tuple of type
        The fact tables it pays on, and their subclasses (a population's own table of a family:
        :meth:`pays`).
    applies : callable
        ``applies(instrument, basis) -> bool``: whether an instrument pays on a table with that
        :class:`~sim.policy.facts.ClaimBasis` (recipient, measures, families, stream ids).
    file_claims : callable
        ``file_claims(programs, facts, ctx) -> list[Payment]`` for every programme of the kind
        that applies to `facts`.
    describe : callable
        ``describe(instrument) -> str``: amounts, rates and caps in words.
    how_claimed : str
        How a scenario lets a population claim an instrument of this kind (for messages).
    """

    name: str
    schema: type[InstrumentBase]
    pays_on: tuple[type, ...]
    applies: Callable[[Any, ClaimBasis], bool]
    file_claims: Callable[[list, Any, ClaimContext], list[Payment]]  # Any: each kind takes its own fact table
    describe: Callable[[Any], str]
    how_claimed: str
    extra: dict = field(default_factory=dict)

    def pays(self, facts: type) -> bool:
        """Whether the kind pays on tables of type `facts` (one of :attr:`pays_on` or a subclass)."""
        return issubclass(facts, self.pays_on)


def cny(value: float | None) -> str:
    """An amount in words: ``1,000,000 CNY`` or ``no cap``."""
    return "no cap" if value is None or value == math.inf else f"{value:,.0f} CNY"


def window_days(program: Program, year: int) -> tuple[int, int]:
    """First and last day of `year` (0-based day numbers) inside the programme's window.

    Returns ``(first, last)`` with ``first > last`` when no day of the year is inside.
    """
    ins = program.instrument
    return window_days_of(ins.valid_from, ins.valid_until, year)


def one_off_claim_days(program: Program, year: int, application_day: np.ndarray | None,
                       reading: str) -> tuple[np.ndarray, np.ndarray]:
    """When each one-off claim of the year is made, and whether it falls inside the window.

    Parameters
    ----------
    program : Program
    year : int
    application_day : ndarray of int, optional
        Day of the year (0-based) each recipient would apply on (``random_day`` reading).
    reading : {"in_window", "random_day"}
        ``in_window``: a recipient applies while the window is open, so every claim of a year the
        window touches is paid in full (dated the window's first day in the year);
        ``random_day``: it applies on its own day, paid in full inside the window, not at all
        outside.

    Returns
    -------
    inside : ndarray of bool
    days : ndarray of int64
        The claim days of the year (0-based), for the ledger's event-day check
        (:meth:`~sim.core.ledger.Ledger.claim`'s ``event_days``).
    """
    first, last = window_days(program, year)
    n = 0 if application_day is None else application_day.size
    if reading == "in_window" or application_day is None:
        open_ = first <= last
        return np.full(n, open_), np.full(n, first if open_ else 0, dtype=np.int64)
    inside = (application_day >= first) & (application_day <= last)
    return inside, np.asarray(application_day, dtype=np.int64)


def file_one_off(program: Program, ctx: ClaimContext, ids: np.ndarray, amounts_cny: np.ndarray) -> Payment:
    """File one-off claims made while the window is open: in full, dated its first day in the year.

    A year the window does not touch pays nothing (the population should not have asked).
    """
    first, last = window_days(program, ctx.year)
    if first > last or ids.size == 0:
        return Payment(program, ids, np.zeros(ids.size))
    approved = ctx.ledger.claim(program.id, ctx.year, ids, amounts_cny, event_days=first)
    return Payment(program, ids, approved)


def file_positive(program: Program, ctx: ClaimContext, ids: np.ndarray, amounts_cny: np.ndarray,
                  dates: list[dt.date] | None = None, in_force_share: np.ndarray | None = None) -> list[Payment]:
    """File the claims with a positive amount (with their dates or shares); ``[]`` when none is."""
    keep = amounts_cny > 0.0
    if not np.count_nonzero(keep):
        return []
    kept_dates = None if dates is None else [d for d, k in zip(dates, keep, strict=False) if k]
    shares = None if in_force_share is None else in_force_share[keep]
    approved = ctx.ledger.claim(program.id, ctx.year, ids[keep], amounts_cny[keep], event_dates=kept_dates,
                                in_force_share=shares)
    return [Payment(program, ids[keep], approved)]


def district_rows(program: Program, district: np.ndarray, n_rows: int) -> np.ndarray | None:
    """Rows of a table whose district the programme pays (``eligibility.district``).

    Parameters
    ----------
    program : Program
    district : ndarray of object
        District name of each row (a station table's ``district``).
    n_rows : int
        Rows of the table.

    Returns
    -------
    ndarray of int64, or None
        Indices of the rows in the programme's districts, ascending; None when the programme is
        not limited by district (every row).

    Raises
    ------
    ValueError
        If the programme is limited by district and the table does not give one district per row
        (a population that publishes no districts cannot be paid under such a programme).
    """
    names = eligible_districts(program.instrument)
    if names is None:
        return None
    if district.shape != (n_rows,):
        raise ValueError(f"{program.id} pays by district (eligibility.district), but the {n_rows} rows of the "
                         f"table carry {district.size} district names; a population must publish one per row")
    return np.flatnonzero(np.isin(district, np.array(names, dtype=object)))


def district_text(ins: InstrumentBase) -> str:
    """``", stations in Daxing"`` for an instrument limited by district; ``""`` otherwise."""
    names = eligible_districts(ins)
    return "" if names is None else f", stations in {', '.join(names)}"
