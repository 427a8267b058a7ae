"""The baseline follows the observed direction of Beijing's above-size industrial firm count
(3,305 in 2017 to 3,047 in 2022, -1.6% a year): its median falls over the horizon, and the
manufacturing revenue band of 2030 stays within what yearly shocks and the drift's posterior give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim

BASELINE = Path(__file__).resolve().parents[3] / "scenarios" / "baseline.toml"
MANUFACTURING = ["advanced_manufacturing", "hydrogen"]


@pytest.fixture(scope="module")
def baseline():
    return sim.run(str(BASELINE), draws=8)


def test_the_median_above_size_manufacturing_count_declines_over_the_horizon(baseline):
    count = baseline["firms_above_size"].sel(sector=MANUFACTURING).sum("sector")
    median = count.median("draw")
    first, last = float(median.sel(year=2022)), float(median.sel(year=2030))
    assert last < first
    # About the observed pace: between -3% and -0.5% a year.
    pace = (last / first) ** (1 / 8) - 1
    assert -0.03 < pace < -0.005


def test_the_2030_manufacturing_revenue_band_is_not_a_compounded_tail(baseline):
    revenue = baseline["above_size_revenue_cny"].sel(sector=MANUFACTURING, year=2030).sum("sector").values
    p5, p95 = np.percentile(revenue, [5, 95])
    assert p95 / p5 < 2.5
