"""The scale-up tables: bands of first-counted firms by year and sector, and what the programmes
paid to firms commit, on a dataset small enough to check by hand."""

from __future__ import annotations

import numpy as np
import xarray as xr

from sim.analysis.report_text import format_frame
from sim.analysis.scaleup import firm_programme_commitments, scaleup_counts


def _dataset():
    draws, years = 21, [2023, 2024]
    d = np.arange(draws, dtype=float)  # draw k has k crossings: P5 = 1, P50 = 10, P95 = 19
    upscaled = np.stack([np.stack([d, np.zeros(draws)], axis=1), np.stack([2 * d, np.zeros(draws)], axis=1)], axis=1)
    committed = np.zeros((draws, 2, 3))
    committed[:, 0, 0] = 1e6 * d          # firm programme: 0..20 million in 2023
    committed[:, 1, 0] = 2e6
    committed[:, :, 2] = 5e6              # a project programme, never a firm claim
    rewarded = np.zeros((draws, 2, 3), dtype=np.int64)
    rewarded[:, 0, 0] = 1
    rewarded[3, 1, 1] = 1                 # paid a firm in one draw, nothing committed
    return xr.Dataset(
        {"upscaled": (("draw", "year", "sector"), upscaled),
         "committed": (("draw", "year", "program"), committed),
         "firms_rewarded": (("draw", "year", "program"), rewarded)},
        coords={"draw": np.arange(draws), "year": years, "sector": ["manufacturing", "software"],
                "program": ["scaleup.2.a", "software.9.b", "hydrogen.13.c"]},
    )


def test_scaleup_counts_are_bands_by_year_and_sector_without_empty_sectors():
    table = scaleup_counts(_dataset())
    assert list(table.columns) == ["manufacturing"]
    assert table.loc[2023, "manufacturing"] == "10 [1–19]"
    assert table.loc[2024, "manufacturing"] == "20 [2–38]"


def test_firm_programmes_are_those_with_a_firm_claim():
    table = firm_programme_commitments(_dataset())
    assert list(table.index) == ["scaleup.2.a", "software.9.b"]
    row = table.loc["scaleup.2.a"]
    assert row["2023"] == 10.0 and row["2024"] == 2.0
    # Totals d + 2 over draws d = 0..20: P5 3, P50 12, P95 21 million.
    assert (row["total P5"], row["total P50"], row["total P95"]) == (3.0, 12.0, 21.0)
    assert table.loc["software.9.b"].sum() == 0.0


def test_text_table_aligns_columns_under_a_title():
    text = format_frame("T", firm_programme_commitments(_dataset()), label_width=12).splitlines()
    assert text[0] == "T"
    assert text[1].split() == ["programme", "2023", "2024", "total", "P5", "total", "P50", "total", "P95"]
    assert text[2].split() == ["scaleup.2.a", "10.0", "2.0", "3.0", "12.0", "21.0"]
    assert len({len(line) for line in text[1:]}) == 1
