"""Groups of parameters for Sobol and Morris designs: by scenario section, from a file, from --group flags."""

from __future__ import annotations

import pytest

from sim.analysis.problem import (
    UncertainParameter,
    parameter_groups,
    problem_spec,
    section_of,
    select_parameters,
    uncertain_parameters,
)
from sim.errors import SimError
from sim.scenario.loader import load_scenario
from sim.scenario.parameters import Uniform

PATHS = ["hydrogen.fleet.segments.bus.km_per_year", "hydrogen.fleet.diesel_price_cny_per_l",
         "hydrogen.economics.land_cny", "centres.matching_ratio", "centres.pass_probability",
         "projects.streams.software.1.key_software_rd_grant.arrivals_per_year"]


def _params(paths=PATHS) -> list[UncertainParameter]:
    return [UncertainParameter(p, Uniform(dist="uniform", low=0.0, high=1.0)) for p in paths]


def test_a_parameter_s_section_is_its_table_and_sub_table_or_the_table_it_sits_in():
    assert [section_of(p) for p in PATHS] == ["hydrogen.fleet", "hydrogen.fleet", "hydrogen.economics", "centres",
                                              "centres", "projects.streams"]


def test_grouping_by_section_gives_the_baseline_a_few_groups(scenarios_dir):
    params = select_parameters(uncertain_parameters(load_scenario(scenarios_dir / "baseline.toml").scenario), None)
    groups, described = parameter_groups(params, "section", None)
    assert described == "section" and len(groups) == len(params)
    # Far fewer factors than parameters: that is what makes a Saltelli design of the baseline affordable.
    assert 5 <= len(set(groups)) <= len(params) // 5
    assert {"hydrogen.fleet", "firms.behaviour", "centres", "projects.streams"} <= set(groups)


def test_parameter_grouping_and_no_grouping_give_one_factor_per_parameter():
    assert parameter_groups(_params(), "parameter", None) == (None, "parameter")
    assert parameter_groups(_params(), None, None) == (None, "parameter")


def test_group_flags_take_globs_and_a_parameter_goes_to_the_first_group_that_matches():
    groups, described = parameter_groups(_params(), None, ["bus=hydrogen.fleet.segments.*",
                                                           "hydrogen=hydrogen.*", "rest=*"])
    assert described == "--group"
    assert groups == ["bus", "hydrogen", "hydrogen", "rest", "rest", "rest"]
    spec = problem_spec(_params(), groups)
    assert spec["groups"] == groups


def test_groups_from_a_toml_file_and_from_a_csv_file(tmp_path):
    toml = tmp_path / "groups.toml"
    toml.write_text('"hydrogen costs" = ["hydrogen.economics.*", "hydrogen.fleet.*"]\n'
                    'centres = "centres.*"\nother = "projects.*"\n', encoding="utf-8")
    groups, described = parameter_groups(_params(), str(toml), None)
    assert described == "file groups.toml"
    assert groups == ["hydrogen costs"] * 3 + ["centres"] * 2 + ["other"]
    csv = tmp_path / "groups.csv"
    csv.write_text("parameter,group\nhydrogen.*,H2\n\ncentres.matching_ratio,centres\ncentres.*,centres\n"
                   "projects.*,projects\n", encoding="utf-8")
    assert parameter_groups(_params(), str(csv), None)[0] == ["H2"] * 3 + ["centres"] * 2 + ["projects"]


@pytest.mark.parametrize("flags, fragment", [
    (["costs"], "--group costs: expected NAME=PARAMETER[,PARAMETER...]"),
    (["=hydrogen.*"], "expected NAME=PARAMETER"),
    (["a=hydrogen.*,"], "expected NAME=PARAMETER"),
    (["a=firms.*", "rest=*"], "--group: firms.* matches no uncertain parameter of the design; available: hydrogen"),
    (["a=hydrogen.*"], "--group: 3 parameter(s) in no group (centres.matching_ratio, centres.pass_probability, "
                       "projects.streams"),
    (["all=*", "late=centres.*"], "--group: group(s) late have no parameter left"),
])
def test_bad_group_flags_are_one_line(flags, fragment):
    with pytest.raises(SimError) as info:
        parameter_groups(_params(), None, flags)
    assert fragment in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("name, text, fragment", [
    ("g.toml", "a = [1, 2]\n", "group 'a' must be a parameter path or glob"),
    ("g.toml", "hydrogen.fleet = ['hydrogen.fleet.*']\n", "a dotted group name must be quoted"),
    ("g.toml", "a = \n", "not valid TOML"),
    ("g.toml", "", "names no group"),
    ("g.csv", "name,group\nx,y\n", "line 1: the columns must be parameter,group (got name,group)"),
    ("g.csv", "parameter,group\nhydrogen.*\n", "line 2: expected a parameter path or glob and a group name"),
    ("g.yaml", "a: b\n", "not a grouping; allowed: section, parameter, or a .toml or .csv file"),
])
def test_bad_group_files_are_one_line_naming_the_file(tmp_path, name, text, fragment):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SimError) as info:
        parameter_groups(_params(), str(path), None)
    message = str(info.value)
    assert fragment in message and str(path) in message and "\n" not in message


def test_groups_that_put_every_parameter_in_one_are_refused():
    with pytest.raises(SimError, match=r"--group: every factor is in one group \(all\); a grouped design needs at "
                                       "least 2 groups"):
        parameter_groups(_params(), None, ["all=*"])
    with pytest.raises(SimError, match="--groups section: every factor is in one group"):
        parameter_groups(_params(PATHS[:2]), "section", None)


def test_a_missing_groups_file_and_both_forms_at_once_are_refused(tmp_path):
    with pytest.raises(SimError, match="not found|no such"):
        parameter_groups(_params(), str(tmp_path / "absent.toml"), None)
    with pytest.raises(SimError, match="not both"):
        parameter_groups(_params(), "section", ["a=*"])
