"""Callaway & Sant'Anna (2021) group-time average treatment effects on a balanced panel.

Every ATT(g, t) is a 2x2 comparison of units first treated in ``g`` with a comparison group
(never treated, or not yet treated by ``t``) between ``t`` and a base period. Cells are computed from
unit-level wide arrays (one boolean mask per cell), never by merging long frames.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import _resample
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


def _with_products(XT: np.ndarray) -> np.ndarray:
    """Rows ``[X', (x_a x_b)' for a <= b]`` from the k x n ``X'``: every weighted cross-product
    ``X' diag(s) X`` is then one matrix-vector product with the extra rows (see :func:`_gram`)."""
    a, b = _triu(XT.shape[0])
    return np.vstack([XT, XT[a] * XT[b]])


@functools.cache
def _triu(k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(k)


def _gram(v: np.ndarray, k: int) -> np.ndarray:
    """The symmetric k x k matrix whose upper triangle (row by row) is ``v``."""
    H = np.empty((k, k))
    a, b = _triu(k)
    H[a, b] = v
    H[b, a] = v
    return H


@dataclass(frozen=True)
class GroupTime:
    """ATT(g, t) cells and their influence functions (n units x cells)."""

    cells: pd.DataFrame  # cohort, time, event_time, base, att, post, n_treated, n_control
    inf: np.ndarray
    notes: tuple[str, ...]


def _logit(X: np.ndarray, d: np.ndarray, w: np.ndarray, beta0: np.ndarray | None = None) -> np.ndarray:
    """Weighted logit by Newton-Raphson (optionally warm-started); returns the coefficients."""
    return _logit_rows(_with_products(np.ascontiguousarray(X.T)), X.shape[1], d, w, beta0)


def _logit_rows(
    XQT: np.ndarray, k: int, d: np.ndarray, w: np.ndarray, beta0: np.ndarray | None = None
) -> np.ndarray:
    """:func:`_logit` on ``X'`` with its product rows (:func:`_with_products`): each iteration
    takes one pass for the linear predictor and one for the score and the Hessian together."""
    XT = XQT[:k]
    beta = np.zeros(k) if beta0 is None else beta0.copy()
    r = np.empty((2, len(d)))
    for _ in range(LOGIT_MAX_ITER):
        e = np.exp(-(beta @ XT))
        p = 1.0 / (1.0 + e)
        np.multiply(w, d - p, out=r[0])
        np.multiply(w * p, p * e, out=r[1])  # w p (1 - p)
        GH = XQT @ r.T
        step = np.linalg.solve(_gram(GH[k:, 1], k), GH[:k, 0])
        beta = beta + step
        if np.max(np.abs(step)) < LOGIT_TOL * (1 + np.max(np.abs(beta))):
            return beta
    raise DataValueError(
        "The propensity-score logit did not converge (perfect prediction of treatment by the "
        "covariates?); use method='reg' or fewer covariates."
    )


def _cells_unconditional(DYT: np.ndarray, D: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Differences of weighted mean changes (one row of ``DYT`` per cell) and influence functions
    (cells x units; ``DYT`` is overwritten by them)."""
    W = np.vstack([w * D, w * (1 - D)])
    W[0] /= W[0].mean()
    W[1] /= W[1].mean()
    mu1, mu0 = (W @ DYT.T) / len(D)  # each weight row has mean one
    DYT *= W[0] - W[1]
    DYT -= np.outer(mu1, W[0])
    DYT += np.outer(mu0, W[1])
    return mu1 - mu0, DYT


def _cells_covariates(
    DYT: np.ndarray, D: np.ndarray, XQT: np.ndarray, k: int, w: np.ndarray, method: str,
    beta0: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """DRDID panel estimators (Sant'Anna & Zhao 2020): outcome regression, IPW, doubly robust.

    ``DYT`` holds one row of outcome changes per cell sharing this comparison sample (cells x
    units) and is overwritten by the influence functions; ``XQT`` is ``X'`` (intercept first)
    with its product rows. Every estimator and its influence function is linear in the changes
    :math:`\\Delta Y`: with :math:`R = \\Delta Y - XB` (``B`` the comparison-group regression of
    each cell),

    .. math:: \\psi = \\alpha \\circ \\Delta Y + Z C

    with a vector :math:`\\alpha` and an n x (2k+2) matrix :math:`Z` of unit weights common to all
    cells and a small matrix :math:`C` of per-cell coefficients (``-B``, the two means and the
    propensity-score correction :math:`H^{-1}M_2`); every cell statistic comes from one product
    :math:`W'\\Delta Y` of a few weight columns with the cells, so each cell costs two passes over
    its units. Returns ATTs, influence functions and the propensity-score coefficients (None
    for "reg").
    """
    n = len(D)
    XT = XQT[:k]
    wt = w * D
    wo = w * (1 - D)
    beta = None
    if method == "reg":
        cols = [wt, wo]
    else:
        beta = _logit_rows(XQT, k, D, w, beta0)
        ps = np.minimum(1.0 / (1.0 + np.exp(-(beta @ XT))), PS_CAP)
        s_ps = w * (D - ps)
        wc = np.where((D == 0) & (ps >= PS_TRIM), 0.0, w * ps * (1 - D) / (1 - ps))
        cols = [wt, wo, wc, w * ps * (1 - ps)]
    # cross products of X with every weight column: X'w (k) and X'diag(w)X (upper triangle)
    XW = XQT @ np.vstack(cols).T
    xt = XW[:k, 0]
    if method != "ipw":
        gram_inv = np.linalg.inv(_gram(XW[k:, 1], k) / n)
    if method != "reg":
        H_inv = np.linalg.inv(_gram(XW[k:, 3], k)) * n
        xc = XW[:k, 2]
        Xwc = _gram(XW[k:, 2], k)
    if method == "reg":
        m = wt.mean()
        SW = np.vstack([wt, wo * XT]) @ DYT.T  # wt'DY; X'diag(wo)DY
        B = gram_inv @ SW[1:] / n
        eta1 = SW[0] / wt.sum()
        eta0 = xt @ B / wt.sum()
        alpha = (wt - wo * (gram_inv @ (xt / n) @ XT)) / m
        Z = np.vstack([alpha * XT, wt / m])
        C = np.vstack([-B, -(eta1 - eta0)])
    elif method == "ipw":
        mwt, mwc = wt.mean(), wc.mean()
        SW = np.vstack([wt, wc, wc * XT]) @ DYT.T  # wt'DY; wc'DY; X'diag(wc)DY
        eta1 = SW[0] / wt.sum()
        eta0 = SW[1] / wc.sum()
        M2 = (SW[2:] - np.outer(xc, eta0)) / n
        alpha = wt / mwt - wc / mwc
        Z = np.vstack([wt / mwt, wc / mwc, (s_ps / mwc) * XT])
        C = np.vstack([-eta1, eta0, -(H_inv @ M2)])
    else:
        mwt, mwc = wt.mean(), wc.mean()
        SW = np.vstack([wt, wc, wo * XT, wc * XT]) @ DYT.T  # wt'DY; wc'DY; X'diag(wo)DY; X'diag(wc)DY
        B = gram_inv @ SW[2:2 + k] / n
        eta1 = (SW[0] - xt @ B) / wt.sum()
        eta0 = (SW[1] - xc @ B) / wc.sum()
        M2 = (SW[2 + k:] - Xwc @ B - np.outer(xc, eta0)) / n
        v = gram_inv @ ((xc / mwc - xt / mwt) / n)
        alpha = wt / mwt - wc / mwc + wo * (v @ XT)
        Z = np.vstack([alpha * XT, wt / mwt, wc / mwc, (s_ps / mwc) * XT])
        C = np.vstack([-B, -eta1, eta0, -(H_inv @ M2)])
    DYT *= alpha
    DYT += C.T @ Z
    return eta1 - eta0, DYT, beta


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
    YT = np.ascontiguousarray(P.Y.T)  # periods x units: a unit subset is one gather per row
    # covariates fixed over time: the base period does not matter and fits can be shared across t
    if P.X is not None:
        XR = P.X.reshape(n, -1)  # each period's covariates equal the previous period's
        x_fixed = bool(np.array_equal(XR[:, P.X.shape[2]:], XR[:, :-P.X.shape[2]]))
    else:
        x_fixed = False
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
    col = np.cumsum(keep) - 1  # column of each kept cell in the output
    att = np.zeros(len(plan))
    n_ctrl = np.zeros(len(plan), dtype=np.int64)
    infT = np.zeros((int(keep.sum()), n))  # cells x units; returned transposed (n x cells)
    xq_cache: dict[int, np.ndarray] = {}
    beta_prev: dict[float, np.ndarray] = {}
    k = 1 + P.X.shape[2] if P.X is not None else 0
    with _resample.single_threaded_blas():  # products of a few columns: BLAS threads only spin
        for (g, horizon, xb), cols in batches.items():
            treat = P.G == g
            ctrl = never if horizon is None else (never | ((P.G > horizon) & ~treat))
            idx = np.flatnonzero(treat | ctrl)
            ST = np.zeros((len(cols), T))  # +1 at each cell's period, -1 at its base
            ST[np.arange(len(cols)), [plan[c][1] for c in cols]] = 1.0
            ST[np.arange(len(cols)), [plan[c][2] for c in cols]] = -1.0
            DYT = ST @ np.take(YT, idx, axis=1)  # cells x units: exactly Y_t - Y_b (other terms are 0)
            D = treat[idx].astype(float)
            w = P.w[idx]
            w = w / w.mean()
            if use_x:
                if xb not in xq_cache:
                    assert P.X is not None  # use_x
                    xq_cache[xb] = _with_products(np.vstack([np.ones(n), P.X[:, xb, :].T]))
                XQT = np.take(xq_cache[xb], idx, axis=1)
                try:
                    a_, inf_c, beta = _cells_covariates(DYT, D, XQT, k, w, method, beta_prev.get(g))
                except np.linalg.LinAlgError as exc:
                    raise DataValueError(
                        f"ATT({int(g)}, {int(times[plan[cols[0]][1]])}): the covariates {list(P.covariates)} are "
                        "collinear within the comparison sample; drop one of them."
                    ) from exc
                if beta is not None:
                    beta_prev[g] = beta
            else:
                a_, inf_c = _cells_unconditional(DYT, D, w)
            att[cols] = a_
            n_ctrl[cols] = len(idx) - int(treat.sum())
            inf_c *= n / len(idx)
            oc = col[cols]
            if oc[-1] - oc[0] == len(oc) - 1:  # consecutive columns: a slice, not a second gather
                infT[oc[0]:oc[-1] + 1, idx] = inf_c
            else:
                infT[np.ix_(oc, idx)] = inf_c
    sel = np.flatnonzero(keep)
    if not len(sel):
        raise DataValueError("No group-time cell has a comparison group; check the cohort column and control=.")
    pg = np.array([plan[c][0] for c in sel], dtype=float)
    pt = times[[plan[c][1] for c in sel]]
    pb = times[[plan[c][2] for c in sel]]
    size = dict(zip(*np.unique(P.G[np.isin(P.G, cohorts)], return_counts=True), strict=True))
    labels = {"cohort": pg, "time": pt, "event_time": pt - pg, "base": pb}
    cells = pd.DataFrame({
        **{c: v.astype(np.int64) if np.all(v == np.round(v)) else v.astype(float) for c, v in labels.items()},
        "att": att[sel], "post": pt >= pg, "n_treated": np.array([size[g] for g in pg], dtype=np.int64),
        "n_control": n_ctrl[sel],
    })
    notes = []
    if skipped:
        notes.append(
            f"{len(skipped)} cells have no comparison units and are not identified (e.g. {skipped[:3]}); "
            "with control='notyet' and no never-treated units, periods from the last cohort's start on drop out."
        )
    return GroupTime(cells, infT.T, tuple(notes))
