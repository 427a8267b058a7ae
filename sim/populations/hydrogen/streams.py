"""Random-stream numbers of the hydrogen population (:mod:`sim.core.rng`): stations, their second numbers, the fleet. One per use
of randomness, never reused, never shared with another population.
"""

STATION = 20
STATION_2 = 21
FLEET = 30

#: The station's time-invariant draws on the "station" stream, each passed in the year key: one
#: number per use, so no two draws of a station read the same uniform (a shared number would tie,
#: say, its supply route to whether it is captive).
STATION_DRAWS = {"capacity": 1, "district": 2, "trailer": 3, "route": 4, "price": 5, "captive": 6}

#: By name, as :class:`~sim.populations.Population` declares them.
STREAMS = {"station": STATION, "station_2": STATION_2, "fleet": FLEET}
