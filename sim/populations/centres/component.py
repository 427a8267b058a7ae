"""Advanced Innovation Centres (D1, 京教研〔2022〕13号): city money released by milestone.

Each centre is a Mesa agent whose life is a simpy process: it starts on 1 January of its start
year, receives the first stage of its city funding at launch, and is evaluated at every milestone
(at most a year apart, Art.14, L192). Passing releases the next stage (Art.29, L246); failing
pauses the funding and starts a rectification; a paused centre that passes its next evaluation
resumes, and a centre that fails a second time exits with no further money (Art.32, L266).
After the last milestone of its cycle the centre completes. The centres publish each passed
evaluation with its stage and matching (:class:`~sim.policy.facts.CentreMilestones`); every
milestone grant to centres in force pays on it (:mod:`sim.policy.kinds.milestone_grant`), so a
stage is paid only with matching of at least the instrument's ratio (1:5, Art.25).

Time in the simpy environment is in years since 1 January of the first simulated year; the
component advances it to each year's end in :meth:`Centres.step` and files the stages released
that year with their exact dates.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import simpy

from sim.core.component import Component
from sim.core.outputs import VariableSpec
from sim.core.rng import uniform_at
from sim.core.slot_agent import SlotAgent
from sim.policy.facts import CentreMilestones, ClaimBasis
from sim.populations.centres.streams import CENTRE

__all__ = ["Centre", "Centres", "CENTRE_STATUS"]

#: Status codes of a centre.
CENTRE_STATUS = {"planned": 0, "active": 1, "paused": 2, "exited": 3, "completed": 4}


def _date_of(first_year: int, t_years: float) -> dt.date:
    """Calendar date of a simpy time (years since 1 January of `first_year`)."""
    year = first_year + int(math.floor(t_years + 1e-9))
    frac = t_years - (year - first_year)
    start = dt.date(year, 1, 1)
    days = (dt.date(year + 1, 1, 1) - start).days
    return start + dt.timedelta(days=min(days - 1, int(round(frac * days))))


class Centre(SlotAgent):
    """One innovation centre; its state lives in the component's arrays (index `slot`)."""

    @property
    def status(self) -> int:
        """Status code of the centre (a value of ``CENTRE_STATUS``)."""
        return int(self._get("status"))

    def lifecycle(self, env: simpy.Environment):
        """The simpy process of the centre: launch, milestones, pause, exit or completion."""
        c, i = self.component, self.slot
        yield env.timeout(c.start_time[i])
        c.status[i] = CENTRE_STATUS["active"]
        c.release(i, env.now, passed=True)
        failures = 0
        for milestone in range(1, c.n_milestones):
            yield env.timeout(c.interval_years)
            passed = c.evaluate(i, milestone)
            if passed:
                if c.status[i] == CENTRE_STATUS["paused"]:
                    c.status[i] = CENTRE_STATUS["active"]
                c.release(i, env.now, passed=True)
                continue
            failures += 1
            if failures >= 2:
                c.status[i] = CENTRE_STATUS["exited"]
                return
            c.status[i] = CENTRE_STATUS["paused"]
        yield env.timeout(c.interval_years)
        c.status[i] = CENTRE_STATUS["completed"]


class Centres(Component):
    """The innovation centres of a draw and the milestone funding they receive."""

    section = "centres"

    @classmethod
    def check(cls, scenario, policy, source):
        """Check the [centres] section against each centre milestone grant; one message per problem."""
        problems = []
        for program in policy.of_kind("milestone_grant", "centre"):
            problems += cls._check_against(scenario.centres, program.instrument, source)
        return problems

    @staticmethod
    def _check_against(sec, ins, source: str) -> list[str]:
        problems = []
        cite = f"{ins.citation.document_number} Art.25, L238"
        low = sec.matching_ratio if isinstance(sec.matching_ratio, (int, float)) else sec.matching_ratio.bounds()[0]
        if low < ins.min_matching_ratio:
            problems.append(
                f"{source}: centres.matching_ratio: {low:g} is below the minimum matching of "
                f"{ins.min_matching_ratio:g} per CNY of city money (1:5, {cite}); allowed: >= {ins.min_matching_ratio:g}"
            )
        top = ins.cycle_years_max_extended if sec.extension_approved else ins.cycle_years_max
        if not ins.cycle_years_min <= sec.cycle_years <= top:
            hint = "" if sec.extension_approved else \
                f"; up to {ins.cycle_years_max_extended} with extension_approved = true"
            problems.append(
                f"{source}: centres.cycle_years: {sec.cycle_years} is outside {ins.cycle_years_min}..{top} years "
                f"(Art.14, L192{hint})"
            )
        if sec.milestone_interval_years > ins.milestone_interval_years_max:
            problems.append(
                f"{source}: centres.milestone_interval_years: {sec.milestone_interval_years:g} is above the "
                f"{ins.milestone_interval_years_max:g}-year maximum between milestones (Art.14, L192)"
            )
        return problems

    @classmethod
    def claim_bases(cls, scenario) -> list[ClaimBasis]:
        """Milestone evaluations of the centres."""
        return [ClaimBasis(CentreMilestones, "centre")]

    @classmethod
    def variables(cls, scenario, policy):
        """The centres' output variables: counts by status, matching funds and IP income shares."""
        y = ("year",)
        return [
            VariableSpec("centres_active", y, "centres", "innovation centres active (funded) at year end"),
            VariableSpec("centres_paused", y, "centres", "innovation centres paused for rectification at year end"),
            VariableSpec("centres_exited", y, "centres", "innovation centres exited after failing milestones, cumulative"),
            VariableSpec("centres_completed", y, "centres", "innovation centres that completed their cycle, cumulative"),
            VariableSpec("centre_matching_cny", y, "CNY", "participants' matching funds committed with released stages"),
            VariableSpec("ip_income_research_team_cny", y, "CNY", "IP income of the centres' research teams (Art.28)"),
            VariableSpec("ip_income_participants_cny", y, "CNY", "IP income of participating units (Art.28)"),
            VariableSpec("ip_income_host_cny", y, "CNY", "IP income of host universities (Art.28)"),
        ]

    def __init__(self, model):
        super().__init__(model)
        sec = model.scenario.centres
        programs = model.policy.of_kind("milestone_grant", "centre")
        # The IP-income split of Art.28 is the first milestone grant's (the gazette has one).
        self.ip_income_split = programs[0].instrument.ip_income_split if programs else {}
        first = model.years[0]
        n = sec.count
        self.interval_years = float(sec.milestone_interval_years)
        self.n_milestones = max(1, int(math.ceil(sec.cycle_years / self.interval_years - 1e-9)))
        self.city_funding_cny = model.param("centres.city_funding_cny", sec.city_funding_cny)
        self.matching_ratio = model.param("centres.matching_ratio", sec.matching_ratio)
        self.pass_probability = model.param("centres.pass_probability", sec.pass_probability)
        self.rectify_probability = model.param(
            "centres.rectification_pass_probability", sec.rectification_pass_probability
        )
        self.ip_income_cny = model.param("centres.ip_income_cny_per_year", sec.ip_income_cny_per_year)
        self.status = np.zeros(n, dtype=np.int8)
        self.paid_cny = np.zeros(n)
        self.start_time = np.array(
            [sec.first_start_year - first + k // sec.starts_per_year for k in range(n)], dtype=np.float64
        )
        self._released: list[tuple[int, float, float]] = []
        self.env = simpy.Environment()
        self.agents = [Centre(model, self, i) for i in range(n)]
        for agent in self.agents:
            if agent.component.start_time[agent.slot] >= 0:
                self.env.process(agent.lifecycle(self.env))

    def evaluate(self, slot: int, milestone: int) -> bool:
        """Draw the result of a milestone evaluation (counter-based, one number per milestone)."""
        p = self.rectify_probability if self.status[slot] == CENTRE_STATUS["paused"] else self.pass_probability
        return uniform_at(*self.model.noise, slot, milestone, CENTRE) < p

    def release(self, slot: int, t_years: float, passed: bool) -> None:
        """Ask for the next stage of a centre's city funding (paid in :meth:`step` if the rules allow)."""
        if passed:
            self._released.append((slot, t_years, self.city_funding_cny / self.n_milestones))

    def step(self, year: int) -> None:
        """Run the centres' processes to the end of `year`, claim the released stages and record counts."""
        model = self.model
        yi = year - model.years[0]
        self.env.run(until=yi + 1.0 - 1e-9)
        released, self._released = self._released, []
        if released:
            slots = np.array([s for s, _, _ in released], dtype=np.int64)
            stages = np.array([a for _, _, a in released])
            facts = CentreMilestones("centre", slots, [_date_of(model.years[0], t) for _, t, _ in released],
                                     np.ones(slots.size, dtype=bool), stages, self.matching_ratio * stages,
                                     np.full(slots.size, self.city_funding_cny))
            approved = 0.0
            for payment in model.claims.file(facts, year):
                np.add.at(self.paid_cny, payment.ids, payment.approved_cny)
                approved += float(payment.approved_cny.sum())
            model.recorder["centre_matching_cny"][yi] = self.matching_ratio * approved
        rec = model.recorder
        # One count of every status (four masks and np.isin cost about 0.05 ms a year).
        by_status = np.bincount(self.status, minlength=len(CENTRE_STATUS))
        active, paused = by_status[CENTRE_STATUS["active"]], by_status[CENTRE_STATUS["paused"]]
        rec["centres_active"][yi] = active
        rec["centres_paused"][yi] = paused
        rec["centres_exited"][yi] = by_status[CENTRE_STATUS["exited"]]
        rec["centres_completed"][yi] = by_status[CENTRE_STATUS["completed"]]
        if self.ip_income_split:
            producing = active + paused
            income = producing * self.ip_income_cny
            split = self.ip_income_split
            rec["ip_income_research_team_cny"][yi] = income * split.get("research_team", 0.0)
            rec["ip_income_participants_cny"][yi] = income * split.get("participants", 0.0)
            rec["ip_income_host_cny"][yi] = income * split.get("host", 0.0)
