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
from disparity.reports.render_xlsx import number_cell, xlsx_bytes

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
    # typeset outputs print U+2212 minus signs and group long integers; nothing else changes
    typeset = [c for row in t.typeset_body() for c in row]
    assert [c.replace("\u2212", "-").replace(",", "") for c in typeset] == [c.replace(",", "") for c in cells]
    ws = load_workbook(io.BytesIO(xlsx_bytes(t, number=None))).active
    got = [c.value for row in ws.iter_rows(min_row=3, max_row=2 + len(t.body), max_col=t.ncols) for c in row]
    for j, (value, text) in enumerate(zip(got, typeset, strict=True)):
        parsed = number_cell(text) if j % t.ncols else None
        # a cell that is one number is stored as that number (its format prints the text back)
        assert value == (parsed[0] if parsed else text)
    doc = new_document()
    append_table(doc, t)
    d = Document(io.BytesIO(document_bytes(doc)))
    docx_body = [[c.text for c in row.cells] for row in d.tables[0].rows][1:]
    assert [c for row in docx_body for c in row] == typeset
    html = t.to_html()
    tds = re.findall(r"<td[^>]*>(.*?)</td>", html)
    assert [_html.unescape(x) for x in tds[: len(cells)]] == typeset
    md_rows = t.to_markdown().splitlines()
    assert len([r for r in md_rows if r.startswith("|")]) == 2 + len(t.body)


def test_zero_padded_codes_are_not_grouped():
    # Hypothesis found "00000" typeset as "0": codes with a leading zero are text
    from disparity.reports.tables import typeset_number

    assert typeset_number("00000") == "00000"
    assert typeset_number("012345") == "012345"
    assert typeset_number("0123", count=True) == "0123"
    assert typeset_number("123456") == "123,456"
    assert typeset_number("-12345") == "\u221212,345"
