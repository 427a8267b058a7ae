"""Staged writes (sim/runner/staging.py): a folder appears complete or not at all, readable by the group."""

from __future__ import annotations

import json
import os
import stat
import tempfile

import pytest

from sim.errors import OutputError
from sim.runner.staging import (
    FILE_MODE,
    FOLDER_MODE,
    MARKER,
    WORK_MARKER,
    make_work_folder,
    staged_folder,
    work_path,
    write_into_folder,
)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _sim_folder(path):
    path.mkdir()
    (path / MARKER).write_text(json.dumps({"written_by": "sim", "files": ["old.txt"]}))
    (path / "old.txt").write_text("old")
    return path


def test_a_successful_block_swaps_the_new_folder_in_and_the_old_one_out(tmp_path):
    out = _sim_folder(tmp_path / "out")
    with staged_folder(out, force=True) as staging:
        assert staging.parent == tmp_path and staging.name.startswith(".out.partial-")
        (staging / "new.txt").write_text("new")
        assert (out / "old.txt").read_text() == "old"  # the old results stay until the new are complete
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, "new.txt"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging, trash or lock left


def test_a_non_empty_folder_is_refused_without_force_before_the_block_runs(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    with pytest.raises(OutputError, match="not empty; use --force"):
        with staged_folder(tmp_path / "out", force=False):
            pytest.fail("the block must not run")


def test_a_failure_removes_the_staging_folder_and_keeps_the_old_results_and_the_work(tmp_path):
    out = _sim_folder(tmp_path / "out")
    with pytest.raises(ZeroDivisionError):
        with staged_folder(out, force=True, keep="chunks"):
            make_work_folder(work_path(out, "chunks"))
            (work_path(out, "chunks") / "chunk_0.npz").write_text("draws")
            1 / 0  # noqa: B018 - the failure under test
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.chunks", "out"]
    assert (out / "old.txt").read_text() == "old"


def test_resume_reuses_the_work_and_a_success_removes_it(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        with staged_folder(out, force=False, keep="chunks") as staging:
            make_work_folder(work_path(out, "chunks"))
            (work_path(out, "chunks") / "chunk_0.npz").write_text("draws")
            (staging / "results.nc").write_text("half")
            raise KeyboardInterrupt
    assert not out.exists()
    with staged_folder(out, force=False, resume=True, keep="chunks") as staging:
        assert (work_path(out, "chunks") / "chunk_0.npz").read_text() == "draws"
        (staging / "results.nc").write_text("whole")
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, "results.nc"])  # the chunks are not results
    assert not work_path(out, "chunks").exists()


def test_without_resume_leftover_work_and_staging_are_cleared_first(tmp_path):
    make_work_folder(tmp_path / ".out.chunks")
    make_work_folder(tmp_path / ".out.partial-killed")  # as a kill -9 leaves it (with sim's work marker)
    with staged_folder(tmp_path / "out", force=False, keep="chunks") as staging:
        assert [p.name for p in staging.iterdir()] == [WORK_MARKER]
        assert not (tmp_path / ".out.chunks").exists() and not (tmp_path / ".out.partial-killed").exists()


def test_written_files_are_readable_by_the_group(tmp_path):
    out = tmp_path / "out"
    with staged_folder(out, force=False) as staging:
        (staging / "sub").mkdir(mode=0o700)
        fd, name = tempfile.mkstemp(dir=staging / "sub")  # 0600, as tempfile makes them
        with open(fd, "w") as f:
            f.write("x")
    assert _mode(out) == FOLDER_MODE == 0o755
    assert _mode(out / "sub") == FOLDER_MODE
    [written] = (out / "sub").iterdir()
    assert _mode(written) == FILE_MODE == 0o644


# Issue 24, "Data lost" and "Security": faults of the second adversarial pass.


def test_the_marker_lists_what_sim_wrote_and_force_refuses_a_folder_holding_anything_else(tmp_path):
    out = tmp_path / "out"
    with staged_folder(out, force=False) as staging:
        (staging / "plots").mkdir()
        (staging / "plots" / "a.png").write_text("png")
        (staging / "results.nc").write_text("nc")
    assert json.loads((out / MARKER).read_text())["files"] == ["plots", "plots/a.png", "results.nc"]
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="holds notes.txt, which sim did not write"):
        with staged_folder(out, force=True):
            pytest.fail("the block must not run")
    assert (out / "notes.txt").read_text() == "mine"
    (out / "notes.txt").unlink()
    (out / "plots" / "notes.txt").write_text("mine")  # below a folder sim wrote, too
    with pytest.raises(OutputError, match="holds plots/notes.txt, which sim did not write"):
        with staged_folder(out, force=True):
            pytest.fail("the block must not run")


@pytest.mark.parametrize("how", ["is", "holds", "lies inside"])
def test_an_output_that_is_holds_or_lies_inside_an_input_is_refused_even_without_force(tmp_path, how):
    results = tmp_path / "D"
    results.mkdir()
    (results / "results.nc").write_text("nc")
    out = {"is": results, "holds": tmp_path, "lies inside": results / "sub"}[how]
    cwd = os.getcwd()
    os.chdir(tmp_path.parent if how == "holds" else tmp_path)
    try:
        with pytest.raises(OutputError, match=f"--out {out}: {how} {results}, an input of this command"):
            with staged_folder(out, force=True, protect=[results]):
                pytest.fail("the block must not run")
    finally:
        os.chdir(cwd)
    assert (results / "results.nc").read_text() == "nc"


@pytest.mark.parametrize("name", ["[c]onc", "*", "conc?"])
def test_glob_characters_are_literal_and_other_runs_staging_survives(tmp_path, name):
    other = make_work_folder(tmp_path / ".conc.partial-running")  # a concurrent run's staging folder
    with staged_folder(tmp_path / name, force=False):
        pass
    assert other.is_dir() and (tmp_path / name).is_dir()


def test_a_user_folder_named_like_a_staging_folder_survives(tmp_path):
    mine = tmp_path / ".out.partial-mine"
    mine.mkdir()
    (mine / "data.txt").write_text("mine")
    with staged_folder(tmp_path / "out", force=False):
        pass
    assert (mine / "data.txt").read_text() == "mine"


@pytest.mark.parametrize("kind", ["symlink", "file", "user folder"])
def test_a_chunks_path_sim_did_not_make_is_refused_in_one_line_and_left_alone(tmp_path, kind):
    chunks = tmp_path / ".out.chunks"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if kind == "symlink":
        chunks.symlink_to(elsewhere)
    elif kind == "file":
        chunks.write_text("x")
    else:
        chunks.mkdir()
        (chunks / "keep.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"\.out\.chunks: (is a symbolic link|is a file|is a folder sim did not make)"):
        with staged_folder(tmp_path / "out", force=False, keep="chunks"):
            pytest.fail("the block must not run")
    assert os.path.lexists(chunks) and list(elsewhere.iterdir()) == []
    if kind == "user folder":
        assert (chunks / "keep.txt").read_text() == "mine"


def test_write_into_folder_never_replaces_a_user_file_and_records_its_own(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "report.html").write_text("mine")
    with pytest.raises(OutputError, match="holds report.html, which sim did not write"):
        write_into_folder(folder, "report.html", lambda tmp: open(tmp, "w").write("sim"))
    assert (folder / "report.html").read_text() == "mine"
    (folder / MARKER).write_text(json.dumps({"written_by": "sim", "files": []}))
    write_into_folder(folder, "new.html", lambda tmp: open(tmp, "w").write("sim"))
    assert json.loads((folder / MARKER).read_text())["files"] == ["new.html"]
    write_into_folder(folder, "new.html", lambda tmp: open(tmp, "w").write("again"))  # its own: replaced
    assert (folder / "new.html").read_text() == "again"


def test_a_planted_symlink_at_the_target_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / MARKER).write_text(json.dumps({"written_by": "sim", "files": ["out.txt"]}))
    (folder / "out.txt").symlink_to(victim)
    with pytest.raises(OutputError, match="symbolic link"):
        write_into_folder(folder, "out.txt", lambda tmp: open(tmp, "w").write("sim"))
    assert victim.read_text() == "precious"
