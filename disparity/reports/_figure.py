"""The figure type disparity's figure functions return: a matplotlib ``Figure`` that shows itself.

disparity draws without pyplot (no global figure registry, no backend switch, nothing left open),
so a plain ``Figure`` has no inline display: evaluating ``fig`` in a notebook printed
``<Figure size 450x450 with 1 Axes>``. :class:`DisparityFigure` adds ``_repr_png_``, which every
Jupyter front end (JupyterLab, classic Notebook, VS Code) and Quarto ask for, so the figure appears
inline with no ``%matplotlib`` magic. The PNG is the same deterministic encoding
:func:`~disparity.reports.save_figure` writes; saving is unchanged.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

__all__ = ["DisparityFigure", "DISPLAY_DPI"]

#: Resolution of the inline PNG; it is shown at half its pixel width, i.e. at 100 px per inch of
#: figure size, so text is sharp on high-density screens and the figure keeps its on-page size.
DISPLAY_DPI = 200


class DisparityFigure(Figure):
    """A matplotlib ``Figure`` with an inline PNG representation (``_repr_png_``).

    Everything else is matplotlib's: ``fig.savefig(...)``, ``fig.axes``, adding artists. ``serif``
    records the face the figure was drawn in, so later renderings (saving, display) use it too.
    """

    def __init__(self, *args: Any, serif: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dp_serif = bool(serif)

    def _repr_png_(self) -> tuple[bytes, dict[str, int]]:
        from .figures import figure_bytes

        data = figure_bytes(self, "png", dpi=DISPLAY_DPI)
        width, height = self.get_size_inches()
        return data, {"width": int(round(width * 100)), "height": int(round(height * 100))}

    def __repr__(self) -> str:
        width, height = self.get_size_inches()
        return (f"<DisparityFigure {width * 2.54:.1f} x {height * 2.54:.1f} cm, {len(self.axes)} axes; "
                "shows inline in Jupyter, save with dp.save_figure(fig, path)>")
