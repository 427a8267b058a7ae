"""Firms: a Numba-stepped firm population, its scale-up transitions and the rewards and loan
subsidies they trigger (D8 items 2-4; D5 items 1, 4, 8, 9; D7 item 11).

State is a structure of arrays (:class:`~sim.agents.firm_population.FirmArrays`, 35 bytes per
firm); each year is one kernel call over all firms (:func:`~sim.agents.firm_kernels.step_firms`),
then entrants, then claims.

Reading of the rewards (documented choices)
-------------------------------------------
* A firm is *counted above size* in the year its revenue first reaches the sector's threshold
  (``>=``). The gazette pays "first counted last year" events in the year after, once the
  statistics are out: a firm crossing in year t is paid in t+1, under the instrument's validity in
  t+1 (so a 2025 crossing is paid in 2026 and D8, valid to 2025-12-31, pays nothing for it).
* "First counted this year" (D8 item 2, 500,000) is for entrants of at most
  ``rewards.this_year_max_age_years`` that reach the threshold in their first year; they are paid
  in that year. A firm paid under it is not paid again as a "last year" firm the year after; one
  counted in its first year while the reward was not in force (2022) is (L828: both are one-off
  rewards for the same first counting).
* "Stay-up" (D8 item 3, manufacturing): revenue first reached 100,000,000 last year.
  Software (D8 item 3 and D5 item 8): first counted above size last year, with revenue
  >= 100,000,000 in that year (L832, L599: "上年度首次纳入规模以上统计且营业收入突破1亿元"), whenever
  revenue first reached 100,000,000; D5 item 8 also asks the firm to commit >= 100,000,000 this
  year, read as this year's realised revenue.
* The 专精特新 extra of D8 item 4 (``extras_cny.srdi``, +200,000 "在获得升规稳规奖励基础上")
  goes to certified firms except those in the instrument's ``extras_excluded_for`` (national
  little giants with central funds, excluded in that sentence of L838 only), once per firm: with
  the first reward that includes it. Discretionary extras are paid as an expected value
  (``rewards.discretionary_extras_share``).
* Instruments with the same event and reward family (D5 item 8 and D8 item 3 for software) are
  "从优、从高、不重复" (D5 L615): a firm is paid once, under the one that pays it more this year
  (ties: the first in gazette order), unless ``policy.stack_software_and_scaleup_rewards``.
* A reward is applied for on one day of the year (drawn uniformly for each firm and year, stream
  ``firm_reward_date``): it is paid in full when that day is inside the instrument's validity and
  not at all otherwise, so a reward is never cut to a fraction of itself (D5 item 8 starts on
  2022-07-26: 159 / 365 of its 2022 claimants are paid, each in full). Loan subsidies accrue over
  the year and are pro-rated by the share of the year in force.
* ``share_of_cap_paid`` and per-recipient caps (1,000,000 per firm under D5 item 8) are applied
  by the ledger: recipients are firm indices.
"""

from __future__ import annotations


import datetime as dt

import numpy as np

from sim.agents import firm_kernels as fk
from sim.agents.firm_population import FirmArrays, GrowthLaw, read_firms_csv, synthetic_population
from sim.agents.sectors import load_sectors
from sim.engine.component import Component
from sim.engine.outputs import VariableSpec
from sim.engine.rng import STREAM, uniform_at, uniforms_at
from sim.errors import InputDataError
from sim.scenario.parameters import param_rng

__all__ = ["Firms", "FLAG_OF_CATEGORY"]

#: Firm categories named in instruments' ``excluded`` / ``extras_excluded_for`` lists, as flag bits.
FLAG_OF_CATEGORY = {
    "little_giant_central_funds": int(fk.LITTLE_GIANT),
    "srdi": int(fk.SRDI),
    "incubated": int(fk.INCUBATED),
}
_SOFTWARE = "software_information_services"


def _category(ins) -> str:
    """Reward family of a threshold reward: its eligibility.sector, or software when it names codes."""
    sector = ins.eligibility.get("sector")
    if isinstance(sector, str):
        return sector
    return _SOFTWARE if "industry_codes" in ins.eligibility else ""


def _thresholds(section, table) -> np.ndarray:
    return np.array([section.above_size_threshold_cny.get(s.key, s.above_size_threshold_cny) for s in table.sectors])


def borrowing_investment_gate() -> float:
    """Smallest recorded fixed-asset investment of a borrowing firm, CNY, by default: the largest
    ``eligibility.min_fixed_asset_investment_recorded_cny`` of the gazette's firm interest subsidies
    (D5 item 9, L603: 10,000,000), whether or not they are in force, so who borrows does not
    change with the programmes a scenario switches on or off."""
    from sim.policy.gazette import load_gazette

    return max((float(ins.eligibility["min_fixed_asset_investment_recorded_cny"])
                for ins in load_gazette().instruments.values()
                if ins.kind == "interest_subsidy" and ins.recipient == "firm"
                and "min_fixed_asset_investment_recorded_cny" in ins.eligibility), default=0.0)


def _firm_rewards(policy) -> list:
    return [p for p in policy.programs if p.instrument.kind == "threshold_reward" and p.instrument.recipient == "firm"]


class Firms(Component):
    """The firm population of one draw (scenario section ``[firms]``)."""

    section = "firms"

    # ------------------------------------------------------------------ scenario-level
    @classmethod
    def check(cls, scenario, policy, source):
        from sim.policy.gazette import load_gazette

        section, table = scenario.firms, load_sectors()
        keys = table.keys
        problems = []

        def bad_sector(where: str, key: str) -> None:
            problems.append(f"{source}: firms.{where}: unknown sector '{key}'; allowed: {', '.join(keys)}")

        for where, mapping in (("population", section.population), ("behaviour", section.behaviour),
                               ("above_size_threshold_cny", section.above_size_threshold_cny)):
            for key in mapping:
                if key not in keys:
                    bad_sector(f"{where}.{key}", key)
        for key, value in section.above_size_threshold_cny.items():
            if value >= table.stay_up_threshold_cny:
                # The stay-up line and the Pareto tail between the two lines need the order.
                problems.append(f"{source}: firms.above_size_threshold_cny.{key}: {value:,.0f}; allowed: below the "
                                f"{table.stay_up_threshold_cny:,.0f} stay-up threshold (sim/agents/sectors.toml)")
        gazette = load_gazette()
        families = sorted({sec.scaleup_category for sec in table.sectors if sec.scaleup_category})
        for program in policy.programs:
            ins = program.instrument
            family = ins.eligibility.get("sector") if ins.kind == "threshold_reward" else None
            if isinstance(family, str) and family not in families:
                problems.append(f'{source}: instruments."{ins.id}".eligibility.sector: \'{family}\' is no reward '
                                f"family of sim/agents/sectors.toml, so no firm could be paid; allowed: "
                                f"{', '.join(families)}")
        streams = scenario.projects.streams if scenario.projects is not None and scenario.projects.enabled else {}
        for pid, prog in section.loans.programs.items():
            where = f'loans.programs."{pid}"'
            ins = gazette.instruments.get(pid)
            if ins is None:
                problems.append(f"{source}: firms.{where}: unknown instrument id; run `sim policies`")
                continue
            if ins.kind != "interest_subsidy" or ins.recipient != "firm":
                problems.append(f"{source}: firms.{where}: a {ins.kind} to a {ins.recipient}; "
                                "firms' loans take interest subsidies to firms")
                continue
            for key in prog.sectors:
                if key not in keys:
                    bad_sector(f"{where}.sectors", key)
            if section.loans.enabled and pid in streams:
                problems.append(
                    f"{source}: firms.{where}: also paid by [projects.streams.\"{pid}\"]; the same instrument "
                    "would be counted twice: remove one of them"
                )
            resolved = policy.get(pid)
            if resolved is not None and resolved.instrument.rate_basis != "points":
                name = f"{resolved.instrument.rate_basis}_percent"
                if not getattr(scenario.macro, name):
                    problems.append(f"{source}: firms.{where}: LPR-linked; the scenario needs macro.{name}")
                else:
                    try:
                        scenario.macro.path(name, list(policy.years))
                    except ValueError as exc:
                        problems.append(f"{source}: macro.{name}: {exc}")
        for p in _firm_rewards(policy):
            ins = p.instrument
            for cat in list(ins.excluded) + list(ins.extras_excluded_for):
                if cat not in FLAG_OF_CATEGORY:
                    problems.append(f"{source}: instruments.\"{ins.id}\": firm category '{cat}' is not modelled; "
                                    f"allowed: {', '.join(FLAG_OF_CATEGORY)}")
            need = ins.eligibility.get("min_revenue_last_year_cny")
            if need is not None and float(need) != table.stay_up_threshold_cny:
                problems.append(
                    f"{source}: instruments.\"{ins.id}\".eligibility.min_revenue_last_year_cny: the firm model "
                    f"tracks {table.stay_up_threshold_cny:,.0f} (sim/agents/sectors.toml); got {need}"
                )
        if section.source == "csv" and section.csv:
            try:
                read_firms_csv(section.csv, keys, _thresholds(section, table), table.stay_up_threshold_cny,
                               scenario.horizon.first_year, 0.0, 0)
            except InputDataError as exc:
                problems += str(exc).splitlines()
        return problems

    @classmethod
    def coords(cls, scenario, policy):
        return {"sector": load_sectors().keys}

    @classmethod
    def variables(cls, scenario, policy):
        ys, y, yp = ("year", "sector"), ("year",), ("year", "program")
        return [
            VariableSpec("firms_alive", ys, "firms", "living firms at year end", "int64"),
            VariableSpec("firms_above_size", ys, "firms", "firms at or above the above-size revenue threshold", "int64"),
            VariableSpec("upscaled", ys, "firms", "firms first crossing the above-size threshold that year", "int64"),
            VariableSpec("crossed_100m", ys, "firms", "firms first reaching 100,000,000 CNY revenue that year", "int64"),
            VariableSpec("srdi_firms", ys, "firms", "living firms certified 专精特新 (SRDI)", "int64"),
            VariableSpec("firm_entries", ys, "firms", "firms born or graduated from incubators that year", "int64"),
            VariableSpec("firm_exits", ys, "firms", "firms exiting that year", "int64"),
            VariableSpec("sector_revenue_cny", ys, "CNY", "total revenue of living firms"),
            VariableSpec("digital_human_revenue_cny", y, "CNY", "total revenue of digital-human firms (D6 target)"),
            VariableSpec("firms_above_1bn_digital_human", y, "firms",
                         "digital-human firms with revenue >= 1,000,000,000 CNY (D6 target)", "int64"),
            VariableSpec("firms_above_5bn_digital_human", y, "firms",
                         "digital-human firms with revenue >= 5,000,000,000 CNY (D6 target)", "int64"),
            VariableSpec("firms_rewarded", yp, "firms", "firms with a positive approved claim under the programme",
                         "int64"),
            VariableSpec("firm_loans_open", y, "loans", "subsidised firm loans outstanding at year end", "int64"),
        ]

    # ------------------------------------------------------------------ per draw
    def __init__(self, model):
        super().__init__(model)
        sc = model.scenario
        cfg = sc.firms
        self.cfg = cfg
        table = load_sectors()
        self.table = table
        keys = table.keys
        n_sec = len(keys)
        self.n_sectors = n_sec
        self.threshold = _thresholds(cfg, table)
        self.stay_up = table.stay_up_threshold_cny
        self.big = np.array([table.key_firm_revenue_cny, table.head_firm_revenue_cny])
        self.dh = keys.index("digital_human") if "digital_human" in keys else -1
        p = model.param
        beh = {k: cfg.behaviour.get(k) for k in keys}
        self.drift = np.array([p(f"firms.behaviour.{k}.drift", b.drift) if b else 0.0 for k, b in beh.items()])
        self.entry_mean = np.array(
            [p(f"firms.behaviour.{k}.entry_per_year", b.entry_per_year) if b else 0.0 for k, b in beh.items()]
        )
        self.entrant_median = np.array(
            [p(f"firms.behaviour.{k}.entrant_revenue_median_cny", b.entrant_revenue_median_cny) if b else 1.0
             for k, b in beh.items()]
        )
        self.entrant_sigma = np.array([b.entrant_revenue_sigma if b else 0.0 for b in beh.values()])
        g, ex, sr = cfg.growth, cfg.exit, cfg.srdi
        self.growth = dict(
            shock_kind=fk.SHOCK_LAPLACE if g.shocks == "laplace" else fk.SHOCK_NORMAL,
            sigma_ref=p("firms.growth.volatility_at_reference", g.volatility_at_reference),
            sigma_ref_revenue_cny=g.reference_revenue_cny,
            beta=p("firms.growth.size_beta", g.size_beta),
            sigma_max=g.max_volatility,
            elasticity=p("firms.growth.support_elasticity", g.support_elasticity),
            exit_base=p("firms.exit.base_hazard", ex.base_hazard) if ex.enabled else 0.0,
            exit_peak_min=ex.peak_age_min_years,
            exit_peak_max=ex.peak_age_max_years,
            exit_peak_mult=ex.peak_multiplier,
            exit_size_exp=p("firms.exit.size_exponent", ex.size_exponent),
            exit_ref_revenue_cny=ex.reference_revenue_cny,
            srdi_hazard=p("firms.srdi.certification_hazard", sr.certification_hazard),
            little_giant_share=sr.little_giant_share,
            this_year_max_age=cfg.rewards.this_year_max_age_years,
            # Incubation effects stay off unless an incubator component sets them.
            incubation_years=0,
            incubation_exit_mult=1.0,
            incubation_growth_boost=0.0,
            inclusion_probability=p("firms.rewards.inclusion_probability", cfg.rewards.inclusion_probability),
        )
        self.investment_to_revenue = p("firms.loans.investment_to_revenue", cfg.loans.investment_to_revenue)
        years = len(model.years)
        room = int(self.entry_mean.sum() * years * 1.5) + 64
        if cfg.source == "csv":
            self.state, self.ids = read_firms_csv(cfg.csv, keys, self.threshold, self.stay_up, model.years[0],
                                                  self.investment_to_revenue, 0)
            self.state.reserve(self.state.n + room)
        else:
            pops = [cfg.population.get(k) for k in keys]
            self.state = synthetic_population(
                param_rng(model.seed, model.draw, "firms.population"),
                model.years[0],
                np.array([q.count if q else 0 for q in pops]),
                np.array([q.above_size_count if q else 0 for q in pops]),
                np.array([q.above_100m_count if q else 0 for q in pops]),
                np.array([p(f"firms.population.{k}.body_median_cny", q.body_median_cny) if q else 1.0
                          for k, q in zip(keys, pops)]),
                np.array([q.body_sigma if q else 0.0 for q in pops]),
                self.threshold, self.stay_up, sr.initial_share_above_size, sr.little_giant_share,
                cfg.share_under_5_years,
                self.investment_to_revenue, 0,
                GrowthLaw(self.drift, *(self.growth[k] for k in (
                    "sigma_ref", "sigma_ref_revenue_cny", "beta", "sigma_max", "shock_kind"))),
            )
            self.state.reserve(self.state.n + room)
            self.ids = None
        self._graduates: list[tuple[np.ndarray, np.ndarray]] = []
        self._alive_by_sector = np.bincount(self.state.sector[: self.state.n][
            (self.state.flags[: self.state.n] & fk.ALIVE) != 0], minlength=n_sec)
        self._setup_rewards(model)
        self._setup_loans(model)

    def _setup_rewards(self, model) -> None:
        cats = [s.scaleup_category for s in self.table.sectors]
        self.rewards = []
        for prog in _firm_rewards(model.policy):
            ins = prog.instrument
            cat = _category(ins)
            extras = dict(ins.extras_cny)
            srdi_extra = extras.pop("srdi", 0.0)
            self.rewards.append(dict(
                program=prog,
                event=ins.event,
                group=(ins.event, cat),
                sector_ok=np.array([c == cat and c != "" for c in cats]),
                base=ins.base_amount_cny,
                srdi_extra=srdi_extra,
                other_extras=self.cfg.rewards.discretionary_extras_share * sum(extras.values()),
                excluded=np.uint8(sum(FLAG_OF_CATEGORY[c] for c in set(ins.excluded))),
                srdi_extra_excluded=np.uint8(sum(FLAG_OF_CATEGORY[c] for c in set(ins.extras_excluded_for))),
                min_revenue_this_year=float(ins.eligibility.get("min_committed_revenue_this_year_cny", 0.0)),
            ))
        # "Last year" rewards skip the firms already paid for the same first counting "this year".
        for rw in self.rewards:
            rw["paid_this_year_under"] = [
                other["program"].id for other in self.rewards
                if rw["event"] == "first_above_size_last_year" and other["event"] == "first_above_size_this_year"
                and other["group"][1] == rw["group"][1]
            ]
        self.stack = model.scenario.policy.stack_software_and_scaleup_rewards

    def _setup_loans(self, model) -> None:
        lc = self.cfg.loans
        self.loan_programs = [] if not lc.enabled else [
            (model.policy.get(pid), spec) for pid, spec in lc.programs.items() if model.policy.get(pid) is not None
        ]
        if not self.loan_programs:
            return
        keys = self.table.keys
        n_prog = len(self.loan_programs)
        w = np.zeros((self.n_sectors, n_prog))
        for q, (_, spec) in enumerate(self.loan_programs):
            for key in spec.sectors:
                w[keys.index(key), q] = spec.weight
        self.loan_cum_weights = np.cumsum(w, axis=1)
        years = list(model.years)
        rates = np.zeros((len(years), n_prog))
        for q, (prog, _) in enumerate(self.loan_programs):
            ins = prog.instrument
            rates[:, q] = ins.rate_points if ins.rate_basis == "points" else \
                model.scenario.macro.path(f"{ins.rate_basis}_percent", years)
        self.loan_rates = rates
        self.loan_max_years = np.array([-1 if p.instrument.max_years is None else p.instrument.max_years
                                        for p, _ in self.loan_programs], dtype=np.int64)
        self.loan_caps = np.array([p.cap_per_recipient_year_cny for p, _ in self.loan_programs])
        self.loan_gate = lc.min_fixed_asset_investment_cny if lc.min_fixed_asset_investment_cny is not None else \
            borrowing_investment_gate()
        p = model.param
        self.borrow_probability = p("firms.loans.borrow_probability", lc.borrow_probability)
        self.loan_to_investment = p("firms.loans.loan_to_investment", lc.loan_to_investment)
        self.loan_rate = p("firms.loans.loan_rate_percent", lc.loan_rate_percent)

    # ------------------------------------------------------------------ hooks
    def set_incubation_effects(self, years: int, exit_multiplier: float, growth_boost: float) -> None:
        """Make incubated start-ups of age <= `years` exit less and grow faster (incubator component).

        Parameters
        ----------
        years : int
            Years of incubation support after admission.
        exit_multiplier : float
            Factor on the exit hazard while incubated (< 1 raises survival).
        growth_boost : float
            Added to log revenue growth a year while incubated.
        """
        self.growth["incubation_years"] = int(years)
        self.growth["incubation_exit_mult"] = float(exit_multiplier)
        self.growth["incubation_growth_boost"] = float(growth_boost)

    def incubated_tally(self, incubation_years: int) -> tuple[int, int, int]:
        """Incubated start-ups alive in incubation, graduating this year, and alive in all.

        A start-up graduates in the year it completes `incubation_years` of age alive.
        """
        st = self.state
        flags, age = st.flags[: st.n], st.age_years[: st.n]
        incubated_alive = ((flags & fk.INCUBATED) != 0) & ((flags & fk.ALIVE) != 0)
        in_incubation = int(np.sum(incubated_alive & (age < incubation_years)))
        graduating = int(np.sum(incubated_alive & (age == incubation_years)))
        return in_incubation, graduating, int(np.sum(incubated_alive))

    def add_graduates(self, sector_codes: np.ndarray, revenue_cny: np.ndarray) -> None:
        """Queue incubated start-ups to enter at this year's step, at age 0, flagged ``INCUBATED``.

        Called by the incubator component, which steps before the firms.

        Parameters
        ----------
        sector_codes : array of int
            Sector code of each graduate (position in ``sectors.toml``).
        revenue_cny : array of float
            First-year revenue of each graduate, CNY.
        """
        sector_codes = np.asarray(sector_codes, dtype=np.uint8)
        revenue_cny = np.asarray(revenue_cny, dtype=np.float64)
        if sector_codes.shape != revenue_cny.shape or np.any(sector_codes >= self.n_sectors):
            raise ValueError("graduates need one valid sector code per revenue")
        self._graduates.append((sector_codes, revenue_cny))

    # ------------------------------------------------------------------ the year
    def step(self, year: int) -> None:
        model = self.model
        yi = year - model.years[0]
        st = self.state
        fk.step_firms(model.seed, model.draw, year, st.n, *st.kernel_args(), self.drift, self.threshold,
                      self.stay_up, *fk.step_parameters(self.growth))
        alive_after_growth = self._count_alive()
        entries = self._enter(year)
        self._pay_rewards(year, yi)
        loans_open = self._pay_loans(year, yi)
        counts, revenue = fk.tally_firms(year, st.n, self.n_sectors, st.sector, st.revenue_cny, st.flags,
                                         st.first_size_year, st.first_100m_year, self.threshold, self.big)
        rec = model.recorder
        rec["firms_alive"][yi] = counts[0]
        rec["firms_above_size"][yi] = counts[1]
        rec["upscaled"][yi] = counts[2]
        rec["crossed_100m"][yi] = counts[3]
        rec["srdi_firms"][yi] = counts[4]
        rec["firm_entries"][yi] = entries
        rec["firm_exits"][yi] = self._alive_by_sector - alive_after_growth
        rec["sector_revenue_cny"][yi] = revenue
        rec["firm_loans_open"][yi] = loans_open
        if self.dh >= 0:
            rec["digital_human_revenue_cny"][yi] = revenue[self.dh]
            rec["firms_above_1bn_digital_human"][yi] = counts[5, self.dh]
            rec["firms_above_5bn_digital_human"][yi] = counts[6, self.dh]
        self._alive_by_sector = counts[0]

    def _count_alive(self) -> np.ndarray:
        st = self.state
        alive = (st.flags[: st.n] & fk.ALIVE) != 0
        return np.bincount(st.sector[: st.n][alive], minlength=self.n_sectors)

    def _enter(self, year: int) -> np.ndarray:
        """Births (Poisson by sector, or the expected number) and queued incubator graduates;
        returns entries by sector."""
        model, st = self.model, self.state
        if self.cfg.entry == "expected":
            t = year - model.years[0]
            births = (np.floor(self.entry_mean * (t + 1)) - np.floor(self.entry_mean * t)).astype(np.int64)
        else:
            births = fk.entry_counts(model.seed, model.draw, year, self.entry_mean)
        entries = births.copy()
        batches = [(np.repeat(np.arange(self.n_sectors, dtype=np.uint8), births), None, np.uint8(0))]
        batches += [(codes, rev, fk.INCUBATED) for codes, rev in self._graduates]
        self._graduates = []
        for codes, revenue, extra in batches:
            if codes.size == 0:
                continue
            start = st.n
            st.reserve(start + codes.size)
            if revenue is None:
                median, sigma = self.entrant_median, self.entrant_sigma
            else:
                entries += np.bincount(codes, minlength=self.n_sectors)
                median, sigma = np.ones(self.n_sectors), np.zeros(self.n_sectors)
            fk.spawn_entrants(model.seed, model.draw, year, start, codes, median, sigma, extra,
                              self.investment_to_revenue, st.sector, st.revenue_cny, st.age_years, st.flags,
                              st.first_size_year, st.first_100m_year, st.fai_cny, st.support_cny, st.loan_program,
                              self.threshold, self.stay_up, self.growth["this_year_max_age"],
                              self.growth["inclusion_probability"])
            if revenue is not None:
                # Graduates bring their own revenue; re-mark thresholds on it.
                st.revenue_cny[start: start + codes.size] = revenue
                self._remark(start, codes.size, year)
            st.n = start + codes.size
        return entries

    def _remark(self, start: int, count: int, year: int) -> None:
        st = self.state
        sl = slice(start, start + count)
        r = st.revenue_cny[sl].astype(np.float64)
        st.fai_cny[sl] = self.investment_to_revenue * r
        above = r >= self.threshold[st.sector[sl]]
        p_include = self.growth["inclusion_probability"]
        if p_include < 1.0:
            # The same yearly inclusion draw as the kernel's, keyed by the firm's index.
            drawn = np.array([uniform_at(self.model.seed, self.model.draw, start + k, year, STREAM["firm_inclusion"])
                              for k in range(count)])
            above &= drawn < p_include
        st.first_size_year[sl] = np.where(above, year, fk.NEVER)
        st.first_100m_year[sl] = np.where(r >= self.stay_up, year, fk.NEVER)
        # A graduate is an entrant of age 0: counted in the year it reaches the threshold.
        counted = fk.COUNTED_IN_YEAR | fk.COUNTED_AT_100M
        st.flags[sl] &= ~counted
        st.flags[sl] |= np.where(above, fk.COUNTED_IN_YEAR, 0).astype(np.uint8)
        st.flags[sl] |= np.where(above & (r >= self.stay_up), fk.COUNTED_AT_100M, 0).astype(np.uint8)

    def _events(self, reward: dict, year: int) -> np.ndarray:
        """Indices of the living firms that met a reward's event this year."""
        st = self.state
        n = st.n
        flags, fsy, f100 = st.flags[:n], st.first_size_year[:n], st.first_100m_year[:n]
        ok = ((flags & fk.ALIVE) != 0) & reward["sector_ok"][st.sector[:n]]
        ev = reward["event"]
        if ev == "first_above_size_last_year":
            ok &= fsy == year - 1
        elif ev == "first_above_size_this_year":
            ok &= (fsy == year) & ((flags & fk.COUNTED_IN_YEAR) != 0)
        elif ev == "first_above_100m_last_year":
            ok &= (f100 == year - 1) & (fsy != fk.NEVER)
        else:  # first_above_size_last_year_and_100m
            ok &= (fsy == year - 1) & ((flags & fk.COUNTED_AT_100M) != 0)
            if reward["min_revenue_this_year"] > 0.0:
                ok &= st.revenue_cny[:n] >= reward["min_revenue_this_year"]
        idx = np.nonzero(ok)[0]
        for pid in reward["paid_this_year_under"]:
            idx = idx[self.model.ledger.paid_in_total_by_recipient(pid, idx) == 0.0]
        return idx

    def _amounts(self, rw: dict, idx: np.ndarray) -> np.ndarray:
        return fk.reward_amounts(np.ones(idx.size, dtype=np.bool_), self.state.flags[idx], rw["base"],
                                 rw["srdi_extra"], rw["other_extras"], rw["excluded"], rw["srdi_extra_excluded"])

    def _application_days(self, year: int, firms: np.ndarray) -> np.ndarray:
        """Day of the year (0-based) on which each of `firms` applies for this year's rewards."""
        days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
        u = uniforms_at(self.model.seed, self.model.draw, firms.astype(np.int64), year, STREAM["firm_reward_date"])
        return np.minimum((u * days).astype(np.int64), days - 1)

    @staticmethod
    def _in_force(program, year: int, day: np.ndarray) -> np.ndarray:
        """Whether each day of the year (0-based) is inside the programme's validity window."""
        ins = program.instrument
        first = (ins.valid_from - dt.date(year, 1, 1)).days
        last = (ins.valid_until - dt.date(year, 1, 1)).days
        return (day >= first) & (day <= last)

    def _pay_rewards(self, year: int, yi: int) -> None:
        st, ledger = self.state, self.model.ledger
        if not self.rewards:
            return
        claims = []
        for rw in self.rewards:
            idx = self._events(rw, year)
            claims.append((rw, idx, self._amounts(rw, idx), self._application_days(year, idx)))
        if not self.stack:
            claims = self._best_of_groups(claims, year)
        start = dt.date(year, 1, 1)
        for rw, idx, amounts, days in claims:
            if rw["srdi_extra"] > 0.0:
                # Again, on the flags as they are now: a 专精特新 extra paid by an earlier
                # instrument this year is not paid twice.
                amounts = self._amounts(rw, idx)
            keep = amounts > 0.0
            if not keep.any():
                continue
            prog = rw["program"]
            firms = idx[keep]
            dates = [start + dt.timedelta(days=int(d)) for d in days[keep]]
            approved = ledger.claim(prog.id, year, firms, amounts[keep], event_dates=dates)
            st.support_cny[firms] += approved.astype(np.float32)
            self.model.recorder["firms_rewarded"][yi, prog.index] += int(np.count_nonzero(approved > 0.0))
            if rw["srdi_extra"] > 0.0:
                got_extra = firms[(approved > 0.0) & ((st.flags[firms] & fk.SRDI) != 0)
                                  & ((st.flags[firms] & rw["srdi_extra_excluded"]) == 0)]
                st.flags[got_extra] |= fk.SRDI_EXTRA_PAID

    def _best_of_groups(self, claims: list, year: int) -> list:
        """Keep, for each firm, only the best-paying claim among instruments paying the same event
        (a claim whose application day falls outside an instrument's validity is worth 0 there)."""
        groups: dict[tuple, list[int]] = {}
        for k, claim in enumerate(claims):
            groups.setdefault(claim[0]["group"], []).append(k)
        n = self.state.n
        for members in groups.values():
            if len(members) < 2:
                continue
            best_value = np.full(n, -1.0)
            best_claim = np.full(n, -1)
            for k in members:
                rw, idx, amounts, days = claims[k]
                prog = rw["program"]
                value = amounts * self._in_force(prog, year, days) * prog.instrument.share_of_cap_paid
                better = value > best_value[idx]
                best_value[idx[better]] = value[better]
                best_claim[idx[better]] = k
            for k in members:
                rw, idx, amounts, days = claims[k]
                keep = best_claim[idx] == k
                claims[k] = (rw, idx[keep], amounts[keep], days[keep])
        return claims

    def _pay_loans(self, year: int, yi: int) -> int:
        if not self.loan_programs:
            return 0
        st, model = self.state, self.model
        subsidy = fk.loan_step(
            model.seed, model.draw, year, st.n, st.sector, st.flags, st.fai_cny, st.loan_principal_cny,
            st.loan_start_year, st.loan_program, self.loan_gate, self.borrow_probability, self.loan_cum_weights,
            self.loan_to_investment, self.cfg.loans.term_years, self.loan_rate, self.loan_rates[yi],
            self.loan_max_years, self.loan_caps,
        )
        prog_of = st.loan_program[: st.n]
        for q, (prog, _) in enumerate(self.loan_programs):
            idx = np.nonzero((prog_of == q) & (subsidy > 0.0))[0]
            if idx.size == 0:
                continue
            approved = model.ledger.claim(prog.id, year, idx, subsidy[idx])
            st.support_cny[idx] += approved.astype(np.float32)
            model.recorder["firms_rewarded"][yi, prog.index] += int(np.count_nonzero(approved > 0.0))
        return int(np.count_nonzero(prog_of != fk.NO_LOAN))

    @property
    def state_bytes_per_firm(self) -> float:
        """Memory of the firm state per firm in use, bytes."""
        return self.state.nbytes / max(1, self.state.capacity)
