"""Weak-instrument critical values: Stock-Yogo (2005) tables and Montiel Olea-Pflueger (2013).

Stock-Yogo critical values are published numbers, transcribed here for up to 30 excluded
instruments (the range of the paper's tables) and checked in ``tests/models/test_iv_weak.py``
against cells of two further copies (Stata ``ivreg2``'s tables and the R package ``cragg``'s
tests). The Montiel Olea-Pflueger effective F and its critical values are computed from the
reduced-form and first-stage moments (one endogenous regressor), as Stata's ``weakivtest`` does.

References: Stock, J. H. & Yogo, M. (2005). Testing for weak instruments in linear IV regression.
In Andrews & Stock (eds.), *Identification and Inference for Econometric Models*, CUP, 80-108
(Tables 5.1-5.3). Montiel Olea, J. L. & Pflueger, C. (2013). A robust test for weak instruments.
*Journal of Business & Economic Statistics* 31(3), 358-369.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from . import covariance as cv

# Stock, J. H. & Yogo, M. (2005), Tables 5.1-5.3: critical values of the Cragg-Donald minimum-
# eigenvalue F (5% tests), keyed by the number of endogenous regressors n and then by the number
# of excluded instruments K2. Relative-bias rows start at K2 = n + 2 (the bias is defined there).

#: Table 5.1: 2SLS relative bias b = 5/10/20/30%, by n endogenous and K2 instruments.
SY_2SLS_BIAS: dict[int, dict[int, tuple[float, float, float, float]]] = {
    1: {
        3: (13.91, 9.08, 6.46, 5.39), 4: (16.85, 10.27, 6.71, 5.34), 5: (18.37, 10.83, 6.77, 5.25),
        6: (19.28, 11.12, 6.76, 5.15), 7: (19.86, 11.29, 6.73, 5.07), 8: (20.25, 11.39, 6.69, 4.99),
        9: (20.53, 11.46, 6.65, 4.92), 10: (20.74, 11.49, 6.61, 4.86), 11: (20.90, 11.51, 6.56, 4.80),
        12: (21.01, 11.52, 6.53, 4.75), 13: (21.10, 11.52, 6.49, 4.71), 14: (21.18, 11.52, 6.45, 4.67),
        15: (21.23, 11.51, 6.42, 4.63), 16: (21.28, 11.50, 6.39, 4.59), 17: (21.31, 11.49, 6.36, 4.56),
        18: (21.34, 11.48, 6.33, 4.53), 19: (21.36, 11.46, 6.31, 4.51), 20: (21.38, 11.45, 6.28, 4.48),
        21: (21.39, 11.44, 6.26, 4.46), 22: (21.40, 11.42, 6.24, 4.43), 23: (21.41, 11.41, 6.22, 4.41),
        24: (21.41, 11.40, 6.20, 4.39), 25: (21.42, 11.38, 6.18, 4.37), 26: (21.42, 11.37, 6.16, 4.35),
        27: (21.42, 11.36, 6.14, 4.34), 28: (21.42, 11.34, 6.13, 4.32), 29: (21.42, 11.33, 6.11, 4.31),
        30: (21.42, 11.32, 6.09, 4.29),
    },
    2: {
        4: (11.04, 7.56, 5.57, 4.73), 5: (13.97, 8.78, 5.91, 4.79), 6: (15.72, 9.48, 6.08, 4.78),
        7: (16.88, 9.92, 6.16, 4.76), 8: (17.70, 10.22, 6.20, 4.73), 9: (18.30, 10.43, 6.22, 4.69),
        10: (18.76, 10.58, 6.23, 4.66), 11: (19.12, 10.69, 6.23, 4.62), 12: (19.40, 10.78, 6.22, 4.59),
        13: (19.64, 10.84, 6.21, 4.56), 14: (19.83, 10.89, 6.20, 4.53), 15: (19.98, 10.93, 6.19, 4.50),
        16: (20.12, 10.96, 6.17, 4.48), 17: (20.23, 10.99, 6.16, 4.45), 18: (20.33, 11.00, 6.14, 4.43),
        19: (20.41, 11.02, 6.13, 4.41), 20: (20.48, 11.03, 6.11, 4.39), 21: (20.54, 11.04, 6.10, 4.37),
        22: (20.60, 11.05, 6.08, 4.35), 23: (20.65, 11.05, 6.07, 4.33), 24: (20.69, 11.05, 6.06, 4.32),
        25: (20.73, 11.06, 6.05, 4.30), 26: (20.76, 11.06, 6.03, 4.29), 27: (20.79, 11.06, 6.02, 4.27),
        28: (20.82, 11.05, 6.01, 4.26), 29: (20.84, 11.05, 6.00, 4.24), 30: (20.86, 11.05, 5.99, 4.23),
    },
    3: {
        5: (9.53, 6.61, 4.99, 4.30), 6: (12.20, 7.77, 5.35, 4.40), 7: (13.95, 8.50, 5.56, 4.44),
        8: (15.18, 9.01, 5.69, 4.46), 9: (16.10, 9.37, 5.78, 4.46), 10: (16.80, 9.64, 5.83, 4.45),
        11: (17.35, 9.85, 5.87, 4.44), 12: (17.80, 10.01, 5.90, 4.42), 13: (18.17, 10.14, 5.92, 4.41),
        14: (18.47, 10.25, 5.93, 4.39), 15: (18.73, 10.33, 5.94, 4.37), 16: (18.94, 10.41, 5.94, 4.36),
        17: (19.13, 10.47, 5.94, 4.34), 18: (19.29, 10.52, 5.94, 4.32), 19: (19.44, 10.56, 5.94, 4.31),
        20: (19.56, 10.60, 5.93, 4.29), 21: (19.67, 10.63, 5.93, 4.28), 22: (19.77, 10.65, 5.92, 4.27),
        23: (19.86, 10.68, 5.92, 4.25), 24: (19.94, 10.70, 5.91, 4.24), 25: (20.01, 10.71, 5.90, 4.23),
        26: (20.07, 10.73, 5.90, 4.21), 27: (20.13, 10.74, 5.89, 4.20), 28: (20.18, 10.75, 5.88, 4.19),
        29: (20.23, 10.76, 5.88, 4.18), 30: (20.27, 10.77, 5.87, 4.17),
    },
}

#: Table 5.2: 2SLS Wald test maximal size r = 10/15/20/25%, by n and K2.
SY_2SLS_SIZE: dict[int, dict[int, tuple[float, float, float, float]]] = {
    1: {
        1: (16.38, 8.96, 6.66, 5.53), 2: (19.93, 11.59, 8.75, 7.25), 3: (22.30, 12.83, 9.54, 7.80),
        4: (24.58, 13.96, 10.26, 8.31), 5: (26.87, 15.09, 10.98, 8.84), 6: (29.18, 16.23, 11.72, 9.38),
        7: (31.50, 17.38, 12.48, 9.93), 8: (33.84, 18.54, 13.24, 10.50), 9: (36.19, 19.71, 14.01, 11.07),
        10: (38.54, 20.88, 14.78, 11.65), 11: (40.90, 22.06, 15.56, 12.23), 12: (43.27, 23.24, 16.35, 12.82),
        13: (45.64, 24.42, 17.14, 13.41), 14: (48.01, 25.61, 17.93, 14.00), 15: (50.39, 26.80, 18.72, 14.60),
        16: (52.77, 27.99, 19.51, 15.19), 17: (55.15, 29.19, 20.31, 15.79), 18: (57.53, 30.38, 21.10, 16.39),
        19: (59.92, 31.58, 21.90, 16.99), 20: (62.30, 32.77, 22.70, 17.60), 21: (64.69, 33.97, 23.50, 18.20),
        22: (67.07, 35.17, 24.30, 18.80), 23: (69.46, 36.37, 25.10, 19.41), 24: (71.85, 37.57, 25.90, 20.01),
        25: (74.24, 38.77, 26.71, 20.61), 26: (76.62, 39.97, 27.51, 21.22), 27: (79.01, 41.17, 28.31, 21.83),
        28: (81.40, 42.37, 29.12, 22.43), 29: (83.79, 43.57, 29.92, 23.04), 30: (86.17, 44.78, 30.72, 23.65),
    },
    2: {
        2: (7.03, 4.58, 3.95, 3.63), 3: (13.43, 8.18, 6.40, 5.45), 4: (16.87, 9.93, 7.54, 6.28),
        5: (19.45, 11.22, 8.38, 6.89), 6: (21.68, 12.33, 9.10, 7.42), 7: (23.72, 13.34, 9.77, 7.91),
        8: (25.64, 14.31, 10.41, 8.39), 9: (27.51, 15.24, 11.03, 8.85), 10: (29.32, 16.16, 11.65, 9.31),
        11: (31.11, 17.06, 12.25, 9.77), 12: (32.88, 17.95, 12.86, 10.22), 13: (34.62, 18.84, 13.45, 10.68),
        14: (36.36, 19.72, 14.05, 11.13), 15: (38.08, 20.60, 14.65, 11.58), 16: (39.80, 21.48, 15.24, 12.03),
        17: (41.51, 22.35, 15.83, 12.49), 18: (43.22, 23.22, 16.42, 12.94), 19: (44.92, 24.09, 17.02, 13.39),
        20: (46.62, 24.96, 17.61, 13.84), 21: (48.31, 25.82, 18.20, 14.29), 22: (50.01, 26.69, 18.79, 14.74),
        23: (51.70, 27.56, 19.38, 15.19), 24: (53.39, 28.42, 19.97, 15.64), 25: (55.07, 29.29, 20.56, 16.10),
        26: (56.76, 30.15, 21.15, 16.55), 27: (58.45, 31.02, 21.74, 17.00), 28: (60.13, 31.88, 22.33, 17.45),
        29: (61.82, 32.74, 22.92, 17.90), 30: (63.51, 33.61, 23.51, 18.35),
    },
}

#: Table 5.3: LIML Wald test maximal size r = 10/15/20/25%, by n and K2.
SY_LIML_SIZE: dict[int, dict[int, tuple[float, float, float, float]]] = {
    1: {
        1: (16.38, 8.96, 6.66, 5.53), 2: (8.68, 5.33, 4.42, 3.92), 3: (6.46, 4.36, 3.69, 3.32),
        4: (5.44, 3.87, 3.30, 2.98), 5: (4.84, 3.56, 3.05, 2.77), 6: (4.45, 3.34, 2.87, 2.61),
        7: (4.18, 3.18, 2.73, 2.49), 8: (3.97, 3.04, 2.63, 2.39), 9: (3.81, 2.93, 2.54, 2.32),
        10: (3.68, 2.84, 2.46, 2.25), 11: (3.58, 2.76, 2.40, 2.19), 12: (3.50, 2.69, 2.34, 2.14),
        13: (3.42, 2.63, 2.29, 2.10), 14: (3.36, 2.57, 2.25, 2.06), 15: (3.31, 2.52, 2.21, 2.03),
        16: (3.27, 2.48, 2.18, 2.00), 17: (3.24, 2.44, 2.14, 1.97), 18: (3.20, 2.41, 2.11, 1.94),
        19: (3.18, 2.37, 2.09, 1.92), 20: (3.21, 2.34, 2.06, 1.90), 21: (3.39, 2.32, 2.04, 1.88),
        22: (3.57, 2.29, 2.02, 1.86), 23: (3.68, 2.27, 2.00, 1.84), 24: (3.75, 2.25, 1.98, 1.83),
        25: (3.79, 2.24, 1.96, 1.81), 26: (3.82, 2.22, 1.95, 1.80), 27: (3.85, 2.21, 1.93, 1.78),
        28: (3.86, 2.20, 1.92, 1.77), 29: (3.87, 2.19, 1.90, 1.76), 30: (3.88, 2.18, 1.89, 1.75),
    },
    2: {
        2: (7.03, 4.58, 3.95, 3.63), 3: (5.44, 3.81, 3.32, 3.09), 4: (4.72, 3.39, 2.99, 2.79),
        5: (4.32, 3.13, 2.78, 2.60), 6: (4.06, 2.95, 2.63, 2.46), 7: (3.90, 2.83, 2.52, 2.35),
        8: (3.78, 2.73, 2.43, 2.27), 9: (3.70, 2.66, 2.36, 2.20), 10: (3.64, 2.60, 2.30, 2.14),
        11: (3.60, 2.55, 2.25, 2.09), 12: (3.58, 2.52, 2.21, 2.05), 13: (3.56, 2.48, 2.17, 2.02),
        14: (3.55, 2.46, 2.14, 1.99), 15: (3.54, 2.44, 2.11, 1.96), 16: (3.55, 2.42, 2.09, 1.93),
        17: (3.55, 2.41, 2.07, 1.91), 18: (3.56, 2.40, 2.05, 1.89), 19: (3.57, 2.39, 2.03, 1.87),
        20: (3.58, 2.38, 2.02, 1.86), 21: (3.59, 2.38, 2.01, 1.84), 22: (3.60, 2.37, 1.99, 1.83),
        23: (3.62, 2.37, 1.98, 1.81), 24: (3.64, 2.37, 1.98, 1.80), 25: (3.65, 2.37, 1.97, 1.79),
        26: (3.67, 2.38, 1.96, 1.78), 27: (3.74, 2.38, 1.96, 1.77), 28: (3.87, 2.38, 1.95, 1.77),
        29: (4.02, 2.39, 1.95, 1.76), 30: (4.12, 2.39, 1.95, 1.75),
    },
}

SY_BIAS_LEVELS = (0.05, 0.10, 0.20, 0.30)
SY_SIZE_LEVELS = (0.10, 0.15, 0.20, 0.25)
SY_MAX_INSTRUMENTS = 30

_SY_NOTE_ROBUST = (
    "Stock-Yogo critical values are for the Cragg-Donald F under i.i.d. errors; compared here "
    "with the Kleibergen-Paap rk Wald F, which they do not strictly cover (as ivreg2 notes)."
)


def stock_yogo_table(estimator: str, p: int, q: int) -> pd.DataFrame | None:
    """Stock-Yogo critical values for ``p`` endogenous regressors and ``q`` excluded instruments.

    2SLS (and GMM/CUE, as ``ivreg2``): relative bias (Table 5.1, p <= 3, q >= p + 2) and Wald
    size (Table 5.2, p <= 2); LIML: Wald size (Table 5.3, p <= 2). ``None`` when no table covers
    the model (more endogenous regressors, or more than 30 instruments).
    """
    rows = []
    if estimator == "liml":
        sizes = SY_LIML_SIZE.get(p, {}).get(q)
        if sizes is not None:
            rows += [("liml_size", r, c) for r, c in zip(SY_SIZE_LEVELS, sizes, strict=True)]
    else:
        bias = SY_2SLS_BIAS.get(p, {}).get(q)
        if bias is not None:
            rows += [("2sls_relative_bias", b, c) for b, c in zip(SY_BIAS_LEVELS, bias, strict=True)]
        sizes = SY_2SLS_SIZE.get(p, {}).get(q)
        if sizes is not None:
            rows += [("2sls_size", r, c) for r, c in zip(SY_SIZE_LEVELS, sizes, strict=True)]
    if not rows:
        return None
    return pd.DataFrame(rows, columns=["table", "threshold", "critical_value"])


def weak_id_table(
    estimator: str, p: int, q: int, kind: str, cragg_donald: float, kp_f: float
) -> pd.DataFrame | None:
    """Stock-Yogo critical values beside the statistic ``ivreg2`` compares them with.

    With ``vcov="iid"`` that is the Cragg-Donald F; otherwise the Kleibergen-Paap rk Wald F, with
    a note that the tables were derived for the Cragg-Donald F and i.i.d. errors.
    """
    tab = stock_yogo_table(estimator, p, q)
    if tab is None:
        return None
    iid = kind == "iid"
    tab["statistic"] = "cragg_donald" if iid else "kleibergen_paap_f"
    tab["value"] = cragg_donald if iid else kp_f
    tab["exceeds"] = tab["value"] > tab["critical_value"]
    tab["note"] = "" if iid else _SY_NOTE_ROBUST
    return tab


# --- Montiel Olea & Pflueger (2013) ----------------------------------------------------------

MOP_TAUS = (0.05, 0.10, 0.20, 0.30)
MOP_ALPHA = 0.05


def _orthonormal(Z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Instruments transformed so that ``Z' W Z / n`` is the identity."""
    n = Z.shape[0]
    R = np.linalg.cholesky(Z.T @ (w[:, None] * Z) / n)
    return np.linalg.solve(R, Z.T).T


def mop_moments(
    y: np.ndarray,
    x: np.ndarray,
    Z: np.ndarray,
    *,
    weights: np.ndarray | None,
    kind: str,
    codes: np.ndarray | None,
    bandwidth: int | None,
    k_total: int,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Effective F and the blocks ``W_1, W_12, W_2`` of the reduced-form moment variance.

    ``y``, ``x`` and ``Z`` have the included exogenous regressors partialled out (weighted);
    ``k_total`` counts every first-stage coefficient (instruments and exogenous regressors).
    With :math:`Z'WZ/n = I`, reduced-form residuals :math:`v_1` (outcome) and :math:`v_2`
    (endogenous regressor), :math:`W` is the variance of :math:`n^{-1/2}\\sum_i w_i (z_i v_{1i},
    z_i v_{2i})` of the kind of the fit (iid: :math:`\\hat\\Omega\\otimes I`), with Stata's
    small-sample factor (:math:`n/(n-k)`; clusters :math:`G/(G-1)\\cdot(n-1)/(n-k)`) whatever
    ``small=``, as ``weakivtest``. :math:`F_{eff} = \\hat\\pi'\\hat\\pi\\, n / \\mathrm{tr}(W_2)`.
    """
    n, q = Z.shape
    w = np.ones(n) if weights is None else weights / np.mean(weights)
    Zo = _orthonormal(Z, w)
    pi_y = Zo.T @ (w * y) / n
    pi_x = Zo.T @ (w * x) / n
    v1, v2 = y - Zo @ pi_y, x - Zo @ pi_x
    f = cv.ssc_factors("stata", N=float(n), k=k_total)
    if kind == "iid":
        V = np.array([[w @ (v1 * v1), w @ (v1 * v2)], [w @ (v2 * v1), w @ (v2 * v2)]])
        W = np.kron(V / f.df_resid, np.eye(q))
    else:
        scores = np.column_stack([Zo * (w * v1)[:, None], Zo * (w * v2)[:, None]])
        if kind == "cluster":
            assert codes is not None
            G = int(codes.max()) + 1
            sums = np.empty((G, 2 * q))
            for j in range(2 * q):
                sums[:, j] = np.bincount(codes, weights=scores[:, j], minlength=G)
            W = sums.T @ sums / n * (G / (G - 1)) * f.cluster_k
        elif kind == "hac":
            W = cv.hac_meat(scores, int(bandwidth or 0)) / n * f.hc1
        else:
            W = scores.T @ scores / n * f.hc1
    W1, W12, W2 = W[:q, :q], W[:q, q:], W[q:, q:]
    f_eff = float(n * pi_x @ pi_x / np.trace(W2))
    return f_eff, W1, W12, W2


def _bias_tsls(beta, W1: np.ndarray, W12: np.ndarray, W2: np.ndarray):
    """Worst-case Nagar bias of 2SLS relative to the benchmark at structural value(s) ``beta``.

    :math:`S_{12} = W_{12} - \beta W_2`, :math:`S_1 = W_1 - 2\beta W_{12} + \beta^2 W_2`;
    the bias ratio is :math:`\\max_\\lambda |\\mathrm{tr}(S_{12}) - 2\\lambda| /
    \\sqrt{\\mathrm{tr}(W_2)\\mathrm{tr}(S_1)}` over the extreme eigenvalues :math:`\\lambda` of the
    symmetric part of :math:`S_{12}` (Montiel Olea & Pflueger 2013, Theorem 1).
    """
    b = np.atleast_1d(np.asarray(beta, dtype=float))[:, None, None]
    S12 = W12[None] - b * W2[None]
    lam = np.linalg.eigvalsh((S12 + np.swapaxes(S12, 1, 2)) / 2)
    t12 = np.trace(S12, axis1=1, axis2=2)
    t1 = np.trace(W1) - 2 * b[:, 0, 0] * np.trace(W12) + b[:, 0, 0] ** 2 * np.trace(W2)
    out = np.maximum(np.abs(t12 - 2 * lam[:, 0]), np.abs(t12 - 2 * lam[:, -1]))
    out = out / np.sqrt(np.trace(W2) * t1)
    return float(out[0]) if np.ndim(beta) == 0 else out


def b_tsls(W1: np.ndarray, W12: np.ndarray, W2: np.ndarray) -> float:
    """:math:`B_e = \\sup_\beta` of the 2SLS bias ratio (Montiel Olea & Pflueger 2013).

    Searched over :math:`\beta = \tan\theta` on a grid of 4001 angles, refined around the best
    one, and compared with the limit :math:`|1 - 2\\lambda_{min}(W_2)/\\mathrm{tr}(W_2)|` as
    :math:`|\beta|\to\\infty`.
    """
    lam2 = np.linalg.eigvalsh(W2)
    best = abs(1 - 2 * lam2[0] / np.trace(W2))
    thetas = np.linspace(-np.pi / 2, np.pi / 2, 4001)[1:-1]
    vals = _bias_tsls(np.tan(thetas), W1, W12, W2)
    i = int(np.argmax(vals))
    lo, hi = thetas[max(i - 1, 0)], thetas[min(i + 1, len(thetas) - 1)]
    res = optimize.minimize_scalar(
        lambda t: -_bias_tsls(np.tan(t), W1, W12, W2), bounds=(lo, hi), method="bounded",
        options={"xatol": 1e-12},
    )
    return float(max(best, vals[i], -res.fun))


def mop_critical_value(W2: np.ndarray, x: float, alpha: float = MOP_ALPHA) -> tuple[float, float]:
    """Critical value and effective degrees of freedom :math:`K_{eff}` for threshold ``x``.

    :math:`K_{eff} = \\mathrm{tr}(W_2)^2(1+2x)/(\\mathrm{tr}(W_2^2) + 2x\\,\\mathrm{tr}(W_2)
    \\lambda_{max}(W_2))`; the critical value is the :math:`1-\\alpha` quantile of the noncentral
    :math:`\\chi^2(K_{eff}, xK_{eff})`, divided by :math:`K_{eff}` (Patnaik's approximation).
    """
    lam = np.linalg.eigvalsh(W2)
    tr = float(np.sum(lam))
    k_eff = tr**2 * (1 + 2 * x) / (float(np.sum(lam**2)) + 2 * x * tr * float(lam[-1]))
    return float(stats.ncx2.ppf(1 - alpha, k_eff, x * k_eff) / k_eff), float(k_eff)


def mop_table(W1: np.ndarray, W12: np.ndarray, W2: np.ndarray, f_eff: float) -> pd.DataFrame:
    """Simplified (:math:`x = 1/\\tau`) and generalized (:math:`x = B_e/\\tau`) critical values.

    :math:`\\tau = 30\\%` uses :math:`x = 1/0.3`; Stata's ``weakivtest`` uses 3.33 (its simplified
    value for one instrument is then 12.039 instead of 12.045).

    References
    ----------
    Montiel Olea, J. L. & Pflueger, C. (2013). A robust test for weak instruments. *Journal of
    Business & Economic Statistics* 31(3), 358-369. Pflueger, C. E. & Wang, S. (2015). A robust
    test for weak instruments in Stata. *Stata Journal* 15(1), 216-225.
    """
    be = b_tsls(W1, W12, W2)
    rows = []
    for tau in MOP_TAUS:
        c_s, k_s = mop_critical_value(W2, 1 / tau)
        c_g, k_g = mop_critical_value(W2, be / tau)
        rows.append({"tau": tau, "effective_f": f_eff, "critical_value": c_s, "k_eff": k_s,
                     "b_tsls": be, "critical_value_generalized": c_g, "k_eff_generalized": k_g})
    return pd.DataFrame(rows)
