"""Units of yearbook tables: amounts converted to base units, indices and rates kept as they are.

A unit is read from the text a table gives it (``亿元``, ``（万人）``, ``10 000 persons``,
``100 million yuan``, ``元/人``, ``上年=100``, ``‰``, ``1/10万``) as a multiplier and a base word:
``亿元`` is 1e8 yuan, ``10 000 persons`` is 1e4 persons. Amounts are converted to the base unit
(yuan, persons, ...). Index numbers (``上年=100``, ``1978=100``, ``上年同期=100``) are never
converted: their unit is ``"index"`` and the base is kept. Percentages, per-mille and rates
(``%``, ``‰``, ``1/10万``, ``张/千人``) keep their value and say what they are per.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Unit", "parse_unit", "split_snake", "UNITS", "INDEX"]

INDEX = "index"


@dataclass(frozen=True)
class Unit:
    """A parsed unit: ``value_in_base = value * factor``; ``index_base`` set for index numbers."""

    text: str
    base: str
    factor: float
    index_base: str | None = None


_ZH_MULT = [("万亿", 1e12), ("千万", 1e7), ("百万", 1e6), ("十万", 1e5), ("亿", 1e8), ("万", 1e4),
            ("千", 1e3), ("百", 1e2), ("十", 1e1)]
_EN_MULT = [("hundredmillion", 1e8), ("100m", 1e8), ("10k", 1e4), ("1k", 1e3), ("bn", 1e9), ("mn", 1e6), ("100million", 1e8), ("tenthousand", 1e4), ("10thousand", 1e4),
            ("billion", 1e9), ("million", 1e6), ("thousand", 1e3), ("100000", 1e5), ("10000", 1e4),
            ("1000", 1e3), ("100", 1e2), ("10", 1e1)]
# base words (after a multiplier is taken off); longest first so that 人次 wins over 人
_BASES = {
    "元": "yuan", "人民币元": "yuan", "yuan": "yuan", "rmbyuan": "yuan", "rmb": "yuan", "cny": "yuan",
    "美元": "US dollars", "usd": "US dollars", "usdollars": "US dollars",
    "人次": "person-times", "person-times": "person-times", "persontimes": "person-times",
    "visits": "person-times",
    "人": "persons", "人口": "persons", "persons": "persons", "person": "persons", "people": "persons",
    "户": "households", "households": "households", "household": "households",
    "个": "count", "家": "count", "所": "count", "张": "count", "床": "count", "辆": "count",
    "台": "count", "项": "count", "件": "count", "座": "count", "处": "count", "units": "count",
    "unit": "count", "beds": "count", "bed": "count", "institutions": "count",
    "床日": "bed-days", "bed-days": "bed-days",
    "吨": "tons", "tons": "tons", "公斤": "kg", "千克": "kg", "kg": "kg",
    "公里": "km", "km": "km", "平方公里": "km2", "km2": "km2", "公顷": "hectares", "hectares": "hectares",
    "亩": "mu",
    "岁": "years", "年": "years", "years": "years", "year": "years",
    "月": "months", "months": "months", "个月": "months",
    "天": "days", "日": "days", "days": "days", "小时": "hours", "hours": "hours",
}
_PERCENT = {"%", "％", "百分比", "percent", "percentage", "percent(%)", "percentage(%)", "pct"}
_POINTS = {"百分点", "个百分点", "percentagepoints", "percentagepoint", "pp"}
_PERMILLE = {"‰", "千分比", "千分之", "permille", "perthousand", "per1000", "‰(permille)"}
_NUMBER = {"number", "无", "无单位", "none", "ratio", "比值", "倍", "times", "score", "分"}
_DEN = {"人": "person", "千人": "1000 persons", "千人口": "1000 persons", "万人": "10000 persons",
        "十万人": "100000 persons", "10万": "100000", "万": "10000", "千": "1000", "户": "household",
        "年": "year", "月": "month", "天": "day", "日": "day", "person": "person", "capita": "person",
        "percapita": "person", "1000persons": "1000 persons", "10000persons": "10000 persons",
        "100000persons": "100000 persons", "100000": "100000", "1000": "1000", "10000": "10000",
        "床": "bed", "床日": "bed-day", "人次": "person-time"}
_INDEX = re.compile(r"^(.{1,24}?)\s*[=＝]\s*100\s*$")


def _key(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).strip().lower()
    t = re.sub(r"(?<=\d)[\s,](?=\d{3})", "", t)  # "10 000", "10,000"
    return re.sub(r"[\s_]+", "", t)


def _amount(k: str) -> tuple[str, float] | None:
    """Base word and factor of an amount such as 亿元, 10000persons, 100millionyuan."""
    if k in _BASES:
        return _BASES[k], 1.0
    for prefix, mult in _ZH_MULT + _EN_MULT:
        if k.startswith(prefix) and k[len(prefix):] in _BASES:
            return _BASES[k[len(prefix):]], mult
    if k in ("1000", "10000", "100000", "100million", "10k", "100m"):  # "(10 000)" alone: 10 000 of the indicator
        return "number", dict(_EN_MULT)[k]
    return None


def parse_unit(text: str | None) -> Unit | None:
    """Parse a unit's text; None if it is not a unit this module knows.

    Examples
    --------
    >>> parse_unit("亿元")
    Unit(text='亿元', base='yuan', factor=100000000.0, index_base=None)
    >>> parse_unit("10 000 persons").factor, parse_unit("上年=100").base
    (10000.0, 'index')
    """
    if text is None:
        return None
    raw = unicodedata.normalize("NFKC", str(text)).strip()
    raw = re.sub(r"^(单位|unit|units)\s*[:：]\s*", "", raw, flags=re.IGNORECASE)
    if not raw:
        return None
    m = _INDEX.match(raw)
    if m:
        return Unit(raw, INDEX, 1.0, m.group(1).strip())
    k = _key(raw)
    if k in _PERCENT:
        return Unit(raw, "%", 1.0)
    if k in _POINTS:
        return Unit(raw, "percentage points", 1.0)
    if k in _PERMILLE:
        return Unit(raw, "‰", 1.0)
    if k in _NUMBER:
        return Unit(raw, "number", 1.0)
    a = _amount(k)
    if a is not None:
        return Unit(raw, a[0], a[1])
    for sep in ("/", "每", "per"):
        if sep in k:
            num, _, den = k.partition(sep)
            if num == "1" and den in _DEN:
                return Unit(raw, f"per {_DEN[den]}", 1.0)
            na = _amount(num) if num not in _PERMILLE | _PERCENT else (num, 1.0)
            if na is not None and den in _DEN:
                return Unit(raw, f"{na[0]} per {_DEN[den]}", na[1])
    return None


# Base words taken from the end of a snake_case name without a multiplier ("_yuan", "_pct"); words such as
# "bed" or "unit" end many names that are not units ("num_bed").
_SNAKE_BASES = {"yuan", "persons", "person-times", "%", "‰", "households", "US dollars"}


def split_snake(name: str) -> tuple[str, Unit] | None:
    """A unit at the end of a snake_case column name: ``payout_100m_yuan`` -> ("payout", 1e8 yuan).

    Examples
    --------
    >>> split_snake("enrollees_10k_persons")
    ('enrollees', Unit(text='10k_persons', base='persons', factor=10000.0, index_base=None))
    """
    tokens = name.split("_")
    for k in range(min(3, len(tokens) - 1), 0, -1):
        u = parse_unit("".join(tokens[-k:]))
        if u is not None and (u.factor != 1 or u.base in _SNAKE_BASES) and (u.base != "number" or k == 1):
            return "_".join(tokens[:-k]), Unit("_".join(tokens[-k:]), u.base, u.factor, u.index_base)
    return None


#: Known unit spellings -> (base unit, factor), for reference (``parse_unit`` reads many more forms).
UNITS: dict[str, tuple[str, float]] = {
    u: (p.base, p.factor)
    for u in ("元", "千元", "万元", "百万元", "亿元", "yuan", "10000 yuan", "100 million yuan", "人", "万人",
              "亿人", "persons", "10000 persons", "人次", "万人次", "%", "‰", "个", "家", "张", "月", "年",
              "元/人", "万元/人", "1/10万", "张/千人")
    if (p := parse_unit(u)) is not None
}
