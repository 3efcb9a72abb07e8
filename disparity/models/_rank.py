"""Kleibergen-Paap rk statistics of the first stage of a linear IV model, computed here.

Used by :func:`disparity.iv` for its underidentification (rk LM) and weak-identification (rk Wald
F) diagnostics, with the variance kind of the fit. The conventions (scores, scaling, small-sample
factor of the F form, bandwidth) are those of ``linearmodels.iv`` (``first_stage.kleibergen_paap``
and ``kleibergen_paap_f``), which follows Kleibergen & Schaffer's ``ranktest``, the engine of
Stata's ``ivreg2``; ``tests/models/test_iv_rank.py`` checks every variance kind against
linearmodels and ``tests/models/test_iv.py`` against stored ``ivreg2`` output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, stats

from . import covariance as cv

__all__ = ["RankTests", "kleibergen_paap"]

#: 1 - r_min^2 at or below this is an exact first stage (the statistics are then undefined), as
#: linearmodels: the instruments predict an endogenous combination without error.
EXACT_FIT_TOL = 64 * np.finfo(float).eps


@dataclass(frozen=True, slots=True)
class RankTests:
    """The rk LM statistic (``lm``, chi-squared with ``lm_df`` df, p-value ``lm_p``) and the rk
    Wald F (``wald_f``); NaN where a statistic is not defined (see :func:`kleibergen_paap`)."""

    lm: float
    lm_df: int
    lm_p: float
    wald_f: float


def _rank_full(A: np.ndarray, gram: np.ndarray) -> bool:
    """Whether ``A`` (n x m) has full column rank, by numpy's ``matrix_rank`` rule (singular values
    above ``s_max * max(n, m) * eps``) applied to the eigenvalues of ``gram = A'A``."""
    ev = np.clip(np.linalg.eigvalsh(gram), 0.0, None)
    s = np.sqrt(ev)
    return bool(s.size == 0 or s[0] > s[-1] * max(A.shape) * np.finfo(float).eps)


def _score_cov(scores: np.ndarray, kind: str, codes: np.ndarray | None,
               bandwidth: int | None) -> np.ndarray:
    """:math:`n^{-1}` times the robust, cluster-sum or Bartlett (lags :math:`1 - j/(b+1)`) sum of
    outer products of the score rows; no small-sample factor."""
    n = scores.shape[0]
    if kind == "cluster":
        assert codes is not None
        S = cv.cluster_sums(scores, codes)
        return S.T @ S / n
    if kind == "hac":
        return cv.hac_meat(scores, int(bandwidth or 0)) / n
    return scores.T @ scores / n


def kleibergen_paap(
    x: np.ndarray,
    z: np.ndarray,
    *,
    n_exog: int,
    kind: str,
    codes: np.ndarray | None = None,
    bandwidth: int | None = None,
) -> RankTests:
    r"""Kleibergen-Paap (2006) rk LM and rk Wald F statistics of :math:`\mathrm{rank}(\Pi) = p - 1`.

    Parameters
    ----------
    x, z : ndarray
        The endogenous regressors (n, p) and excluded instruments (n, q), each multiplied by the
        square root of the weights and with the (equally weighted) exogenous regressors and any
        absorbed fixed effects partialled out.
    n_exog : int
        Number of exogenous regressors partialled out (the F form's degrees of freedom
        :math:`n - q - c`; absorbed fixed effects are not counted, as linearmodels on demeaned data).
    kind : {"iid", "HC0", "HC1", "cluster", "hac"}
        Variance of the first-stage scores ("HC0" and "HC1" are the same here: no factor).
    codes : ndarray, optional
        Cluster codes 0..G-1 (``kind="cluster"``).
    bandwidth : int, optional
        Bartlett lags (``kind="hac"``): lag :math:`j` weighs :math:`1 - j/(b+1)`.

    Returns
    -------
    RankTests

    Notes
    -----
    With :math:`Q_{zz} = z'z/n`, :math:`Q_{xx} = x'x/n`, :math:`Q_{zx} = z'x/n` and upper Cholesky
    factors :math:`R_z'R_z = Q_{zz}`, :math:`R_x'R_x = Q_{xx}`, the canonical-correlation matrix is
    :math:`\hat\Theta = R_z^{-\prime} Q_{zx} R_x^{-1}` (q x p), with singular value decomposition
    :math:`\hat\Theta = USV'`. :math:`A_\perp` (the last q-p+1 columns of U) and
    :math:`B_\perp` (the last column of V) span the spaces of the smallest singular value, and

    .. math::

        rk = n\,\hat\lambda'\left[(B_\perp\otimes A_\perp)'\hat V_\Theta(B_\perp\otimes A_\perp)
        \right]^{-1}\hat\lambda, \qquad \hat\lambda = A_\perp'\hat\Theta B_\perp,

    where :math:`\hat V_\Theta = T\hat S T'`, :math:`T = R_x^{-\prime}\otimes R_z^{-\prime}`, and
    :math:`\hat S` is the variance of :math:`n^{-1/2}\sum_i v_i\otimes z_i` of the kind asked
    for (robust :math:`n^{-1}\sum_i (v_i\otimes z_i)(v_i\otimes z_i)'`, cluster sums, or Bartlett
    autocovariances), with no small-sample factor. The LM statistic takes :math:`v_i = x_i`
    (the scores under the null :math:`\Pi = 0`) and is :math:`\chi^2` with q-p+1 df; the Wald
    form takes the first-stage residuals :math:`v_i = x_i - \hat\Pi'z_i`,
    :math:`\hat\Pi = Q_{zz}^{-1}Q_{zx}`, and its F is
    :math:`rk_W\,s/q` with :math:`s = (n-q-c)/n` (clusters: :math:`(n-q-c)(G-1)/(G(n-1))`).
    With i.i.d. errors ("iid") the rk statistics reduce to Anderson's canonical-correlation LM
    :math:`n\,r_{min}^2` and the Cragg-Donald F :math:`(n-q-c)\,r_{min}^2/((1-r_{min}^2)q)`.

    An eigenvalue of the bracketed matrix at or below :math:`\max\cdot\epsilon\cdot\dim` is
    dropped (generalized inverse) and the LM df falls by one for each. Collinear ``x`` or ``z``,
    an exact first stage (:math:`1 - r_{min}^2 \le 64\epsilon`) or a zero covariance give NaN.

    References
    ----------
    Kleibergen, F. & Paap, R. (2006). Generalized reduced rank tests using the singular value
    decomposition. *Journal of Econometrics* 133(1), 97-126.
    Kleibergen, F. & Schaffer, M. E. (2007). ranktest: Stata module to test the rank of a matrix
    using the Kleibergen-Paap rk statistic. *Statistical Software Components* S456865.
    Baum, C. F., Schaffer, M. E. & Stillman, S. (2007). Enhanced routines for instrumental
    variables/GMM estimation and testing. *Stata Journal* 7(4), 465-506.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(500, 2))
    >>> x = z @ [[0.3], [0.2]] + rng.normal(size=(500, 1))
    >>> r = kleibergen_paap(x - x.mean(0), z - z.mean(0), n_exog=1, kind="HC1")
    >>> r.lm_df, round(r.lm, 2) > 10
    (2, True)
    """
    n, q = z.shape
    p = x.shape[1]
    df = q - p + 1
    nan = RankTests(np.nan, df, np.nan, np.nan)
    if p == 0 or q < p:
        return nan
    qxx, qzz, qzx = x.T @ x / n, z.T @ z / n, z.T @ x / n
    if not (_rank_full(x, qxx * n) and _rank_full(z, qzz * n)):
        return nan
    irz = linalg.solve_triangular(linalg.cholesky(qzz), np.eye(q))
    irx = linalg.solve_triangular(linalg.cholesky(qxx), np.eye(p))
    theta = irz.T @ qzx @ irx
    U, s, Vt = np.linalg.svd(theta, full_matrices=True)
    r2 = float(s[-1]) ** 2
    if 1.0 - r2 <= EXACT_FIT_TOL:
        return nan
    dof = n - q - n_exog
    if kind == "iid":
        lm = n * r2
        return RankTests(lm, df, float(stats.chi2.sf(lm, df)), dof * r2 / (1.0 - r2) / q)

    T = np.kron(irx.T, irz.T)
    sel = np.kron(Vt.T[:, p - 1:].T, U[:, p - 1:].T)
    lam = sel @ theta.ravel(order="F")

    def rk(v: np.ndarray) -> tuple[float, int] | None:
        scores = np.column_stack([v[:, [j]] * z for j in range(p)])
        V = sel @ (T @ _score_cov(scores, kind, codes, bandwidth) @ T.T) @ sel.T
        values, vectors = np.linalg.eigh((V + V.T) / 2)
        keep = values > values.max() * np.finfo(float).eps * V.shape[0]
        if not keep.any():
            return None
        coef = vectors[:, keep].T @ lam
        return n * float((coef**2 / values[keep]).sum()), int(keep.sum())

    got = rk(x)
    if got is None:
        return nan
    lm, lm_df = got
    wald = rk(x - z @ (irz @ (irz.T @ qzx)))
    if wald is None:
        f = np.nan
    else:
        if kind == "cluster":
            assert codes is not None
            G = int(codes.max()) + 1
            scale = dof * (G - 1) / G / (n - 1)
        else:
            scale = dof / n
        f = wald[0] * scale / q
    return RankTests(lm, lm_df, float(stats.chi2.sf(lm, lm_df)), f)
