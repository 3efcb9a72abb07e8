"""Two-part model for spending with zeros (Stata ``twopm``): any spending, then the amount among spenders."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._options import VcovKind, WeightType, check_option
from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, SpecificationError
from ..survey._core import design_columns
from . import covariance as cv
from ._margins import _mm, wald_columns
from ._ml import ML_VCOV_KINDS, Information
from .discrete import _link, logit, probit
from .formula import build_design
from .glm import GLM_FAMILIES, GLM_LINKS, Family, Link, mean_derivatives
from .glm import glm as fit_glm_model
from .linear import ols
from .results import MarginalEffects, ModelResult, ModelSpec, data_source

__all__ = ["twopart"]

Second = Literal["glm", "ols_log"]
Smearing = Literal["homoskedastic", "group"]
SE_KINDS: tuple[str, ...] = ("delta", "bootstrap")
#: A bootstrap replicate whose fit fails (a resample with separation or no spenders) is redrawn, at
#: most this many times in total.
MAX_REDRAWS = 50


def _outcome_column(formula: str, data: pd.DataFrame) -> str:
    if not isinstance(formula, str) or "~" not in formula:
        raise SpecificationError(f"formula={formula!r} must read 'spending ~ regressors'.")
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    lhs = formula.split("~", 1)[0].strip().strip("`")
    if lhs not in data.columns:
        raise SpecificationError(
            f"The outcome of a two-part model must be a column of the data; {lhs!r} is not."
        )
    return lhs


def _prepare_frame(
    formula: str, data: pd.DataFrame, first_rhs: str | None, cols: Sequence[str],
    design: SurveyDesign | ReplicateDesign | None = None,
) -> tuple[pd.DataFrame, str, str, str, pd.DataFrame | None]:
    """The estimation rows (complete cases, in the design's subpopulation) and, with a design, the
    rows the design is formed on: all of them under ``missing="domain"`` (the incomplete ones
    flagged by ``keep__ = False``), the complete ones under "drop"."""
    ycol = _outcome_column(formula, data)
    rhs2 = formula.split("~", 1)[1].strip()
    rhs1 = rhs2 if first_rhs is None else first_rhs.split("~", 1)[-1].strip()
    y = pd.to_numeric(data[ycol], errors="coerce")
    if (y.notna() & data[ycol].notna()).sum() < data[ycol].notna().sum():
        raise DataValueError(f"The outcome {ycol!r} must be numeric.")
    if (y < 0).any():
        raise DataValueError(
            f"The outcome {ycol!r} has negative values; a two-part model is for non-negative spending."
        )
    if not (y > 0).any() or not (y == 0).any():
        raise DataValueError(
            f"The outcome {ycol!r} is {'never' if not (y > 0).any() else 'always'} positive: a two-part model "
            "needs both zeros and positive amounts (use dp.glm for an outcome without zeros)."
        )
    frame = data.reset_index(drop=True).copy()
    frame["any__"] = (y > 0).astype(float).where(y.notna()).to_numpy()
    frame["logy__"] = np.log(y.where(y > 0)).to_numpy()
    frame["ypos__"] = y.where(y > 0).to_numpy()
    # complete cases of every variable of both parts (so the parts use the same respondents)
    need = set(build_design(f"any__ ~ {rhs1}", frame).index) & set(build_design(f"any__ ~ {rhs2}", frame).index)
    keep = frame.index.isin(sorted(need))
    for c in cols:
        keep &= frame[c].notna().to_numpy()
    if design is None:
        return frame.loc[keep].reset_index(drop=True), ycol, rhs1, rhs2, None
    # outcomes defined on every row, so that "drop" does not count the zeros as incomplete (the
    # second part's domain, any__ == 1, leaves them out)
    full = frame.assign(keep__=keep, ypos__=frame["ypos__"].fillna(0.0),
                        logy__=frame["logy__"].fillna(0.0))
    if design.missing == "drop":
        full = full.loc[keep]
    return cv.survey_frames(design, full.loc[full["keep__"]]), ycol, rhs1, rhs2, full


def twopart(
    formula: str,
    data: pd.DataFrame,
    *,
    first: Literal["logit", "probit"] = "logit",
    second: Second = "glm",
    family: Family = "gamma",
    link: Link = "log",
    first_formula: str | None = None,
    smearing: Smearing = "homoskedastic",
    smear_by: str | None = None,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    vcov: VcovKind = "iid",
    cluster: str | Sequence[str] | None = None,
    design: SurveyDesign | ReplicateDesign | None = None,
    suest: bool = False,
    se: Literal["delta", "bootstrap"] = "delta",
    reps: int = 200,
    seed: int | None = None,
    information: Information = "oim",
    safe: bool = False,
) -> ModelResult:
    """Two-part model of spending: a binary model for any spending and a model of the positive amounts.

    Parameters
    ----------
    formula : str
        ``"oop ~ age + C(urban)"``; the outcome must be a non-negative numeric column. Both parts use
        these regressors unless ``first_formula`` gives the first part's (``"~ age + chronic"``).
    first : {"logit", "probit"}
    second : {"glm", "ols_log"}
        A GLM for the positive amounts (``family``/``link``, default gamma with log link) or OLS of
        :math:`\\log y` retransformed with Duan's smearing factor.
    smearing : {"homoskedastic", "group"}
        ``"ols_log"`` only: one smearing factor, or one per level of ``smear_by`` (Manning 1998's
        remedy for heteroskedasticity across groups).
    weights, weight_type, vcov, cluster, design
        As :func:`disparity.logit`; both parts use them. ``vcov`` in "iid", "HC0", "HC1", "cluster",
        "survey"; ``cluster`` is one column or two (two-way, Cameron, Gelbach & Miller 2011; not
        with ``se="bootstrap"``).
    suest : bool
        False (twopm's default): the covariance is block-diagonal, each part with its own variance.
        True: the joint sandwich of the stacked scores (twopm's ``suest``), so clustered and survey
        variances include the covariance between the parts.
    se : {"delta", "bootstrap"}
        Standard errors of ``marginal_effects``: delta method, or a nonparametric bootstrap of the
        whole two-part fit (``reps`` draws, resampling clusters when ``cluster`` is given).
    information : {"oim", "eim"}
        Bread of the ML parts (see :func:`disparity.glm`).

    Returns
    -------
    ModelResult
        Parameters of both parts, prefixed ``"logit_"``/``"probit_"`` and ``"glm_"``/``"regress_"``
        (twopm's equation names). ``marginal_effects(var)`` is the average derivative of
        :math:`E[y\\mid x]`; ``stats`` has the mean prediction and the smearing factor(s);
        ``extra["first"]``, ``extra["second"]`` are the two fitted parts.

    Notes
    -----
    :math:`E[y\\mid x] = \\Pr(y>0\\mid x)\\,E[y\\mid y>0, x] = F(x'\\alpha)\\,m(x)` with
    :math:`m(x) = h(x'\\gamma)` for a GLM with inverse link :math:`h` and
    :math:`m(x) = \\exp(x'\\gamma)\\,\\hat S` for log-OLS, :math:`\\hat S = \\sum_{i:y_i>0} w_i
    e^{\\hat u_i}/\\sum w_i` (Duan 1983; per group with ``smearing="group"``). The average marginal
    effect :math:`\\bar w^{-1}\\sum_i w_i \\partial E[y\\mid x_i]/\\partial x_{ij}` (by central
    differences of the design, exact for designs linear in the variable) gets a delta-method SE from
    the analytic gradient in :math:`(\\alpha, \\gamma)` with the smearing factors held fixed, as
    ``margins`` after ``twopm``; the bootstrap also reflects their variability.

    References
    ----------
    Belotti, F., Deb, P., Manning, W. G. & Norton, E. C. (2015). twopm: Two-part models. *Stata
    Journal* 15(1), 3-20.
    Duan, N. (1983). Smearing estimate: a nonparametric retransformation method. *Journal of the
    American Statistical Association* 78(383), 605-610.
    Manning, W. G. (1998). The logged dependent variable, heteroscedasticity, and the
    retransformation problem. *Journal of Health Economics* 17(3), 283-295.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.twopart("oop ~ age + C(urban)", df)
    >>> round(float(r.marginal_effects("age").table["estimate"].iloc[0]), 2)
    27.4
    """
    check_option("first", first, ("logit", "probit"))
    check_option("second", second, ("glm", "ols_log"))
    check_option("smearing", smearing, ("homoskedastic", "group"))
    check_option("vcov", vcov, ML_VCOV_KINDS)
    check_option("se", se, SE_KINDS)
    if second == "glm":
        check_option("family", family, GLM_FAMILIES)
        check_option("link", link, GLM_LINKS)
    if smearing == "group" and (second != "ols_log" or smear_by is None):
        raise SpecificationError("smearing='group' needs second='ols_log' and smear_by= (a column).")
    if smear_by is not None and (not isinstance(smear_by, str) or smear_by not in data.columns):
        raise SpecificationError(f"smear_by={smear_by!r} must name a column of the data.")
    if se == "bootstrap" and (not isinstance(reps, int) or reps < 2):
        raise SpecificationError(f"reps={reps!r} must be an integer of at least 2 for se='bootstrap'.")
    if se == "bootstrap" and (vcov == "survey" or design is not None):
        raise SpecificationError("se='bootstrap' resamples rows or clusters; with a survey design use se='delta'.")
    if design is not None:  # the design carries the weights (predictions and effects use them too)
        if weights is not None and design.weights is not None and weights != design.weights:
            raise SpecificationError(f"weights={weights!r} and design.weights={design.weights!r} disagree; give one.")
        weights, weight_type = design.weights or weights, "pweight"
    dcols = design_columns(design, list(data.columns)) if design is not None else []
    if cluster is not None and not isinstance(cluster, str):
        cluster = list(cluster)
        if se == "bootstrap" and len(cluster) != 1:
            raise SpecificationError(
                "se='bootstrap' resamples clusters of one variable; pass one cluster column or "
                "use se='delta' with two-way clustering."
            )
    clist = [] if cluster is None else [cluster] if isinstance(cluster, str) else list(cluster)
    cols = [c for c in (weights, *clist, smear_by, *dcols) if c]
    frame, ycol, rhs1, rhs2, full = _prepare_frame(formula, data, first_formula, cols, design)
    opts = dict(first=first, second=second, family=family, link=link, smearing=smearing, smear_by=smear_by,
                weights=weights, weight_type=weight_type, cluster=cluster, design=design, information=information,
                safe=safe, rhs1=rhs1, rhs2=rhs2, full=full, source=data_source(data))
    fit = _fit_parts(frame, vcov, opts)
    return _assemble(fit, frame, formula, vcov, suest, se, reps, seed, opts)


def _fit_parts(frame: pd.DataFrame, vcov: str, o: Mapping[str, Any]) -> dict[str, Any]:
    kw = dict(weights=o["weights"], weight_type=o["weight_type"], vcov=vcov, design=o["design"], safe=o["safe"])
    if vcov == "cluster":
        kw["cluster"] = o["cluster"]
    # with a design, each part is a domain of the whole design (R svyglm on subset(design, ...)):
    # the complete rows of the subpopulation, and of them the positive amounts
    full = o.get("full")
    data1, data2, kw2 = frame, None, kw
    if full is not None and kw["design"] is not None:
        data1 = data2 = full
        kw = dict(kw, design=kw["design"].subset("keep__"))
        kw2 = dict(kw, design=kw["design"].subset("any__ == 1"))
    m1 = (logit if o["first"] == "logit" else probit)(f"any__ ~ {o['rhs1']}", data1, information=o["information"], **kw)
    pos = frame[frame["any__"] == 1]
    if len(pos) <= 2:
        raise DataValueError("Too few positive amounts to fit the second part.")
    data2 = pos if data2 is None else data2
    if o["second"] == "glm":
        m2 = fit_glm_model(f"ypos__ ~ {o['rhs2']}", data2, family=o["family"], link=o["link"],
                           information=o["information"], **kw2)
        smear = np.ones(len(frame))
        factors: Any = 1.0
    else:
        okw = dict(kw2, vcov={"iid": "iid", "HC0": "HC0", "HC1": "HC1", "cluster": "cluster", "survey": "survey"}[vcov])
        m2 = ols(f"logy__ ~ {o['rhs2']}", data2, few_clusters="analytic", **okw)
        d2 = build_design(f"logy__ ~ {o['rhs2']}", pos)
        resid = d2.y.to_numpy() - d2.X[list(m2.params.index)].to_numpy() @ m2.params.to_numpy()
        wpos = np.ones(len(pos)) if o["weights"] is None else pos[o["weights"]].to_numpy(float)
        if o["smearing"] == "homoskedastic":
            factors = float(np.average(np.exp(resid), weights=wpos))
            smear = np.full(len(frame), factors)
        else:
            g = pos[o["smear_by"]].to_numpy()
            levels = pd.unique(g)
            factors = pd.Series({lv: float(np.average(np.exp(resid[g == lv]), weights=wpos[g == lv])) for lv in levels})
            missing = set(pd.unique(frame[o["smear_by"]])) - set(levels)
            if missing:
                raise DataValueError(
                    f"smear_by={o['smear_by']!r}: groups {sorted(missing, key=str)[:5]} have no positive "
                    "amounts, so their smearing factor is undefined; merge them or use smearing='homoskedastic'."
                )
            smear = frame[o["smear_by"]].map(factors).to_numpy(float)
    return {"m1": m1, "m2": m2, "smear": smear, "factors": factors}


def _parts_design(frame: pd.DataFrame, o: Mapping[str, Any], fit: Mapping[str, Any]) -> tuple[Any, Any]:
    d1 = build_design(f"any__ ~ {o['rhs1']}", frame)
    d2 = build_design(f"any__ ~ {o['rhs2']}", frame)
    return d1.model_spec, d2.model_spec


def _names(o: Mapping[str, Any], m1: ModelResult, m2: ModelResult) -> list[str]:
    e2 = "glm" if o["second"] == "glm" else "regress"
    return [f"{o['first']}_{n}" for n in m1.params.index] + [f"{e2}_{n}" for n in m2.params.index]


def _joint_cov(m1: ModelResult, m2: ModelResult, frame: pd.DataFrame, vcov: str, o: Mapping[str, Any]) -> np.ndarray:
    """Sandwich of the stacked scores (twopm's suest)."""
    k1, k2 = len(m1.params), len(m2.params)
    pos = frame["any__"].to_numpy() == 1
    s1 = np.asarray(m1.extra["scores"], float)
    B1 = np.asarray(m1.extra["bread"], float)
    if o["second"] == "glm":
        s2p, B2 = np.asarray(m2.extra["scores"], float), np.asarray(m2.extra["bread"], float)
    else:
        d2 = build_design(f"logy__ ~ {o['rhs2']}", frame[pos])
        X2 = d2.X[list(m2.params.index)].to_numpy()
        e = d2.y.to_numpy() - X2 @ m2.params.to_numpy()
        w2 = np.ones(len(e)) if o["weights"] is None else frame.loc[pos, o["weights"]].to_numpy(float)
        s2p = X2 * (w2 * e)[:, None]
        B2 = np.linalg.inv((X2 * w2[:, None]).T @ X2)
    S = np.zeros((len(frame), k1 + k2))
    S[:, :k1] = s1
    S[pos, k1:] = s2p
    B = np.zeros((k1 + k2, k1 + k2))
    B[:k1, :k1], B[k1:, k1:] = B1, B2
    if vcov in ("iid",):
        raise SpecificationError("suest=True needs a robust vcov ('HC0', 'HC1', 'cluster' or 'survey').")
    if vcov in ("HC0", "HC1"):
        n = len(frame)
        return B @ (S.T @ S) @ B * ((n / (n - k1 - k2)) if vcov == "HC1" else 1.0)
    if vcov == "cluster":  # the one sandwich: G/(G-1) per term, one- or two-way
        cl = o["cluster"]
        codes = cv.cluster_codes(frame, [cl] if isinstance(cl, str) else list(cl), frame.index)
        return cv.sandwich("cluster", scores=S, bread=B, model="ml", clusters=codes, ssc="ml").cov
    meat, _ = cv.survey_meat(S, cv.check_survey_refit(o["design"], o["weights"]), frame, data=o.get("full"))
    return B @ meat @ B


def _ame(theta1: np.ndarray, theta2: np.ndarray, X1: np.ndarray, dX1: np.ndarray, X2: np.ndarray, dX2: np.ndarray,
         smear: np.ndarray, w: np.ndarray, o: Mapping[str, Any]) -> tuple[float, np.ndarray, float]:
    """Average marginal effect of E[y|x], its gradient in (alpha, gamma), and the mean prediction."""
    e1, de1 = X1 @ theta1, dX1 @ theta1
    p, f1, f2 = _link(o["first"])(e1)
    e2, de2 = X2 @ theta2, dX2 @ theta2
    if o["second"] == "glm":
        h1, h2 = mean_derivatives(o["link"])(e2)
        # only the chosen link's mean (the others may be undefined on this linear predictor)
        means: dict[str, Callable[[np.ndarray], np.ndarray]] = {
            "identity": lambda e: e, "log": np.exp, "inverse": lambda e: 1 / e,
            "inverse_squared": lambda e: e**-0.5}
        h = means[o["link"]](e2)
    else:
        h = h1 = h2 = np.exp(e2)
    m, m1, m2 = smear * h, smear * h1, smear * h2
    me = f1 * de1 * m + p * m1 * de2
    ga = X1 * (f2 * de1 * m + f1 * m1 * de2)[:, None] + dX1 * (f1 * m)[:, None]
    gg = X2 * (f1 * de1 * m1 + p * m2 * de2)[:, None] + dX2 * (p * m1)[:, None]
    W = w / w.sum()
    return float(W @ me), np.r_[W @ ga, W @ gg], float(W @ (p * m))


def _effects_table(
    res: ModelResult, var: str, at: Mapping[str, Sequence[float]], level: float, frame: pd.DataFrame,
    specs: tuple[Any, Any], cols: tuple[list[str], list[str]], fit: Mapping[str, Any], o: Mapping[str, Any],
    boot: np.ndarray | None,
) -> tuple[list[tuple[Any, ...]], list[str]]:
    if var not in frame.columns or not pd.api.types.is_numeric_dtype(frame[var]):
        raise SpecificationError(f"{var!r} must be a numeric variable of the model.")
    for name in at:
        if name not in frame.columns:
            raise SpecificationError(f"at={{{name!r}: ...}} names a variable not in the model.")
    k1 = len(cols[0])
    theta = res.params.to_numpy()
    V = res.cov.to_numpy()
    w = np.ones(len(frame)) if o["weights"] is None else frame[o["weights"]].to_numpy(float)
    h = 1e-4 * (float(frame[var].std()) or 1.0)
    keys = list(at)
    rows = []
    for values in itertools.product(*[list(at[k]) for k in keys]) if keys else [()]:
        base = frame.copy()
        for k, v in zip(keys, values, strict=True):
            base[k] = v
        hi, lo = base.copy(), base.copy()
        hi[var], lo[var] = base[var] + h, base[var] - h
        X1, X2 = _mm(specs[0], base, cols[0]), _mm(specs[1], base, cols[1])
        dX1 = (_mm(specs[0], hi, cols[0]) - _mm(specs[0], lo, cols[0])) / (2 * h)
        dX2 = (_mm(specs[1], hi, cols[1]) - _mm(specs[1], lo, cols[1])) / (2 * h)
        est, grad, _ = _ame(theta[:k1], theta[k1:], X1, dX1, X2, dX2, fit["smear"], w, o)
        rows.append((*values, est, float(np.sqrt(grad @ V @ grad))))
    return rows, keys


def _assemble(fit: dict[str, Any], frame: pd.DataFrame, formula: str, vcov: str, suest: bool, se: str,
              reps: int, seed: int | None, o: Mapping[str, Any],
              cache: tuple[Any, float] | None = None) -> ModelResult:
    m1, m2 = fit["m1"], fit["m2"]
    names = _names(o, m1, m2)
    k1 = len(m1.params)
    if suest:
        V = _joint_cov(m1, m2, frame, m1.spec.vcov, o)
    else:
        V = np.zeros((len(names), len(names)))
        V[:k1, :k1], V[k1:, k1:] = m1.cov.to_numpy(), m2.cov.to_numpy()
    cols = (list(m1.params.index), list(m2.params.index))
    if cache is None:
        specs = _parts_design(frame, o, fit)
        w = np.ones(len(frame)) if o["weights"] is None else frame[o["weights"]].to_numpy(float)
        X1, X2 = _mm(specs[0], frame, cols[0]), _mm(specs[1], frame, cols[1])
        mean_pred = _ame(m1.params.to_numpy(), m2.params.to_numpy(), X1, X1 * 0, X2, X2 * 0, fit["smear"], w,
                         o)[2]
    else:  # with_vcov: the same estimates, so the same designs and mean prediction
        specs, mean_pred = cache
    stats: dict[str, Any] = {"mean_prediction": mean_pred, "nobs_positive": int(m2.nobs)}
    if o["second"] == "glm":  # the likelihood separates: the sum of the parts' (AIC, BIC on the total N)
        ll = float(m1.stats["loglik"]) + float(m2.stats["loglik"])
        k = len(names)
        stats.update({"loglik": ll, "aic": -2 * ll + 2 * k, "bic": -2 * ll + np.log(m1.nobs) * k})
    if isinstance(fit["factors"], float) and o["second"] == "ols_log":
        stats["smearing"] = fit["factors"]
    notes = [f"Two-part model: {o['first']} for any spending on {m1.nobs} rows, "
             + (f"{o['family']} GLM ({o['link']} link)" if o["second"] == "glm" else "log-OLS with Duan smearing")
             + f" on the {m2.nobs} positive amounts."]
    notes.append("Joint (suest) covariance of the two parts." if suest else
                 "Block-diagonal covariance: each part with its own variance (twopm without suest).")
    spec = ModelSpec(estimator="twopart", formula=formula, vcov=m1.spec.vcov, cluster=m1.spec.cluster,
                     weights=o["weights"], weight_type=o["weight_type"] if o["weights"] else None,
                     nobs=m1.nobs, n_dropped=m1.spec.n_dropped,
                     options={"first": o["first"], "second": o["second"], "family": o["family"], "link": o["link"],
                              "smearing": o["smearing"], "se": se, "reps": reps, "seed": seed, "suest": suest},
                     notes=tuple(notes) + tuple(n for n in m1.spec.notes + m2.spec.notes if n not in notes),
                     data=o.get("source"))

    return ModelResult(
        params=pd.Series(np.r_[m1.params.to_numpy(), m2.params.to_numpy()], index=names, name="estimate"),
        cov=pd.DataFrame(V, index=names, columns=names),
        nobs=m1.nobs,
        df=m1.df,
        spec=spec,
        raw={"first": m1.raw, "second": m2.raw},
        stats=stats,
        extra={"first": m1, "second": m2, "smearing": fit["factors"]},
        _refit=_TwopartFit(fit, frame, formula, suest, se, reps, seed, o, (specs, mean_pred)),
        _effects=_TwopartEffects(frame, specs, cols, fit, o, se, reps, seed),
    )


@dataclass(frozen=True, slots=True)
class _TwopartFit:
    """``with_vcov`` of a two-part model (``result._refit``), as data: each part recomputes its own
    sandwich (``with_vcov`` of the logit/probit and of the GLM or log-OLS; no refit), then the
    parts are assembled again (with the joint covariance under ``suest``)."""

    fit: Mapping[str, Any]
    frame: pd.DataFrame
    formula: str
    suest: bool
    se: str
    reps: int
    seed: int | None
    o: Mapping[str, Any]
    cache: tuple[Any, float]  # the parts' formula designs and the mean prediction

    def __call__(self, kind: str, **kw: Any) -> ModelResult:
        check_option("vcov", kind, ML_VCOV_KINDS)
        o2 = {**self.o, **{k: v for k, v in kw.items() if k in ("cluster", "design")}}
        part_kw: dict[str, Any] = {"cluster": o2["cluster"] if kind == "cluster" else None}
        if kind == "survey":
            part_kw["design"] = o2["design"]
        fit = {**self.fit, "m1": self.fit["m1"].with_vcov(kind, **part_kw),
               "m2": self.fit["m2"].with_vcov(kind, **part_kw)}
        return _assemble(fit, self.frame, self.formula, kind, self.suest, self.se, self.reps, self.seed, o2,
                         self.cache)


@dataclass(frozen=True, slots=True)
class _TwopartEffects:
    """``marginal_effects`` of a two-part model (``result._effects``), as data."""

    frame: pd.DataFrame
    specs: tuple[Any, Any]
    cols: tuple[list[str], list[str]]
    fit: Mapping[str, Any]
    o: Mapping[str, Any]
    se: str
    reps: int
    seed: int | None

    def __call__(self, res: ModelResult, var: str, at: Mapping[str, Sequence[float]],
                 level: float) -> MarginalEffects:
        frame, specs, cols, o = self.frame, self.specs, self.cols, self.o
        rows, keys = _effects_table(res, var, at, level, frame, specs, cols, self.fit, o, None)
        table = pd.DataFrame(rows, columns=[*keys, "estimate", "std_error"])
        if self.se == "bootstrap":
            table["std_error"] = _bootstrap_se(frame, var, at, o, specs, cols, self.reps, self.seed)
        wald_columns(table, res.df, level)
        return MarginalEffects(var, table)


def _bootstrap_se(frame: pd.DataFrame, var: str, at: Mapping[str, Sequence[float]], o: Mapping[str, Any],
                  specs: tuple[Any, Any], cols: tuple[list[str], list[str]], reps: int,
                  seed: int | None) -> np.ndarray:
    """Nonparametric bootstrap (rows, or whole clusters) of the two-part average marginal effects.

    Each replicate refits both parts by statsmodels on the resampled rows of the design matrices
    (and recomputes the smearing factors), then averages the effect over the resampled rows.
    """
    import warnings

    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import DomainWarning

    from .discrete import _family
    from .glm import sm_family

    rng = np.random.default_rng(seed)
    n = len(frame)
    w = np.ones(n) if o["weights"] is None else frame[o["weights"]].to_numpy(float)
    anyv = frame["any__"].to_numpy()
    logy = np.nan_to_num(frame["logy__"].to_numpy())
    ypos = np.nan_to_num(frame["ypos__"].to_numpy())
    h = 1e-4 * (float(frame[var].std()) or 1.0)
    keys = list(at)
    grids = []
    for values in itertools.product(*[list(at[k]) for k in keys]) if keys else [()]:
        base = frame.copy()
        for k, v in zip(keys, values, strict=True):
            base[k] = v
        hi, lo = base.copy(), base.copy()
        hi[var], lo[var] = base[var] + h, base[var] - h
        grids.append(tuple(_mm(sp, b, c) for sp, c in zip(specs, cols, strict=True) for b in (base,))
                     + tuple((_mm(sp, hi, c) - _mm(sp, lo, c)) / (2 * h) for sp, c in zip(specs, cols, strict=True)))
    X1, X2 = _mm(specs[0], frame, cols[0]), _mm(specs[1], frame, cols[1])
    sgroup = frame[o["smear_by"]].to_numpy() if o["smearing"] == "group" else None
    groups = None
    if o["cluster"] is not None:
        cl = o["cluster"]
        codes = pd.factorize(frame[cl if isinstance(cl, str) else cl[0]])[0]
        groups = [np.flatnonzero(codes == g) for g in range(codes.max() + 1)]
    draws: list[np.ndarray] = []
    failures = 0
    while len(draws) < reps:
        if groups is None:
            idx = rng.integers(0, n, n)
        else:
            idx = np.concatenate([groups[g] for g in rng.integers(0, len(groups), len(groups))])
        pos = idx[anyv[idx] == 1]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                warnings.simplefilter("ignore", DomainWarning)  # an explicitly chosen non-canonical link
                a = sm.GLM(anyv[idx], X1[idx], family=_family(o["first"]), var_weights=w[idx]).fit(tol=1e-10).params
                if o["second"] == "glm":
                    g = sm.GLM(ypos[pos], X2[pos], family=sm_family(o["family"], o["link"]),
                               var_weights=w[pos]).fit(tol=1e-10).params
                    smear = np.ones(n)
                else:
                    g = sm.WLS(logy[pos], X2[pos], weights=w[pos]).fit().params
                    ex = np.exp(logy[pos] - X2[pos] @ g)
                    if sgroup is None:
                        smear = np.full(n, np.average(ex, weights=w[pos]))
                    else:
                        fac = {lv: np.average(ex[sgroup[pos] == lv], weights=w[pos][sgroup[pos] == lv])
                               for lv in pd.unique(sgroup)}
                        smear = np.array([fac[v] for v in sgroup])
            if not (np.all(np.isfinite(a)) and np.all(np.isfinite(g)) and np.all(np.isfinite(smear))):
                raise FloatingPointError
        except Exception:  # separation, no spenders, a group without spenders: redraw
            failures += 1
            if failures > MAX_REDRAWS:
                raise DataValueError(
                    f"More than {MAX_REDRAWS} bootstrap resamples could not be fitted (separation or no "
                    "positive amounts); use se='delta'."
                ) from None
            continue
        draws.append(np.array([_ame(a, g, G1[idx], dG1[idx], G2[idx], dG2[idx], smear[idx], w[idx], o)[0]
                               for G1, G2, dG1, dG2 in grids]))
    return np.std(np.vstack(draws), axis=0, ddof=1)
