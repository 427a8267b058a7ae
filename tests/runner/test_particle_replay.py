"""A draw replays its posterior particle's random numbers up to ``replay_until_year`` (sim/runner/model.py).

The reference is the particle as the fit simulated it: the prior scenario at the particle's values
with the particle's (seed, draw), over the years up to the fit's last target only. A draw of the
fitted scenario that takes the particle's row must give the same state in those years, bit for
bit, and its own numbers after them (two draws of one row part ways after the replayed years).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.runner.design import ParameterDesign
from sim.runner.run import run_scenario
from sim.scenario.loader import load_scenario
from sim.scenario.posterior import posterior_row_index, read_posterior

ROOT = Path(__file__).resolve().parents[2]
PRIOR = ROOT / "scenarios" / "baseline_prior.toml"
NAMES = ("firms.srdi.certification_hazard", "firms.srdi.little_giants_per_national_batch",
         "hydrogen.plan.realisation_share")
VALUES = np.array([[0.10, 150.0, 0.3], [0.20, 300.0, 0.6]])
NOISE_SEED, NOISE_DRAWS = 4242, np.array([5, 9])
STATE = ("little_giants", "srdi_firms", "stations_operating", "fcv_fleet", "committed")


def _totals(ds, name: str) -> np.ndarray:
    da = ds[name]
    return np.asarray(da.sum([d for d in da.dims if d not in ("draw", "year")]).values)


@pytest.fixture(scope="module")
def particles():
    """The two particles as the fit ran them: horizon to 2023, their own seed and draws."""
    loaded = load_scenario(PRIOR, {"horizon": {"last_year": 2023}, "ensemble": {"seed": NOISE_SEED}})
    return run_scenario(loaded, draws=ParameterDesign(NAMES, VALUES, NOISE_DRAWS))


def _fitted(tmp_path: Path, replay: bool) -> Path:
    rows = "\n".join(",".join([*(repr(float(v)) for v in VALUES[i]), "1", str(NOISE_SEED), str(NOISE_DRAWS[i])])
                     for i in range(2))
    (tmp_path / "post.csv").write_text(",".join([*NAMES, "weight", "noise_seed", "noise_draw"]) + "\n" + rows + "\n")
    path = tmp_path / "fitted.toml"
    path.write_text(f'extends = "{PRIOR}"\nname = "fitted"\n[horizon]\nlast_year = 2025\n[ensemble]\nseed = 1\n'
                    '[calibration]\nposterior_csv = "post.csv"\n' + ("replay_until_year = 2023\n" if replay else ""))
    return path


def test_each_draw_replays_its_particles_state_up_to_the_year_then_goes_on_with_its_own_numbers(tmp_path, particles):
    loaded = load_scenario(_fitted(tmp_path, replay=True))
    ds = run_scenario(loaded, draws=6)
    sample = read_posterior(loaded.scenario.calibration.posterior_csv)
    rows = [posterior_row_index(sample, 1, d) for d in range(6)]
    assert set(rows) == {0, 1}
    for name in STATE:
        ours, theirs = _totals(ds, name), _totals(particles, name)
        for d, r in enumerate(rows):
            np.testing.assert_array_equal(ours[d, :2], theirs[r, :2], err_msg=f"{name}, draw {d}")
    # Two draws of one row share 2022-2023 and part ways after.
    d1, d2 = [d for d, r in enumerate(rows) if r == rows[0]][:2]
    after = np.concatenate([_totals(ds, name)[[d1, d2], 2:] for name in STATE], axis=1)
    assert not np.array_equal(after[0], after[1])


def test_without_the_key_the_draws_take_the_rows_values_but_their_own_numbers(tmp_path, particles):
    loaded = load_scenario(_fitted(tmp_path, replay=False))
    ds = run_scenario(loaded, draws=6)
    sample = read_posterior(loaded.scenario.calibration.posterior_csv)
    rows = [posterior_row_index(sample, 1, d) for d in range(6)]
    ours, theirs = _totals(ds, "srdi_firms"), _totals(particles, "srdi_firms")
    assert all(not np.array_equal(ours[d, :2], theirs[r, :2]) for d, r in enumerate(rows))
