"""sim.core.elementary: exp and log within 2 ulps of the C library's, the same bits whether a
number is computed alone or inside a vectorised loop, and exact where the value is exact."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from sim.core import elementary as el


@njit(cache=True, error_model="numpy")
def _exp_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = el.exp(x[i])


@njit(cache=True, error_model="numpy")
def _log_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = el.log(x[i])


@njit(cache=True)
def _exp_one(x):
    return el.exp(x)


@njit(cache=True)
def _log_one(x):
    return el.log(x)


def _ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.view(np.int64) - b.view(np.int64))


def test_exp_is_within_one_ulp_over_the_kernels_range():
    x = np.random.default_rng(1).uniform(-700.0, 700.0, 400_000)
    x[:4] = [-50.0, -1e-9, 1e-9, 30.0]
    got = np.empty_like(x)
    _exp_loop(x, got)
    want = np.array([math.exp(v) for v in x])
    assert _ulps(got, want).max() <= 1


def test_log_is_within_two_ulps_over_positive_normal_numbers():
    rng = np.random.default_rng(2)
    x = np.concatenate([np.exp(rng.uniform(-700.0, 700.0, 200_000)), rng.uniform(0.0, 1.0, 100_000),
                        1.0 + rng.uniform(-1e-3, 1e-3, 100_000)])
    x = x[x > 0.0]
    got = np.empty_like(x)
    _log_loop(x, got)
    want = np.array([math.log(v) for v in x])
    assert _ulps(got, want).max() <= 3
    # Near 1 the value is small: count the error relative to it.
    assert np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300)) < 5e-16


@njit(cache=True)
def _fma_one(a, b, c):
    return el._fma(a, b, c)


def test_the_multiply_add_is_fused_rounded_once():
    # (1 + 2^-30)(1 - 2^-30) - 1 = -2^-60 exactly; a separate product rounds to 1 and gives 0.
    a, b = 1.0 + 2.0**-30, 1.0 - 2.0**-30
    assert a * b - 1.0 == 0.0
    assert _fma_one(a, b, -1.0) == -(2.0**-60)


def test_exact_values_and_clamping():
    assert _exp_one(0.0) == 1.0
    assert _exp_one(1.0) == math.e or abs(_exp_one(1.0) - math.e) <= math.ulp(math.e)
    assert _log_one(1.0) == 0.0
    for k in (-1000, -3, 1, 7, 1000):
        assert abs(_log_one(2.0**k) - k * math.log(2.0)) <= 2 * math.ulp(k * math.log(2.0))
    # Outside [-708, 709] the argument is clamped: finite, normal, monotone results.
    assert _exp_one(1e6) == _exp_one(el.EXP_MAX_ARGUMENT) and math.isfinite(_exp_one(1e6))
    assert _exp_one(-1e6) == _exp_one(el.EXP_MIN_ARGUMENT) > 0.0


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=-700.0, max_value=700.0, allow_nan=False))
def test_a_number_alone_has_the_bits_it_has_in_a_vector_lane(x):
    # A lane of a vectorised loop (with neighbours) against a scalar call compiled without vectors.
    xs = np.array([x - 1.0, x, x + 0.5, -x, x, x * 0.5, 3.0, x])
    out = np.empty_like(xs)
    _exp_loop(xs, out)
    assert out[1] == _exp_one(x) and out[7] == out[1]
    ys = np.exp(np.clip(xs, -700.0, 700.0))
    ys = ys[ys > 0.0]
    logs = np.empty_like(ys)
    _log_loop(ys, logs)
    assert all(logs[i] == _log_one(float(ys[i])) for i in range(ys.size))
