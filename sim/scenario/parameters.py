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
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from sim.engine.rng import generator_for

__all__ = [
    "Uniform", "Normal", "LogNormal", "Triangular", "Distribution", "Param", "draw_value",
    "param_in", "NonNegativeParam", "PositiveParam", "ShareParam", "CountRateParam", "ChangeParam", "MonthsParam",
    "SizeExponentParam",
]

Finite = Annotated[float, Field(allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


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
        return float(truncnorm.ppf(rng.uniform(), a, b, loc=self.mean, scale=self.sd))

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


#: A parameter that cannot be negative (amounts, counts, rates of use, probabilities' scales).
NonNegativeParam = Annotated[Param, param_in(0.0, math.inf, "values >= 0")]
#: A parameter that must be above zero (medians of sizes, scales).
PositiveParam = Annotated[Param, param_in(0.0, math.inf, "values > 0", low_open=True)]
#: A share or a probability.
ShareParam = Annotated[Param, param_in(0.0, 1.0, "values in [0, 1]")]
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


def draw_value(value: float | Uniform | Normal | LogNormal | Triangular, seed: int, draw: int, path: str) -> float:
    """Value of a parameter in a draw: the number itself, or a sample of its distribution."""
    if isinstance(value, (int, float)):
        return float(value)
    return value.sample(generator_for(seed, draw, path))
