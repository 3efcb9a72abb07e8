"""The CJK font the project brings with it, and matplotlib settings for reproducible figures.

The font is Noto Sans SC / Noto Serif SC (SIL Open Font License 1.1), installed as the PyPI
package ``pylopdf-fonts-zh-cn`` (a dependency of disparity), so Chinese labels render the same on
a fresh machine without any system font. Fonts are registered with matplotlib's font manager the
first time a figure is made, never at import.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import DisparityError

__all__ = ["cjk_font_path", "register_fonts", "figure_rc", "figure_context", "font_family",
           "SANS_FAMILY", "SERIF_FAMILY", "SVG_HASHSALT", "FIGURE_CREATOR"]

SANS_FAMILY = "Noto Sans SC"
SERIF_FAMILY = "Noto Serif SC"
SVG_HASHSALT = "disparity"
FIGURE_CREATOR = "disparity"


class FontMissingError(DisparityError, RuntimeError):
    """The bundled CJK font package is not installed."""


def cjk_font_path(kind: str = "sans") -> Path:
    """Path of the bundled Noto SC font file ("sans" or "serif")."""
    try:
        import pylopdf_fonts_zh_cn as fonts
    except ImportError:
        raise FontMissingError(
            "The CJK font package 'pylopdf-fonts-zh-cn' is not installed, so Chinese text would "
            "render as empty boxes. Reinstall disparity (pip install disparity) or run "
            "'pip install pylopdf-fonts-zh-cn'."
        ) from None
    path = Path(fonts.serif_path() if kind == "serif" else fonts.sans_path())
    if not path.is_file():
        raise FontMissingError(f"The CJK font file {path} is missing; reinstall pylopdf-fonts-zh-cn.")
    return path


@functools.cache
def register_fonts() -> tuple[str, str]:
    """Add the Noto SC fonts to matplotlib's font manager (once per process); their family names."""
    from matplotlib import font_manager

    names = []
    for kind in ("sans", "serif"):
        path = cjk_font_path(kind)
        font_manager.fontManager.addfont(str(path))
        names.append(font_manager.FontProperties(fname=str(path)).get_name())
    return names[0], names[1]


def font_family(serif: bool = False) -> list[str]:
    """Concrete family list (CJK font first, DejaVu for the few symbols it lacks)."""
    sans, ser = register_fonts()
    return [ser if serif else sans, "DejaVu Sans"]


def figure_rc(*, serif: bool = False) -> dict[str, Any]:
    """rcParams for disparity figures: CJK font, ASCII minus, embedded fonts, fixed SVG ids."""
    return {
        "font.family": font_family(serif),
        "axes.unicode_minus": False,
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "path",
        "svg.hashsalt": SVG_HASHSALT,
        "figure.dpi": 100,
        "savefig.dpi": 200,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


@contextmanager
def figure_context(*, serif: bool = False) -> Iterator[None]:
    """Apply :func:`figure_rc` for the duration of the block (no global change)."""
    import matplotlib

    with matplotlib.rc_context(figure_rc(serif=serif)):
        yield
