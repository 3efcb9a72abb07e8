"""Chinese region codes (GB/T 2260) and names.

The 31 provincial-level units of mainland China, with Hong Kong, Macao and Taiwan recognised and
flagged (``in_mainland31`` is False), the national total (code ``100000``) and Chifeng's 12
county-level units.

Name matching is deliberately strict: a value is normalised (white space, including the padding
yearbooks put inside two-character names such as ``"北  京"``; administrative suffixes such as
省/市/自治区/壮族自治区; English words such as "Province", "Municipality", "Autonomous Region") and
then looked up exactly. Unknown names raise :class:`~disparity.errors.RegionError` with suggestions;
ambiguous ones raise :class:`~disparity.errors.AmbiguousRegionError`.

The one ambiguity that matters in practice is the romanisation "Shanxi": officially 山西 (14), but
often written for 陕西 (61, officially "Shaanxi"). A bare "Shanxi" raises, unless the same call also
contains "Shaanxi" (then the source evidently uses the official spellings, as the English edition
of the China Statistical Yearbook does) or the caller passes ``shanxi="official"``.

Sources
-------
* Province codes and names: GB/T 2260 (National Bureau of Statistics / Ministry of Civil Affairs
  list of county-level and higher administrative division codes).
* Four-region classification: National Bureau of Statistics, "东西中部和东北地区划分方法" (2011):
  east, central, west, northeast.
* Three-region classification: the older east/central/west split used with the Western Development
  strategy (2000): east 11 (incl. Liaoning), central 8 (incl. Jilin, Heilongjiang), west 12.
* Chifeng (150400) county-level codes: checked against the Ministry of Civil Affairs code list as
  published in the public ``areacodes`` data set (150402-150404, 150421-150426, 150428-150430).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd

from .._options import check_option
from ..errors import AmbiguousRegionError, RegionError

__all__ = [
    "provinces",
    "chifeng_units",
    "to_code",
    "to_name",
    "classify",
    "NATIONAL_CODE",
]

NATIONAL_CODE = "100000"

# code, full Chinese name, short name, abbreviation(s), English, pinyin variants, NBS four-region,
# older three-region.
_PROVINCES: list[tuple[str, str, str, str, str, tuple[str, ...], str, str]] = [
    ("110000", "北京市", "北京", "京", "Beijing", (), "east", "east"),
    ("120000", "天津市", "天津", "津", "Tianjin", (), "east", "east"),
    ("130000", "河北省", "河北", "冀", "Hebei", (), "east", "east"),
    ("140000", "山西省", "山西", "晋", "Shanxi", (), "central", "central"),
    ("150000", "内蒙古自治区", "内蒙古", "蒙", "Inner Mongolia", ("Nei Mongol", "Neimenggu", "Nei Menggu"), "west", "west"),
    ("210000", "辽宁省", "辽宁", "辽", "Liaoning", (), "northeast", "east"),
    ("220000", "吉林省", "吉林", "吉", "Jilin", (), "northeast", "central"),
    ("230000", "黑龙江省", "黑龙江", "黑", "Heilongjiang", (), "northeast", "central"),
    ("310000", "上海市", "上海", "沪", "Shanghai", (), "east", "east"),
    ("320000", "江苏省", "江苏", "苏", "Jiangsu", (), "east", "east"),
    ("330000", "浙江省", "浙江", "浙", "Zhejiang", (), "east", "east"),
    ("340000", "安徽省", "安徽", "皖", "Anhui", (), "central", "central"),
    ("350000", "福建省", "福建", "闽", "Fujian", (), "east", "east"),
    ("360000", "江西省", "江西", "赣", "Jiangxi", (), "central", "central"),
    ("370000", "山东省", "山东", "鲁", "Shandong", (), "east", "east"),
    ("410000", "河南省", "河南", "豫", "Henan", (), "central", "central"),
    ("420000", "湖北省", "湖北", "鄂", "Hubei", (), "central", "central"),
    ("430000", "湖南省", "湖南", "湘", "Hunan", (), "central", "central"),
    ("440000", "广东省", "广东", "粤", "Guangdong", (), "east", "east"),
    ("450000", "广西壮族自治区", "广西", "桂", "Guangxi", ("Guangxi Zhuang",), "west", "west"),
    ("460000", "海南省", "海南", "琼", "Hainan", (), "east", "east"),
    ("500000", "重庆市", "重庆", "渝", "Chongqing", (), "west", "west"),
    ("510000", "四川省", "四川", "川蜀", "Sichuan", (), "west", "west"),
    ("520000", "贵州省", "贵州", "黔贵", "Guizhou", (), "west", "west"),
    ("530000", "云南省", "云南", "滇云", "Yunnan", (), "west", "west"),
    ("540000", "西藏自治区", "西藏", "藏", "Tibet", ("Xizang",), "west", "west"),
    ("610000", "陕西省", "陕西", "陕秦", "Shaanxi", (), "west", "west"),
    ("620000", "甘肃省", "甘肃", "甘陇", "Gansu", (), "west", "west"),
    ("630000", "青海省", "青海", "青", "Qinghai", (), "west", "west"),
    ("640000", "宁夏回族自治区", "宁夏", "宁", "Ningxia", ("Ningxia Hui",), "west", "west"),
    ("650000", "新疆维吾尔自治区", "新疆", "新", "Xinjiang", ("Xinjiang Uygur", "Xinjiang Uyghur"), "west", "west"),
    ("710000", "台湾省", "台湾", "台", "Taiwan", (), "", ""),
    ("810000", "香港特别行政区", "香港", "港", "Hong Kong", ("Hongkong", "Xianggang"), "", ""),
    ("820000", "澳门特别行政区", "澳门", "澳", "Macao", ("Macau", "Aomen"), "", ""),
]

# Chifeng (赤峰市, 150400) county-level units: code, Chinese name, English, kind.
_CHIFENG: list[tuple[str, str, str, str]] = [
    ("150402", "红山区", "Hongshan", "district"),
    ("150403", "元宝山区", "Yuanbaoshan", "district"),
    ("150404", "松山区", "Songshan", "district"),
    ("150421", "阿鲁科尔沁旗", "Ar Horqin", "banner"),
    ("150422", "巴林左旗", "Bairin Left", "banner"),
    ("150423", "巴林右旗", "Bairin Right", "banner"),
    ("150424", "林西县", "Linxi", "county"),
    ("150425", "克什克腾旗", "Hexigten", "banner"),
    ("150426", "翁牛特旗", "Ongniud", "banner"),
    ("150428", "喀喇沁旗", "Harqin", "banner"),
    ("150429", "宁城县", "Ningcheng", "county"),
    ("150430", "敖汉旗", "Aohan", "banner"),
]

_NATIONAL_NAMES = ("全国", "全国合计", "合计", "总计", "national", "national total", "china", "total", "nationwide")

_ZH_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市")
_EN_WORDS = re.compile(
    r"\b(province|municipality|autonomous|region|special|administrative|sar|city|of|china|"
    r"prov|mun)\b\.?"
)

_SHANXI_TRAP = "shanxi"


def _fold(value: str) -> str:
    """Normalise a name for lookup: NFKC, no white space or punctuation, lower case."""
    s = unicodedata.normalize("NFKC", str(value)).strip().lower()
    s = re.sub(r"[\s\u3000]+", " ", s)
    return s


def _key_zh(value: str) -> str:
    s = re.sub(r"\s+", "", _fold(value))
    for suf in _ZH_SUFFIXES:
        if s.endswith(suf) and len(s) > len(suf) + 1:
            return s[: -len(suf)]
    return s


def _key_en(value: str) -> str:
    s = _fold(value)
    s = re.sub(r"[()\[\],.'’\-_/]", " ", s)
    s = _EN_WORDS.sub(" ", s)
    s = re.sub(r"\b(zhuang|hui|uygur|uyghur|uighur)\b", " ", s)
    return re.sub(r"\s+", "", s)


def _has_cjk(s: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in s)


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}

    def add(key: str, code: str) -> None:
        if not key:
            return
        prev = table.get(key)
        if prev is not None and prev != code:
            raise RuntimeError(f"region lookup key {key!r} is ambiguous: {prev} vs {code}")
        table[key] = code

    for code, full, short, abbrs, en, variants, _, _ in _PROVINCES:
        add(_key_zh(full), code)
        add(_key_zh(short), code)
        add(short, code)
        for ch in abbrs:
            add(ch, code)
        add(code, code)
        add(code[:2], code)
        en_key = _key_en(en)
        if en_key != _SHANXI_TRAP:
            add(en_key, code)
        for v in variants:
            add(_key_en(v), code)
    for code, zh, en, _ in _CHIFENG:
        add(_key_zh(zh), code)
        add(zh, code)
        add(code, code)
        add("cf:" + _key_en(en), code)
    add("赤峰", "150400")
    add("150400", "150400")
    add("cf:chifeng", "150400")
    for name in _NATIONAL_NAMES:
        add(_key_zh(name) if _has_cjk(name) else _key_en(name) or name, NATIONAL_CODE)
    add(NATIONAL_CODE, NATIONAL_CODE)
    return table


@lru_cache(maxsize=1)
def provinces() -> pd.DataFrame:
    """The provincial-level units as a frame (one row each; a copy is returned on every call).

    Columns: ``region_code`` (6-digit string), ``region`` (full Chinese name), ``short``
    (short Chinese name), ``abbr`` (one-character abbreviation), ``region_en``, ``nbs4``
    (east/central/west/northeast), ``region3`` (east/central/west), ``in_mainland31``.
    """
    rows = [
        {
            "region_code": code,
            "region": full,
            "short": short,
            "abbr": abbrs[0],
            "region_en": en,
            "nbs4": four or None,
            "region3": three or None,
            "in_mainland31": code[:2] not in ("71", "81", "82"),
        }
        for code, full, short, abbrs, en, _, four, three in _PROVINCES
    ]
    return pd.DataFrame(rows)


def chifeng_units() -> pd.DataFrame:
    """Chifeng's 12 county-level units: ``region_code``, ``region``, ``region_en``, ``kind``.

    Examples
    --------
    >>> cf = chifeng_units()
    >>> len(cf), cf["region"].iloc[0], cf["region_code"].iloc[-1]
    (12, '红山区', '150430')
    """
    return pd.DataFrame(_CHIFENG, columns=["region_code", "region", "region_en", "kind"])


def _resolve_one(value: object, *, shanxi_official: bool, table: dict[str, str]) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        raise RegionError("A region value is missing; drop or fill missing regions before converting.")
    if isinstance(value, (int, np.integer)):
        value = str(int(value))
    raw = str(value)
    s = _fold(raw)
    if re.fullmatch(r"\d{2}(0000)?|\d{6}", s):
        code = s if len(s) == 6 else s[:2] + "0000"
        if code in table.values():
            return code
        raise RegionError(f"Region code {raw!r} is not a known province or Chifeng unit code.")
    if _has_cjk(s):
        key = _key_zh(s)
        for k in (key, re.sub(r"\s+", "", s)):
            if k in table:
                return table[k]
    else:
        key = _key_en(s)
        if key == _SHANXI_TRAP:
            if shanxi_official:
                return "140000"
            raise AmbiguousRegionError(
                f"{raw!r} is ambiguous: officially 'Shanxi' is 山西 (140000), but it is often written "
                "for 陕西 (610000, officially 'Shaanxi'). Use the Chinese name or the code, or pass "
                "shanxi='official' if your source uses the official romanisation."
            )
        if key in table:
            return table[key]
        if "cf:" + key in table:
            return table["cf:" + key]
    candidates = [k for k in table if not k.startswith("cf:") and not k.isdigit()]
    probe = _key_zh(s) if _has_cjk(s) else _key_en(s)
    close = difflib.get_close_matches(probe, candidates, n=3, cutoff=0.6)
    hint = ""
    if close:
        hint = " Did you mean " + " or ".join(repr(c) for c in close) + "?"
    raise RegionError(
        f"Unknown region {raw!r}.{hint} Use a Chinese name (e.g. '甘肃' or '甘肃省'), an English "
        "name (e.g. 'Gansu'), or a GB/T 2260 code (e.g. '620000')."
    )


def to_code(
    values: Iterable[object] | object,
    *,
    shanxi: Literal["raise", "official"] = "raise",
) -> pd.Series | str:
    """Convert region names or codes to 6-digit GB/T 2260 codes (vectorised).

    Parameters
    ----------
    values : scalar or iterable
        Chinese names (full, short, with or without suffix, one-character abbreviations), English or
        pinyin names ("Inner Mongolia", "Nei Mongol", "Xizang", "Tibet"), 2- or 6-digit codes, names of
        Chifeng's county-level units, or a national-total label ("全国", "National").
    shanxi : {"raise", "official"}
        How to read a bare "Shanxi": raise (default) unless "Shaanxi" occurs among the same values, or
        read it as 山西 (the official romanisation).

    Returns
    -------
    str for a scalar input, else a Series of str aligned with the input.

    Raises
    ------
    RegionError
        For an unknown name (with suggestions) or a missing value.
    AmbiguousRegionError
        For "Shanxi" when it cannot be told apart from 陕西.

    Examples
    --------
    >>> to_code("甘肃省")
    '620000'
    >>> list(to_code(["Nei Mongol", "宁夏回族自治区", "津", 62]))
    ['150000', '640000', '120000', '620000']
    """
    check_option("shanxi", shanxi, ("raise", "official"))
    table = _lookup()
    scalar = isinstance(values, (str, int, np.integer, float)) or values is None
    seq = pd.Series([values] if scalar else list(values), dtype=object) if not isinstance(values, pd.Series) else values.astype(object)
    uniques = pd.unique(seq.dropna()) if seq.notna().all() else pd.unique(seq)
    official = shanxi == "official" or any(
        isinstance(u, str) and not _has_cjk(u) and _key_en(u) == "shaanxi" for u in uniques
    )
    mapping = {u: _resolve_one(u, shanxi_official=official, table=table) for u in uniques}
    out = seq.map(mapping)
    if scalar:
        return str(out.iloc[0])
    return out.astype(object).rename(getattr(values, "name", None))


def to_name(
    codes: Iterable[object] | object, *, lang: Literal["zh", "short", "en"] = "zh"
) -> pd.Series | str:
    """Names for region codes (or names): ``lang="zh"`` full Chinese, ``"short"``, or ``"en"``.

    Examples
    --------
    >>> to_name("620000"), list(to_name(["Nei Mongol", "64"], lang="short"))
    ('甘肃省', ['内蒙古', '宁夏'])
    """
    check_option("lang", lang, ("zh", "short", "en"))
    names: dict[str, tuple[str, str, str]] = {
        code: (full, short, en) for code, full, short, _, en, _, _, _ in _PROVINCES
    }
    names.update({code: (zh, zh, en) for code, zh, en, _ in _CHIFENG})
    names["150400"] = ("赤峰市", "赤峰", "Chifeng")
    names[NATIONAL_CODE] = ("全国", "全国", "National")
    idx = {"zh": 0, "short": 1, "en": 2}[lang]
    codes_s = to_code(codes)
    if isinstance(codes_s, str):
        return names[codes_s][idx]
    return codes_s.map(lambda c: names[c][idx])


def classify(
    codes: Iterable[object] | object, *, scheme: Literal["nbs4", "region3"] = "nbs4"
) -> pd.Series | str | None:
    """Economic region of provinces: NBS four-region (``"nbs4"``) or older three-region split.

    Hong Kong, Macao, Taiwan and the national total have no region (None).

    Examples
    --------
    >>> classify("辽宁"), classify("辽宁", scheme="region3")
    ('northeast', 'east')
    """
    check_option("scheme", scheme, ("nbs4", "region3"))
    table = provinces().set_index("region_code")[scheme]
    codes_s = to_code(codes)
    if isinstance(codes_s, str):
        return table.get(codes_s[:2] + "0000")
    return codes_s.map(lambda c: table.get(c[:2] + "0000"))
