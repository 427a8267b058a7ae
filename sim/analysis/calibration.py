"""``sim calibrate CONFIG.toml``: fit behavioural parameters to observed targets.

A calibration config names the scenario, the parameters to fit (scenario key paths with bounds)
and the observed targets (a results variable, a selection, a year or a sum over years, the
observed value, a weight and its source)::

    scenario = "../scenarios/baseline.toml"
    draws = 16                      # draws per evaluation (same seed: common random numbers)
    method = "nelder-mead"          # or "differential-evolution"
    max_evaluations = 80
    output = "fitted_baseline.toml" # relative to this file

    [[parameter]]
    path = 'firms.sectors.manufacturing.count'
    low = 1000
    high = 20000

    [[target]]
    variable = "firms_above_size"
    select = { sector = "manufacturing" }
    year = 2022
    value = 3050
    source = "NBS via Huajing, Jan-Nov 2022 (CALIBRATION_FACTS.md section 3)"

The loss is the weighted sum of squared relative errors between the ensemble mean and each
observed value. Every evaluation uses the same seed and draws, so the loss is a deterministic
function of the parameters. The result is written as a scenario file that ``extends`` the
calibrated scenario and sets the fitted values: use it directly, or extend it.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, cast

import numpy as np
from pydantic import Field, ValidationError, model_validator

from sim.errors import ScenarioError, SimError
from sim.scenario.base import StrictModel
from sim.scenario.merge import merge_tables

__all__ = ["CalibrationConfig", "CalibrationResult", "load_calibration", "calibrate", "write_fitted_scenario"]


class FitParameter(StrictModel):
    """A scenario key to fit, as a TOML dotted key, within bounds."""

    path: str = Field(min_length=1)
    low: float
    high: float
    start: float | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low < self.high:
            raise ValueError(f"need low < high (got {self.low}, {self.high})")
        if self.start is not None and not self.low <= self.start <= self.high:
            raise ValueError(f"start (={self.start}) must lie within [low, high]")
        return self


class ObservedTarget(StrictModel):
    """An observed value of a results variable: given here, or by id from the observed file."""

    variable: str
    select: dict[str, str | int | float] = Field(default_factory=dict)
    year: int | None = None
    observed: str | None = None
    value: float | None = None
    weight: Annotated[float, Field(gt=0.0)] = 1.0
    source: str | None = None

    @model_validator(mode="after")
    def _value_or_reference(self):
        if self.observed is None and (self.value is None or not self.source):
            raise ValueError("give `value` and `source`, or `observed` (an id of the observed file)")
        return self


class CalibrationConfig(StrictModel):
    """A calibration set-up (see the module docstring)."""

    scenario: str
    draws: Annotated[int, Field(ge=1, le=10_000)] = 16
    seed: int | None = None
    method: Literal["nelder-mead", "differential-evolution"] = "nelder-mead"
    max_evaluations: Annotated[int, Field(ge=1, le=100_000)] = 80
    output: str = "fitted.toml"
    observed_file: str = "observed.toml"
    parameter: list[FitParameter] = Field(min_length=1)
    target: list[ObservedTarget] = Field(min_length=1)


@dataclass(frozen=True)
class CalibrationResult:
    """Fitted values, the loss and the simulated value of each target at the optimum."""

    values: dict[str, float]
    loss: float
    evaluations: int
    simulated: list[float]


def _override_for(path: str, value: float) -> dict:
    try:
        return tomllib.loads(f"{path} = {value!r}")
    except tomllib.TOMLDecodeError:
        raise SimError(f"parameter.path: '{path}' is not a TOML dotted key (quote keys holding dots)") from None


def load_calibration(path: str | Path) -> tuple[CalibrationConfig, Path]:
    """Read and validate a calibration config; return it and the scenario path it names.

    Raises
    ------
    ScenarioError
        One line per problem, naming the file and the key.
    """
    from sim.scenario.loader import format_validation_errors, read_toml

    path = Path(path)
    raw, _ = read_toml(path)
    try:
        config = CalibrationConfig.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(format_validation_errors(exc, CalibrationConfig, {}, str(path))) from None
    scenario_path = (path.parent / config.scenario).resolve()
    if not scenario_path.is_file():
        raise ScenarioError([f"{path}: scenario: '{config.scenario}' not found (looked for {scenario_path})"])
    for i, p in enumerate(config.parameter):
        try:
            _override_for(p.path, 0.0)
        except SimError:
            raise ScenarioError([f"{path}: parameter[{i}].path: '{p.path}' is not a TOML dotted key"]) from None
    if any(t.observed for t in config.target):
        from sim.analysis.observations import load_observations

        observed_path = path.parent / config.observed_file
        observed = load_observations(observed_path)
        targets = []
        for i, t in enumerate(config.target):
            if t.observed is None:
                targets.append(t)
                continue
            entry = observed.get(t.observed)
            if entry is None:
                raise ScenarioError([f"{path}: target[{i}].observed: '{t.observed}' is not an entry of "
                                     f"{observed_path}; entries: {', '.join(observed)}"])
            if entry.role != "calibration":
                raise ScenarioError([f"{path}: target[{i}].observed: '{t.observed}' has role '{entry.role}'; "
                                     "only calibration observations may be fitted (holdouts are kept out of fits)"])
            if entry.point is None:
                raise ScenarioError([f"{path}: target[{i}].observed: '{t.observed}' is a one-sided bound "
                                     f"({entry.observed_text()}); a target needs a value or a two-sided range"])
            targets.append(t.model_copy(update={"value": entry.point, "source": entry.source}))
        config = config.model_copy(update={"target": targets})
    return config, scenario_path


def _simulated(ds, target: ObservedTarget, source: str, index: int = 0) -> float:
    where = f"{source}: target[{index}]"
    if target.variable not in ds:
        raise SimError(f"{where}.variable: '{target.variable}' is not in the results; "
                       f"available: {', '.join(sorted(str(v) for v in ds.data_vars))}")
    da = ds[target.variable]
    if "draw" not in da.dims:
        raise SimError(f"{where}.variable: '{target.variable}' is not a forecast (it has no draw dimension)")
    for dim, label in target.select.items():
        if dim not in da.dims:
            raise SimError(f"{where}.select.{dim}: '{target.variable}' has no dimension '{dim}'; "
                           f"its dimensions: {', '.join(str(d) for d in da.dims)}")
        labels = [v.item() if hasattr(v, "item") else v for v in ds[dim].values]
        if label not in labels:
            raise SimError(f"{where}.select.{dim}: '{label}' is not a {dim}; allowed: {', '.join(map(str, labels))}")
        da = da.sel({dim: label})
    if target.year is not None:
        if "year" not in da.dims:
            raise SimError(f"{where}.year: '{target.variable}' has no year dimension")
        years = [int(y) for y in ds["year"].values]
        if target.year not in years:
            raise SimError(f"{where}.year: {target.year} is outside the horizon {years[0]}..{years[-1]}")
        da = da.sel(year=target.year)
    return float(da.sum([d for d in da.dims if d != "draw"]).mean("draw"))


def calibrate(config: CalibrationConfig, scenario_path: Path, source: str = "<config>", progress=None) -> CalibrationResult:
    """Minimise the weighted squared relative error of the targets over the parameters.

    Raises
    ------
    SimError
        If a parameter path is not a valid scenario key, or a target names no result.
    """
    from scipy import optimize

    import sim
    from sim.scenario.loader import load_scenario

    bounds = [(p.low, p.high) for p in config.parameter]
    evaluations = 0

    def overrides_of(x) -> dict:
        table: dict = {}
        for p, v in zip(config.parameter, x, strict=False):
            v = float(np.clip(v, p.low, p.high))
            table = merge_tables(table, _override_for(p.path, int(round(v)) if p.integer else v))
        return table

    def simulate(x) -> list[float]:
        loaded = load_scenario(scenario_path, overrides_of(x), overrides_source=source)
        ds = sim.run(loaded, draws=config.draws, seed=config.seed)
        return [_simulated(ds, t, source, i) for i, t in enumerate(config.target)]

    def loss(x) -> float:
        nonlocal evaluations
        evaluations += 1
        sims = simulate(x)
        total = 0.0
        for t, s in zip(config.target, sims, strict=False):
            value = cast(float, t.value)  # filled from the observed file when the config is read
            scale = abs(value) if value != 0 else 1.0
            total += t.weight * ((s - value) / scale) ** 2
        if progress is not None:
            progress(evaluations, total)
        return total

    start = np.array([p.start if p.start is not None else 0.5 * (p.low + p.high) for p in config.parameter])
    if config.method == "nelder-mead":
        res = optimize.minimize(loss, start, method="Nelder-Mead", bounds=bounds,
                                options={"maxfev": config.max_evaluations, "xatol": 1e-6, "fatol": 1e-10})
        x = res.x
    else:
        popsize = max(5, config.max_evaluations // (10 * len(bounds)))
        res = optimize.differential_evolution(loss, bounds, maxiter=max(1, config.max_evaluations // (popsize * len(bounds))),
                                              popsize=popsize, seed=0, polish=False, tol=1e-8)
        x = res.x
    x = np.array([float(np.clip(v, p.low, p.high)) for p, v in zip(config.parameter, x, strict=False)])
    values = {p.path: (int(round(v)) if p.integer else float(v)) for p, v in zip(config.parameter, x, strict=False)}
    return CalibrationResult(values, float(loss(x)), evaluations, simulate(x))


def write_fitted_scenario(out: Path, scenario_path: Path, name: str, result: CalibrationResult,
                          config: CalibrationConfig) -> None:
    """Write the fitted values as a scenario that extends the calibrated one (atomically)."""
    import os

    rel = os.path.relpath(scenario_path, out.parent.resolve())
    lines = [
        f"# Fitted by `sim calibrate`: loss {result.loss:.6g} after {result.evaluations} evaluations,",
        f"# {config.draws} draws per evaluation. Targets (observed -> simulated):",
    ]
    for t, s in zip(config.target, result.simulated, strict=False):
        where = ", ".join(f"{k}={v}" for k, v in t.select.items())
        lines.append(f"#   {t.variable}[{where}] {t.year or 'all years'}: {t.value:,.6g} -> {s:,.6g}  ({t.source})")
    lines += [f'extends = "{rel}"', f'name = "{name}"', ""]
    for path, value in result.values.items():
        lines.append(f"{path} = {value!r}" if not (isinstance(value, float) and math.isinf(value)) else "")
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(out)
