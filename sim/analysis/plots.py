"""Plots written beside the results: fan charts of the main series and outlays by payer.

Each calibration or holdout observation of a plotted series is drawn at its year on the fan chart
of the same selection (a chart of its own when it selects, e.g., the manufacturing sectors): a
point for a value, a vertical bar for a range, a triangle for a one-sided bound, labelled with
its source's short name. Context observations (national figures) are left out: their scale would
hide the band.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from sim.analysis.observations import DEFAULT_OBSERVED, Observation, load_observations, model_series
from sim.policy.payers import payer_english

__all__ = ["write_plots", "fan_chart", "draw_observations", "PLOTTED_SERIES"]

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


_ROLE_COLOURS = {"calibration": "black", "holdout": "tab:red"}


def _selection_key(obs: Observation) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else (v,)) for k, v in obs.select.items())) + (
        obs.reduce, obs.transform)


def _selection_title(obs: Observation) -> str:
    return ", ".join(f"{'+'.join(map(str, v if isinstance(v, list) else [v]))}" for v in obs.select.values())


def draw_observations(ax, observations: list[Observation]) -> None:
    """Mark observations at their years: value as a point, range as a bar, bound as a triangle."""
    seen_roles = set()
    for obs in observations:
        colour = _ROLE_COLOURS[obs.role]
        label = obs.role if obs.role not in seen_roles else None
        seen_roles.add(obs.role)
        if obs.low is not None and obs.high is not None:
            ax.errorbar([obs.year], [0.5 * (obs.low + obs.high)], yerr=[[0.5 * (obs.high - obs.low)]] * 2,
                        fmt="none", ecolor=colour, capsize=4, linewidth=1.5, label=label)
            y = obs.high
        elif obs.value is not None:
            ax.plot([obs.year], [obs.value], "o", color=colour, markersize=5, label=label)
            y = obs.value
        else:
            y = obs.lower if obs.low is not None else obs.upper
            ax.plot([obs.year], [y], "^" if obs.low is not None else "v", color=colour, markersize=6, label=label)
        ax.annotate(obs.source_short, (obs.year, y), textcoords="offset points", xytext=(4, 4), fontsize=7,
                    color=colour)
    if observations:
        ax.legend(fontsize=7, loc="best", frameon=False, title="observed", title_fontsize=7)


def _observations_for(observations: dict[str, Observation], name: str, years: np.ndarray) -> list[Observation]:
    return [o for o in observations.values() if o.variable == name and o.role != "context"
            and o.year is not None and int(years[0]) <= o.year <= int(years[-1])]


def write_plots(ds: xr.Dataset, folder: Path, observations: dict[str, Observation] | None = None) -> list[Path]:
    """Write a PNG per available series and one of outlays by payer; return their paths.

    Parameters
    ----------
    observations : dict, optional
        Observations to mark on the fan charts (default: ``calibration/observed.toml`` when the
        source tree has it, else none).

    Raises
    ------
    ScenarioError
        If the default observations file exists and is malformed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if observations is None:
        observations = load_observations(DEFAULT_OBSERVED) if DEFAULT_OBSERVED.is_file() else {}
    written = []
    years = ds["year"].values
    for name, title, reduce_dim in PLOTTED_SERIES:
        if name not in ds:
            continue
        da = ds[name]
        if reduce_dim and reduce_dim in da.dims:
            da = da.sum(reduce_dim)
        # The chart of the whole series carries the observations without a selection; each other
        # selection that observations make gets a chart of its own.
        groups: dict[tuple, list[Observation]] = {}
        for obs in _observations_for(observations, name, years):
            groups.setdefault(() if not obs.select and obs.transform == "identity" else _selection_key(obs), []).append(obs)
        charts = [(name, title, da, groups.pop((), []))]
        for marked in groups.values():
            series, _ = model_series(ds, marked[0])
            if series is not None and "year" in series.dims:
                suffix = _selection_title(marked[0])
                charts.append((f"{name}_{suffix}", f"{title}: {suffix}", series, marked))
        for stem, chart_title, series, marked in charts:
            fig, ax = plt.subplots(figsize=(7, 4))
            fan_chart(ax, years, series.transpose("draw", "year").values)
            draw_observations(ax, marked)
            ax.set_title(f"{chart_title} — {ds.attrs.get('scenario', '')}", fontsize=10)
            ax.set_xlabel("year")
            ax.grid(alpha=0.3)
            path = folder / f"{stem}.png"
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
