"""Absorbing any number of fixed effects: codes, singletons, redundant levels, nesting in clusters.

The within transformation is :func:`demean` (alternating projections, Gaure 2013, with Irons-Tuck
extrapolation when they are slow, as fixest); the rest of the module decides which rows and how
many parameters the effects take.

References
----------
Berge, L. (2018). Efficient estimation of maximum likelihood models with multiple fixed-effects:
the R package FENmlm. CREA Discussion Paper 2018-13, University of Luxembourg.
Irons, B. M. & Tuck, R. C. (1969). A version of the Aitken accelerator for computer iteration.
*International Journal for Numerical Methods in Engineering* 1(3), 275-277.
Correia, S. (2015). Singletons, cluster-robust standard errors and fixed effects: a bad mix.
Technical note, Duke University.
Gaure, S. (2013). OLS with multiple high dimensional category variables. *Computational Statistics
& Data Analysis* 66, 8-18.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import DataValueError, SpecificationError

__all__ = [
    "absorb_columns",
    "absorb_codes",
    "drop_singletons",
    "absorbed_dof",
    "fixest_dof",
    "fe_dof",
    "nested_dof",
    "demean",
    "factor_codes",
]

# Alternating projections stop when no column moves by more than this (relative to its scale).
DEMEAN_TOL = 1e-13
DEMEAN_MAX_ITER = 10_000
# Sweeps of plain alternating projections before Irons-Tuck extrapolation starts (a balanced
# two-way panel converges in one sweep; extrapolating there would only cost passes).
ACCEL_AFTER = 3


def absorb_columns(absorb: str | Sequence[str] | None) -> tuple[str, ...]:
    """``absorb=`` as a tuple of column names (checked)."""
    if absorb is None:
        return ()
    if isinstance(absorb, str):
        cols: tuple = (absorb,)
    elif isinstance(absorb, (list, tuple)):
        cols = tuple(absorb)
    else:
        cols = ()
    if not cols or not all(isinstance(c, str) for c in cols):
        raise SpecificationError(
            f"absorb={absorb!r} must name one column or a list of columns (fixed effects)."
        )
    if len(set(cols)) != len(cols):
        raise SpecificationError(f"absorb={list(cols)!r} names a column twice.")
    return cols


def absorb_codes(data: pd.DataFrame, cols: Sequence[str], index: pd.Index) -> list[np.ndarray]:
    """Integer codes of each fixed effect on the estimation rows."""
    out = []
    for c in cols:
        if c not in data.columns:
            raise SpecificationError(f"Fixed-effect column {c!r} (absorb=) is not in the data.")
        col = data[c] if index.equals(data.index) else data.loc[index, c]
        if col.isna().any():
            raise DataValueError(
                f"Fixed-effect column {c!r} has {int(col.isna().sum())} missing values; fill them or "
                "drop those rows (an observation without a group cannot be absorbed)."
            )
        out.append(factor_codes(col))
    return out


def factor_codes(col: pd.Series) -> np.ndarray:
    """``pd.factorize(col, sort=True)`` codes as ``intp``; integer columns by one counting pass.

    An integer column whose range is at most a few times its length is coded by marking the values
    present (``bincount``) and numbering them in order: the same codes as a sorted factorize,
    without hashing.
    """
    v = col.to_numpy() if isinstance(col, pd.Series) else np.asarray(col)
    if v.dtype.kind in "iu" and v.size:
        lo, hi = int(v.min()), int(v.max())
        if hi - lo <= 4 * v.size + 1024:
            off = (v - lo).astype(np.intp, copy=False)
            present = np.bincount(off, minlength=hi - lo + 1) > 0
            remap = np.cumsum(present, dtype=np.intp) - 1
            return remap[off]
    return pd.factorize(col, sort=True)[0].astype(np.intp)


def drop_singletons(codes: Sequence[np.ndarray]) -> np.ndarray:
    """Rows to keep after repeatedly removing observations alone in some fixed-effect group.

    A singleton is fitted exactly by its own effect: it carries no information about the slopes but
    would inflate the degrees of freedom (Correia 2015). Removing one can create another, so the
    pass repeats until none is left (as reghdfe and fixest do).
    """
    n = codes[0].size
    keep = np.ones(n, dtype=bool)
    while True:
        changed = False
        for g in codes:
            counts = np.bincount(g[keep], minlength=int(g.max()) + 1)
            single = keep & (counts[g] == 1)
            if single.any():
                keep &= ~single
                changed = True
        if not changed:
            return keep


def recode(codes: Sequence[np.ndarray], keep: np.ndarray) -> list[np.ndarray]:
    """Codes on the kept rows, renumbered densely (levels keep their order)."""
    if keep.all():
        return [np.asarray(g, dtype=np.intp) for g in codes]
    out = []
    for g in codes:
        gk = g[keep]
        present = np.bincount(gk, minlength=int(g.max()) + 1) > 0
        out.append((np.cumsum(present, dtype=np.intp) - 1)[gk])
    return out


def demean(
    M: np.ndarray, groups: Sequence[np.ndarray], weights: np.ndarray | None = None,
    *, tol: float = DEMEAN_TOL, max_iter: int = DEMEAN_MAX_ITER,
) -> tuple[np.ndarray, int]:
    r"""Residuals of the columns of ``M`` on one or more sets of dummies (alternating projections).

    Returns the demeaned copy (Fortran order, float64) and the number of sweeps of the slowest
    column. Each projection subtracts the (weighted) group means
    :math:`\bar m_g = \sum_{i \in g} w_i m_i / \sum_{i \in g} w_i` of one set of effects. One
    set is exact in one projection. With :math:`K` sets a column is done once :math:`K-1`
    consecutive projections moved it by less than ``tol`` of its largest absolute value: the
    projection before them left it orthogonal to its own effects, and each later one changes any
    group mean by at most its own (tiny) size, so every set's group means are below
    :math:`(K-1)\,` ``tol`` (Gaure 2013 for the method). When plain sweeps are slow (after
    ``ACCEL_AFTER`` of them) every second sweep is extrapolated by Irons and Tuck (1969), as fixest
    does (Berge 2018): with :math:`\Delta_1 = x_1 - x_0`, :math:`\Delta_2 = x_2 - x_1`,
    :math:`x \leftarrow x_2 - \frac{\Delta_2'(\Delta_2-\Delta_1)}{\|\Delta_2-\Delta_1\|^2}\Delta_2`,
    which stays in :math:`m - \text{span}(D)`, so the limit is the same residual.

    Work is column by column on contiguous float64 columns with integer codes: ``np.bincount``
    for the group sums, one gather of the means, subtraction in place; one copy of ``M`` and O(n)
    extra (two n-vectors for the extrapolation).
    """
    M = np.array(M, dtype=np.float64, order="F", copy=True)
    if M.ndim == 1:
        M = M[:, None]
    groups = [np.asarray(g, dtype=np.intp) for g in groups]
    n, k = M.shape
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    if w is None:
        inv = [1.0 / np.bincount(g).astype(np.float64) for g in groups]
    else:
        tot = [np.bincount(g, weights=w) for g in groups]
        if any(np.any(t <= 0) for t in tot):
            raise DataValueError(
                "A fixed-effect group has zero total weight; drop it or fix the weights."
            )
        inv = [1.0 / t for t in tot]
    buf = np.empty(n)
    wbuf = None if w is None else np.empty(n)
    worst = 0
    for j in range(k):
        col = M[:, j]
        scale = max(float(np.max(np.abs(col))) if n else 0.0, 1e-300)
        worst = max(worst, _demean_column(col, groups, inv, w, buf, wbuf, tol * scale, max_iter))
    return M, worst


def _project(col, g, iv, w, buf, wbuf) -> float:
    """Subtract the group means of ``g`` from ``col`` in place; return their largest size."""
    if w is None:
        s = np.bincount(g, weights=col, minlength=iv.size)
    else:
        np.multiply(col, w, out=wbuf)
        s = np.bincount(g, weights=wbuf, minlength=iv.size)
    s *= iv
    col -= s[g]
    return float(np.max(np.abs(s))) if s.size else 0.0


def _demean_column(col, groups, inv, w, buf, wbuf, tol_abs, max_iter) -> int:
    K = len(groups)
    if K == 1:
        _project(col, groups[0], inv[0], w, buf, wbuf)
        return 1
    need = K - 1
    run = 0
    x0 = x1 = None
    for sweep in range(1, max_iter + 1):
        if sweep > ACCEL_AFTER and x0 is None:
            x0 = col.copy()
        for g, iv in zip(groups, inv, strict=True):
            run = run + 1 if _project(col, g, iv, w, buf, wbuf) <= tol_abs else 0
            if run >= need:
                return sweep
        if x0 is None:
            continue
        if x1 is None:
            x1 = col.copy()
            continue
        # Irons-Tuck on (x0, x1, x2 = col): d1 = x1 - x0 (into x0), d2 = x2 - x1 (into x1).
        np.subtract(x1, x0, out=x0)
        np.subtract(col, x1, out=x1)
        np.subtract(x1, x0, out=buf)  # d2 - d1
        den = float(np.einsum("i,i->", buf, buf))
        if den > 0:
            col -= (float(np.einsum("i,i->", x1, buf)) / den) * x1
        run = 0
        x0[:] = col
        x1 = None
    raise DataValueError(
        f"Demeaning by {K} sets of fixed effects did not converge in {max_iter} sweeps; the "
        "effects may be very weakly connected. Check for groups linked by a single observation."
    )


def absorbed_dof(groups: Sequence[np.ndarray]) -> int:
    """Fixed-effect parameters absorbed: levels minus redundant ones.

    One set: its levels. Two: levels minus the connected components of the bipartite graph of the
    two (exact). Each further set: its levels minus one (a lower bound on the redundancy, the rule
    of fixest and pyfixest).
    """
    levels = [int(g.max()) + 1 for g in groups]
    if len(groups) == 1:
        return levels[0]
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a, b = groups[0], groups[1]
    na, nb = levels[0], levels[1]
    graph = coo_matrix((np.ones(a.size), (a, b + na)), shape=(na + nb, na + nb))
    n_comp = int(connected_components(graph, directed=False)[0])
    return na + nb - n_comp + sum(v - 1 for v in levels[2:])


def fixest_dof(groups: Sequence[np.ndarray]) -> int:
    """fixest's count of absorbed parameters: all levels minus one for each set after the first."""
    return sum(int(g.max()) + 1 for g in groups) - (len(groups) - 1)


def fe_dof(groups: Sequence[np.ndarray], clusters: Sequence[np.ndarray] | None = None):
    """:class:`~disparity.models.covariance.FeDof` of the effects (and their nesting in clusters)."""
    from .covariance import FeDof

    nested = nested_dof(groups, clusters) if clusters else 0
    return FeDof(absorbed_dof(groups), nested, fixest_dof(groups))


def nested_dof(groups: Sequence[np.ndarray], clusters: Sequence[np.ndarray]) -> int:
    """Absorbed parameters nested in a clustering (all levels of each nested effect but one)."""
    out = 0
    for g in groups:
        G = int(g.max()) + 1
        for c in clusters:
            # nested iff every level of g meets one cluster: each row's cluster equals the (any)
            # cluster recorded for its level (O(n), no sorting).
            seen = np.empty(G, dtype=c.dtype)
            seen[g] = c
            if np.array_equal(seen[g], c):
                out += G - 1
                break
    return out
