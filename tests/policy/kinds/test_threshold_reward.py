"""The threshold-reward kind's cross-programme rules, on facts built by hand (sim/policy/kinds/threshold_reward.py)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_policy

from sim.core.ledger import Ledger
from sim.policy.claims import ClaimDesk
from sim.policy.facts import FirmYear
from sim.populations.firms.component import FLAG_OF_CATEGORY

D5, D8 = "software.8.scaleup_reward", "scaleup.3.software_first_above_size_last_year_and_100m"


def _software_firm(year: int) -> FirmYear:
    # First counted above size last year, at >= 100,000,000 then, 150,000,000 now: both software
    # rewards' event (D5 item 8, D8 item 3), 500,000 each.
    one = np.ones(1, dtype=bool)
    return FirmYear("firm", np.array([0]), family=np.array(["software_information_services"], dtype=object),
                    first_size_year=np.array([year - 1]), first_100m_year=np.array([year - 1]),
                    counted_in_year=~one, counted_at_100m=one, revenue_cny=np.array([150e6]),
                    flags=np.zeros(1, dtype=np.uint8), application_day=np.array([100]),
                    category_bits=FLAG_OF_CATEGORY)


def _desk(tables: dict) -> tuple[ClaimDesk, Ledger]:
    policy = make_policy({"horizon": {"first_year": 2023, "last_year": 2024},
                          "policy": {"in_force": [D5, D8]} | tables.pop("policy", {})} | tables)
    ledger = Ledger(policy)
    return ClaimDesk(policy, ledger, {}), ledger


def _paid(ledger: Ledger) -> dict[str, float]:
    return {pid: ledger.paid_in_total(pid, 0) for pid in (D5, D8)}


def test_best_of_on_a_tie_pays_the_first_in_document_order_once():
    desk, ledger = _desk({})
    desk.file(_software_firm(2023), 2023)
    assert _paid(ledger) == {D5: 500_000.0, D8: 0.0}


def test_best_of_compares_amounts_after_each_programmes_caps():
    # D5 item 8 capped at 100,000 per firm in all: after its cap it pays 100,000, D8 item 3 500,000.
    # Before caps they tie at 500,000 and D5 item 8 (first) would be chosen and pay only 100,000.
    desk, ledger = _desk({"instruments": {D5: {"cap_per_recipient_total_cny": 100_000.0}}})
    desk.file(_software_firm(2023), 2023)
    assert _paid(ledger) == {D5: 0.0, D8: 500_000.0}


def test_best_of_reads_the_room_left_after_earlier_payments():
    # The firm already has 600,000 of D5 item 8's 1,000,000 per firm: 400,000 left < 500,000 under D8.
    desk, ledger = _desk({})
    ledger.claim(D5, 2023, np.array([0]), np.array([600_000.0]), event_dates=None)
    desk.file(_software_firm(2023), 2023)
    assert _paid(ledger) == {D5: 600_000.0, D8: 500_000.0}


def test_best_of_after_share_of_cap_paid():
    desk, ledger = _desk({"instruments": {D5: {"share_of_cap_paid": 0.5}}})
    desk.file(_software_firm(2023), 2023)
    assert _paid(ledger) == {D5: 0.0, D8: 500_000.0}


@pytest.mark.parametrize("cap, expected", [(100_000.0, 100_000.0), (None, 500_000.0)])
def test_stacking_pays_both_each_after_its_own_cap(cap, expected):
    over = {} if cap is None else {"instruments": {D5: {"cap_per_recipient_total_cny": cap}}}
    desk, ledger = _desk({"policy": {"stack_software_and_scaleup_rewards": True}} | over)
    desk.file(_software_firm(2023), 2023)
    assert _paid(ledger) == {D5: expected, D8: 500_000.0}
