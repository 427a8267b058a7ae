"""sim: simulation and forecasting of the impact of industrial policy.

The model is a function: :func:`run` takes a scenario file and returns an ``xarray.Dataset``
following the results contract (see docs/design.md); the ``sim`` command, the ensemble runner, the
notebooks and any experiment driver call it.
"""

from __future__ import annotations

from pathlib import Path

from sim.engine.kernel_cache import use_kernel_cache

# Before any kernel is decorated: compiled kernels are kept by version of their sources.
use_kernel_cache()

__all__ = ["run", "load_scenario", "__version__"]
__version__ = "0.1.0"


def load_scenario(path: str | Path, overrides: dict | None = None, name: str | None = None):
    """Load and validate a scenario file; see :func:`sim.scenario.loader.load_scenario`.

    Parameters
    ----------
    path : str or Path
        The scenario file (TOML).
    overrides : dict, optional
        Keys written over the file, as a file extending it would write them: dotted key paths to
        values, e.g. ``{"instruments.hydrogen.13.operating_subsidy.rate_cny_per_kg": 15,
        "horizon.last_year": 2027}`` (see :mod:`sim.scenario.overrides`). Validated as a file is:
        each problem is one line naming ``overrides``, the key and what is allowed.
    name : str, optional
        The scenario's name (as the file's ``name`` key): the results' ``scenario`` attribute,
        the report's title and the export's file name. Default: the file's.

    Raises
    ------
    ArgumentError
        If `path` is not a path (a str or an ``os.PathLike``), `overrides` is not a dict of key
        paths to values a TOML file can hold, or `name` is not text or is given in `overrides` too.
    ScenarioError
        With one line per problem of the file and the overrides.
    """
    import os

    from sim.errors import ArgumentError
    from sim.scenario.loader import load_scenario as _load
    from sim.scenario.overrides import OVERRIDES_SOURCE, override_tables

    if not isinstance(path, (str, os.PathLike)):
        raise ArgumentError(f"path must be a scenario file's path (got {type(path).__name__})")
    tables = override_tables(overrides) if overrides is not None else {}
    if name is not None:
        if not isinstance(name, str):
            raise ArgumentError(f"name must be text, the scenario's name (got {type(name).__name__})")
        if "name" in tables:
            raise ArgumentError("name: given both as name= and in overrides; give it once")
        tables["name"] = name
    return _load(path, tables or None, OVERRIDES_SOURCE)


def run(scenario, draws: int | None = None, seed: int | None = None, workers: int = 1, threads: int | None = None,
        overrides: dict | None = None, name: str | None = None):
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
        :mod:`sim.engine.threads`). The results do not depend on it.
    overrides : dict, optional
        Keys written over the scenario file without writing a file, e.g.
        ``{"instruments.hydrogen.13.operating_subsidy.rate_cny_per_kg": 15}``; validated as a file
        is (see :func:`load_scenario`). Only with a scenario file, not a loaded scenario.
    name : str, optional
        The results' scenario name (default: the file's ``name``); only with a scenario file.

    Returns
    -------
    xarray.Dataset
        Dims ``draw``, ``year`` and ``program``, ``payer``, ``sector``, ``station`` as the
        scenario's components need; every variable carries ``units`` and ``long_name``; the
        attribute ``scenario_changes`` lists the keys the overrides changed.

    Raises
    ------
    sim.errors.ArgumentError
        If `draws`, `seed`, `workers` or `threads` is not a whole number in its range (draws in
        1..10,000,000, seed in 0..2**63-1, workers and threads >= 1), in the words of ``sim run``;
        if `overrides` or `name` is malformed (see :func:`load_scenario`) or given with a loaded
        scenario.
    sim.errors.SimError
        If the scenario is invalid (a :class:`~sim.errors.ScenarioError` with one line per problem,
        those of the overrides naming ``overrides``).
    """
    import os

    from sim.arguments import MAX_SEED, whole_number
    from sim.engine.run import run_scenario
    from sim.errors import ArgumentError
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
    if isinstance(scenario, LoadedScenario):
        if overrides is not None or name is not None:
            raise ArgumentError("overrides and name need a scenario file's path; a loaded scenario is run as loaded "
                                "(or load it with sim.load_scenario(path, overrides=..., name=...))")
        loaded = scenario
    else:
        loaded = load_scenario(Path(scenario), overrides, name)
    return run_scenario(loaded, draws, seed, workers, threads=threads)
