"""Mediation analysis: Baron-Kenny steps, Sobel test, bootstrap intervals for the indirect effect."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ... import _display, _resample
from ..._options import WEIGHT_TYPES, VcovKind, WeightType, check_option
from ...errors import DataValueError, SpecificationError
from ...specs import MediationSpec, data_source
from .. import covariance as cv
from ..discrete import logit, probit
from ..formula import build_design, quote_name, required_columns
from ..linear import ols, prepare_weights
from ..panel import demean, panel
from ..results import ModelResult
from .results import DecompSummary, Estimate, fast_wls, tidy_frame

__all__ = ["mediation", "MediationResult"]

ModelKind = Literal["linear", "logit", "probit"]
MODEL_KINDS: tuple[str, ...] = ("linear", "logit", "probit")
CI_KINDS: tuple[str, ...] = ("percentile", "bc", "normal")
# Bootstrap replicates whose fit fails (a resample without variation) are redrawn, at most this
# many times per requested replicate, before giving up.
MAX_REDRAW_FACTOR = 5
IRLS_TOL = 1e-10
IRLS_MAX_ITER = 100


@_display.shown(lambda r: f"Mediation of {r.spec.treatment} -> {r.spec.outcome} through {r.spec.mediator}")
@dataclass(frozen=True, slots=True)
class MediationResult:
    """Paths, indirect effect and its inference for one treatment -> mediator -> outcome chain.

    Attributes
    ----------
    total, a, b, direct : Estimate
        Baron-Kenny paths: total effect :math:`c`, treatment on mediator :math:`a`, mediator on
        outcome :math:`b` and direct effect :math:`c'` (coefficients of the fitted models).
    indirect : Estimate
        :math:`a\\cdot b`; ``std_error`` is Sobel's, ``conf_int(0.95)`` the bootstrap interval (when
        ``reps > 0``).
    difference : Estimate
        :math:`c - c'` (equals :math:`a\\cdot b` exactly for linear mediator and outcome models).
    proportion : Estimate
        Proportion mediated :math:`ab/c` (bootstrap interval when available).
    sobel : dict
        ``statistic`` and ``p_value`` of Sobel's test.
    models : dict of ModelResult
        ``"total"``, ``"mediator"`` and ``"outcome"`` regressions.
    """

    total: Estimate
    a: Estimate
    b: Estimate
    direct: Estimate
    indirect: Estimate
    difference: Estimate
    proportion: Estimate
    sobel: dict[str, float]
    nobs: int
    models: dict[str, ModelResult] = field(repr=False, compare=False)
    spec: MediationSpec = field(default_factory=MediationSpec)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


    @property
    def value(self) -> float:
        return self.indirect.value

    @property
    def std_error(self) -> float:
        return self.indirect.std_error

    def conf_int(self, level: float = 0.95) -> tuple[float, float]:
        """Interval for the indirect effect: bootstrap (percentile/BC, any level) or Sobel normal."""
        boot = self.raw.get("bootstrap")
        if boot is not None and self.spec.ci != "normal":
            return _boot_interval(boot[:, 0], self.indirect.value, level, self.spec.ci)
        return self.indirect.conf_int(level)

    def __float__(self) -> float:
        return float(self.indirect.value)

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Rows: total (c), a, b, direct (c′), indirect (a·b), difference (c − c′), proportion."""
        rows = [self.total, self.a, self.b, self.direct, self.indirect, self.difference, self.proportion]
        frame = tidy_frame(rows, level)
        boot = self.raw.get("bootstrap")
        if boot is not None and self.spec.ci != "normal":
            for pos, col in ((4, 0), (6, 1)):
                frame.loc[pos, ["conf_low", "conf_high"]] = _boot_interval(
                    boot[:, col], rows[pos].value, level, self.spec.ci)
        return frame

    def glance(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "treatment": self.spec.treatment, "mediator": self.spec.mediator, "nobs": self.nobs,
            "mediator_model": self.spec.mediator_model, "outcome_model": self.spec.outcome_model,
            "sobel_statistic": self.sobel["statistic"], "sobel_p_value": self.sobel["p_value"],
            "reps": self.spec.reps, "ci": self.spec.ci,
        }])

    def summary(self) -> DecompSummary:
        return DecompSummary({"paths": self.tidy()}, {str(k): v for k, v in self.glance().iloc[0].to_dict().items()}, tuple(self.spec.notes))


def _boot_interval(draws: np.ndarray, estimate: float, level: float, kind: str) -> tuple[float, float]:
    if not 0 < level < 1:
        raise SpecificationError(f"level={level!r} must be between 0 and 1 (e.g. 0.95).")
    alpha = 1 - level
    draws = draws[np.isfinite(draws)]
    if kind == "bc":
        prop = (np.sum(draws < estimate) + 0.5 * np.sum(draws == estimate)) / draws.size
        prop = min(max(prop, 0.5 / draws.size), 1 - 0.5 / draws.size)
        z0 = stats.norm.ppf(prop)
        zq = stats.norm.ppf([alpha / 2, 1 - alpha / 2])
        probs = stats.norm.cdf(2 * z0 + zq)
    else:
        probs = np.array([alpha / 2, 1 - alpha / 2])
    lo, hi = np.quantile(draws, probs)
    return float(lo), float(hi)


# ----------------------------------------------------------------------------------------------
# Fast refits for the bootstrap (design matrices built once)


def _irls(X: np.ndarray, y: np.ndarray, w: np.ndarray, link: str) -> np.ndarray:
    beta = np.zeros(X.shape[1])
    for _ in range(IRLS_MAX_ITER):
        eta = X @ beta
        if link == "logit":
            mu = 1 / (1 + np.exp(-eta))
            d1 = mu * (1 - mu)
        else:
            mu = stats.norm.cdf(eta)
            d1 = stats.norm.pdf(eta)
        mu = np.clip(mu, 1e-12, 1 - 1e-12)
        d1 = np.maximum(d1, 1e-300)
        fw = w * d1 * d1 / (mu * (1 - mu))
        z = eta + (y - mu) / d1
        new = fast_wls(X, z, fw)
        if not np.all(np.isfinite(new)) or np.max(np.abs(X @ new)) > 30:
            raise np.linalg.LinAlgError("degenerate bootstrap sample")
        if np.max(np.abs(new - beta) / np.maximum(np.abs(new), 1.0)) < IRLS_TOL:
            return new
        beta = new
    raise np.linalg.LinAlgError("no convergence")


def _coef(X: np.ndarray, y: np.ndarray, w: np.ndarray, kind: str, pos: list[int]) -> np.ndarray:
    if kind == "linear":
        beta = fast_wls(X, y, w)
    else:
        beta = _irls(X, y, w, kind)
    return beta[pos]


# ----------------------------------------------------------------------------------------------


def mediation(
    formula: str,
    data: pd.DataFrame,
    *,
    treatment: str,
    mediator: str,
    mediator_model: ModelKind = "linear",
    outcome_model: ModelKind = "linear",
    entity: str | None = None,
    time: str | None = None,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    vcov: VcovKind = "iid",
    cluster: str | None = None,
    reps: int = 1000,
    ci: Literal["percentile", "bc", "normal"] = "percentile",
    seed: int | None = None,
    progress: bool = True,
) -> MediationResult:
    """Mediation of the effect of ``treatment`` on the outcome through ``mediator``.

    Parameters
    ----------
    formula : str
        Outcome equation without the mediator, ``"oop ~ urban + age + female"``; the treatment must
        be one of its regressors (numeric, e.g. 0/1). The same right-hand side is used for the
        mediator equation; the outcome equation adds the mediator.
    treatment, mediator : str
        Column names (numeric; the mediator 0/1 when ``mediator_model`` is binary).
    mediator_model, outcome_model : {"linear", "logit", "probit"}
        Models for the mediator and the outcome (binary models: coefficients on the link scale).
    entity, time : str, optional
        With ``entity`` (and ``time``), linear equations are fitted by :func:`dp.panel` with entity
        fixed effects (two-way when ``time`` is given).
    weights, weight_type : optional
        As in :func:`dp.ols`.
    vcov, cluster : optional
        Variance of the path coefficients, passed to :func:`dp.ols` / :func:`dp.logit` /
        :func:`dp.panel` (e.g. ``vcov="cluster", cluster="psu"``); the bootstrap then resamples
        clusters (entities with fixed effects).
    reps : int
        Bootstrap replicates for the indirect effect (0: Sobel only).
    progress : bool
        Progress bar when the bootstrap is expected to take over ~2 s (silent in CI and off a
        terminal). A request that would need more than a day or the available memory is refused.
    ci : {"percentile", "bc", "normal"}
        Bootstrap percentile, bias-corrected (Efron 1982) or Sobel normal interval.
    seed : int, optional
        Seed of the bootstrap's own generator (no global seed is set).

    Returns
    -------
    MediationResult

    Notes
    -----
    Three regressions on one estimation sample (Baron and Kenny 1986):

    .. math:: Y = c_0 + cX + \\gamma'W + e_1,\\quad M = a_0 + aX + \\delta'W + e_2,\\quad
              Y = c_0' + c'X + bM + \\theta'W + e_3.

    The indirect effect is :math:`ab`; with least squares in all three equations
    :math:`c - c' = ab` exactly. Sobel's (1982) standard error is
    :math:`\\sqrt{b^2 s_a^2 + a^2 s_b^2}`. The bootstrap resamples observations (clusters or
    entities when clustering or fixed effects are used) and refits the mediator and outcome
    equations; the percentile interval takes quantiles :math:`\\alpha/2, 1-\\alpha/2` of the
    replicates, the bias-corrected one quantiles :math:`\\Phi(2z_0 \\pm z_{1-\\alpha/2})` with
    :math:`z_0 = \\Phi^{-1}(\\#\\{ab^* < ab\\}/B)`. The proportion mediated is :math:`ab/c`.
    With a binary mediator or outcome the coefficients are on the link scale, so :math:`ab` and
    :math:`c - c'` differ (the latter also reflects the rescaling of the latent variable).

    References
    ----------
    Baron, R. M. & Kenny, D. A. (1986). The moderator-mediator variable distinction in social
    psychological research. *Journal of Personality and Social Psychology* 51(6), 1173-1182.
    Sobel, M. E. (1982). Asymptotic confidence intervals for indirect effects in structural
    equation models. *Sociological Methodology* 13, 290-312.
    MacKinnon, D. P., Lockwood, C. M. & Williams, J. (2004). Confidence limits for the indirect
    effect: distribution of the product and resampling methods. *Multivariate Behavioral
    Research* 39(1), 99-128.
    Efron, B. (1982). *The Jackknife, the Bootstrap and Other Resampling Plans*. SIAM.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> df["urb"] = (df["urban"] == "城镇").astype(int)
    >>> r = dp.mediation("oop ~ urb + age", df, treatment="urb", mediator="income", reps=50, seed=1)
    >>> round(r.total.value, 2), round(r.direct.value, 2), round(r.indirect.value, 2)
    (-387.66, -306.95, -80.71)
    """
    check_option("mediator_model", mediator_model, MODEL_KINDS)
    check_option("outcome_model", outcome_model, MODEL_KINDS)
    check_option("ci", ci, CI_KINDS)
    check_option("weight_type", weight_type, WEIGHT_TYPES)
    if not isinstance(reps, int) or reps < 0 or reps == 1:
        raise SpecificationError(f"reps={reps!r} must be 0 (no bootstrap) or an integer >= 2 (e.g. 1000).")
    if ci != "normal" and reps == 0:
        raise SpecificationError(f"ci={ci!r} needs bootstrap replicates; give reps >= 2 or ci='normal'.")
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    if entity is None and time is not None:
        raise SpecificationError("time= is only used together with entity= (fixed effects).")
    if entity is not None and {mediator_model, outcome_model} != {"linear"}:
        raise SpecificationError(
            "Fixed effects (entity=) are available for linear mediator and outcome models only; "
            "use linear models or add the entity dummies as C(entity) to the formula."
        )
    if entity is not None and weights is not None:
        raise SpecificationError("weights= cannot be combined with entity= (dp.panel is unweighted).")
    if "~" not in formula:
        raise SpecificationError(f"Formula {formula!r} has no '~'; write it as 'outcome ~ treatment + controls'.")
    for name, col in (("treatment", treatment), ("mediator", mediator)):
        if not isinstance(col, str) or col not in data.columns:
            raise SpecificationError(f"{name}={col!r} must name a column of the data.")
        if not pd.api.types.is_numeric_dtype(data[col]) or pd.api.types.is_bool_dtype(data[col]):
            raise SpecificationError(
                f"The {name} column {col!r} must be numeric (recode a labelled or boolean variable "
                "to 0/1 first), so that its coefficient is one number."
            )
    lhs, rhs = (s.strip() for s in formula.split("~", 1))
    if mediator in required_columns(formula):
        raise SpecificationError(
            f"The mediator {mediator!r} is in the formula; give the outcome equation without it "
            "(it is added for the outcome model)."
        )
    if treatment not in required_columns(f"{lhs} ~ {rhs}") or lhs == treatment:
        raise SpecificationError(f"The treatment {treatment!r} must be a regressor of the formula {formula!r}.")
    extra = [c for c in [weights, cluster, entity, time] if c]
    for c in extra:
        if c not in data.columns:
            raise SpecificationError(f"Column {c!r} (weights/cluster/entity/time) is not in the data.")

    # One estimation sample for all three equations.
    full = f"{lhs} ~ {rhs} + {quote_name(mediator)}"  # a column name is only ever a name
    d = build_design(full, data, extra=extra)
    sub = data.loc[d.index]
    for col, kind in ((mediator, mediator_model), (lhs, outcome_model)):
        vals = d.y if col == lhs else sub[col]
        if np.ptp(np.asarray(vals, dtype=float)) == 0:
            raise DataValueError(f"{col!r} takes a single value on the {len(sub)} rows used; nothing to mediate.")
        if kind != "linear" and not set(np.unique(np.asarray(vals, dtype=float))) <= {0.0, 1.0}:
            raise DataValueError(f"{kind} model for {col!r} needs a 0/1 variable.")
    if np.ptp(sub[treatment].to_numpy(dtype=float)) == 0:
        raise DataValueError(f"The treatment {treatment!r} does not vary on the rows used.")

    def fit(f: str, kind: str) -> ModelResult:
        if entity is not None and time is not None:
            return panel(f, sub, entity=entity, time=time, effects="twoway", vcov=vcov, cluster=cluster)
        if entity is not None:
            return _panel_entity(f, sub, entity, vcov, cluster)
        if kind == "linear":
            return ols(f, sub, weights=weights, weight_type=weight_type, vcov=vcov, cluster=cluster,
                       few_clusters="analytic")
        fn = logit if kind == "logit" else probit
        return fn(f, sub, weights=weights, weight_type=weight_type, vcov=vcov, cluster=cluster)

    m_tot = fit(formula, outcome_model)
    m_med = fit(f"{quote_name(mediator)} ~ {rhs}", mediator_model)
    m_out = fit(full, outcome_model)
    models = {"total": m_tot, "mediator": m_med, "outcome": m_out}

    def path(m: ModelResult, term: str, name: str) -> Estimate:
        if term not in m.params.index:
            raise SpecificationError(
                f"{term!r} did not enter the {name} equation as one coefficient (it is expanded to "
                f"{[t for t in m.params.index if term in t]}); recode it to a numeric column."
            )
        lo, hi = m.conf_int(0.95).loc[term, ["conf_low", "conf_high"]].to_numpy(float)
        return Estimate(name, float(m.params[term]), float(m.std_errors[term]),
                        interval=(float(lo), float(hi)), df=m.df)

    c = path(m_tot, treatment, "total")
    a = path(m_med, treatment, "a")
    b = path(m_out, mediator, "b")
    cp = path(m_out, treatment, "direct")
    ab = a.value * b.value
    sobel_se = float(np.sqrt(b.value**2 * a.std_error**2 + a.value**2 * b.std_error**2))
    z = ab / sobel_se if sobel_se > 0 else float("nan")
    sobel = {"statistic": z, "p_value": float(2 * stats.norm.sf(abs(z)))}

    notes = [f"Sobel standard error for the indirect effect; path variances: vcov={vcov!r}."]
    boot = None
    if reps:
        boot = _bootstrap(d, sub, lhs, treatment, mediator, mediator_model, outcome_model,
                          weights, weight_type, entity, time, cluster, reps, seed, progress)
        unit = "entities" if entity else ("clusters" if cluster else "observations")
        notes.append(f"Bootstrap ({reps} replicates, seed {seed}, {unit} resampled); {ci} interval.")

    def boot_se(col: int) -> float:
        return float(np.std(boot[:, col], ddof=1)) if boot is not None else float("nan")

    indirect = Estimate("indirect", ab, sobel_se,
                        _boot_interval(boot[:, 0], ab, 0.95, ci) if boot is not None and ci != "normal" else None)
    prop_val = ab / c.value if c.value != 0 else float("nan")
    proportion = Estimate("proportion", prop_val, boot_se(1),
                          _boot_interval(boot[:, 1], prop_val, 0.95, ci) if boot is not None and ci != "normal" else None)
    diff = Estimate("difference", c.value - cp.value, boot_se(2))
    spec: dict[str, Any] = {
        "formula": formula, "outcome": lhs, "treatment": treatment, "mediator": mediator,
        "mediator_model": mediator_model, "outcome_model": outcome_model, "entity": entity, "time": time,
        "weights": weights, "vcov": vcov, "cluster": cluster, "reps": reps, "ci": ci, "seed": seed,
        "notes": tuple(notes), "n_dropped": d.n_dropped,
    }
    return MediationResult(
        total=c, a=a, b=b, direct=cp, indirect=indirect, difference=diff, proportion=proportion,
        sobel=sobel, nobs=len(sub), models=models, spec=MediationSpec(**spec, data=data_source(data)),
        raw={"bootstrap": boot, "sobel_se": sobel_se},
    )


def _panel_entity(f: str, sub: pd.DataFrame, entity: str, vcov: VcovKind, cluster: str | None) -> ModelResult:
    # dp.panel needs a time column to check the panel structure; a within-entity row counter serves.
    tmp = sub.assign(__row=sub.groupby(entity).cumcount())
    return panel(f, tmp, entity=entity, time="__row", effects="entity", vcov=vcov, cluster=cluster)


def _bootstrap(d, sub, lhs, treatment, mediator, med_kind, out_kind, weights, weight_type,
               entity, time, cluster, reps, seed, progress=True) -> np.ndarray:
    """Replicates of (ab, ab/c, c - c')."""
    X = d.X.to_numpy()
    names = list(d.X.columns)
    jm = names.index(mediator)
    jt = names.index(treatment)
    Xr = np.delete(X, jm, axis=1)
    jt_r = jt if jt < jm else jt - 1
    y = d.y.to_numpy()
    m = sub[mediator].to_numpy(dtype=float)
    w_given = prepare_weights(sub, weights, weight_type, sub.index) if weights else None
    w = np.ones(len(y)) if w_given is None else w_given
    unit_col = entity or cluster
    if unit_col is not None:
        codes = cv.cluster_codes(sub, [unit_col], sub.index)[0]
        members = [np.flatnonzero(codes == g) for g in range(int(codes.max()) + 1)]
    tcodes = pd.factorize(sub[time])[0] if time else None
    rng = np.random.default_rng(seed)
    tick = _resample.Ticker("mediation bootstrap", reps, progress=progress,
                            bytes_needed=8.0 * (3 * reps + 4 * X.size))
    out = np.empty((reps, 3))
    done = tries = 0
    while done < reps:
        tries += 1
        if tries > MAX_REDRAW_FACTOR * reps:
            raise DataValueError(
                "Most bootstrap resamples could not be fitted (a regressor without variation or a "
                "binary outcome perfectly predicted); the sample is too small for the bootstrap. "
                "Use reps=0 (Sobel) or more data."
            )
        if unit_col is not None:
            pick = rng.integers(0, len(members), len(members))
            idx = np.concatenate([members[g] for g in pick])
            new_unit = np.repeat(np.arange(len(pick)), [len(members[g]) for g in pick])
        else:
            idx = rng.integers(0, len(y), len(y))
        Xb, Xrb, yb, mb, wb = X[idx], Xr[idx], y[idx], m[idx], w[idx]
        try:
            if entity is not None:
                groups = [new_unit] + ([pd.factorize(tcodes[idx])[0]] if tcodes is not None else [])
                M, _ = demean(np.column_stack([yb, mb, Xb]), groups)
                yb, mb, Xb = M[:, 0], M[:, 1], M[:, 2:]
                keep = [j for j in range(X.shape[1]) if names[j] != "Intercept"]
                Xb = Xb[:, keep]
                Xrb = np.delete(Xb, keep.index(jm), axis=1)
                jt_b, jm_b = keep.index(jt), keep.index(jm)
                jt_rb = jt_b if jt_b < jm_b else jt_b - 1
            else:
                jt_b, jm_b, jt_rb = jt, jm, jt_r
            a = _coef(Xrb, mb, wb, med_kind, [jt_rb])[0]
            b, cp = _coef(Xb, yb, wb, out_kind, [jm_b, jt_b])
            c = _coef(Xrb, yb, wb, out_kind, [jt_rb])[0]
        except np.linalg.LinAlgError:
            continue
        out[done] = (a * b, a * b / c if c != 0 else np.nan, c - cp)
        done += 1
        tick()
    tick.close()
    return out
