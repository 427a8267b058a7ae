"""Results: label the ensemble's arrays as an ``xarray.Dataset`` and write it out atomically.

The dataset follows the results contract of DESIGN.md: dims ``draw``, ``year`` and where needed
``program``, ``payer``, ``sector``, ``station``; every variable has ``units`` and ``long_name``;
attributes name the scenario, its file's SHA-256, the seed and the package version.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import xarray as xr

from sim.engine.ensemble import EnsembleLayout
from sim.errors import OutputError
from sim.scenario.loader import LoadedScenario

__all__ = ["build_dataset", "write_outputs", "package_version", "prepare_out_dir", "run_scenario", "open_results",
           "REQUIRED_VARIABLES"]

#: What every results file has, whatever the scenario's components.
REQUIRED_VARIABLES = ("committed", "outlay", "unpaid", "forfeited", "pending", "outlay_by_payer", "discount_factor")


def package_version() -> str:
    """Installed version of `sim` (``0+unknown`` when run from a source tree)."""
    try:
        return version("sim")
    except PackageNotFoundError:
        return "0+unknown"


def build_dataset(
    loaded: LoadedScenario,
    layout: EnsembleLayout,
    arrays: dict[str, np.ndarray],
    parameters: list[dict[str, float]],
) -> xr.Dataset:
    """Label the stacked arrays of an ensemble.

    Adds the payer view (``outlay_by_payer``, ``committed_by_payer``, ``unpaid_by_payer``), the
    programme-to-payer map, the discount factors and the drawn values of uncertain parameters.
    """
    n_draws = next(iter(arrays.values())).shape[0]
    coords = {"draw": np.arange(n_draws)} | {k: v for k, v in layout.coords.items()}
    data_vars = {}
    for spec in layout.specs:
        data_vars[spec.name] = xr.Variable(
            ("draw",) + spec.dims, arrays[spec.name], attrs={"units": spec.units, "long_name": spec.long_name}
        )
    policy = loaded.policy
    payers = policy.payers
    coords["payer"] = payers
    member = np.zeros((len(policy.programs), len(payers)))
    for p in policy.programs:
        member[p.index, payers.index(p.payer)] = 1.0
    for name in ("outlay", "committed", "unpaid"):
        data_vars[f"{name}_by_payer"] = xr.Variable(
            ("draw", "year", "payer"),
            arrays[name] @ member,
            attrs={"units": "CNY", "long_name": data_vars[name].attrs["long_name"] + ", by payer"},
        )
    data_vars["program_payer"] = xr.Variable(
        ("program",), np.array([p.payer for p in policy.programs], dtype=object),
        attrs={"units": "1", "long_name": "payer of the programme (its budget line's payer)"},
    )
    data_vars["program_citation"] = xr.Variable(
        ("program",), np.array([str(p.instrument.citation) for p in policy.programs], dtype=object),
        attrs={"units": "1", "long_name": "document number, item and seed line of the programme"},
    )
    data_vars["discount_factor"] = xr.Variable(
        ("year",), policy.discount_factors(),
        attrs={"units": "1", "long_name": f"present-value factor to {policy.base_year} at {policy.discount_rate:.4g} a year"},
    )
    if "payment_draw" in arrays and arrays["payment_draw"].size:
        years = np.asarray(policy.years)
        programs = np.array(policy.ids, dtype=object)
        columns = {
            "payment_draw": (arrays["payment_draw"], "1", "draw of the payment"),
            "payment_year": (years[arrays["payment_year"]], "year", "year of approval and payment"),
            "payment_program": (programs[arrays["payment_program"]], "1", "programme (instrument id)"),
            "payment_recipient": (arrays["payment_recipient"].astype(object), "1", "recipient's id in its CSV file"),
            "payment_committed_cny": (arrays["payment_committed_cny"], "CNY", "approved for the recipient in the year"),
            "payment_outlay_cny": (arrays["payment_outlay_cny"], "CNY", "paid to the recipient in the year"),
        }
        for name, (values, units, long_name) in columns.items():
            data_vars[name] = xr.Variable(("payment",), values, attrs={"units": units, "long_name": long_name})
    names = sorted({k for p in parameters for k in p})
    if names:
        coords["parameter"] = names
        table = np.array([[p.get(k, np.nan) for k in names] for p in parameters], dtype=np.float64)
        data_vars["parameter_value"] = xr.Variable(
            ("draw", "parameter"), table, attrs={"units": "as in the scenario", "long_name": "value drawn for an uncertain parameter"}
        )
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs = {
        "scenario": loaded.scenario.name,
        "scenario_file": loaded.path.name,
        "scenario_sha256": loaded.sha256,
        "seed": int(loaded.scenario.ensemble.seed),
        "draws": int(n_draws),
        "first_year": int(policy.years[0]),
        "last_year": int(policy.years[-1]),
        "sim_version": package_version(),
        "discount_rate": float(policy.discount_rate),
        "base_year": int(policy.base_year),
    }
    return ds


def payments_table(ds: xr.Dataset):
    """``payments.csv``: draw, year, program, recipient (its CSV id), committed_cny, outlay_cny."""
    import pandas as pd

    return pd.DataFrame({
        "draw": ds["payment_draw"].values, "year": ds["payment_year"].values,
        "program": ds["payment_program"].values, "recipient": ds["payment_recipient"].values,
        "committed_cny": ds["payment_committed_cny"].values, "outlay_cny": ds["payment_outlay_cny"].values,
    }).sort_values(["draw", "year", "program", "recipient"], kind="stable")


def open_results(folder: Path) -> xr.Dataset:
    """Load ``results.nc`` of a results folder, checking it is one `sim` wrote.

    Raises
    ------
    SimError
        If the file is missing, is not netCDF, or lacks the variables every run writes.
    """
    from sim.errors import SimError

    nc = Path(folder) / "results.nc"
    if not nc.is_file():
        raise SimError(f"{folder}: no results.nc here; give a results folder written by `sim run`")
    try:
        ds = xr.load_dataset(nc, engine="h5netcdf")
    except (OSError, ValueError) as exc:
        raise SimError(f"{nc}: not a sim results file ({exc})") from None
    missing = [v for v in REQUIRED_VARIABLES if v not in ds]
    if missing or "draw" not in ds.dims or "year" not in ds.dims:
        raise SimError(f"{nc}: not a sim results file (missing {', '.join(missing) or 'draw/year dimensions'})")
    return ds


def prepare_out_dir(out: Path, force: bool) -> Path:
    """Check the output folder can be written; return the staging folder beside it.

    Raises
    ------
    OutputError
        If `out` exists and is not empty and `force` is not set, or exists as a file.
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


def write_outputs(ds: xr.Dataset, out: Path, staging: Path, force: bool, extra_writers=()) -> None:
    """Write ``results.nc``, ``summary.csv``, ``targets.csv`` and plots into `staging`, then move it to `out`.

    The move is a rename within one folder, so `out` is either the old folder (or absent) or
    the complete new one, never half-written.
    """
    from sim.analysis.plots import write_plots
    from sim.analysis.summary import summary_table
    from sim.analysis.targets import target_table

    staging.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(staging / "results.nc", engine="h5netcdf")
    summary_table(ds).to_csv(staging / "summary.csv", index=False)
    target_table(ds).to_csv(staging / "targets.csv", index=False)
    if "payment" in ds.dims:
        payments_table(ds).to_csv(staging / "payments.csv", index=False)
    write_plots(ds, staging)
    for writer in extra_writers:
        writer(ds, staging)
    for leftover in staging.glob("chunks"):
        shutil.rmtree(leftover)
    if out.exists():
        trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.resolve().parent))
        out.rename(trash / out.name)
        staging.rename(out)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        staging.rename(out)


def run_scenario(
    loaded: LoadedScenario,
    draws: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    checkpoint: Path | None = None,
    progress=None,
) -> xr.Dataset:
    """Run a loaded scenario's ensemble and return the labelled results.

    Parameters
    ----------
    loaded : LoadedScenario
    draws, seed : int, optional
        Override the scenario's ``[ensemble]`` values.
    workers, scheduler, checkpoint, progress
        See :func:`sim.engine.ensemble.run_draws`.

    Returns
    -------
    xarray.Dataset
    """
    from dataclasses import replace

    from sim.engine.ensemble import run_draws

    scenario = loaded.scenario
    if seed is not None or draws is not None:
        ens = scenario.ensemble.model_copy(
            update={k: v for k, v in (("seed", seed), ("draws", draws)) if v is not None}
        )
        loaded = replace(loaded, scenario=scenario.model_copy(update={"ensemble": ens}))
    n = loaded.scenario.ensemble.draws
    layout, arrays, params = run_draws(loaded, n, workers, scheduler, checkpoint=checkpoint, progress=progress)
    return build_dataset(loaded, layout, arrays, params)
