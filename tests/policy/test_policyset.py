"""Validity shares, resolution of a scenario's instruments and budget lines (sim/policy/policyset.py)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.policy.policyset import validity_share

D = dt.date
H2_FROM, H2_UNTIL = D(2022, 8, 11), D(2025, 8, 10)


@pytest.mark.parametrize(
    "year, start, end, expected",
    [
        (2022, H2_FROM, H2_UNTIL, 143 / 365),  # Aug 11 .. Dec 31
        (2023, H2_FROM, H2_UNTIL, 1.0),  # fully inside
        (2025, H2_FROM, H2_UNTIL, 222 / 365),  # Jan 1 .. Aug 10
        (2021, H2_FROM, H2_UNTIL, 0.0),  # before
        (2026, H2_FROM, H2_UNTIL, 0.0),  # after
        (2024, D(2024, 8, 11), D(2030, 1, 1), 143 / 366),  # leap year
        (2024, D(2024, 2, 29), D(2024, 2, 29), 1 / 366),
        (2024, D(2024, 1, 1), D(2024, 12, 31), 1.0),
        (2023, D(2023, 12, 31), D(2030, 1, 1), 1 / 365),  # a single last day
        (2023, D(2020, 1, 1), D(2023, 1, 1), 1 / 365),  # a single first day
    ],
)
def test_validity_share(year, start, end, expected):
    assert validity_share(year, start, end) == pytest.approx(expected, rel=1e-15)


def test_validity_share_of_the_resolved_hydrogen_programmes(policy_of):
    policy = policy_of({"horizon": {"first_year": 2021, "last_year": 2026}, "policy": {"in_force": ["hydrogen.13.*"]}})
    share = policy.get("hydrogen.13.operating_subsidy").validity_share
    np.testing.assert_allclose(share, [0.0, 143 / 365, 1.0, 1.0, 222 / 365, 0.0], rtol=1e-15)


def test_in_force_patterns_select_in_gazette_order(policy_of, gazette):
    policy = policy_of({"policy": {"in_force": ["scaleup.*", "hydrogen.13.*"]}})
    expected = [i for i in gazette.instruments if i.startswith(("hydrogen.13.", "scaleup."))]
    assert policy.ids == expected
    assert [p.index for p in policy.programs] == list(range(len(expected)))
    assert policy.get("software.8.scaleup_reward") is None


def test_overrides_apply_and_enabled_false_removes(policy_of):
    policy = policy_of(
        {
            "policy": {"in_force": ["hydrogen.13.*"]},
            "instruments": {
                "hydrogen.13.operating_subsidy": {"price_cap_cny_per_kg": 25.0, "share_of_cap_paid": 0.5},
                "hydrogen.13.construction_grant": {"enabled": False},
            },
        }
    )
    assert policy.ids == ["hydrogen.13.operating_subsidy"]
    ins = policy.get("hydrogen.13.operating_subsidy").instrument
    assert (ins.price_cap_cny_per_kg, ins.share_of_cap_paid, ins.rate_cny_per_kg) == (25.0, 0.5, 10.0)


def test_override_of_validity_dates_changes_the_shares(policy_of):
    policy = policy_of(
        {
            "horizon": {"first_year": 2025, "last_year": 2030},
            "policy": {"in_force": ["hydrogen.13.operating_subsidy"]},
            "instruments": {"hydrogen.13.operating_subsidy": {"valid_until": D(2030, 8, 10)}},
        }
    )
    np.testing.assert_allclose(policy.programs[0].validity_share, [1, 1, 1, 1, 1, 222 / 365])


def test_default_budget_lines_one_open_line_per_payer(policy_of):
    policy = policy_of({"policy": {"in_force": ["hydrogen.*"]}})
    assert [line.payer for line in policy.lines] == policy.payers
    assert len(set(policy.payers)) == len(policy.payers)
    for line in policy.lines:
        assert line.ceiling_cny_per_year == math.inf and line.rationing == "none"
        assert all(policy.programs[i].payer == line.payer for i in line.programs)
    assert sorted(i for line in policy.lines for i in line.programs) == list(range(len(policy.programs)))


def test_scenario_budget_line_holds_its_programmes(policy_of):
    policy = policy_of(
        {
            "policy": {"in_force": ["hydrogen.*"]},
            "budget": {"lines": {"stations": {"payer": "市城市管理委", "programs": ["hydrogen.13.*"],
                                              "ceiling_cny_per_year": 4e7, "rationing": "pro_rata"}}},
        }
    )
    line = policy.lines[0]
    assert (line.name, line.ceiling_cny_per_year, line.rationing) == ("stations", 4e7, "pro_rata")
    assert [policy.programs[i].id for i in line.programs] == ["hydrogen.13.construction_grant", "hydrogen.13.operating_subsidy"]
    assert all(p.line == 0 for p in policy.programs if p.id.startswith("hydrogen.13."))
    assert all(p.line != 0 for p in policy.programs if not p.id.startswith("hydrogen.13."))


@pytest.mark.parametrize(
    "tables, fragment",
    [
        ({"policy": {"in_force": ["hydrogen.13.operating_subsidi"]}},
         r"test\.toml: policy\.in_force: pattern 'hydrogen\.13\.operating_subsidi' matches no instrument \(did you mean 'hydrogen\.13\.operating_subsidy'\?\)"),
        ({"instruments": {"hydrogen.13.operating_subsidy": {"rate_cny_per_kgg": 5.0}}},
         r'instruments\."hydrogen\.13\.operating_subsidy"\.rate_cny_per_kgg: unknown field for a unit_subsidy \(did you mean \'rate_cny_per_kg\'\?\)'),
        ({"instruments": {"hydrogen.13.operating_subsidy": {"kind": "cost_share"}}},
         r'instruments\."hydrogen\.13\.operating_subsidy"\.kind: cannot be overridden'),
        ({"instruments": {"hydrogen.13.operating_subsidy": {"rate_cny_per_kg": -1.0}}},
         r'instruments\."hydrogen\.13\.operating_subsidy"\.rate_cny_per_kg: .*greater than or equal to 0 \(got -1\.0\)'),
        ({"budget": {"lines": {"x": {"payer": "市城市管理委", "programs": ["hydrogen.5.*"]}}}},
         r"budget\.lines\.x\.programs: hydrogen\.5\.new_material_first_batch is paid by 市经济和信息化局, not 市城市管理委"),
        ({"budget": {"lines": {"a": {"payer": "市城市管理委", "programs": ["hydrogen.13.*"]},
                               "b": {"payer": "市城市管理委", "programs": ["hydrogen.13.operating_subsidy"]}}}},
         r"budget\.lines\.b\.programs: hydrogen\.13\.operating_subsidy is already in line 'a'"),
        ({"budget": {"lines": {"x": {"payer": "市城市管理委", "programs": ["hydrogen.99.*"]}}}},
         r"budget\.lines\.x\.programs: pattern 'hydrogen\.99\.\*' matches no instrument"),
    ],
)
def test_resolve_policy_errors(policy_of, tables, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        policy_of(tables)


def test_resolve_policy_reports_every_problem(policy_of):
    with pytest.raises(ScenarioError) as info:
        policy_of({"instruments": {"hydrogen.13.nope": {}, "hydrogen.13.operating_subsidy": {"rate_cny_per_kg": -1.0}}})
    assert len(info.value.problems) == 2
    assert all(line.startswith("test.toml: instruments.") for line in info.value.problems)


def test_discount_factors_and_base_year(policy_of):
    policy = policy_of({"horizon": {"first_year": 2023, "last_year": 2025}, "budget": {"discount_rate": 0.05}})
    assert policy.base_year == 2023
    np.testing.assert_allclose(policy.discount_factors(), [1.0, 1 / 1.05, 1 / 1.05**2])
    policy = policy_of({"horizon": {"first_year": 2023, "last_year": 2024}, "budget": {"base_year": 2022, "discount_rate": 0.1}})
    np.testing.assert_allclose(policy.discount_factors(), [1 / 1.1, 1 / 1.21])


def test_program_caps_are_inf_when_absent(policy_of):
    policy = policy_of({"policy": {"in_force": ["hydrogen.5.*", "hydrogen.13.*"]}})
    assert policy.get("hydrogen.13.operating_subsidy").cap_per_recipient_year_cny == math.inf
    assert policy.get("hydrogen.5.new_material_first_batch").cap_per_recipient_total_cny == 10_000_000.0
