"""Cost share: a share of an eligible amount, capped per project (D5 items 3, 6; D7 items 6, 11, 18)."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numba import njit
from pydantic import Field

from sim.policy.facts import ClaimBasis, ProjectApprovals
from sim.policy.instrument import Eligibility, InstrumentBase, NonNegative, Share
from sim.policy.kinds._base import KindSpec, Payment, cny, file_one_off

__all__ = ["CostShare", "CostShareEligibility", "cost_share", "cost_shares", "KIND"]


class CostShareEligibility(Eligibility):
    """What a project must be (recorded for the reader; the project stream supplies such projects).

    Attributes
    ----------
    first_of_kind : {"international", "domestic"}, optional
        A first-of-kind product's first market contract (D7 item 6).
    pue_standard : str, optional
        The energy-efficiency standard a data-centre retrofit must reach (D5 item 6).
    connected_to_energy_monitoring_platform : bool, optional
        The centre reports to the city's energy monitoring platform (D5 item 6).
    """

    first_of_kind: Literal["international", "domestic"] | None = None
    pue_standard: str | None = None
    connected_to_energy_monitoring_platform: bool | None = None


class CostShare(InstrumentBase):
    """Share of an eligible amount, capped per project (and per recipient via the common caps)."""

    kind: Literal["cost_share"]
    base: str
    share: Share
    cap_per_project_cny: NonNegative | None = None
    min_base_cny: NonNegative = 0.0
    eligibility: CostShareEligibility = Field(default_factory=CostShareEligibility)


@njit(cache=True)
def cost_share(base_cny: float, share: float, cap_per_project_cny: float, min_base_cny: float) -> float:
    """Share of an eligible amount (investment, contract, lease), capped per project.

    Parameters
    ----------
    base_cny : float
        Eligible amount of the project, CNY.
    share : float
        Share of the amount paid, in [0, 1] (e.g. 0.30 for "不超过投资额的 30%").
    cap_per_project_cny : float
        Most paid for one project, CNY; ``inf`` for none.
    min_base_cny : float
        Smallest eligible amount (inclusive), CNY; 0 for none.

    Returns
    -------
    float
        ``min(share * base, cap)`` when ``base >= min_base``, else 0.0.
    """
    if base_cny <= 0.0 or base_cny < min_base_cny:
        return 0.0
    return min(share * base_cny, cap_per_project_cny)


@njit(cache=True)
def cost_shares(base_cny: np.ndarray, share: float, cap_per_project_cny: float, min_base_cny: float) -> np.ndarray:
    """:func:`cost_share` of each eligible amount (float64 array)."""
    out = np.empty(base_cny.shape[0])
    for k in range(base_cny.shape[0]):
        out[k] = cost_share(base_cny[k], share, cap_per_project_cny, min_base_cny)
    return out


def _applies(ins: CostShare, basis: ClaimBasis) -> bool:
    return basis.facts is ProjectApprovals and ins.id in basis.detail


def _file_claims(programs, facts: ProjectApprovals, ctx) -> list[Payment]:
    out = []
    for program in programs:
        if facts.program_id != program.id:
            continue
        ins = program.instrument
        cap = math.inf if ins.cap_per_project_cny is None else ins.cap_per_project_cny
        amounts = cost_shares(np.asarray(facts.size_cny, dtype=np.float64), float(ins.share), float(cap),
                              float(ins.min_base_cny))
        out.append(file_one_off(program, ctx, facts.ids, amounts))
    return out


def _describe(ins: CostShare) -> str:
    text = f"{ins.share:.0%} of {ins.base}, <= {cny(ins.cap_per_project_cny)} per project"
    if ins.min_base_cny:
        text += f", base >= {ins.min_base_cny:,.0f} CNY"
    return text


KIND = KindSpec(
    name="cost_share",
    schema=CostShare,
    pays_on=(ProjectApprovals,),
    applies=_applies,
    file_claims=_file_claims,
    describe=_describe,
    how_claimed="paid through a [projects.streams.\"<id>\"] stream giving the projects' amounts (size_median_cny)",
)
