"""National little giants in counts per MIIT batch (sim/populations/firms/little_giants.py): the law
of a batch, the starting count, the probability that names the batch's firms, hand-computed."""

from __future__ import annotations

import numpy as np
import pytest
from test_firm_batches_and_shocks import _ROWS, run_firms

from sim.core.rng import NoiseKey
from sim.errors import ScenarioError
from sim.populations.firms.batches import BatchCalendar
from sim.populations.firms.kernels import ALIVE, LITTLE_GIANT, SRDI
from sim.populations.firms.little_giants import (
    LittleGiantBatches,
    promotion_probability,
    set_starting_little_giants,
)

CALENDAR = BatchCalendar({2022: 2, 2023: 2}, {2020: 1, 2021: 1, 2022: 1, 2023: 0, 2024: 2}, 4, 1)


def _noise(year: int) -> NoiseKey:
    return NoiseKey(7, 3)


def test_without_spread_a_year_names_the_median_times_its_national_batches():
    batches = LittleGiantBatches(100.0, 0.0, 2020, 53, CALENDAR)
    assert [batches.named_in(y, _noise) for y in (2021, 2023, 2024, 2030)] == [100.0, 0.0, 200.0, 100.0]
    # The start: the count of 2020 and the batch of 2021, for a run from 2022.
    assert batches.at_start(2022, _noise) == 153


def test_a_batch_with_spread_is_the_median_times_a_lognormal_keyed_by_its_year_and_index():
    batches = LittleGiantBatches(100.0, 0.25, 2020, 53, CALENDAR)
    from sim.core.rng import normal_at
    from sim.populations.firms.streams import FIRM_LITTLE_GIANT_BATCH

    z = [float(normal_at(7, 3, k, 2024, FIRM_LITTLE_GIANT_BATCH)) for k in (0, 1)]
    assert batches.named_in(2024, _noise) == pytest.approx(100.0 * (np.exp(0.25 * z[0]) + np.exp(0.25 * z[1])))
    assert batches.named_in(2024, _noise) == batches.named_in(2024, _noise)  # the same whoever asks


def test_the_probability_names_the_batch_among_the_living_certified_firms_not_yet_little_giants():
    flags = np.array([ALIVE | SRDI] * 4 + [ALIVE | SRDI | LITTLE_GIANT, SRDI, ALIVE], dtype=np.uint8)
    assert promotion_probability(flags, 2.0) == 0.5  # 2 of the 4 eligible
    assert promotion_probability(flags, 10.0) == 1.0  # more named than eligible: all of them
    assert promotion_probability(np.array([ALIVE], dtype=np.uint8), 3.0) == 0.0


def test_the_start_makes_exactly_that_many_living_certified_firms_little_giants():
    flags = np.array([ALIVE | SRDI] * 5 + [SRDI | LITTLE_GIANT, ALIVE | LITTLE_GIANT, ALIVE], dtype=np.uint8)
    set_starting_little_giants(flags, 3, np.random.default_rng(1))
    giants = (flags & LITTLE_GIANT) != 0
    assert giants.sum() == 3 and giants[:5].sum() == 3  # only among the five living certified
    set_starting_little_giants(flags, 9, np.random.default_rng(1))
    assert ((flags & LITTLE_GIANT) != 0).tolist() == [True] * 5 + [False] * 3


_COUNTS = ('batches = "calendar"\ncertification_hazard = 0\nlittle_giants_per_national_batch = {named}\n'
           'little_giants_start = {{ year = 2020, count = 53 }}')


def test_a_run_names_each_batch_by_the_probability_of_its_count(tmp_path, monkeypatch):
    # Forty certified firms from the CSV, none a little giant; one national batch in 2022 naming 10
    # (a quarter of them in expectation), none in 2023, two of 10 in 2024.
    from sim.populations.firms import component

    monkeypatch.setattr(component, "load_batch_calendar", lambda: CALENDAR)
    rows = [r.replace(",5,0,0,0,", ",5,1,0,0,") for r in _ROWS]
    _, model, out = run_firms(tmp_path, rows, _COUNTS.format(named=10.0), last_year=2022)
    firms = model.component("firms")
    giants = int(out["little_giants"][0])
    assert firms.srdi_rounds(2023)["little_giant_hazard"] == 0.0
    assert firms.srdi_rounds(2024)["little_giant_hazard"] == pytest.approx(20.0 / (40 - giants))
    assert firms.srdi_rounds(2022)["little_giant_share"] == 0.0  # none at certification
    # More named than certified: all forty in the first batch.
    _, _, out = run_firms(tmp_path, rows, _COUNTS.format(named=50.0), last_year=2023)
    assert out["little_giants"].tolist() == [40, 40]


@pytest.mark.parametrize(("srdi", "message"), [
    ("little_giants_per_national_batch = 10.0\nlittle_giants_start = { year = 2020, count = 53 }",
     'needs batches = "calendar"'),
    ('batches = "calendar"\nlittle_giants_per_national_batch = 10.0', "needs little_giants_start"),
    ('batches = "calendar"\nlittle_giants_per_national_batch = 10.0\nlittle_giants_start = { year = 2022, count = 5 }',
     "little_giants_start.year: 2022; allowed: from 2018"),
])
def test_counts_without_their_calendar_or_start_are_refused(tmp_path, srdi, message):
    with pytest.raises(ScenarioError, match=message):
        run_firms(tmp_path, _ROWS[:1], srdi)
