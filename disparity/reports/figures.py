"""Figures for disparity analyses: Lorenz/concentration curves, gap trends, coefficient, event-study
and marginal-effect plots, radar charts and regional bar charts.

Every function returns a matplotlib ``Figure`` drawn with the bundled CJK font (see
:mod:`.fonts`), so Chinese labels need no system font; ``lang=`` switches the default axis labels.
:func:`save_figure` writes PNG/SVG/PDF with fixed metadata, so rebuilding gives identical bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._options import check_option
from ..errors import SpecificationError
from ._adapters import extract
from ._files import atomic_write_bytes
from ._i18n import term_label
from .fonts import FIGURE_CREATOR, figure_context, figure_rc, font_family
from .tables import LANGS

__all__ = ["lorenz_plot", "gap_trend_plot", "coef_plot", "event_study_plot", "marginal_effects_plot",
           "radar_chart", "region_bar_plot", "save_figure", "figure_bytes", "FIGURE_FORMATS"]

FIGURE_FORMATS: tuple[str, ...] = ("png", "svg", "pdf")

_TXT = {
    "zh": {"pop": "人口累计比例", "share": "累计份额", "equality": "完全平等线", "year": "年份",
           "estimate": "估计值", "event": "相对整合年份", "effect": "边际效应", "value": "数值"},
    "en": {"pop": "Cumulative population share", "share": "Cumulative share", "equality": "Line of equality",
           "year": "Year", "estimate": "Estimate", "event": "Years relative to integration",
           "effect": "Marginal effect", "value": "Value"},
}


def _new_figure(size: tuple[float, float], *, polar: bool = False) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    # Constrained layout does not settle to the same state on every draw of a polar axes with an
    # outside legend, which would break byte-identical rebuilds; fixed margins there.
    fig = Figure(figsize=size, layout=None if polar else "constrained")
    ax = fig.add_subplot(projection="polar" if polar else None)
    if polar:
        fig.subplots_adjust(left=0.12, right=0.8, top=0.85, bottom=0.1)
    ax.tick_params(labelfontfamily=font_family())
    return fig, ax


def _check_lang(lang: str) -> dict[str, str]:
    check_option("lang", lang, LANGS)
    return _TXT[lang]


def _need(frame: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SpecificationError(
            f"{what} needs columns {missing}; the data has {list(frame.columns)[:12]}."
        )


def lorenz_plot(
    curves: Any,
    *,
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    size: tuple[float, float] = (4.5, 4.5),
) -> Any:
    """Lorenz or concentration curves with the line of equality.

    Parameters
    ----------
    curves : curve result, DataFrame, or a sequence of them
        Results of ``dp.lorenz`` / ``dp.concentration_curve`` (their ``tidy()``), or frames with
        columns ``p`` and ``ordinate`` (and optionally ``curve`` and group columns, one line each).

    Notes
    -----
    The Lorenz curve plots :math:`L(p)`, the share of the outcome held by the poorest :math:`p` of
    the population; a concentration curve ranks by another variable (income) instead.

    References
    ----------
    O'Donnell, O. et al. (2008). *Analyzing Health Equity Using Household Survey Data*. World
    Bank, ch. 7.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> fig = lorenz_plot(dp.lorenz(df, "income"), lang="en")
    >>> type(fig).__name__
    'Figure'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    txt = _check_lang(lang)
    labels = dict(labels or {})
    items = list(curves) if isinstance(curves, (list, tuple)) else [curves]
    with figure_context():
        fig, ax = _new_figure(size)
        ax.plot([0, 1], [0, 1], color="0.5", linestyle="--", linewidth=0.8, label=txt["equality"])
        for item in items:
            frame = item.tidy() if hasattr(item, "tidy") else pd.DataFrame(item)
            _need(frame, ["p", "ordinate"], "lorenz_plot")
            keys = [c for c in frame.columns if c not in ("p", "ordinate")]
            groups = frame.groupby(keys, sort=False, dropna=False) if keys else [((), frame)]
            for key, part in groups:
                key = key if isinstance(key, tuple) else (key,)
                name = " ".join(labels.get(str(k), str(k)) for k in key if str(k) != "")
                ax.plot(part["p"], part["ordinate"], linewidth=1.4, label=name or None)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, max(1.0, ax.get_ylim()[1]))
        ax.set_xlabel(xlabel or txt["pop"])
        ax.set_ylabel(ylabel or txt["share"])
        if title:
            ax.set_title(title)
        ax.legend(frameon=False, fontsize="small")
    return fig


def gap_trend_plot(
    data: pd.DataFrame,
    x: str,
    y: str,
    *,
    group: str | None = None,
    band: tuple[str, str] | None = None,
    estimator: str = "mean",
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    size: tuple[float, float] = (6.0, 4.0),
) -> Any:
    """Trends of a gap (or any outcome) over time, one line per group.

    Rows sharing ``x`` and ``group`` are averaged (``estimator="mean"``) or must be unique
    (``estimator="none"``); ``band=(low, high)`` shades an interval.

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> fig = gap_trend_plot(panel, "year", "benefit_gap", group="nbs4")
    >>> type(fig).__name__
    'Figure'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    txt = _check_lang(lang)
    check_option("estimator", estimator, ("mean", "none"))
    labels = dict(labels or {})
    _need(data, [x, y] + ([group] if group else []) + list(band or ()), "gap_trend_plot")
    cols = [y] + list(band or ())
    keys = [group, x] if group else [x]
    if estimator == "mean":
        frame = data.groupby(keys, observed=True, sort=True)[cols].mean().reset_index()
    else:
        if data.duplicated(keys).any():
            raise SpecificationError(f"Several rows share the same {keys}; use estimator='mean'.")
        frame = data.sort_values(keys)
    with figure_context():
        fig, ax = _new_figure(size)
        parts = frame.groupby(group, observed=True, sort=False) if group else [("", frame)]
        for name, part in parts:
            line = ax.plot(part[x], part[y], marker="o", markersize=3, linewidth=1.4,
                           label=labels.get(str(name), str(name)) if group else None)[0]
            if band:
                ax.fill_between(part[x], part[band[0]], part[band[1]], color=line.get_color(), alpha=0.15,
                                linewidth=0)
        ax.set_xlabel(labels.get(x, txt["year"] if x in ("year", "年份") else x))
        ax.set_ylabel(labels.get(y, y))
        if group:
            ax.legend(frameon=False, fontsize="small", title=labels.get(group, group))
        if title:
            ax.set_title(title)
    return fig


def coef_plot(
    results: Any,
    *,
    terms: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    model_names: Sequence[str] | None = None,
    lang: str = "zh",
    title: str | None = None,
    size: tuple[float, float] | None = None,
) -> Any:
    """Point estimates with 95% intervals, one row per term, models side by side.

    Accepts the same results as :func:`~disparity.reports.regression_table`; intervals are each
    library's own (bootstrap intervals for wild-bootstrap results). The constant is left out unless
    named in ``terms``.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> fig = coef_plot(dp.ols("oop ~ income + age", data=df), terms=["income"])
    >>> type(fig).__name__
    'Figure'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    txt = _check_lang(lang)
    labels = dict(labels or {})
    items = list(results) if isinstance(results, (list, tuple)) else [results]
    fits = [extract(r) for r in items]
    if terms is None:
        terms = []
        for f in fits:
            terms += [t for t in f.params.index if t not in terms and t not in ("Intercept", "const", "_cons")]
    if not terms:
        raise SpecificationError("coef_plot() has no terms to show; pass terms=[...].")
    names = list(model_names) if model_names else [f"({i})" for i in range(1, len(fits) + 1)]
    k = len(fits)
    with figure_context():
        fig, ax = _new_figure(size or (6.0, 0.5 + 0.45 * len(terms) * max(1, k / 2)))
        ypos = np.arange(len(terms))[::-1]
        offsets = (np.arange(k) - (k - 1) / 2) * (0.6 / max(k, 1)) if k > 1 else np.zeros(1)
        for j, f in enumerate(fits):
            have = [i for i, t in enumerate(terms) if t in f.params.index]
            if not have:
                continue
            est = np.array([f.params[terms[i]] for i in have])
            lo = np.array([f.conf_low[terms[i]] for i in have])
            hi = np.array([f.conf_high[terms[i]] for i in have])
            yy = ypos[have] - offsets[j]
            ax.errorbar(est, yy, xerr=[est - lo, hi - est], fmt="o", markersize=4, capsize=2,
                        linewidth=1.1, label=names[j] if k > 1 else None)
        ax.axvline(0, color="0.4", linewidth=0.8, linestyle="--")
        ax.set_yticks(ypos, [term_label(t, labels, lang) for t in terms])
        ax.set_xlabel(txt["estimate"] + (" (95% CI)" if lang == "en" else "（95%置信区间）"))
        if k > 1:
            ax.legend(frameon=False, fontsize="small")
        if title:
            ax.set_title(title)
    return fig


def event_study_plot(
    data: Any,
    *,
    x: str = "event_time",
    estimate: str = "estimate",
    conf_low: str = "conf_low",
    conf_high: str = "conf_high",
    reference: float | None = -1,
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    size: tuple[float, float] = (6.0, 4.0),
) -> Any:
    """Dynamic effects by event time with pointwise intervals, a zero line and the treatment onset.

    ``data`` is a frame (or a result with ``tidy()``) with event time, estimate and interval columns,
    e.g. from the DiD layer's event-study aggregation. The reference period, when given and absent
    from the data, is drawn at zero without an interval.

    Examples
    --------
    >>> es = pd.DataFrame({"event_time": [-3, -2, 0, 1], "estimate": [0.01, -0.02, 0.10, 0.15],
    ...                    "conf_low": [-0.05, -0.08, 0.04, 0.08], "conf_high": [0.07, 0.04, 0.16, 0.22]})
    >>> fig = event_study_plot(es)
    >>> type(fig).__name__
    'Figure'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    txt = _check_lang(lang)
    labels = dict(labels or {})
    frame = data.tidy() if hasattr(data, "tidy") else pd.DataFrame(data)
    _need(frame, [x, estimate, conf_low, conf_high], "event_study_plot")
    frame = frame.sort_values(x)
    with figure_context():
        fig, ax = _new_figure(size)
        ax.axhline(0, color="0.4", linewidth=0.8)
        ax.axvline(-0.5, color="0.6", linewidth=0.8, linestyle=":")
        e = frame[estimate].to_numpy(float)
        ax.errorbar(frame[x], e, yerr=[e - frame[conf_low].to_numpy(float), frame[conf_high].to_numpy(float) - e],
                    fmt="o-", markersize=4, capsize=2, linewidth=1.1)
        if reference is not None and not (frame[x] == reference).any():
            ax.plot([reference], [0], marker="o", markerfacecolor="white", color="C0")
        ax.set_xlabel(labels.get(x, txt["event"]))
        ax.set_ylabel(labels.get(estimate, txt["estimate"]))
        if title:
            ax.set_title(title)
    return fig


def marginal_effects_plot(
    effects: Any,
    *,
    at: str | None = None,
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    size: tuple[float, float] = (6.0, 4.0),
) -> Any:
    """Marginal effect of a variable across values of another, with its 95% band.

    ``effects`` is a :class:`~disparity.models.MarginalEffects` (``result.marginal_effects(var,
    at={...})``) or its ``tidy()`` frame; ``at`` names the x-axis variable (default: the first
    column that is not an estimate column).

    Examples
    --------
    >>> fit = dp.ols("oop ~ income * age", data=dp.datasets.chifeng_survey())
    >>> me = fit.marginal_effects("income", at={"age": [30, 50, 70]})
    >>> fig = marginal_effects_plot(me, at="age")
    >>> type(fig).__name__
    'Figure'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    txt = _check_lang(lang)
    labels = dict(labels or {})
    frame = effects.tidy() if hasattr(effects, "tidy") else pd.DataFrame(effects)
    _need(frame, ["estimate", "conf_low", "conf_high"], "marginal_effects_plot")
    stat_cols = {"estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high", "term", "variable"}
    at = at or next((c for c in frame.columns if c not in stat_cols), None)
    if at is None:
        raise SpecificationError("The effects have no 'at' variable to plot against; pass at= values.")
    frame = frame.sort_values(at)
    var = getattr(effects, "variable", "")
    with figure_context():
        fig, ax = _new_figure(size)
        ax.axhline(0, color="0.4", linewidth=0.8, linestyle="--")
        ax.plot(frame[at], frame["estimate"], linewidth=1.5, color="C0")
        ax.fill_between(frame[at], frame["conf_low"], frame["conf_high"], color="C0", alpha=0.2, linewidth=0)
        ax.set_xlabel(labels.get(at, at))
        name = labels.get(var, var)
        ax.set_ylabel(f"{name}的{txt['effect']}" if (lang == "zh" and name) else
                      (f"{txt['effect']} of {name}" if name else txt["effect"]))
        if title:
            ax.set_title(title)
    return fig


def radar_chart(
    data: pd.DataFrame,
    *,
    label: str,
    columns: Sequence[str],
    labels: Mapping[str, str] | None = None,
    lang: str = "zh",
    title: str | None = None,
    size: tuple[float, float] = (5.0, 5.0),
) -> Any:
    """One closed polygon per row of ``data`` over the indicator ``columns`` (e.g. a benchmark
    region against the national mean); values are drawn as given, so scale them first.

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> two = panel[panel["year"] == 2023].head(2)
    >>> fig = radar_chart(two, label="region", columns=["reimb_rural", "reimb_urban", "urbanisation"])
    >>> type(fig).__name__
    'Figure'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    _check_lang(lang)
    labels = dict(labels or {})
    _need(data, [label, *columns], "radar_chart")
    if len(columns) < 3:
        raise SpecificationError("radar_chart() needs at least three indicator columns.")
    angles = np.linspace(0, 2 * np.pi, len(columns), endpoint=False)
    closed = np.concatenate([angles, angles[:1]])
    with figure_context():
        fig, ax = _new_figure(size, polar=True)
        for _, row in data.iterrows():
            vals = row[list(columns)].to_numpy(float)
            vals = np.concatenate([vals, vals[:1]])
            line = ax.plot(closed, vals, linewidth=1.3, label=labels.get(str(row[label]), str(row[label])))[0]
            ax.fill(closed, vals, color=line.get_color(), alpha=0.12)
        ax.set_xticks(angles, [labels.get(c, c) for c in columns])
        ax.legend(frameon=False, fontsize="small", loc="upper right", bbox_to_anchor=(1.25, 1.1))
        if title:
            ax.set_title(title)
    return fig


def region_bar_plot(
    data: pd.DataFrame,
    region: str,
    value: str,
    *,
    highlight: Sequence[str] | None = None,
    sort: bool = True,
    labels: Mapping[str, str] | None = None,
    lang: str = "zh",
    title: str | None = None,
    size: tuple[float, float] | None = None,
) -> Any:
    """Horizontal bars of a value by region (a map-free regional comparison); ``highlight`` marks
    some regions in a second colour.

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> fig = region_bar_plot(panel[panel["year"] == 2023], "region", "benefit_gap", highlight=["内蒙古自治区"])
    >>> type(fig).__name__
    'Figure'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    _check_lang(lang)
    labels = dict(labels or {})
    _need(data, [region, value], "region_bar_plot")
    frame = data[[region, value]].dropna()
    if frame[region].duplicated().any():
        dup = frame.loc[frame[region].duplicated(), region].tolist()[:5]
        raise SpecificationError(f"Regions {dup} appear more than once; aggregate to one row per region first.")
    if sort:
        frame = frame.sort_values(value)
    marks = {str(h) for h in (highlight or ())}
    colors = ["C3" if str(r) in marks else "C0" for r in frame[region]]
    with figure_context():
        fig, ax = _new_figure(size or (6.0, 0.6 + 0.22 * len(frame)))
        ax.barh(np.arange(len(frame)), frame[value].to_numpy(float), color=colors)
        ax.set_yticks(np.arange(len(frame)), [labels.get(str(r), str(r)) for r in frame[region]])
        ax.set_xlabel(labels.get(value, value))
        if title:
            ax.set_title(title)
    return fig


def figure_bytes(fig: Any, fmt: str, *, dpi: int = 200) -> bytes:
    """The figure encoded as PNG, SVG or PDF with fixed metadata (identical bytes on every build)."""
    check_option("fmt", fmt, FIGURE_FORMATS)
    meta = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": FIGURE_CREATOR},
        "pdf": {"Creator": FIGURE_CREATOR, "Producer": FIGURE_CREATOR, "CreationDate": None, "ModDate": None},
    }[fmt]
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context(figure_rc()):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=meta)
    return buf.getvalue()


def save_figure(fig: Any, path: str | Path, *, formats: Sequence[str] = ("png", "svg"), dpi: int = 200) -> list[Path]:
    """Write ``path`` with each suffix in ``formats`` (atomically, deterministic bytes).

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> fig = gap_trend_plot(panel, "year", "benefit_gap")
    >>> [p.name for p in save_figure(fig, "gap_trend", formats=("png", "svg"))]
    ['gap_trend.png', 'gap_trend.svg']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    base = Path(path)
    if base.suffix.lstrip(".") in FIGURE_FORMATS:
        base = base.with_suffix("")
    return [atomic_write_bytes(base.with_suffix(f".{fmt}"), figure_bytes(fig, fmt, dpi=dpi)) for fmt in formats]
