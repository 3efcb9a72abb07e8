"""Blinder-Oaxaca decomposition of a mean gap between two groups (threefold, twofold, detailed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from formulaic.parser.types import Factor

from ... import _display, _resample
from ..._options import WEIGHT_TYPES, WeightType, check_option
from ...design import ReplicateDesign, SurveyDesign
from ...errors import CollinearityError, DataValueError, SpecificationError
from ...specs import OaxacaSpec, data_source
from ...survey._core import design_columns
from .. import covariance as cv
from .._covsurvey import survey_data
from ..discrete import logit, probit
from ..formula import build_design, required_columns
from ..linear import ols, prepare_weights
from ..results import ModelResult
from .mediation import _irls
from .nonlinear import binary_pieces, binary_pieces_infl
from .results import RANK_TOL, DecompSummary, Estimate, fast_wls, linearized_cov, tidy_frame

__all__ = ["oaxaca", "OaxacaResult", "Threefold", "Twofold"]

Reference = Literal["A", "B", "pooled", "neumark", "cotton", "reimers"]
REFERENCES: tuple[str, ...] = ("A", "B", "pooled", "neumark", "cotton", "reimers")
OAXACA_VCOV: tuple[str, ...] = ("HC0", "cluster", "survey")
OAXACA_SE: tuple[str, ...] = ("delta", "bootstrap", "none")
PARTS3 = ("endowments", "coefficients", "interaction")
PARTS2 = ("explained", "unexplained", "unexplained_a", "unexplained_b")


@dataclass(frozen=True, slots=True)
class Threefold:
    """Endowments, coefficients and interaction (each an :class:`Estimate`)."""

    endowments: Estimate
    coefficients: Estimate
    interaction: Estimate

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        return tidy_frame([self.endowments, self.coefficients, self.interaction], level)


@dataclass(frozen=True, slots=True)
class Twofold:
    """Explained and unexplained parts (each an :class:`Estimate`) for one reference coefficient vector.

    ``unexplained_a`` + ``unexplained_b`` = ``unexplained``: the part due to group A's coefficients
    differing from the reference (:math:`\\bar x_A'(\\beta_A - \\beta^*)`, A's advantage) and the
    part due to group B's (:math:`\\bar x_B'(\\beta^* - \\beta_B)`, B's disadvantage), R
    ``oaxaca``'s "unexplained A" and "unexplained B" (Hlavac 2022).
    """

    explained: Estimate
    unexplained: Estimate
    reference: str
    unexplained_a: Estimate | None = None
    unexplained_b: Estimate | None = None

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        parts = [self.explained, self.unexplained, self.unexplained_a, self.unexplained_b]
        return tidy_frame([e for e in parts if e is not None], level)


@_display.shown(lambda r: f"Blinder-Oaxaca decomposition of {r.spec.formula} by {r.spec.by} ({r.groups[0]!s} - {r.groups[1]!s}; reference {r.twofold.reference})")
@dataclass(frozen=True, slots=True)
class OaxacaResult:
    """A Blinder-Oaxaca decomposition of ``mean_a - mean_b``.

    Attributes
    ----------
    gap, mean_a, mean_b : Estimate
    threefold : Threefold
    twofold : Twofold
    groups : tuple
        The values of ``by`` for group A and group B.
    nobs : dict
        Observations used in each group.
    models : dict of ModelResult
        The group regressions ``"A"``, ``"B"`` and, for pooled references, ``"pooled"``.
    spec : OaxacaSpec
        Formula, reference, weights, variance options and the data source (``spec.data``).
    raw : dict
        Coefficient vectors, covariate means, influence functions or bootstrap replicates.
    """

    gap: Estimate
    mean_a: Estimate
    mean_b: Estimate
    threefold: Threefold | None
    twofold: Twofold
    groups: tuple[Any, Any]
    nobs: dict[str, int]
    models: dict[str, ModelResult] = field(repr=False, compare=False)
    spec: OaxacaSpec = field(default_factory=OaxacaSpec)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _detail: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)


    @property
    def value(self) -> float:
        return self.gap.value

    @property
    def std_error(self) -> float:
        return self.gap.std_error

    def conf_int(self, level: float = 0.95) -> tuple[float, float]:
        return self.gap.conf_int(level)

    def __float__(self) -> float:
        return float(self.gap.value)

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Overall results: one row each for mean_a, mean_b, gap, the threefold and twofold parts."""
        rows = [self.mean_a, self.mean_b, self.gap]
        parts = ["overall"] * 3
        if self.threefold is not None:
            rows += [self.threefold.endowments, self.threefold.coefficients, self.threefold.interaction]
            parts += ["threefold"] * 3
        two = [e for e in (self.twofold.explained, self.twofold.unexplained, self.twofold.unexplained_a,
                           self.twofold.unexplained_b) if e is not None]
        rows += two
        parts += ["twofold"] * len(two)
        return tidy_frame(rows, level, part=parts)

    def detail(self, level: float = 0.95, *, by_term: bool = False) -> pd.DataFrame:
        """Per-covariate contributions: columns part, component, term, then the tidy columns.

        With ``by_term=True`` the dummies of a categorical variable are summed into one row per
        formula term (e.g. ``C(scheme)``), with standard errors of the sums.
        """
        key = "terms" if by_term else "columns"
        tab = self.raw[f"detail_{key}"]
        ests = [Estimate(r.term, r.estimate, r.std_error) for r in tab.itertuples(index=False)]
        return tidy_frame(ests, level, part=list(tab["part"]), component=list(tab["component"]))

    def glance(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "by": self.spec.by, "group_a": self.groups[0], "group_b": self.groups[1],
            "nobs_a": self.nobs["A"], "nobs_b": self.nobs["B"], "model": self.spec.model,
            "reference": self.twofold.reference,
            "se": self.spec.se, "vcov": self.spec.vcov,
        }])

    def summary(self) -> DecompSummary:
        return DecompSummary(
            {"overall": self.tidy(), "detail": self.detail()},
            {str(k): v for k, v in self.glance().iloc[0].to_dict().items()},
            tuple(self.spec.notes),
        )


# ----------------------------------------------------------------------------------------------
# Input handling


def _two_groups(data: pd.DataFrame, by: str, group_a: Any) -> tuple[Any, Any]:
    if not isinstance(by, str) or by not in data.columns:
        raise SpecificationError(f"by={by!r} must name a column of the data (the group indicator).")
    col = data[by]
    present = pd.unique(col.dropna())
    if len(present) != 2:
        shown = ", ".join(map(repr, list(present)[:6]))
        raise DataValueError(
            f"The group column {by!r} must take exactly two values on the rows used; it takes "
            f"{len(present)} ({shown}). Recode it to two groups (e.g. urban/rural) or subset the data."
        )
    if isinstance(col.dtype, pd.CategoricalDtype):
        ordered = [c for c in col.cat.categories if c in set(present)]
    else:
        try:
            ordered = sorted(present.tolist())
        except TypeError:
            ordered = list(present)
    if group_a is None:
        a, b = ordered[1], ordered[0]
    else:
        if group_a not in ordered:
            raise SpecificationError(
                f"group_a={group_a!r} is not a value of {by!r}; its values are {ordered!r}."
            )
        a = group_a
        b = ordered[0] if ordered[1] == group_a else ordered[1]
    return a, b


def _inner_variable(expr: str) -> str:
    if expr.startswith("C(") and expr.endswith(")"):
        return expr[2:-1].split(",")[0].strip()
    return expr


def _categorical_blocks(d: Any, names: list[str], normalize: bool | Sequence[str]) -> list[tuple[str, list[int], str]]:
    """(term, column positions, base level) of each categorical term to normalise (Yun 2005)."""
    if normalize is False or d.intercept is None:
        return []
    wanted = None if normalize is True else [normalize] if isinstance(normalize, str) else list(normalize)
    blocks: list[tuple[str, list[int], str]] = []
    found: set[str] = set()
    for term, sl in d.model_spec.term_slices.items():
        if len(term.factors) != 1:
            continue
        factor: Factor = term.factors[0]
        expr = str(factor.expr)
        state = d.model_spec.encoder_state.get(expr)
        if state is None or str(state[0].value) != "categorical":
            continue
        var = _inner_variable(expr)
        if wanted is not None and expr not in wanted and var not in wanted:
            continue
        levels = list(state[1].get("categories", []))
        cols = list(range(sl.start, sl.stop))
        shown = {names[j] for j in cols}
        base = [lv for lv in levels if f"{expr}[T.{lv}]" not in shown]
        if len(base) != 1 or len(cols) != len(levels) - 1:
            continue
        blocks.append((expr, cols, str(base[0])))
        found.update({expr, var})
    if wanted is not None:
        missing = [v for v in wanted if v not in found]
        if missing:
            raise SpecificationError(
                f"normalize={list(wanted)!r}: {missing!r} are not categorical terms of the formula "
                "(write them as C(variable) with the default treatment coding)."
            )
    return blocks


def _normaliser(k: int, intercept: int, blocks: list[tuple[str, list[int], str]]) -> np.ndarray:
    """Linear map from coefficients to Yun-normalised coefficients (one extra row per base level).

    Within a block of L levels the coefficients become deviations from their mean over all L levels
    (the base level's coefficient being 0); the intercept absorbs the mean.
    """
    T = np.zeros((k + len(blocks), k))
    T[:k, :k] = np.eye(k)
    for m, (_, cols, _) in enumerate(blocks):
        L = len(cols) + 1
        avg = np.zeros(k)
        avg[cols] = 1.0 / L
        for j in cols:
            T[j] -= avg
        T[k + m] = -avg
        T[intercept] += avg
    return T


def _augment(X: np.ndarray, intercept: int, blocks: list[tuple[str, list[int], str]]) -> np.ndarray:
    extra = [X[:, intercept] - X[:, cols].sum(axis=1) for _, cols, _ in blocks]
    return np.column_stack([X, *extra]) if extra else X


# ----------------------------------------------------------------------------------------------
# Core algebra (shared by the analytic and bootstrap paths)


@dataclass
class _Fit:
    params: np.ndarray
    infl: np.ndarray  # influence functions of the coefficients on the rows used (rows x k)


def _pieces(xa: np.ndarray, xb: np.ndarray, ba: np.ndarray, bb: np.ndarray, bs: np.ndarray) -> np.ndarray:
    """Per-column contributions, rows: endowments, coefficients, interaction, explained, unexplained,
    unexplained A, unexplained B."""
    dx = xa - xb
    return np.vstack([
        dx * bb,
        xb * (ba - bb),
        dx * (ba - bb),
        dx * bs,
        xa * (ba - bs) + xb * (bs - bb),
        xa * (ba - bs),
        xb * (bs - bb),
    ])


def _pieces_infl(xa, xb, ba, bb, bs, Ixa, Ixb, Iba, Ibb, Ibs) -> list[np.ndarray]:
    """Influence functions (n x columns) of each row of :func:`_pieces` (first-order product rule)."""
    dx, Idx = xa - xb, Ixa - Ixb
    return [
        Idx * bb + dx * Ibb,
        Ixb * (ba - bb) + xb * (Iba - Ibb),
        Idx * (ba - bb) + dx * (Iba - Ibb),
        Idx * bs + dx * Ibs,
        Ixa * (ba - bs) + xa * (Iba - Ibs) + Ixb * (bs - bb) + xb * (Ibs - Ibb),
        Ixa * (ba - bs) + xa * (Iba - Ibs),
        Ixb * (bs - bb) + xb * (Ibs - Ibb),
    ]


def _wmean(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    return (w[:, None] * X).sum(axis=0) / w.sum()


def _ref_weight(reference: Any, wa: float, wb: float) -> float | None:
    if isinstance(reference, (int, float)) and not isinstance(reference, bool):
        return float(reference)
    return {"A": 1.0, "B": 0.0, "cotton": wa / (wa + wb), "reimers": 0.5}.get(reference)


def _exact_wls(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least squares by pivoted QR (replicate refits: their spread is the variance, so
    they must not carry the normal equations' rounding). Raises LinAlgError when rank deficient."""
    from scipy import linalg as sl

    sw = np.sqrt(w)
    beta, _, rank, _ = sl.lstsq(X * sw[:, None], y * sw, cond=RANK_TOL, lapack_driver="gelsy")
    if rank < X.shape[1]:
        raise np.linalg.LinAlgError("rank-deficient replicate")
    return beta


def _solve(X: np.ndarray, y: np.ndarray, w: np.ndarray, model: str, exact: bool = False) -> _Fit:
    """Refit for bootstrap or replicate-weight samples (weighted least squares or ML by IRLS)."""
    if model == "linear":
        beta = _exact_wls(X, y, w) if exact else fast_wls(X, y, w)
    else:
        beta = _irls(X, y, w, model)
    return _Fit(beta, np.empty((0, 0)))


def _point(X, y, w, a, reference, model, T, Xt, dummy_is_a=True, exact=False) -> np.ndarray:
    """All detailed contributions for one (re)sample, stacked as in :func:`_pieces` (bootstrap path)."""
    wa_, wb_ = w[a], w[~a]
    fa = _solve(X[a], y[a], wa_, model, exact)
    fb = _solve(X[~a], y[~a], wb_, model, exact)
    lam = _ref_weight(reference, float(wa_.sum()), float(wb_.sum()))
    if lam is None:
        Z = X if reference == "neumark" else np.column_stack([X, (a if dummy_is_a else ~a).astype(float)])
        fs = _solve(Z, y, w, model, exact)
        bs = fs.params[: X.shape[1]]
    else:
        bs = lam * fa.params + (1 - lam) * fb.params
    ba, bb = T @ fa.params, T @ fb.params
    if model != "linear":
        pieces, ma, mb = binary_pieces(Xt, w, a, ba, bb, T @ bs, model)
        return np.concatenate([pieces.ravel(), [ma - mb, ma, mb]])
    xa, xb = _wmean(Xt[a], wa_), _wmean(Xt[~a], wb_)
    ma, mb = float(xa @ ba), float(xb @ bb)
    return np.concatenate([_pieces(xa, xb, ba, bb, T @ bs).ravel(), [ma - mb, ma, mb]])


# ----------------------------------------------------------------------------------------------
# Public function


def oaxaca(
    formula: str,
    data: pd.DataFrame,
    by: str,
    *,
    group_a: Any = None,
    reference: Reference | float = "pooled",
    model: Literal["linear", "logit", "probit"] = "linear",
    normalize: bool | Sequence[str] = True,
    weights: str | None = None,
    weight_type: WeightType = "pweight",
    se: Literal["delta", "bootstrap", "none"] = "delta",
    vcov: Literal["HC0", "cluster", "survey"] | None = None,
    cluster: str | None = None,
    design: SurveyDesign | ReplicateDesign | None = None,
    reps: int = 999,
    seed: int | None = None,
    progress: bool = True,
) -> OaxacaResult:
    """Blinder-Oaxaca decomposition of the gap in mean outcome between two groups.

    Parameters
    ----------
    formula : str
        Outcome regression ``"oop ~ age + edu_years + C(scheme)"``, with an intercept; the same
        regressors are used in both groups.
    data : DataFrame
    by : str
        Column with exactly two values: the groups.
    group_a : optional
        The value of ``by`` that is group A (the gap is ``mean_A - mean_B``). Default: the second
        of the two values in sort (or category) order, so 1 for a 0/1 indicator, True for booleans
        and 城镇 for ``urban`` coded 农村/城镇.
    reference : {"pooled", "neumark", "A", "B", "cotton", "reimers"} or float
        Reference coefficients :math:`\\beta^*` of the twofold decomposition: from a pooled regression
        with a group indicator ("pooled", Jann 2008 / Fortin 2008), a pooled regression without it
        ("neumark", Neumark 1988), group A or B, :math:`\\frac{n_A}{n}\\beta_A + \\frac{n_B}{n}\\beta_B`
        ("cotton", Cotton 1988; sums of weights with weights), :math:`(\\beta_A + \\beta_B)/2`
        ("reimers", Reimers 1983), or a number :math:`\\lambda` giving
        :math:`\\lambda\\beta_A + (1-\\lambda)\\beta_B` (Stata's ``weight(#)``). The pooled
        regression's group dummy is 1 for the higher value of ``by`` (as R and Stata ``oaxaca``), so
        the reference intercept, and with it the split of the unexplained part into A and B, is
        that of the group coded 0 (whose part is then zero in the linear model).
    model : {"linear", "logit", "probit"}
        Outcome model. With a binary (0/1) outcome, "logit"/"probit" give the nonlinear
        decomposition (twofold only; ``threefold`` is None).
    normalize : bool or list of str
        Normalise the coefficients of categorical terms (``C(x)`` or string/categorical columns) so the
        detailed decomposition does not depend on the omitted category (Yun 2005); a list restricts it
        to the named variables. The overall parts do not change.
    weights, weight_type : optional
        Weights column and its meaning ("pweight", "aweight", "fweight"); weighted means and
        weighted least squares throughout.
    se : {"delta", "bootstrap", "none"}
        Standard errors by linearisation (delta method with stochastic regressors, Jann 2008) or by
        bootstrap (``reps`` draws with ``seed``; observations resampled within groups, or clusters
        resampled when ``cluster`` is given).
    progress : bool
        Progress bar when the bootstrap is expected to take over ~2 s (silent in CI and off a
        terminal). A request that would need more than a day or the available memory is refused.
    vcov : {"HC0", "cluster", "survey"}, optional
        For ``se="delta"``: independent observations (the default without ``design=``), clusters
        (``cluster=``) or a survey design (the default with ``design=``).
    design : dp.SurveyDesign or dp.ReplicateDesign, optional
        The survey design; it carries the weights (no ``weights=`` beside it). A
        :class:`~disparity.SurveyDesign` gives Taylor-linearisation variances over its strata and
        (multistage) clusters; a :class:`~disparity.ReplicateDesign` refits the whole
        decomposition with each replicate weight column and combines the re-estimates with the
        design's ``type``/``scale``/``rscales``/``mse`` (as R ``survey::withReplicates``).
        Incomplete rows and rows outside the design's ``subpop`` keep the full design (domain
        estimation; ``missing="drop"`` removes incomplete rows first).

    Returns
    -------
    OaxacaResult
        ``gap``, ``threefold`` (endowments, coefficients, interaction), ``twofold`` (explained,
        unexplained, and the unexplained part split into ``unexplained_a`` and ``unexplained_b`` as R
        ``oaxaca`` does), ``detail()``, ``tidy()``, ``summary()``.

    Notes
    -----
    With group means :math:`\\bar x_g` and coefficients :math:`\\hat\\beta_g`, the gap
    :math:`\\bar y_A - \\bar y_B = \\bar x_A'\\hat\\beta_A - \\bar x_B'\\hat\\beta_B` splits threefold
    (from group B's viewpoint, as Stata's ``oaxaca``) into

    .. math:: E = (\\bar x_A - \\bar x_B)'\\hat\\beta_B,\\quad
              C = \\bar x_B'(\\hat\\beta_A - \\hat\\beta_B),\\quad
              I = (\\bar x_A - \\bar x_B)'(\\hat\\beta_A - \\hat\\beta_B)

    and twofold into :math:`Q = (\\bar x_A - \\bar x_B)'\\beta^*` (explained) and
    :math:`U = \\bar x_A'(\\hat\\beta_A - \\beta^*) + \\bar x_B'(\\beta^* - \\hat\\beta_B)`
    (unexplained). Detailed contributions are the summands per regressor. Yun's normalisation
    replaces the coefficients of an L-level factor by :math:`\\tilde\\beta_l = \\beta_l - \\bar\\beta`,
    :math:`\\bar\\beta = \\frac1L\\sum_{l=1}^L \\beta_l` (base level :math:`\\beta_1 = 0`), adds
    :math:`\\bar\\beta` to the intercept and includes the base-level dummy.

    For ``model="logit"``/``"probit"`` with response function :math:`F` and
    :math:`\\bar F_g(\\beta)` the (weighted) mean of :math:`F(x_i'\\beta)` over group g, the gap
    :math:`\\bar F_A(\\hat\\beta_A) - \\bar F_B(\\hat\\beta_B)` (the observed shares, for logit) splits into
    :math:`Q = \\bar F_A(\\beta^*) - \\bar F_B(\\beta^*)` and :math:`U` = gap - Q; the detailed parts
    use Yun's (2004) weights :math:`Q_k = Q\\,\\frac{(\\bar x_{Ak}-\\bar x_{Bk})\\beta^*_k}{\\sum_j(\\bar x_{Aj}-\\bar x_{Bj})\\beta^*_j}`
    and :math:`U_k = U\\,\\frac{\\bar x_{Ak}(\\beta_{Ak}-\\beta^*_k) + \\bar x_{Bk}(\\beta^*_k-\\beta_{Bk})}{\\sum_j[\\cdot]}`,
    which do not depend on the order of the variables (unlike Fairlie's sequential replacement).

    Delta-method variances treat regressors as stochastic (Jann 2008): every component is a
    smooth function of the group means and coefficient vectors, its influence function follows
    by the product rule from those of :math:`\\bar x_g` (:math:`w_i(x_i-\\bar x_g)/W_g`) and of the
    least-squares coefficients (:math:`(X'WX)^{-1}x_iw_ie_i`), and its variance is the
    sandwich sum of the influence functions (independent observations, clusters or a survey
    design). This also gives the covariances between pooled and group coefficients. It equals
    Jann's estimator with heteroskedasticity-robust coefficient variances (up to :math:`n/(n-1)`).

    References
    ----------
    Blinder, A. S. (1973). Wage discrimination: reduced form and structural estimates. *Journal of
    Human Resources* 8(4), 436-455.
    Oaxaca, R. (1973). Male-female wage differentials in urban labor markets. *International
    Economic Review* 14(3), 693-709.
    Jann, B. (2008). The Blinder-Oaxaca decomposition for linear regression models. *The Stata
    Journal* 8(4), 453-479.
    Yun, M.-S. (2004). Decomposing differences in the first moment. *Economics Letters* 82(2), 275-280.
    Hlavac, M. (2022). oaxaca: Blinder-Oaxaca Decomposition in R. R package version 0.1.5.
    Fairlie, R. W. (2005). An extension of the Blinder-Oaxaca decomposition technique to logit and
    probit models. *Journal of Economic and Social Measurement* 30(4), 305-316.
    Yun, M.-S. (2005). A simple solution to the identification problem in detailed wage
    decompositions. *Economic Inquiry* 43(4), 766-772.
    Neumark, D. (1988). Employers' discriminatory behavior and the estimation of wage
    discrimination. *Journal of Human Resources* 23(3), 279-295.
    Cotton, J. (1988). On the decomposition of wage differentials. *Review of Economics and
    Statistics* 70(2), 236-243.
    Reimers, C. W. (1983). Labor market discrimination against Hispanic and black men. *Review of
    Economics and Statistics* 65(4), 570-579.
    Fortin, N. M. (2008). The gender wage gap among young adults in the United States: the
    importance of money versus people. *Journal of Human Resources* 43(4), 884-918.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> r = dp.oaxaca("oop ~ age + edu_years", df, by="urban")
    >>> round(r.gap.value, 2), round(r.gap.std_error, 2)
    (-410.92, 114.25)
    >>> round(r.twofold.explained.value, 2), round(r.twofold.unexplained.value, 2)
    (3.04, -413.96)
    """
    if not isinstance(reference, (int, float)) or isinstance(reference, bool):
        check_option("reference", reference, REFERENCES)
    elif not np.isfinite(reference):
        raise SpecificationError(f"reference={reference!r} must be a finite weight (e.g. 0.5).")
    check_option("se", se, OAXACA_SE)
    check_option("model", model, ("linear", "logit", "probit"))
    if vcov is None:
        vcov = "survey" if design is not None else "HC0"
    check_option("vcov", vcov, OAXACA_VCOV)
    check_option("weight_type", weight_type, WEIGHT_TYPES)
    if vcov == "cluster" and cluster is None:
        raise SpecificationError("vcov='cluster' needs cluster= (the clustering column).")
    if vcov == "survey":
        if design is None:
            raise SpecificationError("vcov='survey' needs design=dp.SurveyDesign(weights=..., strata=..., psu=...).")
        if se == "bootstrap":
            raise SpecificationError(
                "se='bootstrap' resamples rows or clusters and ignores the survey design; with "
                "design= use se='delta' (linearisation, or the replicate weights of a "
                "dp.ReplicateDesign)."
            )
        if weights is not None and design.weights not in (None, weights):
            raise SpecificationError(f"weights={weights!r} and design.weights={design.weights!r} disagree; give one.")
        weights, weight_type = design.weights or weights, "pweight"
    elif design is not None:
        raise SpecificationError("design= is only used with vcov='survey'.")
    if not isinstance(reps, int) or reps < 2:
        raise SpecificationError(f"reps={reps!r} must be an integer of at least 2 (e.g. 999).")
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    if not data.index.is_unique:
        # positions stand in for the duplicated labels (e.g. rows replicated with .repeat)
        data = data.reset_index(drop=True)
    design_cols = design_columns(design, list(data.columns)) if design is not None else []
    sample = cv.survey_frames(design, data)  # a subpopulation: the rows estimated on
    a_val, b_val = _two_groups(sample, by, group_a)
    if by in required_columns(formula):
        raise SpecificationError(
            f"The group column {by!r} appears in the formula; remove it (the decomposition compares "
            "the groups, it does not regress on them)."
        )
    extra = [c for c in [by, weights, cluster, *design_cols] if c]
    for c in extra:
        if c not in data.columns:
            raise SpecificationError(f"Column {c!r} (weights/cluster/design) is not in the data.")
    d = build_design(formula, sample.loc[sample[by].notna()], extra=extra)
    if d.intercept is None:
        raise SpecificationError(
            f"Formula {formula!r} has no intercept; the Blinder-Oaxaca decomposition needs one "
            "(remove '- 1' or '0 +')."
        )
    X, y = d.X.to_numpy(), d.y.to_numpy()
    names = list(d.X.columns)
    n, k = X.shape
    a = (data.loc[d.index, by] == a_val).to_numpy()
    labels = {"A": a_val, "B": b_val}
    for g, mask in (("A", a), ("B", ~a)):
        ng = int(mask.sum())
        if ng <= k:
            raise DataValueError(
                f"Group {labels[g]!r} of {by!r} has {ng} complete observations for {k} coefficients; "
                f"each group needs more observations than coefficients. Use fewer regressors or more data."
            )
        Xg = X[mask]
        const = [names[j] for j in range(k) if j != d.intercept and np.ptp(Xg[:, j]) == 0]
        if const:
            raise DataValueError(
                f"In group {labels[g]!r} of {by!r} the covariate(s) {const!r} do not vary "
                f"(always {Xg[0, names.index(const[0])]:g} for {const[0]!r}), so their coefficients in "
                "that group are not identified. Drop them, merge rare categories, or restrict the sample."
            )
    w_given = prepare_weights(data, weights, weight_type, d.index)
    w = np.ones(n) if w_given is None else w_given
    blocks = _categorical_blocks(d, names, normalize)
    T = _normaliser(k, d.intercept, blocks)
    Xt = _augment(X, d.intercept, blocks)
    tnames = names + [f"{expr}[{base}]" for expr, _, base in blocks]
    term_of = {names[j]: expr for expr, cols, _ in blocks for j in cols}
    term_of.update({f"{expr}[{base}]": expr for expr, _, base in blocks})

    # Group and pooled regressions through dp.ols (columns renamed to safe identifiers).
    frame = pd.DataFrame(np.delete(X, d.intercept, axis=1), index=d.index,
                         columns=[f"x{j}" for j in range(k) if j != d.intercept])
    frame["y__"] = y
    # The pooled regression's group dummy is 1 for the by-variable's higher value, as R oaxaca and
    # Stata's oaxaca code it; the reference intercept, hence the A/B split of the unexplained part,
    # is that of the group coded 0.
    dummy_is_a = a_val == _two_groups(sample, by, None)[0]
    frame["grp__"] = (a if dummy_is_a else ~a).astype(float)
    wcol = None
    if w_given is not None:
        frame["w__"] = w_given
        wcol = "w__"
    rhs = " + ".join(frame.columns[: k - 1]) or "1"
    order = ["Intercept" if j == d.intercept else f"x{j}" for j in range(k)]
    wt = "pweight" if weight_type == "aweight" else weight_type
    if model != "linear" and not set(np.unique(y).tolist()) <= {0.0, 1.0}:
        raise DataValueError(
            f"model={model!r} needs a binary outcome coded 0/1, but {d.y.name!r} takes other values; "
            "recode it or use model='linear'."
        )
    estimator = {"linear": ols, "logit": logit, "probit": probit}[model]

    def fit(rows: np.ndarray, with_group: bool, label: str) -> tuple[ModelResult, _Fit]:
        f = f"y__ ~ {rhs}" + (" + grp__" if with_group else "")
        try:
            res = estimator(f, frame.loc[rows], weights=wcol, weight_type=wt)
        except CollinearityError as exc:
            msg = str(exc)
            for j in range(k):
                msg = msg.replace(f"'x{j}'", repr(names[j]))
            raise CollinearityError(f"{label}: {msg}") from None
        pos = [list(res.params.index).index(t) for t in order]
        if with_group:
            pos_all = pos + [list(res.params.index).index("grp__")]
        else:
            pos_all = pos
        raw = res.raw
        if model == "linear":
            wr = np.ones(len(raw["y"])) if raw["weights"] is None else raw["weights"]
            infl = (raw["X"] * (wr * raw["resid"])[:, None]) @ raw["bread"]
        else:
            infl = res.extra["scores"] @ res.extra["bread"]
        return res, _Fit(res.params.to_numpy()[pos_all], infl[:, pos_all])

    mA, fa = fit(a, False, f"group {a_val!r}")
    mB, fb = fit(~a, False, f"group {b_val!r}")
    models = {"A": mA, "B": mB}
    lam = _ref_weight(reference, float(w[a].sum()), float(w[~a].sum()))
    if lam is None:
        mS, fs = fit(np.ones(n, dtype=bool), reference == "pooled", "pooled regression")
        models["pooled"] = mS
        bs = fs.params[:k]
    else:
        bs = lam * fa.params + (1 - lam) * fb.params
    xa, xb = _wmean(Xt[a], w[a]), _wmean(Xt[~a], w[~a])
    ba, bb, bst = T @ fa.params, T @ fb.params, T @ bs
    if model == "linear":
        pieces = _pieces(xa, xb, ba, bb, bst)
        mean_a, mean_b = float(xa @ ba), float(xb @ bb)
    else:
        pieces, mean_a, mean_b = binary_pieces(Xt, w, a, ba, bb, bst, model)
    n_pieces = pieces.size

    notes: list[str] = []
    if blocks:
        notes.append("Detailed results normalised for " + ", ".join(e for e, _, _ in blocks)
                     + " (Yun 2005): they do not depend on the omitted category.")
    cov_all = None
    boot = None
    if se == "delta" and isinstance(design, ReplicateDesign):
        theta = np.concatenate([pieces.ravel(), [mean_a - mean_b, mean_a, mean_b]])
        cov_all, _ = cv.replicate_refit_vcov(
            lambda wr: _point(X, y, wr, a, reference, model, T, Xt, dummy_is_a, exact=True),
            theta, design, data.loc[d.index], data)
        notes.append(
            f"Standard errors from {design.type} replicate weights: the decomposition refitted "
            "with each replicate weight column."
        )
    elif se == "delta":
        Ixa = np.zeros((n, Xt.shape[1]))
        Ixb = np.zeros_like(Ixa)
        Ixa[a] = w[a, None] * (Xt[a] - xa) / w[a].sum()
        Ixb[~a] = w[~a, None] * (Xt[~a] - xb) / w[~a].sum()

        def coef_infl(fitted: _Fit, rows: np.ndarray) -> np.ndarray:
            out = np.zeros((n, fitted.infl.shape[1]))
            out[rows] = fitted.infl
            return out

        Iba = coef_infl(fa, a) @ T.T
        Ibb = coef_infl(fb, ~a) @ T.T
        if lam is None:
            Ibs = coef_infl(fs, np.ones(n, dtype=bool))[:, :k] @ T.T
        else:
            Ibs = lam * Iba + (1 - lam) * Ibb
        if model == "linear":
            Ip = _pieces_infl(xa, xb, ba, bb, bst, Ixa, Ixb, Iba, Ibb, Ibs)
            gap_infl = Ixa @ ba + Iba @ xa - Ixb @ bb - Ibb @ xb
            mean_infl = np.column_stack([Ixa @ ba + Iba @ xa, Ixb @ bb + Ibb @ xb])
            infl = np.column_stack([*Ip, gap_infl, mean_infl])
        else:
            infl = binary_pieces_infl(Xt, w, a, ba, bb, bst, model, Ixa, Ixb, Iba, Ibb, Ibs)
        frame_d = data.loc[d.index]
        codes = cv.cluster_codes(data, [cluster], d.index)[0] if vcov == "cluster" and cluster is not None else None
        fw = w if (w_given is not None and weight_type == "fweight") else None
        cov_all = linearized_cov(infl, kind=vcov, clusters=codes, design=design, frame=frame_d,
                                 fweights=fw, data=survey_data(design, data, formula, extra))
        notes.append(
            "Standard errors by linearisation (delta method, stochastic regressors; Jann 2008), "
            + {"HC0": "independent observations.", "cluster": f"clustered by {cluster!r}.",
               "survey": "survey design (Taylor linearisation)."}[vcov]
        )
    elif se == "bootstrap":
        rng = np.random.default_rng(seed)
        tick = _resample.Ticker("Oaxaca bootstrap", reps, progress=progress,
                                bytes_needed=8.0 * (reps * (n_pieces + 3) + 3 * X.size))
        reps_out = np.empty((reps, n_pieces + 3))
        if cluster is not None:
            ccodes = cv.cluster_codes(data, [cluster], d.index)[0]
            members = [np.flatnonzero(ccodes == g) for g in range(int(ccodes.max()) + 1)]
        ia, ib = np.flatnonzero(a), np.flatnonzero(~a)
        done = 0
        tries = 0
        while done < reps:
            tries += 1
            if tries > 5 * reps:
                raise DataValueError(
                    "Too many bootstrap samples had a covariate without variation in a group; the groups "
                    "are too small or covariates too rare for the bootstrap. Use se='delta'."
                )
            if cluster is not None:
                pick = rng.integers(0, len(members), len(members))
                idx = np.concatenate([members[g] for g in pick])
            else:
                idx = np.concatenate([rng.choice(ia, ia.size), rng.choice(ib, ib.size)])
            ab = a[idx]
            if ab.sum() <= k or (~ab).sum() <= k:
                continue
            try:
                p = _point(X[idx], y[idx], w[idx], ab, reference, model, T, Xt[idx], dummy_is_a)
            except DisparityErrorTypes:
                continue
            reps_out[done] = p
            done += 1
            tick()
        tick.close()
        boot = reps_out
        notes.append(
            f"Bootstrap standard errors ({reps} draws, seed {seed}; "
            + ("clusters resampled)." if cluster is not None else "observations resampled within groups).")
        )

    def se_of(pos: np.ndarray | int) -> float:
        """Standard error of a sum of entries of the stacked estimate vector."""
        vec = np.zeros(n_pieces + 3)
        vec[pos] = 1.0
        if cov_all is not None:
            return float(np.sqrt(max(vec @ cov_all @ vec, 0.0)))
        if boot is not None:
            return float(np.std(boot @ vec, ddof=1))
        return float("nan")

    kt = Xt.shape[1]
    idx_of = lambda r, cols: r * kt + np.asarray(cols, dtype=int)  # noqa: E731
    allc = np.arange(kt)
    off = 3 if model == "linear" else 0
    tf = (Threefold(*(Estimate(PARTS3[r], float(pieces[r].sum()), se_of(idx_of(r, allc))) for r in range(3)))
          if model == "linear" else None)
    ref_name = reference if isinstance(reference, str) else f"weight {reference:g}"
    e2 = [Estimate(PARTS2[r], float(pieces[off + r].sum()), se_of(idx_of(off + r, allc))) for r in range(4)]
    two = Twofold(e2[0], e2[1], reference=ref_name, unexplained_a=e2[2], unexplained_b=e2[3])
    gap = Estimate("gap", mean_a - mean_b, se_of(n_pieces))
    ests_mean = [Estimate("mean_a", mean_a, se_of(n_pieces + 1)), Estimate("mean_b", mean_b, se_of(n_pieces + 2))]

    parts = ([("threefold", c) for c in PARTS3] if model == "linear" else []) + [("twofold", c) for c in PARTS2]
    rows_c, rows_t = [], []
    terms = list(dict.fromkeys(term_of.get(nm, nm) for nm in tnames))
    for r, (part, comp) in enumerate(parts):
        for j, nm in enumerate(tnames):
            rows_c.append((part, comp, nm, float(pieces[r, j]), se_of(idx_of(r, [j]))))
        for term in terms:
            cols = [j for j, nm in enumerate(tnames) if term_of.get(nm, nm) == term]
            rows_t.append((part, comp, term, float(pieces[r, cols].sum()), se_of(idx_of(r, cols))))
    cols_ = ["part", "component", "term", "estimate", "std_error"]
    raw: dict[str, Any] = {
        "detail_columns": pd.DataFrame(rows_c, columns=cols_),
        "detail_terms": pd.DataFrame(rows_t, columns=cols_),
        "names": tnames,
        "means_a": pd.Series(xa, index=tnames), "means_b": pd.Series(xb, index=tnames),
        "coef_a": pd.Series(ba, index=tnames), "coef_b": pd.Series(bb, index=tnames),
        "coef_reference": pd.Series(bst, index=tnames),
        "cov": cov_all, "bootstrap": boot,
    }
    spec: dict[str, Any] = {
        "formula": formula, "by": by, "reference": ref_name, "model": model, "weights": weights,
        "weight_type": weight_type if weights else None, "se": se,
        "vcov": vcov if se == "delta" else None, "cluster": cluster, "reps": reps if se == "bootstrap" else None,
        "seed": seed, "normalized": tuple(e for e, _, _ in blocks), "notes": tuple(notes),
        "n_dropped": d.n_dropped + int(sample[by].isna().sum()),
    }
    return OaxacaResult(
        gap=gap, mean_a=ests_mean[0], mean_b=ests_mean[1], threefold=tf, twofold=two,
        groups=(a_val, b_val), nobs={"A": int(a.sum()), "B": int((~a).sum())}, models=models,
        spec=OaxacaSpec(**spec, data=data_source(data)), raw=raw,
    )


DisparityErrorTypes = (CollinearityError, DataValueError, np.linalg.LinAlgError)
