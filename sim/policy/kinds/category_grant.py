"""Category grant: a ceiling by category of the item (standard level, post held; D7 items 17, 18)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from sim.policy.facts import ClaimBasis, ProjectApprovals
from sim.policy.instrument import Eligibility, InstrumentBase, NonNegative
from sim.policy.kinds._base import KindSpec, Payment, file_one_off

__all__ = ["CategoryGrant", "category_grant_amounts", "KIND"]


class CategoryGrant(InstrumentBase):
    """A grant whose ceiling depends on the category of the item (standard level, post held)."""

    kind: Literal["category_grant"]
    category_amounts_cny: dict[str, NonNegative] = Field(min_length=1)
    eligibility: Eligibility = Field(default_factory=Eligibility)


def category_grant_amounts(ins: CategoryGrant, categories: np.ndarray, asked_cny: np.ndarray) -> np.ndarray:
    """Each item's grant: its category's ceiling, cut to the amount asked where one is given (> 0)."""
    ceilings = np.array([ins.category_amounts_cny[str(c)] for c in categories], dtype=np.float64)
    return np.where(asked_cny > 0.0, np.minimum(ceilings, asked_cny), ceilings)


def _applies(ins: CategoryGrant, basis: ClaimBasis) -> bool:
    return basis.facts is ProjectApprovals and ins.id in basis.detail


def _file_claims(programs, facts: ProjectApprovals, ctx) -> list[Payment]:
    return [file_one_off(p, ctx, facts.ids, category_grant_amounts(p.instrument, facts.category, facts.size_cny))
            for p in programs if facts.program_id == p.id]


def _describe(ins: CategoryGrant) -> str:
    return ", ".join(f"{n}: <= {v:,.0f} CNY" for n, v in ins.category_amounts_cny.items())


KIND = KindSpec(
    name="category_grant",
    schema=CategoryGrant,
    pays_on=(ProjectApprovals,),
    applies=_applies,
    file_claims=_file_claims,
    describe=_describe,
    how_claimed="paid through a [projects.streams.\"<id>\"] stream with category_weights",
)
