"""Staged writes: one run owns an output folder, builds it beside its target, then swaps it into place.

Every command that writes a folder (``sim run``, ``sim compare``, ``sim sensitivity``,
``sim hindcast``) goes through :func:`staged_folder`:

- a lock (``.NAME.lock`` beside ``NAME``) is taken before any work; a second run to the same folder
  stops at once, naming the holder's process id;
- the new folder is built in a staging folder unique to the run (``.NAME.partial-XXXXXXXX``) and
  exchanged with ``NAME`` in one atomic rename, so ``NAME`` is at every instant the old results
  (or absent) or the complete new ones, whatever fails and when;
- an output that is, holds or lies inside an input of the command (scenario files, CSVs,
  documents, results folders read) is refused, with or without ``--force``;
- each folder written carries a marker (:data:`MARKER`) listing every file and folder sim wrote in
  it, and ``--force`` replaces only a folder with the marker holding nothing else, never the
  current folder or a parent of it;
- work to resume (``sim run``'s saved chunks) lives in ``.NAME.KEEP`` beside the target, outside
  the staging folder: it survives any failure and is removed only once the new folder is in place;
- staging, trash and work folders are recognised by a marker inside them (:data:`WORK_MARKER`),
  never by their name alone, and names are matched exactly (glob characters in a path are
  literal); a work folder must be a real folder (not a symlink) owned by the user running sim.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.errors import OutputError
from sim.messages import cut_text

__all__ = ["staging_path", "staged_folder", "work_path", "make_work_folder", "check_work_folder", "write_file",
           "write_text_file", "write_into_folder", "check_not_input", "record_written", "MARKER", "WORK_MARKER",
           "FILE_MODE", "FOLDER_MODE"]

#: Outputs are shared with the group (results folders are read by colleagues and web servers).
FILE_MODE = 0o644
FOLDER_MODE = 0o755

#: File that marks a folder as written by `sim`; ``--force`` replaces only folders that have it.
MARKER = "sim-output.json"
#: Longest name of an output folder, bytes: the longest name a file system takes (255) less the
#: room of the work folders sim keeps beside it (``.NAME.partial-XXXXXXXX``, ``.NAME.chunks.new-…``).
MAX_OUT_NAME_BYTES = 200
#: File inside a staging, trash or work folder (``.NAME.partial-*``, ``.NAME.old-*``,
#: ``.NAME.chunks``) that marks it as made by `sim`: only such folders are ever removed.
WORK_MARKER = ".sim-work"

#: renameat2 flag exchanging two paths atomically (linux/fs.h).
_RENAME_EXCHANGE = 2
#: renameat2's "relative to the current folder" directory descriptor (fcntl.h).
_AT_FDCWD = -100


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or lies below it (both resolved)."""
    return path == folder or folder in path.parents


def _resolved(path: Path) -> Path:
    # os.path.realpath never raises (a symlink loop stays as it is); Path.resolve may.
    return Path(os.path.realpath(path))


def check_not_input(out: Path, inputs: Iterable[Path], flag: str = "--out") -> None:
    """Refuse an output that is, holds or lies inside an input of the command.

    Raises
    ------
    OutputError
        One line naming the flag, the output, the input and what is allowed.
    """
    target = _resolved(Path(out))
    for given in inputs:
        path = _resolved(Path(given))
        if path == target:
            how = "is"
        elif _inside(path, target):
            how = "holds"
        elif _inside(target, path):
            how = "lies inside"
        else:
            continue
        raise OutputError(f"{flag} {out}: {how} {given}, an input of this command; "
                          "give an output outside every input (scenario files, CSVs, documents, results read)")


def _marker_files(folder: Path) -> set[str] | None:
    """What the folder's marker lists as written by sim (relative paths), or None if it has no usable marker."""
    marker = folder / MARKER
    try:
        if not stat.S_ISREG(os.lstat(marker).st_mode):
            return None
        fields = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(fields, dict) or fields.get("written_by") != "sim":
        return None
    files = fields.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return set(files)


def _foreign(folder: Path) -> str | None:
    """The first file or folder in `folder` that its marker does not list (relative path), else None.

    A listed folder with a marker of its own (``sim export``'s ``DIR/export``) is judged by that marker.
    """
    listed = _marker_files(folder)
    if listed is None:
        return MARKER
    for root, dirs, files in os.walk(folder):
        rel_root = Path(root).relative_to(folder)
        for name in sorted(dirs) + sorted(files):
            rel = (rel_root / name).as_posix()
            if rel == MARKER:
                continue
            if rel not in listed:
                return rel
        for name in list(dirs):
            if (Path(root) / name / MARKER).is_file():
                dirs.remove(name)
                inner = _foreign(Path(root) / name)
                if inner is not None:
                    return f"{(rel_root / name).as_posix()}/{inner}"
    return None


def _written(folder: Path) -> list[str]:
    """Every file and folder below `folder`, relative, as a marker lists them."""
    found = []
    for root, dirs, files in os.walk(folder):
        rel_root = Path(root).relative_to(folder)
        found += [(rel_root / name).as_posix() for name in dirs + files]
    return sorted(f for f in found if f != MARKER)


def _write_marker(folder: Path, files: Iterable[str]) -> None:
    fields = {"written_by": "sim", "pid": os.getpid(), "files": sorted(set(files))}
    write_text_file(folder / MARKER, json.dumps(fields, indent=1) + "\n")


def record_written(folder: Path, names: Iterable[str]) -> None:
    """Add `names` (relative to `folder`) to the marker of a folder sim wrote; nothing if it has none."""
    listed = _marker_files(folder)
    if listed is None:
        return
    _write_marker(folder, listed | set(names))


def _refuse_foreign(out: Path, force: bool) -> None:
    if not force:
        raise OutputError(f"--out {out}: folder exists and is not empty; use --force to replace it")
    if _marker_files(out) is None:
        raise OutputError(f"--out {out}: --force replaces only a folder sim wrote (it has {MARKER}), "
                          "and this one has none; remove it yourself or give another --out")
    foreign = _foreign(out)
    if foreign is not None:
        raise OutputError(f"--out {out}: holds {foreign}, which sim did not write (its {MARKER} does not list it); "
                          "--force replaces only what sim wrote: move it out or give another --out")


def staging_path(out: Path, force: bool, protect: Iterable[Path] = ()) -> Path:
    """Check the output folder can be written (and replaced, with `force`); return its parent folder.

    Parameters
    ----------
    out : Path
        The output folder.
    force : bool
        Allow replacing a non-empty `out` that `sim` wrote (its :data:`MARKER` lists everything
        in it).
    protect : iterable of Path
        Inputs of the command (files, or results folders read): `out` may not be, hold or lie
        inside one, with or without `force`.

    Returns
    -------
    Path
        The resolved parent folder of `out`, where the lock, the staging folder and any work to
        resume are kept.

    Raises
    ------
    OutputError
        If `out` is a file; is the current folder or a parent of it; is, holds or lies inside an
        input; is not empty and `force` is not set; with `force`, lacks the marker or holds
        anything the marker does not list; or if its parent cannot be created or written.
    """
    try:
        os.lstat(out)
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError as exc:  # a name too long, a loop of symbolic links, no permission on a parent
        raise OutputError(f"--out {cut_text(str(out))}: cannot be used ({exc.strerror})") from None
    if len(os.fsencode(out.name)) > MAX_OUT_NAME_BYTES:
        raise OutputError(f"--out {cut_text(str(out))}: the folder's name is {len(os.fsencode(out.name))} bytes long; "
                          f"at most {MAX_OUT_NAME_BYTES} (sim keeps its work beside it as .NAME.partial-XXXXXXXX)")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputError(f"--out {out}: exists and is a file or a symbolic link; give a folder")
    target = out.resolve()
    if _inside(Path.cwd().resolve(), target):
        raise OutputError(f"--out {out}: is the current folder or a parent of it; give a folder below it")
    check_not_input(out, protect)
    if out.is_dir() and any(out.iterdir()):
        _refuse_foreign(out, force)
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


def _is_work_folder(path: Path) -> bool:
    """Whether `path` is a real folder (not a symlink) of this user with :data:`WORK_MARKER` inside."""
    try:
        info = os.lstat(path)
        mark = os.lstat(path / WORK_MARKER)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and stat.S_ISREG(mark.st_mode)


def check_work_folder(path: Path) -> bool:
    """Whether the work folder `path` exists, refusing anything in its place that sim did not make.

    Raises
    ------
    OutputError
        One line if `path` is a symlink, a file or anything but a folder, a folder of another
        user, or a non-empty folder without :data:`WORK_MARKER` (sim never writes into, nor
        removes, it). An empty folder of this user is taken and marked.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise OutputError(f"{path}: cannot be read ({exc.strerror})") from None
    if stat.S_ISLNK(info.st_mode):
        what = "is a symbolic link"
    elif not stat.S_ISDIR(info.st_mode):
        what = "is a file, not a folder"
    elif info.st_uid != os.getuid():
        what = "belongs to another user"
    elif not _is_work_folder(path) and any(os.scandir(path)):
        what = f"is a folder sim did not make (it lacks {WORK_MARKER})"
    elif not _is_work_folder(path):
        (path / WORK_MARKER).write_text(f"{os.getpid()}\n")  # an empty folder of this user: nothing to lose
        return True
    else:
        return True
    raise OutputError(f"{path}: {what}; sim keeps the draws of this output there and will neither use nor remove "
                      "it: move it away or give another --out")


def make_work_folder(path: Path) -> Path:
    """Create the work folder `path` (with :data:`WORK_MARKER`) unless sim's own is there; return it.

    Made in a private folder and renamed into place, so it appears with its marker or not at all.
    """
    if check_work_folder(path):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{path.name}.new-", dir=path.parent))
    try:
        (tmp / WORK_MARKER).write_text(f"{os.getpid()}\n")
        os.rename(tmp, path)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not check_work_folder(path):  # another process made it first: it is checked above
            raise
    return path


def _remove_work(path: Path) -> None:
    """Remove a work folder sim made; anything else in its place stays."""
    if _is_work_folder(path):
        shutil.rmtree(path, ignore_errors=True)


def _private_folder(prefix: str, parent: Path) -> Path:
    """A new folder (mode 0700) marked as sim's work, so a later run may remove it."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    (folder / WORK_MARKER).write_text(f"{os.getpid()}\n")
    return folder


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
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise OutputError(f"--out {out}: the lock file {path} is a symbolic link or not a file; sim will not "
                          "open it: remove it yourself")
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        if not path.exists():
            # filelock waits (and so times out) on a file it cannot create: nobody holds it.
            raise OutputError(f"--out {out}: cannot create the lock file {path} (the folder {parent} does not "
                              "take new files)") from None
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
        if keep is not None:
            check_work_folder(work_path(out, keep))  # a symlink, file or user folder there is refused
        # Names compared exactly (glob characters are literal); only folders carrying sim's marker go.
        for entry in parent.iterdir():
            if entry.name.startswith((f".{name}.partial-", f".{name}.old-")) and _is_work_folder(entry):
                shutil.rmtree(entry, ignore_errors=True)
        if keep is not None and not resume:
            _remove_work(work_path(out, keep))
        staging = _private_folder(f".{name}.partial-", parent)
        try:
            yield staging
            (staging / WORK_MARKER).unlink()
            _write_marker(staging, _written(staging))
            _share(staging)
            _swap(staging, out.resolve())
            # The old results come back in `staging`: marked again as work, so a kill now leaves it removable.
            if staging.is_dir():
                (staging / WORK_MARKER).write_text(f"{os.getpid()}\n")
            record_written(out.resolve().parent, [name])
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if keep is not None:
            _remove_work(work_path(out, keep))


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
        trash = _private_folder(f".{out.name}.old-", out.parent)
        out.rename(trash / out.name)
        staging.rename(out)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        staging.rename(out)


def write_file(target: Path, writer: Callable[[str], object]) -> Path:
    """Have `writer` write a path in a private folder beside `target`, then rename it into place, mode 0644.

    The temporary file lives in a folder made by ``mkdtemp`` (mode 0700), so no one can plant a
    symbolic link where it is written; the rename replaces `target` itself, never a file a
    symbolic link at `target` points to.

    Raises
    ------
    OutputError
        One line if the file cannot be written (disk full, a file-size limit, a read-only
        folder); no file is left behind and an earlier `target` stays as it was.
    """
    target = Path(target)
    private = None
    try:
        private = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        tmp = private / f"new{target.suffix}"
        writer(str(tmp))
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"{target}: cannot be written ({exc.strerror or exc}); the folder is unchanged") from None
    finally:
        if private is not None:
            shutil.rmtree(private, ignore_errors=True)
    return target


def write_text_file(target: Path, text: str) -> Path:
    """Write `text` (UTF-8) to the single file `target` atomically, mode 0644 (:func:`write_file`)."""
    return write_file(target, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_into_folder(folder: Path, name: str, writer: Callable[[str], object], flag: str = "--out") -> Path:
    """Write the file `name` into an existing folder under the marker rules; return its path.

    A file already there is replaced only if the folder's :data:`MARKER` lists it (sim wrote
    it); a file sim writes into a folder with the marker is added to its list.

    Raises
    ------
    OutputError
        If `folder/name` exists and sim did not write it, or is not a regular file.
    """
    target = Path(folder) / name
    listed = _marker_files(Path(folder)) or set()
    if os.path.lexists(target):
        if target.is_symlink() or not target.is_file():
            raise OutputError(f"{flag} {folder}: {name} there is a symbolic link or not a file; sim will not "
                              "replace it: move it away or give another folder")
        if name not in listed:
            raise OutputError(f"{flag} {folder}: holds {name}, which sim did not write (no {MARKER} lists it); "
                              "sim will not replace it: move it away or give another folder")
    write_file(target, writer)
    record_written(Path(folder), [name])
    return target
