"""Summaries of an ensemble: mean and P5/P50/P95 by year and label, and fiscal totals.

``summary.csv`` is long: one row per variable, label (programme, payer, sector ... or ``all``) and
year (or ``total`` for sums over the horizon), with the columns ``mean, p5, p50, p95, units``.
Fiscal totals are given nominal and in present value (``*_pv``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["QUANTILES", "summary_table", "fiscal_totals", "band"]

QUANTILES = (0.05, 0.5, 0.95)
_FISCAL = ("outlay", "committed", "unpaid")


def band(values: np.ndarray) -> tuple[float, float, float, float]:
    """Mean, P5, P50 and P95 over draws (the first axis); NaNs are ignored."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0 or np.all(np.isnan(values)):
        return (np.nan,) * 4
    q = np.nanquantile(values, QUANTILES, axis=0)
    return float(np.nanmean(values)), float(q[0]), float(q[1]), float(q[2])


def _rows_for(ds: xr.Dataset, name: str) -> list[dict]:
    da = ds[name]
    rows: list[dict] = []
    other = [d for d in da.dims if d not in ("draw", "year")]
    if "draw" not in da.dims or "year" not in da.dims or len(other) > 1 or "station" in other:
        return rows
    label_dim = other[0] if other else None
    labels = list(ds[label_dim].values) if label_dim else ["all"]
    for j, label in enumerate(labels):
        sub = da.isel({label_dim: j}) if label_dim else da
        arr = sub.transpose("draw", "year").values
        for i, year in enumerate(ds["year"].values):
            mean, p5, p50, p95 = band(arr[:, i])
            rows.append({"variable": name, "dim": label_dim or "", "label": str(label), "year": str(int(year)),
                         "mean": mean, "p5": p5, "p50": p50, "p95": p95, "units": da.attrs.get("units", "")})
    return rows


def fiscal_totals(ds: xr.Dataset, by: str = "program", present_value: bool = False) -> pd.DataFrame:
    """Outlays summed over the horizon by programme or payer (and in all), with bands over draws.

    Parameters
    ----------
    ds : xarray.Dataset
        Results of a run.
    by : {"program", "payer"}
        The label to total by.
    present_value : bool
        Discount each year's outlay with ``discount_factor`` first.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, mean, p5, p50, p95`` in CNY; the last row, ``all``, is the grand total.
    """
    name = "outlay" if by == "program" else "outlay_by_payer"
    da = ds[name]
    if present_value:
        da = da * ds["discount_factor"]
    per = da.sum("year").transpose("draw", by).values
    rows = []
    for j, label in enumerate(ds[by].values):
        mean, p5, p50, p95 = band(per[:, j])
        rows.append({"label": str(label), "mean": mean, "p5": p5, "p50": p50, "p95": p95})
    mean, p5, p50, p95 = band(per.sum(axis=1))
    rows.append({"label": "all", "mean": mean, "p5": p5, "p50": p50, "p95": p95})
    return pd.DataFrame(rows)


def summary_table(ds: xr.Dataset) -> pd.DataFrame:
    """The long summary table written as ``summary.csv``."""
    rows: list[dict] = []
    for name in ds.data_vars:
        rows += _rows_for(ds, str(name))
    for by in ("program", "payer"):
        for pv in (False, True):
            tot = fiscal_totals(ds, by, pv)
            for _, r in tot.iterrows():
                rows.append({"variable": "outlay_total" + ("_pv" if pv else ""), "dim": by, "label": r["label"],
                             "year": "total", "mean": r["mean"], "p5": r["p5"], "p50": r["p50"], "p95": r["p95"],
                             "units": "CNY"})
    return pd.DataFrame(rows, columns=["variable", "dim", "label", "year", "mean", "p5", "p50", "p95", "units"])
