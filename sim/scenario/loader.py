"""The one strict loader of scenario files.

:func:`load_scenario` reads a TOML file (UTF-8), follows ``extends`` (a path relative to the file
that includes another scenario, overridden key by key by :func:`sim.scenario.merge.merge_tables`),
validates the merged tables, resolves the instruments in force against the gazette and runs the
components' own checks. Every problem becomes one line naming the file that set the key, the key
path and what is allowed; all problems of a file are reported together in a
:class:`~sim.errors.ScenarioError`.
"""

from __future__ import annotations

import difflib
import hashlib
import tomllib
import types
import typing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sim.errors import PolicyDataError, ScenarioError, SimError
from sim.input_files import MAX_CSV_BYTES, MAX_TOML_BYTES, held_inputs, read_input_file, snapshot_key
from sim.messages import MAX_PROBLEM_LINES, cut_text, key_path, problem_line, shown_value, unknown_key
from sim.policy.gazette import load_documents
from sim.policy.policyset import PolicySet, resolve_policy
from sim.scenario.merge import is_distribution, mark_provenance, merge_tables
from sim.scenario.schema import Scenario

__all__ = ["LoadedScenario", "load_scenario", "read_toml", "input_files", "MAX_EXTENDS_DEPTH"]

#: Longest chain of ``extends``: a scenario, its base, the base's base... A real alternative is
#: two or three files deep; a longer chain is a mistake (or a generated trap).
MAX_EXTENDS_DEPTH = 16
#: Deepest nesting of arrays and tables a scenario file may have (real ones use fewer than ten).
MAX_TOML_NESTING = 64

_DIST_TAGS = {"uniform", "normal", "lognormal", "triangular"}
_BRANCH_TAGS = {"float", "int", "str", "bool", "list[str]", "list[int]", "dict[str,any]"} | _DIST_TAGS
_DIST_HINT = (
    "expected a number or a distribution table such as { dist = \"normal\", mean = 0.05, sd = 0.02 } "
    "(dist: uniform, normal, lognormal, triangular)"
)


@dataclass(frozen=True)
class LoadedScenario:
    """A scenario ready to run.

    Attributes
    ----------
    scenario : Scenario
        The validated tables.
    policy : PolicySet
        Instruments in force with overrides, validity and budget lines.
    path : Path
        The file given.
    sha256 : str
        SHA-256 of the file's bytes and of every file it extends, in order.
    files : tuple of Path
        The file and the files it extends, outermost first.
    unclaimed : tuple of str
        Programmes in force (by a pattern, not by name) that no population of the scenario can
        claim: they pay 0, and ``sim validate`` and ``sim run`` say so.
    resolved : dict
        Every key after ``extends`` (input-file paths made absolute), as TOML tables: written as
        ``scenario.resolved.toml`` beside the results, which ``sim run`` runs to the same numbers.
    changes : tuple of (str, Any, Any)
        The keys the file sets on top of the scenario it extends, key by key: dotted path, the
        extended scenario's value (None where it had none) and this file's value, then the keys
        the loader's `overrides` set (against the file's values). Empty when the file extends
        nothing and nothing is overridden.
    inputs : dict of str to bytes
        The bytes of every file read while loading (the scenario, its ``extends`` chain, its CSV
        and document files), by real path, each read from disk once: every draw, worker and
        checksum of the run uses these bytes (see :func:`sim.input_files.held_inputs`).
    """

    scenario: Scenario
    policy: PolicySet
    path: Path
    sha256: str
    files: tuple[Path, ...]
    unclaimed: tuple[str, ...] = ()
    resolved: dict = field(default_factory=dict)
    changes: tuple[tuple[str, Any, Any], ...] = ()
    inputs: dict[str, bytes] = field(default_factory=dict, repr=False)

    def input_sha256(self) -> dict[str, str]:
        """SHA-256 of the bytes of each input file as loaded, by file name (as in the results' attributes)."""
        out = {}
        for p in input_files(self):
            data = self.inputs.get(snapshot_key(p))
            if data is not None:
                out[str(p)] = hashlib.sha256(data).hexdigest()
        return out


def _leaf_items(table: dict, prefix: tuple = ()) -> list[tuple[tuple, Any]]:
    """Leaves of a table; a distribution table is one leaf (it replaces whole under ``extends``)."""
    out = []
    for k, v in table.items():
        if isinstance(v, dict) and not is_distribution(v):
            out += _leaf_items(v, prefix + (k,))
        else:
            out.append((prefix + (k,), v))
    return out


def _changes_against_base(files: list[Path]) -> tuple[tuple[str, Any, Any], ...]:
    """What the outermost file sets on top of the scenario it extends, key by key."""
    if len(files) < 2:
        return ()
    own, _ = read_toml(files[0])
    own.pop("extends", None)
    base, _, _ = _load_chain(files[1], [], {})
    return tuple(_changes_by(base, own))


def _changes_by(base: dict, own: dict) -> list[tuple[str, Any, Any]]:
    """The keys `own` sets to other values than `base` has: dotted path, old value (None if unset), new value."""
    out = []
    for path, value in _leaf_items(own):
        old: Any = base
        for k in path:
            old = old.get(k) if isinstance(old, dict) else None
        if old != value:
            out.append((key_path(path), old, value))
    return out


def _with_overrides(changes: tuple, overridden: list) -> tuple[tuple[str, Any, Any], ...]:
    """The file's changes, then the overrides' (a key both set: its old value, the override's value)."""
    by_key = {k: (old, new) for k, old, new in changes}
    for key, old, new in overridden:
        by_key[key] = (by_key[key][0] if key in by_key else old, new)
    return tuple((k, old, new) for k, (old, new) in by_key.items() if old != new)


def read_toml(path: Path) -> tuple[dict, bytes]:
    """Read one TOML file strictly.

    Raises
    ------
    ScenarioError
        If the file is missing, not a regular file (a folder, a FIFO, a device), larger than
        :data:`~sim.input_files.MAX_TOML_BYTES`, not UTF-8, not valid TOML (with its line and
        column), or nested deeper than :data:`MAX_TOML_NESTING`. A leading UTF-8 byte-order mark is skipped.
    """
    data = read_input_file(path, "scenario file (.toml)", MAX_TOML_BYTES, lambda line: ScenarioError([line]))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [f"{path}: line {line}: not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"]
        ) from None
    # A byte-order mark (Windows editors write one) is not TOML; the text after it is read as is.
    text = text.removeprefix("\ufeff")
    too_deep = ScenarioError([f"{path}: arrays or tables nested too deep; allowed: at most {MAX_TOML_NESTING} levels"])
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"{path}: TOML syntax error: {exc}"]) from None
    except RecursionError:
        raise too_deep from None
    if _nesting(raw) > MAX_TOML_NESTING:
        raise too_deep
    return raw, data


def _nesting(value: Any) -> int:
    """How deep arrays and tables nest in `value` (a scalar: 0), without recursion."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _load_chain(path: Path, seen: list[Path], prov: dict) -> tuple[dict, list[Path], list[bytes]]:
    path = path.resolve() if path.exists() else path
    if path in seen:
        cycle = " -> ".join(p.name for p in seen + [path])
        raise ScenarioError([f"{seen[-1]}: extends: cycle of includes {cycle}; a scenario cannot extend itself"])
    if len(seen) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError([f"{seen[-1]}: extends: '{path.name}' would make a chain of more than {MAX_EXTENDS_DEPTH} "
                             f"files ({seen[0].name} -> ... -> {seen[-1].name}); allowed: at most {MAX_EXTENDS_DEPTH}"])
    raw, data = read_toml(path)
    base_name = raw.pop("extends", None)
    if base_name is None:
        mark_provenance(raw, str(path), prov)
        return raw, [path], [data]
    if not isinstance(base_name, str) or not base_name:
        raise ScenarioError([f"{path}: extends: must be a file name (a string), relative to this file"])
    base_path = (path.parent / base_name)
    # Only a missing base is reported here; a folder, a FIFO or a device is refused by read_toml.
    if not base_path.exists():
        raise ScenarioError([f"{path}: extends: '{base_name}' not found (looked for {base_path})"])
    base, files, blobs = _load_chain(base_path, seen + [path], prov)
    merged = merge_tables(base, raw, str(path), prov)
    return merged, [path] + files, [data] + blobs


def _flatten(table: dict, prefix: tuple = ()) -> list[tuple[tuple, Any]]:
    out = []
    for k, v in table.items():
        if isinstance(v, dict):
            out += _flatten(v, prefix + (k,))
        else:
            out.append((prefix + (k,), v))
    return out


def _resolve_file_keys(table: dict, prov: dict, prefix: tuple) -> None:
    """Make input-file paths (keys ``csv``, ``*_csv``, ``policy.documents``) absolute, relative to the file
    that set them.
    """
    for key, value in table.items():
        path = prefix + (key,)
        if isinstance(value, dict):
            _resolve_file_keys(value, prov, path)
        elif isinstance(value, str) and (key == "csv" or key.endswith("_csv")):
            source = Path(_source_of(path, prov, "."))
            table[key] = _absolute(source.parent / value)
        elif path == ("policy", "documents") and isinstance(value, list):
            source = Path(_source_of(path, prov, "."))
            table[key] = [_absolute(source.parent / v) if isinstance(v, str) else v for v in value]


def _absolute(path: Path) -> str:
    """`path` made absolute with its symlinks resolved; a symlink loop is left for the reader to refuse
    in one line (``Too many levels of symbolic links``), not raised here.
    """
    try:
        return str(path.resolve())
    except (RuntimeError, OSError):
        return str(path.absolute())


def input_files(loaded: LoadedScenario) -> tuple[Path, ...]:
    """Every file a scenario reads: the file and those it extends, its CSV files and its documents.

    The ``--resume`` manifest hashes their bytes, and ``--force`` never replaces a folder holding one.
    """
    found: list[Path] = list(loaded.files)

    def walk(table: dict) -> None:
        for key, value in table.items():
            if isinstance(value, dict):
                walk(value)
            elif isinstance(value, str) and (key == "csv" or key.endswith("_csv")):
                found.append(Path(value))

    walk(loaded.scenario.model_dump())
    found += [Path(p) for p in loaded.scenario.policy.documents]
    return tuple(dict.fromkeys(found))


def _unwrap(annotation) -> list:
    """Model classes or dict value types an annotation may hold."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in _unwrap(a)]
    return [annotation]


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    current: list = [model]
    for part in loc:
        nxt = []
        for t in current:
            if isinstance(t, type) and issubclass(t, BaseModel):
                if part in t.model_fields:
                    nxt += _unwrap(t.model_fields[part].annotation)
            elif typing.get_origin(t) is dict:
                nxt += _unwrap(typing.get_args(t)[1])
        current = nxt
    keys: list[str] = []
    for t in current:
        if isinstance(t, type) and issubclass(t, BaseModel):
            keys += [k for k in t.model_fields if k not in keys]
    return keys


def _source_of(loc: tuple, prov: dict, default: str) -> str:
    for n in range(len(loc), 0, -1):
        if loc[:n] in prov:
            return prov[loc[:n]]
    return default


def format_validation_errors(exc: ValidationError, model: type[BaseModel], prov: dict, default: str) -> list[str]:
    """One line per problem: ``file: key.path: what is wrong; what is allowed``."""
    return validation_problems(exc, model, prov, default)[0]


def validation_problems(
    exc: ValidationError, model: type[BaseModel], prov: dict, default: str, limit: int | None = None
) -> tuple[list[str], int]:
    """The problems of `exc` as lines (as :func:`format_validation_errors`), at most `limit` of them.

    Returns
    -------
    lines : list of str
        The first `limit` problems (all when `limit` is None), one line each.
    omitted : int
        How many more problems there are (not formatted: a file of a million unknown keys is
        grouped in linear time, and only what is shown pays for the suggestions).
    """
    errors = exc.errors()
    grouped: dict[tuple, list[ErrorDetails]] = {}
    for e in errors:
        loc = e["loc"]
        cut = next((i for i, p in enumerate(loc) if isinstance(p, str) and (p in _BRANCH_TAGS or "[" in p)), None)
        if cut is None:
            grouped.setdefault(tuple(loc), []).append(e)
        else:
            head = tuple(p for p in loc[:cut] if not (isinstance(p, str) and (p in _BRANCH_TAGS or "[" in p)))
            grouped.setdefault(head + ("<union>",), []).append(e)
    lines: list[str] = []
    for loc, errs in grouped.items():
        if limit is not None and len(lines) >= limit:
            break
        union = loc[-1:] == ("<union>",)
        loc = loc[:-1] if union else loc
        source = _source_of(loc, prov, default)
        where = key_path(loc) or "(top level)"
        e = errs[0]
        if e["type"] == "extra_forbidden" and not union:
            lines.append(f"{source}: {where}: {unknown_key(loc[-1], _allowed_keys(model, loc[:-1]))}")
            continue
        if union:
            given = _input_at(errors, loc)
            if isinstance(given, dict) and given.get("dist") in _DIST_TAGS:
                chosen = [err for err in errs if given["dist"] in err["loc"]]
                msgs = "; ".join(
                    f"{'.'.join(str(p) for p in err['loc'][err['loc'].index(given['dist']) + 1:]) or 'value'}: "
                    f"{err['msg']}"
                    for err in chosen
                )
                lines.append(f"{source}: {where}: {msgs}")
            elif len(errs) == 1:
                lines.append(f"{source}: {where}: {e['msg'].removeprefix('Value error, ')}{shown_value(e.get('input'))}")
            else:
                lines.append(f"{source}: {where}: {_DIST_HINT}{shown_value(given)}")
            continue
        lines.append(problem_line(source, where, e))
    return lines, len(grouped) - len(lines)


def _input_at(errors: list[ErrorDetails], loc: tuple):
    """The value the user gave at a key path (for messages about unions)."""
    for e in errors:
        clean = tuple(p for p in e["loc"] if not (isinstance(p, str) and (p in _BRANCH_TAGS or "[" in p)))
        if clean == loc and e.get("input") is not None:
            return e["input"]
    return None


def load_scenario(path: str | Path, overrides: dict | None = None, overrides_source: str = "<overrides>") -> LoadedScenario:
    """Load, merge, validate and resolve a scenario file.

    Parameters
    ----------
    path : str or Path
        The scenario file (TOML).
    overrides : dict, optional
        Tables merged on top of the file, key by key, as if written by a file that extends it
        (calibration and sensitivity drivers use this to set parameters).
    overrides_source : str
        Name given to the overrides in error messages.

    Returns
    -------
    LoadedScenario

    Raises
    ------
    ScenarioError
        With one line per problem, each naming the file, the key path and what is allowed.

    Notes
    -----
    Every input file is read once, inside one snapshot (:func:`sim.input_files.held_inputs`),
    kept in the result's ``inputs``: the run uses those bytes, whatever happens on disk since.
    """
    with held_inputs() as held:
        loaded = _load_scenario(Path(path), overrides, overrides_source)
        for extra in input_files(loaded):
            # CSVs of sections the checks did not read: held now, so the run never reads them later.
            if snapshot_key(extra) not in held and extra.is_file():
                try:
                    read_input_file(extra, "input file", MAX_CSV_BYTES)
                except SimError:
                    pass  # refused when a run reads it, with its own message
        mine = {snapshot_key(p) for p in input_files(loaded)}
        return replace(loaded, inputs={k: v for k, v in held.items() if k in mine})


def _load_scenario(path: Path, overrides: dict | None, overrides_source: str) -> LoadedScenario:
    prov: dict = {}
    raw, files, blobs = _load_chain(path, [], prov)
    overridden: list[tuple[str, Any, Any]] = []
    if overrides:
        overridden = _changes_by(raw, overrides)
        raw = merge_tables(raw, overrides, overrides_source, prov)
        blobs = blobs + [repr(sorted(_flatten(overrides))).encode("utf-8")]
    if "name" not in raw:
        raw["name"] = path.stem
        prov[("name",)] = str(path)
    _resolve_file_keys(raw, prov, ())
    # Every problem of a file is reported at once: the schema's, then (with the keys it refused
    # left out) those of the instruments, then the components' checks.
    schema_lines: list[str] = []
    refused: list[str] = []
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        schema_lines, omitted = validation_problems(exc, Scenario, prov, str(path), MAX_PROBLEM_LINES)
        pruned = _without_refused_keys(raw, exc)
        if omitted or pruned is None:
            raise ScenarioError(schema_lines, omitted) from None
        scenario, refused = pruned
    documents = [Path(p) for p in scenario.policy.documents]
    try:
        catalogue = load_documents(documents)
    except PolicyDataError as exc:
        where = _source_of(("policy", "documents"), prov, str(path))
        raise ScenarioError(schema_lines + [f"{where}: policy.documents: {line}" for line in str(exc).splitlines()]
                            ) from None
    for doc in documents:
        blobs.append(read_input_file(doc, "policy document (.toml)", MAX_TOML_BYTES, lambda line: ScenarioError([line])))
    problems: list[str] = []
    policy = resolve_policy(scenario, catalogue, str(path), problems)
    if not policy.programs:
        # Refused rather than run: every output, summary and report is by programme.
        loc = ("policy", "in_force")
        problems.append(f"{_source_of(loc, prov, str(path))}: policy.in_force: no programme in force (an empty "
                        "list, or every instrument it selects switched off); allowed: at least one, e.g. "
                        'in_force = ["*"]')
        raise _attributed(_not_about(refused, problems), prov, before=schema_lines)
    from sim.populations import active_components

    for cls in active_components(scenario):
        try:
            problems += cls.check(scenario, policy, str(path))
        except SimError as exc:
            problems += str(exc).splitlines()
    from sim.scenario.posterior import posterior_problems

    problems += posterior_problems(scenario, _source_of(("calibration", "posterior_csv"), prov, str(path)))
    claim_problems, unclaimed = check_claimants(scenario, policy, str(path))
    problems += claim_problems
    from sim.scenario.provenance import unmatched_notes

    for key in unmatched_notes(scenario):
        loc = ("parameter_sources", key)
        problems.append(f"{_source_of(loc, prov, str(path))}: {key_path(loc)}: names no behavioural parameter of "
                        "this scenario (`sim parameters` lists them)")
    if not problems and not schema_lines:
        # Against the layer order (scenario < runner), one of the two exceptions tests/test_layers.py
        # allows: the estimate belongs to the runner, whose workers it sizes, but a scenario whose
        # peak cannot fit is refused when it is loaded, before any command starts work.
        from sim.runner.memory import memory_problem

        # Last: a scenario whose peak cannot fit this machine is refused before any run starts.
        line = memory_problem(scenario, policy, scenario.ensemble.draws, 1, str(path))
        if line is not None:
            problems.append(line)
    if problems or schema_lines:
        raise _attributed(_not_about(refused, problems), prov, before=schema_lines)
    digest = hashlib.sha256()
    for blob in blobs:
        digest.update(blob)
    return LoadedScenario(scenario, policy, path, digest.hexdigest(), tuple(files), tuple(unclaimed),
                          resolved=raw, changes=_with_overrides(_changes_against_base(files), overridden))


def _named_explicitly(scenario: Scenario, program_id: str) -> bool:
    """Whether the scenario names a programme by its id (not only through a pattern)."""
    if program_id in scenario.policy.in_force or program_id in scenario.instruments:
        return True
    return any(program_id in line.programs for line in scenario.budget.lines.values())


def check_claimants(scenario: Scenario, policy: PolicySet, source: str) -> tuple[list[str], list[str]]:
    """Programmes in force that no population can claim, or that two would pay.

    Returns
    -------
    problems : list of str
        One line for each programme named by its id that nothing claims, for each programme
        that a project stream and a population would both pay (counted twice), and for each
        district an ``eligibility.district`` names that its claimants do not have
        (:func:`district_problems`).
    unclaimed : list of str
        Programmes in force through a pattern that nothing claims (they pay 0).
    """
    from sim.policy.facts import ProjectApprovals, ProjectLoans
    from sim.policy.instrument import RECIPIENTS_WITHOUT_POPULATION
    from sim.policy.kinds import KINDS
    from sim.populations import active_components, recipient_names

    bases = [b for cls in active_components(scenario) for b in cls.claim_bases(scenario)]
    known = sorted(set(recipient_names()) | set(RECIPIENTS_WITHOUT_POPULATION))
    problems: list[str] = []
    unclaimed: list[str] = []
    for program in policy.programs:
        ins = program.instrument
        kind = KINDS[ins.kind]
        if ins.recipient not in known:
            file, key = _instrument_key(policy, ins, "recipient", source)
            problems.append(f"{file}: {key}: {ins.recipient!r} is no recipient; allowed: {', '.join(known)}")
            continue
        claimants = [b for b in bases if kind.pays(b.facts) and kind.applies(ins, b)]
        if not claimants:
            if _named_explicitly(scenario, ins.id):
                problems.append(
                    f'{source}: instruments."{ins.id}": in force but no population of this scenario can claim it, '
                    f"so it would pay 0: a {ins.kind} to a {ins.recipient} is {kind.how_claimed}; "
                    "or switch it off (enabled = false)")
            else:
                unclaimed.append(ins.id)
        problems += district_problems(scenario, policy, ins, claimants, source)
        by_stream = [b for b in claimants if b.facts in (ProjectApprovals, ProjectLoans)]
        if by_stream and len(claimants) > len(by_stream):
            problems.append(
                f'{source}: projects.streams."{ins.id}": also paid by a population of the scenario; the same '
                "instrument would be counted twice: remove the stream or that population's claim")
    return problems, unclaimed


def _instrument_key(policy: PolicySet, ins, field: str, source: str) -> tuple[str, str]:
    """The document file and key path of one field of an instrument of the gazette (the
    scenario's ``instruments."<id>".<field>`` when the catalogue does not have its file).
    """
    catalogue = policy.catalogue
    if catalogue is None or ins.document not in catalogue.files:
        return source, f'instruments."{ins.id}".{field}'
    ids = [other.id for other in catalogue.by_document(ins.document)]
    return str(catalogue.files[ins.document]), f"instrument[{ids.index(ins.id)}] ({ins.id}).{field}"


def _district_key(scenario: Scenario, policy: PolicySet, ins, source: str) -> tuple[str, str]:
    """The file and key path that set an instrument's ``eligibility.district``.

    The scenario's ``instruments."<id>".eligibility.district`` when it overrides it (pointed at
    the file of the chain that set it by :func:`_reattribute`), else the document file's
    ``instrument[i] (<id>).eligibility.district``.
    """
    override = scenario.instruments.get(ins.id, {}).get("eligibility")
    if isinstance(override, dict) and "district" in override:
        return source, f'instruments."{ins.id}".eligibility.district'
    catalogue = policy.catalogue
    if catalogue is None or ins.document not in catalogue.files:
        return source, f'instruments."{ins.id}".eligibility.district'
    ids = [other.id for other in catalogue.by_document(ins.document)]
    return str(catalogue.files[ins.document]), f"instrument[{ids.index(ins.id)}] ({ins.id}).eligibility.district"


def district_problems(scenario: Scenario, policy: PolicySet, ins, claimants: list, source: str) -> list[str]:
    """Districts an instrument's ``eligibility.district`` names that the tables paying it lack.

    Each population table that pays the instrument says which district names its rows carry
    (:attr:`~sim.policy.facts.ClaimBasis.districts`: the stations', those of the scenario's
    ``[hydrogen] districts``). A name none of them has would pay nothing, so it is refused.

    Returns
    -------
    list of str
        One line per unknown name: the file, the key, the name and the names allowed.
    """
    from sim.policy.instrument import eligible_districts

    names = eligible_districts(ins)
    if names is None or not claimants:
        return []
    where, key = _district_key(scenario, policy, ins, source)
    problems = []
    for basis in claimants:
        if basis.districts is None:
            problems.append(f"{where}: {key}: a {basis.recipient} has no district, so no district limit can apply; "
                            "leave district out")
            continue
        for name in names:
            if name not in basis.districts:
                close = difflib.get_close_matches(name, list(basis.districts), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(f"{where}: {key}: unknown district {cut_text(repr(name))}{hint}; allowed: the scenario's "
                                f"[hydrogen] districts: {', '.join(basis.districts)}")
    return list(dict.fromkeys(problems))


def _attributed(problems: list[str], prov: dict, omitted: int = 0, before: list[str] | None = None) -> ScenarioError:
    """The error listing `problems`, each pointed at the file that set its key (only those shown),
    after the lines `before` (the schema's, attributed already); repeated lines are shown once.
    """
    before = before or []
    problems = [p for p in dict.fromkeys(problems) if p not in before]
    shown = [_reattribute(line, prov) for line in problems[:max(0, MAX_PROBLEM_LINES - len(before))]]
    return ScenarioError(before + shown, omitted + len(problems) - len(shown))


def _not_about(refused: list[str], problems: list[str]) -> list[str]:
    """`problems` but those about a key the schema refused, or a key inside or around it: with the
    key left out, a later check sees its default, and its complaint would be about that default.
    """
    def related(key: str) -> bool:
        return any(key == r or key.startswith(r + ".") or r.startswith(key + ".") for r in refused)

    return [line for line in problems if not related(line.split(": ", 2)[1] if line.count(": ") >= 2 else "")]


def _without_refused_keys(raw: dict, exc: ValidationError) -> tuple[Scenario, list[str]] | None:
    """The scenario validated with every key the schema refused left out (its default then applies),
    for the checks that follow, with the key paths refused; None when a refusal is not of one key
    inside a section (a missing key, a whole section, a rule across keys such as first_year <=
    last_year) or the rest still fails.

    The later checks then see defaults where the file's values were refused: only problems that do
    not depend on those keys are found, as they would be once the refused keys are fixed.
    """
    import copy

    pruned = copy.deepcopy(raw)
    refused = []
    for error in exc.errors():
        loc = []
        for part in error["loc"]:
            # Stop at a list index or a union branch: the key holding it is the one refused.
            if not isinstance(part, str) or part in _BRANCH_TAGS or "[" in part:
                break
            loc.append(part)
        if len(loc) < 2 or error["type"] == "missing":
            return None
        refused.append(key_path(tuple(loc)))
        table: Any = pruned
        for part in loc[:-1]:
            table = table.get(part) if isinstance(table, dict) else None
        if not isinstance(table, dict) or loc[-1] not in table:
            continue  # left out already (several refusals of one key)
        del table[loc[-1]]
    try:
        return Scenario.model_validate(pruned), refused
    except ValidationError:
        return None


def _reattribute(line: str, prov: dict) -> str:
    """Point a message at the file that set the key it names (for keys set by an extended file)."""
    best: tuple = ()
    for p in prov:
        if len(p) >= 2 and p[0] == "instruments" and len(p) > len(best):
            # The deepest key the line names: a field set by an extending file beats its table.
            named = f'instruments."{p[1]}"' + "".join(f".{k}" for k in p[2:])
            if any(named + end in line for end in (":", ".", " ")):
                best = p
    if best:
        head, _, rest = line.partition(": ")
        return f"{prov[best]}: {rest}"
    return line
