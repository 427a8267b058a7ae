"""Hydrogen refuelling stations and the fuel-cell fleet they serve, with the stations' supply
routes (scenario section ``[hydrogen]``).
"""

from __future__ import annotations

from sim.populations import Population
from sim.populations.hydrogen.section import HydrogenSection
from sim.populations.hydrogen.streams import STREAMS


def _component():
    from sim.populations.hydrogen.component import HydrogenStations

    return HydrogenStations


POPULATION = Population(
    name="hydrogen",
    section="hydrogen",
    section_model=HydrogenSection,
    component=_component,
    step_order=20,
    recipients=("station",),
    streams=STREAMS,
    schema_order=40,
)
