"""Hand-computed cases of the firm model: crossings, rewards, extras, caps, stacking, loans."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _firms_helpers import G12, HEADER, committed, deterministic_toml, run_firms

from sim.errors import ScenarioError
from sim.populations.firms.population import STATE_FIELDS, FirmArrays
from sim.runner.model import PolicyModel
from sim.scenario.loader import load_scenario

MANUF_12 = f"""
[firms.behaviour.advanced_manufacturing]
drift = {G12}
"""


def test_manufacturing_firm_at_18m_growing_12pct_is_paid_300k_in_2023(tmp_path):
    # 18,000,000 x 1.12 = 20,160,000 >= 20,000,000 in 2022: counted 2022, paid "last year" in 2023.
    loaded, _, out = run_firms(tmp_path, ["M1,advanced_manufacturing,18000000,6,0,0,0,0,0,0"], MANUF_12)
    years = list(loaded.policy.years)
    paid = committed(loaded, out, "scaleup.2.first_above_size_last_year")
    assert paid[years.index(2023)] == 300_000.0
    assert paid.sum() == 300_000.0
    assert out["committed"].sum() == 300_000.0  # nothing else: no this-year, no 100m, no extras
    assert out["upscaled"][years.index(2022), 0] == 1
    assert out["upscaled"].sum() == 1
    assert out["firms_above_size"][years.index(2021 + 1), 0] == 1
    assert out["firms_rewarded"][years.index(2023), loaded.policy.ids.index("scaleup.2.first_above_size_last_year")] == 1


def test_exactly_20m_counts_as_above_size(tmp_path):
    # 10,000,000 doubling (drift ln 2) is exactly 20,000,000 in 2022.
    body = f"[firms.behaviour.advanced_manufacturing]\ndrift = {math.log(2.0)}\n"
    loaded, model, out = run_firms(tmp_path, ["M1,advanced_manufacturing,10000000,6,0,0,0,0,0,0"], body,
                                   last_year=2023)
    firms = model.component("firms")
    assert firms.state.revenue_cny[0] == np.float32(40_000_000.0)
    assert out["upscaled"][0, 0] == 1
    assert committed(loaded, out, "scaleup.2.first_above_size_last_year")[1] == 300_000.0


def test_revenue_one_yuan_below_a_line_is_not_counted_at_it(tmp_path):
    # Drift 0, no shocks: each firm keeps its CSV revenue in 2022. Counted above size: all but
    # 19,999,999; digital-human firms at or above 1e9: three of four; at or above 5e9: one.
    rows = ["M1,advanced_manufacturing,19999999,6,0,0,0,0,0,0", "M2,advanced_manufacturing,20000000,6,0,0,0,0,0,0",
            "D1,digital_human,999999999,6,0,0,0,0,0,0", "D2,digital_human,1000000000,6,0,0,0,0,0,0",
            "D3,digital_human,4999999999,6,0,0,0,0,0,0", "D4,digital_human,5000000000,6,0,0,0,0,0,0"]
    _, model, out = run_firms(tmp_path, rows, last_year=2022)
    firms = model.component("firms")
    manufacturing, digital_human = firms.table.code("advanced_manufacturing"), firms.table.code("digital_human")
    assert out["firms_above_size"][0, manufacturing] == 1
    assert out["firms_above_size"][0, digital_human] == 4
    assert out["firms_above_1bn_digital_human"][0] == 3
    assert out["firms_above_5bn_digital_human"][0] == 1


def test_graduate_counted_this_year_at_20m_and_not_one_yuan_below(tmp_path):
    loaded, _, out = run_firms(tmp_path, [], "", graduates=[(2023, [0, 0], [19_999_999.0, 20_000_000.0])])
    assert committed(loaded, out, "scaleup.2.first_above_size_this_year").tolist() == [0, 500_000.0, 0, 0, 0, 0]
    assert out["upscaled"][1, 0] == 1


def test_software_reward_needs_this_year_revenue_of_100m_not_one_yuan_less(tmp_path):
    # Both firms first counted in 2022 at 100,000,000; in 2023 one still has 100,000,000 and one
    # 99,999,999. D5 item 8 asks 100,000,000 this year, so it pays only the first; D8 item 3
    # (no condition on this year) pays the second. One reward each, 500,000 (from the better).
    rows = ["S1,software_it,100000000,6,0,0,0,0,2022,2022", "S2,software_it,100000000,6,0,0,0,0,2022,2022"]
    csv = tmp_path / "firms.csv"
    csv.write_text("\n".join([HEADER] + rows) + "\n", encoding="utf-8")
    path = tmp_path / "s.toml"
    path.write_text(deterministic_toml(csv, first_year=2023, last_year=2023), encoding="utf-8")
    loaded = load_scenario(path)
    model = PolicyModel(loaded.scenario, loaded.policy, 0)
    model.component("firms").state.revenue_cny[1] = 99_999_999.0  # the 2022 revenue; drift 0 keeps it in 2023
    model.step()
    d5, d8 = "software.8.scaleup_reward", "scaleup.3.software_first_above_size_last_year_and_100m"
    assert model.ledger.paid_in_total(d5, 1) == 0.0 and model.ledger.paid_in_total(d8, 1) == 500_000.0
    assert model.ledger.paid_in_total(d5, 0) + model.ledger.paid_in_total(d8, 0) == 500_000.0


def test_srdi_extra_and_little_giant_exclusion(tmp_path):
    rows = [
        "PLAIN,advanced_manufacturing,18000000,6,0,0,0,0,0,0",
        "SRDI,advanced_manufacturing,18000000,6,1,0,0,0,0,0",
        "GIANT,advanced_manufacturing,18000000,6,1,1,0,0,0,0",
    ]
    loaded, _, out = run_firms(tmp_path, rows, MANUF_12)
    # 300,000 + (300,000 + 200,000) + 300,000: the little giant with central funds gets no extra.
    assert committed(loaded, out, "scaleup.2.first_above_size_last_year")[1] == 1_100_000.0


def test_stay_up_reward_for_first_crossing_of_100m(tmp_path):
    # 90,000,000 x 1.12 = 100,800,000 >= 100,000,000 in 2022 -> item 3, 500,000 in 2023.
    loaded, _, out = run_firms(tmp_path, ["M1,advanced_manufacturing,90000000,9,0,0,0,0,2015,0"], MANUF_12)
    assert committed(loaded, out, "scaleup.3.first_above_100m_last_year").tolist() == [0, 500_000.0, 0, 0, 0, 0]
    assert out["crossed_100m"][0, 0] == 1


def test_nothing_paid_for_a_crossing_in_2025(tmp_path):
    # 18,000,000 / 1.12^3 crosses in 2025; D8 ends 2025-12-31, so the 2026 payment is nil.
    start = 18_000_000.0 / 1.12**3
    loaded, _, out = run_firms(tmp_path, [f"M1,advanced_manufacturing,{start},6,0,0,0,0,0,0"], MANUF_12)
    assert out["upscaled"][3, 0] == 1
    assert out["committed"].sum() == 0.0


SOFTWARE_JUMP = f"""
[firms.behaviour.software_it]
drift = {math.log(6.0)}
[firms.rewards]
discretionary_extras_share = 1.0
"""


def test_software_firm_paid_once_under_the_better_instrument(tmp_path):
    # 19,000,000 x 6 = 114,000,000 in 2022: first above size and >= 100,000,000 -> 2023 event under
    # D8 item 3 (500,000) and D5 item 8 (500,000, revenue 2023 >= 100,000,000 committed).
    loaded, _, out = run_firms(tmp_path, ["S1,software_it,19000000,3,0,0,0,0,0,0"], SOFTWARE_JUMP)
    d8 = committed(loaded, out, "scaleup.3.software_first_above_size_last_year_and_100m")
    d5 = committed(loaded, out, "software.8.scaleup_reward")
    assert d8[1] + d5[1] == 500_000.0
    assert out["committed"].sum() == 500_000.0


def test_software_firm_total_stays_within_1m_and_stacking_switch(tmp_path):
    body = SOFTWARE_JUMP + """
[policy]
stack_software_and_scaleup_rewards = true
[instruments."software.8.scaleup_reward"]
extras_cny = { dcmm = 400000.0, security = 300000.0, innovation = 0.0 }
"""
    loaded, model, out = run_firms(tmp_path, ["S1,software_it,19000000,3,1,0,0,0,0,0"], body)
    d5 = committed(loaded, out, "software.8.scaleup_reward")
    d8 = committed(loaded, out, "scaleup.3.software_first_above_size_last_year_and_100m")
    # 500,000 + 700,000 extras -> capped at 1,000,000 per firm; D8 stacks: 500,000 + 200,000 SRDI.
    assert d5.sum() == 1_000_000.0
    assert model.ledger.paid_in_total("software.8.scaleup_reward", 0) <= 1_000_000.0
    assert d8.sum() == 700_000.0


def test_entrant_counted_this_year_gets_500k_once(tmp_path):
    # An incubator graduate entering in 2023 with 25,000,000 is first counted this year.
    loaded, _, out = run_firms(tmp_path, [], "", graduates=[(2023, [0], [25_000_000.0])])
    this_year = committed(loaded, out, "scaleup.2.first_above_size_this_year")
    last_year = committed(loaded, out, "scaleup.2.first_above_size_last_year")
    assert this_year.tolist() == [0, 500_000.0, 0, 0, 0, 0]
    assert last_year.sum() == 0.0
    assert out["firm_entries"][1, 0] == 1


def _loans(program: str, sector: str) -> str:
    """Every firm borrows half its recorded investment for 2 years at 4.3% under `program`."""
    return f"""
[firms.loans]
borrow_probability = 1.0
loan_to_investment = 0.5
loan_rate_percent = 4.3
term_years = 2
[firms.loans.programs."{program}"]
sectors = ["{sector}"]
"""


LOANS = _loans("software.9.fixed_asset_loan_interest", "software_it")


def test_loan_interest_subsidy_hand_computed(tmp_path):
    # Recorded investment 20,000,000 -> loan 10,000,000 in 2022, 2 years, 2 points:
    # 2022: 10,000,000 x 2% = 200,000, pro-rated by the 159 days from 2022-07-26 (ledger);
    # 2023: balance 5,000,000 x 2% = 100,000; 2024: a new loan of 10,000,000 -> 200,000;
    # 2025: 100,000 x 206/365 (valid to 2025-07-25).
    loaded, _, out = run_firms(tmp_path, ["S1,software_it,50000000,5,0,0,0,20000000,2015,0"], LOANS)
    got = committed(loaded, out, "software.9.fixed_asset_loan_interest")
    expected = [200_000.0 * 159 / 365, 100_000.0, 200_000.0, 100_000.0 * 206 / 365, 0.0, 0.0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert out["firm_loans_open"].tolist() == [1, 1, 1, 1, 1, 1]


def test_no_loan_below_the_recorded_investment_threshold(tmp_path):
    loaded, _, out = run_firms(tmp_path, ["S1,software_it,50000000,5,0,0,0,9999999,2015,0"], LOANS)
    assert committed(loaded, out, "software.9.fixed_asset_loan_interest").sum() == 0.0


def test_each_loan_programme_has_its_own_investment_floor(tmp_path):
    # D5 item 9 needs recorded investment >= 10,000,000 (L603); D7 item 11's inclusive subsidy
    # only "some contribution" (L765): 5,000,000 qualifies there, not under D5 item 9; 0 under neither.
    body = """
[policy]
in_force = ["hydrogen.*", "software.*"]
[firms.loans]
borrow_probability = 1.0
loan_to_investment = 0.5
loan_rate_percent = 4.3
term_years = 2
[firms.loans.programs."hydrogen.11.inclusive_loan_interest"]
sectors = ["hydrogen"]
[firms.loans.programs."software.9.fixed_asset_loan_interest"]
sectors = ["software_it"]
"""
    rows = ["H1,hydrogen,50000000,5,0,0,0,5000000,2015,0", "H2,hydrogen,50000000,5,0,0,0,0,2015,0",
            "S1,software_it,50000000,5,0,0,0,9999999,2015,0", "S2,software_it,50000000,5,0,0,0,10000000,2015,0"]
    loaded, model, out = run_firms(tmp_path, rows, body)
    inclusive, d5 = "hydrogen.11.inclusive_loan_interest", "software.9.fixed_asset_loan_interest"
    assert out["firm_loans_open"][0] == 2
    assert model.ledger.paid_in_total(inclusive, 0) > 0.0  # 5,000,000 recorded: eligible under D7 item 11
    assert model.ledger.paid_in_total(inclusive, 1) == 0.0  # nothing recorded
    assert model.ledger.paid_in_total(d5, 2) == 0.0  # 9,999,999 < 10,000,000
    assert model.ledger.paid_in_total(d5, 3) > 0.0  # exactly 10,000,000 (以上, inclusive)


def test_a_scenario_floor_for_a_loan_programme_overrides_the_instruments(tmp_path):
    body = LOANS + 'min_fixed_asset_investment_cny = 20000000\n'
    rows = ["S1,software_it,50000000,5,0,0,0,10000000,2015,0"]
    loaded, model, out = run_firms(tmp_path, rows, body)
    assert out["firm_loans_open"][0] == 0


def test_same_instrument_in_projects_and_firms_is_refused(tmp_path):
    body = LOANS + """
[projects.streams."software.9.fixed_asset_loan_interest"]
arrivals_per_year = 2
size_median_cny = 1000000
"""
    with pytest.raises(ScenarioError, match="counted twice"):
        run_firms(tmp_path, [], body)


def test_unknown_sector_in_scenario_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match="unknown sector 'sofware_it'; allowed"):
        run_firms(tmp_path, [], "[firms.behaviour.sofware_it]\ndrift = 0.1\n")


@pytest.mark.parametrize(
    "row, fragment",
    [
        ("B,softwear,1000,1,0,0,0,0,0,0", "row 2, column 'sector': is 'softwear'; allowed: advanced_manufacturing"),
        ("A,software_it,1000,1,0,1,0,0,0,0", "row 2, column 'little_giant_central_funds': is 1 but srdi is 0"),
        ("A,software_it,-5,1,0,0,0,0,0,0", "row 2, column 'revenue_cny': is -5; must be >= 0"),
        ("A,software_it,1000,1,0,0,0,0,2024,0", "row 2, column 'first_above_size_year': is 2024; must be before"),
    ],
)
def test_csv_errors_name_row_and_column(tmp_path, row, fragment):
    with pytest.raises(ScenarioError, match="firms.csv: " + fragment.replace("(", r"\(")):
        run_firms(tmp_path, [row])


def test_state_fits_in_64_bytes_per_firm():
    assert FirmArrays.bytes_per_firm() <= 64
    assert FirmArrays.empty(1000).nbytes == 1000 * FirmArrays.bytes_per_firm()


def test_firms_never_included_in_the_statistics_are_never_counted_or_paid(tmp_path):
    # Inclusion probability 0: the firm crosses 20,000,000 in 2022 but never enters the statistics.
    body = MANUF_12 + "[firms.rewards]\ninclusion_probability = 0.0\n"
    loaded, _, out = run_firms(tmp_path, ["M1,advanced_manufacturing,18000000,6,0,0,0,0,0,0"], body)
    assert out["committed"].sum() == 0.0
    assert out["upscaled"].sum() == 0 and out["firms_above_size"].sum() == 0


def test_inclusion_lag_spreads_first_counting_over_the_years(tmp_path):
    # 2,000 identical firms crossing in 2022, each included with probability 0.5 a year: about
    # 1,000 counted in 2022, 500 in 2023, 250 in 2024 (binomial; 4 sd bands).
    body = MANUF_12 + "[firms.rewards]\ninclusion_probability = 0.5\n"
    rows = [f"M{i},advanced_manufacturing,18000000,6,0,0,0,0,0,0" for i in range(2000)]
    loaded, _, out = run_firms(tmp_path, rows, body)
    first = out["upscaled"][:, 0]
    for year_index, expected in ((0, 1000), (1, 500), (2, 250)):
        sd = math.sqrt(expected * (1 - expected / (2000 - sum(first[:year_index]))))
        assert abs(first[year_index] - expected) < 4 * sd + 1, first
    assert out["firms_above_size"][:, 0].tolist() == np.cumsum(first).tolist()
    # Each firm is paid once, the year after it is first counted, while D8 is valid (2023-2025).
    paid = committed(loaded, out, "scaleup.2.first_above_size_last_year")
    years = list(loaded.policy.years)
    assert paid[years.index(2023)] == 300_000.0 * first[years.index(2022)]
    assert paid[years.index(2024)] == 300_000.0 * first[years.index(2023)]


def test_inclusion_lag_lets_software_firms_be_first_counted_above_100m(tmp_path):
    # Software firms tripling a year from 15,000,000: above size in 2022 (45,000,000), above
    # 100,000,000 in 2023 (135,000,000). Never paid the software rewards when included at once;
    # some are paid when inclusion lags (first counted in 2023 at >= 100,000,000, paid in 2024).
    body = f"[firms.behaviour.software_it]\ndrift = {math.log(3.0)}\n"
    rows = [f"S{i},software_it,15000000,3,0,0,0,0,0,0" for i in range(400)]
    software = ("software.8.scaleup_reward", "scaleup.3.software_first_above_size_last_year_and_100m")
    loaded, _, now = run_firms(tmp_path, rows, body, last_year=2025)
    assert sum(committed(loaded, now, pid).sum() for pid in software) == 0.0
    loaded, _, lag = run_firms(tmp_path, rows, body + "[firms.rewards]\ninclusion_probability = 0.5\n", last_year=2025)
    assert sum(committed(loaded, lag, pid).sum() for pid in software) > 0.0


def test_entrant_counted_in_2022_is_paid_as_first_counted_last_year_in_2023(tmp_path):
    # Counted "this year" in 2022, when D8 is not yet in force: nothing in 2022, 300,000 in 2023.
    loaded, _, out = run_firms(tmp_path, [], "", graduates=[(2022, [0], [25_000_000.0])])
    assert committed(loaded, out, "scaleup.2.first_above_size_this_year").sum() == 0.0
    assert committed(loaded, out, "scaleup.2.first_above_size_last_year").tolist() == [0, 300_000.0, 0, 0, 0, 0]


def test_software_firm_first_counted_above_100m_is_paid_whenever_it_first_reached_100m(tmp_path):
    # First counted in 2022 at 150,000,000, revenue first above 100,000,000 back in 2020: the
    # software reward of 2023 (D8 item 3 or D5 item 8, the better one, once) is due.
    rows = ["S1,software_it,150000000,6,0,0,0,0,2022,2020", "S2,software_it,150000000,6,0,0,0,0,2021,2020"]
    loaded, _, out = run_firms(tmp_path, rows, "", first_year=2023, last_year=2025)
    d8 = committed(loaded, out, "scaleup.3.software_first_above_size_last_year_and_100m")
    d5 = committed(loaded, out, "software.8.scaleup_reward")
    assert (d8 + d5).tolist() == [500_000.0, 0.0, 0.0]


def test_csv_first_counted_in_the_revenue_year_needs_revenue_above_the_line(tmp_path):
    with pytest.raises(ScenarioError, match="column 'first_above_size_year': is 2021, the year of revenue_cny, but "
                                            "revenue_cny 5,000,000 is below 20,000,000 that year"):
        run_firms(tmp_path, ["A,advanced_manufacturing,5000000,3,0,0,0,0,2021,0"])
    with pytest.raises(ScenarioError, match="column 'first_above_100m_year': is 2021"):
        run_firms(tmp_path, ["A,advanced_manufacturing,50000000,3,0,0,0,0,2015,2021"])


def test_one_off_reward_in_a_partial_year_is_paid_in_full_to_every_claim_by_default(tmp_path):
    # 300 software firms first counted in 2021 at 150,000,000: D5 item 8 (from 2022-07-26) is
    # open part of 2022; under the default reading every firm applies while it is open: 500,000 each.
    rows = [f"S{i},software_it,150000000,6,0,0,0,0,2021,2021" for i in range(300)]
    loaded, model, out = run_firms(tmp_path, rows, "", last_year=2023)
    paid = np.array([model.ledger.paid_in_total("software.8.scaleup_reward", i) for i in range(300)])
    assert set(np.unique(paid)) == {500_000.0}
    assert committed(loaded, out, "software.8.scaleup_reward")[0] == 300 * 500_000.0


def test_one_off_reward_is_paid_in_full_or_not_at_all_by_application_day(tmp_path):
    # The same firms under the random_day reading: those applying on day 206 of 2022 or later are
    # paid 500,000 each, the others nothing (D8 starts 2023).
    from sim.core.rng import uniforms_at
    from sim.populations.firms.streams import FIRM_REWARD_DATE

    rows = [f"S{i},software_it,150000000,6,0,0,0,0,2021,2021" for i in range(300)]
    loaded, model, out = run_firms(tmp_path, rows, '[policy]\none_off_claims = "random_day"\n', last_year=2023)
    paid = np.array([model.ledger.paid_in_total("software.8.scaleup_reward", i) for i in range(300)])
    assert set(np.unique(paid)) == {0.0, 500_000.0}
    day = np.floor(uniforms_at(model.seed, model.draw, np.arange(300), 2022, FIRM_REWARD_DATE) * 365)
    assert np.array_equal(paid > 0, day >= 206)
    assert 0.3 < (paid > 0).mean() < 0.57  # about 159 / 365 = 0.44
    assert committed(loaded, out, "software.8.scaleup_reward")[0] == paid.sum()


def test_srdi_extra_is_paid_once_per_firm(tmp_path):
    # A certified firm at 19,000,000 growing sixfold: 114,000,000 in 2022, so first counted above
    # size and first above 100,000,000 in the same year; both item 2 and item 3 pay it in 2023.
    body = f"[firms.behaviour.advanced_manufacturing]\ndrift = {math.log(6.0)}\n"
    loaded, model, out = run_firms(tmp_path, ["M1,advanced_manufacturing,19000000,6,1,0,0,0,0,0"], body)
    item2 = committed(loaded, out, "scaleup.2.first_above_size_last_year")
    item3 = committed(loaded, out, "scaleup.3.first_above_100m_last_year")
    # 2023: 300,000 + 200,000 extra under item 2, 500,000 under item 3 without a second extra.
    assert item2[1] + item3[1] == 1_000_000.0
    assert out["committed"].sum() == 1_000_000.0


def test_little_giant_loses_only_the_srdi_extra(tmp_path):
    body = MANUF_12 + """
[firms.rewards]
discretionary_extras_share = 1.0
[instruments."scaleup.2.first_above_size_last_year"]
extras_cny = { srdi = 200000.0, innovation = 100000.0 }
"""
    rows = ["SRDI,advanced_manufacturing,18000000,6,1,0,0,0,0,0", "GIANT,advanced_manufacturing,18000000,6,1,1,0,0,0,0"]
    _, model, _ = run_firms(tmp_path, rows, body)
    pid = "scaleup.2.first_above_size_last_year"
    assert model.ledger.paid_in_total(pid, 0) == 600_000.0
    assert model.ledger.paid_in_total(pid, 1) == 400_000.0


def test_expected_entry_is_deterministic_with_fractions_carried(tmp_path):
    body = """
[firms.behaviour.software_it]
entry_per_year = 2.5
entrant_revenue_sigma = 0.0
"""
    _, _, out = run_firms(tmp_path, [], body, firms_keys='entry = "expected"')
    code = 1  # software_it in sectors.toml
    assert out["firm_entries"][:, code].tolist() == [2, 3, 2, 3, 2, 3]
    assert out["firms_alive"][:, code].tolist() == [2, 5, 7, 10, 12, 15]


def test_synthetic_population_is_made_at_the_capacity_of_its_room_for_entrants(minimal):
    # The arrays are allocated once at the size reserve(n + room) grows n firms to: max(n + room, 2 n).
    model = PolicyModel(minimal.scenario, minimal.policy, 0)
    firms = model.component("firms")
    n = firms.state.n
    room = int(firms.entry_mean.sum() * len(model.years) * 1.5) + 64
    assert n > 0 and firms.state.capacity == max(n + room, 2 * n)
    assert all(getattr(firms.state, name).shape == (firms.state.capacity,) for name, _ in STATE_FIELDS)


HYDROGEN_LOANS = '[policy]\nin_force = ["hydrogen.*"]\n' + _loans("hydrogen.11.inclusive_loan_interest", "hydrogen")


@pytest.mark.parametrize("body, row, program, first_days, last_days", [
    # D7 item 11 (L765, "单个企业年度不超过 1000 万元"), valid 2022-08-11 to 2025-08-10: 143 days of 2022, 222 of 2025.
    (HYDROGEN_LOANS, "H1,hydrogen,5000000000,5,0,0,0,2400000000,2015,0", "hydrogen.11.inclusive_loan_interest",
     143, 222),
    # D5 item 9 (L603, "年度最高 1000 万元"), valid 2022-07-26 to 2025-07-25: 159 days of 2022, 206 of 2025.
    (LOANS, "S1,software_it,5000000000,5,0,0,0,2400000000,2015,0", "software.9.fixed_asset_loan_interest", 159, 206),
])
def test_yearly_interest_caps_apply_after_pro_rating(tmp_path, body, row, program, first_days, last_days):
    # Investment 2.4 bn -> a loan of 1.2 bn in 2022 and again in 2024, 2-year terms, 2 points:
    # full-year interest 24 M (2022, 2024) and 12 M on the half balance (2023, 2025), cap 10 M a year.
    # 2022: 24 M x 143/365 = 9,402,739.73 < 10 M, paid whole (not 10 M x 143/365 = 3,917,808.22);
    # 2023 and 2024: capped at 10 M; 2025: 12 M x 222/365 = 7,298,630.14 (not 6,082,191.78).
    loaded, _, out = run_firms(tmp_path, [row], body)
    got = committed(loaded, out, program)
    # D5 item 9's first year: 24 M x 159/365 = 10,454,794.52, over the cap: 10 M. Its last year:
    # 12 M x 206/365 = 6,772,602.74 (not 10 M x 206/365 = 5,643,835.62).
    expected = [min(24e6 * first_days / 365, 10e6), 10e6, 10e6, 12e6 * last_days / 365, 0.0, 0.0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got[3] > 10e6 * last_days / 365
