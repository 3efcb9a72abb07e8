"""Engine passes as plans, and running several plans in shared scans (``scale.compute``).

Each claims-scale function is written as a *plan*: a generator that yields the aggregate
:class:`Pass` es it needs (one engine query each) and receives their results as DataFrames. Run
alone (:func:`run`), every pass is its own query. :func:`compute` runs several plans side by side
and merges the passes of the same round that read the same table into **one** query, so a job of
gaps, inequality measures and regressions over a claims table reads the data once:

* the merged query groups by the union of the passes' keys. Rows complete in every column any
  pass needs are selected by a ``WHERE ... IS NOT NULL`` the engine pushes into the scan; only if
  that drops rows (the table's row count says so) does a second query read the incomplete rows,
  grouped also by an integer column with one bit per column ("is not missing"), so that each pass
  keeps exactly its own complete rows. Counts of rows meeting a condition (``count_if``, used for
  input checks) are bits of a flag column in both queries, and come from the cell counts. (A ``FILTER`` clause
  per aggregate, or flag bits computed on every row, cost more in DuckDB than the scans saved.)
  NaN is not looked for row by row: a NaN reaching a pass's sums makes it run alone with its
  exact filter;
* row values and aggregates that several passes share (the same Ibis expression) are computed
  once;
* each pass's result is then re-aggregated in pandas from the merged cells it keeps:
  sums and counts add, minima and maxima combine - exactly, up to the order of floating-point
  additions (relative 1e-15).

If the merged query would return more than :data:`MAX_FUSED_CELLS` cells, or fails in the engine,
the passes run one by one instead (and the progress report says so).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecificationError

__all__ = ["Pass", "Plan", "Lazy", "run", "run_all", "compute", "MAX_FUSED_CELLS"]

#: Largest number of merged cells (union of the passes' group keys) brought back from a merged
#: query; beyond it the passes run separately (their own groupings are usually far smaller).
MAX_FUSED_CELLS = 1_000_000
#: Aggregate kinds a pass may use: each combines exactly from partial aggregates. ``count_if``
#: counts the rows where a boolean value is true.
KINDS = ("sum", "count", "min", "max", "count_if")
#: Most distinct row conditions a merged query packs into its 32-bit flag column.
MAX_FLAG_BITS = 30


@dataclass(frozen=True, eq=False)
class Pass:
    """One aggregate query over ``source``.

    ``values`` are named row-level expressions over ``source``; each aggregate is
    ``(kind, factors)``: the ``kind`` ("sum", "min", "max") of the product of the named values,
    "count" (no factors) or "count_if" (one boolean value). Rows are those where every condition
    in ``where`` holds (a boolean expression or a tuple of them; all rows if None), grouped by the
    ``keys`` (columns of ``source``). With ``limit``, at most ``limit + 1`` groups come back (so
    the caller can tell that there were more than ``limit``).
    """

    source: Any
    keys: tuple[str, ...]
    values: dict[str, Any]
    aggs: dict[str, tuple[str, tuple[str, ...]]]
    where: Any = None
    limit: int | None = None
    label: str = ""
    progress: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        where = self.where
        if where is not None and not isinstance(where, tuple | list):
            where = (where,)
        object.__setattr__(self, "where", tuple(where) if where else ())
        for name, (kind, factors) in self.aggs.items():
            if kind not in KINDS:
                raise ValueError(f"Pass: aggregate {name!r} has kind {kind!r}; use one of {KINDS}.")
            if (kind == "count") != (not factors) or (kind == "count_if" and len(factors) != 1):
                raise ValueError(f"Pass: aggregate {name!r}: count takes no factors, count_if "
                                 "one boolean value, the others one or more values.")
            unknown = [f for f in factors if f not in self.values]
            if unknown:
                raise ValueError(f"Pass: aggregate {name!r} uses undefined values {unknown}.")


Plan = Generator[Pass, pd.DataFrame, Any]


def _product(rel: Any, factors: Sequence[str]) -> Any:
    out = rel[factors[0]]
    for f in factors[1:]:
        out = out * rel[f]
    return out


def _never_null(cond: Any) -> bool:
    """Whether a condition is ``x IS NOT NULL [AND NOT isnan(x)]`` (FALSE, not NULL, for NULL x)."""
    import ibis.expr.operations as ops

    op = cond.op()
    if isinstance(op, ops.NotNull):
        return True
    return isinstance(op, ops.And) and isinstance(op.left, ops.NotNull)


def _reduce(kind: str, rel: Any, factors: Sequence[str]) -> Any:
    if kind == "count":
        return rel.count()
    if kind == "count_if":
        return rel[factors[0]].cast("int64").sum()
    return getattr(_product(rel, factors), kind)()


def register_parquet(table: Any, paths: Sequence[str]) -> None:
    """Remember the Parquet files behind an engine table (DuckDB), so that input checks can be
    answered from the files' footers (:func:`_never_true`)."""
    op = table.op()
    _PARQUET[(id(op.source), str(op.name))] = tuple(paths)


#: Parquet files behind DuckDB tables made by ``Engine.read_parquet``: (backend id, name) -> paths.
_PARQUET: dict[tuple[int, str], tuple[str, ...]] = {}


def _parquet_min(source: Any, column: str) -> float | None:
    """The smallest value of a numeric column over every row group of the Parquet files behind
    ``source``, from the footers' statistics (no row is read); None when unknown (not a Parquet
    table, a partition column, a row group without statistics)."""
    import ibis.expr.operations as ops

    op = source.op()
    if not isinstance(op, ops.DatabaseTable):
        return None
    paths = _PARQUET.get((id(op.source), str(op.name)))
    if paths is None or not source.schema()[column].is_numeric():
        return None
    con = getattr(op.source, "con", None)
    if con is None:
        return None
    try:
        cur = con.cursor()  # its own cursor: the caller's connection may hold a pending result
        rows = cur.execute(
            "SELECT count(*), min(TRY_CAST(stats_min AS DOUBLE)), "
            "bool_or((stats_min IS NULL OR TRY_CAST(stats_min AS DOUBLE) IS NULL) "
            "AND coalesce(stats_null_count, -1) < num_values) "
            "FROM parquet_metadata($1) WHERE path_in_schema = $2", [list(paths), column]
        ).fetchall()
        cur.close()
    except Exception:  # noqa: BLE001 - no statistics to use: the check is run on the rows
        return None
    row = rows[0] if rows else None
    if row is None or not row[0] or row[2] or row[1] is None:
        return None
    return float(row[1])


def _never_true(cond: Any, source: Any) -> bool:
    """Whether a check ``column < c`` is false on every row by the Parquet statistics (the
    minimum of the column is at least ``c``); NaN compares false, NULL rows are not counted."""
    import ibis.expr.operations as ops

    op = cond.op()
    if not isinstance(op, ops.Less):
        return False
    lit, col = op.right, op.left
    if isinstance(lit, ops.Cast):  # a typed constant, e.g. CAST(0 AS DOUBLE)
        lit = lit.arg
    if not isinstance(lit, ops.Literal):
        return False
    if isinstance(col, ops.Cast) and col.to.is_floating():  # a numeric column cast to float
        col = col.arg
    if not (isinstance(col, ops.Field) and col.rel == source.op()):
        return False
    try:
        bound = float(lit.value)
    except (TypeError, ValueError):
        return False
    lo = _parquet_min(source, str(col.name))
    return lo is not None and lo >= bound


def _proven(p: Pass) -> tuple[Pass, list[str]]:
    """The pass without the ``count_if`` checks its source's Parquet statistics already answer
    (each is 0), and their names. Each check left in costs a flag bit or an aggregate per row."""
    zero = [name for name, (kind, factors) in p.aggs.items()
            if kind == "count_if" and _never_true(p.values[factors[0]], p.source)]
    if not zero:
        return p, []
    aggs = {k: v for k, v in p.aggs.items() if k not in zero}
    used = {f for _, factors in aggs.values() for f in factors}
    values = {k: v for k, v in p.values.items() if k in used}
    return Pass(p.source, p.keys, values, aggs, p.where, p.limit, p.label, p.progress), zero


def _with_zeros(frame: pd.DataFrame, p: Pass, zero: Sequence[str]) -> pd.DataFrame:
    for name in zero:
        frame[name] = np.zeros(len(frame), dtype=np.int64)
    return frame[[*p.keys, *p.aggs]] if zero else frame


def execute(p: Pass) -> pd.DataFrame:
    """Run one pass as its own query.

    NaN checks of float columns whose values the pass sums over are left out of the first try
    (evaluating ``isnan`` on every row costs as much as several aggregates); if a NaN reaches the
    sums, the pass runs again with them. Checks the Parquet statistics answer are not run.
    """
    q, zero = _proven(p)
    return _with_zeros(_execute_checked(q), p, zero)


def _execute_checked(p: Pass) -> pd.DataFrame:
    lean = _lean_conditions(p)
    if lean is not None:
        frame = _execute(p, lean)
        kinds = {name: kind for name, (kind, _) in p.aggs.items()}
        if not _met_nan(frame, kinds):
            return frame
    return _execute(p, p.where)


def _execute(p: Pass, where: Sequence[Any]) -> pd.DataFrame:
    rel = p.source.filter(*where) if where else p.source
    rel = rel.mutate(**p.values) if p.values else rel
    aggs = {name: _reduce(kind, rel, factors) for name, (kind, factors) in p.aggs.items()}
    q = rel.group_by(list(p.keys)).aggregate(**aggs) if p.keys else rel.aggregate(**aggs)
    if p.limit is not None:
        q = q.limit(p.limit + 1)
    return q.to_pandas()


def _lean_conditions(p: Pass) -> tuple[Any, ...] | None:
    """The filter without NaN checks on columns the pass sums over (None: nothing to leave out)."""
    used = _used_columns(p)
    out, changed = [], False
    for cond in p.where:
        c = _complete_column(cond)
        if c is not None and c in used and _has_nan_check(cond):
            out.append(p.source[c].notnull())
            changed = True
        else:
            out.append(cond)
    return tuple(out) if changed else None


def _has_nan_check(cond: Any) -> bool:
    import ibis.expr.operations as ops

    return isinstance(cond.op(), ops.And)


def _same_source(a: Any, b: Any) -> bool:
    return a is b or a.op() == b.op()


def _complete_column(cond: Any) -> str | None:
    """The column of a "``col`` is complete" condition (see ``_prep.complete``), else None."""
    import ibis.expr.operations as ops

    op = cond.op()
    if isinstance(op, ops.And) and isinstance(op.right, ops.Not) \
            and isinstance(op.right.arg, ops.IsNan):
        op = op.left
    if isinstance(op, ops.NotNull) and isinstance(op.arg, ops.Field):
        return str(op.arg.name)
    return None


def _used_columns(p: Pass) -> set[str]:
    """Source columns a pass groups by or computes its values from (a NaN in them shows up)."""
    return set(p.keys).union(*(_fields(v) for v in p.values.values()))


def _fields(expr: Any) -> set[str]:
    import ibis.expr.operations as ops

    return {str(f.name) for f in expr.op().find(ops.Field)}


def execute_fused(passes: Sequence[Pass]) -> list[pd.DataFrame | None] | None:
    """Run passes over one source as one query (two when some rows have missing values).

    Returns one frame per pass (None for a pass whose merged sums met a NaN: run it alone), or
    None when the merged cells are too many.

    Completeness conditions ("column is not missing") are not evaluated per row: the main query
    keeps the rows complete in every column any pass needs by a ``WHERE ... IS NOT NULL`` that the
    engine pushes into the scan, and only if that drops rows (the table's row count says so) does
    a second query read the incomplete rows, with one flag bit per column. NaN values, which the
    passes' own filters drop, are not looked for either: a NaN reaching a pass's sums makes them
    NaN, and that pass is then run alone with its exact filter. Input checks that the Parquet
    statistics answer (no negative weights) are not run on the rows.
    """
    proven = [_proven(p) for p in passes]
    frames = _execute_fused([q for q, _ in proven])
    if frames is None:
        return None
    return [None if fr is None else _with_zeros(fr, p, zero)
            for fr, p, (_, zero) in zip(frames, passes, proven, strict=True)]


def _execute_fused(passes: Sequence[Pass]) -> list[pd.DataFrame | None] | None:
    source = passes[0].source
    keys = list(dict.fromkeys(k for p in passes for k in p.keys))
    # shared row values: one column per distinct expression
    col_of: dict[Any, str] = {}
    cols: dict[str, Any] = {}
    local: list[dict[str, str]] = []
    for p in passes:
        names = {}
        for name, expr in p.values.items():
            op = expr.op()
            if op not in col_of:
                col_of[op] = f"_fv{len(cols)}"
                cols[col_of[op]] = expr
            names[name] = col_of[op]
        local.append(names)
    # conditions: completeness of columns (handled by WHERE / the second query), others by bits
    bit_of: dict[Any, int] = {}
    conds: list[Any] = []

    def bit(expr: Any) -> int:
        op = expr.op()
        if op not in bit_of:
            bit_of[op] = len(conds)
            conds.append(expr)
        return bit_of[op]

    needs: list[list[str]] = []
    masks: list[int] = []
    for p in passes:
        used = _used_columns(p)
        cols_p, mask = [], 0
        for cond in p.where:
            c = _complete_column(cond)
            if c is not None:
                cols_p.append(c)
                if c in used or not source.schema()[c].is_floating():
                    continue  # a NaN in a column the pass sums over shows up in its sums
            mask |= 1 << bit(cond)  # e.g. a float cluster column the pass does not sum over
        needs.append(cols_p)
        masks.append(mask)
    # aggregates: one per distinct (kind, factor columns); count_if from the cell counts
    agg_of: dict[tuple[str, tuple[str, ...]], str] = {("count", ()): "_fn"}
    maps: list[dict[str, tuple[str, int]]] = []  # pass aggregate -> (merged column, bit or -1)
    for p, names in zip(passes, local, strict=True):
        m = {}
        for name, (kind, factors) in p.aggs.items():
            if kind == "count_if":
                m[name] = ("_fn", bit(p.values[factors[0]]))
                continue
            key = (kind, tuple(sorted(names[f] for f in factors)))
            if key not in agg_of:
                agg_of[key] = f"_fa{len(agg_of)}"
            m[name] = (agg_of[key], -1)
        maps.append(m)
    union_cols = list(dict.fromkeys(c for cs in needs for c in cs))
    col_bit = {c: len(conds) + j for j, c in enumerate(union_cols)}
    if len(conds) + len(union_cols) > MAX_FLAG_BITS:
        return None

    def query(rel: Any, extra: dict[Any, int]) -> pd.DataFrame | None:  # {condition column: bit}
        flag = None
        for b, c in enumerate(conds):
            if not _never_null(c):
                c = c.fill_null(False)
            term = c.cast("int32") << b
            flag = term if flag is None else flag | term
        for c, b in extra.items():
            term = c.cast("int32") << b
            flag = term if flag is None else flag | term
        rel = rel.mutate(**cols, **({"_fflag": flag} if flag is not None else {}))
        aggs = {out: _reduce(kind, rel, factors) for (kind, factors), out in agg_of.items()}
        group = keys + (["_fflag"] if flag is not None else [])
        q = rel.group_by(group).aggregate(**aggs) if group else rel.aggregate(**aggs)
        frame = q.limit(MAX_FUSED_CELLS + 1).to_pandas()
        if frame.shape[0] > MAX_FUSED_CELLS:
            return None
        if flag is None:
            frame["_fflag"] = 0
        return frame

    main = query(source.filter(*[source[c].notnull() for c in union_cols]), {})
    if main is None:
        return None
    all_complete = sum(1 << b for b in col_bit.values())
    main["_fflag"] = main["_fflag"].to_numpy(dtype=np.int64) | all_complete
    merged = main
    if union_cols and int(main["_fn"].sum()) != int(source.count().to_pyarrow().as_py()):
        missing = None
        for c in union_cols:
            term = source[c].isnull()
            missing = term if missing is None else missing | term
        rest = query(source.filter(missing),
                     {source[c].notnull(): b for c, b in col_bit.items()})
        if rest is None:
            return None
        merged = pd.concat([main, rest], ignore_index=True)
    flags = merged["_fflag"].to_numpy(dtype=np.int64)
    kind_of = {v: k[0] for k, v in agg_of.items()}
    out: list[pd.DataFrame | None] = []
    for p, m, mask, cs in zip(passes, maps, masks, needs, strict=True):
        mask |= sum(1 << col_bit[c] for c in cs)
        sel = (flags & mask) == mask
        part, sub_flags = merged[sel], flags[sel]
        frame = part[list(p.keys)].copy()
        how: dict[str, str] = {}
        for name, (col, b) in m.items():
            if b >= 0:  # rows meeting the condition: the cell counts where its bit is set
                frame[name] = part["_fn"].to_numpy() * ((sub_flags >> b) & 1)
                how[name] = "count"
            else:
                frame[name] = part[col].to_numpy()
                how[name] = kind_of[col]
        res = _combine(frame, list(p.keys), how, p.limit)
        out.append(None if _met_nan(res, how) else res)
    return out


def _met_nan(res: pd.DataFrame, kinds: dict[str, str]) -> bool:
    """Whether a NaN reached a pass's merged sums (or a float group key)."""
    vals = res[[c for c, k in kinds.items() if k != "count"]]
    if vals.shape[1] and np.isnan(vals.to_numpy(dtype=float)).any():
        return True
    keys = res.drop(columns=list(kinds))
    return any(keys[c].dtype.kind == "f" and keys[c].isna().any() for c in keys.columns)


def _combine(frame: pd.DataFrame, keys: list[str], kinds: dict[str, str],
             limit: int | None) -> pd.DataFrame:
    """A pass's own aggregates from merged cells (sums/counts add; minima/maxima combine)."""
    how = {c: ("sum" if k in ("sum", "count") else k) for c, k in kinds.items()}
    if keys:
        # skipna=False: a NaN sum in any cell (a NaN or infinite value) stays NaN, as in the engine
        grouped = frame.groupby(keys, dropna=False, sort=False)
        res = pd.DataFrame({c: grouped[c].agg(h, skipna=False) for c, h in how.items()})
        res = res.reset_index()
    elif frame.empty:  # no rows at all: counts 0, other aggregates NULL, as the engine returns
        res = pd.DataFrame({c: [0 if kinds[c] == "count" else np.nan] for c in how})
    else:
        res = pd.DataFrame({c: [getattr(frame[c], h)(skipna=False)] for c, h in how.items()})
    for c, k in kinds.items():
        if k == "count":
            res[c] = res[c].astype("int64")
    res = res[keys + list(kinds)]
    if limit is not None:
        res = res.iloc[: limit + 1]
    return res


def run(plan: Plan) -> Any:
    """Run a plan, each pass as its own query."""
    try:
        p = next(plan)
        while True:
            p = plan.send(execute(p))
    except StopIteration as stop:
        return stop.value


@dataclass
class _Active:
    plan: Plan
    pending: Pass | None = None
    done: bool = False
    value: Any = None

    @property
    def step(self) -> Pass:
        """The pass a plan that is not done waits on."""
        assert self.pending is not None, "a plan that is not done always has a pending pass"
        return self.pending


def _advance(a: _Active, frame: pd.DataFrame | None) -> None:
    try:
        a.pending = next(a.plan) if frame is None else a.plan.send(frame)
    except StopIteration as stop:
        a.done, a.value, a.pending = True, stop.value, None


def run_all(plans: Sequence[Any]) -> list[Any]:
    """Run plans side by side; passes of the same round over the same source share one query."""
    active = []
    for pl in plans:
        a = pl if isinstance(pl, _Active) else _Active(pl)
        if a.pending is None and not a.done:
            _advance(a, None)
        active.append(a)
    try:
        while True:
            waiting = [a for a in active if not a.done]
            if not waiting:
                break
            buckets: list[list[_Active]] = []
            for a in waiting:
                for b in buckets:
                    if _same_source(b[0].step.source, a.step.source):
                        b.append(a)
                        break
                else:
                    buckets.append([a])
            for b in buckets:
                frames = None
                if len(b) > 1:
                    _say(b, f"one shared pass for {len(b)} steps: "
                         + "; ".join(a.step.label for a in b))
                    try:
                        frames = execute_fused([a.step for a in b])
                    except Exception:  # noqa: BLE001 - any engine failure: run them one by one
                        frames = None
                    if frames is None:
                        _say(b, "shared pass not possible (too many cells or an engine error); "
                             "running the steps separately")
                if frames is None:
                    frames = [execute(a.step) for a in b]
                else:
                    frames = [execute(a.step) if fr is None else fr
                              for a, fr in zip(b, frames, strict=True)]
                for a, fr in zip(b, frames, strict=True):
                    _advance(a, fr)
    except BaseException:
        for a in active:
            a.plan.close()
        raise
    return [a.value for a in active]


def _say(bucket: list[_Active], message: str) -> None:
    for a in bucket:
        if a.step.progress is not None:
            a.step.progress(message)
            return


class Lazy:
    """A claims-scale result not computed yet (``lazy=True``): run it with :meth:`compute`, or
    several together with :func:`disparity.scale.compute` so that they share scans.

    The arguments were checked, and any cheap look-ups done, when it was made; what is left are
    the aggregate passes over the data.
    """

    def __init__(self, plan: Plan, what: str) -> None:
        self._what = what
        self._state = _Active(plan)
        _advance(self._state, None)  # run up to the first pass: argument errors surface now
        self._used = False

    def _take(self) -> _Active:
        if self._used:
            raise SpecificationError(f"{self._what}: this lazy result was already computed; "
                                     "keep the value compute() returned.")
        self._used = True
        return self._state

    def compute(self) -> Any:
        """The result (runs the remaining passes)."""
        return run_all([self._take()])[0]

    def __repr__(self) -> str:
        return f"<Lazy {self._what}: not computed; call .compute() or dp.scale.compute(...)>"


def compute(*lazy: Lazy) -> tuple[Any, ...]:
    """Compute several lazy claims-scale results together, sharing scans of the same table.

    Parameters
    ----------
    *lazy : Lazy
        Results made with ``lazy=True`` (``dp.scale.gap(..., lazy=True)``, ``dp.scale.theil``,
        ``dp.scale.ols``, ...).

    Returns
    -------
    tuple
        The results, in the order given: the same objects the eager calls return.

    Notes
    -----
    The passes each function needs are run in rounds; in each round, the passes over the same
    table become one query grouped by the union of their keys (see :mod:`disparity.scale._plan`),
    so a job of a gap, a Theil decomposition and a clustered regression reads the table once
    instead of three times. Results equal the separate calls up to the order of floating-point
    additions.

    Examples
    --------
    >>> import warnings
    >>> df = dp.datasets.chifeng_survey()[["reimbursed", "urban", "income", "weight"]]
    >>> df = df.assign(urban=df["urban"].astype(str))
    >>> df.to_parquet("survey.parquet")
    >>> with warnings.catch_warnings():  # Ibis/DuckDB deprecation warnings
    ...     warnings.simplefilter("ignore")
    ...     t = dp.scale.read_parquet("survey.parquet")
    ...     g, th = dp.scale.compute(
    ...         dp.scale.gap(t, "reimbursed", "urban", weights="weight", lazy=True),
    ...         dp.scale.theil(t, "income", "urban", weights="weight", lazy=True))
    >>> round(g.value, 2), round(th.value, 4)
    (185.21, 0.2013)
    """
    bad = [type(x).__name__ for x in lazy if not isinstance(x, Lazy)]
    if bad:
        raise SpecificationError(
            f"scale.compute() takes lazy results (call the functions with lazy=True); got {bad}."
        )
    return tuple(run_all([x._take() for x in lazy]))
