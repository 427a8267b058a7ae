"""The uncertain parameters of a scenario as a sensitivity problem (a SALib ``ProblemSpec``).

Every behavioural parameter that a scenario gives a distribution (``{ dist = "uniform", ... }``)
is a factor. Designs are sampled in *probability space*: SALib samples each factor on [0, 1]
(the ``ProblemSpec`` has bounds [0, 1] and ``dists = "unif"`` for every factor) and each column is
mapped to the parameter's own units by its distribution's quantile function
(:meth:`~sim.scenario.parameters.Uniform.ppf` and the others), the same inverse CDF through which
the ensemble draws normals. So uniform, normal (truncated on either or both sides), lognormal and
triangular factors all keep exactly the scenario's distributions; SALib's own ``dists`` are not
used, since its ``truncnorm`` needs both bounds and it has no way to keep the scenario's transform.
Morris elementary effects are therefore per unit of probability (comparable across parameters of
different units); Sobol indices do not depend on the transform.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.errors import SimError
from sim.scenario.parameters import LogNormal, Normal, Triangular, Uniform

__all__ = ["UncertainParameter", "uncertain_parameters", "select_parameters", "problem_spec", "to_values",
           "PROBABILITY_MARGIN"]

#: Probabilities are kept this far inside (0, 1) before the quantile function, so an unbounded
#: normal or a lognormal maps a design point at 0 or 1 to a large finite value, not to infinity.
PROBABILITY_MARGIN = 1e-9


@dataclass(frozen=True)
class UncertainParameter:
    """A factor of a sensitivity design: a parameter path and its distribution.

    Attributes
    ----------
    path : str
        Dotted path, as drawn by the model and stored in ``results.nc``'s ``parameter``
        coordinate (e.g. ``firms.growth.size_beta``).
    distribution : Uniform, Normal, LogNormal or Triangular
    """

    path: str
    distribution: Uniform | Normal | LogNormal | Triangular

    def ppf(self, q: np.ndarray) -> np.ndarray:
        """Values at probabilities `q` (clipped to :data:`PROBABILITY_MARGIN` inside (0, 1))."""
        q = np.clip(np.asarray(q, dtype=np.float64), PROBABILITY_MARGIN, 1.0 - PROBABILITY_MARGIN)
        return np.asarray(self.distribution.ppf(q), dtype=np.float64)

    @property
    def described(self) -> str:
        """The distribution as one short string, e.g. ``uniform(low=2, high=8)``."""
        fields = [f"{k}={v:g}" for k, v in self.distribution.model_dump().items() if k != "dist" and v is not None]
        return f"{self.distribution.dist}({', '.join(fields)})"

    @property
    def constant(self) -> bool:
        """Whether the distribution has no spread (a degenerate factor, left out of designs)."""
        d = self.distribution
        if isinstance(d, Uniform):
            return d.high == d.low
        if isinstance(d, (Normal, LogNormal)):
            return (d.sd if isinstance(d, Normal) else d.sigma) == 0.0
        return False


def uncertain_parameters(scenario) -> list[UncertainParameter]:
    """Every parameter of a validated scenario that has a distribution, in the schema's order.

    The paths are those the model draws under (segments joined by dots, unquoted), which are the
    names in ``results.nc``.
    """
    from sim.scenario.provenance import parameter_leaves

    return [UncertainParameter(".".join(path), value) for path, value in parameter_leaves(scenario)
            if isinstance(value, (Uniform, Normal, LogNormal, Triangular))]


def select_parameters(params: list[UncertainParameter], patterns: list[str] | None) -> list[UncertainParameter]:
    """The factors whose path matches one of the glob `patterns` (all if none), constants left out.

    Raises
    ------
    SimError
        If the scenario has no uncertain parameter, or a pattern matches none.
    """
    varying = [p for p in params if not p.constant]
    if not varying:
        raise SimError("sensitivity: the scenario has no uncertain parameter (give some a distribution, "
                       "e.g. drift = { dist = \"uniform\", low = 0.0, high = 0.1 })")
    if not patterns:
        return varying
    unmatched = [pat for pat in patterns if not any(fnmatch.fnmatchcase(p.path, pat) for p in varying)]
    if unmatched:
        names = ", ".join(p.path for p in varying)
        raise SimError(f"--parameter: {', '.join(unmatched)} matches no uncertain parameter; available: {names}")
    return [p for p in varying if any(fnmatch.fnmatchcase(p.path, pat) for pat in patterns)]


def problem_spec(params: list[UncertainParameter]) -> Any:
    """The SALib ``ProblemSpec`` of the factors, in probability space (bounds [0, 1], uniform)."""
    from SALib import ProblemSpec

    return ProblemSpec({"names": [p.path for p in params], "num_vars": len(params),
                        "bounds": [[0.0, 1.0]] * len(params), "dists": ["unif"] * len(params),
                        "outputs": ["y"]})


def to_values(params: list[UncertainParameter], unit: np.ndarray) -> np.ndarray:
    """Map a (runs, factors) design in probability space to the parameters' own units."""
    unit = np.asarray(unit, dtype=np.float64)
    if unit.ndim != 2 or unit.shape[1] != len(params):
        raise SimError(f"design: {unit.shape} points for {len(params)} parameters")
    return np.column_stack([p.ppf(unit[:, j]) for j, p in enumerate(params)]) if params else unit
