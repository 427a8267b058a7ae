"""Project arrivals: eligible projects for the money instruments that no agent population models.

Each stream of ``[projects.streams."<id>"]`` brings a Poisson number of approved projects a year
with lognormal sizes; the instrument's kind turns each project into a claim:

``capped_grant``
    the amount asked for (the size), cut to the cap per project; without a size, the cap;
``cost_share``
    the instrument's share of the size (investment, contract, lease), cut to the cap per project;
``category_grant``
    the ceiling of a category drawn by the stream's weights (cut to the size when one is given);
``interest_subsidy``
    a loan of the size, repaid in equal instalments over ``loan_term_years``, subsidised every
    year at the instrument's points or at the loan prime rate of the year, for at most
    ``max_years``, never above the interest paid, capped per firm-year.

Each project is its own recipient, so caps per firm-year and per firm hold per project (a firm
with two projects in a year is not modelled). Claims are pro-rated by validity in the ledger:
after an instrument expires, the interest subsidies of loans it approved stop too.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from sim.engine.component import Component
from sim.engine.outputs import VariableSpec
from sim.policy.gazette import load_gazette
from sim.policy.kinds import capped_grant, cost_share, interest_subsidy

__all__ = ["ProjectArrivals", "PROJECT_KINDS"]

#: Instrument kinds that project arrivals can pay; the others belong to agent populations.
PROJECT_KINDS = ("capped_grant", "cost_share", "category_grant", "interest_subsidy")


def _stream_rng(seed: int, draw: int, program_id: str, year: int) -> np.random.Generator:
    """A generator for one stream and year, independent of every other stream and year."""
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(draw, zlib.crc32(program_id.encode()), year))
    return np.random.Generator(np.random.PCG64(ss))


class ProjectArrivals(Component):
    """Approved projects arriving each year, turned into claims by their instrument's kind."""

    section = "projects"

    @classmethod
    def check(cls, scenario, policy, source):
        problems = []
        gazette = load_gazette()
        for pid, stream in scenario.projects.streams.items():
            ins = gazette.instruments.get(pid)
            if ins is None:
                problems.append(f"{source}: projects.streams.\"{pid}\": unknown instrument id; run `sim policies`")
                continue
            if ins.kind not in PROJECT_KINDS:
                problems.append(
                    f"{source}: projects.streams.\"{pid}\": a {ins.kind} is paid by agents, not project arrivals; "
                    f"allowed kinds: {', '.join(PROJECT_KINDS)}"
                )
                continue
            resolved = policy.get(pid)
            needs_size = ins.kind in ("cost_share", "interest_subsidy")
            if needs_size and isinstance(stream.size_median_cny, (int, float)) and stream.size_median_cny <= 0:
                problems.append(
                    f"{source}: projects.streams.\"{pid}\".size_median_cny: a {ins.kind} needs the project's "
                    "amount (investment, contract or loan): give a number > 0 or a distribution"
                )
            if ins.kind == "category_grant":
                cats = (resolved.instrument if resolved else ins).category_amounts_cny
                unknown = set(stream.category_weights) - set(cats)
                if unknown or not stream.category_weights or sum(stream.category_weights.values()) <= 0:
                    problems.append(
                        f"{source}: projects.streams.\"{pid}\".category_weights: give positive weights for "
                        f"categories among {', '.join(sorted(cats))}"
                    )
        return problems

    @classmethod
    def variables(cls, scenario, policy):
        return [VariableSpec("projects_approved", ("year", "program"), "projects", "projects approved in the year")]

    def __init__(self, model):
        super().__init__(model)
        section = model.scenario.projects
        self.streams = []
        for pid, stream in section.streams.items():
            program = model.policy.get(pid)
            if program is None:  # switched off or not in force in this scenario
                continue
            base = f"projects.streams.{pid}"
            self.streams.append(
                {
                    "program": program,
                    "config": stream,
                    "rate": model.param(f"{base}.arrivals_per_year", stream.arrivals_per_year),
                    "size_median": model.param(f"{base}.size_median_cny", stream.size_median_cny),
                    "loan_rate": model.param(f"{base}.loan_rate_percent", stream.loan_rate_percent),
                    "next_recipient": 0,
                    # Open loans: recipient, principal, first year.
                    "loans": [],
                }
            )
        self._lpr = {}
        years = model.years
        for name in ("lpr_1y", "lpr_5y"):
            if getattr(model.scenario.macro, f"{name}_percent"):
                self._lpr[name] = dict(zip(years, model.scenario.macro.path(f"{name}_percent", years)))

    def _sizes(self, rng: np.random.Generator, n: int, median: float, sigma: float) -> np.ndarray:
        if sigma == 0.0:
            return np.full(n, median)
        return median * np.exp(sigma * rng.standard_normal(n))

    def step(self, year: int) -> None:
        model = self.model
        yi = year - model.years[0]
        for s in self.streams:
            program, cfg = s["program"], s["config"]
            ins = program.instrument
            rng = _stream_rng(model.seed, model.draw, program.id, year)
            if program.validity_share[yi] <= 0.0:
                n = 0
            elif cfg.random_arrivals:
                n = int(rng.poisson(s["rate"]))
            else:
                n = int(round(s["rate"]))
            sizes = self._sizes(rng, n, s["size_median"], cfg.size_sigma)
            recipients = np.arange(s["next_recipient"], s["next_recipient"] + n, dtype=np.int64)
            s["next_recipient"] += n
            model.recorder["projects_approved"][yi, program.index] = n
            if ins.kind == "interest_subsidy":
                s["loans"].extend((int(r), float(x), year) for r, x in zip(recipients, sizes))
                self._pay_interest(s, year)
                continue
            if n == 0:
                continue
            if ins.kind == "capped_grant":
                # Without a size, every project asks for the cap: the maximum exposure.
                asked = sizes if s["size_median"] > 0 else np.full(n, ins.cap_per_project_cny)
                amounts = np.array([capped_grant(x, ins.cap_per_project_cny) for x in asked])
            elif ins.kind == "cost_share":
                cap = math.inf if ins.cap_per_project_cny is None else ins.cap_per_project_cny
                amounts = np.array([cost_share(x, ins.share, cap, ins.min_base_cny) for x in sizes])
            else:  # category_grant
                names = list(cfg.category_weights)
                weights = np.array([cfg.category_weights[k] for k in names])
                picks = rng.choice(len(names), size=n, p=weights / weights.sum())
                ceilings = np.array([ins.category_amounts_cny[names[k]] for k in picks])
                amounts = np.minimum(ceilings, sizes) if s["size_median"] > 0 else ceilings
            model.ledger.claim(program.id, year, recipients, amounts)

    def _pay_interest(self, s: dict, year: int) -> None:
        ins, cfg = s["program"].instrument, s["config"]
        if ins.rate_basis == "points":
            subsidy_rate = ins.rate_points
        else:
            path = self._lpr.get(ins.rate_basis)
            if path is None:
                raise ValueError(f"{ins.id} is LPR-linked: the scenario needs macro.{ins.rate_basis}_percent")
            subsidy_rate = path[year]
        max_years = -1 if ins.max_years is None else ins.max_years
        cap = s["program"].cap_per_recipient_year_cny
        term = cfg.loan_term_years
        recipients, amounts, still_open = [], [], []
        for recipient, principal, first_year in s["loans"]:
            age = year - first_year
            if age >= term:
                continue
            # Average balance of the year under equal instalments repaid at each year end.
            balance = principal * (term - age) / term
            amounts.append(interest_subsidy(balance, s["loan_rate"], subsidy_rate, age, max_years, cap))
            recipients.append(recipient)
            still_open.append((recipient, principal, first_year))
        s["loans"] = still_open
        if recipients:
            self.model.ledger.claim(ins.id, year, np.array(recipients), np.array(amounts))
