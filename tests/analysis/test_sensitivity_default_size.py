"""The default Sobol size is usable on the baseline: the three largest drivers of total outlay have intervals
narrower than their indices; a too-small sample of the same runs is flagged.

The full default run (7,680 runs) takes minutes even on a quiet machine, too long for the suite, so its
total outlay per run is kept in ``data/baseline_sobol_default.csv`` (written by
``data/baseline_sobol_default.py`` from the run its ``.toml`` documents) and re-analysed here through the
code `sim sensitivity` uses. The test refuses a fixture whose size or groups are no longer the default's.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis.designs import analyse_design, factor_names, sobol_design
from sim.analysis.index_checks import check_indices, format_warnings, top_drivers
from sim.analysis.problem import parameter_groups, select_parameters, uncertain_parameters
from sim.analysis.selection import SelectedOutput
from sim.analysis.sensitivity import DEFAULT_SOBOL_BASE
from sim.scenario.loader import load_scenario

DATA = Path(__file__).resolve().parent / "data"
META = tomllib.loads((DATA / "baseline_sobol_default.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def design(scenarios_dir):
    loaded = load_scenario(scenarios_dir / "baseline.toml")
    params = select_parameters(uncertain_parameters(loaded.scenario), None)
    groups, _ = parameter_groups(params, "section", None)
    y = pd.read_csv(DATA / "baseline_sobol_default.csv")["fiscal_outlay_million_cny"].to_numpy()
    return loaded, params, groups, y


def _analyse(params, groups, y, base: int):
    runs = base * (len(set(groups)) + 2)
    unit, _, _ = sobol_design(params, runs, META["seed"], groups)
    output = SelectedOutput(META["output"], "million CNY", y[:runs])
    return analyse_design("sobol", params, groups, unit, [output], levels=4, seed=META["seed"])


def test_the_fixture_is_a_run_of_today_s_default_design(design):
    loaded, params, groups, y = design
    assert META["base"] == DEFAULT_SOBOL_BASE and META["groups"] == "section"
    assert META["seed"] == loaded.scenario.ensemble.seed % 2**32
    assert y.size == META["runs"] == DEFAULT_SOBOL_BASE * (len(factor_names(params, groups)) + 2)


def test_the_three_largest_drivers_of_total_outlay_have_intervals_narrower_than_their_indices(design):
    _, params, groups, y = design
    table = _analyse(params, groups, y, META["base"])
    top = top_drivers(table, "sobol", META["output"], 3)
    # The re-analysis is the documented run's own table.
    assert top == list(META["top_drivers"])
    indexed = table.set_index(["parameter", "index"])
    for factor in top:
        for index in ("S1", "ST"):
            value, conf = indexed.loc[(factor, index), "value"], indexed.loc[(factor, index), "conf"]
            assert [value, conf] == pytest.approx(META["top_drivers"][factor][index], abs=1e-6)
            assert 0 < conf < value, (factor, index, value, conf)
    # ... so the printed warnings name none of them.
    found = check_indices(table, "sobol")
    assert not set(found["parameter"]) & set(top), format_warnings(found)


def test_the_first_eight_base_samples_of_the_same_runs_are_flagged(design):
    # The smallest Saltelli design the command accepts (8 x (groups + 2) runs).
    _, params, groups, y = design
    table = _analyse(params, groups, y, 8)
    found = check_indices(table, "sobol")
    flagged = set(found.loc[found["check"] == "wide_interval", "parameter"])
    assert flagged & set(top_drivers(table, "sobol", META["output"], 3)), format_warnings(found)
