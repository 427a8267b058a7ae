"""专精特新 certification in batches at the calendar's dates, the sectors' yearly aggregate growth
shock, and the exits added outside the age law: hand-computed on small CSV populations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _firms_helpers import HEADER, _collect, deterministic_toml

from sim.core.rng import normal_at
from sim.errors import PolicyDataError
from sim.populations.firms.batches import BATCHES_FILE, load_batch_calendar
from sim.populations.firms.streams import FIRM_SECTOR_SHOCK, STREAMS
from sim.runner.model import PolicyModel
from sim.scenario.loader import load_scenario


def run_firms(tmp_path, rows, srdi="", exit_="", body="", **options):
    """A deterministic one-draw run (tests/populations/firms/_firms_helpers.py) whose ``[firms.srdi]``
    and ``[firms.exit]`` tables are replaced by `srdi` and `exit_` lines when given."""
    csv = tmp_path / "firms.csv"
    csv.write_text("\n".join([HEADER] + rows) + "\n", encoding="utf-8")
    text = deterministic_toml(csv, body, **options)
    if srdi:
        text = text.replace("[firms.srdi]\ncertification_hazard = 0\n", "[firms.srdi]\n" + srdi + "\n")
    if exit_:
        text = text.replace("[firms.exit]\nenabled = false\n", "[firms.exit]\n" + exit_ + "\n")
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    loaded = load_scenario(path)
    model = PolicyModel(loaded.scenario, loaded.policy, 0)
    while model.steps < len(model.years):
        model.step()
    return loaded, model, _collect(model)

#: Forty uncertified manufacturing firms at 30,000,000 (above every certification floor), age 5.
_ROWS = [f"f{i},advanced_manufacturing,30000000,5,0,0,0,,2015,0" for i in range(40)]


def test_the_calendar_file_gives_the_batches_of_each_year_and_the_rhythm_after_the_last():
    cal = load_batch_calendar()
    assert [cal.municipal(y) for y in (2022, 2023, 2024, 2025, 2030)] == [2, 2, 3, 4, 4]
    # MIIT's batches 1-7 in 2019-2025, one a year, then one a year.
    assert [cal.national(y) for y in range(2019, 2031)] == [1] * 12
    with pytest.raises(ValueError, match="from 2022"):
        cal.municipal(2021)


def test_a_year_listed_twice_or_a_negative_count_is_refused(tmp_path):
    text = BATCHES_FILE.read_text(encoding="utf-8")
    twice = tmp_path / "twice.toml"
    twice.write_text(text + '\n[[municipal]]\nyear = 2023\nbatches = 1\nsource = "x"\n', encoding="utf-8")
    with pytest.raises(PolicyDataError, match="year 2023 listed twice"):
        load_batch_calendar(twice)
    negative = tmp_path / "negative.toml"
    negative.write_text(text.replace("batches = 3", "batches = -1"), encoding="utf-8")
    with pytest.raises(PolicyDataError, match=r"batches -1; allowed: 0-52"):
        load_batch_calendar(negative)


def test_with_certain_certification_a_batch_certifies_every_eligible_firm_in_its_year(tmp_path):
    # Probability 1 per batch: every eligible firm is certified in 2022, the first year with a
    # batch; with probability 0 of little giants none is named.
    srdi = 'batches = "calendar"\ncertification_hazard = 1.0\nlittle_giant_share = 0.0\nmin_revenue_cny = 10_000_000'
    _, _, out = run_firms(tmp_path, _ROWS, srdi)
    assert out["srdi_firms"].sum(axis=1).tolist() == [40] * 6


def test_per_batch_probability_compounds_over_the_years_batches_and_nothing_without_one(tmp_path, monkeypatch):
    # Hand-computed: with p per batch, a year of k batches certifies 1 - (1 - p)^k of the
    # eligible; a year without a batch none. The calendar is replaced by one with 2023 empty.
    from sim.populations.firms import component
    from sim.populations.firms.batches import BatchCalendar

    calendar = BatchCalendar({2022: 2, 2023: 0, 2024: 3}, {2022: 1, 2023: 0, 2024: 1}, 0, 0)
    monkeypatch.setattr(component, "load_batch_calendar", lambda: calendar)
    srdi = 'batches = "calendar"\ncertification_hazard = 0.3\nlittle_giant_hazard = 0.2\nlittle_giant_share = 0.5'
    loaded, model, _ = run_firms(tmp_path, _ROWS[:1], srdi, last_year=2022)
    firms = model.component("firms")
    rounds = {y: firms.srdi_rounds(y) for y in (2022, 2023, 2024, 2025)}
    assert rounds[2022]["srdi_hazard"] == pytest.approx(1 - 0.7**2)
    assert rounds[2024]["srdi_hazard"] == pytest.approx(1 - 0.7**3)
    assert rounds[2022]["little_giant_hazard"] == pytest.approx(0.2)
    assert rounds[2022]["little_giant_share"] == 0.5
    for year in (2023, 2025):  # no batch: nothing certified, nobody named
        assert rounds[year]["srdi_hazard"] == 0.0
        assert rounds[year]["little_giant_hazard"] == 0.0
        assert rounds[year]["little_giant_share"] == 0.0


def test_no_firm_is_certified_in_a_year_without_a_batch(tmp_path, monkeypatch):
    from sim.populations.firms import component
    from sim.populations.firms.batches import BatchCalendar

    calendar = BatchCalendar({2022: 0, 2023: 1, 2024: 0}, {2022: 0, 2023: 0, 2024: 0}, 0, 0)
    monkeypatch.setattr(component, "load_batch_calendar", lambda: calendar)
    srdi = 'batches = "calendar"\ncertification_hazard = 1.0\nlittle_giant_share = 1.0\nmin_revenue_cny = 10_000_000'
    _, _, out = run_firms(tmp_path, _ROWS, srdi, last_year=2025)
    # Nothing in 2022, all forty at the 2023 batch, no little giant (no national batch).
    assert out["srdi_firms"].sum(axis=1).tolist() == [0, 40, 40, 40]
    assert out["little_giants"].tolist() == [0, 0, 0, 0]


def test_a_calendar_horizon_before_its_first_year_is_refused(tmp_path):
    from sim.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"firms\.srdi\.batches: 'calendar' lists batches from 2022"):
        run_firms(tmp_path, _ROWS[:1], 'batches = "calendar"', first_year=2021)


def test_the_sector_shock_has_its_own_stream_and_the_old_ids_are_unchanged():
    assert FIRM_SECTOR_SHOCK == 12 and STREAMS["firm_sector_shock"] == 12
    assert [STREAMS[k] for k in ("firm_growth", "firm_exit", "firm_srdi", "firm_little_giant")] == [1, 3, 6, 11]


def test_the_yearly_shock_is_common_to_the_sectors_firms_and_has_the_stated_sd(tmp_path):
    # Without firm shocks, every manufacturing firm grows by drift + the sector's shock of the
    # year: the same factor for all, exp(0.12 sd z_year), z keyed by (draw, sector 0, year).
    rows = [f"f{i},advanced_manufacturing,{10_000_000 + 1_000_000 * i},5,0,0,0,,0,0" for i in range(5)]
    body = """
        [firms.behaviour.advanced_manufacturing]
        drift = 0.02
        yearly_shock_sd = 0.12
    """
    loaded, model, out = run_firms(tmp_path, rows, body=body)
    firms = model.component("firms")
    revenue = firms.state.revenue_cny[:5]
    factors = revenue / np.array([10_000_000 + 1_000_000 * i for i in range(5)])
    assert np.ptp(np.log(factors)) < 1e-12  # common to every firm of the sector
    seed = loaded.scenario.ensemble.seed
    expected = sum(0.02 + 0.12 * normal_at(seed, 0, 0, y, FIRM_SECTOR_SHOCK) for y in range(2022, 2028))
    assert math.log(factors[0]) == pytest.approx(expected, rel=1e-9)
    # The sd over many (draw, year) keys is the stated one; years and draws are independent.
    z = np.array([[normal_at(seed, d, 0, y, FIRM_SECTOR_SHOCK) for y in range(2022, 2031)] for d in range(400)])
    assert 0.12 * z.std() == pytest.approx(0.12, rel=0.06)
    assert abs(np.corrcoef(z[:, :-1].ravel(), z[:, 1:].ravel())[0, 1]) < 0.06
    # Another sector's shock is drawn apart from it.
    other = np.array([normal_at(seed, d, 1, 2023, FIRM_SECTOR_SHOCK) for d in range(400)])
    assert abs(np.corrcoef(z[:, 1], other)[0, 1]) < 0.15


def test_the_added_exit_hazard_is_scaled_by_the_size_law(tmp_path):
    # Added hazard 1 at the reference revenue 30,000,000 with size exponent 0: every firm exits
    # in the first year; the exits a sector without it adds are none.
    exit_ = "hazard_by_year_of_life = [0.0]\nreference_revenue_cny = 30_000_000\nsize_exponent = 0.0"
    body = "[firms.behaviour.advanced_manufacturing]\nadded_exit_hazard = 1.0\n"
    rows = _ROWS[:10] + [f"s{i},software_it,30000000,5,0,0,0,,2015,0" for i in range(10)]
    _, _, out = run_firms(tmp_path, rows, exit_=exit_, body=body, last_year=2022)
    alive = out["firms_alive"][0]
    assert alive.tolist()[:2] == [0, 10]


def test_the_added_exit_spares_firms_younger_than_its_minimum_age(tmp_path):
    # The firms are 6 after their 2022 birthday: from age 7 the added hazard does not touch them.
    exit_ = "hazard_by_year_of_life = [0.0]\nreference_revenue_cny = 30_000_000\nsize_exponent = 0.0\nadded_min_age_years = 7"
    body = "[firms.behaviour.advanced_manufacturing]\nadded_exit_hazard = 1.0\n"
    _, _, out = run_firms(tmp_path, _ROWS[:10], exit_=exit_, body=body, last_year=2023)
    assert out["firms_alive"][:, 0].tolist() == [10, 0]
