"""Plain-NumPy reference implementations of four firm kernels, checked against the Numba kernels of
:mod:`sim.populations.firms.kernels` on random inputs (a few thousand firms, fixed seeds).

* ``spawn_entrants``: entrants written at ``start, start+1, ...`` (nothing else touched), lognormal
  first-year revenue keyed by firm index on the ``firm_entry_size`` stream (no draw when the
  sector's sigma is 0), the above-size threshold (``>=``) and 100,000,000 first-crossing years, the
  COUNTED_IN_YEAR / COUNTED_AT_100M bits, the yearly inclusion draw (probability 1 and 0.5),
  ``fai = investment_to_revenue * revenue`` and no open loan.
* ``tally_year``: counts by sector of living firms (alive, above size and counted, first counted
  this year, first 100m this year, 专精特新, at or above each big threshold) and revenue sums.
* ``reward_amounts``: base reward, excluded firms, the 专精特新 extra (withheld when the flags
  intersect ``srdi_extra_excluded_flag`` or SRDI_EXTRA_PAID) and the other extras.
* ``loan_step``: dead firms lose their loan, matured loans close, eligible firms borrow (probability,
  investment gate, programme by the cumulative weights of their sector, principal), and the
  subsidy follows :func:`sim.policy.kinds.interest_subsidy` (rate capped at the loan rate, duration,
  yearly cap) on the equal-instalment average balance.

The references are written from the kernels' documented rules, vectorised; the counter RNG is the
NumPy version of :mod:`sim.core.rng` in ``test_firm_kernels``. Each test also asserts that the
random inputs reach every branch it checks, so a wrong branch cannot pass unnoticed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_firm_kernels import _key, _normal, _uniform

from sim.populations.firms import kernels as fk
from sim.populations.firms import streams

SEED, DRAW, YEAR = 17, 3, 2024
N_SECTORS = 5


# ---------------------------------------------------------------------------------- spawn_entrants
def reference_spawn(start, new_sector, median, sigma, extra_flags, investment_to_revenue, threshold, stay_up,
                    this_year_max_age, inclusion):
    """The entrants' state, as a dict of arrays (one element per entrant)."""
    i = np.arange(start, start + new_sector.size)
    s = new_sector
    z = np.where(sigma[s] > 0.0, _normal(_key(SEED, DRAW, i, YEAR, streams.FIRM_ENTRY_SIZE)), 0.0)
    revenue = median[s] * np.exp(sigma[s] * z)
    r = revenue
    included = inclusion >= 1.0 or _uniform(_key(SEED, DRAW, i, YEAR, streams.FIRM_INCLUSION)) < inclusion
    counted = (r >= threshold[s]) & included
    big = r >= stay_up
    flags = (fk.ALIVE | extra_flags
             | np.where(counted & (0 <= this_year_max_age), fk.COUNTED_IN_YEAR, 0)
             | np.where(counted & big, fk.COUNTED_AT_100M, 0))
    return dict(
        sector=s, revenue=revenue, age=np.zeros(s.size, np.int16), flags=flags.astype(np.uint8),
        fsy=np.where(counted, YEAR, fk.NEVER).astype(np.int16), f100=np.where(big, YEAR, fk.NEVER).astype(np.int16),
        fai=investment_to_revenue * r, support=np.zeros(s.size, np.float32),
        loan_program=np.full(s.size, fk.NO_LOAN, np.uint8),
    )


@pytest.mark.parametrize("inclusion", [1.0, 0.5])
def test_spawn_entrants_matches_numpy_reference(inclusion):
    rng = np.random.default_rng(5)
    start, m, tail = 700, 3000, 40
    size = start + m + tail
    # Sector 2 has no spread and a median exactly on its threshold: every entrant there crosses (>=).
    median = np.array([5e6, 1e7, 2e7, 3e6, 4e7])
    sigma = np.array([1.5, 1.0, 0.0, 2.0, 1.2])
    threshold = np.array([2e7, 2e7, 2e7, 1e7, 2e7])
    stay_up, itr, extra, max_age = 1e8, 0.35, fk.INCUBATED, 0
    new_sector = rng.integers(0, N_SECTORS, m).astype(np.uint8)
    # Existing firms (and spare room) hold arbitrary values the kernel must leave alone.
    st = dict(
        sector=rng.integers(0, N_SECTORS, size).astype(np.uint8),
        revenue=rng.random(size) * 1e8,
        age=rng.integers(0, 30, size).astype(np.int16),
        flags=rng.integers(0, 256, size).astype(np.uint8),
        fsy=rng.integers(2000, 2024, size).astype(np.int16),
        f100=rng.integers(2000, 2024, size).astype(np.int16),
        fai=rng.random(size),
        support=rng.random(size).astype(np.float32),
        loan_program=rng.integers(0, 3, size).astype(np.uint8),
    )
    before = {k: v.copy() for k, v in st.items()}
    state = fk.FirmState(st["sector"], st["revenue"], st["age"], st["flags"], st["fsy"], st["f100"], st["fai"],
                         st["support"])
    rules = fk.StepRules(np.zeros(N_SECTORS), threshold, stay_up, fk.SHOCK_LAPLACE, 0.0, 2e7, 0.0, 1.0, 0.0, 0.0, 0, 0,
                         1.0, 0.0, 2e7, 0.0, 0.0, max_age, inclusion_probability=inclusion)
    fk.spawn_entrants(SEED, DRAW, YEAR, start, fk.Entrants(new_sector, median, sigma, extra, itr), state,
                      st["loan_program"], rules)
    want = reference_spawn(start, new_sector, median, sigma, extra, itr, threshold, stay_up, max_age, inclusion)
    new = slice(start, start + m)
    for name, v in st.items():
        assert np.array_equal(v[:start], before[name][:start]), name
        assert np.array_equal(v[start + m:], before[name][start + m:]), name
        if name in ("revenue", "fai"):
            # Box-Muller and exp in NumPy and in Numba may differ by an ulp.
            np.testing.assert_allclose(v[new], want[name], rtol=1e-12, err_msg=name)
        else:
            assert np.array_equal(v[new], want[name]), name
    # fai is investment_to_revenue times the *stored* revenue.
    np.testing.assert_allclose(st["fai"][new], itr * st["revenue"][new], rtol=0)
    # The random inputs reach every branch.
    flags, r = st["flags"][new], st["revenue"][new]
    above = r >= threshold[new_sector]
    counted = (flags & fk.COUNTED_IN_YEAR) != 0
    assert counted.sum() > 50 and (~above).sum() > 50
    assert ((flags & fk.COUNTED_AT_100M) != 0).sum() > 10
    assert np.all(r[new_sector == 2] == 2e7) and np.all(above[new_sector == 2])
    assert np.all(flags & fk.INCUBATED) and np.all(flags & fk.ALIVE)
    if inclusion < 1.0:
        missed = above & ~counted
        assert missed.sum() > 50 and np.all(st["fsy"][new][missed] == fk.NEVER)
        assert np.any(missed & (st["f100"][new] == YEAR))  # crossed 100m but not (yet) included
    else:
        assert np.array_equal(counted, above)


# ------------------------------------------------------------------------------------- tally_year
def reference_tally(year, n, n_sectors, sector, revenue, flags, fsy, f100, threshold, big):
    alive = (flags[:n] & fk.ALIVE) != 0
    s, r = sector[:n][alive], revenue[:n][alive]
    fsy, f100, flags = fsy[:n][alive], f100[:n][alive], flags[:n][alive]
    masks = [np.ones(s.size, bool), (r >= threshold[s]) & (fsy != fk.NEVER), fsy == year, f100 == year,
             (flags & fk.SRDI) != 0] + [r >= b for b in big]
    counts = np.stack([np.bincount(s[mk], minlength=n_sectors) for mk in masks])
    return counts, np.bincount(s, weights=r, minlength=n_sectors)


def test_tally_firms_matches_numpy_reference():
    rng = np.random.default_rng(8)
    n, size, n_sectors = 4000, 4100, 6  # firms past n are not counted; sector 5 has no firm
    threshold = np.array([2e7, 2e7, 1e7, 2e7, 5e6, 2e7])
    big = np.array([1e9, 5e9])
    sector = rng.integers(0, N_SECTORS, size).astype(np.uint8)
    revenue = 1e7 * np.exp(2.5 * rng.standard_normal(size))
    revenue[rng.choice(n, 40, replace=False)] = threshold[0]  # on the thresholds (>=)
    revenue[rng.choice(n, 10, replace=False)] = big[1]
    flags = (np.where(rng.random(size) < 0.85, fk.ALIVE, 0) | np.where(rng.random(size) < 0.15, fk.SRDI, 0)
             ).astype(np.uint8)
    years = np.array([fk.NEVER, YEAR - 3, YEAR - 1, YEAR], np.int16)
    fsy = years[rng.integers(0, 4, size)]
    f100 = years[rng.choice(4, size, p=[0.7, 0.1, 0.1, 0.1])]
    args = (YEAR, n, n_sectors, sector, revenue, flags, fsy, f100, threshold, big)
    counts, total, _, _, _ = fk.tally_year(*kernel_tally_args(*args))
    want_counts, want_total = reference_tally(*args)
    threaded = fk.tally_year_threaded(2, *kernel_tally_args(*args))
    assert np.array_equal(threaded[0], counts) and np.array_equal(threaded[1], total)
    assert counts.shape == (5 + big.size, n_sectors) and np.array_equal(counts, want_counts)
    np.testing.assert_allclose(total, want_total, rtol=1e-12)
    # The random inputs reach every branch.
    alive = (flags[:n] & fk.ALIVE) != 0
    assert (~alive).sum() > 100 and np.all(counts[:, 5] == 0) and total[5] == 0.0
    assert np.all(counts[1:, :N_SECTORS] < counts[0, :N_SECTORS]) and np.all(counts[1:5, :N_SECTORS] > 0)
    assert counts[5].sum() > counts[6].sum() > 10
    above_not_counted = alive & (revenue[:n] >= threshold[sector[:n]]) & (fsy[:n] == fk.NEVER)
    counted_now_below = alive & (revenue[:n] < threshold[sector[:n]]) & (fsy[:n] == YEAR)
    assert above_not_counted.sum() > 50 and counted_now_below.sum() > 50
    # A firm past n would change the result.
    assert not np.array_equal(fk.tally_year(*kernel_tally_args(YEAR, size, *args[2:]))[0], counts)


def kernel_tally_args(year, n, n_sectors, sector, revenue, flags, fsy, f100, threshold, big):
    """The tally kernels' arguments for the reference's (ages, investment and support zero: not read)."""
    size = sector.size
    state = fk.FirmState(sector, revenue, np.zeros(size, np.int16), flags, fsy, f100, np.zeros(size),
                         np.zeros(size, np.float32))
    return year, n, n_sectors, state, threshold, big


def reference_block_sums(n, sector, revenue, flags, fsy, threshold, n_sectors):
    """Revenue, above-size revenue and log sums as tally_year defines them: block by block in index
    order, then the blocks in order, one Python float addition at a time (the same roundings)."""
    total = [[0.0] * n_sectors for _ in range(3)]
    for start in range(0, n, fk.BLOCK_FIRMS):
        block = [[0.0] * n_sectors for _ in range(3)]
        for i in range(start, min(n, start + fk.BLOCK_FIRMS)):
            if not flags[i] & fk.ALIVE:
                continue
            s, r = int(sector[i]), float(revenue[i])
            block[0][s] += r
            if r >= threshold[s] and fsy[i] != fk.NEVER:
                block[1][s] += r
                block[2][s] += math.log(r / threshold[s])
        for row in range(3):
            for s in range(n_sectors):
                total[row][s] += block[row][s]
    return np.array(total)


@pytest.mark.parametrize("threads", [1, 2])
def test_tally_of_blocks_of_one_sector_and_of_several_gives_the_reference_bits(threads):
    # Firms sorted by sector (blocks of one sector, as synthesis writes them) then entrants of
    # mixed sectors, a third of them dead at random: both ways of tallying a block are used.
    rng = np.random.default_rng(21)
    n_sectors, sorted_firms, entrants = 4, 9 * fk.BLOCK_FIRMS + 100, 3 * fk.BLOCK_FIRMS + 7
    n = sorted_firms + entrants
    sector = np.concatenate([np.sort(rng.integers(0, n_sectors, sorted_firms)),
                             rng.integers(0, n_sectors, entrants)]).astype(np.uint8)
    threshold = np.array([2e7, 1e7, 2e7, 5e6])
    big = np.array([1e8, 1e9])
    revenue = 1e7 * np.exp(2.0 * rng.standard_normal(n))
    revenue[rng.choice(n, 30, replace=False)] = threshold[1]  # on a threshold (>=)
    flags = (np.where(rng.random(n) < 0.67, fk.ALIVE, 0) | np.where(rng.random(n) < 0.2, fk.SRDI, 0)
             | np.where(rng.random(n) < 0.1, fk.LITTLE_GIANT, 0)).astype(np.uint8)
    years = np.array([fk.NEVER, YEAR - 2, YEAR], np.int16)
    fsy, f100 = years[rng.integers(0, 3, n)], years[rng.choice(3, n, p=[0.8, 0.1, 0.1])]
    args = (YEAR, n, n_sectors, sector, revenue, flags, fsy, f100, threshold, big)
    counts, total, above_size_revenue, tail_log_sum, little_giants = (
        fk.tally_year(*kernel_tally_args(*args)) if threads == 1
        else fk.tally_year_threaded(threads, *kernel_tally_args(*args)))
    blocks = [sector[b:b + fk.BLOCK_FIRMS] for b in range(0, n, fk.BLOCK_FIRMS)]
    one_sector = sum(np.all(b == b[0]) for b in blocks)
    assert 5 <= one_sector <= len(blocks) - 3  # both kinds of block
    want_counts, _ = reference_tally(*args)
    assert np.array_equal(counts, want_counts)
    want = reference_block_sums(n, sector, revenue, flags, fsy, threshold, n_sectors)
    for got, ref in zip((total, above_size_revenue, tail_log_sum), want, strict=True):
        assert np.array_equal(got, ref)  # bit for bit: the same additions in the same order
    alive = (flags & fk.ALIVE) != 0
    assert little_giants == np.count_nonzero(alive & ((flags & fk.LITTLE_GIANT) != 0))
    assert counts[5].sum() > counts[6].sum() > 10 and counts[2].sum() > 100 and counts[3].sum() > 100


# --------------------------------------------------------------------------------- reward_amounts
def reference_rewards(event, flags, base, srdi_extra, other, excluded_flag, srdi_extra_excluded_flag):
    gets_extra = ((flags & fk.SRDI) != 0) & ((flags & (srdi_extra_excluded_flag | fk.SRDI_EXTRA_PAID)) == 0)
    amount = base + np.where(gets_extra, other + srdi_extra, other)
    return np.where(event & ((flags & excluded_flag) == 0), amount, 0.0)


@pytest.mark.parametrize("excluded, extra_excluded", [
    (fk.LITTLE_GIANT, fk.INCUBATED),
    (np.uint8(0), np.uint8(0)),
    (fk.INCUBATED | fk.COUNTED_IN_YEAR, fk.LITTLE_GIANT),
])
def test_reward_amounts_matches_numpy_reference(excluded, extra_excluded):
    from sim.policy.kinds.threshold_reward import reward_amounts

    rng = np.random.default_rng(13)
    m = 3000
    event = rng.random(m) < 0.7
    bits = [fk.ALIVE, fk.SRDI, fk.LITTLE_GIANT, fk.INCUBATED, fk.COUNTED_IN_YEAR, fk.SRDI_EXTRA_PAID]
    share = [0.9, 0.5, 0.2, 0.2, 0.5, 0.3]
    flags = np.zeros(m, np.uint8)
    for bit, p in zip(bits, share, strict=False):
        flags |= np.where(rng.random(m) < p, bit, 0).astype(np.uint8)
    base, srdi_extra, other = 200_000.0, 150_000.0, 33_333.3
    got = reward_amounts(event, flags, base, srdi_extra, other, excluded, extra_excluded, fk.SRDI, fk.SRDI_EXTRA_PAID)
    want = reference_rewards(event, flags, base, srdi_extra, other, excluded, extra_excluded)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    # The random inputs reach every branch.
    srdi = (flags & fk.SRDI) != 0
    excl = (flags & excluded) != 0
    assert np.all(got[~event] == 0.0)
    with_extra = event & ~excl & srdi & ((flags & (extra_excluded | fk.SRDI_EXTRA_PAID)) == 0)
    assert with_extra.sum() > 50 and np.all(got[with_extra] == base + (other + srdi_extra))
    paid_before = event & ~excl & srdi & ((flags & fk.SRDI_EXTRA_PAID) != 0)
    assert paid_before.sum() > 50 and np.all(got[paid_before] == base + other)
    assert np.all(got[event & ~excl & ~srdi] == base + other)
    if excluded:
        assert (event & excl).sum() > 50 and np.all(got[excl] == 0.0)
    if extra_excluded:
        withheld = event & ~excl & srdi & ((flags & extra_excluded) != 0) & ((flags & fk.SRDI_EXTRA_PAID) == 0)
        assert withheld.sum() > 20 and np.all(got[withheld] == base + other)


# -------------------------------------------------------------------------------------- loan_step
# Four programmes: 2 points for 3 years capped; 5 points (above the loan rate) without limit;
# 3 points for 1 year with a low cap; 0 points.
LOAN_RATE = 4.2
SUBSIDY_RATE = np.array([2.0, 5.0, 3.0, 0.0])
MAX_YEARS = np.array([3, -1, 1, -1], dtype=np.int64)
CAP = np.array([100_000.0, np.inf, 20_000.0, np.inf])
WEIGHTS = np.array([
    [1.0, 1.0, 1.0, 1.0],
    [0.0, 2.0, 0.0, 1.0],
    [0.0, 0.0, 0.0, 0.0],  # sector 2 borrows under no programme
    [3.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 1.0, 0.0],
])
TERM = 5


FLOORS = np.array([5e6, 0.0, 5e6, 2e7])  # each programme's recorded-investment floor (>=)


def reference_loans(n, sector, flags, fai, principal, start, program, floors, borrow_probability, weights,
                    loan_to_investment):
    """New (principal, start, program) arrays of firms 0..n-1, the balances and the firms that borrowed."""
    principal, start, program = principal[:n].copy(), start[:n].copy(), program[:n].copy()
    i = np.arange(n)
    s = sector[:n]
    alive = (flags[:n] & fk.ALIVE) != 0
    matured = (program != fk.NO_LOAN) & (YEAR - start.astype(np.int64) >= TERM)
    program[~alive | matured] = fk.NO_LOAN
    # Borrowing: free living firms, among the programmes of their sector whose floor they meet.
    open_w = np.where(fai[:n, None].astype(np.float64) >= floors[None, :], weights[s], 0.0)
    cum = np.cumsum(open_w, axis=1)
    total = cum[:, -1]
    may = alive & (program == fk.NO_LOAN) & (total > 0.0)
    borrows = may & (borrow_probability > 0.0) & (_uniform(_key(SEED, DRAW, i, YEAR, streams.FIRM_LOAN))
                                                  < borrow_probability)
    # Programme: the first whose cumulative weight exceeds u * total.
    u = _uniform(_key(SEED, DRAW, i, YEAR, streams.FIRM_LOAN_SIZE)) * total
    choice = np.minimum((cum <= u[:, None]).sum(axis=1), weights.shape[1] - 1)
    program[borrows] = choice[borrows]
    start[borrows] = YEAR
    principal[borrows] = (loan_to_investment * fai[:n][borrows].astype(np.float64)).astype(principal.dtype)
    has = program != fk.NO_LOAN
    age = YEAR - start.astype(np.int64)
    balance = np.where(has, principal.astype(np.float64) * (TERM - age) / TERM, 0.0)
    return principal, start, program, balance, borrows


def reference_subsidy(balance, age, q):
    """kinds.interest_subsidy on each loan's balance, by programme."""
    rate = np.minimum(SUBSIDY_RATE[q], LOAN_RATE)
    in_term = (MAX_YEARS[q] < 0) | (age < MAX_YEARS[q])
    pays = (balance > 0.0) & in_term & (rate > 0.0)
    return np.where(pays, np.minimum(balance * rate / 100.0, CAP[q]), 0.0)


@pytest.mark.parametrize("borrow_probability", [0.35, 0.0])
def test_loan_step_matches_numpy_reference(borrow_probability):
    from sim.policy.kinds.interest_subsidy import interest_subsidies

    rng = np.random.default_rng(21)
    n, size = 5000, 5060  # firms past n are not stepped
    min_fai, lti = 5e6, 0.6
    sector = rng.integers(0, N_SECTORS, size).astype(np.uint8)
    flags = np.where(rng.random(size) < 0.9, fk.ALIVE, 0).astype(np.uint8)
    fai = min_fai * np.exp(1.2 * rng.standard_normal(size))
    fai[rng.choice(n, 30, replace=False)] = min_fai  # on the floor (>=)
    has_loan = rng.random(size) < 0.45
    program = np.where(has_loan, rng.integers(0, 4, size), fk.NO_LOAN).astype(np.uint8)
    start = np.where(has_loan, rng.integers(YEAR - TERM - 2, YEAR + 1, size), 0).astype(np.int16)
    principal = np.where(has_loan, 1e6 * np.exp(1.5 * rng.standard_normal(size)), 0.0).astype(np.float32)
    before = dict(principal=principal.copy(), start=start.copy(), program=program.copy())

    want_p, want_s, want_q, want_bal, borrows = reference_loans(
        n, sector, flags, fai, principal, start, program, FLOORS, borrow_probability, WEIGHTS, lti)
    got = fk.loan_step(SEED, DRAW, YEAR, n, fk.LoanBook(sector, flags, fai, principal, start, program),
                       fk.LoanTerms(FLOORS, borrow_probability, WEIGHTS, lti, TERM))
    assert got.shape == (n,)
    assert np.array_equal(program[:n], want_q) and np.array_equal(start[:n], want_s)
    np.testing.assert_allclose(principal[:n], want_p, rtol=1e-6)  # the stored lti * fai
    np.testing.assert_allclose(got, want_bal, rtol=1e-12, atol=0)
    for name, v in dict(principal=principal, start=start, program=program).items():
        assert np.array_equal(v[n:], before[name][n:]), name
    # The subsidy on those balances, by the instrument kind's rule, programme by programme.
    now = program[:n]
    open_ = now != fk.NO_LOAN
    q = np.where(open_, now, 0)
    age = YEAR - start[:n].astype(np.int64)
    sub = np.zeros(n)
    for k in range(4):
        m = open_ & (q == k)
        sub[m] = interest_subsidies(got[m], LOAN_RATE, SUBSIDY_RATE[k], age[m], int(MAX_YEARS[k]), CAP[k])
    np.testing.assert_allclose(sub, reference_subsidy(got, age, q) * open_, rtol=1e-12, atol=0)

    # The random inputs reach every branch.
    s = sector[:n]
    alive = (flags[:n] & fk.ALIVE) != 0
    had = before["program"][:n] != fk.NO_LOAN
    matured = alive & had & (YEAR - before["start"][:n].astype(np.int64) >= TERM)
    assert (~alive & had).sum() > 50 and np.all(program[:n][~alive] == fk.NO_LOAN) and np.all(got[~alive] == 0.0)
    assert matured.sum() > 100
    assert np.all(got[~open_] == 0.0)
    assert (open_ & np.isfinite(CAP[q]) & (sub == CAP[q])).sum() > 20
    expired = open_ & (MAX_YEARS[q] >= 0) & (age >= MAX_YEARS[q])
    assert expired.sum() > 50 and np.all(sub[expired] == 0.0)
    assert (open_ & (q == 1) & (sub > 0.0)).sum() > 50
    assert np.all(sub[open_ & (q == 3)] == 0.0) and (open_ & (q == 3)).sum() > 50
    free = (alive & (before["program"][:n] == fk.NO_LOAN)) | matured
    # Below every floor of its sector's programmes (sector 4 only has programme 2, floor 5e6).
    gated = free & (s == 4) & (fai[:n] < min_fai)
    assert gated.sum() > 20 and not np.any(borrows[gated])
    zero_weight = free & (s == 2)
    assert zero_weight.sum() > 50 and not np.any(borrows[zero_weight])
    # Open loans of sector 2 (weights 0) keep running: the weights only choose new loans.
    assert np.any(open_ & (s == 2) & (got > 0.0))
    if borrow_probability > 0.0:
        assert borrows.sum() > 300 and np.any(borrows & matured)  # a matured loan is replaced the same year
        assert np.all(age[borrows] == 0)
        # Every programme is chosen, only where its sector gives it weight and its floor is met.
        assert set(np.unique(now[borrows])) == {0, 1, 2, 3}
        assert np.all(WEIGHTS[s[borrows], now[borrows]] > 0.0)
        assert np.all(fai[:n][borrows] >= FLOORS[now[borrows]])
        # Sector 0 firms below 5e6 borrow only under programme 1 (no floor).
        low = borrows & (s == 0) & (fai[:n] < min_fai)
        assert low.sum() > 10 and np.all(now[low] == 1)
        assert np.any(borrows & (fai[:n] == min_fai))
    else:
        assert not borrows.any() and np.all(now[~had] == fk.NO_LOAN)
