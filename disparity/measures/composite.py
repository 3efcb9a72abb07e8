"""Composite indices: entropy weights, TOPSIS, composite scores, coupling coordination,
obstacle degree and the six-unification integration index."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .. import _display
from .._options import check_option
from ..errors import DataValueError, SpecificationError
from ..specs import CompositeSpec, data_source
from ._indicators import (
    DirectionSpec,
    directions,
    indicator_list,
    indicator_matrix,
    minmax,
    weight_vector,
)

__all__ = [
    "entropy_weights",
    "topsis",
    "composite_index",
    "coupling_coordination",
    "obstacle_degree",
    "integration_index",
    "EntropyWeights",
    "TopsisResult",
    "CompositeIndex",
    "ObstacleDegree",
    "COORDINATION_BANDS",
    "UNIFICATION_ITEMS",
]


# ----------------------------------------------------------------------------- entropy weights
@_display.shown(lambda r: "Entropy weights")
@dataclass(frozen=True, slots=True)
class EntropyWeights:
    """Entropy weights with the quantities behind them.

    Attributes
    ----------
    weights : Series
        Weight per indicator (sums to 1), indexed by indicator.
    entropy : Series
        Information entropy :math:`e_j` per indicator.
    divergence : Series
        Degree of divergence :math:`d_j = 1 - e_j`.
    normalized : DataFrame
        The normalised matrix the proportions were taken from.
    spec : CompositeSpec
        ``normalize``, ``direction`` and ``shift`` used.
    """

    weights: pd.Series
    entropy: pd.Series
    divergence: pd.Series
    normalized: pd.DataFrame
    spec: CompositeSpec = field(default_factory=CompositeSpec)


    def __getitem__(self, indicator: str) -> float:
        return float(self.weights[indicator])

    def to_series(self) -> pd.Series:
        """The weights as a Series named ``weight``."""
        return self.weights.copy()

    def tidy(self) -> pd.DataFrame:
        """Columns ``indicator, entropy, divergence, weight``."""
        return pd.DataFrame({
            "indicator": self.weights.index,
            "entropy": self.entropy.to_numpy(),
            "divergence": self.divergence.to_numpy(),
            "weight": self.weights.to_numpy(),
        })


def entropy_weights(
    df: pd.DataFrame,
    indicators: Sequence[str],
    *,
    normalize: Literal["minmax", "proportion"] = "minmax",
    direction: DirectionSpec = None,
    shift: float = 0.0,
) -> EntropyWeights:
    """Entropy weight method (熵权法): objective indicator weights from dispersion.

    Parameters
    ----------
    df : DataFrame
        One row per unit (region, year, ...).
    indicators : list of str
        Indicator columns.
    normalize : {"minmax", "proportion"}
        ``"minmax"``: range-normalise each indicator to [0, 1] (reversed for ``'-'`` indicators)
        before taking proportions. ``"proportion"``: take proportions of the raw values, which
        must be non-negative; only ``'+'`` indicators are allowed.
    direction : mapping or sequence of {'+', '-'}, optional
        Whether more (``'+'``, default) or less (``'-'``) of an indicator is better.
    shift : float
        Constant added to the normalised values before taking proportions (some papers add 0.0001
        or 0.01 to avoid zeros). With 0 the limit convention :math:`0 \\ln 0 = 0` is used.

    Returns
    -------
    EntropyWeights

    Notes
    -----
    With normalised values :math:`z_{ij}` (:math:`i=1..n` units, :math:`j` indicators),
    :math:`p_{ij} = z_{ij} / \\sum_i z_{ij}`, entropy
    :math:`e_j = -\\frac{1}{\\ln n} \\sum_i p_{ij} \\ln p_{ij}` (with :math:`0 \\ln 0 = 0`),
    divergence :math:`d_j = 1 - e_j` and weight :math:`w_j = d_j / \\sum_k d_k`. An indicator that
    is constant across units has :math:`p_{ij} = 1/n`, :math:`e_j = 1` and weight 0 (under
    min-max it is set to 1 for every unit; under proportions an all-zero column is treated the
    same way).

    References
    ----------
    Zeleny, M. (1982). *Multiple Criteria Decision Making*. McGraw-Hill.
    Hwang, C.-L., Yoon, K. (1981). *Multiple Attribute Decision Making*. Springer, section on
    entropy weights.

    Examples
    --------
    >>> p = dp.datasets.province_panel()
    >>> p23 = p[p["year"] == 2023].set_index("region")
    >>> ew = dp.entropy_weights(p23, ["reimb_rural", "subsidy_pc", "gdp_pc"])
    >>> ew.weights.round(3).tolist()
    [0.27, 0.494, 0.236]
    """
    check_option("normalize", normalize, ("minmax", "proportion"))
    cols = indicator_list(df, indicators)
    X = indicator_matrix(df, cols)
    dirs = directions(cols, direction)
    try:
        shift = float(shift)
    except (TypeError, ValueError):
        raise SpecificationError(f"shift must be a non-negative number, got {shift!r}.") from None
    if not (shift >= 0 and np.isfinite(shift)):
        raise SpecificationError(f"shift must be a non-negative number, got {shift!r}.")
    if normalize == "minmax":
        Z = minmax(X, dirs)
    else:
        if np.any(dirs < 0):
            neg = [c for c, d in zip(cols, dirs, strict=True) if d < 0]
            raise SpecificationError(
                f"normalize='proportion' uses raw values, so it cannot reverse 'less is better' "
                f"indicators {neg}; use normalize='minmax' or transform them first."
            )
        if np.any(X < 0):
            neg = [c for j, c in enumerate(cols) if np.any(X[:, j] < 0)]
            raise DataValueError(
                f"normalize='proportion' needs non-negative values; {neg} have negatives. "
                "Use normalize='minmax'."
            )
        Z = X.copy()
    Z = Z + shift
    n = Z.shape[0]
    col_sum = Z.sum(axis=0)
    P = np.where(col_sum > 0, Z / np.where(col_sum > 0, col_sum, 1.0), 1.0 / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(P > 0, P * np.log(np.where(P > 0, P, 1.0)), 0.0)
    e = -plogp.sum(axis=0) / np.log(n)
    d = 1.0 - e
    d = np.where(np.abs(d) < 1e-15, 0.0, d)  # e of a constant column is 1 up to rounding
    if d.sum() <= 0:
        raise DataValueError(
            f"No indicator varies across units ({cols}); entropy weights are undefined. "
            "Check the data or use equal weights."
        )
    w = d / d.sum()
    idx = pd.Index(cols, name="indicator")
    spec: dict[str, Any] = {"normalize": normalize, "direction": dict(zip(cols, ["+" if x > 0 else "-" for x in dirs], strict=True)),
            "shift": shift}
    return EntropyWeights(
        weights=pd.Series(w, index=idx, name="weight"),
        entropy=pd.Series(e, index=idx, name="entropy"),
        divergence=pd.Series(d, index=idx, name="divergence"),
        normalized=pd.DataFrame(Z, index=df.index, columns=cols),
        spec=CompositeSpec(**spec, data=data_source(df)),
    )


def _resolve_weights(df: pd.DataFrame, cols: list[str], weights: Any, direction: DirectionSpec) -> np.ndarray:
    if weights is None or (isinstance(weights, str) and weights == "entropy"):
        return entropy_weights(df, cols, direction=direction).weights.to_numpy()
    if isinstance(weights, str):
        check_option("weights", weights, ("entropy", "equal"))
        return np.full(len(cols), 1.0 / len(cols))
    if isinstance(weights, EntropyWeights):
        weights = weights.weights
    return weight_vector(cols, weights)


# ----------------------------------------------------------------------------- TOPSIS
@_display.shown(lambda r: "TOPSIS")
@dataclass(frozen=True, slots=True)
class TopsisResult:
    """TOPSIS scores.

    Attributes
    ----------
    scores : DataFrame
        Indexed like the input: ``d_best`` and ``d_worst`` (distances to the ideal and anti-ideal
        points), ``closeness`` (:math:`C_i`) and ``rank`` (1 = closest to the ideal).
    weights : Series
    spec : CompositeSpec
    """

    scores: pd.DataFrame
    weights: pd.Series
    spec: CompositeSpec = field(default_factory=CompositeSpec)


    @property
    def closeness(self) -> pd.Series:
        """Relative closeness to the ideal solution."""
        return self.scores["closeness"]

    @property
    def rank(self) -> pd.Series:
        """Rank by closeness (1 = best; ties share the lowest rank)."""
        return self.scores["rank"]

    def tidy(self) -> pd.DataFrame:
        """Scores with the unit label as a column ``unit``."""
        return self.scores.rename_axis("unit").reset_index()


def topsis(
    df: pd.DataFrame,
    indicators: Sequence[str],
    *,
    weights: Mapping[str, float] | pd.Series | Sequence[float] | EntropyWeights | str | None = None,
    direction: DirectionSpec = None,
    normalize: Literal["vector", "minmax"] = "vector",
) -> TopsisResult:
    """TOPSIS: rank units by relative closeness to the ideal solution.

    Parameters
    ----------
    df : DataFrame
    indicators : list of str
    weights : mapping, Series, sequence, EntropyWeights, "entropy" or "equal", optional
        Indicator weights (normalised to sum 1). Default: entropy weights (min-max) from ``df``.
    direction : mapping or sequence of {'+', '-'}, optional
        Whether more (``'+'``) or less (``'-'``) of each indicator is better.
    normalize : {"vector", "minmax"}
        ``"vector"`` (Hwang & Yoon): :math:`r_{ij} = x_{ij} / \\sqrt{\\sum_i x_{ij}^2}`, with the
        ideal taken as the maximum of '+' and the minimum of '-' indicators. ``"minmax"``:
        range normalisation with '-' indicators reversed (ranks then do not change when an
        indicator is shifted or rescaled).

    Returns
    -------
    TopsisResult

    Notes
    -----
    With weighted normalised values :math:`v_{ij} = w_j r_{ij}`, ideal :math:`v_j^+` and
    anti-ideal :math:`v_j^-`, :math:`D_i^\\pm = \\sqrt{\\sum_j (v_{ij} - v_j^\\pm)^2}` and the
    closeness is :math:`C_i = D_i^- / (D_i^+ + D_i^-)`.

    References
    ----------
    Hwang, C.-L., Yoon, K. (1981). *Multiple Attribute Decision Making: Methods and
    Applications*. Springer.

    Examples
    --------
    >>> p = dp.datasets.province_panel()
    >>> p23 = p[p["year"] == 2023].set_index("region")
    >>> t = dp.topsis(p23, ["reimb_rural", "subsidy_pc", "gdp_pc"])
    >>> t.closeness.round(3).head(3).tolist(), t.rank.head(3).tolist()
    ([0.835, 0.617, 0.485], [4, 9, 11])
    """
    check_option("normalize", normalize, ("vector", "minmax"))
    cols = indicator_list(df, indicators)
    X = indicator_matrix(df, cols)
    dirs = directions(cols, direction)
    w = _resolve_weights(df, cols, weights, direction)
    if normalize == "vector":
        norm = np.sqrt((X**2).sum(axis=0))
        if np.any(norm == 0):
            zero = [c for c, v in zip(cols, norm, strict=True) if v == 0]
            raise DataValueError(f"Indicators {zero} are zero for every unit; drop them.")
        V = w * X / norm
        best = np.where(dirs > 0, V.max(axis=0), V.min(axis=0))
        worst = np.where(dirs > 0, V.min(axis=0), V.max(axis=0))
    else:
        V = w * minmax(X, dirs)
        best, worst = V.max(axis=0), V.min(axis=0)
    d_best = np.sqrt(((V - best) ** 2).sum(axis=1))
    d_worst = np.sqrt(((V - worst) ** 2).sum(axis=1))
    denom = d_best + d_worst
    if np.any(denom == 0):
        raise DataValueError(
            "All units are identical on the weighted indicators, so TOPSIS cannot separate them."
        )
    closeness = d_worst / denom
    scores = pd.DataFrame({"d_best": d_best, "d_worst": d_worst, "closeness": closeness}, index=df.index)
    scores["rank"] = scores["closeness"].rank(ascending=False, method="min").astype(int)
    spec: dict[str, Any] = {"normalize": normalize, "direction": dict(zip(cols, dirs, strict=True))}
    return TopsisResult(scores=scores, weights=pd.Series(w, index=pd.Index(cols, name="indicator"), name="weight"),
                        spec=CompositeSpec(**spec, data=data_source(df)))


# ----------------------------------------------------------------------------- composite index
@_display.shown(lambda r: f"Composite index ({r.method})")
@dataclass(frozen=True, slots=True)
class CompositeIndex:
    """Composite index scores.

    Attributes
    ----------
    scores : Series
        Score per unit, indexed like the input (on [0, 1] for entropy, equal and given weights;
        a standardised scale for PCA).
    weights : Series
        Weight per indicator (for PCA: the implied weights on standardised indicators).
    method : str
    details : dict
        For PCA: ``eigenvalues``, ``loadings`` (DataFrame), ``explained`` (share of variance of
        retained components).
    spec : CompositeSpec
    """

    scores: pd.Series
    weights: pd.Series
    method: str
    details: dict[str, Any] = field(default_factory=dict)
    spec: CompositeSpec = field(default_factory=CompositeSpec)


    def tidy(self) -> pd.DataFrame:
        """Columns ``unit, score, rank`` (rank 1 = highest score)."""
        out = self.scores.rename("score").rename_axis("unit").reset_index()
        out["rank"] = out["score"].rank(ascending=False, method="min").astype(int)
        return out


def composite_index(
    df: pd.DataFrame,
    indicators: Sequence[str],
    *,
    method: Literal["entropy", "pca", "equal"] | Mapping[str, float] | pd.Series | Sequence[float] = "entropy",
    direction: DirectionSpec = None,
    normalize: Literal["minmax", "proportion"] = "minmax",
    shift: float = 0.0,
    n_components: int | None = None,
) -> CompositeIndex:
    """Weighted composite index of several indicators.

    Parameters
    ----------
    df : DataFrame
    indicators : list of str
    method : {"entropy", "pca", "equal"} or weights
        How to weight: entropy weights, principal components, equal weights, or given weights (a
        mapping/Series by indicator or a sequence in indicator order).
    direction : mapping or sequence of {'+', '-'}, optional
    normalize, shift
        Passed to :func:`entropy_weights` (``method="entropy"`` only).
    n_components : int, optional
        PCA only: number of components kept; default keeps those with eigenvalue > 1 (Kaiser),
        at least one.

    Returns
    -------
    CompositeIndex

    Notes
    -----
    Entropy, equal and given weights score :math:`S_i = \\sum_j w_j z_{ij}` on min-max
    normalised indicators :math:`z_{ij}` ('-' indicators reversed). PCA standardises the
    (direction-adjusted) indicators, takes eigenpairs :math:`(\\lambda_k, u_k)` of their
    correlation matrix, orients each :math:`u_k` so its loadings sum to a non-negative number and
    scores :math:`S_i = \\sum_k \\frac{\\lambda_k}{\\sum_{l} \\lambda_l} F_{ik}` over retained
    components, :math:`F_{ik} = z_i' u_k` (the variance-contribution-weighted score).

    References
    ----------
    OECD/JRC (2008). *Handbook on Constructing Composite Indicators: Methodology and User
    Guide*. OECD Publishing.

    Examples
    --------
    >>> p = dp.datasets.province_panel()
    >>> p23 = p[p["year"] == 2023].set_index("region")
    >>> ci = dp.composite_index(p23, ["reimb_rural", "subsidy_pc", "gdp_pc"], method="entropy")
    >>> ci.scores.round(3).head(3).tolist(), ci.tidy()["rank"].head(3).tolist()
    ([0.704, 0.78, 0.643], [5, 4, 8])
    """
    cols = indicator_list(df, indicators)
    X = indicator_matrix(df, cols)
    dirs = directions(cols, direction)
    idx = pd.Index(cols, name="indicator")
    details: dict[str, Any] = {}
    if isinstance(method, str):
        check_option("method", method, ("entropy", "pca", "equal"))
        name: str = method
    else:
        name = "weights"
    if name == "pca":
        Xd = X * dirs
        sd = Xd.std(axis=0, ddof=1)
        if np.any(sd == 0):
            const = [c for c, s in zip(cols, sd, strict=True) if s == 0]
            raise DataValueError(f"Indicators {const} are constant; PCA cannot standardise them. Drop them.")
        Z = (Xd - Xd.mean(axis=0)) / sd
        R = np.corrcoef(Z, rowvar=False) if len(cols) > 1 else np.ones((1, 1))
        lam, U = np.linalg.eigh(np.atleast_2d(R))
        order = np.argsort(lam)[::-1]
        lam, U = lam[order], U[:, order]
        U = U * np.where(U.sum(axis=0) < 0, -1.0, 1.0)
        if n_components is None:
            k = max(1, int((lam > 1).sum()))
        else:
            if not (isinstance(n_components, int | np.integer) and 1 <= n_components <= len(cols)):
                raise SpecificationError(f"n_components must be an integer in 1..{len(cols)}, got {n_components!r}.")
            k = int(n_components)
        share = lam[:k] / lam[:k].sum()
        F = Z @ U[:, :k]
        scores = F @ share
        coef = U[:, :k] @ share
        weights = coef / coef.sum() if coef.sum() != 0 else coef
        details = {
            "eigenvalues": pd.Series(lam, index=[f"PC{i + 1}" for i in range(len(lam))], name="eigenvalue"),
            "loadings": pd.DataFrame(U[:, :k], index=idx, columns=[f"PC{i + 1}" for i in range(k)]),
            "explained": float(lam[:k].sum() / lam.sum()),
        }
    else:
        if name == "entropy":
            w = entropy_weights(df, cols, normalize=normalize, direction=direction, shift=shift).weights.to_numpy()
        elif name == "equal":
            w = np.full(len(cols), 1.0 / len(cols))
        else:
            w = weight_vector(cols, method)
        scores = minmax(X, dirs) @ w
        weights = w
    spec: dict[str, Any] = {"method": name, "direction": dict(zip(cols, dirs, strict=True)), "normalize": normalize}
    return CompositeIndex(
        scores=pd.Series(scores, index=df.index, name="score"),
        weights=pd.Series(weights, index=idx, name="weight"),
        method=name,
        details=details,
        spec=CompositeSpec(**spec, data=data_source(df)),
    )


# ----------------------------------------------------------------------------- coupling coordination
#: The ten-band classification of the coupling coordination degree D (lower bound inclusive).
COORDINATION_BANDS = pd.DataFrame({
    "band": range(1, 11),
    "lower": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
    "upper": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
    "key": ["extreme_imbalance", "serious_imbalance", "moderate_imbalance", "mild_imbalance",
            "verge_of_imbalance", "barely_coordinated", "primary_coordination",
            "intermediate_coordination", "good_coordination", "quality_coordination"],
    "label_zh": ["极度失调", "严重失调", "中度失调", "轻度失调", "濒临失调",
                 "勉强协调", "初级协调", "中级协调", "良好协调", "优质协调"],
    "label_en": ["Extreme imbalance", "Serious imbalance", "Moderate imbalance", "Mild imbalance",
                 "On the verge of imbalance", "Barely coordinated", "Primary coordination",
                 "Intermediate coordination", "Good coordination", "Quality coordination"],
})


def coupling_coordination(
    subsystems: Mapping[str, pd.Series | Sequence[float]] | pd.DataFrame,
    *,
    k: float | None = None,
    weights: Mapping[str, float] | Sequence[float] | None = None,
    variant: Literal["standard", "wang2021"] = "standard",
) -> pd.DataFrame:
    """Coupling-coordination degree (耦合协调度) of two or more subsystems.

    Parameters
    ----------
    subsystems : mapping of name to Series, or DataFrame
        Development scores :math:`U_i \\in [0, 1]` of each subsystem (e.g. composite-index
        scores), aligned on a common index (regions, years).
    k : float, optional
        Exponent of the standard coupling degree; default :math:`1/n`. Papers using
        :math:`C = \\{U_1U_2/[(U_1+U_2)/2]^2\\}^{k}` with :math:`k = 2` get that by ``k=2``.
        Not used by ``variant="wang2021"``.
    weights : mapping or sequence, optional
        Contribution coefficients :math:`\\alpha_i` of the comprehensive index T (normalised to
        sum 1); default equal.
    variant : {"standard", "wang2021"}
        Coupling-degree formula, see Notes.

    Returns
    -------
    DataFrame
        Indexed like the inputs, with columns ``C`` (coupling), ``T`` (comprehensive
        development), ``D`` (coupling coordination :math:`\\sqrt{C T}`), ``band`` (1-10) and
        ``level`` (band key; see :data:`COORDINATION_BANDS` for Chinese and English labels).

    Notes
    -----
    Standard (n-system): :math:`C = \\left[\\prod_i U_i \\big/ \\left(\\tfrac{1}{n}\\sum_i U_i\\right)^n\\right]^{k}`
    with :math:`k = 1/n` by default, so for two systems :math:`C = 2\\sqrt{U_1U_2}/(U_1+U_2)`.
    ``"wang2021"`` (Wang et al.'s correction, spreading C over [0, 1]):
    :math:`C = \\sqrt{\\left[1 - \\overline{|U_i - U_j|}\\right] \\left[\\prod_i U_i/\\max_j U_j\\right]^{1/(n-1)}}`,
    with the mean of absolute differences over all :math:`n(n-1)/2` pairs.
    :math:`T = \\sum_i \\alpha_i U_i`, :math:`D = \\sqrt{C T}`. When every :math:`U_i = 0`, C is
    undefined (NaN) and D = 0. Bands are :math:`[0, 0.1), [0.1, 0.2), \\dots, [0.9, 1]`.

    References
    ----------
    Liao, C. (1999). Quantitative judgement and classification system for coordinated
    development of environment and economy. *Tropical Geography* 19(2), 171-177 (廖重斌).
    Wang, S., Kong, W., Ren, L., Zhi, D., Dai, B. (2021). Research on misuses and modification of
    coupling coordination degree model in China. *Journal of Natural Resources* 36(3), 793-810
    (王淑佳等, 国内耦合协调度模型的误区及修正).

    Examples
    --------
    >>> p = dp.datasets.province_panel()
    >>> p23 = p[p["year"] == 2023].set_index("region")
    >>> ins = dp.composite_index(p23, ["reimb_rural", "subsidy_pc"]).scores
    >>> eco = dp.composite_index(p23, ["gdp_pc", "urbanisation"]).scores
    >>> cc = dp.coupling_coordination({"insurance": ins, "economy": eco})
    >>> cc[["C", "T", "D"]].round(3).head(2).to_numpy().tolist(), cc["band"].head(2).tolist()
    ([[0.989, 0.722, 0.845], [0.973, 0.688, 0.818]], [9, 9])
    """
    check_option("variant", variant, ("standard", "wang2021"))
    if isinstance(subsystems, pd.DataFrame):
        frame = subsystems.copy()
    elif isinstance(subsystems, Mapping):
        series = {}
        for name, s in subsystems.items():
            series[str(name)] = s if isinstance(s, pd.Series) else pd.Series(list(s))
        first = next(iter(series.values())).index
        if any(not s.index.equals(first) and set(s.index) != set(first) for s in series.values()):
            raise SpecificationError(
                "The subsystem Series have different indexes; align them (same regions/years) first."
            )
        frame = pd.DataFrame(series)
    else:
        raise SpecificationError(
            "subsystems must be a mapping {name: Series} or a DataFrame with one column per subsystem."
        )
    names = list(frame.columns)
    n = len(names)
    if n < 2:
        raise SpecificationError(f"Coupling needs at least two subsystems, got {names}.")
    U = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(U) | (U < 0) | (U > 1)
    if bad.any():
        rows = list(frame.index[bad.any(axis=1)][:5])
        raise DataValueError(
            f"Subsystem scores must lie in [0, 1] with no missing values; rows {rows} do not. "
            "Normalise them first (e.g. with composite_index) or drop the rows."
        )
    if k is None:
        k = 1.0 / n
    elif not (np.isfinite(k) and k > 0):
        raise SpecificationError(f"k must be a positive number, got {k!r}.")
    alpha = np.full(n, 1.0 / n) if weights is None else weight_vector(names, weights)
    mean = U.mean(axis=1)
    zero = mean == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        if variant == "standard":
            # ratio of geometric to arithmetic mean, raised to n*k: [prod U / mean^n]^k
            gm = np.exp(np.log(np.where(U > 0, U, 1.0)).mean(axis=1))
            gm = np.where((U > 0).all(axis=1), gm, 0.0)
            C = (gm / np.where(zero, 1.0, mean)) ** (n * k)
        else:
            iu, ju = np.triu_indices(n, 1)
            spread = np.abs(U[:, iu] - U[:, ju]).mean(axis=1)
            mx = U.max(axis=1)
            ratio = np.prod(U / np.where(zero, 1.0, mx)[:, None], axis=1)
            C = np.sqrt((1.0 - spread) * ratio ** (1.0 / (n - 1)))
    C = np.where(zero, np.nan, C)
    T = U @ alpha
    D = np.sqrt(np.where(zero, 0.0, C) * T)
    band = np.clip(np.floor(D * 10 + 1e-12).astype(int) + 1, 1, 10)
    out = pd.DataFrame({"C": C, "T": T, "D": D, "band": band}, index=frame.index)
    out["level"] = COORDINATION_BANDS["key"].to_numpy()[band - 1]
    return out


# ----------------------------------------------------------------------------- obstacle degree
@_display.shown(lambda r: "Obstacle degree")
@dataclass(frozen=True, slots=True)
class ObstacleDegree:
    """Obstacle degrees (障碍度) per unit and indicator.

    Attributes
    ----------
    obstacle : DataFrame
        Units × indicators, each row summing to 1 (NaN rows for units at the ideal on every
        weighted indicator).
    deviation : DataFrame
        Indicator deviation :math:`1 - z_{ij}`.
    weights : Series
        Factor contribution :math:`w_j`.
    groups : mapping or None
        Indicator-to-subsystem mapping used by :meth:`by_group`.
    spec : CompositeSpec
        How it was computed (``method="obstacle"``, the directions, how the weights were chosen)
        and the data source.
    """

    obstacle: pd.DataFrame
    deviation: pd.DataFrame
    weights: pd.Series
    groups: Mapping[str, str] | None = None
    spec: CompositeSpec = field(default_factory=CompositeSpec)

    def by_group(self) -> pd.DataFrame:
        """Obstacle degrees summed within subsystems (needs ``groups``)."""
        if not self.groups:
            raise SpecificationError("Pass groups={indicator: subsystem} to obstacle_degree to aggregate.")
        return self.obstacle.T.groupby(pd.Series(self.groups)).sum().T

    def top(self, n: int = 3) -> pd.DataFrame:
        """The ``n`` largest obstacles per unit: columns ``unit, rank, indicator, obstacle``."""
        t = self.tidy()
        t = t.sort_values(["unit", "obstacle"], ascending=[True, False], kind="mergesort")
        t["rank"] = t.groupby("unit", sort=False).cumcount() + 1
        return t[t["rank"] <= n][["unit", "rank", "indicator", "obstacle"]].reset_index(drop=True)

    def tidy(self) -> pd.DataFrame:
        """Long table: ``unit, indicator, weight, deviation, obstacle``."""
        ob = self.obstacle.rename_axis("unit").reset_index().melt(
            id_vars="unit", var_name="indicator", value_name="obstacle")
        dv = self.deviation.rename_axis("unit").reset_index().melt(
            id_vars="unit", var_name="indicator", value_name="deviation")
        out = ob.merge(dv, on=["unit", "indicator"])
        out["weight"] = out["indicator"].map(self.weights)
        return out[["unit", "indicator", "weight", "deviation", "obstacle"]]


def obstacle_degree(
    df: pd.DataFrame,
    indicators: Sequence[str],
    *,
    weights: Mapping[str, float] | pd.Series | Sequence[float] | EntropyWeights | str | None = None,
    direction: DirectionSpec = None,
    groups: Mapping[str, str] | None = None,
) -> ObstacleDegree:
    """Obstacle degree (障碍度) model: which indicators hold each unit back most.

    Parameters
    ----------
    df : DataFrame
    indicators : list of str
    weights : weights, EntropyWeights, "entropy" or "equal", optional
        Factor contributions :math:`w_j`; default entropy weights from ``df``.
    direction : mapping or sequence of {'+', '-'}, optional
    groups : mapping of indicator to subsystem, optional
        For :meth:`ObstacleDegree.by_group`.

    Returns
    -------
    ObstacleDegree

    Notes
    -----
    With min-max normalised indicators :math:`z_{ij}` ('-' reversed), deviation
    :math:`I_{ij} = 1 - z_{ij}` and :math:`O_{ij} = w_j I_{ij} / \\sum_k w_k I_{ik}`.

    References
    ----------
    The obstacle degree model (factor contribution × indicator deviation, shares per unit) as
    used widely in Chinese regional-evaluation studies; the same formula is implemented as
    ``obstacle_degree(..., scaled=TRUE)`` in the R package mathmodels (zhjx19/mathmodels,
    ``R/system_evaluation.R``). No single primary source has been checked.

    Examples
    --------
    >>> p = dp.datasets.province_panel()
    >>> p23 = p[p["year"] == 2023].set_index("region")
    >>> od = dp.obstacle_degree(p23, ["reimb_rural", "subsidy_pc", "gdp_pc"])
    >>> od.obstacle.loc["北京市"].round(3).tolist()
    [0.463, 0.523, 0.014]
    """
    cols = indicator_list(df, indicators)
    X = indicator_matrix(df, cols)
    dirs = directions(cols, direction)
    w = _resolve_weights(df, cols, weights, direction)
    dev = 1.0 - minmax(X, dirs)
    contrib = dev * w
    tot = contrib.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(tot > 0, contrib / np.where(tot > 0, tot, 1.0), np.nan)
    if groups is not None:
        missing = [c for c in cols if c not in groups]
        if missing:
            raise SpecificationError(f"groups must assign every indicator to a subsystem; missing {missing}.")
    return ObstacleDegree(
        obstacle=pd.DataFrame(shares, index=df.index, columns=cols),
        deviation=pd.DataFrame(dev, index=df.index, columns=cols),
        weights=pd.Series(w, index=pd.Index(cols, name="indicator"), name="weight"),
        groups=dict(groups) if groups else None,
        spec=CompositeSpec(method="obstacle", direction=dict(zip(cols, dirs, strict=True)),
                           options={"weights": _weights_label(weights)}, data=data_source(df)),
    )


def _weights_label(weights: Any) -> str:
    """How the factor contributions were chosen, for the spec: a method name or ``"given"``."""
    if weights is None:
        return "entropy"
    if isinstance(weights, str):
        return weights
    if isinstance(weights, EntropyWeights):
        return "entropy (given)"
    return "given"


# ----------------------------------------------------------------------------- integration index
#: The six unifications (六统一) of urban-rural resident insurance integration.
UNIFICATION_ITEMS: tuple[str, ...] = (
    "unify_coverage", "unify_financing", "unify_benefits",
    "unify_catalogue", "unify_designated", "unify_fund",
)


def integration_index(
    panel: pd.DataFrame,
    *,
    items: Sequence[str] = UNIFICATION_ITEMS,
    weights: Mapping[str, float] | Sequence[float] | None = None,
    keys: Sequence[str] = ("region_code", "year"),
) -> pd.DataFrame:
    """Integration index from the six unifications, per province-year.

    Parameters
    ----------
    panel : DataFrame
        One row per province-year with 0/1 columns for each unification item (1 = unified).
    items : list of str
        Item columns; default :data:`UNIFICATION_ITEMS` (coverage, financing, benefits,
        catalogue, designated-provider management, fund management).
    weights : mapping or sequence, optional
        Item weights (normalised to sum 1); default equal, i.e. the share of items unified.
    keys : list of str
        Identifier columns copied to the output (those present in ``panel``).

    Returns
    -------
    DataFrame
        Key columns, ``n_unified`` (count of items equal to 1), ``index`` (weighted share in
        [0, 1]) and ``complete`` (all six unified).

    Notes
    -----
    :math:`I_{rt} = \\sum_k \\omega_k u_{krt}` with :math:`u_{krt} \\in \\{0, 1\\}` and
    :math:`\\sum_k \\omega_k = 1`.

    References
    ----------
    State Council (2016). Opinions on integrating the basic medical insurance schemes for urban
    and rural residents (国发〔2016〕3号), which defines the six unifications.

    Examples
    --------
    >>> p = dp.datasets.province_panel()
    >>> ii = dp.integration_index(p[p["year"] == 2016])
    >>> round(float(ii["index"].mean()), 3), int(ii["complete"].sum())
    (0.435, 12)
    """
    cols = indicator_list(panel, list(items), min_rows=1)
    U = indicator_matrix(panel, cols)
    bad = ~np.isin(U, (0.0, 1.0))
    if bad.any():
        rows = list(panel.index[np.asarray(bad.any(axis=1))][:5])
        raise DataValueError(
            f"Unification items must be 0 or 1; rows {rows} have other values. Recode them (1 = unified)."
        )
    w = np.full(len(cols), 1.0 / len(cols)) if weights is None else weight_vector(cols, weights)
    out = panel[[k for k in keys if k in panel.columns]].copy()
    out["n_unified"] = U.sum(axis=1).astype(int)
    out["index"] = U @ w
    out["complete"] = out["n_unified"] == len(cols)
    return out
