"""``sim export DIR``: the results as tidy long tables, and a summary workbook a person opens.

**Tidy tables** (``--format csv`` or ``parquet``; also written beside the workbook of ``xlsx``).
One table per dimension set: every numeric variable over the same dimensions goes into one long
table with a column per dimension, then ``variable``, ``value`` and ``units`` (so ``outlay``,
``committed``, ``unpaid`` ... share ``draw_year_program``). Text variables go into a wide table
``<dims>_text``: ``program_text`` holds each programme's names (``program_name``,
``program_name_zh``), payer, citation, kind and recipient. ``payments`` (when firms or stations
come from a CSV file) holds who got what, one row per draw, year, programme and recipient, as the
run's ``payments.csv``. ``variables`` lists every variable with its dimensions, units and long
name, ``attributes`` the dataset's attributes (scenario, seed, version ...), ``totals`` the fiscal
totals of ``summary_totals.csv``. Dates are written as days since 1970-01-01 (their units say so).

**Summary workbook** (``--format xlsx``): ``<scenario>.xlsx`` with the sheets of
:data:`WORKBOOK_SHEETS` (statistics over draws, so its size does not grow with the draws), and the
tidy tables beside it as Parquet files (the per-draw tables are too long for a sheet at a few
hundred draws); the ``contents`` sheet lists every sheet and file with what it holds.

``years=(FIRST, LAST)`` (``sim export --years FIRST-LAST``) totals over those years and keeps only
those years in the per-year tables (and the payments of those years); nothing is re-run.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from sim.analysis.cells import neutralise_table, safe_file_stem
from sim.analysis.summary import QUANTILES, Years, select_years, share_positive, summary_table, totals_table
from sim.engine.staging import staged_folder, write_file
from sim.errors import SimError

__all__ = ["FORMATS", "WORKBOOK_SHEETS", "PAYMENTS_TABLE", "export_tables", "workbook_tables", "write_export"]

FORMATS = ("csv", "parquet", "xlsx")
#: Name of the per-recipient payments table, in every format (the run writes ``payments.csv`` too).
PAYMENTS_TABLE = "payments"
#: Sheets of the summary workbook, in order, with what each holds (``payments`` only when the
#: results hold payments to named recipients).
WORKBOOK_SHEETS: dict[str, str] = {
    "contents": "what each sheet and each file beside this workbook holds",
    "totals": "the whole package over the years: outlay (nominal and present value), committed and unpaid, "
              "mean and P5/P50/P95 over draws",
    "by_payer": "outlay by paying agency over the years, nominal and present value",
    "by_programme": "outlay by programme over the years, with the programme's names, payer and citation",
    "by_year": "outlay, committed and unpaid of all programmes, year by year",
    "outputs_by_year": "every output by year and label (programme, payer, sector ...), as summary.csv",
    "targets": "the 2025 targets of the gazette and the city's plans against the forecast",
    "payments": "payments by recipient and programme over the years (firms or stations read from a CSV file)",
    "variables": "every variable of results.nc: dimensions, units and long name",
    "attributes": "the results' attributes: scenario, seed, draws, sim version ...",
}
_P_NAMES = tuple(f"p{round(q * 100)}" for q in QUANTILES)
_BANDS = ("mean",) + _P_NAMES
_OUTLAY = tuple(f"outlay_{b}" for b in _BANDS) + tuple(f"outlay_pv_{b}" for b in _BANDS) + ("p_positive",)
_OVER_YEARS = ("units", "first_year", "last_year")
#: Columns of each sheet of the summary workbook (README, "Export").
WORKBOOK_COLUMNS: dict[str, tuple[str, ...]] = {
    "contents": ("name", "kind", "rows", "holds"),
    "totals": ("quantity", "description") + _BANDS + ("p_positive",) + _OVER_YEARS,
    "by_payer": ("payer", "payer_name_en") + _OUTLAY + _OVER_YEARS,
    "by_programme": ("program", "program_name", "program_name_zh", "payer", "citation", "kind", "recipient")
    + _OUTLAY + _OVER_YEARS,
    "by_year": ("year",) + tuple(f"{q}_{b}" for q in ("outlay", "outlay_pv", "committed", "unpaid") for b in _BANDS)
    + ("units",),
    "outputs_by_year": ("variable", "dim", "label", "year") + _BANDS + ("p_positive", "units"),
    "targets": ("id", "name", "year", "target", "status", "p5", "p50", "p95", "probability"),
    "payments": ("recipient", "program", "program_name", "share_of_draws_paid", "outlay_mean", "outlay_mean_when_paid",
                 "committed_mean") + _OVER_YEARS,
    "variables": ("variable", "dims", "units", "long_name"),
    "attributes": ("attribute", "value"),
}
#: Excel's sheet limit (rows, header included).
_XLSX_MAX_ROWS = 1_048_576
_EPOCH_UNITS = "days since 1970-01-01"
_PAYMENT_VARIABLES = ("payment_draw", "payment_year", "payment_program", "payment_recipient",
                      "payment_committed_cny", "payment_outlay_cny")


def _numeric(da: xr.DataArray) -> tuple[np.ndarray, str] | None:
    """The values as float64 and the units, or None for text."""
    units = str(da.attrs.get("units", ""))
    if np.issubdtype(da.dtype, np.datetime64):
        days = (da.values - np.datetime64("1970-01-01")) / np.timedelta64(1, "D")
        return days.astype(np.float64), _EPOCH_UNITS
    if np.issubdtype(da.dtype, np.number) or da.dtype == bool:
        return da.values.astype(np.float64), units
    return None


def _labels(values: list[str]) -> pd.Categorical:
    """Text labels as a categorical column (a long table repeats a few labels millions of times)."""
    return pd.Categorical(values)


def _repeated(codes: np.ndarray, categories) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories))


def _long_table(ds: xr.Dataset, dims: tuple[str, ...], names: list[str]) -> pd.DataFrame:
    """The long table of the numeric variables `names` over `dims`, built by repeating the coordinates."""
    sizes = [ds.sizes[d] for d in dims]
    cells = int(np.prod(sizes)) if dims else 1
    k = len(names)
    columns: dict[str, object] = {}
    for i, d in enumerate(dims):
        inner, outer = int(np.prod(sizes[i + 1:])), int(np.prod(sizes[:i]))
        codes = np.tile(np.repeat(np.arange(sizes[i]), inner), outer * k)
        coord = ds[d].values
        if coord.dtype.kind in "iuf":
            columns[d] = coord[codes]
        else:
            columns[d] = _repeated(codes, [str(c) for c in coord])
    columns["variable"] = _repeated(np.repeat(np.arange(k), cells), names)
    values, units = zip(*(_numeric(ds[n]) for n in names), strict=True)  # type: ignore[misc]
    columns["value"] = np.concatenate([v.reshape(-1) for v in values]) if k else np.zeros(0)
    unit_names = list(dict.fromkeys(units))
    columns["units"] = _repeated(np.repeat(np.array([unit_names.index(u) for u in units]), cells), unit_names)
    return pd.DataFrame(columns)


def _payments(ds: xr.Dataset) -> pd.DataFrame:
    """The payments table (as the run's ``payments.csv``): draw, year, program, recipient, committed_cny, outlay_cny."""
    from sim.analysis.results import payments_table

    return payments_table(ds).reset_index(drop=True)


def _within_years(chosen: xr.Dataset, years: Years) -> xr.Dataset:
    """`chosen` (the years selected) with only the payments made in those years."""
    if years is None or "payment_year" not in chosen:
        return chosen
    first, last = int(chosen["year"].values[0]), int(chosen["year"].values[-1])
    paid = chosen["payment_year"].values
    return chosen.isel(payment=np.flatnonzero((paid >= first) & (paid <= last)))


def export_tables(ds: xr.Dataset, years: Years = None, years_name: str = "years") -> dict[str, pd.DataFrame]:
    """The tidy tables of a results dataset, by table name.

    `years` (FIRST, LAST) keeps only those years in the tables with a year (and the payments made
    in them), and ``totals`` totals over them; default: the horizon.

    Returns
    -------
    dict of str to pandas.DataFrame
        Long tables named after their dimensions (``draw_year_program``: columns ``draw, year,
        program, variable, value, units``; text columns are categorical), wide ``<dims>_text``
        tables (``program_text`` with ``program_name`` and ``program_name_zh``), ``payments``
        when the results hold payments to named recipients, ``variables``, ``attributes`` and
        ``totals`` (:func:`sim.analysis.summary.totals_table`).
    """
    from sim.analysis.programmes import programme_names

    chosen = select_years(ds, years, years_name)
    totals = totals_table(chosen)
    chosen = _within_years(chosen, years)
    numeric: dict[tuple[str, ...], list[str]] = {}
    text: dict[tuple[str, ...], list[str]] = {}
    for name, da in chosen.data_vars.items():
        if str(name) in _PAYMENT_VARIABLES:
            continue
        (numeric if _numeric(da) is not None else text).setdefault(tuple(str(d) for d in da.dims), []).append(str(name))
    tables: dict[str, pd.DataFrame] = {}
    for dims, names in numeric.items():
        tables["_".join(dims) or "scalars"] = _long_table(chosen, dims, names)
    for dims, names in text.items():
        frame = pd.MultiIndex.from_product([chosen[d].values for d in dims], names=list(dims)).to_frame(index=False)
        if dims == ("program",):
            names_of = programme_names(chosen)
            frame["program_name"] = names_of["program_name"].to_numpy()
            frame["program_name_zh"] = names_of["program_name_zh"].to_numpy()
        for name in names:
            frame[name] = [str(v) for v in chosen[name].values.reshape(-1)]
        tables["_".join(dims) + "_text"] = frame
    if "payment_draw" in chosen:
        tables[PAYMENTS_TABLE] = _payments(chosen)
    tables["variables"] = pd.DataFrame(
        [{"variable": str(n), "dims": " ".join(str(d) for d in ds[n].dims), "units": str(ds[n].attrs.get("units", "")),
          "long_name": str(ds[n].attrs.get("long_name", ""))} for n in ds.data_vars]
    )
    tables["attributes"] = _attributes(ds)
    tables["totals"] = totals
    return tables


def _attributes(ds: xr.Dataset) -> pd.DataFrame:
    return pd.DataFrame([{"attribute": k, "value": str(v)} for k, v in ds.attrs.items() if k != "scenario_resolved"])


def _bands(per_draw: np.ndarray) -> dict[str, np.ndarray]:
    """Mean and P5/P50/P95 over draws (the first axis) of each column, and the share of draws above 0."""
    per_draw = np.asarray(per_draw, dtype=np.float64)
    q = np.nanquantile(per_draw, QUANTILES, axis=0) if per_draw.shape[0] else np.full((3,) + per_draw.shape[1:], np.nan)
    out = {"mean": np.nanmean(per_draw, axis=0) if per_draw.shape[0] else q[0]}
    out |= {name: q[i] for i, name in enumerate(_P_NAMES)}
    return out


def _band_columns(prefix: str, per_draw: np.ndarray) -> dict[str, np.ndarray]:
    return {f"{prefix}_{k}": v for k, v in _bands(per_draw).items()}


def _outlay_by(ds: xr.Dataset, name: str, by: str) -> pd.DataFrame:
    """Outlay over the years by `by` (and ``all``), nominal and present value: one row per label."""
    da = ds[name].transpose("draw", "year", by)
    nominal = da.sum("year").values
    pv = (da * ds["discount_factor"]).sum("year").values
    nominal = np.concatenate([nominal, nominal.sum(axis=1, keepdims=True)], axis=1)
    pv = np.concatenate([pv, pv.sum(axis=1, keepdims=True)], axis=1)
    frame = pd.DataFrame({by: [str(v) for v in ds[by].values] + ["all"]})
    for column, values in (_band_columns("outlay", nominal) | _band_columns("outlay_pv", pv)).items():
        frame[column] = values
    frame["p_positive"] = [share_positive(nominal[:, j]) for j in range(nominal.shape[1])]
    return frame


def _years_columns(frame: pd.DataFrame, ds: xr.Dataset) -> pd.DataFrame:
    frame["units"] = "CNY"
    frame["first_year"] = int(ds["year"].values[0])
    frame["last_year"] = int(ds["year"].values[-1])
    return frame


def _totals_sheet(ds: xr.Dataset) -> pd.DataFrame:
    rows = []
    total = ds["outlay"].sum("program").transpose("draw", "year")
    quantities = (
        ("outlay_total", "paid, all programmes, summed over the years", total.sum("year").values),
        ("outlay_total_pv", "paid, all programmes, in present value (discounted to the base year)",
         (total * ds["discount_factor"]).sum("year").values),
        ("committed_total", "approved, all programmes, summed over the years",
         ds["committed"].sum(["year", "program"]).values),
        ("unpaid_total", "approved but not paid by year end (budget ceilings), summed over the years",
         ds["unpaid"].sum(["year", "program"]).values),
    )
    for quantity, description, per_draw in quantities:
        bands = _bands(per_draw[:, None])
        rows.append({"quantity": quantity, "description": description} | {k: float(v[0]) for k, v in bands.items()}
                    | {"p_positive": share_positive(per_draw)})
    return _years_columns(pd.DataFrame(rows), ds)


def _by_year_sheet(ds: xr.Dataset) -> pd.DataFrame:
    frame = pd.DataFrame({"year": ds["year"].values.astype(np.int64)})
    outlay = ds["outlay"].sum("program").transpose("draw", "year")
    columns = _band_columns("outlay", outlay.values) | _band_columns("outlay_pv", (outlay * ds["discount_factor"]).values)
    for name in ("committed", "unpaid"):
        columns |= _band_columns(name, ds[name].sum("program").transpose("draw", "year").values)
    for column, values in columns.items():
        frame[column] = values
    frame["units"] = "CNY"
    return frame


def _payments_sheet(payments: pd.DataFrame, n_draws: int, names: pd.DataFrame, ds: xr.Dataset) -> pd.DataFrame:
    """Payments by recipient and programme over the years: share of draws paid, means over all draws and over those paid."""
    per_draw = payments.groupby(["recipient", "program", "draw"], sort=False, observed=True)[
        ["committed_cny", "outlay_cny"]].sum()
    paid = per_draw["outlay_cny"] > 0
    grouped = per_draw.groupby(level=["recipient", "program"], sort=True, observed=True)
    frame = pd.DataFrame({
        "draws_paid": paid.groupby(level=["recipient", "program"], sort=True, observed=True).sum(),
        "outlay_sum": grouped["outlay_cny"].sum(),
        "committed_sum": grouped["committed_cny"].sum(),
    }).reset_index()
    frame = frame.merge(names[["program", "program_name"]], on="program", how="left")
    out = pd.DataFrame({
        "recipient": frame["recipient"].astype(str), "program": frame["program"].astype(str),
        "program_name": frame["program_name"].fillna(frame["program"].astype(str)),
        "share_of_draws_paid": frame["draws_paid"] / n_draws,
        "outlay_mean": frame["outlay_sum"] / n_draws,
        "outlay_mean_when_paid": frame["outlay_sum"] / frame["draws_paid"].where(frame["draws_paid"] > 0),
        "committed_mean": frame["committed_sum"] / n_draws,
    })
    return _years_columns(out.sort_values(["outlay_mean", "recipient"], ascending=[False, True], kind="stable")
                          .reset_index(drop=True), ds)


def workbook_tables(ds: xr.Dataset, years: Years = None, years_name: str = "years",
                    tidy: dict[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
    """The sheets of the summary workbook (:data:`WORKBOOK_SHEETS`) but ``contents``, by sheet name.

    Each is a statistic over draws (mean, P5, P50, P95 and P(> 0), the share of draws above 0), so
    its length does not depend on the number of draws. `years` as in :func:`export_tables`; the
    targets are those of their own year (2025), whatever the years.

    Parameters
    ----------
    ds : xarray.Dataset
        Results of a run.
    years : (int, int), optional
        Years totalled and shown (default: the horizon).
    years_name : str
        How `years` is named in an error.
    tidy : dict, optional
        :func:`export_tables` of the same results and years, when already made (saves work).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``totals`` (quantity, description, mean, p5, p50, p95, p_positive, units, first_year,
        last_year), ``by_payer`` (payer, payer_name_en, outlay_mean ... outlay_p95, outlay_pv_mean
        ... outlay_pv_p95, p_positive, units, first_year, last_year; last row ``all``),
        ``by_programme`` (program, program_name, program_name_zh, payer, citation, kind, recipient,
        then the columns of by_payer), ``by_year`` (year, outlay_*, outlay_pv_*, committed_*,
        unpaid_* bands, units), ``outputs_by_year`` (the columns of summary.csv), ``targets`` (the
        columns of targets.csv), ``payments`` when the results hold payments (recipient, program,
        program_name, share_of_draws_paid, outlay_mean, outlay_mean_when_paid, committed_mean,
        units, first_year, last_year), ``variables`` and ``attributes``.
    """
    from sim.analysis.targets import target_table
    from sim.policy.payers import payer_names_of

    chosen = _within_years(select_years(ds, years, years_name), years)
    tidy = tidy if tidy is not None else export_tables(ds, years, years_name)
    text = tidy["program_text"].set_index("program")
    by_programme = _outlay_by(chosen, "outlay", "program")
    info = pd.DataFrame({
        "program": by_programme["program"],
        "program_name": by_programme["program"].map(text["program_name"]).fillna("all programmes"),
        "program_name_zh": by_programme["program"].map(text["program_name_zh"]).fillna("全部项目"),
        "payer": by_programme["program"].map(text["program_payer"]).fillna(""),
        "citation": by_programme["program"].map(text["program_citation"]).fillna(""),
        "kind": by_programme["program"].map(text.get("program_kind", pd.Series(dtype=object))).fillna(""),
        "recipient": by_programme["program"].map(text.get("program_recipient", pd.Series(dtype=object))).fillna(""),
    })
    by_programme = pd.concat([info, by_programme.drop(columns="program")], axis=1)
    by_payer = _outlay_by(chosen, "outlay_by_payer", "payer")
    by_payer.insert(1, "payer_name_en", by_payer["payer"].map(payer_names_of(chosen)).fillna("all payers"))
    outputs = summary_table(chosen)
    sheets = {
        "totals": _totals_sheet(chosen),
        "by_payer": _years_columns(by_payer, chosen),
        "by_programme": _years_columns(by_programme, chosen),
        "by_year": _by_year_sheet(chosen),
        "outputs_by_year": outputs,
        "targets": target_table(ds),
    }
    if PAYMENTS_TABLE in tidy:
        sheets["payments"] = _payments_sheet(tidy[PAYMENTS_TABLE], int(chosen.sizes["draw"]),
                                             tidy["program_text"], chosen)
    sheets["variables"] = tidy["variables"]
    sheets["attributes"] = tidy["attributes"]
    return {name: table[list(WORKBOOK_COLUMNS[name])] for name, table in sheets.items()}


def _contents(ds: xr.Dataset, workbook: str, sheets: dict[str, pd.DataFrame], beside: dict[str, pd.DataFrame],
              too_long: list[str]) -> pd.DataFrame:
    """The ``contents`` sheet: the workbook, each sheet and each file beside it, with rows and what it holds."""
    totals = sheets["totals"]
    chosen_years = f"{int(totals['first_year'].iloc[0])}-{int(totals['last_year'].iloc[0])}"
    rows: list[dict[str, object]] = [{"name": workbook, "kind": "this workbook", "rows": None,
             "holds": f"scenario '{ds.attrs.get('scenario', '')}', {int(ds.sizes['draw']):,} draws, seed "
                      f"{ds.attrs.get('seed', '')}, years {chosen_years}; statistics over draws (mean, P5, P50, P95); "
                      "the per-draw tables are the Parquet files below (pandas.read_parquet, R arrow::read_parquet; "
                      "`sim export --format csv` writes them as CSV)"}]
    rows.append({"name": "contents", "kind": "sheet", "rows": len(sheets) + len(beside) + 2,
                 "holds": WORKBOOK_SHEETS["contents"]})
    for name, table in sheets.items():
        rows.append({"name": name, "kind": "sheet", "rows": len(table), "holds": WORKBOOK_SHEETS[name]})
    for name in too_long:
        rows.append({"name": f"{safe_file_stem(name, 'table')}.parquet", "kind": "file beside this workbook",
                     "rows": len(beside[name]), "holds": WORKBOOK_SHEETS[name] + " (too long for a sheet)"})
    for name, table in beside.items():
        if name in too_long:
            continue
        columns = [str(c) for c in table.columns]
        dims = columns[:columns.index("variable")] if "variable" in columns else columns[:1]
        per_draw = "draw" in columns
        if name == PAYMENTS_TABLE:
            holds = "payments by draw, year, programme and recipient (as payments.csv of the run)"
        elif name.endswith("_text"):
            holds = f"labels by {', '.join(dims)}"
        elif name in ("variables", "attributes", "totals"):
            holds = {"variables": WORKBOOK_SHEETS["variables"], "attributes": WORKBOOK_SHEETS["attributes"],
                     "totals": "the fiscal totals of summary_totals.csv (long)"}[name]
        else:
            variables = sorted(str(v) for v in pd.unique(table["variable"]))
            holds = (f"{'per draw: ' if per_draw else ''}{', '.join(variables)} "
                     f"by {', '.join(dims)} (long: variable, value, units)")
        rows.append({"name": f"{safe_file_stem(name, 'table')}.parquet", "kind": "file beside this workbook",
                     "rows": len(table), "holds": holds})
    return pd.DataFrame(rows, columns=["name", "kind", "rows", "holds"])


#: Sheets of amounts in CNY, shown with thousands separators and no decimals.
_AMOUNT_SHEETS = ("totals", "by_payer", "by_programme", "by_year", "payments")
_SHARE_COLUMNS = ("p_positive", "share_of_draws_paid", "probability")
#: Widest column, characters (long descriptions wrap in the cell instead).
_MAX_WIDTH = 60


def _lay_out(sheet, table: pd.DataFrame, name: str) -> None:
    """Make a written sheet readable: header row frozen, columns as wide as their text, amounts with
    thousands separators, shares as percentages.
    """
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "A2"
    for j, column in enumerate(table.columns, start=1):
        values = table[column]
        text = [str(column)] + [str(v) for v in values.head(200)]
        letter = get_column_letter(j)
        sheet.column_dimensions[letter].width = min(_MAX_WIDTH, max(len(t) for t in text) + 2)
        if column in _SHARE_COLUMNS:
            number_format = "0.0%"
        elif name in _AMOUNT_SHEETS and values.dtype.kind == "f":
            number_format = "#,##0"
        else:
            continue
        for (cell,) in sheet.iter_rows(min_row=2, max_row=len(table) + 1, min_col=j, max_col=j):
            cell.number_format = number_format


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
        ``csv`` and ``parquet``: the tidy tables, a file each (:func:`export_tables`). ``xlsx``:
        the summary workbook ``<scenario>.xlsx`` (:func:`workbook_tables`, and a ``contents``
        sheet) with the tidy tables beside it as Parquet; a sheet too long for Excel goes beside
        it as Parquet too, and ``contents`` says so.
    out : Path, optional
        Folder to write into (default ``folder/export``), staged and swapped into place as every
        output folder (:func:`sim.engine.staging.staged_folder`): an existing non-empty one is
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
        read, or exists without `force` or holds files sim did not write.
    """
    from sim.analysis.results import open_results

    if fmt not in FORMATS:
        raise SimError(f"--format: unknown format '{fmt}'; allowed: {', '.join(FORMATS)}")
    ds = open_results(folder)
    tidy = export_tables(ds, years, years_name)
    sheets = workbook_tables(ds, years, years_name, tidy) if fmt == "xlsx" else {}
    # Text cells that a spreadsheet would run as a formula get a leading ' (the README says so).
    tidy = {name: neutralise_table(t) for name, t in tidy.items()}
    sheets = {name: neutralise_table(t) for name, t in sheets.items()}
    out = Path(out) if out is not None else Path(folder) / "export"
    if out.exists() and not out.is_dir():
        raise SimError(f"--out {out}: exists and is a file; give a folder")
    # The results read (every file of the folder) may not be replaced; `DIR/export` itself is allowed.
    read = [p for p in Path(folder).iterdir() if p.name != out.name] if out.parent.resolve() == Path(folder).resolve() \
        else [Path(folder)]
    names = []
    with staged_folder(out, force, protect=read) as staging:
        files = tidy
        if fmt == "xlsx":
            # The file name comes from the results file: made safe, never a path out of `out`.
            name = f"{safe_file_stem(ds.attrs.get('scenario', 'results'))}.xlsx"
            too_long = [s for s, t in sheets.items() if len(t) + 1 > _XLSX_MAX_ROWS]
            files = {s: sheets[s] for s in too_long} | tidy
            in_book = {"contents": _contents(ds, name, {s: t for s, t in sheets.items() if s not in too_long}, files,
                                             too_long)}
            in_book |= {s: t for s, t in sheets.items() if s not in too_long}

            def write_book(tmp: str) -> None:
                with pd.ExcelWriter(tmp, engine="openpyxl") as book:
                    for sheet, table in in_book.items():
                        table.to_excel(book, sheet_name=sheet, index=False)
                        _lay_out(book.sheets[sheet], table, sheet)

            write_file(staging / name, write_book)
            names.append(name)
            fmt = "parquet"
        for table_name, table in files.items():
            file_name = f"{safe_file_stem(table_name, 'table')}.{fmt}"
            write_file(staging / file_name, functools.partial(_write_table, table, fmt))
            names.append(file_name)
    return [out / n for n in names]
