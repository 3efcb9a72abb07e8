"""Survey designs shared by measures, models and the survey descriptives.

Two kinds, both described by column names of the data they are used with:

* :class:`SurveyDesign`: strata, (multistage) clusters, weights and finite-population corrections;
  variances by Taylor linearisation, as R ``survey::svydesign`` and Stata ``svyset``.
* :class:`ReplicateDesign`: full-sample and replicate weights (jackknife, BRR, Fay, bootstrap);
  variances from the spread of the replicate estimates, as R ``survey::svrepdesign`` and Stata
  ``svyset, brrweight()/jkrweight()/bsrweight()``.

Passing a design is enough: it carries the weights, so no ``weights=`` is given beside it. Both
kinds are accepted by every measure and model that takes ``design=``; the computations live in
:mod:`disparity.survey` (one implementation for measures and models).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ._options import check_option
from .errors import SpecificationError

__all__ = ["SurveyDesign", "ReplicateDesign", "SinglePsu", "MissingRule", "SurveyDf"]

SinglePsu = Literal["fail", "certainty", "scaled", "centered"]
MissingRule = Literal["domain", "drop"]
SurveyDf = Literal["stata", "r"]
ReplicateType = Literal["JK1", "JKn", "BRR", "Fay", "bootstrap"]

SINGLE_PSU: tuple[str, ...] = ("fail", "certainty", "scaled", "centered")
MISSING_RULES: tuple[str, ...] = ("domain", "drop")
SURVEY_DF: tuple[str, ...] = ("stata", "r")
REPLICATE_TYPES: tuple[str, ...] = ("JK1", "JKn", "BRR", "Fay", "bootstrap")


def _names(value: str | Sequence[str] | None, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    out = tuple(value)
    if not all(isinstance(v, str) for v in out):
        raise SpecificationError(f"{what} must be a column name or a list of column names.")
    return out


def _check_name(value: object, what: str) -> None:
    if value is not None and not isinstance(value, str):
        raise SpecificationError(
            f"{what}= must be a column name (str) or None, got {type(value).__name__}."
        )


def _and(a: str | None, b: str) -> str:
    return b if a is None else f"({a}) & ({b})"


class _DesignOptions:
    """Shared behaviour of the two design kinds (subpopulations, option checks)."""

    __slots__ = ()
    subpop: str | None
    missing: MissingRule
    df: SurveyDf

    def _check_common(self) -> None:
        check_option("missing", self.missing, MISSING_RULES)
        check_option("df", self.df, SURVEY_DF)
        _check_name(self.subpop, "subpop")

    def subset(self, subpop: str):  # noqa: ANN201  (returns the same class)
        """The design restricted to a subpopulation, keeping the full design for variances.

        ``subpop`` is a boolean column or an expression over columns, e.g. ``"urban == 0"`` or
        ``"(age >= 60) & `acs.46` > 0"`` (backquotes quote any column name). Rows outside it keep
        their strata and PSUs in the variance with zero contribution, as R
        ``subset(design, ...)`` and Stata ``svy, subpop()``. Repeated calls combine with "and".
        """
        if not isinstance(subpop, str):
            raise SpecificationError("subset() takes a column name or an expression (str).")
        return dataclasses.replace(self, subpop=_and(self.subpop, subpop))  # type: ignore[type-var]


@dataclass(frozen=True, slots=True)
class SurveyDesign(_DesignOptions):
    """A complex survey design (strata, multistage clusters, weights, fpc), by column names.

    Parameters
    ----------
    weights : str, optional
        Column of sampling (probability) weights. Without it every row weighs 1.
    strata : str, optional
        Column identifying first-stage strata.
    psu : str, optional
        Column identifying primary sampling units (first-stage clusters). Without it every row is
        its own PSU.
    fpc : str, optional
        First-stage finite-population correction, one value per stratum: the stratum's population
        count of PSUs (values > 1) or its sampling fraction (values in (0, 1]).
    ssu : str or list of str, optional
        Cluster columns of the later stages (secondary units within PSUs, then within those, ...),
        as R ``svydesign(ids = ~psu + ssu)``.
    fpc2 : str or list of str, optional
        Finite-population correction of each later stage, per PSU (counts of units in the parent
        cluster, or fractions). Later stages add to the variance only where the stages above have
        an fpc (without one, the first stage is treated as drawn with replacement and its PSU
        totals carry all the variance: the ultimate-cluster approximation).
    nest : bool, default True
        PSU codes are nested in strata: the same code in two strata names two PSUs (Stata always;
        R ``nest=TRUE``). With ``nest=False`` a PSU code found in two strata is an error (R's
        default check).
    single_psu : {"fail", "certainty", "scaled", "centered"}
        A stratum with a single PSU: "fail" raises (R ``survey.lonely.psu="fail"``, the default of
        both packages); "certainty" gives it no variance (R "certainty", Stata
        ``singleunit(certainty)``); "scaled" leaves it out and scales the variance by the number
        of strata over those with two or more PSUs (R "average", Stata ``singleunit(scaled)``);
        "centered" measures its PSU total from zero, the mean of a linearised variable, instead
        of from the stratum mean (R "adjust", Stata ``singleunit(centered)``).
    missing : {"domain", "drop"}
        Rows with a missing value in an analysis variable: "domain" (default) keeps them in the
        design with zero contribution, so strata and PSU counts stay those of the whole sample
        (R ``na.rm=TRUE``, which subsets the design; Stata ``subpop()``); "drop" removes them before
        the design is formed (the behaviour of earlier versions). Design columns themselves must be
        complete under "domain".
    df : {"stata", "r"}
        Degrees of freedom of t intervals and tests: "stata" = #PSU − #strata of the whole design
        (Stata ``svy``); "r" = the same count over the PSUs and strata with observations in the
        estimation domain (R ``degf()`` of the subset design), minus ``k − 1`` for a model with
        ``k`` coefficients (R ``summary.svyglm``); R's descriptives use the normal (``confint``).
    subpop : str, optional
        Subpopulation (a boolean column or an expression; see :meth:`subset`).

    Notes
    -----
    Taylor-linearisation variance of an estimated total :math:`\\hat t_z = \\sum_k w_k u_k`
    (:math:`u_k` the influence function of the statistic), first stage:

    .. math:: \\hat V_1 = \\sum_h (1 - f_h) \\frac{n_h}{n_h - 1}
              \\sum_{i \\in h} (z_{hi} - \\bar z_h)(z_{hi} - \\bar z_h)'

    with :math:`z_{hi}` the PSU totals of :math:`w_k u_k` and :math:`f_h` the sampling fraction
    (0 without fpc). With an fpc, each later stage adds the same formula within each PSU (its
    SSUs as the units, the PSU as the stratum), multiplied by the sampling fractions of the
    stages above (Särndal, Swensson & Wretman 1992, §4.3; R ``survey:::multistage``).

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.
    Särndal, C.-E., Swensson, B. & Wretman, J. (1992). *Model Assisted Survey Sampling*. Springer.
    StataCorp (2023). *Stata Survey Data Reference Manual*, release 18 (``svyset``, ``singleunit()``).

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> des = dp.SurveyDesign(weights="weight", strata="strata", psu="psu")
    >>> round(float(dp.svy_mean(df, "oop", design=des).std_error), 2)
    77.23
    >>> rural = des.subset("urban == '农村'")  # a domain: the whole design stays in the variance
    >>> round(float(dp.svy_mean(df, "oop", design=rural).std_error), 2)
    132.31
    """

    weights: str | None = None
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    ssu: str | Sequence[str] | None = None
    fpc2: str | Sequence[str] | None = None
    nest: bool = True
    single_psu: SinglePsu = "fail"
    missing: MissingRule = "domain"
    df: SurveyDf = "stata"
    subpop: str | None = None

    def __post_init__(self) -> None:
        for name in ("weights", "strata", "psu", "fpc"):
            _check_name(getattr(self, name), name)
        object.__setattr__(self, "ssu", _names(self.ssu, "ssu") or None)
        object.__setattr__(self, "fpc2", _names(self.fpc2, "fpc2") or None)
        if self.ssu and self.psu is None:
            raise SpecificationError(
                "ssu= names later-stage clusters; give the first stage as psu= too."
            )
        if self.fpc2 and len(self.fpc2) > len(self.ssu or ()):
            raise SpecificationError(
                f"fpc2= has {len(self.fpc2)} column(s) but ssu= only {len(self.ssu or ())}; "
                "give one fpc per later stage."
            )
        if self.fpc2 and self.fpc is None:
            raise SpecificationError(
                "fpc2= without fpc=: later stages only contribute when the first stage has a "
                "finite-population correction; give fpc= as well."
            )
        if not isinstance(self.nest, bool):
            raise SpecificationError(f"nest= must be True or False, got {self.nest!r}.")
        check_option("single_psu", self.single_psu, SINGLE_PSU)
        self._check_common()

    @property
    def stages(self) -> tuple[str, ...]:
        """Cluster columns by stage (the PSU first)."""
        return ((self.psu,) if self.psu else ()) + tuple(self.ssu or ())

    def columns(self) -> list[str]:
        """The data columns this design refers to (not the subpopulation's)."""
        cols = [self.weights, self.strata, self.psu, self.fpc, *(self.ssu or ()), *(self.fpc2 or ())]
        return list(dict.fromkeys(c for c in cols if c is not None))


@dataclass(frozen=True, slots=True)
class ReplicateDesign(_DesignOptions):
    """A design given by replicate weights (jackknife, BRR, Fay, bootstrap), by column names.

    Parameters
    ----------
    weights : str
        Column of full-sample weights.
    replicates : list of str, or str
        Columns of replicate weights (full weights, not multipliers: R's ``combined.weights=TRUE``),
        or one string used as a regular expression matched against the column names (as R's
        ``repweights="repw[0-9]+"``).
    type : {"JK1", "JKn", "BRR", "Fay", "bootstrap"}
        Replication method; sets the default ``scale`` (below).
    rho : float, optional
        Fay's perturbation factor (``type="Fay"``; BRR is ``rho = 0``).
    scale, rscales : float and list of float, optional
        :math:`\\hat V = c \\sum_r c_r (\\hat\\theta_r - \\bar\\theta)^2`. Defaults as R
        ``svrepdesign``: JK1 :math:`c = (R-1)/R`; BRR :math:`c = 1/R`; Fay
        :math:`c = 1/(R(1-\\rho)^2)`; bootstrap :math:`c = 1/(R-1)`; JKn needs ``rscales`` (the
        :math:`(n_h - 1)/n_h` of each replicate's stratum) and has :math:`c = 1`; :math:`c_r = 1`
        otherwise.
    mse : bool, default False
        Centre at the full-sample estimate instead of the replicate mean (R ``mse=TRUE``, Stata
        ``mse``).
    missing, df, subpop
        As :class:`SurveyDesign`. Replicate estimates are computed on the estimation domain, so
        "domain" and "drop" agree; ``df`` is the rank of the replicate weights minus one under
        both conventions (R ``degf``; Stata's ``dof()`` can set it explicitly, see ``dof``).
    dof : int, optional
        Design degrees of freedom to use instead (Stata ``svyset ..., dof()``).

    Notes
    -----
    Each statistic is recomputed with every replicate weight column, so nonlinear statistics
    (Gini, quantiles, model coefficients) need no linearisation.

    References
    ----------
    Wolter, K. M. (2007). *Introduction to Variance Estimation*, 2nd ed. Springer.
    Judkins, D. R. (1990). Fay's method for variance estimation. *J. Official Statistics* 6, 223-239.
    Lumley, T. (2010). *Complex Surveys*. Wiley, §2.4.

    Examples
    --------
    >>> df = dp.datasets.chifeng_survey()
    >>> import pandas as pd
    >>> psus = sorted(df["psu"].unique())  # delete-one-PSU jackknife (JK1) weights, by hand
    >>> n = len(psus)
    >>> jk = pd.DataFrame({f"jk{i}": df["weight"] * (df["psu"] != p) * n / (n - 1)
    ...                    for i, p in enumerate(psus)})
    >>> des = dp.ReplicateDesign(weights="weight", replicates="^jk[0-9]+$", type="JK1")
    >>> round(float(dp.svy_mean(pd.concat([df, jk], axis=1), "oop", design=des).std_error), 2)
    76.69
    """

    weights: str | None = None
    replicates: str | Sequence[str] = ()
    type: ReplicateType = "BRR"
    rho: float | None = None
    scale: float | None = None
    rscales: Sequence[float] | None = None
    mse: bool = False
    missing: MissingRule = "domain"
    df: SurveyDf = "stata"
    subpop: str | None = None
    dof: int | None = None

    def __post_init__(self) -> None:
        _check_name(self.weights, "weights")
        if self.weights is None:
            raise SpecificationError("ReplicateDesign needs weights= (the full-sample weights).")
        if not isinstance(self.replicates, str):
            object.__setattr__(self, "replicates", _names(self.replicates, "replicates"))
            if not self.replicates:
                raise SpecificationError(
                    "ReplicateDesign needs replicates= (the replicate weight columns, or a regular "
                    "expression matching them)."
                )
        check_option("type", self.type, REPLICATE_TYPES)
        if self.type == "Fay":
            if self.rho is None or not 0 <= float(self.rho) < 1:
                raise SpecificationError("type='Fay' needs rho= in [0, 1), e.g. rho=0.5.")
        elif self.rho is not None:
            raise SpecificationError(f"rho= is only used with type='Fay' (type={self.type!r}).")
        if self.type == "JKn" and self.rscales is None:
            raise SpecificationError(
                "type='JKn' needs rscales= ((n_h - 1)/n_h for the stratum of each replicate)."
            )
        if self.rscales is not None:
            object.__setattr__(self, "rscales", tuple(float(r) for r in self.rscales))
        if self.scale is not None and not float(self.scale) > 0:
            raise SpecificationError(f"scale={self.scale!r} must be positive.")
        if not isinstance(self.mse, bool):
            raise SpecificationError(f"mse= must be True or False, got {self.mse!r}.")
        if self.dof is not None and (not isinstance(self.dof, int) or self.dof < 1):
            raise SpecificationError(f"dof={self.dof!r} must be a positive integer.")
        self._check_common()

    def columns(self, available: Sequence[str] | None = None) -> list[str]:
        """The weight and replicate columns (a pattern is matched against ``available``)."""
        return [c for c in [self.weights, *self.replicate_columns(available)] if c]

    def replicate_columns(self, available: Sequence[str] | None = None) -> list[str]:
        """The replicate weight columns; a regular expression is matched against ``available``."""
        if not isinstance(self.replicates, str):
            return list(self.replicates)
        if available is None:
            return []
        import re

        try:
            pattern = re.compile(self.replicates)
        except re.error as exc:
            raise SpecificationError(
                f"replicates={self.replicates!r} is not a valid regular expression ({exc})."
            ) from None
        found = [str(c) for c in available if pattern.search(str(c))]
        if self.weights in found:
            found.remove(self.weights)
        if not found:
            raise SpecificationError(
                f"replicates={self.replicates!r} matches no column of the data; give the replicate "
                "weight columns as a list or fix the pattern."
            )
        return found
