"""Linear regression: ordinary and weighted least squares with the full covariance vocabulary."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from .._dispatch import dispatches
from .._options import (
    FEW_CLUSTERS_KINDS,
    WEIGHT_TYPES,
    BootWeights,
    FewClusters,
    SscKind,
    VcovKind,
    WeightType,
    check_option,
)
from .._weights import check_weights
from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, SpecificationError
from . import _absorb
from . import covariance as cv
from ._absorb import (
    absorb_codes,
    absorb_columns,
    compact_rows,
    drop_singletons,
    fe_dof,
    nested_dof,
    recode,
)
from ._covsurvey import survey_data
from ._margins import AverageEffects
from ._solver import solve_lstsq
from .bootstrap import BOOT_WEIGHTS, wild_cluster_bootstrap
from .formula import Design, build_design
from .results import ModelResult, ModelSpec, WildIntervals, data_source

__all__ = ["ols", "prepare_weights", "resolve_design"]


def prepare_weights(
    data: pd.DataFrame, weights: str | None, weight_type: str, index: pd.Index
) -> np.ndarray | None:
    """Weights on the estimation rows, checked and normalised per ``weight_type``."""
    check_option("weight_type", weight_type, WEIGHT_TYPES)
    if weights is None:
        return None
    if not isinstance(weights, str) or weights not in data.columns:
        raise SpecificationError(f"weights={weights!r} must name a column of the data.")
    w = pd.to_numeric(data.loc[index, weights], errors="coerce").to_numpy(dtype=float)
    return check_weights(w, index, weights, weight_type)


def resolve_design(
    design: SurveyDesign | ReplicateDesign | None, weights: str | None, weight_type: str, vcov: str
) -> tuple[str | None, str]:
    """Reconcile ``design=`` with ``weights=``: a survey design carries its own pweights.

    (``vcov`` left at "iid" with a design has become "survey" before: :func:`covariance.design_default`.)
    """
    if vcov == "survey":
        if design is None:
            raise SpecificationError(
                "vcov='survey' needs design=dp.SurveyDesign(weights=..., strata=..., psu=...)."
            )
        if weights is not None and design.weights is not None and weights != design.weights:
            raise SpecificationError(
                f"weights={weights!r} and design.weights={design.weights!r} disagree; give one."
            )
        return (design.weights or weights), "pweight"
    if design is not None:  # an explicit non-survey vcov: the design supplies the sampling weights
        if weights is not None and design.weights is not None and weights != design.weights:
            raise SpecificationError(
                f"weights={weights!r} and design.weights={design.weights!r} disagree; give one."
            )
        return (design.weights or weights), "pweight"
    return weights, weight_type


class LinearRaw(Mapping[str, Any]):
    """``raw`` of :func:`ols`: ``X``, ``y``, ``weights``, ``bread``, ``solution`` and ``resid``.

    ``resid`` is computed from the design on first access (``solution.resid``), so a fit never
    holds an n-vector beyond its design unless asked for one (issue 22).
    """

    def __init__(self, **items: Any) -> None:
        self._items = items

    def __getitem__(self, key: str) -> Any:
        if key == "resid":
            return self._items["solution"].resid
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter([*self._items, "resid"])

    def __len__(self) -> int:
        return len(self._items) + 1


def _check_nobs(d: Design, formula: str) -> None:
    n, k = d.X.shape
    if n <= k:
        raise DataValueError(
            f"Too few observations for {formula!r}: {n} complete rows ({d.n_dropped} dropped for "
            f"missing values) for {k} coefficients. Use more data or fewer regressors."
        )


def _absorb_design(
    d: Design, data: pd.DataFrame, cols: tuple[str, ...]
) -> tuple[Design, list[np.ndarray], int, list[str], np.ndarray | None]:
    """Restrict the design to the rows that survive singleton removal; codes of the effects.

    ``d`` is built with ``absorb_block=True``: its block (outcome, regressors) and the codes are
    compacted to the kept rows in place (no second copy of either). When rows are dropped, the
    index of the kept ones is formed after the demeaning (:func:`_kept_rows`; it would add an
    int64 n-vector to the demeaning's peak): until then ``d`` carries a placeholder index and
    the rows kept are returned as packed bits.
    """
    assert d.block is not None
    codes = absorb_codes(data, cols, d.index)
    keep = drop_singletons(codes)
    n_single = keep.size - int(np.count_nonzero(keep))  # (no n-vector of negated flags)
    notes = []
    if n_single:
        notes.append(
            f"{n_single} singleton observation(s) dropped (alone in a fixed-effect group), "
            "as reghdfe and fixest do."
        )
    if not keep.any():
        raise DataValueError(
            "Every observation is a singleton in some fixed-effect group; nothing is left to estimate."
        )
    if d.X.shape[1] == 0:
        raise SpecificationError("With absorb=, the formula needs at least one regressor.")
    bits = None
    if n_single:
        block = compact_rows(d.block, keep)
        bits = np.packbits(keep)
        d = _with_rows(replace(d, block=block), pd.RangeIndex(block.shape[0]))
    return d, recode(codes, keep, inplace=True), n_single, notes, bits


def _with_rows(d: Design, index: pd.Index) -> Design:
    """``d`` with ``index`` on its rows (y and X views of its block)."""
    assert d.block is not None
    return replace(
        d, index=index,
        y=pd.Series(d.block[:, 0], index=index, name=d.y.name, copy=False),
        X=pd.DataFrame(d.block[:, 1:], index=index, columns=d.X.columns, copy=False),
    )


def _kept_rows(d: Design, index: pd.Index, bits: np.ndarray) -> Design:
    """``d`` on the rows of ``index`` kept (``bits``: :func:`numpy.packbits` of the mask); a
    range index by the labels of its kept positions (no arange of all rows first), as int32
    when they fit (half of an int64 n-vector)."""
    keep = np.unpackbits(bits, count=len(index)).view(bool)
    if isinstance(index, pd.RangeIndex):
        lo, hi = sorted((index.start, index.start + index.step * max(len(index) - 1, 0)))
        dt = np.int32 if 0 <= lo and hi < 2**31 else np.int64
        pos = np.flatnonzero(keep).astype(dt, copy=False) if dt is np.int64 else \
            _absorb.positions(keep, dt)
        del keep
        if index.step != 1:
            pos *= index.step
        if index.start:
            pos += index.start
        return _with_rows(d, pd.Index(pos, copy=False))
    return _with_rows(d, index[keep])


def _refill_codes(data, cols, rows, bits, groups):
    """A function writing the codes of the effects back into ``groups`` as :func:`_absorb_design`
    formed them (on ``rows``, then renumbered on the kept ones): into each array's own
    full-length buffer, without a second copy of the codes (:func:`_absorb.demean` reorders them
    in their own arrays and drops the order)."""
    def refill() -> None:
        keep = None if bits is None else np.unpackbits(bits, count=len(rows)).view(bool)
        for c, g in zip(cols, groups, strict=True):
            col = data[c] if rows.equals(data.index) else data.loc[rows, c]
            full = g if keep is None else g.base
            if not (isinstance(full, np.ndarray) and full.shape == (len(rows),)
                    and full.dtype == g.dtype and full.ctypes.data == g.ctypes.data):
                full = None  # (not a prefix of its own buffer: via a copy)
            fresh = _absorb.factor_codes(col, narrow=True, out=full)
            if keep is not None:
                fresh = recode([fresh], keep, inplace=True)[0]
            if fresh.ctypes.data != g.ctypes.data:
                g[:] = fresh
    return refill


def _absorb_cluster_codes(data, clist, index, fe_cols, fe_groups) -> list[np.ndarray]:
    """Cluster codes; a cluster column that is also absorbed reuses the effect's codes (the same
    numbers: dense codes in sorted order of its values on the estimation rows)."""
    if len(clist) > 2 or not any(c in fe_cols for c in clist):
        return cv.cluster_codes(data, list(clist), index)
    out = []
    for c in clist:
        if c in fe_cols:
            g = fe_groups[fe_cols.index(c)]
            if int(g.max()) < 1:
                raise DataValueError(
                    f"Cluster column {c!r} has a single cluster in the estimation sample; "
                    "cluster-robust variances need at least two (use vcov='HC1', or a "
                    "coarser/finer clustering variable)."
                )
            out.append(g)
        else:
            out.extend(cv.cluster_codes(data, [c], index))
    return out


def _col_norms(X: np.ndarray) -> np.ndarray:
    """Euclidean norm of each column (one column at a time: no n x k temporary)."""
    return np.array([np.linalg.norm(X[:, j]) for j in range(X.shape[1])])


def _drop_absorbed(yd, Xd, before, names):
    """Drop the regressors the effects absorbed (``before``: their norms before demeaning)."""
    from .panel import ABSORBED_TOL

    after = _col_norms(Xd)
    gone = [j for j in range(len(names)) if after[j] <= ABSORBED_TOL * max(before[j], 1e-300)]
    if len(gone) == len(names):
        raise SpecificationError(
            "Every regressor (" + ", ".join(names) + ") is collinear with the absorbed fixed effects."
        )
    if not gone:  # (a column selection would copy the design)
        return yd, Xd, list(names), []
    keep = [j for j in range(len(names)) if j not in gone]
    return yd, Xd[:, keep], [names[j] for j in keep], [names[j] for j in gone]


def _wdot(w: np.ndarray | None, a: np.ndarray, b: np.ndarray) -> float:
    """``sum_i w_i a_i b_i`` (``w = 1`` when None) without an n-vector of ones."""
    # einsum, not BLAS ddot: no thread pool spinning for a single pass
    return float(np.einsum("i,i->", a, b) if w is None else np.einsum("i,i,i->", w, a, b))


def _centred_ss(w: np.ndarray | None, y: np.ndarray, ybar: float, block: int = 1 << 16) -> float:
    """``sum_i w_i (y_i - ybar)^2`` by blocks (no n-vector temporary)."""
    return sum(_wdot(None if w is None else w[s:s + block], y[s:s + block] - ybar,
                     y[s:s + block] - ybar) for s in range(0, y.size, block))


def _check_outcome(y: np.ndarray, d: Design) -> None:
    """A constant outcome has nothing to explain: every standard error would be 0 and t infinite."""
    if y.size and np.all(y == y[0]):
        raise DataValueError(
            f"The outcome {d.y.name!r} is constant ({y[0]:g}) on all {y.size} estimation rows; "
            "there is no variation to explain (standard errors would be 0 and t statistics infinite). "
            "Check the outcome column and the rows kept."
        )


@dispatches("ols")
def ols(
    formula: str,
    data: pd.DataFrame,
    *,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    vcov: VcovKind = "iid",
    cluster: str | Sequence[str] | None = None,
    design: SurveyDesign | ReplicateDesign | None = None,
    ssc: SscKind = "stata",
    absorb: str | Sequence[str] | None = None,
    few_clusters: FewClusters = "wild",
    reps: int = 9999,
    boot_weights: BootWeights = "rademacher",
    seed: int | None = None,
    safe: bool = False,
    progress: bool = True,
) -> ModelResult:
    """Linear regression by (weighted) least squares.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 + C(region) + x1:x2"`` (formulaic syntax). With ``safe=True`` (formulas read
        from analysis files) only column names, arithmetic and allowlisted transforms are accepted.
    data : DataFrame
    weights : str, optional
        Column of weights; meaning set by ``weight_type`` ("pweight", "aweight", "fweight").
    vcov : str
        "iid", "HC0"-"HC3", "cluster", "wild" or "survey" (see :mod:`disparity.models.covariance`).
        With pweights, "iid" is replaced by "HC1" (as Stata does) and the summary says so; with
        ``design=`` and ``vcov`` left at "iid" the variance is "survey" (the summary says so), and
        an explicit other ``vcov`` is computed with the design's weights as pweights.
    cluster : str or list of two str
        Clustering variable(s) for "cluster"/"wild".
    design : SurveyDesign, optional
        Survey design for ``vcov="survey"``.
    ssc : {"stata", "fixest", "plm", "none"}
        Small-sample convention of the variance (table in :mod:`disparity.models.covariance`);
        "stata" is ``regress`` (with ``absorb=``, ``reghdfe``).
    absorb : str or list of str, optional
        Fixed effects to absorb (any number, e.g. ``["county", "year", "industry"]``), as
        ``reghdfe``/``fixest::feols("y ~ x | county + year + industry")``: singletons are dropped
        (counted in ``stats["n_singletons"]`` and noted), redundant levels are found (exactly for
        two sets), the absorbed parameters are counted under ``ssc``, and effects nested in the
        clusters are not counted in the cluster factor. The intercept is absorbed; regressors
        collinear with the effects are dropped with a note.
    few_clusters : {"wild", "analytic"}
        With one-way ``vcov="cluster"`` and fewer than ``FEW_CLUSTERS`` (42) clusters, "wild" (the
        default) makes the result carry wild-bootstrap p-values and intervals.
    reps, boot_weights, seed
        Wild bootstrap draws, auxiliary distribution ("rademacher"/"webb") and seed.
    progress : bool
        Progress bar for a wild bootstrap expected to take over ~2 s (silent in CI and off a terminal).
    safe : bool
        Run :func:`~disparity.models.formula.check_safe` on the formula.

    Returns
    -------
    ModelResult
        ``glance()`` includes ``condition_number`` (of the centred, unit-norm design) and ``r2``.

    Notes
    -----
    :math:`\\hat\\beta = \\arg\\min_b \\sum_i w_i (y_i - x_i'b)^2`, solved by the accurate solver of
    :mod:`disparity.models._solver` (Householder QR on the centred, scaled design, with
    extended-precision refinement when the condition number calls for it). Rows with missing
    values in any formula variable are dropped and counted in ``spec.n_dropped``.

    References
    ----------
    Wooldridge, J. M. (2010). *Econometric Analysis of Cross Section and Panel Data*, 2nd ed. MIT Press, ch. 4.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.ols("oop ~ age + edu_years + C(urban)", df, vcov="HC1")
    >>> r.tidy()["estimate"].round(2).tolist()
    [-331.39, 26.61, 3.2, -413.96]
    """
    cv.check_vcov("linear", vcov)
    vcov, design_note = cv.design_default(design, vcov)
    cv.check_ssc(ssc)
    check_option("few_clusters", few_clusters, FEW_CLUSTERS_KINDS)
    check_option("boot_weights", boot_weights, BOOT_WEIGHTS)
    weights, weight_type = resolve_design(design, weights, weight_type, vcov)
    if vcov in ("cluster", "wild") and cluster is None:
        raise SpecificationError(
            f"vcov={vcov!r} needs cluster= (a column name, or two for two-way)."
        )
    clist = () if cluster is None else ((cluster,) if isinstance(cluster, str) else tuple(cluster))
    fe_cols = absorb_columns(absorb)
    if fe_cols and vcov == "survey":
        raise SpecificationError("absorb= cannot be combined with vcov='survey'.")
    if fe_cols and vcov in ("HC2", "HC3"):
        raise SpecificationError(
            f"vcov={vcov!r} with absorb= is not supported: the leverage of the absorbed effects "
            "is not computed. Use 'HC1', or put the effects in the formula as C(...)."
        )
    extra = model_columns = [c for c in [weights, *clist, *fe_cols, *(design.columns() if design else [])] if c]
    for c in extra:
        if c not in data.columns:
            raise SpecificationError(f"Column {c!r} (weights/cluster/design) is not in the data.")
    d = build_design(formula, cv.survey_frames(design, data), extra=extra, safe=safe,
                     absorb_block=bool(fe_cols))
    fe_notes: list[str] = []
    fe = cv.NO_FE
    fe_groups: list[np.ndarray] = []
    n_single = 0
    kept: tuple[pd.Index, np.ndarray] | None = None  # (all rows, packed mask) until demeaned
    if fe_cols:
        rows = d.index
        d, fe_groups, n_single, fe_notes, bits = _absorb_design(d, data, fe_cols)
        if bits is not None:
            kept = (rows, bits)
            if weights is not None:  # the weights are read on the kept rows
                d, kept = _kept_rows(d, *kept), None
    _check_nobs(d, formula)
    w = prepare_weights(data, weights, weight_type, d.index)
    if d.block is not None:  # absorb=: views of the one block, demeaned in place below
        y, X = d.block[:, 0], d.block[:, 1:]
    else:
        X = d.X.to_numpy()
        y = d.y.to_numpy()
    names = list(d.X.columns)
    _check_outcome(y, d)
    # the centred outcome's sum of squares (R2): before an in-place demeaning replaces y
    ybar = float(np.average(y, weights=w)) if (d.intercept is not None or fe_cols) else 0.0
    tss = _centred_ss(w, y, ybar)
    if fe_cols:
        from .panel import DEMEAN_MAX_ITER, DEMEAN_TOL

        if weight_type == "fweight" and w is not None:
            raise SpecificationError("absorb= with fweights is not supported; use pweights/aweights.")
        assert d.block is not None
        before = _col_norms(X)
        M, _ = _absorb.demean(d.block, fe_groups, weights=w, tol=DEMEAN_TOL,
                              max_iter=DEMEAN_MAX_ITER, out=d.block,
                              refill_groups=_refill_codes(data, fe_cols, rows, bits, fe_groups))
        if kept is not None:
            d = _kept_rows(d, *kept)
        y, X, names, dropped = _drop_absorbed(M[:, 0], M[:, 1:], before, names)
        if dropped:
            fe_notes.append(
                "Dropped " + ", ".join(repr(c) for c in dropped)
                + " (collinear with the absorbed fixed effects)."
            )
        fe = fe_dof(fe_groups)
    sol = solve_lstsq(X, y, names=names, weights=w, intercept=None if fe_cols else d.intercept)
    # scores x_i w_i e_i, with the residuals formed by row blocks wherever a variance needs them
    scores = cv.IndexScores(X, y=y, params=sol.params, weights=w, extended=sol.refined)

    codes = _absorb_cluster_codes(data, clist, d.index, fe_cols, fe_groups) if clist else None
    # the estimation rows for survey variances and effects: a shallow (copy-on-write) copy when
    # no row was dropped, not a second copy of every column
    # (unused with absorb=, which has no survey variances or effects: no row selection then)
    frame = data if fe_cols else (
        data.copy(deep=False) if d.index.equals(data.index) else data.loc[d.index]
    )
    nobs = int(round(w.sum())) if (w is not None and weight_type == "fweight") else len(y)

    ssr = sum(_wrr(scores, s, e) for s, e in cv.blocks(len(y)))
    nn = float(w.sum()) if weight_type == "fweight" and w is not None else float(len(y))
    k = X.shape[1] + fe.k_fe
    r2 = 1 - ssr / tss if tss > 0 else float("nan")
    base_stats: dict[str, Any] = {
        "r2": r2,
        "adj_r2": 1 - (1 - r2) * (nn - (d.intercept is not None or bool(fe_cols))) / (nn - k),
        "sigma": float(np.sqrt(ssr / (nn - k))),
        "condition_number": sol.condition,
        "refined": sol.refined,
    }
    if fe_cols:
        wy = y
        base_stats.update(
            r2_within=1 - ssr / _wdot(w, wy, wy),
            n_singletons=n_single,
            absorbed=fe.k_fe,
            n_fe_levels=tuple(int(g.max()) + 1 for g in fe_groups),
        )

    # the record keeps the data once (no second copy of every column in a pickle) and the design
    # without its matrices (X is kept as an array): the same estimation rows, index and model spec
    same_rows = d.index.equals(data.index)
    slim = replace(d, y=d.y.iloc[:0], X=d.X.iloc[:0], block=None)
    fit = _LinearFit(
        formula=formula, data=data, d=slim, frame=None if same_rows else frame, X=X, y=y, w=w,
        weights=weights, weight_type=weight_type, names=names, sol=sol, nobs=nobs,
        base_stats=base_stats, clist=clist, codes=codes, design=design, design_note=design_note,
        ssc=ssc, few_clusters=few_clusters, reps=reps, boot_weights=boot_weights, seed=seed,
        progress=progress, fe_cols=fe_cols, fe=fe, fe_groups=fe_groups, fe_notes=fe_notes,
        scores=scores, model_columns=tuple(model_columns),
    )
    return fit(vcov)


def _wrr(scores: cv.IndexScores, s: int, e: int) -> float:
    """:math:`\\sum w_i r_i^2` over rows ``s:e``, the residuals formed once."""
    r = scores.r_block(s, e)
    return float(np.dot(r if scores.weights is None else scores.weights[s:e] * r, r))


@dataclass(frozen=True, slots=True)
class _LinearFit:
    """Everything :meth:`ModelResult.with_vcov` of a least-squares fit needs, as data (it pickles):
    the estimation arrays and solution, the clusters and design, and the options of the fit.
    A new covariance recomputes only the sandwich (no refit)."""

    formula: str
    data: pd.DataFrame  # the data as given (other cluster columns, the whole survey design)
    d: Design  # with empty y and X: the rows (index), dropped count and model spec
    frame: pd.DataFrame | None  # the estimation rows (marginal effects, survey variances); None: all of data
    X: np.ndarray
    y: np.ndarray
    w: np.ndarray | None
    weights: str | None
    weight_type: str
    names: list[str]
    sol: Any
    nobs: int
    base_stats: dict[str, Any]
    clist: tuple[str, ...]
    codes: list[np.ndarray] | None
    design: SurveyDesign | ReplicateDesign | None
    design_note: str | None
    ssc: str
    few_clusters: str
    reps: int
    boot_weights: str
    seed: int | None
    progress: bool
    fe_cols: tuple[str, ...]
    fe: Any
    fe_groups: list[np.ndarray]
    fe_notes: list[str]
    scores: Any = None  # cv.IndexScores: views of X, y and the estimates (no n x k copy)
    model_columns: tuple[str, ...] = ()  # weights/cluster/absorb/design columns (survey_data)

    def __call__(self, kind: str, **kw: Any) -> ModelResult:
        (
            formula, data, d, frame, X, y, w, weights, weight_type, names, sol, nobs, base_stats,
            clist, codes, design, design_note, ssc, few_clusters, reps, boot_weights, seed,
            progress, fe_cols, fe, fe_groups, fe_notes
        ) = (
            self.formula, self.data, self.d, self.frame, self.X, self.y, self.w, self.weights,
            self.weight_type, self.names, self.sol, self.nobs, self.base_stats, self.clist,
            self.codes, self.design, self.design_note, self.ssc, self.few_clusters, self.reps,
            self.boot_weights, self.seed, self.progress, self.fe_cols, self.fe, self.fe_groups,
            self.fe_notes
        )
        scores, model_columns = self.scores, list(self.model_columns)
        if frame is None:
            frame = data
        kind = cv.check_vcov("linear", kind)
        if fe_cols and kind in ("HC2", "HC3", "survey"):
            raise SpecificationError(f"vcov={kind!r} is not available with absorb=; use 'HC1'.")
        ssc_ = cv.check_ssc(kw.get("ssc", ssc))
        cl = kw.get("cluster", clist)
        cl = (cl,) if isinstance(cl, str) else tuple(cl or ())
        cds = codes if cl == clist else (cv.cluster_codes(data, list(cl), d.index) if cl else None)
        dsn = kw.get("design", design)
        survey = None
        if kind == "survey":
            dsn = cv.check_survey_refit(dsn, weights)
            survey = (dsn, frame, survey_data(dsn, data, formula, model_columns))
        fc = kw.get("few_clusters", few_clusters)
        notes: list[str] = list(fe_notes)
        if design_note and kind == "survey" and dsn is design:
            notes.append(design_note)
        kind, pw_note = cv.pweight_rule(kind, weight_type, w is not None)
        if pw_note:
            notes.append(pw_note)
        if kind in ("cluster", "wild") and not cl:
            raise SpecificationError(f"vcov={kind!r} needs cluster=.")
        fe_k = fe
        if fe_cols and kind in ("cluster", "wild") and cds:
            fe_k = replace(fe, k_fe_nested=nested_dof(fe_groups, cds))
        vr = cv.compute_vcov(
            kind,
            X=X,
            scores=scores,
            bread=sol.bread,
            weights=w,
            weight_type=weight_type if w is not None else "pweight",
            clusters=cds,
            survey=survey,
            ssc=ssc_,
            fe=fe_k,
        )
        stats_ = dict(base_stats)
        if vr.n_clusters:
            stats_["n_clusters"] = vr.n_clusters[0] if len(vr.n_clusters) == 1 else vr.n_clusters
        cov = pd.DataFrame(vr.cov, index=names, columns=names)
        params = pd.Series(sol.params, index=names, name="estimate")
        boot_p = boot_ci = None
        extra: dict[str, Any] = {}
        options: dict[str, Any] = {}
        use_wild = kind == "wild" or (
            kind == "cluster"
            and fc == "wild"
            and len(vr.n_clusters) == 1
            and vr.n_clusters[0] < cv.FEW_CLUSTERS
        )
        if use_wild:
            assert cds is not None  # cluster= is required for these kinds (checked above)
            # the bootstrap's t* use CR1 with k = the columns of X; so must the observed t (the
            # bootstrap p-values and intervals do not depend on ssc or on absorbed effects).
            se = np.sqrt(np.diag(cv.compute_vcov(
                "cluster", X=X, scores=scores, bread=sol.bread, weights=w, clusters=cds,
                ssc="plm",
            ).cov))
            wb = wild_cluster_bootstrap(
                X,
                y,
                codes=cds[0],
                bread=sol.bread,
                params=sol.params,
                se=se,
                weights=w,
                reps=kw.get("reps", reps),
                boot_weights=kw.get("boot_weights", boot_weights),
                seed=kw.get("seed", seed),
                progress=kw.get("progress", progress),
            )
            boot_p = pd.Series(wb.pvalues, index=names)
            boot_ci = pd.DataFrame(
                wb.conf_int(0.95), index=names, columns=["conf_low", "conf_high"]
            )
            extra["wild"] = wb
            extra["wild_ci"] = WildIntervals(wb, tuple(names))  # deprecated: conf_int(level)
            options.update(reps=wb.reps, boot_weights=wb.weights, seed=wb.seed)
            stats_["inference"] = "wild"
            notes.append(
                f"p-values and 95% intervals from the wild cluster bootstrap ({wb.describe()}) "
                f"because there are {wb.n_clusters} clusters"
                + (f" (< {cv.FEW_CLUSTERS})." if kind == "cluster" else ".")
            )
        elif kind == "cluster":
            notes.append("Cluster-robust (CR1) variance: G/(G-1)·(N-1)/(N-k), t with G-1 df.")
            if len(vr.n_clusters) == 2 and min(vr.n_clusters) < cv.FEW_CLUSTERS:
                notes.append(
                    f"Only {min(vr.n_clusters)} clusters in one dimension (< {cv.FEW_CLUSTERS}); "
                    "two-way cluster-robust tests may over-reject and no wild bootstrap is offered "
                    "for two-way clustering: interpret p-values with caution."
                )
        spec = ModelSpec(
            estimator="ols" if w is None else "wls",
            formula=formula,
            vcov=kind,
            cluster=cl if kind in ("cluster", "wild") else (),  # as a fresh fit with this vcov
            weights=weights,
            weight_type=weight_type if weights else None,
            nobs=nobs,
            n_dropped=d.n_dropped,
            options={**options, "ssc": ssc_},
            notes=tuple(notes),
            data=data_source(data),
        )
        return ModelResult(
            params=params,
            cov=cov,
            nobs=nobs,
            df=vr.df,
            spec=spec,
            raw=LinearRaw(X=X, y=y, weights=w, bread=sol.bread, solution=sol),
            stats=stats_,
            boot_pvalues=boot_p,
            boot_conf_int=boot_ci,
            extra=extra,
            _refit=self,
            _effects=None if fe_cols else AverageEffects(frame, d.model_spec, names, weights=w),
        )
