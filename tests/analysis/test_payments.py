"""payments.csv: who got what, for populations read from CSV (sim/core/ledger.py, sim/policy/claims.py)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "populations" / "firms"))
from _firms_helpers import run_firms  # noqa: E402

# Two manufacturers at 18,000,000 growing 12 %: 20,160,000 in 2022, first counted above size in
# 2022 and paid 300,000 each in 2023 (D8 item 2, "first counted last year"); a third never crosses.
ROWS = ["M1,advanced_manufacturing,18000000,6,0,0,0,0,0,0", "M2,advanced_manufacturing,18000000,6,0,0,0,0,0,0",
        "M3,advanced_manufacturing,5000000,6,0,0,0,0,0,0"]
BODY = f"""
[policy]
in_force = ["scaleup.2.*"]
[firms.behaviour.advanced_manufacturing]
drift = {math.log(1.12)}
"""


def _table(model) -> pd.DataFrame:
    rows = model.claims.payments()
    years, programs = np.asarray(model.years), np.asarray(model.policy.ids)
    return pd.DataFrame({"year": years[rows["payment_year"]], "program": programs[rows["payment_program"]],
                         "recipient": rows["payment_recipient"], "committed": rows["payment_committed_cny"],
                         "outlay": rows["payment_outlay_cny"]})


def test_each_csv_firm_is_paid_its_reward_by_its_id(tmp_path):
    loaded, model, out = run_firms(tmp_path, ROWS, BODY, last_year=2024)
    t = _table(model)
    assert t.to_dict("records") == [
        {"year": 2023, "program": "scaleup.2.first_above_size_last_year", "recipient": "M1",
         "committed": 300_000.0, "outlay": 300_000.0},
        {"year": 2023, "program": "scaleup.2.first_above_size_last_year", "recipient": "M2",
         "committed": 300_000.0, "outlay": 300_000.0},
    ]


@pytest.mark.parametrize("rationing, outlay_2023, outlay_2024", [
    # A 400,000 ceiling on 600,000 due: each firm is paid the same share of its claim.
    ("queue", 200_000.0, 100_000.0),      # the rest waits and is paid next year
    ("pro_rata", 200_000.0, 0.0),         # the rest is forfeited
])
def test_a_binding_ceiling_cuts_or_queues_every_recipient_of_a_claim_alike(tmp_path, rationing, outlay_2023,
                                                                           outlay_2024):
    body = BODY + f"""
[budget.lines.eitb]
payer = "市经济和信息化局"
programs = ["scaleup.*"]
ceiling_cny_per_year = 400000
rationing = "{rationing}"
"""
    loaded, model, out = run_firms(tmp_path, ROWS, body, last_year=2024)
    t = _table(model).set_index(["year", "recipient"])
    for firm in ("M1", "M2"):
        assert t.loc[(2023, firm), "committed"] == 300_000.0
        assert t.loc[(2023, firm), "outlay"] == pytest.approx(outlay_2023)
        got_2024 = t.loc[(2024, firm), "outlay"] if (2024, firm) in t.index else 0.0
        assert got_2024 == pytest.approx(outlay_2024)
    # The named recipients add up to the programme's outlay.
    assert t["outlay"].sum() == pytest.approx(out["outlay"].sum())


def test_sim_run_writes_payments_csv_and_results_hold_it(tmp_path):
    import sim
    from sim.analysis.results import payments_table

    csv = tmp_path / "firms.csv"
    from _firms_helpers import HEADER, deterministic_toml

    csv.write_text("\n".join([HEADER] + ROWS) + "\n", encoding="utf-8")
    path = tmp_path / "s.toml"
    path.write_text(deterministic_toml(csv, BODY, last_year=2024), encoding="utf-8")
    ds = sim.run(str(path), draws=2)
    table = payments_table(ds)
    assert list(table.columns) == ["draw", "year", "program", "recipient", "committed_cny", "outlay_cny"]
    assert len(table) == 4 and set(table["recipient"]) == {"M1", "M2"} and set(table["draw"]) == {0, 1}
    assert ds["payment_outlay_cny"].attrs["units"] == "CNY"
