"""`sim hindcast`: each observation against the P5-P95 band, not-modelled rows, coverage by role and year."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sim.analysis.hindcast import coverage_table, hindcast_table, inside_band
from sim.analysis.observations import Observation
from sim.cli import main


def _obs(**kw) -> Observation:
    fields = {"quantity": "q", "year": 2023, "unit": "1", "source": "test", "source_short": "t", "scope": "synthetic",
              "confidence": "high", "role": "holdout", "variable": "x"} | kw
    return Observation(**fields)


@pytest.fixture
def ds() -> xr.Dataset:
    # x = draw number in 2022 and draw number + 100 in 2023, draws 0..19. Linear quantiles: the
    # P5 of 0..19 lies at position 0.05 x 19 = 0.95, so P5 = 0.95 and P95 = 18.05 (+100 in 2023).
    draws = np.arange(20, dtype=np.float64)
    x = np.stack([draws, draws + 100.0], axis=1)
    return xr.Dataset({"x": (("draw", "year"), x)}, coords={"draw": np.arange(20), "year": [2022, 2023]},
                      attrs={"first_year": 2022})


def test_the_band_is_the_hand_computed_quantiles(ds):
    row = hindcast_table(ds, {"a": _obs(value=50.0)}).iloc[0]
    assert (row["p5"], row["p50"], row["p95"]) == pytest.approx((100.95, 109.5, 118.05))


def test_observed_exactly_at_p5_or_p95_is_inside_and_one_unit_beyond_is_outside(ds):
    row = hindcast_table(ds, {"a": _obs(value=1.0)}).iloc[0]
    p5, p95 = row["p5"], row["p95"]
    observations = {
        "at_p5": _obs(value=p5), "at_p95": _obs(value=p95),
        "below": _obs(value=p5 - 1.0), "above": _obs(value=p95 + 1.0),
        "range_touching_p95": _obs(low=p95, high=p95 + 5.0), "range_beyond_p95": _obs(low=p95 + 1.0, high=p95 + 5.0),
        "range_over_the_band": _obs(low=p5 - 10.0, high=p95 + 10.0),
        "at_most_p5": _obs(high=p5), "at_most_below": _obs(high=p5 - 1.0), "at_least_below_p95": _obs(low=p95 - 1.0),
    }
    table = hindcast_table(ds, observations).set_index("id")
    assert table["status"].to_dict() == {
        "at_p5": "inside", "at_p95": "inside", "below": "outside", "above": "outside",
        "range_touching_p95": "inside", "range_beyond_p95": "outside", "range_over_the_band": "inside",
        "at_most_p5": "inside", "at_most_below": "outside", "at_least_below_p95": "inside",
    }
    assert inside_band(1.0, 1.0, 1.0, 2.0) and not inside_band(0.0, 0.99, 1.0, 2.0)


def test_missing_variable_or_year_is_not_modelled_and_context_is_not_scored(ds):
    table = hindcast_table(ds, {
        "missing": _obs(variable="little_giants", value=588.0),
        "late": _obs(year=2030, value=1.0),
        "context": _obs(role="context", value=5.0),
    }).set_index("id")
    assert table.loc["missing", "status"] == "not modelled"
    assert table.loc["missing", "note"] == "no variable 'little_giants' in the results"
    assert table.loc["late", "status"] == "not modelled" and "outside the results' years" in table.loc["late", "note"]
    assert table.loc["context", "status"] == "context" and pd.isna(table.loc["context", "inside"])
    assert table.loc["context", "p50"] == pytest.approx(109.5)  # shown with its band, not scored
    assert coverage_table(table.reset_index())["scored"].sum() == 0


def test_coverage_by_role_and_year(ds):
    table = hindcast_table(ds, {
        "cal_in": _obs(role="calibration", year=2022, value=10.0),
        "cal_out": _obs(role="calibration", year=2022, value=-5.0),
        "cal_in_2023": _obs(role="calibration", year=2023, value=110.0),
        "hold_in": _obs(value=110.0),
        "hold_out": _obs(value=500.0),
        "hold_missing": _obs(variable="nope", value=1.0),
        "context": _obs(role="context", value=110.0),
    })
    cov = coverage_table(table).set_index(["role", "year"])
    assert cov.loc[("calibration", "2022"), ["scored", "inside"]].tolist() == [2, 1]
    assert cov.loc[("calibration", "2023"), ["scored", "inside"]].tolist() == [1, 1]
    assert cov.loc[("calibration", "all"), "coverage"] == pytest.approx(2 / 3)
    assert cov.loc[("holdout", "2023"), ["scored", "inside"]].tolist() == [2, 1]  # the missing one is not scored
    assert cov.loc[("holdout", "all"), "coverage"] == pytest.approx(0.5)


def test_cli_runs_the_minimal_scenario_and_writes_hindcast_csv(minimal_path, tmp_path, capsys):
    out = tmp_path / "hc"
    assert main(["hindcast", str(minimal_path), "--draws", "4", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "coverage: share of scored observations inside the P5-P95 band" in printed
    assert "out of sample (holdout)" in printed and "in sample (calibration)" in printed
    table = pd.read_csv(out / "hindcast.csv")
    assert {"id", "quantity", "year", "observed", "p5", "p50", "p95", "inside", "status", "role"} <= set(table.columns)
    # minimal.toml runs 2023-2026: the 2022 observations are not modelled; the 2023 SRDI count is scored.
    assert table.set_index("id").loc["beijing_srdi_2022", "status"] == "not modelled"
    assert table.set_index("id").loc["beijing_srdi_2023", "status"] in ("inside", "outside")
    assert (out / "hindcast_coverage.csv").is_file()
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no staging left behind


def test_cli_reads_a_results_folder_and_writes_beside_results_nc(minimal_path, tmp_path, capsys):
    results = tmp_path / "run"
    assert main(["run", str(minimal_path), "--draws", "2", "--out", str(results), "--quiet"]) == 0
    assert main(["hindcast", str(results)]) == 0
    assert "coverage" in capsys.readouterr().out
    table = pd.read_csv(results / "hindcast.csv")
    assert len(table) > 40 and not any(p.name.startswith(".") for p in results.iterdir())


@pytest.mark.parametrize("argv,fragment", [
    (["hindcast", "no/such.toml"], "sim hindcast: no/such.toml: no such scenario file or results folder"),
    (["hindcast", "{tmp}", "--observed", "{tmp}/missing.toml"], "missing.toml: file not found"),
    (["hindcast", "{tmp}"], "no results.nc here"),
    (["hindcast", "{tmp}", "--draws", "0"], "--draws must be a whole number in 1..10,000,000"),
])
def test_cli_errors_are_one_line_exit_2(tmp_path, capsys, argv, fragment):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err


def test_fan_charts_mark_the_observations_of_their_selection(tmp_path):
    from sim.analysis.plots import write_plots

    draws = np.arange(20, dtype=np.float64)
    firms = np.stack([np.stack([draws, draws], axis=1)] * 2, axis=2)  # (draw, year, sector)
    ds = xr.Dataset({"firms_above_size": (("draw", "year", "sector"), firms)},
                    coords={"draw": np.arange(20), "year": [2022, 2023], "sector": ["a", "b"]})
    observations = {"all": _obs(variable="firms_above_size", value=20.0, role="calibration", year=2022),
                    "a_only": _obs(variable="firms_above_size", low=5.0, high=9.0, select={"sector": "a"}),
                    "national": _obs(variable="firms_above_size", value=1e6, role="context")}
    names = sorted(p.name for p in write_plots(ds, tmp_path, observations))
    assert names == ["firms_above_size.png", "firms_above_size_a.png"]
