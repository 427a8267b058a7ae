"""Instrument kinds, one module each, discovered from this package.

A kind module defines ``KIND``, a :class:`~sim.policy.kinds._base.KindSpec`: its schema, payout
rule, description and claim handler. Adding a kind is adding a module; nothing else lists them.
The pure payout rules are re-exported here for kernels and tests.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Annotated, TypeAlias, Union

from pydantic import Field, TypeAdapter

from sim.messages import key_path, problem_line, unknown_key
from sim.policy.instrument import FIXED_FIELDS, InstrumentBase
from sim.policy.kinds._base import ClaimContext, KindSpec, Payment
from sim.policy.kinds.capped_grant import capped_grant
from sim.policy.kinds.cost_share import cost_share
from sim.policy.kinds.interest_subsidy import interest_subsidy
from sim.policy.kinds.milestone_grant import matching_ratio_ok, milestone_stage_payment
from sim.policy.kinds.threshold_reward import threshold_reward
from sim.policy.kinds.tiered_grant import tiered_grant
from sim.policy.kinds.unit_subsidy import price_within_cap, unit_subsidy_under_price_cap

__all__ = [
    "KINDS",
    "KIND_NAMES",
    "Instrument",
    "InstrumentAdapter",
    "OVERRIDABLE_FIELDS",
    "KindSpec",
    "ClaimContext",
    "Payment",
    "capped_grant",
    "cost_share",
    "interest_subsidy",
    "matching_ratio_ok",
    "milestone_stage_payment",
    "price_within_cap",
    "threshold_reward",
    "tiered_grant",
    "unit_subsidy_under_price_cap",
    "instrument_error_lines",
]


def _discover() -> dict[str, KindSpec]:
    found: dict[str, KindSpec] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        spec = importlib.import_module(f"{__name__}.{info.name}").KIND
        found[spec.name] = spec
    return found


#: Every kind, by its ``kind`` value.
KINDS: dict[str, KindSpec] = _discover()
KIND_NAMES: tuple[str, ...] = tuple(KINDS)

#: Any instrument: the union of the kinds' schemas, told apart by ``kind``.
#: (For the type checker, which cannot follow a union built at import time, any InstrumentBase.)
if TYPE_CHECKING:
    Instrument: TypeAlias = InstrumentBase
else:
    # Union[...] of a runtime tuple: the `X | Y` form cannot spread a tuple.
    Instrument = Annotated[Union[tuple(k.schema for k in KINDS.values())], Field(discriminator="kind")]  # noqa: UP007
InstrumentAdapter: TypeAdapter = TypeAdapter(Instrument)

#: Every field a scenario may override, by kind.
OVERRIDABLE_FIELDS: dict[str, frozenset[str]] = {
    name: frozenset(k.schema.model_fields) - FIXED_FIELDS for name, k in KINDS.items()
}


def _fields_at(kind: str | None, loc: tuple) -> list[str]:
    """Field names allowed at a location inside an instrument of `kind` (for "did you mean")."""
    if kind not in KINDS:
        return []
    model = KINDS[kind].schema
    for part in loc:
        field = model.model_fields.get(str(part)) if hasattr(model, "model_fields") else None
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and hasattr(annotation, "model_fields")):
            return []
        model = annotation
    return list(model.model_fields)


def instrument_error_lines(exc, source: str, where: str, kind: str | None) -> list[str]:
    """One line per problem of an instrument record: ``source: where.key: what is wrong; what is allowed``.

    Parameters
    ----------
    exc : pydantic.ValidationError
        From validating the record with :data:`InstrumentAdapter`.
    source : str
        The file the record comes from.
    where : str
        Its key path (``instruments."<id>"`` or ``instrument[3] (<id>)``).
    kind : str, optional
        The record's kind, to list the keys allowed where one is unknown.
    """
    lines = []
    for e in exc.errors():
        loc = tuple(p for p in e["loc"] if p not in KINDS)
        key = key_path(loc)
        at = f"{where}.{key}" if key else where
        if e["type"] == "extra_forbidden":
            lines.append(f"{source}: {at}: {unknown_key(loc[-1], _fields_at(kind, loc[:-1]))}")
            continue
        # A problem with the record as a whole (a missing kind, say) would quote the whole record.
        lines.append(problem_line(source, at, e, show_value=bool(key), finite_hint=False))
    return lines
