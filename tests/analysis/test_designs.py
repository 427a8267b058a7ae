"""Saltelli and Morris designs, checked on analytic functions through the code path `sim` uses."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
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


def test_grouped_sobol_indices_of_the_ishigami_function_are_those_of_its_additive_parts():
    # f = g(x1, x3) + h(x2): the group {x1, x3} has S1 = ST = (V1 + V13) / V, and x2 alone V2 / V.
    params = [_uniform(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)]
    groups = ["x1 and x3", "x2", "x1 and x3"]
    result = run_design("sobol", params, _ishigami, runs=2048 * 4, seed=3, groups=groups)
    assert result.base == 2048 and result.unit.shape == (2048 * 4, 3) and result.groups == groups
    exact = _ishigami_indices()
    expected = {"x1 and x3": exact[("x1", "ST")], "x2": exact[("x2", "ST")]}
    table = result.table.set_index(["parameter", "index"])
    assert set(result.table["parameter"]) == set(expected)
    for group, value in expected.items():
        for index in ("S1", "ST"):
            est, conf = table.loc[(group, index), "value"], table.loc[(group, index), "conf"]
            assert 0 < conf < 0.1 and abs(est - value) <= conf, (group, index, est, value, conf)


def test_a_grouped_saltelli_block_has_one_row_per_group_and_moves_a_group_s_columns_together():
    params = [_uniform(f"x{i}", 0, 1) for i in range(4)]
    unit, draws, base = sobol_design(params, runs=8 * 4, seed=0, groups=["a", "a", "b", "b"])
    assert base == 8 and unit.shape == (32, 4)
    blocks = unit.reshape(8, 4, 4)  # A, AB_a, AB_b, B
    a, ab_a, b = blocks[:, 0], blocks[:, 1], blocks[:, 3]
    np.testing.assert_array_equal(ab_a[:, :2], b[:, :2])
    np.testing.assert_array_equal(ab_a[:, 2:], a[:, 2:])
    np.testing.assert_array_equal(draws.reshape(8, 4)[:, 3], 2 * np.arange(8) + 1)
    with pytest.raises(SimError, match=r"a Sobol analysis of 2 group\(s\) needs at least 8 x \(2 \+ 2\) = 32 runs"):
        sobol_design(params, runs=31, seed=0, groups=["a", "a", "b", "b"])


def test_grouped_morris_moves_a_group_at_a_step_and_scores_the_group():
    params = [_uniform("x0", 0, 10), _uniform("x1", 0, 10), _uniform("x2", 5, 7)]

    def linear(values, draws):
        return [SelectedOutput("y", "1", 3 * values[:, 0] + 1 * values[:, 1] - 2 * values[:, 2])]

    result = run_design("morris", params, linear, runs=20 * 3, seed=5, levels=6, groups=["g", "g", "x2"])
    assert result.unit.shape == (60, 3)
    table = result.table.set_index(["parameter", "index"])["value"]
    assert set(result.table["parameter"]) == {"g", "x2"}
    assert table[("x2", "mu_star")] == pytest.approx(4.0)
    assert table[("g", "mu_star")] > table[("x2", "mu_star")]


def test_the_convergence_table_reanalyses_the_first_eighth_quarter_half_and_whole_design():
    params = [_uniform(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)]
    result = run_design("sobol", params, _ishigami, runs=256 * 5, seed=3)
    conv = result.convergence
    assert sorted(conv["base"].unique()) == [32, 64, 128, 256]
    assert sorted(conv["runs"].unique()) == [160, 320, 640, 1280]
    whole = conv[conv["base"] == 256].drop(columns=["base", "runs"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(whole, result.table.reset_index(drop=True), check_dtype=False)
    # Intervals narrow as the sample grows (about 1 / sqrt(N): a factor ~2.8 from N/8 to N).
    st = conv[(conv["parameter"] == "x1") & (conv["index"] == "ST")].set_index("base")["conf"]
    assert st[256] < st[32] / 1.5
    # Sub-samples below the design's minimum are left out; Morris sub-samples are trajectories.
    small = run_design("sobol", params, _ishigami, runs=16 * 5, seed=3).convergence
    assert sorted(small["base"].unique()) == [8, 16]
    morris = run_design("morris", params, _ishigami, runs=16 * 4, seed=3).convergence
    assert sorted(morris["base"].unique()) == [2, 4, 8, 16]
