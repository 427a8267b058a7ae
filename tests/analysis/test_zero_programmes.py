"""Outputs that explain a zero: why a programme paid nothing, and stations under the price cap by year.

Hand-built datasets with known numbers: three draws, 2022-2026, a capped per-kg station subsidy
in force 2022-2025 and a grant that pays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sim.analysis.report import build_report
from sim.analysis.report_text import print_run_summary
from sim.analysis.zero_programmes import enrolment_table, zero_lines, zero_programmes

YEARS = [2022, 2023, 2024, 2025, 2026]
PROGRAMS = ["hydrogen.13.operating_subsidy", "hydrogen.13.construction_grant", "test.1.expired_grant"]
#: Lowest marginal cost of the stations selling, CNY/kg, by draw and year (NaN: none sold).
MC = np.array([[43.0, 42.0, 41.2, 44.0, 39.0],
               [47.9, 45.0, 44.0, 43.0, 38.0],
               [45.0, 46.0, np.nan, 42.0, 30.0]])


def _dataset(operating_outlay: np.ndarray | None = None, mc: np.ndarray = MC) -> xr.Dataset:
    n_draws, n_years, n_prog = 3, len(YEARS), len(PROGRAMS)
    fiscal = np.zeros((n_draws, n_years, n_prog))
    fiscal[:, :, 1] = 1e6  # the construction grant pays every year in every draw
    outlay = fiscal.copy()
    if operating_outlay is not None:
        outlay[:, :, 0] = operating_outlay
    share = np.zeros((n_years, n_prog))
    share[:4, 0] = [0.39, 1.0, 1.0, 0.61]  # 2022-08-11 to 2025-08-10
    share[:, 1] = 1.0
    enrolled = np.array([[0, 1, 2, 3, 4], [2, 2, 2, 2, 2], [0, 0, 5, 6, 7]], dtype=np.int64)
    sold = np.array([[100.0, 100.0, 100.0, 100.0, 0.0]] * 3)
    enrolled_kg = np.array([[0.0, 10.0, 20.0, 30.0, 0.0], [50.0, 50.0, 50.0, 50.0, 0.0], [0.0, 0.0, 60.0, 80.0, 0.0]])
    y, p, dy, dyp = ("year",), ("program",), ("draw", "year"), ("draw", "year", "program")
    ds = xr.Dataset(
        {
            "outlay": (dyp, outlay, {"units": "CNY", "long_name": "paid"}),
            "committed": (dyp, outlay.copy(), {"units": "CNY", "long_name": "approved"}),
            "unpaid": (dyp, np.zeros_like(outlay), {"units": "CNY", "long_name": "queued"}),
            "forfeited": (dyp, np.zeros_like(outlay), {"units": "CNY", "long_name": "cut"}),
            "outlay_by_payer": (("draw", "year", "payer"), outlay.sum(axis=2, keepdims=True),
                                {"units": "CNY", "long_name": "paid, by payer"}),
            "program_payer": (p, np.array(["市城市管理委"] * n_prog, dtype=object), {"units": "1", "long_name": "payer"}),
            "program_kind": (p, np.array(["unit_subsidy", "tiered_grant", "tiered_grant"], dtype=object),
                             {"units": "1", "long_name": "kind"}),
            "program_recipient": (p, np.array(["station"] * n_prog, dtype=object), {"units": "1", "long_name": "who"}),
            "program_rate_cny_per_kg": (p, np.array([10.0, np.nan, np.nan]), {"units": "CNY/kg", "long_name": "rate"}),
            "program_price_cap_cny_per_kg": (p, np.array([30.0, np.nan, np.nan]),
                                             {"units": "CNY/kg", "long_name": "cap"}),
            "program_in_force_share": (("year", "program"), share, {"units": "1", "long_name": "in force"}),
            "discount_factor": (y, 1.03 ** -np.arange(n_years), {"units": "1", "long_name": "pv"}),
            "stations_enrolled": (dy, enrolled, {"units": "stations", "long_name": "enrolled"}),
            "h2_enrolled_kg": (dy, enrolled_kg, {"units": "kg", "long_name": "enrolled kg"}),
            "h2_sold_kg": (dy, sold, {"units": "kg", "long_name": "kg sold"}),
            "station_marginal_cost_min": (dy, mc, {"units": "CNY/kg", "long_name": "lowest marginal cost"}),
        },
        coords={"draw": np.arange(n_draws), "year": YEARS, "program": PROGRAMS, "payer": ["市城市管理委"]},
    )
    ds.attrs = {"scenario": "zero_test", "draws": n_draws, "seed": 1, "first_year": 2022, "last_year": 2026,
                "base_year": 2022, "discount_rate": 0.03, "sim_version": "test"}
    return ds


def test_capped_station_subsidy_paying_nothing_is_explained_by_the_cheapest_cost():
    zeros = {z.program: z for z in zero_programmes(_dataset())}
    z = zeros["hydrogen.13.operating_subsidy"]
    assert z.reason == "marginal_cost"
    assert z.years == (2022, 2023, 2024, 2025)  # 2026 is outside its window: its 30.0 does not count
    assert z.threshold == 40.0
    assert z.cost_lowest == (43.0, 42.0, 41.2, 42.0)
    assert z.cost_median == (45.0, 45.0, 42.6, 43.0)  # 2024: one draw without a seller is left out
    assert z.text == ("hydrogen.13.operating_subsidy pays 0 in every draw: the cheapest station's marginal cost was "
                      "41.2-43.0 CNY/kg (lowest over draws, 2022-2025) against 40.0 = cap 30 + rate 10, so no "
                      "station could sell at the cap without a loss")
    assert "2024 41.2 / 42.6" in z.detail
    assert z.text_zh == ("在所有抽样中支出均为 0：最低边际成本的加氢站成本为 41.2-43.0 元/公斤（各抽样中最低，2022-2025），"
                         "高于 40.0（限价 30 + 补贴 10），任何加氢站按限价销售都会亏损")
    assert "2024年 41.2 / 42.6" in z.detail_zh


def test_a_programme_that_pays_in_some_draw_gets_no_line():
    paid = np.zeros((3, len(YEARS)))
    paid[1, 2] = 5e5  # one draw, one year
    ds = _dataset(operating_outlay=paid)
    assert "hydrogen.13.operating_subsidy" not in {z.program for z in zero_programmes(ds)}
    assert not any("hydrogen.13.operating_subsidy" in line for line in zero_lines(ds))
    # The grant pays everywhere; the expired one is still explained.
    assert [z.program for z in zero_programmes(ds)] == ["test.1.expired_grant"]


def test_a_programme_out_of_force_in_the_horizon_says_so():
    z = {z.program: z for z in zero_programmes(_dataset())}["test.1.expired_grant"]
    assert z.reason == "not_in_force"
    assert z.text.startswith("test.1.expired_grant pays 0 in every draw: it is not in force in any year of the "
                             "horizon (2022-2026")


def test_cost_within_cap_plus_rate_is_not_given_as_the_reason():
    mc = MC.copy()
    mc[2, 1] = 39.5
    z = zero_programmes(_dataset(mc=mc))[0]
    assert z.reason == "cost_does_not_explain"
    assert "at or under 40.0 = cap 30 + rate 10 in 2023" in z.text
    assert "could sell" not in z.text


def test_approved_but_queued_is_told_apart_from_no_claim():
    ds = _dataset()
    ds["committed"][:, 3, 0] = 2e6
    ds["unpaid"][:, 4, 0] = 2e6
    z = zero_programmes(ds)[0]
    assert z.reason == "approved_not_paid"
    assert "approved in 3 of 3 draws (2.00 million CNY, mean over draws)" in z.text
    assert "2.00 million CNY queued under a budget ceiling" in z.text
    assert "3 次抽样中有 3 次批准了申领（各抽样均值 2.00 百万元），但2.00 百万元预测期末因预算上限排队待付" in z.text_zh


def test_enrolment_table_numbers():
    table = enrolment_table(_dataset())
    assert list(table.index) == YEARS
    enrolled = table["stations enrolled, P50 [P5–P95]"]
    # 2024: draws enrol 2, 2, 5 -> P50 2, P5 2, P95 4.7 -> 5 shown to whole stations.
    assert enrolled[2024] == "2 [2–5]"
    assert enrolled[2022] == "0 [0–2]"
    share = table["share of kg sold, median"]
    assert share[2022] == "0%"   # 0, 50, 0 percent
    assert share[2024] == "50%"  # 20, 50, 60 percent
    assert share[2025] == "50%"  # 30, 50, 80 percent
    assert share[2026] == "—"    # nothing sold in any draw


def test_enrolment_table_is_empty_for_results_without_the_variables():
    assert enrolment_table(_dataset().drop_vars(["stations_enrolled"])).empty


def test_cli_summary_prints_the_explanation_and_the_enrolment_table(capsys, monkeypatch, tmp_path):
    import sim.analysis.report_text as rt

    # The parts of the summary that need a full run's variables are not under test here.
    monkeypatch.setattr(rt, "target_table", lambda ds: None)
    monkeypatch.setattr(rt, "format_target_table", lambda table: "")
    monkeypatch.setattr(rt, "scaleup_counts", lambda ds: pd.DataFrame())
    print_run_summary(_dataset(), tmp_path)
    out = capsys.readouterr().out
    assert ("hydrogen.13.operating_subsidy pays 0 in every draw: the cheapest station's marginal cost was "
            "41.2-43.0 CNY/kg") in out
    assert "Hydrogen stations under the price cap, by year" in out
    assert out.index("Fiscal exposure 2022-2026 by payer") < out.index("pays 0 in every draw")


@pytest.mark.parametrize("lang", [None, "en"])
def test_report_html_has_the_explanation_and_the_enrolment_table(tmp_path, monkeypatch, lang):
    import sim.analysis.report as report

    ds = _dataset()
    ds.to_netcdf(tmp_path / "results.nc", engine="h5netcdf")
    # The report reads the folder's results.nc; these hand-built ones lack the variables a run always has.
    monkeypatch.setattr("sim.analysis.results.open_results", lambda folder: ds)
    # Only the programme section is under test: the rest needs a full run's variables.
    monkeypatch.setattr(report, "_summary", lambda *a: "")
    monkeypatch.setattr(report, "_queue_section", lambda *a: "")
    monkeypatch.setattr(report, "_targets_section", lambda *a: "")
    monkeypatch.setattr(report, "scaleup_counts", lambda ds: pd.DataFrame())
    text = build_report(tmp_path, lang)
    assert "Programmes that pay nothing in any draw, and why" in text
    assert ("the cheapest station&#x27;s marginal cost was 41.2-43.0 CNY/kg (lowest over draws, 2022-2025) against "
            "40.0 = cap 30 + rate 10") in text
    assert "Hydrogen stations under the price cap, by year" in text
    assert "2 [2–5]" in text
    # In the programme section: after the programme table, before the payer table.
    assert text.index("Fiscal exposure by programme") < text.index("pays 0 in every draw") < text.index(
        "Fiscal exposure by payer")


def test_no_station_selling_in_the_window_is_said_plainly():
    z = zero_programmes(_dataset(mc=np.full_like(MC, np.nan)))[0]
    assert z.reason == "no_seller"
    assert z.text == ("hydrogen.13.operating_subsidy pays 0 in every draw: no station sold hydrogen in any draw in "
                      "its window, 2022-2025")
