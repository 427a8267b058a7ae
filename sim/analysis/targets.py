"""Targets for 2025: the gazette's (D2, D4, D6) and Beijing's plans', against the forecasts.

A target is *modelled* when the results hold a variable of the same name as its quantity, with a
``year`` dimension covering the target year; then the table gives the distribution of the
quantity over draws and the probability of reaching the target (the share of draws meeting the
comparison). Targets the model does not forecast are listed as "not modelled", never given a
number.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd
import xarray as xr

from sim.analysis.summary import band
from sim.policy.gazette import load_gazette

__all__ = ["TargetSpec", "all_targets", "reached_by_draw", "target_table", "format_target_table", "target_draws",
           "wilson_interval", "joint_probability", "PLAN_PREFIX", "Z_95"]

#: Ids of the city-plan targets (``plans.toml``) start so.
PLAN_PREFIX = "plan."
#: Two-sided 95% normal quantile, for the Wilson interval.
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class TargetSpec:
    """A quantified goal: quantity, comparison, value and year, with where it comes from."""

    id: str
    name: str
    year: int
    quantity: str
    comparison: str
    value: float
    unit: str
    source: str
    name_zh: str = ""


@functools.lru_cache(maxsize=1)
def all_targets() -> tuple[TargetSpec, ...]:
    """Gazette targets (cited by document, item and line) then plan targets (cited by source)."""
    out = [
        TargetSpec(t.id, t.name, t.year, t.quantity, t.comparison, t.value, t.unit, str(t.citation),
                   t.name_zh)
        for t in load_gazette().targets.values()
    ]
    plans = tomllib.loads((resources.files("sim.policy") / "plans.toml").read_text(encoding="utf-8"))
    for t in plans["target"]:
        out.append(TargetSpec(t["id"], t["name"], t["year"], t["quantity"], t["comparison"], t["value"],
                              t["unit"], t["source"], t.get("name_zh", "")))
    return tuple(out)


def _reached(values: np.ndarray, comparison: str, target: float) -> np.ndarray:
    return values > target if comparison == ">" else values >= target


def _quantity_at(ds: xr.Dataset, t: TargetSpec) -> np.ndarray:
    """The target's quantity in its year, per draw (summed over any other dimension)."""
    da = ds[t.quantity].sel(year=t.year)
    extra = [d for d in da.dims if d != "draw"]
    return (da.sum(extra) if extra else da).values.astype(np.float64)


def reached_by_draw(ds: xr.Dataset, t: TargetSpec) -> np.ndarray:
    """Whether each draw reaches the target (booleans over ``draw``).

    Raises
    ------
    KeyError
        If the results do not hold the target's quantity or year (see :func:`target_table`).
    """
    return _reached(_quantity_at(ds, t), t.comparison, t.value)


def target_table(ds: xr.Dataset) -> pd.DataFrame:
    """One row per target: status, P5/P50/P95 of the quantity and the probability of reaching it.

    ``status`` is ``modelled``, ``not modelled`` (no such forecast) or ``outside horizon``.
    """
    rows = []
    years = set(int(y) for y in ds["year"].values)
    for t in all_targets():
        row = {"id": t.id, "name": t.name, "year": t.year, "target": f"{t.comparison} {t.value:,.0f} {t.unit}",
               "status": "not modelled", "p5": np.nan, "p50": np.nan, "p95": np.nan, "probability": np.nan}
        if t.quantity in ds and "year" in ds[t.quantity].dims:
            if t.year not in years:
                row["status"] = "outside horizon"
            else:
                values = _quantity_at(ds, t)
                _, p5, p50, p95 = band(values)
                row |= {"status": "modelled", "p5": p5, "p50": p50, "p95": p95,
                        "probability": float(np.mean(_reached(values, t.comparison, t.value)))}
        rows.append(row)
    return pd.DataFrame(rows)


def target_draws(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """Per draw, whether each modelled target is reached (a boolean array over ``draw`` by target id)."""
    years = set(int(y) for y in ds["year"].values)
    out = {}
    for t in all_targets():
        if t.quantity in ds and "year" in ds[t.quantity].dims and t.year in years:
            out[t.id] = reached_by_draw(ds, t)
    return out


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95% by default); (nan, nan) when n = 0.

    Examples
    --------
    >>> lo, hi = wilson_interval(20, 40)
    >>> round(lo, 3), round(hi, 3)
    (0.352, 0.648)
    """
    if n <= 0:
        return float("nan"), float("nan")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def joint_probability(reached: dict[str, np.ndarray], ids: list[str]) -> float:
    """Share of draws that reach every target in `ids` together (NaN when `ids` is empty)."""
    if not ids:
        return float("nan")
    return float(np.mean(np.logical_and.reduce([reached[i] for i in ids])))


def format_target_table(df: pd.DataFrame) -> str:
    """The target table as text for the terminal."""
    lines = [f"  {'target':48s} {'year':>4s} {'goal':>26s} {'P5':>12s} {'P50':>12s} {'P95':>12s} {'P(reach)':>8s}"]
    for _, r in df.iterrows():
        if r["status"] == "modelled":
            nums = f"{r['p5']:12,.0f} {r['p50']:12,.0f} {r['p95']:12,.0f} {r['probability']:8.0%}"
        else:
            nums = f"{r['status']:>47s}"
        lines.append(f"  {r['id'][:48]:48s} {r['year']:4d} {r['target'][:26]:>26s} {nums}")
    return "\n".join(lines)
