"""`sim export`: tidy long tables that read back to the values of results.nc."""

from __future__ import annotations

import stat

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sim.analysis.export import export_tables
from sim.cli import main


@pytest.fixture(scope="module")
def results(tmp_path_factory, scenarios_dir):
    out = tmp_path_factory.mktemp("export") / "res"
    assert main(["run", str(scenarios_dir / "minimal.toml"), "--draws", "3", "--out", str(out), "--quiet"]) == 0
    with xr.open_dataset(out / "results.nc", engine="h5netcdf") as ds:
        return out, ds.load()


def _check_long_table(table: pd.DataFrame, ds: xr.Dataset, name: str, exact: bool = True) -> None:
    """The long rows of `name` equal the dataset's values (to the last bit, or to 1 ulp for text
    formats: Excel and CSV readers may round the 17th digit)."""
    rows = table[table["variable"] == name]
    dims = list(ds[name].dims)
    wide = rows.set_index(dims)["value"]
    expected = ds[name].to_series().astype(np.float64)
    expected.index = expected.index.set_levels(
        [lvl.astype(wide.index.levels[i].dtype) for i, lvl in enumerate(expected.index.levels)])
    if exact:
        np.testing.assert_array_equal(wide.loc[expected.index].to_numpy(), expected.to_numpy(), err_msg=name)
    else:
        np.testing.assert_allclose(wide.loc[expected.index].to_numpy(), expected.to_numpy(), rtol=4e-16, err_msg=name)
    assert set(rows["units"]) == {ds[name].attrs["units"]}


def test_xlsx_reads_back_to_the_values_of_results_nc(results, tmp_path):
    folder, ds = results
    assert main(["export", str(folder), "--format", "xlsx", "--out", str(tmp_path / "x")]) == 0
    book = pd.read_excel(tmp_path / "x" / "minimal.xlsx", sheet_name=None, engine="openpyxl")
    assert {"draw_year_program", "draw_year_payer", "program_text", "variables", "attributes"} <= set(book)
    for name in ("outlay", "committed", "unpaid"):
        _check_long_table(book["draw_year_program"], ds, name, exact=False)
    _check_long_table(book["draw_year_payer"], ds, "outlay_by_payer", exact=False)
    payers = book["program_text"].set_index("program")["program_payer"]
    assert payers.to_dict() == {str(p): str(v) for p, v in zip(ds["program"].values, ds["program_payer"].values,
                                                               strict=True)}


def test_parquet_and_csv_read_back_equal(results, tmp_path):
    folder, ds = results
    assert main(["export", str(folder), "--format", "parquet", "--out", str(tmp_path / "p")]) == 0
    assert main(["export", str(folder), "--format", "csv", "--out", str(tmp_path / "c")]) == 0
    for fmt, read in (("p", pd.read_parquet), ("c", pd.read_csv)):
        table = read(tmp_path / fmt / f"draw_year_program.{'parquet' if fmt == 'p' else 'csv'}")
        assert list(table.columns) == ["draw", "year", "program", "variable", "value", "units"]
        assert table["year"].dtype.kind == "i"
        _check_long_table(table, ds, "outlay", exact=fmt == "p")
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "c").iterdir()} == {0o644}


def test_every_numeric_variable_is_in_one_table(results):
    _, ds = results
    tables = export_tables(ds)
    listed = set(tables["variables"]["variable"])
    assert listed == {str(n) for n in ds.data_vars}
    long_names = {v for t in tables.values() if "variable" in t.columns and "value" in t.columns
                  for v in t["variable"].unique()}
    text = {c for name, t in tables.items() if name.endswith("_text") for c in t.columns}
    assert listed <= long_names | text


def test_unknown_format_is_one_line_exit_2(results, capsys):
    folder, _ = results
    assert main(["export", str(folder), "--format", "dta"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["--format: unknown format 'dta'; allowed: csv, parquet, xlsx"]


def test_export_of_a_folder_without_results_exits_2(tmp_path, capsys):
    assert main(["export", str(tmp_path)]) == 2
    assert "no results.nc" in capsys.readouterr().err
