"""Shared input handling for the measures: column checks, missing values, weights, groups, designs.

Every public measure funnels its DataFrame through :func:`prepare`, so the weights vocabulary
(``weights=`` + ``weight_type``), ``by=``, ``cluster=`` and ``design=`` behave identically everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._options import WEIGHT_TYPES, check_option
from .._source import DataSource, data_source
from .._weights import check_weights as _check_weights
from .._weights import rows_text
from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, SpecificationError
from ..survey._core import BoundDesign, bind, dense_codes, design_columns


def _as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)


_rows_text = rows_text


def factorize(values: pd.Series | pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer codes 0..G-1 (sorted by level) and a table of the levels, for one or more columns."""
    if isinstance(values, pd.Series):
        values = values.to_frame()
    if values.shape[1] == 1:
        col = values.columns[0]
        if values[col].dtype.kind in "iu":
            fast = dense_codes(values[col].to_numpy())
            if fast is not None:
                return fast[0], pd.DataFrame({col: fast[1]})
        codes, uniques = pd.factorize(values[col], sort=True)
        return codes.astype(np.intp, copy=False), pd.DataFrame({col: uniques})
    codes_list = []
    for col in values.columns:
        c, _ = pd.factorize(values[col], sort=True)
        codes_list.append(c)
    stacked = np.column_stack(codes_list)
    _, first, codes = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    levels = values.iloc[first].reset_index(drop=True)
    return codes.reshape(-1).astype(np.intp, copy=False), levels


@dataclass
class Sample:
    """Cleaned, aligned arrays for one call of a measure (internal)."""

    data: dict[str, np.ndarray]
    w: np.ndarray
    weight_type: str
    weighted: bool
    index: pd.Index
    n_dropped: int
    groups: dict[str, tuple[np.ndarray, pd.DataFrame]] = field(default_factory=dict)
    by_codes: np.ndarray | None = None
    by_levels: pd.DataFrame | None = None
    cluster: np.ndarray | None = None
    bound: BoundDesign | None = None  # the survey design, over all its rows
    rows: np.ndarray | None = None  # positions of this sample's rows in ``bound`` (None: all)
    iid_variance: bool = False  # set by the engine: rows are independent, not fweights
    source: DataSource | None = None  # the frame the measure was given (file, checksum, shape)
    weights_name: str | None = None  # the weight column (a design's weights), None: unweighted

    @property
    def design(self) -> bool:
        return self.bound is not None

    @property
    def replicate(self) -> bool:
        return self.bound is not None and self.bound.replicate

    @property
    def n(self) -> int:
        return int(self.w.shape[0])

    def subset(self, rows: np.ndarray) -> Sample:
        """The sample restricted to integer positions ``rows`` (used for ``by=`` groups)."""
        take = (lambda a: None if a is None else a[rows])  # noqa: E731
        return Sample(
            data={k: v[rows] for k, v in self.data.items()},
            w=self.w[rows],
            weight_type=self.weight_type,
            weighted=self.weighted,
            index=self.index[rows],
            n_dropped=0,
            groups={k: (c[rows], lv) for k, (c, lv) in self.groups.items()},
            cluster=take(self.cluster),
            bound=self.bound,
            rows=None if self.bound is None else (rows if self.rows is None else self.rows[rows]),
        )

    def nobs(self) -> float:
        """Observations used: rows, or the sum of frequency weights."""
        if self.weight_type == "fweight" and self.weighted:
            return float(self.w.sum())
        return float(self.n)


def _numeric(df: pd.DataFrame, col: str, measure: str) -> np.ndarray:
    s = df[col]
    if s.dtype == bool:
        return s.to_numpy(dtype=np.float64)
    if not (pd.api.types.is_numeric_dtype(s.dtype)):
        raise DataValueError(
            f"{measure}: column {col!r} is not numeric (dtype {s.dtype}); convert it first, "
            f"e.g. df[{col!r}] = pd.to_numeric(df[{col!r}], errors='coerce')."
        )
    if s.dtype == np.float64:
        return s.to_numpy()
    return s.to_numpy(dtype=np.float64, na_value=np.nan)


def prepare(
    df: pd.DataFrame,
    *,
    measure: str,
    numeric: Sequence[str],
    categorical: Sequence[str] = (),
    weights: str | None = None,
    weight_type: str = "pweight",
    by: str | Sequence[str] | None = None,
    cluster: str | None = None,
    design: SurveyDesign | ReplicateDesign | None = None,
) -> Sample:
    """Check columns and options, handle missing values, and build a :class:`Sample`.

    Without a design, rows with a missing value in a used column are dropped (a missing weight on
    an otherwise complete row is an error). With a design, ``design.missing="domain"`` (default)
    keeps every row in the design and makes the complete rows of the subpopulation the estimation
    domain; ``"drop"`` removes incomplete rows before the design is formed.
    """
    if not isinstance(df, pd.DataFrame):
        raise SpecificationError(
            f"{measure}: expected a pandas DataFrame as the first argument, got {type(df).__name__}; "
            "pass the data frame and column names, e.g. dp.gini(df, 'income')."
        )
    check_option("weight_type", weight_type, WEIGHT_TYPES)
    by_cols = _as_list(by)
    source = data_source(df)  # the frame as given (before incomplete rows are dropped)
    if design is not None:
        if not isinstance(design, SurveyDesign | ReplicateDesign):
            raise SpecificationError(
                f"{measure}: design= must be a dp.SurveyDesign or dp.ReplicateDesign, got "
                f"{type(design).__name__}."
            )
        if weights is not None and weights != design.weights:
            raise SpecificationError(
                f"{measure}: weights={weights!r} conflicts with design weights {design.weights!r}; "
                "the design carries the weights: drop weights= (passing the design is enough)."
            )
        if weight_type != "pweight":
            raise SpecificationError(
                f"{measure}: a survey design uses sampling weights; drop weight_type={weight_type!r} "
                "(it must be 'pweight' with design=)."
            )
        if cluster is not None:
            raise SpecificationError(
                f"{measure}: cluster={cluster!r} and design= both given; put the clusters in "
                "the design as SurveyDesign(psu=...) instead."
            )
        sample = _prepare_design(df, design, measure, numeric, categorical, by_cols)
        sample.source, sample.weights_name = source, design.weights
        return sample
    used = list(dict.fromkeys(
        list(numeric) + list(categorical) + by_cols
        + ([weights] if weights else []) + ([cluster] if cluster else [])
    ))
    _check_columns(df, used, measure)
    arrays = {c: _numeric(df, c, measure) for c in numeric}
    w_raw = _numeric(df, weights, measure) if weights else None
    keep = _complete(df, arrays, list(categorical) + by_cols + ([cluster] if cluster else []))
    if w_raw is not None:
        w_missing = np.isnan(w_raw) & (keep if keep is not None else True)
        if w_missing.any():
            raise DataValueError(
                f"{measure}: weights {weights!r} are missing in {_rows_text(df.index, w_missing)} "
                "whose other values are complete; weights must be finite and >= 0 (fix or drop "
                "those rows; dp.ols refuses them too)."
            )
        keep = keep if keep is not None else np.ones(df.shape[0], dtype=bool)
        keep = keep & ~np.isnan(w_raw)
        if keep.all():
            keep = None
    n_dropped = 0
    index = df.index
    if keep is not None:
        n_dropped = int((~keep).sum())
        if not keep.any():
            raise DataValueError(
                f"{measure}: every row has a missing value in {used}; nothing is left to compute on. "
                "Check the column names and the missing-value coding."
            )
        arrays = {k: v[keep] for k, v in arrays.items()}
        w_raw = None if w_raw is None else w_raw[keep]
        df = df.loc[keep]
        index = df.index
    n = index.shape[0]
    if n == 0:
        raise DataValueError(f"{measure}: the data have no rows.")
    _check_finite(arrays, index, measure)
    weighted = w_raw is not None
    if w_raw is None:
        w = np.ones(n)
    else:
        w = check_weights(w_raw, index, weights, weight_type, measure)
    sample = Sample(
        data=arrays, w=w, weight_type=weight_type, weighted=weighted, index=index,
        n_dropped=n_dropped,
    )
    _add_groups(sample, df, categorical, by_cols)
    if cluster is not None:
        sample.cluster = factorize(df[cluster])[0]
    sample.source, sample.weights_name = source, weights
    return sample


def check_weights(
    w: np.ndarray, index: pd.Index, weights: str | None, weight_type: str, measure: str
) -> np.ndarray:
    """The weights check of the measures: :func:`disparity._weights.check_weights` (one for all).

    Returns the weights to use (aweights normalised to sum to the number of rows).
    """
    return _check_weights(w, index, weights, weight_type, measure)


def _check_columns(df: pd.DataFrame, used: list[str], measure: str) -> None:
    missing = [c for c in used if c not in df.columns]
    if missing:
        raise SpecificationError(
            f"{measure}: column(s) {missing} not found in the data; available columns are "
            f"{list(df.columns)[:20]}."
        )


def _complete(
    df: pd.DataFrame, arrays: dict[str, np.ndarray], other: Sequence[str]
) -> np.ndarray | None:
    """Rows complete in the numeric arrays and the other columns (None: all rows)."""
    keep: np.ndarray | None = None
    for arr in arrays.values():
        bad = np.isnan(arr)
        if bad.any():
            keep = ~bad if keep is None else keep & ~bad
    for c in other:
        bad = df[c].isna().to_numpy()
        if bad.any():
            keep = ~bad if keep is None else keep & ~bad
    return keep


def _check_finite(arrays: dict[str, np.ndarray], index: pd.Index, measure: str) -> None:
    for c, v in arrays.items():
        if not np.isfinite(v).all():
            raise DataValueError(
                f"{measure}: column {c!r} has infinite values in {_rows_text(index, ~np.isfinite(v))}; "
                "replace or drop them."
            )


def _add_groups(
    sample: Sample, df: pd.DataFrame, categorical: Sequence[str], by_cols: list[str]
) -> None:
    for c in categorical:
        sample.groups[c] = factorize(df[c])
    if by_cols:
        sample.by_codes, sample.by_levels = factorize(df[by_cols])


def _prepare_design(
    df: pd.DataFrame, design: SurveyDesign | ReplicateDesign, measure: str,
    numeric: Sequence[str], categorical: Sequence[str], by_cols: list[str],
) -> Sample:
    """Sample of the estimation domain of a design (see :func:`prepare`)."""
    dcols = design_columns(design, list(df.columns))
    used = list(dict.fromkeys(list(numeric) + list(categorical) + by_cols))
    _check_columns(df, used + dcols, measure)
    arrays = {c: _numeric(df, c, measure) for c in numeric}
    keep = _complete(df, arrays, list(categorical) + by_cols)
    n_all = df.shape[0]
    if design.missing == "drop":
        dkeep = _complete(df, {}, dcols)
        if dkeep is not None:
            keep = dkeep if keep is None else keep & dkeep
        if keep is not None:
            if not keep.any():
                raise DataValueError(
                    f"{measure}: every row has a missing value in {used + dcols}; nothing is left "
                    "to compute on."
                )
            df = df.loc[keep]
            arrays = {k: v[keep] for k, v in arrays.items()}
        n_dropped = n_all - df.shape[0]
        keep = None
    bound = bind(design, df, who=measure)
    if keep is None and bound.subpop is None:
        domain = np.ones(1, dtype=bool)  # every row (broadcasts)
        n_dropped = 0 if design.missing == "domain" else n_dropped
    else:
        domain = np.ones(df.shape[0], dtype=bool) if keep is None else keep.copy()
        if design.missing == "domain":
            n_dropped = int((~domain & (bound.subpop if bound.subpop is not None else True)).sum())
        if bound.subpop is not None:
            domain &= bound.subpop
    n_domain = df.shape[0] if domain.shape[0] == 1 else int(np.count_nonzero(domain))
    all_rows = n_domain == df.shape[0]
    rows = None if all_rows else np.flatnonzero(domain)
    if n_domain == 0:
        raise DataValueError(
            f"{measure}: no complete row of {used} lies in the subpopulation "
            f"{design.subpop!r}; nothing is left to compute on."
            if design.subpop is not None else
            f"{measure}: every row has a missing value in {used}; nothing is left to compute on. "
            "Check the column names and the missing-value coding."
        )
    arrays = {k: (v if rows is None else v[rows]) for k, v in arrays.items()}
    index = df.index if rows is None else df.index[rows]
    _check_finite(arrays, index, measure)
    w = bound.w if rows is None else bound.w[rows]
    if not w.sum() > 0:
        raise DataValueError(
            f"{measure}: the design weights {design.weights!r} sum to zero over the estimation "
            "domain; no observation in it carries weight."
        )
    sample = Sample(
        data=arrays, w=w, weight_type="pweight", weighted=design.weights is not None,
        index=index, n_dropped=n_dropped, bound=bound, rows=rows,
    )
    _add_groups(sample, df if rows is None else df.iloc[rows], categorical, by_cols)
    return sample


def require_values(
    sample: Sample, col: str, *, positive: bool = False, nonnegative: bool = False,
    why: str, measure: str,
) -> None:
    """Raise a DataValueError naming the rows where ``col`` breaks the sign a formula needs."""
    v = sample.data[col]
    if positive:
        bad = v <= 0
        need = "strictly positive"
    elif nonnegative:
        bad = v < 0
        need = "non-negative"
    else:
        return
    if bad.any():
        raise DataValueError(
            f"{measure}: {why} needs {need} values of {col!r}, but {_rows_text(sample.index, bad)} "
            "break this. Drop or recode those rows, or choose a measure defined for them."
        )
