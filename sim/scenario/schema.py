"""The scenario: what an economist writes in a TOML file, as a validated model.

Top-level tables:

``name``, ``description``, ``extends``
    Identity; ``extends`` includes another file (see :mod:`sim.scenario.loader`).
``[horizon]``
    ``first_year``, ``last_year`` (inclusive).
``[ensemble]``
    ``draws`` (>= 1) and ``seed``.
``[policy]``
    ``in_force``: glob patterns over instrument ids (default every instrument of the gazette);
    ``stack_software_and_scaleup_rewards``: pay D5 item 8 and D8 for the same event (default no).
``[instruments."<id>"]``
    Overrides of an instrument's fields (amounts, rates, caps, validity dates, payment lag,
    ``share_of_cap_paid``, ``enabled``).
``[budget]``
    ``discount_rate`` and ``base_year`` for present values; ``[budget.lines.<name>]`` with
    ``payer``, ``programs`` (glob patterns), ``ceiling_cny_per_year`` and ``rationing``.
``[macro]``
    Paths of macro variables by year, e.g. the loan prime rates.
``[projects]``, ``[firms]``, ``[hydrogen]``, ``[centres]``, ``[incubators]``, ...
    The populations and their behaviour, one section each, assembled from the populations
    discovered in :mod:`sim.populations` (each folder brings its section's model); each section
    is optional and switched off when absent.
``[calibration]``
    ``posterior_csv``: a posterior sample written by ``sim calibrate``; each draw takes its
    fitted parameters from one row (see :mod:`sim.scenario.calibration_section`).
``[parameter_sources."<path>"]``
    The scenario's own notes on the values it sets: exactly one of ``source`` or ``assumption``,
    and an optional ``unit`` (see :mod:`sim.scenario.provenance`); ``*`` stands for one segment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, create_model, model_validator

from sim.populations import populations
from sim.scenario.base import MAX_DRAWS, StrictModel, Year, YearTable
from sim.scenario.calibration_section import CalibrationSection
from sim.scenario.provenance import ParameterNote, parse_path

__all__ = ["Scenario", "Horizon", "Ensemble", "PolicySelection", "Budget", "BudgetLine", "Macro"]


Percent = Annotated[float, Field(ge=0.0, le=100.0)]


class Horizon(StrictModel):
    """First and last simulated year, inclusive."""

    first_year: Year = 2022
    last_year: Year = 2030

    @model_validator(mode="after")
    def _ordered(self):
        if self.last_year < self.first_year:
            raise ValueError(f"last_year (={self.last_year}) must be >= first_year (={self.first_year})")
        return self

    @property
    def years(self) -> list[int]:
        """Simulated years in order."""
        return list(range(self.first_year, self.last_year + 1))


class Ensemble(StrictModel):
    """Number of draws and the seed of the ensemble."""

    draws: int = Field(default=20, ge=1, le=MAX_DRAWS)
    seed: int = Field(default=20221206, ge=0, lt=2**63)


class PolicySelection(StrictModel):
    """Which instruments are in force, the scenario's own documents, and readings of the text.

    Attributes
    ----------
    in_force : list of str
        Glob patterns over instrument ids (default: every instrument).
    documents : list of str
        The scenario's own policy documents, in the format of ``sim/policy/gazette/*.toml``,
        paths relative to the scenario file; their instruments join the gazette's.
    stack_software_and_scaleup_rewards : bool
        Pay D5 item 8 and D8 item 3 for the same event (default: no, "从优、从高、不重复", L615).
    one_off_claims : {"in_window", "random_day"}
        One-off rewards and grants in a year the window covers only in part: ``in_window``
        (default) every claim is made while the window is open and paid in full; ``random_day``
        each firm applies on a day drawn for it, paid in full inside the window, not at all outside.
    this_year_counting : {"new_firms", "any_first_inclusion"}
        Who is "当年首次纳入" (D8 item 2, L828): ``new_firms`` (default) entrants counted in their
        first year; ``any_first_inclusion`` any firm first counted in the year.
    software_stay_up : {"at_100m_when_first_counted", "first_100m_last_year"}
        The software reward's condition (D5 item 8, D8 item 3): ``at_100m_when_first_counted``
        (default, L599/L832) revenue >= 100,000,000 in the year first counted above size;
        ``first_100m_last_year`` first reaching 100,000,000 last year, as L820 defines 稳规.
    loan_subsidies_after_expiry : {"stop_at_expiry", "run_to_term"}
        ``stop_at_expiry`` (default) pays interest subsidies only for the part of each year
        inside the window; ``run_to_term`` subsidises loans approved inside the window to the end
        of their term ("期限不超过 3 年", D5 item 9, L603).
    """

    in_force: list[str] = Field(default_factory=lambda: ["*"])
    documents: list[str] = Field(default_factory=list)
    stack_software_and_scaleup_rewards: bool = False
    one_off_claims: Literal["in_window", "random_day"] = "in_window"
    this_year_counting: Literal["new_firms", "any_first_inclusion"] = "new_firms"
    software_stay_up: Literal["at_100m_when_first_counted", "first_100m_last_year"] = "at_100m_when_first_counted"
    loan_subsidies_after_expiry: Literal["stop_at_expiry", "run_to_term"] = "stop_at_expiry"


class BudgetLine(StrictModel):
    """A budget line: the programmes a payer funds from it, its yearly ceiling and rationing rule.

    ``rationing`` decides what happens when the claims due in a year exceed the ceiling:
    ``none`` pays them all (the ceiling is only watched: overruns are reported), ``pro_rata``
    pays every claim the same share and forfeits the rest, ``queue`` pays claims in order of
    approval and carries the unpaid ones to the next year, first in line.
    """

    payer: str
    programs: list[str] = Field(min_length=1)
    ceiling_cny_per_year: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] | None = None
    rationing: Literal["none", "pro_rata", "queue"] = "none"


class Budget(StrictModel):
    """Budget lines and the discounting of outlays to present values."""

    discount_rate: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.03
    base_year: Year | None = None
    lines: dict[str, BudgetLine] = Field(default_factory=dict)


class Macro(StrictModel):
    """Macro-economic paths by year; a year missing from a path takes the last earlier value."""

    lpr_1y_percent: YearTable[Percent] = Field(default_factory=dict)
    lpr_5y_percent: YearTable[Percent] = Field(default_factory=dict)

    def rates_by_year(self, years: list[int]) -> dict[str, dict[int, float]]:
        """Every rate path the scenario gives, by name without ``_percent`` (``lpr_5y``) and year.

        Years before a path's first value are left out (a programme needing them is refused by
        ``sim validate``).
        """
        out: dict[str, dict[int, float]] = {}
        for name in ("lpr_1y_percent", "lpr_5y_percent"):
            series = {int(k): v for k, v in getattr(self, name).items()}
            if not series:
                continue
            out[name.removesuffix("_percent")] = {
                y: series[max(k for k in series if k <= y)] for y in years if any(k <= y for k in series)
            }
        return out

    def path(self, name: str, years: list[int]) -> list[float]:
        """Values of a path for the given years, carried forward from the last earlier year.

        Raises
        ------
        ValueError
            If the path has no value at or before the first year asked for.
        """
        series = {int(k): v for k, v in getattr(self, name).items()}
        out = []
        for y in years:
            earlier = [k for k in series if k <= y]
            if not earlier:
                raise ValueError(f"macro.{name} has no value for {y} or earlier")
            out.append(series[max(earlier)])
        return out


def _check_note_paths(table: dict) -> dict:
    for key in table:
        parse_path(key)  # raises ValueError with the problem
    return table


#: Longest scenario name: it names a folder (``results/<name>``), with room for the staging prefix.
NAME_MAX_LENGTH = 100
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def _check_name(name: str) -> str:
    # The name becomes a folder name: no separators or parent references can steer --out elsewhere.
    if not set(name) <= _NAME_CHARACTERS or name in (".",) or ".." in name:
        raise ValueError("must be a name (letters, digits, '-', '_', '.'; not '.', no '..'), not a path")
    return name


#: The tables every scenario has, before the populations' sections.
_CORE_FIELDS: dict[str, Any] = {
    "name": (Annotated[str, AfterValidator(_check_name)], Field(min_length=1, max_length=NAME_MAX_LENGTH)),
    "description": (str, ""),
    "horizon": (Horizon, Field(default_factory=Horizon)),
    "ensemble": (Ensemble, Field(default_factory=Ensemble)),
    "policy": (PolicySelection, Field(default_factory=PolicySelection)),
    "instruments": (dict[str, dict], Field(default_factory=dict)),
    "budget": (Budget, Field(default_factory=Budget)),
    "macro": (Macro, Field(default_factory=Macro)),
}


def _assemble_scenario() -> type[StrictModel]:
    """The scenario model: the core tables, one optional table per discovered population (in
    their ``schema_order``), then ``calibration`` and ``parameter_sources``.
    """
    ordered = sorted(populations(), key=lambda p: (p.schema_order, p.name))
    sections = {p.section: (p.section_model | None, None) for p in ordered}
    clash = sorted(set(sections) & (set(_CORE_FIELDS) | {"calibration", "parameter_sources"}))
    if clash:
        raise ImportError(f"sim/populations: section {clash[0]!r} is a table every scenario has; choose another name")
    notes: Any = (Annotated[dict[str, ParameterNote], AfterValidator(_check_note_paths)], Field(default_factory=dict))
    calibration: Any = (CalibrationSection | None, None)
    fields: dict[str, Any] = {**_CORE_FIELDS, **sections, "calibration": calibration, "parameter_sources": notes}
    return create_model(
        "Scenario",
        __base__=StrictModel,
        __module__=__name__,
        __doc__="A validated scenario. Build it with :func:`sim.scenario.loader.load_scenario`.",
        **fields,
    )


if TYPE_CHECKING:

    class Scenario(StrictModel):
        """A validated scenario (for the type checker: the core tables typed, a population's
        section as ``Any``, since the model is assembled at import time).
        """

        name: str
        description: str
        horizon: Horizon
        ensemble: Ensemble
        policy: PolicySelection
        instruments: dict[str, dict]
        budget: Budget
        macro: Macro
        calibration: CalibrationSection | None
        parameter_sources: dict[str, ParameterNote]

        def __getattr__(self, section: str) -> Any: ...

else:
    Scenario = _assemble_scenario()
