"""Ensembles on a Dask cluster and resumed from checkpoints give the same bits as one process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.runner.ensemble import run_draws
from sim.scenario.loader import load_scenario

MINIMAL = Path(__file__).resolve().parents[2] / "scenarios" / "minimal.toml"


@pytest.fixture(scope="module")
def loaded():
    return load_scenario(MINIMAL)


def test_dask_scheduler_gives_identical_results(loaded):
    distributed = pytest.importorskip("dask.distributed")
    _, local, _ = run_draws(loaded, 6, workers=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        _, remote, _ = run_draws(loaded, 6, scheduler=cluster.scheduler_address, chunk_size=2)
    for name in local:
        np.testing.assert_array_equal(local[name], remote[name], err_msg=name)


def test_resume_reuses_saved_chunks_and_gives_identical_results(loaded, tmp_path):
    _, full, _ = run_draws(loaded, 6, chunk_size=2, checkpoint=tmp_path)
    saved = sorted(p.name for p in tmp_path.glob("chunk_*.npz"))
    assert saved == ["chunk_000000000_000000001.npz", "chunk_000000002_000000003.npz", "chunk_000000004_000000005.npz"]
    (tmp_path / saved[1]).unlink()  # as if interrupted before the second chunk finished
    seen = []
    _, resumed, _ = run_draws(loaded, 6, chunk_size=2, checkpoint=tmp_path, progress=lambda d, n: seen.append(d))
    assert seen == [6]  # only the missing chunk ran; the two saved ones counted as done
    for name in full:
        np.testing.assert_array_equal(full[name], resumed[name], err_msg=name)


def test_unreachable_scheduler_is_a_clear_error(loaded):
    pytest.importorskip("dask.distributed")
    from sim.errors import SimError

    with pytest.raises(SimError, match="--scheduler: cannot reach a Dask scheduler at tcp://127.0.0.1:1"):
        run_draws(loaded, 2, scheduler="tcp://127.0.0.1:1")


def test_resume_refuses_draws_of_another_seed(loaded, tmp_path):
    from dataclasses import replace

    from sim.errors import SimError

    run_draws(loaded, 4, chunk_size=2, checkpoint=tmp_path)
    other = replace(loaded, scenario=loaded.scenario.model_copy(
        update={"ensemble": loaded.scenario.ensemble.model_copy(update={"seed": 99})}))
    with pytest.raises(SimError, match=r"--resume: the draws saved in .* were made with seed 7, not 99"):
        run_draws(other, 4, chunk_size=2, checkpoint=tmp_path)
    with pytest.raises(SimError, match=r"draws 4, not 6"):
        run_draws(loaded, 6, chunk_size=2, checkpoint=tmp_path)
