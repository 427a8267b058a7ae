"""Budget lines as Mesa agents: they decide the year's payments and read them back from the ledger."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest

from sim.runner.budget_lines import BudgetLine
from sim.runner.model import PolicyModel
from sim.scenario.loader import load_scenario

MINIMAL = (Path(__file__).resolve().parents[2] / "scenarios" / "minimal.toml").as_posix()


def test_budget_lines_are_agents_that_keep_their_ceiling(tmp_path):
    path = tmp_path / "capped.toml"
    path.write_text(textwrap.dedent(f"""
        extends = "{MINIMAL}"
        name = "capped"
        [projects.streams."software.6.data_centre_green_retrofit"]
        arrivals_per_year = 3
        random_arrivals = false
        size_median_cny = 40_000_000
        [budget.lines.retrofits]
        payer = "市经济和信息化局"
        programs = ["software.6.*"]
        ceiling_cny_per_year = 20_000_000
        rationing = "queue"
    """))
    loaded = load_scenario(path)
    model = PolicyModel(loaded.scenario, loaded.policy, 0)
    lines = list(model.agents_by_type[BudgetLine])
    assert [line.spec.name for line in lines][0] == "retrofits"
    model.run()
    line = lines[0]
    for year in model.years:
        assert line.paid_cny(year) <= 20_000_000 + 1e-6
    # 3 retrofits of 40,000,000 at 25% = 30,000,000 approved in 2023 (inside D5's window):
    # 20,000,000 paid, 10,000,000 queued into 2024.
    assert line.paid_cny(2023) == pytest.approx(20_000_000)
    assert line.queued_cny(2023) == pytest.approx(10_000_000)
    assert line.headroom_cny(2023) == pytest.approx(0.0)
    open_lines = [x for x in lines if x.spec.name != "retrofits"]
    assert all(math.isinf(x.headroom_cny(2023)) for x in open_lines)
