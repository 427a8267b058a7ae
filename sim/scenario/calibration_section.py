"""The ``[calibration]`` table: the posterior sample a scenario draws its fitted parameters from.

::

    [calibration]
    posterior_csv = "baseline_posterior.csv"   # relative to the file that sets it

The CSV is written by ``sim calibrate`` (method ``abc-smc``): one column per fitted parameter
(its dotted path) and an optional ``weight`` column. Each draw of the ensemble takes one row,
chosen with probability proportional to its weight from the draw's own random stream, and sets
every parameter of the row at once: the draws follow the joint posterior, correlations included.
A parameter of the sample must be a parameter of the scenario, and every value must lie within
its distribution's bounds; a scenario that fixes one to a number (a lever, an alternative) uses
that number.

``replay_until_year`` (written by ``sim calibrate``: the fit's last target year) has each draw
replay, in the years up to it, the random numbers its row's particle was simulated with (the
sample's ``noise_seed`` and ``noise_draw`` columns), so that it starts its forecast from a state
the fit accepted against the observations. See :mod:`sim.scenario.posterior`.
"""

from __future__ import annotations

from pydantic import Field

from sim.scenario.base import StrictModel

__all__ = ["CalibrationSection"]


class CalibrationSection(StrictModel):
    """Where the scenario's fitted parameters come from."""

    posterior_csv: str = Field(min_length=1)
    replay_until_year: int | None = Field(default=None, ge=1900, le=2200)
