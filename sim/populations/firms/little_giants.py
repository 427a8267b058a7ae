"""National little giants named by MIIT's batches, as counts (``little_giants_per_national_batch``).

MIIT names specialised "little giants" in one national batch a year, and Beijing's count moves in
steps at those batches by about as many firms each time whatever the size of its certified
专精特新 stock: 53 at the end of 2020, 588 after the fourth batch (2022), 795 after the fifth
(2023), 1,035 after the sixth (2024), i.e. about 200-330 a batch while the certified stock grew
from about 5,000 to 8,800. A hazard per certified firm makes the count grow with the stock
instead; here each batch names a number of firms drawn around a median (the fitted parameter),
with a spread on the log scale, among the certified firms that are not yet little giants.

The draw of a batch is keyed by its year and its index in the year, so a batch's size is the same
whichever year asks for it; the starting count is an observed one plus the batches between it
and the horizon, drawn the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.core.rng import NoiseKey, normal_at
from sim.populations.firms.batches import BatchCalendar
from sim.populations.firms.kernels import ALIVE, LITTLE_GIANT, SRDI
from sim.populations.firms.streams import FIRM_LITTLE_GIANT_BATCH

__all__ = ["LittleGiantBatches", "promotion_probability", "set_starting_little_giants"]


@dataclass(frozen=True)
class LittleGiantBatches:
    """The law of Beijing's new little giants per national batch.

    Attributes
    ----------
    median_per_batch : float
        Median number of Beijing firms a national batch names.
    sd_log : float
        Spread of a batch around it, on the log scale.
    observed_year, observed_count : int
        An observed year-end count the starting count grows from.
    calendar : BatchCalendar
        The national batches publicised each year.
    """

    median_per_batch: float
    sd_log: float
    observed_year: int
    observed_count: int
    calendar: BatchCalendar

    def named_in(self, year: int, noise_in: Callable[[int], NoiseKey]) -> float:
        """Firms the national batches of `year` name in Beijing (0 in a year without one).

        `noise_in(year)` gives the (seed, draw) keying the numbers of a year.
        """
        total = 0.0
        for batch in range(self.calendar.national(year)):
            z = float(normal_at(*noise_in(year), batch, year, FIRM_LITTLE_GIANT_BATCH)) if self.sd_log > 0 else 0.0
            total += self.median_per_batch * math.exp(self.sd_log * z)
        return total

    def at_start(self, first_year: int, noise_in: Callable[[int], NoiseKey]) -> int:
        """Little giants at the end of the year before `first_year`: the observed count plus the
        batches of the years after it.
        """
        grown = sum(self.named_in(y, noise_in) for y in range(self.observed_year + 1, first_year))
        return int(round(self.observed_count + grown))


def promotion_probability(flags: np.ndarray, named: float) -> float:
    """The probability a certified firm that is not yet a little giant is named this year, so that
    `named` of them are in expectation (all of them when there are fewer).
    """
    eligible = int(np.count_nonzero((flags & (ALIVE | SRDI | LITTLE_GIANT)) == (ALIVE | SRDI)))
    return min(1.0, named / eligible) if eligible > 0 else 0.0


def set_starting_little_giants(flags: np.ndarray, count: int, rng: np.random.Generator) -> None:
    """Make `count` of the living certified firms little giants (all of them if fewer), the others not."""
    flags &= np.uint8(~LITTLE_GIANT & 0xFF)
    certified = np.flatnonzero((flags & (ALIVE | SRDI)) == (ALIVE | SRDI))
    chosen = certified if count >= certified.size else rng.choice(certified, size=count, replace=False)
    flags[chosen] |= LITTLE_GIANT
