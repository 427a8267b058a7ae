"""``sim sensitivity``: global sensitivity of chosen outputs to the scenario's uncertain parameters.

Four methods (SALib):

- ``sobol``: a Saltelli design (:mod:`sim.analysis.designs`) run through the ensemble's workers;
  first-order ``S1`` and total-order ``ST`` Sobol indices with 95% bootstrap intervals;
- ``morris``: Morris screening (``mu_star``, ``mu``, ``sigma``), for many parameters at a cost of
  ``trajectories x (parameters + 1)`` runs;
- ``delta`` (Borgonovo 2007, with S1 alongside) and ``pawn`` (Pianosi & Wagener 2015): from a
  given Monte Carlo sample, i.e. the ensemble's own draws, in which every uncertain parameter is
  drawn independently; so they need no special design and can read the drawn values that
  ``results.nc`` keeps (``parameter_value``) from an existing results folder.

Outputs are chosen with :mod:`sim.analysis.selection` (``stations_operating@2025``,
``total_exposure_cny``, ``target:plan.hrs_2025.stations`` ...).

Sobol and Morris take groups of parameters (``--groups section``, a file, or ``--group``; see
:mod:`sim.analysis.problem`); Sobol groups by section unless told otherwise, which is what makes a
design with usable intervals fit in minutes (13 sections of the baseline's 114 parameters: 15 runs
a base sample instead of 116). Every analysis is checked (:mod:`sim.analysis.index_checks`) and
its warnings printed and written (``warnings.csv``); a design also writes its indices at
sub-samples (``convergence.csv``, ``convergence.png``: :mod:`sim.analysis.convergence`). Delta and
PAWN analyse an independent random column (the dummy) beside the parameters, whose index is the
noise floor of the sample.
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from sim.analysis.designs import DESIGN_METHODS, DesignResult, Evaluator, design_size, factor_names, run_design
from sim.analysis.index_checks import (
    DEFAULT_INTERVAL_SHARE,
    DEFAULT_MIN_VARIATION,
    DUMMY,
    MAIN_INDEX,
    WARNING_COLUMNS,
    Thresholds,
    check_given_sample,
    check_indices,
    check_outputs,
    format_warnings,
)
from sim.analysis.problem import (
    UncertainParameter,
    parameter_groups,
    section_of,
    select_parameters,
    uncertain_parameters,
)
from sim.analysis.selection import SelectedOutput, select_outputs
from sim.errors import SimError

__all__ = ["sensitivity_table", "scenario_evaluator", "skeleton_dataset", "format_table", "indices_dataset",
           "sensitivity_command", "METHODS", "GIVEN_SAMPLE_METHODS", "MAIN_INDEX", "DEFAULT_SOBOL_BASE",
           "DEFAULT_MORRIS_TRAJECTORIES", "DEFAULT_GIVEN_DRAWS", "MIN_GIVEN_DRAWS", "sensitivity_warnings"]

GIVEN_SAMPLE_METHODS = ("delta", "pawn")
METHODS = DESIGN_METHODS + GIVEN_SAMPLE_METHODS
#: Default base sample of a Saltelli design (runs = base x (factors + 2)): a power of 2. On the
#: baseline grouped by section (13 groups, 7,680 runs) it gives the three largest drivers of total
#: outlay intervals well inside their indices, in 4 to 5 minutes on a quiet 2-core machine (README
#: gives the measurement; tests/analysis/data keeps the run).
DEFAULT_SOBOL_BASE = 512
#: Default Morris trajectories (runs = trajectories x (parameters + 1)); 10 is Morris's own advice.
DEFAULT_MORRIS_TRAJECTORIES = 10
#: Default draws of the ensemble that delta and PAWN analyse.
DEFAULT_GIVEN_DRAWS = 256
#: Fewest draws delta and PAWN accept (their density estimates and slices need some).
MIN_GIVEN_DRAWS = 20
#: Bootstrap resamples of the delta measure's intervals.
DELTA_RESAMPLES = 50
#: Conditioning slices of PAWN.
PAWN_SLICES = 10
_SHOWN_PARAMETERS = 10
#: Stream of the dummy column's random numbers (apart from the bootstrap's, which uses the seed alone).
_DUMMY_STREAM = 0x5EED_D0


def sensitivity_table(
    ds: xr.Dataset,
    outputs: list[str] | None = None,
    parameters: list[str] | None = None,
    method: str = "delta",
    seed: int = 0,
) -> pd.DataFrame:
    """Delta or PAWN indices of outputs to parameters, from the draws of a run.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``parameter_value`` (draw, parameter): a fresh run or a results folder.
    outputs : list of str, optional
        Outputs as :func:`sim.analysis.selection.select_outputs` reads them; default every
        headline quantity.
    parameters : list of str, optional
        Glob patterns over parameter paths; default every uncertain parameter.
    method : {"delta", "pawn"}
    seed : int
        Seed of the bootstrap (delta) or of the conditioning slices (PAWN).

    Returns
    -------
    pandas.DataFrame
        Columns ``output, parameter, index, value, conf`` (``conf`` is the 95% bootstrap
        half-width for delta and its S1, NaN for PAWN). Outputs constant or undefined in some draw
        are left out. The parameter :data:`~sim.analysis.index_checks.DUMMY`, an independent
        uniform column drawn with `seed`, is analysed with the others: an index no larger than
        the dummy's cannot be told from sampling noise.

    Raises
    ------
    SimError
        If the run has no uncertain parameters, too few draws, or a selection matches nothing.
    """
    from SALib.analyze import delta, pawn

    if method not in GIVEN_SAMPLE_METHODS:
        raise SimError(f"--method: {method!r} cannot analyse a given sample; allowed: {', '.join(GIVEN_SAMPLE_METHODS)}")
    if "parameter_value" not in ds:
        raise SimError("sensitivity: the scenario has no uncertain parameter (give some a distribution)")
    names = [str(p) for p in ds["parameter"].values]
    if parameters:
        chosen = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in parameters)]
        if not chosen:
            raise SimError(f"--parameter: {', '.join(parameters)} matches no uncertain parameter; "
                           f"available: {', '.join(names)}")
    else:
        chosen = names
    X = ds["parameter_value"].sel(parameter=chosen).values.astype(np.float64)
    varying = [j for j in range(X.shape[1]) if np.nanstd(X[:, j]) > 0]
    chosen, X = [chosen[j] for j in varying], X[:, varying]
    n = X.shape[0]
    if n < MIN_GIVEN_DRAWS:
        raise SimError(f"--draws: sensitivity needs at least {MIN_GIVEN_DRAWS} draws (got {n}); "
                       "200 or more are advised")
    selected = select_outputs(ds, outputs)
    # The dummy: a column with no effect on any output, whose index is the sample's noise floor.
    X = np.column_stack([X, np.random.default_rng([seed, _DUMMY_STREAM]).uniform(size=n)])
    chosen = chosen + [DUMMY]
    problem = {"num_vars": len(chosen), "names": chosen, "bounds": [[float(X[:, j].min()), float(X[:, j].max())]
                                                                   for j in range(len(chosen))]}
    rows = []
    for out in selected:
        y = out.values
        if np.nanstd(y) == 0 or np.isnan(y).any():
            continue
        if method == "delta":
            # SALib reports its bin merging by print and warning (resetting the filters itself):
            # notices, not problems, so they are recorded and dropped.
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(record=True):
                res = delta.analyze(problem, X, y, num_resamples=DELTA_RESAMPLES, seed=seed, print_to_console=False)
            key = "delta" if "delta" in res else "delta_raw"  # SALib >= 1.5 names the classic estimator delta_raw
            for j, name in enumerate(chosen):
                rows.append({"output": out.label, "parameter": name, "index": "delta",
                             "value": float(res[key][j]), "conf": float(res[key + "_conf"][j])})
                rows.append({"output": out.label, "parameter": name, "index": "S1",
                             "value": float(res["S1"][j]), "conf": float(res["S1_conf"][j])})
        else:
            res = pawn.analyze(problem, X, y, S=PAWN_SLICES, seed=seed, print_to_console=False)
            for j, name in enumerate(chosen):
                rows.append({"output": out.label, "parameter": name, "index": "pawn_median",
                             "value": float(res["median"][j]), "conf": np.nan})
    return pd.DataFrame(rows, columns=["output", "parameter", "index", "value", "conf"])


def skeleton_dataset(loaded) -> xr.Dataset:
    """A one-draw dataset of zeros with the variables and coordinates a run of `loaded` will have.

    Lets output selections be checked before a long design runs.
    """
    from sim.engine.ensemble import layout_of
    from sim.engine.run import build_dataset

    layout = layout_of(loaded)
    arrays = {s.name: np.zeros((1,) + tuple(layout.sizes[d] for d in s.dims), dtype=s.dtype) for s in layout.specs}
    return build_dataset(loaded, layout, arrays, [])


def scenario_evaluator(loaded, params: list[UncertainParameter], outputs: list[str] | None, workers: int = 1,
                       scheduler: str | None = None, progress=None) -> Evaluator:
    """An evaluator running the scenario's ensemble machinery on the rows of a design.

    Parameters
    ----------
    loaded : LoadedScenario
    params : list of UncertainParameter
        The factors the design sets (the other uncertain parameters are drawn from each run's draw).
    outputs : list of str, optional
        Output selections.
    workers, scheduler, progress
        As :func:`sim.engine.run.run_scenario`.
    """
    from sim.engine.design import ParameterDesign
    from sim.engine.run import run_scenario

    names = tuple(p.path for p in params)

    def evaluate(values: np.ndarray, draws: np.ndarray) -> list[SelectedOutput]:
        design = ParameterDesign(names, values, np.asarray(draws, dtype=np.int64))
        ds = run_scenario(loaded, workers=workers, scheduler=scheduler, progress=progress, design=design)
        return select_outputs(ds, outputs)

    return evaluate


def indices_dataset(table: pd.DataFrame, method: str, attrs: dict) -> xr.Dataset:
    """The indices as ``sensitivity.nc``: ``value`` and ``conf`` over (output, parameter, index)."""
    outputs = list(dict.fromkeys(table["output"]))
    parameters = list(dict.fromkeys(table["parameter"]))
    indices = list(dict.fromkeys(table["index"]))
    shape = (len(outputs), len(parameters), len(indices))
    value, conf = np.full(shape, np.nan), np.full(shape, np.nan)
    where = {k: {v: i for i, v in enumerate(vals)} for k, vals in
             (("output", outputs), ("parameter", parameters), ("index", indices))}
    for r in table.itertuples(index=False):
        at = (where["output"][r.output], where["parameter"][r.parameter], where["index"][r.index])
        value[at], conf[at] = r.value, r.conf
    dims = ("output", "parameter", "index")
    return xr.Dataset(
        {"value": xr.Variable(dims, value, {"units": "1", "long_name": f"{method} sensitivity index"}),
         "conf": xr.Variable(dims, conf, {"units": "1", "long_name": "half-width of the 95% bootstrap interval"})},
        coords={"output": np.array(outputs, dtype=str), "parameter": np.array(parameters, dtype=str),
                "index": np.array(indices, dtype=str)},
        attrs={"method": method} | attrs)


def format_table(table: pd.DataFrame, method: str, top: int = _SHOWN_PARAMETERS, factor: str = "parameter") -> str:
    """The indices as text: per output, the `top` parameters (or groups: `factor`) by the method's main index.

    The dummy of delta and PAWN is shown in its rank, and also after the top when it ranks below.
    """
    if table.empty:
        return "no output varied across the runs; nothing to analyse"
    wide = table.pivot_table(index=["output", "parameter"], columns="index", values=["value", "conf"],
                             sort=False, dropna=False)
    indices = list(dict.fromkeys(table["index"]))
    lines = []
    for output in dict.fromkeys(table["output"]):
        sub = wide.loc[output].sort_values(("value", MAIN_INDEX[method]), ascending=False)
        lines.append(output)
        lines.append("  " + f"{factor:64s}" + "".join(f" {i:>18s}" for i in indices))
        shown = sub.head(top)
        if DUMMY in sub.index and DUMMY not in shown.index:
            shown = pd.concat([shown, sub.loc[[DUMMY]]])
        for parameter, r in shown.iterrows():
            cells = []
            for i in indices:
                v, c = r[("value", i)], r[("conf", i)]
                if method == "morris":  # effects in the output's units: significant digits
                    cells.append(f"{v:10.3g} ± {c:<5.2g}" if c == c else f"{v:18.3g}")
                else:  # indices are shares of variance or distances in [0, 1]
                    cells.append(f"{v:8.3f} ± {c:<5.3f}" if c == c else f"{v:16.3f}")
            name = str(parameter) if len(str(parameter)) <= 64 else "…" + str(parameter)[-63:]
            lines.append(f"  {name:64s}" + "".join(f" {c:>18s}" for c in cells))
        if len(sub) > len(shown):
            lines.append(f"  … {len(sub) - len(shown)} more {factor}s in the CSV")
    return "\n".join(lines)


def _parameters_table(params: list[UncertainParameter], groups: list[str] | None) -> pd.DataFrame:
    return pd.DataFrame({"parameter": [p.path for p in params], "distribution": [p.described for p in params],
                         "group": groups if groups is not None else [p.path for p in params]})


def _samples_dataset(result: DesignResult, params: list[UncertainParameter], attrs: dict) -> xr.Dataset:
    names = np.array([p.path for p in params], dtype=str)
    labels = np.array([o.label for o in result.outputs], dtype=str)
    return xr.Dataset(
        {"probability": xr.Variable(("run", "parameter"), result.unit,
                                    {"units": "1", "long_name": "design point in probability space"}),
         "parameter_value": xr.Variable(("run", "parameter"), result.values,
                                        {"units": "as in the scenario", "long_name": "value set for the run"}),
         "noise_draw": xr.Variable(("run",), result.draws,
                                   {"units": "1", "long_name": "draw whose random numbers the run used otherwise"}),
         "output_value": xr.Variable(("run", "output"),
                                     np.column_stack([o.values for o in result.outputs]) if result.outputs
                                     else np.zeros((result.draws.size, 0)),
                                     {"units": "as the output", "long_name": "output of the run"})},
        coords={"run": np.arange(result.draws.size), "parameter": names, "output": labels}, attrs=attrs)


def _runs_for(method: str, budget: int | None, n_factors: int) -> int:
    if budget is not None:
        return budget
    if method == "sobol":
        return DEFAULT_SOBOL_BASE * (n_factors + 2)
    if method == "morris":
        return DEFAULT_MORRIS_TRAJECTORIES * (n_factors + 1)
    return DEFAULT_GIVEN_DRAWS


def sensitivity_warnings(table: pd.DataFrame, outputs: list[SelectedOutput], method: str, thresholds: Thresholds,
                         draws: int | None = None) -> pd.DataFrame:
    """Every warning of an analysis: small sample (delta, PAWN), outputs that barely vary, then the indices'.

    Parameters
    ----------
    table : pandas.DataFrame
        The indices.
    outputs : list of SelectedOutput
        The analysed outputs (their values across the runs).
    method : str
    thresholds : Thresholds
    draws : int, optional
        Draws of a given sample (delta, PAWN).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`~sim.analysis.index_checks.WARNING_COLUMNS`.
    """
    parts = [check_given_sample(method, draws) if draws is not None else None, check_outputs(outputs, thresholds),
             check_indices(table, method, thresholds)]
    parts = [p for p in parts if p is not None and not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=WARNING_COLUMNS)


def sensitivity_command(args) -> int:
    """``sim sensitivity``: run or read, analyse, check, print the table and warnings, write the folder atomically.

    Writes ``sensitivity.csv`` (long: output, parameter, index, value, conf), ``sensitivity.nc``
    and ``warnings.csv`` (:mod:`sim.analysis.index_checks`); a design method also writes
    ``parameters.csv`` (the parameters, their distributions and groups), ``samples.nc`` (the
    design, noise draws and outputs of every run), ``convergence.csv`` (the indices of the
    design's first N/8, N/4, N/2 and N blocks) and ``convergence.png``.
    """
    from sim.engine.progress import Progress, format_duration
    from sim.engine.staging import staged_folder

    method = args.method
    if method not in METHODS:
        raise SimError(f"--method: unknown method '{method}'; allowed: {', '.join(METHODS)}")
    if (args.scenario is None) == (args.results is None):
        raise SimError("sim sensitivity: give a scenario file or --results DIR (one of them)")
    if args.results is not None and method not in GIVEN_SAMPLE_METHODS:
        raise SimError(f"--results: {method} needs its own design of runs and cannot read a results folder; "
                       f"allowed with --results: {', '.join(GIVEN_SAMPLE_METHODS)} (or run {method} on the scenario)")
    grouping, group_flags = getattr(args, "groups", None), getattr(args, "group", None)
    if method in GIVEN_SAMPLE_METHODS and (grouping is not None or group_flags):
        raise SimError(f"--group{'s' if grouping is not None else ''}: {method} gives one index per parameter; "
                       f"groups are for {' and '.join(DESIGN_METHODS)}")
    thresholds = Thresholds(
        DEFAULT_INTERVAL_SHARE if getattr(args, "interval_share", None) is None else args.interval_share,
        DEFAULT_MIN_VARIATION if getattr(args, "min_variation", None) is None else args.min_variation)
    checked = {"interval_share": thresholds.interval_share, "min_variation": thresholds.min_variation}
    say = (lambda text: None) if args.quiet else (lambda text: print(text, file=sys.stderr))
    progress = Progress("runs", quiet=args.quiet)
    started = time.monotonic()
    if args.results is not None:
        from sim.analysis.results import open_results

        if not args.results.is_dir():
            raise SimError(f"--results {args.results}: no such results folder")
        ds = open_results(args.results)
        name = str(ds.attrs.get("scenario", args.results.name))
        out = args.out or Path("results") / f"{name}-sensitivity"
        with staged_folder(out, args.force, protect=[args.results]) as staging:
            table = sensitivity_table(ds, args.output, args.parameter, method, seed=int(ds.attrs.get("seed", 0)) % 2**32)
            found = sensitivity_warnings(table, select_outputs(ds, args.output), method, thresholds, ds.sizes["draw"])
            _write(staging, table, found, method, {"scenario": name, "results": str(args.results)} | checked)
        _print(table, found, method, args.top, "parameter")
        print(f"sensitivity indices ({method}, {ds.sizes['draw']:,} draws of {args.results}) written to "
              f"{out}/sensitivity.csv")
        return 0

    from sim.scenario.loader import input_files, load_scenario

    loaded = load_scenario(args.scenario)
    if args.seed is not None:
        ens = loaded.scenario.ensemble.model_copy(update={"seed": args.seed})
        from dataclasses import replace

        loaded = replace(loaded, scenario=loaded.scenario.model_copy(update={"ensemble": ens}))
    seed = int(loaded.scenario.ensemble.seed)
    out = args.out or Path("results") / f"{loaded.scenario.name}-sensitivity"
    select_outputs(skeleton_dataset(loaded), args.output)  # a bad --output fails now, not after the runs
    attrs = {"scenario": loaded.scenario.name, "scenario_sha256": loaded.sha256, "seed": seed} | checked
    if method in GIVEN_SAMPLE_METHODS:
        from sim.engine.run import run_scenario

        with staged_folder(out, args.force, protect=input_files(loaded)) as staging:
            draws = _runs_for(method, args.draws, 0)
            say(f"{method}: {draws:,} draws of {loaded.scenario.name} on {args.workers} worker(s)")
            ds = run_scenario(loaded, draws, None, args.workers, progress=progress)
            table = sensitivity_table(ds, args.output, args.parameter, method, seed=seed % 2**32)
            found = sensitivity_warnings(table, select_outputs(ds, args.output), method, thresholds, draws)
            _write(staging, table, found, method, attrs)
        _print(table, found, method, args.top, "parameter")
        print(f"sensitivity indices ({method}, {draws:,} runs in {format_duration(time.monotonic() - started)}) "
              f"written to {out}/sensitivity.csv")
        return 0
    # Factors and groups are checked before any folder is touched or any model runs.
    params = select_parameters(uncertain_parameters(loaded.scenario), args.parameter)
    if grouping is None and not group_flags:
        # Sobol groups by section by default, unless the factors all sit in one section.
        sections = {section_of(p.path) for p in params}
        grouping = "section" if method == "sobol" and len(sections) > 1 else "parameter"
    groups, described = parameter_groups(params, grouping, group_flags)
    n_factors = len(factor_names(params, groups))
    factor = "group" if groups is not None else "parameter"
    runs = _runs_for(method, args.draws, n_factors)
    base = design_size(method, n_factors, runs, args.levels, factor)
    per_block = n_factors + (2 if method == "sobol" else 1)
    attrs |= {"groups": described}
    with staged_folder(out, args.force, protect=input_files(loaded)) as staging:
        evaluate = scenario_evaluator(loaded, params, args.output, args.workers, progress=progress)
        grouped = f" in {n_factors} groups ({described})" if groups is not None else ""
        say(f"{method}: {len(params)} parameter(s){grouped}, {base:,} "
            f"{'base samples' if method == 'sobol' else 'trajectories'} x {per_block} = "
            f"{base * per_block:,} runs of {loaded.scenario.name} on {args.workers} worker(s)")
        result = run_design(method, params, evaluate, runs, seed % 2**32, args.levels, groups)
        for note in result.notes:
            say(f"note: {note}")
        analysed = {o.label for o in result.outputs} & set(result.table["output"])
        found = sensitivity_warnings(result.table, [o for o in result.outputs if o.label in analysed], method,
                                     thresholds)
        _write(staging, result.table, found, method, attrs | {"base": result.base}, result, params)
    _print(result.table, found, method, args.top, factor)
    print(f"sensitivity indices ({method}, {result.draws.size:,} runs in "
          f"{format_duration(time.monotonic() - started)}) written to {out}/sensitivity.csv"
          + (f"; convergence in {out}/convergence.png" if (out / "convergence.png").exists() else ""))
    return 0


def _print(table: pd.DataFrame, found: pd.DataFrame, method: str, top: int, factor: str) -> None:
    print(format_table(table, method, top, factor))
    print(format_warnings(found) if not found.empty else
          "warnings: none (no index negative or S1 above ST beyond its interval, no driver's interval wider than "
          "the stated share, no output barely varying)")


def _write(staging: Path, table: pd.DataFrame, found: pd.DataFrame, method: str, attrs: dict,
           result: DesignResult | None = None, params: list[UncertainParameter] | None = None) -> None:
    from sim.analysis.convergence import write_convergence_chart

    table.to_csv(staging / "sensitivity.csv", index=False)
    found.to_csv(staging / "warnings.csv", index=False)
    indices_dataset(table, method, attrs | {"warnings": len(found)}).to_netcdf(staging / "sensitivity.nc",
                                                                             engine="h5netcdf")
    if result is not None and params is not None:
        _parameters_table(params, result.groups).to_csv(staging / "parameters.csv", index=False)
        _samples_dataset(result, params, attrs | {"method": method}).to_netcdf(staging / "samples.nc",
                                                                             engine="h5netcdf")
        result.convergence.to_csv(staging / "convergence.csv", index=False)
        write_convergence_chart(result.convergence, table, method, staging / "convergence.png")
