"""Incubators (D7 item 8): start-ups join the firm population; grants at their caps."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "firms"))
from _firms_helpers import HEADER, deterministic_toml  # noqa: E402

import sim
from sim.errors import ScenarioError
from sim.scenario.loader import load_scenario

INCUBATORS = """
[incubators]
benchmark_openings = {{ "2023" = 1 }}
benchmark_category_shares = {{ developing = 0.6 }}
benchmark_category_weights = {{ developing = 1.0 }}
service_institutions = 1
service_award_per_graduate_cny = {award}
admissions_per_incubator = 5
random_admissions = false
startup_revenue_median_cny = 1_000_000
startup_revenue_sigma = 0
incubation_years = 2
incubated_exit_multiplier = 0.5
incubated_growth_boost = 0.0
"""


def _run(tmp_path: Path, award: float = 100_000.0, in_force: str = '["hydrogen.8.*"]'):
    csv = tmp_path / "firms.csv"
    csv.write_text(HEADER + "\nf1,advanced_manufacturing,5000000,5,0,0,0,0,,\n", encoding="utf-8")
    body = f"[policy]\nin_force = {in_force}\n" + INCUBATORS.format(award=award)
    path = tmp_path / "s.toml"
    path.write_text(deterministic_toml(csv, body, first_year=2022, last_year=2025), encoding="utf-8")
    return sim.run(path)


def test_startups_enter_the_firm_population_and_the_counts(tmp_path):
    ds = _run(tmp_path)
    # One service institution from 2022, a benchmark incubator from 2023: 5, 10, 10, 10 admitted.
    np.testing.assert_array_equal(ds["startups_admitted"].values[0], [5, 10, 10, 10])
    # Exit is off in the deterministic set-up, so every start-up is alive in the firm population.
    hydrogen = ds["firms_alive"].sel(sector="hydrogen").values[0]
    np.testing.assert_array_equal(hydrogen, [5, 15, 25, 35])
    np.testing.assert_array_equal(ds["incubated_firms_alive"].values[0], [5, 15, 25, 35])
    # Incubation of 2 years: the 2022 cohort graduates at the end of 2024, the 2023 cohort in 2025.
    np.testing.assert_array_equal(ds["incubator_graduates"].values[0], [0, 0, 5, 10])
    np.testing.assert_array_equal(ds["startups_in_incubation"].values[0], [5, 15, 20, 20])


def test_benchmark_grant_is_the_category_share_of_the_cap(tmp_path):
    ds = _run(tmp_path)
    grant = ds["committed"].sel(program="hydrogen.8.benchmark_incubator").values[0]
    # Recognised in 2023, fully inside D7's validity: 0.6 x 20,000,000.
    np.testing.assert_allclose(grant, [0, 12_000_000, 0, 0])


def test_service_award_per_graduate_and_its_cap(tmp_path):
    ds = _run(tmp_path, award=60_000.0)
    award = ds["committed"].sel(program="hydrogen.8.incubation_service").values[0]
    # 2024: the service institution graduated all 5 of the 2022 cohort: 5 x 60,000 = 300,000.
    # 2025: 5 of the 10 graduates came from it: 300,000, pro-rated by D7's validity in 2025
    # (2025-01-01..2025-08-10: 222 of 365 days).
    np.testing.assert_allclose(award, [0, 0, 300_000, 300_000 * 222 / 365])
    capped = _run(tmp_path, award=1_000_000.0)["committed"].sel(program="hydrogen.8.incubation_service").values[0]
    np.testing.assert_allclose(capped[2], 500_000)


def test_incubators_need_the_firm_population(tmp_path):
    path = tmp_path / "no_firms.toml"
    path.write_text('name = "x"\n' + INCUBATORS.format(award=1.0), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"incubators: the start-ups join the firm population"):
        load_scenario(path)


def test_a_project_stream_for_an_incubator_programme_is_refused(tmp_path):
    csv = tmp_path / "firms.csv"
    csv.write_text(HEADER + "\n", encoding="utf-8")
    body = INCUBATORS.format(award=1.0) + textwrap.dedent("""
        [projects.streams."hydrogen.8.benchmark_incubator"]
        arrivals_per_year = 1
    """)
    path = tmp_path / "s.toml"
    path.write_text(deterministic_toml(csv, body), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"would be counted twice"):
        load_scenario(path)
