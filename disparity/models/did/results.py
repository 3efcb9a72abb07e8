"""Frozen results of difference-in-differences estimators."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ... import _display
from ..._options import check_option
from ...errors import DataValueError, SpecificationError
from ...specs import DidSpec
from ..results import ModelResult, ModelSummary
from ._inference import AGG_KINDS, AggKind, aggregate_cells, analytic_se, multiplier_bootstrap

__all__ = ["EventStudyResult", "AggregateResult", "DidResult", "PretrendTest"]

_LABEL = {"dynamic": "event_time", "group": "cohort", "calendar": "time", "simple": "term"}


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise SpecificationError(f"level={level!r} must be between 0 and 1 (e.g. 0.95).")


def _html_table(t: pd.DataFrame, title: str, notes: tuple[str, ...]) -> str:
    """Kept for callers of the old name; the display module renders."""
    return _display.html(_display.View(title, {}, {"": t}, notes))


class _Shown:
    """``str`` (the summary), a one-line ``repr`` and ``_repr_html_`` from the result's ``_view()``."""

    __slots__ = ()
    _repr_keys: tuple[str, ...] = ("nobs",)

    def _view(self) -> _display.View:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __str__(self) -> str:
        return _display.text(self._view())

    def __repr__(self) -> str:
        return _display.repr_line(self, self._view(), keys=self._repr_keys)

    def _repr_html_(self) -> str:
        return _display.html(self._view())


@dataclass(frozen=True, repr=False, slots=True)
class PretrendTest(_Shown):
    """Joint Wald test that all pre-treatment effects are zero.

    ``p_value`` refers the statistic to chi-squared(``df``), as R's ``did`` and Stata's ``csdid``
    do. That reference needs many more independent units (clusters, or units without clustering)
    than restrictions: the covariance is estimated from ``n_units`` influence-function sums, and
    with ``df`` close to ``n_units`` its inverse, hence the statistic, is inflated many times.
    ``p_value_f`` is the small-sample version (Hotelling's T-squared): with
    :math:`T^2 = W (n-1)/n`, :math:`F = \\frac{n-p}{p(n-1)} T^2 \\sim F(p, n-p)` for :math:`n`
    units and :math:`p` = ``df`` restrictions (NaN when :math:`n \\le p`); ``note`` says when the
    two disagree in kind.

    References
    ----------
    Hotelling, H. (1931). The generalization of Student's ratio. *Annals of Mathematical
    Statistics* 2(3), 360-378.
    """

    statistic: float
    df: int
    p_value: float
    terms: tuple[str, ...]
    n_units: int | None = None
    p_value_f: float = float("nan")
    note: str | None = None

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame([{"test": "pretrend", "statistic": self.statistic, "df": self.df,
                              "p_value": self.p_value, "n_units": self.n_units,
                              "p_value_f": self.p_value_f}])

    _repr_keys = ("statistic", "df", "p_value")

    def _view(self) -> _display.View:
        info = {"statistic": self.statistic, "df": self.df, "p_value": self.p_value,
                "p_value_f": self.p_value_f, "n_units": self.n_units, "terms": " ".join(self.terms)}
        return _display.View("pre-trend Wald test", info, {}, (self.note,) if self.note else ())


#: Below this many independent units per tested restriction the chi-squared reference of the
#: pre-trend Wald test is unreliable (the covariance inverse is inflated; Hotelling's F is exact
#: for normal scores), and ``PretrendTest.note`` says so.
PRETREND_UNITS_PER_RESTRICTION = 10


@dataclass(frozen=True, repr=False, slots=True)
class AggregateResult(_Shown):
    """An aggregation of ATT(g, t): an overall effect plus one row per label (event time, cohort, period)."""

    kind: str
    table: pd.DataFrame  # label column, att, std_error, conf_low, conf_high, band_low, band_high
    value: float
    std_error: float
    crit: float  # uniform-band critical value (nan without bootstrap)
    notes: tuple[str, ...] = ()
    #: Sun-Abraham: the weight of each cohort-by-event-time cell in each row (rows: the table's
    #: labels, or "ATT" for "simple"; columns: cohort, event_time, time, weight).
    weights: pd.DataFrame | None = None
    #: degrees of freedom of the t reference distribution (regression-based estimators), else None
    df: float | None = None

    def __float__(self) -> float:
        return float(self.value)

    def conf_int(self, level: float = 0.95) -> tuple[float, float]:
        _check_level(level)
        q = float((stats.norm if self.df is None else stats.t(self.df)).ppf(0.5 + level / 2))
        return (self.value - q * self.std_error, self.value + q * self.std_error)

    def tidy(self) -> pd.DataFrame:
        """One row per event time / cohort / period; for ``"simple"``, one row with the overall ATT."""
        if self.table.empty:
            lo, hi = self.conf_int()
            return pd.DataFrame([{"term": "ATT", "att": self.value, "std_error": self.std_error,
                                  "conf_low": lo, "conf_high": hi}])
        return self.table.copy()

    def glance(self) -> pd.DataFrame:
        lo, hi = self.conf_int()
        return pd.DataFrame([{"aggregation": self.kind, "att": self.value, "std_error": self.std_error,
                              "conf_low": lo, "conf_high": hi}])

    def plot(self) -> Any:
        from ._plot import event_plot

        return event_plot(self.table, _LABEL[self.kind], reference=-1 if self.kind == "dynamic" else None)

    _repr_keys = ("att", "std_error")

    def _view(self) -> _display.View:
        lo, hi = self.conf_int()
        info = {"att": self.value, "std_error": self.std_error, "conf_int": (lo, hi)}
        if np.isfinite(self.crit):
            info["uniform_band_crit"] = self.crit
        return _display.View(f"{self.kind} aggregation of ATT(g, t)", info,
                             {} if self.table.empty else {"": self.table}, self.notes)


@dataclass(frozen=True, repr=False, slots=True)
class EventStudyResult(_Shown):
    """Group-time effects (Callaway-Sant'Anna) or event-study coefficients (TWFE, Sun-Abraham).

    ``att_gt()`` gives one row per (cohort, time) cell for ``estimator="cs"`` and ``"sa"`` (for
    Sun-Abraham the cohort-specific effects :math:`CATT_{g,e}` with their sample sizes ``n_obs`` and
    their ``weight`` within their event time); for "twfe" the rows are event times (``cohort`` is
    missing). ``aggregate(kind)`` returns a new :class:`AggregateResult`.
    """

    estimator: str
    cells: pd.DataFrame
    std_errors: np.ndarray
    crit: float
    spec: DidSpec
    notes: tuple[str, ...] = ()
    inf: np.ndarray | None = field(default=None, repr=False, compare=False)
    G: np.ndarray | None = field(default=None, repr=False, compare=False)
    w: np.ndarray | None = field(default=None, repr=False, compare=False)
    cluster: np.ndarray | None = field(default=None, repr=False, compare=False)
    cov: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    model: ModelResult | None = field(default=None, repr=False, compare=False)
    raw: Any = field(default=None, repr=False, compare=False)


    @property
    def _level(self) -> float:
        return 0.95 if self.spec.level is None else float(self.spec.level)

    @property
    def nobs(self) -> int:
        return int(self.spec.nobs)

    def att_gt(self, level: float = 0.95) -> pd.DataFrame:
        """Tidy frame: cohort, time, event_time, att, std_error, statistic, p_value, conf_low, conf_high,
        band_low, band_high (uniform band, when a bootstrap was run), and cell sizes."""
        _check_level(level)
        c = self.cells.copy()
        se = self.std_errors
        # regression-based estimators use the regression's reference distribution (t with G-1 df)
        df = self.spec.df
        dist = stats.norm if df is None else stats.t(df)
        q = float(dist.ppf(0.5 + level / 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            c["std_error"] = se
            c["statistic"] = c["att"] / se
        c["p_value"] = 2 * dist.sf(np.abs(c["statistic"]))
        c["conf_low"] = c["att"] - q * se
        c["conf_high"] = c["att"] + q * se
        terms = self.spec.terms
        if self.model is not None and terms and self.model.boot_pvalues is not None:
            # wild cluster bootstrap: p-values and intervals by test inversion from the regression
            ci = self.model.conf_int(level).loc[list(terms)]
            c["p_value"] = self.model.pvalues.loc[list(terms)].to_numpy()
            c["conf_low"] = ci["conf_low"].to_numpy()
            c["conf_high"] = ci["conf_high"].to_numpy()
        crit = self.crit if abs(level - self._level) < 1e-12 else float("nan")
        c["band_low"] = c["att"] - crit * se
        c["band_high"] = c["att"] + crit * se
        return c

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        return self.att_gt(level)

    def aggregate(
        self, kind: AggKind = "simple", *, min_e: float = -np.inf, max_e: float = np.inf,
        reps: int | None = None, seed: int | None = None,
    ) -> AggregateResult:
        """Aggregate ATT(g, t): "simple" (cohort-size weighted post cells), "dynamic" (by event time),
        "group" (by cohort) or "calendar" (by period). Callaway-Sant'Anna results only.

        Notes
        -----
        Callaway-Sant'Anna: weights are cohort shares :math:`P(G=g)`; the influence function includes
        the estimation of those shares (Callaway & Sant'Anna 2021, eqs. 3.10-3.13 and Appendix).

        Sun-Abraham: :math:`\\hat\\beta_e = \\sum_g \\hat\\delta_{g,e} \\Pr(G=g \\mid e)` with the
        shares of (weighted) observations in each cohort at event time :math:`e` (eq. 10); "simple"
        averages all post-treatment cells with weights proportional to their observations (fixest's
        ``aggregate(agg = "att")``), "group" and "calendar" the post cells of a cohort / period. The
        variance is :math:`R\\hat V R'` with the regression's covariance of the cells; the weights
        are in ``AggregateResult.weights``. For "dynamic", ``value`` is the mean of the
        post-treatment event-time effects, as for Callaway-Sant'Anna.
        """
        check_option("kind", kind, AGG_KINDS)
        if self.estimator == "sa":
            return self._aggregate_sa(kind, min_e, max_e)
        if self.estimator != "cs" or self.inf is None or self.G is None or self.w is None:
            raise SpecificationError(
                f"aggregate() needs group-time effects (estimator='cs' or 'sa'); this is a {self.estimator!r} result, "
                "whose coefficients already are event-time effects (see att_gt())."
            )
        c = self.cells
        agg = aggregate_cells(kind, c["cohort"].to_numpy(float), c["time"].to_numpy(float),
                              c["att"].to_numpy(float), self.inf, self.G, self.w, min_e=min_e, max_e=max_e)
        reps = (self.spec.reps or 0) if reps is None else reps
        seed = self.spec.seed if seed is None else seed
        se_kind = (self.spec.se or "analytic")
        level = self._level
        F = np.column_stack([agg.inf, agg.overall_inf])
        se = analytic_se(F, self.cluster)
        crit = float("nan")
        if reps:
            bd = multiplier_bootstrap(F[:, :-1] if agg.inf.shape[1] else F, reps=reps, seed=seed,
                                      level=level, cluster=self.cluster)
            if agg.inf.shape[1]:
                crit = bd.crit
            if se_kind == "bootstrap":
                bo = multiplier_bootstrap(agg.overall_inf, reps=reps, seed=seed, level=level, cluster=self.cluster)
                se = np.concatenate([bd.se if agg.inf.shape[1] else [], bo.se])
        q = float(stats.norm.ppf(0.5 + level / 2))
        lab = _LABEL[kind]
        t = pd.DataFrame({lab: agg.labels.astype(np.int64) if len(agg.labels) else agg.labels, "att": agg.att})
        # an aggregate of reference cells only (universal base, e = -1) is 0 by construction: no SE
        t["std_error"] = np.where(se[:-1] == 0, np.nan, se[:-1])
        t["conf_low"] = t["att"] - q * t["std_error"]
        t["conf_high"] = t["att"] + q * t["std_error"]
        t["band_low"] = t["att"] - crit * t["std_error"]
        t["band_high"] = t["att"] + crit * t["std_error"]
        return AggregateResult(kind, t, agg.overall_att, float(se[-1]), crit, self.notes)

    def _aggregate_sa(self, kind: str, min_e: float, max_e: float) -> AggregateResult:
        from .sunab import sunab_weights

        c = self.cells
        labels, R = sunab_weights(c, kind, min_e=min_e, max_e=max_e)
        if self.cov is None:
            raise SpecificationError("This Sun-Abraham result carries no covariance of its cells.")
        V = self.cov.to_numpy()
        b = c["att"].to_numpy(float)
        df = self.spec.df
        q = float((stats.norm if df is None else stats.t(df)).ppf(0.5 + self._level / 2))
        lab = _LABEL[kind]
        est = R @ b
        cov = R @ V @ R.T
        se = np.sqrt(np.diag(cov))
        nz = [np.flatnonzero(r) for r in R]
        wt = pd.DataFrame([{lab if kind != "simple" else "term": (labels[i] if kind != "simple" else "ATT"),
                            "cohort": int(c["cohort"].iloc[j]), "event_time": int(c["event_time"].iloc[j]),
                            "time": int(c["time"].iloc[j]), "weight": float(R[i, j])}
                           for i, cols in enumerate(nz) for j in cols])
        if kind == "simple":
            return AggregateResult(kind, pd.DataFrame(), float(est[0]), float(se[0]), float("nan"), self.notes,
                                   weights=wt, df=df)
        t = pd.DataFrame({lab: labels.astype(np.int64), "att": est, "std_error": se})
        t["conf_low"] = t["att"] - q * t["std_error"]
        t["conf_high"] = t["att"] + q * t["std_error"]
        t["band_low"] = np.nan
        t["band_high"] = np.nan
        if kind == "dynamic":
            keep = labels >= 0
            if not keep.any():
                raise DataValueError("There are no post-treatment event times to average.")
            r = R[keep].mean(axis=0)
        elif kind == "group":  # cohorts weighted by their post-treatment observations
            r = sunab_weights(c, "simple", min_e=min_e, max_e=max_e)[1][0]
        else:  # calendar: the mean of the period effects, as for Callaway-Sant'Anna
            r = R.mean(axis=0)
        value = float(r @ b)
        return AggregateResult(kind, t, value, float(np.sqrt(r @ V @ r)), float("nan"), self.notes,
                               weights=wt, df=df)

    def pretrend_test(self) -> PretrendTest:
        """Wald test that every pre-treatment coefficient (cells with event time < 0 other than the
        base) is zero, with the estimator's covariance (influence functions for CS)."""
        c = self.cells
        pre = (c["event_time"] < 0).to_numpy() & np.isfinite(self.std_errors) & (self.std_errors > 0)
        if not pre.any():
            raise SpecificationError("There are no estimated pre-treatment effects to test.")
        b = c["att"].to_numpy()[pre]
        n_units = None
        if self.estimator == "sa" and self.cov is not None:  # pre-treatment event-time effects
            from .sunab import sunab_weights

            labels, R = sunab_weights(c, "dynamic")
            R = R[labels < 0]
            b = R @ c["att"].to_numpy(float)
            V = R @ self.cov.to_numpy() @ R.T
            stat = float(b @ np.linalg.pinv(V) @ b)
            dfree = int(np.linalg.matrix_rank(V))
            return PretrendTest(stat, dfree, float(stats.chi2.sf(stat, dfree)),
                                tuple(str(int(e)) for e in labels[labels < 0]))
        if self.inf is not None:
            F = self.inf[:, pre]
            if self.cluster is not None:
                k = int(self.cluster.max()) + 1
                S = np.zeros((k, F.shape[1]))
                np.add.at(S, self.cluster, F)
                V = S.T @ S / F.shape[0] ** 2
                n_units = int(np.unique(self.cluster).size)
            else:
                V = F.T @ F / F.shape[0] ** 2
                n_units = int(F.shape[0])
        elif self.cov is not None:
            V = self.cov.to_numpy()[np.ix_(pre, pre)]
        else:
            raise SpecificationError("This result carries no covariance of its effects to test with.")
        stat = float(b @ np.linalg.pinv(V) @ b)
        dfree = int(np.linalg.matrix_rank(V))
        terms = tuple(str(t) if pd.isna(a) else f"{a}:{t}"
                      for a, t in zip(c["cohort"][pre], c["event_time"][pre], strict=True))
        p_chi2 = float(stats.chi2.sf(stat, dfree))
        p_f, note = float("nan"), None
        if n_units is not None and dfree > 0:
            if n_units > dfree:
                fstat = (n_units - dfree) / (dfree * (n_units - 1)) * stat * (n_units - 1) / n_units
                p_f = float(stats.f.sf(fstat, dfree, n_units - dfree))
            if n_units < PRETREND_UNITS_PER_RESTRICTION * dfree:
                note = (f"{dfree} restrictions tested with {n_units} independent units: the "
                        "chi-squared p-value overstates the evidence; use p_value_f (Hotelling "
                        "T-squared) or test fewer pre-periods (e.g. the dynamic aggregate).")
        return PretrendTest(stat, dfree, p_chi2, terms, n_units, p_f, note)

    def glance(self) -> pd.DataFrame:
        row = {"estimator": self.estimator, **{k: v for k, v in self.spec.as_dict().items() if np.isscalar(v) or v is None}}
        return pd.DataFrame([row])

    def summary(self) -> ModelSummary:
        """Table, settings and notes for the report layer (never prints)."""
        return ModelSummary(self.att_gt(), {str(k): v for k, v in self.glance().iloc[0].to_dict().items()}, self.notes)

    def plot(self, *, level: float = 0.95) -> Any:
        """Event-study figure (matplotlib Figure): estimates, pointwise and (if available) uniform bands."""
        from ._plot import event_plot

        if self.estimator in ("cs", "sa"):
            return self.aggregate("dynamic").plot()
        return event_plot(self.att_gt(level), "event_time", reference=(-1 if self.spec.base is None else self.spec.base))

    _repr_keys = ("nobs", "vcov")

    def _view(self) -> _display.View:
        cols = [c for c in ("cohort", "time", "event_time", "att", "std_error", "p_value", "conf_low", "conf_high")
                if c in self.cells.columns or c in ("std_error", "p_value", "conf_low", "conf_high")]
        info = {k: v for k, v in self.spec.as_dict().items() if (np.isscalar(v) or v is None) and k not in ("terms",)}
        return _display.View(f"{self.estimator} event study", info, {"": self.att_gt()[cols]}, self.notes)


@dataclass(frozen=True, repr=False, slots=True)
class DidResult(_Shown):
    """A single difference-in-differences effect (2x2 or two-way fixed effects) and its regression."""

    att: float
    std_error: float
    model: ModelResult
    term: str
    spec: DidSpec
    notes: tuple[str, ...] = ()


    @property
    def value(self) -> float:
        return self.att

    def __float__(self) -> float:
        return float(self.att)

    @property
    def nobs(self) -> int:
        return self.model.nobs

    @property
    def p_value(self) -> float:
        return float(self.model.pvalues[self.term])

    def conf_int(self, level: float = 0.95) -> tuple[float, float]:
        lo, hi = self.model.conf_int(level).loc[self.term, ["conf_low", "conf_high"]].to_numpy(float)
        return (float(lo), float(hi))

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        t = self.model.tidy(level)
        return t[t["term"] == self.term].reset_index(drop=True).assign(term="att")

    def glance(self) -> pd.DataFrame:
        return self.model.glance()

    def summary(self) -> Any:
        return self.model.summary()

    _repr_keys = ("att", "std_error", "nobs")

    def _view(self) -> _display.View:
        info = {"att": self.att, "std_error": self.std_error, "p_value": self.p_value, "nobs": self.nobs,
                **{k: v for k, v in self.spec.as_dict().items() if (np.isscalar(v) or v is None) and k != "nobs"}}
        return _display.View(f"difference in differences ({self.spec.design})", info,
                             {"": self.tidy()}, self.notes)
