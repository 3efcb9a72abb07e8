"""Formulas shared by the in-memory measures and their engine twins (:mod:`disparity.scale`).

Pure numpy on small arrays of sufficient statistics (group totals, means, indices): both paths
compute the same sums, one over a DataFrame and one in an engine, and finish here, so a formula
exists once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["jacobian", "ci_transform", "ge_of"]


def jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Value and Jacobian of a small analytic function ``f`` at ``x`` by the complex step.

    The complex step ``Im f(x + ih e_j) / h`` is exact to rounding (no subtractive cancellation), so
    delta-method standard errors computed with it match hand-derived formulas to ~1e-15.
    Divisions by zero give inf/NaN silently; callers check the values they report.
    (Squire & Trapp 1998, SIAM Review 40(1), 110-112.)
    """
    x = np.asarray(x, dtype=float).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.real(np.asarray(f(x.astype(complex)), dtype=complex)).ravel()
        jac = np.empty((value.shape[0], x.shape[0]))
        for j in range(x.shape[0]):
            h = 1e-20 * max(abs(x[j]), 1e-200)
            xc = x.astype(complex)
            xc[j] += 1j * h
            jac[:, j] = np.imag(np.asarray(f(xc), dtype=complex)).ravel() / h
    return value, jac


def ci_transform(kind: str, bounds: tuple[float, float] | None) -> Callable[[Any], Any]:
    """The concentration index of ``kind`` as a function of (mean, generalized CI); works on
    complex arrays (for :func:`jacobian`).

    standard: GC/mu; generalized: GC; erreygers: 4 GC / (b - a); wagstaff:
    (b - a) GC / ((b - mu)(mu - a)) for an outcome bounded in [a, b] (Erreygers 2009, JHE 28(2)).
    """
    if kind == "standard":
        return lambda t: np.array([t[1] / t[0]])
    if kind == "generalized":
        return lambda t: np.array([t[1]])
    if bounds is None:
        raise ValueError(f"ci_transform: kind {kind!r} needs bounds")
    lo, hi = bounds
    if kind == "erreygers":
        return lambda t: np.array([4.0 * t[1] / (hi - lo)])
    return lambda t: np.array([(hi - lo) * t[1] / ((hi - t[0]) * (t[0] - lo))])


def ge_of(alpha: float, big_w: Any, big_y: Any, s: Any) -> Any:
    """GE(alpha) from the totals W = sum w, Y = sum w y and S = sum w h_alpha(y)
    (h_1 = y ln y, h_0 = ln y, otherwise y^alpha); works on complex arrays.

    GE(1) = S/Y - ln mu; GE(0) = ln mu - S/W; GE(a) = (S/W / mu^a - 1) / (a(a - 1)), mu = Y/W
    (Shorrocks 1980, Econometrica 48(3)).
    """
    mu = big_y / big_w
    if alpha == 1:
        return s / big_y - np.log(mu)
    if alpha == 0:
        return np.log(mu) - s / big_w
    return (s / big_w / mu**alpha - 1.0) / (alpha * (alpha - 1.0))
