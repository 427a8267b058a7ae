"""run, compare and calibrate report progress with an estimated finish through sim.runner.progress:
on a terminal only, and never with --quiet."""

from __future__ import annotations

import io
import sys
import textwrap
from pathlib import Path

from sim.cli import main

MINIMAL = str(Path(__file__).resolve().parents[1] / "scenarios" / "minimal.toml")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_run_reports_draws_on_a_terminal_and_nothing_with_quiet_or_off_a_terminal(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert main(["run", MINIMAL, "--draws", "2", "--out", str(tmp_path / "a")]) == 0
    assert "2/2 draws of minimal in" in sys.stderr.getvalue()
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert main(["run", MINIMAL, "--draws", "2", "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert sys.stderr.getvalue() == ""
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe or a log file
    assert main(["run", MINIMAL, "--draws", "2", "--out", str(tmp_path / "c")]) == 0
    assert sys.stderr.getvalue() == ""


def test_compare_reports_each_scenario_it_runs(tmp_path, monkeypatch):
    variant = tmp_path / "variant.toml"
    variant.write_text(f'extends = "{MINIMAL}"\nname = "variant"\n', encoding="utf-8")
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert main(["compare", MINIMAL, str(variant), "--draws", "2", "--out", str(tmp_path / "c")]) == 0
    err = sys.stderr.getvalue()
    assert "2/2 draws of minimal" in err and "2/2 draws of variant" in err
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert main(["compare", MINIMAL, str(variant), "--draws", "2", "--out", str(tmp_path / "d"), "--quiet"]) == 0
    assert sys.stderr.getvalue() == ""


def test_calibrate_reports_evaluations(tmp_path, monkeypatch):
    config = tmp_path / "fit.toml"
    config.write_text(textwrap.dedent(f"""
        scenario = "{MINIMAL}"
        draws = 1
        max_evaluations = 4
        fit_until_year = 2026
        output = "fitted.toml"
        [[parameter]]
        path = "firms.behaviour.advanced_manufacturing.drift"
        low = 0.0
        high = 0.1
        start = 0.05
        [[target]]
        variable = "firms_above_size"
        select = {{ sector = "advanced_manufacturing" }}
        year = 2025
        value = 420
        source = "synthetic observation for the test"
    """), encoding="utf-8")
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert main(["calibrate", str(config), "--quiet"]) == 0
    assert sys.stderr.getvalue() == ""
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert main(["calibrate", str(config), "--force"]) == 0
    assert " evaluations in " in sys.stderr.getvalue()
