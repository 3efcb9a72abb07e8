"""Compare schedules on the same claims: the benefit-level gap implied by the rules alone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._options import check_option
from ..errors import SpecificationError
from ..specs import CompareSpec, data_source
from .reimburse import Reimbursement
from .schedule import Schedule

__all__ = ["compare_schedules", "ScheduleComparison", "DEFAULT_COST_BANDS"]

#: Default cost-band edges in yuan (claim or annual cost), left-closed.
DEFAULT_COST_BANDS: tuple[float, ...] = (0, 1_000, 5_000, 10_000, 30_000, 100_000, np.inf)
_ALL = "all"


@dataclass(frozen=True, slots=True)
class ScheduleComparison:
    """Benefit levels of several schedules applied to the same claims.

    Attributes
    ----------
    table : DataFrame
        Long table, one row per scheme × group × cost band (plus ``"all"`` rows): columns
        ``scheme``, the ``by`` columns, ``cost_band``, ``n``, ``cost``, ``reimbursed``,
        ``effective_rate``.
    gaps : DataFrame
        One row per non-reference scheme × group × band: ``rate_reference``, ``rate``, ``gap``
        (rate − reference rate, in rate units: 0.05 is 5 percentage points), ``ratio``
        (rate / reference rate) and ``reimbursed_gap`` (difference in yuan reimbursed per unit).
    reference : str
        The scheme the gaps are measured against.
    results : mapping of scheme name to Reimbursement
    spec : CompareSpec
    """

    table: pd.DataFrame
    gaps: pd.DataFrame
    reference: str
    results: Mapping[str, Reimbursement]
    spec: CompareSpec = field(default_factory=CompareSpec)


    def tidy(self) -> pd.DataFrame:
        """The gap table."""
        return self.gaps.copy()

    def overall(self) -> pd.DataFrame:
        """Aggregate effective rate per scheme over all claims."""
        t = self.table
        mask = t["cost_band"].eq(_ALL)
        for b in self.spec.by:
            mask &= t[b].eq(_ALL)
        return t[mask].set_index("scheme")[["n", "cost", "reimbursed", "effective_rate"]]

    def _repr_html_(self) -> str:
        return "<p><b>ScheduleComparison</b> (reference: " + self.reference + ")</p>" + self.gaps.to_html(index=False)


def compare_schedules(
    schedules: Mapping[str, Schedule],
    claims: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    cost_bands: Sequence[float] | None = DEFAULT_COST_BANDS,
    unit: Literal["claim", "person"] = "claim",
    reference: str | None = None,
    **columns: Any,
) -> ScheduleComparison:
    """Apply each schedule to the same claims and compare effective reimbursement rates.

    Parameters
    ----------
    schedules : mapping of str to Schedule
        E.g. ``{"urban": s1, "rural": s2}``; the first is the reference unless ``reference`` says
        otherwise.
    claims : DataFrame
        Claims, with the columns described in :func:`disparity.benefits.reimburse`.
    by : str or list of str, optional
        Columns of ``claims`` to break the comparison down by (e.g. the beneficiary group).
    cost_bands : sequence of float or None
        Left-closed band edges for the cost of a claim (``unit="claim"``) or a person-year
        (``unit="person"``); None for no bands.
    unit : {"claim", "person"}
        Whether bands and counts refer to claims or to person-year totals.
    reference : str, optional
        Name of the reference scheme.
    **columns
        Column names passed to :func:`~disparity.benefits.reimburse` (``person=``, ``cost=``,
        ``scope_share=``, ``level=``, ``group=``, ``setting=``, ``area=``, ``year=``, ``order=``).

    Returns
    -------
    ScheduleComparison

    Notes
    -----
    The effective rate of a cell is :math:`\\sum_i R_i / \\sum_i c_i` (reimbursed over cost,
    claims or person-years in the cell); the gap is the difference in effective rates between a
    scheme and the reference for identical claims, i.e. the benefit-level difference attributable
    to the rules alone, holding utilisation fixed.

    References
    ----------
    The comparison holds claims fixed and varies only the rules (a static microsimulation). For
    background on how NCMS benefit packages shaped reimbursement see Wagstaff, A., Lindelow, M.,
    Gao, J., Xu, L., Qian, J. (2009). Extending health insurance to the rural population: an
    impact evaluation of China's new cooperative medical scheme. *Journal of Health Economics*
    28(1), 1-19.

    Examples
    --------
    >>> urban = dp.benefits.load_schedule("illustrative_urbmi_2015")
    >>> rural = dp.benefits.load_schedule("illustrative_ncms_2015")
    >>> claims = pd.DataFrame({"person_id": [1, 2, 3], "cost": [2_000.0, 12_000.0, 50_000.0],
    ...     "level": ["level1_hospital", "level2_hospital", "level3_hospital"]})
    >>> cmp = dp.compare_schedules({"urban": urban, "rural": rural}, claims, scope_share=None)
    >>> cmp.overall()["effective_rate"].round(3).tolist(), cmp.tidy()["gap"].round(3).tolist()
    ([0.65, 0.575], [-0.005, -0.09, -0.074, -0.075])
    """
    check_option("unit", unit, ("claim", "person"))
    if not isinstance(schedules, Mapping) or len(schedules) < 2:
        raise SpecificationError(
            "compare_schedules needs a mapping of at least two named schedules, "
            "e.g. {'urban': s1, 'rural': s2}."
        )
    for k, s in schedules.items():
        if not isinstance(s, Schedule):
            raise SpecificationError(f"schedules[{k!r}] must be a Schedule, got {type(s).__name__}.")
    names = [str(k) for k in schedules]
    ref = names[0] if reference is None else str(reference)
    if ref not in names:
        raise SpecificationError(f"reference={reference!r} is not one of the schemes {names}.")
    by_cols = [by] if isinstance(by, str) else list(by or [])
    for b in by_cols:
        if b not in claims.columns:
            raise SpecificationError(f"by={b!r} is not a column of the claims; columns are {list(claims.columns)}.")
        if b in ("scheme", "cost_band"):
            raise SpecificationError(f"by column {b!r} clashes with an output column; rename it.")
    results = {str(k): s.reimburse(claims, **columns) for k, s in schedules.items()}

    person = columns.get("person", "person_id")
    year = columns.get("year")
    frames = []
    for name, res in results.items():
        f = res.claims[["cost", "reimbursed"]].copy()
        for b in by_cols:
            f[b] = claims[b].to_numpy()
        if unit == "person":
            keys = [person] + ([year] if year else [])
            f[keys] = res.claims[keys].to_numpy()
            f = f.groupby(keys + by_cols, dropna=False, sort=True)[["cost", "reimbursed"]].sum().reset_index()
        f["scheme"] = name
        frames.append(f)
    long = pd.concat(frames, ignore_index=True)
    if cost_bands is not None:
        edges = np.asarray(cost_bands, dtype=float)
        if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
            raise SpecificationError(f"cost_bands must be at least two increasing edges, got {list(cost_bands)}.")
        long["cost_band"] = pd.cut(long["cost"], edges.tolist(), right=False).astype(str)
        if long["cost_band"].eq("nan").any():
            raise SpecificationError(
                f"Some costs fall outside cost_bands {list(cost_bands)}; widen the edges (use inf)."
            )
    else:
        long["cost_band"] = _ALL

    def agg(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        g = frame.groupby(keys, dropna=False, sort=False)
        out = g.agg(n=("cost", "size"), cost=("cost", "sum"), reimbursed=("reimbursed", "sum")).reset_index()
        return out

    pieces = []
    levels = [by_cols[:i] for i in range(len(by_cols) + 1)]
    for band_level in (["cost_band"], []):
        for bl in levels:
            t = agg(long, ["scheme", *bl, *band_level])
            for b in by_cols:
                if b not in bl:
                    t[b] = _ALL
            if not band_level:
                t["cost_band"] = _ALL
            pieces.append(t)
    table = pd.concat(pieces, ignore_index=True)
    table = table.drop_duplicates(subset=["scheme", *by_cols, "cost_band"], keep="first")
    table["effective_rate"] = table["reimbursed"] / table["cost"].where(table["cost"] > 0)
    table = table[["scheme", *by_cols, "cost_band", "n", "cost", "reimbursed", "effective_rate"]]
    # rows in reading order: schemes as given, by= groups sorted with "all" last, cost bands from
    # the lowest to the highest and "all" last (the band labels are text, so not sorted as such)
    band_order = ([str(iv) for iv in pd.IntervalIndex.from_breaks(edges, closed="left")]
                  if cost_bands is not None else []) + [_ALL]

    def group_rank(col: pd.Series) -> np.ndarray:
        is_all = col.eq(_ALL).to_numpy()
        codes = np.full(len(col), -1)
        codes[~is_all] = pd.factorize(col[~is_all], sort=True)[0]
        codes[is_all] = codes.max() + 1
        return codes

    order = pd.DataFrame({
        "s": table["scheme"].map({name: i for i, name in enumerate(results)}),
        **{f"b{i}": group_rank(table[b]) for i, b in enumerate(by_cols)},
        "c": table["cost_band"].map({lab: i for i, lab in enumerate(band_order)}),
    }, index=table.index)
    table = table.loc[order.sort_values(list(order.columns), kind="mergesort").index]
    table = table.reset_index(drop=True)

    cell = [*by_cols, "cost_band"]
    base = table[table["scheme"] == ref].set_index(cell)
    others = table[table["scheme"] != ref].set_index(cell)
    ref_cols = base[["effective_rate", "reimbursed"]].rename(
        columns={"effective_rate": "effective_rate_reference", "reimbursed": "reimbursed_reference"}
    )
    joined = others.join(ref_cols)
    gaps = pd.DataFrame({
        "scheme": joined["scheme"],
        "n": joined["n"],
        "rate_reference": joined["effective_rate_reference"],
        "rate": joined["effective_rate"],
    })
    gaps["gap"] = gaps["rate"] - gaps["rate_reference"]
    gaps["ratio"] = gaps["rate"] / gaps["rate_reference"].where(gaps["rate_reference"] > 0)
    gaps["reimbursed_gap"] = (joined["reimbursed"] - joined["reimbursed_reference"]) / joined["n"]
    gaps = gaps.reset_index()[["scheme", *cell, "n", "rate_reference", "rate", "gap", "ratio", "reimbursed_gap"]]
    spec = CompareSpec(by=tuple(by_cols), cost_bands=None if cost_bands is None else tuple(cost_bands),
                       unit=unit, columns=dict(columns), data=data_source(claims))
    return ScheduleComparison(table=table, gaps=gaps, reference=ref, results=results, spec=spec)
