"""Benefit incidence: who receives a benefit across the distribution of a ranking variable."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._options import SeKind, WeightType
from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, SpecificationError
from ._engine import KernelOut, generalized_ci, rank_rows, run, totals_kernel_out
from ._result import MeasureResult
from ._weights import Sample, _as_list, prepare
from .concentration import check_rank_variation

__all__ = ["benefit_incidence"]


def benefit_incidence(
    df: pd.DataFrame,
    benefit: str,
    rank: str,
    *,
    groups: int = 5,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    by: str | Sequence[str] | None = None,
    design: SurveyDesign | ReplicateDesign | None = None,
    cluster: str | None = None,
    se: SeKind = "analytic",
    reps: int = 500,
    seed: int | np.random.Generator | None = None,
) -> MeasureResult:
    """Distribution of a benefit (reimbursement, subsidy) over quantile groups of ``rank``.

    Parameters
    ----------
    benefit : str
        Benefit received per unit (e.g. insurance reimbursement).
    rank : str
        Ranking variable (income, consumption); quantile groups are formed from it.
    groups : int
        Number of quantile groups (5: quintiles, 10: deciles).
    by : str or list of str, optional
        Split the analysis, e.g. ``by="urban"``: quantiles and shares are then computed within
        each group, so every group's shares sum to 1.
    weights, weight_type, design, cluster, se, reps, seed
        As in :func:`dp.gini <disparity.gini>`.

    Returns
    -------
    MeasureResult
        Components ``concentration_index`` (of the benefit by ``rank``), then for each quantile
        ``q`` = 1..groups: ``share[q]`` (share of the total benefit; they sum to 1),
        ``mean[q]`` (benefit per head) and ``pop_share[q]``. ``details`` has the same as a table.

    Notes
    -----
    Unit :math:`k` belongs to quantile group :math:`q_k = \\min(\\lfloor R_k Q \\rfloor + 1, Q)` where
    :math:`R_k` is its tie-averaged fractional rank (so tied units share a group). Shares are
    :math:`\\sum_{k\\in q} w_k b_k / \\sum_k w_k b_k`. Analytic standard errors treat group membership
    as given (the usual benefit-incidence convention); ``se="bootstrap"`` re-forms the groups in
    each replicate.

    References
    ----------
    Demery, L. (2000). *Benefit Incidence: A Practitioner's Guide*. World Bank.
    O'Donnell, O., van Doorslaer, E., Wagstaff, A., & Lindelow, M. (2008). *Analyzing Health Equity
    Using Household Survey Data*. World Bank, ch. 14.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.benefit_incidence(df, "reimbursed", "income", weights="weight")
    >>> r.tidy()["estimate"].round(3).tolist()[:6]  # CI, then quintile shares
    [0.006, 0.186, 0.207, 0.197, 0.213, 0.197]
    """
    if not isinstance(groups, int) or groups < 2:
        raise SpecificationError(f"benefit_incidence: groups={groups!r} must be an integer >= 2.")
    if benefit == rank:
        raise SpecificationError("benefit_incidence: benefit and rank must be different columns.")
    sample = prepare(
        df, measure="benefit_incidence", numeric=[benefit, rank], weights=weights,
        weight_type=weight_type, by=by, design=design, cluster=cluster,
    )
    check_rank_variation(sample, rank, "benefit_incidence")
    q_labels = list(range(1, groups + 1))
    names = (["concentration_index"] + [f"share[{q}]" for q in q_labels]
             + [f"mean[{q}]" for q in q_labels] + [f"pop_share[{q}]" for q in q_labels])

    def kernel(s: Sample, w: np.ndarray, need_if: bool) -> KernelOut:
        ranked = rank_rows(s.data[rank], w)
        b_sorted = s.data[benefit][ranked.order]
        mu, gc, u_mu, u_gc = generalized_ci(ranked, b_sorted, need_if)
        if mu == 0:
            raise DataValueError(f"benefit_incidence: the total of {benefit!r} is zero.")
        ci = gc / mu
        q_sorted = np.minimum((ranked.mid / ranked.total * groups).astype(np.intp), groups - 1)

        def f(t: np.ndarray) -> np.ndarray:
            wq, bq = t[0], t[1]
            return np.concatenate((bq / bq.sum(), bq / wq, wq / wq.sum()))

        values, inf, totals, _ = totals_kernel_out(
            f, [None, b_sorted], ranked.w, q_sorted, groups, names[1:], need_if
        )
        influence = None
        if need_if:
            assert u_gc is not None and u_mu is not None and inf is not None  # need_if: the kernels returned influence functions
            u_ci = (u_gc - ci * u_mu) / mu
            influence = np.column_stack([u_ci, inf])
        details = pd.DataFrame({
            "quantile": q_labels,
            "pop_share": values[2 * groups:],
            "share": values[:groups],
            "mean": values[groups:2 * groups],
        })
        return KernelOut(values=np.concatenate(([ci], values)), names=names, influence=influence,
                         perm=ranked.order, w_perm=ranked.w, details=details)

    return run(
        "benefit_incidence", sample, kernel, se=se, reps=reps, seed=seed,
        params={"benefit": benefit, "rank": rank, "groups": groups}, by_cols=_as_list(by),
    )
