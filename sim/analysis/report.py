"""``sim report DIR``: a self-contained HTML report of a results folder (plots embedded)."""

from __future__ import annotations

import base64
import html
import os
import tempfile
from pathlib import Path

import pandas as pd
import xarray as xr

from sim.analysis.scaleup import firm_programme_commitments, scaleup_counts
from sim.analysis.summary import fiscal_totals
from sim.analysis.targets import target_table
from sim.engine.staging import FILE_MODE
from sim.errors import OutputError
from sim.policy.payers import payer_english

__all__ = ["build_report", "write_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 48%; margin: 0.5%; border: 1px solid #eee; }
.note { color: #666; font-size: 0.85em; }
"""


def _money_table(nominal: pd.DataFrame, pv: pd.DataFrame, label_name: str, english=None) -> str:
    rows = []
    for (_, a), (_, b) in zip(nominal.iterrows(), pv.iterrows(), strict=False):
        if a["label"] != "all" and a["p95"] == 0.0:
            continue
        label = html.escape(a["label"]) + (f"<br><span class=note>{html.escape(english(a['label']))}</span>"
                                           if english and a["label"] != "all" else "")
        cells = "".join(f"<td>{v / 1e6:,.2f}</td>" for v in (a["p5"], a["p50"], a["p95"], b["p5"], b["p50"], b["p95"]))
        rows.append(f"<tr><td>{label}</td>{cells}</tr>")
    head = (f"<tr><th rowspan=2>{label_name}</th><th colspan=3>nominal, million CNY</th>"
            "<th colspan=3>present value, million CNY</th></tr>"
            "<tr><th>P5</th><th>P50</th><th>P95</th><th>P5</th><th>P50</th><th>P95</th></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _target_html(ds: xr.Dataset) -> str:
    rows = []
    for _, r in target_table(ds).iterrows():
        if r["status"] == "modelled":
            nums = (f"<td>{r['p5']:,.0f}</td><td>{r['p50']:,.0f}</td><td>{r['p95']:,.0f}</td>"
                    f"<td>{r['probability']:.0%}</td>")
        else:
            nums = f"<td colspan=4>{html.escape(r['status'])}</td>"
        rows.append(f"<tr><td>{html.escape(r['id'])}<br><span class=note>{html.escape(r['name'])}</span></td>"
                    f"<td>{r['year']}</td><td>{html.escape(r['target'])}</td>{nums}</tr>")
    head = "<tr><th>target</th><th>year</th><th>goal</th><th>P5</th><th>P50</th><th>P95</th><th>P(reach)</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def build_report(folder: Path) -> str:
    """The HTML text of the report of a results folder.

    Raises
    ------
    SimError
        If the folder has no ``results.nc``.
    """
    from sim.analysis.results import open_results

    ds = open_results(folder)
    a = ds.attrs
    years = f"{a.get('first_year')}–{a.get('last_year')}"
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>sim report: {html.escape(str(a.get('scenario')))}</title>"
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Scenario {html.escape(str(a.get('scenario')))}</h1>",
        f"<p class=note>{a.get('draws')} draws, seed {a.get('seed')}, {years}; scenario file "
        f"{html.escape(str(a.get('scenario_file')))} (sha256 {a.get('scenario_sha256', '')[:16]}…); sim "
        f"{a.get('sim_version')}; present values to {a.get('base_year')} at {float(a.get('discount_rate', 0)):.1%}.</p>",
        f"<h2>Fiscal exposure {years} by programme</h2>",
        _money_table(fiscal_totals(ds, "program"), fiscal_totals(ds, "program", True), "programme"),
        f"<h2>Fiscal exposure {years} by payer</h2>",
        _money_table(fiscal_totals(ds, "payer"), fiscal_totals(ds, "payer", True), "payer", payer_english),
    ]
    counts = scaleup_counts(ds)
    if not counts.empty:
        parts += [
            "<h2>Scale-up: firms first counted above size</h2><p class=note>P50 [P5–P95] over draws.</p>",
            counts.to_html(border=0),
            f"<h2>Firm programmes: committed by year and {years} total</h2>"
            "<p class=note>Million CNY; years are medians over draws.</p>",
            firm_programme_commitments(ds).to_html(border=0, float_format=lambda v: f"{v:,.1f}"),
        ]
    parts += [
        "<h2>Targets</h2>",
        _target_html(ds),
        "<h2>Plots</h2><p class=note>Lines are medians; bands P25–P75 and P5–P95 over draws.</p>",
    ]
    for png in sorted(folder.glob("*.png")):
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        parts.append(f"<img alt='{html.escape(png.stem)}' src='data:image/png;base64,{data}'>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(folder: Path) -> Path:
    """Write ``report.html`` into a results folder atomically (mode 0644); return its path.

    Raises
    ------
    SimError
        If the folder is not a results folder; :class:`~sim.errors.OutputError` if the report
        cannot be written (disk full, a file-size limit, a read-only folder), leaving no file.
    """
    text = build_report(folder)
    target = folder / "report.html"
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".report.", suffix=".html", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        # mkstemp makes the file 0600; the report is for the group like the rest of the folder.
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"{target}: cannot be written ({exc.strerror or exc}); the folder is unchanged") from None
    return target
