"""The firm population: a Numba-stepped structure of arrays, its scale-up transitions, entrants,
and the rewards and loan subsidies they claim (scenario section ``[firms]``).
"""

from __future__ import annotations

from sim.populations import Population
from sim.populations.firms.section import FirmsSection
from sim.populations.firms.streams import STREAMS


def _component():
    from sim.populations.firms.component import Firms

    return Firms


POPULATION = Population(
    name="firms",
    section="firms",
    section_model=FirmsSection,
    component=_component,
    step_order=40,
    recipients=("firm",),
    streams=STREAMS,
    schema_order=20,
)
