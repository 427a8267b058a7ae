"""Write docs/drivers.csv: the drawn parameters that move a forecast output by more than a share of its band.

A parameter is a *driver* of an output when its Morris ``mu_star`` (the mean absolute elementary
effect over the parameter's whole prior range, from ``sim sensitivity --method morris``) exceeds
``--threshold`` (default 0.1) of the output's P5-P95 band in a baseline ensemble (``sim run``).
Each driver is listed with how its value is backed:

- ``fitted``: a column of the shipped posterior sample (``calibration/fitted_baseline.posterior.csv``);
- ``source``: its note (``sim parameters``) is a source;
- ``assumption-searched``: an assumption whose note records a search (contains "Searched");
- ``assumption-unsearched``: none of these; ``tests/scenario/test_driver_notes.py`` fails on it.

Usage (from the repository root; see docs/drivers.md for the commands that make the inputs)::

    python docs/drivers.py --sensitivity results/baseline-morris/sensitivity.csv \
        --results results/baseline-200 [--threshold 0.1] [--out docs/drivers.csv]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
POSTERIOR = ROOT / "calibration" / "fitted_baseline.posterior.csv"
SCENARIO = ROOT / "scenarios" / "baseline.toml"
SEARCHED = "Searched"


def bands(results: Path, outputs: list[str]) -> dict[str, float]:
    """P95 - P5 of each output over the draws of a results folder, as `sim sensitivity` defines the outputs."""
    from sim.analysis.results import open_results
    from sim.analysis.selection import select_outputs

    ds = open_results(results)
    return {o.label: float(np.percentile(o.values, 95) - np.percentile(o.values, 5))
            for o in select_outputs(ds, outputs)}


def statuses(parameters: list[str]) -> dict[str, str]:
    """How each parameter (named as in sensitivity.csv, without quotes) is backed."""
    from sim.scenario.loader import load_scenario
    from sim.scenario.provenance import list_parameters

    fitted = set(pd.read_csv(POSTERIOR, nrows=0).columns)
    notes = {p.dotted.replace('"', ""): p.note for p in list_parameters(load_scenario(SCENARIO).scenario)}
    out = {}
    for name in parameters:
        note = notes.get(name)
        if name in fitted:
            out[name] = "fitted"
        elif note is not None and note.kind == "source":
            out[name] = "source"
        elif note is not None and SEARCHED in note.text:
            out[name] = "assumption-searched"
        else:
            out[name] = "assumption-unsearched"
    return out


def drivers(sensitivity: Path, results: Path, threshold: float) -> pd.DataFrame:
    """One row per (parameter, output) whose mu_star exceeds `threshold` of the output's band."""
    s = pd.read_csv(sensitivity)
    s = s[s["index"] == "mu_star"]
    band = bands(results, sorted(s["output"].unique()))
    s = s.assign(mu_star_share_of_band=s["value"] / s["output"].map(band))
    big = s[s["mu_star_share_of_band"] > threshold].copy()
    status = statuses(sorted(big["parameter"].unique()))
    big["status"] = big["parameter"].map(status)
    big["mu_star_share_of_band"] = big["mu_star_share_of_band"].round(3)
    return (big[["parameter", "output", "mu_star_share_of_band", "status"]]
            .sort_values(["parameter", "output"]).reset_index(drop=True))


def main(argv: list[str] | None = None) -> int:
    """Write the table; exit 1 if a driver has no source, fit or recorded search."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sensitivity", type=Path, required=True, help="sensitivity.csv of a Morris analysis")
    ap.add_argument("--results", type=Path, required=True, help="results folder of a baseline `sim run`")
    ap.add_argument("--threshold", type=float, default=0.1, help="share of the P5-P95 band (default 0.1)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "drivers.csv")
    args = ap.parse_args(argv)
    table = drivers(args.sensitivity, args.results, args.threshold)
    table.to_csv(args.out, index=False)
    print(f"{args.out}: {len(table)} rows, {table['parameter'].nunique()} parameters")
    bad = table[table["status"] == "assumption-unsearched"]["parameter"].unique()
    for p in bad:
        print(f"  no source, fit or recorded search: {p}", file=sys.stderr)
    return 1 if len(bad) else 0


if __name__ == "__main__":
    sys.exit(main())
