"""Project arrivals (sim/populations/projects/component.py): claims by instrument kind, checked by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from conftest import make_policy

from sim.populations.projects.component import ProjectArrivals
from sim.runner.model import PolicyModel
from sim.scenario.schema import Scenario


def run_model(tables: dict, draw: int = 0) -> PolicyModel:
    scenario = Scenario.model_validate({"name": "projects_test"} | tables)
    policy = make_policy(tables)
    assert ProjectArrivals.check(scenario, policy, "test.toml") == []
    model = PolicyModel(scenario, policy, draw)
    model.run()
    return model


def tables(stream_id: str, stream: dict, horizon=(2023, 2024), extra=None) -> dict:
    return {
        "horizon": {"first_year": horizon[0], "last_year": horizon[1]},
        "policy": {"in_force": [stream_id]},
        "projects": {"streams": {stream_id: stream}},
    } | (extra or {})


def counts(model, pid):
    return model.recorder["projects_approved"][:, model.policy.get(pid).index]


def test_cost_share_fixed_size_is_share_times_size_capped():
    pid = "software.6.data_centre_green_retrofit"  # 25 %, <= 30,000,000 a project
    model = run_model(tables(pid, {"arrivals_per_year": 3, "size_median_cny": 200_000_000}))
    n = counts(model, pid)
    assert n.sum() > 0
    i = model.policy.get(pid).index
    # 25 % of 200,000,000 is 50,000,000: every project is cut to the 30,000,000 cap.
    np.testing.assert_allclose(model.ledger.committed[:, i], n * 30_000_000.0)


def test_capped_grant_without_size_asks_for_the_cap():
    pid = "hydrogen.17.zgc_standard"  # <= 500,000 a standard
    model = run_model(tables(pid, {"arrivals_per_year": 4}))
    i = model.policy.get(pid).index
    np.testing.assert_allclose(model.ledger.committed[:, i], counts(model, pid) * 500_000.0)


def test_category_grant_pays_the_category_ceiling():
    pid = "hydrogen.17.standards"
    model = run_model(tables(pid, {"arrivals_per_year": 5, "category_weights": {"national": 1.0}}))
    i = model.policy.get(pid).index
    np.testing.assert_allclose(model.ledger.committed[:, i], counts(model, pid) * 300_000.0)


def test_no_arrivals_outside_validity_and_arrivals_in_a_partial_year_paid_in_full():
    pid = "hydrogen.17.zgc_standard"  # valid 2022-08-11 .. 2025-08-10: 222 days of 2025
    model = run_model(tables(pid, {"arrivals_per_year": 4, "random_arrivals": False}, horizon=(2025, 2026)))
    n = counts(model, pid)
    # Projects arrive while the window is open: round(4 * 222 / 365) = 2; each grant is one-off, in full.
    assert list(n) == [2, 0]
    i = model.policy.get(pid).index
    assert model.ledger.committed[0, i] == 2 * 500_000.0
    assert model.ledger.committed[1, i] == 0.0


def test_interest_subsidy_over_the_loan_term():
    pid = "software.9.major_project_loan_interest"  # up to the 5-year LPR, <= 3 years
    stream = {"arrivals_per_year": 2, "size_median_cny": 30_000_000, "loan_rate_percent": 4.3, "loan_term_years": 3}
    extra = {"macro": {"lpr_5y_percent": {"2022": 4.0}}, "instruments": {pid: {"valid_until": dt.date(2030, 12, 31)}}}
    model = run_model(tables(pid, stream, horizon=(2023, 2026), extra=extra))
    n = counts(model, pid)
    i = model.policy.get(pid).index
    # A loan pays 4 % of its average balance: 30M, 20M, 10M in its years 0, 1, 2; nothing after.
    per_loan = np.array([1.2e6, 0.8e6, 0.4e6])
    expected = [sum(n[y - a] * per_loan[a] for a in range(3) if y - a >= 0) for y in range(4)]
    np.testing.assert_allclose(model.ledger.committed[:, i], expected)


def test_lpr_linked_instrument_needs_the_macro_path():
    pid = "software.9.major_project_loan_interest"
    t = tables(pid, {"arrivals_per_year": 20, "size_median_cny": 1e7})
    scenario = Scenario.model_validate({"name": "projects_test"} | t)
    problems = ProjectArrivals.check(scenario, make_policy(t), "test.toml")
    assert len(problems) == 1 and "is LPR-linked" in problems[0] and "needs macro.lpr_5y_percent" in problems[0]
    # A path starting after the first year is refused too.
    t["macro"] = {"lpr_5y_percent": {"2024": 4.0}}
    scenario = Scenario.model_validate({"name": "projects_test"} | t)
    problems = ProjectArrivals.check(scenario, make_policy(t), "test.toml")
    assert len(problems) == 1 and "macro.lpr_5y_percent has no value for 2023" in problems[0]


def test_a_pool_of_firms_makes_the_per_firm_cap_bind_across_projects():
    pid = "hydrogen.5.new_material_first_batch"  # <= 5,000,000 a product, <= 10,000,000 a firm in all
    stream = {"arrivals_per_year": 6, "random_arrivals": False, "size_median_cny": 5_000_000, "firms_in_pool": 1}
    model = run_model(tables(pid, stream, horizon=(2023, 2024)))
    i = model.policy.get(pid).index
    # One firm: 12 projects of 5,000,000 asked, but the firm is paid 10,000,000 in all.
    assert list(counts(model, pid)) == [6, 6]
    assert model.ledger.committed[:, i].sum() == 10_000_000.0
    # Each project its own recipient (no pool): 12 x 5,000,000.
    del stream["firms_in_pool"]
    assert run_model(tables(pid, stream, horizon=(2023, 2024))).ledger.committed[:, i].sum() == 60_000_000.0


def test_arrivals_are_reproducible_per_draw_and_differ_between_draws():
    pid = "hydrogen.17.zgc_standard"
    t = tables(pid, {"arrivals_per_year": 6}, horizon=(2023, 2024))
    a, b = counts(run_model(t, 0), pid), counts(run_model(t, 0), pid)
    np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, counts(run_model(t, d), pid)) for d in range(1, 6))


def test_mean_arrivals():
    pid = "hydrogen.17.zgc_standard"
    t = tables(pid, {"arrivals_per_year": 3.0}, horizon=(2023, 2024))
    total = sum(counts(run_model(t, d), pid).sum() for d in range(100))
    assert total / 200 == pytest.approx(3.0, rel=0.15)


@pytest.mark.parametrize(
    "stream_id, stream, fragment",
    [
        ("hydrogen.13.operating_subsidy", {"arrivals_per_year": 1}, "a unit_subsidy is paid by agents, not project arrivals"),
        ("hydrogen.6.first_of_kind_domestic", {"arrivals_per_year": 1}, "size_median_cny: a cost_share needs the project's amount"),
        ("hydrogen.17.standards", {"arrivals_per_year": 1}, "category_weights: give positive weights"),
        ("hydrogen.99.nothing", {"arrivals_per_year": 1}, "unknown instrument id"),
    ],
)
def test_check_reports_problems(stream_id, stream, fragment):
    scenario = Scenario.model_validate({"name": "x", "projects": {"streams": {stream_id: stream}}})
    policy = make_policy({"policy": {"in_force": ["hydrogen.*"]}})
    problems = ProjectArrivals.check(scenario, policy, "x.toml")
    assert len(problems) == 1 and problems[0].startswith(f'x.toml: projects.streams."{stream_id}"') and fragment in problems[0]


def test_each_programme_year_draws_from_its_keyed_generator_in_order(monkeypatch):
    # The numbers of a programme-year come from generator_for(seed, draw, programme, year), in the
    # order count, sizes, recipients, categories: a NumPy reference built from it gives the facts filed.
    from sim.core.rng import generator_for
    from sim.policy.claims import ClaimDesk
    from sim.policy.facts import ProjectApprovals

    filed = []
    original = ClaimDesk.file

    def recording(self, facts, year):
        if isinstance(facts, ProjectApprovals):
            filed.append((year, facts))
        return original(self, facts, year)

    monkeypatch.setattr(ClaimDesk, "file", recording)
    pid = "hydrogen.17.standards"
    weights = {"international": 1.0, "national": 3.0, "industry_local_or_group": 2.0}
    stream = {"arrivals_per_year": 4, "size_median_cny": 2_000_000, "size_sigma": 0.5, "firms_in_pool": 3,
              "category_weights": weights}
    model = run_model(tables(pid, stream, horizon=(2023, 2026)), draw=2)
    program = model.policy.get(pid)
    p = np.array(list(weights.values())) / sum(weights.values())
    expected = []
    for yi, year in enumerate(model.years):
        rng = generator_for(model.seed, 2, pid, year)
        share = float(program.validity_share[yi])
        n = int(rng.poisson(4 * share)) if share > 0 else 0
        assert counts(model, pid)[yi] == n
        if n:
            sizes = 2_000_000 * np.exp(0.5 * rng.standard_normal(n))
            recipients = rng.integers(0, 3, size=n)
            categories = [list(weights)[k] for k in rng.choice(3, size=n, p=p)]
            expected.append((year, sizes, recipients, categories))
    assert len(expected) == len(filed) > 0
    for (year, sizes, recipients, categories), (filed_year, facts) in zip(expected, filed, strict=True):
        assert filed_year == year
        np.testing.assert_array_equal(facts.size_cny, sizes)
        np.testing.assert_array_equal(facts.ids, recipients)
        assert list(facts.category) == categories and facts.category.dtype == object
