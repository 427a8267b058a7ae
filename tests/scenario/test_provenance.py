"""Provenance of the behavioural parameters (sim/scenario/provenance.py): the registry is strict,
every parameter of the shipped scenarios has a source or an assumption, wildcards match one
segment, scenario-local notes win, and ``sim parameters`` prints and counts them."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.errors import PolicyDataError, ScenarioError
from sim.scenario.loader import load_scenario
from sim.scenario.provenance import (
    ParameterNote,
    format_path,
    list_parameters,
    load_registry,
    parameter_leaves,
    parse_path,
)

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def registry_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the registry refuses what it cannot read, one line naming the file and the key ----------------

@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('["firms.exit.base_hazard"]\nsource = "a"\nassumption = "b"\n',
         "firms.exit.base_hazard: give exactly one of source or assumption (got both)"),
        ('["firms.exit.base_hazard"]\nunit = "a year"\n',
         "firms.exit.base_hazard: give exactly one of source or assumption (got neither)"),
        ('["firms.exit.base_hazard"]\nsourc = "SAIC 2013"\n',
         "firms.exit.base_hazard.sourc: unknown key; allowed: source, assumption, unit"),
        ('["firms.exit.base_hazard"]\nsource = "  "\n',
         "firms.exit.base_hazard: source must say something (got an empty string)"),
        ('["firms..base_hazard"]\nsource = "a"\n', "firms..base_hazard: empty segment in path"),
        ('["firms.exit.base_hazard"]\nsource = 3\n', "firms.exit.base_hazard.source: Input should be a valid string"),
        ('"firms.exit.base_hazard" = "SAIC"\n', "firms.exit.base_hazard: expected a table with source or assumption"),
    ],
)
def test_registry_refuses_a_malformed_entry_in_one_line_naming_file_and_key(tmp_path, text, fragment):
    path = registry_file(tmp_path, text)
    with pytest.raises(PolicyDataError) as info:
        load_registry(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}: ")
    assert fragment in lines[0]


def test_registry_refuses_the_same_path_written_twice(tmp_path):
    # A quoted segment without a dot is the same path as the bare one.
    path = registry_file(tmp_path, '["firms.exit.base_hazard"]\nsource = "a"\n'
                                   '[\'firms."exit".base_hazard\']\nsource = "b"\n')
    with pytest.raises(PolicyDataError, match="the same path as firms.exit.base_hazard"):
        load_registry(path)


def test_the_shipped_registry_loads():
    assert len(load_registry()) > 100


def test_paths_with_dotted_segments_are_quoted_and_parsed_back():
    path = ("projects", "streams", "software.6.data_centre_green_retrofit", "arrivals_per_year")
    text = format_path(path)
    assert text == 'projects.streams."software.6.data_centre_green_retrofit".arrivals_per_year'
    assert parse_path(text) == path


# --- the test that fails on a new parameter with neither a source nor an assumption ---------------

@pytest.mark.parametrize("name", ["baseline.toml", "minimal.toml"])
def test_every_parameter_of_a_shipped_scenario_has_a_source_or_an_assumption(name):
    params = list_parameters(load_scenario(SCENARIOS / name).scenario)
    missing = [p.dotted for p in params if p.note is None]
    assert not missing, f"add a source or an assumption to sim/scenario/parameter_sources.toml for: {missing}"


def optional_keys() -> set[str]:
    """Registry paths of the populations' section keys without a default (``None``), read from
    the sections' models, ``*`` for a table's names: they appear only in scenarios that set them."""
    from pydantic import BaseModel

    from sim.populations import populations

    def walk(model: type[BaseModel], prefix: str) -> set[str]:
        out: set[str] = set()
        for name, info in model.model_fields.items():
            path = f"{prefix}.{name}"
            if info.default is None and not info.is_required():
                out.add(path)
            for arg in _model_args(info.annotation):
                out |= walk(arg[0], path + (".*" if arg[1] else ""))
        return out

    return {key for p in populations() for key in walk(p.section_model, p.section)}


def _model_args(annotation) -> list[tuple[type, bool]]:
    """Pydantic models inside an annotation, each with whether it sits under a dict (named items)."""
    import typing

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, False)]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    found = [m for a in args for m in _model_args(a)]
    if origin is dict:
        return [(m, True) for m, _ in found]
    return found


def test_every_registry_entry_names_a_parameter_of_a_shipped_scenario_or_an_optional_key():
    # An entry that matches nothing is stale (a renamed key) or misspelt. Optional keys without a
    # default (None) appear only in scenarios that set them.
    optional = optional_keys()
    assert "firms.loans.programs.*.min_fixed_asset_investment_cny" in optional  # the walk reaches nested tables
    used = {p.note_key for path in sorted(SCENARIOS.glob("*.toml"))
            for p in list_parameters(load_scenario(path).scenario)}
    stale = sorted(key for _, (key, _note) in load_registry().items() if key not in used | optional)
    assert not stale


def test_policy_amounts_identity_and_switches_are_not_parameters():
    paths = [format_path(p) for p, _ in parameter_leaves(load_scenario(SCENARIOS / "baseline.toml").scenario)]
    assert not [p for p in paths if p.split(".")[0] in ("instruments", "policy", "budget", "horizon", "ensemble")]
    assert not [p for p in paths if p.endswith((".enabled", ".source", ".random_arrivals", ".shocks"))]
    assert "firms.growth.size_beta" in paths
    assert "firms.above_size_threshold_cny.software_it" in paths   # from sim/populations/firms/sectors.toml
    assert "hydrogen.districts.Daxing.weight" in paths               # named items: one segment per name


# --- matching --------------------------------------------------------------------------------------

def test_a_wildcard_matches_one_segment_and_a_literal_segment_wins(tmp_path, write_scenario):
    registry = registry_file(tmp_path, """
        ["firms.behaviour.*.drift"]
        assumption = "any sector"
        ["firms.behaviour.software_it.drift"]
        source = "software only"
        ["firms.*.software_it.drift"]
        assumption = "less specific than the one above: its second segment is a wildcard"
        ["firms.*"]
        assumption = "one segment only: matches no three- or four-segment path"
    """.replace("\n        ", "\n"))
    params = {p.dotted: p for p in list_parameters(load_scenario(SCENARIOS / "minimal.toml").scenario, registry)}
    assert params["firms.behaviour.software_it.drift"].note == ParameterNote(source="software only")
    assert params["firms.behaviour.advanced_manufacturing.drift"].note_key == "firms.behaviour.*.drift"
    assert params["firms.growth.size_beta"].note is None


def test_a_scenario_note_wins_over_the_registry_and_is_counted(write_scenario, capsys):
    path = write_scenario("noted.toml", """
        extends = "@minimal"
        [firms.behaviour.software_it]
        drift = 0.3
        [parameter_sources."firms.behaviour.software_it.drift"]
        source = "our survey of 120 Haidian software firms, 2024: mean log growth 0.3"
        unit = "log growth a year"
    """)
    params = {p.dotted: p for p in list_parameters(load_scenario(path).scenario)}
    p = params["firms.behaviour.software_it.drift"]
    assert p.note_key == "scenario:firms.behaviour.software_it.drift"
    assert p.note is not None and p.note.kind == "source" and "Haidian" in p.note.text
    assert main(["parameters", str(path)]) == 0
    assert "source: our survey of 120 Haidian" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[parameter_sources."firms.growth.size_beta"]\nsource = "a"\nassumption = "b"\n',
         'parameter_sources."firms.growth.size_beta": give exactly one of source or assumption (got both)'),
        ('[parameter_sources."firms.growth.size_beta"]\nsourc = "a"\n',
         'parameter_sources."firms.growth.size_beta".sourc: unknown key (did you mean \'source\'?)'),
        ('[parameter_sources."firms.growth.size_bta"]\nsource = "a"\n',
         'parameter_sources."firms.growth.size_bta": names no behavioural parameter of this scenario'),
        ('[parameter_sources."firms.growth..size_beta"]\nsource = "a"\n', "empty segment in path"),
    ],
)
def test_a_scenario_note_is_validated_strictly(write_scenario, text, fragment):
    path = write_scenario("bad_note.toml", 'extends = "@minimal"\n' + text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith(str(path))
    assert fragment in info.value.problems[0]


# --- the command -----------------------------------------------------------------------------------

def test_sim_parameters_prints_every_parameter_and_the_counts(capsys):
    code = main(["parameters", str(SCENARIOS / "baseline.toml")])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    n = len(list_parameters(load_scenario(SCENARIOS / "baseline.toml").scenario))
    assert len(out) == n + 1
    assert any(line.startswith("firms.growth.size_beta ") and "source: sigma of growth" in line for line in out)
    assert out[-1].startswith(f"{n} parameters: ") and out[-1].endswith(", 0 with neither")


def test_sim_parameters_missing_exits_0_for_the_baseline(capsys):
    assert main(["parameters", str(SCENARIOS / "baseline.toml"), "--missing"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].endswith("0 with neither")


def test_sim_parameters_missing_lists_a_parameter_with_neither_and_exits_2(tmp_path, monkeypatch, capsys):
    # A registry that documents every parameter of minimal.toml but one: that one is listed.
    import sim.scenario.provenance as provenance

    shipped = provenance.load_registry()
    dropped = "firms.growth.size_beta"
    monkeypatch.setattr(provenance, "load_registry",
                        lambda path=None: {k: v for k, v in shipped.items() if v[0] != dropped})
    assert main(["parameters", str(SCENARIOS / "minimal.toml"), "--missing"]) == 2
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    assert out[0].startswith(dropped + " ") and "neither a source nor an assumption" in out[0]
    assert out[1].endswith(", 1 with neither")


def test_sim_parameters_of_a_missing_file_is_one_line_exit_2(capsys, tmp_path):
    assert main(["parameters", str(tmp_path / "nope.toml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "file not found" in err[0]
