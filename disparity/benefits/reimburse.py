"""Apply a :class:`~disparity.benefits.Schedule` to claims: vectorised annual accumulation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._dispatch import dispatches
from ..errors import DataValueError, SpecificationError
from ..specs import ReimburseSpec, data_source

if TYPE_CHECKING:
    from .schedule import Schedule

__all__ = ["reimburse", "Reimbursement", "COMPONENTS", "IN_AREA_MARKERS"]

#: Reimbursement components, in the order they are computed.
COMPONENTS: tuple[str, ...] = ("basic", "critical_illness", "outpatient")
#: Values of the ``area`` column that mean an in-area claim (missing values do too).
IN_AREA_MARKERS: frozenset[str] = frozenset({"", "in_area", "local"})
_SETTINGS = ("inpatient", "outpatient")


@dataclass(frozen=True, slots=True)
class Reimbursement:
    """Per-claim reimbursement under one schedule.

    Attributes
    ----------
    claims : DataFrame
        Indexed like the input claims, with columns ``cost``, ``policy_scope`` (cost × scope
        share), ``deductible`` (the part of policy-scope cost below the deductible),
        ``basic_before_ceiling``, ``basic``, ``critical_illness``, ``outpatient``, ``reimbursed``
        (sum of the three components), ``out_of_pocket`` (cost − reimbursed) and
        ``effective_rate`` (reimbursed / cost; NaN for zero-cost claims).
    schedule : Schedule
    spec : ReimburseSpec
        The column mapping used.
    """

    claims: pd.DataFrame
    schedule: Schedule
    spec: ReimburseSpec = field(default_factory=ReimburseSpec)


    @property
    def total(self) -> float:
        """Total reimbursed."""
        return float(self.claims["reimbursed"].sum())

    @property
    def effective_rate(self) -> float:
        """Aggregate effective reimbursement rate: total reimbursed / total cost."""
        cost = float(self.claims["cost"].sum())
        return self.total / cost if cost > 0 else float("nan")

    @property
    def value(self) -> float:
        """Alias of :attr:`effective_rate`."""
        return self.effective_rate

    def __float__(self) -> float:
        return self.effective_rate

    def tidy(self) -> pd.DataFrame:
        """Totals by component: columns ``component, amount, share_of_cost``."""
        cost = float(self.claims["cost"].sum())
        names = [*COMPONENTS, "reimbursed", "out_of_pocket"]
        amounts = [float(self.claims[c].sum()) for c in names]
        return pd.DataFrame({
            "component": names,
            "amount": amounts,
            "share_of_cost": [a / cost if cost > 0 else np.nan for a in amounts],
        })

    def by_person(self) -> pd.DataFrame:
        """Annual totals per person (and year, when claims have a year column)."""
        keys = [self.spec.person] + ([self.spec.year] if self.spec.year else [])
        cols = ["cost", "policy_scope", *COMPONENTS, "reimbursed", "out_of_pocket"]
        out = self.claims.groupby(keys, sort=True)[cols].sum()
        out["effective_rate"] = out["reimbursed"] / out["cost"].where(out["cost"] > 0)
        return out

    def _repr_html_(self) -> str:
        return (f"<p><b>Reimbursement</b> under {self.schedule.name or 'schedule'}: "
                f"{len(self.claims)} claims, effective rate {self.effective_rate:.4f}</p>"
                + self.tidy().to_html(index=False))


def _require(claims: pd.DataFrame, name: str, col: str | None) -> None:
    if col is not None and col not in claims.columns:
        raise SpecificationError(
            f"{name}={col!r} is not a column of the claims; columns are {list(claims.columns)}. "
            f"Pass {name}='<your column>'" + (" or None." if name not in ("person", "cost") else ".")
        )


def _rows(mask: np.ndarray | pd.Series, index: pd.Index, limit: int = 5) -> str:
    labels = list(index[np.asarray(mask)][:limit])
    more = int(np.asarray(mask).sum()) - len(labels)
    return f"{labels}" + (f" and {more} more" if more > 0 else "")


def _codes(labels: pd.Series, categories: list[str], mask: np.ndarray | None = None) -> np.ndarray:
    """Position of each label in ``categories`` (-1 if absent or masked out), via one factorize."""
    codes, uniques = pd.factorize(labels, use_na_sentinel=True)
    pos = {c: i for i, c in enumerate(categories)}
    lookup = np.array([pos.get(str(u), -1) for u in uniques] + [-1], dtype=int)
    out = lookup[codes]  # the sentinel -1 picks the trailing -1
    if mask is not None:
        out = np.where(mask, out, -1)
    return out


def _labels(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip()


@dispatches("reimburse")
def reimburse(
    schedule: Schedule,
    claims: pd.DataFrame,
    *,
    person: str = "person_id",
    cost: str = "cost",
    scope_share: str | None = "scope_share",
    level: str = "level",
    group: str | None = None,
    setting: str | None = None,
    area: str | None = None,
    year: str | None = None,
    order: str | Sequence[str] | None = None,
) -> Reimbursement:
    """Apply a schedule's rules to claims, accumulating annually per person.

    Parameters
    ----------
    schedule : Schedule
    claims : DataFrame
        One row per claim (admission or outpatient visit).
    person : str
        Column identifying the insured person; ceilings and the critical-illness threshold
        accumulate per person (and year).
    cost : str
        Column of total cost in yuan.
    scope_share : str or None
        Column with the share of cost inside the policy scope (政策范围内); None means 1.
    level : str
        Column with the hospital level (keys of ``schedule.deductible``) of inpatient claims.
    group : str, optional
        Column with the beneficiary group (keys of ``schedule.groups``; missing or
        ``"general"`` for none). Must be constant within a person-year.
    setting : str, optional
        Column with ``"inpatient"`` or ``"outpatient"``; None means all claims are inpatient.
    area : str, optional
        Column with the out-of-area type (keys of ``schedule.out_of_area``); missing, ``""``,
        ``"in_area"`` or ``"local"`` mean in-area.
    year : str, optional
        Column with the benefit year; accumulation restarts each year.
    order : str or list of str, optional
        Columns giving the order of claims within a person-year (e.g. discharge date); by
        default the row order of ``claims``.

    Returns
    -------
    Reimbursement

    Notes
    -----
    For inpatient claim :math:`i` of a person with policy-scope cost :math:`E_i = c_i s_i`,
    deductible :math:`d_i` and rate :math:`r_i` (level rate plus group bonus for in-area claims,
    out-of-area rate otherwise), the basic payment before the ceiling is
    :math:`b_i = r_i \\max(E_i - d_i, 0)`. With cumulative sums :math:`B_i = \\sum_{j \\le i} b_j`
    over the person-year and annual ceiling :math:`K`, the basic payment is
    :math:`\\min(B_i, K) - \\min(B_{i-1}, K)`. Policy-scope out-of-pocket
    :math:`o_i = E_i - \\text{basic}_i` accumulates to :math:`O_i`; critical-illness insurance pays
    :math:`F(O_i) - F(O_{i-1})` with :math:`F(O) = \\sum_k \\rho_k\\,\\mathrm{clip}(O - t_k, 0,
    t_{k+1} - t_k)` over tiers :math:`t_k` (the first is the threshold), capped cumulatively at
    its own ceiling in the same way. Outpatient claims get
    :math:`\\rho_o \\max(E_i - d_o, 0)` capped cumulatively at the outpatient ceiling and do not
    count towards the inpatient ceiling or the critical-illness threshold. Costs outside the
    policy scope are paid out of pocket. The deductible applies per admission.

    Every step is a column operation or a grouped cumulative sum, so the computation maps to
    SQL window functions (``SUM(...) OVER (PARTITION BY person, year ORDER BY ...)``).

    References
    ----------
    State Council (2016). Opinions on integrating the basic medical insurance schemes for urban
    and rural residents (国发〔2016〕3号). General Office of the State Council (2015). Opinions on
    fully implementing critical-illness insurance for urban and rural residents
    (国办发〔2015〕57号).

    Examples
    --------
    >>> import pandas as pd
    >>> s = dp.benefits.load_schedule("illustrative_urbmi_2015")
    >>> claims = pd.DataFrame({"person_id": [1, 1, 2], "cost": [5000.0, 20000.0, 800.0],
    ...                        "scope_share": [0.9, 0.8, 1.0], "level": ["level2_hospital"] * 3})
    >>> r = dp.benefits.reimburse(s, claims)
    >>> round(float(r.total), 2), round(float(r.effective_rate), 4)
    (13650.0, 0.5291)
    """
    if not isinstance(claims, pd.DataFrame):
        raise SpecificationError(f"claims must be a pandas DataFrame, got {type(claims).__name__}.")
    for name, col in (("person", person), ("cost", cost), ("scope_share", scope_share),
                      ("level", level), ("group", group), ("setting", setting),
                      ("area", area), ("year", year)):
        _require(claims, name, col)
    order_cols = [order] if isinstance(order, str) else list(order or [])
    for col in order_cols:
        _require(claims, "order", col)
    idx = claims.index
    n = len(claims)

    c = pd.to_numeric(claims[cost], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(c) | (c < 0)
    if bad.any():
        raise DataValueError(
            f"Column {cost!r} must hold finite non-negative costs; rows {_rows(bad, idx)} do not. "
            "Drop or fix them before reimbursing."
        )
    if scope_share is None:
        s = np.ones(n)
    else:
        s = pd.to_numeric(claims[scope_share], errors="coerce").to_numpy(dtype=float)
        bad = ~(s >= 0) | ~(s <= 1)
        if bad.any():
            raise DataValueError(
                f"Column {scope_share!r} must be a share in [0, 1]; rows {_rows(bad, idx)} are not "
                "(missing or outside the range; write 0.8, not 80)."
            )
    if person is None or claims[person].isna().any():
        raise DataValueError(f"Column {person!r} has missing person ids; every claim needs one.")

    if setting is None:
        inpatient = np.ones(n, dtype=bool)
    else:
        st = _labels(claims[setting])
        bad = ~st.isin(_SETTINGS).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            raise DataValueError(
                f"Column {setting!r} must be 'inpatient' or 'outpatient'; rows {_rows(bad, idx)} are "
                f"not (values {sorted(set(st[bad].astype(str)))})."
            )
        inpatient = (st == "inpatient").to_numpy(dtype=bool)

    # out-of-area type per claim
    if area is None:
        oa_type = pd.Series(pd.NA, index=idx, dtype="string")
    else:
        oa_type = _labels(claims[area])
        oa_type = oa_type.mask(oa_type.isin(IN_AREA_MARKERS).fillna(False))
    out_area = oa_type.notna().to_numpy(dtype=bool) & inpatient
    unknown = out_area & ~oa_type.isin(list(schedule.out_of_area)).fillna(False).to_numpy(dtype=bool)
    if unknown.any():
        raise DataValueError(
            f"Column {area!r} has out-of-area types the schedule has no rule for: "
            f"{sorted(set(oa_type[unknown].astype(str)))} (rows {_rows(unknown, idx)}). Known types: "
            f"{list(schedule.out_of_area)}; use missing/'in_area' for in-area claims."
        )

    lv = _labels(claims[level]) if level in claims.columns else pd.Series(pd.NA, index=idx, dtype="string")
    in_area = inpatient & ~out_area
    unknown = in_area & ~lv.isin(list(schedule.levels)).fillna(False).to_numpy(dtype=bool)
    if unknown.any():
        raise DataValueError(
            f"Column {level!r} has hospital levels the schedule has no rule for: "
            f"{sorted(set(lv[unknown].astype(str)))} (rows {_rows(unknown, idx)}). Known levels: "
            f"{list(schedule.levels)}; recode the column or add the level to the schedule."
        )

    # group parameters per claim
    g_names = list(schedule.groups)
    if group is None:
        g_code = np.full(n, -1)
    else:
        gl = _labels(claims[group])
        general = gl.isna() | (gl == "general")
        known = gl.isin(g_names).fillna(False)
        bad = ~(general | known).to_numpy(dtype=bool)
        if bad.any():
            raise DataValueError(
                f"Column {group!r} has groups the schedule has no rule for: "
                f"{sorted(set(gl[bad].astype(str)))} (rows {_rows(bad, idx)}). Known groups: "
                f"{g_names}; map ordinary enrollees to 'general' or missing."
            )
        g_code = _codes(gl, g_names, ~general.to_numpy(dtype=bool))

    def gparam(attr: str, default: float) -> np.ndarray:
        vals = np.array([default if getattr(schedule.groups[g], attr) is None
                         else float(getattr(schedule.groups[g], attr)) for g in g_names] + [default])
        return vals[g_code]  # code -1 picks the trailing default

    # accumulation order: stable sort by person-year then order columns
    keys = [person] + ([year] if year else [])
    work = pd.DataFrame({"_k" + str(i): claims[k].to_numpy() for i, k in enumerate(keys)})
    key_cols = list(work.columns)
    for i, col in enumerate(order_cols):
        work["_o" + str(i)] = claims[col].to_numpy()
    work["_pos"] = np.arange(n)
    perm = work.sort_values(key_cols + [c for c in work.columns if c.startswith("_o")] + ["_pos"],
                            kind="mergesort").index.to_numpy()
    grp_codes = work.groupby(key_cols, sort=False, dropna=False).ngroup().to_numpy()
    if group is not None:
        per = pd.DataFrame({"k": grp_codes, "g": g_code}).groupby("k")["g"].nunique()
        if (per > 1).any():
            first = per.index[per > 1][0]
            rows = idx[grp_codes == first]
            raise DataValueError(
                f"Column {group!r} changes within a person-year (e.g. rows {list(rows[:5])}); "
                "group rules apply to the whole year, so make it constant per person and year."
            )

    E = c * s
    ded_level = np.array([schedule.deductible[k] for k in schedule.levels] + [0.0])
    rate_level = np.array([schedule.rate[k] for k in schedule.levels] + [0.0])
    lv_code = _codes(lv, list(schedule.levels), in_area)
    oa_names = list(schedule.out_of_area)
    oa_code = _codes(oa_type, oa_names, out_area)
    oa_ded = np.array([schedule.out_of_area[k][0] for k in oa_names] + [0.0])
    oa_rate = np.array([schedule.out_of_area[k][1] for k in oa_names] + [0.0])

    bonus = gparam("rate_bonus", 0.0)
    dfac = gparam("deductible_factor", 1.0)
    ded = np.where(in_area, ded_level[lv_code], np.where(out_area, oa_ded[oa_code], 0.0)) * dfac
    rate = np.where(in_area, np.clip(rate_level[lv_code] + bonus, 0.0, 1.0),
                    np.where(out_area, oa_rate[oa_code], 0.0))
    ded = np.where(inpatient, ded, 0.0)
    deductible_part = np.where(inpatient, np.minimum(E, ded), 0.0)
    b_raw = np.where(inpatient, rate * np.maximum(E - ded, 0.0), 0.0)

    ceiling = gparam("ceiling", schedule.ceiling)
    basic = _capped_increment(b_raw, grp_codes, perm, ceiling)

    ci_pay = np.zeros(n)
    ci = schedule.critical_illness
    if ci is not None:
        oop = np.where(inpatient, E - basic, 0.0)
        cum, prev = _cum_prev(oop, grp_codes, perm)
        tfac = gparam("ci_threshold_factor", 1.0)
        cbonus = gparam("ci_rate_bonus", 0.0)
        bounds = [lo for lo, _ in ci.segments] + [np.inf]
        raw = np.zeros(n)
        for k, (lo, r) in enumerate(ci.segments):
            lo_k = lo * tfac
            width = np.inf if np.isinf(bounds[k + 1]) else (bounds[k + 1] - lo) * tfac
            rk = np.clip(r + cbonus, 0.0, 1.0)
            raw += rk * (np.clip(cum - lo_k, 0.0, width) - np.clip(prev - lo_k, 0.0, width))
        ci_pay = _capped_increment(raw, grp_codes, perm, gparam("ci_ceiling", ci.ceiling))

    op_pay = np.zeros(n)
    op = schedule.outpatient
    if op is not None:
        o_raw = np.where(~inpatient, op.rate * np.maximum(E - op.deductible, 0.0), 0.0)
        op_pay = _capped_increment(o_raw, grp_codes, perm, np.full(n, op.ceiling))

    reimbursed = basic + ci_pay + op_pay
    out = pd.DataFrame({
        "cost": c,
        "policy_scope": E,
        "deductible": deductible_part,
        "basic_before_ceiling": b_raw,
        "basic": basic,
        "critical_illness": ci_pay,
        "outpatient": op_pay,
        "reimbursed": reimbursed,
        "out_of_pocket": c - reimbursed,
    }, index=idx)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["effective_rate"] = np.where(c > 0, reimbursed / np.where(c > 0, c, 1.0), np.nan)
    for k in keys:
        out.insert(0, k, claims[k].to_numpy())
    spec: dict[str, Any] = {"person": person, "cost": cost, "scope_share": scope_share, "level": level,
            "group": group, "setting": setting, "area": area, "year": year, "order": tuple(order_cols)}
    return Reimbursement(claims=out, schedule=schedule, spec=ReimburseSpec(**spec, data=data_source(claims)))


def _cum_prev(x: np.ndarray, groups: np.ndarray, perm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative sum within groups in ``perm`` order, and its value before each row."""
    xs = pd.Series(x[perm])
    gs = groups[perm]
    cum_s = xs.groupby(gs, sort=False).cumsum().to_numpy()
    prev_s = pd.Series(cum_s).groupby(gs, sort=False).shift(1, fill_value=0.0).to_numpy()
    cum = np.empty_like(cum_s)
    prev = np.empty_like(prev_s)
    cum[perm] = cum_s
    prev[perm] = prev_s
    return cum, prev


def _capped_increment(x: np.ndarray, groups: np.ndarray, perm: np.ndarray,
                      cap: np.ndarray) -> np.ndarray:
    """Per-row payment when cumulative payments within a group may not exceed ``cap``."""
    cum, prev = _cum_prev(x, groups, perm)
    paid = np.minimum(cum, cap) - np.minimum(prev, cap)
    # where the cap does not bind the payment is x itself (avoids cum - prev rounding)
    return np.where(cum <= cap, x, np.maximum(paid, 0.0))
