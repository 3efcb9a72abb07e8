"""Gini coefficient, Lorenz curve and generalised Lorenz curve."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._dispatch import dispatches
from .._options import SeKind, WeightType, check_option
from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, SpecificationError
from ..specs import MeasureSpec
from ._engine import KernelOut, Ranked, fast_index, jacobian, rank_rows, rank_values, run
from ._result import CurveResult, MeasureResult
from ._variance import linearized_variance
from ._weights import Sample, _as_list, prepare, require_values

__all__ = ["gini", "lorenz", "curve_points"]

GiniRanks = Literal["midpoint", "convey"]
GINI_RANKS: tuple[str, ...] = ("midpoint", "convey")


@dispatches("gini")
def gini(
    df: pd.DataFrame,
    y: str,
    *,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    by: str | Sequence[str] | None = None,
    design: SurveyDesign | ReplicateDesign | None = None,
    cluster: str | None = None,
    se: SeKind = "analytic",
    reps: int = 500,
    seed: int | np.random.Generator | None = None,
    progress: bool = True,
    correction: bool = False,
    ranks: GiniRanks = "midpoint",
) -> MeasureResult:
    """Gini coefficient of ``y`` (plug-in convention), with standard error.

    Parameters
    ----------
    df : pandas.DataFrame
        The data, one row per unit.
    y : str
        Non-negative outcome column (income, spending, reimbursement).
    weights, weight_type : str, {"pweight", "aweight", "fweight"}
        Weight column and its meaning (see the package's weights vocabulary).
    by : str or list of str, optional
        Compute the index separately for each group; one row per group.
    design : dp.SurveyDesign or dp.ReplicateDesign, optional
        Survey design (it carries the weights: no ``weights=``); standard errors are then
        design-based (linearisation, PSU bootstrap, or the design's replicate weights), and
        ``by=`` groups, rows with missing values and the design's ``subpop`` are domains of the
        whole design (``SurveyDesign(missing="drop")`` for the old behaviour).
    cluster : str, optional
        Cluster column for cluster-robust standard errors (ignored with ``design=``).
    se : {"analytic", "delta", "bootstrap", "none"}
        ``"analytic"``/``"delta"``: influence-function (linearisation) variance;
        ``"bootstrap"``: ``reps`` resamples drawn with ``seed``.
    progress : bool
        With ``se="bootstrap"``, show a progress bar when the replicates are expected to take more
        than ~2 s (never in CI or when output is not a terminal or notebook); ``False`` turns it off.
    correction : bool
        Multiply by N/(N-1) (N: observations, or the sum of frequency weights), the small-sample
        correction that makes the Gini of unit weights equal the mean-difference form with n(n-1).
    ranks : {"midpoint", "convey"}
        Rank convention. "midpoint" (default): tie-averaged mid-point ranks, the formula below
        (pysal ``inequality``, Stata ``ineqdeco``, DASP). "convey": cumulative weights in sort order,
        :math:`G = \\sum_k w_k y_k (2 N_k - 1)/(W Y) - 1` with :math:`N_k = \\sum_{i \\le k} w_i`,
        the estimator of R ``convey::svygini`` (Langel & Tillé 2013), ties in data order. It
        equals the midpoint form for unit weights without ties; with sampling weights the two
        differ by :math:`\\sum_k w_k y_k (w_k - 1)/(WY)` (5-15% of the index on R's api data,
        where weights are large relative to the sample).

    Returns
    -------
    MeasureResult
        Component ``"gini"``.

    Notes
    -----
    With weights :math:`w_k`, total :math:`W`, mean :math:`\\mu` and tie-averaged fractional rank
    :math:`R_k = (\\sum_{i: y_i<y_k} w_i + \\tfrac12\\sum_{i: y_i=y_k} w_i)/W`,

    .. math:: G = \\frac{2}{W\\mu}\\sum_k w_k y_k R_k - 1
              = \\frac{1}{2 W^2 \\mu}\\sum_{i,j} w_i w_j |y_i - y_j|,

    the plug-in convention of pysal ``inequality`` and Stata ``ineqdeco`` (for n values
    :math:`\\{0,\\dots,0,1\\}` it equals :math:`(n-1)/n`). The influence function is the derivative of
    :math:`G` with respect to each weight (Binder & Kovacevic 1995; Langel & Tillé 2013):
    :math:`u_k = [u^{GC}_k - G (y_k - \\mu)/W]/\\mu` with :math:`u^{GC}` as in the concentration index
    (ranking by :math:`y` itself). Costs one sort and O(n) passes.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.gini(df, "income", weights="weight", by="urban")
    >>> r.tidy()["estimate"].round(4).tolist()  # 农村 (rural), 城镇 (urban)
    [0.2975, 0.3216]

    References
    ----------
    Binder, D. A., & Kovacevic, M. S. (1995). Estimating some measures of income inequality from
    survey data: an application of the estimating equations approach. *Survey Methodology* 21, 137-145.
    Langel, M., & Tillé, Y. (2013). Variance estimation of the Gini index: revisiting a result several
    times published. *JRSS A* 176(2), 521-540.
    O'Donnell, O., van Doorslaer, E., Wagstaff, A., & Lindelow, M. (2008). *Analyzing Health Equity
    Using Household Survey Data*. World Bank, ch. 8.
    """
    sample = prepare(
        df, measure="gini", numeric=[y], weights=weights, weight_type=weight_type, by=by,
        design=design, cluster=cluster,
    )
    check_option("ranks", ranks, GINI_RANKS)
    require_values(sample, y, nonnegative=True, why="the Gini coefficient", measure="gini")

    def kernel(s: Sample, w: np.ndarray, need_if: bool) -> KernelOut:
        if ranks == "convey":
            return _gini_convey_kernel(s.data[y], w, need_if, correction, s, y)
        return _gini_kernel(s.data[y], w, need_if, correction, s, y)

    params = {"y": y, "correction": correction}
    if ranks != "midpoint":
        params["ranks"] = ranks
    return run(
        "gini", sample, kernel, se=se, reps=reps, seed=seed, progress=progress, params=params, by_cols=_as_list(by),
    )


def _gini_convey_kernel(
    x: np.ndarray, w: np.ndarray, need_if: bool, correction: bool, s: Sample, name: str
) -> KernelOut:
    r"""The convey/Langel-Tillé estimator :math:`(2T_1 - T_2)/(T_2 T_3) - 1` and its influence.

    :math:`T_1 = \sum_k N_k y_k w_k` (cumulative weight in stable sort order, R's ``order``),
    :math:`T_2 = \sum w y`, :math:`T_3 = \sum w`; :math:`\partial T_1/\partial w_k = N_k y_k +
    \sum_{j \ge k} w_j y_j`.
    """
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    wy = ws * xs
    big_y = float(wy.sum())
    if not big_y > 0:
        raise DataValueError(
            f"gini: the (weighted) mean of {name!r} is zero, so the Gini coefficient is undefined."
        )
    cum_w = np.cumsum(ws)
    t1 = float(cum_w @ wy)
    factor = 1.0
    if correction:
        big_n = s.nobs()
        if big_n < 2:
            raise DataValueError("gini: correction=True needs at least two observations.")
        factor = big_n / (big_n - 1.0)
    value, jac = jacobian(
        lambda t: factor * ((2.0 * t[0] - t[1]) / (t[1] * t[2]) - 1.0),
        np.array([t1, big_y, float(ws.sum())]),
    )
    inf = None
    if need_if:
        tail = big_y - np.cumsum(wy) + wy  # sum_{j >= k} w_j y_j
        inf = jac[0, 0] * (cum_w * xs + tail) + jac[0, 1] * xs + jac[0, 2]
    return KernelOut(
        values=np.array([float(value[0])]), names=["gini"], influence=inf, perm=order, w_perm=ws,
    )


def _gini_kernel(
    x: np.ndarray, w: np.ndarray, need_if: bool, correction: bool, s: Sample, name: str
) -> KernelOut:
    if w is s.w and not s.weighted and (s.iid_variance or not need_if):
        ranked = rank_values(x)
    else:
        ranked = rank_rows(x, w)
    factor = 1.0
    if correction:
        big_n = s.nobs()
        if big_n < 2:
            raise DataValueError("gini: correction=True needs at least two observations.")
        factor = big_n / (big_n - 1.0)
    if not float(np.dot(w, x)) > 0:
        raise DataValueError(
            f"gini: the (weighted) mean of {name!r} is zero, so the Gini coefficient is undefined."
        )
    assert ranked.x is not None  # ranked without y=: the sorted values are kept in x
    g, _, _, inf = fast_index(ranked, ranked.x, lambda t: factor * t[1] / t[0], need_if)
    return KernelOut(
        values=np.array([g]), names=["gini"], influence=inf,
        perm=ranked.order, w_perm=ranked.w if ranked.order is not None else None,
    )


def ordinate_influence(
    ranked: Ranked, ys: np.ndarray, p: float, generalized: bool, own_rank: bool
) -> np.ndarray:
    """Influence function (sorted order) of the curve ordinate at population share ``p``.

    For :math:`N(p) = \\frac1W\\sum_k w_k y_k 1(R_k \\le p)` the estimated quantile adds
    :math:`-m(p)(1(R_k \\le p) - p)` (Bishop, Chow & Formby 1994): :math:`m(p)` is the mean of
    :math:`y` at the p-quantile of the ranking, the quantile itself for a Lorenz curve and a local
    mean (ranks within ±0.05) for a concentration curve. The shares curve is :math:`N(p)/\\mu`.
    """
    ws, big_w = ranked.w, ranked.total
    rk = ranked.mid / big_w
    below = rk <= p
    share_num = float(ws[below] @ ys[below]) / big_w
    if own_rank:
        m_p = float(ys[min(int(np.searchsorted(rk, p, side="left")), ys.size - 1)])
    else:
        window = np.abs(rk - p) <= 0.05
        m_p = float(ws[window] @ ys[window] / ws[window].sum()) if window.any() else share_num
    u = (ys * below - m_p * (below - p) - share_num) / big_w
    if generalized:
        return u
    mu = float(ws @ ys) / big_w
    return (u - share_num / mu * (ys - mu) / big_w) / mu


def replicate_ordinate_se(
    x: np.ndarray, y: np.ndarray, sample: Sample, grid: np.ndarray, generalized: bool
) -> np.ndarray:
    """Replicate-weight standard errors of curve ordinates on ``grid`` (curves recomputed per replicate)."""
    bound = sample.bound
    assert bound is not None and bound.replicate
    rw = bound.replicate_weights(sample.rows)
    thetas = np.full((rw.shape[1], grid.shape[0]), np.nan)
    for r in range(rw.shape[1]):
        wr = rw[:, r]
        if not wr.sum() > 0:
            continue
        try:
            v = curve_points(x, y, wr, None, generalized)
        except DataValueError:
            continue
        thetas[r] = np.interp(grid, v["p"].to_numpy(), v["ordinate"].to_numpy())
    centre = np.interp(grid, *(lambda v: (v["p"].to_numpy(), v["ordinate"].to_numpy()))(
        curve_points(x, y, sample.w, None, generalized)))
    out = np.sqrt(np.maximum(bound.replicate_cov(thetas, centre, diag=True), 0.0))
    out[grid == 0.0] = 0.0  # every curve starts at (0, 0)
    if not generalized:
        out[grid == 1.0] = 0.0  # and a shares curve ends at (1, 1)
    return out


def curve_points(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, points: int | None, generalized: bool,
    *, se_sample: Sample | None = None, own_rank: bool = True,
    domain: tuple[Sample, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Vertices (or a regular grid) of the curve of cumulative ``y`` against ranks by ``x``.

    On a grid (``points``) and with ``se_sample`` the ordinates get standard errors from
    :func:`ordinate_influence`, design-based through the sample (``domain``: the full sample and
    this group's rows, for a ``by=`` group of a survey design).
    """
    ranked = rank_rows(x, w)
    ws = ranked.w
    ys = y[ranked.order]
    wy = ws * ys
    n = ws.shape[0]
    ends = (np.append(ranked.starts[1:], n) - 1) if ranked.starts is not None else np.arange(n)
    cw = np.cumsum(ws)[ends]
    cy = np.cumsum(wy)[ends]
    total_w, total_y = cw[-1], cy[-1]
    p = np.concatenate(([0.0], cw / total_w))
    if generalized:
        ordinate = np.concatenate(([0.0], cy / total_w))
    else:
        if total_y == 0:
            raise DataValueError("the outcome sums to zero, so its cumulative shares are undefined.")
        ordinate = np.concatenate(([0.0], cy / total_y))
    if points is None:
        return pd.DataFrame({"p": p, "ordinate": ordinate})
    if not isinstance(points, int | np.integer) or points < 1:
        raise SpecificationError(f"points={points!r} must be a positive integer (grid size).")
    grid = np.linspace(0.0, 1.0, int(points) + 1)
    out = pd.DataFrame({"p": grid, "ordinate": np.interp(grid, p, ordinate)})
    if se_sample is not None and se_sample.replicate:
        out["std_error"] = replicate_ordinate_se(x, y, se_sample, grid, generalized)
    elif se_sample is not None:
        ses = np.zeros(grid.shape[0])
        for i, g in enumerate(grid[1:-1], start=1):
            u_sorted = ordinate_influence(ranked, ys, float(g), generalized, own_rank)
            u = np.empty_like(u_sorted)
            u[ranked.order] = u_sorted
            if domain is not None:
                full, rows = domain
                u_full = np.zeros(full.n)
                u_full[rows] = u
                var = linearized_variance(u_full, full)[0]
            else:
                var = linearized_variance(u, se_sample)[0]
            ses[i] = np.sqrt(max(var, 0.0))
        if generalized:  # the last ordinate is the mean, which has sampling error too
            u_mu = (y - total_y / total_w) / total_w
            if domain is not None:
                full, rows = domain
                u_full = np.zeros(full.n)
                u_full[rows] = u_mu
                ses[-1] = np.sqrt(linearized_variance(u_full, full)[0])
            else:
                ses[-1] = np.sqrt(linearized_variance(u_mu, se_sample)[0])
        out["std_error"] = ses
    return out


def _curve(
    curve: str, df: pd.DataFrame, y: str, rank: str | None, *, weights: str | None,
    weight_type: WeightType, by: str | Sequence[str] | None, points: int | None,
    generalized: bool, design: SurveyDesign | ReplicateDesign | None = None,
    cluster: str | None = None,
) -> CurveResult:
    numeric = [y] if rank is None or rank == y else [y, rank]
    sample = prepare(
        df, measure=curve, numeric=numeric, weights=weights, weight_type=weight_type, by=by,
        design=design, cluster=cluster,
    )
    if rank is None:
        require_values(sample, y, nonnegative=True, why="a Lorenz curve", measure=curve)
    by_cols = _as_list(by)
    frames = []
    parts: list[tuple[dict[Any, Any], Sample, np.ndarray | None]] = [({}, sample, None)]
    if sample.by_codes is not None and sample.by_levels is not None:  # set together by prepare()
        parts = []
        for g in range(sample.by_levels.shape[0]):
            rows = np.flatnonzero(sample.by_codes == g)
            parts.append((sample.by_levels.iloc[g].to_dict(), sample.subset(rows), rows))
    for labels, s, rows in parts:
        xr = s.data[rank if rank is not None else y]
        domain = (sample, rows) if (sample.design and rows is not None) else None
        pts = curve_points(xr, s.data[y], s.w, points, generalized, se_sample=s,
                           own_rank=rank is None or rank == y, domain=domain)
        for i, (col, val) in enumerate(labels.items()):
            pts.insert(i, col, val)
        frames.append(pts)
    return CurveResult(
        curve=curve, points=pd.concat(frames, ignore_index=True), by=tuple(by_cols),
        spec=MeasureSpec(measure=curve, by=tuple(by_cols), weights=sample.weights_name,
                         weight_type=sample.weight_type if sample.weighted else None,
                         options={"y": y, "rank": rank, "generalized": generalized}, data=sample.source),
    )


def lorenz(
    df: pd.DataFrame,
    y: str,
    *,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    by: str | Sequence[str] | None = None,
    design: SurveyDesign | ReplicateDesign | None = None,
    cluster: str | None = None,
    points: int | None = None,
    generalized: bool = False,
) -> CurveResult:
    """Lorenz curve (or generalised Lorenz curve) of ``y``.

    Parameters
    ----------
    weights, weight_type, by, design, cluster
        As in :func:`dp.gini <disparity.gini>`.
    points : int, optional
        Evaluate on the grid p = 0, 1/points, ..., 1 (linear interpolation between vertices),
        with a ``std_error`` column (influence function of the ordinate, design-based with
        ``design=``/``cluster=``; see :func:`ordinate_influence`); by default every vertex (one
        per distinct value of ``y``) is returned, without standard errors.
    generalized : bool
        Return the generalised Lorenz curve :math:`GL(p) = \\mu L(p)` (cumulative amount per head
        of the whole population) instead of cumulative shares.

    Notes
    -----
    Vertices are :math:`(\\sum_{i \\le k} w_i / W,\\ \\sum_{i\\le k} w_i y_i / \\sum_i w_i y_i)` after
    sorting by :math:`y`, one per distinct value, starting at (0, 0).

    References
    ----------
    Lorenz, M. O. (1905). Methods of measuring the concentration of wealth. *JASA* 9(70), 209-219.
    Shorrocks, A. F. (1983). Ranking income distributions. *Economica* 50(197), 3-17.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> c = dp.lorenz(df, "income", weights="weight", points=4)
    >>> c.tidy()["ordinate"].round(3).tolist()
    [0.0, 0.096, 0.262, 0.513, 1.0]
    """
    return _curve(
        "generalized_lorenz" if generalized else "lorenz", df, y, None, weights=weights,
        weight_type=weight_type, by=by, points=points, generalized=generalized, design=design,
        cluster=cluster,
    )

