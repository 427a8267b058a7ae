"""Distributed runs that end (issue 24, Deliver 5): losing every worker, the scheduler or the connection
ends a Dask run within --scheduler-timeout (plus a chunk's time) in one line, keeping the finished
chunks; bad addresses are one line at once, with no "Exception ignored ... Traceback"; numeric flags
are bounded; --workers is cut to what the machine and the draws can use, with one line saying so."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from _reliability import MINIMAL, SIM, chunk_files, sim_env, start_sim, wait_for, write_slow_scenario

from sim.cli import main
from sim.errors import SimError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_losing_every_worker_ends_the_run_within_the_timeout_and_keeps_the_chunks(minimal, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    from sim.runner.ensemble import run_draws

    checkpoint = tmp_path / "chunks"
    outcome: dict = {}
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:

        def progress(done, total):
            if done == 1:  # after the first chunk, every worker goes away
                cluster.scale(0)

        def run():
            try:
                run_draws(minimal, 6, scheduler=cluster.scheduler_address, chunk_size=1, checkpoint=checkpoint,
                          progress=progress, scheduler_timeout=2)
            except SimError as exc:
                outcome["error"] = str(exc)

        started = time.monotonic()
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(90)
        elapsed = time.monotonic() - started
        assert not thread.is_alive(), "the run still waits for a worker 90 s after every worker was lost"
    assert outcome["error"] == (f"--scheduler: the Dask scheduler at {cluster.scheduler_address} lost every worker "
                                "(none for 2 s, --scheduler-timeout); the finished draws are kept: rerun with --resume")
    assert elapsed < 60
    assert sorted(checkpoint.glob("chunk_*.npz"))


def _run_and_break_the_cluster(tmp_path, breaking: str, patience: float) -> tuple[subprocess.Popen, str, str, float]:
    """A real scheduler and one worker process, a run on them, and once a chunk is done the cluster broken.

    `breaking` is ``"kill worker"`` (SIGKILL to the only worker) or ``"stop scheduler"`` (SIGSTOP: the
    connection stays open but nothing answers). Returns the run, its standard error, the scheduler's
    address and the seconds from the break to the run's end; fails if the run outlives `patience`.
    """
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--no-dashboard"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                               "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"], env=sim_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run = None
    try:
        scenario = write_slow_scenario(tmp_path / "inputs")
        out = tmp_path / "out"
        run = start_sim("run", scenario, "--draws", 12, "--out", out, "--scheduler", address,
                        "--scheduler-timeout", 5, "--quiet")
        wait_for(lambda: chunk_files(out) or run.poll() is not None, "a first finished chunk")
        assert run.poll() is None, f"the run ended before the cluster could be broken ({breaking})"
        if breaking == "kill worker":
            os.kill(worker.pid, signal.SIGKILL)
        else:
            os.kill(scheduler.pid, signal.SIGSTOP)
        broken = time.monotonic()
        try:
            _, err = run.communicate(timeout=patience)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the run still waits {patience} s after the cluster broke ({breaking}; --scheduler-timeout 5)")
        elapsed = time.monotonic() - broken
    finally:
        for process in (run, worker, scheduler):
            if process is not None and process.poll() is None:
                if process is scheduler:
                    os.kill(scheduler.pid, signal.SIGCONT)
                process.kill()
                process.wait(timeout=60)
    return run, err, address, elapsed


def test_every_worker_killed_mid_run_exits_2_in_one_line(tmp_path):
    """As the adversarial pass did: a real scheduler and a worker process, the worker killed with SIGKILL."""
    pytest.importorskip("dask.distributed")
    run, err, address, elapsed = _run_and_break_the_cluster(tmp_path, "kill worker", 60)
    out = tmp_path / "out"
    assert run.returncode == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == [f"--scheduler: the Dask scheduler at {address} lost every worker (none for 5 s, "
                     "--scheduler-timeout); the finished draws are kept: rerun with --resume"], err
    assert elapsed < 5 + 30  # the timeout, a chunk's time and the start of the command
    assert chunk_files(out) and not out.exists()


@pytest.mark.parametrize("address", ["garbage", "tcp://", "http://example.com:8786", "inproc://x",
                                     "tcp://127.0.0.1:70000", "tcp://:8786", ""])
def test_a_bad_scheduler_address_is_one_line_at_once_without_exception_ignored(tmp_path, address):
    pytest.importorskip("dask.distributed")
    started = time.monotonic()
    proc = subprocess.run(SIM + ["run", str(MINIMAL), "--draws", "2", "--out", str(tmp_path / "out"), "--scheduler",
                                 address, "--scheduler-timeout", "8", "--quiet"],
                          env=sim_env(), capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - started
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"--scheduler: cannot reach a Dask scheduler at {address} (")
    assert "Exception ignored" not in proc.stderr and "Traceback" not in proc.stderr
    assert elapsed < 4 + 20  # not twice the timeout (the start of Python and sim counts too)


def test_a_refused_connection_takes_the_timeout_once_and_prints_one_line(tmp_path):
    pytest.importorskip("dask.distributed")
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens
    # The start of Python and sim is measured alongside, so a loaded machine does not pass for a second wait.
    started = time.monotonic()
    subprocess.run(SIM + ["validate", str(MINIMAL)], env=sim_env(), capture_output=True, timeout=120, check=True)
    start_up = time.monotonic() - started
    started = time.monotonic()
    proc = subprocess.run(SIM + ["run", str(MINIMAL), "--draws", "2", "--out", str(tmp_path / "out"), "--scheduler",
                                 address, "--scheduler-timeout", "8", "--quiet"],
                          env=sim_env(), capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - started
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "Exception ignored" not in proc.stderr
    assert elapsed >= 8  # it did wait for the scheduler
    # Once the timeout plus the start (dask's import makes the run's start longer than validate's), not twice it.
    assert elapsed < 1.5 * start_up + 8 + 4


@pytest.mark.parametrize("value", ["100000000000", "86401", "0", "1e11"])
def test_the_scheduler_timeout_is_bounded(capsys, tmp_path, value):
    assert main(["run", str(MINIMAL), "--draws", "2", "--out", str(tmp_path / "out"), "--scheduler",
                 "tcp://127.0.0.1:1", "--scheduler-timeout", value, "--quiet"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"sim run: argument --scheduler-timeout: --scheduler-timeout must be a whole number in "
                     f"1..86400 (got '{value}')"]
    assert not (tmp_path / "out").exists()


def test_the_scheduler_timeout_of_the_python_api_is_bounded(minimal):
    from sim.runner.ensemble import run_draws

    with pytest.raises(SimError, match=r"--scheduler-timeout must be a whole number in 1..86400 \(got 100000000000.0\)"):
        run_draws(minimal, 2, scheduler="tcp://127.0.0.1:1", scheduler_timeout=1e11)


def test_workers_are_cut_to_the_draws_with_one_line(capsys, tmp_path, monkeypatch):
    import sim.runner.workers as workers

    started: list[int] = []
    real_pool = workers.local_pool

    def counting_pool(n, *args, **kwargs):
        started.append(n)
        return real_pool(n, *args, **kwargs)

    monkeypatch.setattr("sim.runner.ensemble.local_pool", counting_pool)
    assert main(["run", str(MINIMAL), "--draws", "2", "--workers", "100", "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert "--workers: 100 asked, 2 used (one per draw)" in err
    assert started == [2]


def test_workers_are_cut_to_four_per_core(monkeypatch):
    from sim.arguments import worker_limit

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert worker_limit(100, 1000) == (8, "--workers: 100 asked, 8 used (4 per core, 2 cores on this machine)")
    assert worker_limit(8, 1000) == (8, None)
    assert worker_limit(3, 2) == (2, "--workers: 3 asked, 2 used (one per draw)")


def test_workers_cut_in_a_quiet_run_is_still_one_line(capsys, tmp_path):
    assert main(["run", str(MINIMAL), "--draws", "2", "--workers", "50", "--out", str(tmp_path / "out"),
                 "--quiet"]) == 0
    assert capsys.readouterr().err.splitlines() == ["--workers: 50 asked, 2 used (one per draw)"]


def test_a_scheduler_that_stops_answering_mid_run_exits_2_in_one_line(tmp_path):
    """The connection stays open but nothing answers (the scheduler stopped, a network that drops packets)."""
    pytest.importorskip("dask.distributed")
    run, err, address, elapsed = _run_and_break_the_cluster(tmp_path, "stop scheduler", 90)
    out = tmp_path / "out"
    assert run.returncode == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"--scheduler: lost the Dask scheduler at {address} (")
    assert lines[0].endswith("the finished draws are kept: rerun with --resume")
    assert elapsed < 5 + 30
    assert chunk_files(out) and not out.exists()
