"""Which components exist, in which order they step, and the coordinates of the results."""

from __future__ import annotations

from typing import Any

from sim.core.component import Component
from sim.core.outputs import VariableSpec
from sim.policy.policyset import PolicySet

__all__ = ["component_classes", "active_components", "coordinates", "ledger_variables"]


def component_classes() -> list[type[Component]]:
    """Every component, in stepping order (those that create entities before those that use them)."""
    from sim.agents.centres import Centres
    from sim.agents.firms import Firms
    from sim.agents.hydrogen import HydrogenStations
    from sim.agents.incubators import Incubators
    from sim.agents.projects import ProjectArrivals

    # Incubators admit start-ups before the firms step, so they enter the same year.
    return [ProjectArrivals, HydrogenStations, Incubators, Firms, Centres]


def active_components(scenario: Any) -> list[type[Component]]:
    """Components whose scenario section is present and enabled."""
    out = []
    for cls in component_classes():
        section = getattr(scenario, cls.section, None)
        if section is not None and getattr(section, "enabled", True):
            out.append(cls)
    return out


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
