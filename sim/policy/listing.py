"""One-line descriptions of instruments, for ``sim policies`` and reports."""

from __future__ import annotations

from sim.policy.instrument import Instrument

__all__ = ["instrument_line", "amount_text"]


def _cny(v: float | None) -> str:
    return "no cap" if v is None else f"{v:,.0f} CNY"


def amount_text(ins: Instrument) -> str:
    """The instrument's amounts, rates and caps in words."""
    k = ins.kind
    if k == "tiered_grant":
        tiers = ", ".join(f">= {t:,.0f}: {a:,.0f} CNY" for t, a in zip(ins.tier_thresholds, ins.tier_amounts_cny))
        text = f"by {ins.measure}: {tiers}"
    elif k == "unit_subsidy":
        cap = "" if ins.price_cap_cny_per_kg is None else f" if price <= {ins.price_cap_cny_per_kg:.2f} CNY/kg"
        text = f"{ins.rate_cny_per_kg:g} CNY/kg sold{cap}"
    elif k == "cost_share":
        text = f"{ins.share:.0%} of {ins.base}, <= {_cny(ins.cap_per_project_cny)} per project"
        if ins.min_base_cny:
            text += f", base >= {ins.min_base_cny:,.0f} CNY"
    elif k == "interest_subsidy":
        rate = f"{ins.rate_points:g} points" if ins.rate_basis == "points" else f"up to {ins.rate_basis.upper()}"
        text = f"interest subsidy {rate}" + (f" for <= {ins.max_years} y" if ins.max_years else "")
    elif k == "threshold_reward":
        extras = ", ".join(f"+{v:,.0f} {n}" for n, v in ins.extras_cny.items() if v)
        text = f"{ins.event}: {ins.base_amount_cny:,.0f} CNY" + (f" ({extras})" if extras else "")
    elif k == "milestone_grant":
        text = (f"staged on milestones, matching >= {ins.min_matching_ratio:g} x city money, cycle "
                f"{ins.cycle_years_min}-{ins.cycle_years_max} y (<= {ins.cycle_years_max_extended})")
    elif k == "capped_grant":
        text = f"<= {_cny(ins.cap_per_project_cny)} per project"
    else:
        text = ", ".join(f"{n}: <= {v:,.0f} CNY" for n, v in ins.category_amounts_cny.items())
    if ins.cap_per_recipient_year_cny is not None:
        text += f"; <= {_cny(ins.cap_per_recipient_year_cny)} per recipient-year"
    if ins.cap_per_recipient_total_cny is not None:
        text += f"; <= {_cny(ins.cap_per_recipient_total_cny)} per recipient in all"
    return text


def instrument_line(ins: Instrument) -> str:
    """``id  kind  amounts  payer  validity  [citation]``."""
    return (f"{ins.id}  {ins.kind}  {amount_text(ins)}  payer {ins.payer}  "
            f"valid {ins.valid_from}..{ins.valid_until}  [{ins.citation}]")
