"""The firm kernels agree with a plain NumPy implementation of the same rules on random inputs;
the baseline pays no scale-up reward or firm subsidy after 2025-12-31; on the firm state, each
threshold is met at its line and not one yuan below it."""

from __future__ import annotations

import numpy as np
import pytest

from sim.populations.firms import kernels as fk
from sim.populations.firms.population import FirmArrays
from sim.populations.firms.streams import FIRM_EXIT, FIRM_GROWTH, FIRM_INCLUSION, FIRM_LITTLE_GIANT, FIRM_SRDI

_G = np.uint64(0x9E3779B97F4A7C15)


def _mix(z):
    with np.errstate(over="ignore"):
        z = z + _G
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _key(seed, draw, entity, year, stream):
    h = _mix(np.full(entity.shape, seed, dtype=np.uint64))
    for k in (draw, None, year, stream):
        h = _mix(h ^ (entity.astype(np.uint64) if k is None else np.uint64(k)))
    return h


def _uniform(key):
    return ((_mix(key) >> np.uint64(11)).astype(np.float64) + 0.5) / 9007199254740992.0


def _laplace(key):
    u = _uniform(key) - 0.5
    b = 1.0 / np.sqrt(2.0)
    return np.where(u < 0.0, b * np.log1p(2.0 * np.minimum(u, 0.0)), -b * np.log1p(-2.0 * np.maximum(u, 0.0)))


def _normal(key):
    u1, u2 = _uniform(key), _uniform(key ^ np.uint64(0x632BE59BD9B4E019))
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def reference_step(seed, draw, year, st, p):
    """NumPy version of step_firms (returns new arrays)."""
    n = st["revenue"].size
    i = np.arange(n)
    alive = (st["flags"] & fk.ALIVE) != 0
    age = np.where(alive, st["age"] + 1, st["age"])
    r0 = np.maximum(st["revenue"].astype(np.float64), 1.0)
    schedule = p.get("exit_by_age")
    if schedule is None:
        h = p["exit_base"] * (r0 / p["exit_ref"]) ** (-p["exit_exp"])
        h = np.where((age >= p["peak_min"]) & (age <= p["peak_max"]), h * p["peak_mult"], h)
    else:
        h = schedule[np.minimum(age, schedule.size - 1)] * (r0 / p["exit_ref"]) ** (-p["exit_exp"])
    incubating = ((st["flags"] & fk.INCUBATED) != 0) & (age <= p["inc_years"])
    h = np.where(incubating, h * p["inc_exit"], h)
    exits = alive & (_uniform(_key(seed, draw, i, year, FIRM_EXIT)) < h)
    grow = alive & ~exits
    # The float32 support widened first, as the kernel does (NumPy would multiply it in float32).
    support = st["support"].astype(np.float64)
    g = p["drift"][st["sector"]] + p["elasticity"] * support / r0 + np.where(incubating, p["inc_boost"], 0.0)
    if p.get("young", 0.0):
        g = g + np.where(age >= 1, p["young"] * 0.5 ** ((age - 1) / p["halflife"]), 0.0)
    sig = np.minimum(p["sigma_max"], p["sigma_ref"] * (r0 / p["ref"]) ** (-p["beta"]))
    shock = _normal if p["shock"] == fk.SHOCK_NORMAL else _laplace
    g = g + sig * shock(_key(seed, draw, i, year, FIRM_GROWTH))
    revenue = np.where(grow, st["revenue"] * np.exp(g), st["revenue"])
    if p.get("cap") is not None:
        revenue = np.where(grow, np.minimum(revenue, p["cap"][st["sector"]]), revenue)
    thr = p["threshold"][st["sector"]]
    included = (p["inclusion"] >= 1.0) | (_uniform(_key(seed, draw, i, year, FIRM_INCLUSION)) < p["inclusion"])
    counted = grow & (revenue >= thr) & (st["fsy"] == 0) & included
    fsy = np.where(counted, year, st["fsy"])
    f100 = np.where(grow & (revenue >= p["stay_up"]) & (st["f100"] == 0), year, st["f100"])
    flags = np.where(exits, st["flags"] & ~fk.ALIVE, st["flags"])
    flags = flags | np.where(counted & (age <= p["this_year_max_age"]), fk.COUNTED_IN_YEAR, 0)
    flags = flags | np.where(counted & (revenue >= p["stay_up"]), fk.COUNTED_AT_100M, 0)
    key = _key(seed, draw, i, year, FIRM_SRDI)
    floor = thr if p.get("srdi_min_revenue", -1.0) < 0 else p["srdi_min_revenue"]
    was_srdi = (flags & fk.SRDI) != 0
    cert = grow & ~was_srdi & (revenue >= floor) & (age >= p.get("srdi_min_age", 0)) & (_uniform(key) < p["srdi"])
    giant = cert & (_uniform(key ^ np.uint64(0x2545F4914F6CDD1D)) < p["lg"])
    later = grow & was_srdi & ((flags & fk.LITTLE_GIANT) == 0) & (
        _uniform(_key(seed, draw, i, year, FIRM_LITTLE_GIANT)) < p.get("lg_hazard", 0.0))
    flags = flags | np.where(cert, fk.SRDI, 0) | np.where(giant | later, fk.LITTLE_GIANT, 0)
    return revenue, age, flags.astype(np.uint8), fsy, f100, exits


SCHEDULE = np.array([0.016, 0.063, 0.095, 0.09, 0.085, 0.06])
MECHANISMS = dict(exit_by_age=SCHEDULE, cap=np.array([5e7, 1e9, 3e7, 2e8, 1e8]), young=0.15, halflife=2.0,
                  srdi_min_revenue=1e7, srdi_min_age=2, lg_hazard=0.3)


@pytest.mark.parametrize("shock, inclusion, mechanisms", [
    (fk.SHOCK_LAPLACE, 1.0, False), (fk.SHOCK_NORMAL, 0.5, False), (fk.SHOCK_LAPLACE, 1.0, True)])
def test_step_kernel_matches_numpy_reference(shock, inclusion, mechanisms):
    rng = np.random.default_rng(3)
    n = 20_000
    st = dict(
        sector=rng.integers(0, 5, n).astype(np.uint8),
        revenue=1e7 * np.exp(1.5 * rng.standard_normal(n)),
        age=rng.integers(0, 20, n).astype(np.int16),
        flags=(fk.ALIVE | np.where(rng.random(n) < 0.1, fk.SRDI, 0) | np.where(rng.random(n) < 0.2, fk.INCUBATED, 0)
               ).astype(np.uint8),
        fsy=np.where(rng.random(n) < 0.2, 2019, 0).astype(np.int16),
        f100=np.zeros(n, np.int16),
        support=(rng.random(n) * 1e6).astype(np.float32),
    )
    st["flags"][rng.random(n) < 0.05] = 0  # some already dead
    # Different reference revenues for the volatility and the exit laws, so mixing them up shows.
    p = dict(drift=rng.normal(0.05, 0.05, 5), threshold=np.full(5, 2e7), stay_up=1e8, sigma_ref=0.3, ref=2e7,
             beta=0.2, sigma_max=1.0, elasticity=0.7, exit_base=0.08, peak_min=3, peak_max=7, peak_mult=1.5,
             exit_exp=0.3, exit_ref=5e6, srdi=0.1, lg=0.2, inc_years=3, inc_exit=0.5, inc_boost=0.1, shock=shock,
             inclusion=inclusion, this_year_max_age=4)
    if mechanisms:
        p |= MECHANISMS
    want = reference_step(11, 4, 2023, st, p)
    a = {k: v.copy() for k, v in st.items()}
    fai = np.ones(n)
    tally = np.zeros((2, SCHEDULE.size), np.int64)
    more = dict(young_premium=p["young"], young_halflife_years=p["halflife"], srdi_min_revenue_cny=p["srdi_min_revenue"],
                srdi_min_age=p["srdi_min_age"], little_giant_hazard=p["lg_hazard"]) if mechanisms else {}
    optional = (p["exit_by_age"], p["cap"], tally) if mechanisms else ()
    rules = fk.StepRules(p["drift"], p["threshold"], p["stay_up"], shock, p["sigma_ref"], p["ref"], p["beta"],
                         p["sigma_max"], p["elasticity"], p["exit_base"], p["peak_min"], p["peak_max"], p["peak_mult"],
                         p["exit_exp"], p["exit_ref"], p["srdi"], p["lg"], p["this_year_max_age"], p["inc_years"],
                         p["inc_exit"], p["inc_boost"], inclusion, **more)
    fk.step_firms(11, 4, 2023, n, fk.FirmState(a["sector"], a["revenue"], a["age"], a["flags"], a["fsy"], a["f100"],
                                               fai, a["support"]), rules, *optional)
    # NumPy and Numba may differ by an ulp in exp and the power law of sigma; crossings are then
    # identical unless a revenue sits within an ulp of a threshold.
    np.testing.assert_allclose(a["revenue"], want[0], rtol=1e-12)
    assert np.array_equal(a["age"], want[1])
    assert np.array_equal(a["flags"], want[2])
    assert np.array_equal(a["fsy"], want[3]) and np.array_equal(a["f100"], want[4])
    assert np.any(a["flags"] & fk.COUNTED_IN_YEAR) and np.any(a["flags"] & fk.COUNTED_AT_100M)
    was_alive = (st["flags"] & fk.ALIVE) != 0
    assert want[5].sum() > 0 and np.all(a["support"][was_alive] == 0.0)
    if mechanisms:
        # Every mechanism reached: the tally by age, the caps, late little giants, the SRDI floors.
        k = np.minimum(want[1][was_alive], SCHEDULE.size - 1)
        assert np.array_equal(tally[0], np.bincount(k, minlength=SCHEDULE.size))
        assert np.array_equal(tally[1], np.bincount(k[want[5][was_alive]], minlength=SCHEDULE.size))
        assert np.sum(a["revenue"] == MECHANISMS["cap"][a["sector"]]) > 20
        new_lg = ((a["flags"] & fk.LITTLE_GIANT) != 0) & ((st["flags"] & fk.LITTLE_GIANT) == 0)
        assert np.sum(new_lg & ((st["flags"] & fk.SRDI) != 0)) > 20
        newly = ((a["flags"] & fk.SRDI) != 0) & ((st["flags"] & fk.SRDI) == 0)
        assert newly.sum() > 20 and np.all(a["revenue"][newly] >= 1e7) and np.all(want[1][newly] >= 2)


def test_kernel_is_a_pure_function_of_its_keys():
    rng = np.random.default_rng(1)
    n = 1000
    args = lambda: (rng.integers(0, 4, n).astype(np.uint8),)  # noqa: E731
    sector = args()[0]
    out = []
    for _ in range(2):
        rev = np.full(n, 1.5e7)
        flags = np.full(n, fk.ALIVE, np.uint8)
        z16 = lambda: np.zeros(n, np.int16)  # noqa: E731
        fk.step_firms(1, 2, 2024, n, fk.FirmState(sector, rev, z16(), flags, z16(), z16(), np.zeros(n),
                                                  np.zeros(n, np.float32)),
                      fk.StepRules(np.full(5, 0.1), np.full(5, 2e7), 1e8, fk.SHOCK_NORMAL, 0.3, 2e7,
                                   0.2, 1.0, 0.0, 0.05, 3, 7, 1.5, 0.2, 2e7, 0.05, 0.1, 0))
        out.append((rev, flags))
    assert np.array_equal(out[0][0], out[1][0]) and np.array_equal(out[0][1], out[1][1])


def test_baseline_pays_no_firm_reward_or_subsidy_after_2025(scenarios_dir):
    import sim

    ds = sim.run(scenarios_dir / "baseline.toml", draws=2)
    firm_paid = [p for p in ds["program"].values if p.startswith("scaleup.") or p == "software.8.scaleup_reward"
                 or "loan_interest" in p]
    late = ds["committed"].sel(program=firm_paid, year=slice(2026, None))
    assert float(late.sum()) == 0.0
    early = ds["committed"].sel(program=firm_paid, year=slice(2023, 2025))
    assert float(early.sum()) > 0.0
    assert int(ds["upscaled"].sel(year=2027).sum()) > 0  # firms keep crossing; nothing is paid for it


def test_switched_off_mechanisms_do_nothing_at_any_size():
    """exit_base, sigma_ref and srdi_hazard 0 still draw their numbers (no branch on the switch):
    nobody exits, growth is exactly the drift and nobody is certified, at the extremes of the
    allowed size exponents (+-5) and of revenue up to 3.4e38 (the bound of the exponents)."""
    revenue = np.array([0.0, 1.0, 2e7, 1e13, 1e30, 3.4e38])
    n = revenue.size
    for exponent in (-5.0, 5.0):
        rev, flags = revenue.copy(), np.full(n, fk.ALIVE, np.uint8)
        z16 = np.zeros(n, np.int16)
        fk.step_firms(1, 0, 2023, n, fk.FirmState(np.zeros(n, np.uint8), rev, z16.copy(), flags, z16.copy(), z16.copy(),
                                                  np.zeros(n), np.zeros(n, np.float32)),
                      fk.StepRules(np.full(5, 0.1), np.full(5, 2e7), 1e8, fk.SHOCK_LAPLACE, 0.0, 2e7, abs(exponent),
                                   1.0, 0.0, 0.0, 3, 7, 1.5, exponent, 2e7, 0.0, 1.0, 0))
        assert np.all((flags & fk.ALIVE) != 0) and not np.any(flags & fk.SRDI)
        want = revenue * np.exp(0.1)
        assert np.array_equal(rev, want)


def test_step_rules_keep_the_optional_mechanisms_off_by_default():
    rules = fk.StepRules(np.zeros(5), np.full(5, 2e7), 1e8, shock_kind=1, sigma_ref=0.3, sigma_ref_revenue_cny=2e7,
                         beta=0.2, sigma_max=1.0, elasticity=0.0, exit_base=0.05, exit_peak_min=3, exit_peak_max=7,
                         exit_peak_mult=1.5, exit_size_exp=0.2, exit_ref_revenue_cny=2e7, srdi_hazard=0.05,
                         little_giant_share=0.1, this_year_max_age=0, inclusion_probability=0.5)
    assert rules[3:6] == (1, 0.3, 2e7) and rules.inclusion_probability == 0.5
    assert rules[-11:-2] == (0, 1.0, 0.0, 0.5, 0.0, 1.0, -1.0, 0, 0.0)
    assert not rules.exit_added_by_sector.any() and rules.exit_added_min_age == 0
    with pytest.raises(TypeError, match="sigma"):
        fk.StepRules(np.zeros(5), np.full(5, 2e7), 1e8, sigma=0.3)


# ------------------------------------------------------------------ thresholds are exact
# Revenues one yuan either side of each line; float32 would store every one of them on the line.
LINES_CNY = [19_999_999.0, 20_000_000.0, 99_999_999.0, 100_000_000.0]
BIG_CNY = [999_999_999.0, 1_000_000_000.0, 4_999_999_999.0, 5_000_000_000.0]


def _deterministic_step(st, year=2023):
    """One step of the firms in `st` with drift 0, no shock, no exit and no certification."""
    fk.step_firms(1, 0, year, st.n, st.kernel_state(), _DETERMINISTIC)


_DETERMINISTIC = fk.StepRules(np.zeros(5), np.full(5, 2e7), 1e8, shock_kind=fk.SHOCK_LAPLACE, sigma_ref=0.0,
                              sigma_ref_revenue_cny=2e7, beta=0.2, sigma_max=1.0, elasticity=0.0, exit_base=0.0,
                              exit_peak_min=3, exit_peak_max=7, exit_peak_mult=1.5, exit_size_exp=0.2,
                              exit_ref_revenue_cny=2e7, srdi_hazard=0.0, little_giant_share=0.0, this_year_max_age=0)


def _state(revenue_cny):
    st = FirmArrays.empty(len(revenue_cny))
    st.revenue_cny[:] = revenue_cny
    st.fai_cny[:] = revenue_cny
    st.flags[:] = fk.ALIVE
    st.n = len(revenue_cny)
    return st


def test_step_crosses_20m_and_100m_at_the_line_and_not_one_yuan_below():
    # Growth exp(0 + 0 * z) = 1: each revenue is the same after the step, and decides the crossings.
    st = _state(LINES_CNY)
    _deterministic_step(st)
    assert st.revenue_cny.tolist() == LINES_CNY and st.fai_cny.tolist() == LINES_CNY
    assert st.first_size_year.tolist() == [fk.NEVER, 2023, 2023, 2023]
    assert st.first_100m_year.tolist() == [fk.NEVER, fk.NEVER, fk.NEVER, 2023]
    assert ((st.flags & fk.COUNTED_AT_100M) != 0).tolist() == [False, False, False, True]


def test_entrant_at_20m_is_counted_and_one_yuan_below_is_not():
    st = FirmArrays.empty(2)
    median = np.array([19_999_999.0, 20_000_000.0, 1.0, 1.0, 1.0])
    fk.spawn_entrants(1, 0, 2023, 0, fk.Entrants(np.array([0, 1], np.uint8), median, np.zeros(5), np.uint8(0), 0.1),
                      st.kernel_state(), st.loan_program, _DETERMINISTIC)
    assert st.revenue_cny.tolist() == [19_999_999.0, 20_000_000.0]
    assert st.first_size_year.tolist() == [fk.NEVER, 2023]
    assert ((st.flags & fk.COUNTED_IN_YEAR) != 0).tolist() == [False, True]


def test_tally_counts_at_each_line_and_not_one_yuan_below():
    st = _state(LINES_CNY + BIG_CNY)
    _deterministic_step(st)
    counts, revenue, _, _, _ = fk.tally_year(2023, st.n, 5, st.kernel_state(), np.full(5, 2e7), np.array([1e9, 5e9]))
    # Above size: all but 19,999,999; first 100m this year: 100,000,000 and the four big ones;
    # at or above 1e9: three; at or above 5e9: one.
    assert counts[:, 0].tolist() == [8, 7, 7, 5, 0, 3, 1]
    assert revenue[0] == sum(LINES_CNY + BIG_CNY)


def test_borrowing_gate_at_10m_is_exact():
    # Recorded investment 9,999,999 and 9,999,999.5 are below the 10,000,000 gate (D5 item 9):
    # float32 would store the second as 10,000,000 and let it borrow.
    st = _state([1e8, 1e8, 1e8])
    st.fai_cny[:] = [9_999_999.0, 9_999_999.5, 10_000_000.0]
    balance = fk.loan_step(1, 0, 2023, st.n, st.loan_book(), fk.LoanTerms(np.array([10_000_000.0]), 1.0, np.ones((5, 1)),
                                                                          0.5, 2))
    assert st.loan_program.tolist() == [fk.NO_LOAN, fk.NO_LOAN, 0]
    # 0.5 x 10,000,000 borrowed: the full balance in the first year (2 points of it are the subsidy).
    assert balance.tolist() == [0.0, 0.0, 5_000_000.0]


def _random_state(n: int, seed: int = 3):
    rng = np.random.default_rng(seed)
    sector = rng.integers(0, 3, n).astype(np.uint8)
    revenue = np.exp(rng.normal(16.5, 1.5, n))
    flags = rng.integers(0, 128, n).astype(np.uint8)
    first_size = rng.choice(np.array([0, 2019, 2022, 2023, 2024], dtype=np.int16), n)
    first_100m = rng.choice(np.array([0, 2021, 2023, 2024], dtype=np.int16), n)
    return sector, revenue, flags, first_size, first_100m


def tally_state(sector, revenue, flags, first_size_year, first_100m_year):
    """The state the tallies read (ages, investment and support, which they do not, zero)."""
    n = sector.size
    return fk.FirmState(sector, revenue, np.zeros(n, np.int16), flags, first_size_year, first_100m_year, np.zeros(n),
                        np.zeros(n, np.float32))


def test_reward_candidates_are_the_living_firms_crossing_this_year_or_last():
    sector, revenue, flags, fsy, f100 = _random_state(5000)
    got = fk.reward_candidates(2024, 4000, flags, fsy, f100)
    alive = (flags[:4000] & fk.ALIVE) != 0
    want = np.flatnonzero(alive & ((fsy[:4000] == 2024) | (fsy[:4000] == 2023) | (f100[:4000] == 2023)))
    np.testing.assert_array_equal(got, want)


def test_incubated_counts_match_the_numpy_masks():
    rng = np.random.default_rng(11)
    n = 6000
    flags = rng.integers(0, 256, n + 100).astype(np.uint8)
    age = rng.integers(0, 8, n + 100).astype(np.int16)
    for years in (0, 3, 7):
        alive = ((flags[:n] & fk.INCUBATED) != 0) & ((flags[:n] & fk.ALIVE) != 0)
        want = (np.sum(alive & (age[:n] < years)), np.sum(alive & (age[:n] == years)), np.sum(alive))
        assert fk.incubated_counts(n, flags, age, years) == want
        assert min(want[1:]) > 0 or years == 0  # the case is not empty
    assert fk.incubated_counts(0, flags, age, 3) == (0, 0, 0)  # the firms past n are not counted


def test_counted_above_size_matches_the_numpy_masks_and_bincount():
    sector, revenue, flags, fsy, f100 = _random_state(40_000)
    threshold = np.array([2e7, 1.5e7, 3e7])
    n = 36_000
    args = (2023, n, 3, tally_state(sector, revenue, flags, fsy, f100), threshold, np.array([1e9]))
    counts, _, by_sector, tail_log_sum, little_giants = fk.tally_year(*args)
    alive = (flags[:n] & fk.ALIVE) != 0
    counted = alive & (revenue[:n] >= threshold[sector[:n]]) & (fsy[:n] != fk.NEVER)
    s, r = sector[:n][counted], revenue[:n][counted]
    assert np.array_equal(counts[1], np.bincount(s, minlength=3))
    np.testing.assert_allclose(by_sector, np.bincount(s, weights=r, minlength=3), rtol=1e-13)
    np.testing.assert_allclose(tail_log_sum, np.bincount(s, weights=np.log(r / threshold[s]), minlength=3),
                               rtol=1e-12)
    assert little_giants == np.count_nonzero(alive & ((flags[:n] & fk.LITTLE_GIANT) != 0))
    # On threads (whole blocks each), every output is the same bits.
    for one, many in zip(fk.tally_year(*args), fk.tally_year_threaded(2, *args), strict=True):
        assert np.array_equal(one, many)
    assert counts[1].min() > 100 and little_giants > 100  # the case is not empty
