"""``event_study``: one entry point for TWFE, Callaway-Sant'Anna and Sun-Abraham event studies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..._options import WEIGHT_TYPES, WeightType, check_option
from ...errors import SpecificationError
from ...specs import DidSpec, data_source
from ._inference import analytic_se, multiplier_bootstrap
from ._panel import wide_panel
from .cs import CS_CONTROLS, CS_METHODS, group_time_effects
from .results import EventStudyResult
from .sunab import sunab_event_study
from .twfe import DID_VCOV, DidVcov, twfe_event_study

__all__ = ["event_study"]

Estimator = Literal["twfe", "cs", "sa"]
Control = Literal["never", "notyet"]
Method = Literal["dr", "ipw", "reg"]


def event_study(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    estimator: Estimator = "cs",
    control: Control = "never",
    covariates: Sequence[str] | None = None,
    method: Method = "dr",
    base: int = -1,
    base_period: Literal["varying", "universal"] = "varying",
    bins: tuple[int, int] | None = None,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    cluster: str | None = None,
    vcov: DidVcov = "cluster",
    se: Literal["bootstrap", "analytic"] = "bootstrap",
    reps: int = 999,
    seed: int | None = None,
    level: float = 0.95,
) -> EventStudyResult:
    """Event study / staggered difference-in-differences.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per ``unit`` and ``time``.
    outcome, unit, time : str
    cohort : str
        First treated period of each unit (constant within unit; missing, 0 or inf = never treated).
        Build it from a timing table with :func:`cohorts`.
    estimator : {"cs", "twfe", "sa"}
        Callaway & Sant'Anna (2021) group-time effects (default), the two-way fixed-effects event
        study, or Sun & Abraham (2021).
    control : {"never", "notyet"}
        CS comparison group: never-treated units, or units not yet treated by period ``t`` (needed
        when every unit is eventually treated).
    covariates : list of str
        CS: pre-treatment covariates (taken in the base period) used by ``method``; TWFE/SA: added
        as regressors.
    method : {"dr", "ipw", "reg"}
        CS with covariates: doubly robust (Sant'Anna & Zhao 2020), inverse probability weighting,
        or outcome regression.
    base : int
        TWFE/SA reference relative period (left out), -1 by default.
    base_period : {"varying", "universal"}
        CS base period for pre-treatment cells (R ``did`` semantics).
    bins : (int, int), optional
        TWFE: relative times at or below ``bins[0]`` and at or above ``bins[1]`` are pooled.
    weights, weight_type
        Sampling weights (fixed per unit for CS).
    cluster : str
        Clustering variable (default the unit). CS: the multiplier bootstrap draws one multiplier per
        cluster.
    vcov : {"cluster", "HC1", "iid", "wild"}
        TWFE/SA regression covariance.
    se : {"bootstrap", "analytic"}
        CS standard errors: multiplier bootstrap (as R ``did``) or from the influence function.
    reps, seed
        Multiplier-bootstrap draws (CS; 0 for none; uniform bands need them) or wild-bootstrap draws
        (TWFE/SA with ``vcov="wild"``) and the seed.
    level : float
        Level of the uniform confidence band.

    Returns
    -------
    EventStudyResult
        ``att_gt()``, ``aggregate(kind)``, ``pretrend_test()``, ``plot()``. For "cs" and "sa",
        ``att_gt()`` has one row per cohort and period (Sun-Abraham: the cohort-specific effects
        :math:`CATT_{g,e}`, with ``n_obs`` and ``weight``) and ``aggregate`` gives the overall,
        event-time, cohort and calendar effects; for "twfe" the rows are event times.

    Notes
    -----
    CS: :math:`ATT(g,t) = E[Y_t - Y_{b} \\mid G=g] - E[Y_t - Y_{b} \\mid C]` with :math:`b = g-1` for
    :math:`t \\ge g` (and :math:`t-1` before, with the varying base), :math:`C` the comparison group;
    with covariates the conditional version is estimated by DRDID. Standard errors come from the
    influence functions :math:`\\psi_i`: :math:`\\mathrm{se} = \\sqrt{\\sum_i \\psi_i^2}/n`, or from a
    Rademacher multiplier bootstrap (IQR-based scale), which also gives the sup-t critical value of the
    uniform band.

    References
    ----------
    Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time periods.
    *Journal of Econometrics* 225(2), 200-230.
    Sant'Anna, P. H. C. & Zhao, J. (2020). Doubly robust difference-in-differences estimators.
    *Journal of Econometrics* 219(1), 101-122.
    Sun, L. & Abraham, S. (2021). *Journal of Econometrics* 225(2), 175-199.

    Examples
    --------
    >>> panel = dp.datasets.province_panel()
    >>> es = dp.event_study(panel, "benefit_gap", "region_code", "year", "integration_year",
    ...                     control="notyet", se="analytic")
    >>> agg = es.aggregate("simple")
    >>> round(agg.value, 3), round(agg.std_error, 3)
    (-2.539, 0.391)
    """
    check_option("estimator", estimator, ("twfe", "cs", "sa"))
    check_option("weight_type", weight_type, WEIGHT_TYPES)
    if not 0 < level < 1:
        raise SpecificationError(f"level={level!r} must be between 0 and 1.")
    if not isinstance(reps, int | np.integer) or reps < 0:
        raise SpecificationError(f"reps={reps!r} must be a non-negative integer.")
    if estimator == "twfe":
        check_option("vcov", vcov, DID_VCOV)
        return twfe_event_study(data, outcome, unit, time, cohort, covariates=covariates, weights=weights,
                                weight_type=weight_type, cluster=cluster, vcov=vcov, base=base, bins=bins,
                                reps=reps, seed=seed, level=level)
    if estimator == "sa":
        check_option("vcov", vcov, DID_VCOV)
        return sunab_event_study(data, outcome, unit, time, cohort, covariates=covariates, weights=weights,
                                 weight_type=weight_type, cluster=cluster, vcov=vcov, base=base, reps=reps,
                                 seed=seed, level=level)
    check_option("control", control, CS_CONTROLS)
    check_option("method", method, CS_METHODS)
    check_option("base_period", base_period, ("varying", "universal"))
    check_option("se", se, ("bootstrap", "analytic"))
    if weight_type == "fweight":
        raise SpecificationError("CS uses unit-level sampling weights; use weight_type='pweight'.")
    if se == "bootstrap" and reps == 0:
        raise SpecificationError("se='bootstrap' needs reps > 0; use se='analytic' for no bootstrap.")
    P = wide_panel(data, outcome, unit, time, cohort, covariates=covariates, weights=weights,
                   cluster=None if cluster in (None, unit) else cluster)
    gt = group_time_effects(P, control=control, method=method, base_period=base_period)
    ses = analytic_se(gt.inf, P.cluster)
    crit = float("nan")
    if reps:
        bd = multiplier_bootstrap(gt.inf, reps=reps, seed=seed, level=level, cluster=P.cluster)
        crit = bd.crit
        if se == "bootstrap":
            ses = bd.se
    # universal base: the reference cell (t = g - 1) is 0 by construction and has no standard error
    ses = np.where(gt.cells["time"].to_numpy() == gt.cells["base"].to_numpy(), np.nan, ses)
    spec: dict[str, Any] = {"estimator": "cs", "outcome": outcome, "control": control, "method": method if covariates else "unconditional",
            "covariates": tuple(covariates or ()), "base_period": base_period, "se": se, "reps": reps, "seed": seed,
            "level": level, "cluster": cluster or unit, "nobs": len(P.units), "n_periods": len(P.times),
            "weights": weights}
    return EventStudyResult("cs", gt.cells, ses, crit, DidSpec(**spec, data=data_source(data)), P.notes + gt.notes, inf=gt.inf, G=P.G, w=P.w,
                            cluster=P.cluster)
