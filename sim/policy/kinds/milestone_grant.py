"""Milestone grant: city money released in stages on passing milestone evaluations (D1 Art. 14, 25, 29-32)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numba import njit
from pydantic import Field, model_validator

from sim.policy.facts import CentreMilestones, ClaimBasis
from sim.policy.instrument import Eligibility, InstrumentBase, NonNegative, Share
from sim.policy.kinds._base import KindSpec, Payment

__all__ = ["MilestoneGrant", "milestone_stage_payment", "matching_ratio_ok", "KIND"]

# Compared on the fen so that exactly 1:5 written as 0.2 passes.
_FEN_PER_CNY = 100.0


class MilestoneGrant(InstrumentBase):
    """City money released in stages on passing milestone evaluations, against matching funds."""

    kind: Literal["milestone_grant"]
    min_matching_ratio: NonNegative
    cycle_years_min: int = Field(ge=1)
    cycle_years_max: int = Field(ge=1)
    cycle_years_max_extended: int = Field(ge=1)
    milestone_interval_years_max: NonNegative
    ip_income_split: dict[str, Share] = Field(default_factory=dict)
    eligibility: Eligibility = Field(default_factory=Eligibility)

    @model_validator(mode="after")
    def _cycles_ordered(self):
        if not self.cycle_years_min <= self.cycle_years_max <= self.cycle_years_max_extended:
            raise ValueError("need cycle_years_min <= cycle_years_max <= cycle_years_max_extended")
        if self.ip_income_split and abs(sum(self.ip_income_split.values()) - 1.0) > 1e-9:
            raise ValueError("ip_income_split shares must add up to 1")
        return self


@njit(cache=True)
def matching_ratio_ok(matching_cny: float, city_cny: float, min_matching_ratio: float) -> bool:
    """Whether participants' matching funds reach the minimum ratio to city money (``>=``)."""
    if city_cny <= 0.0:
        return True
    return np.round(matching_cny * _FEN_PER_CNY) >= np.round(min_matching_ratio * city_cny * _FEN_PER_CNY)


@njit(cache=True)
def milestone_stage_payment(
    passed: bool,
    stage_amount_cny: float,
    matching_cny: float,
    min_matching_ratio: float,
    paid_so_far_cny: float,
    total_city_funding_cny: float,
) -> float:
    """City money released at a milestone evaluation of a staged grant.

    Parameters
    ----------
    passed : bool
        The centre passed the milestone evaluation.
    stage_amount_cny : float
        The stage's share of city funding, CNY.
    matching_cny, min_matching_ratio : float
        Participants' matching funds for the stage and the minimum ratio matching : city.
    paid_so_far_cny, total_city_funding_cny : float
        City money already released and the centre's total approved city funding.

    Returns
    -------
    float
        The stage amount, cut to what is left of the total; 0 if failed or under-matched.
    """
    if not passed:
        return 0.0
    if not matching_ratio_ok(matching_cny, stage_amount_cny, min_matching_ratio):
        return 0.0
    room = total_city_funding_cny - paid_so_far_cny
    if room <= 0.0:
        return 0.0
    return min(stage_amount_cny, room)


def _applies(ins: MilestoneGrant, basis: ClaimBasis) -> bool:
    return basis.facts is CentreMilestones and ins.recipient == basis.recipient


def _file_claims(programs, facts: CentreMilestones, ctx) -> list[Payment]:
    out = []
    for program in programs:
        ins = program.instrument
        paid = ctx.ledger.paid_in_total_by_recipient(program.id, facts.ids).copy()
        amounts = np.zeros(facts.ids.size)
        for k in range(facts.ids.size):
            # Several evaluations of one centre in a year draw on the same total.
            amounts[k] = milestone_stage_payment(bool(facts.passed[k]), facts.stage_cny[k], facts.matching_cny[k],
                                                 ins.min_matching_ratio, paid[k], facts.total_city_funding_cny[k])
            paid[facts.ids == facts.ids[k]] += amounts[k]
        keep = amounts > 0.0
        if not keep.any():
            continue
        ids = facts.ids[keep]
        dates = [d for d, k in zip(facts.dates, keep, strict=False) if k]
        out.append(Payment(program, ids, ctx.ledger.claim(program.id, ctx.year, ids, amounts[keep],
                                                           event_dates=dates)))
    return out


def _describe(ins: MilestoneGrant) -> str:
    return (f"staged on milestones, matching >= {ins.min_matching_ratio:g} x city money, cycle "
            f"{ins.cycle_years_min}-{ins.cycle_years_max} y (<= {ins.cycle_years_max_extended})")


KIND = KindSpec(
    name="milestone_grant",
    schema=MilestoneGrant,
    pays_on=(CentreMilestones,),
    applies=_applies,
    file_claims=_file_claims,
    describe=_describe,
    how_claimed="paid to [centres] on their milestone evaluations (recipient 'centre')",
)
