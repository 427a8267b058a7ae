"""The Solara page served by ``sim explore`` (``solara run sim.analysis.explore_app``).

The scenario comes from the environment variable ``SIM_EXPLORE_SCENARIO`` set by the command,
the first language from ``SIM_EXPLORE_LANG`` (``--lang``); a link's query string overrides the
language and sets levers and band (:func:`~sim.analysis.explore.read_link`), and the address bar
follows every change, so the address is always a link to what is shown.

Every browser session renders its own :func:`Page`, which holds its own
:class:`~sim.analysis.explore.ExploreSession`: no model is shared between sessions. The page has
its own :func:`Layout` (no app bar and no side drawer, which a phone clips): the controls stack
above the charts on a narrow screen and sit beside them on a wide one. Text from inputs (a
scenario's name and description, a link's values) is shown as text, never as Markdown or HTML.
"""

from __future__ import annotations

import os

import solara

from sim.analysis.explore import (
    BAND_DRAWS,
    LANG_ENV,
    LEVERS,
    SCENARIO_ENV,
    ExploreSession,
    chart_options,
    read_link,
    supply_levers,
)
from sim.analysis.explore_text import LANGUAGES, text

__all__ = ["Layout", "Page"]

#: Sliders whose caption is too long for the track beside it on a phone: caption above, track below.
_CSS = """
.sim-lever .v-input__slot { flex-wrap: wrap; }
.sim-lever .v-input__slot > .v-label { flex: 1 0 100%; max-width: 100%; white-space: normal; height: auto;
  margin-bottom: 2px; }
.sim-page { max-width: 1500px; margin: 0 auto; padding: 8px 12px 24px; overflow-wrap: anywhere; }
.sim-page .solara-echarts { width: 100%; height: 320px; }
.sim-link { word-break: break-all; font-size: 0.85em; }
"""


@solara.component
def Layout(children=[]):  # noqa: B006 - Solara passes the page as this list
    """The page alone: no app bar, no drawer, no banner (:func:`Page` lays itself out)."""
    return solara.Column(children=children, gap="0", style={"width": "100%"})


def _first(path: str, search: str | None):
    """The session and the link's other settings, read once when the page opens."""
    from sim.scenario.loader import load_scenario

    specs = {**LEVERS, **supply_levers(load_scenario(path).scenario)}
    link = read_link(search, specs)
    return ExploreSession(path, link.levers), link


@solara.component
def Page():
    """The explore page: language, levers, years and link; each series drawn twice."""
    path = os.environ.get(SCENARIO_ENV, "scenarios/minimal.toml")
    router = solara.use_router()
    session, link = solara.use_memo(lambda: _first(path, router.search), [])
    # The session is mutated in place; bumping this counter re-renders the page after each change.
    _, set_version = solara.use_state(0)
    served_lang = os.environ.get(LANG_ENV, "en")
    lang, set_lang = solara.use_state(link.lang or (served_lang if served_lang in LANGUAGES else "en"))
    lo, hi, start = BAND_DRAWS
    band_draws, set_band_draws = solara.use_state(
        link.band_draws or max(lo, min(start, session.model.scenario.ensemble.draws)))

    query = session.link_query(band_draws, lang)

    def follow_address() -> None:
        # The address bar is the link to what is shown (replacing a link's ignored settings too); a page
        # rendered outside the server (tests) has no address to follow.
        if router.set_path is not None and router.search != query:
            router.push(f"{router.path}?{query}")

    # On the address too: after the browser's Back button the address is put back to what is shown.
    solara.use_effect(follow_address, [query, router.search])

    def changed() -> None:
        set_version(lambda v: v + 1)

    def on_lever(name: str):
        def set_value(value) -> None:
            session.set_lever(name, value)
            changed()

        return set_value

    def as_drawn() -> None:
        for name in session.supply_levers:
            session.set_lever(name, None)
        changed()

    def slider(name: str) -> None:
        lever = session.lever_specs[name]
        value = session.levers[name]
        # A supply price left to the scenario sits at its median, on the slider's steps (a value between
        # steps would be moved by the slider itself, which reads as a move), until moved.
        position = value if value is not None else lever.on_step(lever.median or lever.low)
        with solara.Div(classes=["sim-lever", f"lever-{name.replace('.', '-')}"]):
            if lever.integer:
                solara.SliderInt(lever.shown(value, lang), value=int(position), min=int(lever.low), max=int(lever.high),
                                 step=int(lever.step), on_value=on_lever(name))
            else:
                solara.SliderFloat(lever.shown(value, lang), value=float(position), min=lever.low, max=lever.high,
                                   step=lever.step, on_value=on_lever(name))

    scenario = session.model.scenario
    years = session.years
    solara.Title(f"{text('title', lang)}: {scenario.name}")
    solara.Style(_CSS)
    with solara.Column(classes=["sim-page"], gap="12px"):
        with solara.Row(justify="space-between", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.v.Html(tag="h1", style_="font-size: 1.5rem; line-height: 1.3; margin: 0;",
                          children=[f"{text('title', lang)}: {scenario.name}"])
            with solara.ToggleButtonsSingle(value=lang, on_value=set_lang, dense=True):
                for code, name in LANGUAGES.items():
                    solara.Button(name, value=code, text=True)
        if scenario.description:
            solara.v.Html(tag="p", class_="mb-0", children=[" ".join(str(scenario.description).split())])
        for problem in link.problems:
            solara.Warning(problem.message(lang), dense=True)
        with solara.ColumnsResponsive(12, medium=[5, 7], large=[4, 8]):
            with solara.Column(gap="12px"):
                with solara.Card(text("levers", lang), subtitle=text("levers_note", lang)):
                    for name in session.policy_levers:
                        slider(name)
                    if not session.station_levers_act:
                        solara.Info(text("no_station_programme", lang), dense=True)
                    slider("draw")
                    with solara.Div(classes=["sim-lever", "lever-band"]):
                        solara.SliderInt(f"{text('band_draws', lang)}{'：' if lang == 'zh' else ': '}{band_draws}",
                                         value=band_draws, min=lo, max=hi, on_value=set_band_draws)
                with solara.Card(text("supply", lang), subtitle=text("supply_note", lang)):
                    for name in session.supply_levers:
                        slider(name)
                    if not session.supply_levers:
                        solara.Info(text("no_supply", lang), dense=True)
                    elif any(session.levers[name] is not None for name in session.supply_levers):
                        solara.Button(text("as_drawn_all", lang), on_click=as_drawn, text=True, color="primary")
                with solara.Card(text("years", lang)):
                    with solara.Row(style={"flex-wrap": "wrap"}):
                        solara.Button(text("step", lang), on_click=lambda: (session.step(), changed()),
                                      disabled=session.model.at_horizon, color="primary")
                        solara.Button(text("run_to_horizon", lang),
                                      on_click=lambda: (session.run_to_horizon(), changed()),
                                      disabled=session.model.at_horizon)
                        solara.Button(text("reset", lang), on_click=lambda: (session.reset(), changed()))
                    done = session.model.year_done
                    reached = text("year_reached", lang, year=done if done is not None else text("none_yet", lang))
                    count = text("year_count", lang, steps=session.model.steps, n=len(years), first=years[0],
                                 last=years[-1])
                    solara.v.Html(tag="p", class_="mt-2 mb-0", children=[
                        solara.v.Html(tag="strong", children=[reached]), f" {count}"])
                    message = session.horizon_message(lang)
                    if message:
                        solara.Success(message)
                with solara.Card(text("link", lang), subtitle=text("link_note", lang)):
                    solara.v.Html(tag="a", class_="sim-link", attributes={"href": f"?{query}"},
                                  children=[f"?{query}"])
            with solara.Column(gap="8px"):
                solara.v.Html(tag="p", class_="mb-0", children=[
                    text("intro", lang, draw=session.model.draw, n=band_draws)])
                for key in session.series_keys:
                    single, band = chart_options(session, key, band_draws, lang)
                    with solara.ColumnsResponsive(12, large=6):
                        solara.FigureEcharts(single, responsive=True, attributes={"class": f"chart-{key}"})
                        solara.FigureEcharts(band, responsive=True, attributes={"class": f"chart-{key}-band"})
