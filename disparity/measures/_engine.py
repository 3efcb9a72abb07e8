"""The machinery every measure shares: groups, standard errors, chain rule, ranks.

A measure is written as a *kernel*: a function of a :class:`Sample` and a weight vector returning
the component values and, on request, their influence functions ``u_k = d theta / d w_k`` (one
column per component). :func:`run` applies the kernel per ``by=`` group, turns influence functions
into design-based variances (:mod:`._variance`) or bootstraps the kernel, and builds the result.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _resample
from .._options import check_option
from ..errors import DataValueError, DisparityWarning, SpecificationError
from ..specs import MeasureSpec
from ._formulas import jacobian
from ._result import MeasureResult, build_table
from ._variance import bootstrap_weights, linearized_variance
from ._weights import Sample

SE_KINDS = ("analytic", "delta", "bootstrap", "none")


@dataclass
class KernelOut:
    """What a kernel returns: values (k,), names (k,), influence (n, k) or None, optional details."""

    values: np.ndarray
    names: list[str]
    influence: np.ndarray | None = None
    perm: np.ndarray | None = None  # influence rows are in this order of the sample's rows
    w_perm: np.ndarray | None = None  # the weights in that order
    details: pd.DataFrame | None = None
    variance: np.ndarray | None = None  # precomputed iid variance (then influence is None)


Kernel = Callable[[Sample, np.ndarray, bool], KernelOut]


def _variance_of(out: KernelOut, sample: Sample) -> np.ndarray:
    u = out.influence
    assert u is not None
    if out.perm is None:
        return linearized_variance(u, sample)
    if sample.design or sample.cluster is not None:
        back = np.empty_like(u)
        back[out.perm] = u
        return linearized_variance(back, sample)
    w = out.w_perm if out.w_perm is not None else sample.w[out.perm]
    return linearized_variance(u, _with_weights(sample, w), consume=True)


def _with_weights(sample: Sample, w: np.ndarray) -> Sample:
    s = Sample(
        data=sample.data, w=w, weight_type=sample.weight_type, weighted=sample.weighted,
        index=sample.index, n_dropped=sample.n_dropped,
    )
    return s


def run(
    measure: str,
    sample: Sample,
    kernel: Kernel,
    *,
    se: str = "analytic",
    reps: int = 500,
    seed: int | np.random.Generator | None = None,
    params: dict[str, Any] | None = None,
    by_cols: Sequence[str] = (),
    progress: bool = True,
) -> MeasureResult:
    """Apply ``kernel`` per group and attach standard errors."""
    check_option("se", se, SE_KINDS)
    if se == "delta":
        se = "analytic"
    if se == "bootstrap" and (not isinstance(reps, int | np.integer) or reps < 2):
        raise SpecificationError(f"reps={reps!r} must be an integer >= 2 for se='bootstrap'.")
    groups: list[tuple[dict[Any, Any], np.ndarray | None]] = [({}, None)]  # keys: by= columns
    if sample.by_codes is not None and sample.by_levels is not None:  # set together by prepare()
        order = np.argsort(sample.by_codes, kind="stable")
        bounds = np.searchsorted(sample.by_codes[order], np.arange(sample.by_levels.shape[0] + 1))
        groups = [
            (sample.by_levels.iloc[g].to_dict(), order[bounds[g]:bounds[g + 1]])
            for g in range(sample.by_levels.shape[0])
        ]
    rows_out: list[dict[str, Any]] = []
    details: list[pd.DataFrame] = []
    if sample.replicate and se == "bootstrap":
        raise SpecificationError(
            f"{measure}: the design carries replicate weights, which give the variance; use "
            "se='analytic' (replicate variance) instead of se='bootstrap'."
        )
    for labels, rows in groups:
        sub = sample if rows is None else sample.subset(rows)
        sub.iid_variance = (
            not sample.design and sample.cluster is None
            and not (sample.weight_type == "fweight" and sample.weighted)
        )
        out = kernel(sub, sub.w, se == "analytic" and not sample.replicate)
        k = out.values.shape[0]
        if se != "none" and rows is not None and not sample.design and sub.nobs() < 2:
            warnings.warn(
                f"{measure}: by-group {labels} has a single observation; its standard error is "
                "NaN (a variance needs two).",
                DisparityWarning,
                stacklevel=3,
            )
            ses = np.full(k, np.nan)
        elif se == "analytic" and sample.replicate:
            ses = np.sqrt(np.maximum(replicate_variance(kernel, sub, out.values), 0.0))
        elif se == "analytic":
            var = out.variance if out.variance is not None else _variance_of(out, sub)
            ses = np.sqrt(np.maximum(var, 0.0))
        elif se == "bootstrap":
            tick = _resample.Ticker(f"{measure} bootstrap", int(reps), progress=progress,
                                    bytes_needed=8.0 * (reps * k + 4 * sample.n),
                                    hint="use fewer replicates or se='analytic'")
            draws = np.empty((reps, k))
            for b, wb in enumerate(bootstrap_weights(sub, reps, seed)):
                draws[b] = _safe_values(kernel, sub, wb, k)
                tick()
            tick.close()
            ok = np.isfinite(draws)
            if ok[:, 0].sum() < 2:
                raise DataValueError(
                    f"{measure}: fewer than two bootstrap replicates could be computed; the group "
                    "is too small to bootstrap. Use se='analytic'."
                )
            # a component undefined in some replicates (e.g. a subgroup drawn empty) uses the rest
            ses = np.array([
                draws[ok[:, j], j].std(ddof=1) if ok[:, j].sum() >= 2 else np.nan
                for j in range(k)
            ])
        else:
            ses = np.full(k, np.nan)
        nobs = sub.nobs()
        for name, val, s in zip(out.names, out.values, ses, strict=True):
            rows_out.append({**labels, "component": name, "estimate": val, "std_error": s, "nobs": nobs})
        if out.details is not None:
            d = out.details.copy()
            for i, (col, val) in enumerate(labels.items()):
                d.insert(i, col, val)
            details.append(d)
    table = build_table(rows_out, tuple(by_cols))
    return MeasureResult(
        measure=measure,
        table=table,
        se_method=se,
        by=tuple(by_cols),
        spec=MeasureSpec(measure=measure, by=tuple(by_cols), se=se, weights=sample.weights_name,
                         weight_type=sample.weight_type if sample.weighted else None,
                         options=dict(params or {}), data=sample.source),
        details=pd.concat(details, ignore_index=True) if details else None,
        main=str(table["component"].iloc[0]),
    )


def replicate_variance(kernel: Kernel, sub: Sample, values: np.ndarray) -> np.ndarray:
    """Replicate variances of the kernel's components: re-estimated with each replicate weight."""
    bound = sub.bound
    assert bound is not None and bound.replicate
    rw = bound.replicate_weights(sub.rows)
    thetas = np.array([_safe_values(kernel, sub, rw[:, r], values.shape[0])
                       for r in range(rw.shape[1])])
    return bound.replicate_cov(thetas, values, diag=True)


def _safe_values(kernel: Kernel, sub: Sample, wb: np.ndarray, k: int) -> np.ndarray:
    if not wb.sum() > 0:
        return np.full(k, np.nan)
    try:
        with np.errstate(all="ignore"):
            sub.iid_variance = False
            return kernel(sub, wb, False).values
    except DataValueError:
        return np.full(k, np.nan)


# -- chain rule by complex-step differentiation -------------------------------------------------------


def totals_kernel_out(
    f: Callable[[np.ndarray], np.ndarray],
    h: Sequence[np.ndarray | None],
    w: np.ndarray,
    codes: np.ndarray | None,
    n_groups: int,
    names: list[str],
    need_if: bool,
    iid_variance: bool = False,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Values and influence of components that are smooth functions of weighted group totals.

    ``h`` lists per-row variables (None for the constant 1); the totals ``T[j, g] = sum_{k in g}
    w_k h_j(k)`` are passed to ``f`` as an (m, G) array flattened row-major. The influence of a
    component is ``sum_j dF/dT[j, g(k)] * h_j(k)``.

    With ``iid_variance`` (rows are independent units with sampling weights) the variances are
    returned directly instead of the (n, k) influence matrix: within each group the influence is
    affine in the group-centred variables, so ``sum (w u)^2`` needs only their weighted second
    moments (centring first keeps the sums free of cancellation). Returns
    ``(values, influence, totals, variance)``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return _totals_kernel_out(f, h, w, codes, n_groups, names, need_if, iid_variance)


def _totals_kernel_out(
    f: Callable[[np.ndarray], np.ndarray],
    h: Sequence[np.ndarray | None],
    w: np.ndarray,
    codes: np.ndarray | None,
    n_groups: int,
    names: list[str],
    need_if: bool,
    iid_variance: bool,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
    m = len(h)
    totals = np.empty((m, n_groups))
    for j, hj in enumerate(h):
        if hj is None:
            wh = w
        else:
            wh = np.multiply(w, hj)
        if codes is None:
            totals[j, 0] = wh.sum()
        else:
            totals[j] = np.bincount(codes, weights=wh, minlength=n_groups)
    values, jac = jacobian(lambda t: f(t.reshape(m, n_groups)), totals.ravel())
    if not need_if:
        return values, None, totals, None
    n = w.shape[0]
    jac3 = jac.reshape(len(names), m, n_groups)
    if iid_variance and h[0] is None and all(hj is not None for hj in h[1:]):
        return values, None, totals, _iid_variance(jac3, h, w, codes, n_groups, totals)
    inf = np.empty((n, len(names)))
    for c in range(len(names)):
        acc = np.zeros(n)
        for j, hj in enumerate(h):
            coef = jac3[c, j, 0] if codes is None else jac3[c, j][codes]
            acc += coef if hj is None else coef * hj
        inf[:, c] = acc
    return values, inf, totals, None


_ONEHOT_MAX_GROUPS = 64  # up to this many groups, group sums of a block are one small matmul


def _iid_variance(
    jac3: np.ndarray, h: Sequence[np.ndarray | None], w: np.ndarray, codes: np.ndarray | None,
    n_groups: int, totals: np.ndarray,
) -> np.ndarray:
    """n/(n-1) [sum z^2 - (sum z)^2 / n], z = w u, from group moments of centred variables.

    One blocked pass over the rows: each block's centred variables, their products and group sums
    stay in cache (no n-sized temporaries).
    """
    m = len(h)
    n = w.shape[0]
    if n < 2:
        raise DataValueError("a variance needs at least two observations.")
    present = totals[0] > 0
    # (m-1, G) group means of h_1..h_{m-1}; groups without weight have no rows to centre
    means = np.where(present, totals[1:] / np.where(present, totals[0], 1.0), 0.0)
    pair_i, pair_j = np.triu_indices(m)
    k = m + pair_i.shape[0]
    acc = np.zeros((k, n_groups))  # per group: sum w c_i, then sum w^2 c_i c_j
    onehot = codes is not None and n_groups <= _ONEHOT_MAX_GROUPS
    levels = np.arange(n_groups, dtype=codes.dtype if codes is not None else np.intp)
    block = np.empty((k, _CHUNK))  # rows: w c_j (c_0 = 1), then the products of pairs
    for s in range(0, n, _CHUNK):
        e = min(s + _CHUNK, n)
        b = block[:, : e - s]
        cg = None if codes is None else codes[s:e]
        ind = None
        if onehot:
            assert cg is not None
            ind = (cg[:, None] == levels).astype(np.float64)  # (rows, G)
        b[0] = w[s:e]
        for j in range(1, m):
            hj = h[j]
            assert hj is not None
            if cg is None:
                np.subtract(hj[s:e], means[j - 1, 0], out=b[j])
            elif ind is not None:
                np.subtract(hj[s:e], ind @ means[j - 1], out=b[j])
            else:
                np.subtract(hj[s:e], means[j - 1][cg], out=b[j])
            b[j] *= b[0]
        for p, (i, j) in enumerate(zip(pair_i, pair_j, strict=True)):
            np.multiply(b[i], b[j], out=b[m + p])
        if cg is None:
            acc[:, 0] += b.sum(axis=1)
        elif ind is not None:
            acc += b @ ind
        else:
            for c in range(k):
                acc[c] += np.bincount(cg, weights=b[c], minlength=n_groups)
    first = acc[:m]  # (m, G)
    second = np.empty((m, m, n_groups))
    for p, (i, j) in enumerate(zip(pair_i, pair_j, strict=True)):
        second[i, j] = second[j, i] = acc[m + p]
    out = np.empty(jac3.shape[0])
    for c in range(jac3.shape[0]):
        coef = jac3[c].copy()  # (m, G): influence = coef0 + sum_j coef_j h_j per group
        coef[0] = coef[0] + (coef[1:] * means).sum(axis=0)  # re-expressed in centred variables
        sum_z = float((coef * first).sum())
        sum_z2 = float(np.einsum("ig,ijg,jg->", coef, second, coef))
        out[c] = n / (n - 1) * (sum_z2 - sum_z * sum_z / n)
    return out


# -- fractional ranks and generalised concentration -------------------------------------------------

@dataclass
class Ranked:
    """Rows sorted by a ranking variable, with tie-averaged fractional ranks."""

    order: np.ndarray | None  # None: only sorted values kept (see rank_values)
    w: np.ndarray  # weights in sorted order
    total: float  # W
    mid: np.ndarray  # tie-averaged mid cumulative weight: W * R
    starts: np.ndarray | None  # first position of each tie group (None: no ties)
    x: np.ndarray | None = None  # the ranking variable in sorted order
    y: np.ndarray | None = None  # the outcome carried along by rank_rows(x, w, y), sorted

    def midcum(self, v: np.ndarray) -> np.ndarray:
        """Tie-averaged mid cumulative sum of ``v`` (sorted order): sum_{x_i<x_k} v_i + half the tie group."""
        cs = np.cumsum(v)
        if self.starts is None:
            # cs - v/2 as 0.5 * (2 cs - v): in place, and rounded identically
            cs *= 2.0
            cs -= v
            cs *= 0.5
            return cs
        n = v.shape[0]
        ends = np.append(self.starts[1:], n) - 1
        before = cs[self.starts] - v[self.starts]
        mid = 0.5 * (before + cs[ends])
        return np.repeat(mid, np.diff(np.append(self.starts, n)))


FAST_ORDER_MAX_REPAIR = 0.02  # share of rows in mis-ordered runs beyond which np.argsort is cheaper
_CHUNK = 1 << 16  # rows per block when building keys: temporaries stay in cache, no fresh n-vectors


def _sorted_keys(x: np.ndarray, b: int) -> np.ndarray:
    """Sorted 64-bit keys: order-preserving bits of ``x`` above the low ``b`` bits, row index below.

    Built block by block into one array (every temporary is cache-sized: on a loaded machine each
    fresh n-vector costs its page faults), with ``-0.0`` read as ``+0.0`` so equal values get equal
    high bits.
    """
    n = x.shape[0]
    key = np.empty(n, dtype=np.uint64)
    sign = np.uint64(1 << 63)
    keep = ~np.uint64((1 << b) - 1)
    base = np.arange(_CHUNK, dtype=np.uint64)
    idx = np.empty(_CHUNK, dtype=np.uint64)
    for s in range(0, n, _CHUNK):
        e = min(s + _CHUNK, n)
        m = e - s
        u = (x[s:e] + 0.0).view(np.uint64)  # IEEE-754 bits -> unsigned order below
        k = key[s:e]
        np.bitwise_or(u, sign, out=k)
        if u.max() >= sign:  # negatives: all bits flipped
            np.invert(u, out=k, where=u >= sign)
        k &= keep
        np.add(base[:m], np.uint64(s), out=idx[:m])
        k |= idx[:m]
    key.sort()
    return key


def _repair(key: np.ndarray, order: np.ndarray, members: np.ndarray, b: int,
            x: np.ndarray, xs: np.ndarray | None) -> np.ndarray:
    """Re-sort, exactly and in place, the ``members`` positions (whole runs of equal high key bits).

    Returns the members' values in their corrected order (and fixes ``xs`` when given).
    """
    vals = x[order[members]] if xs is None else xs[members]
    sub = np.lexsort((vals, key[members] >> np.uint64(b)))  # primarily by run: runs stay in place
    order[members] = order[members][sub]
    vals = vals[sub]
    if xs is not None:
        xs[members] = vals
    return vals


def sort_ranks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """A sorting permutation of ``x`` (float64, no NaN) and the first position of each tie group.

    Like ``np.argsort(x)`` but about twice as fast: NumPy's value sort is vectorised (SIMD) and far
    faster than its argsort, so sort 64-bit keys whose high bits are the order-preserving bit
    pattern of ``x`` and whose low ``b`` bits (``2**b >= n``) hold the row index, and read the
    permutation off the low bits. Only neighbours whose keys agree above the index bits (values
    within a relative ``2**(b - 52)`` or so) can be out of order or tied; those runs, found from the
    keys alone, are re-sorted exactly and compared, so neither the values nor a second permutation
    gather is needed to rank them. The result is always a correct sorting permutation (ties in any
    order, which tie-averaged ranks do not see); ``starts`` is None when there are no ties. When
    such runs are common (heavy ties), the sorted values are compared instead, and when mis-ordered
    runs are common, it falls back to ``np.argsort``.
    """
    n = x.shape[0]
    b = max(1, (n - 1).bit_length())
    if n < 1024 or b > 40 or x.dtype != np.float64:
        order = np.argsort(x)
        return order, _starts(x[order])
    key = _sorted_keys(x, b)
    mask = np.uint64((1 << b) - 1)
    # neighbours with equal high bits, block by block (no n-sized temporaries)
    cand_parts = []
    limit = FAST_ORDER_MAX_REPAIR * n
    found = 0
    for s in range(0, n - 1, _CHUNK):
        e = min(s + _CHUNK, n - 1)
        part = np.flatnonzero(np.bitwise_xor(key[s:e], key[s + 1:e + 1]) <= mask)
        found += part.size
        if found > limit:
            break
        cand_parts.append(part + s)
    order = np.empty(n, dtype=np.intp)
    np.bitwise_and(key, mask, out=order.view(np.uint64))
    if found <= limit:
        if not found:
            return order, None
        cand = np.concatenate(cand_parts)
        members = np.union1d(cand, cand + 1)
        vals = _repair(key, order, members, b, x, None)
        run = key[members] >> np.uint64(b)
        tied = members[:-1][(run[1:] == run[:-1]) & (vals[1:] == vals[:-1])]
        if not tied.size:
            return order, None
        change = np.ones(n, dtype=bool)
        change[tied + 1] = False
        return order, np.flatnonzero(change)
    # many close neighbours (typically exact ties): compare the sorted values themselves
    xs = x[order]
    descents = np.flatnonzero(xs[1:] < xs[:-1])
    if descents.size:
        if descents.size > limit:
            order = np.argsort(x)
            return order, _starts(x[order])
        high = key[descents] & ~mask
        lo = np.searchsorted(key, high, side="left")
        hi = np.searchsorted(key, high | mask, side="right")
        lo, first = np.unique(lo, return_index=True)
        hi = hi[first]
        lengths = hi - lo
        if lengths.sum() > limit:
            order = np.argsort(x)
            return order, _starts(x[order])
        offsets = np.repeat(lo - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        members = offsets + np.arange(int(lengths.sum()))
        _repair(key, order, members, b, x, xs)
    del key
    return order, _starts(xs)


def _starts(xs: np.ndarray) -> np.ndarray | None:
    """First position of each run of equal sorted values (None: all distinct)."""
    change = xs[1:] != xs[:-1]
    if change.all():
        return None
    return np.flatnonzero(np.concatenate(([True], change)))


def sort_order(x: np.ndarray) -> np.ndarray:
    """A permutation that sorts ``x`` (float64, no NaN): :func:`sort_ranks` without the ties."""
    return sort_ranks(x)[0]


def rank_rows(x: np.ndarray, w: np.ndarray, y: np.ndarray | None = None) -> Ranked:
    """Sort by ``x`` once and compute tie-averaged fractional ranks (O'Donnell et al. 2008, ch. 8).

    The weights travel with ``x`` (or with ``y`` when given; then ``ranked.y`` is ``y`` sorted and
    ``ranked.x`` is None: ties are found from the sort keys) through one gather of a complex
    array: a single random-access pass instead of two.
    """
    order, starts = sort_ranks(x)
    packed = np.empty(x.shape[0], dtype=np.complex128)
    packed.real = x if y is None else y
    packed.imag = w
    moved = packed[order]
    del packed
    ws = moved.imag
    ranked = Ranked(order=order, w=ws, total=float(ws.sum()), mid=np.empty(0), starts=starts,
                    x=moved.real if y is None else None)
    ranked.y = moved.real if y is not None else None
    ranked.mid = ranked.midcum(ws)
    return ranked


def rank_values(x: np.ndarray) -> Ranked:
    """Ranks for unit weights when only the sorted values matter (no permutation kept).

    ``np.sort`` is several times faster than ``np.argsort``; this serves the unweighted Gini,
    whose value and independent-rows variance do not depend on which row is where.
    """
    xs = np.sort(x)
    ws = np.ones(xs.shape[0])
    change = xs[1:] != xs[:-1]
    starts = None if change.all() else np.flatnonzero(np.concatenate(([True], change)))
    del change
    ranked = Ranked(order=None, w=ws, total=float(xs.shape[0]), mid=np.empty(0), starts=starts,
                    x=xs)
    ranked.mid = ranked.midcum(ws)
    return ranked


def fast_index(
    ranked: Ranked,
    y_sorted: np.ndarray,
    transform: Callable[[np.ndarray], np.ndarray],
    need_if: bool,
) -> tuple[float, float, float, np.ndarray | None]:
    """An index ``f(mu, GC)`` of ``y`` and its influence (sorted order), with few allocations.

    Same formulas as :func:`generalized_ci`; returns (value, mu, gc, influence). Used on the hot
    path of the Gini and the concentration index, where each fresh n-vector costs page faults.
    """
    w = ranked.w
    big_w = ranked.total
    wy = np.multiply(w, y_sorted)
    y_total = float(wy.sum())
    mu = y_total / big_w
    gc = 2.0 * float(np.dot(wy, ranked.mid)) / (big_w * big_w) - mu
    value, jac = jacobian(transform, np.array([mu, gc]))
    if not need_if:
        return float(value[0]), mu, gc, None
    b_mu, a_gc = float(jac[0, 0]), float(jac[0, 1])
    # u = [a * W u_gc + b (y - mu)] / W with W u_gc = y(2R - 1) + 2(Y - M)/W - 2GC - mu, collected as
    # u = c1 (Y - M + y W R) + c3 y + c4: six in-place passes over the rows, assembled in ``upper``
    c1 = 2.0 * a_gc / (big_w * big_w)
    c3 = (b_mu - a_gc) / big_w
    c4 = (-a_gc * (2.0 * gc + mu) - b_mu * mu) / big_w
    upper = ranked.midcum(wy)  # M
    buf = wy  # reuse: wy is no longer needed
    np.multiply(y_sorted, ranked.mid, out=buf)
    upper -= buf
    upper *= -c1
    np.multiply(y_sorted, c3, out=buf)
    upper += buf
    upper += c1 * y_total + c4
    return float(value[0]), mu, gc, upper


def generalized_ci(
    ranked: Ranked, y_sorted: np.ndarray, need_if: bool
) -> tuple[float, float, np.ndarray | None, np.ndarray | None]:
    """Mean and generalised concentration index of ``y`` (sorted by the ranking) with influences.

    .. math:: GC = \\frac{2}{W}\\sum_k w_k y_k (R_k - \\tfrac12), \\quad
              u^{GC}_k = \\frac{1}{W}\\Big[y_k(2R_k - 1) + \\frac{2}{W}\\sum_i w_i y_i K_{ik}
              - 2GC - \\mu\\Big]

    with :math:`K_{ik} = 1(x_i > x_k) + \\tfrac12 1(x_i = x_k)`; influences are in sorted order.
    """
    w = ranked.w
    big_w = ranked.total
    wy = w * y_sorted
    y_total = float(wy.sum())
    mu = y_total / big_w
    gc = 2.0 * float(np.dot(wy, ranked.mid)) / (big_w * big_w) - mu
    if not need_if:
        return mu, gc, None, None
    upper = ranked.midcum(wy)
    np.subtract(y_total, upper, out=upper)
    upper *= 2.0 / big_w
    u_gc = ranked.mid * (2.0 / big_w)
    u_gc -= 1.0
    u_gc *= y_sorted
    u_gc += upper
    u_gc -= 2.0 * gc + mu
    u_gc /= big_w
    u_mu = (y_sorted - mu) / big_w
    return mu, gc, u_mu, u_gc
