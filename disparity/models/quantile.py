"""Quantile regression (exact linear-programming solution) with Hendricks-Koenker standard errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from scipy.optimize import linprog

from ..errors import DataValueError, SpecificationError
from .formula import build_design
from .results import ModelResult, ModelSpec, data_source

__all__ = ["quantreg"]


def _rq_fit(X: np.ndarray, y: np.ndarray, q: float) -> np.ndarray:
    """Solve min sum rho_q(y - Xb) as the primal LP  X b + u - v = y, u, v >= 0."""
    n, k = X.shape
    c = np.concatenate([np.zeros(k), np.full(n, q), np.full(n, 1 - q)])
    eye = sp.identity(n, format="csr")
    A = sp.hstack([sp.csr_matrix(X), eye, -eye], format="csr")
    bounds = [(None, None)] * k + [(0, None)] * (2 * n)
    res = linprog(c, A_eq=A, b_eq=y, bounds=bounds, method="highs-ds")
    if res.status != 0:
        raise DataValueError(f"The quantile-regression linear program failed: {res.message}")
    return res.x[:k]


def _hall_sheather(q: float, n: int, alpha: float = 0.05) -> float:
    x0 = stats.norm.ppf(q)
    f0 = stats.norm.pdf(x0)
    return (
        n ** (-1 / 3)
        * stats.norm.ppf(1 - alpha / 2) ** (2 / 3)
        * ((1.5 * f0**2) / (2 * x0**2 + 1)) ** (1 / 3)
    )


def quantreg(
    formula: str, data: pd.DataFrame, *, q: float = 0.5, safe: bool = False
) -> ModelResult:
    """Linear quantile regression (median regression by default).

    Parameters
    ----------
    formula, data : str, DataFrame
    q : float
        Quantile in (0, 1).

    Returns
    -------
    ModelResult
        Standard errors are the Hendricks-Koenker sandwich ("nid" in ``quantreg::summary.rq``),
        robust to heteroskedasticity; t with n-k df as ``summary.rq``.

    Notes
    -----
    :math:`\\hat\\beta(q) = \\arg\\min_b \\sum_i \\rho_q(y_i - x_i'b)`, :math:`\\rho_q(u) = u(q - 1(u<0))`,
    solved exactly as a linear program (HiGHS dual simplex; a vertex solution like Barrodale-Roberts).
    Variance: :math:`q(1-q) (X'FX)^{-1} X'X (X'FX)^{-1}` with
    :math:`f_i = \\max\\{0, 2h / (x_i'(\\hat\\beta(q+h) - \\hat\\beta(q-h)) - \\sqrt{\\epsilon})\\}` and the
    Hall-Sheather bandwidth :math:`h`.

    The exact LP is kept instead of statsmodels' ``QuantReg`` (iteratively reweighted least squares)
    because it is measurably more accurate: on ``tests/reference/models/survey_sample.csv`` the LP
    reproduces R ``quantreg::rq`` to 1e-14 (relative) at q = 0.25 and 0.5, while ``QuantReg``
    (``p_tol=1e-12``, 10,000 iterations) is off by 7.8e-7 at the median and 3.4e-4 at q = 0.25.

    References
    ----------
    Koenker, R. & Bassett, G. (1978). Regression quantiles. *Econometrica* 46, 33-50.
    Hendricks, W. & Koenker, R. (1992). Hierarchical spline models for conditional quantiles and the
    demand for electricity. *JASA* 87, 58-68.
    Koenker, R. (2005). *Quantile Regression*. Cambridge University Press, §3.4.

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> r = dp.quantreg("benefit_gap ~ subsidy_pc", panel, q=0.5)
    >>> r.tidy()["estimate"].round(3).tolist()
    [18.402, -0.019]
    """
    if not (isinstance(q, float | int) and 0 < q < 1):
        raise SpecificationError(f"q={q!r} must be a quantile strictly between 0 and 1 (e.g. 0.5).")
    d = build_design(formula, data, safe=safe)
    X, y = d.X.to_numpy(), d.y.to_numpy()
    n, k = X.shape
    if n <= k:
        raise DataValueError(f"Too few observations: {n} complete rows for {k} coefficients.")
    if np.linalg.matrix_rank(X) < k:
        from ._solver import solve_lstsq

        solve_lstsq(X, y, names=list(d.X.columns), intercept=d.intercept)  # raises, naming columns
    beta = _rq_fit(X, y, float(q))
    h = _hall_sheather(float(q), n)
    while q - h < 0 or q + h > 1:
        h /= 2
    dyhat = X @ (_rq_fit(X, y, q + h) - _rq_fit(X, y, q - h))
    f = np.maximum(0.0, 2 * h / (dyhat - np.sqrt(np.finfo(float).eps)))
    fxx = np.linalg.inv((X * f[:, None]).T @ X)
    V = q * (1 - q) * fxx @ (X.T @ X) @ fxx
    names = list(d.X.columns)
    spec = ModelSpec(
        estimator="quantreg",
        formula=formula,
        vcov="nid",
        nobs=n,
        n_dropped=d.n_dropped,
        options={"q": q, "bandwidth": h},
        data=data_source(data),
    )
    return ModelResult(
        params=pd.Series(beta, index=names, name="estimate"),
        cov=pd.DataFrame(V, index=names, columns=names),
        nobs=n,
        df=float(n - k),
        spec=spec,
        raw={"X": X, "y": y, "density": f},
        stats={"q": q, "objective": float(np.sum((y - X @ beta) * (q - (y - X @ beta < 0))))},
    )
