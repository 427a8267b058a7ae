"""Instruments limited by district pay only the stations of their districts: the Daxing top-up
(scenarios/data/daxing_hydrogen_topup.toml) and a district's construction grant, checked by hand
on a small stations CSV."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pytest
from _hydrogen_helpers import HAND_STATION_COSTS, folder_writer
from matplotlib.axes import Axes

import sim
from sim.analysis.report import build_report
from sim.analysis.results import write_outputs
from sim.policy.payers import payer_names_of

TOPUP = Path(__file__).resolve().parents[3] / "scenarios" / "data" / "daxing_hydrogen_topup.toml"

# Deterministic: fixed demand, no investment, no plan, no adoption, fixed parameters, capacity
# bound sales (demand above every district's capacity), availability 1.
HAND = """
name = "{name}"
[horizon]
first_year = 2023
last_year = 2026
[ensemble]
draws = 1
seed = 1
[policy]
in_force = {in_force}
documents = ["{document}"]
{extra}
[hydrogen]
districts = [{{ name = "Daxing", weight = 1.0 }}, {{ name = "Fangshan", weight = 0.0 }}]
[hydrogen.stations]
existing = 0
stations_csv = "stations.csv"
""" + HAND_STATION_COSTS + """[hydrogen.plan]
enabled = false
[hydrogen.fleet]
adoption = false
retirement = false
initial_price_cny_per_kg = 40.0
cross_district_supply_share = 0.0
demonstration_by_year = {{}}
fixed_demand_kg_per_year = {{ Daxing = 5_000_000, Fangshan = 5_000_000 }}
"""

# D1: 1,000 kg/12h = 2,000 kg a day, 730,000 kg in 365 days; D2: 250 kg/12h, 182,500 kg; F1 in
# Fangshan: 500 kg/12h, 365,000 kg. Demand is above every station's capacity: all sell full.
STATIONS = ("station_id,district,capacity_kg_per_12h,status\n"
            "D1,Daxing,1000,operating\n"
            "F1,Fangshan,500,operating\n"
            "D2,Daxing,250,operating\n")

TOPUP_ID = "daxing.1.operating_topup"


def _run(write_scenario, name: str, document, in_force: str, extra: str = "", stations: str = STATIONS):
    write_scenario("stations.csv", stations)
    path = write_scenario(f"{name}.toml", HAND.format(name=name, document=document.as_posix(), in_force=in_force,
                                                     extra=extra))
    return sim.run(path, draws=1)


def _paid(ds, program: str) -> dict[tuple[str, int], float]:
    """Committed CNY by (station id, year) under one programme, from the payments of the CSV stations."""
    rows = ds["payment_program"].values == program
    return {(str(r), int(y)): float(c) for r, y, c in zip(ds["payment_recipient"].values[rows],
                                                        ds["payment_year"].values[rows],
                                                        ds["payment_committed_cny"].values[rows], strict=True)}


@pytest.fixture(scope="module")
def topup(tmp_path_factory):
    """The Daxing top-up with the city's subsidy, its window cut to mid-2025 to show the pro-rating."""
    write = folder_writer(tmp_path_factory.mktemp("topup"))
    extra = f'[instruments."{TOPUP_ID}"]\nvalid_until = 2025-06-30'
    return _run(write, "topup", TOPUP, f'["{TOPUP_ID}", "hydrogen.13.operating_subsidy"]', extra)


def test_the_daxing_top_up_pays_its_hand_computed_amounts_to_daxing_stations_only(topup):
    ds = topup.isel(draw=0)
    # Every station sells its capacity at its own price, under both caps, enrolled.
    kg = ds.station_kg_sold.sel(year=[2023, 2024, 2025]).values
    np.testing.assert_allclose(kg[:, 0], [730_000.0, 732_000.0, 730_000.0])  # D1, 2024 is leap
    np.testing.assert_allclose(kg[:, 2], [182_500.0, 183_000.0, 182_500.0])  # D2
    assert (ds.station_price.sel(year=[2023, 2024, 2025]).values <= 35.0).all()
    assert (ds.station_enrolled.sel(year=[2023, 2024, 2025]).values == 1).all()
    paid = _paid(ds, TOPUP_ID)
    # 5 CNY/kg, at most 2,000,000 a station-year; 2025 pro-rated to 1 January - 30 June (181 of
    # 365 days) before the cap; nothing in 2026, after the window.
    assert paid == pytest.approx({
        ("D1", 2023): 2_000_000.0,                     # 5 x 730,000 = 3,650,000 -> cap
        ("D1", 2024): 2_000_000.0,                     # 5 x 732,000 = 3,660,000 -> cap
        ("D1", 2025): 5.0 * 730_000 * 181 / 365,       # 1,810,000, under the cap
        ("D2", 2023): 5.0 * 182_500,                   # 912,500
        ("D2", 2024): 5.0 * 183_000,                   # 915,000
        ("D2", 2025): 5.0 * 182_500 * 181 / 365,       # 452,500
    })
    # F1 (Fangshan) sold as much under the same caps and got nothing; the city's subsidy paid it.
    assert not any(station == "F1" for station, _ in paid)
    assert _paid(ds, "hydrogen.13.operating_subsidy")[("F1", 2023)] == pytest.approx(10.0 * 365_000)
    committed = ds.committed.sel(program=TOPUP_ID).values
    np.testing.assert_allclose(committed, [2_912_500.0, 2_915_000.0, 1_810_000.0 + 452_500.0, 0.0])


def test_the_payer_is_shown_by_its_declared_english_name_in_plots_and_report(topup, tmp_path, monkeypatch):
    assert payer_names_of(topup)["大兴区人民政府"] == "Daxing District People's Government"
    labels: list[str] = []
    bar = Axes.bar

    def spy(self, *args, **kwargs):
        labels.append(kwargs.get("label", ""))
        return bar(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "bar", spy)
    write_outputs(topup, tmp_path)
    # The outlay-by-payer chart's legend: English names only (no CJK glyphs to draw as boxes).
    assert "Daxing District People's Government" in labels
    assert "Municipal Commission of Urban Management" in labels
    assert not any("大兴" in label for label in labels)
    assert html.escape("Daxing District People's Government") in build_report(tmp_path, lang="en")


GRANT_DOCUMENT = """
[document]
key = "dgrant"
position = 102
number = "test 1"
title = "某区加氢站建设补贴(测试)"
title_en = "A district's station construction grant (test)"
issued = 2023-01-01
valid_from = 2023-01-01
valid_until = 2026-12-31

[[payer]]
name = "大兴区人民政府"
name_en = "Daxing District People's Government"

[[instrument]]
id = "dgrant.1.construction"
name = "District construction grant by compressor capacity"
citation = { document_number = "test 1", item = "1", line = "L1" }
payer = "大兴区人民政府"
recipient = "station"
kind = "tiered_grant"
measure = "compressor_capacity_kg_per_12h"
tier_thresholds = [1000.0, 500.0]
tier_amounts_cny = [3000000.0, 1000000.0]
valid_from = 2023-01-01
valid_until = 2026-12-31
eligibility = { district = ["Daxing"] }
"""


def test_a_district_construction_grant_pays_only_that_districts_completions(write_scenario):
    document = write_scenario("dgrant.toml", GRANT_DOCUMENT)
    stations = ("station_id,district,capacity_kg_per_12h,status\n"
                "D1,Daxing,1000,under_construction\n"
                "F1,Fangshan,1000,under_construction\n"
                "D2,Daxing,500,under_construction\n")
    ds = _run(write_scenario, "grant", document, '["dgrant.*", "hydrogen.13.operating_subsidy"]',
              stations=stations).isel(draw=0)
    # All three are completed within the horizon (6 months' lead from a day of 2023).
    assert (ds.station_opened_year.values >= 2023).all()
    # The top tier (>= 1,000 kg/12h) is 3,000,000, the next (>= 500) 1,000,000; F1 in Fangshan: 0.
    np.testing.assert_allclose(ds.station_grant_cny.values, [3_000_000.0, 0.0, 1_000_000.0])
    assert float(ds.committed.sel(program="dgrant.1.construction").sum()) == pytest.approx(4_000_000.0)
