"""Saltelli and Morris designs, checked on analytic functions through the code path `sim` uses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis.designs import morris_design, run_design, sobol_design
from sim.analysis.problem import UncertainParameter
from sim.analysis.selection import SelectedOutput
from sim.errors import SimError
from sim.scenario.parameters import Normal, Uniform


def _uniform(name: str, low: float, high: float) -> UncertainParameter:
    return UncertainParameter(name, Uniform(dist="uniform", low=low, high=high))


def _ishigami(values: np.ndarray, draws: np.ndarray, a: float = 7.0, b: float = 0.1) -> list[SelectedOutput]:
    x1, x2, x3 = values.T
    return [SelectedOutput("ishigami", "1", np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1))]


def _ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[tuple[str, str], float]:
    # Analytic variances (Ishigami & Homma 1990; Sobol' & Levitan 1999).
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {("x1", "S1"): v1 / v, ("x2", "S1"): v2 / v, ("x3", "S1"): 0.0,
            ("x1", "ST"): (v1 + v13) / v, ("x2", "ST"): v2 / v, ("x3", "ST"): v13 / v}


def test_sobol_indices_of_the_ishigami_function_lie_within_their_intervals_of_the_analytic_values():
    params = [_uniform(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)]
    result = run_design("sobol", params, _ishigami, runs=2048 * 5, seed=3)
    assert result.base == 2048 and result.unit.shape == (2048 * 5, 3)
    table = result.table.set_index(["parameter", "index"])
    for key, exact in _ishigami_indices().items():
        est, conf = table.loc[key, "value"], table.loc[key, "conf"]
        assert 0 < conf < 0.1, key
        assert abs(est - exact) <= conf, (key, est, exact, conf)


def test_saltelli_rows_share_the_noise_draw_of_their_a_row_and_b_rows_have_their_own():
    params = [_uniform(f"x{i}", 0, 1) for i in range(3)]
    unit, draws, base = sobol_design(params, runs=8 * 5 + 4, seed=0)
    assert base == 8 and unit.shape == (40, 3)
    blocks = draws.reshape(8, 5)
    # A_j and the D rows AB_j^(i) use draw 2j; B_j uses 2j + 1.
    assert (blocks[:, :4] == 2 * np.arange(8)[:, None]).all()
    assert (blocks[:, 4] == 2 * np.arange(8) + 1).all()
    # AB^(i) is A with column i taken from B.
    a, b = unit.reshape(8, 5, 3)[:, 0], unit.reshape(8, 5, 3)[:, 4]
    ab1 = unit.reshape(8, 5, 3)[:, 2]
    np.testing.assert_array_equal(ab1[:, [0, 2]], a[:, [0, 2]])
    np.testing.assert_array_equal(ab1[:, 1], b[:, 1])


def test_morris_mu_star_of_a_linear_function_is_its_slope_over_the_probability_range():
    # y = 3 x0 - 2 x1 with x0 ~ U(0, 10), x1 ~ U(5, 7): one unit of probability moves x0 by 10 and
    # x1 by 2, so the effects per unit of probability are 30 and -4, whatever the grid step.
    params = [_uniform("x0", 0, 10), _uniform("x1", 5, 7)]

    def linear(values, draws):
        return [SelectedOutput("y", "1", 3 * values[:, 0] - 2 * values[:, 1])]

    result = run_design("morris", params, linear, runs=20 * 3, seed=5, levels=6)
    table = result.table.set_index(["parameter", "index"])["value"]
    assert table[("x0", "mu_star")] == pytest.approx(30.0)
    assert table[("x1", "mu_star")] == pytest.approx(4.0)
    assert table[("x1", "mu")] == pytest.approx(-4.0)
    assert table[("x0", "sigma")] == pytest.approx(0.0, abs=1e-9)


def test_morris_levels_are_bin_centres_so_an_unbounded_normal_stays_finite():
    params = [UncertainParameter("z", Normal(dist="normal", mean=0.0, sd=1.0))]
    seen = {}

    def record(values, draws):
        seen["values"], seen["draws"] = values, draws
        return [SelectedOutput("y", "1", values[:, 0])]

    run_design("morris", params, record, runs=10, seed=1, levels=4)
    # Levels at probabilities 1/8, 3/8, 5/8, 7/8 of the standard normal.
    from scipy.stats import norm

    allowed = norm.ppf([1 / 8, 3 / 8, 5 / 8, 7 / 8])
    assert np.isfinite(seen["values"]).all()
    assert all(np.isclose(v, allowed).any() for v in seen["values"][:, 0])
    # One draw per trajectory (two rows each for one parameter).
    np.testing.assert_array_equal(seen["draws"], np.repeat(np.arange(5), 2))


def test_an_output_undefined_in_some_run_is_left_out_with_a_note():
    params = [_uniform("x", 0, 1)]

    def outputs(values, draws):
        y = values[:, 0].copy()
        y[0] = np.nan
        return [SelectedOutput("price", "CNY/kg", y), SelectedOutput("flat", "1", np.ones(len(y))),
                SelectedOutput("x", "1", values[:, 0])]

    result = run_design("sobol", params, outputs, runs=8 * 3, seed=0)
    assert set(result.table["output"]) == {"x"}
    assert any("price: undefined (NaN) in 1 of 24 runs" in n for n in result.notes)
    assert any(n.startswith("flat: the same in every run") for n in result.notes)


def test_budgets_too_small_for_a_design_are_refused_with_the_minimum():
    params = [_uniform(f"x{i}", 0, 1) for i in range(3)]
    with pytest.raises(SimError, match=r"needs at least 8 x \(3 \+ 2\) = 40 runs \(got 39\)"):
        sobol_design(params, 39, seed=0)
    with pytest.raises(SimError, match=r"needs at least 2 x \(3 \+ 1\) = 8 runs \(got 7\)"):
        morris_design(params, 7, levels=4, seed=0)
    with pytest.raises(SimError, match="at least 2 levels"):
        morris_design(params, 80, levels=1, seed=0)
