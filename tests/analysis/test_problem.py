"""The uncertain parameters of a scenario as factors in probability space."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.analysis.problem import UncertainParameter, problem_spec, select_parameters, to_values, uncertain_parameters
from sim.core.rng import generator_for
from sim.errors import SimError
from sim.scenario.loader import load_scenario
from sim.scenario.parameters import LogNormal, Normal, Triangular, Uniform

DISTRIBUTIONS = [
    Uniform(dist="uniform", low=2.0, high=8.0),
    Normal(dist="normal", mean=0.2, sd=0.03, low=0.0, high=1.0),
    Normal(dist="normal", mean=0.05, sd=0.02, low=0.0),
    LogNormal(dist="lognormal", median=3e6, sigma=1.0),
    Triangular(dist="triangular", low=0.0, mode=0.05, high=0.1),
]


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=lambda d: d.dist)
def test_the_quantile_function_has_the_distribution_the_ensemble_draws_from(dist):
    # Kolmogorov-Smirnov two-sample test of ppf(U) against the ensemble's own sampler.
    rng = np.random.default_rng(11)
    via_ppf = UncertainParameter("p", dist).ppf(rng.uniform(size=4000))
    drawn = np.array([dist.sample(generator_for(5, d, "p")) for d in range(4000)])
    assert stats.ks_2samp(via_ppf, drawn).pvalue > 0.001
    lo, hi = dist.bounds()
    assert via_ppf.min() >= lo and via_ppf.max() <= hi


def test_the_normal_quantile_function_is_the_inverse_cdf_the_sampler_uses():
    dist = DISTRIBUTIONS[1]
    q = np.array([0.1, 0.5, 0.9])
    a, b = (0.0 - 0.2) / 0.03, (1.0 - 0.2) / 0.03
    np.testing.assert_allclose(dist.ppf(q), stats.truncnorm.ppf(q, a, b, loc=0.2, scale=0.03))


def test_probabilities_0_and_1_map_to_finite_values():
    p = UncertainParameter("z", Normal(dist="normal", mean=0.0, sd=1.0))
    assert np.isfinite(p.ppf(np.array([0.0, 1.0]))).all()


def test_the_factors_of_a_scenario_are_the_parameters_a_draw_draws(scenarios_dir):
    from sim.runner.model import PolicyModel

    loaded = load_scenario(scenarios_dir / "minimal.toml")
    model = PolicyModel(loaded.scenario, loaded.policy, 0)
    assert [p.path for p in uncertain_parameters(loaded.scenario)] == sorted(model.parameters)


def test_constant_distributions_are_left_out_and_patterns_select(scenarios_dir):
    params = [UncertainParameter("a.x", Uniform(dist="uniform", low=1.0, high=1.0)),
              UncertainParameter("a.y", Uniform(dist="uniform", low=0.0, high=1.0)),
              UncertainParameter("b.z", Normal(dist="normal", mean=0.0, sd=1.0))]
    assert [p.path for p in select_parameters(params, None)] == ["a.y", "b.z"]
    assert [p.path for p in select_parameters(params, ["a.*"])] == ["a.y"]
    with pytest.raises(SimError, match=r"--parameter: c\.\* matches no uncertain parameter; available: a\.y, b\.z"):
        select_parameters(params, ["c.*"])
    with pytest.raises(SimError, match="has no uncertain parameter"):
        select_parameters(params[:1], None)


def test_the_problem_spec_is_in_probability_space_and_values_in_the_parameters_units():
    params = [UncertainParameter("u", DISTRIBUTIONS[0]), UncertainParameter("t", DISTRIBUTIONS[4])]
    spec = problem_spec(params)
    assert spec["names"] == ["u", "t"] and spec["bounds"] == [[0.0, 1.0], [0.0, 1.0]]
    values = to_values(params, np.array([[0.5, 0.5], [0.25, 1.0]]))
    assert values[0, 0] == pytest.approx(5.0) and values[1, 0] == pytest.approx(3.5)
    assert values[0, 1] == pytest.approx(0.05)  # a symmetric triangle's median is its mode
