"""A scenario's own policy documents ([policy] documents): loaded like the gazette's, and paid with no code change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.engine.model import PolicyModel
from sim.errors import ScenarioError
from sim.scenario.loader import load_scenario

DOCUMENT = Path(__file__).parent / "data" / "district_measure.toml"
SCENARIO = """
name = "with_district_measure"
[horizon]
first_year = 2023
last_year = 2024
[ensemble]
draws = 1
seed = 5
[policy]
in_force = ["district.*", "hydrogen.13.*"]
documents = ["{doc}"]
[projects.streams."district.1.retrofit_cost_share"]
arrivals_per_year = 3
random_arrivals = false
size_median_cny = 10000000
[hydrogen.fleet]
fixed_demand_kg_per_year = {{ Daxing = 200000.0 }}
"""


def _scenario(tmp_path: Path, doc: Path = DOCUMENT) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.format(doc=doc.as_posix()), encoding="utf-8")
    return path


def test_a_users_document_pays_through_a_stream_and_the_stations(tmp_path):
    loaded = load_scenario(_scenario(tmp_path))
    ids = [p.id for p in loaded.policy.programs]
    assert ids[-2:] == ["district.1.retrofit_cost_share", "district.2.hydrogen_per_kg"]  # after the gazette's
    model = PolicyModel(loaded.scenario, loaded.policy, 0)
    model.run()
    share = loaded.policy.get("district.1.retrofit_cost_share").index
    # 3 retrofits a year of 10,000,000 each, 10 % (under the 2,000,000 cap): 3,000,000 a year.
    np.testing.assert_allclose(model.ledger.committed[:, share], [3_000_000.0, 3_000_000.0])
    per_kg = loaded.policy.get("district.2.hydrogen_per_kg").index
    sold = model.recorder["station_kg_sold"]
    # 3 CNY on every kg sold, whatever the price (no cap), both years.
    np.testing.assert_allclose(model.ledger.committed[:, per_kg], 3.0 * sold.sum(axis=1))
    assert sold.sum() > 0.0
    assert loaded.policy.get("district.2.hydrogen_per_kg").payer == "区财政局"


def test_sim_policies_lists_the_scenarios_documents(tmp_path):
    out = subprocess.run([sys.executable, "-m", "sim.cli", "policies", "--scenario", str(_scenario(tmp_path)),
                          "--document", "district"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "district.2.hydrogen_per_kg  unit_subsidy  3 CNY/kg sold" in out.stdout
    assert "[district_measure.toml]" in out.stdout


@pytest.mark.parametrize("edit, fragment", [
    (('kind = "cost_share"', 'kind = "cost_shar"'), "district_measure.toml: instrument[0]"),
    (('"district', '"hydrogen'), "document.key 'hydrogen' is already the key of"),
    (('rate_cny_per_kg = 3.0', 'rate_cny_per_kg = 3.0\neligibility = { sector = "x" }'),
     "eligibility.sector: unknown key; allowed: district"),
])
def test_a_bad_document_is_refused_by_validate_naming_its_file(tmp_path, edit, fragment):
    doc = tmp_path / "district_measure.toml"
    doc.write_text(DOCUMENT.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")  # every occurrence
    with pytest.raises(ScenarioError) as info:
        load_scenario(_scenario(tmp_path, doc))
    lines = info.value.problems
    assert any(fragment in line and "policy.documents" in line for line in lines), lines


def test_a_missing_document_is_one_line(tmp_path):
    with pytest.raises(ScenarioError, match=r"policy\.documents: .*nowhere\.toml: file not found"):
        load_scenario(_scenario(tmp_path, tmp_path / "nowhere.toml"))
