"""The report of a ``sim compare`` folder: paired differences per indicator and per programme.

It reads ``comparison.csv`` (:func:`sim.analysis.compare.compare_datasets`): for every scenario
after the first, each quantity's mean, P5/P50/P95 and P(> 0), and the mean and P5–P95 of its
paired difference to the first scenario (unpaired runs, with another seed or number of draws,
show the difference of means only and say so).
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.compare import PROGRAMME_PREFIX
from sim.analysis.report_labels import Labels, draws_warning, page
from sim.errors import SimError

__all__ = ["build_compare_report"]

_COLUMNS = ("scenario", "group", "quantity", "unit", "mean", "p5", "p50", "p95", "diff_mean", "diff_p5", "diff_p95")


def _num(v: float) -> str:
    return "" if v != v else f"{v:,.2f}"


def _table(df: pd.DataFrame, head: str, L: Labels) -> str:
    rows = []
    scenarios = list(dict.fromkeys(df["scenario"]))
    for quantity in dict.fromkeys(df["quantity"]):
        sub = df[df["quantity"] == quantity].set_index("scenario")
        if sub[["mean", "p95"]].abs().to_numpy().max() == 0:
            continue  # a programme none of the scenarios pays
        name = quantity.removeprefix(PROGRAMME_PREFIX)
        cells = []
        for s in scenarios:
            if s not in sub.index:
                cells.append("<td></td>" * (2 if s == head else 4))
                continue
            r = sub.loc[s]
            cells.append(f"<td>{_num(r['mean'])}</td><td class=note>{_num(r['p5'])}–{_num(r['p95'])}</td>")
            if s != head:
                unpaired = "" if bool(r.get("paired", True)) else " <span class=warn>unpaired</span>"
                sign = "pos" if r["diff_p5"] > 0 else "neg" if r["diff_p95"] < 0 else ""
                cells.append(f"<td class='{sign}'><b>{float(r['diff_mean']):+,.2f}</b>{unpaired}</td>"
                             f"<td class=note>{float(r['diff_p5']):+,.2f} … {float(r['diff_p95']):+,.2f}</td>")
        rows.append(f"<tr><td><span class=id>{html.escape(name)}</span> <span class=note>"
                    f"{html.escape(str(sub['unit'].iloc[0]))}</span></td>{''.join(cells)}</tr>")
    top = "".join(f"<th colspan={2 if s == head else 4}>{html.escape(s)}</th>" for s in scenarios)
    sub_head = "".join(f"<th>{L('mean')}</th><th>P5–P95</th>" + (
        "" if s == head else f"<th>Δ {L('mean')}</th><th>Δ P5–P95</th>") for s in scenarios)
    return (f"<table><tr><th rowspan=2>{L('quantity')}</th>{top}</tr><tr>{sub_head}</tr>"
            f"{''.join(rows)}</table>")


def build_compare_report(folder: Path, L: Labels) -> str:
    """The HTML text of the report of a ``sim compare`` folder.

    Raises
    ------
    SimError
        If ``comparison.csv`` lacks the columns ``sim compare`` writes.
    """
    path = Path(folder) / "comparison.csv"
    df = pd.read_csv(path)
    missing = [c for c in _COLUMNS if c not in df.columns]
    if missing:
        raise SimError(f"{path}: not a sim comparison (missing column {missing[0]}); give a folder written by "
                       "`sim compare`")
    head = str(df["scenario"].iloc[0])
    draws = int(np.nanmin(df["draws"])) if "draws" in df else 0
    body = [f"<h1>{L('comparison')}: {html.escape(', '.join(dict.fromkeys(df['scenario'].astype(str))))}</h1>",
            f"<p class=note>{L('compare note')}. Δ = {L('difference to')} <b>{html.escape(head)}</b>; "
            "green: P5 of Δ above 0, red: P95 of Δ below 0.</p>"]
    if "years" in df:
        spans = ", ".join(dict.fromkeys(df["years"].astype(str)))
        body.append(f"<p class=note>{html.escape(L.pick('合计年份', 'totals over'))}: {html.escape(spans)}</p>")
    warning = draws_warning(draws, L) if draws else ""
    if warning:
        body.append(f"<p class=warn>{warning}</p>")
    body += [f"<h2>{L('headline')}</h2>", _table(df[df["group"] == "headline"], head, L),
             f"<h2>{L('by programme')}</h2>", _table(df[df["group"] == "programme"], head, L)]
    style = "<style>td.pos { background: #e6f4ea; } td.neg { background: #fde8e8; }</style>"
    return page(f"sim comparison: {', '.join(dict.fromkeys(df['scenario'].astype(str)))}", style + "\n".join(body),
                L.lang)
