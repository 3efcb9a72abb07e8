"""Financial protection: catastrophic payments, impoverishment, Kakwani progressivity."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._options import SeKind, WeightType
from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, SpecificationError
from ._engine import KernelOut, generalized_ci, rank_rows, run, totals_kernel_out
from ._result import MeasureResult
from ._weights import Sample, _as_list, prepare, require_values
from .concentration import check_rank_variation

__all__ = ["catastrophic", "impoverishment", "kakwani"]


def catastrophic(
    df: pd.DataFrame,
    oop: str,
    denominator: str,
    *,
    threshold: float,
    rank: str | None = None,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    by: str | Sequence[str] | None = None,
    design: SurveyDesign | ReplicateDesign | None = None,
    cluster: str | None = None,
    se: SeKind = "analytic",
    reps: int = 500,
    seed: int | np.random.Generator | None = None,
) -> MeasureResult:
    """Catastrophic health payments: headcount, overshoot and mean positive overshoot.

    Parameters
    ----------
    oop : str
        Out-of-pocket health payments.
    denominator : str
        Total consumption (threshold as a share of total spending) or capacity to pay, e.g.
        non-food spending (threshold as a share of capacity to pay). Must be > 0.
    threshold : float
        Share in (0, 1), e.g. 0.10 of total spending or 0.40 of capacity to pay.
    rank : str, optional
        Income/consumption column; adds the rank-weighted headcount and overshoot, which weight
        catastrophes among the poor more.
    weights, weight_type, by, design, cluster, se, reps, seed
        As in :func:`dp.gini <disparity.gini>`.

    Returns
    -------
    MeasureResult
        Components ``headcount``, ``overshoot``, ``mean_positive_overshoot`` and, with
        ``rank=``, ``headcount_rank_weighted``, ``overshoot_rank_weighted``, ``ci_headcount``,
        ``ci_overshoot`` (concentration indices of :math:`E` and :math:`O` by ``rank``).

    Notes
    -----
    With share :math:`s_k = oop_k/den_k`, :math:`E_k = 1(s_k > z)` and :math:`O_k = E_k (s_k - z)`:
    headcount :math:`H = \\bar E`, overshoot :math:`O = \\bar O`, mean positive overshoot
    :math:`MPO = O/H`; rank-weighted :math:`H^W = H(1 - C_E)` and :math:`O^W = O(1 - C_O)`.
    Influence functions follow from those of means and concentration indices (delta method).

    References
    ----------
    Wagstaff, A., & van Doorslaer, E. (2003). Catastrophe and impoverishment in paying for health
    care: with applications to Vietnam 1993-1998. *Health Economics* 12(11), 921-933.
    O'Donnell, O., van Doorslaer, E., Wagstaff, A., & Lindelow, M. (2008). *Analyzing Health Equity
    Using Household Survey Data*. World Bank, ch. 18.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.catastrophic(df, "oop", "income", threshold=0.1, weights="weight")
    >>> r.tidy()["estimate"].round(3).tolist()
    [0.097, 0.039, 0.397]
    """
    if not isinstance(threshold, int | float) or not 0 < threshold < 1:
        raise SpecificationError(
            f"catastrophic: threshold={threshold!r} must be a share strictly between 0 and 1, "
            "e.g. 0.10 (of total spending) or 0.40 (of capacity to pay)."
        )
    z = float(threshold)
    numeric = [oop, denominator] + ([rank] if rank and rank not in (oop, denominator) else [])
    sample = prepare(
        df, measure="catastrophic", numeric=numeric, weights=weights, weight_type=weight_type,
        by=by, design=design, cluster=cluster,
    )
    require_values(sample, denominator, positive=True, why="the payment share oop/denominator",
                   measure="catastrophic")
    require_values(sample, oop, nonnegative=True, why="catastrophic payments",
                   measure="catastrophic")
    if rank is not None:
        check_rank_variation(sample, rank, "catastrophic")
    names = ["headcount", "overshoot", "mean_positive_overshoot"]
    if rank is not None:
        names += ["headcount_rank_weighted", "overshoot_rank_weighted", "ci_headcount",
                  "ci_overshoot"]

    def kernel(s: Sample, w: np.ndarray, need_if: bool) -> KernelOut:
        share = s.data[oop] / s.data[denominator]
        e = (share > z).astype(float)
        o = e * (share - z)

        def f(t: np.ndarray) -> np.ndarray:
            big_w, te, to = t[0, 0], t[1, 0], t[2, 0]
            return np.array([te / big_w, to / big_w, to / te if te.real != 0 else np.nan])

        vals, inf, _, var = totals_kernel_out(f, [None, e, o], w, None, 1, names[:3], need_if,
                                              s.iid_variance and rank is None)
        if rank is None:
            return KernelOut(values=vals, names=names, influence=inf, variance=var)
        ranked = rank_rows(s.data[rank], w)
        extra_v = []
        extra_u = []
        for var, col in ((e, 0), (o, 1)):
            mu, gc, _, u_gc = generalized_ci(ranked, var[ranked.order], need_if)
            # H(1 - C) = H - GC: the rank-weighted index is the mean minus the generalized CI
            extra_v.append(mu - gc)
            if need_if:
                assert inf is not None and u_gc is not None  # need_if: the kernels returned influence functions
                back = np.empty_like(u_gc)
                back[ranked.order] = u_gc
                extra_u.append(inf[:, col] - back)
        cis = [(vals[0] - extra_v[0]) / vals[0] if vals[0] > 0 else np.nan,
               (vals[1] - extra_v[1]) / vals[1] if vals[1] > 0 else np.nan]
        values = np.concatenate((vals, extra_v, cis))
        influence = None
        if need_if:
            assert inf is not None  # need_if: the kernels returned influence functions
            ci_u = []
            for j in range(2):
                mean, rw = vals[j], extra_v[j]
                if mean > 0:
                    # C = (mean - rw)/mean = 1 - rw/mean
                    ci_u.append(-(extra_u[j] - rw / mean * inf[:, j]) / mean)
                else:
                    ci_u.append(np.full(s.n, np.nan))
            influence = np.column_stack([inf, *extra_u, *ci_u])
        return KernelOut(values=values, names=names, influence=influence)

    return run(
        "catastrophic", sample, kernel, se=se, reps=reps, seed=seed,
        params={"oop": oop, "denominator": denominator, "threshold": z, "rank": rank},
        by_cols=_as_list(by),
    )


def impoverishment(
    df: pd.DataFrame,
    consumption: str,
    oop: str,
    *,
    poverty_line: float | str,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    by: str | Sequence[str] | None = None,
    design: SurveyDesign | ReplicateDesign | None = None,
    cluster: str | None = None,
    se: SeKind = "analytic",
    reps: int = 500,
    seed: int | np.random.Generator | None = None,
) -> MeasureResult:
    """Poverty headcount and gap before and after out-of-pocket payments.

    Parameters
    ----------
    consumption : str
        Household consumption (or income) per head *gross* of health payments.
    oop : str
        Out-of-pocket health payments per head (same units).
    poverty_line : float or str
        The poverty line, or a column holding a line per row (e.g. by province).

    Returns
    -------
    MeasureResult
        Components ``headcount_pre``, ``headcount_post``, ``headcount_change`` (the poverty impact
        of payments), ``gap_pre``, ``gap_post``, ``gap_change`` (mean poverty gap in money),
        ``normalized_gap_pre``, ``normalized_gap_post``, ``normalized_gap_change`` (divided by the
        line).

    Notes
    -----
    Pre: :math:`H^{pre} = \\overline{1(x < z)}`, :math:`G^{pre} = \\overline{(z - x)1(x<z)}`; post:
    the same with :math:`x - oop`. Changes are differences of means, so their influence
    functions are differences of the means' influence functions.

    References
    ----------
    Wagstaff, A., & van Doorslaer, E. (2003). Catastrophe and impoverishment in paying for health
    care. *Health Economics* 12(11), 921-933.
    O'Donnell, O., van Doorslaer, E., Wagstaff, A., & Lindelow, M. (2008). *Analyzing Health Equity
    Using Household Survey Data*. World Bank, ch. 18.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.impoverishment(df, "income", "oop", poverty_line=6000, weights="weight")
    >>> r.tidy()["estimate"].round(4).tolist()[:3]  # headcount pre, post, change
    [0.0092, 0.0304, 0.0212]
    """
    line_col = poverty_line if isinstance(poverty_line, str) else None
    if line_col is None and (not isinstance(poverty_line, int | float) or not poverty_line > 0):
        raise SpecificationError(
            f"impoverishment: poverty_line={poverty_line!r} must be a positive number or a column name."
        )
    numeric = [consumption, oop] + ([line_col] if line_col else [])
    sample = prepare(
        df, measure="impoverishment", numeric=numeric, weights=weights, weight_type=weight_type,
        by=by, design=design, cluster=cluster,
    )
    require_values(sample, oop, nonnegative=True, why="out-of-pocket payments",
                   measure="impoverishment")
    if line_col:
        require_values(sample, line_col, positive=True, why="a poverty line",
                       measure="impoverishment")
    names = ["headcount_pre", "headcount_post", "headcount_change", "gap_pre", "gap_post",
             "gap_change", "normalized_gap_pre", "normalized_gap_post", "normalized_gap_change"]

    def kernel(s: Sample, w: np.ndarray, need_if: bool) -> KernelOut:
        x = s.data[consumption]
        zl = s.data[line_col] if line_col else np.full(s.n, float(poverty_line))
        post = x - s.data[oop]
        h_pre = (x < zl).astype(float)
        h_post = (post < zl).astype(float)
        g_pre = h_pre * (zl - x)
        g_post = h_post * (zl - post)
        h = [None, h_pre, h_post, g_pre, g_post, g_pre / zl, g_post / zl]

        def f(t: np.ndarray) -> np.ndarray:
            m = t[1:, 0] / t[0, 0]
            return np.array([m[0], m[1], m[1] - m[0], m[2], m[3], m[3] - m[2], m[4], m[5],
                             m[5] - m[4]])

        values, inf, _, var = totals_kernel_out(f, h, w, None, 1, names, need_if, s.iid_variance)
        return KernelOut(values=values, names=names, influence=inf, variance=var)

    return run(
        "impoverishment", sample, kernel, se=se, reps=reps, seed=seed,
        params={"consumption": consumption, "oop": oop, "poverty_line": poverty_line},
        by_cols=_as_list(by),
    )


def kakwani(
    df: pd.DataFrame,
    payment: str,
    income: str,
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
    """Kakwani progressivity index of a payment (premium, OOP, tax) with respect to income.

    Returns
    -------
    MeasureResult
        Components ``kakwani`` (:math:`K = C_{pay} - G_{inc}`), ``ci_payment`` and ``gini_income``.
        :math:`K > 0`: progressive (payments concentrated among the rich more than income);
        :math:`K < 0`: regressive.

    Notes
    -----
    Both indices use the same ranking by income (one sort); :math:`C_{pay}` is the concentration
    index of payments by income and :math:`G_{inc}` the Gini of income. The influence function of
    :math:`K` is the difference of the two influence functions, so the standard error accounts
    for their covariance.

    References
    ----------
    Kakwani, N. C. (1977). Measurement of tax progressivity: an international comparison.
    *Economic Journal* 87(345), 71-80.
    Wagstaff, A., et al. (1999). Equity in the finance of health care: some further international
    comparisons. *Journal of Health Economics* 18(3), 263-290.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.kakwani(df, "oop", "income", weights="weight")
    >>> r.tidy()["estimate"].round(3).tolist()
    [-0.461, -0.113, 0.348]
    """
    if payment == income:
        raise SpecificationError("kakwani: payment and income must be different columns.")
    sample = prepare(
        df, measure="kakwani", numeric=[payment, income], weights=weights,
        weight_type=weight_type, by=by, design=design, cluster=cluster,
    )
    require_values(sample, income, nonnegative=True, why="the Gini of income", measure="kakwani")
    check_rank_variation(sample, income, "kakwani")

    def kernel(s: Sample, w: np.ndarray, need_if: bool) -> KernelOut:
        ranked = rank_rows(s.data[income], w)
        out = []
        for col in (payment, income):
            mu, gc, u_mu, u_gc = generalized_ci(ranked, s.data[col][ranked.order], need_if)
            if mu == 0:
                raise DataValueError(f"kakwani: the mean of {col!r} is zero.")
            c = gc / mu
            out.append((c, None if u_gc is None or u_mu is None else (u_gc - c * u_mu) / mu))
        (c_pay, u_pay), (g_inc, u_inc) = out
        values = np.array([c_pay - g_inc, c_pay, g_inc])
        inf = (np.column_stack([u_pay - u_inc, u_pay, u_inc])
               if u_pay is not None and u_inc is not None else None)
        return KernelOut(values=values, names=["kakwani", "ci_payment", "gini_income"],
                         influence=inf, perm=ranked.order, w_perm=ranked.w)

    return run(
        "kakwani", sample, kernel, se=se, reps=reps, seed=seed,
        params={"payment": payment, "income": income}, by_cols=_as_list(by),
    )
