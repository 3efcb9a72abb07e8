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


def _mv(X: np.ndarray, v: np.ndarray) -> np.ndarray:
    # einsum's own loops: on skinny products OpenBLAS thread start-up can cost more than the
    # arithmetic on a busy machine
    return np.einsum("ij,j->i", X, v)


def _tv(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.einsum("ij,i->j", X, y)


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
        p = 1.0 / (1.0 + np.exp(-(_mv(X, beta))))
        grad = _tv(X, w * (d - p))
        H = np.einsum('ij,i,ik->jk', X, w * p * (1 - p), X)
        step = np.linalg.solve(H, grad)
        beta = beta + step
        if np.max(np.abs(step)) < LOGIT_TOL * (1 + np.max(np.abs(beta))):
            return beta
    raise DataValueError(
        "The propensity-score logit did not converge (perfect prediction of treatment by the "
        "covariates?); use method='reg' or fewer covariates."
    )


def _cells_unconditional(DY: np.ndarray, D: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Differences of weighted mean changes (one column of ``DY`` per cell) and influence functions."""
    wt, wc = w * D, w * (1 - D)
    mu1 = _tv(DY, wt) / wt.sum()
    mu0 = _tv(DY, wc) / wc.sum()
    inf = wt[:, None] * (DY - mu1) / wt.mean() - wc[:, None] * (DY - mu0) / wc.mean()
    return mu1 - mu0, inf


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
    gram_inv = np.linalg.inv(np.einsum('ij,i,ik->jk', X, wo, X) / n)
    if method == "reg":
        return _SampleFit(gram_inv, None, None, None)
    beta = _logit(X, D, w, beta0)
    ps = np.minimum(1.0 / (1.0 + np.exp(-(_mv(X, beta)))), PS_CAP)
    H_inv = np.linalg.inv(np.einsum('ij,i,ik->jk', X, w * ps * (1 - ps), X)) * n
    return _SampleFit(gram_inv, ps, H_inv, beta)


def _cells_covariates(
    DY: np.ndarray, D: np.ndarray, X: np.ndarray, w: np.ndarray, method: str, sf: _SampleFit
) -> tuple[np.ndarray, np.ndarray]:
    """DRDID panel estimators (Sant'Anna & Zhao 2020): outcome regression, IPW, doubly robust.

    ``DY`` holds one column of outcome changes per cell sharing this comparison sample. The
    estimating-equation corrections are computed as ``a_i * (x_i' V)`` with k x m matrices ``V``
    instead of n x k linear representations.
    """
    n = len(D)
    wt = w * D
    wo = w * (1 - D)
    if method in ("reg", "dr"):
        B = sf.gram_inv @ (X.T @ (wo[:, None] * DY)) / n
        FIT = X @ B
        S_ols = wo[:, None] * (DY - FIT)
    if method == "reg":
        m = wt.mean()
        eta1 = _tv(DY, wt) / wt.sum()
        eta0 = _tv(FIT, wt) / wt.sum()
        lin = X @ (sf.gram_inv @ (_tv(X, wt) / n))
        inf_t = wt[:, None] * (DY - eta1) / m
        inf_c = (wt[:, None] * (FIT - eta0) + S_ols * lin[:, None]) / m
        return eta1 - eta0, inf_t - inf_c
    ps = sf.ps
    assert ps is not None  # ipw and dr fit a propensity score
    s_ps = w * (D - ps)
    trim = np.where(D == 0, ps < PS_TRIM, True)
    wt = wt * trim
    wc = trim * w * ps * (1 - D) / (1 - ps)
    if method == "ipw":
        eta1 = _tv(DY, wt) / wt.sum()
        eta0 = _tv(DY, wc) / wc.sum()
        inf_t = wt[:, None] * (DY - eta1) / wt.mean()
        M2 = X.T @ (wc[:, None] * (DY - eta0)) / n
        inf_c = (wc[:, None] * (DY - eta0) + s_ps[:, None] * (X @ (sf.H_inv @ M2))) / wc.mean()
        return eta1 - eta0, inf_t - inf_c
    R = DY - FIT
    eta1 = _tv(R, wt) / wt.sum()
    eta0 = _tv(R, wc) / wc.sum()
    lin1 = X @ (sf.gram_inv @ (_tv(X, wt) / n))
    inf_t = (wt[:, None] * (R - eta1) - S_ols * lin1[:, None]) / wt.mean()
    M2 = X.T @ (wc[:, None] * (R - eta0)) / n
    lin3 = X @ (sf.gram_inv @ (_tv(X, wc) / n))
    inf_c = (wc[:, None] * (R - eta0) + s_ps[:, None] * (X @ (sf.H_inv @ M2)) - S_ols * lin3[:, None]) / wc.mean()
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
    skipped: list[tuple[int, int]] = []
    use_x = P.X is not None
    Yf = np.asfortranarray(P.Y)  # columns (periods) contiguous
    # covariates fixed over time: the base period does not matter and fits can be shared across t
    x_fixed = P.X is not None and bool(np.all(P.X == P.X[:, :1, :]))
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
    # cells sharing a comparison sample (and base-period covariates) are estimated together
    batches: dict[tuple, list[int]] = {}
    keep = np.zeros(len(plan), dtype=bool)
    att = np.zeros(len(plan))
    n_ctrl = np.zeros(len(plan), dtype=np.int64)
    for c, (g, j, b) in enumerate(plan):
        if j == b:
            keep[c] = True
            continue
        horizon = times[max(j, b)]
        if control == "never":
            has_ctrl = bool(never.any())
        else:
            has_ctrl = bool(never.any() or ((P.G > horizon) & (P.G != g)).any())
        if not has_ctrl:
            skipped.append((int(g), int(times[j])))
            continue
        keep[c] = True
        key = (g, None if control == "never" else float(horizon), 0 if (x_fixed or not use_x) else b)
        batches.setdefault(key, []).append(c)
    inf = np.zeros((n, len(plan)))
    xb_cache: dict[int, np.ndarray] = {}
    beta_prev: dict[float, np.ndarray] = {}
    for (g, horizon, xb), cols in batches.items():
        treat = P.G == g
        ctrl = never if horizon is None else (never | ((P.G > horizon) & ~treat))
        idx = np.flatnonzero(treat | ctrl)
        js = [plan[c][1] for c in cols]
        bs = [plan[c][2] for c in cols]
        Ysub = Yf[idx]
        DY = Ysub[:, js] - Ysub[:, bs]
        D = treat[idx].astype(float)
        w = P.w[idx]
        w = w / w.mean()
        if use_x:
            if xb not in xb_cache:
                assert P.X is not None  # use_x
                xb_cache[xb] = np.column_stack([np.ones(n), P.X[:, xb, :]])
            Xc = xb_cache[xb][idx]
            try:
                sf = _sample_fit(Xc, D, w, method, beta_prev.get(g))
                if sf.beta_ps is not None:
                    beta_prev[g] = sf.beta_ps
                a_, inf_c = _cells_covariates(DY, D, Xc, w, method, sf)
            except np.linalg.LinAlgError as exc:
                raise DataValueError(
                    f"ATT({int(g)}, {int(times[js[0]])}): the covariates {list(P.covariates)} are collinear "
                    "within the comparison sample; drop one of them."
                ) from exc
        else:
            a_, inf_c = _cells_unconditional(DY, D, w)
        att[cols] = a_
        n_ctrl[cols] = int(ctrl.sum())
        inf[np.ix_(idx, np.asarray(cols))] = inf_c * (n / len(idx))
    size = {g: int(np.sum(P.G == g)) for g in cohorts}
    rows = [(g, times[j], times[j] - g, times[b], att[c], times[j] >= g, size[g], n_ctrl[c])
            for c, (g, j, b) in enumerate(plan) if keep[c]]
    inf = inf[:, keep]
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
