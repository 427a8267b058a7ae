"""Ensembles: run the draws of a scenario in chunks, on local processes or a Dask cluster.

Each draw depends only on (scenario, seed, draw index), so chunks can run anywhere in any order
and the stacked result is bit-identical whatever the number of workers or chunks. A chunk's
outputs can be saved as it finishes (``checkpoint``, see :mod:`sim.runner.checkpoint`), so an
interrupted or failed run resumes where it stopped, whatever the number of workers of the resume.
"""

from __future__ import annotations

import concurrent.futures as cf
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.arguments import MAX_SCHEDULER_TIMEOUT_S, worker_limit
from sim.core.outputs import VariableSpec
from sim.core.threads import available_threads, kernel_threads
from sim.errors import ArgumentError, ScenarioError, SimError
from sim.messages import cut_text
from sim.populations import active_components
from sim.runner.assembly import coordinates, ledger_variables
from sim.runner.checkpoint import Chunk, check_manifest, load_chunks, run_record, save_chunk, write_manifest
from sim.runner.design import ParameterDesign
from sim.runner.workers import close_quietly, dask_client, local_pool, quiet_dask_logs
from sim.scenario.loader import LoadedScenario

__all__ = ["EnsembleLayout", "layout_of", "run_chunk", "run_draws", "default_chunk_size", "PAYMENT_COLUMNS",
           "DEFAULT_SCHEDULER_TIMEOUT_S", "WorkersCapped"]

#: Seconds allowed to reach a Dask scheduler and, again, for a worker to join it (``--scheduler-timeout``).
DEFAULT_SCHEDULER_TIMEOUT_S = 60.0
#: Chunks a run is cut into by default (see :func:`default_chunk_size`).
CHUNKS_PER_RUN = 32
#: Most draws in one chunk by default.
MAX_CHUNK_DRAWS = 64

#: Columns of the table of payments to recipients read from CSV files (see ClaimDesk.payments).
PAYMENT_COLUMNS = ("payment_year", "payment_program", "payment_recipient", "payment_committed_cny",
                   "payment_outlay_cny")


class WorkersCapped(UserWarning):
    """More local workers were asked than the machine or the draws can use; fewer were started."""


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


def run_chunk(
    loaded: LoadedScenario, draws: list[int], design: ParameterDesign | None = None
) -> tuple[dict[str, np.ndarray], list[dict[str, float]]]:
    """Run some draws; return their outputs stacked along a leading draw axis, and their parameters.

    With a `design` (one row per entry of `draws`), run ``i`` sets the design's parameters to its
    row and takes its other random numbers from draw ``draws[i]``.
    """
    from sim.input_files import held_inputs
    from sim.runner.model import PolicyModel

    layout = layout_of(loaded)
    per_draw, params = [], []
    # Input files (CSVs) come from the bytes read when the scenario was loaded, never from disk again.
    with held_inputs(loaded.inputs):
        for i, d in enumerate(draws):
            given = design.given(i) if design is not None else None
            model = PolicyModel(loaded.scenario, loaded.policy, d, layout.specs, layout.sizes, given)
            per_draw.append(model.run())
            params.append(dict(model.parameters))
            model.discard()
    stacked = {s.name: np.stack([out[s.name] for out in per_draw]) for s in layout.specs}
    # Payments to named recipients are a table of rows, not an array by draw: rows of all draws.
    for name in PAYMENT_COLUMNS:
        stacked[name] = np.concatenate([out[name] for out in per_draw])
    stacked["payment_draw"] = np.concatenate([np.full(out["payment_year"].size, d, dtype=np.int64)
                                              for d, out in zip(draws, per_draw, strict=False)])
    return stacked, params


#: The scenario of this worker process's run (set as the worker starts, see :func:`_hold_scenario`).
_held: list[LoadedScenario] = []


def _hold_scenario(loaded: LoadedScenario) -> None:
    _held[:] = [loaded]


def _run_held_chunk(draws: list[int], design: ParameterDesign | None = None) -> tuple:
    """:func:`run_chunk` of the scenario this worker holds."""
    return run_chunk(_held[0], draws, design)


def _ranges(n_draws: int, size: int, done: list[Chunk]) -> list[list[int]]:
    """The draws still to run, in ranges of at most `size` on a grid that depends only on the draw count."""
    covered = np.zeros(n_draws, dtype=bool)
    for c in done:
        covered[c.first:c.last + 1] = True
    todo: list[list[int]] = []
    for start in range(0, n_draws, size):
        run: list[int] = []
        for d in range(start, min(start + size, n_draws)):
            if covered[d]:
                if run:
                    todo.append(run)
                run = []
            else:
                run.append(d)
        if run:
            todo.append(run)
    return todo


def default_chunk_size(n_draws: int) -> int:
    """Draws per chunk: a function of the draw count alone, so saved chunks fit any number of workers.

    About :data:`CHUNKS_PER_RUN` chunks keep a few workers busy and make a checkpoint often; at
    most :data:`MAX_CHUNK_DRAWS` draws bound the memory of a task.
    """
    return max(1, min(MAX_CHUNK_DRAWS, -(-n_draws // CHUNKS_PER_RUN)))


def _shapes(layout: EnsembleLayout) -> dict[str, tuple[int, ...]]:
    sizes = layout.sizes
    shapes = {s.name: tuple(sizes[d] for d in s.dims) for s in layout.specs}
    return shapes | {name: () for name in PAYMENT_COLUMNS + ("payment_draw",)}


def run_draws(
    loaded: LoadedScenario,
    n_draws: int | ParameterDesign,
    workers: int = 1,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    checkpoint: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    scheduler_timeout: float = DEFAULT_SCHEDULER_TIMEOUT_S,
    notice: Callable[[str], None] | None = None,
    threads: int | None = None,
) -> tuple[EnsembleLayout, dict[str, np.ndarray], list[dict[str, float]]]:
    """Run draws 0..n_draws-1 of a scenario, or the runs of a design.

    Parameters
    ----------
    loaded : LoadedScenario
    n_draws : int or ParameterDesign
        Number of draws (>= 1), or a design whose rows to run instead of draws 0..n_draws-1: row
        ``i`` is run with its parameter values and the random numbers of draw ``design.draws[i]``;
        the outputs are stacked in row order. Not with `checkpoint`.
    workers : int
        Local processes (1 runs in this process). Ignored with `scheduler`. At most
        :data:`~sim.arguments.WORKERS_PER_CORE` per core and one per draw are started; the cut is
        told to `notice` (else warned as :class:`WorkersCapped`).
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``) to run the chunks on.
    chunk_size : int, optional
        Draws per task (default :func:`default_chunk_size`).
    checkpoint : Path, optional
        Folder where finished chunks are saved and, if present, read back instead of rerun (see
        :mod:`sim.runner.checkpoint`). Saved chunks stay whatever fails.
    progress : callable, optional
        Called with (draws done, draws in all) as chunks finish.
    scheduler_timeout : float
        Seconds allowed to reach the scheduler and, again, for a worker to join it; during the run,
        the longest the scheduler may go without a worker or without answering before the run ends
        (at most :data:`~sim.arguments.MAX_SCHEDULER_TIMEOUT_S`).
    notice : callable, optional
        Told, in one line, of each saved chunk that cannot be used (its draws are run again).
    threads : int, optional
        Threads for the kernels of draws run in this process (``workers`` 1): default
        :func:`~sim.core.threads.available_threads`. Worker processes use one each. The
        results are the same bits whatever the count.

    Returns
    -------
    layout, arrays, parameters
        The layout, each variable stacked over draws in draw order, and the drawn parameters.

    Raises
    ------
    SimError
        If `workers` < 1; if the checkpoint holds draws of another run (then nothing is changed);
        if the Dask scheduler cannot be reached, has no worker or is lost (finished chunks are
        kept).
    """
    design = n_draws if isinstance(n_draws, ParameterDesign) else None
    if isinstance(n_draws, ParameterDesign):
        if checkpoint is not None:
            raise SimError(f"design: {n_draws.runs} runs given with a checkpoint (not supported)")
        n_draws = n_draws.runs
    if n_draws < 1:
        raise SimError(f"--draws: must be >= 1 (got {n_draws})")
    if workers < 1:
        raise SimError(f"--workers: must be >= 1 (got {workers})")
    if not 0 < scheduler_timeout <= MAX_SCHEDULER_TIMEOUT_S:
        raise ArgumentError(f"--scheduler-timeout must be a whole number in 1..{MAX_SCHEDULER_TIMEOUT_S} "
                            f"(got {scheduler_timeout!r})")
    if scheduler is None:
        workers, capped = worker_limit(workers, n_draws)
        if capped is not None:
            if notice is not None:
                notice(capped)
            else:
                warnings.warn(capped, WorkersCapped, stacklevel=3)
    if threads is not None and threads < 1:
        raise SimError(f"threads: must be >= 1 (got {threads})")
    from sim.input_files import held_inputs
    from sim.runner.memory import memory_problem

    # The run's own draws and workers: a peak that cannot fit is refused before any work (a CSV's
    # rows are counted from the snapshot the scenario was loaded with, never read again).
    with held_inputs(loaded.inputs):
        line = memory_problem(loaded.scenario, loaded.policy, n_draws, 0 if scheduler is not None else workers,
                              str(loaded.path))
    if line is not None:
        raise ScenarioError([line])
    layout = layout_of(loaded)
    size = chunk_size or default_chunk_size(n_draws)
    done: list[Chunk] = []
    record = None
    if checkpoint is not None:
        from sim.runner.staging import check_work_folder, make_work_folder

        record = run_record(loaded, n_draws)
        # A symlink, a file or a folder sim did not make in its place is refused in one line.
        if check_work_folder(checkpoint):
            check_manifest(checkpoint, record)  # reads only: a refusal leaves the folder as it was
            done = load_chunks(checkpoint, record, _shapes(layout), n_draws, notice)
        make_work_folder(checkpoint)
        write_manifest(checkpoint, record)
    todo = _ranges(n_draws, size, done)
    count = sum(c.last - c.first + 1 for c in done)

    def _task(draws: list[int]) -> tuple:
        """Arguments of :func:`run_chunk` for a range of draws (the design's rows of that range only)."""
        if design is None:
            return (loaded, draws)
        part = design.take(draws)
        return (loaded, [int(d) for d in part.draws], part)

    def _finish(draws: list[int], value) -> None:
        nonlocal count
        chunk = Chunk(draws[0], draws[-1], *value)
        done.append(chunk)
        if checkpoint is not None and record is not None:
            save_chunk(checkpoint, record, chunk)
        count += len(draws)
        if progress is not None:
            progress(count, n_draws)

    if scheduler is not None:
        _run_on_dask(todo, _task, scheduler, scheduler_timeout, _finish)
    elif workers == 1 or len(todo) <= 1:
        # The draws run here one after another: the kernels may use every core.
        with kernel_threads(available_threads() if threads is None else threads):
            for draws in todo:
                _finish(draws, run_chunk(*_task(draws)))
    else:
        # The scenario goes to each worker once, at its start, not with every chunk: a worker
        # then keeps the per-run tables its draws share (claim routes, subsidy outlook).
        with local_pool(workers, _hold_scenario, (loaded,)) as pool:
            pending = {pool.submit(_run_held_chunk, *_task(draws)[1:]): draws for draws in todo}
            for finished in cf.as_completed(pending):
                _finish(pending[finished], finished.result())
    done.sort(key=lambda c: c.first)
    arrays = {s.name: np.concatenate([c.arrays[s.name] for c in done]) for s in layout.specs}
    for name in PAYMENT_COLUMNS + ("payment_draw",):
        arrays[name] = np.concatenate([c.arrays[name] for c in done if name in c.arrays] or [np.zeros(0)])
    params = [p for c in done for p in c.params]
    return layout, arrays, params


#: Seconds between two looks at a Dask run's scheduler (its workers, its answer).
_DASK_POLL_S = 1.0
#: Seconds between two looks at a Dask run's chunks.
_DASK_WAIT_S = 0.05


def _run_on_dask(todo: list[list[int]], task: Callable[[list[int]], tuple], scheduler: str, timeout: float,
                 finish: Callable[[list[int], tuple], None]) -> None:
    """Run the chunks on a Dask cluster; a lost worker's chunk is rerun by Dask.

    The run ends, keeping the finished chunks, once the scheduler has had no worker for `timeout`
    seconds (every worker lost), has not answered for `timeout` seconds, or the connection is
    lost (then the client gives up after `timeout` seconds of reconnecting); and when a chunk
    killed the workers that ran it (Dask's ``KilledWorker``).
    """
    from concurrent.futures import CancelledError

    shown = cut_text(scheduler)
    kept = "the finished draws are kept: rerun with --resume"
    with quiet_dask_logs():
        client = dask_client(scheduler, timeout)
        try:
            pending = {client.submit(run_chunk, *task(draws), pure=False): draws for draws in todo}
            without_workers = without_answer = None  # since when (time.monotonic())
            looked = time.monotonic()
            while pending:
                for fut in [f for f in pending if f.done()]:
                    try:
                        value = fut.result(timeout=timeout)
                    except TimeoutError:
                        # Its data went with a lost worker: Dask runs it again (or has no worker, which
                        # the look below bounds).
                        break
                    finish(pending.pop(fut), value)
                if not pending:
                    break
                time.sleep(_DASK_WAIT_S)
                if time.monotonic() - looked < _DASK_POLL_S:
                    continue
                looked = time.monotonic()
                if client.status not in ("running", "connecting"):
                    raise CancelledError
                asked = time.monotonic()
                workers = _worker_count(client, timeout)
                now = time.monotonic()
                if workers is None:
                    without_answer = without_answer or asked
                    if now - without_answer >= timeout:
                        raise SimError(f"--scheduler: lost the Dask scheduler at {shown} (no answer for "
                                       f"{timeout:g} s, --scheduler-timeout); {kept}")
                    continue
                without_answer = None
                if workers:
                    without_workers = None
                    continue
                without_workers = without_workers or now
                if now - without_workers >= timeout:
                    raise SimError(f"--scheduler: the Dask scheduler at {shown} lost every worker (none for "
                                   f"{timeout:g} s, --scheduler-timeout); {kept}")
        except (CancelledError, OSError, TimeoutError) as exc:
            reason = "the connection was lost" if isinstance(exc, CancelledError) else type(exc).__name__
            raise SimError(f"--scheduler: lost the Dask scheduler at {shown} ({reason}); {kept}") from None
        except Exception as exc:
            if type(exc).__name__ != "KilledWorker":
                raise
            raise SimError(f"--scheduler: a chunk of draws killed every Dask worker that ran it at {shown} "
                           f"(KilledWorker); {kept}") from None
        finally:
            close_quietly(client, timeout)


def _worker_count(client, timeout: float) -> int | None:
    """The workers the scheduler has now, or None if it does not answer within a few seconds."""
    try:
        return len(client.nthreads(callback_timeout=max(1.0, min(timeout, 5.0))))
    except Exception:  # no answer, a broken connection: the caller's clock decides
        return None
