"""Random-stream numbers of the projects population (:mod:`sim.core.rng`): reserved for the arrivals (drawn today from keyed generators, :func:`sim.core.rng.keyed_generator`). One per use
of randomness, never reused, never shared with another population.
"""

PROJECT_COUNT = 60
PROJECT_SIZE = 61
PROJECT_CATEGORY = 62
PROJECT_DATE = 63

#: By name, as :class:`~sim.populations.Population` declares them.
STREAMS = {"project_count": PROJECT_COUNT, "project_size": PROJECT_SIZE, "project_category": PROJECT_CATEGORY,
           "project_date": PROJECT_DATE}
