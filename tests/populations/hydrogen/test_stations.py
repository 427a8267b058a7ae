"""Station kernels and agents: hand-computed costs, tiers, the price cap, enrolment, allocation;
the CSV of real stations (any number per district, ids unique among stations)."""

import math

import numpy as np
import pytest

from sim.errors import InputDataError
from sim.policy.kinds import tiered_grant, unit_subsidy_under_price_cap
from sim.populations.hydrogen.station_kernels import (
    ExitProspects,
    ExitRepricing,
    ExitRules,
    OfferPath,
    StationFinance,
    StationLife,
    StationVolumes,
    SubsidyWindow,
    allocate_demand,
    capital_recovery_factor,
    choose_enrolment,
    choose_reopenings,
    exit_margin_cny_per_kg,
    fixed_margins,
    levelised_cost_cny_per_kg,
    retail_price_cny_per_kg,
    review_stations,
    station_npv_cny,
    station_volume_kg,
)
from sim.populations.hydrogen.stations import CLOSED, MOTHBALLED, OPERATING, read_stations_csv


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


def _enrol(own, mc, caps, subsidy, *, contracted=0.0, spot=1000.0, market=40.0, elasticity=0.0, in_force=None,
           uncapped=None, committed=0, growth=0.0, discount=0.0):
    """choose_enrolment for one station in one district; `subsidy` is (levels, years)."""
    subsidy = np.asarray(subsidy, dtype=np.float64)
    subsidy = subsidy.reshape(len(caps), subsidy.shape[-1] if subsidy.ndim > 1 else -1)
    years = subsidy.shape[1]
    in_force = np.ones(years) if in_force is None else np.asarray(in_force, dtype=np.float64)
    uncapped = np.zeros(years) if uncapped is None else np.asarray(uncapped, dtype=np.float64)
    window = SubsidyWindow(np.asarray(caps, dtype=np.float64), subsidy[None], in_force[None], uncapped[None])
    volumes = StationVolumes(np.array([contracted]), np.array([spot]), np.array([1e12]), market, elasticity, growth,
                             discount)
    price, enrolled = np.zeros(1), np.zeros(1, dtype=np.int64)
    choose_enrolment(np.array([own]), np.array([mc]), np.array([committed]), np.zeros(1, dtype=np.int64), volumes,
                     window, price, enrolled)
    return float(price[0]), int(enrolled[0])


def test_enrolment_passes_the_subsidy_to_the_price_down_to_the_cap():
    # Own 39.99, 40.00 and 40.01, subsidy 10, cap 30: own less the subsidy is 29.99, 30.00 (the
    # cap, to the fen) and 30.01, cut to the cap. Margin 29.99 + 10 - 20 = 19.99, the station's own:
    # no loss at constant volume, it enrols (gain 0 >= 0).
    assert _enrol(39.99, 20.0, [30.0], [10.0]) == (pytest.approx(29.99), 1)
    assert _enrol(40.00, 20.0, [30.0], [10.0]) == (30.00, 1)
    # At the cap: 10 x 1000 + (30 - 20) x 1000 - (40.01 - 20) x 1000 = -10 < 0 with no spot
    # response: it stays out; with its spot buyers answering (elasticity 1 at a market price of
    # 40.01, all 1,000 kg spot): 1,000 x 40.01 / 30 = 1,333.7 kg at 20 = 26,673 > 20,010: enrols.
    assert _enrol(40.01, 20.0, [30.0], [10.0]) == (40.01, 0)
    assert _enrol(40.01, 20.0, [30.0], [10.0], market=40.01, elasticity=1.0) == (30.0, 1)


def test_an_unbinding_cap_passes_the_subsidy_one_for_one_and_wins_only_volume():
    # Cap 60 and 10 CNY/kg, own price 44, mc 38: enrolled at 34 it keeps its margin of 6 a kg.
    # 600 kg contracted + 400 spot at a market price of 44, elasticity 1: 600 + 400 x 44/34 =
    # 1,117.6 kg against 1,000 at its own price: it enrols, and its buyers pay 10 less.
    assert _enrol(44.0, 38.0, [60.0], [10.0], contracted=600.0, spot=400.0, market=44.0,
                  elasticity=1.0) == (34.0, 1)
    # At 20 CNY/kg it passes 20: 24 a kg (1,333.3 kg). A higher rate never raises its price.
    assert _enrol(44.0, 38.0, [60.0], [20.0], contracted=600.0, spot=400.0, market=44.0,
                  elasticity=1.0) == (24.0, 1)
    # A subsidy above its own price gives hydrogen away at 1 fen, never at 0 or below.
    assert _enrol(44.0, 38.0, [60.0], [50.0], contracted=600.0, spot=0.0) == (0.01, 1)


def test_station_stays_out_when_own_price_pays_better():
    # Own price 50, mc 30: margin 20 a kg. Enrolled: 30 + 5 - 30 = 5 a kg, same volume: stays out.
    assert _enrol(50.0, 30.0, [30.0], [5.0]) == (50.0, 0)
    # No scheme in force: never enrolled, own price.
    assert _enrol(25.0, 20.0, [], np.zeros((0, 1))) == (25.0, 0)


def test_only_spot_volume_answers_the_capped_price():
    # Own 45, mc 25, cap 30 + 10, elasticity 1 at a market price of 45. Staying out: 20 x 1,000 = 20,000.
    # All spot: 1,000 x 45/30 = 1,500 kg at 15 a kg = 22,500: enrols.
    assert _enrol(45.0, 25.0, [30.0], [10.0], spot=1000.0, market=45.0, elasticity=1.0) == (30.0, 1)
    # 800 kg contracted, 200 spot: 800 + 300 = 1,100 kg at 15 = 16,500 < 20,000: stays out.
    assert _enrol(45.0, 25.0, [30.0], [10.0], contracted=800.0, spot=200.0, market=45.0, elasticity=1.0) == (45.0, 0)


def test_enrolment_weighs_the_years_the_subsidy_still_runs():
    # All 1,000 kg spot at a market price of 45, elasticity 1; own 45, mc 25: 20 x 1,000 = 20,000 a
    # year out. Cap 30, where 1,500 kg sell. Year 0 pays 5 (45 - 5 > 30: at the cap), (30 + 5 - 25) x
    # 1,500 = 15,000 (-5,000); year 1 pays 15 with a district top-up (45 - 15 = 30: the cap),
    # (30 + 15 - 25) x 1,500 = 30,000 (+10,000): over both, +5,000: enrols.
    kw = dict(spot=1000.0, market=45.0, elasticity=1.0)
    assert _enrol(45.0, 25.0, [30.0], [[5.0, 15.0]], **kw) == (30.0, 1)
    # Year 1 weighs (1 + g) / (1 + r) = 1.02 / 1.275 = 0.8 on 10,000... still enrols (+3,000);
    # discounted to 0.4 (r = 1.55, g = 0.02), -5,000 + 4,000 < 0: stays out.
    assert _enrol(45.0, 25.0, [30.0], [[5.0, 15.0]], growth=0.02, discount=0.275, **kw) == (30.0, 1)
    assert _enrol(45.0, 25.0, [30.0], [[5.0, 15.0]], growth=0.02, discount=1.55, **kw) == (45.0, 0)
    # With no spot buyers a year at the cap never pays: 30 + S - 25 < 20 whenever 45 - S > 30.
    assert _enrol(45.0, 25.0, [30.0], [[5.0, 15.0]], contracted=1000.0, spot=0.0) == (45.0, 0)
    # A scheme in force a quarter of the year pays a quarter of its rate and the concession a quarter
    # of the year: the same sign as a whole year (10 x 0.25 x 1,000 - 0.25 x 10 x 1,000 = 0: enrols, ties in).
    assert _enrol(40.0, 25.0, [30.0], [2.5], contracted=1000.0, spot=0.0, in_force=[0.25]) == (30.0, 1)


def test_a_committed_station_stays_enrolled_while_the_scheme_pays():
    # Stays out on its own margin (above), but it committed last year: it keeps to the cap.
    assert _enrol(50.0, 30.0, [30.0], [5.0], committed=1) == (30.0, 1)
    # The scheme ended this year: the commitment lapses.
    assert _enrol(50.0, 30.0, [30.0], [[0.0, 5.0]], committed=1) == (50.0, 0)


def test_two_capped_schemes_stations_enrol_at_the_level_that_pays_best():
    # Own price 50, mc 30, same volume. Caps 30 (10 + 8 = 18 there) and 40 (8): at 30: 30 + 18 - 30 = 18;
    # at 40: 40 + 8 - 30 = 18; staying out: 20. Stays out.
    assert _enrol(50.0, 30.0, [30.0, 40.0], [[18.0], [8.0]], spot=1.0) == (50.0, 0)
    # With the 40 scheme at 12 and an uncapped 3 on top: at 30 the 22 pass to the price, 50 - 22 = 28
    # (under the cap): 28 + 22 + 3 - 30 = 23; at 40: 50 - 12 = 38, 38 + 12 + 3 - 30 = 23; out: 23.
    # Every gain is 0: the first level (30) takes the tie, at 28.
    assert _enrol(50.0, 30.0, [30.0, 40.0], [[22.0], [12.0]], spot=1.0, uncapped=[3.0]) == (28.0, 1)


def test_station_volume_holds_contracted_kg_and_moves_spot_kg_with_price():
    # 600 contracted + 400 spot at the market price; at 2/3 of it with elasticity 1, spot is 600.
    assert station_volume_kg(600.0, 400.0, 1e9, 30.0, 45.0, 1.0) == pytest.approx(1200.0)
    assert station_volume_kg(600.0, 400.0, 1100.0, 30.0, 45.0, 1.0) == 1100.0
    assert station_volume_kg(600.0, 400.0, 1e9, 45.0, 45.0, 3.0) == pytest.approx(1000.0)


RULES = ExitRules(2, 3, 0.3, 0.01, 0.05)


def _review(status, cash, *, loss_years=1, profit=-1.0, opened=2020, reopened=-1, mothball_years=0, year=2024):
    a = dict(status=np.array([status], dtype=np.int8), opened=np.array([opened]), reopened=np.array([reopened]),
             profit=np.array([profit]), loss=np.array([loss_years]), idle=np.array([mothball_years]))
    life = StationLife(a["status"], a["opened"], a["reopened"], a["profit"], a["loss"], a["idle"])
    # Alone in its district, selling cash + fixed opex at 1 CNY/kg: it expects `cash` next year.
    alone = ExitProspects(np.array([0]), np.array([cash + 1e6]), np.array([1e12]), np.array([1.0]))
    review_stations(life, alone, StationFinance(np.array([10e6]), np.array([1e6]), 0.0, 15), year, RULES,
                    fixed_margins(1))
    return int(a["status"][0]), int(a["loss"][0]), int(a["idle"][0])


def test_a_station_mothballs_on_its_own_poor_prospects_after_sustained_losses():
    # Fixed opex 1 M, idle 0.3 M, mothballing 0.1 M: it leaves when next year's cash is below -0.4 M.
    assert _review(OPERATING, -0.41e6) == (MOTHBALLED, 2, 0)
    assert _review(OPERATING, -0.39e6) == (OPERATING, 2, 0)
    # One loss year is not enough; a profitable year resets the count.
    assert _review(OPERATING, -5e6, loss_years=0) == (OPERATING, 1, 0)
    assert _review(OPERATING, -5e6, profit=0.0) == (OPERATING, 0, 0)
    # The year it opened or reopened does not count.
    assert _review(OPERATING, -5e6, opened=2024) == (OPERATING, 1, 0)
    assert _review(OPERATING, -5e6, reopened=2024) == (OPERATING, 1, 0)


def test_losing_stations_of_a_district_leave_one_at_a_time_and_pass_their_buyers_on():
    # District 0: three stations of 400,000 kg a year selling 200,000 kg each at a margin of
    # 5 CNY/kg, fixed opex 1.2 M: each expects 1.0 M - 1.2 M = -0.2 M. Threshold (RULES): idle
    # -0.3 x 1.2 M = -0.36 M, less 1% of capex 10 M = -0.46 M; the first is worse off at a
    # margin of 2: 0.4 M - 1.2 M = -0.8 M (gap -0.34 M), so it alone leaves. Its 200,000 kg go
    # to the other two by capacity (100,000 each): they expect 1.5 M - 1.2 M = +0.3 M and stay.
    # Station 3, alone in district 1, expects 2 x 100,000 - 1.2 M = -1.0 M and leaves too.
    n = 4
    status = np.full(n, OPERATING, dtype=np.int8)
    loss = np.full(n, 1)
    life = StationLife(status, np.full(n, 2020), np.full(n, -1), np.full(n, -1.0), loss, np.zeros(n, dtype=np.int64))
    prospects = ExitProspects(np.array([0, 0, 0, 1]), np.array([200_000.0, 200_000.0, 200_000.0, 100_000.0]),
                              np.full(n, 400_000.0), np.array([2.0, 5.0, 5.0, 2.0]))
    review_stations(life, prospects, StationFinance(np.full(n, 10e6), np.full(n, 1.2e6), 0.0, 15), 2024, RULES,
                    fixed_margins(n))
    assert status.tolist() == [MOTHBALLED, OPERATING, OPERATING, MOTHBALLED]
    # Three equal stations of district 0 selling 150,000 kg at 3 CNY/kg: each expects -0.75 M (gap
    # -0.29 M); judged together on this year's volume, all three would leave. One at a time (ties
    # by slot): station 0 leaves, 75,000 kg each lift the others to 225,000 kg, -0.525 M (gap
    # -0.065 M): station 1 leaves, and station 2 takes 175,000 of its kg to fill its 400,000 kg:
    # 1.2 M - 1.2 M = 0, and stays. Station 3 (-1.0 M) leaves as before.
    status[:] = OPERATING
    loss[:] = 1
    worse = ExitProspects(prospects.district, np.array([150_000.0, 150_000.0, 150_000.0, 100_000.0]),
                          np.full(n, 400_000.0), np.array([3.0, 3.0, 3.0, 2.0]))
    review_stations(life, worse, StationFinance(np.full(n, 10e6), np.full(n, 1.2e6), 0.0, 15), 2024, RULES,
                    fixed_margins(n))
    assert status.tolist() == [MOTHBALLED, MOTHBALLED, OPERATING, MOTHBALLED]


def _repricing(n, *, cap=np.inf, passed=0.0, subsidy_next=0.0):
    # Marginal cost 30, no fixed cost on the price, markup 0.2, each rival divides it by 1 + 1 x rivals:
    # own price 30 x (1 + 0.2 / (1 + r)): 33 against one rival, 36 alone.
    return ExitRepricing(np.full(n, 30.0), np.zeros(n), np.full(n, 1.0), np.full(n, cap), np.full(n, passed),
                         np.full(n, subsidy_next), 0.2, 0.0, 1.0)


def test_exit_margin_by_hand():
    r = _repricing(1)
    assert exit_margin_cny_per_kg(r, 0, 1.0) == pytest.approx(3.0)
    assert exit_margin_cny_per_kg(r, 0, 0.0) == pytest.approx(6.0)
    # Enrolled at the cap 32, passing 2 a kg, 2 a kg still paid next year: against one rival
    # min(32, 33 - 2) + 2 - 30 = 3 (its own margin); alone min(32, 36 - 2) + 2 - 30 = 4 < 6: its own.
    enrolled = _repricing(1, cap=32.0, passed=2.0, subsidy_next=2.0)
    assert exit_margin_cny_per_kg(enrolled, 0, 1.0) == pytest.approx(3.0)
    assert exit_margin_cny_per_kg(enrolled, 0, 0.0) == pytest.approx(6.0)
    # With 6 a kg still paid next year: alone min(32, 34) + 6 - 30 = 8 > 6.
    assert exit_margin_cny_per_kg(_repricing(1, cap=32.0, passed=2.0, subsidy_next=6.0), 0, 0.0) == pytest.approx(8.0)


def test_the_station_left_by_an_exit_prices_against_one_rival_fewer():
    # Two stations of district 0 sell 200,000 kg each at a margin of 3 CNY/kg (own price 33 against
    # one rival), fixed opex 1.2 M: each expects 0.6 M - 1.2 M = -0.6 M, below the threshold -0.46 M
    # (RULES, capex 10 M). Station 0 leaves first (tie by slot); station 1 takes its buyers up to its
    # 220,000 kg. At the old margin: 3 x 220,000 - 1.2 M = -0.54 M: it would leave too. Alone it
    # prices at 36, a margin of 6: 1.32 M - 1.2 M = +0.12 M, and it stays.
    n = 2

    def review(repricing):
        status = np.full(n, OPERATING, dtype=np.int8)
        life = StationLife(status, np.full(n, 2020), np.full(n, -1), np.full(n, -1.0), np.full(n, 1),
                           np.zeros(n, dtype=np.int64))
        prospects = ExitProspects(np.zeros(n, dtype=np.int64), np.full(n, 200_000.0), np.full(n, 220_000.0),
                                  np.full(n, 3.0))
        review_stations(life, prospects, StationFinance(np.full(n, 10e6), np.full(n, 1.2e6), 0.0, 15), 2024,
                        RULES, repricing)
        return status.tolist()

    assert review(_repricing(n)) == [MOTHBALLED, OPERATING]
    assert review(fixed_margins(n)) == [MOTHBALLED, MOTHBALLED]


def test_a_station_enrolled_under_both_caps_sells_more_at_the_lower_one():
    # The intensive margin of a lower cap (issue 20): 600 kg contracted + 400 kg spot at a market
    # price of 40, elasticity 1; own price 45, mc 10 (own margin 35 x 1,000 = 35,000), subsidy 14
    # (45 - 14 = 31: both caps bind). At cap 30 it sells 600 + 400 x 40/30 = 1,133.3 kg and gains
    # (30 + 14 - 10) x 1,133.3 = 38,533; at cap 25, 600 + 400 x 40/25 = 1,240 kg and (25 + 14 - 10)
    # x 1,240 = 35,960. Both beat 35,000: it enrols under both, and sells more kg at the lower cap.
    kw = dict(contracted=600.0, spot=400.0, market=40.0, elasticity=1.0)
    assert _enrol(45.0, 10.0, [30.0], [14.0], **kw) == (30.0, 1)
    assert _enrol(45.0, 10.0, [25.0], [14.0], **kw) == (25.0, 1)
    assert station_volume_kg(600.0, 400.0, 1e9, 30.0, 40.0, 1.0) == pytest.approx(1133.333333)
    assert station_volume_kg(600.0, 400.0, 1e9, 25.0, 40.0, 1.0) == pytest.approx(1240.0)


def test_a_mothballed_station_closes_after_its_idle_years():
    assert _review(MOTHBALLED, 0.0, mothball_years=1) == (MOTHBALLED, 1, 2)
    assert _review(MOTHBALLED, 0.0, mothball_years=2) == (CLOSED, 1, 3)


def test_mothballed_stations_reopen_one_by_one_as_unserved_demand_repays_recommissioning():
    # District 0 left 300 kg unserved; two mothballed stations of 250 kg, margins 12 and 10 a kg, fixed
    # opex 1,000, idle 300, recommissioning 0.05 x 100,000 = 5,000, 10 years at r = 0.
    status = np.array([MOTHBALLED, MOTHBALLED, MOTHBALLED, OPERATING], dtype=np.int8)
    district = np.array([0, 0, 1, 0])
    finance = StationFinance(np.full(4, 100_000.0), np.full(4, 1000.0), 0.0, 15)

    # Station 3 operates in district 0 well above its mothballing level (no rival moves its margin).
    incumbents = ExitProspects(district, np.full(4, 250.0), np.full(4, 250.0), np.full(4, 50.0))

    def reopen(unserved, idle_years=(1, 1, 1, 0), rules=RULES):
        none = np.full(4, -1)
        life = StationLife(status, none, none, np.zeros(4), np.zeros(4, dtype=np.int64), np.array(idle_years))
        return choose_reopenings(life, district, np.array(unserved), np.full(4, 250.0),
                                 np.array([10.0, 12.0, 50.0, 50.0]), finance, np.full(4, 10.0), rules, incumbents,
                                 fixed_margins(4)).tolist()

    # Station 1 first (12 x 250 - 1,000 + 300 = 2,300 a year, 23,000 >= 5,000); 50 kg left for station 0:
    # 10 x 50 - 700 < 0. District 1 left nothing: its station stays.
    assert reopen([300.0, 0.0]) == [1]
    # Demand for both: 500 kg. Station 0: 10 x 250 - 700 = 1,800 a year: both come back, the better first.
    assert reopen([500.0, 0.0]) == [1, 0]
    # Recommissioning dearer than 10 years of 2,300: nobody.
    assert reopen([500.0, 0.0], rules=ExitRules(2, 3, 0.3, 0.01, 0.25)) == []
    # A station mothballed this very year waits at least a year.
    assert reopen([500.0, 0.0], idle_years=(0, 0, 0, 0)) == []


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
    assert station_npv_cny(10.0, 4.0, 5.0, 30.0, 50.0, 1.0, OfferPath(caps, np.zeros((1, 2)), none), 1, 0.0) == \
        pytest.approx(24.0)
    # With a subsidy of 25/kg in the first year, enrolled it prices 50 - 25 = 25 (under the cap 30):
    # 25 + 25 - 30 = 20, its own margin: the capped subsidy passes to its buyers, the NPV is unchanged.
    rates = np.array([[25.0, 0.0]])
    assert station_npv_cny(10.0, 4.0, 5.0, 30.0, 50.0, 1.0, OfferPath(caps, rates, none), 1, 0.0) == pytest.approx(24.0)
    # At 15/kg the cap binds (50 - 15 = 35 > 30): 30 + 15 - 30 = 15 < 20, it keeps its own price.
    assert station_npv_cny(10.0, 4.0, 5.0, 30.0, 50.0, 1.0, OfferPath(caps, np.array([[15.0, 0.0]]), none), 1,
                           0.0) == pytest.approx(24.0)
    # An uncapped 2/kg in both years adds 2 a year to the better margin: 24 + 4.
    assert station_npv_cny(10.0, 4.0, 5.0, 30.0, 50.0, 1.0, OfferPath(caps, rates, np.full(2, 2.0)), 1, 0.0) == \
        pytest.approx(28.0)


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


def test_each_time_invariant_station_draw_reads_its_own_number():
    # The captive flag once shared the route's number (both 4): every captive station then took
    # the first route. Each draw of a station on the "station" stream has a key of its own, and
    # none is a year (the yearly draws pass the year in the same place).
    from sim.populations.hydrogen.streams import STATION_DRAWS

    keys = list(STATION_DRAWS.values())
    assert len(set(keys)) == len(keys) and max(keys) < 1900


def test_a_station_does_not_reopen_where_its_return_would_push_the_station_operating_there_out():
    # District 0: station 0 mothballed (idle a year), station 1 operating alone, 200,000 kg left
    # unserved. Both: capex 10 M, fixed opex 1.2 M; mothballing level -0.3 x 1.2 M - 0.01 x 10 M =
    # -0.46 M. Pricing: mc 30, markup 0.2 divided by 1 + rivals: 36 alone, 33 against one rival.
    # Station 0 back on its own prospects (margin 6 on the 200,000 kg): 1.2 M - 1.2 M + 0.36 M =
    # 0.36 M a year over idle, x 15 years at r = 0 = 5.4 M >= 0.2 M recommissioning (0.02 x 10 M).
    status = np.array([MOTHBALLED, OPERATING], dtype=np.int8)
    district = np.zeros(2, dtype=np.int64)
    finance = StationFinance(np.full(2, 10e6), np.full(2, 1.2e6), 0.0, 15)
    rules = ExitRules(2, 3, 0.3, 0.01, 0.02)
    life = StationLife(status, np.full(2, -1), np.full(2, -1), np.zeros(2), np.zeros(2, dtype=np.int64),
                       np.array([1, 0]))
    repricing = ExitRepricing(np.full(2, 30.0), np.zeros(2), np.zeros(2), np.full(2, np.inf), np.zeros(2),
                              np.zeros(2), 0.2, 0.0, 1.0)

    def reopen(incumbent_kg):
        # Station 1 alone (no rival): margin 6 a kg; against station 0 back, 3 a kg on the same kg.
        incumbents = ExitProspects(district, np.array([0.0, incumbent_kg]), np.full(2, 300_000.0),
                                   np.array([6.0, 6.0]))
        return choose_reopenings(life, district, np.array([200_000.0]), np.full(2, 300_000.0), np.array([6.0, 6.0]),
                                 finance, np.full(2, 15.0), rules, incumbents, repricing).tolist()

    # Selling 300,000 kg: 3 x 300,000 - 1.2 M = -0.3 M >= -0.46 M: it stays, so station 0 comes back.
    assert reopen(300_000.0) == [0]
    # Selling 200,000 kg: 3 x 200,000 - 1.2 M = -0.6 M < -0.46 M: station 1 would leave, station 0
    # would only take its place: it stays mothballed.
    assert reopen(200_000.0) == []
    # The line between: -0.46 M at 246,667 kg.
    assert reopen(246_667.0) == [0]
    assert reopen(246_666.0) == []


def test_of_losing_stations_the_one_furthest_below_per_kg_of_capacity_leaves_first():
    # District 0, capex 10 M each, margin 2 a kg. Station 0, 1,000,000 kg a year, sells 300,000, fixed
    # opex 1.5 M: 0.6 M - 1.5 M = -0.9 M against its level -0.3 x 1.5 M - 0.01 x 10 M = -0.55 M (RULES):
    # gap -0.35 M, -0.35 a kg of capacity. Station 1, 250,000 kg, sells 200,000, fixed opex 1.0 M:
    # 0.4 M - 1.0 M = -0.6 M against -0.4 M: gap -0.2 M, -0.8 a kg. Station 1 leaves first; its
    # 200,000 kg lift station 0 to 500,000: 1.0 M - 1.5 M = -0.5 M >= -0.55 M, and it stays. By the
    # largest shortfall in CNY station 0 would have left first, and station 1, filled to 250,000 kg
    # (-0.5 M < -0.4 M), after it: the district would have lost both.
    n = 2
    status = np.full(n, OPERATING, dtype=np.int8)
    life = StationLife(status, np.full(n, 2020), np.full(n, -1), np.full(n, -1.0), np.full(n, 1),
                       np.zeros(n, dtype=np.int64))
    prospects = ExitProspects(np.zeros(n, dtype=np.int64), np.array([300_000.0, 200_000.0]),
                              np.array([1_000_000.0, 250_000.0]), np.array([2.0, 2.0]))
    review_stations(life, prospects, StationFinance(np.full(n, 10e6), np.array([1.5e6, 1.0e6]), 0.0, 15), 2024,
                    RULES, fixed_margins(n))
    assert status.tolist() == [OPERATING, MOTHBALLED]
