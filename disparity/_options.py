"""Shared option vocabulary and boundary checks.

One vocabulary for weights and covariance across the package (see the README's conventions):

* ``weights=`` names a column (or gives an array) and ``weight_type`` says what it means:
  ``"pweight"`` (sampling/probability weights: point estimates weighted, inference design-based or
  robust), ``"aweight"`` (analytic weights, inversely proportional to a variance; normalised to sum to
  the number of observations), ``"fweight"`` (frequency weights: integer replication counts; the sample
  size is their sum).
* ``vcov=`` is one of :data:`VcovKind` (each family accepts a subset, checked in one place:
  :func:`disparity.models.covariance.check_vcov`); translations to statsmodels/linearmodels terms
  live in :mod:`disparity.models.covariance` only. ``ssc=`` (:data:`SscKind`) names the
  small-sample convention.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, get_args

from .errors import SpecificationError

WeightType = Literal["pweight", "aweight", "fweight"]
VcovKind = Literal[
    "iid", "HC0", "HC1", "HC2", "HC3", "cluster", "hac", "driscoll-kraay", "wild", "survey"
]
#: Small-sample conventions (``ssc=``); see :mod:`disparity.models.covariance`.
SscKind = Literal["stata", "fixest", "plm", "none"]
SeKind = Literal["analytic", "delta", "bootstrap", "none"]
#: With few clusters (``few_clusters=``): the wild cluster bootstrap, or the analytic CR1 t-test.
FewClusters = Literal["wild", "analytic"]
#: Weights of the wild cluster bootstrap (``boot_weights=``).
BootWeights = Literal["rademacher", "webb"]

WEIGHT_TYPES: tuple[str, ...] = get_args(WeightType)
VCOV_KINDS: tuple[str, ...] = get_args(VcovKind)
SSC_KINDS: tuple[str, ...] = get_args(SscKind)
FEW_CLUSTERS_KINDS: tuple[str, ...] = get_args(FewClusters)
BOOT_WEIGHTS: tuple[str, ...] = get_args(BootWeights)


def check_option(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``; otherwise raise a SpecificationError listing them."""
    allowed = tuple(allowed)
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise SpecificationError(f"{name}={value!r} is not supported; use one of {shown}.")
    return value
