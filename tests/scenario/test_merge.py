"""The one recursive merge (sim/scenario/merge.py): tables merge, values, arrays and distributions replace."""

from __future__ import annotations

import pytest

from sim.scenario.loader import load_scenario
from sim.scenario.merge import merge_tables
from sim.scenario.parameters import Normal, Uniform

TRUNCATED = '{ dist = "normal", mean = 0.05, sd = 0.02, low = 0.0, high = 0.1 }'


def test_tables_merge_key_by_key_and_values_and_arrays_replace():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    out = merge_tables(base, {"a": {"y": [3]}, "c": 3})
    assert out == {"a": {"x": 1, "y": [3]}, "b": 2, "c": 3}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 2}  # the base is not modified


def test_a_distribution_replaces_a_distribution_whole():
    base = {"p": {"dist": "normal", "mean": 1.0, "sd": 0.1, "low": 0.0, "high": 2.0}}
    out = merge_tables(base, {"p": {"dist": "normal", "mean": 0.3, "sd": 0.01}})
    assert out == {"p": {"dist": "normal", "mean": 0.3, "sd": 0.01}}


def test_a_replaced_distribution_drops_the_provenance_of_the_parents_keys():
    prov = {("p",): "base", ("p", "dist"): "base", ("p", "low"): "base"}
    merge_tables({"p": {"dist": "normal", "mean": 1.0, "sd": 0.1, "low": 0.0}},
                 {"p": {"dist": "normal", "mean": 0.3, "sd": 0.01}}, "top", prov)
    assert prov == {("p",): "top", ("p", "dist"): "top", ("p", "mean"): "top", ("p", "sd"): "top"}


def test_replaced_keys_replace_their_tables_whole():
    base = {"plan": {"by_year": {"2023": 1, "2025": 2}}}
    out = merge_tables(base, {"plan": {"by_year": {"2027": 3}}}, replaced={"by_year"})
    assert out == {"plan": {"by_year": {"2027": 3}}}


def _chain(write_scenario, parent_value: str, child_value: str):
    write_scenario("parent.toml", f"""
        extends = "@minimal"
        name = "parent"
        [firms.behaviour.software_it]
        drift = {parent_value}
        """)
    child = write_scenario("child.toml", f"""
        extends = "parent.toml"
        name = "child"
        [firms.behaviour.software_it]
        drift = {child_value}
        """)
    return load_scenario(child).scenario.firms.behaviour["software_it"].drift


def test_a_childs_normal_over_a_parents_truncated_normal_has_no_bounds(write_scenario):
    value = _chain(write_scenario, TRUNCATED, '{ dist = "normal", mean = 0.3, sd = 0.01 }')
    assert value == Normal(dist="normal", mean=0.3, sd=0.01)
    assert value.low is None and value.high is None


def test_a_childs_uniform_over_a_parents_normal_validates(write_scenario):
    value = _chain(write_scenario, TRUNCATED, '{ dist = "uniform", low = 0.0, high = 0.2 }')
    assert value == Uniform(dist="uniform", low=0.0, high=0.2)


@pytest.mark.parametrize(("parent", "child", "expected"), [
    (TRUNCATED, "0.07", 0.07),
    ("0.07", '{ dist = "uniform", low = 0.0, high = 0.2 }', Uniform(dist="uniform", low=0.0, high=0.2)),
])
def test_a_number_and_a_distribution_replace_each_other(write_scenario, parent, child, expected):
    assert _chain(write_scenario, parent, child) == expected
