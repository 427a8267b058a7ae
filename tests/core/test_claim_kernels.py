"""The ledger's claim kernels (sim/core/claim_kernels.py): hand-computed boundary cases, and each
kernel against its pure-Python reference, bit for bit."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from reference.claim_kernels_reference import (
    approve_claims_reference,
    check_claims_reference,
    group_by_program_reference,
)

from sim.core.claim_kernels import (
    BAD_AMOUNT,
    BAD_RECIPIENT,
    CLAIMS_OK,
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
    group_by_program,
    window_days_of,
    zero_tally_rows,
)

NO_SHARES, NO_DAYS = np.zeros(0), np.zeros(0, dtype=np.int64)


def approve(recipients, amounts, tallies, year=2024, cap_year=math.inf, cap_total=math.inf, mode=PRO_RATED,
            validity_share=1.0, shares=NO_SHARES, days=NO_DAYS, first=0, last=364, share_paid=1.0):
    return approve_claims(np.array(recipients, dtype=np.int64), np.array(amounts, dtype=np.float64),
                          np.asarray(shares, dtype=np.float64), np.asarray(days, dtype=np.int64),
                          ClaimTerms(mode, validity_share, first, last, share_paid, cap_year, cap_total), tallies, year)


def test_a_claim_exactly_at_the_yearly_cap_is_paid_in_full_and_leaves_no_room():
    tallies = np.zeros((1, 3))
    assert approve([0, 0], [1_000_000.0, 1.0], tallies, cap_year=1_000_000.0).tolist() == [1_000_000.0, 0.0]
    assert tallies[0].tolist() == [1_000_000.0, 1_000_000.0, 2024.0]


def test_one_yuan_over_the_cap_is_cut_to_the_cap():
    tallies = np.zeros((1, 3))
    assert approve([0], [1_000_001.0], tallies, cap_year=1_000_000.0).tolist() == [1_000_000.0]


def test_the_yearly_tally_starts_afresh_in_a_new_year_and_the_total_cap_does_not():
    tallies = np.zeros((2, 3))
    assert approve([0, 1], [6.0, 3.0], tallies, year=2024, cap_year=5.0, cap_total=8.0).tolist() == [5.0, 3.0]
    # 2025: recipient 0 has 5 of 8 in total, so 3 left although its yearly cap is 5 again.
    assert approve([0], [6.0], tallies, year=2025, cap_year=5.0, cap_total=8.0).tolist() == [3.0]
    assert tallies[0].tolist() == [3.0, 8.0, 2025.0]
    # Recipient 1 was not claimed for in 2025: its row still holds 2024's tally.
    assert tallies[1].tolist() == [3.0, 3.0, 2024.0]
    assert approve([1], [6.0], tallies, year=2025, cap_year=5.0, cap_total=8.0).tolist() == [5.0]


def test_scaling_by_validity_share_then_share_paid():
    tallies = np.zeros((1, 3))
    got = approve([0], [1000.0], tallies, validity_share=0.25, share_paid=0.5)
    assert got.tolist() == [125.0]


def test_claims_outside_the_window_get_nothing_and_do_not_use_room():
    tallies = np.zeros((3, 3))
    got = approve([0, 1, 2], [10.0, 10.0, 10.0], tallies, mode=ON_EVENT_DAY, days=[99, 100, 221], first=100,
                  last=221)
    assert got.tolist() == [0.0, 10.0, 10.0]
    assert tallies[0, PAID_IN_TOTAL] == 0.0


def test_in_full_and_share_given():
    tallies = np.zeros((2, 3))
    assert approve([0], [7.0], tallies, mode=IN_FULL, validity_share=0.0).tolist() == [7.0]
    assert approve([1, 1], [8.0, 8.0], tallies, mode=SHARE_GIVEN, shares=[0.5, 0.0]).tolist() == [4.0, 0.0]


def test_check_claims_finds_bad_amounts_before_bad_recipients():
    assert check_claims(np.array([0, 4, 2]), np.array([1.0, 0.0, 2.0])) == (CLAIMS_OK, 5)
    for bad in (-1.0, math.nan, math.inf):
        assert check_claims(np.array([-1, 0]), np.array([1.0, bad]))[0] == BAD_AMOUNT
    assert check_claims(np.array([3, -1]), np.array([1.0, 1.0]))[0] == BAD_RECIPIENT


amount = st.one_of(st.just(0.0), st.floats(0.01, 8e6, allow_nan=False), st.sampled_from([1e6, 5e6, 3e6]))
claims = st.lists(st.tuples(st.integers(0, 5), amount, st.integers(-3, 370), st.sampled_from([0.0, 0.3, 1.0])),
                  min_size=1, max_size=30)


@given(
    batches=st.lists(st.tuples(st.sampled_from([2024, 2025, 2026]), claims), min_size=1, max_size=5),
    mode=st.sampled_from([PRO_RATED, SHARE_GIVEN, ON_EVENT_DAY, IN_FULL]),
    validity_share=st.sampled_from([0.0, 0.4, 1.0]),
    share_paid=st.sampled_from([1.0, 0.5, 0.3]),
    window=st.sampled_from([(0, 364), (100, 221), (200, 100)]),
    cap_year=st.sampled_from([math.inf, 1e6, 5e6]),
    cap_total=st.sampled_from([math.inf, 2e6, 1e7]),
)
def test_approve_claims_matches_its_reference_bit_for_bit(batches, mode, validity_share, share_paid, window, cap_year,
                                                          cap_total):
    kernel_tallies, reference_tallies = np.zeros((6, 3)), np.zeros((6, 3))
    for year, batch in sorted(batches, key=lambda b: b[0]):
        recipients = np.array([c[0] for c in batch], dtype=np.int64)
        amounts = np.array([c[1] for c in batch])
        days = np.array([c[2] for c in batch], dtype=np.int64)
        shares = np.array([c[3] for c in batch])
        args = (mode, validity_share, shares, days, window[0], window[1], share_paid)
        terms = ClaimTerms(mode, validity_share, window[0], window[1], share_paid, cap_year, cap_total)
        got = approve_claims(recipients, amounts, shares, days, terms, kernel_tallies, year)
        want = approve_claims_reference(recipients, amounts, *args, reference_tallies, year, cap_year, cap_total)
        assert got.tobytes() == want.tobytes()
        assert kernel_tallies.tobytes() == reference_tallies.tobytes()
        # The caps hold: no recipient above either cap.
        assert np.all(kernel_tallies[:, PAID_IN_TOTAL] <= cap_total)
        this_year = kernel_tallies[:, YEAR_OF_TALLY] == year
        assert np.all(kernel_tallies[this_year, PAID_THIS_YEAR] <= cap_year)


@given(st.lists(st.tuples(st.integers(-2, 6), st.one_of(st.floats(-1.0, 1e9), st.sampled_from([math.nan, math.inf]))),
                min_size=1, max_size=12))
def test_check_claims_matches_its_reference(rows):
    recipients = np.array([r for r, _ in rows], dtype=np.int64)
    amounts = np.array([a for _, a in rows])
    assert check_claims(recipients, amounts) == check_claims_reference(recipients, amounts)


@given(st.lists(st.integers(0, 6), max_size=40), st.integers(7, 9))
def test_group_by_program_matches_a_stable_argsort(programs, n_programs):
    program = np.array(programs, dtype=np.int64)
    order, starts = group_by_program(program, n_programs)
    want_order, want_starts = group_by_program_reference(program, n_programs)
    assert order.tolist() == want_order.tolist()
    assert starts.tolist() == want_starts.tolist()
    for q in range(n_programs):
        assert order[starts[q]:starts[q + 1]].tolist() == [k for k, p in enumerate(programs) if p == q]


def test_window_days_of_a_year():
    assert window_days_of(dt.date(2022, 1, 1), dt.date(2025, 8, 10), 2025) == (0, 221)
    assert window_days_of(dt.date(2024, 3, 1), dt.date(2030, 1, 1), 2024) == (60, 365)  # a leap year
    first, last = window_days_of(dt.date(2022, 1, 1), dt.date(2025, 8, 10), 2026)
    assert first > last  # no day of 2026 inside


@given(st.lists(st.integers(0, 49), max_size=80))
def test_zero_tally_rows_is_numpys_fancy_index_assignment(rows):
    rng = np.random.default_rng(len(rows))
    tallies = rng.random((50, 3)) + 1.0
    want = tallies.copy()
    index = np.array(rows, dtype=np.int64)
    want[index] = 0.0
    zero_tally_rows(tallies, index)
    np.testing.assert_array_equal(tallies, want)
