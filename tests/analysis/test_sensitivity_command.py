"""`sim sensitivity` end to end on the minimal scenario: Sobol, Morris, --results, messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sim.analysis.index_checks import DUMMY
from sim.analysis.problem import parameter_groups, select_parameters, uncertain_parameters
from sim.cli import main
from sim.runner.staging import MARKER
from sim.scenario.loader import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
MINIMAL = str(SCENARIOS / "minimal.toml")
PARAM = "projects.streams.hydrogen.6.first_of_kind_domestic.arrivals_per_year"


def test_sobol_on_the_minimal_scenario_writes_indices_with_intervals(tmp_path, capsys):
    out = tmp_path / "sens"
    argv = ["sensitivity", MINIMAL, "--method", "sobol", "--draws", "48", "--out", str(out), "--quiet",
            "--output", "outlay@2025:program=hydrogen.6.*", "--output", "total_exposure_cny", "--groups", "parameter"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "outlay@2025:program=hydrogen.6.*" in printed and "ST" in printed
    assert sorted(p.name for p in out.iterdir()) == ["convergence.csv", "convergence.png", "parameters.csv",
                                                     "samples.nc", "sensitivity.csv", "sensitivity.nc", MARKER,
                                                     "warnings.csv"]
    table = pd.read_csv(out / "sensitivity.csv")
    assert set(table["index"]) == {"S1", "ST"} and set(table["parameter"]) == {PARAM}
    assert table["conf"].notna().all() and (table["conf"] >= 0).all()
    # The hydrogen.6 grant's outlay is driven by its stream's arrivals: the only factor.
    st = table[(table["output"] == "outlay@2025:program=hydrogen.6.*") & (table["index"] == "ST")]["value"].item()
    assert st > 0.3
    with xr.open_dataset(out / "samples.nc", engine="h5netcdf") as samples:
        assert samples.sizes["run"] == 48
        values = samples["parameter_value"].sel(parameter=PARAM).values
        assert values.min() >= 1 and values.max() <= 4  # uniform(1, 4)
        # 16 blocks of A, AB, B: A and AB share draw 2j, B has 2j + 1.
        np.testing.assert_array_equal(samples["noise_draw"].values[:3], [0, 0, 1])
    with xr.open_dataset(out / "sensitivity.nc", engine="h5netcdf") as nc:
        assert nc["value"].dims == ("output", "parameter", "index")


def test_morris_screening_runs_trajectories_of_the_parameters(tmp_path):
    out = tmp_path / "morris"
    assert main(["sensitivity", MINIMAL, "--method", "morris", "--draws", "8", "--out", str(out), "--quiet",
                 "--output", "total_exposure_cny"]) == 0
    table = pd.read_csv(out / "sensitivity.csv")
    assert set(table["index"]) == {"mu_star", "mu", "sigma"}
    assert table.set_index("index").loc["mu_star", "value"] > 0


def test_delta_reads_the_drawn_parameters_of_an_existing_results_folder(tmp_path):
    res = tmp_path / "res"
    assert main(["run", MINIMAL, "--draws", "24", "--out", str(res), "--quiet"]) == 0
    out = tmp_path / "sens"
    assert main(["sensitivity", "--results", str(res), "--method", "delta", "--out", str(out),
                 "--output", "outlay:program=hydrogen.6.*"]) == 0
    table = pd.read_csv(out / "sensitivity.csv")
    assert set(table["index"]) == {"delta", "S1"} and set(table["parameter"]) == {PARAM, DUMMY}


@pytest.mark.parametrize("argv, fragment", [
    (["--method", "sobolx"], "--method: unknown method 'sobolx'; allowed: sobol, morris, delta, pawn"),
    (["--method", "sobol", "--draws", "10"], "needs at least 8 x (1 + 2) = 24 runs (got 10)"),
    (["--method", "sobol", "--output", "stations@2025"], "--output stations@2025: unknown output; allowed:"),
    (["--method", "sobol", "--output", "outlay@2040"], "year '2040' is not in the results; allowed: 2023..2026"),
    (["--method", "sobol", "--parameter", "firms.*"], "--parameter: firms.* matches no uncertain parameter"),
    (["--method", "morris", "--levels", "1"], "a Morris grid needs at least 2 levels"),
])
def test_bad_input_is_one_line_and_exit_2_with_nothing_written(tmp_path, capsys, argv, fragment):
    out = tmp_path / "never"
    assert main(["sensitivity", MINIMAL, "--out", str(out), "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0]
    assert not out.exists() and not list(tmp_path.glob(".never*"))


def test_results_folders_are_for_delta_and_pawn_only(tmp_path, capsys):
    assert main(["sensitivity", "--results", str(tmp_path), "--method", "sobol"]) == 2
    assert "--results: sobol needs its own design of runs" in capsys.readouterr().err
    assert main(["sensitivity", "--method", "delta"]) == 2
    assert "give a scenario file or --results DIR" in capsys.readouterr().err


def test_sobol_by_groups_of_a_user_gives_one_index_per_group(tmp_path, two_parameter_scenario, capsys):
    out = tmp_path / "groups"
    assert main(["sensitivity", str(two_parameter_scenario), "--method", "sobol", "--draws", "64", "--out", str(out),
                 "--quiet", "--output", "total_exposure_cny",
                 "--group", "retrofit=*data_centre_green_retrofit*", "--group", "rest=*"]) == 0
    printed = capsys.readouterr().out
    assert "  group " in printed and "retrofit" in printed
    table = pd.read_csv(out / "sensitivity.csv")
    assert set(table["parameter"]) == {"retrofit", "rest"}
    params = pd.read_csv(out / "parameters.csv").set_index("parameter")["group"]
    assert params["projects.streams.software.6.data_centre_green_retrofit.size_median_cny"] == "retrofit"
    assert params["projects.streams.software.6.compute_centre_conversion.arrivals_per_year"] == "rest"
    conv = pd.read_csv(out / "convergence.csv")
    assert sorted(conv["base"].unique()) == [8, 16] and set(conv["parameter"]) == {"retrofit", "rest"}
    with xr.open_dataset(out / "sensitivity.nc", engine="h5netcdf") as nc:
        assert nc.attrs["groups"] == "--group" and nc.attrs["interval_share"] == 1.0


def test_sobol_of_parameters_of_one_section_is_by_parameter(tmp_path, two_parameter_scenario, capsys):
    # Its three parameters are all in projects.streams: grouping by section would leave one factor.
    out = tmp_path / "section"
    assert main(["sensitivity", str(two_parameter_scenario), "--method", "sobol", "--draws", "40", "--out", str(out),
                 "--quiet", "--output", "total_exposure_cny"]) == 0
    assert len(set(pd.read_csv(out / "sensitivity.csv")["parameter"])) == 3
    assert main(["sensitivity", str(two_parameter_scenario), "--method", "sobol", "--groups", "section",
                 "--out", str(tmp_path / "never"), "--quiet"]) == 2
    assert "--groups section: every factor is in one group (projects.streams)" in capsys.readouterr().err
    # Morris screens parameter by parameter unless told otherwise.
    out = tmp_path / "morris"
    assert main(["sensitivity", str(two_parameter_scenario), "--method", "morris", "--draws", "8", "--out", str(out),
                 "--quiet", "--output", "total_exposure_cny"]) == 0
    assert len(set(pd.read_csv(out / "sensitivity.csv")["parameter"])) == 3


@pytest.mark.parametrize("argv, fragment", [
    (["--method", "delta", "--groups", "section"], "--groups: delta gives one index per parameter; groups are for "
                                                   "sobol and morris"),
    (["--method", "pawn", "--group", "a=*"], "--group: pawn gives one index per parameter"),
    (["--method", "sobol", "--group", "a"], "--group a: expected NAME=PARAMETER[,PARAMETER...]"),
    (["--method", "sobol", "--group", "a=firms.*"], "--group: firms.* matches no uncertain parameter of the design"),
    (["--method", "sobol", "--groups", "sections"], "--groups sections: not a grouping; allowed: section, parameter"),
    (["--method", "sobol", "--groups", "section", "--group", "a=*"], "not both"),
    (["--method", "sobol", "--interval-share", "0"], "--interval-share must be a number > 0 and <= 1e+06 (got '0')"),
    (["--method", "sobol", "--interval-share", "nan"], "--interval-share must be a number > 0"),
    (["--method", "sobol", "--min-variation", "-1"], "--min-variation must be a number >= 0 and <= 1e+06 (got '-1')"),
])
def test_bad_groups_and_thresholds_are_one_line_and_exit_2_with_nothing_written(tmp_path, capsys, argv, fragment):
    out = tmp_path / "never"
    assert main(["sensitivity", MINIMAL, "--out", str(out), "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err
    assert not out.exists() and not list(tmp_path.glob(".never*"))


def test_a_too_small_sobol_sample_of_the_baseline_prints_and_writes_its_warnings(tmp_path, capsys):
    # 8 base samples of the baseline's sections: the fewest runs a design takes, far too few for usable intervals.
    loaded = load_scenario(SCENARIOS / "baseline.toml")
    groups, _ = parameter_groups(select_parameters(uncertain_parameters(loaded.scenario), None), "section", None)
    fewest = 8 * (len(set(groups)) + 2)
    out = tmp_path / "small"
    assert main(["sensitivity", str(SCENARIOS / "baseline.toml"), "--method", "sobol", "--draws", str(fewest),
                 "--workers", "2", "--output", "fiscal outlay, all programmes", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    # The baseline's parameters span sections: Sobol groups them by section by default.
    assert "  group " in printed and "firms.loans" in printed
    assert "warnings (" in printed and "[wide_interval] fiscal outlay, all programmes |" in printed
    assert "wide_interval: the size of this driver is not known" in printed
    found = pd.read_csv(out / "warnings.csv")
    assert list(found.columns) == ["output", "parameter", "index", "check", "value", "conf", "message"]
    assert (found["check"] == "wide_interval").sum() >= 3
