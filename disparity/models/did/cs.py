"""Callaway & Sant'Anna (2021) group-time average treatment effects on a balanced panel.

Every ATT(g, t) is a 2x2 comparison of units first treated in ``g`` with a comparison group
(never treated, or not yet treated by ``t``) between ``t`` and a base period. Cells are computed from
unit-level wide arrays (one boolean mask per cell), never by merging long frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import DataValueError
from ._panel import WidePanel

__all__ = ["group_time_effects", "GroupTime", "CS_METHODS", "CS_CONTROLS"]

CS_METHODS = ("dr", "ipw", "reg")
CS_CONTROLS = ("never", "notyet")
# Propensity scores are capped below one (as DRDID) and controls with a score above this are trimmed.
PS_CAP = 1 - 1e-6
PS_TRIM = 0.995
LOGIT_TOL = 1e-12
LOGIT_MAX_ITER = 100


@dataclass(frozen=True)
class GroupTime:
    """ATT(g, t) cells and their influence functions (n units x cells)."""

    cells: pd.DataFrame  # cohort, time, event_time, base, att, post, n_treated, n_control
    inf: np.ndarray
    notes: tuple[str, ...]


def _logit(X: np.ndarray, d: np.ndarray, w: np.ndarray, beta0: np.ndarray | None = None) -> np.ndarray:
    """Weighted logit by Newton-Raphson (optionally warm-started); returns the coefficients."""
    beta = np.zeros(X.shape[1]) if beta0 is None else beta0.copy()
    for _ in range(LOGIT_MAX_ITER):
        p = 1.0 / (1.0 + np.exp(-(X @ beta)))
        grad = X.T @ (w * (d - p))
        H = (X.T * (w * p * (1 - p))) @ X
        step = np.linalg.solve(H, grad)
        beta = beta + step
        if np.max(np.abs(step)) < LOGIT_TOL * (1 + np.max(np.abs(beta))):
            return beta
    raise DataValueError(
        "The propensity-score logit did not converge (perfect prediction of treatment by the "
        "covariates?); use method='reg' or fewer covariates."
    )


def _cell_unconditional(dy: np.ndarray, D: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Difference of weighted mean changes and its influence function."""
    wt, wc = w * D, w * (1 - D)
    m1, m0 = wt.mean(), wc.mean()
    mu1 = (wt @ dy) / wt.sum()
    mu0 = (wc @ dy) / wc.sum()
    return mu1 - mu0, wt * (dy - mu1) / m1 - wc * (dy - mu0) / m0


@dataclass(frozen=True)
class _SampleFit:
    """What depends only on the comparison sample and its covariates (shared across periods)."""

    gram_inv: np.ndarray  # (sum_c w x x' / n)^-1 over comparison units
    ps: np.ndarray | None  # capped propensity scores
    H_inv: np.ndarray | None  # n * (X' diag(w p (1-p)) X)^-1
    beta_ps: np.ndarray | None


def _sample_fit(X: np.ndarray, D: np.ndarray, w: np.ndarray, method: str, beta0: np.ndarray | None) -> _SampleFit:
    n = len(D)
    wo = w * (1 - D)
    gram_inv = np.linalg.inv((X.T * wo) @ X / n)
    if method == "reg":
        return _SampleFit(gram_inv, None, None, None)
    beta = _logit(X, D, w, beta0)
    ps = np.minimum(1.0 / (1.0 + np.exp(-(X @ beta))), PS_CAP)
    H_inv = np.linalg.inv((X.T * (w * ps * (1 - ps))) @ X) * n
    return _SampleFit(gram_inv, ps, H_inv, beta)


def _cell_covariates(
    dy: np.ndarray, D: np.ndarray, X: np.ndarray, w: np.ndarray, method: str, sf: _SampleFit
) -> tuple[float, np.ndarray]:
    """DRDID panel estimators (Sant'Anna & Zhao 2020): outcome regression, IPW, doubly robust.

    Influence-function corrections are computed as ``a_i * (x_i' v)`` with k-vectors ``v`` instead of
    n x k matrices (the estimating-equation terms of the propensity score and the outcome regression).
    """
    n = len(dy)
    wt = w * D
    wo = w * (1 - D)
    if method in ("reg", "dr"):
        beta = sf.gram_inv @ (X.T @ (wo * dy)) / n
        fit = X @ beta
        s_ols = wo * (dy - fit)  # linear representation of the OLS step: s_ols * (x' gram_inv m)
    if method == "reg":
        m = wt.mean()
        eta1 = (wt @ dy) / wt.sum()
        eta0 = (wt @ fit) / wt.sum()
        M1 = X.T @ wt / n
        inf_t = wt * (dy - eta1) / m
        inf_c = (wt * (fit - eta0) + s_ols * (X @ (sf.gram_inv @ M1))) / m
        return eta1 - eta0, inf_t - inf_c
    ps = sf.ps
    s_ps = w * (D - ps)
    trim = np.where(D == 0, ps < PS_TRIM, True)
    wt = wt * trim
    wc = trim * w * ps * (1 - D) / (1 - ps)
    if method == "ipw":
        eta1 = (wt @ dy) / wt.sum()
        eta0 = (wc @ dy) / wc.sum()
        inf_t = wt * (dy - eta1) / wt.mean()
        M2 = X.T @ (wc * (dy - eta0)) / n
        inf_c = (wc * (dy - eta0) + s_ps * (X @ (sf.H_inv @ M2))) / wc.mean()
        return eta1 - eta0, inf_t - inf_c
    r = dy - fit
    eta1 = (wt @ r) / wt.sum()
    eta0 = (wc @ r) / wc.sum()
    M1 = X.T @ wt / n
    inf_t = (wt * (r - eta1) - s_ols * (X @ (sf.gram_inv @ M1))) / wt.mean()
    M2 = X.T @ (wc * (r - eta0)) / n
    M3 = X.T @ wc / n
    inf_c = (wc * (r - eta0) + s_ps * (X @ (sf.H_inv @ M2)) - s_ols * (X @ (sf.gram_inv @ M3))) / wc.mean()
    return eta1 - eta0, inf_t - inf_c


def group_time_effects(
    P: WidePanel, *, control: str = "notyet", method: str = "dr", base_period: str = "varying"
) -> GroupTime:
    """All identified ATT(g, t) with their influence functions.

    Base period: "varying" compares ``t`` with ``t-1`` before treatment and with ``g-1`` after it (the
    default of R ``did``); "universal" always uses ``g-1`` (that cell is reported as 0).
    """
    n, T = P.Y.shape
    times = P.times
    cohorts = np.unique(P.G[np.isfinite(P.G)])
    never = ~np.isfinite(P.G)
    if control == "never" and not never.any():
        raise DataValueError(
            "control='never' needs never-treated units, and every unit is treated at some point; use "
            "control='notyet' (units not yet treated serve as comparisons)."
        )
    if len(cohorts) == 0:
        raise DataValueError("No unit is ever treated within the panel's periods; there is no effect to estimate.")
    rows: list[tuple] = []
    skipped: list[tuple[int, int]] = []
    use_x = P.X is not None
    Yf = np.asfortranarray(P.Y)  # columns (periods) contiguous
    # covariates fixed over time: the base period does not matter and fits can be shared across t
    x_fixed = use_x and bool(np.all(P.X == P.X[:, :1, :]))
    xb_cache: dict[int, np.ndarray] = {}
    fit_cache: dict[tuple, _SampleFit] = {}
    plan: list[tuple] = []
    for g in cohorts:
        gi = int(np.searchsorted(times, g))  # index of the first treated period
        if gi == 0:
            continue
        for j in range(T):
            if base_period == "varying":
                b = j - 1 if j < gi else gi - 1
                if b < 0:
                    continue
            else:
                b = gi - 1
            plan.append((g, j, b))
    inf = np.zeros((n, len(plan)))
    col = 0
    beta_prev: dict[float, np.ndarray] = {}
    for g, j, b in plan:
        t = times[j]
        treat = P.G == g
        post = t >= g
        if j == b:
            rows.append((g, t, t - g, times[b], 0.0, post, int(treat.sum()), 0))
            col += 1
            continue
        horizon = times[max(j, b)]
        ctrl = never if control == "never" else (never | ((P.G > horizon) & ~treat))
        if not ctrl.any():
            skipped.append((int(g), int(t)))
            continue
        idx = np.flatnonzero(treat | ctrl)
        dy = Yf[idx, j] - Yf[idx, b]
        D = treat[idx].astype(float)
        w = P.w[idx]
        w = w / w.mean()
        if use_x:
            xb = 0 if x_fixed else b
            if xb not in xb_cache:
                xb_cache[xb] = np.column_stack([np.ones(n), P.X[:, xb, :]])
            Xc = xb_cache[xb][idx]
            key = (g, xb, float(horizon) if control == "notyet" else None)
            try:
                if key not in fit_cache:
                    fit_cache[key] = _sample_fit(Xc, D, w, method, beta_prev.get(g))
                sf = fit_cache[key]
                if sf.beta_ps is not None:
                    beta_prev[g] = sf.beta_ps
                att, inf_c = _cell_covariates(dy, D, Xc, w, method, sf)
            except np.linalg.LinAlgError as exc:
                raise DataValueError(
                    f"ATT({int(g)}, {int(t)}): the covariates {list(P.covariates)} are collinear within "
                    "the comparison sample; drop one of them."
                ) from exc
        else:
            att, inf_c = _cell_unconditional(dy, D, w)
        inf[idx, col] = inf_c * (n / len(idx))
        rows.append((g, t, t - g, times[b], att, post, int(treat.sum()), int(ctrl.sum())))
        col += 1
    inf = inf[:, :col]
    if not rows:
        raise DataValueError("No group-time cell has a comparison group; check the cohort column and control=.")
    cells = pd.DataFrame(
        rows, columns=["cohort", "time", "event_time", "base", "att", "post", "n_treated", "n_control"]
    )
    for c in ("cohort", "time", "event_time", "base"):
        if np.all(cells[c] == np.round(cells[c])):
            cells[c] = cells[c].astype(np.int64)
    notes = []
    if skipped:
        notes.append(
            f"{len(skipped)} cells have no comparison units and are not identified (e.g. {skipped[:3]}); "
            "with control='notyet' and no never-treated units, periods from the last cohort's start on drop out."
        )
    return GroupTime(cells, inf, tuple(notes))
