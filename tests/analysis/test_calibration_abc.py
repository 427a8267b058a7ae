"""ABC-SMC: it recovers a known posterior, reproduces from its seed, and refuses parameters without a prior."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.analysis.abc_smc import AbcTargets, Prior, abc_smc, regression_adjusted, weighted_quantile, within_tolerance
from sim.analysis.calibration import calibrate, load_calibration
from sim.errors import SimError


def _toy(seed: int, generations: int = 8):
    # y ~ N(theta, 1) observed at 2 with a prior U(-5, 5): the posterior is N(2, 1) truncated (sd 1).
    priors = [Prior("theta", stats.uniform(-5, 10), -5.0, 5.0)]

    def simulate(values, draws):
        noise = np.array([np.random.default_rng(int(d)).standard_normal() for d in draws])
        return values[:, :1] + noise[:, None]

    return abc_smc(priors, AbcTargets(np.array([2.0]), np.array([1e-6]), np.array([1.0])), simulate, population=400,
                   generations=generations, pilot_draws=50, seed=seed, min_acceptance=0.05)


def test_the_posterior_of_a_known_model_is_recovered():
    fit = _toy(3)
    mean = float(fit.weights @ fit.particles[:, 0])
    sd = float(np.sqrt(fit.weights @ (fit.particles[:, 0] - mean) ** 2))
    # The model's noise (sd 1) is in the distance: the posterior keeps its width, not a point.
    assert mean == pytest.approx(2.0, abs=0.25)
    assert 0.6 < sd < 1.4
    assert fit.sim_sd[0] == pytest.approx(1.0, abs=0.3)
    assert fit.tolerances[0] == np.inf and all(a > b for a, b in zip(fit.tolerances[1:], fit.tolerances[2:], strict=False))


def test_the_same_seed_gives_the_same_sample():
    a, b = _toy(5), _toy(5)
    assert np.array_equal(a.particles, b.particles) and np.array_equal(a.weights, b.weights)


def test_each_particle_keeps_the_noise_draw_that_rerun_at_its_values_gives_its_simulated_targets_again():
    fit = _toy(5)
    noise = np.array([np.random.default_rng(int(d)).standard_normal() for d in fit.draws])
    np.testing.assert_array_equal(fit.simulated[:, 0], fit.particles[:, 0] + noise)
    assert len(set(fit.draws.tolist())) == len(fit.draws)  # one simulation each: no two share a draw
    assert (fit.distances <= fit.tolerances[-1]).all()


def test_regression_adjustment_worked_by_hand():
    # s = 2 theta exactly, observed 5, scale 1: the weighted fit theta = 2.5 + 0.5 z (z = s - 5)
    # moves every particle to 2.5, where s hits the observation, whatever the weights.
    unbounded = Prior("theta", stats.norm(0, 10), -np.inf, np.inf)
    theta = np.array([[1.0], [2.0], [3.0], [4.0]])
    for weights in (np.full(4, 0.25), np.array([0.1, 0.2, 0.3, 0.4])):
        adjusted = regression_adjusted([unbounded], theta, weights, 2.0 * theta, np.array([5.0]), np.array([1.0]))
        np.testing.assert_allclose(adjusted, 2.5, rtol=1e-12)
    # A miss that says nothing of the parameter (s uncorrelated with theta) moves nothing.
    s = np.array([[1.0], [-1.0], [-1.0], [1.0]])
    np.testing.assert_allclose(regression_adjusted([unbounded], theta, np.full(4, 0.25), s, np.array([0.0]),
                                                   np.array([1.0])), theta, atol=1e-12)


def test_regression_adjustment_keeps_bounded_parameters_within_their_bounds():
    # On the logit scale within [0, 1]: a particle near a bound is moved without leaving it.
    share = Prior("share", stats.uniform(0, 1), 0.0, 1.0)
    theta = np.array([[0.02], [0.3], [0.6], [0.97]])
    adjusted = regression_adjusted([share], theta, np.full(4, 0.25), 10.0 * theta - 9.0, np.array([0.0]),
                                   np.array([0.1]))
    assert np.all((adjusted > 0.0) & (adjusted < 1.0))
    assert np.ptp(adjusted) < np.ptp(theta)


def test_the_adjusted_posterior_of_a_known_model_is_closer_to_the_truth():
    # y ~ N(theta, 1) observed at 2: the exact posterior is N(2, 1). Stopped after one generation,
    # the population's spread carries the loose tolerance too; the adjustment takes that part out.
    fit = _toy(3, generations=1)
    prior = Prior("theta", stats.uniform(-5, 10), -5.0, 5.0)
    adjusted = regression_adjusted([prior], fit.particles, fit.weights, fit.simulated, np.array([2.0]),
                                   np.array([fit.sim_sd[0]]))
    mean = float(fit.weights @ adjusted[:, 0])
    sd = float(np.sqrt(fit.weights @ (adjusted[:, 0] - mean) ** 2))
    raw = float(np.sqrt(fit.weights @ (fit.particles[:, 0] - fit.weights @ fit.particles[:, 0]) ** 2))
    assert raw > 1.3 and fit.tolerances[-1] > 1.0
    assert mean == pytest.approx(2.0, abs=0.2)
    assert sd == pytest.approx(1.0, abs=0.15)


def test_within_tolerance_is_the_fits_distance_worked_by_hand():
    # Two targets, weights 1 and 3, scales 2 and 1: d = sqrt((1 z1^2 + 3 z2^2) / 4).
    targets = AbcTargets(np.array([10.0, 5.0]), np.array([1.0, 1.0]), np.array([1.0, 3.0]))
    scale = np.array([2.0, 1.0])
    # Misses (2, 1) -> z (1, 1): d = 1; misses (4, 0) -> z (2, 0): d = 1; (0, 1.2) -> sqrt(3 x 1.44 / 4) = 1.039.
    sims = np.array([[12.0, 6.0], [14.0, 5.0], [10.0, 6.2]])
    assert within_tolerance(sims, targets, scale, 1.0).tolist() == [True, True, False]
    assert within_tolerance(sims, targets, scale, 1.04).tolist() == [True, True, True]


def test_weighted_quantile():
    assert weighted_quantile(np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.1, 0.8]), 0.5) == 3.0


def test_a_parameter_fixed_in_the_scenario_has_no_prior_and_is_refused(tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    config = tmp_path / "c.toml"
    config.write_text(f'''scenario = "{root / "scenarios" / "baseline_prior.toml"}"
method = "abc-smc"
observed_file = "{root / "calibration" / "observed.toml"}"
fit_until_year = 2023
[[parameter]]
path = "firms.srdi.little_giant_share"
low = 0.0
high = 0.3
[[target]]
observed = "beijing_little_giants_2022"
''')
    loaded, scenario = load_calibration(config)
    with pytest.raises(SimError, match=r"parameter\[0\].path: 'firms.srdi.little_giant_share' is a fixed number"):
        calibrate(loaded, scenario, str(config))
