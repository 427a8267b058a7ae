"""Checkpoints: the chunks of draws a run saves as they finish, and the manifest that says whose they are.

A checkpoint folder holds ``manifest.json`` (the run's record: SHA-256 of the bytes of every input
file, the whole ``extends`` chain, every CSV and document file; the seed, the draw count and the
package version) and one ``chunk_FIRST_LAST.npz`` per finished range of draws. Each chunk carries
its draw range, the digest of the run record, its variables and a checksum of every array, so a
damaged, truncated, foreign or wrong-shaped chunk is recognised and run again rather than trusted.
Chunks are keyed by draw ranges only, never by the number of workers, so any resume reuses them.

Files are written through a temporary file made with ``O_EXCL`` (``mkstemp``) in the folder,
then renamed, so a symbolic link planted in the folder is never followed; chunks are read only
if they are regular files, opened without blocking and without following a symbolic link, so a
FIFO or device planted as a chunk is reported and its draws are run again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.errors import SimError
from sim.scenario.loader import LoadedScenario, input_files

__all__ = ["RunRecord", "run_record", "check_manifest", "write_manifest", "save_chunk", "load_chunks", "Chunk"]

#: Layout version of manifests and chunks; a change makes older checkpoints foreign.
FORMAT = 2


@dataclass(frozen=True)
class RunRecord:
    """What saved draws must share with a run to be reused by it.

    Attributes
    ----------
    fields : dict
        The manifest's content.
    digest : str
        SHA-256 of `fields`, stored in every chunk.
    """

    fields: dict
    digest: str


@dataclass(frozen=True)
class Chunk:
    """A finished range of draws: arrays stacked over draws ``first..last`` and the drawn parameters."""

    first: int
    last: int
    arrays: dict[str, np.ndarray]
    params: list[dict[str, float]]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise SimError(f"{path}: cannot be read ({exc.strerror})") from None
    return digest.hexdigest()


def _input_digests(loaded: LoadedScenario) -> dict[str, str]:
    """SHA-256 of every input file, from the bytes read when the scenario was loaded (the run's snapshot)."""
    held = loaded.inputs
    out = {}
    for p in input_files(loaded):
        data = held.get(os.path.realpath(p))
        out[str(p)] = hashlib.sha256(data).hexdigest() if data is not None else _sha256_file(p)
    return out


def run_record(loaded: LoadedScenario, n_draws: int) -> RunRecord:
    """The record of a run of `n_draws` draws of a loaded scenario (its inputs' bytes as loaded)."""
    from sim.runner.provenance import package_version, source_digest

    fields = {
        "format": FORMAT,
        "scenario_sha256": loaded.sha256,
        "inputs": _input_digests(loaded),
        "seed": int(loaded.scenario.ensemble.seed),
        "draws": int(n_draws),
        "sim_version": package_version(),
        # The version string stays the same between commits; the sources' digest does not.
        "sim_source_sha256": source_digest(),
    }
    return RunRecord(fields, hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest())


def _read_manifest(folder: Path) -> dict | None:
    try:
        have = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None  # missing or damaged (a truncated write): the chunks' own records decide
    return have if isinstance(have, dict) else None


def check_manifest(folder: Path, record: RunRecord) -> None:
    """Refuse to resume from draws made by another run; read only, so a refusal changes nothing.

    Raises
    ------
    SimError
        If the folder's manifest records other inputs, another seed, draw count or version.
    """
    have = _read_manifest(folder)
    if have is None:
        return
    want = record.fields
    diff = [f"{k} {have.get(k)!r}, not {want[k]!r}" for k in ("format", "seed", "draws", "sim_version")
            if have.get(k) != want[k]]
    if not diff and have.get("sim_source_sha256") != want["sim_source_sha256"]:
        diff.append("another version of the sim sources (their SHA-256 differs)")
    given = have.get("inputs")
    old_inputs: dict = given if isinstance(given, dict) else {}
    changed = [Path(p).name for p, h in want["inputs"].items() if old_inputs.get(p) != h]
    changed += [f"{Path(p).name} (no longer read)" for p in old_inputs if p not in want["inputs"]]
    if changed:
        diff.append(f"other inputs ({', '.join(changed)} changed since)")
    elif have.get("scenario_sha256") != want["scenario_sha256"]:
        diff.append("another scenario")
    if diff:
        raise SimError(f"--resume: the draws saved in {folder} were made with {'; '.join(diff)}; "
                       "nothing was changed: rerun without --resume to start afresh")


def write_manifest(folder: Path, record: RunRecord) -> None:
    """Write the manifest (atomically) unless an identical one is there."""
    if _read_manifest(folder) == record.fields:
        return
    _write_atomic(folder / "manifest.json", ".tmp",
                  lambda f: f.write(json.dumps(record.fields, indent=1, sort_keys=True).encode("utf-8")))


def _write_atomic(final: Path, suffix: str, write: Callable) -> None:
    """Write `final` through a new file made with O_EXCL (never a planted symlink), then rename it into place.

    Raises
    ------
    SimError
        One line naming the file if it cannot be written (disk full); the temporary file is removed.
    """
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=suffix, dir=final.parent)
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, final)
    except OSError as exc:
        raise SimError(f"{final}: cannot be written ({exc.strerror or exc}); the draws saved before are kept") from None
    finally:
        if tmp is not None and os.path.lexists(tmp):
            os.unlink(tmp)


def _checksum(entries: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in sorted(entries):
        value = np.ascontiguousarray(entries[name])
        digest.update(f"{name}|{value.dtype.str}|{value.shape}|".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


_CHUNK_NAME = re.compile(r"chunk_[0-9]{9}_[0-9]{9}\.npz")


def _chunk_name(first: int, last: int) -> str:
    return f"chunk_{first:09d}_{last:09d}.npz"


def save_chunk(folder: Path, record: RunRecord, chunk: Chunk) -> None:
    """Save a finished chunk: written to a temporary file, then renamed, so it is whole or absent."""
    names = sorted({k for p in chunk.params for k in p})
    table = np.array([[p.get(k, np.nan) for k in names] for p in chunk.params], dtype=np.float64)
    entries = {f"v_{k}": v for k, v in chunk.arrays.items()}
    entries |= {
        "_param_names": np.array(names, dtype=str),
        "_params": table.reshape(len(chunk.params), len(names)),
        "_draws": np.array([chunk.first, chunk.last], dtype=np.int64),
        "_run": np.array(record.digest),
    }
    entries["_checksum"] = np.array(_checksum(entries))
    final = folder / _chunk_name(chunk.first, chunk.last)
    # numpy's stub matches the ** mapping against savez's allow_pickle flag; the keys are array names.
    _write_atomic(final, ".tmp.npz", lambda f: np.savez(f, **entries))  # type: ignore[arg-type]


def _read_chunk(path: Path, record: RunRecord, shapes: dict[str, tuple[int, ...]], n_draws: int) -> Chunk | str:
    """The chunk saved in `path`, or why it cannot be used."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return "is not a regular file"
        # Not following a symlink, not blocking on a FIFO swapped in since; the descriptor is what is read.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return f"cannot be opened ({exc.strerror})"
    try:
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return "is not a regular file"
            with np.load(f, allow_pickle=False) as z:
                entries = {k: z[k] for k in z.files}
    except Exception as exc:  # a damaged zip raises any of BadZipFile, OSError, ValueError, EOFError, zlib.error
        return f"cannot be read ({type(exc).__name__})"
    meta = ("_param_names", "_params", "_draws", "_run", "_checksum")
    if any(k not in entries for k in meta):
        return "lacks its draw range or checksum"
    if str(entries["_run"]) != record.digest:
        return "was made by another run"
    checksum = str(entries.pop("_checksum"))
    if _checksum(entries) != checksum:
        return "fails its checksum"
    first, last = (int(v) for v in entries["_draws"])
    if path.name != _chunk_name(first, last) or not 0 <= first <= last < n_draws:
        return f"holds draws {first}..{last}, not those of its name"
    count = last - first + 1
    arrays = {k[2:]: v for k, v in entries.items() if k.startswith("v_")}
    if set(arrays) != set(shapes):
        return "holds other variables than this run records"
    rows = {v.shape for k, v in arrays.items() if shapes[k] == ()}
    if len(rows) > 1 or any(len(r) != 1 for r in rows):
        return "holds payment columns of unequal lengths"
    for name, shape in shapes.items():
        if shape != () and arrays[name].shape != (count,) + shape:
            return f"holds {name} of shape {arrays[name].shape}, not {(count,) + shape}"
    names = [str(n) for n in entries["_param_names"]]
    if entries["_params"].shape != (count, len(names)):
        return f"holds parameters of shape {entries['_params'].shape}, not {(count, len(names))}"
    params = [{k: v for k, v in zip(names, row, strict=True) if v == v} for row in entries["_params"]]
    return Chunk(first, last, arrays, params)


def load_chunks(folder: Path, record: RunRecord, shapes: dict[str, tuple[int, ...]], n_draws: int,
                notice: Callable[[str], None] | None = None) -> list[Chunk]:
    """The usable saved chunks of `folder`, non-overlapping, in draw order.

    Parameters
    ----------
    shapes : dict
        Shape of each variable per draw; ``()`` marks a table column (one row per payment, any count).
    notice : callable, optional
        Told, in one line, of each chunk that cannot be used (its draws are run again).
    """
    found: list[Chunk] = []
    for name in sorted(os.listdir(folder)):
        if not _CHUNK_NAME.fullmatch(name):
            continue
        path = folder / name
        chunk = _read_chunk(path, record, shapes, n_draws)
        if isinstance(chunk, str):
            if notice is not None:
                notice(f"--resume: {path}: {chunk}; its draws are run again")
            continue
        if found and chunk.first <= found[-1].last:
            continue  # overlaps one already taken (chunks of another chunk size): that one serves
        found.append(chunk)
    return found
