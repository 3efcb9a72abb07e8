"""Properties of rendering: whatever the cell text, every format carries it through unchanged."""

import html as _html
import io
import re

from docx import Document
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from disparity.reports import HeaderCell, Table
from disparity.reports.render_docx import append_table, document_bytes, new_document
from disparity.reports.render_xlsx import xlsx_bytes

_TEXT = st.text(alphabet=st.sampled_from(list("0123456789.-*()[], ab_&%$#<>城乡差距²×")), min_size=1, max_size=8)


@st.composite
def tables(draw):
    ncols = draw(st.integers(2, 4))
    nrows = draw(st.integers(1, 4))
    head = tuple(HeaderCell(draw(_TEXT)) for _ in range(ncols))
    body = tuple(tuple(draw(_TEXT) for _ in range(ncols)) for _ in range(nrows))
    return Table(header=(head,), body=body, title=draw(_TEXT), notes=(draw(_TEXT),), lang=draw(st.sampled_from(["zh", "en"])))


@settings(max_examples=10, deadline=None)  # each example builds a docx and an xlsx (~0.3 s)
@given(tables())
def test_cells_survive_every_format(t):
    cells = [c for row in t.body for c in row]
    ws = load_workbook(io.BytesIO(xlsx_bytes(t, number=None))).active
    got = [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_row=2 + len(t.body), max_col=t.ncols)]
    assert [c for row in got for c in row] == cells
    doc = new_document()
    append_table(doc, t)
    d = Document(io.BytesIO(document_bytes(doc)))
    docx_body = [[c.text for c in row.cells] for row in d.tables[0].rows][1:]
    assert [c for row in docx_body for c in row] == cells
    html = t.to_html()
    tds = re.findall(r"<td[^>]*>(.*?)</td>", html)
    assert [_html.unescape(x) for x in tds[: len(cells)]] == cells
    md_rows = t.to_markdown().splitlines()
    assert len([r for r in md_rows if r.startswith("|")]) == 2 + len(t.body)
