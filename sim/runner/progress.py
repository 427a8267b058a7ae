"""Progress of a long ensemble on standard error: runs done, rate and the estimated finish time.

Shown only to a person: silent when asked to be quiet or when standard error is not a terminal
(a log file or a pipe gets no carriage-return lines).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress", "format_duration"]


def format_duration(seconds: float) -> str:
    """``45 s``, ``3 min 20 s`` or ``2 h 05 min``."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


class Progress:
    """A progress callback ``(done, total)`` for :func:`sim.runner.ensemble.run_draws`.

    Parameters
    ----------
    what : str
        What is counted (``runs``, ``draws``).
    quiet : bool
        Print nothing.
    stream : text stream, optional
        Where to print (default standard error); nothing is printed unless it is a terminal.
    clock, now : callable, optional
        Monotonic seconds and the wall-clock time (replaceable in tests).
    """

    def __init__(self, what: str = "runs", quiet: bool = False, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic, now: Callable[[], dt.datetime] = dt.datetime.now):
        self.stream = sys.stderr if stream is None else stream
        self.enabled = not quiet and bool(getattr(self.stream, "isatty", lambda: False)())
        self.what = what
        self._clock, self._now = clock, now
        self._start = clock()

    def line(self, done: int, total: int) -> str:
        """The progress line for `done` of `total` (without the carriage return)."""
        elapsed = self._clock() - self._start
        text = f"{done:,}/{total:,} {self.what}"
        if done >= total:
            return text + f" in {format_duration(elapsed)}"
        if done > 0 and elapsed > 0:
            rate = done / elapsed
            left = (total - done) / rate
            finish = self._now() + dt.timedelta(seconds=left)
            text += f", {rate:,.1f}/s, finishes about {finish:%H:%M:%S} (in {format_duration(left)})"
        return text

    def __call__(self, done: int, total: int) -> None:
        """Overwrite the progress line (end it with a newline when all is done)."""
        if not self.enabled:
            return
        end = "\n" if done >= total else ""
        # Padded so a shorter line overwrites the whole of a longer one.
        print(f"\r{self.line(done, total):<100s}", end=end, file=self.stream, flush=True)
