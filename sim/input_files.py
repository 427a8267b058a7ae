"""Bounded reading of the files a user names: scenario and document files (TOML), CSV tables.

A path must name a regular file no larger than the limit of its kind. Folders, FIFOs (named
pipes), devices such as ``/dev/zero`` and sockets are refused at once with one line: the file is
opened without blocking (a FIFO with no writer would otherwise wait for ever) and checked with
``fstat`` on the open descriptor, so what is checked is what is read. At most the limit plus one
byte is read, so a file that grows while it is read cannot exhaust memory either.

Inside :func:`held_inputs`, every file is read from disk at most once: its bytes are kept in a
snapshot (by real path) and every later read of the same file gets them, so a run whose scenario,
CSV or document file is edited while it runs uses one version throughout (the snapshot travels
with the loaded scenario to every worker).
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sim.errors import InputDataError, SimError

__all__ = ["MAX_TOML_BYTES", "MAX_CSV_BYTES", "read_input_file", "held_inputs", "snapshot_key"]

#: Largest scenario, document, calibration or observations file (TOML): 10 MiB. The largest TOML
#: file shipped (``sim/scenario/parameter_sources.toml``) is under 40 kB; a scenario that writes
#: out a whole population belongs in a CSV.
MAX_TOML_BYTES = 10 * 2**20
#: Largest CSV table (firms, stations): 200 MiB, about two million firms at 100 bytes a row,
#: several times Beijing's registered enterprises with revenue.
MAX_CSV_BYTES = 200 * 2**20

_KINDS = (
    (stat.S_ISDIR, "is a folder"),
    (stat.S_ISFIFO, "is a FIFO (named pipe)"),
    (stat.S_ISCHR, "is a character device"),
    (stat.S_ISBLK, "is a block device"),
    (stat.S_ISSOCK, "is a socket"),
)


class _Held(threading.local):
    def __init__(self) -> None:
        self.stack: list[dict[str, bytes]] = []


#: Snapshots in force in this thread, innermost last (see :func:`held_inputs`); per thread, as a
#: Dask worker may run chunks of several runs in threads side by side.
_HELD = _Held()


def snapshot_key(path: str | Path) -> str:
    """The key of a file in a snapshot: its real path (``os.path.realpath`` never raises)."""
    return os.path.realpath(path)


@contextmanager
def held_inputs(files: Mapping[str, bytes] | None = None) -> Iterator[dict[str, bytes]]:
    """Serve every :func:`read_input_file` in the block from one snapshot, adding files read for the first time.

    Parameters
    ----------
    files : mapping, optional
        Bytes already read, by :func:`snapshot_key` (a loaded scenario's ``inputs``). Without
        it, the block shares the snapshot of an enclosing block, or starts an empty one.

    Yields
    ------
    dict
        The snapshot, by real path: after the block, every file read in it.
    """
    stack = _HELD.stack
    if files is None and stack:
        held = stack[-1]
    else:
        held = dict(stack[-1]) if stack else {}
        held.update(files or {})
    stack.append(held)
    try:
        yield held
    finally:
        stack.pop()


def _not_regular(mode: int) -> str:
    for test, words in _KINDS:
        if test(mode):
            return words
    return "is not a regular file"


def read_input_file(
    path: str | Path,
    what: str,
    limit: int,
    error: Callable[[str], SimError] = InputDataError,
) -> bytes:
    """The bytes of a regular file of at most `limit` bytes.

    Parameters
    ----------
    path : str or Path
        The file.
    what : str
        What the file should be, for messages (``"scenario file (.toml)"``).
    limit : int
        Largest size allowed, bytes.
    error : callable
        Builds the exception raised from its one-line message (default :class:`InputDataError`).

    Raises
    ------
    SimError
        Built by `error`, with one line naming the file: not found, not readable, not a regular
        file (folder, FIFO, device, socket), or larger than `limit`.
    """
    held = _HELD.stack[-1] if _HELD.stack else None
    if held is not None:
        key = snapshot_key(path)
        if key in held:
            data = held[key]
            if len(data) > limit:
                raise error(f"{path}: {len(data):,} bytes, above the limit of {limit:,} bytes for a {what}")
            return data
        data = _read(path, what, limit, error)
        held[key] = data
        return data
    return _read(path, what, limit, error)


def _read(path: str | Path, what: str, limit: int, error: Callable[[str], SimError]) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, expected a {what}") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{path}: {_not_regular(info.st_mode)}, expected a {what}"
                        + ("" if stat.S_ISDIR(info.st_mode) else " (a regular file)"))
        if info.st_size > limit:
            raise error(f"{path}: {info.st_size:,} bytes, above the limit of {limit:,} bytes for a {what}")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise error(f"{path}: more than {limit:,} bytes (it grew while read), above the limit for a {what}")
    return data
