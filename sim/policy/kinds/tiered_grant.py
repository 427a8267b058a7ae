"""Tiered grant: a fixed amount by tier of a measured quantity (D7 item 13's station grant).

Paid once per completion, on the day of completion: in full if that day is inside the window,
not at all otherwise. A grant limited by district (``eligibility = { district = "Daxing" }``) pays
only the completions of stations in those districts.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numba import njit
from pydantic import Field, model_validator

from sim.policy.facts import ClaimBasis, StationCompletions
from sim.policy.instrument import InstrumentBase, NonNegative, StationEligibility
from sim.policy.kinds._base import KindSpec, Payment, district_rows, district_text

__all__ = ["TieredGrant", "tiered_grant", "tiered_grants", "grant_for", "KIND"]


class TieredGrant(InstrumentBase):
    """Fixed grant by tier of a measured quantity (``measure >= threshold``)."""

    kind: Literal["tiered_grant"]
    measure: str
    tier_thresholds: list[NonNegative] = Field(min_length=1)
    tier_amounts_cny: list[NonNegative] = Field(min_length=1)
    eligibility: StationEligibility = Field(default_factory=StationEligibility)

    @model_validator(mode="after")
    def _tiers_consistent(self):
        if len(self.tier_thresholds) != len(self.tier_amounts_cny):
            raise ValueError("tier_thresholds and tier_amounts_cny must have the same length")
        if any(a <= b for a, b in zip(self.tier_thresholds, self.tier_thresholds[1:], strict=False)):
            raise ValueError("tier_thresholds must be strictly descending")
        return self


@njit(cache=True)
def tiered_grant(measure: float, tier_thresholds: np.ndarray, tier_amounts_cny: np.ndarray) -> float:
    """Fixed grant by tier of a measured quantity.

    Parameters
    ----------
    measure : float
        The quantity the tiers are defined on (e.g. compressor 12-hour rated capacity, kg).
    tier_thresholds : ndarray
        Thresholds in descending order; a tier is reached when ``measure >= threshold``.
    tier_amounts_cny : ndarray
        Grant paid for each tier, CNY, aligned with `tier_thresholds`.

    Returns
    -------
    float
        The grant of the highest tier reached, or 0.0 when none is.
    """
    for i in range(tier_thresholds.shape[0]):
        if measure >= tier_thresholds[i]:
            return tier_amounts_cny[i]
    return 0.0


@njit(cache=True)
def tiered_grants(measure: np.ndarray, tier_thresholds: np.ndarray, tier_amounts_cny: np.ndarray) -> np.ndarray:
    """:func:`tiered_grant` of each measure (float64 array)."""
    out = np.empty(measure.shape[0])
    for k in range(measure.shape[0]):
        out[k] = tiered_grant(measure[k], tier_thresholds, tier_amounts_cny)
    return out


def grant_for(ins: TieredGrant, measure: float) -> float:
    """The grant of `ins` for one completion of the given measure, CNY (before share and caps)."""
    return tiered_grant(float(measure), np.asarray(ins.tier_thresholds, dtype=np.float64),
                        np.asarray(ins.tier_amounts_cny, dtype=np.float64))


def _applies(ins: TieredGrant, basis: ClaimBasis) -> bool:
    return basis.facts is StationCompletions and ins.recipient == basis.recipient and ins.measure in basis.detail


def _file_claims(programs, facts: StationCompletions, ctx) -> list[Payment]:
    out = []
    for program in programs:
        ins = program.instrument
        ids, dates = facts.ids, facts.dates
        measure = np.asarray(facts.measures[ins.measure], dtype=np.float64)
        rows = district_rows(program, facts.district, ids.size)
        if rows is not None:
            # Completions in other districts claim nothing under a district's grant.
            ids, measure, dates = ids[rows], measure[rows], [dates[r] for r in rows.tolist()]
            if not ids.size:
                continue
        amounts = tiered_grants(measure, np.asarray(ins.tier_thresholds, dtype=np.float64),
                                np.asarray(ins.tier_amounts_cny, dtype=np.float64))
        approved = ctx.ledger.claim(program.id, ctx.year, ids, amounts, event_dates=dates)
        out.append(Payment(program, ids, approved))
    return out


def _describe(ins: TieredGrant) -> str:
    tiers = ", ".join(f">= {t:,.0f}: {a:,.0f} CNY" for t, a in zip(ins.tier_thresholds, ins.tier_amounts_cny, strict=False))
    return f"by {ins.measure}: {tiers}{district_text(ins)}"


KIND = KindSpec(
    name="tiered_grant",
    schema=TieredGrant,
    pays_on=(StationCompletions,),
    applies=_applies,
    file_claims=_file_claims,
    describe=_describe,
    how_claimed="paid on completions of a [hydrogen] station (recipient 'station', measure "
                "'compressor_capacity_kg_per_12h')",
)
