"""Runs at given parameter values (designs) through the ensemble machinery."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import SimError
from sim.runner.design import ParameterDesign
from sim.runner.run import run_scenario
from sim.scenario.loader import load_scenario

PATH = "projects.streams.hydrogen.6.first_of_kind_domestic.arrivals_per_year"


@pytest.fixture(scope="module")
def loaded(minimal_path):
    return load_scenario(minimal_path)


def test_given_values_replace_the_draws_and_are_recorded(loaded):
    design = ParameterDesign((PATH,), np.array([[1.5], [3.5], [1.5]]), np.array([0, 0, 1]))
    ds = run_scenario(loaded, draws=design)
    np.testing.assert_array_equal(ds["parameter_value"].sel(parameter=PATH).values, [1.5, 3.5, 1.5])


def test_a_run_with_a_drawn_value_given_back_is_the_ordinary_draw(loaded):
    plain = run_scenario(loaded, draws=3)
    drawn = plain["parameter_value"].sel(parameter=PATH).values
    design = ParameterDesign((PATH,), drawn[[2, 0]].reshape(2, 1), np.array([2, 0]))
    ds = run_scenario(loaded, draws=design)
    np.testing.assert_array_equal(ds["outlay"].values, plain["outlay"].values[[2, 0]])


def test_a_design_gives_the_same_outputs_on_one_or_two_workers(loaded):
    rng = np.random.default_rng(0)
    design = ParameterDesign((PATH,), rng.uniform(1, 4, size=(6, 1)), np.array([0, 0, 1, 1, 2, 2]))
    one = run_scenario(loaded, draws=design, workers=1)
    two = run_scenario(loaded, draws=design, workers=2)
    np.testing.assert_array_equal(one["outlay"].values, two["outlay"].values)


def test_a_design_of_the_wrong_shape_is_refused():
    with pytest.raises(SimError, match=r"values have shape \(2, 1\), expected \(3, 1\)"):
        ParameterDesign((PATH,), np.zeros((2, 1)), np.arange(3))
