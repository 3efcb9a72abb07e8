"""Variance of a measure from its influence function, and bootstrap weights.

The influence function used throughout is the derivative of the estimator with respect to each
observation's weight, :math:`u_k = \\partial \\hat\\theta / \\partial w_k` (Deville 1999). With it,
:math:`\\hat\\theta - \\theta \\approx \\sum_k w_k u_k` behaves like an estimated total, so its variance
follows the usual with-replacement formula for totals:

.. math:: \\hat V = \\sum_h \\frac{n_h (1 - f_h)}{n_h - 1} \\sum_{i \\in h} (z_{hi} - \\bar z_h)^2,
          \\qquad z_{hi} = \\sum_{k \\in \\text{PSU } hi} w_k u_k

(strata :math:`h`, PSUs :math:`i`; without a design every row is its own PSU in one stratum, with
``cluster=`` every cluster is a PSU). This is the estimator of R ``survey``/``convey`` and Stata ``svy``.
Frequency weights are treated as replicated rows: :math:`\\hat V = \\frac{N}{N-1}\\sum_k f_k (u_k-\\bar u)^2`.

References
----------
Deville, J.-C. (1999). Variance estimation for complex statistics and estimators: linearization and
residual techniques. *Survey Methodology* 25(2), 193-203.
Rao, J. N. K., & Wu, C. F. J. (1988). Resampling inference with complex survey data. *JASA* 83, 231-241.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..errors import DataValueError
from ._weights import Sample


def _psu_structure(sample: Sample) -> tuple[np.ndarray, np.ndarray] | None:
    """PSU id per row and stratum id per PSU, or None when every row is its own PSU in one stratum."""
    if sample.design:
        strata = sample.strata
        psu = sample.psu
        if psu is None and strata is None:
            return None
        if psu is None:
            psu = np.arange(sample.n)
        if strata is None:
            strata = np.zeros(sample.n, dtype=np.intp)
        pair = strata.astype(np.int64) * (int(psu.max()) + 1) + psu
        uniq, psu_id = np.unique(pair, return_inverse=True)
        stratum_of_psu = (uniq // (int(psu.max()) + 1)).astype(np.intp)
        return psu_id.reshape(-1), stratum_of_psu
    if sample.cluster is not None:
        # only the clusters present in this (by-group) sample count, as in Stata's by-prefix with
        # vce(cluster): codes absent here must not enter as zero-total clusters
        uniq, cid = np.unique(sample.cluster, return_inverse=True)
        return cid.reshape(-1), np.zeros(uniq.shape[0], dtype=np.intp)
    return None


def _fpc_by_stratum(sample: Sample, n_h: np.ndarray, stratum_of_row: np.ndarray) -> np.ndarray:
    fpc = sample.fpc
    h = n_h.shape[0]
    lo = np.full(h, np.inf)
    hi = np.full(h, -np.inf)
    np.minimum.at(lo, stratum_of_row, fpc)
    np.maximum.at(hi, stratum_of_row, fpc)
    if (lo != hi).any():
        raise DataValueError(
            "the design's fpc column varies within a stratum; it must hold one value per stratum "
            "(the stratum's population count of PSUs, or its sampling fraction)."
        )
    frac = np.where(lo > 1, n_h / lo, lo)
    if (frac > 1).any() or (frac < 0).any():
        raise DataValueError(
            "the design's fpc implies a sampling fraction outside [0, 1] (more sampled PSUs than the "
            "population count); check the fpc column."
        )
    return 1.0 - frac


def linearized_variance(u: np.ndarray, sample: Sample, consume: bool = False) -> np.ndarray:
    """Variance of sum(w * u) under the sample's design; ``u`` is (n,) or (n, k).

    With ``consume=True`` a one-dimensional ``u`` may be overwritten (saves an n-vector).
    """
    u2 = u.reshape(sample.n, -1)
    w = sample.w
    structure = _psu_structure(sample)
    if structure is None and u.ndim == 1 and not (
        sample.weight_type == "fweight" and sample.weighted
    ):
        n = sample.n
        if n < 2:
            raise DataValueError("a variance needs at least two observations.")
        z = np.multiply(u, w, out=u if consume else None)
        total = float(z.sum())
        return np.array([n / (n - 1) * (float(np.dot(z, z)) - total * total / n)])
    if structure is None and sample.weight_type == "fweight" and sample.weighted:
        big_n = w.sum()
        if big_n <= 1:
            raise DataValueError("a variance needs at least two (frequency-weighted) observations.")
        ubar = (w @ u2) / big_n
        dev = u2 - ubar
        return big_n / (big_n - 1) * (w @ (dev * dev))
    z = u2 * w[:, None]
    if structure is None:
        n = sample.n
        if n < 2:
            raise DataValueError("a variance needs at least two observations.")
        zbar = z.mean(axis=0)
        dev = z - zbar
        return n / (n - 1) * np.einsum("ij,ij->j", dev, dev)
    psu_id, stratum_of_psu = structure
    n_psu = stratum_of_psu.shape[0]
    totals = np.column_stack(
        [np.bincount(psu_id, weights=z[:, j], minlength=n_psu) for j in range(z.shape[1])]
    )
    n_strata = int(stratum_of_psu.max()) + 1
    n_h = np.bincount(stratum_of_psu, minlength=n_strata).astype(float)
    if (n_h < 2).any():
        which = np.flatnonzero(n_h < 2)[:5]
        raise DataValueError(
            f"{int((n_h < 2).sum())} stratum/strata (codes {which.tolist()}) contain a single PSU "
            "(or cluster), so their variance cannot be estimated; collapse such strata with a "
            "neighbouring one."
        )
    scale = n_h / (n_h - 1)
    if sample.design and sample.fpc is not None:
        strata_rows = stratum_of_psu[psu_id]
        scale = scale * _fpc_by_stratum(sample, n_h, strata_rows)
    out = np.empty(z.shape[1])
    for j in range(z.shape[1]):
        means = np.bincount(stratum_of_psu, weights=totals[:, j], minlength=n_strata) / n_h
        dev = totals[:, j] - means[stratum_of_psu]
        ss = np.bincount(stratum_of_psu, weights=dev * dev, minlength=n_strata)
        out[j] = float((scale * ss).sum())
    return out


def bootstrap_weights(sample: Sample, reps: int, seed: int | np.random.Generator | None) -> Iterator[np.ndarray]:
    """Yield ``reps`` bootstrap weight vectors for the sample.

    Rows are resampled with replacement; with ``cluster=`` whole clusters are; with a design, PSUs
    are resampled within strata by the Rao-Wu rescaling bootstrap (``n_h - 1`` draws, weights scaled
    by ``n_h / (n_h - 1)``), as R ``survey``'s ``subbootstrap``. Frequency weights are resampled as the
    replicated rows they stand for.
    """
    rng = np.random.default_rng(seed)
    w = sample.w
    structure = _psu_structure(sample)
    if structure is None:
        if sample.weight_type == "fweight" and sample.weighted:
            big_n = int(round(w.sum()))
            p = w / w.sum()
            for _ in range(reps):
                yield rng.multinomial(big_n, p).astype(float)
            return
        n = sample.n
        for _ in range(reps):
            yield w * np.bincount(rng.integers(0, n, n), minlength=n)
        return
    psu_id, stratum_of_psu = structure
    n_psu = stratum_of_psu.shape[0]
    if not sample.design:
        for _ in range(reps):
            mult = np.bincount(rng.integers(0, n_psu, n_psu), minlength=n_psu).astype(float)
            yield w * mult[psu_id]
        return
    order = np.argsort(stratum_of_psu, kind="stable")
    n_strata = int(stratum_of_psu.max()) + 1
    n_h = np.bincount(stratum_of_psu, minlength=n_strata)
    if (n_h < 2).any():
        raise DataValueError(
            "a stratum contains a single PSU, so it cannot be bootstrapped; collapse such strata."
        )
    offsets = np.concatenate([[0], np.cumsum(n_h)[:-1]])
    draw_stratum = np.repeat(np.arange(n_strata), n_h - 1)
    draw_offset = offsets[draw_stratum]
    draw_size = n_h[draw_stratum]
    scale = (n_h / (n_h - 1.0))[stratum_of_psu]
    for _ in range(reps):
        picks = draw_offset + (rng.random(draw_stratum.shape[0]) * draw_size).astype(np.intp)
        counts = np.bincount(order[picks], minlength=n_psu)
        yield w * (counts * scale)[psu_id]
