"""Scores and the meats of sandwich variances, formed by row blocks.

Part of :mod:`disparity.models.covariance` (split only to keep modules short). Scores come either
as an ``n x k`` array or, for single-index models (least squares, GLMs), as
:class:`IndexScores`: :math:`s_i = x_i w_i r_i` with the design ``X`` and the generalised
residual :math:`r_i`, which are never multiplied out. Every meat here walks the rows in blocks of
:data:`MEAT_BLOCK`, so its temporaries are ``block x k``, never ``n x k`` (issue 22: the memory of
a regression is the design and what it must keep).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special

from ..errors import DataValueError, SpecificationError

__all__ = ["IndexScores", "Scores", "MEAT_BLOCK", "score_gram", "cluster_sums", "dense_scores"]

#: Rows per block when a meat is formed: temporaries of block x k, not n x k.
MEAT_BLOCK = 65_536

Link = Literal["identity", "logit", "probit"]


@dataclass(frozen=True)
class IndexScores:
    """Scores :math:`s_i = x_i\\,w_i\\,r_i` of a single-index model, formed by row blocks.

    ``X`` (n, k) is the design whose scores enter the meat; the residual :math:`r_i` is either
    given (``resid``, shape (n,)) or computed block by block from ``y`` and ``params`` with
    ``link``: "identity" :math:`r = y - x'b` (least squares; in extended precision when
    ``extended``), "logit" :math:`r = y - \\Lambda(x'b)`, "probit"
    :math:`r = (y-\\Phi)\\phi/[\\Phi(1-\\Phi)]` (the score of the Bernoulli log likelihood in
    :math:`\\eta`). ``weights`` (n,) or None multiply the scores.
    """

    X: np.ndarray
    resid: np.ndarray | None = None
    y: np.ndarray | None = None
    params: np.ndarray | None = None
    link: Link = "identity"
    weights: np.ndarray | None = None
    extended: bool = False

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def k(self) -> int:
        return int(self.X.shape[1])

    def r_block(self, s: int, e: int) -> np.ndarray:
        """Residuals of rows ``s:e``."""
        if self.resid is not None:
            return self.resid[s:e]
        assert self.y is not None and self.params is not None
        Xb, yb = self.X[s:e], self.y[s:e]
        if self.link == "identity":
            if self.extended:
                ext = np.longdouble
                return np.asarray(yb.astype(ext) - Xb.astype(ext) @ self.params.astype(ext), float)
            return yb - Xb @ self.params
        eta = Xb @ self.params
        if self.link == "logit":
            return yb - special.expit(eta)
        mu = special.ndtr(eta)
        return (yb - mu) * (np.exp(-0.5 * eta * eta) / np.sqrt(2 * np.pi)) / (mu * (1 - mu))

    def u_block(self, s: int, e: int) -> np.ndarray:
        """:math:`w_i r_i` of rows ``s:e``."""
        r = self.r_block(s, e)
        return r if self.weights is None else self.weights[s:e] * r

    def residuals(self) -> np.ndarray:
        """All residuals :math:`r` (an n-vector; given ones are returned, not copied)."""
        if self.resid is not None:
            return self.resid
        return np.concatenate([self.r_block(s, e) for s, e in blocks(self.n)]) if self.n else np.zeros(0)

    def u(self) -> np.ndarray:
        """All :math:`w_i r_i` (an n-vector)."""
        r = self.residuals()
        return r if self.weights is None else self.weights * r


Scores = np.ndarray | IndexScores


def blocks(n: int, size: int | None = None) -> Iterator[tuple[int, int]]:
    """Row ranges ``(start, stop)`` of blocks of ``size`` (default :data:`MEAT_BLOCK`) rows."""
    size = size or MEAT_BLOCK
    for s in range(0, n, size):
        yield s, min(s + size, n)


def dense_scores(scores: Scores) -> np.ndarray:
    """The ``n x k`` array of scores (formed only where a meat needs all of them at once)."""
    if isinstance(scores, np.ndarray):
        return scores
    return scores.X * scores.u()[:, None]


def _block(scores: Scores, s: int, e: int) -> np.ndarray:
    if isinstance(scores, np.ndarray):
        return scores[s:e]
    return scores.X[s:e] * scores.u_block(s, e)[:, None]


def score_gram(scores: Scores, *, fweights: np.ndarray | None = None) -> np.ndarray:
    """:math:`\\sum_i s_i s_i'`; with fweights (replicated rows) :math:`\\sum_i s_i s_i'/w_i`."""
    if isinstance(scores, np.ndarray):
        n, k = scores.shape
    else:
        n, k = scores.n, scores.k
    out = np.zeros((k, k))
    for s, e in blocks(n):
        A = _block(scores, s, e)
        if fweights is None:
            out += A.T @ A
        elif isinstance(scores, IndexScores):
            out += A.T @ (scores.X[s:e] * scores.r_block(s, e)[:, None])
        else:
            out += A.T @ (A / fweights[s:e, None])
    return out


def cluster_sums(scores: Scores, codes: np.ndarray) -> np.ndarray:
    """``(G, k)`` sums of the scores within each cluster (``codes`` 0..G-1), by row blocks.

    Blocks hold at least ``G`` rows, so the per-block grouped sums cost no more than the result.
    """
    n = scores.shape[0] if isinstance(scores, np.ndarray) else scores.n
    k = scores.shape[1] if isinstance(scores, np.ndarray) else scores.k
    G = int(codes.max()) + 1 if n else 0
    S = np.zeros((G, k))
    for s, e in blocks(n, max(MEAT_BLOCK, G)):
        cb = codes[s:e]
        if isinstance(scores, IndexScores):  # column by column: no block x k product
            u, Xb = scores.u_block(s, e), scores.X[s:e]
            for j in range(k):
                S[:, j] += np.bincount(cb, weights=Xb[:, j] * u, minlength=G)
            continue
        A = scores[s:e]
        for j in range(k):
            S[:, j] += np.bincount(cb, weights=A[:, j], minlength=G)
    return S


def _cluster_meat(scores: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, int]:
    """:math:`\\sum_g S_g S_g'` of the cluster sums of ``scores`` (n x k) and the number of clusters."""
    S = cluster_sums(scores, codes)
    return S.T @ S, S.shape[0]


def _weighted_gram(X: np.ndarray, u: np.ndarray, v: np.ndarray | None = None) -> np.ndarray:
    """``sum_i u_i v_i x_i x_i'`` (``v = u`` when None) by row blocks, without an n x k copy."""
    if v is None:
        return score_gram(IndexScores(X, resid=u))
    out = np.zeros((X.shape[1], X.shape[1]))
    for s, e in blocks(X.shape[0]):
        out += (X[s:e] * (u[s:e] * v[s:e])[:, None]).T @ X[s:e]
    return out


def _cluster_meat_xu(X: np.ndarray, u: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, int]:
    """:func:`_cluster_meat` of the scores ``X * u[:, None]``, formed by row blocks."""
    return _cluster_meat(IndexScores(X, resid=u), codes)  # type: ignore[arg-type]


def _group_sum(S: np.ndarray, scores: np.ndarray, codes: np.ndarray) -> None:
    S[:] = cluster_sums(scores, codes)


def leverage(X: np.ndarray, bread: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    h = np.einsum("ij,jk,ik->i", X, bread, X, optimize=True)
    return h if weights is None else h * weights


def hac_meat(scores: np.ndarray, bandwidth: int) -> np.ndarray:
    """Bartlett-kernel (Newey-West) long-run variance of the rows of ``scores`` (in time order)."""
    S = scores.T @ scores
    for lag in range(1, int(bandwidth) + 1):
        w = 1 - lag / (bandwidth + 1)
        G = scores[lag:].T @ scores[:-lag]
        S += w * (G + G.T)
    return S


def cluster_codes(
    data: pd.DataFrame, cluster: str | list[str] | tuple[str, ...], index: pd.Index
) -> list[np.ndarray]:
    """Integer codes of each clustering variable on the estimation rows; checks for problems."""
    names = [cluster] if isinstance(cluster, str) else list(cluster)
    if not 1 <= len(names) <= 2:
        raise SpecificationError(
            "cluster= takes one column name or a list of two (two-way clustering)."
        )
    out = []
    for c in names:
        if c not in data.columns:
            raise SpecificationError(f"Cluster column {c!r} is not in the data.")
        col = data[c] if index.equals(data.index) else data.loc[index, c]
        if col.isna().any():
            rows = list(col.index[col.isna()][:5])
            raise DataValueError(
                f"Cluster column {c!r} has {int(col.isna().sum())} missing values (rows {rows}); "
                "fill them or drop those rows before fitting: observations cannot be assigned to a cluster."
            )
        codes, G = _factorize(col)
        if G < 2:
            raise DataValueError(
                f"Cluster column {c!r} has a single cluster in the estimation sample; cluster-robust "
                "variances need at least two (use vcov='HC1', or a coarser/finer clustering variable)."
            )
        out.append(codes)
    return out


def _factorize(col: pd.Series) -> tuple[np.ndarray, int]:
    """Codes 0..G-1 in sorted order of the values (``pd.factorize(sort=True)``) and G.

    Codes are int32 when they fit (half the memory of one n-vector; the meats cast them by
    blocks); integer columns of moderate range are coded through a table of their range, without
    hashing or sorting n values.
    """
    # only plain integer columns are turned into an array here: to_numpy() of a categorical of
    # (arrow) strings builds an object array, slower than factorizing the categorical's codes
    a = col.to_numpy() if getattr(col.dtype, "kind", "O") in "iu" else None
    if a is not None and a.dtype.kind in "iu" and a.size:
        lo, hi = int(a.min()), int(a.max())
        if hi - lo <= 4 * a.size + 1024:
            present = np.zeros(hi - lo + 1, dtype=bool)
            for s in range(0, a.size, 1 << 16):
                present[a[s:s + (1 << 16)] - lo] = True
            table = (np.cumsum(present) - 1).astype(np.int32 if present.size < 2**31 else np.intp)
            codes = np.empty(a.size, dtype=table.dtype)
            for s in range(0, a.size, 1 << 16):
                codes[s:s + (1 << 16)] = table[a[s:s + (1 << 16)] - lo]
            return codes, int(present.sum())
    codes, uniques = pd.factorize(col, sort=True)
    G = len(uniques)
    return codes.astype(np.int32 if G < 2**31 else np.intp, copy=False), G
