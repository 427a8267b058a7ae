"""Staged writes (sim/engine/staging.py): a folder appears complete or not at all, readable by the group."""

from __future__ import annotations

import stat
import tempfile

import pytest

from sim.engine.staging import FILE_MODE, FOLDER_MODE, MARKER, staged_folder, work_path
from sim.errors import OutputError


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _sim_folder(path):
    path.mkdir()
    (path / MARKER).write_text("{}")
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
            work_path(out, "chunks").mkdir()
            (work_path(out, "chunks") / "chunk_0.npz").write_text("draws")
            1 / 0  # noqa: B018 - the failure under test
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.chunks", "out"]
    assert (out / "old.txt").read_text() == "old"


def test_resume_reuses_the_work_and_a_success_removes_it(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        with staged_folder(out, force=False, keep="chunks") as staging:
            work_path(out, "chunks").mkdir()
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
    (tmp_path / ".out.chunks").mkdir()
    (tmp_path / ".out.partial-killed").mkdir()  # as a kill -9 leaves it
    with staged_folder(tmp_path / "out", force=False, keep="chunks") as staging:
        assert list(staging.iterdir()) == []
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
