"""The firm model of :func:`sim.agents.firm_kernels.step_firms` as Mesa agents in plain Python.

A reference for speed only (``bench_firms``): one :class:`mesa.Agent` per firm, stepped with
``model.agents.do("step")``, the same rules (age, exit hazard by age and size, log growth =
drift + policy effect + Laplace shock with sigma ~ size^-beta, threshold crossings, 专精特新
certification) and the same number of random draws per firm-year, from the model's
``random.Random`` (Mesa's own generator) rather than the counter-based hash.
"""

from __future__ import annotations

import math

import mesa

__all__ = ["FirmAgent", "FirmModel"]


class FirmAgent(mesa.Agent):
    """One firm: sector, revenue (CNY), age, flags and first-crossing years."""

    def __init__(self, model: "FirmModel", sector: int, revenue_cny: float, age_years: int):
        super().__init__(model)
        self.sector = sector
        self.revenue_cny = revenue_cny
        self.age_years = age_years
        self.alive = True
        self.srdi = False
        self.little_giant = False
        self.first_size_year = 0
        self.first_100m_year = 0
        self.support_cny = 0.0

    def step(self) -> None:
        m = self.model
        if not self.alive:
            return
        rnd = m.random
        self.age_years += 1
        r0 = max(self.revenue_cny, 1.0)
        h = m.exit_base * (r0 / m.ref_cny) ** (-m.exit_size_exp)
        if m.peak_min <= self.age_years <= m.peak_max:
            h *= m.peak_mult
        if rnd.random() < h:
            self.alive = False
            return
        g = m.drift[self.sector] + m.elasticity * self.support_cny / r0
        self.support_cny = 0.0
        sig = min(m.sigma_max, m.sigma_ref * (r0 / m.ref_cny) ** (-m.beta))
        u = rnd.random() - 0.5
        b = 1.0 / math.sqrt(2.0)
        z = b * math.log(1.0 + 2.0 * u) if u < 0.0 else -b * math.log(1.0 - 2.0 * u)
        self.revenue_cny *= math.exp(g + sig * z)
        r1 = self.revenue_cny
        if r1 >= m.threshold[self.sector] and self.first_size_year == 0:
            self.first_size_year = m.year
        if r1 >= m.stay_up_cny and self.first_100m_year == 0:
            self.first_100m_year = m.year
        if not self.srdi and r1 >= m.threshold[self.sector] and rnd.random() < m.srdi_hazard:
            self.srdi = True
            self.little_giant = rnd.random() < m.little_giant_share


class FirmModel(mesa.Model):
    """A population of :class:`FirmAgent` stepped one year per ``step()``."""

    def __init__(self, sectors, revenues_cny, ages, drift, threshold, stay_up_cny, seed: int = 1, year: int = 2022,
                 **params):
        super().__init__(seed=seed)
        self.drift, self.threshold, self.stay_up_cny, self.year = list(drift), list(threshold), stay_up_cny, year
        for k, v in params.items():
            setattr(self, k, v)
        for s, r, a in zip(sectors, revenues_cny, ages):
            FirmAgent(self, int(s), float(r), int(a))

    def step(self) -> None:
        self.agents.do("step")
        self.year += 1
