"""Uncertain parameters (sim/scenario/parameters.py): validation, sampling, independence."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from scipy.stats import truncnorm

from sim.scenario.parameters import (
    LogNormal,
    Normal,
    Param,
    Triangular,
    Uniform,
    _truncated_normal_quantile,
    draw_value,
)

PARAM = TypeAdapter(Param)


def samples(value, n=400, path="x"):
    return np.array([draw_value(value, 7, d, path) for d in range(n)])


def test_a_number_is_itself():
    assert PARAM.validate_python(0.05) == 0.05
    assert draw_value(3, 7, 0, "x") == 3.0 and isinstance(draw_value(3, 7, 0, "x"), float)


@pytest.mark.parametrize(
    "table, cls",
    [({"dist": "uniform", "low": 0, "high": 1}, Uniform), ({"dist": "normal", "mean": 0, "sd": 1}, Normal),
     ({"dist": "lognormal", "median": 2, "sigma": 0.5}, LogNormal),
     ({"dist": "triangular", "low": 0, "mode": 1, "high": 3}, Triangular)],
)
def test_tables_parse_to_distributions(table, cls):
    assert isinstance(PARAM.validate_python(table), cls)


@pytest.mark.parametrize(
    "table, fragment",
    [
        ({"dist": "uniform", "low": 2, "high": 1}, r"high \(=1.0\) must be >= low \(=2.0\)"),
        ({"dist": "normal", "mean": 0}, "sd\n  Field required"),
        ({"dist": "normal", "mean": 0, "sd": -1}, "greater than or equal to 0"),
        ({"dist": "normal", "mean": 0, "sd": 1, "low": 1, "high": 1}, r"high \(=1.0\) must be > low \(=1.0\)"),
        ({"dist": "lognormal", "median": 0, "sigma": 1}, "greater than 0"),
        ({"dist": "triangular", "low": 0, "mode": 5, "high": 3}, "need low <= mode <= high"),
        ({"dist": "triangular", "low": 1, "mode": 1, "high": 1}, "low < high"),
        ({"dist": "uniform", "low": 0, "high": math.inf}, "finite"),
        ({"dist": "uniform", "low": 0, "high": 1, "mode": 0.5}, "Extra inputs are not permitted"),
        ({"dist": "beta", "a": 1}, "does not match any of the expected tags"),
    ],
)
def test_bad_distributions_are_rejected(table, fragment):
    with pytest.raises(ValidationError, match=fragment):
        PARAM.validate_python(table)


def test_uniform_and_triangular_stay_in_bounds():
    u = samples(Uniform(dist="uniform", low=2.0, high=6.0))
    assert u.min() >= 2.0 and u.max() <= 6.0 and u.mean() == pytest.approx(4.0, abs=0.2)
    t = samples(Triangular(dist="triangular", low=0.0, mode=0.0, high=3.0))
    assert t.min() >= 0.0 and t.max() <= 3.0 and t.mean() == pytest.approx(1.0, abs=0.1)


def test_truncated_normal_stays_in_bounds():
    x = samples(Normal(dist="normal", mean=0.05, sd=0.5, low=0.0, high=0.2))
    assert x.min() >= 0.0 and x.max() <= 0.2
    assert Normal(dist="normal", mean=0.05, sd=0.0, low=0.1).sample(np.random.default_rng(0)) == 0.1
    assert Normal(dist="normal", mean=0.05, sd=0.0).sample(np.random.default_rng(0)) == 0.05


def test_lognormal_median():
    x = samples(LogNormal(dist="lognormal", median=2.0, sigma=0.5), n=2000)
    assert x.min() > 0.0 and np.median(x) == pytest.approx(2.0, rel=0.05)
    assert samples(LogNormal(dist="lognormal", median=2.0, sigma=0.0), n=3).tolist() == [2.0, 2.0, 2.0]


def test_draws_are_reproducible_and_keyed_by_path():
    dist = Uniform(dist="uniform", low=0.0, high=1.0)
    a = samples(dist, n=20, path="firms.growth.drift")
    np.testing.assert_array_equal(a, samples(dist, n=20, path="firms.growth.drift"))
    assert not np.array_equal(a, samples(dist, n=20, path="firms.growth.sd"))
    assert len(set(a)) == 20


@pytest.mark.parametrize("key,value,fragment", [
    ('projects.streams."software.6.data_centre_green_retrofit".arrivals_per_year', "-1",
     "-1 is out of range; allowed: values in [0, 1,000,000]"),
    ('projects.streams."software.6.data_centre_green_retrofit".arrivals_per_year', "1e300",
     "allowed: values in [0, 1,000,000]"),
    ('projects.streams."software.6.data_centre_green_retrofit".arrivals_per_year',
     '{ dist = "normal", mean = 2, sd = 1 }', "a normal distribution here can take values in [-inf, inf]; "
     "allowed: values in [0, 1,000,000] (truncate it with low/high)"),
    ("centres.pass_probability", "1.5", "1.5 is out of range; allowed: values in [0, 1]"),
    ("centres.ip_income_cny_per_year", "-1", "allowed: values >= 0"),
    ("incubators.startup_revenue_median_cny", "0", "0 is out of range; allowed: values > 0"),
])
def test_parameters_outside_their_domain_are_refused(tmp_path, key, value, fragment):
    from sim.errors import ScenarioError
    from sim.scenario.loader import load_scenario

    path = tmp_path / "domain.toml"
    base = (Path(__file__).resolve().parents[2] / "scenarios" / "minimal.toml").as_posix()
    path.write_text(f'extends = "{base}"\nname = "domain"\n{key} = {value}\n')
    with pytest.raises(ScenarioError, match=re.escape(fragment)):
        load_scenario(path)


def test_lognormal_is_strictly_positive_for_positive_parameters(tmp_path):
    from sim.scenario.loader import load_scenario

    path = tmp_path / "ok.toml"
    base = (Path(__file__).resolve().parents[2] / "scenarios" / "minimal.toml").as_posix()
    path.write_text(f'extends = "{base}"\nname = "ok"\n'
                    'projects.streams."software.6.data_centre_green_retrofit".size_median_cny = '
                    '{ dist = "lognormal", median = 4e7, sigma = 0.5 }\n')
    load_scenario(path)


# ------------------------------------------------------------------ the truncated normal's quantile
_BOUND = st.one_of(st.none(), st.floats(-12.0, 12.0))


def _scipy_sample(dist: Normal, q: float) -> float:
    """What Normal.sample computed before its fast quantile: SciPy's generic ppf."""
    lo, hi = dist.bounds()
    return float(truncnorm.ppf(q, (lo - dist.mean) / dist.sd, (hi - dist.mean) / dist.sd, loc=dist.mean,
                               scale=dist.sd))


@settings(max_examples=400, deadline=None)
@given(mean=st.floats(-1e6, 1e6), sd=st.floats(1e-6, 1e4), low_sds=_BOUND, high_sds=_BOUND,
       q=st.one_of(st.floats(2.0**-53, 1.0 - 2.0**-53), st.sampled_from([2.0**-53, 0.5, 1.0 - 2.0**-53, 1e-300])))
def test_normal_sample_is_scipys_truncnorm_ppf_bit_for_bit(mean, sd, low_sds, high_sds, q):
    low = None if low_sds is None else mean + low_sds * sd
    high = None if high_sds is None else mean + high_sds * sd
    if low is not None and high is not None and not high > low:
        return
    dist = Normal(dist="normal", mean=mean, sd=sd, low=low, high=high)
    got, want = dist.sample(_Fixed(q)), _scipy_sample(dist, q)  # type: ignore[arg-type]
    assert (got == want and math.copysign(1.0, got) == math.copysign(1.0, want)) or (math.isnan(got) and math.isnan(want))


def test_normal_sample_is_scipys_on_the_baseline_drifts_and_in_the_right_tail():
    rng_ = np.random.default_rng(5)
    for dist in (Normal(dist="normal", mean=0.05, sd=0.02), Normal(dist="normal", mean=0.2, sd=0.03, low=0.0, high=1.0),
                 Normal(dist="normal", mean=0.0, sd=1.0, low=0.5)):  # a >= 0: SciPy's right-tail branch
        for q in rng_.random(500):
            assert dist.sample(_Fixed(q)) == _scipy_sample(dist, q)  # type: ignore[arg-type]
    # The untruncated normal's lower end has log-CDF -inf: logsumexp gives the other term, log q.
    untruncated = _truncated_normal_quantile(-math.inf, math.inf)
    assert untruncated is not None and untruncated(0.3) == float(truncnorm.ppf(0.3, -math.inf, math.inf))


def test_sample_falls_back_to_scipy_where_the_fast_quantile_is_not_used(monkeypatch):
    import sim.scenario.parameters as parameters

    bounded = Normal(dist="normal", mean=1.0, sd=2.0, low=0.0, high=3.0)
    # A uniform of exactly 0: SciPy's ppf gives the lower bound.
    assert bounded.sample(_Fixed(0.0)) == _scipy_sample(bounded, 0.0) == 0.0
    # A truncation the fast quantile declines (e.g. a SciPy whose algorithm changed): SciPy's ppf.
    monkeypatch.setattr(parameters, "_truncated_normal_quantile", lambda a, b: None)
    assert bounded.sample(_Fixed(0.3)) == _scipy_sample(bounded, 0.3)


def test_fast_quantile_is_refused_when_it_differs_from_scipy(monkeypatch):
    import scipy.stats

    _truncated_normal_quantile.cache_clear()
    monkeypatch.setattr(scipy.stats.truncnorm, "ppf", lambda q, a, b: 0.123)  # a SciPy giving other bits
    try:
        assert _truncated_normal_quantile(-1.0, 2.0) is None
    finally:
        _truncated_normal_quantile.cache_clear()


class _Fixed:
    """A stand-in generator whose uniform is `q`."""

    def __init__(self, q: float):
        self.q = float(q)

    def uniform(self) -> float:
        return self.q
