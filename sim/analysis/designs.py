"""Sensitivity designs that choose where the model runs: Saltelli (Sobol indices) and Morris.

Both sample in probability space (see :mod:`sim.analysis.problem`) and call an *evaluator*, a
function of (parameter values, noise draws) returning one value per run for each output, so the
same code analyses `sim` (:func:`sim.analysis.sensitivity.scenario_evaluator`) and an analytic
test function (the Ishigami function in the tests).

Noise. `sim` is stochastic: besides its parameters, each run takes random numbers from a draw.
The draw is treated as one more factor that the design never swaps: in Saltelli's scheme the
rows A_j and AB_j^(i) (A with column i from B) share draw 2j and row B_j uses draw 2j + 1, so the
first-order estimator (B (AB^(i) - A)) sees independent noise in B and AB^(i), and the total-order
estimator (A - AB^(i)) compares runs that differ in parameter i alone. The indices are then those
of the stochastic output itself: the variance left after summing S1 is the interactions' and the
noise's. A Morris trajectory keeps one draw, so each elementary effect is a difference at common
random numbers.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.analysis.problem import UncertainParameter, problem_spec, to_values
from sim.analysis.selection import SelectedOutput
from sim.errors import SimError

__all__ = ["Evaluator", "DesignResult", "design_size", "sobol_design", "morris_design", "run_design", "DESIGN_METHODS",
           "MIN_SOBOL_BASE", "MIN_MORRIS_TRAJECTORIES", "CONF_LEVEL", "BOOTSTRAP_RESAMPLES", "factor_names",
           "analyse_design", "convergence_table", "CONVERGENCE_FRACTIONS", "TABLE_COLUMNS"]

#: An evaluator: (values (runs, parameters) in the parameters' units, noise draw of each run) ->
#: the outputs, one value per run each.
Evaluator = Callable[[np.ndarray, np.ndarray], list[SelectedOutput]]

DESIGN_METHODS = ("sobol", "morris")
#: Fewest base samples of a Saltelli design: below this the bootstrap intervals are meaningless.
MIN_SOBOL_BASE = 8
#: Fewest Morris trajectories: the spread of elementary effects needs at least two.
MIN_MORRIS_TRAJECTORIES = 2
#: Level of the bootstrap confidence intervals reported as ``conf`` (half-widths).
CONF_LEVEL = 0.95
#: Bootstrap resamples of the intervals (SALib's default).
BOOTSTRAP_RESAMPLES = 100


#: Columns of an index table.
TABLE_COLUMNS = ["output", "parameter", "index", "value", "conf"]
#: Columns of a convergence table: an index table per sub-sample.
CONVERGENCE_COLUMNS = ["output", "parameter", "index", "base", "runs", "value", "conf"]
#: Sub-samples re-analysed for the convergence table, as shares of the base sample or trajectories.
CONVERGENCE_FRACTIONS = (1 / 8, 1 / 4, 1 / 2, 1.0)


@dataclass(frozen=True)
class DesignResult:
    """What a design ran and found.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``output, parameter, index, value, conf`` (conf: half-width of the 95% interval;
        ``parameter`` is the group's name when the design has groups).
    unit : numpy.ndarray
        (runs, parameters) design in probability space.
    values : numpy.ndarray
        The same in the parameters' units.
    draws : numpy.ndarray
        Noise draw of each run.
    outputs : list of SelectedOutput
        The evaluated outputs, one value per run.
    notes : list of str
        Outputs left out, and why (undefined in some run, or constant).
    base : int
        Base sample size (Sobol) or number of trajectories (Morris).
    groups : list of str or None
        The group of each parameter, or None (one factor per parameter).
    convergence : pandas.DataFrame
        The indices of sub-samples of the design (:func:`convergence_table`).
    """

    table: pd.DataFrame
    unit: np.ndarray
    values: np.ndarray
    draws: np.ndarray
    outputs: list[SelectedOutput]
    notes: list[str]
    base: int
    groups: list[str] | None = None
    convergence: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CONVERGENCE_COLUMNS))


def factor_names(params: Sequence[UncertainParameter], groups: Sequence[str] | None) -> list[str]:
    """The factors a design gives indices to: the groups in order of first appearance, or the parameters."""
    return list(dict.fromkeys(groups)) if groups is not None else [p.path for p in params]


def design_size(method: str, n_factors: int, runs: int, levels: int = 4, factors: str = "parameter") -> int:
    """Base samples (Sobol) or trajectories (Morris) that `runs` allow for `n_factors` factors.

    Parameters
    ----------
    method : {"sobol", "morris"}
    n_factors : int
        Parameters, or groups of a grouped design.
    runs : int
        Budget of model runs.
    levels : int
        Levels of the Morris grid.
    factors : str
        What the factors are, for messages (``parameter`` or ``group``).

    Raises
    ------
    SimError
        If the budget is too small for the design, or the Morris grid has fewer than 2 levels.
    """
    if method == "sobol":
        base = runs // (n_factors + 2)
        if base < MIN_SOBOL_BASE:
            fewer = "fewer parameters (--parameter) or groups (--groups section)"
            raise SimError(f"--draws: a Sobol analysis of {n_factors} {factors}(s) needs at least {MIN_SOBOL_BASE} x "
                           f"({n_factors} + 2) = {MIN_SOBOL_BASE * (n_factors + 2)} runs (got {runs}); "
                           f"{fewer} need fewer")
        return base
    if levels < 2:
        raise SimError(f"--levels: a Morris grid needs at least 2 levels (got {levels})")
    trajectories = runs // (n_factors + 1)
    if trajectories < MIN_MORRIS_TRAJECTORIES:
        raise SimError(f"--draws: a Morris screening of {n_factors} {factors}(s) needs at least "
                       f"{MIN_MORRIS_TRAJECTORIES} x ({n_factors} + 1) = {MIN_MORRIS_TRAJECTORIES * (n_factors + 1)} "
                       f"runs (got {runs})")
    return trajectories


def _n_factors(params: Sequence[UncertainParameter], groups: Sequence[str] | None) -> tuple[int, str]:
    return len(factor_names(params, groups)), ("group" if groups is not None else "parameter")


def sobol_design(params: Sequence[UncertainParameter], runs: int, seed: int, groups: Sequence[str] | None = None
                 ) -> tuple[np.ndarray, np.ndarray, int]:
    """A Saltelli design of at most `runs` runs (first and total order, no second order).

    Parameters
    ----------
    params : sequence of UncertainParameter
    runs : int
        Budget of model runs.
    seed : int
        Seed of the scrambled Sobol' sequence.
    groups : sequence of str, optional
        The group of each parameter; a block then has one AB row per group.

    Returns
    -------
    unit, draws, base
        (base * (F + 2), D) points in probability space in SALib's order (A_j, AB_j^(1..F), B_j
        for each j; F factors: parameters or groups), the noise draw of each row, and the base
        sample size ``runs // (F + 2)``.

    Raises
    ------
    SimError
        If `runs` gives fewer than :data:`MIN_SOBOL_BASE` base samples.
    """
    from SALib.sample import sobol as sobol_sample

    n_factors, what = _n_factors(params, groups)
    base = design_size("sobol", n_factors, runs, factors=what)
    with warnings.catch_warnings():
        # scipy's note that a base size other than a power of 2 loses the sequence's balance: the
        # README advises powers of 2; any size still gives consistent estimates.
        warnings.simplefilter("ignore", UserWarning)
        unit = sobol_sample.sample(problem_spec(list(params), _listed(groups)), base, calc_second_order=False,
                                   scramble=True, seed=seed)
    block = np.zeros(n_factors + 2, dtype=np.int64)
    block[-1] = 1  # B_j: the second noise draw of block j
    draws = (2 * np.arange(base, dtype=np.int64))[:, None] + block[None, :]
    return unit, draws.ravel(), base


def morris_design(params: Sequence[UncertainParameter], runs: int, levels: int, seed: int,
                  groups: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """A Morris design of ``runs // (F + 1)`` trajectories on a grid of `levels` levels.

    The grid's levels 0, 1/(p-1), ..., 1 are placed at the centres of `levels` bins of equal
    probability, (k + 1/2) / p, so that unbounded distributions stay finite and every level is
    equally likely. With `groups`, each step of a trajectory moves one group's parameters (F:
    the number of groups, else of parameters).

    Returns
    -------
    unit, draws, trajectories
        Points in probability space (SALib's grid, before the bin-centre mapping), the noise draw
        of each row (the trajectory's index) and the number of trajectories.

    Raises
    ------
    SimError
        If `runs` gives fewer than :data:`MIN_MORRIS_TRAJECTORIES` trajectories, or `levels` < 2.
    """
    from SALib.sample import morris as morris_sample

    n_factors, what = _n_factors(params, groups)
    trajectories = design_size("morris", n_factors, runs, levels, factors=what)
    unit = morris_sample.sample(problem_spec(list(params), _listed(groups)), trajectories, num_levels=levels,
                                seed=seed)
    draws = np.repeat(np.arange(trajectories, dtype=np.int64), n_factors + 1)
    return unit, draws, trajectories


def _listed(groups: Sequence[str] | None) -> list[str] | None:
    return list(groups) if groups is not None else None


def _usable(outputs: list[SelectedOutput]) -> tuple[list[SelectedOutput], list[str]]:
    keep, notes = [], []
    for out in outputs:
        bad = int(np.sum(~np.isfinite(out.values)))
        if bad:
            notes.append(f"{out.label}: undefined (NaN) in {bad} of {out.values.size} runs; not analysed")
        elif np.ptp(out.values) == 0:
            notes.append(f"{out.label}: the same in every run ({out.values[0]:g}); no sensitivity to analyse")
        else:
            keep.append(out)
    return keep, notes


def _sobol_indices(problem, y: np.ndarray, names: list[str], seed: int) -> list[dict]:
    from SALib.analyze import sobol as sobol_analyze

    with contextlib.redirect_stdout(io.StringIO()):
        res = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=BOOTSTRAP_RESAMPLES,
                                    conf_level=CONF_LEVEL, print_to_console=False, seed=seed)
    return [{"parameter": name, "index": index, "value": float(res[index][j]), "conf": float(res[index + "_conf"][j])}
            for j, name in enumerate(names) for index in ("S1", "ST")]


def _morris_indices(problem, unit: np.ndarray, y: np.ndarray, names: list[str], levels: int, seed: int) -> list[dict]:
    from SALib.analyze import morris as morris_analyze

    # SALib divides by its grid step; the levels sit at bin centres, a step (p - 1) / p as long in
    # probability, so effects per unit of probability are SALib's times p / (p - 1).
    per_probability = levels / (levels - 1)
    res = morris_analyze.analyze(problem, unit, y, num_resamples=BOOTSTRAP_RESAMPLES, conf_level=CONF_LEVEL,
                                 num_levels=levels, print_to_console=False, seed=seed)
    # SALib leaves sigma undefined (NaN) for a group of several parameters.
    return [{"parameter": name, "index": index, "value": float(res[index][j]) * per_probability,
             "conf": float(res[conf][j]) * per_probability if conf else np.nan}
            for j, name in enumerate(names)
            for index, conf in (("mu_star", "mu_star_conf"), ("mu", None), ("sigma", None))]


def analyse_design(method: str, params: Sequence[UncertainParameter], groups: Sequence[str] | None,
                   unit: np.ndarray, outputs: list[SelectedOutput], levels: int, seed: int) -> pd.DataFrame:
    """The indices of every output of a design that ran (or of its first blocks).

    Parameters
    ----------
    method : {"sobol", "morris"}
    params : sequence of UncertainParameter
    groups : sequence of str, optional
        The group of each parameter, as the design was sampled.
    unit : numpy.ndarray
        The design's rows in probability space (SALib's grid for Morris).
    outputs : list of SelectedOutput
        Values at those rows, none constant or undefined.
    levels : int
        Levels of the Morris grid.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TABLE_COLUMNS`.
    """
    problem = problem_spec(list(params), _listed(groups))
    names = factor_names(params, groups)
    rows = []
    for out in outputs:
        found = (_sobol_indices(problem, out.values, names, seed) if method == "sobol"
                 else _morris_indices(problem, unit, out.values, names, levels, seed))
        rows += [{"output": out.label} | r for r in found]
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def convergence_table(method: str, params: Sequence[UncertainParameter], groups: Sequence[str] | None,
                      unit: np.ndarray, outputs: list[SelectedOutput], base: int, levels: int, seed: int,
                      fractions: Sequence[float] = CONVERGENCE_FRACTIONS) -> pd.DataFrame:
    """The indices of the design's first blocks (Sobol) or trajectories (Morris), for each share in `fractions`.

    Sub-samples below the design's minimum (:data:`MIN_SOBOL_BASE` base samples,
    :data:`MIN_MORRIS_TRAJECTORIES` trajectories) are left out; the whole design is always in.

    Returns
    -------
    pandas.DataFrame
        Columns ``output, parameter, index, base, runs, value, conf`` (``base``: base samples or
        trajectories of the sub-sample; ``runs``: its model runs).
    """
    n_factors = len(factor_names(params, groups))
    per_block = n_factors + (2 if method == "sobol" else 1)
    least = MIN_SOBOL_BASE if method == "sobol" else MIN_MORRIS_TRAJECTORIES
    sizes = sorted({base} | {int(base * f) for f in fractions if int(base * f) >= least and f < 1})
    tables = []
    for size in sizes:
        rows = size * per_block
        cut = [SelectedOutput(o.label, o.units, o.values[:rows]) for o in outputs]
        # A sub-sample can be constant where the whole varies: nothing to estimate there.
        cut = [o for o in cut if np.ptp(o.values) > 0]
        sub = analyse_design(method, params, groups, unit[:rows], cut, levels, seed)
        tables.append(sub.assign(base=size, runs=rows))
    return pd.concat(tables, ignore_index=True)[CONVERGENCE_COLUMNS] if tables else \
        pd.DataFrame(columns=CONVERGENCE_COLUMNS)


def run_design(
    method: str,
    params: Sequence[UncertainParameter],
    evaluate: Evaluator,
    runs: int,
    seed: int,
    levels: int = 4,
    groups: Sequence[str] | None = None,
) -> DesignResult:
    """Sample a design, evaluate it, and estimate the indices of every output.

    Parameters
    ----------
    method : {"sobol", "morris"}
        ``sobol``: first-order ``S1`` and total-order ``ST`` Sobol indices (Saltelli 2010 and
        Jansen estimators, as SALib computes them). ``morris``: ``mu_star`` (mean absolute
        elementary effect, Campolongo et al. 2007), ``mu`` and ``sigma``, in output units per
        unit of probability.
    params : sequence of UncertainParameter
    evaluate : Evaluator
    runs : int
        Budget of model runs; the design uses the largest whole number of blocks within it.
    seed : int
        Seed of the design's scrambling and of the bootstrap.
    levels : int
        Levels of the Morris grid.
    groups : sequence of str, optional
        The group of each parameter: one index per group (SALib ``groups``).

    Returns
    -------
    DesignResult
        With the convergence table of the design's sub-samples.

    Raises
    ------
    SimError
        For an unknown method or a budget too small for the design.
    """
    if method not in DESIGN_METHODS:
        raise SimError(f"--method: {method!r} does not choose its runs; allowed: {', '.join(DESIGN_METHODS)}")
    if method == "sobol":
        unit, draws, base = sobol_design(params, runs, seed, groups)
    else:
        unit, draws, base = morris_design(params, runs, levels, seed, groups)
    # The Morris grid is mapped to bin centres; Saltelli points are already inside (0, 1).
    shown = (unit * (levels - 1) + 0.5) / levels if method == "morris" else unit
    values = to_values(list(params), shown)
    outputs = evaluate(values, draws)
    for out in outputs:
        if out.values.shape != (len(draws),):
            raise SimError(f"design: output {out.label} has {out.values.shape} values for {len(draws)} runs")
    usable, notes = _usable(outputs)
    table = analyse_design(method, params, groups, unit, usable, levels, seed)
    convergence = convergence_table(method, params, groups, unit, usable, base, levels, seed)
    return DesignResult(table, unit, values, draws, outputs, notes, base, _listed(groups), convergence)
