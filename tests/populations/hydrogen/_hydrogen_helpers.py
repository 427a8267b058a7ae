"""Helpers of the hydrogen tests: station costs and supply that make a run checkable by hand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

#: ``[hydrogen.economics]``, ``[hydrogen.supply]`` and ``[hydrogen.investment]`` of a hand-checked run:
#: capex 10,000,000 recovered over 15 years at 0%, no land, no fixed opex, a marginal cost of
#: 20 (hydrogen at the gate, one route, no haul, no spread) + 5 (compression) CNY/kg, prices at
#: cost, no competition, no price response, no investors. No braces, so it can stand in a
#: ``str.format`` template.
HAND_STATION_COSTS = """[hydrogen.economics]
capex_ref_cny = 10_000_000
land_cny = 0
capex_scale_exponent = 0.0
discount_rate = 0.0
fixed_opex_share_of_capex = 0.0
variable_opex_cny_per_kg = 5.0
trailer_fixed_cny_per_kg = 0.0
trailer_cny_per_kg_km = 0.0
availability = 1.0
markup_share = 0.0
fixed_cost_recovery_share = 1.0
competition_intensity = 0.0
pricing_utilisation_floor = 1.0
price_elasticity = 0.0
[hydrogen.supply]
station_price_sigma = 0.0
[hydrogen.supply.routes.refinery_byproduct]
ex_works_cny_per_kg = 20.0
change_per_year = 0.0
weight = 1.0
[hydrogen.supply.routes.trucked_coal_smr]
weight = 0.0
[hydrogen.supply.routes.central_electrolysis]
weight = 0.0
[hydrogen.supply.routes.on_site]
weight = 0.0
[hydrogen.investment]
enabled = false
lead_time_months = 6
lead_time_sigma = 0.0
"""


def folder_writer(folder: Path) -> Callable[[str, str], Path]:
    """A `write_scenario`-like writer into `folder`, for module-scoped fixtures."""

    def write(name: str, text: str) -> Path:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
