"""Random-stream numbers of the hydrogen producers (:mod:`sim.core.rng`): the plants' yearly
availability. Never reused, never shared with another population.
"""

PLANT_AVAILABILITY = 70

#: By name, as :class:`~sim.populations.Population` declares them.
STREAMS = {"plant_availability": PLANT_AVAILABILITY}
