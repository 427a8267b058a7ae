"""Random-stream numbers of the centres population (:mod:`sim.core.rng`): milestones. One per use
of randomness, never reused, never shared with another population.
"""

CENTRE = 50

#: By name, as :class:`~sim.populations.Population` declares them.
STREAMS = {"centre": CENTRE}
