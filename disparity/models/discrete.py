"""Binary-outcome models (logit, probit) with pweights and robust, cluster or survey variances."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from .._options import WeightType, check_option
from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, SpecificationError
from . import covariance as cv
from ._margins import average_effects
from ._solver import solve_lstsq
from .formula import build_design, categorical_outcome
from .linear import prepare_weights, resolve_design
from .results import ModelResult, ModelSpec

__all__ = ["logit", "probit", "BINARY_VCOV_KINDS"]

BINARY_VCOV_KINDS = ("iid", "HC0", "HC1", "cluster", "survey")
# Newton/Fisher scoring stops when the largest step is below this (relative to the coefficient).
CONVERGENCE_TOL = 1e-12
MAX_ITER = 100
# A linear predictor this large means fitted probabilities of 0 or 1 to double precision.
SEPARATION_ETA = 35.0


def _separation(link: str) -> DataValueError:
    return DataValueError(
        f"Fitted {link} probabilities reach 0 or 1: the outcome is perfectly predicted for some "
        "observations (separation). Cross-tabulate the outcome with each regressor and drop or "
        "merge the regressors or categories involved."
    )


def _link(kind: str):
    """Mean, d mean/d eta, d2 mean/d eta2 and the Fisher weight for the logit or probit link."""
    if kind == "logit":

        def parts(eta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            mu = special.expit(eta)
            d1 = mu * (1 - mu)
            return mu, d1, d1 * (1 - 2 * mu)

    else:

        def parts(eta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            mu = special.ndtr(eta)
            d1 = stats.norm.pdf(eta)
            return mu, d1, -eta * d1

    return parts


def _fit_binary(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, link: str, names: list[str], intercept: int | None
):
    """Maximum likelihood by Fisher scoring, each step an accurate weighted least-squares solve."""
    parts = _link(link)
    start = solve_lstsq(
        X,
        (y - 0.5) * (4 if link == "logit" else 2.5),
        names=names,
        weights=w,
        intercept=intercept,
        warn=False,
    )
    beta = start.params
    for _ in range(MAX_ITER):
        eta = X @ beta
        if np.max(np.abs(eta)) > SEPARATION_ETA:
            raise _separation(link)
        mu, d1, _ = parts(eta)
        mu = np.clip(mu, 1e-300, 1 - 1e-16)
        var = mu * (1 - mu)
        fw = w * d1 * d1 / var
        z = eta + (y - mu) / d1
        sol = solve_lstsq(X, z, names=names, weights=fw, intercept=None, warn=False)
        step = sol.params - beta
        beta = sol.params
        if np.max(np.abs(step) / np.maximum(np.abs(beta), 1.0)) < CONVERGENCE_TOL:
            break
    else:
        raise DataValueError(
            f"The {link} likelihood did not converge in {MAX_ITER} iterations; this usually means a "
            "regressor predicts the outcome perfectly (separation). Check cross-tabulations of the "
            "outcome with each dummy and drop or merge the offending categories."
        )
    eta = X @ beta
    mu, d1, _ = parts(eta)
    if np.max(np.abs(eta)) > SEPARATION_ETA:
        raise _separation(link)
    var = mu * (1 - mu)
    info_w = w * d1 * d1 / var
    info = (X * info_w[:, None]).T @ X
    bread = np.linalg.inv(info)
    scores = X * (w * (y - mu) * d1 / var)[:, None]
    ll = float(np.sum(w * (y * np.log(mu) + (1 - y) * np.log1p(-mu))))
    return beta, bread, scores, ll, mu


def _binary(
    link: Literal["logit", "probit"],
    formula: str,
    data: pd.DataFrame,
    *,
    weights: str | None,
    weight_type: str,
    vcov: str,
    cluster: str | Sequence[str] | None,
    design: SurveyDesign | None,
    safe: bool,
) -> ModelResult:
    check_option("vcov", vcov, BINARY_VCOV_KINDS)
    weights, weight_type = resolve_design(design, weights, weight_type, vcov)
    clist = () if cluster is None else ((cluster,) if isinstance(cluster, str) else tuple(cluster))
    extra = [c for c in [weights, *clist, *(design.columns() if design else [])] if c]
    data = categorical_outcome(formula, data, binary=True)
    d = build_design(formula, cv.survey_frames(design, data), extra=extra, safe=safe)
    yv = d.y.to_numpy()
    values = set(np.unique(yv).tolist())
    if not values <= {0.0, 1.0}:
        bad = sorted(values - {0.0, 1.0})[:5]
        raise DataValueError(
            f"{link} needs a binary outcome coded 0/1, but {d.y.name!r} also takes the values {bad}. "
            f"Recode it (e.g. (y > threshold)) or use dp.ordered for ordered categories."
        )
    if len(values) < 2:
        raise DataValueError(
            f"The outcome {d.y.name!r} takes a single value; there is nothing to model."
        )
    n, k = d.X.shape
    if n <= k:
        raise DataValueError(f"Too few observations: {n} complete rows for {k} coefficients.")
    w_given = prepare_weights(data, weights, weight_type, d.index)
    w = np.ones(n) if w_given is None else w_given
    names = list(d.X.columns)
    X = d.X.to_numpy()
    beta, bread, scores, ll, mu = _fit_binary(X, yv, w, link, names, d.intercept)
    codes = cv.cluster_codes(data, list(clist), d.index) if clist else None
    frame = data.loc[d.index]
    fw = w_given is not None and weight_type == "fweight"
    nobs = int(round(w.sum())) if fw else n

    def build(kind: str, **kw: Any) -> ModelResult:
        kind = check_option("vcov", kind, BINARY_VCOV_KINDS)
        notes: list[str] = []
        if w_given is not None and weight_type == "pweight" and kind == "iid":
            kind = "HC0"
            notes.append("pweights: robust (sandwich) variance, as Stata does.")
        cl = kw.get("cluster", clist)
        cl = (cl,) if isinstance(cl, str) else tuple(cl or ())
        cds = codes if cl == clist else (cv.cluster_codes(data, list(cl), d.index) if cl else None)
        df_: float | None = None
        if kind == "iid":
            V = bread.copy()
        elif kind in ("HC0", "HC1"):
            # fweights replicate rows: each replicate contributes (s_i / w_i)(s_i / w_i)'.
            meat = (scores / w[:, None]).T @ scores if fw else scores.T @ scores
            V = bread @ meat @ bread * ((nobs / (nobs - k)) if kind == "HC1" else 1.0)
        elif kind == "cluster":
            if not cds:
                raise SpecificationError("vcov='cluster' needs cluster=.")
            if len(cds) != 1:
                raise SpecificationError(
                    f"{link}: vcov='cluster' supports one clustering variable."
                )
            G = int(cds[0].max()) + 1
            S = np.zeros((G, k))
            cv._group_sum(S, scores, cds[0])
            V = bread @ (S.T @ S) @ bread * (G / (G - 1))
            df_ = None
            notes.append(
                f"Cluster-robust variance with G/(G-1) correction, {G} clusters (as Stata and sandwich::vcovCL type HC0)."
            )
            if G < cv.FEW_CLUSTERS:
                notes.append(cv.few_clusters_note(G))
        else:
            dsn = cv.check_survey_refit(kw.get("design", design), weights)
            if isinstance(dsn, ReplicateDesign):  # refit with each replicate weight (R svyglm)
                V, df_ = cv.replicate_refit_vcov(
                    lambda wr: _fit_binary(X, yv, wr, link, names, d.intercept)[0],
                    beta, dsn, frame, data,
                )
            else:
                meat, dof = cv.survey_meat(scores, dsn, frame, data=data)
                V = bread @ meat @ bread
                df_ = dof
        params = pd.Series(beta, index=names, name="estimate")
        spec = ModelSpec(
            estimator=link,
            formula=formula,
            vcov=kind,
            cluster=cl,
            weights=weights,
            weight_type=weight_type if weights else None,
            nobs=nobs,
            n_dropped=d.n_dropped,
            notes=tuple(notes),
        )
        return ModelResult(
            params=params,
            cov=pd.DataFrame(V, index=names, columns=names),
            nobs=nobs,
            df=df_,
            spec=spec,
            raw={
                "X": X,
                "y": yv,
                "weights": w_given,
                "fitted": mu,
                "scores": scores,
                "bread": bread,
            },
            stats={"loglik": ll, "n_clusters": (int(cds[0].max()) + 1) if cds else None},
            _refit=build,
            _effects=lambda res, var, at, level: average_effects(
                res,
                var,
                at,
                level,
                frame=frame,
                model_spec=d.model_spec,
                columns=names,
                link=lambda eta: _link(link)(eta)[1:],
                weights=w_given,
            ),
        )

    return build(vcov)


def logit(
    formula: str,
    data: pd.DataFrame,
    *,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    vcov: str = "iid",
    cluster: str | Sequence[str] | None = None,
    design: SurveyDesign | None = None,
    safe: bool = False,
) -> ModelResult:
    """Logistic regression by (pseudo-)maximum likelihood.

    Parameters
    ----------
    formula, data : str, DataFrame
        Outcome coded 0/1.
    weights, weight_type : optional
        pweights give pseudo-maximum-likelihood estimates; their variance is robust (HC0), clustered
        or design-based ("survey").
    vcov : {"iid", "HC0", "HC1", "cluster", "survey"}
        "iid" is the inverse information; "cluster" is CR with the :math:`G/(G-1)` factor only
        (Stata's ``vce(cluster)`` for ML estimators); "survey" needs ``design=``.

    Returns
    -------
    ModelResult
        ``marginal_effects(var)`` gives average marginal effects on the probability.

    Notes
    -----
    :math:`\\Pr(y=1\\mid x) = \\Lambda(x'\\beta)`, :math:`\\hat\\beta` maximises
    :math:`\\sum_i w_i[y_i\\log\\Lambda_i + (1-y_i)\\log(1-\\Lambda_i)]` (Fisher scoring, each step
    solved by the accurate least-squares solver). Sandwich variances use
    :math:`B = I(\\hat\\beta)^{-1}` and scores :math:`s_i = w_i x_i (y_i - \\hat\\mu_i)`; survey variances
    linearise the score totals (Binder 1983), as ``survey::svyglm``.

    References
    ----------
    Binder, D. A. (1983). On the variances of asymptotically normal estimators from complex surveys.
    *International Statistical Review* 51, 279-292.
    Wooldridge, J. M. (2010). *Econometric Analysis of Cross Section and Panel Data*, ch. 15. MIT Press.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> df["inp"] = (df["inpatient"] == "是").astype(int)
    >>> r = dp.logit("inp ~ age + C(urban)", df)
    >>> r.tidy()["estimate"].round(3).tolist()
    [-3.803, 0.037, 0.099]
    >>> round(float(r.marginal_effects("age").table["estimate"].iloc[0]), 4)
    0.0045
    """
    return _binary(
        "logit",
        formula,
        data,
        weights=weights,
        weight_type=weight_type,
        vcov=vcov,
        cluster=cluster,
        design=design,
        safe=safe,
    )


def probit(
    formula: str,
    data: pd.DataFrame,
    *,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    vcov: str = "iid",
    cluster: str | Sequence[str] | None = None,
    design: SurveyDesign | None = None,
    safe: bool = False,
) -> ModelResult:
    """Probit regression; options as :func:`logit`.

    Notes
    -----
    :math:`\\Pr(y=1\\mid x) = \\Phi(x'\\beta)`. The bread of sandwich variances is the expected
    information :math:`\\sum_i w_i \\phi_i^2 x_i x_i'/[\\Phi_i(1-\\Phi_i)]` (as R's ``glm``/``svyglm``;
    Stata uses the observed Hessian, which differs slightly away from the optimum's expectation).

    References
    ----------
    Wooldridge, J. M. (2010). *Econometric Analysis of Cross Section and Panel Data*, ch. 15. MIT Press.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> df["inp"] = (df["inpatient"] == "是").astype(int)
    >>> dp.probit("inp ~ age + C(urban)", df).tidy()["estimate"].round(3).tolist()
    [-2.141, 0.02, 0.049]
    """
    return _binary(
        "probit",
        formula,
        data,
        weights=weights,
        weight_type=weight_type,
        vcov=vcov,
        cluster=cluster,
        design=design,
        safe=safe,
    )
