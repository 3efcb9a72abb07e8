"""LaTeX rendering of :class:`~disparity.reports.tables.Table`: booktabs rules, ``threeparttable``
notes as wide as the table, siunitx ``S`` columns (decimal-aligned, true minus signs, grouped
digits), superscript stars, and wide tables that fit the page by themselves.

A fragment needs ``booktabs``, ``threeparttable``, ``siunitx``, ``adjustbox`` and, for a very wide
table, ``rotating`` (see :data:`PREAMBLE`); ``\\sym`` (superscript stars) is provided by the
fragment itself. Chinese tables compile with ``ctex`` (XeLaTeX); a standalone document uses
``ctexart`` when the table has Chinese text and ``article`` otherwise.

Width: every table is set in an ``adjustbox`` with ``max width=\\linewidth``, which scales it down
only when it would overflow (so nothing is ever wider than the text block); a table whose natural
width is more than :data:`LANDSCAPE_RATIO` times the text width is set landscape
(``sidewaystable``) instead of being shrunk to an unreadable size.
"""

from __future__ import annotations

import re

from .tables import Table

__all__ = ["table_latex", "latex_escape", "has_cjk", "PREAMBLE", "LANDSCAPE_RATIO", "TEXT_WIDTH_PT"]

_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "²": r"\textsuperscript{2}", "≤": r"$\leq$", "≥": r"$\geq$", "×": r"$\times$", "−": r"$-$",
}
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_NUM = re.compile(r"^(?P<pre>[(\[]?)(?P<num>[\u2212\-]?\d+(?:\.\d+)?)(?P<post>[)\]]?)(?P<stars>\**)$")

PREAMBLE = ("\\usepackage{booktabs}\n\\usepackage{threeparttable}\n\\usepackage{siunitx}\n"
            "\\usepackage{adjustbox}\n\\usepackage{rotating}\n")
_SISETUP = ("\\sisetup{group-separator={,}, group-minimum-digits=5, table-align-text-before=false, "
            "table-align-text-after=false}\n")
#: Text width assumed for the landscape decision: A4 ``ctexart``/``article`` at 10-11 pt (~ 12.5 cm).
TEXT_WIDTH_PT = 360.0
#: A table this many times wider than the text is rotated rather than scaled down.
LANDSCAPE_RATIO = 1.45


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters (and a few symbols) in plain text."""
    return "".join(_SPECIAL.get(ch, ch) for ch in text)


def _em(text: str) -> float:
    return sum(1.0 if _CJK.match(ch) else 0.5 for ch in text)


class _Column:
    """An ``S`` column's format from its numeric cells (None for a text column)."""

    def __init__(self, cells: list[str]) -> None:
        parsed = [m for c in cells if (m := _NUM.match(c))]
        self.numeric = bool(parsed)
        ints = [len(m.group("num").lstrip("-\u2212").split(".")[0]) for m in parsed] or [1]
        decs = [len(m.group("num").split(".")[1]) if "." in m.group("num") else 0 for m in parsed] or [0]
        self.sign = any(m.group("num")[0] in "-\u2212" for m in parsed)
        self.ints, self.decs = max(ints), max(decs)
        self.pre = max((m.group("pre") for m in parsed), key=len, default="")
        self.post = max((m.group("post") for m in parsed), key=len, default="")
        self.stars = max((len(m.group("stars")) for m in parsed), default=0)

    def spec(self) -> str:
        fmt = ("-" if self.sign else "") + f"{self.ints}" + (f".{self.decs}" if self.decs else "")
        opts = [f"table-format={fmt}"]
        if self.pre:
            opts.append(f"table-space-text-pre={{{self.pre}}}")
        post = self.post + (f"\\sym{{{'*' * self.stars}}}" if self.stars else "")
        if post:
            opts.append(f"table-space-text-post={{{post}}}")
        return "S[" + ", ".join(opts) + "]"

    def width_em(self) -> float:
        return 0.5 * (self.ints + self.decs + 1 + self.sign + len(self.pre) + len(self.post) + self.stars)


def _cell(text: str, col: _Column | None) -> str:
    if col is None or not col.numeric:
        return latex_escape(text)
    m = _NUM.match(text)
    if not m:  # text in a number column (是/否, an interval, a grouped count): braced, centred
        return "{" + latex_escape(text) + "}" if text else ""
    num = m.group("num").replace("\u2212", "-")
    pre = "{" + m.group("pre") + "}" if m.group("pre") else ""
    tail = m.group("post") + (f"\\sym{{{m.group('stars')}}}" if m.group("stars") else "")
    return pre + num + ("{" + tail + "}" if tail else "")


def table_latex(table: Table, *, number: int | None = None, standalone: bool = False) -> str:
    """A ``table`` float: caption, booktabs ``tabular`` with siunitx columns inside a
    ``threeparttable`` (notes below, as wide as the table), scaled down only if it would overflow.

    LaTeX numbers its own floats, so ``number`` is not printed (kept for a uniform signature).
    """
    n = table.ncols
    # S columns get the digits themselves (siunitx groups them and sets the minus); a count
    # grouped by typeset_body ("2,947") is braced text.
    body = [[row[0]] + [t if (not _NUM.match(c) or re.fullmatch(r"\d,\d{3}", t)) else c
                        for c, t in zip(row[1:], trow[1:], strict=True)]
            for row, trow in zip(table.body, table.typeset_body(), strict=True)]
    cols: list[_Column | None] = [None] + [_Column([r[j] for r in body]) for j in range(1, n)]
    label_em = max([_em(r[0]) for r in body] + [_em(c.text) for row in table.header for c in row[:1]] + [1.0])
    col_em = [max((_em(c) for c in [r[j] for r in body]), default=1.0) for j in range(1, n)]
    for j in range(1, n):
        column = cols[j]
        if column is not None and column.numeric:
            col_em[j - 1] = max(column.width_em(), max((_em(r[j]) for r in body if not _NUM.match(r[j])), default=0))
    width_pt = (label_em + sum(col_em)) * 10.5 + 12 * n
    rotate = width_pt > LANDSCAPE_RATIO * TEXT_WIDTH_PT
    env = "sidewaystable" if rotate else "table"

    specs = "l" + "".join(c.spec() if c is not None and c.numeric else "c" for c in cols[1:])
    lines = [f"\\begin{{{env}}}[htbp]", r"\centering", r"\providecommand{\sym}[1]{\ensuremath{^{#1}}}"]
    if table.title:
        lines.append(r"\caption{" + latex_escape(table.title) + "}")
    if table.label:
        lines.append(r"\label{" + table.label + "}")
    lines += [r"\begin{adjustbox}{max width=\linewidth}", r"\begin{threeparttable}",
              r"\begin{tabular}{" + specs + "}"]
    ruled = table.style != "plain"
    lines.append(r"\toprule" if ruled else r"\hline")
    for i, row in enumerate(table.header):
        cells, rules, col = [], [], 1
        for k, cell in enumerate(row):
            text = latex_escape(cell.text)
            if cell.span > 1:
                cells.append(rf"\multicolumn{{{cell.span}}}{{c}}{{{text}}}")
                if cell.text and i < len(table.header) - 1:
                    rules.append(rf"\cmidrule(lr){{{col}-{col + cell.span - 1}}}")
            elif k == 0:
                cells.append(text)
            else:
                cells.append(rf"\multicolumn{{1}}{{c}}{{{text}}}")
            col += cell.span
        lines.append(" & ".join(cells) + r" \\")
        if rules:
            lines.append(" ".join(rules))
    lines.append(r"\midrule" if ruled else r"\hline")
    blocks = set(table.blocks) if table.style == "booktabs" else set()
    for i, cells_ in enumerate(body):
        if i in blocks:
            lines.append(r"\midrule")
        lines.append(" & ".join(_cell(c, cols[j]) for j, c in enumerate(cells_)) + r" \\")
    lines.append(r"\bottomrule" if ruled else r"\hline")
    lines.append(r"\end{tabular}")
    notes = table.notes_text()
    if notes:
        lines += [r"\begin{tablenotes}[flushleft]", r"\footnotesize", r"\item[] " + latex_escape(notes),
                  r"\end{tablenotes}"]
    lines += [r"\end{threeparttable}", r"\end{adjustbox}", f"\\end{{{env}}}"]
    body_tex = "\n".join(lines) + "\n"
    if not standalone:
        return body_tex
    text = body_tex + table.title
    if has_cjk(text) or table.lang == "zh":
        pre = "\\documentclass[UTF8]{ctexart}\n"
    else:
        pre = "\\documentclass{article}\n"
    pre += "\\usepackage[a4paper,margin=2.5cm]{geometry}\n" + PREAMBLE + _SISETUP
    return pre + "\\begin{document}\n" + body_tex + "\\end{document}\n"
