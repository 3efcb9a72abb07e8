"""Least squares on engine tables from (per-cluster) moment matrices: OLS/WLS, CRV1, one-way FE.

The engine returns centred cross-products :math:`\\sum w\\,z z'` of the design and outcome (per
cluster for cluster-robust variances); coefficients, covariances and fit statistics are computed
from them and returned as the :class:`~disparity.models.ModelResult` that :func:`disparity.ols`
returns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
from scipy import linalg as sla

from .._options import (
    FEW_CLUSTERS_KINDS,
    WEIGHT_TYPES,
    BootWeights,
    FewClusters,
    VcovKind,
    WeightType,
    check_option,
)
from ..design import SurveyDesign
from ..errors import CollinearityError, DataValueError, SpecificationError
from ..models import ModelResult
from ..models import covariance as cv
from ..models.covariance import SscKind
from ..models.results import ModelSpec
from ._backend import EngineTable, Progress, as_engine_table
from ._plan import Lazy, Pass, Plan, run
from ._prep import check_columns, complete, examples, f64, sorted_levels, unsupported

__all__ = ["ols"]

#: alias of ``covariance.FAMILY_VCOV["scale"]``
SCALE_VCOV_KINDS = cv.FAMILY_VCOV["scale"]
#: Below this many clusters dp.ols switches to wild-bootstrap inference by default (its FEW_CLUSTERS).
FEW_CLUSTERS = 42
#: Largest number of clusters whose k×k moment matrices are brought back from the engine.
MAX_CLUSTERS = 2_000_000
#: Largest number of (cluster x category) cells whose moments come back from the engine; beyond
#: it the categories become dummy columns of a per-cluster pass instead.
MAX_CELL_ROWS = 1_000_000
#: Rows read to pick the shift of the one-pass moments (any values near the mean will do).
SHIFT_ROWS = 256
#: Reciprocal condition number (of the scaled Gram matrix) below which regressors are collinear.
COLLINEAR_RCOND = 1e-13
_FUNCS = {"log": "ln", "log1p": "log1p", "exp": "exp", "sqrt": "sqrt", "abs": "abs"}
_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\((.*)\)\s*$")


@dataclass
class _Factor:
    kind: str  # "numeric" or "categorical"
    column: str
    func: str | None  # numeric transform
    label: str  # as formulaic writes it


def _strip(name: str) -> str:
    name = name.strip()
    return name[1:-1] if name.startswith("`") and name.endswith("`") else name


def _parse_factor(text: str, schema: Any, columns: list[str]) -> _Factor:
    m = _CALL.match(text)
    if m is None:
        col = _strip(text)
        if col not in columns:
            raise SpecificationError(
                f"scale.ols: {col!r} in the formula is not a column of the table; columns are "
                f"{columns[:20]}."
            )
        dt = schema[col]
        if dt.is_string():
            return _Factor("categorical", col, None, text)
        if dt.is_numeric():
            return _Factor("numeric", col, None, text)
        raise unsupported("ols", f"the column {col!r} of type {dt} in a formula",
                          "cast it to a number or a string in the engine first.")
    func, arg = m.group(1), _strip(m.group(2))
    if arg not in columns:
        raise unsupported(
            "ols", f"the formula term {text!r}",
            "write transforms of single columns only (log, log1p, exp, sqrt, abs, C), or add a "
            "computed column with EngineTable.mutate() and use its name.",
        )
    if func == "C":
        return _Factor("categorical", arg, None, text)
    if func in _FUNCS:
        return _Factor("numeric", arg, func, text)
    raise unsupported("ols", f"the function {func}() in {text!r}",
                      f"use one of {sorted(_FUNCS)} or C(), or a computed column (mutate).")


def _numeric_expr(t: Any, f: _Factor) -> Any:
    x = t[f.column].cast("float64")
    if f.func == "log1p":  # engines have no log1p; ln(1 + x) loses digits only for |x| << 1
        return (x + f64(1.0)).ln()
    return x if f.func is None else getattr(x, _FUNCS[f.func])()


@dataclass
class _Column:
    name: str
    factors: list[_Factor]
    level: Any = None  # for a categorical main effect


def _terms(formula: str, et: EngineTable) -> tuple[_Factor, list[list[_Factor]], bool]:
    from formulaic import Formula

    if not isinstance(formula, str) or "~" not in formula:
        raise SpecificationError(f"scale.ols: formula={formula!r} must look like 'y ~ x1 + x2'.")
    try:
        f = Formula(formula)
    except Exception as exc:  # noqa: BLE001 - formulaic raises many kinds
        raise SpecificationError(f"scale.ols: cannot parse formula {formula!r}: {exc}") from None
    schema = et.expr.schema()
    cols = et.columns
    lhs = [t for t in f.lhs]
    if len(lhs) != 1 or len(lhs[0].factors) != 1:
        raise SpecificationError(f"scale.ols: the formula {formula!r} needs one outcome on the left.")
    yf = _parse_factor(str(lhs[0].factors[0].expr), schema, cols)
    if yf.kind != "numeric":
        raise DataValueError(f"scale.ols: the outcome {yf.column!r} is not numeric.")
    intercept = False
    rhs: list[list[_Factor]] = []
    for term in f.rhs:
        names = [str(x.expr) for x in term.factors]
        if names == ["1"]:
            intercept = True
            continue
        rhs.append([_parse_factor(n, schema, cols) for n in names])
    return yf, rhs, intercept


@overload
def ols(
    formula: str, data: EngineTable, *, weights: str | None = ..., weight_type: WeightType = ...,
    vcov: VcovKind = ..., cluster: str | Sequence[str] | None = ..., design: SurveyDesign | None = ...,
    few_clusters: FewClusters = ..., reps: int = ..., boot_weights: BootWeights = ...,
    seed: int | None = ..., safe: bool = ..., absorb: str | None = ..., progress: Any = ...,
    lazy: Literal[False] = ..., ssc: SscKind = ...,
) -> ModelResult: ...
@overload
def ols(
    formula: str, data: EngineTable, *, weights: str | None = ..., weight_type: WeightType = ...,
    vcov: VcovKind = ..., cluster: str | Sequence[str] | None = ..., design: SurveyDesign | None = ...,
    few_clusters: FewClusters = ..., reps: int = ..., boot_weights: BootWeights = ...,
    seed: int | None = ..., safe: bool = ..., absorb: str | None = ..., progress: Any = ...,
    lazy: Literal[True], ssc: SscKind = ...,
) -> Lazy: ...


def ols(
    formula: str,
    data: EngineTable,
    *,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    vcov: VcovKind = "iid",
    cluster: str | Sequence[str] | None = None,
    design: SurveyDesign | None = None,
    few_clusters: FewClusters = "wild",
    reps: int = 9999,
    boot_weights: BootWeights = "rademacher",
    seed: int | None = None,
    safe: bool = False,
    absorb: str | None = None,
    progress: Any = None,
    lazy: bool = False,
    ssc: SscKind = "stata",
) -> ModelResult | Lazy:
    """Linear regression by (weighted) least squares on an engine table, from moment matrices.

    Same arguments and result as :func:`disparity.ols` for ``vcov`` in "iid", "HC0", "HC1" and
    one-way "cluster" (CRV1); plus ``absorb=`` for one-way fixed effects.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + log(x2) + C(region) + x1:x3"``: column names, ``C(col)`` and string columns
        (treatment coding, first sorted level dropped as in formulaic), transforms ``log``,
        ``log1p``, ``exp``, ``sqrt``, ``abs`` of one column, and products of numeric terms.
        Anything else raises :class:`~disparity.scale.UnsupportedOperationError`; compute it as a
        column first (``EngineTable.mutate``).
    absorb : str, optional
        Absorb one set of fixed effects (e.g. the person or county id) by the within
        transformation in the engine: every variable minus its (weighted) mean within the
        ``absorb`` group, by window functions. The intercept is absorbed; ``iid``/``HC1``
        use :math:`N-k-a` residual degrees of freedom (:math:`a` groups) and ``cluster`` the CR1
        factor with :math:`k` the slopes only, as :func:`disparity.panel` (Stata ``xtreg, fe``).
    few_clusters : {"wild", "analytic"}
        With fewer than 42 clusters :func:`disparity.ols` bootstraps by default; on an engine the
        wild bootstrap is not available, so pass ``few_clusters="analytic"`` (CR1 with t(G-1)).
    progress : bool or callable, optional
        Report the engine passes (see :class:`~disparity.scale.Progress`).
    lazy : bool
        Return a :class:`~disparity.scale.Lazy` instead: compute it later, or together with other
        lazy results in shared scans (:func:`disparity.scale.compute`). The arguments are checked
        now.

    Notes
    -----
    With :math:`z = (1, x - \\bar x)` and :math:`\\tilde y = y - \\bar y` (weighted means from the
    first pass), the engine returns :math:`G = \\sum w z z'` and :math:`c = \\sum w z \\tilde y`
    (per cluster :math:`G_g, c_g`); :math:`\\hat\\theta = G^{-1}c` and the original parameters are
    :math:`A\\hat\\theta` with :math:`A` undoing the centring. CRV1:
    :math:`\\frac{G}{G-1}\\frac{N-1}{N-k} B(\\sum_g S_g S_g')B`, :math:`S_g = c_g - G_g\\hat\\theta`,
    :math:`B = G^{-1}`. HC0/HC1 use a second pass for :math:`\\sum (w e)^2 z z'`.

    References
    ----------
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
    *Journal of Human Resources* 50(2), 317-372.
    Wooldridge, J. M. (2010). *Econometric Analysis of Cross Section and Panel Data*, 2nd ed.
    MIT Press, ch. 4 and 10.

    Examples
    --------
    >>> import warnings
    >>> df = dp.datasets.chifeng_survey()[["reimbursed", "urban", "income", "weight"]]
    >>> df = df.assign(urban=df["urban"].astype(str))
    >>> df.to_parquet("survey.parquet")
    >>> with warnings.catch_warnings():  # Ibis/DuckDB deprecation warnings
    ...     warnings.simplefilter("ignore")
    ...     t = dp.scale.read_parquet("survey.parquet")
    ...     r = dp.scale.ols("income ~ urban", t, weights="weight")
    >>> r.tidy()["estimate"].round(1).tolist()
    [21650.1, 17291.5]
    """
    plan = _ols_plan(formula, data, weights=weights, weight_type=weight_type, vcov=vcov, cluster=cluster, design=design, few_clusters=few_clusters, reps=reps, boot_weights=boot_weights, seed=seed, safe=safe, absorb=absorb, progress=progress, ssc=ssc)
    return Lazy(plan, "scale.ols") if lazy else run(plan)


def _ols_plan(
    formula: str,
    data: EngineTable,
    *,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    vcov: VcovKind = "iid",
    cluster: str | Sequence[str] | None = None,
    design: SurveyDesign | None = None,
    few_clusters: FewClusters = "wild",
    reps: int = 9999,
    boot_weights: BootWeights = "rademacher",
    seed: int | None = None,
    safe: bool = False,
    absorb: str | None = None,
    progress: Any = None,
    ssc: SscKind = "stata",
) -> Plan:
    """The plan behind :func:`ols` (see :mod:`disparity.scale._plan`)."""
    et = as_engine_table(data, "ols")
    prog = Progress(et.engine.progress if progress is None else progress)
    if vcov in ("HC2", "HC3", "wild", "survey"):
        raise unsupported(
            "ols", f"vcov={vcov!r}",
            "use vcov='HC1' or 'cluster' (leverages, bootstrap draws and survey designs need "
            "per-row passes that are not implemented on engines).",
        )
    cv.check_vcov("scale", vcov)
    cv.check_ssc(ssc)
    check_option("weight_type", weight_type, WEIGHT_TYPES)
    check_option("few_clusters", few_clusters, FEW_CLUSTERS_KINDS)
    if design is not None:
        raise unsupported("ols", "design=", "use vcov='cluster' with cluster=<PSU column>.")
    if vcov == "cluster" and cluster is None:
        raise SpecificationError("scale.ols: vcov='cluster' needs cluster= (a column name).")
    if cluster is not None and not isinstance(cluster, str):
        clist = list(cluster)
        if len(clist) != 1:
            raise unsupported("ols", "two-way clustering",
                              "cluster on one column, or collect the data and use dp.ols.")
        cluster = clist[0]
    if safe:
        from ..models.formula import check_safe

        check_safe(formula, et.columns)
    fw = weights is not None and weight_type == "fweight"
    if fw and vcov == "cluster":
        raise SpecificationError(
            "scale.ols: clustered variances with fweights are not supported (as in dp.ols); use "
            "them as pweights or aweights."
        )
    yf, rhs, intercept = _terms(formula, et)
    if absorb is not None:
        check_columns(et, "ols", [absorb])
        intercept = False
    for term in rhs:
        if len(term) > 1 and any(f.kind == "categorical" for f in term):
            raise unsupported(
                "ols", f"the interaction {':'.join(f.label for f in term)} with a categorical",
                "build the interaction columns with EngineTable.mutate(), or use dp.ols in memory.",
            )
    t0 = et.expr
    used = list(dict.fromkeys(
        [yf.column] + [f.column for term in rhs for f in term]
        + ([weights] if weights else []) + ([cluster] if cluster else [])
        + ([absorb] if absorb else [])))
    check_columns(et, "ols", used)
    keep = tuple(complete(t0, c) for c in used)
    import ibis

    w_src = t0[weights].cast("float64") if weights else f64(1.0)
    t = t0.filter(*keep).mutate(_w=w_src)
    clustered = cluster is not None and vcov == "cluster"
    cat_cols = list(dict.fromkeys(f.column for term in rhs for f in term
                                  if f.kind == "categorical"))
    # With C() terms (or 0/1 integer regressors) and no absorbed effects, the main pass
    # aggregates the other numeric columns by (cluster x category) cell: the dummies are
    # constant within a cell, and the cells also give the levels, so no separate query for them
    # is needed. An integer regressor that takes two values in the first rows becomes a cell key
    # too: fewer cross-products per row (exact whatever its values turn out to be; a
    # many-valued one only makes more cells).
    candidates = {ti: term[0].column for ti, term in enumerate(rhs)
                  if len(term) == 1 and term[0].kind == "numeric" and term[0].func is None
                  and t0.schema()[term[0].column].is_integer()}
    cells = None
    if absorb is None and (cat_cols or candidates):
        cells = yield from _cell_pass(t0, keep, w_src, yf, rhs, intercept, cat_cols, candidates,
                                      cluster if clustered else None, fw, prog)
    levels: dict[str, list[Any]] = {}
    for c in cat_cols:
        if cells is not None:
            levels[c] = sorted_levels(cells.frame[c])
        else:
            prog(f"ols: levels of {c!r}")
            levels[c] = sorted_levels(t.select(c).distinct().to_pandas()[c])
    # design columns (names as formulaic writes them)
    names: list[str] = []
    exprs: list[Any] = []  # over the filtered table t (for follow-up passes and diagnostics)
    exprs_src: list[Any] = []  # the same over the source t0 (for the shared main pass)
    dummies: dict[int, tuple[str, Any]] = {}  # design position -> (column, level)
    keyed: dict[int, str] = {}  # design position -> integer column that is a cell key
    first_cat = not intercept and absorb is None
    for ti, term in enumerate(rhs):
        if len(term) == 1 and term[0].kind == "categorical":
            f = term[0]
            levs = levels[f.column]
            full = first_cat
            first_cat = False
            for lev in (levs if full else levs[1:]):
                names.append(f"{f.label}[{lev}]" if full else f"{f.label}[T.{lev}]")
                dummies[len(exprs)] = (f.column, lev)
                exprs.append((t[f.column] == lev).cast("float64"))
                exprs_src.append((t0[f.column] == lev).cast("float64"))
        else:
            if cells is not None and ti in cells.keyed:
                keyed[len(exprs)] = cells.keyed[ti]
            names.append(":".join(f.label for f in term))
            exprs.append(_term_expr(t, term))
            exprs_src.append(_term_expr(t0, term))
    if absorb is not None and not names:
        raise SpecificationError("scale.ols: a fixed-effects model needs at least one regressor.")
    yv = _numeric_expr(t, yf)
    k = len(names) + (1 if intercept else 0)
    base = t.mutate(_y=yv, **{f"_x{i}": e for i, e in enumerate(exprs)})
    w = base._w
    p = len(names)

    xs = [f"_x{i}" for i in range(p)]
    bad_w = (w.isnan() | w.isinf() | (w < 0))
    bad_v: Any = None
    for c in ["_y", *xs]:
        b = base[c].isnan() | base[c].isinf()
        bad_v = b if bad_v is None else bad_v | b

    def make_checks(tab: Any) -> dict[str, Any]:
        """Cheap aggregates for the main pass: row count and smallest weight. Non-finite values
        show up as non-finite moments, which ``verify`` then explains with a diagnostic query
        (run only on failure)."""
        out = {"n": tab.count(), "wneg": (tab._w < f64(0.0)).cast("int64").sum()}
        if fw:
            out["nonint"] = (tab._w != tab._w.round(0)).cast("int64").sum()
        return out

    n_total = int(t0.count().execute())

    def verify(res: Any, finite: bool = True) -> None:
        res = dict(res)
        if weights and int(res["n"]) < n_total:
            # rows were dropped: as dp.ols, refuse missing weights on otherwise complete rows
            # (one query, only when rows were dropped)
            other = [complete(t0, c) for c in used if c != weights]
            n_missing_w = int(t0.filter(*other, ~complete(t0, weights)).count().execute())
            if n_missing_w:
                raise DataValueError(
                    f"scale.ols: weight column {weights!r} is missing (NULL or NaN) in "
                    f"{n_missing_w} row(s) whose other variables are complete, e.g.\n"
                    f"{examples(t0, ~complete(t0, weights), used)}\nweights must be finite and "
                    "non-negative: fix or drop those rows (dp.ols refuses them too)."
                )
        if not finite or res["wneg"] > 0:
            flags = base.aggregate(bad_w=bad_w.cast("int64").sum(),
                                   bad_v=bad_v.cast("int64").sum()).to_pandas().iloc[0]
            res.update(bad_w=int(flags["bad_w"]), bad_v=int(flags["bad_v"]))
        else:
            res.update(bad_w=0, bad_v=0)
        if res["bad_w"] > 0:
            raise DataValueError(
                f"scale.ols: weight column {weights!r} has negative or infinite values in "
                f"{res['bad_w']} row(s), e.g.\n{examples(base, bad_w, used)}\nFix or filter them."
            )
        if res["bad_v"] > 0:
            raise DataValueError(
                f"scale.ols: the formula gives infinite or undefined values (e.g. log of 0 or a "
                f"negative) in {res['bad_v']} row(s), e.g.\n{examples(base, bad_v, used)}\n"
                "Filter those rows or change the transform."
            )
        if fw and res["nonint"] > 0:
            raise DataValueError(
                f"scale.ols: fweights in {weights!r} must be whole replication counts; use "
                "weight_type='pweight' or 'aweight' for non-integer weights."
            )
        if int(res["n"]) <= k:
            raise DataValueError(
                f"scale.ols: too few observations for {formula!r}: {int(res['n'])} complete rows "
                f"({n_total - int(res['n'])} dropped for missing values) for {k} coefficients."
            )

    def weighted(tab: Any, cols: list[str]) -> Any:
        """Add ``w * col`` columns once, so each moment is a single product in the engine."""
        return tab.mutate(**{f"{c}_w": tab._w * tab[c] for c in cols if c != "_one"})

    def moments(tab: Any, cols: list[str]) -> dict[str, Any]:
        mom = {}
        for i, a in enumerate(cols):
            for b in cols[i:]:
                if a == "_one":
                    mom[f"{a}__{b}"] = (tab._w if b == "_one" else tab[f"{b}_w"]).sum()
                else:
                    mom[f"{a}__{b}"] = (tab[f"{a}_w"] * tab[b]).sum()
        return mom

    def fetch(agg: Any) -> pd.DataFrame:
        """The (per-cluster) moments, refusing more than MAX_CLUSTERS rows."""
        frame = agg.limit(MAX_CLUSTERS + 1).to_pandas() if clustered else agg.to_pandas()
        if frame.shape[0] > MAX_CLUSTERS:
            raise unsupported(
                "ols", f"cluster={cluster!r} with more than {MAX_CLUSTERS:,} clusters",
                "cluster on a coarser unit: each cluster's moment matrix comes back to Python.",
            )
        return frame

    def unpack(per: pd.DataFrame, cols: list[str]) -> np.ndarray:
        q = len(cols)
        M = np.zeros((per.shape[0], q, q))
        for i, a in enumerate(cols):
            for j in range(i, q):
                col = per[f"{a}__{cols[j]}"].to_numpy(dtype=float)
                M[:, i, j] = col
                M[:, j, i] = col
        return M

    a_fe = 0
    if absorb is None:
        # one pass: moments of variables shifted by a rough mean (the first rows), so that the
        # exact centring afterwards cancels few digits (the shifted-data algorithm)
        if cells is None:
            prog("ols: shift values (first rows)")
            shift = _shift(base, ["_y", *xs], intercept)
        else:
            shift = np.zeros(p + 1)
            num = [i for i in range(p) if i not in dummies and i not in keyed]
            shift[0] = cells.shift[0]
            for j, i in enumerate(num):
                shift[i + 1] = cells.shift[j + 1]
        if cells is not None:
            per, alln = cells.frame, cells.columns
            verify(_summary(per, cells.checks), _finite(per))
            n = int(per["n"].sum())
            Mc = unpack(per, alln)
            A = np.zeros((per.shape[0], p + 2, len(alln)))
            A[:, 0, 0] = 1.0
            A[:, p + 1, len(alln) - 1] = 1.0
            for j, i in enumerate(num):
                A[:, i + 1, j + 1] = 1.0
            for i, (col, lev) in dummies.items():
                A[:, i + 1, 0] = (per[col] == lev).to_numpy(dtype=float)
            for i, col in keyed.items():
                A[:, i + 1, 0] = per[col].to_numpy(dtype=float)
            Mf = np.einsum("gij,gjk,glk->gil", A, Mc, A)
            if clustered:
                codes, uniq = pd.factorize(per[cluster])
                M = np.zeros((len(uniq), p + 2, p + 2))
                np.add.at(M, codes, Mf)
            else:
                M = Mf.sum(axis=0, keepdims=True)
            per = per.drop_duplicates(cluster) if clustered else per.iloc[:1]
        else:
            shifted = {"_vy": _numeric_expr(t0, yf) - f64(shift[0]),
                       **{f"_v{i}": exprs_src[i] - f64(shift[i + 1]) for i in range(p)}}
            allv = ["_one", *[f"_v{i}" for i in range(p)], "_vy"]
            prog("ols: one pass of " + ("per-cluster " if clustered else "") + "moment matrices")
            main = _moments_pass(t0, keep, w_src, shifted, allv, [cluster] if clustered and cluster is not None else [],
                                 fw, MAX_CLUSTERS if clustered else None, prog)
            per = yield main
            if per.shape[0] > MAX_CLUSTERS:
                raise unsupported(
                    "ols", f"cluster={cluster!r} with more than {MAX_CLUSTERS:,} clusters",
                    "cluster on a coarser unit: each cluster's moment matrix comes back to Python.",
                )
            verify(_summary(per, main.aggs), _finite(per))
            n = int(per["n"].sum())
            M = unpack(per, allv)
        raw_tot = M.sum(axis=0)
        big_w = float(raw_tot[0, 0])
        if not big_w > 0:
            raise DataValueError(f"scale.ols: weight column {weights!r} sums to zero on the sample.")
        delta = raw_tot[0, 1:] / big_w if intercept else np.zeros(p + 1)
        means = shift[1:] + delta[:p]
        ybar = float(shift[0] + delta[p])
        if intercept:
            L = np.eye(p + 2)
            L[1:, 0] = -delta
            M = np.einsum("ij,gjk,lk->gil", L, M, L)
        else:
            M = M[:, 1:, 1:]
        n_clusters = per.shape[0] if clustered else 0
    else:
        prog("ols: pass 1 (counts, checks, number of fixed effects)")
        total = base._y
        for c in xs:
            total = total + base[c]
        first = base.aggregate(**make_checks(base), W=w.sum(), xsum=total.sum(),
                               a=base[absorb].nunique()).to_pandas().iloc[0]
        verify(first, bool(np.isfinite(first["xsum"])))
        n = int(first["n"])
        big_w = float(first["W"])
        a_fe = int(first["a"])
        means = np.zeros(p)
        ybar = 0.0
        part = ibis.window(group_by=[absorb])
        wsum = w.sum().over(part)
        zcols = {f"_z{i}": base[xs[i]] - (w * base[xs[i]]).sum().over(part) / wsum
                 for i in range(p)}
        zt = base.mutate(_yc=base._y - (w * base._y).sum().over(part) / wsum, **zcols)
        allz = [*zcols, "_yc"]
        zt = weighted(zt, allz)
        mom = moments(zt, allz)
        prog("ols: pass 2 (" + ("per-cluster " if clustered else "") + "moment matrices of the "
             "within transformation, by window functions)")
        per = fetch(zt.group_by(cluster).aggregate(**mom) if clustered else zt.aggregate(**mom))
        M = unpack(per, allz)
        n_clusters = per.shape[0] if clustered else 0
    wscale = n / big_w if (weights and weight_type == "aweight") else 1.0
    if wscale != 1.0:  # aweights are normalised to sum to n, as in dp.ols
        M = M * wscale
    if clustered:
        if n_clusters < 2:
            raise DataValueError(
                f"scale.ols: cluster column {cluster!r} has a single cluster; use vcov='HC1'."
            )
        if n_clusters < FEW_CLUSTERS and few_clusters == "wild":
            raise unsupported(
                "ols", f"wild-bootstrap inference with {n_clusters} clusters (< {FEW_CLUSTERS})",
                "pass few_clusters='analytic' for CR1 standard errors with t(G-1) (dp.ols would "
                "bootstrap here), or collect the data and use dp.ols.",
            )
    tot = M.sum(axis=0)
    Gm, cvec, yy = tot[:-1, :-1], tot[:-1, -1], float(tot[-1, -1])
    col_names = (["Intercept"] if intercept else []) + names
    theta, bread, cond = _solve(Gm, cvec, col_names, intercept)
    N = big_w if fw else float(n)
    ssr = max(yy - 2 * float(theta @ cvec) + float(theta @ Gm @ theta), 0.0)
    notes: list[str] = []
    kind, pw_note = cv.pweight_rule(vcov, weight_type, bool(weights), family="scale")
    if pw_note:
        notes.append(pw_note)
    if N - k - a_fe <= 0:
        raise DataValueError(f"scale.ols: too few observations ({N:g}) for {k} coefficients.")
    nested = 0
    if absorb is not None and kind == "cluster" and ssc in ("stata", "fixest"):
        prog("ols: are the absorbed groups nested in the clusters?")
        pairs = a_fe if absorb == cluster else int(
            base.select(absorb, cluster).distinct().count().execute())
        nested = a_fe - 1 if pairs == a_fe else 0
    fe = cv.FeDof(a_fe, nested, a_fe) if absorb is not None else cv.NO_FE
    f = cv.ssc_factors(ssc, N=N, k=k, fe=fe)
    df_: float = f.df_resid
    if kind == "iid":
        V = ssr / f.iid_denominator * bread
    elif kind in ("HC0", "HC1"):
        prog("ols: second pass (residual moments for the robust variance)")
        if absorb is None:
            zt = base.mutate(_yc=base._y - f64(ybar) if intercept else base._y,
                             **({"_one": f64(1.0)} if intercept else {}),
                             **{f"_z{i}": base[xs[i]] - f64(means[i]) if intercept else base[xs[i]]
                                for i in range(p)})
            znames = (["_one"] if intercept else []) + [f"_z{i}" for i in range(p)]
        else:
            znames = [f"_z{i}" for i in range(p)]
        zw = zt._w * f64(wscale) if wscale != 1.0 else zt._w
        e = zt._yc
        for i, zname in enumerate(znames):
            e = e - f64(theta[i]) * zt[zname]
        qw = zw if fw else zw * zw
        hm = {}
        for i, a in enumerate(znames):
            for b in znames[i:]:
                hm[f"{a}__{b}"] = (qw * e * e * zt[a] * zt[b]).sum()
        r = zt.aggregate(**hm).to_pandas().iloc[0]
        meat = np.zeros((len(znames), len(znames)))
        for i, a in enumerate(znames):
            for j in range(i, len(znames)):
                meat[i, j] = meat[j, i] = float(r[f"{a}__{znames[j]}"])
        V = bread @ meat @ bread
        if kind == "HC1":
            V = V * f.hc1
    else:
        S = M[:, :-1, -1] - M[:, :-1, :-1] @ theta
        meat = S.T @ S
        G = S.shape[0]
        V = bread @ meat @ bread * (G / (G - 1) if f.cluster_g else 1.0) * f.cluster_k
        df_ = float(G - 1) if f.df_cluster_is_g else f.df_resid
        notes.append("Cluster-robust (CR1) variance: G/(G-1)·(N-1)/(N-k), t with G-1 df.")
    # undo the centring: original parameters are A theta
    A = np.eye(len(col_names))
    if intercept:
        A[0, 1:] = -means
        theta = A @ theta
        theta[0] += ybar
        V = A @ V @ A.T
    params = pd.Series(theta, index=col_names, name="estimate")
    cov = pd.DataFrame(V, index=col_names, columns=col_names)
    tss = yy
    nn = N
    r2 = 1 - ssr / tss if tss > 0 else float("nan")
    stats: dict[str, Any] = {}
    if absorb is None:
        stats.update(r2=r2, adj_r2=1 - (1 - r2) * (nn - intercept) / (nn - k),
                     sigma=float(np.sqrt(ssr / (nn - k))), condition_number=cond, refined=False)
    else:
        stats.update(r2_within=r2, condition_number=cond, absorbed=a_fe)
    if cluster is not None and kind == "cluster":
        stats["n_clusters"] = n_clusters
    nobs = int(round(big_w)) if fw else n
    spec = ModelSpec(
        estimator="ols" if weights is None else "wls", formula=formula, vcov=kind,
        cluster=(cluster,) if (cluster is not None and kind == "cluster") else (),
        weights=weights, weight_type=weight_type if weights else None, nobs=nobs,
        n_dropped=n_total - n,
        options={"engine": et.engine.name, "ssc": ssc, **({"absorb": absorb} if absorb else {})},
        notes=tuple(notes),
    )
    raw = {"moments": tot, "cluster_moments": M if M.shape[0] > 1 else None, "bread": bread,
           "columns": col_names, "means": means, "ybar": ybar}
    return ModelResult(params=params, cov=cov, nobs=nobs, df=df_, spec=spec, raw=raw, stats=stats)


@dataclass
class _Cells:
    frame: pd.DataFrame  # moments (and checks) per (cluster x category) cell
    columns: list[str]  # moment columns: _one, numeric terms (design order), _vy
    shift: np.ndarray  # shifts of y and the numeric terms
    checks: dict[str, Any]
    keyed: dict[int, str]  # formula term index -> integer column used as a cell key


def _shift(tab: Any, cols: list[str], intercept: bool) -> np.ndarray:
    """Rough means from the first rows (any values near the mean do); zeros without intercept."""
    if not intercept:
        return np.zeros(len(cols))
    return _shift_from(tab.select(*cols).limit(SHIFT_ROWS).to_pandas(), intercept)


def _shift_from(frame: pd.DataFrame, intercept: bool) -> np.ndarray:
    """:func:`_shift` from rows already read."""
    if not intercept:
        return np.zeros(frame.shape[1])
    head = frame.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        fin = np.where(np.isfinite(head), head, np.nan)
        if not head.size or not np.isfinite(fin).any(axis=0).all():
            return np.zeros(frame.shape[1])
        return np.nan_to_num(np.nanmean(fin, axis=0))


def _term_expr(tab: Any, term: list[_Factor]) -> Any:
    """A numeric design column: the product of the term's (transformed) factors."""
    e = None
    for f in term:
        x = _numeric_expr(tab, f)
        e = x if e is None else e * x
    return e


def _moments_pass(src: Any, keep: Any, w: Any, shifted: dict[str, Any], cols: list[str],
                  keys: list[str], fw: bool, limit: int | None, prog: Any) -> Pass:
    """The pass of weighted cross-products ``sum w a b`` of ``cols`` ("_one" and the shifted
    values) by ``keys``, with the row count and smallest weight (and non-integer fweights)."""
    values: dict[str, Any] = {"_w": w, **shifted}
    values.update({f"{c}_w": w * shifted[c] for c in cols if c != "_one"})
    aggs: dict[str, tuple[str, tuple[str, ...]]] = {}
    for i, a in enumerate(cols):
        for b in cols[i:]:
            if a == "_one":
                aggs[f"{a}__{b}"] = ("sum", ("_w",) if b == "_one" else (f"{b}_w",))
            else:
                aggs[f"{a}__{b}"] = ("sum", (f"{a}_w", b))
    values["_wisneg"] = w < f64(0.0)
    aggs.update(n=("count", ()), wneg=("count_if", ("_wisneg",)))
    if fw:
        values["_wisfrac"] = w != w.round(0)
        aggs["nonint"] = ("count_if", ("_wisfrac",))
    return Pass(source=src, keys=tuple(keys), values=values, aggs=aggs, where=keep, limit=limit,
                label="ols", progress=prog)


def _cell_pass(src: Any, keep: tuple[Any, ...], w: Any, yf: _Factor, rhs: list[list[_Factor]],
               intercept: bool, cat_cols: list[str], candidates: dict[int, str],
               cluster: str | None, fw: bool, prog: Any) -> Plan:
    """Moments of the numeric terms per (cluster x category) cell; None if there are too many.

    ``candidates`` (term index -> integer column) become cell keys when the first rows show at
    most two distinct values (typically 0/1 indicators)."""
    raw = {"_y": _numeric_expr(src, yf)}
    raw.update({f"_t{ti}": _term_expr(src, term) for ti, term in enumerate(rhs)
                if not (len(term) == 1 and term[0].kind == "categorical")})
    prog("ols: shift values (first rows)")
    head = src.filter(*keep).select(**raw).limit(SHIFT_ROWS).to_pandas()
    keyed = {ti: col for ti, col in candidates.items()
             if head.shape[0] and head[f"_t{ti}"].nunique() <= 2}
    num = [c for c in raw if c != "_y" and int(c[2:]) not in keyed]
    shift = _shift_from(head[["_y", *num]], intercept)
    shifted = {"_vy": raw["_y"] - f64(shift[0]),
               **{f"_v{j}": raw[c] - f64(shift[j + 1]) for j, c in enumerate(num)}}
    cols = ["_one", *[f"_v{j}" for j in range(len(num))], "_vy"]
    keys = list(dict.fromkeys(([cluster] if cluster else []) + cat_cols + list(keyed.values())))
    prog("ols: one pass of moment matrices by " + ("cluster and " if cluster else "")
         + "category cell")
    main = _moments_pass(src, keep, w, shifted, cols, keys, fw, MAX_CELL_ROWS, prog)
    frame = yield main
    if frame.shape[0] > MAX_CELL_ROWS:
        return None
    return _Cells(frame=frame, columns=cols, shift=shift, checks=main.aggs, keyed=keyed)


def _summary(per: pd.DataFrame, checks: dict[str, Any]) -> dict[str, Any]:
    out = {"n": per["n"].sum(), "wneg": per["wneg"].sum()}
    if "nonint" in checks:
        out["nonint"] = per["nonint"].sum()
    return out


def _finite(per: pd.DataFrame) -> bool:
    moments = per[[c for c in per.columns if "__" in c]].to_numpy(dtype=float)
    return bool(np.isfinite(moments).all())


def _solve(G: np.ndarray, c: np.ndarray, names: list[str], intercept: bool
           ) -> tuple[np.ndarray, np.ndarray, float]:
    """Solve the normal equations on the unit-diagonal scaled Gram matrix; detect collinearity."""
    d = np.sqrt(np.diag(G))
    zero = d == 0
    if zero.any():
        which = [names[i] for i in np.flatnonzero(zero)]
        raise CollinearityError(
            f"scale.ols: regressor(s) {which} are constant zero (or have no variation around the "
            "mean) in the estimation sample; drop them."
        )
    S = G / np.outer(d, d)
    evals, evecs = np.linalg.eigh(S)
    if evals[0] <= COLLINEAR_RCOND * evals[-1]:
        v = evecs[:, 0]
        involved = [names[i] for i in np.flatnonzero(np.abs(v) > 0.1)]
        raise CollinearityError(
            f"scale.ols: regressors {involved} are perfectly collinear; drop one of them."
        )
    chol = sla.cho_factor(S)
    theta = sla.cho_solve(chol, c / d) / d
    Sinv = sla.cho_solve(chol, np.eye(S.shape[0]))
    bread = Sinv / np.outer(d, d)
    sub = S[1:, 1:] if intercept else S
    if sub.size:
        ev = np.linalg.eigvalsh(sub)
        cond = float(np.sqrt(ev[-1] / ev[0])) if ev[0] > 0 else float("inf")
    else:
        cond = 1.0
    return theta, bread, cond
