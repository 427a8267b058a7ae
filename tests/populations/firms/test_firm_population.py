"""The synthetic starting population: counts matched, and the firms that crossed a threshold in
the year before the first year identified by the growth law read backwards; a CSV population
whose revenues one yuan below a line stay below it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _firms_helpers import HEADER
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import InputDataError
from sim.populations.firms import kernels as fk
from sim.populations.firms.population import (
    FirmArrays,
    GrowthLaw,
    PopulationTargets,
    StartingShares,
    _pareto_alpha_bisection,
    pareto_alpha_for_mean,
    read_firms_csv,
    synthetic_population,
    truncated_pareto_mean,
)
from sim.populations.firms.sectors import load_sectors

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
        np.random.default_rng(7), 2022,
        PopulationTargets(np.array([n, 0, 0, 0, 0]), np.array([above, 0, 0, 0, 0]), np.array([above_100m, 0, 0, 0, 0]),
                          np.full(5, 4e6), np.full(5, 1.2), np.full(5, T), 1e8),
        StartingShares(0.13, 0.11, 0.494, 0.08), 0, growth)


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
            np.random.default_rng(seed), 2022,
            PopulationTargets(np.array([15_000, 19_300, 0, 0, 0]), np.array([3_000, 3_860, 0, 0, 0]),
                              np.array([600, 772, 0, 0, 0]), np.full(5, 4e6), np.full(5, 1.2), np.full(5, T), 1e8),
            StartingShares(0.13, 0.11, 0.494, 0.08), 0, law(0.1, 0.25))
        n = st.n
        rev, sector = st.revenue_cny[:n], st.sector[:n]
        for code, above, top in ((0, 3_000, 600), (1, 3_860, 772)):
            assert np.sum(rev[sector == code] >= T) == above
            assert np.sum(rev[sector == code] >= 1e8) == top


# ------------------------------------------------------------------ thresholds are exact
def test_state_keeps_revenue_and_investment_in_float64():
    # float32 holds integers exactly only up to 2^24 = 16,777,216: it would store 19,999,999 as
    # 20,000,000. Revenue and investment meet thresholds, so they are float64 (35 bytes a firm).
    st = FirmArrays.empty(3)
    assert st.revenue_cny.dtype == np.float64 and st.fai_cny.dtype == np.float64
    assert FirmArrays.bytes_per_firm() == 35


def _read(tmp_path, rows, first_year=2022):
    table = load_sectors()
    path = tmp_path / "firms.csv"
    path.write_text("\n".join([HEADER] + rows) + "\n", encoding="utf-8")
    thresholds = np.array([s.above_size_threshold_cny for s in table.sectors])
    return read_firms_csv(path, table.keys, thresholds, table.stay_up_threshold_cny, first_year, 0.1, 0)[0]


def test_csv_revenue_one_yuan_below_a_line_is_below_it(tmp_path):
    # The manufacturing line is 20,000,000 and the stay-up line 100,000,000 (sectors.toml), both ">=".
    table = load_sectors()
    assert table.sectors[table.code("advanced_manufacturing")].above_size_threshold_cny == 20_000_000.0
    assert table.stay_up_threshold_cny == 100_000_000.0
    revenue = [19_999_999, 20_000_000, 99_999_999, 100_000_000]
    st = _read(tmp_path, [f"M{k},advanced_manufacturing,{r},6,0,0,0,{r - 1},0,0" for k, r in enumerate(revenue)])
    assert st.revenue_cny[:4].tolist() == revenue
    assert st.fai_cny[:4].tolist() == [r - 1 for r in revenue]
    # Unknown first years: a firm at or above a line crossed it long before (2022 - 2 = 2020).
    assert st.first_size_year[:4].tolist() == [fk.NEVER, 2020, 2020, 2020]
    assert st.first_100m_year[:4].tolist() == [fk.NEVER, fk.NEVER, fk.NEVER, 2020]


def test_csv_first_counted_last_year_needs_the_line_itself(tmp_path):
    # First counted in 2021, the year of revenue_cny: 20,000,000 is enough, 19,999,999 is not.
    assert _read(tmp_path, ["A,advanced_manufacturing,20000000,3,0,0,0,0,2021,0"]).first_size_year[0] == 2021
    with pytest.raises(InputDataError, match="row 2, column 'first_above_size_year': is 2021, the year of "
                                             "revenue_cny, but revenue_cny 19,999,999 is below 20,000,000"):
        _read(tmp_path, ["A,advanced_manufacturing,19999999,3,0,0,0,0,2021,0"])
    assert _read(tmp_path, ["A,advanced_manufacturing,100000000,3,0,0,0,0,2015,2021"]).first_100m_year[0] == 2021
    with pytest.raises(InputDataError, match="row 2, column 'first_above_100m_year': is 2021, the year of "
                                             "revenue_cny, but revenue_cny 99,999,999 is below 100,000,000"):
        _read(tmp_path, ["A,advanced_manufacturing,99999999,3,0,0,0,0,2015,2021"])


def test_software_firm_first_counted_last_year_at_99_999_999_is_not_at_100m(tmp_path):
    # D8 item 3 / D5 item 8 software: first counted in 2021 with revenue >= 100,000,000 that year.
    st = _read(tmp_path, ["S1,software_it,99999999,3,0,0,0,0,2021,0", "S2,software_it,100000000,3,0,0,0,0,2021,2021"])
    assert ((st.flags[:2] & fk.COUNTED_AT_100M) != 0).tolist() == [False, True]


def _crossed_last_year_whole_population(growth: GrowthLaw, r, t, sector):
    """NumPy reference: the probability computed for every firm, then 0 below the line."""
    t = t * np.ones_like(r)
    sigma = growth.volatility(t)
    need = np.log(np.maximum(r, 1.0) / t) - growth.drift_by_sector[sector]
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(sigma > 0.0, need / np.where(sigma > 0.0, sigma, 1.0), np.where(need < 0.0, -np.inf, np.inf))
    if growth.shock_kind == fk.SHOCK_LAPLACE:
        e = np.exp(-math.sqrt(2.0) * np.abs(x))
        p = np.where(x >= 0.0, 0.5 * e, 1.0 - 0.5 * e)
    else:
        from scipy.special import ndtr

        p = ndtr(-x)
    return np.where(r >= t, p, 0.0)


@pytest.mark.parametrize("kind", [fk.SHOCK_LAPLACE, fk.SHOCK_NORMAL])
@pytest.mark.parametrize("sigma, beta", [(0.3, 0.2), (0.0, 0.0), (0.5, -0.1)])
def test_crossed_last_year_of_the_firms_above_the_line_is_the_whole_populations_bit_for_bit(kind, sigma, beta):
    rng = np.random.default_rng(11)
    growth = GrowthLaw(np.array([0.05, 0.1, 0.15, 0.2, -0.3]), sigma, 5e7, beta, 1.0, kind)
    for n in (0, 1, 7, 1000, 4099):
        r = np.exp(rng.normal(math.log(T), 1.5, n))
        r[: n // 10] = T  # on the line exactly
        sector = rng.integers(0, 5, n)
        t = np.where(sector == 4, 1e8, T)
        got = growth.crossed_last_year(r, t, sector)
        want = _crossed_last_year_whole_population(growth, r, t, sector)
        assert got.dtype == np.float64 and got.shape == (n,)
        np.testing.assert_array_equal(got, want)
    # Scalars give a 0-d array as before.
    assert growth.crossed_last_year(2.1e7, T, 0).shape == ()
    assert float(growth.crossed_last_year(1.9e7, T, 0)) == 0.0


def test_pareto_alpha_for_mean_is_remembered_and_still_refuses_a_mean_outside_the_range():
    alpha = pareto_alpha_for_mean(6e7, T, 1e10)
    assert pareto_alpha_for_mean(6e7, T, 1e10) == alpha
    assert truncated_pareto_mean(alpha, T, 1e10) == pytest.approx(6e7, rel=1e-9)
    for _ in range(2):  # an error is not remembered as a value
        with pytest.raises(ValueError, match="is not between"):
            pareto_alpha_for_mean(T / 2, T, 1e10)


def _bisect_in_python(mean, low, high):
    """The bisection as written in Python, on truncated_pareto_mean (the reference)."""
    lo, hi = -50.0, 50.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if truncated_pareto_mean(mid, low, high) > mean:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@settings(max_examples=300)
@given(low=st.floats(1.0, 1e10), decades=st.floats(1e-6, 5.0), where=st.floats(1e-9, 1.0 - 1e-9))
def test_compiled_bisection_gives_the_python_bisections_exponent_bit_for_bit(low, decades, where):
    high = low * 10.0**decades
    mean = low + (high - low) * where
    if not low < mean < high:
        return
    alpha, ok = _pareto_alpha_bisection(mean, low, high)
    try:
        want = _bisect_in_python(mean, low, high)
    except (OverflowError, ZeroDivisionError):
        assert not ok  # where Python raises, the compiled loop hands back to it
        return
    assert ok and alpha == want


def test_a_tail_python_cannot_bisect_still_raises_as_before():
    # A mean next to the top of twelve decades: r ** (alpha - 1) overflows at alpha near -50.
    assert _pareto_alpha_bisection(0.9999999e12, 1.0, 1e12)[1] is False
    with pytest.raises(OverflowError):
        pareto_alpha_for_mean(0.9999999e12, 1.0, 1e12)
