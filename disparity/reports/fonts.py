"""The fonts the project brings with it, one figure theme, and matplotlib settings for reproducible
figures.

CJK text is drawn with Noto Sans SC / Noto Serif SC (SIL Open Font License 1.1), installed as the
PyPI package ``pylopdf-fonts-zh-cn`` (a dependency of disparity), so Chinese labels render the same
on a fresh machine without any system font. With ``serif=True`` Latin letters and digits come from
STIX General, the Times-style face matplotlib itself ships (STIX Fonts, SIL Open Font License 1.1),
and Chinese from Noto Serif SC: the 宋体 + Times New Roman pairing of a Chinese thesis. matplotlib
falls back glyph by glyph along the family list, so one label may mix both faces. Fonts are
registered with matplotlib's font manager the first time a figure is made, never at import.

:func:`set_theme` is the one switch for a session: it sets the default language and face of
disparity's figures and applies the same seaborn theme and fonts to the user's own matplotlib and
seaborn figures (no empty boxes for Chinese, a true minus sign on negative ticks).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from .._options import check_option
from ..errors import DisparityError, SpecificationError

__all__ = ["cjk_font_path", "register_fonts", "figure_rc", "figure_context", "font_family",
           "set_theme", "theme", "SANS_FAMILY", "SERIF_FAMILY", "LATIN_SERIF_FAMILY", "SVG_HASHSALT",
           "FIGURE_CREATOR", "FONT_SIZE", "SMALL_FONT_SIZE"]

SANS_FAMILY = "Noto Sans SC"
SERIF_FAMILY = "Noto Serif SC"
LATIN_SERIF_FAMILY = "STIXGeneral"  # bundled with matplotlib (mpl-data/fonts/ttf), Times-style
SVG_HASHSALT = "disparity"
FIGURE_CREATOR = "disparity"
#: 五号 (10.5 pt) for axis labels and titles, 小五 (9 pt) for ticks and legends: the sizes of body
#: and table text in a Chinese thesis, so a figure placed at 14-16 cm matches the page.
FONT_SIZE = 10.5
SMALL_FONT_SIZE = 9.0

_THEME: dict[str, Any] = {"lang": "zh", "serif": False}


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
    """Concrete family list, in fallback order.

    Sans: Noto Sans SC (Latin and CJK), DejaVu Sans for the few symbols it lacks. Serif: STIX
    General for Latin text and digits, Noto Serif SC for CJK, DejaVu Serif last.
    """
    sans, ser = register_fonts()
    if serif:
        return [LATIN_SERIF_FAMILY, ser, "DejaVu Serif"]
    return [sans, "DejaVu Sans"]


def theme() -> dict[str, Any]:
    """The current defaults set by :func:`set_theme` (``lang`` and ``serif``)."""
    return dict(_THEME)


def _resolve(lang: str | None, serif: bool | None) -> tuple[str, bool]:
    return (_THEME["lang"] if lang is None else lang), bool(_THEME["serif"] if serif is None else serif)


def figure_rc(*, serif: bool | None = None) -> dict[str, Any]:
    """rcParams for disparity figures: seaborn's "ticks" style, the CJK fonts at thesis sizes, the
    Unicode minus (U+2212), embedded fonts and fixed SVG ids (identical bytes on every build)."""
    import seaborn as sns
    from cycler import cycler

    _, serif = _resolve(None, serif)
    rc: dict[str, Any] = {}
    rc.update(sns.axes_style("ticks"))
    rc.update(sns.plotting_context("paper"))
    rc.update({
        "font.family": font_family(serif),
        "font.size": FONT_SIZE,
        "axes.labelsize": FONT_SIZE,
        "axes.titlesize": FONT_SIZE,
        "xtick.labelsize": SMALL_FONT_SIZE,
        "ytick.labelsize": SMALL_FONT_SIZE,
        "legend.fontsize": SMALL_FONT_SIZE,
        "legend.title_fontsize": SMALL_FONT_SIZE,
        "mathtext.fontset": "stix" if serif else "dejavusans",
        "axes.unicode_minus": True,
        "axes.prop_cycle": cycler(color=sns.color_palette("colorblind")),
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "path",
        "svg.hashsalt": SVG_HASHSALT,
        "figure.dpi": 100,
        "savefig.dpi": 200,
        "axes.spines.top": False,
        "axes.spines.right": False,
    })
    return rc


@contextmanager
def figure_context(*, serif: bool | None = None) -> Iterator[None]:
    """Apply :func:`figure_rc` for the duration of the block (no global change)."""
    import matplotlib

    with matplotlib.rc_context(cast(Any, figure_rc(serif=serif))):
        yield


def set_theme(*, lang: str = "zh", serif: bool = False) -> None:
    """Set the figure language and face for this session, for disparity's figures and your own.

    disparity's figure functions then default to ``lang`` and ``serif``; matplotlib's global
    settings get the seaborn "ticks" theme with the bundled CJK fonts, thesis font sizes and the
    Unicode minus, so a figure you draw yourself with pyplot or seaborn shows Chinese labels
    (no empty boxes) and a true minus sign.

    Parameters
    ----------
    lang : {"zh", "en"}
        Language of the labels disparity writes (axis titles, legends).
    serif : bool
        Noto Serif SC for Chinese with STIX General (Times-style) for Latin text, as in a thesis
        set in 宋体 and Times New Roman; otherwise Noto Sans SC.

    Examples
    --------
    >>> dp.set_theme(lang="zh", serif=True)
    >>> import matplotlib
    >>> matplotlib.rcParams["font.family"][:2]
    ['STIXGeneral', 'Noto Serif SC']
    >>> dp.set_theme()
    """
    import matplotlib

    from .tables import LANGS

    check_option("lang", lang, LANGS)
    if not isinstance(serif, bool):
        raise SpecificationError(f"serif={serif!r} must be True or False.")
    _THEME.update(lang=lang, serif=serif)
    settings = {k: v for k, v in figure_rc(serif=serif).items() if k not in ("svg.hashsalt", "figure.dpi", "savefig.dpi")}
    cast(Any, matplotlib.rcParams).update(settings)
