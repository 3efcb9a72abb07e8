"""Sun & Abraham (2021) interaction-weighted event study."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...errors import DataValueError
from ...specs import DidSpec, data_source
from ._panel import _check_columns, _check_numeric, cohort_values
from .results import EventStudyResult
from .twfe import DidVcov, _fit

__all__ = ["sunab_event_study"]


def sunab_event_study(
    data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str, *,
    covariates: Sequence[str] | None, weights: str | None, weight_type: str, cluster: str | None,
    vcov: DidVcov, base: int, reps: int, seed: int | None, level: float,
) -> EventStudyResult:
    """Interaction-weighted estimator.

    Notes
    -----
    Regress :math:`y_{it} = a_i + b_t + \\sum_{g \\notin C} \\sum_{e \\ne base} \\delta_{g,e}
    1\\{G_i = g\\} 1\\{t - g = e\\} + u_{it}` with control cohort :math:`C` = never treated (or, if
    there are none, the last-treated cohort, keeping only periods before it is treated), then average
    :math:`\\hat\\beta_e = \\sum_g \\hat\\delta_{g,e} \\Pr(G=g \\mid e)` with shares the (weighted) numbers
    of observations in each cohort at relative time :math:`e`; variance :math:`w'\\hat V w`.

    References
    ----------
    Sun, L. & Abraham, S. (2021). Estimating dynamic treatment effects in event studies with
    heterogeneous treatment effects. *Journal of Econometrics* 225(2), 175-199.
    """
    covariates = list(covariates or [])
    _check_columns(data, [outcome, unit, time, cohort, *covariates] + [c for c in (weights, cluster) if c])
    _check_numeric(data, [outcome, *covariates] + ([weights] if weights else []))
    if data.duplicated([unit, time]).any():
        rows = data.index[data.duplicated([unit, time], keep=False)][:6].tolist()
        raise DataValueError(f"Duplicated ({unit!r}, {time!r}) rows {rows}; keep one row per unit and period.")
    g = cohort_values(data, cohort).to_numpy()
    t = pd.to_numeric(data[time]).to_numpy(float)
    notes: list[str] = []
    keep = ~(np.isfinite(g) & (g <= t.min()))
    if (~keep).any():
        notes.append("Units treated from the first period (always treated) were dropped.")
    if np.isinf(g[keep]).any():
        ctrl_g = np.inf
    else:
        ctrl_g = float(np.max(g[keep]))
        keep &= t < ctrl_g
        notes.append(f"No never-treated units: cohort {int(ctrl_g)} (last treated) is the control; "
                     f"periods from {int(ctrl_g)} on are dropped.")
    sub = data.loc[keep]
    g, t = g[keep], t[keep]
    rel = t - g
    treated_cohort = np.isfinite(g) & (g != ctrl_g)
    cells = sorted({(int(a), int(b)) for a, b in zip(g[treated_cohort], rel[treated_cohort], strict=True)
                    if b != base})
    if not cells:
        raise DataValueError("No cohort-by-relative-time cells to estimate; check the cohort column.")
    cols = {}
    for cg, e in cells:
        cols[f"c{cg}_{'m' if e < 0 else 'p'}{abs(e)}"] = ((g == cg) & (rel == e)).astype(float)
    D = pd.DataFrame(cols, index=sub.index)
    df = pd.DataFrame({"y": pd.to_numeric(sub[outcome], errors="coerce"), "unit_": sub[unit], "time_": sub[time]},
                      index=sub.index)
    xs = [f"x{j}_" for j in range(len(covariates))]
    for j, c in enumerate(covariates):
        df[xs[j]] = sub[c]
    if weights:
        df["w_"] = sub[weights]
    df["cl_"] = sub[cluster or unit]
    df = pd.concat([df, D], axis=1)
    m = _fit(df, [*D.columns, *xs], fe=True, weights="w_" if weights else None, weight_type=weight_type,
             vcov=vcov, cluster="cl_", reps=reps, seed=seed)
    names = list(D.columns)
    b = m.params[names].to_numpy()
    V = m.cov.loc[names, names].to_numpy()
    wv = pd.to_numeric(sub[weights]).to_numpy(float) if weights else np.ones(len(sub))
    mass = np.array([wv[(g == cg) & (rel == e)].sum() for cg, e in cells])
    es = np.array([e for _, e in cells])
    share = np.array([mass[i] / mass[es == e].sum() for i, e in enumerate(es)])
    labels = [f"{cg}:{e}" for cg, e in cells]
    out = pd.DataFrame({"cohort": pd.array([cg for cg, _ in cells], dtype="Int64"),
                        "time": pd.array([cg + e for cg, e in cells], dtype="Int64"),
                        "event_time": es.astype(np.int64), "att": b, "n_obs": mass, "weight": share})
    spec: dict[str, Any] = {"estimator": "sa", "outcome": outcome, "base": base, "vcov": vcov, "cluster": cluster or unit,
            "control_cohort": "never" if np.isinf(ctrl_g) else int(ctrl_g), "nobs": m.nobs, "level": level, "df": m.df}
    cells_df = pd.DataFrame(cells, columns=["cohort", "event_time"]).assign(delta=b, weight_mass=mass)
    if vcov == "wild":
        notes.append("Sun-Abraham effects are weighted sums of coefficients: their p-values and intervals use "
                     "the cluster-robust variance, not the wild bootstrap.")
    return EventStudyResult("sa", out, np.sqrt(np.diag(V)), float("nan"), DidSpec(**spec, data=data_source(data)),
                            tuple(notes) + tuple(m.spec.notes),
                            cov=pd.DataFrame(V, index=labels, columns=labels), model=m, raw={"cells": cells_df})


def sunab_weights(cells: pd.DataFrame, kind: str, *, min_e: float = -np.inf,
                  max_e: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Aggregation matrix of the cohort-by-event-time coefficients: (labels, R), estimates ``R @ delta``.

    Each row averages the cells of one event time ("dynamic"), cohort ("group") or calendar period
    ("calendar"), or all post-treatment cells ("simple", one row), with weights proportional to the
    (weighted) number of observations in each cell (Sun & Abraham 2021, eq. 10; fixest's
    ``aggregate(agg = "att")``). "group", "calendar" and "simple" use post-treatment cells
    (event time >= 0) only.
    """
    e = cells["event_time"].to_numpy(float)
    g = cells["cohort"].to_numpy(float)
    t = cells["time"].to_numpy(float)
    n = cells["n_obs"].to_numpy(float)
    window = (e >= min_e) & (e <= max_e)
    post = window & (e >= 0)
    if kind == "simple":
        if not post.any():
            raise DataValueError("There are no post-treatment cells to aggregate.")
        return np.array([]), (np.where(post, n, 0.0) / n[post].sum())[None, :]
    key, sel = {"dynamic": (e, window), "group": (g, post), "calendar": (t, post)}[kind]
    labels = np.array(sorted(set(key[sel])))
    R = np.zeros((len(labels), len(cells)))
    for i, lab in enumerate(labels):
        m = sel & (key == lab)
        R[i, m] = n[m] / n[m].sum()
    return labels, R
