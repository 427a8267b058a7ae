"""`sim export`: tidy long tables that read back to the values of results.nc."""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sim.analysis.export import WORKBOOK_COLUMNS, WORKBOOK_SHEETS, export_tables, workbook_tables
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


def test_xlsx_is_a_summary_workbook_with_the_documented_sheets_and_columns(results, tmp_path):
    folder, ds = results
    assert main(["export", str(folder), "--format", "xlsx", "--out", str(tmp_path / "x")]) == 0
    book = pd.read_excel(tmp_path / "x" / "minimal.xlsx", sheet_name=None, engine="openpyxl")
    # No payments to named recipients in the minimal scenario: every other documented sheet, in order.
    assert list(book) == [s for s in WORKBOOK_SHEETS if s != "payments"]
    for sheet, table in book.items():
        assert tuple(table.columns) == WORKBOOK_COLUMNS[sheet], sheet
    totals = book["totals"].set_index("quantity")
    per_draw = ds["outlay"].sum(["year", "program"]).values
    assert totals.loc["outlay_total", "mean"] == pytest.approx(per_draw.mean(), rel=1e-12)
    assert totals.loc["outlay_total", "p95"] == pytest.approx(np.quantile(per_draw, 0.95), rel=1e-12)
    programmes = book["by_programme"].set_index("program")
    assert list(programmes.index) == [str(p) for p in ds["program"].values] + ["all"]
    assert programmes.loc["all", "outlay_mean"] == pytest.approx(per_draw.mean(), rel=1e-12)
    # Names, not ids: the gazette's English and Chinese names (name, name_zh).
    named = programmes.drop("all")
    assert (named["program_name"] != named.index).all() and (named["program_name_zh"] != named.index).all()
    assert named["program_name_zh"].str.contains("[\u4e00-\u9fff]").all()
    assert programmes.loc["software.6.data_centre_green_retrofit", "program_name_zh"] == \
        "数据中心（算力中心）绿色化改造奖励（PUE达到DB11/T1139准入值）"
    payers = book["by_payer"].set_index("payer")
    assert payers.loc["all", "outlay_mean"] == pytest.approx(per_draw.mean(), rel=1e-12)
    assert list(book["by_year"]["year"]) == [int(y) for y in ds["year"].values]
    # Every file beside the workbook is listed in its contents, and every one listed is there.
    contents = book["contents"]
    beside = set(contents.loc[contents["kind"] == "file beside this workbook", "name"])
    assert beside == {p.name for p in (tmp_path / "x").glob("*.parquet")}
    assert set(contents.loc[contents["kind"] == "sheet", "name"]) == set(book)
    # The per-draw values are in the Parquet tables beside it, to the last bit.
    for name in ("outlay", "committed", "unpaid"):
        _check_long_table(pd.read_parquet(tmp_path / "x" / "draw_year_program.parquet"), ds, name)


def test_workbook_sheets_do_not_grow_with_the_draws(results):
    from benchmarks.bench_export import tile_draws

    _, ds = results
    few = workbook_tables(ds)
    many = workbook_tables(tile_draws(ds, 40))
    assert {k: len(v) for k, v in few.items() if k != "attributes"} == \
        {k: len(v) for k, v in many.items() if k != "attributes"}
    # Each copy is the same draws again: the means do not move.
    np.testing.assert_allclose(many["by_programme"]["outlay_mean"], few["by_programme"]["outlay_mean"], rtol=1e-12)


def test_program_text_has_the_programme_names(results):
    from sim.policy.gazette import load_gazette

    _, ds = results
    text = export_tables(ds)["program_text"].set_index("program")
    gazette = load_gazette().instruments
    assert {p: text.loc[p, "program_name"] for p in text.index} == {p: gazette[p].name for p in text.index}


def test_readme_documents_every_sheet_of_the_workbook_with_its_columns():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Export"):]
    section = section[:section.index("\n## ")]
    for sheet, columns in WORKBOOK_COLUMNS.items():
        row = next((line for line in section.splitlines() if line.startswith(f"| `{sheet}`")), None)
        assert row is not None, sheet
        for column in columns:
            assert f"`{column}`" in row, (sheet, column)
    assert "`payments`" in section and "payment.csv" in section


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


def test_payments_of_named_recipients_are_one_table_and_a_sheet(tmp_path):
    import math
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "populations" / "firms"))
    from _firms_helpers import HEADER, deterministic_toml

    # Two firms crossing the above-size threshold in 2022, each paid 300,000 in 2023 (D8 item 2).
    rows = ["M1,advanced_manufacturing,18000000,6,0,0,0,0,0,0", "M2,advanced_manufacturing,18000000,6,0,0,0,0,0,0"]
    csv = tmp_path / "firms.csv"
    csv.write_text("\n".join([HEADER] + rows) + "\n", encoding="utf-8")
    scenario = tmp_path / "s.toml"
    body = f'[policy]\nin_force = ["scaleup.2.*"]\n[firms.behaviour.advanced_manufacturing]\ndrift = {math.log(1.12)}\n'
    scenario.write_text(deterministic_toml(csv, body, last_year=2024), encoding="utf-8")
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--draws", "2", "--out", str(out), "--quiet"]) == 0
    run_table = pd.read_csv(out / "payments.csv")
    assert main(["export", str(out), "--format", "csv", "--out", str(tmp_path / "c")]) == 0
    exported = pd.read_csv(tmp_path / "c" / "payments.csv")
    pd.testing.assert_frame_equal(exported, run_table)
    assert not (tmp_path / "c" / "payment.csv").exists() and not (tmp_path / "c" / "payment_text.csv").exists()
    assert main(["export", str(out), "--format", "xlsx", "--out", str(tmp_path / "x")]) == 0
    book = pd.read_excel(next((tmp_path / "x").glob("*.xlsx")), sheet_name=None)
    assert list(book) == list(WORKBOOK_SHEETS)
    sheet = book["payments"]
    assert tuple(sheet.columns) == WORKBOOK_COLUMNS["payments"]
    assert sheet[["recipient", "share_of_draws_paid", "outlay_mean", "outlay_mean_when_paid"]].to_dict("records") == [
        {"recipient": "M1", "share_of_draws_paid": 1.0, "outlay_mean": 300_000.0, "outlay_mean_when_paid": 300_000.0},
        {"recipient": "M2", "share_of_draws_paid": 1.0, "outlay_mean": 300_000.0, "outlay_mean_when_paid": 300_000.0},
    ]
    assert (sheet["program_name"] != sheet["program"]).all()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "x" / "payments.parquet"), run_table)


def test_xlsx_with_years_totals_over_those_years(results, tmp_path):
    folder, ds = results
    assert main(["export", str(folder), "--format", "xlsx", "--years", "2024-2025", "--out", str(tmp_path / "x")]) == 0
    book = pd.read_excel(tmp_path / "x" / "minimal.xlsx", sheet_name=None)
    assert list(book["by_year"]["year"]) == [2024, 2025]
    assert set(book["outputs_by_year"]["year"]) == {2024, 2025}
    totals = book["totals"].set_index("quantity")
    assert (totals["first_year"] == 2024).all() and (totals["last_year"] == 2025).all()
    five = ds["outlay"].sel(year=slice(2024, 2025)).sum(["year", "program"]).values
    assert totals.loc["outlay_total", "mean"] == pytest.approx(five.mean(), rel=1e-12)
    assert "years 2024-2025" in book["contents"]["holds"].iloc[0]
    assert set(pd.read_parquet(tmp_path / "x" / "draw_year_program.parquet")["year"]) == {2024, 2025}
