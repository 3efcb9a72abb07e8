"""Shared machinery of the maximum-likelihood estimators (binary, GLM, count and two-part models).

statsmodels fits the models (``GLM`` and its families; the discrete count models supply
log-likelihoods and scores); this module prepares the design, turns warnings of the fitting engine
into errors that say what to do, and computes every covariance from the per-observation scores and
the bread with the rules of :mod:`disparity.models.covariance`:

* ``"iid"``: the inverse information, observed (``information="oim"``, Stata's default for ML
  estimators) or expected (``"eim"``, R's ``glm``); the two coincide for canonical links.
* ``"HC0"`` / ``"HC1"``: :math:`B (\\sum_i s_i s_i') B`, HC1 × :math:`N/(N-k)`.
* ``"cluster"``: :math:`\\frac{G}{G-1} B (\\sum_g S_g S_g') B` (Stata ``vce(cluster)`` for ML;
  ``sandwich::vcovCL(type="HC0")``).
* ``"survey"``: Taylor linearisation of the score totals (Binder 1983), as ``survey::svyglm``.

pweights without a robust ``vcov`` get HC0, the same rule for every ML estimator.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._options import check_option
from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, SpecificationError
from . import covariance as cv
from ._covsurvey import survey_data
from ._meat import IndexScores
from .formula import Design, build_design
from .linear import prepare_weights, resolve_design

#: Covariance kinds of the ML estimators (alias of ``covariance.FAMILY_VCOV["ml"]``).
ML_VCOV_KINDS: tuple[str, ...] = cv.FAMILY_VCOV["ml"]
Information = Literal["oim", "eim"]
INFORMATION_KINDS: tuple[str, ...] = ("oim", "eim")
#: IRLS stops when the relative change in deviance is below this (R's glm uses 1e-8, which leaves
#: the 7th digit of the estimates unsettled; 1e-13 is converged to rounding).
GLM_TOL = 1e-13
GLM_MAXITER = 200


@dataclass(frozen=True)
class Prepared:
    """The estimation sample of one ML fit (arrays aligned with ``design.index``)."""

    design: Design
    X: np.ndarray
    y: np.ndarray
    names: list[str]
    w_given: np.ndarray | None
    w: np.ndarray
    weights: str | None
    weight_type: str
    clist: tuple[str, ...]
    codes: list[np.ndarray] | None
    frame: pd.DataFrame
    fweight: bool
    nobs: int
    #: all rows of the data (the whole survey design: incomplete rows and rows outside a
    #: subpopulation stay in it, as domain estimation needs)
    data: pd.DataFrame | None = None


def check_formula(formula: Any) -> str:
    """A model formula must be a string ``"outcome ~ regressors"``."""
    if not isinstance(formula, str):
        raise SpecificationError(
            f"formula must be a string such as 'y ~ x1 + x2', got {type(formula).__name__}."
        )
    return formula


def prepare(
    formula: str,
    data: pd.DataFrame,
    *,
    weights: str | None,
    weight_type: str,
    vcov: str,
    cluster: str | Sequence[str] | None,
    design: SurveyDesign | ReplicateDesign | None,
    safe: bool,
    kinds: Sequence[str] = ML_VCOV_KINDS,
    extra_columns: Sequence[str] = (),
) -> Prepared:
    """Check options, build the design and the weights of one ML fit."""
    check_formula(formula)
    vcov = cv.design_default(design, vcov)[0]
    if tuple(kinds) == ML_VCOV_KINDS:
        cv.check_vcov("ml", vcov)
    else:
        check_option("vcov", vcov, kinds)
    weights, weight_type = resolve_design(design, weights, weight_type, vcov)
    clist = () if cluster is None else ((cluster,) if isinstance(cluster, str) else tuple(cluster))
    extra = [c for c in [weights, *clist, *(design.columns() if design else []), *extra_columns] if c]
    if isinstance(data, pd.DataFrame) and not data.index.is_unique:
        data = data.reset_index(drop=True)  # rows are selected by label below
    d = build_design(formula, cv.survey_frames(design, data), extra=extra, safe=safe)
    n, k = d.X.shape
    if n <= k:
        raise DataValueError(
            f"Too few observations for {formula!r}: {n} complete rows ({d.n_dropped} dropped for "
            f"missing values) for {k} coefficients. Use more data or fewer regressors."
        )
    yv = d.y.to_numpy()
    if yv.size and np.all(yv == yv[0]):
        raise DataValueError(
            f"The outcome {d.y.name!r} takes a single value on the {n} estimation rows; there is "
            "nothing to model (check the outcome column and the rows kept)."
        )
    w_given = prepare_weights(data, weights, weight_type, d.index)
    # unweighted: a read-only view of one 1.0 (no n-vector of ones held with the fit)
    w = np.broadcast_to(1.0, (n,)) if w_given is None else w_given
    fw = w_given is not None and weight_type == "fweight"
    codes = cv.cluster_codes(data, list(clist), d.index) if clist else None
    return Prepared(
        design=d,
        X=d.X.to_numpy(dtype=float),
        y=d.y.to_numpy(dtype=float),
        names=list(d.X.columns),
        w_given=w_given,
        w=w,
        weights=weights,
        weight_type=weight_type,
        clist=clist,
        codes=codes,
        # a shallow (copy-on-write) copy when no row was dropped, not a copy of every column
        frame=data.copy(deep=False) if d.index.equals(data.index) else data.loc[d.index],
        fweight=fw,
        nobs=int(round(w.sum())) if fw else n,
        data=survey_data(design, data, formula, extra),
    )


def fit_glm(
    y: np.ndarray, X: np.ndarray, family: Any, p: Prepared, label: str, offset: np.ndarray | None = None
) -> Any:
    """statsmodels GLM by IRLS; engine warnings become errors naming the likely cause."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        DomainWarning,
        PerfectSeparationWarning,
    )

    kw: dict[str, Any] = {"freq_weights": p.w} if p.fweight else {"var_weights": p.w}
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        # a non-canonical link outside the family's natural domain (gamma with identity) is the
        # user's explicit choice; non-finite or invalid fits are caught below.
        warnings.simplefilter("ignore", DomainWarning)
        try:
            model = sm.GLM(y, X, family=family, offset=offset, **kw)
            res = model.fit(method="IRLS", tol=GLM_TOL, maxiter=GLM_MAXITER, tol_criterion="deviance")
        except PerfectSeparationWarning:
            raise DataValueError(
                f"Fitted {label} probabilities reach 0 or 1: the outcome is perfectly predicted for "
                "some observations (separation). Cross-tabulate the outcome with each regressor and "
                "drop or merge the regressors or categories involved."
            ) from None
        except ConvergenceWarning:
            raise DataValueError(
                f"The {label} likelihood did not converge in {GLM_MAXITER} iterations; check for "
                "separation, a regressor that predicts the outcome perfectly, or a link that does not "
                "suit the outcome's range (e.g. an identity link with means near zero)."
            ) from None
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
            raise DataValueError(f"The {label} model could not be fitted: {exc}.") from None
    if not np.all(np.isfinite(res.params)):
        raise DataValueError(
            f"The {label} estimates are not finite; check the outcome's range for the family and link."
        )
    return res


def glm_bread(res: Any, information: str) -> np.ndarray:
    """Inverse of the observed or expected information of a statsmodels GLM fit."""
    check_option("information", information, INFORMATION_KINDS)
    H = res.model.hessian(res.params, observed=information == "oim")
    try:
        return np.linalg.inv(-H)
    except np.linalg.LinAlgError:
        raise DataValueError(
            "The information matrix is singular; check for collinear regressors."
        ) from None


def glm_at_estimates(y: np.ndarray, X: np.ndarray, names: Sequence[str], weights: np.ndarray | None,
                     fweight: bool, family: Any, params: np.ndarray,
                     offset: np.ndarray | None = None) -> Any:
    """statsmodels' ``GLM`` results of the model evaluated at ``params`` without iterating
    (``start_params``, ``maxiter=0``), so its ``params`` are ours exactly and every statsmodels
    method works: the ``raw`` of the fits by row blocks, built when first read."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    kw: dict[str, Any] = {}
    if weights is not None:
        kw = {"freq_weights": weights} if fweight else {"var_weights": weights}
    exog = pd.DataFrame(X, columns=list(names), copy=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = sm.GLM(y, exog, family=family, offset=offset, **kw)
        return model.fit(start_params=params.copy(), method="newton", maxiter=0)


def sandwich(
    kind: str,
    p: Prepared,
    bread: np.ndarray,
    scores: np.ndarray | IndexScores,
    *,
    estimator: str,
    design: SurveyDesign | ReplicateDesign | None,
    cluster: tuple[str, ...] | None = None,
    refit: Any = None,
    params: np.ndarray | None = None,
    family: str = "ml",
    ssc: str = "ml",
    multi0: bool = False,
    fix: bool = False,
) -> tuple[np.ndarray, float | None, list[str], int | None, str, tuple[str, ...]]:
    """Covariance of an ML estimator; returns (V, df, notes, n_clusters, kind used, cluster used).

    Under a :class:`ReplicateDesign`, ``refit(w)`` (the coefficients refitted with weights ``w``)
    and the full-sample ``params`` give the replicate variance; estimators without a refit
    refuse replicate designs. ``ssc``, ``multi0`` and ``fix`` are those of
    :func:`~disparity.models.covariance.ml_sandwich`, which computes it."""
    cl = p.clist if cluster is None else cluster
    codes = p.codes if cl == p.clist else (cv.cluster_codes(p.frame, list(cl), p.frame.index) if cl else None)
    r = cv.ml_sandwich(
        kind, scores=scores, bread=bread, family=family, estimator=estimator, weights=p.w_given,
        weight_type=p.weight_type, weights_name=p.weights, nobs=p.nobs, clusters=codes,
        survey=design, frame=p.frame, data=p.data, refit=refit, params=params,
        ssc=ssc, multi0=multi0, fix=fix,  # type: ignore[arg-type]
    )
    return r.cov, r.df, list(r.notes), r.n_clusters, r.kind, cl


def sandwich_options(kw: dict[str, Any]) -> dict[str, Any]:
    """The small-sample options of ``with_vcov(**kw)`` for :func:`sandwich`, checked.

    ``ssc`` ("ml", "cr1", "none"), ``multi0`` and ``fix`` (two-way clusters); see
    :func:`disparity.models.covariance.ml_sandwich`.
    """
    ssc = check_option("ssc", kw.get("ssc", "ml"), cv.ML_SSC_KINDS)
    out: dict[str, Any] = {"ssc": ssc}
    for name in ("multi0", "fix"):
        v = kw.get(name, False)
        if not isinstance(v, (bool, np.bool_)):
            raise SpecificationError(f"{name}= must be True or False, got {v!r}.")
        out[name] = bool(v)
    return out


def nondefault(opts: dict[str, Any]) -> dict[str, Any]:
    """The entries of :func:`sandwich_options` that differ from the defaults (for ``spec.options``)."""
    return {k: v for k, v in opts.items() if v != {"ssc": "ml", "multi0": False, "fix": False}[k]}


def fit_stats(ll: float, ll0: float | None, k: int, nobs: int) -> dict[str, float]:
    """Log likelihood, McFadden pseudo R², AIC and BIC (Stata's ``estat ic`` conventions)."""
    out = {"loglik": float(ll)}
    if ll0 is not None and np.isfinite(ll0) and ll0 != 0:
        out["ll_null"] = float(ll0)
        out["pseudo_r2"] = float(1.0 - ll / ll0)
    out["aic"] = float(-2.0 * ll + 2.0 * k)
    out["bic"] = float(-2.0 * ll + np.log(nobs) * k)
    return out


def ml_result(
    p: Prepared,
    *,
    estimator: str,
    formula: str,
    params: np.ndarray,
    names: list[str],
    bread: Any,
    scores: np.ndarray,
    vcov: str,
    design: SurveyDesign | ReplicateDesign | None,
    information: str,
    stats: dict[str, Any],
    raw: Any,
    extra: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    notes: Sequence[str] = (),
    effects: Any = None,
    refit: Any = None,
) -> Any:
    """A :class:`ModelResult` whose ``with_vcov`` recomputes the sandwich from the stored scores.

    ``bread(information)`` returns the inverse information ("oim" or "eim"); ``refit(w)``, the
    parameters refitted with weights ``w`` on the estimation rows, gives the variance under a
    :class:`~disparity.ReplicateDesign` (without it such designs are refused). Both must be data
    with a ``__call__`` (e.g. :class:`GlmBread`), not closures, since the result keeps them (and
    pickles).
    """
    vcov, design_note = cv.design_default(design, vcov)
    fit = MLFit(p, estimator, formula, np.asarray(params), list(names), bread, scores, design, design_note,
                information, dict(stats), raw, dict(extra or {}), dict(options or {}), tuple(notes), effects,
                refit)
    return fit(vcov)


@dataclass(frozen=True, slots=True)
class GlmBread:
    """Inverse observed or expected information of a statsmodels GLM fit (:func:`glm_bread`)."""

    res: Any

    def __call__(self, information: str) -> np.ndarray:
        return glm_bread(self.res, information)


@dataclass(frozen=True, slots=True)
class MLFit:
    """What ``with_vcov`` of an ML result needs (``result._refit``), as data: the estimation sample,
    estimates, scores and the bread recipe. A new covariance recomputes only the sandwich."""

    p: Prepared
    estimator: str
    formula: str
    params: np.ndarray
    names: list[str]
    bread: Any  # information kind -> inverse information (a picklable callable record)
    scores: np.ndarray
    design: SurveyDesign | ReplicateDesign | None
    design_note: str | None
    information: str
    stats: dict[str, Any]
    raw: Any
    extra: dict[str, Any]
    options: dict[str, Any]
    notes: tuple[str, ...]
    effects: Any
    refit: Any = None  # weights -> refitted parameters (replicate designs; a picklable record)

    def __call__(self, kind: str, **kw: Any) -> Any:
        from .results import ModelResult, ModelSpec, data_source

        (
            p, estimator, formula, params, names, bread, scores, design, design_note, information,
            stats, raw, extra, options, notes, effects, refit
        ) = (
            self.p, self.estimator, self.formula, self.params, self.names, self.bread, self.scores,
            self.design, self.design_note, self.information, self.stats, self.raw, self.extra,
            self.options, self.notes, self.effects, self.refit
        )
        info = check_option("information", kw.get("information", information), INFORMATION_KINDS)
        B = bread(info)
        cl = kw.get("cluster", p.clist)
        cl = (cl,) if isinstance(cl, str) else tuple(cl or ())
        sopts = sandwich_options(kw)
        V, df_, vnotes, G, kind, cl = sandwich(kind, p, B, scores, estimator=estimator,
                                               design=kw.get("design", design), cluster=cl,
                                               refit=refit, params=params, **sopts)
        if design_note and kind == "survey" and kw.get("design", design) is design:
            vnotes.append(design_note)
        spec = ModelSpec(
            estimator=estimator,
            formula=formula,
            vcov=kind,
            cluster=cl,
            weights=p.weights,
            weight_type=p.weight_type if p.weights else None,
            nobs=p.nobs,
            n_dropped=p.design.n_dropped,
            options={**(options or {}), "information": info, **nondefault(sopts)},
            notes=tuple(vnotes) + tuple(notes),
            data=data_source(p.data),
        )
        return ModelResult(
            params=pd.Series(params, index=names, name="estimate"),
            cov=pd.DataFrame(V, index=names, columns=names),
            nobs=p.nobs,
            df=df_,
            spec=spec,
            raw=raw,
            stats={**stats, "n_clusters": G},
            extra={**(extra or {}), "scores": scores, "bread": B},
            _refit=self,
            _effects=effects,
        )
