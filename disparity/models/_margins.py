"""Average marginal effects by numerical differentiation of the design (delta-method SEs)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

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
    wald_columns(table, result.df, level)
    return MarginalEffects(var, table)


def wald_columns(table: pd.DataFrame, df: float | None, level: float) -> None:
    """Add ``statistic``, ``p_value``, ``conf_low`` and ``conf_high`` to a table of ``estimate``
    and ``std_error`` (in place): Wald z, or t with ``df`` degrees of freedom."""
    dist = stats.norm if df is None else stats.t(df)
    table["statistic"] = table["estimate"] / table["std_error"]
    table["p_value"] = 2 * dist.sf(np.abs(table["statistic"]))
    q = float(dist.ppf(0.5 + level / 2))
    table["conf_low"] = table["estimate"] - q * table["std_error"]
    table["conf_high"] = table["estimate"] + q * table["std_error"]


def _mm(model_spec: object, data: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    with np.errstate(all="ignore"):
        mm = model_spec.get_model_matrix(data, na_action="ignore")  # type: ignore[attr-defined]
    return np.asarray(pd.DataFrame(mm)[list(columns)], dtype=float)


#: Inverse links whose mean derivatives :class:`MeanLink` knows.
MEAN_LINKS = ("identity", "log", "inverse", "inverse_squared", "logit", "probit")


@dataclass(frozen=True, slots=True)
class MeanLink:
    """``eta -> (d mu/d eta, d2 mu/d eta2)`` of the inverse link ``kind`` at ``eta + shift``
    (``shift``: an offset, or None), as data: results hold it instead of a closure, so they pickle."""

    kind: str
    shift: np.ndarray | None = None

    def __call__(self, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.shift is not None:
            eta = eta + self.shift
        k = self.kind
        if k == "identity":
            return np.ones_like(eta), np.zeros_like(eta)
        if k == "log":
            e = np.exp(eta)
            return e, e
        if k == "inverse":
            return -1.0 / eta**2, 2.0 / eta**3
        if k == "inverse_squared":
            return -0.5 * eta**-1.5, 0.75 * eta**-2.5
        if k == "logit":
            mu = special.expit(eta)
            d1 = mu * (1 - mu)
            return d1, d1 * (1 - 2 * mu)
        if k == "probit":
            d1 = stats.norm.pdf(eta)
            return d1, -eta * d1
        raise SpecificationError(f"link {k!r} is not one of {MEAN_LINKS}.")


@dataclass(frozen=True, slots=True)
class AverageEffects:
    """``result.marginal_effects`` of a single-index model (``ModelResult._effects``), as data:
    :func:`average_effects` with the estimation rows, the formula's model spec, the coefficient
    names, the mean's derivatives (None: linear) and the weights."""

    frame: pd.DataFrame
    model_spec: Any
    columns: list[str]
    link: MeanLink | None = None
    weights: np.ndarray | None = None
    coef_slice: slice | None = None

    def __call__(self, result: ModelResult, var: str, at: Mapping[str, Sequence[float]],
                 level: float) -> MarginalEffects:
        return average_effects(result, var, at, level, frame=self.frame, model_spec=self.model_spec,
                               columns=self.columns, link=self.link, coef_slice=self.coef_slice,
                               weights=self.weights)
