"""The :class:`Table` object: formatted cells, title and notes, kept apart from how they are rendered.

Builders (:func:`~disparity.reports.regression_table`, :func:`~disparity.reports.summary_table`, ...)
do the statistics and the number formatting once; a Table then only holds strings, so every output
format (HTML, LaTeX, Markdown, DOCX, XLSX) shows exactly the same digits.
"""

from __future__ import annotations

import html as _html
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .._options import check_option
from ..errors import SpecificationError

__all__ = ["Table", "HeaderCell", "Lang", "TableStyle", "LANGS", "TABLE_STYLES"]

Lang = Literal["zh", "en"]
TableStyle = Literal["three-line", "booktabs", "plain"]
LANGS: tuple[str, ...] = ("zh", "en")
TABLE_STYLES: tuple[str, ...] = ("three-line", "booktabs", "plain")


@dataclass(frozen=True)
class HeaderCell:
    """One header cell, spanning ``span`` columns."""

    text: str
    span: int = 1


@dataclass(frozen=True)
class Table:
    """An immutable, formatted table.

    Attributes
    ----------
    header : tuple of tuples of HeaderCell
        Header rows; the spans of each row add up to the number of columns.
    body : tuple of tuples of str
        Body rows, first cell the row label.
    title : str
        Title without its number; renderers add "表1" / "Table 1" when given a number.
    notes : tuple of str
        Note sentences, rendered below the table after "注：" / "Note:".
    lang : {"zh", "en"}
    style : {"three-line", "booktabs", "plain"}
        "three-line" draws only the top, header and bottom rules (三线表); "booktabs" also rules off
        the blocks listed in ``blocks`` (e.g. fit statistics under coefficients).
    blocks : tuple of int
        Body row indices that start a new block.
    data : DataFrame, optional
        The unformatted numbers behind the cells (for checks and re-use; never rendered).
    """

    header: tuple[tuple[HeaderCell, ...], ...]
    body: tuple[tuple[str, ...], ...]
    title: str = ""
    notes: tuple[str, ...] = ()
    lang: str = "en"
    style: str = "three-line"
    blocks: tuple[int, ...] = ()
    label: str = ""
    data: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_option("lang", self.lang, LANGS)
        check_option("style", self.style, TABLE_STYLES)
        n = self.ncols
        for i, row in enumerate(self.header):
            if sum(c.span for c in row) != n:
                raise SpecificationError(
                    f"Header row {i} spans {sum(c.span for c in row)} columns but the table has {n}; "
                    "make the spans of every header row add up to the number of columns."
                )
        for i, row in enumerate(self.body):
            if len(row) != n:
                raise SpecificationError(
                    f"Body row {i} ({row[:1]}) has {len(row)} cells but the table has {n} columns."
                )

    # ------------------------------------------------------------------ shape and derived views
    @property
    def ncols(self) -> int:
        if self.header:
            return sum(c.span for c in self.header[-1])
        return len(self.body[0]) if self.body else 0

    def flat_header(self) -> list[str]:
        """One label per column: the header rows joined (used where spans cannot be drawn)."""
        cols: list[list[str]] = [[] for _ in range(self.ncols)]
        for row in self.header:
            j = 0
            for cell in row:
                for k in range(j, j + cell.span):
                    if cell.text and (not cols[k] or cols[k][-1] != cell.text):
                        cols[k].append(cell.text)
                j += cell.span
        return [" ".join(c) for c in cols]

    def to_frame(self) -> pd.DataFrame:
        """The formatted cells as a DataFrame of strings (columns from the flattened header)."""
        cols = self.flat_header()
        seen: dict[str, int] = {}
        uniq = []
        for c in cols:
            seen[c] = seen.get(c, 0) + 1
            uniq.append(c if seen[c] == 1 else f"{c}.{seen[c] - 1}")
        return pd.DataFrame(list(self.body), columns=uniq)

    def caption(self, number: int | None = None) -> str:
        """The title with its number: "表1 标题" (zh) or "Table 1: Title" (en)."""
        if number is None:
            return self.title
        if self.lang == "zh":
            return f"表{number} {self.title}".rstrip()
        return f"Table {number}: {self.title}" if self.title else f"Table {number}"

    def notes_text(self) -> str:
        """Notes as one paragraph, with the language's lead-in ("注：" / "Note:")."""
        if not self.notes:
            return ""
        if self.lang == "zh":
            return "注：" + "".join(self.notes)
        return "Note: " + " ".join(self.notes)

    def replace(self, **changes: Any) -> Table:
        """A new Table with some fields changed (title, notes, style, ...)."""
        return replace(self, **changes)

    # ------------------------------------------------------------------ outputs
    def to_html(self, *, number: int | None = None) -> str:
        from .render_html import table_html

        return table_html(self, number=number)

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_latex(self, *, number: int | None = None, standalone: bool = False) -> str:
        """LaTeX (booktabs). ``standalone=True`` gives a whole document (ctex when Chinese)."""
        from .render_latex import table_latex

        return table_latex(self, number=number, standalone=standalone)

    def to_markdown(self, *, number: int | None = None) -> str:
        from .render_text import table_markdown

        return table_markdown(self, number=number)

    def to_docx(self, target: Any, *, number: int | None = 1, overwrite: bool = False) -> Any:
        """Write a three-line table to a .docx path (deterministic bytes), or append it to a
        python-docx ``Document``; returns the path or the document. An existing file is replaced
        only with ``overwrite=True`` (otherwise :class:`~disparity.errors.OutputExistsError`)."""
        from ._files import refuse_existing
        from .render_docx import append_table, new_document, save_document

        if hasattr(target, "add_table") and hasattr(target, "element"):
            append_table(target, self, number=number)
            return target
        refuse_existing(target, overwrite=overwrite)
        doc = new_document(self.lang)
        append_table(doc, self, number=number)
        save_document(doc, Path(target))
        return Path(target)

    def to_xlsx(self, path: str | Path, *, number: int | None = 1, overwrite: bool = False) -> Path:
        """Write the table to an .xlsx workbook (deterministic bytes). An existing file is replaced
        only with ``overwrite=True`` (otherwise :class:`~disparity.errors.OutputExistsError`)."""
        from ._files import refuse_existing
        from .render_xlsx import write_xlsx

        refuse_existing(path, overwrite=overwrite)
        return write_xlsx(self, Path(path), number=number)

    def __str__(self) -> str:
        from .render_text import table_text

        return table_text(self)

    def __repr__(self) -> str:
        return f"<Table {self.title!r}: {len(self.body)} rows x {self.ncols} columns, lang={self.lang}>"


def escape_html(text: str) -> str:
    return _html.escape(text, quote=True)
