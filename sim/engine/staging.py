"""Staged writes: one run owns an output folder, builds it beside its target, then swaps it into place.

Every command that writes a folder (``sim run``, ``sim compare``, ``sim sensitivity``,
``sim hindcast``) goes through :func:`staged_folder`:

- a lock (``.NAME.lock`` beside ``NAME``) is taken before any work; a second run to the same folder
  stops at once, naming the holder's process id;
- the new folder is built in a staging folder unique to the run (``.NAME.partial-XXXXXXXX``) and
  exchanged with ``NAME`` in one atomic rename, so ``NAME`` is at every instant the old results
  (or absent) or the complete new ones, whatever fails and when;
- each folder written carries a marker (:data:`MARKER`), and ``--force`` replaces only a folder
  with the marker, never the current folder, a parent of it or a folder holding an input;
- work to resume (``sim run``'s saved chunks) lives in ``.NAME.KEEP`` beside the target, outside
  the staging folder: it survives any failure and is removed only once the new folder is in place.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.errors import OutputError

__all__ = ["staging_path", "staged_folder", "work_path", "write_file", "write_text_file", "MARKER", "FILE_MODE", "FOLDER_MODE"]

#: Outputs are shared with the group (results folders are read by colleagues and web servers).
FILE_MODE = 0o644
FOLDER_MODE = 0o755

#: File that marks a folder as written by `sim`; ``--force`` replaces only folders that have it.
MARKER = "sim-output.json"

#: renameat2 flag exchanging two paths atomically (linux/fs.h).
_RENAME_EXCHANGE = 2
#: renameat2's "relative to the current folder" directory descriptor (fcntl.h).
_AT_FDCWD = -100


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or lies below it (both resolved)."""
    return path == folder or folder in path.parents


def staging_path(out: Path, force: bool, protect: Iterable[Path] = ()) -> Path:
    """Check the output folder can be written (and replaced, with `force`); return its parent folder.

    Parameters
    ----------
    out : Path
        The output folder.
    force : bool
        Allow replacing a non-empty `out` that `sim` wrote (it has :data:`MARKER`).
    protect : iterable of Path
        Input files of the command: a folder holding one of them is never replaced.

    Returns
    -------
    Path
        The resolved parent folder of `out`, where the lock, the staging folder and any work to
        resume are kept.

    Raises
    ------
    OutputError
        If `out` is a file; is the current folder or a parent of it; is not empty and `force` is
        not set; with `force`, lacks the marker or holds an input file; or if its parent cannot be
        created or written.
    """
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out}: exists and is a file; give a folder")
    target = out.resolve()
    if _inside(Path.cwd().resolve(), target):
        raise OutputError(f"--out {out}: is the current folder or a parent of it; give a folder below it")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise OutputError(f"--out {out}: folder exists and is not empty; use --force to replace it")
        if not (out / MARKER).is_file():
            raise OutputError(f"--out {out}: --force replaces only a folder sim wrote (it has {MARKER}), "
                              "and this one has none; remove it yourself or give another --out")
        held = next((p for p in protect if _inside(Path(p).resolve(), target)), None)
        if held is not None:
            raise OutputError(f"--out {out}: holds {held}, an input of this run; --force will not replace it")
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"--out {out}: cannot create the parent folder ({exc.strerror})") from None
    if not os.access(parent, os.W_OK):
        raise OutputError(f"--out {out}: parent folder {parent} is not writable")
    return parent


def work_path(out: Path, keep: str) -> Path:
    """The folder beside `out` where a run keeps work to resume (``.NAME.KEEP``)."""
    target = out.resolve()
    return target.parent / f".{target.name}.{keep}"


@contextmanager
def _lock(out: Path, parent: Path) -> Iterator[None]:
    """Hold ``.NAME.lock`` beside `out` for the block.

    Raises
    ------
    OutputError
        At once if another process holds the lock, naming its process id.
    """
    from filelock import FileLock, Timeout

    path = parent / f".{out.resolve().name}.lock"
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        try:
            holder = path.read_text().strip() or "unknown"
        except OSError:
            holder = "unknown"
        raise OutputError(f"--out {out}: another sim run (pid {holder}) is writing this folder; "
                          "wait for it to end or give another --out") from None
    except OSError as exc:
        raise OutputError(f"--out {out}: cannot create the lock file {path} ({exc.strerror})") from None
    try:
        # The lock is on the descriptor; the file's text only tells a second run who holds it.
        with open(path, "r+") as f:
            f.write(f"{os.getpid()}\n")
            f.truncate()
        yield
    finally:
        # Unlinked while still held: a run waiting on the old file sees it gone and takes a new one.
        path.unlink(missing_ok=True)
        lock.release()


@contextmanager
def staged_folder(out: Path, force: bool, resume: bool = False, keep: str | None = None,
                  protect: Iterable[Path] = ()) -> Iterator[Path]:
    """Own `out`, yield a fresh staging folder for it, and swap it into place when the block succeeds.

    Parameters
    ----------
    out : Path
        The output folder.
    force : bool
        Replace a non-empty `out` that `sim` wrote. Its old contents stay until the new ones are
        complete.
    resume : bool
        Keep the work to resume (`keep`) that an earlier attempt left; without it, that work is
        removed first.
    keep : str, optional
        Name of the work to resume (``sim run``'s ``chunks``), kept in :func:`work_path` beside
        `out`: it survives any failure of the block and is removed after the swap.
    protect : iterable of Path
        Input files: `force` never replaces a folder holding one (see :func:`staging_path`).

    Yields
    ------
    Path
        The staging folder, created and empty, unique to this run.

    Raises
    ------
    OutputError
        On entry, as :func:`staging_path`, or if another run holds `out`.

    Notes
    -----
    If the block raises, the staging folder is removed and `out` is untouched. Staging folders
    left by a killed run are removed on entry (the lock proves their run is over). Files of the
    swapped-in folder get :data:`FILE_MODE`, folders :data:`FOLDER_MODE`, whatever the umask or
    the writer (``tempfile`` makes files 0600).
    """
    parent = staging_path(out, force, protect)
    with _lock(out, parent):
        # Checked again under the lock: another run may have written `out` since.
        staging_path(out, force, protect)
        name = out.resolve().name
        for pattern in (f".{name}.partial-*", f".{name}.old-*"):
            for stale in parent.glob(pattern):
                shutil.rmtree(stale, ignore_errors=True)
        if keep is not None and not resume:
            shutil.rmtree(work_path(out, keep), ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=parent))
        try:
            yield staging
            (staging / MARKER).write_text(json.dumps({"written_by": "sim", "pid": os.getpid()}) + "\n")
            _share(staging)
            _swap(staging, out.resolve())
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if keep is not None:
            shutil.rmtree(work_path(out, keep), ignore_errors=True)


def _share(folder: Path) -> None:
    folder.chmod(FOLDER_MODE)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            (Path(root) / name).chmod(FOLDER_MODE)
        for name in files:
            (Path(root) / name).chmod(FILE_MODE)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic rename (Linux ``renameat2``); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    status = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if status != 0:
        errno = ctypes.get_errno()
        if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system cannot exchange
            return False
        raise OSError(errno, os.strerror(errno), str(b))
    return True


def _swap(staging: Path, out: Path) -> None:
    # The staging folder comes out of the block holding the old results, which the caller removes.
    if out.exists():
        if _exchange(staging, out):
            return
        # Without an atomic exchange, the old folder is moved aside first: `out` is briefly absent,
        # never half-written.
        trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        out.rename(trash / out.name)
        staging.rename(out)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        staging.rename(out)


def write_file(target: Path, writer: Callable[[str], object]) -> Path:
    """Have `writer` write a temporary path beside `target`, then rename it into place, mode 0644.

    Raises
    ------
    OutputError
        One line if the file cannot be written (disk full, a file-size limit, a read-only
        folder); no file is left behind and an earlier `target` stays as it was.
    """
    target = Path(target)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
        os.close(fd)
        writer(tmp)
        # mkstemp makes the file 0600; outputs are for the group like the rest of the folder.
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"{target}: cannot be written ({exc.strerror or exc}); the folder is unchanged") from None
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_text_file(target: Path, text: str) -> Path:
    """Write `text` (UTF-8) to the single file `target` atomically, mode 0644 (:func:`write_file`)."""
    return write_file(target, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
