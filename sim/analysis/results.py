"""Results folders: write a run's dataset with its tables and plots, and read one back.

The dataset itself is made by :func:`sim.runner.run.run_scenario` (the results contract of
docs/design.md); this module only writes it out and checks a folder is one `sim` wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import xarray as xr

__all__ = ["write_outputs", "payments_table", "open_results", "REQUIRED_VARIABLES"]

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
        If the file is missing, is not netCDF, or lacks the variables every run writes;
        :class:`~sim.errors.NumericalError` if it holds infinity, or NaN where the results
        contract allows only finite numbers (naming the variable).
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
    from sim.core.finite import check_results_finite

    check_results_finite(ds, str(nc))
    return ds


def write_outputs(ds: xr.Dataset, folder: Path, extra_writers=(), years=None) -> None:
    """Write ``results.nc``, ``scenario.resolved.toml``, ``summary.csv``, ``summary_totals.csv``,
    ``targets.csv``, ``payments.csv`` and plots into `folder`.

    `years` (FIRST, LAST) makes ``summary_totals.csv`` total over those years (its ``first_year``
    and ``last_year`` say so); ``results.nc`` and the per-year tables keep the whole horizon.

    `folder` is normally the staging folder of :func:`sim.runner.staging.staged_folder`, which
    renames it into place once everything is written.

    Raises
    ------
    OutputError
        One line if a file cannot be written (disk full, a file-size limit, no permission); the
        staging folder is then removed by its owner and earlier results stay as they were.
    """
    from sim.analysis.plots import write_plots
    from sim.analysis.summary import summary_table, totals_table
    from sim.analysis.targets import target_table

    folder.mkdir(parents=True, exist_ok=True)
    # The netCDF file is built in memory and written by Python: HDF5 writing to disk itself
    # crashes the process (a segfault) when the disk is full or a file-size limit is reached,
    # where a plain write raises OSError.
    steps: list[tuple[str, Callable[[Path], object]]] = [
        ("results.nc", lambda path: _write_bytes(path, ds.to_netcdf(engine="h5netcdf"))),
        ("summary.csv", lambda path: _csv(summary_table(ds), path)),
        ("summary_totals.csv", lambda path: _csv(totals_table(ds, years), path)),
        ("targets.csv", lambda path: _csv(target_table(ds), path)),
    ]
    if ds.attrs.get("scenario_resolved"):
        steps.append(("scenario.resolved.toml",
                      lambda path: path.write_text(str(ds.attrs["scenario_resolved"]), encoding="utf-8")))
    if "payment" in ds.dims:
        steps.append(("payments.csv", lambda path: _csv(payments_table(ds), path)))
    steps.append(("the plots", lambda path: write_plots(ds, folder)))
    for writer in extra_writers:
        steps.append((getattr(writer, "__name__", "an extra table"), _call_with(writer, ds, folder)))
    for name, write in steps:
        try:
            write(folder / name)
        except OSError as exc:
            from sim.errors import OutputError

            raise OutputError(f"cannot write {name} of the results in {folder.resolve().parent} "
                              f"({exc.strerror or exc}); no output was written and earlier results are unchanged"
                              ) from None


def _csv(table, path: Path) -> None:
    """Write `table` as CSV with text cells a spreadsheet would run as a formula neutralised."""
    from sim.analysis.cells import neutralise_table

    neutralise_table(table).to_csv(path, index=False)


def _call_with(writer: Callable[[xr.Dataset, Path], object], ds: xr.Dataset, folder: Path) -> Callable[[Path], object]:
    return lambda path: writer(ds, folder)


def _write_bytes(path: Path, data) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
