"""`sim report` and `sim sensitivity` on the minimal scenario."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.analysis.sensitivity import sensitivity_table
from sim.cli import main
from sim.errors import SimError

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_report_embeds_plots_and_tables(tmp_path):
    out = tmp_path / "res"
    assert main(["run", str(SCENARIOS / "minimal.toml"), "--draws", "3", "--out", str(out), "--quiet"]) == 0
    assert main(["report", str(out)]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "Fiscal exposure" in text and "Targets" in text
    assert text.count("data:image/png;base64,") == len(list(out.glob("*.png")))
    assert "software.6.data_centre_green_retrofit" in text


def test_report_of_a_folder_without_results_exits_2(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no results.nc" in err[0]


def test_sensitivity_finds_the_parameter_that_drives_the_output():
    ds = sim.run(SCENARIOS / "minimal.toml", draws=60)
    table = sensitivity_table(ds, outputs=["all programmes"], method="delta", seed=1)
    deltas = table[(table["index"] == "delta") & (table["output"] == "fiscal outlay, all programmes")]
    # The only uncertain parameter of the minimal scenario drives the total outlay.
    assert list(deltas["parameter"]) == ["projects.streams.hydrogen.6.first_of_kind_domestic.arrivals_per_year"]
    assert deltas["value"].iloc[0] > 0.1


def test_sensitivity_refuses_too_few_draws():
    ds = sim.run(SCENARIOS / "minimal.toml", draws=5)
    with pytest.raises(SimError, match="at least 20 draws"):
        sensitivity_table(ds)


def test_sensitivity_unknown_method_exits_2(capsys):
    assert main(["sensitivity", str(SCENARIOS / "minimal.toml"), "--method", "sobolx"]) == 2
    assert "allowed: delta, pawn" in capsys.readouterr().err
