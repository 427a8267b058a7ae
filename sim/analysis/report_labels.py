"""The words, style and file writing shared by the run report and the comparison report.

Every heading and column name is in Chinese and English; :class:`Labels` gives both (the
default) or one (``--lang zh|en``).
"""

from __future__ import annotations

import html
from pathlib import Path

from sim.runner.staging import write_text_file

__all__ = ["Labels", "page", "write_page", "table_box", "draws_warning", "MAX_PROBABILITY_HALF_WIDTH"]

#: Probabilities are shown to whole percents; warn when the 95% interval of a probability near
#: 50% is wider than ±5 points (fewer than about 400 draws).
MAX_PROBABILITY_HALF_WIDTH = 0.05

_WORDS: dict[str, tuple[str, str]] = {
    "report": ("情景报告", "Scenario report"),
    "summary": ("摘要", "Executive summary"),
    "total exposure": ("财政支出总额", "Total fiscal exposure"),
    "million CNY": ("百万元", "million CNY"),
    "mean": ("均值", "mean"),
    "present value": ("现值", "present value"),
    "discount note": ("假设：常用的社会折现率", "an assumption: a common social discount rate"),
    "largest programmes": ("支出最大的三个项目", "the three largest programmes"),
    "drivers": ("驱动总额的三个参数（抽样参数与总额的秩相关）",
                "the three parameters that drive it (rank correlation of the drawn value with the total)"),
    "joint plan": ("同时达到全部城市规划目标", "all city-plan targets reached together"),
    "scenario": ("情景", "Scenario"),
    "draws": ("次抽样", "draws"),
    "changes against": ("相对于所扩展情景的改动", "Changes against the scenario it extends,"),
    "key": ("键", "key"),
    "no changes": ("无改动（仅更名）", "no change of value (a new name only)"),
    "exposure by programme": ("按项目的财政支出", "Fiscal exposure by programme"),
    "exposure by payer": ("按支付部门的财政支出", "Fiscal exposure by payer"),
    "programme": ("项目", "programme"),
    "payer": ("支付部门", "payer"),
    "all": ("合计", "all"),
    "PV mean": ("现值均值", "PV mean"),
    "PV": ("现值", "PV"),
    "money note": ("P(>0) 为支出大于 0 的抽样比例；中位数 P50 为 0 而均值不为 0 的项目只在部分抽样中支付",
                   "P(>0) is the share of draws that pay anything; a programme with P50 = 0 and a positive "
                   "mean pays in some draws only: read its mean and P(>0), not its median"),
    "idle": ("个项目在全部抽样中均未支付（点击展开）", "in force pay nothing in any draw (click to list them)"),
    "zero programmes": ("全部抽样中均未支付的项目及原因", "Programmes that pay nothing in any draw, and why"),
    "zero note": ("原因由结果推出（不在有效期内、无人申领、已批准未支付；按价格上限的每公斤补贴：最便宜加氢站的边际成本对比上限加补贴额）",
                  "Reasons read from the results (not in force, no claim, approved but not paid; for a per-kg "
                  "subsidy under a price cap: the cheapest selling station's marginal cost against cap + rate)"),
    "enrolment": ("按价格上限销售的加氢站（按年）", "Hydrogen stations under the price cap, by year"),
    "enrolment note": ("加氢站数为各抽样的 P50 [P5–P95]；销量占比为按上限销售站点的公斤数占全部销量的中位数",
                       "Stations enrolled: P50 [P5–P95] over draws; share: the median over draws of the kg sold "
                       "by enrolled stations over all kg sold"),
    "queue": ("预算上限下的排队", "Queues under binding budget lines"),
    "queue note": ("超出年度上限的已到期支付排队至下一年（queue），或按比例削减（pro_rata，削减部分不再支付）",
                   "Claims due beyond a yearly ceiling wait for the next year (queue) or are cut pro rata "
                   "(the cut is forfeited)"),
    "backlog": ("年末积压（百万元）", "Backlog at year end (million CNY)"),
    "year": ("年份", "year"),
    "waiting": ("按项目的等待与削减", "Waiting and forfeits by programme"),
    "queued end": ("期末积压均值", "queued at the end, mean"),
    "wait years": ("平均等待（年，按金额加权，超过到期年份）", "mean wait past the due year (years, per yuan paid)"),
    "forfeited mean": ("按比例削减均值", "forfeited pro rata, mean"),
    "forfeited": ("削减", "forfeited"),
    "targets": ("目标", "Targets"),
    "target": ("目标", "target"),
    "goal": ("目标值", "goal"),
    "reach": ("达到", "reach"),
    "scale-up": ("规上企业：首次纳入统计的企业数", "Scale-up: firms first counted above size"),
    "assumptions": ("所依赖的假设", "Assumptions the numbers rest on"),
    "assumptions note": ("⚑ 标记的数字依赖于下列假设的金额或参数；点击展开",
                         "Numbers flagged ⚑ rest on the assumed amounts or parameters below; click to open"),
    "assumed amount": ("假设的金额", "assumed amount"),
    "assumed parameter": ("假设的参数", "assumed parameter"),
    "reading": ("对条文的解读", "reading of the text"),
    "plots": ("图", "Plots"),
    "plots note": ("线为中位数；深色带 P25–P75，浅色带 P5–P95",
                   "Lines are medians; dark bands P25–P75, light bands P5–P95 over draws"),
    "few draws": ("抽样较少", "Few draws"),
    "comparison": ("情景比较", "Scenario comparison"),
    "quantity": ("指标", "quantity"),
    "difference to": ("与基准的成对差", "paired difference to"),
    "compare note": ("同一种子的情景逐次抽样配对（共同随机数），差值的区间为成对差的分位数",
                     "Scenarios run with the same seed are paired draw by draw (common random numbers); "
                     "difference bands are quantiles of the paired differences"),
    "by programme": ("按项目的支出（百万元）", "Outlay by programme (million CNY)"),
    "headline": ("主要指标", "Headline quantities"),
    "description in English": ("情景说明（英文原文）：", "The scenario's description:"),
    "stations enrolled": ("按上限销售的加氢站数，P50 [P5–P95]", "stations enrolled, P50 [P5–P95]"),
    "share of kg sold": ("按上限销售的销量占比（中位数）", "share of kg sold, median"),
    "not modelled": ("未建模", "not modelled"),
    "outside horizon": ("不在模拟年份内", "outside horizon"),
    "charts": ("图", "Charts"),
    "programme names": ("项目名称", "programme"),
    "difference chart note": ("点为成对差的均值，横线为 P5–P95；蓝色为高于基准，橙色为低于基准（颜色不表示好坏）",
                              "Dots are mean paired differences, bars P5–P95; blue above the base, orange below "
                              "(colours say the sign, not good or bad)"),
    "above": ("高于基准（P5 > 0）", "above the base (P5 > 0)"),
    "below": ("低于基准（P95 < 0）", "below the base (P95 < 0)"),
    "unpaired": ("未配对", "unpaired"),
    "totals over": ("合计年份", "totals over"),
}


class Labels:
    """Words of the reports in one language or both.

    Parameters
    ----------
    lang : {"zh", "en"} or None
        None gives ``中文 / English``.
    """

    def __init__(self, lang: str | None = None):
        if lang not in (None, "zh", "en"):
            raise ValueError(f"lang(={lang!r}) must be 'zh', 'en' or None")
        self.lang = lang

    def pick(self, zh: str, en: str, sep: str = " / ") -> str:
        """`zh`, `en`, or both joined by `sep` (nothing repeated when they are the same)."""
        if self.lang == "zh" or zh == en:
            return zh
        if self.lang == "en":
            return en
        return f"{zh}{sep}{en}"

    def __call__(self, key: str) -> str:
        """The words of `key`, HTML-escaped."""
        return html.escape(self.text(key))

    def text(self, key: str) -> str:
        """The words of `key` as plain text (for charts and table headers that escape themselves)."""
        zh, en = _WORDS[key]
        return self.pick(zh, en)


def draws_warning(n_draws: int, L: Labels) -> str:
    """A warning when `n_draws` is too few for probabilities shown to whole percents, else ``""``."""
    from sim.analysis.targets import wilson_interval

    lo, hi = wilson_interval(n_draws // 2, n_draws)
    half = (hi - lo) / 2
    if half <= MAX_PROBABILITY_HALF_WIDTH:
        return ""
    zh = (f"仅 {n_draws} 次抽样：概率约 50% 时其 95% 区间为 ±{half:.0%}，概率以 {1 / n_draws:.1%} 为步长；"
          "结论请用更多抽样（--draws 400 以上）确认")
    en = (f"Only {n_draws} draws: a probability near 50% is known to ±{half:.0%} (95%), and probabilities move "
          f"in steps of {1 / n_draws:.1%}; confirm with more draws (--draws 400 or more)")
    return f"⚠ {L('few draws')}: {html.escape(L.pick(zh, en, sep=' — '))}"


#: One layout from a phone (390 px) to a desktop: the page never scrolls sideways; a wide table
#: scrolls inside its box; charts take the width of their column (two columns from about 70em).
_STYLE = """
* { box-sizing: border-box; }
body { font-family: system-ui, "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 1em auto; padding: 0 1em; max-width: 80em; color: #222; line-height: 1.45; overflow-wrap: break-word; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; margin-top: 1.6em; } h3 { font-size: 1.1em; }
.table { overflow-x: auto; max-width: 100%; margin: 0.5em 0 1.5em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; min-width: 12em; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 34em), 1fr)); gap: 0.8em; }
figure { margin: 0; } figure img { width: 100%; height: auto; border: 1px solid #eee; display: block; }
.note { color: #666; font-size: 0.85em; }
.id { color: #888; font-size: 0.75em; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.muted td, td.muted { color: #aaa; }
.summary { background: #f6f8fa; border-left: 4px solid #2b6cb0; padding: 0.3em 1em; }
.summary ul { padding-left: 1.2em; }
.warn { background: #fff4e5; border-left: 4px solid #dd6b20; padding: 0.5em 1em; }
.flag { color: #c05621; text-decoration: none; }
details { margin: 0.3em 0; } summary { cursor: pointer; }
details.group > details { margin-left: 1em; }
@media (max-width: 40em) {
  body { padding: 0 0.6em; font-size: 15px; }
  table { font-size: 0.8em; }
  th, td { padding: 0.2em 0.35em; }
  th:first-child, td:first-child { min-width: 9em; }
  .cite { display: none; }
}
"""

#: A ⚑ link opens the folded assumption it points to (and its group), in any browser.
_SCRIPT = """
document.addEventListener("click", function (e) {
  var a = e.target.closest && e.target.closest("a.flag");
  if (!a) return;
  var el = document.getElementById(a.getAttribute("href").slice(1));
  for (; el; el = el.parentElement) { if (el.tagName === "DETAILS") el.open = true; }
});
"""


def table_box(table_html: str) -> str:
    """A table in a box that scrolls sideways on its own when the screen is narrower than the table."""
    return f"<div class=table>{table_html}</div>"



def page(title: str, body: str, lang: str | None) -> str:
    """A whole HTML page around `body`."""
    code = {"zh": "zh-Hans", "en": "en"}.get(lang or "", "zh-Hans")
    return (f"<!doctype html><html lang={code}><head><meta charset='utf-8'>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>\n{body}\n"
            f"<script>{_SCRIPT}</script></body></html>")


def write_page(target: Path, text: str) -> Path:
    """Write a page to `target` atomically, mode 0644 (:func:`sim.runner.staging.write_text_file`)."""
    return write_text_file(target, text)
