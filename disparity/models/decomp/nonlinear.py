"""Nonlinear (logit/probit) Blinder-Oaxaca decomposition for binary outcomes (Yun 2004 weights)."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["binary_pieces", "binary_pieces_infl", "cdf_pdf"]


def cdf_pdf(link: str, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Response probability and its derivative for the logit or probit link."""
    if link == "logit":
        p = 1.0 / (1.0 + np.exp(-eta))
        return p, p * (1.0 - p)
    return stats.norm.cdf(eta), stats.norm.pdf(eta)


def _wavg(v: np.ndarray, w: np.ndarray) -> float:
    return float(np.dot(w, v) / w.sum())


def binary_pieces(Xt, w, a, ba, bb, bs, link) -> tuple[np.ndarray, float, float]:
    """Per-column explained, unexplained, unexplained-A and unexplained-B contributions (4 x columns),
    predicted means of A and B.

    Overall parts use the counterfactual :math:`\\bar F_g(\\beta)` (mean predicted probability in
    group g with coefficients β): unexplained A :math:`= \\bar F_A(\\beta_A) - \\bar F_A(\\beta^*)`,
    unexplained B :math:`= \\bar F_B(\\beta^*) - \\bar F_B(\\beta_B)`; the detailed split uses Yun's
    (2004) first-order weights.
    """
    F = lambda rows, b: cdf_pdf(link, Xt[rows] @ b)[0]  # noqa: E731
    ma, mb = _wavg(F(a, ba), w[a]), _wavg(F(~a, bb), w[~a])
    ea, eb = _wavg(F(a, bs), w[a]), _wavg(F(~a, bs), w[~a])
    explained = ea - eb
    unexplained = (ma - mb) - explained
    xa, xb = (w[a] @ Xt[a]) / w[a].sum(), (w[~a] @ Xt[~a]) / w[~a].sum()
    nq = (xa - xb) * bs
    nu = xa * (ba - bs) + xb * (bs - bb)
    nua, nub = xa * (ba - bs), xb * (bs - bb)
    return np.vstack([explained * nq / nq.sum(), unexplained * nu / nu.sum(),
                      _split(ma - ea, nua), _split(eb - mb, nub)]), ma, mb


def _split(total: float, num: np.ndarray) -> np.ndarray:
    """Yun's weights ``total * num / sum(num)``; zero when the part is identically zero (its group's
    coefficients are the reference)."""
    den = num.sum()
    return np.zeros_like(num) if not np.any(num) else total * num / den


def binary_pieces_infl(Xt, w, a, ba, bb, bs, link, Ixa, Ixb, Iba, Ibb, Ibs):
    """Influence functions of :func:`binary_pieces` (columns: explained_k..., unexplained_k...,
    unexplained-A_k..., unexplained-B_k..., gap, mean_a, mean_b)."""
    n = Xt.shape[0]

    def mean_pred(rows: np.ndarray, b: np.ndarray, Ib: np.ndarray) -> tuple[float, np.ndarray]:
        p, dens = cdf_pdf(link, Xt[rows] @ b)
        wr = w[rows]
        m = _wavg(p, wr)
        grad = (wr * dens) @ Xt[rows] / wr.sum()
        infl = Ib @ grad
        infl[rows] += wr * (p - m) / wr.sum()
        return m, infl

    ma, Ima = mean_pred(a, ba, Iba)
    mb, Imb = mean_pred(~a, bb, Ibb)
    ea, Iea = mean_pred(a, bs, Ibs)
    eb, Ieb = mean_pred(~a, bs, Ibs)
    expl, Iexpl = ea - eb, Iea - Ieb
    unex, Iunex = (ma - mb) - expl, (Ima - Imb) - Iexpl
    xa, xb = (w[a] @ Xt[a]) / w[a].sum(), (w[~a] @ Xt[~a]) / w[~a].sum()
    nq = (xa - xb) * bs
    Inq = (Ixa - Ixb) * bs + (xa - xb) * Ibs
    nu = xa * (ba - bs) + xb * (bs - bb)
    Inu = Ixa * (ba - bs) + xa * (Iba - Ibs) + Ixb * (bs - bb) + xb * (Ibs - Ibb)

    def share(total: float, Itotal: np.ndarray, num: np.ndarray, Inum: np.ndarray) -> np.ndarray:
        if not np.any(num):  # a part that is zero by construction (reference = that group)
            return np.zeros_like(Inum)
        den, Iden = num.sum(), Inum.sum(axis=1)
        return (Itotal[:, None] * num / den + total * Inum / den
                - total * num / den**2 * Iden[:, None])

    nua, Inua = xa * (ba - bs), Ixa * (ba - bs) + xa * (Iba - Ibs)
    nub, Inub = xb * (bs - bb), Ixb * (bs - bb) + xb * (Ibs - Ibb)
    assert Inq.shape[0] == n
    return np.column_stack([
        share(expl, Iexpl, nq, Inq), share(unex, Iunex, nu, Inu),
        share(ma - ea, Ima - Iea, nua, Inua), share(eb - mb, Ieb - Imb, nub, Inub), Ima - Imb, Ima, Imb,
    ])
