"""A scenario's own policy documents ([policy] documents): loaded like the gazette's, and paid with no code change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.runner.model import PolicyModel
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


# --- districts and payers in a document ----------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
TOPUP = REPO / "scenarios" / "data" / "daxing_hydrogen_topup.toml"
TOPUP_SCENARIO = REPO / "scenarios" / "daxing_topup.toml"


def _with_topup(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = TOPUP.read_text(encoding="utf-8")
    for edit in edits:
        text = text.replace(*edit)
    (tmp_path / "topup.toml").write_text(text, encoding="utf-8")
    path = tmp_path / "s.toml"
    path.write_text(f'extends = "{TOPUP_SCENARIO.as_posix()}"\nname = "t"\n[policy]\ndocuments = ["topup.toml"]\n',
                    encoding="utf-8")
    return path


def test_the_daxing_top_up_scenario_validates_and_lists_its_payer_in_english(capsys):
    from sim.cli import main

    assert main(["validate", str(TOPUP_SCENARIO)]) == 0
    assert main(["policies", "--scenario", str(TOPUP_SCENARIO), "--document", "daxing"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "daxing.1.operating_topup" in x)
    assert "5 CNY/kg sold if price <= 35.00 CNY/kg, stations in Daxing; <= 2,000,000 CNY per recipient-year" in line
    assert "payer 大兴区人民政府 (Daxing District People's Government)" in line
    loaded = load_scenario(TOPUP_SCENARIO)
    assert loaded.policy.catalogue.payer_names_en == {"大兴区人民政府": "Daxing District People's Government"}
    assert loaded.policy.get("daxing.1.operating_topup").instrument.eligibility.districts() == ("Daxing",)


def test_validate_refuses_an_undefined_district_in_one_line(tmp_path, capsys):
    from sim.cli import main

    path = _with_topup(tmp_path, ('district = "Daxing"', 'district = "Atlantis"'))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"{tmp_path / 'topup.toml'}: instrument[0] (daxing.1.operating_topup).eligibility.district: "
                             "unknown district 'Atlantis'; allowed: the scenario's [hydrogen] districts: Dongcheng, ")
    assert err[0].endswith("Daxing, Huairou, Pinggu, Miyun, Yanqing")


def test_a_district_override_in_a_scenario_is_checked_against_its_own_districts(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(f'extends = "{TOPUP_SCENARIO.as_posix()}"\nname = "t"\n'
                    '[instruments."daxing.1.operating_topup"]\neligibility = { district = ["Daxing", "Fangshan"] }\n'
                    '[hydrogen]\ndistricts = [{ name = "Daxing", weight = 1.0 }]\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems == [
        f'{path}: instruments."daxing.1.operating_topup".eligibility.district: unknown district \'Fangshan\'; '
        "allowed: the scenario's [hydrogen] districts: Daxing"]


@pytest.mark.parametrize("edit, fragment", [
    (('name_en = "Daxing', 'name_eng = "Daxing'), "payer[0] (大兴区人民政府).name_eng: unknown key"),
    (('name_en = "Daxing', 'notes = "Daxing'), "payer[0] (大兴区人民政府).name_en: Field required"),
    (('name = "大兴区人民政府"\nname_en', 'name = "大兴区政府"\nname_en'),
     "payer[0] (大兴区政府).name: '大兴区政府' pays none of the file's instruments; allowed: the payers of its "
     "instruments: 大兴区人民政府"),
    (('[[instrument]]', '[[payer]]\nname = "大兴区人民政府"\nname_en = "Daxing"\n\n[[instrument]]'),
     "payer[1] (大兴区人民政府).name: '大兴区人民政府' is declared twice"),
    (('[[payer]]', '[payer]'), "payer: must be [[payer]] tables, each with name and name_en"),
])
def test_a_bad_payer_declaration_is_refused_naming_file_and_key(tmp_path, edit, fragment):
    path = _with_topup(tmp_path, edit)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = info.value.problems
    assert any(fragment in line and "topup.toml" in line and "policy.documents" in line for line in lines), lines


def test_a_payer_has_one_english_name(tmp_path):
    # The city's agency, declared by the document with another English name than payers.toml's.
    path = _with_topup(tmp_path, ('"大兴区人民政府"', '"市城市管理委"'),
                       ("name_en = \"Daxing District People's Government\"", 'name_en = "City Management"'))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems == [
        f"{path}: policy.documents: {tmp_path / 'topup.toml'}: payer (市城市管理委).name_en: 'City Management' differs "
        "from 'Municipal Commission of Urban Management', its English name in sim/policy/payers.toml; a payer has "
        "one English name"]


def test_a_recipient_no_population_has_is_refused_at_load_naming_the_document(tmp_path):
    # Recipients are the populations' own (each folder names them), so a typo is caught when a
    # scenario is loaded rather than by a hand-kept list of names.
    doc = tmp_path / "typo.toml"
    doc.write_text(DOCUMENT.read_text(encoding="utf-8").replace('recipient = "station"', 'recipient = "statoin"'),
                   encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(_scenario(tmp_path, doc))
    assert f"{doc}: instrument[1] (district.2.hydrogen_per_kg).recipient: 'statoin' is no recipient; allowed: " \
           "centre, firm, incubator, organisation, person, producer, project, station" in str(err.value)
