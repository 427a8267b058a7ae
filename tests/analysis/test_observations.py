"""The observations file is read strictly; each entry knows its range, point and model quantity."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest
import xarray as xr

from sim.analysis.observations import DEFAULT_OBSERVED, load_observations, simulated
from sim.errors import ScenarioError

ENTRY = """
[stations_2022]
quantity = "stations operating"
year = 2022
value = 10.0
unit = "stations"
source = "Hydrogen Insight, late Nov 2022"
source_short = "HI 2022"
scope = "Beijing"
confidence = "medium"
role = "calibration"
variable = "stations_operating"
"""


def _write(tmp_path, text: str):
    path = tmp_path / "observed.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_the_shipped_file_loads_and_holds_the_required_observations():
    obs = load_observations(DEFAULT_OBSERVED)
    wanted = {"beijing_stations_2022": "stations_operating", "beijing_fcv_2022": "fcv_fleet",
              "h2_pump_price_2022": "h2_price_mean", "beijing_abovescale_industrial_2022": "firms_above_size",
              "beijing_abovescale_industrial_revenue_2022": "above_size_revenue_cny",
              "beijing_software_revenue_2021": "sector_revenue_start_cny", "beijing_srdi_2022": "srdi_firms",
              "beijing_srdi_2023": "srdi_firms", "beijing_little_giants_2022": "little_giants",
              "beijing_little_giants_2023": "little_giants", "exit_rate_age_0": "exit_rate_by_age",
              "zipf_exponent": "zipf_exponent", "cn_digital_human_core_2022": "digital_human_revenue_cny"}
    for key, variable in wanted.items():
        assert obs[key].variable == variable, key
    # Holdouts are 2024 and later; calibration observations are up to 2023.
    for key, o in obs.items():
        if o.year is not None and o.role == "holdout":
            assert o.year >= 2024, key
        if o.year is not None and o.role == "calibration":
            assert o.year <= 2023, key
    # The 2023 专精特新 count is the year-end one (Xinhua 2024-01-22); September's is a lower bound.
    assert obs["beijing_srdi_2023"].value == 7180.0
    assert obs["beijing_srdi_2023_sep"].lower == 6323.0 and obs["beijing_srdi_2023_sep"].point is None
    assert obs["beijing_abovescale_industrial_2022"].select == {"sector": ["advanced_manufacturing", "hydrogen"]}
    assert any(k.startswith("lpr_") for k in obs)


def test_range_point_and_bounds(tmp_path):
    path = _write(tmp_path, ENTRY.replace("value = 10.0", "low = 55.0\nhigh = 60.0"))
    o = load_observations(path)["stations_2022"]
    assert (o.lower, o.upper, o.point) == (55.0, 60.0, 57.5)
    o = load_observations(_write(tmp_path, ENTRY.replace("value = 10.0", "high = 12.0")))["stations_2022"]
    assert o.lower == -math.inf and o.upper == 12.0 and o.point is None and o.observed_text() == "<= 12"


@pytest.mark.parametrize("change,fragment", [
    (("unit = ", 'note = "x"\nunit = '), "observed.toml: stations_2022.note: unknown key; allowed: quantity, year, value, low, high, unit, source"),
    (('source = "Hydrogen Insight, late Nov 2022"\n', ""), "observed.toml: stations_2022.source: Field required"),
    (("value = 10.0", "low = 12.0\nhigh = 8.0"), "observed.toml: stations_2022: need low <= high (got low=12.0, high=8.0)"),
    (("value = 10.0", "value = 10.0\nlow = 11.0"), "stations_2022: value (=10.0) must lie within [low, high]"),
    (("value = 10.0\n", ""), "stations_2022: give `value`, or an observed range"),
    (('role = "calibration"', 'role = "fit"'), "stations_2022.role: Input should be 'calibration', 'holdout' or 'context'"),
    (('variable = "stations_operating"\n', ""), "stations_2022: a calibration observation needs `variable`"),
    (('confidence = "medium"', 'confidence = "sure"'), "stations_2022.confidence: Input should be 'high', 'medium' or 'low'"),
])
def test_broken_entries_are_refused_with_one_line_naming_file_and_key(tmp_path, change, fragment):
    path = _write(tmp_path, ENTRY.replace(*change))
    with pytest.raises(ScenarioError) as info:
        load_observations(path)
    assert len(info.value.problems) == 1 and fragment in info.value.problems[0], info.value.problems


def _dataset() -> xr.Dataset:
    draws = np.arange(4)
    firms = np.ones((4, 2, 3))  # 1 firm per draw, year and sector
    return xr.Dataset(
        {"firms_above_size": (("draw", "year", "sector"), firms),
         "start_revenue": (("draw", "sector"), np.full((4, 3), 2.0)),
         "exit_rate": (("draw", "year", "age"), np.full((4, 2, 3), 0.05))},
        coords={"draw": draws, "year": [2022, 2023], "sector": ["a", "b", "c"], "age": [0, 1, 2]},
        attrs={"first_year": 2022},
    )


def test_simulated_selects_reduces_and_transforms(tmp_path):
    base = ENTRY.replace('variable = "stations_operating"', 'variable = "firms_above_size"')
    o = load_observations(_write(tmp_path, base + 'select = { sector = ["a", "b"] }\n'))["stations_2022"]
    assert simulated(_dataset(), o).values.tolist() == [2.0] * 4  # 1 + 1 firms, sectors a and b
    o = load_observations(_write(tmp_path, base.replace("year = 2022\n", "")))["stations_2022"]
    assert simulated(_dataset(), o).values.tolist() == [3.0] * 8  # every year pooled: 4 draws x 2 years
    rate = ENTRY.replace('variable = "stations_operating"', 'variable = "exit_rate"') + (
        'select = { age = 0 }\nreduce = "mean"\ntransform = "percent"\n')
    o = load_observations(_write(tmp_path, rate))["stations_2022"]
    assert simulated(_dataset(), o).values == pytest.approx([5.0] * 4)


def test_a_variable_without_year_describes_the_year_before_the_first(tmp_path):
    text = ENTRY.replace('variable = "stations_operating"', 'variable = "start_revenue"')
    o = load_observations(_write(tmp_path, text.replace("year = 2022", "year = 2021")))["stations_2022"]
    assert simulated(_dataset(), o).values.tolist() == [6.0] * 4
    o = load_observations(_write(tmp_path, text))["stations_2022"]
    assert simulated(_dataset(), o).reason == "'start_revenue' describes 2021, not 2022"


@pytest.mark.parametrize("extra,reason", [
    ('variable = "no_such"', "no variable 'no_such' in the results"),
    ('variable = "firms_above_size"\nselect = { sector = "z" }', "no sector z in 'firms_above_size'"),
    ('variable = "firms_above_size"\nselect = { age = 1 }', "'firms_above_size' has no dimension 'age'"),
    ('variable = "firms_above_size"\nyear = 2030', "2030 outside the results' years 2022-2023"),
])
def test_what_the_results_do_not_hold_is_a_reason_never_an_error(tmp_path, extra, reason):
    text = ENTRY.replace('variable = "stations_operating"\n', "")
    if "year = 2030" in extra:
        text = text.replace("year = 2022\n", "")
    o = load_observations(_write(tmp_path, text + extra + "\n"))["stations_2022"]
    result = simulated(_dataset(), o)
    assert result.values is None and result.reason == reason
