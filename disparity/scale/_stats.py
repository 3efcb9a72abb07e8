"""Standard errors from sufficient statistics computed in the engine.

Every measure here has an influence function that is linear in a few per-row features given
quantities known after one aggregate: :math:`u_k = \\sum_j c_{j,g(k)} h_j(k)` (group totals) or
:math:`u_k = a' f_k` (rank-based indices). The in-memory path's variance of :math:`\\sum_k w_k u_k`
then needs only sums and cross-products of :math:`w h`:

.. math:: \\hat V = \\frac{n}{n-1}\\Big(\\sum_k z_k^2 - \\frac{(\\sum_k z_k)^2}{n}\\Big),\\quad z_k = w_k u_k

(rows as units; with ``cluster=`` the units are cluster sums of :math:`z`; with frequency weights
:math:`\\frac{N}{N-1}(\\sum w u^2 - (\\sum w u)^2/N)`), the estimator of
:func:`disparity.measures._variance.linearized_variance`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["jacobian", "unit_variance"]


def jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Value and Jacobian of an analytic ``f`` at ``x`` by the complex step (exact to rounding;
    Squire & Trapp 1998, SIAM Review 40(1), 110-112)."""
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


def unit_variance(n_units: float, sum_z: np.ndarray, sum_z2: np.ndarray) -> np.ndarray:
    """``n/(n-1) (sum z^2 - (sum z)^2/n)`` per component, floored at zero (rounding)."""
    if n_units < 2:
        return np.full(np.shape(sum_z), np.nan)
    v = n_units / (n_units - 1.0) * (sum_z2 - sum_z * sum_z / n_units)
    return np.maximum(v, 0.0)
