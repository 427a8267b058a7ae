"""Uncertain parameters: a fixed value or a distribution, drawn once per ensemble draw.

In a scenario file a parameter is either a number::

    drift = 0.05

or a table naming a distribution::

    drift = { dist = "normal", mean = 0.05, sd = 0.02 }
    drift = { dist = "uniform", low = 0.0, high = 0.1 }
    drift = { dist = "lognormal", median = 0.05, sigma = 0.3 }
    drift = { dist = "triangular", low = 0.0, mode = 0.05, high = 0.1 }

A normal may be truncated with ``low`` and/or ``high``. Each parameter of each draw gets its own
random stream keyed by (seed, draw, parameter path), so adding a parameter to a scenario does not
change the values drawn for the others.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from sim.core.rng import keyed_generator
from sim.scenario.base import MAX_MAGNITUDE

__all__ = [
    "Uniform", "Normal", "LogNormal", "Triangular", "Distribution", "Param", "draw_value",
    "param_in", "param_limit", "param_median", "DRAW_RANGE_SDS", "NonNegativeParam", "SignedAmountParam", "LogGrowthParam",
    "ElasticityParam", "VolatilityParam", "PercentRateParam", "DiscountRateParam", "ExponentParam", "PositiveParam", "ShareParam", "PositiveShareParam", "CountRateParam", "ChangeParam", "MonthsParam",
    "SizeExponentParam",
]

Finite = Annotated[float, Field(allow_inf_nan=False)]
#: Standard deviations either side of the centre that a parameter's draws are checked over
#: against an overflow limit (:func:`param_limit`): all but 2e-9 of a normal's draws.
DRAW_RANGE_SDS = 6.0
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _StandardTruncatedNormalQuantile:
    """``scipy.stats.truncnorm.ppf(q, a, b)`` for one truncation [a, b], bit for bit, for 0 < q < 1.

    SciPy's generic ``ppf`` spends about 0.1 ms a call checking and broadcasting arguments, and
    its ``truncnorm._ppf`` recomputes the tail's log mass and sums two logarithms with the
    general ``logsumexp``. This evaluates the same expression in the same order with the same
    NumPy and SciPy functions on one-element arrays, the parts that depend only on (a, b) computed
    once: ``log_Phi = log(exp(end) + exp(log(q) + mass))`` (``end`` the log-CDF of the near
    end, ``q`` taken from the far end when a >= 0) as ``log1p(exp(min - max)) + log(count) + max``,
    which is what ``logsumexp`` computes for two finite or minus-infinite terms, then
    ``ndtri_exp``. Scale and location are applied by the caller (``x * scale + loc``, SciPy's
    order). :func:`_truncated_normal_quantile` checks it against SciPy before it is used.
    """

    def __init__(self, a: float, b: float, log_end: float, log_mass: float):
        self.left = a < 0.0
        self._log_end = np.array([log_end])
        self._log_mass = np.array([log_mass])

    def __call__(self, q: float) -> float:
        from scipy.special import ndtri_exp

        qa = np.array([q])
        log_tail = (np.log(qa) if self.left else np.log1p(-qa)) + self._log_mass
        top, bottom = np.maximum(self._log_end, log_tail), np.minimum(self._log_end, log_tail)
        tie = bool(top[0] == bottom[0])
        # logsumexp sets the largest terms to -inf and counts them: a tie leaves exp(-inf) = 0 over 2.
        rest = np.zeros(1) if tie else np.exp(bottom - top)
        log_phi = np.log1p(rest) + np.log(np.array([2.0 if tie else 1.0])) + top
        x = ndtri_exp(log_phi)
        return float(x[0] if self.left else -x[0])


#: Probabilities the fast truncated-normal quantile is checked at against SciPy's, once per (a, b).
_QUANTILE_CHECK_POINTS = (1e-12, 1e-3, 0.025, 0.3, 0.5, 0.7, 0.975, 0.999, 1.0 - 2.0**-53)


@lru_cache(maxsize=256)
def _truncated_normal_quantile(a: float, b: float) -> _StandardTruncatedNormalQuantile | None:
    """The fast standard quantile of the normal truncated to [a, b], or None where SciPy must do it.

    None when the truncation is empty or one of its log terms is not finite (the ``logsumexp``
    reading above needs a finite tail mass and a finite or minus-infinite end), when SciPy's
    private helpers are gone, or when the fast quantile differs from ``truncnorm.ppf`` in any bit
    at the check points (a SciPy whose algorithm changed).
    """
    from scipy.stats import truncnorm

    try:
        from scipy.stats._continuous_distns import _log_gauss_mass, _norm_logcdf
    except ImportError:  # pragma: no cover - a SciPy without the helpers: its own ppf then
        return None
    if not a < b:
        return None
    aa, ba = np.array([a]), np.array([b])
    log_end = float((_norm_logcdf(aa) if a < 0.0 else _norm_logcdf(-ba))[0])
    log_mass = float(_log_gauss_mass(aa, ba)[0])
    if not math.isfinite(log_mass) or math.isnan(log_end) or log_end == math.inf:
        return None
    quantile = _StandardTruncatedNormalQuantile(a, b, log_end, log_mass)
    for q in _QUANTILE_CHECK_POINTS:
        if quantile(q) != float(truncnorm.ppf(q, a, b)):
            return None
    return quantile


class Uniform(_Dist):
    """Uniform on [low, high]."""

    dist: Literal["uniform"]
    low: Finite
    high: Finite

    @model_validator(mode="after")
    def _ordered(self):
        if self.high < self.low:
            raise ValueError(f"high (={self.high}) must be >= low (={self.low})")
        return self

    def sample(self, rng: np.random.Generator) -> float:
        """A draw from the distribution, using `rng`."""
        return float(rng.uniform(self.low, self.high))

    def ppf(self, q: np.ndarray) -> np.ndarray:
        """The quantile function at probabilities `q` (for designs sampled in probability space)."""
        return self.low + np.asarray(q, dtype=np.float64) * (self.high - self.low)

    def bounds(self) -> tuple[float, float]:
        """The interval the distribution's values lie in."""
        return self.low, self.high

    def draw_range(self) -> tuple[float, float]:
        """The interval its draws lie in (see :func:`param_limit`)."""
        return self.bounds()


class Normal(_Dist):
    """Normal with mean and standard deviation, optionally truncated to [low, high]."""

    dist: Literal["normal"]
    mean: Finite
    sd: Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
    low: Finite | None = None
    high: Finite | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if self.low is not None and self.high is not None and self.high <= self.low:
            raise ValueError(f"high (={self.high}) must be > low (={self.low})")
        return self

    def sample(self, rng: np.random.Generator) -> float:
        """A draw from the (truncated) normal, by inverse CDF of one uniform from `rng`."""
        if self.sd == 0.0:
            return float(np.clip(self.mean, *self.bounds()))
        from scipy.stats import truncnorm

        lo, hi = self.bounds()
        a, b = (lo - self.mean) / self.sd, (hi - self.mean) / self.sd
        q = rng.uniform()
        quantile = _truncated_normal_quantile(a, b)
        if quantile is not None and 0.0 < q < 1.0:
            return quantile(q) * self.sd + self.mean
        return float(truncnorm.ppf(q, a, b, loc=self.mean, scale=self.sd))

    def ppf(self, q: np.ndarray) -> np.ndarray:
        """The quantile function at probabilities `q`: the inverse CDF :meth:`sample` draws through."""
        q = np.asarray(q, dtype=np.float64)
        if self.sd == 0.0:
            return np.full(q.shape, float(np.clip(self.mean, *self.bounds())))
        from scipy.stats import truncnorm

        lo, hi = self.bounds()
        a, b = (lo - self.mean) / self.sd, (hi - self.mean) / self.sd
        return np.asarray(truncnorm.ppf(q, a, b, loc=self.mean, scale=self.sd), dtype=np.float64)

    def bounds(self) -> tuple[float, float]:
        """The truncation interval, infinite where no bound is given."""
        return (-math.inf if self.low is None else self.low, math.inf if self.high is None else self.high)

    def draw_range(self) -> tuple[float, float]:
        """The interval all but 2e-9 of its draws lie in: ``mean ± 6 sd``, within the truncation."""
        lo, hi = self.bounds()
        return max(lo, self.mean - DRAW_RANGE_SDS * self.sd), min(hi, self.mean + DRAW_RANGE_SDS * self.sd)


class LogNormal(_Dist):
    """Lognormal given by its median and the standard deviation of the log (sigma)."""

    dist: Literal["lognormal"]
    median: Positive
    sigma: Annotated[float, Field(ge=0.0, allow_inf_nan=False)]

    def sample(self, rng: np.random.Generator) -> float:
        """A draw from the lognormal, using `rng`."""
        return float(self.median * math.exp(self.sigma * rng.standard_normal()))

    def ppf(self, q: np.ndarray) -> np.ndarray:
        """The quantile function at probabilities `q`."""
        from scipy.stats import norm

        return self.median * np.exp(self.sigma * norm.ppf(np.asarray(q, dtype=np.float64)))

    def bounds(self) -> tuple[float, float]:
        """The interval the distribution's values lie in."""
        return 0.0, math.inf

    def draw_range(self) -> tuple[float, float]:
        """The interval all but 2e-9 of its draws lie in: ``median * exp(± 6 sigma)``."""
        spread = math.exp(min(DRAW_RANGE_SDS * self.sigma, 709.0))
        return self.median / spread, self.median * spread


class Triangular(_Dist):
    """Triangular on [low, high] with its mode."""

    dist: Literal["triangular"]
    low: Finite
    mode: Finite
    high: Finite

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError(f"need low <= mode <= high and low < high (got {self.low}, {self.mode}, {self.high})")
        return self

    def sample(self, rng: np.random.Generator) -> float:
        """A draw from the triangular distribution, using `rng`."""
        return float(rng.triangular(self.low, self.mode, self.high))

    def ppf(self, q: np.ndarray) -> np.ndarray:
        """The quantile function at probabilities `q`."""
        from scipy.stats import triang

        width = self.high - self.low
        return np.asarray(triang.ppf(np.asarray(q, dtype=np.float64), (self.mode - self.low) / width,
                                     loc=self.low, scale=width), dtype=np.float64)

    def bounds(self) -> tuple[float, float]:
        """The interval the distribution's values lie in."""
        return self.low, self.high

    def draw_range(self) -> tuple[float, float]:
        """The interval its draws lie in (see :func:`param_limit`)."""
        return self.bounds()


Distribution = Annotated[Uniform | Normal | LogNormal | Triangular, Field(discriminator="dist")]
#: A behavioural parameter: a fixed number or a distribution.
Param = Finite | Distribution


def param_in(low: float, high: float, allowed: str, low_open: bool = False) -> AfterValidator:
    """A check that a parameter, fixed or drawn, stays within [low, high] (or (low, high]).

    A distribution is checked by its support, so a normal that could go below a bound of 0 is
    refused (truncate it with ``low``/``high``).
    """

    def check(value):
        lo, hi = (value, value) if isinstance(value, (int, float)) else value.bounds()
        # A lognormal's support is open at 0: it never takes the value 0 itself.
        open_support = getattr(value, "dist", None) == "lognormal"
        below = lo <= low if (low_open and not open_support) else lo < low
        if below or hi > high:
            if isinstance(value, (int, float)):
                raise ValueError(f"{value:g} is out of range; allowed: {allowed}")
            raise ValueError(
                f"a {value.dist} distribution here can take values in [{lo:g}, {hi:g}]; allowed: {allowed}"
                + (" (truncate it with low/high)" if value.dist == "normal" else "")
            )
        return value

    return AfterValidator(check)


def param_limit(low: float, high: float, allowed: str) -> AfterValidator:
    """A check that a parameter stays within [low, high], limits that keep the model's numbers finite.

    Unlike :func:`param_in` (a domain: every value the distribution can take must be inside), a
    limit is checked over the range holding all but 2e-9 of the draws (``mean ± 6 sd`` of an
    untruncated normal, ``median * exp(± 6 sigma)`` of a lognormal), so the usual unbounded
    distributions stay allowed; a draw beyond it that still overflows stops the run
    (:func:`sim.core.finite.check_finite`).
    """

    def check(value):
        lo, hi = (value, value) if isinstance(value, (int, float)) else value.draw_range()
        if lo < low or hi > high:
            if isinstance(value, (int, float)):
                raise ValueError(f"{value:g} is out of range; allowed: {allowed}")
            raise ValueError(f"a {value.dist} distribution here draws values in [{lo:g}, {hi:g}]; allowed: {allowed}")
        return value

    return AfterValidator(check)


#: A parameter that cannot be negative (amounts, counts, rates of use, probabilities' scales).
NonNegativeParam = Annotated[Param, param_in(0.0, math.inf, "values >= 0"),
                             param_limit(0.0, MAX_MAGNITUDE, f"values in [0, {MAX_MAGNITUDE:g}]")]
#: A parameter that must be above zero (medians of sizes, scales).
PositiveParam = Annotated[Param, param_in(0.0, math.inf, "values > 0", low_open=True),
                          param_limit(0.0, MAX_MAGNITUDE, f"values in (0, {MAX_MAGNITUDE:g}]")]
#: An amount that may be negative (a price premium), CNY.
SignedAmountParam = Annotated[Param, param_limit(-MAX_MAGNITUDE, MAX_MAGNITUDE,
                                                 f"values in [-{MAX_MAGNITUDE:g}, {MAX_MAGNITUDE:g}]")]
#: Mean log growth a year (a sector's drift, a boost to it): within ±5 (a factor e^5 = 148 a
#: year), so revenues compounded over the century a horizon may span stay below 1e233 CNY; the
#: sources give 0.05 to 0.20, hand-checked tests use up to ln 6.
LogGrowthParam = Annotated[Param, param_limit(-5.0, 5.0, "values in [-5, 5] (log growth a year)")]
#: Added log growth per unit of support relative to revenue: within ±10 (assumption 0.5).
ElasticityParam = Annotated[Param, param_limit(-10.0, 10.0, "values in [-10, 10]")]
#: Standard deviation of log growth a year: at most 5 (a factor e^5 per sd), beyond any firm data.
VolatilityParam = Annotated[Param, param_in(0.0, math.inf, "values >= 0"),
                            param_limit(0.0, 5.0, "values in [0, 5]")]
#: A yearly interest rate in percent.
PercentRateParam = Annotated[Param, param_in(0.0, math.inf, "values >= 0"),
                             param_limit(0.0, 100.0, "values in [0, 100] percent a year")]
#: A yearly discount rate (a share): at most 1 (100% a year).
DiscountRateParam = Annotated[Param, param_in(0.0, 1.0, "values in [0, 1] a year")]
#: An elasticity used as an exponent of a price ratio: at most 10.
ExponentParam = Annotated[Param, param_in(0.0, math.inf, "values >= 0"), param_limit(0.0, 10.0, "values in [0, 10]")]
#: A share or a probability.
ShareParam = Annotated[Param, param_in(0.0, 1.0, "values in [0, 1]")]
#: A share that must be above zero: a divisor (the availability of a station's capacity).
PositiveShareParam = Annotated[Param, param_in(0.0, 1.0, "values in (0, 1]: above 0, since it divides", low_open=True)]
#: A mean count a year (Poisson), bounded so a draw stays a sane integer.
CountRateParam = Annotated[Param, param_in(0.0, 1e6, "values in [0, 1,000,000]")]
#: A yearly rate of change: never below -100%, and at most +1,000% (larger is a typo that overflows).
ChangeParam = Annotated[Param, param_in(-1.0, 10.0, "values in [-1, 10] (-100% to +1,000% a year)")]
#: The exponent of a size law ``(revenue / ref)^-x``: bounded so the factor stays finite for any
#: revenue up to 3.4e38 CNY (|x| * ln(3.4e38) < 709), 25 orders of magnitude above the largest
#: firm a CSV may give, and far beyond the 0.2 the sources give.
SizeExponentParam = Annotated[Param, param_in(-5.0, 5.0, "values in [-5, 5]")]
#: A delay in months, up to fifty years.
MonthsParam = Annotated[Param, param_in(0.0, 600.0, "values in [0, 600] months")]


def param_median(value: float | Uniform | Normal | LogNormal | Triangular) -> float:
    """A parameter's median: the number itself, or its distribution's 50% quantile."""
    if isinstance(value, (int, float)):
        return float(value)
    return float(value.ppf(np.array([0.5]))[0])


def draw_value(value: float | Uniform | Normal | LogNormal | Triangular, seed: int, draw: int, path: str) -> float:
    """Value of a parameter in a draw: the number itself, or a sample of its distribution."""
    if isinstance(value, (int, float)):
        return float(value)
    return value.sample(keyed_generator(seed, draw, path))
