"""Properties of the ledger (sim/core/ledger.py) over random claims, ceilings and rules."""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
from conftest import make_policy
from hypothesis import given
from hypothesis import strategies as st

from sim.core.ledger import Ledger

YEARS = (2024, 2025, 2026)
# Stations (hydrogen.13, payer 市城市管理委) and three EITB programmes (payer 市经济和信息化局):
# one with a cap per firm in total, one with a cap per firm-year, one valid only until mid-2024
# so that 2025 and 2026 have a validity share of 0.
PROGRAMS = (
    "hydrogen.13.construction_grant",
    "hydrogen.13.operating_subsidy",
    "hydrogen.5.new_material_first_batch",
    "hydrogen.11.equipment_lease_subsidy",
    "hydrogen.6.first_of_kind_domestic",
)
SHORT_LIVED = "hydrogen.6.first_of_kind_domestic"
EITB, STATIONS = "市经济和信息化局", "市城市管理委"


@functools.cache
def policy_for(station_rule, station_ceiling, eitb_rule, eitb_ceiling, lags, shares):
    overrides = {pid: {"payment_lag_years": lag, "share_of_cap_paid": share} for pid, lag, share in zip(PROGRAMS, lags, shares, strict=False)}
    overrides[SHORT_LIVED]["valid_until"] = dt.date(2024, 6, 30)
    return make_policy(
        {
            "horizon": {"first_year": YEARS[0], "last_year": YEARS[-1]},
            "policy": {"in_force": list(PROGRAMS)},
            "instruments": overrides,
            "budget": {
                "lines": {
                    "stations": {"payer": STATIONS, "programs": ["hydrogen.13.*"], "rationing": station_rule,
                                 "ceiling_cny_per_year": station_ceiling},
                    "eitb": {"payer": EITB, "programs": ["hydrogen.5.*", "hydrogen.11.*"], "rationing": eitb_rule,
                             "ceiling_cny_per_year": eitb_ceiling},
                }
            },
        }
    )


rules = st.sampled_from(["none", "pro_rata", "queue"])
ceilings = st.sampled_from([0.0, 1e6, 5e6, 2e7, 1e9])
amount = st.one_of(st.just(0.0), st.floats(0.01, 8e6, allow_nan=False), st.sampled_from([1e7, 5e6, 3e6]))
claim = st.tuples(
    st.sampled_from(YEARS),
    st.integers(0, len(PROGRAMS) - 1),
    st.lists(st.tuples(st.integers(0, 4), amount), min_size=1, max_size=6),
    st.one_of(st.none(), st.integers(0, 364)),  # pro-rated, or an event on day k of the year
)
scenario = st.fixed_dictionaries(
    {
        "station_rule": rules,
        "station_ceiling": ceilings,
        "eitb_rule": rules,
        "eitb_ceiling": ceilings,
        "lags": st.tuples(*[st.integers(0, 2)] * len(PROGRAMS)),
        "shares": st.tuples(*[st.sampled_from([1.0, 0.5, 0.3])] * len(PROGRAMS)),
        "claims": st.lists(claim, max_size=25),
    }
)


def simulate(case):
    """Run the claims year by year; return the policy, the ledger and the approvals by (program, recipient, year)."""
    policy = policy_for(case["station_rule"], case["station_ceiling"], case["eitb_rule"], case["eitb_ceiling"],
                        case["lags"], case["shares"])
    ledger = Ledger(policy)
    approved = np.zeros((len(PROGRAMS), 5, len(YEARS)))
    for yi, year in enumerate(YEARS):
        for y, p, pairs, day in case["claims"]:
            if y != year:
                continue
            recipients = np.array([r for r, _ in pairs])
            amounts = np.array([a for _, a in pairs])
            dates = None if day is None else [dt.date(year, 1, 1) + dt.timedelta(days=day)] * len(pairs)
            pid = PROGRAMS[p]
            got = ledger.claim(pid, year, recipients, amounts, event_dates=dates)
            assert got.shape == amounts.shape and np.all(got >= 0.0) and np.all(got <= amounts + 1e-9)
            np.add.at(approved[policy.get(pid).index], (recipients, yi), got)
        ledger.settle(year)
    return policy, ledger, approved


@given(scenario)
def test_no_recipient_cap_is_exceeded(case):
    policy, ledger, approved = simulate(case)
    for program in policy.programs:
        per_year = approved[program.index]
        assert np.all(per_year <= program.cap_per_recipient_year_cny * (1 + 1e-12))
        assert np.all(per_year.sum(axis=1) <= program.cap_per_recipient_total_cny * (1 + 1e-12))


@given(scenario)
def test_committed_is_the_sum_of_approvals_and_totals_add_up(case):
    policy, ledger, approved = simulate(case)
    np.testing.assert_allclose(ledger.committed, approved.sum(axis=1).T, rtol=1e-12, atol=1e-6)
    # Totals over programmes equal totals over payers (each programme has one payer).
    for stock in (ledger.committed, ledger.outlay, ledger.unpaid, ledger.forfeited):
        by_payer = {payer: stock[:, [p.index for p in policy.programs if p.payer == payer]].sum(axis=1)
                    for payer in policy.payers}
        np.testing.assert_allclose(sum(by_payer.values()), stock.sum(axis=1), rtol=1e-12, atol=1e-6)
        by_line = sum(stock[:, list(line.programs)].sum(axis=1) for line in policy.lines)
        np.testing.assert_allclose(by_line, stock.sum(axis=1), rtol=1e-12, atol=1e-6)


@given(scenario)
def test_nothing_committed_in_a_year_without_validity(case):
    policy, ledger, _ = simulate(case)
    for program in policy.programs:
        dead = program.validity_share == 0.0
        assert np.all(ledger.committed[dead, program.index] == 0.0)
    assert np.all(ledger.committed[1:, policy.get(SHORT_LIVED).index] == 0.0)


@given(scenario)
def test_rationed_lines_pay_at_most_their_ceiling(case):
    policy, ledger, _ = simulate(case)
    for li, line in enumerate(policy.lines):
        paid = ledger.outlay[:, list(line.programs)].sum(axis=1)
        if line.rationing in ("pro_rata", "queue"):
            assert np.all(paid <= line.ceiling_cny_per_year * (1 + 1e-12) + 1e-6), (line.name, paid)
            assert np.all(ledger.budget_overrun[:, li] == 0.0)
        else:
            excess = np.maximum(paid - line.ceiling_cny_per_year, 0.0)
            np.testing.assert_allclose(ledger.budget_overrun[:, li], excess, rtol=1e-9, atol=1e-6)
        if line.rationing != "pro_rata":
            assert np.all(ledger.forfeited[:, list(line.programs)] == 0.0)
        if line.rationing != "queue":
            assert np.all(ledger.unpaid[:, list(line.programs)] == 0.0)


@given(scenario)
def test_money_is_conserved_every_year(case):
    _, ledger, _ = simulate(case)
    lhs = np.cumsum(ledger.committed, axis=0)
    rhs = np.cumsum(ledger.outlay, axis=0) + np.cumsum(ledger.forfeited, axis=0) + ledger.unpaid + ledger.pending
    np.testing.assert_allclose(lhs, rhs, rtol=1e-6, atol=1e-6)
    for stock in (ledger.outlay, ledger.forfeited, ledger.unpaid, ledger.pending):
        assert np.all(stock >= -1e-6)
