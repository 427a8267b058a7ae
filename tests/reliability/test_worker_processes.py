"""Processes end cleanly (sim/runner/workers.py, sim/cli.py): workers die with their parent however it
ends, Ctrl-C and SIGTERM print one line, and every wait on a Dask scheduler is bounded."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading

import pytest
from _reliability import MINIMAL, alive, children_of, chunk_files, start_sim, wait_for, write_slow_scenario

from sim.cli import main

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _start_two_worker_run(tmp_path, **kwargs):
    scenario = write_slow_scenario(tmp_path / "inputs")
    out = tmp_path / "out"
    # 32 one-draw chunks (about 16 s on two workers): long enough that a busy machine cannot finish
    # the run between its first saved chunk and the signal, which 12 draws sometimes did.
    run = start_sim("run", scenario, "--draws", 32, "--workers", 2, "--out", out, "--quiet", **kwargs)
    # Once a chunk is saved the workers are up and drawing.
    wait_for(lambda: chunk_files(out) or run.poll() is not None, "a first finished chunk")
    workers = [pid for pid in children_of(run.pid) if alive(pid)]
    assert run.poll() is None, "the run ended before it could be stopped midway"
    assert len(workers) >= 2, workers  # two workers (and the resource tracker)
    return run, out, workers


@linux_only
def test_workers_die_when_their_parent_is_killed_with_sigkill(tmp_path):
    run, out, workers = _start_two_worker_run(tmp_path)
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=60)
    wait_for(lambda: not any(alive(pid) for pid in workers), "the orphaned workers to end", timeout=10)
    assert not out.exists()


@linux_only
@pytest.mark.parametrize("how", ["sigterm", "ctrl-c"])
def test_sigterm_and_ctrl_c_stop_the_workers_and_print_one_line(tmp_path, how):
    run, out, workers = _start_two_worker_run(tmp_path, start_new_session=True)
    if how == "sigterm":
        os.kill(run.pid, signal.SIGTERM)
    else:  # the terminal sends Ctrl-C to the whole foreground group, workers included
        os.killpg(run.pid, signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == (143 if how == "sigterm" else 130)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("terminated;" if how == "sigterm" else "interrupted;")
    assert "--resume" in lines[0]
    wait_for(lambda: not any(alive(pid) for pid in workers), "the workers to end", timeout=10)
    # Nothing half-written: no folder, no staging, no lock; the finished draws stay for --resume.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.chunks", "inputs"]


def _one_line_exit_2(capsys, args) -> str:
    assert main(args) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_scheduler_without_workers_exits_2_within_the_timeout(tmp_path, capsys):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        line = _one_line_exit_2(capsys, ["run", str(MINIMAL), "--draws", "2", "--out", str(tmp_path / "out"),
                                         "--scheduler", cluster.scheduler_address, "--scheduler-timeout", "2",
                                         "--quiet"])
    assert line == (f"--scheduler: the Dask scheduler at {cluster.scheduler_address} has no workers "
                    "(none joined within 2 s, --scheduler-timeout)")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.chunks"]


def test_a_socket_that_never_answers_exits_2_within_the_timeout(tmp_path, capsys):
    pytest.importorskip("dask.distributed")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    try:
        line = _one_line_exit_2(capsys, ["run", str(MINIMAL), "--draws", "2", "--out", str(tmp_path / "out"),
                                         "--scheduler", address, "--scheduler-timeout", "1", "--quiet"])
    finally:
        listener.close()
    assert line.startswith("--scheduler: ") and address in line


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "no-such-protocol://x"])
def test_a_bad_scheduler_address_exits_2(tmp_path, capsys, address):
    pytest.importorskip("dask.distributed")
    line = _one_line_exit_2(capsys, ["run", str(MINIMAL), "--draws", "2", "--out", str(tmp_path / "out"),
                                     "--scheduler", address, "--scheduler-timeout", "2", "--quiet"])
    assert line.startswith(f"--scheduler: cannot reach a Dask scheduler at {address} (")


def test_a_lost_worker_is_retried_and_the_results_are_the_same(minimal):
    distributed = pytest.importorskip("dask.distributed")
    import numpy as np

    import sim.runner.ensemble as ensemble
    from sim.runner.ensemble import run_draws

    _, reference, _ = run_draws(minimal, 4)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        lost = []

        def progress(done, total):
            # After the first chunk, one worker goes away (as a machine would): its tasks move on.
            if not lost:
                lost.append(cluster.workers[next(iter(cluster.workers))])
                cluster.scale(1)

        _, arrays, _ = ensemble.run_draws(minimal, 4, scheduler=cluster.scheduler_address, chunk_size=1,
                                          progress=progress, scheduler_timeout=10)
    for name in reference:
        np.testing.assert_array_equal(reference[name], arrays[name], err_msg=name)


def test_a_lost_scheduler_exits_2_in_one_line_and_keeps_the_finished_chunks(tmp_path):
    pytest.importorskip("dask.distributed")
    import subprocess

    from _reliability import sim_env

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", str(port),
                                  "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                               "--no-dashboard"], env=sim_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        scenario = write_slow_scenario(tmp_path / "inputs")
        out = tmp_path / "out"
        run = start_sim("run", scenario, "--draws", 12, "--out", out, "--scheduler", address,
                        "--scheduler-timeout", 30, "--quiet")
        wait_for(lambda: chunk_files(out) or run.poll() is not None, "a first finished chunk")
        assert run.poll() is None, "the run ended before the scheduler could be lost"
        scheduler.kill()
        _, err = run.communicate(timeout=120)
    finally:
        for process in (worker, scheduler):
            process.kill()
            process.wait(timeout=60)
    assert run.returncode == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == [f"--scheduler: lost the Dask scheduler at {address} (the connection was lost); the "
                     "finished draws are kept: rerun with --resume"], err
    assert chunk_files(out) and not out.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
