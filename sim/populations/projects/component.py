"""Project arrivals: eligible projects for the money instruments that no agent population models.

Each stream of ``[projects.streams."<id>"]`` brings a Poisson number of approved projects a year
(the mean scaled by the share of the year the instrument is open for applications) with
lognormal sizes, and publishes them as :class:`~sim.policy.facts.ProjectApprovals` (or, for
interest subsidies, the open loans as :class:`~sim.policy.facts.ProjectLoans`); the
instrument's kind turns each into a claim (:mod:`sim.policy.kinds`). A loan of the size is
repaid in equal instalments over ``loan_term_years``.

Recipients: with ``firms_in_pool`` unset each project is its own recipient; with a pool of N
firms each project comes from one of them (drawn uniformly), so per-firm caps bind across a
firm's projects (D7 item 5: 10,000,000 per firm; D5 item 4: 30,000,000 per firm-year).
"""

from __future__ import annotations

import numpy as np

from sim.core.component import Component
from sim.core.outputs import VariableSpec
from sim.core.rng import keyed_generator, text_key
from sim.policy.facts import ClaimBasis, ProjectApprovals, ProjectLoans
from sim.policy.kinds.interest_subsidy import lpr_path_problems

__all__ = ["ProjectArrivals", "PROJECT_KINDS"]

#: Instrument kinds that project arrivals can pay; the others belong to agent populations.
PROJECT_KINDS = ("capped_grant", "cost_share", "category_grant", "interest_subsidy")


class ProjectArrivals(Component):
    """Approved projects arriving each year, turned into claims by their instrument's kind."""

    section = "projects"

    @classmethod
    def check(cls, scenario, policy, source):
        """Check each [projects.streams] entry names a known instrument it may claim; one message per problem."""
        problems = []
        gazette = policy.catalogue
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
            if ins.kind == "interest_subsidy" and resolved is not None:
                problems += lpr_path_problems(resolved.instrument, scenario, policy, source,
                                              f'projects.streams."{pid}"')
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
    def claim_bases(cls, scenario) -> list[ClaimBasis]:
        """One table a stream: approvals, or open loans for interest subsidies."""
        ids = frozenset(scenario.projects.streams)
        return [ClaimBasis(ProjectApprovals, "project", ids), ClaimBasis(ProjectLoans, "project", ids)]

    @classmethod
    def variables(cls, scenario, policy):
        """The one output variable: projects approved by year and programme."""
        return [VariableSpec("projects_approved", ("year", "program"), "projects", "projects approved in the year")]

    def __init__(self, model):
        super().__init__(model)
        section = model.scenario.projects
        self.streams: list[_Stream] = []
        for pid, stream in section.streams.items():
            program = model.policy.get(pid)
            if program is None:  # switched off or not in force in this scenario
                continue
            base = f"projects.streams.{pid}"
            self.streams.append(_Stream(
                program, stream,
                model.param(f"{base}.arrivals_per_year", stream.arrivals_per_year),
                model.param(f"{base}.size_median_cny", stream.size_median_cny),
                model.param(f"{base}.loan_rate_percent", stream.loan_rate_percent),
            ))

    def step(self, year: int) -> None:
        """Draw each stream's approvals for `year` and file their claims.

        Each programme-year draws from its own generator, keyed (seed, draw, programme, year):
        the count (Poisson), then the sizes (lognormal), then the recipients or the categories.
        Its generator is made when its first number is drawn: a programme-year with no
        projects, or with fixed arrivals and fixed sizes, needs none.
        """
        model = self.model
        yi = year - model.years[0]
        approved = model.recorder["projects_approved"]
        for s in self.streams:
            share = s.validity_share[yi]
            rng = None
            if share <= 0.0:
                n = 0
            elif s.random_arrivals:
                rng = self._generator(s, year)
                n = int(rng.poisson(s.rate * share))
            else:
                n = int(round(s.rate * share))
            approved[yi, s.index] = n
            if n == 0:
                if s.kind == "interest_subsidy":
                    self._file_loans(s, year)
                continue
            if s.size_sigma == 0.0:
                sizes = np.full(n, s.size_median)
            else:
                rng = rng or self._generator(s, year)
                sizes = s.size_median * np.exp(s.size_sigma * rng.standard_normal(n))
            if s.firms_in_pool is None:
                recipients = np.arange(s.next_recipient, s.next_recipient + n, dtype=np.int64)
                s.next_recipient += n
            else:
                rng = rng or self._generator(s, year)
                recipients = rng.integers(0, s.firms_in_pool, size=n).astype(np.int64)
            if s.kind == "interest_subsidy":
                s.loans.extend((int(r), float(x), year) for r, x in zip(recipients, sizes, strict=False))
                self._file_loans(s, year)
                continue
            if s.kind == "category_grant":
                rng = rng or self._generator(s, year)
                category = s.category_names[rng.choice(s.category_names.size, size=n, p=s.category_p)]
            else:
                category = np.full(n, "", dtype=object)
            asked = sizes if s.size_median > 0 else np.zeros(n)
            model.claims.file(ProjectApprovals("project", recipients, s.program.id, asked, category), year)

    def _generator(self, s: _Stream, year: int) -> np.random.Generator:
        """The programme-year's generator: ``generator_for(seed, draw, programme id, year)``'s numbers."""
        return keyed_generator(*self.model.noise_in(year), s.program_key, year)

    def _file_loans(self, s: _Stream, year: int) -> None:
        term = s.loan_term_years
        recipients, balances, ages, still_open = [], [], [], []
        for recipient, principal, first_year in s.loans:
            age = year - first_year
            if age >= term:
                continue
            # Average balance of the year under equal instalments repaid at each year end.
            balances.append(principal * (term - age) / term)
            recipients.append(recipient)
            ages.append(age)
            still_open.append((recipient, principal, first_year))
        s.loans = still_open
        if recipients:
            self.model.claims.file(ProjectLoans("project", np.array(recipients, dtype=np.int64), s.program.id,
                                                np.array(balances), np.array(ages, dtype=np.int64), s.loan_rate),
                                   year)


class _Stream:
    """One project stream in a draw: its drawn rates, what its yearly step reads, and its open loans.

    What depends only on the scenario (validity shares as floats, category names and
    probabilities, the programme's key) is worked out here once instead of each year.
    """

    __slots__ = ("program", "index", "kind", "program_key", "validity_share", "random_arrivals", "rate",
                 "size_median", "size_sigma", "firms_in_pool", "category_names", "category_p", "loan_rate",
                 "loan_term_years", "next_recipient", "loans")

    def __init__(self, program, config, rate: float, size_median: float, loan_rate: float):
        self.program = program
        self.index = program.index
        self.kind = program.instrument.kind
        # The key generator_for derives from the programme id (its CRC-32), taken once.
        self.program_key = text_key(program.id)
        self.validity_share = [float(x) for x in program.validity_share]
        self.random_arrivals = bool(config.random_arrivals)
        self.rate, self.size_median, self.loan_rate = rate, size_median, loan_rate
        self.size_sigma = config.size_sigma
        self.firms_in_pool = config.firms_in_pool
        self.loan_term_years = config.loan_term_years
        if self.kind == "category_grant":
            self.category_names = np.array(list(config.category_weights), dtype=object)
            weights = np.array([config.category_weights[k] for k in config.category_weights])
            self.category_p = weights / weights.sum()
        self.next_recipient = 0
        #: Open loans: recipient, principal, first year.
        self.loans: list[tuple[int, float, int]] = []
