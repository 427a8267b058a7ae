"""An output folder belongs to one run: a lock, a staging folder per run, an atomic swap, and
--force replaces only what sim wrote (sim/runner/staging.py, sim/cli.py)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys

import pytest
from _reliability import MINIMAL, sim_env, start_sim

from sim.cli import main
from sim.runner.staging import MARKER


def tree(folder):
    """Every file below `folder` with the SHA-256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A results folder of the minimal scenario (2 draws), written once and copied by tests."""
    out = tmp_path_factory.mktemp("written") / "out"
    assert main(["run", str(MINIMAL), "--draws", "2", "--out", str(out), "--quiet"]) == 0
    return out


def test_a_second_run_to_a_held_folder_exits_2_at_once_naming_the_holder(tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from sim.runner.staging import staged_folder\n"
         f"with staged_folder(Path({str(out)!r}), force=False):\n    print('held', flush=True); sys.stdin.read()"],
        env=sim_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        second = start_sim("run", MINIMAL, "--draws", "2", "--out", out, "--quiet")
        _, err = second.communicate(timeout=300)
        assert second.returncode == 2
        line = one_line(err)
        assert f"--out {out}: another sim run (pid {holder.pid}) is writing this folder" in line
    finally:
        holder.communicate("", timeout=60)
    assert holder.returncode == 0
    # The holder finished its (empty) folder; nothing of the refused run is left beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_two_concurrent_runs_to_one_folder_one_writes_it_the_other_is_refused(tmp_path):
    out = tmp_path / "out"
    runs = [start_sim("run", MINIMAL, "--draws", "3", "--out", out, "--quiet") for _ in range(2)]
    codes = sorted(r.wait(timeout=600) for r in runs)
    errs = [r.stderr.read() for r in runs]
    # Either the second started after the first ended (then the folder is not empty: refused) or
    # while it ran (the lock): exit 2 both ways, one line, and the folder is the first's, whole.
    assert codes == [0, 2], errs
    assert any("another sim run" in e or "not empty; use --force" in e for e in errs), errs
    assert {"results.nc", "summary.csv", MARKER} <= {p.name for p in out.iterdir()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failure_during_the_write_leaves_the_old_results_whole(tmp_path, written, monkeypatch, capsys):
    out = tmp_path / "out"
    shutil.copytree(written, out)
    before = tree(out)
    import sim.analysis.results as results

    def half_write(ds, folder, extra_writers=()):
        (folder / "results.nc").write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(results, "write_outputs", half_write)
    assert main(["run", str(MINIMAL), "--draws", "2", "--out", str(out), "--force", "--quiet"]) != 0
    assert tree(out) == before
    # Staging removed, no lock left; the finished draws stay for --resume.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.chunks", "out"]


def test_force_replaces_a_folder_sim_wrote(tmp_path, written):
    out = tmp_path / "out"
    shutil.copytree(written, out)
    (out / "summary.csv").write_text("from an older run")
    assert main(["run", str(MINIMAL), "--draws", "2", "--out", str(out), "--force", "--quiet"]) == 0
    assert (out / "summary.csv").read_text() != "from an older run" and (out / MARKER).is_file()


def test_force_refuses_a_sim_folder_holding_a_file_sim_did_not_write(tmp_path, written, capsys):
    out = tmp_path / "out"
    shutil.copytree(written, out)
    (out / "notes.txt").write_text("mine")
    before = tree(out)
    assert main(["run", str(MINIMAL), "--draws", "2", "--out", str(out), "--force", "--quiet"]) == 2
    assert f"--out {out}: holds notes.txt, which sim did not write" in one_line(capsys.readouterr().err)
    assert tree(out) == before


def test_force_refuses_a_folder_without_the_marker(tmp_path, capsys):
    scenarios = tmp_path / "scenarios"
    shutil.copytree(MINIMAL.parent, scenarios)
    before = tree(scenarios)
    assert main(["run", str(MINIMAL), "--draws", "2", "--out", str(scenarios), "--force", "--quiet"]) == 2
    line = one_line(capsys.readouterr().err)
    assert f"--out {scenarios}: --force replaces only a folder sim wrote (it has {MARKER})" in line
    assert tree(scenarios) == before


def test_force_refuses_a_sim_folder_holding_the_scenario_being_run(tmp_path, written, capsys):
    out = tmp_path / "out"
    shutil.copytree(written, out)
    scenario = out / "inputs" / "minimal.toml"
    scenario.parent.mkdir()
    shutil.copy(MINIMAL, scenario)
    before = tree(out)
    assert main(["run", str(scenario), "--draws", "2", "--out", str(out), "--force", "--quiet"]) == 2
    assert f"--out {out}: holds {scenario}, an input of this command" in one_line(capsys.readouterr().err)
    assert tree(out) == before


@pytest.mark.parametrize("out", [".", "..", "sub/.."])
def test_force_never_replaces_the_current_folder_or_a_parent_of_it(tmp_path, written, monkeypatch, capsys, out):
    work = tmp_path / "a" / "work"
    shutil.copytree(written, work)
    (work / "sub").mkdir()
    (tmp_path / "a" / MARKER).write_text("{}")  # even a parent that carries the marker
    monkeypatch.chdir(work)
    before = tree(tmp_path)
    assert main(["run", str(MINIMAL), "--draws", "2", "--out", out, "--force", "--quiet"]) == 2
    assert "is the current folder or a parent of it" in one_line(capsys.readouterr().err)
    assert tree(tmp_path) == before


@pytest.mark.parametrize("name", ["/some/folder", ".", "..", "a/b", "..hidden", "a\\\\b", "résultats", ""])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_scenario_name_that_is_not_a_name_is_refused(write_scenario, tmp_path, capsys, monkeypatch, name, command):
    path = write_scenario("bad.toml", f'extends = "@minimal"\nname = "{name}"\n')
    monkeypatch.chdir(tmp_path)
    args = [command, str(path)] + (["--draws", "2", "--force", "--quiet"] if command == "run" else [])
    assert main(args) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith(f"{path}: name: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]  # nothing written anywhere


def test_a_name_with_letters_digits_and_dot_dash_underscore_is_accepted(write_scenario, capsys):
    path = write_scenario("good.toml", 'extends = "@minimal"\nname = "cap_25-v2.1"\n')
    assert main(["validate", str(path)]) == 0

