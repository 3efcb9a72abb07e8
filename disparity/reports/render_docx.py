"""DOCX rendering: Chinese-thesis three-line tables (三线表) with python-docx, built to survive a
long document.

Rules: top and bottom 1.5 pt, header rule 0.75 pt, nothing else (Word measures borders in eighths
of a point: ``w:sz="12"`` and ``w:sz="6"``). Latin text in Times New Roman and Chinese in 宋体
(SimSun): python-docx's ``font.name`` sets only the ``w:ascii``/``w:hAnsi`` fonts, so the East-Asian
font is set on ``w:rFonts`` by hand, and East-Asian text is tagged ``zh-CN`` (``w:lang``), so Word
and LibreOffice pick simplified-Chinese glyphs. Table text is 五号 (10.5 pt), notes 小五 (9 pt).

Long documents: header rows repeat on every page (``w:tblHeader``); rows never split; a table that
fits on a page is kept on one page (``keepNext`` through its rows) and one that does not is cut
into page-sized parts, each after the first under a "续表N" caption with the header repeated;
captions keep with their table or figure. Column widths come from the text of every header and
body row; a table too wide for the portrait page gets 小五 and, if still too wide, a landscape
section. Numbers are decimal-aligned: right-aligned, each indented from the right by what its
part after the decimal point lacks against the column's widest (LibreOffice measures decimal tab
stops in table cells from the page margin, not the cell, so a decimal tab breaks there),
use the true minus sign (U+2212) and thousands separators (see :meth:`Table.typeset_body`); the
notes are indented to the table's edges.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import re
import unicodedata
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from ._files import atomic_write_bytes, normalise_zip
from .tables import Table

__all__ = ["new_document", "append_table", "append_caption", "append_figure", "save_document",
           "set_run_fonts", "next_number", "RULE_THICK", "RULE_THIN", "SIZE_WUHAO", "SIZE_XIAOWU",
           "LATIN_FONT", "EAST_ASIAN_FONT", "TEXT_WIDTH_CM", "LANDSCAPE_TEXT_WIDTH_CM"]

RULE_THICK = 12  # eighths of a point: 1.5 pt
RULE_THIN = 6  # 0.75 pt
SIZE_WUHAO = Pt(10.5)  # 五号
SIZE_XIAOWU = Pt(9)  # 小五
LATIN_FONT = "Times New Roman"
EAST_ASIAN_FONT = "SimSun"  # 宋体
_FIXED_TIME = _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC)

PAGE_W_CM, PAGE_H_CM = 21.0, 29.7  # A4
MARGIN_LR_CM, MARGIN_TB_CM = 2.5, 2.54
TEXT_WIDTH_CM = PAGE_W_CM - 2 * MARGIN_LR_CM  # 16.0
TEXT_HEIGHT_CM = PAGE_H_CM - 2 * MARGIN_TB_CM
LANDSCAPE_TEXT_WIDTH_CM = PAGE_H_CM - 2 * MARGIN_LR_CM  # 24.7
LANDSCAPE_TEXT_HEIGHT_CM = PAGE_W_CM - 2 * MARGIN_TB_CM
#: Table lines are set at exactly this multiple of the font size (13.65 pt at 五号).
LINE_FACTOR = 1.3
#: Height of one table row at 五号 for page planning: the exact line (0.48 cm) plus room for a
#: wrapped label now and then, so a planned page part never overflows its page.
ROW_HEIGHT_CM = 0.55
CELL_MARGIN_TWIPS = 57  # 0.1 cm left and right
_CELL_PAD_CM = 2 * CELL_MARGIN_TWIPS / 567 + 0.25  # margins plus slack for a wider substitute font
#: Row labels up to this width never wrap; longer ones wrap before any number column shrinks.
LABEL_MAX_CM = 6.5

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_NUMERIC = re.compile(r"^[(\[]?[\u2212\-]?[\d,]*\.?\d+(?:[eE][+\u2212\-]?\d+)?[)\]]?\**$")


def _lang_tag(rpr: Any) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def set_run_fonts(run: Any, *, size: Any = SIZE_WUHAO, bold: bool = False) -> None:
    """Times New Roman for Latin text, SimSun for Chinese (w:eastAsia, tagged zh-CN), at ``size``."""
    run.font.name = LATIN_FONT
    run.font.size = size
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    if _CJK.search(run.text or ""):
        _lang_tag(rpr)


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
    core properties (so saving twice gives the same bytes) and East-Asian text tagged zh-CN."""
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
    # the template's document defaults say eastAsia="en-US" (LibreOffice then picks Japanese glyphs)
    for lang_el in doc.styles.element.iter(qn("w:lang")):
        lang_el.set(qn("w:val"), "zh-CN" if lang == "zh" else "en-US")
        lang_el.set(qn("w:eastAsia"), "zh-CN")
    for section in doc.sections:
        _portrait(section)
    cp = doc.core_properties
    cp.author = "disparity"
    cp.last_modified_by = "disparity"
    cp.created = _FIXED_TIME
    cp.modified = _FIXED_TIME
    cp.revision = 1
    cp.language = "zh-CN" if lang == "zh" else "en-US"
    return doc


def _portrait(section: Any) -> None:
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(PAGE_W_CM), Cm(PAGE_H_CM)
    section.left_margin = section.right_margin = Cm(MARGIN_LR_CM)
    section.top_margin = section.bottom_margin = Cm(MARGIN_TB_CM)


def _landscape(section: Any) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(PAGE_H_CM), Cm(PAGE_W_CM)
    section.left_margin = section.right_margin = Cm(MARGIN_LR_CM)
    section.top_margin = section.bottom_margin = Cm(MARGIN_TB_CM)


_CAPTION = re.compile(r"^(表|图|Table |Figure )(\d+)")


def next_number(doc: Any, kind: str = "table") -> int:
    """The next free table (表N / Table N) or figure (图N / Figure N) number in ``doc``."""
    heads = ("表", "Table ") if kind == "table" else ("图", "Figure ")
    used = [int(m.group(2)) for p in doc.paragraphs if (m := _CAPTION.match(p.text)) and m.group(1) in heads]
    return max(used, default=0) + 1


def append_caption(doc: Any, text: str, *, bold: bool = True, page_break: bool = False) -> Any:
    """A centred caption paragraph (表/图 captions) kept with what follows."""
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.page_break_before = page_break
    p.paragraph_format.space_before = Pt(6)
    p.paragraph_format.space_after = Pt(3)
    set_run_fonts(p.add_run(text), size=SIZE_WUHAO, bold=bold)
    return p


def append_figure(doc: Any, png: bytes, caption: str, *, width_cm: float = 14.0) -> Any:
    """A centred picture with its caption below, kept on one page (the picture keeps with it)."""
    doc.add_picture(io.BytesIO(png), width=Cm(width_cm))
    pic = doc.paragraphs[-1]
    pic.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pic.paragraph_format.keep_with_next = True
    return append_caption(doc, caption, bold=False)


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


# ---------------------------------------------------------------------------------- measuring text
def _em(ch: str) -> float:
    """Advance width of a character in ems (Times New Roman / SimSun metrics, rounded up)."""
    if unicodedata.east_asian_width(ch) in "WF":
        return 1.0
    if ch.isdigit() or ch == "*":
        return 0.5  # Times New Roman (and the metric-compatible Liberation Serif): tabular digits
    if ch in ".,:;'|!":
        return 0.25
    if ch in "()[]-":
        return 0.333
    if ch in "\u2212+=×<>":
        return 0.57
    if ch == " ":
        return 0.25
    if ch.isupper() or ch in "mw%@":
        return 0.72
    return 0.5


def text_cm(text: str, size_pt: float = 10.5) -> float:
    """Printed width of ``text`` in cm at ``size_pt``."""
    return sum(_em(ch) for ch in text) * size_pt / 72 * 2.54


def _split_decimal(text: str) -> tuple[str, str]:
    """Text before and from the decimal point (the part a decimal tab aligns on)."""
    i = text.find(".")
    if i < 0:  # an integer aligns its last digit with the decimal point
        j = len(text.rstrip("*)]"))
        return text[:j], text[j:]
    return text[:i], text[i:]


class _Plan:
    """Column widths, font size, orientation and decimal tab positions of one table."""

    def __init__(self, table: Table, body: list[list[str]]) -> None:
        n = table.ncols
        self.numeric = [j > 0 and any(_NUMERIC.match(r[j]) for r in body) for j in range(n)]
        self.size, self.landscape = SIZE_WUHAO, False
        # 五号, then 小五 on the portrait page; then landscape; 六号 (7.5 pt) only as a last resort
        for size, landscape in ((10.5, False), (9.0, False), (10.5, True), (9.0, True), (7.5, True)):
            widths, lr = self._widths(table, body, size)
            limit = LANDSCAPE_TEXT_WIDTH_CM if landscape else TEXT_WIDTH_CM
            if sum(widths) <= limit:
                break
        self.size = Pt(size)
        self.landscape = landscape
        if sum(widths) > limit:  # still too wide: wrap the labels, then scale
            widths[0] = max(2.0, limit - sum(widths[1:]))
            if sum(widths) > limit:
                widths = [w * limit / sum(widths) for w in widths]
        self.widths = widths
        self.lr = lr
        self.limit = limit

    def _widths(self, table: Table, body: list[list[str]], size: float) -> tuple[list[float], list[tuple[float, float]]]:
        n = table.ncols
        need = [0.0] * n
        lr = [(0.0, 0.0)] * n
        for j in range(n):
            texts = [r[j] for r in body]
            if self.numeric[j]:
                parts = [_split_decimal(t) for t in texts if _NUMERIC.match(t)]
                left = max((text_cm(a, size) for a, _ in parts), default=0.0)
                right = max((text_cm(b, size) for _, b in parts), default=0.0)
                lr[j] = (left, right)
                other = max((text_cm(t, size) for t in texts if not _NUMERIC.match(t)), default=0.0)
                need[j] = max(left + right, other) + _CELL_PAD_CM
            else:
                need[j] = max((text_cm(t, size) for t in texts), default=0.0) + _CELL_PAD_CM
        if need:
            need[0] = min(need[0], LABEL_MAX_CM)
        for row in table.header:  # every header row, spans included
            j = 0
            for cell in row:
                want = text_cm(cell.text, size) + _CELL_PAD_CM
                have = sum(need[j:j + cell.span])
                if want > have:
                    if cell.span == 1 and j == 0:
                        need[0] = max(need[0], min(want, LABEL_MAX_CM))
                    else:
                        for k in range(j, j + cell.span):
                            need[k] += (want - have) / cell.span
                j += cell.span
        return need, lr

    def right_indent_cm(self, j: int, text: str) -> float:
        """Right indent that puts the decimal point of ``text`` where the column's points line
        up: the widest number block is centred in the column, and a cell whose part from the
        decimal point on is shorter than the widest is indented by the difference."""
        left, right = self.lr[j]
        inner = self.widths[j] - 2 * CELL_MARGIN_TWIPS / 567
        base = max(0.0, (inner - left - right) / 2)
        return base + right - text_cm(_split_decimal(text)[1], float(self.size.pt))

    def rows_per_page(self, n_header: int) -> int:
        height = LANDSCAPE_TEXT_HEIGHT_CM if self.landscape else TEXT_HEIGHT_CM
        row = ROW_HEIGHT_CM * float(self.size.pt) / 10.5
        # caption, notes and the spacing around them take about three rows
        return max(5, math.floor(height / row) - 3 - n_header)


def _write_cell(cell: Any, text: str, *, align: str, size: Any, indent_cm: float | None = None,
                keep: bool = False) -> None:
    p = cell.paragraphs[0]
    pf = p.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    # exact line height: CJK labels and Latin numbers share one baseline, and rows are as tall as
    # the page plan assumes
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(round(float(size.pt) * LINE_FACTOR, 1))
    pf.keep_with_next = keep
    if align != "left":  # a number must never break across lines
        cell._tc.get_or_add_tcPr().append(OxmlElement("w:noWrap"))
    if indent_cm is not None:  # decimal alignment: right-aligned, indented by the missing tail
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        pf.right_indent = Cm(round(indent_cm, 3))
        if text:
            set_run_fonts(p.add_run(text), size=size)
        return
    p.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER}[align]
    if text:
        set_run_fonts(p.add_run(text), size=size)


def _cell_margins(tbl: Any, twips: int = CELL_MARGIN_TWIPS) -> None:
    tblPr = tbl._tbl.tblPr
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(twips))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    tblPr.append(mar)


def _row_props(row: Any, *, header: bool) -> None:
    trPr = row._tr.get_or_add_trPr()
    trPr.append(OxmlElement("w:cantSplit"))
    if header:
        trPr.append(OxmlElement("w:tblHeader"))


def _body_empty(doc: Any) -> bool:
    body = doc.element.body
    return not any(el.tag in (qn("w:tbl"),) or (el.tag == qn("w:p") and "".join(el.itertext()).strip())
                   for el in body.iterchildren())


def _one_table(doc: Any, table: Table, body: list[list[str]], plan: _Plan, *, keep_rows: bool) -> Any:
    nh = len(table.header)
    size = plan.size
    t = doc.add_table(rows=nh + len(body), cols=table.ncols)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.style = None
    _table_borders(t)
    _cell_margins(t)
    for i, row in enumerate(table.header):
        _row_props(t.rows[i], header=True)
        j = 0
        for cell in row:
            target = t.cell(i, j)
            if cell.span > 1:
                target = target.merge(t.cell(i, j + cell.span - 1))
            _write_cell(target, cell.text, align="left" if (j == 0 and cell.span == 1) else "center",
                        size=size, keep=True)
            j += cell.span
    if table.style != "plain":
        for j in range(table.ncols):
            _cell_bottom_rule(t.cell(nh - 1, j), RULE_THIN)
    blocks = set(table.blocks) if table.style == "booktabs" else set()
    last = len(body) - 1
    for i, cells in enumerate(body):
        _row_props(t.rows[nh + i], header=False)
        for j, text in enumerate(cells):
            cell = t.cell(nh + i, j)
            keep = keep_rows and i < last
            if j == 0:
                _write_cell(cell, text, align="left", size=size, keep=keep)
            elif plan.numeric[j] and _NUMERIC.match(text):
                _write_cell(cell, text, align="decimal", size=size, indent_cm=plan.right_indent_cm(j, text),
                            keep=keep)
            else:
                _write_cell(cell, text, align="center", size=size, keep=keep)
            if i in blocks and i > 0:
                tcPr = cell._tc.get_or_add_tcPr()
                tcb = OxmlElement("w:tcBorders")
                tcb.append(_border("top", RULE_THIN))
                tcPr.append(tcb)
    t.autofit = False
    for j, width in enumerate(plan.widths):
        t.columns[j].width = Cm(width)
        for cell in t.columns[j].cells:
            cell.width = Cm(width)
    return t


def append_table(doc: Any, table: Table, *, number: int | None | str = "auto", restore_portrait: bool = True) -> Any:
    """Append caption (above), three-line table and notes (below) to ``doc``; returns the (first)
    docx table.

    ``number="auto"`` takes the next free table number in ``doc`` (表1, 表2, ... across every
    table appended to one document); an int forces it; ``None`` prints no number. A table too
    wide for the portrait page goes into a landscape section (followed by a portrait one again
    unless ``restore_portrait=False``); a table longer than a page is cut into page-sized parts
    under "续表N" captions.
    """
    number = next_number(doc, "table") if number == "auto" else (None if number is None else int(number))
    body = table.typeset_body()
    plan = _Plan(table, body)
    if plan.landscape:
        section = doc.sections[-1] if _body_empty(doc) else doc.add_section(WD_SECTION.NEW_PAGE)
        _landscape(section)
    per_page = plan.rows_per_page(len(table.header))
    parts = max(1, math.ceil(len(body) / per_page))
    size = math.ceil(len(body) / parts) if body else 0  # balanced parts: no near-empty last page
    chunks = [body[i:i + size] for i in range(0, len(body), size)] if body else [[]]
    split = len(chunks) > 1
    first = None
    for k, chunk in enumerate(chunks):
        if k == 0:
            caption = table.caption(number)
            if caption:
                append_caption(doc, caption, page_break=split and not _body_empty(doc))
        else:
            cont = (f"续表{number}" if table.lang == "zh" else f"Table {number} (continued)") if number \
                else ("续表" if table.lang == "zh" else "(continued)")
            append_caption(doc, cont, bold=True, page_break=True)
        t = _one_table(doc, table, chunk, plan, keep_rows=True)
        first = first if first is not None else t
    notes = table.notes_text()
    if notes:
        p = doc.add_paragraph()
        p.paragraph_format.space_before = Pt(3)
        indent = max(0.0, (plan.limit - sum(plan.widths)) / 2)
        p.paragraph_format.left_indent = Cm(indent)
        p.paragraph_format.right_indent = Cm(indent)
        set_run_fonts(p.add_run(notes), size=SIZE_XIAOWU)
    if plan.landscape and restore_portrait:
        _portrait(doc.add_section(WD_SECTION.NEW_PAGE))
    return first


def document_bytes(doc: Any) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return normalise_zip(buf.getvalue())


def save_document(doc: Any, path: Path) -> Path:
    """Save with fixed zip timestamps and core properties, atomically."""
    return atomic_write_bytes(Path(path), document_bytes(doc))
