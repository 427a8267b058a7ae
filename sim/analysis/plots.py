"""Plots written beside the results: fan charts of the main series and outlays by payer.

Each calibration or holdout observation of a plotted series is drawn at its year on the fan chart
of the same selection (a chart of its own when it selects, e.g., the manufacturing sectors): a
point for a value, a vertical bar for a range, a triangle for a one-sided bound, labelled with
its source's short name. Context observations (national figures) are left out: their scale would
hide the band. Targets of the gazette and the city plans on a plotted quantity (``stations_operating``,
``fcv_fleet`` ...) are drawn at their year as a star with a dashed line to the right edge.

Axes show plain numbers with thousands separators in the unit of the label (CNY as million or
billion CNY, kg as tonnes when large; never an ``1e8`` offset), years as whole numbers, and a legend
names the median and the P25–P75 and P5–P95 bands.

``sim run`` writes the charts in English beside the results (:func:`write_plots`); ``sim report``
draws them again in the report's language (:func:`chart_images`). Titles, axes and legends take
their words from ``sim/analysis/labels.toml``; Chinese text is drawn with the shipped CJK font
(:mod:`sim.analysis.cjk_font`), so a machine without Chinese fonts shows no empty boxes.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from sim.analysis.cjk_font import chart_style
from sim.analysis.names import chart_name, sector_name, unit_name
from sim.analysis.observations import DEFAULT_OBSERVED, Observation, load_observations, model_series
from sim.analysis.report_labels import Labels
from sim.analysis.targets import TargetSpec, all_targets
from sim.policy.payers import payer_names_of

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def tight_layout(fig) -> None:
    """Lay a figure out tightly, silently keeping its layout when labels do not fit (a huge number).

    Matplotlib warns (``UserWarning: Tight layout not applied``) on standard error when the margins
    cannot take the labels; the chart is still written, so the warning is only noise to a user.
    """
    with warnings.catch_warnings():
        # Only this warning: a missing glyph must still show (tests turn it into an error).
        warnings.filterwarnings("ignore", message="Tight layout not applied", category=UserWarning)
        fig.tight_layout()


__all__ = ["write_plots", "charts", "chart_images", "tight_layout", "fan_chart", "draw_observations", "draw_targets",
           "display_scale", "PLOTTED_SERIES"]

#: Series drawn as fan charts when a run has them: variable and how to reduce extra dims (titles
#: in both languages: ``[charts]`` of ``sim/analysis/labels.toml``).
PLOTTED_SERIES = (
    ("outlay", "program"),
    ("firms_above_size", "sector"),
    ("upscaled", "sector"),
    ("stations_operating", None),
    ("fcv_fleet", None),
    ("h2_sold_kg", None),
    ("h2_price_mean", None),
)
_BILLION, _MILLION, _TONNE = 1e9, 1e6, 1e3


def display_scale(units: str, largest: float) -> tuple[float, str]:
    """The divisor and unit label that show values of `units` up to `largest` as plain numbers.

    CNY become million CNY (billion CNY from 1,000 million); kg become tonnes from 10,000 kg;
    other units are kept.

    Examples
    --------
    >>> display_scale("CNY", 2.3e9)
    (1000000000.0, 'billion CNY')
    >>> display_scale("stations", 80)
    (1.0, 'stations')
    """
    if units == "CNY":
        return (_BILLION, "billion CNY") if largest >= _BILLION else (_MILLION, "million CNY")
    if units == "kg" and largest >= 10 * _TONNE:
        return _TONNE, "t"
    return 1.0, units


def fan_chart(ax, years: np.ndarray, draws_by_year: np.ndarray, label: str | None = None) -> None:
    """Median line with P5-P95 and P25-P75 bands of a (draw, year) array, each named in the legend."""
    q = np.nanquantile(draws_by_year, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    line = ax.plot(years, q[2], label=label or "median")[0]
    ax.fill_between(years, q[0], q[4], alpha=0.15, color=line.get_color(), linewidth=0, label="P5–P95")
    ax.fill_between(years, q[1], q[3], alpha=0.3, color=line.get_color(), linewidth=0, label="P25–P75")


def draw_targets(ax, targets: list[TargetSpec], scale: float = 1.0, labels: Labels | None = None) -> None:
    """Each target as a star at its year and value, with a dashed line to the chart's right edge.

    `labels` gives the language of the legend (default English).
    """
    L = labels or Labels("en")
    for t in targets:
        word = L.pick(*chart_name("target"))
        ax.plot([t.year], [t.value / scale], "*", color="tab:green", markersize=11, zorder=5,
                label=f"{word} {t.year}: {t.comparison} {t.value:,.0f} {L.pick(*unit_name(t.unit))}")
        ax.axhline(t.value / scale, xmin=0, xmax=1, color="tab:green", linestyle=":", linewidth=0.8, zorder=1)


_ROLE_COLOURS = {"calibration": "black", "holdout": "tab:red"}


def _selection_key(obs: Observation) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else (v,)) for k, v in obs.select.items())) + (
        obs.reduce, obs.transform)


def _wrapped(title: str, width: int = 60) -> str:
    """`title` with each of its lines broken at `width` characters, so a long selection fits its panel."""
    return "\n".join(textwrap.fill(line, width) for line in title.split("\n"))


def _selection_title(obs: Observation) -> str:
    return ", ".join(f"{'+'.join(map(str, v if isinstance(v, list) else [v]))}" for v in obs.select.values())


def _selection_name(obs: Observation, L: Labels) -> str:
    """The selection of an observation in words (sectors by name; other keys as written)."""
    def named(value) -> str:
        zh, en = sector_name(str(value))
        return L.pick(zh, en)

    return ", ".join("+".join(named(x) for x in (v if isinstance(v, list) else [v])) for v in obs.select.values())


def draw_observations(ax, observations: list[Observation], scale: float = 1.0, labels: Labels | None = None) -> None:
    """Mark observations at their years: value as a point, range as a bar, bound as a triangle.

    Values are divided by `scale` (the divisor of the chart's unit, see :func:`display_scale`);
    `labels` gives the language of the legend (default English).
    """
    L = labels or Labels("en")
    seen_roles = set()
    for obs in observations:
        colour = _ROLE_COLOURS[obs.role]
        label = L.pick(*chart_name(f"observed ({obs.role})")) if obs.role not in seen_roles else None
        seen_roles.add(obs.role)
        if obs.low is not None and obs.high is not None:
            ax.errorbar([obs.year], [0.5 * (obs.low + obs.high) / scale], yerr=[[0.5 * (obs.high - obs.low) / scale]] * 2,
                        fmt="none", ecolor=colour, capsize=4, linewidth=1.5, label=label)
            y = obs.high / scale
        elif obs.value is not None:
            y = obs.value / scale
            ax.plot([obs.year], [y], "o", color=colour, markersize=5, label=label)
        else:
            y = (obs.low if obs.low is not None else obs.high) / scale  # type: ignore[operator]
            ax.plot([obs.year], [y], "^" if obs.low is not None else "v", color=colour, markersize=6, label=label)
        ax.annotate(obs.source_short, (obs.year, y), textcoords="offset points", xytext=(4, 4), fontsize=7,
                    color=colour)


def _plain_axes(ax, years: np.ndarray) -> None:
    """Whole years on x; plain numbers with thousands separators on y (no offset, no 1e8)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(float(years[0]) - 0.3, float(years[-1]) + 0.3)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 10 or v == 0 else f"{v:,.2g}"))




def _observations_for(observations: dict[str, Observation], name: str, years: np.ndarray) -> list[Observation]:
    return [o for o in observations.values() if o.variable == name and o.role != "context"
            and o.year is not None and int(years[0]) <= o.year <= int(years[-1])]


def _default_observations(observations: dict[str, Observation] | None) -> dict[str, Observation]:
    if observations is not None:
        return observations
    return load_observations(DEFAULT_OBSERVED) if DEFAULT_OBSERVED.is_file() else {}


def _fan_charts(ds: xr.Dataset, observations: dict[str, Observation], L: Labels,
                width_in: float) -> Iterator[tuple[str, Figure]]:
    """The fan chart of each plotted series the run has, and of each selection observations make."""
    import matplotlib.pyplot as plt

    years = ds["year"].values
    for name, reduce_dim in PLOTTED_SERIES:
        if name not in ds:
            continue
        da = ds[name]
        if reduce_dim and reduce_dim in da.dims:
            da = da.sum(reduce_dim)
        title = L.pick(*chart_name(name), sep="\n")
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
                charts.append((f"{name}_{suffix}", f"{title}: {_selection_name(marked[0], L)}", series, marked))
        targets = [t for t in all_targets() if t.quantity == name and int(years[0]) <= t.year <= int(years[-1])]
        for stem, chart_title, series, marked in charts:
            values = series.transpose("draw", "year").values
            largest = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.0
            scale, unit = display_scale(str(ds[name].attrs.get("units", "")), largest)
            fig, ax = plt.subplots(figsize=(width_in, 0.6 * width_in))
            fan_chart(ax, years, values / scale, label=L.pick(*chart_name("median")))
            draw_observations(ax, marked, scale, L)
            if stem == name:
                draw_targets(ax, targets, scale, L)
            ax.set_title(_wrapped(f"{chart_title} — {ds.attrs.get('scenario', '')}"), fontsize=10)
            ax.set_xlabel(L.pick(*chart_name("year")))
            ax.set_ylabel(L.pick(*unit_name(unit)))
            _plain_axes(ax, years)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7, loc="best", frameon=False)
            tight_layout(fig)
            yield stem, fig


def _payer_chart(ds: xr.Dataset, L: Labels, width_in: float) -> Figure | None:
    """Mean outlay by payer and year, stacked (None when the run has no payer)."""
    import matplotlib.pyplot as plt

    if "outlay_by_payer" not in ds or ds.sizes.get("payer", 0) == 0:
        return None
    years = ds["year"].values
    # Means, not medians: stacked means add up to the mean total; stacked medians do not.
    mean = ds["outlay_by_payer"].mean("draw").transpose("year", "payer").values
    paying = [j for j in range(mean.shape[1]) if mean[:, j].max() > 0]
    scale, unit = display_scale("CNY", float(mean.sum(axis=1).max()) if mean.size else 0.0)
    fig, ax = plt.subplots(figsize=(width_in, 0.6 * width_in + 0.25 * len(paying) * (2 if L.lang is None else 1)))
    bottom = np.zeros(len(years))
    english = payer_names_of(ds)
    for j in paying:
        payer = str(ds["payer"].values[j])
        ax.bar(years, mean[:, j] / scale, bottom=bottom, label=L.pick(payer, english[payer], sep="\n"))
        bottom += mean[:, j] / scale
    ax.set_title(f"{L.pick(*chart_name('outlay_by_payer'), sep=chr(10))} — {ds.attrs.get('scenario', '')}",
                 fontsize=10)
    ax.set_xlabel(L.pick(*chart_name("year")))
    ax.set_ylabel(L.pick(*unit_name(unit)))
    _plain_axes(ax, years)
    ax.grid(alpha=0.3, axis="y")
    # Below the chart, one payer a line: long agency names would squeeze the plot beside it.
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.15), frameon=False, ncol=1)
    tight_layout(fig)
    return fig


def charts(ds: xr.Dataset, observations: dict[str, Observation] | None = None,
           lang: str | None = "en", width_in: float = 7.0) -> Iterator[tuple[str, Figure]]:
    """Each chart of a run as (file stem, figure), drawn with the shipped CJK font as fallback.

    The caller closes each figure (:func:`write_plots` and :func:`chart_images` do).

    Parameters
    ----------
    observations : dict, optional
        Observations to mark on the fan charts (default: ``calibration/observed.toml`` when the
        source tree has it, else none).
    lang : {"en", "zh"} or None
        Language of titles, axes and legends; None gives both (Chinese first).
    width_in : float
        Width of each figure in inches (height in proportion): smaller makes the text larger
        relative to the chart once it is scaled to a screen.

    Raises
    ------
    ScenarioError
        If the default observations file exists and is malformed.
    """
    import matplotlib

    matplotlib.use("Agg")
    L = Labels(lang)
    observations = _default_observations(observations)
    with chart_style():
        yield from _fan_charts(ds, observations, L, width_in)
        payer = _payer_chart(ds, L, width_in)
        if payer is not None:
            yield "outlay_by_payer", payer


def write_plots(ds: xr.Dataset, folder: Path, observations: dict[str, Observation] | None = None) -> list[Path]:
    """Write a PNG per available series and one of outlays by payer (English); return their paths.

    Raises
    ------
    ScenarioError
        If the default observations file exists and is malformed.
    """
    import matplotlib.pyplot as plt

    written = []
    for stem, fig in charts(ds, observations):
        path = folder / f"{stem}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def chart_images(ds: xr.Dataset, lang: str | None, observations: dict[str, Observation] | None = None,
                 dpi: int = 160, width_in: float = 5.6) -> list[tuple[str, bytes]]:
    """The charts of a run in a language, as (file stem, PNG bytes), for a page to embed.

    A page scales each chart to its column: 5.6 inches at 160 dpi (896 px) keeps the text
    readable and sharp when a phone shows it 370 px wide, and the file small.
    """
    import io

    import matplotlib.pyplot as plt

    out = []
    for stem, fig in charts(ds, observations, lang, width_in):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi)
        plt.close(fig)
        out.append((stem, buffer.getvalue()))
    return out
