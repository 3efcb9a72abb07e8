"""Concentration index (standard, generalized, Wagstaff, Erreygers), curve and dominance test."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from .. import _display
from .._dispatch import dispatches
from .._options import SeKind, WeightType, check_option
from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, DisparityWarning, SpecificationError
from ..specs import MeasureSpec
from ._engine import KernelOut, fast_index, rank_rows, run
from ._formulas import ci_transform
from ._result import CurveResult, MeasureResult
from ._variance import linearized_variance
from ._weights import Sample, _as_list, prepare, rows_text
from .gini import _curve, curve_points, ordinate_influence, replicate_ordinate_se

__all__ = ["concentration_index", "concentration_curve", "dominance_test", "DominanceResult"]

CIKind = Literal["standard", "generalized", "wagstaff", "erreygers"]
CI_KINDS: tuple[str, ...] = ("standard", "generalized", "wagstaff", "erreygers")


def check_bounds(
    sample: Sample, y: str, kind: str, bounds: tuple[float, float] | None, measure: str
) -> tuple[float, float] | None:
    """Validate ``bounds=`` for the Wagstaff/Erreygers corrections."""
    if kind not in ("wagstaff", "erreygers"):
        return None
    if bounds is None:
        raise SpecificationError(
            f"{measure}: kind={kind!r} needs the outcome's bounds; pass bounds=(min, max), e.g. "
            "bounds=(0, 1) for a binary outcome or bounds=(0, 100) for a score."
        )
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise SpecificationError(f"{measure}: bounds={bounds!r} must be a pair (min, max).") from None
    if not lo < hi:
        raise SpecificationError(f"{measure}: bounds={bounds!r} must satisfy min < max.")
    v = sample.data[y]
    bad = (v < lo) | (v > hi)
    if bad.any():
        raise DataValueError(
            f"{measure}: {y!r} lies outside bounds ({lo:g}, {hi:g}) in {rows_text(sample.index, bad)}; "
            "fix the bounds or the data."
        )
    return lo, hi



def ci_stats(
    ranked, y_sorted: np.ndarray, kind: str, bounds, need_if: bool, name: str  # noqa: ANN001
) -> tuple[float, np.ndarray | None]:
    """One concentration index (value, influence in sorted order) from a shared ranking."""
    w = ranked.w
    mu = float(np.dot(w, y_sorted)) / ranked.total
    if kind == "standard" and mu == 0:
        raise DataValueError(
            f"the (weighted) mean of {name!r} is zero, so its standard concentration index is "
            "undefined; use kind='generalized'."
        )
    if kind == "wagstaff":
        lo, hi = bounds
        if not lo < mu < hi:
            raise DataValueError(
                f"the mean of {name!r} equals a bound, so the Wagstaff index is undefined."
            )
    value, _, _, inf = fast_index(ranked, y_sorted, ci_transform(kind, bounds), need_if)
    return value, inf


def warn_negative_outcome(sample: Sample, y: str) -> None:
    """The standard index lies in [-1, 1] only for a non-negative outcome: say so when it is not."""
    neg = sample.data[y] < 0
    if neg.any():
        warnings.warn(
            f"concentration_index: {y!r} has negative values in {rows_text(sample.index, neg)}, so "
            "the standard concentration index is not bounded by [-1, 1] and can exceed them (its "
            "mean may even be near zero). Use kind='generalized' (absolute inequality), or "
            "kind='erreygers' with bounds=(min, max) for a bounded outcome.",
            DisparityWarning,
            stacklevel=3,
        )


def check_rank_variation(sample: Sample, rank: str, measure: str) -> None:
    r = sample.data[rank]
    if r.min() == r.max():
        raise DataValueError(
            f"{measure}: the ranking variable {rank!r} has no variation (every value is {r[0]:g}), "
            "so a fractional rank cannot order the population; choose another ranking variable."
        )


@dispatches("concentration_index")
def concentration_index(
    df: pd.DataFrame,
    y: str,
    rank: str,
    *,
    kind: CIKind = "standard",
    bounds: tuple[float, float] | None = None,
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
    """Concentration index of ``y`` across the distribution of ``rank`` (e.g. income).

    Parameters
    ----------
    y : str
        Health, use or benefit variable.
    rank : str
        Socioeconomic ranking variable (income, consumption, wealth score); ties share their
        mean fractional rank.
    kind : {"standard", "generalized", "wagstaff", "erreygers"}
        The standard index :math:`C`, the generalized :math:`GC = \\mu C`, and the corrections for
        bounded outcomes of Wagstaff (2005) and Erreygers (2009), which need ``bounds``.
    bounds : (float, float), optional
        Theoretical minimum and maximum of ``y`` (required for ``"wagstaff"`` and ``"erreygers"``).
    weights, weight_type, by, design, cluster, se, reps, seed, progress
        As in :func:`dp.gini <disparity.gini>`.

    Notes
    -----
    With tie-averaged fractional ranks :math:`R_k` of ``rank``:

    .. math:: C = \\frac{2}{W\\mu}\\sum_k w_k y_k R_k - 1 = \\frac{2}{\\mu}\\,\\mathrm{cov}_w(y, R),
              \\qquad GC = \\mu C,

    .. math:: C^{W} = \\frac{(b-a)\\,\\mu\\,C}{(b-\\mu)(\\mu-a)},\\qquad
              C^{E} = \\frac{4\\,\\mu\\,C}{b-a}

    (bounds :math:`[a, b]`; for a 0/1 outcome :math:`C^W = C/(1-\\mu)`). Standard errors come from the
    influence function (the derivative of the estimator with respect to each weight),

    .. math:: u^{GC}_k = \\frac{1}{W}\\Big[y_k(2R_k - 1) + \\frac{2}{W}\\sum_i w_i y_i K_{ik}
              - 2GC - \\mu\\Big], \\quad K_{ik} = 1(x_i > x_k) + \\tfrac12 1(x_i = x_k),

    combined with :math:`u^{\\mu}_k = (y_k - \\mu)/W` by the delta method. For unweighted data this
    variance equals the Kakwani, Wagstaff & van Doorslaer (1997) formula times n/(n-1).

    References
    ----------
    Kakwani, N., Wagstaff, A., & van Doorslaer, E. (1997). Socioeconomic inequalities in health:
    measurement, computation, and statistical inference. *Journal of Econometrics* 77(1), 87-103.
    O'Donnell, O., van Doorslaer, E., Wagstaff, A., & Lindelow, M. (2008). *Analyzing Health Equity
    Using Household Survey Data*. World Bank, ch. 8.
    Wagstaff, A. (2005). The bounds of the concentration index when the variable of interest is
    binary. *Health Economics* 14(4), 429-432.
    Erreygers, G. (2009). Correcting the concentration index. *Journal of Health Economics* 28(2),
    504-515.
    O'Donnell, O., O'Neill, S., Van Ourti, T., & Walsh, B. (2016). conindex: Estimation of
    concentration indices. *Stata Journal* 16(1), 112-138.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.concentration_index(df, "reimbursed", "income", weights="weight")
    >>> round(r.value, 4), round(r.std_error, 4)
    (0.0062, 0.0385)
    """
    check_option("kind", kind, CI_KINDS)
    numeric = [y] if rank == y else [y, rank]
    sample = prepare(
        df, measure="concentration_index", numeric=numeric, weights=weights,
        weight_type=weight_type, by=by, design=design, cluster=cluster,
    )
    check_rank_variation(sample, rank, "concentration_index")
    b = check_bounds(sample, y, kind, bounds, "concentration_index")
    if kind == "standard":
        warn_negative_outcome(sample, y)

    def kernel(s: Sample, w: np.ndarray, need_if: bool) -> KernelOut:
        ranked = rank_rows(s.data[rank], w, s.data[y])
        assert ranked.y is not None  # ranked with y=: the outcome is carried in y
        value, inf = ci_stats(ranked, ranked.y, kind, b, need_if, y)
        return KernelOut(values=np.array([value]), names=[kind], influence=inf,
                         perm=ranked.order, w_perm=ranked.w)

    return run(
        "concentration_index", sample, kernel, se=se, reps=reps, seed=seed, progress=progress,
        params={"y": y, "rank": rank, "kind": kind, "bounds": b}, by_cols=_as_list(by),
    )


def concentration_curve(
    df: pd.DataFrame,
    y: str,
    rank: str,
    *,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    by: str | Sequence[str] | None = None,
    design: SurveyDesign | ReplicateDesign | None = None,
    cluster: str | None = None,
    points: int | None = None,
    generalized: bool = False,
) -> CurveResult:
    """Concentration curve: cumulative share of ``y`` against cumulative population ranked by ``rank``.

    Notes
    -----
    Vertices :math:`(\\sum_{i\\le k} w_i/W,\\ \\sum_{i\\le k} w_i y_i/\\sum_i w_i y_i)` after sorting by
    ``rank``, one per distinct rank value (ties are pooled), starting at (0, 0). ``points=k``
    interpolates on p = 0, 1/k, ..., 1 and adds standard errors (as :func:`dp.lorenz
    <disparity.lorenz>`); ``generalized=True`` gives cumulative amounts per head.

    References
    ----------
    O'Donnell, O., van Doorslaer, E., Wagstaff, A., & Lindelow, M. (2008). *Analyzing Health Equity
    Using Household Survey Data*. World Bank, ch. 7.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> c = dp.concentration_curve(df, "reimbursed", "income", weights="weight", points=4)
    >>> c.tidy()["ordinate"].round(3).tolist()
    [0.0, 0.235, 0.471, 0.76, 1.0]
    """
    return _curve(
        "concentration_curve", df, y, rank, weights=weights, weight_type=weight_type, by=by,
        points=points, generalized=generalized, design=design, cluster=cluster,
    )


@_display.shown(lambda r: f"Dominance test: {r.conclusion}")
@dataclass(frozen=True, slots=True)
class DominanceResult:
    """Outcome of a dominance test of a concentration (or Lorenz) curve against the diagonal.

    ``table`` has one row per evaluation point: ``p``, ``ordinate``, ``difference`` (ordinate - p),
    ``std_error``, ``statistic``; ``critical_value`` is the multiple-comparison threshold and
    ``conclusion`` one of ``"dominates"`` (curve above the diagonal: concentrated among the poor),
    ``"dominated"`` (below: among the rich), ``"crossing"`` or ``"non-dominance"``.
    """

    table: pd.DataFrame
    critical_value: float
    conclusion: str
    level: float
    #: what was tested, on which data (file, checksum, shape of the frame)
    spec: MeasureSpec = field(default_factory=MeasureSpec)

    def tidy(self) -> pd.DataFrame:
        """The per-point table (a copy)."""
        return self.table.copy()


def dominance_test(
    df: pd.DataFrame,
    y: str,
    rank: str | None = None,
    *,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    design: SurveyDesign | ReplicateDesign | None = None,
    cluster: str | None = None,
    n_points: int = 19,
    level: float = 0.95,
) -> DominanceResult:
    """Test a concentration curve (Lorenz curve if ``rank`` is None) against the line of equality.

    Parameters
    ----------
    weights, weight_type, design, cluster
        As in :func:`dp.gini <disparity.gini>`; the ordinates' standard errors are design-based
        (or cluster-robust) accordingly.
    n_points : int
        Evaluation points p = 1/(n_points+1), ..., n_points/(n_points+1) (19 gives the
        0.05, ..., 0.95 grid of O'Donnell et al. 2008).
    level : float
        Joint confidence level of the multiple-comparison decision.

    Notes
    -----
    At each :math:`p` the ordinate :math:`L(p)=\\sum_k w_k y_k 1(R_k \\le p)/\\sum_k w_k y_k` is
    compared with :math:`p`. Its influence function accounts for the estimated quantile
    (Bishop, Chow & Formby 1994; Davidson & Duclos 2000):
    :math:`u_k = [y_k 1(R_k\\le p) - m(p)(1(R_k \\le p) - p) - \\mu L(p) - L(p)(y_k - \\mu)]/(W\\mu)`
    with :math:`m(p)` the mean of :math:`y` near the p-quantile of the ranking (the quantile
    itself for a Lorenz curve; a window of ±0.05 in rank otherwise). The decision uses the
    studentized-maximum-modulus rule with infinite degrees of freedom (Šidák critical value):
    dominance if at least one difference is significant in one direction and none in the other.

    References
    ----------
    Bishop, J. A., Chow, K. V., & Formby, J. P. (1994). Testing for marginal changes in income
    distributions with Lorenz and concentration curves. *International Economic Review* 35(2),
    479-488.
    O'Donnell, O., van Doorslaer, E., Wagstaff, A., & Lindelow, M. (2008). *Analyzing Health Equity
    Using Household Survey Data*. World Bank, ch. 7.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.dominance_test(df, "reimbursed", "income", weights="weight")
    >>> r.conclusion, r.table.shape
    ('non-dominance', (19, 5))
    """
    if not isinstance(n_points, int) or n_points < 1:
        raise SpecificationError(f"n_points={n_points!r} must be a positive integer, e.g. 19.")
    if not 0 < level < 1:
        raise SpecificationError(f"level={level!r} must be between 0 and 1.")
    r = y if rank is None else rank
    numeric = [y] if r == y else [y, r]
    sample = prepare(df, measure="dominance_test", numeric=numeric, weights=weights,
                     weight_type=weight_type, design=design, cluster=cluster)
    check_rank_variation(sample, r, "dominance_test")
    ranked = rank_rows(sample.data[r], sample.w)
    ys = sample.data[y][ranked.order]
    if float(ranked.w @ ys) == 0:
        raise DataValueError(f"dominance_test: the mean of {y!r} is zero.")
    grid = np.arange(1, n_points + 1) / (n_points + 1)
    vertices = curve_points(sample.data[r], sample.data[y], sample.w, None, False)
    ordinates = np.interp(grid, vertices["p"], vertices["ordinate"])
    rows = []
    z_all = []
    rep_se = (replicate_ordinate_se(sample.data[r], sample.data[y], sample, grid, False)
              if sample.replicate else None)
    for i, (p, ordinate) in enumerate(zip(grid, ordinates, strict=True)):
        if rep_se is not None:
            se_p = float(rep_se[i])
        else:
            u_sorted = ordinate_influence(ranked, ys, float(p), False, rank is None or rank == y)
            u = np.empty_like(u_sorted)
            u[ranked.order] = u_sorted
            se_p = float(np.sqrt(max(linearized_variance(u, sample)[0], 0.0)))
        diff = float(ordinate - p)
        stat = diff / se_p if se_p > 0 else np.sign(diff) * np.inf if diff != 0 else 0.0
        rows.append({"p": p, "ordinate": ordinate, "difference": diff, "std_error": se_p,
                     "statistic": stat})
        z_all.append(stat)
    crit = float(stats.norm.ppf(1 - (1 - level ** (1 / n_points)) / 2))
    zs = np.array(z_all)
    above = (zs > crit).any()
    below_ = (zs < -crit).any()
    conclusion = (
        "crossing" if above and below_
        else "dominates" if above else "dominated" if below_ else "non-dominance"
    )
    spec = MeasureSpec(measure="dominance_test", weights=sample.weights_name,
                       weight_type=sample.weight_type if sample.weighted else None, cluster=cluster,
                       options={"y": y, "rank": rank, "n_points": n_points, "level": level}, data=sample.source)
    return DominanceResult(table=pd.DataFrame(rows), critical_value=crit, conclusion=conclusion,
                           level=level, spec=spec)
