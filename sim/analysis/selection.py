"""Outputs of a sensitivity analysis, chosen by variable, year and coordinate: one number per draw.

An output is written ``NAME[@YEAR][:DIM=VALUE[,DIM=VALUE...]]``:

- ``NAME`` is a variable of ``results.nc`` with a ``draw`` dimension (``stations_operating``,
  ``outlay``, ``firms_above_size`` ...) or a derived quantity of :data:`DERIVED`
  (``total_exposure_cny``: the outlay of every programme; ``total_exposure_pv_cny``: the same in
  present value);
- ``@YEAR`` keeps one year of the horizon;
- ``DIM=VALUE`` keeps the labels of a dimension matching VALUE (a glob: ``program=hydrogen.13.*``);
- what is left besides ``draw`` is summed (amounts and counts) or averaged (units with a ``/``
  and unitless rates, e.g. CNY/kg prices).

``target:ID`` is the attainment of a target of :mod:`sim.analysis.targets` in each draw (1 reached,
0 not), so its Sobol indices apportion the variance of "reached or not". Any other text is taken as
a substring of the headline quantities of :data:`sim.analysis.compare.METRICS`, as before.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import xarray as xr

from sim.errors import SimError

__all__ = ["SelectedOutput", "DERIVED", "select_outputs", "allowed_names"]

#: Derived quantities: name -> (units, long name, the variable as a function of the dataset).
DERIVED: dict[str, tuple[str, str, Callable[[xr.Dataset], xr.DataArray]]] = {
    "total_exposure_cny": ("CNY", "fiscal exposure: outlay of every programme", lambda ds: ds["outlay"]),
    "total_exposure_pv_cny": ("CNY", "fiscal exposure in present value to the base year",
                              lambda ds: ds["outlay"] * ds["discount_factor"]),
}
_TARGET_PREFIX = "target:"
_LISTED_LABELS = 12


@dataclass(frozen=True)
class SelectedOutput:
    """One analysed output: its label as asked, units and value in each draw."""

    label: str
    units: str
    values: np.ndarray


def _variables(ds: xr.Dataset) -> list[str]:
    return [str(v) for v in ds.data_vars if "draw" in ds[v].dims and ds[v].dtype.kind in "fiub"
            and str(v) != "parameter_value"]


def allowed_names(ds: xr.Dataset) -> list[str]:
    """Variable and derived names an output may start with."""
    return _variables(ds) + [k for k in DERIVED if "outlay" in ds]


def _intensive(units: str) -> bool:
    return "/" in units or units == "1"


def _listed(values) -> str:
    shown = [str(v) for v in values]
    more = len(shown) - _LISTED_LABELS
    return ", ".join(shown[:_LISTED_LABELS]) + (f", … ({more} more)" if more > 0 else "")


def _one_variable(ds: xr.Dataset, spec: str) -> SelectedOutput:
    head, _, where = spec.partition(":")
    name, _, year_text = head.partition("@")
    if name in DERIVED:
        units, _, f = DERIVED[name]
        da = f(ds)
    else:
        da, units = ds[name], str(ds[name].attrs.get("units", ""))
    if year_text:
        if "year" not in da.dims:
            raise SimError(f"--output {spec}: {name} has no year dimension; drop @{year_text}")
        years = [int(y) for y in ds["year"].values]
        try:
            year = int(year_text)
        except ValueError:
            year = None
        if year not in years:
            raise SimError(f"--output {spec}: year {year_text!r} is not in the results; allowed: "
                           f"{years[0]}..{years[-1]}")
        da = da.sel(year=year)
    for part in filter(None, where.split(",")):
        dim, eq, pattern = part.partition("=")
        dims = [str(d) for d in da.dims if d not in ("draw", "year")]
        if not eq or dim not in dims:
            raise SimError(f"--output {spec}: {part!r} is not DIM=VALUE with a dimension of {name}; allowed: "
                           f"{', '.join(dims) or 'none (it has only draw and year)'}")
        labels = [str(v) for v in ds[dim].values]
        keep = [i for i, lab in enumerate(labels) if fnmatch.fnmatchcase(lab, pattern)]
        if not keep:
            raise SimError(f"--output {spec}: {dim}={pattern} matches no {dim}; allowed: {_listed(labels)}")
        da = da.isel({dim: keep})
    rest = [d for d in da.dims if d != "draw"]
    if rest:
        da = da.mean(rest, skipna=True) if _intensive(units) else da.sum(rest)
    return SelectedOutput(spec, units, np.asarray(da.transpose("draw").values, dtype=np.float64))


def _target(ds: xr.Dataset, spec: str) -> SelectedOutput:
    from sim.analysis.targets import all_targets, reached_by_draw

    targets = {t.id: t for t in all_targets()}
    years = {int(y) for y in ds["year"].values}
    modelled = [t.id for t in targets.values()
                if t.quantity in ds and "year" in ds[t.quantity].dims and t.year in years]
    target_id = spec[len(_TARGET_PREFIX):]
    if target_id not in modelled:
        why = "is not a target" if target_id not in targets else "is not modelled by these results"
        raise SimError(f"--output {spec}: {target_id!r} {why}; allowed: "
                       f"{', '.join(_TARGET_PREFIX + t for t in modelled) or 'none (no target is modelled)'}")
    return SelectedOutput(spec, "1 if reached", reached_by_draw(ds, targets[target_id]).astype(np.float64))


def select_outputs(ds: xr.Dataset, specs: list[str] | None) -> list[SelectedOutput]:
    """The outputs asked for, one value per draw each; default every headline quantity.

    Parameters
    ----------
    ds : xarray.Dataset
        Results (or a skeleton of them with the same variables and coordinates).
    specs : list of str, optional
        Outputs as described in the module docstring.

    Returns
    -------
    list of SelectedOutput
        In the order asked (a headline substring expands to every headline it matches).

    Raises
    ------
    SimError
        One line naming the output and what is allowed, for an unknown variable, year, dimension
        or label, or an unknown or unmodelled target.
    """
    from sim.analysis.compare import METRICS, metric_table

    units = {label: unit for label, unit, _ in METRICS}
    if not specs:
        return [SelectedOutput(k, units[k], v) for k, v in metric_table(ds).items()]
    names = allowed_names(ds)
    out: list[SelectedOutput] = []
    for spec in specs:
        if spec.startswith(_TARGET_PREFIX):
            out.append(_target(ds, spec))
            continue
        if spec.partition(":")[0].partition("@")[0] in names:
            out.append(_one_variable(ds, spec))
            continue
        headlines = {k: v for k, v in metric_table(ds).items() if spec.lower() in k.lower()}
        if not headlines:
            raise SimError(
                f"--output {spec}: unknown output; allowed: a variable {', '.join(names)} "
                f"(optionally @YEAR and :DIM=VALUE), target:ID, or part of a headline "
                f"({'; '.join(metric_table(ds))})")
        out += [SelectedOutput(k, units[k], v) for k, v in headlines.items()]
    return out
