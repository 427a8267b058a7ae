"""Rolling-origin backtests: interval scores and naive forecasts by hand, and `sim hindcast --origin` end to end."""

from __future__ import annotations

import math
import textwrap

import pandas as pd
import pytest
from test_calibration import _base

from sim.analysis.backtest import interval_score, naive_forecasts, skill_summary
from sim.analysis.observations import Observation
from sim.cli import main


def _obs(year: int, value: float, variable: str = "srdi_firms") -> Observation:
    return Observation(quantity="q", year=year, value=value, unit="firms", source="s", source_short="s", scope="s",
                       confidence="high", role="holdout", variable=variable)


@pytest.mark.parametrize("lower, upper, y, score", [
    (10.0, 20.0, 15.0, 10.0),                 # inside: the width
    (10.0, 20.0, 10.0, 10.0),                 # on the edge: still inside
    (10.0, 20.0, 5.0, 10.0 + 20.0 * 5.0),     # 5 below: 2 / 0.1 = 20 per unit missed
    (10.0, 20.0, 22.0, 10.0 + 20.0 * 2.0),    # 2 above
])
def test_interval_score_by_hand(lower, upper, y, score):
    assert interval_score(lower, upper, y) == pytest.approx(score)


def test_naive_forecasts_from_the_series_own_changes():
    # Little giants: 53 in 2020, 588 in 2022: +267.5 a year. For 2023 (h = 1):
    # persistence 588 +- 267.5; trend 588 + 267.5 = 855.5 +- 267.5.
    persistence, trend = naive_forecasts(_obs(2023, 795), [_obs(2020, 53), _obs(2022, 588)])
    assert (persistence.point, persistence.lower, persistence.upper) == pytest.approx((588.0, 320.5, 855.5))
    assert (trend.point, trend.lower, trend.upper) == pytest.approx((855.5, 588.0, 1123.0))
    # Two years ahead, the band widens with h and the trend extends by two steps.
    persistence, trend = naive_forecasts(_obs(2024, 900), [_obs(2020, 53), _obs(2022, 588)])
    assert (persistence.lower, persistence.upper) == pytest.approx((53.0, 1123.0))
    assert trend.point == pytest.approx(1123.0)
    # With three points the band is the largest yearly change, the trend the last one.
    _, trend = naive_forecasts(_obs(2024, 900), [_obs(2021, 0), _obs(2022, 100), _obs(2023, 130)])
    assert (trend.point, trend.lower, trend.upper) == pytest.approx((160.0, 60.0, 260.0))
    # One earlier point: no change to size a band, no naive forecast.
    persistence, trend = naive_forecasts(_obs(2023, 795), [_obs(2022, 588)])
    assert math.isnan(persistence.point) and math.isnan(trend.point)


def test_skill_ratios_use_the_observations_both_forecasts_score():
    table = pd.DataFrame({"inside": [True, False, True], "score_model": [10.0, 90.0, 30.0],
                          "score_persistence": [20.0, 20.0, math.nan], "score_trend": [80.0, 80.0, math.nan]})
    s = skill_summary(table, 2022)
    assert (s["scored"], s["inside"], s["coverage"]) == (3, 2, pytest.approx(2 / 3))
    assert s["mean_score_model"] == pytest.approx(130 / 3)
    # Over the two observations the naive forecasts score: model 50, persistence 20, trend 80.
    assert (s["compared_persistence"], s["ratio_persistence"]) == (2, pytest.approx(2.5))
    assert s["ratio_trend"] == pytest.approx(50 / 80)


OBSERVED = """
[outlay_2023]
quantity = "milestone funding paid"
year = 2023
value = 30_000_000
unit = "CNY"
source = "synthetic"
source_short = "synthetic"
scope = "test"
confidence = "high"
role = "calibration"
variable = "outlay"
select = {{ program = "centers.art25.milestone_funding" }}

[outlay_{later}]
quantity = "milestone funding paid"
year = {later}
value = {value}
unit = "CNY"
source = "synthetic"
source_short = "synthetic"
scope = "test"
confidence = "high"
role = "holdout"
variable = "outlay"
select = {{ program = "centers.art25.milestone_funding" }}
"""

CONFIG = """
scenario = "centres.toml"
draws = 2
method = "nelder-mead"
max_evaluations = 40
output = "fitted.toml"
observed_file = "observed.toml"
fit_until_year = 2023
[[parameter]]
path = "centres.city_funding_cny"
low = 10_000_000
high = 200_000_000
start = 40_000_000
[[target]]
observed = "outlay_2023"
"""


def test_backtest_refits_on_the_observations_up_to_the_origin_and_scores_the_later_ones(tmp_path, capsys):
    scenario = _base(tmp_path)
    (tmp_path / "observed.toml").write_text(OBSERVED.format(later=2024, value=30_000_000))
    config = tmp_path / "fit.toml"
    config.write_text(textwrap.dedent(CONFIG))
    out = tmp_path / "bt"
    args = ["hindcast", str(scenario), "--origin", "2022,2023", "--calibration", str(config),
            "--observed", str(tmp_path / "observed.toml"), "--out", str(out), "--draws", "2"]
    assert main(args) == 0
    table = pd.read_csv(out / "backtest.csv")
    # From 2022 nothing was observed yet: the parameter stays at its prior (40,000,000), and both
    # later observations are forecast from it; from 2023 the 2023 outlay is fitted (funding 60,000,000)
    # and only 2024 is forecast.
    assert table.loc[table["origin"] == 2022, "id"].tolist() == ["outlay_2023", "outlay_2024"]
    assert table.loc[table["origin"] == 2023, "id"].tolist() == ["outlay_2024"]
    prior = (out / "refit_until_2022.toml").read_text()
    assert "city_funding_cny = 40000000" in prior and f'extends = "../{scenario.name}"' in prior
    refit = (out / "refit_until_2023.toml").read_text()
    assert "centres.city_funding_cny" in refit and "outlay_2023" in refit
    # Deterministic centres: the prior forecasts 20,000,000 a year, the refit 30,000,000 (to the
    # optimiser's tolerance), so the refit scores far better on 2024.
    from_2022 = table[table["origin"] == 2022]
    assert from_2022["p50"].tolist() == pytest.approx([20_000_000, 20_000_000])
    row = table[table["origin"] == 2023].iloc[0]
    assert row["p50"] == pytest.approx(30_000_000, rel=1e-3)
    assert row["score_model"] < 0.01 * from_2022["score_model"].iloc[1]
    skill = pd.read_csv(out / "backtest_skill.csv")
    assert skill["origin"].tolist() == [2022, 2023]
    assert (out / "backtest.png").stat().st_size > 0
    printed = capsys.readouterr().out
    assert "backtest from origin 2023" in printed and "interval score, model / persistence" in printed


@pytest.mark.parametrize("flag, fragment", [("2022,x", "--origin must be years"), ("1990", "--origin years must lie"),
                                            ("2022,2022", "gives a year twice")])
def test_bad_origins_are_one_line_exit_2(tmp_path, capsys, flag, fragment):
    scenario = _base(tmp_path)
    assert main(["hindcast", str(scenario), "--origin", flag]) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1


def test_a_backtest_folder_holding_its_calibration_is_refused(tmp_path, capsys):
    scenario = _base(tmp_path)
    (tmp_path / "observed.toml").write_text(OBSERVED.format(later=2024, value=30_000_000))
    config = tmp_path / "fit.toml"
    config.write_text(textwrap.dedent(CONFIG))
    assert main(["hindcast", str(scenario), "--origin", "2023", "--calibration", str(config), "--observed",
                 str(tmp_path / "observed.toml"), "--out", str(tmp_path), "--force"]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and len(err.strip().splitlines()) == 1
    assert config.is_file() and scenario.is_file()
