"""Overrides from Python (sim.run(path, overrides=..., name=...); sim/scenario/overrides.py): dotted keys
become the tables a file would hold, and the loader validates them as it validates a file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.errors import ArgumentError, ScenarioError
from sim.scenario.overrides import override_tables

GALLERY = Path(__file__).parent / "gallery"
#: A small scenario with stations, so the hydrogen programmes are claimed.
BASE = GALLERY / "_base.toml"
SUBSIDY = "hydrogen.13.operating_subsidy"


@pytest.mark.parametrize("overrides", [
    {f"instruments.{SUBSIDY}.rate_cny_per_kg": 15},
    {f'instruments."{SUBSIDY}".rate_cny_per_kg': 15},
    {"instruments": {SUBSIDY: {"rate_cny_per_kg": 15}}},
    {f"instruments.{SUBSIDY}": {"rate_cny_per_kg": 15}},
    {f"instruments.{SUBSIDY}.rate_cny_per_kg": np.int64(15)},
])
def test_every_spelling_of_a_key_gives_the_same_tables(overrides):
    assert override_tables(overrides) == {"instruments": {SUBSIDY: {"rate_cny_per_kg": 15}}}


def test_keys_merge_and_values_keep_their_kinds():
    tables = override_tables({"horizon.first_year": 2023, "horizon": {"last_year": 2027},
                              f"projects.streams.{SUBSIDY}.arrivals_per_year": [1, 2],
                              f"instruments.{SUBSIDY}.valid_until": dt.date(2026, 12, 31)})
    assert tables == {"horizon": {"first_year": 2023, "last_year": 2027},
                      "projects": {"streams": {SUBSIDY: {"arrivals_per_year": [1, 2]}}},
                      "instruments": {SUBSIDY: {"valid_until": dt.date(2026, 12, 31)}}}


@pytest.mark.parametrize("overrides, message", [
    ([("horizon.last_year", 2027)], "overrides: must be a dict of key paths to values, e.g. {'horizon.last_year': 2027} "
                                    "(got list)"),
    ({5: 1}, "overrides: keys must be text, dotted key paths such as 'horizon.last_year' (got int 5)"),
    ({"horizon..last_year": 1}, "overrides: key 'horizon..last_year': empty segment in path 'horizon..last_year'"),
    ({"horizon.last_year": None}, "overrides: horizon.last_year: None is not a value a scenario file can hold; give a "
                                  "number, text, true/false, a date, a list or a table"),
    ({"horizon.last_year": 2027, "horizon": {"last_year": 2026}},
     "overrides: horizon: sets last_year that another key of the overrides sets too (a dotted key and a table "
     "holding it); give it once"),
    ({"extends": "other.toml"}, "overrides: extends: not allowed in overrides; they are written over the scenario "
                                "file given"),
])
def test_malformed_overrides_are_one_line_argument_errors(overrides, message):
    with pytest.raises(ArgumentError) as info:
        sim.load_scenario(BASE, overrides)
    assert str(info.value) == message


@pytest.mark.parametrize("overrides, lines", [
    ({"horizon.last_yaer": 2024},
     ["overrides: horizon.last_yaer: unknown key (did you mean 'last_year'?); allowed: first_year, last_year"]),
    ({f"instruments.{SUBSIDY}.rate_cny_per_kg": -1},
     [f'overrides: instruments."{SUBSIDY}".rate_cny_per_kg: Input should be greater than or equal to 0 (got -1)']),
    ({"instruments.hydrogen.13.operating_subsidi.rate_cny_per_kg": 5},
     ['overrides: instruments."hydrogen.13.operating_subsidi": unknown instrument id (did you mean '
      f"'{SUBSIDY}'?); run `sim policies` for the ids"]),
    # Two problems: both reported, one line each.
    ({"ensemble.seed": -1, "horizon.first_year": 2025},
     ["overrides: horizon: last_year (=2024) must be >= first_year (=2025)",
      "overrides: ensemble.seed: Input should be greater than or equal to 0 (got -1)"]),
])
def test_bad_overrides_are_refused_as_a_file_is_naming_the_key(overrides, lines):
    with pytest.raises(ScenarioError) as info:
        sim.run(BASE, overrides=overrides)
    assert sorted(info.value.problems) == sorted(lines)


def test_sim_run_with_overrides_and_a_name(tmp_path):
    plain = sim.run(BASE)
    key = f"instruments.{SUBSIDY}.rate_cny_per_kg"
    ds = sim.run(BASE, overrides={key: 15}, name="subsidy_15")
    assert ds.attrs["scenario"] == "subsidy_15" and plain.attrs["scenario"] == "gallery_base"
    assert float(ds["program_rate_cny_per_kg"].sel(program=SUBSIDY)) == 15.0
    assert float(plain["program_rate_cny_per_kg"].sel(program=SUBSIDY)) == 10.0
    assert float(ds["outlay"].sel(program=SUBSIDY).sum()) > float(plain["outlay"].sel(program=SUBSIDY).sum())
    import json

    changes = {k: (old, new) for k, old, new in json.loads(ds.attrs["scenario_changes"])}
    assert changes == {f'instruments."{SUBSIDY}".rate_cny_per_kg': (None, 15), "name": ("gallery_base", "subsidy_15")}
    # The resolved scenario runs to the same numbers (as for a file).
    resolved = tmp_path / "resolved.toml"
    resolved.write_text(ds.attrs["scenario_resolved"], encoding="utf-8")
    again = sim.run(resolved)
    assert again.attrs["scenario"] == "subsidy_15"
    np.testing.assert_array_equal(again["outlay"].values, ds["outlay"].values)


@pytest.mark.parametrize("kwargs, message", [
    ({"name": 5}, "name must be text, the scenario's name (got int)"),
    ({"name": "a", "overrides": {"name": "b"}}, "name: given both as name= and in overrides; give it once"),
])
def test_name_is_checked(kwargs, message):
    with pytest.raises(ArgumentError) as info:
        sim.run(BASE, **kwargs)
    assert str(info.value) == message


def test_a_name_that_is_a_path_is_refused_as_in_a_file():
    with pytest.raises(ScenarioError) as info:
        sim.run(BASE, name="../x")
    assert info.value.problems == ["overrides: name: must be a name (letters, digits, '-', '_', '.'; not '.', no '..'), "
                                   "not a path (got '../x')"]


def test_a_loaded_scenario_takes_no_overrides():
    loaded = sim.load_scenario(BASE, {f"instruments.{SUBSIDY}.rate_cny_per_kg": 15}, name="s15")
    assert loaded.scenario.name == "s15" and loaded.policy.get(SUBSIDY).instrument.rate_cny_per_kg == 15
    with pytest.raises(ArgumentError, match="overrides and name need a scenario file's path"):
        sim.run(loaded, overrides={"horizon.last_year": 2024})
