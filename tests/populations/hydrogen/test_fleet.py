"""The fuel-cell fleet: TCO, adoption, coverage, stock and demand by hand."""

import numpy as np
import pytest

from sim.populations.hydrogen.fleet import adoption_share, coverage_by_district, fleet_year, tco_cny_per_year


def test_tco_by_hand():
    # 800,000 CNY over 8 years at 0% = 100,000 a year; 25,000 km at 4 CNY/km = 100,000.
    assert tco_cny_per_year(800_000.0, 8, 0.0, 25_000.0, 4.0) == pytest.approx(200_000.0)


def test_adoption_is_half_the_maximum_at_parity_and_falls_with_the_gap():
    assert adoption_share(100.0, 100.0, 0.4, 0.2) == pytest.approx(0.2)
    assert adoption_share(150.0, 100.0, 0.4, 0.2) == pytest.approx(0.4 / (1 + np.exp(2.5)))
    assert adoption_share(150.0, 100.0, 0.4, 0.2) < adoption_share(120.0, 100.0, 0.4, 0.2)


def test_coverage_counts_own_stations_and_a_share_of_the_others():
    cov = coverage_by_district(np.array([2.0, 0.0, 1.0]), 2.0, 0.1)
    assert cov == pytest.approx([1.0, 0.15, 0.6])


def test_fleet_year_by_hand():
    # One segment, two districts, a life of 3 years: 60 vehicles of age 0 and 40 of age 2 in district 0.
    stock = np.zeros((1, 2, 3))
    stock[0, 0] = [60.0, 0.0, 40.0]
    new, added, demand = fleet_year(
        stock, np.array([0.1]), np.array([1000.0]), np.array([1.0, 0.0]), np.array([0.5, 0.5]),
        np.array([20.0]), np.array([2_000.0]), True,
    )
    # District 0: the 40 of age 2 reach the end of their life and retire, the 60 age to 1; new:
    # 1000 x 0.1 x 1 x 0.5 = 50 market + 10 demonstration at age 0. District 1: 10 demonstration.
    assert new[0, 0] == pytest.approx([60.0, 60.0, 0.0])
    assert new[0, 1] == pytest.approx([10.0, 0.0, 0.0])
    assert added == pytest.approx([70.0])
    assert demand == pytest.approx([0.5 * (100 + 120) * 2000, 0.5 * 10 * 2000])


def test_fleet_year_without_retirement_keeps_the_oldest():
    stock = np.zeros((1, 1, 2))
    stock[0, 0] = [5.0, 7.0]
    new, _, _ = fleet_year(stock, np.zeros(1), np.zeros(1), np.ones(1), np.ones(1), np.zeros(1), np.ones(1), False)
    assert new[0, 0] == pytest.approx([0.0, 12.0])


def test_vehicles_retire_by_age_not_as_a_flat_share():
    # A cohort added in one year stays whole until it reaches the vehicle life, then leaves at once.
    stock = np.zeros((1, 1, 4))
    new, _, _ = fleet_year(stock, np.zeros(1), np.zeros(1), np.ones(1), np.ones(1), np.array([100.0]), np.ones(1), True)
    totals = [new.sum()]
    for _ in range(4):
        new, _, _ = fleet_year(new, np.zeros(1), np.zeros(1), np.ones(1), np.ones(1), np.zeros(1), np.ones(1), True)
        totals.append(new.sum())
    assert totals == pytest.approx([100.0, 100.0, 100.0, 100.0, 0.0])


@pytest.fixture(scope="module")
def baseline_fleet(scenarios_dir):
    import sim
    from sim.runner.model import PolicyModel

    loaded = sim.load_scenario(str(scenarios_dir / "baseline.toml"))
    return PolicyModel(loaded.scenario, loaded.policy, 3).component("hydrogen").fleet


def test_stock_and_vehicles_follow_each_new_stock(baseline_fleet):
    fleet = baseline_fleet
    years = range(fleet.first_year, fleet.first_year + 4)
    for year in years:
        assert np.array_equal(fleet.stock, fleet.stock_by_age.sum(axis=2))
        assert fleet.vehicles == float(fleet.stock_by_age.sum())
        before = fleet.vehicles
        fleet.step(year, np.ones(fleet.stock.shape[1]), 30.0)
        assert fleet.vehicles == float(fleet.stock_by_age.sum()) and fleet.vehicles != before
    fleet.stock_by_age = fleet.stock_by_age * 2.0  # a stock set from outside is summed afresh
    assert fleet.vehicles == float(fleet.stock_by_age.sum())


def test_adoption_shares_equal_the_tco_worked_out_each_year(baseline_fleet):
    # The diesel side is worked out once a draw: the shares must be those of the TCOs computed in full.
    fleet, cfg, seg = baseline_fleet, baseline_fleet.config, baseline_fleet.seg
    for year, price in [(fleet.first_year, 25.0), (fleet.first_year + 3, 35.0)]:
        t = year - fleet.first_year
        ref = []
        for s in range(len(fleet.segments)):
            premium = seg["fcv_premium_cny"][s] * (1.0 + seg["premium_change_per_year"][s]) ** t
            fcv = max(0.0, fleet.diesel_vehicle_cny[s] + premium - fleet.reward_cny_per_vehicle)
            tco_fcv = tco_cny_per_year(fcv, cfg.vehicle_life_years, cfg.discount_rate, seg["km_per_year"][s],
                                       price * seg["kg_per_100km"][s] / 100.0)
            tco_diesel = tco_cny_per_year(fleet.diesel_vehicle_cny[s], cfg.vehicle_life_years, cfg.discount_rate,
                                          seg["km_per_year"][s],
                                          fleet.diesel_price_cny_per_l * seg["diesel_l_per_100km"][s] / 100.0)
            ref.append(adoption_share(tco_fcv, tco_diesel, seg["max_adoption_share"][s], seg["tco_scale"][s]))
        shares = fleet.adoption_shares(year, price)
        assert shares.tolist() == ref and max(ref) > 0.0
