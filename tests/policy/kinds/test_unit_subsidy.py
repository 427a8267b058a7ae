"""Per-kg subsidies to stations by district: the offers a station of a district sees, and who claims."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from pydantic import ValidationError

from sim.policy.facts import StationSales
from sim.policy.kinds import InstrumentAdapter
from sim.policy.kinds._base import district_rows
from sim.policy.kinds.unit_subsidy import open_to_district, price_cap_offers
from sim.policy.policyset import Program


def _subsidy(name: str, rate: float, cap: float | None, district=None, years=(1.0, 1.0)) -> Program:
    record = {
        "id": f"test.1.{name}", "name": name, "kind": "unit_subsidy", "recipient": "station", "payer": "p",
        "citation": {"document_number": "t", "item": "1", "line": "L1"},
        "valid_from": dt.date(2023, 1, 1), "valid_until": dt.date(2024, 12, 31), "rate_cny_per_kg": rate,
    }
    if cap is not None:
        record["price_cap_cny_per_kg"] = cap
    if district is not None:
        record["eligibility"] = {"district": district}
    return Program(0, InstrumentAdapter.validate_python(record), "p", 0, np.array(years))


CITY = _subsidy("city", 10.0, 30.0)
DAXING = _subsidy("daxing", 5.0, 35.0, "Daxing")
NORTH = _subsidy("north", 2.0, None, ["Changping", "Shunyi"])
ALL = [CITY, DAXING, NORTH]


def test_offers_without_a_district_are_every_programmes():
    caps, rates, uncapped, share = price_cap_offers(ALL, 0)
    assert caps.tolist() == [30.0, 35.0]
    assert rates.tolist() == [15.0, 5.0]  # at 30 both capped schemes are met, at 35 only Daxing's
    assert uncapped == 2.0
    assert share == 1.0


def test_offers_to_a_daxing_station_leave_out_other_districts_schemes():
    caps, rates, uncapped, _ = price_cap_offers(ALL, 0, "Daxing")
    assert caps.tolist() == [30.0, 35.0]
    assert rates.tolist() == [15.0, 5.0]
    assert uncapped == 0.0  # the northern scheme is not Daxing's


def test_offers_to_a_station_elsewhere_are_the_citys_and_its_own_districts():
    caps, rates, uncapped, _ = price_cap_offers(ALL, 0, "Shunyi")
    assert caps.tolist() == [30.0]
    assert rates.tolist() == [10.0]
    assert uncapped == 2.0
    caps, rates, uncapped, share = price_cap_offers([DAXING], 0, "Fangshan")
    assert caps.size == 0 and rates.size == 0 and uncapped == 0.0 and share == 0.0


def test_a_programme_outside_its_window_offers_nothing_in_any_district():
    late = _subsidy("late", 5.0, 35.0, "Daxing", years=(0.0, 1.0))
    assert price_cap_offers([late], 0, "Daxing")[0].size == 0
    assert price_cap_offers([late], 1, "Daxing")[1].tolist() == [5.0]


def test_open_to_district_keeps_the_order():
    assert open_to_district(ALL, None) == ALL
    assert open_to_district(ALL, "Daxing") == [CITY, DAXING]
    assert open_to_district(ALL, "Changping") == [CITY, NORTH]


def test_district_rows_are_the_rows_of_the_programmes_districts():
    district = np.array(["Daxing", "Fangshan", "Daxing", "Shunyi"], dtype=object)
    assert district_rows(CITY, district, 4) is None
    assert district_rows(DAXING, district, 4).tolist() == [0, 2]
    assert district_rows(NORTH, district, 4).tolist() == [3]


def test_a_table_without_districts_cannot_be_paid_by_district():
    facts = StationSales("station", np.arange(2), np.ones(2), np.ones(2), np.ones(2, dtype=bool))
    with pytest.raises(ValueError, match="test.1.daxing pays by district"):
        district_rows(DAXING, facts.district, facts.ids.size)


@pytest.mark.parametrize("district, fragment", [
    ([], "an empty list pays no station"),
    (["Daxing", "Daxing"], "must not repeat"),
    ("", "must not be empty"),
    (3, "district"),
])
def test_a_bad_district_limit_is_refused(district, fragment):
    with pytest.raises(ValidationError, match=fragment):
        _subsidy("bad", 1.0, None, district)

