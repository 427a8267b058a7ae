"""Ensembles: run the draws of a scenario in chunks, on local processes or a Dask cluster.

Each draw depends only on (scenario, seed, draw index), so chunks can run anywhere in any order
and the stacked result is bit-identical whatever the number of workers or chunks. A chunk's
outputs can be saved as it finishes (``checkpoint``), so an interrupted run resumes where it
stopped.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.engine.design import ParameterDesign
from sim.engine.outputs import VariableSpec
from sim.engine.registry import active_components, coordinates, ledger_variables
from sim.errors import SimError
from sim.scenario.loader import LoadedScenario

__all__ = ["EnsembleLayout", "layout_of", "run_chunk", "run_draws", "PAYMENT_COLUMNS"]

#: Columns of the table of payments to recipients read from CSV files (see ClaimDesk.payments).
PAYMENT_COLUMNS = ("payment_year", "payment_program", "payment_recipient", "payment_committed_cny",
                   "payment_outlay_cny")


@dataclass(frozen=True)
class EnsembleLayout:
    """Output variables and coordinates of a scenario's results (known before any draw)."""

    specs: list[VariableSpec]
    coords: dict[str, list]

    @property
    def sizes(self) -> dict[str, int]:
        """Length of each coordinate, by dimension name."""
        return {k: len(v) for k, v in self.coords.items()}


def layout_of(loaded: LoadedScenario) -> EnsembleLayout:
    """The variables and coordinates the scenario's components will record."""
    scenario, policy = loaded.scenario, loaded.policy
    specs = ledger_variables() + [v for cls in active_components(scenario) for v in cls.variables(scenario, policy)]
    return EnsembleLayout(specs, coordinates(scenario, policy))


def _process_context():
    """Spawned workers (clean, no inherited threads), or forked ones when the main program is not a file.

    A spawned worker re-imports the main program; a program read from standard input
    (``python - <<EOF``) cannot be, so there the workers are forked instead.
    """
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file is not None and not os.path.exists(main_file):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def run_chunk(
    loaded: LoadedScenario, draws: list[int], design: ParameterDesign | None = None
) -> tuple[dict[str, np.ndarray], list[dict[str, float]]]:
    """Run some draws; return their outputs stacked along a leading draw axis, and their parameters.

    With a `design` (one row per entry of `draws`), run ``i`` sets the design's parameters to its
    row and takes its other random numbers from draw ``draws[i]``.
    """
    from sim.engine.model import PolicyModel

    layout = layout_of(loaded)
    per_draw, params = [], []
    for i, d in enumerate(draws):
        given = design.given(i) if design is not None else None
        model = PolicyModel(loaded.scenario, loaded.policy, d, layout.specs, layout.sizes, given)
        per_draw.append(model.run())
        params.append(dict(model.parameters))
    stacked = {s.name: np.stack([out[s.name] for out in per_draw]) for s in layout.specs}
    # Payments to named recipients are a table of rows, not an array by draw: rows of all draws.
    for name in PAYMENT_COLUMNS:
        stacked[name] = np.concatenate([out[name] for out in per_draw])
    stacked["payment_draw"] = np.concatenate([np.full(out["payment_year"].size, d, dtype=np.int64)
                                              for d, out in zip(draws, per_draw, strict=False)])
    return stacked, params


def _chunks(n_draws: int, chunk_size: int) -> list[list[int]]:
    return [list(range(i, min(i + chunk_size, n_draws))) for i in range(0, n_draws, chunk_size)]


def _check_manifest(folder: Path, loaded: LoadedScenario, n_draws: int) -> None:
    """Saved chunks are reused only for the same scenario bytes, seed, draw count and version.

    Raises
    ------
    SimError
        If the folder holds draws of another run.
    """
    from sim.engine.provenance import package_version

    want = {"scenario_sha256": loaded.sha256, "seed": int(loaded.scenario.ensemble.seed), "draws": int(n_draws),
            "sim_version": package_version()}
    path = folder / "manifest.json"
    if path.is_file():
        have = json.loads(path.read_text())
        diff = [f"{k} {have.get(k)!r}, not {v!r}" for k, v in want.items() if have.get(k) != v]
        if diff:
            raise SimError(f"--resume: the draws saved in {folder} were made with {'; '.join(diff)}; "
                           "rerun without --resume")
        return
    if any(folder.glob("chunk_*.npz")):
        raise SimError(f"--resume: {folder} holds draws without a record of their scenario and seed; "
                       "rerun without --resume")
    tmp = folder / "manifest.json.tmp"
    tmp.write_text(json.dumps(want, indent=1))
    tmp.replace(path)


def _save_chunk(folder: Path, draws: list[int], arrays: dict[str, np.ndarray], params: list[dict]) -> None:
    names = sorted({k for p in params for k in p})
    table = np.array([[p.get(k, np.nan) for k in names] for p in params], dtype=np.float64).reshape(len(params), -1)
    tmp = folder / f"chunk_{draws[0]:09d}_{draws[-1]:09d}.tmp.npz"
    # numpy's stub matches the ** mapping against savez's allow_pickle flag; the keys are array names.
    np.savez(tmp, **{f"v_{k}": v for k, v in arrays.items()}, _param_names=np.array(names, dtype=str), _params=table)  # type: ignore[arg-type]
    tmp.rename(folder / f"chunk_{draws[0]:09d}_{draws[-1]:09d}.npz")


def _load_chunk(path: Path) -> tuple[dict[str, np.ndarray], list[dict]]:
    with np.load(path) as z:
        arrays = {k[2:]: z[k] for k in z.files if k.startswith("v_")}
        names = list(z["_param_names"])
        params = [dict(zip(names, row, strict=False)) for row in z["_params"]]
    return arrays, params


def run_draws(
    loaded: LoadedScenario,
    n_draws: int,
    workers: int = 1,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    checkpoint: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    design: ParameterDesign | None = None,
) -> tuple[EnsembleLayout, dict[str, np.ndarray], list[dict[str, float]]]:
    """Run draws 0..n_draws-1 of a scenario, or the runs of a design.

    Parameters
    ----------
    loaded : LoadedScenario
    n_draws : int
        Number of draws (>= 1).
    workers : int
        Local processes (1 runs in this process). Ignored with `scheduler`.
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``) to run the chunks on.
    chunk_size : int, optional
        Draws per task (default: enough chunks to keep every worker busy).
    checkpoint : Path, optional
        Folder where finished chunks are saved and, if present, read back instead of rerun.
    progress : callable, optional
        Called with (draws done, draws in all) as chunks finish.
    design : ParameterDesign, optional
        Run its rows instead of draws 0..n_draws-1 (`n_draws` must equal its number of runs):
        row ``i`` is run with its parameter values and the random numbers of draw
        ``design.draws[i]``; the outputs are stacked in row order. Not with `checkpoint`.

    Returns
    -------
    layout, arrays, parameters
        The layout, each variable stacked over draws in draw order, and the drawn parameters.

    Raises
    ------
    SimError
        If `workers` < 1, or the Dask scheduler cannot be reached.
    """
    if design is not None and (design.runs != n_draws or checkpoint is not None):
        raise SimError(f"design: {design.runs} runs given for {n_draws} draws"
                       + (", with a checkpoint (not supported)" if checkpoint is not None else ""))
    if n_draws < 1:
        raise SimError(f"--draws: must be >= 1 (got {n_draws})")
    if workers < 1:
        raise SimError(f"--workers: must be >= 1 (got {workers})")
    layout = layout_of(loaded)
    size = chunk_size or max(1, min(64, -(-n_draws // (4 * max(1, workers)))))
    chunks = _chunks(n_draws, size)
    results: dict[int, tuple[dict, list]] = {}
    if checkpoint is not None:
        checkpoint.mkdir(parents=True, exist_ok=True)
        _check_manifest(checkpoint, loaded, n_draws)
        for i, draws in enumerate(chunks):
            path = checkpoint / f"chunk_{draws[0]:09d}_{draws[-1]:09d}.npz"
            if path.is_file():
                results[i] = _load_chunk(path)
    todo = [i for i in range(len(chunks)) if i not in results]
    done = sum(len(chunks[i]) for i in results)

    def _task(i: int) -> tuple:
        """Arguments of :func:`run_chunk` for chunk `i` (the design's rows of that chunk only)."""
        if design is None:
            return (loaded, chunks[i])
        part = design.take(chunks[i])
        return (loaded, [int(d) for d in part.draws], part)

    def _finish(i: int, value) -> None:
        nonlocal done
        results[i] = value
        if checkpoint is not None:
            _save_chunk(checkpoint, chunks[i], *value)
        done += len(chunks[i])
        if progress is not None:
            progress(done, n_draws)

    if scheduler is not None:
        try:
            from dask.distributed import Client
        except ImportError:
            raise SimError("--scheduler: needs dask.distributed; install with `pip install 'sim[dist]'`") from None
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise SimError(f"--scheduler: cannot reach a Dask scheduler at {scheduler} ({exc})") from None
        with client:
            futures = {client.submit(run_chunk, *_task(i), pure=False): i for i in todo}
            from dask.distributed import as_completed

            for fut in as_completed(futures):
                _finish(futures[fut], fut.result())
    elif workers == 1 or len(todo) <= 1:
        for i in todo:
            _finish(i, run_chunk(*_task(i)))
    else:
        ctx = _process_context()
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            pending = {pool.submit(run_chunk, *_task(i)): i for i in todo}
            for finished in cf.as_completed(pending):
                _finish(pending[finished], finished.result())
    arrays = {
        s.name: np.concatenate([results[i][0][s.name] for i in range(len(chunks))]) for s in layout.specs
    }
    for name in PAYMENT_COLUMNS + ("payment_draw",):
        arrays[name] = np.concatenate([results[i][0][name] for i in range(len(chunks)) if name in results[i][0]]
                                      or [np.zeros(0)])
    params = [p for i in range(len(chunks)) for p in results[i][1]]
    return layout, arrays, params
