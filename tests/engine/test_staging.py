"""Staged writes (sim/engine/staging.py): a folder appears complete or not at all, readable by the group."""

from __future__ import annotations

import stat
import tempfile

import pytest

from sim.engine.staging import FILE_MODE, FOLDER_MODE, staged_folder
from sim.errors import OutputError


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_successful_block_swaps_the_new_folder_in_and_the_old_one_out(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with staged_folder(out, force=True) as staging:
        assert staging == tmp_path / ".out.partial"
        (staging / "new.txt").write_text("new")
        assert (out / "old.txt").read_text() == "old"  # the old results stay until the new are complete
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging or trash left


def test_a_non_empty_folder_is_refused_without_force_before_the_block_runs(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    with pytest.raises(OutputError, match="not empty; use --force"):
        with staged_folder(tmp_path / "out", force=False):
            pytest.fail("the block must not run")


def test_a_failure_removes_the_staging_folder_and_keeps_the_old_results(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(ZeroDivisionError):
        with staged_folder(out, force=True, keep="chunks") as staging:
            (staging / "chunks").mkdir()
            1 / 0  # noqa: B018 - the failure under test
    assert not (tmp_path / ".out.partial").exists()
    assert (out / "old.txt").read_text() == "old"


def test_an_interrupt_keeps_only_the_work_to_resume_and_resume_reuses_it(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        with staged_folder(out, force=False, keep="chunks") as staging:
            (staging / "chunks").mkdir()
            (staging / "chunks" / "chunk_0.npz").write_text("draws")
            (staging / "results.nc").write_text("half")
            raise KeyboardInterrupt
    assert sorted(p.name for p in (tmp_path / ".out.partial").iterdir()) == ["chunks"]
    assert not out.exists()
    with staged_folder(out, force=False, resume=True, keep="chunks") as staging:
        assert (staging / "chunks" / "chunk_0.npz").read_text() == "draws"
        (staging / "results.nc").write_text("whole")
    assert sorted(p.name for p in out.iterdir()) == ["results.nc"]  # the chunks are not results


def test_without_resume_a_leftover_staging_folder_is_cleared_first(tmp_path):
    (tmp_path / ".out.partial" / "chunks").mkdir(parents=True)
    with staged_folder(tmp_path / "out", force=False, keep="chunks") as staging:
        assert list(staging.iterdir()) == []


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
