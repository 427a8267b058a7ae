"""Results folders: write a run's dataset with its tables and plots atomically, and read one back.

The dataset itself is made by :func:`sim.engine.run.run_scenario` (the results contract of
DESIGN.md); this module only writes it out and checks a folder is one `sim` wrote.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import xarray as xr

from sim.errors import OutputError

__all__ = ["write_outputs", "prepare_out_dir", "payments_table", "open_results", "REQUIRED_VARIABLES"]

#: What every results file has, whatever the scenario's components.
REQUIRED_VARIABLES = ("committed", "outlay", "unpaid", "forfeited", "pending", "outlay_by_payer", "discount_factor")


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
