"""Readable names: every parameter, sector, chart, unit, programme and target the reports show has one in both languages."""

from __future__ import annotations

import pytest

from sim.analysis.names import chart_name, parameter_name, section_name, sector_name, unit_name, unnamed_segments
from sim.analysis.plots import PLOTTED_SERIES
from sim.analysis.targets import all_targets
from sim.policy.gazette import load_gazette
from sim.scenario.loader import load_scenario
from sim.scenario.provenance import list_parameters


def _programmes() -> dict[str, tuple[str, str]]:
    return {pid: (ins.name_zh, ins.name) for pid, ins in load_gazette().instruments.items()}


@pytest.mark.parametrize("scenario", ["baseline.toml", "minimal.toml", "hydrogen_extended_2030.toml"])
def test_every_parameter_of_the_shipped_scenarios_has_a_readable_name(scenarios_dir, scenario):
    parameters = list_parameters(load_scenario(scenarios_dir / scenario).scenario)
    unnamed = {seg for p in parameters for seg in unnamed_segments(p.dotted, _programmes())}
    assert unnamed == set(), "add them to [parameter_segments] of sim/analysis/labels.toml"
    assert {p.dotted.split(".")[0] for p in parameters} <= {"macro", "firms", "hydrogen", "centres", "incubators",
                                                             "projects"}
    for p in parameters:
        assert section_name(p.dotted.split(".")[0])[0] != p.dotted.split(".")[0]


def test_a_parameter_path_reads_as_words():
    assert parameter_name("firms.loans.borrow_probability") == ("企业 · 贷款 · 借款概率",
                                                                "firms · loans · probability of borrowing")
    zh, en = parameter_name('projects.streams."software.6.data_centre_green_retrofit".size_median_cny', _programmes())
    assert zh.startswith("项目 · 数据中心（算力中心）绿色化改造奖励") and zh.endswith("项目规模中位数")
    assert "Reward for green retrofits of data (compute) centres" in en and "streams" not in en
    # The same key means another thing under another parent: a sector, a vehicle segment.
    assert parameter_name("firms.population.other.count")[0] == "企业 · 初始企业 · 其他行业 · 数量"
    assert parameter_name("hydrogen.fleet.segments.other.km_per_year")[0] == "氢能 · 车队 · 其他车辆 · 年行驶里程"
    assert unnamed_segments("firms.loans.no_such_thing") == ["no_such_thing"]


def test_every_programme_and_target_has_a_chinese_name():
    assert [pid for pid, ins in load_gazette().instruments.items() if not ins.name_zh] == []
    assert [t.id for t in all_targets() if not t.name_zh] == []
    names = [ins.name_zh for ins in load_gazette().instruments.values()]
    assert len(set(names)) == len(names)  # no two programmes read the same (as 《…》第3条 did)


def test_charts_units_and_sectors_are_named(gazette):
    for series, _ in PLOTTED_SERIES:
        assert chart_name(series) != (series, series)
    for key in ("year", "median", "target", "observed (calibration)", "observed (holdout)", "outlay_by_payer"):
        assert chart_name(key) != (key, key)
    for unit in {t.unit for t in all_targets()} | {"million CNY", "billion CNY", "t", "CNY/kg", "stations",
                                                   "vehicles", "firms"}:
        assert unit_name(unit)[0] != unit or unit == "t", unit
    for sector in ("advanced_manufacturing", "software_it", "hydrogen", "digital_human", "other"):
        assert sector_name(sector)[0] != sector
