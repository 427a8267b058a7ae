"""Numbers are finite: overflowing values are refused by ``sim validate`` with the allowed range,
a run that still overflows stops naming the draw, and a parameter under ``extends`` is replaced
whole (issue 11, item 6)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sim.core.finite import check_finite
from sim.errors import NumericalError, ScenarioError
from sim.scenario.loader import load_scenario
from sim.scenario.parameters import draw_value

REPO = Path(__file__).resolve().parents[2]
MINIMAL = REPO / "scenarios" / "minimal.toml"
GALLERY = REPO / "tests" / "scenario" / "gallery"


def _sim(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True, timeout=300,
                          env=env, cwd=cwd)


def _scenario(tmp_path: Path, body: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'extends = "{MINIMAL}"\n{body}', encoding="utf-8")
    return path


@pytest.mark.parametrize(("body", "line"), [
    ("[firms.behaviour.software_it]\ndrift = 20\n",
     "firms.behaviour.software_it.drift: 20 is out of range; allowed: values in [-5, 5] (log growth a year) (got 20)"),
    ("[firms.growth]\nsupport_elasticity = 1e300\n",
     "firms.growth.support_elasticity: 1e+300 is out of range; allowed: values in [-10, 10] (got 1e+300)"),
    ('[projects.streams."software.6.data_centre_green_retrofit"]\nsize_median_cny = 1e308\n',
     'projects.streams."software.6.data_centre_green_retrofit".size_median_cny: 1e+308 is out of range; '
     "allowed: values in [0, 1e+15] (got 1e+308)"),
    ("[firms.loans]\nloan_rate_percent = 1e9\n",
     "firms.loans.loan_rate_percent: 1e+09 is out of range; allowed: values in [0, 100] percent a year (got 1000000000.0)"),
    ("[firms.growth]\nmax_volatility = 1e10\n",
     "firms.growth.max_volatility: Input should be less than or equal to 5 (got 10000000000.0)"),
    ('[instruments."scaleup.2.first_above_size_last_year"]\nbase_amount_cny = 1e300\n',
     'instruments."scaleup.2.first_above_size_last_year".base_amount_cny: Input should be less than or equal to 1000000000000000 (got 1e+300)'),
    # An unbounded distribution is checked over mean ± 6 sd: a normal drift of sd 1 reaches 6.1.
    ('[firms.behaviour.software_it]\ndrift = { dist = "normal", mean = 0.1, sd = 1.0 }\n',
     "firms.behaviour.software_it.drift: a normal distribution here draws values in [-5.9, 6.1]; "
     "allowed: values in [-5, 5] (log growth a year)"),
    ('[firms.population.software_it]\ncount = 10\nbody_median_cny = { dist = "lognormal", median = 1e6, sigma = 5 }\n',
     "firms.population.software_it.body_median_cny: a lognormal distribution here draws values in "
     "[9.35762e-08, 1.06865e+19]; allowed: values in (0, 1e+15]"),
])
def test_validate_refuses_an_overflowing_value_with_the_allowed_range(tmp_path, body, line):
    path = _scenario(tmp_path, body)
    proc = _sim("validate", str(path))
    assert proc.returncode == 2
    (got,) = proc.stderr.splitlines()
    assert got.startswith(f"{path}: {line}")


def test_every_shipped_scenario_is_within_the_bounds():
    files = sorted((REPO / "scenarios").glob("*.toml")) + sorted((REPO / "calibration").glob("fitted_*.toml"))
    assert len(files) >= 10
    for path in files:
        load_scenario(path)
    load_scenario(GALLERY / "_base.toml")


def test_a_run_that_still_overflows_stops_naming_the_draw_and_writes_nothing(tmp_path):
    # Each value is within its bounds, together they overflow: a reward of 1e15 CNY to a firm of
    # about 20,000,000 CNY, with growth responding ten times to support relative to revenue,
    # is exp(5e8) the next year.
    path = _scenario(tmp_path, (
        '[firms.growth]\nsupport_elasticity = { dist = "uniform", low = 9, high = 10 }\n'
        '[instruments."scaleup.2.first_above_size_last_year"]\nbase_amount_cny = 1e15\n'))
    assert _sim("validate", str(path)).returncode == 0
    out = tmp_path / "out"
    proc = _sim("run", str(path), "--out", str(out), "--quiet", "--draws", "2")
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"{path}: draw 0 gave inf in sector_revenue_cny (year 2024, sector ")
    assert "parameters drawn: firms.growth.support_elasticity = 9." in line
    assert "no output was written" in line
    assert not out.exists()
    # No staging folder left either (finished draws may stay in .out.chunks for --resume).
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".chunks")) == ["s.toml"]


def _dataset(values, nan_name="price"):
    return xr.Dataset(
        {"outlay": (("draw", "year"), np.asarray(values, dtype=float)),
         nan_name: (("draw", "year"), np.full((2, 2), np.nan)),
         "parameter_value": (("draw", "parameter"), np.array([[0.5, np.nan], [0.7, 2.0]]))},
        coords={"draw": [0, 1], "year": [2023, 2024], "parameter": ["a.b", "c"]},
    )


def test_check_finite_allows_nan_only_where_it_means_undefined():
    check_finite(_dataset([[1.0, 2.0], [3.0, 4.0]]), {"price"}, "s.toml")
    with pytest.raises(NumericalError, match=r"^s\.toml: draw 0 gave nan in price \(year 2023\)"):
        check_finite(_dataset([[1.0, 2.0], [3.0, 4.0]]), set(), "s.toml")


def test_check_finite_names_the_first_bad_draw_and_its_parameters():
    with pytest.raises(NumericalError) as info:
        check_finite(_dataset([[1.0, 2.0], [3.0, -np.inf]]), {"price"}, "s.toml")
    assert str(info.value).startswith("s.toml: draw 1 gave -inf in outlay (year 2024); parameters drawn: a.b = 0.7, c = 2;")
    with pytest.raises(NumericalError, match=r"draw 0 gave nan in outlay \(year 2024\); parameters drawn: a\.b = 0\.5;"):
        check_finite(_dataset([[1.0, np.nan], [3.0, 4.0]]), {"price"}, "s.toml")


def test_a_childs_distribution_replaces_the_parents_whole_under_extends(tmp_path):
    parent = _scenario(tmp_path, ('[firms.growth]\n'
                                  'support_elasticity = { dist = "normal", mean = 0.05, sd = 0.02, low = 0.0, high = 0.06 }\n'),
                       "parent.toml")
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n[firms.growth]\n'
                     'support_elasticity = { dist = "normal", mean = 0.30, sd = 0.01 }\n', encoding="utf-8")
    value = load_scenario(child).scenario.firms.growth.support_elasticity
    assert (value.low, value.high) == (None, None)  # the parent's truncation is not kept
    draws = np.array([draw_value(value, 7, d, "firms.growth.support_elasticity") for d in range(400)])
    # Mean of 400 draws of N(0.30, 0.01): within 5 standard errors (0.0025) of 0.30; none at the parent's 0.06.
    assert abs(draws.mean() - 0.30) < 0.0025 and draws.min() > 0.2
    parent_value = load_scenario(parent).scenario.firms.growth.support_elasticity
    assert max(draw_value(parent_value, 7, d, "x") for d in range(50)) <= 0.06


def test_changing_the_distribution_kind_under_extends_is_accepted(tmp_path):
    _scenario(tmp_path, '[firms.growth]\nsupport_elasticity = { dist = "triangular", low = 0, mode = 0.5, high = 1 }\n',
              "parent.toml")
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n[firms.growth]\n'
                     'support_elasticity = { dist = "lognormal", median = 0.4, sigma = 0.1 }\n', encoding="utf-8")
    value = load_scenario(child).scenario.firms.growth.support_elasticity
    assert value.dist == "lognormal" and value.median == 0.4
    # And a number over a distribution, and a distribution over a number.
    child.write_text('extends = "parent.toml"\n[firms.growth]\nsupport_elasticity = 0.25\n', encoding="utf-8")
    assert load_scenario(child).scenario.firms.growth.support_elasticity == 0.25


def test_a_bad_kind_change_names_the_child_not_extra_inputs(tmp_path):
    _scenario(tmp_path, '[firms.growth]\nsupport_elasticity = { dist = "uniform", low = 0, high = 1 }\n', "parent.toml")
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n[firms.growth]\nsupport_elasticity = { dist = "normal", mean = 0.3 }\n',
                     encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    (line,) = info.value.problems
    assert line == f"{child}: firms.growth.support_elasticity: sd: Field required"
    assert "Extra inputs" not in line


def test_a_run_of_the_child_draws_the_childs_distribution(tmp_path):
    import sim

    _scenario(tmp_path, ('[firms.growth]\n'
                         'support_elasticity = { dist = "normal", mean = 0.05, sd = 0.02, low = 0.0, high = 0.06 }\n'),
              "parent.toml")
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n[firms.growth]\n'
                     'support_elasticity = { dist = "normal", mean = 0.30, sd = 0.01 }\n', encoding="utf-8")
    ds = sim.run(child, draws=8)
    drawn = ds["parameter_value"].sel(parameter="firms.growth.support_elasticity").values
    # 8 draws of N(0.30, 0.01): every one within 6 sd of 0.30, none at the parent's cap of 0.06.
    assert drawn.shape == (8,) and np.all(np.abs(drawn - 0.30) < 0.06)
