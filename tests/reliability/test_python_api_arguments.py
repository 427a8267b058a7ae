"""The Python API checks its arguments as the command line does (issue 24, Deliver 6): a wrong type or
range raises ArgumentError (a SimError and a ValueError) with the words of `sim run`, before any draw."""

from __future__ import annotations

import warnings

import pytest

import sim
from sim.errors import ArgumentError, SimError


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"draws": "5"}, "draws must be a whole number in 1..10,000,000 (got '5')"),
    ({"draws": 2.5}, "draws must be a whole number in 1..10,000,000 (got 2.5)"),
    ({"draws": True}, "draws must be a whole number in 1..10,000,000 (got True)"),
    ({"draws": 10**12}, "draws must be a whole number in 1..10,000,000 (got 1000000000000)"),
    ({"draws": 0}, "draws must be a whole number in 1..10,000,000 (got 0)"),
    ({"seed": -1}, "seed must be a whole number in 0..2**63-1 (got -1)"),
    ({"seed": "abc"}, "seed must be a whole number in 0..2**63-1 (got 'abc')"),
    ({"seed": 2**70}, "seed must be a whole number in 0..2**63-1 (got 1180591620717411303424)"),
    ({"workers": 0}, "workers must be a whole number >= 1 (got 0)"),
    ({"workers": "2"}, "workers must be a whole number >= 1 (got '2')"),
    ({"threads": 0}, "threads must be a whole number >= 1 (got 0)"),
])
def test_bad_arguments_of_run_raise_one_line(minimal_path, kwargs, message):
    with pytest.raises(ArgumentError) as info:
        sim.run(minimal_path, **kwargs)
    assert str(info.value) == message
    assert isinstance(info.value, SimError)


def test_a_scenario_of_the_wrong_type_is_refused():
    with pytest.raises(ArgumentError, match="scenario must be a scenario file's path or a loaded scenario"):
        sim.run(42)


def test_workers_beyond_the_draws_are_cut_with_a_warning(minimal):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = sim.run(minimal, draws=2, workers=10**6)
    assert ds.sizes["draw"] == 2
    assert [str(w.message) for w in caught if w.category.__name__ == "WorkersCapped"] == [
        "--workers: 1,000,000 asked, 2 used (one per draw)"]


def test_numpy_integers_are_whole_numbers(minimal):
    import numpy as np

    ds = sim.run(minimal, draws=np.int64(2), seed=np.int64(7))
    assert ds.sizes["draw"] == 2 and ds.attrs["seed"] == 7
