"""Statistical-yearbook tables into tidy region x year x indicator panels.

Yearbook tables (中国统计年鉴, 中国卫生健康统计年鉴, NHSA bulletins, data.stats.gov.cn exports,
researchers' province and city panels) have title rows, a unit line ("单位：元"), NBS metadata lines
("数据库：分省年度数据", "指标：...", "时间：2023年"), multi-row headers with merged cells, units inside
headers ("地区生产总值 (亿元)", "（万人）", "10 000 persons"), index numbers ("上年=100"), region names
padded with spaces ("北  京") or in English, a national total row, placeholder marks for "not
available" ("—", "…", "-") and footnote rows ("注：", "数据来源："). :func:`read_yearbook` turns any of
these arrangements into one row per region x year x indicator:

* regions x years (one indicator), regions x indicators (one year), regions as columns;
* years x indicators or indicators x years for one region (a national or regional time series);
* long panels: a region column, a year column and one column per indicator.

Amounts are converted to base units, index numbers and rates are kept as they are, and whatever
cannot be read without guessing is refused with the cell reference (or, with ``errors="coerce"``,
set to missing and listed).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .._options import check_option
from ..errors import (
    CoercionWarning,
    DataFormatError,
    RegionError,
    SpecificationError,
    YearbookLayoutError,
)
from . import _tables, regions
from ._layouts import (
    _YEAR,
    _Block,
    _Context,
    _region_of,
    _Top,
    finish,
    region_rows,
    single_region,
    unit_in,
)
from ._tables import is_continued_note, is_footnote, line_text, metadata_line
from ._tables import text as _text
from ._units import UNITS

__all__ = ["read_yearbook", "UNITS"]

_YEAR_RANGE = re.compile(r"((?:19[4-9]\d)|(?:20\d\d))\s*年?\s*[-–—~至到]\s*((?:19[4-9]\d)|(?:20\d\d))\s*年?")
_UNIT_LINE = re.compile(r"^\s*(?:单位|unit|units)\s*[:：]\s*(.+?)\s*$", re.IGNORECASE)
_SOURCE = re.compile(r"^\s*(资料来源|数据来源|来源|sources?)\s*[:：]\s*(.+)$", re.IGNORECASE)
_NUM = re.compile(r"^[+-]?\d[\d,]*(\.\d+)?$")
_NATIONAL_DATABASES = ("年度数据", "季度数据", "月度数据")

Layout = Literal["auto", "years_as_columns", "indicators_as_columns", "long"]
Errors = Literal["raise", "coerce"]


def read_yearbook(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    layout: Layout = "auto",
    indicator: str | None = None,
    year: int | None = None,
    region: str | None = None,
    unit: str | None = None,
    units: dict[str, str] | None = None,
    region_column: int | None = None,
    errors: Errors = "raise",
) -> pd.DataFrame:
    """Read a statistical-yearbook table into a tidy region x year x indicator frame.

    Parameters
    ----------
    path : str or Path
        An .xlsx or .xls workbook, or a .csv export of one table (data.stats.gov.cn CSV and XLS
        exports are read as they are downloaded). The file is only read, never written.
    sheet : str or int, optional
        Worksheet name or 0-based position (default: the first).
    layout : {"auto", "years_as_columns", "indicators_as_columns", "long"}
        ``"auto"`` finds the arrangement: a region column and a year column make a long panel
        (one column per indicator); otherwise columns whose headers are all years ("2010",
        "2010年") are one indicator over years, anything else indicators for one year. Regions or
        years as the *columns* and time series without regions are recognised too.
    indicator : str, optional
        Indicator name of a one-indicator table (default: the NBS ``指标：`` line or the title).
    year : int, optional
        The year of a one-year table (default: the NBS ``时间：2023年`` line, or a single year in the
        title).
    region : str, optional
        The region of a table without a region column (a national or provincial time series):
        ``"全国"``, a name or a GB/T 2260 code (default: the NBS ``地区：`` line; national for the NBS
        ``年度数据`` database).
    unit : str, optional
        Unit for indicators whose header names none (default: the table's "单位：…" line, if any).
    units : dict, optional
        Units by indicator, overriding the headers, e.g. ``{"GDP": "亿元", "Num_Dr": "万人"}``.
        ``"number"`` keeps values as they are.
    region_column : int, optional
        0-based column holding region names (default: the column with most region names).
    errors : {"raise", "coerce"}
        A cell that is neither a number nor a placeholder raises (default) or, with ``"coerce"``,
        becomes missing; the coerced cells are listed in ``attrs["coerced"]`` and in a
        :class:`~disparity.errors.CoercionWarning`.

    Returns
    -------
    DataFrame
        Columns ``region_code`` (6-digit GB/T 2260 string; national total ``100000``), ``region``,
        ``region_en``, ``year`` (int), ``indicator``, ``unit`` (base unit: yuan, persons, %, ‰,
        ``index``, ...), ``value`` (float, amounts converted to the base unit; index numbers never
        converted), ``unit_original`` (as written; for an index its base, e.g. ``上年=100``),
        ``is_total``. Attributes: ``title``, ``notes`` (footnotes, whole), ``source`` (the
        ``数据来源`` line), ``metadata`` (NBS lines: database, indicator, time, region), ``years``
        (the NBS time range), ``index_base`` (base of each index indicator), ``layout`` (as read),
        ``transposed`` (True when regions or years ran across the columns), ``coerced`` (cells set
        to missing),
        ``source_file``, ``sheet``.

    Raises
    ------
    YearbookLayoutError
        With the cell reference, for anything it cannot read without guessing: no region column, a
        body row that is neither a region nor a footnote, text or a unit inside a number cell, a
        column without a header, no year, no indicator name, an unknown unit, a duplicated
        region-year-indicator. When the file names no indicator or no unit, the message says which
        of ``indicator=`` / ``unit=`` to pass.
    DataFormatError
        A file that is not the workbook or text its name says (the message says what it is),
        encrypted or damaged workbooks.

    Examples
    --------
    >>> yb = dp.read_yearbook(dp.datasets.path("province_panel_yearbook.xlsx"))
    >>> yb.shape, yb["unit"].unique().tolist()
    ((448, 9), ['yuan'])
    >>> yb.loc[yb["region"] == "全国", "value"].head(2).tolist()
    [164.0, 278.1]
    """
    check_option("layout", layout, ("auto", "years_as_columns", "indicators_as_columns", "long"))
    check_option("errors", errors, ("raise", "coerce"))
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"{path}: no such file.")
    if path.is_dir():
        raise DataFormatError(f"{path}: is a directory, not a table.")
    sh = _tables.load(path, sheet)
    where = f"{path} [{sh.name}]"
    if not any(_text(v) for row in sh.cells for v in row):
        raise YearbookLayoutError(f"{where}: the table is empty.")
    ctx = _Context(where=where, errors=errors, unit_arg=unit, units=units or {})
    ctx.sheet = sh.name
    top, start = _top_lines(sh, ctx)
    end, notes = _footnotes(sh, start, where)
    ctx.notes.extend(notes)
    rows = list(range(start, end))
    width = len(sh.cells[0])
    block = _Block([sh.cells[r] for r in rows], [[(r, c) for c in range(width)] for r in rows])
    block = _drop_empty(block)
    if not block.cells:
        raise YearbookLayoutError(f"{where}: no table below the title lines.")

    fixed_region = None
    if region is not None:
        fixed_region = _region_code_arg(region)
    elif "地区" in ctx.meta:
        fixed_region = _region_of(ctx.meta["地区"])
    elif any(ctx.meta.get("数据库", "").startswith(d) for d in _NATIONAL_DATABASES):
        fixed_region = regions.NATIONAL_CODE

    fixed_year = year if year is not None else ctx.meta_year
    fixed_indicator = indicator or ctx.meta_indicator

    rc = _region_col(block, region_column)
    if rc is None and region_column is None and _regions_in_rows(block):
        block = block.t()
        rc = _region_col(block, None)
        ctx.transposed = True
    if rc is not None:
        records = region_rows(block, rc, ctx, layout, fixed_indicator, fixed_year, top)
    else:
        records = single_region(block, ctx, layout, fixed_region, fixed_indicator, fixed_year, top)

    out = finish(records, ctx)
    if ctx.source is None:
        ctx.source = next((m.group(2).strip() for n in ctx.notes if (m := _SOURCE.match(n))), None)
    out.attrs.update(
        title=top.title, notes=ctx.notes, source=ctx.source, metadata=dict(ctx.meta_en), years=ctx.meta_years,
        index_base=dict(ctx.index_base), layout=ctx.layout, transposed=ctx.transposed, coerced=list(ctx.coerced),
        source_file=str(path), sheet=sh.name,
    )
    if ctx.coerced:
        shown = "; ".join(f"{c['cell']}: {c['text']!r}" for c in ctx.coerced[:10])
        more = f" and {len(ctx.coerced) - 10} more" if len(ctx.coerced) > 10 else ""
        warnings.warn(
            f"{where}: {len(ctx.coerced)} cell(s) that are not numbers were set to missing (errors='coerce'): "
            f"{shown}{more}. The full list is in attrs['coerced'].",
            CoercionWarning,
            stacklevel=2,
        )
    return out


def _top_lines(sh: _tables.Sheet, ctx: _Context) -> tuple[_Top, int]:
    """Read the one-cell lines above the table (title, unit line, NBS metadata); return where the table starts."""
    top = _Top()
    for r, row in enumerate(sh.cells):
        texts = [_text(v) for v in row]
        nonempty = [t for t in texts if t]
        if not nonempty:
            continue
        unit_cells = [t for t in nonempty if _UNIT_LINE.match(t)]
        if unit_cells and len(set(nonempty) - set(unit_cells)) <= 1:
            # a title (or nothing) and "单位：万元" side by side on one row
            unit_match = _UNIT_LINE.match(unit_cells[0])
            assert unit_match is not None  # unit_cells holds only matching cells
            top.unit = top.unit or unit_match.group(1)
            nonempty = [t for t in nonempty if t not in unit_cells]
            if not nonempty:
                continue
        if len(set(nonempty)) > 1:
            return top, r
        t = nonempty[0]
        meta = metadata_line(t)
        if meta is not None:
            key, value = meta
            ctx.meta[key] = value
            ctx.meta_en[_tables.NBS_KEYS[key]] = value
            if key == "时间" and value:
                rng = _YEAR_RANGE.search(value)
                single = _YEAR.match(value)
                if rng:
                    ctx.meta_years = (int(rng.group(1)), int(rng.group(2)))
                elif single:
                    ctx.meta_year = int(single.group(1))
                    ctx.meta_years = (ctx.meta_year, ctx.meta_year)
            elif key == "指标" and value:
                ctx.meta_indicator = value
            continue
        m = _UNIT_LINE.match(t)
        if m:
            top.unit = top.unit or m.group(1)
        elif is_footnote(t):
            _add_note(ctx, line_text(sh, r))
        elif top.title is None:
            top.title = t
            um = re.search(r"[（(]\s*单位\s*[:：]\s*([^）)]+)[）)]", t)
            if um:
                top.unit = top.unit or um.group(1).strip()
            elif unit_in(t):
                top.unit = top.unit or unit_in(t)
        else:
            ctx.notes.append(t)
    raise YearbookLayoutError(f"{ctx.where}: no table: every row holds a single line of text.")


def _add_note(ctx: _Context, line: str) -> None:
    ctx.notes.append(line)
    m = re.match(r"^\s*(资料来源|数据来源|来源|sources?)\s*[:：]\s*(.+)$", line, re.IGNORECASE)
    if m and ctx.source is None:
        ctx.source = m.group(2).strip()


def _footnotes(sh: _tables.Sheet, start: int, where: str) -> tuple[int, list[str]]:
    """The row where footnotes begin (every later row is a note) and the notes, each kept whole."""
    n = len(sh.cells)
    for r in range(start, n):
        first = next((_text(v) for v in sh.cells[r] if _text(v)), "")
        if first and is_footnote(first):
            below = next((k for k in range(r + 1, n) if _holds_numbers(sh.cells[k])), None)
            if below is not None:
                raise YearbookLayoutError(
                    f"{where}: the footnote in row {r + 1} ({first[:30]!r}) sits inside the table: row "
                    f"{below + 1} below it holds numbers. Move the note below the table."
                )
            notes = [line_text(sh, k) for k in range(r, n) if line_text(sh, k)]
            return r, notes
    # numbered note lines ("2. ...") at the very bottom without a "注" line
    end = n
    while end > start and (not line_text(sh, end - 1) or is_continued_note(line_text(sh, end - 1))
                           and len({_text(v) for v in sh.cells[end - 1] if _text(v)}) <= 2):
        end -= 1
    return end, [line_text(sh, k) for k in range(end, n) if line_text(sh, k)]


def _holds_numbers(row: list) -> bool:
    """Two or more cells after the first are numbers: a data row, not a note split at its commas."""
    nums = sum(isinstance(v, (int, float)) and not isinstance(v, bool) or bool(_NUM.match(_text(v)))
               for v in row[1:] if _text(v))
    return nums >= 2


def _drop_empty(b: _Block) -> _Block:
    keep_r = [i for i, row in enumerate(b.cells) if any(_text(v) for v in row)]
    b = _Block([b.cells[i] for i in keep_r], [b.pos[i] for i in keep_r])
    if not b.cells:
        return b
    keep_c = [j for j in range(len(b.cells[0])) if any(_text(row[j]) for row in b.cells)]
    return _Block([[row[j] for j in keep_c] for row in b.cells], [[row[j] for j in keep_c] for row in b.pos])


def _region_code_arg(region: str) -> str:
    try:
        code = regions.to_code(region, shanxi="official")
    except RegionError as err:
        raise SpecificationError(f"region={region!r}: {err}") from None
    return str(code)


def _region_col(b: _Block, region_column: int | None) -> int | None:
    width = len(b.cells[0])
    if region_column is not None:
        cols = [j for j in range(width) if b.pos[0][j][1] == region_column]
        if not cols:
            raise SpecificationError(f"region_column={region_column} is outside the table.")
        return cols[0]
    counts = [sum(_region_of(row[j]) is not None for row in b.cells) for j in range(width)]
    best = int(np.argmax(counts))
    return best if counts[best] >= 2 else None


def _regions_in_rows(b: _Block) -> bool:
    """Regions across a header row (regions as columns)."""
    return any(sum(_region_of(v) is not None for v in row) >= 2 for row in b.cells[:3])


