"""Project arrivals: streams of approved projects under the grant and loan programmes (scenario
section ``[projects]``).
"""

from __future__ import annotations

from sim.populations import Population
from sim.populations.projects.section import ProjectsSection
from sim.populations.projects.streams import STREAMS


def _component():
    from sim.populations.projects.component import ProjectArrivals

    return ProjectArrivals


POPULATION = Population(
    name="projects",
    section="projects",
    section_model=ProjectsSection,
    component=_component,
    step_order=10,
    recipients=("project",),
    streams=STREAMS,
    schema_order=10,
)
