"""Statistical-yearbook tables into tidy region x year panels.

Yearbook tables (中国统计年鉴, 中国卫生健康统计年鉴, NHSA bulletins) have title rows, a unit line
("单位：元"), multi-row headers with merged cells, units inside headers ("基金收入（亿元）"), region
names padded with spaces ("北  京") or in English, a national total row, placeholder marks for
"not available" ("—", "…", "-") and footnote rows ("注：", "资料来源："). :func:`read_yearbook`
turns such a sheet into one row per region x year x indicator, converting amounts to base units, and
refuses - naming the cell - whatever it cannot read without guessing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._options import check_option
from ..errors import (
    AmbiguousRegionError,
    DataFormatError,
    RegionError,
    SpecificationError,
    YearbookLayoutError,
)
from . import regions

__all__ = ["read_yearbook", "UNITS"]

# unit -> (base unit, factor to base)
UNITS: dict[str, tuple[str, float]] = {
    "元": ("yuan", 1.0),
    "千元": ("yuan", 1e3),
    "万元": ("yuan", 1e4),
    "百万元": ("yuan", 1e6),
    "亿元": ("yuan", 1e8),
    "yuan": ("yuan", 1.0),
    "10000yuan": ("yuan", 1e4),
    "100millionyuan": ("yuan", 1e8),
    "人": ("persons", 1.0),
    "万人": ("persons", 1e4),
    "亿人": ("persons", 1e8),
    "person": ("persons", 1.0),
    "persons": ("persons", 1.0),
    "10000persons": ("persons", 1e4),
    "人次": ("person-times", 1.0),
    "万人次": ("person-times", 1e4),
    "%": ("%", 1.0),
    "‰": ("‰", 1.0),
    "个": ("count", 1.0),
    "家": ("count", 1.0),
    "张": ("count", 1.0),
    "月": ("months", 1.0),
    "年": ("years", 1.0),
    "元/人": ("yuan per person", 1.0),
    "万元/人": ("yuan per person", 1e4),
}

PLACEHOLDERS = {"", "—", "——", "–", "-", "－", "…", "……", "...", "..", "×", "x", "n.a.", "na", "NA", "N/A", "nan"}
_FOOTNOTE = re.compile(r"^\s*(注|说明|资料来源|数据来源|note|notes|source|sources)\s*[:：.\d]?", re.IGNORECASE)
_AGGREGATES = {"东部", "中部", "西部", "东北", "东部地区", "中部地区", "西部地区", "东北地区", "east", "central", "west", "northeast"}
_YEAR = re.compile(r"^\s*((?:19[4-9]\d)|(?:20\d\d))\s*年?\s*$")
_UNIT_IN_TEXT = re.compile(r"[（(]\s*([^（）()]+?)\s*[）)]\s*$")
_UNIT_LINE = re.compile(r"^\s*(?:单位|unit)\s*[:：]\s*(.+?)\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][+-]?\d+)?$")


@dataclass
class _Grid:
    cells: list[list[Any]]  # row-major, merged ranges filled
    name: str

    @property
    def nrow(self) -> int:
        return len(self.cells)


def _cell_ref(r: int, c: int) -> str:
    letters = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{r + 1}"


def _col_letter(c: int) -> str:
    return re.sub(r"\d+", "", _cell_ref(0, c))


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return unicodedata.normalize("NFKC", str(v)).strip() if not isinstance(v, str) else v.strip()


def _load(path: Path, sheet: str | int | None) -> _Grid:
    ext = path.suffix.lower()
    if ext in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, data_only=True, read_only=False)
        except Exception as err:  # openpyxl raises many types for damaged files
            raise DataFormatError(f"{path}: not a readable .xlsx workbook ({type(err).__name__}: {err}).") from None
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(wb.worksheets):
                raise SpecificationError(f"{path}: sheet={sheet} does not exist; the workbook has sheets {wb.sheetnames}.")
            ws = wb.worksheets[sheet]
        else:
            if sheet not in wb.sheetnames:
                raise SpecificationError(f"{path}: no sheet named {sheet!r}; the workbook has sheets {wb.sheetnames}.")
            ws = wb[sheet]
        cells = [[c.value for c in row] for row in ws.iter_rows()]
        for rng in ws.merged_cells.ranges:
            v = cells[rng.min_row - 1][rng.min_col - 1]
            for r in range(rng.min_row - 1, rng.max_row):
                for c in range(rng.min_col - 1, rng.max_col):
                    cells[r][c] = v
        return _Grid(cells, ws.title)
    if ext in (".csv", ".txt"):
        from .encoding import decode, detect

        raw = path.read_bytes()
        if raw.startswith(b"\xef\xbb\xbf"):
            text = raw[3:].decode("utf-8")
        else:
            d = detect([(f"line {i + 1}", b) for i, b in enumerate(raw.splitlines())])
            text = decode(raw, d.encoding, str(path))
        import csv
        import io

        rows = list(csv.reader(io.StringIO(text)))
        width = max((len(r) for r in rows), default=0)
        return _Grid([r + [None] * (width - len(r)) for r in rows], path.stem)
    raise DataFormatError(f"{path}: read_yearbook reads .xlsx and .csv tables, not {ext!r} files.")


def _region_of(text: str, official: bool = True) -> str | None:
    """Region code of a row label, or None. Tries the whole label, its Chinese and its Latin part.

    With ``official=False`` a bare "Shanxi" raises AmbiguousRegionError (see disparity.io.regions).
    """
    if not text:
        return None
    candidates = [text]
    zh = "".join(re.findall(r"[\u4e00-\u9fff]+", text))
    en = re.sub(r"[\u4e00-\u9fff]+", " ", text).strip()
    candidates += [c for c in (zh, en) if c and c != text]
    for c in candidates:
        try:
            return regions.to_code(c, shanxi="official" if official else "raise")
        except AmbiguousRegionError:
            raise
        except RegionError:
            continue
    return None


def read_yearbook(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    layout: Literal["auto", "years_as_columns", "indicators_as_columns"] = "auto",
    indicator: str | None = None,
    year: int | None = None,
    unit: str | None = None,
    units: dict[str, str] | None = None,
    region_column: int | None = None,
) -> pd.DataFrame:
    """Read a statistical-yearbook table into a tidy region x year x indicator frame.

    Parameters
    ----------
    path : str or Path
        An .xlsx workbook or a .csv export of one table.
    sheet : str or int, optional
        Worksheet name or 0-based position (default: the first).
    layout : {"auto", "years_as_columns", "indicators_as_columns"}
        ``"auto"`` reads columns whose headers are all years ("2010", "2010年") as one indicator over
        years, and anything else as indicators for one year.
    indicator : str, optional
        Indicator name for a years-as-columns table (default: the table title, without its number).
    year : int, optional
        The year of an indicators-as-columns table (default: a single year found in the title).
    unit : str, optional
        Unit for columns whose header names none (default: the table's "单位：…" line, if any).
    units : dict, optional
        Units by indicator (column header text), overriding the headers, e.g.
        ``{"enrollees_10k": "万人", "payout_100m_yuan": "亿元"}``.
    region_column : int, optional
        0-based column holding region names (default: the column with most region names).

    Returns
    -------
    DataFrame
        Columns ``region_code`` (6-digit GB/T 2260 string; national total ``100000``), ``region``,
        ``region_en``, ``year`` (int), ``indicator``, ``unit`` (base unit: yuan, persons, %, ...),
        ``value`` (float, converted to the base unit), ``unit_original``, ``is_total``. Attributes:
        ``attrs["title"]``, ``attrs["notes"]`` (footnotes), ``attrs["source_file"]``.

    Raises
    ------
    YearbookLayoutError
        With the cell reference, for anything it cannot read without guessing: no region column, a
        body row that is neither a region nor a footnote, text or a unit inside a number cell, a
        column without a header, no year, an unknown unit, a duplicated region-year-indicator.

    Examples
    --------
    >>> yb = dp.read_yearbook(dp.datasets.path("province_panel_yearbook.xlsx"))
    >>> yb.shape, yb["unit"].unique().tolist()
    ((448, 9), ['yuan'])
    >>> yb.loc[yb["region"] == "全国", "value"].head(2).tolist()
    [164.0, 278.1]
    """
    check_option("layout", layout, ("auto", "years_as_columns", "indicators_as_columns"))
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"{path}: no such file.")
    grid = _load(path, sheet)
    cells = grid.cells
    if not cells or not any(_text(v) for row in cells for v in row):
        raise YearbookLayoutError(f"{path} [{grid.name}]: the table is empty.")
    width = max(len(r) for r in cells)
    cells = [list(r) + [None] * (width - len(r)) for r in cells]

    # Region column and region rows.
    counts = [sum(_region_of(_text(cells[r][c])) is not None for r in range(len(cells))) for c in range(width)]
    rc = int(np.argmax(counts)) if region_column is None else region_column
    if counts[rc] < 1 if region_column is not None else max(counts) < 2:
        raise YearbookLayoutError(
            f"{path} [{grid.name}]: no column of region names was found. Region labels must be Chinese "
            "or English province names (e.g. '北京', 'Beijing'); pass region_column= if they are there."
        )
    region_rows = [r for r in range(len(cells)) if _region_of(_text(cells[r][rc])) is not None]
    # "Shanxi" means 山西 only if the table also spells 陕西 "Shaanxi" (official romanisation).
    official = any("shaanxi" in _text(cells[r][rc]).lower() for r in region_rows)
    first, last = region_rows[0], region_rows[-1]

    # Title, unit line and notes above the header.
    title, table_unit, notes = None, unit, []
    header_rows = []
    while first > 0 and _is_aggregate(_text(cells[first - 1][rc])):
        first -= 1
    for r in range(first):
        texts = [_text(v) for v in cells[r]]
        nonempty = [t for t in texts if t]
        distinct = set(nonempty)
        if not nonempty:
            continue
        m = _UNIT_LINE.match(nonempty[0]) if len(distinct) == 1 else None
        if m:
            table_unit = table_unit or m.group(1)
        elif len(distinct) == 1 and title is None and not header_rows:
            title = nonempty[0]
            um = re.search(r"[（(]\s*单位\s*[:：]\s*([^）)]+)[）)]", title)
            if um:
                table_unit = table_unit or um.group(1).strip()
            elif _unit_in(title):
                table_unit = table_unit or _unit_in(title)
        else:
            header_rows.append(r)
    if not header_rows:
        raise YearbookLayoutError(
            f"{path} [{grid.name}]: no header row above the first region ({_cell_ref(first, rc)})."
        )

    # Body rows: regions, aggregates (skipped), footnotes (kept as notes); anything else is an error.
    body = []
    for r in range(first, len(cells)):
        label = _text(cells[r][rc])
        rowtexts = [_text(v) for v in cells[r]]
        if not any(rowtexts):
            continue
        joined = next((t for t in rowtexts if t), "")
        if _FOOTNOTE.match(joined):
            notes.append(joined)
            continue
        if r > last:
            notes.append(joined)
            continue
        if _region_of(label, official) is not None:
            body.append(r)
        elif _is_aggregate(label):
            notes.append(f"skipped regional aggregate row {_cell_ref(r, rc)}: {label}")
        else:
            raise YearbookLayoutError(
                f"{path} [{grid.name}]: row {r + 1} ({_cell_ref(r, rc)}: {label!r}) is inside the table "
                "but is neither a region nor a footnote. Remove or fix the row, or check for a shifted "
                "region column."
            )

    # Column headers.
    data_cols = [c for c in range(width) if c != rc and any(_text(cells[r][c]) for r in body)]
    region_header = []
    for r in header_rows:
        t = _text(cells[r][rc])
        if t and (not region_header or region_header[-1] != t):
            region_header.append(t)
    headers = {}
    for c in data_cols:
        parts = []
        for r in header_rows:
            t = _text(cells[r][c])
            if t and (not parts or parts[-1] != t):
                parts.append(t)
        if not parts:
            raise YearbookLayoutError(
                f"{path} [{grid.name}]: column {_col_letter(c)} has numbers but no header. Fix the header "
                "so that every column of numbers has one."
            )
        if parts == region_header:
            raise YearbookLayoutError(
                f"{path} [{grid.name}]: column {_col_letter(c)} has numbers but no header of its own: its "
                f"header cell is merged with the region column's ({' / '.join(parts)!r}). Unmerge the "
                "header and give the column its own heading."
            )
        headers[c] = parts
    year_of = {}
    for c, parts in headers.items():
        for p in reversed(parts):
            m = _YEAR.match(p)
            if m:
                year_of[c] = int(m.group(1))
                break
    if layout == "auto":
        layout = "years_as_columns" if len(year_of) == len(headers) else "indicators_as_columns"
    if layout == "years_as_columns":
        if len(year_of) != len(headers):
            bad = [c for c in headers if c not in year_of][0]
            raise YearbookLayoutError(
                f"{path} [{grid.name}]: column header {' / '.join(headers[bad])!r} is not a year, but the "
                "layout is years-as-columns."
            )
        name = indicator or _indicator_from_title(title) or grid.name
        col_spec = {}
        for c, parts in headers.items():
            group = [p for p in parts if not _YEAR.match(p)]
            u = next((_unit_in(p) for p in group if _unit_in(p)), None)
            col_spec[c] = (name, year_of[c], u or table_unit)
    else:
        yr = year
        if yr is None:
            found = set(re.findall(r"((?:19[4-9]\d)|(?:20\d\d))\s*年?", title or ""))
            if len(found) == 1:
                yr = int(found.pop())
            else:
                raise YearbookLayoutError(
                    f"{path} [{grid.name}]: the table has indicators as columns but its year cannot be "
                    f"read from the title {title!r}; pass year=."
                )
        col_spec = {}
        for c, parts in headers.items():
            u = None
            names = []
            for p in parts:
                pu = _unit_in(p)
                if pu and _UNIT_IN_TEXT.sub("", p).strip() == "":
                    u = pu  # a header cell that is only a unit, e.g. "（元）"
                    continue
                if pu:
                    u = pu
                names.append(_UNIT_IN_TEXT.sub("", p).strip())
            col_spec[c] = (" ".join(n for n in names if n) or f"column {c + 1}", yr, u or table_unit)

    if units:
        unknown = set(units) - {spec[0] for spec in col_spec.values()}
        if unknown:
            raise SpecificationError(
                f"units= names indicators that are not in the table: {sorted(unknown)}; the table has "
                f"{sorted({spec[0] for spec in col_spec.values()})}."
            )
        col_spec = {c: (ind, yr, units.get(ind, u)) for c, (ind, yr, u) in col_spec.items()}
    rows = []
    for r in body:
        code = _region_of(_text(cells[r][rc]), official)
        for c, (ind, yr, u) in col_spec.items():
            v = cells[r][c]
            val = _number(v, path, grid.name, r, c)
            if u is None:
                raise YearbookLayoutError(
                    f"{path} [{grid.name}]: no unit for {ind!r} (column of {_cell_ref(r, c)}). Add a unit "
                    "to the header or pass unit=."
                )
            key = re.sub(r"\s+", "", u)
            if key not in UNITS:
                raise YearbookLayoutError(
                    f"{path} [{grid.name}]: unknown unit {u!r} for {ind!r}. Known units: "
                    f"{', '.join(sorted(UNITS))}; pass unit= to override."
                )
            base, factor = UNITS[key]
            rows.append((code, yr, ind, base, val * factor if val is not None else np.nan, u))
    out = pd.DataFrame(rows, columns=["region_code", "year", "indicator", "unit", "value", "unit_original"])
    dup = out.duplicated(["region_code", "year", "indicator"], keep=False)
    if dup.any():
        d = out[dup].iloc[0]
        raise YearbookLayoutError(
            f"{path} [{grid.name}]: region {d.region_code} appears more than once for {d.indicator!r} in "
            f"{d.year}. Remove the duplicate row (e.g. a region listed under two names)."
        )
    out["region"] = regions.to_name(out["region_code"], lang="zh") if len(out) else []
    out["region_en"] = regions.to_name(out["region_code"], lang="en") if len(out) else []
    out["is_total"] = out["region_code"] == regions.NATIONAL_CODE
    out["year"] = out["year"].astype(int)
    out["value"] = out["value"].astype(float)
    out = out[["region_code", "region", "region_en", "year", "indicator", "unit", "value", "unit_original", "is_total"]]
    out.attrs["title"] = title
    out.attrs["notes"] = notes
    out.attrs["source_file"] = str(path)
    out.attrs["sheet"] = grid.name
    return out


def _is_aggregate(label: str) -> bool:
    return re.sub(r"\s+", "", label) in _AGGREGATES or label.strip().lower() in _AGGREGATES


def _indicator_from_title(title: str | None) -> str | None:
    if not title:
        return None
    t = re.sub(r"^\s*(表|table)\s*[\d\-–—.]+\s*", "", title, flags=re.IGNORECASE)
    t = re.sub(r"[（(]\s*单位.*?[）)]", "", t)
    if _unit_in(t):
        t = _UNIT_IN_TEXT.sub("", t)
    return t.strip() or None


def _unit_in(text: str) -> str | None:
    m = _UNIT_IN_TEXT.search(text)
    if m and re.sub(r"\s+", "", m.group(1)) in UNITS:
        return m.group(1)
    return None


def _number(v: Any, path: Path, sheet: str, r: int, c: int) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool):
        raise YearbookLayoutError(f"{path} [{sheet}]: cell {_cell_ref(r, c)} holds a boolean, not a number.")
    if isinstance(v, (int, float, np.integer, np.floating)):
        return None if (isinstance(v, float) and np.isnan(v)) else float(v)
    t = unicodedata.normalize("NFKC", str(v)).strip()
    if t in PLACEHOLDERS or unicodedata.normalize("NFKC", t) in PLACEHOLDERS:
        return None
    t2 = t.replace(" ", "")
    if _NUMBER.match(t2):
        return float(t2.replace(",", ""))
    m = re.match(r"^([+-]?[\d,]*\.?\d+)\s*(\S+)$", t2)
    if m and m.group(2) in UNITS:
        raise YearbookLayoutError(
            f"{path} [{sheet}]: cell {_cell_ref(r, c)} holds a number with a unit ({t!r}). Put the unit in "
            "the column header or the '单位：' line, and only the number in the cell."
        )
    raise YearbookLayoutError(
        f"{path} [{sheet}]: cell {_cell_ref(r, c)} holds {t!r}, which is not a number or a known "
        f"placeholder ({', '.join(sorted(p for p in PLACEHOLDERS if p))})."
    )
