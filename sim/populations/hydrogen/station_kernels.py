"""Kernels of the hydrogen refuelling stations: costs, prices, enrolment, demand and sales.

Pure ``@njit(cache=True)`` functions of arrays and scalars (no agents, no config objects). The
cost conventions follow Argonne's HRSAM with H2A financial inputs: a levelised cost per kg is the
capital recovered over the station's life at the discount rate, plus fixed operating cost, both
spread over the kg dispensed, plus the variable cost per kg (compression, dispensing) and the
delivered cost of the hydrogen bought.

The scalar rules (a station's levelised cost, price, NPV) have bulk kernels beside them that
apply them to every station of a year in one pass (costs and prices, the year's accounts, the
investors' greedy choice, the exit review...): the component's yearly step calls a few of them
instead of looping over its stations in Python. Each gives the same numbers, bit for bit, as the
station-by-station rule (``tests/populations/hydrogen/test_station_kernels_reference.py``).

Units: CNY, kg, years. Station arrays are aligned by station index.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from sim.policy.kinds.unit_subsidy import price_within_cap
from sim.populations.hydrogen.stations import CLOSED, EMPTY, MOTHBALLED, OPERATING, PLANNED

__all__ = [
    "capital_recovery_factor",
    "levelised_cost_cny_per_kg",
    "delivered_cost_cny_per_kg",
    "retail_price_cny_per_kg",
    "SubsidyWindow",
    "StationVolumes",
    "ExitRules",
    "ExitProspects",
    "ExitRepricing",
    "fixed_margins",
    "exit_margin_cny_per_kg",
    "enrolled_price_cny_per_kg",
    "OfferPath",
    "StationFinance",
    "PricingRule",
    "StationLife",
    "station_volume_kg",
    "choose_enrolment",
    "choose_reopenings",
    "allocate_demand",
    "station_npv_cny",
    "levelised_costs_cny_per_kg",
    "retail_prices_cny_per_kg",
    "InvestorMarket",
    "BuildOptions",
    "NewStationCosts",
    "LifetimeOffers",
    "choose_new_stations",
    "review_stations",
    "operating_shares",
    "station_costs_and_prices",
    "station_accounts",
    "station_pipeline",
    "blend_enrolled_prices",
    "sell_contracted_then_spot",
    "station_descriptions",
]


@njit(cache=True)
def capital_recovery_factor(rate: float, life_years: float) -> float:
    """Annuity factor that turns a capital cost into equal yearly payments (H2A convention).

    ``r (1 + r)^n / ((1 + r)^n - 1)``, and ``1 / n`` when ``r == 0``.
    """
    if life_years <= 0.0:
        return math.inf
    if rate == 0.0:
        return 1.0 / life_years
    g = (1.0 + rate) ** life_years
    return rate * g / (g - 1.0)


@njit(cache=True)
def levelised_cost_cny_per_kg(
    capex_cny: float,
    fixed_opex_cny_per_year: float,
    variable_opex_cny_per_kg: float,
    purchase_cny_per_kg: float,
    kg_per_year: float,
    discount_rate: float,
    life_years: float,
) -> float:
    """Levelised cost of hydrogen dispensed, CNY/kg, at a given throughput.

    Parameters
    ----------
    capex_cny : float
        Capital cost of the station (equipment, construction, land), CNY.
    fixed_opex_cny_per_year : float
        Fixed operating cost (maintenance, staff, rent), CNY a year.
    variable_opex_cny_per_kg : float
        Compression, cooling and dispensing cost, CNY per kg dispensed.
    purchase_cny_per_kg : float
        Delivered cost of the hydrogen bought (production plus transport), CNY/kg.
    kg_per_year : float
        Throughput, kg a year; ``inf`` cost when 0.
    discount_rate : float
        Real discount rate, per year.
    life_years : float
        Economic life, years.

    Returns
    -------
    float
        CNY per kg.
    """
    if kg_per_year <= 0.0:
        return math.inf
    annual = capex_cny * capital_recovery_factor(discount_rate, life_years) + fixed_opex_cny_per_year
    return annual / kg_per_year + variable_opex_cny_per_kg + purchase_cny_per_kg


@njit(cache=True)
def delivered_cost_cny_per_kg(
    production_cny_per_kg: float, trailer_fixed_cny_per_kg: float, trailer_cny_per_kg_km: float,
    distance_km: float | np.ndarray,
) -> float | np.ndarray:
    """Hydrogen bought at the station's gate: production route plus tube-trailer haul, CNY/kg."""
    return production_cny_per_kg + trailer_fixed_cny_per_kg + trailer_cny_per_kg_km * distance_km


@njit(cache=True)
def retail_price_cny_per_kg(
    marginal_cny_per_kg: float,
    fixed_cost_cny_per_kg: float,
    markup_share: float,
    fixed_cost_recovery_share: float,
    competition_intensity: float,
    rivals: float,
) -> float:
    """The price of a station outside the cap scheme: formed from its costs and its rivals.

    ``p = mc (1 + m / c) + s f / c`` with ``c = 1 + k r``: the marginal cost ``mc`` (hydrogen
    bought, delivered, plus compression and dispensing), a margin ``m`` on it, and the share
    ``s`` of the fixed cost per kg ``f`` (capital recovery and fixed opex spread over the kg the
    station expects to sell) that a station alone in its district puts on its price; each of
    the ``r`` rival stations of the district erodes both by the factor ``c`` (competition
    intensity ``k``). The price is never below the marginal cost. What fleets are willing to
    pay does not enter: it limits their demand (adoption), not the price.

    Parameters
    ----------
    marginal_cny_per_kg, fixed_cost_cny_per_kg : float
        Marginal cost and fixed cost per kg at the expected throughput, CNY/kg.
    markup_share, fixed_cost_recovery_share : float
        Margin on the marginal cost and share of the fixed cost recovered, without rivals.
    competition_intensity : float
        How much each rival divides the margins (>= 0).
    rivals : float
        Other stations selling in the district.

    Returns
    -------
    float
        CNY per kg.
    """
    erosion = 1.0 + competition_intensity * max(rivals, 0.0)
    fixed = fixed_cost_cny_per_kg if fixed_cost_cny_per_kg < math.inf else 0.0
    p = marginal_cny_per_kg * (1.0 + markup_share / erosion) + fixed_cost_recovery_share * fixed / erosion
    return max(p, marginal_cny_per_kg)


#: Least price an enrolled station passes its subsidy down to, CNY/kg (1 fen: never a price of 0 or below).
LEAST_PRICE_CNY_PER_KG = 0.01


@njit(cache=True)
def enrolled_price_cny_per_kg(own_price_cny_per_kg: float, rate_cny_per_kg: float, cap_cny_per_kg: float) -> float:
    """The price of an enrolled station: its own price less the subsidy per kg it earns, at most the cap.

    ``min(cap, p_own - s)``, never below 1 fen. A per-kg subsidy lowers what a kg costs the
    station by ``s``; with a constant marginal cost and the margin its rule and its rivals leave
    it (``p_own - mc``), the subsidy passes to its price one for one (the incidence of a per-unit
    subsidy where supply is flat), so it keeps its own margin per kg and gains only the volume
    the lower price wins. Where the cap is below ``p_own - s`` it sells at the cap, on a lower
    margin than its own. See ``[hydrogen.economics]`` in the defaults file for why one for one.
    """
    p = own_price_cny_per_kg - rate_cny_per_kg
    if p < LEAST_PRICE_CNY_PER_KG:
        p = LEAST_PRICE_CNY_PER_KG
    if not price_within_cap(p, cap_cny_per_kg):
        p = cap_cny_per_kg
    return p


class SubsidyWindow(NamedTuple):
    """What the capped per-kg subsidies offer the stations of each district, this year and after.

    Attributes
    ----------
    caps_cny_per_kg : ndarray, shape (n_levels,)
        The price caps a station may enrol at, ascending (the union over districts).
    subsidy_cny_per_kg : ndarray, shape (n_districts, n_levels, n_years)
        Subsidy a kg sold at each level earns in each year from this one on: the rates of the
        capped schemes of the district whose cap that level meets, each times its share of the
        year in force (0 once they end).
    in_force_share : ndarray, shape (n_districts, n_years)
        Share of each year a capped scheme of the district is in force (the part of the year an
        enrolled station sells at its capped price).
    uncapped_cny_per_kg : ndarray, shape (n_districts, n_years)
        Subsidy earned on every kg whatever the price, pro-rated likewise.
    """

    caps_cny_per_kg: np.ndarray
    subsidy_cny_per_kg: np.ndarray
    in_force_share: np.ndarray
    uncapped_cny_per_kg: np.ndarray


class StationVolumes(NamedTuple):
    """What a station expects to sell this year and how its spot sales answer its price.

    Attributes
    ----------
    contracted_kg : ndarray
        Volume bound to the station by its district's fleet contracts: it does not move with price.
    spot_kg : ndarray
        Spot volume expected at the market price.
    capacity_kg : ndarray
        What the station can dispense this year (contracted plus spot never exceed it).
    market_price_cny_per_kg : float
        The market's reference price (last year's mean).
    elasticity : float
        Elasticity of spot volume to the station's price relative to the market.
    growth_per_year : float
        Expected yearly growth of the station's volumes over the subsidy's remaining years.
    discount_rate : float
        The operator's discount rate.
    """

    contracted_kg: np.ndarray
    spot_kg: np.ndarray
    capacity_kg: np.ndarray
    market_price_cny_per_kg: float
    elasticity: float
    growth_per_year: float
    discount_rate: float


@njit(cache=True)
def station_volume_kg(contracted_kg: float, spot_kg: float, capacity_kg: float, price_cny_per_kg: float,
                      market_price_cny_per_kg: float, elasticity: float) -> float:
    """A station's yearly volume at a price: its contracted kg plus spot kg that answer the price.

    ``contracted + spot x (p / p_market) ** -elasticity``, never above capacity; the contracted
    volume alone is cut to capacity too.
    """
    spot = spot_kg
    if market_price_cny_per_kg > 0.0 and price_cny_per_kg > 0.0:
        spot = spot_kg * (price_cny_per_kg / market_price_cny_per_kg) ** (-elasticity)
    q = contracted_kg + spot
    return q if q < capacity_kg else capacity_kg


@njit(cache=True)
def choose_enrolment(
    own_price_cny_per_kg: np.ndarray,
    marginal_cny_per_kg: np.ndarray,
    committed: np.ndarray,
    station_district: np.ndarray,
    volumes: StationVolumes,
    window: SubsidyWindow,
    price_out: np.ndarray,
    enrolled_out: np.ndarray,
) -> None:
    """Each station's capped price and whether it enrols, weighing the subsidy's remaining years.

    Enrolling at a cap level commits the station to sell at most at that cap while the scheme
    runs (the text's 承诺): its price is its own price less the level's rate of this year, at
    most the cap (:func:`enrolled_price_cny_per_kg`: the subsidy passes to the price one for one,
    so where the cap does not bind the station keeps its own margin and gains the volume its
    lower price wins; where it binds, it sells at the cap on a lower margin). Only the spot
    volume answers the price (:func:`station_volume_kg`); the contracted volume is sold at the
    capped price too, so the concession is paid on every kg while the extra volume comes from
    spot buyers alone. For each level the station sums over the years the district's schemes
    still run, discounted and grown at the expected volume growth::

        gain = sum_t  f_t [ S_t q_kt + w_t ((p_kt - mc) q_kt - (p_own - mc) q_own) + U_t w_t (q_kt - q_own) ]

    with ``f_t = ((1 + g) / (1 + r)) ** t``, ``S_t`` the level's subsidy per kg of year t (its
    rates times their shares of the year), ``w_t`` the share of the year in force, ``U_t`` the
    uncapped rates, ``p_kt`` its enrolled price of year t (its own price less ``S_t / w_t``, at
    most the cap), ``q_kt`` and ``q_own`` the volumes at the enrolled and own prices. It enrols at
    the level of the largest gain when that is >= 0 and the level pays this year. A station
    already committed (enrolled last year) stays enrolled, at its best level, as long as a level
    pays this year.

    Parameters
    ----------
    own_price_cny_per_kg, marginal_cny_per_kg : ndarray
        Price by the station's own rule and its marginal cost (hydrogen delivered, compression
        and dispensing), CNY/kg.
    committed : ndarray of int
        1 where the station enrolled last year.
    station_district : ndarray of int
        District of each station (index into the window's first axis).
    volumes : StationVolumes
        Expected volumes and the market's response.
    window : SubsidyWindow
        The offers by district, this year first.
    price_out, enrolled_out : ndarray
        Filled with the price while enrolled (its own price when not) and 1/0 enrolment.
    """
    n_levels = window.caps_cny_per_kg.shape[0]
    n_years = window.in_force_share.shape[1]
    ratio = (1.0 + volumes.growth_per_year) / (1.0 + volumes.discount_rate)
    for i in range(own_price_cny_per_kg.shape[0]):
        p_own = own_price_cny_per_kg[i]
        price_out[i] = p_own
        enrolled_out[i] = 0
        d = station_district[i]
        mc = marginal_cny_per_kg[i]
        qc, qs, cap = volumes.contracted_kg[i], volumes.spot_kg[i], volumes.capacity_kg[i]
        q_own = station_volume_kg(qc, qs, cap, p_own, volumes.market_price_cny_per_kg, volumes.elasticity)
        best, best_price, best_pays = -np.inf, p_own, False
        for k in range(n_levels):
            if window.subsidy_cny_per_kg[d, k, 0] <= 0.0:
                continue
            # Each year the station prices at its own price less that year's rate of the level
            # while in force (its rates times their shares, over the share), at most the cap.
            p_in = enrolled_price_cny_per_kg(p_own, _rate_in_force(window, d, k, 0), window.caps_cny_per_kg[k])
            gain, factor, scale = 0.0, 1.0, 0.0
            for t in range(n_years):
                s = window.subsidy_cny_per_kg[d, k, t]
                if s > 0.0:
                    w = window.in_force_share[d, t]
                    p_t = enrolled_price_cny_per_kg(p_own, _rate_in_force(window, d, k, t), window.caps_cny_per_kg[k])
                    q_t = station_volume_kg(qc, qs, cap, p_t, volumes.market_price_cny_per_kg, volumes.elasticity)
                    gain += factor * (s * q_t + w * ((p_t - mc) * q_t - (p_own - mc) * q_own)
                                      + window.uncapped_cny_per_kg[d, t] * w * (q_t - q_own))
                    scale += factor * (s * q_t + w * abs(p_own - mc) * q_own)
                factor *= ratio
            # A subsidy passed on in full leaves the margin as it was: a gain of 0 in exact
            # arithmetic is not lost to rounding.
            if abs(gain) <= 1e-12 * scale:
                gain = 0.0
            if gain > best:
                best, best_price, best_pays = gain, p_in, True
        if best_pays and (best >= 0.0 or committed[i] == 1):
            price_out[i] = best_price
            enrolled_out[i] = 1


@njit(cache=True)
def _rate_in_force(window: SubsidyWindow, d: int, k: int, t: int) -> float:
    """Subsidy per kg level `k` of district `d` pays while in force in year `t` (0 when none is)."""
    share = window.in_force_share[d, t]
    return window.subsidy_cny_per_kg[d, k, t] / share if share > 0.0 else 0.0


@njit(cache=True)
def _water_fill(amount: float, members: np.ndarray, room: np.ndarray, weight: np.ndarray, out: np.ndarray) -> float:
    """Share `amount` among `members` in proportion to weight, never above room; return what is left."""
    n = members.shape[0]
    active = np.zeros(n, dtype=np.bool_)
    for k in range(n):
        i = members[k]
        active[k] = room[i] > 0.0 and weight[i] > 0.0
    left = amount
    while left > 1e-9:
        total_w = 0.0
        for k in range(n):
            if active[k]:
                total_w += weight[members[k]]
        if total_w <= 0.0:
            break
        # Stations whose proportional share exceeds their room are filled and leave the pool;
        # the others' shares grow. When none overflows, everyone takes the proportional share.
        overflow = False
        used = 0.0
        for k in range(n):
            if not active[k]:
                continue
            i = members[k]
            share = left * weight[i] / total_w
            if share >= room[i]:
                out[i] += room[i]
                used += room[i]
                room[i] = 0.0
                active[k] = False
                overflow = True
        if overflow:
            left -= used
            continue
        for k in range(n):
            if active[k]:
                i = members[k]
                share = left * weight[i] / total_w
                out[i] += share
                room[i] -= share
        left = 0.0
    return max(left, 0.0)


@njit(cache=True)
def allocate_demand(
    demand_kg_by_district: np.ndarray,
    station_district: np.ndarray,
    capacity_kg: np.ndarray,
    weight: np.ndarray,
    cross_district_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Sales of each station: demand allocated by district and capacity, ``sales <= capacity``.

    Each district's demand goes to its stations in proportion to ``weight * capacity`` (the
    weight carries price attraction), filling stations that run out and passing the rest to the
    others. A share of what no station of the district can serve is driven to stations elsewhere
    with room left, in the same way; the rest is unmet.

    Parameters
    ----------
    demand_kg_by_district : ndarray, shape (n_districts,)
        Hydrogen demanded by the fleets based in each district this year, kg.
    station_district : ndarray of int, shape (n_stations,)
        District of each station.
    capacity_kg : ndarray, shape (n_stations,)
        What each station can dispense this year (0 for stations not operating), kg.
    weight : ndarray, shape (n_stations,)
        Attraction per unit of capacity (e.g. relative price to the power -elasticity).
    cross_district_share : float
        Share of a district's unserved demand that travels to other districts, in [0, 1].

    Returns
    -------
    sales_kg : ndarray, shape (n_stations,)
    unmet_kg_by_district : ndarray, shape (n_districts,)
    """
    n_d = demand_kg_by_district.shape[0]
    n = capacity_kg.shape[0]
    sales = np.zeros(n)
    room = capacity_kg.copy()
    w = weight * capacity_kg
    left = np.zeros(n_d)
    for d in range(n_d):
        count = 0
        for i in range(n):
            if station_district[i] == d:
                count += 1
        members = np.empty(count, dtype=np.int64)
        count = 0
        for i in range(n):
            if station_district[i] == d:
                members[count] = i
                count += 1
        left[d] = _water_fill(demand_kg_by_district[d], members, room, w, sales)
    travelling = left.sum() * cross_district_share
    unmet = left * (1.0 - cross_district_share)
    if travelling > 0.0:
        w2 = weight * room
        not_served = _water_fill(travelling, np.arange(n), room, w2, sales)
        total_left = left.sum()
        if total_left > 0.0:
            unmet += left / total_left * not_served
    return sales, unmet


class OfferPath(NamedTuple):
    """What the per-kg subsidies offer one station over its life, year by year.

    Attributes
    ----------
    caps_cny_per_kg : ndarray, shape (n_levels,)
        Price caps, ascending.
    rates_by_year : ndarray, shape (n_levels, life)
        Subsidy per kg at each level and year (the rates times the years' shares inside validity).
    uncapped_by_year : ndarray, shape (life,)
        Subsidy per kg earned whatever the price; its length is the economic life.
    """

    caps_cny_per_kg: np.ndarray
    rates_by_year: np.ndarray
    uncapped_by_year: np.ndarray


@njit(cache=True)
def station_npv_cny(
    capex_cny: float,
    grant_cny: float,
    fixed_opex_cny_per_year: float,
    marginal_cny_per_kg: float,
    own_price_cny_per_kg: float,
    expected_kg_per_year: float,
    offers: OfferPath,
    lead_years: int,
    discount_rate: float,
) -> float:
    """Expected net present value of building a station now, CNY.

    Capex is spent now and the construction grant received on completion (if expected inside
    the window: the caller passes 0 otherwise). From completion, every year of the offers (their
    length is the economic life) the station earns the better of its own margin and the margin
    enrolled at the best cap level (``offers.rates_by_year[k, t]``: the subsidy per kg at level k
    times the years' shares inside validity, 0 outside; enrolled, its price is
    :func:`enrolled_price_cny_per_kg` of that rate), plus the uncapped rates, at constant
    volume, less fixed opex. Since an enrolled station passes its subsidy to its price, a capped
    subsidy never raises this margin at constant volume: it brings stations through the demand
    its lower prices win, not through the investor's margin.
    """
    discount_by_year = np.empty(offers.uncapped_by_year.shape[0])
    for t in range(discount_by_year.shape[0]):
        discount_by_year[t] = (1.0 + discount_rate) ** (lead_years + t + 1)
    return _discounted_npv_cny(capex_cny, grant_cny, fixed_opex_cny_per_year, marginal_cny_per_kg,
                               own_price_cny_per_kg, expected_kg_per_year, offers, (1.0 + discount_rate) ** lead_years,
                               discount_by_year)


@njit(cache=True)
def _discounted_npv_cny(
    capex_cny: float,
    grant_cny: float,
    fixed_opex_cny_per_year: float,
    marginal_cny_per_kg: float,
    own_price_cny_per_kg: float,
    expected_kg_per_year: float,
    offers: OfferPath,
    grant_discount: float,
    discount_by_year: np.ndarray,
) -> float:
    """:func:`station_npv_cny` with its discount factors given (the grant's, and each year's of the life)."""
    npv = -capex_cny + grant_cny / grant_discount
    caps = offers.caps_cny_per_kg
    n_opt = caps.shape[0]
    for t in range(offers.uncapped_by_year.shape[0]):
        u = offers.uncapped_by_year[t]
        margin = own_price_cny_per_kg + u - marginal_cny_per_kg
        for k in range(n_opt):
            rate = offers.rates_by_year[k, t]
            if rate <= 0.0:
                continue
            # Enrolled, it passes the subsidy to its price (at most the cap): at constant volume
            # that never beats its own margin, but it is weighed all the same.
            p_in = enrolled_price_cny_per_kg(own_price_cny_per_kg, rate, caps[k])
            if p_in + rate + u - marginal_cny_per_kg > margin:
                margin = p_in + rate + u - marginal_cny_per_kg
        cash = margin * expected_kg_per_year - fixed_opex_cny_per_year
        npv += cash / discount_by_year[t]
    return npv


@njit(cache=True)
def levelised_costs_cny_per_kg(
    capex_cny: np.ndarray,
    fixed_opex_cny_per_year: np.ndarray,
    variable_opex_cny_per_kg: float,
    purchase_cny_per_kg: np.ndarray,
    kg_per_year: np.ndarray,
    discount_rate: float,
    life_years: float,
) -> np.ndarray:
    """:func:`levelised_cost_cny_per_kg` of every station (arrays aligned by station), CNY/kg.

    ``inf`` for a station without throughput.
    """
    out = np.empty(capex_cny.shape[0])
    for i in range(out.shape[0]):
        out[i] = levelised_cost_cny_per_kg(capex_cny[i], fixed_opex_cny_per_year[i], variable_opex_cny_per_kg,
                                           purchase_cny_per_kg[i], kg_per_year[i], discount_rate, life_years)
    return out


@njit(cache=True)
def retail_prices_cny_per_kg(
    marginal_cny_per_kg: np.ndarray,
    levelised_cny_per_kg: np.ndarray,
    markup_share: float,
    fixed_cost_recovery_share: float,
    competition_intensity: float,
    rivals: np.ndarray,
) -> np.ndarray:
    """:func:`retail_price_cny_per_kg` of every station, CNY/kg.

    The fixed cost per kg is the levelised cost less the marginal cost (``inf`` stays ``inf``:
    no fixed cost on the price).
    """
    out = np.empty(marginal_cny_per_kg.shape[0])
    for i in range(out.shape[0]):
        mc = marginal_cny_per_kg[i]
        out[i] = retail_price_cny_per_kg(mc, levelised_cny_per_kg[i] - mc, markup_share, fixed_cost_recovery_share,
                                         competition_intensity, rivals[i])
    return out


class InvestorMarket(NamedTuple):
    """What investors see of each district's market; the arrays are updated in place by each build.

    Attributes
    ----------
    forecast_kg : ndarray, shape (n_districts,)
        Demand expected when a station would open, kg a year.
    capacity_kg : ndarray of float, shape (n_districts,)
        What the stations in the pipeline (listed, building, operating) can dispense in a year, kg.
    rivals : ndarray of int, shape (n_districts,)
        Stations in the pipeline.
    unserved_kg : ndarray of float, shape (n_districts,)
        Demand expected to go unserved when a station would open, kg a year.
    market_price_cny_per_kg : float
        The market's mean price, CNY/kg.
    """

    forecast_kg: np.ndarray
    capacity_kg: np.ndarray
    rivals: np.ndarray
    unserved_kg: np.ndarray
    market_price_cny_per_kg: float


class BuildOptions(NamedTuple):
    """The capacities an investor may build, what each costs and the grant it expects in each district.

    Attributes
    ----------
    capacity_kg_per_12h, capex_cny : ndarray, shape (n_options,)
        Compressor 12-hour rating and capital cost of each option.
    grant_cny : ndarray, shape (n_districts, n_options)
        Construction grant an option expects in a district (0 where none is in force there at the
        expected completion).
    """

    capacity_kg_per_12h: np.ndarray
    capex_cny: np.ndarray
    grant_cny: np.ndarray


class NewStationCosts(NamedTuple):
    """A new station's cost, pricing and investment parameters (see ``[hydrogen.economics]``)."""

    dispensing_days_per_12h_rating: float
    days: int
    availability: float
    fixed_opex_share_of_capex: float
    variable_opex_cny_per_kg: float
    marginal_cny_per_kg: float
    pricing_utilisation_floor: float
    discount_rate: float
    life_years: float
    markup_share: float
    fixed_cost_recovery_share: float
    competition_intensity: float
    hurdle_share_of_capex: float
    lead_years: int


class LifetimeOffers(NamedTuple):
    """What the per-kg subsidies offer a new station of each district over its life from opening.

    Attributes
    ----------
    caps_cny_per_kg : ndarray, shape (n_levels,)
        Price caps, ascending.
    rates_by_year : ndarray, shape (n_districts, n_levels, life)
        Subsidy per kg at each level and year of the life (rates times the years' shares in force).
    uncapped_by_year : ndarray, shape (n_districts, life)
        Subsidy per kg earned whatever the price.
    """

    caps_cny_per_kg: np.ndarray
    rates_by_year: np.ndarray
    uncapped_by_year: np.ndarray


@njit(cache=True)
def choose_new_stations(
    market: InvestorMarket,
    options: BuildOptions,
    costs: NewStationCosts,
    offers: LifetimeOffers,
    max_builds: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Investors' new stations of a year, greedy by NPV over districts and capacity options.

    Each build takes the (district, option) of the highest NPV less the hurdle (``hurdle share x
    capex``), the first in district-then-option order on ties, as long as that is positive; the
    build then adds its capacity and one rival to its district for the next pick. A station's
    expected volume is the larger of its capacity share of the district's forecast demand and
    the demand the district leaves unserved, never above its capacity; its price is
    :func:`retail_price_cny_per_kg` at the levelised cost of that volume (at least the pricing
    floor's share of capacity), or the market's price when it sells to unserved demand and that
    is higher (buyers with no station pay what the others charge); its NPV
    :func:`station_npv_cny`, with the grants and subsidies of its own district. A build takes
    its volume out of the district's unserved demand.

    Parameters
    ----------
    market : InvestorMarket
        The districts' demand, pipeline and prices; updated in place by each build.
    options : BuildOptions
        What may be built, at what cost and grant.
    costs : NewStationCosts
        Cost, pricing and investment parameters (the marginal cost is that of the hydrogen when
        the station opens).
    offers : LifetimeOffers
        The per-kg subsidies of each district over the life.
    max_builds : int
        Most stations built this year (room in the programme and free slots).

    Returns
    -------
    district : ndarray of int64
        District of each build, in build order.
    option : ndarray of int64
        Index of its capacity option.
    """
    n_d = market.forecast_kg.shape[0]
    n_o = options.capacity_kg_per_12h.shape[0]
    district_out = np.empty(max(max_builds, 0), dtype=np.int64)
    option_out = np.empty(max(max_builds, 0), dtype=np.int64)
    if max_builds <= 0:
        return district_out, option_out
    # A build changes only its own district's capacity and rivals, so the other districts' values
    # are kept from the last pick, not worked out again (the same numbers either way).
    value = np.empty((n_d, n_o))
    # The discount factors of station_npv_cny, worked out once for every candidate.
    rate = costs.discount_rate
    grant_discount = (1.0 + rate) ** costs.lead_years
    discount_by_year = np.empty(offers.uncapped_by_year.shape[1])
    for t in range(discount_by_year.shape[0]):
        discount_by_year[t] = (1.0 + rate) ** (costs.lead_years + t + 1)
    cap_kg = np.empty(n_o)
    for o in range(n_o):
        cap_kg[o] = options.capacity_kg_per_12h[o] * costs.dispensing_days_per_12h_rating * costs.days * costs.availability
    for d in range(n_d):
        for o in range(n_o):
            value[d, o] = _new_station_value(market, d, o, cap_kg[o], options, costs, offers, grant_discount,
                                             discount_by_year)
    built = 0
    for _ in range(max_builds):
        best_d, best_o, best_value = -1, -1, -np.inf
        for d in range(n_d):
            for o in range(n_o):
                if value[d, o] > best_value:
                    best_d, best_o, best_value = d, o, value[d, o]
        if best_d < 0 or best_value <= 0.0:
            break
        district_out[built] = best_d
        option_out[built] = best_o
        built += 1
        share_kg = market.forecast_kg[best_d] * cap_kg[best_o] / (market.capacity_kg[best_d] + cap_kg[best_o])
        taken = max(share_kg, market.unserved_kg[best_d])
        market.unserved_kg[best_d] = max(market.unserved_kg[best_d] - min(taken, cap_kg[best_o]), 0.0)
        market.capacity_kg[best_d] += cap_kg[best_o]
        market.rivals[best_d] += 1
        for o in range(n_o):
            value[best_d, o] = _new_station_value(market, best_d, o, cap_kg[o], options, costs, offers, grant_discount,
                                                  discount_by_year)
    return district_out[:built], option_out[:built]


@njit(cache=True)
def _new_station_value(
    market: InvestorMarket, d: int, o: int, cap_kg: float, options: BuildOptions, costs: NewStationCosts,
    offers: LifetimeOffers, grant_discount: float, discount_by_year: np.ndarray,
) -> float:
    """NPV less the hurdle of one new station of option `o` (`cap_kg` a year) in district `d`."""
    share_kg = market.forecast_kg[d] * cap_kg / (market.capacity_kg[d] + cap_kg)
    unserved_kg = market.unserved_kg[d]
    wanted = share_kg if share_kg > unserved_kg else unserved_kg
    kg = wanted if wanted < cap_kg else cap_kg
    capex = options.capex_cny[o]
    fixed = costs.fixed_opex_share_of_capex * capex
    mc = costs.marginal_cny_per_kg
    floor_kg = costs.pricing_utilisation_floor * cap_kg
    lc = levelised_cost_cny_per_kg(capex, fixed, costs.variable_opex_cny_per_kg, mc - costs.variable_opex_cny_per_kg,
                                   floor_kg if floor_kg > kg else kg, costs.discount_rate, costs.life_years)
    own = retail_price_cny_per_kg(mc, lc - mc, costs.markup_share, costs.fixed_cost_recovery_share,
                                  costs.competition_intensity, float(market.rivals[d]))
    if unserved_kg > share_kg and market.market_price_cny_per_kg > own:
        own = market.market_price_cny_per_kg
    path = OfferPath(offers.caps_cny_per_kg, offers.rates_by_year[d], offers.uncapped_by_year[d])
    npv = _discounted_npv_cny(capex, options.grant_cny[d, o], fixed, mc, own, kg, path, grant_discount,
                              discount_by_year)
    return npv - costs.hurdle_share_of_capex * capex


class ExitRules(NamedTuple):
    """How stations leave and come back (see ``[hydrogen.economics]`` in the defaults file).

    Attributes
    ----------
    mothball_after_loss_years : int
        Full years of operating losses before a station reviews whether to mothball.
    close_after_mothball_years : int
        Years idle before a mothballed station closes for good.
    mothballed_fixed_opex_share : float
        Share of its fixed opex a mothballed station still pays.
    mothball_cost_share_of_capex, reopen_cost_share_of_capex : float
        One-off costs of mothballing and of recommissioning, as shares of capex.
    """

    mothball_after_loss_years: int
    close_after_mothball_years: int
    mothballed_fixed_opex_share: float
    mothball_cost_share_of_capex: float
    reopen_cost_share_of_capex: float


class StationLife(NamedTuple):
    """The arrays of the stations' life events that the yearly review reads and updates in place.

    Attributes
    ----------
    status, opened_year, reopened_year : ndarray
        Status codes, year each opened and last reopened (-1 if never).
    profit_cny : ndarray
        This year's operating profit incl. subsidy.
    loss_years, mothball_years : ndarray
        Consecutive full years of losses, and years spent mothballed.
    """

    status: np.ndarray
    opened_year: np.ndarray
    reopened_year: np.ndarray
    profit_cny: np.ndarray
    loss_years: np.ndarray
    mothball_years: np.ndarray


class ExitRepricing(NamedTuple):
    """How each station's expected margin moves when a rival of its district leaves.

    The margin of :class:`ExitProspects` is worked out at this year's rivals; when a station of
    the district mothballs, those left price against one rival fewer
    (:func:`retail_price_cny_per_kg`) and their margin moves by the change of
    :func:`exit_margin_cny_per_kg`.

    Attributes
    ----------
    marginal_cny_per_kg, fixed_cny_per_kg : ndarray
        Marginal cost and fixed cost per kg each station's own price was formed on this year.
    rivals : ndarray
        Other stations selling in its district this year.
    cap_cny_per_kg : ndarray
        Cap of the level it is enrolled at (``inf`` when not enrolled).
    passed_cny_per_kg : ndarray
        Subsidy per kg it passes on to its price while enrolled (:func:`enrolled_price_cny_per_kg`).
    subsidy_next_cny_per_kg : ndarray
        Subsidy per kg its level still pays next year (0 when none).
    markup_share, fixed_cost_recovery_share, competition_intensity : float
        The pricing rule's parameters (:class:`PricingRule`).
    """

    marginal_cny_per_kg: np.ndarray
    fixed_cny_per_kg: np.ndarray
    rivals: np.ndarray
    cap_cny_per_kg: np.ndarray
    passed_cny_per_kg: np.ndarray
    subsidy_next_cny_per_kg: np.ndarray
    markup_share: float
    fixed_cost_recovery_share: float
    competition_intensity: float


def fixed_margins(n: int) -> ExitRepricing:
    """An :class:`ExitRepricing` under which no exit moves another station's margin (no competition)."""
    zeros = np.zeros(n)
    return ExitRepricing(zeros, zeros, zeros, np.full(n, np.inf), zeros, zeros, 0.0, 0.0, 0.0)


@njit(cache=True)
def exit_margin_cny_per_kg(repricing: ExitRepricing, i: int, rivals: float) -> float:
    """Margin station `i` expects on a kg next year against `rivals` rivals, CNY/kg.

    The better of its own price (:func:`retail_price_cny_per_kg`) and, while its level's subsidy
    still pays next year, its enrolled price (:func:`enrolled_price_cny_per_kg`) plus that
    subsidy, less its marginal cost.
    """
    mc = repricing.marginal_cny_per_kg[i]
    own = retail_price_cny_per_kg(mc, repricing.fixed_cny_per_kg[i], repricing.markup_share,
                                  repricing.fixed_cost_recovery_share, repricing.competition_intensity, rivals)
    margin = own - mc
    s = repricing.subsidy_next_cny_per_kg[i]
    if s > 0.0:
        enrolled = enrolled_price_cny_per_kg(own, repricing.passed_cny_per_kg[i], repricing.cap_cny_per_kg[i])
        if enrolled - mc + s > margin:
            margin = enrolled - mc + s
    return margin


class ExitProspects(NamedTuple):
    """What each station expects of next year, and where its buyers go if it leaves.

    Attributes
    ----------
    district : ndarray of int
        District of each station.
    annual_kg : ndarray
        Volume it expects to sell over a full year (this year's sales over its operating share).
    full_year_kg : ndarray
        What it could dispense in a full year.
    margin_cny_per_kg : ndarray
        Margin it expects on a kg next year (its own price or the capped price plus the subsidy
        still in force, less its marginal cost).
    """

    district: np.ndarray
    annual_kg: np.ndarray
    full_year_kg: np.ndarray
    margin_cny_per_kg: np.ndarray


@njit(cache=True)
def review_stations(
    life: StationLife,
    prospects: ExitProspects,
    finance: StationFinance,
    year: int,
    rules: ExitRules,
    repricing: ExitRepricing,
) -> None:
    """The yearly exit review of every station, in place.

    An operating station counts a year of loss when it lost money in a full year (not the year it
    opened or reopened) and resets the count when it did not. After
    ``rules.mothball_after_loss_years`` such years it looks at its own next year: it mothballs
    when the cash it expects from operating (margin on its expected volume, the subsidy still in
    force, less fixed opex) is worse than standing idle (paying the mothballed share of its fixed
    opex) by more than the one-off cost of mothballing. A mothballed station not scheduled to
    reopen closes after ``rules.close_after_mothball_years`` idle (reopenings:
    :func:`choose_reopenings`). Other statuses are left alone.

    The stations of a district that may leave decide one at a time, the worst prospect first
    (the largest shortfall below that threshold per kg of its full-year capacity, so that of a
    large and a small station losing alike the small one goes and its buyers fill the large one,
    not the other way round; ties by slot): the volume of a station that
    mothballs goes to the stations of its district still operating, in proportion to their
    capacity and never above it (its fleets refuel at the nearest station left), and the next
    one decides on its volume with those buyers. So a district whose stations all lose money
    sheds the weakest until the others cover their costs, instead of all of them leaving
    together on this year's shared volume. The stations left also price against one rival fewer:
    each exit moves their expected margin by the change of :func:`exit_margin_cny_per_kg` from
    this year's rivals to those left (``repricing``; :func:`fixed_margins` for none), so a station
    that would cover its costs once a rival has gone is not sent away with it.
    """
    status, loss_years, mothball_years = life.status, life.loss_years, life.mothball_years
    n = status.shape[0]
    kg = prospects.annual_kg.copy()
    candidate = np.zeros(n, dtype=np.bool_)
    threshold = np.zeros(n)
    for i in range(n):
        if status[i] == OPERATING:
            # The year of opening or reopening is a partial ramp-up year: it does not count towards exit.
            if life.opened_year[i] < year and life.reopened_year[i] < year and life.profit_cny[i] < 0.0:
                loss_years[i] += 1
            elif life.profit_cny[i] >= 0.0:
                loss_years[i] = 0
            if loss_years[i] >= rules.mothball_after_loss_years:
                candidate[i] = True
                idle = -rules.mothballed_fixed_opex_share * finance.fixed_opex_cny_per_year[i]
                threshold[i] = idle - rules.mothball_cost_share_of_capex * finance.capex_cny[i]
        elif status[i] == MOTHBALLED:
            mothball_years[i] += 1
            if mothball_years[i] >= rules.close_after_mothball_years:
                status[i] = CLOSED
    margin = prospects.margin_cny_per_kg.copy()
    gone = np.zeros(n_districts_of(prospects.district), dtype=np.int64)
    while True:
        worst, worst_gap = -1, 0.0
        for i in range(n):
            if candidate[i]:
                cash = margin[i] * kg[i] - finance.fixed_opex_cny_per_year[i]
                gap = (cash - threshold[i]) / max(prospects.full_year_kg[i], 1e-9)
                if gap < worst_gap:
                    worst, worst_gap = i, gap
        if worst < 0:
            break
        status[worst] = MOTHBALLED
        mothball_years[worst] = 0
        candidate[worst] = False
        d = prospects.district[worst]
        _water_fill_by_capacity(kg[worst], d, status, prospects, kg)
        kg[worst] = 0.0
        # Those left price against one rival fewer.
        gone[d] += 1
        for i in range(n):
            if status[i] == OPERATING and prospects.district[i] == d:
                r0 = repricing.rivals[i]
                margin[i] = prospects.margin_cny_per_kg[i] + (exit_margin_cny_per_kg(repricing, i, r0 - gone[d])
                                                               - exit_margin_cny_per_kg(repricing, i, r0))


@njit(cache=True)
def n_districts_of(station_district: np.ndarray) -> int:
    """Number of districts the stations' district indices span (at least 1)."""
    top = 0
    for i in range(station_district.shape[0]):
        if station_district[i] > top:
            top = station_district[i]
    return top + 1


@njit(cache=True)
def _water_fill_by_capacity(amount: float, district: int, status: np.ndarray, prospects: ExitProspects,
                            kg: np.ndarray) -> None:
    """Pass `amount` kg to the operating stations of `district` by capacity, within their room (in place)."""
    members = np.flatnonzero((prospects.district == district) & (status == OPERATING))
    room = np.maximum(prospects.full_year_kg - kg, 0.0)
    _water_fill(amount, members, room, prospects.full_year_kg.copy(), kg)


@njit(cache=True)
def choose_reopenings(
    life: StationLife,
    station_district: np.ndarray,
    unserved_kg_by_district: np.ndarray,
    full_year_kg: np.ndarray,
    margin_cny_per_kg: np.ndarray,
    finance: StationFinance,
    remaining_life_years: np.ndarray,
    rules: ExitRules,
    incumbents: ExitProspects,
    repricing: ExitRepricing,
) -> np.ndarray:
    """Mothballed stations that decide to reopen, greedy by expected cash within each district.

    A mothballed station (not yet closed, idle for at least a year) expects to sell the smaller
    of its full-year capacity and what its district left unserved after the stations reopened
    before it; it reopens when the cash that earns over standing idle, over its remaining life,
    repays the recommissioning cost (``rules.reopen_cost_share_of_capex x capex``), and when the
    district can carry it: every station operating there, priced against one rival more (the
    change of :func:`exit_margin_cny_per_kg`) on the volume it sells now (``incumbents``), still
    expects cash above the level at which it would mothball (:func:`review_stations`). A return
    that would only push a rival out replaces one station by another at two one-off costs, so
    it is not made (the count of firms a market can hold, Bresnahan and Reiss 1991). Candidates
    of a district are taken in order of that cash, best first (ties by slot), so the demand
    that brings one back is not counted again for the next: stations come back one by one as
    demand returns, not together.

    Returns
    -------
    ndarray of int64
        The slots that reopen, in district then decision order.
    """
    status, mothball_years = life.status, life.mothball_years
    fixed, capex = finance.fixed_opex_cny_per_year, finance.capex_cny
    n = status.shape[0]
    left = unserved_kg_by_district.copy()
    out = np.empty(n, dtype=np.int64)
    taken = np.zeros(n, dtype=np.bool_)
    count = 0
    for d in range(left.shape[0]):
        back_in_d = 0
        while left[d] > 0.0:
            best, best_gain, best_q = -1, 0.0, 0.0
            for i in range(n):
                if status[i] != MOTHBALLED or station_district[i] != d or taken[i] or mothball_years[i] < 1:
                    continue
                q = full_year_kg[i] if full_year_kg[i] < left[d] else left[d]
                idle = -rules.mothballed_fixed_opex_share * fixed[i]
                gain = margin_cny_per_kg[i] * q - fixed[i] - idle
                if gain > best_gain:
                    best, best_gain, best_q = i, gain, q
            if best < 0:
                break
            worth = best_gain / capital_recovery_factor(finance.discount_rate, max(remaining_life_years[best], 1.0))
            if worth < rules.reopen_cost_share_of_capex * capex[best]:
                break
            if not _district_carries_one_more(d, back_in_d, status, incumbents, finance, rules, repricing):
                break
            taken[best] = True
            out[count] = best
            count += 1
            back_in_d += 1
            left[d] -= best_q
    return out[:count]


@njit(cache=True)
def _district_carries_one_more(d: int, back: int, status: np.ndarray, incumbents: ExitProspects,
                               finance: StationFinance, rules: ExitRules, repricing: ExitRepricing) -> bool:
    """Whether every station operating in district `d` stays above its mothballing level with one rival more.

    `back` stations of the district have already been chosen to reopen this year.
    """
    operating = 0
    for j in range(status.shape[0]):
        if status[j] == OPERATING and incumbents.district[j] == d:
            operating += 1
    for j in range(status.shape[0]):
        if status[j] != OPERATING or incumbents.district[j] != d:
            continue
        rivals_now = repricing.rivals[j]
        rivals_then = float(operating - 1 + back + 1)
        margin = incumbents.margin_cny_per_kg[j] + (exit_margin_cny_per_kg(repricing, j, rivals_then)
                                                    - exit_margin_cny_per_kg(repricing, j, rivals_now))
        cash = margin * incumbents.annual_kg[j] - finance.fixed_opex_cny_per_year[j]
        floor = (-rules.mothballed_fixed_opex_share * finance.fixed_opex_cny_per_year[j]
                 - rules.mothball_cost_share_of_capex * finance.capex_cny[j])
        if cash < floor:
            return False
    return True


@njit(cache=True)
def operating_shares(status: np.ndarray, completion_day: np.ndarray, opened: np.ndarray, jan1_ordinal: int,
                     days: int) -> np.ndarray:
    """Share of the year each station operates: 1 if operating, from its completion day if it opened this year.

    Parameters
    ----------
    status, completion_day : ndarray
        Station status codes and completion days (proleptic ordinals).
    opened : ndarray of int
        Stations completed this year (operating from their completion day, inclusive).
    jan1_ordinal, days : int
        Ordinal of 1 January of the year and the days of the year.
    """
    out = np.zeros(status.shape[0])
    for i in range(status.shape[0]):
        if status[i] == OPERATING:
            out[i] = 1.0
    for k in range(opened.shape[0]):
        i = opened[k]
        day_of_year = completion_day[i] - jan1_ordinal + 1
        out[i] = (days - day_of_year + 1) / days
    return out


class StationFinance(NamedTuple):
    """Each station's capital and fixed cost, and how capital is recovered.

    Attributes
    ----------
    capex_cny, fixed_opex_cny_per_year : ndarray
        Capital cost (incl. land) and fixed operating cost a year, by station.
    discount_rate, life_years : float
        The capital recovery's rate and economic life.
    """

    capex_cny: np.ndarray
    fixed_opex_cny_per_year: np.ndarray
    discount_rate: float
    life_years: float


class PricingRule(NamedTuple):
    """How a station outside the cap scheme prices (:func:`retail_price_cny_per_kg`).

    Attributes
    ----------
    variable_opex_cny_per_kg : float
        Compression and dispensing cost.
    pricing_utilisation_floor : float
        Least utilisation a station prices on.
    markup_share, fixed_cost_recovery_share, competition_intensity : float
        Margin on the marginal cost, share of the fixed cost recovered without rivals, erosion per rival.
    """

    variable_opex_cny_per_kg: float
    pricing_utilisation_floor: float
    markup_share: float
    fixed_cost_recovery_share: float
    competition_intensity: float


@njit(cache=True)
def station_costs_and_prices(
    purchase_cny_per_kg: np.ndarray,
    full_year_kg: np.ndarray,
    operating_share: np.ndarray,
    expected_kg: np.ndarray,
    finance: StationFinance,
    pricing: PricingRule,
    station_district: np.ndarray,
    n_districts: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each station's marginal cost and own price for the year.

    The price is :func:`retail_price_cny_per_kg` at the levelised cost of the volume expected
    over a full year (the year's expected volume over its operating share; at least the pricing
    floor's share of a full year's capacity), against the other stations selling in its district
    this year (operating share > 0).

    Parameters
    ----------
    purchase_cny_per_kg : ndarray
        What each station pays for a kg at its gate this year (supply route, price and haul).
    full_year_kg, operating_share, expected_kg : ndarray
        What each station could dispense in a full year, the share of the year it operates and
        the volume expected this year at equal prices, kg.
    finance : StationFinance
        Capital, fixed cost and their recovery.
    pricing : PricingRule
        Variable cost and pricing parameters.
    station_district : ndarray of int
        District of each station, in ``[0, n_districts)``.
    n_districts : int
        Number of districts.

    Returns
    -------
    marginal_cny_per_kg, own_price_cny_per_kg, fixed_cny_per_kg : ndarray
        The marginal cost, the own price and the fixed cost per kg the price was formed on
        (``inf`` for a station not operating).
    """
    n = purchase_cny_per_kg.shape[0]
    sellers = np.zeros(n_districts, dtype=np.int64)
    for i in range(n):
        if operating_share[i] > 0:
            sellers[station_district[i]] += 1
    purchase = purchase_cny_per_kg
    vopex = pricing.variable_opex_cny_per_kg
    mc = np.empty(n)
    own = np.empty(n)
    fixed = np.empty(n)
    for i in range(n):
        mc[i] = vopex + purchase[i]
        share = operating_share[i]
        annual_kg = expected_kg[i] / (share if share > 1e-12 else 1e-12) if share > 0 else 0.0
        floor_kg = pricing.pricing_utilisation_floor * full_year_kg[i]
        lc = levelised_cost_cny_per_kg(finance.capex_cny[i], finance.fixed_opex_cny_per_year[i], vopex, purchase[i],
                                       floor_kg if floor_kg > annual_kg else annual_kg, finance.discount_rate,
                                       finance.life_years)
        rivals = sellers[station_district[i]] - 1.0
        fixed[i] = lc - mc[i]
        own[i] = retail_price_cny_per_kg(mc[i], fixed[i], pricing.markup_share, pricing.fixed_cost_recovery_share,
                                         pricing.competition_intensity, rivals)
    return mc, own, fixed


@njit(cache=True)
def station_accounts(
    selling: np.ndarray,
    price_cny_per_kg: np.ndarray,
    marginal_cny_per_kg: np.ndarray,
    kg_sold: np.ndarray,
    subsidy_paid_cny: np.ndarray,
    operating_share: np.ndarray,
    purchase_cny_per_kg: np.ndarray,
    finance: StationFinance,
    variable_opex_cny_per_kg: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each station's operating profit, recorded price and levelised cost of the year's sales.

    Profit is the margin on sales plus the subsidy paid less the fixed opex of the part of the
    year operated (0 when not selling); the price is NaN when not selling; the levelised cost is
    that of the year's sales scaled to a full year (NaN without sales).

    Returns
    -------
    profit_cny, price_cny_per_kg, levelised_cny_per_kg : ndarray
    """
    n = selling.shape[0]
    profit = np.zeros(n)
    price = np.full(n, np.nan)
    lc = np.full(n, np.nan)
    fixed = finance.fixed_opex_cny_per_year
    for i in range(n):
        if not selling[i]:
            continue
        profit[i] = ((price_cny_per_kg[i] - marginal_cny_per_kg[i]) * kg_sold[i] + subsidy_paid_cny[i]
                     - fixed[i] * operating_share[i])
        price[i] = price_cny_per_kg[i]
        share = operating_share[i]
        annual_kg = kg_sold[i] / (share if share > 1e-12 else 1e-12)
        if annual_kg > 0:
            lc[i] = levelised_cost_cny_per_kg(finance.capex_cny[i], fixed[i], variable_opex_cny_per_kg,
                                              purchase_cny_per_kg[i], annual_kg, finance.discount_rate,
                                              finance.life_years)
    return profit, price, lc


@njit(cache=True)
def station_pipeline(
    status: np.ndarray, station_district: np.ndarray, daily_capacity_kg: np.ndarray, days: int, availability: float,
    n_districts: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What investors see of the stations: capacity and count in the pipeline by district, and the empty slots.

    The pipeline is the stations listed, under construction or operating; a station's capacity
    is what it can dispense in a year (``daily capacity x days x availability``), kg.

    Returns
    -------
    capacity_kg_by_district : ndarray of float64, shape (n_districts,)
    stations_by_district : ndarray of int64, shape (n_districts,)
    empty_slots : ndarray of int64
        The empty slots, ascending.
    """
    capacity = np.zeros(n_districts)
    count = np.zeros(n_districts, dtype=np.int64)
    n_empty = 0
    for i in range(status.shape[0]):
        if status[i] == EMPTY:
            n_empty += 1
        elif PLANNED <= status[i] <= OPERATING:
            capacity[station_district[i]] += daily_capacity_kg[i] * days * availability
            count[station_district[i]] += 1
    empty = np.empty(n_empty, dtype=np.int64)
    k = 0
    for i in range(status.shape[0]):
        if status[i] == EMPTY:
            empty[k] = i
            k += 1
    return capacity, count, empty


@njit(cache=True)
def blend_enrolled_prices(enrolled: np.ndarray, in_force_share: np.ndarray, enrolled_price_cny_per_kg: np.ndarray,
                          own_price_cny_per_kg: np.ndarray) -> np.ndarray:
    """The year's price of each station: capped for the part of the year it is enrolled, its own for the rest.

    ``share x enrolled price + (1 - share) x own price`` for an enrolled station (``enrolled == 1``;
    ``in_force_share`` is each station's share of the year its district's scheme is in force),
    its own price otherwise.
    """
    out = np.empty(own_price_cny_per_kg.shape[0])
    for i in range(out.shape[0]):
        if enrolled[i] == 1:
            share = in_force_share[i]
            out[i] = share * enrolled_price_cny_per_kg[i] + (1.0 - share) * own_price_cny_per_kg[i]
        else:
            out[i] = own_price_cny_per_kg[i]
    return out


@njit(cache=True)
def sell_contracted_then_spot(
    demand_kg_by_district: np.ndarray,
    contracted_share: float,
    station_district: np.ndarray,
    capacity_kg: np.ndarray,
    selling: np.ndarray,
    spot_factor: np.ndarray,
    cross_district_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Sales of the year: the contracted share of demand by capacity, then spot kg that answer each station's price.

    The contracted demand stays with the district's selling stations in proportion to capacity
    (:func:`allocate_demand` with weight 1). The spot demand is shared the same way over the room
    left of the stations that serve spot buyers (`spot_factor` > 0: a captive station, selling
    only to its operator's fleets, has 0); each then sells its share times its `spot_factor` (its price against the
    fleets' reference price, to the power -elasticity: spot buyers refuel, and drive their
    fuel-cell vehicles, more where hydrogen is cheaper), never above its room. The unmet demand is
    what the fleets need that no station had room for (the price response is not counted in it).
    No station's price moves another's sales: the spot volume a lower price buys is demand that
    price creates, not a rival's buyers.

    Returns
    -------
    sales_kg : ndarray, shape (n_stations,)
    unmet_kg_by_district : ndarray, shape (n_districts,)
    """
    contracted_weight = np.zeros(selling.shape[0])
    for i in range(selling.shape[0]):
        if selling[i]:
            contracted_weight[i] = 1.0
    contracted_sales, contracted_unmet = allocate_demand(demand_kg_by_district * contracted_share, station_district,
                                                         capacity_kg, contracted_weight, cross_district_share)
    room = capacity_kg - contracted_sales
    spot_weight = np.zeros(selling.shape[0])
    for i in range(selling.shape[0]):
        if selling[i] and spot_factor[i] > 0.0:
            spot_weight[i] = 1.0
    spot_share, spot_unmet = allocate_demand(demand_kg_by_district * (1.0 - contracted_share), station_district,
                                             room, spot_weight, cross_district_share)
    sales = contracted_sales.copy()
    for i in range(selling.shape[0]):
        if selling[i]:
            wanted = spot_share[i] * spot_factor[i]
            sales[i] += wanted if wanted < room[i] else room[i]
    return sales, contracted_unmet + spot_unmet


@njit(cache=True)
def station_descriptions(
    status: np.ndarray,
    capacity_kg_per_12h: np.ndarray,
    station_district: np.ndarray,
    completion_day: np.ndarray,
    opened_year: np.ndarray,
    first_year: int,
    epoch_ordinal: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the results say of each slot: capacity and district (0 and -1 for an empty slot), completion date.

    The completion date is in days since `epoch_ordinal`, NaN unless the station was completed
    inside the horizon (opened in `first_year` or later).

    Returns
    -------
    capacity_kg_per_12h : ndarray of float64
    district : ndarray of int64
    completion_days_since_epoch : ndarray of float64
    """
    n = status.shape[0]
    capacity = np.zeros(n)
    district = np.full(n, -1, dtype=np.int64)
    completion = np.full(n, np.nan)
    for i in range(n):
        if status[i] != EMPTY:
            capacity[i] = capacity_kg_per_12h[i]
            district[i] = station_district[i]
        if completion_day[i] >= 0 and opened_year[i] >= first_year:
            completion[i] = completion_day[i] - epoch_ordinal
    return capacity, district, completion
