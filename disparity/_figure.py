"""A matplotlib ``Figure`` that shows itself inline in Jupyter, VS Code and Quarto.

disparity draws without pyplot, so a plain ``Figure`` has no inline display (evaluating it
printed ``<Figure size 640x400 with 1 Axes>``). :class:`InlineFigure` adds ``_repr_png_``; the
result ``.plot()`` methods of the model layer return it. The report layer's figures
(:class:`disparity.reports._figure.DisparityFigure`) do the same with the bundled CJK fonts.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

__all__ = ["InlineFigure"]


class InlineFigure(Figure):
    """A matplotlib ``Figure`` with ``_repr_png_`` (a 2x PNG shown at the figure's size)."""

    def _repr_png_(self) -> tuple[bytes, dict[str, int]]:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=200, metadata={"Software": None})
        width, height = self.get_size_inches()
        return buf.getvalue(), {"width": int(round(width * 100)), "height": int(round(height * 100))}

    def __repr__(self) -> str:
        width, height = self.get_size_inches()
        return f"<InlineFigure {width * 2.54:.1f} x {height * 2.54:.1f} cm, {len(self.axes)} axes>"


