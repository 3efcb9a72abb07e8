"""Frozen result objects shared by every estimator."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .. import _display
from .._frozen import freeze
from .._options import VcovKind
from .._source import DataSource, data_source
from ..errors import SpecificationError

__all__ = ["ModelSpec", "ModelResult", "ModelSummary", "MarginalEffects", "DataSource", "data_source"]


@dataclass(frozen=True, slots=True)
class WildIntervals:
    """What ``result.extra["wild_ci"]`` was (a closure): intervals at any level from the wild
    bootstrap ``wild``. Deprecated: call ``result.conf_int(level)``."""

    wild: Any
    names: tuple[str, ...]

    def __call__(self, level: float = 0.95) -> pd.DataFrame:
        warnings.warn("result.extra['wild_ci'](level) is deprecated; use result.conf_int(level).",
                      DeprecationWarning, stacklevel=2)
        return pd.DataFrame(self.wild.conf_int(level), index=list(self.names),
                            columns=["conf_low", "conf_high"])


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """What was estimated and how (everything needed to describe the fit in a table note)."""

    estimator: str
    formula: str
    vcov: str
    cluster: tuple[str, ...] = ()
    weights: str | None = None
    weight_type: str | None = None
    nobs: int = 0
    n_dropped: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    #: the data the model was fitted on (file and checksum when a loader read it)
    data: DataSource | None = None

    def __post_init__(self) -> None:
        freeze(self, "options")


@dataclass(frozen=True, slots=True)
class ModelSummary:
    """Everything a report needs to render one model: coefficient table, fit statistics, notes."""

    table: pd.DataFrame
    info: Mapping[str, Any]
    notes: tuple[str, ...]

    def _view(self) -> _display.View:
        info = dict(self.info)
        title = f"{info.pop('estimator', 'model')}: {info.pop('formula', '')}".rstrip(": ")
        table = self.table
        tables: dict[str, pd.DataFrame] = {}
        if "term" in table.columns and table["term"].astype(str).str.contains("|", regex=False).any():
            cut = table["term"].astype(str).str.contains("|", regex=False)
            tables = {"coefficients": table[~cut], "cut points": table[cut]}
        else:
            tables = {"": table}
        return _display.View(title, info, tables, tuple(self.notes))

    def __str__(self) -> str:
        return _display.text(self._view())

    def __repr__(self) -> str:
        return _display.repr_line(self, self._view(), keys=("nobs", "vcov"))

    def _repr_html_(self) -> str:
        return _display.html(self._view())


@dataclass(frozen=True, slots=True)
class MarginalEffects:
    """Effects of one variable (a derivative of the prediction), possibly across values of others."""

    variable: str
    table: (
        pd.DataFrame
    )  # columns: the ``at`` variables, estimate, std_error, statistic, p_value, conf_low, conf_high

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    def _view(self) -> _display.View:
        return _display.View(f"marginal effect of {self.variable}", {}, {"": self.table})

    def __str__(self) -> str:
        return _display.text(self._view())

    def __repr__(self) -> str:
        return _display.repr_line(self, self._view(), keys=("rows",))

    def _repr_html_(self) -> str:
        return _display.html(self._view())


class _RawField:
    """``ModelResult.raw``: a stored recipe (an object with ``lazy_raw = True`` and ``build()``,
    e.g. :class:`disparity.models.discrete.LazyGLM`) is built on first access and kept, so a fit
    need not hold the wrapped library's results object (and its memory) until it is asked for.

    Installed over the ``raw`` slot of the slotted :class:`ModelResult` (it wraps the slot's own
    member descriptor, so the built object replaces the recipe in the same slot; pickling and
    :meth:`ModelResult.replace` read the slot as stored, so a recipe stays unbuilt)."""

    __slots__ = ("slot",)

    def __init__(self, slot: Any) -> None:
        self.slot = slot

    def stored(self, obj: Any) -> Any:
        """The slot's value as stored (a recipe is not built)."""
        try:
            return self.slot.__get__(obj, type(obj))
        except AttributeError:
            return None

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        value = self.stored(obj)
        if getattr(value, "lazy_raw", False) is True:
            value = value.build()
            self.slot.__set__(obj, value)  # the cache: the slot itself (frozen only guards setattr)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        self.slot.__set__(obj, value)


def same_content(a: Any, b: Any) -> bool:
    """Equality by content that never raises pandas' or numpy's ambiguous-truth error.

    pandas objects: same type and ``.equals`` (index, values and dtypes; NaN equals NaN); arrays:
    same shape and dtype kind, ``array_equal`` with NaN equal to NaN where the dtype allows it;
    mappings, sequences and dataclasses element by element; floats with NaN equal to NaN.
    """
    if a is b:
        return True
    if isinstance(a, (pd.Series, pd.DataFrame, pd.Index)) or isinstance(b, (pd.Series, pd.DataFrame, pd.Index)):
        return type(a) is type(b) and bool(a.equals(b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.shape != b.shape:
            return False
        nan_ok = a.dtype.kind in "fc" and b.dtype.kind in "fc"
        return bool(np.array_equal(a, b, equal_nan=nan_ok))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same_content(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(
            same_content(x, y) for x, y in zip(a, b, strict=True))
    if is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            same_content(getattr(a, f.name), getattr(b, f.name)) for f in fields(a) if f.compare)
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # objects whose == is not a truth value
        return False


@dataclass(frozen=True, slots=True, eq=False)
class ModelResult:
    """A fitted model. Immutable: further inference (``with_vcov``) returns a new object.

    Attributes
    ----------
    params, cov : pandas objects indexed by term.
    nobs : int
        Observations used (for fweights, the sum of the weights).
    df : float or None
        Degrees of freedom of the t reference distribution (``None``: standard normal).
    spec : ModelSpec
    raw : object
        The underlying fitted object of a wrapped library, or a dict of intermediate arrays.
    stats : mapping
        Fit statistics shown by :meth:`glance` (condition number, R², log-likelihood, ...).
    boot_pvalues, boot_conf_int : optional
        Wild-bootstrap p-values and 95% intervals; when present they replace the analytic ones.
    """

    params: pd.Series
    cov: pd.DataFrame
    nobs: int
    df: float | None
    spec: ModelSpec
    raw: Any = field(repr=False, compare=False, default=None)
    stats: Mapping[str, Any] = field(default_factory=dict, compare=False)
    boot_pvalues: pd.Series | None = field(default=None, compare=False)
    boot_conf_int: pd.DataFrame | None = field(default=None, compare=False)
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # Data, never closures (the result pickles): ``_refit`` is a frozen record of what a new
    # covariance needs (arrays, clusters, design, options; calling it recomputes the sandwich),
    # ``_effects`` one of what marginal effects need (e.g. :class:`._margins.AverageEffects`).
    _refit: Callable[..., ModelResult] | None = field(default=None, repr=False, compare=False)
    _effects: Callable[..., MarginalEffects] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        freeze(self, "stats")

    #: Fields that define a result for ``==``: the estimates, their covariance and reference
    #: distribution, the specification and any bootstrap inference (not the fitting engine's
    #: object, statistics derived from the fit or the recipes kept for ``with_vcov``).
    _EQ_FIELDS = ("params", "cov", "nobs", "df", "spec", "boot_pvalues", "boot_conf_int")

    def __eq__(self, other: object) -> bool:
        """Equal when estimates, covariance, df, specification and bootstrap inference are equal
        by content (pandas ``.equals``: NaN equals NaN; see :func:`same_content`)."""
        if not isinstance(other, ModelResult):
            return NotImplemented
        return all(same_content(getattr(self, f), getattr(other, f)) for f in self._EQ_FIELDS)

    # (defining __eq__ leaves the class unhashable, as a result holding pandas objects should be)

    def __getstate__(self) -> list[Any]:
        # the slots as stored: pickling keeps a recipe in ``raw`` unbuilt
        return [_RAW.stored(self) if f.name == "raw" else getattr(self, f.name) for f in fields(self)]

    def __setstate__(self, state: list[Any]) -> None:
        for f, value in zip(fields(self), state, strict=True):
            object.__setattr__(self, f.name, value)

    @property
    def std_errors(self) -> pd.Series:
        return pd.Series(
            np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index, name="std_error"
        )

    @property
    def tstats(self) -> pd.Series:
        return (self.params / self.std_errors).rename("statistic")

    def _dist(self) -> Any:
        return stats.norm if self.df is None else stats.t(self.df)

    @property
    def pvalues(self) -> pd.Series:
        if self.boot_pvalues is not None:
            return self.boot_pvalues.rename("p_value")
        p = 2 * self._dist().sf(np.abs(self.tstats.to_numpy()))
        return pd.Series(p, index=self.params.index, name="p_value")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals (bootstrap intervals by test inversion when the result carries them)."""
        if not 0 < level < 1:
            raise SpecificationError(f"level={level!r} must be between 0 and 1 (e.g. 0.95).")
        if self.boot_conf_int is not None and abs(level - 0.95) < 1e-12:
            return self.boot_conf_int.copy()
        if self.boot_conf_int is not None and "wild" in self.extra:
            wb = self.extra["wild"]  # the wild bootstrap's draws: intervals at any level
            return pd.DataFrame(wb.conf_int(level), index=self.params.index, columns=["conf_low", "conf_high"])
        q = float(self._dist().ppf(0.5 + level / 2))
        se = self.std_errors
        return pd.DataFrame({"conf_low": self.params - q * se, "conf_high": self.params + q * se})

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per term: term, estimate, std_error, statistic, p_value, conf_low, conf_high."""
        ci = self.conf_int(level)
        return pd.DataFrame(
            {
                "term": self.params.index.astype(str),
                "estimate": self.params.to_numpy(),
                "std_error": self.std_errors.to_numpy(),
                "statistic": self.tstats.to_numpy(),
                "p_value": self.pvalues.to_numpy(),
                "conf_low": ci["conf_low"].to_numpy(),
                "conf_high": ci["conf_high"].to_numpy(),
            }
        )

    def glance(self) -> pd.DataFrame:
        """One-row DataFrame of fit statistics (nobs, dropped rows, vcov, clusters, condition number, ...)."""
        row: dict[str, Any] = {
            "estimator": self.spec.estimator,
            "nobs": self.nobs,
            "n_dropped": self.spec.n_dropped,
            "vcov": self.spec.vcov,
            "df": self.df,
        }
        row.update(self.stats)
        return pd.DataFrame([row])

    def summary(self) -> ModelSummary:
        info = {str(k): v for k, v in self.glance().iloc[0].to_dict().items()}
        return ModelSummary(self.tidy(), info, self.spec.notes)

    def with_vcov(self, vcov: VcovKind, **kwargs: Any) -> ModelResult:
        """A new result with the same estimates and another covariance (see :mod:`.covariance`)."""
        if self._refit is None:
            raise SpecificationError(
                f"{self.spec.estimator} results cannot change their covariance."
            )
        return self._refit(vcov, **kwargs)

    def marginal_effects(
        self, var: str, at: Mapping[str, Sequence[float]] | None = None, *, level: float = 0.95
    ) -> MarginalEffects:
        """Average marginal effect of ``var``, optionally at fixed values of other variables.

        For each combination of values in ``at`` (every row has those variables set to the value),
        the effect is the sample average of the derivative of the prediction with respect to
        ``var``; standard errors by the delta method with the result's covariance.
        """
        if self._effects is None:
            raise SpecificationError(
                f"Marginal effects are not available for {self.spec.estimator}."
            )
        return self._effects(self, var, at or {}, level)

    def replace(self, **changes: Any) -> ModelResult:
        changes.setdefault("raw", _RAW.stored(self))  # a recipe stays unbuilt
        return replace(self, **changes)

    def _view(self) -> _display.View:
        spec = self.spec
        info: dict[str, Any] = {"estimator": spec.estimator, "formula": spec.formula, "nobs": self.nobs}
        if spec.n_dropped:
            info["n_dropped"] = spec.n_dropped
        info["vcov"] = spec.vcov
        if spec.cluster:
            info["cluster"] = ", ".join(spec.cluster)
        if spec.weights:
            info["weights"] = f"{spec.weights} ({spec.weight_type})" if spec.weight_type else spec.weights
        if self.df is not None:
            info["df"] = self.df
        info.update({k: v for k, v in self.stats.items() if np.isscalar(v)})
        return ModelSummary(self.tidy(), info, tuple(spec.notes))._view()

    def __str__(self) -> str:
        """The summary (what ``print(result)`` shows): fit facts, coefficients, cut points, notes."""
        return _display.text(self._view())

    def __repr__(self) -> str:
        return _display.repr_line(self, self._view(), keys=("nobs", "vcov"))

    def _repr_html_(self) -> str:
        return _display.html(self._view())


# ``raw`` resolves a stored recipe once (see :class:`_RawField`); installed over the slot.
_RAW = _RawField(ModelResult.__dict__["raw"])
ModelResult.raw = _RAW  # type: ignore[misc]
