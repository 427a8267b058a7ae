"""Station kernels and agents: hand-computed costs, tiers, the price cap, enrolment, allocation;
the CSV of real stations (any number per district, ids unique among stations)."""

import math

import numpy as np
import pytest

from sim.agents.station_kernels import (
    allocate_demand,
    capital_recovery_factor,
    levelised_cost_cny_per_kg,
    price_and_enrol,
    retail_price_cny_per_kg,
    station_npv_cny,
)
from sim.agents.stations import read_stations_csv
from sim.errors import InputDataError
from sim.policy.kinds import tiered_grant, unit_subsidy_under_price_cap


@pytest.fixture(scope="module")
def grant(gazette):
    return gazette.instruments["hydrogen.13.construction_grant"]


@pytest.fixture(scope="module")
def subsidy(gazette):
    return gazette.instruments["hydrogen.13.operating_subsidy"]


@pytest.mark.parametrize("capacity, tier", [(499.0, None), (500.0, 1), (999.0, 1), (1000.0, 0)])
def test_grant_tiers_at_the_boundaries(grant, capacity, tier):
    thresholds = np.array(grant.tier_thresholds)
    amounts = np.array(grant.tier_amounts_cny)
    expected = 0.0 if tier is None else grant.tier_amounts_cny[tier]
    assert tiered_grant(capacity, thresholds, amounts) == expected


def test_subsidy_at_30_00_and_not_at_30_01(subsidy):
    rate, cap = subsidy.rate_cny_per_kg, subsidy.price_cap_cny_per_kg
    assert unit_subsidy_under_price_cap(1000.0, 30.00, rate, cap, 1.0) == rate * 1000.0
    assert unit_subsidy_under_price_cap(1000.0, 30.01, rate, cap, 1.0) == 0.0


def test_enrolment_keeps_30_00_and_lowers_30_01_to_the_cap():
    own = np.array([30.00, 30.01])
    mc = np.array([20.0, 20.0])
    q = np.array([1000.0, 1000.0])
    price, enrolled = np.zeros(2), np.zeros(2, dtype=np.int64)
    price_and_enrol(own, mc, q, q * 10, 40.0, 0.0, np.array([30.0]), np.array([10.0]), 0.0, price, enrolled)
    assert list(price) == [30.00, 30.0] and list(enrolled) == [1, 1]


def test_station_stays_out_when_own_price_pays_better():
    # Own price 50, mc 30: margin 20. Enrolled: 30 + 5 - 30 = 5 per kg, same volume: stays out.
    price, enrolled = np.zeros(1), np.zeros(1, dtype=np.int64)
    price_and_enrol(np.array([50.0]), np.array([30.0]), np.array([1.0]), np.array([9.0]), 50.0, 0.0,
                    np.array([30.0]), np.array([5.0]), 0.0, price, enrolled)
    assert price[0] == 50.0 and enrolled[0] == 0
    # No scheme in force: never enrolled, own price.
    price_and_enrol(np.array([25.0]), np.array([20.0]), np.array([1.0]), np.array([9.0]), 50.0, 0.0,
                    np.zeros(0), np.zeros(0), 0.0, price, enrolled)
    assert price[0] == 25.0 and enrolled[0] == 0


def test_two_capped_schemes_stations_enrol_at_the_level_that_pays_best():
    # Own price 50, mc 30, same volume. Caps 30 (rates 10 + 8 = 18 there) and 40 (rate 8):
    # at 30: 30 + 18 - 30 = 18; at 40: 40 + 8 - 30 = 18; staying out: 20. Stays out.
    caps, rates = np.array([30.0, 40.0]), np.array([18.0, 8.0])
    price, enrolled = np.zeros(1), np.zeros(1, dtype=np.int64)
    args = (np.array([50.0]), np.array([30.0]), np.array([1.0]), np.array([9.0]), 50.0, 0.0)
    price_and_enrol(*args, caps, rates, 0.0, price, enrolled)
    assert (price[0], enrolled[0]) == (50.0, 0)
    # An uncapped 3 CNY/kg on top: out 23; at 30: 21; at 40: 21. Still out; with the 40 scheme at 12:
    # at 40: 40 + 12 + 3 - 30 = 25 > 23 and at 30: 30 + 22 + 3 - 30 = 25, the first best level (30) wins ties.
    price_and_enrol(*args, caps, rates, 3.0, price, enrolled)
    assert (price[0], enrolled[0]) == (50.0, 0)
    price_and_enrol(*args, caps, np.array([22.0, 12.0]), 3.0, price, enrolled)
    assert (price[0], enrolled[0]) == (30.0, 1)


def test_levelised_cost_by_hand():
    # 15 M CNY over 15 years at 0%: 1 M a year; + 0.5 M fixed; over 300,000 kg: 5 CNY/kg; + 5 + 30.
    assert capital_recovery_factor(0.0, 15) == pytest.approx(1 / 15)
    assert capital_recovery_factor(0.08, 10) == pytest.approx(0.08 * 1.08**10 / (1.08**10 - 1))
    assert levelised_cost_cny_per_kg(15e6, 0.5e6, 5.0, 30.0, 300_000.0, 0.0, 15) == pytest.approx(40.0)
    assert math.isinf(levelised_cost_cny_per_kg(15e6, 0.5e6, 5.0, 30.0, 0.0, 0.0, 15))


def test_retail_price_is_cost_plus_eroded_by_rivals_and_never_below_marginal_cost():
    # Alone in its district: 50 x (1 + 0.1) + 0.5 x 20 = 65.
    assert retail_price_cny_per_kg(50.0, 20.0, 0.1, 0.5, 1.0, 0.0) == pytest.approx(65.0)
    # Two rivals at intensity 0.5: both margins halved, 50 x 1.05 + 5 = 57.5.
    assert retail_price_cny_per_kg(50.0, 20.0, 0.1, 0.5, 0.5, 2.0) == pytest.approx(57.5)
    # No margin and no recovery: the marginal cost; an unknown fixed cost (no throughput) adds nothing.
    assert retail_price_cny_per_kg(50.0, 20.0, 0.0, 0.0, 1.0, 3.0) == 50.0
    assert retail_price_cny_per_kg(50.0, math.inf, 0.0, 0.5, 1.0, 0.0) == 50.0
    # A negative fixed cost per kg (rounding) never takes the price below marginal cost.
    assert retail_price_cny_per_kg(50.0, -5.0, 0.0, 1.0, 0.0, 0.0) == 50.0


def test_retail_price_does_not_depend_on_willingness_to_pay():
    from inspect import signature

    assert "willingness" not in " ".join(signature(retail_price_cny_per_kg.py_func).parameters)


def test_sales_are_capped_by_capacity_and_spill_across_districts():
    # District 0: demand 1,000 kg, stations of 300 and 500 kg: both full, 200 unserved.
    # Half of it travels to district 1's station (room 100 of 400 after its own 300): 100 served.
    demand = np.array([1000.0, 300.0])
    district = np.array([0, 0, 1])
    capacity = np.array([300.0, 500.0, 400.0])
    sales, unmet = allocate_demand(demand, district, capacity, np.ones(3), 0.5)
    assert sales == pytest.approx([300.0, 500.0, 400.0])
    assert unmet == pytest.approx([100.0, 0.0])
    assert np.all(sales <= capacity)


def test_allocation_is_proportional_to_capacity_below_it():
    sales, unmet = allocate_demand(np.array([600.0]), np.array([0, 0]), np.array([1000.0, 500.0]), np.ones(2), 0.0)
    assert sales == pytest.approx([400.0, 200.0]) and unmet == pytest.approx([0.0])


def test_npv_by_hand():
    # Capex 10, grant 4 after 1 year at r = 0: -6; then 2 years of (own 50 - mc 30) * 1 - fixed 5 = 15 each.
    caps, none = np.array([30.0]), np.zeros(2)
    assert station_npv_cny(10.0, 4.0, 5.0, 30.0, 50.0, 1.0, caps, np.zeros((1, 2)), none, 1, 0.0) == pytest.approx(24.0)
    # With a subsidy of 25/kg in the first year, enrolling at 30 pays 30 + 25 - 30 = 25 > 20.
    rates = np.array([[25.0, 0.0]])
    assert station_npv_cny(10.0, 4.0, 5.0, 30.0, 50.0, 1.0, caps, rates, none, 1, 0.0) == pytest.approx(29.0)
    # An uncapped 2/kg in both years adds 2 a year to the better margin: 29 + 4.
    assert station_npv_cny(10.0, 4.0, 5.0, 30.0, 50.0, 1.0, caps, rates, np.full(2, 2.0), 1, 0.0) == \
        pytest.approx(33.0)


# ------------------------------------------------------------------ the CSV of real stations
STATIONS_HEADER = "station_id,district,capacity_kg_per_12h,status"


def _stations_csv(tmp_path, rows):
    path = tmp_path / "stations.csv"
    path.write_text("\n".join([STATIONS_HEADER] + rows) + "\n", encoding="utf-8")
    return path


def test_stations_csv_takes_any_number_of_stations_per_district(tmp_path):
    rows = [f"S{k},Daxing,500,operating" for k in range(5)] + ["S5,Fangshan,1000,under_construction"]
    table = read_stations_csv(str(_stations_csv(tmp_path, rows)), ["Daxing", "Fangshan"])
    assert list(table["station_id"]) == ["S0", "S1", "S2", "S3", "S4", "S5"]
    assert list(table["district"]) == ["Daxing"] * 5 + ["Fangshan"]


def test_station_id_may_equal_a_district_name(tmp_path):
    # Ids are unique among stations only: "Fangshan" names a station in Daxing and a district.
    rows = ["Daxing,Daxing,500,operating", "Fangshan,Daxing,500,operating", "S1,Fangshan,500,operating"]
    table = read_stations_csv(str(_stations_csv(tmp_path, rows)), ["Daxing", "Fangshan"])
    assert list(table["station_id"]) == ["Daxing", "Fangshan", "S1"]


def test_two_stations_with_one_id_are_refused_naming_file_row_and_column(tmp_path):
    path = _stations_csv(tmp_path, ["S1,Daxing,500,operating", "S2,Daxing,500,operating", "S1,Fangshan,500,operating"])
    with pytest.raises(InputDataError) as info:
        read_stations_csv(str(path), ["Daxing", "Fangshan"])
    assert str(info.value) == f"{path}: row 4, column 'station_id': duplicate id 'S1' (first at row 2)"


def test_a_district_outside_the_scenario_is_refused_with_the_allowed_ones(tmp_path):
    path = _stations_csv(tmp_path, ["S1,Daxing,500,operating", "S2,Haidian,500,operating"])
    with pytest.raises(InputDataError) as info:
        read_stations_csv(str(path), ["Daxing", "Fangshan"])
    assert str(info.value) == f"{path}: row 3, column 'district': is 'Haidian'; allowed: Daxing, Fangshan"
