"""The firm step as it was before :mod:`sim.core.elementary`: one firm at a time, with the C
library's ``exp``, ``log`` and ``pow``. Kept as the reference the statistical tests compare the
vectorised kernel with (same keys, same uniforms; only the rounding of the elementary functions
differs), and as the scalar baseline of ``benchmarks/bench_firms``.
"""

from __future__ import annotations

import math

from numba import njit

from sim.core.rng import draw_prefix, entity_prefix, standard_laplace, standard_normal, stream_key, uniform
from sim.populations.firms.kernels import (
    _S_EXIT,
    _S_GROWTH,
    _S_LITTLE_GIANT,
    _S_SRDI,
    _SECOND,
    ALIVE,
    INCUBATED,
    LITTLE_GIANT,
    SHOCK_LAPLACE,
    SRDI,
    _first_crossings,
)

__all__ = ["step_firms_libm", "step_firms_flat"]


@njit(cache=True)
def step_firms_libm(seed, draw, year, n, state, rules, exit_hazard_by_age=None, revenue_cap_by_sector=None,
                    exit_tally=None):
    """:func:`step_firms_flat` under the arguments of :func:`sim.populations.firms.kernels.step_firms`."""
    step_firms_flat(
        seed, draw, year, n,
        state.sector, state.revenue_cny, state.age_years, state.flags, state.first_size_year, state.first_100m_year,
        state.fai_cny, state.support_cny,
        rules.drift_by_sector, rules.threshold_by_sector, rules.stay_up_cny,
        rules.shock_kind, rules.sigma_ref, rules.sigma_ref_revenue_cny, rules.beta, rules.sigma_max, rules.elasticity,
        rules.exit_base, rules.exit_peak_min, rules.exit_peak_max, rules.exit_peak_mult, rules.exit_size_exp,
        rules.exit_ref_revenue_cny, rules.srdi_hazard, rules.little_giant_share, rules.this_year_max_age,
        rules.incubation_years, rules.incubation_exit_mult, rules.incubation_growth_boost, rules.inclusion_probability,
        exit_hazard_by_age, revenue_cap_by_sector, rules.young_premium, rules.young_halflife_years,
        rules.srdi_min_revenue_cny, rules.srdi_min_age, rules.little_giant_hazard, exit_tally,
        rules.exit_added_by_sector, rules.exit_added_min_age,
    )


@njit(cache=True)
def step_firms_flat(
    seed, draw, year, n,
    sector, revenue_cny, age_years, flags, first_size_year, first_100m_year, fai_cny, support_cny,
    drift_by_sector, threshold_by_sector, stay_up_cny,
    shock_kind, sigma_ref, sigma_ref_revenue_cny, beta, sigma_max, elasticity,
    exit_base, exit_peak_min, exit_peak_max, exit_peak_mult, exit_size_exp, exit_ref_revenue_cny,
    srdi_hazard, little_giant_share, this_year_max_age,
    incubation_years=0, incubation_exit_mult=1.0, incubation_growth_boost=0.0, inclusion_probability=1.0,
    exit_hazard_by_age=None, revenue_cap_by_sector=None, young_premium=0.0, young_halflife_years=1.0,
    srdi_min_revenue_cny=-1.0, srdi_min_age=0, little_giant_hazard=0.0, exit_tally=None,
    exit_added_by_sector=None, exit_added_min_age=0,
):
    """Advance firms ``0..n-1`` one year, in place (the rules of :func:`sim.populations.firms.kernels.step_firms`).

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
    * `exit_tally` (int64, shape (2, n_ages)): adds the firms at risk (row 0) and the exits (row 1)
      by age index.

    Parameters
    ----------
    seed, draw, year, n : int
        Random keys and number of firms to step.
    sector : uint8 array; revenue_cny, fai_cny : float64 arrays (CNY); support_cny : float32 array (CNY);
    age_years, first_size_year, first_100m_year : int16 arrays; flags : uint8 array
        Firm state (updated in place).
    drift_by_sector, threshold_by_sector : float64 arrays
        Mean log growth a year and above-size threshold (CNY) by sector code.
    Other scalars: see :class:`sim.populations.firms.section.FirmsSection`.
    """
    log_exit_ref = math.log(exit_ref_revenue_cny)
    log_sigma_ref = math.log(sigma_ref_revenue_cny)
    prefix = draw_prefix(seed, draw)
    for i in range(n):
        f = flags[i]
        if (f & ALIVE) == 0:
            continue
        firm_key = entity_prefix(prefix, i, year)
        a = age_years[i] + 1
        age_years[i] = a
        r0 = max(float(revenue_cny[i]), 1.0)
        # One log serves both size laws: (R / ref)^-x = exp(-x * (ln R - ln ref)).
        log_r0 = math.log(r0)
        incubating = (f & INCUBATED) != 0 and a <= incubation_years
        # Switched-off mechanisms (exit_base, sigma_ref or srdi_hazard 0) still draw their numbers
        # rather than branch on the switch: the draws are keyed by stream, so an unused number
        # shifts nothing, and the loop without those branches runs about 15% faster.
        if exit_hazard_by_age is None:
            h = exit_base
            if exit_peak_min <= a <= exit_peak_max:
                h *= exit_peak_mult
        else:
            h = exit_hazard_by_age[min(a, exit_hazard_by_age.shape[0] - 1)]
        # A sector's added exit, from its minimum age, joins the age hazard under the size law.
        if exit_added_by_sector is not None and a >= exit_added_min_age:
            h += exit_added_by_sector[sector[i]]
        h *= math.exp(-exit_size_exp * (log_r0 - log_exit_ref))
        if incubating:
            h *= incubation_exit_mult
        dies = uniform(stream_key(firm_key, _S_EXIT)) < h
        if exit_tally is not None:
            k = min(a, exit_tally.shape[1] - 1)
            exit_tally[0, k] += 1
            if dies:
                exit_tally[1, k] += 1
        if dies:
            flags[i] = f & ~ALIVE
            support_cny[i] = 0.0
            continue
        s = sector[i]
        g = drift_by_sector[s] + elasticity * support_cny[i] / r0
        if incubating:
            g += incubation_growth_boost
        if young_premium != 0.0 and a >= 1:
            g += young_premium * 0.5 ** ((a - 1) / young_halflife_years)
        support_cny[i] = 0.0
        sig = min(sigma_max, sigma_ref * math.exp(-beta * (log_r0 - log_sigma_ref)))
        key = stream_key(firm_key, _S_GROWTH)
        z = standard_laplace(key) if shock_kind == SHOCK_LAPLACE else standard_normal(key)
        g += sig * z
        growth = math.exp(g)
        r1 = float(revenue_cny[i]) * growth
        if revenue_cap_by_sector is not None and r1 > revenue_cap_by_sector[s]:
            growth = revenue_cap_by_sector[s] / float(revenue_cny[i])
            r1 = revenue_cap_by_sector[s]
        revenue_cny[i] = r1
        fai_cny[i] = fai_cny[i] * growth
        # Thresholds are compared on the stored revenue, which the outputs also read (the same
        # value when the state is float64, as FirmArrays keeps it).
        r1 = float(revenue_cny[i])
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


