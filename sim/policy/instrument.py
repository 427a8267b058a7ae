"""Instruments, documents and targets of the gazette as validated records.

The gazette is shipped as one TOML file per document in ``sim/policy/gazette/``. Each file has a
``[document]`` table, ``[[instrument]]`` tables and ``[[target]]`` tables; the models below are the
schema of those tables. A scenario overrides an instrument by writing any of its fields (except
``id``, ``kind``, ``recipient`` and ``citation``) under ``[instruments."<id>"]``; the merged record
is validated again by the same model, so an override obeys exactly the rules of the data.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "DOCUMENT_KEYS",
    "Citation",
    "Document",
    "Instrument",
    "InstrumentAdapter",
    "Target",
    "OVERRIDABLE_FIELDS",
]

DOCUMENT_KEYS: tuple[str, ...] = (
    "centers",
    "cohesion",
    "transfer",
    "managers",
    "software",
    "digital_human",
    "hydrogen",
    "scaleup",
)
_ID_PATTERN = r"^(centers|cohesion|transfer|managers|software|digital_human|hydrogen|scaleup)\.[A-Za-z0-9_]+\.[a-z0-9_]+$"

NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


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
    """One of the eight documents of the gazette."""

    key: Literal["centers", "cohesion", "transfer", "managers", "software", "digital_human", "hydrogen", "scaleup"]
    number: str
    title: str
    title_en: str
    issued: dt.date
    valid_from: dt.date
    valid_until: dt.date | None = None
    validity: Citation | None = None
    notes: str = ""


class _InstrumentBase(_Strict):
    id: str = Field(pattern=_ID_PATTERN)
    name: str
    citation: Citation
    payer: str
    recipient: Literal["firm", "station", "incubator", "centre", "project", "organisation", "person"]
    valid_from: dt.date
    valid_until: dt.date
    payment_lag_years: int = Field(default=0, ge=0, le=10)
    share_of_cap_paid: Share = 1.0
    cap_per_recipient_year_cny: NonNegative | None = None
    cap_per_recipient_total_cny: NonNegative | None = None
    enabled: bool = True
    eligibility: dict[str, float | int | str | bool | list[str] | list[int]] = Field(default_factory=dict)
    assumptions: list[str] = Field(default_factory=list)
    notes: str = ""

    @model_validator(mode="after")
    def _window_ordered(self):
        if self.valid_until < self.valid_from:
            raise ValueError(
                f"valid_until ({self.valid_until}) is before valid_from ({self.valid_from}); "
                "the end date must be on or after the start date"
            )
        return self

    @property
    def document(self) -> str:
        """Document key, the first part of the id."""
        return self.id.split(".", 1)[0]


class TieredGrant(_InstrumentBase):
    """Fixed grant by tier of a measured quantity (``measure >= threshold``)."""

    kind: Literal["tiered_grant"]
    measure: str
    tier_thresholds: list[NonNegative] = Field(min_length=1)
    tier_amounts_cny: list[NonNegative] = Field(min_length=1)

    @model_validator(mode="after")
    def _tiers_consistent(self):
        if len(self.tier_thresholds) != len(self.tier_amounts_cny):
            raise ValueError("tier_thresholds and tier_amounts_cny must have the same length")
        if any(a <= b for a, b in zip(self.tier_thresholds, self.tier_thresholds[1:])):
            raise ValueError("tier_thresholds must be strictly descending")
        return self


class UnitSubsidy(_InstrumentBase):
    """Subsidy per kg sold, for sellers whose price is at or under a cap."""

    kind: Literal["unit_subsidy"]
    rate_cny_per_kg: NonNegative
    price_cap_cny_per_kg: NonNegative | None = None


class CostShare(_InstrumentBase):
    """Share of an eligible amount, capped per project (and per recipient via the common caps)."""

    kind: Literal["cost_share"]
    base: str
    share: Share
    cap_per_project_cny: NonNegative | None = None
    min_base_cny: NonNegative = 0.0


class InterestSubsidy(_InstrumentBase):
    """Loan-interest subsidy in percentage points or at the loan prime rate (LPR)."""

    kind: Literal["interest_subsidy"]
    rate_basis: Literal["points", "lpr_1y", "lpr_5y"]
    rate_points: NonNegative | None = None
    max_years: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _points_given(self):
        if self.rate_basis == "points" and self.rate_points is None:
            raise ValueError("rate_points is required when rate_basis = 'points'")
        return self


class ThresholdReward(_InstrumentBase):
    """One-off reward for a firm's first crossing of a size threshold, with extras and exclusions."""

    kind: Literal["threshold_reward"]
    event: Literal[
        "first_above_size_last_year",
        "first_above_size_this_year",
        "first_above_100m_last_year",
        "first_above_size_last_year_and_100m",
    ]
    base_amount_cny: NonNegative
    extras_cny: dict[str, NonNegative] = Field(default_factory=dict)
    #: Firm categories excluded from the whole instrument.
    excluded: list[str] = Field(default_factory=list)
    #: Firm categories that keep the base reward and the discretionary extras but get no 专精特新
    #: extra (``extras_cny.srdi``), as L838 excludes central-funded little giants from it.
    extras_excluded_for: list[str] = Field(default_factory=list)


class MilestoneGrant(_InstrumentBase):
    """City money released in stages on passing milestone evaluations, against matching funds."""

    kind: Literal["milestone_grant"]
    min_matching_ratio: NonNegative
    cycle_years_min: int = Field(ge=1)
    cycle_years_max: int = Field(ge=1)
    cycle_years_max_extended: int = Field(ge=1)
    milestone_interval_years_max: NonNegative
    ip_income_split: dict[str, Share] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _cycles_ordered(self):
        if not self.cycle_years_min <= self.cycle_years_max <= self.cycle_years_max_extended:
            raise ValueError("need cycle_years_min <= cycle_years_max <= cycle_years_max_extended")
        if self.ip_income_split and abs(sum(self.ip_income_split.values()) - 1.0) > 1e-9:
            raise ValueError("ip_income_split shares must add up to 1")
        return self


class CappedGrant(_InstrumentBase):
    """A grant of "up to" an amount per project."""

    kind: Literal["capped_grant"]
    cap_per_project_cny: NonNegative


class CategoryGrant(_InstrumentBase):
    """A grant whose ceiling depends on the category of the item (standard level, post held)."""

    kind: Literal["category_grant"]
    category_amounts_cny: dict[str, NonNegative] = Field(min_length=1)


Instrument = Annotated[
    Union[
        TieredGrant, UnitSubsidy, CostShare, InterestSubsidy, ThresholdReward, MilestoneGrant, CappedGrant, CategoryGrant
    ],
    Field(discriminator="kind"),
]

from pydantic import TypeAdapter  # noqa: E402  (after the union it adapts)

InstrumentAdapter: TypeAdapter = TypeAdapter(Instrument)

#: Fields a scenario may not override: they say what the instrument *is*, not how it is set.
FIXED_FIELDS = frozenset({"id", "kind", "recipient", "citation", "name"})
#: Every field a scenario may override, by kind.
OVERRIDABLE_FIELDS: dict[str, frozenset[str]] = {
    model.model_fields["kind"].annotation.__args__[0]: frozenset(model.model_fields) - FIXED_FIELDS
    for model in (
        TieredGrant, UnitSubsidy, CostShare, InterestSubsidy, ThresholdReward, MilestoneGrant, CappedGrant, CategoryGrant
    )
}


class Target(_Strict):
    """A quantified goal of the gazette for a year (e.g. 2025), and the quantity it is measured on."""

    id: str = Field(pattern=_ID_PATTERN)
    name: str
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
