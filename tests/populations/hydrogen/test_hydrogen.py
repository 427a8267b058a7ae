"""The hydrogen component end to end: a hand-checked case, the subsidy identity, the grant window."""


import numpy as np
import pytest
from _hydrogen_helpers import HAND_STATION_COSTS

import sim
from sim.policy.policyset import validity_share

HAND = """
name = "h2_hand"
[horizon]
first_year = 2024
last_year = 2025
[ensemble]
draws = 1
seed = 1
[policy]
in_force = ["hydrogen.13.*"]
{extra}
[hydrogen]
districts = [{{ name = "A", weight = 1.0 }}, {{ name = "B", weight = 0.0 }}]
[hydrogen.stations]
existing = {existing}
existing_capacity_kg_per_12h = [500.0]
existing_capacity_weights = [1.0]
""" + HAND_STATION_COSTS + """[hydrogen.plan]
enabled = {plan}
stations_by_year = {{ "2027" = 3 }}
realisation_share = 1.0
[hydrogen.fleet]
adoption = false
retirement = false
willingness_over_parity = 10.0
initial_price_cny_per_kg = 40.0
cross_district_supply_share = 0.0
demonstration_by_year = {{}}
fixed_demand_kg_per_year = {{ A = 800_000 }}
"""


MINIMAL_H2 = """
extends = "@minimal"
name = "minimal_h2"
[hydrogen]
enabled = true
[hydrogen.investment]
max_new_stations = 10
"""


@pytest.fixture
def minimal(write_scenario):
    """The minimal scenario with the hydrogen stations and fleet at their calibrated defaults."""
    return sim.load_scenario(write_scenario("minimal_h2.toml", MINIMAL_H2))


def _run(write_scenario, name="h.toml", extra="", existing=2, plan="false", **over):
    text = HAND.format(extra=extra, existing=existing, plan=plan)
    for k, v in over.items():
        text = text.replace(k, v)
    return sim.run(write_scenario(name, text))


def test_hand_checked_case(write_scenario):
    ds = _run(write_scenario)
    ds0 = ds.isel(draw=0)
    # Two 500 kg/12h stations in A: 500 * 2 * 366 = 366,000 kg in 2024 each, demand 800,000: both full.
    assert ds0.station_kg_sold.sel(year=2024).values == pytest.approx([366_000.0, 366_000.0])
    assert float(ds0.unmet_demand_kg.sel(year=2024)) == pytest.approx(800_000 - 732_000)
    assert ds0.station_kg_sold.sel(year=2025).values == pytest.approx([365_000.0, 365_000.0])
    # Own price: 10 M / 15 y / 366,000 kg + 5 + 20 = 26.82; enrolled, it passes the 10 CNY/kg on:
    # 16.82 < 30, its own margin of 1.82 kept (both sell their capacity either way: gain 0, enrols).
    own_2024 = 10e6 / 15 / 366_000 + 25.0
    price_2024 = own_2024 - 10.0
    assert ds0.station_price.sel(year=2024).values == pytest.approx([price_2024] * 2)
    assert ds0.station_enrolled.sel(year=2024).values.tolist() == [1, 1]
    assert float(ds0.h2_price_mean.sel(year=2024)) == pytest.approx(price_2024)
    # Subsidy: full year 2024; 2025 only up to 10 August (222 of 365 days).
    op = ds0.committed.sel(program="hydrogen.13.operating_subsidy")
    assert float(op.sel(year=2024)) == pytest.approx(10.0 * 732_000)
    assert float(op.sel(year=2025)) == pytest.approx(10.0 * 730_000 * 222 / 365)
    # Profit: (price - 25) * kg + subsidy, no fixed opex: its own margin, (26.82 - 25) * kg.
    assert ds0.station_profit_cny.sel(year=2024).values == pytest.approx(
        [(price_2024 - 25.0) * 366_000 + 3_660_000] * 2)
    assert ds0.station_profit_cny.sel(year=2024).values == pytest.approx([(own_2024 - 25.0) * 366_000] * 2)
    assert ds0.station_opened_year.values.tolist() == [2023, 2023]
    assert ds0.station_capacity_kg.values.tolist() == [500.0, 500.0]


def test_five_real_stations_in_one_district_all_run_on_the_station_dimension(write_scenario):
    # Five 500 kg/12h stations in A from a CSV; ids "A" (a district name) and "M1" (a firm id of
    # the firms CSV) are station ids like any other. 5 x 366,000 kg of room in 2024 against
    # demand 800,000: equal prices and capacities, so 160,000 kg each, nothing unmet (all public).
    write_scenario("stations.csv", "station_id,district,capacity_kg_per_12h,status\n"
                   + "".join(f"{sid},A,500,operating\n" for sid in ("A", "M1", "S3", "S4", "S5")))
    write_scenario("firms.csv", "firm_id,sector,revenue_cny,age_years\nM1,hydrogen,5000000,3\nA,hydrogen,5000000,3\n")
    ds = _run(write_scenario, extra='[firms]\nsource = "csv"\ncsv = "firms.csv"',
              **{"existing_capacity_weights = [1.0]": 'existing_capacity_weights = [1.0]\nstations_csv = "stations.csv"\ncaptive_share = 0.0'})
    ds0 = ds.isel(draw=0)
    assert ds.sizes["station"] == 5
    assert ds0.station_district.values.tolist() == [0] * 5
    assert ds0.station_capacity_kg.values.tolist() == [500.0] * 5
    assert ds0.station_opened_year.values.tolist() == [2023] * 5
    assert ds0.stations_by_district.sel(year=2024).values.tolist() == [5, 0]
    assert ds0.station_kg_sold.sel(year=2024).values == pytest.approx([160_000.0] * 5)
    assert float(ds0.unmet_demand_kg.sel(year=2024)) == pytest.approx(0.0)
    assert int(ds0.firms_alive.sel(year=2024).sum()) == 2


def test_no_subsidy_programme_means_no_enrolment_and_own_pricing(write_scenario):
    ds = _run(write_scenario, extra='[instruments."hydrogen.13.operating_subsidy"]\nenabled = false')
    assert int(ds.station_enrolled.sum()) == 0
    assert "hydrogen.13.operating_subsidy" not in ds.program.values


def test_a_cap_below_the_own_price_makes_stations_choose(write_scenario):
    # Cap 26: own price 26.82 is above it, but 26.82 - 10 = 16.82 is not: enrolled at 16.82.
    ds = _run(write_scenario, extra='[instruments."hydrogen.13.operating_subsidy"]\nprice_cap_cny_per_kg = 26.0')
    own = 10e6 / 15 / 366_000 + 25.0
    assert ds.station_price.isel(draw=0).sel(year=2024).values == pytest.approx([own - 10.0] * 2)
    assert ds.station_enrolled.isel(draw=0).sel(year=2024).values.tolist() == [1, 1]
    # Cap 15: enrolled margin 15 + 10 - 25 = 0 < 1.82 on the same (full) volume: they stay out.
    ds = _run(write_scenario, "c15.toml",
              extra='[instruments."hydrogen.13.operating_subsidy"]\nprice_cap_cny_per_kg = 15.0')
    assert ds.station_price.isel(draw=0).sel(year=2024).values == pytest.approx([own] * 2)
    assert ds.station_enrolled.isel(draw=0).sel(year=2024).values.tolist() == [0, 0]


def test_planned_stations_after_the_window_get_no_grant_but_do_when_extended(write_scenario):
    horizon = {"last_year = 2025": "last_year = 2028"}
    base = _run(write_scenario, "a.toml", existing=0, plan="true", **horizon)
    grant = base.committed.sel(program="hydrogen.13.construction_grant")
    assert int(base.stations_opened.sum()) == 3
    assert float(grant.sum()) == 0.0
    extended = _run(write_scenario, "b.toml", existing=0, plan="true",
                    extra='[instruments."hydrogen.13.construction_grant"]\nvalid_until = 2030-12-31', **horizon)
    grant = extended.committed.sel(program="hydrogen.13.construction_grant")
    # Capacity 1,000 kg/12h (the plan's default): the top tier, 5,000,000, each.
    assert float(grant.sum()) == pytest.approx(3 * 5_000_000.0)


def test_a_shorter_horizon_gives_the_same_years_a_plan_station_due_later_stays_planned(write_scenario):
    # The plan's 2027 stations start in 2026. A run to 2025 (as a fit runs to its last target) must
    # not pull them into 2025: its years must equal those of the longer run.
    short = _run(write_scenario, "short.toml", existing=1, plan="true")
    long = _run(write_scenario, "long.toml", existing=1, plan="true", **{"last_year = 2025": "last_year = 2028"})
    assert int(short.stations_opened.sum()) == 0
    assert int(long.stations_opened.sum()) == 2  # the target's 3 less the existing one
    for name in ("stations_operating", "h2_sold_kg", "committed"):
        np.testing.assert_array_equal(short[name].values, long[name].sel(year=[2024, 2025]).values, err_msg=name)


def test_operating_subsidy_identity_every_draw_and_year(minimal):
    ds = sim.run(minimal)
    program = minimal.policy.get("hydrogen.13.operating_subsidy")
    ins = program.instrument
    kg_enrolled = (ds.station_kg_sold * ds.station_enrolled).sum("station")
    for year in ds.year.values:
        share = validity_share(int(year), ins.valid_from, ins.valid_until)
        expected = ins.rate_cny_per_kg * share * kg_enrolled.sel(year=year).values
        got = ds.committed.sel(program=ins.id, year=year).values
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-6)


def test_partial_first_and_last_year_of_validity(gazette):
    ins = gazette.instruments["hydrogen.13.operating_subsidy"]
    assert validity_share(2022, ins.valid_from, ins.valid_until) == pytest.approx(143 / 365)
    assert validity_share(2025, ins.valid_from, ins.valid_until) == pytest.approx(222 / 365)
    assert validity_share(2026, ins.valid_from, ins.valid_until) == 0.0


def test_unused_slots_and_shapes(minimal):
    ds = sim.run(minimal, draws=2)
    assert (ds.station_opened_year.values == -1).any()
    for d in range(2):
        never = ds.station_opened_year.values[d] == -1
        assert np.all(ds.station_kg_sold.values[d][:, never] == 0.0)
        assert np.all(np.isnan(ds.station_price.values[d][:, never]))
        assert np.all(ds.station_capacity_kg.values[d][ds.station_district.values[d] == -1] == 0.0)
    assert ds.station_price.attrs["units"] == "CNY/kg"
    assert ds.sizes["district"] == 16


def test_same_seed_same_results_across_workers(minimal):
    a = sim.run(minimal, draws=3, workers=1)
    b = sim.run(minimal, draws=3, workers=2)
    for name in ("station_kg_sold", "fcv_fleet", "h2_price_mean", "committed"):
        np.testing.assert_array_equal(a[name].values, b[name].values)


def test_stations_are_mesa_agents_viewing_the_arrays(minimal):
    from sim.populations.hydrogen.component import HydrogenStations
    from sim.populations.hydrogen.stations import OPERATING, Station
    from sim.runner.model import PolicyModel

    model = PolicyModel(minimal.scenario, minimal.policy, 0)
    comp = next(c for c in model.components if isinstance(c, HydrogenStations))
    agents = list(model.agents_by_type[Station])
    assert len(agents) == len(comp.agents) > 0
    st = agents[0]
    comp.arrays.status[st.index] = OPERATING
    assert st.status_name == "operating"
    st.status = 4
    assert comp.arrays.status[st.index] == 4


def _two_stations_one_cheaper(write_scenario, contracted: float, name: str, captive_share: float = 0.0):
    # Two 500 kg/12h stations in A; station "far" hauls 300 km at 0.1 CNY/kg-km (30 CNY/kg more).
    # Demand 400,000 kg against 2 x 366,000 of room; no operating subsidy; very price-sensitive
    # spot buyers (elasticity 8).
    write_scenario("two.csv", "station_id,district,capacity_kg_per_12h,status,trailer_distance_km\n"
                   "near,A,500,operating,0\nfar,A,500,operating,300\n")
    return _run(write_scenario, name=name, extra='[instruments."hydrogen.13.operating_subsidy"]\nenabled = false',
                **{"existing_capacity_weights = [1.0]": 'existing_capacity_weights = [1.0]\nstations_csv = "two.csv"'
                                                        f"\ncaptive_share = {captive_share}",
                   "trailer_cny_per_kg_km = 0.0": "trailer_cny_per_kg_km = 0.1",
                   "price_elasticity = 0.0": "price_elasticity = 8.0",
                   "A = 800_000": "A = 400_000",
                   "cross_district_supply_share = 0.0": f"cross_district_supply_share = 0.0\ncontracted_share = {contracted}"})


def test_spot_volume_answers_each_stations_own_price_and_takes_no_rivals_buyers(write_scenario):
    # 2024 (366 days): each station's room is 366,000 kg. Prices at cost (floor 1.0): near
    # 10 M / 15 / 366,000 + 25 = 26.82, far 30 more = 56.82; the fleets' reference price is 40.
    price_near = 10e6 / 15 / 366_000 + 25.0
    factor_near, factor_far = (price_near / 40.0) ** -8.0, ((price_near + 30.0) / 40.0) ** -8.0
    ds = _two_stations_one_cheaper(write_scenario, 0.6, "c60.toml").isel(draw=0).sel(year=2024)
    near, far = ds.station_kg_sold.values
    # The contracted 240,000 kg are shared by capacity (120,000 each), whatever the prices; the
    # spot 160,000 too (80,000 each), and each sells its share times its own price factor: near
    # would sell 80,000 x 24.5 and is held to its room (366,000 - 120,000); far sells 80,000 x 0.06.
    assert near == pytest.approx(366_000.0)
    assert far == pytest.approx(120_000.0 + 80_000.0 * factor_far)
    assert factor_near * 80_000.0 > 246_000.0
    # The fleets' need was served (400,000 against 732,000 of room): nothing unmet.
    assert float(ds.unmet_demand_kg) == pytest.approx(0.0, abs=1e-6)
    spot = _two_stations_one_cheaper(write_scenario, 0.0, "c0.toml").isel(draw=0).sel(year=2024)
    # Without contracts, 200,000 each by capacity: the dearer station's buyers are not taken by
    # the cheaper one, they buy less at its price.
    assert spot.station_kg_sold.values == pytest.approx([366_000.0, 200_000.0 * factor_far], rel=1e-9)


def test_captive_stations_sell_only_contracted_kg_and_are_not_open_to_the_public(write_scenario):
    # Both stations captive (share 1): the contracted 240,000 kg are shared by capacity (120,000
    # each); the spot 160,000 kg find no public station in A (nothing travels: cross share 0) and
    # stay unmet. Both operate; none is open to the public.
    ds = _two_stations_one_cheaper(write_scenario, 0.6, "captive.toml", captive_share=1.0).isel(draw=0).sel(year=2024)
    assert ds.station_kg_sold.values == pytest.approx([120_000.0, 120_000.0])
    assert float(ds.unmet_demand_kg) == pytest.approx(160_000.0)
    assert int(ds.stations_operating) == 2 and int(ds.stations_open_to_public) == 0
    public = _two_stations_one_cheaper(write_scenario, 0.6, "public.toml").isel(draw=0).sel(year=2024)
    assert int(public.stations_operating) == 2 and int(public.stations_open_to_public) == 2


def test_the_stations_csv_says_which_station_is_captive(write_scenario):
    # Whatever the share drawn against, the file's access column decides: "near" captive sells
    # only its contracted 120,000 kg; "far" public sells its 120,000 plus its spot share; one of
    # the two is open to the public.
    write_scenario("access.csv", "station_id,district,capacity_kg_per_12h,status,trailer_distance_km,access\n"
                   "near,A,500,operating,0,captive\nfar,A,500,operating,300,public\n")
    ds = _run(write_scenario, name="access.toml", extra='[instruments."hydrogen.13.operating_subsidy"]\nenabled = false',
              **{"existing_capacity_weights = [1.0]": 'existing_capacity_weights = [1.0]\nstations_csv = "access.csv"'
                                                      "\ncaptive_share = 1.0",
                 "trailer_cny_per_kg_km = 0.0": "trailer_cny_per_kg_km = 0.1",
                 "price_elasticity = 0.0": "price_elasticity = 8.0",
                 "A = 800_000": "A = 400_000",
                 "cross_district_supply_share = 0.0": "cross_district_supply_share = 0.0\ncontracted_share = 0.6"})
    year = ds.isel(draw=0).sel(year=2024)
    price_far = 10e6 / 15 / 366_000 + 25.0 + 30.0
    assert year.station_kg_sold.values == pytest.approx([120_000.0, 120_000.0 + 160_000.0 * (price_far / 40.0) ** -8.0])
    assert int(year.stations_operating) == 2 and int(year.stations_open_to_public) == 1


def test_a_stations_csv_with_an_unknown_access_is_refused(write_scenario, capsys):
    write_scenario("bad_access.csv", "station_id,district,capacity_kg_per_12h,status,access\nS1,A,500,operating,private\n")
    path = write_scenario("bad_access.toml", HAND.format(extra="", existing=2, plan="false").replace(
        "existing_capacity_weights = [1.0]", 'existing_capacity_weights = [1.0]\nstations_csv = "bad_access.csv"'))
    from sim.cli import main

    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bad_access.csv" in err and "access" in err and "allowed: public, captive" in err


def test_stations_by_status_counts_every_used_slot(write_scenario):
    ds = _run(write_scenario, name="status.toml", plan="true").isel(draw=0)
    assert list(ds.station_status.values) == ["listed", "under_construction", "operating", "mothballed", "closed"]
    by = ds.stations_by_status
    used = int((ds.station_district >= 0).sum())
    assert (by.sum("station_status") == used).all()
    # Two stations operate from the start; the plan's one more (3 by 2027, from 2 existing) is listed.
    assert int(by.sel(year=2024, station_status="operating")) == 2
    assert int(by.sel(year=2024, station_status="listed")) == 1


def test_removing_the_operating_subsidy_adds_no_stations(write_scenario):
    # With common random numbers, a scenario without the per-kg subsidy must not end up with more
    # stations operating: contracted fleets keep a station's volume when a neighbour enrols.
    base = sim.run(write_scenario("h2_base.toml", MINIMAL_H2))
    off = sim.run(write_scenario("h2_off.toml", MINIMAL_H2.replace('name = "minimal_h2"', 'name = "h2_off"')
                                 + '[instruments."hydrogen.13.operating_subsidy"]\nenabled = false\n'))
    for year in base.year.values:
        assert float(off.stations_operating.sel(year=year).mean()) <= float(base.stations_operating.sel(year=year).mean())


def test_subsidy_outlook_is_worked_out_once_a_run_and_renewed_for_another_policy(scenarios_dir):
    from sim.policy.kinds.unit_subsidy import price_cap_offers
    from sim.populations.hydrogen.component import _subsidy_outlook_of

    base = sim.load_scenario(str(scenarios_dir / "baseline.toml")).policy
    other = sim.load_scenario(str(scenarios_dir / "subsidy_5.toml")).policy
    outlook = _subsidy_outlook_of(base)
    assert _subsidy_outlook_of(base) is outlook
    names = ["Daxing", "Fangshan"]
    window = outlook.window(2023, names)
    assert outlook.window(2023, names) is window  # kept, not worked out again
    # This year's offer of every district is price_cap_offers' rates times the share in force.
    caps, rates, uncapped, share = price_cap_offers(base.of_kind("unit_subsidy", "station"), 1, "Daxing")
    assert np.array_equal(window.caps_cny_per_kg, caps)
    assert np.array_equal(window.subsidy_cny_per_kg[:, :, 0], np.tile(rates * share, (2, 1)))
    assert (window.in_force_share[:, 0] == share).all() and (window.uncapped_cny_per_kg[:, 0] == uncapped).all()
    # 2023 to the subsidy's end in 2025: three years.
    assert window.in_force_share.shape == (2, 3)
    assert not window.subsidy_cny_per_kg.flags.writeable
    assert not outlook.lifetime(2025, 15, names).rates_by_year.flags.writeable
    renewed = _subsidy_outlook_of(other)
    assert renewed is not outlook and renewed.policy is other
    assert _subsidy_outlook_of(base) is not outlook  # a policy seen before is worked out again, never mixed up


def test_a_run_does_not_depend_on_the_run_before_it(scenarios_dir):
    # The outlook shared by a run's draws must not leak into the next run (another policy).
    path = str(scenarios_dir / "baseline.toml")
    first = sim.run(path, draws=2, workers=1)
    sim.run(str(scenarios_dir / "subsidy_5.toml"), draws=1, workers=1)
    again = sim.run(path, draws=2, workers=1)
    for name in ("station_price", "station_kg_sold", "station_grant_cny", "h2_sold_kg", "stations_operating"):
        assert np.array_equal(first[name].values, again[name].values, equal_nan=True), name
