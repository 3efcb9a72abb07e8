"""The one place where covariance kinds are defined (and translated for wrapped libraries).

One function, :func:`sandwich`, computes every covariance of the package from per-observation
scores and a bread: least squares (OLS/WLS, absorbed and panel fixed effects, 2SLS with projected
regressors) with ``model="linear"``, maximum-likelihood models with ``model="ml"``; one- and
two-way clusters, HAC, survey designs (the measures' Taylor linearisation,
:func:`survey_meat`, fpc rules included) and replicate designs, weight types and the
small-sample convention are its parameters. :func:`compute_vcov` and :func:`ml_sandwich` are thin
wrappers for the two families. Single-index models pass :class:`IndexScores` (design and
residuals, never multiplied out), so every meat is formed by row blocks without an n x k copy.

Vocabulary (``vcov=``), shared by every estimator:

=====================  ==============================================================================
``"iid"``              :math:`\\hat\\sigma^2 (X'WX)^{-1}`, :math:`\\hat\\sigma^2 = \\sum w_i e_i^2/(N-k)`.
``"HC0"``              :math:`B M B` with :math:`B = (X'WX)^{-1}`, :math:`M = \\sum_i s_i s_i'`,
                       :math:`s_i = w_i x_i e_i` (White 1980).
``"HC1"``              HC0 × :math:`N/(N-k)` (Stata ``robust``; ``sandwich::vcovHC(type="HC1")``).
``"HC2"``, ``"HC3"``   scores divided by :math:`(1-h_{ii})^{1/2}` resp. :math:`(1-h_{ii})` with
                       :math:`h_{ii} = w_i x_i' B x_i` (MacKinnon & White 1985).
``"cluster"``          :math:`\\frac{G}{G-1}\\frac{N-1}{N-k} B (\\sum_g S_g S_g') B`, :math:`S_g` the
                       cluster sums of scores (CR1: Stata ``vce(cluster)``, R
                       ``sandwich::vcovCL(type="HC1")``). Two-way: :math:`V_A + V_B - V_{A\\cap B}`,
                       each term with its own :math:`G` (Cameron, Gelbach & Miller 2011).
``"wild"``             cluster (CR1) standard errors; p-values and intervals from the wild cluster
                       bootstrap (:mod:`disparity.models.bootstrap`).
``"survey"``           Taylor linearisation with a :class:`~disparity.SurveyDesign`:
                       :math:`B\\,\\hat V(\\sum u_i)\\,B`, :math:`u_i = w_i x_i e_i`, with-replacement PSU
                       variance within strata and optional finite-population correction (Lumley 2010).
``"hac"``              Newey-West: Bartlett-kernel weighted autocovariances of the scores in row (time)
                       order, bandwidth ``bandwidth`` lags (default :func:`newey_west_lags`).
``"driscoll-kraay"``   panels only (:mod:`disparity.models.panel`).
=====================  ==============================================================================

Maximum-likelihood estimators (logit, probit, ordered) use the inverse (expected) information as
bread and scores of the log-likelihood; their "HC1" is HC0 × :math:`N/(N-k)` and their "cluster" has
the :math:`G/(G-1)` factor only (Stata's ``vce(cluster)`` for ML; ``sandwich::vcovCL(type="HC0")``).
Every ML estimator that takes ``cluster=`` takes two names for two-way clustering, each of the three
terms with its own :math:`G/(G-1)`; their small-sample options are ``with_vcov(kind, ssc=, multi0=,
fix=)`` (:data:`MlSsc`):

======================  ======================================  ====================================
ML option               cluster factor (two-way: per term)      ``sandwich::vcovCL``
======================  ======================================  ====================================
``ssc="ml"`` (default)  :math:`G/(G-1)`                         ``type="HC0"`` (its default for glm)
``ssc="cr1"``           :math:`G/(G-1)\\cdot(N-1)/(N-k)`         ``type="HC1"``
``ssc="none"``          1                                       ``type="HC0", cadjust=FALSE``
``multi0=True``         intersection term: HC0 meat, no factor  ``multi0=TRUE``
``fix=True``            negative eigenvalues of V set to 0      ``fix=TRUE``
======================  ======================================  ====================================

(:math:`k` counts every parameter: cutpoints, inflation and dispersion parameters; checked in
``tests/models/test_ml_cluster.py`` against ``tests/reference/mlcluster``.)

Fixed-effects panels count only the slopes in :math:`k` of the cluster factor (effects nested in
clusters: Stata ``xtreg, fe``; ``plm`` ``type="sss"``) but all absorbed effects in the iid/HC1
degrees of freedom. Few clusters: with one-way "cluster" and fewer than :data:`FEW_CLUSTERS` (42)
clusters, ``ols`` and fixed-effects ``panel`` carry wild-bootstrap p-values and intervals by default
(``few_clusters="wild"``) and say so in ``summary().notes`` and ``glance()["inference"]``.

:math:`N` is the number of observations (the sum of the weights for fweights, whose replicated rows
contribute :math:`w_i x_i x_i' e_i^2` to the meat). Reference distribution: :math:`t_{N-k}` for
iid/HC, :math:`t_{G-1}` for cluster (the smallest :math:`G` for two-way), :math:`t_{\\#PSU-\\#strata}`
for survey.

Small-sample conventions (``ssc=``)
-----------------------------------
One parameter names the degrees-of-freedom counting, with :math:`N` observations, :math:`k` estimated
coefficients, :math:`k_{fe}` absorbed fixed-effect parameters (entities, periods, or entities + periods
− 1) and :math:`k_{nest}` of them nested in the clusters (for an entity effect nested in entity
clusters, all but one: the constant stays counted):

==========  ======================  ========================  ==================================  ==========
``ssc=``    iid σ²                  HC1 factor                cluster factor                      t df
==========  ======================  ========================  ==================================  ==========
"stata"     SSR/(N-k-k_fe)          N/(N-k-k_fe)              G/(G-1)·(N-1)/(N-k-k_fe+k_nest)     N-k-k_fe;
                                                                                                  G-1
"fixest"    as "stata"              as "stata"                as "stata", two-way with min(G)     as "stata"
            (k_fe: levels − 1 per
            further set of
            effects)
"plm"       SSR/(N-k-k_fe)          N/(N-k) (slopes)          G/(G-1)·(N-1)/(N-k) (slopes)        as "stata"
"none"      SSR/N                   1 (HC0)                   1                                   as "stata"
==========  ======================  ========================  ==================================  ==========

"stata" is ``regress``, ``xtreg, fe`` (which reports a constant, so one entity effect counts when
the effects are nested in the clusters), ``ivregress, small`` and ``reghdfe``; "fixest" is
``fixest::feols``/pyfixest's default ``ssc()`` (``K.fixef = "nonnested"``, ``G.df = "min"``); "plm" is
``plm`` with ``vcovHC(type = "HC1"/"sss")`` (fixed effects never counted in the robust factors); "none"
applies no factor at all (Stata's large-sample ``ivregress`` without ``small``). The presets set the
factors only: the t reference has :math:`N-k-k_{fe}` degrees of freedom, :math:`G-1` for clustered
variances (the smaller :math:`G` for two-way), in every preset.

Defaults per family (``DEFAULT_VCOV``; why)
-------------------------------------------
Accepted kinds per family are :data:`FAMILY_VCOV` (checked by :func:`check_vcov`, whose error lists
them); with sampling weights the model-based default becomes :data:`PWEIGHT_VCOV`; with ``design=``
and ``vcov`` left at its default the variance is ``"survey"`` (:func:`design_default`, with a note).

==============  =============  ==============  ===================================================
family          default vcov   with pweights   reason
==============  =============  ==============  ===================================================
linear          "iid"          "HC1"           ``regress``/``lm``; ``regress [pw=]``
panel           "iid"          "cluster"       ``xtreg``/``plm`` conventional; ``xtreg [pw=]``
                                               clusters by entity
iv              "iid"          "HC1"           ``ivregress``/``AER::ivreg``
binary          "iid"          "HC0"           ``logit``/``glm``: inverse information; ML
                                               sandwich without N/(N-k)
ordered         "iid"          "HC0"           ``ologit``/``MASS::polr``
ml              "iid"          "HC0"           ``glm``, count and two-part models (as binary)
scale           "iid"          "HC1"           as linear (out-of-core ``scale.ols``)
did             "cluster"      "HC1"           treatment assigned by unit: TWFE clusters by unit;
                                               a 2x2 design without ``cluster=`` uses "HC1"
==============  =============  ==============  ===================================================

The pweight rule is one function, :func:`pweight_rule`: sampling weights never go with a
model-based ("iid") variance, which becomes the family's robust variance of the table (Stata's
``[pw=]`` implies ``vce(robust)``; ``xtreg`` clusters by panel), and the summary says so.

References
----------
Cameron, A. C., Gelbach, J. B. & Miller, D. L. (2011). Robust inference with multiway clustering.
*Journal of Business & Economic Statistics* 29(2), 238-249.
Lumley, T. (2010). *Complex Surveys*. Wiley.
MacKinnon, J. G. & White, H. (1985). Some heteroskedasticity-consistent covariance matrix estimators
with improved finite sample properties. *Journal of Econometrics* 29, 305-325.
Newey, W. K. & West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity and
autocorrelation consistent covariance matrix. *Econometrica* 55(3), 703-708.
Newey, W. K. & West, K. D. (1994). Automatic lag selection in covariance matrix estimation.
*Review of Economic Studies* 61(4), 631-653.
White, H. (1980). A heteroskedasticity-consistent covariance matrix estimator. *Econometrica* 48, 817-838.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._options import SSC_KINDS, VCOV_KINDS, SscKind, VcovKind, check_option
from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, SpecificationError
from ._covsurvey import (  # noqa: F401  (part of this module's interface)
    _check_subpop,
    _design_rows,
    replicate_ols_vcov,
    replicate_refit_vcov,
    survey_frames,
    survey_meat,
)
from ._meat import (  # noqa: F401  (part of this module's interface)
    IndexScores,
    Scores,
    _cluster_meat,
    _cluster_meat_xu,
    _factorize,
    _group_sum,
    _weighted_gram,
    blocks,
    cluster_codes,
    cluster_sums,
    dense_scores,
    hac_meat,
    leverage,
    score_gram,
)

__all__ = [
    "VcovResult",
    "FeDof",
    "sandwich",
    "IndexScores",
    "compute_vcov",
    "ml_sandwich",
    "psd_fix",
    "ML_SSC_KINDS",
    "SandwichResult",
    "check_vcov",
    "check_ssc",
    "pweight_rule",
    "design_default",
    "PWEIGHT_VCOV",
    "ssc_factors",
    "newey_west_lags",
    "linearmodels_iv_args",
    "linearmodels_panel_args",
    "linearmodels_hansen_j_args",
    "vcov_of_statsmodels",
    "vcov_of_linearmodels",
    "cluster_codes",
    "few_clusters_note",
    "check_survey_refit",
    "survey_frames",
    "FEW_CLUSTERS",
    "FAMILY_VCOV",
    "DEFAULT_VCOV",
    "LINEAR_VCOV_KINDS",
    "VcovKind",
    "SscKind",
]

#: Below this many clusters, cluster-robust t-tests over-reject (MacKinnon & Webb 2018; Angrist &
#: Pischke's rule of thumb of 42): results then carry wild-bootstrap p-values by default.
FEW_CLUSTERS = 42

#: The subset of :data:`~disparity._options.VcovKind` each estimator family accepts.
FAMILY_VCOV: dict[str, tuple[str, ...]] = {
    "linear": ("iid", "HC0", "HC1", "HC2", "HC3", "cluster", "wild", "survey"),
    "panel": ("iid", "HC1", "cluster", "wild", "driscoll-kraay"),
    "iv": ("iid", "HC0", "HC1", "cluster", "hac"),
    "binary": ("iid", "HC0", "HC1", "cluster", "survey"),
    "ordered": ("iid", "HC0", "cluster", "survey"),
    "scale": ("iid", "HC0", "HC1", "cluster"),
    "ml": ("iid", "HC0", "HC1", "cluster", "survey"),
    "did": ("iid", "HC1", "cluster", "wild"),
}
#: Default ``vcov=`` of each family (the table in the module docstring says why).
DEFAULT_VCOV: dict[str, str] = {
    "linear": "iid",
    "panel": "iid",
    "iv": "iid",
    "binary": "iid",
    "ordered": "iid",
    "scale": "iid",
    "ml": "iid",
    "did": "cluster",
}
LINEAR_VCOV_KINDS = FAMILY_VCOV["linear"]
assert all(set(v) <= set(VCOV_KINDS) for v in FAMILY_VCOV.values())


def check_vcov(family: str, kind: Any) -> VcovKind:
    """``kind`` if the ``family`` accepts it; otherwise a SpecificationError listing what it accepts."""
    allowed = FAMILY_VCOV[family]
    if kind not in allowed:
        label = {"ml": "maximum-likelihood", "did": "difference-in-differences"}.get(family, family)
        shown = ", ".join(repr(a) for a in allowed)
        other = (
            f" ({kind!r} is a covariance kind of other estimators, not of {label} models.)"
            if kind in VCOV_KINDS
            else ""
        )
        raise SpecificationError(
            f"vcov={kind!r} is not supported by {label} models; use one of {shown}.{other}"
        )
    return kind


def check_ssc(ssc: Any) -> SscKind:
    """``ssc`` if it names a small-sample convention; otherwise a SpecificationError listing them."""
    return check_option("ssc", ssc, SSC_KINDS)


#: The robust variance a model-based one becomes under pweights, per family.
PWEIGHT_VCOV: dict[str, str] = {
    "linear": "HC1",
    "panel": "cluster",
    "iv": "HC1",
    "binary": "HC0",
    "ordered": "HC0",
    "scale": "HC1",
    "ml": "HC0",
    "did": "HC1",
}


def pweight_rule(
    kind: str, weight_type: str | None, has_weights: bool, *, family: str = "linear"
) -> tuple[str, str | None]:
    """The one pweight rule: sampling weights turn a model-based ("iid") variance robust.

    Returns the kind to use (:data:`PWEIGHT_VCOV` of the family) and the note for the summary
    (``None`` when nothing changed).
    """
    if not has_weights or weight_type != "pweight" or kind != "iid":
        return kind, None
    new = PWEIGHT_VCOV[family]
    if new == "cluster":
        return new, "pweights: cluster-robust variance by entity, as Stata's xtreg does."
    if new == "HC0":
        return new, "pweights: robust (sandwich) variance, as Stata does."
    return new, f"pweights: heteroskedasticity-robust ({new}) variance, as Stata does."


#: Summary note when ``design=`` alone selected the survey variance.
DESIGN_NOTE = (
    "design= given: design-based (survey) variance, as R svyglm and Stata svy (vcov='survey'); "
    "pass another vcov= for a model-based or robust one."
)


def design_default(design: Any, vcov: str) -> tuple[str, str | None]:
    """A design given with ``vcov`` left at its default ("iid") means the survey variance.

    Returns the kind to use and the note for the summary (``None`` when nothing changed). An
    explicit other ``vcov`` is honoured (the design then only supplies the sampling weights).
    """
    if design is not None and vcov == "iid":
        return "survey", DESIGN_NOTE
    return vcov, None


@dataclass(frozen=True)
class FeDof:
    """Fixed-effect parameters absorbed before the fit, for the small-sample factors.

    ``k_fe``: absorbed parameters (levels minus redundant ones). ``k_fe_nested``: how many of them
    are nested in the clusters and so not counted in the cluster factor (all levels of an effect
    nested in the clusters but one, which stands for the constant).
    """

    k_fe: int = 0
    k_fe_nested: int = 0
    #: fixest's count (levels minus one per further set of effects), used by ssc="fixest"
    k_fe_fixest: int | None = None


NO_FE = FeDof()


@dataclass(frozen=True)
class SscFactors:
    """Multipliers of one covariance and the degrees of freedom of its t reference."""

    iid_denominator: float
    hc1: float
    cluster_k: float  # (N-1)/(N-K) part of the cluster factor
    cluster_g: bool  # whether G/(G-1) is applied
    min_g: bool  # two-way: one G/(G-1) with the smaller G (fixest) instead of one per term
    df_resid: float
    df_cluster_is_g: bool


def ssc_factors(ssc: str, *, N: float, k: int, fe: FeDof = NO_FE) -> SscFactors:
    """Small-sample factors of the convention ``ssc`` (table in the module docstring)."""
    check_ssc(ssc)
    if ssc == "fixest" and fe.k_fe_fixest is not None:
        fe = FeDof(fe.k_fe_fixest, fe.k_fe_nested)
    full = N - k - fe.k_fe
    if full <= 0:
        raise DataValueError(
            f"Too few observations ({N:g}) for {k} coefficients and {fe.k_fe} absorbed effects."
        )
    if ssc in ("stata", "fixest"):
        return SscFactors(
            full, N / full, (N - 1) / (full + fe.k_fe_nested), True, ssc == "fixest", full, True
        )
    if ssc == "plm":
        return SscFactors(full, N / (N - k), (N - 1) / (N - k), True, False, full, True)
    return SscFactors(N, 1.0, 1.0, False, False, full, True)


def newey_west_lags(n: int) -> int:
    """Newey-West (1994) plug-in lag rule for the Bartlett kernel: :math:`\\lfloor 4(n/100)^{2/9}\\rfloor`."""
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


def check_survey_refit(
    design: SurveyDesign | ReplicateDesign | None, weights: str | None
) -> SurveyDesign | ReplicateDesign:
    """A survey variance must use the weights the estimates were computed with."""
    if design is None:
        raise SpecificationError(
            "vcov='survey' needs design=dp.SurveyDesign(weights=..., strata=..., psu=...)."
        )
    if (design.weights or None) != (weights or None):
        raise SpecificationError(
            f"The design's weights ({design.weights!r}) differ from the weights the estimates used "
            f"({weights!r}); refit with vcov='survey' and design= so the estimates are weighted too."
        )
    return design


def few_clusters_note(G: int) -> str:
    """Summary note for nonlinear models clustered on few clusters (no wild bootstrap offered)."""
    return (
        f"Only {G} clusters (< {FEW_CLUSTERS}): cluster-robust tests may over-reject, and no wild "
        "(score) bootstrap is offered for this nonlinear model; interpret p-values with caution."
    )


@dataclass(frozen=True, slots=True)
class VcovResult:
    cov: np.ndarray
    df: float | None  # degrees of freedom of the t reference distribution (None: normal)
    n_clusters: tuple[int, ...] = ()
    note: str = ""


#: Small-sample conventions of maximum-likelihood sandwiches: "ml" (HC1 × N/(N-k), cluster ×
#: G/(G-1) per clustering term: Stata's ML ``vce()``; ``sandwich::vcovCL(type="HC0")``), "cr1"
#: (cluster × G/(G-1)·(N-1)/(N-k): ``vcovCL(type="HC1")``) or "none" (``vcovCL(type="HC0",
#: cadjust=FALSE)``).
MlSsc = Literal["ml", "cr1", "none"]
ML_SSC_KINDS: tuple[str, ...] = ("ml", "cr1", "none")
SandwichModel = Literal["linear", "ml"]


def _ml_factors(ssc: str, N: float, k: int) -> SscFactors:
    check_option("ssc", ssc, ML_SSC_KINDS)
    nan = float("nan")
    if ssc == "ml":
        return SscFactors(nan, N / (N - k), 1.0, True, False, nan, False)
    if ssc == "cr1":
        return SscFactors(nan, N / (N - k), (N - 1) / (N - k), True, False, nan, False)
    return SscFactors(nan, 1.0, 1.0, False, False, nan, False)


def psd_fix(V: np.ndarray) -> np.ndarray:
    """``V`` with its negative eigenvalues set to zero (``sandwich::vcovCL(fix=TRUE)``).

    A two-way covariance :math:`B(M_A + M_B - M_{A\\cap B})B` need not be positive
    semi-definite; the eigendecomposition :math:`V = U\\Lambda U'` is rebuilt as
    :math:`U\\max(\\Lambda,0)U'` (Cameron, Gelbach & Miller 2011, section 2.3); ``V`` is
    returned unchanged when no eigenvalue is negative.
    """
    lam, U = np.linalg.eigh((V + V.T) / 2)
    if np.all(lam >= 0):
        return V
    return (U * np.maximum(lam, 0.0)) @ U.T


def sandwich(
    kind: str,
    *,
    scores: Scores,
    bread: np.ndarray,
    model: SandwichModel = "ml",
    weights: np.ndarray | None = None,
    weight_type: str = "pweight",
    nobs: float | None = None,
    clusters: list[np.ndarray] | None = None,
    survey: SurveyDesign | ReplicateDesign | None = None,
    frame: pd.DataFrame | None = None,
    data: pd.DataFrame | None = None,
    refit: Callable[[np.ndarray], np.ndarray] | None = None,
    params: np.ndarray | None = None,
    ssc: str = "stata",
    fe: FeDof = NO_FE,
    bandwidth: int | None = None,
    multi0: bool = False,
    fix: bool = False,
) -> VcovResult:
    """Every covariance of the package from scores and bread: the one sandwich.

    Parameters
    ----------
    kind : {"iid", "HC0", "HC1", "HC2", "HC3", "cluster", "wild", "survey", "hac"}
        The covariance (the module docstring; pweight and design rules are applied by the caller).
    scores : ndarray (n, k) or IndexScores
        Per-observation scores :math:`s_i` (weights included); single-index models pass
        :class:`~disparity.models._meat.IndexScores` (:math:`x_i w_i r_i`, never multiplied out:
        every meat is formed by row blocks).
    bread : ndarray (k, k)
        :math:`B`: :math:`(X'WX)^{-1}` (``model="linear"``) or the inverse information ("ml").
    model : {"linear", "ml"}
        What "iid" means (:math:`\\hat\\sigma^2 B` with :math:`\\hat\\sigma^2` from the residuals of
        ``scores``, or :math:`B`) and which conventions ``ssc`` names.
    weights, weight_type
        Weights of the scores; fweights (replicated rows) give :math:`N = \\sum w_i` and the meat
        :math:`\\sum_i s_i s_i'/w_i`; clustered and HAC variances refuse them.
    nobs : float, optional
        :math:`N` (default: rows, or the sum of fweights).
    clusters : list of one or two int arrays
        Cluster codes 0..G-1 on the rows of the scores; two give
        :math:`V_A + V_B - V_{A\\cap B}` (Cameron, Gelbach & Miller 2011).
    survey, frame, data
        The design, the estimation rows and the design's full data for ``"survey"``: Taylor
        linearisation by :func:`survey_meat` (the measures' code), or with a
        :class:`ReplicateDesign` the replicate variance of ``refit(w)`` around ``params`` (ML), or
        of the exact weighted least-squares refit (``model="linear"``).
    ssc : str
        Linear: "stata", "fixest", "plm", "none" (:func:`ssc_factors`, with ``fe``); ML: "ml",
        "cr1" or "none" (:data:`MlSsc`).
    multi0 : bool
        Two-way only: subtract the heteroskedasticity-robust (HC0) meat, without any small-sample
        factor, instead of the clustered meat of the intersections :math:`A\\cap B`
        (``sandwich::vcovCL(multi0=TRUE)``; the two coincide when every intersection is one row).
    fix : bool
        Two-way only: set negative eigenvalues of the covariance to zero (:func:`psd_fix`,
        ``vcovCL(fix=TRUE)``).
    bandwidth : int, optional
        Bartlett lags of ``"hac"`` (default :func:`newey_west_lags`).

    Returns
    -------
    VcovResult
        Covariance, df of the t reference (``None``: normal), clusters per dimension, a note.
    """
    check_option("vcov", kind, (*FAMILY_VCOV["linear"], "hac"))
    check_option("model", model, ("linear", "ml"))
    linear = model == "linear"
    n, k = (scores.shape if isinstance(scores, np.ndarray) else (scores.n, scores.k))
    k = bread.shape[0]
    fw = weight_type == "fweight" and weights is not None
    N = float(nobs) if nobs is not None else (float(np.sum(weights)) if fw and weights is not None else float(n))
    if linear:
        if N - k - fe.k_fe <= 0:
            raise DataValueError(f"Too few observations ({N:g}) for {k} coefficients.")
        f = ssc_factors(ssc, N=N, k=k, fe=fe)
    else:
        f = _ml_factors(ssc, N, k)
    df_resid = f.df_resid if linear else None

    if kind == "iid":
        if not linear:
            return VcovResult(bread.copy(), None)
        if not isinstance(scores, IndexScores):
            raise SpecificationError("An iid linear variance needs the residuals (IndexScores).")
        ssr = sum(float(np.dot(scores.u_block(s, e), scores.r_block(s, e))) for s, e in blocks(n))
        return VcovResult(ssr / f.iid_denominator * bread, df_resid)

    if kind in ("HC0", "HC1", "HC2", "HC3"):
        sc = scores
        if kind in ("HC2", "HC3"):
            if not isinstance(scores, IndexScores):
                raise SpecificationError(f"{kind} needs a single-index model (leverages of its design).")
            h = leverage(scores.X, bread, weights)
            if np.any(h >= 1 - 1e-10):
                rows = list(np.flatnonzero(h >= 1 - 1e-10)[:5])
                raise DataValueError(
                    f"{kind} is undefined: observations at positions {rows} have leverage 1 "
                    "(each determines its own coefficient); use HC1 or drop those observations."
                )
            adj = np.sqrt(1 - h) if kind == "HC2" else (1 - h)
            e = scores.residuals()
            meat = _weighted_gram(scores.X, scores.u() / adj, e if fw else None)
        else:
            meat = score_gram(sc, fweights=weights if fw else None)
        V = bread @ meat @ bread
        if kind == "HC1":
            V = V * f.hc1
        return VcovResult(V, df_resid)

    if kind == "hac":
        if fw:
            raise SpecificationError("HAC variances with fweights are not supported.")
        bw = newey_west_lags(n) if bandwidth is None else int(bandwidth)
        if bw < 0:
            raise SpecificationError(f"bandwidth={bandwidth!r} must be a non-negative lag count.")
        V = bread @ hac_meat(dense_scores(scores), bw) @ bread * f.hc1
        return VcovResult(V, df_resid, note=f"HAC (Bartlett kernel, {bw} lags)")

    if kind in ("cluster", "wild"):
        if not clusters:
            raise SpecificationError(
                f"vcov={kind!r} needs cluster= (a column name, or two for two-way)."
            )
        if fw:
            raise SpecificationError(
                "Clustered variances with fweights are not supported: expand the replicated rows "
                "(or use them as pweights/aweights)."
            )
        if len(clusters) == 1:
            meat, G = _cluster_meat(scores, clusters[0])  # type: ignore[arg-type]
            gf = G / (G - 1) if f.cluster_g else 1.0
            V = bread @ meat @ bread * gf * f.cluster_k
            return VcovResult(V, (G - 1 if f.df_cluster_is_g else f.df_resid) if linear else None, (G,))
        if kind == "wild":
            raise SpecificationError(
                "vcov='wild' supports one clustering variable; pass cluster='name'."
            )
        a, b = clusters
        inter = pd.factorize(pd.MultiIndex.from_arrays([a, b]))[0].astype(np.intp)
        parts = [(*_cluster_meat(scores, codes), sign)  # type: ignore[arg-type]
                 for codes, sign in ((a, 1.0), (b, 1.0), (inter, -1.0))]
        Gmin = min(parts[0][1], parts[1][1])
        total = np.zeros((k, k))
        for meat, G, sign in parts[:2] if multi0 else parts:
            g = Gmin if f.min_g else G
            total += sign * ((g / (g - 1)) if f.cluster_g else 1.0) * meat
        if multi0:  # the intersection term is the HC0 meat, with no factor (vcovCL multi0=TRUE)
            total -= score_gram(scores) / f.cluster_k
        V = bread @ total @ bread * f.cluster_k
        if fix:  # on the covariance, as vcovCL(fix=TRUE) and Cameron, Gelbach & Miller (2011)
            V = psd_fix(V)
        return VcovResult(
            V, (Gmin - 1 if f.df_cluster_is_g else f.df_resid) if linear else None,
            (parts[0][1], parts[1][1]),
        )

    # survey
    if survey is None:
        raise SpecificationError(
            "vcov='survey' needs design=dp.SurveyDesign(weights=..., strata=..., psu=...)."
        )
    if frame is None:
        raise SpecificationError("vcov='survey' needs the estimation rows of the data.")
    if isinstance(survey, ReplicateDesign):
        if refit is not None and params is not None:
            V, dof = replicate_refit_vcov(refit, params, survey, frame, data)
        elif linear and isinstance(scores, IndexScores):
            V, dof = replicate_ols_vcov(scores.X, scores.residuals(), survey, frame, data)
        else:
            raise SpecificationError(
                "Replicate-weight designs are not supported by this estimator yet; use a "
                "dp.SurveyDesign (Taylor linearisation) or dp.logit/dp.probit/dp.ordered/dp.ols."
            )
        return VcovResult(V, dof)
    meat, dof = survey_meat(scores, survey, frame, data=data)
    return VcovResult(bread @ meat @ bread, dof)


def compute_vcov(
    kind: str,
    *,
    X: np.ndarray,
    resid: np.ndarray | None = None,
    bread: np.ndarray,
    weights: np.ndarray | None = None,
    weight_type: str = "pweight",
    clusters: list[np.ndarray] | None = None,
    survey: tuple[SurveyDesign | ReplicateDesign, pd.DataFrame]
    | tuple[SurveyDesign | ReplicateDesign, pd.DataFrame, pd.DataFrame]
    | None = None,
    ssc: str = "stata",
    fe: FeDof = NO_FE,
    bandwidth: int | None = None,
    scores: IndexScores | None = None,
) -> VcovResult:
    """Covariance of linear-model coefficients: :func:`sandwich` with ``model="linear"``.

    ``X`` holds the regressors whose scores enter the meat (for 2SLS the projected ones) and
    ``resid`` the residuals (or ``scores`` an :class:`IndexScores` computing them by blocks), ``fe``
    the absorbed fixed effects (see the module docstring for both tables).
    """
    check_option("vcov", kind, (*LINEAR_VCOV_KINDS, "hac"))
    sc = scores if scores is not None else IndexScores(X, resid=resid, weights=weights)
    design, frame, full = (survey[0], survey[1], survey[2] if len(survey) == 3 else None) \
        if survey is not None else (None, None, None)
    return sandwich(
        kind, scores=sc, bread=bread, model="linear", weights=weights, weight_type=weight_type,
        clusters=clusters, survey=design, frame=frame, data=full, ssc=ssc, fe=fe,
        bandwidth=bandwidth,
    )


@dataclass(frozen=True, slots=True)
class SandwichResult:
    """Covariance of an ML estimator with what was used: kind (after the pweight rule), clusters."""

    cov: np.ndarray
    df: float | None
    kind: str
    n_clusters: int | None = None  # the smaller G for two-way
    notes: tuple[str, ...] = ()
    clusters_per_dim: tuple[int, ...] = ()


def ml_sandwich(
    kind: str,
    *,
    scores: Scores,
    bread: np.ndarray,
    family: str = "ml",
    estimator: str = "this model",
    weights: np.ndarray | None = None,
    weight_type: str = "pweight",
    weights_name: str | None = None,
    nobs: float | None = None,
    clusters: list[np.ndarray] | None = None,
    survey: SurveyDesign | ReplicateDesign | None = None,
    frame: pd.DataFrame | None = None,
    data: pd.DataFrame | None = None,
    refit: Callable[[np.ndarray], np.ndarray] | None = None,
    params: np.ndarray | None = None,
    ssc: MlSsc = "ml",
    multi0: bool = False,
    fix: bool = False,
) -> SandwichResult:
    """Covariance of a maximum-likelihood estimator: :func:`sandwich` with ``model="ml"``.

    ``scores`` are the per-observation scores :math:`s_i` (weights included; an array or
    :class:`IndexScores`), ``bread`` the inverse information :math:`B`. ``kind`` is checked
    against ``family`` (:data:`FAMILY_VCOV`) and goes through :func:`pweight_rule` first. Then

    * ``"iid"``: :math:`B`;
    * ``"HC0"``/``"HC1"``: :math:`B(\\sum_i s_i s_i')B`, HC1 × :math:`N/(N-k)` (fweights replicate
      rows: :math:`\\sum_i s_i s_i'/w_i`);
    * ``"cluster"``: :math:`\\frac{G}{G-1}B(\\sum_g S_g S_g')B` (Stata's ``vce(cluster)`` for ML,
      ``sandwich::vcovCL(type="HC0")``); with two clustering variables
      :math:`B(M_A + M_B - M_{A\\cap B})B`, each meat times its own :math:`G/(G-1)` (Cameron,
      Gelbach & Miller 2011; ``vcovCL(cluster = ~a + b, type="HC0")``), ``multi0``/``fix`` as in
      :func:`sandwich`; ``ssc="cr1"`` multiplies by :math:`(N-1)/(N-k)` too (``type="HC1"``),
      ``ssc="none"`` drops every factor (``cadjust=FALSE``);
    * ``"survey"``: Taylor linearisation of the score totals with the design ``survey`` (:func:`survey_meat`,
      the measures' code; ``frame`` the estimation rows, ``data`` the whole design's rows), or
      with a :class:`ReplicateDesign` the replicate variance of ``refit(w)`` around ``params``
      (:func:`replicate_refit_vcov`).
    """
    kind = check_vcov(family, kind)
    check_option("ssc", ssc, ML_SSC_KINDS)
    kind, pw_note = pweight_rule(kind, weight_type, weights is not None, family=family)
    notes: list[str] = [pw_note] if pw_note else []
    if kind == "cluster" and clusters and len(clusters) > 2:
        raise SpecificationError(
            f"{estimator}: vcov='cluster' takes one or two clustering variables."
        )
    if kind == "survey":
        survey = check_survey_refit(survey, weights_name)
        if isinstance(survey, ReplicateDesign) and (refit is None or params is None):
            raise SpecificationError(
                f"{estimator}: replicate-weight designs are not supported yet; use a "
                "dp.SurveyDesign (Taylor linearisation) or dp.logit/dp.probit/dp.ordered/dp.ols."
            )
    elif kind == "cluster" and not clusters:
        raise SpecificationError("vcov='cluster' needs cluster=.")
    vr = sandwich(
        kind, scores=scores, bread=bread, model="ml", weights=weights, weight_type=weight_type,
        nobs=nobs, clusters=clusters, survey=survey, frame=frame, data=data, refit=refit,
        params=params, ssc=ssc, multi0=multi0, fix=fix,
    )
    G = min(vr.n_clusters) if vr.n_clusters else None
    factor = {"ml": "G/(G-1)", "cr1": "G/(G-1)·(N-1)/(N-k)", "none": "no small-sample"}[ssc]
    r_type = {"ml": "type HC0", "cr1": "type HC1", "none": "type HC0, cadjust=FALSE"}[ssc]
    if len(vr.n_clusters) == 1:
        notes.append(
            f"Cluster-robust variance with {factor} correction, {G} clusters (as "
            + ("Stata and " if ssc == "ml" else "") + f"sandwich::vcovCL {r_type})."
        )
    elif len(vr.n_clusters) == 2:
        ga, gb = vr.n_clusters
        notes.append(
            f"Two-way cluster-robust variance V_A + V_B - V_(A∩B) (Cameron, Gelbach & Miller 2011), "
            f"{ga} and {gb} clusters, {factor} correction per term"
            + (", HC0 for the intersection (multi0)" if multi0 else "")
            + (", negative eigenvalues set to zero" if fix else "")
            + f" (as sandwich::vcovCL {r_type})."
        )
    if G is not None and G < FEW_CLUSTERS:
        notes.append(few_clusters_note(G))
    return SandwichResult(vr.cov, vr.df, kind, G, tuple(notes), vr.n_clusters)

# --- translations for wrapped libraries (the only place they live) -------------------------------


def linearmodels_panel_args(
    kind: str,
    *,
    ssc: str = "stata",
    clusters: pd.DataFrame | None = None,
    bandwidth: float | None = None,
) -> dict[str, Any]:
    """Fit arguments of ``linearmodels.panel`` models for our ``vcov`` kind and ``ssc``.

    linearmodels' ``debiased`` is the (N-1)/(N-k) (clustered) or N/(N-k) (robust) factor, with k
    the coefficients of the transformed model; ``group_debias`` is G/(G-1).
    """
    small = ssc != "none"
    if kind == "iid":
        return {"cov_type": "unadjusted", "debiased": small}
    if kind == "HC1":
        return {"cov_type": "robust", "debiased": small}
    if kind == "cluster":
        return {
            "cov_type": "clustered",
            "clusters": clusters,
            "debiased": small,
            "group_debias": small,
        }
    if kind == "driscoll-kraay":
        args: dict[str, Any] = {"cov_type": "kernel", "kernel": "bartlett", "debiased": small}
        if bandwidth is not None:
            args["bandwidth"] = bandwidth
        return args
    raise SpecificationError(f"vcov={kind!r} has no linearmodels panel counterpart.")


def linearmodels_iv_args(
    kind: str,
    *,
    small: bool,
    clusters: np.ndarray | None = None,
    bandwidth: int | None = None,
    index: pd.Index | None = None,
) -> dict[str, Any]:
    """Fit (covariance) arguments of ``linearmodels.iv`` models for our ``vcov`` kind.

    ``small=True`` is Stata's ``small`` (linearmodels' ``debiased``: N/(N-k), and G/(G-1)·(N-1)/(N-k)
    for clusters); ``small=False`` applies no factor. Unknown kinds are refused, never guessed.
    """
    if kind == "iid":
        return {"cov_type": "unadjusted", "debiased": small}
    if kind in ("HC0", "HC1"):
        return {"cov_type": "robust", "debiased": small and kind == "HC1"}
    if kind == "cluster":
        if clusters is None:
            raise SpecificationError("vcov='cluster' needs cluster=.")
        return {"cov_type": "clustered", "clusters": pd.Series(clusters, index=index), "debiased": small}
    if kind == "hac":
        return {
            "cov_type": "kernel",
            "kernel": "bartlett",
            "bandwidth": bandwidth,
            "debiased": small,
        }
    raise SpecificationError(f"vcov={kind!r} has no linearmodels IV counterpart.")


def linearmodels_gmm_weight(kind: str) -> dict[str, Any]:
    """``weight_type`` of ``linearmodels.iv.IVGMM`` matching our vcov kind (Stata's ``wmatrix()``)."""
    return {
        "iid": {"weight_type": "unadjusted"},
        "HC0": {"weight_type": "robust"},
        "HC1": {"weight_type": "robust"},
        "cluster": {"weight_type": "clustered"},
        "hac": {"weight_type": "kernel", "kernel": "bartlett"},
    }[check_vcov("iv", kind)]


def linearmodels_hansen_j_args(
    kind: str, *, clusters: pd.Series | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Model and fit arguments of the ``IVGMM`` behind Hansen's J: clustered for "cluster", else
    heteroskedasticity-robust (Stata ``ivreg2``'s J under ``robust``/``cluster``)."""
    if kind == "cluster":
        if clusters is None:
            raise SpecificationError("vcov='cluster' needs cluster=.")
        return ({"weight_type": "clustered", "clusters": clusters},
                {"cov_type": "clustered", "clusters": clusters})
    return {"weight_type": "robust"}, {"cov_type": "robust"}


#: statsmodels ``cov_type`` names in our vocabulary (for reading statsmodels results).
STATSMODELS_VCOV = {"nonrobust": "iid", "HC0": "HC0", "HC1": "HC1", "HC2": "HC2", "HC3": "HC3",
                    "cluster": "cluster", "HAC": "other"}


def vcov_of_statsmodels(res: Any) -> tuple[str, int | None]:
    """Our name of the covariance of a statsmodels results object, and its clusters (if any)."""
    cov_type = getattr(res, "cov_type", "nonrobust")
    n_clusters = None
    if cov_type == "cluster":
        groups = (getattr(res, "cov_kwds", None) or {}).get("groups")
        n_clusters = int(len(np.unique(np.asarray(groups), axis=0))) if groups is not None else None
    return STATSMODELS_VCOV.get(cov_type, "other"), n_clusters


def vcov_of_linearmodels(res: Any) -> tuple[str, tuple[str, ...]]:
    """Our name of the covariance of a linearmodels results object, and what it clusters by."""
    # panel results keep the covariance name privately (linearmodels 6-7)
    cov_type = str(getattr(res, "cov_type", None) or getattr(res, "_cov_type", "")).lower()
    vcov = ("iid" if cov_type.startswith("unadjusted") or cov_type == "homoskedastic"
            else "cluster" if "cluster" in cov_type
            else "driscoll-kraay" if "kernel" in cov_type or "driscoll" in cov_type
            else "robust" if ("robust" in cov_type or "heterosk" in cov_type) else "other")
    cluster: tuple[str, ...] = ()
    if vcov == "cluster":
        cov_cfg = getattr(res, "cov_config", None) or getattr(res, "_cov_config", None) or {}
        names = [k for k in ("cluster_entity", "cluster_time") if cov_cfg.get(k)]
        cluster = tuple("entity" if n == "cluster_entity" else "time" for n in names) or ("?",)
    return vcov, cluster
