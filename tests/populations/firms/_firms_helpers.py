"""Helpers of the firm tests: a one-draw deterministic run over a small CSV of firms."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np

from sim.runner.model import PolicyModel
from sim.scenario.loader import load_scenario

HEADER = ("firm_id,sector,revenue_cny,age_years,srdi,little_giant_central_funds,incubated,"
          "fixed_asset_investment_cny,first_above_size_year,first_above_100m_year")
#: Log growth of +12% a year.
G12 = math.log(1.12)


def deterministic_toml(csv: Path, body: str = "", first_year: int = 2022, last_year: int = 2027,
                       firms_keys: str = "") -> str:
    """A scenario with only the firms model, no shocks, no exit, no entry, no SRDI hazard, no policy effect.

    `firms_keys` are extra lines of the ``[firms]`` table; `body` is appended.
    """
    return textwrap.dedent(f"""
        name = "firms-test"
        [horizon]
        first_year = {first_year}
        last_year = {last_year}
        [ensemble]
        draws = 1
        seed = 5
        [macro]
        lpr_5y_percent = {{ "2022" = 4.30 }}
        [firms]
        source = "csv"
        csv = "{csv.as_posix()}"
        {firms_keys}
        [firms.growth]
        volatility_at_reference = 0
        support_elasticity = 0
        [firms.exit]
        enabled = false
        [firms.srdi]
        certification_hazard = 0
    """) + textwrap.dedent(body)


def run_firms(tmp_path: Path, rows: list[str], body: str = "", graduates=None, **scenario_options):
    """Write the CSV and scenario, run draw 0; return (loaded, model, outputs by variable)."""
    csv = tmp_path / "firms.csv"
    csv.write_text("\n".join([HEADER] + rows) + "\n", encoding="utf-8")
    path = tmp_path / "s.toml"
    path.write_text(deterministic_toml(csv, body, **scenario_options), encoding="utf-8")
    loaded = load_scenario(path)
    model = PolicyModel(loaded.scenario, loaded.policy, 0)
    if graduates is not None:
        firms = model.component("firms")
        for year, codes, revenue in graduates:
            while model.years[model.steps] < year:
                model.step()
            firms.add_graduates(np.array(codes), np.array(revenue))
    while model.steps < len(model.years):
        model.step()
    return loaded, model, _collect(model)


def _collect(model) -> dict:
    led = model.ledger
    for name in ("committed", "outlay", "unpaid", "forfeited", "pending"):
        model.recorder[name] = getattr(led, name)
    return model.recorder.arrays


def committed(loaded, out, program_id: str) -> np.ndarray:
    """Committed amounts of a programme by year (CNY)."""
    return out["committed"][:, loaded.policy.ids.index(program_id)]
