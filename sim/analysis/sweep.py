"""Sweep one scenario key over values with common random numbers, and find where outputs cross a level.

``sim sweep SCENARIO.toml --key KEY --values ...`` writes each value over the scenario as an
override (as an alternative scenario file extending it would, so each is validated like a file),
runs every value with the same seed and draws, and reduces each run to the chosen outputs, one
number per draw. As the engine's random numbers are a pure function of (seed, draw, entity,
year, stream), and each uncertain parameter is drawn from a generator keyed by its own path, draw
``d`` of every value meets the same random numbers: the difference to the first value is taken
draw by draw (paired), and its band is that of the key's effect alone.

For each output it reports, at each value, the mean, P5, P50, P95 and P(>0) over draws and the
paired difference to the first value, then where the output crosses a level as the values go in
the order given: where P(>0) first leaves 0 (the output starts to pay), where it passes 0.5 and,
with ``--level``, where the mean passes the level; each with the two values that bracket the
crossing and a linear interpolation between them (:func:`find_crossing`).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from sim.analysis.summary import band, share_positive
from sim.arguments import parse_years
from sim.errors import ScenarioError, SimError
from sim.messages import cut_text

__all__ = [
    "MAX_VALUES", "SweepKey", "SweepOutput", "Crossing", "parse_values", "split_outputs", "parse_years",
    "resolve_key", "load_values", "default_outputs", "resolve_outputs", "find_crossing", "sweep_table", "crossing_table",
    "format_sweep", "run_sweep", "write_plot", "sweep_command",
]

#: Most values one sweep runs (each is a whole ensemble).
MAX_VALUES = 50
#: Significant digits kept of the values of ``LOW:HIGH:N`` (0.1 + 0.2 is shown and run as 0.3).
_DIGITS = 12
_PROGRAM_DIM = "program"


# ---------------------------------------------------------------------------------------------
# Flags


def parse_values(text: str) -> list[float]:
    """The values of ``--values``: ``V1,V2,...`` in the order given, or ``LOW:HIGH:N``.

    Parameters
    ----------
    text : str
        A comma-separated list of numbers, or ``LOW:HIGH:N``: N evenly spaced values from LOW to
        HIGH, both included (HIGH may be below LOW: the values then descend).

    Returns
    -------
    list of float
        At least 2 and at most :data:`MAX_VALUES` distinct finite numbers.

    Raises
    ------
    SimError
        One line naming what is wrong: empty, not a number, NaN or infinite, N not a whole number
        >= 2, LOW equal to HIGH, a value given twice, or more than :data:`MAX_VALUES` values.
    """
    shown = cut_text(repr(text))
    form = f"give V1,V2,... (at least 2 numbers) or LOW:HIGH:N (N >= 2 evenly spaced values); got {shown}"
    text = text.strip()
    if not text:
        raise SimError(f"--values: empty; {form}")
    if ":" in text:
        parts = [p.strip() for p in text.split(":")]
        if len(parts) != 3:
            raise SimError(f"--values: LOW:HIGH:N has three parts; {form}")
        low, high = _number(parts[0], "LOW", shown), _number(parts[1], "HIGH", shown)
        try:
            n = int(parts[2])
        except ValueError:
            n = 0
        if n < 2 or n > MAX_VALUES:
            raise SimError(f"--values: N in LOW:HIGH:N must be a whole number in 2..{MAX_VALUES} (got {shown})")
        if low == high:
            raise SimError(f"--values: LOW and HIGH are equal, so every value would be the same (got {shown})")
        values = [float(f"{v:.{_DIGITS}g}") for v in np.linspace(low, high, n)]
    else:
        items = [p.strip() for p in text.split(",")]
        if any(not p for p in items):
            raise SimError(f"--values: an empty item between commas; {form}")
        values = [_number(p, "a value", shown) for p in items]
        if len(values) < 2:
            raise SimError(f"--values: a sweep needs at least 2 values; {form}")
        if len(values) > MAX_VALUES:
            raise SimError(f"--values: {len(values)} values; allowed: at most {MAX_VALUES} (each is a whole "
                           "ensemble)")
    seen: set[float] = set()
    for v in values:
        if v in seen:
            raise SimError(f"--values: {v:g} is given twice; each value once (got {shown})")
        seen.add(v)
    return values


def _number(text: str, what: str, shown: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SimError(f"--values: {what} {cut_text(repr(text))} is not a number (got {shown})") from None
    if not math.isfinite(value):
        raise SimError(f"--values: {what} must be a finite number, not {text!r} (got {shown})")
    return value


def split_outputs(texts: Sequence[str] | None) -> list[str] | None:
    """The outputs of ``--outputs`` (repeatable, each comma-separated); None when none is given.

    A comma followed by a space stays inside a name (the headline quantities read
    ``fiscal outlay, all programmes``), and ``DIM=VALUE`` after a comma continues the selection
    before it (``outlay:program=hydrogen.*,...``).

    Raises
    ------
    SimError
        If an output is empty.
    """
    if texts is None:
        return None
    out: list[str] = []
    for text in texts:
        pieces: list[str] = []
        start = 0
        for i, ch in enumerate(text):
            if ch == "," and not text[i + 1:i + 2].isspace():
                pieces.append(text[start:i])
                start = i + 1
        pieces.append(text[start:])
        for piece in pieces:
            piece = piece.strip()
            if not piece:
                raise SimError(f"--outputs: an empty output name (got {cut_text(repr(text))}); give NAME,NAME,...")
            if out and "=" in piece and ":" not in piece and ":" in out[-1]:
                out[-1] += "," + piece
            else:
                out.append(piece)
    return out


# ---------------------------------------------------------------------------------------------
# The key


@dataclass(frozen=True)
class SweepKey:
    """A scenario key path resolved against a loaded scenario.

    Attributes
    ----------
    text : str
        The key as given.
    path : tuple of str
        Its segments (an instrument id or stream id with dots is one segment).
    current : Any
        Its value in the scenario (a number or a distribution table).
    """

    text: str
    path: tuple[str, ...]
    current: Any

    @property
    def shown(self) -> str:
        """The key as it is written in a scenario file (segments with dots quoted)."""
        from sim.scenario.provenance import format_path

        return format_path(self.path)

    @property
    def last(self) -> str:
        """Its last segment (the default output folder is named after it)."""
        return self.path[-1]

    def typed(self, value: float) -> int | float:
        """`value` as the key's type: a whole number stays an int where the scenario has an int."""
        if isinstance(self.current, int) and not isinstance(self.current, bool) and float(value).is_integer():
            return int(value)
        return float(value)

    def override(self, value: float) -> dict:
        """The tables that set the key to `value`, to merge over the scenario."""
        table: dict = {self.path[-1]: self.typed(value)}
        for key in reversed(self.path[:-1]):
            table = {key: table}
        return table


def _key_view(loaded) -> dict:
    """The scenario's keys with their values, defaults included; instruments as in force (overrides applied)."""
    view = loaded.scenario.model_dump(mode="python")
    catalogue = loaded.policy.catalogue
    ids = list(catalogue.instruments) if catalogue is not None else []
    view["instruments"] = {i: None for i in ids}
    for program in loaded.policy.programs:
        view["instruments"][program.instrument.id] = program.instrument.model_dump(mode="python")
    return view


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def resolve_key(loaded, text: str) -> SweepKey:
    """The key path `text` in the scenario `loaded`, or one line saying why it cannot be swept.

    A segment holding dots is written in double quotes (``instruments."hydrogen.13.operating_subsidy".rate_cny_per_kg``),
    or without them when exactly one way of joining the segments names a key
    (``instruments.hydrogen.13.operating_subsidy.rate_cny_per_kg``).

    Raises
    ------
    SimError
        If the path does not parse, a key is unknown (with the closest key), a section is absent
        from the scenario, an instrument is not in force, or the key holds a table, a list, text or
        a switch rather than a number or a distribution.
    """
    from sim.scenario.provenance import format_path, parse_path

    try:
        segments = parse_path(text.strip())
    except ValueError as exc:
        raise SimError(f"--key {cut_text(repr(text))}: {exc}") from None
    node: Any = _key_view(loaded)
    path: list[str] = []
    i = 0
    while i < len(segments):
        where = format_path(tuple(path)) or "(top level)"
        if node is None:
            raise SimError(f"--key {text}: {where}: not in this scenario (the section is absent or switched off), "
                           "so the key does not exist in the resolved scenario")
        if not isinstance(node, dict) or "dist" in node:
            raise SimError(f"--key {text}: {where} is a value; nothing lies below it")
        joined = [j for j in range(i + 1, len(segments) + 1) if ".".join(segments[i:j]) in node]
        if len(joined) > 1:
            names = " or ".join(f'"{".".join(segments[i:j])}"' for j in joined)
            raise SimError(f"--key {text}: ambiguous: {names}; quote the one meant")
        if not joined:
            # An instrument's id holds dots: the guess is every segment up to the field.
            guess = ".".join(segments[i:-1]) if path == ["instruments"] and len(segments) > i + 1 else segments[i]
            raise SimError(f"--key {text}: {_unknown(path, guess, list(node))}")
        key = ".".join(segments[i:joined[0]])
        path.append(key)
        if path[0] == "instruments" and len(path) == 2 and node[key] is None:
            raise SimError(f'--key {text}: instruments."{key}" is not in force in this scenario ([policy] in_force), '
                           "so its values would change nothing")
        node = node[key]
        i = joined[0]
    shown = format_path(tuple(path))
    if _is_number(node) or (isinstance(node, dict) and "dist" in node):
        return SweepKey(text, tuple(path), node)
    if isinstance(node, dict):
        return _refuse_table(text, shown, list(node))
    kind = "a switch" if isinstance(node, bool) else "a list" if isinstance(node, list) else \
        "not set" if node is None else "text or a date"
    raise SimError(f"--key {text}: {shown} is {kind}, not a number or a distribution; a sweep sets numbers")


def _refuse_table(text: str, shown: str, keys: list[str]) -> SweepKey:
    listed = ", ".join(keys[:12]) + (f", … ({len(keys) - 12} more)" if len(keys) > 12 else "")
    raise SimError(f"--key {text}: {shown} is a table, not a value; give one of its keys: {listed or 'none'}")


def _unknown(path: list[str], segment: str, allowed: list[str]) -> str:
    from sim.messages import unknown_key
    from sim.scenario.provenance import format_path

    where = format_path(tuple(path + [segment]))
    if path == ["instruments"]:
        close = difflib.get_close_matches(segment, allowed, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"{where}: unknown instrument{hint}; `sim policies` lists them"
    return f"{where}: {unknown_key(segment, allowed)}"


def load_values(path: Path, key: SweepKey, values: Sequence[float]) -> list:
    """The scenario with the key set to each value, each loaded and validated as a file would be.

    Raises
    ------
    SimError
        For the first value the schema or the scenario's checks refuse: its problems, each line
        naming the key and the value.
    """
    from sim.scenario.loader import load_scenario
    from sim.scenario.merge import merge_tables

    loaded = []
    for value in values:
        source = f"--key {key.shown} = {value:g}"
        try:
            loaded.append(load_scenario(path, merge_tables({}, key.override(value)), source))
        except ScenarioError as exc:
            lines = [line if line.startswith(source) else f"{source}: {line}" for line in exc.problems]
            raise ScenarioError(lines, exc.omitted) from None
    return loaded


# ---------------------------------------------------------------------------------------------
# Outputs


@dataclass(frozen=True)
class SweepOutput:
    """One output of a sweep: one number per draw of a run.

    Attributes
    ----------
    label : str
        Its name in the table, the CSV and the plot.
    units : str
        Display units (amounts in CNY are shown in million CNY).
    metric : str, optional
        A headline quantity of :data:`sim.analysis.compare.METRICS`, by its label.
    selection : str, optional
        Otherwise an output selection of :mod:`sim.analysis.selection`.
    """

    label: str
    units: str
    metric: str | None = None
    selection: str | None = None

    def values(self, ds: xr.Dataset) -> np.ndarray:
        """Its value in each draw of `ds`."""
        if self.metric is not None:
            from sim.analysis.compare import metric_table

            return metric_table(ds)[self.metric]
        from sim.analysis.selection import select_outputs

        assert self.selection is not None
        chosen = select_outputs(ds, [self.selection])[0]
        return chosen.values * (1e-6 if chosen.units == "CNY" else 1.0)


def default_outputs(loaded) -> list[str]:
    """Total fiscal outlay, each per-kg subsidy to stations, stations and fleet in the last year.

    The per-kg subsidies are the programmes in force of kind ``unit_subsidy`` paid to stations
    that a population of the scenario claims (``hydrogen.13.operating_subsidy`` in the gazette).
    Outputs the scenario's results lack are dropped by :func:`resolve_outputs`.
    """
    unit_subsidies = [p.instrument.id for p in loaded.policy.programs
                      if p.instrument.kind == "unit_subsidy" and p.instrument.recipient == "station"
                      and p.instrument.id not in loaded.unclaimed]
    return (["fiscal outlay, all programmes"] + [f"outlay:{pid}" for pid in unit_subsidies]
            + ["stations operating, last year", "fuel-cell fleet, last year"])


def resolve_outputs(loaded, specs: Sequence[str] | None) -> list[SweepOutput]:
    """The outputs asked for, checked against the variables a run of `loaded` will have.

    Parameters
    ----------
    loaded : LoadedScenario
    specs : list of str, optional
        Each one of: a headline quantity of :data:`sim.analysis.compare.METRICS` by its label
        (``fiscal outlay, all programmes``) or part of one; ``VARIABLE:PROGRAM_ID``, a variable by
        programme totalled over the years (``outlay:hydrogen.13.operating_subsidy``); or any
        output selection of :mod:`sim.analysis.selection` (``stations_operating@2025``,
        ``outlay:program=hydrogen.13.*``, ``target:ID``). Default: :func:`default_outputs`,
        without those the results lack.

    Raises
    ------
    SimError
        One line naming an unknown output and what is allowed (before any run).
    """
    from sim.analysis.compare import METRICS, metric_table
    from sim.analysis.selection import allowed_names, select_outputs
    from sim.analysis.sensitivity import skeleton_dataset

    skeleton = skeleton_dataset(loaded)
    units = {label: unit for label, unit, _ in METRICS}
    have = metric_table(skeleton)
    given = specs is not None
    out: list[SweepOutput] = []
    for spec in (list(specs) if specs is not None else default_outputs(loaded)):
        exact = next((label for label in have if label.lower() == spec.lower()), None)
        if exact is not None:
            out.append(SweepOutput(exact, units[exact], metric=exact))
            continue
        if not given and spec in units:
            continue  # a default headline these results lack (no stations in the scenario)
        selection = _program_shorthand(skeleton, spec)
        try:
            chosen = select_outputs(skeleton, [selection])
        except SimError as exc:
            raise SimError(str(exc).replace("--output ", "--outputs ", 1)) from None
        if selection.partition(":")[0].partition("@")[0] in allowed_names(skeleton) or selection.startswith("target:"):
            unit = "million CNY" if chosen[0].units == "CNY" else chosen[0].units
            out.append(SweepOutput(spec, unit, selection=selection))
        else:
            out += [SweepOutput(c.label, c.units, metric=c.label) for c in chosen]
    labels = [o.label for o in out]
    if len(set(labels)) != len(labels):
        raise SimError(f"--outputs: an output is asked twice ({', '.join(labels)}); give each once")
    return out


def _program_shorthand(ds: xr.Dataset, spec: str) -> str:
    """``outlay:ID`` as the selection ``outlay:program=ID`` (a variable by programme, one programme)."""
    head, colon, rest = spec.partition(":")
    name = head.partition("@")[0]
    if colon and rest and "=" not in rest and name in ds and _PROGRAM_DIM in ds[name].dims:
        return f"{head}:{_PROGRAM_DIM}={rest}"
    return spec


# ---------------------------------------------------------------------------------------------
# Crossings


@dataclass(frozen=True)
class Crossing:
    """Where a statistic first changes side of a level as the values go in the order given.

    Attributes
    ----------
    level : float
        The level; "above" means strictly greater than it.
    start_above : bool or None
        The side at the first value with a statistic (None: no value has one).
    index : int or None
        Position of the first value on the other side; None when it never crosses.
    low, high : float or None
        The bracketing values: the one before the crossing and the first one past it.
    at : float or None
        Linear interpolation between them of where the statistic equals the level.
    """

    level: float
    start_above: bool | None
    index: int | None
    low: float | None = None
    high: float | None = None
    at: float | None = None

    @property
    def crosses(self) -> bool:
        """Whether the statistic changes side within the values."""
        return self.index is not None

    @property
    def rising(self) -> bool | None:
        """True when it crosses upwards, False downwards, None when it does not cross."""
        return None if self.index is None else not self.start_above


def find_crossing(values: Sequence[float], stats: Sequence[float], level: float) -> Crossing:
    """The first value, in the order given, at which `stats` changes side of `level`.

    Parameters
    ----------
    values : sequence of float
        The swept values, in the order given (ascending, descending or neither).
    stats : sequence of float
        The statistic at each value; NaN entries are skipped.
    level : float
        The level; a value is above it when its statistic is strictly greater.

    Returns
    -------
    Crossing
        The side at the first value and, if the statistic changes side, the two values that
        bracket the change (the last before it, the first past it) and the linear interpolation
        ``v0 + (level - s0) / (s1 - s0) * (v1 - v0)`` between them.

    Examples
    --------
    >>> c = find_crossing([1.0, 2.0, 3.0], [0.0, 10.0, 30.0], 20.0)
    >>> (c.low, c.high, c.at)
    (2.0, 3.0, 2.5)
    """
    points = [(float(v), float(s)) for v, s in zip(values, stats, strict=True) if not math.isnan(float(s))]
    if not points:
        return Crossing(level, None, None)
    start_above = points[0][1] > level
    for k in range(1, len(points)):
        (v0, s0), (v1, s1) = points[k - 1], points[k]
        if (s1 > level) != start_above:
            at = v0 + (level - s0) / (s1 - s0) * (v1 - v0)
            index = next(i for i, v in enumerate(values) if float(v) == v1)
            return Crossing(level, start_above, index, v0, v1, float(at))
    return Crossing(level, start_above, None)


#: Default crossing rules: (statistic column, level, what it means when it rises above).
_P_RULES = (("p_positive", 0.0, "starts to pay (P(>0) > 0)"), ("p_positive", 0.5, "pays in most draws (P(>0) > 0.5)"))


def crossing_table(table: pd.DataFrame, values: Sequence[float], level: float | None = None) -> pd.DataFrame:
    """Every output's crossings: P(>0) leaving 0, P(>0) passing 0.5 and, with `level`, the mean passing it.

    Parameters
    ----------
    table : pandas.DataFrame
        As :func:`sweep_table`.
    values : sequence of float
        The values in the order given.
    level : float, optional
        The level of the mean (``--level``).

    Returns
    -------
    pandas.DataFrame
        One row per output and rule: ``output, rule, statistic, level, start_above, crosses,
        direction, low, high, interpolated, text``. The interpolation of P(>0) leaving 0 is left
        empty: linearly it is always the last value with P(>0) = 0, which says nothing.
    """
    rules: list[tuple[str, float, str]] = list(_P_RULES)
    if level is not None:
        rules.append(("mean", float(level), f"mean above {level:,.6g}"))
    rows = []
    for output in dict.fromkeys(table["output"]):
        sub = table[table["output"] == output].set_index("value").reindex(list(values))
        for stat, lvl, rule in rules:
            c = find_crossing(values, sub[stat].to_numpy(dtype=np.float64), lvl)
            at = c.at if c.crosses and not (stat == "p_positive" and lvl == 0.0) else None
            rows.append({"output": output, "rule": rule, "statistic": stat, "level": lvl,
                         "start_above": c.start_above, "crosses": c.crosses,
                         "direction": "" if c.rising is None else "up" if c.rising else "down",
                         "low": c.low, "high": c.high, "interpolated": at,
                         "text": _crossing_text(rule, c, at, values)})
    return pd.DataFrame(rows)


def _crossing_text(rule: str, c: Crossing, at: float | None, values: Sequence[float]) -> str:
    """One line: where the rule first holds (or stops holding), its bracket and interpolation."""
    if c.start_above is None:
        return f"{rule}: undefined (the statistic is missing at every value)"
    bracket = "" if c.low is None else f"between {c.low:g} and {c.high:g}"
    if at is not None:
        bracket += f", about {at:.4g} by linear interpolation"
    if c.rising:
        return f"{rule}: first at {c.high:g}, {bracket}"
    if c.crosses:
        return f"{rule}: already at the first value {values[0]:g}; no longer at {c.high:g}, {bracket}"
    if c.start_above:
        return f"{rule}: at every value, from the first ({values[0]:g}); never crosses within the values"
    return f"{rule}: never crosses within the values (at no value from {values[0]:g} to {values[-1]:g})"


# ---------------------------------------------------------------------------------------------
# Tables


def sweep_table(values: Sequence[float], outputs: Sequence[SweepOutput], per_value: Sequence[dict[str, np.ndarray]],
                key: str = "") -> pd.DataFrame:
    """Bands per value and output, and the paired difference to the first value.

    Parameters
    ----------
    values : sequence of float
        The swept values in the order run.
    outputs : sequence of SweepOutput
    per_value : sequence of dict
        For each value, output label -> value in each draw (the same draws for every value).
    key : str
        The key swept (written in each row).

    Returns
    -------
    pandas.DataFrame
        One row per value and output: ``key, value, output, units, draws, mean, p5, p50, p95,
        p_positive, diff_mean, diff_p5, diff_p50, diff_p95`` (the differences are draw by draw
        against the first value; 0 for the first value itself).
    """
    rows = []
    first = per_value[0]
    for value, table in zip(values, per_value, strict=True):
        for o in outputs:
            v = np.asarray(table[o.label], dtype=np.float64)
            mean, p5, p50, p95 = band(v)
            d_mean, d5, d50, d95 = band(v - np.asarray(first[o.label], dtype=np.float64))
            rows.append({"key": key, "value": float(value), "output": o.label, "units": o.units, "draws": int(v.size),
                         "mean": mean, "p5": p5, "p50": p50, "p95": p95, "p_positive": share_positive(v),
                         "diff_mean": d_mean, "diff_p5": d5, "diff_p50": d50, "diff_p95": d95})
    return pd.DataFrame(rows)


def _num(x: float) -> str:
    if math.isnan(x):
        return "—"
    return f"{x:,.2f}" if x == 0 or abs(x) >= 0.01 else f"{x:.3g}"


def format_sweep(table: pd.DataFrame, crossings: pd.DataFrame, key: str) -> str:
    """The printed table: per output, a row per value, then its crossings."""
    lines = []
    values = list(dict.fromkeys(table["value"]))
    width = max(5, *(len(f"{v:g}") for v in values))
    for output in dict.fromkeys(table["output"]):
        sub = table[table["output"] == output]
        lines.append(f"{output} ({sub['units'].iloc[0]}), {int(sub['draws'].iloc[0])} draws; "
                     f"difference paired draw by draw against {key} = {values[0]:g}")
        lines.append(f"  {'value':>{width}} {'mean':>14} {'P5':>14} {'P50':>14} {'P95':>14} {'P(>0)':>6}   "
                     "difference: mean [P5, P95]")
        for i, r in enumerate(sub.itertuples()):
            diff = "" if i == 0 else f"{_num(r.diff_mean)} [{_num(r.diff_p5)}, {_num(r.diff_p95)}]"
            lines.append(f"  {r.value:>{width}g} {_num(r.mean):>14} {_num(r.p5):>14} {_num(r.p50):>14} "
                         f"{_num(r.p95):>14} {r.p_positive:6.2f}   {diff}".rstrip())
        for text in crossings.loc[crossings["output"] == output, "text"]:
            lines.append(f"  {text}")
        lines.append("")
    return "\n".join(lines).rstrip()


# ---------------------------------------------------------------------------------------------
# Running and writing


def run_sweep(loaded_values: Sequence, outputs: Sequence[SweepOutput], draws: int | None, seed: int | None,
              workers: int = 1, years: tuple[int, int] | None = None,
              progress=None) -> tuple[list[dict[str, np.ndarray]], dict]:
    """Run each loaded value with the same seed and draws; the outputs' values per draw for each.

    Parameters
    ----------
    loaded_values : sequence of LoadedScenario
        The scenario at each value (:func:`load_values`).
    outputs : sequence of SweepOutput
    draws, seed : int, optional
        The same for every value (default: the scenario's ``[ensemble]``).
    workers : int
        Local worker processes of each ensemble.
    years : (int, int), optional
        Keep only these years (first, last) before reducing: totals are over them and "last
        year" is the last of them.
    progress : callable, optional
        ``(done, total)`` over every draw of every value.

    Returns
    -------
    per_value : list of dict
        For each value, output label -> value in each draw.
    attrs : dict
        The attributes of the first value's results (seed, draws, sha256, version).
    """
    from sim.runner.run import run_scenario

    n = draws or loaded_values[0].scenario.ensemble.draws
    total = n * len(loaded_values)
    out = []
    attrs: dict = {}
    for i, loaded in enumerate(loaded_values):
        def step(done: int, _total: int, i: int = i) -> None:
            if progress is not None:
                progress(i * n + done, total)

        ds = run_scenario(loaded, draws, seed, workers, progress=step)
        if years is not None:
            ds = ds.sel(year=slice(years[0], years[1]))
        out.append({o.label: o.values(ds) for o in outputs})
        if i == 0:
            attrs = dict(ds.attrs)
        del ds
    return out, attrs


def write_plot(table: pd.DataFrame, crossings: pd.DataFrame, key: str, path: Path, level: float | None) -> None:
    """``sweep.png``: a panel per output with the mean, the P5–P95 band and P(>0) on a second axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.analysis.plots import tight_layout

    outputs = list(dict.fromkeys(table["output"]))
    values = list(dict.fromkeys(table["value"]))
    fig, axes = plt.subplots(len(outputs), 1, figsize=(7.5, 2.8 * len(outputs)), squeeze=False)
    for ax, output in zip(axes[:, 0], outputs, strict=True):
        sub = table[table["output"] == output]
        x = sub["value"].to_numpy()
        ax.fill_between(x, sub["p5"], sub["p95"], color="tab:blue", alpha=0.25, label="P5–P95")
        ax.plot(x, sub["mean"], "o-", color="tab:blue", label="mean")
        if level is not None:
            ax.axhline(level, color="tab:red", lw=0.8, ls=":", label=f"level {level:g}")
        for at in crossings.loc[(crossings["output"] == output) & crossings["crosses"], "interpolated"].dropna():
            ax.axvline(float(at), color="grey", lw=0.8, ls=":")
        ax.set_title(output, fontsize=9)
        ax.set_ylabel(str(sub["units"].iloc[0]), fontsize=8)
        share = ax.twinx()
        share.plot(x, sub["p_positive"], "s--", color="tab:orange", ms=3, lw=1, label="P(>0)")
        share.set_ylim(-0.05, 1.05)
        share.set_ylabel("P(>0)", fontsize=8, color="tab:orange")
        if values[0] > values[-1]:
            ax.invert_xaxis()  # the order given reads left to right
        handles = ax.get_legend_handles_labels()
        more = share.get_legend_handles_labels()
        ax.legend(handles[0] + more[0], handles[1] + more[1], fontsize=7, loc="best")
    axes[-1, 0].set_xlabel(key)
    tight_layout(fig)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _sweep_toml(scenario: Path, sha256: str, key: SweepKey, values: Sequence[float], loaded_values: Sequence,
                outputs: Sequence[SweepOutput], attrs: dict, level: float | None, years: tuple[int, int] | None) -> str:
    """``sweep.toml``: what was swept, over which values, with which seed and draws, on which bytes."""
    import tomli_w

    from sim.runner.provenance import package_version

    table: dict[str, Any] = {
        "scenario": str(Path(scenario).resolve()),
        "scenario_sha256": sha256,
        "key": key.shown,
        "key_as_given": key.text,
        "values": [key.typed(v) for v in values],
        "seed": int(attrs["seed"]),
        "draws": int(attrs["draws"]),
        "outputs": [o.label for o in outputs],
        "sim_version": package_version(),
    }
    if level is not None:
        table["level"] = float(level)
    if years is not None:
        table["years"] = [years[0], years[1]]
    table["value_sha256"] = [lv.sha256 for lv in loaded_values]
    header = ("# sim sweep: one key over values, common random numbers (same seed and draws for every value).\n"
              "# scenario_sha256 hashes the scenario file and every file it extends; value_sha256 adds the override.\n")
    return header + tomli_w.dumps(table)


def _level(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise SimError(f"--level must be a finite number (got {cut_text(repr(text))})")
    return value


def sweep_command(args) -> int:
    """``sim sweep``: check everything, run every value, print the table and write the folder atomically.

    Every flag, the key, each value against the schema, the outputs and the output folder are
    checked before the first run; the folder is staged and renamed into place when complete.
    """
    from sim.runner.progress import Progress
    from sim.runner.run import resolved_toml
    from sim.runner.staging import staged_folder, write_text_file
    from sim.scenario.loader import input_files, load_scenario

    values = parse_values(args.values)
    specs = split_outputs(args.outputs)
    level = _level(args.level)
    base = load_scenario(args.scenario)
    key = resolve_key(base, args.key)
    years = parse_years(args.years, [int(y) for y in base.policy.years]) if args.years is not None else None
    outputs = resolve_outputs(base, specs)
    if not outputs:
        raise SimError("--outputs: none of the default outputs is in this scenario's results; name some with --outputs")
    loaded_values = load_values(args.scenario, key, values)
    if args.seed is not None:
        # As run: the resolved scenarios written beside the results carry the seed used.
        loaded_values = [replace(lv, scenario=lv.scenario.model_copy(
            update={"ensemble": lv.scenario.ensemble.model_copy(update={"seed": args.seed})})) for lv in loaded_values]
    out = args.out or Path("results") / f"sweep_{base.scenario.name}_{key.last}"
    n_draws = args.draws or base.scenario.ensemble.draws
    progress = Progress(f"draws of {base.scenario.name} over {len(values)} values of {key.last}", quiet=args.quiet)
    with staged_folder(out, args.force, protect=input_files(base)) as staging:
        progress(0, n_draws * len(values))
        per_value, attrs = run_sweep(loaded_values, outputs, args.draws, args.seed, args.workers, years, progress)
        table = sweep_table(values, outputs, per_value, key.shown)
        crossings = crossing_table(table, values, level)
        table.to_csv(staging / "sweep.csv", index=False)
        crossings.to_csv(staging / "crossings.csv", index=False)
        record = _sweep_toml(args.scenario, base.sha256, key, values, loaded_values, outputs, attrs, level, years)
        write_text_file(staging / "sweep.toml", record)
        (staging / "scenarios").mkdir()
        for i, (value, lv) in enumerate(zip(values, loaded_values, strict=True)):
            write_text_file(staging / "scenarios" / f"{i:02d}_{value:g}.resolved.toml", resolved_toml(lv, n_draws))
        write_plot(table, crossings, key.shown, staging / "sweep.png", level)
    print(format_sweep(table, crossings, key.shown))
    print(f"sweep written to {out}/ (sweep.csv, crossings.csv, sweep.png, sweep.toml, scenarios/)")
    return 0
