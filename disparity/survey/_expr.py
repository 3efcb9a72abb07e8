"""Subpopulation expressions: parsed with :mod:`ast` against an allowlist, never evaluated as code.

Accepted: column names (bare identifiers, or any name in backquotes: ```acs.46```, ```年龄```),
numbers, strings, ``True``/``False``, comparisons (``== != < <= > >=``, ``in``/``not in`` a list of
constants), ``& | ~`` and ``and or not``, ``+ - * /`` and parentheses. Anything else (calls,
attributes, subscripts, powers, lambdas) is a :class:`~disparity.errors.SpecificationError`. Rows
where the expression is missing (a comparison with a missing value) are outside the
subpopulation, as R ``subset()``.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecificationError

MAX_EXPR_CHARS = 2000  # longer subpopulation definitions are surely a mistake (or an attack)
MAX_EXPR_NODES = 400

_BACKQUOTED = re.compile(r"`([^`]*)`")

_CMP: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}
_BIN: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.BitAnd: operator.and_, ast.BitOr: operator.or_,
}


def _fail(expr: str, why: str) -> SpecificationError:
    return SpecificationError(
        f"subpop={expr!r}: {why}. Write a boolean column name or a comparison of columns, e.g. "
        "\"urban == 0\" or \"(age >= 60) & (`acs.46` > 0)\"."
    )


def evaluate_subpop(expr: str, data: pd.DataFrame) -> np.ndarray:
    """Boolean mask (missing -> False) of the rows of ``data`` in the subpopulation ``expr``."""
    if not isinstance(expr, str):
        raise SpecificationError("subpop= must be a column name or an expression (str).")
    if len(expr) > MAX_EXPR_CHARS:
        raise _fail(expr[:60] + "...", f"longer than {MAX_EXPR_CHARS} characters")
    if expr in data.columns:
        return _as_mask(expr, data[expr])
    names: dict[str, str] = {}

    def quote(m: re.Match[str]) -> str:
        key = f"__q{len(names)}__"
        names[key] = m.group(1)
        return key

    text = _BACKQUOTED.sub(quote, expr)
    if "`" in text:
        raise _fail(expr, "an unmatched backquote")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise _fail(expr, "not a valid expression") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_EXPR_NODES:
        raise _fail(expr, f"more than {MAX_EXPR_NODES} terms")
    value = _eval(tree.body, data, names, expr)
    if isinstance(value, pd.Series):
        return _as_mask(expr, value)
    raise _fail(expr, "it does not refer to any column")


def _as_mask(expr: str, s: pd.Series) -> np.ndarray:
    if s.dtype == bool:
        return s.to_numpy()
    if pd.api.types.is_bool_dtype(s.dtype) or s.dtype == object:
        vals = s.to_numpy(dtype=object)
        ok = np.array([v is True or v is False or v is np.True_ or v is np.False_ or pd.isna(v)
                       for v in vals])
        if not ok.all():
            raise _fail(expr, "its values are not True/False")
        return np.array([bool(v) if not pd.isna(v) else False for v in vals], dtype=bool)
    if pd.api.types.is_numeric_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        finite = v[~np.isnan(v)]
        if not np.isin(finite, (0.0, 1.0)).all():
            raise _fail(expr, "it is numeric but not a 0/1 indicator")
        return np.nan_to_num(v, nan=0.0) == 1.0
    raise _fail(expr, f"its values ({s.dtype}) are not True/False")


def _eval(node: ast.AST, data: pd.DataFrame, names: dict[str, str], expr: str) -> Any:
    if isinstance(node, ast.Name):
        col = names.get(node.id, node.id)
        if col in ("True", "False"):
            return col == "True"
        if col not in data.columns:
            raise _fail(expr, f"{col!r} is not a column of the data")
        return data[col]
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool | int | float | str) or node.value is None:
            return node.value
        raise _fail(expr, f"the constant {node.value!r} is not allowed")
    if isinstance(node, ast.List | ast.Tuple):
        return [_eval(e, data, names, expr) for e in node.elts]
    if isinstance(node, ast.Compare):
        left = _eval(node.left, data, names, expr)
        result: Any = None
        part: Any
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _eval(right_node, data, names, expr)
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right, list) or any(isinstance(r, pd.Series) for r in right):
                    raise _fail(expr, "'in' needs a list of constants on its right")
                if not isinstance(left, pd.Series):
                    raise _fail(expr, "'in' needs a column on its left")
                part = left.isin(right) & left.notna()
                if isinstance(op, ast.NotIn):
                    part = ~left.isin(right) & left.notna()
            elif type(op) in _CMP:
                part = _CMP[type(op)](left, right)
                if isinstance(part, pd.Series):
                    na = left.isna() if isinstance(left, pd.Series) else False
                    if isinstance(right, pd.Series):
                        na = na | right.isna()
                    part = part & ~na
            else:
                raise _fail(expr, "an unsupported comparison")
            result = part if result is None else (result & part)
            left = right
        return result
    if isinstance(node, ast.BoolOp):
        vals = [_eval(v, data, names, expr) for v in node.values]
        out = _truth(vals[0], expr)
        for v in vals[1:]:
            out = (out & _truth(v, expr)) if isinstance(node.op, ast.And) else (out | _truth(v, expr))
        return out
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, data, names, expr)
        if isinstance(node.op, ast.Not | ast.Invert):
            return ~_truth(v, expr)
        if isinstance(node.op, ast.USub):
            return -v
        if isinstance(node.op, ast.UAdd):
            return v
        raise _fail(expr, "an unsupported operator")
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        a = _eval(node.left, data, names, expr)
        b = _eval(node.right, data, names, expr)
        if isinstance(node.op, ast.BitAnd | ast.BitOr):
            return _BIN[type(node.op)](_truth(a, expr), _truth(b, expr))
        try:
            with np.errstate(all="ignore"):
                return _BIN[type(node.op)](a, b)
        except TypeError:
            raise _fail(expr, "arithmetic on non-numeric values") from None
    raise _fail(expr, f"{type(node).__name__} is not allowed (only columns, constants, "
                "comparisons, & | ~ and arithmetic)")


def _truth(v: Any, expr: str) -> Any:
    if isinstance(v, pd.Series):
        return pd.Series(_as_mask(expr, v), index=v.index)
    if isinstance(v, bool):
        return v
    raise _fail(expr, f"{v!r} is not a condition")
