"""The starting firm population: synthetic from scenario parameters, or read from a CSV of real firms.

Both sources give :class:`FirmArrays`, the structure of arrays the firm component steps. Revenues
are those of the year *before* the first simulated year.

CSV columns (UTF-8, header row; see :data:`FIRM_COLUMNS`):

=============================  ========  =========================================================
column                         required  meaning
=============================  ========  =========================================================
firm_id                        yes       unique id (text)
sector                         yes       a sector key of ``sim/populations/firms/sectors.toml``
revenue_cny                    yes       main-business revenue of the year before the first year, CNY, >= 0
age_years                      yes       years since establishment at the end of that year, >= 0
srdi                           no        certified 专精特新 (0/1, default 0)
little_giant_central_funds     no        national little giant funded by central money (0/1; needs srdi = 1)
incubated                      no        graduate of an incubator (0/1)
fixed_asset_investment_cny     no        recorded fixed-asset investment a year, CNY (default: investment_to_revenue x revenue)
first_above_size_year          no        year first counted above size, revenue at or above the threshold (0 = unknown)
first_above_100m_year          no        year revenue first reached 100,000,000 (0 = unknown)
=============================  ========  =========================================================

A firm at or above a threshold whose first year is unknown is taken to have crossed long before
the horizon (two years before the first year), so it triggers no "last year" reward; give the
year when it matters. A first year equal to the year of ``revenue_cny`` needs that revenue at or
above the line. A software firm first counted in that year with ``revenue_cny`` >= 100,000,000
is a "first counted last year at 100,000,000" firm (D8 item 3, D5 item 8) in the first year,
whenever its revenue first reached 100,000,000.

In the synthetic population, the firms at or above a threshold crossed it in the year before the
first year with the probability the growth law gives (:meth:`GrowthLaw.crossed_last_year`), and
long before otherwise: they are the "first counted last year" firms a reward of the first year
pays (D5 item 8 in 2022).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numba import njit
from scipy.special import ndtr, ndtri

from sim.errors import InputDataError
from sim.populations.firms.kernels import (
    ALIVE,
    COUNTED_AT_100M,
    INCUBATED,
    LITTLE_GIANT,
    NEVER,
    NO_LOAN,
    SHOCK_LAPLACE,
    SRDI,
    FirmState,
    LoanBook,
)
from sim.scenario.base import YEAR_MAX
from sim.scenario.csv_input import CsvColumn, read_csv_table

__all__ = ["FirmArrays", "FIRM_COLUMNS", "GrowthLaw", "PopulationTargets", "StartingShares", "synthetic_population", "read_firms_csv", "pareto_alpha",
           "truncated_pareto_mean", "pareto_alpha_for_mean", "truncated_pareto_quantiles"]

#: Largest revenue or investment a CSV row may give: 10 trillion CNY, above any single firm (a
#: larger value is a typo, not a firm).
MAX_REVENUE_CNY = 1e13
#: Oldest age a CSV row may give, years (the int16 state holds more; older is a typo).
MAX_AGE_YEARS = 200

#: The state arrays of :class:`FirmArrays` and their types (35 bytes per firm). Revenue and recorded
#: investment are float64 because they meet thresholds (20,000,000 above size, 100,000,000,
#: 1e9 and 5e9, the 10,000,000 borrowing gate): float32 holds integers exactly only up to 2^24
#: (16,777,216), so it stores 19,999,999 as 20,000,000 and 99,999,999 as 100,000,000. Support and
#: loan principal meet no threshold (they scale growth and a subsidy), so float32 keeps them.
STATE_FIELDS = (
    ("sector", np.uint8), ("revenue_cny", np.float64), ("age_years", np.int16), ("flags", np.uint8),
    ("first_size_year", np.int16), ("first_100m_year", np.int16), ("fai_cny", np.float64),
    ("support_cny", np.float32), ("loan_principal_cny", np.float32), ("loan_start_year", np.int16),
    ("loan_program", np.uint8),
)


@dataclass
class FirmArrays:
    """Firm state, one element per firm (structure of arrays); ``n`` are in use, the rest is room.

    Attributes
    ----------
    sector : uint8
        Sector code (position in ``sectors.toml``).
    revenue_cny : float64
        Main-business revenue of the last simulated year, CNY (compared with thresholds exactly).
    age_years : int16
    flags : uint8
        Bits ALIVE, SRDI, LITTLE_GIANT, INCUBATED, COUNTED_IN_YEAR (:mod:`sim.populations.firms.kernels`).
    first_size_year, first_100m_year : int16
        Year of the first crossing of the above-size and of the 100,000,000 threshold, or 0.
    fai_cny : float64
        Recorded fixed-asset investment a year, CNY (compared with the borrowing gate exactly).
    support_cny : float32
        Support approved for the firm in the last year, CNY (feeds the policy effect on growth).
    loan_principal_cny : float32; loan_start_year : int16; loan_program : uint8
        The open subsidised loan (program 255 = none).
    """

    sector: np.ndarray
    revenue_cny: np.ndarray
    age_years: np.ndarray
    flags: np.ndarray
    first_size_year: np.ndarray
    first_100m_year: np.ndarray
    fai_cny: np.ndarray
    support_cny: np.ndarray
    loan_principal_cny: np.ndarray
    loan_start_year: np.ndarray
    loan_program: np.ndarray
    n: int

    @classmethod
    def empty(cls, capacity: int) -> FirmArrays:
        """Arrays for `capacity` firms, all zero (no loan), holding none yet."""
        arrays = {name: np.zeros(capacity, dtype=dt) for name, dt in STATE_FIELDS}
        arrays["loan_program"][:] = NO_LOAN
        return cls(**arrays, n=0)

    @property
    def capacity(self) -> int:
        """Number of firms the arrays can hold before they grow."""
        return self.sector.shape[0]

    @property
    def nbytes(self) -> int:
        """Memory of the state arrays, bytes."""
        return sum(getattr(self, name).nbytes for name, _ in STATE_FIELDS)

    @staticmethod
    def bytes_per_firm() -> int:
        """Memory of one firm's state across all the arrays, bytes."""
        return sum(np.dtype(dt).itemsize for _, dt in STATE_FIELDS)

    def reserve(self, capacity: int) -> None:
        """Grow the arrays (doubling) so that at least `capacity` firms fit."""
        if capacity <= self.capacity:
            return
        new = max(capacity, 2 * self.capacity)
        for name, _ in STATE_FIELDS:
            old = getattr(self, name)
            grown = np.zeros(new, dtype=old.dtype)
            if name == "loan_program":
                grown[:] = NO_LOAN
            grown[: old.shape[0]] = old
            setattr(self, name, grown)

    def kernel_state(self) -> FirmState:
        """The arrays the firm kernels step (the current ones: :meth:`reserve` replaces them)."""
        return FirmState(self.sector, self.revenue_cny, self.age_years, self.flags, self.first_size_year,
                         self.first_100m_year, self.fai_cny, self.support_cny)

    def loan_book(self) -> LoanBook:
        """The arrays :func:`~sim.populations.firms.kernels.loan_step` reads and updates."""
        return LoanBook(self.sector, self.flags, self.fai_cny, self.loan_principal_cny, self.loan_start_year,
                        self.loan_program)


def pareto_alpha(above_size_count: int, above_100m_count: int, threshold_cny: float, stay_up_cny: float) -> float:
    """Pareto exponent with ``P(R >= stay_up | R >= threshold) = above_100m / above_size``."""
    return math.log(above_size_count / above_100m_count) / math.log(stay_up_cny / threshold_cny)


def truncated_pareto_mean(alpha: float, low: float, high: float) -> float:
    """Mean of a Pareto law of exponent `alpha` truncated to ``[low, high]``.

    Examples
    --------
    >>> round(truncated_pareto_mean(1.0, 1.0, math.e), 6)  # ln(e) / (1 - 1/e)
    1.581977
    """
    r = low / high
    if abs(alpha) < 1e-9:
        return (high - low) / math.log(high / low)
    if abs(alpha - 1.0) < 1e-9:
        return low * math.log(high / low) / (1.0 - r)
    return alpha / (alpha - 1.0) * low * (1.0 - r ** (alpha - 1.0)) / (1.0 - r**alpha)


def pareto_alpha_for_mean(mean: float, low: float, high: float) -> float:
    """Exponent of the Pareto law truncated to ``[low, high]`` whose mean is `mean` (bisection).

    The mean falls as alpha rises, from `high` (alpha -> -inf) to `low` (alpha -> inf). A pure
    function of its three numbers, remembered for the recent ones: a fixed tail total gives every
    draw of a run the same exponent, bisected once.

    Raises
    ------
    ValueError
        If `mean` is not strictly between `low` and `high`.
    """
    return _pareto_alpha_for_mean(float(mean), float(low), float(high))


#: Bisection steps of :func:`pareto_alpha_for_mean`, from the bracket [-50, 50].
_ALPHA_BISECTION_STEPS = 200
_ALPHA_BRACKET = 50.0


@njit(cache=True)
def _pareto_alpha_bisection(mean: float, low: float, high: float) -> tuple[float, bool]:
    """:func:`pareto_alpha_for_mean`'s bisection compiled: the same operations in the same order
    (libm's log and pow, as Python's), so the same bits.

    The flag is False where Python's arithmetic would have raised instead of giving a number (a
    power overflowing, a division by zero, a zero ratio raised to a negative power): the caller
    then runs the Python loop, which raises as before.
    """
    r = low / high
    if r == 0.0:
        return math.nan, False
    lo, hi = -_ALPHA_BRACKET, _ALPHA_BRACKET
    for _ in range(_ALPHA_BISECTION_STEPS):
        alpha = 0.5 * (lo + hi)
        if abs(alpha) < 1e-9:
            value = (high - low) / math.log(high / low)
        elif abs(alpha - 1.0) < 1e-9:
            value = low * math.log(high / low) / (1.0 - r)
        else:
            up, down = r ** (alpha - 1.0), r**alpha
            if math.isinf(up) or math.isinf(down) or down == 1.0:
                return math.nan, False
            value = alpha / (alpha - 1.0) * low * (1.0 - up) / (1.0 - down)
        if value > mean:
            lo = alpha
        else:
            hi = alpha
    return 0.5 * (lo + hi), True


@lru_cache(maxsize=1024)
def _pareto_alpha_for_mean(mean: float, low: float, high: float) -> float:
    if not low < mean < high:
        raise ValueError(f"a mean of {mean:,.0f} is not between {low:,.0f} and {high:,.0f}")
    if math.isfinite(high) and high / low > 1.0:
        alpha, ok = _pareto_alpha_bisection(mean, low, high)
        if ok:
            return alpha
    lo, hi = -50.0, 50.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if truncated_pareto_mean(mid, low, high) > mean:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def truncated_pareto_quantiles(u: np.ndarray, alpha: float, low: float, high: float) -> np.ndarray:
    """Inverse CDF of the Pareto law of exponent `alpha` truncated to ``[low, high]``, at `u` in [0, 1)."""
    if abs(alpha) < 1e-9:
        return low * (high / low) ** u
    r = (low / high) ** alpha
    return np.minimum(low * (1.0 - u * (1.0 - r)) ** (-1.0 / alpha), high)


def _fill(out: FirmArrays, sector: np.ndarray, revenue: np.ndarray, age: np.ndarray, flags: np.ndarray,
          fai: np.ndarray, first_size: np.ndarray, first_100m: np.ndarray, first_year: int, stay_up_cny: float) -> None:
    n = sector.shape[0]
    out.reserve(n)
    out.sector[:n] = sector
    out.revenue_cny[:n] = revenue
    out.age_years[:n] = np.minimum(age, np.iinfo(np.int16).max)
    # The revenue given is that of the year before the first year: a firm first counted then at
    # >= 100,000,000 is a "first counted last year and >= 100,000,000" software firm in the first year.
    counted_at_100m = (first_size == first_year - 1) & (revenue >= stay_up_cny)
    out.flags[:n] = flags | np.where(counted_at_100m, COUNTED_AT_100M, 0).astype(np.uint8)
    out.fai_cny[:n] = fai
    out.first_size_year[:n] = first_size
    out.first_100m_year[:n] = first_100m
    out.n = n


def _before_horizon(revenue_cny: np.ndarray, threshold: np.ndarray | float, first_year: int) -> np.ndarray:
    return np.where(revenue_cny >= threshold, first_year - 2, NEVER).astype(np.int16)


@dataclass(frozen=True)
class GrowthLaw:
    """The yearly log-growth law of :func:`~sim.populations.firms.kernels.step_firms`, read backwards.

    ``ln R_t - ln R_{t-1} = drift[sector] + sigma(R_{t-1}) z``, with
    ``sigma(R) = min(sigma_max, sigma_ref (R / sigma_ref_revenue)^-beta)`` and z a unit-variance
    Laplace (`shock_kind` 0) or normal (1) shock. Support and exit are left out: there was no
    support before the horizon, and survivors are taken as a random draw of their cohort.
    """

    drift_by_sector: np.ndarray
    sigma_ref: float
    sigma_ref_revenue_cny: float
    beta: float
    sigma_max: float
    shock_kind: int

    def volatility(self, revenue_cny: np.ndarray) -> np.ndarray:
        """Standard deviation of the log growth of a firm at `revenue_cny`."""
        r = np.maximum(np.asarray(revenue_cny, dtype=np.float64), 1.0)
        return np.minimum(self.sigma_max, self.sigma_ref * (r / self.sigma_ref_revenue_cny) ** -self.beta)

    def crossed_last_year(self, revenue_cny: np.ndarray, threshold_cny: np.ndarray, sector: np.ndarray) -> np.ndarray:
        """Probability that a firm at or above `threshold_cny` this year was below it a year earlier.

        That is ``P(g > ln(R / T))`` for the log growth g of a firm just below the threshold
        (sigma taken at T); below the threshold the probability is 0. Age is not used: synthetic
        ages are drawn independently of size, so a firm of age 0 is no evidence of a recent
        crossing (reading it so made 12% of the firms above 100,000,000 founded last year).

        Examples
        --------
        With drift 0.1, sigma 0 and T = 20,000,000: a firm at 21,000,000 (needs growth
        ln 1.05 = 0.049 < 0.1) crossed last year; one at 23,000,000 (needs 0.140) did not.
        """
        r = np.asarray(revenue_cny, dtype=np.float64)
        t = np.asarray(threshold_cny, dtype=np.float64) * np.ones_like(r)
        r, t, sector = np.broadcast_arrays(r, t, np.asarray(sector))
        out = np.zeros(r.shape)
        # Only the firms at or above the line have a probability: most of a population is below
        # it (every operation is element by element, so their values are those of the whole).
        above = r >= t
        r, t, sector = r[above], t[above], sector[above]
        sigma = self.volatility(t)
        need = np.log(np.maximum(r, 1.0) / t) - self.drift_by_sector[sector]
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(sigma > 0.0, need / np.where(sigma > 0.0, sigma, 1.0), np.where(need < 0.0, -np.inf, np.inf))
        if self.shock_kind == SHOCK_LAPLACE:
            # Survival function of the unit-variance Laplace (scale 1/sqrt 2).
            e = np.exp(-math.sqrt(2.0) * np.abs(x))
            p = np.where(x >= 0.0, 0.5 * e, 1.0 - 0.5 * e)
        else:
            p = ndtr(-x)
        out[above] = p
        return out


def _first_crossing_years(u: np.ndarray, law: GrowthLaw, revenue_cny: np.ndarray, threshold: np.ndarray,
                          sector: np.ndarray, first_year: int,
                          crossed_anyway: np.ndarray | None = None) -> np.ndarray:
    """The year before `first_year` for firms the growth law says crossed then (``u < P``, or
    `crossed_anyway`), long before for the other firms at or above the threshold.
    """
    crossed = u < law.crossed_last_year(revenue_cny, threshold, sector)
    if crossed_anyway is not None:
        crossed |= crossed_anyway & (revenue_cny >= threshold)
    years = _before_horizon(revenue_cny, threshold, first_year)
    years[crossed] = first_year - 1
    return years


@dataclass(frozen=True)
class PopulationTargets:
    """What a starting population must match, by sector code (:func:`synthetic_population`).

    Attributes
    ----------
    counts, above_size_counts, above_100m_counts : int arrays
        Firms, firms at or above the sector's threshold, and at or above 100,000,000.
    body_median_cny, body_sigma : float arrays
        Lognormal body of the firms below the threshold.
    threshold_by_sector : float array
        Above-size threshold, CNY.
    stay_up_cny : float
        The 100,000,000 line.
    above_size_revenue_cny, largest_firm_revenue_cny : float arrays, optional
        Total revenue of the above-size firms (NaN: not given) and the largest firm's revenue.
    """

    counts: np.ndarray
    above_size_counts: np.ndarray
    above_100m_counts: np.ndarray
    body_median_cny: np.ndarray
    body_sigma: np.ndarray
    threshold_by_sector: np.ndarray
    stay_up_cny: float
    above_size_revenue_cny: np.ndarray | None = None
    largest_firm_revenue_cny: np.ndarray | None = None


@dataclass(frozen=True)
class StartingShares:
    """Shares and ratios of a starting population (:func:`synthetic_population`).

    Attributes
    ----------
    srdi_share_above_size, little_giant_share : float
        Share certified 专精特新 among the firms open to it, and of those the little giants.
    share_under_5_years : float
        Share of firms under 5 years old.
    investment_to_revenue : float
        Recorded fixed-asset investment per CNY of revenue.
    srdi_min_revenue_cny : float, optional
        Revenue floor of the firms open to certification (None: the above-size firms).
    srdi_min_age_years : int
    """

    srdi_share_above_size: float
    little_giant_share: float
    share_under_5_years: float
    investment_to_revenue: float
    srdi_min_revenue_cny: float | None = None
    srdi_min_age_years: int = 0


def synthetic_population(
    rng: np.random.Generator,
    first_year: int,
    targets: PopulationTargets,
    shares: StartingShares,
    capacity: int,
    growth: GrowthLaw,
) -> FirmArrays:
    """Draw a starting population, sector by sector (arrays indexed by sector code of `targets`).

    Exactly ``above_size_counts[s]`` firms of sector s are drawn at or above its threshold T from a
    Pareto tail (alpha from :func:`pareto_alpha`), exactly ``above_100m_counts[s]`` of them at or
    above 100,000,000; the rest from a lognormal body (median, sigma) truncated below T. Ages are geometric with ``P(age < 5) =
    share_under_5_years`` (49.4% of Chinese firms are under 5 years old, SAIC 2013). A share of the
    above-size firms is certified 专精特新, of which a share are little giants with central funds.
    Firms at or above a threshold crossed it in the year before `first_year` with the probability
    `growth` gives, and long before otherwise.

    Where ``above_size_revenue_cny[s]`` is given (not NaN), the tail is instead the Pareto law
    truncated at ``largest_firm_revenue_cny[s]`` whose mean gives that total
    (:func:`pareto_alpha_for_mean`), drawn at stratified quantiles ``(k + v_k) / n`` so that the
    total holds closely in every draw; `above_100m_counts` is then not used. Where
    `srdi_min_revenue_cny` is given, the initial 专精特新 share applies to the firms at or above that
    revenue and `srdi_min_age_years`, in every sector, instead of the above-size firms.

    Returns
    -------
    FirmArrays
    """
    counts, above_size_counts, above_100m_counts = targets.counts, targets.above_size_counts, targets.above_100m_counts
    body_median_cny, body_sigma = targets.body_median_cny, targets.body_sigma
    threshold_by_sector, stay_up_cny = targets.threshold_by_sector, targets.stay_up_cny
    above_size_revenue_cny, largest_firm_revenue_cny = targets.above_size_revenue_cny, targets.largest_firm_revenue_cny
    srdi_min_revenue_cny, srdi_min_age_years = shares.srdi_min_revenue_cny, shares.srdi_min_age_years
    investment_to_revenue = shares.investment_to_revenue
    sectors, revenues = [], []
    for s in range(counts.shape[0]):
        n, n_above = int(counts[s]), int(above_size_counts[s])
        t = float(threshold_by_sector[s])
        rev = np.empty(n)
        total = np.nan if above_size_revenue_cny is None else float(above_size_revenue_cny[s])
        if n_above > 0 and not math.isnan(total):
            top_cny = math.inf if largest_firm_revenue_cny is None else float(largest_firm_revenue_cny[s])
            alpha = pareto_alpha_for_mean(total / n_above, t, top_cny)
            u = (np.arange(n_above) + rng.random(n_above)) / n_above
            rev[:n_above] = np.maximum(truncated_pareto_quantiles(u, alpha, t, top_cny), t)
        elif n_above > 0:
            # The tail in two strata so both observed counts hold exactly: the first n_top firms
            # from the Pareto above 100,000,000, the next from it truncated to [T, 100,000,000).
            n_top = int(above_100m_counts[s])
            alpha = pareto_alpha(n_above, n_top, t, stay_up_cny)
            rev[:n_top] = stay_up_cny * (1.0 - rng.random(n_top)) ** (-1.0 / alpha)
            below_top = 1.0 - (stay_up_cny / t) ** -alpha
            # The inverse CDF rounded at a uniform next to 1 could land on the upper line; each
            # stratum is kept strictly below its line so the counts hold whatever the rounding.
            rev[n_top:n_above] = np.minimum(t * (1.0 - rng.random(n_above - n_top) * below_top) ** (-1.0 / alpha),
                                            np.nextafter(stay_up_cny, 0.0))
        n_below = n - n_above
        if n_below > 0:
            if body_sigma[s] == 0.0:
                rev[n_above:] = min(body_median_cny[s], np.nextafter(t, 0.0))
            else:
                top = ndtr((math.log(t) - math.log(body_median_cny[s])) / body_sigma[s])
                u = rng.random(n_below) * top
                rev[n_above:] = np.minimum(body_median_cny[s] * np.exp(body_sigma[s] * ndtri(np.maximum(u, 1e-300))),
                                           np.nextafter(t, 0.0))
        sectors.append(np.full(n, s, dtype=np.uint8))
        revenues.append(rev)
    sector = np.concatenate(sectors) if sectors else np.zeros(0, np.uint8)
    revenue = np.concatenate(revenues) if revenues else np.zeros(0)
    thr = threshold_by_sector[sector]
    n = revenue.size
    p_year = 1.0 - (1.0 - shares.share_under_5_years) ** (1.0 / 5.0)
    age = (rng.geometric(p_year, n) - 1) if n else np.zeros(0, np.int64)
    open_to_srdi = revenue >= thr if srdi_min_revenue_cny is None else \
        (revenue >= srdi_min_revenue_cny) & (age >= srdi_min_age_years)
    srdi = open_to_srdi & (rng.random(n) < shares.srdi_share_above_size)
    giant = srdi & (rng.random(n) < shares.little_giant_share)
    flags = np.full(n, ALIVE, dtype=np.uint8)
    flags[srdi] |= SRDI
    flags[giant] |= LITTLE_GIANT
    out = FirmArrays.empty(max(capacity, n))
    # One uniform per firm for both thresholds, so a firm that crossed the size threshold last year
    # and is now above 100,000,000 crossed that too last year.
    u = rng.random(n)
    first_size = _first_crossing_years(u, growth, revenue, thr, sector, first_year)
    first_100m = _first_crossing_years(u, growth, revenue, np.full(n, stay_up_cny), sector, first_year,
                                       crossed_anyway=first_size == first_year - 1)
    _fill(out, sector, revenue, age, flags, investment_to_revenue * revenue, first_size, first_100m, first_year,
          stay_up_cny)
    return out


def firm_columns(sector_keys: list[str]) -> list[CsvColumn]:
    """The columns of a firms CSV (the sector column takes the given keys)."""
    return [
        CsvColumn("firm_id", "id", description="unique id"),
        CsvColumn("sector", "choice", choices=tuple(sector_keys), description="sector key"),
        CsvColumn("revenue_cny", "float", min_value=0.0, max_value=MAX_REVENUE_CNY,
                  description="revenue of the year before the first year, CNY"),
        CsvColumn("age_years", "int", min_value=0, max_value=MAX_AGE_YEARS, description="age at the end of that year"),
        CsvColumn("srdi", "bool", required=False, default=False),
        CsvColumn("little_giant_central_funds", "bool", required=False, default=False),
        CsvColumn("incubated", "bool", required=False, default=False),
        CsvColumn("fixed_asset_investment_cny", "float", required=False, min_value=0.0, max_value=MAX_REVENUE_CNY,
                  default=-1.0),
        CsvColumn("first_above_size_year", "int", required=False, min_value=0, max_value=YEAR_MAX, default=0),
        CsvColumn("first_above_100m_year", "int", required=False, min_value=0, max_value=YEAR_MAX, default=0),
    ]


#: Names of the firms CSV columns, in order (see the module docstring).
FIRM_COLUMNS = tuple(c.name for c in firm_columns([]))


def read_firms_csv(
    path: str | Path,
    sector_keys: list[str],
    threshold_by_sector: np.ndarray,
    stay_up_cny: float,
    first_year: int,
    investment_to_revenue: float,
    capacity: int,
) -> tuple[FirmArrays, np.ndarray]:
    """Read a CSV of real firms.

    Returns
    -------
    firms : FirmArrays
    ids : ndarray of object
        The firm ids, by firm index.

    Raises
    ------
    InputDataError
        One line per problem, naming file, row and column: unknown or missing columns, bad values,
        duplicate ids, a little giant that is not certified 专精特新, a first-crossing year that is
        not before the first simulated year or that contradicts the revenue.
    """
    table = read_csv_table(path, firm_columns(sector_keys))
    code = {k: i for i, k in enumerate(sector_keys)}
    sector = np.array([code[s] for s in table["sector"]], dtype=np.uint8)
    revenue = table["revenue_cny"]
    problems = []
    for r in np.nonzero(table["little_giant_central_funds"] & ~table["srdi"])[0][:10]:
        problems.append(f"{path}: row {r + 2}, column 'little_giant_central_funds': is 1 but srdi is 0; "
                        "a little giant is certified 专精特新")
    for col in ("first_above_size_year", "first_above_100m_year"):
        bad = np.nonzero((table[col] != 0) & (table[col] >= first_year))[0]
        for r in bad[:10]:
            problems.append(f"{path}: row {r + 2}, column '{col}': is {table[col][r]}; must be before the first "
                            f"simulated year {first_year} (or 0 for unknown)")
    thr = threshold_by_sector[sector]
    # The revenue is that of the year before the first year: a firm first above a line in that
    # year must be above it.
    for col, line in (("first_above_size_year", thr), ("first_above_100m_year", np.full(sector.size, stay_up_cny))):
        bad = np.nonzero((table[col] == first_year - 1) & (revenue < line))[0]
        for r in bad[:10]:
            problems.append(f"{path}: row {r + 2}, column '{col}': is {first_year - 1}, the year of revenue_cny, but "
                            f"revenue_cny {table['revenue_cny'][r]:,.0f} is below {line[r]:,.0f} that year")
    if problems:
        raise InputDataError("\n".join(problems))
    first_size = np.where(table["first_above_size_year"] > 0, table["first_above_size_year"],
                          _before_horizon(revenue, thr, first_year)).astype(np.int16)
    first_100m = np.where(table["first_above_100m_year"] > 0, table["first_above_100m_year"],
                          _before_horizon(revenue, stay_up_cny, first_year)).astype(np.int16)
    flags = (ALIVE | np.where(table["srdi"], SRDI, 0) | np.where(table["little_giant_central_funds"], LITTLE_GIANT, 0)
             | np.where(table["incubated"], INCUBATED, 0)).astype(np.uint8)
    fai = np.where(table["fixed_asset_investment_cny"] >= 0.0, table["fixed_asset_investment_cny"],
                   investment_to_revenue * revenue)
    out = FirmArrays.empty(max(capacity, sector.size))
    _fill(out, sector, revenue, table["age_years"], flags, fai, first_size, first_100m, first_year, stay_up_cny)
    return out, table["firm_id"]
