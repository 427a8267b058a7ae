"""Provenance of the behavioural parameters: where each value comes from, or why it was assumed.

Every behavioural parameter of a scenario (growth, exit, entry, 专精特新, rewards, loans, station
economics, fleet, plan, investment, incubators, centres, project streams, the macro paths and the
sectors' size thresholds) is a *leaf* with a dotted path, such as ``firms.growth.size_beta`` or
``projects.streams."software.6.data_centre_green_retrofit".arrivals_per_year`` (a segment with a
dot is quoted, as in the loader's messages). Policy amounts are not leaves: they are cited in the
gazette files. Neither are identity, horizon, ensemble, budget, switches, names and file paths.

A leaf's note comes from, most specific first:

1. the scenario's own ``[parameter_sources."<path>"]`` tables (a scenario file, or one it
   extends, documents the values it sets);
2. the registry shipped with the package, ``sim/scenario/parameter_sources.toml``, which
   documents the defaults of the section models and the values of ``scenarios/baseline.toml``.

Within each, a path may use ``*`` for one whole segment (``firms.behaviour.*.drift``); the entry
with a literal segment earliest in the path wins over wildcards. Each entry gives exactly one of
``source`` (what, where, when, what it measures) or ``assumption`` (the reasoning), and optionally
a ``unit``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError, model_validator

from sim.errors import PolicyDataError
from sim.scenario.base import StrictModel

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

__all__ = [
    "ParameterNote",
    "Parameter",
    "REGISTRY_FILE",
    "parse_path",
    "format_path",
    "load_registry",
    "parameter_leaves",
    "list_parameters",
    "unmatched_notes",
]

REGISTRY_FILE = Path(__file__).with_name("parameter_sources.toml")

#: Top-level tables that hold no behavioural parameter (identity, run set-up, policy amounts,
#: discounting, where the fitted values come from) or the notes themselves.
_NOT_BEHAVIOURAL = frozenset(
    {"name", "description", "horizon", "ensemble", "policy", "instruments", "budget", "calibration",
     "parameter_sources"}
)
_ALLOWED_NOTE_KEYS = ("source", "assumption", "unit")


class ParameterNote(StrictModel):
    """Where a parameter's value comes from: exactly one of `source` or `assumption`.

    Attributes
    ----------
    source : str, optional
        What the value is, where it was published (address or reference), when, what it measures.
    assumption : str, optional
        Why the value was chosen when no source gives it.
    unit : str
        Unit of the value ("" when it has none).
    """

    source: str | None = None
    assumption: str | None = None
    unit: str = ""

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [k for k in ("source", "assumption") if getattr(self, k) is not None]
        if len(given) != 1:
            what = "both" if given else "neither"
            raise ValueError(f"give exactly one of source or assumption (got {what})")
        text = getattr(self, given[0])
        if not text.strip():
            raise ValueError(f"{given[0]} must say something (got an empty string)")
        return self

    @property
    def kind(self) -> str:
        """``"source"`` or ``"assumption"``."""
        return "source" if self.source is not None else "assumption"

    @property
    def text(self) -> str:
        """The source or the assumption."""
        return self.source if self.source is not None else str(self.assumption)


@dataclass(frozen=True)
class Parameter:
    """One behavioural parameter of a scenario and its note.

    Attributes
    ----------
    path : tuple of str
        Segments of the dotted path.
    value : Any
        A number, a distribution model, or a list or table of numbers.
    note : ParameterNote or None
        The most specific note that matches, None when nothing does.
    note_key : str
        The path pattern of that note, prefixed with ``scenario:`` when the scenario set it.
    """

    path: tuple[str, ...]
    value: Any
    note: ParameterNote | None = None
    note_key: str = ""

    @property
    def dotted(self) -> str:
        """The path as written in messages and in the registry."""
        return format_path(self.path)

    @property
    def shown_value(self) -> str:
        """The value, or the distribution's kind and parameters, as one short string."""
        return _show(self.value)


def parse_path(text: str) -> tuple[str, ...]:
    """Split a dotted path into segments; a segment in double quotes may contain dots.

    Raises
    ------
    ValueError
        If a quote is not closed or a segment is empty.
    """
    segments: list[str] = []
    i = 0
    while i <= len(text):
        if text[i:i + 1] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise ValueError(f"unclosed quote in path {text!r}")
            segments.append(text[i + 1:end])
            i = end + 1
            if i < len(text) and text[i] != ".":
                raise ValueError(f"expected '.' after a quoted segment in path {text!r}")
        else:
            end = text.find(".", i)
            end = len(text) if end < 0 else end
            segments.append(text[i:end])
            i = end
        if not segments[-1]:
            raise ValueError(f"empty segment in path {text!r}")
        i += 1
    return tuple(segments)


def format_path(path: tuple[str, ...]) -> str:
    """Join segments with dots, quoting those that contain a dot."""
    return ".".join(f'"{s}"' if "." in s else s for s in path)


def _parse_notes(table: Any, where: str) -> dict[tuple[str, ...], tuple[str, ParameterNote]]:
    """Validate a table of notes keyed by path; every problem is one line naming `where` and the key."""
    problems: list[str] = []
    notes: dict[tuple[str, ...], tuple[str, ParameterNote]] = {}
    if not isinstance(table, dict):
        raise PolicyDataError(f"{where}: expected a table of notes keyed by parameter path")
    for key, entry in table.items():
        try:
            path = parse_path(key)
        except ValueError as exc:
            problems.append(f"{where}: {key}: {exc}")
            continue
        if not isinstance(entry, dict):
            problems.append(f"{where}: {key}: expected a table with source or assumption (and unit)")
            continue
        unknown = [k for k in entry if k not in _ALLOWED_NOTE_KEYS]
        if unknown:
            problems.append(f"{where}: {key}.{unknown[0]}: unknown key; allowed: {', '.join(_ALLOWED_NOTE_KEYS)}")
            continue
        try:
            note = ParameterNote.model_validate(entry)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            problems.append(f"{where}: {key}{'.' + field if field else ''}: {err['msg'].removeprefix('Value error, ')}")
            continue
        if path in notes:
            problems.append(f"{where}: {key}: the same path as {notes[path][0]}")
            continue
        notes[path] = (key, note)
    if problems:
        raise PolicyDataError("\n".join(problems))
    return notes


@lru_cache(maxsize=4)
def load_registry(path: Path | None = None) -> dict[tuple[str, ...], tuple[str, ParameterNote]]:
    """Read the registry of notes: path segments -> (key as written, note).

    `path` is one registry file; by default the shipped notes are read: the package's
    :data:`REGISTRY_FILE` and each population folder's own notes
    (:attr:`sim.populations.Population.notes`), so a new population brings its notes along.

    Raises
    ------
    PolicyDataError
        One line per problem, naming the file and the key: TOML syntax, a path that does not
        parse, an unknown key, both or neither of source and assumption, a path given twice
        (in one file or in two).
    """
    if path is not None:
        return _read_registry(path)
    from sim.populations import populations

    notes = _read_registry(REGISTRY_FILE)
    seen = {segments: str(REGISTRY_FILE) for segments in notes}
    for population in populations():
        if population.notes is None:
            continue
        for segments, entry in _read_registry(population.notes).items():
            if segments in notes:
                raise PolicyDataError(f"{population.notes}: [{entry[0]!r}]: the same path as in {seen[segments]}; "
                                      "give each parameter's note once")
            notes[segments] = entry
            seen[segments] = str(population.notes)
    return notes


def _read_registry(path: Path) -> dict[tuple[str, ...], tuple[str, ParameterNote]]:
    """One registry file (see :func:`load_registry`)."""
    try:
        with path.open("rb") as f:
            table = tomllib.load(f)
    except FileNotFoundError:
        raise PolicyDataError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyDataError(f"{path}: TOML syntax error: {exc}") from None
    return _parse_notes(table, str(path))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_distribution(v: Any) -> bool:
    return isinstance(v, BaseModel) and hasattr(v, "dist") and hasattr(v, "sample")


def _leaves(value: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    """Behavioural leaves under a value: numbers, distributions, lists and tables of numbers."""
    if _is_number(value) or _is_distribution(value):
        return [(path, value)]
    if isinstance(value, BaseModel):
        out = []
        for name in type(value).model_fields:
            if name == "enabled" or name.startswith("random_"):
                continue  # switches
            out += _leaves(getattr(value, name), path + (name,))
        return out
    if isinstance(value, dict):
        if value and all(_is_number(v) for v in value.values()):
            return [(path, value)]  # a path by year, weights by category: one value
        return [leaf for k, v in value.items() for leaf in _leaves(v, path + (str(k),))]
    if isinstance(value, list):
        if value and all(_is_number(v) for v in value):
            return [(path, value)]
        if value and all(isinstance(v, BaseModel) and hasattr(v, "name") for v in value):
            # Named items (districts): one segment per name.
            return [leaf for v in value for leaf in _leaves(v.model_copy(), path + (v.name,))]
    return []  # strings, booleans, None, empty tables: not behavioural values


def parameter_leaves(scenario: Scenario) -> list[tuple[tuple[str, ...], Any]]:
    """Every behavioural parameter of a validated scenario, in the order of the schema.

    The sectors' above-size thresholds (``sim/populations/firms/sectors.toml``, or the scenario's
    ``firms.above_size_threshold_cny``) are listed as ``firms.above_size_threshold_cny.<sector>``
    when the scenario has firms.
    """
    out: list[tuple[tuple[str, ...], Any]] = []
    for name in type(scenario).model_fields:
        if name in _NOT_BEHAVIOURAL:
            continue
        section = getattr(scenario, name)
        if section is None or getattr(section, "enabled", True) is False:
            continue
        if name == "firms":
            from sim.populations.firms.sectors import load_sectors

            given = section.above_size_threshold_cny
            for s in load_sectors().sectors:
                out.append((("firms", "above_size_threshold_cny", s.key),
                            given.get(s.key, s.above_size_threshold_cny)))
        out += [leaf for leaf in _leaves(section, (name,))
                if leaf[0][:2] != ("firms", "above_size_threshold_cny")]
    return out


def _specificity(pattern: tuple[str, ...]) -> tuple[bool, ...]:
    return tuple(seg != "*" for seg in pattern)


def _match(path: tuple[str, ...], notes: dict) -> tuple[str, ParameterNote] | None:
    found = [(pattern, entry) for pattern, entry in notes.items()
             if len(pattern) == len(path) and all(p in ("*", s) for p, s in zip(pattern, path, strict=True))]
    if not found:
        return None
    return max(found, key=lambda item: _specificity(item[0]))[1]


def _scenario_notes(scenario: Scenario) -> dict[tuple[str, ...], tuple[str, ParameterNote]]:
    return {parse_path(key): (key, note) for key, note in scenario.parameter_sources.items()}


def list_parameters(scenario: Scenario, registry: Path | None = None) -> list[Parameter]:
    """Every behavioural parameter of a scenario with its value and note.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (``load_scenario(path).scenario``).
    registry : Path, optional
        A registry of notes (default: the shipped ones, :func:`load_registry`).

    Returns
    -------
    list of Parameter
        In the order of the schema; ``note`` is None for a parameter with neither a source nor
        an assumption.

    Raises
    ------
    PolicyDataError
        If the registry is malformed.
    """
    shipped = load_registry(registry)
    own = _scenario_notes(scenario)
    out = []
    for path, value in parameter_leaves(scenario):
        hit = _match(path, own)
        prefix = "scenario:"
        if hit is None:
            hit, prefix = _match(path, shipped), ""
        if hit is None:
            out.append(Parameter(path, value))
        else:
            out.append(Parameter(path, value, hit[1], prefix + hit[0]))
    return out


def unmatched_notes(scenario: Scenario) -> list[str]:
    """The scenario's own ``[parameter_sources]`` keys that name no parameter of it (typos)."""
    paths = [p for p, _ in parameter_leaves(scenario)]
    out = []
    for key in scenario.parameter_sources:
        pattern = parse_path(key)
        if not any(len(pattern) == len(p) and all(a in ("*", b) for a, b in zip(pattern, p, strict=True))
                   for p in paths):
            out.append(key)
    return out


def _num(v: float) -> str:
    if v != int(v) or abs(v) >= 1e15:
        return f"{v:.6g}"
    return f"{int(v):,}" if abs(v) >= 10_000 else str(int(v))


def _show(value: Any) -> str:
    if _is_number(value):
        return _num(value)
    if _is_distribution(value):
        fields = [f"{k}={_num(v)}" for k, v in value.model_dump().items() if k != "dist" and v is not None]
        return f"{value.dist}({', '.join(fields)})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_num(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_num(v) for v in value) + "]"
    return repr(value)
