"""Readings of the text that change money ([policy] in the scenario), each tested both ways, and the
caps one instrument shares with another (sim/policy/kinds, sim/core/ledger.py)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import make_policy

from sim.core.ledger import Ledger

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "populations" / "firms"))
from _firms_helpers import committed, run_firms  # noqa: E402


def _policy(reading: str, value: str) -> str:
    return f'[policy]\n{reading} = "{value}"\n'


def test_software_stay_up_reading_at_100m_when_counted_or_first_100m_last_year(tmp_path):
    # A software firm counted above size in 2021 at 90,000,000, growing 20 % a year: 108,000,000 in
    # 2022 (first above 100,000,000), 129,600,000 in 2023.
    body = f"[firms.behaviour.software_it]\ndrift = {math.log(1.2)}\n"
    rows = ["S1,software_it,90000000,6,0,0,0,0,2021,0"]
    sw = "scaleup.3.software_first_above_size_last_year_and_100m"
    # Default (L599/L832): it was below 100,000,000 when first counted: no software reward, ever.
    loaded, model, out = run_firms(tmp_path, rows, body, last_year=2024)
    assert committed(loaded, out, sw).sum() == 0.0
    assert committed(loaded, out, "software.8.scaleup_reward").sum() == 0.0
    # L820's 稳规: first above 100,000,000 last year (2022), so paid in 2023, once (从优: D8 item 3 and
    # D5 item 8 pay the same 500,000; the first in document order, D5 item 8, takes it).
    loaded, model, out = run_firms(tmp_path, rows, body + _policy("software_stay_up", "first_100m_last_year"),
                                   last_year=2024)
    both = committed(loaded, out, sw) + committed(loaded, out, "software.8.scaleup_reward")
    assert list(both) == [0.0, 500_000.0, 0.0]
    assert committed(loaded, out, "software.8.scaleup_reward")[1] == 500_000.0


def test_this_year_counting_new_firms_or_any_first_inclusion(tmp_path):
    # An established manufacturer at 17,000,000 growing 12 %: 19,040,000 in 2022, 21,324,800 in 2023,
    # first counted above size in 2023.
    body = f"[firms.behaviour.advanced_manufacturing]\ndrift = {math.log(1.12)}\n"
    rows = ["M1,advanced_manufacturing,17000000,6,0,0,0,0,0,0"]
    last, this = "scaleup.2.first_above_size_last_year", "scaleup.2.first_above_size_this_year"
    # Default: "this year" is for new firms only; it is paid 300,000 as "first counted last year" in 2024.
    loaded, model, out = run_firms(tmp_path, rows, body, last_year=2025)
    assert list(committed(loaded, out, this)) == [0.0, 0.0, 0.0, 0.0]
    assert list(committed(loaded, out, last)) == [0.0, 0.0, 300_000.0, 0.0]
    # Any firm first counted in the year: 500,000 in 2023, and not again as "last year" in 2024.
    loaded, model, out = run_firms(tmp_path, rows, body + _policy("this_year_counting", "any_first_inclusion"),
                                   last_year=2025)
    assert list(committed(loaded, out, this)) == [0.0, 500_000.0, 0.0, 0.0]
    assert committed(loaded, out, last).sum() == 0.0


LOAN_2025 = """
[firms.loans]
borrow_probability = 1.0
loan_to_investment = 0.5
loan_rate_percent = 4.3
term_years = 3
[firms.loans.programs."software.9.fixed_asset_loan_interest"]
sectors = ["software_it"]
"""


@pytest.mark.parametrize("reading, expected", [
    # D5 item 9 ends 2025-07-25 (206 days of 2025). A 10,000,000 loan drawn in 2025, 3 years, 2 points on
    # the average balance 10,000,000 / 6,666,667 / 3,333,333.
    ("stop_at_expiry", [200_000.0 * 206 / 365, 0.0, 0.0]),
    ("run_to_term", [200_000.0 * 206 / 365, 200_000.0 * 2 / 3, 200_000.0 / 3]),
])
def test_loan_subsidies_after_expiry(tmp_path, reading, expected):
    rows = ["S1,software_it,50000000,5,0,0,0,20000000,2015,0"]
    loaded, model, out = run_firms(tmp_path, rows, LOAN_2025 + _policy("loan_subsidies_after_expiry", reading),
                                   first_year=2025, last_year=2027)
    np.testing.assert_allclose(committed(loaded, out, "software.9.fixed_asset_loan_interest"), expected)


def test_m_and_a_and_major_project_loans_share_one_30m_cap_per_firm_year():
    # L603: "每家企业原则上年度最高 3000 万元" is one cap over both D5 item 9 loan subsidies.
    policy = make_policy({"policy": {"in_force": ["software.9.*"]}, "horizon": {"first_year": 2023, "last_year": 2023}})
    ledger = Ledger(policy)
    major, ma = "software.9.major_project_loan_interest", "software.9.ma_loan_interest"
    assert ledger.claim(major, 2023, np.array([0]), np.array([20_000_000.0]))[0] == 20_000_000.0
    # The same firm's M&A subsidy gets what is left of the 30,000,000: exactly 10,000,000.
    assert ledger.claim(ma, 2023, np.array([0, 1]), np.array([20_000_000.0, 20_000_000.0])).tolist() == \
        [10_000_000.0, 20_000_000.0]
    assert ledger.room_cny(major, 2023, np.array([0, 1, 2])).tolist() == [0.0, 10_000_000.0, 30_000_000.0]
