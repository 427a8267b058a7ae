"""Designs: runs of a scenario at chosen values of its uncertain parameters.

An ordinary ensemble draws every uncertain parameter from its distribution, draw by draw. A
sensitivity design (Saltelli, Morris, an EMA Workbench experiment) chooses the values instead:
run ``i`` of a design sets the parameters named in ``names`` to ``values[i]`` and takes every other
random number (the populations, the shocks, the parameters the design leaves out) from draw
``draws[i]`` of the scenario's seed. Two runs with the same draw share those random numbers
(common random numbers), so their difference is the effect of the parameters alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.errors import SimError

__all__ = ["ParameterDesign"]


@dataclass(frozen=True)
class ParameterDesign:
    """Parameter values and noise draws of the runs of a design.

    Attributes
    ----------
    names : tuple of str
        Dotted paths of the parameters the design sets (as in ``results.nc``'s ``parameter``).
    values : numpy.ndarray
        (runs, parameters) values, in the parameters' own units.
    draws : numpy.ndarray
        (runs,) draw index whose random numbers each run uses for everything else.
    """

    names: tuple[str, ...]
    values: np.ndarray
    draws: np.ndarray

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or self.values.shape != (self.draws.size, len(self.names)):
            raise SimError(f"design: values have shape {self.values.shape}, expected "
                           f"({self.draws.size}, {len(self.names)}) (runs, parameters)")
        if not np.all(np.isfinite(self.values)):
            raise SimError("design: parameter values must be finite")

    @property
    def runs(self) -> int:
        """Number of runs."""
        return int(self.draws.size)

    def given(self, run: int) -> dict[str, float]:
        """The parameter values of one run, by path."""
        return {name: float(v) for name, v in zip(self.names, self.values[run], strict=True)}

    def take(self, runs: list[int]) -> ParameterDesign:
        """The design restricted to some runs (what one chunk of an ensemble needs)."""
        index = np.asarray(runs, dtype=np.int64)
        return ParameterDesign(self.names, self.values[index], self.draws[index])
