"""Innovation centres (D1): staged milestone funding, pause and exit, the 1:5 matching rule."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from sim.scenario.loader import load_scenario


def _scenario(tmp_path, centres: str, extra: str = "") -> str:
    path = tmp_path / "centres.toml"
    path.write_text(textwrap.dedent(f"""
        name = "centres_case"
        [horizon]
        first_year = 2023
        last_year = 2030
        [ensemble]
        draws = 3
        seed = 11
        [policy]
        in_force = ["centers.*"]
        {extra}
        [centres]
        count = 1
        first_start_year = 2023
        starts_per_year = 1
        city_funding_cny = 50_000_000
        cycle_years = 5
        milestone_interval_years = 1.0
        {centres}
    """))
    return str(path)


def _funding(ds):
    return ds["outlay"].sel(program="centers.art25.milestone_funding").values


def test_always_passing_centre_gets_all_stages_one_a_year(tmp_path):
    ds = sim.run(_scenario(tmp_path, "matching_ratio = 0.2\npass_probability = 1.0"))
    # Five stages of 10,000,000: at launch (1 Jan 2023) and at milestones 1-4 (2024-2027).
    expected = np.array([10e6, 10e6, 10e6, 10e6, 10e6, 0, 0, 0])
    for d in range(3):
        np.testing.assert_allclose(_funding(ds)[d], expected)
    assert ds["centres_completed"].values[0, -1] == 1
    assert ds["centres_exited"].values.max() == 0


def test_centre_failing_two_milestones_gets_no_further_money(tmp_path):
    ds = sim.run(_scenario(tmp_path, "matching_ratio = 0.2\npass_probability = 0.0\nrectification_pass_probability = 0.0"))
    # Launch stage only: milestone 1 (2024) fails -> paused; milestone 2 (2025) fails -> exit.
    for d in range(3):
        np.testing.assert_allclose(_funding(ds)[d], [10e6, 0, 0, 0, 0, 0, 0, 0])
    assert list(ds["centres_paused"].values[0]) == [0, 1, 0, 0, 0, 0, 0, 0]
    assert list(ds["centres_exited"].values[0]) == [0, 0, 1, 1, 1, 1, 1, 1]


def test_paused_centre_that_passes_rectification_resumes(tmp_path):
    ds = sim.run(_scenario(tmp_path, "matching_ratio = 0.2\npass_probability = 0.0\nrectification_pass_probability = 1.0"))
    # Fails milestone 1 (paused, nothing paid in 2024), passes milestone 2 after rectification
    # (stage paid in 2025), then fails milestone 3: second failure -> exit in 2026.
    np.testing.assert_allclose(_funding(ds)[0], [10e6, 0, 10e6, 0, 0, 0, 0, 0])
    assert ds["centres_exited"].values[0, 3] == 1


def test_matching_below_one_to_five_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match=r"centres.matching_ratio: 0.19 is below the minimum matching of 0.2"):
        load_scenario(_scenario(tmp_path, "matching_ratio = 0.19"))


def test_matching_distribution_reaching_below_one_to_five_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match=r"centres.matching_ratio: 0.1 is below"):
        load_scenario(_scenario(tmp_path, 'matching_ratio = { dist = "uniform", low = 0.1, high = 0.4 }'))


def test_cycle_longer_than_five_years_needs_extension(tmp_path):
    path = _scenario(tmp_path, "matching_ratio = 0.2")
    with open(path) as f:
        text = f.read().replace("cycle_years = 5", "cycle_years = 7")
    with open(path, "w") as f:
        f.write(text)
    with pytest.raises(ScenarioError, match=r"centres.cycle_years: 7 is outside 3..5 years"):
        load_scenario(path)


def test_ip_income_split_70_20_10(tmp_path):
    ds = sim.run(_scenario(tmp_path, "matching_ratio = 0.2\npass_probability = 1.0\nip_income_cny_per_year = 1_000_000"))
    assert ds["ip_income_research_team_cny"].values[0, 0] == pytest.approx(700_000)
    assert ds["ip_income_participants_cny"].values[0, 0] == pytest.approx(200_000)
    assert ds["ip_income_host_cny"].values[0, 0] == pytest.approx(100_000)
