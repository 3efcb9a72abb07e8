"""Survey means, totals and ratios with design-based standard errors, intervals and design effects.

The estimators of R ``survey::svymean``/``svytotal``/``svyratio`` (with ``svyby`` for ``by=``) and
Stata ``svy: mean``/``total``/``ratio`` (with ``over()``). Every variance comes from the one design
implementation (:mod:`disparity.survey._core`): Taylor linearisation over strata and multistage
clusters, or replicate weights. Groups of ``by=`` and a design's subpopulation are domains: the
whole design stays in the variance.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from ..design import ReplicateDesign, SurveyDesign
from ..errors import SpecificationError
from ..measures._weights import Sample, _as_list, prepare
from ..specs import SurveySpec

__all__ = ["SurveyResult", "svy_mean", "svy_total", "svy_ratio", "svy_quantile"]


@dataclass(frozen=True, slots=True)
class SurveyResult:
    """Design-based estimates, one row per ``by=`` group and variable.

    Attributes
    ----------
    statistic : str
        "mean", "total" or "ratio".
    table : DataFrame
        The ``by=`` columns, ``variable``, ``estimate``, ``std_error``, ``conf_low``, ``conf_high``
        (at ``level``), ``deff`` (design effect against simple random sampling without
        replacement of the same size, as R ``deff=TRUE``; NaN for replicate designs and ratios),
        ``df`` (design degrees of freedom) and ``nobs`` (rows in the domain).
    level : float
        Confidence level of the intervals.
    by : tuple of str
    design : SurveyDesign or ReplicateDesign
    """

    statistic: str
    table: pd.DataFrame
    level: float
    by: tuple[str, ...]
    design: SurveyDesign | ReplicateDesign
    #: what was estimated, on which data (file, checksum, shape of the frame)
    spec: SurveySpec = field(default_factory=SurveySpec)

    def _col(self, col: str) -> float | pd.Series:
        if self.table.shape[0] == 1:
            return float(self.table[col].iloc[0])
        keys = [*self.by, "variable"] if self.table["variable"].nunique() > 1 else list(self.by)
        idx = pd.MultiIndex.from_frame(self.table[keys]) if len(keys) > 1 else pd.Index(
            self.table[keys[0]], name=keys[0])
        return pd.Series(self.table[col].to_numpy(), index=idx, name=col)

    @property
    def estimate(self) -> float | pd.Series:
        """The estimate (a float for one row, else a Series indexed by group/variable)."""
        return self._col("estimate")

    value = estimate

    @property
    def std_error(self) -> float | pd.Series:
        return self._col("std_error")

    @property
    def deff(self) -> float | pd.Series:
        return self._col("deff")

    def conf_int(self) -> pd.DataFrame:
        """The intervals at :attr:`level` (t with the design df, or normal; see ``df=``)."""
        return self.table[[*self.by, "variable", "conf_low", "conf_high"]]

    def tidy(self) -> pd.DataFrame:
        """The table with a leading ``statistic`` column."""
        out = self.table.copy()
        out.insert(0, "statistic", self.statistic)
        return out

    def __float__(self) -> float:
        if self.table.shape[0] != 1:
            raise TypeError("float() needs a single estimate; use .estimate or .tidy() with by=.")
        return float(self.table["estimate"].iloc[0])

    def __repr__(self) -> str:
        return f"SurveyResult({self.statistic}, {self.table.shape[0]} row(s), level={self.level})"

    def _repr_html_(self) -> str:
        head = f"<p><b>Survey {html.escape(self.statistic)}</b> ({self.level:.0%} intervals)</p>"
        return head + self.table.to_html(index=False, float_format=lambda v: f"{v:.6g}")


def _check_level(level: float) -> float:
    if not isinstance(level, float | int) or not 0 < level < 1:
        raise SpecificationError(f"level={level!r} must be between 0 and 1, e.g. 0.95.")
    return float(level)


def _prepare(df: pd.DataFrame, measure: str, numeric: list[str], by, design, subpop) -> Sample:
    if not isinstance(design, SurveyDesign | ReplicateDesign):
        raise SpecificationError(
            f"{measure}: design= must be a dp.SurveyDesign or dp.ReplicateDesign (the design carries "
            "the weights); got " + type(design).__name__ + "."
        )
    if subpop is not None:
        design = design.subset(subpop)
    return prepare(df, measure=measure, numeric=numeric, by=by, design=design)


def _groups(sample: Sample) -> tuple[np.ndarray, int]:
    if sample.by_codes is None or sample.by_levels is None:
        return np.zeros(sample.n, dtype=np.intp), 1
    return sample.by_codes, int(sample.by_levels.shape[0])


def _df(sample: Sample, codes: np.ndarray, G: int) -> np.ndarray:
    bound = sample.bound
    assert bound is not None
    design = bound.design
    rows = sample.rows if sample.rows is not None else np.arange(bound.n)
    if design.df == "stata" or isinstance(design, ReplicateDesign):
        return np.full(G, bound.degrees_of_freedom(rows, sample.w))
    return np.array([bound.degrees_of_freedom(rows[codes == g], sample.w[codes == g])
                     for g in range(G)])


def _interval(est: np.ndarray, se: np.ndarray, df: np.ndarray, level: float, r_normal: bool):
    q = stats.norm.ppf(0.5 + level / 2) if r_normal else stats.t.ppf(0.5 + level / 2, df)
    return est - q * se, est + q * se


def _finish(
    statistic: str, sample: Sample, names: list[str], est: np.ndarray, var: np.ndarray,
    deff: np.ndarray, codes: np.ndarray, G: int, level: float, by: list[str],
    design: SurveyDesign | ReplicateDesign,
    nobs: np.ndarray | None = None,
) -> SurveyResult:
    """Assemble the table from (G, p) arrays of estimates, variances and design effects."""
    se = np.sqrt(np.maximum(var, 0.0))
    df_g = _df(sample, codes, G)
    if nobs is None:
        nobs = np.bincount(codes, minlength=G)
    rows = []
    r_normal = design.df == "r"  # R's confint() of svystat uses the normal
    for g in range(G):
        labels = {} if sample.by_levels is None else sample.by_levels.iloc[g].to_dict()
        lo, hi = _interval(est[g], se[g], np.full(len(names), df_g[g]), level, r_normal)
        for j, name in enumerate(names):
            rows.append({**labels, "variable": name, "estimate": est[g, j], "std_error": se[g, j],
                         "conf_low": lo[j], "conf_high": hi[j], "deff": deff[g, j],
                         "df": df_g[g], "nobs": int(nobs[g])})
    table = pd.DataFrame(rows)
    spec = SurveySpec(estimator=f"svy_{statistic}", variables=tuple(names), by=tuple(by), level=level,
                      weights=sample.weights_name, data=sample.source)
    return SurveyResult(statistic=statistic, table=table, level=level, by=tuple(by), design=design, spec=spec)


def _grouped_var(sample: Sample, z: np.ndarray, codes: np.ndarray, G: int) -> np.ndarray:
    bound = sample.bound
    assert bound is not None
    return bound.taylor_var_grouped(z, codes, G, sample.rows)


def _mean_or_total(
    kind: str, df: pd.DataFrame, y: str | Sequence[str], design, by, subpop, level,
) -> SurveyResult:
    level = _check_level(level)
    names = _as_list(y)
    if not names:
        raise SpecificationError(f"svy_{kind}: give at least one variable.")
    by_cols = _as_list(by)
    sample = _prepare(df, f"svy_{kind}", names, by, design, subpop)
    codes, G = _groups(sample)
    w = sample.w
    p = len(names)
    est = np.empty((G, p))
    var = np.empty((G, p))
    deff = np.full((G, p), np.nan)
    bound = sample.bound
    assert bound is not None
    rows = sample.rows
    counts = np.bincount(codes, minlength=G).astype(float)
    n_pos = counts if (w > 0).all() else np.bincount(codes, weights=(w != 0).astype(float),
                                                     minlength=G)
    keys = None if bound.replicate else bound.unit_group_keys(codes, G, rows)
    if keys is None:
        W = np.bincount(codes, weights=w, minlength=G)
    else:  # group totals from the first stage's unit totals: no further pass over the rows
        unit_w = bound.unit_group_totals(keys, w)
        W = unit_w[0].sum(axis=0)
    for j, name in enumerate(names):
        yv = sample.data[name]
        wy = w * yv
        if keys is None:
            t = np.bincount(codes, weights=wy, minlength=G)
        else:
            unit_wy = bound.unit_group_totals(keys, wy)
            t = unit_wy[0].sum(axis=0)
        del wy
        mean = t / W
        est[:, j] = mean if kind == "mean" else t
        if keys is None:
            rw = bound.replicate_weights(rows)
            thetas = np.empty((rw.shape[1], G))
            for r in range(rw.shape[1]):
                thetas[r] = np.bincount(codes, weights=rw[:, r] * yv, minlength=G)
                if kind == "mean":
                    with np.errstate(divide="ignore", invalid="ignore"):
                        thetas[r] /= np.bincount(codes, weights=rw[:, r], minlength=G)
            var[:, j] = bound.replicate_cov(thetas, est[:, j], diag=True)
            continue
        if kind == "mean":  # unit totals of w (y - mean_g) / W_g, from two passes
            z_units = [(a - mean * b) / W for a, b in zip(unit_wy, unit_w, strict=True)]
        else:
            z_units = unit_wy
        var[:, j] = bound.var_from_unit_totals(z_units)
        # sum w (y - mean_g)^2 per group, shifted by the overall mean (no per-row gather)
        c = float(t.sum() / W.sum())
        dev = yv - c
        np.multiply(dev, dev, out=dev)
        dev *= w
        ss = np.bincount(codes, weights=dev, minlength=G) - W * (mean - c) ** 2
        del dev
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = ss / W * n_pos / (n_pos - 1)
            srs = s2 * (W - n_pos) / (W * n_pos)
            deff[:, j] = var[:, j] / (srs * W * W if kind == "total" else srs)
    return _finish(kind, sample, names, est, var, deff, codes, G, level, by_cols,
                   sample_design(sample), counts)


def sample_design(sample: Sample) -> SurveyDesign | ReplicateDesign:
    assert sample.bound is not None
    return sample.bound.design


def svy_mean(
    df: pd.DataFrame,
    y: str | Sequence[str],
    *,
    design: SurveyDesign | ReplicateDesign,
    by: str | Sequence[str] | None = None,
    subpop: str | None = None,
    level: float = 0.95,
) -> SurveyResult:
    """Design-based mean of one or more variables, overall or by group (domains).

    Parameters
    ----------
    df : DataFrame
    y : str or list of str
        Variables. With several, rows missing in any of them leave the domain (R ``na.rm=TRUE``
        on a multi-variable formula).
    design : SurveyDesign or ReplicateDesign
        Carries the weights (no ``weights=``); its ``missing`` rule decides whether incomplete
        rows stay in the design ("domain", default) or are dropped before it is formed.
    by : str or list of str, optional
        Domains (R ``svyby``, Stata ``over()``).
    subpop : str, optional
        Subpopulation (boolean column or expression, see :meth:`SurveyDesign.subset`).
    level : float
        Confidence level; intervals use t with the design df (``design.df="stata"``) or the normal
        (``"r"``, as R ``confint``).

    Returns
    -------
    SurveyResult

    Notes
    -----
    :math:`\\hat{\\bar y} = \\sum_k w_k y_k / \\sum_k w_k` over the domain; its variance is that of
    the total of :math:`z_k = w_k (y_k - \\hat{\\bar y}) / \\hat N` (zero outside the domain),
    computed over the whole design. The design effect divides it by
    :math:`(1 - n/\\hat N)\\, s^2 / n` with :math:`s^2` the weighted variance (divisor
    :math:`n - 1`), as R ``svymean(deff=TRUE)`` (Kish 1965).

    References
    ----------
    Lumley, T. (2010). *Complex Surveys*. Wiley, ch. 2.
    Kish, L. (1965). *Survey Sampling*. Wiley.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> des = dp.SurveyDesign(weights="weight", strata="strata", psu="psu")
    >>> r = dp.svy_mean(df, "oop", design=des, by="urban")
    >>> r.tidy()[["urban", "estimate", "std_error"]].round(1).values.tolist()
    [['农村', 1129.2, 132.3], ['城镇', 663.6, 56.6]]
    """
    return _mean_or_total("mean", df, y, design, by, subpop, level)


def svy_total(
    df: pd.DataFrame,
    y: str | Sequence[str],
    *,
    design: SurveyDesign | ReplicateDesign,
    by: str | Sequence[str] | None = None,
    subpop: str | None = None,
    level: float = 0.95,
) -> SurveyResult:
    """Design-based total of one or more variables, overall or by group (R ``svytotal``).

    Parameters
    ----------
    df, y, design, by, subpop, level
        As :func:`svy_mean`.

    Returns
    -------
    SurveyResult

    Notes
    -----
    :math:`\\hat t = \\sum_k w_k y_k` over the domain, variance of the total of :math:`w_k y_k`;
    design effect against :math:`\\hat N^2 (1 - n/\\hat N) s^2 / n` (R ``svytotal(deff=TRUE)``).

    References
    ----------
    Horvitz, D. G. & Thompson, D. J. (1952). A generalization of sampling without replacement from
    a finite universe. *JASA* 47, 663-685.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> des = dp.SurveyDesign(weights="weight", strata="strata", psu="psu")
    >>> r = dp.svy_total(df, "oop", design=des)
    >>> round(r.estimate / r.std_error, 1)  # the total over its standard error
    11.9
    """
    return _mean_or_total("total", df, y, design, by, subpop, level)


def svy_ratio(
    df: pd.DataFrame,
    numerator: str,
    denominator: str,
    *,
    design: SurveyDesign | ReplicateDesign,
    by: str | Sequence[str] | None = None,
    subpop: str | None = None,
    level: float = 0.95,
) -> SurveyResult:
    """Design-based ratio of two totals, :math:`\\hat R = \\sum w y / \\sum w x` (R ``svyratio``).

    Parameters
    ----------
    df, design, by, subpop, level
        As :func:`svy_mean`.
    numerator, denominator : str
        Columns :math:`y` and :math:`x`.

    Returns
    -------
    SurveyResult
        ``variable`` is "numerator/denominator"; ``deff`` is NaN (R gives none).

    Notes
    -----
    Linearised variable :math:`z_k = w_k (y_k - \\hat R x_k) / \\hat X` (Cochran 1977, §6.3).

    References
    ----------
    Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed. Wiley.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> des = dp.SurveyDesign(weights="weight", strata="strata", psu="psu")
    >>> r = dp.svy_ratio(df, "oop", "income", design=des)  # rows missing income are a domain
    >>> round(r.estimate, 4), round(r.std_error, 4)
    (0.0312, 0.0027)
    """
    level = _check_level(level)
    by_cols = _as_list(by)
    for c in (numerator, denominator):
        if not isinstance(c, str):
            raise SpecificationError("svy_ratio: numerator and denominator are column names.")
    cols = [numerator] if numerator == denominator else [numerator, denominator]
    sample = _prepare(df, "svy_ratio", cols, by, design, subpop)
    codes, G = _groups(sample)
    w = sample.w
    yv, xv = sample.data[numerator], sample.data[denominator]
    X = np.bincount(codes, weights=w * xv, minlength=G)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.bincount(codes, weights=w * yv, minlength=G) / X
    bound = sample.bound
    assert bound is not None
    if bound.replicate:
        rw = bound.replicate_weights(sample.rows)
        thetas = np.empty((rw.shape[1], G))
        with np.errstate(divide="ignore", invalid="ignore"):
            for r in range(rw.shape[1]):
                thetas[r] = (np.bincount(codes, weights=rw[:, r] * yv, minlength=G)
                             / np.bincount(codes, weights=rw[:, r] * xv, minlength=G))
        var = bound.replicate_cov(thetas, ratio, diag=True)
    else:
        z = w * (yv - ratio[codes] * xv) / X[codes]
        var = _grouped_var(sample, z, codes, G)
    return _finish("ratio", sample, [f"{numerator}/{denominator}"], ratio[:, None], var[:, None],
                   np.full((G, 1), np.nan), codes, G, level, by_cols, sample_design(sample))


QuantileInterval = Literal["mean"]
QUANTILE_INTERVALS: tuple[str, ...] = get_args(QuantileInterval)


def _qrule_math(xs: np.ndarray, cumw: np.ndarray, total: float, p: float) -> float:
    """R ``survey``'s default ``qrule="math"`` (Hyndman & Fan type 1) on sorted values.

    The smallest :math:`x_{(k)}` whose cumulative weight share reaches :math:`p`: with
    :math:`k^*` the last position where :math:`\\sum_{i\\le k} w_i \\le pW`, :math:`x_{(k^*)}` if
    that share equals :math:`p` exactly, else :math:`x_{(k^*+1)}` (R ``qs``/``qrule_math``).
    """
    pos = int(np.searchsorted(cumw, p * total, side="right")) - 1
    pos = max(pos, 0)
    if p - cumw[pos] / total == 0:
        return float(xs[pos])
    return float(xs[min(pos + 1, xs.shape[0] - 1)])


def svy_quantile(
    df: pd.DataFrame,
    y: str,
    quantiles: float | Sequence[float] = 0.5,
    *,
    design: SurveyDesign | ReplicateDesign,
    by: str | Sequence[str] | None = None,
    subpop: str | None = None,
    level: float = 0.95,
    interval: QuantileInterval = "mean",
) -> SurveyResult:
    """Design-based quantiles with Woodruff confidence intervals (R ``svyquantile``, survey >= 4.1).

    Parameters
    ----------
    df, design, by, subpop, level
        As :func:`svy_mean`.
    y : str
        The variable.
    quantiles : float or list of float
        Probabilities in (0, 1).
    interval : {"mean"}
        Woodruff's interval from the interval of the estimated distribution function at the
        quantile (R ``interval.type="mean"``, the default); t with the design df.

    Returns
    -------
    SurveyResult
        ``variable`` is e.g. "y@0.5"; ``std_error`` is the interval width over
        :math:`2 t_{1-\\alpha/2}` (R's convention); ``deff`` is NaN.

    Notes
    -----
    :math:`\\hat q_p = \\min\\{x: \\hat F(x) \\ge p\\}` with :math:`\\hat F` the weighted distribution
    function (R ``qrule="math"``). With :math:`\\hat m = \\hat F(\\hat q_p)` and its design-based
    interval :math:`\\hat m \\pm t\\,\\widehat{se}(\\hat m)`, the interval for :math:`q_p` is the pair of
    quantiles at those two probabilities (Woodruff 1952). Under ``df="r"`` the df is that of the
    domain (R ``degf`` of the subset design), as R uses; under ``"stata"`` the whole design's.

    References
    ----------
    Woodruff, R. S. (1952). Confidence intervals for medians and other position measures. *JASA*
    47, 635-646.
    Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages. *Am. Statistician*
    50, 361-365.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> des = dp.SurveyDesign(weights="weight", strata="strata", psu="psu")
    >>> r = dp.svy_quantile(df, "income", [0.25, 0.5], design=des)
    >>> r.tidy()[["variable", "estimate"]].values.tolist()
    [['income@0.25', 15330.0], ['income@0.5', 23690.0]]
    """
    from .._options import check_option
    from ..errors import DataValueError

    level = _check_level(level)
    check_option("interval", interval, QUANTILE_INTERVALS)
    probs = [quantiles] if isinstance(quantiles, float | int) else list(quantiles)
    if not probs or not all(isinstance(p, float | int) and 0 < p < 1 for p in probs):
        raise SpecificationError(f"quantiles={quantiles!r} must be probabilities in (0, 1).")
    if not isinstance(y, str):
        raise SpecificationError("svy_quantile: y is one column name.")
    by_cols = _as_list(by)
    sample = _prepare(df, "svy_quantile", [y], by, design, subpop)
    codes, G = _groups(sample)
    bound = sample.bound
    assert bound is not None
    x_all = sample.data[y]
    df_g = _df(sample, codes, G)
    names = [f"{y}@{p:g}" for p in probs]
    est = np.full((G, len(probs)), np.nan)
    lo = np.full_like(est, np.nan)
    hi = np.full_like(est, np.nan)
    for g in range(G):
        in_g = codes == g
        keep = in_g & (sample.w > 0)
        if not keep.any():
            continue
        xg, wg = x_all[keep], sample.w[keep]
        order = np.argsort(xg, kind="stable")
        # R accumulates sum() and cumsum() in long double; the type-1 rule compares cumulative
        # shares with p exactly, so equal weights need the same rounding to pick the same value
        cum_ld = np.cumsum(wg[order].astype(np.longdouble))
        xs, cumw = xg[order], cum_ld.astype(np.float64)
        total = float(cum_ld[-1])
        tq = stats.t.ppf(0.5 + level / 2, df_g[g]) if df_g[g] > 0 else np.nan
        for j, p in enumerate(probs):
            q = _qrule_math(xs, cumw, total, float(p))
            est[g, j] = q
            ind = (x_all <= q).astype(float)
            W = float(sample.w[in_g].sum())
            m = float((sample.w[in_g] * ind[in_g]).sum()) / W
            if bound.replicate:
                rw = bound.replicate_weights(sample.rows)
                reps = np.array([(rw[in_g, r] @ ind[in_g]) / rw[in_g, r].sum()
                                 for r in range(rw.shape[1])])
                var = float(bound.replicate_cov(reps[:, None], np.array([m]), diag=True)[0])
            else:
                z = np.where(in_g, sample.w * (ind - m) / W, 0.0)
                var = float(bound.taylor_cov(z, sample.rows, diag=True)[0])
            half = tq * np.sqrt(max(var, 0.0))
            p_lo, p_hi = m - half, m + half
            lo[g, j] = np.nan if not p_lo >= 0 else _qrule_math(xs, cumw, total, p_lo)
            hi[g, j] = np.nan if not p_hi <= 1 else _qrule_math(xs, cumw, total, p_hi)
    if np.isnan(est).all():
        raise DataValueError("svy_quantile: no observation with positive weight in the domain.")
    tq_all = stats.t.ppf(0.5 + level / 2, df_g)[:, None]
    se = (hi - lo) / (2 * tq_all)
    rows = []
    nobs = np.bincount(codes, minlength=G)
    for g in range(G):
        labels = {} if sample.by_levels is None else sample.by_levels.iloc[g].to_dict()
        for j, name in enumerate(names):
            rows.append({**labels, "variable": name, "estimate": est[g, j], "std_error": se[g, j],
                         "conf_low": lo[g, j], "conf_high": hi[g, j], "deff": np.nan,
                         "df": df_g[g], "nobs": int(nobs[g])})
    spec = SurveySpec(estimator="svy_quantile", variables=(y,), by=tuple(by_cols), level=level,
                      weights=sample.weights_name, options={"quantiles": tuple(float(p) for p in probs), "interval": interval},
                      data=sample.source)
    return SurveyResult(statistic="quantile", table=pd.DataFrame(rows), level=level,
                        by=tuple(by_cols), design=sample_design(sample), spec=spec)
