"""Binary-outcome models (logit, probit) with pweights and robust, cluster or survey variances."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from .._options import VcovKind, WeightType, check_option
from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError
from . import covariance as cv
from ._margins import AverageEffects, MeanLink
from ._meat import blocks
from ._ml import (
    INFORMATION_KINDS,
    Information,
    Prepared,
    check_formula,
    fit_stats,
    glm_at_estimates,
    nondefault,
    prepare,
    sandwich,
    sandwich_options,
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


#: Newton (Fisher scoring) stops when no coefficient moves by more than this relative amount;
#: the iteration converges quadratically, so the estimates are then settled to rounding.
NEWTON_TOL = 1e-13
NEWTON_MAXITER = 100


@dataclass(frozen=True)
class _Pass:
    """Sums of one pass over the rows of a binary model at ``beta``."""

    score: np.ndarray  # sum_i w_i x_i r_i
    info: np.ndarray  # sum_i w_i h_i x_i x_i' (expected or observed information)
    loglik: float
    max_eta: float
    correct: float  # sum_i w_i [ (mu_i >= 0.5) == y_i ]


def _binary_pass(X: np.ndarray, y: np.ndarray, w: np.ndarray | None, beta: np.ndarray,
                 link: str, observed: bool = False) -> _Pass:
    """Score, information, log likelihood of a logit/probit model, by row blocks (no n-vectors)."""
    k = X.shape[1]
    g, H = np.zeros(k), np.zeros((k, k))
    ll = correct = 0.0
    max_eta = 0.0
    for s, e in blocks(X.shape[0]):
        Xb, yb = X[s:e], y[s:e]
        eta = Xb @ beta
        if link == "logit":
            mu = special.expit(eta)
            r = yb - mu
            h = mu * (1 - mu)
            lli = yb * eta - np.logaddexp(0.0, eta)
        else:
            mu = special.ndtr(eta)
            lphi = -0.5 * eta * eta - 0.5 * np.log(2 * np.pi)
            l1, l0 = special.log_ndtr(eta), special.log_ndtr(-eta)
            r1, r0 = np.exp(lphi - l1), np.exp(lphi - l0)
            r = yb * r1 - (1 - yb) * r0
            h = (yb * r1 * (r1 + eta) + (1 - yb) * r0 * (r0 - eta)) if observed \
                else np.exp(2 * lphi - l1 - l0)
            lli = yb * l1 + (1 - yb) * l0
        wb = None if w is None else w[s:e]
        if wb is not None:
            r, h, lli = wb * r, wb * h, wb * lli
        g += Xb.T @ r
        H += (Xb * h[:, None]).T @ Xb
        ll += float(np.sum(lli))
        hit = (mu >= 0.5) == (yb == 1)
        correct += float(np.sum(hit) if wb is None else np.dot(wb, hit))
        if eta.size:
            max_eta = max(max_eta, float(np.max(np.abs(eta))))
    return _Pass(g, H, ll, max_eta, correct)


def _fit_binary(X: np.ndarray, y: np.ndarray, w: np.ndarray | None, link: str) -> tuple[np.ndarray, int]:
    """Maximum-likelihood logit/probit coefficients by Newton's method (Fisher scoring), by blocks.

    Each iteration is one pass over the rows (:func:`_binary_pass`), so the fit holds nothing of
    length n beyond the design; the log likelihood is concave, and a step that lowers it is
    halved. Separation (fitted probabilities driven to 0 or 1) and non-convergence raise.
    """
    k = X.shape[1]
    beta = np.zeros(k)
    cur = _binary_pass(X, y, w, beta, link)
    for it in range(NEWTON_MAXITER):
        try:
            step = np.linalg.solve(cur.info, cur.score)
        except np.linalg.LinAlgError:
            if cur.max_eta > SEPARATION_ETA:
                raise _separation(link) from None
            raise DataValueError(
                f"The {link} model could not be fitted: the information matrix is singular "
                "(check for collinear regressors)."
            ) from None
        if not np.all(np.isfinite(step)):
            raise _separation(link)
        if np.max(np.abs(step)) <= NEWTON_TOL * max(1.0, float(np.max(np.abs(beta)))):
            return beta + step, it + 1
        for _ in range(40):
            new = _binary_pass(X, y, w, beta + step, link)
            if new.loglik >= cur.loglik - 1e-12 * abs(cur.loglik) or not np.isfinite(cur.loglik):
                break
            step = step / 2
        beta, cur = beta + step, new
    if cur.max_eta > SEPARATION_ETA:
        raise _separation(link)
    raise DataValueError(
        f"The {link} likelihood did not converge in {NEWTON_MAXITER} iterations; check for "
        "separation or a regressor that predicts the outcome perfectly."
    )


@dataclass(frozen=True)
class LazyGLM:
    """Recipe of the statsmodels ``GLM`` results of a binary fit, built on first access of ``raw``.

    statsmodels' own IRLS holds about 62 n-vectors at its peak (20x the data frame on 5,000,000 x 4,
    issue 22); building its results object costs several. So :func:`logit`/:func:`probit` fit by
    blocks and keep this recipe; ``result.raw`` evaluates it once: a ``GLMResultsWrapper`` of the
    same model evaluated at our estimates (``start_params``, no iteration), so its ``params`` are
    ours exactly and every statsmodels method works.
    """

    y: np.ndarray
    X: np.ndarray
    names: tuple[str, ...]
    weights: np.ndarray | None
    fweight: bool
    link: str
    params: np.ndarray
    lazy_raw: bool = True

    def build(self) -> Any:
        return glm_at_estimates(self.y, self.X, self.names, self.weights, self.fweight,
                                _family(self.link), self.params)


class LazyExtra(Mapping[str, Any]):
    """``extra`` of a binary fit; ``scores`` (n x k) and ``fitted`` are formed on first access."""

    def __init__(self, scores: cv.IndexScores, link: str, **items: Any) -> None:
        self._scores, self._link, self._items = scores, link, dict(items)

    def __getitem__(self, key: str) -> Any:
        if key not in self._items:
            if key == "scores":
                self._items[key] = cv.dense_scores(self._scores)
            elif key == "fitted":
                eta = self._scores.X @ self._scores.params
                self._items[key] = _link(self._link)(eta)[0]
            else:
                raise KeyError(key)
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._items, "scores", "fitted"]))

    def __len__(self) -> int:
        return len(set(self._items) | {"scores", "fitted"})


def _binary(
    link: Literal["logit", "probit"],
    formula: str,
    data: pd.DataFrame,
    *,
    weights: str | None,
    weight_type: str,
    vcov: str,
    cluster: str | Sequence[str] | None,
    design: SurveyDesign | ReplicateDesign | None,
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
    other = (yv != 0) & (yv != 1)  # flags, not a sorted copy of the outcome
    if other.any():
        bad = sorted(np.unique(yv[other]).tolist())[:5]
        raise DataValueError(
            f"{link} needs a binary outcome coded 0/1, but {d.y.name!r} also takes the values {bad}. "
            f"Recode it (e.g. (y > threshold)) or use dp.ordered for ordered categories."
        )
    if np.all(yv == yv[0]):
        raise DataValueError(
            f"The outcome {d.y.name!r} takes a single value; there is nothing to model."
        )
    n, k = X.shape
    beta, _ = _fit_binary(X, yv, p.w_given, link)
    final = _binary_pass(X, yv, p.w_given, beta, link)
    if final.max_eta > SEPARATION_ETA:
        raise _separation(link)
    scores = cv.IndexScores(X, y=yv, params=beta, link=link, weights=p.w_given)
    ll = final.loglik
    ybar = float(np.average(yv, weights=p.w_given))
    wsum = float(np.sum(w))
    ll0 = float(wsum * (ybar * np.log(ybar) + (1 - ybar) * np.log1p(-ybar)))
    fstats = {**fit_stats(ll, ll0, k, p.nobs), "count_r2": final.correct / wsum}
    raw = LazyGLM(yv, X, tuple(names), p.w_given, p.fweight, link, beta)
    fit = _BinaryFit(
        link=link, formula=formula, p=p, X=X, yv=yv, beta=beta, scores=scores, fstats=fstats,
        names=names, design=design, design_note=design_note, information=information, raw=raw,
        expected=final.info,
    )
    return fit(vcov)


@dataclass(frozen=True, slots=True)
class BinaryRefit:
    """``w -> params``: the logit/probit refitted with weights ``w`` on the estimation rows (a
    replicate design refits once per replicate weight), as data so results pickle."""

    X: np.ndarray
    y: np.ndarray
    link: str

    def __call__(self, wr: np.ndarray) -> np.ndarray:
        return _fit_binary(self.X, self.y, wr, self.link)[0]


@dataclass(frozen=True, slots=True)
class _BinaryFit:
    """What ``with_vcov`` of a logit/probit needs (``result._refit``), as data: the estimation
    sample, estimates, block scores (:class:`~disparity.models._meat.IndexScores`, no n x k
    copy), the expected information, the lazy statsmodels recipe (``raw``) and the options. A new
    covariance recomputes the sandwich; a replicate design refits once per replicate weight."""

    link: Literal["logit", "probit"]
    formula: str
    p: Prepared
    X: np.ndarray
    yv: np.ndarray
    beta: np.ndarray
    scores: cv.IndexScores
    fstats: dict[str, Any]
    names: list[str]
    design: SurveyDesign | ReplicateDesign | None
    design_note: str | None
    information: str
    raw: LazyGLM
    expected: np.ndarray  # the expected information at the estimates (k x k)

    def bread_of(self, info: str) -> np.ndarray:
        """Inverse information: expected, or (probit, "oim") observed."""
        H = self.expected if (info == "eim" or self.link == "logit") else \
            _binary_pass(self.X, self.yv, self.p.w_given, self.beta, self.link, observed=True).info
        try:
            return np.linalg.inv(H)
        except np.linalg.LinAlgError:
            raise DataValueError(
                "The information matrix is singular; check for collinear regressors."
            ) from None

    def __call__(self, kind: str, **kw: Any) -> ModelResult:
        (
            link, formula, p, X, yv, beta, scores, fstats, names, design, design_note, information,
            raw
        ) = (
            self.link, self.formula, self.p, self.X, self.yv, self.beta, self.scores, self.fstats,
            self.names, self.design, self.design_note, self.information, self.raw
        )
        d = p.design
        info = check_option("information", kw.get("information", information), INFORMATION_KINDS)
        bread = self.bread_of(info)
        cl = kw.get("cluster", p.clist)
        cl = (cl,) if isinstance(cl, str) else tuple(cl or ())
        refit: Callable[[np.ndarray], np.ndarray] | None = None
        if kind == "survey":  # a replicate design refits with each replicate weight (R svyglm)
            refit = BinaryRefit(X, yv, link)
        sopts = sandwich_options(kw)
        V, df_, notes, G, kind, cl = sandwich(kind, p, bread, scores, estimator=link,
                                              design=kw.get("design", design), cluster=cl,
                                              refit=refit, params=beta, family="binary", **sopts)
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
            options={"information": info, **nondefault(sopts)},
            notes=tuple(notes),
            data=data_source(p.data),
        )
        return ModelResult(
            params=params,
            cov=pd.DataFrame(V, index=names, columns=names),
            nobs=p.nobs,
            df=df_,
            spec=spec,
            raw=raw,
            stats={**fstats, "n_clusters": G},
            extra=LazyExtra(scores, link, X=X, y=yv, weights=p.w_given, bread=bread),
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
    design: SurveyDesign | ReplicateDesign | None = None,
    information: Information = "oim",
    safe: bool = False,
) -> ModelResult:
    """Logistic regression by (pseudo-)maximum likelihood (Newton's method by row blocks).

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
    cluster : str or list of two str, optional
        Clustering variable(s) for "cluster"; two give the two-way variance
        :math:`V_A + V_B - V_{A\\cap B}` (Cameron, Gelbach & Miller 2011). ``with_vcov("cluster",
        ssc=, multi0=, fix=)`` selects the small-sample convention (table in
        :mod:`disparity.models.covariance`).
    information : {"oim", "eim"}
        Bread of every variance: the observed (Stata's default) or the expected information (R's
        ``glm``). They coincide for the logit link, which is canonical.

    Returns
    -------
    ModelResult
        ``marginal_effects(var)`` gives average marginal effects on the probability; ``glance()``
        carries the log likelihood, McFadden's pseudo R² (``pseudo_r2``), AIC, BIC and the count R²
        (share correctly classified at the 0.5 cut-off); ``raw`` is the statsmodels ``GLM``
        results object at these estimates, built on first access of ``raw`` (:class:`LazyGLM`);
        ``extra["scores"]`` and ``extra["fitted"]`` are formed on first access too.

    Notes
    -----
    :math:`\\Pr(y=1\\mid x) = \\Lambda(x'\\beta)`, :math:`\\hat\\beta` maximises
    :math:`\\ell = \\sum_i w_i[y_i\\log\\Lambda_i + (1-y_i)\\log(1-\\Lambda_i)]` by Newton's method
    (Fisher scoring; :func:`_fit_binary`) until no coefficient moves by more than 1e-13 relative.

    Our own fit, not statsmodels', because it is measurably leaner: each iteration is one pass
    over row blocks, so nothing of length n is held beyond the design. On 5,000,000 x 4
    (``benchmarks/bench_memory.py``) ``dp.logit`` with HC1 peaked at 20.1x the data frame with
    statsmodels ``GLM`` (whose IRLS holds ~62 n-vectors) and peaks at 1.8x now (cluster: 1.9x).
    Estimates equal statsmodels' ``GLM`` (converged on the parameters) to 1e-10
    (``tests/models/test_ml_stats.py``). Sandwich variances use :math:`B = I(\\hat\\beta)^{-1}` and
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
    design: SurveyDesign | ReplicateDesign | None = None,
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
