"""How every result shows itself: one short ``repr``, the summary as text (``str``/``print``) and
the summary as HTML (``_repr_html_``, for Jupyter, VS Code and Quarto).

A result describes itself as a :class:`View` (a title, a few facts, named tables, notes); the three
renderings here are the only place that turns a View into text or HTML, so a model, a measure, a
DiD and a decomposition result look alike and no result carries its own HTML code. Display words
of reports (标准误, "Std. Error") stay in :mod:`disparity.reports`; views use the results' own
identifiers (``estimate``, ``std_error``), as ``tidy()`` does.
"""

from __future__ import annotations

import html as _html
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["View", "repr_line", "text", "html", "html_table", "SIGNIFICANT_DIGITS", "MAX_ROWS"]

#: Significant digits of numbers in displays (tables and reports format their own digits).
SIGNIFICANT_DIGITS = 6
#: Rows shown per table before the display is cut (the full table is in ``tidy()``).
MAX_ROWS = 60


@dataclass(frozen=True)
class View:
    """What a result shows: ``title`` (one line), ``info`` (facts such as nobs and covariance),
    ``tables`` (name -> frame; the name is a heading, "" for none) and ``notes``."""

    title: str
    info: Mapping[str, Any] = field(default_factory=dict)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _num(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(float(v)):
            return "" if math.isnan(float(v)) else str(float(v))
        return f"{float(v):.{SIGNIFICANT_DIGITS}g}"
    if isinstance(v, (tuple, list)):
        return ", ".join(_num(x) for x in v)
    return str(v)


def _facts(info: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(k), _num(v)) for k, v in info.items() if v is not None and _num(v) != ""]


def repr_line(obj: Any, view: View, *, keys: tuple[str, ...] = ("nobs",)) -> str:
    """``<TypeName title: key=value, ...>`` on one line (a few facts only, never a table)."""
    facts = [(k, v) for k, v in _facts(view.info) if k in keys]
    rows = sum(len(t) for t in view.tables.values())
    tail = ", ".join(f"{k}={v}" for k, v in facts)
    if rows and "rows" in keys:
        tail = (tail + ", " if tail else "") + f"{rows} row{'s' if rows != 1 else ''}"
    title = view.title.replace("\n", " ")
    return f"<{type(obj).__name__} {title}" + (f": {tail}" if tail else "") + ">"


def _w(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _w(text))
    return fill + text if right else text + fill


def _frame_text(frame: pd.DataFrame) -> str:
    shown = frame.head(MAX_ROWS)
    cells = [[str(c) for c in shown.columns]] + [[_num(v) for v in row] for row in shown.itertuples(index=False)]
    widths = [max(_w(r[j]) for r in cells) for j in range(len(cells[0]))] if cells[0] else []
    numeric = [pd.api.types.is_numeric_dtype(shown[c]) for c in shown.columns]
    lines = []
    for i, r in enumerate(cells):
        lines.append("  ".join(_pad(c, w, numeric[j]) for j, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip())
        if i == 0:
            lines.append("-" * _w(lines[0]))
    if len(frame) > MAX_ROWS:
        lines.append(f"... {len(frame) - MAX_ROWS} more rows (see tidy())")
    return "\n".join(lines)


def text(view: View) -> str:
    """The summary as plain text: title, facts, each table, notes."""
    out = [view.title, "=" * min(max(_w(view.title), 20), 100)]
    facts = _facts(view.info)
    if facts:
        width = max(len(k) for k, _ in facts)
        out += [f"{k.ljust(width)}  {v}" for k, v in facts]
    for name, frame in view.tables.items():
        out.append("")
        if name:
            out.append(f"[{name}]")
        out.append(_frame_text(frame) if len(frame.columns) else "(empty)")
    if view.notes:
        out.append("")
        out += [f"Note: {n}" for n in view.notes]
    return "\n".join(out)


_TH = "padding:2px 8px;border-bottom:1px solid #444;text-align:{align};"
_TD = "padding:1px 8px;text-align:{align};"


def html_table(frame: pd.DataFrame, *, caption: str = "") -> str:
    """One frame as an HTML table (numbers right-aligned, escaped text, rows cut at MAX_ROWS)."""
    shown = frame.head(MAX_ROWS)
    numeric = [pd.api.types.is_numeric_dtype(shown[c]) for c in shown.columns]
    head = "".join(f'<th style="{_TH.format(align="right" if n else "left")}">{_html.escape(str(c))}</th>'
                   for c, n in zip(shown.columns, numeric, strict=True))
    body = "".join(
        "<tr>" + "".join(f'<td style="{_TD.format(align="right" if n else "left")}">{_html.escape(_num(v))}</td>'
                         for v, n in zip(row, numeric, strict=True)) + "</tr>"
        for row in shown.itertuples(index=False)
    )
    more = (f'<tr><td colspan="{len(shown.columns)}" style="color:#666">… {len(frame) - MAX_ROWS} more rows '
            "(see tidy())</td></tr>") if len(frame) > MAX_ROWS else ""
    cap = f'<caption style="text-align:left;font-weight:bold">{_html.escape(caption)}</caption>' if caption else ""
    # a bare <table>: notebook front ends style it (striping, width) in their own theme
    return f'<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}{more}</tbody></table>'


def html(view: View) -> str:
    """The summary as an HTML fragment (inline styles only: it survives notebooks and e-mail)."""
    parts = [f'<div class="dp-result"><p><b>{_html.escape(view.title)}</b></p>']
    facts = _facts(view.info)
    if facts:
        parts.append('<p style="margin:0.2em 0;color:#444">'
                     + "; ".join(f"{_html.escape(k)}: {_html.escape(v)}" for k, v in facts) + "</p>")
    for name, frame in view.tables.items():
        parts.append(html_table(frame, caption=name))
    parts += [f'<p style="margin:0.2em 0;font-size:smaller">Note: {_html.escape(n)}</p>' for n in view.notes]
    parts.append("</div>")
    return "".join(parts)


def shown(title: Any, *, keys: tuple[str, ...] = ("nobs",)) -> Any:
    """Class decorator: give a result a one-line ``repr``, its summary as ``str`` and as
    ``_repr_html_``, from ``summary()`` when it returns a viewable summary, else from ``tidy()``.

    ``title`` is a function of the result giving its one-line title. Apply it above
    ``@dataclass`` (it replaces the generated field-by-field ``repr``).
    """

    def _view(self: Any) -> View:
        summary = getattr(self, "summary", None)
        if summary is not None:
            got = summary()
            if hasattr(got, "_view"):
                inner = got._view()
                return View(title(self), inner.info, inner.tables, inner.notes)
        return View(title(self), {}, {"": self.tidy()}, tuple(getattr(self, "notes", ()) or ()))

    def deco(cls: Any) -> Any:
        cls._view = _view
        cls.__repr__ = lambda self: repr_line(self, self._view(), keys=keys + ("rows",))
        cls.__str__ = lambda self: text(self._view())
        cls._repr_html_ = lambda self: html(self._view())
        return cls

    return deco
