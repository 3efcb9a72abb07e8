"""The compiled passes of :mod:`disparity.models._absorb` (numba; cached on disk).

Each kernel does the arithmetic of the numpy passes of that module in the same order (the tests
check the two give the same bits); codes of up to three sets may each have their own integer type
(``numba.literal_unroll`` loops over them).
"""

from __future__ import annotations

import numpy as np


def compile_kernels(numba) -> dict:  # pragma: no cover - compiled; tested against the numpy passes
    """The numba kernels, by name. Sums run over rows in the visiting order, as ``np.bincount``
    does."""
    jit = numba.njit(cache=True, nogil=True)
    unroll = numba.literal_unroll  # (a loop over codes of different integer types)

    @jit
    def is_sorted(g0, B, g1):
        # rows in the order of (g0 // B, g1)? (B = 1, g1 = g0: in the order of g0)
        if B == 1:
            for i in range(1, g0.size):
                if g0[i] < g0[i - 1] or (g0[i] == g0[i - 1] and g1[i] < g1[i - 1]):
                    return False
            return True
        for i in range(1, g0.size):
            b, a = g0[i] // B, g0[i - 1] // B
            if b < a or (b == a and g1[i] < g1[i - 1]):
                return False
        return True

    @jit
    def order(g, G):
        start = np.zeros(G + 1, dtype=np.intp)
        for i in range(g.size):
            start[g[i] + 1] += 1
        for v in range(G):
            start[v + 1] += start[v]
        perm = np.empty(g.size, dtype=np.int32)
        for i in range(g.size):
            perm[start[g[i]]] = i
            start[g[i]] += 1
        return perm

    @jit
    def order_block(g0, B, G0, g1, G1):
        # stable counting sorts: by g1, then by g0 // B (= np.lexsort((g1, g0 // B)))
        p1 = order(g1, G1)
        nb = (G0 - 1) // B + 1
        start = np.zeros(nb + 1, dtype=np.intp)
        for i in range(g0.size):
            start[g0[i] // B + 1] += 1
        for v in range(nb):
            start[v + 1] += start[v]
        perm = np.empty(g0.size, dtype=np.int32)
        for t in range(g0.size):
            i = p1[t]
            b = g0[i] // B
            perm[start[b]] = i
            start[b] += 1
        return perm

    @jit
    def take(g, perm, out):
        for p in range(perm.size):
            out[p] = g[perm[p]]
        return out

    @jit
    def fill_sorted(g, G):
        # g <- its values in increasing order (a counting sort of codes 0..G-1, in place)
        cnt = np.zeros(G, dtype=np.intp)
        for i in range(g.size):
            cnt[g[i]] += 1
        p = 0
        for v in range(G):
            for _ in range(cnt[v]):
                g[p] = v
                p += 1

    @jit
    def counts(gs, off, tot):
        q = 0
        for g in unroll(gs):
            o = off[q]
            for i in range(g.size):
                tot[g[i] + o] += 1
            q += 1

    @jit
    def positions(keep, out):
        t = 0
        for i in range(keep.size):
            if keep[i]:
                out[t] = i
                t += 1

    @jit
    def compact(col, keep):
        t = 0
        for i in range(col.size):
            if keep[i]:
                col[t] = col[i]
                t += 1

    @jit
    def sums(M, gs, off, w, S, colmax):
        n, k = M.shape
        for i in range(n):
            for c in range(k):
                v = M[i, c]
                if abs(v) > colmax[c]:
                    colmax[c] = abs(v)
                x = w[i] * v if w.size else v
                q = 0
                for g in unroll(gs):
                    S[g[i] + off[q], c] += x
                    q += 1

    @jit
    def sums_perm(M, gs, off, w, perm, S, colmax):
        # sums in the visiting order: row p of the codes (and weights) is row perm[p] of M
        k = M.shape[1]
        for p in range(perm.size):
            i = perm[p]
            for c in range(k):
                v = M[i, c]
                if abs(v) > colmax[c]:
                    colmax[c] = abs(v)
                x = w[p] * v if w.size else v
                q = 0
                for g in unroll(gs):
                    S[g[p] + off[q], c] += x
                    q += 1

    # acc*: buf[g, t] = sum over rows p of group g (set q) of w_p * sum_{j != q} A[C_j[p] + off_j, c]
    # (C: the K code vectors in visiting order; G: the levels of set q)
    @jit
    def acc2(cq, c1, o1, w, A, G, cols, buf):
        m = cols.size
        buf[:G, :m] = 0.0
        if w.size:
            for p in range(cq.size):
                r, a1, wp = cq[p], c1[p] + o1, w[p]
                for t in range(m):
                    buf[r, t] += wp * A[a1, cols[t]]
        else:
            for p in range(cq.size):
                r, a1 = cq[p], c1[p] + o1
                for t in range(m):
                    buf[r, t] += A[a1, cols[t]]

    @jit
    def acc3(cq, c1, c2, o1, o2, w, A, G, cols, buf):
        m = cols.size
        buf[:G, :m] = 0.0
        if w.size:
            for p in range(cq.size):
                r, a1, a2, wp = cq[p], c1[p] + o1, c2[p] + o2, w[p]
                for t in range(m):
                    c = cols[t]
                    buf[r, t] += wp * (A[a1, c] + A[a2, c])
        else:
            for p in range(cq.size):
                r, a1, a2 = cq[p], c1[p] + o1, c2[p] + o2
                for t in range(m):
                    c = cols[t]
                    buf[r, t] += A[a1, c] + A[a2, c]

    @jit
    def block_starts(c0, B, nb):
        # rows (in blocks of B levels of c0) where each block starts, and the end
        starts = np.zeros(nb + 1, dtype=np.intp)
        for p in range(c0.size):
            starts[c0[p] // B + 1] += 1
        for b in range(nb):
            starts[b + 1] += starts[b]
        return starts

    # acc*_blocks: the projection on the largest set (levels 0..G-1), rows in blocks of B of its
    # levels: each block's levels are accumulated in buf (the same sums in the same order as
    # acc*) and finished as soon as its rows are done (as finish)
    @jit
    def acc2_blocks(c0, c1, o1, w, A, S, inv, G, starts, B, cols, buf, delta):
        m = cols.size
        delta[:m] = 0.0
        for b in range(starts.size - 1):
            lo = b * B
            hi = min(lo + B, G)
            buf[:hi - lo, :m] = 0.0
            for p in range(starts[b], starts[b + 1]):
                r, a1 = c0[p] - lo, c1[p] + o1
                wp = w[p] if w.size else 1.0
                for t in range(m):
                    if w.size:
                        buf[r, t] += wp * A[a1, cols[t]]
                    else:
                        buf[r, t] += A[a1, cols[t]]
            for t in range(m):
                c = cols[t]
                d = delta[t]
                for g in range(lo, hi):
                    new = (S[g, c] - buf[g - lo, t]) * inv[g]
                    if abs(new - A[g, c]) > d:
                        d = abs(new - A[g, c])
                    A[g, c] = new
                delta[t] = d

    @jit
    def acc3_blocks(c0, c1, c2, o1, o2, w, A, S, inv, G, starts, B, cols, buf, delta):
        m = cols.size
        delta[:m] = 0.0
        for b in range(starts.size - 1):
            lo = b * B
            hi = min(lo + B, G)
            buf[:hi - lo, :m] = 0.0
            for p in range(starts[b], starts[b + 1]):
                r, a1, a2 = c0[p] - lo, c1[p] + o1, c2[p] + o2
                wp = w[p] if w.size else 1.0
                for t in range(m):
                    c = cols[t]
                    if w.size:
                        buf[r, t] += wp * (A[a1, c] + A[a2, c])
                    else:
                        buf[r, t] += A[a1, c] + A[a2, c]
            for t in range(m):
                c = cols[t]
                d = delta[t]
                for g in range(lo, hi):
                    new = (S[g, c] - buf[g - lo, t]) * inv[g]
                    if abs(new - A[g, c]) > d:
                        d = abs(new - A[g, c])
                    A[g, c] = new
                delta[t] = d

    @jit
    def acck(q, C, off, w, A, G, cols, buf):
        K = len(C)
        m = cols.size
        buf[:G, :m] = 0.0
        cq = C[q]
        for p in range(cq.size):
            r = cq[p]
            for t in range(m):
                c = cols[t]
                s = 0.0
                for j in range(K):
                    if j != q:
                        s += A[C[j][p] + off[j], c]
                buf[r, t] += w[p] * s if w.size else s

    @jit
    def finish(A, S, inv, lo, hi, cols, buf, delta):
        for t in range(cols.size):
            c = cols[t]
            d = 0.0
            for g in range(lo, hi):
                new = (S[g, c] - buf[g - lo, t]) * inv[g]
                if abs(new - A[g, c]) > d:
                    d = abs(new - A[g, c])
                A[g, c] = new
            delta[t] = d

    @jit
    def residual(M, gs, off, A, out):
        n, k = M.shape
        for i in range(n):
            for c in range(k):
                s = M[i, c]
                j = 0
                for g in unroll(gs):
                    s -= A[g[i] + off[j], c]
                    j += 1
                out[i, c] = s

    @jit
    def singletons(gs, levels):
        # one row removed updates every count at once, so removals cascade within a pass; the
        # rows left are the same (removal is monotone: the largest set without singletons stays)
        n = gs[0].size
        counts = [np.zeros(levels[q], dtype=np.intp) for q in range(len(gs))]
        q = 0
        for g1 in unroll(gs):
            cq = counts[q]
            for i in range(n):
                cq[g1[i]] += 1
            q += 1
        keep = np.ones(n, dtype=np.bool_)
        changed = True
        while changed:
            changed = False
            for i in range(n):
                if keep[i]:
                    single = False
                    q = 0
                    for g2 in unroll(gs):
                        if counts[q][g2[i]] == 1:
                            single = True
                        q += 1
                    if single:
                        keep[i] = False
                        changed = True
                        q = 0
                        for g3 in unroll(gs):
                            counts[q][g3[i]] -= 1
                            q += 1
        return keep

    @jit
    def components(a, b, na, nb):
        # union-find (path halving) on the bipartite graph of the levels of a and b
        parent = np.arange(na + nb)
        for i in range(a.size):
            x, y = np.intp(a[i]), np.intp(b[i]) + na
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            while parent[y] != y:
                parent[y] = parent[parent[y]]
                y = parent[y]
            if x != y:
                parent[max(x, y)] = min(x, y)
        roots = 0
        for v in range(na + nb):
            if parent[v] == v:
                roots += 1
        return roots

    @jit
    def nested(g, c, G):
        seen = np.full(G, -1, dtype=np.intp)
        for i in range(g.size):
            s = seen[g[i]]
            if s < 0:
                seen[g[i]] = c[i]
            elif s != c[i]:
                return False
        return True

    @jit
    def int_table(v, lo, present):
        # present[value - lo] <- the value's code (dense, in sorted order); returns the count
        for i in range(v.size):
            present[v[i] - lo] = 1
        code = -1
        for j in range(present.size):
            code += present[j]
            present[j] = code
        return code + 1

    @jit
    def int_apply(v, lo, table, out):
        for i in range(v.size):
            out[i] = table[v[i] - lo]

    @jit
    def recode(g, keep, G, out):
        # out may be g's own first rows: row i is read before row t <= i is written
        remap = np.zeros(G, dtype=np.intp)
        for i in range(g.size):
            if keep[i]:
                remap[g[i]] = 1
        code = -1
        for j in range(G):
            code += remap[j]
            remap[j] = code
        t = 0
        for i in range(g.size):
            if keep[i]:
                out[t] = remap[g[i]]
                t += 1
        return out

    return {"int_table": int_table, "int_apply": int_apply, "recode": recode, "is_sorted": is_sorted, "order": order,
            "order_block": order_block, "take": take, "sums_perm": sums_perm, "fill_sorted": fill_sorted,
            "positions": positions,
            "block_starts": block_starts, "acc2_blocks": acc2_blocks, "acc3_blocks": acc3_blocks,
            "counts": counts, "compact": compact,
            "sums": sums, "acc2": acc2,
            "acc3": acc3, "acck": acck, "finish": finish, "residual": residual,
            "singletons": singletons, "components": components, "nested": nested}
