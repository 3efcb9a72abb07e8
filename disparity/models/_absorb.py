"""Absorbing any number of fixed effects: codes, singletons, redundant levels, nesting in clusters.

The within transformation is :func:`demean` (alternating projections, Gaure 2013, in the space of
the fixed-effect coefficients with Irons-Tuck extrapolation, as fixest: Berge 2018); the rest of
the module decides which rows and how many parameters the effects take. The passes over the rows
are compiled by numba (on first use, cached on disk); ``BACKEND = "numpy"`` runs the same
arithmetic in numpy, which the tests check gives the same bits.

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

from collections.abc import Callable, Sequence

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
# The passes over the rows: compiled by numba when it is installed ("numba"), else "numpy" (the
# same arithmetic in the same order; tests set this to check one against the other).
BACKEND = "numba"


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
        plain_int = isinstance(col.dtype, np.dtype) and col.dtype.kind in "iub"  # no missing value
        if not plain_int and col.isna().any():
            raise DataValueError(
                f"Fixed-effect column {c!r} has {int(col.isna().sum())} missing values; fill them or "
                "drop those rows (an observation without a group cannot be absorbed)."
            )
        out.append(factor_codes(col, narrow=True))
    return out


def narrow_dtype(levels: int, n: int) -> np.dtype:
    """The smallest type for codes ``0..levels-1`` on ``n`` rows: uint8 up to 256 levels, uint16
    up to 65,536, else :func:`code_dtype` (a year effect takes one byte a row, not four)."""
    for dt in (np.uint8, np.uint16):
        if levels <= np.iinfo(dt).max + 1:
            return np.dtype(dt)
    return code_dtype(n)


def code_dtype(n: int) -> np.dtype:
    """The integer type of fixed-effect codes on ``n`` rows: int32 when it can hold them (half
    the memory and memory traffic of ``intp``), else int64."""
    return np.dtype(np.int32 if n < 2**31 - 1 else np.int64)


def factor_codes(col: pd.Series, *, narrow: bool = False,
                 out: np.ndarray | None = None) -> np.ndarray:
    """``pd.factorize(col, sort=True)`` codes (:func:`code_dtype`, or with ``narrow=True``
    :func:`narrow_dtype`); integer columns by counting.

    An integer column whose range is at most a few times its length is coded by marking the values
    present (``bincount``) and numbering them in order: the same codes as a sorted factorize,
    without hashing (and written in their final type: no wider copy first). ``out``: an array
    of that type and length to write them into (integer columns; others are copied into it).
    """
    v = col.to_numpy() if isinstance(col, pd.Series) else np.asarray(col)
    if v.dtype.kind in "iu" and v.size:
        lo, hi = int(v.min()), int(v.max())
        if hi - lo <= 4 * v.size + 1024:
            kern = _kernels() if BACKEND == "numba" else None
            if kern is not None and v.dtype != np.uint64:  # (uint64 - int64 is float in numba)
                table = np.zeros(hi - lo + 1, dtype=np.intp)
                G = int(kern["int_table"](v, lo, table))
                dt = narrow_dtype(G, v.size) if narrow else code_dtype(v.size)
                if out is None:
                    out = np.empty(v.size, dtype=dt)
                elif out.dtype != dt or out.shape != v.shape:
                    raise ValueError("out= must have the codes' type and length")
                kern["int_apply"](v, lo, table, out)
                return out
            off = (v - lo).astype(np.intp, copy=False)
            present = np.bincount(off, minlength=hi - lo + 1) > 0
            G = int(present.sum())
            dt = narrow_dtype(G, v.size) if narrow else code_dtype(v.size)
            remap = (np.cumsum(present, dtype=np.intp) - 1).astype(dt)
            return _into(remap[off], out)
    codes = pd.factorize(col, sort=True)[0]
    G = int(codes.max()) + 1 if codes.size else 0
    return _into(codes.astype(narrow_dtype(G, codes.size) if narrow else code_dtype(codes.size)),
                 out)


def _into(codes: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    if out is None:
        return codes
    if out.dtype != codes.dtype or out.shape != codes.shape:
        raise ValueError("out= must have the codes' type and length")
    out[:] = codes
    return out


def _same_type(codes: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    """The codes as contiguous integer arrays for the compiled passes (no copy when they already
    are). Up to three sets keep their own types (uint8 codes stay one byte a row); four or more
    share one (the passes over them take a tuple of one type)."""
    arrs = [np.asarray(g) for g in codes]
    ok = all(a.dtype.kind in "iu" and a.dtype != np.uint64 for a in arrs)
    if ok and len(arrs) <= 3:
        return tuple(np.ascontiguousarray(a) for a in arrs)
    dt = arrs[0].dtype if ok and all(a.dtype == arrs[0].dtype for a in arrs) else np.dtype(np.intp)
    return tuple(np.ascontiguousarray(a, dtype=dt) for a in arrs)


def drop_singletons(codes: Sequence[np.ndarray]) -> np.ndarray:
    """Rows to keep after repeatedly removing observations alone in some fixed-effect group.

    A singleton is fitted exactly by its own effect: it carries no information about the slopes but
    would inflate the degrees of freedom (Correia 2015). Removing one can create another, so the
    pass repeats until none is left (as reghdfe and fixest do).
    """
    kern = _kernels() if BACKEND == "numba" else None
    if kern is not None:
        gs = _same_type(codes)
        return kern["singletons"](gs, np.array([int(g.max()) + 1 for g in gs], dtype=np.intp))
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


def recode(
    codes: Sequence[np.ndarray], keep: np.ndarray, *, inplace: bool = False
) -> list[np.ndarray]:
    """Codes on the kept rows, renumbered densely (levels keep their order).

    ``inplace=True`` writes each into the first rows of its own array (returned as views; no
    second copy of the codes).
    """
    if keep.all():
        return [np.asarray(g) for g in codes]
    n_keep = int(keep.sum())
    kern = _kernels() if BACKEND == "numba" else None
    out = []
    for g in codes:
        g = np.asarray(g)
        dst = g[:n_keep] if inplace else np.empty(n_keep, dtype=g.dtype)
        if kern is not None:
            kern["recode"](g, keep, int(g.max()) + 1, dst)
        else:
            gk = g[keep]
            present = np.bincount(gk, minlength=int(g.max()) + 1) > 0
            dst[:] = (np.cumsum(present, dtype=np.intp) - 1)[gk]
        out.append(dst)
    return out


def positions(keep: np.ndarray, dtype=np.int32) -> np.ndarray:
    """``np.flatnonzero(keep)`` in ``dtype`` (no int64 n-vector first)."""
    out = np.empty(int(np.count_nonzero(keep)), dtype=dtype)
    kern = _kernels() if BACKEND == "numba" else None
    if kern is not None:
        kern["positions"](keep, out)
    else:
        t = 0
        for s in range(0, keep.size, 1 << 20):
            nz = np.flatnonzero(keep[s:s + (1 << 20)])
            out[t:t + nz.size] = nz + s
            t += nz.size
    return out


def compact_rows(M: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The kept rows of the (Fortran-ordered) block ``M``, moved up in place: a view of its top."""
    n_keep = int(keep.sum())
    kern = _kernels() if BACKEND == "numba" else None
    for j in range(M.shape[1]):
        if kern is not None:
            kern["compact"](M[:, j], keep)
        else:
            M[:n_keep, j] = M[keep, j]
    return M[:n_keep]


def demean(
    M: np.ndarray, groups: Sequence[np.ndarray], weights: np.ndarray | None = None,
    *, tol: float = DEMEAN_TOL, max_iter: int = DEMEAN_MAX_ITER, backend: str | None = None,
    out: np.ndarray | None = None, refill_groups: Callable[[], None] | None = None,
) -> tuple[np.ndarray, int]:
    r"""Residuals of the columns of ``M`` on one or more sets of dummies (alternating projections).

    Returns the demeaned copy (Fortran order, float64) and the number of sweeps of the slowest
    column. The work is in the space of the fixed-effect coefficients, as fixest does (Berge
    2018): with the sets ordered by their number of levels (largest first) and coefficients
    :math:`\alpha_1, \dots, \alpha_K`, one projection on set :math:`q` sets

    .. math:: \alpha_{q,g} = \frac{\sum_{i \in g} w_i \big(m_i - \sum_{j \ne q}
              \alpha_{j, g_j(i)}\big)}{\sum_{i \in g} w_i},

    which is the projection of the implied residual :math:`m - \sum_j D_j \alpha_j` on the
    dummies of set :math:`q` (Gaure 2013); the group sums of :math:`w m` are formed once, and a
    projection is one pass over the codes that reads and writes no n-vector. One set is exact in
    one projection. With :math:`K` sets a column is done once :math:`K-1` consecutive projections
    changed its coefficients by less than ``tol`` of its largest absolute value: the projection
    before them left the residual orthogonal to its own effects, and each later one changes any
    group mean by at most its own (tiny) size, so every set's group means are below
    :math:`(K-1)\,` ``tol``. After ``ACCEL_AFTER`` plain sweeps every second sweep is
    extrapolated by Irons and Tuck (1969) on the coefficients of sets :math:`2..K` (those of set 1
    follow from them): with :math:`\Delta_1 = x_1 - x_0`, :math:`\Delta_2 = x_2 - x_1`,
    :math:`x \leftarrow x_2 - \frac{\Delta_2'(\Delta_2-\Delta_1)}{\|\Delta_2-\Delta_1\|^2}\Delta_2`.
    Any coefficients give a residual in :math:`m - \text{span}(D)`, so the limit is the same
    residual. The residual is formed once at the end.

    All columns go through each pass together (per-column convergence: a converged column leaves
    the block). The passes are compiled with numba when it is installed (``backend="numba"``);
    ``backend="numpy"`` does the same arithmetic in the same order with ``np.bincount`` (the
    fallback, and the reference the compiled path is tested against). Memory: the output (none
    with ``out=M``: ``M`` is demeaned in place, the residual of each row written over it once
    it is read), the codes in visiting order when the rows are reordered (numba: K n-vectors of
    the codes' type, and an int32 n-vector for the order while they are formed) and
    O(levels x columns). The group sums are formed in the visiting order. ``refill_groups``
    (numba): a function that writes the codes, in their own order, back into the caller's
    arrays (from the data they came from): the codes are then put in visiting order in their
    own arrays (one set at a time, through one n-vector of its type; the largest set, when the
    rows are ordered by it, is written as its sorted codes with none) and the order is dropped
    once the sums are formed, instead of a second copy of all the codes for the passes; they
    are refilled before the residual is formed. The arrays of levels are two workspaces: the
    group sums and inverse sizes, then the coefficients and the buffer of one projection (a
    block of the largest set's levels when the rows are visited by its blocks).
    """
    M = np.asarray(M, dtype=np.float64)
    if M.ndim == 1:
        M = M[:, None]
    n, k = M.shape
    if out is not None and (out.shape != M.shape or out.dtype != np.float64):
        raise ValueError("out= must be a float64 array of the shape of M")
    gl = list(_same_type(groups))
    levels = [int(g.max()) + 1 for g in gl]
    order = sorted(range(len(gl)), key=lambda q: -levels[q])  # stable: ties keep their order
    gl, levels = [gl[q] for q in order], [levels[q] for q in order]
    off = np.concatenate([[0], np.cumsum(levels)]).astype(np.intp)
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    use = BACKEND if backend is None else backend
    if use not in ("numba", "numpy"):
        raise ValueError(f"backend={backend!r}: 'numba' or 'numpy'")
    kern = _kernels() if use == "numba" else None
    # refilled only when the passes work on the caller's own (distinct, writable) arrays
    refill = refill_groups if len(gl) > 1 and all(
        g.flags.writeable and any(g is h for h in groups) for g in gl) and not any(
        np.may_share_memory(a, b) for i, a in enumerate(gl) for b in gl[i + 1:]) else None
    eng: _NumpyPasses = (_NumbaPasses(M, gl, off, w, kern, refill) if kern is not None
                         else _NumpyPasses(M, gl, off, w))
    try:
        eng.visit()
        inv = eng.totals(levels)  # the groups' sizes (total weights), then their inverses
        if w is not None and np.any(inv <= 0):
            raise DataValueError(
                "A fixed-effect group has zero total weight; drop it or fix the weights."
            )
        np.divide(1.0, inv, out=inv)
        S, colmax = eng.sums()
        tol_abs = tol * np.maximum(colmax, 1e-300)
        A = eng.coefficients()
        sweeps = _iterate(eng, A, S, inv, off, tol_abs, max_iter)
    finally:
        eng.restore()
    del S, inv
    if out is None:
        out = np.empty(M.shape, order="F")
    eng.residual(A, out)
    return out, sweeps


def _iterate(eng, A, S, inv, off, tol_abs, max_iter) -> int:
    """Projections (and extrapolations) on the coefficients ``A`` until every column converged."""
    K = off.size - 1
    k = A.shape[1]
    h0 = off[1]
    need = K - 1
    st = h0  # the extrapolated state: every set but the first
    run = np.zeros(k, dtype=np.intp)
    active = np.arange(k)
    x0 = x1 = None
    for sweep in range(1, max_iter + 1):
        if sweep > ACCEL_AFTER and x0 is None:
            x0 = A[st:].copy()
        for q in range(K):
            if sweep == 1 and q == 0:
                # from zero coefficients: the group means themselves, without a pass
                A[:h0] = S[:h0] * inv[:h0, None]
                delta = np.max(np.abs(A[:h0]), axis=0)
                if K == 1:
                    return 1
            else:
                delta = eng.update(A, S, inv, q, active)
            run[active] = np.where(delta <= tol_abs[active], run[active] + 1, 0)
            fin = run[active] >= need
            if fin.any():
                active = active[~fin]
                if not active.size:
                    return sweep
        if x0 is None:
            continue
        if x1 is None:
            x1 = A[st:].copy()
            continue
        # Irons-Tuck on (x0, x1, x2 = the current state), each active column on its own (one
        # column's differences at a time: temporaries of one column of coefficients)
        for c in active:
            x2 = A[st:, c]
            d1 = x1[:, c] - x0[:, c]
            d2 = x2 - x1[:, c]
            dd = d2 - d1
            den = float(np.einsum("i,i->", dd, dd))
            coef = float(np.einsum("i,i->", d2, dd)) / den if den > 0 else 0.0
            del d1, dd
            d2 *= coef
            x2 -= d2
            x0[:, c] = x2
        run[active] = 0
        x1 = None
    raise DataValueError(
        f"Demeaning by {K} sets of fixed effects did not converge in {max_iter} sweeps; the "
        "effects may be very weakly connected. Check for groups linked by a single observation."
    )


#: Bytes of coefficients (all columns of a block) the passes should find in the processor's cache.
CACHE_BYTES = 2**18


def _visit_plan(groups, off, k) -> int | None:
    """The order the projections visit the rows in: None (as given), 0 or a block size ``B``.

    The passes read the coefficients of every set at each row's codes. When the second largest
    set has more coefficients than fit in cache, rows are ordered by blocks of ``B`` levels of the
    largest set and by the second set within a block (``np.lexsort((g1, g0 // B))``): the largest
    set's coefficients then stay in cache and the second's are read in increasing order. When only
    the largest set is big, rows are ordered by it (0). One set needs no passes.
    """
    if len(groups) < 2:
        return None
    row = 8 * k
    if (off[2] - off[1]) * row > CACHE_BYTES:
        return max(1, CACHE_BYTES // row)
    return 0 if off[1] * row > CACHE_BYTES else None


class _NumpyPasses:
    """The passes over the rows with ``np.bincount`` (one column at a time; O(n) temporaries).

    The projections visit the rows in an order that keeps the coefficients they touch in cache
    (:func:`_visit_plan`); the group sums of the data and the residual use the original order
    (one pass each).
    """

    def __init__(self, M, groups, off, w):
        self.M, self.groups, self.off, self.w = M, groups, off, w
        plan = _visit_plan(groups, off, M.shape[1])
        if plan is None:
            self.perm = None
        elif plan == 0:
            self.perm = np.argsort(groups[0], kind="stable")
        else:
            self.perm = np.lexsort((groups[1], groups[0] // plan))
        if self.perm is None:
            self.sgroups, self.sw = groups, w
        else:
            self.sgroups = [g[self.perm] for g in groups]
            self.sw = None if w is None else w[self.perm]

    def totals(self, levels) -> np.ndarray:
        """The groups' sizes (total weights in the visiting order), one array of all levels."""
        return np.concatenate([np.bincount(g, weights=self.sw, minlength=G).astype(np.float64)
                               for g, G in zip(self.sgroups, levels, strict=True)])

    def visit(self) -> None:
        """Codes in visiting order (formed on construction here)."""

    def restore(self) -> None:
        """Codes back in their own order (never reordered here)."""

    def coefficients(self) -> np.ndarray:
        return np.zeros((int(self.off[-1]), self.M.shape[1]), order="F")

    def sums(self) -> tuple[np.ndarray, np.ndarray]:
        M, off, w = self.M, self.off, self.w
        k = M.shape[1]
        S = np.empty((int(off[-1]), k), order="F")
        colmax = np.zeros(k)
        for c in range(k):
            col = M[:, c]
            if col.size:
                colmax[c] = np.max(np.abs(col))
            x = col if w is None else w * col
            if self.perm is not None:  # in the visiting order
                x = x[self.perm]
            for q, g in enumerate(self.sgroups):
                S[off[q]:off[q + 1], c] = np.bincount(g, weights=x, minlength=off[q + 1] - off[q])
        return S, colmax

    def update(self, A, S, inv, q, cols) -> np.ndarray:
        lo, hi = self.off[q], self.off[q + 1]
        delta = np.empty(cols.size)
        for t, c in enumerate(cols):
            s = None  # sum_{j != q} A_j[g_j] of column c, in the order of the sets
            for j, g in enumerate(self.sgroups):
                if j != q:
                    v = A[self.off[j]:self.off[j + 1], c][g]
                    s = v if s is None else np.add(s, v, out=s)
            if self.sw is not None:
                s *= self.sw
            b = np.bincount(self.sgroups[q], weights=s, minlength=hi - lo)
            new = (S[lo:hi, c] - b) * inv[lo:hi]
            delta[t] = np.max(np.abs(new - A[lo:hi, c]))
            A[lo:hi, c] = new
        return delta

    def residual(self, A, out) -> None:
        for c in range(self.M.shape[1]):
            o = out[:, c]
            o[:] = self.M[:, c]
            for j, g in enumerate(self.groups):
                o -= A[self.off[j]:self.off[j + 1], c][g]


class _NumbaPasses(_NumpyPasses):
    """The same passes compiled: every active column in one pass over the K code vectors."""

    def __init__(self, M, groups, off, w, kern, refill=None):
        self.kern, self.refill = kern, refill
        self.M, self.groups, self.off, self.w = M, groups, off, w
        self.gt = tuple(groups)
        self.C = self.gt  # the codes in visiting order (the codes themselves until visit())
        self.offv = np.asarray(off, dtype=np.intp)
        self.w0 = np.empty(0) if w is None else np.ascontiguousarray(w)
        self.wv = self.w0
        K, k = len(groups), M.shape[1]
        levels = np.diff(self.offv)
        # the visiting order (formed first: its counting sort's own n-vector comes and goes
        # before anything else is allocated)
        plan = self.plan = _visit_plan(groups, off, k)
        self.perm = None
        if plan is not None:
            g0 = groups[0]
            if plan == 0 and not kern["is_sorted"](g0, 1, g0):
                self.perm = kern["order"](g0, int(off[1]))
            elif plan and not kern["is_sorted"](g0, plan, groups[1]):
                self.perm = kern["order_block"](g0, plan, int(off[1]), groups[1], int(levels[1]))
        # rows in blocks of B levels of the largest set (as visited): its projection is finished
        # block by block, with a buffer of B levels instead of all of them
        self.B = None if plan is None or K > 3 else (plan or max(1, CACHE_BYTES // (8 * k)))
        self.R = int(max(self.B, levels[1:].max())) if self.B else int(levels.max())
        self.S = self.inv = self.A = self.buf = None
        self.starts = np.zeros(1, dtype=np.intp)
        self.reordered = False

    def visit(self) -> None:
        """The codes (and weights) in visiting order: the codes' own arrays reordered one set at
        a time (to be refilled), else copies. One set needs no passes."""
        kern, perm = self.kern, self.perm
        if perm is not None:
            if self.w is not None:
                self.wv = self.w0[perm]
            if self.refill is not None:
                self.reordered = True
                for q, g in enumerate(self.groups):
                    if q == 0 and self.plan == 0:
                        # ordered by its codes: the levels in turn, each as often as it occurs
                        # (written over the codes, no n-vector)
                        kern["fill_sorted"](g, int(self.off[1]))
                    else:
                        g[:] = kern["take"](g, perm, np.empty(g.size, dtype=g.dtype))
            else:
                self.C = tuple(kern["take"](g, perm, np.empty(g.size, dtype=g.dtype))
                               for g in self.groups)
        if self.B:
            nb = (int(self.off[1]) - 1) // self.B + 1
            self.starts = kern["block_starts"](self.C[0], self.B, nb)

    def restore(self) -> None:
        if self.reordered:
            self.refill()
        self.perm, self.reordered = None, False
        self.C, self.wv = self.gt, self.w0

    def totals(self, levels) -> np.ndarray:
        # the arrays of levels in two workspaces, each freed in one piece (so the memory is
        # returned, or is one hole the next large array fits in): the group sums and inverse
        # sizes now, the coefficients and the projection's buffer once the order is dropped
        L, k = int(self.off[-1]), self.M.shape[1]
        ws = np.zeros(L * k + L)
        self.S, self.inv = ws[:L * k].reshape(L, k), ws[L * k:]
        if self.w is None:  # (np.bincount would first copy int32 codes to intp)
            self.kern["counts"](self.C, self.offv, self.inv)
        else:
            self.inv[:] = np.concatenate([np.bincount(g, weights=self.wv, minlength=G)
                                          for g, G in zip(self.C, levels, strict=True)])
        return self.inv

    def sums(self) -> tuple[np.ndarray, np.ndarray]:
        colmax = np.zeros(self.M.shape[1])
        if self.perm is None:
            self.kern["sums"](self.M, self.C, self.offv, self.w0, self.S, colmax)
        else:  # in the visiting order; the order is not needed after this
            self.kern["sums_perm"](self.M, self.C, self.offv, self.wv, self.perm, self.S, colmax)
            self.perm = None
        return self.S, colmax

    def coefficients(self) -> np.ndarray:
        L, k = self.S.shape
        ws = np.zeros(L * k + self.R * k)
        self.A = ws[:L * k].reshape(L, k)
        self.buf = ws[L * k:].reshape(self.R, k)
        return self.A

    def update(self, A, S, inv, q, cols) -> np.ndarray:
        delta = np.empty(cols.size)
        lo, hi = int(self.off[q]), int(self.off[q + 1])
        C, o, kern, buf = self.C, self.offv, self.kern, self.buf
        if q == 0 and self.B:
            if len(C) == 2:
                kern["acc2_blocks"](C[0], C[1], o[1], self.wv, A, S, inv, hi, self.starts,
                                    self.B, cols, buf, delta)
            else:
                kern["acc3_blocks"](C[0], C[1], C[2], o[1], o[2], self.wv, A, S, inv, hi,
                                    self.starts, self.B, cols, buf, delta)
            return delta
        if len(C) == 2:
            kern["acc2"](C[q], C[1 - q], o[1 - q], self.wv, A, hi - lo, cols, buf)
        elif len(C) == 3:
            j1, j2 = (1, 2) if q == 0 else (0, 2) if q == 1 else (0, 1)
            kern["acc3"](C[q], C[j1], C[j2], o[j1], o[j2], self.wv, A, hi - lo, cols, buf)
        else:
            kern["acck"](q, C, o, self.wv, A, hi - lo, cols, buf)
        kern["finish"](A, S, inv, lo, hi, cols, buf, delta)
        return delta

    def residual(self, A, out) -> None:
        self.kern["residual"](self.M, self.gt, self.offv, A, out)


_KERNELS: dict | None = None


def _kernels() -> dict | None:
    """The compiled passes (numba, cached on disk), or None when numba is not installed."""
    global _KERNELS
    if _KERNELS is None:
        try:
            import numba
        except ImportError:
            _KERNELS = {}
        else:
            from ._absorb_kernels import compile_kernels

            _KERNELS = compile_kernels(numba)
    return _KERNELS or None


def absorbed_dof(groups: Sequence[np.ndarray]) -> int:
    """Fixed-effect parameters absorbed: levels minus redundant ones.

    One set: its levels. Two: levels minus the connected components of the bipartite graph of the
    two (exact). Each further set: its levels minus one (a lower bound on the redundancy, the rule
    of fixest and pyfixest).
    """
    levels = [int(g.max()) + 1 for g in groups]
    if len(groups) == 1:
        return levels[0]
    kern = _kernels() if BACKEND == "numba" else None
    if kern is not None:
        n_comp = int(kern["components"](np.asarray(groups[0]), np.asarray(groups[1]),
                                        *levels[:2]))
        return sum(levels[:2]) - n_comp + sum(v - 1 for v in levels[2:])
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a, b = groups[0], groups[1]
    na, nb = levels[0], levels[1]
    graph = coo_matrix((np.ones(a.size), (a, b.astype(np.intp) + na)), shape=(na + nb, na + nb))
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
    kern = _kernels() if BACKEND == "numba" else None
    for g in groups:
        G = int(g.max()) + 1
        for c in clusters:
            if kern is not None:
                if kern["nested"](np.asarray(g), np.asarray(c), G):
                    out += G - 1
                    break
                continue
            # nested iff every level of g meets one cluster: each row's cluster equals the (any)
            # cluster recorded for its level (O(n), no sorting).
            seen = np.empty(G, dtype=c.dtype)
            seen[g] = c
            if np.array_equal(seen[g], c):
                out += G - 1
                break
    return out
