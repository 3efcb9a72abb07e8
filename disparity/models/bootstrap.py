"""Wild cluster bootstrap (restricted, WCR) for linear models, on cluster-level sums.

The draws are made in chunks (memory O(chunk x clusters)); every sign pattern is enumerated when
there are no more of them than requested draws; only five numbers per draw and coefficient are
kept, from which the p-value of :math:`H_0: \\beta_j = r` follows for any :math:`r` (test
inversion re-uses them).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from .. import _resample
from .._options import BOOT_WEIGHTS, BootWeights, check_option
from ..errors import DataValueError, FewClustersWarning

__all__ = ["WildBootstrap", "wild_cluster_bootstrap", "BOOT_WEIGHTS"]

# Interval endpoints are located to this fraction of the standard error (far below the Monte
# Carlo error of the endpoints themselves).
CI_TOL = 1e-8
# Tie rule: a draw counts as exceeding only if |t*| > |t| (1 + TIE_RTOL). Weight vectors that are
# constant across clusters (v = +1 or -1 with Rademacher weights) reproduce the sample, so their
# |t*| equals |t| up to rounding (relative error ~1e-14); they are ties and are not counted, as in
# boottest and wildboottest.
TIE_RTOL = 1e-9
# A sum of squared bootstrap scores below ZERO_RTOL times its scale is rounding noise around an
# exact zero (it is one for the draws that reproduce the sample), and is set to zero; the sums are
# expanded into terms of that scale, so the noise is ~1e-15 of it.
ZERO_RTOL = 1e-10
# With this many clusters or fewer the bootstrap warns (MacKinnon & Webb 2017: even the wild
# bootstrap is unreliable with so few clusters).
FEW_CLUSTERS_WARN = 5
# Doublings of the search step before an interval endpoint is declared infinite.
MAX_DOUBLINGS = 200
# Effective floating-point rate assumed by the time estimate (conservative for numpy on one core).
FLOPS = 1e9
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
_SUPPORT = {"rademacher": np.array([-1.0, 1.0]), "webb": _WEBB}


@dataclass(frozen=True)
class _CoefBoot:
    """Everything needed to evaluate the bootstrap p-value of H0: beta_j = r for any r.

    ``arr`` rows: numerator at r = 0, its slope in -r, and the three coefficients of the sum of
    squared bootstrap scores, quadratic in r (one column per draw).
    """

    estimate: float
    se: float
    arr: np.ndarray = field(repr=False)  # (5, B): vc0, vc1, a00, a01, a11
    m: float

    vc0 = property(lambda self: self.arr[0])
    vc1 = property(lambda self: self.arr[1])
    a00 = property(lambda self: self.arr[2])
    a01 = property(lambda self: self.arr[3])
    a11 = property(lambda self: self.arr[4])

    def _exceeds(self, r: float, arr: np.ndarray) -> np.ndarray:
        vc0, vc1, a00, a01, a11 = arr
        num = vc0 - r * vc1
        kappa = ((self.estimate - r) / self.se) ** 2 * (1 + TIE_RTOL) ** 2
        se2 = self.m * (a00 + r * (r * a11 - 2 * a01))
        return num * num > kappa * se2

    def pvalue(self, r: float) -> float:
        """Bootstrap p-value of :math:`H_0: \\beta_j = r`: the share of draws with |t*| > |t|."""
        return float(np.count_nonzero(self._exceeds(r, self.arr))) / self.arr.shape[1]

    def pvalue_at_infinity(self) -> float:
        """Limit of :meth:`pvalue` as :math:`|r| \\to \\infty`.

        |t(r)| grows linearly in r; |t*(r)| does so only for draws whose bootstrap scores do not
        depend on r (a01 = a11 = 0), and then exceeds when vc1² se² > m a00.
        """
        vc0, vc1, a00, a01, a11 = self.arr
        flat = (a11 == 0) & (a01 == 0)
        grow = vc1 * vc1 * self.se**2 > self.m * a00 * (1 + TIE_RTOL) ** 2
        return float(np.count_nonzero(flat & grow)) / self.arr.shape[1]

    def _endpoint(self, side: float, alpha: float, ex_at_estimate: np.ndarray) -> float:
        B = self.arr.shape[1]
        inside, step = self.estimate, 2.0 * self.se
        outside = self.estimate + side * step
        ex_in = ex_at_estimate
        for _ in range(MAX_DOUBLINGS):
            ex_out = self._exceeds(outside, self.arr)
            if np.count_nonzero(ex_out) / B < alpha:
                break
            inside, ex_in, step = outside, ex_out, 2 * step
            outside = self.estimate + side * step
        else:
            return side * np.inf
        # Bisection on the draws whose verdict differs between the two ends of the bracket; the
        # others keep their verdict inside it (a verdict flips where |t*(r)| = |t(r)|, and a
        # bracket narrower than the gap between two such points holds at most one per draw).
        base = int(np.count_nonzero(ex_in & ex_out))
        differ = ex_in != ex_out
        active = self.arr[:, differ]
        act_in = ex_in[differ]
        for _ in range(200):
            if abs(outside - inside) <= CI_TOL * self.se:
                break
            if active.shape[1] == 1:  # one verdict left to locate: bisect it in scalar arithmetic
                return self._scalar_bisect(inside, outside, active[:, 0].tolist(), bool(act_in[0]))
            mid = 0.5 * (inside + outside)
            ex_mid = self._exceeds(mid, active)
            if (base + int(np.count_nonzero(ex_mid))) / B >= alpha:
                inside = mid  # bracket [mid, outside]; outside verdicts are ~act_in
                base += int(np.count_nonzero(ex_mid & ~act_in))
                keep = ex_mid == act_in
            else:
                outside = mid  # bracket [inside, mid]
                base += int(np.count_nonzero(ex_mid & act_in))
                keep = ex_mid != act_in
            act_in = act_in[keep]
            active = active[:, keep]
        return 0.5 * (inside + outside)

    def _scalar_bisect(self, inside: float, outside: float, col: list[float], at_in: bool) -> float:
        vc0, vc1, a00, a01, a11 = col
        est, se, m = self.estimate, self.se, self.m
        tie = (1 + TIE_RTOL) ** 2
        while abs(outside - inside) > CI_TOL * se:
            mid = 0.5 * (inside + outside)
            num = vc0 - mid * vc1
            ex = num * num > ((est - mid) / se) ** 2 * tie * (m * (a00 + mid * (mid * a11 - 2 * a01)))
            if ex == at_in:
                inside = mid
            else:
                outside = mid
        return 0.5 * (inside + outside)

    def interval(self, level: float) -> tuple[float, float]:
        """Test-inversion interval: the r at which the p-value falls below 1 - level on each side."""
        alpha = 1 - level
        if self.pvalue_at_infinity() >= alpha:
            return -np.inf, np.inf
        at_estimate = self._exceeds(self.estimate, self.arr)
        return self._endpoint(-1.0, alpha, at_estimate), self._endpoint(1.0, alpha, at_estimate)


@dataclass(frozen=True)
class WildBootstrap:
    """Wild cluster bootstrap results for a set of coefficients.

    ``reps`` is the number of draws requested; ``draws`` the number of weight vectors the
    p-values stand for (all :math:`2^G` or :math:`6^G` patterns when ``enumerated``).
    """

    pvalues: np.ndarray
    coefs: tuple[_CoefBoot, ...]
    reps: int
    weights: str
    seed: int
    n_clusters: int
    enumerated: bool = False
    draws: int = 0

    def conf_int(self, level: float = 0.95) -> np.ndarray:
        return np.array([c.interval(level) for c in self.coefs])

    def describe(self) -> str:
        """How the bootstrap was run, for a table note."""
        if self.enumerated:
            what = "sign" if self.weights == "rademacher" else "weight"
            return (f"WCR, {self.weights} weights, all {self.draws:,} {what} patterns of "
                    f"{self.n_clusters} clusters enumerated")
        return f"WCR, {self.weights} weights, {self.reps} draws, seed {self.seed}"


def _random_draws(rng: np.random.Generator, c: int, G: int, kind: str) -> np.ndarray:
    support = _SUPPORT[kind]  # the integer stream is the package's since 0.1
    idx = rng.integers(0, support.size, size=(c, G), dtype=np.int8)
    if kind == "rademacher":  # -1, +1 by arithmetic: faster than a gather
        V = np.multiply(idx, 2.0)
        V -= 1.0
        return V
    return support.take(idx)


def _enumerated_draws(start: int, stop: int, G: int, kind: str) -> np.ndarray:
    """Patterns ``start..stop-1`` of the half of the support whose first cluster's weight is > 0.

    Both weight distributions are symmetric and |t*| is the same for v and -v, so the p-value over
    this half equals the one over all patterns.
    """
    idx = np.arange(start, stop, dtype=np.int64)
    V = np.empty((idx.size, G))
    if kind == "rademacher":
        V[:, 0] = 1.0
        V[:, 1:] = 1.0 - 2.0 * ((idx[:, None] >> np.arange(G - 1, dtype=np.int64)) & 1)
        return V
    V[:, 0] = _WEBB[3 + idx % 3]
    rest = idx // 3
    V[:, 1:] = _WEBB[(rest[:, None] // 6 ** np.arange(G - 1, dtype=np.int64)) % 6]
    return V


def wild_cluster_bootstrap(
    X: np.ndarray,
    y: np.ndarray,
    *,
    codes: np.ndarray,
    bread: np.ndarray,
    params: np.ndarray,
    se: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    reps: int = 9999,
    boot_weights: BootWeights = "rademacher",
    seed: int | None = None,
    progress: bool = True,
) -> WildBootstrap:
    """Restricted wild cluster bootstrap-t (WCR) for each coefficient of a (weighted) linear model.

    Parameters
    ----------
    X, y : arrays
        Design and outcome of the fitted model.
    codes : ndarray of int
        Cluster codes 0..G-1.
    bread : ndarray
        :math:`(X'WX)^{-1}` of the fitted model.
    params : ndarray
        Estimates.
    se : ndarray, optional
        Not needed: the bootstrap computes the CR1 standard errors it compares with from the
        same cluster sums as its draws (any small-sample factor cancels from the comparison).
    reps : int
        Bootstrap draws :math:`B`. When the number of distinct weight vectors (:math:`2^G`
        Rademacher, :math:`6^G` Webb) is at most ``reps``, or there are at most 5 clusters, all
        of them are enumerated instead and the p-values are exact.
    boot_weights : {"rademacher", "webb"}
        Auxiliary distribution: Rademacher (±1) or Webb's six-point distribution.
    seed : int, optional
        Seed of a local :class:`numpy.random.Generator` (a fresh one is drawn and recorded if None).
    progress : bool
        Show a progress bar when the draws are expected to take more than ~2 s (never in CI or
        when output is not a terminal or notebook).

    Returns
    -------
    WildBootstrap
        Symmetric bootstrap p-values of :math:`H_0: \\beta_j = 0` and, by test inversion, intervals.

    Raises
    ------
    DataValueError
        Fewer than two clusters, or a request whose memory or time could not be met (estimated
        before any draw is made).

    Warns
    -----
    FewClustersWarning
        With :data:`FEW_CLUSTERS_WARN` (5) clusters or fewer.

    Notes
    -----
    Under :math:`H_0: \\beta_j = r` the restricted residuals are :math:`\\tilde u(r) = \\hat u +
    X a (\\hat\\beta_j - r)/a_j`, with :math:`a = (X'WX)^{-1}e_j` (restricted least squares), so
    their cluster score sums are :math:`s_g(r) = \\hat s_g + q_g(\\hat\\beta_j - r)/a_j` with
    :math:`q_g = X_g'WX_g a`: no pass over the data per null. With :math:`c_g = a's_g`, draw
    :math:`v` gives the numerator :math:`v'c` and the bootstrap cluster scores
    :math:`v\\circ c - Q(X'WX)^{-1}S'v` (rank-:math:`k` correction, never a :math:`G\\times G`
    matrix). Both are affine in :math:`r`, so each draw keeps five numbers per coefficient (the
    numerator's two coefficients and the three of the squared score sum) from which
    :math:`|t^*(r)|` follows for every :math:`r`. The squares are expanded,
    :math:`|v\\circ c - Pu|^2 = \\sum_g v_g^2c_g^2 - 2(v'\\mathrm{diag}(c)P)u + u'P'Pu` with
    :math:`u` linear in :math:`v`, so all coefficients' numbers come from one product of the
    draws with a :math:`G\\times(3k+3k^2)` matrix and :math:`O(k^3)` arithmetic per draw, never a
    G-vector per draw and coefficient. Intervals are found by bisection on them (Roodman,
    MacKinnon, Nielsen & Webb 2019, §§3-5). The draws are made in chunks of :func:`~disparity._resample.chunk_size`, so
    memory is O(chunk × G) plus the five numbers per draw and coefficient.

    The p-value is :math:`B^{-1}\\sum_b 1(|t^*_b| > |t|)`; ties are not counted (weight vectors
    constant across clusters reproduce the sample, :math:`|t^*| = |t|`), the rule of boottest and
    wildboottest: with 7 clusters, enumerated, p-values are multiples of :math:`1/64` such as
    :math:`36/128`. Both t-statistics use the CR1 variance with
    :math:`m = \\frac{G}{G-1}\\frac{N-1}{N-k}`.

    References
    ----------
    Roodman, D., MacKinnon, J. G., Nielsen, M. Ø. & Webb, M. D. (2019). Fast and wild: Bootstrap
    inference in Stata using boottest. *The Stata Journal* 19(1), 4-60.
    MacKinnon, J. G. & Webb, M. D. (2017). Wild bootstrap inference for wildly different cluster
    sizes. *Journal of Applied Econometrics* 32(2), 233-254.
    Webb, M. D. (2023). Reworking wild bootstrap-based inference for clustered errors. *Canadian
    Journal of Economics* 56(3), 839-858.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(7), 20)
    >>> X = np.column_stack([np.ones(140), rng.normal(size=140)])
    >>> y = X @ [1.0, 0.2] + rng.normal(size=7)[g] + rng.normal(size=140)
    >>> bread = np.linalg.inv(X.T @ X)
    >>> wb = wild_cluster_bootstrap(X, y, codes=g, bread=bread, params=bread @ X.T @ y)
    >>> wb.enumerated, wb.draws, round(wb.pvalues[1] * 64)
    (True, 128, 6)
    """
    check_option("boot_weights", boot_weights, BOOT_WEIGHTS)
    reps = _resample.check_reps(reps, minimum=99, what="wild cluster bootstrap (9999 is customary)")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, k = X.shape
    codes = np.asarray(codes)
    G = int(codes.max()) + 1
    if G < 2:
        raise DataValueError(
            "wild cluster bootstrap: there is a single cluster, so cluster-robust inference is "
            "impossible; cluster by a finer variable or use a heteroskedasticity-robust vcov."
        )
    support = _SUPPORT[boot_weights]
    n_patterns = len(support) ** G  # a Python int: exact for any G
    # With few clusters all patterns are few (at most 6^5 = 7,776) and are always enumerated.
    enumerated = n_patterns <= reps or G <= FEW_CLUSTERS_WARN
    n_draws = n_patterns // 2 if enumerated else reps
    if G <= FEW_CLUSTERS_WARN:
        warnings.warn(
            f"wild cluster bootstrap with only {G} clusters: all {n_patterns:,} {boot_weights} "
            f"weight patterns are enumerated, so p-values are multiples of {2 / n_patterns:.3g} "
            "(a p-value of 0 only says that no pattern gave a larger |t|) and intervals may be "
            "unbounded; with this few clusters even the wild bootstrap can over- or under-reject "
            "badly (MacKinnon & Webb 2017). Treat the result as indicative"
            + (" and consider boot_weights='webb' (6^G patterns)." if boot_weights == "rademacher"
               else "."),
            FewClustersWarning,
            stacklevel=3,
        )
    width = 3 * k + 3 * k * k  # columns of the right-hand side the draws multiply
    # the chunk size of earlier versions (it sets how the seeded stream of draws is cut)
    chunk = _resample.chunk_size(n_draws, 5 * G + 3 * k + k * k)
    flops_per_draw = 2 * G * (width + (3 * k if boot_weights != "rademacher" else 0)) + 30 * k * k
    _resample.check_budget(
        "wild cluster bootstrap",
        reps=n_draws,
        bytes_needed=8.0 * (5 * k * n_draws + chunk * (G + width + 6 * k * k) + 2 * G * k * k + 3 * n),
        seconds_needed=n_draws * flops_per_draw / FLOPS,
        hint="use fewer draws (9999 is customary)",
    )
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    rng = np.random.default_rng(seed)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    m = G / (G - 1) * (n - 1) / (n - k)
    out = np.empty((k, 5, n_draws))
    expected = n_draws * flops_per_draw / FLOPS
    with _resample.progress_bar(n_draws, desc="wild bootstrap", expected_seconds=expected,
                                progress=progress) as bar, _resample.single_threaded_blas():
        # Cluster-level cross products X_g'WX_g (G x k x k) by one bincount per distinct product.
        M = np.empty((G, k, k))
        for a in range(k):
            wa = w * X[:, a]
            for b in range(a, k):
                M[:, a, b] = M[:, b, a] = np.bincount(codes, weights=wa * X[:, b], minlength=G)
        wu = (y - X @ params) * w
        S_hat = np.column_stack([np.bincount(codes, weights=wu * X[:, a], minlength=G) for a in range(k)])

        A = np.asarray(bread, dtype=float)
        ajj = np.diag(A).copy()
        Q = np.einsum("gab,bj->gja", M, A)  # Q[g, j] = q_g for coefficient j = X_g'WX_g A e_j
        c1 = np.einsum("gja,aj->gj", Q, A) / ajj  # (G, k): c1_g = q_g'a / a_jj
        c0 = S_hat @ A + c1 * params  # (G, k): c0_g = a's_g at r = 0
        se_in = np.sqrt(m * np.einsum("gj,gj->j", S_hat @ A, S_hat @ A))  # CR1 of the sample
        # The bootstrap scores of coefficient j are b0 - r b1 with b = v o c - P_j u (P_j = Q_j A,
        # u linear in v); their squares and product expand into v-linear k-vectors and k x k
        # forms, so a draw needs one product with G x (3k + 3k^2) numbers, never a G-vector per
        # coefficient: |b|^2 = sum v^2 c^2 - 2 (v'diag(c)P_j) u + u'(P_j'P_j)u.
        P = Q @ A  # (G, k, k): P[g, j] = A q_g (A symmetric)
        E0 = c0[:, :, None] * P
        E1 = c1[:, :, None] * P
        K = np.einsum("gja,gjb->jab", P, P)  # (k, k, k)
        R = np.column_stack([S_hat, Q.reshape(G, k * k), c0, c1, E0.reshape(G, k * k), E1.reshape(G, k * k)])
        C2 = np.column_stack([c0 * c0, c0 * c1, c1 * c1])  # (G, 3k): v^2-weighted sums
        # Scale of each a11 (an upper bound of sum_g v_g^2 c1_g^2) for telling rounding from zero.
        scale11 = (c1 * c1).sum(axis=0) * float(np.max(support**2))
        kk = k * k
        RT = np.ascontiguousarray(R.T)  # draws in the last axis: every operation below is on rows
        o = 3 * k + kk
        s2 = C2.sum(axis=0)[:, None]  # Rademacher: v^2 = 1
        for s, e in _resample.chunks(n_draws, chunk):
            V = (_enumerated_draws(s, e, G, boot_weights) if enumerated
                 else _random_draws(rng, e - s, G, boot_weights))
            c = e - s
            VR = RT @ V.T  # (width, draws)
            U1 = VR[k:k + kk].reshape(k, k, c) / ajj[:, None, None]  # (j, a, draw)
            U0 = U1 * params[:, None, None] + VR[None, :k]
            VE0 = VR[o:o + kk].reshape(k, k, c)
            VE1 = VR[o + kk:].reshape(k, k, c)
            sq = s2 if boot_weights == "rademacher" else C2.T @ (V * V).T
            KU1 = K @ U1
            KU0 = K @ U0
            a11 = sq[2 * k:] + (U1 * (KU1 - 2 * VE1)).sum(axis=1)
            a01 = sq[k:2 * k] + (U0 * (KU1 - VE1)).sum(axis=1) - (VE0 * U1).sum(axis=1)
            a00 = sq[:k] + (U0 * (KU0 - 2 * VE0)).sum(axis=1)
            zero = a11 <= ZERO_RTOL * scale11[:, None]
            a11[zero] = 0.0
            a01[zero] = 0.0
            np.maximum(a00, 0.0, out=a00)
            out[:, 0, s:e] = VR[k + kk:2 * k + kk]
            out[:, 1, s:e] = VR[2 * k + kk:o]
            out[:, 2, s:e] = a00
            out[:, 3, s:e] = a01
            out[:, 4, s:e] = a11
            bar.update(e - s)
    coefs = tuple(
        _CoefBoot(estimate=float(params[j]), se=float(se_in[j]), arr=out[j], m=m) for j in range(k)
    )
    pvals = np.array([c.pvalue(0.0) for c in coefs])
    return WildBootstrap(pvals, coefs, reps, boot_weights, seed, G, enumerated,
                         n_patterns if enumerated else reps)
