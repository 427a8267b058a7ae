"""Payout rules of sim/policy/kinds.py, hand-computed at every boundary.

Where the gazette fixes an amount, the test reads it from the encoded gazette, so it checks the
data and the rule together.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.core.claim_kernels import IN_FULL, ClaimTerms, approve_claims
from sim.policy import kinds


def _caps(amount, paid_year, cap_year, paid_total, cap_total):
    """One claim through the ledger's recipient caps (what a recipient already had, and the caps)."""
    tallies = np.array([[paid_year, paid_total, 2024.0]])
    none = np.zeros(1, dtype=np.int64)
    return approve_claims(none, np.array([amount]), np.ones(1), none,
                          ClaimTerms(IN_FULL, 1.0, 0, 365, 1.0, cap_year, cap_total), tallies, 2024)[0]

INF = math.inf


@pytest.fixture(scope="module")
def instruments(gazette):
    return gazette.instruments


# --- tiered grant: D7 item 13, construction grant by compressor capacity ---------------------


@pytest.mark.parametrize(
    "capacity_kg, expected_cny",
    [(0.0, 0.0), (499.0, 0.0), (499.99, 0.0), (500.0, 2_000_000.0), (999.0, 2_000_000.0),
     (999.999, 2_000_000.0), (1000.0, 5_000_000.0), (5000.0, 5_000_000.0)],
)
def test_tiered_grant_construction_boundaries(instruments, capacity_kg, expected_cny):
    ins = instruments["hydrogen.13.construction_grant"]
    got = kinds.tiered_grant(capacity_kg, np.array(ins.tier_thresholds), np.array(ins.tier_amounts_cny))
    assert got == expected_cny


def test_construction_grant_data_matches_gazette_text(instruments):
    ins = instruments["hydrogen.13.construction_grant"]
    assert ins.tier_thresholds == [1000.0, 500.0]
    assert ins.tier_amounts_cny == [5_000_000.0, 2_000_000.0]


# --- per-unit subsidy under a price cap: D7 item 13, operating subsidy ------------------------


@pytest.mark.parametrize(
    "price, qualifies",
    [(30.00, True), (30.01, False), (29.999999999, True), (30.000000001, True), (29.99, True),
     (30.005 + 1e-9, False), (0.0, True)],
)
def test_price_within_cap_to_the_fen(price, qualifies):
    assert kinds.price_within_cap(price, 30.0) is qualifies


@pytest.mark.parametrize("price, expected_cny", [(30.00, 10.0 * 1000.0), (30.01, 0.0), (29.999999999, 10_000.0)])
def test_operating_subsidy_under_the_30_cap(instruments, price, expected_cny):
    ins = instruments["hydrogen.13.operating_subsidy"]
    assert ins.rate_cny_per_kg == 10.0 and ins.price_cap_cny_per_kg == 30.0
    got = kinds.unit_subsidy_under_price_cap(1000.0, price, ins.rate_cny_per_kg, ins.price_cap_cny_per_kg, 1.0)
    assert got == expected_cny


def test_operating_subsidy_prorated_by_validity_share():
    share = 143 / 365
    assert kinds.unit_subsidy_under_price_cap(365.0, 25.0, 10.0, 30.0, share) == pytest.approx(1430.0, rel=1e-12)


@pytest.mark.parametrize("units, share", [(0.0, 1.0), (-5.0, 1.0), (100.0, 0.0)])
def test_operating_subsidy_zero_without_sales_or_validity(units, share):
    assert kinds.unit_subsidy_under_price_cap(units, 20.0, 10.0, 30.0, share) == 0.0


def test_operating_subsidy_without_cap_pays_any_price():
    assert kinds.unit_subsidy_under_price_cap(10.0, 80.0, 10.0, INF, 1.0) == 100.0


# --- share of an amount, with caps per project, per firm-year, per firm in total --------------


def test_cost_share_cap_per_project_exact_and_one_fen_over(instruments):
    ins = instruments["hydrogen.6.first_of_kind_domestic"]  # 30 % of the contract, <= 3,000,000
    share, cap = ins.share, ins.cap_per_project_cny
    assert (share, cap) == (0.3, 3_000_000.0)
    assert kinds.cost_share(10_000_000.0, share, cap, 0.0) == 3_000_000.0  # exactly at the cap
    # A contract whose 30 % is one fen over the cap is cut to the cap.
    assert kinds.cost_share(10_000_000.04, share, cap, 0.0) == 3_000_000.0
    assert kinds.cost_share(9_999_999.99, share, cap, 0.0) == pytest.approx(2_999_999.997, abs=1e-6)
    assert kinds.cost_share(1_000_000.0, share, cap, 0.0) == pytest.approx(300_000.0)


def test_cost_share_minimum_base_inclusive(instruments):
    ins = instruments["hydrogen.11.equipment_lease_subsidy"]  # 5 % of leases >= 10,000,000
    assert ins.min_base_cny == 10_000_000.0 and ins.share == 0.05
    assert kinds.cost_share(10_000_000.0, ins.share, INF, ins.min_base_cny) == pytest.approx(500_000.0)
    assert kinds.cost_share(9_999_999.99, ins.share, INF, ins.min_base_cny) == 0.0
    assert kinds.cost_share(0.0, 0.3, INF, 0.0) == 0.0
    assert kinds.cost_share(-1.0, 0.3, INF, 0.0) == 0.0


def test_recipient_cap_per_firm_year_exact_and_one_fen_over(instruments):
    cap_year = instruments["hydrogen.11.equipment_lease_subsidy"].cap_per_recipient_year_cny
    assert cap_year == 10_000_000.0
    # Already 9,500,000 this year: a claim of exactly the room is paid in full ...
    assert _caps(500_000.0, 9_500_000.0, cap_year, 9_500_000.0, INF) == 500_000.0
    # ... one fen more is cut to the room.
    assert _caps(500_000.01, 9_500_000.0, cap_year, 9_500_000.0, INF) == 500_000.0
    # At the cap, nothing more.
    assert _caps(0.01, cap_year, cap_year, cap_year, INF) == 0.0
    # Last year's payments do not count against this year's cap.
    assert _caps(500_000.0, 0.0, cap_year, 25_000_000.0, INF) == 500_000.0


def test_recipient_cap_per_firm_in_total_exact_and_one_fen_over(instruments):
    ins = instruments["hydrogen.5.new_material_first_batch"]  # <= 5,000,000 a product, 10,000,000 a firm
    cap_total = ins.cap_per_recipient_total_cny
    assert (ins.cap_per_project_cny, cap_total) == (5_000_000.0, 10_000_000.0)
    first = kinds.capped_grant(5_000_000.0, ins.cap_per_project_cny)
    second = kinds.capped_grant(5_000_000.01, ins.cap_per_project_cny)
    assert (first, second) == (5_000_000.0, 5_000_000.0)
    assert _caps(second, 0.0, INF, first, cap_total) == 5_000_000.0  # exactly at the total
    assert _caps(0.01, 0.0, INF, cap_total, cap_total) == 0.0  # one fen over
    assert _caps(5_000_000.0, 0.0, INF, 5_000_000.01, cap_total) == pytest.approx(4_999_999.99)


def test_recipient_caps_binding_cap_is_the_smaller():
    assert _caps(100.0, 10.0, 50.0, 10.0, 30.0) == 20.0
    assert _caps(100.0, 10.0, 30.0, 10.0, 50.0) == 20.0
    assert _caps(100.0, 0.0, INF, 0.0, INF) == 100.0


# --- interest subsidy -----------------------------------------------------------------------


def test_interest_subsidy_points(instruments):
    ins = instruments["hydrogen.11.inclusive_loan_interest"]  # 2 points, <= 10,000,000 a firm-year
    assert ins.rate_points == 2.0
    cap = ins.cap_per_recipient_year_cny
    assert kinds.interest_subsidy(100_000_000.0, 4.3, ins.rate_points, 0, -1, cap) == pytest.approx(2_000_000.0)


def test_interest_subsidy_never_above_the_loan_rate():
    # 2 points on a loan at 1.5 % pays the 1.5 % of interest, not 2 %.
    assert kinds.interest_subsidy(10_000_000.0, 1.5, 2.0, 0, -1, INF) == pytest.approx(150_000.0)
    # Up to the LPR (3.85 %) on a loan at 4.3 %: the LPR.
    assert kinds.interest_subsidy(10_000_000.0, 4.3, 3.85, 0, -1, INF) == pytest.approx(385_000.0)
    # LPR above the loan rate: the loan rate.
    assert kinds.interest_subsidy(10_000_000.0, 3.0, 3.85, 0, -1, INF) == pytest.approx(300_000.0)
    assert kinds.interest_subsidy(10_000_000.0, 0.0, 2.0, 0, -1, INF) == 0.0


def test_interest_subsidy_duration_limit(instruments):
    max_years = instruments["software.9.major_project_loan_interest"].max_years
    assert max_years == 3
    paid = [kinds.interest_subsidy(1e7, 4.0, 3.0, age, max_years, INF) for age in range(5)]
    assert paid == pytest.approx([300_000.0, 300_000.0, 300_000.0, 0.0, 0.0])
    ma = instruments["software.9.ma_loan_interest"].max_years
    assert ma == 1
    assert kinds.interest_subsidy(1e7, 4.0, 3.0, 0, ma, INF) == pytest.approx(300_000.0)
    assert kinds.interest_subsidy(1e7, 4.0, 3.0, 1, ma, INF) == 0.0  # age == max_years pays 0
    assert kinds.interest_subsidy(1e7, 4.0, 3.0, 30, -1, INF) == pytest.approx(300_000.0)  # no limit


def test_interest_subsidy_cap_per_firm_year_exact(instruments):
    cap = instruments["hydrogen.11.lpr_loan_interest"].cap_per_recipient_year_cny
    assert cap == 30_000_000.0
    # 4 % of 750,000,000 is exactly the cap; one more fen of interest is cut.
    assert kinds.interest_subsidy(750_000_000.0, 5.0, 4.0, 0, -1, cap) == 30_000_000.0
    assert kinds.interest_subsidy(750_000_000.25, 5.0, 4.0, 0, -1, cap) == 30_000_000.0
    assert kinds.interest_subsidy(749_999_999.75, 5.0, 4.0, 0, -1, cap) == pytest.approx(29_999_999.99)
    assert kinds.interest_subsidy(0.0, 5.0, 4.0, 0, -1, cap) == 0.0


# --- threshold reward -----------------------------------------------------------------------

ABOVE_SIZE_REVENUE_CNY = 20_000_000.0  # the statistical above-designated-size threshold


@pytest.mark.parametrize("revenue, expected", [(20_000_000.0, 700_000.0), (19_999_999.99, 0.0)])
def test_threshold_reward_event_at_the_threshold(instruments, revenue, expected):
    ins = instruments["scaleup.2.first_above_size_this_year"]
    event = revenue >= ABOVE_SIZE_REVENUE_CNY  # the caller compares >= ("达到")
    got = kinds.threshold_reward(event, ins.base_amount_cny, ins.extras_cny["srdi"], False, 0.0, INF)
    assert got == expected


def test_threshold_reward_exclusion_and_no_event():
    assert kinds.threshold_reward(True, 500_000.0, 200_000.0, True, 0.0, INF) == 0.0
    assert kinds.threshold_reward(False, 500_000.0, 200_000.0, False, 0.0, INF) == 0.0


def test_threshold_reward_total_cap(instruments):
    ins = instruments["software.8.scaleup_reward"]
    cap = ins.cap_per_recipient_total_cny
    assert (ins.base_amount_cny, cap) == (500_000.0, 1_000_000.0)
    # Base + 700,000 of discretionary extras is cut to the 1,000,000 cap.
    assert kinds.threshold_reward(True, ins.base_amount_cny, 700_000.0, False, 0.0, cap) == 1_000_000.0
    assert kinds.threshold_reward(True, ins.base_amount_cny, 500_000.0, False, 0.0, cap) == 1_000_000.0
    # After 800,000 paid, only 200,000 is left; at the cap nothing.
    assert kinds.threshold_reward(True, ins.base_amount_cny, 0.0, False, 800_000.0, cap) == 200_000.0
    assert kinds.threshold_reward(True, ins.base_amount_cny, 0.0, False, cap, cap) == 0.0
    paid = 0.0
    for _ in range(4):
        paid += kinds.threshold_reward(True, ins.base_amount_cny, 300_000.0, False, paid, cap)
    assert paid == 1_000_000.0


# --- milestone grant and the 1:5 matching ratio ---------------------------------------------


def test_matching_ratio_one_to_five(instruments):
    ratio = instruments["centers.art25.milestone_funding"].min_matching_ratio
    assert ratio == 0.2
    assert kinds.matching_ratio_ok(1_000_000.0, 5_000_000.0, ratio)  # exactly 0.2
    assert not kinds.matching_ratio_ok(0.1999 * 5_000_000.0, 5_000_000.0, ratio)
    assert not kinds.matching_ratio_ok(999_999.99, 5_000_000.0, ratio)  # one fen short
    # 0.2 * 3 is 0.6000000000000001 in binary: exactly 1:5 still passes.
    assert kinds.matching_ratio_ok(0.6, 3.0, ratio)
    assert kinds.matching_ratio_ok(0.0, 0.0, ratio)


def test_milestone_stage_payment(instruments):
    ratio = instruments["centers.art25.milestone_funding"].min_matching_ratio
    stage, total = 5_000_000.0, 12_000_000.0
    assert kinds.milestone_stage_payment(True, stage, 0.2 * stage, ratio, 0.0, total) == stage
    assert kinds.milestone_stage_payment(True, stage, 0.1999 * stage, ratio, 0.0, total) == 0.0
    assert kinds.milestone_stage_payment(False, stage, stage, ratio, 0.0, total) == 0.0
    # The last stage is cut to what is left of the approved total.
    assert kinds.milestone_stage_payment(True, stage, stage, ratio, 10_000_000.0, total) == 2_000_000.0
    assert kinds.milestone_stage_payment(True, stage, stage, ratio, total, total) == 0.0


# --- capped grant ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "asked, expected", [(20_000_000.0, 20_000_000.0), (20_000_000.01, 20_000_000.0), (1.0, 1.0), (0.0, 0.0), (-3.0, 0.0)]
)
def test_capped_grant(instruments, asked, expected):
    cap = instruments["hydrogen.8.benchmark_incubator"].cap_per_project_cny
    assert cap == 20_000_000.0
    assert kinds.capped_grant(asked, cap) == expected
