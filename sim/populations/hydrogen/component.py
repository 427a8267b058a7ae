"""The hydrogen component: refuelling stations, the fuel-cell fleet, their claims and outputs.

Each year, in order:

1. investors start new stations where the expected NPV clears the hurdle (grant by tier if the
   station is expected to be completed inside the grant's window, operating subsidy while it is
   valid, expected utilisation), and planned stations due this year start construction;
2. the construction lead time runs as a simpy process (:mod:`sim.core.processes`): stations
   completed this year start operating from their completion day and claim the construction
   grant with that day as the event date (the ledger checks it against the window exactly);
3. the fleet adopts by TCO and coverage and demands hydrogen by district;
4. each station prices from its costs and its district's rivals (or at most the cap when
   enrolling pays better); the contracted share of each district's demand is shared by
   capacity, the rest by capacity and price, and sales = min(demand allocated, capacity);
5. the stations publish their completions and sales (:mod:`sim.policy.facts`); every grant and
   per-kg subsidy to stations in force pays on them (:mod:`sim.policy.kinds`);
6. stations review their losses: mothball after sustained losses, reopen or close.

Policy money is read from the programmes in force by kind and recipient, never by id: every
tiered grant to stations measured on the compressor's capacity, every per-kg subsidy to stations
(priced against together: :func:`~sim.policy.kinds.unit_subsidy.price_cap_offers`), and every
grant per demonstration vehicle. When none is in force, the stations see no such money.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from typing import cast

import numpy as np

from sim.core.component import Component
from sim.core.outputs import VariableSpec
from sim.core.processes import StagedTask, run_staged_tasks
from sim.core.rng import normal_at, uniform_at, uniforms_at
from sim.policy.facts import ClaimBasis, StationCompletions, StationSales, VehicleAdditions
from sim.policy.instrument import eligible_districts
from sim.policy.kinds.tiered_grant import grant_for
from sim.policy.policyset import validity_share
from sim.populations.hydrogen.fleet import Fleet, coverage_by_district
from sim.populations.hydrogen.station_kernels import (
    BuildOptions,
    ExitProspects,
    ExitRepricing,
    ExitRules,
    InvestorMarket,
    LifetimeOffers,
    NewStationCosts,
    PricingRule,
    StationFinance,
    StationLife,
    StationVolumes,
    SubsidyWindow,
    allocate_demand,
    blend_enrolled_prices,
    choose_enrolment,
    choose_new_stations,
    choose_reopenings,
    levelised_costs_cny_per_kg,
    operating_shares,
    retail_prices_cny_per_kg,
    review_stations,
    sell_contracted_then_spot,
    station_accounts,
    station_costs_and_prices,
    station_descriptions,
    station_pipeline,
)
from sim.populations.hydrogen.stations import (
    CLOSED,
    MOTHBALLED,
    OPERATING,
    ORIGIN_EXISTING,
    ORIGIN_INVESTOR,
    ORIGIN_PLAN,
    PLANNED,
    STATUS_NAMES,
    UNDER_CONSTRUCTION,
    Station,
    StationArrays,
    opened_after_start,
    read_stations_csv,
)
from sim.populations.hydrogen.streams import STATION, STATION_2, STATION_DRAWS, STREAMS
from sim.populations.hydrogen.supply import SupplyRoutes

__all__ = ["HydrogenStations", "CAPACITY_MEASURE", "STATUS_LABELS", "n_station_slots"]

#: The station quantity that construction grants are tiered on (published with each completion).
CAPACITY_MEASURE = "compressor_capacity_kg_per_12h"
_DAYS_PER_MONTH = 365.25 / 12.0
# Completion dates are written as CF days since the epoch, which xarray reads back as dates.
_EPOCH_UNITS = "days since 1970-01-01"
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
# Sub-streams of the "station" stream, passed in the year key of time-invariant draws.
_DRAW_CAPACITY, _DRAW_DISTRICT, _DRAW_TRAILER, _DRAW_CAPTIVE = (
    STATION_DRAWS[k] for k in ("capacity", "district", "trailer", "captive"))
_SUB_START, _SUB_LEAD = 0, 1
#: The statuses reported by ``stations_by_status``, and their labels (a planned slot is "listed").
_REPORTED_STATUSES = (PLANNED, UNDER_CONSTRUCTION, OPERATING, MOTHBALLED, CLOSED)
STATUS_LABELS = ("listed", "under_construction", "operating", "mothballed", "closed")


def _csv_rows(section) -> dict | None:
    if section.stations.stations_csv is None:
        return None
    return read_stations_csv(section.stations.stations_csv, section.district_names, list(section.supply.routes))


def n_station_slots(section) -> int:
    """Length of the ``station`` dimension: existing + planned + most investors may build."""
    rows = _csv_rows(section)
    existing = section.stations.existing if rows is None else len(rows["station_id"])
    planned = max(0, section.plan.max_stations - existing) if section.plan.enabled else 0
    invest = section.investment.max_new_stations if section.investment.enabled else 0
    return existing + planned + invest


def _days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def _frozen(x: np.ndarray) -> np.ndarray:
    x.setflags(write=False)
    return x


class _SubsidyOutlook:
    """What the per-kg subsidies to stations of a policy offer: depends on the policy only.

    Computed once a run (see :func:`_subsidy_outlook_of`) and shared by its draws, so the arrays
    are read-only.
    """

    def __init__(self, policy):
        self.policy = policy
        self.subsidies = policy.of_kind("unit_subsidy", "station")
        self._windows: dict[tuple[int, tuple[str, ...], int | None], SubsidyWindow] = {}

    def window(self, year: int, district_names: list[str], n_years: int | None = None) -> SubsidyWindow:
        """What the capped and uncapped per-kg subsidies offer each district from `year` on.

        The years run from `year` for `n_years`, by default to the last year any of them is in
        force (at least one).
        """
        key = (year, tuple(district_names), n_years)
        if key in self._windows:
            return self._windows[key]
        capped = [p.instrument for p in self.subsidies if p.instrument.price_cap_cny_per_kg is not None]
        uncapped = [p.instrument for p in self.subsidies if p.instrument.price_cap_cny_per_kg is None]
        if n_years is None:
            last = max([ins.valid_until.year for ins in capped + uncapped], default=year)
            n_years = max(1, last - year + 1)
        caps = np.array(sorted({ins.price_cap_cny_per_kg for ins in capped}), dtype=np.float64)
        subsidy = np.zeros((len(district_names), caps.size, n_years))
        in_force = np.zeros((len(district_names), n_years))
        flat = np.zeros((len(district_names), n_years))
        for d, name in enumerate(district_names):
            for t in range(n_years):
                for ins in capped:
                    if not _pays_in(ins, name):
                        continue
                    share = validity_share(year + t, ins.valid_from, ins.valid_until)
                    in_force[d, t] = max(in_force[d, t], share)
                    subsidy[d, caps <= ins.price_cap_cny_per_kg, t] += ins.rate_cny_per_kg * share
                for ins in uncapped:
                    if _pays_in(ins, name):
                        flat[d, t] += ins.rate_cny_per_kg * validity_share(year + t, ins.valid_from, ins.valid_until)
        self._windows[key] = SubsidyWindow(_frozen(caps), _frozen(subsidy), _frozen(in_force), _frozen(flat))
        return self._windows[key]

    def lifetime(self, first_year: int, life: int, district_names: list[str]) -> LifetimeOffers:
        """What the subsidies offer a station of each district over its life from `first_year`.

        The caps (ascending), the subsidy earned at each level by year (the rates of the capped
        schemes of the district a price at that cap meets, times each year's share inside their
        windows) and the uncapped rates by year: :meth:`window` over `life` years.
        """
        w = self.window(first_year, district_names, life)
        return LifetimeOffers(w.caps_cny_per_kg, w.subsidy_cny_per_kg, w.uncapped_cny_per_kg)


def _pays_in(instrument, district: str) -> bool:
    """Whether a subsidy to stations pays in `district` (its eligibility names the district, or none)."""
    named = eligible_districts(instrument)
    return named is None or district in named


# The outlook of the policy last run: the draws of a run share its policy object (a frozen
# value), so only the first draw works the outlook out. Kept by identity with the policy held, so
# another run's policy can never be mistaken for it.
_last_outlook: list[_SubsidyOutlook] = []


def _subsidy_outlook_of(policy) -> _SubsidyOutlook:
    if not _last_outlook or _last_outlook[0].policy is not policy:
        _last_outlook[:] = [_SubsidyOutlook(policy)]
    return _last_outlook[0]


class HydrogenStations(Component):
    """Refuelling stations and the fuel-cell fleet under the hydrogen.13 programmes."""

    section = "hydrogen"

    # ---- shapes and checks (scenario only) -------------------------------------------------
    @classmethod
    def check(cls, scenario, policy, source):
        """Check the [hydrogen] section: its station slots and the district weights; one message per problem."""
        from sim.errors import SimError

        problems = []
        h = scenario.hydrogen
        try:
            n_station_slots(h)
        except SimError as exc:
            problems += str(exc).splitlines()
        else:
            rows = _csv_rows(h)
            if rows is not None:
                problems += opened_after_start(rows, str(h.stations.stations_csv), scenario.horizon.first_year)
        if h.fleet.fixed_demand_kg_per_year is None and sum(d.weight for d in h.districts) <= 0:
            problems.append(f"{source}: hydrogen.districts: weights must have a positive sum")
        return problems

    @classmethod
    def claim_bases(cls, scenario) -> list[ClaimBasis]:
        """Station completions (with their capacity), station sales (both by district), vehicles added (paid to firms)."""
        districts = tuple(scenario.hydrogen.district_names)
        return [ClaimBasis(StationCompletions, "station", frozenset({CAPACITY_MEASURE}), districts),
                ClaimBasis(StationSales, "station", districts=districts), ClaimBasis(VehicleAdditions, "fleet_segment")]

    @classmethod
    def coords(cls, scenario, policy):
        """The ``station``, ``district`` and ``segment`` coordinates of the hydrogen section."""
        h = scenario.hydrogen
        return {
            "station": list(range(n_station_slots(h))),
            "district": h.district_names,
            "segment": list(h.fleet.segments),
            "station_status": list(STATUS_LABELS),
            "supply_route": list(h.supply.routes),
        }

    @classmethod
    def variables(cls, scenario, policy):
        """The stations' output variables: counts, sales, prices, costs and subsidies by year and station."""
        y, ys, s = ("year",), ("year", "station"), ("station",)
        nan = float("nan")
        return [
            VariableSpec("stations_operating", y, "stations", "stations operating in the year"),
            VariableSpec("stations_open_to_public", y, "stations",
                         "stations operating in the year that are open to the public (not captive)"),
            VariableSpec("stations_opened", y, "stations", "stations completed (started operating) in the year"),
            VariableSpec("stations_mothballed", y, "stations", "stations mothballed or closed at year end"),
            VariableSpec("stations_reopened", y, "stations", "mothballed stations that sold again in the year"),
            VariableSpec("stations_enrolled", y, "stations",
                         "stations that sold under a price cap of a per-kg subsidy in the year"),
            VariableSpec("h2_enrolled_kg", y, "kg", "hydrogen sold by stations enrolled under a price cap"),
            VariableSpec("station_marginal_cost_min", y, "CNY/kg",
                         "lowest marginal cost (hydrogen delivered, compression, dispensing) of the stations selling "
                         "(NaN if none)", fill=nan),
            VariableSpec("stations_by_status", ("year", "station_status"), "stations",
                         "station slots by status at year end: listed (in the plan or an investor's list, not "
                         "started), under construction, operating, mothballed, closed"),
            VariableSpec("stations_by_district", ("year", "district"), "stations", "stations operating by district"),
            VariableSpec("station_kg_sold", ys, "kg", "hydrogen sold by the station in the year"),
            VariableSpec("station_price", ys, "CNY/kg", "station's retail price, sales-weighted over the year: capped while enrolled, its own price "
                        "for the rest of a year the subsidy only partly covers (NaN if not operating)", fill=nan),
            VariableSpec("station_enrolled", ys, "1", "1 if the station sold under the price cap that year (for the part of the year the subsidy "
                        "was in force)",
                         dtype="int64"),
            VariableSpec("station_profit_cny", ys, "CNY",
                         "operating profit incl. operating subsidy, before capital cost and grant"),
            VariableSpec("levelised_cost_cny_per_kg", ys, "CNY/kg",
                         "levelised cost at the year's throughput (NaN without sales)", fill=nan),
            VariableSpec("station_capacity_kg", s, "kg per 12 hours", "compressor's 12-hour rated capacity"),
            VariableSpec("station_opened_year", s, "year", "year it started operating (-1 if never)",
                         dtype="int64", fill=-1),
            VariableSpec("station_district", s, "index", "district index (-1 for an unused slot)",
                         dtype="int64", fill=-1),
            VariableSpec("station_grant_cny", s, "CNY", "construction grants approved for the station"),
            VariableSpec("station_supply_route", s, "index",
                         "supply route (index into the supply_route coordinate; -1 for an unused slot)",
                         dtype="int64", fill=-1),
            VariableSpec("station_completion_date", s, _EPOCH_UNITS,
                         "day the station was completed and started operating (NaN if not in the horizon or existing "
                         "before it)", fill=nan),
            VariableSpec("h2_sold_kg", y, "kg", "hydrogen sold by all stations"),
            VariableSpec("h2_demand_kg", y, "kg", "hydrogen demanded by the fuel-cell fleet"),
            VariableSpec("unmet_demand_kg", y, "kg", "hydrogen demanded that no station could serve"),
            VariableSpec("h2_price_mean", y, "CNY/kg", "sales-weighted mean retail price (NaN without sales)",
                         fill=nan),
            VariableSpec("fcv_fleet", y, "vehicles", "fuel-cell vehicles at year end"),
            VariableSpec("fcv_fleet_by_segment", ("year", "segment"), "vehicles", "fuel-cell vehicles at year end"),
        ]

    # ---- set-up of one draw -----------------------------------------------------------------
    def __init__(self, model):
        super().__init__(model)
        h = model.scenario.hydrogen
        self.cfg = h
        self.years = model.years
        p = lambda name, v: model.param(f"hydrogen.economics.{name}", v)  # noqa: E731
        e = h.economics
        self.capex_ref_cny = p("capex_ref_cny", e.capex_ref_cny)
        self.land_cny = p("land_cny", e.land_cny)
        self.discount_rate = p("discount_rate", e.discount_rate)
        self.fixed_opex_share = p("fixed_opex_share_of_capex", e.fixed_opex_share_of_capex)
        self.variable_opex = p("variable_opex_cny_per_kg", e.variable_opex_cny_per_kg)
        self.supply = SupplyRoutes(model, h.supply, e.trailer_fixed_cny_per_kg, e.trailer_cny_per_kg_km)
        self.exit_rules = ExitRules(
            e.mothball_after_loss_years, e.close_after_mothball_years,
            p("mothballed_fixed_opex_share", e.mothballed_fixed_opex_share),
            p("mothball_cost_share_of_capex", e.mothball_cost_share_of_capex),
            p("reopen_cost_share_of_capex", e.reopen_cost_share_of_capex))
        self.reopen_lead_months = p("reopen_lead_months", e.reopen_lead_months)
        self.availability = p("availability", e.availability)
        self.markup = p("markup_share", e.markup_share)
        self.recovery_share = p("fixed_cost_recovery_share", e.fixed_cost_recovery_share)
        self.competition = p("competition_intensity", e.competition_intensity)
        self.contracted_share = model.param("hydrogen.fleet.contracted_share", h.fleet.contracted_share)
        self.elasticity = p("price_elasticity", e.price_elasticity)
        inv = h.investment
        self.hurdle_share = model.param("hydrogen.investment.hurdle_share_of_capex", inv.hurdle_share_of_capex)
        self.lead_months = model.param("hydrogen.investment.lead_time_months", inv.lead_time_months)
        self.plan_share = model.param("hydrogen.plan.realisation_share", h.plan.realisation_share)
        self.captive_share = model.param("hydrogen.stations.captive_share", h.stations.captive_share)

        # Programmes by kind and recipient; none in force = no such money.
        policy = model.policy
        self.grants = [p for p in policy.of_kind("tiered_grant", "station") if p.instrument.measure == CAPACITY_MEASURE]
        self.outlook = _subsidy_outlook_of(policy)
        self.subsidies = self.outlook.subsidies
        reward_cny = sum(p.instrument.cap_per_project_cny for p in policy.of_kind("capped_grant")
                         if p.instrument.eligibility.demonstration_vehicles)
        # What each capacity option an investor weighs costs and may be granted, once a draw.
        options = inv.capacity_options_kg_per_12h
        self.option_capacity = np.array(options, dtype=np.float64)
        self.option_capex = np.array([self.capex_cny(c) for c in options], dtype=np.float64)
        self.option_grant_by_programme = [np.array([grant_for(p.instrument, c) for c in options], dtype=np.float64)
                                          for p in self.grants]

        self.names = h.district_names
        w = np.array([d.weight for d in h.districts], dtype=np.float64)
        self.district_weight = w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / len(w))
        self.arrays = StationArrays.empty(n_station_slots(h))
        a = self.arrays
        # Views of the arrays for the kernels (the arrays change in place, never rebound).
        self.finance = StationFinance(a.capex_cny, a.fixed_opex_cny_per_year, self.discount_rate, e.life_years)
        self.pricing = PricingRule(self.variable_opex, e.pricing_utilisation_floor, self.markup, self.recovery_share,
                                   self.competition)
        self.life = StationLife(a.status, a.opened_year, a.reopened_year, a.profit_cny, a.loss_years, a.mothball_years)
        self.agents: dict[int, Station] = {}
        self._place_existing(h)
        self._place_plan(h)
        rows = _csv_rows(h)
        if rows is not None:
            model.claims.name_recipients("station", [str(x) for x in rows["station_id"]])
        self.fleet = Fleet(model, h.fleet, self.district_weight, reward_cny)
        self.price_expectation = model.param("hydrogen.fleet.initial_price_cny_per_kg", h.fleet.initial_price_cny_per_kg)
        # The price spot buyers planned their fuel-cell kilometres at: their volume at a station
        # is its share of their demand times (price / reference) ** -elasticity. Fixed over the
        # draw, so one station's price never moves another's sales (no business stealing).
        self.reference_price = self.price_expectation
        self.unmet_by_district = np.zeros(len(self.names))
        self.ones = np.ones(self.arrays.n_slots)
        self.vehicles_last_year = self.fleet.vehicles
        # Expected yearly growth of station volumes: last year's fleet growth, in [-50%, +50%].
        self.demand_growth = 0.0
        self.investor_builds = 0

    def _u(self, entity: int, year: int, stream: str) -> float:
        m = self.model
        return float(uniform_at(*m.noise_in(year), entity, year, STREAMS[stream]))

    def _set_station(self, slot: int, district: int, capacity_kg_per_12h: float, origin: int, trailer_km: float,
                     route: int = -1) -> Station:
        a, e = self.arrays, self.cfg.economics
        a.district[slot] = district
        a.origin[slot] = origin
        a.capacity_kg_per_12h[slot] = capacity_kg_per_12h
        a.daily_capacity_kg[slot] = capacity_kg_per_12h * e.dispensing_days_per_12h_rating
        a.capex_cny[slot] = self.capex_cny(capacity_kg_per_12h)
        a.fixed_opex_cny_per_year[slot] = self.fixed_opex_share * a.capex_cny[slot]
        at = np.array([slot], dtype=np.int64)
        a.route[slot] = route if route >= 0 else int(self.supply.draw_routes(at)[0])
        a.ex_works_cny_per_kg[slot] = self.supply.ex_works_cny_per_kg[a.route[slot]] * self.supply.station_price_factor(slot)
        if trailer_km < 0.0:
            u = self._u(slot, _DRAW_TRAILER, "station")
            trailer_km = float(self.supply.haul_km(a.route[at], np.array([u]))[0])
        a.trailer_distance_km[slot] = 0.0 if self.supply.on_site[a.route[slot]] else trailer_km
        a.captive[slot] = origin != ORIGIN_INVESTOR and self._u(slot, _DRAW_CAPTIVE, "station") < self.captive_share
        agent = Station(self.model, a, slot)
        self.agents[slot] = agent
        return agent

    def _place_drawn(self, slots: np.ndarray, capacity_kg_per_12h: np.ndarray, origin: int, status: int) -> None:
        """:meth:`_set_station` for many slots at once, each with a drawn district and trailer haul."""
        a, e, m = self.arrays, self.cfg.economics, self.model
        u_district = uniforms_at(*m.noise, slots, _DRAW_DISTRICT, STATION)
        a.district[slots] = np.minimum(np.searchsorted(np.cumsum(self.district_weight), u_district), len(self.names) - 1)
        a.origin[slots] = origin
        a.capacity_kg_per_12h[slots] = capacity_kg_per_12h
        a.daily_capacity_kg[slots] = capacity_kg_per_12h * e.dispensing_days_per_12h_rating
        capex = {c: self.capex_cny(c) for c in set(capacity_kg_per_12h.tolist())}
        a.capex_cny[slots] = [capex[c] for c in capacity_kg_per_12h.tolist()]
        a.fixed_opex_cny_per_year[slots] = self.fixed_opex_share * a.capex_cny[slots]
        a.route[slots] = self.supply.draw_routes(slots)
        a.ex_works_cny_per_kg[slots] = [self.supply.ex_works_cny_per_kg[a.route[slot]] * self.supply.station_price_factor(slot)
                                        for slot in slots.tolist()]
        u_trailer = uniforms_at(*m.noise, slots, _DRAW_TRAILER, STATION)
        a.trailer_distance_km[slots] = self.supply.haul_km(a.route[slots], u_trailer)
        # Investors build for unserved market demand: their stations are public.
        u_captive = uniforms_at(*m.noise, slots, _DRAW_CAPTIVE, STATION)
        a.captive[slots] = (u_captive < self.captive_share) if origin != ORIGIN_INVESTOR else False
        a.status[slots] = status
        for slot in slots.tolist():
            self.agents[slot] = Station(m, a, slot)

    def capex_cny(self, capacity_kg_per_12h: float) -> float:
        """Capital cost of a station by capacity: power-law scaling of the reference plus land, CNY."""
        e = self.cfg.economics
        kg_per_day = capacity_kg_per_12h * e.dispensing_days_per_12h_rating
        return self.capex_ref_cny * (kg_per_day / e.capex_ref_kg_per_day) ** e.capex_scale_exponent + self.land_cny

    def _place_existing(self, h) -> None:
        first = self.years[0]
        rows = _csv_rows(h)
        if rows is None:
            caps = np.asarray(h.stations.existing_capacity_kg_per_12h, dtype=np.float64)
            cum = np.cumsum(h.stations.existing_capacity_weights) / np.sum(h.stations.existing_capacity_weights)
            slots = np.arange(h.stations.existing, dtype=np.int64)
            m = self.model
            u = uniforms_at(*m.noise, slots, _DRAW_CAPACITY, STATION)
            self._place_drawn(slots, caps[np.minimum(np.searchsorted(cum, u), len(caps) - 1)], ORIGIN_EXISTING,
                              OPERATING)
            self.arrays.opened_year[slots] = first - 1
            self.n_existing = h.stations.existing
            return
        index = {n: i for i, n in enumerate(self.names)}
        route_index = {n: i for i, n in enumerate(self.supply.names)}
        routes = rows.get("supply_route", [""] * len(rows["station_id"]))
        access = rows.get("access", [""] * len(rows["station_id"]))
        for slot in range(len(rows["station_id"])):
            st = self._set_station(slot, index[rows["district"][slot]], float(rows["capacity_kg_per_12h"][slot]),
                                   ORIGIN_EXISTING, float(rows["trailer_distance_km"][slot]),
                                   route_index.get(str(routes[slot]), -1))
            if access[slot]:
                self.arrays.captive[slot] = access[slot] == "captive"
            status = rows["status"][slot]
            if status == "under_construction":
                st.status = PLANNED
                self.arrays.planned_start_year[slot] = first
            else:
                st.status = OPERATING if status == "operating" else MOTHBALLED
                opened = int(rows["opened_year"][slot])
                self.arrays.opened_year[slot] = opened if opened >= 0 else first - 1
        self.n_existing = len(rows["station_id"])

    def _place_plan(self, h) -> None:
        """Planned stations: the gap between the existing count and each target, times the realisation share."""
        if not h.plan.enabled:
            return
        first = self.years[0]
        slot, placed = self.n_existing, 0
        slots, starts = [], []
        for year_text, target in sorted(h.plan.stations_by_year.items(), key=lambda kv: int(kv[0])):
            target_year = int(year_text)
            want = int(round(self.plan_share * max(0, target - self.n_existing)))
            # A station due by the target year starts a year ahead (a typical lead time), not
            # before the horizon. One due after the horizon's end stays planned in the run: pulling
            # it into the last year would make a shorter run (a fit's) differ in its own years.
            start = max(first, target_year - 1)
            while placed < want and slot < self.n_existing + max(0, h.plan.max_stations - self.n_existing):
                slots.append(slot)
                starts.append(start)
                slot += 1
                placed += 1
        at = np.array(slots, dtype=np.int64)
        self._place_drawn(at, np.full(at.size, float(h.plan.capacity_kg_per_12h)), ORIGIN_PLAN, PLANNED)
        self.arrays.planned_start_year[at] = starts

    # ---- the year ---------------------------------------------------------------------------
    def step(self, year: int) -> None:
        """Step the stations one year: invest, build, reopen, price and sell, claim the subsidies, review."""
        model, a = self.model, self.arrays
        yi = year - self.years[0]
        rec = model.recorder
        self.demand_growth = min(max(self.fleet.vehicles / max(self.vehicles_last_year, 1e-9) - 1.0, -0.5), 0.5)
        self.vehicles_last_year = self.fleet.vehicles
        starting = self._invest(year) + self._due_plan(year)
        self._construct(year, starting)
        opened = self._complete(year)
        reopened = self._reopen_due(year)

        days = _days_in_year(year)
        started = np.concatenate((opened, reopened)).astype(np.int64)
        start_day = a.completion_day.copy()
        start_day[reopened] = a.reopen_day[reopened]
        op_share = operating_shares(a.status, start_day, started, dt.date(year, 1, 1).toordinal(), days)
        live = a.status == OPERATING
        full_year_kg = a.daily_capacity_kg * days * self.availability
        capacity_kg = full_year_kg * op_share

        n_by_district = np.bincount(a.district[live], weights=op_share[live], minlength=len(self.names))
        coverage = coverage_by_district(n_by_district, self.cfg.fleet.stations_for_full_coverage,
                                        self.cfg.fleet.cross_district_coverage)
        demand, added = self.fleet.step(year, coverage, self.price_expectation)
        if self.cfg.fleet.fixed_demand_kg_per_year is not None:
            fixed = self.cfg.fleet.fixed_demand_kg_per_year
            demand = np.array([fixed.get(n, 0.0) for n in self.names])

        cross = self.fleet.cross_supply_share
        purchase = self.supply.delivered_cny_per_kg(a.route, a.ex_works_cny_per_kg, a.trailer_distance_km, yi)
        expected, _ = allocate_demand(demand, a.district, capacity_kg, self.ones, cross)
        mc, own, fixed_per_kg = station_costs_and_prices(purchase, full_year_kg, op_share, expected, self.finance, self.pricing,
                                           a.district, len(self.names))
        selling = op_share > 0
        window = self.outlook.window(year, self.names)
        committed = a.enrolled.copy()
        price_enrolled = np.full(a.n_slots, np.nan)
        enrolled = np.zeros(a.n_slots, dtype=np.int64)
        # A station weighs enrolment over the years its district's schemes still run: the
        # concession on its contracted kg against the subsidy and the spot kg the capped price wins.
        volumes = StationVolumes(expected * self.contracted_share, expected * (1.0 - self.contracted_share),
                                 capacity_kg, self.reference_price, self.elasticity, self.demand_growth,
                                 self.discount_rate)
        choose_enrolment(own, mc, committed, a.district, volumes, window, price_enrolled, enrolled)
        enrolled[~selling] = 0
        price = blend_enrolled_prices(enrolled, window.in_force_share[a.district, 0], price_enrolled, own)
        # Contracted demand stays with the district's stations by capacity, whatever their prices;
        # the spot volume answers each station's own price against the fleets' reference. The
        # power stays NumPy's: a kernel's own power function need not round the same way.
        factor = np.where(selling & ~a.captive, (price / self.reference_price) ** (-self.elasticity), 0.0)
        sales, unmet = sell_contracted_then_spot(demand, self.contracted_share, a.district, capacity_kg, selling, factor,
                                                 cross)

        subsidy_paid = np.zeros(a.n_slots)
        sellers = np.flatnonzero(sales > 0.0)
        for payment in model.claims.file(StationSales("station", sellers, sales[sellers], price_enrolled[sellers],
                                                      enrolled[sellers] == 1,
                                                      np.array(self.names, dtype=object)[a.district[sellers]]), year):
            subsidy_paid[payment.ids] += payment.approved_cny
        if added.sum() > 0:
            model.claims.file(VehicleAdditions("fleet_segment", np.arange(added.size), added), year)

        profit, a.price_cny_per_kg[:], actual_lc = station_accounts(
            selling, price, mc, sales, subsidy_paid, op_share, purchase, self.finance, self.variable_opex)
        a.kg_sold[:] = sales
        a.enrolled[:] = enrolled
        a.profit_cny[:] = profit

        sold = float(sales.sum())
        revenue = float((price[selling] * sales[selling]).sum())
        rec["stations_operating"][yi] = int(selling.sum())
        rec["stations_open_to_public"][yi] = int((selling & ~a.captive).sum())
        rec["stations_opened"][yi] = opened.size
        rec["stations_reopened"][yi] = reopened.size
        rec["stations_enrolled"][yi] = int(enrolled.sum())
        rec["h2_enrolled_kg"][yi] = float(sales[enrolled == 1].sum())
        rec["station_marginal_cost_min"][yi] = float(mc[selling].min()) if selling.any() else np.nan
        rec["stations_by_district"][yi] = np.bincount(a.district[selling], minlength=len(self.names))
        rec["station_kg_sold"][yi] = sales
        rec["station_price"][yi] = a.price_cny_per_kg
        rec["station_enrolled"][yi] = enrolled
        rec["station_profit_cny"][yi] = profit
        rec["levelised_cost_cny_per_kg"][yi] = actual_lc
        rec["h2_sold_kg"][yi] = sold
        rec["h2_demand_kg"][yi] = float(demand.sum())
        rec["unmet_demand_kg"][yi] = float(unmet.sum())
        rec["h2_price_mean"][yi] = revenue / sold if sold > 0 else np.nan
        rec["fcv_fleet"][yi] = self.fleet.vehicles
        rec["fcv_fleet_by_segment"][yi] = self.fleet.stock.sum(axis=1)

        # Expectations for next year, and the exit review.
        if sold > 0:
            self.price_expectation = revenue / sold
        self.unmet_by_district = unmet
        self._review(year, (own, mc, fixed_per_kg), (price_enrolled, enrolled, window), sales, op_share, full_year_kg,
                     unmet)
        by_status = np.bincount(a.status, minlength=len(STATUS_NAMES))
        rec["stations_mothballed"][yi] = int(by_status[MOTHBALLED] + by_status[CLOSED])
        rec["stations_by_status"][yi] = by_status[list(_REPORTED_STATUSES)]
        rec["station_capacity_kg"], rec["station_district"], rec["station_completion_date"] = station_descriptions(
            a.status, a.capacity_kg_per_12h, a.district, a.completion_day, a.opened_year, self.years[0], _EPOCH_ORDINAL)
        rec["station_opened_year"] = a.opened_year
        rec["station_grant_cny"] = a.grant_cny
        rec["station_supply_route"] = np.where(a.status != 0, a.route, -1)

    def _reopen_due(self, year: int) -> np.ndarray:
        """Mothballed stations whose recommissioning ends this year sell again from that day; their slots."""
        a = self.arrays
        jan1, next_jan1 = dt.date(year, 1, 1).toordinal(), dt.date(year + 1, 1, 1).toordinal()
        due = np.flatnonzero((a.status == MOTHBALLED) & (a.reopen_day >= jan1) & (a.reopen_day < next_jan1))
        a.status[due] = OPERATING
        a.reopened_year[due] = year
        a.loss_years[due] = 0
        a.mothball_years[due] = 0
        return due

    def _review(self, year: int, costs: tuple[np.ndarray, np.ndarray, np.ndarray],
                enrolment: tuple[np.ndarray, np.ndarray, SubsidyWindow], sales: np.ndarray, op_share: np.ndarray,
                full_year_kg: np.ndarray, unmet: np.ndarray) -> None:
        """The year-end review: exits on each station's own prospects, then reopenings on unserved demand.

        `costs` are each station's own price, marginal cost and fixed cost per kg of the year;
        `enrolment` its enrolled price, enrolment and this year's window of offers.
        """
        own, mc, fixed_per_kg = costs
        price_enrolled, enrolled, window = enrolment
        yi = year - self.years[0]
        a, e = self.arrays, self.cfg.economics
        # Next year's margin: the better of its own price and, while its district's scheme still
        # pays next year, the capped price plus that subsidy.
        following = self.outlook.window(year + 1, self.names)
        levels = following.caps_cny_per_kg
        subsidy_next = np.zeros(a.n_slots)
        cap = np.full(a.n_slots, np.inf)
        passed = np.zeros(a.n_slots)
        if levels.size:
            # The level it is enrolled at: the lowest cap its enrolled price meets.
            level = np.minimum(np.searchsorted(levels, np.where(enrolled == 1, price_enrolled, np.inf) - 1e-9),
                               levels.size - 1)
            subsidy_next = np.where(enrolled == 1, following.subsidy_cny_per_kg[a.district, level, 0], 0.0)
            cap = np.where(enrolled == 1, levels[level], np.inf)
            share_now = window.in_force_share[a.district, 0]
            passed = np.where((enrolled == 1) & (share_now > 0),
                              window.subsidy_cny_per_kg[a.district, level, 0] / np.maximum(share_now, 1e-12), 0.0)
        margin_next = np.maximum(own - mc, np.where(subsidy_next > 0, price_enrolled - mc + subsidy_next, -np.inf))
        annual_kg = np.where(op_share > 0, sales / np.maximum(op_share, 1e-12), 0.0)
        # Stations left by an exit price against one rival fewer (those selling this year, less one).
        rivals = np.bincount(a.district[op_share > 0], minlength=len(self.names))[a.district] - 1.0
        repricing = ExitRepricing(mc, fixed_per_kg, rivals, cap, passed, subsidy_next, self.markup,
                                  self.recovery_share, self.competition)
        prospects = ExitProspects(a.district, annual_kg, full_year_kg, margin_next)
        review_stations(self.life, prospects, self.finance, year, self.exit_rules, repricing)
        # A mothballed station expects to charge what it would price at its pricing floor against
        # the stations selling in its district (its own rule, as it will price once back), never
        # more than the market's price, less its own marginal cost of next year.
        purchase_next = self.supply.delivered_cny_per_kg(a.route, a.ex_works_cny_per_kg, a.trailer_distance_km, yi + 1)
        mc_next = purchase_next + self.variable_opex
        floor_kg = e.pricing_utilisation_floor * full_year_kg
        lc_floor = levelised_costs_cny_per_kg(a.capex_cny, a.fixed_opex_cny_per_year, self.variable_opex, purchase_next,
                                              floor_kg, self.discount_rate, e.life_years)
        sellers = np.bincount(a.district[a.status == OPERATING], minlength=len(self.names))
        own_back = retail_prices_cny_per_kg(mc_next, lc_floor, self.markup, self.recovery_share, self.competition,
                                            sellers[a.district].astype(np.float64))
        margin_reopen = np.minimum(own_back, self.price_expectation) - mc_next
        remaining = e.life_years - (year - np.maximum(a.opened_year, self.years[0] - 1)).astype(np.float64)
        back = choose_reopenings(self.life, a.district, unmet, full_year_kg, margin_reopen, self.finance, remaining,
                                 self.exit_rules, prospects, repricing)
        if back.size:
            lead_days = self.reopen_lead_months * _DAYS_PER_MONTH
            a.reopen_day[back] = dt.date(year + 1, 1, 1).toordinal() + int(round(lead_days))

    def _due_plan(self, year: int) -> list[int]:
        a = self.arrays
        return [int(i) for i in np.flatnonzero((a.status == PLANNED) & (a.planned_start_year == year))]

    def _construct(self, year: int, slots: list[int]) -> None:
        """Start construction of `slots` on a day of `year`; the simpy process dates the completion."""
        if not slots:
            return
        days = _days_in_year(year)
        sigma = self.cfg.investment.lead_time_sigma
        tasks = []
        for slot in slots:
            start = dt.date(year, 1, 1) + dt.timedelta(days=int(self._u(slot * 2 + _SUB_START, year, "station_2") * days))
            z = float(normal_at(*self.model.noise_in(year), slot * 2 + _SUB_LEAD, year, STATION_2))
            lead_days = self.lead_months * _DAYS_PER_MONTH * math.exp(sigma * z)
            self.agents[slot].begin_construction(start)
            tasks.append(StagedTask(slot, start, (lead_days,)))
        for slot, ends in run_staged_tasks(tasks).items():
            self.agents[slot].schedule_completion(cast(dt.date, ends[0]))  # no `until`: every stage ends

    def _complete(self, year: int) -> np.ndarray:
        """Stations whose construction ends this year start operating and claim the grant.

        Returns their slots, ascending (:meth:`StationArrays.complete_due`).
        """
        a = self.arrays
        opened = a.complete_due(year)
        if opened.size:
            slots = opened.astype(np.int64)
            dates = [dt.date.fromordinal(day) for day in a.completion_day[slots].tolist()]
            for payment in self.model.claims.file(StationCompletions(
                    "station", slots, dates, {CAPACITY_MEASURE: a.capacity_kg_per_12h[slots].astype(np.float64)},
                    np.array(self.names, dtype=object)[a.district[slots]]), year):
                a.grant_cny[payment.ids] += payment.approved_cny
        return opened

    def _invest(self, year: int) -> list[int]:
        """Investors' new stations this year, greedy by NPV over districts and capacity options."""
        inv, e = self.cfg.investment, self.cfg.economics
        a = self.arrays
        if not inv.enabled:
            return []
        room = min(inv.max_new_per_year, inv.max_new_stations - self.investor_builds)
        if room <= 0:
            return []
        days = _days_in_year(year)
        # Expected demand two years out: today's fleet use grown at last year's fleet growth.
        growth = 1.0 + max(self.demand_growth, 0.0)
        base = (self.fleet.stock * self.fleet.kg_per_vehicle_year[:, None]).sum(axis=0)
        if self.cfg.fleet.fixed_demand_kg_per_year is not None:
            base = np.array([self.cfg.fleet.fixed_demand_kg_per_year.get(n, 0.0) for n in self.names])
            growth = 1.0
        forecast = base * growth**2
        cap_by_district, rivals, free = station_pipeline(a.status, a.district, a.daily_capacity_kg, days,
                                                         self.availability, len(self.names))
        lead_years = max(1, int(round(self.lead_months / 12.0)))
        # Demand left unserved last year, grown to the opening, less what stations already
        # listed or being built will dispense.
        coming = (a.status == PLANNED) | (a.status == UNDER_CONSTRUCTION)
        coming_kg = np.bincount(a.district[coming], weights=a.daily_capacity_kg[coming] * days * self.availability,
                                minlength=len(self.names))
        unserved = np.maximum(self.unmet_by_district * growth**lead_years - coming_kg, 0.0)
        offers = self.outlook.lifetime(year + lead_years, e.life_years, self.names)
        expected_completion = dt.date(year, 7, 1) + dt.timedelta(days=self.lead_months * _DAYS_PER_MONTH)
        mc = self.variable_opex + self.supply.expected_delivered_cny_per_kg(year - self.years[0] + lead_years)
        # The grant each option expects in each district: the grants of that district whose window
        # holds the expected completion, summed in programme order (as `sum` over them would).
        option_grant = np.zeros((len(self.names), len(self.option_capacity)))
        for k, p in enumerate(self.grants):
            if p.instrument.valid_from <= expected_completion <= p.instrument.valid_until:
                for d, name in enumerate(self.names):
                    if _pays_in(p.instrument, name):
                        option_grant[d] += self.option_grant_by_programme[k]
        market = InvestorMarket(forecast, cap_by_district, rivals, unserved, self.price_expectation)
        costs = NewStationCosts(e.dispensing_days_per_12h_rating, days, self.availability, self.fixed_opex_share,
                                self.variable_opex, mc, e.pricing_utilisation_floor, self.discount_rate,
                                float(e.life_years), self.markup, self.recovery_share, self.competition,
                                self.hurdle_share, lead_years)
        districts, options = choose_new_stations(
            market, BuildOptions(self.option_capacity, self.option_capex, option_grant), costs, offers,
            min(room, free.size))
        # Each build takes the first slot still empty, as `free_slot` would one build at a time.
        built = [int(slot) for slot in free[:districts.size]]
        for slot, d, o in zip(built, districts.tolist(), options.tolist(), strict=True):
            self._set_station(slot, d, inv.capacity_options_kg_per_12h[o], ORIGIN_INVESTOR, -1.0).status = PLANNED
            self.investor_builds += 1
        return built
