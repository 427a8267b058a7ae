"""Kernels of the ledger's claim desk: checking, scaling and capping a programme's claims of a year.

:meth:`sim.core.ledger.Ledger.claim` files all of a programme's claims of a year in one call;
these kernels do the per-claim work over arrays, so Python touches a filing a few times, not
each claim. Each kernel has a pure-Python reference in ``tests/reference/claim_kernels_reference.py``,
written claim by claim the way the rules read, which the tests compare it with bit for bit.

The scaling of a claim before the caps is one of (``mode``):

* :data:`PRO_RATED`: times the year's share inside the programme's window;
* :data:`SHARE_GIVEN`: times the claim's own share of the year in force;
* :data:`ON_EVENT_DAY`: in full if its day of the year is inside the window, else nothing;
* :data:`IN_FULL`: in full (claims all made on one day known to be inside the window);

then times the programme's ``share_of_cap_paid``. The multiplications are done one after the
other, in this order, as separate roundings: the result is the same number as scaling the whole
array by each factor in turn.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import NamedTuple

import numpy as np
from numba import njit

__all__ = [
    "PRO_RATED",
    "SHARE_GIVEN",
    "ON_EVENT_DAY",
    "IN_FULL",
    "PAID_THIS_YEAR",
    "PAID_IN_TOTAL",
    "YEAR_OF_TALLY",
    "CLAIMS_OK",
    "BAD_AMOUNT",
    "BAD_RECIPIENT",
    "check_claims",
    "ClaimTerms",
    "approve_claims",
    "window_days_of",
    "zero_tally_rows",
    "group_by_program",
]

PRO_RATED, SHARE_GIVEN, ON_EVENT_DAY, IN_FULL = 0, 1, 2, 3
#: Columns of a cap group's tallies.
PAID_THIS_YEAR, PAID_IN_TOTAL, YEAR_OF_TALLY = 0, 1, 2
#: What :func:`check_claims` finds: all well, an amount negative or not finite, a recipient < 0.
CLAIMS_OK, BAD_AMOUNT, BAD_RECIPIENT = 0, 1, 2


@njit(cache=True)
def zero_tally_rows(tallies: np.ndarray, rows: np.ndarray) -> None:
    """Set the given rows of `tallies` (any index order, repeats allowed) to zero, in place.

    What ``tallies[rows] = 0.0`` does, without NumPy's fancy-index machinery: about 23 ns a row
    there, a few here (a draw zeroes some 30,000 rows of its recycled tallies).
    """
    cols = tallies.shape[1]
    for k in range(rows.shape[0]):
        r = rows[k]
        for c in range(cols):
            tallies[r, c] = 0.0


@njit(cache=True)
def check_claims(recipients: np.ndarray, amounts_cny: np.ndarray) -> tuple[int, int]:
    """Whether claims can be filed, and how many recipients their tallies must hold.

    Parameters
    ----------
    recipients : ndarray of int64
    amounts_cny : ndarray of float64
        At least one claim.

    Returns
    -------
    problem : int
        :data:`CLAIMS_OK`, or :data:`BAD_AMOUNT` when an amount is negative or not finite (checked
        first, over all claims), else :data:`BAD_RECIPIENT` when a recipient index is negative.
    n_recipients : int
        ``max(recipients) + 1``.
    """
    for k in range(amounts_cny.shape[0]):
        a = amounts_cny[k]
        if not np.isfinite(a) or a < 0.0:
            return BAD_AMOUNT, 0
    lowest = recipients[0]
    highest = recipients[0]
    for k in range(1, recipients.shape[0]):
        r = recipients[k]
        if r < lowest:
            lowest = r
        if r > highest:
            highest = r
    if lowest < 0:
        return BAD_RECIPIENT, 0
    return CLAIMS_OK, highest + 1


class ClaimTerms(NamedTuple):
    """How a programme's claims of a year are scaled and capped (:func:`approve_claims`).

    Attributes
    ----------
    mode : int
        :data:`PRO_RATED`, :data:`SHARE_GIVEN`, :data:`ON_EVENT_DAY` or :data:`IN_FULL`.
    validity_share : float
        Share of the year inside the window (:data:`PRO_RATED`).
    first_day, last_day : int
        First and last day of the year inside the window (``first_day > last_day`` when none is).
    share_of_cap_paid : float
    cap_per_recipient_year_cny, cap_per_recipient_total_cny : float
        The caps (``inf`` for none).
    """

    mode: int
    validity_share: float
    first_day: int
    last_day: int
    share_of_cap_paid: float
    cap_per_recipient_year_cny: float
    cap_per_recipient_total_cny: float


@njit(cache=True)
def approve_claims(
    recipients: np.ndarray,
    amounts_cny: np.ndarray,
    shares: np.ndarray,
    event_days: np.ndarray,
    terms: ClaimTerms,
    tallies: np.ndarray,
    year: int,
) -> np.ndarray:
    """Scale claims for the window and the share paid, then cut them, in order, to the caps.

    Parameters
    ----------
    recipients : ndarray of int64
        Recipient index of each claim (into the tally arrays), checked by :func:`check_claims`.
    amounts_cny : ndarray of float64
        What the payout rule gives for each claim (not changed).
    shares : ndarray of float64
        Each claim's share of the year in force (:data:`SHARE_GIVEN`; any array otherwise).
    event_days : ndarray of int64
        Each claim's day of the year, 0-based (:data:`ON_EVENT_DAY`; any array otherwise).
    terms : ClaimTerms
        The mode, window, share paid and caps.
    tallies : ndarray of float64, shape (n_recipients, 3)
        By recipient (row): paid in the year of column :data:`YEAR_OF_TALLY`
        (:data:`PAID_THIS_YEAR`), paid in total (:data:`PAID_IN_TOTAL`); updated in place. A row
        whose year is not `year` has paid nothing this year: it is reset at its first claim of
        the year, so a new year costs no pass over last year's recipients. One row per recipient
        keeps the three in one cache line.
    year : int
        The year of the claims.

    Returns
    -------
    ndarray of float64
        Approved amount of each claim.
    """
    mode, validity_share, share_of_cap_paid = terms.mode, terms.validity_share, terms.share_of_cap_paid
    first_day, last_day = terms.first_day, terms.last_day
    cap_per_recipient_year_cny = terms.cap_per_recipient_year_cny
    cap_per_recipient_total_cny = terms.cap_per_recipient_total_cny
    n = amounts_cny.shape[0]
    approved = np.empty(n)
    for k in range(n):
        a = amounts_cny[k]
        if mode == PRO_RATED:
            a = a * validity_share
        elif mode == SHARE_GIVEN:
            a = a * shares[k]
        elif mode == ON_EVENT_DAY and (event_days[k] < first_day or event_days[k] > last_day):
            a = 0.0
        a = a * share_of_cap_paid
        r = recipients[k]
        if tallies[r, YEAR_OF_TALLY] != year:
            tallies[r, PAID_THIS_YEAR] = 0.0
            tallies[r, YEAR_OF_TALLY] = year
        room = min(cap_per_recipient_year_cny - tallies[r, PAID_THIS_YEAR],
                   cap_per_recipient_total_cny - tallies[r, PAID_IN_TOTAL])
        if a <= 0.0 or room <= 0.0:
            approved[k] = 0.0
            continue
        if a > room:
            a = room
        approved[k] = a
        tallies[r, PAID_THIS_YEAR] += a
        tallies[r, PAID_IN_TOTAL] += a
    return approved


@njit(cache=True)
def group_by_program(program: np.ndarray, n_programs: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of each programme, in their order: a stable counting sort of programme indices.

    Parameters
    ----------
    program : ndarray of int64
        Programme index of each row, in ``0 .. n_programs - 1``.
    n_programs : int

    Returns
    -------
    order : ndarray of int64
        Row numbers sorted by programme, rows of one programme in ascending order.
    starts : ndarray of int64
        ``order[starts[q]:starts[q + 1]]`` are the rows of programme ``q`` (``n_programs + 1`` values).
    """
    starts = np.zeros(n_programs + 1, dtype=np.int64)
    for k in range(program.shape[0]):
        starts[program[k] + 1] += 1
    for q in range(n_programs):
        starts[q + 1] += starts[q]
    fill = starts[:-1].copy()
    order = np.empty(program.shape[0], dtype=np.int64)
    for k in range(program.shape[0]):
        q = program[k]
        order[fill[q]] = k
        fill[q] += 1
    return order, starts


@functools.lru_cache(maxsize=4096)
def window_days_of(valid_from: dt.date, valid_until: dt.date, year: int) -> tuple[int, int]:
    """First and last day of `year` (0-based day numbers) inside a validity window.

    Returns ``(first, last)`` with ``first > last`` when no day of the year is inside. Cached:
    a run asks it of the same few windows and years at every filing.
    """
    start = dt.date(year, 1, 1)
    days = (dt.date(year + 1, 1, 1) - start).days
    return max(0, (valid_from - start).days), min(days - 1, (valid_until - start).days)
