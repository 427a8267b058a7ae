"""The claim desk: where populations hand in their facts and the instrument kinds pay on them.

One desk per draw. A population calls :meth:`ClaimDesk.file` with a table of
:mod:`sim.policy.facts`; the desk gives it to every kind that pays on such tables, with the
programmes of that kind that apply (:attr:`~sim.policy.kinds._base.KindSpec.applies`), and
returns what the ledger approved. No population names an instrument.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.policy.facts import ClaimBasis, Facts, basis_of
from sim.policy.kinds import KINDS, ClaimContext, Payment

if TYPE_CHECKING:
    from sim.policy.policyset import PolicySet, Program

__all__ = ["ClaimDesk", "programs_paying_on"]


def programs_paying_on(policy: PolicySet, basis: ClaimBasis) -> list[Program]:
    """The programmes in force that pay on tables of this basis, in programme order."""
    return [p for p in policy.programs
            if basis.facts in KINDS[p.instrument.kind].pays_on and KINDS[p.instrument.kind].applies(p.instrument, basis)]


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

    def file(self, facts: Facts, year: int) -> list[Payment]:
        """Pay `facts` of `year` under every programme that applies; return the approvals."""
        if facts.ids.size == 0:
            return []
        basis = basis_of(facts)
        ctx = ClaimContext(year, year - self.policy.years[0], self.ledger,
                           {k: v[year] for k, v in self.rates.items() if year in v}, self.policy.readings)
        payments: list[Payment] = []
        for name, kind in KINDS.items():
            if basis.facts not in kind.pays_on:
                continue
            programs = [p for p in self.policy.programs if p.instrument.kind == name and kind.applies(p.instrument, basis)]
            if programs:
                payments += kind.file_claims(programs, facts, ctx)
        return payments
