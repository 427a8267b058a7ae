"""Incubators and service institutions (D7 item 8): recognitions, admissions and graduates, who
join the firm population (scenario section ``[incubators]``).
"""

from __future__ import annotations

from sim.populations import Population
from sim.populations.incubators.section import IncubatorsSection
from sim.populations.incubators.streams import STREAMS


def _component():
    from sim.populations.incubators.component import Incubators

    return Incubators


POPULATION = Population(
    name="incubators",
    section="incubators",
    section_model=IncubatorsSection,
    component=_component,
    # Before the firms: the start-ups they admit enter the firms' step of the same year.
    step_order=30,
    recipients=("incubator",),
    streams=STREAMS,
    schema_order=50,
    depends_on=("firms",),
)
