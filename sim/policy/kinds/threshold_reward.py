"""Threshold reward: a one-off reward for a firm's first crossing of a size line (D5 item 8; D8 items 2-4).

Rules across programmes sit here, applied to all threshold rewards at once:

* **Events.** "First counted above size last year" is paid the year after the firm is first
  counted; "this year" pays new firms in the year they are counted (``[policy]
  this_year_counting``: ``new_firms``, the default, counts entrants reaching the threshold in
  their first year; ``any_first_inclusion`` any firm first counted in the year). A firm paid
  "this year" is not paid "last year" for the same first counting (L828). Software stay-up
  (D5 item 8, D8 item 3): ``[policy] software_stay_up`` = ``at_100m_when_first_counted``
  (default; first counted last year with revenue >= 100,000,000 that year, L599/L832) or
  ``first_100m_last_year`` (first above 100,000,000 last year, as L820 defines 稳规).
* **从优、从高、不重复** (L615): instruments paying the same event to the same reward family pay
  a firm once, under the one whose amount *after its share paid and its caps* is highest (ties:
  the first in document order), unless ``[policy] stack_software_and_scaleup_rewards``.
* **The 专精特新 extra** (``extras_cny.srdi``) is paid once per firm, with the first reward that
  includes it; firm categories in ``extras_excluded_for`` (central-funded little giants, L838)
  get no such extra, those in ``excluded`` nothing.
* **Timing.** A reward is one-off: paid in full or not at all. Under ``[policy] one_off_claims =
  "in_window"`` (default) a firm applies while the window is open, so every claim in a year the
  window touches is paid; ``random_day`` dates each firm's application on its own day of the year.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np
from numba import njit
from pydantic import Field

from sim.policy.facts import ClaimBasis, FirmYear
from sim.policy.instrument import Eligibility, InstrumentBase, NonNegative
from sim.policy.kinds._base import ClaimLedger, KindSpec, Payment, one_off_claim_days

__all__ = ["ThresholdReward", "ThresholdRewardEligibility", "threshold_reward", "reward_amounts", "EventRule", "event_rows",
           "KIND",
           "LAST_YEAR", "THIS_YEAR"]

LAST_YEAR, THIS_YEAR = "first_above_size_last_year", "first_above_size_this_year"
SRDI, SRDI_EXTRA_PAID = "srdi", "srdi_extra_paid"


class ThresholdRewardEligibility(Eligibility):
    """Which firms a threshold reward is for.

    Attributes
    ----------
    sector : str, optional
        Reward family of the firms' sector (``sim/populations/firms/sectors.toml``: ``advanced_manufacturing``,
        ``software_information_services``).
    industry_codes : list of int
        National industry codes named by the text (recorded; the sector decides).
    min_revenue_last_year_cny : float, optional
        Revenue the firm had reached last year (the stay-up line, 100,000,000).
    min_committed_revenue_this_year_cny : float, optional
        Revenue the firm commits to this year, read as its realised revenue (D5 item 8).
    counted_above_size : bool, optional
        The firm must be in the above-size statistics (recorded; every event implies it).
    """

    sector: str | None = None
    industry_codes: list[int] = Field(default_factory=list)
    min_revenue_last_year_cny: NonNegative | None = None
    min_committed_revenue_this_year_cny: NonNegative | None = None
    counted_above_size: bool | None = None


class ThresholdReward(InstrumentBase):
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
    eligibility: ThresholdRewardEligibility = Field(default_factory=ThresholdRewardEligibility)


@njit(cache=True)
def threshold_reward(
    event_happened: bool,
    base_amount_cny: float,
    extras_cny: float,
    excluded: bool,
    already_paid_cny: float,
    cap_per_recipient_total_cny: float,
) -> float:
    """One-off reward for crossing a size threshold, with extras, exclusions and a total cap.

    Parameters
    ----------
    event_happened : bool
        The firm met the event (e.g. first counted above designated size last year).
    base_amount_cny : float
        The reward for the event, CNY.
    extras_cny : float
        Sum of the extras the firm qualifies for (e.g. +200,000 for a 专精特新 certification).
    excluded : bool
        The firm is excluded from the instrument (e.g. a national "little giant" with central funds).
    already_paid_cny : float
        What the firm was already paid under the instrument.
    cap_per_recipient_total_cny : float
        Most paid to one firm in all; ``inf`` for none.

    Returns
    -------
    float
        ``base + extras`` cut to the room left under the total cap; 0 if no event or excluded.
    """
    if not event_happened or excluded:
        return 0.0
    room = cap_per_recipient_total_cny - already_paid_cny
    if room <= 0.0:
        return 0.0
    return min(base_amount_cny + extras_cny, room)


@njit(cache=True)
def reward_amounts(event, flags, base_cny, srdi_extra_cny, other_extras_cny, excluded_flag, srdi_extra_excluded_flag,
                   srdi_flag, srdi_extra_paid_flag):
    """One-off reward of each firm (before validity, share paid and caps, which the ledger applies).

    ``event`` marks the firms that met the instrument's event; a firm whose flags intersect
    `excluded_flag` gets nothing; the 专精特新 extra goes to certified firms (`srdi_flag`) whose
    flags intersect neither `srdi_extra_excluded_flag` nor `srdi_extra_paid_flag` (it is paid once
    per firm); `other_extras_cny` is the expected discretionary extras.
    """
    out = np.zeros(event.shape[0])
    for k in range(event.shape[0]):
        f = flags[k]
        extras = other_extras_cny
        if (f & srdi_flag) != 0 and (f & (srdi_extra_excluded_flag | srdi_extra_paid_flag)) == 0:
            extras += srdi_extra_cny
        out[k] = threshold_reward(event[k], base_cny, extras, (f & excluded_flag) != 0, 0.0, math.inf)
    return out


#: Event codes of :func:`event_rows`, by ``event``.
_EVENT_CODE = {LAST_YEAR: 0, THIS_YEAR: 1, "first_above_100m_last_year": 2, "first_above_size_last_year_and_100m": 3}


class EventRule(NamedTuple):
    """Which first crossing a threshold reward pays on, as :func:`event_rows` reads it.

    Attributes
    ----------
    event : int
        Code of the event (:data:`_EVENT_CODE`).
    new_firms_only : bool
        "This year" counts only the firms counted in the year they crossed.
    stay_up_at_100m : bool
        The software stay-up reads "first counted at 100,000,000".
    min_revenue_cny : float
        This year's revenue floor of the stay-up (``-inf`` for none).
    never_year : int
        The first-crossing year that means "never".
    """

    event: int
    new_firms_only: bool
    stay_up_at_100m: bool
    min_revenue_cny: float
    never_year: int


@njit(cache=True)
def event_rows(in_family, first_size_year, first_100m_year, counted_in_year, counted_at_100m, revenue_cny, year, rule):
    """Rows of the firms that met a threshold reward's event this year (ascending), under `rule`
    (an :class:`EventRule`).

    ``event`` 0: first counted above size last year; 1: first counted this year (and counted in
    the year it crossed, when `new_firms_only`); 2: first reaching 100,000,000 last year, once
    counted; 3: the software stay-up, first counted last year at 100,000,000 when
    `stay_up_at_100m`, else first reaching it last year once counted, with this year's revenue
    at least `min_revenue_cny` (``-inf`` for no floor). Only firms of the reward family
    (`in_family`) count.
    """
    event, new_firms_only, stay_up_at_100m = rule.event, rule.new_firms_only, rule.stay_up_at_100m
    min_revenue_cny, never_year = rule.min_revenue_cny, rule.never_year
    rows = np.empty(in_family.shape[0], dtype=np.int64)
    n = 0
    for k in range(in_family.shape[0]):
        if not in_family[k]:
            continue
        fsy, f100 = first_size_year[k], first_100m_year[k]
        if event == 0:
            ok = fsy == year - 1
        elif event == 1:
            ok = fsy == year and (counted_in_year[k] or not new_firms_only)
        elif event == 2:
            ok = f100 == year - 1 and fsy != never_year
        else:
            if stay_up_at_100m:
                ok = fsy == year - 1 and counted_at_100m[k]
            else:
                ok = f100 == year - 1 and fsy <= year - 1
            # No floor is no test at all (a revenue that is not a number is not compared).
            ok = ok and (min_revenue_cny == -np.inf or revenue_cny[k] >= min_revenue_cny)
        if ok:
            rows[n] = k
            n += 1
    return rows[:n]


def reward_family(ins: ThresholdReward) -> str:
    """The reward family of a threshold reward's firms ("" when it names none)."""
    return ins.eligibility.sector or ""


def _mask(bits: dict[str, int], categories) -> np.uint8:
    return np.uint8(sum(bits[c] for c in set(categories)))


class _RewardTable:
    """What a programme's claims read of its instrument, resolved once a run, not at each filing."""

    def __init__(self, program, bits: dict[str, int]):
        ins = program.instrument
        self.program, self.bits = program, bits
        extras = dict(ins.extras_cny)
        self.srdi_extra = extras.pop(SRDI, 0.0)
        self.other_extras_cny = sum(extras.values())
        self.group = (ins.event, reward_family(ins))
        self.excluded = _mask(bits, ins.excluded)
        self.extra_excluded = _mask(bits, ins.extras_excluded_for)
        self.event = _EVENT_CODE[ins.event]
        need = ins.eligibility.min_committed_revenue_this_year_cny
        self.min_revenue_cny = float(need) if need else -math.inf


# Tables by id(program), each keeping its programme (so the id is not reused while it is here).
_TABLES: dict[int, _RewardTable] = {}


def _table_of(program, bits: dict[str, int]) -> _RewardTable:
    table = _TABLES.get(id(program))
    if table is None or table.program is not program or table.bits is not bits:
        if len(_TABLES) > 4096:  # a process running many scenarios: drop the old runs' tables
            _TABLES.clear()
        table = _TABLES[id(program)] = _RewardTable(program, bits)
    return table


class _Reward:
    """One programme's claims of the year, as the cross-programme rules need them."""

    def __init__(self, program, facts: FirmYear, ctx, other_extras_share: float, in_family: np.ndarray):
        ins = program.instrument
        table = _table_of(program, facts.category_bits)
        self.program, self.ins = program, ins
        self.srdi_extra = table.srdi_extra
        self.other_extras = other_extras_share * table.other_extras_cny
        self.group = table.group
        self.excluded, self.extra_excluded = table.excluded, table.extra_excluded
        readings = ctx.readings
        self.idx = event_rows(in_family, facts.first_size_year, facts.first_100m_year, facts.counted_in_year,
                              facts.counted_at_100m, facts.revenue_cny, ctx.year,
                              EventRule(table.event, readings.this_year_counting == "new_firms",
                                        readings.software_stay_up == "at_100m_when_first_counted",
                                        table.min_revenue_cny, facts.never_year))
        self.inside, self.days = one_off_claim_days(program, ctx.year, facts.application_day[self.idx],
                                                    readings.one_off_claims)

    def amounts(self, facts: FirmYear, flags: np.ndarray) -> np.ndarray:
        bits = facts.category_bits
        return reward_amounts(np.ones(self.idx.size, dtype=np.bool_), flags[self.idx], self.ins.base_amount_cny,
                              self.srdi_extra, self.other_extras, self.excluded, self.extra_excluded,
                              np.uint8(bits[SRDI]), np.uint8(bits[SRDI_EXTRA_PAID]))

    def keep(self, keep: np.ndarray) -> None:
        self.idx, self.inside = self.idx[keep], self.inside[keep]
        self.days = self.days[keep]


def _best_of(rewards: list[_Reward], facts: FirmYear, flags: np.ndarray, ledger: ClaimLedger, year: int) -> None:
    """Keep, for each firm, only the best-paying claim among instruments paying the same event, each
    valued after its share paid and the room left under its caps (0 outside its window).
    """
    groups: dict[tuple, list[_Reward]] = {}
    for rw in rewards:
        groups.setdefault(rw.group, []).append(rw)
    n = facts.ids.size
    for members in groups.values():
        if len(members) < 2:
            continue
        best_value, best = np.full(n, -1.0), np.full(n, -1)
        for k, rw in enumerate(members):
            value = rw.amounts(facts, flags) * rw.inside * rw.ins.share_of_cap_paid
            value = np.minimum(value, ledger.room_cny(rw.program.id, year, facts.ids[rw.idx]))
            better = value > best_value[rw.idx]
            best_value[rw.idx[better]] = value[better]
            best[rw.idx[better]] = k
        for k, rw in enumerate(members):
            rw.keep(best[rw.idx] == k)


def _applies(ins: ThresholdReward, basis: ClaimBasis) -> bool:
    return basis.facts is FirmYear and ins.recipient == basis.recipient and reward_family(ins) in basis.detail


def _file_claims(programs, facts: FirmYear, ctx) -> list[Payment]:
    readings, ledger = ctx.readings, ctx.ledger
    # The firms of each reward family, compared once a filing (an object array: slow to compare).
    in_family: dict[str, np.ndarray] = {}
    for p in programs:
        family = reward_family(p.instrument)
        if family not in in_family:
            in_family[family] = facts.family == family
    rewards = [_Reward(p, facts, ctx, readings.discretionary_extras_share, in_family[reward_family(p.instrument)])
               for p in programs]
    # "Last year" rewards skip the firms already paid for the same first counting "this year".
    this_year = {rw.group[1]: [o.program.id for o in rewards if o.ins.event == THIS_YEAR and o.group[1] == rw.group[1]]
                 for rw in rewards}
    for rw in rewards:
        if rw.ins.event == LAST_YEAR:
            for pid in this_year[rw.group[1]]:
                rw.keep(ledger.paid_in_total_by_recipient(pid, facts.ids[rw.idx]) == 0.0)
    # A working copy: the srdi_extra_paid bit set here goes back to the firms through Payment.marked.
    flags = facts.flags.copy()
    if not readings.stack_software_and_scaleup_rewards:
        _best_of(rewards, facts, flags, ledger, ctx.year)
    srdi_bit, paid_bit = np.uint8(facts.category_bits[SRDI]), np.uint8(facts.category_bits[SRDI_EXTRA_PAID])
    out = []
    for rw in rewards:
        # On the flags as they are now: a 专精特新 extra paid by an earlier instrument this year is
        # not paid twice.
        amounts = np.where(rw.inside, rw.amounts(facts, flags), 0.0)
        keep = amounts > 0.0
        if not keep.any():
            continue
        local = rw.idx[keep]
        ids = facts.ids[local]
        approved = ledger.claim(rw.program.id, ctx.year, ids, amounts[keep], event_days=rw.days[keep])
        marked = {}
        if rw.srdi_extra > 0.0:
            got = local[(approved > 0.0) & ((flags[local] & srdi_bit) != 0) & ((flags[local] & rw.extra_excluded) == 0)]
            flags[got] |= paid_bit
            marked[SRDI_EXTRA_PAID] = facts.ids[got]
        out.append(Payment(rw.program, ids, approved, marked))
    return out


def _describe(ins: ThresholdReward) -> str:
    extras = ", ".join(f"+{v:,.0f} {n}" for n, v in ins.extras_cny.items() if v)
    return f"{ins.event}: {ins.base_amount_cny:,.0f} CNY" + (f" ({extras})" if extras else "")


KIND = KindSpec(
    name="threshold_reward",
    schema=ThresholdReward,
    pays_on=(FirmYear,),
    applies=_applies,
    file_claims=_file_claims,
    describe=_describe,
    how_claimed="paid to [firms] of the reward family named by eligibility.sector",
)
