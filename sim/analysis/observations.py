"""Observations: what was measured, when, by whom, and the results variable it is compared with.

``calibration/observed.toml`` holds one table per observation, keyed by an id (the keys are
described at the top of that file). :func:`load_observations` reads it strictly: unknown keys,
missing keys, wrong types and ``low > high`` are errors naming the file and the key.
:func:`simulated` gives the per-draw values of the model quantity an observation is compared
with, or says why the results do not model it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import xarray as xr
from pydantic import Field, ValidationError, model_validator

from sim.errors import ScenarioError
from sim.scenario.base import StrictModel, Year

__all__ = ["Observation", "load_observations", "simulated", "model_series", "Simulated", "DEFAULT_OBSERVED", "ROLES", "TRANSFORMS"]

#: The observations shipped with the repository.
DEFAULT_OBSERVED = Path(__file__).resolve().parents[2] / "calibration" / "observed.toml"

#: calibration: up to 2023, fits may use it; holdout: 2024 and later, never in the shipped fit; context: not
#: comparable (national figures, inputs), listed and never scored.
ROLES = ("calibration", "holdout", "context")

#: How the model's value is put in the observation's unit.
TRANSFORMS = {"identity": 1.0, "percent": 100.0}

Text = Annotated[str, Field(min_length=1)]
Label = str | int


class Observation(StrictModel):
    """One observed statistic with its source, scope, and the model quantity it is set against."""

    quantity: Text
    year: Year | None = None
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: Text
    source: Text
    source_short: Text
    scope: Text
    confidence: Literal["high", "medium", "low"]
    role: Literal["calibration", "holdout", "context"]
    variable: Text | None = None
    select: dict[str, Label | list[str] | list[int]] = Field(default_factory=dict)
    reduce: Literal["sum", "mean"] = "sum"
    transform: Literal["identity", "percent"] = "identity"

    @model_validator(mode="after")
    def _consistent(self):
        if self.value is None and self.low is None and self.high is None:
            raise ValueError("give `value`, or an observed range `low`/`high` (either alone for a bound)")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"need low <= high (got low={self.low}, high={self.high})")
        if self.value is not None and not (self.lower <= self.value <= self.upper):
            raise ValueError(f"value (={self.value}) must lie within [low, high] = [{self.lower}, {self.upper}]")
        if self.variable is None and self.role != "context":
            raise ValueError(f"a {self.role} observation needs `variable` (only context entries may have none)")
        return self

    @property
    def lower(self) -> float:
        """Lower end of the observed range (the value if no range; -inf if only an upper bound)."""
        if self.low is not None:
            return self.low
        return self.value if self.value is not None and self.high is None else -math.inf

    @property
    def upper(self) -> float:
        """Upper end of the observed range (the value if no range; +inf if only a lower bound)."""
        if self.high is not None:
            return self.high
        return self.value if self.value is not None and self.low is None else math.inf

    @property
    def point(self) -> float | None:
        """The value, else the midpoint of a two-sided range, else None (a one-sided bound)."""
        if self.value is not None:
            return self.value
        if self.low is not None and self.high is not None:
            return 0.5 * (self.low + self.high)
        return None

    def observed_text(self) -> str:
        """The observation as printed: ``1,528``, ``55-60``, ``>= 312`` or ``<= 1.21e+10``."""
        def fmt(x: float) -> str:
            return f"{x:,.4g}" if abs(x) < 1e7 else f"{x:.3g}"

        if self.low is not None and self.high is not None:
            return f"{fmt(self.low)}-{fmt(self.high)}"
        if self.low is not None:
            return f">= {fmt(self.low)}"
        if self.high is not None:
            return f"<= {fmt(self.high)}"
        return fmt(self.value) if self.value is not None else "?"


class _ObservationFile(StrictModel):
    entries: dict[str, Observation]


def load_observations(path: str | Path = DEFAULT_OBSERVED) -> dict[str, Observation]:
    """Read an observations file; return its entries by id, in file order.

    Raises
    ------
    ScenarioError
        One line per problem, ``file: id.key: what is wrong; what is allowed``; one line if the
        file holds no observation at all.
    """
    from sim.scenario.loader import format_validation_errors, read_toml

    path = Path(path)
    raw, _ = read_toml(path)
    if not raw:
        raise ScenarioError([f"{path}: no observations in the file; expected at least one [id] table with its "
                             "variable, year, value (or low/high) and source"])
    try:
        parsed = _ObservationFile.model_validate({"entries": raw})
    except ValidationError as exc:
        lines = format_validation_errors(exc, _ObservationFile, {}, str(path))
        raise ScenarioError([line.replace(f"{path}: entries.", f"{path}: ", 1) for line in lines]) from None
    return dict(parsed.entries)


@dataclass(frozen=True)
class Simulated:
    """Per-draw values of an observation's model quantity, or the reason there are none."""

    values: np.ndarray | None
    reason: str = ""


def _labels(ds: xr.Dataset, dim: str) -> list:
    return [v.item() if hasattr(v, "item") else v for v in ds[dim].values]


def model_series(ds: xr.Dataset, obs: Observation) -> tuple[xr.DataArray | None, str]:
    """The model quantity of `obs` over ``draw`` (and ``year`` if the variable has it), in its unit.

    Keeps the coordinates of ``select``, reduces every other dimension but draw and year by
    ``reduce`` and applies ``transform``. Returns ``(None, reason)`` when the results lack the
    variable, a dimension or a label.
    """
    if obs.variable is None:
        return None, "no model variable"
    if obs.variable not in ds:
        return None, f"no variable '{obs.variable}' in the results"
    da = ds[obs.variable]
    if "draw" not in da.dims:
        return None, f"'{obs.variable}' has no draw dimension"
    for dim, wanted in obs.select.items():
        if dim not in da.dims:
            return None, f"'{obs.variable}' has no dimension '{dim}'"
        keep = wanted if isinstance(wanted, list) else [wanted]
        have = _labels(ds, dim) if dim in ds.coords else list(range(ds.sizes[dim]))
        missing = [k for k in keep if k not in have]
        if missing:
            return None, f"no {dim} {', '.join(map(str, missing))} in '{obs.variable}'"
        da = da.sel({dim: keep})
    extra = [d for d in da.dims if d not in ("draw", "year")]
    if extra:
        da = da.sum(extra, min_count=1) if obs.reduce == "sum" else da.mean(extra)
    return da.astype(np.float64) * TRANSFORMS[obs.transform], ""


def simulated(ds: xr.Dataset, obs: Observation) -> Simulated:
    """The model's values to set against `obs`, one per draw (or per draw and year when `obs` has no year).

    A variable without a ``year`` dimension describes the start of the run: its year is its
    ``year`` attribute, else the year before the first. An observation of a stylised fact (no
    ``year``) is set against every year of the results pooled. Never raises for a missing
    variable, dimension, label or year: the reason is returned instead.
    """
    da, reason = model_series(ds, obs)
    if da is None:
        return Simulated(None, reason)
    if obs.year is not None:
        if "year" in da.dims:
            years = [int(y) for y in ds["year"].values]
            if obs.year not in years:
                return Simulated(None, f"{obs.year} outside the results' years {years[0]}-{years[-1]}")
            da = da.sel(year=obs.year)
        else:
            start = int(ds[obs.variable].attrs.get("year", int(ds.attrs.get("first_year", ds["year"].values[0])) - 1))
            if obs.year != start:
                return Simulated(None, f"'{obs.variable}' describes {start}, not {obs.year}")
    values = np.asarray(da.transpose("draw", ...).values, dtype=np.float64).reshape(-1)
    if values.size == 0 or np.all(np.isnan(values)):
        return Simulated(None, f"'{obs.variable}' has no values there")
    return Simulated(values)
