"""The calibrated baseline against what was observed: in sample inside, out of sample mostly inside.

This ties the mechanisms to the observations of ``calibration/observed.toml``: the pump price
formed from costs, the stations that operated, the fleet, the firm population's counts and
revenues, 专精特新 certification and exit by age (in sample, 2022-23), and the 2024 holdouts (the
station survey, little giants after the sixth batch, 专精特新 in September) that no fit has seen.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.analysis.hindcast import coverage_table, hindcast_table
from sim.analysis.observations import load_observations

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"


@pytest.fixture(scope="module")
def table():
    return hindcast_table(sim.run(str(BASELINE), draws=24, seed=20221206), load_observations())


def test_every_2022_calibration_observation_is_inside_the_band(table):
    scored = table[(table["role"] == "calibration") & table["inside"].notna()]
    assert len(scored) >= 12
    assert bool(scored["inside"].astype(bool).all()), scored[~scored["inside"].astype(bool)][["id", "p5", "p95"]]


def test_at_least_80_percent_of_the_holdouts_are_inside(table):
    cov = coverage_table(table).set_index(["role", "year"])
    assert cov.loc[("holdout", "all"), "scored"] >= 5
    assert cov.loc[("holdout", "all"), "coverage"] >= 0.8


def test_the_2022_pump_price_band_holds_the_observed_range(table):
    # The posterior carries the model's own noise (a draw's price moves by several CNY/kg with its
    # stations), so the median is near the observed 55-60, not inside it by construction.
    row = table.set_index("id").loc["h2_pump_price_2022"]
    assert row["p5"] <= 55.0 and row["p95"] >= 60.0
    assert 50.0 <= row["p50"] <= 65.0
