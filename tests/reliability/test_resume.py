"""Resume keeps and checks (sim/runner/checkpoint.py, sim/runner/ensemble.py): refusals change nothing,
damaged chunks are run again, inputs are hashed, chunks fit any worker count and survive failures,
and kill -9 then --resume gives the bits of an uninterrupted run."""

from __future__ import annotations

import hashlib
import os
import signal
from dataclasses import replace

import numpy as np
import pytest
import xarray as xr
from _reliability import chunk_files, run_sim, start_sim, wait_for, write_slow_scenario

import sim.runner.ensemble as ensemble
from sim.cli import main
from sim.runner.ensemble import run_draws
from sim.runner.run import run_scenario
from sim.scenario.loader import load_scenario

N_DRAWS = 6


def tree(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same(a: dict, b: dict):
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name, strict=True)


@pytest.fixture(scope="module")
def reference(minimal):
    return run_draws(minimal, N_DRAWS)


def no_rerun(monkeypatch, allowed: int = 0):
    """Let `allowed` chunks run; any more fails the test (they should have been read back)."""
    calls = []
    real = ensemble.run_chunk

    def counted(loaded, draws):
        calls.append(list(draws))
        if len(calls) > allowed:
            raise AssertionError(f"draws {draws} were run again")
        return real(loaded, draws)

    monkeypatch.setattr(ensemble, "run_chunk", counted)
    return calls


def test_a_refused_resume_changes_nothing_on_disk(minimal, tmp_path, capsys):
    out = tmp_path / "out"
    chunks = tmp_path / ".out.chunks"
    run_draws(minimal, 4, chunk_size=2, checkpoint=chunks)
    before = tree(tmp_path)
    for extra, fragment in ((["--seed", "99"], "seed 7, not 99"), (["--draws", "6"], "draws 4, not 6")):
        draws = [] if "--draws" in extra else ["--draws", "4"]
        assert main(["run", str(minimal.path), "--out", str(out), "--resume", "--quiet"] + draws + extra) == 2
        [line] = capsys.readouterr().err.splitlines()
        assert f"--resume: the draws saved in {chunks} were made with {fragment}; nothing was changed" in line
        assert tree(tmp_path) == before
        assert sorted(p.name for p in tmp_path.iterdir()) == [".out.chunks"]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong_shape", "foreign", "renamed"])
def test_a_damaged_chunk_is_run_again_not_fatal(minimal, reference, tmp_path, monkeypatch, damage):
    run_draws(minimal, N_DRAWS, chunk_size=2, checkpoint=tmp_path)
    victim = tmp_path / "chunk_000000002_000000003.npz"
    if damage == "garbage":
        victim.write_bytes(b"\0" * 100)
    elif damage == "truncated":
        victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    elif damage == "wrong_shape":  # 1 draw where 2 belong, under a valid checksum (70 draws for 80)
        from sim.runner.checkpoint import Chunk, run_record, save_chunk

        arrays, params = ensemble.run_chunk(minimal, [2])
        save_chunk(tmp_path, run_record(minimal, N_DRAWS), Chunk(2, 3, arrays, params))
    elif damage == "foreign":  # the chunk of another seed, put in place
        other = replace(minimal, scenario=minimal.scenario.model_copy(
            update={"ensemble": minimal.scenario.ensemble.model_copy(update={"seed": 99})}))
        elsewhere = tmp_path / "elsewhere"
        run_draws(other, N_DRAWS, chunk_size=2, checkpoint=elsewhere)
        victim.write_bytes((elsewhere / victim.name).read_bytes())
    elif damage == "renamed":  # draws 0..1 under the name of 2..3
        victim.write_bytes((tmp_path / "chunk_000000000_000000001.npz").read_bytes())
    notes = []
    calls = no_rerun(monkeypatch, allowed=1)
    _, arrays, params = run_draws(minimal, N_DRAWS, chunk_size=2, checkpoint=tmp_path, notice=notes.append)
    assert calls == [[2, 3]]  # only the damaged chunk ran again
    assert_same(reference[1], arrays)
    assert params == reference[2]
    [note] = notes
    assert note.startswith(f"--resume: {victim}: ") and note.endswith("its draws are run again")
    if damage == "wrong_shape":
        assert "of shape (1," in note


def test_a_truncated_manifest_is_rewritten_and_the_chunks_reused(minimal, reference, tmp_path, monkeypatch):
    run_draws(minimal, N_DRAWS, chunk_size=2, checkpoint=tmp_path)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(manifest.read_text()[:20])
    no_rerun(monkeypatch)
    _, arrays, _ = run_draws(minimal, N_DRAWS, chunk_size=2, checkpoint=tmp_path)
    assert_same(reference[1], arrays)
    assert manifest.read_text().startswith("{") and '"draws": 6' in manifest.read_text()


def test_a_resume_on_another_worker_count_reuses_every_chunk(minimal, reference, tmp_path, monkeypatch):
    run_draws(minimal, N_DRAWS, workers=1, checkpoint=tmp_path)
    no_rerun(monkeypatch)
    _, arrays, _ = run_draws(minimal, N_DRAWS, workers=2, checkpoint=tmp_path)
    assert_same(reference[1], arrays)


def test_chunks_of_another_size_are_reused_and_only_the_gaps_run(minimal, reference, tmp_path, monkeypatch):
    run_draws(minimal, N_DRAWS, chunk_size=4, checkpoint=tmp_path)
    (tmp_path / "chunk_000000004_000000005.npz").unlink()
    calls = no_rerun(monkeypatch, allowed=2)
    _, arrays, _ = run_draws(minimal, N_DRAWS, chunk_size=3, checkpoint=tmp_path)
    assert calls == [[4, 5]]  # draws 0..3 read back; the grid of 3 leaves 3..5 minus 3
    assert_same(reference[1], arrays)


def test_chunks_survive_a_failed_run(minimal, reference, tmp_path, monkeypatch):
    real = ensemble.run_chunk

    def fails_on_the_third(loaded, draws):
        if draws[0] == 4:
            raise OSError(28, "No space left on device")
        return real(loaded, draws)

    monkeypatch.setattr(ensemble, "run_chunk", fails_on_the_third)
    with pytest.raises(OSError):
        run_draws(minimal, N_DRAWS, chunk_size=2, checkpoint=tmp_path)
    assert [p.name for p in sorted(tmp_path.glob("chunk_*.npz"))] == [
        "chunk_000000000_000000001.npz", "chunk_000000002_000000003.npz"]
    monkeypatch.setattr(ensemble, "run_chunk", real)
    _, arrays, _ = run_draws(minimal, N_DRAWS, chunk_size=2, checkpoint=tmp_path)
    assert_same(reference[1], arrays)


def test_changing_the_firms_csv_between_kill_and_resume_is_refused(write_scenario, tmp_path, capsys):
    from _reliability import REPO

    csv = tmp_path / "firms.csv"
    csv.write_bytes((REPO / "scenarios" / "data" / "firms_example.csv").read_bytes())
    path = write_scenario("csv.toml", 'extends = "@minimal"\nname = "with-csv"\n'
                                      '[firms]\nsource = "csv"\ncsv = "firms.csv"\n')
    out = tmp_path / "out"
    run_draws(load_scenario(path), 4, chunk_size=2, checkpoint=tmp_path / ".out.chunks")
    (tmp_path / ".out.chunks" / "chunk_000000002_000000003.npz").unlink()  # as if killed midway
    rows = csv.read_text().splitlines()
    csv.write_text("\n".join(rows[:-1]) + "\n")  # one firm fewer
    before = tree(tmp_path)
    assert main(["run", str(path), "--draws", "4", "--out", str(out), "--resume", "--quiet"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "were made with other inputs (firms.csv changed since); nothing was changed" in line
    assert tree(tmp_path) == before


def test_kill_9_midway_then_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    scenario = write_slow_scenario(tmp_path / "inputs")
    out = tmp_path / "out"
    draws = 10
    run = start_sim("run", scenario, "--draws", draws, "--out", out, "--quiet")
    wait_for(lambda: len(chunk_files(out)) >= 3 or run.poll() is not None, "three finished chunks")
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=60)
    assert run.returncode == -signal.SIGKILL, "the run ended before it could be killed midway"
    saved = chunk_files(out)
    assert 3 <= len(saved) < draws and not out.exists()
    done = run_sim("run", scenario, "--draws", draws, "--out", out, "--resume", "--quiet")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs", "out"]  # chunks, staging, lock gone
    resumed = xr.load_dataset(out / "results.nc", engine="h5netcdf")
    whole = run_scenario(load_scenario(scenario), draws=draws)
    assert set(resumed.data_vars) == set(whole.data_vars)
    for name in whole.data_vars:
        np.testing.assert_array_equal(resumed[name].values, whole[name].values, err_msg=name)
    assert resumed.attrs == whole.attrs


def test_the_run_record_hashes_the_whole_extends_chain_and_the_csv(write_scenario, tmp_path):
    from _reliability import REPO

    from sim.runner.checkpoint import run_record

    (tmp_path / "firms.csv").write_bytes((REPO / "scenarios" / "data" / "firms_example.csv").read_bytes())
    write_scenario("base.toml", 'extends = "@minimal"\nname = "base"\n[firms]\nsource = "csv"\ncsv = "firms.csv"\n')
    path = write_scenario("child.toml", 'extends = "base.toml"\nname = "child"\n')
    loaded = load_scenario(path)
    inputs = run_record(loaded, 4).fields["inputs"]
    assert sorted(inputs) == sorted(str(p) for p in (path.resolve(), tmp_path / "base.toml",
                                                      loaded.files[-1], tmp_path / "firms.csv"))
    assert inputs[str(tmp_path / "firms.csv")] == hashlib.sha256((tmp_path / "firms.csv").read_bytes()).hexdigest()
