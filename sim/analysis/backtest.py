"""Rolling-origin backtests: refit on the observations up to an origin, forecast the later ones, score.

``sim hindcast SCENARIO --origin YEAR`` reruns the calibration (``calibration/baseline.toml`` by
default) with only the targets observed up to YEAR (``fit_until_year = YEAR``), runs the refitted
scenario, and sets every later scored observation (calibration or holdout, one with a value or a
two-sided range: its point) against the 90% band (P5-P95) of the forecast. Each forecast is
scored with the interval score of the central 90% interval (Gneiting and Raftery 2007, eq. 43)::

    IS(l, u; y) = (u - l) + (2 / a) (l - y) 1{y < l} + (2 / a) (y - u) 1{y > u},   a = 0.1

lower is better: a narrow band that holds the observation. The same observations are scored for
two naive forecasts built from the same series observed up to the origin (the observations of
the same model quantity: variable, selection, reduction), each with a band from the series' own
year-on-year changes:

* **persistence**: the last observed value; band ± h x the largest yearly change seen;
* **trend**: the line through the two last observed years, extended h years; same band;

``h`` is the years from the last observation to the forecast year. An observation whose series has
fewer than two earlier points has no naive forecast and is left out of the ratios (shown in the
table). The ratio model / naive is that of the mean interval scores over the observations both
forecasts score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from sim.analysis.observations import Observation, simulated
from sim.analysis.summary import band

__all__ = ["ALPHA", "interval_score", "NaiveForecast", "naive_forecasts", "backtest_table", "skill_summary",
           "format_backtest", "refit_until", "backtest_command"]

#: The interval scored: the central 1 - ALPHA of the forecast (P5-P95).
ALPHA = 0.1


def interval_score(lower: float, upper: float, observed: float, alpha: float = ALPHA) -> float:
    """Interval score of the central ``1 - alpha`` interval ``[lower, upper]`` for an observed value.

    ``(u - l) + 2/alpha (l - y) if y < l + 2/alpha (y - u) if y > u`` (Gneiting and Raftery 2007):
    the width, plus a penalty of ``2/alpha`` per unit the observation falls outside.
    """
    score = upper - lower
    if observed < lower:
        score += 2.0 / alpha * (lower - observed)
    elif observed > upper:
        score += 2.0 / alpha * (observed - upper)
    return float(score)


@dataclass(frozen=True)
class NaiveForecast:
    """A naive forecast's point and band for one observation (NaN when its series is too short)."""

    point: float
    lower: float
    upper: float


_NONE = NaiveForecast(math.nan, math.nan, math.nan)


def _series_key(obs: Observation) -> tuple:
    return (obs.variable, tuple(sorted((k, str(v)) for k, v in obs.select.items())), obs.reduce, obs.transform)


def naive_forecasts(target: Observation, history: list[Observation]) -> tuple[NaiveForecast, NaiveForecast]:
    """Persistence and linear-trend forecasts of `target` from earlier observations of its series.

    Parameters
    ----------
    target : Observation
        The observation forecast (a year and a point value).
    history : list of Observation
        Observations of the same series before the origin, with a year and a point value.

    Returns
    -------
    persistence, trend : NaiveForecast
        NaN everywhere when the series has fewer than two earlier points (no change to size the
        band, no line to extend).
    """
    points: dict[int, float] = {}
    for obs in history:
        if obs.year is not None and obs.point is not None:
            points[int(obs.year)] = float(obs.point)
    years = sorted(points)
    if len(years) < 2 or target.year is None:
        return _NONE, _NONE
    changes = [(points[b] - points[a]) / (b - a) for a, b in zip(years, years[1:], strict=False)]
    spread = max(abs(c) for c in changes)
    last = years[-1]
    h = int(target.year) - last
    level = points[last]
    slope = changes[-1]
    trend = level + h * slope
    return (NaiveForecast(level, level - h * spread, level + h * spread),
            NaiveForecast(trend, trend - h * spread, trend + h * spread))


def backtest_table(ds: xr.Dataset, observations: dict[str, Observation], origin: int) -> pd.DataFrame:
    """One row per scored observation after `origin`: the model's band and the naive forecasts, with scores.

    Scored: a calibration or holdout observation with a year after `origin`, a point value (a
    value or a two-sided range) and a model quantity in the results.
    """
    series: dict[tuple, list[Observation]] = {}
    for obs in observations.values():
        if obs.role != "context" and obs.year is not None and obs.year <= origin and obs.point is not None:
            series.setdefault(_series_key(obs), []).append(obs)
    rows = []
    for key, obs in observations.items():
        if obs.role == "context" or obs.year is None or obs.year <= origin or obs.point is None:
            continue
        sim = simulated(ds, obs)
        if sim.values is None:
            continue
        _, p5, p50, p95 = band(sim.values)
        y = float(obs.point)
        persistence, trend = naive_forecasts(obs, series.get(_series_key(obs), []))
        row = {"id": key, "quantity": obs.quantity, "year": int(obs.year), "observed": y, "unit": obs.unit,
               "role": obs.role, "p5": p5, "p50": p50, "p95": p95, "inside": bool(p5 <= y <= p95),
               "score_model": interval_score(p5, p95, y)}
        for name, f in (("persistence", persistence), ("trend", trend)):
            row |= {f"{name}": f.point, f"{name}_low": f.lower, f"{name}_high": f.upper,
                    f"score_{name}": interval_score(f.lower, f.upper, y) if f.point == f.point else math.nan}
        rows.append(row)
    columns = ["id", "quantity", "year", "observed", "unit", "role", "p5", "p50", "p95", "inside", "score_model",
               "persistence", "persistence_low", "persistence_high", "score_persistence", "trend", "trend_low",
               "trend_high", "score_trend"]
    return pd.DataFrame(rows, columns=columns)


def skill_summary(table: pd.DataFrame, origin: int) -> dict[str, float]:
    """Coverage of the model's band and its mean interval score against each naive forecast.

    The ratios are taken over the observations both forecasts score (a naive forecast needs two
    earlier points of the series); below 1 the model is the better forecast.
    """
    out: dict[str, float] = {"origin": origin, "scored": len(table),
                             "inside": int(table["inside"].sum()) if len(table) else 0}
    out["coverage"] = out["inside"] / out["scored"] if out["scored"] else math.nan
    out["mean_score_model"] = float(table["score_model"].mean()) if len(table) else math.nan
    for name in ("persistence", "trend"):
        both = table[table[f"score_{name}"].notna()]
        out[f"compared_{name}"] = len(both)
        model, naive = both["score_model"].mean(), both[f"score_{name}"].mean()
        out[f"mean_score_{name}"] = float(naive) if len(both) else math.nan
        out[f"ratio_{name}"] = float(model / naive) if len(both) and naive > 0 else math.nan
    return out


def _num(x: float) -> str:
    if x != x:
        return "-"
    return f"{x:,.4g}" if abs(x) < 1e7 else f"{x:.3g}"


def format_backtest(table: pd.DataFrame, summary: dict[str, float]) -> str:
    """The backtest as text: each observation, then coverage and the skill ratios."""
    origin = int(summary["origin"])
    lines = [f"backtest from origin {origin}: fitted on observations up to {origin}, forecast after it",
             f"  {'id':36s} {'year':>4s} {'observed':>10s} {'P5':>10s} {'P95':>10s} {'inside':>6s} "
             f"{'IS model':>10s} {'IS persist':>10s} {'IS trend':>10s}"]
    for _, r in table.iterrows():
        lines.append(f"  {r['id'][:36]:36s} {r['year']:>4d} {_num(r['observed']):>10s} {_num(r['p5']):>10s} "
                     f"{_num(r['p95']):>10s} {'yes' if r['inside'] else 'NO':>6s} {_num(r['score_model']):>10s} "
                     f"{_num(r['score_persistence']):>10s} {_num(r['score_trend']):>10s}")
    s = summary
    lines.append(f"coverage of the 90% band: {s['inside']}/{s['scored']}"
                 + (f" ({s['coverage']:.0%})" if s["scored"] else ""))
    for name in ("persistence", "trend"):
        n = s[f"compared_{name}"]
        lines.append(f"interval score, model / {name}: " + (f"{s[f'ratio_{name}']:.2f} over {n} observation(s) "
                     "(below 1: the model forecasts better)" if n else "no observation has two earlier points"))
    lines.append("interval score: the band's width plus 20 x the distance by which the observation misses it "
                 "(Gneiting and Raftery 2007); an observation without two earlier points has no naive forecast")
    return "\n".join(lines)


def _value_at(model, path: str):
    """The value of a dotted key in a validated scenario (attributes, then table keys)."""
    value = model
    for part in path.split("."):
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    return value


def _inline_toml(value) -> str:
    """A parameter's value (a number or a distribution) as an inline TOML value."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(exclude_none=True)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_inline_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def refit_until(config_path: Path, origin: int, scenario_path: Path, out: Path) -> Path:
    """Refit a calibration on its targets observed up to `origin`; write `scenario_path` with the refit to `out`.

    The calibration runs on its own prior scenario, with ``fit_until_year = origin`` and only the
    targets of years up to it. The file written extends `scenario_path` and sets every fitted
    parameter: the refit where the targets identify it, its prior where they do not (or where no
    target is observed by the origin), so that nothing learnt from later years stays in the
    forecast. Returns `out`.
    """
    import os

    import sim
    from sim.analysis.calibration import calibrate, load_calibration, write_fitted_scenario
    from sim.runner.staging import write_text_file

    config, prior_path = load_calibration(config_path)
    prior = sim.load_scenario(prior_path).scenario
    keep = [i for i, t in enumerate(config.target) if t.year is None or t.year <= origin]
    name = f"refit_until_{origin}"
    priors = {p.path: _inline_toml(_value_at(prior, p.path)) for p in config.parameter}
    if not keep and config.method == "abc-smc":
        _write_prior_sample(config, prior_path, scenario_path, out, name, str(config_path))
        return out
    if not keep:
        rel = os.path.relpath(scenario_path, out.parent.resolve())
        lines = [f"# No target of {config_path.name} is observed by {origin}: every fitted parameter at its prior.",
                 f'extends = "{rel}"', f'name = "{name}"', ""] + [f"{k} = {v}" for k, v in priors.items()]
        write_text_file(out, "\n".join(lines) + "\n")
        return out
    refit = config.model_copy(update={"target": [config.target[i] for i in keep], "fit_until_year": origin})
    refit._entries = [config.entry_of(i) for i in keep]
    result = calibrate(refit, prior_path, str(config_path))
    write_fitted_scenario(out, scenario_path, name, result, refit)
    # A posterior sample is the whole answer: a parameter the data did not move keeps its prior's spread in it.
    unidentified = [] if result.posterior is not None else [f"{path} = {priors[path]}" for path in result.not_identified]
    if unidentified:
        with out.open("a", encoding="utf-8") as f:
            f.write("# Not identified by the targets up to the origin: at their priors.\n" + "\n".join(unidentified)
                    + "\n")
    return out


def _write_prior_sample(config, prior_path: Path, scenario_path: Path, out: Path, name: str, source: str) -> None:
    """No target is observed by the origin: the 'posterior' is the prior, as a sample the scenario draws from."""
    import os

    import sim
    from sim.analysis.calibration_abc import _priors, posterior_path
    from sim.runner.staging import write_text_file

    priors = _priors(config, sim.load_scenario(prior_path).scenario, source)
    rng = np.random.default_rng(config.seed or 0)
    n = config.population
    values = np.column_stack([p.sample((rng.permutation(n) + rng.random(n)) / n) for p in priors])
    csv_path = posterior_path(out)
    write_text_file(csv_path, ",".join(p.name for p in priors) + "\n"
                    + "\n".join(",".join(repr(float(v)) for v in row) for row in values) + "\n")
    rel = os.path.relpath(scenario_path, out.parent.resolve())
    write_text_file(out, f"# No target of the calibration is observed by the origin: a sample of the priors.\n"
                         f'extends = "{rel}"\nname = "{name}"\n\n[calibration]\nposterior_csv = "{csv_path.name}"\n')


def backtest_command(args) -> int:
    """``sim hindcast SCENARIO --origin YEAR``: refit, forecast, score against naive forecasts; write CSVs and a chart."""
    import sys

    import sim
    from sim.analysis.calibration import load_calibration
    from sim.analysis.observations import DEFAULT_OBSERVED, load_observations
    from sim.errors import SimError
    from sim.runner.staging import check_not_input, staged_folder
    from sim.scenario.loader import input_files

    observed = Path(args.observed or DEFAULT_OBSERVED)
    observations = load_observations(observed)
    config_path = Path(args.calibration)
    if not config_path.is_file():
        raise SimError(f"sim hindcast: --calibration {config_path}: no such calibration file")
    config, prior_path = load_calibration(config_path)
    # Everything read: the scenario's chain, the calibration, its prior's chain and both observation files.
    inputs = (list(input_files(sim.load_scenario(args.scenario))) + list(input_files(sim.load_scenario(prior_path)))
              + [config_path, config_path.parent / config.observed_file, observed])
    out = args.out or Path("results") / f"backtest-{'-'.join(str(o) for o in args.origin)}"
    check_not_input(out, inputs)  # before any work
    summaries = []
    tables = []
    with staged_folder(out, args.force, protect=inputs) as staging:
        for origin in args.origin:
            # The refitted file extends the scenario by a path relative to where it is written; it
            # stays beside the results so that the forecast can be run again.
            fitted = refit_until(config_path, origin, args.scenario.resolve(), staging / f"refit_until_{origin}.toml")
            ds = sim.run(sim.load_scenario(fitted), draws=args.draws, seed=args.seed, workers=args.workers)
            table = backtest_table(ds, observations, origin)
            table.insert(0, "origin", origin)
            summary = skill_summary(table, origin)
            print(format_backtest(table, summary))
            tables.append(table)
            summaries.append(summary)
        every = pd.concat(tables, ignore_index=True)
        every.to_csv(staging / "backtest.csv", index=False)
        pd.DataFrame(summaries).to_csv(staging / "backtest_skill.csv", index=False)
        _plot(every, staging / "backtest.png")
    print(f"backtest written to {out}/ (backtest.csv, backtest_skill.csv, backtest.png, refit_until_*.toml)",
          file=sys.stdout)
    return 0


def _plot(table: pd.DataFrame, path: Path) -> None:
    """Interval scores of the model and the naive forecasts, observation by observation.

    Each score is divided by the observed value, so that counts, prices and revenues share an axis.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.analysis.plots import tight_layout

    fig, ax = plt.subplots(figsize=(9, 0.45 * max(len(table), 2) + 1.5))
    labels = [f"{r['id']} ({r['origin']})" for _, r in table.iterrows()]
    y = np.arange(len(table))
    for k, (name, colour) in enumerate((("model", "tab:blue"), ("persistence", "tab:orange"), ("trend", "tab:green"))):
        relative = table[f"score_{name}"].astype(float) / table["observed"].astype(float).abs()
        ax.barh(y + (k - 1) * 0.27, relative, height=0.27, color=colour, label=name)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("interval score of the 90% band / observed value\n(lower is better; no bar: no naive forecast)")
    ax.legend(loc="lower right", fontsize=8)
    ax.invert_yaxis()
    tight_layout(fig)
    fig.savefig(path, dpi=110)
    plt.close(fig)
