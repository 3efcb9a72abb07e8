"""The arrangements of yearbook tables, each turned into tidy rows (used by :mod:`.yearbook`).

Shared pieces: the table block (possibly transposed, with each cell's sheet position kept for
error messages), region and year labels, indicator names with their units, and number cells.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from ..errors import AmbiguousRegionError, RegionError, SpecificationError, YearbookLayoutError
from . import regions
from ._tables import text as _text
from ._units import INDEX, Unit, parse_unit, split_snake

PLACEHOLDERS = {"", "—", "——", "–", "-", "－", "…", "……", "...", "..", "×", "x", "n.a.", "na", "NA", "N/A", "nan",
                "/", "*"}
_AGGREGATES = {"东部", "中部", "西部", "东北", "东部地区", "中部地区", "西部地区", "东北地区", "east", "central", "west",
               "northeast", "eastern", "western"}
_YEAR = re.compile(r"^\s*((?:19[4-9]\d)|(?:20\d\d))\s*(年|年度)?\s*$")
_MONTHLY = re.compile(r"^\s*\d{4}\s*年\s*(\d{1,2}\s*月|第?[一二三四1-4]\s*季度)|^\s*\d{4}\s*[-/.]?\s*(Q[1-4]|M\d{1,2})\s*$",
                      re.IGNORECASE)
_UNIT_IN_TEXT = re.compile(r"[（(]\s*([^（）()]+?)\s*[）)]\s*$")
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][+-]?\d+)?$|^[+-]?\.\d+$")
_YEAR_WORDS = {"year", "years", "年份", "年度", "年", "时间", "yr", "wave", "surveyyear", "统计年度", "年份year"}


def _cell_ref(r: int, c: int) -> str:
    letters = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{r + 1}"


def _col_letter(c: int) -> str:
    return re.sub(r"\d+", "", _cell_ref(0, c))


@functools.lru_cache(maxsize=8192)
def _region_cached(text: str, official: bool) -> str | None:
    candidates = [text]
    zh = "".join(re.findall(r"[\u4e00-\u9fff]+", text))
    en = re.sub(r"[\u4e00-\u9fff]+", " ", text).strip()
    candidates += [c for c in (zh, en) if c and c != text]
    for c in candidates:
        try:
            return cast("str | None", regions.to_code(c, shanxi="official" if official else "raise"))
        except AmbiguousRegionError:
            raise
        except (RegionError, ValueError, TypeError):
            continue
    return None


def _region_of(value: Any, official: bool = True) -> str | None:
    """Region code of a label (or a 6-digit code), or None. Tries the label, its Chinese and Latin parts.

    With ``official=False`` a bare "Shanxi" raises AmbiguousRegionError (see disparity.io.regions).
    """
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer()):
        value = str(int(value))
        if not re.fullmatch(r"[1-9]\d{5}", value):
            return None  # numbers are codes only when they have six digits
    t = _text(value)
    if not t or _NUMBER.match(t.replace(" ", "")):
        return None if not re.fullmatch(r"[1-9]\d{5}", t) else _region_cached(t, official)
    return _region_cached(t, official)


def _year_of(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer()):
        y = int(value)
        return y if 1949 <= y <= 2099 else None
    m = _YEAR.match(_text(value))
    return int(m.group(1)) if m else None


@dataclass
class _Block:
    """The table between its top lines and its footnotes, possibly transposed.

    ``cells[i][j]`` is the cell at sheet position ``pos[i][j]`` (row, column), for cell references.
    """

    cells: list[list[Any]]
    pos: list[list[tuple[int, int]]]

    def t(self) -> _Block:
        return _Block([list(x) for x in zip(*self.cells, strict=True)], [list(x) for x in zip(*self.pos, strict=True)])

    def ref(self, i: int, j: int) -> str:
        return _cell_ref(*self.pos[i][j])

    def col_letter(self, j: int) -> str:
        r, c = self.pos[0][j]
        return _col_letter(c) if all(p[1] == c for p in (row[j] for row in self.pos)) else f"row {r + 1}"




@dataclass
class _Top:
    title: str | None = None
    unit: str | None = None


class _Context:
    def __init__(self, *, where: str, errors: str, unit_arg: str | None, units: dict[str, str]):
        self.where = where
        self.errors = errors
        self.unit_arg = unit_arg
        self.units = units
        self.notes: list[str] = []
        self.source: str | None = None
        self.meta: dict[str, str] = {}
        self.meta_en: dict[str, str] = {}
        self.meta_year: int | None = None
        self.meta_years: tuple[int, int] | None = None
        self.meta_indicator: str | None = None
        self.index_base: dict[str, str] = {}
        self.coerced: list[dict[str, str]] = []
        self.layout = ""
        self.transposed = False
        self.sheet = ""

    @property
    def nbs(self) -> bool:
        return "数据库" in self.meta



def is_aggregate(label: str) -> bool:
    return re.sub(r"\s+", "", label) in _AGGREGATES or label.strip().lower() in _AGGREGATES


def unit_in(text: str) -> str | None:
    """The unit in a trailing bracket of ``text`` ("地区生产总值 (亿元)" -> "亿元"), if it is one."""
    m = _UNIT_IN_TEXT.search(text)
    if m and parse_unit(m.group(1)) is not None:
        return m.group(1)
    return None


def split_indicator(parts: list[str]) -> tuple[str, str | None]:
    """Indicator name and unit text from header parts ("基金收入", "（亿元）") or one text."""
    u, names = None, []
    if len(parts) == 1 and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+", parts[0]):
        snake = split_snake(parts[0])
        if snake is not None:
            return snake[0], snake[1].text
    for p in parts:
        pu = unit_in(p)
        if pu:
            u = pu
            rest = _UNIT_IN_TEXT.sub("", p).strip()
            if rest:
                names.append(rest)
        elif parse_unit(p) is not None and names:  # a header cell that is only a unit: "元"
            u = p
        else:
            names.append(p)
    return " ".join(n for n in names if n), u


def indicator_from_title(title: str | None) -> str | None:
    if not title:
        return None
    t = re.sub(r"^\s*(表|table)\s*[\d\-–—.]+\s*", "", title, flags=re.IGNORECASE)
    t = re.sub(r"[（(]\s*单位.*?[）)]", "", t)
    if unit_in(t):
        t = _UNIT_IN_TEXT.sub("", t)
    return t.strip() or None


def header_parts(b: _Block, header_rows: list[int], j: int) -> list[str]:
    parts: list[str] = []
    for i in header_rows:
        t = _text(b.cells[i][j])
        if t and (not parts or parts[-1] != t):
            parts.append(t)
    return parts


def number(v: Any, ref: str, ctx: _Context) -> float | None:
    """A number cell's value; None for empty cells and placeholders; bad cells raise or are coerced."""
    if v is None:
        return None
    if isinstance(v, bool):
        return _bad(ctx, ref, str(v), f"cell {ref} holds a boolean, not a number.")
    if isinstance(v, (int, float, np.integer, np.floating)):
        return None if (isinstance(v, float) and np.isnan(v)) else float(v)
    t = _text(v)
    if t in PLACEHOLDERS:
        return None
    t2 = t.replace(" ", "")
    if _NUMBER.match(t2):
        return float(t2.replace(",", ""))
    m = re.match(r"^([+-]?[\d,]*\.?\d+)\s*(\S+)$", t2)
    if m and parse_unit(m.group(2)) is not None:
        return _bad(ctx, ref, t, f"cell {ref} holds a number with a unit ({t!r}). Put the unit in the column "
                    "header or the '单位：' line, and only the number in the cell.")
    return _bad(ctx, ref, t, f"cell {ref} holds {t!r}, which is not a number or a known placeholder "
                f"({', '.join(sorted(p for p in PLACEHOLDERS if p))}). Pass errors='coerce' to read it as missing "
                "(the cell is then listed in attrs['coerced']).")


def _bad(ctx: _Context, ref: str, raw: str, message: str) -> float | None:  # None: coerced to missing
    if ctx.errors == "coerce":
        ctx.coerced.append({"cell": ref, "text": raw})
        return None
    raise YearbookLayoutError(f"{ctx.where}: {message}")


@dataclass
class _Spec:
    """One column (or row) of values: its indicator, its unit and (if fixed) its year or region."""

    indicator: str
    unit_text: str | None
    where: str  # for messages: "column C", "row 5"


def resolve_units(specs: list[_Spec], ctx: _Context, table_unit: str | None) -> dict[str, Unit]:
    """The Unit of each indicator: units= wins, then the header's own unit, then unit= / the 单位 line."""
    names = {s.indicator for s in specs}
    unknown = set(ctx.units) - names
    if unknown:
        raise SpecificationError(
            f"units= names indicators that are not in the table: {sorted(unknown)}; the table has {sorted(names)}."
        )
    out: dict[str, Unit] = {}
    fallback = ctx.unit_arg or table_unit
    for s in specs:
        text = ctx.units.get(s.indicator) or s.unit_text or fallback
        if text is None:
            raise YearbookLayoutError(
                f"{ctx.where}: no unit for {s.indicator!r} ({s.where}): the table names none. Pass unit= (for "
                f"every indicator without one, e.g. unit='亿元') or units={{{s.indicator!r}: ...}}; "
                "unit='number' keeps values as they are."
            )
        u = parse_unit(text)
        if u is None:
            raise YearbookLayoutError(
                f"{ctx.where}: unknown unit {text!r} for {s.indicator!r} ({s.where}). Known units include 元, 万元, "
                "亿元, 人, 万人, 人次, %, ‰, 上年=100 (an index), 元/人, 1/10万, yuan, 10 000 persons, 100 million "
                "yuan; pass unit= or units= to override."
            )
        if s.indicator in out and out[s.indicator] != u:
            raise YearbookLayoutError(
                f"{ctx.where}: {s.indicator!r} has two units ({out[s.indicator].text!r} and {u.text!r}); pass units=."
            )
        out[s.indicator] = u
        if u.base == INDEX:
            ctx.index_base[s.indicator] = u.text
    return out


def missing_names_error(ctx: _Context, need_indicator: bool, need_unit: bool, why: str) -> YearbookLayoutError:
    args = " and ".join(a for a, need in (("indicator=", need_indicator), ("unit=", need_unit)) if need)
    what = " and ".join(w for w, need in (("the indicator", need_indicator), ("its unit", need_unit)) if need)
    example = ", ".join(a for a, need in ((f"indicator={ctx.sheet!r}", need_indicator),
                                           ("unit='亿元'", need_unit)) if need)
    return YearbookLayoutError(f"{ctx.where}: the table does not name {what} ({why}). Pass {args}, e.g. "
                               f"read_yearbook(path, {example}).")


def region_rows(b: _Block, rc: int, ctx: _Context, layout: str, fixed_indicator: str | None,
                fixed_year: int | None, top: _Top) -> list[tuple]:
    """Regions down a column: regions x years, regions x indicators, or a long panel (with a year column)."""
    official = any("shaanxi" in _text(row[rc]).lower() for row in b.cells)
    is_region = [_region_of(row[rc]) is not None for row in b.cells]
    region_rows = [i for i, ok in enumerate(is_region) if ok]
    first, last = region_rows[0], region_rows[-1]
    while first > 0 and is_aggregate(_text(b.cells[first - 1][rc])):
        first -= 1
    header_rows = list(range(first))
    if not header_rows:
        raise YearbookLayoutError(f"{ctx.where}: no header row above the first region ({b.ref(first, rc)}).")
    body = []
    for i in range(first, len(b.cells)):
        label = _text(b.cells[i][rc])
        texts = [_text(v) for v in b.cells[i]]
        if not any(texts):
            continue
        if i > last:
            ctx.notes.append(" ".join(dict.fromkeys(t for t in texts if t)))
            continue
        if _region_of(b.cells[i][rc], official) is not None:
            body.append(i)
        elif is_aggregate(label):
            ctx.notes.append(f"skipped regional aggregate row {b.ref(i, rc)}: {label}")
        else:
            raise YearbookLayoutError(
                f"{ctx.where}: row {b.pos[i][rc][0] + 1} ({b.ref(i, rc)}: {label!r}) is inside the table but is "
                "neither a region nor a footnote. Remove or fix the row, or check for a shifted region column."
            )
    width = len(b.cells[0])
    codes = {i: _region_of(b.cells[i][rc], official) for i in body}
    # A year column makes a long panel.
    yc = None
    if layout in ("auto", "long"):
        repeats = len(set(codes.values())) < len(codes)
        for j in range(width):
            if j == rc:
                continue
            ys = [_year_of(b.cells[i][j]) for i in body]
            head = re.sub(r"\s+", "", " ".join(header_parts(b, header_rows, j)).lower())
            if all(y is not None for y in ys) and (head in _YEAR_WORDS or repeats):
                yc = j
                break
        if layout == "long" and yc is None:
            raise YearbookLayoutError(
                f"{ctx.where}: layout='long' but no column holds a year in every region row; a long panel has a "
                "region column, a year column and one column per indicator."
            )
    data_cols = [j for j in range(width) if j not in (rc, yc) and any(_text(b.cells[i][j]) for i in body)]
    for j in range(width):
        if j not in (rc, yc) and j not in data_cols and any(_text(b.cells[i][j]) for i in header_rows):
            ctx.notes.append(f"column {' / '.join(header_parts(b, header_rows, j))!r} is empty: not read")
    region_header = header_parts(b, header_rows, rc)
    headers: dict[int, list[str]] = {}
    for j in data_cols:
        parts = header_parts(b, header_rows, j)
        if not parts:
            raise YearbookLayoutError(
                f"{ctx.where}: column {b.col_letter(j)} has numbers but no header. Fix the header so that every "
                "column of numbers has one."
            )
        if parts == region_header:
            raise YearbookLayoutError(
                f"{ctx.where}: column {b.col_letter(j)} has numbers but no header of its own: its header cell is "
                f"merged with the region column's ({' / '.join(parts)!r}). Unmerge the header and give the column "
                "its own heading."
            )
        headers[j] = parts
    rows: list[tuple] = []
    if yc is not None:
        ctx.layout = "long"
        specs = {j: _Spec(*split_indicator(headers[j]), f"column {b.col_letter(j)}") for j in data_cols}
        for j, s in specs.items():
            s.indicator = s.indicator or f"column {b.col_letter(j)}"
        unitmap = resolve_units(list(specs.values()), ctx, top.unit)
        for i in body:
            y = _year_of(b.cells[i][yc])
            for j, s in specs.items():
                rows.append(_row(codes[i], y, s.indicator, unitmap[s.indicator], b, i, j, ctx))
        return rows
    year_of = {}
    for j, parts in headers.items():
        for p in reversed(parts):
            m = _YEAR.match(p)
            if m:
                year_of[j] = int(m.group(1))
                break
    monthly = [j for j, parts in headers.items() if any(_MONTHLY.match(p) for p in parts)]
    if monthly:
        raise YearbookLayoutError(
            f"{ctx.where}: column {b.col_letter(monthly[0])} is headed {' / '.join(headers[monthly[0]])!r}: monthly "
            "or quarterly data. read_yearbook reads annual tables; download the annual series (年度数据)."
        )
    if layout == "auto":
        layout = "years_as_columns" if headers and len(year_of) == len(headers) else "indicators_as_columns"
    ctx.layout = layout
    if layout == "years_as_columns":
        if len(year_of) != len(headers):
            bad = next(j for j in headers if j not in year_of)
            raise YearbookLayoutError(
                f"{ctx.where}: column header {' / '.join(headers[bad])!r} is not a year, but the layout is "
                "years-as-columns."
            )
        name, u = split_indicator([fixed_indicator]) if fixed_indicator else (None, None)
        if not name and not ctx.nbs:
            name = indicator_from_title(top.title) or ctx.sheet
        group_units = {_own_unit(parts) for parts in headers.values()} - {None}
        u = u or (group_units.pop() if len(group_units) == 1 else None)
        has_unit = bool(u or ctx.unit_arg or top.unit or (name and name in ctx.units))
        if not name or not has_unit:
            why = ("the data.stats.gov.cn export has no '指标：' line; it was not saved with the file"
                   if ctx.nbs else "no title, indicator line or unit line above the table")
            raise missing_names_error(ctx, not name, not has_unit, why)
        specs = {j: _Spec(name, _own_unit(headers[j]) or u, f"column {b.col_letter(j)}") for j in headers}
        unitmap = resolve_units(list(specs.values()), ctx, top.unit)
        for i in body:
            for j, s in specs.items():
                rows.append(_row(codes[i], year_of[j], s.indicator, unitmap[s.indicator], b, i, j, ctx))
        return rows
    yr = fixed_year
    if yr is None:
        found = set(re.findall(r"((?:19[4-9]\d)|(?:20\d\d))\s*年?", top.title or ""))
        if len(found) == 1:
            yr = int(found.pop())
        else:
            src = "its '时间：' line is empty" if ctx.nbs else f"it cannot be read from the title {top.title!r}"
            raise YearbookLayoutError(
                f"{ctx.where}: the table has indicators as columns but no year ({src}); pass year=."
            )
    specs = {}
    for j in headers:
        name, u = split_indicator(headers[j])
        specs[j] = _Spec(name or f"column {b.col_letter(j)}", u, f"column {b.col_letter(j)}")
    unitmap = resolve_units(list(specs.values()), ctx, top.unit)
    for i in body:
        for j, s in specs.items():
            rows.append(_row(codes[i], yr, s.indicator, unitmap[s.indicator], b, i, j, ctx))
    return rows


def _own_unit(parts: list[str]) -> str | None:
    return next((unit_in(p) for p in parts if not _YEAR.match(p) and unit_in(p)), None)


def _row(code: str | None, year: int | None, ind: str, u: Unit, b: _Block, i: int, j: int, ctx: _Context) -> tuple:
    v = number(b.cells[i][j], b.ref(i, j), ctx)
    return (code, year, ind, u.base, v * u.factor if v is not None else np.nan, u.text)


def single_region(b: _Block, ctx: _Context, layout: str, fixed_region: str | None, fixed_indicator: str | None,
                  fixed_year: int | None, top: _Top) -> list[tuple]:
    """No region column: a time series of one region (years x indicators, or indicators x years)."""
    label_years = sum(_year_of(row[0]) is not None for row in b.cells)
    if label_years >= 2:
        b = b.t()  # years down the first column: make them the header row
        ctx.transposed = True
    h = next((i for i, row in enumerate(b.cells[:4])
              if sum(_year_of(v) is not None for v in row[1:]) >= 1
              and all(_year_of(v) is not None for v in row[1:] if _text(v))), None)
    if h is None:
        raise YearbookLayoutError(
            f"{ctx.where}: no column of region names was found, and no row or column of years. Region labels must "
            "be Chinese or English names (e.g. '北京', 'Beijing') or GB/T 2260 codes; pass region_column= if they "
            "are there, or region= for a time series of one region."
        )
    if fixed_region is None:
        raise YearbookLayoutError(
            f"{ctx.where}: the table has years but no region column or '地区：' line: a time series of one region. "
            "Pass region= (e.g. region='全国' for national data, or a province name or code)."
        )
    ctx.layout = "time_series"
    years = {j: _year_of(b.cells[h][j]) for j in range(1, len(b.cells[0])) if _year_of(b.cells[h][j]) is not None}
    specs, body = {}, []
    for i in range(h + 1, len(b.cells)):
        parts = header_parts(b, [i], 0)
        if not parts and not any(_text(b.cells[i][j]) for j in years):
            continue
        if not parts:
            raise YearbookLayoutError(f"{ctx.where}: {b.ref(i, 0)} has numbers but no indicator name.")
        if fixed_indicator and len(b.cells) - h - 1 == 1:
            parts = [fixed_indicator]
        name, u = split_indicator(parts)
        specs[i] = _Spec(name, u, f"{b.ref(i, 0)}")
        body.append(i)
    if not body:
        raise YearbookLayoutError(f"{ctx.where}: the table has a header of years but no rows of values.")
    unitmap = resolve_units(list(specs.values()), ctx, top.unit)
    rows = []
    for i in body:
        s = specs[i]
        for j, y in years.items():
            rows.append(_row(fixed_region, y, s.indicator, unitmap[s.indicator], b, i, j, ctx))
    return rows


def finish(rows: list[tuple], ctx: _Context) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["region_code", "year", "indicator", "unit", "value", "unit_original"])
    dup = out.duplicated(["region_code", "year", "indicator"], keep=False)
    if dup.any():
        d = out[dup].iloc[0]
        raise YearbookLayoutError(
            f"{ctx.where}: region {d.region_code} appears more than once for {d.indicator!r} in {d.year}. Remove "
            "the duplicate row (e.g. a region listed under two names)."
        )
    out["region"] = regions.to_name(out["region_code"], lang="zh") if len(out) else []
    out["region_en"] = regions.to_name(out["region_code"], lang="en") if len(out) else []
    out["is_total"] = out["region_code"] == regions.NATIONAL_CODE
    out["year"] = out["year"].astype(int)
    out["value"] = out["value"].astype(float)
    return out[["region_code", "region", "region_en", "year", "indicator", "unit", "value", "unit_original",
                "is_total"]]
