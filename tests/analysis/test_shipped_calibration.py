"""The shipped calibration reproduces: rerunning calibration/baseline.toml gives the committed fit."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sim.analysis.calibration import calibrate, load_calibration
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "calibration" / "baseline.toml"
FITTED = ROOT / "calibration" / "fitted_baseline.toml"


def _committed() -> dict[str, float]:
    raw = tomllib.loads(FITTED.read_text(encoding="utf-8"))
    out: dict[str, float] = {}

    def walk(table: dict, prefix: str) -> None:
        for key, value in table.items():
            path = f"{prefix}.{key}" if prefix else key
            if key == "parameter_sources":
                continue
            if isinstance(value, dict) and "dist" not in value:
                walk(value, path)
            elif key not in ("extends", "name", "parameter_sources"):
                out[path] = float(value["mean"]) if isinstance(value, dict) else float(value)

    walk(raw, "")
    return out


def test_the_baseline_extends_the_fitted_file_which_extends_the_prior():
    assert tomllib.loads((ROOT / "scenarios" / "baseline.toml").read_text())["extends"] == "../calibration/fitted_baseline.toml"
    assert tomllib.loads(FITTED.read_text())["extends"] == "../scenarios/baseline_prior.toml"
    load_scenario(ROOT / "scenarios" / "baseline.toml")


def test_the_shipped_calibration_fits_only_2022_calibration_observations():
    config, _ = load_calibration(CONFIG)
    assert config.fit_until_year == 2022
    for i in range(len(config.target)):
        entry = config.entry_of(i)
        assert entry is not None and entry.role == "calibration" and entry.year <= 2022


def test_rerunning_the_shipped_calibration_reproduces_the_committed_fit():
    config, scenario = load_calibration(CONFIG)
    result = calibrate(config, scenario, str(CONFIG))
    committed = _committed()
    identified = [p for p in config.parameter if p.path not in result.not_identified]
    # Every parameter the fit identifies is in the file, and only those.
    assert sorted(committed) == sorted(p.path for p in identified)
    for p in identified:
        assert result.values[p.path] == pytest.approx(committed[p.path], abs=0.01 * (p.high - p.low)), p.path
