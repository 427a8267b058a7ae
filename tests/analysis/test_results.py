"""The results contract (sim/runner/run.py labels, sim/analysis/results.py writes; DESIGN.md 'Results')."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest
import xarray as xr

import sim
from sim.analysis.results import write_outputs
from sim.analysis.summary import fiscal_totals
from sim.errors import OutputError
from sim.runner.ensemble import run_draws
from sim.runner.run import build_dataset
from sim.runner.staging import staged_folder, staging_path

PROGRAM_ID = re.compile(r"^(centers|cohesion|transfer|managers|software|digital_human|hydrogen|scaleup)\.[A-Za-z0-9_]+\.[a-z0-9_]+$")
N_DRAWS = 3


@pytest.fixture(scope="module")
def written(minimal, tmp_path_factory):
    ds = sim.run(minimal, draws=N_DRAWS)
    out = tmp_path_factory.mktemp("run") / "minimal"
    with staged_folder(out, force=False) as staging:
        write_outputs(ds, staging)
    return ds, out


@pytest.fixture(scope="module")
def on_disk(written):
    with xr.open_dataset(written[1] / "results.nc", engine="h5netcdf") as ds:
        yield ds.load()


def test_output_folder_holds_the_results(written):
    _, out = written
    names = {p.name for p in out.iterdir()}
    assert {"results.nc", "summary.csv"} <= names
    assert any(n.endswith(".png") for n in names)
    assert not (out.parent / ".minimal.partial").exists()


def test_every_variable_has_units_and_long_name(on_disk):
    for name, var in on_disk.data_vars.items():
        assert "units" in var.attrs and var.attrs["long_name"], name


def test_dims_and_attributes(on_disk, minimal):
    assert {"draw", "year", "program", "payer"} <= set(on_disk.dims)
    assert on_disk.sizes["draw"] == N_DRAWS
    assert on_disk["year"].values.tolist() == [2023, 2024, 2025, 2026]
    attrs = on_disk.attrs
    assert attrs["scenario"] == "minimal"
    assert attrs["scenario_sha256"] == hashlib.sha256(minimal.path.read_bytes()).hexdigest()
    assert int(attrs["seed"]) == 7
    assert attrs["sim_version"]


@pytest.mark.parametrize("name", ["outlay", "committed", "unpaid", "forfeited", "pending"])
def test_fiscal_variables_by_draw_year_program(on_disk, name):
    var = on_disk[name]
    assert var.dims == ("draw", "year", "program")
    assert var.attrs["units"] == "CNY"
    assert np.all(np.isfinite(var.values)) and np.all(var.values >= 0.0)


def test_program_ids_follow_the_pattern(on_disk, minimal):
    ids = [str(p) for p in on_disk["program"].values]
    assert ids == minimal.policy.ids
    assert all(PROGRAM_ID.match(i) for i in ids), ids
    assert "hydrogen.13.operating_subsidy" in ids


def test_round_trip_is_exact(written, on_disk):
    ds, _ = written
    for name in ("outlay", "committed", "unpaid", "outlay_by_payer", "discount_factor"):
        np.testing.assert_array_equal(ds[name].values, on_disk[name].values, err_msg=name)
    assert [str(p) for p in on_disk["program_payer"].values] == [str(p) for p in ds["program_payer"].values]


def test_totals_by_payer_equal_totals_by_programme(on_disk):
    for name in ("outlay", "committed", "unpaid"):
        by_program = on_disk[name].sum("program")
        by_payer = on_disk[f"{name}_by_payer"].sum("payer")
        np.testing.assert_allclose(by_payer.values, by_program.values, rtol=1e-12)
        for payer in on_disk["payer"].values:
            members = on_disk["program_payer"].values == payer
            np.testing.assert_allclose(
                on_disk[name].values[:, :, members].sum(axis=2), on_disk[f"{name}_by_payer"].sel(payer=payer).values, rtol=1e-12
            )
    totals = fiscal_totals(on_disk, by="payer")
    assert totals["mean"].iloc[-1] == pytest.approx(float(on_disk["outlay"].sum()) / N_DRAWS, rel=1e-12)


def test_no_budget_ceilings_means_everything_is_paid(on_disk):
    np.testing.assert_allclose(on_disk["outlay"].values, on_disk["committed"].values)
    assert float(on_disk["unpaid"].sum()) == 0.0


def test_discount_factors(on_disk):
    np.testing.assert_allclose(on_disk["discount_factor"].values, 1.03 ** -np.arange(4))


def test_parameters_are_recorded_per_draw(on_disk):
    name = "projects.streams.hydrogen.6.first_of_kind_domestic.arrivals_per_year"
    values = on_disk["parameter_value"].sel(parameter=name).values
    assert values.shape == (N_DRAWS,) and np.all((values >= 1.0) & (values <= 4.0))


def test_budget_ceiling_scenario_rations(scenarios_dir):
    loaded = sim.load_scenario(scenarios_dir / "budget_ceiling_binding.toml")
    ds = sim.run(loaded, draws=2)
    rationed = [line for line in loaded.policy.lines if line.rationing != "none"]
    assert {line.name for line in rationed} == {"eitb", "stations"}
    for line in rationed:
        paid = ds["outlay"].isel(program=list(line.programs)).sum("program")
        assert float(paid.max()) <= line.ceiling_cny_per_year * (1 + 1e-12), line.name
    # Money is conserved: what was approved is paid, cut, queued or not yet due.
    lhs = ds["committed"].cumsum("year")
    rhs = ds["outlay"].cumsum("year") + ds["forfeited"].cumsum("year") + ds["unpaid"] + ds["pending"]
    np.testing.assert_allclose(lhs.values, rhs.values, rtol=1e-9, atol=1e-3)


def test_build_dataset_labels_arrays(minimal):
    layout, arrays, params = run_draws(minimal, 2)
    ds = build_dataset(minimal, layout, arrays, params)
    assert ds["outlay"].dims == ("draw", "year", "program")
    np.testing.assert_array_equal(ds["outlay"].values, arrays["outlay"])


def test_staging_path_refuses_a_non_empty_folder_and_a_file(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    with pytest.raises(OutputError, match=r"full: folder exists and is not empty; use --force to replace it"):
        staging_path(tmp_path / "full", force=False)
    # --force: only a folder whose marker lists everything in it
    (tmp_path / "full" / "sim-output.json").write_text('{"written_by": "sim", "files": ["keep.txt"]}')
    assert staging_path(tmp_path / "full", force=True) == tmp_path
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match="exists and is a file"):
        staging_path(tmp_path / "afile", force=True)
    (tmp_path / "empty").mkdir()
    assert staging_path(tmp_path / "empty", force=False) == tmp_path


def test_resolved_scenario_runs_to_the_same_numbers(tmp_path, scenarios_dir):
    # budget_ceiling_binding extends baseline: the resolved copy must hold every key after extends.
    from sim.cli import main

    out = tmp_path / "a"
    assert main(["run", str(scenarios_dir / "budget_ceiling_binding.toml"), "--draws", "2", "--seed", "11",
                 "--out", str(out), "--quiet"]) == 0
    resolved = out / "scenario.resolved.toml"
    text = resolved.read_text(encoding="utf-8")
    assert "extends" not in text.split("\n", 2)[2]
    assert main(["run", str(resolved), "--out", str(tmp_path / "b"), "--quiet"]) == 0
    with xr.open_dataset(out / "results.nc", engine="h5netcdf") as a, \
            xr.open_dataset(tmp_path / "b" / "results.nc", engine="h5netcdf") as b:
        assert int(b.attrs["seed"]) == 11 and b.sizes["draw"] == 2
        for name in a.data_vars:
            np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def test_summary_csv_is_tidy_with_totals_in_their_own_file(written):
    import pandas as pd

    ds, out = written
    summary = pd.read_csv(out / "summary.csv")
    assert summary["year"].dtype.kind == "i"
    assert set(summary["year"]) == {int(y) for y in ds["year"].values}
    assert list(summary.columns) == ["variable", "dim", "label", "year", "mean", "p5", "p50", "p95", "p_positive",
                                     "units"]
    totals = pd.read_csv(out / "summary_totals.csv")
    assert "year" not in totals.columns
    everything = totals[(totals["variable"] == "outlay_total") & (totals["dim"] == "program")
                        & (totals["label"] == "all")]
    assert everything["mean"].iloc[0] == pytest.approx(float(ds["outlay"].sum()) / N_DRAWS, rel=1e-12)
    row = summary[(summary["variable"] == "outlay") & (summary["label"] == "software.6.data_centre_green_retrofit")
                  & (summary["year"] == 2023)]
    values = ds["outlay"].sel(program="software.6.data_centre_green_retrofit", year=2023).values
    assert row["p_positive"].iloc[0] == pytest.approx(np.mean(values > 0))


def test_changes_against_the_extended_scenario_are_recorded(scenarios_dir):
    import json

    loaded = sim.load_scenario(scenarios_dir / "cap_25.toml")
    changes = {k: (old, new) for k, old, new in loaded.changes}
    assert changes['instruments."hydrogen.13.operating_subsidy".price_cap_cny_per_kg'][1] == 25.0
    ds = sim.run(loaded, draws=1)
    assert json.loads(ds.attrs["scenario_changes"])
    assert ds.attrs["scenario_extends"] == "baseline.toml"
