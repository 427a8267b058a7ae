"""Hand cases at the caps of every money instrument paid through project arrivals (D5, D7).

Each case is one project in 2023 (inside the validity of D5 and D7, so no pro-rating) of a
given size; the expected amount is worked out by hand from the gazette's clause.
"""

from __future__ import annotations

import textwrap

import pytest

import sim
from sim.policy.gazette import load_gazette


def _one_project(tmp_path, program: str, size_cny: float | None = None, extra: str = "") -> float:
    size = "" if size_cny is None else f"size_median_cny = {size_cny!r}"
    path = tmp_path / "case.toml"
    path.write_text(textwrap.dedent(f"""
        name = "cap_case"
        [horizon]
        first_year = 2023
        last_year = 2023
        [ensemble]
        draws = 1
        [policy]
        in_force = ["{program}"]
        [projects.streams."{program}"]
        arrivals_per_year = 1
        random_arrivals = false
        {size}
        {extra}
    """))
    ds = sim.run(path)
    return float(ds["committed"].sel(program=program, year=2023).values[0])


CASES = [
    # (programme, project size CNY, expected CNY, the clause in words)
    ("software.1.key_software_rd_grant", 29_999_999.0, 29_999_999.0, "<= 30,000,000 per project: under the cap"),
    ("software.1.key_software_rd_grant", 45_000_000.0, 30_000_000.0, "<= 30,000,000 per project: cut to the cap"),
    ("software.3.internet3_experience_centre", 30_000_000.0, 9_000_000.0, "30% of 30,000,000"),
    ("software.3.internet3_experience_centre", 40_000_000.0, 10_000_000.0, "30% of 40,000,000 = 12,000,000 > 10,000,000"),
    ("software.3.small_batch_test", 100_000_000 / 3, 10_000_000.0, "30% of 33,333,333.33 = exactly the cap"),
    ("software.4.industrial_internet_reward", 31_000_000.0, 30_000_000.0, "<= 30,000,000 per firm-year"),
    ("software.6.data_centre_green_retrofit", 120_000_000.0, 30_000_000.0, "25% of 120,000,000 = exactly the cap"),
    ("software.6.data_centre_green_retrofit", 100_000_000.0, 25_000_000.0, "25% of 100,000,000"),
    ("software.6.compute_centre_conversion", 120_000_000.0, 30_000_000.0, "30% of 120,000,000 = 36,000,000 > cap"),
    ("software.10.old_factory_conversion", 60_000_000.0, 50_000_000.0, "<= 50,000,000"),
    ("software.10.park_platform_grant", 4_000_000.0, 4_000_000.0, "by actual input, <= 5,000,000"),
    ("software.10.park_platform_performance_reward", 2_000_000.0, 1_000_000.0, "<= 1,000,000"),
    ("hydrogen.5.new_material_first_batch", 6_000_000.0, 5_000_000.0, "<= 5,000,000 per product"),
    ("hydrogen.6.first_of_kind_international", 20_000_000.0, 5_000_000.0, "30% of 20,000,000 = 6,000,000 > 5,000,000"),
    ("hydrogen.6.first_of_kind_domestic", 8_000_000.0, 2_400_000.0, "30% of 8,000,000"),
    ("hydrogen.6.first_of_kind_domestic", 10_000_000.0, 3_000_000.0, "30% of 10,000,000 = exactly 3,000,000"),
    ("hydrogen.11.equipment_lease_subsidy", 9_999_999.0, 0.0, "lease contract below 10,000,000: not eligible"),
    ("hydrogen.11.equipment_lease_subsidy", 10_000_000.0, 500_000.0, "5% of exactly 10,000,000"),
    ("hydrogen.11.equipment_lease_subsidy", 300_000_000.0, 10_000_000.0, "5% of 300,000,000 = 15,000,000 > 10,000,000"),
    ("hydrogen.17.zgc_standard", None, 500_000.0, "<= 500,000 per new Zhongguancun standard: the cap"),
    ("hydrogen.18.standardisation_events", 700_000.0, 300_000.0, "50% of 700,000 = 350,000 > 300,000"),
    ("hydrogen.18.standardisation_events", 500_000.0, 250_000.0, "50% of 500,000"),
]


@pytest.mark.parametrize("program,size,expected,clause", CASES, ids=[f"{c[0]}:{c[3]}" for c in CASES])
def test_cap_hand_case(tmp_path, program, size, expected, clause):
    assert _one_project(tmp_path, program, size) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("category,expected", [("international", 1_000_000.0), ("national", 300_000.0),
                                               ("industry_local_or_group", 200_000.0)])
def test_standards_by_level(tmp_path, category, expected):
    weights = f"category_weights = {{ {category} = 1.0 }}"
    assert _one_project(tmp_path, "hydrogen.17.standards", None, weights) == expected


@pytest.mark.parametrize("category,expected", [("post_tier_1", 500_000.0), ("post_tier_2", 300_000.0),
                                               ("post_tier_3", 200_000.0)])
def test_standardisation_posts_by_tier(tmp_path, category, expected):
    weights = f"category_weights = {{ {category} = 1.0 }}"
    assert _one_project(tmp_path, "hydrogen.18.standards_body_posts", None, weights) == expected


def test_interest_subsidy_cap_per_firm_year(tmp_path):
    # A 600,000,000 loan at 4.5% under D5 item 1 (2 points): 600,000,000 x 2% = 12,000,000 in the
    # first year (full balance of a 1-year term), cut to 10,000,000 per firm-year.
    got = _one_project(tmp_path, "software.1.rd_loan_interest", 600_000_000.0,
                       "loan_rate_percent = 4.5\nloan_term_years = 1")
    assert got == 10_000_000.0


def test_every_project_instrument_has_a_hand_case():
    kinds = ("capped_grant", "cost_share", "category_grant")
    with_cases = {c[0] for c in CASES} | {"hydrogen.17.standards", "hydrogen.18.standards_body_posts"}
    # Instruments paid by agents instead of project arrivals have their cases with those agents.
    by_agents = {"hydrogen.8.benchmark_incubator", "hydrogen.8.incubation_service", "hydrogen.15.fcv_demonstration_reward"}
    expected = {i.id for i in load_gazette().instruments.values() if i.kind in kinds} - by_agents
    assert expected <= with_cases, sorted(expected - with_cases)
