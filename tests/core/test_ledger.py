"""The fiscal ledger of one draw (sim/core/ledger.py): hand-computed cases."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from sim.core.claim_kernels import IN_FULL, ClaimTerms, approve_claims
from sim.core.ledger import Ledger

CONSTRUCTION = "hydrogen.13.construction_grant"  # programme 0 of the station line
OPERATING = "hydrogen.13.operating_subsidy"  # programme 1
STATIONS = "市城市管理委"
H2_HORIZON = {"first_year": 2023, "last_year": 2026}  # hydrogen valid to 2025-08-10


def station_policy(policy_of, rationing="none", ceiling=None, overrides=None):
    line = {"payer": STATIONS, "programs": ["hydrogen.13.*"], "rationing": rationing}
    if ceiling is not None:
        line["ceiling_cny_per_year"] = ceiling
    return policy_of(
        {
            "horizon": H2_HORIZON,
            "policy": {"in_force": ["hydrogen.13.*"]},
            "instruments": overrides or {},
            "budget": {"lines": {"stations": line}},
        }
    )


def one(ledger, program, year, amount, recipient=0, **kw):
    return ledger.claim(program, year, np.array([recipient]), np.array([amount]), **kw)[0]


def assert_identity(ledger):
    """At every year end: cumsum(committed) == cumsum(outlay) + cumsum(forfeited) + unpaid + pending."""
    lhs = np.cumsum(ledger.committed, axis=0)
    rhs = np.cumsum(ledger.outlay, axis=0) + np.cumsum(ledger.forfeited, axis=0) + ledger.unpaid + ledger.pending
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-6)


def test_programme_order_in_policy(policy_of):
    policy = station_policy(policy_of)
    assert policy.ids == [CONSTRUCTION, OPERATING]


# --- rationing ------------------------------------------------------------------------------


def test_rationing_none_pays_all_and_records_the_overrun(policy_of):
    led = Ledger(station_policy(policy_of, "none", ceiling=100.0))
    one(led, CONSTRUCTION, 2023, 150.0)
    one(led, OPERATING, 2023, 50.0)
    led.settle(2023)
    np.testing.assert_array_equal(led.outlay[0], [150.0, 50.0])
    assert led.budget_overrun[0, 0] == 100.0
    assert led.unpaid.sum() == 0.0 and led.forfeited.sum() == 0.0
    one(led, CONSTRUCTION, 2024, 80.0)
    led.settle(2024)
    assert led.budget_overrun[1, 0] == 0.0 and led.outlay[1, 0] == 80.0
    assert_identity(led)


def test_rationing_none_without_ceiling(policy_of):
    led = Ledger(station_policy(policy_of))
    one(led, CONSTRUCTION, 2023, 5e6)
    led.settle(2023)
    assert led.outlay[0, 0] == 5e6 and led.budget_overrun[0, 0] == 0.0


def test_rationing_pro_rata_pays_the_same_share_and_forfeits_the_rest(policy_of):
    led = Ledger(station_policy(policy_of, "pro_rata", ceiling=100.0))
    one(led, CONSTRUCTION, 2023, 150.0)
    one(led, OPERATING, 2023, 50.0)
    led.settle(2023)
    np.testing.assert_allclose(led.outlay[0], [75.0, 25.0])
    np.testing.assert_allclose(led.forfeited[0], [75.0, 25.0])
    assert led.unpaid[0].sum() == 0.0
    # Nothing is carried: next year starts clean.
    one(led, OPERATING, 2024, 60.0)
    led.settle(2024)
    np.testing.assert_allclose(led.outlay[1], [0.0, 60.0])
    assert led.forfeited[1].sum() == 0.0
    assert_identity(led)


def test_rationing_under_the_ceiling_pays_in_full(policy_of):
    for rule in ("pro_rata", "queue"):
        led = Ledger(station_policy(policy_of, rule, ceiling=100.0))
        one(led, CONSTRUCTION, 2023, 60.0)
        one(led, OPERATING, 2023, 40.0)  # exactly the ceiling
        led.settle(2023)
        np.testing.assert_array_equal(led.outlay[0], [60.0, 40.0])
        assert led.forfeited.sum() == 0.0 and led.unpaid.sum() == 0.0


def test_rationing_queue_carries_in_order_and_pays_the_backlog_first(policy_of):
    led = Ledger(station_policy(policy_of, "queue", ceiling=100.0))
    # Filed operating first: payment order is programme order, not filing order.
    one(led, OPERATING, 2023, 50.0)
    one(led, CONSTRUCTION, 2023, 150.0)
    led.settle(2023)
    np.testing.assert_array_equal(led.outlay[0], [100.0, 0.0])
    np.testing.assert_array_equal(led.unpaid[0], [50.0, 50.0])
    # 2024: the 2023 backlog (construction 50, operating 50) is paid before the new claim.
    one(led, CONSTRUCTION, 2024, 30.0)
    led.settle(2024)
    np.testing.assert_array_equal(led.outlay[1], [50.0, 50.0])
    np.testing.assert_array_equal(led.unpaid[1], [30.0, 0.0])
    # 2025: the 2024 construction claim, then the new operating claim up to the ceiling.
    one(led, OPERATING, 2025, 365.0, event_dates=[dt.date(2025, 3, 1)])
    led.settle(2025)
    np.testing.assert_array_equal(led.outlay[2], [30.0, 70.0])
    np.testing.assert_array_equal(led.unpaid[2], [0.0, 295.0])
    led.settle(2026)
    np.testing.assert_array_equal(led.outlay[3], [0.0, 100.0])
    np.testing.assert_array_equal(led.unpaid[3], [0.0, 195.0])
    assert led.forfeited.sum() == 0.0
    assert led.budget_overrun.sum() == 0.0
    assert_identity(led)
    # Waits past the due year, CNY x years: 2024 pays 50 + 50 one year late; 2025 pays the 2024
    # construction claim 30 one year late and 70 of operating on time; 2026 pays 100 of the 2025
    # operating claim one year late.
    np.testing.assert_array_equal(led.wait_cny_years[:, 0], [0.0, 50.0, 30.0, 0.0])
    np.testing.assert_array_equal(led.wait_cny_years[:, 1], [0.0, 50.0, 0.0, 100.0])


def test_zero_ceiling_queue_pays_nothing(policy_of):
    led = Ledger(station_policy(policy_of, "queue", ceiling=0.0))
    one(led, CONSTRUCTION, 2023, 10.0)
    for year in led.policy.years:
        led.settle(year)
    assert led.outlay.sum() == 0.0
    np.testing.assert_array_equal(led.unpaid[:, 0], [10.0] * 4)
    assert_identity(led)


def test_lines_are_rationed_separately(policy_of):
    policy = policy_of(
        {
            "horizon": H2_HORIZON,
            "policy": {"in_force": ["hydrogen.13.*", "hydrogen.5.*"]},
            "budget": {"lines": {"stations": {"payer": STATIONS, "programs": ["hydrogen.13.*"],
                                              "ceiling_cny_per_year": 10.0, "rationing": "queue"}}},
        }
    )
    led = Ledger(policy)
    one(led, CONSTRUCTION, 2023, 30.0)
    one(led, "hydrogen.5.new_material_first_batch", 2023, 30.0)
    led.settle(2023)
    i = policy.get("hydrogen.5.new_material_first_batch").index
    assert led.outlay[0, policy.get(CONSTRUCTION).index] == 10.0
    assert led.outlay[0, i] == 30.0  # its payer's open line has no ceiling


# --- payment lag ----------------------------------------------------------------------------


def test_payment_lag_keeps_commitments_pending(policy_of):
    policy = station_policy(policy_of, overrides={OPERATING: {"payment_lag_years": 1}})
    led = Ledger(policy)
    one(led, OPERATING, 2023, 100.0)
    one(led, CONSTRUCTION, 2023, 7.0)
    led.settle(2023)
    np.testing.assert_array_equal(led.committed[0], [7.0, 100.0])
    np.testing.assert_array_equal(led.outlay[0], [7.0, 0.0])
    np.testing.assert_array_equal(led.pending[0], [0.0, 100.0])
    one(led, OPERATING, 2024, 40.0)
    led.settle(2024)
    assert led.outlay[1, 1] == 100.0 and led.pending[1, 1] == 40.0
    led.settle(2025)
    assert led.outlay[2, 1] == 40.0 and led.pending[2, 1] == 0.0
    assert_identity(led)


def test_payment_lag_beyond_the_horizon_stays_pending(policy_of):
    policy = station_policy(policy_of, overrides={CONSTRUCTION: {"payment_lag_years": 2}})
    led = Ledger(policy)
    for year in policy.years:
        if year == 2025:
            one(led, CONSTRUCTION, year, 9.0, event_dates=[dt.date(2025, 1, 2)])
        led.settle(year)
    assert led.outlay.sum() == 0.0
    np.testing.assert_array_equal(led.pending[:, 0], [0.0, 0.0, 9.0, 9.0])
    assert_identity(led)


# --- validity -------------------------------------------------------------------------------


def test_claims_pro_rated_by_validity_share(policy_of):
    led = Ledger(station_policy(policy_of))
    assert one(led, OPERATING, 2025, 365.0) == pytest.approx(222.0)
    assert one(led, OPERATING, 2026, 365.0) == 0.0
    assert led.committed[3].sum() == 0.0


def test_event_dates_give_exact_validity(policy_of):
    led = Ledger(station_policy(policy_of))
    approved = led.claim(
        CONSTRUCTION, 2025, np.array([0, 1, 2, 3]), np.full(4, 5e6),
        event_dates=[dt.date(2025, 8, 10), dt.date(2025, 8, 11), dt.date(2025, 1, 1), dt.date(2024, 12, 31)],
    )
    # Last valid day pays in full (not pro-rated); the day after, nothing; a date in another year, nothing.
    np.testing.assert_array_equal(approved, [5e6, 0.0, 5e6, 0.0])
    assert led.committed[2, 0] == 1e7
    with pytest.raises(ValueError, match="one date per claim"):
        led.claim(CONSTRUCTION, 2025, np.array([0, 1]), np.ones(2), event_dates=[dt.date(2025, 1, 1)])


def test_event_days_check_like_event_dates(policy_of):
    # hydrogen.13 is valid to 2025-08-10, day 221 of 2025.
    by_dates, by_days = Ledger(station_policy(policy_of)), Ledger(station_policy(policy_of))
    dates = [dt.date(2025, 8, 10), dt.date(2025, 8, 11), dt.date(2025, 1, 1), dt.date(2025, 12, 31)]
    want = by_dates.claim(CONSTRUCTION, 2025, np.arange(4), np.full(4, 5e6), event_dates=dates)
    got = by_days.claim(CONSTRUCTION, 2025, np.arange(4), np.full(4, 5e6), event_days=np.array([221, 222, 0, 364]))
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, [5e6, 0.0, 5e6, 0.0])
    # One day for every claim: in full inside the window, nothing outside it.
    led = Ledger(station_policy(policy_of))
    np.testing.assert_array_equal(led.claim(CONSTRUCTION, 2025, np.arange(2), np.full(2, 3.0), event_days=221), [3.0, 3.0])
    np.testing.assert_array_equal(led.claim(CONSTRUCTION, 2025, np.arange(2), np.full(2, 3.0), event_days=222), [0.0, 0.0])
    with pytest.raises(ValueError, match="one day per claim"):
        led.claim(CONSTRUCTION, 2025, np.arange(2), np.ones(2), event_days=np.array([1]))


def test_room_after_a_year_without_claims(policy_of):
    pid = "hydrogen.11.equipment_lease_subsidy"  # <= 10,000,000 a firm-year
    led = Ledger(policy_of({"horizon": H2_HORIZON, "policy": {"in_force": ["hydrogen.11.*"]}}))
    assert one(led, pid, 2023, 6e6) == 6e6
    assert one(led, pid, 2023, 9e6, recipient=1) == 9e6
    np.testing.assert_array_equal(led.room_cny(pid, 2023, np.array([0, 1, 2, 500])), [4e6, 1e6, 1e7, 1e7])
    assert one(led, pid, 2024, 1e6, recipient=1) == 1e6  # 2024: firm 0 claims nothing
    # Firm 0's 2023 tally does not count in 2024; firm 1's 2024 claim does.
    np.testing.assert_array_equal(led.room_cny(pid, 2024, np.array([0, 1])), [1e7, 9e6])
    np.testing.assert_array_equal(led.paid_in_total_by_recipient(pid, np.array([0, 1, 2])), [6e6, 10e6, 0.0])


def test_share_of_cap_paid_applies_before_the_caps(policy_of):
    policy = policy_of({"horizon": H2_HORIZON, "policy": {"in_force": ["hydrogen.5.*"]},
                        "instruments": {"hydrogen.5.new_material_first_batch": {"share_of_cap_paid": 0.5}}})
    led = Ledger(policy)
    pid = "hydrogen.5.new_material_first_batch"
    assert one(led, pid, 2023, 12e6) == 6e6
    assert one(led, pid, 2023, 12e6) == 4e6  # 10,000,000 in total per firm
    assert led.paid_in_total(pid, 0) == 1e7


# --- recipient caps -------------------------------------------------------------------------


def test_cap_per_recipient_year_across_calls_and_years(policy_of):
    pid = "hydrogen.11.equipment_lease_subsidy"  # <= 10,000,000 a firm-year
    led = Ledger(policy_of({"horizon": H2_HORIZON, "policy": {"in_force": ["hydrogen.11.*"]}}))
    assert one(led, pid, 2023, 6e6) == 6e6
    assert one(led, pid, 2023, 6e6) == 4e6  # same year, second call: cut to the room
    assert one(led, pid, 2023, 0.01) == 0.0  # at the cap
    assert one(led, pid, 2023, 6e6, recipient=1) == 6e6  # another firm has its own cap
    assert one(led, pid, 2024, 6e6) == 6e6  # a new year, a new cap
    assert one(led, pid, 2024, 4e6) == 4e6  # exactly at the cap
    assert one(led, pid, 2024, 0.01) == 0.0
    np.testing.assert_array_equal(led.committed[:2, led.policy.get(pid).index], [16e6, 10e6])
    assert led.paid_in_total(pid, 0) == 20e6


def test_cap_per_recipient_year_within_one_call(policy_of):
    pid = "hydrogen.11.equipment_lease_subsidy"
    led = Ledger(policy_of({"horizon": H2_HORIZON, "policy": {"in_force": ["hydrogen.11.*"]}}))
    approved = led.claim(pid, 2023, np.array([0, 3, 0, 0]), np.array([6e6, 6e6, 6e6, 1.0]))
    np.testing.assert_array_equal(approved, [6e6, 6e6, 4e6, 0.0])


def test_cap_per_recipient_total_across_years(policy_of):
    pid = "hydrogen.5.new_material_first_batch"  # <= 10,000,000 a firm in all
    led = Ledger(policy_of({"horizon": H2_HORIZON, "policy": {"in_force": ["hydrogen.5.*"]}}))
    assert one(led, pid, 2023, 5e6) == 5e6
    led.settle(2023)
    assert one(led, pid, 2024, 5e6 + 0.01) == 5e6  # exactly at the total
    assert one(led, pid, 2024, 0.01) == 0.0
    assert one(led, pid, 2024, 5e6, recipient=7) == 5e6
    assert led.paid_in_total(pid, 0) == 1e7 and led.paid_in_total(pid, 99) == 0.0
    assert led.paid_in_total("hydrogen.13.operating_subsidy", 0) == 0.0


def _in_full(recipients, amounts, tallies, cap_year, cap_total):
    recipients = np.array(recipients, dtype=np.int64)
    return approve_claims(recipients, np.array(amounts, dtype=float), np.ones(len(amounts)), recipients,
                          ClaimTerms(IN_FULL, 1.0, 0, 365, 1.0, cap_year, cap_total), tallies, 2024)


def test_caps_in_order_update_the_tallies():
    tallies = np.array([[0.0, 0.0, 2024.0], [0.0, 8.0, 2024.0]])
    approved = _in_full([1, 1, 0], [5.0, 5.0, 5.0], tallies, 4.0, 10.0)
    np.testing.assert_array_equal(approved, [2.0, 0.0, 4.0])
    np.testing.assert_array_equal(tallies[:, 0], [4.0, 2.0])
    np.testing.assert_array_equal(tallies[:, 1], [4.0, 10.0])
    assert _in_full([0], [1.0], np.zeros((1, 3)), math.inf, math.inf)[0] == 1.0


# --- bad claims -----------------------------------------------------------------------------


def test_claims_outside_the_horizon_or_after_settle_raise(policy_of):
    led = Ledger(station_policy(policy_of))
    with pytest.raises(ValueError, match=r"year \(=2022\) is outside the horizon 2023\.\.2026"):
        one(led, OPERATING, 2022, 1.0)
    with pytest.raises(ValueError, match=r"year \(=2027\) is outside the horizon"):
        one(led, OPERATING, 2027, 1.0)
    led.settle(2023)
    with pytest.raises(ValueError, match="year 2023 is already settled"):
        one(led, OPERATING, 2023, 1.0)
    with pytest.raises(ValueError, match="already settled"):
        led.settle(2023)
    with pytest.raises(ValueError, match="outside the horizon"):
        led.settle(2027)


@pytest.mark.parametrize(
    "recipients, amounts, fragment",
    [([0], [-1.0], "finite and >= 0"), ([0], [math.nan], "finite and >= 0"), ([0], [math.inf], "finite and >= 0"),
     ([-1], [1.0], "recipient indices must be >= 0"), ([0, 1], [1.0], "same shape")],
)
def test_bad_claims_raise(policy_of, recipients, amounts, fragment):
    led = Ledger(station_policy(policy_of))
    with pytest.raises(ValueError, match=fragment):
        led.claim(OPERATING, 2023, np.array(recipients), np.array(amounts))
    assert led.committed.sum() == 0.0


def test_programme_not_in_force_raises_key_error(policy_of):
    led = Ledger(station_policy(policy_of))
    with pytest.raises(KeyError, match="scaleup.2.first_above_size_last_year is not in force"):
        one(led, "scaleup.2.first_above_size_last_year", 2023, 1.0)


def test_empty_claim_is_a_no_op(policy_of):
    led = Ledger(station_policy(policy_of))
    assert led.claim(OPERATING, 2023, np.array([], dtype=int), np.array([])).size == 0
    assert led.committed.sum() == 0.0


def test_a_recycled_ledgers_tallies_start_the_next_ledger_from_zero(policy_of):
    pid = "hydrogen.5.new_material_first_batch"  # <= 10,000,000 a firm in all
    policy = policy_of({"horizon": H2_HORIZON, "policy": {"in_force": ["hydrogen.5.*"]}})
    first = Ledger(policy)
    first.reserve_recipients(pid, 5000)
    assert one(first, pid, 2023, 1e7, recipient=4321) == 1e7  # the firm's whole cap
    first.recycle()
    second = Ledger(policy)
    second.reserve_recipients(pid, 5000)  # takes the recycled array: same size class
    assert second.paid_in_total(pid, 4321) == 0.0
    assert one(second, pid, 2023, 1e7, recipient=4321) == 1e7  # the cap is whole again
    with pytest.raises(IndexError):
        first.paid_in_total(pid, 4321)  # a recycled ledger no longer reads its tallies


def test_the_tally_pool_hands_out_zeroed_arrays_long_enough_and_keeps_a_bounded_number():
    from sim.core.ledger import _POOLED_MIN_ROWS, _POOLED_ROW_STEP, _TallyPool

    pool = _TallyPool(max_arrays=2)
    dirty = np.full((5000, 3), 7.0)
    pool.give(dirty)
    pool.give(np.full((9000, 3), 1.0))
    pool.give(np.full((7000, 3), 1.0))  # over the bound: dropped
    got = pool.take(4500)
    assert got is dirty and np.all(got == 0.0)  # the shortest that fits, zeroed
    assert pool.take(8000).shape == (9000, 3)
    fresh = pool.take(8000)  # none left that fits: a new one, a whole number of steps long
    assert fresh.shape == (_POOLED_ROW_STEP, 3) and np.all(fresh == 0.0)
    pool.give(fresh)
    assert pool.take(_POOLED_ROW_STEP) is fresh  # serves a later draw's slightly larger population
    pool.give(np.ones((_POOLED_MIN_ROWS - 1, 3)))  # short: the allocator's own memory does as well
    assert pool.take(5).shape == (5, 3)


@pytest.fixture
def own_pool(policy_of, monkeypatch):
    """A fresh tally pool for the test (not the process's), and a policy with a firm programme
    capped at 10,000,000 a firm in all."""
    from sim.core import ledger as ledger_module

    pool = ledger_module._TallyPool()
    monkeypatch.setattr(ledger_module, "_TALLY_POOL", pool)
    policy = policy_of({"horizon": H2_HORIZON, "policy": {"in_force": ["hydrogen.5.*"]}})
    return pool, policy, "hydrogen.5.new_material_first_batch"


def test_recycling_zeroes_the_rows_claims_wrote_even_when_the_caller_reuses_its_array(own_pool):
    pool, policy, pid = own_pool
    first = Ledger(policy)
    first.reserve_recipients(pid, 5000)
    firms = np.array([4321, 17], dtype=np.int64)
    assert first.claim(pid, 2023, firms, np.array([1e7, 2e6])).sum() == 1.2e7
    firms[:] = [1, 2]  # the caller's buffer, reused for other firms
    first.recycle()
    (kept,) = pool._free
    assert np.all(kept == 0.0)  # rows 4321 and 17 zeroed, though the caller's array now names others
    second = Ledger(policy)
    second.reserve_recipients(pid, 5000)
    assert one(second, pid, 2023, 1e7, recipient=4321) == 1e7


def test_recycling_zeroes_the_whole_tally_once_claims_outnumber_its_rows(own_pool):
    pool, policy, pid = own_pool
    led = Ledger(policy)
    led.reserve_recipients(pid, 5000)
    rows = led._tallies_of[0].shape[0]
    everyone = np.arange(rows // 2 + 1)
    for year in (2023, 2024):  # more claims than rows: no longer followed row by row
        led.claim(pid, year, everyone, np.full(everyone.size, 1e6))
    # The list of written rows is dropped rather than outgrow the tally it describes.
    assert led._written_rows == [None]
    led.recycle()
    (kept,) = pool._free
    assert kept.shape == (rows, 3) and np.all(kept == 0.0)


def test_the_pool_zeroes_only_the_rows_named_as_written():
    from sim.core.ledger import _TallyPool

    pool = _TallyPool()
    a = np.zeros((5000, 3))
    a[[3, 5, 4999]] = 1.0
    pool.give(a, [np.array([3, 5, 3]), np.array([4999])])  # repeats allowed
    assert pool.take(5000) is a and np.all(a == 0.0)
