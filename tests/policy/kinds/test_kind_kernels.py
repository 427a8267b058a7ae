"""Array kernels of the instrument kinds against their scalar rules or NumPy references, bit for bit."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from reference.threshold_reward_reference import event_rows_reference

from sim.policy.kinds.capped_grant import capped_grant, capped_grants
from sim.policy.kinds.cost_share import cost_share, cost_shares
from sim.policy.kinds.interest_subsidy import interest_subsidy, loan_claims
from sim.policy.kinds.threshold_reward import EventRule, event_rows
from sim.policy.kinds.tiered_grant import tiered_grant, tiered_grants

money = st.one_of(st.just(0.0), st.floats(0.0, 1e9, allow_nan=False), st.sampled_from([5e5, 1e6, 3e6]))


@given(st.lists(money, max_size=20), st.sampled_from([0.0, 1e6, 5e6]))
def test_capped_grants_is_capped_grant_of_each(requests, cap):
    asked = np.array(requests, dtype=np.float64)
    assert capped_grants(asked, cap).tobytes() == np.array([capped_grant(a, cap) for a in requests], dtype=np.float64).tobytes()


def test_capped_grants_at_and_over_the_cap():
    assert capped_grants(np.array([1e6, 1e6 + 1.0, 0.0]), 1e6).tolist() == [1e6, 1e6, 0.0]


@given(st.lists(money, max_size=20), st.sampled_from([0.3, 0.5, 1.0]), st.sampled_from([math.inf, 1e6]),
       st.sampled_from([0.0, 1e6]))
def test_cost_shares_is_cost_share_of_each(bases, share, cap, min_base):
    base = np.array(bases, dtype=np.float64)
    want = np.array([cost_share(b, share, cap, min_base) for b in bases], dtype=np.float64)
    assert cost_shares(base, share, cap, min_base).tobytes() == want.tobytes()


def test_tiered_grants_at_each_threshold():
    thresholds, amounts = np.array([1000.0, 500.0]), np.array([5e6, 2e6])
    measure = np.array([1000.0, 999.0, 500.0, 499.99, 0.0])
    assert tiered_grants(measure, thresholds, amounts).tolist() == [5e6, 2e6, 2e6, 0.0, 0.0]
    assert [tiered_grant(m, thresholds, amounts) for m in measure] == [5e6, 2e6, 2e6, 0.0, 0.0]


@given(st.lists(st.tuples(st.integers(0, 9), money, st.integers(0, 4)), max_size=25),
       st.lists(st.integers(0, 24), max_size=25, unique=True), st.sampled_from([-1, 1, 3]),
       st.sampled_from([math.inf, 1e6]))
def test_loan_claims_keeps_the_positive_subsidies_of_the_rows(loans, rows, max_years, cap):
    rows = [r for r in rows if r < len(loans)]
    ids = np.array([x[0] for x in loans], dtype=np.int64)
    balance = np.array([x[1] for x in loans], dtype=np.float64)
    age = np.array([x[2] for x in loans], dtype=np.int64)
    got_ids, got_amounts, got_ages = loan_claims(np.array(rows, dtype=np.int64), ids, balance, age, 3.45, 2.0,
                                                 max_years, cap)
    want = [(ids[i], interest_subsidy(balance[i], 3.45, 2.0, age[i], max_years, cap), age[i]) for i in rows]
    want = [w for w in want if w[1] > 0.0]
    assert got_ids.tolist() == [w[0] for w in want]
    assert got_amounts.tobytes() == np.array([w[1] for w in want], dtype=np.float64).tobytes()
    assert got_ages.tolist() == [w[2] for w in want]


NEVER = 32767
year_of = st.sampled_from([2021, 2022, 2023, NEVER])


@given(st.lists(st.tuples(st.booleans(), year_of, year_of, st.booleans(), st.booleans(),
                          st.sampled_from([0.0, 5e7, 1e8, 2e8])), max_size=30),
       st.integers(0, 3), st.booleans(), st.booleans(), st.sampled_from([-math.inf, 1e8]))
def test_event_rows_matches_its_reference(firms, event, new_firms_only, stay_up_at_100m, min_revenue):
    cols = list(zip(*firms, strict=True)) if firms else [()] * 6
    in_family = np.array(cols[0], dtype=bool)
    fsy, f100 = np.array(cols[1], dtype=np.int64), np.array(cols[2], dtype=np.int64)
    counted_in_year, counted_at_100m = np.array(cols[3], dtype=bool), np.array(cols[4], dtype=bool)
    revenue = np.array(cols[5], dtype=np.float64)
    args = (in_family, fsy, f100, counted_in_year, counted_at_100m, revenue, 2023, event, new_firms_only,
            stay_up_at_100m, min_revenue, NEVER)
    assert event_rows(*args[:7], EventRule(*args[7:])).tolist() == event_rows_reference(*args).tolist()


def test_event_rows_hand_computed():
    # Firms: 0 first counted 2022, 1 first counted 2023 as an entrant, 2 first counted 2023 not as
    # an entrant, 3 first reaching 100m in 2022 and counted since 2020, 4 out of the family.
    in_family = np.array([True, True, True, True, False])
    fsy = np.array([2022, 2023, 2023, 2020, 2022])
    f100 = np.array([NEVER, NEVER, NEVER, 2022, NEVER])
    counted_in_year = np.array([True, True, False, True, True])
    counted_at_100m = np.array([True, False, False, False, True])
    revenue = np.array([1e8, 1e7, 1e7, 2e8, 1e8])

    def rows(event, new_firms_only=True, stay_up_at_100m=True, min_revenue=-math.inf):
        return event_rows(in_family, fsy, f100, counted_in_year, counted_at_100m, revenue, 2023,
                          EventRule(event, new_firms_only, stay_up_at_100m, min_revenue, NEVER)).tolist()

    assert rows(0) == [0]
    assert rows(1) == [1] and rows(1, new_firms_only=False) == [1, 2]
    assert rows(2) == [3]
    assert rows(3) == [0] and rows(3, stay_up_at_100m=False) == [3]
    assert rows(3, min_revenue=1e8) == [0] and rows(3, min_revenue=1e8 + 1.0) == []
