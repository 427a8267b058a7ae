"""Compare scenarios: headline quantities side by side and their differences, with bands.

Scenarios run with the same seed share their random numbers draw by draw (common random numbers),
so the difference to the first scenario is computed per draw and its bands are those of the
paired differences: much tighter than the difference of two independent bands.

``years=(FIRST, LAST)`` (``sim compare --years FIRST-LAST``) totals over those years of each
result ("last year" and "at horizon end" are LAST); the column ``years`` of ``comparison.csv``
says which. Nothing is re-run for it: result folders are read as they are.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from sim.analysis.summary import Years, band, select_years, share_positive, years_label
from sim.errors import SimError

__all__ = ["METRICS", "PROGRAMME_PREFIX", "programme_table", "metric_table", "compare_datasets", "compare_command", "load_or_run"]


def _total(name: str, pv: bool = False, select: str | None = None) -> Callable[[xr.Dataset], np.ndarray | None]:
    def f(ds: xr.Dataset):
        if name not in ds:
            return None
        da = ds[name]
        if select is not None:
            keep = [p for p in ds["program"].values if str(p).startswith(select)]
            if not keep:
                return np.zeros(ds.sizes["draw"])
            da = da.sel(program=keep)
        if pv:
            da = da * ds["discount_factor"]
        return da.sum([d for d in da.dims if d != "draw"]).values

    return f


def _last_year(name: str) -> Callable[[xr.Dataset], np.ndarray | None]:
    def f(ds: xr.Dataset):
        if name not in ds:
            return None
        da = ds[name].isel(year=-1)
        return da.sum([d for d in da.dims if d != "draw"]).values if da.ndim > 1 else da.values

    return f


def _mean_over_years(name: str) -> Callable[[xr.Dataset], np.ndarray | None]:
    def f(ds: xr.Dataset):
        return ds[name].mean("year", skipna=True).values if name in ds else None

    return f


#: Headline quantities: label, unit, per-draw function of a results dataset.
METRICS: list[tuple[str, str, Callable]] = [
    ("fiscal outlay, all programmes", "million CNY", _total("outlay")),
    ("fiscal outlay, all programmes (PV)", "million CNY", _total("outlay", pv=True)),
    ("outlay hydrogen.13 (stations)", "million CNY", _total("outlay", select="hydrogen.13.")),
    ("outlay hydrogen (all D7)", "million CNY", _total("outlay", select="hydrogen.")),
    ("outlay scaleup (D8)", "million CNY", _total("outlay", select="scaleup.")),
    ("outlay software (D5)", "million CNY", _total("outlay", select="software.")),
    ("unpaid at horizon end", "million CNY", _last_year("unpaid")),
    ("firms above size, last year", "firms", _last_year("firms_above_size")),
    ("firms upscaled, all years", "firms", _total("upscaled")),
    ("stations operating, last year", "stations", _last_year("stations_operating")),
    ("fuel-cell fleet, last year", "vehicles", _last_year("fcv_fleet")),
    ("hydrogen sold, all years", "t", _total("h2_sold_kg")),
    ("mean H2 price over years", "CNY/kg", _mean_over_years("h2_price_mean")),
]
_SCALE = {"million CNY": 1e-6, "t": 1e-3}


def metric_table(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """Per-draw values of every headline quantity the dataset has, in display units."""
    out = {}
    for label, unit, f in METRICS:
        v = f(ds)
        if v is not None:
            out[label] = np.asarray(v, dtype=np.float64) * _SCALE.get(unit, 1.0)
    return out


#: Prefix of the per-programme rows of the comparison (quantity ``outlay by programme: <id>``).
PROGRAMME_PREFIX = "outlay by programme: "


def programme_table(ds: xr.Dataset, programs: list[str]) -> dict[str, np.ndarray]:
    """Per-draw outlay over the horizon of each of `programs` (0 where the run lacks it), million CNY."""
    have = {str(p) for p in ds["program"].values}
    total = ds["outlay"].sum("year")
    return {PROGRAMME_PREFIX + p: (total.sel(program=p).values if p in have else np.zeros(ds.sizes["draw"])) * 1e-6
            for p in programs}


def compare_datasets(datasets: list[xr.Dataset], years: Years = None, years_name: str = "years") -> pd.DataFrame:
    """Bands of each quantity per scenario and of its difference to the first scenario.

    The quantities are the headline ones of :data:`METRICS` (``group`` = ``headline``) and the
    outlay of every programme in force in any of the scenarios (``group`` = ``programme``).
    `years` (FIRST, LAST) totals over those years of every dataset (each must hold them; "last
    year" is LAST); default: each one's horizon. The column ``years`` says which (``FIRST-LAST``).
    """
    datasets = [select_years(ds, years, years_name) for ds in datasets]
    programs = list(dict.fromkeys(str(p) for ds in datasets for p in ds["program"].values))
    tables = [metric_table(ds) | programme_table(ds, programs) for ds in datasets]
    units = {label: unit for label, unit, _ in METRICS} | {PROGRAMME_PREFIX + p: "million CNY" for p in programs}
    ref = tables[0]
    rows = []
    for ds, tab in zip(datasets, tables, strict=False):
        paired = ds.attrs.get("seed") == datasets[0].attrs.get("seed") and ds.sizes["draw"] == datasets[0].sizes["draw"]
        for label, values in tab.items():
            mean, p5, p50, p95 = band(values)
            row = {"scenario": ds.attrs.get("scenario", "?"), "years": years_label(ds),
                   "group": "programme" if label.startswith(PROGRAMME_PREFIX) else "headline",
                   "quantity": label, "unit": units[label], "draws": int(ds.sizes["draw"]),
                   "mean": mean, "p5": p5, "p50": p50, "p95": p95, "p_positive": share_positive(values)}
            if label in ref:
                diff = values - ref[label] if paired else np.array([np.nanmean(values) - np.nanmean(ref[label])])
                d_mean, d5, d50, d95 = band(diff)
                row |= {"diff_mean": d_mean, "diff_p5": d5, "diff_p50": d50, "diff_p95": d95, "paired": paired}
            rows.append(row)
    return pd.DataFrame(rows)


def _format(df: pd.DataFrame) -> str:
    lines = []
    scenarios = list(dict.fromkeys(df["scenario"]))
    head = scenarios[0]
    spans = list(dict.fromkeys(df["years"])) if "years" in df else []
    if spans:
        lines.append(f"totals over {', '.join(map(str, spans))}")
    # Means, not medians: an all-or-nothing programme's median jumps between 0 and its full amount.
    for quantity in dict.fromkeys(df.loc[df["group"] == "headline", "quantity"]):
        sub = df[df["quantity"] == quantity]
        lines.append(f"{quantity} ({sub['unit'].iloc[0]})")
        for _, r in sub.iterrows():
            text = f"  {r['scenario'][:28]:28s} mean {r['mean']:14,.2f}  [P5 {r['p5']:14,.2f}, P95 {r['p95']:14,.2f}]"
            if r["scenario"] != head and not np.isnan(r.get("diff_mean", np.nan)):
                text += f"   vs {head}: mean {r['diff_mean']:+,.2f} [P5 {r['diff_p5']:+,.2f}, P95 {r['diff_p95']:+,.2f}]"
            lines.append(text)
    lines.append("per-programme outlays and their paired differences: comparison.csv, `sim report` on this folder")
    return "\n".join(lines)


def read_inputs(paths: list[Path]) -> tuple[list, list[Path]]:
    """Load each scenario file (results folders stay paths); return them and every input they read.

    The inputs (results folders, scenario files, their ``extends`` chains, CSVs and documents) are
    what an output folder may not be, hold or lie inside.
    """
    from sim.scenario.loader import input_files, load_scenario

    sources: list = []
    inputs: list[Path] = []
    for path in paths:
        if path.is_dir():
            sources.append(path)
            inputs.append(path)
        else:
            loaded = load_scenario(path)
            sources.append(loaded)
            inputs += input_files(loaded)
    return sources, inputs


def load_or_run(path, draws: int | None, seed: int | None, workers: int, quiet: bool = True) -> xr.Dataset:
    """Results of a scenario: read from a results folder, or run a scenario file (or a loaded one) in memory.

    A run prints its progress on a terminal unless `quiet`.
    """
    from sim.runner.progress import Progress
    from sim.runner.run import run_scenario
    from sim.scenario.loader import LoadedScenario, load_scenario

    if isinstance(path, Path) and path.is_dir():
        from sim.analysis.results import open_results

        return open_results(path)
    loaded = path if isinstance(path, LoadedScenario) else load_scenario(path)
    n_draws = draws or loaded.scenario.ensemble.draws
    progress = Progress(f"draws of {loaded.scenario.name}", quiet=quiet)
    progress(0, n_draws)
    return run_scenario(loaded, draws, seed, workers, progress=progress)


def compare_command(args) -> int:
    """``sim compare``: print the comparison and write ``comparison.csv`` atomically."""
    from sim.runner.staging import staged_folder

    if len(args.scenario) < 2:
        raise SimError("sim compare: give at least two scenario files or result folders")
    out = args.out or Path("results") / "compare"
    sources, inputs = read_inputs(list(args.scenario))
    years = None
    if getattr(args, "years", None) is not None:
        from sim.arguments import parse_years
        from sim.scenario.loader import LoadedScenario

        # Checked against each scenario's horizon before anything runs; result folders when read.
        for source in sources:
            if isinstance(source, LoadedScenario):
                years = parse_years(args.years, [int(y) for y in source.policy.years])
        if years is None:
            years = args.years
    with staged_folder(out, args.force, protect=inputs) as staging:
        datasets = [load_or_run(p, args.draws, args.seed, args.workers, getattr(args, "quiet", False))
                    for p in sources]
        names = [ds.attrs.get("scenario") for ds in datasets]
        if len(set(names)) != len(names):
            raise SimError(f"sim compare: scenario names repeat ({', '.join(map(str, names))}); "
                           "give each a distinct `name`")
        df = compare_datasets(datasets, years, "--years")
        print(_format(df))
        df.to_csv(staging / "comparison.csv", index=False)
    print(f"comparison written to {out}/comparison.csv", file=sys.stdout)
    return 0
