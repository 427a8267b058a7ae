"""The firm model of :func:`sim.populations.firms.kernels.step_firms` as Mesa agents in plain Python.

A reference for speed (``bench_firms``): one :class:`mesa.Agent` per firm, stepped with
``model.agents.do("step")``, with every rule of the kernel: age, exit hazard by age and size
(lower while incubated), log growth = drift + policy effect + incubation boost + Laplace or
normal shock with sigma ~ size^-beta, revenue and recorded investment scaled by the growth,
first crossings of the size threshold (with the yearly inclusion review, noting counting at
100,000,000) and of 100,000,000,
专精特新 certification and little giants. Random numbers come from the model's
``random.Random`` (Mesa's own generator) rather than the counter-based hash, one per use as in
the kernel. ``tests/benchmarks`` checks that, without randomness, it gives the kernel's numbers.
"""

from __future__ import annotations

import math

import mesa

__all__ = ["FirmAgent", "FirmModel"]

_LAPLACE_SCALE = 1.0 / math.sqrt(2.0)


class FirmAgent(mesa.Agent):
    """One firm: sector, revenue and investment (CNY), age, status flags and first-crossing years."""

    def __init__(self, model: FirmModel, sector: int, revenue_cny: float, age_years: int,
                 incubated: bool = False, fai_cny: float = 0.0, support_cny: float = 0.0):
        super().__init__(model)
        self.sector = sector
        self.revenue_cny = revenue_cny
        self.fai_cny = fai_cny
        self.age_years = age_years
        self.alive = True
        self.incubated = incubated
        self.srdi = False
        self.little_giant = False
        self.counted_in_year = False
        self.counted_at_100m = False
        self.first_size_year = 0
        self.first_100m_year = 0
        self.support_cny = support_cny

    def step(self) -> None:
        m = self.model
        if not self.alive:
            return
        rnd = m.random
        self.age_years += 1
        r0 = max(self.revenue_cny, 1.0)
        incubating = self.incubated and self.age_years <= m.incubation_years
        h = m.exit_base * (r0 / m.exit_ref_cny) ** (-m.exit_size_exp)
        if m.peak_min <= self.age_years <= m.peak_max:
            h *= m.peak_mult
        if incubating:
            h *= m.incubation_exit_mult
        if rnd.random() < h:
            self.alive = False
            self.support_cny = 0.0
            return
        g = m.drift[self.sector] + m.elasticity * self.support_cny / r0
        if incubating:
            g += m.incubation_growth_boost
        self.support_cny = 0.0
        sig = min(m.sigma_max, m.sigma_ref * (r0 / m.ref_cny) ** (-m.beta))
        if m.normal_shocks:
            z = rnd.gauss(0.0, 1.0)
        else:
            u = rnd.random() - 0.5
            z = _LAPLACE_SCALE * math.log(1.0 + 2.0 * u) if u < 0.0 else -_LAPLACE_SCALE * math.log(1.0 - 2.0 * u)
        growth = math.exp(g + sig * z)
        self.revenue_cny *= growth
        self.fai_cny *= growth
        r1 = self.revenue_cny
        above = r1 >= m.threshold[self.sector]
        if above and self.first_size_year == 0:
            if m.inclusion_probability >= 1.0 or rnd.random() < m.inclusion_probability:
                self.first_size_year = m.year
                self.counted_in_year = self.age_years <= m.this_year_max_age
                self.counted_at_100m = r1 >= m.stay_up_cny
        if r1 >= m.stay_up_cny and self.first_100m_year == 0:
            self.first_100m_year = m.year
        if not self.srdi and above and rnd.random() < m.srdi_hazard:
            self.srdi = True
            self.little_giant = rnd.random() < m.little_giant_share


class FirmModel(mesa.Model):
    """A population of :class:`FirmAgent` stepped one year per ``step()``.

    Parameters are those of :func:`~sim.populations.firms.kernels.step_firms` under the names of its
    keyword arguments (``sigma_ref_revenue_cny`` is ``ref_cny``, ``exit_ref_revenue_cny`` is
    ``exit_ref_cny``, ``exit_peak_*`` are ``peak_*``, ``shock_kind`` 1 is ``normal_shocks``).
    """

    def __init__(self, sectors, revenues_cny, ages, drift, threshold, stay_up_cny, seed: int = 1, year: int = 2022,
                 incubated=None, fai_cny=None, support_cny=None, normal_shocks: bool = False,
                 incubation_years: int = 0, incubation_exit_mult: float = 1.0, incubation_growth_boost: float = 0.0,
                 inclusion_probability: float = 1.0, this_year_max_age: int = 0, **params):
        super().__init__(seed=seed)
        self.drift, self.threshold, self.stay_up_cny, self.year = list(drift), list(threshold), stay_up_cny, year
        self.normal_shocks = normal_shocks
        self.incubation_years, self.incubation_exit_mult = incubation_years, incubation_exit_mult
        self.incubation_growth_boost, self.inclusion_probability = incubation_growth_boost, inclusion_probability
        self.this_year_max_age = this_year_max_age
        self.exit_ref_cny = params.pop("exit_ref_cny", params.get("ref_cny"))
        for k, v in params.items():
            setattr(self, k, v)
        n = len(sectors)
        for k, (s, r, a) in enumerate(zip(sectors, revenues_cny, ages, strict=False)):
            FirmAgent(self, int(s), float(r), int(a), bool(incubated[k]) if incubated is not None else False,
                      float(fai_cny[k]) if fai_cny is not None else 0.0,
                      float(support_cny[k]) if support_cny is not None else 0.0)
        self.n_firms = n

    @classmethod
    def from_kernel_args(cls, sectors, revenues_cny, ages, drift, threshold, stay_up_cny, kernel_kwargs: dict,
                         **kwargs) -> FirmModel:
        """A model with the parameters of a :func:`step_firms` call given as its keyword arguments."""
        k = dict(kernel_kwargs)
        names = dict(sigma_ref="sigma_ref", sigma_ref_revenue_cny="ref_cny", beta="beta", sigma_max="sigma_max",
                     elasticity="elasticity", exit_base="exit_base", exit_peak_min="peak_min",
                     exit_peak_max="peak_max", exit_peak_mult="peak_mult", exit_size_exp="exit_size_exp",
                     exit_ref_revenue_cny="exit_ref_cny", srdi_hazard="srdi_hazard",
                     little_giant_share="little_giant_share", this_year_max_age="this_year_max_age",
                     incubation_years="incubation_years", incubation_exit_mult="incubation_exit_mult",
                     incubation_growth_boost="incubation_growth_boost", inclusion_probability="inclusion_probability")
        params = {names[key]: value for key, value in k.items() if key in names}
        params["normal_shocks"] = k.get("shock_kind", 0) == 1
        return cls(sectors, revenues_cny, ages, drift, threshold, stay_up_cny, **params, **kwargs)

    def step(self) -> None:
        self.agents.do("step")
        self.year += 1
