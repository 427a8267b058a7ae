"""Budget lines: what a payer pays from one line in a year, under its ceiling and rationing rule.

A :class:`BudgetLineRule` is the decision of one line; the ledger hands it the claims due on the
line, in order of approval year then programme, and it pays them into the ledger's arrays. The
model's budget lines are Mesa agents built on it (:class:`sim.runner.budget_lines.BudgetLine`);
a ledger used on its own makes plain rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.core.policy_terms import LineTerms

if TYPE_CHECKING:
    from sim.core.ledger import Ledger

__all__ = ["BudgetLineRule"]


class BudgetLineRule:
    """Pays the claims due on one budget line.

    Parameters
    ----------
    spec : LineTerms
        Payer, yearly ceiling (``inf`` for none) and rationing rule.
    index : int
        Position of the line on the ``budget_line`` dimension.
    """

    def __init__(self, spec: LineTerms, index: int):
        self.spec = spec
        self.index = index

    def pay(self, ledger: Ledger, yi: int, rows: list[list[float]]) -> list[float]:
        """Pay the due rows (``[approval year index, programme, amount left]``) of year `yi`.

        ``none`` pays all and records any excess over the ceiling as an overrun; ``pro_rata``
        pays every row the same share and forfeits the rest; ``queue`` pays rows in order until
        the ceiling is used up and leaves the rest due (the ledger carries it to next year).
        Paid amounts are taken off the rows in place.

        Returns
        -------
        list of float
            What was paid of each row, CNY.
        """
        paid_rows = [0.0] * len(rows)
        due = sum(row[2] for row in rows)
        if due <= 0.0:
            return paid_rows
        ceiling = self.spec.ceiling_cny_per_year
        if self.spec.rationing == "none" or due <= ceiling:
            for k, row in enumerate(rows):
                ledger.outlay[yi, int(row[1])] += row[2]
                paid_rows[k] = row[2]
                row[2] = 0.0
            ledger.budget_overrun[yi, self.index] = max(0.0, due - ceiling)
        elif self.spec.rationing == "pro_rata":
            factor = ceiling / due
            for k, row in enumerate(rows):
                paid = row[2] * factor
                ledger.outlay[yi, int(row[1])] += paid
                ledger.forfeited[yi, int(row[1])] += row[2] - paid
                paid_rows[k] = paid
                row[2] = 0.0
        else:  # queue
            room = ceiling
            for k, row in enumerate(rows):
                paid = min(row[2], room)
                ledger.outlay[yi, int(row[1])] += paid
                paid_rows[k] = paid
                row[2] -= paid
                room -= paid
                if room <= 0.0:
                    break
        return paid_rows
