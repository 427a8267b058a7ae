"""``sim calibrate CONFIG.toml``: fit behavioural parameters jointly to observed targets, and say what they pin down.

A calibration config names the scenario, the parameters to fit (scenario key paths with bounds)
and the observed targets (a results variable, a selection and a year with the observed value,
or the id of an entry of ``calibration/observed.toml``)::

    scenario = "../scenarios/baseline_prior.toml"
    draws = 8                       # draws per evaluation (same seed: common random numbers)
    method = "least-squares"        # or "nelder-mead", "differential-evolution"
    max_evaluations = 60
    output = "fitted_baseline.toml" # relative to this file
    write = "posterior"             # fitted values as normal distributions (or "point")

    [[parameter]]
    path = 'hydrogen.economics.fixed_cost_recovery_share'
    low = 0.0
    high = 1.0

    [[target]]
    observed = "h2_pump_price_2022"  # an entry of observed.toml with role "calibration"

The loss is the weighted sum of squared standardised errors, ``sum w ((s - v) / sd)^2``, between
the ensemble mean ``s`` and each observed value ``v``. The sd of an observation is its own where
it gives one (``sd``), else a range's width over 3.29 (a range read as a 90% interval), else a
share of the value by the entry's confidence (high 2%, medium 5%, low 15%: an assumption), else,
for a target given inline without sd, 5% of the value. Every evaluation uses the same seed and
draws (common random numbers), so the loss is a deterministic function of the parameters and a
rerun reproduces the fit.

After the fit, the identification report: the sensitivity of each target to each parameter (in
observation sds per full range of the parameter, by central differences at the optimum), the
parameter's posterior sd by the Laplace approximation (``(J^T J + 12 I)^-1`` in the unit box:
the standardised residuals' Jacobian, with the bounds read as a uniform prior of sd 1/sqrt(12)) and
the parameters the targets do not pin down: those no target moves by one sd over
the whole range, or whose posterior sd is above a quarter of the range (the others compensate).

Only observations up to ``fit_until_year`` (2022) and of role "calibration" can be targets: the
2023 observations are held out for the hindcast. The result is written as a scenario file that
``extends`` the calibrated scenario and sets the fitted values, as points or as normal
distributions with the posterior sd, truncated to the bounds.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, cast

import numpy as np
from pydantic import Field, PrivateAttr, ValidationError, model_validator

from sim.errors import ScenarioError, SimError
from sim.scenario.base import StrictModel
from sim.scenario.merge import merge_tables

__all__ = [
    "CalibrationConfig",
    "CalibrationResult",
    "load_calibration",
    "calibrate",
    "write_fitted_scenario",
    "identification_rows",
]

#: Relative sd of an observation given as a point, by its confidence: an assumption.
RELATIVE_SD_BY_CONFIDENCE = {"high": 0.02, "medium": 0.05, "low": 0.15}
#: Relative sd of an inline target without one.
DEFAULT_RELATIVE_SD = 0.05
#: A range read as a 90% interval of a normal: its width is 3.29 sd.
_RANGE_WIDTH_IN_SD = 2 * 1.6449
#: Posterior sd, as a share of the range, above which a parameter is not pinned down.
UNIDENTIFIED_SD_SHARE = 0.25


class FitParameter(StrictModel):
    """A scenario key to fit, as a TOML dotted key, within bounds."""

    path: str = Field(min_length=1)
    low: float
    high: float
    start: float | None = None
    integer: bool = False
    #: How the fitted value is written, overriding the config's ``write`` (a key that takes
    #: only numbers, not distributions, needs "point").
    write: Literal["point", "posterior"] | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low < self.high:
            raise ValueError(f"need low < high (got {self.low}, {self.high})")
        if self.start is not None and not self.low <= self.start <= self.high:
            raise ValueError(f"start (={self.start}) must lie within [low, high]")
        return self


class ObservedTarget(StrictModel):
    """An observed value of a results variable: given here, or by id from the observed file."""

    variable: str | None = None
    select: dict[str, str | int | float] = Field(default_factory=dict)
    year: int | None = None
    observed: str | None = None
    value: float | None = None
    sd: Annotated[float, Field(gt=0.0)] | None = None
    weight: Annotated[float, Field(gt=0.0)] = 1.0
    source: str | None = None

    @model_validator(mode="after")
    def _value_or_reference(self):
        if self.observed is None and (self.variable is None or self.value is None or not self.source):
            raise ValueError("give `variable`, `value` and `source`, or `observed` (an id of the observed file)")
        return self


class CalibrationConfig(StrictModel):
    """A calibration set-up (see the module docstring)."""

    scenario: str
    draws: Annotated[int, Field(ge=1, le=10_000)] = 16
    seed: int | None = None
    method: Literal["least-squares", "nelder-mead", "differential-evolution", "abc-smc"] = "nelder-mead"
    #: ABC-SMC only: particles per generation, most generations after the prior's, pilot draws
    #: at the prior's median (the simulated targets' noise), the acceptance below which it stops,
    #: the most model draws in all, and the last year simulated (default: the last target's year).
    population: Annotated[int, Field(ge=10, le=100_000)] = 200
    generations: Annotated[int, Field(ge=1, le=50)] = 8
    pilot_draws: Annotated[int, Field(ge=2, le=10_000)] = 32
    min_acceptance: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.03
    max_simulations: Annotated[int, Field(ge=10, le=10_000_000)] = 40_000
    #: ABC-SMC only: move the last population by a local-linear regression of its parameters on
    #: its targets' misses (Beaumont et al. 2002; :func:`sim.analysis.abc_smc.regression_adjusted`).
    regression_adjustment: bool = False
    max_evaluations: Annotated[int, Field(ge=1, le=100_000)] = 80
    output: str = "fitted.toml"
    observed_file: str = "observed.toml"
    fit_until_year: int = 2022
    identification_step: Annotated[float, Field(gt=0.0, le=0.5)] = 0.05
    write: Literal["point", "posterior"] = "point"
    parameter: list[FitParameter] = Field(min_length=1)
    target: list[ObservedTarget] = Field(min_length=1)
    #: The observed-file entry of each target (None for a target given inline), set on loading.
    _entries: list = PrivateAttr(default_factory=list)

    def entry_of(self, index: int):
        """The observation behind target `index`, or None when it was given inline."""
        return self._entries[index] if index < len(self._entries) else None


@dataclass(frozen=True)
class CalibrationResult:
    """Fitted values, the loss, the simulated targets at the optimum and what the targets identify.

    Attributes
    ----------
    values : dict of str to float
        Fitted value of each parameter path.
    loss : float
        Weighted sum of squared standardised errors at the optimum.
    evaluations : int
        Ensembles run (the fit and the identification).
    simulated : list of float
        Ensemble mean of each target at the optimum.
    target_sd : list of float
        The sd each target's error is measured in.
    sensitivity : ndarray, shape (n_targets, n_parameters)
        Change of each target, in its sds, over the full range of each parameter.
    posterior_sd : dict of str to float
        Laplace-approximation sd of each fitted value, in the parameter's units (inf when the
        targets do not constrain it at all).
    not_identified : list of str
        Parameters the targets do not pin down.
    """

    values: dict[str, float]
    loss: float
    evaluations: int
    simulated: list[float]
    target_sd: list[float] = field(default_factory=list)
    sensitivity: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    posterior_sd: dict[str, float] = field(default_factory=dict)
    not_identified: list[str] = field(default_factory=list)
    #: ABC-SMC only: the posterior sample, the prior's mean and sd by path, the fit's history and
    #: the last year simulated (the draws of the fitted scenario replay their particles' random
    #: numbers up to it).
    posterior: object | None = None
    replay_until_year: int | None = None
    prior_mean: dict[str, float] = field(default_factory=dict)
    prior_sd: dict[str, float] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)


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
    entries: list = [None] * len(config.target)
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
            targets.append(t.model_copy(update={
                "variable": entry.variable, "year": entry.year, "value": entry.point, "source": entry.source,
                "sd": t.sd if t.sd is not None else _observation_sd(entry)}))
            entries[i] = entry
        config = config.model_copy(update={"target": targets})
    late = [f"{path}: target[{i}].year: {t.year} is after fit_until_year = {config.fit_until_year}; later "
            "observations are held out of the fit" for i, t in enumerate(config.target)
            if t.year is not None and t.year > config.fit_until_year]
    if late:
        raise ScenarioError(late)
    config._entries = entries
    return config, scenario_path


def _observation_sd(entry) -> float:
    """The sd of an observation: a range's width / 3.29, else a share of the value by confidence."""
    if entry.low is not None and entry.high is not None and entry.high > entry.low:
        return (entry.high - entry.low) / _RANGE_WIDTH_IN_SD
    point = cast(float, entry.point)
    return max(abs(point), 1e-12) * RELATIVE_SD_BY_CONFIDENCE[entry.confidence]


def _target_sd(target: ObservedTarget) -> float:
    if target.sd is not None:
        return target.sd
    value = cast(float, target.value)
    return abs(value) * DEFAULT_RELATIVE_SD if value != 0 else 1.0


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


def _simulated_mean(ds, config: CalibrationConfig, index: int, source: str) -> float:
    entry = config.entry_of(index)
    if entry is None:
        return _simulated(ds, config.target[index], source, index)
    from sim.analysis.observations import simulated

    sim_values = simulated(ds, entry)
    if sim_values.values is None:
        raise SimError(f"{source}: target[{index}].observed: '{config.target[index].observed}': {sim_values.reason}")
    return float(np.nanmean(sim_values.values))


def calibrate(config: CalibrationConfig, scenario_path: Path, source: str = "<config>", progress=None) -> CalibrationResult:
    """Fit the parameters jointly to the targets, then measure what the targets identify.

    Parameters
    ----------
    config : CalibrationConfig
        As returned by :func:`load_calibration` (observed targets resolved).
    scenario_path : Path
        The scenario calibrated.
    source : str
        Name of the config, for messages.
    progress : callable, optional
        Called as ``progress(evaluation, loss)`` after every ensemble of the fit.

    Returns
    -------
    CalibrationResult

    Raises
    ------
    SimError
        If a parameter path is not a valid scenario key, or a target names no result.
    """
    if config.method == "abc-smc":
        from sim.analysis.calibration_abc import calibrate_abc

        return calibrate_abc(config, scenario_path, source, progress, result_type=CalibrationResult,
                             target_sd=_target_sd)
    from scipy import optimize

    import sim
    from sim.scenario.loader import load_scenario

    params = config.parameter
    low = np.array([p.low for p in params])
    width = np.array([p.high - p.low for p in params])
    sds = np.array([_target_sd(t) for t in config.target])
    weights = np.sqrt(np.array([t.weight for t in config.target]))
    observed = np.array([cast(float, t.value) for t in config.target])
    evaluations = 0
    cache: dict[tuple, list[float]] = {}

    def to_values(u) -> list[float]:
        x = low + np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0) * width
        return [int(round(v)) if p.integer else float(v) for p, v in zip(params, x, strict=True)]

    def simulate(u) -> list[float]:
        nonlocal evaluations
        values = to_values(u)
        key = tuple(values)
        if key not in cache:
            table: dict = {}
            for p, v in zip(params, values, strict=True):
                table = merge_tables(table, _override_for(p.path, v))
            loaded = load_scenario(scenario_path, table, overrides_source=source)
            ds = sim.run(loaded, draws=config.draws, seed=config.seed)
            cache[key] = [_simulated_mean(ds, config, i, source) for i in range(len(config.target))]
            evaluations += 1
        return cache[key]

    def residuals(u) -> np.ndarray:
        r = weights * (np.array(simulate(u)) - observed) / sds
        if progress is not None:
            progress(evaluations, float(r @ r))
        return r

    def loss(u) -> float:
        r = residuals(u)
        return float(r @ r)

    start = np.array([((p.start if p.start is not None else 0.5 * (p.low + p.high)) - p.low) / (p.high - p.low)
                      for p in params])
    unit_box = [(0.0, 1.0)] * len(params)
    if config.method == "least-squares":
        res = optimize.least_squares(residuals, start, bounds=(0.0, 1.0), method="trf",
                                     diff_step=config.identification_step,
                                     # max_nfev counts residual calls, each Jacobian costs n more.
                                     max_nfev=max(1, config.max_evaluations // (len(params) + 1)),
                                     x_scale=1.0, xtol=1e-3, ftol=1e-3)
        u = res.x
    elif config.method == "nelder-mead":
        res = optimize.minimize(loss, start, method="Nelder-Mead", bounds=unit_box,
                                options={"maxfev": config.max_evaluations, "xatol": 1e-8, "fatol": 1e-12})
        u = res.x
    else:
        popsize = max(5, config.max_evaluations // (10 * len(params)))
        res = optimize.differential_evolution(loss, unit_box,
                                              maxiter=max(1, config.max_evaluations // (popsize * len(params))),
                                              popsize=popsize, seed=0, polish=False, tol=1e-8)
        u = res.x
    u = np.clip(u, 0.0, 1.0)
    best = np.array(simulate(u))
    best_loss = float(np.sum((weights * (best - observed) / sds) ** 2))

    # Identification: central differences of the standardised targets in the unit box.
    h = config.identification_step
    jac = np.zeros((len(config.target), len(params)))
    for j in range(len(params)):
        up, down = u.copy(), u.copy()
        up[j], down[j] = min(1.0, u[j] + h), max(0.0, u[j] - h)
        step = up[j] - down[j]
        if step > 0:
            jac[:, j] = (np.array(simulate(up)) - np.array(simulate(down))) / sds / step
    weighted = jac * weights[:, None]
    # Laplace approximation with the bounds as prior: a uniform over the range has sd 1/sqrt(12)
    # in the unit box. Directions the targets do not constrain keep that sd (instead of the
    # arbitrary zero a pseudo-inverse would give them), so collinear parameters show up.
    prior_precision = 12.0
    cov = np.linalg.inv(weighted.T @ weighted + prior_precision * np.eye(len(params)))
    posterior_unit = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    moved = np.abs(jac).max(axis=0) if len(config.target) else np.zeros(len(params))
    posterior = {}
    not_identified = []
    for j, p in enumerate(params):
        pinned = moved[j] >= 1.0 and posterior_unit[j] <= UNIDENTIFIED_SD_SHARE
        posterior[p.path] = float(posterior_unit[j] * width[j])
        if not pinned:
            not_identified.append(p.path)
    values = dict(zip([p.path for p in params], to_values(u), strict=True))
    return CalibrationResult(values, best_loss, evaluations, best.tolist(), sds.tolist(), jac, posterior,
                             not_identified)


def identification_rows(result: CalibrationResult, config: CalibrationConfig) -> list[dict[str, object]]:
    """The identification report as rows: one per (parameter, target), with the parameter's posterior sd.

    ``sensitivity_sd_per_range`` is the change of the target, in its sds, over the parameter's
    whole range; ``identified`` is False for the parameters the targets do not pin down.
    """
    rows: list[dict[str, object]] = []
    if result.posterior is not None:
        from sim.analysis.calibration_abc import abc_identification_rows

        return abc_identification_rows(result, config)
    for j, p in enumerate(config.parameter):
        for i, t in enumerate(config.target):
            rows.append({
                "parameter": p.path,
                "target": t.observed or f"{t.variable}@{t.year}",
                "sensitivity_sd_per_range": float(result.sensitivity[i, j]) if result.sensitivity.size else math.nan,
                "fitted": result.values[p.path],
                "posterior_sd": result.posterior_sd.get(p.path, math.nan),
                "identified": p.path not in result.not_identified,
            })
    return rows


def _fitted_value_toml(p: FitParameter, value: float, sd: float, write: str) -> str:
    if write == "point" or p.integer or not math.isfinite(sd) or sd <= 0.0:
        return repr(value)
    return f'{{ dist = "normal", mean = {value!r}, sd = {sd!r}, low = {p.low!r}, high = {p.high!r} }}'


def write_fitted_scenario(out: Path, scenario_path: Path, name: str, result: CalibrationResult,
                          config: CalibrationConfig) -> None:
    """Write the fitted values as a scenario that extends the calibrated one (atomically).

    The header records the loss, each target (observed, sd, simulated) and the identification
    report; the values are points, or with ``write = "posterior"`` normal distributions with
    the posterior sd truncated to the bounds (points for integers and unidentified parameters).
    """
    import os

    if result.posterior is not None:
        from sim.analysis.calibration_abc import write_abc_fitted

        write_abc_fitted(out, scenario_path, name, result, config)
        return
    rel = os.path.relpath(scenario_path, out.parent.resolve())
    lines = [
        f"# Fitted by `sim calibrate`: loss {result.loss:.6g} after {result.evaluations} ensembles of",
        f"# {config.draws} draws ({config.method}, common random numbers). Targets (observed +- sd -> simulated):",
    ]
    for i, (t, s) in enumerate(zip(config.target, result.simulated, strict=False)):
        where = ", ".join(f"{k}={v}" for k, v in t.select.items())
        label = t.observed or f"{t.variable}[{where}] {t.year or 'all years'}"
        sd = f" +- {result.target_sd[i]:,.4g}" if i < len(result.target_sd) else ""
        lines.append(f"#   {label}: {t.value:,.6g}{sd} -> {s:,.6g}  ({t.source})")
    if result.sensitivity.size:
        lines.append("# Identification: change of each target, in its sds, over each parameter's range;")
        lines.append("# posterior sd by the Laplace approximation.")
        for j, p in enumerate(config.parameter):
            cells = ", ".join(f"{(t.observed or t.variable)} {result.sensitivity[i, j]:+.3g}"
                              for i, t in enumerate(config.target))
            flag = "NOT IDENTIFIED" if p.path in result.not_identified else "identified"
            lines.append(f"#   {p.path} [{p.low:g}, {p.high:g}]: sd {result.posterior_sd[p.path]:.4g}, {flag}; {cells}")
    lines += [f'extends = "{rel}"', f'name = "{name}"', ""]
    for p in config.parameter:
        value = result.values[p.path]
        if p.path in result.not_identified:
            # The targets say nothing definite about it: its prior stays, not an arbitrary point.
            lines.append(f"# {p.path}: not identified by the targets, kept at its prior (fit gave {value!r})")
            continue
        posterior_sd = result.posterior_sd.get(p.path, math.inf)
        lines.append(f"{p.path} = {_fitted_value_toml(p, value, posterior_sd, p.write or config.write)}")
    lines += _provenance_tables(result, config)
    from sim.runner.staging import write_text_file

    write_text_file(out, "\n".join(lines) + "\n")


def _provenance_tables(result: CalibrationResult, config: CalibrationConfig) -> list[str]:
    """``[parameter_sources]`` notes of the fitted values: the targets that pin each one (>= 1 sd)."""
    out: list[str] = []
    for j, p in enumerate(config.parameter):
        if p.path in result.not_identified:
            continue
        pins = []
        for i, t in enumerate(config.target):
            if result.sensitivity.size and abs(result.sensitivity[i, j]) >= 1.0:
                label = t.observed or f"{t.variable} {t.year}"
                pins.append(f"{label} ({t.value:,.6g} +- {result.target_sd[i]:,.4g}, simulated "
                            f"{result.simulated[i]:,.6g}; {t.source})")
        text = (f"fitted by sim calibrate ({config.method}, {config.draws} draws, common random numbers) to "
                f"observations up to {config.fit_until_year}: {'; '.join(pins)}; posterior sd "
                f"{result.posterior_sd[p.path]:.4g} within [{p.low:g}, {p.high:g}]")
        out += ["", f'[parameter_sources."{p.path}"]', f"source = {_toml_string(text)}"]
    return out


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
