"""``sim export DIR``: the results as tidy long tables for Excel, Stata, R and pandas.

One table per dimension set: every numeric variable over the same dimensions goes into one long
table with a column per dimension, then ``variable``, ``value`` and ``units`` (so
``outlay``, ``committed``, ``unpaid`` ... share ``draw_year_program``). Text variables (the payer
and citation of each programme, the programme and recipient of each payment) go into a wide
table ``<dims>_text``. ``variables`` lists every variable with its dimensions, units and long name,
``attributes`` the dataset's attributes (scenario, seed, version ...). Dates are written as days
since 1970-01-01 (their units say so).

Formats: ``csv`` (a file per table, UTF-8, comma-separated, header row: ``import delimited`` in
Stata, ``read.csv`` in R, ``pandas.read_csv``), ``parquet`` (a file per table) and ``xlsx`` (one
workbook, a sheet per table).

``totals`` holds the fiscal totals of ``summary_totals.csv`` (outlays by programme and payer,
nominal and present value, with ``first_year`` and ``last_year``). ``years=(FIRST, LAST)``
(``sim export --years FIRST-LAST``) totals over those years and keeps only those years in the
per-year tables (and the payments of those years); nothing is re-run.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from sim.analysis.cells import neutralise_table, safe_file_stem
from sim.analysis.summary import Years, select_years, totals_table
from sim.errors import SimError
from sim.runner.staging import staged_folder, write_file

__all__ = ["FORMATS", "export_tables", "write_export"]

FORMATS = ("csv", "parquet", "xlsx")
#: Excel's sheet limit (rows, header included).
_XLSX_MAX_ROWS = 1_048_576
_EPOCH_UNITS = "days since 1970-01-01"


def _numeric(da: xr.DataArray) -> tuple[np.ndarray, str] | None:
    """The values as float64 and the units, or None for text."""
    units = str(da.attrs.get("units", ""))
    if np.issubdtype(da.dtype, np.datetime64):
        days = (da.values - np.datetime64("1970-01-01")) / np.timedelta64(1, "D")
        return days.astype(np.float64), _EPOCH_UNITS
    if np.issubdtype(da.dtype, np.number) or da.dtype == bool:
        return da.values.astype(np.float64), units
    return None


def export_tables(ds: xr.Dataset, years: Years = None, years_name: str = "years") -> dict[str, pd.DataFrame]:
    """The tidy tables of a results dataset, by table name.

    `years` (FIRST, LAST) keeps only those years in the tables with a year (and the payments made
    in them), and ``totals`` totals over them; default: the horizon.

    Returns
    -------
    dict of str to pandas.DataFrame
        Long tables named after their dimensions (``draw_year_program``: columns ``draw, year,
        program, variable, value, units``), wide ``<dims>_text`` tables, ``variables`` and
        ``attributes``, and ``totals`` (:func:`sim.analysis.summary.totals_table`).
    """
    chosen = select_years(ds, years, years_name)
    totals = totals_table(chosen)
    if years is not None and "payment_year" in chosen:
        first, last = int(chosen["year"].values[0]), int(chosen["year"].values[-1])
        paid = chosen["payment_year"].values
        chosen = chosen.isel(payment=np.flatnonzero((paid >= first) & (paid <= last)))
    ds = chosen
    numeric: dict[tuple[str, ...], list[str]] = {}
    text: dict[tuple[str, ...], list[str]] = {}
    for name, da in ds.data_vars.items():
        (numeric if _numeric(da) is not None else text).setdefault(tuple(str(d) for d in da.dims), []).append(str(name))
    tables: dict[str, pd.DataFrame] = {}
    for dims, names in numeric.items():
        parts = []
        for name in names:
            values, units = _numeric(ds[name])  # type: ignore[misc]
            index = pd.MultiIndex.from_product([ds[d].values for d in dims], names=list(dims)) if dims else None
            frame = (index.to_frame(index=False) if index is not None else pd.DataFrame(index=[0]))
            frame["variable"] = name
            frame["value"] = values.reshape(-1)
            frame["units"] = units
            parts.append(frame)
        tables["_".join(dims) or "scalars"] = pd.concat(parts, ignore_index=True)
    for dims, names in text.items():
        frame = pd.DataFrame({d: ds[d].values for d in dims}) if len(dims) == 1 else \
            pd.MultiIndex.from_product([ds[d].values for d in dims], names=list(dims)).to_frame(index=False)
        for name in names:
            frame[name] = [str(v) for v in ds[name].values.reshape(-1)]
        tables["_".join(dims) + "_text"] = frame
    tables["variables"] = pd.DataFrame(
        [{"variable": str(n), "dims": " ".join(str(d) for d in ds[n].dims), "units": str(ds[n].attrs.get("units", "")),
          "long_name": str(ds[n].attrs.get("long_name", ""))} for n in ds.data_vars]
    )
    tables["attributes"] = pd.DataFrame(
        [{"attribute": k, "value": str(v)} for k, v in ds.attrs.items() if k != "scenario_resolved"]
    )
    tables["totals"] = totals
    return tables


def _write_table(table: pd.DataFrame, fmt: str, path: str) -> None:
    if fmt == "csv":
        table.to_csv(path, index=False, encoding="utf-8")
    else:
        table.to_parquet(path, index=False, engine="pyarrow")


def write_export(folder: Path, fmt: str, out: Path | None = None, force: bool = False, years: Years = None,
                 years_name: str = "years") -> list[Path]:
    """Write the tables of a results folder in `fmt`; return the files written.

    Parameters
    ----------
    folder : Path
        A results folder of ``sim run``.
    fmt : {"csv", "parquet", "xlsx"}
    out : Path, optional
        Folder to write into (default ``folder/export``), staged and swapped into place as every
        output folder (:func:`sim.runner.staging.staged_folder`): an existing non-empty one is
        replaced only with `force` and only if sim wrote everything in it.
    force : bool
        Replace an existing export folder that sim wrote.
    years : (int, int), optional
        Keep only these years and total over them (see :func:`export_tables`); checked before
        anything is written.
    years_name : str
        How `years` is named in an error (``--years`` for the command).

    Raises
    ------
    SimError
        If `fmt` is unknown, the folder holds no results, `out` is a file, is or holds the results
        read, exists without `force` or holds files sim did not write, or a table is too long for
        an Excel sheet.
    """
    from sim.analysis.results import open_results

    if fmt not in FORMATS:
        raise SimError(f"--format: unknown format '{fmt}'; allowed: {', '.join(FORMATS)}")
    ds = open_results(folder)
    # Text cells that a spreadsheet would run as a formula get a leading ' (the README says so).
    tables = {name: neutralise_table(t) for name, t in export_tables(ds, years, years_name).items()}
    out = Path(out) if out is not None else Path(folder) / "export"
    if out.exists() and not out.is_dir():
        raise SimError(f"--out {out}: exists and is a file; give a folder")
    if fmt == "xlsx":
        too_long = [name for name, t in tables.items() if len(t) + 1 > _XLSX_MAX_ROWS]
        if too_long:
            raise SimError(f"--format xlsx: table {too_long[0]} has more rows than an Excel sheet holds "
                           f"({_XLSX_MAX_ROWS:,}); use --format csv or parquet")
    # The results read (every file of the folder) may not be replaced; `DIR/export` itself is allowed.
    read = [p for p in Path(folder).iterdir() if p.name != out.name] if out.parent.resolve() == Path(folder).resolve() \
        else [Path(folder)]
    names = []
    with staged_folder(out, force, protect=read) as staging:
        if fmt == "xlsx":
            # The file name comes from the results file: made safe, never a path out of `out`.
            name = f"{safe_file_stem(ds.attrs.get('scenario', 'results'))}.xlsx"

            def write_book(tmp: str) -> None:
                with pd.ExcelWriter(tmp, engine="openpyxl") as book:
                    for sheet, table in tables.items():
                        table.to_excel(book, sheet_name=safe_file_stem(sheet, 'table')[:31], index=False)

            write_file(staging / name, write_book)
            names.append(name)
        else:
            for table_name, table in tables.items():
                file_name = f"{safe_file_stem(table_name, 'table')}.{fmt}"
                write_file(staging / file_name, functools.partial(_write_table, table, fmt))
                names.append(file_name)
    return [out / n for n in names]
