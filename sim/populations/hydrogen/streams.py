"""Random-stream numbers of the hydrogen population (:mod:`sim.core.rng`): stations, their second numbers, the fleet. One per use
of randomness, never reused, never shared with another population.
"""

STATION = 20
STATION_2 = 21
FLEET = 30

#: By name, as :class:`~sim.populations.Population` declares them.
STREAMS = {"station": STATION, "station_2": STATION_2, "fleet": FLEET}
