"""Checks applied to everything a report spec passes to disparity (specs are untrusted input).

A spec is data from someone else (a co-author, a replication package, a course), so before any
call: formulas are parsed by the safe grammar (:func:`disparity.models.formula.safe_formula`) and
replaced by the quoted text it returns; every argument that names a column is checked against the
data's columns; keyword arguments must be parameters of the function called; methods may be
called only on disparity's own result objects and only from :data:`METHODS`. See SECURITY.md.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from ..errors import SpecificationError

__all__ = ["COLUMN_ARGS", "METHODS", "check_columns", "check_kwargs", "check_method", "safe_formula_arg",
           "check_types", "STR", "STRS", "INT", "NUM", "BOOL", "TABLE", "TABLE_LIST", "STR_OR_STRS"]

# Kinds of values a spec key may hold (checked by check_types before anything uses them).
STR, STRS, INT, NUM, BOOL, TABLE, TABLE_LIST, STR_OR_STRS = ("str", "list of str", "int", "number", "bool", "table",
                                                         "list of tables", "str or list of str")


def _is(kind: str, v: Any) -> bool:
    if kind == STR:
        return isinstance(v, str)
    if kind == STRS:
        return isinstance(v, list) and all(isinstance(x, str) for x in v)
    if kind == STR_OR_STRS:
        return _is(STR, v) or _is(STRS, v)
    if kind == INT:
        return isinstance(v, int) and not isinstance(v, bool)
    if kind == NUM:
        return isinstance(v, int | float) and not isinstance(v, bool)
    if kind == BOOL:
        return isinstance(v, bool)
    if kind == TABLE:
        return isinstance(v, Mapping)
    if kind == TABLE_LIST:
        return isinstance(v, list) and all(isinstance(x, Mapping) for x in v)
    return True  # "any": checked by the function that receives it


def check_types(where: str, got: Any, schema: Mapping[str, str]) -> None:
    """Each key of ``got`` present in ``schema`` must hold a value of the kind named there."""
    if not isinstance(got, Mapping):
        raise SpecificationError(f"Spec {where} must be a table of keys, got {type(got).__name__}.")
    for key, kind in schema.items():
        if key in got and not _is(kind, got[key]):
            raise SpecificationError(
                f"Spec {where}: {key} = {got[key]!r} must be a {kind}.")

#: Argument names whose value is a column name (or a list of column names) of the data.
COLUMN_ARGS: frozenset[str] = frozenset({
    "y", "x", "group", "rank", "by", "weights", "cluster", "treatment", "mediator", "entity", "time", "outcome",
    "unit", "cohort", "treat", "post", "threshold_var", "regime", "covariates", "indicators", "need", "nonneed",
    "benefit", "oop", "denominator", "consumption", "payment", "income", "items", "region", "value", "columns",
    "label", "estimate", "conf_low", "conf_high", "strata", "psu", "fpc", "column", "variable",
})

#: Methods a ``method =`` step may call: pure accessors of disparity results (no writing, no
#: pandas methods, nothing that looks up another method by a string).
METHODS: frozenset[str] = frozenset({
    "marginal_effects", "aggregate", "att_gt", "detail", "with_vcov", "conf_int", "tidy", "radar",
    "pretrend_test", "glance",
})

# Arguments that are column names for some calls but mean something else for others.
_NOT_COLUMNS: Mapping[str, frozenset[str]] = {
    "weights": frozenset({"topsis", "obstacle_degree", "integration_index", "coupling_coordination"}),
    "columns": frozenset({"compare_schedules", "frame"}),
}


def _names(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def check_columns(where: str, call: str, args: Mapping[str, Any], columns: Iterable[Any]) -> None:
    """Every column-naming argument must name a column of ``columns`` (exactly, as a string)."""
    cols = {str(c) for c in columns}
    for key, value in args.items():
        if key not in COLUMN_ARGS or call in _NOT_COLUMNS.get(key, frozenset()):
            continue
        names = _names(value)
        if names is None:
            continue
        bad = [n for n in names if n not in cols]
        if bad:
            shown = sorted(cols)[:12]
            raise SpecificationError(
                f"Spec {where}: {key}={value!r} must name column(s) of the data; {bad} not found "
                f"(columns include {shown})."
            )


def check_kwargs(where: str, fn: Callable[..., Any], args: Mapping[str, Any], *, skip: int = 0) -> None:
    """The spec's ``args`` must be keyword parameters of ``fn`` (after the first ``skip``)."""
    try:
        params = list(inspect.signature(fn).parameters.values())[skip:]
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return
    allowed = {p.name for p in params if p.kind in (inspect.Parameter.KEYWORD_ONLY,
                                                     inspect.Parameter.POSITIONAL_OR_KEYWORD)}
    extra = sorted(set(args) - allowed)
    if extra:
        raise SpecificationError(
            f"Spec {where}: argument(s) {extra} are not accepted by {getattr(fn, '__name__', 'this call')}(); "
            f"allowed: {sorted(allowed)}."
        )


def check_method(where: str, obj: Any, name: str) -> Callable[..., Any]:
    """The bound method ``name`` of a disparity result, if ``name`` is an allowed accessor."""
    if name not in METHODS:
        raise SpecificationError(f"Spec {where}: method={name!r} is not allowed; use one of {sorted(METHODS)}.")
    module = type(obj).__module__ or ""
    if not module.startswith("disparity.") or isinstance(obj, pd.DataFrame | pd.Series):
        raise SpecificationError(
            f"Spec {where}: method={name!r} needs a disparity result, and {type(obj).__name__} is not one "
            "(methods of data frames are not available to specs)."
        )
    attr = inspect.getattr_static(type(obj), name, None)
    func = getattr(attr, "__func__", attr)
    if not callable(func) or not (getattr(func, "__module__", "") or "").startswith("disparity."):
        raise SpecificationError(f"Spec {where}: a {type(obj).__name__} result has no method {name!r}.")
    return getattr(obj, name)


def safe_formula_arg(where: str, formula: Any, columns: Iterable[Any], *, iv: bool = False) -> str:
    """The quoted text of a spec's formula (parsed by the safe grammar, never evaluated)."""
    from ..models.formula import safe_formula

    if not isinstance(formula, str):
        raise SpecificationError(f"Spec {where}: formula must be a string, got {type(formula).__name__}.")
    return safe_formula(formula, [str(c) for c in columns], iv=iv)
