"""The checks that say how sure a sensitivity analysis is: each warning fires when it should and only then."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.index_checks import (
    DUMMY,
    RELIABLE_GIVEN_DRAWS,
    Thresholds,
    check_given_sample,
    check_indices,
    check_outputs,
    format_warnings,
)
from sim.analysis.selection import SelectedOutput


def _table(rows: list[tuple[str, str, float, float]], output: str = "y") -> pd.DataFrame:
    return pd.DataFrame([{"output": output, "parameter": p, "index": i, "value": v, "conf": c} for p, i, v, c in rows])


SETTLED = [("a", "S1", 0.50, 0.05), ("a", "ST", 0.55, 0.04), ("b", "S1", 0.20, 0.04), ("b", "ST", 0.25, 0.03),
           ("c", "S1", 0.001, 0.004), ("c", "ST", 0.002, 0.001)]


def test_settled_indices_give_no_warning_and_a_negligible_factor_s_wide_interval_is_not_flagged():
    # c's interval is wider than its index, but c is no driver (ST under 5% of the largest).
    assert check_indices(_table(SETTLED), "sobol").empty


def test_a_negative_index_beyond_its_interval_is_flagged_and_one_within_it_is_not():
    found = check_indices(_table(SETTLED + [("d", "S1", -0.10, 0.05), ("d", "ST", 0.30, 0.05),
                                            ("e", "S1", -0.02, 0.05), ("e", "ST", 0.30, 0.05)]), "sobol")
    negative = found[found["check"] == "negative"]
    assert list(negative["parameter"]) == ["d"]
    assert "S1 = -0.1 ± 0.05, below zero beyond its interval" in negative["message"].item()


def test_s1_above_st_is_flagged_only_when_the_intervals_are_apart():
    found = check_indices(_table([("a", "S1", 0.60, 0.05), ("a", "ST", 0.40, 0.05),
                                  ("b", "S1", 0.45, 0.05), ("b", "ST", 0.40, 0.05)]), "sobol")
    assert list(found.loc[found["check"] == "s1_above_st", "parameter"]) == ["a"]


def test_a_driver_s_interval_wider_than_the_stated_share_of_its_index_is_flagged():
    rows = [("a", "S1", 0.50, 0.05), ("a", "ST", 0.55, 0.04), ("b", "S1", 0.18, 0.174), ("b", "ST", 0.25, 0.30)]
    found = check_indices(_table(rows), "sobol")
    assert list(zip(found["parameter"], found["index"], found["check"], strict=True)) == [("b", "ST", "wide_interval")]
    assert "half-width 1.2 x the index (limit 1)" in found["message"].item()
    # At a stated share of 0.5, b's S1 (0.174 / 0.18 = 0.97) is flagged too, and a's intervals still pass.
    strict = check_indices(_table(rows), "sobol", Thresholds(interval_share=0.5))
    assert set(zip(strict["parameter"], strict["index"], strict["check"], strict=True)) == {
        ("b", "S1", "wide_interval"), ("b", "ST", "wide_interval")}


def test_morris_mu_and_sigma_are_not_checked_and_mu_star_is():
    rows = [("a", "mu_star", 10.0, 2.0), ("a", "mu", -10.0, np.nan), ("a", "sigma", np.nan, np.nan),
            ("b", "mu_star", 3.0, 4.0), ("b", "mu", -3.0, np.nan), ("b", "sigma", 1.0, np.nan)]
    found = check_indices(_table(rows), "morris")
    assert list(zip(found["parameter"], found["index"], strict=True)) == [("b", "mu_star")]


def test_a_top_factor_at_or_below_the_dummy_is_flagged_as_noise():
    rows = [("a", "delta", 0.30, 0.02), ("b", "delta", 0.07, 0.02), ("c", "delta", 0.06, 0.02),
            (DUMMY, "delta", 0.071, 0.02)]
    found = check_indices(_table(rows), "delta")
    noise = found[found["check"] == "noise_floor"]
    assert list(noise["parameter"]) == ["b", "c"]
    assert "no more than the dummy's 0.071" in noise["message"].iloc[0]


def test_an_output_that_barely_varies_or_a_rare_outcome_is_flagged():
    rng = np.random.default_rng(0)
    outputs = [SelectedOutput("steady", "CNY", 1e9 * (1 + 0.001 * rng.normal(size=500))),
               SelectedOutput("varied", "CNY", 1e9 * (1 + 0.2 * rng.normal(size=500))),
               SelectedOutput("rare target", "1 if reached", (np.arange(500) < 3).astype(float)),
               SelectedOutput("even target", "1 if reached", (np.arange(500) < 250).astype(float)),
               SelectedOutput("undefined", "CNY", np.r_[np.nan, np.ones(499)])]
    found = check_outputs(outputs)
    assert list(found["output"]) == ["steady", "rare target"]
    assert "coefficient of variation 0.001" in found["message"].iloc[0]
    assert "1 in only 3 of 500 runs" in found["message"].iloc[1]
    assert list(check_outputs(outputs[:2], Thresholds(min_variation=0.5))["output"]) == ["steady", "varied"]


def test_delta_and_pawn_below_the_reliable_sample_carry_a_caution_with_its_reason():
    pawn = check_given_sample("pawn", 200)
    assert pawn["check"].item() == "small_sample"
    assert "pawn from 200 draws, below the 1,000" in pawn["message"].item()
    assert "about 0.19 (0.83 / sqrt(draws / 10))" in pawn["message"].item()
    assert "0.07" in check_given_sample("delta", 200)["message"].item()
    assert check_given_sample("delta", RELIABLE_GIVEN_DRAWS).empty
    assert check_given_sample("sobol", 10).empty


def test_printed_warnings_end_with_what_each_kind_means():
    found = check_indices(_table([("a", "S1", -0.3, 0.1), ("a", "ST", 0.4, 0.6)]), "sobol")
    text = format_warnings(found)
    assert text.startswith("warnings (2; all in warnings.csv):")
    assert "[negative] y | a: S1 = -0.3 ± 0.1" in text and "[wide_interval] y | a: ST = 0.4 ± 0.6" in text
    assert "  negative: indices cannot be negative" in text and "  wide_interval: the size of this driver" in text
    assert format_warnings(found.iloc[0:0]) == ""
    assert "… 1 more in warnings.csv" in format_warnings(found, shown=1)


@pytest.mark.parametrize("method", ["sobol", "morris", "delta", "pawn"])
def test_an_empty_table_gives_no_warning(method):
    assert check_indices(pd.DataFrame(columns=["output", "parameter", "index", "value", "conf"]), method).empty
