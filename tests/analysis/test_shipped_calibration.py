"""The shipped calibration reproduces: rerunning calibration/baseline.toml gives the committed posterior.

Tolerance: the rerun is a deterministic function of the config's seed (ABC-SMC's proposals and
every model draw are keyed by it), so on the same libraries it gives the same sample; across
library versions (NumPy, SciPy) the draws may differ in their last bits and move particles, so each
parameter's posterior mean must lie within a quarter of its committed posterior sd (plus 1% of
its prior sd), and each posterior sd within 30% of the committed one.
"""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.calibration import calibrate, load_calibration
from sim.scenario.loader import load_scenario
from sim.scenario.posterior import read_posterior

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "calibration" / "baseline.toml"
FITTED = ROOT / "calibration" / "fitted_baseline.toml"
SAMPLE = ROOT / "calibration" / "fitted_baseline.posterior.csv"
IDENTIFICATION = ROOT / "calibration" / "fitted_baseline.identification.csv"


def test_the_baseline_extends_the_fitted_file_which_extends_the_prior_and_names_the_sample():
    assert tomllib.loads((ROOT / "scenarios" / "baseline.toml").read_text())["extends"] == "../calibration/fitted_baseline.toml"
    fitted = tomllib.loads(FITTED.read_text())
    assert fitted["extends"] == "../scenarios/baseline_prior.toml"
    assert fitted["calibration"]["posterior_csv"] == SAMPLE.name
    loaded = load_scenario(ROOT / "scenarios" / "baseline.toml")
    assert Path(loaded.scenario.calibration.posterior_csv) == SAMPLE.resolve()


def test_the_shipped_calibration_fits_every_target_up_to_2023_and_no_later_one():
    config, _ = load_calibration(CONFIG)
    assert config.method == "abc-smc" and config.fit_until_year == 2023
    years = set()
    for i in range(len(config.target)):
        entry = config.entry_of(i)
        assert entry is not None and entry.role == "calibration" and entry.year <= 2023
        years.add(entry.year)
    assert years == {2022, 2023}
    ids = {t.observed for t in config.target}
    assert {"beijing_srdi_2023", "beijing_little_giants_2023", "beijing_abovescale_industrial_revenue_2023"} <= ids


def test_the_identification_report_sets_prior_and_posterior_spreads_side_by_side():
    with IDENTIFICATION.open() as f:
        rows = list(csv.DictReader(f))
    config, _ = load_calibration(CONFIG)
    assert [r["parameter"] for r in rows] == [p.path for p in config.parameter]
    for r in rows:
        assert float(r["prior_sd"]) > 0 and float(r["posterior_sd"]) >= 0
        assert r["moved_by_data"] in ("True", "False")


def test_rerunning_the_shipped_calibration_reproduces_the_committed_posterior():
    config, scenario = load_calibration(CONFIG)
    result = calibrate(config, scenario, str(CONFIG))
    committed = read_posterior(str(SAMPLE))
    assert result.posterior.names == committed.names
    mean, sd = committed.mean(), committed.sd()
    for j, name in enumerate(committed.names):
        tolerance = 0.25 * sd[j] + 0.01 * result.prior_sd[name]
        assert result.values[name] == pytest.approx(mean[j], abs=tolerance), name
        assert result.posterior_sd[name] == pytest.approx(sd[j], rel=0.3), name
    assert np.all(np.isfinite(result.posterior.weights))
