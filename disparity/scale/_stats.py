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

import numpy as np

from ..measures._formulas import jacobian

__all__ = ["jacobian", "unit_variance"]



def unit_variance(n_units: float, sum_z: np.ndarray, sum_z2: np.ndarray) -> np.ndarray:
    """``n/(n-1) (sum z^2 - (sum z)^2/n)`` per component, floored at zero (rounding)."""
    if n_units < 2:
        return np.full(np.shape(sum_z), np.nan)
    v = n_units / (n_units - 1.0) * (sum_z2 - sum_z * sum_z / n_units)
    return np.maximum(v, 0.0)
