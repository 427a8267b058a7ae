"""Readable names in Chinese and English of what the reports and charts show.

Sectors, units, chart titles, scenario sections and parameter paths are named in
``sim/analysis/labels.toml`` (data: a new one gets its name there); programmes and targets carry
theirs in the policy files (``name``, ``name_zh``). Each function returns a ``(zh, en)`` pair;
:class:`sim.analysis.report_labels.Labels` picks the language. A key without a name comes back
as itself in both languages, so nothing is hidden; ``tests/analysis/test_names.py`` fails on a
shipped one.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from pathlib import Path

__all__ = ["LABELS_FILE", "sector_name", "unit_name", "chart_name", "section_name", "quantity_name", "parameter_name",
           "unnamed_segments", "NAME_SEPARATOR"]

LABELS_FILE = Path(__file__).with_name("labels.toml")
#: Joins the names of a parameter path's segments.
NAME_SEPARATOR = " · "
#: Segments whose children are sector keys.
_SECTOR_PARENTS = frozenset({"population", "behaviour", "above_size_threshold_cny"})

Pair = tuple[str, str]


@functools.cache
def _labels() -> dict[str, dict]:
    with LABELS_FILE.open("rb") as f:
        return tomllib.load(f)


def _pair(table: str, key: str) -> Pair:
    value = _labels()[table].get(key)
    return (str(value[0]), str(value[1])) if value is not None else (key, key)


def sector_name(key: str) -> Pair:
    """Name of a sector of the firm population (``advanced_manufacturing`` ...)."""
    return _pair("sectors", key)


def unit_name(unit: str) -> Pair:
    """Name of a unit as results and targets write it (``stations``, ``million CNY`` ...)."""
    return _pair("units", unit)


def chart_name(key: str) -> Pair:
    """Title of a plotted series (its variable name) or a word of the charts (``year``, ``median``)."""
    return _pair("charts", key)


def section_name(key: str) -> Pair:
    """Name of a scenario section (``firms``, ``hydrogen`` ...)."""
    return _pair("sections", key)


def quantity_name(label: str) -> Pair:
    """Name of a headline quantity of ``sim compare`` (:data:`sim.analysis.compare.METRICS`)."""
    return _pair("quantities", label)


def _segment_names(path: tuple[str, ...], programmes: Mapping[str, Pair]) -> list[Pair | None]:
    """The name of each segment of `path` (None when it has none)."""
    labels = _labels()
    segments, children, sectors = labels["parameter_segments"], labels["parameter_children"], labels["sectors"]
    out: list[Pair | None] = []
    parent = None
    for seg in path:
        if seg in programmes:
            out.append(programmes[seg])
        elif parent in children and seg in children[parent]:
            out.append(tuple(children[parent][seg]))  # type: ignore[arg-type]
        elif parent in _SECTOR_PARENTS and seg in sectors:
            out.append(tuple(sectors[seg]))  # type: ignore[arg-type]
        elif seg in segments:
            out.append(tuple(segments[seg]))  # type: ignore[arg-type]
        else:
            out.append(None)
        parent = seg
    return out


def parameter_name(dotted: str, programmes: Mapping[str, Pair] | None = None) -> Pair:
    """Readable name of a parameter path, e.g. ``firms.loans.borrow_probability``.

    Parameters
    ----------
    dotted : str
        The path as ``sim parameters`` prints it (an instrument id segment in double quotes).
    programmes : mapping, optional
        Programme id to its ``(zh, en)`` name, for the paths of project streams and loan
        programmes.

    Returns
    -------
    (str, str)
        The segments' names joined by " · " in Chinese and in English; a segment without a name
        is shown as written. A segment named ``""`` (``streams``) is left out.
    """
    from sim.scenario.provenance import parse_path

    path = parse_path(dotted)
    zh, en = [], []
    for seg, name in zip(path, _segment_names(path, programmes or {}), strict=True):
        if name is None:
            zh.append(seg)
            en.append(seg)
        elif name[0] or name[1]:
            zh.append(name[0])
            en.append(name[1])
    return NAME_SEPARATOR.join(zh), NAME_SEPARATOR.join(en)


def unnamed_segments(dotted: str, programmes: Mapping[str, Pair] | None = None) -> list[str]:
    """The segments of a parameter path that have no name in ``labels.toml`` (for the tests)."""
    from sim.scenario.provenance import parse_path

    path = parse_path(dotted)
    return [seg for seg, name in zip(path, _segment_names(path, programmes or {}), strict=True) if name is None]
