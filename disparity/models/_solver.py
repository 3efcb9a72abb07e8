"""Accurate linear least squares shared by every estimator in :mod:`disparity.models`.

The solver works on a centred (when the design has an intercept) and column-scaled copy of the
design, factorises it by Householder QR, decides the rank from the singular values of the triangular
factor, and, only when the estimated forward error says double precision would cost digits, solves
again with a Householder QR carried out in extended precision followed by iterative refinement whose
residuals are accumulated in extended precision.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg as sla

from .. import _resample
from ..errors import CollinearityError, DataValueError, PrecisionWarning

__all__ = ["LstsqSolution", "solve_lstsq", "design_condition"]

EPS = float(np.finfo(np.float64).eps)
EXT = np.longdouble
EXT_EPS = float(np.finfo(EXT).eps)

# Forward-error target of the fast path: if the first-order error bound of the double-precision
# solution exceeds this, the extended-precision path is taken (we promise about ten digits).
REFINE_ERROR_BOUND = 1e-10
# Condition number (of the centred, unit-norm design) above which a PrecisionWarning is issued:
# beyond it even the extended-precision path cannot guarantee eight correct digits in double output.
WARN_CONDITION = 1e8
MAX_REFINE_STEPS = 3
# Designs with more rows than this are factorised by row blocks of about this size (see
# _blocked_qr): the working copy is one block, not n x k.
QR_BLOCK = 131_072
COEF_FLOOR = 1e-6


@dataclass(frozen=True)
class LstsqSolution:
    """Result of :func:`solve_lstsq` (coefficients in the original units of the design).

    ``resid`` and ``fitted`` are computed from the design on first access (and kept): a fit
    whose variance is formed by blocks (:class:`~disparity.models._meat.IndexScores`) never holds
    an n-vector beyond the design (issue 22).
    """

    params: np.ndarray
    bread: np.ndarray  # (X' W X)^{-1}
    X: np.ndarray = field(repr=False, compare=False)
    y: np.ndarray = field(repr=False, compare=False)
    condition: float = 1.0  # 2-norm condition number of the centred, unit-norm design
    refined: bool = False  # whether the extended-precision path was used
    error_bound: float = 0.0  # first-order relative forward-error bound of the fast path
    _cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def resid(self) -> np.ndarray:
        """``y - X b`` (unweighted; in extended precision when the solution was refined)."""
        if "resid" not in self._cache:
            if self.refined:
                self._cache["resid"] = np.asarray(
                    self.y.astype(EXT) - self.X.astype(EXT) @ self.params.astype(EXT), dtype=float
                )
            else:
                self._cache["resid"] = np.subtract(self.y, self.fitted)
        return self._cache["resid"]

    @property
    def fitted(self) -> np.ndarray:
        """``X b``."""
        if "fitted" not in self._cache:
            self._cache["fitted"] = self.X @ self.params
        return self._cache["fitted"]


def _collinear_message(names: list[str], zcols: list[int], R: np.ndarray, tol: float) -> str:
    """Explain which columns of the (centred, scaled) design are linear combinations of others."""
    # Pivoted QR on the small triangular factor picks a well-conditioned subset; the trailing pivots
    # are the dependent columns, expressed in the leading ones by a small least-squares solve.
    _, r2, piv = sla.qr(R, pivoting=True)
    d = np.abs(np.diag(r2))
    rank = int(np.sum(d > tol * d[0])) if d.size and d[0] > 0 else 0
    indep = list(piv[:rank])
    parts = []
    for j in piv[rank:]:
        coef, *_ = np.linalg.lstsq(R[:, indep], R[:, j], rcond=None)
        involved = [
            names[zcols[indep[i]]] for i in np.argsort(-np.abs(coef)) if abs(coef[i]) > 1e-8
        ]
        target = names[zcols[j]]
        if involved:
            parts.append(
                f"'{target}' is a linear combination of " + ", ".join(f"'{c}'" for c in involved)
            )
        else:
            parts.append(f"'{target}' is identically zero")
    return "; ".join(parts)


def _householder_ext(A: np.ndarray) -> tuple[np.ndarray, list[tuple[np.ndarray, Any]]]:
    """Householder QR in extended precision; returns R and the reflectors (v, ||v||^2)."""
    A = np.array(A, dtype=EXT, copy=True)
    n, k = A.shape
    refl: list[tuple[np.ndarray, Any]] = []
    for j in range(k):
        x = A[j:, j]
        norm = np.sqrt(np.dot(x, x))
        alpha = -norm if x[0] >= 0 else norm
        v = x.copy()
        v[0] -= alpha
        vv = np.dot(v, v)
        if vv == 0:
            refl.append((v, EXT(0)))
            continue
        A[j:, j:] -= np.outer(v, (v @ A[j:, j:]) * (EXT(2) / vv))
        refl.append((v, vv))
    return np.triu(A[:k, :k]), refl


def _ext_solve(R: np.ndarray, refl: list[tuple[np.ndarray, Any]], rhs: np.ndarray) -> np.ndarray:
    b = np.array(rhs, dtype=EXT, copy=True)
    for j, (v, vv) in enumerate(refl):
        if vv != 0:
            b[j:] -= v * ((v @ b[j:]) * (EXT(2) / vv))
    k = R.shape[0]
    x = np.zeros(k, dtype=EXT)
    for i in range(k - 1, -1, -1):
        x[i] = (b[i] - R[i, i + 1 :] @ x[i + 1 :]) / R[i, i]
    return x


def design_condition(X: np.ndarray, intercept: int | None = None) -> float:
    """Condition number of the centred (if ``intercept`` is a column index) unit-norm design."""
    X = np.asarray(X, dtype=float)
    Z = (
        np.delete(X, intercept, axis=1) - X.mean(0)[np.arange(X.shape[1]) != intercept]
        if (intercept is not None)
        else X
    )
    norms = np.linalg.norm(Z, axis=0)
    norms[norms == 0] = 1.0
    s = np.linalg.svd(Z / norms, compute_uv=False)
    return float(s[0] / s[-1]) if s.size and s[-1] > 0 else float("inf")


def _solve_lstsq(
    X: np.ndarray,
    y: np.ndarray,
    *,
    names: list[str],
    weights: np.ndarray | None = None,
    intercept: int | None = None,
    warn: bool = True,
) -> LstsqSolution:
    """Weighted least squares ``min sum_i w_i (y_i - x_i'b)^2`` solved accurately.

    Parameters
    ----------
    X : ndarray, shape (n, k)
        Design matrix in original units.
    y : ndarray, shape (n,)
        Outcome.
    names : list of str
        Column names of ``X`` (used in error and warning messages).
    weights : ndarray, optional
        Non-negative weights (already normalised as the caller wants).
    intercept : int, optional
        Index of the constant column, if any; the other columns are then centred (weighted means).
    warn : bool
        Issue a :class:`~disparity.errors.PrecisionWarning` for ill-conditioned designs.

    Returns
    -------
    LstsqSolution

    Notes
    -----
    With :math:`\\sqrt{w}` row scaling, centring :math:`Z = \\sqrt{w}(X_{-0} - 1\\bar x_w')D^{-1}`
    (:math:`D` the column norms), the slopes solve :math:`\\min\\|\\sqrt w (y-\\bar y_w) - Z c\\|`
    and :math:`b = D^{-1}c`, :math:`b_0 = \\bar y_w - \\bar x_w' b`. Centring removes the
    collinearity of each column with the constant, scaling equilibrates columns; both are exact
    reparametrisations. The QR is LAPACK Householder (``dgeqrf``). The forward error of a
    backward-stable least-squares solve is bounded to first order by
    :math:`\\epsilon(\\kappa + \\kappa^2 \\|r\\| / (\\|Z\\|\\|c\\|))` (Higham 2002, Thm 20.1); when this
    exceeds ``REFINE_ERROR_BOUND`` the problem is re-solved with a Householder QR in 64-bit-mantissa
    extended precision and refined with extended-precision residuals (Björck 1996, §2.9). The design
    is declared rank deficient when :math:`\\sigma_{min}/\\sigma_{max} \\le \\sqrt{nk}\\,\\epsilon`,
    the size of the perturbation that storing and orthogonalising the columns in double precision
    can cause (Golub & Van Loan 2013, §5.4.1).

    References
    ----------
    Björck, Å. (1996). *Numerical Methods for Least Squares Problems*. SIAM.
    Golub, G. H. & Van Loan, C. F. (2013). *Matrix Computations*, 4th ed. Johns Hopkins.
    Higham, N. J. (2002). *Accuracy and Stability of Numerical Algorithms*, 2nd ed. SIAM.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, k = X.shape
    if n <= k:
        raise DataValueError(
            f"Too few observations: {n} usable rows for {k} coefficients ({', '.join(names)}). "
            "Use more data or a smaller model (check how many rows were dropped for missing values)."
        )
    sw = None if weights is None else np.sqrt(np.asarray(weights, dtype=float))
    wsum = float(n) if weights is None else float(np.sum(weights))

    zcols = [j for j in range(k) if j != intercept]
    if n > QR_BLOCK and 2 * k <= QR_BLOCK and zcols:
        qty, R, norms, xbar, ybar, yc = _blocked_qr(X, y, zcols, intercept, weights, sw, wsum, names)
        Z = None
    else:
        Z, norms, xbar, ybar, yc = _centred_scaled(X, y, zcols, intercept, weights, sw, wsum, names)
    m = len(zcols)

    if m:
        if Z is not None:
            # Householder QR applying Q' to y on the fly (Q is never formed).
            qty, R = sla.qr_multiply(Z, yc, mode="right", overwrite_a=True)
            del Z  # overwritten by the factorisation
            R = np.triu(R[:m, :m])
        sv = np.linalg.svd(R, compute_uv=False)
        cond = float(sv[0] / sv[-1]) if sv[-1] > 0 else float("inf")
        tol = np.sqrt(float(n) * m) * EPS
        if sv[-1] <= tol * sv[0]:
            raise CollinearityError(
                "Regressors are perfectly collinear: "
                + _collinear_message(names, zcols, R, tol)
                + ". Drop one of the columns named (or a category of a dummy set) and refit."
            )
        c = sla.solve_triangular(R, qty)
        del yc  # the refined path rebuilds the outcome from y
        rnorm = float(_weighted_resid(X, y, zcols, intercept, c / norms, xbar, ybar, sw))
        cnorm = float(np.linalg.norm(c))
        # Componentwise: the smallest coefficient is what loses digits first; coefficients below
        # COEF_FLOOR of the largest are judged against that floor so exact zeros do not force the slow path.
        cmin = max(float(np.min(np.abs(c))), COEF_FLOOR * cnorm, 1e-300)
        bound = EPS * (cond * cnorm + cond**2 * rnorm / sv[0]) / cmin
        refined = bool(bound > REFINE_ERROR_BOUND)
        if refined:
            # Rebuild the centred, scaled design from the data in extended precision.
            Xx = X[:, zcols].astype(EXT)
            yx = y.astype(EXT)
            swx = None if sw is None else np.sqrt(np.asarray(weights, dtype=EXT))
            if intercept is not None:
                if weights is None:
                    xbar, ybar = Xx.mean(0), yx.mean()
                else:
                    wx = np.asarray(weights, dtype=EXT)
                    xbar, ybar = (wx @ Xx) / wx.sum(), (wx @ yx) / wx.sum()
                Xx = Xx - xbar
                yx = yx - ybar
            if swx is not None:
                Xx = Xx * swx[:, None]
                yx = yx * swx
            Zx = Xx / norms.astype(EXT)
            ycx = yx
            del Xx
            Rx, refl = _householder_ext(Zx)
            cx = _ext_solve(Rx, refl, ycx)
            for _ in range(MAX_REFINE_STEPS):
                dx = _ext_solve(Rx, refl, ycx - Zx @ cx)
                cx = cx + dx
                if np.max(np.abs(dx)) <= EXT_EPS * np.max(np.abs(cx)):
                    break
            c = np.asarray(cx, dtype=float)
            slopes_x = cx / norms.astype(EXT)
            slopes = np.asarray(slopes_x, dtype=float)
            icpt = float(ybar - xbar @ slopes_x) if intercept is not None else 0.0
            xbar = np.asarray(xbar, dtype=float)
        else:
            slopes = c / norms
            icpt = ybar - float(xbar @ slopes)
        Rinv = sla.solve_triangular(R, np.eye(m))
        zbread = (Rinv @ Rinv.T) / np.outer(norms, norms)
    else:
        cond, bound, refined = 1.0, 0.0, False
        slopes = np.zeros(0)
        icpt = ybar
        zbread = np.zeros((0, 0))

    params = np.empty(k)
    params[zcols] = slopes
    bread = np.empty((k, k))
    if intercept is not None:
        # X = [1, Xz] = [1, Z~] T with T = [[1, xbar'], [0, I]]; Z~ centred so [1, Z~]'W[1, Z~] is
        # block diagonal; hence (X'WX)^{-1} = T^{-1} diag(1/sum w, zbread) T^{-T}.
        params[intercept] = icpt
        g = zbread @ xbar
        bread[np.ix_(zcols, zcols)] = zbread
        bread[intercept, zcols] = -g
        bread[zcols, intercept] = -g
        bread[intercept, intercept] = 1.0 / wsum + float(xbar @ g)
    else:
        bread[:] = zbread

    if warn and cond > WARN_CONDITION:
        involved = _ill_conditioned_columns(R, names, zcols)
        warnings.warn(
            f"The design is ill-conditioned (condition number {cond:.3g} after centring and scaling); "
            f"coefficients may have lost up to {np.log10(cond):.0f} of about 16 digits. Nearly collinear: {', '.join(repr(v) for v in involved)}. "
            "Consider rescaling, centring or orthogonal polynomials.",
            PrecisionWarning,
            stacklevel=4,  # through solve_lstsq
        )
    return LstsqSolution(params, bread, X, y, cond, refined, float(bound))


def _centred_scaled(X, y, zcols, intercept, weights, sw, wsum, names):
    """The centred (if ``intercept``), row-weighted, unit-norm working copy of the design."""
    n = X.shape[0]
    # One Fortran-ordered working copy, modified in place: LAPACK needs column-major storage anyway.
    Z = np.array(X[:, zcols] if intercept is not None else X, dtype=float, order="F")
    if sw is not None:
        Z *= sw[:, None]
    raw_norms = np.linalg.norm(Z, axis=0)
    if intercept is not None:
        if weights is None:
            xbar = Z.mean(0)
            ybar = float(y.mean())
            Z -= xbar
        else:
            xbar = (weights @ X[:, zcols]) / wsum
            ybar = float(weights @ y) / wsum
            Z -= sw[:, None] * xbar
        yc = y - ybar
    else:
        xbar = np.zeros(len(zcols))
        ybar = 0.0
        yc = y
    if sw is not None:
        yc = yc * sw

    norms = np.linalg.norm(Z, axis=0)
    _check_dead(norms, raw_norms, n, zcols, intercept, names)
    Z /= norms
    return Z, norms, xbar, ybar, yc


def _check_dead(norms, raw_norms, n, zcols, intercept, names) -> None:
    dead = [
        j for j in range(len(zcols)) if norms[j] <= np.sqrt(n) * EPS * max(raw_norms[j], 1e-300)
    ]
    if dead:
        what = "constant (collinear with the intercept)" if intercept is not None else "all zero"
        cols = ", ".join(f"'{names[zcols[j]]}'" for j in dead)
        raise CollinearityError(
            f"Regressor(s) {cols} are {what} in the estimation sample; drop them from the formula."
        )


def _blocked_qr(X, y, zcols, intercept, weights, sw, wsum, names):
    """Householder QR of the centred, scaled design by row blocks (TSQR), never copying all of it.

    Each block of about ``QR_BLOCK`` rows is centred, scaled and factorised (LAPACK ``dgeqrf``,
    ``Q_b'`` applied to its part of the outcome); the stacked triangular factors are factorised
    once more. The product of orthogonal transformations is orthogonal, so this is a Householder
    QR of the whole design with the same backward stability (Demmel, Grigori, Hoemmen & Langou
    2012, "Communication-optimal parallel and sequential QR and LU factorizations", *SIAM J. Sci.
    Comput.* 34(1)); memory is one block instead of an n x k copy.
    """
    n = X.shape[0]
    m = len(zcols)
    if intercept is not None:
        if weights is None:
            xbar = np.array([X[:, j].mean() for j in zcols])
            ybar = float(y.mean())
        else:
            xbar = np.array([float(weights @ X[:, j]) for j in zcols]) / wsum
            ybar = float(weights @ y) / wsum
    else:
        xbar = np.zeros(m)
        ybar = 0.0
    if not (np.all(np.isfinite(xbar)) and np.isfinite(ybar)):
        raise DataValueError(_NONFINITE)
    with np.errstate(invalid="ignore", over="ignore"):  # judged just below
        raw, cen = _column_norms(X, zcols, xbar, sw)
    if not np.all(np.isfinite(cen)):
        raise DataValueError(_NONFINITE)
    raw_norms, norms = np.sqrt(raw), np.sqrt(cen)
    _check_dead(norms, raw_norms, n, zcols, intercept, names)
    nb = -(-n // QR_BLOCK)
    bounds = np.linspace(0, n, nb + 1).astype(int)
    # One workspace for every block (the blocks differ by at most a row). Fresh block-sized
    # temporaries cost a page fault per 4 KiB on every call: 8 ms of a 30 ms survey fit on
    # 200,000 rows. The workspace is at least HUGE_ALLOC bytes, so numpy asks Linux for
    # transparent huge pages (one fault per 2 MiB).
    rows = int(np.max(np.diff(bounds)))
    work = np.empty(max(rows * (m + 1), HUGE_ALLOC // 8))
    zbuf, ybuf = work[:rows * m], work[rows * m:rows * (m + 1)]
    Rs, cs = [], []
    for s, e in zip(bounds[:-1], bounds[1:], strict=True):
        Zb = zbuf[:(e - s) * m].reshape((e - s, m), order="F")
        yb = ybuf[:e - s]
        swb = None if sw is None else sw[s:e]
        for i, j in enumerate(zcols):  # column by column: contiguous slices (see _column_norms)
            zi = Zb[:, i]
            if swb is None:
                np.subtract(X[s:e, j], xbar[i], out=zi)  # xbar is 0 without an intercept
            else:
                np.multiply(X[s:e, j], swb, out=zi)
                if intercept is not None:
                    np.multiply(swb, xbar[i], out=yb)
                    zi -= yb
            zi /= norms[i]
        np.subtract(y[s:e], ybar, out=yb)
        if swb is not None:
            yb *= swb
        Rb, qb = _qr_apply(Zb, yb)
        Rs.append(Rb)
        cs.append(qb[:m].copy())  # ybuf is reused by the next block
    qs = np.concatenate(cs)
    if not np.all(np.isfinite(qs)):  # a non-finite outcome (the design was checked above)
        raise DataValueError(_NONFINITE)
    qty, R = sla.qr_multiply(np.vstack(Rs), qs, mode="right", overwrite_a=True)
    return qty, np.triu(R[:m, :m]), norms, xbar, ybar, None


_NONFINITE = ("The design or the outcome holds infinite or missing values; drop or recode those "
              "rows before fitting.")


#: numpy advises the kernel to back allocations of at least this many bytes with transparent
#: huge pages (``madvise(MADV_HUGEPAGE)``, numpy's ``_set_madvise_hugepage``; 4 MiB).
HUGE_ALLOC = 1 << 22

#: Rows per chunk of :func:`_column_norms`: its two temporaries stay at 128 KiB.
NORM_CHUNK = 16_384


def _column_norms(X, zcols, xbar, sw) -> tuple[np.ndarray, np.ndarray]:
    """Squared norms of the (row-weighted) columns ``zcols`` of ``X``, raw and centred on ``xbar``.

    By chunks of rows and one column at a time into two small reused buffers: contiguous slices
    of a Fortran-ordered design (a (block, k) broadcast against ``sw[:, None]`` strides across
    columns and cost five times as much on 200,000 x 4) and no n-vector temporary.
    """
    n, m = X.shape[0], len(zcols)
    raw, cen = np.zeros(m), np.zeros(m)
    size = min(NORM_CHUNK, n)
    a, b = np.empty(size), np.empty(size)
    for s in range(0, n, size):
        e = min(s + size, n)
        ca, cb = a[:e - s], b[:e - s]
        swb = None if sw is None else sw[s:e]
        for i, j in enumerate(zcols):
            col = X[s:e, j]
            if swb is not None:
                col = np.multiply(col, swb, out=ca)
            raw[i] += np.dot(col, col)
            if swb is None:
                np.subtract(col, xbar[i], out=cb)
            else:
                np.multiply(swb, xbar[i], out=cb)
                np.subtract(col, cb, out=cb)
            cen[i] += np.dot(cb, cb)
    return raw, cen


def _qr_apply(Zb: np.ndarray, yb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Householder QR of ``Zb`` (Fortran order, overwritten) and ``Q' yb`` (``yb`` overwritten).

    The LAPACK calls of ``scipy.linalg.qr_multiply`` (``dgeqrf`` then ``dormqr``, each with its
    optimal work size) without its copies of the outcome and finiteness checks (the caller checks),
    so a block's factorisation allocates nothing of the block's size. Returns ``(R, Q' yb)``.
    """
    m = Zb.shape[1]
    geqrf, ormqr = sla.get_lapack_funcs(("geqrf", "ormqr"), (Zb,))
    # workspace queries (lwork=-1) touch nothing, but without overwrite_* they copy the arrays
    lwork = int(geqrf(Zb, lwork=-1, overwrite_a=1)[-2][0])
    qr, tau, _, info = geqrf(Zb, lwork=lwork, overwrite_a=1)
    if info != 0:  # pragma: no cover - LAPACK argument errors cannot happen with these shapes
        raise RuntimeError(f"dgeqrf failed (info={info})")
    c = yb.reshape(-1, 1)  # a view: Fortran and C order coincide for one column
    lwork = int(ormqr("L", "T", qr, tau, c, lwork=-1, overwrite_c=1)[-2][0])
    qty, _, info = ormqr("L", "T", qr, tau, c, lwork=lwork, overwrite_c=1)
    if info != 0:  # pragma: no cover
        raise RuntimeError(f"dormqr failed (info={info})")
    return np.triu(qr[:m, :m]), qty.ravel()


def _weighted_resid(X, y, zcols, intercept, slopes, xbar, ybar, sw) -> np.ndarray:
    """Norm of the (row-weighted) residuals, by row blocks (no n-vector temporary)."""
    b = np.empty(X.shape[1])
    b[zcols] = slopes
    if intercept is not None:
        b[intercept] = ybar - float(xbar @ slopes)
    ss = 0.0
    for s in range(0, X.shape[0], QR_BLOCK):
        r = y[s:s + QR_BLOCK] - X[s:s + QR_BLOCK] @ b
        if sw is not None:
            r *= sw[s:s + QR_BLOCK]
        ss += float(np.dot(r, r))
    return np.sqrt(ss)


def _ill_conditioned_columns(R: np.ndarray, names: list[str], zcols: list[int]) -> list[str]:
    """Columns loading on the right singular vector of the smallest singular value."""
    _, _, vt = np.linalg.svd(R)
    v = np.abs(vt[-1])
    order = np.argsort(-v)
    return [names[zcols[i]] for i in order if v[i] >= 0.1 * v[order[0]]]


# Designs with at most this many columns are solved with one BLAS thread: their products are
# matrix-vector shaped, and extra BLAS threads only spin (measured: dp.ols(vcov="wild") on
# 100,000 x 3 took twice the CPU time with two threads on a loaded 2-core machine).
SKINNY_COLUMNS = 32


def solve_lstsq(X: np.ndarray, y: np.ndarray, **kw: Any) -> LstsqSolution:
    """:func:`_solve_lstsq` (same arguments), with one BLAS thread for skinny designs."""
    if X.shape[1] > SKINNY_COLUMNS:
        return _solve_lstsq(X, y, **kw)
    with _resample.single_threaded_blas():
        return _solve_lstsq(X, y, **kw)
