"""Hindcast: every observation set against the forecast band of the quantity it measures.

An observation is *inside* when its observed range ``[low, high]`` (or its value) intersects the
band ``[P5, P95]`` of the model quantity over draws; ends are included. It is *not modelled* when
the results lack its variable, dimension, label or year: shown, never scored. Context
observations (national figures, inputs) are shown with the band when the model has one, never
scored. *Coverage* is the share of scored observations inside the band, by role (in sample =
calibration, out of sample = holdout) and year: about 90% if the bands are honest.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from sim.analysis.observations import DEFAULT_OBSERVED, Observation, load_observations, simulated
from sim.analysis.summary import band

__all__ = ["inside_band", "hindcast_table", "coverage_table", "format_hindcast", "format_coverage",
           "hindcast_command", "STATUSES"]

#: Status of a row: scored (inside / outside), shown only (context, not modelled).
STATUSES = ("inside", "outside", "context", "not modelled")
_ROLE_NAMES = {"calibration": "in sample (calibration)", "holdout": "out of sample (holdout)"}


def inside_band(lower: float, upper: float, p5: float, p95: float) -> bool:
    """Whether the observed range ``[lower, upper]`` intersects the band ``[p5, p95]`` (ends included)."""
    return bool(lower <= p95 and upper >= p5)


def _row(ds: xr.Dataset, key: str, obs: Observation) -> dict:
    row = {"id": key, "quantity": obs.quantity, "year": "any" if obs.year is None else obs.year,
           "observed": obs.observed_text(), "value": obs.value, "low": obs.low, "high": obs.high,
           "unit": obs.unit, "p5": np.nan, "p50": np.nan, "p95": np.nan, "inside": pd.NA,
           "status": "not modelled", "role": obs.role, "variable": obs.variable or "",
           "source_short": obs.source_short, "note": ""}
    sim = simulated(ds, obs)
    if sim.values is None:
        row["note"] = sim.reason
        if obs.role == "context":
            row["status"] = "context"
        return row
    _, p5, p50, p95 = band(sim.values)
    row |= {"p5": p5, "p50": p50, "p95": p95}
    if obs.role == "context":
        row |= {"status": "context", "note": "not comparable: listed, not scored"}
        return row
    inside = inside_band(obs.lower, obs.upper, p5, p95)
    row |= {"inside": inside, "status": "inside" if inside else "outside"}
    return row


def hindcast_table(ds: xr.Dataset, observations: dict[str, Observation]) -> pd.DataFrame:
    """One row per observation: observed, P5/P50/P95 of the model quantity, inside?, status, role."""
    return pd.DataFrame([_row(ds, key, obs) for key, obs in observations.items()])


def coverage_table(table: pd.DataFrame) -> pd.DataFrame:
    """Share of scored observations inside the band, by role and year, with a row ``all`` per role."""
    scored = table[table["status"].isin(["inside", "outside"])]
    rows = []
    for role in ("calibration", "holdout"):
        sub = scored[scored["role"] == role]
        groups = [(str(y), g) for y, g in sub.groupby(sub["year"].astype(str), sort=True)] + [("all", sub)]
        for year, g in groups:
            n, k = len(g), int((g["status"] == "inside").sum())
            rows.append({"role": role, "year": year, "scored": n, "inside": k,
                         "coverage": k / n if n else np.nan})
    return pd.DataFrame(rows, columns=["role", "year", "scored", "inside", "coverage"])


def _num(x: float) -> str:
    if x != x:
        return ""
    return f"{x:,.4g}" if abs(x) < 1e7 else f"{x:.3g}"


def format_hindcast(table: pd.DataFrame) -> str:
    """The hindcast table as text for the terminal."""
    head = (f"  {'id':40s} {'quantity':40s} {'year':>4s} {'observed':>17s} {'P5':>9s} {'P50':>9s} {'P95':>9s} "
            f"{'inside?':>12s} role")
    lines = [head]
    for _, r in table.iterrows():
        shown = {"inside": "yes", "outside": "NO", "context": "n/s"}.get(r["status"], "not modelled")
        lines.append(f"  {r['id'][:40]:40s} {r['quantity'][:40]:40s} {str(r['year']):>4s} {r['observed'][:17]:>17s} "
                     f"{_num(r['p5']):>9s} {_num(r['p50']):>9s} {_num(r['p95']):>9s} {shown:>12s} {r['role']}"
                     + (f"  ({r['note']})" if r["status"] == "not modelled" else ""))
    return "\n".join(lines)


def format_coverage(coverage: pd.DataFrame) -> str:
    """Coverage by role and year as text (``-`` where nothing is scored)."""
    lines = ["coverage: share of scored observations inside the P5-P95 band (about 90% if the bands are honest)"]
    for role, g in coverage.groupby("role", sort=False):
        parts = [f"{r['year']}: {r['inside']}/{r['scored']}" + (f" ({r['coverage']:.0%})" if r["scored"] else "")
                 for _, r in g.iterrows() if r["scored"] or r["year"] == "all"]
        lines.append(f"  {_ROLE_NAMES[str(role)]:26s} " + "   ".join(parts))
    return "\n".join(lines)


def _write_csv_atomic(table: pd.DataFrame, path: Path) -> None:
    """Write `path` into its results folder under the marker rules: a same-named file sim did not write stays."""
    from sim.runner.staging import write_into_folder

    write_into_folder(path.parent, path.name, lambda tmp: table.to_csv(tmp, index=False), flag="sim hindcast")


def hindcast_command(args) -> int:
    """``sim hindcast``: print the table and coverage; write ``hindcast.csv`` (and ``hindcast_coverage.csv``).

    A results folder without ``--out`` gets the files beside its ``results.nc`` (each written to a
    staging file, then renamed); otherwise the files go to ``--out`` (default
    ``results/<name>-hindcast``), staged as a folder and renamed into place.
    """
    from sim.analysis.compare import load_or_run, read_inputs
    from sim.runner.staging import check_not_input, staged_folder

    observed = Path(args.observed or DEFAULT_OBSERVED)
    [source], inputs = read_inputs([args.scenario])
    if args.out is not None:
        check_not_input(args.out, inputs + [observed])  # before any work
    observations = load_observations(observed)
    ds = load_or_run(source, args.draws, args.seed, args.workers)
    table = hindcast_table(ds, observations)
    coverage = coverage_table(table)
    print(format_hindcast(table))
    print(format_coverage(coverage))
    if args.scenario.is_dir() and args.out is None:
        out = args.scenario
        _write_csv_atomic(table, out / "hindcast.csv")
        _write_csv_atomic(coverage, out / "hindcast_coverage.csv")
    else:
        out = args.out or Path("results") / f"{ds.attrs.get('scenario', 'scenario')}-hindcast"
        with staged_folder(out, args.force, protect=inputs + [observed]) as staging:
            table.to_csv(staging / "hindcast.csv", index=False)
            coverage.to_csv(staging / "hindcast_coverage.csv", index=False)
    print(f"hindcast written to {out}/hindcast.csv", file=sys.stdout)
    return 0
