"""XLSX rendering with openpyxl: three-line borders, merged header spans, a notes row, and numbers
stored as numbers.

A formatted cell such as ``−0.123***``, ``(0.045)`` or ``2,947`` is written as the number it shows
with an Excel number format that prints it the same way: the digits after the decimal point,
thousands separators when the table has them, the parentheses of a standard error and the stars as
literal text of the format (``0.000"***"``), and U+2212 for negatives. So the sheet shows the
table's digits, while a click on a cell gives the value to compute with. Cells that are not one
number (intervals ``[a, b]``, 是/否) stay text.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from ._files import atomic_write_bytes, normalise_zip
from .render_text import _width
from .tables import Table

_NUM = re.compile(r"^(?P<open>[(\[]?)(?P<num>[\u2212\-]?[\d,]*\.?\d+)(?P<close>[)\]]?)(?P<stars>\**)$")


def _quote(text: str) -> str:
    return f'"{text}"' if text else ""


def number_cell(text: str) -> tuple[float, str] | None:
    """The value and Excel number format of a formatted cell, or None when it is not one number."""
    m = _NUM.match(text)
    if not m or (m.group("open") and not m.group("close")) or (m.group("close") and not m.group("open")):
        return None
    num = m.group("num")
    value = float(num.replace(",", "").replace("\u2212", "-"))
    decimals = len(num.split(".")[1]) if "." in num else 0
    body = ("#,##0" if "," in num else "0") + ("." + "0" * decimals if decimals else "")
    pre, post = _quote(m.group("open")), _quote(m.group("close") + m.group("stars"))
    positive = f"{pre}{body}{post}"
    negative = f'{pre}"\u2212"{body}{post}'
    return value, f"{positive};{negative};{positive}"

__all__ = ["write_xlsx", "xlsx_bytes"]

_THICK = Side(style="medium", color="000000")
_THIN = Side(style="thin", color="000000")
_FIXED = _dt.datetime(2000, 1, 1)


def xlsx_bytes(table: Table, *, number: int | None = 1, sheet: str = "Table") -> bytes:
    wb = Workbook()
    wb.properties.creator = "disparity"
    wb.properties.created = _FIXED
    wb.properties.modified = _FIXED
    ws = wb.active
    ws.title = sheet
    font = Font(name="Times New Roman", size=10.5)
    r = 1
    caption = table.caption(number)
    if caption:
        ws.cell(row=r, column=1, value=caption).font = Font(name="Times New Roman", size=10.5, bold=True)
        if table.ncols > 1:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=table.ncols)
        ws.cell(row=r, column=1).alignment = Alignment(horizontal="center")
        r += 1
    first = r
    for row in table.header:
        j = 1
        for cell in row:
            c = ws.cell(row=r, column=j, value=cell.text or None)
            c.font = font
            c.alignment = Alignment(horizontal="left" if (j == 1 and cell.span == 1) else "center")
            if cell.span > 1:
                ws.merge_cells(start_row=r, start_column=j, end_row=r, end_column=j + cell.span - 1)
            j += cell.span
        r += 1
    header_last = r - 1
    for cells in table.typeset_body():
        for j, text in enumerate(cells, start=1):
            parsed = number_cell(text) if j > 1 else None
            if parsed is not None:
                c = ws.cell(row=r, column=j, value=parsed[0])
                c.number_format = parsed[1]
                c.alignment = Alignment(horizontal="right")
            else:
                c = ws.cell(row=r, column=j, value=text if text != "" else None)
                c.alignment = Alignment(horizontal="left" if j == 1 else "center")
            c.font = font
        r += 1
    body_last = r - 1
    if table.style != "plain":
        for j in range(1, table.ncols + 1):
            ws.cell(row=first, column=j).border = Border(top=_THICK)
            hb = ws.cell(row=header_last, column=j)
            hb.border = Border(top=hb.border.top, bottom=_THIN)
            bb = ws.cell(row=body_last, column=j)
            bb.border = Border(top=bb.border.top, bottom=_THICK)
    notes = table.notes_text()
    if notes:
        c = ws.cell(row=r, column=1, value=notes)
        c.font = Font(name="Times New Roman", size=9)
        # the notes row spans the table and wraps inside it (as wide as the table, not the sheet)
        c.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        if table.ncols > 1:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=table.ncols)
        notes_row = r
    singles = [[c.text for c in row for _ in range(c.span)] if all(c.span == 1 for c in row)
                else [c.text if c.span == 1 else "" for c in row for _ in range(c.span)] for row in table.header]
    rows = [*singles, *table.typeset_body()]
    for j in range(table.ncols):
        width = max(_width(rw[j]) for rw in rows) + 2
        ws.column_dimensions[get_column_letter(j + 1)].width = max(8, min(width, 60))
    if notes:
        total = sum(ws.column_dimensions[get_column_letter(j + 1)].width for j in range(table.ncols))
        lines = -(-_width(notes) // max(1, int(total * 1.1)))  # a 9 pt line holds ~1.1 width units per char
        ws.row_dimensions[notes_row].height = 12.5 * max(1, lines)
    buf = io.BytesIO()
    wb.save(buf)
    return normalise_zip(buf.getvalue())


def write_xlsx(table: Table, path: Path, *, number: int | None = 1) -> Path:
    return atomic_write_bytes(Path(path), xlsx_bytes(table, number=number))
