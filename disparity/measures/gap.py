"""Gaps between group means (the urban-rural benefit gap)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._dispatch import dispatches
from .._options import SeKind, WeightType
from ..design import ReplicateDesign, SurveyDesign
from ..errors import DataValueError, SpecificationError
from ._engine import KernelOut, run, totals_kernel_out
from ._result import MeasureResult
from ._weights import Sample, _as_list, prepare

__all__ = ["gap"]


@dispatches("gap")
def gap(
    df: pd.DataFrame,
    y: str,
    group: str,
    *,
    reference: Any = None,
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
    """Absolute gap, relative gap and ratio of the mean of ``y`` between groups.

    Parameters
    ----------
    y : str
        Outcome (reimbursement, benefit, spending).
    group : str
        Column with the groups compared (e.g. ``"hukou"`` with urban/rural).
    reference : scalar, optional
        The reference level (e.g. ``"rural"``). Default: the first level in sorted order. Every
        other level is compared with it.
    weights, weight_type, by, design, cluster, se, reps, seed, progress
        As in :func:`dp.gini <disparity.gini>`; ``by=`` gives one set of gaps per year/region.

    Returns
    -------
    MeasureResult
        Components, for each level ``g`` other than the reference ``r``: ``difference[g]``
        (:math:`\\mu_g - \\mu_r`, the headline value), ``relative[g]``
        (:math:`(\\mu_g - \\mu_r)/\\mu_r`) and ``ratio[g]`` (:math:`\\mu_g/\\mu_r`); then
        ``mean[level]`` for every level. With two levels the names are ``difference``,
        ``relative`` and ``ratio``.

    Notes
    -----
    Group means :math:`\\mu_g = \\sum_{k\\in g} w_k y_k / \\sum_{k \\in g} w_k` are ratios of totals,
    with influence :math:`u_k = 1(k\\in g)(y_k - \\mu_g)/W_g`; the gap's influence follows by the
    delta method. The variance is computed over the whole sample (groups are domains), so it
    equals R ``survey``'s ``svycontrast`` of ``svyby(~y, ~group, design, svymean)``; with
    ``cluster=`` it is cluster-robust.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> des = dp.SurveyDesign(weights="weight", strata="strata", psu="psu")
    >>> r = dp.gap(df, "reimbursed", "urban", reference="农村", design=des)
    >>> round(r.value, 1), round(r.std_error, 1)  # urban minus rural mean, design-based SE
    (185.2, 143.7)

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, ch. 2-3.
    Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed. Wiley, sec. 6.
    """
    if group in _as_list(by):
        raise SpecificationError(f"gap: {group!r} cannot be both group= and by=.")
    sample = prepare(
        df, measure="gap", numeric=[y], categorical=[group], weights=weights,
        weight_type=weight_type, by=by, design=design, cluster=cluster,
    )
    codes, levels = sample.groups[group]
    labels = list(levels.iloc[:, 0])
    if len(labels) < 2:
        raise DataValueError(
            f"gap: {group!r} has a single level ({labels[0]!r}) in the data used; a gap needs two."
        )
    if reference is None:
        ref = 0
    else:
        matches = [i for i, lab in enumerate(labels) if lab == reference]
        if not matches:
            raise SpecificationError(
                f"gap: reference={reference!r} is not a level of {group!r}; levels are {labels}."
            )
        ref = matches[0]
    others = [i for i in range(len(labels)) if i != ref]
    two = len(labels) == 2
    names: list[str] = []
    for i in others:
        suffix = "" if two else f"[{labels[i]}]"
        names += [f"difference{suffix}", f"relative{suffix}", f"ratio{suffix}"]
    names += [f"mean[{lab}]" for lab in labels]

    def kernel(s: Sample, w: np.ndarray, need_if: bool) -> KernelOut:
        c, _ = s.groups[group]
        n_groups = len(labels)

        def f(t: np.ndarray) -> np.ndarray:
            means = t[1] / t[0]
            out = []
            for i in others:
                out += [means[i] - means[ref], means[i] / means[ref] - 1.0, means[i] / means[ref]]
            return np.concatenate((np.array(out), means))

        values, inf, totals, var = totals_kernel_out(f, [None, s.data[y]], w, c, n_groups, names,
                                                     need_if, s.iid_variance)
        if not (totals[0] > 0).all():
            empty = [labels[i] for i in np.flatnonzero(~(totals[0] > 0))]
            raise DataValueError(
                f"gap: level(s) {empty} of {group!r} have no observations (or zero weight) here; "
                "a gap needs both groups in every by= group."
            )
        return KernelOut(values=values, names=names, influence=inf, variance=var)

    return run(
        "gap", sample, kernel, se=se, reps=reps, seed=seed, progress=progress,
        params={"y": y, "group": group, "reference": labels[ref]}, by_cols=_as_list(by),
    )
