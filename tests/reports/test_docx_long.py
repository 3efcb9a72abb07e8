"""Issue 21 items 3 and 5: Word tables that survive long documents, Excel cells that are numbers."""

from __future__ import annotations

import re
import subprocess

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

import disparity as dp
from disparity.reports import HeaderCell, Table, regression_table
from disparity.reports.render_docx import (
    LANDSCAPE_TEXT_WIDTH_CM,
    TEXT_WIDTH_CM,
    _Plan,
    new_document,
    next_number,
    save_document,
    text_cm,
)

from .conftest import LABELS, require_tool

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _long_table(n: int = 93) -> Table:
    body = tuple((f"地区{i:02d}", f"{(-1) ** i * i / 7:.3f}", f"{i * 1234}") for i in range(n))
    return Table(header=((HeaderCell("地区"), HeaderCell("待遇差距"), HeaderCell("观测值")),), body=body,
                 title="分省份待遇差距", notes=("数据为合成数据。",), lang="zh")


def _captions(doc):
    return [p.text for p in doc.paragraphs if re.match(r"^(续表|表|图)", p.text)]


def test_long_table_repeats_header_and_continues_as_xu_biao(tmp_path):
    doc = Document(_long_table().to_docx(tmp_path / "long.docx"))
    assert len(doc.tables) == 3  # 93 rows: three balanced page parts
    assert [len(t.rows) - 1 for t in doc.tables] == [31, 31, 31]
    assert _captions(doc) == ["表1 分省份待遇差距", "续表1", "续表1"]
    conts = [p for p in doc.paragraphs if p.text == "续表1"]
    assert all(p.paragraph_format.page_break_before and p.paragraph_format.keep_with_next for p in conts)
    for t in doc.tables:
        first = t.rows[0]._tr
        assert first.trPr.find(qn("w:tblHeader")) is not None  # repeated header row
        assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in t.rows)
        assert [c.text for c in t.rows[0].cells] == ["地区", "待遇差距", "观测值"]
    # notes only once, after the last part, indented to the table's edges
    notes = [p for p in doc.paragraphs if p.text.startswith("注：")]
    assert len(notes) == 1
    width = sum(c.width.cm for c in doc.tables[0].rows[0].cells)
    assert notes[0].paragraph_format.left_indent.cm == pytest.approx((TEXT_WIDTH_CM - width) / 2, abs=0.01)


def test_short_table_is_kept_together_and_numbers_are_typeset(models, tmp_path):
    t = regression_table([models["m1"], models["m2"]], labels=LABELS, title="基准回归结果")
    doc = Document(t.to_docx(tmp_path / "t.docx"))
    tbl = doc.tables[0]
    cells = [c for row in tbl.rows for c in row.cells]
    texts = [c.text for c in cells]
    assert not any(re.match(r"^-\d", x) for x in texts)  # no ASCII hyphen as a minus sign
    assert any(x.startswith("\u2212") for x in texts)
    # every row but the last keeps with the next (the table moves to the next page whole)
    last = len(tbl.rows) - 1
    for i, row in enumerate(tbl.rows):
        keep = row.cells[0].paragraphs[0].paragraph_format.keep_with_next
        assert keep is (i < last)
    # decimal alignment: numbers right-aligned, indented by the digits they lack after the point
    i_est = next(i for i, r in enumerate(tbl.rows) if r.cells[0].text == LABELS["dev"])
    est, se = tbl.rows[i_est], tbl.rows[i_est + 1]
    a, b = est.cells[1].paragraphs[0], se.cells[1].paragraphs[0]
    assert a.alignment == b.alignment == 2  # RIGHT
    tail_a = est.cells[1].text[est.cells[1].text.index("."):]
    tail_b = se.cells[1].text[se.cells[1].text.index("."):]
    diff = a.paragraph_format.right_indent.cm - b.paragraph_format.right_indent.cm
    assert diff == pytest.approx(text_cm(tail_b) - text_cm(tail_a), abs=0.002)
    # East-Asian text tagged zh-CN, in the runs and in the document defaults
    cjk = [r for r in doc.element.body.iter(W + "r") if re.search(r"[\u4e00-\u9fff]", "".join(r.itertext()))]
    assert cjk and all(r.find(W + "rPr").find(W + "lang").get(qn("w:eastAsia")) == "zh-CN" for r in cjk)
    langs = [el.get(qn("w:eastAsia")) for el in doc.styles.element.iter(qn("w:lang"))]
    assert langs and set(langs) == {"zh-CN"}


def test_column_widths_from_every_header_row_and_body():
    t = Table(header=((HeaderCell(""), HeaderCell("线性概率模型"), HeaderCell("Logit模型")),
                      (HeaderCell(""), HeaderCell("(1)"), HeaderCell("(2)"))),
              body=(("受教育年限（年）", "0.1", "0.2"), ("观测值", "2947", "2947")), lang="zh")
    plan = _Plan(t, t.typeset_body())
    assert plan.widths[1] >= text_cm("线性概率模型") + 0.2  # the first header row counts too
    assert plan.widths[0] >= text_cm("受教育年限（年）") + 0.2  # short labels never wrap
    assert t.typeset_body()[1] == ["观测值", "2,947", "2,947"]
    assert t.replace(thousands=False).typeset_body()[1] == ["观测值", "2947", "2947"]


def test_wide_table_goes_landscape_and_back(tmp_path):
    ncol = 22
    header = ((HeaderCell("变量"), *[HeaderCell(f"统计量{j}") for j in range(1, ncol)]),)
    body = tuple((f"变量{i}", *[f"{1234.5678 * j:.3f}" for j in range(1, ncol)]) for i in range(4))
    wide = Table(header=header, body=body, title="宽表", lang="zh")
    doc = new_document("zh")
    doc.add_paragraph("正文。")
    wide.to_docx(doc)
    doc.add_paragraph("后文。")
    orient = [s.orientation for s in doc.sections]
    assert [int(o) for o in orient] == [0, 1, 0]  # portrait, landscape, portrait
    plan = _Plan(wide, wide.typeset_body())
    assert plan.landscape and sum(plan.widths) <= LANDSCAPE_TEXT_WIDTH_CM + 1e-9
    save_document(doc, tmp_path / "wide.docx")


def test_tables_are_numbered_across_one_document(models):
    doc = new_document("zh")
    for title in ("一", "二", "三"):
        regression_table(models["m1"], title=title).to_docx(doc)
    assert _captions(doc) == ["表1 一", "表2 二", "表3 三"]
    assert next_number(doc, "table") == 4 and next_number(doc, "figure") == 1


def test_report_figures_keep_with_their_captions(tmp_path):
    panel = dp.datasets.province_panel()
    rep = dp.Report("示例")
    rep.add_figure(dp.gap_trend_plot(panel, "year", "benefit_gap"), caption="趋势")
    out = rep.save(tmp_path / "rep")
    doc = Document(out / "report.docx")
    paras = doc.paragraphs
    i = next(i for i, p in enumerate(paras) if p._p.xpath(".//w:drawing"))
    assert paras[i].paragraph_format.keep_with_next
    assert paras[i + 1].text == "图1 趋势"


def test_xlsx_numbers_are_numbers_with_formats(models, tmp_path):
    t = regression_table([models["m1"], models["m2"]], labels=LABELS, title="基准回归结果")
    ws = load_workbook(t.to_xlsx(tmp_path / "t.xlsx")).active
    cells = {c.coordinate: c for row in ws.iter_rows() for c in row if c.value is not None}
    est_row = next(c.row for c in cells.values() if c.value == LABELS["dev"])
    est, se = ws.cell(est_row, 2), ws.cell(est_row + 1, 2)
    b = float(models["m1"].params["dev"])
    assert isinstance(est.value, float) and est.value == pytest.approx(round(b, 3))
    stars = t.body[[r[0] for r in t.body].index(LABELS["dev"])][1].lstrip("-0123456789.")
    assert est.number_format.split(";")[0] == f'0.000"{stars}"' if stars else est.number_format.startswith("0.000")
    assert se.number_format.split(";")[0] == '"("0.000")"' and se.value > 0
    assert "\u2212" in est.number_format.split(";")[1]
    nobs = next(c for c in cells.values() if c.value == "观测值")
    n = ws.cell(nobs.row, 2)
    assert n.value == models["m1"].nobs and n.number_format.startswith("#,##0")
    # three rules and a notes row
    assert ws.cell(2, 1).border.top.style == "medium"
    assert str(ws.cell(ws.max_row, 1).value).startswith("注：")


def test_libreoffice_renders_the_long_table_on_three_pages(tmp_path):
    soffice = require_tool("soffice")
    require_tool("pdftotext")
    path = _long_table().to_docx(tmp_path / "long.docx")
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180)
    text = subprocess.run(["pdftotext", str(tmp_path / "long.pdf"), "-"], capture_output=True, text=True).stdout
    pages = [p.replace(" ", "") for p in text.split("\f")]  # pdftotext spaces CJK from digits
    assert sum(1 for p in pages if p.strip()) == 3
    assert "表1分省份待遇差距" in pages[0] and "续表1" in pages[1] and "续表1" in pages[2]
    assert all("待遇差距" in p for p in pages if p.strip())  # header on every page
