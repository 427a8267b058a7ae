"""Ensembles (sim/runner/ensemble.py): determinism whatever the workers and chunks, checkpoints."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import SimError
from sim.runner.ensemble import layout_of, run_chunk, run_draws
from sim.scenario.loader import load_scenario

N_DRAWS = 6


@pytest.fixture(scope="module")
def reference(minimal):
    return run_draws(minimal, N_DRAWS, workers=1)


def assert_bit_identical(a: dict, b: dict):
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].dtype == b[name].dtype, name
        np.testing.assert_array_equal(a[name], b[name], err_msg=name, strict=True)


def test_results_are_not_trivial(reference):
    _, arrays, params = reference
    assert arrays["committed"].shape[0] == N_DRAWS
    assert arrays["committed"].sum() > 0.0
    # The uncertain arrival rate is drawn per draw: the draws differ.
    assert len({p["projects.streams.hydrogen.6.first_of_kind_domestic.arrivals_per_year"] for p in params}) == N_DRAWS
    assert not np.array_equal(arrays["committed"][0], arrays["committed"][1])


def test_same_seed_twice_is_bit_identical(minimal, reference):
    _, again, params = run_draws(minimal, N_DRAWS, workers=1)
    assert_bit_identical(reference[1], again)
    assert params == reference[2]


def test_reloaded_scenario_is_bit_identical(minimal_path, reference):
    _, again, _ = run_draws(load_scenario(minimal_path), N_DRAWS)
    assert_bit_identical(reference[1], again)


@pytest.mark.parametrize("chunk_size", [1, 3, 4, 64])
def test_chunking_does_not_change_results(minimal, reference, chunk_size):
    _, arrays, params = run_draws(minimal, N_DRAWS, chunk_size=chunk_size)
    assert_bit_identical(reference[1], arrays)
    assert params == reference[2]


def test_two_workers_give_the_same_results(minimal, reference):
    _, arrays, params = run_draws(minimal, N_DRAWS, workers=2, chunk_size=2)
    assert_bit_identical(reference[1], arrays)
    assert params == reference[2]


def test_a_draw_does_not_depend_on_the_others(minimal, reference):
    arrays, _ = run_chunk(minimal, [4, 2])
    for name, value in arrays.items():
        if name.startswith("payment_"):  # a table of rows over all draws, not an array by draw
            continue
        np.testing.assert_array_equal(value[0], reference[1][name][4])
        np.testing.assert_array_equal(value[1], reference[1][name][2])


def test_different_seed_gives_different_results(minimal, reference):
    from dataclasses import replace

    scenario = minimal.scenario
    other = replace(minimal, scenario=scenario.model_copy(update={"ensemble": scenario.ensemble.model_copy(update={"seed": 8})}))
    _, arrays, _ = run_draws(other, N_DRAWS)
    assert not np.array_equal(arrays["committed"], reference[1]["committed"])


def test_checkpoint_saves_chunks_and_resume_reads_them(minimal, reference, tmp_path, monkeypatch):
    seen = []
    _, arrays, params = run_draws(minimal, N_DRAWS, chunk_size=4, checkpoint=tmp_path, progress=lambda d, n: seen.append((d, n)))
    assert sorted(p.name for p in tmp_path.glob("chunk_*")) == ["chunk_000000000_000000003.npz", "chunk_000000004_000000005.npz"]
    assert seen == [(4, N_DRAWS), (6, N_DRAWS)]
    assert_bit_identical(reference[1], arrays)
    # A resumed run reads the saved chunks rather than rerunning them.
    import sim.runner.ensemble as ensemble

    def boom(*args, **kwargs):
        raise AssertionError("a saved chunk was rerun")

    monkeypatch.setattr(ensemble, "run_chunk", boom)
    _, again, params_again = run_draws(minimal, N_DRAWS, chunk_size=4, checkpoint=tmp_path)
    assert_bit_identical(arrays, again)
    assert params_again == params


def test_layout_knows_the_shapes_before_any_draw(minimal, reference):
    layout = layout_of(minimal)
    assert layout.coords["year"] == [2023, 2024, 2025, 2026]
    assert layout.coords["program"] == minimal.policy.ids
    for spec in layout.specs:
        assert reference[1][spec.name].shape == (N_DRAWS,) + tuple(layout.sizes[d] for d in spec.dims)


@pytest.mark.parametrize("kwargs, fragment", [({"n_draws": 0}, "--draws: must be >= 1"), ({"n_draws": 2, "workers": 0}, "--workers: must be >= 1")])
def test_bad_counts_raise(minimal, kwargs, fragment):
    with pytest.raises(SimError, match=fragment):
        run_draws(minimal, **kwargs)


def test_workers_are_forked_only_while_no_other_thread_runs():
    import sys
    import threading

    from sim.runner.workers import _process_context

    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        pytest.skip("the fork rule is for a single-threaded process on Linux")
    assert _process_context().get_start_method() == "fork"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _process_context().get_start_method() == "spawn"
    finally:
        stop.set()
        other.join()


def test_kernel_threads_and_workers_give_the_same_bits():
    """The baseline's firm population (tens of thousands) is stepped on two threads when the
    draws run in one process: the same bits as one thread, and as two worker processes."""
    from pathlib import Path

    from sim.core.threads import MIN_FIRMS_PER_THREAD

    baseline = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml")
    _, serial, params = run_draws(baseline, 3, workers=1, threads=1)
    assert serial["firms_alive"][:, 0].sum(axis=-1).min() > 2 * MIN_FIRMS_PER_THREAD  # threads are used
    _, threaded, params_threaded = run_draws(baseline, 3, workers=1, threads=2)
    assert_bit_identical(serial, threaded)
    _, forked, params_forked = run_draws(baseline, 3, workers=2, chunk_size=1)
    assert_bit_identical(serial, forked)
    assert params == params_threaded == params_forked


def test_threads_below_one_are_refused(minimal):
    with pytest.raises(SimError, match="threads: must be >= 1"):
        run_draws(minimal, 2, threads=0)


def _worker_threads() -> int:
    from sim.core.threads import threads_for_kernels

    return threads_for_kernels(10**9)


def test_workers_start_on_one_thread_whatever_their_parent_was_doing():
    """A pool forked inside a threads block would copy the parent's setting; workers reset it."""
    from sim.core import threads
    from sim.runner.workers import local_pool

    with threads.kernel_threads(2):
        assert threads.threads_for_kernels(10**9) == 2
        with local_pool(2) as pool:
            assert [f.result() for f in [pool.submit(_worker_threads) for _ in range(4)]] == [1, 1, 1, 1]
    assert threads.threads_for_kernels(10**9) == 1
