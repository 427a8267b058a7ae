"""Every command's errors are exit 2 and one line, whatever the folder, flag or disk; outputs are
readable by the group (issue 11, item 7)."""

from __future__ import annotations

import os
import resource
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MINIMAL = REPO / "scenarios" / "minimal.toml"


def _sim(*args: str, preexec=None, timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("SIM_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=REPO, preexec_fn=preexec)


def _one_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def _file_size_limit(limit: int):
    def preexec():
        # Ignored, SIGXFSZ would kill the process; so a write past the limit raises EFBIG instead.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A complete results folder of the minimal scenario (2 draws)."""
    out = tmp_path_factory.mktemp("runs") / "minimal"
    proc = _sim("run", str(MINIMAL), "--draws", "2", "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    return out


def test_in_force_empty_is_refused_by_validate_and_run_writes_nothing(tmp_path):
    path = tmp_path / "none.toml"
    path.write_text(f'extends = "{MINIMAL}"\n[policy]\nin_force = []\n', encoding="utf-8")
    line = _one_line(_sim("validate", str(path)))
    assert line.startswith(f"{path}: policy.in_force: no programme in force")
    assert 'allowed: at least one, e.g. in_force = ["*"]' in line
    out = tmp_path / "out"
    assert _one_line(_sim("run", str(path), "--out", str(out))) == line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["none.toml"]


def test_every_instrument_switched_off_is_refused_the_same_way(tmp_path):
    path = tmp_path / "off.toml"
    path.write_text(f'extends = "{MINIMAL}"\n[policy]\nin_force = ["software.6.data_centre_green_retrofit"]\n'
                    '[instruments."software.6.data_centre_green_retrofit"]\nenabled = false\n', encoding="utf-8")
    assert "policy.in_force: no programme in force" in _one_line(_sim("validate", str(path)))


@pytest.mark.parametrize("command", [
    ["run", str(MINIMAL)], ["compare", str(MINIMAL)], ["sensitivity", str(MINIMAL)], ["hindcast", str(MINIMAL)],
])
def test_draws_on_the_command_line_has_the_toml_limit(command, tmp_path):
    line = _one_line(_sim(*command, "--draws", "10000001", "--out", str(tmp_path / "o")))
    assert line.endswith("--draws must be a whole number in 1..10,000,000 (got '10000001')")
    assert not (tmp_path / "o").exists()


def test_draws_at_the_toml_limit_is_refused_in_the_toml_too(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text(f'extends = "{MINIMAL}"\n[ensemble]\ndraws = 10_000_001\n', encoding="utf-8")
    assert "ensemble.draws: Input should be less than or equal to 10000000" in _one_line(_sim("validate", str(path)))


def test_explore_refuses_a_port_out_of_range():
    assert _one_line(_sim("explore", str(MINIMAL), "--port", "70000")) == (
        "sim explore: argument --port: --port must be a whole number in 1..65535 (got '70000')")


def test_explore_refuses_a_port_in_use_before_starting_the_server():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _one_line(_sim("explore", str(MINIMAL), "--port", str(port), timeout=120))
    assert line == f"sim explore: cannot listen on 127.0.0.1:{port} (Address already in use); choose another --port (or --host)"


def _unusual_folders(tmp_path: Path, results: Path) -> dict[str, Path]:
    empty = tmp_path / "empty"
    empty.mkdir()
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder\n", encoding="utf-8")
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "results.nc").write_bytes(b"not netCDF\n")
    truncated = tmp_path / "truncated"
    truncated.mkdir()
    (truncated / "results.nc").write_bytes((results / "results.nc").read_bytes()[:4000])
    nc_folder = tmp_path / "nc_folder"
    (nc_folder / "results.nc").mkdir(parents=True)
    fifo = tmp_path / "fifo"
    fifo.mkdir()
    os.mkfifo(fifo / "results.nc")
    compare = tmp_path / "compare"
    compare.mkdir()
    (compare / "comparison.csv").write_text("quantity,scenario\n", encoding="utf-8")
    return {"empty": empty, "missing": tmp_path / "missing", "a_file": a_file, "garbage": garbage,
            "truncated": truncated, "nc_folder": nc_folder, "fifo": fifo, "compare": compare}


def test_report_on_unusual_folders_is_one_line_exit_2(tmp_path, results):
    for name, folder in _unusual_folders(tmp_path, results).items():
        # A FIFO results.nc must not be opened for reading: the timeout fails the test instead of hanging.
        line = _one_line(_sim("report", str(folder), timeout=120))
        assert str(folder) in line, name
        assert not (folder / "report.html").exists() if folder.is_dir() else True


def test_compare_on_unusual_folders_is_one_line_exit_2(tmp_path, results):
    for name, folder in _unusual_folders(tmp_path, results).items():
        # A file is read as a scenario file: this one is not TOML, a one-line syntax error.
        out = tmp_path / f"cmp_{name}"
        line = _one_line(_sim("compare", str(folder), str(results), "--out", str(out), timeout=120))
        assert str(folder) in line, name
        assert not out.exists()


def test_a_file_size_limit_during_the_final_write_is_one_line_and_keeps_earlier_results(tmp_path, results):
    out = tmp_path / "out"
    assert _sim("run", str(MINIMAL), "--draws", "2", "--out", str(out), "--quiet").returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    size = len(before["results.nc"])
    # Past the chunks, short of results.nc: the write fails at the end, with everything computed.
    proc = _sim("run", str(MINIMAL), "--draws", "2", "--out", str(out), "--force", "--quiet",
                preexec=_file_size_limit(size - 1))
    line = _one_line(proc)  # not a segfault (exit 139) with 60 tracebacks
    assert line == (f"cannot write results.nc of the results in {tmp_path} (File too large); no output was written "
                    "and earlier results are unchanged")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # No staging folder left; the finished draws stay beside it for --resume (.out.chunks).
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".chunks")) == ["out"]


def test_a_file_size_limit_on_a_later_file_is_one_line_too(tmp_path):
    out = tmp_path / "out"
    proc = _sim("run", str(MINIMAL), "--draws", "2", "--out", str(out), "--quiet", preexec=_file_size_limit(70_000))
    line = _one_line(proc)
    assert line.startswith("cannot write ") and "(File too large); no output was written" in line
    assert not out.exists() and [p for p in tmp_path.iterdir() if not p.name.endswith(".chunks")] == []


def test_a_file_size_limit_when_writing_the_report_leaves_no_file(tmp_path, results):
    folder = tmp_path / "r"
    folder.mkdir()
    for p in results.iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    line = _one_line(_sim("report", str(folder), preexec=_file_size_limit(50_000)))
    assert line == f"{folder / 'report.html'}: cannot be written (File too large); the folder is unchanged"
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in results.iterdir())


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_results_and_report_are_readable_by_the_group_whatever_the_umask(tmp_path):
    out = tmp_path / "out"

    def umask_077():
        os.umask(0o077)

    proc = _sim("run", str(MINIMAL), "--draws", "2", "--out", str(out), "--quiet", preexec=umask_077)
    assert proc.returncode == 0, proc.stderr
    assert _mode(out) == 0o755
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files and all(_mode(p) == 0o644 for p in files), [(p.name, oct(_mode(p))) for p in files]
    assert all(_mode(p) == 0o755 for p in out.rglob("*") if p.is_dir())
    proc = _sim("report", str(out), preexec=umask_077)
    assert proc.returncode == 0, proc.stderr
    assert _mode(out / "report.html") == 0o644
