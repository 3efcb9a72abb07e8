"""XLSX rendering with openpyxl: the formatted cells, three-line borders, merged header spans."""

from __future__ import annotations

import datetime as _dt
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from ._files import atomic_write_bytes, normalise_zip
from .render_text import _width
from .tables import Table

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
    for row in table.body:
        for j, text in enumerate(row, start=1):
            c = ws.cell(row=r, column=j, value=text if text != "" else None)
            c.font = font
            c.alignment = Alignment(horizontal="left" if j == 1 else "center")
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
        c.alignment = Alignment(horizontal="left", wrap_text=False)
    rows = [table.flat_header(), *table.body]
    for j in range(table.ncols):
        width = max(_width(rw[j]) for rw in rows) + 2
        ws.column_dimensions[get_column_letter(j + 1)].width = max(8, min(width, 60))
    buf = io.BytesIO()
    wb.save(buf)
    return normalise_zip(buf.getvalue())


def write_xlsx(table: Table, path: Path, *, number: int | None = 1) -> Path:
    return atomic_write_bytes(Path(path), xlsx_bytes(table, number=number))
