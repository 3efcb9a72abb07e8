"""Tables of inequality and gap results (anything with a ``tidy()`` frame of estimates)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._options import check_option
from ..errors import SpecificationError
from ._i18n import join_sentences, measure_label, words
from .tables import LANGS, TABLE_STYLES, HeaderCell, Lang, Table, TableStyle

__all__ = ["measure_table"]

_NON_KEY = {"measure", "component", "estimate", "std_error", "conf_low", "conf_high", "nobs",
            "statistic", "p_value", "term"}


def _tidy(obj: Any) -> pd.DataFrame:
    if isinstance(obj, pd.DataFrame):
        frame = obj.copy()
    elif hasattr(obj, "tidy"):
        frame = obj.tidy()
    else:
        raise SpecificationError(
            f"measure_table() needs results with a tidy() method (dp.gini, dp.theil, ...) or their "
            f"tidy() DataFrames; got {type(obj).__name__}."
        )
    if "estimate" not in frame.columns:
        raise SpecificationError(
            f"A measure frame needs an 'estimate' column; this one has {list(frame.columns)}."
        )
    if "measure" not in frame.columns:
        frame.insert(0, "measure", getattr(obj, "measure", ""))
    return frame


def measure_table(
    results: Any,
    *,
    stat: Literal["se", "ci", "none"] = "se",
    labels: Mapping[str, str] | None = None,
    lang: Lang = "zh",
    digits: int = 4,
    show_nobs: bool = True,
    title: str = "",
    notes: Sequence[str] | str | None = None,
    style: TableStyle = "three-line",
    level: float = 0.95,
) -> Table:
    """One row per measure (and group / component): estimate, standard error or interval, N.

    Parameters
    ----------
    results : result, DataFrame, or a sequence of them
        Measure results (``dp.gini(...)``, ``dp.concentration_index(...)``, gap results, ...) or
        their ``tidy()`` frames: columns ``measure``, optional group columns, ``component``,
        ``estimate``, ``std_error``, ``conf_low``, ``conf_high``, ``nobs``.
    stat : {"se", "ci", "none"}
        Standard error in parentheses, the interval in brackets (from the frame's
        ``conf_low``/``conf_high``, else estimate ± z·se at ``level``), or neither.
    labels : mapping
        Display names for measures, groups and components. Without one, a Chinese table
        (``lang="zh"``) names the measures and components in Chinese (基尼系数, 组间, 均值[城镇], ...),
        an English one by their identifiers.

    Returns
    -------
    Table

    Notes
    -----
    Numbers are shown as the results report them; an interval missing from a frame is
    :math:`\\hat\\theta \\pm z_{(1+\\text{level})/2}\\,\\widehat{se}` (normal approximation, as the
    measures' own ``conf_int``).

    References
    ----------
    O'Donnell, O., van Doorslaer, E., Wagstaff, A. and Lindelow, M. (2008). *Analyzing Health Equity
    Using Household Survey Data*. World Bank, ch. 8.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> t = measure_table(dp.gini(df, "income", se="none"))
    >>> t.to_frame().shape
    (1, 4)
    """
    check_option("stat", stat, ("se", "ci", "none"))
    check_option("lang", lang, LANGS)
    check_option("style", style, TABLE_STYLES)
    items = list(results) if isinstance(results, (list, tuple)) else [results]
    if not items:
        raise SpecificationError("measure_table() needs at least one result.")
    frame = pd.concat([_tidy(r) for r in items], ignore_index=True)
    labels = dict(labels or {})
    keys = [c for c in frame.columns if c not in _NON_KEY and frame[c].dtype != float]
    from scipy import stats as _st

    z = float(_st.norm.ppf(0.5 + level / 2))
    w = words(lang)
    rows = []
    for _, r in frame.iterrows():
        name = labels.get(str(r["measure"]), measure_label(str(r["measure"]), lang))
        extra = [labels.get(str(r[k]), str(r[k])) for k in keys if pd.notna(r[k]) and str(r[k]) not in ("", "total")]
        if ("component" in frame.columns and pd.notna(r.get("component"))
                and str(r["component"]) not in ("", "total", str(r["measure"]))):
            extra.append(labels.get(str(r["component"]), measure_label(str(r["component"]), lang)))
        label = name + (f" ({', '.join(extra)})" if extra else "")
        est = float(r["estimate"])
        cells = [label, f"{est:.{digits}f}"]
        se = float(r["std_error"]) if "std_error" in frame.columns and pd.notna(r.get("std_error")) else np.nan
        if stat == "se":
            cells.append(f"({se:.{digits}f})" if np.isfinite(se) else "")
        elif stat == "ci":
            lo = r.get("conf_low", est - z * se)
            hi = r.get("conf_high", est + z * se)
            cells.append(f"[{float(lo):.{digits}f}, {float(hi):.{digits}f}]" if np.isfinite(float(lo)) else "")
        if show_nobs:
            n = r.get("nobs", np.nan)
            cells.append(f"{int(n):d}" if pd.notna(n) else "")
        rows.append(tuple(cells))
    head = [HeaderCell(w["measure"]), HeaderCell(w["estimate"])]
    if stat == "se":
        head.append(HeaderCell(w["std_error"]))
    elif stat == "ci":
        head.append(HeaderCell(w["conf_int"] if abs(level - 0.95) < 1e-12 else f"{level:.0%} CI"))
    if show_nobs:
        head.append(HeaderCell(w["n"]))
    note_list = []
    if stat == "se":
        note_list.append(join_sentences(["括号内为标准误" if lang == "zh" else "standard errors in parentheses"], lang))
    if notes:
        note_list += [notes] if isinstance(notes, str) else list(notes)
    return Table(header=(tuple(head),), body=tuple(rows), title=title, notes=tuple(note_list), lang=lang,
                 style=style, data=frame)
