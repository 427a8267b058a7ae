"""The coordinates of a run's results and the ledger's variables (the components are discovered:
:mod:`sim.populations`).
"""

from __future__ import annotations

from typing import Any

from sim.core.outputs import VariableSpec
from sim.policy.policyset import PolicySet
from sim.populations import active_components

__all__ = ["coordinates", "ledger_variables"]


def coordinates(scenario: Any, policy: PolicySet) -> dict[str, list]:
    """Coordinates of every dimension of the results except ``draw``."""
    coords: dict[str, list] = {
        "year": list(policy.years),
        "program": policy.ids,
        "budget_line": [line.name for line in policy.lines],
    }
    for cls in active_components(scenario):
        coords.update(cls.coords(scenario, policy))
    return coords


def ledger_variables() -> list[VariableSpec]:
    """The fiscal variables every run records (see :mod:`sim.core.ledger`)."""
    yp = ("year", "program")
    return [
        VariableSpec("committed", yp, "CNY", "amount approved in the year"),
        VariableSpec("outlay", yp, "CNY", "amount paid in the year"),
        VariableSpec("unpaid", yp, "CNY", "approved and due but not paid by year end (queued under a budget ceiling)"),
        VariableSpec("forfeited", yp, "CNY", "approved but cut by pro-rata rationing in the year, never paid"),
        VariableSpec("pending", yp, "CNY", "approved but not yet due at year end (payment lag)"),
        VariableSpec("wait_cny_years", yp, "CNY*year",
                     "paid in the year times the years each payment waited in the queue past its due year"),
        VariableSpec(
            "budget_overrun", ("year", "budget_line"), "CNY",
            "paid above the line's ceiling in the year (rationing 'none')",
        ),
    ]
