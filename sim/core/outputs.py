"""Output variables: their names, dimensions, units and long names, and the per-draw recorder.

Every component declares the variables it writes as :class:`VariableSpec`; the recorder holds one
array per variable for one draw (no per-entity trajectories beyond the ``station`` dimension), and
the ensemble stacks them along ``draw``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["VariableSpec", "DrawRecorder"]


@dataclass(frozen=True)
class VariableSpec:
    """An output variable.

    Attributes
    ----------
    name : str
        Variable name in ``results.nc``.
    dims : tuple of str
        Dimensions other than ``draw`` (e.g. ``("year", "program")``).
    units : str
        Units (``CNY``, ``firms``, ``kg``, ...).
    long_name : str
        What it is, in words.
    dtype : str
        ``float64`` or ``int64``.
    fill : float
        Value where nothing was recorded (NaN for floats that may be undefined, e.g. prices).
    """

    name: str
    dims: tuple[str, ...]
    units: str
    long_name: str
    dtype: str = "float64"
    fill: float = 0.0


class DrawRecorder:
    """Arrays of one draw's outputs, allocated from the specs and the dimension sizes.

    Parameters
    ----------
    specs : list of VariableSpec
    sizes : dict of str to int
        Length of each dimension.
    """

    def __init__(self, specs: list[VariableSpec], sizes: dict[str, int]):
        self.specs = {s.name: s for s in specs}
        if len(self.specs) != len(specs):
            raise ValueError("two output variables share a name")
        self.arrays = {
            s.name: np.full(tuple(sizes[d] for d in s.dims), s.fill, dtype=s.dtype) for s in specs
        }

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def __setitem__(self, name: str, values) -> None:
        self.arrays[name][...] = values
