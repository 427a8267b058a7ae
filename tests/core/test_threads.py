"""sim.core.threads: kernels use the cores the load leaves free, one thread outside a run's block."""

from __future__ import annotations

import os

import numba
import pytest

from sim.core import threads


@pytest.mark.parametrize("load, cores, want", [
    (0.0, 2, 2), (0.4, 2, 2), (0.6, 2, 1), (1.0, 2, 1), (4.0, 2, 1), (1.9, 8, 6), (30.0, 8, 1)])
def test_available_threads_are_the_cores_the_load_leaves_free(monkeypatch, load, cores, want):
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    monkeypatch.setattr(numba.config, "NUMBA_NUM_THREADS", 64)
    assert threads.available_threads() == want


def test_numba_thread_count_caps_the_threads(monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    monkeypatch.setattr(numba.config, "NUMBA_NUM_THREADS", 3)
    assert threads.available_threads() == 3


def test_threads_only_inside_a_block_and_for_large_populations():
    big = 10 * threads.MIN_FIRMS_PER_THREAD
    assert threads.threads_for_kernels(big) == 1
    with threads.kernel_threads(4):
        assert threads.threads_for_kernels(big) == 4
        assert threads.threads_for_kernels(2 * threads.MIN_FIRMS_PER_THREAD) == 2
        assert threads.threads_for_kernels(threads.MIN_FIRMS_PER_THREAD - 1) == 1
    assert threads.threads_for_kernels(big) == 1

