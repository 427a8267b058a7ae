"""The claim desk's kernels in plain NumPy, claim by claim as the rules read: what the kernels are tested against."""

from __future__ import annotations

import numpy as np

from sim.core.claim_kernels import (
    BAD_AMOUNT,
    BAD_RECIPIENT,
    CLAIMS_OK,
    ON_EVENT_DAY,
    PAID_IN_TOTAL,
    PAID_THIS_YEAR,
    PRO_RATED,
    SHARE_GIVEN,
    YEAR_OF_TALLY,
)

__all__ = ["check_claims_reference", "approve_claims_reference", "group_by_program_reference"]


def approve_claims_reference(
    recipients: np.ndarray,
    amounts_cny: np.ndarray,
    mode: int,
    validity_share: float,
    shares: np.ndarray,
    event_days: np.ndarray,
    first_day: int,
    last_day: int,
    share_of_cap_paid: float,
    tallies: np.ndarray,
    year: int,
    cap_per_recipient_year_cny: float,
    cap_per_recipient_total_cny: float,
) -> np.ndarray:
    """:func:`approve_claims` as the ledger did it before the kernel: reset the yearly tallies of
    the recipients of another year, scale the whole array by each factor in NumPy, then cap
    claim by claim.
    """
    stale = tallies[recipients, YEAR_OF_TALLY] != year
    tallies[recipients[stale], PAID_THIS_YEAR] = 0.0
    tallies[recipients, YEAR_OF_TALLY] = year
    paid_this_year_cny, paid_in_total_cny = tallies[:, PAID_THIS_YEAR], tallies[:, PAID_IN_TOTAL]  # views
    amounts = np.array(amounts_cny, dtype=np.float64)
    if mode == PRO_RATED:
        amounts *= validity_share
    elif mode == SHARE_GIVEN:
        amounts *= shares
    elif mode == ON_EVENT_DAY:
        inside = (event_days >= first_day) & (event_days <= last_day)
        amounts[~inside] = 0.0
    amounts *= share_of_cap_paid
    approved = np.zeros(amounts.size)
    for k, (r, a) in enumerate(zip(recipients.tolist(), amounts.tolist(), strict=True)):
        room = min(cap_per_recipient_year_cny - paid_this_year_cny[r], cap_per_recipient_total_cny - paid_in_total_cny[r])
        if a <= 0.0 or room <= 0.0:
            continue
        approved[k] = min(a, room)
        paid_this_year_cny[r] += approved[k]
        paid_in_total_cny[r] += approved[k]
    return approved


def check_claims_reference(recipients: np.ndarray, amounts_cny: np.ndarray) -> tuple[int, int]:
    """:func:`check_claims` in NumPy."""
    if not np.all(np.isfinite(amounts_cny)) or np.any(amounts_cny < 0.0):
        return BAD_AMOUNT, 0
    if recipients.min() < 0:
        return BAD_RECIPIENT, 0
    return CLAIMS_OK, int(recipients.max()) + 1


def group_by_program_reference(program: np.ndarray, n_programs: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`group_by_program` in NumPy (a stable argsort and the counts)."""
    order = np.argsort(program, kind="stable").astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(np.bincount(program, minlength=n_programs))]).astype(np.int64)
    return order, starts
