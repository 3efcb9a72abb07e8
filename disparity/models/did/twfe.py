"""2x2 and two-way fixed-effects difference-in-differences; the TWFE event study."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..._options import WEIGHT_TYPES, WeightType, check_option
from ...errors import CollinearityError, DataValueError, SpecificationError
from ...specs import DidSpec, data_source
from .. import covariance as cv
from ..linear import ols
from ..panel import panel
from ..results import ModelResult
from ._panel import _check_columns, cohort_values
from .results import DidResult, EventStudyResult

__all__ = ["did", "twfe_event_study", "event_dummies", "DidVcov"]

DidVcov = Literal["iid", "HC1", "cluster", "wild"]
#: alias of ``covariance.FAMILY_VCOV["did"]``
DID_VCOV = cv.FAMILY_VCOV["did"]


def _binary(data: pd.DataFrame, col: str, what: str) -> pd.Series:
    v = pd.to_numeric(data[col], errors="coerce")
    bad = ~v.isin([0, 1]) & v.notna()
    if bad.any():
        rows = data.index[bad][:5].tolist()
        raise DataValueError(f"{what} column {col!r} must be 0/1; rows {rows} hold other values.")
    return v


def _check_switch_off(data: pd.DataFrame, unit: str, time: str, d: pd.Series) -> None:
    order = data[time].argsort(kind="stable").to_numpy()
    s = d.iloc[order]
    u = data[unit].iloc[order]
    drop = s.groupby(u.to_numpy(), sort=False).diff() < 0
    if drop.any():
        units = pd.unique(u[drop.to_numpy()])[:5].tolist()
        raise DataValueError(
            f"Treatment switches off (1 then 0) for units {units}; staggered DiD assumes treatment stays on "
            "once adopted. Check those rows, or code the first-treated period with dp.cohorts()."
        )


def _fit(df: pd.DataFrame, formula_rhs: list[str], *, fe: bool, weights: str | None, weight_type: str,
         vcov: DidVcov, cluster: str | None, reps: int, seed: int | None) -> ModelResult:
    """Estimate ``y ~ rhs`` with unit and time effects (absorbed, or as dummies for weights/wild)."""
    rhs = " + ".join(formula_rhs)
    if fe and weights is None and vcov != "wild":
        # reps/seed reach the wild-bootstrap inference dp.panel uses by default with few clusters
        return panel(f"y ~ {rhs}", df, entity="unit_", time="time_", model="fe", effects="twoway",
                     vcov=vcov, cluster=cluster, reps=reps, seed=seed)
    extra = " + C(unit_) + C(time_)" if fe else ""
    kw: dict[str, Any] = {"weights": weights, "weight_type": weight_type, "vcov": vcov}
    if vcov in ("cluster", "wild"):
        kw.update(cluster=cluster, reps=reps, seed=seed)
    return ols(f"y ~ {rhs}{extra}", df, **kw)


def did(
    data: pd.DataFrame,
    outcome: str,
    *,
    treat: str | None = None,
    post: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    covariates: Sequence[str] | None = None,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    cluster: str | None = None,
    vcov: DidVcov | None = None,
    reps: int = 9999,
    seed: int | None = None,
) -> DidResult:
    """Difference-in-differences: the canonical 2x2 regression, or two-way fixed effects.

    Parameters
    ----------
    data : DataFrame
    outcome : str
    treat, post : str
        2x2 design: 0/1 columns for the treated group and the post period. With ``unit`` and
        ``time`` and no ``post``, ``treat`` is the 0/1 treatment status of each unit-period (TWFE).
    unit, time, cohort : str
        TWFE design: unit and period columns and the first-treated period (``cohort``; missing or 0
        for never treated). Treatment is :math:`D_{it} = 1\\{t \\ge g_i\\}`.
    covariates : list of str
    weights, weight_type
        Weights column and its meaning ("pweight", "aweight", "fweight").
    cluster : str
        Clustering variable (default for TWFE: ``unit``).
    vcov : {"iid", "HC1", "cluster", "wild"}
        Default: "cluster" when ``cluster`` is given or for TWFE, else "HC1". "wild" adds wild
        cluster bootstrap p-values and intervals (``reps``, ``seed``).

    Returns
    -------
    DidResult
        ``att``, ``std_error``, ``conf_int()``, ``tidy()`` and the regression (``model``).

    Notes
    -----
    2x2: :math:`y = \\alpha + \\beta_1 T + \\beta_2 P + \\delta\\, T P + x'\\gamma + u`, ATT
    :math:`=\\hat\\delta`. TWFE: :math:`y_{it} = a_i + b_t + \\delta D_{it} + x_{it}'\\gamma + u_{it}`;
    with staggered adoption and heterogeneous effects :math:`\\hat\\delta` is a weighted average of
    2x2 comparisons, some with negative weights (see :func:`bacon`), so prefer
    ``event_study(estimator="cs")``.

    References
    ----------
    Card, D. & Krueger, A. B. (1994). Minimum wages and employment. *American Economic Review* 84(4), 772-793.
    Wooldridge, J. M. (2010). *Econometric Analysis of Cross Section and Panel Data*, 2nd ed., sec. 6.5.

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> r = dp.did(panel, "benefit_gap", unit="region_code", time="year", cohort="integration_year", seed=1)
    >>> round(r.att, 3), round(r.std_error, 3)
    (-1.316, 0.13)
    """
    check_option("weight_type", weight_type, WEIGHT_TYPES)
    covariates = list(covariates or [])
    twfe = unit is not None or time is not None or cohort is not None
    if vcov is not None:
        cv.check_vcov("did", vcov)
    if twfe:
        if unit is None or time is None or (cohort is None and treat is None):
            raise SpecificationError("TWFE DiD needs unit=, time= and cohort= (or a 0/1 treat= status column).")
        if post is not None:
            raise SpecificationError("Give post= only for a 2x2 design; TWFE builds treatment from cohort= or treat=.")
        cols = [outcome, unit, time, *covariates] + [c for c in (cohort, treat, weights, cluster) if c]
        _check_columns(data, cols)
        if data.duplicated([unit, time]).any():
            rows = data.index[data.duplicated([unit, time], keep=False)][:6].tolist()
            raise DataValueError(f"Duplicated ({unit!r}, {time!r}) rows {rows}; keep one row per unit and period.")
        if cohort is not None:
            g = cohort_values(data, cohort)
            d = (pd.to_numeric(data[time]) >= g).astype(float)
        else:
            assert treat is not None  # checked above: cohort= or treat=
            d = _binary(data, treat, "Treatment")
            _check_switch_off(data, unit, time, d)
        if d.min() == d.max():
            raise DataValueError("Treatment status does not vary; there is no untreated comparison.")
        cluster = cluster or unit
        vcov = vcov or "cluster"
    else:
        if treat is None or post is None:
            raise SpecificationError("2x2 DiD needs treat= and post= (0/1 columns); or give unit=, time=, cohort= for TWFE.")
        _check_columns(data, [outcome, treat, post, *covariates] + [c for c in (weights, cluster) if c])
        tr = _binary(data, treat, "Treatment-group")
        po = _binary(data, post, "Post-period")
        if not (tr == 0).any():
            raise DataValueError(f"Every row has {treat!r} = 1: there are no untreated comparison units.")
        if not (tr == 1).any():
            raise DataValueError(f"No row has {treat!r} = 1: there is no treated group.")
        if not ((po == 0).any() and (po == 1).any()):
            raise DataValueError(f"{post!r} does not vary: a DiD needs pre- and post-period rows.")
        vcov = vcov or ("cluster" if cluster else "HC1")
    df = pd.DataFrame({"y": pd.to_numeric(data[outcome], errors="coerce")}, index=data.index)
    xs = [f"x{j}_" for j in range(len(covariates))]
    for j, c in enumerate(covariates):
        df[xs[j]] = data[c]
    if weights:
        df["w_"] = data[weights]
    if cluster:
        df["cl_"] = data[cluster]
    if twfe:
        df["unit_"], df["time_"], df["treated_"] = data[unit], data[time], d
        m = _fit(df, ["treated_", *xs], fe=True, weights="w_" if weights else None, weight_type=weight_type,
                 vcov=vcov, cluster="cl_", reps=reps, seed=seed)
        term = "treated_"
    else:
        df["treat_"], df["post_"] = tr, po
        m = _fit(df, ["treat_ + post_ + treat_:post_", *xs], fe=False, weights="w_" if weights else None,
                 weight_type=weight_type, vcov=vcov, cluster="cl_" if cluster else None, reps=reps, seed=seed)
        term = "treat_:post_"
    spec: dict[str, Any] = {"design": "twfe" if twfe else "2x2", "outcome": outcome, "vcov": vcov, "cluster": cluster,
            "weights": weights, "covariates": tuple(covariates), "nobs": m.nobs}
    return DidResult(float(m.params[term]), float(m.std_errors[term]), m, term, DidSpec(**spec, data=data_source(data)), tuple(m.spec.notes))


def _ev_name(e: int) -> str:
    return f"ev_m{-e}" if e < 0 else f"ev_p{e}"


def event_dummies(rel: np.ndarray, *, base: int, bins: tuple[int, int] | None) -> tuple[pd.DataFrame, list[int]]:
    """Relative-time dummies (never-treated rows: all zero), endpoints binned, ``base`` left out."""
    r = np.array(rel, dtype=float)
    if bins is not None:
        lo, hi = bins
        if not lo < base < hi:
            raise SpecificationError(f"bins={bins!r} must bracket the base period {base}.")
        r = np.where(np.isfinite(r), np.clip(r, lo, hi), r)
    levels = sorted({int(v) for v in r[np.isfinite(r)]} - {base})
    cols = {_ev_name(e): (r == e).astype(float) for e in levels}
    return pd.DataFrame(cols), levels


def twfe_event_study(
    data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str, *,
    covariates: Sequence[str] | None, weights: str | None, weight_type: str, cluster: str | None,
    vcov: DidVcov, base: int, bins: tuple[int, int] | None, reps: int, seed: int | None, level: float,
) -> EventStudyResult:
    """Dynamic TWFE: :math:`y_{it} = a_i + b_t + \\sum_{e \\ne base} \\beta_e 1\\{t - g_i = e\\} + u_{it}`."""
    covariates = list(covariates or [])
    _check_columns(data, [outcome, unit, time, cohort, *covariates] + [c for c in (weights, cluster) if c])
    if data.duplicated([unit, time]).any():
        rows = data.index[data.duplicated([unit, time], keep=False)][:6].tolist()
        raise DataValueError(f"Duplicated ({unit!r}, {time!r}) rows {rows}; keep one row per unit and period.")
    g = cohort_values(data, cohort)
    rel = pd.to_numeric(data[time]).to_numpy(float) - g.to_numpy()
    D, levels = event_dummies(rel, base=base, bins=bins)
    if not levels:
        raise DataValueError("No relative-time dummies can be formed; check the cohort column.")
    D.index = data.index
    df = pd.DataFrame({"y": pd.to_numeric(data[outcome], errors="coerce"), "unit_": data[unit],
                       "time_": data[time]}, index=data.index)
    xs = [f"x{j}_" for j in range(len(covariates))]
    for j, c in enumerate(covariates):
        df[xs[j]] = data[c]
    if weights:
        df["w_"] = data[weights]
    df["cl_"] = data[cluster or unit]
    df = pd.concat([df, D], axis=1)
    extra_notes: tuple[str, ...] = ()
    try:
        m = _fit(df, [*D.columns, *xs], fe=True, weights="w_" if weights else None, weight_type=weight_type,
                 vcov=vcov, cluster="cl_", reps=reps, seed=seed)
    except CollinearityError:
        if np.isfinite(g.to_numpy()).all() and len(levels) > 1:
            # Without never-treated units, unit and period effects span the full set of relative-time
            # dummies (t - g = t - g_i is linear in both): a second reference period is needed. Drop the
            # earliest one, as is standard (e.g. Borusyak, Jaravel & Spiess 2024, section 2.2).
            drop = levels[0]
            D = D.drop(columns=_ev_name(drop))
            df = df.drop(columns=_ev_name(drop))
            levels = levels[1:]
            extra_notes = (f"No never-treated units: relative period {drop} is a second reference period "
                           f"(besides {base}), because unit and period fixed effects make the full set of "
                           "relative-time dummies collinear.",)
            m = _fit(df, [*D.columns, *xs], fe=True, weights="w_" if weights else None, weight_type=weight_type,
                     vcov=vcov, cluster="cl_", reps=reps, seed=seed)
        else:
            raise
    names = list(D.columns)
    cells = pd.DataFrame({"cohort": pd.array([pd.NA] * len(levels), dtype="Int64"), "time": pd.array([pd.NA] * len(levels), dtype="Int64"),
                          "event_time": np.array(levels, dtype=np.int64), "att": m.params[names].to_numpy()})
    cov = m.cov.loc[names, names]
    cov.index = cov.columns = levels
    spec: dict[str, Any] = {"estimator": "twfe", "outcome": outcome, "base": base, "bins": bins, "vcov": vcov,
            "cluster": cluster or unit, "nobs": m.nobs, "level": level, "df": m.df, "terms": tuple(names)}
    return EventStudyResult("twfe", cells, m.std_errors[names].to_numpy(), float("nan"), DidSpec(**spec, data=data_source(data)),
                            extra_notes + tuple(m.spec.notes), cov=cov, model=m)
