"""Staged writes: build an output folder beside its target, then rename it into place.

Every command that writes a folder (``sim run``, ``sim compare``, ``sim sensitivity``) writes into
a hidden ``.NAME.partial`` folder beside ``NAME`` and renames it into place only when complete, so
``NAME`` is always either the old results (or absent) or the complete new ones, never half-written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.errors import OutputError

__all__ = ["staging_path", "staged_folder", "FILE_MODE", "FOLDER_MODE"]

#: Outputs are shared with the group (results folders are read by colleagues and web servers).
FILE_MODE = 0o644
FOLDER_MODE = 0o755


def staging_path(out: Path, force: bool) -> Path:
    """Check the output folder can be written; return the staging folder beside it (not created).

    Raises
    ------
    OutputError
        If `out` exists and is not empty and `force` is not set, exists as a file, or its parent
        cannot be created or written.
    """
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out}: exists and is a file; give a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise OutputError(f"--out {out}: folder exists and is not empty; use --force to replace it")
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"--out {out}: cannot create the parent folder ({exc.strerror})") from None
    if not os.access(parent, os.W_OK):
        raise OutputError(f"--out {out}: parent folder {parent} is not writable")
    return parent / f".{out.name}.partial"


@contextmanager
def staged_folder(out: Path, force: bool, resume: bool = False, keep: str | None = None) -> Iterator[Path]:
    """Yield a staging folder for `out`; when the block succeeds, swap it into place.

    Parameters
    ----------
    out : Path
        The output folder.
    force : bool
        Replace a non-empty `out`. Its old contents stay until the new ones are complete.
    resume : bool
        Keep what an interrupted earlier attempt left in the staging folder (otherwise it is
        removed first).
    keep : str, optional
        Name of a sub-folder of the staging folder holding work to resume (``sim run``'s
        ``chunks``): it survives an interrupt (Ctrl-C) and is removed before the swap.

    Yields
    ------
    Path
        The staging folder, created and empty (or as left for `resume`).

    Raises
    ------
    OutputError
        On entry, as :func:`staging_path`.

    Notes
    -----
    If the block raises, the staging folder is removed, except `keep` after a
    ``KeyboardInterrupt``. Files of the swapped-in folder get :data:`FILE_MODE`, folders
    :data:`FOLDER_MODE`, whatever the umask or the writer (``tempfile`` makes files 0600).
    """
    staging = staging_path(out, force)
    if staging.exists() and not resume:
        shutil.rmtree(staging)
    staging.mkdir(parents=True, exist_ok=True)
    try:
        yield staging
    except KeyboardInterrupt:
        _remove_all_but(staging, keep)
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if keep is not None:
        shutil.rmtree(staging / keep, ignore_errors=True)
    _share(staging)
    _swap(staging, out)


def _remove_all_but(staging: Path, keep: str | None) -> None:
    if keep is None or not (staging / keep).exists():
        shutil.rmtree(staging, ignore_errors=True)
        return
    for entry in staging.iterdir():
        if entry.name == keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _share(folder: Path) -> None:
    folder.chmod(FOLDER_MODE)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            (Path(root) / name).chmod(FOLDER_MODE)
        for name in files:
            (Path(root) / name).chmod(FILE_MODE)


def _swap(staging: Path, out: Path) -> None:
    # Renames within one folder are atomic; the old folder is moved aside first so that at every
    # instant `out` is either the old results or the new ones.
    if out.exists():
        trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.resolve().parent))
        out.rename(trash / out.name)
        staging.rename(out)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        staging.rename(out)
