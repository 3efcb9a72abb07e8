"""Gaps, the generalised-entropy family, the Gini and the concentration index on engine tables.

Each function has the signature of its in-memory namesake (:func:`disparity.gap`, ...) and
returns the same :class:`~disparity.measures.MeasureResult`; values and analytic standard errors
equal the in-memory ones to rounding. The engine computes group sufficient statistics (and, for
the rank-based indices, exact tie-averaged ranks by window functions); only those few numbers
come back to Python.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Literal, cast, overload

import numpy as np
import pandas as pd

from .._options import SeKind, WeightType, check_option
from ..design import SurveyDesign
from ..errors import DataValueError, PrecisionWarning, SpecificationError
from ..measures import MeasureResult
from ..measures._formulas import ge_of as _ge_of
from ..specs import MeasureSpec
from ._backend import EngineTable, Progress, as_engine_table
from ._plan import Lazy, Pass, Plan, run
from ._prep import Prepared, as_list, examples, f64, prepare, sorted_levels, unsupported
from ._stats import jacobian, unit_variance

__all__ = ["gap", "ge", "theil", "mld"]  # the Gini and the concentration index: .ranks

SE_KINDS = ("analytic", "delta", "none")
CI_KINDS = ("standard", "generalized", "wagstaff", "erreygers")
#: Above this ratio of the raw second moment to the variance, one-pass moments may have lost more
#: than ~8 of 16 digits (textbook cancellation); a PrecisionWarning says so.
CANCELLATION_WARN = 1e8


def _progress(et: EngineTable, progress: Any) -> Progress:
    return Progress(et.engine.progress if progress is None else progress)


def _check_se(function: str, se: str, reps: int, seed: Any) -> SeKind:
    if se == "bootstrap":
        raise unsupported(
            function, "se='bootstrap'",
            "it would re-run the whole job reps times; use se='analytic' (exact linearisation "
            "from the same sufficient statistics) or 'none'.",
        )
    check_option("se", se, SE_KINDS)
    return "analytic" if se == "delta" else cast(SeKind, se)


def _agg(t: Any, keys: list[str], aggs: dict[str, Any]) -> pd.DataFrame:
    if keys:
        return t.group_by(keys).aggregate(**aggs).to_pandas()
    return t.aggregate(**aggs).to_pandas()


def _by_groups(frame: pd.DataFrame, by: list[str]) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    """Split an aggregate by the ``by=`` columns, in the in-memory path's (sorted) order."""
    if not by:
        return [({}, frame)]
    levels = frame[by].drop_duplicates().sort_values(by, kind="mergesort")
    out = []
    for _, row in levels.iterrows():
        mask = np.ones(len(frame), dtype=bool)
        for c in by:
            mask &= (frame[c] == row[c]).to_numpy()
        out.append(({c: row[c] for c in by}, frame[mask]))
    return out


def _table(rows: list[dict[str, Any]], by: list[str]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    table = table[[*by, "component", "estimate", "std_error", "nobs"]]
    table["estimate"] = table["estimate"].astype(float)
    table["std_error"] = table["std_error"].astype(float)
    return table


def _warn_cancellation(raw: float, var: float, measure: str) -> None:
    """Warn when the variance is a tiny difference of large one-pass moments."""
    ratio = raw / var if var > 0 else (np.inf if raw > 0 else 0.0)
    if ratio > CANCELLATION_WARN:
        import warnings

        warnings.warn(
            f"scale.{measure}: the standard error came from one-pass moments with heavy "
            f"cancellation (moments {ratio:.1e} times the variance); it may have lost digits. "
            "Centre the outcome in the engine (subtract a rough mean) and recompute.",
            PrecisionWarning, stacklevel=3,
        )


# -- smooth functions of group totals ---------------------------------------------------------------

def _totals_measure(
    measure: str,
    et: EngineTable,
    prep: Prepared,
    *,
    group: str | None,
    hs: list[Any],
    f: Callable[[np.ndarray, int], np.ndarray],
    names: Callable[[list[Any]], list[str]],
    cluster: str | None,
    se: str,
    params: dict[str, Any],
    checks: dict[str, tuple[str, Any]],
    on_totals: Callable[[dict[str, Any], np.ndarray, list[Any]], None],
    details: Callable[[np.ndarray, np.ndarray, list[Any]], pd.DataFrame] | None,
    progress: Progress,
) -> Plan:
    """Components that are smooth functions ``f(T)`` of weighted group totals ``T[j, g]`` of the
    per-row variables ``hs`` (expressions over ``prep.source``; None for the constant 1).

    A plan (see :mod:`disparity.scale._plan`): it yields the one pass of group sufficient
    statistics and returns the :class:`MeasureResult`. ``checks`` are extra per-row counts
    ``{name: ("count_if", condition)}`` counted in the same pass.
    """
    by = prep.by
    fw_units = prep.weight_type == "fweight" and prep.weighted and cluster is None
    m = len(hs)
    keys = by + ([group] if group else [])
    columns: dict[str, Any] = {"_w": prep.w_source}
    h_names: list[str | None] = []
    for j, h in enumerate(hs):
        if h is None:
            h_names.append(None)
        else:
            columns[f"_h{j}"] = h
            h_names.append(f"_h{j}")
    aggs: dict[str, tuple[str, tuple[str, ...]]] = {"_n": ("count", ()), "_W": ("sum", ("_w",))}
    for j, h in enumerate(h_names):
        aggs[f"_T{j}"] = ("sum", ("_w",) + ((h,) if h else ()))
    if se == "analytic" and cluster is None:
        q = ("_w",) if fw_units else ("_w", "_w")
        for j in range(m):
            for k in range(j, m):
                aggs[f"_Q{j}_{k}"] = ("sum", q + tuple(h for h in (h_names[j], h_names[k]) if h))
    for name, (kind, expr) in checks.items():
        columns[f"_chk{name}"] = expr
        aggs[name] = (kind, (f"_chk{name}",))
    wv, wa = prep.weight_check_parts()
    columns.update(wv)
    aggs.update(wa)
    progress(f"{measure}: group sufficient statistics (one pass)")
    frame = yield Pass(source=prep.source, keys=tuple(keys), values=columns, aggs=aggs,
                       where=prep.keep, label=measure, progress=progress)
    if frame.empty or not frame["_n"].sum() > 0:
        raise DataValueError(f"scale.{measure}: no complete rows to compute on.")
    if prep.weighted:
        prep.verify({"_wneg": frame["_wneg"].sum(), "_wtotal": frame["_wtotal"].sum(),
                     **({"_wnonint": frame["_wnonint"].sum()} if "_wnonint" in frame else {})})
    for name in checks:
        on_totals({name: frame[name].sum()}, np.array([]), [])
    levels = sorted_levels(frame[group]) if group else [None]
    L = len(levels)
    rows: list[dict[str, Any]] = []
    coef_rows: list[dict[str, Any]] = []
    per_by: list[tuple[dict[str, Any], np.ndarray, np.ndarray, list[str], float, float]] = []
    detail_frames: list[pd.DataFrame] = []
    for labels, sub in _by_groups(frame, by):
        T = np.zeros((m, L))
        Q = np.zeros((L, m, m))
        pos = {lev: i for i, lev in enumerate(levels)}
        rows_in = np.zeros(L)
        for _, r in sub.iterrows():
            g = pos[r[group]] if group else 0
            rows_in[g] += r["_n"]
            for j in range(m):
                T[j, g] = r[f"_T{j}"]
            if se == "analytic" and cluster is None:
                for j in range(m):
                    for k in range(j, m):
                        Q[g, j, k] = Q[g, k, j] = r[f"_Q{j}_{k}"]
        on_totals(labels, T, levels)
        comp = names(levels)
        values, jac = jacobian(lambda x: f(x.reshape(m, L), L), T.ravel())
        c = jac.reshape(len(comp), m, L)
        nobs = float(sub["_W"].sum()) if (prep.weight_type == "fweight" and prep.weighted) \
            else float(sub["_n"].sum())
        if se == "analytic" and cluster is None:
            n_units = float(sub["_W"].sum()) if fw_units else float(sub["_n"].sum())
            sum_z = np.einsum("cjg,jg->c", c, T)
            sum_z2 = np.einsum("cjg,gjk,ckg->c", c, Q, c)
            var = unit_variance(n_units, sum_z, sum_z2)
            scale_z2 = np.einsum("cjg,gjk,ckg->c", np.abs(c), np.abs(Q), np.abs(c))
            for i in range(len(comp)):
                if np.all(rows_in[np.any(c[i] != 0, axis=0)] <= 1):
                    # a function of groups of one row each (e.g. the Theil index within a group
                    # of one): its influence is zero in exact arithmetic, so is its variance
                    var[i] = 0.0
                    continue
                _warn_cancellation(scale_z2[i], var[i] * (n_units - 1) / max(n_units, 1), measure)
            ses = np.sqrt(var)
        else:
            ses = np.full(len(comp), np.nan)
        if cluster is not None and se == "analytic":
            for g, lev in enumerate(levels):
                row = dict(labels)
                if group:
                    row[group] = lev
                for i in range(len(comp)):
                    for j in range(m):
                        row[f"_c{i}_{j}"] = float(c[i, j, g])
                coef_rows.append(row)
        per_by.append((labels, values, ses, comp, nobs, 0.0))
        if details is not None:
            d = details(T, values, levels)
            for i, (col, val) in enumerate(labels.items()):
                d.insert(i, col, val)
            detail_frames.append(d)
    if cluster is not None and se == "analytic":
        progress(f"{measure}: cluster sums of the influence function (second pass)")
        ses_by = _cluster_ses(prep.t, hs, keys, by, cluster, coef_rows, len(per_by[0][3]), m)
        per_by = [(lab, v, ses_by.get(tuple(lab.values()), np.full(len(v), np.nan)), comp, n, 0.0)
                  for lab, v, _, comp, n, _ in per_by]
    for labels, values, ses, comp, nobs, _ in per_by:
        for name, val, s in zip(comp, values, ses, strict=True):
            rows.append({**labels, "component": name, "estimate": val, "std_error": s, "nobs": nobs})
    table = _table(rows, by)
    return MeasureResult(
        measure=measure, table=table, se_method=se, by=tuple(by),
        spec=MeasureSpec(measure=measure, by=tuple(by), se=se, options=params),
        details=pd.concat(detail_frames, ignore_index=True) if detail_frames else None,
        main=str(table["component"].iloc[0]),
    )


def _cluster_ses(t: Any, H: list[Any], keys: list[str], by: list[str], cluster: str,
                 coef_rows: list[dict[str, Any]], k: int, m: int) -> dict[tuple, np.ndarray]:
    """Second pass: per-cluster sums of z = w u (coefficients joined by by/group cell)."""
    import ibis

    coef = ibis.memtable(pd.DataFrame(coef_rows))
    base = t.select(*keys, *([cluster] if cluster not in keys else []), "_w",
                    **{f"_h{j}": h for j, h in enumerate(H) if h is not None})
    joined = base.join(coef, keys) if keys else base.cross_join(coef)
    z = {}
    for i in range(k):
        acc = None
        for j, h in enumerate(H):
            term = joined[f"_c{i}_{j}"] * (joined._w if h is None else joined._w * joined[f"_h{j}"])
            acc = term if acc is None else acc + term
        z[f"_z{i}"] = acc
    zt = joined.mutate(**z)
    per_cluster = zt.group_by([*by, cluster]).aggregate(**{n: zt[n].sum() for n in z})
    aggs: dict[str, Any] = {"_G": per_cluster.count()}
    for n in z:
        aggs[f"{n}_s"] = per_cluster[n].sum()
        aggs[f"{n}_q"] = (per_cluster[n] * per_cluster[n]).sum()
    frame = _agg(per_cluster, by, aggs)
    out = {}
    for labels, sub in _by_groups(frame, by):
        r = sub.iloc[0]
        s = np.array([r[f"_z{i}_s"] for i in range(k)])
        q = np.array([r[f"_z{i}_q"] for i in range(k)])
        out[tuple(labels.values())] = np.sqrt(unit_variance(float(r["_G"]), s, q))
    return out


# -- gap ---------------------------------------------------------------------------------------------

@overload
def gap(
    df: EngineTable, y: str, group: str, *, reference: Any = ...,
    weights: str | None = ..., weight_type: WeightType = ...,
    by: str | Sequence[str] | None = ..., design: SurveyDesign | None = ..., cluster: str | None = ...,
    se: SeKind = ..., reps: int = ..., seed: int | np.random.Generator | None = ..., progress: Any = ...,
    lazy: Literal[False] = ...,
) -> MeasureResult: ...
@overload
def gap(
    df: EngineTable, y: str, group: str, *, reference: Any = ...,
    weights: str | None = ..., weight_type: WeightType = ...,
    by: str | Sequence[str] | None = ..., design: SurveyDesign | None = ..., cluster: str | None = ...,
    se: SeKind = ..., reps: int = ..., seed: int | np.random.Generator | None = ..., progress: Any = ...,
    lazy: Literal[True],
) -> Lazy: ...


def gap(
    df: EngineTable,
    y: str,
    group: str,
    *,
    reference: Any = None,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    by: str | Sequence[str] | None = None,
    design: SurveyDesign | None = None,
    cluster: str | None = None,
    se: SeKind = "analytic",
    reps: int = 500,
    seed: int | np.random.Generator | None = None,
    progress: Any = None,
    lazy: bool = False,
) -> MeasureResult | Lazy:
    """Absolute gap, relative gap and ratio of group means of ``y``, on an engine table.

    Same arguments and result as :func:`disparity.gap`; ``design=`` and ``se="bootstrap"`` are
    not supported (the error says what to use). ``progress=True`` reports the engine passes.
    ``lazy=True`` returns a :class:`~disparity.scale.Lazy` to compute later, or together with
    other lazy results in shared scans (:func:`disparity.scale.compute`).

    Notes
    -----
    Group means :math:`\\mu_g = Y_g/W_g` are ratios of weighted totals; the engine returns
    :math:`W_g, Y_g` and the second moments :math:`\\sum w^2, \\sum w^2 y, \\sum w^2 y^2` per group,
    from which the linearised variance of each component follows exactly (see
    :mod:`disparity.scale._stats`). With ``cluster=`` a second pass sums the influence function
    by cluster.

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, ch. 2-3.
    Deville, J.-C. (1999). Variance estimation for complex statistics and estimators.
    *Survey Methodology* 25(2), 193-203.

    Examples
    --------
    >>> import warnings
    >>> df = dp.datasets.chifeng_survey()[["reimbursed", "urban", "income", "weight"]]
    >>> df = df.assign(urban=df["urban"].astype(str))
    >>> df.to_parquet("survey.parquet")
    >>> with warnings.catch_warnings():  # Ibis/DuckDB deprecation warnings
    ...     warnings.simplefilter("ignore")
    ...     t = dp.scale.read_parquet("survey.parquet")
    ...     r = dp.scale.gap(t, "reimbursed", "urban", weights="weight")
    >>> r.tidy()["estimate"].round(3).tolist()
    [185.21, 0.209, 1.209, 884.08, 1069.29]
    """
    et = as_engine_table(df, "gap")
    se = _check_se("gap", se, reps, seed)
    if group in as_list(by):
        raise SpecificationError(f"scale.gap: {group!r} cannot be both group= and by=.")
    prep = prepare(et, function="gap", numeric=[y], categorical=[group], weights=weights,
                   weight_type=weight_type, by=by, cluster=cluster, design=design, se=se,
                   defer_checks=True)
    yv = prep.source[y].cast("float64")
    state: dict[str, Any] = {}

    def names(levels: list[Any]) -> list[str]:
        if len(levels) < 2:
            raise DataValueError(
                f"scale.gap: {group!r} has a single level ({levels[0]!r}) in the data used; a gap "
                "needs two."
            )
        if reference is None:
            ref = 0
        else:
            matches = [i for i, lab in enumerate(levels) if lab == reference]
            if not matches:
                raise SpecificationError(
                    f"scale.gap: reference={reference!r} is not a level of {group!r}; levels are "
                    f"{levels}."
                )
            ref = matches[0]
        state["ref"] = ref
        state["levels"] = levels
        two = len(levels) == 2
        out: list[str] = []
        for i in range(len(levels)):
            if i != ref:
                suffix = "" if two else f"[{levels[i]}]"
                out += [f"difference{suffix}", f"relative{suffix}", f"ratio{suffix}"]
        return out + [f"mean[{lab}]" for lab in levels]

    def f(T: np.ndarray, L: int) -> np.ndarray:
        ref = state["ref"]
        means = T[1] / T[0]
        out = []
        for i in range(L):
            if i != ref:
                out += [means[i] - means[ref], means[i] / means[ref] - 1.0, means[i] / means[ref]]
        return np.concatenate((np.array(out), means))

    def on_totals(labels: dict[str, Any], T: np.ndarray, levels: list[Any]) -> None:
        if T.size and not (T[0] > 0).all():
            empty = [levels[i] for i in np.flatnonzero(~(T[0] > 0))]
            raise DataValueError(
                f"scale.gap: level(s) {empty} of {group!r} have no observations (or zero weight) "
                f"{'in ' + str(labels) if labels else 'here'}; a gap needs both groups in every "
                "by= group."
            )

    def plan() -> Plan:
        result = yield from _totals_measure(
            "gap", et, prep, group=group, hs=[None, yv], f=f, names=names, cluster=cluster,
            se=se, params={"y": y, "group": group}, checks={}, on_totals=on_totals, details=None,
            progress=_progress(et, progress),
        )
        params = {"y": y, "group": group, "reference": state["levels"][state["ref"]]}
        return replace(result, spec=replace(result.spec, options=params))

    return Lazy(plan(), "scale.gap") if lazy else run(plan())


# -- generalised entropy -------------------------------------------------------------------------------


def _mean_power(alpha: float, means: Any) -> Any:
    if alpha == 1:  # 0 ln 0 = 0
        return means * np.log(np.where(means.real == 0, 1.0, means))
    if alpha == 0:
        return np.log(means)
    return means**alpha


def _row_power(alpha: float, y: Any) -> Any:
    import ibis

    if alpha == 1:
        return ibis.ifelse(y > 0, y * y.ln(), f64(0.0))
    if alpha == 0:
        return y.ln()
    if alpha == 2:
        return y * y
    return y ** f64(alpha)


def _entropy(measure: str, df: Any, y: str, alpha: float, group: str | None, *,
             weights: str | None, weight_type: str, by: Any, design: Any, cluster: str | None,
             se: str, reps: int, seed: Any, progress: Any, lazy: bool) -> MeasureResult | Lazy:
    et = as_engine_table(df, measure)
    se = _check_se(measure, se, reps, seed)
    if not isinstance(alpha, int | float) or not np.isfinite(alpha):
        raise SpecificationError(f"scale.{measure}: alpha={alpha!r} must be a finite number.")
    alpha = float(alpha)
    if group is not None and group in as_list(by):
        raise SpecificationError(f"scale.{measure}: {group!r} cannot be both group= and by=.")
    prep = prepare(et, function=measure, numeric=[y], categorical=[group] if group else [],
                   weights=weights, weight_type=weight_type, by=by, cluster=cluster, design=design,
                   se=se, defer_checks=True)
    yv = prep.source[y].cast("float64")
    positive = alpha <= 0
    bad = (yv <= 0) if positive else (yv < 0)
    checks = {"_bad": ("count_if", bad)}

    def on_totals(labels: dict[str, Any], T: np.ndarray, levels: list[Any]) -> None:
        if "_bad" in labels and labels["_bad"] > 0:
            need = "strictly positive" if positive else "non-negative"
            why = f"GE(alpha={alpha:g})" + (" (a log or negative power)" if positive else "")
            raise DataValueError(
                f"scale.{measure}: {why} needs {need} values of {y!r}, but {int(labels['_bad'])} "
                f"row(s) break this, e.g.\n{examples(prep.t, bad, [y])}\nFilter or recode them."
            )
        if T.size and group is not None and not (T[0] > 0).all():
            raise DataValueError(f"scale.{measure}: a group of {group!r} has zero total weight.")
        if T.size and not T[1].sum() > 0:
            raise DataValueError(f"scale.{measure}: the mean of {y!r} is zero; the index is undefined.")

    def names(levels: list[Any]) -> list[str]:
        if group is None:
            return ["total"]
        return ["total", "within", "between"] + [f"{group}={lab}" for lab in levels]

    def f(T: Any, L: int) -> Any:
        wg, yg, sg = T[0], T[1], T[2]
        total = _ge_of(alpha, wg.sum(), yg.sum(), sg.sum())
        if group is None:
            return np.array([total])
        big_w, big_y = wg.sum(), yg.sum()
        ge_g = _ge_of(alpha, wg, yg, sg)
        weight = (wg / big_w) ** (1.0 - alpha) * (yg / big_y) ** alpha
        within = np.where(yg.real == 0, 0.0, weight * ge_g).sum()
        between = _ge_of(alpha, big_w, big_y, (wg * _mean_power(alpha, yg / wg)).sum())
        return np.concatenate(([total, within, between], ge_g))

    def details(T: np.ndarray, values: np.ndarray, levels: list[Any]) -> pd.DataFrame:
        wg, yg = T[0], T[1]
        pop, inc = wg / wg.sum(), yg / yg.sum()
        weight = pop ** (1.0 - alpha) * inc**alpha
        contrib = np.where(yg == 0, 0.0, weight * values[3:])
        return pd.DataFrame({
            group: levels, "pop_share": pop, "income_share": inc, "mean": yg / wg,
            "index": values[3:], "weight": weight, "contribution": contrib,
            "share_of_total": contrib / values[0] if values[0] != 0 else np.nan,
        })

    plan = _totals_measure(
        measure, et, prep, group=group, hs=[None, yv, _row_power(alpha, yv)], f=f, names=names,
        cluster=cluster, se=se, params={"y": y, "alpha": alpha, "group": group}, checks=checks,
        on_totals=on_totals, details=details if group is not None else None,
        progress=_progress(et, progress),
    )
    return Lazy(plan, f"scale.{measure}") if lazy else run(plan)


@overload
def ge(
    df: EngineTable, y: str, *, alpha: float = ..., group: str | None = ...,
    weights: str | None = ..., weight_type: WeightType = ...,
    by: str | Sequence[str] | None = ..., design: SurveyDesign | None = ..., cluster: str | None = ...,
    se: SeKind = ..., reps: int = ..., seed: int | np.random.Generator | None = ..., progress: Any = ...,
    lazy: Literal[False] = ...,
) -> MeasureResult: ...
@overload
def ge(
    df: EngineTable, y: str, *, alpha: float = ..., group: str | None = ...,
    weights: str | None = ..., weight_type: WeightType = ...,
    by: str | Sequence[str] | None = ..., design: SurveyDesign | None = ..., cluster: str | None = ...,
    se: SeKind = ..., reps: int = ..., seed: int | np.random.Generator | None = ..., progress: Any = ...,
    lazy: Literal[True],
) -> Lazy: ...


def ge(df: EngineTable, y: str, *, alpha: float = 1.0, group: str | None = None,
       weights: str | None = None, weight_type: WeightType = "pweight",
       by: str | Sequence[str] | None = None, design: SurveyDesign | None = None,
       cluster: str | None = None, se: SeKind = "analytic", reps: int = 500,
       seed: int | np.random.Generator | None = None, progress: Any = None,
       lazy: bool = False) -> MeasureResult | Lazy:
    """Generalised entropy GE(alpha) with its within/between decomposition, on an engine table.

    Same arguments and result as :func:`disparity.ge`. One engine pass returns, per ``by=`` and
    ``group=`` cell, the totals :math:`W_g, Y_g, S_g = \\sum w y^\\alpha` (:math:`\\sum w y\\ln y`
    for alpha=1, :math:`\\sum w \\ln y` for alpha=0) and their weighted cross-products; every
    component (total, within, between, per group) and its linearised standard error follows.

    Notes
    -----
    .. math:: GE(\\alpha) = \\frac{1}{\\alpha(\\alpha-1)}\\Big[\\frac{1}{W}\\sum_k w_k
              (y_k/\\mu)^{\\alpha} - 1\\Big], \\quad
              GE = \\sum_g v_g^{1-\\alpha} s_g^{\\alpha} GE_g + GE(\\{\\mu_g\\})

    References
    ----------
    Shorrocks, A. F. (1980). The class of additively decomposable inequality measures.
    *Econometrica* 48(3), 613-625.
    Biewen, M., & Jenkins, S. P. (2006). Variance estimation for generalized entropy and Atkinson
    inequality indices. *Oxford Bulletin of Economics and Statistics* 68(3), 371-383.

    Examples
    --------
    >>> import warnings
    >>> df = dp.datasets.chifeng_survey()[["reimbursed", "urban", "income", "weight"]]
    >>> df = df.assign(urban=df["urban"].astype(str))
    >>> df.to_parquet("survey.parquet")
    >>> with warnings.catch_warnings():  # Ibis/DuckDB deprecation warnings
    ...     warnings.simplefilter("ignore")
    ...     t = dp.scale.read_parquet("survey.parquet")
    ...     r = dp.scale.ge(t, "income", alpha=2, weights="weight")
    >>> round(r.value, 4)
    0.2434
    """
    return _entropy("ge", df, y, alpha, group, weights=weights, weight_type=weight_type, by=by,
                    design=design, cluster=cluster, se=se, reps=reps, seed=seed, progress=progress,
                    lazy=lazy)


@overload
def theil(
    df: EngineTable, y: str, group: str | None = ..., *,
    weights: str | None = ..., weight_type: WeightType = ...,
    by: str | Sequence[str] | None = ..., design: SurveyDesign | None = ..., cluster: str | None = ...,
    se: SeKind = ..., reps: int = ..., seed: int | np.random.Generator | None = ..., progress: Any = ...,
    lazy: Literal[False] = ...,
) -> MeasureResult: ...
@overload
def theil(
    df: EngineTable, y: str, group: str | None = ..., *,
    weights: str | None = ..., weight_type: WeightType = ...,
    by: str | Sequence[str] | None = ..., design: SurveyDesign | None = ..., cluster: str | None = ...,
    se: SeKind = ..., reps: int = ..., seed: int | np.random.Generator | None = ..., progress: Any = ...,
    lazy: Literal[True],
) -> Lazy: ...


def theil(df: EngineTable, y: str, group: str | None = None, *, weights: str | None = None,
          weight_type: WeightType = "pweight", by: str | Sequence[str] | None = None,
          design: SurveyDesign | None = None, cluster: str | None = None,
          se: SeKind = "analytic", reps: int = 500,
          seed: int | np.random.Generator | None = None, progress: Any = None,
          lazy: bool = False) -> MeasureResult | Lazy:
    """Theil T = GE(1), decomposed by ``group`` in the same pass, on an engine table.

    Same arguments and result as :func:`disparity.theil`; see :func:`ge`.

    Notes
    -----
    :math:`T = \\frac{1}{W}\\sum_k w_k \\frac{y_k}{\\mu}\\ln\\frac{y_k}{\\mu}`,
    :math:`T = \\sum_g s_g T_g + \\sum_g s_g \\ln(\\mu_g/\\mu)`.

    References
    ----------
    Theil, H. (1967). *Economics and Information Theory*. North-Holland.
    Shorrocks, A. F. (1980). *Econometrica* 48(3), 613-625.

    Examples
    --------
    >>> import warnings
    >>> df = dp.datasets.chifeng_survey()[["reimbursed", "urban", "income", "weight"]]
    >>> df = df.assign(urban=df["urban"].astype(str))
    >>> df.to_parquet("survey.parquet")
    >>> with warnings.catch_warnings():  # Ibis/DuckDB deprecation warnings
    ...     warnings.simplefilter("ignore")
    ...     t = dp.scale.read_parquet("survey.parquet")
    ...     r = dp.scale.theil(t, "income", "urban", weights="weight")
    >>> r.tidy()["estimate"].round(3).tolist()
    [0.201, 0.159, 0.043, 0.145, 0.168]
    """
    return _entropy("theil", df, y, 1.0, group, weights=weights, weight_type=weight_type, by=by,
                    design=design, cluster=cluster, se=se, reps=reps, seed=seed, progress=progress,
                    lazy=lazy)


@overload
def mld(
    df: EngineTable, y: str, group: str | None = ..., *,
    weights: str | None = ..., weight_type: WeightType = ...,
    by: str | Sequence[str] | None = ..., design: SurveyDesign | None = ..., cluster: str | None = ...,
    se: SeKind = ..., reps: int = ..., seed: int | np.random.Generator | None = ..., progress: Any = ...,
    lazy: Literal[False] = ...,
) -> MeasureResult: ...
@overload
def mld(
    df: EngineTable, y: str, group: str | None = ..., *,
    weights: str | None = ..., weight_type: WeightType = ...,
    by: str | Sequence[str] | None = ..., design: SurveyDesign | None = ..., cluster: str | None = ...,
    se: SeKind = ..., reps: int = ..., seed: int | np.random.Generator | None = ..., progress: Any = ...,
    lazy: Literal[True],
) -> Lazy: ...


def mld(df: EngineTable, y: str, group: str | None = None, *, weights: str | None = None,
        weight_type: WeightType = "pweight", by: str | Sequence[str] | None = None,
        design: SurveyDesign | None = None, cluster: str | None = None,
        se: SeKind = "analytic", reps: int = 500,
        seed: int | np.random.Generator | None = None, progress: Any = None,
        lazy: bool = False) -> MeasureResult | Lazy:
    """Mean log deviation = GE(0) (strictly positive ``y``), on an engine table; see :func:`ge`.

    Notes
    -----
    :math:`MLD = \\frac{1}{W}\\sum_k w_k \\ln(\\mu/y_k)`; within part :math:`\\sum_g v_g MLD_g`.

    References
    ----------
    Shorrocks, A. F. (1980). *Econometrica* 48(3), 613-625.

    Examples
    --------
    >>> import warnings
    >>> df = dp.datasets.chifeng_survey()[["reimbursed", "urban", "income", "weight"]]
    >>> df = df.assign(urban=df["urban"].astype(str))
    >>> df.to_parquet("survey.parquet")
    >>> with warnings.catch_warnings():  # Ibis/DuckDB deprecation warnings
    ...     warnings.simplefilter("ignore")
    ...     t = dp.scale.read_parquet("survey.parquet")
    ...     r = dp.scale.mld(t, "income", "urban", weights="weight")
    >>> r.tidy()["estimate"].round(3).tolist()
    [0.2, 0.157, 0.043, 0.145, 0.173]
    """
    return _entropy("mld", df, y, 0.0, group, weights=weights, weight_type=weight_type, by=by,
                    design=design, cluster=cluster, se=se, reps=reps, seed=seed, progress=progress,
                    lazy=lazy)
