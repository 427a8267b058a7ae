"""Budget lines as Mesa agents: each payer's line, its ceiling, what it paid and who waits.

A :class:`BudgetLine` is the model's agent for one line of the scenario's budget; it decides the
year's payments as :class:`sim.core.budget.BudgetLineRule` does and reads its history from the
ledger's arrays (one source of truth).
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.core.budget import BudgetLineRule
from sim.policy.policyset import BudgetLineSpec

__all__ = ["BudgetLine"]


class BudgetLine(BudgetLineRule, mesa.Agent):
    """One budget line of a payer, as an agent of the model.

    Parameters
    ----------
    model : PolicyModel
    spec : BudgetLineSpec
    index : int
        Position on the ``budget_line`` dimension.
    """

    def __init__(self, model, spec: BudgetLineSpec, index: int):
        mesa.Agent.__init__(self, model)
        BudgetLineRule.__init__(self, spec, index)
        self.line_spec = spec

    @property
    def programs(self) -> tuple[int, ...]:
        """Indices of the programmes paid from this line."""
        return self.line_spec.programs

    def paid_cny(self, year: int) -> float:
        """What the line paid in a simulated year, CNY."""
        yi = year - self.model.years[0]
        return float(self.model.ledger.outlay[yi, list(self.programs)].sum()) if self.programs else 0.0

    def queued_cny(self, year: int) -> float:
        """Claims due on the line but unpaid at the end of a year (queue), CNY."""
        yi = year - self.model.years[0]
        return float(self.model.ledger.unpaid[yi, list(self.programs)].sum()) if self.programs else 0.0

    def headroom_cny(self, year: int) -> float:
        """Ceiling left unused in a year, CNY (``inf`` for a line without ceiling)."""
        return float(np.maximum(self.spec.ceiling_cny_per_year - self.paid_cny(year), 0.0))
