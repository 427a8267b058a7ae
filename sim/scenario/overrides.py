"""Overrides of a scenario given in Python (``sim.run(path, overrides={...})``), as tables a file would hold.

A key is a dotted path, as the loader's messages write it: ``"horizon.last_year"``, or an
instrument's field ``"instruments.hydrogen.13.operating_subsidy.rate_cny_per_kg"`` (an instrument
id is ``<document>.<item>.<name>``, so its three segments are taken together after ``instruments``
and ``projects.streams``; ``instruments."hydrogen.13.operating_subsidy".rate_cny_per_kg`` with the
id in double quotes says the same). A value may itself be a table (a dict), merged key by key as
the tables of an extending file are. The loader then validates the result as it validates a file
(:func:`sim.scenario.loader.load_scenario`): every problem is one line naming the key and what is
allowed, unknown keys included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.errors import ArgumentError
from sim.messages import cut_text

__all__ = ["override_tables", "OVERRIDES_SOURCE"]

#: How the overrides are named in the loader's messages (in place of a file name).
OVERRIDES_SOURCE = "overrides"
#: Tables keyed by instrument id (whose three dotted segments make one key).
_BY_INSTRUMENT = (("instruments",), ("projects", "streams"))
#: Segments of an instrument id (``sim.policy.instrument.ID_PATTERN``).
_ID_SEGMENTS = 3
_VALUE_TYPES = "a number, text, true/false, a date, a list or a table"


def _segments(key: str) -> tuple[str, ...]:
    from sim.scenario.provenance import parse_path

    try:
        segments = parse_path(key)
    except ValueError as exc:
        raise ArgumentError(f"{OVERRIDES_SOURCE}: key {cut_text(repr(key))}: {exc}") from None
    for prefix in _BY_INSTRUMENT:
        n = len(prefix)
        # An unquoted id arrives as three segments; a quoted one as one segment holding its dots.
        if segments[:n] == prefix and len(segments) >= n + _ID_SEGMENTS and "." not in segments[n]:
            segments = prefix + (".".join(segments[n:n + _ID_SEGMENTS]),) + segments[n + _ID_SEGMENTS:]
    return segments


def _value(value: Any, where: str) -> Any:
    """`value` as TOML would give it (NumPy scalars as Python numbers, tables with their keys as
    given: only the top-level keys are dotted paths), or ArgumentError.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, float, str, dt.date, dt.time)):
        return value
    if isinstance(value, (list, tuple)):
        return [_value(v, f"{where}.{i}") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for key, inner in value.items():
            if not isinstance(key, str):
                raise ArgumentError(f"{OVERRIDES_SOURCE}: {where}: keys of a table must be text "
                                    f"(got {type(key).__name__} {cut_text(repr(key))})")
            out[key] = _value(inner, f"{where}.{key}")
        return out
    shown = "None" if value is None else f"{type(value).__name__} {cut_text(repr(value))}"
    raise ArgumentError(f"{OVERRIDES_SOURCE}: {where}: {shown} is not a value a scenario file can hold; "
                        f"give {_VALUE_TYPES}")


def _merge_once(out: dict, new: dict, shown: str) -> None:
    """Merge `new` into `out` in place; a key set by both (a value, or a value and a table) is refused."""
    for key, value in new.items():
        if key not in out:
            out[key] = value
        elif isinstance(out[key], dict) and isinstance(value, dict) and "dist" not in value and "dist" not in out[key]:
            _merge_once(out[key], value, shown)
        else:
            raise ArgumentError(f"{OVERRIDES_SOURCE}: {shown}: sets {key} that another key of the overrides sets too "
                                "(a dotted key and a table holding it); give it once")


def override_tables(overrides: Any) -> dict:
    """Nested tables from `overrides` (dotted keys expanded), ready to merge over a scenario.

    Parameters
    ----------
    overrides : mapping of str to value
        Dotted key paths (or plain keys) to values; a value may be a mapping (a table, whose keys
        are taken as written), merged key by key.

    Returns
    -------
    dict
        Tables as a TOML file would read.

    Raises
    ------
    ArgumentError
        One line if `overrides` is not a mapping, a key is not text or does not parse, a key is
        set twice (``"horizon.first_year"`` and ``{"horizon": {"first_year": ...}}``), a key
        sets ``extends``, or a value is none of the kinds a TOML file holds.
    """
    if not isinstance(overrides, Mapping):
        raise ArgumentError(f"{OVERRIDES_SOURCE}: must be a dict of key paths to values, e.g. "
                            f"{{'horizon.last_year': 2027}} (got {type(overrides).__name__})")
    out: dict = {}
    for key, value in overrides.items():
        if not isinstance(key, str):
            raise ArgumentError(f"{OVERRIDES_SOURCE}: keys must be text, dotted key paths such as 'horizon.last_year' "
                                f"(got {type(key).__name__} {cut_text(repr(key))})")
        segments = _segments(key)
        if segments[0] == "extends":
            raise ArgumentError(f"{OVERRIDES_SOURCE}: extends: not allowed in overrides; they are written over the "
                                "scenario file given")
        table: Any = _value(value, key)
        for segment in reversed(segments):
            table = {segment: table}
        _merge_once(out, table, key)
    return out
