"""Panel-data models: our own fixed-effects path and wrappers of linearmodels; the Hausman test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._options import check_option
from ..errors import DataValueError, SpecificationError
from . import covariance as cv
from ._solver import solve_lstsq
from .bootstrap import wild_cluster_bootstrap
from .formula import LAG_CALL, build_design, check_safe
from .results import ModelResult, ModelSpec

__all__ = ["panel", "hausman", "HausmanResult", "demean"]

PanelModel = Literal["fe", "re", "be", "fd", "pooled"]
PanelEffects = Literal["entity", "time", "twoway"]
PANEL_VCOV_KINDS = ("iid", "HC1", "cluster", "wild", "driscoll-kraay")
# Alternating projections stop when no column moves by more than this (relative to its scale).
DEMEAN_TOL = 1e-13
DEMEAN_MAX_ITER = 10_000


def _group_means(M: np.ndarray, codes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    G = counts.shape[0]
    out = np.empty((G, M.shape[1]))
    for j in range(M.shape[1]):
        out[:, j] = np.bincount(codes, weights=M[:, j], minlength=G)
    return out / counts[:, None]


def demean(M: np.ndarray, groups: Sequence[np.ndarray]) -> tuple[np.ndarray, int]:
    """Residuals of the columns of ``M`` on one or more sets of dummies (alternating projections).

    Returns the demeaned copy and the number of sweeps. One set is exact in one sweep; two sets are
    swept until the largest change is below ``DEMEAN_TOL`` of the column's scale (Gaure 2013). A
    balanced two-way panel converges after the first sweep (the second only confirms it).
    """
    M = np.array(M, dtype=float, order="F", copy=True)
    counts = [np.bincount(g) for g in groups]
    scale = np.maximum(np.abs(M).max(axis=0), 1e-300)
    for sweep in range(1, DEMEAN_MAX_ITER + 1):
        change = 0.0
        for g, c in zip(groups, counts, strict=True):
            means = _group_means(M, g, c)
            M -= means[g]
            change = max(change, float(np.max(np.abs(means).max(axis=0) / scale)))
        if len(groups) == 1 or change < DEMEAN_TOL:
            return M, sweep
    raise DataValueError(
        "Demeaning by two sets of fixed effects did not converge; the panel may be very unbalanced. "
        "Check for entities or periods with a single observation."
    )


@dataclass(frozen=True)
class HausmanResult:
    """Hausman test of fixed against random effects (as ``plm::phtest``)."""

    statistic: float
    df: int
    p_value: float
    terms: tuple[str, ...]

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "test": "hausman",
                    "statistic": self.statistic,
                    "df": self.df,
                    "p_value": self.p_value,
                }
            ]
        )


def hausman(fe_result: ModelResult, re_result: ModelResult) -> HausmanResult:
    """Hausman (1978) test: are the random-effects estimates consistent?

    Notes
    -----
    On the coefficients common to both models (the intercept excluded),
    :math:`H = (b_{FE} - b_{RE})'[V_{FE} - V_{RE}]^{-1}(b_{FE} - b_{RE}) \\sim \\chi^2_q`, each
    :math:`V` the covariance carried by the result (use the conventional ones, as ``phtest``).

    References
    ----------
    Hausman, J. A. (1978). Specification tests in econometrics. *Econometrica* 46(6), 1251-1271.

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> kw = dict(entity="region_code", time="year")
    >>> fe = dp.panel("benefit_gap ~ subsidy_pc", panel, model="fe", **kw)
    >>> rand = dp.panel("benefit_gap ~ subsidy_pc", panel, model="re", **kw)
    >>> h = dp.hausman(fe, rand)
    >>> round(h.statistic, 3), h.df, round(h.p_value, 3)
    (0.05, 1, 0.823)
    """
    terms = [
        t
        for t in fe_result.params.index
        if t in re_result.params.index and t not in ("Intercept", "const")
    ]
    if not terms:
        raise SpecificationError("The two results share no coefficients to compare.")
    diff = fe_result.params[terms].to_numpy() - re_result.params[terms].to_numpy()
    Vd = fe_result.cov.loc[terms, terms].to_numpy() - re_result.cov.loc[terms, terms].to_numpy()
    try:
        stat = float(diff @ np.linalg.solve(Vd, diff))
    except np.linalg.LinAlgError:
        raise DataValueError(
            "V_FE - V_RE is singular; the Hausman statistic is undefined for these results."
        ) from None
    if stat < 0 or not np.all(np.linalg.eigvalsh((Vd + Vd.T) / 2) > 0):
        # plm::phtest reports such statistics silently; a user deserves to know the test is unreliable
        import warnings

        from ..errors import DisparityWarning

        warnings.warn(
            f"Hausman statistic {stat:.4g}: V_FE - V_RE is not positive definite in this sample, so the "
            "chi-squared reference does not apply. Use a regression-based (Mundlak) test: add the entity "
            "means of the time-varying regressors to the RE model and test them jointly.",
            DisparityWarning,
            stacklevel=2,
        )
    return HausmanResult(stat, len(terms), float(stats.chi2.sf(stat, len(terms))), tuple(terms))


def _codes(
    data: pd.DataFrame, entity: str, time: str, index: pd.Index
) -> tuple[np.ndarray, np.ndarray]:
    for c in (entity, time):
        if c not in data.columns:
            raise SpecificationError(f"Panel identifier {c!r} is not a column of the data.")
        if data.loc[index, c].isna().any():
            raise DataValueError(
                f"Panel identifier {c!r} has missing values; drop those rows first."
            )
    sub = data.loc[index, [entity, time]]
    dup = sub.duplicated(keep=False)
    if dup.any():
        pairs = sub[dup].drop_duplicates().head(5).itertuples(index=False)
        shown = ", ".join(f"({e!r}, {t!r})" for e, t in pairs)
        raise DataValueError(
            f"Entity/time pairs occur more than once ({int(dup.sum())} rows), e.g. {shown}. "
            "A panel needs one row per entity and period: aggregate or fix the identifiers."
        )
    e = pd.factorize(sub[entity], sort=True)[0].astype(np.intp)
    t = pd.factorize(sub[time], sort=True)[0].astype(np.intp)
    return e, t


def panel(
    formula: str,
    data: pd.DataFrame,
    *,
    entity: str,
    time: str,
    model: PanelModel = "fe",
    effects: PanelEffects = "entity",
    vcov: str = "iid",
    cluster: str | None = None,
    bandwidth: float | None = None,
    few_clusters: str = "wild",
    reps: int = 9999,
    boot_weights: str = "rademacher",
    seed: int | None = None,
    safe: bool = False,
) -> ModelResult:
    """Linear panel models: fixed effects (ours), random, between, first-difference, pooled.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"``; fixed effects are not written in the formula.
    entity, time : str
        Columns identifying the unit and the period (one row per pair).
    model : {"fe", "re", "be", "fd", "pooled"}
        "fe" uses our alternating-projection demeaning and the accurate solver; the others wrap
        linearmodels (RandomEffects, BetweenOLS, FirstDifferenceOLS, PooledOLS).
    effects : {"entity", "time", "twoway"}
        Fixed effects absorbed by ``model="fe"``.
    vcov : {"iid", "HC1", "cluster", "driscoll-kraay"}
        "cluster" clusters on ``cluster`` (default: the entity) with CR1
        :math:`\\frac{G}{G-1}\\frac{N-1}{N-k}`, k the slopes only (fixed effects nested in clusters,
        as Stata ``xtreg, fe vce(cluster)`` and ``plm`` ``vcovHC(type="sss")``); "driscoll-kraay" is
        linearmodels' Bartlett-kernel estimator on time-period score sums. "wild" (fixed effects
        only): CR1 standard errors with wild cluster bootstrap (WCR) p-values and intervals on the
        demeaned data; with "cluster" and fewer than 42 clusters this is the default
        (``few_clusters="wild"``), as for :func:`disparity.ols`.
    reps, boot_weights, seed
        Wild bootstrap settings (see :func:`disparity.ols`).

    Notes
    -----
    Within estimator: :math:`\\ddot y = \\ddot X\\beta + \\ddot u`, double dots the residuals of a
    projection on the dummies of the effects; :math:`\\hat\\sigma^2 = \\ddot e'\\ddot e/(N - k - a)`,
    :math:`a` the number of absorbed effects (entities, periods, or entities + periods - 1).

    References
    ----------
    Gaure, S. (2013). OLS with multiple high dimensional category variables. *Computational Statistics
    & Data Analysis* 66, 8-18.
    Wooldridge, J. M. (2010). *Econometric Analysis of Cross Section and Panel Data*, ch. 10. MIT Press.
    Driscoll, J. C. & Kraay, A. C. (1998). Consistent covariance matrix estimation with spatially
    dependent panel data. *Review of Economics and Statistics* 80(4), 549-560.

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> r = dp.panel("benefit_gap ~ subsidy_pc + urbanisation", panel, entity="region_code", time="year")
    >>> r.tidy()["estimate"].round(4).tolist()
    [-0.0068, -0.4898]
    """
    check_option("model", model, ("fe", "re", "be", "fd", "pooled"))
    check_option("effects", effects, ("entity", "time", "twoway"))
    check_option("vcov", vcov, PANEL_VCOV_KINDS)
    if safe:
        check_safe(formula, data.columns)
    formula_in, data_in = formula, data
    formula, data = _expand_lags(formula, data, entity, time)
    extra = [entity, time] + ([cluster] if cluster else [])
    d = build_design(formula, data, extra=[c for c in extra if c in data.columns])
    e, t = _codes(data, entity, time, d.index)
    check_option("few_clusters", few_clusters, ("wild", "analytic"))

    def refit(kind: str, **kw: Any) -> ModelResult:
        opts = {
            "model": model,
            "effects": effects,
            "cluster": cluster,
            "bandwidth": bandwidth,
            "few_clusters": few_clusters,
            "reps": reps,
            "boot_weights": boot_weights,
            "seed": seed,
        }
        opts.update(kw)
        return panel(formula_in, data_in, entity=entity, time=time, vcov=kind, **opts)

    result = _panel_fit(
        formula,
        data,
        d,
        e,
        t,
        model,
        effects,
        vcov,
        cluster,
        bandwidth,
        entity,
        time,
        few_clusters,
        reps,
        boot_weights,
        seed,
    )
    return result.replace(_refit=refit, spec=replace(result.spec, formula=formula_in))


def _panel_fit(
    formula,
    data,
    d,
    e,
    t,
    model,
    effects,
    vcov,
    cluster,
    bandwidth,
    entity,
    time,
    few_clusters,
    reps,
    boot_weights,
    seed,
) -> ModelResult:
    if model == "fe":
        boot = {
            "few_clusters": few_clusters,
            "reps": reps,
            "boot_weights": boot_weights,
            "seed": seed,
        }
        return _fixed_effects(
            formula, data, d, e, t, effects, vcov, cluster, bandwidth, entity, time, boot
        )
    if vcov == "wild":
        raise SpecificationError("vcov='wild' is available for model='fe' (and dp.ols).")
    if effects != "entity":
        raise SpecificationError(
            f"effects={effects!r} applies to model='fe' only; model={model!r} has entity-level "
            "structure. Add C(time) to the formula for period dummies."
        )
    return _wrapped(formula, data, d, e, t, model, vcov, cluster, bandwidth, entity, time)


def _expand_lags(
    formula: str, data: pd.DataFrame, entity: str, time: str
) -> tuple[str, pd.DataFrame]:
    """Replace ``lag(x, k)`` by a column ``x_lagk`` holding x of the same entity k periods earlier.

    Periods are the sorted distinct values of ``time``; a missing earlier period gives a missing
    lag (the row is then dropped and counted), never the value of another period or entity.
    """
    calls = list(LAG_CALL.finditer(formula))
    if not calls:
        return formula, data
    for c in (entity, time):
        if c not in data.columns:
            raise SpecificationError(f"Panel identifier {c!r} is not a column of the data.")
    period = pd.Series(pd.factorize(data[time], sort=True)[0], index=data.index)
    data = data.copy()
    made: set[str] = set()
    for m in calls:
        var, k = m.group(1).strip(), int(m.group(2) or 1)
        if var not in data.columns:
            raise SpecificationError(f"lag({var}) refers to {var!r}, not a column of the data.")
        name = f"{var}_lag{k}"
        if name in made:
            formula = formula.replace(m.group(0), name)
            continue
        made.add(name)
        if name in data.columns:
            raise SpecificationError(
                f"lag({var}, {k}) would be stored as {name!r}, which is already a column; rename it."
            )
        src = pd.DataFrame({"e": data[entity], "p": period + k, name: data[var]})
        dup = src.duplicated(["e", "p"])
        if dup.any():
            raise DataValueError(
                f"Entity/time pairs occur more than once; lag({var}) is undefined. "
                "A panel needs one row per entity and period."
            )
        key = pd.DataFrame({"e": data[entity], "p": period})
        data[name] = key.merge(src, on=["e", "p"], how="left")[name].to_numpy()
        formula = formula.replace(m.group(0), name)
    return formula, data


def _lm_cov_args(
    vcov: str, cluster_codes: np.ndarray | None, bandwidth: float | None
) -> dict[str, Any]:
    """Translate our vcov vocabulary to linearmodels' fit arguments."""
    if vcov == "iid":
        return {"cov_type": "unadjusted", "debiased": True}
    if vcov == "HC1":
        return {"cov_type": "robust", "debiased": True}
    if vcov == "cluster":
        # CR1 as everywhere else: G/(G-1) (group_debias) and (N-1)/(N-k) (debiased).
        return {
            "cov_type": "clustered",
            "clusters": cluster_codes,
            "debiased": True,
            "group_debias": True,
        }
    args: dict[str, Any] = {"cov_type": "kernel", "kernel": "bartlett"}
    if bandwidth is not None:
        args["bandwidth"] = bandwidth
    return args


def _wrapped(formula, data, d, e, t, model, vcov, cluster, bandwidth, entity, time) -> ModelResult:
    from linearmodels.panel import BetweenOLS, FirstDifferenceOLS, PooledOLS, RandomEffects

    idx = pd.MultiIndex.from_arrays([e, t], names=["entity", "time"])
    X = d.X.copy()
    if model == "fd" and d.intercept is not None:
        X = X.drop(columns=["Intercept"])
    X.index = idx
    y = pd.Series(d.y.to_numpy(), index=idx, name=d.y.name)
    cls = {"re": RandomEffects, "be": BetweenOLS, "fd": FirstDifferenceOLS, "pooled": PooledOLS}[
        model
    ]
    if np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        solve_lstsq(X.to_numpy(), y.to_numpy(), names=list(X.columns), intercept=d.intercept)
    mod = cls(y, X)
    ccodes = None
    if vcov == "cluster":
        ccodes = pd.DataFrame(
            {"c": e if cluster in (None, entity) else pd.factorize(data.loc[d.index, cluster])[0]},
            index=idx,
        )
    res = mod.fit(**_lm_cov_args(vcov, ccodes, bandwidth))
    names = list(res.params.index)
    spec = ModelSpec(
        estimator=f"panel_{model}",
        formula=formula,
        vcov=vcov,
        cluster=(cluster or entity,) if vcov == "cluster" else (),
        nobs=int(res.nobs),
        n_dropped=d.n_dropped,
        options={"entity": entity, "time": time, "model": model},
    )
    return ModelResult(
        params=res.params.rename("estimate"),
        cov=pd.DataFrame(res.cov.to_numpy(), index=names, columns=names),
        nobs=int(res.nobs),
        df=float(res.df_resid),
        spec=spec,
        raw=res,
        stats={
            "r2": float(res.rsquared),
            "n_entities": int(e.max() + 1),
            "n_periods": int(t.max() + 1),
        },
    )


def _fixed_effects(
    formula, data, d, e, t, effects, vcov, cluster, bandwidth, entity, time, boot
) -> ModelResult:
    X = d.X.drop(columns=["Intercept"]) if d.intercept is not None else d.X
    names = list(X.columns)
    if not names:
        raise SpecificationError("A fixed-effects model needs at least one regressor.")
    groups = {"entity": [e], "time": [t], "twoway": [e, t]}[effects]
    n_e, n_t = int(e.max()) + 1, int(t.max()) + 1
    absorbed = {"entity": n_e, "time": n_t, "twoway": n_e + n_t - 1}[effects]
    M, sweeps = demean(np.column_stack([d.y.to_numpy(), X.to_numpy()]), groups)
    yd, Xd = M[:, 0], M[:, 1:]
    n, k = Xd.shape
    if n - k - absorbed <= 0:
        raise DataValueError(
            f"Too few observations: {n} rows for {k} slopes and {absorbed} absorbed effects."
        )
    sol = solve_lstsq(Xd, yd, names=names, intercept=None)
    resid = sol.resid
    ccodes = None
    if vcov in ("cluster", "wild"):
        col = cluster or entity
        ccodes = cv.cluster_codes(data, [col], d.index)[0]
    notes: list[str] = []
    boot_p = boot_ci = None
    extra: dict[str, Any] = {}
    if vcov == "iid":
        V = float(resid @ resid) / (n - k - absorbed) * sol.bread
        df_ = float(n - k - absorbed)
    elif vcov == "HC1":
        Xu = Xd * resid[:, None]
        V = sol.bread @ (Xu.T @ Xu) @ sol.bread * (n / (n - k - absorbed))
        df_ = float(n - k - absorbed)
    elif vcov in ("cluster", "wild"):
        vr = cv.compute_vcov("cluster", X=Xd, resid=resid, bread=sol.bread, clusters=[ccodes])
        V, df_ = vr.cov, vr.df
        G = vr.n_clusters[0]
        notes.append(f"Cluster-robust (CR1) variance by {cluster or entity!r}, {G} clusters.")
        if vcov == "wild" or (boot["few_clusters"] == "wild" and G < cv.FEW_CLUSTERS):
            wb = wild_cluster_bootstrap(
                Xd,
                yd,
                codes=ccodes,
                bread=sol.bread,
                params=sol.params,
                se=np.sqrt(np.diag(V)),
                reps=boot["reps"],
                boot_weights=boot["boot_weights"],
                seed=boot["seed"],
            )
            boot_p = pd.Series(wb.pvalues, index=names)
            boot_ci = pd.DataFrame(
                wb.conf_int(0.95), index=names, columns=["conf_low", "conf_high"]
            )
            extra = {
                "wild": wb,
                "wild_ci": lambda level: pd.DataFrame(
                    wb.conf_int(level), index=names, columns=["conf_low", "conf_high"]
                ),
            }
            notes.append(
                f"p-values and 95% intervals from the wild cluster bootstrap ({wb.describe()}) "
                f"because there are {G} clusters"
                + (f" (< {cv.FEW_CLUSTERS})." if vcov == "cluster" else ".")
            )
    else:
        return _wrapped_fe_dk(formula, d, e, t, effects, bandwidth, entity, time, names)
    spec = ModelSpec(
        estimator="panel_fe",
        formula=formula,
        vcov=vcov,
        cluster=(cluster or entity,) if vcov in ("cluster", "wild") else (),
        nobs=n,
        n_dropped=d.n_dropped,
        options={"entity": entity, "time": time, "effects": effects, "demeaning_sweeps": sweeps},
        notes=tuple(notes),
    )
    return ModelResult(
        params=pd.Series(sol.params, index=names, name="estimate"),
        cov=pd.DataFrame(V, index=names, columns=names),
        nobs=n,
        df=df_,
        spec=spec,
        raw={"X_demeaned": Xd, "y_demeaned": yd, "resid": resid, "bread": sol.bread},
        boot_pvalues=boot_p,
        boot_conf_int=boot_ci,
        extra=extra,
        stats={
            "inference": "wild" if boot_p is not None else "analytic",
            "r2_within": 1 - float(resid @ resid) / float(yd @ yd),
            "condition_number": sol.condition,
            "n_entities": n_e,
            "n_periods": n_t,
            "absorbed": absorbed,
        },
    )


def _wrapped_fe_dk(formula, d, e, t, effects, bandwidth, entity, time, names) -> ModelResult:
    from linearmodels.panel import PanelOLS

    idx = pd.MultiIndex.from_arrays([e, t], names=["entity", "time"])
    X = d.X[names].copy()
    X.index = idx
    y = pd.Series(d.y.to_numpy(), index=idx)
    mod = PanelOLS(
        y,
        X,
        entity_effects=effects in ("entity", "twoway"),
        time_effects=effects in ("time", "twoway"),
    )
    res = mod.fit(**_lm_cov_args("driscoll-kraay", None, bandwidth))
    spec = ModelSpec(
        estimator="panel_fe",
        formula=formula,
        vcov="driscoll-kraay",
        nobs=int(res.nobs),
        n_dropped=d.n_dropped,
        options={"entity": entity, "time": time, "effects": effects},
    )
    return ModelResult(
        params=res.params.rename("estimate"),
        cov=pd.DataFrame(res.cov.to_numpy(), index=names, columns=names),
        nobs=int(res.nobs),
        df=float(res.df_resid),
        spec=spec,
        raw=res,
        stats={"r2_within": float(res.rsquared_within)},
    )
