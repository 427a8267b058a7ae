"""`sim report` and `sim sensitivity` on the minimal scenario."""

from __future__ import annotations

import stat
import textwrap
from pathlib import Path

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
    # Results are for the group: the report as well as what `sim run` wrote (not mkstemp's 0600).
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o644}


def test_report_of_a_folder_without_results_exits_2(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no results.nc" in err[0]


def test_sensitivity_finds_the_parameter_that_drives_the_output(tmp_path):
    # Two uncertain parameters: one drives the D5 retrofit outlay, the other a switched-off stream.
    path = tmp_path / "two_params.toml"
    path.write_text(textwrap.dedent(f"""
        extends = "{(SCENARIOS / 'minimal.toml').as_posix()}"
        name = "two_params"
        [policy]
        in_force = ["software.6.*"]
        [projects.streams."software.6.data_centre_green_retrofit"]
        arrivals_per_year = 3
        size_median_cny = {{ dist = "uniform", low = 10_000_000, high = 100_000_000 }}
        [projects.streams."software.6.compute_centre_conversion"]
        arrivals_per_year = {{ dist = "uniform", low = 0.0, high = 0.001 }}
        size_median_cny = 1_000_000
    """))
    ds = sim.run(path, draws=60)
    table = sensitivity_table(ds, outputs=["all programmes"], method="delta", seed=1)
    deltas = table[(table["index"] == "delta") & (table["output"] == "fiscal outlay, all programmes")]
    deltas = deltas.set_index("parameter")["value"]
    driver = "projects.streams.software.6.data_centre_green_retrofit.size_median_cny"
    idle = "projects.streams.software.6.compute_centre_conversion.arrivals_per_year"
    assert deltas[driver] > 0.3
    assert deltas[driver] > 3 * deltas[idle]


def test_sensitivity_refuses_too_few_draws():
    ds = sim.run(SCENARIOS / "minimal.toml", draws=5)
    with pytest.raises(SimError, match="at least 20 draws"):
        sensitivity_table(ds)


def test_sensitivity_unknown_method_exits_2(capsys):
    assert main(["sensitivity", str(SCENARIOS / "minimal.toml"), "--method", "sobolx"]) == 2
    assert "allowed: sobol, morris, delta, pawn" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["report", "compare"])
def test_a_file_that_is_not_sim_results_is_one_line_exit_2(tmp_path, capsys, command):
    folder = tmp_path / "fake"
    folder.mkdir()
    (folder / "results.nc").write_text("hello")
    argv = ["report", str(folder)] if command == "report" else \
        ["compare", str(SCENARIOS / "minimal.toml"), str(folder), "--draws", "2", "--out", str(tmp_path / "cmp")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a sim results file" in err[0]
