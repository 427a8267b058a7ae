"""`--years FIRST-LAST` (and `years=`): totals over chosen years of existing results, never a re-run."""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sim.analysis.compare import compare_datasets
from sim.analysis.export import export_tables
from sim.analysis.summary import fiscal_totals, select_years, totals_table
from sim.cli import main
from sim.errors import ArgumentError

_MILLION = 1e6


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory, scenarios_dir):
    """The baseline, 2 draws, printed with --years 2023-2027 (the issue's question)."""
    out = tmp_path_factory.mktemp("years") / "base"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):  # what `sim run` prints
        assert main(["run", str(scenarios_dir / "baseline.toml"), "--draws", "2", "--out", str(out),
                     "--years", "2023-2027"]) == 0
    ds = xr.load_dataset(out / "results.nc", engine="h5netcdf")
    return out, ds, buf.getvalue()


@pytest.fixture(scope="module")
def minimal_run(tmp_path_factory, scenarios_dir):
    out = tmp_path_factory.mktemp("years_min") / "res"
    assert main(["run", str(scenarios_dir / "minimal.toml"), "--draws", "4", "--out", str(out), "--quiet"]) == 0
    return out, xr.load_dataset(out / "results.nc", engine="h5netcdf")


def _all_row(text: str, title: str) -> list[float]:
    """The numbers of the ``all`` row of the money table titled `title`."""
    block = text[text.index(title):]
    line = next(ln for ln in block.splitlines() if ln.strip().startswith("all "))
    return [float(v.rstrip("%")) for v in line.split()[1:]]


def test_run_years_prints_the_totals_xarray_gives_on_results_nc(baseline_run):
    out, ds, text = baseline_run
    # The whole horizon was simulated and written.
    assert [int(y) for y in ds["year"].values] == list(range(2022, 2031))
    assert "Fiscal exposure 2023-2027 by programme" in text and "Fiscal exposure 2023-2027 by payer" in text
    assert "Totals below are over 2023-2027 (--years), out of the horizon 2022-2030" in text
    # By hand, on the file: the outlay of 2023..2027 summed over programmes, per draw.
    five = ds["outlay"].sel(year=[2023, 2024, 2025, 2026, 2027])
    per_draw = five.sum(["year", "program"]).values
    pv_per_draw = (five * ds["discount_factor"].sel(year=five["year"])).sum(["year", "program"]).values
    expected = [per_draw.mean(), *np.quantile(per_draw, [0.05, 0.5, 0.95])]
    for title in ("Fiscal exposure 2023-2027 by programme", "Fiscal exposure 2023-2027 by payer"):
        mean, p5, p50, p95, _, pv = _all_row(text, title)
        np.testing.assert_allclose([mean, p5, p50, p95], np.round(np.array(expected) / _MILLION, 2), atol=0.006)
        assert pv == pytest.approx(round(pv_per_draw.mean() / _MILLION, 2), abs=0.006)
    # Not the horizon's total.
    assert per_draw.mean() < ds["outlay"].sum(["year", "program"]).values.mean()
    # One programme's row, by hand too.
    pid = "centers.art25.milestone_funding"
    line = next(ln for ln in text.splitlines() if ln.strip().startswith(pid + " "))
    assert float(line.split()[1]) == pytest.approx(round(float(five.sel(program=pid).sum("year").mean()) / _MILLION, 2),
                                                   abs=0.006)
    # The file beside the results totals over the same years and says which.
    totals = pd.read_csv(out / "summary_totals.csv")
    assert set(totals["first_year"]) == {2023} and set(totals["last_year"]) == {2027}
    row = totals[(totals["variable"] == "outlay_total") & (totals["dim"] == "program") & (totals["label"] == "all")]
    assert row["mean"].iloc[0] == pytest.approx(per_draw.mean(), rel=1e-12)
    pv_row = totals[(totals["variable"] == "outlay_total_pv") & (totals["dim"] == "payer") & (totals["label"] == "all")]
    assert pv_row["mean"].iloc[0] == pytest.approx(pv_per_draw.mean(), rel=1e-12)


def test_run_years_on_the_command_line_prints_the_chosen_years(minimal_run, scenarios_dir, tmp_path, capsys):
    _, ds = minimal_run
    out = tmp_path / "r"
    assert main(["run", str(scenarios_dir / "minimal.toml"), "--draws", "4", "--out", str(out),
                 "--years", "2024-2025"]) == 0
    text = capsys.readouterr().out
    assert "Fiscal exposure 2024-2025 by programme" in text
    mean = _all_row(text, "Fiscal exposure 2024-2025 by programme")[0]
    # Same scenario, seed and draws as the fixture: the same results.nc, totalled over 2024-2025.
    assert mean == pytest.approx(round(float(ds["outlay"].sel(year=slice(2024, 2025)).sum(["year", "program"])
                                             .mean()) / _MILLION, 2), abs=0.006)
    with xr.open_dataset(out / "results.nc", engine="h5netcdf") as written:
        assert [int(y) for y in written["year"].values] == [int(y) for y in ds["year"].values]


def test_default_is_the_horizon(minimal_run, scenarios_dir, tmp_path, capsys):
    folder, ds = minimal_run
    totals = pd.read_csv(folder / "summary_totals.csv")
    assert set(totals["first_year"]) == {2023} and set(totals["last_year"]) == {2026}
    assert totals_table(ds).drop(columns=["first_year", "last_year"]).equals(
        totals_table(ds, (2023, 2026)).drop(columns=["first_year", "last_year"]))
    pd.testing.assert_frame_equal(fiscal_totals(ds), fiscal_totals(ds, years=(2023, 2026)))
    assert select_years(ds) is ds


def test_report_honours_years(minimal_run, tmp_path):
    import shutil

    folder, ds = minimal_run
    copy = tmp_path / "res"
    shutil.copytree(folder, copy)
    assert main(["report", str(copy), "--years", "2024-2025", "--lang", "en"]) == 0
    page = (copy / "report.html").read_text(encoding="utf-8")
    total = float(ds["outlay"].sel(year=slice(2024, 2025)).sum(["year", "program"]).mean()) / _MILLION
    assert re.search(rf"total fiscal exposure 2024–2025: <b>{total:,.1f}</b>", page, re.IGNORECASE)
    assert page.count(" 2024–2025</h2>") == 2  # programmes and payers
    assert main(["report", str(copy), "--lang", "en"]) == 0
    page = (copy / "report.html").read_text(encoding="utf-8")
    horizon = float(ds["outlay"].sum(["year", "program"]).mean()) / _MILLION
    assert f"2023–2026: <b>{horizon:,.1f}</b>" in page


def test_export_honours_years(minimal_run, tmp_path):
    folder, ds = minimal_run
    assert main(["export", str(folder), "--years", "2024-2025", "--out", str(tmp_path / "x")]) == 0
    long = pd.read_csv(tmp_path / "x" / "draw_year_program.csv")
    assert set(long["year"]) == {2024, 2025}
    totals = pd.read_csv(tmp_path / "x" / "totals.csv")
    assert set(totals["first_year"]) == {2024} and set(totals["last_year"]) == {2025}
    row = totals[(totals["variable"] == "outlay_total") & (totals["dim"] == "program") & (totals["label"] == "all")]
    assert row["mean"].iloc[0] == pytest.approx(
        float(ds["outlay"].sel(year=slice(2024, 2025)).sum(["year", "program"]).mean()), rel=1e-12)
    # Default: every year, totals over the horizon.
    tables = export_tables(ds)
    assert set(tables["draw_year_program"]["year"]) == {2023, 2024, 2025, 2026}
    assert set(tables["totals"]["first_year"]) == {2023}


def test_compare_totals_over_the_chosen_years(minimal_run):
    _, ds = minimal_run
    other = ds.copy()
    other["outlay"] = ds["outlay"] * 2
    df = compare_datasets([ds, other], years=(2024, 2025))
    assert set(df["years"]) == {"2024-2025"}
    row = df[(df["scenario"] == ds.attrs["scenario"]) & (df["quantity"] == "fiscal outlay, all programmes")]
    five = ds["outlay"].sel(year=slice(2024, 2025)).sum(["year", "program"]).values / _MILLION
    assert row["mean"].iloc[0] == pytest.approx(five.mean(), rel=1e-12)
    diff = df[(df["quantity"] == "fiscal outlay, all programmes")]["diff_mean"].iloc[1]
    assert diff == pytest.approx(five.mean(), rel=1e-12)


@pytest.mark.parametrize("value, fragment", [
    ("2020-2024", "2020-2024 is not within the horizon; allowed: FIRST-LAST with FIRST <= LAST in 2023..2026"),
    ("2025-2024", "FIRST 2025 is after LAST 2024"),
    ("abc", "expected FIRST-LAST"),
    ("2023-", "expected FIRST-LAST"),
])
@pytest.mark.parametrize("command", ["run", "report", "export", "compare"])
def test_bad_years_are_one_line_exit_2_and_nothing_written(minimal_run, scenarios_dir, tmp_path, capsys,
                                                           command, value, fragment):
    folder, _ = minimal_run
    before = sorted(p.name for p in folder.iterdir())
    out = tmp_path / "out"
    argv = {"run": ["run", str(scenarios_dir / "minimal.toml"), "--draws", "2", "--out", str(out)],
            "report": ["report", str(folder)],
            "export": ["export", str(folder), "--out", str(out)],
            "compare": ["compare", str(folder), str(scenarios_dir / "minimal.toml"), "--draws", "2",
                        "--out", str(out)]}[command]
    assert main([*argv, "--years", value, "--quiet"] if command in ("run", "compare") else
                [*argv, "--years", value]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("--years: ") and fragment in err[0], err
    assert f"(got {value!r})" in err[0]
    assert captured.out == ""
    assert list(tmp_path.iterdir()) == []
    assert sorted(p.name for p in folder.iterdir()) == before


@pytest.mark.parametrize("value", [(2020, 2024), (2025, 2024), (2024.0, 2025), "x", True, (2024,), None])
def test_api_years_checked_as_the_flag(minimal_run, value):
    _, ds = minimal_run
    if value is None:
        assert len(fiscal_totals(ds, years=value)) == ds.sizes["program"] + 1
        return
    with pytest.raises(ArgumentError, match=r"^years.*2023\.\.2026"):
        fiscal_totals(ds, years=value)


def test_api_years_forms(minimal_run):
    _, ds = minimal_run
    expected = fiscal_totals(ds, years=(2024, 2025))
    for form in ([2024, 2025], "2024-2025", (np.int64(2024), np.int64(2025))):
        pd.testing.assert_frame_equal(fiscal_totals(ds, years=form), expected)
    one = fiscal_totals(ds, years=2024)
    assert one.iloc[-1]["mean"] == pytest.approx(float(ds["outlay"].sel(year=2024).sum("program").mean()))
