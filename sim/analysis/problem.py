"""The uncertain parameters of a scenario as a sensitivity problem (a SALib ``ProblemSpec``).

Every behavioural parameter that a scenario gives a distribution (``{ dist = "uniform", ... }``)
is a factor. Designs are sampled in *probability space*: SALib samples each factor on [0, 1]
(the ``ProblemSpec`` has bounds [0, 1] and ``dists = "unif"`` for every factor) and each column is
mapped to the parameter's own units by its distribution's quantile function
(:meth:`~sim.scenario.parameters.Uniform.ppf` and the others), the same inverse CDF through which
the ensemble draws normals. So uniform, normal (truncated on either or both sides), lognormal and
triangular factors all keep exactly the scenario's distributions; SALib's own ``dists`` are not
used, since its ``truncnorm`` needs both bounds and it has no way to keep the scenario's transform.
Morris elementary effects are therefore per unit of probability (comparable across parameters of
different units); Sobol indices do not depend on the transform.

Groups (SALib ``groups``). A design may move parameters together in groups and give one index per
group: ``section`` groups by the scenario section a parameter is set in (``hydrogen.fleet``,
``firms.behaviour``, ``centres``: :func:`section_of`), or a user's rules name the groups (repeated
``--group NAME=GLOB,GLOB`` or a TOML or CSV file, :func:`read_group_rules`). A Saltelli design
then costs ``N x (groups + 2)`` runs instead of ``N x (parameters + 2)``.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import SimError
from sim.scenario.parameters import LogNormal, Normal, Triangular, Uniform

__all__ = ["UncertainParameter", "uncertain_parameters", "select_parameters", "problem_spec", "to_values",
           "PROBABILITY_MARGIN", "GROUPINGS", "section_of", "read_group_rules", "parse_group_flags", "assign_groups",
           "parameter_groups"]

#: Probabilities are kept this far inside (0, 1) before the quantile function, so an unbounded
#: normal or a lognormal maps a design point at 0 or 1 to a large finite value, not to infinity.
PROBABILITY_MARGIN = 1e-9


@dataclass(frozen=True)
class UncertainParameter:
    """A factor of a sensitivity design: a parameter path and its distribution.

    Attributes
    ----------
    path : str
        Dotted path, as drawn by the model and stored in ``results.nc``'s ``parameter``
        coordinate (e.g. ``firms.growth.size_beta``).
    distribution : Uniform, Normal, LogNormal or Triangular
    """

    path: str
    distribution: Uniform | Normal | LogNormal | Triangular

    def ppf(self, q: np.ndarray) -> np.ndarray:
        """Values at probabilities `q` (clipped to :data:`PROBABILITY_MARGIN` inside (0, 1))."""
        q = np.clip(np.asarray(q, dtype=np.float64), PROBABILITY_MARGIN, 1.0 - PROBABILITY_MARGIN)
        return np.asarray(self.distribution.ppf(q), dtype=np.float64)

    @property
    def described(self) -> str:
        """The distribution as one short string, e.g. ``uniform(low=2, high=8)``."""
        fields = [f"{k}={v:g}" for k, v in self.distribution.model_dump().items() if k != "dist" and v is not None]
        return f"{self.distribution.dist}({', '.join(fields)})"

    @property
    def constant(self) -> bool:
        """Whether the distribution has no spread (a degenerate factor, left out of designs)."""
        d = self.distribution
        if isinstance(d, Uniform):
            return d.high == d.low
        if isinstance(d, (Normal, LogNormal)):
            return (d.sd if isinstance(d, Normal) else d.sigma) == 0.0
        return False


def uncertain_parameters(scenario) -> list[UncertainParameter]:
    """Every parameter of a validated scenario that has a distribution, in the schema's order.

    The paths are those the model draws under (segments joined by dots, unquoted), which are the
    names in ``results.nc``.
    """
    from sim.scenario.provenance import parameter_leaves

    return [UncertainParameter(".".join(path), value) for path, value in parameter_leaves(scenario)
            if isinstance(value, (Uniform, Normal, LogNormal, Triangular))]


def select_parameters(params: list[UncertainParameter], patterns: list[str] | None) -> list[UncertainParameter]:
    """The factors whose path matches one of the glob `patterns` (all if none), constants left out.

    Raises
    ------
    SimError
        If the scenario has no uncertain parameter, or a pattern matches none.
    """
    varying = [p for p in params if not p.constant]
    if not varying:
        raise SimError("sensitivity: the scenario has no uncertain parameter (give some a distribution, "
                       "e.g. drift = { dist = \"uniform\", low = 0.0, high = 0.1 })")
    if not patterns:
        return varying
    unmatched = [pat for pat in patterns if not any(fnmatch.fnmatchcase(p.path, pat) for p in varying)]
    if unmatched:
        names = ", ".join(p.path for p in varying)
        raise SimError(f"--parameter: {', '.join(unmatched)} matches no uncertain parameter; available: {names}")
    return [p for p in varying if any(fnmatch.fnmatchcase(p.path, pat) for pat in patterns)]


def problem_spec(params: list[UncertainParameter], groups: list[str] | None = None) -> Any:
    """The SALib ``ProblemSpec`` of the factors, in probability space (bounds [0, 1], uniform).

    Parameters
    ----------
    params : list of UncertainParameter
    groups : list of str, optional
        The group of each parameter (SALib's ``groups``); None for one index per parameter.
    """
    from SALib import ProblemSpec

    spec = {"names": [p.path for p in params], "num_vars": len(params),
            "bounds": [[0.0, 1.0]] * len(params), "dists": ["unif"] * len(params), "outputs": ["y"]}
    if groups is not None:
        if len(groups) != len(params):
            raise SimError(f"design: {len(groups)} group labels for {len(params)} parameters")
        spec["groups"] = list(groups)
    return ProblemSpec(spec)


#: Named groupings of ``--groups`` (anything else is read as a file of rules).
GROUPINGS = ("section", "parameter")
_LISTED = 5


def section_of(path: str) -> str:
    """The scenario section a parameter is set in: its table and sub-table, or the table alone.

    ``hydrogen.fleet.segments.bus.km_per_year`` -> ``hydrogen.fleet``;
    ``projects.streams.software.1.key_software_rd_grant.arrivals_per_year`` -> ``projects.streams``;
    ``centres.matching_ratio`` -> ``centres`` (a key of the ``[centres]`` table itself).
    """
    parts = path.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else parts[0]


def _rule_patterns(name: str, value: Any, where: str) -> list[tuple[str, str]]:
    patterns = [value] if isinstance(value, str) else value
    if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) and p.strip() for p in patterns):
        raise SimError(f"{where}: group {name!r} must be a parameter path or glob, or a list of them "
                       f"(got {value!r}); a dotted group name must be quoted (\"hydrogen.fleet\" = [...])")
    return [(name, p.strip()) for p in patterns]


def read_group_rules(path: Path) -> list[tuple[str, str]]:
    """The (group, parameter glob) rules of a groups file, in file order.

    Two forms: a TOML file whose keys are group names, each a parameter path or glob or a list of
    them (``"hydrogen costs" = ["hydrogen.economics.*", "hydrogen.supply.*"]``); or a CSV file with
    the columns ``parameter,group`` (a path or glob per row).

    Raises
    ------
    SimError
        One line naming the file, and the line or key, for anything else.
    """
    from sim.input_files import MAX_CSV_BYTES, MAX_TOML_BYTES, read_input_file

    where = f"--groups {path}"
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".csv"):
        raise SimError(f"{where}: not a grouping; allowed: {', '.join(GROUPINGS)}, or a .toml or .csv file of "
                       "groups")
    raw = read_input_file(path, "groups file (.toml or .csv)", MAX_TOML_BYTES if suffix == ".toml" else MAX_CSV_BYTES,
                          SimError)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SimError(f"{where}: not UTF-8 text (byte {exc.start})") from None
    rules: list[tuple[str, str]] = []
    if suffix == ".toml":
        try:
            table = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SimError(f"{where}: not valid TOML ({exc})") from None
        for name, value in table.items():
            rules += _rule_patterns(name, value, where)
    else:
        reader = csv.reader(io.StringIO(text))
        header = [h.strip() for h in next(reader, [])]
        if header != ["parameter", "group"]:
            raise SimError(f"{where}: line 1: the columns must be parameter,group (got {','.join(header) or 'nothing'})")
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != 2 or not row[0].strip() or not row[1].strip():
                raise SimError(f"{where}: line {line}: expected a parameter path or glob and a group name "
                               f"(got {','.join(row)!r})")
            rules.append((row[1].strip(), row[0].strip()))
    if not rules:
        raise SimError(f"{where}: names no group")
    return rules


def parse_group_flags(flags: list[str]) -> list[tuple[str, str]]:
    """The (group, parameter glob) rules of repeated ``--group NAME=GLOB,GLOB`` flags.

    Raises
    ------
    SimError
        For a flag that is not ``NAME=GLOB[,GLOB...]``.
    """
    rules: list[tuple[str, str]] = []
    for flag in flags:
        name, eq, patterns = flag.partition("=")
        globs = [p.strip() for p in patterns.split(",")]
        if not eq or not name.strip() or not all(globs):
            raise SimError(f"--group {flag}: expected NAME=PARAMETER[,PARAMETER...] (paths or globs), "
                           "e.g. --group costs=hydrogen.economics.*,hydrogen.supply.*")
        rules += [(name.strip(), g) for g in globs]
    return rules


def assign_groups(params: list[UncertainParameter], rules: list[tuple[str, str]], where: str) -> list[str]:
    """The group of each parameter: the first rule whose glob matches its path.

    Raises
    ------
    SimError
        If a glob matches no parameter, a parameter is in no group, or a group is left with no
        parameter (every match taken by earlier rules).
    """
    paths = [p.path for p in params]
    unmatched = [g for _, g in rules if not any(fnmatch.fnmatchcase(path, g) for path in paths)]
    if unmatched:
        raise SimError(f"{where}: {', '.join(dict.fromkeys(unmatched))} matches no uncertain parameter of the design; "
                       f"available: {_listed(paths)}")
    groups: list[str] = []
    for path in paths:
        group = next((name for name, g in rules if fnmatch.fnmatchcase(path, g)), None)
        if group is None:
            left = [q for q in paths if not any(fnmatch.fnmatchcase(q, g) for _, g in rules)]
            raise SimError(f"{where}: {len(left)} parameter(s) in no group ({_listed(left)}); add them to a group "
                           "(a last rule such as rest=* takes every parameter left) or leave them out with --parameter")
        groups.append(group)
    empty = [name for name in dict.fromkeys(n for n, _ in rules) if name not in groups]
    if empty:
        raise SimError(f"{where}: group(s) {', '.join(empty)} have no parameter left: earlier groups took every "
                       "parameter their globs match (a parameter belongs to the first group that matches it)")
    return groups


def _listed(paths: list[str]) -> str:
    more = len(paths) - _LISTED
    return ", ".join(paths[:_LISTED]) + (f", … ({more} more)" if more > 0 else "")


def parameter_groups(params: list[UncertainParameter], grouping: str | None,
                     group_flags: list[str] | None) -> tuple[list[str] | None, str]:
    """The group of each parameter as ``--groups`` and ``--group`` ask, and how they were formed.

    Parameters
    ----------
    params : list of UncertainParameter
        The factors of the design.
    grouping : str, optional
        ``section``, ``parameter`` (no groups), or the path of a groups file
        (:func:`read_group_rules`); None when not given.
    group_flags : list of str, optional
        ``--group NAME=GLOB,GLOB`` flags (not with `grouping`).

    Returns
    -------
    groups, described
        The group of each parameter (None: one factor per parameter), and a short description
        (``section``, ``parameter``, ``file groups.toml``, ``--group``).

    Raises
    ------
    SimError
        For both `grouping` and `group_flags`, for groups that put every parameter in one, or as
        :func:`read_group_rules`, :func:`parse_group_flags` and :func:`assign_groups`.
    """
    if grouping is not None and group_flags:
        raise SimError("--group: give groups either by --groups (section, parameter or a file) or by --group "
                       "NAME=GLOB,... flags, not both")
    if group_flags:
        groups, described, where = assign_groups(params, parse_group_flags(group_flags), "--group"), "--group", "--group"
    elif grouping is None or grouping == "parameter":
        return None, "parameter"
    elif grouping == "section":
        groups, described, where = [section_of(p.path) for p in params], "section", "--groups section"
    else:
        path = Path(grouping)
        groups, described, where = (assign_groups(params, read_group_rules(path), f"--groups {path}"),
                                    f"file {path.name}", f"--groups {path}")
    if len(set(groups)) < 2:
        # SALib reads a single group as no grouping; one factor would leave nothing to apportion.
        raise SimError(f"{where}: every factor is in one group ({groups[0]}); a grouped design needs at least 2 groups "
                       "(or --groups parameter for one factor per parameter)")
    return groups, described


def to_values(params: list[UncertainParameter], unit: np.ndarray) -> np.ndarray:
    """Map a (runs, factors) design in probability space to the parameters' own units."""
    unit = np.asarray(unit, dtype=np.float64)
    if unit.ndim != 2 or unit.shape[1] != len(params):
        raise SimError(f"design: {unit.shape} points for {len(params)} parameters")
    return np.column_stack([p.ppf(unit[:, j]) for j, p in enumerate(params)]) if params else unit
