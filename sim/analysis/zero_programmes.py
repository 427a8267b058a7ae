"""Outputs that explain a zero: stations under the price cap by year, and why a programme paid nothing.

A programme that pays nothing in every draw is easy to miss (the money tables leave it out or
fold it away) and hard to read: is it not in force, did nobody claim, or was the money approved
and queued? :func:`zero_programmes` says which, from the results alone, without guessing:

- not in force in any year of the horizon (``program_in_force_share``);
- claims approved but not paid by the end of the horizon: queued under a budget ceiling
  (``unpaid``), cut pro rata (``forfeited``) or not yet due (``pending``);
- no claim approved in any draw; for a per-kg subsidy to stations with a price cap (kind
  ``unit_subsidy``), the lowest marginal cost of any selling station (``station_marginal_cost_min``)
  against the cap plus the rate: a station selling at the cap earns at most cap + rate a kg, so
  when the cheapest station's marginal cost is above that, none can enrol without a loss.

:func:`enrolment_table` is the per-year table of stations enrolled under a price cap and their
share of the kg sold. Every function is pure over the results ``xarray.Dataset``; results written
before these variables existed give an empty table and the generic reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["ZeroProgramme", "zero_programmes", "enrolment_table", "zero_lines", "ENROLMENT_TITLE"]

_MILLION = 1e6
ENROLMENT_TITLE = "Hydrogen stations under the price cap, by year"


@dataclass(frozen=True)
class ZeroProgramme:
    """Why a programme paid nothing in every draw.

    Attributes
    ----------
    program : str
        Programme id.
    reason : str
        ``not_in_force``, ``approved_not_paid``, ``marginal_cost`` (a capped per-kg station subsidy
        whose cheapest station cost more than cap + rate in every year of its window),
        ``cost_does_not_explain`` (the same subsidy, but a station's cost was within cap + rate in
        some year), ``no_seller`` (no station sold in its window) or ``no_claim``.
    text : str
        The explanation, one sentence starting with the programme id.
    text_zh : str
        The same explanation in Chinese, without the id (the report shows it beside).
    years : tuple of int
        Years of the horizon inside the programme's window.
    cost_lowest, cost_median : tuple of float
        For a capped per-kg station subsidy, each window year's lowest marginal cost of a selling
        station, CNY/kg: the lowest over draws and the median over draws (NaN: no station sold in
        any draw). Empty otherwise.
    threshold : float
        Cap + rate, CNY/kg, for a capped per-kg station subsidy; NaN otherwise.
    """

    program: str
    reason: str
    text: str
    text_zh: str
    years: tuple[int, ...] = ()
    cost_lowest: tuple[float, ...] = ()
    cost_median: tuple[float, ...] = ()
    threshold: float = float("nan")

    @property
    def detail(self) -> str:
        """The marginal costs by year (``2023 41.2 / 44.0, ...``), or ``""`` when there are none."""
        if not self.cost_lowest:
            return ""
        cells = ", ".join(f"{y} {_cny(lo)} / {_cny(med)}"
                          for y, lo, med in zip(self.years, self.cost_lowest, self.cost_median, strict=True))
        return f"cheapest station's marginal cost by year, CNY/kg, lowest / median over draws: {cells}"

    @property
    def detail_zh(self) -> str:
        """:attr:`detail` in Chinese, or ``""``."""
        if not self.cost_lowest:
            return ""
        cells = "，".join(f"{y}年 {_cny(lo, '无销售')} / {_cny(med, '无销售')}"
                         for y, lo, med in zip(self.years, self.cost_lowest, self.cost_median, strict=True))
        return f"各年最低边际成本的加氢站（元/公斤，各抽样中最低 / 中位数）：{cells}"


def _cny(value: float, none: str = "no seller") -> str:
    return none if np.isnan(value) else f"{value:.1f}"


def _span(years: list[int] | tuple[int, ...]) -> str:
    """``2022-2025`` for consecutive years, else the years listed."""
    if not years:
        return ""
    if len(years) == 1:
        return str(years[0])
    if list(years) == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ", ".join(str(y) for y in years)


def _num(value: float) -> str:
    return f"{value:g}"


def _program_value(ds: xr.Dataset, name: str, j: int, default=None):
    return ds[name].values[j] if name in ds else default


def enrolment_table(ds: xr.Dataset) -> pd.DataFrame:
    """Stations enrolled under a price cap and their share of the kg sold, by year.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``stations_enrolled``, ``h2_enrolled_kg`` and ``h2_sold_kg`` (draw, year).

    Returns
    -------
    pandas.DataFrame
        Indexed by year: ``stations enrolled`` as ``P50 [P5–P95]`` over draws, and ``share of kg
        sold`` the median over draws of the enrolled stations' kg over all kg sold (draws without
        sales left out; ``—`` when no draw sold). Empty when the results lack the variables.
    """
    names = ("stations_enrolled", "h2_enrolled_kg", "h2_sold_kg")
    if any(n not in ds for n in names):
        return pd.DataFrame()
    enrolled = ds["stations_enrolled"].transpose("draw", "year").values.astype(np.float64)
    kg_in = ds["h2_enrolled_kg"].transpose("draw", "year").values
    kg_all = ds["h2_sold_kg"].transpose("draw", "year").values
    q = np.nanquantile(enrolled, (0.05, 0.5, 0.95), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(kg_all > 0, kg_in / np.where(kg_all > 0, kg_all, 1.0), np.nan)
    years = [int(y) for y in ds["year"].values]
    shares = []
    for i in range(len(years)):
        column = share[:, i][~np.isnan(share[:, i])]
        shares.append(f"{np.median(column):.0%}" if column.size else "—")
    return pd.DataFrame(
        {"stations enrolled, P50 [P5–P95]": [f"{q[1, i]:,.0f} [{q[0, i]:,.0f}–{q[2, i]:,.0f}]"
                                             for i in range(len(years))],
         "share of kg sold, median": shares},
        index=pd.Index(years, name="year"))


def zero_programmes(ds: xr.Dataset) -> list[ZeroProgramme]:
    """The programmes that pay nothing in every draw and year, each with why, in programme order.

    Parameters
    ----------
    ds : xarray.Dataset
        A run's results (``outlay``, ``committed`` and where present ``unpaid``, ``forfeited``,
        ``pending``, ``program_in_force_share``, ``program_kind``, ``program_rate_cny_per_kg``,
        ``program_price_cap_cny_per_kg``, ``station_marginal_cost_min``).

    Returns
    -------
    list of ZeroProgramme
        Empty when every programme pays in some draw.
    """
    outlay = ds["outlay"].transpose("draw", "year", "program").values
    paid = np.nan_to_num(outlay).max(axis=(0, 1), initial=0.0) > 0 if outlay.size else np.zeros(0, bool)
    all_years = [int(y) for y in ds["year"].values]
    out = []
    for j, pid in enumerate(str(p) for p in ds["program"].values):
        if paid[j]:
            continue
        if "program_in_force_share" in ds:
            share = ds["program_in_force_share"].transpose("year", "program").values[:, j]
            years = [y for y, s in zip(all_years, share, strict=True) if s > 0]
        else:
            years = all_years
        out.append(_explain(ds, j, pid, years, all_years))
    return out


def _total(ds: xr.Dataset, name: str, j: int) -> float:
    """Mean over draws of a fiscal variable's horizon total for programme `j` (0 if absent)."""
    if name not in ds:
        return 0.0
    values = np.nan_to_num(ds[name].transpose("draw", "year", "program").values[:, :, j])
    if name in ("unpaid", "pending"):
        # Stocks at year end: what is left at the end of the horizon.
        return float(values[:, -1].mean())
    return float(values.sum(axis=1).mean())


def _explain(ds: xr.Dataset, j: int, pid: str, years: list[int], all_years: list[int]) -> ZeroProgramme:
    head = f"{pid} pays 0 in every draw"
    head_zh = "在所有抽样中支出均为 0"  # the report shows the id beside it
    if not years:
        return ZeroProgramme(pid, "not_in_force",
                             f"{head}: it is not in force in any year of the horizon "
                             f"({_span(all_years)}; its validity window lies outside it)",
                             f"{head_zh}：预测期（{_span(all_years)}）内无一年有效（有效期在预测期之外）")
    committed = np.nan_to_num(ds["committed"].transpose("draw", "year", "program").values[:, :, j])
    if committed.max(initial=0.0) > 0:
        draws = int((committed.sum(axis=1) > 0).sum())
        parts, parts_zh = [], []
        for name, words, words_zh in (
                ("unpaid", "queued under a budget ceiling at the end of the horizon", "预测期末因预算上限排队待付"),
                ("forfeited", "cut by pro-rata rationing", "按比例分配时被削减"),
                ("pending", "approved but not yet due by the end of the horizon (payment lag)",
                 "已批准但预测期末尚未到期（支付滞后）")):
            amount = _total(ds, name, j)
            if amount > 0:
                parts.append(f"{amount / _MILLION:,.2f} million CNY {words}")
                parts_zh.append(f"{amount / _MILLION:,.2f} 百万元{words_zh}")
        why = "; ".join(parts) if parts else "nothing of it paid by the end of the horizon"
        why_zh = "；".join(parts_zh) if parts_zh else "预测期末前分文未付"
        mean = _total(ds, 'committed', j) / _MILLION
        return ZeroProgramme(pid, "approved_not_paid",
                             f"{head}: claims were approved in {draws} of {committed.shape[0]} draws "
                             f"({mean:,.2f} million CNY, mean over draws), but {why}",
                             f"{head_zh}：{committed.shape[0]} 次抽样中有 {draws} 次批准了申领"
                             f"（各抽样均值 {mean:,.2f} 百万元），但{why_zh}", tuple(years))
    kind = _program_value(ds, "program_kind", j)
    rate = float(_program_value(ds, "program_rate_cny_per_kg", j, np.nan))
    cap = float(_program_value(ds, "program_price_cap_cny_per_kg", j, np.nan))
    recipient = _program_value(ds, "program_recipient", j, "station")
    if (kind == "unit_subsidy" and recipient == "station" and not np.isnan(cap) and not np.isnan(rate)
            and "station_marginal_cost_min" in ds):
        return _station_cost(ds, pid, (head, head_zh), years, cap, rate)
    return ZeroProgramme(pid, "no_claim",
                         f"{head}: no recipient filed a claim in any draw (nothing was approved) in its window, "
                         f"{_span(years)}",
                         f"{head_zh}：有效期内（{_span(years)}）任何抽样中均无对象申领（无批准）", tuple(years))


def _station_cost(ds: xr.Dataset, pid: str, heads: tuple[str, str], years: list[int], cap: float, rate: float
                  ) -> ZeroProgramme:
    """Why a capped per-kg subsidy to stations paid nothing: the cheapest station against cap + rate."""
    mc = ds["station_marginal_cost_min"].sel(year=years).transpose("draw", "year").values
    lowest, median = [], []
    for i in range(len(years)):
        column = mc[:, i][~np.isnan(mc[:, i])]
        lowest.append(float(column.min()) if column.size else float("nan"))
        median.append(float(np.median(column)) if column.size else float("nan"))
    head, head_zh = heads
    threshold = cap + rate
    against = f"{threshold:.1f} = cap {_num(cap)} + rate {_num(rate)}"
    against_zh = f"{threshold:.1f}（限价 {_num(cap)} + 补贴 {_num(rate)}）"
    sold = [y for y, v in zip(years, lowest, strict=True) if not np.isnan(v)]
    unsold = [y for y, v in zip(years, lowest, strict=True) if np.isnan(v)]

    def made(reason: str, text: str, text_zh: str) -> ZeroProgramme:
        return ZeroProgramme(pid, reason, text, text_zh, tuple(years), tuple(lowest), tuple(median), threshold)

    if not sold:
        return made("no_seller", f"{head}: no station sold hydrogen in any draw in its window, {_span(years)}",
                    f"{head_zh}：有效期内（{_span(years)}）任何抽样中均无加氢站售氢")
    no_seller = f"; no station sold in any draw in {_span(unsold)}" if unsold else ""
    no_seller_zh = f"；{_span(unsold)} 任何抽样中均无加氢站售氢" if unsold else ""
    low = [v for v in lowest if not np.isnan(v)]
    costs = f"{min(low):.1f}" if round(min(low), 1) == round(max(low), 1) else f"{min(low):.1f}-{max(low):.1f}"
    within = [y for y, v in zip(years, lowest, strict=True) if not np.isnan(v) and v <= threshold]
    if not within:
        return made(
            "marginal_cost",
            f"{head}: the cheapest station's marginal cost was {costs} CNY/kg (lowest over draws, {_span(sold)}) "
            f"against {against}, so no station could sell at the cap without a loss{no_seller}",
            f"{head_zh}：最低边际成本的加氢站成本为 {costs} 元/公斤（各抽样中最低，{_span(sold)}），"
            f"高于 {against_zh}，任何加氢站按限价销售都会亏损{no_seller_zh}")
    return made(
        "cost_does_not_explain",
        f"{head}: no station claimed under it, although the cheapest station's marginal cost (lowest over draws) "
        f"was at or under {against} in {_span(within)}, so its cost alone does not explain the zero{no_seller}",
        f"{head_zh}：没有加氢站申领，尽管 {_span(within)} 最低边际成本（各抽样中最低）不高于 {against_zh}，"
        f"成本本身不能解释为何为 0{no_seller_zh}")


def zero_lines(ds: xr.Dataset) -> list[str]:
    """The explanations as text lines: each sentence, and under it the marginal costs by year if any."""
    lines = []
    for z in zero_programmes(ds):
        lines.append(z.text)
        if z.detail:
            lines.append(f"  ({z.detail})")
    return lines
