"""The hydrogen network of the shipped scenarios: the subsidy identity, the levers' direction, no lockstep.

These run the baseline's hydrogen section (firms, centres, incubators and projects switched off, so
a draw takes milliseconds) with common random numbers: every alternative draws the same stations,
routes, prices and fleet as the baseline, and differs only by its levers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tomli_w
from _hydrogen_helpers import folder_writer

import sim
from sim.policy.policyset import validity_share

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
DRAWS = 16


def _hydrogen_only(path: Path) -> dict:
    """A scenario's hydrogen section, horizon, seed and instrument overrides, with the hydrogen programmes only."""
    scenario = sim.load_scenario(path).scenario
    assert scenario.hydrogen is not None
    return {"horizon": scenario.horizon.model_dump(mode="json"), "ensemble": {"seed": scenario.ensemble.seed},
            "policy": {"in_force": ["hydrogen.*"], "documents": list(scenario.policy.documents)},
            "instruments": scenario.instruments,
            "hydrogen": scenario.hydrogen.model_dump(mode="json", exclude_none=True)}


def _network(write_scenario, base: str, name: str, lever: str = "") -> tuple:
    table = _hydrogen_only(SCENARIOS / base)
    text = f'name = "{name}"\n' + tomli_w.dumps(table) + "\n" + lever
    loaded = sim.load_scenario(write_scenario(f"{name}.toml", text))
    return loaded, sim.run(loaded, draws=DRAWS)


def _operating(rate: float | None = None, cap: float | None = None) -> str:
    lines = ['[instruments."hydrogen.13.operating_subsidy"]']
    if rate is not None:
        lines.append(f"rate_cny_per_kg = {rate}")
    if cap is not None:
        lines.append(f"price_cap_cny_per_kg = {cap}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The baseline and its lever alternatives, each at DRAWS draws with the same seed."""
    write = folder_writer(tmp_path_factory.mktemp("network"))
    out = {"baseline": _network(write, "baseline.toml", "base")}
    for key, lever in {"subsidy_0": _operating(rate=0.0), "subsidy_5": _operating(rate=5.0),
                       "subsidy_15": _operating(rate=15.0), "subsidy_20": _operating(rate=20.0),
                       "cap_25": _operating(cap=25.0), "cap_35": _operating(cap=35.0),
                       "cap_25_subsidy_15": _operating(rate=15.0, cap=25.0),
                       "cap_60_subsidy_30": _operating(rate=30.0, cap=60.0)}.items():
        out[key] = _network(write, "baseline.toml", key, lever)
    return out


def test_operating_subsidy_committed_is_rate_times_enrolled_kg_in_every_draw_year(runs):
    loaded, ds = runs["baseline"]
    program = loaded.policy.get("hydrogen.13.operating_subsidy")
    assert program is not None
    ins = program.instrument
    enrolled_kg = (ds.station_kg_sold * (ds.station_enrolled == 1)).sum("station")
    share = np.array([validity_share(int(y), ins.valid_from, ins.valid_until) for y in ds.year.values])
    expected = ins.rate_cny_per_kg * enrolled_kg * share
    committed = ds.committed.sel(program="hydrogen.13.operating_subsidy")
    np.testing.assert_allclose(committed.values, expected.values, rtol=1e-12, atol=1e-6)
    # The check means something: the subsidy pays in some draws, and not in others.
    paid = committed.sum("year") > 0
    assert 0 < int(paid.sum()) < ds.sizes["draw"]


@pytest.mark.parametrize("lower, higher", [("subsidy_0", "subsidy_5"), ("subsidy_5", "baseline"),
                                           ("baseline", "subsidy_15"), ("subsidy_15", "subsidy_20")])
def test_a_higher_operating_subsidy_never_gives_fewer_stations_or_vehicles(runs, lower, higher):
    # On average over the draws in every year. Within a draw a few draw-years still have fewer
    # (measured over 60 draws, 540 draw-years a step, 0 -> 5 -> 10 -> 15 -> 20: stations 1, 2, 6, 2
    # and vehicles 0, 4, 0, 0; cap 60, 0 -> 5 -> 10 -> 15 -> 20 -> 30: stations 4, 3, 5, 2, 8 and
    # vehicles 0, 1, 3, 5, 0; before the exit order per kg of capacity and reopening only where the
    # district carries one more: 1, 2, 6, 11 and 0, 4, 0, 1; 13, 6, 6, 3, 13 and 0, 4, 2, 6, 0).
    # What is left, traced: a higher subsidy wins more vehicles, whose demand keeps dear stations
    # selling a year or two longer; they raise the market's mean price that adoption reads (45.45
    # -> 45.94), so the fleet two years on is smaller; an enrolled station at capacity passes on a
    # subsidy that wins it no kg, and a higher rate can leave it a little worse off (draw 26).
    low, high = runs[lower][1], runs[higher][1]
    for name in ("stations_operating", "fcv_fleet"):
        gap = high[name] - low[name]
        assert bool((gap.mean("draw") >= -0.2).all()), (name, gap.mean("draw").values)
        assert float((gap < -1e-9).mean()) < 0.05, (name, gap.min("year").values)


@pytest.mark.parametrize("lower, higher", [("cap_25", "baseline"), ("baseline", "cap_35")])
def test_a_lower_cap_never_gives_more_enrolled_stations_or_kg(runs, lower, higher):
    # Stations enrolled: in every draw and year. Kg sold by them: on average in every year. A
    # station enrolled under both caps sells a little more at the lower one (its spot buyers drive
    # more at a lower price: test_a_station_enrolled_under_both_caps_sells_more_at_the_lower_one),
    # so within a draw the kg can be higher where no station dropped out (60 draws, 540
    # draw-years: 0 for 25 against 30 and 2 for 30 against 35 at 10 CNY/kg; at 30 CNY/kg, 12 and 28).
    low, high = runs[lower][1], runs[higher][1]
    assert bool((low.stations_enrolled <= high.stations_enrolled).all())
    assert bool((low.h2_enrolled_kg.mean("draw") <= high.h2_enrolled_kg.mean("draw") + 1e-6).all())


def test_cap_25_with_subsidy_15_differs_from_the_baseline_where_stations_enrol(runs):
    # The subsidy committed differs in exactly the draws where a station enrols under either.
    base, alt = runs["baseline"][1], runs["cap_25_subsidy_15"][1]
    enrolled_somewhere = (base.stations_enrolled + alt.stations_enrolled).sum("year") > 0
    program = "hydrogen.13.operating_subsidy"
    differs = np.abs(alt.committed.sel(program=program) - base.committed.sel(program=program)).sum("year") > 0
    assert bool(enrolled_somewhere.any())
    assert bool((differs == enrolled_somewhere).all())


def _falls_and_recovers(median: np.ndarray, years: list[int]) -> list[tuple[int, int]]:
    """(year it fell to half or less, year it won back half the fall) pairs, all within three years."""
    found = []
    for i in range(len(median)):
        for j in range(i + 1, min(i + 4, len(median))):
            if median[j] <= 0.5 * median[i]:
                for k in range(j + 1, min(i + 4, len(median))):
                    if median[k] - median[j] >= 0.5 * (median[i] - median[j]):
                        found.append((years[j], years[k]))
    return found


def test_falls_and_recoveries_are_found_by_hand():
    assert _falls_and_recovers(np.array([23.0, 7.0, 19.0]), [2027, 2028, 2029]) == [(2028, 2029)]
    assert _falls_and_recovers(np.array([23.0, 12.0, 19.0]), [2027, 2028, 2029]) == []
    assert _falls_and_recovers(np.array([20.0, 10.0, 10.0, 10.0, 20.0]), list(range(2026, 2031))) == []


@pytest.mark.parametrize("name", ["baseline", "cap_60_subsidy_30", "subsidy_20", "cap_25_subsidy_15"])
def test_no_synchronised_cliff_in_the_station_count(runs, name):
    ds = runs[name][1]
    median = ds.stations_operating.median("draw").values
    assert _falls_and_recovers(median, [int(y) for y in ds.year.values]) == []


@pytest.mark.parametrize("scenario", sorted(p.name for p in SCENARIOS.glob("*.toml")))
def test_no_synchronised_cliff_in_a_shipped_scenario(write_scenario, scenario):
    loaded = sim.load_scenario(SCENARIOS / scenario)
    if loaded.scenario.hydrogen is None or not loaded.scenario.hydrogen.enabled:
        pytest.skip("no hydrogen section")
    _, ds = _network(write_scenario, scenario, "shipped_" + scenario.removesuffix(".toml"))
    median = ds.stations_operating.median("draw").values
    assert _falls_and_recovers(median, [int(y) for y in ds.year.values]) == []
