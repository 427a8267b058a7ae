"""The synthetic starting population: counts matched, and the firms that crossed a threshold in
the year before the first year identified by the growth law read backwards."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.agents import firm_kernels as fk
from sim.agents.firm_population import GrowthLaw, synthetic_population

T = 20_000_000.0


def law(drift=0.1, sigma=0.0, kind=fk.SHOCK_LAPLACE, beta=0.0):
    return GrowthLaw(np.full(5, drift), sigma, T, beta, 1.0, kind)


def p_crossed(growth, revenue, threshold=T):
    r = np.atleast_1d(np.asarray(revenue, dtype=np.float64))
    return growth.crossed_last_year(r, np.full(r.size, threshold), np.zeros(r.size, np.int64))


def test_deterministic_growth_crossed_last_year_iff_growth_covers_the_gap():
    # drift 0.1: 21,000,000 needs ln 1.05 = 0.049 < 0.1 (crossed); 23,000,000 needs 0.140 (did not).
    assert p_crossed(law(), [21e6, 23e6]).tolist() == [1.0, 0.0]


def test_laplace_and_normal_tails_hand_computed():
    d, s = 0.1, 0.3
    at_drift = T * math.exp(d)  # needs exactly the drift: half the shocks exceed it
    assert p_crossed(law(d, s), at_drift)[0] == pytest.approx(0.5)
    assert p_crossed(law(d, s, fk.SHOCK_NORMAL), at_drift)[0] == pytest.approx(0.5)
    # Laplace survival 0.5 exp(-sqrt2 x) = 0.25 at x = ln 2 / sqrt 2.
    r = T * math.exp(d + s * math.log(2.0) / math.sqrt(2.0))
    assert p_crossed(law(d, s), r)[0] == pytest.approx(0.25)
    # Normal survival 0.05 at x = 1.6448536.
    assert p_crossed(law(d, s, fk.SHOCK_NORMAL), T * math.exp(d + s * 1.6448536))[0] == pytest.approx(0.05, abs=1e-7)
    # Closer to the threshold than the drift, it is the complement: 1 - 0.25 for Laplace.
    d = 0.3
    assert p_crossed(law(d, s), T * math.exp(d - s * math.log(2.0) / math.sqrt(2.0)))[0] == pytest.approx(0.75)


def test_below_the_threshold_never_and_exactly_at_it_counts():
    assert p_crossed(law(2.0), T - 1.0)[0] == 0.0
    # Exactly at the threshold counts as above (>=): it needs growth > 0 - drift, which drift 0.1 gives.
    assert p_crossed(law(), T)[0] == 1.0


def test_volatility_follows_the_size_law():
    g = GrowthLaw(np.zeros(5), 0.25, T, 0.2, 1.0, fk.SHOCK_LAPLACE)
    assert g.volatility(np.array([T, 32 * T, 1.0])).tolist() == pytest.approx([0.25, 0.25 / 2.0, 1.0])


def _population(growth, n=40_000, above=8_000, above_100m=1_600):
    return synthetic_population(
        np.random.default_rng(7), 2022, np.array([n, 0, 0, 0, 0]), np.array([above, 0, 0, 0, 0]),
        np.array([above_100m, 0, 0, 0, 0]), np.full(5, 4e6), np.full(5, 1.2), np.full(5, T), 1e8, 0.13, 0.11, 0.494,
        0.08, 0, growth)


def test_population_marks_last_year_crossers_at_the_law_s_rate():
    growth = law(0.1, 0.3)
    st = _population(growth)
    n = st.n
    rev, fsy, f100 = st.revenue_cny[:n], st.first_size_year[:n], st.first_100m_year[:n]
    above = rev >= T
    assert above.sum() == 8_000
    assert set(np.unique(fsy[above])) <= {2020, 2021} and np.all(fsy[~above] == fk.NEVER)
    p = p_crossed(growth, rev, threshold=T)
    crossed = fsy == 2021
    expected, sd = p.sum(), math.sqrt((p * (1 - p)).sum())
    assert crossed.sum() > 100 and abs(crossed.sum() - expected) < 4 * sd
    # A firm that crossed the size threshold last year and is above 100,000,000 crossed that too.
    assert np.all(f100[crossed & (rev >= 1e8)] == 2021)
    assert np.all(f100[rev < 1e8] == fk.NEVER)


def test_no_growth_no_shock_means_nobody_crossed_last_year():
    st = _population(law(0.0, 0.0))
    n = st.n
    assert not np.any(st.first_size_year[:n] == 2021) and not np.any(st.first_100m_year[:n] == 2021)
    assert np.sum(st.first_size_year[:n] == 2020) == 8_000


def test_counts_above_both_lines_match_exactly():
    for seed in range(3):
        st = synthetic_population(
            np.random.default_rng(seed), 2022, np.array([15_000, 19_300, 0, 0, 0]), np.array([3_000, 3_860, 0, 0, 0]),
            np.array([600, 772, 0, 0, 0]), np.full(5, 4e6), np.full(5, 1.2), np.full(5, T), 1e8, 0.13, 0.11, 0.494,
            0.08, 0, law(0.1, 0.25))
        n = st.n
        rev, sector = st.revenue_cny[:n], st.sector[:n]
        for code, above, top in ((0, 3_000, 600), (1, 3_860, 772)):
            assert np.sum(rev[sector == code] >= T) == above
            assert np.sum(rev[sector == code] >= 1e8) == top
