"""Shared checks for indicator matrices: columns, directions, min-max normalisation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import DataValueError, SpecificationError

Direction = Literal["+", "-"]
DirectionSpec = Mapping[str, Any] | Sequence[Any] | None

_POS = {"+", "positive", "benefit", "higher", 1}
_NEG = {"-", "negative", "cost", "lower", -1, -1.0}


def indicator_list(df: pd.DataFrame, indicators: Sequence[str] | str | None, *,
                   min_rows: int = 2) -> list[str]:
    if not isinstance(df, pd.DataFrame):
        raise SpecificationError(f"Expected a pandas DataFrame, got {type(df).__name__}.")
    if indicators is None:
        raise SpecificationError("Name the indicator columns, e.g. indicators=['x1', 'x2'].")
    cols = [indicators] if isinstance(indicators, str) else list(indicators)
    if not cols:
        raise SpecificationError("indicators is empty; name at least one indicator column.")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SpecificationError(
            f"Indicator column(s) {missing} are not in the data; columns are {list(df.columns)}."
        )
    if len(set(cols)) != len(cols):
        raise SpecificationError(f"indicators lists a column twice: {cols}.")
    if len(df) < min_rows:
        raise DataValueError(f"Need at least {min_rows} rows (units to compare), got {len(df)}.")
    return cols


def indicator_matrix(df: pd.DataFrame, cols: list[str]) -> np.ndarray:
    sub = df[cols]
    if all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in sub.dtypes):
        fast = sub.to_numpy(dtype=float, na_value=np.nan)
        if np.isfinite(fast).all():
            return fast
    out = np.empty((len(df), len(cols)))
    for j, c in enumerate(cols):
        x = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(x)
        if bad.any():
            rows = list(df.index[bad][:5])
            raise DataValueError(
                f"Indicator {c!r} has missing or non-numeric values in rows {rows}"
                f"{' and more' if bad.sum() > 5 else ''}; impute or drop those rows first."
            )
        out[:, j] = x
    return out


def directions(cols: list[str], direction: DirectionSpec) -> np.ndarray:
    """+1 for indicators where more is better, -1 where less is better."""
    if direction is None:
        return np.ones(len(cols))
    if isinstance(direction, str):
        items = dict.fromkeys(cols, direction)
    elif isinstance(direction, Mapping):
        unknown = [k for k in direction if k not in cols]
        if unknown:
            raise SpecificationError(f"direction names {unknown}, which are not among the indicators {cols}.")
        items = {c: direction.get(c, "+") for c in cols}
    else:
        seq = list(direction)
        if len(seq) != len(cols):
            raise SpecificationError(
                f"direction has {len(seq)} entries for {len(cols)} indicators; give one per indicator "
                "or a mapping {indicator: '+'/'-'}."
            )
        items = dict(zip(cols, seq, strict=True))
    out = np.empty(len(cols))
    for j, c in enumerate(cols):
        v = items[c]
        v = v.strip().lower() if isinstance(v, str) else v
        if v in _POS:
            out[j] = 1.0
        elif v in _NEG:
            out[j] = -1.0
        else:
            raise SpecificationError(
                f"direction for {c!r} is {items[c]!r}; use '+' (more is better) or '-' (less is better)."
            )
    return out


def minmax(X: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Range-normalise columns to [0, 1], reversing 'less is better' columns; constant columns -> 1."""
    lo = X.min(axis=0)
    hi = X.max(axis=0)
    rng = hi - lo
    safe = np.where(rng > 0, rng, 1.0)
    Z = np.where(dirs > 0, (X - lo) / safe, (hi - X) / safe)
    return np.where(rng > 0, Z, 1.0)


def weight_vector(cols: list[str], weights: Any) -> np.ndarray:
    """Normalised weights (sum 1) aligned with ``cols`` from a mapping, Series or sequence."""
    if isinstance(weights, Mapping | pd.Series):
        w_map = dict(weights.items())
        missing = [c for c in cols if c not in w_map]
        extra = [k for k in w_map if k not in cols]
        if missing or extra:
            raise SpecificationError(
                f"weights must name exactly the indicators {cols}; missing {missing}, unexpected {extra}."
            )
        w = np.array([float(w_map[c]) for c in cols])
    else:
        w = np.asarray(list(weights), dtype=float)
        if w.shape != (len(cols),):
            raise SpecificationError(f"weights has {w.size} entries for {len(cols)} indicators.")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise SpecificationError(f"weights must be finite, non-negative and not all zero, got {list(w)}.")
    return w / w.sum()
