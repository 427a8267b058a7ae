"""An EMA Workbench adapter: `sim` as an EMA ``Model`` for ``perform_experiments`` and PRIM.

The model contract of EMA Workbench is a function of named parameters returning named outcomes.
:func:`sim_model` wraps a scenario so:

- its *uncertainties* are the scenario's uncertain parameters, each with its own distribution
  (``RealParameter.from_dist`` with the matching frozen ``scipy.stats`` distribution, so EMA's
  Latin hypercube samples them through the same quantile functions as the scenario);
- its *levers* are policy knobs, given as scenario key paths with a range, e.g.
  ``{'instruments."hydrogen.13.operating_subsidy".rate_cny_per_kg': (5.0, 15.0)}``; a policy's
  values are written over the scenario as overrides (as an alternative scenario file would);
- its *outcomes* are output selections of :mod:`sim.analysis.selection`
  (``stations_operating@2025``, ``total_exposure_cny``, ``target:ID`` ...), each the mean over
  `replicates` draws of the experiment.

An experiment is one run of :class:`~sim.runner.design.ParameterDesign`: the uncertainties are
set to the experiment's values and the other random numbers come from draws keyed by those
values (not by the levers), so the same experiment always gives the same outcomes and two
policies in the same EMA scenario meet the same random numbers. EMA needs Python identifiers as
names: each path's characters other than letters and digits become ``_``
(:func:`ema_name`). EMA 2.5 draws its Latin hypercube from NumPy's global generator, so
``np.random.seed(...)`` before ``perform_experiments`` fixes the experiments (and with them
the outcomes). PRIM expects an outcome that is mostly a function of the inputs: with few
firms or projects a single draw is noisy, and ``replicates`` of 3 or more average that out.
Needs the ``ema`` extra: ``pip install 'sim[ema]'``.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import SimError

__all__ = ["sim_model", "ema_name", "scipy_distribution", "check_levers"]

#: Draw indices derived from an experiment's values stay below this (any int64 would do; a
#: smaller range keeps them readable in logs).
_DRAW_RANGE = 2**31


def ema_name(path: str) -> str:
    """An EMA-safe name (a Python identifier) for a parameter path or output selection."""
    name = re.sub(r"\W", "_", path)
    return name if name[:1].isalpha() else "p_" + name


def scipy_distribution(distribution) -> Any:
    """The frozen ``scipy.stats`` distribution of a scenario distribution (same quantiles)."""
    from scipy import stats

    from sim.scenario.parameters import LogNormal, Normal, Triangular, Uniform

    d = distribution
    if isinstance(d, Uniform):
        return stats.uniform(loc=d.low, scale=d.high - d.low)
    if isinstance(d, Normal):
        lo, hi = d.bounds()
        return stats.truncnorm((lo - d.mean) / d.sd, (hi - d.mean) / d.sd, loc=d.mean, scale=d.sd)
    if isinstance(d, LogNormal):
        return stats.lognorm(s=d.sigma, scale=d.median)
    if isinstance(d, Triangular):
        return stats.triang((d.mode - d.low) / (d.high - d.low), loc=d.low, scale=d.high - d.low)
    raise SimError(f"ema: no scipy distribution for {d!r}")


def _nested(path: str, value: float) -> dict:
    from sim.scenario.provenance import parse_path

    try:
        keys = parse_path(path)
    except ValueError as exc:
        raise SimError(f"ema: lever {path!r}: {exc}") from None
    table: dict = {keys[-1]: value}
    for key in reversed(keys[:-1]):
        table = {key: table}
    return table


def check_levers(scenario_path: str | Path, base, levers: Any) -> dict[str, str]:
    """Check the levers of :func:`sim_model` as ``sim sweep`` checks its key, before any experiment.

    Each path must name a number or a distribution of the scenario (an unknown key is one line
    with the closest key), its range must be two finite numbers with low < high, and the scenario
    must load with the lever at its low and at its high value (the schema's ranges and the
    scenario's own checks apply, as in an alternative scenario file).

    Parameters
    ----------
    scenario_path : str or Path
    base : LoadedScenario
        The scenario loaded without levers.
    levers : dict
        Key path -> (low, high).

    Returns
    -------
    dict of str to str
        Each lever's path as given -> the path as written in a scenario file (segments with dots
        quoted), which the experiments set.

    Raises
    ------
    SimError
        One line naming the lever and what is allowed.
    """
    from sim.analysis.sweep import resolve_key
    from sim.errors import ScenarioError
    from sim.messages import cut_text, shown_value
    from sim.scenario.loader import load_scenario
    from sim.scenario.merge import merge_tables

    if not isinstance(levers, dict):
        raise SimError(f"ema: levers must be a dict of key path -> (low, high){shown_value(levers)}")
    resolved: dict[str, str] = {}
    for text, bounds in levers.items():
        if not isinstance(text, str):
            raise SimError(f"ema: a lever's key must be a scenario key path (text){shown_value(text)}")
        where = f"ema: lever {cut_text(text)}"
        try:
            key = resolve_key(base, text)
        except SimError as exc:
            rest = str(exc).removeprefix(f"--key {text}: ")
            # "PATH: unknown key ..." names the key itself; other reasons are about the lever as given.
            named = " " not in rest.split(": ", 1)[0] and ": " in rest
            raise SimError(f"ema: lever {rest}" if named else f"{where}: {rest}") from None
        if not (isinstance(bounds, (tuple, list)) and len(bounds) == 2):
            raise SimError(f"{where}: the range must be a pair (low, high){shown_value(bounds)}")
        low, high = bounds
        for name, value in (("low", low), ("high", high)):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not np.isfinite(value):
                raise SimError(f"{where}: {name} must be a finite number{shown_value(value)}")
        if not low < high:
            raise SimError(f"{where}: low must be below high (got ({low!r}, {high!r}))")
        for value in (float(low), float(high)):
            source = f"lever {key.shown} = {value:g}"
            try:
                load_scenario(scenario_path, merge_tables({}, _nested(key.shown, value)), source)
            except ScenarioError as exc:
                # As `sim sweep` words it: "SOURCE: KEY: what is allowed (got VALUE)", the first problem.
                first = exc.problems[0] if exc.problems else str(exc)
                first = first if first.startswith(source) else f"{source}: {first}"
                more = len(exc.problems) - 1 + exc.omitted
                raise SimError(f"ema: {first}" + (f" (and {more} more problems)" if more else "")) from None
        resolved[text] = key.shown
    return resolved


class _Experiment:
    """The model function: one experiment's named values in, its named outcomes out.

    A class rather than a closure so that EMA's ``MultiprocessingEvaluator`` can send it to
    worker processes (pickled), where each loads the scenarios of its policies once.
    """

    def __init__(self, scenario_path: str, base, by_name: dict[str, str], lever_names: dict[str, str],
                 outcomes: list[str], replicates: int):
        self.scenario_path, self.base = scenario_path, base
        self.by_name, self.lever_names = by_name, lever_names
        self.outcomes, self.replicates = outcomes, replicates
        self._loaded: dict[tuple, Any] = {}

    def _loaded_for(self, policy: dict[str, float]):
        from sim.scenario.loader import load_scenario
        from sim.scenario.merge import merge_tables

        key = tuple(sorted(policy.items()))
        if key not in self._loaded:
            overrides: dict = {}
            for path, value in policy.items():
                overrides = merge_tables(overrides, _nested(path, float(value)), "<ema lever>", {})
            self._loaded[key] = load_scenario(self.scenario_path, overrides, "<ema levers>") if policy else self.base
        return self._loaded[key]

    def __call__(self, **kwargs: float) -> dict[str, float]:
        """Run the experiment's draws; the outcomes are their means."""
        from sim.analysis.selection import select_outputs
        from sim.runner.design import ParameterDesign
        from sim.runner.ensemble import layout_of, run_chunk
        from sim.runner.run import build_dataset

        policy = {self.lever_names[k]: v for k, v in kwargs.items() if k in self.lever_names}
        given = {self.by_name[k]: float(v) for k, v in kwargs.items() if k in self.by_name}
        loaded = self._loaded_for(policy)
        # Keyed by the uncertainties only: every policy meets the same random numbers in a
        # scenario (common random numbers), so policies differ by their levers alone.
        first = zlib.crc32(repr(sorted(given.items())).encode("utf-8")) % _DRAW_RANGE
        draws = [first + r for r in range(self.replicates)]
        names = tuple(given)
        values = np.tile([given[n] for n in names], (self.replicates, 1)).reshape(self.replicates, -1)
        arrays, drawn = run_chunk(loaded, draws, ParameterDesign(names, values, np.array(draws, dtype=np.int64)))
        ds = build_dataset(loaded, layout_of(loaded), arrays, drawn)
        return {ema_name(o.label): float(np.mean(o.values)) for o in select_outputs(ds, self.outcomes)}


def sim_model(
    scenario_path: str | Path,
    outcomes: list[str],
    levers: dict[str, tuple[float, float]] | None = None,
    parameters: list[str] | None = None,
    replicates: int = 1,
    name: str = "sim",
):
    """An EMA Workbench ``Model`` running `sim` on a scenario.

    Parameters
    ----------
    scenario_path : str or Path
        The scenario file.
    outcomes : list of str
        Output selections (see :mod:`sim.analysis.selection`); each becomes a ``ScalarOutcome``
        named by :func:`ema_name`.
    levers : dict, optional
        Scenario key path -> (low, high): a ``RealParameter`` lever each, written over the
        scenario as an override. Checked here, before any experiment (see :func:`check_levers`).
    parameters : list of str, optional
        Glob patterns of the uncertain parameters to expose (default all); the others are drawn
        as in an ordinary run.
    replicates : int
        Draws averaged per experiment (>= 1).
    name : str
        The model's name (letters and digits).

    Returns
    -------
    ema_workbench.Model

    Raises
    ------
    SimError
        If EMA Workbench is not installed, the scenario, an outcome or a lever is invalid.
    """
    try:
        from ema_workbench import Model, RealParameter, ScalarOutcome
    except ImportError:
        raise SimError("ema: needs EMA Workbench; install with `pip install 'sim[ema]'`") from None
    from sim.analysis.problem import select_parameters, uncertain_parameters
    from sim.analysis.selection import select_outputs
    from sim.analysis.sensitivity import skeleton_dataset
    from sim.scenario.loader import load_scenario

    if replicates < 1:
        raise SimError(f"ema: replicates must be >= 1 (got {replicates})")
    base = load_scenario(scenario_path)
    select_outputs(skeleton_dataset(base), outcomes)  # a bad outcome fails here, not in an experiment
    params = select_parameters(uncertain_parameters(base.scenario), parameters)
    by_name = {ema_name(p.path): p.path for p in params}
    resolved = check_levers(scenario_path, base, levers or {})
    lever_names = {ema_name(k): path for k, path in resolved.items()}
    outcome_names = {ema_name(o): o for o in outcomes}
    for what, table, given in (("parameter", by_name, params), ("lever", lever_names, levers or {}),
                               ("outcome", outcome_names, set(outcomes))):
        if len(table) != len(given):
            raise SimError(f"ema: two {what}s map to the same EMA name; allowed: names differing in letters or digits")
    run_experiment = _Experiment(str(scenario_path), base, by_name, lever_names, list(outcomes), replicates)
    model = Model(name, function=run_experiment)
    model.uncertainties = [RealParameter.from_dist(n, scipy_distribution(p.distribution))
                           for n, p in zip(by_name, params, strict=True)]
    model.levers = [RealParameter(ema_name(k), float(lo), float(hi)) for k, (lo, hi) in (levers or {}).items()]
    model.outcomes = [ScalarOutcome(n) for n in outcome_names]
    return model
