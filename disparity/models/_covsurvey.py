"""Survey (Taylor-linearisation and replicate) variances of model coefficients.

Part of :mod:`disparity.models.covariance` (re-exported there; split only to keep modules short):
the one survey variance of the package, :meth:`disparity.survey._core.BoundDesign.taylor_cov`,
which the measures use too.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, SpecificationError
from ._meat import IndexScores, blocks, cluster_sums, dense_scores

__all__ = ["survey_frames", "survey_data", "survey_meat", "replicate_refit_vcov", "replicate_ols_vcov"]


def survey_frames(
    design: SurveyDesign | ReplicateDesign | None, data: pd.DataFrame
) -> pd.DataFrame:
    """The rows a model is fitted on: the design's subpopulation (all rows without one).

    The variance still uses the whole design (:func:`survey_meat` with ``data=``), so a
    subpopulation is a domain, as R ``svyglm(design = subset(des, ...))`` and Stata
    ``svy, subpop():``.
    """
    if design is None or design.subpop is None:
        return data
    from ..survey._expr import evaluate_subpop

    mask = evaluate_subpop(design.subpop, data)
    if not mask.any():
        raise DataValueError(f"The subpopulation {design.subpop!r} has no rows.")
    return data.loc[mask]


def survey_data(
    design: SurveyDesign | ReplicateDesign | None, data: pd.DataFrame, formula: str,
    extra: list[str],
) -> pd.DataFrame:
    """The rows the design is formed on, for :func:`survey_meat`'s ``data=``.

    All rows under ``missing="domain"``; under "drop" the rows complete in the model's columns
    (``formula`` and ``extra``), inside the subpopulation or not: "drop" removes incomplete rows
    before the design is formed, and a subpopulation stays a domain of what is left (as the
    measures do).
    """
    if design is None or design.missing == "domain" or design.subpop is None:
        return data
    from .formula import required_columns

    cols = [c for c in dict.fromkeys([*required_columns(formula), *extra]) if c in data.columns]
    return data.loc[data[cols].notna().all(axis=1).to_numpy()] if cols else data


def _check_subpop(bound, rows: np.ndarray | None) -> None:  # noqa: ANN001
    """An estimator that was fitted outside the design's subpopulation must not get its SEs."""
    if bound.subpop is None:
        return
    inside = bound.subpop if rows is None else bound.subpop[rows]
    if not inside.all():
        raise SpecificationError(
            f"The design has a subpopulation ({bound.design.subpop!r}), but this estimator was fitted "
            "on rows outside it; it does not take subpopulations yet. Fit it on the subpopulation's "
            "rows with the full design's variance by using dp.ols/dp.logit/dp.probit/dp.ordered, "
            "or drop subpop= (e.g. analyse the domain with by=)."
        )


def _design_rows(frame: pd.DataFrame, data: pd.DataFrame) -> np.ndarray:
    if frame.index is data.index or frame.index.equals(data.index):
        return np.arange(data.shape[0])
    if not data.index.is_unique:
        raise DataValueError(
            "Survey variances with missing values (domain estimation) need a data frame with a "
            "unique index, to place the estimation rows in the design; call data.reset_index(drop=True)."
        )
    return data.index.get_indexer(frame.index)


def survey_meat(
    scores: np.ndarray | IndexScores,
    design: SurveyDesign | ReplicateDesign,
    frame: pd.DataFrame,
    *,
    data: pd.DataFrame | None = None,
) -> tuple[np.ndarray, float]:
    """Taylor-linearisation variance of the total of ``scores`` (rows of ``frame``), and its df.

    The one survey variance of the package (:meth:`disparity.survey._core.BoundDesign.taylor_cov`,
    also used by every measure): strata, multistage clusters, fpc per stage and the single-PSU
    rule of the design. With ``data`` (the full data the estimation rows ``frame`` were taken
    from) and ``design.missing="domain"``, rows of ``data`` outside the estimation sample stay in
    the design with zero scores (domain estimation, R ``svyglm``); otherwise the design is formed on
    ``frame`` alone; with a subpopulation under "drop", ``data`` are the complete rows
    (:func:`survey_data`) and the subpopulation is a domain of them. The df is #PSU − #strata ("stata") or R's ``degf`` of the estimation domain
    minus ``k − 1`` ("r").

    ``scores`` may be :class:`~disparity.models._meat.IndexScores`: when only the first stage
    contributes (no fpc above a later one), its unit totals are summed by row blocks and the
    variance is that of the totals, one row per unit, with no ``n x k`` array of scores.
    """
    from ..survey._core import bind

    if isinstance(design, ReplicateDesign):
        raise SpecificationError(
            "A replicate-weights design gives variances by refitting the estimator with each "
            "replicate weight; this variance (a sandwich of stacked scores, e.g. "
            "dp.twopart(suest=True)) has no replicate version. Use a dp.SurveyDesign here, or "
            "suest=False (each part refitted per replicate)."
        )
    if data is not None and (design.missing == "domain" or design.subpop is not None):
        bound = bind(design, data)
        rows = _design_rows(frame, data)
    else:
        bound = bind(design, frame)
        rows = None
    _check_subpop(bound, rows)
    if isinstance(scores, IndexScores):
        k = scores.k
        unit = _unit_totals(scores, bound, rows)
        meat = bound.taylor_cov(*unit) if unit else bound.taylor_cov(dense_scores(scores), rows)
    else:
        k = scores.shape[1]
        meat = bound.taylor_cov(scores, rows)
    w = bound.w if rows is None else bound.w[rows]
    dof = bound.degrees_of_freedom(rows if rows is not None else np.arange(bound.n), w)
    if design.df == "r":
        dof -= k - 1
    return meat, float(dof)


def _unit_totals(scores: IndexScores, bound, rows: np.ndarray | None  # noqa: ANN001
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """First-stage unit totals of ``scores`` and one design row of each unit (for ``taylor_cov``),
    by row blocks; None when a later stage contributes too (it needs the rows' own scores)."""
    if not bound.stages or bound.active_stages() != 1:
        return None
    stage = bound.stages[0]
    codes = stage.cluster if rows is None else stage.cluster[rows]
    n = scores.n
    if n == 0:
        return None
    totals = cluster_sums(scores, codes)
    rep = np.full(totals.shape[0], -1, dtype=np.intp)  # a row (position in the design) per unit
    for s, e in blocks(n):
        rep[codes[s:e]] = np.arange(s, e) if rows is None else rows[s:e]
    present = rep >= 0
    return totals[present], rep[present]


def replicate_refit_vcov(
    refit: Callable[[np.ndarray], np.ndarray],
    params: np.ndarray,
    design: ReplicateDesign,
    frame: pd.DataFrame,
    data: pd.DataFrame | None,
) -> tuple[np.ndarray, float]:
    """Replicate covariance of an estimator refitted with each replicate weight column.

    ``refit(w)`` returns the coefficients fitted with weights ``w`` on the rows of ``frame`` (the
    estimation sample); a replicate whose fit fails is left out with a warning (R ``na.omit``).
    The centre and scale are the design's (:meth:`BoundDesign.replicate_cov`), as R ``svyglm`` on
    a ``svrepdesign``.
    """
    from ..survey._core import bind

    full = data if data is not None else frame
    bound = bind(design, full)
    rows = _design_rows(frame, full)
    _check_subpop(bound, rows)
    rw = bound.replicate_weights(rows)
    thetas = np.full((rw.shape[1], params.shape[0]), np.nan)
    for r in range(rw.shape[1]):
        try:
            thetas[r] = refit(np.ascontiguousarray(rw[:, r]))
        except (DataValueError, np.linalg.LinAlgError):
            continue
    V = bound.replicate_cov(thetas, params)
    dof = bound.degrees_of_freedom(rows, bound.w[rows])
    if design.df == "r":
        dof -= params.shape[0] - 1
    return V, float(dof)


def replicate_ols_vcov(
    X: np.ndarray, resid: np.ndarray, design: ReplicateDesign, frame: pd.DataFrame,
    data: pd.DataFrame | None,
) -> tuple[np.ndarray, float]:
    """Replicate covariance of weighted least-squares coefficients, refitted exactly per replicate.

    With replicate weights :math:`w^{(r)}`, :math:`\\hat\\beta_r - \\hat\\beta =
    (X'W_rX)^{-1}X'W_r e` (``e`` the full-sample residuals), so no outcome is needed.
    """
    from ..survey._core import bind

    full = data if data is not None else frame
    bound = bind(design, full)
    rows = _design_rows(frame, full)
    _check_subpop(bound, rows)
    rw = bound.replicate_weights(rows)
    k = X.shape[1]
    deltas = np.full((rw.shape[1], k), np.nan)
    for r in range(rw.shape[1]):
        wr = rw[:, r]
        xtwx = X.T @ (X * wr[:, None])
        try:
            deltas[r] = np.linalg.solve(xtwx, X.T @ (wr * resid))
        except np.linalg.LinAlgError:
            continue
    V = bound.replicate_cov(deltas, np.zeros(k))
    dof = bound.degrees_of_freedom(rows, bound.w[rows])
    if design.df == "r":
        dof -= k - 1
    return V, float(dof)
