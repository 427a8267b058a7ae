"""Unit subsidy: CNY per kg sold, for sellers whose price is at or under a cap (D7 item 13).

All per-kg subsidies to stations are read together: a station chooses its price against every
capped scheme at once (:func:`price_cap_offers`: enrolling under a cap earns the rates of every
scheme whose cap that price meets) and every uncapped rate is earned on all kg sold.

A scheme may be limited to some districts (``eligibility = { district = "Daxing" }``): only the
sales of stations in those districts claim under it, and :func:`price_cap_offers` given a district
offers only the schemes open to it.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numba import njit
from pydantic import Field

from sim.policy.facts import ClaimBasis, UnitSales
from sim.policy.instrument import InstrumentBase, NonNegative, StationEligibility, eligible_districts
from sim.policy.kinds._base import KindSpec, Payment, district_rows, district_text, file_positive

__all__ = ["UnitSubsidy", "price_within_cap", "unit_subsidy_under_price_cap", "price_cap_offers", "open_to_district",
           "KIND"]

# Prices are compared in CNY/kg after rounding to the fen (0.01 CNY), the smallest unit a retail
# price is quoted in, so 30.00 qualifies under a 30 cap whatever binary noise the arithmetic left.
_FEN_PER_CNY = 100.0


class UnitSubsidy(InstrumentBase):
    """Subsidy per kg sold, for sellers whose price is at or under a cap."""

    kind: Literal["unit_subsidy"]
    rate_cny_per_kg: NonNegative
    price_cap_cny_per_kg: NonNegative | None = None
    eligibility: StationEligibility = Field(default_factory=StationEligibility)


@njit(cache=True)
def price_within_cap(price_cny_per_kg: float, price_cap_cny_per_kg: float) -> bool:
    """Whether a retail price satisfies a price cap (``price <= cap``, compared to the fen)."""
    return np.round(price_cny_per_kg * _FEN_PER_CNY) <= np.round(price_cap_cny_per_kg * _FEN_PER_CNY)


@njit(cache=True)
def unit_subsidy_under_price_cap(
    units_sold: float,
    price_cny_per_unit: float,
    rate_cny_per_unit: float,
    price_cap_cny_per_unit: float,
    validity_share: float,
) -> float:
    """Per-unit operating subsidy for sellers that keep their price at or under a cap.

    Parameters
    ----------
    units_sold : float
        Units (kg) sold in the year.
    price_cny_per_unit : float
        Retail price the seller charged, CNY per unit.
    rate_cny_per_unit : float
        Subsidy per unit sold, CNY.
    price_cap_cny_per_unit : float
        Highest price that qualifies (inclusive); ``inf`` for no cap.
    validity_share : float
        Share of the year's days inside the policy's validity window, in [0, 1].

    Returns
    -------
    float
        ``rate * units * validity_share`` if the price is within the cap, else 0.0.
    """
    if units_sold <= 0.0 or validity_share <= 0.0:
        return 0.0
    if not price_within_cap(price_cny_per_unit, price_cap_cny_per_unit):
        return 0.0
    return rate_cny_per_unit * units_sold * validity_share


def cap_of(ins: UnitSubsidy) -> float:
    """The price cap, CNY/kg (``inf`` for none)."""
    return math.inf if ins.price_cap_cny_per_kg is None else ins.price_cap_cny_per_kg


def open_to_district(programs, district: str | None) -> list:
    """The programmes a station of `district` may claim (every programme when `district` is None).

    A programme limited by district (``eligibility.district``) is open to the stations of the
    districts it names; one without a limit, to every station.
    """
    if district is None:
        return list(programs)
    out = []
    for p in programs:
        names = eligible_districts(p.instrument)
        if names is None or district in names:
            out.append(p)
    return out


def price_cap_offers(programs, year_index: int, district: str | None = None
                     ) -> tuple[np.ndarray, np.ndarray, float, float]:
    """What the per-kg subsidies in force offer a station this year.

    Parameters
    ----------
    programs : list of Program
        The unit subsidies to stations.
    year_index : int
        Position of the year in the horizon.
    district : str, optional
        The station's district (a name of the scenario's ``[hydrogen] districts``): only the
        programmes open to it count (:func:`open_to_district`). None: every programme, whatever
        its district limit (the offers as they were before districts).

    Returns
    -------
    caps : ndarray
        Distinct price caps, ascending (CNY/kg): the levels a station may enrol at.
    rates : ndarray
        For each cap, the sum of the rates of the capped schemes a price at that cap meets.
    uncapped_rate : float
        Sum of the rates of schemes without a cap (earned on every kg).
    in_force_share : float
        Largest share of the year inside a capped scheme's window (the part of the year a
        station sells at its enrolled price).
    """
    live = [p for p in open_to_district(programs, district) if p.validity_share[year_index] > 0.0]
    capped = [p for p in live if p.instrument.price_cap_cny_per_kg is not None]
    caps = np.array(sorted({cap_of(p.instrument) for p in capped}), dtype=np.float64)
    rates = np.array([sum(p.instrument.rate_cny_per_kg for p in capped if cap_of(p.instrument) >= c) for c in caps],
                     dtype=np.float64)
    uncapped = float(sum(p.instrument.rate_cny_per_kg for p in live if p.instrument.price_cap_cny_per_kg is None))
    share = max((float(p.validity_share[year_index]) for p in capped), default=0.0)
    return caps, rates, uncapped, share


def _applies(ins: UnitSubsidy, basis: ClaimBasis) -> bool:
    return issubclass(basis.facts, UnitSales) and ins.recipient == basis.recipient


def _file_claims(programs, facts: UnitSales, ctx) -> list[Payment]:
    out = []
    for program in programs:
        ins = program.instrument
        capped = ins.price_cap_cny_per_kg is not None
        # The ledger applies the year's validity share: not pro-rated here, so not twice.
        amounts = np.array([
            unit_subsidy_under_price_cap(kg, price, ins.rate_cny_per_kg, cap_of(ins), 1.0)
            if (enrolled or not capped) else 0.0
            for kg, price, enrolled in zip(facts.kg_sold, facts.price_enrolled_cny_per_kg, facts.enrolled, strict=False)
        ])
        rows = district_rows(program, facts.district, facts.ids.size)
        if rows is None:
            out += file_positive(program, ctx, facts.ids, amounts)
        else:
            # Stations of other districts claim nothing under a district's scheme.
            out += file_positive(program, ctx, facts.ids[rows], amounts[rows])
    return out


def _describe(ins: UnitSubsidy) -> str:
    cap = "" if ins.price_cap_cny_per_kg is None else f" if price <= {ins.price_cap_cny_per_kg:.2f} CNY/kg"
    return f"{ins.rate_cny_per_kg:g} CNY/kg sold{cap}{district_text(ins)}"


KIND = KindSpec(
    name="unit_subsidy",
    schema=UnitSubsidy,
    pays_on=(UnitSales,),
    applies=_applies,
    file_claims=_file_claims,
    describe=_describe,
    how_claimed="paid on the kg a population sells to its recipient ([hydrogen] stations: 'station')",
)
