"""A posterior sample in a run: each draw takes one row of the sample, jointly.

``sim calibrate`` (method ``abc-smc``) writes the accepted particles of its last generation as a
CSV: a header of parameter paths (and optionally ``weight``), one row per particle. A scenario
naming it in ``[calibration] posterior_csv`` has each draw pick a row with probability
proportional to its weight, from the counter-based stream keyed by (seed, draw,
``calibration.posterior_csv``), and use that row's values for those parameters instead of drawing
them from their distributions. The row is picked whatever the other parameters, so adding a
parameter to a scenario does not change the rows drawn; a sensitivity design that sets a
parameter overrides the row's value of it.

A sample from ``abc-smc`` also has the columns ``noise_seed`` and ``noise_draw``: the key of the
random numbers each particle was simulated with. With ``[calibration] replay_until_year`` a draw
then replays its particle's random numbers in every year up to that one (the fit's last target
year) and uses its own after: its simulated state up to then is the particle's, which the fit
accepted against the observations, and its forecast goes on from that state with fresh numbers
(a particle filter's resampling step). Without it the draw's state starts afresh and only the
parameters carry what the data allow.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sim.core.rng import keyed_generator
from sim.errors import InputDataError
from sim.input_files import MAX_CSV_BYTES, read_input_file

__all__ = ["PosteriorSample", "read_posterior", "posterior_problems", "posterior_row", "posterior_row_index",
           "WEIGHT_COLUMN", "NOISE_COLUMNS", "ROW_STREAM", "value_at"]

#: The column of the rows' weights (optional: equal weights without it).
WEIGHT_COLUMN = "weight"
#: The columns of the key of each particle's random numbers (seed, draw): optional, both or neither.
NOISE_COLUMNS = ("noise_seed", "noise_draw")
#: The key of the random stream a draw picks its row from.
ROW_STREAM = "calibration.posterior_csv"


@dataclass(frozen=True)
class PosteriorSample:
    """Rows of parameter values with their normalised weights.

    Attributes
    ----------
    names : tuple of str
        Dotted parameter paths, in column order.
    values : numpy.ndarray
        (rows, parameters) values.
    weights : numpy.ndarray
        (rows,) weights summing to 1.
    noise : numpy.ndarray or None
        (rows, 2) int64: the (seed, draw) each particle was simulated with, when the sample has them.
    """

    names: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray
    noise: np.ndarray | None = None

    def mean(self) -> np.ndarray:
        """Weighted mean of each parameter."""
        return self.weights @ self.values

    def cov(self) -> np.ndarray:
        """Weighted covariance matrix of the parameters."""
        centred = self.values - self.mean()
        return (centred * self.weights[:, None]).T @ centred

    def sd(self) -> np.ndarray:
        """Weighted standard deviation of each parameter."""
        return np.sqrt(np.clip(np.diag(self.cov()), 0.0, None))


def read_posterior(path: str) -> PosteriorSample:
    """Read and check a posterior sample CSV (through the run's snapshot of input files).

    Raises
    ------
    InputDataError
        One line naming the file, the row (header = row 1) and the column: no parameter column,
        a repeated column, no row, a cell that is not a finite number, a negative weight, or
        weights summing to zero.
    """
    raw = read_input_file(path, "posterior sample (.csv)", MAX_CSV_BYTES)
    return _parse(path, hashlib.sha256(raw).hexdigest(), raw)


@lru_cache(maxsize=8)
def _parse(path: str, digest: str, raw: bytes) -> PosteriorSample:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputDataError(f"{path}: not UTF-8 text; a posterior sample is a CSV written by sim calibrate") from None
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise InputDataError(f"{path}: empty; expected a header of parameter paths (and '{WEIGHT_COLUMN}') and rows")
    header = [h.strip() for h in rows[0]]
    seen: set[str] = set()
    for h in header:
        if not h:
            raise InputDataError(f"{path}: row 1: an empty column name; allowed: parameter paths and '{WEIGHT_COLUMN}'")
        if h in seen:
            raise InputDataError(f"{path}: row 1, column '{h}': repeated")
        seen.add(h)
    reserved = (WEIGHT_COLUMN, *NOISE_COLUMNS)
    names = tuple(h for h in header if h not in reserved)
    if not names:
        raise InputDataError(f"{path}: row 1: no parameter column (only {', '.join(repr(h) for h in header)})")
    present = [c for c in NOISE_COLUMNS if c in header]
    if len(present) == 1:
        missing = next(c for c in NOISE_COLUMNS if c not in header)
        raise InputDataError(f"{path}: row 1: column '{present[0]}' without '{missing}'; a particle's noise key "
                             "needs both (or neither)")
    if len(rows) < 2:
        raise InputDataError(f"{path}: no rows after the header; a posterior sample needs at least one")
    table = np.empty((len(rows) - 1, len(header)))
    for r, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InputDataError(f"{path}: row {r}: {len(row)} cells, the header has {len(header)}")
        for c, cell in enumerate(row):
            try:
                value = float(cell)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise InputDataError(f"{path}: row {r}, column '{header[c]}': '{cell[:40]}' is not a finite number")
            table[r - 2, c] = value
    if WEIGHT_COLUMN in header:
        weights = table[:, header.index(WEIGHT_COLUMN)]
        bad = np.nonzero(weights < 0)[0]
        if bad.size:
            raise InputDataError(f"{path}: row {int(bad[0]) + 2}, column '{WEIGHT_COLUMN}': negative; allowed: >= 0")
        if weights.sum() <= 0:
            raise InputDataError(f"{path}: column '{WEIGHT_COLUMN}': the weights sum to 0; allowed: a positive sum")
    else:
        weights = np.ones(len(rows) - 1)
    noise = None
    if present:
        noise = np.empty((len(rows) - 1, 2), dtype=np.int64)
        for c, column in enumerate(NOISE_COLUMNS):
            at = header.index(column)
            for r, row in enumerate(rows[1:], start=2):
                cell = row[at].strip()
                if not cell.isdigit() or int(cell) >= 2 ** 63:
                    raise InputDataError(f"{path}: row {r}, column '{column}': '{cell[:40]}' is not a whole number "
                                         "from 0 to 2**63 - 1")
                noise[r - 2, c] = int(cell)
    keep = [i for i, h in enumerate(header) if h not in reserved]
    return PosteriorSample(names, table[:, keep], weights / weights.sum(), noise)


def value_at(model, path: str):
    """The value at a dotted path of a validated scenario (attributes, then table keys), or None."""
    value = model
    for part in path.split("."):
        if isinstance(value, dict):
            if part not in value:
                return None
            value = value[part]
        else:
            if not hasattr(value, part):
                return None
            value = getattr(value, part)
    return value


def posterior_problems(scenario, source: str) -> list[str]:
    """One line per problem of the scenario's posterior sample (none when it names none).

    Each column must be a parameter of the scenario, and every value must lie within its
    distribution's bounds. A parameter the scenario fixes to a number (a lever, an alternative)
    takes that number: the sample's column is then not used.
    """
    section = getattr(scenario, "calibration", None)
    if section is None:
        return []
    path = section.posterior_csv
    try:
        sample = read_posterior(path)
    except InputDataError as exc:
        return [f"{source}: calibration.posterior_csv: {exc}"]
    problems = []
    if getattr(section, "replay_until_year", None) is not None and sample.noise is None:
        problems.append(f"{source}: calibration.replay_until_year: {path} has no columns "
                        f"{' and '.join(repr(c) for c in NOISE_COLUMNS)} to replay; refit with sim calibrate or drop the key")
    for j, name in enumerate(sample.names):
        prior = value_at(scenario, name)
        if prior is None or not (isinstance(prior, (int, float)) or hasattr(prior, "bounds")):
            problems.append(f"{source}: calibration.posterior_csv: {path}: column '{name}' is not a parameter of "
                            "the scenario; allowed: its uncertain parameters (`sim parameters` lists them)")
            continue
        if isinstance(prior, (int, float)):
            continue  # a scenario that fixes a fitted parameter (a lever, an alternative) overrides the sample
        low, high = prior.bounds()
        column = sample.values[:, j]
        outside = np.nonzero((column < low) | (column > high))[0]
        if outside.size:
            r = int(outside[0])
            problems.append(f"{source}: calibration.posterior_csv: {path}: row {r + 2}, column '{name}': "
                            f"{float(column[r])!r} is outside its prior's bounds [{low:g}, {high:g}]")
    return problems


def posterior_row_index(sample: PosteriorSample, seed: int, draw: int) -> int:
    """The row draw `draw` takes: picked by weight from the draw's own stream."""
    u = keyed_generator(seed, draw, ROW_STREAM).random()
    row = int(np.searchsorted(np.cumsum(sample.weights), u * 1.0, side="right"))
    return min(row, len(sample.weights) - 1)


def posterior_row(sample: PosteriorSample, seed: int, draw: int) -> dict[str, float]:
    """The parameter values draw `draw` takes: one row, picked by weight from the draw's own stream."""
    row = posterior_row_index(sample, seed, draw)
    return {name: float(v) for name, v in zip(sample.names, sample.values[row], strict=True)}
