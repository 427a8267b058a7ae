"""Firms: a Numba-stepped firm population, its scale-up transitions and the rewards and loan
subsidies they trigger (D8 items 2-4; D5 items 1, 4, 8, 9; D7 item 11).

State is a structure of arrays (:class:`~sim.populations.firms.population.FirmArrays`, 35 bytes per
firm); each year is one kernel call over all firms (:func:`~sim.populations.firms.kernels.step_firms`),
then entrants, then claims.

Claims
------
The firms know no instrument. Each year they publish two facts (:mod:`sim.policy.facts`): the
record of the living firms with a first crossing this year or last (:class:`~sim.policy.facts.FirmYear`: reward family, first crossings,
counting flags, revenue, categories, application day) and their open loans
(:class:`~sim.policy.facts.FirmLoans`, each under the programme of ``[firms.loans.programs]`` it
was drawn under). The threshold rewards and interest subsidies in force pay on them; the rules
and the readings of the text they follow are in :mod:`sim.policy.kinds.threshold_reward` and
:mod:`sim.policy.kinds.interest_subsidy`.

* A firm is *counted above size* in the year its revenue first reaches the sector's threshold
  (``>=``), or later with the inclusion lag (``rewards.inclusion_probability``).
* A firm borrows under a programme only if its recorded fixed-asset investment meets that
  programme's own floor (``eligibility`` of the instrument: 10,000,000 for D5 item 9, L603;
  any recorded amount for D7 item 11's inclusive subsidy, L765; none for D5 items 1 and 4), or
  the floor the scenario sets for it.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from sim.core.component import Component
from sim.core.outputs import VariableSpec
from sim.core.rng import keyed_generator, normal_at, uniform_at, uniforms_at
from sim.core.threads import threads_for_kernels
from sim.errors import InputDataError
from sim.policy.facts import ClaimBasis, FirmLoans, FirmYear
from sim.populations.firms import kernels as fk
from sim.populations.firms import streams
from sim.populations.firms.batches import load_batch_calendar
from sim.populations.firms.little_giants import LittleGiantBatches, promotion_probability, set_starting_little_giants
from sim.populations.firms.population import (
    GrowthLaw,
    PopulationTargets,
    StartingShares,
    read_firms_csv,
    synthetic_population,
)
from sim.populations.firms.sectors import load_sectors

__all__ = ["Firms", "FLAG_OF_CATEGORY", "EXIT_AGE_CLASSES"]

#: Years of life the exit rates are reported by (the last class holds every later year).
EXIT_AGE_CLASSES = 10
#: Fewest firms above size for a Zipf (Hill) estimate of the tail.
_MIN_TAIL_FIRMS = 10

#: Firm categories instruments may name (``excluded``, ``extras_excluded_for``), as flag bits;
#: ``srdi_extra_paid`` records that the once-per-firm 专精特新 extra was paid.
FLAG_OF_CATEGORY = {
    "little_giant_central_funds": int(fk.LITTLE_GIANT),
    "srdi": int(fk.SRDI),
    "incubated": int(fk.INCUBATED),
    "srdi_extra_paid": int(fk.SRDI_EXTRA_PAID),
}


def _on_threads(firms: int, serial, threaded, *args):
    """`serial(*args)`, or `threaded(threads, *args)` when the run gives `firms` firms threads (same bits)."""
    threads = threads_for_kernels(firms)
    return threaded(threads, *args) if threads > 1 else serial(*args)


def _thresholds(section, table) -> np.ndarray:
    return np.array([section.above_size_threshold_cny.get(s.key, s.above_size_threshold_cny) for s in table.sectors])


class Firms(Component):
    """The firm population of one draw (scenario section ``[firms]``)."""

    section = "firms"

    # ------------------------------------------------------------------ scenario-level
    @classmethod
    def check(cls, scenario, policy, source):
        """Check the [firms] section: sector keys, thresholds, instrument ids and LPR paths; one message per problem."""
        from sim.policy.kinds.interest_subsidy import lpr_path_problems

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
                                f"{table.stay_up_threshold_cny:,.0f} stay-up threshold (sim/populations/firms/sectors.toml)")
        gazette = policy.catalogue
        families = sorted({sec.scaleup_category for sec in table.sectors if sec.scaleup_category})
        for program in policy.of_kind("threshold_reward", "firm"):
            ins = program.instrument
            family = ins.eligibility.sector
            if family not in families:
                problems.append(f'{source}: instruments."{ins.id}".eligibility.sector: {family!r} is no reward '
                                f"family of sim/populations/firms/sectors.toml, so no firm could be paid; allowed: "
                                f"{', '.join(families)}")
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
            resolved = policy.get(pid)
            if resolved is not None and section.loans.enabled:
                problems += lpr_path_problems(resolved.instrument, scenario, policy, source, f"firms.{where}")
        for p in policy.of_kind("threshold_reward", "firm"):
            ins = p.instrument
            for cat in list(ins.excluded) + list(ins.extras_excluded_for):
                if cat not in FLAG_OF_CATEGORY:
                    problems.append(f"{source}: instruments.\"{ins.id}\": firm category '{cat}' is not modelled; "
                                    f"allowed: {', '.join(FLAG_OF_CATEGORY)}")
            need = ins.eligibility.min_revenue_last_year_cny
            if need is not None and float(need) != table.stay_up_threshold_cny:
                problems.append(
                    f"{source}: instruments.\"{ins.id}\".eligibility.min_revenue_last_year_cny: the firm model "
                    f"tracks {table.stay_up_threshold_cny:,.0f} (sim/populations/firms/sectors.toml); got {need}"
                )
        for key, pop in section.population.items():
            if key not in keys or pop.above_size_revenue_cny is None:
                continue
            # The tail's mean must lie between the threshold and the largest firm, for every value drawn.
            total = pop.above_size_revenue_cny
            low, high = (total, total) if isinstance(total, (int, float)) else total.bounds()
            t = table.sectors[keys.index(key)].above_size_threshold_cny
            top = pop.largest_firm_revenue_cny or math.inf
            if not (low > pop.above_size_count * t and high < pop.above_size_count * top):
                problems.append(
                    f"{source}: firms.population.{key}.above_size_revenue_cny: values in [{low:,.0f}, {high:,.0f}]; "
                    f"allowed: above {pop.above_size_count:,} firms x the {t:,.0f} threshold and below "
                    f"{pop.above_size_count:,} x largest_firm_revenue_cny")
        if section.srdi.batches == "calendar":
            first = load_batch_calendar().first_year
            if scenario.horizon.first_year < first:
                problems.append(f"{source}: firms.srdi.batches: 'calendar' lists batches from {first}, the horizon starts "
                                f"in {scenario.horizon.first_year}; allowed: 'yearly', or a horizon from {first}")
        start = section.srdi.little_giants_start
        if start is not None:
            listed = min(load_batch_calendar().national_by_year)
            if not listed - 1 <= start.year < scenario.horizon.first_year:
                problems.append(f"{source}: firms.srdi.little_giants_start.year: {start.year}; allowed: from {listed - 1} "
                                f"(the national batches are listed from {listed}) to the year before the horizon "
                                f"({scenario.horizon.first_year - 1})")
        if section.source == "csv" and section.csv:
            try:
                read_firms_csv(section.csv, keys, _thresholds(section, table), table.stay_up_threshold_cny,
                               scenario.horizon.first_year, 0.0, 0)
            except InputDataError as exc:
                problems += str(exc).splitlines()
        return problems

    @classmethod
    def claim_bases(cls, scenario) -> list[ClaimBasis]:
        """The firms' record (by reward family) and their loans (by the programmes they borrow under)."""
        families = frozenset(s.scaleup_category for s in load_sectors().sectors if s.scaleup_category)
        bases = [ClaimBasis(FirmYear, "firm", families)]
        if scenario.firms.loans.enabled:
            bases.append(ClaimBasis(FirmLoans, "firm", frozenset(scenario.firms.loans.programs)))
        return bases

    @classmethod
    def coords(cls, scenario, policy):
        """The ``sector`` coordinate (the keys of the sector table) and ``age`` (years of life, 1 = founding year)."""
        return {"sector": load_sectors().keys, "age": list(range(1, EXIT_AGE_CLASSES + 1))}

    @classmethod
    def variables(cls, scenario, policy):
        """The firms' output variables: counts by sector and year, rewards and loans by programme."""
        ys, y, yp = ("year", "sector"), ("year",), ("year", "program")
        return [
            VariableSpec("firms_alive", ys, "firms", "living firms at year end", "int64"),
            VariableSpec("firms_above_size", ys, "firms", "firms at or above the above-size revenue threshold", "int64"),
            VariableSpec("upscaled", ys, "firms", "firms first crossing the above-size threshold that year", "int64"),
            VariableSpec("crossed_100m", ys, "firms", "firms first reaching 100,000,000 CNY revenue that year", "int64"),
            VariableSpec("srdi_firms", ys, "firms", "living firms certified 专精特新 (SRDI)", "int64"),
            VariableSpec("firm_entries", ys, "firms", "firms born or graduated from incubators that year", "int64"),
            VariableSpec("firm_births", ys, "firms", "synthetic entrants born that year (the sectors' entry_per_year; "
                         "incubator graduates not included)", "int64"),
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
            VariableSpec("little_giants", y, "firms", "living firms designated national little giants (central funds)",
                         "int64"),
            VariableSpec("above_size_revenue_cny", ys, "CNY", "total revenue of the firms counted above size"),
            VariableSpec("sector_revenue_start_cny", ("sector",), "CNY",
                         "total revenue of the starting population (the year before the first year)"),
            VariableSpec("exit_rate_by_age", ("year", "age"), "1",
                         "share of the firms alive at the start of the year (entrants: at birth) that exited in "
                         "the year, by year of life (1 = founding year; the last class holds every later year)",
                         fill=float("nan")),
            VariableSpec("zipf_exponent", ys, "1",
                         "Hill estimate of the Pareto exponent of the revenue tail of the firms counted above size "
                         "(NaN under 10 firms)", fill=float("nan")),
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
        if not cfg.synthetic_entrants:  # e.g. a population read from a CSV that should stay as read
            self.entry_mean[:] = 0.0
        self._births = np.zeros(n_sec, dtype=np.int64)
        self.entrant_median = np.array(
            [p(f"firms.behaviour.{k}.entrant_revenue_median_cny", b.entrant_revenue_median_cny) if b else 1.0
             for k, b in beh.items()]
        )
        self.entrant_sigma = np.array([b.entrant_revenue_sigma if b else 0.0 for b in beh.values()])
        self.drift_change = {int(y): np.array([b.drift_change_by_year.get(str(y), 0.0) if b else 0.0
                                               for b in beh.values()]) for y in model.years}
        g, ex, sr = cfg.growth, cfg.exit, cfg.srdi
        self.growth = dict(
            shock_kind=fk.SHOCK_LAPLACE if g.shocks == "laplace" else fk.SHOCK_NORMAL,
            sigma_ref=p("firms.growth.volatility_at_reference", g.volatility_at_reference),
            sigma_ref_revenue_cny=g.reference_revenue_cny,
            beta=p("firms.growth.size_beta", g.size_beta),
            sigma_max=g.max_volatility,
            elasticity=p("firms.growth.support_elasticity", g.support_elasticity),
            exit_base=p("firms.exit.base_hazard", ex.base_hazard) if ex.enabled else 0.0,
            young_premium=p("firms.growth.young_premium", g.young_premium),
            young_halflife_years=float(g.young_halflife_years),
            srdi_min_revenue_cny=-1.0 if sr.min_revenue_cny is None else float(sr.min_revenue_cny),
            srdi_min_age=int(sr.min_age_years),
            little_giant_hazard=p("firms.srdi.little_giant_hazard", sr.little_giant_hazard),
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
        # The sectors' yearly aggregate growth shocks and the exits outside the age and size law.
        self.yearly_shock_sd = np.array([b.yearly_shock_sd if b else 0.0 for b in beh.values()])
        self.exit_added_by_sector = np.zeros(256)  # indexed by the uint8 sector code
        self.exit_added_by_sector[:n_sec] = [
            p(f"firms.behaviour.{k}.added_exit_hazard", b.added_exit_hazard) if b and ex.enabled else 0.0
            for k, b in beh.items()]
        # With a batch calendar the two hazards are probabilities per batch (see step()).
        self.batch_calendar = load_batch_calendar() if sr.batches == "calendar" else None
        self.little_giant_batches = None
        if sr.little_giants_per_national_batch is not None and sr.little_giants_start is not None:
            assert self.batch_calendar is not None  # the section refuses counts without the calendar
            self.little_giant_batches = LittleGiantBatches(
                p("firms.srdi.little_giants_per_national_batch", sr.little_giants_per_national_batch),
                sr.little_giants_batch_sd_log, sr.little_giants_start.year, sr.little_giants_start.count,
                self.batch_calendar)
        self.exit_hazard_by_age = (np.asarray(ex.hazard_by_year_of_life, dtype=np.float64)
                                   if ex.enabled and ex.hazard_by_year_of_life else None)
        self.investment_to_revenue = p("firms.loans.investment_to_revenue", cfg.loans.investment_to_revenue)
        years = len(model.years)
        room = int(self.entry_mean.sum() * years * 1.5) + 64
        pops = [cfg.population.get(k) for k in keys]
        # The largest firm of each sector: the tail is truncated there, and no firm outgrows the
        # sector's mean drift beyond it.
        self.largest_cny = np.array([q.largest_firm_revenue_cny if q and q.largest_firm_revenue_cny else np.inf
                                     for q in pops])
        if cfg.source == "csv":
            self.state, self.ids = read_firms_csv(cfg.csv, keys, self.threshold, self.stay_up, model.years[0],
                                                  self.investment_to_revenue, 0)
            self.state.reserve(self.state.n + room)
        else:
            counts = np.array([q.count if q else 0 for q in pops])
            # Made at the capacity the reserve() below grows n firms to: one allocation, not two.
            n_start = int(counts.sum())
            targets = PopulationTargets(
                counts,
                np.array([q.above_size_count if q else 0 for q in pops]),
                np.array([q.above_100m_count if q else 0 for q in pops]),
                np.array([p(f"firms.population.{k}.body_median_cny", q.body_median_cny) if q else 1.0
                          for k, q in zip(keys, pops, strict=False)]),
                np.array([q.body_sigma if q else 0.0 for q in pops]),
                self.threshold, self.stay_up,
                np.array([p(f"firms.population.{k}.above_size_revenue_cny", q.above_size_revenue_cny)
                          if q and q.above_size_revenue_cny is not None else np.nan
                          for k, q in zip(keys, pops, strict=True)]),
                self.largest_cny,
            )
            shares = StartingShares(model.param("firms.srdi.initial_share_above_size", sr.initial_share_above_size),
                                    sr.little_giant_share, cfg.share_under_5_years,
                                    self.investment_to_revenue, sr.min_revenue_cny, sr.min_age_years)
            self.state = synthetic_population(
                keyed_generator(*model.noise, "firms.population"),
                model.years[0],
                targets,
                shares,
                max(n_start + room, 2 * n_start),
                GrowthLaw(self.drift, *(self.growth[k] for k in (
                    "sigma_ref", "sigma_ref_revenue_cny", "beta", "sigma_max", "shock_kind"))),
            )
            self.state.reserve(self.state.n + room)
            self.ids = None
        if self.ids is not None:
            model.claims.name_recipients("firm", [str(x) for x in self.ids])
        if self.little_giant_batches is not None and cfg.source != "csv":
            # A firms CSV says which firms are little giants; a synthetic start grows from the count.
            set_starting_little_giants(self.state.flags[: self.state.n],
                                       self.little_giant_batches.at_start(model.years[0], model.noise_in),
                                       keyed_generator(*model.noise, "firms.little_giants_start"))
        self._graduates: list[tuple[np.ndarray, np.ndarray]] = []
        self._founding_hazard = float(ex.hazard_by_year_of_life[0]) if ex.enabled and ex.hazard_by_year_of_life else 0.0
        self._exit_tally = np.zeros((2, EXIT_AGE_CLASSES), dtype=np.int64)
        st0 = self.state
        live0 = (st0.flags[: st0.n] & fk.ALIVE) != 0
        model.recorder["sector_revenue_start_cny"] = np.bincount(
            st0.sector[: st0.n][live0], weights=st0.revenue_cny[: st0.n][live0], minlength=n_sec)
        self._alive_by_sector = np.bincount(self.state.sector[: self.state.n][
            (self.state.flags[: self.state.n] & fk.ALIVE) != 0], minlength=n_sec)
        self._setup_rewards(model)
        self._setup_loans(model)
        for program in model.policy.of_kind("threshold_reward", "firm") + [prog for prog, _ in self.loan_programs]:
            model.ledger.reserve_recipients(program.id, self.state.capacity)

    def _setup_rewards(self, model) -> None:
        self.family_of_sector = np.array([s.scaleup_category for s in self.table.sectors], dtype=object)
        self.rewards_in_force = bool(model.policy.of_kind("threshold_reward", "firm"))

    def _setup_loans(self, model) -> None:
        lc = self.cfg.loans
        self.loan_programs = [] if not lc.enabled else [
            (model.policy.get(pid), spec) for pid, spec in lc.programs.items() if model.policy.get(pid) is not None
        ]
        if not self.loan_programs:
            return
        keys = self.table.keys
        n_prog = len(self.loan_programs)
        self.loan_weights = np.zeros((self.n_sectors, n_prog))
        for q, (_, spec) in enumerate(self.loan_programs):
            for key in spec.sectors:
                self.loan_weights[keys.index(key), q] = spec.weight
        # Each programme's own floor of recorded investment (its eligibility, or the scenario's),
        # never below the scenario's floor for every borrower.
        floor = lc.min_fixed_asset_investment_cny or 0.0
        self.loan_floors = np.array([
            max(floor, spec.min_fixed_asset_investment_cny if spec.min_fixed_asset_investment_cny is not None
                else prog.instrument.eligibility.investment_floor_cny())
            for prog, spec in self.loan_programs
        ])
        self.loan_program_ids = tuple(prog.id for prog, _ in self.loan_programs)
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
        in_incubation, graduating, alive = fk.incubated_counts(st.n, st.flags, st.age_years, int(incubation_years))
        return int(in_incubation), int(graduating), int(alive)

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
        """Step the firm population one year: growth and exits, entrants, then their claims and counts."""
        model = self.model
        yi = year - model.years[0]
        st = self.state
        self._exit_tally[:] = 0
        # The largest firm grows at most at its sector's mean drift (when positive) from its start.
        revenue_cap_by_sector = self.largest_cny * np.exp(np.maximum(self.drift, 0.0) * (yi + 1))
        rules = fk.StepRules(self.drift + self.drift_change[year] + self.sector_shocks(year), self.threshold,
                             self.stay_up, **self.srdi_rounds(year), exit_added_by_sector=self.exit_added_by_sector,
                             exit_added_min_age=self.cfg.exit.added_min_age_years)
        _on_threads(st.n, fk.step_firms, fk.step_firms_threaded, *model.noise_in(year), year, st.n,
                    st.kernel_state(), rules, self.exit_hazard_by_age, revenue_cap_by_sector, self._exit_tally)
        entries = self._enter(year, rules)
        self._pay_rewards(year, yi)
        loans_open = self._pay_loans(year, yi)
        # After the entrants: reserve() may have replaced the arrays.
        counts, revenue, above_size_revenue, tail_log_sum, little_giants = _on_threads(
            st.n, fk.tally_year, fk.tally_year_threaded, year, st.n, self.n_sectors, st.kernel_state(),
            self.threshold, self.big)
        rec = model.recorder
        rec["firms_alive"][yi] = counts[0]
        rec["firms_above_size"][yi] = counts[1]
        rec["upscaled"][yi] = counts[2]
        rec["crossed_100m"][yi] = counts[3]
        rec["srdi_firms"][yi] = counts[4]
        rec["firm_entries"][yi] = entries
        rec["firm_births"][yi] = self._births
        # Alive at the start, plus entries, less alive at the end (founding-year exits included).
        rec["firm_exits"][yi] = self._alive_by_sector + entries - counts[0]
        rec["sector_revenue_cny"][yi] = revenue
        rec["firm_loans_open"][yi] = loans_open
        self._record_structure(yi, counts[1], above_size_revenue, tail_log_sum, little_giants)
        if self.dh >= 0:
            rec["digital_human_revenue_cny"][yi] = revenue[self.dh]
            rec["firms_above_1bn_digital_human"][yi] = counts[5, self.dh]
            rec["firms_above_5bn_digital_human"][yi] = counts[6, self.dh]
        self._alive_by_sector = counts[0]

    def sector_shocks(self, year: int) -> np.ndarray:
        """The sectors' aggregate log-growth shocks of `year`: ``yearly_shock_sd`` times a standard
        normal keyed by (draw, sector code, year) on the stream ``firm_sector_shock``, common to every
        firm of the sector and independent between years (0 where the sd is 0).
        """
        model = self.model
        return np.array([sd * normal_at(*model.noise_in(year), s, year, streams.FIRM_SECTOR_SHOCK) if sd > 0.0 else 0.0
                         for s, sd in enumerate(self.yearly_shock_sd)])

    def srdi_rounds(self, year: int) -> dict:
        """The step's laws for `year` with its 专精特新 and little-giant probabilities.

        Without a batch calendar, one round of each a year. With one, the probabilities are per
        batch: ``1 - (1 - p)^k`` for the k batches publicised in the year (0 in a year without a
        batch), and a firm is a little giant at certification only in a year with a national batch.
        """
        growth = dict(self.growth)
        calendar = self.batch_calendar
        if calendar is None:
            return growth
        municipal, national = calendar.municipal(year), calendar.national(year)
        growth["srdi_hazard"] = 1.0 - (1.0 - growth["srdi_hazard"]) ** municipal
        if self.little_giant_batches is not None:
            named = self.little_giant_batches.named_in(year, self.model.noise_in)
            growth["little_giant_hazard"] = promotion_probability(self.state.flags[: self.state.n], named)
            growth["little_giant_share"] = 0.0
            return growth
        growth["little_giant_hazard"] = 1.0 - (1.0 - growth["little_giant_hazard"]) ** national
        if national == 0:
            growth["little_giant_share"] = 0.0
        return growth

    def _record_structure(self, yi: int, n_tail: np.ndarray, above_size_revenue: np.ndarray,
                          tail_log_sum: np.ndarray, little_giants: int) -> None:
        """Little giants, above-size revenue, exit rates by age and the Zipf exponent of the year
        (`n_tail`: the firms counted above size by sector; `tail_log_sum`: their sum of ln(R / T)).
        """
        rec = self.model.recorder
        rec["little_giants"][yi] = little_giants
        rec["above_size_revenue_cny"][yi] = above_size_revenue
        at_risk, exits = self._exit_tally
        with np.errstate(invalid="ignore", divide="ignore"):
            rec["exit_rate_by_age"][yi] = np.where(at_risk > 0, exits / np.maximum(at_risk, 1), np.nan)
        # Hill estimator of P(R > x) ~ x^-alpha above the threshold: n / sum(ln(R / T)).
        with np.errstate(invalid="ignore", divide="ignore"):
            rec["zipf_exponent"][yi] = np.where(n_tail >= _MIN_TAIL_FIRMS,
                                                n_tail / np.where(tail_log_sum > 0, tail_log_sum, 1.0), np.nan)

    def _enter(self, year: int, rules: fk.StepRules) -> np.ndarray:
        """Births (Poisson by sector, or the expected number) and queued incubator graduates, under
        the year's `rules`; returns entries by sector.
        """
        model, st = self.model, self.state
        if self.cfg.entry == "expected":
            t = year - model.years[0]
            births = (np.floor(self.entry_mean * (t + 1)) - np.floor(self.entry_mean * t)).astype(np.int64)
        else:
            births = fk.entry_counts(*model.noise_in(year), year, self.entry_mean)
        entries = births.copy()
        self._births = births
        batches: list[tuple[np.ndarray, np.ndarray | None, np.uint8]] = [(np.repeat(np.arange(self.n_sectors, dtype=np.uint8), births), None, np.uint8(0))]
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
            entrants = fk.Entrants(codes, median, sigma, extra, self.investment_to_revenue, self._founding_hazard)
            fk.spawn_entrants(*model.noise_in(year), year, start, entrants, st.kernel_state(), st.loan_program, rules,
                              self._exit_tally)
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
            drawn = np.array([uniform_at(*self.model.noise_in(year), start + k, year, streams.FIRM_INCLUSION)
                              for k in range(count)])
            above &= drawn < p_include
        st.first_size_year[sl] = np.where(above, year, fk.NEVER)
        st.first_100m_year[sl] = np.where(r >= self.stay_up, year, fk.NEVER)
        # A graduate is an entrant of age 0: counted in the year it reaches the threshold.
        counted = fk.COUNTED_IN_YEAR | fk.COUNTED_AT_100M
        st.flags[sl] &= ~counted
        st.flags[sl] |= np.where(above, fk.COUNTED_IN_YEAR, 0).astype(np.uint8)
        st.flags[sl] |= np.where(above & (r >= self.stay_up), fk.COUNTED_AT_100M, 0).astype(np.uint8)

    def _application_days(self, year: int, firms: np.ndarray) -> np.ndarray:
        """Day of the year (0-based) on which each of `firms` applies for this year's rewards."""
        days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
        u = uniforms_at(*self.model.noise_in(year), firms.astype(np.int64), year, streams.FIRM_REWARD_DATE)
        return np.minimum((u * days).astype(np.int64), days - 1)

    def _pay_rewards(self, year: int, yi: int) -> None:
        """Publish the record of the living firms with a first crossing this year or last; keep what
        the rewards paid and who got the 专精特新 extra.
        """
        if not self.rewards_in_force:
            return
        st = self.state
        ids = fk.reward_candidates(year, st.n, st.flags, st.first_size_year, st.first_100m_year)
        f = st.flags[ids]
        facts = FirmYear(
            "firm", ids,
            family=self.family_of_sector[st.sector[ids]],
            first_size_year=st.first_size_year[ids].astype(np.int64),
            first_100m_year=st.first_100m_year[ids].astype(np.int64),
            counted_in_year=(f & fk.COUNTED_IN_YEAR) != 0,
            counted_at_100m=(f & fk.COUNTED_AT_100M) != 0,
            revenue_cny=st.revenue_cny[ids].astype(np.float64),
            flags=f.copy(),
            application_day=self._application_days(year, ids),
            category_bits=FLAG_OF_CATEGORY,
            never_year=int(fk.NEVER),
        )
        for payment in self.model.claims.file(facts, year):
            st.support_cny[payment.ids] += payment.approved_cny.astype(st.support_cny.dtype)
            self.model.recorder["firms_rewarded"][yi, payment.program.index] += int(
                np.count_nonzero(payment.approved_cny > 0.0))
            # What the rewards learned (the firms paid the once-per-firm 专精特新 extra), kept.
            for category, firms in payment.marked.items():
                st.flags[firms] |= np.uint8(FLAG_OF_CATEGORY[category])

    def _pay_loans(self, year: int, yi: int) -> int:
        if not self.loan_programs:
            return 0
        st, model = self.state, self.model
        terms = fk.LoanTerms(self.loan_floors, self.borrow_probability, self.loan_weights, self.loan_to_investment,
                             self.cfg.loans.term_years)
        balance = _on_threads(st.n, fk.loan_step, fk.loan_step_threaded, *model.noise_in(year), year, st.n,
                              st.loan_book(), terms)
        prog_of = st.loan_program[: st.n]
        ids = np.flatnonzero(prog_of != fk.NO_LOAN)
        facts = FirmLoans("firm", ids, self.loan_program_ids, prog_of[ids].astype(np.int64), balance[ids],
                          (year - st.loan_start_year[ids]).astype(np.int64), self.loan_rate)
        for payment in model.claims.file(facts, year):
            st.support_cny[payment.ids] += payment.approved_cny.astype(st.support_cny.dtype)
            model.recorder["firms_rewarded"][yi, payment.program.index] += int(
                np.count_nonzero(payment.approved_cny > 0.0))
        return int(ids.size)

    @property
    def state_bytes_per_firm(self) -> float:
        """Memory of the firm state per firm in use, bytes."""
        return self.state.nbytes / max(1, self.state.capacity)
