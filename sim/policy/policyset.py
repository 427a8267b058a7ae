"""The instruments in force in a scenario, with overrides applied, validity by year and budget lines.

A :class:`PolicySet` is what the agents and the ledger see: programmes (instruments in force) in a
fixed order, each with its resolved parameters, its share of each simulated year inside its
validity window, its payer and its budget line.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fnmatch
import math
from dataclasses import dataclass, field

import numpy as np
from pydantic import ValidationError

from sim.policy.gazette import Gazette
from sim.policy.instrument import FIXED_FIELDS
from sim.policy.kinds import OVERRIDABLE_FIELDS, Instrument, InstrumentAdapter, instrument_error_lines

__all__ = ["Program", "BudgetLineSpec", "PolicySet", "PolicyReadings", "resolve_policy", "validity_share"]


def validity_share(year: int, valid_from: dt.date, valid_until: dt.date) -> float:
    """Share of a calendar year's days inside a validity window (both ends inclusive).

    Parameters
    ----------
    year : int
        Calendar year.
    valid_from, valid_until : datetime.date
        First and last day of validity.

    Returns
    -------
    float
        Days of `year` in ``[valid_from, valid_until]`` divided by the days of `year`.

    Examples
    --------
    >>> validity_share(2022, dt.date(2022, 8, 11), dt.date(2025, 8, 10))  # 143 of 365 days
    0.39178082191780822
    """
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    start, end = max(first, valid_from), min(last, valid_until)
    if end < start:
        return 0.0
    return ((end - start).days + 1) / ((last - first).days + 1)


@dataclass(frozen=True)
class Program:
    """An instrument in force, resolved for one scenario.

    Attributes
    ----------
    index : int
        Position on the ``program`` dimension of the results.
    instrument : Instrument
        The instrument with the scenario's overrides applied.
    payer : str
        Who pays it (the payer of its budget line).
    line : int
        Index of its budget line.
    validity_share : ndarray
        Share of each simulated year's days inside the validity window.
    """

    index: int
    instrument: Instrument
    payer: str
    line: int
    validity_share: np.ndarray

    @property
    def id(self) -> str:
        """Id of the programme's instrument."""
        return self.instrument.id

    @property
    def cap_per_recipient_year_cny(self) -> float:
        """Cap per recipient and year, CNY (``inf`` when the instrument sets none)."""
        v = self.instrument.cap_per_recipient_year_cny
        return math.inf if v is None else v

    @property
    def cap_per_recipient_total_cny(self) -> float:
        """Cap per recipient over the instrument's life, CNY (``inf`` when it sets none)."""
        v = self.instrument.cap_per_recipient_total_cny
        return math.inf if v is None else v


@dataclass(frozen=True)
class BudgetLineSpec:
    """A budget line: ceiling per year (``inf`` for none) and rationing rule."""

    name: str
    payer: str
    ceiling_cny_per_year: float
    rationing: str
    programs: tuple[int, ...]


@dataclass(frozen=True)
class PolicyReadings:
    """How a scenario reads the clauses whose text allows two readings that change money.

    See ``[policy]`` in :mod:`sim.scenario.schema` for each choice and its default.
    """

    stack_software_and_scaleup_rewards: bool = False
    one_off_claims: str = "in_window"
    this_year_counting: str = "new_firms"
    software_stay_up: str = "at_100m_when_first_counted"
    loan_subsidies_after_expiry: str = "stop_at_expiry"
    discretionary_extras_share: float = 0.5


@dataclass(frozen=True)
class PolicySet:
    """Programmes in force, budget lines and the simulated years.

    Attributes
    ----------
    catalogue : Gazette
        Every instrument known to the scenario (the gazette and the scenario's own documents),
        in force or not.
    readings : PolicyReadings
        The scenario's readings of clauses the text leaves open.
    """

    years: tuple[int, ...]
    programs: tuple[Program, ...]
    lines: tuple[BudgetLineSpec, ...]
    discount_rate: float
    base_year: int
    catalogue: Gazette | None = None
    readings: PolicyReadings = field(default_factory=PolicyReadings)
    _by_id: dict[str, Program] = field(default_factory=dict, repr=False)

    def get(self, program_id: str) -> Program | None:
        """The programme of an instrument id, or None when it is not in force."""
        return self._by_id.get(program_id)

    def of_kind(self, kind: str, recipient: str | None = None) -> list[Program]:
        """Programmes in force of one kind (and recipient), in programme order."""
        return [p for p in self.programs
                if p.instrument.kind == kind and (recipient is None or p.instrument.recipient == recipient)]

    @property
    def ids(self) -> list[str]:
        """Programme ids in programme order."""
        return [p.id for p in self.programs]

    @property
    def payers(self) -> list[str]:
        """Payers in order of first appearance among the budget lines."""
        return list(dict.fromkeys(line.payer for line in self.lines))

    def discount_factors(self) -> np.ndarray:
        """``1 / (1 + r) ** (year - base_year)`` for each simulated year."""
        t = np.asarray(self.years, dtype=np.float64) - self.base_year
        return (1.0 + self.discount_rate) ** (-t)


def _suggest(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def resolve_policy(scenario, gazette: Gazette, source: str = "<scenario>", problems_found: list[str] | None = None
                   ) -> PolicySet:
    """Apply a scenario's selection and overrides to the gazette.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    gazette : Gazette
        The encoded gazette.
    source : str
        Name of the scenario file, used in error messages.
    problems_found : list of str, optional
        When given, the problems are appended to it instead of raised, and the policy returned
        is the best one the scenario allows (an instrument whose overrides are refused stays as
        the gazette has it), so that ``sim validate`` can go on to the checks that need it and
        report every problem of a file at once.

    Returns
    -------
    PolicySet

    Raises
    ------
    ScenarioError
        One line per unknown instrument id, non-overridable or misspelt field, impossible value,
        or programme claimed by two budget lines.
    """
    from sim.errors import ScenarioError

    problems: list[str] = []
    all_ids = list(gazette.instruments)
    for pattern in scenario.policy.in_force:
        if not any(fnmatch.fnmatchcase(i, pattern) for i in all_ids):
            problems.append(
                f"{source}: policy.in_force: pattern '{pattern}' matches no instrument{_suggest(pattern, all_ids)}; "
                "run `sim policies` for the ids"
            )
    resolved: list[Instrument] = []
    known_payers = {ins.payer for ins in gazette.instruments.values()}
    for override_id in scenario.instruments:
        if override_id not in gazette.instruments:
            problems.append(
                f"{source}: instruments.\"{override_id}\": unknown instrument id{_suggest(override_id, all_ids)}; "
                "run `sim policies` for the ids"
            )
    for ins_id, ins in gazette.instruments.items():
        if not any(fnmatch.fnmatchcase(ins_id, p) for p in scenario.policy.in_force):
            continue
        override = scenario.instruments.get(ins_id, {})
        allowed = OVERRIDABLE_FIELDS[ins.kind]
        good = {}
        for key, value in override.items():
            if key in FIXED_FIELDS:
                problems.append(f"{source}: instruments.\"{ins_id}\".{key}: cannot be overridden (it says what the instrument is)")
            elif key not in allowed:
                problems.append(
                    f"{source}: instruments.\"{ins_id}\".{key}: unknown field for a {ins.kind}{_suggest(key, allowed)}; "
                    f"allowed: {', '.join(sorted(allowed))}"
                )
            elif key == "payer" and value not in known_payers:
                problems.append(
                    f"{source}: instruments.\"{ins_id}\".payer: '{value}' is not a paying agency of the gazette; "
                    f"allowed: {', '.join(sorted(known_payers))}"
                )
            elif key == "eligibility" and isinstance(value, dict):
                # Eligibility is overridden key by key, like the instrument itself.
                good[key] = ins.eligibility.model_dump() | value
            else:
                good[key] = value
        try:
            new = InstrumentAdapter.validate_python(ins.model_dump() | good)
        except ValidationError as exc:
            problems += instrument_error_lines(exc, source, f"instruments.\"{ins_id}\"", ins.kind)
            new = None
        if new is None or len(good) != len(override):
            if problems_found is not None and ins.enabled:
                # Refused overrides: the later checks see the gazette's instrument, not a gap.
                resolved.append(ins)
            continue
        if new.enabled:
            resolved.append(new)

    # Budget lines: scenario lines first, then one open line per payer for the rest.
    years = tuple(scenario.horizon.years)
    line_specs: list[dict] = []
    owner: dict[str, int] = {}
    gazette_payer = {ins.id: ins.payer for ins in resolved}
    for name, line in scenario.budget.lines.items():
        matched = [ins.id for ins in resolved if any(fnmatch.fnmatchcase(ins.id, p) for p in line.programs)]
        for pattern in line.programs:
            if not any(fnmatch.fnmatchcase(i, pattern) for i in all_ids):
                problems.append(
                    f"{source}: budget.lines.{name}.programs: pattern '{pattern}' matches no instrument"
                    f"{_suggest(pattern, all_ids)}"
                )
        for pid in matched:
            payer_of = gazette_payer[pid]
            if payer_of != line.payer:
                problems.append(
                    f"{source}: budget.lines.{name}.programs: {pid} is paid by {payer_of}, not {line.payer}; "
                    "a budget line holds programmes of its own payer"
                )
            elif pid in owner:
                problems.append(
                    f"{source}: budget.lines.{name}.programs: {pid} is already in line "
                    f"'{line_specs[owner[pid]]['name']}'; a programme belongs to one budget line"
                )
            else:
                owner[pid] = len(line_specs)
        line_specs.append(
            {
                "name": name,
                "payer": line.payer,
                "ceiling": math.inf if line.ceiling_cny_per_year is None else line.ceiling_cny_per_year,
                "rationing": line.rationing,
            }
        )
    if problems and problems_found is None:
        raise ScenarioError(problems)
    if problems_found is not None:
        problems_found += problems
    default_line: dict[str, int] = {}
    for ins in resolved:
        if ins.id not in owner:
            if ins.payer not in default_line:
                default_line[ins.payer] = len(line_specs)
                line_specs.append({"name": ins.payer, "payer": ins.payer, "ceiling": math.inf, "rationing": "none"})
            owner[ins.id] = default_line[ins.payer]

    programs = []
    for index, ins in enumerate(resolved):
        share = np.array([validity_share(y, ins.valid_from, ins.valid_until) for y in years])
        line = owner[ins.id]
        programs.append(Program(index, ins, line_specs[line]["payer"], line, share))
    lines = tuple(
        BudgetLineSpec(
            spec["name"], spec["payer"], spec["ceiling"], spec["rationing"],
            tuple(p.index for p in programs if p.line == i),
        )
        for i, spec in enumerate(line_specs)
    )
    base_year = scenario.budget.base_year if scenario.budget.base_year is not None else years[0]
    sel = scenario.policy
    firms = getattr(scenario, "firms", None)
    readings = PolicyReadings(
        stack_software_and_scaleup_rewards=sel.stack_software_and_scaleup_rewards,
        one_off_claims=sel.one_off_claims,
        this_year_counting=sel.this_year_counting,
        software_stay_up=sel.software_stay_up,
        loan_subsidies_after_expiry=sel.loan_subsidies_after_expiry,
        discretionary_extras_share=firms.rewards.discretionary_extras_share if firms is not None else 0.5,
    )
    return PolicySet(
        years=years,
        programs=tuple(programs),
        lines=lines,
        discount_rate=scenario.budget.discount_rate,
        base_year=base_year,
        catalogue=gazette,
        readings=readings,
        _by_id={p.id: p for p in programs},
    )
