"""A scenario's posterior sample: checked on loading, and each draw takes one row of it, jointly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.errors import InputDataError, ScenarioError
from sim.input_files import held_inputs
from sim.scenario.loader import load_scenario
from sim.scenario.posterior import PosteriorSample, posterior_row, read_posterior

ROOT = Path(__file__).resolve().parents[2]
PRIOR = ROOT / "scenarios" / "baseline_prior.toml"
BASELINE = ROOT / "scenarios" / "baseline.toml"
SHIPPED = ROOT / "calibration" / "fitted_baseline.posterior.csv"


def _scenario(tmp_path, csv_text: str) -> Path:
    (tmp_path / "post.csv").write_text(csv_text)
    path = tmp_path / "s.toml"
    path.write_text(f'extends = "{PRIOR}"\nname = "s"\n[calibration]\nposterior_csv = "post.csv"\n')
    return path


def test_rows_are_picked_by_weight_from_each_draws_own_stream():
    sample = PosteriorSample(("a",), np.array([[0.0], [1.0]]), np.array([0.25, 0.75]))
    picks = np.array([posterior_row(sample, 7, d)["a"] for d in range(4000)])
    assert picks.mean() == pytest.approx(0.75, abs=0.03)
    assert [posterior_row(sample, 7, d) for d in range(5)] == [posterior_row(sample, 7, d) for d in range(5)]


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("weight\n1\n", "no parameter column"),
    ("firms.srdi.certification_hazard\n", "no rows after the header"),
    ("firms.srdi.certification_hazard,weight\nabc,1\n", "row 2, column 'firms.srdi.certification_hazard': 'abc' is not a finite number"),
    ("firms.srdi.certification_hazard,weight\n0.2,-1\n", "row 2, column 'weight': negative"),
    ("firms.srdi.certification_hazard,firms.srdi.certification_hazard\n0.2,0.2\n", "repeated"),
    ("firms.srdi.certification_hazard\n0.2,0.3\n", "row 2: 2 cells, the header has 1"),
    ("firms.srdi.certification_hazard,noise_draw\n0.2,3\n", "column 'noise_draw' without 'noise_seed'"),
    ("firms.srdi.certification_hazard,noise_seed,noise_draw\n0.2,7,3.5\n",
     "row 2, column 'noise_draw': '3.5' is not a whole number"),
    ("firms.srdi.certification_hazard,noise_seed,noise_draw\n0.2,-7,3\n",
     "row 2, column 'noise_seed': '-7' is not a whole number"),
    ("noise_seed,noise_draw\n7,3\n", "no parameter column"),
])
def test_a_bad_sample_is_one_line_naming_file_row_and_column(tmp_path, text, message):
    path = tmp_path / "p.csv"
    path.write_text(text)
    with pytest.raises(InputDataError) as info:
        read_posterior(str(path))
    assert message in str(info.value) and str(path) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(("text", "message"), [
    ("firms.srdi.no_such_key\n0.2\n", "column 'firms.srdi.no_such_key' is not a parameter of the scenario"),
    ("firms.srdi.certification_hazard\n0.9\n", "row 2, column 'firms.srdi.certification_hazard': 0.9 is outside"),
])
def test_the_scenario_refuses_a_sample_that_does_not_fit_its_priors(tmp_path, text, message):
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(_scenario(tmp_path, text))
    lines = str(info.value).splitlines()
    assert len(lines) == 1 and message in lines[0] and "calibration.posterior_csv" in lines[0]


def test_a_parameter_the_scenario_fixes_takes_the_scenarios_number(tmp_path):
    loaded = load_scenario(_scenario(tmp_path, "firms.srdi.little_giant_share,firms.srdi.certification_hazard\n0.2,0.3\n"),
                           {"horizon": {"last_year": 2022}})
    ds = sim.run(loaded, draws=2)
    assert "firms.srdi.little_giant_share" not in ds["parameter_value"].coords["parameter"].values.tolist()
    assert ds["parameter_value"].sel(parameter="firms.srdi.certification_hazard").values.tolist() == [0.3, 0.3]


def test_a_design_overrides_the_rows_value(tmp_path):
    from sim.runner.design import ParameterDesign
    from sim.runner.run import run_scenario

    loaded = load_scenario(_scenario(tmp_path, "firms.srdi.certification_hazard\n0.3\n"),
                               {"horizon": {"last_year": 2022}})
    design = ParameterDesign(("firms.srdi.certification_hazard",), np.array([[0.1], [0.2]]), np.array([0, 1]))
    ds = run_scenario(loaded, draws=design)
    assert ds["parameter_value"].sel(parameter="firms.srdi.certification_hazard").values.tolist() == [0.1, 0.2]
    plain = sim.run(loaded, draws=2)
    assert plain["parameter_value"].sel(parameter="firms.srdi.certification_hazard").values.tolist() == [0.3, 0.3]


def test_the_baselines_draws_follow_the_shipped_posterior_means_and_correlations():
    """The baseline draws its fitted parameters from the shipped sample: same means, same correlations."""
    loaded = load_scenario(BASELINE, {"horizon": {"last_year": 2022}})
    assert Path(loaded.scenario.calibration.posterior_csv) == SHIPPED.resolve()
    with held_inputs(loaded.inputs):
        sample = read_posterior(loaded.scenario.calibration.posterior_csv)
    draws = 400
    ds = sim.run(loaded, draws=draws, seed=31)
    got = np.column_stack([ds["parameter_value"].sel(parameter=n).values for n in sample.names])
    mean, sd = sample.mean(), sample.sd()
    # Means within 4 standard errors of the sample's (resampling rows with replacement).
    assert np.all(np.abs(got.mean(axis=0) - mean) <= 4 * sd / np.sqrt(draws) + 1e-12), (got.mean(axis=0), mean)
    # Correlations: the draws keep the sample's (within sampling error of 400 draws).
    want = sample.cov() / np.outer(sd, sd)
    have = np.corrcoef(got.T)
    assert np.max(np.abs(have - want)) < 0.2, (have, want)
    # And they are rows of the sample, not independent marginals.
    rows = {tuple(np.round(r, 12)) for r in sample.values}
    assert all(tuple(np.round(r, 12)) in rows for r in got)


def test_the_noise_columns_give_each_particle_its_seed_and_draw(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("firms.srdi.certification_hazard,weight,noise_seed,noise_draw\n0.1,1,20221,30\n0.2,3,20221,31\n")
    sample = read_posterior(str(path))
    assert sample.names == ("firms.srdi.certification_hazard",)
    assert sample.noise is not None and sample.noise.tolist() == [[20221, 30], [20221, 31]]
    assert sample.weights.tolist() == [0.25, 0.75]


def test_replaying_without_noise_columns_is_refused_in_one_line(tmp_path):
    (tmp_path / "post.csv").write_text("firms.srdi.certification_hazard\n0.1\n")
    path = tmp_path / "s.toml"
    path.write_text(f'extends = "{PRIOR}"\nname = "s"\n[calibration]\nposterior_csv = "post.csv"\n'
                    "replay_until_year = 2023\n")
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(path)
    assert "calibration.replay_until_year" in str(info.value) and "noise_seed" in str(info.value)
