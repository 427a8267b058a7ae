"""Plots written beside the results: fan charts of the main series and outlays by payer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from sim.policy.payers import payer_english

__all__ = ["write_plots", "fan_chart", "PLOTTED_SERIES"]

#: Series drawn as fan charts when a run has them: variable, title, how to reduce extra dims.
PLOTTED_SERIES = (
    ("outlay", "Fiscal outlay, all programmes (CNY)", "program"),
    ("firms_above_size", "Firms above designated size", "sector"),
    ("upscaled", "Firms first crossing the above-size threshold", "sector"),
    ("stations_operating", "Hydrogen stations operating", None),
    ("fcv_fleet", "Fuel-cell vehicle fleet", None),
    ("h2_sold_kg", "Hydrogen sold (kg)", None),
    ("h2_price_mean", "Mean retail hydrogen price (CNY/kg)", None),
)


def fan_chart(ax, years: np.ndarray, draws_by_year: np.ndarray, label: str | None = None) -> None:
    """Median line with P5-P95 and P25-P75 bands of a (draw, year) array."""
    q = np.nanquantile(draws_by_year, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    line = ax.plot(years, q[2], label=label)[0]
    ax.fill_between(years, q[0], q[4], alpha=0.15, color=line.get_color(), linewidth=0)
    ax.fill_between(years, q[1], q[3], alpha=0.3, color=line.get_color(), linewidth=0)


def write_plots(ds: xr.Dataset, folder: Path) -> list[Path]:
    """Write a PNG per available series and one of outlays by payer; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    years = ds["year"].values
    for name, title, reduce_dim in PLOTTED_SERIES:
        if name not in ds:
            continue
        da = ds[name]
        if reduce_dim and reduce_dim in da.dims:
            da = da.sum(reduce_dim)
        fig, ax = plt.subplots(figsize=(7, 4))
        fan_chart(ax, years, da.transpose("draw", "year").values)
        ax.set_title(f"{title} — {ds.attrs.get('scenario', '')}")
        ax.set_xlabel("year")
        ax.grid(alpha=0.3)
        path = folder / f"{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    if "outlay_by_payer" in ds and ds.sizes.get("payer", 0) > 0:
        med = ds["outlay_by_payer"].median("draw").transpose("year", "payer").values / 1e6
        fig, ax = plt.subplots(figsize=(11, 4.5))
        bottom = np.zeros(len(years))
        for j, payer in enumerate(ds["payer"].values):
            ax.bar(years, med[:, j], bottom=bottom, label=payer_english(str(payer)))
            bottom += med[:, j]
        ax.set_title("Median outlay by payer (million CNY)")
        ax.set_xlabel("year")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        fig.tight_layout()
        path = folder / "outlay_by_payer.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
