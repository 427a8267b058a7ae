"""Hydrogen producers: production plants selling to the ``[hydrogen]`` stations, paid by the
per-kg schemes to ``producer`` (scenario section ``[hydrogen_producers]``).

The worked example of a population added as one folder (README, "Adding a population").
"""

from __future__ import annotations

from pathlib import Path

from sim.populations import Population
from sim.populations.hydrogen_producers.section import HydrogenProducersSection
from sim.populations.hydrogen_producers.streams import STREAMS


def _component():
    from sim.populations.hydrogen_producers.component import HydrogenProducers

    return HydrogenProducers


POPULATION = Population(
    name="hydrogen_producers",
    section="hydrogen_producers",
    section_model=HydrogenProducersSection,
    component=_component,
    # After the stations: the plants sell a share of what the stations sold in the year.
    step_order=25,
    recipients=("producer",),
    streams=STREAMS,
    depends_on=("hydrogen",),
    notes=Path(__file__).with_name("parameter_sources.toml"),
)
