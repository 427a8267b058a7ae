"""Helpers of the reliability suite: the `sim` command as a subprocess, a slower scenario to interrupt,
and the processes a run started."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MINIMAL = REPO / "scenarios" / "minimal.toml"
SIM = [sys.executable, "-c", "import sys; from sim.cli import main; sys.exit(main())"]


def sim_env() -> dict:
    """The environment of a `sim` subprocess: this checkout first on the path."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))


def run_sim(*args, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(SIM + [str(a) for a in args], cwd=cwd, env=sim_env(), capture_output=True, text=True,
                          timeout=timeout)


def start_sim(*args, cwd: Path | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(SIM + [str(a) for a in args], cwd=cwd, env=sim_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def wait_for(condition, what: str, timeout: float = 120.0, every: float = 0.05):
    """Poll `condition` until it is true (returns its value) or fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out waiting for {what}")


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name (which may hold spaces) start at its closing parenthesis.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie counts as dead: it holds no memory)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


def write_slow_scenario(folder: Path) -> Path:
    """The minimal scenario with 100 times the firms: about a second a draw, so a run can be stopped midway."""
    path = folder / "slow.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(f"""\
        extends = "{MINIMAL.as_posix()}"
        name = "slow"
        [firms.population.advanced_manufacturing]
        count = 200_000
        above_size_count = 40_000
        above_100m_count = 8_000
        [firms.population.software_it]
        count = 150_000
        above_size_count = 30_000
        above_100m_count = 6_000
        """))
    return path


def chunk_files(out: Path) -> list[Path]:
    return sorted((out.parent / f".{out.name}.chunks").glob("chunk_*.npz"))


def one_line_refusal(capsys, args, *words) -> str:
    """Run ``sim ARGS`` in this process: exit 2 and one line on stderr holding `words`, no traceback; the line."""
    from sim.cli import main

    assert main([str(a) for a in args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "internal error" not in err and "Traceback" not in err
    for w in words:
        assert w in err, err
    return err
