"""Scenario section ``[hydrogen]``: refuelling stations, the fuel-cell fleet and their behaviour.

Every key has a calibrated default in ``sim/populations/hydrogen/hydrogen_defaults.toml`` (with its source);
a scenario writes only what it changes, key by key (tables merge, values and arrays replace)::

    [hydrogen]
    enabled = true

    [hydrogen.plan]
    realisation_share = 0.5          # half of the city plan gets built

    [hydrogen.fleet]
    fixed_demand_kg_per_year = { Daxing = 100_000 }   # deterministic demand, no fleet model

The policy amounts (grant tiers, subsidy rate, price cap, validity) are not here: they come from
the instruments ``hydrogen.13.construction_grant`` and ``hydrogen.13.operating_subsidy``.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.scenario.base import LogSigma, NonNegative, Share, StrictModel, YearTable
from sim.scenario.merge import merge_tables
from sim.scenario.parameters import (
    ChangeParam,
    DiscountRateParam,
    ExponentParam,
    MonthsParam,
    NonNegativeParam,
    PositiveParam,
    PositiveShareParam,
    ShareParam,
    SignedAmountParam,
)

__all__ = [
    "District",
    "StationsConfig",
    "StationEconomics",
    "SupplyRoute",
    "SupplyConfig",
    "MOVED_ECONOMICS_KEYS",
    "InvestmentConfig",
    "PlanConfig",
    "SegmentConfig",
    "FleetConfig",
    "HydrogenSection",
    "hydrogen_defaults",
]

DEFAULTS_FILE = Path(__file__).with_name("hydrogen_defaults.toml")
PositiveInt = Annotated[int, Field(ge=1)]
Count = Annotated[int, Field(ge=0, le=100_000)]


@functools.cache
def hydrogen_defaults() -> dict:
    """The calibrated defaults of the section, as read from ``hydrogen_defaults.toml``."""
    with DEFAULTS_FILE.open("rb") as f:
        return tomllib.load(f)


#: Tables that are values (paths by year or district), replaced whole rather than merged with the
#: defaults: a scenario's plan of {"2027" = 3} must not inherit the default 2023 and 2025 targets.
_REPLACED_TABLES = frozenset({"stations_by_year", "demonstration_by_year", "fixed_demand_kg_per_year"})


class District(StrictModel):
    """A district and its share of the fuel-cell fleet's base."""

    name: str = Field(min_length=1)
    weight: NonNegative


class StationsConfig(StrictModel):
    """Stations operating at the start: synthetic, or read from a CSV file of real stations.

    Attributes
    ----------
    existing : int
        Number of synthetic stations (ignored when `stations_csv` is given).
    existing_capacity_kg_per_12h, existing_capacity_weights : list of float
        Compressor 12-hour ratings of the synthetic stations and their relative frequencies.
    stations_csv : str, optional
        CSV of real stations (columns: see :data:`sim.populations.hydrogen.stations.STATION_COLUMNS`).
    captive_share : Param
        Probability that an existing or planned station is captive: built for a fleet operator's
        own vehicles, it sells only the contracted volume of its district and is not open to the
        public (investors' stations, built for unserved market demand, are public).
    """

    existing: Count
    existing_capacity_kg_per_12h: list[NonNegative] = Field(min_length=1)
    existing_capacity_weights: list[NonNegative] = Field(min_length=1)
    stations_csv: str | None = None
    captive_share: ShareParam = 0.0

    @model_validator(mode="after")
    def _aligned(self):
        if len(self.existing_capacity_kg_per_12h) != len(self.existing_capacity_weights):
            raise ValueError("existing_capacity_kg_per_12h and existing_capacity_weights must have the same length")
        if sum(self.existing_capacity_weights) <= 0:
            raise ValueError("existing_capacity_weights must have a positive sum")
        return self


class StationEconomics(StrictModel):
    """Costs and pricing behaviour of stations (CNY, kg, years); see the defaults file for sources."""

    capex_ref_cny: NonNegativeParam
    capex_ref_kg_per_day: Annotated[float, Field(gt=0.0)]
    capex_scale_exponent: Annotated[float, Field(ge=0.0, le=1.5)]
    land_cny: NonNegativeParam
    life_years: Annotated[int, Field(ge=1, le=60)]
    discount_rate: DiscountRateParam
    fixed_opex_share_of_capex: NonNegativeParam
    variable_opex_cny_per_kg: NonNegativeParam
    trailer_fixed_cny_per_kg: NonNegative
    trailer_cny_per_kg_km: NonNegative
    dispensing_days_per_12h_rating: Annotated[float, Field(gt=0.0)]
    availability: PositiveShareParam
    markup_share: NonNegativeParam
    fixed_cost_recovery_share: ShareParam
    competition_intensity: NonNegativeParam
    pricing_utilisation_floor: Annotated[float, Field(gt=0.0, le=1.0)]
    price_elasticity: ExponentParam
    mothball_after_loss_years: PositiveInt
    close_after_mothball_years: PositiveInt
    mothballed_fixed_opex_share: ShareParam
    mothball_cost_share_of_capex: NonNegativeParam
    reopen_cost_share_of_capex: NonNegativeParam
    reopen_lead_months: MonthsParam

    @model_validator(mode="before")
    @classmethod
    def _moved_keys(cls, data):
        if isinstance(data, dict):
            for key in sorted(set(data) & set(MOVED_ECONOMICS_KEYS)):
                raise ValueError(f"{key} has moved: {MOVED_ECONOMICS_KEYS[key]}")
        return data


#: Keys of ``[hydrogen.economics]`` that moved to ``[hydrogen.supply]``, with what to write instead.
MOVED_ECONOMICS_KEYS = {
    "production_cost_cny_per_kg": "write the price a station pays at the plant per supply route, "
                                  "hydrogen.supply.routes.<route>.ex_works_cny_per_kg",
    "production_cost_change_per_year": "write it per supply route, hydrogen.supply.routes.<route>.change_per_year",
    "trailer_distance_km_low": "write it per supply route, hydrogen.supply.routes.<route>.distance_km_low",
    "trailer_distance_km_high": "write it per supply route, hydrogen.supply.routes.<route>.distance_km_high",
}


class SupplyRoute(StrictModel):
    """One way a station gets its hydrogen: who makes it, at what price, and how it arrives.

    Attributes
    ----------
    weight : float or distribution
        Relative frequency of the route among stations (normalised over the routes).
    ex_works_cny_per_kg : float or distribution
        Price the station pays at the plant (or, on site, its production cost), CNY/kg, at the
        horizon's first year.
    change_per_year : float or distribution
        Yearly relative change of that price.
    delivery : {"tube_trailer", "on_site"}
        Hauled by tube trailer from the plant (``distance_km_low``-``distance_km_high``, drawn
        per station), or made at the station (no haul).
    """

    weight: NonNegativeParam
    ex_works_cny_per_kg: NonNegativeParam
    change_per_year: ChangeParam
    delivery: Literal["tube_trailer", "on_site"]
    distance_km_low: NonNegative = 0.0
    distance_km_high: NonNegative = 0.0
    notes: str = ""

    @model_validator(mode="after")
    def _distance_ordered(self):
        if self.distance_km_high < self.distance_km_low:
            raise ValueError("distance_km_high must be >= distance_km_low")
        if self.delivery == "on_site" and self.distance_km_high > 0.0:
            raise ValueError("an on_site route has no haul: leave distance_km_low and distance_km_high at 0")
        return self


class SupplyConfig(StrictModel):
    """Where stations buy hydrogen: routes with their prices and shares, and each station's own price.

    ``station_price_sigma`` spreads each station's price around its route's (the sd of its log):
    stations of one route sign different contracts with different plants.
    """

    routes: dict[str, SupplyRoute] = Field(min_length=1)
    station_price_sigma: LogSigma


class InvestmentConfig(StrictModel):
    """Investors' new stations: built when the expected NPV clears a hurdle."""

    enabled: bool
    max_new_stations: Count
    max_new_per_year: Count
    capacity_options_kg_per_12h: list[Annotated[float, Field(gt=0.0)]] = Field(min_length=1)
    hurdle_share_of_capex: NonNegativeParam
    lead_time_months: MonthsParam
    lead_time_sigma: LogSigma


class PlanConfig(StrictModel):
    """A planned pipeline: stations operating by target years, of which a share gets built."""

    enabled: bool
    stations_by_year: YearTable[Count]
    capacity_kg_per_12h: Annotated[float, Field(gt=0.0)]
    realisation_share: ShareParam

    @property
    def max_stations(self) -> int:
        """Most stations the plan asks for in any target year."""
        return max(self.stations_by_year.values(), default=0)


class SegmentConfig(StrictModel):
    """A fuel-cell vehicle segment (consumption, use, market, costs against diesel)."""

    kg_per_100km: NonNegativeParam
    km_per_year: NonNegativeParam
    diesel_l_per_100km: NonNegativeParam
    initial_vehicles: NonNegative
    replacement_market_per_year: NonNegativeParam
    max_adoption_share: ShareParam
    tco_scale: PositiveParam
    fcv_premium_cny: SignedAmountParam
    premium_change_per_year: ChangeParam
    diesel_vehicle_cny: NonNegative
    demonstration_share: Share


class FleetConfig(StrictModel):
    """The fuel-cell fleet: adoption by total cost of ownership and coverage, plus demonstrations.

    ``contracted_share`` of each district's demand is bound to its stations by contract (fleets
    refuel at their depot's station): it is shared by capacity, whatever the prices, and only the
    rest goes to the cheaper station. ``adoption = false`` and ``retirement = false`` freeze the fleet at its initial vehicles plus
    demonstrations; ``fixed_demand_kg_per_year`` (kg by district name) replaces the fleet's
    demand altogether, for hand-checked runs.
    """

    adoption: bool
    retirement: bool
    diesel_price_cny_per_l: NonNegativeParam
    willingness_over_parity: NonNegativeParam
    initial_price_cny_per_kg: NonNegativeParam
    vehicle_life_years: Annotated[int, Field(ge=1, le=40)]
    initial_vehicle_ages_years: Annotated[int, Field(ge=1, le=40)]
    contracted_share: ShareParam
    discount_rate: Annotated[float, Field(ge=0.0, lt=1.0)]
    stations_for_full_coverage: Annotated[float, Field(gt=0.0)]
    cross_district_coverage: Share
    cross_district_supply_share: ShareParam
    demonstration_by_year: YearTable[NonNegative]
    demonstration_realisation_share: ShareParam
    segments: dict[str, SegmentConfig] = Field(min_length=1)
    fixed_demand_kg_per_year: dict[str, NonNegative] | None = None


class HydrogenSection(StrictModel):
    """The hydrogen stations and fleet; defaults from ``sim/populations/hydrogen/hydrogen_defaults.toml``."""

    enabled: bool = True
    districts: list[District] = Field(min_length=1)
    stations: StationsConfig
    economics: StationEconomics
    supply: SupplyConfig
    investment: InvestmentConfig
    plan: PlanConfig
    fleet: FleetConfig

    @model_validator(mode="before")
    @classmethod
    def _with_defaults(cls, data):
        if not isinstance(data, dict):
            return data
        return merge_tables(hydrogen_defaults(), data, replaced=_REPLACED_TABLES)

    @model_validator(mode="after")
    def _names(self):
        names = [d.name for d in self.districts]
        if len(set(names)) != len(names):
            raise ValueError("district names must be distinct")
        if self.fleet.fixed_demand_kg_per_year:
            unknown = sorted(set(self.fleet.fixed_demand_kg_per_year) - set(names))
            if unknown:
                raise ValueError(
                    f"fleet.fixed_demand_kg_per_year: unknown district(s) {', '.join(unknown)}; "
                    f"allowed: {', '.join(names)}"
                )
        return self

    @property
    def district_names(self) -> list[str]:
        """District names in the order given."""
        return [d.name for d in self.districts]
