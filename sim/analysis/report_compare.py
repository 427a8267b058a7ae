"""The report of a ``sim compare`` folder: paired differences per indicator and per programme.

It reads ``comparison.csv`` (:func:`sim.analysis.compare.compare_datasets`): for every scenario
after the first, each quantity's mean, P5/P50/P95 and P(> 0), and the mean and P5–P95 of its
paired difference to the first scenario (unpaired runs, with another seed or number of draws,
show the difference of means only and say so).

Two charts show the differences with their P5–P95 bands: the headline quantities as a share of
the first scenario's mean (they have different units), and the programmes whose outlay differs,
in million CNY. Programmes are named (the policy files' ``name``/``name_zh``), headline
quantities too (``sim/analysis/labels.toml``). Colours say the sign only: blue above the first
scenario, orange below; neither is praise (more spending is not "green").
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.compare import PROGRAMME_PREFIX
from sim.analysis.names import chart_name, quantity_name, unit_name
from sim.analysis.report_labels import Labels, draws_warning, page, table_box
from sim.errors import SimError

__all__ = ["build_compare_report", "difference_chart", "ABOVE_COLOUR", "BELOW_COLOUR"]

_COLUMNS = ("scenario", "group", "quantity", "unit", "mean", "p5", "p50", "p95", "diff_mean", "diff_p5", "diff_p95")
#: Sign colours of the differences (a colour-blind-safe diverging pair, neither red nor green).
ABOVE_COLOUR, BELOW_COLOUR, NEUTRAL_COLOUR = "#2166ac", "#e08214", "#666666"
#: Cell shades of the same pair in the tables.
_ABOVE_SHADE, _BELOW_SHADE = "#e3eef8", "#fdebd3"
#: Characters per line of a name on the charts' axis (Chinese characters are about twice as wide).
_WRAP_EN, _WRAP_ZH = 34, 18


def _num(v: float) -> str:
    return "" if v != v else f"{v:,.2f}"


def _programme_names() -> dict[str, tuple[str, str]]:
    """Programme id to (zh, en) name, from the shipped policy files (ids they lack stay ids)."""
    from sim.policy.gazette import load_gazette

    return {pid: (ins.name_zh or ins.name, ins.name) for pid, ins in load_gazette().instruments.items()}


def _name(quantity: str, programmes: dict[str, tuple[str, str]], L: Labels) -> str:
    """A row's name in the report's language(s), not escaped."""
    if quantity.startswith(PROGRAMME_PREFIX):
        pid = quantity.removeprefix(PROGRAMME_PREFIX)
        return L.pick(*programmes.get(pid, (pid, pid)))
    return L.pick(*quantity_name(quantity))


def _sign(r) -> str:
    return "above" if r["diff_p5"] > 0 else "below" if r["diff_p95"] < 0 else ""


def _table(df: pd.DataFrame, head: str, L: Labels, programmes: dict[str, tuple[str, str]]) -> str:
    rows = []
    scenarios = list(dict.fromkeys(df["scenario"]))
    for quantity in dict.fromkeys(df["quantity"]):
        sub = df[df["quantity"] == quantity].set_index("scenario")
        if sub[["mean", "p95"]].abs().to_numpy().max() == 0:
            continue  # a programme none of the scenarios pays
        cells = []
        for s in scenarios:
            if s not in sub.index:
                cells.append("<td></td>" * (2 if s == head else 4))
                continue
            r = sub.loc[s]
            cells.append(f"<td>{_num(r['mean'])}</td><td class=note>{_num(r['p5'])}–{_num(r['p95'])}</td>")
            if s != head:
                unpaired = "" if bool(r.get("paired", True)) else f" <span class=warn>{L('unpaired')}</span>"
                cells.append(f"<td class='{_sign(r)}'><b>{float(r['diff_mean']):+,.2f}</b>{unpaired}</td>"
                             f"<td class=note>{float(r['diff_p5']):+,.2f} … {float(r['diff_p95']):+,.2f}</td>")
        unit = L.pick(*unit_name(str(sub["unit"].iloc[0])))
        # A programme's id in small type (the English label of a headline quantity is its name already).
        ident = (f"<br><span class=id>{html.escape(quantity.removeprefix(PROGRAMME_PREFIX))}</span>"
                 if quantity.startswith(PROGRAMME_PREFIX) else "")
        rows.append(f"<tr><td>{html.escape(_name(quantity, programmes, L))} <span class=note>{html.escape(unit)}</span>"
                    f"{ident}</td>{''.join(cells)}</tr>")
    top = "".join(f"<th colspan={2 if s == head else 4}>{html.escape(s)}</th>" for s in scenarios)
    sub_head = "".join(f"<th>{L('mean')}</th><th>P5–P95</th>" + (
        "" if s == head else f"<th>Δ {L('mean')}</th><th>Δ P5–P95</th>") for s in scenarios)
    return table_box(f"<table><tr><th rowspan=2>{L('quantity')}</th>{top}</tr><tr>{sub_head}</tr>"
                     f"{''.join(rows)}</table>")


def difference_chart(df: pd.DataFrame, head: str, L: Labels, programmes: dict[str, tuple[str, str]],
                     relative: bool) -> bytes | None:
    """A PNG of each quantity's paired difference to `head`: mean as a dot, P5–P95 as a bar.

    Parameters
    ----------
    df : DataFrame
        Rows of ``comparison.csv`` of one group (headline or programme).
    relative : bool
        Show each difference as a share of `head`'s mean (for quantities of different units);
        quantities whose head mean is 0 are left out then.

    Returns
    -------
    bytes or None
        None when no quantity differs in any scenario.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.analysis.cjk_font import chart_style
    from sim.analysis.plots import tight_layout

    others = [s for s in dict.fromkeys(df["scenario"]) if s != head]
    base = df[df["scenario"] == head].set_index("quantity")["mean"]
    rows = []
    for quantity in dict.fromkeys(df["quantity"]):
        sub = df[(df["quantity"] == quantity) & (df["scenario"] != head)]
        if sub.empty or not np.nanmax(np.abs(sub[["diff_mean", "diff_p5", "diff_p95"]].to_numpy())) > 0:
            continue
        scale = 1.0
        if relative:
            reference = float(base.get(quantity, np.nan))
            if not np.isfinite(reference) or reference == 0:
                continue
            scale = 100.0 / abs(reference)
        rows.append((quantity, sub.set_index("scenario"), scale))
    if not rows or not others:
        return None
    width = _WRAP_ZH if L.lang == "zh" else _WRAP_EN
    labels = ["\n".join(textwrap.wrap(_name(q, programmes, L), width)) or q for q, _, _ in rows]
    lines = sum(label.count("\n") + 1 for label in labels)
    step = 0.8 / len(others)
    with chart_style():
        fig, ax = plt.subplots(figsize=(6.4, 1.2 + 0.26 * lines + 0.12 * len(rows) * len(others)))
        for k, scenario in enumerate(others):
            for i, (_, sub, scale) in enumerate(rows):
                if scenario not in sub.index:
                    continue
                r = sub.loc[scenario]
                sign = _sign(r)
                colour = ABOVE_COLOUR if sign == "above" else BELOW_COLOUR if sign == "below" else NEUTRAL_COLOUR
                y = i + (k - (len(others) - 1) / 2) * step
                ax.plot([r["diff_p5"] * scale, r["diff_p95"] * scale], [y, y], color=colour, linewidth=2.2,
                        solid_capstyle="butt")
                ax.plot([r["diff_mean"] * scale], [y], "o", color=colour, markersize=5,
                        markeredgecolor="white" if len(others) == 1 else "black", markeredgewidth=0.6)
                if len(others) > 1:
                    ax.annotate(scenario, (r["diff_p95"] * scale, y), textcoords="offset points", xytext=(3, -3),
                                fontsize=6, color="#444")
        ax.axvline(0, color="#222", linewidth=0.8)
        ax.set_yticks(range(len(rows)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.grid(alpha=0.3, axis="x")
        ax.set_xlabel(L.pick("占基准均值的百分比（%）", "% of the base's mean") if relative
                      else L.pick(*unit_name("million CNY")), fontsize=8)
        title = chart_name("headline difference" if relative else "outlay difference")
        versus = "\n".join(textwrap.wrap(f"Δ = {', '.join(others)} − {head}", 2 * _WRAP_EN))
        ax.set_title(f"{L.pick(*title, sep=chr(10))}\n{versus}", fontsize=8)
        tight_layout(fig)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=160)
        plt.close(fig)
    return buffer.getvalue()


def _figure(png: bytes | None, alt: str) -> str:
    if png is None:
        return ""
    return (f"<figure><img alt='{html.escape(alt)}' src='data:image/png;base64,"
            f"{base64.b64encode(png).decode('ascii')}'></figure>")


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
    df["scenario"] = df["scenario"].astype(str)
    head = str(df["scenario"].iloc[0])
    draws = int(np.nanmin(df["draws"])) if "draws" in df else 0
    programmes = _programme_names()
    headline, by_programme = df[df["group"] == "headline"], df[df["group"] == "programme"]
    body = [f"<h1>{L('comparison')}: {html.escape(', '.join(dict.fromkeys(df['scenario'])))}</h1>",
            f"<p class=note>{L('compare note')}. Δ = {L('difference to')} <b>{html.escape(head)}</b>; "
            f"<span class=above>{L('above')}</span>, <span class=below>{L('below')}</span>.</p>"]
    if "years" in df:
        spans = ", ".join(dict.fromkeys(df["years"].astype(str)))
        body.append(f"<p class=note>{L('totals over')}: {html.escape(spans)}</p>")
    warning = draws_warning(draws, L) if draws else ""
    if warning:
        body.append(f"<p class=warn>{warning}</p>")
    charts = (_figure(difference_chart(headline, head, L, programmes, relative=True), "headline")
              + _figure(difference_chart(by_programme, head, L, programmes, relative=False), "programmes"))
    if charts:
        body.append(f"<h2>{L('charts')}</h2><p class=note>{L('difference chart note')}</p><div class=charts>{charts}</div>")
    body += [f"<h2>{L('headline')}</h2>", _table(headline, head, L, programmes),
             f"<h2>{L('by programme')}</h2>", _table(by_programme, head, L, programmes)]
    style = (f"<style>td.above, span.above {{ background: {_ABOVE_SHADE}; }} "
             f"td.below, span.below {{ background: {_BELOW_SHADE}; }}</style>")
    return page(f"sim comparison: {', '.join(dict.fromkeys(df['scenario']))}", style + "\n".join(body), L.lang)
