"""Checks a long panel and turns it into unit-level wide arrays (one row per unit)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import DataValueError, DisparityWarning, SpecificationError

__all__ = ["WidePanel", "wide_panel", "cohort_values", "DidWarning"]


class DidWarning(DisparityWarning):
    """A difference-in-differences design has a feature the user should know about."""


@dataclass(frozen=True)
class WidePanel:
    """A balanced panel as arrays: units in rows, periods in columns."""

    units: np.ndarray  # (n,) unit labels
    times: np.ndarray  # (T,) sorted periods
    Y: np.ndarray  # (n, T)
    G: np.ndarray  # (n,) first-treated period; np.inf = never treated within the window
    w: np.ndarray  # (n,) unit weights normalised to mean 1
    X: np.ndarray | None  # (n, T, k) covariates, or None
    covariates: tuple[str, ...]
    cluster: np.ndarray | None  # (n,) integer cluster codes
    notes: tuple[str, ...]


def _never(g: pd.Series) -> pd.Series:
    """Never-treated is written as missing, 0 or +inf in a cohort column."""
    return g.isna() | (g == 0) | np.isinf(g)


def cohort_values(data: pd.DataFrame, cohort: str) -> pd.Series:
    """The cohort column as floats with ``inf`` for never-treated; checks the type."""
    return pd.Series(_cohort_array(data, cohort), index=data.index, name=cohort)


def _cohort_array(data: pd.DataFrame, cohort: str) -> np.ndarray:
    """:func:`cohort_values` as an array."""
    col = data[cohort]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        v = col.to_numpy(dtype=float, na_value=np.nan)
        return np.where((v == 0) | ~np.isfinite(v), np.inf, v)
    g = pd.to_numeric(col, errors="coerce")
    bad = col.notna() & g.isna()
    if bad.any():
        rows = data.index[bad][:5].tolist()
        raise DataValueError(
            f"Cohort column {cohort!r} must hold the first treated period (a number; 0 or missing for "
            f"never treated); rows {rows} are not numeric. Build it with dp.cohorts()."
        )
    g = g.astype(float)
    return g.where(~_never(g), np.inf).to_numpy()


def _floats(col: pd.Series) -> np.ndarray:
    """A column as float64 values, non-numeric entries NaN (no copy of a float64 column)."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)


def _sorted_balanced(u: pd.Series, t: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """Units and periods when the rows are sorted by a numeric unit id and then by period, with
    every unit observed once in every period (the usual layout): the wide arrays are then
    reshapes of the columns. None otherwise (the general path factorizes and scatters)."""
    uv = u.to_numpy()
    N = len(uv)
    if N == 0 or uv.dtype.kind not in "iuf":
        return None
    T = int(np.argmax(uv != uv[0])) or N  # rows of the first unit
    if N % T or T < 2:
        return None
    U = uv.reshape(-1, T)
    tt = t.to_numpy().reshape(-1, T)
    times = tt[0]
    units = U[:, 0]
    if not ((U == units[:, None]).all() and (np.diff(units) > 0).all() and (np.diff(times) > 0).all()
            and (tt == times).all()):
        return None
    return units.copy(), times.copy()


def _unit_cohorts(col: pd.Series, n: int, T: int) -> np.ndarray | None:
    """Sorted balanced rows: each unit's cohort (``inf`` never treated) when the column is numeric
    and constant within every unit, from the n unit values only; None otherwise."""
    if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return None
    R = col.to_numpy(dtype=float, na_value=np.nan).reshape(n, T)
    last = R[:, -1]
    if not (R == last[:, None]).all():  # also when a unit's cohort is NaN: the general path
        return None
    return np.where((last == 0) | ~np.isfinite(last), np.inf, last)


def _finite_rows(A: np.ndarray) -> np.ndarray:
    """Rows of a 2-D array holding only finite values, from one pass: a NaN or infinity makes its
    row's sum non-finite; rows whose sum overflowed are checked value by value."""
    ok = np.isfinite(np.einsum("ij,j->i", A, np.ones(A.shape[1])))
    if not ok.all():
        bad = np.flatnonzero(~ok)
        ok[bad] = np.isfinite(A[bad]).all(axis=1)
    return ok


def _to_wide(v: np.ndarray, ucode: np.ndarray | None, tcode: np.ndarray | None, n: int, T: int) -> np.ndarray:
    """A long column as a units x periods array (missing cells NaN); a reshape when the rows are
    sorted and balanced (``tcode`` None)."""
    if tcode is None:
        return v.reshape(n, T)
    assert ucode is not None  # codes come with tcode
    out = np.full((n, T), np.nan)
    out[ucode, tcode] = v
    return out


def _check_columns(data: pd.DataFrame, cols: Sequence[str]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError("data must be a pandas DataFrame in long format (one row per unit and period).")
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise SpecificationError(f"Columns {missing} are not in the data; available: {list(data.columns)[:20]}.")


def _check_numeric(data: pd.DataFrame, cols: Sequence[str]) -> None:
    """Columns that must be numeric: text values raise an error naming the column and values."""
    for c in cols:
        col = data[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            continue
        bad = col[pd.to_numeric(col, errors="coerce").isna() & col.notna()]
        if len(bad):
            raise DataValueError(
                f"Column {c!r} must be numeric but has values such as {bad.unique()[:3].tolist()}; "
                "convert it (pd.to_numeric) or recode it before estimating."
            )


def wide_panel(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    covariates: Sequence[str] | None = None,
    weights: str | None = None,
    cluster: str | None = None,
) -> WidePanel:
    """Validate a long panel and pivot it to unit x period arrays.

    Units with a missing outcome in some period are dropped (a :class:`DidWarning` names how many);
    units treated in the first period (always treated) are dropped with a note, as no untreated
    period identifies their effect.
    """
    covariates = tuple(covariates or ())
    cols = [outcome, unit, time, cohort, *covariates] + [c for c in (weights, cluster) if c]
    _check_columns(data, cols)
    t_num = pd.to_numeric(data[time], errors="coerce")
    if t_num.isna().any():
        rows = data.index[t_num.isna()][:5].tolist()
        raise DataValueError(f"Time column {time!r} has missing or non-numeric values in rows {rows}.")
    layout = _sorted_balanced(data[unit], t_num)
    if layout is not None:  # rows sorted by unit and period, every unit in every period
        units, times = layout
        n, T = len(units), len(times)
        ucode, tcode = None, None  # unit codes only where needed: np.repeat(np.arange(n), T)
    else:
        ucode, units = pd.factorize(data[unit], sort=True)
        if (ucode < 0).any():
            rows = data.index[ucode < 0][:5].tolist()
            raise DataValueError(f"Unit column {unit!r} has missing values in rows {rows}.")
        units = np.asarray(units)
        times = np.sort(t_num.unique())
        tcode = np.searchsorted(times, t_num.to_numpy())
        n, T = len(units), len(times)
        cell = ucode.astype(np.int64) * T + tcode
        counts = np.bincount(cell, minlength=n * T)
    if layout is None and (counts > 1).any():
        dup = counts[cell] > 1
        rows = data.index[dup][:6].tolist()
        raise DataValueError(
            f"{int(dup.sum())} rows share a ({unit!r}, {time!r}) pair with another row (rows {rows}); "
            "a panel needs one row per unit and period: aggregate or drop the duplicates first."
        )
    if T < 2:
        raise DataValueError(f"The panel has {T} period(s) in {time!r}; difference-in-differences needs at least two.")
    G = _unit_cohorts(data[cohort], n, T) if layout is not None else None
    if G is None:  # not a reshape, or the raw values differ within a unit: the general check
        gv = _cohort_array(data, cohort)
        Gw = _to_wide(gv, ucode, tcode, n, T)
        G = Gw[:, -1].copy()
        varies = (Gw != G[:, None]).ravel() if ucode is None else G[ucode] != gv
    else:
        varies = np.zeros(1, dtype=bool)
    if varies.any():
        ucode = np.repeat(np.arange(n), T) if ucode is None else ucode
        bad = pd.unique(units[ucode[varies]])[:5].tolist()
        raise DataValueError(
            f"Cohort column {cohort!r} varies within units {bad}; it must be the unit's first treated "
            "period on every row. If you have a 0/1 treatment indicator, build the cohort with "
            "dp.cohorts(data, unit=..., time=..., treat=...)."
        )
    y = _floats(data[outcome])
    Y = np.asfortranarray(_to_wide(y, ucode, tcode, n, T))  # periods contiguous
    X = None
    if covariates:
        X = np.empty((n, T, len(covariates)))
        for j, c in enumerate(covariates):
            X[:, :, j] = _to_wide(_floats(data[c]), ucode, tcode, n, T)
    w = np.ones(n)
    if ucode is None and (weights is not None or cluster is not None):
        ucode = np.repeat(np.arange(n), T)
    if weights is not None:
        wv = pd.to_numeric(data[weights], errors="coerce")
        if wv.isna().any() or (wv < 0).any():
            rows = data.index[wv.isna() | (wv < 0)][:5].tolist()
            raise DataValueError(f"Weights {weights!r} are missing or negative in rows {rows}; fix or drop them.")
        wu = np.zeros(n)
        wu[ucode] = wv.to_numpy(dtype=float)
        if (wu[ucode] != wv.to_numpy(dtype=float)).any():
            raise DataValueError(
                f"Weights {weights!r} vary within units; sampling weights must be fixed per unit "
                "(use the base-year weight)."
            )
        w[ucode] = wv.to_numpy(dtype=float)
    ccodes = None
    if cluster is not None:
        if (data[cluster].groupby(data[unit]).nunique(dropna=False) > 1).any():
            raise DataValueError(f"Cluster {cluster!r} varies within units; units must be nested in clusters.")
        cc = np.zeros(n, dtype=object)
        cc[ucode] = data[cluster].to_numpy()
        ccodes = pd.factorize(pd.Series(cc))[0]
    notes: list[str] = []
    complete = _finite_rows(Y)
    if X is not None:
        complete &= _finite_rows(X.reshape(n, -1))
    if not complete.all():
        k = int((~complete).sum())
        warnings.warn(
            f"{k} of {n} units lack {outcome!r} (or a covariate) in some period and were dropped to make "
            f"the panel balanced (e.g. {units[~complete][:5].tolist()}).",
            DidWarning,
            stacklevel=3,
        )
        notes.append(f"{k} units dropped for an unbalanced panel.")
    finite_g = np.isfinite(G)
    off_grid = finite_g & ~np.isin(G, times) & (G < times[-1]) & (G > times[0])
    if off_grid.any():
        raise DataValueError(
            f"Cohorts {sorted(set(G[off_grid].tolist()))[:5]} in {cohort!r} are not periods of {time!r}; the first "
            "treated period must be one of the panel's periods."
        )
    late = finite_g & (G > times[-1])
    if late.any():
        notes.append(f"{int(late.sum())} units first treated after the last period are used as never treated.")
        G[late] = np.inf
    always = finite_g & (G <= times[0]) & complete
    if always.any():
        notes.append(
            f"{int(always.sum())} units treated from the first period (always treated: cohorts "
            f"{sorted({int(v) for v in G[always]})}) were dropped; no untreated period identifies their effect."
        )
    keep = complete & ~always
    if not keep.all():
        units, Y, G, w = units[keep], np.asfortranarray(Y[keep]), G[keep], w[keep]
        X = X[keep] if X is not None else None
        ccodes = pd.factorize(ccodes[keep])[0] if ccodes is not None else None
    if len(units) == 0:
        raise DataValueError("No units are left after dropping always-treated and incomplete units.")
    if w.sum() <= 0:
        raise DataValueError(f"Weights {weights!r} sum to zero.")
    cg, cn = np.unique(G[np.isfinite(G)], return_counts=True)
    single = cg[cn == 1]
    if len(single):
        warnings.warn(
            f"Cohorts {[int(v) for v in single]} have a single unit; their effects and standard errors rest "
            "on one unit and are fragile. Consider pooling adjacent cohorts.",
            DidWarning,
            stacklevel=3,
        )
    return WidePanel(units, times, Y, G, w / w.mean(), X, covariates, ccodes, tuple(notes))
