"""Interest subsidy ("贴息"): percentage points or up to the loan prime rate (D5 items 1, 4, 9; D7 item 11).

Paid each year on the average balance of each open loan, never above the interest the borrower
pays, for at most ``max_years``, capped per recipient-year. After the instrument expires, the
scenario's reading decides (``[policy] loan_subsidies_after_expiry``): ``stop_at_expiry``
pro-rates every year by its share inside the window (nothing after it); ``run_to_term``
subsidises a loan approved inside the window to the end of its term ("期限不超过 3 年", L603).
"""

from __future__ import annotations

from typing import Literal, cast

import numpy as np
from numba import njit
from pydantic import Field, model_validator

from sim.core.claim_kernels import group_by_program
from sim.policy.facts import ClaimBasis, FirmLoans, ProjectLoans
from sim.policy.instrument import Eligibility, InstrumentBase, NonNegative
from sim.policy.kinds._base import KindSpec, Payment, file_positive

__all__ = ["InterestSubsidy", "InterestSubsidyEligibility", "interest_subsidy", "interest_subsidies", "loan_claims",
           "subsidy_rate_percent", "lpr_path_problems", "KIND"]


class InterestSubsidyEligibility(Eligibility):
    """Which loans and borrowers qualify.

    Attributes
    ----------
    loan_types : list of str
        Loans subsidised (fixed-asset, R&D, working capital, M&A, construction).
    min_fixed_asset_investment_recorded_cny : float, optional
        Smallest fixed-asset investment of the borrower recorded in the statistics (纳统), CNY,
        inclusive (D5 item 9: "1000 万元以上", L603).
    recorded_fixed_asset_investment : bool
        The borrower must have some recorded fixed-asset investment ("纳统有一定贡献", D7 item 11,
        L765): any amount above 0.
    """

    loan_types: list[Literal["fixed_asset", "rd", "working_capital", "ma", "construction"]] = \
        Field(default_factory=list)
    min_fixed_asset_investment_recorded_cny: NonNegative | None = None
    recorded_fixed_asset_investment: bool = False

    def investment_floor_cny(self) -> float:
        """Smallest recorded investment of a borrower (0: any, including none), CNY."""
        if self.min_fixed_asset_investment_recorded_cny is not None:
            return float(self.min_fixed_asset_investment_recorded_cny)
        # "Some contribution": the smallest positive amount the state can hold.
        return float(np.nextafter(0.0, 1.0)) if self.recorded_fixed_asset_investment else 0.0


class InterestSubsidy(InstrumentBase):
    """Loan-interest subsidy in percentage points or at the loan prime rate (LPR)."""

    kind: Literal["interest_subsidy"]
    rate_basis: Literal["points", "lpr_1y", "lpr_5y"]
    rate_points: NonNegative | None = None
    max_years: int | None = Field(default=None, ge=1)
    eligibility: InterestSubsidyEligibility = Field(default_factory=InterestSubsidyEligibility)

    @model_validator(mode="after")
    def _points_given(self):
        if self.rate_basis == "points" and self.rate_points is None:
            raise ValueError("rate_points is required when rate_basis = 'points'")
        return self


@njit(cache=True)
def interest_subsidy(
    loan_balance_cny: float,
    loan_rate_percent: float,
    subsidy_rate_percent: float,
    loan_age_years: int,
    max_years: int,
    cap_per_recipient_year_cny: float,
) -> float:
    """Yearly loan-interest subsidy ("贴息").

    Parameters
    ----------
    loan_balance_cny : float
        Average balance outstanding in the year, CNY.
    loan_rate_percent : float
        Interest rate the borrower pays, percent a year; the subsidy never exceeds the interest.
    subsidy_rate_percent : float
        Subsidised rate, percent a year: the instrument's percentage points (e.g. 2) or the LPR
        of the year for LPR-linked instruments.
    loan_age_years : int
        Years since the loan was drawn (0 in the year it is drawn).
    max_years : int
        Years the subsidy lasts (e.g. 3, or 1 for M&A); a negative value means no limit.
    cap_per_recipient_year_cny : float
        Most paid per recipient and year, CNY.

    Returns
    -------
    float
        ``balance * min(subsidy rate, loan rate) / 100``, capped, or 0 beyond the duration.
    """
    if loan_balance_cny <= 0.0:
        return 0.0
    if max_years >= 0 and loan_age_years >= max_years:
        return 0.0
    rate = min(subsidy_rate_percent, loan_rate_percent)
    if rate <= 0.0:
        return 0.0
    return min(loan_balance_cny * rate / 100.0, cap_per_recipient_year_cny)


@njit(cache=True)
def interest_subsidies(balance_cny, loan_rate_percent, subsidy_rate_percent, age_years, max_years, cap_year_cny):
    """:func:`interest_subsidy` of each loan (arrays of balances and ages; scalars otherwise)."""
    out = np.zeros(balance_cny.shape[0])
    for k in range(balance_cny.shape[0]):
        out[k] = interest_subsidy(balance_cny[k], loan_rate_percent, subsidy_rate_percent, age_years[k], max_years,
                                  cap_year_cny)
    return out


@njit(cache=True)
def loan_claims(rows, ids, balance_cny, age_years, loan_rate_percent, subsidy_rate_percent, max_years, cap_year_cny):
    """The claims of one programme's loans: :func:`interest_subsidy` of each loan of `rows`, and
    the recipient, amount and age of those with a positive amount, in the order of `rows`.
    """
    kept_ids = np.empty(rows.shape[0], dtype=np.int64)
    kept_amounts = np.empty(rows.shape[0])
    kept_ages = np.empty(rows.shape[0], dtype=np.int64)
    n = 0
    for k in range(rows.shape[0]):
        i = rows[k]
        a = interest_subsidy(balance_cny[i], loan_rate_percent, subsidy_rate_percent, age_years[i], max_years,
                             cap_year_cny)
        if a > 0.0:
            kept_ids[n], kept_amounts[n], kept_ages[n] = ids[i], a, age_years[i]
            n += 1
    return kept_ids[:n], kept_amounts[:n], kept_ages[:n]


def subsidy_rate_percent(ins: InterestSubsidy, rates_percent) -> float:
    """The subsidised rate of the year: the points, or the LPR the scenario's [macro] gives."""
    if ins.rate_basis == "points":
        return float(cast(float, ins.rate_points))  # the schema requires rate_points for this basis
    return float(rates_percent[ins.rate_basis])


def lpr_path_problems(ins: InterestSubsidy, scenario, policy, source: str, where: str) -> list[str]:
    """Why an LPR-linked programme cannot be paid in this scenario (one line each; none if it can).

    The subsidy follows the loan prime rate of each year the programme pays, so the scenario's
    ``[macro]`` must give the rate at or before the first of them.
    """
    if ins.rate_basis == "points":
        return []
    name = f"{ins.rate_basis}_percent"
    if not getattr(scenario.macro, name):
        return [f"{source}: {where}: {ins.id} is LPR-linked (rate_basis = '{ins.rate_basis}'); the scenario needs "
                f"macro.{name}, e.g. [macro] {name} = {{ \"2022\" = 4.3 }}"]
    try:
        scenario.macro.path(name, list(policy.years))
    except ValueError as exc:
        return [f"{source}: macro.{name}: {exc}; {ins.id} pays from {policy.years[0]}"]
    return []


def _applies(ins: InterestSubsidy, basis: ClaimBasis) -> bool:
    return basis.facts in (FirmLoans, ProjectLoans) and ins.id in basis.detail


def _in_force_shares(program, ctx, age_years: np.ndarray) -> np.ndarray | None:
    """Per-loan share of the year paid, under the scenario's reading after expiry."""
    if ctx.readings.loan_subsidies_after_expiry == "stop_at_expiry":
        return None  # the ledger pro-rates by the year's share inside the window
    share = program.validity_share
    start = np.maximum(ctx.year_index - age_years, 0)
    approved_inside = share[start] > 0.0
    # In the year drawn, interest accrues from inside the window only; later years run in full.
    return np.where(age_years == 0, share[ctx.year_index], np.where(approved_inside, 1.0, 0.0))


def _file_claims(programs, facts, ctx) -> list[Payment]:
    if isinstance(facts, FirmLoans):
        return _file_firm_loans(programs, facts, ctx)
    out = []
    for program in programs:
        if facts.program_id != program.id:
            continue
        ids, age = facts.ids, facts.age_years.astype(np.int64)
        out += file_positive(program, ctx, ids, _subsidies(program, ctx, facts.balance_cny.astype(np.float64), age,
                                                           facts.borrower_rate_percent),
                             in_force_share=_in_force_shares(program, ctx, age))
    return out


# The yearly caps ("年度最高", "年度不超过") bound what a recipient is paid in a year: the ledger
# applies them per recipient after pro-rating by the share of the year in force. Capping each
# loan's full-year interest here as well would shrink the cap to cap x share in a partial year.
_NO_LOAN_CAP = np.inf


def _subsidies(program, ctx, balance_cny: np.ndarray, age_years: np.ndarray, borrower_rate_percent: float) -> np.ndarray:
    ins = program.instrument
    return interest_subsidies(balance_cny, borrower_rate_percent, subsidy_rate_percent(ins, ctx.rates_percent),
                              age_years, -1 if ins.max_years is None else ins.max_years, _NO_LOAN_CAP)


def _file_firm_loans(programs, facts: FirmLoans, ctx) -> list[Payment]:
    """Each programme's loans, filed in one claim: the loans are grouped by programme once, not
    masked once per programme (a year has thousands of open firm loans), and each programme's
    subsidies and positive claims come out of one pass over its loans.
    """
    if facts.ids.size == 0:
        return []
    order, starts = group_by_program(np.asarray(facts.program, dtype=np.int64), len(facts.program_ids))
    ids = np.asarray(facts.ids, dtype=np.int64)
    balance, ages = facts.balance_cny.astype(np.float64), facts.age_years.astype(np.int64)
    out = []
    for program in programs:
        q = facts.program_ids.index(program.id)
        rows = order[starts[q]:starts[q + 1]]
        if rows.size == 0:
            continue
        ins = program.instrument
        kept_ids, amounts, age = loan_claims(rows, ids, balance, ages, float(facts.borrower_rate_percent),
                                             subsidy_rate_percent(ins, ctx.rates_percent),
                                             -1 if ins.max_years is None else ins.max_years, _NO_LOAN_CAP)
        if kept_ids.size == 0:
            continue
        approved = ctx.ledger.claim(program.id, ctx.year, kept_ids, amounts,
                                    in_force_share=_in_force_shares(program, ctx, age))
        out.append(Payment(program, kept_ids, approved))
    return out


def _describe(ins: InterestSubsidy) -> str:
    rate = f"{ins.rate_points:g} points" if ins.rate_basis == "points" else f"up to {ins.rate_basis.upper()}"
    return f"interest subsidy {rate}" + (f" for <= {ins.max_years} y" if ins.max_years else "")


KIND = KindSpec(
    name="interest_subsidy",
    schema=InterestSubsidy,
    pays_on=(FirmLoans, ProjectLoans),
    applies=_applies,
    file_claims=_file_claims,
    describe=_describe,
    how_claimed="paid on firm loans ([firms.loans.programs.\"<id>\"]) or a [projects.streams.\"<id>\"] stream of loans",
)
