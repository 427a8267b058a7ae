"""Populations, one folder each, discovered from this package.

A population's folder (``sim/populations/<name>/``) holds its scenario section, its component,
kernels, fact tables, parameter notes and random-stream numbers, and its ``__init__.py`` defines
``POPULATION``, a :class:`Population` saying what the rest of the model needs to know: the
scenario key of its section and the section's model, its component, when it steps, the recipients
it pays out to, its random streams and the populations it works with. Adding a population is
adding a folder; nothing else lists them (the scenario schema, the model's components, the
stream registry, the recipients instruments may name are all assembled from here).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sim.core.component import Component

__all__ = ["Population", "populations", "population_of_section", "component_classes", "active_components",
           "stream_numbers", "recipient_names"]


@dataclass(frozen=True)
class Population:
    """What a population declares about itself.

    Attributes
    ----------
    name : str
        Its folder's name.
    section : str
        The scenario table that switches it on (``[firms]``); absent, or ``enabled = false``, it
        is off.
    section_model : type
        The pydantic model of that table.
    component : callable
        Returns its component class (imported when first asked: a folder's kernels compile only
        for the runs that use it).
    step_order : int
        When it steps in a year, lowest first (populations that create entities before those that
        use them: incubators admit start-ups before the firms step).
    recipients : tuple of str
        What its facts' ids index (``firm``), the names instruments give as ``recipient``.
    streams : mapping of str to int
        Its random-stream numbers (:mod:`sim.core.rng`), by name; a number is never reused and
        never shared with another population (``tests/populations/test_discovery.py``).
    depends_on : tuple of str
        Names of the populations its component reaches (through
        :meth:`sim.core.component.Component.peer`, which names the missing section when one is
        not active).
    schema_order : int
        Where its table sits among the scenario's tables, lowest first: the order of
        ``sim parameters``, of a sensitivity design's columns and of the reports. The shipped
        populations keep the places they had before they were folders (projects, firms, centres,
        hydrogen, incubators), so a design of the same seed has the same columns; a new one goes
        after them by default.
    notes : Path, optional
        Its parameter notes (a ``parameter_sources.toml`` in its folder, read with the package's
        by :func:`sim.scenario.provenance.load_registry`).
    """

    name: str
    section: str
    section_model: type
    component: Callable[[], type[Component]]
    step_order: int
    recipients: tuple[str, ...] = ()
    streams: Mapping[str, int] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    schema_order: int = 1000
    notes: Path | None = None


@lru_cache(maxsize=1)
def populations() -> tuple[Population, ...]:
    """Every population of this package, in stepping order (then by name)."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or not info.ispkg:
            continue
        spec = importlib.import_module(f"{__name__}.{info.name}").POPULATION
        if spec.name != info.name:
            raise ImportError(f"sim/populations/{info.name}: POPULATION.name is {spec.name!r}; must be the folder's name")
        found.append(spec)
    return tuple(sorted(found, key=lambda p: (p.step_order, p.name)))


def population_of_section(section: str) -> Population:
    """The population whose scenario table is `section`."""
    for p in populations():
        if p.section == section:
            return p
    raise KeyError(section)


def component_classes() -> list[type[Component]]:
    """Every population's component, in stepping order."""
    return [p.component() for p in populations()]


def active_components(scenario: Any) -> list[type[Component]]:
    """Components whose scenario section is present and enabled, in stepping order."""
    out = []
    for p in populations():
        section = getattr(scenario, p.section, None)
        if section is not None and getattr(section, "enabled", True):
            out.append(p.component())
    return out


def stream_numbers() -> dict[str, int]:
    """Every population's random-stream numbers, by ``<population>.<name>``."""
    return {f"{p.name}.{name}": number for p in populations() for name, number in p.streams.items()}


def recipient_names() -> tuple[str, ...]:
    """What the populations' facts index, sorted: the recipients instruments can be paid to."""
    return tuple(sorted({r for p in populations() for r in p.recipients}))
