"""The fiscal ledger of one draw: claims approved, paid, queued and forfeited, by programme and year.

Agents file claims with :meth:`Ledger.claim`. The ledger applies, in this order:

1. the programme's validity: pro-rated by the share of the year inside the window, or exact by
   the day of the event when the agent knows it;
2. the scenario's ``share_of_cap_paid``;
3. the recipient caps (per recipient-year and per recipient in total; instruments naming the same
   ``shared_cap_group`` share one tally, so one cap binds across them);

and records what is left as *committed* in the year of approval. The commitment falls due
``payment_lag_years`` later. At the end of each year :meth:`Ledger.settle` pays what is due from
each budget line under its ceiling and rationing rule.

Stocks and flows (all CNY, by year and programme)::

    committed   approved in the year                         (flow)
    outlay      paid in the year                             (flow)
    forfeited   cut by pro-rata rationing, never paid        (flow)
    unpaid      due but not paid at year end (queue backlog) (stock)
    pending     approved, not yet due (payment lag)          (stock)

so that, at the end of every year, ``sum(committed) == sum(outlay) + sum(forfeited) + unpaid +
pending``: rationing moves money in time or cuts it, never creates it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence

import numpy as np

from sim.core.budget import BudgetLineRule
from sim.core.claim_kernels import (
    BAD_AMOUNT,
    BAD_RECIPIENT,
    IN_FULL,
    ON_EVENT_DAY,
    PAID_IN_TOTAL,
    PAID_THIS_YEAR,
    PRO_RATED,
    SHARE_GIVEN,
    YEAR_OF_TALLY,
    ClaimTerms,
    approve_claims,
    check_claims,
    window_days_of,
    zero_tally_rows,
)
from sim.core.policy_terms import PolicyTerms

__all__ = ["Ledger"]

_MIN_TALLY_SIZE = 64
#: Tallies shorter than this (96 KiB) are not pooled: the allocator reuses its own memory for them.
_POOLED_MIN_ROWS = 4096
#: Pooled tallies are made a whole number of these rows long, so that one serves a later draw's
#: population of nearly the same size (a baseline's varies by a tenth between draws).
_POOLED_ROW_STEP = 16384


class _TallyPool:
    """Zeroed cap tallies kept between the draws of a process.

    A draw's tallies are as long as its population (80,000 rows of a baseline's firm programmes)
    and written at scattered rows. Fresh zeros are pages the system maps at their first write,
    one fault a page: about 1.5 ms of a 37 ms baseline draw. A recycled array was mapped by an
    earlier draw. Zeroing the whole of it again cost more than the faults (3.7 ms a draw: 32
    arrays, 60 MB); only the rows the draw's claims wrote are zeroed when the ledger names them,
    some 30,000 a draw. At most `max_arrays` wait here (a baseline draw uses 11, about 25 MiB),
    a fixed amount that does not grow with the draws.
    """

    def __init__(self, max_arrays: int = 32):
        self._free: list[np.ndarray] = []
        self._max_arrays = max_arrays
        self._lock = threading.Lock()  # draws may run on several threads of one process (Dask)

    def take(self, rows: int) -> np.ndarray:
        """A zeroed ``(n, 3)`` array with ``n >= rows``: the shortest waiting, or a new one (a
        long one a whole number of :data:`_POOLED_ROW_STEP` rows).
        """
        with self._lock:
            fits = [k for k, a in enumerate(self._free) if a.shape[0] >= rows]
            if fits:
                return self._free.pop(min(fits, key=lambda k: self._free[k].shape[0]))
        if rows >= _POOLED_MIN_ROWS:
            rows = -(-rows // _POOLED_ROW_STEP) * _POOLED_ROW_STEP
        return np.zeros((rows, 3))

    def give(self, tallies: np.ndarray, written_rows: list[np.ndarray] | None = None) -> None:
        """Zero `tallies` and keep it for a later draw (nothing else may hold it).

        `written_rows`, when given, are the only rows that may be non-zero (index arrays, repeats
        allowed): just those are zeroed. Otherwise the whole array is.
        """
        if tallies.shape[0] < _POOLED_MIN_ROWS:
            return
        with self._lock:
            if len(self._free) >= self._max_arrays:
                return
        if written_rows is None:
            tallies.fill(0.0)
        else:
            for rows in written_rows:
                zero_tally_rows(tallies, rows)
        with self._lock:
            if len(self._free) < self._max_arrays:
                self._free.append(tallies)


_TALLY_POOL = _TallyPool()


class Ledger:
    """Claims and payments of one draw.

    Parameters
    ----------
    policy : PolicyTerms
        A :class:`sim.policy.policyset.PolicySet`, or anything with its programmes' terms.
        Programmes in force, budget lines and years.
    lines : list of BudgetLineRule, optional
        Who pays on each budget line (the model's Mesa budget-line agents); plain rules by default.
    """

    def __init__(self, policy: PolicyTerms, lines: Sequence[BudgetLineRule] | None = None):
        self.policy = policy
        self.lines = lines if lines is not None else [BudgetLineRule(spec, i) for i, spec in enumerate(policy.lines)]
        if [line.index for line in self.lines] != list(range(len(policy.lines))):
            raise ValueError("lines must give one rule per budget line of the policy, in order")
        n_years, n_prog = len(policy.years), len(policy.programs)
        self.committed = np.zeros((n_years, n_prog))
        self.outlay = np.zeros((n_years, n_prog))
        self.forfeited = np.zeros((n_years, n_prog))
        self.unpaid = np.zeros((n_years, n_prog))
        self.pending = np.zeros((n_years, n_prog))
        # What each payment waited in the queue past its due year, weighted by the amount (CNY x years).
        self.wait_cny_years = np.zeros((n_years, n_prog))
        self.budget_overrun = np.zeros((n_years, len(policy.lines)))
        # One tally per cap group: a programme's own, or the group it shares with others.
        groups: dict[str, int] = {}
        self._cap_group = [groups.setdefault(p.instrument.shared_cap_group or p.id, len(groups)) for p in policy.programs]
        # By recipient: paid in its tally year, paid in total, its tally year (claim_kernels).
        self._tallies_of = [np.zeros((0, 3)) for _ in groups]
        # The recipients claimed for in each group's tallies (the only rows written), so that
        # recycling zeroes those rows, not the population's; None once they outnumber the rows.
        self._written_rows: list[list[np.ndarray] | None] = [[] for _ in groups]
        self._written_count = [0] * len(groups)
        # The latest year each group was claimed for: claims go in year order.
        self._tally_year = [policy.years[0]] * len(groups)
        # Queue of commitments awaiting payment: rows of [approval year index, programme, amount left].
        self._queue: list[list[float]] = []
        self._settled_through = -1
        # Recipients followed one by one (those read from CSV files), by programme: how many, and
        # what each was approved and is still owed per (approval year, programme).
        self._followed: dict[int, int] = {}
        self._owed: dict[tuple[int, int], dict[int, float]] = {}
        self.recipient_committed: dict[tuple[int, int, int], float] = {}
        self.recipient_outlay: dict[tuple[int, int, int], float] = {}
        # What every filing reads of its programme, looked up once a draw rather than per filing
        # through the pydantic instrument: share paid and caps, by programme index.
        self._share_paid = [float(p.instrument.share_of_cap_paid) for p in policy.programs]
        self._caps = [(p.cap_per_recipient_year_cny, p.cap_per_recipient_total_cny) for p in policy.programs]
        # First and last day (0-based) of a year inside a programme's window, by (programme, year).
        self._window: dict[tuple[int, int], tuple[int, int]] = {}
        self._no_shares = np.zeros(0)
        self._no_days = np.zeros(0, dtype=np.int64)
        self._programs = {p.id: p for p in policy.programs}
        self._first_year, self._n_years = policy.years[0], len(policy.years)

    def _year_index(self, year: int) -> int:
        i = year - self.policy.years[0]
        if not 0 <= i < len(self.policy.years):
            raise ValueError(f"year (={year}) is outside the horizon {self.policy.years[0]}..{self.policy.years[-1]}")
        if i <= self._settled_through:
            raise ValueError(f"year {year} is already settled; claims must be filed before settle({year})")
        return i

    def _tallies(self, program: int, year: int, n_recipients: int) -> np.ndarray:
        group = self._cap_group[program]
        tallies = self._tallies_of[group]
        if tallies.shape[0] < n_recipients:
            # At least a few dozen: a population numbered one by one (projects) would otherwise
            # grow its tallies a copy at a time in its first years.
            grow = max(n_recipients, 2 * tallies.shape[0], _MIN_TALLY_SIZE)
            wider = _TALLY_POOL.take(grow)
            wider[: tallies.shape[0]] = tallies
            _TALLY_POOL.give(tallies, self._written_rows[group])  # the same rows are written in `wider`
            tallies = self._tallies_of[group] = wider
        if year < self._tally_year[group]:
            # The yearly tally holds one year at a time; going back would let a recipient's
            # yearly cap be counted afresh.
            raise ValueError(
                f"claims for {year} after claims for {self._tally_year[group]} under "
                f"{self.policy.programs[program].id}: file claims in year order"
            )
        self._tally_year[group] = year
        return tallies

    def claim(
        self,
        program_id: str,
        year: int,
        recipients: np.ndarray,
        amounts_cny: np.ndarray,
        event_dates: list[dt.date] | None = None,
        in_force_share: np.ndarray | None = None,
        event_days: np.ndarray | int | None = None,
    ) -> np.ndarray:
        """File claims under a programme; return what is approved of each.

        All of a programme's claims of a year can be filed in one call: the checks, the scaling
        and the caps run over the arrays (:mod:`sim.core.claim_kernels`), in the order given.

        Parameters
        ----------
        program_id : str
            Instrument id; it must be in force.
        year : int
            Year of approval.
        recipients : array_like of int
            Recipient index of each claim (firm, station, project ... index), >= 0.
        amounts_cny : array_like of float
            What the payout rule gives for each claim, before validity, share and caps.
        event_dates : list of datetime.date, optional
            Day of the event of each claim (e.g. a station's completion). When given, a claim is
            eligible in full if its day is inside the validity window and not at all otherwise;
            when omitted, claims are pro-rated by the share of the year inside the window.
        in_force_share : array_like of float, optional
            Share of the year each claim is paid for, instead of the year's share inside the
            window (loan subsidies that run to the end of their term after the window closes).
        event_days : array_like of int, or int, optional
            The event of each claim as its day of `year` (0-based), instead of `event_dates`:
            the same check without a date object per claim; one int for claims all made that day.

        Returns
        -------
        ndarray of float64
            The committed amount of each claim.

        Raises
        ------
        KeyError
            If the programme is not in force.
        ValueError
            If amounts are negative or not finite, or the year is outside the horizon or settled.
        """
        program = self._programs.get(program_id)
        if program is None:
            raise KeyError(f"programme {program_id} is not in force in this scenario")
        yi = year - self._first_year
        if not self._settled_through < yi < self._n_years:
            yi = self._year_index(year)  # raises: outside the horizon or settled
        recipients_given = recipients
        recipients = np.asarray(recipients, dtype=np.int64)
        amounts = np.asarray(amounts_cny, dtype=np.float64)
        if recipients.shape != amounts.shape:
            raise ValueError("recipients and amounts_cny must have the same shape")
        if amounts.size == 0:
            return amounts.copy()
        problem, n_recipients = check_claims(recipients, amounts)
        if problem == BAD_AMOUNT:
            raise ValueError(f"claims under {program_id} must be finite and >= 0")
        if problem == BAD_RECIPIENT:
            raise ValueError("recipient indices must be >= 0")
        p = program.index
        shares, days, first, last = self._no_shares, self._no_days, 0, -1
        if in_force_share is not None:
            mode = SHARE_GIVEN
            shares = np.asarray(in_force_share, dtype=np.float64)
            if shares.shape != amounts.shape:
                shares = np.ascontiguousarray(np.broadcast_to(shares, amounts.shape))
        elif event_dates is None and event_days is None:
            mode = PRO_RATED
        else:
            mode = ON_EVENT_DAY
            if event_days is None:
                if len(event_dates) != amounts.size:  # type: ignore[arg-type]
                    raise ValueError("event_dates must give one date per claim")
                start = dt.date(year, 1, 1)
                # A date of another year is outside the year's window whatever its day number.
                days = np.array([(d - start).days if d.year == year else -1 for d in event_dates],  # type: ignore[union-attr]
                                dtype=np.int64)
            else:
                days = np.asarray(event_days, dtype=np.int64)
            window = self._window.get((p, year))
            first, last = window if window is not None else self._window_days(p, year)
            if days.ndim == 0:
                if first <= int(days) <= last:
                    mode, days = IN_FULL, self._no_days  # one day, inside the window: all in full
                else:
                    days = np.full(amounts.shape, int(days), dtype=np.int64)
            elif days.shape != amounts.shape:
                raise ValueError("event_days must give one day per claim")
        group = self._cap_group[p]
        tallies = self._tallies_of[group]
        if tallies.shape[0] < n_recipients or self._tally_year[group] != year:
            tallies = self._tallies(p, year, int(n_recipients))
        cap_year, cap_total = self._caps[p]
        written = self._written_rows[group]
        if written is not None:
            # Every claim writes its recipient's row (its tally year at least).
            self._written_count[group] += recipients.size
            if self._written_count[group] > tallies.shape[0]:
                self._written_rows[group] = None
            else:
                # A copy when the array is the caller's, which it may reuse for other firms.
                written.append(recipients.copy() if recipients is recipients_given else recipients)
        terms = ClaimTerms(mode, float(program.validity_share[yi]), first, last, self._share_paid[p], cap_year,
                           cap_total)
        approved = approve_claims(recipients, amounts, shares, days, terms, tallies, year)
        total = float(np.add.reduce(approved))  # approved.sum() without its Python wrapper
        if total > 0.0:
            self.committed[yi, p] += total
            followed = self._followed.get(p, 0)
            if followed:
                owed = self._owed.setdefault((yi, p), {})
                for r, a in zip(recipients.tolist(), approved.tolist(), strict=False):
                    if r < followed and a > 0.0:
                        owed[r] = owed.get(r, 0.0) + a
                        key = (yi, p, r)
                        self.recipient_committed[key] = self.recipient_committed.get(key, 0.0) + a
        return approved

    def _window_days(self, program: int, year: int) -> tuple[int, int]:
        """First and last day (0-based) of `year` inside a programme's window (first > last: none)."""
        ins = self.policy.programs[program].instrument
        got = self._window[(program, year)] = window_days_of(ins.valid_from, ins.valid_until, year)
        return got

    def recycle(self) -> None:
        """Hand the cap tallies to later draws of this process, once the draw's outputs are taken.

        The ledger can no longer file claims or read what recipients were paid.
        """
        for tallies, written in zip(self._tallies_of, self._written_rows, strict=True):
            _TALLY_POOL.give(tallies, written)
        self._tallies_of = []

    def reserve_recipients(self, program_id: str, n_recipients: int) -> None:
        """Size a programme's cap tallies for recipients ``0 .. n_recipients - 1`` at once.

        A population that knows its size (the firms' capacity) saves the tallies growing claim
        by claim, each growth a fresh zeroed copy of the whole population's tally. Nothing
        changes if the programme is not in force or the tallies are already as large.
        """
        program = self.policy.get(program_id)
        if program is not None:
            group = self._cap_group[program.index]
            if self._tallies_of[group].shape[0] < n_recipients:
                self._tallies(program.index, self._tally_year[group], int(n_recipients))

    def follow_recipients(self, program_id: str, n_recipients: int) -> None:
        """Keep what each recipient ``0 .. n_recipients - 1`` of a programme is approved and paid.

        For populations read from a CSV file, whose recipients have ids (``payments.csv``). The
        outlay of a commitment is shared among its recipients in proportion to what each is owed,
        so rationing cuts or queues every recipient of a claim alike.
        """
        program = self.policy.get(program_id)
        if program is not None:
            self._followed[program.index] = max(self._followed.get(program.index, 0), int(n_recipients))

    def room_cny(self, program_id: str, year: int, recipients: np.ndarray) -> np.ndarray:
        """What each of `recipients` could still be approved under a programme in `year`, CNY:
        the room left under its per-recipient caps (``inf`` without caps; 0 when not in force).
        """
        recipients = np.asarray(recipients, dtype=np.int64)
        program = self.policy.get(program_id)
        if program is None:
            return np.zeros(recipients.shape)
        group = self._cap_group[program.index]
        tallies = self._tallies_of[group]
        known = recipients < tallies.shape[0]
        this_year = np.zeros(recipients.shape)
        total = np.zeros(recipients.shape)
        rows = tallies[recipients[known]]
        total[known] = rows[:, PAID_IN_TOTAL]
        if self._tally_year[group] == year:
            # A recipient not claimed for since an earlier year has paid nothing this year.
            this_year[known] = np.where(rows[:, YEAR_OF_TALLY] == year, rows[:, PAID_THIS_YEAR], 0.0)
        room = np.minimum(program.cap_per_recipient_year_cny - this_year, program.cap_per_recipient_total_cny - total)
        return np.maximum(room, 0.0)

    def _share_out(self, yi: int, program: int, owed: dict[int, float], paid_share: float, left_share: float) -> None:
        """Pay the followed recipients of one commitment their share of what it was paid."""
        for r, amount in owed.items():
            key = (yi, program, r)
            self.recipient_outlay[key] = self.recipient_outlay.get(key, 0.0) + amount * paid_share
            owed[r] = amount * left_share

    def paid_in_total(self, program_id: str, recipient: int) -> float:
        """What a recipient has been approved under a programme so far (CNY)."""
        return float(self.paid_in_total_by_recipient(program_id, np.array([recipient]))[0])

    def paid_in_total_by_recipient(self, program_id: str, recipients: np.ndarray) -> np.ndarray:
        """What each of `recipients` has been approved under a programme so far (CNY); zeros if the
        programme is not in force.
        """
        recipients = np.asarray(recipients, dtype=np.int64)
        out = np.zeros(recipients.shape)
        program = self.policy.get(program_id)
        if program is None:
            return out
        tallies = self._tallies_of[self._cap_group[program.index]]
        known = recipients < tallies.shape[0]
        out[known] = tallies[recipients[known], PAID_IN_TOTAL]
        return out

    def settle(self, year: int) -> None:
        """Pay what falls due in `year` from each budget line, under its ceiling and rationing.

        Claims are paid in order of approval year, then programme order. Under ``queue`` what
        the ceiling leaves unpaid stays in line for the next year; under ``pro_rata`` every due
        claim is paid the same share and the rest is forfeited; under ``none`` all is paid and
        any excess over the ceiling is recorded in ``budget_overrun``.
        """
        yi = self._year_index(year)
        for p in self.policy.programs:
            lag = p.instrument.payment_lag_years
            if yi - lag >= 0 and self.committed[yi - lag, p.index] > 0.0:
                self._queue.append([yi - lag, p.index, self.committed[yi - lag, p.index]])
        self._queue.sort(key=lambda row: (row[0], row[1]))
        program_line = [p.line for p in self.policy.programs]
        for line in self.lines:
            rows = [row for row in self._queue if program_line[int(row[1])] == line.index]
            before = [row[2] for row in rows]
            paid = line.pay(self, yi, rows)
            for row, was, got in zip(rows, before, paid, strict=False):
                due = int(row[0]) + self.policy.programs[int(row[1])].instrument.payment_lag_years
                self.wait_cny_years[yi, int(row[1])] += got * (yi - due)
                owed = self._owed.get((int(row[0]), int(row[1])))
                if owed and was > 0.0:
                    self._share_out(yi, int(row[1]), owed, got / was, row[2] / was)
        self._queue = [row for row in self._queue if row[2] > 0.0]
        for row in self._queue:
            self.unpaid[yi, int(row[1])] += row[2]
        for p in self.policy.programs:
            lag = p.instrument.payment_lag_years
            if lag > 0:
                self.pending[yi, p.index] = self.committed[max(0, yi - lag + 1) : yi + 1, p.index].sum()
        self._settled_through = yi
