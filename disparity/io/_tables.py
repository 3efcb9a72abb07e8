"""Loading a yearbook table as a grid, and reading the lines around it.

A table arrives as an .xlsx/.xls sheet or a CSV export. CSV exports from data.stats.gov.cn have a
byte-order mark, ``数据库：`` / ``指标：`` / ``时间：`` / ``地区：`` lines above the table, cells ending
in a tab before the comma (``北京市\\t,6372.68\\t,``) and footnotes (``注：``, ``数据来源：``) that
contain ASCII commas: each row keeps its raw line, so that a footnote is kept whole rather than cut
at its first comma.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataFormatError, SpecificationError
from . import _excel
from .encoding import decode, detect

#: NBS (data.stats.gov.cn) export lines above a table, and their English keys in ``attrs["metadata"]``.
NBS_KEYS = {"数据库": "database", "指标": "indicator", "时间": "time", "地区": "region", "地区码": "region_code"}
_META = re.compile(r"^\s*(数据库|指标|时间|地区码|地区)\s*[:：]\s*(.*?)\s*$")
_FOOTNOTE = re.compile(r"^\s*(注|说明|资料来源|数据来源|来源|note|notes|source|sources)\s*(\d+)?\s*[:：.、]",
                       re.IGNORECASE)
_CONTINUED_NOTE = re.compile(r"^\s*(\d{1,2}|[（(]\d{1,2}[)）])\s*[.、．]\s*\S")


@dataclass
class Sheet:
    cells: list[list[Any]]  # rectangular
    raw: list[str | None]  # the raw text of each row (CSV) or None (workbooks)
    name: str
    kind: str  # "csv", "xlsx", "xls"
    encoding: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def text(v: Any) -> str:
    """A cell as text, stripped (numbers as written: 2013.0 -> "2013")."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, str):
        return v.strip()
    return unicodedata.normalize("NFKC", str(v)).strip()


def load(path: Path, sheet: str | int | None) -> Sheet:
    ext = path.suffix.lower()
    if ext in _excel.WORKBOOK_EXTENSIONS:
        cells, name = _excel.read_grid(path, sheet)
        return _rect(Sheet(cells, [None] * len(cells), name, _excel.WORKBOOK_EXTENSIONS[ext]))
    if ext in (".csv", ".txt", ".tsv"):
        if sheet is not None:
            raise SpecificationError(f"sheet= applies to workbooks (.xlsx, .xls); {path.name} is a text file.")
        kind, what = _excel.sniff(path)
        if kind not in ("text", "empty"):
            raise DataFormatError(f"{path}: named {ext} but its contents are {what}.")
        return _rect(_load_text(path))
    raise DataFormatError(f"{path}: read_yearbook reads .xlsx, .xls and .csv tables, not {ext!r} files.")


def _load_text(path: Path) -> Sheet:
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        body, enc = decode(raw[3:], "utf-8", str(path)), "utf-8-sig"
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text" export: UTF-16, tab-separated
        body, enc = decode(raw, "utf-16", str(path)), "utf-16"
    else:
        d = detect([(f"line {i + 1}", b) for i, b in enumerate(raw.splitlines())])
        body, enc = decode(raw, d.encoding, str(path)), d.encoding
    lines = body.splitlines()
    sample = "\n".join(lines[:30])
    delim = "\t" if sample.count(",") == 0 and sample.count("\t") > 0 else ","
    reader = csv.reader(lines, delimiter=delim)
    rows: list[list[str | None]] = []
    raws: list[str | None] = []
    prev = 0
    try:
        for row in reader:
            rows.append([c.strip() or None for c in row])
            raws.append("\n".join(lines[prev : reader.line_num]))
            prev = reader.line_num
    except csv.Error as err:
        raise DataFormatError(f"{path}: malformed CSV at line {reader.line_num} ({err}).") from None
    return Sheet(rows, raws, path.stem, "csv", enc)


def _rect(sh: Sheet) -> Sheet:
    width = max((len(r) for r in sh.cells), default=0)
    sh.cells = [list(r) + [None] * (width - len(r)) for r in sh.cells]
    return sh


def line_text(sh: Sheet, r: int) -> str:
    """A whole row as one line of text: the raw line of a CSV row, else its distinct cells joined."""
    raw = sh.raw[r]
    if raw is not None:
        return re.sub(r"[\s,]+$", "", raw.strip())
    parts: list[str] = []
    for v in sh.cells[r]:
        t = text(v)
        if t and t not in parts:
            parts.append(t)
    return " ".join(parts)


def is_footnote(s: str) -> bool:
    return bool(_FOOTNOTE.match(s))


def is_continued_note(s: str) -> bool:
    return bool(_CONTINUED_NOTE.match(s))


def metadata_line(s: str) -> tuple[str, str] | None:
    m = _META.match(s)
    return (m.group(1), m.group(2)) if m else None
