"""Frozen result objects of the decompositions (Oaxaca-Blinder, mediation, threshold regression)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ... import _display
from ...errors import SpecificationError

__all__ = ["Estimate", "DecompSummary", "tidy_frame", "html_table"]

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]


def _check_level(level: float) -> float:
    if not isinstance(level, (int, float)) or not 0 < level < 1:
        raise SpecificationError(f"level={level!r} must be a number between 0 and 1 (e.g. 0.95).")
    return float(level)


@dataclass(frozen=True, slots=True)
class Estimate:
    """One scalar estimate with its standard error (a decomposition component, an indirect effect, ...).

    Attributes
    ----------
    name : str
    value : float
    std_error : float
        ``nan`` when no standard error was requested.
    interval : tuple of float, optional
        A 95% interval that is not ``value ± z·se`` (bootstrap percentile or bias-corrected, LR
        inversion); :meth:`conf_int` returns it at level ``interval_level``.
    df : float, optional
        Degrees of freedom of a t reference distribution (``None``: standard normal).
    """

    name: str
    value: float
    std_error: float = float("nan")
    interval: tuple[float, float] | None = None
    interval_level: float = 0.95
    df: float | None = None

    def _dist(self) -> Any:
        return stats.norm if self.df is None else stats.t(self.df)

    @property
    def estimate(self) -> float:
        return self.value

    @property
    def statistic(self) -> float:
        return self.value / self.std_error if self.std_error > 0 else float("nan")

    @property
    def p_value(self) -> float:
        z = self.statistic
        return float(2 * self._dist().sf(abs(z))) if np.isfinite(z) else float("nan")

    def conf_int(self, level: float = 0.95) -> tuple[float, float]:
        """Confidence interval: the stored interval at its level, otherwise normal with the standard error."""
        level = _check_level(level)
        if self.interval is not None and abs(level - self.interval_level) < 1e-12:
            return self.interval
        q = float(self._dist().ppf(0.5 + level / 2))
        return (self.value - q * self.std_error, self.value + q * self.std_error)

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        se = f" ({self.std_error:.6g})" if np.isfinite(self.std_error) else ""
        return f"<Estimate {self.name} = {self.value:.6g}{se}>"

    def __str__(self) -> str:
        return _display.text(_display.View(self.name, self.row()))

    def _repr_html_(self) -> str:
        return _display.html(_display.View(self.name, self.row()))

    def row(self, level: float = 0.95) -> dict[str, Any]:
        lo, hi = self.conf_int(level)
        return {
            "term": self.name,
            "estimate": self.value,
            "std_error": self.std_error,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "conf_low": lo,
            "conf_high": hi,
        }


def tidy_frame(estimates: list[Estimate], level: float = 0.95, **labels: list[Any]) -> pd.DataFrame:
    """Rows of :meth:`Estimate.row`, with optional leading label columns."""
    frame = pd.DataFrame([e.row(level) for e in estimates], columns=TIDY_COLUMNS)
    for pos, (name, values) in enumerate(labels.items()):
        frame.insert(pos, name, values)
    return frame


@dataclass(frozen=True, slots=True)
class DecompSummary:
    """What a report needs to render a decomposition: tables, fit information, notes (never printed)."""

    tables: Mapping[str, pd.DataFrame]
    info: Mapping[str, Any]
    notes: tuple[str, ...] = field(default=())

    def _view(self) -> _display.View:
        info = {k: v for k, v in self.info.items() if np.isscalar(v) or v is None}
        title = str(info.pop("method", info.pop("estimator", "decomposition")))
        return _display.View(title, info, dict(self.tables), tuple(self.notes))

    def __str__(self) -> str:
        return _display.text(self._view())

    def __repr__(self) -> str:
        return _display.repr_line(self, self._view(), keys=("nobs",))

    def _repr_html_(self) -> str:
        return _display.html(self._view())


def html_table(title: str, table: pd.DataFrame, notes: tuple[str, ...] = ()) -> str:
    """A result's table as HTML, rendered by the shared display module (:mod:`disparity._display`)."""
    return _display.html(_display.View(title, {}, {"": table}, tuple(notes)))


def linearized_cov(
    infl: np.ndarray,
    *,
    kind: str,
    clusters: np.ndarray | None = None,
    design: Any = None,
    frame: pd.DataFrame | None = None,
    fweights: np.ndarray | None = None,
    data: pd.DataFrame | None = None,
) -> np.ndarray:
    """Covariance of estimators from their influence functions (rows: observations).

    ``kind`` "HC0": :math:`\\sum_i \\psi_i\\psi_i'`; "cluster":
    :math:`\\frac{G}{G-1}\\sum_g \\Psi_g\\Psi_g'` with cluster totals :math:`\\Psi_g`; "survey":
    with-replacement Taylor linearisation over strata and PSUs. With frequency weights each row stands
    for ``w_i`` identical observations with influence :math:`\\psi_i/w_i`.
    """
    from ..covariance import _cluster_meat, survey_meat

    if kind == "cluster":
        if clusters is None:
            raise SpecificationError("linearized_cov(kind='cluster') needs the cluster codes (clusters=).")
        meat, G = _cluster_meat(infl, clusters)
        return meat * G / (G - 1)
    if kind == "survey":
        if frame is None:
            raise SpecificationError("linearized_cov(kind='survey') needs the design frame (frame=).")
        meat, _ = survey_meat(infl, design, frame, data=data)  # data: domain estimation
        return meat
    if fweights is not None:
        return (infl / fweights[:, None]).T @ infl
    return infl.T @ infl


# Bootstrap refits solve scaled normal equations by Cholesky while the squared smallest pivot
# (about 1/condition number) stays above CHOL_MIN_PIVOT2; beyond it they switch to a rank-revealing
# QR (LAPACK gelsy), which rejects resamples whose rank (at RANK_TOL) is deficient.
CHOL_MIN_PIVOT2 = 1e-8
RANK_TOL = 1e-10


def fast_wls(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Weighted least squares for bootstrap replicates (speed matters, Monte Carlo error dominates).

    Raises ``numpy.linalg.LinAlgError`` when the resample's design is rank deficient (e.g. a
    regressor without variation).
    """
    from scipy import linalg as sl

    if w is not None:
        sw = np.sqrt(w)
        X, y = X * sw[:, None], y * sw
    A = X.T @ X
    d = np.sqrt(np.diag(A))
    if np.any(d == 0):
        raise np.linalg.LinAlgError("a regressor is identically zero in the resample")
    try:
        c, low = sl.cho_factor(A / np.outer(d, d))
        if np.min(np.abs(np.diag(c))) ** 2 >= CHOL_MIN_PIVOT2:
            return sl.cho_solve((c, low), (X.T @ y) / d) / d
    except np.linalg.LinAlgError:
        pass
    beta, _, rank, _ = sl.lstsq(X, y, cond=RANK_TOL, lapack_driver="gelsy")
    if rank < X.shape[1]:
        raise np.linalg.LinAlgError("rank-deficient bootstrap sample")
    return beta
