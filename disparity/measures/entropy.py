"""Generalised entropy family: GE(alpha), Theil T, mean log deviation, coefficient of variation.

With ``group=``, GE(alpha) is decomposed additively into within- and between-group parts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import xlogy

from .._dispatch import dispatches
from .._options import SeKind, WeightType
from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, SpecificationError
from ._engine import KernelOut, run, totals_kernel_out
from ._formulas import ge_of as _ge_of
from ._result import MeasureResult
from ._weights import Sample, _as_list, prepare, require_values

__all__ = ["ge", "theil", "mld", "cv"]

_REFS = """
    References
    ----------
    Shorrocks, A. F. (1980). The class of additively decomposable inequality measures.
    *Econometrica* 48(3), 613-625.
    Cowell, F. A. (2011). *Measuring Inequality*, 3rd ed. Oxford University Press, ch. 3 and A.
    Biewen, M., & Jenkins, S. P. (2006). Variance estimation for generalized entropy and Atkinson
    inequality indices: the complex survey data case. *Oxford Bulletin of Economics and Statistics*
    68(3), 371-383.
"""



def _per_row(alpha: float, y: np.ndarray) -> np.ndarray:
    if alpha == 1:
        return xlogy(y, y)
    if alpha == 0:
        return np.log(y)
    if alpha == 2:
        return y * y
    return y**alpha


def _ge_kernel(
    alpha: float, y: str, group: str | None, transform: str | None
):  # noqa: ANN202
    def kernel(s: Sample, w: np.ndarray, need_if: bool) -> KernelOut:
        v = s.data[y]
        h = [None, v, _per_row(alpha, v)]
        if group is None:
            codes, levels, n_groups = None, None, 1
        else:
            codes, levels = s.groups[group]
            n_groups = levels.shape[0]

        def f(t: np.ndarray) -> np.ndarray:
            wg, yg, sg = t[0], t[1], t[2]
            total = _ge_of(alpha, wg.sum(), yg.sum(), sg.sum())
            if transform == "cv":
                return np.array([np.sqrt(2.0 * total)])
            if group is None:
                return np.array([total])
            big_w, big_y = wg.sum(), yg.sum()
            ge_g = _ge_of(alpha, wg, yg, sg)
            pop, inc = wg / big_w, yg / big_y
            weight = pop ** (1.0 - alpha) * inc**alpha
            # a group with no income (or no members here) contributes nothing to the within
            # part; its own index is undefined (NaN) when alpha >= 1 or it is empty
            within = np.where(yg.real == 0, 0.0, weight * ge_g).sum()
            means = np.where(wg.real == 0, 1.0, yg) / np.where(wg.real == 0, 1.0, wg)
            smooth = np.where(wg.real == 0, 0.0, wg * _smoothed(alpha, means))
            between = _ge_of(alpha, big_w, big_y, smooth.sum())
            return np.concatenate(([total, within, between], ge_g))

        names = ["cv"] if transform == "cv" else ["total"]
        if levels is not None:  # group= given
            labels = [str(x) for x in levels.iloc[:, 0]]
            names = ["total", "within", "between"] + [f"{group}={lab}" for lab in labels]
        values, inf, totals, var = totals_kernel_out(f, h, w, codes, n_groups, names, need_if,
                                                     s.iid_variance)
        details = None
        if levels is not None:
            wg, yg = totals[0], totals[1]
            with np.errstate(divide="ignore", invalid="ignore"):
                pop, inc = wg / wg.sum(), yg / yg.sum()
                weight = np.where(wg > 0, pop ** (1.0 - alpha) * inc**alpha, 0.0)
                ge_g = values[3:]
                contribution = np.where(yg == 0, 0.0, weight * ge_g)
                details = pd.DataFrame({
                    group: levels.iloc[:, 0].to_numpy(),
                    "pop_share": pop,
                    "income_share": inc,
                    "mean": np.where(wg > 0, yg / np.where(wg > 0, wg, 1.0), np.nan),
                    "index": ge_g,
                    "weight": weight,
                    "contribution": contribution,
                    "share_of_total": contribution / values[0] if values[0] != 0 else np.nan,
                })
        return KernelOut(values=values, names=names, influence=inf, details=details, variance=var)

    return kernel


def _smoothed(alpha: float, means):  # noqa: ANN001, ANN202
    if alpha == 1:  # 0 ln 0 = 0
        return means * np.log(np.where(means.real == 0, 1.0, means))
    if alpha == 0:
        return np.log(means)
    return means**alpha


def _entropy(
    measure: str, df: pd.DataFrame, y: str, alpha: float, group: str | None, transform: str | None,
    *, weights: str | None, weight_type: WeightType, by: str | Sequence[str] | None,
    design: SurveyDesign | ReplicateDesign | None, cluster: str | None, se: SeKind, reps: int,
    seed: int | np.random.Generator | None, progress: bool = True,
) -> MeasureResult:
    if not isinstance(alpha, int | float) or not np.isfinite(alpha):
        raise SpecificationError(f"{measure}: alpha={alpha!r} must be a finite number, e.g. 0, 1 or 2.")
    alpha = float(alpha)
    if group is not None and by is not None and group in _as_list(by):
        raise SpecificationError(f"{measure}: {group!r} cannot be both group= and by=.")
    sample = prepare(
        df, measure=measure, numeric=[y], categorical=[group] if group else [], weights=weights,
        weight_type=weight_type, by=by, design=design, cluster=cluster,
    )
    if alpha <= 0:
        require_values(sample, y, positive=True, why=f"GE(alpha={alpha:g}) (a log or negative power)",
                       measure=measure)
    else:
        require_values(sample, y, nonnegative=True, why=f"GE(alpha={alpha:g})", measure=measure)
    if not (sample.w * sample.data[y]).sum() > 0:
        raise DataValueError(f"{measure}: the mean of {y!r} is zero; the index is undefined.")
    kernel = _ge_kernel(alpha, y, group, transform)
    return run(
        measure, sample, kernel, se=se, reps=reps, seed=seed, progress=progress,
        params={"y": y, "alpha": alpha, "group": group}, by_cols=_as_list(by),
    )


@dispatches("ge")
def ge(
    df: pd.DataFrame,
    y: str,
    *,
    alpha: float = 1.0,
    group: str | None = None,
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
    """Generalised entropy index GE(alpha), optionally decomposed by ``group``.

    Parameters
    ----------
    y : str
        Outcome column; non-negative, and strictly positive when ``alpha <= 0``.
    alpha : float
        Sensitivity parameter: 0 is the mean log deviation, 1 the Theil T index, 2 half the squared
        coefficient of variation.
    group : str, optional
        Column defining a partition (urban/rural, east/central/west). The result then has
        components ``total``, ``within``, ``between`` and one ``<group>=<level>`` per group (that
        group's own index); ``details`` holds population and income shares, weights and
        contributions.
    weights, weight_type, by, design, cluster, se, reps, seed, progress
        As in :func:`dp.gini <disparity.gini>`.

    Notes
    -----
    .. math:: GE(\\alpha) = \\frac{1}{\\alpha(\\alpha-1)}\\Big[\\frac{1}{W}\\sum_k w_k
              \\Big(\\frac{y_k}{\\mu}\\Big)^{\\alpha} - 1\\Big],\\quad
              GE(1) = \\frac{1}{W}\\sum_k w_k \\frac{y_k}{\\mu}\\ln\\frac{y_k}{\\mu},\\quad
              GE(0) = -\\frac{1}{W}\\sum_k w_k \\ln\\frac{y_k}{\\mu}

    (with :math:`0 \\ln 0 = 0`). Decomposition (Shorrocks 1980): with population shares
    :math:`v_g`, income shares :math:`s_g` and group means :math:`\\mu_g`,

    .. math:: GE = \\underbrace{\\sum_g v_g^{1-\\alpha} s_g^{\\alpha} GE_g}_{\\text{within}}
              + \\underbrace{GE(\\{\\mu_g\\})}_{\\text{between}},

    the between part being the index of the distribution in which everyone has their group mean.
    Every component is a smooth function of weighted group totals
    :math:`(W_g, Y_g, \\sum w y^{\\alpha})`; its influence function follows by the chain rule, with
    the derivatives taken by complex-step differentiation (exact to rounding).

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.ge(df, "income", alpha=2, weights="weight")
    >>> round(r.value, 4)
    0.2434
    """
    return _entropy("ge", df, y, alpha, group, None, weights=weights, weight_type=weight_type,
                    by=by, design=design, cluster=cluster, se=se, reps=reps, seed=seed,
                    progress=progress)


ge.__doc__ = (ge.__doc__ or "") + _REFS


@dispatches("theil")
def theil(
    df: pd.DataFrame,
    y: str,
    group: str | None = None,
    *,
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
    """Theil T index, GE(1), optionally decomposed into ``within`` and ``between`` by ``group``.

    Parameters
    ----------
    y : str
        Non-negative outcome column (zeros allowed).
    group : str, optional
        Partition for the decomposition (e.g. ``"urban"`` or a region column).
    weights, weight_type, by, design, cluster, se, reps, seed, progress
        As in :func:`dp.gini <disparity.gini>`.

    Returns
    -------
    MeasureResult
        Component ``total``; with ``group=`` also ``within``, ``between`` and each group's own
        index, plus ``details`` (population share, income share, mean, index, weight,
        contribution and share of the total per group).

    Notes
    -----
    :math:`T = \\frac{1}{W}\\sum_k w_k \\frac{y_k}{\\mu}\\ln\\frac{y_k}{\\mu}` with :math:`0\\ln 0 = 0`;
    zeros are allowed. With ``group=``: :math:`T = \\sum_g s_g T_g + \\sum_g s_g \\ln(\\mu_g/\\mu)`
    (income-share weighted within part plus between part). Access the parts as
    ``result.within`` and ``result.between`` (each a result with its own standard error). See
    :func:`ge` for the general formula and influence functions.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.theil(df, "income", "urban", weights="weight")
    >>> round(r.value, 4), round(r.within.value, 4), round(r.between.value, 4)
    (0.2013, 0.1587, 0.0426)
    """
    return _entropy("theil", df, y, 1.0, group, None, weights=weights, weight_type=weight_type,
                    by=by, design=design, cluster=cluster, se=se, reps=reps, seed=seed,
                    progress=progress)


theil.__doc__ = (theil.__doc__ or "") + _REFS


@dispatches("mld")
def mld(
    df: pd.DataFrame,
    y: str,
    group: str | None = None,
    *,
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
    """Mean log deviation, GE(0); needs strictly positive ``y``.

    Parameters
    ----------
    y : str
        Strictly positive outcome column.
    group : str, optional
        Partition for the decomposition into ``within`` and ``between``.
    weights, weight_type, by, design, cluster, se, reps, seed, progress
        As in :func:`dp.gini <disparity.gini>`.

    Returns
    -------
    MeasureResult
        As :func:`theil`.

    Notes
    -----
    :math:`MLD = \\frac{1}{W}\\sum_k w_k \\ln(\\mu / y_k)`; with ``group=`` the within part is
    population-share weighted, :math:`\\sum_g v_g MLD_g`. See :func:`ge`.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.mld(df, "income", "urban", weights="weight")
    >>> round(r.value, 4), round(r.within.value, 4), round(r.between.value, 4)
    (0.2003, 0.1575, 0.0429)
    """
    return _entropy("mld", df, y, 0.0, group, None, weights=weights, weight_type=weight_type,
                    by=by, design=design, cluster=cluster, se=se, reps=reps, seed=seed,
                    progress=progress)


mld.__doc__ = (mld.__doc__ or "") + _REFS


def cv(
    df: pd.DataFrame,
    y: str,
    *,
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
    """Coefficient of variation, :math:`\\sigma/\\mu = \\sqrt{2\\,GE(2)}` (population variance).

    Parameters
    ----------
    y : str
        Non-negative outcome column.
    weights, weight_type, by, design, cluster, se, reps, seed, progress
        As in :func:`dp.gini <disparity.gini>`.

    Returns
    -------
    MeasureResult
        Component ``cv``.

    Notes
    -----
    :math:`\\sigma^2 = \\frac{1}{W}\\sum_k w_k (y_k - \\mu)^2` (divisor :math:`W`, as in the GE
    family); the standard error is from the influence function of :math:`\\sqrt{2 GE(2)}`.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.cv(df, "income", weights="weight")
    >>> round(r.value, 4)
    0.6978
    """
    return _entropy("cv", df, y, 2.0, None, "cv", weights=weights, weight_type=weight_type,
                    by=by, design=design, cluster=cluster, se=se, reps=reps, seed=seed,
                    progress=progress)


cv.__doc__ = (cv.__doc__ or "") + _REFS
