"""The summary table ``sim run`` prints: fiscal exposure by programme and payer, and indicators."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import xarray as xr

from sim.analysis.scaleup import firm_programme_commitments, scaleup_counts
from sim.analysis.summary import Years, band, fiscal_totals, select_years, years_label
from sim.analysis.targets import format_target_table, target_table
from sim.analysis.zero_programmes import ENROLMENT_TITLE, enrolment_table, zero_lines

__all__ = ["print_run_summary", "outside_lines", "format_money_table", "indicator_rows", "waiting_table", "format_frame"]

_MILLION = 1e6


def _pad(text: str, width: int) -> str:
    """Cut or pad to a display width (Chinese characters take two columns in a terminal)."""
    out, used = "", 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if used + w > width:
            break
        out += ch
        used += w
    return out + " " * (width - used)


def format_money_table(title: str, nominal, pv) -> str:
    """Rows of label with nominal mean, P5/P50/P95 and P(>0), and present-value mean, in million CNY.

    A programme that pays in some draws is shown even when its P95 is 0 (the mean and P(>0) say
    how often and how much); one that pays nothing in every draw is left out here and explained
    after the tables (:func:`sim.analysis.zero_programmes.zero_lines`).
    """
    lines = [title, f"  {'':60s} {'nominal, million CNY':>43s} {'':>6s}   {'PV':>10s}",
             f"  {'':60s} {'mean':>10s} {'P5':>10s} {'P50':>10s} {'P95':>10s} {'P(>0)':>6s}   {'mean':>10s}"]
    for (_, a), (_, b) in zip(nominal.iterrows(), pv.iterrows(), strict=False):
        if a["label"] != "all" and not a["p_positive"] > 0:
            continue
        lines.append(
            f"  {_pad(a['label'], 60)} {a['mean'] / _MILLION:10.2f} {a['p5'] / _MILLION:10.2f} {a['p50'] / _MILLION:10.2f}"
            f" {a['p95'] / _MILLION:10.2f} {a['p_positive']:6.0%}   {b['mean'] / _MILLION:10.2f}"
        )
    return "\n".join(lines)


def indicator_rows(ds: xr.Dataset) -> list[tuple[str, float, float, float]]:
    """Last-year P5/P50/P95 of the headline indicators the run has."""
    rows = []
    last = ds["year"].values[-1]
    for name, reduce_dim in (("firms_above_size", "sector"), ("upscaled", "sector"), ("stations_operating", None),
                             ("fcv_fleet", None), ("h2_sold_kg", None), ("h2_price_mean", None)):
        if name not in ds:
            continue
        da = ds[name].sel(year=last)
        if reduce_dim and reduce_dim in da.dims:
            da = da.sum(reduce_dim)
        _, p5, p50, p95 = band(da.values)
        rows.append((f"{name} ({ds[name].attrs.get('units', '')}), {last}", p5, p50, p95))
    return rows


def waiting_table(ds: xr.Dataset) -> str:
    """Who waits: median claims queued at each year end, by programme (million CNY)."""
    med = ds["unpaid"].median("draw").transpose("program", "year")
    years = [int(y) for y in ds["year"].values]
    lines = ["Queued claims at year end, median by programme (million CNY)",
             f"  {'programme':52s}" + "".join(f"{y:>9d}" for y in years)]
    for pid, row in zip(ds["program"].values, med.values, strict=False):
        if np.nanmax(row) > 0:
            lines.append(f"  {str(pid)[:52]:52s}" + "".join(f"{v / _MILLION:9.1f}" for v in row))
    return "\n".join(lines)


def format_frame(title: str, frame, label_width: int = 52, decimals: int = 1) -> str:
    """A titled text table of a frame: its index as the first column, numbers with `decimals`."""
    cells = [[f"{v:,.{decimals}f}" if isinstance(v, (float, np.floating)) else str(v) for v in row]
             for row in frame.itertuples(index=False)]
    widths = [max([len(str(c))] + [len(r[j]) for r in cells]) for j, c in enumerate(frame.columns)]
    lines = [title, "  " + _pad(str(frame.index.name or ""), label_width)
             + "".join(f" {str(c):>{w}s}" for c, w in zip(frame.columns, widths, strict=False))]
    for label, row in zip(frame.index, cells, strict=False):
        lines.append("  " + _pad(str(label), label_width) + "".join(f" {c:>{w}s}" for c, w in zip(row, widths, strict=False)))
    return "\n".join(lines)


def outside_lines(ds: xr.Dataset, chosen: xr.Dataset) -> list[str]:
    """One line per programme left out of the money tables of the `chosen` years that pays in other years."""
    span = f"{int(chosen['year'].values[0])}-{int(chosen['year'].values[-1])}"
    in_chosen = chosen["outlay"].sum("year").max("draw").values > 0
    in_horizon = ds["outlay"].sum("year").max("draw").values > 0
    return [f"{pid} pays 0 in every draw in {span}; it pays in other years of the horizon "
            f"{int(ds['year'].values[0])}-{int(ds['year'].values[-1])}"
            for pid, a, b in zip(ds["program"].values, in_chosen, in_horizon, strict=True) if b and not a]


def print_run_summary(ds: xr.Dataset, out: Path, years: Years = None) -> None:
    """Print the fiscal exposure and indicators of a run, and where its files are.

    With `years` (FIRST, LAST) the money tables, the unpaid claims (at the end of LAST) and the
    forfeits total over those years, and their titles say so; present values stay discounted to
    the base year. Scale-up, targets and indicators keep the horizon.
    """
    horizon = years_label(ds)
    chosen = select_years(ds, years)
    span = years_label(chosen)
    print(f"scenario {ds.attrs['scenario']}: {ds.attrs['draws']} draws, seed {ds.attrs['seed']}, {horizon}; "
          f"present values to {ds.attrs['base_year']} at {ds.attrs['discount_rate']:.1%}")
    if span != horizon:
        print(f"Totals below are over {span} (--years), out of the horizon {horizon}")
    print(format_money_table(f"Fiscal exposure {span} by programme",
                             fiscal_totals(chosen, "program"), fiscal_totals(chosen, "program", True)))
    print(format_money_table(f"Fiscal exposure {span} by payer",
                             fiscal_totals(chosen, "payer"), fiscal_totals(chosen, "payer", True)))
    for line in zero_lines(ds):
        print(line)
    if span != horizon:
        for line in outside_lines(ds, chosen):
            print(line)
    enrolment = enrolment_table(ds)
    if not enrolment.empty:
        print(format_frame(ENROLMENT_TITLE, enrolment, label_width=6))
    unpaid = chosen["unpaid"].isel(year=-1).sum("program").values
    if np.nanmax(chosen["unpaid"].values) > 0:
        _, p5, p50, p95 = band(unpaid)
        print(f"Unpaid at the end of {span[-4:]} (queued under budget ceilings), million CNY: "
              f"P5 {p5 / _MILLION:,.2f}  P50 {p50 / _MILLION:,.2f}  P95 {p95 / _MILLION:,.2f}")
        print(waiting_table(chosen))
    forfeited = chosen["forfeited"].sum(["year", "program"]).values
    if np.nanmax(forfeited) > 0:
        _, p5, p50, p95 = band(forfeited)
        print(f"Forfeited by pro-rata rationing {span}, million CNY: "
              f"P5 {p5 / _MILLION:,.2f}  P50 {p50 / _MILLION:,.2f}  P95 {p95 / _MILLION:,.2f}")
    counts = scaleup_counts(ds)
    if not counts.empty:
        print(format_frame("Scale-up: firms first counted above size, by year and sector, P50 [P5–P95]", counts,
                           label_width=6))
        print(format_frame(f"Firm programmes: committed by year (median) and {horizon} total, million CNY",
                           firm_programme_commitments(ds)))
    print("Targets")
    print(format_target_table(target_table(ds)))
    rows = indicator_rows(ds)
    if rows:
        print("Indicators")
        for label, p5, p50, p95 in rows:
            print(f"  {label:52s} {p5:12,.1f} {p50:12,.1f} {p95:12,.1f}")
    print(f"results written to {out}/ (results.nc, scenario.resolved.toml, summary.csv, summary_totals.csv, "
          f"plots); `sim report {out}` writes the report")
