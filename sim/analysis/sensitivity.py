"""``sim sensitivity``: global sensitivity of headline outputs to the uncertain parameters.

The ensemble already draws every uncertain parameter independently per draw, so the draws are a
Monte Carlo sample of the parameter space. Sensitivity is estimated from that given sample with
SALib's moment-independent delta measure (Borgonovo 2007; first-order Sobol index S1 alongside)
or PAWN (Pianosi & Wagener 2015): no special sampling design, no extra model runs.
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import warnings

import numpy as np
import pandas as pd
import xarray as xr

from sim.analysis.compare import metric_table
from sim.errors import SimError

__all__ = ["sensitivity_table", "METHODS"]

METHODS = ("delta", "pawn")


def sensitivity_table(
    ds: xr.Dataset,
    outputs: list[str] | None = None,
    parameters: list[str] | None = None,
    method: str = "delta",
    seed: int = 0,
) -> pd.DataFrame:
    """Sensitivity indices of outputs to parameters, from the draws of a run.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``parameter_value`` (draw, parameter).
    outputs : list of str, optional
        Substrings of headline quantities (see :data:`sim.analysis.compare.METRICS`); default all
        that vary across draws.
    parameters : list of str, optional
        Glob patterns over parameter paths; default every uncertain parameter.
    method : {"delta", "pawn"}
    seed : int
        Seed of the bootstrap (delta) or of the conditioning slices (PAWN).

    Returns
    -------
    pandas.DataFrame
        Columns ``output, parameter, index, value, conf`` (``conf`` is the 95% bootstrap
        half-width for delta, NaN for PAWN).

    Raises
    ------
    SimError
        If the run has no uncertain parameters, too few draws, or a selection matches nothing.
    """
    from SALib.analyze import delta, pawn

    if method not in METHODS:
        raise SimError(f"--method: unknown method '{method}'; allowed: {', '.join(METHODS)}")
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
    if n < 20:
        raise SimError(f"--draws: sensitivity needs at least 20 draws (got {n}); 200 or more are advised")
    metrics = metric_table(ds)
    if outputs:
        metrics = {k: v for k, v in metrics.items() if any(o.lower() in k.lower() for o in outputs)}
        if not metrics:
            raise SimError(f"--output: {', '.join(outputs)} matches no output; available: "
                           f"{', '.join(metric_table(ds))}")
    problem = {"num_vars": len(chosen), "names": chosen, "bounds": [[float(X[:, j].min()), float(X[:, j].max())]
                                                                   for j in range(len(chosen))]}
    rows = []
    for label, y in metrics.items():
        y = np.asarray(y, dtype=np.float64)
        if np.nanstd(y) == 0 or np.isnan(y).any():
            continue
        if method == "delta":
            # SALib reports its bin merging by print and warning (resetting the filters itself):
            # notices, not problems, so they are recorded and dropped.
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(record=True):
                res = delta.analyze(problem, X, y, num_resamples=50, seed=seed, print_to_console=False)
            key = "delta" if "delta" in res else "delta_raw"  # SALib >= 1.5 names the classic estimator delta_raw
            for j, name in enumerate(chosen):
                rows.append({"output": label, "parameter": name, "index": "delta",
                             "value": float(res[key][j]), "conf": float(res[key + "_conf"][j])})
                rows.append({"output": label, "parameter": name, "index": "S1",
                             "value": float(res["S1"][j]), "conf": float(res["S1_conf"][j])})
        else:
            res = pawn.analyze(problem, X, y, S=10, seed=seed, print_to_console=False)
            for j, name in enumerate(chosen):
                rows.append({"output": label, "parameter": name, "index": "pawn_median",
                             "value": float(res["median"][j]), "conf": np.nan})
    return pd.DataFrame(rows, columns=["output", "parameter", "index", "value", "conf"])
