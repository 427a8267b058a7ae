"""Validation messages (sim/messages.py): key paths, unknown keys, dates and quoted values."""

from __future__ import annotations

import pytest

from sim.errors import ScenarioError
from sim.messages import MAX_VALUE_CHARS, describe, key_path, problem_line, shown_value, unknown_key
from sim.scenario.loader import load_scenario


def test_key_paths_quote_keys_holding_dots():
    assert key_path(("instruments", "hydrogen.13.x", "rate", 0)) == 'instruments."hydrogen.13.x".rate.0'


def test_unknown_key_suggests_the_closest_allowed_key():
    assert unknown_key("seeed", ["draws", "seed"]) == "unknown key (did you mean 'seed'?); allowed: draws, seed"
    assert unknown_key("zzz", ["draws", "seed"]) == "unknown key; allowed: draws, seed"
    assert unknown_key("sector", []) == "unknown key; allowed: none"


def test_a_quoted_date_is_explained():
    error = {"type": "date_type", "loc": ("valid_from",), "msg": "Input should be a valid date", "input": "2030-12-31"}
    assert describe(error) == "must be a TOML date, written without quotes (e.g. 2030-12-31)"


def test_value_errors_lose_pydantics_prefix_and_show_the_value():
    error = {"type": "value_error", "loc": ("x",), "msg": "Value error, must be >= 0", "input": -1}
    assert problem_line("a.toml", "x", error) == "a.toml: x: must be >= 0 (got -1)"
    assert problem_line("a.toml", "x", error, show_value=False) == "a.toml: x: must be >= 0"


def test_long_values_are_cut_to_about_80_characters():
    # 200 characters of repr cut to 79 and an ellipsis: 80 in all inside "(got ...)".
    text = shown_value("x" * 198)
    assert text == " (got '" + "x" * (MAX_VALUE_CHARS - 2) + "…)"
    assert len(text) == len(" (got )") + MAX_VALUE_CHARS
    assert shown_value("short") == " (got 'short')"


def test_a_long_wrong_value_in_a_scenario_is_cut_in_the_message(write_scenario):
    path = write_scenario("long.toml", f'extends = "@minimal"\n[ensemble]\nseed = "{"9" * 300}"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    [line] = info.value.problems
    assert line.startswith(f"{path}: ensemble.seed: ") and line.endswith("…)")
    assert len(line) < len(str(path)) + 150
