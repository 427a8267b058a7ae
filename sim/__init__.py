"""sim: simulation and forecasting of the impact of industrial policy.

The model is a function: :func:`run` takes a scenario file and returns an ``xarray.Dataset``
following the results contract (see docs/design.md); the ``sim`` command, the ensemble runner, the
notebooks and any experiment driver call it.
"""

from __future__ import annotations

from pathlib import Path

from sim.core.kernel_cache import use_kernel_cache

# Before any kernel is decorated: compiled kernels are kept by version of their sources.
use_kernel_cache()

__all__ = ["run", "load_scenario", "__version__"]
__version__ = "0.1.0"


def load_scenario(path: str | Path):
    """Load and validate a scenario file; see :func:`sim.scenario.loader.load_scenario`.

    Raises
    ------
    ArgumentError
        If `path` is not a path (a str or an ``os.PathLike``), in the words of :func:`run`.
    ScenarioError
        With one line per problem of the file.
    """
    import os

    from sim.errors import ArgumentError
    from sim.scenario.loader import load_scenario as _load

    if not isinstance(path, (str, os.PathLike)):
        raise ArgumentError(f"path must be a scenario file's path (got {type(path).__name__})")
    return _load(path)


def run(scenario, draws: int | None = None, seed: int | None = None, workers: int = 1, threads: int | None = None):
    """Run a scenario's ensemble.

    Parameters
    ----------
    scenario : str, Path or LoadedScenario
        A scenario file, or one already loaded.
    draws, seed : int, optional
        Override the scenario's ``[ensemble]`` values.
    workers : int
        Local processes (at most 4 per core and one per draw: more are cut down, with a warning).
    threads : int, optional
        Threads for the kernels when `workers` is 1 (default: every core Numba may use; see
        :mod:`sim.core.threads`). The results do not depend on it.

    Returns
    -------
    xarray.Dataset
        Dims ``draw``, ``year`` and ``program``, ``payer``, ``sector``, ``station`` as the
        scenario's components need; every variable carries ``units`` and ``long_name``.

    Raises
    ------
    sim.errors.ArgumentError
        If `draws`, `seed`, `workers` or `threads` is not a whole number in its range (draws in
        1..10,000,000, seed in 0..2**63-1, workers and threads >= 1), in the words of ``sim run``.
    sim.errors.SimError
        If the scenario is invalid.
    """
    import os

    from sim.arguments import MAX_SEED, whole_number
    from sim.errors import ArgumentError
    from sim.runner.run import run_scenario
    from sim.scenario.base import MAX_DRAWS
    from sim.scenario.loader import LoadedScenario

    # Checked before the scenario is read, as the command line checks its flags.
    if draws is not None:
        draws = whole_number("draws", draws, 1, MAX_DRAWS)
    if seed is not None:
        seed = whole_number("seed", seed, 0, MAX_SEED)
    workers = whole_number("workers", workers, 1)
    if threads is not None:
        threads = whole_number("threads", threads, 1)
    if not isinstance(scenario, (LoadedScenario, str, os.PathLike)):
        raise ArgumentError(f"scenario must be a scenario file's path or a loaded scenario (got {type(scenario).__name__})")
    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(Path(scenario))
    return run_scenario(loaded, draws, seed, workers, threads=threads)
