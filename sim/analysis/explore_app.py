"""The Solara page served by ``sim explore`` (``solara run sim.analysis.explore_app``).

The scenario comes from the environment variable ``SIM_EXPLORE_SCENARIO`` set by the command.
Every browser session renders its own :func:`Page`, which holds its own
:class:`~sim.analysis.explore.ExploreSession`: no model is shared between sessions.
"""

from __future__ import annotations

import os

import solara

from sim.analysis.explore import LEVERS, SCENARIO_ENV, ExploreSession, figure_pair, page_text

__all__ = ["Page"]

#: Draws in the band view: the slider's range and its start (the scenario's own count when smaller).
BAND_DRAWS = (5, 100, 20)


@solara.component
def Page():
    """The explore page: levers, controls and messages on the left; each series drawn twice."""
    path = os.environ.get(SCENARIO_ENV, "scenarios/minimal.toml")
    session = solara.use_memo(lambda: ExploreSession(path), [])
    # The session is mutated in place; bumping this counter re-renders the page after each change.
    _, set_version = solara.use_state(0)
    lo, hi, start = BAND_DRAWS
    band_draws, set_band_draws = solara.use_state(
        max(lo, min(start, session.model.scenario.ensemble.draws)))

    def changed() -> None:
        set_version(lambda v: v + 1)

    def on_lever(name: str):
        def set_value(value) -> None:
            session.set_lever(name, value)
            changed()

        return set_value

    scenario = session.model.scenario
    years = session.years
    solara.Title(f"sim explore: {scenario.name}")
    with solara.Sidebar():
        with solara.Card("Levers", subtitle="applied as soon as a slider moves"):
            for name, lever in LEVERS.items():
                value = session.levers[name]
                if lever.integer:
                    solara.SliderInt(lever.shown(value), value=int(value), min=int(lever.low), max=int(lever.high),
                                     step=int(lever.step), on_value=on_lever(name))
                else:
                    solara.SliderFloat(lever.shown(value), value=float(value), min=lever.low, max=lever.high,
                                       step=lever.step, on_value=on_lever(name))
            if not session.station_levers_act:
                solara.Info("No station programme is claimed in this scenario: the subsidy, cap and end-year "
                            "levers change nothing here.", dense=True)
            solara.SliderInt(f"Draws in the band: {band_draws}", value=band_draws, min=lo, max=hi,
                             on_value=set_band_draws)
        with solara.Card("Years"):
            with solara.Row():
                solara.Button("Step one year", on_click=lambda: (session.step(), changed()),
                              disabled=session.model.at_horizon, color="primary")
                solara.Button("Run to horizon", on_click=lambda: (session.run_to_horizon(), changed()),
                              disabled=session.model.at_horizon)
                solara.Button("Reset", on_click=lambda: (session.reset(), changed()))
            done = session.model.year_done
            solara.Markdown(f"**Year reached: {done if done is not None else 'none yet'}** "
                            f"({session.model.steps} of {len(years)} years, {years[0]}–{years[-1]})")
            message = session.horizon_message()
            if message:
                solara.Success(message)
    # Input text is escaped (HTML and Markdown): a description is shown, never run.
    solara.Markdown(f"## {page_text(scenario.name)}: {page_text(scenario.description or '')}\n"
                    f"Left: draw {session.model.draw}, year by year as you step. Right: the same levers over "
                    f"{band_draws} draws for the whole horizon (median, P25–P75 and P5–P95), with draw "
                    f"{session.model.draw} on top.")
    for key in session.series_keys:
        single, band = figure_pair(session, key, band_draws)
        with solara.Columns([1, 1]):
            solara.FigureMatplotlib(single, format="png")
            solara.FigureMatplotlib(band, format="png")
