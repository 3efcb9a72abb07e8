"""Typed, frozen specifications of results: what was computed, how, and on which data.

Every result of :mod:`disparity` records what produced it in a ``spec`` field: a frozen, slotted
dataclass of this module (a fitted model's is :class:`disparity.models.results.ModelSpec`). The
fields are named as ``ModelSpec``'s are (``estimator``/``measure``, ``formula``, ``weights``,
``weight_type``, ``vcov``, ``cluster``, ``notes``, ``options`` for the free-form rest and ``data``,
the :class:`DataSource` of the frame the result was computed from: file, checksum, shape).

Specs are data: they compare equal field by field, pickle, and never change after the fit. Until
this version a result's ``spec`` was a read-only mapping; mapping-style access
(``res.spec["formula"]``, ``res.spec.get("reps")``, ``dict(res.spec)``) still works but is
deprecated (a :class:`DeprecationWarning`): read the attribute, ``res.spec.formula``, or
``res.spec.options["key"]`` for a free-form option; :meth:`ResultSpec.as_dict` gives a plain dict.

Examples
--------
>>> import disparity as dp
>>> r = dp.oaxaca("oop ~ age + edu_years", dp.datasets.chifeng_survey(), by="urban")
>>> r.spec.formula, r.spec.by, r.spec.data.synthetic
('oop ~ age + edu_years', 'urban', True)
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from ._frozen import FrozenMap, freeze
from ._source import DataSource, data_source

__all__ = [
    "ResultSpec", "OaxacaSpec", "FairlieSpec", "MediationSpec", "ThresholdSpec", "DidSpec",
    "MeasureSpec", "BenchmarkSpec", "CompositeSpec", "ReimburseSpec", "CompareSpec", "SurveySpec",
    "DataSource", "data_source",
]

_HIDDEN = ("options", "data")  # fields that are not keys of the old mapping


def _deprecated(what: str, hint: str = "the spec's attributes") -> None:
    warnings.warn(
        f"mapping-style access to a result's spec ({what}) is deprecated: the spec is a typed "
        f"dataclass; use {hint} (free-form options: res.spec.options[...]; a dict: res.spec.as_dict()).",
        DeprecationWarning, stacklevel=3,
    )


class ResultSpec:
    """Base of the typed result specs: :meth:`as_dict` and the deprecated mapping-style access.

    A spec is *not* a :class:`collections.abc.Mapping` (it is a dataclass); ``spec["key"]``,
    ``spec.get``, ``keys``/``items``/``values``, ``in``, iteration, ``len``, ``copy`` and ``|`` keep
    working as they did on the old mapping, with a :class:`DeprecationWarning`.
    """

    __slots__ = ()
    #: Mapping fields besides ``options`` made read-only (FrozenMap) after ``__init__``.
    _mappings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        freeze(self, "options", *self._mappings)

    def __bool__(self) -> bool:
        return True

    def as_dict(self) -> dict[str, Any]:
        """The spec as a plain dict, as the old mapping was: every field but ``options`` and
        ``data`` (fields left at ``None`` that the old mapping never had are left out), then the
        free-form ``options``."""
        out: dict[str, Any] = {}
        optional = getattr(self, "_optional", ())
        for f in fields(self):  # type: ignore[arg-type]
            if f.name in _HIDDEN:
                continue
            value = getattr(self, f.name)
            if value is None and f.name in optional:
                continue
            out[f.name] = dict(value) if isinstance(value, FrozenMap) else value
        out.update(getattr(self, "options", {}))
        return out

    def _lookup(self, key: str) -> Any:
        if isinstance(key, str) and key not in _HIDDEN and key in {f.name for f in fields(self)}:  # type: ignore[arg-type]
            return getattr(self, key)
        options = getattr(self, "options", {})
        if key in options:
            return options[key]
        raise KeyError(key)

    # -- the deprecated mapping-style access (the spec used to be a read-only mapping) ---------
    def _hint(self, key: Any) -> str:
        if isinstance(key, str) and key not in _HIDDEN and key in {f.name for f in fields(self)}:  # type: ignore[arg-type]
            return f"res.spec.{key}"
        return f"res.spec.options[{key!r}]"

    def __getitem__(self, key: str) -> Any:
        _deprecated(f"spec[{key!r}]", self._hint(key))
        return self._lookup(key)

    def get(self, key: str, default: Any = None) -> Any:
        """Deprecated: ``getattr(res.spec, key, default)`` (or ``res.spec.options.get``)."""
        _deprecated(f"spec.get({key!r})", self._hint(key))
        try:
            return self._lookup(key)
        except KeyError:
            return default

    def keys(self) -> Any:
        """Deprecated: ``res.spec.as_dict().keys()``."""
        _deprecated("spec.keys()")
        return self.as_dict().keys()

    def items(self) -> Any:
        """Deprecated: ``res.spec.as_dict().items()``."""
        _deprecated("spec.items()")
        return self.as_dict().items()

    def values(self) -> Any:
        """Deprecated: ``res.spec.as_dict().values()``."""
        _deprecated("spec.values()")
        return self.as_dict().values()

    def copy(self) -> dict[str, Any]:
        """Deprecated: ``res.spec.as_dict()`` (a plain, mutable dict)."""
        _deprecated("spec.copy()")
        return self.as_dict()

    def __contains__(self, key: object) -> bool:
        _deprecated(f"{key!r} in spec", self._hint(key))
        return key in self.as_dict()

    def __iter__(self) -> Iterator[str]:
        _deprecated("iterating over spec")
        return iter(self.as_dict())

    def __len__(self) -> int:
        _deprecated("len(spec)")
        return len(self.as_dict())

    def __or__(self, other: Mapping[str, Any]) -> dict[str, Any]:
        _deprecated("spec | {...}")
        return {**self.as_dict(), **other}

    def __ror__(self, other: Mapping[str, Any]) -> dict[str, Any]:
        _deprecated("{...} | spec")
        return {**other, **self.as_dict()}


@dataclass(frozen=True, slots=True, kw_only=True)
class OaxacaSpec(ResultSpec):
    """How a Blinder-Oaxaca decomposition (:func:`disparity.oaxaca`) was computed."""

    estimator: str = "oaxaca"
    formula: str = ""
    by: str = ""
    reference: Any = None  # "pooled", "A", "B", a group label, or the pooled model's name
    model: str = "linear"
    weights: str | None = None
    weight_type: str | None = None
    se: str = "delta"
    vcov: str | None = None
    cluster: str | None = None
    reps: int | None = None
    seed: Any = None
    normalized: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    n_dropped: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)
    data: DataSource | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FairlieSpec(ResultSpec):
    """How a Fairlie decomposition (:func:`disparity.fairlie`) was computed."""

    estimator: str = "fairlie"
    formula: str = ""
    by: str = ""
    model: str = "logit"
    reference: Any = None
    reps: int = 0
    order: str = "random"
    seed: Any = None
    vcov: str | None = None
    cluster: str | None = None
    notes: tuple[str, ...] = ()
    n_dropped: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)
    data: DataSource | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MediationSpec(ResultSpec):
    """How a mediation analysis (:func:`disparity.mediation`) was computed."""

    estimator: str = "mediation"
    formula: str = ""
    outcome: str = ""
    treatment: str = ""
    mediator: str = ""
    mediator_model: str = "ols"
    outcome_model: str = "ols"
    entity: str | None = None
    time: str | None = None
    weights: str | None = None
    vcov: str | None = None
    cluster: str | None = None
    reps: int = 0
    ci: str = "percentile"
    seed: Any = None
    notes: tuple[str, ...] = ()
    n_dropped: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)
    data: DataSource | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ThresholdSpec(ResultSpec):
    """How a panel threshold regression (:func:`disparity.threshold`) was computed."""

    estimator: str = "threshold"
    formula: str = ""
    threshold_var: str = ""
    regime: tuple[str, ...] = ()
    entity: str = ""
    time: str = ""
    n_thresholds: int = 1
    trim: float = 0.0
    grid_size: int = 0
    reps: int = 0
    seed: Any = None
    level: float = 0.95
    notes: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    data: DataSource | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DidSpec(ResultSpec):
    """How a difference-in-differences or event-study estimate was computed (:func:`disparity.did`,
    :func:`disparity.event_study`, ...). ``estimator``: ``"cs"``, ``"sa"``, ``"twfe"`` (event
    studies); ``design``: ``"2x2"`` or ``"twfe"`` (a single effect). Fields an estimator does not
    use stay ``None``."""

    estimator: str | None = None
    design: str | None = None
    outcome: str = ""
    control: str | None = None
    method: str | None = None
    covariates: tuple[str, ...] | None = None
    base_period: str | None = None
    base: int | None = None
    bins: Any = None
    control_cohort: Any = None
    se: str | None = None
    vcov: str | None = None
    cluster: str | None = None
    weights: str | None = None
    reps: int | None = None
    seed: Any = None
    level: float | None = None
    nobs: int = 0
    n_periods: int | None = None
    df: float | None = None
    terms: tuple[str, ...] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    data: DataSource | None = None
    # left out of as_dict() while None: not every estimator has them
    _optional = ("estimator", "design", "control", "method", "covariates", "base_period", "base", "bins",
                 "control_cohort", "se", "vcov", "reps", "n_periods", "df", "terms")

    def as_dict(self) -> dict[str, Any]:
        """The spec as a plain dict with the keys (and their order) the old mapping of this
        estimator had, then the free-form ``options``."""
        keys = _DID_KEYS.get(self.estimator or "") if self.design is None else (
            _DID_KEYS["design"] if self.estimator is None else None)
        if keys is None:
            return ResultSpec.as_dict(self)
        return {**{k: getattr(self, k) for k in keys}, **self.options}


#: The keys of each DiD estimator's spec, in the order its old mapping had them (glance columns).
_DID_KEYS: dict[str, tuple[str, ...]] = {
    "cs": ("estimator", "outcome", "control", "method", "covariates", "base_period", "se", "reps", "seed",
           "level", "cluster", "nobs", "n_periods", "weights"),
    "sa": ("estimator", "outcome", "base", "vcov", "cluster", "control_cohort", "nobs", "level", "df"),
    "twfe": ("estimator", "outcome", "base", "bins", "vcov", "cluster", "nobs", "level", "df", "terms"),
    "design": ("design", "outcome", "vcov", "cluster", "weights", "covariates", "nobs"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class MeasureSpec(ResultSpec):
    """How a measure (:class:`disparity.measures.MeasureResult`) or a curve
    (:class:`disparity.measures.CurveResult`) was computed; ``options`` are the measure's own
    parameters (``y``, ``alpha``, ``epsilon``, ``rank``, ...: what ``result.params`` shows)."""

    measure: str = ""
    by: tuple[str, ...] = ()
    se: str | None = None
    weights: str | None = None
    weight_type: str | None = None
    cluster: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    data: DataSource | None = None

    def as_dict(self) -> dict[str, Any]:
        """The measure's parameters (what the old ``params`` mapping held), as a plain dict."""
        return dict(self.options)


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchmarkSpec(ResultSpec):
    """How a benchmark comparison (:func:`disparity.benchmark`) was built."""

    measure: str = "benchmark"
    indicators: tuple[str, ...] = ()
    direction: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[Any, Any] = field(default_factory=dict)
    region: str = ""
    time: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    data: DataSource | None = None

    _mappings = ("direction", "labels")


@dataclass(frozen=True, slots=True, kw_only=True)
class CompositeSpec(ResultSpec):
    """How a composite index, TOPSIS ranking or entropy weights were computed."""

    method: str | None = None
    normalize: Any = None
    direction: Mapping[str, Any] = field(default_factory=dict)
    shift: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    data: DataSource | None = None
    _optional = ("method", "shift")
    _mappings = ("direction",)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReimburseSpec(ResultSpec):
    """The columns a reimbursement (:func:`disparity.benefits.reimburse`) read from the claims."""

    person: str = ""
    cost: str = ""
    scope_share: Any = None
    level: str | None = None
    group: str | None = None
    setting: str | None = None
    area: str | None = None
    year: str | None = None
    order: tuple[str, ...] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    data: DataSource | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CompareSpec(ResultSpec):
    """How schedules were compared (:func:`disparity.compare_schedules`)."""

    by: tuple[str, ...] = ()
    cost_bands: tuple[float, ...] | None = None
    unit: str | None = None
    columns: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    data: DataSource | None = None

    _mappings = ("columns",)


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveySpec(ResultSpec):
    """How design-based estimates (:func:`disparity.svy_mean`, ``svy_total``, ``svy_ratio``,
    ``svy_quantile``, ``svy_tab``) were computed; the design itself is the result's ``design``."""

    estimator: str = ""
    variables: tuple[str, ...] = ()
    by: tuple[str, ...] = ()
    level: float = 0.95
    weights: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    data: DataSource | None = None
