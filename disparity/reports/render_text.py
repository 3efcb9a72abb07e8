"""Plain-text and Markdown rendering of :class:`~disparity.reports.tables.Table`."""

from __future__ import annotations

import unicodedata

from .tables import Table

__all__ = ["table_markdown", "table_text"]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, left: bool) -> str:
    fill = " " * (width - _width(text))
    return text + fill if left else fill + text


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def table_markdown(table: Table, *, number: int | None = None) -> str:
    """A pipe table (headers flattened: Markdown has no spanning cells), title above, notes below."""
    lines: list[str] = []
    caption = table.caption(number)
    if caption:
        lines += [f"**{_md_escape(caption)}**", ""]
    head = [_md_escape(h) for h in table.flat_header()]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join([":---"] + ["---:"] * (table.ncols - 1)) + "|")
    for row in table.body:
        lines.append("| " + " | ".join(_md_escape(c) for c in row) + " |")
    notes = table.notes_text()
    if notes:
        lines += ["", _md_escape(notes)]
    return "\n".join(lines) + "\n"


def table_text(table: Table) -> str:
    """A fixed-width rendering for the terminal (CJK characters counted as two columns)."""
    head = table.flat_header()
    rows = [head, *[list(r) for r in table.body]]
    widths = [max(_width(r[j]) for r in rows) for j in range(table.ncols)]
    total = sum(widths) + 2 * (len(widths) - 1)
    out = []
    if table.title:
        out.append(table.caption())
    out.append("=" * total)
    out.append("  ".join(_pad(h, w, j == 0) for j, (h, w) in enumerate(zip(head, widths, strict=True))))
    out.append("-" * total)
    for r in table.body:
        out.append("  ".join(_pad(c, w, j == 0) for j, (c, w) in enumerate(zip(r, widths, strict=True))))
    out.append("=" * total)
    if table.notes:
        out.append(table.notes_text())
    return "\n".join(out)
