"""Decomposition of the concentration index and need-standardised horizontal inequity."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._options import SeKind, WeightType
from ..design import ReplicateDesign, SurveyDesign
from ..errors import CollinearityError, DataValueError, SpecificationError
from ._engine import KernelOut, generalized_ci, rank_rows, run
from ._result import MeasureResult
from ._weights import Sample, _as_list, prepare
from .concentration import check_rank_variation

__all__ = ["ci_decomposition", "horizontal_inequity"]


def _wls(y: np.ndarray, x_cols: list[np.ndarray], w: np.ndarray, names: list[str], need_if: bool
         ) -> tuple[np.ndarray, np.ndarray | None]:
    """Weighted OLS of y on [1, x...]: coefficients and their influence (n, p) d beta / d w_k."""
    n = y.shape[0]
    design = np.column_stack([np.ones(n), *x_cols])
    sw = np.sqrt(w)
    xs = design * sw[:, None]
    rank = np.linalg.matrix_rank(xs)
    if rank < design.shape[1]:
        raise CollinearityError(
            f"the regressors {names} are perfectly collinear (or constant) in the data used; "
            "drop one of the collinear variables."
        )
    beta, *_ = np.linalg.lstsq(xs, y * sw, rcond=None)
    if not need_if:
        return beta, None
    xtwx_inv = np.linalg.inv(xs.T @ xs)
    resid = y - design @ beta
    return beta, (design * resid[:, None]) @ xtwx_inv


def _check_vars(covariates: Sequence[str], what: str, measure: str) -> list[str]:
    if isinstance(covariates, str):
        return [covariates]
    cov = list(covariates)
    if not cov and what == "need":
        raise SpecificationError(f"{measure}: give at least one {what} variable.")
    return cov


def ci_decomposition(
    df: pd.DataFrame,
    y: str,
    rank: str,
    covariates: Sequence[str],
    *,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    by: str | Sequence[str] | None = None,
    design: SurveyDesign | ReplicateDesign | None = None,
    cluster: str | None = None,
    se: SeKind = "analytic",
    reps: int = 500,
    seed: int | np.random.Generator | None = None,
) -> MeasureResult:
    """Decompose the concentration index of ``y`` into contributions of its determinants.

    Returns
    -------
    MeasureResult
        Components ``ci`` (the concentration index of ``y``), ``contribution[x]`` for each
        covariate and ``residual``; they add up exactly: ci = sum of contributions + residual.
        ``details`` lists, per covariate, the coefficient, mean, elasticity, its concentration
        index, the contribution and its percentage of ``ci``.

    Notes
    -----
    From the linear model :math:`y = \\alpha + \\sum_k \\beta_k x_k + \\varepsilon` (weighted least
    squares),

    .. math:: C = \\sum_k \\Big(\\frac{\\beta_k \\bar x_k}{\\mu}\\Big) C_k + \\frac{GC_\\varepsilon}{\\mu},

    elasticity times concentration index of each determinant plus a residual (Wagstaff, van
    Doorslaer & Watanabe 2003). Each contribution equals :math:`\\beta_k GC_k/\\mu`; its influence
    function combines that of :math:`\\hat\\beta` (:math:`(X'WX)^{-1}x_k e_k`), of the generalized
    concentration index of :math:`x_k` and of :math:`\\mu` (delta method), so standard errors
    account for the estimation of the regression.

    References
    ----------
    Wagstaff, A., van Doorslaer, E., & Watanabe, N. (2003). On decomposing the causes of health
    sector inequalities with an application to malnutrition inequalities in Vietnam. *Journal of
    Econometrics* 112(1), 207-223.
    O'Donnell, O., van Doorslaer, E., Wagstaff, A., & Lindelow, M. (2008). *Analyzing Health Equity
    Using Household Survey Data*. World Bank, ch. 13.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.ci_decomposition(df, "inpatient_cost", "income", ["age", "edu_years"], weights="weight")
    >>> r.tidy()["estimate"].round(4).tolist()
    [-0.0517, 0.0036, -0.0024, -0.0529]
    """
    cov = _check_vars(covariates, "covariate", "ci_decomposition")
    if not cov:
        raise SpecificationError("ci_decomposition: give at least one covariate.")
    if y in cov:
        raise SpecificationError(f"ci_decomposition: {y!r} cannot be its own covariate.")
    numeric = list(dict.fromkeys([y, rank, *cov]))
    sample = prepare(
        df, measure="ci_decomposition", numeric=numeric, weights=weights,
        weight_type=weight_type, by=by, design=design, cluster=cluster,
    )
    check_rank_variation(sample, rank, "ci_decomposition")
    names = ["ci"] + [f"contribution[{c}]" for c in cov] + ["residual"]

    def kernel(s: Sample, w: np.ndarray, need_if: bool) -> KernelOut:
        ranked = rank_rows(s.data[rank], w)
        order = ranked.order
        ys = s.data[y][order]
        xs = [s.data[c][order] for c in cov]
        beta, u_beta = _wls(ys, xs, ranked.w, cov, need_if)
        mu, gc_y, u_mu, u_gcy = generalized_ci(ranked, ys, need_if)
        if mu == 0:
            raise DataValueError(f"ci_decomposition: the mean of {y!r} is zero.")
        c_y = gc_y / mu
        contribs, infs, rows = [], [], []
        for j, (c, x) in enumerate(zip(cov, xs, strict=True)):
            mx, gcx, _, u_gcx = generalized_ci(ranked, x, need_if)
            b = beta[j + 1]
            contrib = b * gcx / mu
            contribs.append(contrib)
            rows.append({
                "variable": c, "coefficient": b, "mean": mx,
                "elasticity": b * mx / mu, "ci": gcx / mx if mx != 0 else np.nan,
                "contribution": contrib, "percent": 100 * contrib / c_y if c_y != 0 else np.nan,
            })
            if need_if:
                assert u_beta is not None and u_gcx is not None and u_mu is not None  # need_if: the kernels returned influence functions
                infs.append((gcx * u_beta[:, j + 1] + b * u_gcx) / mu - contrib * u_mu / mu)
        residual = c_y - sum(contribs)
        rows.append({"variable": "residual", "coefficient": np.nan, "mean": np.nan,
                     "elasticity": np.nan, "ci": np.nan, "contribution": residual,
                     "percent": 100 * residual / c_y if c_y != 0 else np.nan})
        influence = None
        if need_if:
            assert u_gcy is not None and u_mu is not None  # need_if: the kernels returned influence functions
            u_c = (u_gcy - c_y * u_mu) / mu
            influence = np.column_stack([u_c, *infs, u_c - sum(infs)])
        return KernelOut(values=np.array([c_y, *contribs, residual]), names=names,
                         influence=influence, perm=order, w_perm=ranked.w,
                         details=pd.DataFrame(rows))

    return run(
        "ci_decomposition", sample, kernel, se=se, reps=reps, seed=seed,
        params={"y": y, "rank": rank, "covariates": cov}, by_cols=_as_list(by),
    )


def horizontal_inequity(
    df: pd.DataFrame,
    y: str,
    rank: str,
    need: Sequence[str],
    nonneed: Sequence[str] = (),
    *,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    by: str | Sequence[str] | None = None,
    design: SurveyDesign | ReplicateDesign | None = None,
    cluster: str | None = None,
    se: SeKind = "analytic",
    reps: int = 500,
    seed: int | np.random.Generator | None = None,
) -> MeasureResult:
    """Horizontal inequity index: inequality in use left after standardising for need.

    Parameters
    ----------
    y : str
        Health-care use or benefit.
    rank : str
        Socioeconomic ranking variable.
    need : list of str
        Need variables (age-sex groups, health status).
    nonneed : list of str
        Control (non-need) variables (income, education, region): included in the regression
        but held at their means when predicting need-expected use.

    Returns
    -------
    MeasureResult
        Components ``hi`` (the horizontal inequity index), ``ci`` (concentration index of
        ``y``) and ``ci_need`` (of need-expected use), with hi = ci - ci_need.

    Notes
    -----
    Indirect standardisation (O'Donnell et al. 2008, ch. 5 and 15): estimate
    :math:`y = \\alpha + \\sum_j \\beta_j x_j + \\sum_k \\gamma_k z_k + \\varepsilon` by weighted least
    squares; need-expected use is :math:`\\hat y^X = \\hat\\alpha + \\sum_j \\hat\\beta_j x_j +
    \\sum_k \\hat\\gamma_k \\bar z_k`, whose mean equals :math:`\\mu`. Then

    .. math:: HI = C_y - C_{\\hat y^X} = \\frac{GC_y - \\sum_j \\hat\\beta_j GC_{x_j}}{\\mu},

    the concentration index of need-standardised use :math:`y - \\hat y^X + \\mu`. Standard errors
    come from the influence function (regression, generalized concentration indices and mean
    combined by the delta method).

    References
    ----------
    Wagstaff, A., & van Doorslaer, E. (2000). Measuring and testing for inequity in the delivery of
    health care. *Journal of Human Resources* 35(4), 716-733.
    O'Donnell, O., van Doorslaer, E., Wagstaff, A., & Lindelow, M. (2008). *Analyzing Health Equity
    Using Household Survey Data*. World Bank, ch. 15.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.horizontal_inequity(df, "inpatient_cost", "income", ["age"], ["edu_years"], weights="weight")
    >>> r.tidy()["estimate"].round(4).tolist()
    [-0.0553, -0.0517, 0.0036]
    """
    need_v = _check_vars(need, "need", "horizontal_inequity")
    non_v = _check_vars(nonneed, "nonneed", "horizontal_inequity")
    overlap = set(need_v) & set(non_v)
    if overlap:
        raise SpecificationError(
            f"horizontal_inequity: {sorted(overlap)} listed as both need and non-need variables."
        )
    if y in need_v or y in non_v:
        raise SpecificationError(f"horizontal_inequity: {y!r} cannot be a regressor of itself.")
    regs = need_v + non_v
    numeric = list(dict.fromkeys([y, rank, *regs]))
    sample = prepare(
        df, measure="horizontal_inequity", numeric=numeric, weights=weights,
        weight_type=weight_type, by=by, design=design, cluster=cluster,
    )
    check_rank_variation(sample, rank, "horizontal_inequity")
    names = ["hi", "ci", "ci_need"]

    def kernel(s: Sample, w: np.ndarray, need_if: bool) -> KernelOut:
        ranked = rank_rows(s.data[rank], w)
        order = ranked.order
        ys = s.data[y][order]
        xs = [s.data[c][order] for c in regs]
        beta, u_beta = _wls(ys, xs, ranked.w, regs, need_if)
        mu, gc_y, u_mu, u_gcy = generalized_ci(ranked, ys, need_if)
        if mu == 0:
            raise DataValueError(f"horizontal_inequity: the mean of {y!r} is zero.")
        c_y = gc_y / mu
        gc_need = 0.0
        u_gc_need = np.zeros(s.n) if need_if else None
        for j in range(len(need_v)):
            _, gcx, _, u_gcx = generalized_ci(ranked, xs[j], need_if)
            gc_need += beta[j + 1] * gcx
            if need_if:
                assert u_gc_need is not None and u_beta is not None and u_gcx is not None  # need_if: the kernels returned influence functions
                u_gc_need += gcx * u_beta[:, j + 1] + beta[j + 1] * u_gcx
        c_need = gc_need / mu
        influence = None
        if need_if:
            assert u_gcy is not None and u_mu is not None and u_gc_need is not None  # need_if: the kernels returned influence functions
            u_cy = (u_gcy - c_y * u_mu) / mu
            u_cn = (u_gc_need - c_need * u_mu) / mu
            influence = np.column_stack([u_cy - u_cn, u_cy, u_cn])
        return KernelOut(values=np.array([c_y - c_need, c_y, c_need]), names=names,
                         influence=influence, perm=order, w_perm=ranked.w)

    return run(
        "horizontal_inequity", sample, kernel, se=se, reps=reps, seed=seed,
        params={"y": y, "rank": rank, "need": need_v, "nonneed": non_v}, by_cols=_as_list(by),
    )
