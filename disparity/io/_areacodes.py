"""The GB/T 2260 code table for every year since 1981, and the code crosswalk between years.

The table (``_regions_data/areacodes.csv``) is built by ``data/regions/build_areacodes.py`` from the
public ``areacodes`` data set (github.com/yescallop/areacodes, CC0 1.0), which collects the Ministry
of Civil Affairs' yearly code lists; ``_regions_data/source.json`` names the source commit. One row
per code record: a record is in use from ``start`` (inclusive) to ``end`` (exclusive; empty while in
use), each year's list as of 31 December. ``successors`` names the code(s) a record's area went to
when it ended; a code followed by ``[year]`` is a boundary change in that year (part of the area moved),
which the crosswalk does not follow.

This module is private: :mod:`disparity.io.regions` is the public interface.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

_DIR = Path(__file__).resolve().parent / "_regions_data"
_OPEN = 9999  # end year of a record still in use

#: Administrative suffixes stripped to form a stem (the build script uses the same list).
SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "特区", "矿区", "新区",
            "盟", "省", "市", "县", "区", "旗")
LEVELS = {"province": 1, "prefecture": 2, "county": 3}


@dataclass(frozen=True)
class Table:
    """The code records as parallel arrays plus name indexes (record positions)."""

    code: np.ndarray
    name: np.ndarray
    level: np.ndarray
    start: np.ndarray
    end: np.ndarray
    successors: tuple[tuple[str, ...], ...]
    stem: np.ndarray
    pinyin: tuple[tuple[str, ...], ...]
    by_name: dict[str, list[int]]
    by_stem: dict[str, list[int]]
    by_pinyin1: dict[str, list[int]]
    by_pinyin2: dict[str, list[int]]
    by_pinyin: dict[str, list[int]]
    by_code: dict[str, list[int]]
    first_year: int
    last_year: int
    source: dict[str, object]


def stem(name: str) -> str:
    """The name without its administrative suffix (at least two characters are kept)."""
    for suf in SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            return name[: -len(suf)]
    return name


@lru_cache(maxsize=1)
def table() -> Table:
    df = pd.read_csv(_DIR / "areacodes.csv", dtype=str, keep_default_na=False)
    meta = json.loads((_DIR / "source.json").read_text(encoding="utf-8"))
    succ = tuple(
        tuple(s for s in str(v).split(";") if s and "[" not in s) for v in df["successors"]
    )
    pys = tuple(tuple(str(v).split(";")) if v else () for v in df["pinyin"])
    by_name: dict[str, list[int]] = defaultdict(list)
    by_stem: dict[str, list[int]] = defaultdict(list)
    by_pinyin1: dict[str, list[int]] = defaultdict(list)  # the phrase reading, with apostrophes
    by_pinyin2: dict[str, list[int]] = defaultdict(list)  # the same without apostrophes
    by_pinyin: dict[str, list[int]] = defaultdict(list)  # every reading
    by_code: dict[str, list[int]] = defaultdict(list)
    for i, (code, name, st) in enumerate(zip(df["code"], df["name"], df["stem"], strict=True)):
        by_name[name].append(i)
        by_stem[st].append(i)
        by_code[code].append(i)
        if pys[i]:
            by_pinyin1[pys[i][0]].append(i)
            by_pinyin2[pys[i][0].replace("'", "")].append(i)
        for p in dict.fromkeys(p.replace("'", "") for p in pys[i]):
            by_pinyin[p].append(i)
    end = pd.to_numeric(df["end"].replace("", str(_OPEN))).to_numpy(dtype=np.int64)
    start = df["start"].astype(np.int64).to_numpy()
    return Table(
        code=df["code"].to_numpy(dtype=object), name=df["name"].to_numpy(dtype=object),
        level=df["level"].astype(np.int64).to_numpy(), start=start, end=end, successors=succ,
        stem=df["stem"].to_numpy(dtype=object), pinyin=pys,
        by_name=dict(by_name), by_stem=dict(by_stem), by_pinyin1=dict(by_pinyin1),
        by_pinyin2=dict(by_pinyin2), by_pinyin=dict(by_pinyin),
        by_code=dict(by_code), first_year=int(meta["first_year"]), last_year=int(meta["last_year"]),
        source=meta,
    )


def valid(t: Table, i: int, year: int) -> bool:
    return bool(t.start[i] <= year < t.end[i])


def in_year(t: Table, idx: list[int], year: int | None) -> list[int]:
    """Records of ``idx`` in use in ``year``; for ``year=None`` those in use now, else the most recent
    record of each unit (a record whose successor is another candidate is dropped)."""
    if year is not None:
        return [i for i in idx if valid(t, i, year)]
    now = [i for i in idx if t.end[i] == _OPEN]
    if now:
        return now
    codes = {t.code[i] for i in idx}
    keep = [i for i in idx if not (set(t.successors[i]) & (codes - {t.code[i]}))]
    best: dict[str, int] = {}
    for i in keep:  # one record per code: the latest
        if t.code[i] not in best or t.end[i] > t.end[best[t.code[i]]]:
            best[t.code[i]] = i
    return list(best.values())


def record(t: Table, code: str, year: int | None) -> int | None:
    """The record of ``code`` in use in ``year`` (None: now, else its latest record)."""
    idx = t.by_code.get(code, [])
    if year is None:
        return max(idx, key=lambda i: t.end[i]) if idx else None
    for i in idx:
        if valid(t, i, year):
            return i
    return None


def continued(t: Table, i: int, year: int) -> int | None:
    """The record of ``year`` that continues record ``i`` under the same code (a renamed unit, such as
    襄樊市 -> 襄阳市 in 2010), in either direction: same-code records following each other without a
    gap; else None."""
    chain = sorted(t.by_code[str(t.code[i])], key=lambda k: t.start[k])
    pos = chain.index(i)
    lo = hi = pos
    while lo > 0 and t.end[chain[lo - 1]] == t.start[chain[lo]]:
        lo -= 1
    while hi < len(chain) - 1 and t.end[chain[hi]] == t.start[chain[hi + 1]]:
        hi += 1
    return next((k for k in chain[lo : hi + 1] if valid(t, k, year)), None)


def parent_label(t: Table, i: int) -> str:
    """'河北省石家庄市' for a county of Shijiazhuang: the province and prefecture containing record i."""
    code, year = str(t.code[i]), int(min(t.end[i] - 1, t.last_year))
    parts = []
    if t.level[i] >= 2:
        p = record(t, code[:2] + "0000", year)
        if p is not None:
            parts.append(str(t.name[p]))
    if t.level[i] == 3:
        p = record(t, code[:4] + "00", year)
        if p is not None:
            parts.append(str(t.name[p]))
    return "".join(parts)


def describe(t: Table, i: int) -> str:
    """'朝阳区 (220104, 吉林省长春市)' with the years for a record no longer in use."""
    where = parent_label(t, i)
    years = "" if t.end[i] == _OPEN else f", {t.start[i]}-{t.end[i] - 1}"
    return f"{t.name[i]} ({t.code[i]}{', ' + where if where else ''}{years})"


# --------------------------------------------------------------------------------------- crosswalk
def _step(t: Table, i: int, year: int) -> list[int]:
    """Records in use in ``year`` that record ``i`` (ending at ``year``) became."""
    out: list[int] = []
    targets = t.successors[i]
    if not targets and record(t, str(t.code[i]), year) is not None:
        targets = (str(t.code[i]),)  # renamed under the same code
    if not targets and t.level[i] == 2:
        # an abolished prefecture: where its counties went, one level up
        prefix = str(t.code[i])[:4]
        kids = [k for c, ks in t.by_code.items() if c[:4] == prefix and c != t.code[i] for k in ks
                if valid(t, k, year - 1)]
        ups: list[str] = []
        for k in kids:
            for j in _step(t, k, year) if t.end[k] == year else [k]:
                c = str(t.code[j])
                up = c[:4] + "00" if record(t, c[:4] + "00", year) is not None else c[:2] + "0000"
                if up not in ups:
                    ups.append(up)
        targets = tuple(ups)
    for c in targets:
        rec = record(t, c, year)
        if rec is not None and rec not in out:
            out.append(rec)
    return out


def forward(t: Table, i: int, from_year: int, to_year: int) -> list[int]:
    """Records in use in ``to_year`` covering the area record ``i`` had in ``from_year``."""
    current = [i]
    for year in range(from_year + 1, to_year + 1):
        nxt: list[int] = []
        for k in current:
            for j in (_step(t, k, year) if t.end[k] == year else [k]):
                if j not in nxt:
                    nxt.append(j)
        current = nxt
    return current


@lru_cache(maxsize=16)
def crosswalk_pairs(from_year: int, to_year: int) -> tuple[tuple[int, int | None], ...]:
    """(record in from_year, record in to_year or None) pairs for every record of from_year."""
    t = table()
    lo, hi = min(from_year, to_year), max(from_year, to_year)
    olds = [i for i in range(len(t.code)) if valid(t, i, lo)]
    pairs: list[tuple[int, int | None]] = []
    for i in olds:
        news = forward(t, i, lo, hi)
        pairs.extend((i, j) for j in news) if news else pairs.append((i, None))
    if from_year <= to_year:
        return tuple(pairs)
    back: list[tuple[int, int | None]] = [(j, i) for i, j in pairs if j is not None]
    have = {j for j, _ in back}
    back.extend((j, None) for j in range(len(t.code)) if valid(t, j, hi) and j not in have)
    return tuple(back)
