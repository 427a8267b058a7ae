"""One-line descriptions of instruments, for ``sim policies`` and reports."""

from __future__ import annotations

from sim.policy.kinds import KINDS, Instrument

__all__ = ["instrument_line", "amount_text"]


def _cny(v: float | None) -> str:
    return "no cap" if v is None else f"{v:,.0f} CNY"


def amount_text(ins: Instrument) -> str:
    """The instrument's amounts, rates and caps in words (its kind's description, then the caps)."""
    text = KINDS[ins.kind].describe(ins)
    if ins.assumed_amount:
        text += " (assumed amount, see its assumptions)"
    if ins.cap_per_recipient_year_cny is not None:
        text += f"; <= {_cny(ins.cap_per_recipient_year_cny)} per recipient-year"
    if ins.cap_per_recipient_total_cny is not None:
        text += f"; <= {_cny(ins.cap_per_recipient_total_cny)} per recipient in all"
    if ins.shared_cap_group:
        text += f" (caps shared across {ins.shared_cap_group})"
    return text


def instrument_line(ins: Instrument, payer_en: str | None = None) -> str:
    """``id  kind  amounts  payer (English name)  validity  [citation]``.

    Parameters
    ----------
    ins : Instrument
    payer_en : str, optional
        The payer's English name (:func:`~sim.policy.payers.payer_english`), shown after its
        name when it differs from it.
    """
    payer = ins.payer if payer_en in (None, ins.payer) else f"{ins.payer} ({payer_en})"
    return (f"{ins.id}  {ins.kind}  {amount_text(ins)}  payer {payer}  "
            f"valid {ins.valid_from}..{ins.valid_until}  [{ins.citation}]")
