"""The scale-up view of a run: firms first counted above size by year and sector, and what the
firm programmes (scale-up rewards, loan-interest subsidies) commit by year, with bands over draws.

``sim run`` prints both tables and ``sim report`` shows them; the numbers are those of
``summary.csv`` (variables ``upscaled`` and ``committed``), arranged for reading.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sim.analysis.summary import QUANTILES

__all__ = ["scaleup_counts", "firm_programme_commitments"]

_MILLION = 1e6


def _quantiles(values: np.ndarray) -> np.ndarray:
    """P5, P50, P95 over draws (axis 0)."""
    return np.nanquantile(np.asarray(values, dtype=np.float64), QUANTILES, axis=0)


def scaleup_counts(ds: xr.Dataset) -> pd.DataFrame:
    """Firms first counted above size, by year (rows) and sector (columns), as ``P50 [P5–P95]``.

    Sectors where no draw has a crossing are left out; an empty frame if the run has no firms.
    """
    if "upscaled" not in ds:
        return pd.DataFrame()
    da = ds["upscaled"].transpose("draw", "year", "sector")
    q = _quantiles(da.values)  # (3, year, sector)
    cols = {}
    for j, sector in enumerate(ds["sector"].values):
        if np.nanmax(q[2, :, j]) <= 0:
            continue
        cols[str(sector)] = [f"{q[1, i, j]:,.0f} [{q[0, i, j]:,.0f}–{q[2, i, j]:,.0f}]" for i in range(q.shape[1])]
    return pd.DataFrame(cols, index=pd.Index([int(y) for y in ds["year"].values], name="year"))


def firm_programme_commitments(ds: xr.Dataset) -> pd.DataFrame:
    """Commitments of the programmes paid to firms, million CNY: the median of each year, then the
    P5 / P50 / P95 of the horizon total.

    A programme is paid to firms when some draw approves a claim of a firm under it
    (``firms_rewarded``); rows are programmes in gazette order.
    """
    if "firms_rewarded" not in ds:
        return pd.DataFrame()
    paid_to_firms = ds["firms_rewarded"].sum(["draw", "year"]).values > 0
    committed = ds["committed"].transpose("draw", "year", "program").values[:, :, paid_to_firms] / _MILLION
    programmes = [str(p) for p in ds["program"].values[paid_to_firms]]
    years = [int(y) for y in ds["year"].values]
    yearly = np.nanmedian(committed, axis=0)  # (year, program)
    total = _quantiles(committed.sum(axis=1))  # (3, program)
    table = pd.DataFrame(yearly.T, index=pd.Index(programmes, name="programme"), columns=[str(y) for y in years])
    for k, name in enumerate(("total P5", "total P50", "total P95")):
        table[name] = total[k]
    return table
