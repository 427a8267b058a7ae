"""Populations are discovered from their folders; what they declare is consistent."""

from __future__ import annotations

import textwrap

import pytest

import sim.populations as populations_package
from sim.core.component import Component
from sim.populations import (
    Population,
    active_components,
    component_classes,
    populations,
    recipient_names,
    stream_numbers,
)
from sim.scenario.schema import Scenario


def test_every_folder_is_a_population_in_stepping_order():
    found = populations()
    assert [p.name for p in found] == ["projects", "hydrogen", "hydrogen_producers", "incubators", "firms", "centres"]
    assert [p.step_order for p in found] == sorted(p.step_order for p in found)
    assert all(issubclass(cls, Component) for cls in component_classes())
    # Each component's section is the one its population declares.
    assert [cls.section for cls in component_classes()] == [p.section for p in found]


def test_stream_numbers_keep_their_values_and_are_never_shared():
    numbers = stream_numbers()
    assert len(set(numbers.values())) == len(numbers)
    # The values of the former central table (bit identity of every result depends on them).
    assert numbers["firms.firm_growth"] == 1 and numbers["firms.firm_little_giant"] == 11
    assert numbers["hydrogen.station"] == 20 and numbers["hydrogen.station_2"] == 21
    assert numbers["hydrogen.fleet"] == 30
    assert numbers["incubators.incubator"] == 40 and numbers["incubators.incubator_graduation"] == 41
    assert numbers["centres.centre"] == 50
    assert [numbers[f"projects.project_{k}"] for k in ("count", "size", "category", "date")] == [60, 61, 62, 63]


def test_dependencies_name_populations_that_step():
    names = {p.name for p in populations()}
    assert all(set(p.depends_on) <= names for p in populations())
    assert recipient_names() == ("centre", "firm", "incubator", "producer", "project", "station")


def test_the_scenario_schema_has_one_optional_section_per_population():
    fields = Scenario.model_fields
    for p in populations():
        assert fields[p.section].default is None
    assert list(fields)[-1] == "parameter_sources"
    # The tables' order (of parameter listings and sensitivity designs) is the one from before
    # the populations were folders; the worked example comes after.
    sections = [f for f in fields if f in {p.section for p in populations()}]
    assert sections == ["projects", "firms", "centres", "hydrogen", "incubators", "hydrogen_producers"]


def test_active_components_follow_the_sections_switches():
    class Off:
        enabled = False

    class Scenarioish:
        firms = object()
        hydrogen = Off()

    assert [cls.section for cls in active_components(Scenarioish())] == ["firms"]


def test_a_new_folder_is_discovered_without_any_list(tmp_path, monkeypatch):
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "__init__.py").write_text(textwrap.dedent('''
        from sim.populations import Population
        from sim.scenario.base import StrictModel


        class ToySection(StrictModel):
            enabled: bool = True


        POPULATION = Population(name="toy", section="toy", section_model=ToySection,
                                component=lambda: None, step_order=99, recipients=("toy",),
                                streams={"toy": 99})
    '''))
    monkeypatch.setattr(populations_package, "__path__", [*populations_package.__path__, str(tmp_path)])
    populations.cache_clear()
    try:
        found = populations()
        assert found[-1].name == "toy" and "toy.toy" in stream_numbers() and "toy" in recipient_names()
    finally:
        monkeypatch.undo()
        populations.cache_clear()
    assert "toy" not in [p.name for p in populations()]


def test_a_folder_must_declare_its_own_name(tmp_path, monkeypatch):
    folder = tmp_path / "misnamed"
    folder.mkdir()
    (folder / "__init__.py").write_text(
        "from sim.populations import Population\n"
        "POPULATION = Population(name='other', section='other', section_model=object, component=lambda: None,"
        " step_order=1)\n")
    monkeypatch.setattr(populations_package, "__path__", [*populations_package.__path__, str(tmp_path)])
    populations.cache_clear()
    try:
        with pytest.raises(ImportError, match="misnamed: POPULATION.name is 'other'"):
            populations()
    finally:
        monkeypatch.undo()
        populations.cache_clear()


def test_population_is_frozen():
    p = populations()[0]
    assert isinstance(p, Population)
    with pytest.raises(AttributeError):
        p.step_order = 0  # type: ignore[misc]
