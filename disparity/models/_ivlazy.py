"""Parts of an IV result made when first read: ``raw["linearmodels"]`` of 2SLS/GMM fits and the
weak-instrument tables of ``extra`` (see :func:`disparity.iv`).

A fit and every ``with_vcov`` would otherwise pay for them whether or not they are read: wrapping
the data in linearmodels costs more than the whole 2SLS fit on 200,000 rows, and the Stock-Yogo
and Montiel Olea-Pflueger tables (a search for the worst-case bias, eight noncentral
:math:`\\chi^2` quantiles, two data frames) cost more than a new sandwich. Each part is kept
as a recipe (data, no code) and built once, on first read; the numbers are those an eager
build gives, to the bit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import _weakiv as wk

__all__ = ["LazyItems", "LinearmodelsFit", "MopTable", "Recipe", "WeakIdTable"]


class Recipe:
    """A value made when first read: a frozen dataclass of the inputs with a ``build()``."""

    __slots__ = ()

    def build(self) -> Any:  # pragma: no cover - every recipe defines it
        raise NotImplementedError


class LazyItems(Mapping[str, Any]):
    """A read-only mapping whose :class:`Recipe` values are built when first read, and kept.

    A pickle holds the entries as given, recipes unbuilt (built again when read after loading).
    """

    __slots__ = ("_entries", "_built")

    def __init__(self, entries: Mapping[str, Any]) -> None:
        self._entries = dict(entries)
        self._built: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        value = self._entries[key]
        if not isinstance(value, Recipe):
            return value
        if key not in self._built:
            self._built[key] = value.build()
        return self._built[key]

    def is_built(self, key: str) -> bool:
        """Whether the value of ``key`` exists (a plain value, or a recipe built already)."""
        return not isinstance(self._entries[key], Recipe) or key in self._built

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self._entries)})"

    def __reduce__(self) -> tuple[type, tuple[dict[str, Any]]]:
        return (LazyItems, (self._entries,))


@dataclass(frozen=True, slots=True)
class LinearmodelsFit(Recipe):
    """``raw["linearmodels"]`` of a 2SLS/GMM result: linearmodels' fit of the same model with the
    same covariance (``fit`` is the result's refit data, ``disparity.models.iv._IVFit``; a 2SLS
    model is taken from and kept in its cache of linearmodels models)."""

    fit: Any
    estimator: str
    kind: str
    small: bool
    bandwidth: Any

    def build(self) -> Any:
        from .iv import _lm_fit

        f = self.fit
        models = f.lm_models.models if self.estimator == "2sls" else None
        return _lm_fit(self.estimator, f.dep, f.exog_lm, f.En, f.Zx, f.lm_weights, self.kind,
                       self.small, f.codes, self.bandwidth, models=models)


@dataclass(frozen=True, slots=True)
class WeakIdTable(Recipe):
    """``extra["stock_yogo"]``: :func:`disparity.models._weakiv.weak_id_table` of these inputs."""

    estimator: str
    p: int
    q: int
    kind: str
    cragg_donald: float
    kp_f: float

    def build(self) -> pd.DataFrame | None:
        return wk.weak_id_table(self.estimator, self.p, self.q, self.kind, self.cragg_donald,
                                self.kp_f)


@dataclass(frozen=True, slots=True)
class MopTable(Recipe):
    """``extra["mop_critical"]``: :func:`disparity.models._weakiv.mop_table` of the moment blocks."""

    W1: np.ndarray
    W12: np.ndarray
    W2: np.ndarray
    f_eff: float

    def build(self) -> pd.DataFrame:
        return wk.mop_table(self.W1, self.W12, self.W2, self.f_eff)
