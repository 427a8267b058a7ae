"""How sure a sensitivity analysis is: warnings about its indices and outputs, printed and written with them.

An index table (:mod:`sim.analysis.sensitivity`) gives each index a value and the half-width of
its 95% bootstrap interval (``conf``, printed as ``value ± conf``). These checks flag what a reader
should not take at face value:

- ``negative``: an index below zero by more than its interval (``value + conf < 0``). Variance
  shares and distances cannot be negative; the estimate has not converged.
- ``s1_above_st``: a first-order Sobol index above its total-order index with the intervals apart
  (``S1 - conf > ST + conf``); S1 <= ST holds for the true indices, so again no convergence.
- ``wide_interval``: an index of a *driver* whose half-width exceeds ``interval_share`` times the
  index (at 1.0, the interval reaches zero). Drivers are the factors whose main index (ST,
  mu_star, delta, PAWN median) is at least :data:`DRIVER_SHARE` of the output's largest, so the
  many factors that are plainly negligible (``0.002 ± 0.004``) are not flagged.
- ``barely_varies``: an output whose coefficient of variation (sd / |mean|) across the runs is
  below ``min_variation``, or, for a 0/1 output such as ``target:ID``, whose rarer value occurs
  in fewer than :data:`RARE_OUTCOME_SHARE` of the runs; the indices then apportion a variance
  too small to matter, or one made by a handful of runs.
- ``small_sample`` (delta and PAWN): fewer draws than :data:`RELIABLE_GIVEN_DRAWS`.
- ``noise_floor`` (delta and PAWN): one of the output's largest factors scores no more than the
  dummy, an independent random column analysed with the parameters (:data:`DUMMY`), and cannot be
  told from sampling noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.selection import SelectedOutput

__all__ = ["Thresholds", "check_indices", "check_outputs", "check_given_sample", "format_warnings", "MAIN_INDEX",
           "DRIVER_SHARE", "RARE_OUTCOME_SHARE", "RELIABLE_GIVEN_DRAWS", "DUMMY", "WARNING_COLUMNS",
           "DEFAULT_INTERVAL_SHARE", "DEFAULT_MIN_VARIATION", "TOP_DRIVERS", "top_drivers", "MEANING",
           "PRINTED_WARNINGS"]

#: The index a method's table is sorted by, and whose size makes a factor a driver.
MAIN_INDEX = {"sobol": "ST", "morris": "mu_star", "delta": "delta", "pawn": "pawn_median"}
#: A factor is a driver of an output when its main index is at least this share of the largest.
DRIVER_SHARE = 0.05
#: Default of ``--interval-share``: flag a driver's index whose half-width exceeds the index itself.
DEFAULT_INTERVAL_SHARE = 1.0
#: Default of ``--min-variation``: flag an output whose coefficient of variation is below 1%.
DEFAULT_MIN_VARIATION = 0.01
#: A 0/1 output barely varies when its rarer value occurs in fewer than this share of the runs.
RARE_OUTCOME_SHARE = 0.02
#: Draws below which delta and PAWN are unreliable. PAWN compares the output's distribution in each
#: of its 10 slices with the whole by a Kolmogorov-Smirnov distance, and for a parameter with no
#: effect that distance is about 0.83 / sqrt(draws / 10) (Kolmogorov's median): 0.19 at 200
#: draws, 0.08 at 1,000 (measured on a test function: 0.16 and 0.08). The delta estimator of
#: SALib 1.6 gives a parameter with no effect about 0.07 at 200 to 2,000 draws (measured), with an
#: interval that narrows as draws grow, so its noise floor is read from the dummy, not from N.
RELIABLE_GIVEN_DRAWS = 1_000
#: The factors the noise-floor check and the convergence chart look at, per output.
TOP_DRIVERS = 3
#: Name of the independent random column delta and PAWN analyse beside the parameters.
DUMMY = "(dummy: independent random column)"
#: Columns of ``warnings.csv``.
WARNING_COLUMNS = ["output", "parameter", "index", "check", "value", "conf", "message"]
_PAIRED = {"S1": "ST"}
#: Warnings printed below the table (all are written to ``warnings.csv``).
PRINTED_WARNINGS = 30
#: What each check's warning means and what to do, printed once below the warnings.
MEANING = {
    "negative": "indices cannot be negative; the estimate has not converged (more runs: --draws)",
    "s1_above_st": "a first-order index never exceeds the total one; the estimates have not converged (more runs)",
    "wide_interval": "the size of this driver is not known; more runs (--draws) or fewer factors (--groups) "
                     "narrow the interval",
    "barely_varies": "the indices apportion a variance too small to matter, or made by a handful of runs",
    "small_sample": f"delta and PAWN need about {RELIABLE_GIVEN_DRAWS:,} draws (--draws, or a larger results folder)",
    "noise_floor": "this factor scores no more than an independent random column: it cannot be told from "
                   "sampling noise",
}


@dataclass(frozen=True)
class Thresholds:
    """The stated thresholds of the checks.

    Attributes
    ----------
    interval_share : float
        Flag a driver's index whose interval half-width exceeds this share of the index.
    min_variation : float
        Flag an output whose coefficient of variation across the runs is below this.
    """

    interval_share: float = DEFAULT_INTERVAL_SHARE
    min_variation: float = DEFAULT_MIN_VARIATION


def _warning(output: str, parameter: str, index: str, check: str, value: float, conf: float, message: str) -> dict:
    return {"output": output, "parameter": parameter, "index": index, "check": check, "value": value, "conf": conf,
            "message": message}


def top_drivers(table: pd.DataFrame, method: str, output: str, count: int = TOP_DRIVERS) -> list[str]:
    """The `count` factors of `output` with the largest main index (the dummy left out)."""
    main = table[(table["output"] == output) & (table["index"] == MAIN_INDEX[method]) & (table["parameter"] != DUMMY)]
    return list(main.sort_values("value", ascending=False, kind="stable")["parameter"].head(count))


def _drivers(table: pd.DataFrame, method: str, output: str) -> set[str]:
    main = table[(table["output"] == output) & (table["index"] == MAIN_INDEX[method]) & (table["parameter"] != DUMMY)]
    largest = main["value"].max() if not main.empty else np.nan
    if not largest > 0:
        return set()
    return set(main.loc[main["value"] >= DRIVER_SHARE * largest, "parameter"])


def _shown(value: float, conf: float) -> str:
    return f"{value:.3g} ± {conf:.2g}" if conf == conf else f"{value:.3g}"


def check_indices(table: pd.DataFrame, method: str, thresholds: Thresholds = Thresholds()) -> pd.DataFrame:
    """Warnings about an index table: negative indices, S1 above ST, wide intervals, noise floor.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``output, parameter, index, value, conf``.
    method : {"sobol", "morris", "delta", "pawn"}
    thresholds : Thresholds

    Returns
    -------
    pandas.DataFrame
        Columns :data:`WARNING_COLUMNS`, one row per warning, in the table's order of outputs.
    """
    rows = []
    for output, sub in table.groupby("output", sort=False):
        drivers = _drivers(table, method, str(output))
        by_key = {(r.parameter, r.index): (r.value, r.conf) for r in sub.itertuples(index=False)}
        for r in sub.itertuples(index=False):
            if r.parameter == DUMMY or r.index in ("mu", "sigma"):  # mu and sigma may be negative or undefined
                continue
            value, conf = float(r.value), float(r.conf)
            if conf == conf and value + conf < 0:
                rows.append(_warning(output, r.parameter, r.index, "negative", value, conf,
                                     f"{r.index} = {_shown(value, conf)}, below zero beyond its interval"))
            paired = _PAIRED.get(r.index) if method == "sobol" else None
            if paired and (r.parameter, paired) in by_key:
                st, st_conf = by_key[(r.parameter, paired)]
                if value - conf > st + st_conf:
                    rows.append(_warning(output, r.parameter, r.index, "s1_above_st", value, conf,
                                         f"S1 = {_shown(value, conf)} above ST = {_shown(st, st_conf)} beyond both "
                                         "intervals"))
            if r.parameter in drivers and conf == conf and conf > thresholds.interval_share * abs(value):
                rows.append(_warning(output, r.parameter, r.index, "wide_interval", value, conf,
                                     f"{r.index} = {_shown(value, conf)}, half-width "
                                     f"{conf / abs(value) if value else np.inf:.2g} x the index (limit "
                                     f"{thresholds.interval_share:g})"))
        if method in ("delta", "pawn"):
            dummy = sub[(sub["parameter"] == DUMMY) & (sub["index"] == MAIN_INDEX[method])]
            if not dummy.empty:
                floor = float(dummy["value"].iloc[0])
                main = sub[sub["index"] == MAIN_INDEX[method]].set_index("parameter")["value"]
                for parameter in top_drivers(table, method, str(output)):
                    if main[parameter] <= floor:
                        rows.append(_warning(output, parameter, MAIN_INDEX[method], "noise_floor",
                                             float(main[parameter]), np.nan,
                                             f"{MAIN_INDEX[method]} = {main[parameter]:.3g}, no more than the dummy's "
                                             f"{floor:.3g}"))
    return pd.DataFrame(rows, columns=WARNING_COLUMNS)


def check_outputs(outputs: list[SelectedOutput], thresholds: Thresholds = Thresholds()) -> pd.DataFrame:
    """Warnings about outputs that barely vary across the runs (constant ones are left out before)."""
    rows = []
    for out in outputs:
        y = out.values
        if not np.isfinite(y).all() or np.ptp(y) == 0:  # left out of the analysis, with a note
            continue
        distinct = np.unique(y)
        if distinct.size == 2:
            rare = int(min(np.sum(y == distinct[0]), np.sum(y == distinct[1])))
            if rare < RARE_OUTCOME_SHARE * y.size:
                value = distinct[0] if np.sum(y == distinct[0]) == rare else distinct[1]
                rows.append(_warning(out.label, "", "", "barely_varies", rare / y.size, np.nan,
                                     f"{value:g} in only {rare} of {y.size:,} runs (below {RARE_OUTCOME_SHARE:.0%})"))
            continue
        mean = float(np.mean(y))
        cv = float(np.std(y) / abs(mean)) if mean != 0 else np.inf
        if cv < thresholds.min_variation:
            rows.append(_warning(out.label, "", "", "barely_varies", cv, np.nan,
                                 f"coefficient of variation {cv:.2g} across the runs, below {thresholds.min_variation:g}"))
    return pd.DataFrame(rows, columns=WARNING_COLUMNS)


def check_given_sample(method: str, draws: int) -> pd.DataFrame:
    """The small-sample caution of delta and PAWN (empty at :data:`RELIABLE_GIVEN_DRAWS` draws or more)."""
    if method not in ("delta", "pawn") or draws >= RELIABLE_GIVEN_DRAWS:
        return pd.DataFrame(columns=WARNING_COLUMNS)
    why = ("PAWN's slices hold about draws / 10 runs each, and a parameter with no effect then scores about "
           f"{0.83 / np.sqrt(draws / 10):.2f} (0.83 / sqrt(draws / 10))" if method == "pawn" else
           "delta's density estimates give a parameter with no effect about 0.07, with intervals too narrow to "
           "show it")
    return pd.DataFrame([_warning("", "", MAIN_INDEX[method], "small_sample", float(draws), np.nan,
                                  f"{method} from {draws:,} draws, below the {RELIABLE_GIVEN_DRAWS:,} at which it is "
                                  f"reliable: {why}; compare each index with the dummy's")], columns=WARNING_COLUMNS)


def format_warnings(warnings: pd.DataFrame, shown: int = PRINTED_WARNINGS) -> str:
    """The warnings as printed lines: the first `shown`, then what each kind of warning means.

    Empty text when there are none.
    """
    if warnings.empty:
        return ""
    lines = [f"warnings ({len(warnings)}; all in warnings.csv):"]
    for r in warnings.head(shown).itertuples(index=False):
        where = " | ".join(str(x) for x in (r.output, r.parameter) if isinstance(x, str) and x)
        lines.append(f"  [{r.check}] {where + ': ' if where else ''}{r.message}")
    if len(warnings) > shown:
        lines.append(f"  … {len(warnings) - shown} more in warnings.csv")
    for check in dict.fromkeys(warnings["check"]):
        lines.append(f"  {check}: {MEANING[check]}")
    return "\n".join(lines)
