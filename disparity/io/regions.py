"""Chinese region codes (GB/T 2260) and names at every level: provinces, prefectures, counties.

Codes and names of prefecture- and county-level units come from the Ministry of Civil Affairs'
yearly code lists, 1981 to 2024, as collected by the public ``areacodes`` data set
(github.com/yescallop/areacodes, CC0 1.0; the commit is named in ``_regions_data/source.json`` and the
table is rebuilt by ``data/regions/build_areacodes.py``). Each year's list is as of 31 December:
``vintage=2015`` means the codes in force at the end of 2015. Pinyin keys (toneless, every reading
of a polyphonic character) were made from the Chinese names with pypinyin when the table was built.

Lookup order for a name, each step restricted by ``vintage``, ``level`` and ``within`` and used only
if it finds something:

1. the exact official name (``石家庄市``, ``朝阳区``, ``北京市``);
2. province names, short names, one-character abbreviations, English and pinyin names (``津``,
   ``Nei Mongol``, ``广西省``), as before this module knew lower levels;
3. the English names of Chifeng's county-level units (the bundled survey's area, ``Ar Horqin``) and
   the conventional English names of prefectures whose names are not Mandarin (``Harbin``,
   ``Urumqi``, ``Lhasa``);
4. the name without its administrative suffix (``石家庄``, ``亳州``, ``恩施州``) or, for Latin
   script, its pinyin (``Shijiazhuang``, ``Bozhou``, ``Xi'an``, ``Chaoyang District``): the usual
   reading with its syllable apostrophe first (``Jinan`` is 济南, ``Jin'an`` 金安), then without,
   then every reading of polyphonic characters.

With no ``vintage``, units in use now are tried first, then the last code of units no longer in
use (``遵义县``). A bare name shared by a prefecture and its own county or district (长沙市 and
长沙县) is the prefecture; the county is found by its full name.

A name that still matches more than one unit raises :class:`~disparity.errors.AmbiguousRegionError`
listing the candidates (``朝阳区`` is in Beijing and in Changchun; ``Bozhou`` is 亳州市 in Anhui and
播州区 in Guizhou); ``within=`` (a province or prefecture, or one per value) or ``level=`` picks one.
Unknown names raise :class:`~disparity.errors.RegionError` with the closest real names.

The one ambiguity between provinces is the romanisation "Shanxi": officially 山西 (14), but
often written for 陕西 (61, officially "Shaanxi"). A bare "Shanxi" raises, unless the same call also
contains "Shaanxi" (then the source evidently uses the official spellings, as the English edition
of the China Statistical Yearbook does) or the caller passes ``shanxi="official"``.

Sources
-------
* Codes and names: GB/T 2260 lists of the Ministry of Civil Affairs (民政部, 中华人民共和国县级以上
  行政区划代码), 1981-2024, via the ``areacodes`` data set (CC0 1.0).
* Province English names, abbreviations and the region classifications: kept in this module (the
  province codes are checked against the code lists by the tests).
* Four-region classification: National Bureau of Statistics, "东西中部和东北地区划分方法" (2011):
  east, central, west, northeast.
* Three-region classification: the older east/central/west split used with the Western Development
  strategy (2000): east 11 (incl. Liaoning), central 8 (incl. Jilin, Heilongjiang), west 12.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Literal, cast

import numpy as np
import pandas as pd

from .._options import check_option
from ..errors import AmbiguousRegionError, RegionError, SpecificationError
from . import _areacodes as _ac
from ._provinces import (
    _CHIFENG_CODE,
    _CHIFENG_EN,
    _EN_SUFFIX,
    _EXONYMS,
    _KIND,
    _PROVINCES,
    _SHANXI_TRAP,
    NATIONAL_CODE,
    _fold,
    _has_cjk,
    _key_en,
    _key_zh,
    _lookup,
)

__all__ = [
    "provinces",
    "chifeng_units",
    "divisions",
    "to_code",
    "to_name",
    "classify",
    "crosswalk",
    "recode",
    "NATIONAL_CODE",
]

Level = Literal["province", "prefecture", "county"]
Errors = Literal["raise", "coerce"]
_LEVELS = ("province", "prefecture", "county")

@lru_cache(maxsize=1)
def _chifeng() -> dict[str, str]:
    """Chifeng unit code -> Chinese name, from the code table (units in use now)."""
    t = _ac.table()
    return {
        str(t.code[i]): str(t.name[i])
        for name in _CHIFENG_EN
        for i in _ac.in_year(t, [j for j in t.by_name.get(name, []) if str(t.code[j]).startswith("1504")], None)
    }


@lru_cache(maxsize=1)
def _chifeng_aliases() -> dict[str, str]:
    by_name = {v: k for k, v in _chifeng().items()}
    return {_key_en(en, lower=True): by_name[zh] for zh, en in _CHIFENG_EN.items()}


@lru_cache(maxsize=1)
def _exonyms() -> dict[str, list[int]]:
    """English key -> prefecture-level records with that stem."""
    t = _ac.table()
    return {_key_en(en, lower=True): [i for i in t.by_stem.get(zh, []) if t.level[i] == 2]
            for zh, names in _EXONYMS.items() for en in names}


@lru_cache(maxsize=1)
def provinces() -> pd.DataFrame:
    """The provincial-level units as a frame (one row each; a copy is returned on every call).

    Columns: ``region_code`` (6-digit string), ``region`` (full Chinese name), ``short``
    (short Chinese name), ``abbr`` (one-character abbreviation), ``region_en``, ``nbs4``
    (east/central/west/northeast), ``region3`` (east/central/west), ``in_mainland31``.

    Examples
    --------
    >>> p = provinces()
    >>> int(p["in_mainland31"].sum()), p.loc[p["short"] == "甘肃", "region_code"].item()
    (31, '620000')
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
    rows = [(code, zh, _CHIFENG_EN[zh], _KIND[zh[-1]]) for code, zh in sorted(_chifeng().items())]
    return pd.DataFrame(rows, columns=["region_code", "region", "region_en", "kind"])


def _check_vintage(vintage: int | None) -> int | None:
    if vintage is None:
        return None
    t = _ac.table()
    if isinstance(vintage, bool) or not isinstance(vintage, (int, np.integer)) or not (
        t.first_year <= int(vintage) <= t.last_year
    ):
        raise SpecificationError(
            f"vintage={vintage!r} is not a year with a code list; use a year from {t.first_year} to "
            f"{t.last_year} (the list as of 31 December), or None for the codes in use now."
        )
    return int(vintage)


def divisions(
    *, vintage: int | None = None, level: Level | None = None
) -> pd.DataFrame:
    """The GB/T 2260 code list of one year: provinces, prefectures and counties.

    Parameters
    ----------
    vintage : int, optional
        Year of the list (as of 31 December, 1981-2024); default the latest list.
    level : {"province", "prefecture", "county"}, optional
        Keep one level only.

    Returns
    -------
    DataFrame with ``region_code``, ``region`` (official name), ``short`` (name without its
    administrative suffix), ``pinyin`` (toneless, machine-made), ``level``, ``province_code``,
    ``prefecture_code`` (None for provinces and for counties directly under a province), ``start``
    and ``end`` (first year in use; first year no longer in use, None while in use).

    Notes
    -----
    Source: the Ministry of Civil Affairs' yearly code lists as collected by the ``areacodes`` data
    set (github.com/yescallop/areacodes, CC0 1.0).

    Examples
    --------
    >>> d = divisions(vintage=2010, level="prefecture")
    >>> d.loc[d["region_code"] == "341400", ["region", "end"]].values.tolist()
    [['巢湖市', 2011]]
    >>> int((divisions(level="province")["region_code"].str[:2] < "71").sum())
    31
    """
    vintage = _check_vintage(vintage)
    if level is not None:
        check_option("level", level, _LEVELS)
    t = _ac.table()
    year = t.last_year if vintage is None else vintage
    idx = [i for i in range(len(t.code)) if _ac.valid(t, i, year)]
    if level is not None:
        idx = [i for i in idx if t.level[i] == _ac.LEVELS[level]]
    codes = [str(t.code[i]) for i in idx]
    in_use = set(codes)
    out = pd.DataFrame({
        "region_code": codes,
        "region": [str(t.name[i]) for i in idx],
        "short": [str(t.stem[i]) for i in idx],
        "pinyin": [t.pinyin[i][0] if t.pinyin[i] else "" for i in idx],
        "level": [_LEVELS[int(t.level[i]) - 1] for i in idx],
        "province_code": [c[:2] + "0000" for c in codes],
        "prefecture_code": [
            (c[:4] + "00" if t.level[i] == 3 and c[:4] + "00" in in_use else (c if t.level[i] == 2 else None))
            for c, i in zip(codes, idx, strict=True)
        ],
        "start": [int(t.start[i]) for i in idx],
        "end": pd.array([None if t.end[i] == _ac._OPEN else int(t.end[i]) for i in idx], dtype="Int64"),
    })
    out.attrs["source"] = f"GB/T 2260 code list {year} (Ministry of Civil Affairs), via areacodes (CC0 1.0)"
    return out


class _Ctx:
    """What restricts one lookup: the year's list, a level, a code prefix (from ``within``)."""

    __slots__ = ("vintage", "level", "prefix", "shanxi_official", "within_label", "suggest")

    def __init__(self, vintage: int | None, level: str | None, prefix: str, shanxi_official: bool,
                 within_label: str = "", suggest: bool = True) -> None:
        self.vintage, self.level, self.prefix = vintage, level, prefix
        self.shanxi_official, self.within_label = shanxi_official, within_label
        self.suggest = suggest  # near-match suggestions cost ~10 ms: not for values being coerced

    def keep(self, idx: list[int], *, history: bool = False) -> list[int]:
        """Records of ``idx`` that pass the restrictions: in ``vintage``'s list; with no vintage, in
        use now (``history=False``) or the latest record of each unit (``history=True``)."""
        t = _ac.table()
        if self.vintage is None and not history:
            out = [i for i in idx if t.end[i] == _ac._OPEN]
        elif self.vintage is not None and history:
            # an earlier or later name of a unit that is in this year's list under the same code
            out = list(dict.fromkeys(j for i in idx if (j := _ac.continued(t, i, self.vintage)) is not None))
        else:
            out = _ac.in_year(t, idx, self.vintage)
        if self.level is not None:
            out = [i for i in out if t.level[i] == _ac.LEVELS[self.level]]
        if self.prefix:
            out = [i for i in out if str(t.code[i]).startswith(self.prefix)]
        return out

    def code_ok(self, code: str) -> bool:
        if self.level is not None and self.level != "province":
            return False
        if self.prefix and not code.startswith(self.prefix):
            return False
        if self.vintage is not None and code != NATIONAL_CODE:
            return _ac.record(_ac.table(), code, self.vintage) is not None
        return True

    def where(self) -> str:
        bits = [f"in the {self.vintage} list" if self.vintage is not None else ""]
        bits.append(f"at {self.level} level" if self.level else "")
        bits.append(f"within {self.within_label}" if self.within_label else "")
        return " ".join(b for b in bits if b)


def _one(hit: list[int], raw: str, ctx: _Ctx, *, by_stem: bool = False) -> str:
    t = _ac.table()
    codes = list(dict.fromkeys(str(t.code[i]) for i in hit))
    if len(codes) == 1:
        return codes[0]
    if by_stem:
        # a bare name shared by a prefecture and its own county or district (长沙市 and 长沙县,
        # 白银市 and 白银区) is the prefecture; the county has its full name
        pref = [c for i, c in zip(hit, codes, strict=False) if t.level[i] == 2]
        levels = {str(t.code[i]): int(t.level[i]) for i in hit}
        if len(pref) == 1 and all(levels[c] == 3 and c[:4] == pref[0][:4] for c in codes if c != pref[0]):
            return pref[0]
    shown = "; ".join(_ac.describe(t, i) for i in hit[:12])
    more = f" and {len(hit) - 12} more" if len(hit) > 12 else ""
    raise AmbiguousRegionError(
        f"{raw!r} is ambiguous{' ' + ctx.where() if ctx.where() else ''}: it could be {shown}{more}. "
        "Pass within= (a province or prefecture, or a column giving one per value), level=, the full "
        "official name, or the code."
    )


def _resolve_code(s: str, raw: str, ctx: _Ctx) -> str:
    t = _ac.table()
    code = s + "0" * (6 - len(s))
    if code == NATIONAL_CODE:
        return code
    if code not in t.by_code:
        raise RegionError(
            f"Region code {raw!r} is not a known GB/T 2260 code (none of the lists {t.first_year}-"
            f"{t.last_year} has {code})."
        )
    i = _ac.record(t, code, ctx.vintage)
    if i is None:
        last = _ac.record(t, code, None)
        assert last is not None  # the code is in the table
        raise RegionError(
            f"Region code {raw!r} was not in use in {ctx.vintage}: {_ac.describe(t, last)}. Use "
            "dp.regions.crosswalk to carry codes between years."
        )
    if ctx.level is not None and t.level[i] != _ac.LEVELS[ctx.level]:
        raise RegionError(f"Region code {raw!r} is {_ac.describe(t, i)}, not a {ctx.level}-level unit.")
    if ctx.prefix and not code.startswith(ctx.prefix):
        raise RegionError(f"Region code {raw!r} ({t.name[i]}) is not within {ctx.within_label}.")
    return code


def _resolve(value: object, ctx: _Ctx) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        raise RegionError("A region value is missing; drop or fill missing regions before converting.")
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)  # a code column read from Excel with a gap in it is float
    if isinstance(value, (int, np.integer)):
        value = str(int(value))
    raw = str(value)
    s = _fold(raw)
    if re.fullmatch(r"\d{2}|\d{4}|\d{6}", s):
        return _resolve_code(s, raw, ctx)
    t = _ac.table()
    prov = _lookup()
    passes = (False, True)  # in use now (or in vintage's list) first; then other names of the unit
    if _has_cjk(s):
        s0 = re.sub(r"\s+", "", s)
        bare = _ac.stem(s0) == s0
        for history in passes:
            hit = ctx.keep(t.by_name.get(s0, []), history=history)
            if hit:
                return _one(hit, raw, ctx)
            if not history:
                code = prov.get(_key_zh(s0)) or prov.get(s0)
                if code is not None and ctx.code_ok(code) and not (code == NATIONAL_CODE and (ctx.level or ctx.prefix)):
                    return code
            hit = ctx.keep(t.by_stem.get(s0, []), history=history) if bare else []  # 石家庄, 亳州
            if not hit and s0.endswith("州") and len(s0) >= 3:  # 恩施州 for 恩施土家族苗族自治州
                hit = [i for i in ctx.keep(t.by_stem.get(s0[:-1], []), history=history)
                       if str(t.name[i]).endswith("自治州")]
            if hit:
                return _one(hit, raw, ctx, by_stem=True)
    else:
        key = _key_en(s)
        if key == _SHANXI_TRAP and ctx.level in (None, "province") and not ctx.prefix:
            if ctx.shanxi_official:
                return "140000"
            raise AmbiguousRegionError(
                f"{raw!r} is ambiguous: officially 'Shanxi' is 山西 (140000), but it is often written "
                "for 陕西 (610000, officially 'Shaanxi'). Use the Chinese name or the code, or pass "
                "shanxi='official' if your source uses the official romanisation."
            )
        code = prov.get(key)
        if code is not None and ctx.code_ok(code) and not (code == NATIONAL_CODE and (ctx.level or ctx.prefix)):
            return code
        low = _key_en(s, lower=True)
        cf = _chifeng_aliases().get(low)
        if cf is not None and ctx.keep(t.by_code[cf], history=True):
            return cf
        exo = _exonyms().get(low)
        if exo:
            for history in passes:
                hit = ctx.keep(exo, history=history)
                if hit:
                    return _one(hit, raw, ctx)
        low_a = _key_en(s, lower=True, apostrophe=True)
        # the usual reading (with its apostrophe: Jinan is 济南, Jin'an 金安), then the same without
        # apostrophes (Xian), then every reading of polyphonic characters
        tiers = ((t.by_pinyin1, low_a), (t.by_pinyin2, low), (t.by_pinyin, low), (t.by_pinyin, key))
        suffix = next((zh for word, zh in _EN_SUFFIX if re.search(rf"\b{word}\b", s)), None)
        for history in passes:
            for index, k in tiers:
                hit = ctx.keep(index.get(k, []), history=history)
                if suffix is not None:  # "Xi'an City" is 西安市, not 西安区
                    hit = [i for i in hit if str(t.name[i]).endswith(suffix)] or hit
                if hit:
                    return _one(hit, raw, ctx, by_stem=True)
    where = ctx.where()
    elsewhere = t.by_name.get(re.sub(r"\s+", "", s), []) if ctx.vintage is not None else []
    if elsewhere:
        listed = "; ".join(_ac.describe(t, i) for i in elsewhere[:4])
        raise RegionError(
            f"{raw!r} is not in the {ctx.vintage} list; it is in other years' lists: {listed}. Use the "
            "vintage of your data, or dp.regions.crosswalk to carry codes between years."
        )
    raise RegionError(
        f"Unknown region {raw!r}{' ' + where if where else ''}.{_suggest(s, ctx.vintage) if ctx.suggest else ''} Use a Chinese "
        "name (e.g. '甘肃省', '石家庄市', '朝阳区'), an English or pinyin name (e.g. 'Gansu', "
        "'Shijiazhuang'), or a GB/T 2260 code (e.g. '620000')."
    )


@lru_cache(maxsize=8)
def _suggestion_keys(vintage: int | None, cjk: bool) -> dict[str, str]:
    """Keys a near-miss is compared with -> the units they stand for (provinces first)."""
    t = _ac.table()
    out: dict[str, list[str]] = {}
    for code, full, short, _, en, variants, _, _ in _PROVINCES:
        keys = [short] if cjk else [_key_en(en), *(_key_en(v) for v in variants)]
        for k in keys:
            out.setdefault(k, []).append(f"{full}, {code}")
    year = t.last_year if vintage is None else vintage
    for i in range(len(t.code)):
        if t.level[i] == 1 or not _ac.valid(t, i, year):
            continue
        k = str(t.stem[i]) if cjk else (t.pinyin[i][0].replace("'", "") if t.pinyin[i] else "")
        label = f"{t.name[i]}, {t.code[i]}"
        if k and label not in out.setdefault(k, []):
            out[k].append(label)
    return {k: "; ".join(v[:3]) + ("; ..." if len(v) > 3 else "") for k, v in out.items()}


def _suggest(s: str, vintage: int | None) -> str:
    cjk = _has_cjk(s)
    keys = _suggestion_keys(vintage, cjk)
    probe = _ac.stem(re.sub(r"\s+", "", s)) if cjk else _key_en(s, lower=True)
    close = difflib.get_close_matches(probe, list(keys), n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(f"{c!r} ({keys[c]})" for c in close) + "?"


def _is_scalar(values: object) -> bool:
    return isinstance(values, (str, int, np.integer, float)) or values is None


def _prefix_of(code: str) -> str:
    if code == NATIONAL_CODE:
        return ""
    if code.endswith("0000"):
        return code[:2]
    return code[:4] if code.endswith("00") else code


def to_code(
    values: Iterable[object] | object,
    *,
    vintage: int | None = None,
    level: Level | None = None,
    within: object = None,
    errors: Errors = "raise",
    shanxi: Literal["raise", "official"] = "raise",
) -> pd.Series | str | None:
    """Convert region names or codes to 6-digit GB/T 2260 codes (vectorised over unique values).

    Parameters
    ----------
    values : scalar or iterable
        Province, prefecture or county names: official Chinese names (``"石家庄市"``, ``"朝阳区"``),
        names without the suffix (``"石家庄"``), province short names and one-character
        abbreviations (``"津"``), English or pinyin names (``"Nei Mongol"``, ``"Shijiazhuang"``,
        ``"Chaoyang District"``), 2-, 4- or 6-digit codes, or a national-total label (``"全国"``).
    vintage : int, optional
        Year of the code list to match against (1981-2024, as of 31 December). Default: the codes
        in use now; a name no longer in use then falls back to the last code it had.
    level : {"province", "prefecture", "county"}, optional
        Match units of this level only (e.g. ``"prefecture"`` for a city panel, so ``"吉林"`` is
        吉林市 rather than the province).
    within : str, int or iterable, optional
        A province or prefecture (name or code) that every value lies in, or one per value (a column
        of the same frame, aligned by position) to tell apart same-named units; a missing entry
        does not restrict its value. A ``within`` value that is itself unknown raises.
    errors : {"raise", "coerce"}
        ``"raise"`` (default): an unknown, ambiguous or missing value raises. ``"coerce"``: it becomes
        None, and the raw values that failed are listed in ``attrs["unresolved"]`` of the result.
    shanxi : {"raise", "official"}
        How to read a bare "Shanxi": raise (default) unless "Shaanxi" occurs among the same values, or
        read it as 山西 (the official romanisation).

    Returns
    -------
    str (or None when coerced) for a scalar input, else a Series of str aligned with the input.

    Raises
    ------
    RegionError
        For an unknown name (with the closest real names), a code not in use in ``vintage``, or a
        missing value.
    AmbiguousRegionError
        For a name that matches several units (listed), or "Shanxi" when it cannot be told apart
        from 陕西.

    Notes
    -----
    Codes and names: the Ministry of Civil Affairs' GB/T 2260 lists 1981-2024 via the ``areacodes``
    data set (CC0 1.0). Pinyin keys were made with pypinyin and include every reading of polyphonic
    characters.

    Examples
    --------
    >>> to_code("甘肃省"), to_code("Shijiazhuang"), to_code("巢湖市", vintage=2010)
    ('620000', '130100', '341400')
    >>> list(to_code(["Nei Mongol", "宁夏回族自治区", "津", 62]))
    ['150000', '640000', '120000', '620000']
    >>> list(to_code(["朝阳区", "朝阳区"], within=["北京", "长春市"]))
    ['110105', '220104']
    >>> to_code("Bozhou", within="安徽"), to_code("Atlantis", errors="coerce") is None
    ('341600', True)
    """
    check_option("shanxi", shanxi, ("raise", "official"))
    check_option("errors", errors, ("raise", "coerce"))
    if level is not None:
        check_option("level", level, _LEVELS)
    vintage = _check_vintage(vintage)
    scalar = _is_scalar(values)
    if isinstance(values, pd.Series):
        seq = values
    else:
        seq = pd.Series([values] if scalar else list(cast(Iterable[object], values)), dtype="object")
    vcodes, vuniq = pd.factorize(seq, use_na_sentinel=True)
    official = shanxi == "official" or any(
        isinstance(u, str) and not _has_cjk(u) and _key_en(u) == "shaanxi" for u in vuniq
    )
    # within: one prefix for all values, or one per value
    if within is None or _is_scalar(within):
        wlabels: list[object] = [within]
        wcodes = np.zeros(len(seq), dtype=np.int64)
    else:
        wseq = within if isinstance(within, pd.Series) else pd.Series(list(cast(Iterable[object], within)), dtype="object")
        if len(wseq) != len(seq):
            raise SpecificationError(
                f"within= has {len(wseq)} values but there are {len(seq)} regions; pass one province "
                "or prefecture, or one per value."
            )
        wc, wu = pd.factorize(wseq, use_na_sentinel=True)
        wlabels, wcodes = [None, *wu], wc.astype(np.int64) + 1
    prefixes: list[str] = []
    for w in wlabels:
        if w is None or (isinstance(w, float) and np.isnan(w)):
            prefixes.append("")
        else:
            wcode = _resolve(w, _Ctx(vintage, None, "", official))
            prefixes.append(_prefix_of(wcode))
    nw = len(wlabels)
    combined = vcodes.astype(np.int64) * nw + wcodes
    gcodes, guniq = pd.factorize(combined)
    results: list[str | None] = []
    unresolved: list[str] = []
    for c in guniq:
        v, w = divmod(int(c), nw)
        value = None if v < 0 else vuniq[v]
        ctx = _Ctx(vintage, level, prefixes[w], official, "" if wlabels[w] is None else str(wlabels[w]),
                   suggest=errors == "raise")
        try:
            results.append(_resolve(value, ctx))
        except RegionError as exc:
            if errors == "raise":
                if len(seq) == 1:
                    raise
                n_bad = int((gcodes == len(results)).sum())
                raise type(exc)(f"{exc} ({n_bad} of {len(seq)} rows have this value)") from None
            results.append(None)
            unresolved.append("<missing>" if value is None else str(value))
    out_arr = np.array(results, dtype=object)[gcodes]
    if scalar:
        return out_arr[0]
    out = pd.Series(out_arr, index=seq.index, name=getattr(values, "name", None), dtype=object)
    if errors == "coerce":
        out.attrs["unresolved"] = unresolved
    return out


def _name_of(code: str, lang: str, vintage: int | None) -> str:
    if code == NATIONAL_CODE:
        return {"zh": "全国", "short": "全国", "en": "National"}[lang]
    for pcode, full, short, _, en, _, _, _ in _PROVINCES:
        if pcode == code:
            return {"zh": full, "short": short, "en": en}[lang]
    t = _ac.table()
    i = _ac.record(t, code, vintage)
    if i is None:  # to_code already checked the code against the vintage
        i = _ac.record(t, code, None)
    assert i is not None
    if lang == "zh":
        return str(t.name[i])
    if lang == "short":
        return str(t.stem[i])
    zh = str(t.name[i])
    if code[:4] == _CHIFENG_CODE[:4] and zh in _CHIFENG_EN:
        return _CHIFENG_EN[zh]
    return t.pinyin[i][0].capitalize() if t.pinyin[i] else zh


def to_name(
    codes: Iterable[object] | object,
    *,
    lang: Literal["zh", "short", "en"] = "zh",
    vintage: int | None = None,
    errors: Errors = "raise",
) -> pd.Series | str | None:
    """Names for region codes (or names): ``lang="zh"`` official Chinese, ``"short"``, or ``"en"``.

    Below province level ``"short"`` is the name without its administrative suffix and ``"en"`` its
    pinyin (machine-made with pypinyin when the table was built; a polyphonic character can be read
    wrongly in a rare name). ``vintage`` and ``errors`` are as in :func:`to_code`; a code is named
    as it was in ``vintage`` (default: its latest name).

    Examples
    --------
    >>> to_name("620000"), list(to_name(["Nei Mongol", "64"], lang="short"))
    ('甘肃省', ['内蒙古', '宁夏'])
    >>> to_name("130100", lang="en"), to_name("341400")
    ('Shijiazhuang', '巢湖市')
    """
    check_option("lang", lang, ("zh", "short", "en"))
    codes_s = to_code(codes, vintage=vintage, errors=errors)
    if codes_s is None or isinstance(codes_s, str):
        return None if codes_s is None else _name_of(codes_s, lang, vintage)
    names = {c: _name_of(c, lang, vintage) for c in pd.unique(codes_s.dropna())}
    out = pd.Series([None if c is None else names[c] for c in codes_s], index=codes_s.index,
                    name=codes_s.name, dtype=object)
    out.attrs = dict(codes_s.attrs)
    return out


def classify(
    codes: Iterable[object] | object,
    *,
    scheme: Literal["nbs4", "region3"] = "nbs4",
    errors: Errors = "raise",
) -> pd.Series | str | None:
    """Economic region of provinces (or of the province a prefecture or county lies in): NBS
    four-region (``"nbs4"``) or older three-region split.

    Hong Kong, Macao, Taiwan and the national total have no region (None); so, with
    ``errors="coerce"``, has a value :func:`to_code` cannot resolve.

    Examples
    --------
    >>> classify("辽宁"), classify("辽宁", scheme="region3"), classify("石家庄市")
    ('northeast', 'east', 'east')
    """
    check_option("scheme", scheme, ("nbs4", "region3"))
    table = provinces().set_index("region_code")[scheme]
    codes_s = to_code(codes, errors=errors)
    if codes_s is None or isinstance(codes_s, str):
        return None if codes_s is None else table.get(codes_s[:2] + "0000")
    out = pd.Series([None if c is None else table.get(c[:2] + "0000") for c in codes_s],
                    index=codes_s.index, name=codes_s.name, dtype=object)
    out.attrs = dict(codes_s.attrs)
    return out


_RELATIONS = ("same", "renamed", "recoded", "merged", "split", "abolished", "new")


def crosswalk(
    codes: Iterable[object] | object, from_year: int, to_year: int, *, errors: Errors = "raise"
) -> pd.DataFrame:
    """Where each code of ``from_year``'s list went in ``to_year``'s list (or came from, backwards).

    Parameters
    ----------
    codes : scalar or iterable
        Codes (or names, resolved with ``vintage=from_year``) in use in ``from_year``.
    from_year, to_year : int
        Years of the two code lists (1981-2024, as of 31 December); ``to_year`` may be earlier.
    errors : {"raise", "coerce"}
        What to do with a code not in ``from_year``'s list: raise, or give a row with no target.

    Returns
    -------
    DataFrame, one row per (code, target) pair: ``code``, ``name``, ``code_to``, ``name_to`` and
    ``relation``: ``"same"`` (same code and name), ``"renamed"`` (same code, new name),
    ``"recoded"`` (one new code, no other unit joined), ``"merged"`` (one new code shared with
    other units), ``"split"`` (the area went to several units; one row each) or ``"abolished"``
    (no successor; ``code_to`` is None). Backwards, ``"new"`` marks a unit with no predecessor
    code (carved out of units that kept theirs, e.g. 广阳区 from 安次区 in 2000).

    Notes
    -----
    Follows each record's successors year by year through the Ministry of Civil Affairs' lists as
    collected by the ``areacodes`` data set (CC0 1.0). An abolished prefecture goes to the
    prefectures its counties went to. Boundary changes that move part of an area (a few townships)
    while the unit keeps its code are not followed. Backwards (``to_year < from_year``) a code maps
    to every earlier unit whose area it covers.

    Examples
    --------
    >>> cw = crosswalk(["341400", "341402", "520321"], 2010, 2024)
    >>> cw[["code", "code_to", "name_to", "relation"]].values.tolist()[:3]
    [['341400', '340100', '合肥市', 'split'], ['341400', '340200', '芜湖市', 'split'], ['341400', '340500', '马鞍山市', 'split']]
    >>> cw.loc[cw["code"] == "341402", ["code_to", "name_to", "relation"]].values.tolist()
    [['340181', '巢湖市', 'recoded']]
    """
    check_option("errors", errors, ("raise", "coerce"))
    from_year = _check_vintage(from_year)
    to_year = _check_vintage(to_year)
    if from_year is None or to_year is None:
        raise SpecificationError("crosswalk needs two years (from_year and to_year).")
    t = _ac.table()
    wanted = to_code(codes, vintage=from_year, errors=errors)
    wanted_s = pd.Series([wanted]) if wanted is None or isinstance(wanted, str) else wanted
    pairs = _ac.crosswalk_pairs(from_year, to_year)
    by_from: dict[str, list[int | None]] = {}
    into: dict[str, set[str]] = {}
    for i, j in pairs:
        by_from.setdefault(str(t.code[i]), []).append(j)
        if j is not None:
            into.setdefault(str(t.code[j]), set()).add(str(t.code[i]))
    rows: list[tuple[object, ...]] = []
    raw = [codes] if _is_scalar(codes) else list(cast(Iterable[object], codes))
    for given, code in zip(raw, wanted_s, strict=True):
        if code is None or code == NATIONAL_CODE:
            rows.append((str(given), None, None, None, None))
            continue
        rec = _ac.record(t, code, from_year)
        name = str(t.name[rec]) if rec is not None else None
        targets = by_from.get(code, [None])
        for j in targets:
            if j is None:
                rows.append((code, name, None, None, "abolished" if from_year <= to_year else "new"))
                continue
            cj, nj = str(t.code[j]), str(t.name[j])
            if len(targets) > 1:
                rel = "split"
            elif cj == code:
                rel = "same" if nj == name else "renamed"
            else:
                rel = "merged" if len(into.get(cj, ())) > 1 else "recoded"
            rows.append((code, name, cj, nj, rel))
    out = pd.DataFrame(rows, columns=["code", "name", "code_to", "name_to", "relation"], dtype=object)
    out.attrs["source"] = f"GB/T 2260 lists {from_year} and {to_year} via areacodes (CC0 1.0)"
    return out


def recode(
    codes: Iterable[object] | object, from_year: int, to_year: int, *, errors: Errors = "raise"
) -> pd.Series | str | None:
    """Carry a column of codes from ``from_year``'s list to ``to_year``'s (for panels).

    Same as :func:`crosswalk` but one code per value, aligned with the input: a unit whose area was
    split, or that was abolished, raises :class:`~disparity.errors.AmbiguousRegionError` listing its
    successors (``errors="coerce"``: None, listed in ``attrs["unresolved"]``). Merged units map to
    the unit they joined, so a panel recoded to one year's boundaries can be aggregated by code.

    Examples
    --------
    >>> list(recode(["341402", "341421", "520321", "110105"], 2010, 2024, errors="coerce"))
    ['340181', '340124', None, '110105']
    """
    check_option("errors", errors, ("raise", "coerce"))
    scalar = _is_scalar(codes)
    seq = codes if isinstance(codes, pd.Series) else pd.Series(
        [codes] if scalar else list(cast(Iterable[object], codes)), dtype="object")
    vcodes, vuniq = pd.factorize(seq, use_na_sentinel=True)
    if errors == "raise" and (vcodes < 0).any():
        raise RegionError("A region code is missing; drop or fill missing codes before recoding.")
    cw = crosswalk(list(vuniq), from_year, to_year, errors=errors)
    targets: dict[str, list[str | None]] = {}
    for given, code_to in zip(cw["code"], cw["code_to"], strict=True):
        targets.setdefault(str(given), []).append(code_to)
    mapped: list[str | None] = []
    unresolved: list[str] = []
    wanted = to_code(list(vuniq), vintage=from_year, errors=errors)
    for u, code in zip(vuniq, wanted if wanted is not None else [], strict=True):
        got = targets.get(str(code), [None]) if code is not None else [None]
        if len(got) == 1 and got[0] is not None:
            mapped.append(got[0])
            continue
        if errors == "raise":
            sub = cw[cw["code"] == code]
            what = ", ".join(f"{a} {b}" for a, b in zip(sub["code_to"], sub["name_to"], strict=True) if a)
            raise AmbiguousRegionError(
                f"{u!r} has no single successor in {to_year}: "
                + (f"its area was split among {what}." if what else "it was abolished with no successor.")
                + " Use dp.regions.crosswalk to see the pieces, or errors='coerce'."
            )
        mapped.append(None)
        unresolved.append(str(u))
    arr = np.array(mapped + [None], dtype=object)[vcodes]  # -1 (missing) picks the trailing None
    if scalar:
        return arr[0]
    out = pd.Series(arr, index=seq.index, name=getattr(codes, "name", None), dtype=object)
    if errors == "coerce":
        out.attrs["unresolved"] = unresolved + (["<missing>"] if (vcodes < 0).any() else [])
    return out
