"""The progress line: runs done, rate and the estimated finish time."""

from __future__ import annotations

import datetime as dt
import io

from sim.runner.progress import Progress, format_duration


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_line_gives_the_rate_and_the_finish_time():
    clock = iter([0.0, 10.0, 10.0, 40.0])
    noon = dt.datetime(2026, 1, 1, 12, 0, 0)
    progress = Progress("runs", stream=_Terminal(), clock=lambda: next(clock), now=lambda: noon)
    # 25 of 100 runs in 10 s: 2.5 runs/s, 75 left take 30 s.
    assert progress.line(25, 100) == "25/100 runs, 2.5/s, finishes about 12:00:30 (in 30 s)"
    assert progress.line(100, 100) == "100/100 runs in 10 s"


def test_it_is_silent_when_quiet_or_not_a_terminal():
    out = io.StringIO()
    Progress(stream=out)(1, 2)
    term = _Terminal()
    Progress(stream=term, quiet=True)(1, 2)
    assert out.getvalue() == "" and term.getvalue() == ""
    shown = _Terminal()
    Progress(stream=shown)(2, 2)
    assert shown.getvalue().startswith("\r2/2 runs in") and shown.getvalue().endswith("\n")


def test_durations_read_as_a_person_would_say_them():
    assert [format_duration(s) for s in (4.4, 200, 7500)] == ["4 s", "3 min 20 s", "2 h 05 min"]
