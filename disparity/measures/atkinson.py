"""Atkinson inequality index."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._options import SeKind, WeightType
from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, SpecificationError
from ._engine import KernelOut, run, totals_kernel_out
from ._result import MeasureResult
from ._weights import Sample, _as_list, prepare, require_values

__all__ = ["atkinson"]


def atkinson(
    df: pd.DataFrame,
    y: str,
    *,
    epsilon: float = 1.0,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    by: str | Sequence[str] | None = None,
    design: SurveyDesign | ReplicateDesign | None = None,
    cluster: str | None = None,
    se: SeKind = "analytic",
    reps: int = 500,
    seed: int | np.random.Generator | None = None,
    progress: bool = True,
) -> MeasureResult:
    """Atkinson index A(epsilon) and the equally distributed equivalent.

    Parameters
    ----------
    y : str
        Outcome column: non-negative, strictly positive when ``epsilon >= 1``.
    epsilon : float
        Inequality aversion, >= 0.
    weights, weight_type, by, design, cluster, se, reps, seed, progress
        As in :func:`dp.gini <disparity.gini>`.

    Returns
    -------
    MeasureResult
        Components ``"atkinson"`` and ``"ede"`` (equally distributed equivalent
        :math:`y_{ede} = \\mu (1 - A)`).

    Notes
    -----
    .. math:: A(\\varepsilon) = 1 - \\frac{1}{\\mu}\\Big[\\frac{1}{W}\\sum_k w_k
              y_k^{1-\\varepsilon}\\Big]^{1/(1-\\varepsilon)}\\ (\\varepsilon \\ne 1),\\qquad
              A(1) = 1 - \\frac{1}{\\mu}\\exp\\Big(\\frac{1}{W}\\sum_k w_k \\ln y_k\\Big).

    Both are smooth functions of the totals :math:`(W, \\sum w y, \\sum w y^{1-\\varepsilon})`, so the
    influence function follows by the chain rule (Biewen & Jenkins 2006).

    References
    ----------
    Atkinson, A. B. (1970). On the measurement of inequality. *Journal of Economic Theory* 2(3),
    244-263.
    Biewen, M., & Jenkins, S. P. (2006). Variance estimation for generalized entropy and Atkinson
    inequality indices: the complex survey data case. *Oxford Bulletin of Economics and Statistics*
    68(3), 371-383.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.atkinson(df, "income", epsilon=1, weights="weight")
    >>> r.tidy()["estimate"].round(2).tolist()  # A(1) and the EDE income
    [0.18, 24004.85]
    """
    if not isinstance(epsilon, int | float) or not np.isfinite(epsilon) or epsilon < 0:
        raise SpecificationError(
            f"atkinson: epsilon={epsilon!r} must be a finite number >= 0 (e.g. 0.5, 1 or 2)."
        )
    eps = float(epsilon)
    sample = prepare(
        df, measure="atkinson", numeric=[y], weights=weights, weight_type=weight_type, by=by,
        design=design, cluster=cluster,
    )
    if eps >= 1:
        require_values(sample, y, positive=True, why=f"the Atkinson index with epsilon={eps:g}",
                       measure="atkinson")
    else:
        require_values(sample, y, nonnegative=True, why="the Atkinson index", measure="atkinson")
    if not (sample.w * sample.data[y]).sum() > 0:
        raise DataValueError(f"atkinson: the mean of {y!r} is zero; the index is undefined.")

    def kernel(s: Sample, w: np.ndarray, need_if: bool) -> KernelOut:
        v = s.data[y]
        per_row = np.log(v) if eps == 1 else v ** (1.0 - eps)

        def f(t: np.ndarray) -> np.ndarray:
            big_w, big_y, big_s = t[0, 0], t[1, 0], t[2, 0]
            mu = big_y / big_w
            ede = np.exp(big_s / big_w) if eps == 1 else (big_s / big_w) ** (1.0 / (1.0 - eps))
            return np.array([1.0 - ede / mu, ede])

        values, inf, _, var = totals_kernel_out(f, [None, v, per_row], w, None, 1,
                                                ["atkinson", "ede"], need_if, s.iid_variance)
        return KernelOut(values=values, names=["atkinson", "ede"], influence=inf, variance=var)

    return run(
        "atkinson", sample, kernel, se=se, reps=reps, seed=seed, progress=progress,
        params={"y": y, "epsilon": eps}, by_cols=_as_list(by),
    )
