"""IRLS of a GLM by row blocks (part of :mod:`disparity.models.glm`).

statsmodels' IRLS forms, every iteration, the ``n x k`` weighted design, its least-squares factors
and a dozen n-vectors; their page faults cost as much as the arithmetic (issue 18 item 8).
:func:`fit_glm_blocked` runs the same iteration (Fisher scoring from statsmodels' starting means
:math:`\\mu^0 = (y + \\bar y)/2`) with every pass over the rows by blocks of
:data:`~disparity.models._meat.MEAT_BLOCK` rows, using the statsmodels family's link, variance and
deviance; the step is solved from the score and the information (no n-length working outcome).
:func:`glm_results` then builds statsmodels' ``GLMResults`` at the estimates without iterating,
so ``llf``, ``deviance``, ``pearson_chi2``, ``scale`` and the Hessians are statsmodels' own.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..errors import DataValueError
from ._meat import blocks

#: A step below this relative to the largest coefficient ends the iteration (estimates settled
#: to rounding), and so does one below :data:`NOISE_STEP` that is more than half the previous
#: one (the steps have reached the rounding noise of the score).
STEP_TOL = 1e-15
NOISE_STEP = 1e-10
#: statsmodels' deviance criterion (``tol`` with ``atol``). A deviance that stays this flat for
#: :data:`DRIFT_ITER` steps while they remain above :data:`DRIFT_STEP` (relative) is a coefficient
#: drifting to infinity; the iteration then stops, as statsmodels' does. (A converging fit with a
#: flat deviance takes steps of order the square root of the deviance's rounding, far smaller.)
DEV_TOL = 1e-13
DRIFT_ITER = 3
DRIFT_STEP = 1e-4


def _pass(X: np.ndarray, y: np.ndarray, w: np.ndarray | None, beta: np.ndarray,
          off: np.ndarray | None, family: Any, want: bool = True
          ) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Score, Fisher information, deviance and the largest :math:`|y-\\mu|` at ``beta``."""
    k = X.shape[1]
    g, H = np.zeros(k), np.zeros((k, k))
    dev = big = 0.0
    link, var = family.link, family.variance
    with np.errstate(all="ignore"):
        for s, e in blocks(X.shape[0]):
            Xb, yb = X[s:e], y[s:e]
            eta = Xb @ beta
            if off is not None:
                eta += off[s:e]
            mu = link.inverse(eta)
            wb = 1.0 if w is None else w[s:e]
            dev += float(family.deviance(yb, mu, var_weights=wb))
            r = yb - mu
            if r.size:
                big = max(big, float(np.max(np.abs(r))))
            if want:
                d = link.deriv(mu)
                h = wb / (d * d * var(mu))  # IRLS weights: prior weight / (g'(mu)^2 V(mu))
                g += Xb.T @ (h * d * r)
                H += (Xb * h[:, None]).T @ Xb
    return g, H, dev, big


def _first_step(X: np.ndarray, y: np.ndarray, w: np.ndarray | None, off: np.ndarray | None,
                family: Any) -> np.ndarray:
    """statsmodels' first IRLS iterate from :math:`\\mu^0 = (y + \\bar y)/2`."""
    k = X.shape[1]
    ybar = float(np.mean(y))
    link, var = family.link, family.variance
    info, rhs = np.zeros((k, k)), np.zeros(k)
    with np.errstate(all="ignore"):
        for s, e in blocks(X.shape[0]):
            Xb, yb = X[s:e], y[s:e]
            mu0 = (yb + ybar) / 2
            d = link.deriv(mu0)
            z = link(mu0) + d * (yb - mu0)
            if off is not None:
                z -= off[s:e]
            h = 1.0 / (d * d * var(mu0))
            if w is not None:
                h *= w[s:e]
            info += (Xb * h[:, None]).T @ Xb
            rhs += Xb.T @ (h * z)
    return np.linalg.solve(info, rhs)


def fit_glm_blocked(X: np.ndarray, y: np.ndarray, w: np.ndarray | None, off: np.ndarray | None,
                    family: Any, label: str, maxiter: int) -> tuple[np.ndarray, np.ndarray]:
    """GLM coefficients by Fisher scoring (IRLS) by row blocks; returns them and the information.

    A step to a non-finite deviance (outside the family's domain) is halved; the iteration ends
    when the steps reach rounding (:data:`STEP_TOL`, :data:`NOISE_STEP`) or on a drift
    (:data:`DEV_TOL`). Raises the errors
    of :func:`disparity.models._ml.fit_glm`.
    """
    def singular() -> DataValueError:
        return DataValueError(f"The {label} model could not be fitted: the information matrix is "
                              "singular (check for collinear regressors).")

    try:
        beta = _first_step(X, y, w, off, family)
    except np.linalg.LinAlgError:
        raise singular() from None
    g, H, dev, big = _pass(X, y, w, beta, off, family)
    if not np.isfinite(dev) or not np.all(np.isfinite(beta)):
        raise DataValueError(f"The {label} model could not be fitted: the deviance is not finite "
                             "at the starting values; check the outcome's range for the family.")
    drift, prev = 0, np.inf
    for _ in range(maxiter):
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            raise singular() from None
        if not np.all(np.isfinite(step)):
            raise DataValueError(f"The {label} estimates are not finite; check the outcome's range "
                                 "for the family and link.")
        size = float(np.max(np.abs(step))) / max(1.0, float(np.max(np.abs(beta))))
        # settled: a step at rounding, or below NOISE_STEP and no longer shrinking (Fisher scoring
        # of a non-canonical link converges linearly: stopping at the first small step would leave
        # an error of that order in the small coefficients)
        if size <= STEP_TOL or (size <= NOISE_STEP and size >= prev / 2) or drift >= DRIFT_ITER:
            beta = beta + step
            g, H, dev, big = _pass(X, y, w, beta, off, family)
            break
        for _ in range(40):
            g2, H2, dev2, big2 = _pass(X, y, w, beta + step, off, family)
            if np.isfinite(dev2):  # full steps, as statsmodels' IRLS (the deviance of a
                break  # non-canonical link may rise on the way to its minimum)
            step = step / 2
        # the deviance flat while a coefficient still moves by whole units: it drifts to infinity
        # (e.g. a Poisson category with no counts), where statsmodels' criterion stops too
        drift = drift + 1 if abs(dev2 - dev) <= DEV_TOL and size > DRIFT_STEP else 0
        prev = size
        beta, g, H, dev, big = beta + step, g2, H2, dev2, big2
        if big <= 1e-8:  # statsmodels' PerfectSeparationWarning: mu == y on every row
            raise _perfect(label)
    else:
        raise DataValueError(
            f"The {label} likelihood did not converge in {maxiter} iterations; check for "
            "separation, a regressor that predicts the outcome perfectly, or a link that does not "
            "suit the outcome's range (e.g. an identity link with means near zero)."
        )
    if not np.all(np.isfinite(beta)) or not np.isfinite(dev):
        raise DataValueError(f"The {label} estimates are not finite; check the outcome's range for "
                             "the family and link.")
    if big <= 1e-8:
        raise _perfect(label)
    return beta, H


def _perfect(label: str) -> DataValueError:
    return DataValueError(
        f"The fitted {label} means equal the outcome on every row: it is perfectly predicted. "
        "Cross-tabulate the outcome with each regressor and drop or merge the regressors or "
        "categories involved."
    )


def glm_results(y: np.ndarray, X: np.ndarray, family: Any, w: np.ndarray, fweight: bool,
                off: np.ndarray | None, beta: np.ndarray, info: np.ndarray) -> Any:
    """statsmodels' ``GLMResults`` of the model at ``beta`` (no iteration), with the IRLS
    covariance :math:`(X'WX)^{-1}` from ``info`` (what statsmodels' last IRLS step reports)."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import DomainWarning

    kw: dict[str, Any] = {"freq_weights": w} if fweight else {"var_weights": w}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        model = sm.GLM(y, X, family=family, offset=off, **kw)
        res = model.fit(start_params=np.array(beta, dtype=float), method="IRLS", maxiter=0)
    try:
        res._results.normalized_cov_params = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        raise DataValueError("The information matrix is singular; check for collinear regressors.") from None
    return res
