"""Targets: the probability of reaching a target is the share of draws meeting its comparison."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from sim.analysis.targets import all_targets, format_target_table, target_table


def _dataset(years, **variables) -> xr.Dataset:
    data = {name: (("draw", "year"), np.asarray(values, dtype=float)) for name, values in variables.items()}
    n = next(iter(variables.values())).shape[0] if variables else 1
    return xr.Dataset(data, coords={"draw": np.arange(n), "year": years})


def _row(df, target_id):
    return df.set_index("id").loc[target_id]


def test_probability_is_the_share_of_draws_at_or_above_the_target():
    # Plan: >= 74 stations in 2025. Draws at 73, 74, 80, 10: two of four reach it (74 counts).
    stations = np.array([[0, 73], [0, 74], [0, 80], [0, 10]])
    df = target_table(_dataset([2024, 2025], stations_operating=stations))
    row = _row(df, "plan.hrs_2025.stations")
    assert row["status"] == "modelled" and row["probability"] == 0.5
    assert row["p50"] == np.median([73, 74, 80, 10])


def test_strict_comparison_excludes_the_target_value_itself():
    # Digital-human industry revenue must exceed 50 bn: exactly 50 bn does not count.
    revenue = np.array([[5e10], [5e10 + 1], [4e10], [6e10]])
    df = target_table(_dataset([2025], digital_human_revenue_cny=revenue))
    assert _row(df, "digital_human.goals.industry_revenue")["probability"] == 0.5


def test_targets_not_forecast_are_not_modelled_and_get_no_number():
    df = target_table(_dataset([2025], fcv_fleet=np.array([[1.0]])))
    row = _row(df, "managers.goals.technology_managers_trained")
    assert row["status"] == "not modelled" and np.isnan(row["probability"]) and np.isnan(row["p50"])
    assert "not modelled" in format_target_table(df)


def test_target_year_outside_the_horizon_is_said_so():
    df = target_table(_dataset([2026, 2027], fcv_fleet=np.array([[1.0, 2.0]])))
    assert _row(df, "plan.h2_2025.fcv_fleet")["status"] == "outside horizon"


def test_every_gazette_target_is_listed_with_its_citation():
    ids = {t.id for t in all_targets()}
    assert {"digital_human.goals.industry_revenue", "managers.goals.technology_managers_trained",
            "cohesion.goals.flagship_organisations", "plan.hrs_2025.stations"} <= ids
    assert all(t.source for t in all_targets())


@pytest.mark.parametrize("draws", [1, 7])
def test_probability_bounds(draws):
    fleet = np.full((draws, 1), 10_000.0)
    assert _row(target_table(_dataset([2025], fcv_fleet=fleet)), "plan.h2_2025.fcv_fleet")["probability"] == 1.0
