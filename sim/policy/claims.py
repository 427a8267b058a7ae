"""The claim desk: where populations hand in their facts and the instrument kinds pay on them.

One desk per draw. A population calls :meth:`ClaimDesk.file` with a table of
:mod:`sim.policy.facts`; the desk gives it to every kind that pays on such tables, with the
programmes of that kind that apply (:attr:`~sim.policy.kinds._base.KindSpec.applies`), and
returns what the ledger approved. No population names an instrument.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import numpy as np

from sim.policy.facts import (
    ClaimBasis,
    Facts,
    basis_of,
)
from sim.policy.kinds import KINDS, ClaimContext, KindSpec, Payment

if TYPE_CHECKING:
    from sim.policy.policyset import PolicySet, Program

__all__ = ["ClaimDesk", "programs_paying_on"]


def programs_paying_on(policy: PolicySet, basis: ClaimBasis) -> list[Program]:
    """The programmes in force that pay on tables of this basis, in programme order."""
    return [p for p in policy.programs
            if KINDS[p.instrument.kind].pays(basis.facts) and KINDS[p.instrument.kind].applies(p.instrument, basis)]


# Routes by route key, per policy: which kinds and programmes pay on a table depends only on the
# policy, so the routes are worked out once a run (a run's draws share its PolicySet), not once a
# draw. Keyed by id(policy), with a weak reference to tell a policy from a later one at that id.
_ROUTES_BY_POLICY: dict[int, tuple[weakref.ref, dict[tuple, list[tuple[KindSpec, list[Program]]]]]] = {}


def _routes_cache(policy: PolicySet) -> dict[tuple, list[tuple[KindSpec, list[Program]]]]:
    key = id(policy)
    entry = _ROUTES_BY_POLICY.get(key)
    if entry is None or entry[0]() is not policy:

        def forget(_ref: weakref.ref) -> None:
            _ROUTES_BY_POLICY.pop(key, None)

        entry = (weakref.ref(policy, forget), {})
        _ROUTES_BY_POLICY[key] = entry
    return entry[1]


class ClaimDesk:
    """Files the claims of one draw.

    Parameters
    ----------
    policy : PolicySet
    ledger : Ledger
    rates_percent_by_year : dict of str to dict of int to float
        Macro rates (``lpr_1y``, ``lpr_5y``) by year, those the scenario gives.
    """

    def __init__(self, policy: PolicySet, ledger, rates_percent_by_year: dict[str, dict[int, float]]):
        self.policy = policy
        self.ledger = ledger
        self.rates = rates_percent_by_year
        #: Ids of recipients read from CSV files, by recipient kind (``firm``, ``station``).
        self.labels: dict[str, list[str]] = {}
        #: The recipient kind each programme with followed recipients paid, by programme index.
        self.recipient_kind: dict[int, str] = {}
        # Which kinds and programmes pay on a table depends only on its basis: worked out once a
        # run per basis, not at every filing (a population files the same basis every year).
        self._routes = _routes_cache(policy)
        self._contexts: dict[int, ClaimContext] = {}

    def name_recipients(self, recipient: str, labels: list[str]) -> None:
        """Give recipients ``0 .. len(labels) - 1`` of a kind their ids (a CSV's), for ``payments.csv``."""
        self.labels[recipient] = list(labels)

    def payments(self) -> dict[str, np.ndarray]:
        """What each named recipient was approved and paid, by year and programme (nonzero rows only).

        Returns
        -------
        dict of str to ndarray
            ``payment_year`` (year index), ``payment_program`` (programme index),
            ``payment_recipient`` (the id), ``payment_committed_cny``, ``payment_outlay_cny``.
        """
        keys = sorted(set(self.ledger.recipient_committed) | set(self.ledger.recipient_outlay))
        labels = [self.labels[self.recipient_kind[p]][r] for _, p, r in keys]
        return {
            "payment_year": np.array([k[0] for k in keys], dtype=np.int64),
            "payment_program": np.array([k[1] for k in keys], dtype=np.int64),
            "payment_recipient": np.array(labels, dtype=str) if labels else np.zeros(0, dtype="<U1"),
            "payment_committed_cny": np.array([self.ledger.recipient_committed.get(k, 0.0) for k in keys]),
            "payment_outlay_cny": np.array([self.ledger.recipient_outlay.get(k, 0.0) for k in keys]),
        }

    def _routes_of(self, facts: Facts) -> list[tuple[KindSpec, list[Program]]]:
        """The kinds paying on `facts`, each with its programmes that apply, in order."""
        key = facts.route_key()
        routes = self._routes.get(key)
        if routes is None:
            basis = basis_of(facts)
            routes = []
            for name, kind in KINDS.items():
                if not kind.pays(basis.facts):
                    continue
                programs = [p for p in self.policy.programs
                            if p.instrument.kind == name and kind.applies(p.instrument, basis)]
                if programs:
                    routes.append((kind, programs))
            self._routes[key] = routes
        return routes

    def file(self, facts: Facts, year: int) -> list[Payment]:
        """Pay `facts` of `year` under every programme that applies; return the approvals."""
        if facts.ids.size == 0:
            return []
        ctx = self._contexts.get(year)
        if ctx is None:
            # The same for every filing of the year: made at its first.
            ctx = ClaimContext(year, year - self.policy.years[0], self.ledger,
                               {k: v[year] for k, v in self.rates.items() if year in v}, self.policy.readings)
            self._contexts[year] = ctx
        payments: list[Payment] = []
        for kind, programs in self._routes_of(facts):
            named = self.labels.get(facts.recipient, [])
            for p in programs if named else ():
                self.ledger.follow_recipients(p.id, len(named))
                self.recipient_kind[p.index] = facts.recipient
            payments += kind.file_claims(programs, facts, ctx)
        return payments
