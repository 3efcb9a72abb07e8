"""Variance of a measure from its influence function, and bootstrap weights.

The influence function used throughout is the derivative of the estimator with respect to each
observation's weight, :math:`u_k = \\partial \\hat\\theta / \\partial w_k` (Deville 1999). With it,
:math:`\\hat\\theta - \\theta \\approx \\sum_k w_k u_k` behaves like an estimated total, so its variance
follows the usual with-replacement formula for totals:

.. math:: \\hat V = \\sum_h \\frac{n_h (1 - f_h)}{n_h - 1} \\sum_{i \\in h} (z_{hi} - \\bar z_h)^2,
          \\qquad z_{hi} = \\sum_{k \\in \\text{PSU } hi} w_k u_k

(strata :math:`h`, PSUs :math:`i`; without a design every row is its own PSU in one stratum, with
``cluster=`` every cluster is a PSU). This is the estimator of R ``survey``/``convey`` and Stata ``svy``.
With a design the computation is :meth:`disparity.survey._core.BoundDesign.taylor_cov`, the one
implementation shared with the models (multistage, fpc per stage, single-PSU rules, domains).
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
    """Cluster id per row and (single) stratum per cluster for ``cluster=``, else None."""
    if sample.cluster is not None:
        # only the clusters present in this (by-group) sample count, as in Stata's by-prefix with
        # vce(cluster): codes absent here must not enter as zero-total clusters
        uniq, cid = np.unique(sample.cluster, return_inverse=True)
        return cid.reshape(-1), np.zeros(uniq.shape[0], dtype=np.intp)
    return None


def linearized_variance(u: np.ndarray, sample: Sample, consume: bool = False) -> np.ndarray:
    """Variance of sum(w * u) under the sample's design; ``u`` is (n,) or (n, k).

    With ``consume=True`` a one-dimensional ``u`` may be overwritten (saves an n-vector).
    """
    u2 = u.reshape(sample.n, -1)
    w = sample.w
    if sample.bound is not None:
        # the one survey variance (disparity.survey._core), over the whole design: rows outside
        # this sample's domain contribute zero, strata and PSU counts are the design's
        return sample.bound.taylor_cov(u2 * w[:, None], sample.rows, diag=True)
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
    if n_psu < 2:
        raise DataValueError(
            "the sample has a single cluster, so its variance cannot be estimated; cluster-robust "
            "variances need at least two clusters."
        )
    out = np.empty(z.shape[1])
    for j in range(z.shape[1]):
        totals = np.bincount(psu_id, weights=z[:, j], minlength=n_psu)
        dev = totals - totals.mean()
        out[j] = n_psu / (n_psu - 1) * float(dev @ dev)
    return out


def bootstrap_weights(sample: Sample, reps: int, seed: int | np.random.Generator | None) -> Iterator[np.ndarray]:
    """Yield ``reps`` bootstrap weight vectors for the sample.

    Rows are resampled with replacement; with ``cluster=`` whole clusters are; with a design, the
    design's PSUs are resampled within strata by the Rao-Wu rescaling bootstrap (``n_h - 1``
    draws, weights scaled by ``n_h / (n_h - 1)``), as R ``survey``'s ``subbootstrap``, over the
    whole design (domains included). Frequency weights are resampled as the replicated rows they
    stand for.
    """
    rng = np.random.default_rng(seed)
    w = sample.w
    if sample.bound is not None:
        stage = sample.bound.stages[0]
        rows = sample.rows
        psu_id = stage.cluster if rows is None else stage.cluster[rows]
        stratum_of_psu = stage.stratum_of
        n_psu = stage.n_units
        order = np.argsort(stratum_of_psu, kind="stable")
        n_strata = int(stage.n_h.shape[0])
        n_h = stage.n_h.astype(np.intp)
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
        return
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
    for _ in range(reps):
        mult = np.bincount(rng.integers(0, n_psu, n_psu), minlength=n_psu).astype(float)
        yield w * mult[psu_id]
