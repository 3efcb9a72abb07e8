"""Formulas: the safe grammar for formulas that come from analysis files, and design matrices.

Python callers may pass any formula formulaic understands; before anything is evaluated, its
Python parts are read with :mod:`ast` and checked (:func:`disparity.models._grammar.python_names`),
so a formula that is then rejected has run nothing. Formulas read from analysis files (a YAML or
TOML spec, text a colleague sent) are parsed by a small grammar of our own
(:func:`safe_formula`, ``safe=True`` on every estimator): only validated column names, numbers,
formula operators and an allowlist of transforms reach formulaic, so such a formula can never run
code. Any column name can be written in backquotes (`` `acs.46` ``, `` `年龄` ``) or as ``Q("acs.46")``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from formulaic import model_matrix
from formulaic.transforms import TRANSFORMS as _FORMULAIC_TRANSFORMS
from formulaic.transforms import scale as _scale

from ..errors import DataValueError, SpecificationError
from ._grammar import (
    MAX_POWER,
    SAFE_FUNCTIONS,
    expression_names,
    parse_safe,
    python_names,
    quote_name,
    render,
)

__all__ = ["check_safe", "safe_formula", "quote_name", "SAFE_FUNCTIONS", "Design", "build_design",
           "categorical_outcome"]

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


#: Names a formula's Python parts may call or use besides data columns.
_FUNCTION_NAMES = frozenset(_FORMULAIC_TRANSFORMS) | frozenset(_transform_context()) | {"C", "I", "Q"}


def check_safe(formula: str, columns: Iterable[str], *, iv: bool = False) -> str:
    """Return ``formula`` unchanged if the safe grammar accepts it; raise otherwise.

    The grammar admits column names of the data (plain, in backquotes, or ``Q("name")``),
    numbers inside ``I()`` and transforms, the operators ``+ - * / : ^ ** ( ) ~``, integer powers
    up to 3 and the transforms in :data:`SAFE_FUNCTIONS`. Strings, attribute access, braces
    (formulaic's Python blocks), any other name and any other call are rejected; nothing is
    evaluated. Use :func:`safe_formula` to get the quoted text that is then evaluated.

    Parameters
    ----------
    formula : str
        The formula, e.g. ``"y ~ x + log(income) + C(region)"``.
    columns : iterable of str
        Column names of the data the formula will be evaluated on.
    iv : bool
        Allow one ``[endogenous ~ instruments]`` block (``dp.iv``).

    Raises
    ------
    SpecificationError
        Naming the offending token and what is allowed.

    Examples
    --------
    >>> check_safe("y ~ x + log(income)", ["y", "x", "income"])
    'y ~ x + log(income)'
    """
    parse_safe(formula, columns, allow_iv=iv or "[" in str(formula))
    return formula


def safe_formula(formula: str, columns: Iterable[str], *, iv: bool = False, one_sided: bool = False) -> str:
    """Parse an untrusted formula with the safe grammar and return the text to evaluate.

    Every column is checked against ``columns`` and written as a plain name when it is a plain
    identifier, else in backquotes (or ``Q('...')``); only allowlisted transforms appear. With
    ``one_sided`` the text is a list of terms without ``~`` (e.g. instruments).

    Examples
    --------
    >>> safe_formula("y ~ `acs.46` + I(x**2)", ["y", "acs.46", "x"])
    'y ~ `acs.46` + I(x ** 2)'
    >>> safe_formula("y ~ {open('p', 'w')}", ["y"])
    Traceback (most recent call last):
    ...
    disparity.errors.SpecificationError: Formula "y ~ {open('p', 'w')}" is not allowed from an analysis file: unexpected text "{open('p', 'w')}". Only column names (`any name` in backquotes), numbers, + - * / : ^ ( ) ~ and the transforms C, I, Q, abs, center, exp, lag, log, log1p, scale, sqrt, standardise, standardize may be used.
    """
    return render(parse_safe(formula, columns, allow_iv=iv, one_sided=one_sided))


#: Largest literal exponent a safe formula may use (guards against huge integer powers).
MAX_EXPONENT = MAX_POWER


@dataclass(frozen=True)
class Design:
    """Outcome, design matrix and bookkeeping for one estimation sample."""

    y: pd.Series
    X: pd.DataFrame
    model_spec: Any  # formulaic ModelSpec of the right-hand side (for new data)
    intercept: int | None  # position of the constant column
    index: pd.Index  # rows of ``data`` used
    n_dropped: int  # rows dropped for missing values
    #: with ``build_design(absorb_block=True)``: the outcome and the regressors (no intercept) as
    #: one float64 Fortran-ordered n x (1 + k) array, ``y`` and ``X`` being views of it
    block: np.ndarray | None = None


def required_columns(formula: str, columns: Iterable[str] | None = None) -> set[str]:
    """Data columns a formula refers to, found without evaluating anything.

    Raises :class:`SpecificationError` if the formula's Python parts use anything but columns,
    numbers, operators and transforms (see :mod:`disparity.models._grammar`).
    """
    return python_names(formula, columns, _FUNCTION_NAMES)


def _numeric_role(formula: str, columns: Iterable[str]) -> set[str]:
    """Columns a formula uses as numbers (bare terms and transform arguments, not ``C()``)."""
    from formulaic import Formula
    from formulaic.formula import SimpleFormula

    parsed = Formula(formula)
    parts = [parsed.rhs] if hasattr(parsed, "rhs") else [parsed]
    out: set[str] = set()
    for part in parts:
        simple = [part] if isinstance(part, SimpleFormula) else list(part._flatten())
        for sf in simple:
            for term in sf:
                for factor in term.factors:
                    method = str(getattr(factor.eval_method, "value", factor.eval_method))
                    expr = str(factor.expr)
                    if method == "lookup":
                        out.add(expr)
                    elif method == "python" and not expr.startswith(("C(", "Q(")):
                        out |= expression_names(formula, expr, columns, _FUNCTION_NAMES)
    return out


def _check_text_numbers(formula: str, data: pd.DataFrame, needed: set[str]) -> None:
    """Refuse a regressor whose values are numbers stored as text (it would become dummies)."""
    for col in _numeric_role(formula, data.columns) & needed:
        s = data[col]
        if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_numeric_dtype(s) \
                or pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        vals = s.dropna()
        if vals.empty or not all(isinstance(v, str) for v in vals.iloc[:1000]):
            continue
        parsed = pd.to_numeric(vals.str.strip(), errors="coerce")
        share = float(parsed.notna().mean())
        n = int(vals.nunique())
        if share < 0.9 or n <= 2:
            continue
        bad = vals[parsed.isna()].unique()[:3].tolist()
        extra = (f" ({len(vals) - int(parsed.notna().sum())} values are not numbers, e.g. {bad}: use "
                 "errors='coerce' to make them missing)") if bad else ""
        raise DataValueError(
            f"Column {col!r} in {formula!r} holds numbers stored as text (e.g. {vals.iloc[0]!r}); as a "
            f"regressor it would become {n - 1} dummy variables. Convert it first: "
            f"df[{col!r}] = pd.to_numeric(df[{col!r}]){extra}. If the values are category codes, write "
            f"C({quote_name(col)}) in the formula."
        )


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


def _take_columns(rhs: pd.DataFrame, y: Any = None, skip: str | None = None) -> np.ndarray:
    """The model matrix as one float64 (Fortran) array, each column freed from it once copied.

    The model matrix holds one array per column; copying them all before letting it go would hold
    the design twice at the peak. With ``y``, the outcome is column 0 and the column ``skip`` (the
    intercept) is left out.
    """
    names = [c for c in rhs.columns if c != skip]
    first = 0 if y is None else 1
    out = np.empty((rhs.shape[0], first + len(names)), order="F")
    if y is not None:
        out[:, 0] = np.asarray(y, dtype=float).ravel()
    for j, c in enumerate(names):
        out[:, first + j] = rhs[c].to_numpy(dtype=float)
        del rhs[c]
    return out


#: Rows formulaic evaluates to read the structure of a formula on large data (see _plain_columns).
_HEAD_ROWS = 64


def _plain_columns(head: Any, sub: pd.DataFrame) -> tuple[str, list[str | None]] | None:
    """Outcome and design columns if ``head`` (the formula on a few rows) uses plain numbers only.

    Every term of such a formula is the intercept or one numeric column as it is (no transform,
    no categorical, no interaction), so the design is those columns side by side and is built
    without formulaic materialising them first (which held the design twice: issue 22).
    """
    def numeric(c: str) -> bool:
        if c not in sub.columns or isinstance(sub[c], pd.DataFrame):
            return False
        dt = sub[c].dtype
        return isinstance(dt, np.dtype) and dt.kind in "fiu"

    lhs = head.lhs.model_spec.terms
    if len(lhs) != 1 or len(lhs[0].factors) != 1:
        return None
    fy = lhs[0].factors[0]
    if str(getattr(fy.eval_method, "value", fy.eval_method)) != "lookup" or not numeric(str(fy.expr)):
        return None
    cols: list[str | None] = []
    for term in head.rhs.model_spec.terms:
        if len(term.factors) != 1:
            return None
        f = term.factors[0]
        method = str(getattr(f.eval_method, "value", f.eval_method))
        if method == "literal" and str(f.expr) == "1":
            cols.append(None)
        elif method == "lookup" and numeric(str(f.expr)):
            cols.append(str(f.expr))
        else:
            return None
    names = ["Intercept" if c is None else c for c in cols]
    if list(head.rhs.columns) != names:
        return None
    return str(fy.expr), cols


def _plain_design(sub: pd.DataFrame, cols: list[str | None]) -> np.ndarray:
    """The design of plain columns (``None``: the intercept) as one float64 (Fortran) array."""
    out = np.empty((len(sub), len(cols)), order="F")
    for j, c in enumerate(cols):
        out[:, j] = 1.0 if c is None else sub[c].to_numpy()
    return out


def _complete_rows(data: pd.DataFrame, used: list) -> np.ndarray | None:
    """Flags of the rows with no missing value in ``used``, or None when every row is complete.

    Plain integer and boolean columns cannot hold a missing value and float columns are read by
    row blocks, so complete data costs no n-vector of flags (each one a heap block that would
    stay in the process's memory).
    """
    if not data.columns.is_unique:
        flags = data[used].notna().all(axis=1).to_numpy()
        return None if flags.all() else flags
    maybe = []
    for c in used:
        dt = data[c].dtype
        if isinstance(dt, np.dtype) and dt.kind in "iub":
            continue
        if isinstance(dt, np.dtype) and dt.kind == "f":
            a = data[c].to_numpy()
            if not any(np.isnan(a[s:s + (1 << 16)]).any() for s in range(0, a.size, 1 << 16)):
                continue
        maybe.append(c)
    if not maybe:
        return None
    complete = np.ones(len(data), dtype=bool)
    for c in maybe:  # one column's flags at a time
        complete &= data[c].notna().to_numpy()
    return None if complete.all() else complete


def _finite(a: np.ndarray, block: int = 1 << 16) -> bool:
    """All values finite, by row blocks (no n-vector of flags)."""
    return all(np.isfinite(a[s:s + block]).all() for s in range(0, a.shape[0], block))


def build_design(
    formula: str,
    data: pd.DataFrame,
    *,
    extra: Iterable[str] = (),
    safe: bool = False,
    absorb_block: bool = False,
) -> Design:
    """Build the design of ``formula`` on the complete cases of ``data``.

    Rows with a missing value in any variable of the formula are dropped (and counted); columns in
    ``extra`` (weights, clusters) must already be complete, which the caller checks. With
    ``absorb_block=True`` (fixed effects absorbed: no intercept) the intercept is left out and the
    outcome and regressors are one array, ``Design.block`` (outcome first), to be demeaned in
    place: the only copy of the design's columns.
    """
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    if "~" not in formula:
        raise SpecificationError(
            f"Formula {formula!r} has no '~'; write it as 'outcome ~ regressors'."
        )
    if safe:
        formula = safe_formula(formula, data.columns)
    if not formula.split("~", 1)[0].strip():
        raise SpecificationError(f"Formula {formula!r} has no outcome; write it as 'outcome ~ regressors'.")
    if _LAG.search(formula):
        raise SpecificationError(
            f"Formula {formula!r} uses lag(): lags need the panel structure (a row's previous period "
            "within its entity); use dp.panel(..., entity=, time=)."
        )
    # validation reads the formula; nothing is evaluated before it passes
    needed = required_columns(formula, data.columns)
    missing = sorted(needed - set(map(str, data.columns)))
    if missing:
        raise SpecificationError(
            f"Formula {formula!r} refers to {', '.join(map(repr, missing))}, not columns of the data; "
            f"available columns include {', '.join(map(repr, list(data.columns)[:10]))}. Write a name "
            "with dots or spaces in backquotes (`acs.46`)."
        )
    _check_text_numbers(formula, data, needed)
    used = [c for c in data.columns if c in needed]
    complete = _complete_rows(data, used)
    # each once: a repeated name (a cluster also absorbed) would make pandas copy the columns
    cols = list(dict.fromkeys([*used, *extra]))
    # all rows complete: a (copy-on-write) column selection, not a copy of the columns
    sub = data[cols] if complete is None else data.loc[complete, cols]
    n_dropped = 0 if complete is None else len(complete) - int(np.count_nonzero(complete))
    del complete
    try:
        # Invalid values (log of 0 or negatives) are reported below with the rows involved.
        with np.errstate(all="ignore"):
            head = model_matrix(formula, sub.iloc[:_HEAD_ROWS], context=_transform_context(),
                                na_action="ignore") if len(sub) > _HEAD_ROWS else None
            plain = _plain_columns(head, sub) if head is not None else None
            mm = head if plain is not None else model_matrix(
                formula, sub, context=_transform_context(), na_action="ignore")
    except SpecificationError:
        raise
    except Exception as exc:
        raise SpecificationError(f"Could not build the design of {formula!r}: {exc}") from None
    assert mm is not None  # plain columns are found only on a head that was built
    y_df = mm.lhs
    if y_df.shape[1] != 1:
        raise SpecificationError(
            f"Formula {formula!r} must have exactly one outcome column (got {list(y_df.columns)})."
        )
    columns = list(mm.rhs.columns)
    block = None
    if absorb_block:
        columns = [c for c in columns if c != "Intercept"]
        if plain is not None:
            block = _plain_design(sub, [plain[0], *[c for c in plain[1] if c is not None]])
        else:
            block = _take_columns(mm.rhs, y_df, skip="Intercept")
        yname = plain[0] if plain is not None else str(y_df.columns[0])
        if not _finite(block):
            bad = sub.index[~np.isfinite(block).all(1)][:5]
            raise DataValueError(
                f"The design of {formula!r} has infinite or undefined values (e.g. log of zero or "
                f"of a negative number) in rows {list(bad)}; drop or recode those rows."
            )
        return Design(pd.Series(block[:, 0], index=sub.index, name=yname, copy=False),
                      pd.DataFrame(block[:, 1:], index=sub.index, columns=columns, copy=False),
                      mm.rhs.model_spec, None, sub.index, n_dropped, block)
    if plain is not None:
        X = pd.DataFrame(_plain_design(sub, plain[1]), index=sub.index, columns=columns, copy=False)
        y = pd.Series(sub[plain[0]].to_numpy(dtype=float), index=sub.index, name=plain[0], copy=False)
    else:
        X = pd.DataFrame(_take_columns(mm.rhs), index=sub.index, columns=columns, copy=False)
        y = pd.Series(np.asarray(y_df, dtype=float).ravel(), index=sub.index, name=str(y_df.columns[0]))
    Xa = X.to_numpy()
    # column by column: an n-vector of flags at a time, not n x k of them
    if not all(np.isfinite(Xa[:, j]).all() for j in range(Xa.shape[1])) \
            or not np.all(np.isfinite(y.to_numpy())):
        bad = sub.index[~(np.isfinite(X.to_numpy()).all(1) & np.isfinite(y.to_numpy()))][:5]
        raise DataValueError(
            f"The design of {formula!r} has infinite or undefined values (e.g. log of zero or of a "
            f"negative number) in rows "
            f"{list(bad)}; drop or recode those rows."
        )
    intercept = cast(int, X.columns.get_loc("Intercept")) if "Intercept" in X.columns else None
    return Design(y, X, mm.rhs.model_spec, intercept, sub.index, n_dropped)
