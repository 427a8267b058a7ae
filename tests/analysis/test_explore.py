"""`sim explore`: the explore model applies the sliders and collects its series; the page builds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.cli import main

MINIMAL = str(Path(__file__).resolve().parents[2] / "scenarios" / "minimal.toml")


def _run_through(model):
    while model.running:
        model.step()
    return model.datacollector.get_model_vars_dataframe()


def test_explore_model_steps_the_horizon_and_collects_series():
    from sim.analysis.explore import ExploreModel

    df = _run_through(ExploreModel(MINIMAL))
    assert len(df) == 4  # 2023-2026
    assert df["Outlay, all programmes (million CNY)"].notna().all()
    assert (df["Outlay, all programmes (million CNY)"] > 0).any()


def test_sliders_change_the_policy_the_model_runs(tmp_path):
    from sim.analysis.explore import ExploreModel

    none = _run_through(ExploreModel(MINIMAL, share_of_cap_paid=0.0))
    assert np.allclose(none["Outlay, all programmes (million CNY)"], 0.0)
    # The station levers act on the station programmes a scenario with stations claims.
    with_stations = tmp_path / "with_stations.toml"
    with_stations.write_text(f'extends = "{MINIMAL}"\nname = "with_stations"\n[hydrogen]\n', encoding="utf-8")
    model = ExploreModel(str(with_stations), operating_subsidy_cny_per_kg=15.0, price_cap_cny_per_kg=35.0,
                         hydrogen_sunset_year=2030)
    ins = model.policy.get("hydrogen.13.operating_subsidy").instrument
    assert (ins.rate_cny_per_kg, ins.price_cap_cny_per_kg, ins.valid_until.isoformat()) == (15.0, 35.0, "2030-12-31")
    # In minimal, no station claims them: the levers leave them alone.
    model = ExploreModel(MINIMAL, operating_subsidy_cny_per_kg=15.0)
    assert model.policy.get("hydrogen.13.operating_subsidy").instrument.rate_cny_per_kg == 10.0


def test_page_renders_two_views_of_every_series():
    pytest.importorskip("solara")
    import ipywidgets
    import solara

    from sim.analysis.explore import ExploreSession
    from sim.analysis.explore_app import Page

    _, rc = solara.render(Page(), handle_error=False)
    try:
        images = rc.find(ipywidgets.Image).widgets
        assert len(images) == 2 * len(ExploreSession(MINIMAL).series_keys)
        assert all(len(w.value) > 1000 for w in images)  # PNG bytes of a drawn chart
    finally:
        rc.close()


def test_the_last_year_is_simulated_and_stepping_past_the_horizon_does_nothing():
    from sim.analysis.explore import ExploreModel

    model = ExploreModel(MINIMAL)
    for _ in range(len(model.years) + 2):
        model.step()
    assert model.steps == len(model.years) == 4 and model.at_horizon and model.year_done == 2026
    df = model.datacollector.get_model_vars_dataframe()
    assert len(df) == 4
    assert (df["Firms above designated size (firms)"] > 0).all()


def test_session_draw_matches_the_same_draw_of_the_band():
    """The single-draw view and the band run the same code path: draw d of the band is the stepped model."""
    from sim.analysis.explore import SERIES, ExploreSession

    session = ExploreSession(MINIMAL)
    session.set_lever("draw", 3)
    session.run_to_horizon()
    for key in session.series_keys:
        years, mine = session.trajectory(key)
        band = session.band_of(key, 5)
        assert band.shape == (5, 4), key
        np.testing.assert_allclose(mine, band[3], rtol=1e-12, err_msg=SERIES[key].title)


def test_a_lever_applies_at_once_and_keeps_the_year_reached():
    from sim.analysis.explore import ExploreSession

    session = ExploreSession(MINIMAL)
    session.step()
    session.step()
    _, full = session.trajectory("outlay")
    band_full = session.band_of("outlay", 4)
    session.set_lever("share_of_cap_paid", 0.5)
    assert session.model.steps == 2 and session.model.year_done == 2024
    _, half = session.trajectory("outlay")
    # Every programme of minimal pays its share of the cap: half the share, half the outlay.
    np.testing.assert_allclose(half, np.array(full) / 2, rtol=1e-9)
    np.testing.assert_allclose(session.band_of("outlay", 4), band_full / 2, rtol=1e-9)
    assert session.horizon_message() is None
    session.run_to_horizon()
    assert "2026 is the last year" in session.horizon_message()
    session.reset()
    assert session.model.steps == 0 and session.levers["share_of_cap_paid"] == 0.5


def test_two_sessions_are_independent():
    from sim.analysis.explore import ExploreSession

    a, b = ExploreSession(MINIMAL), ExploreSession(MINIMAL)
    a.run_to_horizon()
    a.set_lever("share_of_cap_paid", 0.0)
    assert b.model.steps == 0 and b.levers["share_of_cap_paid"] == 1.0 and a.model is not b.model


def test_lever_captions_carry_value_and_unit():
    from sim.analysis.explore import LEVERS

    assert LEVERS["operating_subsidy_cny_per_kg"].shown(10.0) == "Operating subsidy: 10 CNY/kg"
    assert LEVERS["share_of_cap_paid"].shown(0.25) == "Share of caps paid, all programmes: 25%"
    assert LEVERS["hydrogen_sunset_year"].shown(2030) == "Hydrogen measures end: 2030"


def test_figures_have_years_on_the_axis_and_named_series():
    from sim.analysis.explore import ExploreSession, figure_pair

    session = ExploreSession(MINIMAL)
    session.step()
    single, band = figure_pair(session, "outlay", 4)
    for fig in (single, band):
        ax = fig.axes[0]
        assert [t.get_text() for t in ax.get_xticklabels()] == ["2023", "2024", "2025", "2026"]
        assert ax.get_title() == "Outlay, all programmes" and ax.get_ylabel() == "million CNY"
    assert single.axes[0].get_ylim() == band.axes[0].get_ylim()
    labels = [t.get_text() for t in band.axes[0].get_legend().get_texts()]
    assert labels == ["P5–P95", "P25–P75", "median of 4 draws", "draw 0"]


def test_explore_refuses_a_bad_scenario_before_serving(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[horizon]\nfirst_yeer = 2022\n")
    assert main(["explore", str(bad)]) == 2
    assert "did you mean 'first_year'" in capsys.readouterr().err


def test_explore_serves_its_page_and_scripts_without_internet(tmp_path):
    """Start `sim explore`, fetch the page and the script it loads: both come from this machine."""
    import re
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    pytest.importorskip("solara_assets")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "explore", MINIMAL, "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        html = None
        for _ in range(120):
            try:
                html = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert html is not None, "the explore server did not start"
        script = re.search(r'src="(/_solara/cdn/[^"]+solara-vuetify-app[^"]+\.js)"', html)
        assert script, html[:500]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{script.group(1)}", timeout=20) as r:
            assert r.status == 200 and len(r.read()) > 10_000
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_the_supply_price_lever_fixes_the_main_routes_ex_works_price(tmp_path):
    from sim.analysis.explore import ExploreModel, lever_defaults, main_supply_route

    baseline = Path(MINIMAL).resolve().parent / "baseline.toml"
    base = sim.load_scenario(baseline).scenario
    # The refinery and by-product route carries most stations (weights 0.55-0.70 against 0.30 at most).
    assert main_supply_route(base) == "refinery_byproduct"
    # The slider starts at the route's posterior median (the baseline draws it from the shipped sample), rounded.
    from sim.analysis.abc_smc import weighted_quantile
    from sim.engine.posterior import read_posterior

    sample = read_posterior(str(Path(MINIMAL).resolve().parents[1] / "calibration" / "fitted_baseline.posterior.csv"))
    path = "hydrogen.supply.routes.refinery_byproduct.ex_works_cny_per_kg"
    want = round(weighted_quantile(sample.values[:, sample.names.index(path)], sample.weights, 0.5))
    assert lever_defaults(baseline)["main_route_ex_works_cny_per_kg"] == want
    model = ExploreModel(str(baseline), main_route_ex_works_cny_per_kg=18.0)
    routes = model.scenario.hydrogen.supply.routes
    assert routes["refinery_byproduct"].ex_works_cny_per_kg == 18.0
    assert routes["trucked_coal_smr"].ex_works_cny_per_kg == base.hydrogen.supply.routes["trucked_coal_smr"].ex_works_cny_per_kg
    # Without hydrogen there is no route to set: the lever leaves the scenario alone.
    assert main_supply_route(sim.load_scenario(MINIMAL).scenario) is None
