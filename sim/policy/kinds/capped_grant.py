"""Capped grant: "up to" an amount per project (D5 items 1, 4, 10; D7 items 5, 8, 15, 17).

Paid on what a population asks: a project's amount (or the cap when the stream gives none), a
benchmark incubator's share of the cap by its category, a service institution's award per
graduate, or an amount per fuel-cell vehicle put into demonstration service.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numba import njit
from pydantic import Field

from sim.policy.facts import (
    ClaimBasis,
    IncubatorGraduates,
    IncubatorRecognitions,
    ProjectApprovals,
    VehicleAdditions,
)
from sim.policy.instrument import Eligibility, InstrumentBase, NonNegative
from sim.policy.kinds._base import KindSpec, Payment, cny, file_one_off

__all__ = ["CappedGrant", "CappedGrantEligibility", "capped_grant", "capped_grants", "KIND"]


class CappedGrantEligibility(Eligibility):
    """Who a capped grant is for.

    Attributes
    ----------
    recipients : list of str
        Roles of the firms paid (vehicle makers, operators, core-component makers).
    incubator_kind : {"benchmark", "service"}, optional
        Paid to benchmark incubators when recognised, or to incubation service institutions by
        the start-ups they graduate.
    demonstration_vehicles : bool
        Paid per fuel-cell vehicle put into demonstration service (the [hydrogen] fleet).
    """

    recipients: list[Literal["vehicle_maker", "vehicle_operator", "core_component_maker"]] = Field(default_factory=list)
    incubator_kind: Literal["benchmark", "service"] | None = None
    demonstration_vehicles: bool = False


class CappedGrant(InstrumentBase):
    """A grant of "up to" an amount per project (per vehicle for demonstration vehicles)."""

    kind: Literal["capped_grant"]
    cap_per_project_cny: NonNegative
    eligibility: CappedGrantEligibility = Field(default_factory=CappedGrantEligibility)


@njit(cache=True)
def capped_grant(requested_cny: float, cap_per_project_cny: float) -> float:
    """A grant of "up to" a cap: the amount asked for, cut to the cap (never negative)."""
    if requested_cny <= 0.0:
        return 0.0
    return min(requested_cny, cap_per_project_cny)


@njit(cache=True)
def capped_grants(requested_cny: np.ndarray, cap_per_project_cny: float) -> np.ndarray:
    """:func:`capped_grant` of each request (float64 array)."""
    out = np.empty(requested_cny.shape[0])
    for k in range(requested_cny.shape[0]):
        out[k] = capped_grant(requested_cny[k], cap_per_project_cny)
    return out


def _applies(ins: CappedGrant, basis: ClaimBasis) -> bool:
    e = ins.eligibility
    if basis.facts is ProjectApprovals:
        return ins.id in basis.detail
    if basis.facts is IncubatorRecognitions:
        return ins.recipient == "incubator" and e.incubator_kind == "benchmark"
    if basis.facts is IncubatorGraduates:
        return ins.recipient == "incubator" and e.incubator_kind == "service"
    if basis.facts is VehicleAdditions:
        return e.demonstration_vehicles
    return False


def _file_claims(programs, facts, ctx) -> list[Payment]:
    out = []
    for program in programs:
        cap = program.instrument.cap_per_project_cny
        if isinstance(facts, VehicleAdditions):
            # Vehicles join through the year: the ledger pro-rates by the share in force.
            amounts = facts.vehicles * cap
            approved = ctx.ledger.claim(program.id, ctx.year, facts.ids, amounts)
            out.append(Payment(program, facts.ids, approved))
            continue
        if isinstance(facts, IncubatorGraduates):
            amounts = np.array([capped_grant(facts.award_per_graduate_cny * g, cap) for g in facts.graduates])
            out.append(Payment(program, facts.ids, ctx.ledger.claim(program.id, ctx.year, facts.ids, amounts)))
            continue
        if isinstance(facts, IncubatorRecognitions):
            asked = facts.share_of_cap * cap
        else:  # ProjectApprovals of this programme's stream
            if facts.program_id != program.id:
                continue
            # Without a size, every project asks for the cap: the maximum exposure.
            asked = np.where(facts.size_cny > 0.0, facts.size_cny, cap)
        amounts = capped_grants(np.asarray(asked, dtype=np.float64), float(cap))
        out.append(file_one_off(program, ctx, facts.ids, amounts))
    return out


def _describe(ins: CappedGrant) -> str:
    unit = "vehicle" if ins.eligibility.demonstration_vehicles else "project"
    return f"<= {cny(ins.cap_per_project_cny)} per {unit}"


KIND = KindSpec(
    name="capped_grant",
    schema=CappedGrant,
    pays_on=(ProjectApprovals, IncubatorRecognitions, IncubatorGraduates, VehicleAdditions),
    applies=_applies,
    file_claims=_file_claims,
    describe=_describe,
    how_claimed="paid through a [projects.streams.\"<id>\"] stream, to [incubators] (eligibility.incubator_kind) "
                "or per [hydrogen] demonstration vehicle (eligibility.demonstration_vehicles = true)",
)
