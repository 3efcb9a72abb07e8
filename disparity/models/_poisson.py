"""The Poisson log-linear fit by row blocks (part of :mod:`disparity.models.count`).

statsmodels' IRLS forms, every iteration, the ``n x k`` weighted design, its least-squares
factors and a dozen n-vectors; on 200,000 rows that is ~30 MB of fresh memory per iteration, and
the page faults of it cost as much as the arithmetic (issue 18 item 8). The log link is canonical,
so IRLS is Newton's method on the concave log likelihood: :func:`fit_poisson` takes the same first
IRLS step from statsmodels' starting means, then Newton steps whose every pass over the rows
(:func:`poisson_pass`) is by blocks of :data:`~disparity.models._meat.MEAT_BLOCK` rows, holding
nothing of length n beyond the design. The estimates agree with statsmodels' IRLS to rounding
(both iterate to the same fixed point; ``tests/models/test_poisson_blocked.py``), and ``result.raw``
is statsmodels' ``GLMResults`` at these estimates, built on first access (:class:`LazyPoissonGLM`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from ..errors import DataValueError
from ._meat import blocks
from ._ml import glm_at_estimates

#: Newton stops when no coefficient moves by more than this relative amount (the iteration
#: converges quadratically, so the estimates are then settled to rounding).
NEWTON_TOL = 1e-13
#: As statsmodels' IRLS in :func:`disparity.models._ml.fit_glm` (``GLM_MAXITER``).
MAXITER = 200
#: statsmodels' clip of y/mu in the Poisson deviance (``FLOAT_EPS``).
_EPS = np.finfo(float).eps


@dataclass(frozen=True)
class PoissonPass:
    """Sums of one pass over the rows at ``beta``: score, information, the log likelihood less
    :math:`\\sum_i w_i \\log y_i!`, and the largest :math:`|y_i - \\mu_i|`."""

    score: np.ndarray
    info: np.ndarray
    kernel: float  # sum_i w_i (y_i eta_i - mu_i)
    max_resid: float


def poisson_pass(X: np.ndarray, y: np.ndarray, w: np.ndarray | None, beta: np.ndarray,
                 off: np.ndarray | None) -> PoissonPass:
    """:math:`\\sum w_i x_i (y_i-\\mu_i)`, :math:`\\sum w_i \\mu_i x_i x_i'` and the log-likelihood
    kernel at ``beta``, by row blocks."""
    k = X.shape[1]
    g, H = np.zeros(k), np.zeros((k, k))
    kern = 0.0
    big = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for s, e in blocks(X.shape[0]):
            Xb, yb = X[s:e], y[s:e]
            eta = Xb @ beta
            if off is not None:
                eta += off[s:e]
            mu = np.exp(eta)
            r = yb - mu
            if r.size:
                big = max(big, float(np.max(np.abs(r))))
            lk = yb * eta - mu
            if w is not None:
                wb = w[s:e]
                lk *= wb
                h = wb * mu
                r *= wb
            else:
                h = mu
            g += Xb.T @ r
            H += (Xb * h[:, None]).T @ Xb
            kern += float(np.sum(lk))
    return PoissonPass(g, H, kern, big)


def _first_step(X: np.ndarray, y: np.ndarray, w: np.ndarray | None, off: np.ndarray | None) -> np.ndarray:
    """statsmodels' first IRLS iterate: weighted least squares of the working outcome at the
    starting means :math:`\\mu^0 = (y + \\bar y)/2`."""
    k = X.shape[1]
    ybar = float(np.mean(y))
    info, rhs = np.zeros((k, k)), np.zeros(k)
    for s, e in blocks(X.shape[0]):
        Xb, yb = X[s:e], y[s:e]
        mu0 = (yb + ybar) / 2
        z = np.log(mu0) + (yb - mu0) / mu0
        if off is not None:
            z -= off[s:e]
        h = mu0 if w is None else w[s:e] * mu0
        info += (Xb * h[:, None]).T @ Xb
        rhs += Xb.T @ (h * z)
    return np.linalg.solve(info, rhs)


def _separation() -> DataValueError:
    return DataValueError(
        "The fitted Poisson means equal the outcome on every row: it is perfectly predicted "
        "(e.g. a regressor or category with only zero counts). Cross-tabulate the outcome with "
        "each regressor and drop or merge the regressors or categories involved."
    )


def fit_poisson(X: np.ndarray, y: np.ndarray, w: np.ndarray | None,
                off: np.ndarray | None) -> tuple[np.ndarray, PoissonPass]:
    """Maximum-likelihood Poisson coefficients (log link) by Newton's method, by row blocks.

    Returns the estimates and the pass at them (score, information, kernel). A step that lowers
    the log likelihood is halved; when the log likelihood stops changing to rounding (estimates
    drifting to infinity in a separated direction, as statsmodels' deviance criterion allows) one
    more Newton step ends the iteration.
    """
    try:
        beta = _first_step(X, y, w, off)
    except np.linalg.LinAlgError:
        raise DataValueError(
            "The Poisson model could not be fitted: the information matrix is singular (check for "
            "collinear regressors)."
        ) from None
    cur = poisson_pass(X, y, w, beta, off)
    if not np.isfinite(cur.kernel) or not np.all(np.isfinite(beta)):
        raise DataValueError(
            "The Poisson model could not be fitted: the log likelihood is not finite at the "
            "starting values; check the outcome and the offset."
        )
    flat = False
    for _ in range(MAXITER):
        try:
            step = np.linalg.solve(cur.info, cur.score)
        except np.linalg.LinAlgError:
            raise DataValueError(
                "The Poisson model could not be fitted: the information matrix is singular (check "
                "for collinear regressors)."
            ) from None
        if not np.all(np.isfinite(step)):
            raise DataValueError("The Poisson estimates are not finite; check the outcome and the offset.")
        if flat or np.max(np.abs(step)) <= NEWTON_TOL * max(1.0, float(np.max(np.abs(beta)))):
            beta = beta + step
            cur = poisson_pass(X, y, w, beta, off)
            break
        for _ in range(40):
            new = poisson_pass(X, y, w, beta + step, off)
            if new.kernel >= cur.kernel - 1e-12 * abs(cur.kernel):
                break
            step = step / 2
        flat = abs(new.kernel - cur.kernel) <= 1e-13
        beta, cur = beta + step, new
        if cur.max_resid <= 1e-8:
            raise _separation()
    else:
        raise DataValueError(
            f"The Poisson likelihood did not converge in {MAXITER} iterations; check for separation, "
            "a regressor that predicts the outcome perfectly."
        )
    if not np.all(np.isfinite(beta)) or not np.isfinite(cur.kernel):
        raise DataValueError("The Poisson estimates are not finite; check the outcome and the offset.")
    if cur.max_resid <= 1e-8:
        raise _separation()
    return beta, cur


def poisson_stats(X: np.ndarray, y: np.ndarray, w: np.ndarray | None, beta: np.ndarray,
                  off: np.ndarray | None) -> tuple[float, float, float, np.ndarray]:
    """Log likelihood, deviance and constant-only log likelihood at ``beta``, and
    :math:`u_i = w_i (y_i - \\mu_i)` (the n-vector the scores :math:`x_i u_i` need).

    As statsmodels' ``GLM`` Poisson: :math:`\\ell = \\sum w_i [y_i\\log\\mu_i - \\mu_i - \\log y_i!]`,
    :math:`D = 2\\sum w_i [y_i \\log(y_i/\\mu_i) - (y_i - \\mu_i)]` (with :math:`y/\\mu` clipped at
    machine epsilon). The constant-only model is in closed form: :math:`\\mu^0_i = e^{o_i}
    \\sum w y / \\sum w e^{o}`.
    """
    n = X.shape[0]
    u = np.empty(n)
    ll = dev = lgam = swy = swe = 0.0
    for s, e in blocks(n):
        Xb, yb = X[s:e], y[s:e]
        eta = Xb @ beta
        if off is not None:
            eta += off[s:e]
        mu = np.exp(eta)
        wb = None if w is None else w[s:e]
        lg = special.gammaln(yb + 1)
        li = yb * np.log(mu) - mu - lg
        di = yb * np.log(np.clip(yb / mu, _EPS, np.inf)) - (yb - mu)
        ri = yb - mu
        eo = np.ones(e - s) if off is None else np.exp(off[s:e])
        if wb is not None:
            li, di, ri, lg = wb * li, wb * di, wb * ri, wb * lg
            swy += float(np.dot(wb, yb))
            swe += float(np.dot(wb, eo))
        else:
            swy += float(np.sum(yb))
            swe += float(np.sum(eo))
        u[s:e] = ri
        ll += float(np.sum(li))
        dev += float(np.sum(di))
        lgam += float(np.sum(lg))
    c = swy / swe
    ll0 = 0.0
    for s, e in blocks(n):
        yb = y[s:e]
        mu0 = c * (np.ones(e - s) if off is None else np.exp(off[s:e]))
        l0 = special.xlogy(yb, mu0) - mu0
        ll0 += float(np.sum(l0) if w is None else np.dot(w[s:e], l0))
    return ll, 2.0 * dev, ll0 - lgam, u


@dataclass(frozen=True, slots=True)
class PoissonBread:
    """Inverse information of a Poisson fit (observed = expected: the log link is canonical)."""

    info: np.ndarray

    def __call__(self, information: str) -> np.ndarray:
        from .._options import check_option
        from ._ml import INFORMATION_KINDS

        check_option("information", information, INFORMATION_KINDS)
        try:
            return np.linalg.inv(self.info)
        except np.linalg.LinAlgError:
            raise DataValueError(
                "The information matrix is singular; check for collinear regressors."
            ) from None


@dataclass(frozen=True, slots=True)
class PoissonRefit:
    """``w -> params``: the Poisson model refitted with weights ``w`` on the estimation rows (a
    replicate design refits once per replicate weight), as data so results pickle."""

    X: np.ndarray
    y: np.ndarray
    offset: np.ndarray | None

    def __call__(self, wr: np.ndarray) -> np.ndarray:
        return fit_poisson(self.X, self.y, wr, self.offset)[0]


@dataclass(frozen=True)
class LazyPoissonGLM:
    """Recipe of the statsmodels ``GLM`` Poisson results of a fit, built on first access of
    ``result.raw`` (as :class:`disparity.models.discrete.LazyGLM`): the same model evaluated at
    our estimates (no iteration), so its ``params`` are ours exactly."""

    y: np.ndarray
    X: np.ndarray
    names: tuple[str, ...]
    weights: np.ndarray | None
    fweight: bool
    offset: np.ndarray | None
    params: np.ndarray
    lazy_raw: bool = True

    def build(self) -> Any:
        import statsmodels.api as sm

        return glm_at_estimates(self.y, self.X, self.names, self.weights, self.fweight,
                                sm.families.Poisson(), self.params, self.offset)
