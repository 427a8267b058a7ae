"""Issue 24, item 6 (memory): a run's peak is estimated from the scenario before it starts, and a
scenario that cannot fit the machine is refused in one line naming the keys that drive it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _reliability import run_sim, sim_env

import sim
from sim.cli import main
from sim.errors import ScenarioError
from sim.runner.memory import STATED_FACTOR, available_memory, estimate_memory, memory_problem

REPO = Path(__file__).resolve().parents[2]
MINIMAL = REPO / "scenarios" / "minimal.toml"
BASELINE = REPO / "scenarios" / "baseline.toml"

HUGE_INCUBATORS = "[incubators]\nservice_institutions = 1000\nadmissions_per_incubator = 1_000_000\n"


def _scenario(tmp_path: Path, body: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'extends = "{MINIMAL.as_posix()}"\n{body}', encoding="utf-8")
    return path


def test_a_thousand_incubators_of_a_million_admissions_are_refused_at_once(tmp_path):
    path = _scenario(tmp_path, HUGE_INCUBATORS)
    for command in (["validate", path], ["run", path, "--out", tmp_path / "out", "--quiet"]):
        start = time.monotonic()
        done = run_sim(*command, timeout=60)
        took = time.monotonic() - start
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        line = lines[0]
        assert "memory" in line and "available" in line, line
        assert "incubators.service_institutions" in line and "incubators.admissions_per_incubator" in line, line
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr
        assert took < 30, took  # refused before any population is built (the run took 99 s to fail)
    assert not (tmp_path / "out").exists()


def test_the_python_api_refuses_it_too(tmp_path):
    path = _scenario(tmp_path, HUGE_INCUBATORS)
    with pytest.raises(ScenarioError, match="incubators.admissions_per_incubator"):
        sim.run(path)


def test_draws_asked_at_run_time_are_counted(tmp_path, capsys):
    # The scenario fits with its own draws; ten million draws of its outputs do not.
    loaded = sim.load_scenario(MINIMAL)
    with pytest.raises(ScenarioError, match=r"ensemble\.draws \(10,000,000\)"):
        sim.run(loaded, draws=10_000_000)
    assert main(["run", str(MINIMAL), "--draws", "10000000", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "ensemble.draws" in err, err


def test_the_shipped_scenarios_are_accepted():
    for path in sorted((REPO / "scenarios").glob("*.toml")):
        loaded = sim.load_scenario(path)
        est = estimate_memory(loaded.scenario, loaded.policy, loaded.scenario.ensemble.draws, 2)
        assert est.total < 4 * 2**30, (path, est)
    assert main(["validate", str(BASELINE)]) == 0


def test_the_refusal_compares_with_the_memory_given(tmp_path):
    loaded = sim.load_scenario(_scenario(tmp_path, "[firms.population.advanced_manufacturing]\ncount = 3_000_000\n"
                                         "above_size_count = 400\nabove_100m_count = 80\n"))
    est = estimate_memory(loaded.scenario, loaded.policy, 8, 1)
    assert memory_problem(loaded.scenario, loaded.policy, 8, 1, "s.toml", available=10 * est.total) is None
    line = memory_problem(loaded.scenario, loaded.policy, 8, 1, "s.toml", available=est.total // 2)
    assert line is not None and line.startswith("s.toml: memory: ") and "firms.population.*.count" in line
    assert "\n" not in line
    assert (available_memory() or 1) > 0


_MEASURE = """
import json, sys, tracemalloc
import sim
from sim.runner.memory import estimate_memory
loaded = sim.load_scenario(sys.argv[1])
sim.run(loaded, draws=1, workers=1, threads=1)  # compiled kernels and caches first: not the draw's
tracemalloc.start()
sim.run(loaded, draws=1, workers=1, threads=1)
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
est = estimate_memory(loaded.scenario, loaded.policy, 1, 1)
print(json.dumps({"peak": peak, "estimate": est.per_draw}))
"""


def _measured(path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], env=sim_env(), capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("body", [
    "[firms.population.advanced_manufacturing]\ncount = 3_000_000\nabove_size_count = 400\nabove_100m_count = 80\n",
    "[incubators]\nservice_institutions = 10\nadmissions_per_incubator = 75_000\nrandom_admissions = false\n",
], ids=["firms", "incubators"])
def test_the_estimate_is_within_the_stated_factor_of_a_measured_peak(tmp_path, body):
    # Peak of what one draw allocates (tracemalloc sees NumPy's arrays), against the estimate's
    # per-draw part, on about 3,000,000 firms (starting firms, or incubator graduates).
    measured = _measured(_scenario(tmp_path, body, "big.toml"))
    assert measured["peak"] > 100 * 2**20, measured  # the populations dominate
    assert measured["peak"] <= measured["estimate"] <= measured["peak"] * STATED_FACTOR, measured
