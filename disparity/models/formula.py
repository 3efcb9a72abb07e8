"""Formulas: a safety check for formulas that come from analysis files, and design matrices.

Python callers may pass any formula formulaic understands. Formulas read from analysis files (text a
colleague sent, a YAML spec) must go through :func:`check_safe` first, which admits only column
names, numbers, arithmetic/formula operators and an allowlist of transforms, so a formula can never
run code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix
from formulaic.transforms import scale as _scale

from ..errors import DataValueError, SpecificationError

__all__ = ["check_safe", "SAFE_FUNCTIONS", "Design", "build_design", "categorical_outcome"]

#: Transforms a formula from an analysis file may call.
SAFE_FUNCTIONS: frozenset[str] = frozenset(
    {
        "log",
        "log1p",
        "exp",
        "sqrt",
        "abs",
        "C",
        "I",
        "standardize",
        "standardise",
        "center",
        "scale",
        "lag",
    }
)

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<name>[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff]*)
      | (?P<quoted>`[^`]+`)
      | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<op>\*\*|[-+*/:^(),~\[\]])
    )""",
    re.VERBOSE,
)


_LAG = re.compile(r"\blag\(")
LAG_CALL = re.compile(r"\blag\(\s*`?([^`(),]+?)`?\s*(?:,\s*(\d+)\s*)?\)")


def _transform_context() -> dict[str, Any]:
    return {
        "log": np.log,
        "log1p": np.log1p,
        "exp": np.exp,
        "sqrt": np.sqrt,
        "abs": np.abs,
        "standardize": _scale,
        "standardise": _scale,
    }


def check_safe(formula: str, columns: Iterable[str]) -> str:
    """Return ``formula`` unchanged if it is safe to evaluate; raise otherwise.

    Safe means: every token is a column of the data (optionally in backticks), a number, one of
    ``+ - * / : ** ^ ( ) , ~ [ ]``, or a call of a function in :data:`SAFE_FUNCTIONS`. Strings,
    attribute access, braces (formulaic's Python blocks) and any other name are rejected.

    Parameters
    ----------
    formula : str
        The formula, e.g. ``"y ~ x + log(income) + C(region)"``.
    columns : iterable of str
        Column names of the data the formula will be evaluated on.

    Raises
    ------
    SpecificationError
        Naming the offending token and what is allowed.
    """
    if not isinstance(formula, str):
        raise SpecificationError(f"A formula must be a string, got {type(formula).__name__}.")
    cols = set(columns)
    pos = 0
    tokens: list[tuple[str, str]] = []
    text = formula.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            bad = text[pos:].lstrip()[:20]
            raise SpecificationError(
                f"Formula {formula!r} is not allowed from an analysis file: unexpected text {bad!r}. "
                "Only column names, numbers, + - * / : ** ^ ( ) ~ and the transforms "
                f"{', '.join(sorted(SAFE_FUNCTIONS))} may be used."
            )
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    for i, (kind, tok) in enumerate(tokens):
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if tok in ("**", "^"):
            _check_power(formula, tokens, i)
        if kind == "name":
            if nxt == "(":
                if tok not in SAFE_FUNCTIONS:
                    raise SpecificationError(
                        f"Formula {formula!r} calls {tok}(), which is not allowed from an analysis "
                        f"file; allowed transforms: {', '.join(sorted(SAFE_FUNCTIONS))}."
                    )
            elif tok not in cols:
                raise SpecificationError(
                    f"Formula {formula!r} uses {tok!r}, which is not a column of the data. "
                    "Check the spelling or add the column."
                )
        elif kind == "quoted" and tok[1:-1] not in cols:
            raise SpecificationError(
                f"Formula {formula!r} uses {tok}, which is not a column of the data."
            )
    return formula


#: Largest literal exponent a safe formula may use (guards against huge integer powers).
MAX_EXPONENT = 10


def _check_power(formula: str, tokens: list[tuple[str, str]], i: int) -> None:
    """A power's exponent must be a column or a small literal, not another power or a group."""
    j = i + 1
    if j < len(tokens) and tokens[j][1] == "-":
        j += 1
    ok = j < len(tokens) and (
        tokens[j][0] == "name"
        or (tokens[j][0] == "number" and abs(float(tokens[j][1])) <= MAX_EXPONENT)
    )
    chained = j + 1 < len(tokens) and tokens[j + 1][1] in ("**", "^")
    if not ok or chained:
        raise SpecificationError(
            f"Formula {formula!r}: exponents must be a column or a number up to {MAX_EXPONENT} "
            "(e.g. I(x ** 2)), not an expression or a chain of powers."
        )


@dataclass(frozen=True)
class Design:
    """Outcome, design matrix and bookkeeping for one estimation sample."""

    y: pd.Series
    X: pd.DataFrame
    model_spec: Any  # formulaic ModelSpec of the right-hand side (for new data)
    intercept: int | None  # position of the constant column
    index: pd.Index  # rows of ``data`` used
    n_dropped: int  # rows dropped for missing values


def required_columns(formula: str) -> set[str]:
    """Data columns a formula refers to."""
    try:
        names = set(Formula(formula).required_variables)
    except Exception as exc:  # formulaic raises several types for bad syntax
        raise SpecificationError(f"Could not parse formula {formula!r}: {exc}") from None
    # formulaic reports the transforms we supply in the evaluation context (sqrt, abs, ...) as
    # variables; they are functions, not columns
    return names - set(_transform_context())


def categorical_outcome(formula: str, data: pd.DataFrame, *, binary: bool) -> pd.DataFrame:
    """Replace a categorical outcome column by its category codes (missing stays missing).

    Survey loaders turn value-labelled variables into ordered Categoricals (categories in code
    order). For a binary model the outcome must have exactly two categories, and the second one is
    coded 1 (e.g. 不支持 = 0, 支持 = 1); for an ordered model the category order is the outcome order.
    Data whose outcome is not a Categorical are returned unchanged.
    """
    if not isinstance(data, pd.DataFrame) or "~" not in formula:
        return data
    lhs = formula.split("~", 1)[0].strip().strip("`")
    if lhs not in data.columns or not isinstance(data[lhs].dtype, pd.CategoricalDtype):
        return data
    cats = list(data[lhs].cat.categories)
    if binary and len(cats) != 2:
        raise SpecificationError(
            f"The outcome {lhs!r} is categorical with {len(cats)} categories {cats[:6]}; a binary model "
            "needs exactly two. Make a 0/1 indicator, or use dp.ordered for ordered categories."
        )
    codes = data[lhs].cat.codes.astype(float)
    return data.assign(**{lhs: codes.where(codes >= 0)})


def _take_columns(rhs: pd.DataFrame) -> np.ndarray:
    """The model matrix as one float64 (Fortran) array, each column freed from it once copied.

    The model matrix holds one array per column; copying them all before letting it go would hold
    the design twice at the peak.
    """
    out = np.empty(rhs.shape, order="F")
    for j, c in enumerate(list(rhs.columns)):
        out[:, j] = rhs[c].to_numpy(dtype=float)
        del rhs[c]
    return out


def build_design(
    formula: str,
    data: pd.DataFrame,
    *,
    extra: Iterable[str] = (),
    safe: bool = False,
) -> Design:
    """Build the design of ``formula`` on the complete cases of ``data``.

    Rows with a missing value in any variable of the formula are dropped (and counted); columns in
    ``extra`` (weights, clusters) must already be complete, which the caller checks.
    """
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    if "~" not in formula:
        raise SpecificationError(
            f"Formula {formula!r} has no '~'; write it as 'outcome ~ regressors'."
        )
    if safe:
        check_safe(formula, data.columns)
    if _LAG.search(formula):
        raise SpecificationError(
            f"Formula {formula!r} uses lag(): lags need the panel structure (a row's previous period "
            "within its entity); use dp.panel(..., entity=, time=)."
        )
    needed = required_columns(formula)
    missing = sorted(needed - set(data.columns))
    if missing:
        raise SpecificationError(
            f"Formula {formula!r} refers to {', '.join(map(repr, missing))}, not columns of the data; "
            f"available columns include {', '.join(map(repr, list(data.columns)[:10]))}."
        )
    used = [c for c in data.columns if c in needed]
    complete = data[used].notna().all(axis=1)
    cols = used + [c for c in extra if c not in used]
    # all rows complete: a (copy-on-write) column selection, not a copy of the columns
    sub = data[cols] if bool(complete.all()) else data.loc[complete, cols]
    n_dropped = int((~complete).sum())
    try:
        # Invalid values (log of 0 or negatives) are reported below with the rows involved.
        with np.errstate(all="ignore"):
            mm = model_matrix(formula, sub, context=_transform_context(), na_action="ignore")
    except SpecificationError:
        raise
    except Exception as exc:
        raise SpecificationError(f"Could not build the design of {formula!r}: {exc}") from None
    y_df = mm.lhs
    if y_df.shape[1] != 1:
        raise SpecificationError(
            f"Formula {formula!r} must have exactly one outcome column (got {list(y_df.columns)})."
        )
    columns = list(mm.rhs.columns)
    X = pd.DataFrame(_take_columns(mm.rhs), index=sub.index, columns=columns, copy=False)
    y = pd.Series(np.asarray(y_df, dtype=float).ravel(), index=sub.index, name=str(y_df.columns[0]))
    if not np.all(np.isfinite(X.to_numpy())) or not np.all(np.isfinite(y.to_numpy())):
        bad = sub.index[~(np.isfinite(X.to_numpy()).all(1) & np.isfinite(y.to_numpy()))][:5]
        raise DataValueError(
            f"The design of {formula!r} has infinite or undefined values (e.g. log of zero or of a "
            f"negative number) in rows "
            f"{list(bad)}; drop or recode those rows."
        )
    intercept = X.columns.get_loc("Intercept") if "Intercept" in X.columns else None
    return Design(y, X, mm.rhs.model_spec, intercept, sub.index, n_dropped)
