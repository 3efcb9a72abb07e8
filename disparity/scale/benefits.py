"""Benefit-schedule microsimulation at claims scale: per-person annual accumulation by windows.

The rules are those of :func:`disparity.benefits.reimburse`, expressed as engine columns: every
step is a column expression or a cumulative sum over ``PARTITION BY person, year ORDER BY
order`` (``ROWS UNBOUNDED PRECEDING``), so the claims never leave the engine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..benefits import COMPONENTS, Schedule
from ..benefits.reimburse import IN_AREA_MARKERS
from ..benefits.schedule import GENERAL_GROUP
from ..errors import DataValueError, SpecificationError
from ..specs import ReimburseSpec
from ._backend import EngineTable, Progress, as_engine_table
from ._prep import check_columns, examples, f64, unsupported

__all__ = ["reimburse", "EngineReimbursement"]

_SETTINGS = ("inpatient", "outpatient")
_OUT = ["cost", "policy_scope", "deductible", "basic_before_ceiling", "basic", "critical_illness",
        "outpatient", "reimbursed", "out_of_pocket", "effective_rate"]


@dataclass(frozen=True, slots=True)
class EngineReimbursement:
    """Per-claim reimbursement under one schedule, computed lazily in the engine.

    ``claims`` is an :class:`EngineTable` with the person (and year) and order columns and the
    columns of :attr:`disparity.benefits.Reimbursement.claims`. Totals are one aggregate query.
    """

    claims: EngineTable
    schedule: Schedule
    spec: ReimburseSpec = field(default_factory=ReimburseSpec)


    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError(
            "An EngineReimbursement is a live query on the engine's connection, not data, and cannot "
            "be pickled; collect what you need first (.tidy(), .by_person().collect() or "
            ".claims.collect()) and pickle that."
        )

    def tidy(self) -> pd.DataFrame:
        """Totals by component: ``component, amount, share_of_cost`` (one engine query)."""
        t = self.claims.expr
        names = [*COMPONENTS, "reimbursed", "out_of_pocket"]
        res = t.aggregate(cost=t.cost.sum(), **{n: t[n].sum() for n in names}).to_pandas().iloc[0]
        cost = float(res["cost"])
        amounts = [float(res[n]) for n in names]
        return pd.DataFrame({
            "component": names, "amount": amounts,
            "share_of_cost": [a / cost if cost > 0 else math.nan for a in amounts],
        })

    @property
    def total(self) -> float:
        """Total reimbursed."""
        return float(self.claims.expr.reimbursed.sum().execute())

    @property
    def effective_rate(self) -> float:
        """Aggregate effective reimbursement rate: total reimbursed / total cost."""
        t = self.claims.expr
        res = t.aggregate(r=t.reimbursed.sum(), c=t.cost.sum()).to_pandas().iloc[0]
        return float(res["r"]) / float(res["c"]) if res["c"] > 0 else math.nan

    @property
    def value(self) -> float:
        return self.effective_rate

    def __float__(self) -> float:
        return self.effective_rate

    def by_person(self) -> EngineTable:
        """Annual totals per person (and year) as a lazy engine table."""
        t = self.claims.expr
        keys = [self.spec.person] + ([self.spec.year] if self.spec.year else [])
        cols = ["cost", "policy_scope", *COMPONENTS, "reimbursed", "out_of_pocket"]
        agg = t.group_by(keys).aggregate(**{c: t[c].sum() for c in cols})
        import ibis

        agg = agg.mutate(effective_rate=ibis.ifelse(agg.cost > 0, agg.reimbursed / agg.cost, None))
        return EngineTable(agg.order_by(keys), self.claims.engine, self.claims.source)

    def _repr_html_(self) -> str:
        return (f"<p><b>Reimbursement</b> under {self.schedule.name or 'schedule'} on "
                f"{self.claims.engine.name}</p>" + self.tidy().to_html(index=False))


def _lookup(key: Any, mapping: dict[str, float], default: float) -> Any:
    import ibis

    if not mapping:
        return f64(default)
    return ibis.cases(*[(key == k, f64(v)) for k, v in mapping.items()], else_=f64(default))


def _clip(x: Any, lo: float, hi: float) -> Any:
    import ibis

    return ibis.least(ibis.greatest(x, f64(lo)), f64(hi))


def reimburse(
    schedule: Schedule,
    claims: EngineTable,
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
    check_order: bool = True,
    progress: Any = None,
) -> EngineReimbursement:
    """Apply a schedule to claims in the engine, accumulating annually per person.

    Same arguments and rules as :func:`disparity.benefits.reimburse`; ``order=`` is required
    (an engine table has no row order) and must order the claims of a person-year uniquely
    (e.g. ``["discharge_date", "claim_id"]``); ``check_order=True`` verifies that (one
    aggregate over the claims).

    Returns
    -------
    EngineReimbursement
        Lazy per-claim results (``.claims``), totals (``.tidy()``, ``.total``,
        ``.effective_rate``) and person-year totals (``.by_person()``).

    Notes
    -----
    Basic payment :math:`\\min(B_i, K) - \\min(B_{i-1}, K)` with :math:`B_i` the running sum of
    :math:`r_i\\max(E_i-d_i, 0)` over the person-year; critical illness
    :math:`F(O_i) - F(O_{i-1})` on the running policy-scope out-of-pocket :math:`O_i`, capped the
    same way; outpatient pooling capped at its ceiling. Running sums are
    ``SUM(x) OVER (PARTITION BY person, year ORDER BY order ROWS UNBOUNDED PRECEDING)``.

    References
    ----------
    State Council (2016). Opinions on integrating the basic medical insurance schemes for urban
    and rural residents (国发〔2016〕3号). General Office of the State Council (2015). Opinions
    on fully implementing critical-illness insurance (国办发〔2015〕57号).

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> claims = pd.DataFrame({"person_id": [1, 1, 2], "claim_id": [1, 2, 3],
    ...                        "cost": [5000.0, 20000.0, 800.0], "scope_share": [0.9, 0.8, 1.0],
    ...                        "level": ["level2_hospital"] * 3, "area": ["in_area"] * 3})
    >>> claims.to_parquet("claims.parquet")
    >>> s = dp.benefits.load_schedule("illustrative_urbmi_2015")
    >>> with warnings.catch_warnings():  # Ibis/DuckDB deprecation warnings
    ...     warnings.simplefilter("ignore")
    ...     t = dp.scale.read_parquet("claims.parquet")
    ...     r = dp.scale.reimburse(s, t, area="area", order="claim_id")
    ...     print(round(r.total, 2), round(r.effective_rate, 4))
    13650.0 0.5291
    """
    import ibis

    if not isinstance(schedule, Schedule):
        raise SpecificationError(f"scale.reimburse: schedule must be a dp.benefits.Schedule, got "
                                 f"{type(schedule).__name__}.")
    et = as_engine_table(claims, "reimburse")
    prog = Progress(et.engine.progress if progress is None else progress)
    order_cols = [order] if isinstance(order, str) else list(order or [])
    if not order_cols:
        raise unsupported(
            "reimburse", "accumulating in row order (order=None)",
            "engine tables have no row order: pass order= with columns that order each person's "
            "claims within a year uniquely, e.g. order=['discharge_date', 'claim_id'].",
        )
    named = {"person": person, "cost": cost, "scope_share": scope_share, "group": group,
             "setting": setting, "area": area, "year": year}
    for name, col in named.items():
        if col is not None and col not in et.columns:
            raise SpecificationError(
                f"scale.reimburse: {name}={col!r} is not a column of the claims; columns are "
                f"{et.columns[:20]}."
            )
    check_columns(et, "reimburse", order_cols)
    t = et.expr
    keys = [person] + ([year] if year else [])
    show = list(dict.fromkeys([*keys, *order_cols, cost]))

    def labels(col: str) -> Any:
        return t[col].cast("string").strip()

    c = t[cost].cast("float64")
    s = t[scope_share].cast("float64") if scope_share else f64(1.0)
    inpatient = labels(setting) == "inpatient" if setting else ibis.literal(True)
    if area:
        oa = labels(area)
        in_markers = oa.isnull() | oa.isin(list(IN_AREA_MARKERS))
        out_area = ~in_markers & inpatient
    else:
        oa = ibis.literal(None, type="string")
        out_area = ibis.literal(False)
    in_area = inpatient & ~out_area
    lv = labels(level) if level in et.columns else ibis.literal(None, type="string")
    g_names = list(schedule.groups)
    if group:
        gl = labels(group)
        general = gl.isnull() | (gl == GENERAL_GROUP)
    else:
        gl = ibis.literal(None, type="string")
        general = ibis.literal(True)

    # one aggregate for every row-level check
    checks = {
        "bad_cost": c.isnull() | c.isnan() | c.isinf() | (c < 0),
        "bad_share": s.isnull() | s.isnan() | (s < 0) | (s > 1),
        "bad_person": t[person].isnull(),
    }
    if setting:
        checks["bad_setting"] = labels(setting).isnull() | ~labels(setting).isin(list(_SETTINGS))
    if area:
        checks["bad_area"] = out_area & ~oa.isin(list(schedule.out_of_area) or ["\x00"])
    checks["bad_level"] = in_area & (lv.isnull() | ~lv.isin(list(schedule.levels)))
    if group:
        checks["bad_group"] = ~general & ~gl.isin(g_names or ["\x00"])
    prog("reimburse: checking claims (one pass)")
    counts = t.aggregate(**{k: v.fill_null(True).cast("int64").sum() for k, v in checks.items()}
                         ).to_pandas().iloc[0]
    why = {
        "bad_cost": f"Column {cost!r} must hold finite non-negative costs",
        "bad_share": f"Column {scope_share!r} must be a share in [0, 1] (write 0.8, not 80)",
        "bad_person": f"Column {person!r} has missing person ids; every claim needs one",
        "bad_setting": f"Column {setting!r} must be 'inpatient' or 'outpatient'",
        "bad_area": f"Column {area!r} has out-of-area types the schedule has no rule for (known: "
                    f"{list(schedule.out_of_area)}; use missing/'in_area' for in-area claims)",
        "bad_level": f"Column {level!r} has hospital levels the schedule has no rule for (known: "
                     f"{list(schedule.levels)})",
        "bad_group": f"Column {group!r} has groups the schedule has no rule for (known: {g_names}; "
                     "map ordinary enrollees to 'general' or missing)",
    }
    for k, n_bad in counts.items():
        if n_bad > 0:
            cols = show + [x for x in (scope_share, setting, area, group) if x] + (
                [level] if level in et.columns else [])
            raise DataValueError(
                f"scale.reimburse: {why[k]}; {int(n_bad)} claim(s) do not, e.g.\n"
                f"{examples(t, checks[k].fill_null(True), list(dict.fromkeys(cols)))}"
            )
    if group:
        prog("reimburse: checking the group is constant within person-years")
        per = t.group_by(keys).aggregate(_k=gl.fill_null(GENERAL_GROUP).nunique())
        n_var = int((per._k > 1).cast("int64").sum().execute())
        if n_var:
            ex = per.filter(per._k > 1).select(*keys).limit(5).to_pandas()
            raise DataValueError(
                f"scale.reimburse: column {group!r} changes within {n_var} person-year(s), e.g.\n"
                f"{ex.to_string(index=False)}\ngroup rules apply to the whole year, so make it "
                "constant per person and year."
            )
    if check_order:
        prog("reimburse: checking that order= orders claims uniquely")
        dup = t.group_by([*keys, *order_cols]).aggregate(_n=t.count())
        n_dup = int((dup._n > 1).cast("int64").sum().execute())
        if n_dup:
            ex = dup.filter(dup._n > 1).select(*keys, *order_cols).limit(5).to_pandas()
            raise DataValueError(
                f"scale.reimburse: order={order_cols} does not order the claims of a person-year "
                f"uniquely ({n_dup} ties), e.g.\n{ex.to_string(index=False)}\nadd a claim id to "
                "order= (accumulation would otherwise depend on the engine's arbitrary order)."
            )

    def gparam(attr: str, default: float) -> Any:
        vals = {}
        for g in g_names:
            v = getattr(schedule.groups[g], attr)
            vals[g] = default if v is None else float(v)
        return _lookup(gl, vals, default) if group else f64(default)

    E = c * s
    dfac = gparam("deductible_factor", 1.0)
    ded_lv = _lookup(lv, dict(schedule.deductible), 0.0)
    rate_lv = _lookup(lv, dict(schedule.rate), 0.0)
    if area:
        oa_ded = _lookup(oa, {k: v[0] for k, v in schedule.out_of_area.items()}, 0.0)
        oa_rate = _lookup(oa, {k: v[1] for k, v in schedule.out_of_area.items()}, 0.0)
    else:  # no area column: every claim is in-area (comparing Ibis' NULL literal with labels fails)
        oa_ded = oa_rate = f64(0.0)
    zero = f64(0.0)
    ded = ibis.ifelse(in_area, ded_lv, ibis.ifelse(out_area, oa_ded, zero)) * dfac
    ded = ibis.ifelse(inpatient, ded, zero)
    rate = ibis.ifelse(in_area, _clip(rate_lv + gparam("rate_bonus", 0.0), 0.0, 1.0),
                       ibis.ifelse(out_area, oa_rate, zero))
    step = t.mutate(
        _E=E, _inp=inpatient, _cost=c,
        _ceil=gparam("ceiling", schedule.ceiling),
        _tfac=gparam("ci_threshold_factor", 1.0), _cbonus=gparam("ci_rate_bonus", 0.0),
        _cceil=gparam("ci_ceiling", schedule.critical_illness.ceiling
                      if schedule.critical_illness else math.inf),
        _dedpart=ibis.ifelse(inpatient, ibis.least(E, ded), zero),
        _braw=ibis.ifelse(inpatient, rate * ibis.greatest(E - ded, zero), zero),
    )
    win = ibis.window(group_by=keys, order_by=order_cols, preceding=None, following=0)

    def running(tab: Any, col: str, prefix: str) -> Any:
        """Add the running sum of ``col`` (``prefix``cum) and its value before the row."""
        cum = tab[col].sum().over(win)
        tab = tab.mutate(**{f"{prefix}cum": cum})
        # value before the row: the running sum of the previous row (0 for the first)
        prev = tab[f"{prefix}cum"].lag(1).over(ibis.window(group_by=keys, order_by=order_cols))
        return tab.mutate(**{f"{prefix}prev": prev.fill_null(zero)})

    def capped(tab: Any, col: str, cap: str, prefix: str, out: str) -> Any:
        tab = running(tab, col, prefix)
        cum, prev, x, k = tab[f"{prefix}cum"], tab[f"{prefix}prev"], tab[col], tab[cap]
        paid = ibis.least(cum, k) - ibis.least(prev, k)
        return tab.mutate(**{out: ibis.ifelse(cum <= k, x, ibis.greatest(paid, zero))})

    prog("reimburse: building the window plan (runs lazily on use)")
    step = capped(step, "_braw", "_ceil", "_b", "_basic")
    ci = schedule.critical_illness
    if ci is not None:
        step = step.mutate(_oop=ibis.ifelse(step._inp, step._E - step._basic, zero))
        step = running(step, "_oop", "_o")
        bounds = [lo for lo, _ in ci.segments] + [math.inf]
        raw = None
        for k, (lo, r) in enumerate(ci.segments):
            lo_k = step._tfac * f64(lo)
            rk = _clip(step._cbonus + f64(r), 0.0, 1.0)
            if math.isinf(bounds[k + 1]):
                part = ibis.greatest(step._ocum - lo_k, zero) - ibis.greatest(step._oprev - lo_k, zero)
            else:
                width = step._tfac * f64(bounds[k + 1] - lo)
                part = (ibis.least(ibis.greatest(step._ocum - lo_k, zero), width)
                        - ibis.least(ibis.greatest(step._oprev - lo_k, zero), width))
            term = rk * part
            raw = term if raw is None else raw + term
        step = step.mutate(_ciraw=raw)
        step = capped(step, "_ciraw", "_cceil", "_c", "_ci")
    else:
        step = step.mutate(_ci=zero)
    op = schedule.outpatient
    if op is not None:
        step = step.mutate(
            _oraw=ibis.ifelse(step._inp, zero,
                              f64(op.rate) * ibis.greatest(step._E - f64(op.deductible), zero)),
            _ocap=f64(op.ceiling))
        step = capped(step, "_oraw", "_ocap", "_p", "_op")
    else:
        step = step.mutate(_op=zero)
    reimbursed = step._basic + step._ci + step._op
    out = step.select(
        *keys, *[x for x in order_cols if x not in keys],
        cost=step._cost, policy_scope=step._E, deductible=step._dedpart,
        basic_before_ceiling=step._braw, basic=step._basic, critical_illness=step._ci,
        outpatient=step._op, reimbursed=reimbursed, out_of_pocket=step._cost - reimbursed,
        effective_rate=ibis.ifelse(step._cost > 0, reimbursed / step._cost, None),
    )
    spec: dict[str, Any] = {"person": person, "cost": cost, "scope_share": scope_share, "level": level,
            "group": group, "setting": setting, "area": area, "year": year, "order": tuple(order_cols)}
    return EngineReimbursement(claims=EngineTable(out, et.engine, et.source), schedule=schedule,
                               spec=ReimburseSpec(**spec))
