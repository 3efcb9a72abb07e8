"""Binary-outcome models (logit, probit) with pweights and robust, cluster or survey variances."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from .._options import VcovKind, WeightType, check_option
from ..design import SurveyDesign
from ..errors import DataValueError
from . import covariance as cv
from ._margins import AverageEffects, MeanLink
from ._ml import (
    INFORMATION_KINDS,
    Information,
    Prepared,
    check_formula,
    fit_glm,
    fit_stats,
    glm_bread,
    prepare,
    sandwich,
)
from .formula import categorical_outcome
from .results import ModelResult, ModelSpec, data_source

__all__ = ["logit", "probit", "BINARY_VCOV_KINDS"]

#: alias of ``covariance.FAMILY_VCOV["binary"]``
BINARY_VCOV_KINDS = cv.FAMILY_VCOV["binary"]
# A linear predictor this large means fitted probabilities of 0 or 1 to double precision.
SEPARATION_ETA = 35.0


def _separation(link: str) -> DataValueError:
    return DataValueError(
        f"Fitted {link} probabilities reach 0 or 1: the outcome is perfectly predicted for some "
        "observations (separation). Cross-tabulate the outcome with each regressor and drop or "
        "merge the regressors or categories involved."
    )


def _link(kind: str):
    """Mean, d mean/d eta and d2 mean/d eta2 for the logit or probit link."""
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


def _family(link: str) -> Any:
    import statsmodels.api as sm

    lk = sm.families.links.Logit() if link == "logit" else sm.families.links.Probit()
    return sm.families.Binomial(link=lk)


def binary_fit_stats(y: np.ndarray, mu: np.ndarray, w: np.ndarray, ll: float, k: int, nobs: int) -> dict[str, float]:
    """Fit statistics of a binary model: log likelihood, McFadden R², AIC, BIC and the count R²."""
    ybar = float(np.average(y, weights=w))
    ll0 = float(np.sum(w) * (ybar * np.log(ybar) + (1 - ybar) * np.log1p(-ybar)))
    out = fit_stats(ll, ll0, k, nobs)
    out["count_r2"] = float(np.average((mu >= 0.5) == (y == 1), weights=w))
    return out


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
    information: str,
    safe: bool,
) -> ModelResult:
    cv.check_vcov("binary", vcov)
    vcov, design_note = cv.design_default(design, vcov)
    check_option("information", information, INFORMATION_KINDS)
    data = categorical_outcome(check_formula(formula), data, binary=True)
    p = prepare(formula, data, weights=weights, weight_type=weight_type, vcov=vcov, cluster=cluster,
                design=design, safe=safe, kinds=BINARY_VCOV_KINDS)
    d, yv, X, names, w = p.design, p.y, p.X, p.names, p.w
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
    n, k = X.shape
    res = fit_glm(yv, X, _family(link), p, link)
    beta = np.asarray(res.params, dtype=float)
    eta = X @ beta
    if np.max(np.abs(eta)) > SEPARATION_ETA:
        raise _separation(link)
    mu = _link(link)(eta)[0]
    scores = np.asarray(res.model.score_obs(res.params), dtype=float)
    ll = float(res.llf)
    fstats = binary_fit_stats(yv, mu, w, ll, k, p.nobs)

    fit = _BinaryFit(
        link=link, formula=formula, p=p, res=res, X=X, yv=yv, beta=beta, mu=mu, scores=scores,
        fstats=fstats, names=names, design=design, design_note=design_note,
        information=information
    )
    return fit(vcov)


@dataclass(frozen=True, slots=True)
class _BinaryFit:
    """What ``with_vcov`` of a logit/probit needs (``result._refit``), as data: the estimation
    sample, the statsmodels fit (for the bread), the scores and the options. A new covariance
    recomputes the sandwich; a replicate design refits once per replicate weight."""

    link: Literal["logit", "probit"]
    formula: str
    p: Prepared
    res: Any
    X: np.ndarray
    yv: np.ndarray
    beta: np.ndarray
    mu: np.ndarray
    scores: np.ndarray
    fstats: dict[str, Any]
    names: list[str]
    design: SurveyDesign | None
    design_note: str | None
    information: str

    def __call__(self, kind: str, **kw: Any) -> ModelResult:
        (
            link, formula, p, res, X, yv, beta, mu, scores, fstats, names, design, design_note,
            information
        ) = (
            self.link, self.formula, self.p, self.res, self.X, self.yv, self.beta, self.mu,
            self.scores, self.fstats, self.names, self.design, self.design_note, self.information
        )
        d = p.design
        info = kw.get("information", information)
        bread = glm_bread(res, info)
        cl = kw.get("cluster", p.clist)
        cl = (cl,) if isinstance(cl, str) else tuple(cl or ())
        refit: Callable[[np.ndarray], np.ndarray] | None = None
        if kind == "survey":  # a replicate design refits with each replicate weight (R svyglm)
            def refit(wr: np.ndarray) -> np.ndarray:
                pr = dataclasses.replace(p, w=wr, w_given=wr, fweight=False)
                return np.asarray(fit_glm(yv, X, _family(link), pr, link).params, dtype=float)
        V, df_, notes, G, kind, cl = sandwich(kind, p, bread, scores, estimator=link,
                                              design=kw.get("design", design), cluster=cl,
                                              refit=refit, params=beta, family="binary")
        if design_note and kind == "survey" and kw.get("design", design) is design:
            notes.append(design_note)
        if link == "probit" and info == "eim":
            notes.append("Bread: expected information (as R's glm); Stata uses the observed (oim).")
        params = pd.Series(beta, index=names, name="estimate")
        spec = ModelSpec(
            estimator=link,
            formula=formula,
            vcov=kind,
            cluster=cl,
            weights=p.weights,
            weight_type=p.weight_type if p.weights else None,
            nobs=p.nobs,
            n_dropped=d.n_dropped,
            options={"information": info},
            notes=tuple(notes),
            data=data_source(p.data),
        )
        return ModelResult(
            params=params,
            cov=pd.DataFrame(V, index=names, columns=names),
            nobs=p.nobs,
            df=df_,
            spec=spec,
            raw=res,
            stats={**fstats, "n_clusters": G},
            extra={"X": X, "y": yv, "weights": p.w_given, "fitted": mu, "scores": scores,
                   "bread": bread},
            _refit=self,
            _effects=AverageEffects(p.frame, d.model_spec, names, MeanLink(link), p.w_given),
        )


def logit(
    formula: str,
    data: pd.DataFrame,
    *,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    vcov: VcovKind = "iid",
    cluster: str | Sequence[str] | None = None,
    design: SurveyDesign | None = None,
    information: Information = "oim",
    safe: bool = False,
) -> ModelResult:
    """Logistic regression by (pseudo-)maximum likelihood, fitted by statsmodels ``GLM``.

    Parameters
    ----------
    formula, data : str, DataFrame
        Outcome coded 0/1.
    weights, weight_type : optional
        pweights give pseudo-maximum-likelihood estimates; their variance is robust (HC0), clustered
        or design-based ("survey").
    vcov : {"iid", "HC0", "HC1", "cluster", "survey"}
        "iid" is the inverse information; "cluster" is CR with the :math:`G/(G-1)` factor only
        (Stata's ``vce(cluster)`` for ML estimators); "survey" needs ``design=``, and is what
        "iid" (the default) becomes when ``design=`` is given; a ``dp.ReplicateDesign`` refits the
        model with each replicate weight.
    information : {"oim", "eim"}
        Bread of every variance: the observed (Stata's default) or the expected information (R's
        ``glm``). They coincide for the logit link, which is canonical.

    Returns
    -------
    ModelResult
        ``marginal_effects(var)`` gives average marginal effects on the probability; ``glance()``
        carries the log likelihood, McFadden's pseudo R² (``pseudo_r2``), AIC, BIC and the count R²
        (share correctly classified at the 0.5 cut-off); ``raw`` is the statsmodels results object.

    Notes
    -----
    :math:`\\Pr(y=1\\mid x) = \\Lambda(x'\\beta)`, :math:`\\hat\\beta` maximises
    :math:`\\ell = \\sum_i w_i[y_i\\log\\Lambda_i + (1-y_i)\\log(1-\\Lambda_i)]` (statsmodels IRLS to a
    relative deviance change of 1e-13). Sandwich variances use :math:`B = I(\\hat\\beta)^{-1}` and
    scores :math:`s_i = w_i x_i (y_i - \\hat\\mu_i)`; survey variances linearise the score totals
    (Binder 1983), as ``survey::svyglm``. :math:`R^2_{McF} = 1 - \\ell/\\ell_0` with :math:`\\ell_0`
    the constant-only log likelihood; AIC :math:`= -2\\ell + 2k`, BIC :math:`= -2\\ell + k\\ln N`
    (Stata ``estat ic``).

    References
    ----------
    Binder, D. A. (1983). On the variances of asymptotically normal estimators from complex surveys.
    *International Statistical Review* 51, 279-292.
    McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior. In Zarembka (ed.),
    *Frontiers in Econometrics*, 105-142. Academic Press.
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
        information=information,
        safe=safe,
    )


def probit(
    formula: str,
    data: pd.DataFrame,
    *,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    vcov: VcovKind = "iid",
    cluster: str | Sequence[str] | None = None,
    design: SurveyDesign | None = None,
    information: Information = "oim",
    safe: bool = False,
) -> ModelResult:
    """Probit regression; options as :func:`logit`.

    Notes
    -----
    :math:`\\Pr(y=1\\mid x) = \\Phi(x'\\beta)`. By default (``information="oim"``) the bread of every
    variance is the inverse observed information (negative Hessian), as Stata's ``probit``;
    ``information="eim"`` uses the expected information
    :math:`\\sum_i w_i \\phi_i^2 x_i x_i'/[\\Phi_i(1-\\Phi_i)]` as R's ``glm``/``svyglm``. On the
    Spector-Mazzeo data the two differ by up to 3% in the standard errors.

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
        information=information,
        safe=safe,
    )
