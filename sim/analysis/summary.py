"""Summaries of an ensemble: mean and P5/P50/P95 by year and label, and fiscal totals.

``summary.csv`` is tidy and long: one row per variable, label (programme, payer, sector ... or
``all``) and year (a number), with the columns ``mean, p5, p50, p95, p_positive, units``
(``p_positive`` is the share of draws above 0). ``summary_totals.csv`` holds the fiscal totals
over the horizon (or the years chosen with ``--years``), by programme and by payer (and ``all``),
nominal (``outlay_total``) and in present value (``outlay_total_pv``, discounted to the base year
whatever the years), with the same columns, no ``year``, and ``first_year``, ``last_year``: the
years totalled.

Every total takes ``years=(FIRST, LAST)`` (default: the whole horizon of the results), checked as
``--years`` is (:func:`sim.arguments.check_years`); the results themselves always cover the horizon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["QUANTILES", "summary_table", "totals_table", "fiscal_totals", "band", "share_positive", "select_years",
           "years_label", "Years"]

#: ``years=`` of the analysis functions: None (the horizon), (FIRST, LAST), one year or "FIRST-LAST".
Years = tuple[int, int] | int | str | None

QUANTILES = (0.05, 0.5, 0.95)
_FISCAL = ("outlay", "committed", "unpaid")


def band(values: np.ndarray) -> tuple[float, float, float, float]:
    """Mean, P5, P50 and P95 over draws (the first axis); NaNs are ignored."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0 or np.all(np.isnan(values)):
        return (np.nan,) * 4
    q = np.nanquantile(values, QUANTILES, axis=0)
    return float(np.nanmean(values)), float(q[0]), float(q[1]), float(q[2])


def share_positive(values: np.ndarray) -> float:
    """Share of draws (the first axis) above 0, NaNs left out; NaN when there is no value."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[~np.isnan(values)]
    return float(np.mean(finite > 0.0)) if finite.size else float("nan")


def select_years(ds: xr.Dataset, years: Years = None, name: str = "years") -> xr.Dataset:
    """The results restricted to `years` (FIRST, LAST), both included; `ds` itself when None.

    Nothing is re-run: the years are a slice of the results, and ``discount_factor`` keeps
    discounting to the base year, so present values over chosen years stay comparable.

    Raises
    ------
    sim.errors.ArgumentError
        If `years` is not (FIRST, LAST) of whole numbers with FIRST <= LAST within the results' years,
        in the words of ``--years`` (`name` is the argument named: ``years``, or ``--years`` for the command).
    """
    if years is None:
        return ds
    from sim.arguments import check_years

    first, last = check_years(years, [int(y) for y in ds["year"].values], name)
    return ds.sel(year=slice(first, last))


def years_label(ds: xr.Dataset) -> str:
    """``FIRST-LAST`` of the years `ds` holds (after :func:`select_years`, the years chosen)."""
    return f"{int(ds['year'].values[0])}-{int(ds['year'].values[-1])}"


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
            rows.append({"variable": name, "dim": label_dim or "", "label": str(label), "year": int(year),
                         "mean": mean, "p5": p5, "p50": p50, "p95": p95, "p_positive": share_positive(arr[:, i]),
                         "units": da.attrs.get("units", "")})
    return rows


def fiscal_totals(ds: xr.Dataset, by: str = "program", present_value: bool = False,
                  years: Years = None) -> pd.DataFrame:
    """Outlays summed over the horizon (or `years`) by programme or payer (and in all), with bands over draws.

    Parameters
    ----------
    ds : xarray.Dataset
        Results of a run.
    by : {"program", "payer"}
        The label to total by.
    present_value : bool
        Discount each year's outlay with ``discount_factor`` first (to the base year).
    years : (int, int), optional
        Total over these years only, both included (default: every year of the results), e.g.
        ``fiscal_totals(ds, years=(2023, 2027))``; see :func:`select_years`.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, mean, p5, p50, p95`` in CNY and ``p_positive`` (share of draws above 0);
        the last row, ``all``, is the grand total.
    """
    ds = select_years(ds, years)
    name = "outlay" if by == "program" else "outlay_by_payer"
    da = ds[name]
    if present_value:
        da = da * ds["discount_factor"]
    per = da.sum("year").transpose("draw", by).values
    rows = []
    for j, label in enumerate(ds[by].values):
        mean, p5, p50, p95 = band(per[:, j])
        rows.append({"label": str(label), "mean": mean, "p5": p5, "p50": p50, "p95": p95,
                     "p_positive": share_positive(per[:, j])})
    mean, p5, p50, p95 = band(per.sum(axis=1))
    rows.append({"label": "all", "mean": mean, "p5": p5, "p50": p50, "p95": p95,
                 "p_positive": share_positive(per.sum(axis=1))})
    return pd.DataFrame(rows)


_COLUMNS = ["mean", "p5", "p50", "p95", "p_positive", "units"]


def summary_table(ds: xr.Dataset) -> pd.DataFrame:
    """The tidy table written as ``summary.csv``: one row per variable, label and (numeric) year."""
    rows: list[dict] = []
    for name in ds.data_vars:
        rows += _rows_for(ds, str(name))
    return pd.DataFrame(rows, columns=["variable", "dim", "label", "year"] + _COLUMNS).astype({"year": "int64"})


def totals_table(ds: xr.Dataset, years: Years = None) -> pd.DataFrame:
    """The table written as ``summary_totals.csv``: outlays over the horizon (or `years`) by programme and payer.

    The columns ``first_year`` and ``last_year`` say which years are totalled.
    """
    ds = select_years(ds, years)
    first, last = (int(y) for y in ds["year"].values[[0, -1]])
    rows: list[dict] = []
    for by in ("program", "payer"):
        for pv in (False, True):
            for r in fiscal_totals(ds, by, pv).to_dict("records"):
                rows.append({"variable": "outlay_total" + ("_pv" if pv else ""), "dim": by} | r | {"units": "CNY"}
                            | {"first_year": first, "last_year": last})
    return pd.DataFrame(rows, columns=["variable", "dim", "label"] + _COLUMNS + ["first_year", "last_year"])
