"""The strict scenario loader (sim/scenario/loader.py): extends, provenance, hashing, shipped scenarios."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.scenario.loader import _resolve_file_keys, load_scenario, read_toml
from sim.scenario.merge import merge_tables

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_scenario_loads(path):
    loaded = load_scenario(path)
    assert loaded.scenario.name
    assert loaded.policy.programs
    assert loaded.files[0] == path.resolve()


def test_minimal_scenario(minimal):
    s = minimal.scenario
    assert (s.name, s.horizon.years, s.ensemble.draws, s.ensemble.seed) == ("minimal", [2023, 2024, 2025, 2026], 8, 7)
    assert all(pid.startswith(("hydrogen.", "scaleup.", "software.6.")) for pid in minimal.policy.ids)
    assert minimal.sha256 == hashlib.sha256(minimal.path.read_bytes()).hexdigest()


def test_extends_merges_tables_and_replaces_values(write_scenario):
    path = write_scenario(
        "variant.toml",
        """
        extends = "@minimal"
        name = "variant"
        [horizon]
        last_year = 2025
        [policy]
        in_force = ["hydrogen.13.*"]
        [instruments."hydrogen.13.operating_subsidy"]
        rate_cny_per_kg = 5.0
        [hydrogen]
        """,
    )
    loaded = load_scenario(path)
    s = loaded.scenario
    assert s.name == "variant"
    assert (s.horizon.first_year, s.horizon.last_year) == (2023, 2025)  # table merged key by key
    assert s.policy.in_force == ["hydrogen.13.*"]  # arrays replace
    assert s.ensemble.seed == 7 and s.budget.base_year == 2023  # inherited
    assert loaded.policy.get("hydrogen.13.operating_subsidy").instrument.rate_cny_per_kg == 5.0
    assert [p.name for p in loaded.files] == ["variant.toml", "minimal.toml"]


def test_sha256_covers_the_extended_files(write_scenario, tmp_path):
    base = write_scenario("base.toml", 'name = "b"\n[ensemble]\nseed = 1\n')
    top = write_scenario("top.toml", 'extends = "base.toml"\nname = "t"\n')
    first = load_scenario(top).sha256
    expected = hashlib.sha256(top.read_bytes() + base.read_bytes()).hexdigest()
    assert first == expected
    base.write_text('name = "b"\n[ensemble]\nseed = 2\n', encoding="utf-8")
    assert load_scenario(top).sha256 != first


def test_name_defaults_to_the_file_stem(write_scenario):
    path = write_scenario("my_case.toml", '[horizon]\nfirst_year = 2023\nlast_year = 2023\n[policy]\nin_force = ["hydrogen.13.*"]\n')
    assert load_scenario(path).scenario.name == "my_case"


def test_extends_relative_to_the_file_not_the_working_directory(write_scenario, monkeypatch, tmp_path):
    write_scenario("sub/base.toml", 'name = "base"\n[policy]\nin_force = ["hydrogen.13.*"]\n')
    path = write_scenario("sub/top.toml", 'extends = "base.toml"\nname = "top"\n')
    monkeypatch.chdir(Path(__file__).parent)
    assert load_scenario(path).policy.ids == ["hydrogen.13.construction_grant", "hydrogen.13.operating_subsidy"]


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("extends = 3\n", "extends: must be a file name (a string), relative to this file"),
        ('extends = ""\n', "extends: must be a file name"),
        ('extends = "self.toml"\n', "extends: cycle of includes self.toml -> self.toml"),
        ("[horizon]\nfirst_year = 1999\n", "horizon.first_year: Input should be greater than or equal to 2000 (got 1999)"),
        ("[budget]\ndiscount_rate = 1.0\n", "budget.discount_rate: Input should be less than 1"),
        ('[macro]\nlpr_1y_percent = { "22" = 3.65 }\n', "macro.lpr_1y_percent: keys must be years 2000..2100 (got '22')"),
        ("[projects.streams.\"hydrogen.6.first_of_kind_domestic\"]\narrivals_per_year = \"many\"\n",
         "arrivals_per_year: expected a number or a distribution table such as "
         "{ dist = \"normal\", mean = 0.05, sd = 0.02 } (dist: uniform, normal, lognormal, triangular) (got 'many')"),
        ("[projects.streams.\"hydrogen.6.first_of_kind_domestic\"]\narrivals_per_year = { dist = \"poisson\", mean = 2 }\n",
         "expected a number or a distribution table"),
        ('[projects.streams."hydrogen.6.first_of_kind_domestic"]\narrivals_per_year = 1\n',
         "size_median_cny: a cost_share needs the project's amount"),
        ('[projects.streams."hydrogen.17.standards"]\narrivals_per_year = 1\ncategory_weights = { planetary = 1.0 }\n',
         "category_weights: give positive weights for categories among industry_local_or_group, international, national"),
        ("[policy]\nin_force = [\"hydrogen.13.*\"]\nstack_software_and_scaleup_reward = true\n",
         "policy.stack_software_and_scaleup_reward: unknown key (did you mean 'stack_software_and_scaleup_rewards'?); allowed: in_force, documents, stack_software_and_scaleup_rewards"),
        ("[ensemble]\nseed = 9223372036854775808\n", "ensemble.seed"),
    ],
)
def test_loader_problems_name_file_and_key(write_scenario, text, fragment):
    path = write_scenario("self.toml", 'name = "x"\n' + text if not text.startswith("extends") else text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert any(fragment in line for line in info.value.problems), info.value.problems
    assert all(Path(line.split(": ", 1)[0]).name == "self.toml" for line in info.value.problems), info.value.problems


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ScenarioError, match=r"nope\.toml: file not found"):
        load_scenario(tmp_path / "nope.toml")
    with pytest.raises(ScenarioError, match="is a folder, expected a scenario file"):
        load_scenario(tmp_path)


def test_read_toml_returns_the_bytes(tmp_path):
    path = tmp_path / "a.toml"
    path.write_bytes('name = "ä"\n'.encode())
    data, blob = read_toml(path)
    assert data == {"name": "ä"} and blob == path.read_bytes()


def test_merge_tables_tracks_provenance():
    prov: dict = {}
    base = {"horizon": {"first_year": 2022, "last_year": 2030}, "policy": {"in_force": ["*"]}}
    prov.update({("horizon",): "base", ("horizon", "first_year"): "base", ("horizon", "last_year"): "base",
                 ("policy",): "base", ("policy", "in_force"): "base"})
    out = merge_tables(base, {"horizon": {"last_year": 2025}, "policy": {"in_force": ["a.*"]}}, "top", prov)
    assert out == {"horizon": {"first_year": 2022, "last_year": 2025}, "policy": {"in_force": ["a.*"]}}
    assert base["horizon"]["last_year"] == 2030  # the base is not modified
    assert prov[("horizon", "first_year")] == "base"
    assert prov[("horizon", "last_year")] == "top"
    assert prov[("policy", "in_force")] == "top"


def test_csv_keys_resolve_relative_to_the_file_that_set_them(tmp_path):
    table = {"firms": {"csv": "data/firms.csv", "other": "x.csv"}, "stations": {"stations_csv": "../s.csv"}}
    prov = {("firms",): str(tmp_path / "a" / "top.toml"), ("stations", "stations_csv"): str(tmp_path / "b" / "base.toml")}
    _resolve_file_keys(table, prov, ())
    assert table["firms"]["csv"] == str((tmp_path / "a" / "data" / "firms.csv").resolve())
    assert table["firms"]["other"] == "x.csv"
    assert table["stations"]["stations_csv"] == str((tmp_path / "s.csv").resolve())


@pytest.mark.parametrize("override,fragment", [
    ('[instruments."scaleup.2.first_above_size_this_year"]\npayer = "nobody"\n',
     "payer: 'nobody' is not a paying agency of the gazette"),
    ('[instruments."scaleup.2.first_above_size_last_year"]\neligibility = { sector = "nosuch" }\n',
     "eligibility.sector: 'nosuch' is no reward family"),
])
def test_overrides_that_would_silently_change_nothing_or_invent_a_payer(tmp_path, override, fragment):
    path = tmp_path / "o.toml"
    base = (Path(__file__).resolve().parents[2] / "scenarios" / "minimal.toml").as_posix()
    path.write_text(f'extends = "{base}"\nname = "o"\n{override}')
    with pytest.raises(ScenarioError, match=re.escape(fragment)):
        load_scenario(path)
