"""HTML rendering of :class:`~disparity.reports.tables.Table` (inline styles, so it survives Jupyter,
e-mail and a pasted fragment alike)."""

from __future__ import annotations

from .tables import Table, escape_html

__all__ = ["table_html"]

_THICK = "1.5pt solid #000"
_THIN = "0.75pt solid #000"
_FONT = "font-family:'Times New Roman',Times,'SimSun','Songti SC',serif;"


def _cell(tag: str, text: str, *, span: int = 1, left: bool = False, style: str = "") -> str:
    span_attr = f' colspan="{span}"' if span > 1 else ""
    align = "left" if left else "center"
    return (f'<{tag}{span_attr} style="text-align:{align};padding:2px 8px;{style}">'
            f"{escape_html(text)}</{tag}>")


def table_html(table: Table, *, number: int | None = None) -> str:
    """The table as an HTML fragment: caption above, three-line rules, notes below."""
    ruled = table.style != "plain"
    notes = table.notes_text()
    # the bottom rule closes the body; notes (in tfoot) sit below it, outside the rules
    bottom = f"border-bottom:{_THICK};" if (ruled and not notes) else ""
    out = [f'<table class="dp-table" style="border-collapse:collapse;{_FONT}'
           + (f"border-top:{_THICK};" if ruled else "") + bottom + '">']
    caption = table.caption(number)
    if caption:
        out.append(f'<caption style="caption-side:top;font-weight:bold;padding:4px">{escape_html(caption)}</caption>')
    out.append("<thead>")
    last = len(table.header) - 1
    for i, row in enumerate(table.header):
        rule = f"border-bottom:{_THIN};" if (ruled and i == last) else ""
        cells = [_cell("th", c.text, span=c.span, left=(j == 0 and c.span == 1), style=rule + "font-weight:normal;")
                 for j, c in enumerate(row)]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</thead><tbody>")
    blocks = set(table.blocks) if table.style == "booktabs" else set()
    for i, row in enumerate(table.typeset_body()):
        rule = f"border-top:{_THIN};" if i in blocks else ""
        cells = [_cell("td", text, left=(j == 0), style=rule) for j, text in enumerate(row)]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody>")
    if notes:
        out.append(f'<tfoot><tr><td colspan="{table.ncols}" style="text-align:left;padding:4px 2px;'
                   f'font-size:smaller;border-top:{_THICK if ruled else "none"}">{escape_html(notes)}</td></tr></tfoot>')
    out.append("</table>")
    return "".join(out)
