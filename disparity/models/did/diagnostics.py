"""Diagnostics researchers report with a DiD: placebo timing, and propensity-score DiD with balance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ... import _display, _resample
from ..._options import check_option
from ...errors import DataValueError, SpecificationError
from ...specs import DidSpec, data_source
from ..panel import demean
from ._inference import aggregate_cells
from ._panel import _check_columns, wide_panel
from .cs import _logit, group_time_effects
from .results import DidResult
from .twfe import did

__all__ = ["placebo", "PlaceboResult", "psm_did", "PsmDidResult"]


@_display.shown(lambda r: f"Placebo test ({r.estimator}, {r.reps} draws)")
@dataclass(frozen=True, slots=True)
class PlaceboResult:
    """Actual estimate against estimates with randomly reassigned treatment timing."""

    estimate: float
    draws: np.ndarray = field(repr=False)
    p_value: float
    reps: int
    seed: int | None
    estimator: str
    #: what was permuted, on which data (file, checksum, shape of the frame)
    spec: DidSpec = field(default_factory=DidSpec)

    @property
    def value(self) -> float:
        return self.estimate

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame([{"estimator": self.estimator, "estimate": self.estimate, "p_value": self.p_value,
                              "placebo_mean": float(np.mean(self.draws)), "placebo_sd": float(np.std(self.draws, ddof=1)),
                              "reps": self.reps, "seed": self.seed}])

    def plot(self) -> Any:
        from ..._figure import InlineFigure as Figure

        fig = Figure(figsize=(6.4, 4.0))
        ax = fig.add_subplot()
        ax.hist(self.draws, bins=40)
        ax.axvline(self.estimate, color="black", linestyle="--")
        ax.set_xlabel("placebo estimate")
        ax.set_ylabel("count")
        return fig


def placebo(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    estimator: Literal["twfe", "cs"] = "twfe",
    control: Literal["never", "notyet"] = "notyet",
    reps: int = 500,
    seed: int | None = None,
    progress: bool = True,
) -> PlaceboResult:
    """Permutation (placebo) test: reassign units' cohorts at random and re-estimate.

    Parameters
    ----------
    data, outcome, unit, time, cohort
        Balanced long panel; ``cohort`` as for :func:`event_study`.
    estimator : {"twfe", "cs"}
        Statistic: the TWFE DiD coefficient, or the Callaway-Sant'Anna "simple" aggregate ATT.
    control : {"never", "notyet"}
        Comparison group for ``estimator="cs"``.
    reps, seed
        Number of random reassignments and the seed (a local generator; no global state).
    progress : bool
        Progress bar when the draws are expected to take over ~2 s (silent in CI and off a
        terminal). A request that would need more than a day or the available memory is refused.

    Always-treated units are dropped, as in :func:`event_study`, so the TWFE statistic can differ
    slightly from :func:`did` on the full panel.

    Returns
    -------
    PlaceboResult
        ``estimate``, ``draws``, ``p_value`` (share of draws at least as large in absolute value,
        counting the actual assignment), ``plot()`` (histogram).

    Notes
    -----
    Each draw permutes the vector of cohorts across units (keeping the number of units per cohort and
    the never-treated), so the placebo distribution is the estimator's distribution under no effect
    with the same timing structure: :math:`p = (1 + \\#\\{|\\hat\\beta^{(r)}| \\ge |\\hat\\beta|\\})/(1 + R)`.

    References
    ----------
    Abadie, A., Diamond, A. & Hainmueller, J. (2010). Synthetic control methods for comparative case
    studies. *JASA* 105(490), 493-505 (placebo/permutation inference).

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> r = dp.placebo(panel, "benefit_gap", "region_code", "year", "integration_year", reps=49, seed=1)
    >>> round(r.estimate, 3), round(r.p_value, 2), len(r.draws)
    (-1.33, 0.02, 49)
    """
    check_option("estimator", estimator, ("twfe", "cs"))
    check_option("control", control, ("never", "notyet"))
    if not isinstance(reps, int | np.integer) or reps < 1:
        raise SpecificationError(f"reps={reps!r} must be a positive integer.")
    P = wide_panel(data, outcome, unit, time, cohort)
    rng = np.random.default_rng(seed)
    n, T = P.Y.shape
    if estimator == "twfe":
        y = P.Y.ravel()
        ucode = np.repeat(np.arange(n), T)
        tcode = np.tile(np.arange(T), n)
        yd, _ = demean(y[:, None], [ucode, tcode])
        yd = yd[:, 0]

        def stat(G: np.ndarray) -> float:
            D = (P.times[None, :] >= G[:, None]).astype(float).ravel()
            Dd, _ = demean(D[:, None], [ucode, tcode])
            den = float(Dd[:, 0] @ Dd[:, 0])
            if den <= 0:
                return float("nan")
            return float(Dd[:, 0] @ yd / den)
    else:
        def stat(G: np.ndarray) -> float:
            Q = P.__class__(P.units, P.times, P.Y, G, P.w, None, (), None, ())
            gt = group_time_effects(Q, control=control, method="reg")
            c = gt.cells
            return aggregate_cells("simple", c["cohort"].to_numpy(float), c["time"].to_numpy(float),
                                   c["att"].to_numpy(float), gt.inf, G, P.w).overall_att

    actual = stat(P.G)
    with _resample.Ticker("placebo permutations", int(reps), progress=progress,
                          bytes_needed=8.0 * (reps + 4 * P.Y.size)) as tick:
        draws = np.empty(reps)  # after the Ticker has checked that it fits in memory
        for b in range(reps):
            draws[b] = stat(rng.permutation(P.G))
            tick()
    ok = np.isfinite(draws)
    p = (1 + np.sum(np.abs(draws[ok]) >= abs(actual) - 1e-12)) / (1 + ok.sum())
    spec = DidSpec(estimator=estimator, design="placebo", outcome=outcome, control=control, reps=reps, seed=seed,
                   options={"unit": unit, "time": time, "cohort": cohort}, data=data_source(data))
    return PlaceboResult(actual, draws, float(p), reps, seed, estimator, spec)


@_display.shown(lambda r: "PSM-DiD")
@dataclass(frozen=True, slots=True)
class PsmDidResult:
    """DiD after propensity-score weighting or matching, with the covariate balance table."""

    did: DidResult
    balance: pd.DataFrame  # covariate, mean_treated, mean_control, mean_control_adjusted, smd_before, smd_after
    pscore: pd.Series = field(repr=False)
    method: str = "weighting"
    notes: tuple[str, ...] = ()
    #: what was matched or weighted, on which data (file, checksum, shape of the frame)
    spec: DidSpec = field(default_factory=DidSpec)

    @property
    def att(self) -> float:
        return self.did.att

    def tidy(self) -> pd.DataFrame:
        return self.did.tidy()


def _smd(x1: np.ndarray, x0: np.ndarray, w0: np.ndarray, s_pool: float) -> float:
    return float((x1.mean() - np.average(x0, weights=w0)) / s_pool) if s_pool > 0 else float("nan")


def psm_did(
    data: pd.DataFrame,
    outcome: str,
    *,
    treat: str,
    post: str,
    covariates: Sequence[str],
    unit: str | None = None,
    method: Literal["weighting", "matching"] = "weighting",
    caliper: float | None = None,
    cluster: str | None = None,
) -> PsmDidResult:
    """PSM-DiD: a propensity score for the treated group, then a weighted 2x2 DiD, with a balance table.

    Parameters
    ----------
    data : DataFrame
        Panel (give ``unit``) or repeated cross-sections.
    outcome, treat, post : str
        Outcome and 0/1 treated-group and post-period columns.
    covariates : list of str
        Pre-treatment covariates of the propensity score (logit), taken from ``post == 0`` rows.
    unit : str, optional
        Panel unit: scores are estimated once per unit and its rows share the weight.
    method : {"weighting", "matching"}
        "weighting": controls weighted by :math:`\\hat p/(1-\\hat p)` (ATT odds weights); "matching":
        each treated unit matched to its nearest control on the score, with replacement (controls
        weighted by how often they are used), optionally within ``caliper`` (score units).
    cluster : str, optional
        Clustering variable for the DiD standard error (default ``unit``).

    Returns
    -------
    PsmDidResult
        ``did`` (the weighted DiD), ``balance`` (standardised mean differences before and after).

    Notes
    -----
    Standardised mean difference: :math:`(\\bar x_1 - \\bar x_0^w)/\\sqrt{(s_1^2 + s_0^2)/2}` with the
    unweighted pooled standard deviation, before and after adjustment. Standard errors of the DiD
    treat the weights as fixed (they ignore the estimation of the score).

    References
    ----------
    Heckman, J. J., Ichimura, H. & Todd, P. E. (1997). Matching as an econometric evaluation estimator.
    *Review of Economic Studies* 64(4), 605-654.
    Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline covariates
    between treatment groups in propensity-score matched samples. *Statistics in Medicine* 28, 3083-3107.

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> panel["treat"] = (panel["integration_year"] <= 2016).astype(int)
    >>> panel["post"] = (panel["year"] >= 2016).astype(int)
    >>> r = dp.psm_did(panel, "benefit_gap", treat="treat", post="post", covariates=["gdp_pc"], unit="region_code")
    >>> round(r.did.att, 3), r.balance[["smd_before", "smd_after"]].round(3).values.tolist()
    (-1.358, [[0.392, -0.027]])
    """
    check_option("method", method, ("weighting", "matching"))
    if method == "matching" and unit is None:
        raise SpecificationError("method='matching' needs unit= (a panel); use method='weighting' for cross-sections.")
    if isinstance(covariates, str):
        covariates = [covariates]
    if covariates is None or not isinstance(covariates, (list, tuple, pd.Index)) or not list(covariates):
        raise SpecificationError(
            f"psm_did needs covariates= (a list of column names) for the propensity score; got {covariates!r}."
        )
    covariates = list(covariates)
    _check_columns(data, [outcome, treat, post, *covariates] + [c for c in (unit, cluster) if c])
    pre = data[pd.to_numeric(data[post], errors="coerce") == 0]
    base = pre.groupby(unit, sort=False).first() if unit else pre
    X = base[covariates].apply(pd.to_numeric, errors="coerce")
    if X.isna().any().any():
        raise DataValueError(f"Covariates {covariates} have missing values in the pre period; drop or impute them.")
    d = pd.to_numeric(base[treat], errors="coerce").to_numpy(float)
    if not set(np.unique(d).tolist()) <= {0.0, 1.0} or len(np.unique(d)) < 2:
        raise DataValueError(
            f"treat={treat!r} must be coded 0/1 with both groups present in the pre period; "
            f"it takes the values {sorted(set(np.unique(d).tolist()))[:5]}."
        )
    Xm = np.column_stack([np.ones(len(X)), X.to_numpy(float)])
    ps = 1.0 / (1.0 + np.exp(-(Xm @ _logit(Xm, d, np.ones(len(d))))))
    w = np.ones(len(d))
    notes: list[str] = []
    if method == "weighting":
        w = np.where(d == 1, 1.0, ps / (1 - ps))
    else:
        ctrl = np.flatnonzero(d == 0)
        order = np.argsort(ps[ctrl])
        sorted_ps = ps[ctrl][order]
        w = np.zeros(len(d))
        unmatched = 0
        for i in np.flatnonzero(d == 1):
            j = int(np.searchsorted(sorted_ps, ps[i]))
            cand = [c for c in (j - 1, j) if 0 <= c < len(sorted_ps)]
            best = min(cand, key=lambda c: abs(sorted_ps[c] - ps[i]))
            if caliper is not None and abs(sorted_ps[best] - ps[i]) > caliper:
                unmatched += 1
                continue
            w[i] = 1.0
            w[ctrl[order[best]]] += 1.0
        if unmatched:
            notes.append(f"{unmatched} treated units had no control within the caliper and were dropped.")
        if not (w[d == 1] > 0).any():
            raise DataValueError("No treated unit found a match within the caliper; widen it.")
    rows = []
    Xv = X.to_numpy(float)
    t1, t0 = d == 1, d == 0
    for j, c in enumerate(covariates):
        x1, x0 = Xv[t1, j], Xv[t0, j]
        s = float(np.sqrt((x1.var(ddof=1) + x0.var(ddof=1)) / 2))
        x1w = Xv[t1 & (w > 0), j]  # matching may drop treated units outside the caliper
        rows.append({"covariate": c, "mean_treated": float(x1.mean()), "mean_control": float(x0.mean()),
                     "mean_control_adjusted": float(np.average(x0, weights=w[t0])) if w[t0].sum() > 0 else np.nan,
                     "smd_before": _smd(x1, x0, np.ones(len(x0)), s),
                     "smd_after": _smd(x1w, x0, w[t0], s) if w[t0].sum() > 0 else np.nan})
    balance = pd.DataFrame(rows)
    key = base.index
    wmap = pd.Series(w, index=key)
    df = data.copy()
    df["_psm_w"] = df[unit].map(wmap).to_numpy() if unit else wmap.reindex(df.index).to_numpy()
    if not unit:
        # repeated cross-sections: post-period rows get the weight their own score implies
        rest = df["_psm_w"].isna()
        if rest.any():
            Xr = np.column_stack([np.ones(int(rest.sum())), df.loc[rest, covariates].to_numpy(float)])
            beta_ps = np.linalg.lstsq(Xm, np.log(ps / (1 - ps)), rcond=None)[0]
            pr = 1 / (1 + np.exp(-(Xr @ beta_ps)))
            dr = pd.to_numeric(df.loc[rest, treat]).to_numpy(float)
            df.loc[rest, "_psm_w"] = np.where(dr == 1, 1.0, pr / (1 - pr))
    df = df[df["_psm_w"] > 0]
    res = did(df, outcome, treat=treat, post=post, weights="_psm_w", cluster=cluster or unit)
    spec = DidSpec(estimator="psm_did", design="2x2", outcome=outcome, method=method, covariates=tuple(covariates),
                   cluster=cluster or unit, nobs=res.spec.nobs,
                   options={"treat": treat, "post": post, "caliper": caliper}, data=data_source(data))
    return PsmDidResult(res, balance, pd.Series(ps, index=key, name="pscore"), method, tuple(notes), spec)
