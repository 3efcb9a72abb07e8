"""Descriptive statistics (weighted, by group) and balance tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats as _st

from .._options import WEIGHT_TYPES, WeightType, check_option
from ..errors import DataValueError, SpecificationError
from ._i18n import join_sentences, percent, words
from .regression import significance_stars
from .tables import LANGS, TABLE_STYLES, HeaderCell, Lang, Table, TableStyle

__all__ = ["summary_table", "balance_table", "weighted_stats", "SUMMARY_STATS"]

SUMMARY_STATS: tuple[str, ...] = ("mean", "sd", "min", "max", "median", "n")


def _numeric(data: pd.DataFrame, col: str) -> pd.Series:
    if col not in data.columns:
        raise SpecificationError(f"Column {col!r} is not in the data; available: {list(data.columns)[:12]}.")
    s = data[col]
    if isinstance(s.dtype, pd.CategoricalDtype):
        raise DataValueError(
            f"Column {col!r} is categorical ({list(s.cat.categories)[:5]}); descriptive statistics need "
            f"numbers. Recode it first, e.g. data[{col!r}].cat.codes, or an indicator per category."
        )
    out = pd.to_numeric(s, errors="coerce")
    bad = out.isna() & s.notna()
    if bad.any():
        raise DataValueError(
            f"Column {col!r} has non-numeric values in rows {list(s.index[bad][:5])}; recode them first."
        )
    return out.astype(float)


def _weights(data: pd.DataFrame, weights: str | None) -> pd.Series | None:
    if weights is None:
        return None
    w = _numeric(data, weights)
    bad = w.isna() | (w < 0) | ~np.isfinite(w)
    if bad.any():
        raise DataValueError(
            f"Weight column {weights!r} has missing or negative values in rows {list(w.index[bad][:5])}; "
            "fix or drop those rows."
        )
    return w


def weighted_stats(x: np.ndarray, w: np.ndarray | None, weight_type: str) -> dict[str, float]:
    """Mean, SD, min, max, median and N of ``x`` (missing values already removed).

    With weights the mean is :math:`\\sum w_i x_i / \\sum w_i`. For "aweight"/"pweight" the weights are
    scaled to sum to the number of observations :math:`n` and
    :math:`s^2 = \\sum w_i (x_i - \\bar x)^2 / (n - 1)`; for "fweight" :math:`N = \\sum w_i` and
    :math:`s^2 = \\sum w_i (x_i - \\bar x)^2 / (N - 1)` (Stata's ``summarize``). The weighted median is
    the smallest :math:`x` whose cumulative weight share reaches one half.
    """
    n = len(x)
    if n == 0:
        return {"mean": np.nan, "sd": np.nan, "min": np.nan, "max": np.nan, "median": np.nan, "n": 0}
    if w is None:
        return {"mean": float(np.mean(x)), "sd": float(np.std(x, ddof=1)) if n > 1 else np.nan,
                "min": float(np.min(x)), "max": float(np.max(x)), "median": float(np.median(x)), "n": n}
    keep = w > 0
    x, w = x[keep], w[keep]
    n = len(x)
    mean = float(np.sum(w * x) / np.sum(w))
    if weight_type == "fweight":
        N = float(np.sum(w))
        var = float(np.sum(w * (x - mean) ** 2) / (N - 1)) if N > 1 else np.nan
        count = int(round(N))
    else:
        ws = w * (n / np.sum(w))
        var = float(np.sum(ws * (x - mean) ** 2) / (n - 1)) if n > 1 else np.nan
        count = n
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order]) / np.sum(w)
    median = float(x[order][np.searchsorted(cum, 0.5 - 1e-12)])
    return {"mean": mean, "sd": float(np.sqrt(var)), "min": float(np.min(x)), "max": float(np.max(x)),
            "median": median, "n": count}


def _level_str(level: Any) -> str:
    """A group level as text: 1.0 -> "1" (codes stored as floats), otherwise str()."""
    if isinstance(level, (float, np.floating)) and float(level).is_integer():
        return str(int(level))
    return str(level)


def _fmt(v: float, digits: int, key: str) -> str:
    if key == "n":
        return f"{int(v):d}"
    if v is None or not np.isfinite(v):
        return ""
    return f"{v:.{digits}f}"


def summary_table(
    data: pd.DataFrame,
    columns: Sequence[str],
    *,
    by: str | None = None,
    weights: str | None = None,
    weight_type: WeightType = "aweight",
    stats: Sequence[str] = ("n", "mean", "sd", "min", "max"),
    labels: Mapping[str, str] | None = None,
    lang: Lang = "zh",
    digits: int = 3,
    overall: bool = True,
    title: str = "",
    notes: Sequence[str] | str | None = None,
    style: TableStyle = "three-line",
) -> Table:
    """Descriptive statistics, one row per variable, optionally weighted and by group.

    Parameters
    ----------
    data : DataFrame
    columns : sequence of str
        Numeric columns (recode categorical ones first).
    by : str, optional
        Grouping column: statistics per group (groups in their sorted / category order), plus the
        whole sample when ``overall`` is True.
    weights, weight_type
        Weight column and its meaning ("aweight", "pweight" or "fweight"); see Notes.
    stats : sequence of {"n", "mean", "sd", "min", "max", "median"}
    labels : mapping
        Display names of variables and of ``by`` levels.

    Returns
    -------
    Table
        ``table.data`` holds the unformatted numbers (variable, group, statistic columns).

    Notes
    -----
    See :func:`weighted_stats` for the formulas. Missing values are dropped variable by variable.

    References
    ----------
    StataCorp (2023). *Stata Base Reference Manual*, Release 18: ``summarize`` (Methods and formulas).

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> t = summary_table(df, ["oop", "income"], by="urban")
    >>> t.to_frame().shape
    (2, 16)
    >>> t.data["mean"].round(1).tolist()
    [1066.1, 655.2, 884.3, 21199.3, 39301.7, 29209.3]
    """
    check_option("lang", lang, LANGS)
    check_option("style", style, TABLE_STYLES)
    check_option("weight_type", weight_type, WEIGHT_TYPES)
    for s in stats:
        check_option("stats entry", s, SUMMARY_STATS)
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    labels = dict(labels or {})
    w_all = _weights(data, weights)
    groups: list[tuple[str, pd.Index]] = []
    if by is not None:
        if by not in data.columns:
            raise SpecificationError(f"by={by!r} is not a column of the data.")
        g = data[by]
        levels = list(g.cat.categories) if isinstance(g.dtype, pd.CategoricalDtype) else sorted(g.dropna().unique())
        for lv in levels:
            idx = data.index[g == lv]
            if len(idx):
                groups.append((labels.get(_level_str(lv), _level_str(lv)), idx))
        if overall:
            groups.append((words(lang)["all"], data.index))
    else:
        groups.append(("", data.index))
    rows, records = [], []
    for col in columns:
        x = _numeric(data, col)
        row = [labels.get(col, col)]
        for gname, idx in groups:
            xs = x.loc[idx]
            ok = xs.notna().to_numpy()
            ww = None if w_all is None else w_all.loc[idx].to_numpy()[ok]
            res = weighted_stats(xs.to_numpy()[ok], ww, weight_type)
            records.append({"variable": col, "group": gname, **res})
            row += [_fmt(res[s], digits, s) for s in stats]
        rows.append(tuple(row))
    w = words(lang)
    stat_cells = [HeaderCell(w[s]) for s in stats]
    if by is None:
        header = ((HeaderCell(w["variable"]), *stat_cells),)
    else:
        top = (HeaderCell(""), *[HeaderCell(g, span=len(stats)) for g, _ in groups])
        header = (top, (HeaderCell(w["variable"]), *[c for _ in groups for c in stat_cells]))
    note_list = []
    if weights is not None:
        note_list.append(join_sentences(
            [f"按{labels.get(weights, weights)}加权" if lang == "zh" else f"weighted by {labels.get(weights, weights)}"],
            lang))
    if notes:
        note_list += [notes] if isinstance(notes, str) else list(notes)
    return Table(header=header, body=tuple(rows), title=title, notes=tuple(note_list), lang=lang,
                 style=style, data=pd.DataFrame.from_records(records))


def balance_table(
    data: pd.DataFrame,
    columns: Sequence[str],
    group: str,
    *,
    groups: Sequence[Any] | None = None,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    test: Literal["t", "smd", "both"] = "both",
    stars: Sequence[float] | None = (0.1, 0.05, 0.01),
    labels: Mapping[str, str] | None = None,
    lang: Lang = "zh",
    digits: int = 3,
    title: str = "",
    notes: Sequence[str] | str | None = None,
    style: TableStyle = "three-line",
) -> Table:
    """Group means, their difference, a t-test and the standardised difference, per variable.

    Parameters
    ----------
    data : DataFrame
    columns : sequence of str
        Numeric columns to compare.
    group : str
        Column with exactly two groups (or give ``groups=(a, b)`` to pick and order two levels).
        The difference is the second group's mean minus the first's.
    weights, weight_type
        Weighted means; the weighted test is the t-statistic of the group indicator in a weighted
        least-squares regression of the variable on it, with HC1 (robust) variance.
    test : {"t", "smd", "both"}
    stars : thresholds for the t-test p-value.

    Returns
    -------
    Table
        ``table.data`` has mean_0, mean_1, diff, t, p_value, smd per variable.

    Notes
    -----
    Unweighted test: Welch's two-sample t-test,
    :math:`t = (\\bar x_1 - \\bar x_0) / \\sqrt{s_1^2/n_1 + s_0^2/n_0}` with Welch-Satterthwaite degrees
    of freedom. Standardised difference (Austin 2009):
    :math:`d = (\\bar x_1 - \\bar x_0) / \\sqrt{(s_1^2 + s_0^2)/2}`, with weighted means and variances
    when weighted; :math:`|d| > 0.1` is the usual mark of imbalance.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different population
    variances are involved. *Biometrika* 34(1/2), 28-35.
    Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline covariates
    between treatment groups in propensity-score matched samples. *Statistics in Medicine* 28(25),
    3083-3107.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> t = balance_table(df, ["age", "income"], "urban")
    >>> t.data["smd"].round(3).tolist()
    [-0.013, 0.944]
    """
    check_option("lang", lang, LANGS)
    check_option("style", style, TABLE_STYLES)
    check_option("weight_type", weight_type, WEIGHT_TYPES)
    check_option("test", test, ("t", "smd", "both"))
    if group not in data.columns:
        raise SpecificationError(f"group={group!r} is not a column of the data.")
    g = data[group]
    if groups is None:
        levels = list(g.cat.categories) if isinstance(g.dtype, pd.CategoricalDtype) else sorted(g.dropna().unique())
        levels = [lv for lv in levels if (g == lv).any()]
        if len(levels) != 2:
            raise DataValueError(
                f"Column {group!r} has {len(levels)} groups ({levels[:6]}); a balance table compares two. "
                "Pass groups=(first, second) to choose them."
            )
    else:
        levels = list(groups)
        if len(levels) != 2:
            raise SpecificationError(f"groups={groups!r} must name exactly two levels of {group!r}.")
        for lv in levels:
            if not (g == lv).any():
                raise DataValueError(f"Level {lv!r} does not occur in column {group!r}.")
    labels = dict(labels or {})
    thresholds = tuple(sorted(stars or (), reverse=True))
    w_all = _weights(data, weights)
    rows, records = [], []
    for col in columns:
        x = _numeric(data, col)
        parts = []
        for lv in levels:
            m = (g == lv) & x.notna()
            xs = x[m].to_numpy()
            ws = None if w_all is None else w_all[m].to_numpy()
            if len(xs) < 2:
                raise DataValueError(f"Group {lv!r} has fewer than two non-missing values of {col!r}.")
            parts.append((xs, ws, weighted_stats(xs, ws, "aweight" if weight_type == "pweight" else weight_type)))
        (x0, w0, s0), (x1, w1, s1) = parts
        diff = s1["mean"] - s0["mean"]
        if w_all is None:
            tt = _st.ttest_ind(x1, x0, equal_var=False)
            t, p = float(tt.statistic), float(tt.pvalue)
        else:
            assert w0 is not None and w1 is not None  # weights given: every group has them
            t, p = _weighted_diff_test(x0, w0, x1, w1)
        pooled = np.sqrt((s1["sd"] ** 2 + s0["sd"] ** 2) / 2)
        smd = diff / pooled if pooled > 0 else np.nan
        records.append({"variable": col, "mean_0": s0["mean"], "mean_1": s1["mean"], "diff": diff,
                        "t": t, "p_value": p, "smd": smd, "n_0": s0["n"], "n_1": s1["n"]})
        row = [labels.get(col, col), f"{s0['mean']:.{digits}f}", f"{s1['mean']:.{digits}f}",
               f"{diff:.{digits}f}" + significance_stars(p, thresholds)]
        if test in ("t", "both"):
            row += [f"{t:.2f}", "<0.001" if p < 0.001 else f"{p:.3f}"]  # p-values: three decimals
        if test in ("smd", "both"):
            row.append(f"{smd:.{digits}f}")
        rows.append(tuple(row))
    w = words(lang)
    names = [labels.get(_level_str(lv), _level_str(lv)) for lv in levels]
    head = [HeaderCell(w["variable"]), HeaderCell(names[0]), HeaderCell(names[1]), HeaderCell(w["diff"])]
    if test in ("t", "both"):
        head += [HeaderCell(w["t"]), HeaderCell(w["p_value"])]
    if test in ("smd", "both"):
        head.append(HeaderCell(w["smd"]))
    sentences = []
    if lang == "zh":
        sentences.append(f"差异为{names[1]}组均值减{names[0]}组均值")
        if test != "smd":
            sentences.append("t检验为Welch异方差t检验" if w_all is None else "t值来自对组别虚拟变量的加权回归（异方差稳健标准误）")
        if test != "t":
            sentences.append("标准化差异 = 均值差 / √((s₁² + s₀²)/2)")
    else:
        sentences.append(f"difference = mean of {names[1]} minus mean of {names[0]}")
        if test != "smd":
            sentences.append("Welch t-test" if w_all is None else "t from a weighted regression on the group indicator (robust HC1 variance)")
        if test != "t":
            sentences.append("standardised difference = difference / sqrt((s1² + s0²)/2)")
    if thresholds:
        syms = w["list_sep"].join("*" * (i + 1) for i in range(len(thresholds)))
        sentences.append(w["stars"].format(syms=syms, levels=w["list_sep"].join(percent(t) for t in thresholds)))
    note_list = [join_sentences(sentences, lang)]
    if notes:
        note_list += [notes] if isinstance(notes, str) else list(notes)
    return Table(header=(tuple(head),), body=tuple(rows), title=title, notes=tuple(note_list), lang=lang,
                 style=style, data=pd.DataFrame.from_records(records))


def _weighted_diff_test(x0: np.ndarray, w0: np.ndarray, x1: np.ndarray, w1: np.ndarray) -> tuple[float, float]:
    """t and p of the group indicator in WLS of x on (1, d) with HC1 variance (t with n-2 df)."""
    x = np.concatenate([x0, x1])
    w = np.concatenate([w0, w1])
    d = np.concatenate([np.zeros(len(x0)), np.ones(len(x1))])
    X = np.column_stack([np.ones_like(d), d])
    XtW = X.T * w
    bread = np.linalg.inv(XtW @ X)
    beta = bread @ (XtW @ x)
    u = x - X @ beta
    meat = (X * (w * u)[:, None]).T @ (X * (w * u)[:, None])
    n, k = X.shape
    V = bread @ meat @ bread * n / (n - k)
    t = float(beta[1] / np.sqrt(V[1, 1]))
    p = float(2 * _st.t.sf(abs(t), n - k))
    return t, p
