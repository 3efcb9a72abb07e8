"""Generalised linear models (gamma, Poisson, inverse-Gaussian, Gaussian): IRLS by row blocks
(:mod:`disparity.models._glmfit`) with statsmodels' GLM families, links and results."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._options import VcovKind, WeightType, check_option
from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, SpecificationError
from ._glmfit import fit_glm_blocked, glm_results
from ._margins import AverageEffects, MeanLink
from ._ml import GLM_MAXITER, GlmBread, Information, Prepared, fit_stats, ml_result, prepare
from .results import ModelResult

__all__ = ["glm", "GLM_FAMILIES", "GLM_LINKS"]

Family = Literal["gaussian", "gamma", "poisson", "inverse_gaussian"]
Link = Literal["identity", "log", "inverse", "inverse_squared"]
GLM_FAMILIES: tuple[str, ...] = ("gaussian", "gamma", "poisson", "inverse_gaussian")
GLM_LINKS: tuple[str, ...] = ("identity", "log", "inverse", "inverse_squared")
CANONICAL = {"gaussian": "identity", "gamma": "inverse", "poisson": "log",
             "inverse_gaussian": "inverse_squared"}


def sm_family(family: str, link: str) -> Any:
    """The statsmodels family object for ``family`` with ``link``."""
    import statsmodels.api as sm

    lk = {"identity": sm.families.links.Identity, "log": sm.families.links.Log,
          "inverse": sm.families.links.InversePower,
          "inverse_squared": sm.families.links.InverseSquared}[link]()
    cls = {"gaussian": sm.families.Gaussian, "gamma": sm.families.Gamma,
           "poisson": sm.families.Poisson, "inverse_gaussian": sm.families.InverseGaussian}[family]
    return cls(link=lk)


def mean_derivatives(link: str):
    """``eta -> (d mu/d eta, d2 mu/d eta2)`` for the inverse of ``link`` (marginal effects)."""
    return MeanLink(check_option("link", link, GLM_LINKS))  # data, not a closure: results keep it


def check_outcome(y: np.ndarray, family: str, name: str) -> None:
    """Outcome values the family's likelihood allows."""
    if family in ("gamma", "inverse_gaussian") and np.any(y <= 0):
        bad = np.unique(y[y <= 0])[:5].tolist()
        raise DataValueError(
            f"family={family!r} needs a strictly positive outcome, but {name!r} takes the values "
            f"{bad}; model the zeros separately (dp.twopart) or use family='poisson' (quasi-likelihood)."
        )
    if family == "poisson" and np.any(y < 0):
        raise DataValueError(
            f"family='poisson' needs a non-negative outcome; {name!r} has negative values."
        )


def _glm_fit(p: Prepared, family: str, link: str, offset: np.ndarray | None, label: str) -> Any:
    """IRLS by row blocks, then statsmodels' ``GLMResults`` at the estimates (no iteration)."""
    check_outcome(p.y, family, str(p.design.y.name))
    fam = sm_family(family, link)
    beta, info = fit_glm_blocked(p.X, p.y, p.w_given, offset, fam, label, GLM_MAXITER)
    return glm_results(p.y, p.X, fam, p.w, p.fweight, offset, beta, info)


def offset_column(p: Prepared, data: pd.DataFrame, offset: str | None, exposure: str | None) -> np.ndarray | None:
    """``offset`` as given, or the log of ``exposure`` (Stata's ``exposure()``), on the fit rows."""
    if offset is not None and exposure is not None:
        raise SpecificationError("Give offset= or exposure=, not both (exposure=x is offset=log(x)).")
    col = offset if offset is not None else exposure
    if col is None:
        return None
    if not isinstance(col, str) or col not in data.columns:
        raise SpecificationError(f"{'offset' if offset else 'exposure'}={col!r} must name a column of the data.")
    v = pd.to_numeric(p.frame[col], errors="coerce").to_numpy(float)
    if not np.all(np.isfinite(v)) or (exposure is not None and np.any(v <= 0)):
        raise DataValueError(
            f"Column {col!r} must be finite{' and positive (its log is the offset)' if exposure else ''} "
            "on every estimation row."
        )
    return np.log(v) if exposure is not None else v


def glm(
    formula: str,
    data: pd.DataFrame,
    *,
    family: Family = "gaussian",
    link: Link | None = None,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    vcov: VcovKind = "iid",
    cluster: str | Sequence[str] | None = None,
    design: SurveyDesign | ReplicateDesign | None = None,
    offset: str | None = None,
    exposure: str | None = None,
    information: Information = "oim",
    safe: bool = False,
) -> ModelResult:
    """Generalised linear model, e.g. a gamma model with log link for medical spending.

    Parameters
    ----------
    formula, data : str, DataFrame
    family : {"gaussian", "gamma", "poisson", "inverse_gaussian"}
    link : {"identity", "log", "inverse", "inverse_squared"}, optional
        Default: the canonical link (identity, inverse, log, inverse squared), as R and Stata.
    weights, weight_type, vcov, cluster, design
        As :func:`disparity.logit`; ``vcov`` in "iid", "HC0", "HC1", "cluster", "survey".
    offset, exposure : str, optional
        A column added to the linear predictor, or one whose log is (Stata's ``exposure()``).
    information : {"oim", "eim"}
        Bread of every variance: observed (Stata's ``glm`` default) or expected information (R's
        ``glm``); equal for canonical links.

    Returns
    -------
    ModelResult
        ``raw`` is the statsmodels ``GLMResults``; ``glance()`` has the deviance, Pearson χ², the
        dispersion (``scale``), log likelihood, AIC and BIC; ``marginal_effects(var)`` gives average
        marginal effects on the mean.

    Notes
    -----
    :math:`g(E[y\\mid x]) = x'\\beta`, :math:`\\operatorname{Var}(y\\mid x) = \\phi V(\\mu)`; IRLS (Fisher
    scoring) from statsmodels' starting means, by row blocks, until the steps reach rounding;
    ``raw`` is statsmodels' ``GLMResults`` at the estimates. Our own iteration, because it is
    measurably better: a gamma-log fit on 20,000 rows takes 10 ms of CPU against 23 ms for
    statsmodels' IRLS (``benchmarks/bench_versions.py``), and it stops at rounding where
    statsmodels' deviance rule can stop a non-canonical link up to ~1e-11 short. The dispersion is :math:`\\hat\\phi = \\sum_i w_i (y_i -
    \\hat\\mu_i)^2/V(\\hat\\mu_i) / (N-k)` (Pearson; R and Stata), fixed at 1 for Poisson. "iid" is
    :math:`\\hat\\phi I(\\hat\\beta)^{-1}`; sandwich variances use the scores
    :math:`s_i = w_i x_i (y_i-\\hat\\mu_i)/[V(\\hat\\mu_i) g'(\\hat\\mu_i)]` and do not depend on
    :math:`\\hat\\phi`. pweights and aweights enter as prior (variance) weights, fweights as
    replication counts. The log likelihood is statsmodels' (at :math:`\\hat\\phi`, as Stata), AIC
    :math:`= -2\\ell + 2k` and BIC :math:`= -2\\ell + k\\ln N` (``estat ic``).

    References
    ----------
    McCullagh, P. & Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed. Chapman & Hall.
    Manning, W. G. & Mullahy, J. (2001). Estimating log models: to transform or not to transform?
    *Journal of Health Economics* 20(4), 461-494.
    Hardin, J. W. & Hilbe, J. M. (2018). *Generalized Linear Models and Extensions*, 4th ed. Stata Press.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> pos = df[df["oop"] > 0]
    >>> r = dp.glm("oop ~ age + C(urban)", pos, family="gamma", link="log")
    >>> r.tidy()["estimate"].round(3).tolist()
    [8.753, 0.002, -0.553]
    """
    check_option("family", family, GLM_FAMILIES)
    link_: str = CANONICAL[family] if link is None else link
    check_option("link", link_, GLM_LINKS)
    p = prepare(formula, data, weights=weights, weight_type=weight_type, vcov=vcov, cluster=cluster,
                design=design, safe=safe,
                extra_columns=[c for c in (offset, exposure) if isinstance(c, str)])
    off = offset_column(p, data, offset, exposure)
    res = _glm_fit(p, family, link_, off, f"{family} GLM")
    beta = np.asarray(res.params, dtype=float)
    k = len(beta)
    scores = np.asarray(res.model.score_obs(res.params), dtype=float)
    stats: dict[str, Any] = fit_stats(float(res.llf), None, k, p.nobs)
    stats.update({"deviance": float(res.deviance), "pearson_chi2": float(res.pearson_chi2),
                  "scale": float(res.scale)})
    d = p.design
    return ml_result(
        p,
        estimator=f"glm_{family}",
        formula=formula,
        params=beta,
        names=p.names,
        bread=GlmBread(res),
        scores=scores,
        vcov=vcov,
        design=design,
        information=information,
        stats=stats,
        raw=res,
        extra={"X": p.X, "y": p.y, "weights": p.w_given, "fitted": np.asarray(res.fittedvalues)},
        options={"family": family, "link": link_},
        effects=AverageEffects(p.frame, d.model_spec, p.names, MeanLink(link_, off), p.w_given),
        refit=GlmRefit(p, family, link_, off),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class GlmRefit:
    """``w -> params``: the GLM refitted with weights ``w`` on the estimation rows (a replicate
    design refits once per replicate weight), as data: results hold it instead of a closure, so
    they pickle."""

    p: Prepared
    family: str
    link: str
    offset: np.ndarray | None = None
    label: str | None = None  # the model's name in error messages (default "<family> GLM")

    def __call__(self, wr: np.ndarray) -> np.ndarray:
        return fit_glm_blocked(self.p.X, self.p.y, wr, self.offset, sm_family(self.family, self.link),
                               self.label or f"{self.family} GLM", GLM_MAXITER)[0]
