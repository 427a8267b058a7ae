"""Issue 24, items 4 and 8: text from inputs is escaped at every boundary (HTML pages, spreadsheet
cells, file names), and results read back are checked to be finite where the contract says so."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sim.analysis.cells import neutralise, neutralise_table, safe_file_stem
from sim.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "populations" / "firms"))
from _firms_helpers import HEADER, deterministic_toml  # noqa: E402

SCRIPT = "<img src=x onerror=alert(1)>"
FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+cmd|' /C calc'!A0", "-2+3+cmd", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A two-draw run of the minimal scenario."""
    out = tmp_path_factory.mktemp("escape") / "res"
    minimal = Path(__file__).resolve().parents[2] / "scenarios" / "minimal.toml"
    assert main(["run", str(minimal), "--draws", "2", "--out", str(out), "--quiet"]) == 0
    return out


def _tampered(results: Path, folder: Path, change) -> Path:
    """A copy of the results folder whose dataset went through `change(ds)`."""
    folder.mkdir(parents=True)
    ds = xr.load_dataset(results / "results.nc", engine="h5netcdf")
    change(ds)
    ds.to_netcdf(folder / "results.nc", engine="h5netcdf")
    return folder


# ---- spreadsheet cells -------------------------------------------------------------------------

def test_formula_text_is_neutralised_and_numbers_stay_numbers():
    for text in FORMULAS:
        assert neutralise(text) == "'" + text
    for text in ("M1", "a=b", "-0.5", "+3", "1e-3", "", "'=x"):
        assert neutralise(text) == text
    table = neutralise_table(pd.DataFrame({"id": ["=1+1", "ok"], "value": [-1.5, 2.0], "n": [-3, 4]}))
    assert table["id"].tolist() == ["'=1+1", "ok"]
    assert table["value"].tolist() == [-1.5, 2.0] and table["value"].dtype == np.float64
    assert table["n"].dtype.kind == "i"


def test_payments_csv_neutralises_recipient_ids_that_are_formulas(tmp_path, capsys):
    ids = ["=HYPERLINK(\"http://evil\")", "@SUM(A1)", "-2+3+cmd"]
    csv = tmp_path / "firms.csv"
    rows = [f"\"{i.replace(chr(34), chr(34) * 2)}\",advanced_manufacturing,18000000,6,0,0,0,0,0,0" for i in ids]
    csv.write_text("\n".join([HEADER] + rows) + "\n", encoding="utf-8")
    body = f"""
[policy]
in_force = ["scaleup.2.*"]
[firms.behaviour.advanced_manufacturing]
drift = {math.log(1.12)}
"""
    scenario = tmp_path / "s.toml"
    scenario.write_text(deterministic_toml(csv, body, last_year=2024), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--draws", "2", "--out", str(out), "--quiet"]) == 0
    table = pd.read_csv(out / "payments.csv", keep_default_na=False)
    assert set(table["recipient"]) == {"'" + i for i in ids}
    assert table["outlay_cny"].dtype == np.float64 and (table["outlay_cny"] > 0).all()
    # The export of the same results: every text cell neutralised, in every format.
    assert main(["export", str(out), "--format", "csv", "--out", str(tmp_path / "csv")]) == 0
    text = pd.read_csv(tmp_path / "csv" / "payments.csv", keep_default_na=False)
    assert set(text["recipient"]) == {"'" + i for i in ids}
    assert main(["export", str(out), "--format", "parquet", "--out", str(tmp_path / "pq")]) == 0
    text = pd.read_parquet(tmp_path / "pq" / "payments.parquet")
    assert set(text["recipient"]) == {"'" + i for i in ids}
    assert main(["export", str(out), "--format", "xlsx", "--out", str(tmp_path / "x")]) == 0
    sheet = pd.read_excel(next((tmp_path / "x").glob("*.xlsx")), sheet_name="payments", keep_default_na=False)
    assert set(sheet["recipient"]) == {"'" + i for i in ids}


def test_export_neutralises_text_cells_in_csv_and_xlsx(results, tmp_path):
    def change(ds):
        ds.attrs["scenario_description"] = "=cmd|' /C calc'!A0"
    folder = _tampered(results, tmp_path / "r", change)
    assert main(["export", str(folder), "--format", "csv", "--out", str(tmp_path / "csv")]) == 0
    attrs = pd.read_csv(tmp_path / "csv" / "attributes.csv", keep_default_na=False).set_index("attribute")["value"]
    assert attrs["scenario_description"] == "'=cmd|' /C calc'!A0"
    assert main(["export", str(folder), "--format", "xlsx", "--out", str(tmp_path / "x")]) == 0
    from openpyxl import load_workbook

    book = load_workbook(next((tmp_path / "x").glob("*.xlsx")))
    values = [c.value for row in book["attributes"].iter_rows() for c in row]
    assert "'=cmd|' /C calc'!A0" in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


# ---- file names --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../../../x", "/etc/passwd", "..", "a/b\\c", "", ".hidden", "x\x00y"])
def test_a_file_name_is_never_a_path(name):
    stem = safe_file_stem(name)
    assert stem and "/" not in stem and "\\" not in stem and not stem.startswith(".") and "\x00" not in stem


def test_export_xlsx_does_not_take_its_file_name_from_the_results(results, tmp_path):
    def change(ds):
        ds.attrs["scenario"] = "../../../escaped"
    folder = _tampered(results, tmp_path / "a" / "b" / "c" / "r", change)
    out = tmp_path / "a" / "b" / "c" / "out"
    assert main(["export", str(folder), "--format", "xlsx", "--out", str(out)]) == 0
    written = [p for p in tmp_path.rglob("*.xlsx")]
    assert len(written) == 1 and written[0].parent == out


# ---- HTML --------------------------------------------------------------------------------------

def test_report_escapes_every_attribute_it_shows(results, tmp_path):
    def change(ds):
        for key in ("scenario", "scenario_description", "scenario_file", "scenario_sha256", "sim_version",
                    "first_year", "last_year", "draws", "seed", "scenario_extends", "base_year"):
            ds.attrs[key] = SCRIPT
    folder = _tampered(results, tmp_path / "r", change)
    from sim.analysis.report import build_report

    page = build_report(folder)
    assert "<img src=x" not in page and "onerror=alert(1)>" not in page.replace("&lt;", "")
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_explore_page_shows_a_description_as_text(tmp_path, monkeypatch):
    """The explore page hands a scenario's description to the browser as a text node (no Markdown, no HTML)."""
    import ipywidgets
    import solara

    from sim.analysis.explore import SCENARIO_ENV
    from sim.analysis.explore_app import Page

    minimal = Path(__file__).resolve().parents[2] / "scenarios" / "minimal.toml"
    evil = tmp_path / "evil.toml"
    description = f"{SCRIPT} **bold** [link](javascript:alert(1))"
    evil.write_text(f'extends = "{minimal.as_posix()}"\nname = "evil"\ndescription = "{description}"\n',
                    encoding="utf-8")
    monkeypatch.setenv(SCENARIO_ENV, str(evil))
    _, rc = solara.render(Page(), handle_error=False)
    try:
        widgets, texts = [], []
        todo = [rc.find().widget]
        while todo:
            w = todo.pop()
            widgets.append(w)
            for child in getattr(w, "children", None) or []:
                (texts if isinstance(child, str) else todo).append(child)
        assert description in texts  # a child string: Vue renders it as text
        # Nothing that renders HTML or Markdown carries it.
        html = [w for w in widgets if isinstance(w, ipywidgets.HTML) or type(w).__name__ == "Markdown"]
        assert not [w for w in html if SCRIPT in str(getattr(w, "value", ""))]
        assert not [w for w in widgets if SCRIPT in str(getattr(w, "v_html", "") or "")]
    finally:
        rc.close()


# ---- read what you write -----------------------------------------------------------------------

@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
@pytest.mark.parametrize("command", ["report", "export", "compare"])
def test_a_results_file_holding_inf_or_nan_is_refused_naming_the_variable(results, tmp_path, capsys, value,
                                                                          command):
    def change(ds):
        ds["outlay"].values[0, 0, 0] = value
    folder = _tampered(results, tmp_path / "r", change)
    args = {"report": ["report", str(folder)], "export": ["export", str(folder), "--out", str(tmp_path / "e")],
            "compare": ["compare", str(results), str(folder), "--out", str(tmp_path / "c")]}[command]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "outlay" in err and "results.nc" in err
    assert not (tmp_path / "e").exists() and not (tmp_path / "c").exists() and not (folder / "report.html").exists()


def test_nan_where_it_means_undefined_is_read_back(results, tmp_path):
    from sim.analysis.results import open_results

    def change(ds):
        ds["exit_rate_by_age"].values[...] = np.nan
    open_results(_tampered(results, tmp_path / "r", change))


def test_the_nan_allowed_list_covers_every_variable_whose_fill_is_nan():
    from sim.core.finite import RESULTS_NAN_ALLOWED
    from sim.runner.ensemble import layout_of
    from sim.runner.run import PROGRAM_NAN_VARIABLES
    from sim.scenario.loader import load_scenario

    baseline = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"
    layout = layout_of(load_scenario(baseline))
    nan_filled = {s.name for s in layout.specs if isinstance(s.fill, float) and np.isnan(s.fill)}
    assert nan_filled | set(PROGRAM_NAN_VARIABLES) <= RESULTS_NAN_ALLOWED
