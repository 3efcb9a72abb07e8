"""Aggregation of ATT(g, t) and the multiplier bootstrap (Callaway & Sant'Anna 2021, sec. 4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
from scipy import stats

from ... import _resample

__all__ = ["Aggregation", "aggregate_cells", "multiplier_bootstrap", "BootDraws", "AGG_KINDS", "AggKind"]

AggKind = Literal["simple", "dynamic", "group", "calendar"]
AGG_KINDS: tuple[str, ...] = get_args(AggKind)
# Columns whose bootstrap spread is below this are constant (base cells) and left out of the sup-t.
MIN_SIGMA = np.sqrt(np.finfo(float).eps) * 10


@dataclass(frozen=True)
class Aggregation:
    labels: np.ndarray  # event time / cohort / calendar time (empty for "simple")
    att: np.ndarray
    inf: np.ndarray  # (n, len(labels))
    overall_att: float
    overall_inf: np.ndarray  # (n,)


def _share_if(G: np.ndarray, w: np.ndarray, groups: np.ndarray, pg: np.ndarray) -> np.ndarray:
    """Influence function of the estimated weights pg_k / sum(pg) (the ``wif`` of R ``did``)."""
    ind = (G[:, None] == groups[None, :]) * w[:, None] - pg[None, :]
    s = pg.sum()
    return ind / s - ind.sum(axis=1, keepdims=True) * (pg / s**2)[None, :]


def _weighted(att, inf, G, w, groups, pg, sel) -> tuple[float, np.ndarray]:
    p = pg[sel]
    est = float(att[sel] @ p / p.sum())
    f = inf[:, sel] @ (p / p.sum()) + _share_if(G, w, groups[sel], p) @ att[sel]
    return est, f


def aggregate_cells(
    kind: str, cohort: np.ndarray, time: np.ndarray, att: np.ndarray, inf: np.ndarray,
    G: np.ndarray, w: np.ndarray, *, min_e: float = -np.inf, max_e: float = np.inf,
) -> Aggregation:
    """Weighted averages of ATT(g, t) with cohort-size weights and their influence functions."""
    ok = np.isfinite(att)
    e = time - cohort
    pg_of = {g: float(np.mean(w * (G == g))) for g in np.unique(cohort)}
    pg = np.array([pg_of[g] for g in cohort])
    post = ok & (cohort <= time) & (e <= max_e)
    if kind == "simple":
        est, f = _weighted(att, inf, G, w, cohort, pg, post)
        return Aggregation(np.array([]), np.array([]), np.zeros((len(G), 0)), est, f)
    if kind == "dynamic":
        labels = np.array(sorted(set(e[ok & (e >= min_e) & (e <= max_e)])))
        parts = [_weighted(att, inf, G, w, cohort, pg, ok & (e == k)) for k in labels]
        a = np.array([p[0] for p in parts])
        F = np.column_stack([p[1] for p in parts])
        keep = labels >= 0
        return Aggregation(labels, a, F, float(a[keep].mean()), F[:, keep].mean(axis=1))
    if kind == "group":
        labels = np.array(sorted(set(cohort[post])))
        a = np.array([att[post & (cohort == g)].mean() for g in labels])
        F = np.column_stack([inf[:, post & (cohort == g)].mean(axis=1) for g in labels])
        pgl = np.array([pg_of[g] for g in labels])
        est = float(a @ pgl / pgl.sum())
        f = F @ (pgl / pgl.sum()) + _share_if(G, w, labels, pgl) @ a
        return Aggregation(labels, a, F, est, f)
    labels = np.array(sorted(set(time[post])))
    parts = [_weighted(att, inf, G, w, cohort, pg, post & (time == s)) for s in labels]
    a = np.array([p[0] for p in parts])
    F = np.column_stack([p[1] for p in parts])
    return Aggregation(labels, a, F, float(a.mean()), F.mean(axis=1))


def analytic_se(inf: np.ndarray, cluster: np.ndarray | None = None) -> np.ndarray:
    """sqrt(mean(psi^2)/n); clustered: sqrt(mean_c(psibar_c^2)/C) from cluster means of psi, the
    scale R ``did``'s clustered multiplier bootstrap targets (equal to the usual cluster sum form
    when clusters have equal sizes)."""
    inf = np.atleast_2d(inf.T).T
    n = inf.shape[0]
    if cluster is None:
        return np.sqrt(np.einsum("ij,ij->j", inf, inf) / n / n)  # no n x cells temporary
    k = int(cluster.max()) + 1
    sums = np.zeros((k, inf.shape[1]))
    np.add.at(sums, cluster, inf)
    counts = np.bincount(cluster, minlength=k)
    means = sums / counts[:, None]
    return np.sqrt((means**2).mean(axis=0) / k)


@dataclass(frozen=True)
class BootDraws:
    se: np.ndarray
    crit: float  # uniform (sup-t) critical value at the requested level
    reps: int
    seed: int | None


def multiplier_bootstrap(
    inf: np.ndarray, *, reps: int, seed: int | None, level: float = 0.95,
    cluster: np.ndarray | None = None, chunk: int = 128,
) -> BootDraws:
    """Rademacher multiplier bootstrap of sqrt(n) * mean(psi); SEs from the interquartile range.

    Draws are made in chunks so that memory stays O(chunk x n) on large panels.
    """
    rng = np.random.default_rng(seed)
    inf = np.atleast_2d(inf.T).T
    if cluster is not None:
        k = int(cluster.max()) + 1
        sums = np.zeros((k, inf.shape[1]))
        np.add.at(sums, cluster, inf)
        base = sums / np.bincount(cluster, minlength=k)[:, None]
    else:
        base = inf
    m = base.shape[0]
    seconds = reps * (2.0 * m * base.shape[1] + 4 * m) / 1e9
    _resample.check_budget("multiplier bootstrap", reps=reps, seconds_needed=seconds,
                           bytes_needed=8.0 * (3 * reps * base.shape[1] + chunk * m + base.size))
    out = np.empty((reps, base.shape[1]))
    with _resample.progress_bar(reps, desc="multiplier bootstrap", expected_seconds=seconds) as bar:
        for s in range(0, reps, chunk):
            r = min(chunk, reps - s)
            v = rng.integers(0, 2, size=(r, m), dtype=np.int8).astype(float) * 2 - 1
            out[s : s + r] = (v @ base) / np.sqrt(m)
            bar.update(r)
    q75, q25 = np.quantile(out, [0.75, 0.25], axis=0, method="inverted_cdf")
    sigma = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    good = sigma > MIN_SIGMA
    if good.any():
        tmax = np.max(np.abs(out[:, good] / sigma[good]), axis=1)
        crit = float(np.quantile(tmax, level, method="inverted_cdf"))
    else:
        crit = float("nan")
    se = np.where(good, sigma / np.sqrt(m), np.nan)
    return BootDraws(se, crit, reps, seed)
