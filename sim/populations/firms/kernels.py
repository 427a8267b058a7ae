"""Numba kernels of the firm population: pure functions of arrays and scalars.

The state is a structure of arrays, one element per firm (see :mod:`sim.populations.firms.component`). Random
numbers come from the counter-based generator of :mod:`sim.core.rng`, keyed by (seed, draw, firm
index, year, stream), so a firm's path does not depend on how many other firms there are or how
the work is split. Each kernel hashes the (seed, draw) prefix once per call and the (firm, year)
prefix once per firm, then one round per number (:func:`~sim.core.rng.stream_key`).

Year markers (``first_size_year``, ``first_100m_year``) hold the calendar year of the first
crossing, or :data:`NEVER`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from sim.core import elementary as el
from sim.core.rng import (
    draw_key,
    draw_prefix,
    entity_prefix,
    poisson,
    standard_normal,
    stream_key,
    uniform,
)
from sim.populations.firms import streams

__all__ = [
    "ALIVE", "SRDI", "LITTLE_GIANT", "INCUBATED", "COUNTED_IN_YEAR", "COUNTED_AT_100M", "SRDI_EXTRA_PAID", "NEVER",
    "NO_LOAN",
    "SHOCK_LAPLACE", "SHOCK_NORMAL",
    "FirmState", "StepRules", "Entrants", "LoanBook", "LoanTerms",
    "step_firms", "step_firms_threaded", "BLOCK_FIRMS", "spawn_entrants", "entry_counts",
    "tally_year", "tally_year_threaded", "loan_step", "loan_step_threaded", "reward_candidates", "incubated_counts",
]

# Bits of the ``flags`` byte.
ALIVE = np.uint8(1)
SRDI = np.uint8(2)  # certified 专精特新
LITTLE_GIANT = np.uint8(4)  # national "little giant" funded by central money
INCUBATED = np.uint8(8)  # graduate of an incubator
COUNTED_IN_YEAR = np.uint8(16)  # counted above size in the year it crossed ("first counted this year")
COUNTED_AT_100M = np.uint8(32)  # revenue >= 100,000,000 in the year first counted above size (D8 item 3 software)
SRDI_EXTRA_PAID = np.uint8(64)  # has been paid the 专精特新 extra of D8 item 4 (once per firm)

NEVER = np.int16(0)
NO_LOAN = np.uint8(255)
SHOCK_LAPLACE = 0
SHOCK_NORMAL = 1

_S_GROWTH = streams.FIRM_GROWTH
_S_EXIT = streams.FIRM_EXIT
_S_ENTRY = streams.FIRM_ENTRY
_S_ENTRY_SIZE = streams.FIRM_ENTRY_SIZE
_S_SRDI = streams.FIRM_SRDI
_S_LOAN = streams.FIRM_LOAN
_S_LOAN_2 = streams.FIRM_LOAN_SIZE
_S_INCLUSION = streams.FIRM_INCLUSION
_S_LITTLE_GIANT = streams.FIRM_LITTLE_GIANT
# Second number from one key (little-giant draw after certification, programme choice).
_SECOND = np.uint64(0x2545F4914F6CDD1D)
# The second uniform of a Box-Muller pair (as :func:`sim.core.rng.standard_normal`).
_NORMAL_PAIR = np.uint64(0x632BE59BD9B4E019)
_LAPLACE_SCALE = 1.0 / math.sqrt(2.0)
#: Firms stepped together: their numbers are drawn in one branch-free pass, then applied.
BLOCK_FIRMS = 512
# Two cache lines (and the adjacent line the hardware prefetches with each).
_ACCUMULATOR_GAP_BYTES = 128


class FirmState(NamedTuple):
    """The firm arrays the kernels read and update in place, aligned by firm index
    (:meth:`~sim.populations.firms.population.FirmArrays.kernel_state`).

    Attributes
    ----------
    sector : uint8 array
    revenue_cny, fai_cny : float64 arrays
        Revenue and recorded fixed-asset investment, CNY.
    age_years, first_size_year, first_100m_year : int16 arrays
    flags : uint8 array
        Bits :data:`ALIVE`, :data:`SRDI`, ...
    support_cny : float32 array
        Support received last year, CNY (used and reset by the step).
    """

    sector: np.ndarray
    revenue_cny: np.ndarray
    age_years: np.ndarray
    flags: np.ndarray
    first_size_year: np.ndarray
    first_100m_year: np.ndarray
    fai_cny: np.ndarray
    support_cny: np.ndarray


#: No added exit for any sector code (a uint8 holds 256): the default of StepRules, read-only.
_NO_ADDED_EXIT = np.zeros(256)
_NO_ADDED_EXIT.flags.writeable = False


class StepRules(NamedTuple):
    """The laws of a year's firm step (:func:`step_firms`); scalars unless named by sector.

    Attributes
    ----------
    drift_by_sector, threshold_by_sector : float64 arrays
        Mean log growth a year and above-size threshold (CNY) by sector code.
    stay_up_cny : float
        The 100,000,000 line whose first crossing is recorded.
    shock_kind, sigma_ref, sigma_ref_revenue_cny, beta, sigma_max, elasticity
        Growth shocks (:data:`SHOCK_LAPLACE` or :data:`SHOCK_NORMAL`) and their size law, and the
        elasticity of growth to support.
    exit_base, exit_peak_min, exit_peak_max, exit_peak_mult, exit_size_exp, exit_ref_revenue_cny
        Exit hazard at the reference revenue, its peak ages and multiplier, its size law.
    srdi_hazard, little_giant_share, this_year_max_age
        专精特新 certification, the share of little giants at certification, the oldest age
        counted "this year".
    incubation_years, incubation_exit_mult, incubation_growth_boost, inclusion_probability
    young_premium, young_halflife_years, srdi_min_revenue_cny, srdi_min_age, little_giant_hazard
        Optional mechanisms, off at their defaults (see :func:`step_firms`).
    exit_added_by_sector : float64 array
        Yearly exit probability at the reference revenue added by sector code to the hazard of
        age from `exit_added_min_age` on (scaled by the size law as the rest; default: 0 for
        every sector code a uint8 can hold).

    The scenario's names and units of each are those of
    :class:`sim.populations.firms.section.FirmsSection`.
    """

    drift_by_sector: np.ndarray
    threshold_by_sector: np.ndarray
    stay_up_cny: float
    shock_kind: int
    sigma_ref: float
    sigma_ref_revenue_cny: float
    beta: float
    sigma_max: float
    elasticity: float
    exit_base: float
    exit_peak_min: int
    exit_peak_max: int
    exit_peak_mult: float
    exit_size_exp: float
    exit_ref_revenue_cny: float
    srdi_hazard: float
    little_giant_share: float
    this_year_max_age: int
    incubation_years: int = 0
    incubation_exit_mult: float = 1.0
    incubation_growth_boost: float = 0.0
    inclusion_probability: float = 1.0
    young_premium: float = 0.0
    young_halflife_years: float = 1.0
    srdi_min_revenue_cny: float = -1.0
    srdi_min_age: int = 0
    little_giant_hazard: float = 0.0
    exit_added_by_sector: np.ndarray = _NO_ADDED_EXIT
    exit_added_min_age: int = 0


class Entrants(NamedTuple):
    """A batch of entrants for :func:`spawn_entrants`.

    Attributes
    ----------
    new_sector : uint8 array
        Sector code of each entrant.
    median_by_sector, sigma_by_sector : float64 arrays
        Lognormal first-year revenue (median CNY, log sigma) by sector code.
    extra_flags : uint8
        Flag bits every entrant of the batch carries (:data:`INCUBATED` for graduates).
    investment_to_revenue : float
        Recorded fixed-asset investment per CNY of revenue.
    founding_exit_hazard : float
        Probability of exiting within the founding year.
    """

    new_sector: np.ndarray
    median_by_sector: np.ndarray
    sigma_by_sector: np.ndarray
    extra_flags: np.uint8
    investment_to_revenue: float
    founding_exit_hazard: float = 0.0


class LoanBook(NamedTuple):
    """The firm arrays :func:`loan_step` reads (sector, flags, investment) and updates (the loans)."""

    sector: np.ndarray
    flags: np.ndarray
    fai_cny: np.ndarray
    loan_principal_cny: np.ndarray
    loan_start_year: np.ndarray
    loan_program: np.ndarray


class LoanTerms(NamedTuple):
    """How firms borrow (:func:`loan_step`).

    Attributes
    ----------
    min_fai_by_program_cny : float64 array (n_programs,)
        Recorded-investment floor of each programme.
    borrow_probability : float
    weights : float64 array (n_sectors, n_programs)
        Weight of each programme by sector.
    loan_to_investment : float
        Principal per CNY of recorded investment.
    term_years : int
    """

    min_fai_by_program_cny: np.ndarray
    borrow_probability: float
    weights: np.ndarray
    loan_to_investment: float
    term_years: int



@njit(cache=True)
def _first_crossings(firm_key, r, year, age, this_year_max_age, threshold, stay_up, first_size_year, first_100m_year,
                     inclusion_probability):
    """A firm's first-crossing years and the bits of its first counting (COUNTED_IN_YEAR,
    COUNTED_AT_100M) after a year at revenue `r`; `firm_key` is the firm-year's
    :func:`~sim.core.rng.entity_prefix`.

    Scalars in, scalars out: the caller stores them, which keeps the step loop free of array
    writes inside a helper (such writes made the whole step about a fifth slower).
    """
    counted = np.uint8(0)
    if r >= threshold and first_size_year == NEVER:
        # A firm above the threshold enters the above-size statistics (纳统) in a yearly review:
        # each year it is included with `inclusion_probability` (1: the year it crosses).
        if inclusion_probability >= 1.0 or uniform(stream_key(firm_key, _S_INCLUSION)) < inclusion_probability:
            first_size_year = year
            if age <= this_year_max_age:
                counted = COUNTED_IN_YEAR
            if r >= stay_up:
                counted |= COUNTED_AT_100M
    if r >= stay_up and first_100m_year == NEVER:
        first_100m_year = year
    return first_size_year, first_100m_year, counted


@njit(cache=True, error_model="numpy")
def step_firms(seed, draw, year, n, state, rules, exit_hazard_by_age=None, revenue_cap_by_sector=None, exit_tally=None):
    """Advance firms ``0..n-1`` one year, in place.

    For each living firm: age + 1; exit with probability
    ``exit_base * (exit_peak_mult if exit_peak_min <= age <= exit_peak_max) * (R / exit_ref)^-exit_size_exp``
    (R last year's revenue); otherwise log growth
    ``g = drift[sector] + elasticity * support / R + sigma * z`` with
    ``sigma = min(sigma_max, sigma_ref * (R / sigma_ref_revenue)^-beta)`` and z a unit-variance
    Laplace (``shock_kind`` 0) or normal (1) shock; revenue and recorded fixed-asset investment
    scale by ``exp(g)``; the first crossings of the above-size threshold (``>=``) and of
    `stay_up_cny` are recorded; an uncertified firm above size is certified 专精特新 with
    probability `srdi_hazard`, and is then a little giant with probability `little_giant_share`.
    ``support_cny`` (support received last year, CNY) is used and reset to 0.
    An incubated start-up (flag ``INCUBATED``) of age <= `incubation_years` has its exit hazard
    multiplied by `incubation_exit_mult` and its log growth raised by `incubation_growth_boost`.

    Optional mechanisms (left at their defaults the rules above hold unchanged):

    * `exit_hazard_by_age`: the hazard at the reference revenue by age after this year's birthday
      (index ``min(age, len - 1)``; index 0 is the founding year, applied to entrants in
      :func:`spawn_entrants`), instead of ``exit_base`` and the peak multiplier;
    * `revenue_cap_by_sector`: no firm's revenue grows above its sector's cap, CNY;
    * `young_premium`: log growth added at age 1, halving every `young_halflife_years` (young
      firms that survive grow faster);
    * `srdi_min_revenue_cny`, `srdi_min_age`: 专精特新 certification open to firms at or above that
      revenue and age (a negative revenue: the above-size threshold), and `little_giant_hazard`:
      a certified firm becomes a national little giant with that yearly probability;
    * `exit_added_by_sector`: a yearly exit probability at the reference revenue added to the
      hazard of a sector's firms from age `exit_added_min_age`, then scaled by the size law (exits for a cause
      outside the age law that hits small firms more, such as the relocation of general
      manufacturing out of Beijing);
    * `exit_tally` (int64, shape (2, n_ages)): adds the firms at risk (row 0) and the exits (row 1)
      by age index.

    The exponentials and logarithms are those of :mod:`sim.core.elementary` (within 2 ulps of
    the C library's; branch-free, so the per-firm arithmetic runs in vector lanes): the firms are
    stepped in blocks of :data:`BLOCK_FIRMS`, first the random numbers, hazards and growth factors
    of the whole block (no branches), then the state changes firm by firm.
    :func:`step_firms_threaded` gives the same bits on several threads.

    The three optional arrays are arguments of their own rather than fields of `rules`: Numba
    drops the code of an argument that is ``None`` when it compiles, not that of a tuple's field.

    Parameters
    ----------
    seed, draw, year, n : int
        Random keys and number of firms to step.
    state : FirmState
        Firm state (updated in place).
    rules : StepRules
        The year's laws (see :class:`sim.populations.firms.section.FirmsSection` for their sources).
    exit_hazard_by_age, revenue_cap_by_sector, exit_tally : arrays or None
        As above.
    """
    tables = _step_tables(n, state.age_years, rules, exit_hazard_by_age, exit_tally)
    _step_range(0, n, draw_prefix(seed, draw), year, state, rules, tables[0], revenue_cap_by_sector, tables[2],
                tables[1])
    if exit_tally is not None:
        exit_tally += tables[1]


@njit(cache=True, parallel=True, error_model="numpy")
def step_firms_threaded(threads, seed, draw, year, n, state, rules, exit_hazard_by_age=None, revenue_cap_by_sector=None,
                        exit_tally=None):
    """:func:`step_firms` on `threads` threads, each over its own range of firms: the same bits
    (every number of a firm is keyed by the firm, and the exit tallies are integer sums).
    """
    tables = _step_tables(n, state.age_years, rules, exit_hazard_by_age, exit_tally)
    hazard_by_age = tables[0]
    prefix = draw_prefix(seed, draw)
    # Whole blocks per thread, so a block is never split between two.
    blocks = (n + BLOCK_FIRMS - 1) // BLOCK_FIRMS
    per_thread = (blocks + threads - 1) // threads * BLOCK_FIRMS
    rows = tables[1].shape[0]
    tallies = _thread_accumulators(threads, rows, tables[1].shape[1])
    for t in prange(threads):
        lo = min(n, t * per_thread)
        hi = min(n, lo + per_thread)
        _step_range(lo, hi, prefix, year, state, rules, hazard_by_age, revenue_cap_by_sector, tables[2],
                    tallies[t, :rows])
    if exit_tally is not None:
        for t in range(threads):
            exit_tally += tallies[t, :rows]


@njit(cache=True)
def _thread_accumulators(threads, rows, cols):
    """Zeroed int64 accumulators, one ``(rows, cols)`` table per thread at ``[t, :rows]``.

    Padded so that two threads' tables are at least two cache lines apart: threads adding to one
    line take turns owning it, which cost the threaded firm step about a tenth.
    """
    pad_rows = (_ACCUMULATOR_GAP_BYTES // 8 + cols - 1) // cols
    return np.zeros((threads, rows + pad_rows, cols), dtype=np.int64)


@njit(cache=True)
def _step_tables(n, age_years, rules, exit_hazard_by_age, exit_tally):
    """Tables by age after this year's birthday, and an empty exit tally of the caller's shape.

    The exit hazard at the reference revenue by age index (the schedule, or the base with its
    peak; the last entry holds for every later age) and the growth premium of young firms
    (``young_premium * 0.5 ** ((age - 1) / young_halflife_years)``, 0 at age 0), up to the oldest
    of the first `n` firms.
    """
    exit_base, exit_peak_min, exit_peak_max = rules.exit_base, rules.exit_peak_min, rules.exit_peak_max
    young_premium, young_halflife_years = rules.young_premium, rules.young_halflife_years
    oldest = 0
    for i in range(n):
        oldest = max(oldest, np.int64(age_years[i]))
    premium = np.zeros(oldest + 2)
    if young_premium != 0.0:
        for a in range(1, oldest + 2):
            premium[a] = young_premium * 0.5 ** ((a - 1) / young_halflife_years)
    if exit_hazard_by_age is None:
        hazard = np.full(max(exit_peak_max, 0) + 2, exit_base)
        for a in range(max(exit_peak_min, 0), max(exit_peak_max, -1) + 1):
            hazard[a] = exit_base * rules.exit_peak_mult
    else:
        hazard = exit_hazard_by_age.astype(np.float64)
    tally = np.zeros((2, 1) if exit_tally is None else exit_tally.shape, dtype=np.int64)
    return hazard, tally, premium


@njit(cache=True, error_model="numpy")
def _step_range(lo, hi, prefix, year, state, rules, hazard_by_age, revenue_cap_by_sector, young_premium_by_age, tally):
    """Step firms ``lo..hi-1`` (see :func:`step_firms`); exits and firms at risk added to `tally`."""
    # Unpacked once: the loops below read locals, as when these were arguments.
    sector, revenue_cny, age_years, flags = state.sector, state.revenue_cny, state.age_years, state.flags
    first_size_year, first_100m_year = state.first_size_year, state.first_100m_year
    fai_cny, support_cny = state.fai_cny, state.support_cny
    drift_by_sector, threshold_by_sector, stay_up_cny = rules.drift_by_sector, rules.threshold_by_sector, rules.stay_up_cny
    shock_kind, sigma_ref, sigma_ref_revenue_cny = rules.shock_kind, rules.sigma_ref, rules.sigma_ref_revenue_cny
    beta, sigma_max, elasticity = rules.beta, rules.sigma_max, rules.elasticity
    exit_size_exp, exit_ref_revenue_cny = rules.exit_size_exp, rules.exit_ref_revenue_cny
    srdi_hazard, little_giant_share, this_year_max_age = rules.srdi_hazard, rules.little_giant_share, rules.this_year_max_age
    incubation_years, incubation_exit_mult = rules.incubation_years, rules.incubation_exit_mult
    incubation_growth_boost, inclusion_probability = rules.incubation_growth_boost, rules.inclusion_probability
    srdi_min_revenue_cny, srdi_min_age = rules.srdi_min_revenue_cny, rules.srdi_min_age
    little_giant_hazard = rules.little_giant_hazard
    exit_added_by_sector, exit_added_min_age = rules.exit_added_by_sector, rules.exit_added_min_age
    log_exit_ref = el.log(exit_ref_revenue_cny)
    log_sigma_ref = el.log(sigma_ref_revenue_cny)
    last_age = hazard_by_age.shape[0] - 1
    last_tally = tally.shape[1] - 1
    laplace = shock_kind == SHOCK_LAPLACE
    firm_keys = np.empty(BLOCK_FIRMS, dtype=np.uint64)
    u_exit = np.empty(BLOCK_FIRMS)
    hazard = np.empty(BLOCK_FIRMS)
    growth = np.empty(BLOCK_FIRMS)
    sigma = np.empty(BLOCK_FIRMS)
    shock = np.empty(BLOCK_FIRMS)
    log_revenue = np.empty(BLOCK_FIRMS)
    young = np.empty(BLOCK_FIRMS)
    # Firm indices unsigned: Numba wraps a negative index around, a test and an add at every
    # access; an unsigned one cannot be negative, so the accesses are plain loads (a tenth faster).
    live = np.empty(BLOCK_FIRMS, dtype=np.uint64)
    ages = np.empty(BLOCK_FIRMS, dtype=np.int64)
    revenue = np.empty(BLOCK_FIRMS)
    support = np.empty(BLOCK_FIRMS)
    incubating = np.empty(BLOCK_FIRMS, dtype=np.bool_)
    last_young = young_premium_by_age.shape[0] - 1
    for start in range(lo, hi, BLOCK_FIRMS):
        m = min(BLOCK_FIRMS, hi - start)
        # The living firms of the block, packed with what their numbers need (table look-ups by
        # age and sector here: gathers by small integers do not vectorise).
        # Without a branch: every firm is written at the next free place, which only a living
        # one takes (whether a firm is alive is as good as random, a branch on it mispredicted).
        c = 0
        for j in range(m):
            i = np.uint64(start + j)
            a = np.int64(age_years[i]) + 1
            live[c] = i
            ages[c] = a
            revenue[c] = max(float(revenue_cny[i]), 1.0)
            incubating[c] = ((flags[i] & INCUBATED) != 0) & (a <= incubation_years)
            support[c] = support_cny[i]
            hazard[c] = hazard_by_age[min(a, last_age)] + exit_added_by_sector[sector[i]] * (a >= exit_added_min_age)
            growth[c] = drift_by_sector[sector[i]]
            young[c] = young_premium_by_age[min(a, last_young)]
            c += np.int64(flags[i] & ALIVE)
        # Their numbers, in branch-free loops that vectorise. One hash or one transcendental per
        # loop: fused, their dependency chains were too long to overlap (about a fifth slower).
        for j in range(c):
            firm_keys[j] = entity_prefix(prefix, live[j], year)
        for j in range(c):
            u_exit[j] = uniform(stream_key(firm_keys[j], _S_EXIT))
        # One log serves both size laws: (R / ref)^-x = exp(-x * (ln R - ln ref)).
        for j in range(c):
            log_revenue[j] = el.log(revenue[j])
        for j in range(c):
            h = hazard[j] * el.exp(-exit_size_exp * (log_revenue[j] - log_exit_ref))
            hazard[j] = h * incubation_exit_mult if incubating[j] else h
        for j in range(c):
            sigma[j] = min(sigma_max, sigma_ref * el.exp(-beta * (log_revenue[j] - log_sigma_ref)))
        for j in range(c):
            g = growth[j] + elasticity * support[j] / revenue[j]
            g = g + incubation_growth_boost if incubating[j] else g
            growth[j] = g + young[j]
        # The shock, in loops of their own for each law (a branch inside would stop vectorisation).
        if laplace:
            for j in range(c):
                shock[j] = uniform(stream_key(firm_keys[j], _S_GROWTH)) - 0.5
            for j in range(c):
                u = shock[j]
                shock[j] = math.copysign(-_LAPLACE_SCALE * el.log(1.0 - 2.0 * abs(u)), u)
        else:
            for j in range(c):
                key = stream_key(firm_keys[j], _S_GROWTH)
                shock[j] = math.sqrt(-2.0 * el.log(uniform(key))) * math.cos(2.0 * math.pi * uniform(key ^ _NORMAL_PAIR))
        for j in range(c):
            growth[j] = el.exp(growth[j] + sigma[j] * shock[j])
        for j in range(c):
            i = live[j]
            f = flags[i]
            a = ages[j]
            age_years[i] = a
            dies = u_exit[j] < hazard[j]
            k = min(a, last_tally)
            tally[0, k] += 1
            if dies:
                tally[1, k] += 1
                flags[i] = f & ~ALIVE
                support_cny[i] = 0.0
                continue
            support_cny[i] = 0.0
            s = sector[i]
            factor = growth[j]
            r1 = float(revenue_cny[i]) * factor
            if revenue_cap_by_sector is not None and r1 > revenue_cap_by_sector[s]:
                factor = revenue_cap_by_sector[s] / float(revenue_cny[i])
                r1 = revenue_cap_by_sector[s]
            revenue_cny[i] = r1
            fai_cny[i] = fai_cny[i] * factor
            # Thresholds are compared on the stored revenue, which the outputs also read (the same
            # value when the state is float64, as FirmArrays keeps it).
            r1 = float(revenue_cny[i])
            firm_key = firm_keys[j]
            first_size_year[i], first_100m_year[i], counted = _first_crossings(
                firm_key, r1, year, a, this_year_max_age, threshold_by_sector[s], stay_up_cny, first_size_year[i],
                first_100m_year[i], inclusion_probability)
            flags[i] |= counted
            srdi_floor = threshold_by_sector[s] if srdi_min_revenue_cny < 0.0 else srdi_min_revenue_cny
            if (flags[i] & SRDI) == 0:
                if r1 >= srdi_floor and a >= srdi_min_age:
                    key = stream_key(firm_key, _S_SRDI)
                    if uniform(key) < srdi_hazard:
                        flags[i] |= SRDI
                        if uniform(key ^ _SECOND) < little_giant_share:
                            flags[i] |= LITTLE_GIANT
            elif little_giant_hazard > 0.0 and (flags[i] & LITTLE_GIANT) == 0:
                if uniform(stream_key(firm_key, _S_LITTLE_GIANT)) < little_giant_hazard:
                    flags[i] |= LITTLE_GIANT


@njit(cache=True)
def entry_counts(seed, draw, year, mean_by_sector):
    """Poisson births of each sector in a year (the sector code is the entity key)."""
    out = np.zeros(mean_by_sector.shape[0], dtype=np.int64)
    for s in range(mean_by_sector.shape[0]):
        out[s] = poisson(draw_key(seed, draw, s, year, _S_ENTRY), mean_by_sector[s])
    return out


@njit(cache=True)
def spawn_entrants(seed, draw, year, start, entrants, state, loan_program, rules, exit_tally=None):
    """Write entrants at positions ``start, start+1, ...``: age 0, lognormal first-year revenue.

    ``new_sector[k]`` is the sector of entrant k; its revenue is
    ``median[sector] * exp(sigma[sector] * z)`` with z keyed by its firm index. An entrant that
    reaches the threshold in its first year is marked as crossing this year. With
    `founding_exit_hazard` > 0 an entrant exits within its founding year with that probability
    (counted in `exit_tally` at age index 0, like :func:`step_firms`).

    `entrants` is an :class:`Entrants`, `state` a :class:`FirmState` and `rules` the
    :class:`StepRules` of the year (thresholds, inclusion, the "this year" age).
    """
    new_sector, median_by_sector, sigma_by_sector = entrants.new_sector, entrants.median_by_sector, entrants.sigma_by_sector
    extra_flags, investment_to_revenue = entrants.extra_flags, entrants.investment_to_revenue
    founding_exit_hazard = entrants.founding_exit_hazard
    sector, revenue_cny, age_years, flags = state.sector, state.revenue_cny, state.age_years, state.flags
    first_size_year, first_100m_year = state.first_size_year, state.first_100m_year
    fai_cny, support_cny = state.fai_cny, state.support_cny
    threshold_by_sector, stay_up_cny = rules.threshold_by_sector, rules.stay_up_cny
    this_year_max_age, inclusion_probability = rules.this_year_max_age, rules.inclusion_probability
    prefix = draw_prefix(seed, draw)
    for k in range(new_sector.shape[0]):
        i = start + k
        s = new_sector[k]
        firm_key = entity_prefix(prefix, i, year)
        z = standard_normal(stream_key(firm_key, _S_ENTRY_SIZE)) if sigma_by_sector[s] > 0.0 else 0.0
        sector[i] = s
        revenue_cny[i] = median_by_sector[s] * math.exp(sigma_by_sector[s] * z)
        r = float(revenue_cny[i])
        age_years[i] = 0
        flags[i] = ALIVE | extra_flags
        fai_cny[i] = investment_to_revenue * r
        support_cny[i] = 0.0
        loan_program[i] = NO_LOAN
        first_size_year[i], first_100m_year[i], counted = _first_crossings(
            firm_key, r, year, 0, this_year_max_age, threshold_by_sector[s], stay_up_cny, NEVER, NEVER,
            inclusion_probability)
        flags[i] |= counted
        if founding_exit_hazard > 0.0:
            dies = uniform(stream_key(firm_key, _S_EXIT)) < founding_exit_hazard
            if exit_tally is not None:
                exit_tally[0, 0] += 1
                if dies:
                    exit_tally[1, 0] += 1
            if dies:
                flags[i] &= ~ALIVE


@njit(cache=True)
def tally_year(year, n, n_sectors, state, threshold_by_sector, big_thresholds_cny):
    """Counts and revenue by sector of the living firms after a year's step, in one pass.

    Revenues are summed block by block (:data:`BLOCK_FIRMS` firms, in index order), then the
    blocks in order: :func:`tally_year_threaded` adds the same numbers in the same order.

    Returns
    -------
    counts : int64 array (5 + len(big_thresholds_cny), n_sectors)
        Rows: alive, above size (``>=`` and counted in the statistics), first counted above size this
        year, first crossing of 100,000,000 this year, certified 专精特新, then at or above each big
        threshold.
    revenue : float64 array (n_sectors,)
        Total revenue of living firms, CNY.
    above_size_revenue : float64 array (n_sectors,)
        Total revenue by sector of the living firms counted above size, CNY.
    tail_log_sum : float64 array (n_sectors,)
        Their sum of ``ln(revenue / threshold)`` by sector (the Hill estimator's denominator).
    little_giants : int
        Living firms designated national little giants (counted above size or not).
    """
    blocks = (n + BLOCK_FIRMS - 1) // BLOCK_FIRMS
    counts = np.zeros((5 + big_thresholds_cny.shape[0], n_sectors), dtype=np.int64)
    block_sums = np.zeros((blocks, 3, n_sectors))
    little_giants = _tally_range(0, n, year, state, threshold_by_sector, big_thresholds_cny, counts, block_sums)
    sums = _add_blocks(block_sums)
    return counts, sums[0], sums[1], sums[2], little_giants


@njit(cache=True, parallel=True)
def tally_year_threaded(threads, year, n, n_sectors, state, threshold_by_sector, big_thresholds_cny):
    """:func:`tally_year` on `threads` threads (whole blocks each): the same bits."""
    blocks = (n + BLOCK_FIRMS - 1) // BLOCK_FIRMS
    per_thread = (blocks + threads - 1) // threads * BLOCK_FIRMS
    rows = 5 + big_thresholds_cny.shape[0]
    counts = _thread_accumulators(threads, rows, n_sectors)
    block_sums = np.zeros((blocks, 3, n_sectors))
    little_giants = np.zeros(threads, dtype=np.int64)
    for t in prange(threads):
        lo = min(n, t * per_thread)
        little_giants[t] = _tally_range(lo, min(n, lo + per_thread), year, state, threshold_by_sector,
                                        big_thresholds_cny, counts[t, :rows], block_sums)
    sums = _add_blocks(block_sums)
    return counts[:, :rows].sum(axis=0), sums[0], sums[1], sums[2], little_giants.sum()


@njit(cache=True)
def _add_blocks(block_sums):
    """The blocks' sums added in block order."""
    total = np.zeros(block_sums.shape[1:])
    for b in range(block_sums.shape[0]):
        total += block_sums[b]
    return total


@njit(cache=True)
def _tally_range(lo, hi, year, state, threshold_by_sector, big_thresholds_cny, counts, block_sums):
    """:func:`tally_year` over firms ``lo..hi-1`` (``lo`` on a block boundary); returns the little giants.

    Block by block: a block of one sector (nearly all: synthesis writes firms sector by sector)
    is tallied in registers, the others firm by firm into the arrays; both add the same numbers
    in index order, so the sums have the same bits.
    """
    sector = state.sector
    little_giants = 0
    above_revenue = np.empty(BLOCK_FIRMS)
    for start in range(lo, hi, BLOCK_FIRMS):
        end = min(start + BLOCK_FIRMS, hi)
        s = sector[start]
        one_sector = True
        for i in range(start + 1, end):
            one_sector &= sector[np.uint64(i)] == s
        if one_sector:
            little_giants += _tally_one_sector(start, end, year, s, state, threshold_by_sector[s], big_thresholds_cny,
                                               counts, block_sums[start // BLOCK_FIRMS], above_revenue)
        else:
            little_giants += _tally_mixed(start, end, year, state, threshold_by_sector, big_thresholds_cny, counts,
                                          block_sums)
    return little_giants


@njit(cache=True, inline="always")
def _tally_one_sector(start, end, year, s, state, threshold, big_thresholds_cny, counts, block_sum, above_revenue):
    """The firms ``start..end-1`` of one block, all of sector `s`, tallied in registers.

    Without a branch on whether a firm is alive (as good as random after a few years of exits,
    so mispredicted): a dead firm adds 0 to every count and 0.0 to the sums, which leaves a
    running sum's bits as they were. The counts in a loop of their own (integer sums vectorise),
    the revenue sums in index order, and the logarithms only over the firms above size, packed.
    """
    revenue_cny, flags = state.revenue_cny, state.flags
    first_size_year, first_100m_year = state.first_size_year, state.first_100m_year
    alive_count = first_count = count_100m = srdi_count = little_giants = 0
    for firm in range(start, end):
        i = np.uint64(firm)  # unsigned: no wrap-around of negative indices (see _step_range)
        f = flags[i]
        alive = (f & ALIVE) != 0
        alive_count += np.int64(alive)
        first_count += np.int64(alive & (first_size_year[i] == year))
        count_100m += np.int64(alive & (first_100m_year[i] == year))
        srdi_count += np.int64(alive & ((f & SRDI) != 0))
        little_giants += np.int64(alive & ((f & LITTLE_GIANT) != 0))
    for k in range(big_thresholds_cny.shape[0]):
        big = big_thresholds_cny[k]
        big_count = 0
        for firm in range(start, end):
            i = np.uint64(firm)  # unsigned: no wrap-around of negative indices (see _step_range)
            big_count += np.int64(((flags[i] & ALIVE) != 0) & (float(revenue_cny[i]) >= big))
        counts[5 + k, s] += big_count
    revenue_sum = above_sum = 0.0
    m = 0
    for firm in range(start, end):
        i = np.uint64(firm)  # unsigned: no wrap-around of negative indices (see _step_range)
        alive = (flags[i] & ALIVE) != 0
        r = float(revenue_cny[i])
        above = alive & (r >= threshold) & (first_size_year[i] != NEVER)
        revenue_sum += r if alive else 0.0
        above_sum += r if above else 0.0
        above_revenue[m] = r
        m += np.int64(above)
    log_sum = 0.0
    for j in range(m):
        log_sum += math.log(above_revenue[j] / threshold)
    counts[0, s] += alive_count
    counts[1, s] += m
    counts[2, s] += first_count
    counts[3, s] += count_100m
    counts[4, s] += srdi_count
    block_sum[0, s] += revenue_sum
    block_sum[1, s] += above_sum
    block_sum[2, s] += log_sum
    return little_giants


@njit(cache=True)
def _tally_mixed(start, end, year, state, threshold_by_sector, big_thresholds_cny, counts, block_sums):
    """The firms ``start..end-1`` of one block of several sectors, firm by firm."""
    sector, revenue_cny, flags = state.sector, state.revenue_cny, state.flags
    first_size_year, first_100m_year = state.first_size_year, state.first_100m_year
    nb = big_thresholds_cny.shape[0]
    little_giants = 0
    for firm in range(start, end):
        i = np.uint64(firm)  # unsigned: no wrap-around of negative indices (see _step_range)
        f = flags[i]
        if (f & ALIVE) == 0:
            continue
        s = sector[i]
        r = float(revenue_cny[i])
        b = firm // BLOCK_FIRMS
        counts[0, s] += 1
        block_sums[b, 0, s] += r
        if r >= threshold_by_sector[s] and first_size_year[i] != NEVER:
            counts[1, s] += 1
            block_sums[b, 1, s] += r
            block_sums[b, 2, s] += math.log(r / threshold_by_sector[s])
        if first_size_year[i] == year:
            counts[2, s] += 1
        if first_100m_year[i] == year:
            counts[3, s] += 1
        if (f & SRDI) != 0:
            counts[4, s] += 1
        if (f & LITTLE_GIANT) != 0:
            little_giants += 1
        for k in range(nb):
            if r >= big_thresholds_cny[k]:
                counts[5 + k, s] += 1
    return little_giants


@njit(cache=True)
def incubated_counts(n, flags, age_years, incubation_years):
    """Living incubated firms among ``0..n-1``: in incubation (age below `incubation_years`), in
    the year they complete it (age equal), and in all.

    One pass without a branch (five NumPy masks and sums over the population took four times
    as long, each year of each draw).
    """
    in_incubation = 0
    graduating = 0
    alive = 0
    for i in range(n):
        f = flags[np.uint64(i)]
        a = age_years[np.uint64(i)]
        counted = np.int64(((f & INCUBATED) != 0) & ((f & ALIVE) != 0))
        alive += counted
        in_incubation += counted * np.int64(a < incubation_years)
        graduating += counted * np.int64(a == incubation_years)
    return in_incubation, graduating, alive


@njit(cache=True)
def reward_candidates(year, n, flags, first_size_year, first_100m_year):
    """Indices, in order, of the living firms first counted above size this year or last, or first
    reaching 100,000,000 last year: the only firms a threshold reward's event can concern
    (:class:`~sim.policy.facts.FirmYear`).
    """
    out = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        # Every firm written at the next free place, taken only by a candidate (without a branch:
        # whether a firm is alive is as good as random).
        fsy = first_size_year[i]
        out[k] = i
        k += np.int64(((flags[i] & ALIVE) != 0)
                      & ((fsy == year) | (fsy == year - 1) | (first_100m_year[i] == year - 1)))
    return out[:k]


@njit(cache=True)
def loan_step(seed, draw, year, n, book, terms):
    """Close matured loans, open new ones, and return each firm's average loan balance for the year.

    A living firm without an open loan borrows with probability `borrow_probability` under a
    programme picked by the weights of its sector (``weights[sector, q]``) among the programmes
    whose recorded-investment floor it meets (``fai_cny >= min_fai_by_program_cny[q]``), a
    principal of ``loan_to_investment * investment``; a firm that meets no programme's floor
    does not borrow. The average balance under equal instalments is
    ``principal * (term - age) / term``; the interest subsidy on it is the instrument kind's
    (:mod:`sim.policy.kinds.interest_subsidy`).

    :func:`loan_step_threaded` gives the same bits on several threads.

    Parameters
    ----------
    seed, draw, year, n : int
    book : LoanBook
        The firms' arrays (their loans updated in place).
    terms : LoanTerms

    Returns
    -------
    float64 array (n,)
        Average balance of each firm's open loan in the year, CNY (0 without one).
    """
    out = np.zeros(n)
    _loan_range(0, n, draw_prefix(seed, draw), year, book, terms, out)
    return out


@njit(cache=True, parallel=True)
def loan_step_threaded(threads, seed, draw, year, n, book, terms):
    """:func:`loan_step` on `threads` threads, each over its own range of firms (the same bits:
    each firm's numbers are keyed by the firm).
    """
    out = np.zeros(n)
    prefix = draw_prefix(seed, draw)
    per_thread = (n + threads - 1) // threads
    for t in prange(threads):
        lo = min(n, t * per_thread)
        _loan_range(lo, min(n, lo + per_thread), prefix, year, book, terms, out)
    return out


@njit(cache=True)
def _loan_range(lo, hi, prefix, year, book, terms, out):
    """:func:`loan_step` for firms ``lo..hi-1``, the balances written to `out`.

    In blocks of :data:`BLOCK_FIRMS`, without a branch on the firm: matured loans and the loans
    of dead firms closed, balances of open loans, and the firms that may borrow packed; then
    their borrowing draws in one loop that vectorises; then the few that borrow.
    """
    sector, flags, fai_cny = book.sector, book.flags, book.fai_cny
    loan_principal_cny, loan_start_year, loan_program = book.loan_principal_cny, book.loan_start_year, book.loan_program
    min_fai_by_program_cny, borrow_probability, weights = terms.min_fai_by_program_cny, terms.borrow_probability, terms.weights
    loan_to_investment, term_years = terms.loan_to_investment, terms.term_years
    n_prog = weights.shape[1]
    open_weights = np.zeros(n_prog)
    candidates = np.empty(BLOCK_FIRMS, dtype=np.uint64)
    u_borrow = np.empty(BLOCK_FIRMS)
    for start in range(lo, hi, BLOCK_FIRMS):
        end = min(start + BLOCK_FIRMS, hi)
        for firm in range(start, end):
            i = np.uint64(firm)  # unsigned: no wrap-around of negative indices (see _step_range)
            alive = (flags[i] & ALIVE) != 0
            p = loan_program[i]
            age = year - loan_start_year[i]
            has_loan = alive & (p != NO_LOAN) & (age < term_years)
            loan_program[i] = p if has_loan else NO_LOAN
            balance = _average_balance(loan_principal_cny[i], age, term_years)
            out[i] = balance if has_loan else 0.0
        # The firms that may borrow, packed in a loop of their own (packing does not vectorise).
        c = 0
        for firm in range(start, end):
            i = np.uint64(firm)
            candidates[c] = i
            c += np.int64(((flags[i] & ALIVE) != 0) & (loan_program[i] == NO_LOAN))
        if borrow_probability <= 0.0:
            continue
        for j in range(c):
            u_borrow[j] = uniform(stream_key(entity_prefix(prefix, candidates[j], year), _S_LOAN))
        for j in range(c):
            # Most firms do not borrow in a given year; the programmes' floors only for those that do.
            if u_borrow[j] >= borrow_probability:
                continue
            i = candidates[j]
            total = 0.0
            for q in range(n_prog):
                w = weights[sector[i], q] if fai_cny[i] >= min_fai_by_program_cny[q] else 0.0
                total += w
                open_weights[q] = total
            if total <= 0.0:
                continue
            u = uniform(stream_key(entity_prefix(prefix, i, year), _S_LOAN_2)) * total
            q = 0
            while q < n_prog - 1 and open_weights[q] <= u:
                q += 1
            loan_program[i] = np.uint8(q)
            loan_start_year[i] = year
            loan_principal_cny[i] = loan_to_investment * fai_cny[i]
            out[i] = _average_balance(loan_principal_cny[i], 0, term_years)


@njit(cache=True, inline="always")
def _average_balance(principal_cny, age_years, term_years):
    """Average balance of a loan in its year `age_years` (0: the year it opens), CNY.

    Equal instalments over `term_years`.
    """
    return float(principal_cny) * (term_years - age_years) / term_years
