"""The convergence chart of a sensitivity design: its top drivers' indices against sample size.

One panel per output; for each of the output's :data:`~sim.analysis.index_checks.TOP_DRIVERS`
largest factors (by the main index of the whole design), the main index (ST or mu_star) of each
sub-sample of :func:`sim.analysis.designs.convergence_table` with its 95% interval as a band, and
for Sobol the first-order S1 as a dashed line. Indices that have settled lie flat at the right
of a panel with narrowing bands; lines that still cross, or bands that still reach zero, say the
design was too small.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from sim.analysis.index_checks import MAIN_INDEX, TOP_DRIVERS, top_drivers

__all__ = ["write_convergence_chart"]

_PANEL_COLUMNS = 3
_PANEL_INCHES = (4.6, 3.0)
_TITLE_CHARS = 48


def write_convergence_chart(convergence: pd.DataFrame, table: pd.DataFrame, method: str, path: Path) -> bool:
    """Write the chart of `convergence` to `path` (a PNG); False, and nothing written, if it has one sample size.

    Parameters
    ----------
    convergence : pandas.DataFrame
        :func:`sim.analysis.designs.convergence_table`.
    table : pandas.DataFrame
        The indices of the whole design, which choose each output's top drivers.
    method : {"sobol", "morris"}
    path : Path
    """
    if convergence.empty or convergence["base"].nunique() < 2:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.analysis.plots import tight_layout

    main = MAIN_INDEX[method]
    outputs = list(dict.fromkeys(table["output"]))
    cols = min(_PANEL_COLUMNS, len(outputs))
    rows = math.ceil(len(outputs) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(_PANEL_INCHES[0] * cols, _PANEL_INCHES[1] * rows), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    sizes = sorted(convergence["base"].unique())
    for ax, output in zip(axes.flat, outputs, strict=False):
        sub = convergence[convergence["output"] == output]
        for k, factor in enumerate(top_drivers(table, method, output, TOP_DRIVERS)):
            colour = colours[k % len(colours)]
            line = sub[(sub["parameter"] == factor) & (sub["index"] == main)].sort_values("base")
            x, y, c = line["base"].to_numpy(), line["value"].to_numpy(), line["conf"].to_numpy()
            ax.plot(x, y, "o-", color=colour, label=f"{main} {_short(factor)}")
            ax.fill_between(x, y - c, y + c, color=colour, alpha=0.15, linewidth=0)
            if method == "sobol":
                first = sub[(sub["parameter"] == factor) & (sub["index"] == "S1")].sort_values("base")
                ax.plot(first["base"], first["value"], "--", color=colour, linewidth=1)
        ax.axhline(0.0, color="0.6", linewidth=0.8)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [f"{int(s):,}" for s in sizes])
        ax.set_title(_short(output, _TITLE_CHARS), fontsize=9)
        ax.set_xlabel("base sample N" if method == "sobol" else "trajectories", fontsize=8)
        ax.set_ylabel(main + (" (solid), S1 (dashed)" if method == "sobol" else ""), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6, loc="best")
    for ax in list(axes.flat)[len(outputs):]:
        ax.set_visible(False)
    fig.suptitle(f"{method}: the {TOP_DRIVERS} largest factors of each output against sample size "
                 "(bands: 95% intervals)", fontsize=10)
    tight_layout(fig)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _short(text: str, chars: int = 40) -> str:
    return text if len(text) <= chars else "…" + text[-(chars - 1):]
