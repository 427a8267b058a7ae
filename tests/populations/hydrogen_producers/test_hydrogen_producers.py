"""Hydrogen producers (the worked example of a population added as one folder): the plants sell a
share of the stations' kg within their capacity, and the per-kg scheme to producers pays on it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


@pytest.fixture(scope="module")
def results():
    return sim.run(SCENARIOS / "hydrogen_producers.toml", draws=3)


def test_plants_sell_within_capacity_and_the_stations_share(results):
    sold = results["producer_kg_sold"]
    years = results["year"].values
    assert list(results["producer"].values) == ["plant_a", "plant_b"]
    # Nothing before each plant's first year; plant_b starts in 2025.
    assert float(sold.sel(year=2022).sum()) == 0.0
    assert float(sold.sel(producer="plant_b", year=slice(2022, 2024)).sum()) == 0.0
    assert float(sold.sel(producer="plant_b", year=2025).min()) > 0.0
    # Within capacity, and never above the largest share of the stations' kg (0.45).
    assert float(sold.sel(producer="plant_a").max()) <= 2_000_000.0
    stations = results["station_kg_sold"].sum("station")
    assert bool((sold.sum("producer") <= 0.45 * stations + 1e-6).all())
    assert float(sold.sel(year=years[years >= 2023]).sum("producer").min()) > 0.0


def test_the_per_kg_scheme_pays_3_cny_a_kg_in_its_window_under_the_plant_cap(results):
    paid = results["producer_subsidy_cny"]
    sold = results["producer_kg_sold"]
    inside = slice(2023, 2025)
    np.testing.assert_allclose(paid.sel(year=inside), np.minimum(3.0 * sold.sel(year=inside), 10_000_000.0),
                               rtol=1e-12)
    assert float(paid.sel(year=slice(2026, None)).sum()) == 0.0
    committed = results["committed"].sel(program="producers.1.supply_subsidy").sum("year")
    np.testing.assert_allclose(committed, paid.sum(["year", "producer"]), rtol=1e-12)


def test_the_baseline_has_no_producers():
    loaded = sim.load_scenario(SCENARIOS / "baseline.toml")
    assert loaded.scenario.hydrogen_producers is None


def test_producers_without_stations_are_refused(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(textwrap.dedent("""
        name = "producers_alone"
        [horizon]
        first_year = 2023
        last_year = 2024
        [hydrogen_producers.plants.p]
        capacity_kg_per_year = 1000
        first_year = 2023
        ex_works_price_cny_per_kg = 25.0
    """), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"hydrogen_producers: the plants sell to the \[hydrogen\] stations; add a "
                                            r"\[hydrogen\] section or switch the producers off"):
        sim.load_scenario(path)
