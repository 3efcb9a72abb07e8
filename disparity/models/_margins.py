"""Average marginal effects by numerical differentiation of the design (delta-method SEs)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import SpecificationError
from .results import MarginalEffects, ModelResult


def average_effects(
    result: ModelResult,
    var: str,
    at: Mapping[str, Sequence[float]],
    level: float,
    *,
    frame: pd.DataFrame,
    model_spec: object,
    columns: Sequence[str],
    link: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
    coef_slice: slice | None = None,
    weights: np.ndarray | None = None,
) -> MarginalEffects:
    """Average derivative of the prediction with respect to ``var`` at each combination of ``at``.

    ``link(eta)`` returns the first and second derivatives of the mean function at ``eta``
    (``None`` for a linear prediction). The design is differentiated by central differences of the
    formula's model matrix, which is exact for designs linear in ``var`` (interactions) and exact
    to rounding for quadratics.
    """
    if var not in frame.columns:
        raise SpecificationError(
            f"{var!r} is not a variable of the model; use one of {list(frame.columns)}."
        )
    if not pd.api.types.is_numeric_dtype(frame[var]) or pd.api.types.is_bool_dtype(frame[var]):
        raise SpecificationError(
            f"{var!r} is not numeric; marginal effects of categorical variables are contrasts: "
            "compare predictions at the categories instead."
        )
    for name in at:
        if name not in frame.columns:
            raise SpecificationError(f"at={{{name!r}: ...}} names a variable not in the model.")
    sl = coef_slice or slice(0, len(result.params))
    beta = result.params.to_numpy()[sl]
    cov = result.cov.to_numpy()[sl, sl]
    sd = float(frame[var].std()) or 1.0
    h = 1e-4 * sd
    names = list(at)
    grid = list(itertools.product(*[list(at[n]) for n in names])) or [()]
    rows = []
    for values in grid:
        base = frame.copy()
        for n, v in zip(names, values, strict=True):
            base[n] = v
        lo, hi = base.copy(), base.copy()
        lo[var] = base[var] - h
        hi[var] = base[var] + h
        X0 = _mm(model_spec, base, columns)
        dX = (_mm(model_spec, hi, columns) - _mm(model_spec, lo, columns)) / (2 * h)
        if link is None:
            grad = np.average(dX, axis=0, weights=weights)
            est = float(grad @ beta)
        else:
            eta = X0 @ beta
            f1, f2 = link(eta)
            deta = dX @ beta
            est = float(np.average(f1 * deta, weights=weights))
            grad = np.average(X0 * (f2 * deta)[:, None] + dX * f1[:, None], axis=0, weights=weights)
        se = float(np.sqrt(grad @ cov @ grad))
        rows.append((*values, est, se))
    table = pd.DataFrame(rows, columns=[*names, "estimate", "std_error"])
    dist = stats.norm if result.df is None else stats.t(result.df)
    table["statistic"] = table["estimate"] / table["std_error"]
    table["p_value"] = 2 * dist.sf(np.abs(table["statistic"]))
    q = float(dist.ppf(0.5 + level / 2))
    table["conf_low"] = table["estimate"] - q * table["std_error"]
    table["conf_high"] = table["estimate"] + q * table["std_error"]
    return MarginalEffects(var, table)


def _mm(model_spec: object, data: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    with np.errstate(all="ignore"):
        mm = model_spec.get_model_matrix(data, na_action="ignore")  # type: ignore[attr-defined]
    return np.asarray(pd.DataFrame(mm)[list(columns)], dtype=float)
