"""The one place where covariance kinds are defined (and translated for wrapped libraries).

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
``ssc=``    iid :math:`\\hat\\sigma^2`  HC1 factor               cluster factor                      t df
==========  ======================  ========================  ==================================  ==========
"stata"     SSR/(N-k-k_fe)          N/(N-k-k_fe)              G/(G-1)·(N-1)/(N-k-k_fe+k_nest)     N-k-k_fe;
                                                                                                  G-1
"fixest"    as "stata"              as "stata"                as "stata", two-way with min(G)     as "stata"
            (k_fe: levels − 1 per
            further set of effects)
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
==============  =============  ==================================================================
family          default vcov   reason
==============  =============  ==================================================================
linear          "iid"          ``regress``/``lm``; with pweights "HC1"
panel           "iid"          ``xtreg``/``plm`` conventional; with pweights "cluster" (entity)
iv              "iid"          ``ivregress``/``AER::ivreg``; with pweights "HC1"
binary          "iid"          ``logit``/``glm``; with pweights "HC0" (the ML sandwich)
ordered         "iid"          ``ologit``/``MASS::polr``; with pweights "HC0"
scale           "iid"          as linear
did             "cluster"      treatment assigned by unit: the unit is the cluster
==============  =============  ==================================================================

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

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._options import SSC_KINDS, VCOV_KINDS, SscKind, VcovKind, check_option
from ..design import SurveyDesign
from ..errors import DataValueError, SpecificationError

__all__ = [
    "VcovResult",
    "FeDof",
    "compute_vcov",
    "check_vcov",
    "check_ssc",
    "pweight_rule",
    "PWEIGHT_VCOV",
    "ssc_factors",
    "newey_west_lags",
    "linearmodels_iv_args",
    "linearmodels_panel_args",
    "cluster_codes",
    "few_clusters_note",
    "check_survey_refit",
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
    "did": ("cluster",),
}
#: Default ``vcov=`` of each family (the table in the module docstring says why).
DEFAULT_VCOV: dict[str, str] = {
    "linear": "iid",
    "panel": "iid",
    "iv": "iid",
    "binary": "iid",
    "ordered": "iid",
    "scale": "iid",
    "did": "cluster",
}
LINEAR_VCOV_KINDS = FAMILY_VCOV["linear"]
assert all(set(v) <= set(VCOV_KINDS) for v in FAMILY_VCOV.values())


def check_vcov(family: str, kind: Any) -> VcovKind:
    """``kind`` if the ``family`` accepts it; otherwise a SpecificationError listing what it accepts."""
    allowed = FAMILY_VCOV[family]
    if kind not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        other = (
            f" ({kind!r} is a covariance kind of other estimators, not of {family} models.)"
            if kind in VCOV_KINDS
            else ""
        )
        raise SpecificationError(
            f"vcov={kind!r} is not supported by {family} models; use one of {shown}.{other}"
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


def check_survey_refit(design: SurveyDesign | None, weights: str | None) -> SurveyDesign:
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


@dataclass(frozen=True)
class VcovResult:
    cov: np.ndarray
    df: float | None  # degrees of freedom of the t reference distribution (None: normal)
    n_clusters: tuple[int, ...] = ()
    note: str = ""


def cluster_codes(
    data: pd.DataFrame, cluster: str | list[str] | tuple[str, ...], index: pd.Index
) -> list[np.ndarray]:
    """Integer codes of each clustering variable on the estimation rows; checks for problems."""
    names = [cluster] if isinstance(cluster, str) else list(cluster)
    if not 1 <= len(names) <= 2:
        raise SpecificationError(
            "cluster= takes one column name or a list of two (two-way clustering)."
        )
    out = []
    for c in names:
        if c not in data.columns:
            raise SpecificationError(f"Cluster column {c!r} is not in the data.")
        col = data[c] if index.equals(data.index) else data.loc[index, c]
        if col.isna().any():
            rows = list(col.index[col.isna()][:5])
            raise DataValueError(
                f"Cluster column {c!r} has {int(col.isna().sum())} missing values (rows {rows}); "
                "fill them or drop those rows before fitting: observations cannot be assigned to a cluster."
            )
        codes, uniques = pd.factorize(col, sort=True)
        if len(uniques) < 2:
            raise DataValueError(
                f"Cluster column {c!r} has a single cluster in the estimation sample; cluster-robust "
                "variances need at least two (use vcov='HC1', or a coarser/finer clustering variable)."
            )
        out.append(codes.astype(np.intp))
    return out


def _cluster_meat(scores: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, int]:
    G = int(codes.max()) + 1
    S = np.zeros((G, scores.shape[1]))
    _group_sum(S, scores, codes)
    return S.T @ S, G


#: Rows per block when a meat is formed from the design: temporaries of block x k, not n x k.
MEAT_BLOCK = 65_536


def _weighted_gram(X: np.ndarray, u: np.ndarray, v: np.ndarray | None = None) -> np.ndarray:
    """``sum_i u_i v_i x_i x_i'`` (``v = u`` when None) by row blocks, without an n x k copy."""
    n, k = X.shape
    out = np.zeros((k, k))
    for s in range(0, n, MEAT_BLOCK):
        e = min(s + MEAT_BLOCK, n)
        Xb = X[s:e]
        if v is None:
            Xu = Xb * u[s:e, None]
            out += Xu.T @ Xu
        else:
            out += (Xb * (u[s:e] * v[s:e])[:, None]).T @ Xb
    return out


def _cluster_meat_xu(X: np.ndarray, u: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, int]:
    """:func:`_cluster_meat` of the scores ``X * u[:, None]``, one column at a time."""
    G = int(codes.max()) + 1
    S = np.empty((G, X.shape[1]))
    for j in range(X.shape[1]):
        S[:, j] = np.bincount(codes, weights=X[:, j] * u, minlength=G)
    return S.T @ S, G


def _group_sum(S: np.ndarray, scores: np.ndarray, codes: np.ndarray) -> None:
    for j in range(scores.shape[1]):
        S[:, j] = np.bincount(codes, weights=scores[:, j], minlength=S.shape[0])


def leverage(X: np.ndarray, bread: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    h = np.einsum("ij,jk,ik->i", X, bread, X, optimize=True)
    return h if weights is None else h * weights


def hac_meat(scores: np.ndarray, bandwidth: int) -> np.ndarray:
    """Bartlett-kernel (Newey-West) long-run variance of the rows of ``scores`` (in time order)."""
    S = scores.T @ scores
    for lag in range(1, int(bandwidth) + 1):
        w = 1 - lag / (bandwidth + 1)
        G = scores[lag:].T @ scores[:-lag]
        S += w * (G + G.T)
    return S


def compute_vcov(
    kind: str,
    *,
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    weights: np.ndarray | None = None,
    weight_type: str = "pweight",
    clusters: list[np.ndarray] | None = None,
    survey: tuple[SurveyDesign, pd.DataFrame] | None = None,
    ssc: str = "stata",
    fe: FeDof = NO_FE,
    bandwidth: int | None = None,
) -> VcovResult:
    """Covariance of linear-model coefficients for ``kind`` under the convention ``ssc``.

    ``X`` holds the regressors whose scores enter the meat (for 2SLS the projected ones), ``fe`` the
    absorbed fixed effects (see the module docstring for both tables).
    """
    check_option("vcov", kind, (*LINEAR_VCOV_KINDS, "hac"))
    n, k = X.shape
    fw = weight_type == "fweight" and weights is not None
    N = float(np.sum(weights)) if fw else float(n)
    if N - k - fe.k_fe <= 0:
        raise DataValueError(f"Too few observations ({N:g}) for {k} coefficients.")
    f = ssc_factors(ssc, N=N, k=k, fe=fe)
    if weights is None:
        wres = resid
    else:
        wres = weights * resid

    if kind == "iid":
        sigma2 = float(np.dot(wres, resid)) / f.iid_denominator
        return VcovResult(sigma2 * bread, f.df_resid)

    if kind in ("HC0", "HC1", "HC2", "HC3"):
        if kind in ("HC2", "HC3"):
            h = leverage(X, bread, weights)
            if np.any(h >= 1 - 1e-10):
                rows = list(np.flatnonzero(h >= 1 - 1e-10)[:5])
                raise DataValueError(
                    f"{kind} is undefined: observations at positions {rows} have leverage 1 "
                    "(each determines its own coefficient); use HC1 or drop those observations."
                )
            u = wres / (np.sqrt(1 - h) if kind == "HC2" else (1 - h))
        else:
            u = wres
        meat = _weighted_gram(X, u, resid if fw else None)
        V = bread @ meat @ bread
        if kind == "HC1":
            V = V * f.hc1
        return VcovResult(V, f.df_resid)

    if kind == "hac":
        if fw:
            raise SpecificationError("HAC variances with fweights are not supported.")
        bw = newey_west_lags(n) if bandwidth is None else int(bandwidth)
        if bw < 0:
            raise SpecificationError(f"bandwidth={bandwidth!r} must be a non-negative lag count.")
        V = bread @ hac_meat(X * wres[:, None], bw) @ bread * f.hc1
        return VcovResult(V, f.df_resid, note=f"HAC (Bartlett kernel, {bw} lags)")

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
            meat, G = _cluster_meat_xu(X, wres, clusters[0])
            gf = G / (G - 1) if f.cluster_g else 1.0
            V = bread @ meat @ bread * gf * f.cluster_k
            return VcovResult(V, G - 1 if f.df_cluster_is_g else f.df_resid, (G,))
        if kind == "wild":
            raise SpecificationError(
                "vcov='wild' supports one clustering variable; pass cluster='name'."
            )
        a, b = clusters
        inter = pd.factorize(pd.MultiIndex.from_arrays([a, b]))[0].astype(np.intp)
        parts = [(*_cluster_meat_xu(X, wres, codes), sign) for codes, sign in ((a, 1.0), (b, 1.0), (inter, -1.0))]
        Gmin = min(parts[0][1], parts[1][1])
        total = np.zeros((k, k))
        for meat, G, sign in parts:
            g = Gmin if f.min_g else G
            total += sign * ((g / (g - 1)) if f.cluster_g else 1.0) * meat
        V = bread @ total @ bread * f.cluster_k
        return VcovResult(
            V, Gmin - 1 if f.df_cluster_is_g else f.df_resid, (parts[0][1], parts[1][1])
        )

    # survey
    if survey is None:
        raise SpecificationError(
            "vcov='survey' needs design=dp.SurveyDesign(weights=..., strata=..., psu=...)."
        )
    design, frame = survey
    scores = X * wres[:, None]
    meat, dof = survey_meat(scores, design, frame)
    return VcovResult(bread @ meat @ bread, dof)


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


def survey_meat(
    scores: np.ndarray, design: SurveyDesign, frame: pd.DataFrame
) -> tuple[np.ndarray, float]:
    """With-replacement Taylor-linearisation variance of the total of ``scores`` (rows of ``frame``).

    Returns the k×k variance and the design degrees of freedom (#PSU − #strata).
    """
    n = scores.shape[0]
    strata = (
        pd.factorize(frame[design.strata], sort=True)[0]
        if design.strata
        else np.zeros(n, dtype=np.intp)
    )
    if design.psu:
        psu = pd.factorize(pd.MultiIndex.from_arrays([strata, frame[design.psu].to_numpy()]))[0]
    else:
        psu = np.arange(n)
    for c in design.columns():
        if frame[c].isna().any():
            raise DataValueError(
                f"Survey design column {c!r} has missing values; fill or drop those rows."
            )
    k = scores.shape[1]
    meat = np.zeros((k, k))
    n_psu_total = 0
    H = int(strata.max()) + 1
    for h in range(H):
        in_h = strata == h
        codes, _ = pd.factorize(psu[in_h])
        nh = int(codes.max()) + 1
        n_psu_total += nh
        if nh < 2:
            raise DataValueError(
                f"Stratum {h} of {design.strata!r} has a single PSU; its variance is not estimable. "
                "Collapse it with a neighbouring stratum."
            )
        Z = np.zeros((nh, k))
        _group_sum(Z, scores[in_h], codes)
        Zc = Z - Z.mean(0)
        f = 0.0
        if design.fpc:
            fpc = float(frame[design.fpc].to_numpy()[in_h][0])
            f = nh / fpc if fpc > 1 else fpc
        meat += (1 - f) * nh / (nh - 1) * (Zc.T @ Zc)
    return meat, float(n_psu_total - H)
