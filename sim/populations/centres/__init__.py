"""Innovation centres and their milestone grants (scenario section ``[centres]``)."""

from __future__ import annotations

from sim.populations import Population
from sim.populations.centres.section import CentresSection
from sim.populations.centres.streams import STREAMS


def _component():
    from sim.populations.centres.component import Centres

    return Centres


POPULATION = Population(
    name="centres",
    section="centres",
    section_model=CentresSection,
    component=_component,
    step_order=50,
    recipients=("centre",),
    streams=STREAMS,
    schema_order=30,
)
