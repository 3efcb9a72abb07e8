"""The one weights check of the package (measures, models and the out-of-core ``scale`` paths).

Weights must be finite and >= 0 on the rows used, sum to a positive total, and frequency weights
(``weight_type="fweight"``) must be whole replication counts; analytic weights are normalised to
sum to the number of rows. In-memory code calls :func:`check_weights` on the array; the engine
paths of :mod:`disparity.scale` count the same problems in their aggregates and call
:func:`raise_weight_problems`, so every path says the same thing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._options import WEIGHT_TYPES, check_option
from .errors import DataValueError

__all__ = ["check_weights", "raise_weight_problems", "rows_text"]

_SHOW_ROWS = 5


def rows_text(index: pd.Index, mask: np.ndarray) -> str:
    """Name the offending rows (first few labels and the count) for an error message."""
    bad = np.flatnonzero(mask)
    labels = ", ".join(repr(index[i]) for i in bad[:_SHOW_ROWS])
    more = f" and {bad.size - _SHOW_ROWS} more" if bad.size > _SHOW_ROWS else ""
    return f"{bad.size} row(s) (index {labels}{more})"


def _prefix(where: str | None) -> str:
    return f"{where}: " if where else ""


def raise_weight_problems(
    *,
    weights: str | None,
    weight_type: str,
    where: str | None = None,
    bad_rows: str | None = None,
    nonint_rows: str | None = None,
    total: float = 1.0,
) -> None:
    """Raise the :class:`DataValueError` for the first weight problem found.

    ``bad_rows`` / ``nonint_rows`` describe the rows with missing, negative or infinite weights /
    non-integer frequency weights (``None``: there are none); ``total`` is the sum of the weights.
    """
    p = _prefix(where)
    if bad_rows is not None:
        msg = (
            f"weights {weights!r} are missing, negative or infinite in {bad_rows}; weights must be "
            "finite and >= 0: fix or drop those rows."
        )
        raise DataValueError(p + msg if p else msg[0].upper() + msg[1:])
    if weight_type == "fweight" and nonint_rows is not None:
        msg = (
            f"frequency weights {weights!r} must be whole numbers; non-integers in {nonint_rows}. "
            "Use weight_type='pweight' (or 'aweight') for non-integer weights."
        )
        raise DataValueError(p + msg if p else msg[0].upper() + msg[1:])
    if not total > 0:
        msg = f"the weights {weights!r} sum to zero; no observation carries weight."
        raise DataValueError(p + msg if p else msg[0].upper() + msg[1:])


def check_weights(
    w: np.ndarray,
    index: pd.Index,
    weights: str | None,
    weight_type: str,
    where: str | None = None,
) -> np.ndarray:
    """The weights to use on the rows ``index``, after the one check (see the module docstring).

    Returns ``w`` (a float array), aweights normalised to sum to the number of rows.
    """
    check_option("weight_type", weight_type, WEIGHT_TYPES)
    w = np.asarray(w, dtype=float)
    bad = ~np.isfinite(w) | (w < 0)
    nonint = (w != np.round(w)) if weight_type == "fweight" else None
    raise_weight_problems(
        weights=weights,
        weight_type=weight_type,
        where=where,
        bad_rows=rows_text(index, bad) if bad.any() else None,
        nonint_rows=rows_text(index, nonint) if nonint is not None and nonint.any() else None,
        total=float(w.sum()) if not bad.any() else 1.0,
    )
    if weight_type == "aweight":
        w = w * (w.shape[0] / w.sum())
    return w
