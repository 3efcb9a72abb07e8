"""One table, every output format: the same digits, the three-line rules, East-Asian fonts, captions,
byte-identical rebuilds."""

import io
import re
import shutil
import subprocess
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from disparity.reports import Table, regression_table
from disparity.reports.tables import HeaderCell, typeset_number

from .conftest import LABELS

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def table(models):
    return regression_table([models["m1"], models["m2"]], labels=LABELS, title="基准回归结果",
                            indicators={"控制变量": ["urban", "age", "edu_years"]})


def _numbers(table):
    return [c for row in table.body for c in row[1:] if c]


def test_every_format_shows_the_same_numbers(table, tmp_path):
    nums = _numbers(table)
    assert len(nums) > 10
    html = table.to_html()
    md = table.to_markdown()
    tex = table.to_latex()
    for n in nums:
        assert (typeset_number(n) in html or typeset_number(n, count=True) in html) and n in md
        # siunitx cells: the digits, braced text before/after, stars in \sym{}
        plain = tex.replace("\\sym", "").replace("{", "").replace("}", "").replace("\\", "")
        assert n in plain or typeset_number(n, count=True) in plain, n
    doc = Document(table.to_docx(tmp_path / "t.docx"))
    docx_cells = [c.text for row in doc.tables[0].rows for c in row.cells]
    ws = load_workbook(table.to_xlsx(tmp_path / "t.xlsx")).active
    xlsx_cells = {c.coordinate: c for row in ws.iter_rows() for c in row if c.value is not None}
    for n in nums:
        # typeset outputs print U+2212 for the minus sign and group long counts
        assert typeset_number(n, count=True) in docx_cells or typeset_number(n) in docx_cells
        if n in ("是", "否"):
            assert n in [c.value for c in xlsx_cells.values()]
            continue
        shown = [c for c in xlsx_cells.values() if isinstance(c.value, (int, float))
                 and abs(c.value - float(n.strip("()*").replace(",", ""))) < 1e-12]
        assert shown, n
    # the body reads the same everywhere: row by row
    for row in table.body:
        assert "| " + " | ".join(row) + " |" in md


def test_docx_three_line_xml(table, tmp_path):
    path = table.to_docx(tmp_path / "t.docx")
    doc = Document(path)
    body = doc.element.body
    kinds = [el.tag.replace(W, "") for el in body.iterchildren() if el.tag in (W + "p", W + "tbl")]
    texts = ["".join(t.text or "" for t in el.iter(W + "t")) for el in body.iterchildren() if el.tag in (W + "p", W + "tbl")]
    # caption above, table, notes below
    i = kinds.index("tbl")
    assert texts[i - 1] == "表1 基准回归结果"
    assert texts[i + 1].startswith("注：括号内为")
    tbl = doc.tables[0]._tbl
    borders = tbl.tblPr.find(qn("w:tblBorders"))
    got = {el.tag.replace(W, ""): (el.get(qn("w:val")), el.get(qn("w:sz"))) for el in borders}
    assert got == {"top": ("single", "12"), "bottom": ("single", "12"), "left": ("nil", None),
                   "right": ("nil", None), "insideH": ("nil", None), "insideV": ("nil", None)}
    # the header rule: 0.75 pt under the last header row, and no other cell borders anywhere
    nh = len(table.header)
    for r, row in enumerate(tbl.tr_lst):
        for tc in row.tc_lst:
            tcb = tc.tcPr.find(qn("w:tcBorders")) if tc.tcPr is not None else None
            if r == nh - 1:
                bottom = tcb.find(qn("w:bottom"))
                assert (bottom.get(qn("w:val")), bottom.get(qn("w:sz"))) == ("single", "6")
                assert len(tcb) == 1
            else:
                assert tcb is None
    # every run: Times New Roman for Latin, SimSun (宋体) for East-Asian text; 五号 in the table, 小五 notes
    runs = list(doc.element.body.iter(W + "r"))
    assert runs
    for run in runs:
        fonts = run.find(W + "rPr").find(W + "rFonts")
        assert fonts.get(qn("w:eastAsia")) == "SimSun"
        assert fonts.get(qn("w:ascii")) == "Times New Roman" and fonts.get(qn("w:hAnsi")) == "Times New Roman"
    sizes = {int(r.find(W + "rPr").find(W + "sz").get(qn("w:val"))) for r in tbl.iter(W + "r")}
    assert sizes == {21}  # half-points: 10.5 pt
    note_runs = list(doc.paragraphs[-1].runs)
    assert note_runs[0].font.size.pt == 9


def test_docx_appends_to_an_existing_document_in_order(table, models):
    from disparity.reports.render_docx import new_document

    doc = new_document()
    table.to_docx(doc, number=1)
    regression_table(models["m1"], title="稳健性检验").to_docx(doc, number=2)
    caps = [p.text for p in doc.paragraphs if p.text.startswith("表")]
    assert caps == ["表1 基准回归结果", "表2 稳健性检验"]
    assert len(doc.tables) == 2


def test_docx_and_xlsx_are_byte_identical_on_rebuild(table, tmp_path):
    a = table.to_docx(tmp_path / "a.docx").read_bytes()
    b = table.to_docx(tmp_path / "b.docx").read_bytes()
    assert a == b
    x = table.to_xlsx(tmp_path / "a.xlsx").read_bytes()
    y = table.to_xlsx(tmp_path / "b.xlsx").read_bytes()
    assert x == y
    for blob in (a, x):
        zf = zipfile.ZipFile(io.BytesIO(blob))
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = zf.read("docProps/core.xml").decode()
        assert re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core) == ["2000-01-01T00:00:00Z"] * 2


def test_xlsx_rules_and_merged_header(tmp_path):
    t = Table(header=((HeaderCell(""), HeaderCell("城镇", 2)), (HeaderCell("变量"), HeaderCell("均值"), HeaderCell("标准差"))),
              body=(("年龄", "50.913", "19.277"), ("收入", "1.000", "2.000")), title="描述统计", notes=("按权重加权。",), lang="zh")
    ws = load_workbook(t.to_xlsx(tmp_path / "s.xlsx")).active
    assert ws["A1"].value == "表1 描述统计"
    assert "B2:C2" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["B2"].value == "城镇"
    assert ws["A4"].value == "年龄" and ws["B4"].value == 50.913 and ws["B4"].number_format.startswith("0.000;")
    assert ws["A2"].border.top.style == "medium"
    assert ws["B3"].border.bottom.style == "thin"
    assert ws["C5"].border.bottom.style == "medium"
    assert ws["A6"].value == "注：按权重加权。"


def test_latex_booktabs_structure(table):
    tex = table.to_latex()
    assert tex.count(r"\toprule") == 1 and tex.count(r"\midrule") == 1 and tex.count(r"\bottomrule") == 1
    assert r"\caption{基准回归结果}" in tex
    assert "经济发展水平 $\\times$ 待遇差距" in tex
    assert r"R\textsuperscript{2}" in tex
    assert "10\\%、5\\%、1\\%" in tex
    booktabs = table.replace(style="booktabs").to_latex()
    assert booktabs.count(r"\midrule") == 3  # header, before indicators, before statistics
    doc = table.to_latex(standalone=True)
    assert doc.startswith("\\documentclass[UTF8]{ctexart}") and doc.rstrip().endswith("\\end{document}")


def test_latex_spanning_header_gets_cmidrule():
    t = Table(header=((HeaderCell(""), HeaderCell("Urban", 2)), (HeaderCell(""), HeaderCell("Mean"), HeaderCell("SD"))),
              body=(("age_x", "1", "2"),), lang="en")
    tex = t.to_latex()
    assert r"\multicolumn{2}{c}{Urban}" in tex and r"\cmidrule(lr){2-3}" in tex
    assert r"age\_x" in tex
    assert t.to_latex(standalone=True).startswith("\\documentclass{article}")


@pytest.mark.skipif(shutil.which("xelatex") is None, reason="no TeX engine (xelatex) on this machine")
def test_latex_compiles_with_xelatex(table, tmp_path):
    src = tmp_path / "t.tex"
    src.write_text(table.to_latex(standalone=True), encoding="utf-8")
    run = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", src.name], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "t.pdf").stat().st_size > 1000


def test_table_checks_its_shape():
    from disparity.errors import SpecificationError

    with pytest.raises(SpecificationError, match="Body row 0"):
        Table(header=((HeaderCell("a"), HeaderCell("b")),), body=(("x",),))
    with pytest.raises(SpecificationError, match="spans 3 columns"):
        Table(header=((HeaderCell("a"), HeaderCell("b", 2)), (HeaderCell("a"), HeaderCell("b"))), body=())
    with pytest.raises(SpecificationError, match="lang='fr'"):
        Table(header=((HeaderCell("a"),),), body=(), lang="fr")


def test_table_is_immutable_and_replace_returns_new(table):
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        table.title = "x"
    other = table.replace(title="新标题")
    assert other.title == "新标题" and table.title == "基准回归结果"
    assert other.caption(3) == "表3 新标题"
    assert table.replace(lang="en", title="Main").caption(2) == "Table 2: Main"
