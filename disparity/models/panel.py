"""Panel-data models: our own fixed-effects path and wrappers of linearmodels; the Hausman test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._options import (
    FEW_CLUSTERS_KINDS,
    BootWeights,
    FewClusters,
    SscKind,
    VcovKind,
    WeightType,
    check_option,
)
from ..errors import DataValueError, DisparityError, SpecificationError
from . import _absorb
from . import covariance as cv
from ._absorb import (
    absorb_codes,
    absorb_columns,
    absorbed_dof,
    drop_singletons,
    fixest_dof,
    nested_dof,
    recode,
)
from ._solver import solve_lstsq
from .bootstrap import wild_cluster_bootstrap
from .formula import LAG_CALL, build_design, check_safe
from .results import ModelResult, ModelSpec, WildIntervals, data_source

__all__ = ["panel", "hausman", "HausmanResult", "demean"]

PanelModel = Literal["fe", "re", "be", "fd", "pooled"]
PanelEffects = Literal["entity", "time", "twoway"]
PANEL_VCOV_KINDS = cv.FAMILY_VCOV["panel"]
# A regressor whose within-transformed column keeps less than this share of its norm is absorbed by
# the fixed effects (time-invariant for entity effects); the demeaning itself is exact to ~1e-13.
ABSORBED_TOL = 1e-10
# Alternating projections stop when no column moves by more than this (relative to its scale).
DEMEAN_TOL = 1e-13
DEMEAN_MAX_ITER = 10_000


def demean(
    M: np.ndarray, groups: Sequence[np.ndarray], weights: np.ndarray | None = None
) -> tuple[np.ndarray, int]:
    r"""Residuals of the columns of ``M`` on one or more sets of dummies (alternating projections).

    Returns the demeaned copy and the number of sweeps. One set is exact in one sweep; more are
    swept until the largest change is below ``DEMEAN_TOL`` of the column's scale (Gaure 2013), with
    Irons-Tuck extrapolation when slow: see :func:`disparity.models._absorb.demean`. With
    ``weights`` the projections are weighted (group means :math:`\sum w x/\sum w`).
    """
    return _absorb.demean(M, groups, weights, tol=DEMEAN_TOL, max_iter=DEMEAN_MAX_ITER)


@dataclass(frozen=True, slots=True)
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
    vcov: VcovKind = "iid",
    cluster: str | None = None,
    weights: str | None = None,
    weight_type: WeightType = "aweight",
    ssc: SscKind = "stata",
    absorb: str | Sequence[str] | None = None,
    bandwidth: float | None = None,
    few_clusters: FewClusters = "wild",
    reps: int = 9999,
    boot_weights: BootWeights = "rademacher",
    seed: int | None = None,
    progress: bool = True,
    safe: bool = False,
) -> ModelResult:
    r"""Linear panel models: fixed effects (ours), random, between, first-difference, pooled.

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
    vcov : {"iid", "HC1", "cluster", "wild", "driscoll-kraay"}
        "cluster" clusters on ``cluster`` (default: the entity) with CR1 under the ``ssc``
        convention; "driscoll-kraay" is linearmodels' Bartlett-kernel estimator on time-period
        score sums. "wild" (fixed effects only): CR1 standard errors with wild cluster bootstrap
        (WCR) p-values and intervals on the demeaned data; with "cluster" and fewer than 42
        clusters this is the default (``few_clusters="wild"``), as for :func:`disparity.ols`.
    weights : str, optional
        Column of weights (every model); ``weight_type`` "aweight" (default, Stata's
        ``xtreg [aw=]``: weighted demeaning and least squares, weights normalised to mean 1) or
        "pweight" (the same estimates; an "iid" variance becomes clustered by entity).
    ssc : {"stata", "fixest", "plm", "none"}
        Small-sample convention (:mod:`disparity.models.covariance`). "stata" (default) is
        ``xtreg, fe``/``reghdfe``: with effects nested in the clusters the cluster factor is
        :math:`\frac{G}{G-1}\frac{N-1}{N-k-1}` (the constant counted); time effects not nested in
        entity clusters are counted. "plm" counts the slopes only (``vcovHC(type="sss")``).
    absorb : str or list of str, optional
        Further fixed effects absorbed with those of ``effects`` (``model="fe"`` only), as
        ``reghdfe``/``fixest``; singletons (with respect to every set of effects) are then dropped
        and reported in ``stats["n_singletons"]`` (see :func:`disparity.ols`).
    reps, boot_weights, seed
        Wild bootstrap settings (see :func:`disparity.ols`).
    progress : bool
        Progress bar for a wild bootstrap expected to take over ~2 s (silent in CI and off a
        terminal); ``False`` turns it off.

    Returns
    -------
    ModelResult
        ``nobs`` is the number of observations for every model (the between estimator's
        regression has one row per entity: ``stats["n_entities"]``). Random effects carry
        ``stats["theta"]`` (the quasi-demeaning weight; ``theta_min``/``theta_max`` in unbalanced
        panels), ``sigma_u``, ``sigma_e`` and ``rho`` (Swamy-Arora components). Fixed effects drop
        regressors absorbed by the effects (time-invariant ones for entity effects), as Stata and
        plm do, and say so in ``summary().notes`` (``stats["dropped"]``).

    Notes
    -----
    Within estimator: :math:`\ddot y = \ddot X\beta + \ddot u`, double dots the residuals of a
    (weighted) projection on the dummies of the effects; :math:`\hat\sigma^2 = \ddot e'\ddot e/(N - k - a)`,
    :math:`a` the number of absorbed effects (entities, periods, or entities + periods minus the
    connected components of the panel).

    References
    ----------
    Gaure, S. (2013). OLS with multiple high dimensional category variables. *Computational Statistics
    & Data Analysis* 66, 8-18.
    Wooldridge, J. M. (2010). *Econometric Analysis of Cross Section and Panel Data*, ch. 10. MIT Press.
    Driscoll, J. C. & Kraay, A. C. (1998). Consistent covariance matrix estimation with spatially
    dependent panel data. *Review of Economics and Statistics* 80(4), 549-560.
    Swamy, P. A. V. B. & Arora, S. S. (1972). The exact finite sample properties of the estimators of
    coefficients in the error components regression models. *Econometrica* 40(2), 261-275.

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> r = dp.panel("benefit_gap ~ subsidy_pc + urbanisation", panel, entity="region_code", time="year")
    >>> r.tidy()["estimate"].round(4).tolist()
    [-0.0068, -0.4898]
    """
    check_option("model", model, ("fe", "re", "be", "fd", "pooled"))
    check_option("effects", effects, ("entity", "time", "twoway"))
    cv.check_vcov("panel", vcov)
    cv.check_ssc(ssc)
    check_option("weight_type", weight_type, ("aweight", "pweight"))
    if safe:
        check_safe(formula, data.columns)
    formula_in, data_in = formula, data
    formula, data = _expand_lags(formula, data, entity, time)
    fe_cols = absorb_columns(absorb)
    if fe_cols and model != "fe":
        raise SpecificationError(f"absorb= applies to model='fe' only (model={model!r}).")
    extra = [entity, time] + ([cluster] if cluster else []) + ([weights] if weights else [])
    extra += [c for c in fe_cols if c in data.columns]
    if weights is not None and (not isinstance(weights, str) or weights not in data.columns):
        raise SpecificationError(f"weights={weights!r} must name a column of the data.")
    if cluster is not None and (not isinstance(cluster, str) or cluster not in data.columns):
        raise SpecificationError(f"Cluster column {cluster!r} is not in the data.")
    d = build_design(formula, data, extra=[c for c in extra if c in data.columns])
    e, t = _codes(data, entity, time, d.index)
    yv = d.y.to_numpy()
    if yv.size and np.all(yv == yv[0]):
        raise DataValueError(
            f"The outcome {d.y.name!r} is constant ({yv[0]:g}) on all {yv.size} estimation rows; "
            "there is nothing to explain. Check the outcome column and the rows kept."
        )
    extra_groups: list[np.ndarray] = []
    n_single = 0
    if fe_cols:
        extra_groups = absorb_codes(data, fe_cols, d.index)
        base = {"entity": [e], "time": [t], "twoway": [e, t]}[effects]
        keep = drop_singletons([*base, *extra_groups])
        n_single = int((~keep).sum())
        if not keep.any():
            raise DataValueError("Every observation is a singleton in some fixed-effect group.")
        if n_single:
            d = replace(d, y=d.y[keep], X=d.X[keep], index=d.index[keep])
            e, t = (pd.factorize(v[keep])[0].astype(np.intp) for v in (e, t))
            extra_groups = recode(extra_groups, keep)
    check_option("few_clusters", few_clusters, FEW_CLUSTERS_KINDS)
    from .linear import prepare_weights

    w = prepare_weights(data, weights, weight_type, d.index)
    if w is not None:
        if np.any(w <= 0):
            raise DataValueError(
                f"Weight column {weights!r} has zero weights; panel models need positive weights "
                "(drop those rows)."
            )
        w = w * (len(w) / w.sum())
    fit = PanelFit(
        formula, data, d, e, t, entity, time, cluster, bandwidth, w, weights, weight_type, ssc,
        tuple(extra_groups), n_single,
    )
    call = {"model": model, "effects": effects, "cluster": cluster, "weights": weights,
            "weight_type": weight_type, "ssc": ssc, "absorb": absorb, "bandwidth": bandwidth,
            "few_clusters": few_clusters, "reps": reps, "boot_weights": boot_weights, "seed": seed,
            "progress": progress}
    return _PanelRefit(fit, formula_in, data_in, call)(vcov)


#: ``with_vcov`` options of a panel result that change only its inference (no refit).
_INFERENCE_OPTIONS = ("cluster", "bandwidth", "ssc", "few_clusters", "reps", "boot_weights", "seed",
                      "progress")


@dataclass(frozen=True, slots=True)
class _PanelRefit:
    """What ``with_vcov`` of a panel result needs (``result._refit``), as data: the parsed design,
    identifiers and weights (:class:`PanelFit`) and the call's options. A new covariance (or
    cluster, bandwidth, ssc, bootstrap option) re-runs the estimator on the stored design, without
    parsing the formula again; other options (``model=``, ``effects=``, ...) fit the model anew."""

    fit: PanelFit
    formula_in: str
    data_in: pd.DataFrame
    call: Mapping[str, Any]
    within: _Within | None = None  # fixed effects: the demeaned data and slopes, once computed

    def __call__(self, vcov: VcovKind, **kw: Any) -> ModelResult:
        o = {**self.call, **kw}
        if set(kw) - set(_INFERENCE_OPTIONS):  # not only inference: the model itself changes
            return panel(self.formula_in, self.data_in, entity=self.fit.entity, time=self.fit.time,
                         vcov=vcov, **o)
        cv.check_vcov("panel", vcov)
        ssc = cv.check_ssc(o["ssc"])
        check_option("few_clusters", o["few_clusters"], FEW_CLUSTERS_KINDS)
        cluster = o["cluster"]
        if cluster is not None and (not isinstance(cluster, str) or cluster not in self.fit.data.columns):
            raise SpecificationError(f"Cluster column {cluster!r} is not in the data.")
        fit = replace(self.fit, cluster=cluster, bandwidth=o["bandwidth"], ssc=ssc)
        weights, weight_type, model = fit.weights, fit.weight_type, o["model"]
        kind, pw_note = cv.pweight_rule(vcov, weight_type, fit.w is not None, family="panel")
        try:
            within = self.within
            if model == "fe" and within is None:
                within = _within(fit, o["effects"])
            result = _panel_fit(
                fit, model, o["effects"], kind, {"few_clusters": o["few_clusters"], "reps": o["reps"],
                                                 "boot_weights": o["boot_weights"], "seed": o["seed"],
                                                 "progress": o["progress"]}, within
            )
        except DisparityError:
            raise
        except (ValueError, np.linalg.LinAlgError) as err:  # linearmodels' own checks
            raise DataValueError(
                f"The {model!r} panel model cannot be fitted on these data: {err}"
            ) from err
        notes = (pw_note,) if pw_note else ()
        return result.replace(
            _refit=replace(self, call=o, within=within),
            spec=replace(
                result.spec,
                formula=self.formula_in,
                weights=weights,
                weight_type=weight_type if weights else None,
                notes=notes + tuple(result.spec.notes),
                options={**result.spec.options, "ssc": ssc},
                data=data_source(self.data_in),
            ),
        )


@dataclass(frozen=True, slots=True)
class PanelFit:
    """What every panel estimator needs (the parsed design and identifiers)."""

    formula: str
    data: pd.DataFrame
    d: Any
    e: np.ndarray
    t: np.ndarray
    entity: str
    time: str
    cluster: str | None
    bandwidth: float | None
    w: np.ndarray | None
    weights: str | None
    weight_type: str
    ssc: str
    absorb_groups: tuple[np.ndarray, ...] = ()
    n_singletons: int = 0


def _panel_fit(f: PanelFit, model, effects, vcov, boot, within=None) -> ModelResult:
    if model == "fe":
        return _fixed_effects(f, effects, vcov, boot, within)
    if vcov == "wild":
        raise SpecificationError("vcov='wild' is available for model='fe' (and dp.ols).")
    if effects != "entity":
        raise SpecificationError(
            f"effects={effects!r} applies to model='fe' only; model={model!r} has entity-level "
            "structure. Add C(time) to the formula for period dummies."
        )
    return _wrapped(f, model, vcov)


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


def _wrapped(f: PanelFit, model: str, vcov: str) -> ModelResult:
    from linearmodels.panel import BetweenOLS, FirstDifferenceOLS, PooledOLS, RandomEffects

    d, e, t = f.d, f.e, f.t
    n_e, n_obs = int(e.max()) + 1, len(e)
    if model == "re" and n_obs == n_e:
        raise DataValueError(
            f"Random effects need repeated observations of some entities: each of the {n_e} "
            f"entities of {f.entity!r} has one row, so the entity and idiosyncratic variance "
            "components cannot be separated. Use model='pooled' (OLS) instead."
        )
    if model == "fd" and n_obs == n_e:
        raise DataValueError(
            f"First differences need two periods of some entity; each entity of {f.entity!r} has one row."
        )
    idx = pd.MultiIndex.from_arrays([e, t], names=["entity", "time"])
    X = d.X.copy()
    if model == "fd" and d.intercept is not None:
        X = X.drop(columns=["Intercept"])
    X.index = idx
    y = pd.Series(d.y.to_numpy(), index=idx, name=d.y.name)
    # Any: linearmodels' base class declares no fit(), and each model's results differ (theta: RE only)
    cls: Any = {"re": RandomEffects, "be": BetweenOLS, "fd": FirstDifferenceOLS, "pooled": PooledOLS}[
        model
    ]
    if np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        solve_lstsq(X.to_numpy(), y.to_numpy(), names=list(X.columns), intercept=d.intercept)
    wts = None if f.w is None else pd.Series(f.w, index=idx)
    mod = cls(y, X) if wts is None else cls(y, X, weights=wts)
    ccodes = None
    if vcov == "cluster":
        ccodes = pd.DataFrame(
            {
                "c": e
                if f.cluster in (None, f.entity)
                else pd.factorize(f.data.loc[d.index, f.cluster])[0]
            },
            index=idx,
        )
    res = mod.fit(**cv.linearmodels_panel_args(vcov, ssc=f.ssc, clusters=ccodes, bandwidth=f.bandwidth))
    names = list(res.params.index)
    stats_: dict[str, Any] = {
        "r2": float(res.rsquared),
        "n_entities": n_e,
        "n_periods": int(t.max() + 1),
    }
    if model == "be":
        stats_["n_regression_rows"] = int(res.nobs)
    if model == "re":
        theta = np.asarray(res.theta, dtype=float).ravel()
        vd = res.variance_decomposition
        s_u2, s_e2 = float(vd["Effects"]), float(vd["Residual"])
        stats_.update(
            theta=float(theta[0]) if np.ptp(theta) == 0 else float(np.median(theta)),
            theta_min=float(theta.min()),
            theta_max=float(theta.max()),
            sigma_u=float(np.sqrt(s_u2)),
            sigma_e=float(np.sqrt(s_e2)),
            rho=float(s_u2 / (s_u2 + s_e2)),
        )
    spec = ModelSpec(
        estimator=f"panel_{model}",
        formula=f.formula,
        vcov=vcov,
        cluster=(f.cluster or f.entity,) if vcov == "cluster" else (),
        nobs=n_obs,
        n_dropped=d.n_dropped,
        options={"entity": f.entity, "time": f.time, "model": model},
    )
    return ModelResult(
        params=res.params.rename("estimate"),
        cov=pd.DataFrame(res.cov.to_numpy(), index=names, columns=names),
        nobs=n_obs,
        df=float(res.df_resid),
        spec=spec,
        raw=res,
        stats=stats_,
    )


@dataclass(frozen=True, slots=True)
class _Within:
    """The within transformation and least-squares fit of a fixed-effects panel: what a new
    covariance of the same model reuses (``with_vcov`` does not demean again)."""

    names: list[str]
    Xd: np.ndarray
    yd: np.ndarray
    sweeps: int
    notes: tuple[str, ...]
    dropped: tuple[str, ...]
    absorbed: int
    n_e: int
    n_t: int
    groups: list[np.ndarray]
    sol: Any


def _within(f: PanelFit, effects: str) -> _Within:
    d, e, t, w = f.d, f.e, f.t, f.w
    X = d.X.drop(columns=["Intercept"]) if d.intercept is not None else d.X
    names = list(X.columns)
    if not names:
        raise SpecificationError("A fixed-effects model needs at least one regressor.")
    groups = {"entity": [e], "time": [t], "twoway": [e, t]}[effects] + list(f.absorb_groups)
    n_e, n_t = int(e.max()) + 1, int(t.max()) + 1
    absorbed = absorbed_dof(groups)
    Xv = X.to_numpy()
    M, sweeps = demean(np.column_stack([d.y.to_numpy(), Xv]), groups, weights=w)
    yd, Xd = M[:, 0], M[:, 1:]
    before = np.linalg.norm(Xv, axis=0)
    after = np.linalg.norm(Xd, axis=0)
    gone = [j for j in range(len(names)) if after[j] <= ABSORBED_TOL * max(before[j], 1e-300)]
    notes: list[str] = []
    if f.n_singletons:
        notes.append(
            f"{f.n_singletons} singleton observation(s) dropped (alone in a fixed-effect group), "
            "as reghdfe and fixest do."
        )
    dropped = tuple(names[j] for j in gone)
    if gone:
        what = {"entity": "time-invariant", "time": "the same for every entity in a period",
                "twoway": "absorbed by the entity and time effects"}[effects]
        notes.append(
            "Dropped " + ", ".join(repr(c) for c in dropped)
            + f" ({what}: collinear with the fixed effects), as Stata and plm do."
        )
        keep = [j for j in range(len(names)) if j not in gone]
        if not keep:
            raise SpecificationError(
                f"Every regressor ({', '.join(names)}) is absorbed by the {effects} fixed effects; "
                "nothing is left to estimate."
            )
        Xd = Xd[:, keep]
        names = [names[j] for j in keep]
    n, k = Xd.shape
    if n - k - absorbed <= 0:
        raise DataValueError(
            f"Too few observations: {n} rows for {k} slopes and {absorbed} absorbed effects."
        )
    sol = solve_lstsq(Xd, yd, names=names, weights=w, intercept=None)
    return _Within(names, Xd, yd, sweeps, tuple(notes), dropped, absorbed, n_e, n_t, groups, sol)


def _fixed_effects(f: PanelFit, effects: str, vcov: str, boot: dict[str, Any],
                   within: _Within | None = None) -> ModelResult:
    d, w = f.d, f.w
    wi = _within(f, effects) if within is None else within
    names, Xd, yd, sweeps, dropped, absorbed = wi.names, wi.Xd, wi.yd, wi.sweeps, wi.dropped, wi.absorbed
    n_e, n_t, groups, sol, notes = wi.n_e, wi.n_t, wi.groups, wi.sol, list(wi.notes)
    n, k = Xd.shape
    if vcov == "driscoll-kraay":
        return _wrapped_fe_dk(f, effects, names, notes)
    resid = sol.resid
    ccodes = None
    fe = cv.FeDof(absorbed, 0, fixest_dof(groups))  # = fe_dof(groups), the graph not redone
    if vcov in ("cluster", "wild"):
        col = f.cluster or f.entity
        ccodes = cv.cluster_codes(f.data, [col], d.index)[0]
        fe = replace(fe, k_fe_nested=nested_dof(groups, [ccodes]))
    boot_p = boot_ci = None
    extra: dict[str, Any] = {}
    vr = cv.compute_vcov(
        "cluster" if vcov == "wild" else vcov,
        X=Xd,
        resid=resid,
        bread=sol.bread,
        weights=w,
        clusters=[ccodes] if ccodes is not None else None,
        ssc=f.ssc,
        fe=fe,
    )
    V, df_ = vr.cov, vr.df
    if ccodes is not None:  # vcov is "cluster" or "wild"
        G = vr.n_clusters[0]
        notes.append(f"Cluster-robust (CR1) variance by {f.cluster or f.entity!r}, {G} clusters.")
        if vcov == "wild" or (boot["few_clusters"] == "wild" and G < cv.FEW_CLUSTERS):
            wb = wild_cluster_bootstrap(
                Xd,
                yd,
                codes=ccodes,
                bread=sol.bread,
                params=sol.params,
                # the bootstrap's t* use CR1 with k = the columns of Xd; the observed t must too
                # (the bootstrap p-values and intervals do not depend on the small-sample factor).
                se=np.sqrt(np.diag(
                    cv.compute_vcov(
                        "cluster", X=Xd, resid=resid, bread=sol.bread, weights=w,
                        clusters=[ccodes], ssc="plm",
                    ).cov
                )),
                weights=w,
                reps=boot["reps"],
                boot_weights=boot["boot_weights"],
                seed=boot["seed"],
                progress=boot.get("progress", True),
            )
            boot_p = pd.Series(wb.pvalues, index=names)
            boot_ci = pd.DataFrame(
                wb.conf_int(0.95), index=names, columns=["conf_low", "conf_high"]
            )
            extra = {"wild": wb, "wild_ci": WildIntervals(wb, tuple(names))}  # wild_ci: deprecated
            notes.append(
                f"p-values and 95% intervals from the wild cluster bootstrap ({wb.describe()}) "
                f"because there are {G} clusters"
                + (f" (< {cv.FEW_CLUSTERS})." if vcov == "cluster" else ".")
            )
    spec = ModelSpec(
        estimator="panel_fe",
        formula=f.formula,
        vcov=vcov,
        cluster=(f.cluster or f.entity,) if vcov in ("cluster", "wild") else (),
        nobs=n,
        n_dropped=d.n_dropped,
        options={"entity": f.entity, "time": f.time, "effects": effects, "demeaning_sweeps": sweeps},
        notes=tuple(notes),
    )
    wt = np.ones(n) if w is None else w
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
            "r2_within": 1 - float(wt * resid @ resid) / float(wt * yd @ yd),
            "condition_number": sol.condition,
            "n_entities": n_e,
            "n_periods": n_t,
            "absorbed": absorbed,
            "dropped": dropped,
            "n_singletons": f.n_singletons,
        },
    )


def _wrapped_fe_dk(f: PanelFit, effects: str, names: list[str], notes: list[str]) -> ModelResult:
    from linearmodels.panel import PanelOLS

    d, e, t = f.d, f.e, f.t
    idx = pd.MultiIndex.from_arrays([e, t], names=["entity", "time"])
    X = d.X[names].copy()
    X.index = idx
    y = pd.Series(d.y.to_numpy(), index=idx)
    kw: dict[str, Any] = {} if f.w is None else {"weights": pd.Series(f.w, index=idx)}
    mod = PanelOLS(
        y,
        X,
        entity_effects=effects in ("entity", "twoway"),
        time_effects=effects in ("time", "twoway"),
        **kw,
    )
    res = mod.fit(**cv.linearmodels_panel_args("driscoll-kraay", bandwidth=f.bandwidth))
    spec = ModelSpec(
        estimator="panel_fe",
        formula=f.formula,
        vcov="driscoll-kraay",
        nobs=int(res.nobs),
        n_dropped=d.n_dropped,
        options={"entity": f.entity, "time": f.time, "effects": effects},
        notes=tuple(notes),
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
