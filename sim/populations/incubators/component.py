"""Hydrogen incubators and incubation service institutions (D7 item 8, L757).

Incubators are Mesa agents over the component's arrays. Every year each operating incubator
admits a Poisson number of start-ups, which enter the firm population at age 0 flagged
``INCUBATED``; while incubated (``incubation_years``) they exit less and grow faster (the firm
kernel applies the effects); those alive at the end of incubation graduate. The incubators
publish two facts (:mod:`sim.policy.facts`), which every grant to incubators of the matching
``eligibility.incubator_kind`` pays on (D7 item 8, L757):

recognitions (``benchmark``)
    once, when a benchmark incubator is recognised: the share of the cap of its development
    category (categories drawn by the scenario's weights);
graduates (``service``)
    each year, each service institution by the start-ups it graduated that year (award per
    graduate, cut to the cap).

The firm state keeps no incubator id per firm (it would cost memory for every firm), so an
institution's graduates are the year's graduates shared in proportion to what each admitted
``incubation_years`` earlier.
"""

from __future__ import annotations

import numpy as np

from sim.core.component import Component
from sim.core.outputs import VariableSpec
from sim.core.rng import poisson_at, uniform_at
from sim.core.slot_agent import SlotAgent
from sim.policy.facts import ClaimBasis, IncubatorGraduates, IncubatorRecognitions
from sim.populations.firms.component import Firms
from sim.populations.firms.sectors import load_sectors
from sim.populations.incubators.streams import INCUBATOR_ADMISSION, INCUBATOR_GRADUATION

__all__ = ["Incubator", "Incubators", "KIND_BENCHMARK", "KIND_SERVICE"]

KIND_BENCHMARK, KIND_SERVICE = 0, 1


class Incubator(SlotAgent):
    """One incubator; its state lives in the component's arrays at index `slot`."""

    @property
    def kind(self) -> int:
        """Kind code of the incubator (benchmark or service)."""
        return int(self._get("kind"))

    @property
    def opened_year(self) -> int:
        """Year the incubator opened."""
        return int(self._get("opened_year"))


class Incubators(Component):
    """Incubators admitting start-ups into the firm population, and their grants."""

    section = "incubators"

    @classmethod
    def check(cls, scenario, policy, source):
        """Check the [incubators] section: an enabled [firms] section and a known start-up sector."""
        problems = []
        sec = scenario.incubators
        if scenario.firms is None or not scenario.firms.enabled:
            problems.append(f"{source}: incubators: the start-ups join the firm population; add an enabled [firms] section")
        sectors = load_sectors().keys
        if sec.startup_sector not in sectors:
            problems.append(f"{source}: incubators.startup_sector: unknown sector '{sec.startup_sector}'; "
                            f"allowed: {', '.join(sectors)}")
        return problems

    @classmethod
    def claim_bases(cls, scenario) -> list[ClaimBasis]:
        """Recognitions of benchmark incubators and graduates of service institutions."""
        return [ClaimBasis(IncubatorRecognitions, "incubator"), ClaimBasis(IncubatorGraduates, "incubator")]

    @classmethod
    def variables(cls, scenario, policy):
        """The incubators' output variables: incubators operating, start-ups admitted, in incubation and graduated."""
        y = ("year",)
        return [
            VariableSpec("incubators_operating", y, "incubators", "incubators operating at year end"),
            VariableSpec("startups_admitted", y, "firms", "start-ups admitted by incubators in the year"),
            VariableSpec("startups_in_incubation", y, "firms", "incubated start-ups alive and still in incubation"),
            VariableSpec("incubator_graduates", y, "firms", "start-ups graduating alive in the year"),
            VariableSpec("incubated_firms_alive", y, "firms", "firms ever incubated and alive at year end"),
            VariableSpec("incubated_survival_share", y, "1",
                         "share of the start-ups ever admitted that are alive at year end", fill=np.nan),
        ]

    def __init__(self, model):
        super().__init__(model)
        sec = model.scenario.incubators
        self.cfg = sec
        p = model.param
        self.admissions_mean = p("incubators.admissions_per_incubator", sec.admissions_per_incubator)
        self.award_per_graduate = p("incubators.service_award_per_graduate_cny", sec.service_award_per_graduate_cny)
        self.revenue_median = p("incubators.startup_revenue_median_cny", sec.startup_revenue_median_cny)
        self.exit_multiplier = p("incubators.incubated_exit_multiplier", sec.incubated_exit_multiplier)
        self.growth_boost = p("incubators.incubated_growth_boost", sec.incubated_growth_boost)
        self.sector_code = load_sectors().code(sec.startup_sector)
        first = model.years[0]
        kinds, opened = [KIND_SERVICE] * sec.service_institutions, [first] * sec.service_institutions
        for year, count in sorted(sec.benchmark_openings.items()):
            kinds += [KIND_BENCHMARK] * count
            opened += [int(year)] * count
        self.kind = np.array(kinds, dtype=np.int8)
        self.opened_year = np.array(opened, dtype=np.int64)
        self.admitted = np.zeros((self.kind.size, len(model.years)), dtype=np.int64)
        self.agents = [Incubator(model, self, i) for i in range(self.kind.size)]
        self.categories = list(sec.benchmark_category_weights)
        w = np.array([sec.benchmark_category_weights[c] for c in self.categories], dtype=np.float64)
        self.category_cdf = np.cumsum(w / w.sum())
        self.firms = None

    def _firms(self):
        if self.firms is None:
            self.firms = self.peer(Firms)
            self.firms.set_incubation_effects(self.cfg.incubation_years, self.exit_multiplier, self.growth_boost)
        return self.firms

    def step(self, year: int) -> None:
        """Step the incubators one year: pay grants, admit start-ups into the firm population, record counts."""
        model = self.model
        yi = year - model.years[0]
        firms = self._firms()
        self._pay_benchmark_grants(year)
        operating = np.flatnonzero(self.opened_year <= year)
        if self.cfg.random_admissions:
            counts = np.array([
                poisson_at(*model.noise_in(year), int(i), year, INCUBATOR_ADMISSION, self.admissions_mean)
                for i in operating
            ], dtype=np.int64)
        else:
            counts = np.full(operating.size, int(round(self.admissions_mean)), dtype=np.int64)
        self.admitted[operating, yi] = counts
        total = int(counts.sum())
        if total:
            sigma = self.cfg.startup_revenue_sigma
            z = model.rng.standard_normal(total) if sigma > 0 else np.zeros(total)
            revenue = self.revenue_median * np.exp(sigma * z)
            firms.add_graduates(np.full(total, self.sector_code, dtype=np.uint8), revenue)
        model.recorder["incubators_operating"][yi] = operating.size
        model.recorder["startups_admitted"][yi] = total

    def _pay_benchmark_grants(self, year: int) -> None:
        new = np.flatnonzero((self.kind == KIND_BENCHMARK) & (self.opened_year == year))
        if new.size == 0:
            return
        shares = []
        for i in new:
            u = uniform_at(*self.model.noise_in(year), int(i), year, INCUBATOR_GRADUATION)
            category = self.categories[int(np.searchsorted(self.category_cdf, u))]
            shares.append(self.cfg.benchmark_category_shares[category])
        self.model.claims.file(IncubatorRecognitions("incubator", new, np.array(shares)), year)

    def finish_year(self, year: int) -> None:
        """Count the incubated cohort after the firms stepped; pay the service awards."""
        model = self.model
        yi = year - model.years[0]
        in_incubation, graduating, alive = self._firms().incubated_tally(self.cfg.incubation_years)
        rec = model.recorder
        rec["startups_in_incubation"][yi] = in_incubation
        rec["incubator_graduates"][yi] = graduating
        rec["incubated_firms_alive"][yi] = alive
        ever = int(self.admitted[:, : yi + 1].sum())
        rec["incubated_survival_share"][yi] = alive / ever if ever else np.nan
        cohort = yi - self.cfg.incubation_years
        if graduating == 0 or cohort < 0:
            return
        services = np.flatnonzero(self.kind == KIND_SERVICE)
        admitted = self.admitted[:, cohort]
        if services.size == 0 or admitted.sum() == 0:
            return
        graduates = graduating * admitted[services] / admitted.sum()
        model.claims.file(IncubatorGraduates("incubator", services, graduates, self.award_per_graduate), year)
