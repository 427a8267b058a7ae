"""Scenario section ``[firms]``: the firm population, its behaviour and the loans it borrows.

Every mechanism can be switched off or made deterministic, so results can be checked by hand::

    [firms.growth]
    volatility_at_reference = 0     # no shocks: log growth = drift (+ policy effect)
    support_elasticity = 0          # no policy effect on growth
    [firms.exit]
    enabled = false                 # no exit
    [firms.srdi]
    certification_hazard = 0        # no new 专精特新 certifications
    [firms.behaviour.software_it]
    drift = 0.10
    entry_per_year = 0              # no entry

Defaults cite ``CALIBRATION_FACTS.md`` (source and year) or say *assumption*. Uncertain values are
:data:`~sim.scenario.parameters.Param` (a number or a distribution drawn once per draw).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.scenario.base import MAX_MAGNITUDE, LogSigma, NonNegative, Share, StrictModel, YearTable
from sim.scenario.parameters import (
    CountRateParam,
    ElasticityParam,
    LogGrowthParam,
    NonNegativeParam,
    Param,
    PercentRateParam,
    PositiveParam,
    ShareParam,
    SizeExponentParam,
    VolatilityParam,
    param_in,
)

__all__ = [
    "SectorPopulation",
    "SectorBehaviour",
    "GrowthConfig",
    "ExitConfig",
    "SrdiConfig",
    "LittleGiantCount",
    "RewardsConfig",
    "LoanProgram",
    "LoansConfig",
    "FirmsSection",
]

PositiveFloat = Annotated[float, Field(gt=0.0, le=MAX_MAGNITUDE, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=50_000_000)]


class SectorPopulation(StrictModel):
    """Synthetic starting population of one sector (revenue of the year before the first year).

    Revenues below the sector's above-size threshold T follow a lognormal body truncated at T;
    revenues at or above T follow a Pareto tail whose exponent is set so that the expected count at
    or above the stay-up threshold (100,000,000) is `above_100m_count`:
    ``alpha = ln(above_size_count / above_100m_count) / ln(100,000,000 / T)``.

    Attributes
    ----------
    count : int
        Firms in all (below and above size).
    above_size_count : int
        Firms with revenue >= T: matched exactly.
    above_100m_count : int
        Expected firms with revenue >= 100,000,000; must be < `above_size_count` when that is > 0.
        Leave it out (0) and give `above_size_revenue_cny` to set the tail by its total instead.
    above_size_revenue_cny : Param, optional
        Total revenue of the firms at or above T, CNY: the Pareto tail, truncated at
        `largest_firm_revenue_cny`, takes the exponent that gives this total, and its firms are
        drawn by stratified quantiles so the total holds closely in every draw.
    largest_firm_revenue_cny : float, optional
        Revenue of the sector's largest firm, CNY: no synthetic firm is larger, and no firm grows
        above it faster than the sector's mean drift.
    body_median_cny : Param
        Median revenue of the lognormal body before truncation, CNY.
    body_sigma : float
        Standard deviation of log revenue of the body.
    """

    count: Count
    above_size_count: Count = 0
    above_100m_count: Count = 0
    above_size_revenue_cny: PositiveParam | None = None
    largest_firm_revenue_cny: Annotated[float, Field(gt=0.0, le=1e13, allow_inf_nan=False)] | None = None
    body_median_cny: PositiveParam = 3_000_000.0
    body_sigma: LogSigma = 1.2

    @model_validator(mode="after")
    def _counts_ordered(self):
        if self.above_size_count > self.count:
            raise ValueError(f"above_size_count (={self.above_size_count}) must be <= count (={self.count})")
        if self.above_size_revenue_cny is not None:
            if self.above_100m_count:
                raise ValueError("give above_100m_count or above_size_revenue_cny, not both: each sets the Pareto tail")
            if self.largest_firm_revenue_cny is None:
                raise ValueError("above_size_revenue_cny needs largest_firm_revenue_cny (the tail is truncated there)")
            if self.above_size_count == 0:
                raise ValueError("above_size_revenue_cny needs above_size_count > 0")
            return self
        if self.above_size_count > 0 and not 0 < self.above_100m_count < self.above_size_count:
            raise ValueError(
                f"above_100m_count (={self.above_100m_count}) must be > 0 and < above_size_count "
                f"(={self.above_size_count}): the two counts set the Pareto tail"
            )
        if self.above_size_count == 0 and self.above_100m_count != 0:
            raise ValueError("above_100m_count must be 0 when above_size_count is 0")
        return self


class SectorBehaviour(StrictModel):
    """Growth and entry of one sector.

    Attributes
    ----------
    drift : Param
        Mean log-revenue growth a year (0.10 is about +10.5%).
    entry_per_year : Param
        Mean births a year (Poisson, or deterministic with ``[firms] entry = "expected"``); 0
        switches entry off.
    entrant_revenue_median_cny : Param
        Median revenue of an entrant in its first year, CNY.
    entrant_revenue_sigma : float
        Standard deviation of log revenue of entrants.
    drift_change_by_year : dict
        Added to the drift in the years given (an observed shock of one year, e.g. 2022, when
        Beijing's above-size industrial revenue fell 4.9%), e.g. ``{ "2022" = -0.10 }``.
    yearly_shock_sd : float
        Standard deviation of the sector's aggregate growth shock: each year a normal shock of
        this sd, drawn once for the sector (stream ``firm_sector_shock``), is added to the log
        growth of every firm of the sector, so the sector's years differ as observed years do
        without a drift drawn once compounding over the horizon. 0 (default): none.
    added_exit_hazard : Param
        Yearly exit probability at the exit law's reference revenue added to the hazard of every
        age for the sector's firms, and scaled by the same size law (``[firms.exit]``), for a cause
        outside the age law that hits small firms more (e.g. the relocation of general
        manufacturing out of Beijing). 0 (default): none.
    """

    drift: LogGrowthParam = 0.0
    entry_per_year: CountRateParam = 0.0
    entrant_revenue_median_cny: PositiveParam = 2_000_000.0
    entrant_revenue_sigma: LogSigma = 1.0
    drift_change_by_year: YearTable[Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False)]] = \
        Field(default_factory=dict)
    yearly_shock_sd: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = 0.0
    added_exit_hazard: ShareParam = 0.0


class GrowthConfig(StrictModel):
    """Log-revenue growth = sector drift + policy effect + shock.

    Attributes
    ----------
    shocks : {"laplace", "normal"}
        Distribution of the unit-variance shock; Laplace by default (Amaral et al. 1997;
        Bottazzi & Secchi; Zou 2019 for Chinese firms).
    volatility_at_reference : Param
        Standard deviation of log growth of a firm at `reference_revenue_cny`. SME value not found
        in the sources (CALIBRATION_FACTS.md s.4): 0.25 is an assumption. 0 makes growth deterministic.
    reference_revenue_cny : float
        Revenue at which the volatility is `volatility_at_reference` (assumption: the 20,000,000
        above-size threshold, where the rewards are decided).
    size_beta : Param
        sigma proportional to revenue^-beta; 0.20 +- 0.03 for sales (Amaral et al. 1997).
    max_volatility : float
        Upper bound of sigma for very small firms (assumption: 1.0).
    support_elasticity : Param
        Added log growth per unit of support received last year relative to revenue
        (``elasticity * support / revenue``). Assumption, no source: 0.5. 0 switches it off.
    young_premium : Param
        Log growth added to a firm in its second year of life, halving every
        `young_halflife_years`: young firms that survive grow faster than old ones ("up or
        out", Haltiwanger, Jarmin & Miranda 2013, Review of Economics and Statistics 95:347).
        0 (default) switches it off; the baseline sets it (assumption on the size).
    young_halflife_years : float
        Years over which the young-firm premium halves (assumption: 2).
    """

    shocks: Literal["laplace", "normal"] = "laplace"
    volatility_at_reference: VolatilityParam = 0.25
    reference_revenue_cny: PositiveFloat = 20_000_000.0
    size_beta: Annotated[Param, param_in(0.0, 5.0, "values in [0, 5]")] = 0.20
    max_volatility: Annotated[float, Field(ge=0.0, le=5.0, allow_inf_nan=False)] = 1.0
    support_elasticity: ElasticityParam = 0.5
    young_premium: Annotated[Param, param_in(-1.0, 1.0, "values in [-1, 1]")] = 0.0
    young_halflife_years: Annotated[float, Field(gt=0.0, le=50.0)] = 2.0


class ExitConfig(StrictModel):
    """Exit hazard by age and size: ``hazard(age) * (revenue / ref)^-size_exponent``.

    ``hazard(age)`` is `hazard_by_year_of_life` when given (the first value for the founding year,
    the last for every later year), else ``base_hazard * (peak_multiplier at peak ages)``.

    Attributes
    ----------
    enabled : bool
        False: no firm exits.
    base_hazard : Param
        Yearly exit probability at the reference revenue outside the peak ages. Derived:
        ln 2 / 10.67 = 0.065 from the median SME lifespan of 10.67 years (China Economic Review 2025).
    peak_age_min_years, peak_age_max_years : int
        Ages at which exits peak: 3 to 7 (SAIC 2013).
    peak_multiplier : float
        Hazard multiplier at peak ages (assumption: 1.5).
    size_exponent : Param
        Larger firms exit less (10-year survival 40 / 65 / 90% by registered capital, SAIC 2013);
        the exponent 0.2 is an assumption.
    reference_revenue_cny : float
        Revenue where the size factor is 1 (assumption: 20,000,000).
    added_min_age_years : int
        Youngest age (after the year's birthday) at which a sector's ``added_exit_hazard`` applies
        (default 0: every age).
    hazard_by_year_of_life : list of float, optional
        Yearly exit probability at the reference revenue in the 1st (founding), 2nd, ... year of a
        firm's life; the last value holds for every later year. SAIC (2013, report on the survival
        of Chinese firms): 1.6% in the founding year, 6.3% in year 2, 9.5% in year 3 (the peak),
        above 8% to year 7 and below after (CALIBRATION_FACTS.md section 7).
    """

    enabled: bool = True
    base_hazard: ShareParam = 0.065
    peak_age_min_years: Annotated[int, Field(ge=0, le=200)] = 3
    peak_age_max_years: Annotated[int, Field(ge=0, le=200)] = 7
    peak_multiplier: NonNegative = 1.5
    size_exponent: SizeExponentParam = 0.2
    reference_revenue_cny: PositiveFloat = 20_000_000.0
    hazard_by_year_of_life: list[Share] | None = Field(default=None, min_length=1, max_length=100)
    added_min_age_years: Annotated[int, Field(ge=0, le=200)] = 0


class LittleGiantCount(StrictModel):
    """An observed count of national little giants: ``{ year = 2020, count = 53 }`` (at the year end)."""

    year: Annotated[int, Field(ge=1900, le=2200)]
    count: Annotated[int, Field(ge=0, le=10_000_000)]


class SrdiConfig(StrictModel):
    """专精特新 (SRDI) certification of firms above size, and national "little giants".

    Attributes
    ----------
    certification_hazard : Param
        Yearly probability that an uncertified above-size firm is certified. Derived: about 960
        more municipal SRDI firms from Oct 2022 (5,360) to 2023 (6,323) (EITB) over about 42,000
        above-size firms (People's Daily 2022) is 0.023; 0.025 rounded. 0 switches it off.
    little_giant_share : float
        Share of certified firms that are national little giants with central funds. Derived as an
        upper bound: 588 / 5,360 = 0.11 (EITB Oct 2022).
    initial_share_above_size : Param
        Share of the starting firms open to certification (above size, or at `min_revenue_cny`
        and `min_age_years` when given) already certified. Derived: 5,360 / ~42,000 = 0.13.
    min_revenue_cny : float, optional
        Certification is open to firms at or above this revenue (and `min_age_years`), in every
        sector; unset: to firms above size. Assumption from the MIIT criteria for 专精特新中小企业
        (《优质中小企业梯度培育管理暂行办法》, 2022: revenue >= 10,000,000 last year, or equity
        financing instead; >= 2 years in the niche): the stored pages give only their titles.
    min_age_years : int
        Youngest age at which a firm can be certified (see `min_revenue_cny`).
    little_giant_hazard : Param
        Yearly probability that a certified firm is designated a national little giant with
        central funds. Derived: 795 - 588 = 207 more little giants in 2023 over about 5,400
        certified firms (EITB) is 0.038. 0 (default): only at certification.
    batches : {"yearly", "calendar"}
        "yearly" (default): one certification round and one little-giant round a year, with the
        probabilities above. "calendar": the rounds are the batches of
        ``sim/populations/firms/srdi_batches.toml`` (Beijing's municipal 专精特新 lists, MIIT's
        national little-giant batches) in the year they were publicised; `certification_hazard`
        and `little_giant_hazard` are then probabilities *per batch* (an eligible firm has
        ``1 - (1 - p)^k`` in a year of k batches, none in a year without one), and a firm is a
        little giant at certification (`little_giant_share`) only in a year with a national batch.
    little_giants_per_national_batch : Param, optional
        Beijing's new national little giants in one MIIT batch: the median of the batches (with
        ``batches = "calendar"`` and `little_giants_start`). When set, each national batch names
        that many little giants, times ``exp(little_giants_batch_sd_log * z)`` with z the batch's
        own standard normal, among the certified firms (each with the same probability), in place
        of `little_giant_hazard` and `little_giant_share`; the count then moves in steps of the
        batches, not in proportion to the certified stock (see
        :mod:`sim.populations.firms.little_giants`).
    little_giants_batch_sd_log : float
        Spread of the batches around that median, on the log scale.
    little_giants_start : LittleGiantCount, optional
        An observed count (``{ year = 2020, count = 53 }``) the starting little giants grow from:
        the count plus the batches of the years after it and before the horizon, drawn as above.
    """

    certification_hazard: ShareParam = 0.025
    little_giant_share: Share = 0.11
    initial_share_above_size: ShareParam = 0.13
    min_revenue_cny: NonNegative | None = None
    min_age_years: Annotated[int, Field(ge=0, le=100)] = 0
    little_giant_hazard: ShareParam = 0.0
    batches: Literal["yearly", "calendar"] = "yearly"
    little_giants_per_national_batch: NonNegativeParam | None = None
    little_giants_batch_sd_log: LogSigma = 0.0
    little_giants_start: LittleGiantCount | None = None

    @model_validator(mode="after")
    def _batches_for_counts(self):
        if self.little_giants_per_national_batch is not None:
            if self.batches != "calendar":
                raise ValueError("little_giants_per_national_batch needs batches = \"calendar\" (the national batches)")
            if self.little_giants_start is None:
                raise ValueError("little_giants_per_national_batch needs little_giants_start = { year = ..., count = ... } "
                                 "(the observed count the starting little giants grow from)")
        return self


class RewardsConfig(StrictModel):
    """How the scale-up rewards read the firm's record.

    Attributes
    ----------
    this_year_max_age_years : int
        An entrant of at most this age (0: established in the year) that reaches the size threshold
        is "first counted this year" (D8 item 2, 500,000) in the year it crosses; every other firm is
        counted in the year of its crossing and paid as "first counted last year" the year after.
        Assumption: NBS adds newly established firms that reach the standard within their first
        year (新建投产企业); older firms enter the directory through the yearly review.
    discretionary_extras_share : float
        Share of each discretionary extra (DCMM, security, innovation; no amount in the gazette,
        0 unless the scenario sets it) paid to an eligible firm, as an expected value. Assumption: 0.5.
    inclusion_probability : ShareParam
        Probability a year that a firm above the threshold and not yet in the above-size statistics
        is included (纳统) in that year's review. 1 (default): included the year it crosses. The
        gazette pays on *inclusion* ("首次纳入规模以上统计"); with a lag, firms can be first counted
        when already above 100,000,000 (D5 item 8, D8 item 3 for software). No inclusion rates
        were found: below 1 is an assumption of the scenario.
    """

    this_year_max_age_years: Annotated[int, Field(ge=0, le=10)] = 0
    discretionary_extras_share: Share = 0.5
    inclusion_probability: ShareParam = 1.0


class LoanProgram(StrictModel):
    """A loan-interest subsidy paid to firms of some sectors.

    Attributes
    ----------
    sectors : list of str
        Sectors whose firms borrow under it.
    weight : float
        Relative frequency among the programmes open to a sector (a loan picks one).
    min_fixed_asset_investment_cny : float, optional
        Smallest recorded fixed-asset investment of a borrower under this programme, CNY;
        default: the instrument's eligibility (D5 item 9: 10,000,000, L603; D7 item 11's
        inclusive subsidy: any recorded amount, L765; none for the others).
    """

    sectors: list[str] = Field(min_length=1)
    weight: PositiveFloat = 1.0
    min_fixed_asset_investment_cny: NonNegative | None = None


class LoansConfig(StrictModel):
    """Subsidised loans of firms with recorded fixed-asset investment (D5 items 1, 4, 9; D7 item 11).

    Attributes
    ----------
    enabled : bool
        False: no firm borrows.
    investment_to_revenue : Param
        Recorded fixed-asset investment a year as a share of revenue (assumption: 0.08).
    min_fixed_asset_investment_cny : float, optional
        Smallest recorded investment of any borrower, CNY, on top of each programme's own floor
        (:class:`LoanProgram`); default: none.
    borrow_probability : Param
        Yearly probability that an eligible firm without an open loan takes one (assumption: 0.15).
    loan_to_investment : Param
        Loan principal as a share of the recorded investment (assumption: 0.6).
    loan_rate_percent : Param
        Rate the borrower pays, percent a year (assumption: 4.3, the 5-year LPR at end-2022).
    term_years : int
        Loans are repaid in equal instalments over this many years (assumption: 3).
    programs : dict
        Instrument id -> :class:`LoanProgram`.
    """

    enabled: bool = True
    investment_to_revenue: NonNegativeParam = 0.08
    min_fixed_asset_investment_cny: NonNegative | None = None
    borrow_probability: ShareParam = 0.15
    loan_to_investment: NonNegativeParam = 0.6
    loan_rate_percent: PercentRateParam = 4.3
    term_years: Annotated[int, Field(ge=1, le=30)] = 3
    programs: dict[str, LoanProgram] = Field(default_factory=dict)


class FirmsSection(StrictModel):
    """The firm population (see :mod:`sim.populations.firms.component`).

    Attributes
    ----------
    enabled : bool
    source : {"synthetic", "csv"}
        Starting population from `population` or from the file `csv`.
    csv : str, optional
        CSV of real firms (columns: :data:`sim.populations.firms.population.FIRM_COLUMNS`), relative to
        the scenario file.
    above_size_threshold_cny : dict
        Overrides of the sectors' above-size thresholds (``sim/populations/firms/sectors.toml``, NBS), CNY.
    population : dict
        Sector -> :class:`SectorPopulation` (synthetic source).
    behaviour : dict
        Sector -> :class:`SectorBehaviour`; a sector left out has drift 0 and no entry.
    share_under_5_years : float
        Share of the synthetic starting firms younger than five years, strictly between 0 and 1
        (ages are drawn from the geometric law it implies): 0.494 (49.4% of Chinese
        firms, SAIC 2013; CALIBRATION_FACTS.md section 4).
    entry : {"poisson", "expected"}
        Births a year: Poisson with the sector's mean (default), or deterministic, the expected
        births with the fractions carried over (``floor(m (t + 1)) - floor(m t))`` in the t-th year).
    synthetic_entrants : bool
        Whether the sectors' ``entry_per_year`` adds synthetic entrants (default true). A scenario
        that reads its firms from a CSV and extends a synthetic one inherits that entry; ``false``
        keeps the population to the file's firms (plus incubator graduates, if any).
    """

    enabled: bool = True
    source: Literal["synthetic", "csv"] = "synthetic"
    csv: str | None = None
    above_size_threshold_cny: dict[str, PositiveFloat] = Field(default_factory=dict)
    population: dict[str, SectorPopulation] = Field(default_factory=dict)
    behaviour: dict[str, SectorBehaviour] = Field(default_factory=dict)
    growth: GrowthConfig = Field(default_factory=GrowthConfig)
    exit: ExitConfig = Field(default_factory=ExitConfig)
    srdi: SrdiConfig = Field(default_factory=SrdiConfig)
    rewards: RewardsConfig = Field(default_factory=RewardsConfig)
    loans: LoansConfig = Field(default_factory=LoansConfig)
    share_under_5_years: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.494
    entry: Literal["poisson", "expected"] = "poisson"
    synthetic_entrants: bool = True

    @model_validator(mode="after")
    def _source_consistent(self):
        if self.source == "csv" and not self.csv:
            raise ValueError("source = 'csv' needs csv = \"file.csv\"")
        if self.source == "synthetic" and self.csv:
            raise ValueError("csv is given but source = 'synthetic'; set source = 'csv' or remove csv")
        if self.exit.peak_age_max_years < self.exit.peak_age_min_years:
            raise ValueError("exit.peak_age_max_years must be >= exit.peak_age_min_years")
        return self
