"""DOCX rendering: Chinese-thesis three-line tables (三线表) with python-docx.

Rules: top and bottom 1.5 pt, header rule 0.75 pt, nothing else (Word measures borders in eighths
of a point: ``w:sz="12"`` and ``w:sz="6"``). Latin text in Times New Roman and Chinese in 宋体
(SimSun): python-docx's ``font.name`` sets only the ``w:ascii``/``w:hAnsi`` fonts, so the East-Asian
font is set on ``w:rFonts`` by hand. Table text is 五号 (10.5 pt), notes 小五 (9 pt).
"""

from __future__ import annotations

import datetime as _dt
import io
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from ._files import atomic_write_bytes, normalise_zip
from .render_text import _width
from .tables import Table

__all__ = ["new_document", "append_table", "append_caption", "save_document", "set_run_fonts",
           "RULE_THICK", "RULE_THIN", "SIZE_WUHAO", "SIZE_XIAOWU", "LATIN_FONT", "EAST_ASIAN_FONT"]

RULE_THICK = 12  # eighths of a point: 1.5 pt
RULE_THIN = 6  # 0.75 pt
SIZE_WUHAO = Pt(10.5)  # 五号
SIZE_XIAOWU = Pt(9)  # 小五
LATIN_FONT = "Times New Roman"
EAST_ASIAN_FONT = "SimSun"  # 宋体
_FIXED_TIME = _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC)


def set_run_fonts(run: Any, *, size: Any = SIZE_WUHAO, bold: bool = False) -> None:
    """Times New Roman for Latin text, SimSun for Chinese (w:eastAsia), at ``size``."""
    run.font.name = LATIN_FONT
    run.font.size = size
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)


def _style_fonts(style: Any, size: Any) -> None:
    style.font.name = LATIN_FONT
    style.font.size = size
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)


def new_document(lang: str = "zh") -> Any:
    """A python-docx Document whose Normal style is Times New Roman + SimSun, 五号, with fixed
    core properties (so saving twice gives the same bytes)."""
    doc = Document()
    _style_fonts(doc.styles["Normal"], SIZE_WUHAO)
    for name in ("Heading 1", "Heading 2", "Title"):
        if name in [s.name for s in doc.styles]:
            st = doc.styles[name]
            st.font.color.rgb = RGBColor(0, 0, 0)  # theses print in black; Word's default is blue
            rpr = st.element.get_or_add_rPr()
            rfonts = rpr.find(qn("w:rFonts"))
            if rfonts is None:
                rfonts = OxmlElement("w:rFonts")
                rpr.insert(0, rfonts)
            rfonts.set(qn("w:eastAsia"), "SimHei")
    for section in doc.sections:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)  # A4, as Chinese theses use
        section.left_margin = section.right_margin = Cm(2.5)
        section.top_margin = section.bottom_margin = Cm(2.54)
    cp = doc.core_properties
    cp.author = "disparity"
    cp.last_modified_by = "disparity"
    cp.created = _FIXED_TIME
    cp.modified = _FIXED_TIME
    cp.revision = 1
    cp.language = "zh-CN" if lang == "zh" else "en-US"
    return doc


def append_caption(doc: Any, text: str, *, bold: bool = True) -> Any:
    """A centred caption paragraph (表/图 captions)."""
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.keep_with_next = True
    set_run_fonts(p.add_run(text), size=SIZE_WUHAO, bold=bold)
    return p


def _border(tag: str, size: int | None) -> Any:
    el = OxmlElement(f"w:{tag}")
    if size is None:
        el.set(qn("w:val"), "nil")
    else:
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
    return el


def _table_borders(tbl: Any) -> None:
    tblPr = tbl._tbl.tblPr
    old = tblPr.find(qn("w:tblBorders"))
    if old is not None:
        tblPr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for tag, size in (("top", RULE_THICK), ("left", None), ("bottom", RULE_THICK),
                      ("right", None), ("insideH", None), ("insideV", None)):
        borders.append(_border(tag, size))
    tblPr.append(borders)


def _cell_bottom_rule(cell: Any, size: int) -> None:
    tcPr = cell._tc.get_or_add_tcPr()
    tcb = OxmlElement("w:tcBorders")
    tcb.append(_border("bottom", size))
    tcPr.append(tcb)


def _write_cell(cell: Any, text: str, *, left: bool, size: Any = SIZE_WUHAO) -> None:
    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER
    if not left:  # a number must never break across lines
        cell._tc.get_or_add_tcPr().append(OxmlElement("w:noWrap"))
    p.paragraph_format.space_before = Pt(0)
    p.paragraph_format.space_after = Pt(0)
    if text:
        set_run_fonts(p.add_run(text), size=size)


TEXT_WIDTH_CM = 16.0  # A4 (21 cm) with 2.5 cm left and right margins, as new_document sets


def _column_widths(table: Table) -> tuple[list[float], Any]:
    """Column widths (cm) from the widest cell text (CJK counted double) and the font size: 五号,
    or 小五 when 五号 would not fit the page; scaled down to the text width if still too wide."""
    # spanning group headers ("城镇" over three columns) do not widen any single column
    last = [c.text for c in table.header[-1]] if table.header else [""] * table.ncols
    rows = [last, *table.body]
    chars = [max(_width(r[j]) for r in rows) for j in range(table.ncols)]
    size = SIZE_WUHAO
    need = [c * 0.2 + 0.3 for c in chars]
    if sum(need) > TEXT_WIDTH_CM:
        size = SIZE_XIAOWU
        need = [c * 0.2 * 9 / 10.5 + 0.3 for c in chars]
    total = sum(need)
    if total > TEXT_WIDTH_CM and len(need) > 1:
        # let row labels wrap before numbers do
        need[0] = max(1.6, TEXT_WIDTH_CM - sum(need[1:]))
        total = sum(need)
    scale = min(1.0, TEXT_WIDTH_CM / total) if total else 1.0
    return [w * scale for w in need], size


def _cell_margins(tbl: Any, twips: int = 57) -> None:
    tblPr = tbl._tbl.tblPr
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(twips))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    tblPr.append(mar)


def append_table(doc: Any, table: Table, *, number: int | None = None) -> Any:
    """Append caption (above), three-line table and notes (below) to ``doc``; returns the docx table."""
    caption = table.caption(number)
    if caption:
        append_caption(doc, caption)
    nh = len(table.header)
    t = doc.add_table(rows=nh + len(table.body), cols=table.ncols)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.style = None
    _table_borders(t)
    _cell_margins(t)
    widths, size = _column_widths(table)
    for i, row in enumerate(table.header):
        j = 0
        for cell in row:
            target = t.cell(i, j)
            if cell.span > 1:
                target = target.merge(t.cell(i, j + cell.span - 1))
            _write_cell(target, cell.text, left=(j == 0 and cell.span == 1), size=size)
            j += cell.span
    if table.style != "plain":
        for j in range(table.ncols):
            _cell_bottom_rule(t.cell(nh - 1, j), RULE_THIN)
    for i, row in enumerate(table.body):
        for j, text in enumerate(row):
            _write_cell(t.cell(nh + i, j), text, left=(j == 0), size=size)
    t.autofit = False
    for j, width in enumerate(widths):
        t.columns[j].width = Cm(width)
        for cell in t.columns[j].cells:
            cell.width = Cm(width)
    notes = table.notes_text()
    if notes:
        p = doc.add_paragraph()
        p.paragraph_format.space_before = Pt(3)
        set_run_fonts(p.add_run(notes), size=SIZE_XIAOWU)
    return t


def document_bytes(doc: Any) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return normalise_zip(buf.getvalue())


def save_document(doc: Any, path: Path) -> Path:
    """Save with fixed zip timestamps and core properties, atomically."""
    return atomic_write_bytes(Path(path), document_bytes(doc))
