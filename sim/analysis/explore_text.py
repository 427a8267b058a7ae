"""The words of the ``sim explore`` page in English and Chinese.

Every caption, lever name, unit, chart title and message of the page comes from here, by key and
language, so the two languages cannot drift apart unnoticed: :data:`TEXT` holds each key in both
(a test checks it). Supply routes a scenario names that are not listed in :data:`ROUTE_NAMES` are
shown by their key in both languages.
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "ROUTE_NAMES", "TEXT", "UNITS", "route_name", "text", "unit"]

#: The page's languages: the code in ``--lang`` and in the link's ``lang=``, and its name on the switch.
LANGUAGES: dict[str, str] = {"en": "English", "zh": "中文"}

#: Captions and messages, by key: ``{"en": ..., "zh": ...}``; ``{name}`` fields are filled by :func:`text`.
TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "sim explore", "zh": "sim 政策模拟探索"},
    "language": {"en": "Language", "zh": "语言"},
    # Levers.
    "operating_subsidy_cny_per_kg": {"en": "Operating subsidy", "zh": "加氢站运营补贴"},
    "price_cap_cny_per_kg": {"en": "Retail price cap", "zh": "氢气零售限价"},
    "hydrogen_sunset_year": {"en": "Hydrogen measures end", "zh": "氢能措施截止年份"},
    "share_of_cap_paid": {"en": "Share of caps paid, all programmes", "zh": "各项目按上限兑付比例"},
    "draw": {"en": "Draw shown", "zh": "显示的抽样"},
    "ex_works": {"en": "Ex-works price, {route}", "zh": "出厂氢价：{route}"},
    "as_drawn": {"en": "as drawn (median {median} {unit})", "zh": "按情景抽样（中位数 {median} {unit}）"},
    "as_drawn_all": {"en": "Prices as the scenario draws them", "zh": "恢复情景抽样的价格"},
    "band_draws": {"en": "Draws in the band", "zh": "区间带的抽样数"},
    # Cards and messages.
    "levers": {"en": "Policy levers", "zh": "政策杠杆"},
    "levers_note": {"en": "applied as soon as a slider moves", "zh": "滑块一动即生效"},
    "supply": {"en": "Hydrogen supply cost", "zh": "氢气供应成本"},
    "supply_note": {"en": "ex-works price of each supply route: a moved slider fixes it in every draw",
                    "zh": "各供应路线的出厂价：移动滑块后在每次抽样中固定为该值"},
    "no_supply": {"en": "This scenario has no hydrogen section: there is no supply cost to set.",
                  "zh": "本情景未启用氢能部分：没有可调的供应成本。"},
    "no_station_programme": {"en": "No station programme is claimed in this scenario: the subsidy, cap and "
                                   "end-year levers change nothing here.",
                             "zh": "本情景中没有加氢站项目被申领：补贴、限价和截止年份三个杠杆在此不起作用。"},
    "years": {"en": "Years", "zh": "年份"},
    "step": {"en": "Step one year", "zh": "前进一年"},
    "run_to_horizon": {"en": "Run to horizon", "zh": "运行到期末"},
    "reset": {"en": "Reset", "zh": "重置"},
    "year_reached": {"en": "Year reached: {year}", "zh": "已模拟到：{year}"},
    "none_yet": {"en": "none yet", "zh": "尚未开始"},
    "year_count": {"en": "({steps} of {n} years, {first}–{last})", "zh": "（共 {n} 年中的 {steps} 年，{first}–{last}）"},
    "horizon": {"en": "Reached the horizon: {last} is the last year of this scenario. Levers still apply to the "
                      "years shown; Reset starts again from {first}.",
                "zh": "已到期末：{last} 年是本情景的最后一年。杠杆仍作用于已显示的年份；“重置”从 {first} 年重新开始。"},
    "intro": {"en": "Each series is drawn twice: draw {draw} year by year as you step, and the same levers over "
                    "{n} draws for the whole horizon (median, P25–P75 and P5–P95) with draw {draw} on top.",
              "zh": "每个序列画两次：第 {draw} 次抽样随“前进一年”逐年展开；相同杠杆下 {n} 次抽样的整个时期"
                    "（中位数、P25–P75 和 P5–P95），并叠加第 {draw} 次抽样。"},
    "link": {"en": "Link to these settings", "zh": "当前设置的链接"},
    "link_note": {"en": "opens this page with the levers, band and language shown here",
                  "zh": "打开后杠杆、区间带和语言与此处相同"},
    "ignored": {"en": "Ignored from the link: {key}={value} ({why})", "zh": "链接中已忽略：{key}={value}（{why}）"},
    "not_a_lever": {"en": "not a setting of this page", "zh": "不是本页的设置"},
    "not_a_number": {"en": "not a number", "zh": "不是数字"},
    "not_a_language": {"en": "allowed: {allowed}", "zh": "允许：{allowed}"},
    "out_of_range": {"en": "allowed {low}–{high} in steps of {step}", "zh": "允许 {low}–{high}，步长 {step}"},
    # Charts.
    "year_axis": {"en": "year", "zh": "年份"},
    "median": {"en": "median of {n} draws", "zh": "{n} 次抽样的中位数"},
    "draw_n": {"en": "draw {draw}", "zh": "第 {draw} 次抽样"},
    "step_to_simulate": {"en": "Step to simulate {year}", "zh": "点“前进一年”模拟 {year} 年"},
    # Series.
    "outlay": {"en": "Outlay, all programmes", "zh": "全部项目支出"},
    "station_outlay": {"en": "Outlay, hydrogen station programmes", "zh": "加氢站项目支出"},
    "unpaid": {"en": "Claims waiting at year end", "zh": "年末待兑付的申领"},
    "stations_operating": {"en": "Hydrogen stations operating", "zh": "运营中的加氢站"},
    "fcv_fleet": {"en": "Fuel-cell vehicle fleet", "zh": "燃料电池汽车保有量"},
    "h2_price_mean": {"en": "Mean retail hydrogen price", "zh": "氢气平均零售价"},
    "firms_above_size": {"en": "Firms above designated size", "zh": "规模以上企业"},
}

#: Units, by their English name.
UNITS: dict[str, dict[str, str]] = {
    "CNY/kg": {"en": "CNY/kg", "zh": "元/千克"},
    "million CNY": {"en": "million CNY", "zh": "百万元"},
    "stations": {"en": "stations", "zh": "座"},
    "vehicles": {"en": "vehicles", "zh": "辆"},
    "firms": {"en": "firms", "zh": "家"},
}

#: The supply routes of the shipped scenarios (``[hydrogen.supply.routes.*]``), by key.
ROUTE_NAMES: dict[str, dict[str, str]] = {
    "refinery_byproduct": {"en": "refinery and by-product", "zh": "炼厂及工业副产氢"},
    "trucked_coal_smr": {"en": "trucked coal and gas reforming", "zh": "外运煤制及天然气重整氢"},
    "central_electrolysis": {"en": "central electrolysis", "zh": "集中式电解水制氢"},
    "on_site": {"en": "made at the station", "zh": "站内制氢"},
}


def text(key: str, lang: str, /, **fields: object) -> str:
    """The caption ``key`` in ``lang`` (``en`` or ``zh``) with its ``{fields}`` filled."""
    return TEXT[key][lang].format(**fields)


def unit(name: str, lang: str) -> str:
    """A unit in ``lang``; a unit not in :data:`UNITS` as written."""
    return UNITS.get(name, {}).get(lang, name)


def route_name(route: str, lang: str) -> str:
    """A supply route's name in ``lang``; a route not in :data:`ROUTE_NAMES` by its key."""
    return ROUTE_NAMES.get(route, {}).get(lang, route)
