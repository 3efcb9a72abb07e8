"""The :class:`Table` object: formatted cells, title and notes, kept apart from how they are rendered.

Builders (:func:`~disparity.reports.regression_table`, :func:`~disparity.reports.summary_table`, ...)
do the statistics and the number formatting once; a Table then only holds strings, so every output
format (HTML, LaTeX, Markdown, DOCX, XLSX) shows exactly the same digits.
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .._options import check_option
from ..errors import SpecificationError

__all__ = ["Table", "HeaderCell", "Lang", "TableStyle", "LANGS", "TABLE_STYLES", "frame_table", "typeset_number"]

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
    thousands : bool
        Thousands separators in the typeset outputs (DOCX, HTML, LaTeX, XLSX number formats):
        integers of five or more digits always, four-digit counts in count rows (观测值, N,
        聚类数); decimals are never split. ``False`` leaves the digits as formatted.
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
    thousands: bool = True
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

    def typeset_body(self) -> list[list[str]]:
        """Body cells as typeset outputs print them: U+2212 for a minus sign and, with
        ``thousands``, separators in long integers (see the class notes); row labels unchanged."""
        out = []
        heads = self.flat_header()
        last = [c.text for c in self.header[-1] for _ in range(c.span)] if self.header else [""] * self.ncols
        count_col = [bool(_COUNT_LABEL.match(a)) or bool(_COUNT_LABEL.match(b)) for a, b in zip(last, heads, strict=True)]
        for row in self.body:
            count_row = bool(_COUNT_LABEL.match(row[0])) if row else False
            out.append([row[0]] + [typeset_number(c, thousands=self.thousands, count=count_row or count_col[j])
                                   for j, c in enumerate(row[1:], start=1)])
        return out

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

    def to_docx(self, target: Any, *, number: int | None | str = "auto",
                overwrite: bool = False) -> Any:
        """Write a three-line table to a .docx path (deterministic bytes), or append it to a
        python-docx ``Document``; returns the path or the document. An existing file is replaced
        only with ``overwrite=True`` (otherwise :class:`~disparity.errors.OutputExistsError`).

        ``number="auto"`` numbers tables across one document (表1, 表2, ...: the next number
        not yet used by a caption in it); an int forces the number, ``None`` leaves it out.
        """
        from ._files import refuse_existing
        from .render_docx import append_table, new_document, save_document

        if hasattr(target, "add_table") and hasattr(target, "element"):
            append_table(target, self, number=number)
            return target
        refuse_existing(target, overwrite=overwrite)
        doc = new_document(self.lang)
        append_table(doc, self, number=number, restore_portrait=False)
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


_MINUS = re.compile(r"(?<![\w.])-(?=\.?\d)")
# integers with a leading zero (codes such as 00123) are text, never grouped
_LONG_INT = re.compile(r"(?<![\d.,])([1-9]\d{4,})(?![\d,])")
_FOUR_INT = re.compile(r"(?<![\d.,])([1-9]\d{3})(?![\d,.])")
_COUNT_LABEL = re.compile(r"^(观测值|样本量|观测数|聚类数|N|Observations|Clusters|n|Obs\.?)$")


def _group(m: re.Match[str]) -> str:
    return f"{int(m.group(1)):,}"


def typeset_number(text: str, *, thousands: bool = True, count: bool = False) -> str:
    """A formatted cell as it is printed: ASCII hyphen-minus before a number becomes U+2212 (−);
    with ``thousands`` integers of five or more digits get separators (12,345), and so do
    four-digit ones when ``count`` (observation counts). Digits after a decimal point never."""
    out = _MINUS.sub("\u2212", text)
    if thousands:
        out = _LONG_INT.sub(_group, out)
        if count:
            out = _FOUR_INT.sub(_group, out)
    return out


_P_COLUMN = re.compile(r"^(p_value.*|p值|p|p-value|pvalue|p_value_f)$", re.I)


def _fmt_value(v: Any, *, p_value: bool, decimals: int) -> str:
    import math

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int,)) or (hasattr(v, "dtype") and getattr(v.dtype, "kind", "") in "iu"):
        return str(int(v))
    if isinstance(v, float) or (hasattr(v, "dtype") and getattr(v.dtype, "kind", "") == "f"):
        x = float(v)
        if p_value:
            return "<0.001" if x < 0.001 else f"{x:.3f}"
        out = f"{x:.{decimals}f}"
        return "0." + "0" * decimals if out == "-0." + "0" * decimals else out
    return str(v)


def frame_table(frame: pd.DataFrame, *, lang: str = "zh", digits: int = 3, title: str = "") -> Table:
    """A DataFrame as a :class:`Table`: consistent decimals per column (``digits`` for numbers,
    none for a column of whole numbers, p-values as three decimals or ``<0.001``) and, in Chinese,
    the identifiers results carry (``estimate``, ``mean_a``, ``indirect``, ...) in Chinese.

    Examples
    --------
    >>> f = pd.DataFrame({"term": ["direct", "indirect"], "estimate": [0.32184, 0.0766], "p_value": [0.00001, 0.0069]})
    >>> frame_table(f).body
    (('直接效应', '0.322', '<0.001'), ('间接效应', '0.077', '0.007'))
    """
    from ._i18n import FRAME_ZH, VALUE_ZH

    check_option("lang", lang, LANGS)
    frame = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame

    def word(x: Any) -> str:
        text = str(x)
        if lang != "zh":
            return text
        return FRAME_ZH.get(text, VALUE_ZH.get(text, text))

    cols = list(frame.columns)
    rows: list[list[str]] = [[] for _ in range(len(frame))]
    for c in cols:
        series = frame[c]
        is_p = bool(_P_COLUMN.match(str(c)))
        decimals = digits
        if pd.api.types.is_float_dtype(series) and not is_p:
            finite = series.dropna()
            if len(finite) and bool((finite == finite.round(0)).all()):
                decimals = 0
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        for i, v in enumerate(series.tolist()):
            rows[i].append(_fmt_value(v, p_value=is_p, decimals=decimals) if numeric else
                           ("" if v is None or (isinstance(v, float) and v != v) else word(v)))
    header = (tuple(HeaderCell(word(c)) for c in cols),)
    return Table(header=header, body=tuple(tuple(r) for r in rows), lang=lang, title=title)


def escape_html(text: str) -> str:
    return _html.escape(text, quote=True)
