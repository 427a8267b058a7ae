"""Instrument kinds: the payout rules of the gazette as small pure functions.

Each rule is a Numba-compiled function of scalars, so the same code serves the population kernels
(which call them per firm or station) and plain Python (tests, the ledger, reports). Amounts are
CNY; a rule returns the amount *approved* for one claim before the recipient caps that the ledger
keeps (per recipient-year, per recipient in total) and before the scenario's share of the cap paid.

The boundaries follow the gazette's wording: "不少于 / 不低于 / 突破 (含)" is ``>=``,
"不高于 / 不超过 / 最高" is ``<=``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "tiered_grant",
    "price_within_cap",
    "unit_subsidy_under_price_cap",
    "cost_share",
    "apply_recipient_caps",
    "interest_subsidy",
    "threshold_reward",
    "milestone_stage_payment",
    "matching_ratio_ok",
    "capped_grant",
]

# Prices are compared in CNY/kg after rounding to the fen (0.01 CNY), the smallest unit a retail
# price is quoted in, so 30.00 qualifies under a 30 cap whatever binary noise the arithmetic left.
_FEN_PER_CNY = 100.0


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
def apply_recipient_caps(
    amount_cny: float,
    paid_this_year_cny: float,
    cap_per_recipient_year_cny: float,
    paid_in_total_cny: float,
    cap_per_recipient_total_cny: float,
) -> float:
    """Cut a claim so that the recipient's yearly and lifetime caps hold.

    Parameters
    ----------
    amount_cny : float
        Claim after the per-project rule.
    paid_this_year_cny, paid_in_total_cny : float
        What the recipient was already approved under the same instrument this year and in all.
    cap_per_recipient_year_cny, cap_per_recipient_total_cny : float
        The caps; ``inf`` where the instrument has none.

    Returns
    -------
    float
        The largest part of the claim within both caps (never negative).
    """
    room = min(cap_per_recipient_year_cny - paid_this_year_cny, cap_per_recipient_total_cny - paid_in_total_cny)
    if room <= 0.0:
        return 0.0
    return min(amount_cny, room)


@njit(cache=True)
def interest_subsidy(
    loan_balance_cny: float,
    loan_rate_percent: float,
    subsidy_rate_percent: float,
    loan_age_years: int,
    max_years: int,
    cap_per_recipient_year_cny: float,
) -> float:
    """Yearly loan-interest subsidy ("贴息").

    Parameters
    ----------
    loan_balance_cny : float
        Average balance outstanding in the year, CNY.
    loan_rate_percent : float
        Interest rate the borrower pays, percent a year; the subsidy never exceeds the interest.
    subsidy_rate_percent : float
        Subsidised rate, percent a year: the instrument's percentage points (e.g. 2) or the LPR
        of the year for LPR-linked instruments.
    loan_age_years : int
        Years since the loan was drawn (0 in the year it is drawn).
    max_years : int
        Years the subsidy lasts (e.g. 3, or 1 for M&A); a negative value means no limit.
    cap_per_recipient_year_cny : float
        Most paid per recipient and year, CNY.

    Returns
    -------
    float
        ``balance * min(subsidy rate, loan rate) / 100``, capped, or 0 beyond the duration.
    """
    if loan_balance_cny <= 0.0:
        return 0.0
    if max_years >= 0 and loan_age_years >= max_years:
        return 0.0
    rate = min(subsidy_rate_percent, loan_rate_percent)
    if rate <= 0.0:
        return 0.0
    return min(loan_balance_cny * rate / 100.0, cap_per_recipient_year_cny)


@njit(cache=True)
def threshold_reward(
    event_happened: bool,
    base_amount_cny: float,
    extras_cny: float,
    excluded: bool,
    already_paid_cny: float,
    cap_per_recipient_total_cny: float,
) -> float:
    """One-off reward for crossing a size threshold, with extras, exclusions and a total cap.

    Parameters
    ----------
    event_happened : bool
        The firm met the event (e.g. first counted above designated size last year).
    base_amount_cny : float
        The reward for the event, CNY.
    extras_cny : float
        Sum of the extras the firm qualifies for (e.g. +200,000 for a 专精特新 certification).
    excluded : bool
        The firm is excluded from the instrument (e.g. a national "little giant" with central funds).
    already_paid_cny : float
        What the firm was already paid under the instrument.
    cap_per_recipient_total_cny : float
        Most paid to one firm in all; ``inf`` for none.

    Returns
    -------
    float
        ``base + extras`` cut to the room left under the total cap; 0 if no event or excluded.
    """
    if not event_happened or excluded:
        return 0.0
    room = cap_per_recipient_total_cny - already_paid_cny
    if room <= 0.0:
        return 0.0
    return min(base_amount_cny + extras_cny, room)


@njit(cache=True)
def matching_ratio_ok(matching_cny: float, city_cny: float, min_matching_ratio: float) -> bool:
    """Whether participants' matching funds reach the minimum ratio to city money (``>=``)."""
    if city_cny <= 0.0:
        return True
    # Compared on the fen so that exactly 1:5 written as 0.2 passes.
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


@njit(cache=True)
def capped_grant(requested_cny: float, cap_per_project_cny: float) -> float:
    """A grant of "up to" a cap: the amount asked for, cut to the cap (never negative)."""
    if requested_cny <= 0.0:
        return 0.0
    return min(requested_cny, cap_per_project_cny)
