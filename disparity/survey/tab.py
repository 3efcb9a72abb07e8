"""Survey tables: cell proportions with design-based SEs and the Rao–Scott test of independence.

The estimators of R ``survey::svymean`` on cell indicators and ``svychisq(statistic="F")``
(Stata ``svy: tabulate``, whose default is the same second-order Rao–Scott F).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, SpecificationError
from ..measures._weights import Sample, _as_list, factorize
from ..specs import SurveySpec
from .descriptives import _check_level

__all__ = ["TabResult", "svy_tab"]


@dataclass(frozen=True, slots=True)
class TabResult:
    """Cell proportions of a one- or two-way survey table and, for two-way, the Rao–Scott test.

    Attributes
    ----------
    table : DataFrame
        The ``by=`` columns, the row (and column) variable's level, ``estimate`` (the proportion of
        the domain in the cell), ``std_error``, ``conf_low``, ``conf_high``, ``deff``, ``df``,
        ``nobs`` (rows in the cell).
    test : DataFrame or None
        One row per ``by=`` group: ``chisq`` (Pearson's X² of the weighted table scaled to the
        sample size), ``statistic`` (the Rao–Scott F = X²/tr Δ), ``ndf`` = d₀, ``ddf`` = d₀·ν,
        ``p_value``, ``design_df`` ν.
    level : float
    by : tuple of str
    design : SurveyDesign or ReplicateDesign
    """

    table: pd.DataFrame
    test: pd.DataFrame | None
    level: float
    by: tuple[str, ...]
    design: SurveyDesign | ReplicateDesign
    #: what was estimated, on which data (file, checksum, shape of the frame)
    spec: SurveySpec = field(default_factory=SurveySpec)

    def tidy(self) -> pd.DataFrame:
        """The cell table."""
        return self.table.copy()

    @property
    def p_value(self) -> float | pd.Series:
        """p-value of the Rao–Scott test (a Series by group with ``by=``)."""
        if self.test is None:
            raise SpecificationError("a one-way table has no test of independence.")
        if self.test.shape[0] == 1:
            return float(self.test["p_value"].iloc[0])
        return self.test["p_value"]

    def __repr__(self) -> str:
        return f"TabResult({self.table.shape[0]} cells, level={self.level})"

    def _repr_html_(self) -> str:
        out = "<p><b>Survey table</b></p>" + self.table.to_html(index=False, float_format=lambda v: f"{v:.6g}")
        if self.test is not None:
            out += "<p>Rao–Scott test of independence</p>" + self.test.to_html(
                index=False, float_format=lambda v: f"{v:.6g}")
        return out + html.escape("")


def _proportions(sample: Sample, rows_in: np.ndarray, cells: np.ndarray, k: int):
    """Cell proportions over the domain rows ``rows_in`` (sample positions) and their covariance."""
    bound = sample.bound
    assert bound is not None
    w = sample.w[rows_in]
    W = float(w.sum())
    if not W > 0:
        raise DataValueError("svy_tab: the domain carries no weight.")
    ind = np.zeros((rows_in.shape[0], k))
    ind[np.arange(rows_in.shape[0]), cells] = 1.0
    p = (w @ ind) / W
    pos = sample.rows[rows_in] if sample.rows is not None else rows_in
    if bound.replicate:
        rw = bound.replicate_weights(pos)
        reps = (rw.T @ ind) / rw.sum(axis=0)[:, None]
        V = bound.replicate_cov(reps, p)
    else:
        z = (ind - p) * (w / W)[:, None]
        V = bound.taylor_cov(z, pos)
    n = float((w > 0).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = (w @ ((ind - p) ** 2)) / W * n / (n - 1)
        deff = np.diag(V) / (s2 * (W - n) / (W * n))
    if bound.replicate:
        deff = np.full(k, np.nan)
    return p, V, deff, ind, w, pos


def _rao_scott(p: np.ndarray, V: np.ndarray, ind: np.ndarray, w: np.ndarray, nr: int, nc: int,
               nu: float, N: float) -> dict[str, float]:
    """Pearson X² of the table scaled to N and its second-order Rao–Scott F (Rao & Scott 1984)."""
    table = (w @ ind).reshape(nc, nr).T  # cells are ordered rows-fastest, as R's interaction()
    table = table / table.sum() * N
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / N
    with np.errstate(divide="ignore", invalid="ignore"):
        chisq = float(np.nansum((table - expected) ** 2 / expected))
    grid_r, grid_c = np.meshgrid(np.arange(nr), np.arange(nc), indexing="xy")
    rr, cc = grid_r.ravel(), grid_c.ravel()  # expand.grid: rows fastest
    X1 = np.column_stack([np.ones(nr * nc)]
                         + [(rr == i).astype(float) for i in range(1, nr)]
                         + [(cc == j).astype(float) for j in range(1, nc)])
    inter = np.column_stack([((rr == i) & (cc == j)).astype(float)
                             for j in range(1, nc) for i in range(1, nr)])
    C = inter - X1 @ np.linalg.lstsq(X1, inter, rcond=None)[0]
    idiag = np.where(p == 0, 0.0, 1.0 / np.where(p == 0, 1.0, p))
    denom = C.T @ (C * (idiag / N)[:, None])
    numr = (C * idiag[:, None]).T @ V @ (C * idiag[:, None])
    delta = np.linalg.solve(denom, numr)
    tr = float(np.trace(delta))
    d0 = tr * tr / float(np.trace(delta @ delta))
    f = chisq / tr
    return {"chisq": chisq, "statistic": f, "ndf": d0, "ddf": d0 * nu,
            "p_value": float(stats.f.sf(f, d0, d0 * nu)), "design_df": nu}


def svy_tab(
    df: pd.DataFrame,
    row: str,
    col: str | None = None,
    *,
    design: SurveyDesign | ReplicateDesign,
    by: str | Sequence[str] | None = None,
    subpop: str | None = None,
    level: float = 0.95,
) -> TabResult:
    """Survey proportions of one variable, or of the cells of two, with the Rao–Scott test.

    Parameters
    ----------
    df, design, by, subpop, level
        As :func:`~disparity.svy_mean`. Rows missing ``row`` or ``col`` leave the domain.
    row, col : str
        Categorical variables; with ``col`` the table is two-way and the result carries the test.

    Returns
    -------
    TabResult

    Notes
    -----
    Cell proportions :math:`\\hat p_c` are means of cell indicators, with their design covariance
    :math:`\\hat V`. Pearson's :math:`X^2` is computed on the weighted table scaled to the sample
    size :math:`N`; with :math:`C` the interaction contrasts orthogonal to the main effects and
    :math:`D = \\mathrm{diag}(\\hat p)`,
    :math:`\\Delta = (C'D^{-1}C/N)^{-1} C'D^{-1}\\hat V D^{-1}C`, the second-order corrected statistic
    :math:`F = X^2/\\operatorname{tr}\\Delta` is referred to :math:`F(d_0, d_0\\nu)` with
    :math:`d_0 = (\\operatorname{tr}\\Delta)^2/\\operatorname{tr}\\Delta^2` and :math:`\\nu` the design df,
    as R ``svychisq(statistic = "F")`` (which takes :math:`\\nu` and :math:`N` from the design of
    the domain: use ``df="r"`` to match it on subpopulations).

    References
    ----------
    Rao, J. N. K. & Scott, A. J. (1984). On chi-squared tests for multiway contingency tables with
    cell proportions estimated from survey data. *Annals of Statistics* 12, 46-60.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> des = dp.SurveyDesign(weights="weight", strata="strata", psu="psu")
    >>> t = dp.svy_tab(df, "urban", "chronic", design=des)
    >>> round(t.p_value, 4)
    0.4947
    """
    level = _check_level(level)
    by_cols = _as_list(by)
    cats = [row] if col is None else [row, col]
    for c in cats:
        if not isinstance(c, str):
            raise SpecificationError("svy_tab: row and col are column names.")
    sample = _prepare_tab(df, cats, by, design, subpop)
    bound = sample.bound
    assert bound is not None
    groups: list[tuple[dict[Any, Any], np.ndarray]]
    if sample.by_codes is None or sample.by_levels is None:
        groups = [({}, np.arange(sample.n))]
    else:
        groups = [(sample.by_levels.iloc[g].to_dict(), np.flatnonzero(sample.by_codes == g))
                  for g in range(sample.by_levels.shape[0])]
    frame = df.loc[sample.index]
    rows_out, tests = [], []
    for labels, rows_in in groups:
        rcodes, rlev = factorize(frame[row].iloc[rows_in])
        if col is not None:
            ccodes, clev = factorize(frame[col].iloc[rows_in])
            nr, nc = rlev.shape[0], clev.shape[0]
            cells = rcodes + nr * ccodes
        else:
            nr, nc, cells = rlev.shape[0], 1, rcodes
        k = nr * nc
        p, V, deff, ind, w, pos = _proportions(sample, rows_in, cells, k)
        design_ = bound.design
        if design_.df == "stata" or isinstance(design_, ReplicateDesign):
            nu = bound.degrees_of_freedom(pos, None)
        else:
            nu = bound.degrees_of_freedom(pos, w)
        se = np.sqrt(np.maximum(np.diag(V), 0.0))
        q = stats.t.ppf(0.5 + level / 2, nu)
        counts = np.bincount(cells, minlength=k)
        for ci in range(k):
            i, j = ci % nr, ci // nr
            cell = {row: rlev.iloc[i, 0]}
            if col is not None:
                cell[col] = clev.iloc[j, 0]
            rows_out.append({**labels, **cell, "estimate": p[ci], "std_error": se[ci],
                             "conf_low": p[ci] - q * se[ci], "conf_high": p[ci] + q * se[ci],
                             "deff": deff[ci], "df": nu, "nobs": int(counts[ci])})
        if col is not None:
            if nr < 2 or nc < 2:
                raise DataValueError(
                    f"svy_tab: {row!r} x {col!r} has a single level in one dimension"
                    f"{' in group ' + str(labels) if labels else ''}; nothing to test."
                )
            N = float(rows_in.shape[0])  # R: rows of the (domain's) design
            tests.append({**labels, **_rao_scott(p, V, ind, w, nr, nc, nu, N)})
    return TabResult(table=pd.DataFrame(rows_out), test=pd.DataFrame(tests) if tests else None,
                     level=level, by=tuple(by_cols), design=bound.design,
                     spec=SurveySpec(estimator="svy_tab", variables=tuple(cats), by=tuple(by_cols), level=level,
                                     weights=sample.weights_name, data=sample.source))


def _prepare_tab(df: pd.DataFrame, cats: list[str], by, design, subpop) -> Sample:
    if not isinstance(df, pd.DataFrame):
        raise SpecificationError("svy_tab: expected a pandas DataFrame.")
    missing = [c for c in cats if c not in df.columns]
    if missing:
        raise SpecificationError(f"svy_tab: column(s) {missing} not found in the data.")
    from ..measures._weights import prepare

    if subpop is not None:
        design = design.subset(subpop)
    if not isinstance(design, SurveyDesign | ReplicateDesign):
        raise SpecificationError("svy_tab: design= must be a dp.SurveyDesign or dp.ReplicateDesign.")
    return prepare(df, measure="svy_tab", numeric=[], categorical=cats, by=by, design=design)
