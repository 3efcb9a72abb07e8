"""The Gini and the concentration index on engine tables, by exact window-function ranks.

Companion of :mod:`disparity.scale.measures`, with the same conventions: the
signature and result of the in-memory namesake, values and analytic standard errors equal to
rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._options import SeKind, WeightType, check_option
from ..design import SurveyDesign
from ..errors import DataValueError, SpecificationError
from ..measures import MeasureResult
from ..measures._formulas import ci_transform
from ..measures.concentration import CIKind
from ..specs import MeasureSpec
from ._backend import EngineTable, Progress, as_engine_table
from ._prep import Prepared, examples, f64, prepare
from ._stats import jacobian, unit_variance
from .measures import (
    CI_KINDS,
    _agg,
    _by_groups,
    _check_se,
    _progress,
    _table,
    _warn_cancellation,
)

__all__ = ["gini", "concentration_index"]


# -- rank-based indices -----------------------------------------------------------------------------

def _rank_index(
    measure: str, et: EngineTable, prep: Prepared, y: str, rank: str,
    transform: Callable[[np.ndarray], np.ndarray], component: str, *, cluster: str | None,
    se: str, params: dict[str, Any], progress: Progress,
    check: Callable[[dict[str, Any], float], None],
) -> MeasureResult:
    """An index ``F(mu, GC)`` with exact tie-averaged fractional ranks by window functions."""
    import ibis

    t, w, by = prep.t, prep.w, prep.by
    yv = t[y].cast("float64")
    xv = t[rank]
    part = ibis.window(group_by=by) if by else ibis.window()
    ties = ibis.window(group_by=[*by, rank])
    upto = ibis.range_window(group_by=by or None, order_by=xv, preceding=None, following=0)
    wy = w * yv
    big_w = w.sum().over(part)
    half = f64(0.5)
    r = (w.sum().over(upto) - half * w.sum().over(ties)) / big_w
    mbar = (wy.sum().over(upto) - half * wy.sum().over(ties)) / big_w
    fw_units = prep.weight_type == "fweight" and prep.weighted and cluster is None
    scale = f64(1.0) if fw_units else w
    feats = {"_f0": scale * yv * r, "_f1": scale * yv, "_f2": scale * mbar,
             "_f3": scale * f64(1.0)}
    ranked = t.mutate(**feats)
    progress(f"{measure}: exact fractional ranks by window functions and moments (one query)")
    units = ranked
    if cluster is not None:
        units = ranked.group_by([*by, cluster]).aggregate(
            _w=ranked._w.sum(), _r=ranked.count(), **{k: ranked[k].sum() for k in feats})
    names = list(feats)
    aggs: dict[str, Any] = {"_n": units.count(), "_W": units._w.sum(),
                            "_rows": units._r.sum() if cluster is not None else units.count()}
    omega = units._w if fw_units else None
    for i, a in enumerate(names):
        aggs[f"{a}_s"] = (units[a] if omega is None else omega * units[a]).sum()
        for b in names[i:]:
            p = units[a] * units[b]
            aggs[f"{a}{b}_q"] = (p if omega is None else omega * p).sum()
    frame = _agg(units, by, aggs)
    rows: list[dict[str, Any]] = []
    for labels, sub in _by_groups(frame, by):
        row = sub.iloc[0]
        m1 = np.array([row[f"{a}_s"] for a in names])
        m2 = np.empty((4, 4))
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                key = f"{a}{b}_q" if i <= j else f"{b}{a}_q"
                m2[i, j] = row[key]
        big = float(m1[3])  # W (sum of w, or of omega * 1 for fweights)
        mu = float(m1[1]) / big
        gc = 2.0 * float(m1[0]) / big - mu
        check(labels, mu)
        value, jac = jacobian(transform, np.array([mu, gc]))
        b_mu, a_gc = float(jac[0, 0]), float(jac[0, 1])
        coef = np.array([2 * a_gc, b_mu - a_gc, -2 * a_gc, a_gc * (mu - 2 * gc) - b_mu * mu]) / big
        nobs = float(row["_W"]) if (prep.weight_type == "fweight" and prep.weighted) \
            else float(row["_rows"])
        if se == "analytic":
            n_units = float(row["_W"]) if fw_units else float(row["_n"])
            s, q = float(coef @ m1), float(coef @ m2 @ coef)
            var = unit_variance(n_units, np.array([s]), np.array([q]))
            _warn_cancellation(float(np.abs(coef) @ np.abs(m2) @ np.abs(coef)),
                               float(var[0]) * (n_units - 1) / n_units, measure)
            std = float(np.sqrt(var[0]))
        else:
            std = float("nan")
        rows.append({**labels, "component": component, "estimate": float(value[0]),
                     "std_error": std, "nobs": nobs})
    table = _table(rows, by)
    return MeasureResult(measure=measure, table=table, se_method=se, by=tuple(by),
                         spec=MeasureSpec(measure=measure, by=tuple(by), se=se, options=params), main=component)


def gini(
    df: EngineTable,
    y: str,
    *,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    by: str | Sequence[str] | None = None,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    se: SeKind = "analytic",
    reps: int = 500,
    seed: int | np.random.Generator | None = None,
    correction: bool = False,
    progress: Any = None,
) -> MeasureResult:
    """Gini coefficient with an exact engine-side rank (window functions), on an engine table.

    Same arguments and result as :func:`disparity.gini`. Ranks are exact and tie-averaged
    (``SUM(w) OVER (PARTITION BY by ORDER BY y RANGE UNBOUNDED PRECEDING)`` minus half the tie
    group); no sketch or sample is used.

    Notes
    -----
    :math:`G = \\frac{2}{W\\mu}\\sum_k w_k y_k R_k - 1`,
    :math:`R_k = (\\sum_{i: y_i<y_k} w_i + \\tfrac12\\sum_{i: y_i=y_k} w_i)/W`. The influence
    function :math:`u_k = [u^{GC}_k - G(y_k-\\mu)/W]/\\mu` is linear in
    :math:`(y_k R_k, y_k, M_k/W, 1)` with :math:`M_k` the tie-averaged cumulative sum of
    :math:`w y`, so its variance needs only the 4×4 moment matrix of those features.

    References
    ----------
    Binder, D. A., & Kovacevic, M. S. (1995). Estimating some measures of income inequality from
    survey data. *Survey Methodology* 21, 137-145.
    Langel, M., & Tillé, Y. (2013). Variance estimation of the Gini index. *JRSS A* 176(2), 521-540.

    Examples
    --------
    >>> import warnings
    >>> df = dp.datasets.chifeng_survey()[["reimbursed", "urban", "income", "weight"]]
    >>> df = df.assign(urban=df["urban"].astype(str))
    >>> df.to_parquet("survey.parquet")
    >>> with warnings.catch_warnings():  # Ibis/DuckDB deprecation warnings
    ...     warnings.simplefilter("ignore")
    ...     t = dp.scale.read_parquet("survey.parquet")
    ...     r = dp.scale.gini(t, "income", weights="weight")
    >>> round(r.value, 4), round(r.std_error, 4)
    (0.348, 0.0047)
    """
    et = as_engine_table(df, "gini")
    se = _check_se("gini", se, reps, seed)
    prep = prepare(et, function="gini", numeric=[y], weights=weights, weight_type=weight_type,
                   by=by, cluster=cluster, design=design, se=se)
    yv = prep.t[y].cast("float64")
    n_bad = int((yv < 0).cast("int64").sum().execute())
    if n_bad:
        raise DataValueError(
            f"scale.gini: the Gini coefficient needs non-negative values of {y!r}, but {n_bad} "
            f"row(s) are negative, e.g.\n{examples(prep.t, yv < 0, [y])}\nFilter or recode them."
        )
    factor_box: dict[str, float] = {"f": 1.0}
    if correction:
        n = prep.t.aggregate(n=prep.t.count(), W=prep.w.sum()).to_pandas().iloc[0]
        if by:
            raise SpecificationError(
                "scale.gini: correction=True with by= is not supported on engine tables; run one "
                "call per group (filter the table) or use correction=False."
            )
        big_n = float(n["W"]) if (weight_type == "fweight" and weights) else float(n["n"])
        if big_n < 2:
            raise DataValueError("scale.gini: correction=True needs at least two observations.")
        factor_box["f"] = big_n / (big_n - 1.0)

    def check(labels: dict[str, Any], mu: float) -> None:
        if not mu > 0:
            raise DataValueError(
                f"scale.gini: the (weighted) mean of {y!r} is zero, so the Gini coefficient is "
                "undefined."
            )

    return _rank_index(
        "gini", et, prep, y, y, lambda t: factor_box["f"] * t[1] / t[0], "gini", cluster=cluster,
        se=se, params={"y": y, "correction": correction}, progress=_progress(et, progress),
        check=check,
    )



def concentration_index(
    df: EngineTable,
    y: str,
    rank: str,
    *,
    kind: CIKind = "standard",
    bounds: tuple[float, float] | None = None,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    by: str | Sequence[str] | None = None,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    se: SeKind = "analytic",
    reps: int = 500,
    seed: int | np.random.Generator | None = None,
    progress: Any = None,
) -> MeasureResult:
    """Concentration index of ``y`` by the exact fractional rank of ``rank``, on an engine table.

    Same arguments and result as :func:`disparity.concentration_index` (kinds "standard",
    "generalized", "wagstaff", "erreygers").

    Notes
    -----
    :math:`C = \\frac{2}{W\\mu}\\sum_k w_k y_k R_k - 1`, :math:`GC = \\mu C`; Wagstaff
    :math:`C^W = (b-a)\\mu C/((b-\\mu)(\\mu-a))`, Erreygers :math:`C^E = 4\\mu C/(b-a)`. Ranks by
    window functions as in :func:`gini`; standard errors from the same four-feature moments.

    References
    ----------
    Kakwani, N., Wagstaff, A., & van Doorslaer, E. (1997). Socioeconomic inequalities in health.
    *Journal of Econometrics* 77(1), 87-103.
    O'Donnell, O., van Doorslaer, E., Wagstaff, A., & Lindelow, M. (2008). *Analyzing Health
    Equity Using Household Survey Data*. World Bank, ch. 8.

    Examples
    --------
    >>> import warnings
    >>> df = dp.datasets.chifeng_survey()[["reimbursed", "urban", "income", "weight"]]
    >>> df = df.assign(urban=df["urban"].astype(str))
    >>> df.to_parquet("survey.parquet")
    >>> with warnings.catch_warnings():  # Ibis/DuckDB deprecation warnings
    ...     warnings.simplefilter("ignore")
    ...     t = dp.scale.read_parquet("survey.parquet")
    ...     r = dp.scale.concentration_index(t, "reimbursed", "income", weights="weight")
    >>> round(r.value, 4)
    0.0062
    """
    et = as_engine_table(df, "concentration_index")
    se = _check_se("concentration_index", se, reps, seed)
    check_option("kind", kind, CI_KINDS)
    numeric = [y] if rank == y else [y, rank]
    prep = prepare(et, function="concentration_index", numeric=numeric, weights=weights,
                   weight_type=weight_type, by=by, cluster=cluster, design=design, se=se)
    t = prep.t
    yv, rv = t[y].cast("float64"), t[rank].cast("float64")
    st = t.aggregate(rmin=rv.min(), rmax=rv.max(), ymin=yv.min(), ymax=yv.max()).to_pandas().iloc[0]
    if st["rmin"] == st["rmax"]:
        raise DataValueError(
            f"scale.concentration_index: the ranking variable {rank!r} has no variation (every "
            f"value is {st['rmin']:g}), so a fractional rank cannot order the population; choose "
            "another ranking variable."
        )
    b = None
    if kind in ("wagstaff", "erreygers"):
        if bounds is None:
            raise SpecificationError(
                f"scale.concentration_index: kind={kind!r} needs the outcome's bounds; pass "
                "bounds=(min, max), e.g. bounds=(0, 1) for a binary outcome."
            )
        lo, hi = (float(v) for v in bounds)
        if not lo < hi:
            raise SpecificationError(f"scale.concentration_index: bounds={bounds!r} must satisfy min < max.")
        if st["ymin"] < lo or st["ymax"] > hi:
            bad = (yv < lo) | (yv > hi)
            raise DataValueError(
                f"scale.concentration_index: {y!r} lies outside bounds ({lo:g}, {hi:g}), e.g.\n"
                f"{examples(t, bad, [y])}\nFix the bounds or the data."
            )
        b = (lo, hi)

    def check(labels: dict[str, Any], mu: float) -> None:
        if kind == "standard" and mu == 0:
            raise DataValueError(
                f"scale.concentration_index: the (weighted) mean of {y!r} is zero, so its standard "
                "concentration index is undefined; use kind='generalized'."
            )
        if kind == "wagstaff" and b is not None and not b[0] < mu < b[1]:
            raise DataValueError(
                f"scale.concentration_index: the mean of {y!r} equals a bound, so the Wagstaff "
                "index is undefined."
            )

    return _rank_index(
        "concentration_index", et, prep, y, rank, ci_transform(kind, b), kind, cluster=cluster,
        se=se, params={"y": y, "rank": rank, "kind": kind, "bounds": b},
        progress=_progress(et, progress), check=check,
    )
