"""Plots: years on the axis, named bands, targets, plain numbers with units."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import sim
from sim.analysis.plots import display_scale, write_plots


@pytest.fixture(scope="module")
def charts(tmp_path_factory, scenarios_dir):
    import matplotlib.pyplot as plt

    ds = sim.run(scenarios_dir / "minimal.toml", draws=3)
    made = []
    real_savefig = matplotlib.figure.Figure.savefig

    def keep(fig, path, *args, **kwargs):
        made.append((str(path), fig))
        return real_savefig(fig, path, *args, **kwargs)

    close = plt.close
    plt.close = lambda *a, **k: None  # keep the figures to look at their axes
    matplotlib.figure.Figure.savefig = keep
    try:
        write_plots(ds, tmp_path_factory.mktemp("plots"), observations={})
    finally:
        matplotlib.figure.Figure.savefig = real_savefig
        plt.close = close
    return ds, dict(made)


def test_outlay_in_million_cny_without_offset_and_years_on_x(charts):
    ds, made = charts
    fig = next(f for p, f in made.items() if p.endswith("/outlay.png"))
    ax = fig.axes[0]
    fig.canvas.draw()
    assert ax.get_ylabel() == "million CNY"
    assert ax.yaxis.get_offset_text().get_text() == ""
    ticks = [t for t in ax.get_xticks() if ds["year"].values[0] <= t <= ds["year"].values[-1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    # The median of the plotted line is the median of the total outlay, in million CNY.
    line = ax.get_lines()[0]
    expected = np.nanquantile(ds["outlay"].sum("program").transpose("draw", "year").values, 0.5, axis=0) / 1e6
    np.testing.assert_allclose(line.get_ydata(), expected)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["median", "P5–P95", "P25–P75"]


def test_payer_legend_is_below_the_chart(charts):
    _, made = charts
    fig = next(f for p, f in made.items() if p.endswith("outlay_by_payer.png"))
    fig.canvas.draw()
    legend = fig.axes[0].get_legend().get_window_extent()
    axes = fig.axes[0].get_window_extent()
    assert legend.y1 < axes.y0


def test_display_scale():
    assert display_scale("CNY", 5e8) == (1e6, "million CNY")
    assert display_scale("CNY", 5e9) == (1e9, "billion CNY")
    assert display_scale("kg", 5e5) == (1e3, "t")
    assert display_scale("kg", 500) == (1.0, "kg")


def test_targets_are_drawn_at_their_year_and_value():
    import matplotlib.pyplot as plt

    from sim.analysis.plots import draw_targets
    from sim.analysis.targets import all_targets

    stations = [t for t in all_targets() if t.quantity == "stations_operating"]
    fig, ax = plt.subplots()
    draw_targets(ax, stations)
    stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
    assert sorted((float(s.get_xdata()[0]), float(s.get_ydata()[0])) for s in stars) == \
        sorted((float(t.year), t.value) for t in stations)
    assert any("target 2025: >= 74 stations" == s.get_label() for s in stars)
    plt.close(fig)
