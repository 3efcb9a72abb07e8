"""Figures for disparity analyses: Lorenz/concentration curves, gap trends, coefficient, event-study
and marginal-effect plots, radar charts and regional bar charts.

Every function takes disparity results directly (``lorenz_plot(dp.lorenz(...))``,
``event_study_plot(cs.aggregate("dynamic"))``, ``coef_plot({"OLS": m1, "FE": m2})``) or tidy
frames, draws with seaborn's theme and the bundled CJK fonts (see :mod:`.fonts`), and returns a
:class:`~disparity.reports._figure.DisparityFigure`, which shows inline in Jupyter and Quarto.
Axis titles and legends come from ``labels=``, then the data's codebook (variable and value
labels), then a built-in vocabulary in the chosen language, so no internal column name
("nbs4") or identifier ("lorenz") reaches the page. Figures are sized for a thesis page: 15 cm
wide with 10.5 pt (五号) labels and 9 pt (小五) ticks. :func:`save_figure` writes PNG/SVG/PDF with
fixed metadata, so rebuilding gives identical bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from .._options import check_option
from ..errors import SpecificationError
from ._adapters import extract
from ._files import atomic_write_bytes, refuse_existing
from ._i18n import term_label, value_label, variable_label
from .fonts import FIGURE_CREATOR, _resolve, figure_context, figure_rc, font_family
from .tables import LANGS

__all__ = ["lorenz_plot", "gap_trend_plot", "coef_plot", "event_study_plot", "marginal_effects_plot",
           "radar_chart", "region_bar_plot", "save_figure", "figure_bytes", "FIGURE_FORMATS",
           "THESIS_WIDTH_CM"]

FIGURE_FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
#: Default figure width: the text block of an A4 thesis page with 2.5-3 cm margins is 15-16 cm.
THESIS_WIDTH_CM = 15.0
_W = THESIS_WIDTH_CM / 2.54

_TXT = {
    "zh": {"pop": "人口累计比例", "share": "累计份额", "equality": "完全平等线", "year": "年份",
           "estimate": "估计值", "event": "相对整合年份", "cohort": "处理组（首次整合年份）",
           "effect": "边际效应", "value": "数值", "ci": "95%置信区间", "band": "95%一致置信带",
           "ci_x": "估计值（95%置信区间）", "reference": "基期"},
    "en": {"pop": "Cumulative population share", "share": "Cumulative share", "equality": "Line of equality",
           "year": "Year", "estimate": "Estimate", "event": "Years relative to integration",
           "cohort": "Cohort (year of integration)", "effect": "Marginal effect", "value": "Value",
           "ci": "95% confidence interval", "band": "95% uniform band", "ci_x": "Estimate (95% CI)",
           "reference": "Reference period"},
}


def _new_figure(size: tuple[float, float], serif: bool, *, polar: bool = False) -> tuple[Any, Any]:
    from ._figure import DisparityFigure

    # Constrained layout does not settle to the same state on every draw of a polar axes with an
    # outside legend, which would break byte-identical rebuilds; fixed margins there.
    fig = DisparityFigure(figsize=size, layout=None if polar else "constrained", serif=serif)
    ax = fig.add_subplot(projection="polar" if polar else None)
    if polar:
        fig.subplots_adjust(left=0.12, right=0.78, top=0.88, bottom=0.08)
    ax.tick_params(labelfontfamily=font_family(serif))
    return fig, ax


def _setup(lang: str | None, serif: bool | None) -> tuple[str, bool, dict[str, str]]:
    lang, serif = _resolve(lang, serif)
    check_option("lang", lang, LANGS)
    return lang, serif, _TXT[lang]


def _codebook_labels(data: Any) -> tuple[dict[str, str | None], dict[str, dict[Any, str]]]:
    """Variable and value labels of a loaded frame (empty when it carries no codebook)."""
    attrs = getattr(data, "attrs", None)
    if not attrs or "codebook" not in attrs:
        return {}, {}
    from ..io.codebook import as_codebook

    book = as_codebook(attrs.get("codebook"))
    if book is None:
        return {}, {}
    return dict(book.variable_labels()), dict(book.value_labels())


def _need(frame: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SpecificationError(
            f"{what} needs columns {missing}; the data has {list(frame.columns)[:12]}."
        )


def _palette(n: int) -> list[Any]:
    import seaborn as sns

    return list(sns.color_palette("colorblind", max(n, 1)))


def _legend(ax: Any, *, above: bool = False, **kwargs: Any) -> None:
    """A frameless legend; ``above=True`` puts it in one row above the plot area, clear of the data."""
    handles, names = ax.get_legend_handles_labels()
    if not handles:
        return
    if above:
        kwargs = {"loc": "lower center", "bbox_to_anchor": (0.5, 1.01), "ncols": min(len(handles), 4),
                  "borderaxespad": 0.2, **kwargs}
    ax.legend(frameon=False, **kwargs)


def _title(ax: Any, title: str | None) -> None:
    """The title, above a legend that sits above the plot (as a figure title then)."""
    if not title:
        return
    if ax.get_legend() is not None and ax.get_legend().get_bbox_to_anchor() is not None:
        ax.figure.suptitle(title, fontsize=ax.title.get_fontsize())
    else:
        ax.set_title(title)


def _ordered(values: list[Any]) -> list[Any]:
    """Group values in the vocabulary's order when all are known (东部, 中部, 西部, 东北), else as given."""
    from ._i18n import VALUE_ZH

    keys = list(VALUE_ZH)
    if values and all(str(v) in VALUE_ZH for v in values):
        return sorted(values, key=lambda v: keys.index(str(v)))
    return values


def lorenz_plot(
    curves: Any,
    *,
    lang: str | None = None,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    serif: bool | None = None,
    size: tuple[float, float] = (_W, _W * 0.8),
) -> Any:
    """Lorenz or concentration curves with the line of equality.

    Parameters
    ----------
    curves : curve result, DataFrame, or a sequence of them
        Results of ``dp.lorenz`` / ``dp.concentration_curve`` (their ``tidy()``), or frames with
        columns ``p`` and ``ordinate`` (and optionally ``curve`` and group columns, one line each).
    lang : {"zh", "en"}, optional
        Default: the language set by :func:`~disparity.set_theme` (Chinese).
    labels : mapping, optional
        Display names for group values and curve names (``{"lorenz": "收入"}``).
    serif : bool, optional
        宋体-style CJK with Times-style Latin (default: the theme's).

    Returns
    -------
    DisparityFigure
        A matplotlib Figure that displays inline in notebooks.

    Notes
    -----
    The Lorenz curve plots :math:`L(p)`, the share of the outcome held by the poorest :math:`p` of
    the population; a concentration curve ranks by another variable (income) instead. A legend
    entry names the group (城镇, 农村); the curve kind is named only when curves of different
    kinds are drawn together.

    References
    ----------
    O'Donnell, O. et al. (2008). *Analyzing Health Equity Using Household Survey Data*. World
    Bank, ch. 7.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> fig = lorenz_plot(dp.lorenz(df, "income", by="urban"))
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['完全平等线', '农村', '城镇']
    """
    import seaborn as sns

    lang, serif, txt = _setup(lang, serif)
    labels = dict(labels or {})
    items = list(curves) if isinstance(curves, (list, tuple)) else [curves]
    frames = []
    for item in items:
        frame = item.tidy() if hasattr(item, "tidy") else pd.DataFrame(item)
        _need(frame, ["p", "ordinate"], "lorenz_plot")
        if "curve" in frame.columns and hasattr(item, "params") and item.params.get("y"):
            frame = frame.assign(curve_y=item.params["y"])
        frames.append(frame)
    kinds = {str(k) for f in frames if "curve" in f.columns for k in f["curve"].unique()}
    ys = {str(k) for f in frames if "curve_y" in f.columns for k in f["curve_y"].unique()}
    lines: list[tuple[str, pd.DataFrame]] = []
    for frame in frames:
        groups = [c for c in frame.columns if c not in ("p", "ordinate", "curve", "curve_y")]
        parts = frame.groupby(groups, sort=False, dropna=False, observed=True) if groups else [((), frame)]
        for key, part in parts:
            key = key if isinstance(key, tuple) else (key,)
            words = [value_label(k, labels, lang) for k in key if str(k) != ""]
            head = []
            if len(kinds) > 1 and "curve" in part.columns:
                head.append(value_label(part["curve"].iloc[0], labels, lang))
            if len(ys) > 1 and "curve_y" in part.columns:
                head.append(labels.get(str(part["curve_y"].iloc[0]), str(part["curve_y"].iloc[0])))
            name = "：".join(head) if lang == "zh" else ": ".join(head)
            if words:
                group = "、".join(words) if lang == "zh" else ", ".join(words)
                name = f"{name}（{group}）" if (name and lang == "zh") else (f"{name} ({group})" if name else group)
            lines.append((name, part))
    colors = _palette(len(lines))
    with figure_context(serif=serif):
        fig, ax = _new_figure(size, serif)
        ax.plot([0, 1], [0, 1], color="0.5", linestyle="--", linewidth=0.8, label=txt["equality"])
        for (name, part), color in zip(lines, colors, strict=True):
            sns.lineplot(x=part["p"].to_numpy(), y=part["ordinate"].to_numpy(), ax=ax, color=color,
                         linewidth=1.4, label=name or None, estimator=None, sort=False, legend=False)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, max(1.0, ax.get_ylim()[1]))
        ax.set_aspect("equal" if ax.get_ylim()[1] <= 1.0 else "auto")
        ax.set_xlabel(xlabel or txt["pop"])
        ax.set_ylabel(ylabel or txt["share"])
        if title:
            ax.set_title(title)
        _legend(ax, loc="upper left")
    return fig


def gap_trend_plot(
    data: pd.DataFrame,
    x: str,
    y: str,
    *,
    group: str | None = None,
    band: tuple[str, str] | None = None,
    estimator: str = "mean",
    lang: str | None = None,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    serif: bool | None = None,
    size: tuple[float, float] = (_W, _W * 0.62),
) -> Any:
    """Trends of a gap (or any outcome) over time, one line per group.

    Rows sharing ``x`` and ``group`` are averaged (``estimator="mean"``) or must be unique
    (``estimator="none"``); ``band=(low, high)`` shades an interval. Axis titles and the legend
    title come from ``labels``, the codebook's variable labels or the built-in vocabulary
    (``nbs4`` becomes 四大区域 and ``east`` 东部 in Chinese).

    Returns
    -------
    DisparityFigure

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> fig = gap_trend_plot(panel, "year", "benefit_gap", group="nbs4")
    >>> fig.axes[0].get_legend().get_title().get_text()
    '四大区域'
    >>> sorted(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    ['东北', '东部', '中部', '西部']
    """
    import seaborn as sns

    lang, serif, txt = _setup(lang, serif)
    check_option("estimator", estimator, ("mean", "none"))
    labels = dict(labels or {})
    var_labels, _ = _codebook_labels(data)
    _need(data, [x, y] + ([group] if group else []) + list(band or ()), "gap_trend_plot")
    cols = [y] + list(band or ())
    keys = [group, x] if group else [x]
    if estimator == "mean":
        frame = data.groupby(keys, observed=True, sort=True)[cols].mean().reset_index()
    else:
        if data.duplicated(keys).any():
            raise SpecificationError(f"Several rows share the same {keys}; use estimator='mean'.")
        frame = data.sort_values(keys)
    parts = list(frame.groupby(group, observed=True, sort=False)) if group else [("", frame)]
    order = _ordered([k for k, _ in parts])
    parts = sorted(parts, key=lambda kv: order.index(kv[0]))
    colors = _palette(len(parts))
    with figure_context(serif=serif):
        fig, ax = _new_figure(size, serif)
        for (name, part), color in zip(parts, colors, strict=True):
            sns.lineplot(x=part[x].to_numpy(), y=part[y].to_numpy(), ax=ax, color=color, marker="o",
                         markersize=4, linewidth=1.4, estimator=None, sort=False, legend=False,
                         label=value_label(name, labels, lang) if group else None)
            if band:
                ax.fill_between(part[x], part[band[0]], part[band[1]], color=color, alpha=0.15, linewidth=0)
        ax.set_xlabel(variable_label(x, labels, var_labels, lang) if x not in ("year", "年份") or x in labels
                      else txt["year"])
        ax.set_ylabel(variable_label(y, labels, var_labels, lang))
        if np.issubdtype(np.asarray(frame[x]).dtype, np.integer):
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if group:
            _legend(ax, above=True, title=variable_label(group, labels, var_labels, lang))
        _title(ax, title)
    return fig


def _fits(results: Any, model_names: Sequence[str] | None) -> tuple[list[Any], list[str]]:
    if isinstance(results, Mapping):
        names = list(model_names) if model_names else [str(k) for k in results]
        items = list(results.values())
    else:
        items = list(results) if isinstance(results, (list, tuple)) else [results]
        names = list(model_names) if model_names else [f"({i})" for i in range(1, len(items) + 1)]
    if len(names) != len(items):
        raise SpecificationError(f"model_names has {len(names)} names for {len(items)} models.")
    return [extract(r) for r in items], names


def coef_plot(
    results: Any,
    *,
    terms: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    model_names: Sequence[str] | None = None,
    lang: str | None = None,
    title: str | None = None,
    serif: bool | None = None,
    size: tuple[float, float] | None = None,
) -> Any:
    """Point estimates with 95% intervals, one row per term, models side by side.

    ``results`` is one result, a list of them, or a mapping ``{name: result}`` whose keys name the
    models in the legend; it accepts the same results as
    :func:`~disparity.reports.regression_table`. Intervals are each library's own (bootstrap
    intervals for wild-bootstrap results). The constant is left out unless named in ``terms``;
    terms are labelled like the regression table (``labels``, constant, factor levels).

    Returns
    -------
    DisparityFigure

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> m1 = dp.ols("oop ~ income + age", data=df)
    >>> m2 = dp.ols("oop ~ income + age + edu_years", data=df)
    >>> fig = coef_plot({"基准": m1, "加入教育": m2}, labels={"age": "年龄"})
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['基准', '加入教育']
    """
    lang, serif, txt = _setup(lang, serif)
    labels = dict(labels or {})
    fits, names = _fits(results, model_names)
    if terms is None:
        terms = []
        for f in fits:
            terms += [t for t in f.params.index if t not in terms and t not in ("Intercept", "const", "_cons")]
    if not terms:
        raise SpecificationError("coef_plot() has no terms to show; pass terms=[...].")
    k = len(fits)
    colors = _palette(k)
    with figure_context(serif=serif):
        fig, ax = _new_figure(size or (_W, 0.9 + 0.42 * len(terms) * max(1, k / 2)), serif)
        ypos = np.arange(len(terms))[::-1]
        offsets = (np.arange(k) - (k - 1) / 2) * (0.6 / max(k, 1)) if k > 1 else np.zeros(1)
        markers = ["o", "s", "^", "D", "v", "P"]
        for j, f in enumerate(fits):
            have = [i for i, t in enumerate(terms) if t in f.params.index]
            if not have:
                continue
            est = np.array([f.params[terms[i]] for i in have])
            lo = np.array([f.conf_low[terms[i]] for i in have])
            hi = np.array([f.conf_high[terms[i]] for i in have])
            yy = ypos[have] - offsets[j]
            ax.errorbar(est, yy, xerr=[est - lo, hi - est], fmt=markers[j % len(markers)], markersize=4,
                        capsize=2, linewidth=1.1, color=colors[j], label=names[j] if k > 1 else None)
        ax.axvline(0, color="0.4", linewidth=0.8, linestyle="--")
        ax.set_yticks(ypos, [term_label(t, labels, lang) for t in terms])
        ax.set_xlabel(txt["ci_x"])
        if k > 1:
            _legend(ax, above=True)
        _title(ax, title)
    return fig


_EVENT_X = {"dynamic": "event_time", "group": "cohort", "calendar": "time"}


def _event_frame(data: Any, x: str, estimate: str) -> tuple[pd.DataFrame, str, str, str | None]:
    """The event-study frame of a result (AggregateResult, EventStudyResult) or a frame, with the
    x column, the estimate column and the aggregation kind."""
    kind = getattr(data, "kind", None)
    if kind is not None and hasattr(data, "table") and hasattr(data, "crit"):  # AggregateResult
        if kind == "simple":
            raise SpecificationError(
                "event_study_plot() needs effects by event time; aggregate('simple') is one number. "
                "Pass cs.aggregate('dynamic') (or 'group' / 'calendar')."
            )
        return data.table.copy(), _EVENT_X[kind], "att", kind
    if hasattr(data, "att_gt") and hasattr(data, "aggregate"):  # EventStudyResult
        if getattr(data, "estimator", "") == "cs":
            return _event_frame(data.aggregate("dynamic"), x, estimate)
        return data.att_gt(), "event_time", "att", "dynamic"
    frame = data.tidy() if hasattr(data, "tidy") else pd.DataFrame(data)
    if estimate not in frame.columns and "att" in frame.columns:
        estimate = "att"
    return frame, x, estimate, None


def event_study_plot(
    data: Any,
    *,
    x: str = "event_time",
    estimate: str = "estimate",
    conf_low: str = "conf_low",
    conf_high: str = "conf_high",
    reference: float | None = -1,
    lang: str | None = None,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    serif: bool | None = None,
    size: tuple[float, float] = (_W, _W * 0.62),
) -> Any:
    """Dynamic effects by event time with pointwise intervals, a zero line and the treatment onset.

    ``data`` is a DiD result — ``cs.aggregate("dynamic")`` (also "group"/"calendar"), an
    :class:`~disparity.models.did.EventStudyResult` (Callaway-Sant'Anna results are aggregated
    by event time; TWFE and Sun-Abraham coefficients are drawn as they are) — or a frame with
    event time, estimate (or ``att``) and interval columns. A uniform band (``band_low``,
    ``band_high``, from the multiplier bootstrap) is shaded when present. The reference period,
    when given and absent from the data, is drawn at zero without an interval.

    Returns
    -------
    DisparityFigure

    Examples
    --------
    >>> es = pd.DataFrame({"event_time": [-3, -2, 0, 1], "estimate": [0.01, -0.02, 0.10, 0.15],
    ...                    "conf_low": [-0.05, -0.08, 0.04, 0.08], "conf_high": [0.07, 0.04, 0.16, 0.22]})
    >>> fig = event_study_plot(es)
    >>> fig.axes[0].get_xlabel()
    '相对整合年份'
    """
    lang, serif, txt = _setup(lang, serif)
    labels = dict(labels or {})
    frame, x, estimate, kind = _event_frame(data, x, estimate)
    _need(frame, [x, estimate, conf_low, conf_high], "event_study_plot")
    frame = frame.sort_values(x)
    if kind not in (None, "dynamic"):
        reference = None
    colors = _palette(2)
    with figure_context(serif=serif):
        fig, ax = _new_figure(size, serif)
        ax.axhline(0, color="0.4", linewidth=0.8)
        xs = frame[x].to_numpy(float)
        e = frame[estimate].to_numpy(float)
        if "band_low" in frame.columns and np.isfinite(frame["band_low"].to_numpy(float)).any():
            ax.fill_between(xs, frame["band_low"].to_numpy(float), frame["band_high"].to_numpy(float),
                            color=colors[0], alpha=0.15, linewidth=0, label=txt["band"])
        if kind in (None, "dynamic"):
            ax.axvline(-0.5, color="0.6", linewidth=0.8, linestyle=":")
        ax.errorbar(xs, e, yerr=[e - frame[conf_low].to_numpy(float), frame[conf_high].to_numpy(float) - e],
                    fmt="o-", markersize=4, capsize=2, linewidth=1.1, color=colors[0],
                    label=f"{txt['estimate']}{'与' if lang == 'zh' else ' and '}{txt['ci']}")
        if reference is not None and not (frame[x] == reference).any():
            ax.plot([reference], [0], marker="o", markerfacecolor="white", color=colors[0], linestyle="none",
                    label=txt["reference"])
        if np.allclose(xs, np.round(xs)):
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        default_x = {"event_time": txt["event"], "cohort": txt["cohort"], "time": txt["year"]}.get(x, x)
        ax.set_xlabel(labels.get(x, default_x))
        ax.set_ylabel(labels.get(estimate, txt["estimate"]))
        _legend(ax, above=True)
        _title(ax, title)
    return fig


def marginal_effects_plot(
    effects: Any,
    *,
    at: str | None = None,
    lang: str | None = None,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    serif: bool | None = None,
    size: tuple[float, float] = (_W, _W * 0.62),
) -> Any:
    """Marginal effect of a variable across values of another, with its 95% band.

    ``effects`` is a :class:`~disparity.models.MarginalEffects` (``result.marginal_effects(var,
    at={...})``) or its ``tidy()`` frame; ``at`` names the x-axis variable (default: the first
    column that is not an estimate column).

    Returns
    -------
    DisparityFigure

    Examples
    --------
    >>> fit = dp.ols("oop ~ income * age", data=dp.datasets.chifeng_survey())
    >>> me = fit.marginal_effects("income", at={"age": [30, 50, 70]})
    >>> fig = marginal_effects_plot(me, at="age", labels={"income": "收入", "age": "年龄"})
    >>> fig.axes[0].get_ylabel()
    '收入的边际效应'
    """
    lang, serif, txt = _setup(lang, serif)
    labels = dict(labels or {})
    frame = effects.tidy() if hasattr(effects, "tidy") else pd.DataFrame(effects)
    _need(frame, ["estimate", "conf_low", "conf_high"], "marginal_effects_plot")
    stat_cols = {"estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high", "term", "variable"}
    at = at or next((c for c in frame.columns if c not in stat_cols), None)
    if at is None:
        raise SpecificationError("The effects have no 'at' variable to plot against; pass at= values.")
    frame = frame.sort_values(at)
    var = getattr(effects, "variable", "")
    color = _palette(1)[0]
    with figure_context(serif=serif):
        fig, ax = _new_figure(size, serif)
        ax.axhline(0, color="0.4", linewidth=0.8, linestyle="--")
        ax.plot(frame[at], frame["estimate"], linewidth=1.5, color=color)
        ax.fill_between(frame[at], frame["conf_low"], frame["conf_high"], color=color, alpha=0.2, linewidth=0)
        ax.set_xlabel(variable_label(at, labels, {}, lang))
        name = variable_label(var, labels, {}, lang) if var else ""
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
    lang: str | None = None,
    title: str | None = None,
    serif: bool | None = None,
    size: tuple[float, float] = (_W, _W * 0.75),
) -> Any:
    """One closed polygon per row of ``data`` over the indicator ``columns`` (e.g. a benchmark
    region against the national mean); values are drawn as given, so scale them first.

    Returns
    -------
    DisparityFigure

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> two = panel[panel["year"] == 2023].head(2)
    >>> fig = radar_chart(two, label="region", columns=["reimb_rural", "reimb_urban", "urbanisation"])
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['北京市', '天津市']
    """
    lang, serif, _ = _setup(lang, serif)
    labels = dict(labels or {})
    var_labels, _ = _codebook_labels(data)
    _need(data, [label, *columns], "radar_chart")
    if len(columns) < 3:
        raise SpecificationError("radar_chart() needs at least three indicator columns.")
    angles = np.linspace(0, 2 * np.pi, len(columns), endpoint=False)
    closed = np.concatenate([angles, angles[:1]])
    colors = _palette(len(data))
    with figure_context(serif=serif):
        fig, ax = _new_figure(size, serif, polar=True)
        for (_, row), color in zip(data.iterrows(), colors, strict=True):
            vals = row[list(columns)].to_numpy(float)
            vals = np.concatenate([vals, vals[:1]])
            ax.plot(closed, vals, linewidth=1.3, color=color, label=value_label(row[label], labels, lang))
            ax.fill(closed, vals, color=color, alpha=0.12)
        ax.set_xticks(angles, [variable_label(c, labels, var_labels, lang) for c in columns])
        ax.set_rlabel_position(180 / len(columns))  # radial values between the first two spokes
        ax.tick_params(axis="x", pad=12)
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.08, 1.05))
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
    lang: str | None = None,
    title: str | None = None,
    serif: bool | None = None,
    size: tuple[float, float] | None = None,
) -> Any:
    """Horizontal bars of a value by region (a map-free regional comparison); ``highlight`` marks
    some regions in a second colour.

    Returns
    -------
    DisparityFigure

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> fig = region_bar_plot(panel[panel["year"] == 2023], "region", "benefit_gap", highlight=["内蒙古自治区"])
    >>> fig.axes[0].get_xlabel()
    '城乡待遇差距'
    """
    import seaborn as sns

    lang, serif, _ = _setup(lang, serif)
    labels = dict(labels or {})
    var_labels, _ = _codebook_labels(data)
    _need(data, [region, value], "region_bar_plot")
    frame = data[[region, value]].dropna()
    if frame[region].duplicated().any():
        dup = frame.loc[frame[region].duplicated(), region].tolist()[:5]
        raise SpecificationError(f"Regions {dup} appear more than once; aggregate to one row per region first.")
    if sort:
        frame = frame.sort_values(value, ascending=False)
    marks = {str(h) for h in (highlight or ())}
    base, accent = _palette(4)[0], _palette(4)[3]
    names = [value_label(r, labels, lang) for r in frame[region]]
    colors = {n: (accent if str(r) in marks else base) for n, r in zip(names, frame[region], strict=True)}
    with figure_context(serif=serif):
        fig, ax = _new_figure(size or (_W, 0.8 + 0.2 * len(frame)), serif)
        sns.barplot(x=frame[value].to_numpy(float), y=names, hue=names, palette=colors, order=names,
                    orient="h", legend=False, ax=ax, saturation=1.0)
        ax.axvline(0, color="0.3", linewidth=0.8)
        ax.set_xlabel(variable_label(value, labels, var_labels, lang))
        ax.set_ylabel("")
        if title:
            ax.set_title(title)
    return fig


def _reset_layout(fig: Any) -> None:
    """Put every subplot back at its grid position before a render.

    Constrained layout starts from the positions the previous draw left, and those depend on that
    draw's renderer and resolution (a PNG at 200 dpi, an SVG at 72, an inline display): starting
    from the grid each time makes the bytes independent of what was saved or shown before.
    """
    for ax in getattr(fig, "axes", ()):
        spec = ax.get_subplotspec()
        if spec is not None:
            ax._set_position(spec.get_position(fig), which="both")


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
    with matplotlib.rc_context(cast(Any, figure_rc(serif=getattr(fig, "dp_serif", False)))):
        _reset_layout(fig)
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=meta)
    return buf.getvalue()


def save_figure(fig: Any, path: str | Path, *, formats: Sequence[str] = ("png", "svg"), dpi: int = 200,
                overwrite: bool = False) -> list[Path]:
    """Write ``path`` with each suffix in ``formats`` (atomically, deterministic bytes).

    An existing file is replaced only with ``overwrite=True``; otherwise nothing is written and
    :class:`~disparity.errors.OutputExistsError` names the file (SECURITY.md: writes never destroy).

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> fig = gap_trend_plot(panel, "year", "benefit_gap")
    >>> [p.name for p in save_figure(fig, "gap_trend", formats=("png", "svg"))]
    ['gap_trend.png', 'gap_trend.svg']
    """
    base = Path(path)
    if base.suffix.lstrip(".") in FIGURE_FORMATS:
        base = base.with_suffix("")
    targets = [base.with_suffix(f".{fmt}") for fmt in formats]
    if not overwrite:
        for target in targets:  # check all before writing any
            refuse_existing(target)
    return [atomic_write_bytes(t, figure_bytes(fig, fmt, dpi=dpi), overwrite=overwrite)
            for t, fmt in zip(targets, formats, strict=True)]
