"""Linear regression: ordinary and weighted least squares with the full covariance vocabulary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._dispatch import dispatches
from .._options import WEIGHT_TYPES, WeightType, check_option
from ..design import SurveyDesign
from ..errors import DataValueError, SpecificationError
from . import covariance as cv
from ._margins import average_effects
from ._solver import solve_lstsq
from .bootstrap import BOOT_WEIGHTS, wild_cluster_bootstrap
from .formula import Design, build_design
from .results import ModelResult, ModelSpec

__all__ = ["ols", "prepare_weights", "resolve_design"]


def prepare_weights(
    data: pd.DataFrame, weights: str | None, weight_type: str, index: pd.Index
) -> np.ndarray | None:
    """Weights on the estimation rows, checked and normalised per ``weight_type``."""
    check_option("weight_type", weight_type, WEIGHT_TYPES)
    if weights is None:
        return None
    if not isinstance(weights, str) or weights not in data.columns:
        raise SpecificationError(f"weights={weights!r} must name a column of the data.")
    w = pd.to_numeric(data.loc[index, weights], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        rows = list(index[bad][:5])
        raise DataValueError(
            f"Weight column {weights!r} has missing, non-numeric or negative values in rows {rows}; "
            "weights must be finite and non-negative: fix or drop those rows."
        )
    if weight_type == "fweight" and np.any(w != np.round(w)):
        rows = list(index[w != np.round(w)][:5])
        raise DataValueError(
            f"fweights in {weights!r} must be whole replication counts; rows {rows} are not. "
            "Use weight_type='pweight' or 'aweight' for non-integer weights."
        )
    if w.sum() <= 0:
        raise DataValueError(f"Weight column {weights!r} sums to zero on the estimation sample.")
    if weight_type == "aweight":
        w = w * (len(w) / w.sum())
    return w


def resolve_design(
    design: SurveyDesign | None, weights: str | None, weight_type: str, vcov: str
) -> tuple[str | None, str]:
    """Reconcile ``design=`` with ``weights=``: a survey design carries its own pweights."""
    if vcov == "survey":
        if design is None:
            raise SpecificationError(
                "vcov='survey' needs design=dp.SurveyDesign(weights=..., strata=..., psu=...)."
            )
        if weights is not None and design.weights is not None and weights != design.weights:
            raise SpecificationError(
                f"weights={weights!r} and design.weights={design.weights!r} disagree; give one."
            )
        return (design.weights or weights), "pweight"
    if design is not None:
        raise SpecificationError("design= is only used with vcov='survey'.")
    return weights, weight_type


def _check_nobs(d: Design, formula: str) -> None:
    n, k = d.X.shape
    if n <= k:
        raise DataValueError(
            f"Too few observations for {formula!r}: {n} complete rows ({d.n_dropped} dropped for "
            f"missing values) for {k} coefficients. Use more data or fewer regressors."
        )


@dispatches("ols")
def ols(
    formula: str,
    data: pd.DataFrame,
    *,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    vcov: str = "iid",
    cluster: str | Sequence[str] | None = None,
    design: SurveyDesign | None = None,
    few_clusters: str = "wild",
    reps: int = 9999,
    boot_weights: str = "rademacher",
    seed: int | None = None,
    safe: bool = False,
) -> ModelResult:
    """Linear regression by (weighted) least squares.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 + C(region) + x1:x2"`` (formulaic syntax). With ``safe=True`` (formulas read
        from analysis files) only column names, arithmetic and allowlisted transforms are accepted.
    data : DataFrame
    weights : str, optional
        Column of weights; meaning set by ``weight_type`` ("pweight", "aweight", "fweight").
    vcov : str
        "iid", "HC0"-"HC3", "cluster", "wild" or "survey" (see :mod:`disparity.models.covariance`).
        With pweights, "iid" is replaced by "HC1" (as Stata does) and the summary says so.
    cluster : str or list of two str
        Clustering variable(s) for "cluster"/"wild".
    design : SurveyDesign, optional
        Survey design for ``vcov="survey"``.
    few_clusters : {"wild", "analytic"}
        With one-way ``vcov="cluster"`` and fewer than ``FEW_CLUSTERS`` (42) clusters, "wild" (the
        default) makes the result carry wild-bootstrap p-values and intervals.
    reps, boot_weights, seed
        Wild bootstrap draws, auxiliary distribution ("rademacher"/"webb") and seed.
    safe : bool
        Run :func:`~disparity.models.formula.check_safe` on the formula.

    Returns
    -------
    ModelResult
        ``glance()`` includes ``condition_number`` (of the centred, unit-norm design) and ``r2``.

    Notes
    -----
    :math:`\\hat\\beta = \\arg\\min_b \\sum_i w_i (y_i - x_i'b)^2`, solved by the accurate solver of
    :mod:`disparity.models._solver` (Householder QR on the centred, scaled design, with
    extended-precision refinement when the condition number calls for it). Rows with missing
    values in any formula variable are dropped and counted in ``spec.n_dropped``.

    References
    ----------
    Wooldridge, J. M. (2010). *Econometric Analysis of Cross Section and Panel Data*, 2nd ed. MIT Press, ch. 4.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.ols("oop ~ age + edu_years + C(urban)", df, vcov="HC1")
    >>> r.tidy()["estimate"].round(2).tolist()
    [-331.39, 26.61, 3.2, -413.96]
    """
    check_option("vcov", vcov, cv.LINEAR_VCOV_KINDS)
    check_option("few_clusters", few_clusters, ("wild", "analytic"))
    check_option("boot_weights", boot_weights, BOOT_WEIGHTS)
    weights, weight_type = resolve_design(design, weights, weight_type, vcov)
    if vcov in ("cluster", "wild") and cluster is None:
        raise SpecificationError(
            f"vcov={vcov!r} needs cluster= (a column name, or two for two-way)."
        )
    clist = () if cluster is None else ((cluster,) if isinstance(cluster, str) else tuple(cluster))
    extra = [c for c in [weights, *clist, *(design.columns() if design else [])] if c]
    for c in extra:
        if c not in data.columns:
            raise SpecificationError(f"Column {c!r} (weights/cluster/design) is not in the data.")
    d = build_design(formula, cv.survey_frames(design, data), extra=extra, safe=safe)
    _check_nobs(d, formula)
    w = prepare_weights(data, weights, weight_type, d.index)
    X = d.X.to_numpy()
    y = d.y.to_numpy()
    names = list(d.X.columns)
    sol = solve_lstsq(X, y, names=names, weights=w, intercept=d.intercept)

    codes = cv.cluster_codes(data, list(clist), d.index) if clist else None
    frame = data.loc[d.index]
    nobs = int(round(w.sum())) if (w is not None and weight_type == "fweight") else len(y)

    ybar = float(np.average(y, weights=w)) if d.intercept is not None else 0.0
    wt = np.ones_like(y) if w is None else w
    ssr = float(np.dot(wt * sol.resid, sol.resid))
    tss = float(np.dot(wt * (y - ybar), y - ybar))
    nn = float(wt.sum()) if weight_type == "fweight" and w is not None else float(len(y))
    k = X.shape[1]
    r2 = 1 - ssr / tss if tss > 0 else float("nan")
    base_stats = {
        "r2": r2,
        "adj_r2": 1 - (1 - r2) * (nn - (d.intercept is not None)) / (nn - k),
        "sigma": float(np.sqrt(ssr / (nn - k))),
        "condition_number": sol.condition,
        "refined": sol.refined,
    }

    def build(kind: str, **kw: Any) -> ModelResult:
        kind = check_option("vcov", kind, cv.LINEAR_VCOV_KINDS)
        cl = kw.get("cluster", clist)
        cl = (cl,) if isinstance(cl, str) else tuple(cl or ())
        cds = codes if cl == clist else (cv.cluster_codes(data, list(cl), d.index) if cl else None)
        dsn = kw.get("design", design)
        if kind == "survey":
            dsn = cv.check_survey_refit(dsn, weights)
        fc = kw.get("few_clusters", few_clusters)
        notes: list[str] = []
        if w is not None and weight_type == "pweight" and kind == "iid":
            kind = "HC1"
            notes.append("pweights: heteroskedasticity-robust (HC1) variance, as Stata does.")
        if kind in ("cluster", "wild") and not cl:
            raise SpecificationError(f"vcov={kind!r} needs cluster=.")
        vr = cv.compute_vcov(
            kind,
            X=X,
            resid=sol.resid,
            bread=sol.bread,
            weights=w,
            weight_type=weight_type if w is not None else "pweight",
            clusters=cds,
            survey=(dsn, frame, data) if kind == "survey" else None,
        )
        stats_ = dict(base_stats)
        if vr.n_clusters:
            stats_["n_clusters"] = vr.n_clusters[0] if len(vr.n_clusters) == 1 else vr.n_clusters
        cov = pd.DataFrame(vr.cov, index=names, columns=names)
        params = pd.Series(sol.params, index=names, name="estimate")
        boot_p = boot_ci = None
        extra: dict[str, Any] = {}
        options: dict[str, Any] = {}
        use_wild = kind == "wild" or (
            kind == "cluster"
            and fc == "wild"
            and len(vr.n_clusters) == 1
            and vr.n_clusters[0] < cv.FEW_CLUSTERS
        )
        if use_wild:
            se = np.sqrt(np.diag(vr.cov))
            wb = wild_cluster_bootstrap(
                X,
                y,
                codes=cds[0],
                bread=sol.bread,
                params=sol.params,
                se=se,
                weights=w,
                reps=kw.get("reps", reps),
                boot_weights=kw.get("boot_weights", boot_weights),
                seed=kw.get("seed", seed),
            )
            boot_p = pd.Series(wb.pvalues, index=names)
            boot_ci = pd.DataFrame(
                wb.conf_int(0.95), index=names, columns=["conf_low", "conf_high"]
            )
            extra["wild_ci"] = lambda level: pd.DataFrame(
                wb.conf_int(level), index=names, columns=["conf_low", "conf_high"]
            )
            extra["wild"] = wb
            options.update(reps=wb.reps, boot_weights=wb.weights, seed=wb.seed)
            stats_["inference"] = "wild"
            notes.append(
                f"p-values and 95% intervals from the wild cluster bootstrap (WCR, {wb.weights} weights, "
                f"{wb.reps} draws, seed {wb.seed}) because there are {wb.n_clusters} clusters"
                + (f" (< {cv.FEW_CLUSTERS})." if kind == "cluster" else ".")
            )
        elif kind == "cluster":
            notes.append("Cluster-robust (CR1) variance: G/(G-1)·(N-1)/(N-k), t with G-1 df.")
            if len(vr.n_clusters) == 2 and min(vr.n_clusters) < cv.FEW_CLUSTERS:
                notes.append(
                    f"Only {min(vr.n_clusters)} clusters in one dimension (< {cv.FEW_CLUSTERS}); "
                    "two-way cluster-robust tests may over-reject and no wild bootstrap is offered "
                    "for two-way clustering: interpret p-values with caution."
                )
        spec = ModelSpec(
            estimator="ols" if w is None else "wls",
            formula=formula,
            vcov=kind,
            cluster=cl,
            weights=weights,
            weight_type=weight_type if weights else None,
            nobs=nobs,
            n_dropped=d.n_dropped,
            options=options,
            notes=tuple(notes),
        )
        return ModelResult(
            params=params,
            cov=cov,
            nobs=nobs,
            df=vr.df,
            spec=spec,
            raw={
                "X": X,
                "y": y,
                "weights": w,
                "resid": sol.resid,
                "bread": sol.bread,
                "solution": sol,
            },
            stats=stats_,
            boot_pvalues=boot_p,
            boot_conf_int=boot_ci,
            extra=extra,
            _refit=build,
            _effects=lambda res, var, at, level: average_effects(
                res, var, at, level, frame=frame, model_spec=d.model_spec, columns=names, weights=w
            ),
        )

    return build(vcov)
