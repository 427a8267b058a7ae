"""What every instrument, document and target of the gazette is, whatever its kind.

The gazette is shipped as one TOML file per document in ``sim/policy/gazette/``; a scenario may
add documents of its own in the same format (``[policy] documents``). Each file has a
``[document]`` table, ``[[instrument]]`` tables and ``[[target]]`` tables. This module holds the
parts common to every kind (:class:`InstrumentBase`, :class:`Eligibility`); each kind adds its
own fields and its typed ``eligibility`` in its module of :mod:`sim.policy.kinds`.

A scenario overrides an instrument by writing any of its fields (except those in
:data:`FIXED_FIELDS`) under ``[instruments."<id>"]``; the merged record is validated again by
the same model, so an override obeys exactly the rules of the data.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from sim.scenario.base import MAX_MAGNITUDE

__all__ = [
    "Citation",
    "Document",
    "Eligibility",
    "StationEligibility",
    "InstrumentBase",
    "Payer",
    "eligible_districts",
    "Target",
    "FIXED_FIELDS",
    "RECIPIENTS_WITHOUT_POPULATION",
    "ID_PATTERN",
    "NonNegative",
    "Share",
]

#: ``<document>.<item>.<name>``: the document key, the item or article, a snake-case name.
ID_PATTERN = r"^[a-z][a-z0-9_]*\.[A-Za-z0-9_]+\.[a-z0-9_]+$"
DOCUMENT_KEY_PATTERN = r"^[a-z][a-z0-9_]*$"

# Amounts, rates and thresholds are bounded as a scenario's numbers are, so an override cannot
# make an outlay infinite.
NonNegative = Annotated[float, Field(ge=0.0, le=MAX_MAGNITUDE, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]

#: Who an instrument may pay besides the recipients of the populations (each population's folder
#: names its own: :func:`sim.populations.recipient_names`): those the gazette names that no
#: population models, whose programmes a scenario lists as unclaimed.
RECIPIENTS_WITHOUT_POPULATION = ("organisation", "person")
#: A recipient's name; the loader checks it against the populations' recipients and the above
#: (:func:`sim.scenario.loader.check_claimants`), so a new population needs no edit here.
Recipient = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]*$", max_length=40)]

#: Fields a scenario may not override: they say what the instrument *is*, not how it is set.
FIXED_FIELDS = frozenset({"id", "kind", "recipient", "citation", "name", "name_zh"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True)


class Citation(_Strict):
    """Where a clause stands: document number, item or article, and line(s) in the seed file."""

    document_number: str
    item: str
    line: str = Field(pattern=r"^L\d+(-\d+)?$")
    quote: str = ""

    def __str__(self) -> str:
        return f"{self.document_number} item {self.item}, {self.line}"


class Document(_Strict):
    """One policy document: of the gazette (D1…D8) or added by a scenario.

    ``position`` orders the documents (the gazette's D-number; a scenario's documents come
    after the gazette's, in the order listed), and with them the ``program`` dimension.
    """

    key: str = Field(pattern=DOCUMENT_KEY_PATTERN)
    position: int = Field(ge=1, le=10_000)
    number: str
    title: str
    title_en: str
    issued: dt.date
    valid_from: dt.date
    valid_until: dt.date | None = None
    validity: Citation | None = None
    notes: str = ""


class Eligibility(_Strict):
    """Base of each kind's typed eligibility: unknown keys are refused (with "did you mean")."""


class StationEligibility(Eligibility):
    """Which stations an instrument paid to stations is for.

    Attributes
    ----------
    district : str or list of str, optional
        The district (or districts) whose stations are paid, by the names of the scenario's
        ``[hydrogen] districts`` (``"Daxing"``, ``["Daxing", "Fangshan"]``); None (the default):
        stations of every district. ``sim validate`` refuses a name the scenario does not have.
    """

    district: str | list[str] | None = None

    @field_validator("district")
    @classmethod
    def _names_given(cls, v: str | list[str] | None) -> str | list[str] | None:
        names = [v] if isinstance(v, str) else v
        if names is None:
            return v
        if not names:
            raise ValueError("an empty list pays no station; leave district out for every district")
        if any(not n.strip() for n in names):
            raise ValueError("a district name must not be empty")
        if len(set(names)) != len(names):
            raise ValueError(f"district names must not repeat: {names}")
        return v

    def districts(self) -> tuple[str, ...] | None:
        """The districts paid, as a tuple; None for every district."""
        if self.district is None:
            return None
        return (self.district,) if isinstance(self.district, str) else tuple(self.district)


def eligible_districts(instrument: InstrumentBase) -> tuple[str, ...] | None:
    """The districts an instrument is limited to (None: not limited by district, or no such field)."""
    eligibility = instrument.eligibility
    return eligibility.districts() if isinstance(eligibility, StationEligibility) else None


class Payer(_Strict):
    """A paying agency a document file declares (``[[payer]]``), with its English name.

    Attributes
    ----------
    name : str
        The name as the document's instruments write it in ``payer`` (Chinese).
    name_en : str
        Its English name, shown by plots and reports (fonts without CJK glyphs draw boxes).
    """

    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)


class InstrumentBase(_Strict):
    """Fields every instrument has.

    Attributes
    ----------
    id : str
        ``<document>.<item>.<name>``.
    name, name_zh : str
        What it is called in English and in Chinese (``name_zh`` optional: reports then show the
        document title and item).
    recipient : str
        Who it pays: a population's recipient (``firm``, ``station`` ...) or one of
        :data:`RECIPIENTS_WITHOUT_POPULATION`.
    payer : str
        The paying agency (joint payers written as the gazette writes them, joined by "、").
    valid_from, valid_until : datetime.date
        Validity window, both days inclusive.
    payment_lag_years : int
        Years between approval and payment.
    share_of_cap_paid : float
        Share of the rule's amount actually paid (1.0 = the cap: maximum exposure).
    cap_per_recipient_year_cny, cap_per_recipient_total_cny : float, optional
        Caps per recipient and year, and per recipient in all.
    shared_cap_group : str, optional
        Instruments naming the same group share their caps per recipient (one cap, several
        instruments: D5 item 9's M&A and major-project loans, L603).
    assumed_amount : bool
        The amount is not in the text but assumed (see ``assumptions``); reports mark it.
    """

    id: str = Field(pattern=ID_PATTERN)
    name: str
    name_zh: str = ""
    citation: Citation
    payer: str
    recipient: Recipient
    valid_from: dt.date
    valid_until: dt.date
    payment_lag_years: int = Field(default=0, ge=0, le=10)
    share_of_cap_paid: Share = 1.0
    cap_per_recipient_year_cny: NonNegative | None = None
    cap_per_recipient_total_cny: NonNegative | None = None
    shared_cap_group: str | None = Field(default=None, pattern=r"^[a-z0-9_.]+$")
    enabled: bool = True
    assumed_amount: bool = False
    assumptions: list[str] = Field(default_factory=list)
    notes: str = ""

    if TYPE_CHECKING:
        # Every kind's schema declares these (a ``Literal`` kind and its own eligibility model);
        # declared here for the type checker only, so pydantic sees no extra fields.
        kind: str
        eligibility: Eligibility

    @model_validator(mode="after")
    def _window_ordered(self):
        if self.valid_until < self.valid_from:
            raise ValueError(
                f"valid_until ({self.valid_until}) is before valid_from ({self.valid_from}); "
                "the end date must be on or after the start date"
            )
        if self.assumed_amount and not self.assumptions:
            raise ValueError("assumed_amount = true needs the assumption and its reasoning in assumptions")
        return self

    @property
    def document(self) -> str:
        """Document key, the first part of the id."""
        return self.id.split(".", 1)[0]


class Target(_Strict):
    """A quantified goal for a year (e.g. 2025), and the quantity it is measured on."""

    id: str = Field(pattern=ID_PATTERN)
    name: str
    name_zh: str = ""
    citation: Citation
    year: int
    quantity: str
    comparison: Literal[">", ">="]
    value: float
    unit: str
    notes: str = ""

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError("target value must be finite")
        return v
