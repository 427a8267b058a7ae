"""`sim explore`: the explore model applies the sliders and collects its series; the page builds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

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
    assert df["outlay_million_cny"].notna().all()
    assert (df["outlay_million_cny"] > 0).any()


def test_sliders_change_the_policy_the_model_runs(tmp_path):
    from sim.analysis.explore import ExploreModel

    none = _run_through(ExploreModel(MINIMAL, share_of_cap_paid=0.0))
    assert np.allclose(none["outlay_million_cny"], 0.0)
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


def test_page_builds():
    pytest.importorskip("solara")
    from sim.analysis.explore import make_page

    assert make_page(MINIMAL) is not None


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
