"""Issue 24 (second adversarial pass), "Data lost" and "Security": no command destroys its inputs or a
user's files, inputs are read once, and files are opened safely.

Each test here failed on main before the fix.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import textwrap

import pytest
from _reliability import MINIMAL, REPO

from sim.cli import main
from sim.runner.ensemble import run_draws
from sim.runner.staging import MARKER, make_work_folder
from sim.scenario.loader import load_scenario


def tree(folder):
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A results folder written by `sim run` (2 draws of the minimal scenario)."""
    out = tmp_path_factory.mktemp("written") / "D"
    assert main(["run", str(MINIMAL), "--draws", "2", "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture
def folder(tmp_path, results):
    out = tmp_path / "D"
    shutil.copytree(results, out)
    return out


def test_sensitivity_never_writes_over_the_results_it_reads(folder, capsys):
    before = tree(folder)
    code = main(["sensitivity", "--results", str(folder), "--out", str(folder), "--force", "--quiet"])
    assert code == 2
    assert f"--out {folder}: is {folder}, an input of this command" in one_line(capsys.readouterr().err)
    assert tree(folder) == before


def test_compare_never_writes_over_a_results_folder_it_reads(folder, capsys, tmp_path):
    other = tmp_path / "B"
    shutil.copytree(folder, other)
    before = tree(folder)
    assert main(["compare", str(folder), str(other), "--out", str(folder), "--force", "--quiet"]) == 2
    assert f"--out {folder}: is {folder}, an input of this command" in one_line(capsys.readouterr().err)
    assert tree(folder) == before


def test_compare_never_writes_into_the_folder_of_a_scenario_it_runs(tmp_path, capsys):
    scenarios = tmp_path / "scenarios"
    shutil.copytree(MINIMAL.parent, scenarios)
    before = tree(scenarios)
    scenario = scenarios / MINIMAL.name
    assert main(["compare", str(scenario), str(scenario), "--out", str(scenarios), "--force", "--quiet"]) == 2
    assert f"--out {scenarios}: holds " in one_line(capsys.readouterr().err)
    assert tree(scenarios) == before


@pytest.mark.parametrize("output", ["centres.toml", "base.toml"])
def test_calibrate_never_writes_over_its_scenario_or_a_file_it_extends(tmp_path, capsys, output):
    (tmp_path / "base.toml").write_text('extends = "' + str(MINIMAL) + '"\nname = "base"\n')
    (tmp_path / "centres.toml").write_text('extends = "base.toml"\nname = "centres"\n')
    config = tmp_path / "fit.toml"
    config.write_text(textwrap.dedent(f"""
        scenario = "centres.toml"
        output = "{output}"
        fit_until_year = 2030
        [[parameter]]
        path = "centres.city_funding_cny"
        low = 10_000_000
        high = 200_000_000
        [[target]]
        variable = "outlay"
        year = 2023
        value = 30_000_000
        source = "synthetic"
    """))
    before = tree(tmp_path)
    assert main(["calibrate", str(config), "--force", "--quiet"]) == 2
    line = one_line(capsys.readouterr().err)
    assert f"{config}: output {tmp_path / output}: is " in line and "an input of this command" in line
    assert tree(tmp_path) == before


def test_export_into_a_users_folder_is_refused_and_changes_nothing(folder, tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o700)
    (mine / "outlay.csv").write_text("my own table")
    os.chmod(mine, 0o700)
    before = tree(mine)
    assert main(["export", str(folder), "--out", str(mine)]) == 2
    assert f"--out {mine}: folder exists and is not empty; use --force" in one_line(capsys.readouterr().err)
    assert main(["export", str(folder), "--out", str(mine), "--force"]) == 2
    assert "--force replaces only a folder sim wrote" in one_line(capsys.readouterr().err)
    assert tree(mine) == before and stat.S_IMODE(mine.stat().st_mode) == 0o700


def test_export_never_writes_over_the_results_folder(folder, capsys):
    before = tree(folder)
    assert main(["export", str(folder), "--out", str(folder), "--force"]) == 2
    assert f"--out {folder}: is {folder}, an input of this command" in one_line(capsys.readouterr().err)
    assert tree(folder) == before


def test_export_again_with_force_and_then_run_force_on_the_folder(folder, capsys):
    assert main(["export", str(folder)]) == 0
    assert main(["export", str(folder)]) == 2  # the export folder exists: --force to replace it
    capsys.readouterr()
    assert main(["export", str(folder), "--force"]) == 0
    assert (folder / "export" / MARKER).is_file()
    assert "export" in json.loads((folder / MARKER).read_text())["files"]
    # The results folder, with the export sim wrote in it, is still replaceable with --force.
    assert main(["run", str(MINIMAL), "--draws", "2", "--out", str(folder), "--force", "--quiet"]) == 0


def test_report_never_replaces_a_users_report_html(folder, capsys):
    (folder / "report.html").write_text("my notes")
    assert main(["report", str(folder)]) == 2
    assert "holds report.html, which sim did not write" in one_line(capsys.readouterr().err)
    assert (folder / "report.html").read_text() == "my notes"


@pytest.mark.parametrize("name", ["[c]onc", "results*"])
def test_glob_characters_in_out_leave_other_runs_staging_alone(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    other = make_work_folder(tmp_path / ".conc.partial-abc")  # a concurrent run to `conc`
    (other / "results.nc").write_text("half")
    results_staging = make_work_folder(tmp_path / ".results.partial-xyz")
    assert main(["run", str(MINIMAL), "--draws", "2", "--out", name, "--quiet"]) == 0
    assert (other / "results.nc").read_text() == "half" and results_staging.is_dir()


def test_a_user_folder_named_like_a_staging_folder_survives_a_run(tmp_path):
    mine = tmp_path / ".out.partial-mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    assert main(["run", str(MINIMAL), "--draws", "2", "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert (mine / "thesis.tex").read_text() == "years of work"


@pytest.mark.parametrize("kind", ["symlink", "file"])
def test_a_chunks_path_that_is_not_sims_folder_is_refused_in_one_line(tmp_path, capsys, kind):
    chunks = tmp_path / ".out.chunks"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if kind == "symlink":
        chunks.symlink_to(elsewhere)
    else:
        chunks.write_text("x")
    assert main(["run", str(MINIMAL), "--draws", "2", "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert f"{chunks}: is a " in one_line(capsys.readouterr().err)
    assert list(elsewhere.iterdir()) == [] and not (tmp_path / "out").exists()


def test_a_symlink_planted_at_the_manifests_temporary_name_is_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    chunks = make_work_folder(tmp_path / ".out.chunks")
    # main wrote the manifest through `manifest.json.PID.tmp` and chunks through `chunk_….PID.tmp.npz`.
    (chunks / f"manifest.json.{os.getpid()}.tmp").symlink_to(victim)
    (chunks / f"chunk_000000000_000000001.{os.getpid()}.tmp.npz").symlink_to(victim)
    run_draws(load_scenario(MINIMAL), 2, chunk_size=2, checkpoint=chunks)
    assert victim.read_text() == "precious"
    assert json.loads((chunks / "manifest.json").read_text())["draws"] == 2


def test_a_fifo_planted_as_a_chunk_does_not_hang_resume(tmp_path):
    chunks = make_work_folder(tmp_path / ".out.chunks")
    os.mkfifo(chunks / "chunk_000000000_000000001.npz")
    notes: list[str] = []

    def hung(signum, frame):
        raise AssertionError("reading the chunks blocked on a FIFO")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        run_draws(load_scenario(MINIMAL), 2, chunk_size=2, checkpoint=chunks, notice=notes.append)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert any("is not a regular file" in n for n in notes), notes


def _csv_scenario(tmp_path):
    csv = tmp_path / "firms.csv"
    csv.write_bytes((REPO / "scenarios" / "data" / "firms_example.csv").read_bytes())
    path = tmp_path / "s.toml"
    path.write_text(f'extends = "{MINIMAL}"\nname = "s"\n[firms]\nsource = "csv"\ncsv = "firms.csv"\n')
    return path, csv


@pytest.mark.parametrize("workers", [1, 2])
def test_a_csv_edited_during_a_run_does_not_change_it(tmp_path, workers):
    path, csv = _csv_scenario(tmp_path)
    original = csv.read_bytes()
    loaded = load_scenario(path)
    _, reference, _ = run_draws(loaded, 2)
    csv.write_text("not,the,header\n1,2,3\n")  # edited (here: broken) after the run started
    _, arrays, _ = run_draws(loaded, 2, workers=workers, chunk_size=1, checkpoint=tmp_path / ".s.chunks")
    for name, value in reference.items():
        assert value.tobytes() == arrays[name].tobytes(), name
    manifest = json.loads((tmp_path / ".s.chunks" / "manifest.json").read_text())
    assert manifest["inputs"][str(csv)] == hashlib.sha256(original).hexdigest()


def test_the_results_record_the_sha256_of_the_csv_bytes_the_run_used(tmp_path):
    import sim

    path, csv = _csv_scenario(tmp_path)
    original = hashlib.sha256(csv.read_bytes()).hexdigest()
    loaded = load_scenario(path)
    csv.write_text("edited\n")
    ds = sim.run(loaded, draws=2)
    assert json.loads(ds.attrs["input_sha256"])["firms.csv"] == original


def test_disk_full_while_saving_a_chunk_names_the_file_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    import numpy as np

    from sim.errors import SimError

    chunks = make_work_folder(tmp_path / ".out.chunks")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", full)
    with pytest.raises(SimError, match=r"chunk_000000000_000000001\.npz: cannot be written \(No space left on device\)"):
        run_draws(load_scenario(MINIMAL), 2, chunk_size=2, checkpoint=chunks)
    assert sorted(p.name for p in chunks.iterdir()) == [".sim-work", "manifest.json"]
