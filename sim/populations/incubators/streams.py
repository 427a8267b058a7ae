"""Random-stream numbers of the incubators population (:mod:`sim.core.rng`): admissions, then graduation. One per use
of randomness, never reused, never shared with another population.
"""

INCUBATOR_ADMISSION = 40
INCUBATOR_GRADUATION = 41

#: By name, as :class:`~sim.populations.Population` declares them.
STREAMS = {"incubator": INCUBATOR_ADMISSION, "incubator_graduation": INCUBATOR_GRADUATION}
