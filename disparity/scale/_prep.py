"""Input checks on engine tables: columns, types, missing values, weights (one engine query)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._options import WEIGHT_TYPES, check_option
from .._weights import raise_weight_problems
from ..design import SurveyDesign
from ..errors import DataValueError, SpecificationError
from ._backend import EngineTable, UnsupportedOperationError

__all__ = ["Prepared", "prepare", "as_list", "examples", "unsupported", "f64", "sorted_levels",
           "complete"]

_SHOW = 5


def as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    return [cols] if isinstance(cols, str) else list(cols)


def unsupported(function: str, what: str, todo: str) -> UnsupportedOperationError:
    return UnsupportedOperationError(
        f"scale.{function}: {what} is not supported on engine tables; {todo}"
    )


@dataclass
class Prepared:
    """The filtered table (rows complete in every used column) and the weight expression."""

    t: Any  # ibis table
    w: Any  # ibis float expression (1.0 without weights)
    weighted: bool
    weight_type: str
    by: list[str]
    function: str = ""
    weights: str | None = None
    show: list[str] | None = None
    #: the unfiltered table, the complete-row conditions over it (one per used column) and the
    #: weight expression over it: what a shared pass (:mod:`disparity.scale._plan`) is built from
    source: Any = None
    keep: tuple[Any, ...] = ()
    w_source: Any = None

    def weight_check_parts(self) -> tuple[dict[str, Any], dict[str, tuple[str, tuple[str, ...]]]]:
        """:meth:`weight_checks` as pass values and aggregates (see :class:`_plan.Pass`)."""
        if not self.weighted:
            return {}, {}
        w = self.w_source
        values: dict[str, Any] = {"_w": w, "_wisneg": w < f64(0.0)}
        aggs: dict[str, tuple[str, tuple[str, ...]]] = {"_wneg": ("count_if", ("_wisneg",)),
                                                         "_wtotal": ("sum", ("_w",))}
        if self.weight_type == "fweight":
            values["_wisfrac"] = w != w.round(0)
            aggs["_wnonint"] = ("count_if", ("_wisfrac",))
        return values, aggs

    def _bad(self) -> Any:
        w = self.w
        return w.isnan() | w.isinf() | (w < 0)

    def weight_checks(self) -> dict[str, Any]:
        """Aggregates that detect weight problems (empty without weights)."""
        if not self.weighted:
            return {}
        w = self.w
        out = {"_wneg": (w < f64(0.0)).cast("int64").sum(), "_wtotal": w.sum()}
        if self.weight_type == "fweight":
            out["_wnonint"] = (w != w.round(0)).cast("int64").sum()
        return out

    def verify(self, res: Any) -> None:
        """Raise for the problems :meth:`weight_checks` counted (``res``: summed aggregates)."""
        if not self.weighted:
            return
        f, weights, w, used = self.function, self.weights, self.w, self.show or []
        bad_rows = nonint_rows = None
        if res["_wneg"] > 0 or not np.isfinite(res["_wtotal"]):
            n_bad = int(self.t.aggregate(b=self._bad().cast("int64").sum()).to_pandas().iloc[0]["b"])
            bad_rows = f"{n_bad} row(s), e.g.\n{examples(self.t, self._bad(), used)}\n"
        elif self.weight_type == "fweight" and res["_wnonint"] > 0:
            nonint_rows = (f"{int(res['_wnonint'])} row(s), e.g.\n"
                           f"{examples(self.t, w != w.round(0), used)}\n")
        # the one weights check of the package, so every path says the same thing
        raise_weight_problems(weights=weights, weight_type=self.weight_type, where=f"scale.{f}",
                              bad_rows=bad_rows, nonint_rows=nonint_rows,
                              total=1.0 if bad_rows else float(res["_wtotal"]))


def examples(t: Any, bad: Any, cols: list[str]) -> str:
    """A few offending rows (their values in ``cols``), fetched with LIMIT."""
    rows = t.filter(bad).select(*cols).limit(_SHOW).to_pandas()
    return rows.to_string(index=False, max_colwidth=30)


def check_columns(et: EngineTable, function: str, cols: Sequence[str]) -> None:
    missing = [c for c in dict.fromkeys(cols) if c not in et.columns]
    if missing:
        raise SpecificationError(
            f"scale.{function}: column(s) {missing} not found in the table; available columns are "
            f"{et.columns[:20]}."
        )


def f64(value: float) -> Any:
    """A DOUBLE literal. Ibis writes ``1.0`` for float literals, which DuckDB types as DECIMAL;
    DECIMAL arithmetic can overflow or round differently, so constants go in as typed casts."""
    import ibis

    value = float(value)
    if value.is_integer():
        return ibis.literal(int(value)).cast("float64")
    return ibis.literal(repr(value)).cast("float64")


def is_numeric(t: Any, col: str) -> bool:
    dt = t.schema()[col]
    return bool(dt.is_numeric() or dt.is_boolean())


def numeric_expr(t: Any, col: str) -> Any:
    return t[col].cast("float64")


def prepare(
    et: EngineTable,
    *,
    function: str,
    numeric: Sequence[str],
    categorical: Sequence[str] = (),
    weights: str | None = None,
    weight_type: str = "pweight",
    by: str | Sequence[str] | None = None,
    cluster: str | None = None,
    design: SurveyDesign | None = None,
    se: str = "analytic",
    defer_checks: bool = False,
) -> Prepared:
    """Check options and columns, drop rows with a missing value in a used column, build weights.

    Weight problems (negative, non-finite, non-integer fweights, zero total) are found in one
    aggregate query and reported with example rows. With ``defer_checks=True`` the caller adds
    :meth:`Prepared.weight_checks` to its own aggregate and calls :meth:`Prepared.verify` on the
    result, saving a pass over the data.
    """
    check_option("weight_type", weight_type, WEIGHT_TYPES)
    if design is not None:
        raise unsupported(
            function, "design=",
            "use cluster=<the PSU column> for cluster-robust standard errors (strata and fpc are "
            "not applied), or aggregate to PSU level and use the in-memory function with design=.",
        )
    if se == "bootstrap":
        raise unsupported(
            function, "se='bootstrap'",
            "use se='analytic' (exact linearisation from group sufficient statistics) or 'none'.",
        )
    by_cols = as_list(by)
    used = list(dict.fromkeys([*numeric, *categorical, *by_cols,
                               *([weights] if weights else []), *([cluster] if cluster else [])]))
    check_columns(et, function, used)
    t = et.expr
    for c in [*numeric, *([weights] if weights else [])]:
        if not is_numeric(t, c):
            raise DataValueError(
                f"scale.{function}: column {c!r} is not numeric (type {t.schema()[c]}); cast it in "
                f"the engine first, e.g. t.mutate({c}=t.expr.{c}.cast('float64'))."
            )
    source = t
    keep = tuple(complete(t, c) for c in used)
    if keep:
        t = t.filter(*keep)

    w_source = numeric_expr(source, weights) if weights else f64(1.0)
    t = t.mutate(_w=w_source)
    w = t._w
    prep = Prepared(t=t, w=w, weighted=weights is not None, weight_type=weight_type, by=by_cols,
                    function=function, weights=weights, show=used, source=source, keep=keep,
                    w_source=w_source)
    if weights and not defer_checks:
        res = t.aggregate(n=t.count(), **prep.weight_checks()).to_pandas().iloc[0]
        if res["n"] == 0:
            raise DataValueError(f"scale.{function}: no complete rows in {used}.")
        prep.verify(res)
    return prep


def complete(t: Any, col: str, *, check_nan: bool = True) -> Any:
    """The condition "``col`` is not missing" (not NULL and, for floats, not NaN)."""
    ok = t[col].notnull()
    if check_nan and t.schema()[col].is_floating():
        ok = ok & ~t[col].isnan()
    return ok


def sorted_levels(values: pd.Series) -> list[Any]:
    """Levels in the order ``pd.factorize(sort=True)`` gives (the in-memory path's order)."""
    return list(pd.Series(values.dropna().unique()).sort_values(kind="mergesort"))
