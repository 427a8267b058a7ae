"""Outputs chosen by variable, year and coordinate, on a hand-made results dataset."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from sim.analysis.selection import select_outputs
from sim.errors import SimError


@pytest.fixture
def ds() -> xr.Dataset:
    draws, years, programs = 3, [2024, 2025], ["hydrogen.13.construction_grant", "hydrogen.13.operating_subsidy",
                                                "scaleup.2.reward"]
    outlay = np.arange(3 * 2 * 3, dtype=float).reshape(3, 2, 3)  # outlay[d, y, p] = 6d + 3y + p
    return xr.Dataset(
        {"outlay": (("draw", "year", "program"), outlay, {"units": "CNY"}),
         "stations_operating": (("draw", "year"), np.array([[1, 2], [3, 4], [5, 6]]), {"units": "stations"}),
         "h2_price_mean": (("draw", "year"), np.array([[30.0, 20.0], [40.0, 30.0], [50.0, 10.0]]),
                           {"units": "CNY/kg"}),
         "station_capacity_kg": (("draw", "station"), np.ones((3, 2)), {"units": "kg"}),
         "discount_factor": (("year",), np.array([1.0, 0.5]), {"units": "1"})},
        coords={"draw": np.arange(draws), "year": years, "program": programs, "station": [0, 1]})


def values(ds, spec):
    (out,) = select_outputs(ds, [spec])
    return out.values


def test_a_variable_at_a_year(ds):
    np.testing.assert_array_equal(values(ds, "stations_operating@2025"), [2, 4, 6])


def test_unselected_dimensions_are_summed_for_amounts(ds):
    # Draw 0: outlay 0..5 over two years and three programmes, in all 15.
    assert values(ds, "outlay")[0] == 15
    # Year 2025 (index 1), the two hydrogen.13 programmes: 3 + 4 in draw 0, 9 + 10 in draw 1.
    np.testing.assert_array_equal(values(ds, "outlay@2025:program=hydrogen.13.*"), [7, 19, 31])


def test_prices_are_averaged_not_summed(ds):
    np.testing.assert_array_equal(values(ds, "h2_price_mean"), [25.0, 35.0, 30.0])


def test_total_exposure_and_its_present_value(ds):
    # Draw d holds 6d..6d+5: sums 15, 51, 87.
    np.testing.assert_array_equal(values(ds, "total_exposure_cny"), [15, 51, 87])
    # Draw 0: 0 + 1 + 2 in 2024 at 1.0, 3 + 4 + 5 in 2025 at 0.5: 3 + 6 = 9.
    assert values(ds, "total_exposure_pv_cny")[0] == 9


def test_target_attainment_is_one_per_draw_that_reaches_it():
    from sim.analysis.targets import all_targets

    target = next(t for t in all_targets() if t.id == "plan.hrs_2025.stations")
    counts = np.array([target.value - 1, target.value, target.value + 5])
    ds = xr.Dataset({"stations_operating": (("draw", "year"), counts[:, None], {"units": "stations"})},
                    coords={"draw": [0, 1, 2], "year": [2025]})
    expected = (counts >= target.value) if target.comparison == ">=" else (counts > target.value)
    np.testing.assert_array_equal(values(ds, "target:plan.hrs_2025.stations"), expected.astype(float))


@pytest.mark.parametrize("spec, fragment", [
    ("stations@2025", "--output stations@2025: unknown output; allowed: a variable outlay, stations_operating"),
    ("outlay@2031", "--output outlay@2031: year '2031' is not in the results; allowed: 2024..2025"),
    ("outlay@next", "year 'next' is not in the results"),
    ("station_capacity_kg@2025", "station_capacity_kg has no year dimension; drop @2025"),
    ("outlay:payer=x", "'payer=x' is not DIM=VALUE with a dimension of outlay; allowed: program"),
    ("outlay:program=software.*", "program=software.* matches no program; allowed: hydrogen.13.construction_grant"),
    ("stations_operating:program=x", "allowed: none (it has only draw and year)"),
    ("target:plan.nothing", "'plan.nothing' is not a target; allowed: target:plan.hrs_2025.stations"),
])
def test_a_bad_output_is_one_line_naming_what_is_allowed(ds, spec, fragment):
    with pytest.raises(SimError) as info:
        select_outputs(ds, [spec])
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_a_headline_substring_still_selects_headlines(ds):
    labels = [o.label for o in select_outputs(ds, ["all programmes"])]
    assert labels == ["fiscal outlay, all programmes", "fiscal outlay, all programmes (PV)"]
