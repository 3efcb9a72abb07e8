"""Read estimates and descriptions out of disparity, statsmodels, linearmodels and pyfixest results.

Each adapter returns a :class:`Fitted`: the same numbers the library itself reports (its own
standard errors, p-values and intervals are used, never recomputed), plus what a table note needs
(covariance kind, clustering variables, fixed effects, wild-bootstrap use).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecificationError
from ..models.covariance import vcov_of_linearmodels, vcov_of_statsmodels

__all__ = ["Fitted", "extract"]


@dataclass(frozen=True)
class Fitted:
    params: pd.Series
    std_errors: pd.Series
    tstats: pd.Series
    pvalues: pd.Series
    conf_low: pd.Series
    conf_high: pd.Series
    nobs: int
    depvar: str
    vcov: str  # normalised: iid, robust, HC0..HC3, cluster, wild, survey, driscoll-kraay, other
    cluster: tuple[str, ...] = ()
    fixed_effects: tuple[str, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)
    wild: dict[str, Any] | None = None
    source: str = "disparity"


def _lhs(formula: str) -> str:
    return formula.split("~", 1)[0].strip() if "~" in formula else ""


def _series(values: Any, index: pd.Index) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), index=index)


def _from_disparity(res: Any) -> Fitted:
    ci = res.conf_int(0.95)
    spec = res.spec
    vcov = spec.vcov
    wild = None
    if res.boot_pvalues is not None:
        wb = res.extra.get("wild") if res.extra else None
        wild = {
            "reps": getattr(wb, "reps", spec.options.get("reps")),
            "weights": getattr(wb, "weights", spec.options.get("boot_weights")),
            "seed": spec.options.get("seed"),
        }
    fe: tuple[str, ...] = ()
    opts = spec.options or {}
    if spec.estimator == "panel_fe":
        effects = str(opts.get("effects", "entity"))
        if effects in ("entity", "twoway", "two-way", "both"):
            fe += (str(opts.get("entity")),)
        if effects in ("time", "twoway", "two-way", "both"):
            fe += (str(opts.get("time")),)
    stats = {k: v for k, v in dict(res.stats).items() if isinstance(v, (int, float, np.number)) and not isinstance(v, bool)}
    if spec.estimator in ("logit", "probit", "ordered_logit", "ordered_probit") and "loglik" in stats:
        stats.setdefault("loglik", stats["loglik"])
    return Fitted(
        params=res.params.astype(float),
        std_errors=res.std_errors,
        tstats=res.tstats,
        pvalues=res.pvalues,
        conf_low=ci["conf_low"],
        conf_high=ci["conf_high"],
        nobs=int(res.nobs),
        depvar=_lhs(spec.formula),
        vcov="wild" if wild else vcov,
        cluster=tuple(spec.cluster),
        fixed_effects=fe,
        stats=stats,
        wild=wild,
        source="disparity",
    )


def _from_statsmodels(res: Any) -> Fitted:
    params = res.params
    if not isinstance(params, pd.Series):
        names = list(getattr(res.model, "exog_names", None) or [f"x{i}" for i in range(len(params))])
        params = pd.Series(np.asarray(params, dtype=float), index=names)
    idx = params.index
    ci = res.conf_int()
    ci = np.asarray(ci, dtype=float)
    vcov, n_clusters = vcov_of_statsmodels(res)
    stats: dict[str, Any] = {}
    for key, attr in (("r2", "rsquared"), ("adj_r2", "rsquared_adj"), ("pseudo_r2", "prsquared"),
                      ("loglik", "llf"), ("aic", "aic"), ("bic", "bic"), ("f", "fvalue")):
        try:
            val = getattr(res, attr)
        except Exception:  # some statsmodels attributes raise for models where they are undefined
            continue
        if val is not None and np.ndim(val) == 0 and np.isfinite(float(val)):
            stats[key] = float(val)
    cluster: tuple[str, ...] = ()
    if vcov == "cluster":
        stats["n_clusters"] = n_clusters
        cluster = ("?",)
    tvals = getattr(res, "tvalues", None)
    return Fitted(
        params=params.astype(float),
        std_errors=_series(res.bse, idx),
        tstats=_series(tvals, idx),
        pvalues=_series(res.pvalues, idx),
        conf_low=_series(ci[:, 0], idx),
        conf_high=_series(ci[:, 1], idx),
        nobs=int(round(float(res.nobs))),
        depvar=str(getattr(res.model, "endog_names", "") or ""),
        vcov=vcov,
        cluster=cluster,
        stats=stats,
        source="statsmodels",
    )


def _from_linearmodels(res: Any) -> Fitted:
    params = res.params
    ci = res.conf_int()
    vcov, cluster = vcov_of_linearmodels(res)
    model = res.model
    fe: list[str] = []
    if getattr(model, "entity_effects", False):
        fe.append("entity")
    if getattr(model, "time_effects", False):
        fe.append("time")
    stats: dict[str, Any] = {}
    for key, attr in (("r2", "rsquared"), ("r2_within", "rsquared_within"), ("loglik", "loglik")):
        val = getattr(res, attr, None)
        if val is not None and np.ndim(val) == 0 and np.isfinite(float(val)):
            stats[key] = float(val)
    dep = getattr(model, "dependent", None)
    depvar = ""
    if dep is not None:
        vars_ = getattr(dep, "vars", None) or getattr(dep, "cols", None)
        depvar = str(vars_[0]) if vars_ else ""
    return Fitted(
        params=params.astype(float),
        std_errors=res.std_errors.astype(float),
        tstats=res.tstats.astype(float),
        pvalues=res.pvalues.astype(float),
        conf_low=ci.iloc[:, 0].astype(float),
        conf_high=ci.iloc[:, 1].astype(float),
        nobs=int(res.nobs),
        depvar=depvar,
        vcov=vcov,
        cluster=cluster,
        fixed_effects=tuple(fe),
        stats=stats,
        source="linearmodels",
    )


def _from_pyfixest(res: Any) -> Fitted:
    params = res.coef()
    ci = res.confint()
    vt = str(getattr(res, "_vcov_type", "iid"))
    vcov = {"iid": "iid", "hetero": "HC1", "CRV": "cluster", "CRV1": "cluster", "CRV3": "cluster"}.get(vt, vt)
    cl = getattr(res, "_clustervar", None) or []
    cluster = tuple(str(c) for c in cl) if vcov == "cluster" else ()
    fe_str = getattr(res, "_fixef", None)
    fe = tuple(f.strip() for f in str(fe_str).split("+")) if fe_str and str(fe_str) != "0" else ()
    stats: dict[str, Any] = {}
    for key, attr in (("r2", "_r2"), ("adj_r2", "_adj_r2"), ("r2_within", "_r2_within")):
        val = getattr(res, attr, None)
        if val is not None and np.ndim(val) == 0 and np.isfinite(float(val)):
            stats[key] = float(val)
    G = getattr(res, "_G", None)
    if vcov == "cluster" and G is not None:
        stats["n_clusters"] = int(np.min(G)) if np.ndim(G) else int(G)
    return Fitted(
        params=params.astype(float),
        std_errors=res.se().astype(float),
        tstats=res.tstat().astype(float),
        pvalues=res.pvalue().astype(float),
        conf_low=ci.iloc[:, 0].astype(float),
        conf_high=ci.iloc[:, 1].astype(float),
        nobs=int(res._N),
        depvar=str(getattr(res, "_depvar", "")),
        vcov=vcov,
        cluster=cluster,
        fixed_effects=fe,
        stats=stats,
        source="pyfixest",
    )


def extract(res: Any) -> Fitted:
    """A :class:`Fitted` from any supported result object."""
    module = type(res).__module__ or ""
    if module.startswith("disparity"):
        return _from_disparity(res)
    if module.startswith("pyfixest"):
        return _from_pyfixest(res)
    if module.startswith("linearmodels"):
        return _from_linearmodels(res)
    if module.startswith("statsmodels"):
        return _from_statsmodels(res)
    raise SpecificationError(
        f"regression_table() cannot read a {type(res).__module__}.{type(res).__name__}; pass disparity "
        "results (dp.ols, dp.logit, dp.panel, ...) or fitted statsmodels, linearmodels or pyfixest models."
    )
