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


def _logit(X: np.ndarray, d: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted logit by Newton-Raphson; returns fitted probabilities."""
    beta = np.zeros(X.shape[1])
    for _ in range(LOGIT_MAX_ITER):
        eta = X @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        grad = X.T @ (w * (d - p))
        H = (X * (w * p * (1 - p))[:, None]).T @ X
        step = np.linalg.solve(H, grad)
        beta = beta + step
        if np.max(np.abs(step)) < LOGIT_TOL * (1 + np.max(np.abs(beta))):
            break
    else:
        raise DataValueError(
            "The propensity-score logit did not converge (perfect prediction of treatment by the "
            "covariates?); use method='reg' or fewer covariates."
        )
    return 1.0 / (1.0 + np.exp(-(X @ beta)))


def _ols_fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, mask: np.ndarray) -> np.ndarray:
    Xc, yc, wc = X[mask], y[mask], w[mask]
    sw = np.sqrt(wc)
    beta, *_ = np.linalg.lstsq(Xc * sw[:, None], yc * sw, rcond=None)
    return beta


def _cell_unconditional(dy: np.ndarray, D: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    wt, wc = w * D, w * (1 - D)
    m1, m0 = wt.mean(), wc.mean()
    mu1 = (wt @ dy) / wt.sum()
    mu0 = (wc @ dy) / wc.sum()
    inf = wt * (dy - mu1) / m1 - wc * (dy - mu0) / m0
    return mu1 - mu0, inf


def _cell_covariates(
    dy: np.ndarray, D: np.ndarray, X: np.ndarray, w: np.ndarray, method: str
) -> tuple[float, np.ndarray]:
    """DRDID panel estimators (Sant'Anna & Zhao 2020): outcome regression, IPW, doubly robust."""
    n = len(dy)
    cont = D == 0
    wt = w * D
    if method in ("reg", "dr"):
        beta = _ols_fit(X, dy, w, cont)
        fit = X @ beta
        wo = w * (1 - D)
        resid_o = dy - fit
        XpX_inv = np.linalg.inv((X * wo[:, None]).T @ X / n)
        lin_ols = (X * (wo * resid_o)[:, None]) @ XpX_inv
    if method == "reg":
        eta1 = (wt @ dy) / wt.sum()
        eta0 = (wt @ fit) / wt.sum()
        m = wt.mean()
        inf_t = wt * (dy - eta1) / m
        M1 = (X * wt[:, None]).mean(axis=0)
        inf_c = (wt * (fit - eta0) + lin_ols @ M1) / m
        return eta1 - eta0, inf_t - inf_c
    ps = np.minimum(_logit(X, D, w), PS_CAP)
    trim = np.where(cont, ps < PS_TRIM, True).astype(float)
    wps = w * ps * (1 - ps)
    H_inv = np.linalg.inv((X * wps[:, None]).T @ X) * n
    lin_ps = (X * (w * (D - ps))[:, None]) @ H_inv
    wt = wt * trim
    wc = trim * w * ps * (1 - D) / (1 - ps)
    if method == "ipw":
        eta1 = (wt @ dy) / wt.sum()
        eta0 = (wc @ dy) / wc.sum()
        inf_t = (wt * dy - wt * eta1) / wt.mean()
        M2 = (X * (wc * (dy - eta0))[:, None]).mean(axis=0)
        inf_c = (wc * dy - wc * eta0 + lin_ps @ M2) / wc.mean()
        return eta1 - eta0, inf_t - inf_c
    r = dy - fit
    eta1 = (wt @ r) / wt.sum()
    eta0 = (wc @ r) / wc.sum()
    M1 = (X * wt[:, None]).mean(axis=0)
    inf_t = (wt * r - wt * eta1 - lin_ols @ M1) / wt.mean()
    M2 = (X * (wc * (r - eta0))[:, None]).mean(axis=0)
    M3 = (X * wc[:, None]).mean(axis=0)
    inf_c = (wc * r - wc * eta0 + lin_ps @ M2 - lin_ols @ M3) / wc.mean()
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
    infs: list[np.ndarray] = []
    skipped: list[tuple[int, int]] = []
    use_x = P.X is not None
    for g in cohorts:
        treat = P.G == g
        gi = int(np.searchsorted(times, g))  # index of the first treated period
        if gi == 0:
            continue
        for j in range(T):
            t = times[j]
            if base_period == "varying":
                b = j - 1 if j < gi else gi - 1
                if b < 0:
                    continue
            else:
                b = gi - 1
            post = t >= g
            if j == b:
                rows.append((g, t, t - g, times[b], 0.0, post, int(treat.sum()), 0))
                infs.append(np.zeros(n))
                continue
            horizon = times[max(j, b)]
            ctrl = never if control == "never" else (never | ((P.G > horizon) & ~treat))
            if not ctrl.any():
                skipped.append((int(g), int(t)))
                continue
            idx = treat | ctrl
            dy = P.Y[idx, j] - P.Y[idx, b]
            D = treat[idx].astype(float)
            w = P.w[idx]
            w = w / w.mean()
            if use_x:
                Xc = np.column_stack([np.ones(int(idx.sum())), P.X[idx, b, :]])
                try:
                    att, inf_c = _cell_covariates(dy, D, Xc, w, method)
                except np.linalg.LinAlgError as exc:
                    raise DataValueError(
                        f"ATT({int(g)}, {int(t)}): the covariates {list(P.covariates)} are collinear within "
                        "the comparison sample; drop one of them."
                    ) from exc
            else:
                att, inf_c = _cell_unconditional(dy, D, w)
            full = np.zeros(n)
            full[idx] = inf_c * (n / idx.sum())
            rows.append((g, t, t - g, times[b], att, post, int(treat.sum()), int(ctrl.sum())))
            infs.append(full)
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
    return GroupTime(cells, np.column_stack(infs), tuple(notes))
