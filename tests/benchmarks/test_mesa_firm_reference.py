"""The Mesa reference of the firm benchmark is the same model as the kernel: without randomness
(no shocks, hazards 0 or 1) both give the same firms, year by year."""

from __future__ import annotations

import numpy as np

from benchmarks.mesa_firm_reference import FirmModel
from sim.populations.firms import kernels as fk

DRIFT = np.array([0.05, 0.30, -0.10, 0.20, 0.0])
THRESHOLD = np.full(5, 2e7)


def _kwargs(**over):
    k = dict(shock_kind=fk.SHOCK_LAPLACE, sigma_ref=0.0, sigma_ref_revenue_cny=2e7, beta=0.2, sigma_max=1.0,
             elasticity=0.5, exit_base=0.0, exit_peak_min=3, exit_peak_max=7, exit_peak_mult=1.5, exit_size_exp=0.2,
             exit_ref_revenue_cny=2e7, srdi_hazard=0.0, little_giant_share=0.0, this_year_max_age=1,
             incubation_years=3, incubation_exit_mult=0.5, incubation_growth_boost=0.1, inclusion_probability=1.0)
    k.update(over)
    return k


def _both(kwargs, years=3, n=400):
    rng = np.random.default_rng(4)
    sector = rng.integers(0, 5, n).astype(np.uint8)
    revenue = 1.5e7 * np.exp(0.4 * rng.standard_normal(n))
    revenue[:20] = np.linspace(8e7, 1.2e8, 20)  # some first counted at or above 100,000,000
    age = rng.integers(0, 6, n).astype(np.int16)
    incubated = rng.random(n) < 0.3
    flags = (fk.ALIVE | np.where(incubated, fk.INCUBATED, 0)).astype(np.uint8)
    fai = 0.1 * revenue
    support = (rng.random(n) * 2e6).astype(np.float32)
    model = FirmModel.from_kernel_args(sector, revenue, age, DRIFT, THRESHOLD, 1e8, kwargs, incubated=incubated,
                                       fai_cny=fai, support_cny=support)
    z = lambda: np.zeros(n, np.int16)  # noqa: E731
    state = [sector, revenue.copy(), age.copy(), flags, z(), z(), fai.copy(), support.copy()]
    for y in range(years):
        fk.step_firms(1, 0, 2022 + y, n, fk.FirmState(*state), fk.StepRules(DRIFT, THRESHOLD, 1e8, **kwargs))
        model.step()
    return state, list(model.agents)


def test_deterministic_paths_agree_with_the_kernel():
    state, agents = _both(_kwargs())
    _, revenue, age, flags, fsy, f100, fai, _ = state
    np.testing.assert_allclose([a.revenue_cny for a in agents], revenue, rtol=1e-12)
    np.testing.assert_allclose([a.fai_cny for a in agents], fai, rtol=1e-12)
    assert [a.age_years for a in agents] == age.tolist()
    assert [a.first_size_year for a in agents] == fsy.tolist()
    assert [a.first_100m_year for a in agents] == f100.tolist()
    assert [a.counted_in_year for a in agents] == ((flags & fk.COUNTED_IN_YEAR) != 0).tolist()
    assert [a.counted_at_100m for a in agents] == ((flags & fk.COUNTED_AT_100M) != 0).tolist()
    assert 0 < np.count_nonzero(fsy) < fsy.size and np.any(flags & fk.COUNTED_AT_100M)


def test_certain_exit_and_certain_certification_agree():
    state, agents = _both(_kwargs(exit_base=1.0, exit_size_exp=0.0, incubation_exit_mult=1.0), years=1)
    assert not any(a.alive for a in agents) and np.all((state[3] & fk.ALIVE) == 0)
    state, agents = _both(_kwargs(srdi_hazard=1.0, little_giant_share=1.0))
    flags = state[3]
    assert [a.srdi for a in agents] == ((flags & fk.SRDI) != 0).tolist()
    assert [a.little_giant for a in agents] == ((flags & fk.LITTLE_GIANT) != 0).tolist()
    assert any(a.srdi for a in agents)
