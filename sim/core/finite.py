"""The last guard against overflow: every number of a run's results is finite, or the run stops.

The scenario's bounds (:mod:`sim.scenario.parameters`, :data:`sim.scenario.base.MAX_MAGNITUDE`)
keep ordinary values far from the float64 limit, but a combination of extreme values can still
overflow (a reward of 1e15 CNY to a firm whose growth responds to support ten times over). Such a
run must not write infinity or NaN into ``results.nc`` and exit 0: :func:`check_finite` finds the
first draw that gave one and names it, its variable and the parameters drawn for it.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import xarray as xr

from sim.errors import NumericalError
from sim.messages import cut_text

__all__ = ["check_finite", "check_results_finite", "RESULTS_NAN_ALLOWED"]

#: Variables of a results file in which NaN means "undefined" (their spec's fill is NaN, or a
#: programme's rate or cap that does not apply): every component's, whatever the scenario. A test
#: checks the baseline's layout against it.
RESULTS_NAN_ALLOWED = frozenset({
    "exit_rate_by_age", "zipf_exponent", "h2_price_mean", "incubated_survival_share", "levelised_cost_cny_per_kg",
    "station_completion_date", "station_marginal_cost_min", "station_price",
    "program_rate_cny_per_kg", "program_price_cap_cny_per_kg",
})

#: Parameters listed in the message, the rest counted.
_MAX_PARAMETERS_SHOWN = 12


def check_finite(ds: xr.Dataset, nan_allowed: Collection[str], source: str) -> None:
    """Raise if any number of `ds` is infinite, or NaN where NaN does not mean "undefined".

    Parameters
    ----------
    ds : xarray.Dataset
        A run's results (as :func:`sim.runner.run.build_dataset` labels them).
    nan_allowed : collection of str
        Variables in which NaN means "undefined" (a price without sales): their spec's fill is NaN.
        ``parameter_value`` is always one (NaN: not drawn in that draw).
    source : str
        The scenario file, named in the message.

    Raises
    ------
    NumericalError
        One line: the draw, the variable and where in it, the value, and the parameters drawn.
    """
    found = _first_not_finite(ds, nan_allowed)
    if found is None:
        return
    name, value, at, draw = found
    raise NumericalError(
        f"{source}: draw {draw} gave {value} in {name}{f' ({at})' if at else ''}; "
        f"{_parameters_drawn(ds, draw)}; no output was written: the scenario's values overflow "
        "together (narrow the distributions or lower the amounts)"
    )


def check_results_finite(ds: xr.Dataset, source: str) -> None:
    """Refuse a results file read back (``sim report``, ``export``, ``compare``, ``sensitivity``)
    that holds infinity, or NaN in a variable where NaN does not mean "undefined".

    ``sim run`` never writes one (:func:`check_finite`); a file that does is damaged or edited.

    Raises
    ------
    NumericalError
        One line naming the file, the variable, where in it and the value.
    """
    found = _first_not_finite(ds, RESULTS_NAN_ALLOWED)
    if found is None:
        return
    name, value, at, draw = found
    where = ", ".join(part for part in (f"draw {draw}" if draw is not None else "", at) if part)
    raise NumericalError(
        f"{source}: variable {name} holds {value}{f' ({where})' if where else ''}, where the results contract "
        "allows only finite numbers; the file is damaged or was edited: run the scenario again with `sim run`"
    )


def _first_not_finite(ds: xr.Dataset, nan_allowed: Collection[str]) -> tuple[str, object, str, object] | None:
    """The first infinite (or forbidden NaN) number of `ds`: variable, value, where, draw; None if all are fine."""
    # Through the dataset's plain variables: `data_vars.items()` builds a labelled DataArray per
    # variable (about 70 us each, 5 ms of a one-draw baseline run).
    variables = ds.variables
    for name in ds.data_vars:
        var = variables[name]
        if var.dtype.kind != "f":
            continue
        values = var.values
        bad = np.isinf(values) if (name in nan_allowed or name == "parameter_value") else ~np.isfinite(values)
        if not bad.any():
            continue
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        where = {dim: ds[dim].values[i] if dim in ds.coords else i for dim, i in zip(var.dims, first, strict=True)}
        draw = where.pop("draw", None)
        if draw is None and "payment_draw" in ds and var.dims == ("payment",):
            draw = ds["payment_draw"].values[first[0]]
        at = ", ".join(f"{dim} {cut_text(str(v), 40)}" for dim, v in where.items())
        return str(name), values[first], at, draw
    return None


def _parameters_drawn(ds: xr.Dataset, draw) -> str:
    if "parameter_value" not in ds or draw is None:
        return "no parameter is drawn (every value is fixed)"
    row = ds["parameter_value"].sel(draw=draw)
    pairs = [(str(p), float(v)) for p, v in zip(ds["parameter"].values, row.values, strict=True) if v == v]
    shown = ", ".join(f"{cut_text(p, 80)} = {v:.6g}" for p, v in pairs[:_MAX_PARAMETERS_SHOWN])
    more = f" … and {len(pairs) - _MAX_PARAMETERS_SHOWN} more" if len(pairs) > _MAX_PARAMETERS_SHOWN else ""
    return f"parameters drawn: {shown}{more}"
