"""Faults found by an adversarial pass over issue 24's sections (after the fixes of the day), each
refused in one line (exit 2) or silenced where it was noise."""

from __future__ import annotations

import warnings

import pytest
from _reliability import MINIMAL, one_line_refusal

import sim
from sim.errors import ArgumentError, OutputError


def test_an_out_whose_name_is_too_long_isone_line_refusal(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # Was: "sim: internal error (OSError: [Errno 36] File name too long …)", exit 1.
    one_line_refusal(capsys, ["run", MINIMAL, "--draws", "1", "--quiet", "--out", "x" * 300], "File name too long")
    one_line_refusal(capsys, ["run", MINIMAL, "--draws", "1", "--quiet", "--out", "y" * 300 + "/z"], "File name too long")
    # Under the file system's 255 bytes but without room for the staging folder beside it.
    one_line_refusal(capsys, ["run", MINIMAL, "--draws", "1", "--quiet", "--out", "w" * 240], "240 bytes long", "at most 200")
    assert list(tmp_path.iterdir()) == []


def test_an_out_where_no_lock_can_be_made_does_not_blame_another_run(tmp_path, capsys, monkeypatch):
    # /proc takes no new files (not even as root): the lock cannot be created. Was: "another sim
    # run (pid unknown) is writing this folder".
    monkeypatch.chdir(tmp_path)
    err = one_line_refusal(capsys, ["run", MINIMAL, "--draws", "1", "--quiet", "--out", "/proc/sim-adversarial-out"],
                    "cannot create the lock file")
    assert "another sim run" not in err


def test_the_lock_message_for_a_held_lock_is_unchanged(tmp_path):
    from filelock import FileLock

    from sim.runner.staging import _lock

    out = tmp_path / "o"
    held = FileLock(tmp_path / ".o.lock", timeout=0)
    held.acquire()
    try:
        with pytest.raises(OutputError, match="another sim run"), _lock(out, tmp_path):
            pass
    finally:
        held.release()


@pytest.mark.parametrize("value", [123, None, 2.5, b"scenarios/minimal.toml"])
def test_load_scenario_refuses_what_is_not_a_path(value):
    # Was: a raw TypeError from pathlib.
    with pytest.raises(ArgumentError, match="path must be a scenario file's path"):
        sim.load_scenario(value)


def test_a_chart_whose_labels_do_not_fit_is_written_without_a_warning(tmp_path):
    # A run with huge numbers (availability = 1e-300) printed matplotlib's "Tight layout not
    # applied" UserWarning on standard error after a successful run.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.analysis.plots import tight_layout

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.set_ylabel("\n".join(["a very long label"] * 40))
    ax.set_title("t " * 400)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tight_layout(fig)
        fig.savefig(tmp_path / "c.png")
    plt.close(fig)
    assert [str(w.message) for w in caught if "layout" in str(w.message).lower()] == []
    assert (tmp_path / "c.png").stat().st_size > 0
