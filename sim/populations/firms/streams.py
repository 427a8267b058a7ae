"""Random-stream numbers of the firm population (:mod:`sim.core.rng`): one per use of randomness,
never reused, never shared with another population.
"""

FIRM_GROWTH = 1
FIRM_GROWTH_2 = 2
FIRM_EXIT = 3
FIRM_ENTRY = 4
FIRM_ENTRY_SIZE = 5
FIRM_SRDI = 6
FIRM_LOAN = 7
FIRM_LOAN_SIZE = 8
FIRM_INCLUSION = 9
FIRM_REWARD_DATE = 10
FIRM_LITTLE_GIANT = 11
#: The yearly aggregate growth shock of a sector (keyed by the sector code and the year).
FIRM_SECTOR_SHOCK = 12
#: The size of a national little-giant batch (keyed by its index in the year and the year).
FIRM_LITTLE_GIANT_BATCH = 13

#: By name, as :class:`~sim.populations.Population` declares them.
STREAMS = {
    "firm_growth": FIRM_GROWTH,
    "firm_growth_2": FIRM_GROWTH_2,
    "firm_exit": FIRM_EXIT,
    "firm_entry": FIRM_ENTRY,
    "firm_entry_size": FIRM_ENTRY_SIZE,
    "firm_srdi": FIRM_SRDI,
    "firm_loan": FIRM_LOAN,
    "firm_loan_size": FIRM_LOAN_SIZE,
    "firm_inclusion": FIRM_INCLUSION,
    "firm_reward_date": FIRM_REWARD_DATE,
    "firm_little_giant": FIRM_LITTLE_GIANT,
    "firm_sector_shock": FIRM_SECTOR_SHOCK,
    "firm_little_giant_batch": FIRM_LITTLE_GIANT_BATCH,
}
