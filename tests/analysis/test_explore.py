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


def _render_page(monkeypatch, scenario=MINIMAL, lang=None):
    import solara

    from sim.analysis.explore import LANG_ENV, SCENARIO_ENV
    from sim.analysis.explore_app import Page

    monkeypatch.setenv(SCENARIO_ENV, scenario)
    if lang:
        monkeypatch.setenv(LANG_ENV, lang)
    return solara.render(Page(), handle_error=False)


def _texts(widget) -> list[str]:
    """Every string the page shows or hands to a widget (captions, labels, children, chart options)."""
    import ipywidgets

    out: list[str] = []

    def walk(w) -> None:
        for name in ("label", "v_model", "value", "children", "option", "title", "subtitle"):
            value = getattr(w, name, None)
            for item in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(item, ipywidgets.Widget):
                    walk(item)
                elif isinstance(item, (str, dict)):
                    out.append(item if isinstance(item, str) else repr(item))

    walk(widget)
    return out


def test_page_renders_two_charts_of_every_series(monkeypatch):
    from solara.components.echarts import EchartsWidget

    from sim.analysis.explore import ExploreSession

    _, rc = _render_page(monkeypatch)
    try:
        charts = rc.find(EchartsWidget).widgets
        assert len(charts) == 2 * len(ExploreSession(MINIMAL).series_keys)
        titles = [c.option["title"]["text"] for c in charts]
        assert titles[:2] == ["Outlay, all programmes"] * 2
        # The band has its median drawn for every year; the single draw waits for the first step.
        band = charts[1].option["series"]
        median = next(s for s in band if s.get("name", "").startswith("median of"))
        assert len(median["data"]) == 4 and all(isinstance(v, float) for v in median["data"])
    finally:
        rc.close()


def test_the_chinese_page_has_chinese_captions_charts_and_levers(monkeypatch):
    import re

    from solara.components.echarts import EchartsWidget

    _, rc = _render_page(monkeypatch, lang="zh")
    try:
        texts = _texts(rc.find().widget)
        joined = "\n".join(texts)
        for caption in ("政策杠杆", "加氢站运营补贴：", "各项目按上限兑付比例：100%", "前进一年", "已模拟到：尚未开始",
                        "当前设置的链接", "氢气供应成本"):
            assert caption in joined, caption
        charts = rc.find(EchartsWidget).widgets
        assert charts[0].option["title"]["text"] == "全部项目支出"
        assert charts[0].option["yAxis"]["name"] == "百万元" and charts[0].option["xAxis"]["name"] == "年份"
        legend = [s["name"] for s in charts[1].option["series"] if "name" in s]
        assert "20 次抽样的中位数" in legend or any(re.fullmatch(r"\d+ 次抽样的中位数", n) for n in legend)
        # No English caption of the page is left (scenario names and descriptions are the scenario's own).
        from sim.analysis.explore_text import TEXT

        english = {v["en"].split("{")[0].strip() for v in TEXT.values()} - {"", "sim explore", "English"}
        shown = "\n".join(t for t in texts if not t.startswith("?"))  # the link's keys are the same in both
        left = [e for e in english if len(e) > 3 and e in shown]
        assert not left, left
    finally:
        rc.close()


def test_every_caption_has_both_languages():
    import string

    from sim.analysis.explore_text import ROUTE_NAMES, TEXT, UNITS

    for table in (TEXT, UNITS, ROUTE_NAMES):
        for key, both in table.items():
            assert set(both) == {"en", "zh"}, key
            fields = [{f for _, f, _, _ in string.Formatter().parse(both[lang]) if f} for lang in ("en", "zh")]
            assert fields[0] == fields[1], key


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
    assert LEVERS["operating_subsidy_cny_per_kg"].shown(10.0, "zh") == "加氢站运营补贴：10 元/千克"


def test_charts_have_years_on_the_axis_named_series_and_one_scale():
    from sim.analysis.explore import ExploreSession, chart_options

    session = ExploreSession(MINIMAL)
    single, band = chart_options(session, "outlay", 4)
    assert single["graphic"][0]["style"]["text"] == "Step to simulate 2023"
    session.step()
    single, band = chart_options(session, "outlay", 4)
    for option in (single, band):
        assert option["xAxis"]["data"] == ["2023", "2024", "2025", "2026"]
        assert option["title"]["text"] == "Outlay, all programmes" and option["yAxis"]["name"] == "million CNY"
    assert {k: single["yAxis"][k] for k in ("min", "max")} == {k: band["yAxis"][k] for k in ("min", "max")}
    assert [s["name"] for s in band["series"] if "name" in s] == ["P5–P95", "P25–P75", "median of 4 draws", "draw 0"]
    # The draw so far: the first year, then gaps (null in JSON) for the years not yet simulated.
    mine = single["series"][0]["data"]
    _, values = session.trajectory("outlay")
    assert mine[0] == pytest.approx(values[0], rel=1e-3) and mine[1:] == [None, None, None]
    # The band's edges: the stacked widths put P5 and P95 of the draws where the quantiles are.
    q = np.nanquantile(session.band_of("outlay", 4), [0.05, 0.95], axis=0)
    low, width = band["series"][0]["data"], band["series"][1]["data"]
    np.testing.assert_allclose(low, q[0], rtol=1e-3)
    np.testing.assert_allclose(np.add(low, width), q[1], rtol=1e-3)


def test_chart_options_are_json_without_nan():
    import json

    from sim.analysis.explore import ExploreSession, chart_options

    session = ExploreSession(MINIMAL)
    session.run_to_horizon()
    for key in session.series_keys:
        for option in chart_options(session, key, 4, "zh"):
            json.loads(json.dumps(option, allow_nan=False))


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


def test_supply_price_levers_one_per_route_fix_that_routes_price_once_moved():
    from sim.analysis.explore import ExploreModel, ExploreSession, supply_levers

    baseline = Path(MINIMAL).resolve().parent / "baseline.toml"
    base = sim.load_scenario(baseline).scenario
    routes = base.hydrogen.supply.routes
    assert list(supply_levers(base)) == [f"ex_works_cny_per_kg.{r}" for r in routes]
    # Left alone, each draw keeps the price the scenario draws: the sliders only sit at the medians.
    session = ExploreSession(baseline)
    assert all(session.levers[name] is None for name in session.supply_levers)
    lever = session.lever_specs["ex_works_cny_per_kg.refinery_byproduct"]
    from sim.scenario.parameters import param_median

    assert lever.median == param_median(routes["refinery_byproduct"].ex_works_cny_per_kg)
    assert lever.on_step(lever.median) == round(lever.median)  # the slider's step nearest to the median
    assert lever.shown(None) == f"Ex-works price, refinery and by-product: as drawn (median {lever.median:.3g} CNY/kg)"
    assert session.model.scenario.hydrogen.supply.routes["refinery_byproduct"].ex_works_cny_per_kg == \
        routes["refinery_byproduct"].ex_works_cny_per_kg
    # Moved, it fixes that route's price in every draw and leaves the others alone.
    model = ExploreModel(str(baseline), ex_works_cny_per_kg={"refinery_byproduct": 18.0, "on_site": 45.0})
    fixed = model.scenario.hydrogen.supply.routes
    assert (fixed["refinery_byproduct"].ex_works_cny_per_kg, fixed["on_site"].ex_works_cny_per_kg) == (18.0, 45.0)
    assert fixed["trucked_coal_smr"].ex_works_cny_per_kg == routes["trucked_coal_smr"].ex_works_cny_per_kg
    with pytest.raises(ValueError, match="no supply route pipeline in this scenario"):
        ExploreModel(str(baseline), ex_works_cny_per_kg={"pipeline": 10.0})
    # Without hydrogen there is no route to set.
    assert supply_levers(sim.load_scenario(MINIMAL).scenario) == {}


def test_a_supply_price_changes_the_retail_price_and_goes_back_to_the_scenario():
    from sim.analysis.explore import ExploreSession

    baseline = Path(MINIMAL).resolve().parent / "baseline.toml"
    session = ExploreSession(baseline)
    session.step()
    _, drawn = session.trajectory("h2_price_mean")
    session.set_lever("ex_works_cny_per_kg.refinery_byproduct", 50.0)
    _, dear = session.trajectory("h2_price_mean")
    assert dear[0] > drawn[0]
    session.set_lever("ex_works_cny_per_kg.refinery_byproduct", None)
    assert session.trajectory("h2_price_mean")[1] == drawn
    with pytest.raises(ValueError, match="only a supply price"):
        session.set_lever("share_of_cap_paid", None)


def test_a_link_carries_the_levers_band_and_language_and_reopens_them():
    from sim.analysis.explore import ExploreSession, read_link

    baseline = Path(MINIMAL).resolve().parent / "baseline.toml"
    session = ExploreSession(baseline)
    session.set_lever("share_of_cap_paid", 0.55)
    session.set_lever("draw", 7)
    session.set_lever("ex_works_cny_per_kg.on_site", 41.0)
    query = session.link_query(12, "zh")
    # A supply price left to the scenario is not in the link.
    assert "ex_works_cny_per_kg.on_site=41" in query and "refinery_byproduct" not in query
    link = read_link(query, session.lever_specs)
    assert not link.problems and (link.band_draws, link.lang) == (12, "zh")
    reopened = ExploreSession(baseline, link.levers)
    assert reopened.levers == session.levers
    assert reopened.link_query(12, "zh") == query


@pytest.mark.parametrize(("query", "message"), [
    ("share_of_cap_paid=1.5", "Ignored from the link: share_of_cap_paid=1.5 (allowed 0–1 in steps of 0.05)"),
    ("share_of_cap_paid=0.33", "Ignored from the link: share_of_cap_paid=0.33 (allowed 0–1 in steps of 0.05)"),
    ("draw=abc", "Ignored from the link: draw=abc (not a number)"),
    ("draw=nan", "Ignored from the link: draw=nan (not a number)"),
    ("subsidy=5", "Ignored from the link: subsidy=5 (not a setting of this page)"),
    ("lang=fr", "Ignored from the link: lang=fr (allowed: en, zh)"),
    ("band=1000", "Ignored from the link: band=1000 (allowed 5–100 in steps of 1)"),
])
def test_a_link_setting_that_is_not_allowed_is_ignored_and_named(query, message):
    from sim.analysis.explore import ExploreSession, read_link

    specs = ExploreSession(MINIMAL).lever_specs
    link = read_link(f"draw=3&{query}", specs)
    assert [p.message() for p in link.problems] == [message]
    assert link.levers.get("draw") == 3 or query.startswith("draw=")


def test_the_page_opens_with_the_levers_of_its_link(monkeypatch):
    """A link's query string reaches the page through Solara's router and sets its levers and language."""
    import solara
    from solara.routing import Router, router_context

    from sim.analysis.explore import SCENARIO_ENV
    from sim.analysis.explore_app import Page

    monkeypatch.setenv(SCENARIO_ENV, MINIMAL)

    addresses: list[str] = []

    @solara.component
    def Opened():
        solara.provide_context(router_context, Router("/?share_of_cap_paid=0.5&draw=2&lang=zh&x=1", [],
                                                      addresses.append))
        return Page()

    _, rc = solara.render(Opened(), handle_error=False)
    try:
        joined = "\n".join(_texts(rc.find().widget))
        assert "各项目按上限兑付比例：50%" in joined and "显示的抽样：2" in joined
        assert "链接中已忽略：x=1（不是本页的设置）" in joined
        # The address bar then shows the link to what is on the page, without the ignored setting.
        assert len(addresses) == 1 and "share_of_cap_paid=0.5&" in addresses[0] and "draw=2&" in addresses[0]
        assert addresses[0].endswith("&lang=zh") and "x=1" not in addresses[0]
    finally:
        rc.close()


def test_explore_passes_language_scenario_and_quiet_settings_to_the_server(monkeypatch, capsys):
    import os

    from sim.analysis.explore import LANG_ENV, SCENARIO_ENV

    seen: dict = {}

    def execve(program, argv, env):
        seen.update(program=program, argv=argv, env=env)
        raise SystemExit(0)

    monkeypatch.setattr(os, "execve", execve)
    with pytest.raises(SystemExit):
        main(["explore", MINIMAL, "--lang", "zh", "--port", "8799"])
    env = seen["env"]
    assert env[LANG_ENV] == "zh" and env[SCENARIO_ENV] == str(Path(MINIMAL).resolve())
    # No Solara badge over the last chart, no cookie warning per session on the console.
    assert env["SOLARA_THEME_SHOW_BANNER"] == "False"
    assert "ignore:Cookies with samesite=none require https:UserWarning" in env["PYTHONWARNINGS"].split(",")
    assert seen["argv"][1:3] == ["run", "sim.analysis.explore_app"]


def test_explore_refuses_a_language_it_does_not_have(capsys):
    assert main(["explore", MINIMAL, "--lang", "fr"]) == 2
    assert "--lang: invalid choice: 'fr' (choose from 'en', 'zh')" in capsys.readouterr().err
