"""The bulk station kernels against references written one station at a time, on random inputs.

Each reference is the rule as the component applied it before it moved into a kernel: a Python
loop over the stations calling the scalar kernels (:func:`levelised_cost_cny_per_kg`,
:func:`retail_price_cny_per_kg`, :func:`station_npv_cny`), NumPy masks and ``bincount``, or the
agents' own methods (:meth:`Station.review`, :meth:`Station.complete_if_due`). The results must be
equal bit for bit, not approximately: the component's outputs may not move by a single ulp. Each
test also asserts that its random inputs reach the branches it checks.
"""

from __future__ import annotations

import datetime as dt
import math

import mesa
import numpy as np
import pytest

from sim.populations.hydrogen.station_kernels import (
    BuildOptions,
    ExitProspects,
    ExitRules,
    InvestorMarket,
    LifetimeOffers,
    NewStationCosts,
    OfferPath,
    PricingRule,
    StationFinance,
    StationLife,
    allocate_demand,
    blend_enrolled_prices,
    choose_new_stations,
    delivered_cost_cny_per_kg,
    levelised_cost_cny_per_kg,
    levelised_costs_cny_per_kg,
    operating_shares,
    retail_price_cny_per_kg,
    retail_prices_cny_per_kg,
    review_stations,
    sell_contracted_then_spot,
    station_accounts,
    station_costs_and_prices,
    station_descriptions,
    station_npv_cny,
    station_pipeline,
)
from sim.populations.hydrogen.stations import (
    CLOSED,
    EMPTY,
    MOTHBALLED,
    OPERATING,
    PLANNED,
    UNDER_CONSTRUCTION,
    Station,
    StationArrays,
)

N = 300
N_DISTRICTS = 7
LIFE = 15


def _costs(rng, n=N):
    capex = rng.uniform(5e6, 3e7, n)
    return dict(capex=capex, fixed=rng.uniform(0.01, 0.06, n) * capex, purchase=rng.uniform(20.0, 45.0, n),
                district=rng.integers(0, N_DISTRICTS, n))


# ------------------------------------------------------------------------- costs and prices
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_levelised_costs_and_retail_prices_equal_the_scalar_kernels_station_by_station(seed):
    rng = np.random.default_rng(seed)
    c = _costs(rng)
    kg = np.where(rng.random(N) < 0.2, 0.0, rng.uniform(1e4, 5e5, N))
    for rate, life in [(0.08, LIFE), (0.0, 10)]:
        lc = levelised_costs_cny_per_kg(c["capex"], c["fixed"], 5.0, c["purchase"], kg, rate, life)
        ref = np.array([levelised_cost_cny_per_kg(c["capex"][i], c["fixed"][i], 5.0, c["purchase"][i], kg[i], rate, life)
                        for i in range(N)])
        assert np.array_equal(lc, ref)
        assert np.isinf(lc).any() and np.isfinite(lc).any()
        mc = c["purchase"] + 5.0
        rivals = rng.integers(-1, 5, N).astype(np.float64)
        own = retail_prices_cny_per_kg(mc, lc, 0.1, 0.6, 0.3, rivals)
        ref = np.array([retail_price_cny_per_kg(mc[i], lc[i] - mc[i], 0.1, 0.6, 0.3, rivals[i]) for i in range(N)])
        assert np.array_equal(own, ref)


def reference_costs_and_prices(purchase, vopex, full_year_kg, op_share, expected,
                               floor, capex, fixed, rate, life, markup, recovery, competition, district):
    mc = vopex + purchase
    annual_kg = np.where(op_share > 0, expected / np.maximum(op_share, 1e-12), 0.0)
    pricing_kg = np.maximum(annual_kg, floor * full_year_kg)
    lc = np.array([levelised_cost_cny_per_kg(capex[i], fixed[i], vopex, purchase[i], pricing_kg[i], rate, life)
                   for i in range(purchase.size)])
    rivals = np.bincount(district[op_share > 0], minlength=N_DISTRICTS)[district] - 1.0
    own = np.array([retail_price_cny_per_kg(mc[i], lc[i] - mc[i], markup, recovery, competition, rivals[i])
                    for i in range(purchase.size)])
    return mc, own, annual_kg > floor * full_year_kg


@pytest.mark.parametrize("seed", [3, 4])
def test_station_costs_and_prices_equal_the_station_by_station_reference(seed):
    rng = np.random.default_rng(seed)
    c = _costs(rng)
    distance = rng.uniform(20.0, 150.0, N)
    full_year_kg = rng.uniform(1e5, 4e5, N)
    op_share = rng.choice([0.0, 1.0, 0.25, 0.5], N) * rng.uniform(0.5, 1.0, N)
    expected = rng.uniform(0.0, 1.0, N) * full_year_kg * op_share
    purchase = np.asarray(delivered_cost_cny_per_kg(24.0, 3.0, 0.05, distance))
    args = (purchase, 6.0, full_year_kg, op_share, expected, 0.3, c["capex"], c["fixed"], 0.08, LIFE, 0.12, 0.7, 0.4)
    mc, own = station_costs_and_prices(purchase, full_year_kg, op_share, expected,
                                       StationFinance(c["capex"], c["fixed"], 0.08, LIFE),
                                       PricingRule(6.0, 0.3, 0.12, 0.7, 0.4), c["district"], N_DISTRICTS)
    r_mc, r_own, above_floor = reference_costs_and_prices(*args, c["district"])
    assert np.array_equal(mc, r_mc) and np.array_equal(own, r_own)
    assert above_floor.any() and (~above_floor).any() and (op_share == 0).any()


@pytest.mark.parametrize("seed", [5, 6])
def test_station_accounts_equal_the_numpy_reference(seed):
    rng = np.random.default_rng(seed)
    c = _costs(rng)
    selling = rng.random(N) < 0.7
    op_share = np.where(selling, rng.choice([1.0, 0.4], N), 0.0)
    price = np.where(rng.random(N) < 0.1, np.nan, rng.uniform(25.0, 60.0, N))
    mc = c["purchase"] + 5.0
    sales = np.where(rng.random(N) < 0.2, 0.0, rng.uniform(0.0, 3e5, N)) * selling
    subsidy = rng.uniform(0.0, 1e6, N) * (sales > 0)
    profit, recorded_price, lc = station_accounts(selling, price, mc, sales, subsidy, op_share, c["purchase"],
                                                  StationFinance(c["capex"], c["fixed"], 0.08, LIFE), 5.0)
    ref_profit = np.where(selling, (price - mc) * sales + subsidy - c["fixed"] * op_share, 0.0)
    annual = np.where(selling, sales / np.maximum(op_share, 1e-12), 0.0)
    ref_lc = np.array([levelised_cost_cny_per_kg(c["capex"][i], c["fixed"][i], 5.0, c["purchase"][i], annual[i], 0.08,
                                                 LIFE) if annual[i] > 0 else np.nan for i in range(N)])
    assert np.array_equal(profit, ref_profit, equal_nan=True)
    assert np.array_equal(recorded_price, np.where(selling, price, np.nan), equal_nan=True)
    assert np.array_equal(lc, ref_lc, equal_nan=True)
    assert (selling & (sales == 0)).any() and (selling & (sales > 0)).any() and (~selling).any()


@pytest.mark.parametrize("year", [2024, 2025])
def test_operating_shares_count_the_days_from_completion_like_the_calendar(year):
    rng = np.random.default_rng(year)
    status = rng.choice([EMPTY, PLANNED, UNDER_CONSTRUCTION, OPERATING, MOTHBALLED], N).astype(np.int8)
    jan1 = dt.date(year, 1, 1).toordinal()
    days = dt.date(year, 12, 31).timetuple().tm_yday
    completion = np.where(status == OPERATING, jan1 + rng.integers(0, days, N), -1)
    opened = np.flatnonzero((status == OPERATING) & (rng.random(N) < 0.3))
    share = operating_shares(status, completion, opened, jan1, days)
    ref = np.where(status == OPERATING, 1.0, 0.0)
    for slot in opened:
        ref[slot] = (days - dt.date.fromordinal(int(completion[slot])).timetuple().tm_yday + 1) / days
    assert np.array_equal(share, ref) and opened.size > 0
    assert share[opened].min() < 1.0 and share[opened].max() <= 1.0


@pytest.mark.parametrize("share", [1.0, 0.5, 0.0])
def test_enrolled_price_blend_equals_the_numpy_reference(share):
    rng = np.random.default_rng(11)
    enrolled = rng.integers(0, 2, N)
    capped, own = rng.uniform(20.0, 35.0, N), rng.uniform(25.0, 60.0, N)
    shares = np.full(N, share)
    shares[::7] = 0.25  # stations of a district whose scheme runs a quarter of the year
    ref = np.where(enrolled == 1, shares * capped + (1.0 - shares) * own, own)
    assert np.array_equal(blend_enrolled_prices(enrolled, shares, capped, own), ref)


@pytest.mark.parametrize("seed", [12, 13, 14])
def test_contracted_then_spot_sales_equal_two_allocations(seed):
    rng = np.random.default_rng(seed)
    district = rng.integers(0, N_DISTRICTS, N)
    capacity = rng.uniform(0.0, 4e5, N)
    selling = rng.random(N) < 0.8
    capacity[~selling] = 0.0
    price = rng.uniform(25.0, 60.0, N)
    captive = rng.random(N) < 0.2  # sell contracted volume only: no spot share
    factor = np.where(selling & ~captive, (price / 40.0) ** -1.5, 0.0)
    # Demand from short of capacity to well beyond it, so that stations fill and demand travels.
    demand = rng.uniform(0.0, 2.0, N_DISTRICTS) * np.bincount(district, weights=capacity, minlength=N_DISTRICTS)
    some_unmet = some_full = False
    for contracted, cross in [(0.6, 0.3), (0.0, 0.0), (1.0, 1.0)]:
        c_sales, c_unmet = allocate_demand(demand * contracted, district, capacity, np.where(selling, 1.0, 0.0), cross)
        room = capacity - c_sales
        s_share, s_unmet = allocate_demand(demand * (1.0 - contracted), district, room,
                                           np.where(selling & (factor > 0), 1.0, 0.0), cross)
        s_sales = np.where(selling, np.minimum(s_share * factor, room), 0.0)
        sales, unmet = sell_contracted_then_spot(demand, contracted, district, capacity, selling, factor, cross)
        assert np.array_equal(sales, c_sales + s_sales) and np.array_equal(unmet, c_unmet + s_unmet)
        assert np.all(sales <= capacity * (1 + 1e-12))
        some_unmet |= bool((unmet > 0).any())
        some_full |= bool((selling & (sales >= capacity * (1 - 1e-12))).any())
    assert some_unmet and some_full
    assert (selling & captive).any()


def test_station_descriptions_equal_the_numpy_masks():
    rng = np.random.default_rng(15)
    a = _random_arrays(rng, 2024)
    a.capacity_kg_per_12h[:] = rng.uniform(200.0, 1500.0, N)
    a.district[:] = rng.integers(0, N_DISTRICTS, N)
    epoch = dt.date(1970, 1, 1).toordinal()
    capacity, district, completion = station_descriptions(a.status, a.capacity_kg_per_12h, a.district,
                                                          a.completion_day, a.opened_year, 2022, epoch)
    used = a.status != EMPTY
    done = (a.completion_day >= 0) & (a.opened_year >= 2022)
    assert np.array_equal(capacity, np.where(used, a.capacity_kg_per_12h, 0.0))
    assert np.array_equal(district, np.where(used, a.district, -1))
    assert np.array_equal(completion, np.where(done, a.completion_day - epoch, np.nan), equal_nan=True)
    assert done.any() and (~done).any() and (~used).any()


# ------------------------------------------------------------------------- the yearly life events
def _random_arrays(rng, year):
    a = StationArrays.empty(N)
    a.status[:] = rng.choice([EMPTY, PLANNED, UNDER_CONSTRUCTION, OPERATING, MOTHBALLED, CLOSED], N)
    a.opened_year[:] = np.where(rng.random(N) < 0.3, year, year - rng.integers(1, 5, N))
    a.profit_cny[:] = rng.normal(0.0, 1e6, N)
    a.loss_years[:] = rng.integers(0, 4, N)
    a.mothball_years[:] = rng.integers(0, 3, N)
    jan1 = dt.date(year, 1, 1).toordinal()
    a.completion_day[:] = np.where(rng.random(N) < 0.2, -1, jan1 + rng.integers(-400, 800, N))
    return a


def _copy(a: StationArrays) -> StationArrays:
    return StationArrays(**{k: v.copy() for k, v in vars(a).items()})


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_review_of_every_station_equals_each_agents_review_over_several_years(seed):
    rng = np.random.default_rng(seed)
    year = 2024
    kernel = _random_arrays(rng, year)
    agents_arrays = _copy(kernel)
    model = mesa.Model()
    agents = [Station(model, agents_arrays, i) for i in range(N)]
    reached = set()
    rules = ExitRules(2, 2, 0.3, 0.01, 0.05)
    fixed, capex = rng.uniform(2e5, 2e6, N), rng.uniform(5e6, 3e7, N)
    kernel.reopened_year[:] = agents_arrays.reopened_year[:] = np.where(rng.random(N) < 0.2, year, -1)
    for y in range(year, year + 4):
        cash = rng.normal(-3e5, 1e6, N)
        before = kernel.status.copy()
        for st in agents:
            st.review(y, rules, float(cash[st.index]), float(fixed[st.index]), float(capex[st.index]))
        life = StationLife(kernel.status, kernel.opened_year, kernel.reopened_year, kernel.profit_cny,
                           kernel.loss_years, kernel.mothball_years)
        # Each station alone in its district, selling cash + fixed opex at a margin of 1 CNY/kg:
        # its expected cash is `cash`, and no exit passes buyers to another.
        alone = ExitProspects(np.arange(N), cash + fixed, np.full(N, 1e12), np.ones(N))
        review_stations(life, alone, StationFinance(capex, fixed, 0.0, LIFE), y, rules)
        for k in ("status", "loss_years", "mothball_years"):
            assert np.array_equal(getattr(kernel, k), getattr(agents_arrays, k)), (y, k)
        reached |= {(int(b), int(a)) for b, a in zip(before, kernel.status, strict=True) if b != a}
        kernel.profit_cny[:] = agents_arrays.profit_cny[:] = rng.normal(0.0, 1e6, N)
    assert {(OPERATING, MOTHBALLED), (MOTHBALLED, CLOSED)} <= reached


@pytest.mark.parametrize("year", [2023, 2024, 2025])
def test_completions_of_every_station_equal_each_agents_complete_if_due(year):
    rng = np.random.default_rng(year)
    kernel = _random_arrays(rng, year)
    agents_arrays = _copy(kernel)
    model = mesa.Model()
    ref = [i for i in range(N) if Station(model, agents_arrays, i).complete_if_due(year)]
    opened = kernel.complete_due(year)
    assert opened.tolist() == ref and len(ref) > 0
    assert np.array_equal(kernel.status, agents_arrays.status)
    assert np.array_equal(kernel.opened_year, agents_arrays.opened_year)


def test_pipeline_by_district_equals_the_numpy_masks():
    rng = np.random.default_rng(10)
    a = _random_arrays(rng, 2024)
    a.district[:] = rng.integers(0, N_DISTRICTS, N)
    a.daily_capacity_kg[:] = rng.uniform(300.0, 2000.0, N)
    capacity, count, empty = station_pipeline(a.status, a.district, a.daily_capacity_kg, 366, 0.93, N_DISTRICTS)
    pipeline = np.isin(a.status, (PLANNED, UNDER_CONSTRUCTION, OPERATING))
    ref = np.bincount(a.district[pipeline], weights=a.daily_capacity_kg[pipeline] * 366 * 0.93, minlength=N_DISTRICTS)
    assert np.array_equal(capacity, ref)
    assert np.array_equal(count, np.bincount(a.district[pipeline], minlength=N_DISTRICTS))
    assert np.array_equal(empty, np.flatnonzero(a.status == EMPTY)) and empty.size > 0


# ------------------------------------------------------------------------- the investors' choice
def reference_choose(forecast, cap_by_district, rivals, options, capex, grant, rating, days, availability, fixed_share,
                     vopex, mc, floor, rate, life, markup, recovery, competition, hurdle, caps, rates, uncapped, lead,
                     max_builds, unserved, market_price):
    """The greedy loop as the component ran it: every (district, option) priced again for each build."""
    cap_by_district, rivals, unserved = cap_by_district.copy(), rivals.copy(), unserved.copy()
    picks = []
    for _ in range(max_builds):
        best, best_npv = None, -math.inf
        for d in range(forecast.size):
            for o, c in enumerate(options):
                cap_kg = c * rating * days * availability
                share_kg = forecast[d] * cap_kg / (cap_by_district[d] + cap_kg)
                kg = min(cap_kg, max(share_kg, unserved[d]))
                fixed = fixed_share * capex[o]
                lc = levelised_cost_cny_per_kg(capex[o], fixed, vopex, mc - vopex, max(kg, floor * cap_kg), rate, life)
                own = retail_price_cny_per_kg(mc, lc - mc, markup, recovery, competition, float(rivals[d]))
                if unserved[d] > share_kg and market_price > own:
                    own = market_price
                npv = station_npv_cny(capex[o], grant[d, o], fixed, mc, own, kg, OfferPath(caps, rates[d], uncapped[d]),
                                      lead, rate)
                if npv - hurdle * capex[o] > best_npv:
                    best, best_npv = (d, o, cap_kg), npv - hurdle * capex[o]
        if best is None or best_npv <= 0.0:
            break
        d, o, cap_kg = best
        picks.append((d, o))
        share_kg = forecast[d] * cap_kg / (cap_by_district[d] + cap_kg)
        unserved[d] = max(unserved[d] - min(max(share_kg, unserved[d]), cap_kg), 0.0)
        cap_by_district[d] += cap_kg
        rivals[d] += 1
    return picks, cap_by_district, rivals, unserved


def _choice_case(seed):
    rng = np.random.default_rng(seed)
    n_d = int(rng.integers(1, 12))
    options = [float(c) for c in rng.choice([250.0, 500.0, 1000.0, 1500.0], int(rng.integers(1, 4)), replace=False)]
    capex = np.array([8e6 * (c / 500.0) ** 0.6 for c in options])
    # Grants and subsidies differ by district (some districts' measures are limited to them).
    grant = np.where(rng.random((n_d, len(options))) < 0.5, 0.0, rng.uniform(1e6, 5e6, (n_d, len(options))))
    forecast = rng.uniform(0.0, 3e6, n_d) * (rng.random(n_d) < 0.8)
    forecast[rng.integers(0, n_d)] = forecast.max()  # ties between districts: the first one wins
    cap_by_district = rng.uniform(0.0, 2e6, n_d) * (rng.random(n_d) < 0.6)
    rivals = rng.integers(0, 4, n_d)
    caps = np.array([30.0, 35.0])[: int(rng.integers(0, 3))]
    rates = rng.uniform(0.0, 15.0, (n_d, caps.size, LIFE)) * (rng.random((n_d, caps.size, LIFE)) < 0.5)
    uncapped = rng.uniform(0.0, 2.0, (n_d, LIFE)) * (rng.random((n_d, LIFE)) < 0.3)
    params = (2.0, 365, 0.9, 0.04, 5.0, float(rng.uniform(25.0, 40.0)), 0.2, 0.08, LIFE, float(rng.uniform(0.05, 0.3)),
              0.6, 0.3, float(rng.uniform(0.0, 0.3)) if seed % 5 else 5.0, caps, rates, uncapped, int(rng.integers(1, 3)))
    # Demand left unserved in some districts, and the market price a station selling to it expects.
    unserved = rng.uniform(0.0, 1e6, n_d) * (rng.random(n_d) < 0.4)
    market = (float(rng.uniform(30.0, 70.0)),)
    return forecast, cap_by_district, rivals, options, capex, grant, params, unserved, market


def test_investors_choice_equals_the_python_greedy_loop():
    # Every fifth case asks a hurdle of 5 x capex, which nothing clears.
    outcomes = set()
    for seed in range(30):
        forecast, cap_by_district, rivals, options, capex, grant, params, unserved, market = _choice_case(seed)
        for max_builds in (0, 1, 8):
            picks, ref_cap, ref_rivals, ref_unserved = reference_choose(forecast, cap_by_district, rivals, options,
                                                                        capex, grant, *params, max_builds, unserved,
                                                                        *market)
            cap, riv, left = cap_by_district.copy(), rivals.copy(), unserved.copy()
            (rating, days, availability, fixed_share, vopex, mc, floor, rate, life, markup, recovery, competition, hurdle,
             caps, rates, uncapped, lead) = params
            costs = NewStationCosts(rating, days, availability, fixed_share, vopex, mc, floor, rate, float(life), markup,
                                    recovery, competition, hurdle, lead)
            d, o = choose_new_stations(InvestorMarket(forecast, cap, riv, left, *market),
                                       BuildOptions(np.array(options), capex, grant), costs,
                                       LifetimeOffers(caps, rates, uncapped), max_builds)
            assert list(zip(d.tolist(), o.tolist(), strict=True)) == picks, seed
            assert np.array_equal(cap, ref_cap) and np.array_equal(riv, ref_rivals), seed
            assert np.array_equal(left, ref_unserved), seed
            if max_builds == 8:
                outcomes.add("none" if not picks else "all room" if len(picks) == 8 else "stopped early")
                outcomes.add("one district twice" if len({p[0] for p in picks}) < len(picks) else "")
    # Both ends are reached: nothing pays, the room is used up, the values stop paying in between.
    assert {"none", "all room", "stopped early", "one district twice"} <= outcomes
