"""Every drawn parameter that drives the forecast is fitted, sourced, or records what was searched.

``docs/drivers.csv`` lists the drawn parameters whose Morris mu_star exceeds a tenth of the P5-P95
band of total outlay, stations or fleet in the baseline (how it is made: docs/drivers.md). Each must
be a column of the shipped posterior sample, have a ``source`` note, or have an ``assumption``
note that names the search made ("Searched ..."), so no assumed driver stays unexamined.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from sim.scenario.loader import load_scenario
from sim.scenario.provenance import list_parameters

ROOT = Path(__file__).resolve().parents[2]
DRIVERS = ROOT / "docs" / "drivers.csv"
POSTERIOR = ROOT / "calibration" / "fitted_baseline.posterior.csv"
BASELINE = ROOT / "scenarios" / "baseline.toml"
STATUSES = {"fitted", "source", "assumption-searched"}
OUTPUTS = {"total_exposure_cny", "stations_operating@2025", "stations_operating@2030",
           "fcv_fleet@2025", "fcv_fleet@2030"}


@pytest.fixture(scope="module")
def drivers() -> pd.DataFrame:
    return pd.read_csv(DRIVERS)


@pytest.fixture(scope="module")
def notes() -> dict:
    return {p.dotted.replace('"', ""): p.note for p in list_parameters(load_scenario(BASELINE).scenario)}


def test_the_table_covers_the_three_forecast_quantities_above_a_tenth_of_the_band(drivers):
    assert list(drivers.columns) == ["parameter", "output", "mu_star_share_of_band", "status"]
    assert set(drivers["output"]) <= OUTPUTS
    assert {o.split("@")[0] for o in drivers["output"]} == {"total_exposure_cny", "stations_operating", "fcv_fleet"}
    assert (drivers["mu_star_share_of_band"] > 0.1).all()
    assert set(drivers["status"]) <= STATUSES, "docs/drivers.csv lists a driver without source, fit or search"


def test_every_driver_is_fitted_sourced_or_records_a_search(drivers, notes):
    fitted = set(pd.read_csv(POSTERIOR, nrows=0).columns)
    missing = []
    for name in sorted(set(drivers["parameter"])):
        if name in fitted:
            continue
        note = notes.get(name)
        if note is None:
            missing.append(f"{name}: not a parameter of the baseline, or it has no note")
        elif note.kind == "assumption" and "Searched" not in note.text:
            missing.append(f"{name}: assumption note names no search ('Searched ...: found / not found')")
    assert not missing, "\n".join(missing)


def test_the_script_classifies_as_the_table_says(drivers):
    spec = importlib.util.spec_from_file_location("drivers_script", ROOT / "docs" / "drivers.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    now = script.statuses(sorted(set(drivers["parameter"])))
    stale = {p: (s, now[p]) for p, s in zip(drivers["parameter"], drivers["status"], strict=True) if now[p] != s}
    assert not stale, f"rerun docs/drivers.py (see docs/drivers.md); status changed: {stale}"
