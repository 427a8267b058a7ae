"""The Solara app served by ``sim explore`` (``solara run sim.analysis.explore_app``).

The scenario comes from the environment variable ``SIM_EXPLORE_SCENARIO`` set by the command.
"""

from __future__ import annotations

import os

from sim.analysis.explore import SCENARIO_ENV, make_page

page = make_page(os.environ.get(SCENARIO_ENV, "scenarios/minimal.toml"))
