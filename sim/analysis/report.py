"""``sim report DIR``: a self-contained HTML report of a results folder (charts embedded).

The page opens with an executive summary (total exposure: mean, P5–P95 and present value; the
three programmes and the three uncertain parameters that drive it, by name; the targets with the
probability of reaching them, its 95% Wilson interval and the joint probability of the city-plan
targets), then the charts (drawn again in the report's language), the scenario (its description
and what it changes against the scenario it extends, key by key), the money tables (every
programme and payer by name, with mean, P5/P50/P95 and P(> 0); why each programme that pays
nothing in every draw pays nothing, and the hydrogen stations enrolled under the price cap by
year), the queue under binding budget lines, scale-up and targets, and last the assumptions the
numbers rest on, grouped by scenario section and folded (each ⚑ flag opens its text).
``--lang zh`` or ``en`` keeps one language; names come from :mod:`sim.analysis.names` and the
policy files' ``name_zh``. One layout serves a phone (390 px) to a desktop: tables scroll inside
their box, charts scale to the width. A ``sim compare`` folder gets the comparison report of
:mod:`sim.analysis.report_compare`.
"""

from __future__ import annotations

import base64
import functools
import html
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from sim.analysis.names import parameter_name, section_name, sector_name, unit_name
from sim.analysis.report_labels import Labels, draws_warning, page, table_box
from sim.analysis.scaleup import scaleup_counts
from sim.analysis.summary import Years, band, fiscal_totals, select_years, share_positive
from sim.analysis.targets import (
    PLAN_PREFIX,
    all_targets,
    joint_probability,
    target_draws,
    target_table,
    wilson_interval,
)
from sim.analysis.zero_programmes import enrolment_table, zero_programmes
from sim.policy.payers import payer_english, payer_names_of

__all__ = ["build_report", "write_report", "exposure_drivers", "ProgrammeInfo"]

_MILLION = 1e6
#: Rank correlations below this (in absolute value) are not called drivers.
_MIN_DRIVER_CORRELATION = 0.1
#: Fewer draws than this give no rank correlation worth showing.
_MIN_DRIVER_DRAWS = 10


@dataclass(frozen=True)
class ProgrammeInfo:
    """What the report shows of a programme: names, citation and the assumptions of its amount.

    ``name_zh`` is the policy file's ``name_zh``, else the citation (``《title》第N条``).
    """

    id: str
    name_en: str
    name_zh: str
    assumed_amount: bool
    assumptions: tuple[str, ...]
    citation_zh: str = ""

    def name(self, L: Labels, sep: str = " / ") -> str:
        """The programme's name in the report's language(s), not escaped."""
        return L.pick(self.name_zh, self.name_en, sep=sep)


def _programme_info(ds: xr.Dataset) -> dict[str, ProgrammeInfo]:
    """Names of the programmes from the gazette (and the scenario's own documents when known)."""
    from sim.analysis.programmes import article_citation
    from sim.policy.gazette import load_gazette

    catalogue = load_gazette()
    loaded = _resolved_scenario(ds)
    if loaded is not None and loaded.policy.catalogue is not None:
        catalogue = loaded.policy.catalogue
    instruments = dict(catalogue.instruments)
    if loaded is not None:
        instruments |= {p.instrument.id: p.instrument for p in loaded.policy.programs}
    out = {}
    for pid in (str(p) for p in ds["program"].values):
        ins = instruments.get(pid)
        if ins is None:
            out[pid] = ProgrammeInfo(pid, pid, pid, False, ())
            continue
        cited = article_citation(ins, catalogue)
        out[pid] = ProgrammeInfo(pid, ins.name, ins.name_zh or cited, bool(ins.assumed_amount),
                                 tuple(ins.assumptions), cited)
    return out


def _programme_names(info: dict[str, ProgrammeInfo]) -> dict[str, tuple[str, str]]:
    """Programme id to its (zh, en) name, for parameter paths that name a programme."""
    return {pid: (p.name_zh, p.name_en) for pid, p in info.items()}


def _parameter_html(key: str, L: Labels, info: dict[str, ProgrammeInfo]) -> str:
    """A parameter by its readable name, with its path in small type."""
    zh, en = parameter_name(key, _programme_names(info))
    return f"{html.escape(L.pick(zh, en))} <span class=id>{html.escape(key)}</span>"


def _resolved_scenario(ds: xr.Dataset):
    """The scenario the results were run from (from their resolved copy), or None."""
    text = ds.attrs.get("scenario_resolved")
    return _load_resolved(str(text)) if text else None


@functools.lru_cache(maxsize=4)
def _load_resolved(text: str):
    """Load a resolved scenario's text; None when it no longer loads (an input file moved, say)."""
    import tempfile

    from sim.errors import SimError
    from sim.scenario.loader import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.resolved.toml"
        path.write_text(str(text), encoding="utf-8")
        try:
            return load_scenario(path)
        except SimError:
            return None


def _assumed_parameters(ds: xr.Dataset) -> dict[str, str]:
    """Assumed behavioural parameters of the run's scenario: dotted path to the assumption's text."""
    loaded = _resolved_scenario(ds)
    if loaded is None:
        return {}
    from sim.scenario.provenance import list_parameters

    return {p.dotted: p.note.text for p in list_parameters(loaded.scenario)
            if p.note is not None and p.note.kind == "assumption"}


def _total_outlay(ds: xr.Dataset, pv: bool = False) -> np.ndarray:
    da = ds["outlay"] * ds["discount_factor"] if pv else ds["outlay"]
    return da.sum(["year", "program"]).values


def exposure_drivers(ds: xr.Dataset, n: int = 3) -> list[tuple[str, float]]:
    """The uncertain parameters most rank-correlated with the total outlay over the draws.

    Returns
    -------
    list of (parameter, Spearman correlation)
        At most `n`, strongest first; empty when the run has no drawn parameters or fewer than
        ten draws, and leaving out correlations weaker than 0.1 in absolute value.
    """
    from scipy.stats import spearmanr

    if "parameter_value" not in ds or ds.sizes["draw"] < _MIN_DRIVER_DRAWS:
        return []
    total = _total_outlay(ds)
    if np.ptp(total) == 0:
        return []
    out = []
    for j, name in enumerate(ds["parameter"].values):
        x = ds["parameter_value"].values[:, j]
        ok = ~np.isnan(x)
        if ok.sum() < _MIN_DRIVER_DRAWS or np.ptp(x[ok]) == 0:
            continue
        rho = float(spearmanr(x[ok], total[ok]).statistic)
        if abs(rho) >= _MIN_DRIVER_CORRELATION:
            out.append((str(name), rho))
    return sorted(out, key=lambda t: -abs(t[1]))[:n]


def _m(v: float) -> str:
    return f"{v / _MILLION:,.1f}"


def _flag(key: str, anchors: dict[str, str]) -> str:
    """A link to the assumption behind a number (the anchors are the assumption list's)."""
    return f" <a class=flag href='#{anchors[key]}' title='rests on an assumption'>⚑</a>" if key in anchors else ""


def _summary(ds: xr.Dataset, L: Labels, info: dict[str, ProgrammeInfo], anchors: dict[str, str],
             chosen: xr.Dataset | None = None) -> str:
    """The executive summary: money over the `chosen` years (default all), targets over the horizon."""
    chosen = ds if chosen is None else chosen
    mean, p5, _, p95 = band(_total_outlay(chosen))
    pv_mean, pv5, _, pv95 = band(_total_outlay(chosen, pv=True))
    a = ds.attrs
    years = html.escape(_span(chosen))
    rate = float(a.get("discount_rate", 0.0))
    parts = [f"<section class=summary><h2>{L('summary')}</h2><ul>",
             f"<li>{L('total exposure')} {years}: <b>{_m(mean)}</b> {L('million CNY')} ({L('mean')}; P5–P95 "
             f"{_m(p5)}–{_m(p95)}); {L('present value')} {_m(pv_mean)} (P5–P95 {_m(pv5)}–{_m(pv95)}), "
             + html.escape(L.pick(f"{a.get('base_year')} 年现值，折现率每年 {rate:.1%}",
                                  f"discounted to {a.get('base_year')} at {rate:.1%} a year"))
             + f" <span class=note>(budget.discount_rate; {L('discount note')})</span></li>"]
    totals = fiscal_totals(chosen, "program")
    top = totals[totals["label"] != "all"].sort_values("mean", ascending=False).head(3)
    if mean > 0:
        # Semicolons: programme names have commas of their own.
        items = "; ".join(
            f"{html.escape(L.pick(info[r.label].name_zh, info[r.label].name_en))}{_flag(r.label, anchors)} "
            f"<span class=id>{html.escape(r.label)}</span> {_m(r.mean)} ({r.mean / mean:.0%})"
            for r in top.itertuples() if r.mean > 0)
        parts.append(f"<li>{L('largest programmes')}: {items}</li>")
    drivers = exposure_drivers(chosen)
    if drivers:
        items = "; ".join(f"{_parameter_html(n, L, info)}{_flag(n, anchors)} (ρ = {rho:+.2f})" for n, rho in drivers)
        parts.append(f"<li>{L('drivers')}: {items}</li>")
    reached = target_draws(ds)
    n = int(ds.sizes["draw"])
    specs = {t.id: t for t in all_targets()}
    for _, r in target_table(ds).iterrows():
        if r["status"] != "modelled":
            continue
        lo, hi = wilson_interval(int(reached[r["id"]].sum()), n)
        parts.append(f"<li>{html.escape(_target_name(specs, r, L))} ({html.escape(_goal(specs, r, L))}, {r['year']}): "
                     f"P = <b>{r['probability']:.0%}</b> <span class=note>(95% {lo:.0%}–{hi:.0%})</span></li>")
    plan = [i for i in reached if i.startswith(PLAN_PREFIX)]
    if len(plan) > 1:
        joint = joint_probability(reached, plan)
        lo, hi = wilson_interval(round(joint * n), n)
        parts.append(f"<li>{L('joint plan')} ({len(plan)}): P = <b>{joint:.0%}</b> "
                     f"<span class=note>(95% {lo:.0%}–{hi:.0%})</span></li>")
    parts.append("</ul>")
    warning = draws_warning(n, L)
    if warning:
        parts.append(f"<p class=warn>{warning}</p>")
    parts.append("</section>")
    return "\n".join(parts)


def _target_name(specs: dict, row, L: Labels) -> str:
    """A target's name in the report's language(s) (its ``name_zh`` when it has one)."""
    spec = specs.get(row["id"])
    return L.pick(spec.name_zh or spec.name, spec.name) if spec is not None else str(row["name"])


def _goal(specs: dict, row, L: Labels) -> str:
    """A target's comparison, value and unit, the unit in the report's language(s)."""
    spec = specs.get(row["id"])
    if spec is None:
        return str(row["target"])
    return f"{spec.comparison} {spec.value:,.0f} {L.pick(*unit_name(spec.unit))}"


def _span(ds: xr.Dataset) -> str:
    return f"{int(ds['year'].values[0])}–{int(ds['year'].values[-1])}"


def _scenario_section(ds: xr.Dataset, L: Labels) -> str:
    a = ds.attrs
    parts = [f"<h2>{L('scenario')}: {html.escape(str(a.get('scenario')))}</h2>"]
    if a.get("scenario_description"):
        description = str(a["scenario_description"])
        if L.lang == "zh" and not _has_chinese(description):
            parts.append(f"<p class=note>{L('description in English')}</p>")
        parts.append(f"<p lang=en>{html.escape(description)}</p>" if not _has_chinese(description)
                     else f"<p>{html.escape(description)}</p>")
    parts.append(
        f"<p class=note>{_attr(a, 'draws')} {L('draws')}, seed {_attr(a, 'seed')}, {_attr(a, 'first_year')}–"
        f"{_attr(a, 'last_year')}; {_attr(a, 'scenario_file')} (sha256 {html.escape(str(a.get('scenario_sha256', ''))[:16])}…); "
        f"sim {_attr(a, 'sim_version')}.</p>")
    changes = json.loads(a.get("scenario_changes", "[]") or "[]")
    if a.get("scenario_extends"):
        parts.append(f"<h3>{L('changes against')} {html.escape(str(a['scenario_extends']))}</h3>")
        rows = "".join(f"<tr><td class=id>{html.escape(k)}</td><td>{_shown(old)}</td><td>{_shown(new)}</td></tr>"
                       for k, old, new in changes)
        parts.append(table_box(f"<table><tr><th>{L('key')}</th><th>{html.escape(str(a['scenario_extends']))}</th>"
                               f"<th>{html.escape(str(a.get('scenario')))}</th></tr>{rows}</table>") if rows else
                     f"<p>{L('no changes')}</p>")
    return "\n".join(parts)


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _attr(attrs, key: str) -> str:
    """An attribute of the results file as HTML text (escaped: the file may have been edited)."""
    return html.escape(str(attrs.get(key)))


def _shown(value) -> str:
    """A scenario value as written in TOML-ish JSON; an absent one as a dash."""
    return "—" if value is None else html.escape(json.dumps(value, ensure_ascii=False))


def _money_table(ds: xr.Dataset, by: str, L: Labels, info: dict[str, ProgrammeInfo], anchors: dict[str, str]) -> str:
    nominal, pv = fiscal_totals(ds, by), fiscal_totals(ds, by, True)
    rows: list[str] = []
    idle: list[str] = []
    english = payer_names_of(ds) if by == "payer" else {}
    for a, b in zip(nominal.to_dict("records"), pv.to_dict("records"), strict=True):
        label = a["label"]
        if label == "all":
            name = f"<b>{L('all')}</b>"
        elif by == "program":
            p = info[label]
            name = (f"{L.pick(html.escape(p.name_zh), html.escape(p.name_en), sep='<br>')}{_flag(label, anchors)}"
                    f"<br><span class=id><span class=cite>{html.escape(p.citation_zh)} · </span>{html.escape(label)}</span>")
        else:
            name = L.pick(html.escape(label), html.escape(payer_english(label, english)), sep="<br>")
        cells = "".join(f"<td>{_m(a[k])}</td>" for k in ("mean", "p5", "p50", "p95"))
        row = (f"<td>{name}</td>{cells}<td>{a['p_positive']:.0%}</td><td>{_m(b['mean'])}</td>"
               f"<td>{_m(b['p5'])}–{_m(b['p95'])}</td>")
        if label != "all" and not a["p_positive"] > 0:
            idle.append(f"<tr class=muted>{row}</tr>")
        else:
            rows.append(f"<tr>{row}</tr>")
    head = (f"<tr><th>{L('programme' if by == 'program' else 'payer')}</th><th>{L('mean')}</th><th>P5</th><th>P50</th>"
            f"<th>P95</th><th>P(&gt;0)</th><th>{L('PV mean')}</th><th>{L('PV')} P5–P95</th></tr>")
    text = f"<p class=note>{L('million CNY')}; {L('money note')}</p>" + table_box(f"<table>{head}{''.join(rows)}</table>")
    if idle:
        text += (f"<details><summary>{len(idle)} {L('idle')}</summary>{table_box(f'<table>{head}{chr(10).join(idle)}</table>')}"
                 "</details>")
    return text


def _zero_section(ds: xr.Dataset, L: Labels, info: dict[str, ProgrammeInfo]) -> str:
    """Why each programme that pays nothing in every draw pays nothing, and stations under the cap by year."""
    parts = []
    zeros = zero_programmes(ds)
    if zeros:
        items = []
        for z in zeros:
            name = html.escape(info[z.program].name(L)) if z.program in info else ""
            detail = (f"<br><span class=note>{html.escape(L.pick(z.detail_zh, z.detail))}</span>"
                      if z.detail else "")
            items.append(f"<li>{name} <span class=id>{html.escape(z.program)}</span>: "
                         f"<span>{html.escape(L.pick(z.text_zh, z.text))}</span>{detail}</li>")
        parts.append(f"<h3>{L('zero programmes')}</h3><p class=note>{L('zero note')}</p><ul class=zero>"
                     f"{''.join(items)}</ul>")
    enrolment = enrolment_table(ds)
    if not enrolment.empty:
        enrolment = enrolment.set_axis([L.text("stations enrolled"), L.text("share of kg sold")], axis=1)
        enrolment.index.name = L.text("year")
        parts.append(f"<h3>{L('enrolment')}</h3><p class=note>{L('enrolment note')}</p>"
                     + table_box(enrolment.to_html(border=0, classes="enrolment")))
    return "\n".join(parts)


def _queue_section(ds: xr.Dataset, L: Labels, info: dict[str, ProgrammeInfo]) -> str:
    unpaid, forfeited = ds["unpaid"], ds["forfeited"]
    if float(unpaid.max()) <= 0 and float(forfeited.max()) <= 0:
        return ""
    years = [int(y) for y in ds["year"].values]
    parts = [f"<h2>{L('queue')}</h2><p class=note>{L('queue note')}</p>"]
    backlog = unpaid.sum("program").transpose("draw", "year").values
    cells = "".join(f"<tr><td>{y}</td><td>{_m(band(backlog[:, i])[0])}</td><td>{_m(band(backlog[:, i])[1])}–"
                    f"{_m(band(backlog[:, i])[3])}</td><td>{share_positive(backlog[:, i]):.0%}</td></tr>"
                    for i, y in enumerate(years))
    parts.append(f"<h3>{L('backlog')}</h3>" + table_box(f"<table><tr><th>{L('year')}</th><th>{L('mean')}</th><th>P5–P95</th>"
                                                        f"<th>P(&gt;0)</th></tr>{cells}</table>"))
    rows = []
    for j, pid in enumerate(str(p) for p in ds["program"].values):
        queued = unpaid.isel(program=j).mean("draw").values
        paid = ds["outlay"].isel(program=j).mean("draw").values
        cut = forfeited.isel(program=j).sum("year").values
        if queued.max() <= 0 and cut.max() <= 0:
            continue
        if "wait_cny_years" in ds:
            # Amount-weighted: the years a yuan paid waited past its due year, over all draws.
            total_paid = float(ds["outlay"].isel(program=j).sum())
            waited = float(ds["wait_cny_years"].isel(program=j).sum())
            wait = waited / total_paid if total_paid > 0 else float("inf")
        else:
            # Results written before waits were recorded: Little's law, mean backlog / mean payments.
            wait = queued.sum() / paid.sum() if paid.sum() > 0 else float("inf")
        m, c5, _, c95 = band(cut)
        rows.append(f"<tr><td>{html.escape(info[pid].name(L))}<br><span class=id>{html.escape(pid)}</span>"
                    f"</td><td>{_m(queued[-1])}</td><td>{wait:.2f}</td><td>{_m(m)}</td><td>{_m(c5)}–{_m(c95)}</td></tr>")
    parts.append(f"<h3>{L('waiting')}</h3>" + table_box(
        f"<table><tr><th>{L('programme')}</th><th>{L('queued end')}</th>"
        f"<th>{L('wait years')}</th><th>{L('forfeited mean')}</th><th>{L('forfeited')} P5–P95</th></tr>"
        f"{''.join(rows)}</table>"))
    return "\n".join(parts)


def _targets_section(ds: xr.Dataset, L: Labels) -> str:
    reached = target_draws(ds)
    n = int(ds.sizes["draw"])
    specs = {t.id: t for t in all_targets()}
    rows = []
    for _, r in target_table(ds).iterrows():
        if r["status"] == "modelled":
            lo, hi = wilson_interval(int(reached[r["id"]].sum()), n)
            nums = (f"<td>{r['p5']:,.0f}</td><td>{r['p50']:,.0f}</td><td>{r['p95']:,.0f}</td>"
                    f"<td>{r['probability']:.0%}</td><td>{lo:.0%}–{hi:.0%}</td>")
        else:
            nums = f"<td colspan=5 class=muted>{L(str(r['status']))}</td>"
        rows.append(f"<tr><td>{html.escape(_target_name(specs, r, L))}<br><span class=id>{html.escape(r['id'])}</span></td>"
                    f"<td>{r['year']}</td><td>{html.escape(_goal(specs, r, L))}</td>{nums}</tr>")
    head = (f"<tr><th>{L('target')}</th><th>{L('year')}</th><th>{L('goal')}</th><th>P5</th><th>P50</th><th>P95</th>"
            f"<th>P({L('reach')})</th><th>95% (Wilson)</th></tr>")
    return f"<h2>{L('targets')}</h2>" + table_box(f"<table>{head}{''.join(rows)}</table>")


#: Group of the assumed amounts of programmes among the scenario sections.
_INSTRUMENTS = "instruments"


def _assumptions_section(info: dict[str, ProgrammeInfo], params: dict[str, str], anchors: dict[str, str],
                         L: Labels) -> str:
    """The assumptions behind flagged numbers, one folded group per scenario section, each folded.

    Programmes with an assumed amount, or with assumptions on how their text is read, form the
    group ``instruments``; assumed parameters are grouped by the first segment of their path
    (``firms``, ``hydrogen`` ...). The text of an assumption is as its file writes it (English).
    """
    if not anchors:
        return ""
    groups: dict[str, list[str]] = {}
    for key, anchor in anchors.items():
        if key in info:
            continue  # programmes are listed below, with their readings of the text
        title = _parameter_html(key, L, info)
        groups.setdefault(key.split(".", 1)[0], []).append(
            f"<details id={anchor}><summary>⚑ {L('assumed parameter')}: {title}</summary>"
            f"<p lang=en>{html.escape(params[key])}</p></details>")
    for pid, p in info.items():
        if not p.assumptions:
            continue
        # A programme flagged for its own stream's parameter links there; its readings have no anchor.
        own = f" id={anchors[pid]}" if p.assumed_amount and pid in anchors else ""
        kind = L("assumed amount") if p.assumed_amount else L("reading")
        title = (f"{html.escape(p.name(L))} <span class=id>{html.escape(p.citation_zh)} · "
                 f"{html.escape(pid)}</span>")
        groups.setdefault(_INSTRUMENTS, []).append(
            f"<details{own}><summary>⚑ {kind}: {title}</summary>"
            f"<p lang=en>{html.escape('; '.join(p.assumptions))}</p></details>")
    order = [_INSTRUMENTS] + [g for g in groups if g != _INSTRUMENTS]
    parts = [f"<h2 id=assumptions>{L('assumptions')}</h2><p class=note>{L('assumptions note')}</p>"]
    for group in (g for g in order if g in groups):
        name = html.escape(L.pick(*section_name(group)))
        parts.append(f"<details class=group><summary><b>{name}</b> ({len(groups[group])})</summary>"
                     f"{''.join(groups[group])}</details>")
    return "\n".join(parts)


def _charts_section(ds: xr.Dataset, L: Labels) -> str:
    """The charts of the run in the report's language, scaled to the page's width."""
    from sim.analysis.plots import chart_images

    images = chart_images(ds, L.lang)
    if not images:
        return ""
    figures = "".join(f"<figure><img alt='{html.escape(stem)}' src='data:image/png;base64,"
                      f"{base64.b64encode(png).decode('ascii')}'></figure>" for stem, png in images)
    return f"<h2 id=charts>{L('plots')}</h2><p class=note>{L('plots note')}</p><div class=charts>{figures}</div>"


def _scaleup_section(ds: xr.Dataset, L: Labels) -> str:
    counts = scaleup_counts(ds)
    if counts.empty:
        return ""
    counts = counts.rename(columns=lambda key: L.pick(*sector_name(str(key))))
    counts.index.name = L.text("year")
    return (f"<h2>{L('scale-up')}</h2><p class=note>P50 [P5–P95].</p>"
            + table_box(counts.to_html(border=0)))


def _anchors(ds: xr.Dataset, info: dict[str, ProgrammeInfo], params: dict[str, str]) -> dict[str, str]:
    """Anchor of every flagged key: programmes with an assumed amount or an assumed parameter of their
    own (a project stream's), and every assumed parameter.
    """
    keys = [pid for pid, p in info.items() if p.assumed_amount]
    keys += [pid for pid in info if pid not in keys and any(f'"{pid}"' in path for path in params)]
    keys += list(params)
    anchors = {k: f"a{i}" for i, k in enumerate(keys)}
    for pid in info:
        if pid in anchors and not info[pid].assumed_amount:
            # The programme's flag leads to its own stream's assumption text.
            own = next(path for path in params if f'"{pid}"' in path)
            anchors[pid] = anchors[own]
    return anchors


def build_report(folder: Path, lang: str | None = None, years: Years = None, years_name: str = "years") -> str:
    """The HTML text of the report of a results folder.

    Parameters
    ----------
    folder : Path
        A folder written by ``sim run``, or by ``sim compare`` (then the comparison report).
    lang : {"zh", "en"}, optional
        One language; default both.
    years : (int, int), optional
        Total the money (summary, programmes, payers, queue) over these years, both included
        (default: the horizon); targets, scale-up and plots keep the horizon. Nothing is re-run.
    years_name : str
        How `years` is named in an error (``--years`` for the command).

    Raises
    ------
    SimError
        If the folder has neither ``results.nc`` nor ``comparison.csv``, or `years` is given for a
        compare folder; :class:`~sim.errors.ArgumentError` if `years` is outside the results' years.
    """
    from sim.analysis.results import open_results

    L = Labels(lang)
    folder = Path(folder)
    if not (folder / "results.nc").is_file() and (folder / "comparison.csv").is_file():
        from sim.analysis.report_compare import build_compare_report

        if years is not None:
            from sim.errors import SimError

            raise SimError(f"{years_name}: {folder} is a `sim compare` folder, totalled over the years it was "
                           f"compared on; run `sim compare ... --years FIRST-LAST` instead")
        return build_compare_report(folder, L)
    ds = open_results(folder)
    chosen = select_years(ds, years, years_name)
    info = _programme_info(ds)
    params = _assumed_parameters(ds)
    anchors = _anchors(ds, info, params)
    years_text = html.escape(_span(chosen))
    body = [
        f"<h1>{L('report')}: {html.escape(str(ds.attrs.get('scenario')))}</h1>",
        _summary(ds, L, info, anchors, chosen),
        _charts_section(ds, L),
        _scenario_section(ds, L),
        f"<h2>{L('exposure by programme')} {years_text}</h2>",
        _money_table(chosen, "program", L, info, anchors),
        _zero_section(ds, L, info),
        f"<h2>{L('exposure by payer')} {years_text}</h2>",
        _money_table(chosen, "payer", L, info, anchors),
        _queue_section(chosen, L, info),
    ]
    body += [_scaleup_section(ds, L), _targets_section(ds, L), _assumptions_section(info, params, anchors, L)]
    return page(f"sim report: {ds.attrs.get('scenario')}", "\n".join(body), lang)


def write_report(folder: Path, lang: str | None = None, years: Years = None, years_name: str = "years") -> Path:
    """Write ``report.html`` into a results (or compare) folder atomically, mode 0644; return its path.

    Raises
    ------
    SimError
        If the folder is not a results folder; :class:`~sim.errors.OutputError` if the report
        cannot be written (disk full, a file-size limit, a read-only folder), leaving no file.
    """
    from sim.runner.staging import write_into_folder

    page = build_report(folder, lang, years, years_name)
    # A report.html that sim did not write (not listed by the folder's marker) is never replaced.
    return write_into_folder(Path(folder), "report.html", lambda tmp: Path(tmp).write_text(page, encoding="utf-8"),
                             flag="sim report")
