"""The vectorised firm step (:mod:`sim.core.elementary` exp and log) gives the ensemble of the C
library's scalar step (``tests/reference/firm_step_reference.py``).

Both draw the same keyed uniforms; only the last bits of the elementary functions differ. So the
check is paired and strict: firm by firm the discrete outcomes agree and revenues agree to a
relative 1e-11 after nine years, and over baseline draws the headline outputs have the same
distributions (two-sample Kolmogorov-Smirnov) and means within a part in a million.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from reference.firm_step_reference import step_firms_libm
from scipy import stats

import sim
from sim.populations.firms import kernels as fk
from sim.populations.firms.population import FirmArrays

BASELINE = Path(__file__).resolve().parents[3] / "scenarios" / "baseline.toml"
SCHEDULE = np.array([0.016, 0.063, 0.095, 0.09, 0.085, 0.06])


def _population(n: int, seed: int = 5) -> FirmArrays:
    rng = np.random.default_rng(seed)
    st = FirmArrays.empty(n)
    st.sector[:] = rng.integers(0, 5, n)
    st.revenue_cny[:] = 5e6 * np.exp(1.5 * rng.standard_normal(n))
    st.age_years[:] = rng.integers(0, 25, n)
    st.flags[:] = fk.ALIVE | np.where(rng.random(n) < 0.2, fk.INCUBATED, 0).astype(np.uint8)
    st.fai_cny[:] = 0.08 * st.revenue_cny
    st.support_cny[:] = (rng.random(n) * 5e5).astype(np.float32)
    st.n = n
    return st


def _rules(shock: int, drift: np.ndarray, threshold: np.ndarray) -> fk.StepRules:
    return fk.StepRules(drift, threshold, 1e8, shock_kind=shock, sigma_ref=0.3, sigma_ref_revenue_cny=2e7, beta=0.2, sigma_max=1.0, elasticity=0.5,
                exit_base=0.07, exit_peak_min=3, exit_peak_max=7, exit_peak_mult=1.5, exit_size_exp=0.2,
                exit_ref_revenue_cny=5e6, srdi_hazard=0.05, little_giant_share=0.1, this_year_max_age=3,
                incubation_years=3, incubation_exit_mult=0.5, incubation_growth_boost=0.1, inclusion_probability=0.8,
                young_premium=0.12, young_halflife_years=2.0, srdi_min_revenue_cny=1e7, srdi_min_age=2,
                little_giant_hazard=0.05, exit_added_by_sector=np.array([0.02, 0.0, 0.01, 0.0, 0.0]),
                exit_added_min_age=3)


#: The optional arrays of the step: the exit schedule and the revenue caps by sector.
OPTIONAL = (SCHEDULE, np.array([5e8, 1e10, 3e8, 2e9, 1e9]))


@pytest.mark.parametrize("shock", [fk.SHOCK_LAPLACE, fk.SHOCK_NORMAL])
def test_vectorised_step_follows_the_scalar_step_firm_by_firm(shock):
    n, years = 60_000, 9
    drift, threshold = np.array([0.04, 0.1, 0.0, 0.08, 0.05]), np.full(5, 2e7)
    fast, slow = _population(n), _population(n)
    tallies = np.zeros((2, 2, 12), dtype=np.int64)
    for y in range(years):
        for st, kernel, tally in ((fast, fk.step_firms, tallies[0]), (slow, step_firms_libm, tallies[1])):
            kernel(3, 1, 2022 + y, n, st.kernel_state(), _rules(shock, drift, threshold), *OPTIONAL, tally)
    same = ((fast.flags == slow.flags) & (fast.age_years == slow.age_years)
            & (fast.first_size_year == slow.first_size_year) & (fast.first_100m_year == slow.first_100m_year))
    assert np.mean(~same) <= 1e-4
    alive = same & ((fast.flags & fk.ALIVE) != 0)
    assert alive.sum() > n // 3
    rel = np.abs(fast.revenue_cny[alive] / slow.revenue_cny[alive] - 1.0)
    assert rel.max() < 1e-11
    assert np.abs(tallies[0] - tallies[1]).sum() <= 0.0001 * tallies[1].sum()
    # Not merely equal: the two kernels do round differently somewhere.
    assert np.any(fast.revenue_cny[alive] != slow.revenue_cny[alive])


def test_threaded_step_gives_the_same_bits_as_the_serial_step():
    n = 50_000
    drift, threshold = np.array([0.04, 0.1, 0.0, 0.08, 0.05]), np.full(5, 2e7)
    one, two = _population(n), _population(n)
    tally_one, tally_two = np.zeros((2, 12), np.int64), np.zeros((2, 12), np.int64)
    for y in range(4):
        rules = _rules(fk.SHOCK_LAPLACE, drift, threshold)
        fk.step_firms(3, 1, 2022 + y, n, one.kernel_state(), rules, *OPTIONAL, tally_one)
        fk.step_firms_threaded(2, 3, 1, 2022 + y, n, two.kernel_state(), rules, *OPTIONAL, tally_two)
    for a, b in zip(one.kernel_state(), two.kernel_state(), strict=True):
        assert np.array_equal(a[:n], b[:n])
    assert np.array_equal(tally_one, tally_two)


HEADLINES = {
    "total outlay (CNY)": lambda ds: ds["outlay"].sum([d for d in ds["outlay"].dims if d != "draw"]),
    "firms above size 2025": lambda ds: ds["firms_above_size"].sel(year=2025).sum("sector"),
    "first counted above size, all years": lambda ds: ds["upscaled"].sum(["year", "sector"]),
    "专精特新 firms 2025": lambda ds: ds["srdi_firms"].sel(year=2025).sum("sector"),
    "little giants 2025": lambda ds: ds["little_giants"].sel(year=2025),
    "revenue 2025 (CNY)": lambda ds: ds["sector_revenue_cny"].sel(year=2025).sum("sector"),
    "firm exits, all years": lambda ds: ds["firm_exits"].sum(["year", "sector"]),
}


def test_baseline_ensemble_keeps_its_distributions(monkeypatch):
    draws = 48
    loaded = sim.load_scenario(BASELINE)
    new = sim.run(loaded, draws=draws, threads=1)
    monkeypatch.setattr(fk, "step_firms", step_firms_libm)  # the serial path calls fk.step_firms
    old = sim.run(loaded, draws=draws, threads=1)
    for name, headline in HEADLINES.items():
        a, b = np.asarray(headline(new), dtype=float), np.asarray(headline(old), dtype=float)
        assert a.shape == (draws,), name
        assert stats.ks_2samp(a, b, method="asymp").pvalue > 0.05, name
        assert abs(a.mean() - b.mean()) <= 1e-6 * abs(b.mean()), name
