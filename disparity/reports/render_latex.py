"""LaTeX rendering (booktabs) of :class:`~disparity.reports.tables.Table`.

Chinese tables compile with ``ctex`` (XeLaTeX); a standalone document uses ``ctexart`` when the
table has Chinese text and ``article`` otherwise.
"""

from __future__ import annotations

import re

from .tables import Table

__all__ = ["table_latex", "latex_escape", "has_cjk"]

_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "²": r"\textsuperscript{2}", "≤": r"$\leq$", "≥": r"$\geq$", "×": r"$\times$", "−": r"$-$",
}
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters (and a few symbols) in plain text."""
    return "".join(_SPECIAL.get(ch, ch) for ch in text)


def table_latex(table: Table, *, number: int | None = None, standalone: bool = False) -> str:
    """A ``table`` float with a booktabs ``tabular``; notes in a footnote-size paragraph below.

    LaTeX numbers its own floats, so ``number`` is not printed (kept for a uniform signature).
    """
    n = table.ncols
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if table.title:
        lines.append(r"\caption{" + latex_escape(table.title) + "}")
    if table.label:
        lines.append(r"\label{" + table.label + "}")
    lines.append(r"\begin{tabular}{l" + "c" * (n - 1) + "}")
    ruled = table.style != "plain"
    lines.append(r"\toprule" if ruled else r"\hline")
    for i, row in enumerate(table.header):
        cells, rules, col = [], [], 1
        for cell in row:
            text = latex_escape(cell.text)
            if cell.span > 1:
                cells.append(rf"\multicolumn{{{cell.span}}}{{c}}{{{text}}}")
                if cell.text and i < len(table.header) - 1:
                    rules.append(rf"\cmidrule(lr){{{col}-{col + cell.span - 1}}}")
            else:
                cells.append(text)
            col += cell.span
        lines.append(" & ".join(cells) + r" \\")
        if rules:
            lines.append(" ".join(rules))
    lines.append(r"\midrule" if ruled else r"\hline")
    blocks = set(table.blocks) if table.style == "booktabs" else set()
    for i, row in enumerate(table.body):
        if i in blocks:
            lines.append(r"\midrule")
        lines.append(" & ".join(latex_escape(c) for c in row) + r" \\")
    lines.append(r"\bottomrule" if ruled else r"\hline")
    lines.append(r"\end{tabular}")
    notes = table.notes_text()
    if notes:
        lines.append(r"\par\smallskip")
        lines.append(r"\begin{minipage}{0.9\linewidth}\footnotesize " + latex_escape(notes) + r"\end{minipage}")
    lines.append(r"\end{table}")
    body = "\n".join(lines) + "\n"
    if not standalone:
        return body
    text = body + table.title
    if has_cjk(text) or table.lang == "zh":
        pre = "\\documentclass[UTF8]{ctexart}\n\\usepackage{booktabs}\n"
    else:
        pre = "\\documentclass{article}\n\\usepackage{booktabs}\n"
    return pre + "\\begin{document}\n" + body + "\\end{document}\n"
